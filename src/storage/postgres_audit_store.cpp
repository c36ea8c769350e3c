// service::AuditStore on PostgreSQL (table audit_log; chain_locks; postgres_migrations.cpp).
//
// Appends from every node serialise on the chain's row in chain_locks: SELECT ... FOR UPDATE waits for
// the append before it to commit, and the head is read only after that (READ COMMITTED: each statement
// sees what committed before it started), so no two appends read the same head and the chain never
// forks. seq is the primary key as well: were the lock ever bypassed, the second insert of a seq fails
// (Errc::Conflict) instead of forking the chain.

#include <inkan/storage/postgres_service_stores.h>

#include <utility>

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

std::vector<service::AuditEntry> PostgresAuditStore::all() const {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Read, "read audit log"};
    const auto r =
        pg::Statement{tx,
                      "SELECT seq, at, action, outcome, user_id, client_id, credential_id, member_id, "
                      "operator_name, details, prev_hash, hash FROM audit_log ORDER BY seq",
                      "read audit log"}
            .run();
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

}  // namespace inkan::storage
