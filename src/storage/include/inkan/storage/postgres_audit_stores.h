#pragma once

// The audit chain's companions and housekeeping on PostgreSQL (issue 19, decision 0042): anchors
// (audit_anchors), archive checkpoints (audit_checkpoints) and the batched purge of expired rows. The
// archive commit locks the chain's row in chain_locks first, so it serialises with every node's appends
// and with other archives.

#include <memory>

#include <inkan/service/audit_anchor.h>
#include <inkan/service/audit_archive.h>
#include <inkan/service/housekeeping.h>
#include <inkan/storage/postgres.h>

namespace inkan::storage {

class PostgresAuditAnchorStore final : public service::AuditAnchorStore {
public:
    explicit PostgresAuditAnchorStore(std::shared_ptr<pg::Pool> pool);

    [[nodiscard]] std::optional<std::pair<std::uint64_t, Bytes>> head() const override;
    std::uint64_t add(const service::AuditAnchor& anchor) override;
    [[nodiscard]] std::vector<service::AuditAnchor> all() const override;

private:
    std::shared_ptr<pg::Pool> m_pool;
};

class PostgresAuditArchiveStore final : public service::AuditArchiveStore {
public:
    explicit PostgresAuditArchiveStore(std::shared_ptr<pg::Pool> pool);

    [[nodiscard]] std::vector<service::AuditCheckpoint> checkpoints() const override;
    std::uint64_t commit(const service::AuditCheckpoint& checkpoint, std::uint64_t expected_newest,
                         const service::AuditEntryBuilder& record) override;

private:
    std::shared_ptr<pg::Pool> m_pool;
};

/// Each kind deleted in batches of `limit` through a LIMITed sub-select on its expiry index, one short
/// transaction per kind. compact() does nothing: PostgreSQL's autovacuum reclaims the space.
class PostgresHousekeepingStore final : public service::HousekeepingStore {
public:
    explicit PostgresHousekeepingStore(std::shared_ptr<pg::Pool> pool);

    service::PurgeCounts purge_batch(TimePoint before, std::int64_t otp_step_before,
                                     std::size_t limit) override;
    void compact() override {}
    service::PurgeCounts invalidate_after_restore() override;

private:
    std::shared_ptr<pg::Pool> m_pool;
};

}  // namespace inkan::storage
