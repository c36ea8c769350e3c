#pragma once

// service::HousekeepingStore on SQLite (decision 0032): batched DELETEs over the tables of migrations
// 3, 4, 7 and 12 — sads (sad_hashes follow by ON DELETE CASCADE), tokens, oauth_pending, oauth_codes,
// oauth_account_tokens, otp_state — each `DELETE ... WHERE key IN (SELECT key ... LIMIT n)` in its own
// BEGIN IMMEDIATE transaction on the expiry indexes. audit_log and audit_anchors are never touched.

#include <memory>

#include <inkan/service/housekeeping.h>
#include <inkan/storage/sqlite.h>

namespace inkan::storage {

class SqliteHousekeepingStore final : public service::HousekeepingStore {
public:
    explicit SqliteHousekeepingStore(std::shared_ptr<Database> db);

    service::PurgeCounts purge_batch(TimePoint before, std::int64_t otp_step_before,
                                     std::size_t limit) override;
    /// A passive WAL checkpoint (Database::checkpoint()).
    void compact() override;
    service::PurgeCounts invalidate_after_restore() override;

private:
    std::shared_ptr<Database> m_db;
};

}  // namespace inkan::storage
