// The audit archive's commit on SQLite (decision 0036): the range leaves audit_log, the checkpoint and
// the archive's own entry arrive, all in one transaction — or, when the log or the checkpoints moved since
// the archive was read, nothing at all. Real SQLite files; the rows read back through the stores.

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include <inkan/core/clock.h>
#include <inkan/core/error.h>
#include <inkan/service/audit.h>
#include <inkan/storage/sqlite_audit_archive_store.h>
#include <inkan/storage/sqlite_service_stores.h>
#include <inkan/testing/process.h>

namespace {

using inkan::Bytes;
using inkan::Errc;
using inkan::Error;
using inkan::service::AuditCheckpoint;
using inkan::service::AuditEntry;
using inkan::service::AuditEvent;
using inkan::service::AuditLog;
using inkan::storage::Database;
using inkan::storage::SqliteAuditArchiveStore;
using inkan::storage::SqliteAuditStore;
using inkan::testing::TempDir;

class SqliteAuditArchive : public ::testing::Test {
protected:
    void SetUp() override {
        for (int i = 1; i <= 6; ++i) {
            record("event " + std::to_string(i));
        }
    }

    void record(const std::string& action) {
        AuditEvent e;
        e.action = action;
        e.outcome = "ok";
        log.record(e);
    }

    /// A checkpoint for entries first..last as the log holds them now (the seal is the service's
    /// business; the store keeps the bytes).
    AuditCheckpoint checkpoint_for(std::uint64_t first, std::uint64_t last) {
        const auto all = audit.all();
        AuditCheckpoint c;
        c.first_seq = first;
        c.last_seq = last;
        c.count = last - first + 1;
        c.prev_hash = all.at(first - 1).prev_hash;
        c.last_hash = all.at(last - 1).hash;
        c.archive_sha256 = Bytes(32, 0xAB);
        c.archive_name = "audit-1.p7m";
        c.before = inkan::TimePoint{std::chrono::seconds{1000}};
        c.archived_at = inkan::TimePoint{std::chrono::seconds{2000}};
        c.seal = Bytes{0x30, 0x00};
        return c;
    }

    inkan::service::AuditEntryBuilder archive_entry() {
        AuditEvent e;
        e.action = "audit.archive";
        e.outcome = "ok";
        return log.entry_builder(e);
    }

    std::string state() {
        std::string out;
        for (const AuditEntry& e : audit.all()) {
            out += std::to_string(e.seq) + " ";
        }
        return out + "| " + std::to_string(store.checkpoints().size());
    }

    TempDir dir{"inkan-audit-archive-store"};
    std::shared_ptr<Database> db = std::make_shared<Database>(dir / "inkan.db");
    SqliteAuditStore audit{db};
    AuditLog log{audit, inkan::SystemClock::instance()};
    SqliteAuditArchiveStore store{db};
};

TEST_F(SqliteAuditArchive, CommitRemovesTheRangeKeepsTheCheckpointAndAppendsTheArchiveEntry) {
    const AuditCheckpoint c = checkpoint_for(1, 4);
    const std::uint64_t id = store.commit(c, 0, archive_entry());
    EXPECT_EQ(id, 1U);
    const auto left = audit.all();
    ASSERT_EQ(left.size(), 3U);
    EXPECT_EQ(left[0].seq, 5U);
    EXPECT_EQ(left[2].seq, 7U);
    EXPECT_EQ(left[2].event.action, "audit.archive");
    const auto stored = store.checkpoints();
    ASSERT_EQ(stored.size(), 1U);
    EXPECT_EQ(stored[0].first_seq, 1U);
    EXPECT_EQ(stored[0].last_seq, 4U);
    EXPECT_EQ(stored[0].count, 4U);
    EXPECT_EQ(stored[0].last_hash, c.last_hash);
    EXPECT_EQ(stored[0].archive_sha256, c.archive_sha256);
    EXPECT_EQ(stored[0].archive_name, "audit-1.p7m");
    EXPECT_EQ(stored[0].before, c.before);
    EXPECT_EQ(stored[0].seal, c.seal);
    // The chain goes on from the checkpoint.
    const auto v = log.verify(stored[0].last_seq, stored[0].last_hash);
    EXPECT_TRUE(v.ok) << v.problem;
    EXPECT_FALSE(log.verify().ok) << "from the genesis the archived entries are missing";
}

TEST_F(SqliteAuditArchive, ACommitAfterAnotherArchiveOrAChangedLogChangesNothing) {
    const std::string before = state();
    const auto expect_conflict = [&](const AuditCheckpoint& c, std::uint64_t expected_newest,
                                     const char* what) {
        try {
            (void)store.commit(c, expected_newest, archive_entry());
            ADD_FAILURE() << what << ": committed";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), Errc::Conflict) << what << ": " << e.what();
        }
        EXPECT_EQ(state(), before) << what;
    };
    expect_conflict(checkpoint_for(1, 4), 7, "another checkpoint expected");
    AuditCheckpoint stale = checkpoint_for(1, 4);
    stale.last_hash = Bytes(32, 0x11);
    expect_conflict(stale, 0, "the last entry's hash changed");
    expect_conflict(checkpoint_for(1, 6), 0, "the range reaches the head");
    AuditCheckpoint gap = checkpoint_for(2, 4);
    expect_conflict(gap, 0, "the range does not start at the oldest entry");
}

TEST_F(SqliteAuditArchive, ASecondArchiveFollowsTheFirst) {
    (void)store.commit(checkpoint_for(1, 2), 0, archive_entry());
    record("event after");
    const auto all = audit.all();  // 3..8 now
    AuditCheckpoint c;
    c.first_seq = 3;
    c.last_seq = 5;
    c.count = 3;
    c.prev_hash = all.at(0).prev_hash;
    c.last_hash = all.at(2).hash;
    c.archive_sha256 = Bytes(32, 0xCD);
    c.archive_name = "audit-2.p7m";
    c.seal = Bytes{0x30, 0x00};
    EXPECT_THROW((void)store.commit(c, 0, archive_entry()), Error) << "the first checkpoint is newer";
    EXPECT_EQ(store.commit(c, 1, archive_entry()), 2U);
    const auto stored = store.checkpoints();
    ASSERT_EQ(stored.size(), 2U);
    EXPECT_EQ(stored[1].prev_hash, stored[0].last_hash);
    const auto v = log.verify(stored[1].last_seq, stored[1].last_hash);
    EXPECT_TRUE(v.ok) << v.problem;
}

}  // namespace
