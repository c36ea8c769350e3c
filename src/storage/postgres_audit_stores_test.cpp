// Audit anchors, archive checkpoints and housekeeping on PostgreSQL. Housekeeping's rows are put in and
// counted with psql (an outside writer and reader), as the SQLite test does with the sqlite3 CLI.

#include <inkan/storage/postgres_audit_stores.h>

#include <memory>

#include <gtest/gtest.h>

#include <inkan/service/audit.h>
#include <inkan/storage/postgres_service_stores.h>

#include "postgres_test_support.h"
#include "service_store_backend.h"

namespace inkan::storage {
namespace {

using inkan::testing::shared_postgres;
using inkan::testing::TestDatabase;
using testing::at;
using testing::node_options;

class PostgresAudit : public ::testing::Test {
protected:
    void SetUp() override {
        INKAN_REQUIRE_POSTGRES();
        db = std::make_unique<TestDatabase>(*shared_postgres());
        pool = pg::open_database(node_options(*db, 2));
        audit = std::make_unique<PostgresAuditStore>(pool);
        log = std::make_unique<service::AuditLog>(*audit, SystemClock::instance());
    }
    void append(int n) {
        for (int i = 0; i < n; ++i) {
            log->record({"token.issue", "ok", "u-alice", "app", "", "", "", "{}"});
        }
    }
    std::unique_ptr<TestDatabase> db;
    std::shared_ptr<pg::Pool> pool;
    std::unique_ptr<PostgresAuditStore> audit;
    std::unique_ptr<service::AuditLog> log;
};

TEST_F(PostgresAudit, AnchorsReadTheHeadAndGetIncreasingIds) {
    PostgresAuditAnchorStore anchors{pool};
    EXPECT_FALSE(anchors.head().has_value()) << "an empty log has no head";
    append(2);
    const auto head = anchors.head();
    ASSERT_TRUE(head.has_value());
    EXPECT_EQ(head->first, 2U);
    EXPECT_EQ(head->second, audit->all().back().hash);
    service::AuditAnchor a;
    a.seq = 2;
    a.head_hash = head->second;
    a.at = at(1'900'000'000);
    a.token = Bytes{0x30, 0x03, 0x02, 0x01, 0x00};
    EXPECT_EQ(anchors.add(a), 1U);
    EXPECT_EQ(anchors.add(a), 2U);
    const auto all = PostgresAuditAnchorStore{pg::open_database(node_options(*db, 1))}.all();
    ASSERT_EQ(all.size(), 2U);
    EXPECT_EQ(all[1].id, 2U);
    EXPECT_EQ(all[1].seq, 2U);
    EXPECT_EQ(all[1].head_hash, head->second);
    EXPECT_EQ(testing::text(all[1].at), testing::text(a.at));
    EXPECT_EQ(all[1].token, a.token);
}

service::AuditCheckpoint checkpoint_of(const std::vector<service::AuditEntry>& entries, std::size_t last) {
    service::AuditCheckpoint c;
    c.first_seq = entries.front().seq;
    c.last_seq = entries[last].seq;
    c.count = last + 1;
    c.prev_hash = entries.front().prev_hash;
    c.last_hash = entries[last].hash;
    c.archive_sha256 = Bytes(32, 0xAB);
    c.archive_name = "audit-1.p7m";
    c.before = at(1'900'000'000);
    c.archived_at = at(1'900'000'100);
    c.seal = Bytes{0x30, 0x00};
    return c;
}

TEST_F(PostgresAudit, AnArchiveMovesEntriesOutAndTheChainResumesFromItsCheckpoint) {
    append(5);
    PostgresAuditArchiveStore archive{pool};
    const auto c = checkpoint_of(audit->all(), 2);
    EXPECT_EQ(archive.commit(c, 0, log->entry_builder({"audit.archive", "ok", "", "", "", "", "op", "{}"})),
              1U);
    const auto left = audit->all();
    ASSERT_EQ(left.size(), 3U) << "entries 4, 5 and the archive's own";
    EXPECT_EQ(left.front().seq, 4U);
    EXPECT_EQ(left.back().event.action, "audit.archive");
    const auto verification = log->verify(c.last_seq, c.last_hash);
    EXPECT_TRUE(verification.ok) << verification.problem;
    const auto checkpoints = archive.checkpoints();
    ASSERT_EQ(checkpoints.size(), 1U);
    EXPECT_EQ(checkpoints[0].id, 1U);
    EXPECT_EQ(checkpoints[0].first_seq, 1U);
    EXPECT_EQ(checkpoints[0].last_seq, 3U);
    EXPECT_EQ(checkpoints[0].last_hash, c.last_hash);
    EXPECT_EQ(checkpoints[0].archive_name, "audit-1.p7m");
    EXPECT_EQ(checkpoints[0].seal, c.seal);
}

TEST_F(PostgresAudit, AnArchiveOfAChangedLogOrAfterAnotherArchiveChangesNothing) {
    append(5);
    PostgresAuditArchiveStore archive{pool};
    auto c = checkpoint_of(audit->all(), 2);
    auto wrong = c;
    wrong.last_hash = Bytes(32, 0x00);
    const auto entry = log->entry_builder({"audit.archive", "ok", "", "", "", "", "op", "{}"});
    EXPECT_EQ(testing::code_of([&] { (void)archive.commit(wrong, 0, entry); }), Errc::Conflict);
    EXPECT_EQ(testing::code_of([&] { (void)archive.commit(c, 7, entry); }), Errc::Conflict)
        << "the newest checkpoint is not the one expected";
    EXPECT_EQ(audit->all().size(), 5U) << "nothing archived";
    EXPECT_TRUE(archive.checkpoints().empty());
}

class PostgresHousekeeping : public ::testing::Test {
protected:
    void SetUp() override {
        INKAN_REQUIRE_POSTGRES();
        db = std::make_unique<TestDatabase>(*shared_postgres());
        pool = pg::open_database(node_options(*db, 1));
        // 1000 expired and 10 live rows of every kind; t=1000 is the purge's "before".
        db->psql(
            "INSERT INTO users (id, name, display_name, role, password_hash, created_at) VALUES "
            "('u1', 'alice', 'Alice', 'user', 'x', 0);"
            "INSERT INTO credentials (id, kind, owner_user_id, key_id, key_algo, ca, profile, scal, "
            "multisign, "
            "status, pin_hash, created_at) VALUES ('c1', 'personal', 'u1', '\\x01', 'ec-p256', 'ca', "
            "'person', 2, "
            "1, 'active', 'x', 0);"
            "INSERT INTO oauth_clients (id, name, confidential, created_at) VALUES ('cl', 'app', false, 0);"
            "INSERT INTO sads (id, handle_hash, user_id, credential_id, scal, remaining, expires_at) "
            "SELECT 's' || i, sha256(i::text::bytea), 'u1', 'c1', 2, 1, CASE WHEN i <= 1000 THEN 999 ELSE "
            "5000 END "
            "FROM generate_series(1, 1010) i;"
            "INSERT INTO sad_hashes (sad_id, ordinal, alg_oid, value) "
            "SELECT id, 0, '2.16.840.1.101.3.4.2.1', handle_hash FROM sads;"
            "INSERT INTO oauth_codes (hash, client_id, redirect_uri, user_id, grant_data, expires_at) "
            "SELECT sha256(('c' || i)::bytea), 'cl', 'https://x', 'u1', '{}', "
            "CASE WHEN i <= 1000 THEN 999 ELSE 5000 END FROM generate_series(1, 1010) i;"
            "INSERT INTO oauth_pending (id, session_hash, client_id, request, stage, expires_at) "
            "SELECT 'p' || i, sha256(('p' || i)::bytea), 'cl', '{}', 'login', "
            "CASE WHEN i <= 1000 THEN 999 ELSE 5000 END FROM generate_series(1, 1010) i;"
            "INSERT INTO oauth_account_tokens (client_id, jti, expires_at) "
            "SELECT 'cl', 'j' || i, CASE WHEN i <= 1000 THEN 999 ELSE 5000 END FROM generate_series(1, 1010) "
            "i;"
            // Refresh r1 (expired) has an expired access token; r2 (expired) has a live one: it stays.
            "INSERT INTO tokens (id, hash, kind, user_id, issued_at, expires_at) VALUES "
            "('r1', '\\x01', 'refresh', 'u1', 0, 999), ('r2', '\\x02', 'refresh', 'u1', 0, 999);"
            "INSERT INTO tokens (id, hash, kind, user_id, refresh_id, issued_at, expires_at) VALUES "
            "('a1', '\\x03', 'access', 'u1', 'r1', 0, 999), ('a2', '\\x04', 'access', 'u1', 'r2', 0, 5000);"
            "INSERT INTO otp_state (user_id, failures, last_step) VALUES ('old', 0, 10), ('locked', 3, 10), "
            "('recent', 0, 50);"
            "INSERT INTO tsa_serials (name, next) VALUES ('tsa', 17);"
            "INSERT INTO ca_crl_numbers (ca, last) VALUES ('root', 4);");
    }
    std::string count(const std::string& table) { return db->psql("SELECT count(*) FROM " + table); }
    std::unique_ptr<TestDatabase> db;
    std::shared_ptr<pg::Pool> pool;
};

TEST_F(PostgresHousekeeping, BatchesRemoveOnlyExpiredRowsAndAtMostTheLimitEach) {
    PostgresHousekeepingStore store{pool};
    const auto first = store.purge_batch(at(1000), 20, 400);
    EXPECT_EQ(first.sads, 400U);
    EXPECT_EQ(first.codes, 400U);
    EXPECT_EQ(first.pending, 400U);
    EXPECT_EQ(first.account_tokens, 400U);
    EXPECT_EQ(first.tokens, 2U) << "a1, then its expired refresh token r1; r2 keeps a live access token";
    EXPECT_EQ(first.otp_steps, 1U) << "'old' only: 'locked' counts failures, 'recent' is within the window";
    service::PurgeCounts total = first;
    for (int i = 0; i < 5; ++i) {
        total += store.purge_batch(at(1000), 20, 400);
    }
    EXPECT_EQ(total.sads, 1000U);
    EXPECT_EQ(count("sads"), "10\n");
    EXPECT_EQ(count("sad_hashes"), "10\n") << "a SAD's hashes go with it";
    EXPECT_EQ(count("oauth_codes"), "10\n");
    EXPECT_EQ(count("oauth_pending"), "10\n");
    EXPECT_EQ(count("oauth_account_tokens"), "10\n");
    EXPECT_EQ(db->psql("SELECT string_agg(id, ',' ORDER BY id) FROM tokens"), "a2,r2\n");
    EXPECT_EQ(db->psql("SELECT string_agg(user_id, ',' ORDER BY user_id) FROM otp_state"), "locked,recent\n");
    store.compact();
}

TEST_F(PostgresHousekeeping, AfterARestoreNothingLiveSurvivesAndCountersJumpAhead) {
    PostgresHousekeepingStore store{pool};
    const auto c = store.invalidate_after_restore();
    EXPECT_EQ(c.sads, 1010U);
    EXPECT_EQ(c.tokens, 4U);
    EXPECT_EQ(c.pending, 1010U);
    EXPECT_EQ(c.codes, 1010U);
    EXPECT_EQ(db->psql("SELECT count(*) FROM sads WHERE NOT retired"), "0\n");
    EXPECT_EQ(db->psql("SELECT next FROM tsa_serials"), "1000000017\n");
    EXPECT_EQ(db->psql("SELECT last FROM ca_crl_numbers"), "1000004\n");
}

}  // namespace
}  // namespace inkan::storage
