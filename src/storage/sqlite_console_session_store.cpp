// service::ConsoleSessionStore on SQLite (console_sessions; migration 17, decision 0041). touch and revoke
// are each one conditional UPDATE whose change count decides, so two nodes cannot disagree on whether a
// session is alive.

#include <inkan/storage/sqlite_service_stores.h>

#include <utility>

#include <inkan/core/error.h>

namespace inkan::storage {

SqliteConsoleSessionStore::SqliteConsoleSessionStore(std::shared_ptr<Database> db) : m_db{std::move(db)} {
    require(m_db != nullptr, Errc::Internal, "SqliteConsoleSessionStore: no database");
}

void SqliteConsoleSessionStore::insert(const service::ConsoleSessionRecord& r) {
    require(r.token_hash.size() == 32 && !r.id.empty() && !r.user_id.empty(), Errc::InvalidRequest,
            "insert console session: bad id, hash or user");
    constexpr std::string_view purpose = "insert console session";
    Transaction tx{*m_db, Transaction::Mode::Write, purpose};
    Statement q{*m_db,
                "INSERT INTO console_sessions (id, token_hash, user_id, created_at, last_seen, revoked) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                purpose};
    q.bind_text(1, r.id)
        .bind_blob(2, r.token_hash)
        .bind_text(3, r.user_id)
        .bind_time(4, r.created_at)
        .bind_time(5, r.last_seen)
        .bind_int64(6, r.revoked ? 1 : 0)
        .run();
    tx.commit();
}

std::optional<service::ConsoleSessionRecord> SqliteConsoleSessionStore::find(ByteView token_hash) const {
    constexpr std::string_view purpose = "find console session";
    Transaction tx{*m_db, Transaction::Mode::Read, purpose};
    Statement q{*m_db,
                "SELECT id, token_hash, user_id, created_at, last_seen, revoked FROM console_sessions "
                "WHERE token_hash = ?1",
                purpose};
    q.bind_blob(1, token_hash);
    if (!q.step()) {
        return std::nullopt;
    }
    service::ConsoleSessionRecord r;
    r.id = q.column_text(0);
    r.token_hash = q.column_blob(1);
    r.user_id = q.column_text(2);
    r.created_at = q.column_time(3);
    r.last_seen = q.column_time(4);
    r.revoked = q.column_int64(5) != 0;
    return r;
}

bool SqliteConsoleSessionStore::touch(std::string_view id, TimePoint now, TimePoint idle_since) {
    constexpr std::string_view purpose = "touch console session";
    Transaction tx{*m_db, Transaction::Mode::Write, purpose};
    Statement q{*m_db,
                "UPDATE console_sessions SET last_seen = max(last_seen, ?2) "
                "WHERE id = ?1 AND revoked = 0 AND last_seen > ?3",
                purpose};
    q.bind_text(1, id).bind_time(2, now).bind_time(3, idle_since).run();
    const bool changed = m_db->changes() == 1;
    tx.commit();
    return changed;
}

bool SqliteConsoleSessionStore::revoke(std::string_view id) {
    constexpr std::string_view purpose = "revoke console session";
    Transaction tx{*m_db, Transaction::Mode::Write, purpose};
    Statement q{*m_db, "UPDATE console_sessions SET revoked = 1 WHERE id = ?1 AND revoked = 0", purpose};
    q.bind_text(1, id).run();
    const bool changed = m_db->changes() == 1;
    tx.commit();
    return changed;
}

std::size_t SqliteConsoleSessionStore::purge(TimePoint before) {
    constexpr std::string_view purpose = "purge console sessions";
    Transaction tx{*m_db, Transaction::Mode::Write, purpose};
    Statement q{*m_db, "DELETE FROM console_sessions WHERE last_seen < ?1", purpose};
    q.bind_time(1, before).run();
    const auto n = static_cast<std::size_t>(m_db->changes());
    tx.commit();
    return n;
}

}  // namespace inkan::storage
