// service::AuditArchiveStore on SQLite (table audit_checkpoints, migration 15; decision 0036).

#include <inkan/storage/sqlite_audit_archive_store.h>

#include <utility>

#include "audit_chain_sql.h"

namespace inkan::storage {

SqliteAuditArchiveStore::SqliteAuditArchiveStore(std::shared_ptr<Database> db) : m_db{std::move(db)} {
    require(m_db != nullptr, Errc::Internal, "SqliteAuditArchiveStore: no database");
}

std::vector<service::AuditCheckpoint> SqliteAuditArchiveStore::checkpoints() const {
    constexpr std::string_view purpose = "read audit checkpoints";
    Transaction tx{*m_db, Transaction::Mode::Read, purpose};
    Statement q{*m_db,
                "SELECT id, first_seq, last_seq, count, prev_hash, last_hash, archive_sha256, archive_name, "
                "before_at, archived_at, seal FROM audit_checkpoints ORDER BY id",
                purpose};
    std::vector<service::AuditCheckpoint> out;
    while (q.step()) {
        service::AuditCheckpoint c;
        c.id = static_cast<std::uint64_t>(q.column_int64(0));
        c.first_seq = static_cast<std::uint64_t>(q.column_int64(1));
        c.last_seq = static_cast<std::uint64_t>(q.column_int64(2));
        c.count = static_cast<std::uint64_t>(q.column_int64(3));
        c.prev_hash = q.column_blob(4);
        c.last_hash = q.column_blob(5);
        c.archive_sha256 = q.column_blob(6);
        c.archive_name = q.column_text(7);
        c.before = q.column_time(8);
        c.archived_at = q.column_time(9);
        c.seal = q.column_blob(10);
        out.push_back(std::move(c));
    }
    return out;
}

std::uint64_t SqliteAuditArchiveStore::commit(const service::AuditCheckpoint& c,
                                              std::uint64_t expected_newest,
                                              const service::AuditEntryBuilder& record) {
    constexpr std::string_view purpose = "archive audit entries";
    // One short BEGIN IMMEDIATE transaction: the checks, the delete (a primary-key range), the
    // checkpoint and the archive's own audit entry commit together or not at all.
    Transaction tx{*m_db, Transaction::Mode::Write, purpose};
    {
        Statement newest{*m_db, "SELECT coalesce(max(id), 0) FROM audit_checkpoints", purpose};
        newest.step();
        require(static_cast<std::uint64_t>(newest.column_int64(0)) == expected_newest, Errc::Conflict,
                "another audit archive was committed meanwhile: nothing archived");
    }
    {
        Statement range{*m_db,
                        "SELECT count(*), coalesce(min(seq), 0), "
                        "(SELECT hash FROM audit_log WHERE seq = ?1), "
                        "(SELECT count(*) FROM audit_log WHERE seq > ?1) "
                        "FROM audit_log WHERE seq <= ?1",
                        purpose};
        range.bind_int64(1, static_cast<std::int64_t>(c.last_seq));
        range.step();
        const bool exact = static_cast<std::uint64_t>(range.column_int64(0)) == c.count &&
                           static_cast<std::uint64_t>(range.column_int64(1)) == c.first_seq &&
                           range.column_blob(2) == c.last_hash && range.column_int64(3) > 0;
        require(exact, Errc::Conflict,
                "the audit log changed under the archive (entries #" + std::to_string(c.first_seq) + " to #" +
                    std::to_string(c.last_seq) + " are not as read): nothing archived");
    }
    Statement del{*m_db, "DELETE FROM audit_log WHERE seq <= ?1", purpose};
    del.bind_int64(1, static_cast<std::int64_t>(c.last_seq)).run();
    Statement insert{*m_db,
                     "INSERT INTO audit_checkpoints (first_seq, last_seq, count, prev_hash, last_hash, "
                     "archive_sha256, archive_name, before_at, archived_at, seal) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                     purpose};
    insert.bind_int64(1, static_cast<std::int64_t>(c.first_seq))
        .bind_int64(2, static_cast<std::int64_t>(c.last_seq))
        .bind_int64(3, static_cast<std::int64_t>(c.count))
        .bind_blob(4, c.prev_hash)
        .bind_blob(5, c.last_hash)
        .bind_blob(6, c.archive_sha256)
        .bind_text(7, c.archive_name)
        .bind_time(8, c.before)
        .bind_time(9, c.archived_at)
        .bind_blob(10, c.seal)
        .run();
    Statement id{*m_db, "SELECT last_insert_rowid()", purpose};
    id.step();
    const auto out = static_cast<std::uint64_t>(id.column_int64(0));
    detail::append_audit_entry(*m_db, record, purpose);
    tx.commit();
    return out;
}

}  // namespace inkan::storage
