// service::UserStore on PostgreSQL (table users; postgres_migrations.cpp).

#include <inkan/storage/postgres_service_stores.h>

#include <functional>
#include <utility>

namespace inkan::storage {

namespace {

using service::User;

constexpr std::string_view kSelect =
    "SELECT id, name, display_name, role, locked, totp_sealed IS NOT NULL, created_at FROM users ";

User read_user(const pg::Result& r, int row) {
    User user;
    user.id = r.text(row, 0);
    user.name = r.text(row, 1);
    user.display_name = r.text(row, 2);
    const auto role = service::role_from_name(r.text(row, 3));
    require(role.has_value(), Errc::StorageFailure, "postgresql: users.role holds an unknown role");
    user.role = *role;
    user.locked = r.boolean(row, 4);
    user.totp_enrolled = r.boolean(row, 5);
    user.created_at = r.time(row, 6);
    return user;
}

std::optional<User> find_one(pg::Pool& pool, std::string_view where, std::string_view value,
                             std::string_view purpose) {
    pg::Transaction tx{pool, pg::Transaction::Mode::Read, purpose};
    const auto r =
        pg::Statement{tx, std::string{kSelect} + std::string{where}, purpose}.bind_text(value).run();
    if (r.rows() == 0) {
        return std::nullopt;
    }
    return read_user(r, 0);
}

/// Runs an UPDATE of one user ($1 = the id, then what `bind` adds) in its own write transaction;
/// Errc::NotFound if no row changed.
void update_user(pg::Pool& pool, std::string_view sql, std::string_view user_id, std::string_view purpose,
                 const std::function<void(pg::Statement&)>& bind) {
    pg::Transaction tx{pool, pg::Transaction::Mode::Write, purpose};
    pg::Statement update{tx, sql, purpose};
    update.bind_text(user_id);
    bind(update);
    if (update.run().affected() != 1) {
        throw Error{Errc::NotFound, std::string{purpose} + ": no user " + std::string{user_id}};
    }
    tx.commit();
}

}  // namespace

PostgresUserStore::PostgresUserStore(std::shared_ptr<pg::Pool> pool) : m_pool{std::move(pool)} {
    require(m_pool != nullptr, Errc::Internal, "PostgresUserStore: no database");
}

void PostgresUserStore::create(const User& user, std::string_view password_hash) {
    require(!user.id.empty() && !user.name.empty() && !password_hash.empty(), Errc::InvalidRequest,
            "create user: empty id, name or password hash");
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "create user"};
    // UNIQUE on id and name: a taken one is SQLSTATE 23505, i.e. Errc::Conflict.
    pg::Statement{
        tx,
        "INSERT INTO users (id, name, display_name, role, locked, password_hash, totp_sealed, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, NULL, $7)",
        "create user"}
        .bind_text(user.id)
        .bind_text(user.name)
        .bind_text(user.display_name)
        .bind_text(service::name(user.role))
        .bind_bool(user.locked)
        .bind_text(password_hash)
        .bind_time(user.created_at)
        .run();
    tx.commit();
}

std::optional<User> PostgresUserStore::find_by_name(std::string_view name) const {
    return find_one(*m_pool, "WHERE name = $1", name, "find user by name");
}

std::optional<User> PostgresUserStore::find_by_id(std::string_view id) const {
    return find_one(*m_pool, "WHERE id = $1", id, "find user by id");
}

std::vector<User> PostgresUserStore::list() const {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Read, "list users"};
    // COLLATE "C": byte order of the UTF-8 names whatever the database's collation (the port's order).
    const auto r =
        pg::Statement{tx, std::string{kSelect} + "ORDER BY name COLLATE \"C\"", "list users"}.run();
    std::vector<User> out;
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back(read_user(r, i));
    }
    return out;
}

std::optional<std::string> PostgresUserStore::password_hash(std::string_view user_id) const {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Read, "read password hash"};
    const auto r = pg::Statement{tx, "SELECT password_hash FROM users WHERE id = $1", "read password hash"}
                       .bind_text(user_id)
                       .run();
    if (r.rows() == 0) {
        return std::nullopt;
    }
    return r.text(0, 0);
}

void PostgresUserStore::set_password_hash(std::string_view user_id, std::string_view hash) {
    require(!hash.empty(), Errc::InvalidRequest, "set password hash: empty hash");
    update_user(*m_pool, "UPDATE users SET password_hash = $2 WHERE id = $1", user_id, "set password hash",
                [&](pg::Statement& s) { s.bind_text(hash); });
}

void PostgresUserStore::set_locked(std::string_view user_id, bool locked) {
    update_user(*m_pool, "UPDATE users SET locked = $2 WHERE id = $1", user_id, "set user lock",
                [&](pg::Statement& s) { s.bind_bool(locked); });
}

void PostgresUserStore::set_role(std::string_view user_id, service::Role role) {
    update_user(*m_pool, "UPDATE users SET role = $2 WHERE id = $1", user_id, "set user role",
                [&](pg::Statement& s) { s.bind_text(service::name(role)); });
}

void PostgresUserStore::set_totp(std::string_view user_id, std::optional<Bytes> sealed_secret) {
    update_user(*m_pool, "UPDATE users SET totp_sealed = $2 WHERE id = $1", user_id, "set TOTP secret",
                [&](pg::Statement& s) {
                    if (sealed_secret) {
                        s.bind_blob(*sealed_secret);
                    } else {
                        s.bind_null();
                    }
                });
}

std::optional<Bytes> PostgresUserStore::totp(std::string_view user_id) const {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Read, "read TOTP secret"};
    const auto r = pg::Statement{tx, "SELECT totp_sealed FROM users WHERE id = $1", "read TOTP secret"}
                       .bind_text(user_id)
                       .run();
    if (r.rows() == 0 || r.is_null(0, 0)) {
        return std::nullopt;
    }
    return r.bytes(0, 0);
}

namespace {

/// The lock has lifted by itself: locked, a cool-down is configured ($4 > 0) and it has passed since the
/// lock began ($3 = now). $2 = the maximum.
constexpr std::string_view kLifted =
    "($4 > 0 AND password_failures >= $2 AND password_locked_at IS NOT NULL AND "
    "password_locked_at <= $3 - $4)";

std::string reserve_sql() {
    const std::string lifted{kLifted};
    // One UPDATE: every expression reads the row as it was, and the row lock serialises callers on every
    // node (a second UPDATE waits, then re-evaluates on the row the first one committed), so concurrent
    // guesses see distinct counts.
    return "UPDATE users SET "
           "password_failures = CASE WHEN " +
           lifted +
           " THEN 1 ELSE LEAST(password_failures + 1, $2 + 1) END, "
           "password_locked_at = CASE WHEN " +
           lifted +
           " THEN (CASE WHEN $2 <= 1 THEN $3 END) "
           "WHEN password_failures + 1 >= $2 THEN COALESCE(password_locked_at, $3) "
           "ELSE password_locked_at END "
           "WHERE id = $1 RETURNING password_failures";
}

}  // namespace

int PostgresUserStore::reserve_password_guess(std::string_view user_id, int max,
                                              std::chrono::seconds cool_down, TimePoint now) {
    require(max >= 1 && cool_down.count() >= 0, Errc::InvalidRequest,
            "reserve password guess: max must be ≥ 1 and the cool-down ≥ 0");
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "reserve password guess"};
    const auto r = pg::Statement{tx, reserve_sql(), "reserve password guess"}
                       .bind_text(user_id)
                       .bind_int64(max)
                       .bind_time(now)
                       .bind_int64(cool_down.count())
                       .run();
    if (r.rows() == 0) {
        throw Error{Errc::NotFound, "reserve password guess: no user " + std::string{user_id}};
    }
    const auto n = static_cast<int>(r.int64(0, 0));
    tx.commit();
    return n;
}

void PostgresUserStore::clear_password_failures(std::string_view user_id) {
    update_user(*m_pool, "UPDATE users SET password_failures = 0, password_locked_at = NULL WHERE id = $1",
                user_id, "clear password failures", [](pg::Statement&) {});
}

std::optional<service::PasswordFailures> PostgresUserStore::password_failures(
    std::string_view user_id) const {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Read, "read password failures"};
    const auto r = pg::Statement{tx, "SELECT password_failures, password_locked_at FROM users WHERE id = $1",
                                 "read password failures"}
                       .bind_text(user_id)
                       .run();
    if (r.rows() == 0) {
        return std::nullopt;
    }
    service::PasswordFailures out;
    out.count = static_cast<int>(r.int64(0, 0));
    out.locked_at = r.optional_time(0, 1);
    return out;
}

}  // namespace inkan::storage
