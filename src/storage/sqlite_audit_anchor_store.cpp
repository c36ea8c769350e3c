// service::AuditAnchorStore on SQLite (table audit_anchors, migration 10).

#include <inkan/storage/sqlite_audit_anchor_store.h>

#include <utility>

namespace inkan::storage {

SqliteAuditAnchorStore::SqliteAuditAnchorStore(std::shared_ptr<Database> db) : m_db{std::move(db)} {
    require(m_db != nullptr, Errc::Internal, "SqliteAuditAnchorStore: no database");
}

std::optional<std::pair<std::uint64_t, Bytes>> SqliteAuditAnchorStore::head() const {
    Transaction tx{*m_db, Transaction::Mode::Read, "read the audit head"};
    Statement q{*m_db, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", "read the audit head"};
    if (!q.step()) {
        return std::nullopt;
    }
    return std::pair{static_cast<std::uint64_t>(q.column_int64(0)), q.column_blob(1)};
}

std::uint64_t SqliteAuditAnchorStore::add(const service::AuditAnchor& anchor) {
    constexpr std::string_view purpose = "add audit anchor";
    Transaction tx{*m_db, Transaction::Mode::Write, purpose};
    Statement insert{*m_db, "INSERT INTO audit_anchors (seq, head_hash, at, token) VALUES (?1, ?2, ?3, ?4)",
                     purpose};
    insert.bind_int64(1, static_cast<std::int64_t>(anchor.seq))
        .bind_blob(2, anchor.head_hash)
        .bind_time(3, anchor.at)
        .bind_blob(4, anchor.token)
        .run();
    Statement id{*m_db, "SELECT last_insert_rowid()", purpose};
    id.step();
    const auto out = static_cast<std::uint64_t>(id.column_int64(0));
    tx.commit();
    return out;
}

std::vector<service::AuditAnchor> SqliteAuditAnchorStore::all() const {
    Transaction tx{*m_db, Transaction::Mode::Read, "read audit anchors"};
    Statement q{*m_db, "SELECT id, seq, head_hash, at, token FROM audit_anchors ORDER BY id",
                "read audit anchors"};
    std::vector<service::AuditAnchor> out;
    while (q.step()) {
        service::AuditAnchor a;
        a.id = static_cast<std::uint64_t>(q.column_int64(0));
        a.seq = static_cast<std::uint64_t>(q.column_int64(1));
        a.head_hash = q.column_blob(2);
        a.at = q.column_time(3);
        a.token = q.column_blob(4);
        out.push_back(std::move(a));
    }
    return out;
}

}  // namespace inkan::storage
