// SqliteHousekeepingStore: rows are put in with the sqlite3 CLI (an outside writer) and counted with it
// after each batch, so what is checked is the table, not inkan's reading of it.

#include <inkan/storage/sqlite_housekeeping.h>

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include <inkan/storage/sqlite.h>
#include <inkan/testing/process.h>

namespace inkan::storage {
namespace {

using inkan::testing::run;
using inkan::testing::TempDir;

class SqliteHousekeepingTest : public ::testing::Test {
protected:
    void SetUp() override {
        db = std::make_shared<Database>(dir / "inkan.db");
        // 1000 expired and 10 live of every kind; t=1000 is the purge's "before".
        sql("INSERT INTO users (id, name, display_name, role, password_hash, created_at) "
            "VALUES ('u1', 'alice', 'Alice', 'user', 'x', 0);"
            "INSERT INTO credentials (id, kind, owner_user_id, key_id, key_algo, ca, profile, scal, "
            "multisign, "
            "status, pin_hash, created_at) VALUES ('c1', 'personal', 'u1', x'01', 'ec-p256', 'ca', 'person', "
            "2, "
            "1, 'active', 'x', 0);"
            "INSERT INTO oauth_clients (id, name, confidential, created_at) VALUES ('cl', 'app', 0, 0);"
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1010) "
            "INSERT INTO sads (id, handle_hash, user_id, credential_id, scal, remaining, expires_at) "
            "SELECT 's' || i, randomblob(32), 'u1', 'c1', 2, 1, CASE WHEN i <= 1000 THEN 999 ELSE 5000 END "
            "FROM n;"
            "INSERT INTO sad_hashes (sad_id, ordinal, alg_oid, value) SELECT id, 0, "
            "'2.16.840.1.101.3.4.2.1', "
            "randomblob(32) FROM sads;"
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1010) "
            "INSERT INTO oauth_codes (hash, client_id, redirect_uri, user_id, grant_data, expires_at) "
            "SELECT randomblob(32), 'cl', 'https://x', 'u1', '{}', CASE WHEN i <= 1000 THEN 999 ELSE 5000 "
            "END "
            "FROM n;"
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1010) "
            "INSERT INTO oauth_pending (id, session_hash, client_id, request, stage, expires_at) "
            "SELECT 'p' || i, randomblob(32), 'cl', '{}', 'login', CASE WHEN i <= 1000 THEN 999 ELSE 5000 "
            "END "
            "FROM n;"
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1010) "
            "INSERT INTO oauth_account_tokens (client_id, jti, expires_at) "
            "SELECT 'cl', 'j' || i, CASE WHEN i <= 1000 THEN 999 ELSE 5000 END FROM n;"
            // Refresh r1 (expired) has an expired access token; r2 (expired) has a live one: it stays.
            "INSERT INTO tokens (id, hash, kind, user_id, issued_at, expires_at) VALUES "
            "('r1', randomblob(32), 'refresh', 'u1', 0, 999), ('r2', randomblob(32), 'refresh', 'u1', 0, "
            "999);"
            "INSERT INTO tokens (id, hash, kind, user_id, refresh_id, issued_at, expires_at) VALUES "
            "('a1', randomblob(32), 'access', 'u1', 'r1', 0, 999), "
            "('a2', randomblob(32), 'access', 'u1', 'r2', 0, 5000);"
            "INSERT INTO otp_state (user_id, failures, last_step) VALUES ('old', 0, 10), ('locked', 3, 10), "
            "('fresh', 0, 50);"
            "INSERT INTO audit_log (seq, at, action, outcome, prev_hash, hash) VALUES "
            "(1, 1, 'authorize', 'ok', zeroblob(32), zeroblob(32));");
    }

    std::string sql(const std::string& text) {
        const auto r = run({"sqlite3", "-batch", (dir / "inkan.db").string(), text});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return r.out;
    }
    long rows(const std::string& table) { return std::stol(sql("SELECT COUNT(*) FROM " + table)); }

    TempDir dir{"inkan-hk"};
    std::shared_ptr<Database> db;
};

TEST_F(SqliteHousekeepingTest, ABatchRemovesAtMostItsLimitOfEachKind) {
    SqliteHousekeepingStore store{db};
    const auto first = store.purge_batch(from_unix_seconds(1000), 40, 300);
    EXPECT_EQ(first.sads, 300U);
    EXPECT_EQ(first.codes, 300U);
    EXPECT_EQ(first.pending, 300U);
    EXPECT_EQ(first.account_tokens, 300U);
    EXPECT_EQ(rows("sads"), 710);
    EXPECT_EQ(rows("sad_hashes"), 710) << "a SAD's hashes go with it";
    service::PurgeCounts total = first;
    for (int i = 0; i < 4; ++i) {
        total += store.purge_batch(from_unix_seconds(1000), 40, 300);
    }
    EXPECT_EQ(total.sads, 1000U);
    EXPECT_EQ(total.codes, 1000U);
    EXPECT_EQ(total.pending, 1000U);
    EXPECT_EQ(total.account_tokens, 1000U);
    EXPECT_EQ(rows("sads"), 10);
    EXPECT_EQ(rows("sad_hashes"), 10);
    EXPECT_EQ(rows("oauth_codes"), 10);
    EXPECT_EQ(rows("oauth_pending"), 10);
    EXPECT_EQ(rows("oauth_account_tokens"), 10);
    EXPECT_EQ(sql("SELECT group_concat(id) FROM (SELECT id FROM tokens ORDER BY id)"), "a2,r2\n")
        << "a refresh token stays while an access token of its grant lives";
    EXPECT_EQ(total.tokens, 2U);
    EXPECT_EQ(sql("SELECT group_concat(user_id) FROM (SELECT user_id FROM otp_state ORDER BY user_id)"),
              "fresh,locked\n")
        << "a counted OTP failure and a recent step stay";
    EXPECT_EQ(rows("audit_log"), 1) << "the audit log is never purged";
}

TEST_F(SqliteHousekeepingTest, AfterARestoreNothingLiveRemainsAndCountersJumpAhead) {
    sql("INSERT INTO tsa_serials (name, next) VALUES ('default', 42);"
        "INSERT INTO ca_crl_numbers (ca, last) VALUES ('issuing', 7);"
        "INSERT INTO console_sessions (id, token_hash, user_id, created_at, last_seen) "
        "VALUES ('cs1', randomblob(32), 'u1', 0, 0);");
    SqliteHousekeepingStore store{db};
    const auto c = store.invalidate_after_restore();
    EXPECT_EQ(c.sads, 1010U);
    EXPECT_EQ(c.tokens, 4U);
    EXPECT_EQ(c.pending, 1010U);
    EXPECT_EQ(c.codes, 1010U);
    EXPECT_EQ(sql("SELECT COUNT(*) FROM sads WHERE retired = 0"), "0\n");
    EXPECT_EQ(sql("SELECT COUNT(*) FROM tokens WHERE revoked = 0"), "0\n");
    EXPECT_EQ(sql("SELECT COUNT(*) FROM console_sessions WHERE revoked = 0"), "0\n")
        << "a console session signed out after the backup must not come back";
    EXPECT_EQ(sql("SELECT next FROM tsa_serials"), "1000000042\n");
    EXPECT_EQ(sql("SELECT last FROM ca_crl_numbers"), "1000007\n");
    EXPECT_EQ(rows("audit_log"), 1);
}

}  // namespace
}  // namespace inkan::storage
