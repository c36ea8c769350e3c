// service::UserStore on SQLite (table users, migration 2; password failures, migration 9).

#include <inkan/storage/sqlite_service_stores.h>

#include <functional>
#include <utility>

namespace inkan::storage {

namespace {

using service::Role;
using service::User;

constexpr std::string_view kSelect =
    "SELECT id, name, display_name, role, locked, totp_sealed IS NOT NULL, created_at FROM users ";

User read_user(const Statement& row) {
    User user;
    user.id = row.column_text(0);
    user.name = row.column_text(1);
    user.display_name = row.column_text(2);
    const auto role = service::role_from_name(row.column_text(3));
    require(role.has_value(), Errc::StorageFailure, "sqlite: users.role holds an unknown role");
    user.role = *role;
    user.locked = row.column_int64(4) != 0;
    user.totp_enrolled = row.column_int64(5) != 0;
    user.created_at = row.column_time(6);
    return user;
}

std::string select(std::string_view where) {
    std::string sql{kSelect};
    sql += where;
    return sql;
}

std::optional<User> find_one(Database& db, std::string_view where, std::string_view value,
                             std::string_view purpose) {
    Transaction tx{db, Transaction::Mode::Read, purpose};
    Statement query{db, select(where), purpose};
    query.bind_text(1, value);
    if (!query.step()) {
        return std::nullopt;
    }
    return read_user(query);
}

/// Runs an UPDATE of one user (?1 = the id) in its own write transaction; Errc::NotFound if no row changed.
void update_user(Database& db, std::string_view sql, std::string_view user_id, std::string_view purpose,
                 const std::function<void(Statement&)>& bind) {
    Transaction tx{db, Transaction::Mode::Write, purpose};
    Statement update{db, sql, purpose};
    update.bind_text(1, user_id);
    bind(update);
    update.run();
    if (db.changes() != 1) {
        throw Error{Errc::NotFound, std::string{purpose} + ": no user " + std::string{user_id}};
    }
    tx.commit();
}

}  // namespace

SqliteUserStore::SqliteUserStore(const std::filesystem::path& db_file)
    : m_db{std::make_shared<Database>(db_file)} {}

SqliteUserStore::SqliteUserStore(std::shared_ptr<Database> db) : m_db{std::move(db)} {
    require(m_db != nullptr, Errc::Internal, "SqliteUserStore: no database");
}

void SqliteUserStore::create(const User& user, std::string_view password_hash) {
    require(!user.id.empty() && !user.name.empty() && !password_hash.empty(), Errc::InvalidRequest,
            "create user: empty id, name or password hash");
    Transaction tx{*m_db, Transaction::Mode::Write, "create user"};
    // UNIQUE on id and name: a taken one is SQLITE_CONSTRAINT, i.e. Errc::Conflict.
    Statement insert{*m_db,
                     "INSERT INTO users (id, name, display_name, role, locked, password_hash, totp_sealed, "
                     "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7)",
                     "create user"};
    insert.bind_text(1, user.id)
        .bind_text(2, user.name)
        .bind_text(3, user.display_name)
        .bind_text(4, service::name(user.role))
        .bind_int64(5, user.locked ? 1 : 0)
        .bind_text(6, password_hash)
        .bind_time(7, user.created_at)
        .run();
    tx.commit();
}

std::optional<User> SqliteUserStore::find_by_name(std::string_view name) const {
    return find_one(*m_db, "WHERE name = ?1", name, "find user by name");
}

std::optional<User> SqliteUserStore::find_by_id(std::string_view id) const {
    return find_one(*m_db, "WHERE id = ?1", id, "find user by id");
}

std::vector<User> SqliteUserStore::list() const {
    Transaction tx{*m_db, Transaction::Mode::Read, "list users"};
    // BINARY collation: byte order of the UTF-8 names.
    Statement query{*m_db, select("ORDER BY name"), "list users"};
    std::vector<User> out;
    while (query.step()) {
        out.push_back(read_user(query));
    }
    return out;
}

std::optional<std::string> SqliteUserStore::password_hash(std::string_view user_id) const {
    Transaction tx{*m_db, Transaction::Mode::Read, "read password hash"};
    Statement query{*m_db, "SELECT password_hash FROM users WHERE id = ?1", "read password hash"};
    query.bind_text(1, user_id);
    if (!query.step()) {
        return std::nullopt;
    }
    return query.column_text(0);
}

void SqliteUserStore::set_password_hash(std::string_view user_id, std::string_view hash) {
    require(!hash.empty(), Errc::InvalidRequest, "set password hash: empty hash");
    update_user(*m_db, "UPDATE users SET password_hash = ?2 WHERE id = ?1", user_id, "set password hash",
                [&](Statement& s) { s.bind_text(2, hash); });
}

void SqliteUserStore::set_locked(std::string_view user_id, bool locked) {
    update_user(*m_db, "UPDATE users SET locked = ?2 WHERE id = ?1", user_id, "set user lock",
                [&](Statement& s) { s.bind_int64(2, locked ? 1 : 0); });
}

void SqliteUserStore::set_role(std::string_view user_id, service::Role role) {
    update_user(*m_db, "UPDATE users SET role = ?2 WHERE id = ?1", user_id, "set user role",
                [&](Statement& s) { s.bind_text(2, service::name(role)); });
}

void SqliteUserStore::set_totp(std::string_view user_id, std::optional<Bytes> sealed_secret) {
    update_user(*m_db, "UPDATE users SET totp_sealed = ?2 WHERE id = ?1", user_id, "set TOTP secret",
                [&](Statement& s) {
                    if (sealed_secret) {
                        s.bind_blob(2, *sealed_secret);
                    } else {
                        s.bind_null(2);
                    }
                });
}

std::optional<Bytes> SqliteUserStore::totp(std::string_view user_id) const {
    Transaction tx{*m_db, Transaction::Mode::Read, "read TOTP secret"};
    Statement query{*m_db, "SELECT totp_sealed FROM users WHERE id = ?1", "read TOTP secret"};
    query.bind_text(1, user_id);
    if (!query.step() || query.column_is_null(0)) {
        return std::nullopt;
    }
    return query.column_blob(0);
}

namespace {

/// The lock has lifted by itself: locked, a cool-down is configured (?4 > 0) and it has passed since the
/// lock began (?3 = now). ?2 = the maximum.
constexpr std::string_view kLifted =
    "(?4 > 0 AND password_failures >= ?2 AND password_locked_at IS NOT NULL AND "
    "password_locked_at <= ?3 - ?4)";

std::string reserve_sql() {
    const std::string lifted{kLifted};
    // One UPDATE: every expression reads the row as it was, and the write lock serialises callers (on
    // PostgreSQL the row lock does), so concurrent guesses see distinct counts.
    return "UPDATE users SET "
           "password_failures = CASE WHEN " +
           lifted +
           " THEN 1 ELSE MIN(password_failures + 1, ?2 + 1) END, "
           "password_locked_at = CASE WHEN " +
           lifted +
           " THEN (CASE WHEN ?2 <= 1 THEN ?3 END) "
           "WHEN password_failures + 1 >= ?2 THEN COALESCE(password_locked_at, ?3) "
           "ELSE password_locked_at END "
           "WHERE id = ?1 RETURNING password_failures";
}

}  // namespace

int SqliteUserStore::reserve_password_guess(std::string_view user_id, int max, std::chrono::seconds cool_down,
                                            TimePoint now) {
    require(max >= 1 && cool_down.count() >= 0, Errc::InvalidRequest,
            "reserve password guess: max must be ≥ 1 and the cool-down ≥ 0");
    Transaction tx{*m_db, Transaction::Mode::Write, "reserve password guess"};
    Statement q{*m_db, reserve_sql(), "reserve password guess"};
    q.bind_text(1, user_id).bind_int64(2, max).bind_time(3, now).bind_int64(4, cool_down.count());
    if (!q.step()) {
        throw Error{Errc::NotFound, "reserve password guess: no user " + std::string{user_id}};
    }
    const auto n = static_cast<int>(q.column_int64(0));
    q.reset();
    tx.commit();
    return n;
}

void SqliteUserStore::clear_password_failures(std::string_view user_id) {
    update_user(*m_db, "UPDATE users SET password_failures = 0, password_locked_at = NULL WHERE id = ?1",
                user_id, "clear password failures", [](Statement&) {});
}

std::optional<service::PasswordFailures> SqliteUserStore::password_failures(std::string_view user_id) const {
    Transaction tx{*m_db, Transaction::Mode::Read, "read password failures"};
    Statement q{*m_db, "SELECT password_failures, password_locked_at FROM users WHERE id = ?1",
                "read password failures"};
    q.bind_text(1, user_id);
    if (!q.step()) {
        return std::nullopt;
    }
    service::PasswordFailures out;
    out.count = static_cast<int>(q.column_int64(0));
    if (!q.column_is_null(1)) {
        out.locked_at = q.column_time(1);
    }
    return out;
}

}  // namespace inkan::storage
