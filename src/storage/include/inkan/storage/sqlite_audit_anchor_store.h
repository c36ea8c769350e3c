#pragma once

// service::AuditAnchorStore on SQLite (table audit_anchors, migration 10; the head is read from
// audit_log). Each method is one transaction.

#include <memory>

#include <inkan/service/audit_anchor.h>
#include <inkan/storage/sqlite.h>

namespace inkan::storage {

class SqliteAuditAnchorStore final : public service::AuditAnchorStore {
public:
    /// Shares the connection of the audit log's store.
    explicit SqliteAuditAnchorStore(std::shared_ptr<Database> db);

    [[nodiscard]] std::optional<std::pair<std::uint64_t, Bytes>> head() const override;
    std::uint64_t add(const service::AuditAnchor& anchor) override;
    [[nodiscard]] std::vector<service::AuditAnchor> all() const override;

private:
    std::shared_ptr<Database> m_db;
};

}  // namespace inkan::storage
