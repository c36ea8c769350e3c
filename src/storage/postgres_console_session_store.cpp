// service::ConsoleSessionStore on PostgreSQL (console_sessions; migration 17, decision 0041). touch and
// revoke are each one conditional UPDATE whose row count decides: of two nodes racing on one session, the
// second waits for the first's row lock, re-checks the condition on the committed row and changes nothing.

#include <inkan/storage/postgres_service_stores.h>

#include <utility>

#include <inkan/core/error.h>

namespace inkan::storage {

PostgresConsoleSessionStore::PostgresConsoleSessionStore(std::shared_ptr<pg::Pool> pool)
    : m_pool{std::move(pool)} {
    require(m_pool != nullptr, Errc::Internal, "PostgresConsoleSessionStore: no database");
}

void PostgresConsoleSessionStore::insert(const service::ConsoleSessionRecord& r) {
    require(r.token_hash.size() == 32 && !r.id.empty() && !r.user_id.empty(), Errc::InvalidRequest,
            "insert console session: bad id, hash or user");
    constexpr std::string_view purpose = "insert console session";
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, purpose};
    pg::Statement{tx,
                  "INSERT INTO console_sessions (id, token_hash, user_id, created_at, last_seen, revoked) "
                  "VALUES ($1, $2, $3, $4, $5, $6)",
                  purpose}
        .bind_text(r.id)
        .bind_blob(r.token_hash)
        .bind_text(r.user_id)
        .bind_time(r.created_at)
        .bind_time(r.last_seen)
        .bind_bool(r.revoked)
        .run();
    tx.commit();
}

std::optional<service::ConsoleSessionRecord> PostgresConsoleSessionStore::find(ByteView token_hash) const {
    constexpr std::string_view purpose = "find console session";
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Read, purpose};
    const auto q = pg::Statement{tx,
                                 "SELECT id, token_hash, user_id, created_at, last_seen, revoked "
                                 "FROM console_sessions WHERE token_hash = $1",
                                 purpose}
                       .bind_blob(token_hash)
                       .run();
    tx.commit();
    if (q.rows() == 0) {
        return std::nullopt;
    }
    service::ConsoleSessionRecord r;
    r.id = q.text(0, 0);
    r.token_hash = q.bytes(0, 1);
    r.user_id = q.text(0, 2);
    r.created_at = q.time(0, 3);
    r.last_seen = q.time(0, 4);
    r.revoked = q.boolean(0, 5);
    return r;
}

bool PostgresConsoleSessionStore::touch(std::string_view id, TimePoint now, TimePoint idle_since) {
    constexpr std::string_view purpose = "touch console session";
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, purpose};
    // GREATEST: a slow request finishing after a newer one must not move last_seen backwards.
    const bool changed = pg::Statement{tx,
                                       "UPDATE console_sessions SET last_seen = GREATEST(last_seen, $2) "
                                       "WHERE id = $1 AND NOT revoked AND last_seen > $3",
                                       purpose}
                             .bind_text(id)
                             .bind_time(now)
                             .bind_time(idle_since)
                             .run()
                             .affected() == 1;
    tx.commit();
    return changed;
}

bool PostgresConsoleSessionStore::revoke(std::string_view id) {
    constexpr std::string_view purpose = "revoke console session";
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, purpose};
    const bool changed =
        pg::Statement{tx, "UPDATE console_sessions SET revoked = TRUE WHERE id = $1 AND NOT revoked", purpose}
            .bind_text(id)
            .run()
            .affected() == 1;
    tx.commit();
    return changed;
}

std::size_t PostgresConsoleSessionStore::purge(TimePoint before) {
    constexpr std::string_view purpose = "purge console sessions";
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, purpose};
    const auto n = pg::Statement{tx, "DELETE FROM console_sessions WHERE last_seen < $1", purpose}
                       .bind_time(before)
                       .run()
                       .affected();
    tx.commit();
    return static_cast<std::size_t>(n);
}

}  // namespace inkan::storage
