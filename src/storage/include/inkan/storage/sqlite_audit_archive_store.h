#pragma once

// service::AuditArchiveStore on SQLite (table audit_checkpoints, migration 15; the archived entries leave
// audit_log). Each method is one transaction.

#include <memory>

#include <inkan/service/audit_archive.h>
#include <inkan/storage/sqlite.h>

namespace inkan::storage {

class SqliteAuditArchiveStore final : public service::AuditArchiveStore {
public:
    /// Shares the connection of the audit log's store.
    explicit SqliteAuditArchiveStore(std::shared_ptr<Database> db);

    [[nodiscard]] std::vector<service::AuditCheckpoint> checkpoints() const override;
    std::uint64_t commit(const service::AuditCheckpoint& checkpoint, std::uint64_t expected_newest,
                         const service::AuditEntryBuilder& record) override;

private:
    std::shared_ptr<Database> m_db;
};

}  // namespace inkan::storage
