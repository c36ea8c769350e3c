// service::AuditStore on PostgreSQL (table audit_log; chain_locks; postgres_migrations.cpp).
//
// Appends from every node serialise on the chain's row in chain_locks: SELECT ... FOR UPDATE waits for
// the append before it to commit, and the head is read only after that (READ COMMITTED: each statement
// sees what committed before it started), so no two appends read the same head and the chain never
// forks. seq is the primary key as well: were the lock ever bypassed, the second insert of a seq fails
// (Errc::Conflict) instead of forking the chain.

#include <inkan/storage/postgres_service_stores.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace inkan::storage {

namespace pg::detail {

void append_audit_entry(pg::Transaction& tx, const service::AuditEntryBuilder& build,
                        std::string_view purpose) {
    const auto lock =
        pg::Statement{tx, "SELECT name FROM chain_locks WHERE name = 'audit' FOR UPDATE", purpose}.run();
    require(lock.rows() == 1, Errc::StorageFailure,
            "postgresql: " + std::string{purpose} + ": the audit chain's lock row is missing (chain_locks)");
    std::uint64_t next = 1;
    Bytes prev;
    {
        const auto head =
            pg::Statement{tx, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", purpose}.run();
        if (head.rows() == 1) {
            next = static_cast<std::uint64_t>(head.int64(0, 0)) + 1;
            prev = head.bytes(0, 1);
        }
    }
    const service::AuditEntry e = build(next, prev);
    require(e.seq == next, Errc::Internal, "append audit entry: the entry does not carry the next seq");
    pg::Statement{
        tx,
        "INSERT INTO audit_log (seq, at, action, outcome, user_id, client_id, credential_id, member_id, "
        "operator_name, details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        purpose}
        .bind_int64(static_cast<std::int64_t>(e.seq))
        .bind_time(e.at)
        .bind_text(e.event.action)
        .bind_text(e.event.outcome)
        .bind_text(e.event.user_id)
        .bind_text(e.event.client_id)
        .bind_text(e.event.credential_id)
        .bind_text(e.event.member_id)
        .bind_text(e.event.operator_name)
        .bind_text(e.event.details)
        .bind_blob(e.prev_hash)
        .bind_blob(e.hash)
        .run();
}

}  // namespace pg::detail

PostgresAuditStore::PostgresAuditStore(std::shared_ptr<pg::Pool> pool) : m_pool{std::move(pool)} {
    require(m_pool != nullptr, Errc::Internal, "PostgresAuditStore: no database");
}

void PostgresAuditStore::append(const service::AuditEntryBuilder& build) {
    constexpr std::string_view purpose = "append audit entry";
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, purpose};
    pg::detail::append_audit_entry(tx, build, purpose);
    tx.commit();
}

namespace {

constexpr std::string_view kEntryColumns =
    "seq, at, action, outcome, user_id, client_id, credential_id, member_id, operator_name, details, "
    "prev_hash, hash";

std::vector<service::AuditEntry> entries_from(const pg::Result& r) {
    std::vector<service::AuditEntry> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
        service::AuditEntry e;
        e.seq = static_cast<std::uint64_t>(r.int64(i, 0));
        e.at = r.time(i, 1);
        e.event.action = r.text(i, 2);
        e.event.outcome = r.text(i, 3);
        e.event.user_id = r.text(i, 4);
        e.event.client_id = r.text(i, 5);
        e.event.credential_id = r.text(i, 6);
        e.event.member_id = r.text(i, 7);
        e.event.operator_name = r.text(i, 8);
        e.event.details = r.text(i, 9);
        e.prev_hash = r.bytes(i, 10);
        e.hash = r.bytes(i, 11);
        out.push_back(std::move(e));
    }
    return out;
}

/// An action family as a LIKE prefix, its wildcards escaped (a family is a prefix, never a pattern).
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

std::vector<service::AuditEntry> PostgresAuditStore::all() const {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Read, "read audit log"};
    return entries_from(pg::Statement{
        tx, "SELECT " + std::string{kEntryColumns} + " FROM audit_log ORDER BY seq", "read audit log"}
                            .run());
}

std::vector<service::AuditEntry> PostgresAuditStore::search(const service::AuditQuery& query) const {
    constexpr std::string_view purpose = "search audit log";
    // The same selection as SqliteAuditStore::search: fixed SQL text, every value a bound parameter ($n in
    // the order bound), newest first, keyset paging on seq.
    std::string sql = "SELECT " + std::string{kEntryColumns} + " FROM audit_log WHERE TRUE";
    std::vector<std::function<void(pg::Statement&)>> binds;
    const auto p = [&] { return "$" + std::to_string(binds.size() + 1); };
    const auto text = [](std::string v) { return [v = std::move(v)](pg::Statement& s) { s.bind_text(v); }; };
    if (query.from) {
        sql += " AND at >= " + p();
        binds.push_back([t = *query.from](pg::Statement& s) { s.bind_time(t); });
    }
    if (query.to) {
        sql += " AND at < " + p();
        binds.push_back([t = *query.to](pg::Statement& s) { s.bind_time(t); });
    }
    if (query.before_seq) {
        sql += " AND seq < " + p();
        binds.push_back(
            [v = static_cast<std::int64_t>(*query.before_seq)](pg::Statement& s) { s.bind_int64(v); });
    }
    if (!query.user_id.empty()) {
        const std::string a = p();
        binds.push_back(text(query.user_id));
        sql += " AND (user_id = " + a + " OR member_id = " + a + ")";
    }
    if (!query.credential_id.empty()) {
        sql += " AND credential_id = " + p();
        binds.push_back(text(query.credential_id));
    }
    if (!query.client_id.empty()) {
        sql += " AND client_id = " + p();
        binds.push_back(text(query.client_id));
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
        sql += " AND outcome = " + p();
        binds.push_back(text(query.outcome));
    }
    if (!query.operator_name.empty()) {
        sql += " AND operator_name = " + p();
        binds.push_back(text(query.operator_name));
    }
    sql += " ORDER BY seq DESC LIMIT " + p();
    binds.push_back([n = static_cast<std::int64_t>(query.limit)](pg::Statement& s) { s.bind_int64(n); });

    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Read, purpose};
    pg::Statement q{tx, sql, purpose};
    for (const auto& bind : binds) {
        bind(q);
    }
    return entries_from(q.run());
}

std::optional<service::AuditEntry> PostgresAuditStore::find(std::uint64_t seq) const {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Read, "read audit entry"};
    auto out = entries_from(pg::Statement{
        tx, "SELECT " + std::string{kEntryColumns} + " FROM audit_log WHERE seq = $1", "read audit entry"}
                                .bind_int64(static_cast<std::int64_t>(seq))
                                .run());
    if (out.empty()) {
        return std::nullopt;
    }
    return std::move(out.front());
}

}  // namespace inkan::storage
