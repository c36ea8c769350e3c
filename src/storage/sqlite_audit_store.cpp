// service::AuditStore on SQLite (table audit_log, migration 3).

#include <inkan/storage/sqlite_service_stores.h>

#include "audit_chain_sql.h"

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace inkan::storage {

SqliteAuditStore::SqliteAuditStore(const std::filesystem::path& db_file)
    : m_db{std::make_shared<Database>(db_file)} {}

SqliteAuditStore::SqliteAuditStore(std::shared_ptr<Database> db) : m_db{std::move(db)} {
    require(m_db != nullptr, Errc::Internal, "SqliteAuditStore: no database");
}

namespace detail {

void append_audit_entry(Database& db, const service::AuditEntryBuilder& build, std::string_view purpose) {
    std::uint64_t next = 1;
    Bytes prev;
    {
        Statement head{db, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", purpose};
        if (head.step()) {
            next = static_cast<std::uint64_t>(head.column_int64(0)) + 1;
            prev = head.column_blob(1);
        }
    }
    const service::AuditEntry e = build(next, prev);
    require(e.seq == next, Errc::Internal, "append audit entry: the entry does not carry the next seq");
    Statement insert{db,
                     "INSERT INTO audit_log (seq, at, action, outcome, user_id, client_id, credential_id, "
                     "member_id, operator_name, details, prev_hash, hash) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                     purpose};
    insert.bind_int64(1, static_cast<std::int64_t>(e.seq))
        .bind_time(2, e.at)
        .bind_text(3, e.event.action)
        .bind_text(4, e.event.outcome)
        .bind_text(5, e.event.user_id)
        .bind_text(6, e.event.client_id)
        .bind_text(7, e.event.credential_id)
        .bind_text(8, e.event.member_id)
        .bind_text(9, e.event.operator_name)
        .bind_text(10, e.event.details)
        .bind_blob(11, e.prev_hash)
        .bind_blob(12, e.hash)
        .run();
}

}  // namespace detail

void SqliteAuditStore::append(const service::AuditEntryBuilder& build) {
    constexpr std::string_view purpose = "append audit entry";
    // BEGIN IMMEDIATE: the head is read under the write lock, so concurrent appends serialise.
    Transaction tx{*m_db, Transaction::Mode::Write, purpose};
    detail::append_audit_entry(*m_db, build, purpose);
    tx.commit();
}

namespace {

constexpr std::string_view kEntryColumns =
    "seq, at, action, outcome, user_id, client_id, credential_id, member_id, operator_name, details, "
    "prev_hash, hash";

service::AuditEntry entry_from(const Statement& q) {
    service::AuditEntry e;
    e.seq = static_cast<std::uint64_t>(q.column_int64(0));
    e.at = q.column_time(1);
    e.event.action = q.column_text(2);
    e.event.outcome = q.column_text(3);
    e.event.user_id = q.column_text(4);
    e.event.client_id = q.column_text(5);
    e.event.credential_id = q.column_text(6);
    e.event.member_id = q.column_text(7);
    e.event.operator_name = q.column_text(8);
    e.event.details = q.column_text(9);
    e.prev_hash = q.column_blob(10);
    e.hash = q.column_blob(11);
    return e;
}

/// The escape of a LIKE pattern's wildcards (an action family is a prefix, never a pattern).
std::string like_prefix(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (c == '%' || c == '_' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    return out + ".%";
}

}  // namespace

std::vector<service::AuditEntry> SqliteAuditStore::search(const service::AuditQuery& query) const {
    constexpr std::string_view purpose = "search audit log";
    // Only fixed SQL text with numbered parameters: every value is bound, never spliced in.
    std::string sql = "SELECT " + std::string{kEntryColumns} + " FROM audit_log WHERE 1";
    std::vector<std::function<void(Statement&, int)>> binds;
    const auto where = [&](std::string clause, std::function<void(Statement&, int)> bind) {
        sql += " AND " + clause;
        binds.push_back(std::move(bind));
    };
    const auto p = [&] { return "?" + std::to_string(binds.size() + 1); };
    if (query.from) {
        where("at >= " + p(), [t = *query.from](Statement& s, int i) { s.bind_time(i, t); });
    }
    if (query.to) {
        where("at < " + p(), [t = *query.to](Statement& s, int i) { s.bind_time(i, t); });
    }
    if (query.before_seq) {
        where("seq < " + p(), [v = static_cast<std::int64_t>(*query.before_seq)](Statement& s, int i) {
            s.bind_int64(i, v);
        });
    }
    const auto text = [](std::string v) {
        return [v = std::move(v)](Statement& s, int i) { s.bind_text(i, v); };
    };
    if (!query.user_id.empty()) {
        // The entry's user or the seal member: two indexes (SQLite's OR optimisation unions them).
        const std::string a = p();
        binds.push_back(text(query.user_id));
        const std::string b = p();
        binds.push_back(text(query.user_id));
        sql += " AND (user_id = " + a + " OR member_id = " + b + ")";
    }
    if (!query.credential_id.empty()) {
        where("credential_id = " + p(), text(query.credential_id));
    }
    if (!query.client_id.empty()) {
        where("client_id = " + p(), text(query.client_id));
    }
    if (!query.action.empty()) {
        const std::string a = p();
        binds.push_back(text(query.action));
        const std::string b = p();
        binds.push_back(text(like_prefix(query.action)));
        sql += " AND (action = " + a + " OR action LIKE " + b + " ESCAPE '\\')";
    }
    if (query.outcome == "failed") {
        sql += " AND outcome <> 'ok'";
    } else if (!query.outcome.empty()) {
        where("outcome = " + p(), text(query.outcome));
    }
    if (!query.operator_name.empty()) {
        where("operator_name = " + p(), text(query.operator_name));
    }
    sql += " ORDER BY seq DESC LIMIT " + p();
    binds.push_back(
        [n = static_cast<std::int64_t>(query.limit)](Statement& s, int i) { s.bind_int64(i, n); });

    Transaction tx{*m_db, Transaction::Mode::Read, purpose};
    Statement q{*m_db, sql, purpose};
    for (std::size_t i = 0; i < binds.size(); ++i) {
        binds[i](q, static_cast<int>(i + 1));
    }
    std::vector<service::AuditEntry> out;
    while (q.step()) {
        out.push_back(entry_from(q));
    }
    return out;
}

std::optional<service::AuditEntry> SqliteAuditStore::find(std::uint64_t seq) const {
    Transaction tx{*m_db, Transaction::Mode::Read, "read audit entry"};
    Statement q{*m_db, "SELECT " + std::string{kEntryColumns} + " FROM audit_log WHERE seq = ?1",
                "read audit entry"};
    q.bind_int64(1, static_cast<std::int64_t>(seq));
    if (!q.step()) {
        return std::nullopt;
    }
    return entry_from(q);
}

std::vector<service::AuditEntry> SqliteAuditStore::all() const {
    Transaction tx{*m_db, Transaction::Mode::Read, "read audit log"};
    Statement q{*m_db, "SELECT " + std::string{kEntryColumns} + " FROM audit_log ORDER BY seq",
                "read audit log"};
    std::vector<service::AuditEntry> out;
    while (q.step()) {
        out.push_back(entry_from(q));
    }
    return out;
}

}  // namespace inkan::storage
