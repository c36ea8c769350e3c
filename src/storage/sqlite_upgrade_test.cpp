// Upgrades: every schema version ever released migrates forward to the current one with its data.
// For each k, a database is made at version k from the migration list itself (sqlite_migrations()
// cut after 1, 2, ..., k), filled through the sqlite3 CLI after each step with representative rows of
// the tables that step created (as inkan of that version wrote them), then opened with the current code: the
// schema reaches the newest version, every row is still there, and the current stores read them.

#include <inkan/storage/sqlite.h>

#include <map>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include <inkan/core/bytes.h>
#include <inkan/core/encoding.h>
#include <inkan/storage/sqlite_service_stores.h>
#include <inkan/testing/process.h>

namespace inkan::storage {
namespace {

using inkan::testing::run;
using inkan::testing::TempDir;

/// The rows a version's tables get, keyed by the migration that created the tables, inserted right
/// after that migration: against its schema (not today's), as an older inkan left them behind.
const std::map<int, std::string>& seeds() {
    static const std::map<int, std::string> s = {
        {1,
         "INSERT INTO ca_serials (ca, serial, reserved_at) VALUES ('root', x'0102', 100);"
         "INSERT INTO ca_certificates (ca, serial, subject, profile, not_before, not_after, der) VALUES "
         "('root', x'0102', 'CN=Alice', 'person', 100, 200, x'3000');"
         "INSERT INTO ca_crl_numbers (ca, last) VALUES ('root', 7);"},
        {2,
         "INSERT INTO users (id, name, display_name, role, password_hash, created_at) VALUES "
         "('u1', 'alice', 'Alice', 'user', '$argon2id$x', 100);"
         "INSERT INTO credentials (id, kind, owner_user_id, key_id, key_algo, ca, profile, scal, multisign, "
         "status, pin_hash, created_at) VALUES ('c1', 'personal', 'u1', x'0a0b', 'ec-p256', 'root', "
         "'person', "
         "2, 1, 'active', '$argon2id$p', 100),"
         "('c2', 'seal', NULL, x'0c0d', 'rsa-3072', 'root', 'seal', 1, 5, 'active', NULL, 100);"
         "INSERT INTO seal_members (credential_id, user_id, pin_hash, added_at) VALUES ('c2', 'u1', 'h', "
         "100);"
         // tokens.hash: any 32 bytes (the store looks tokens up by them)
         "INSERT INTO tokens (id, hash, kind, user_id, issued_at, expires_at) VALUES ('r1', "
         "x'a9d4c6d4d5b3c1a6a0a32a79fd0f7e2e2b9bea7ad2e0d0bd9aa0b8b5f5a3d3a1', 'refresh', 'u1', 100, "
         "9000000000);"
         "INSERT INTO tokens (id, hash, kind, user_id, refresh_id, issued_at, expires_at) VALUES ('a1', "
         "x'b9d4c6d4d5b3c1a6a0a32a79fd0f7e2e2b9bea7ad2e0d0bd9aa0b8b5f5a3d3a1', 'access', 'u1', 'r1', 100, "
         "9000000000);"},
        {3,
         "INSERT INTO sads (id, handle_hash, user_id, credential_id, scal, remaining, expires_at) VALUES "
         "('s1', x'01', 'u1', 'c1', 2, 1, 9000000000);"
         "INSERT INTO sad_hashes (sad_id, ordinal, alg_oid, value) VALUES ('s1', 0, "
         "'2.16.840.1.101.3.4.2.1', "
         "x'02');"
         "INSERT INTO pin_failures (credential_id, user_id, count) VALUES ('c1', 'u1', 2);"
         "INSERT INTO otp_state (user_id, failures, last_step) VALUES ('u1', 1, 555);"
         "INSERT INTO audit_log (seq, at, action, outcome, user_id, prev_hash, hash) VALUES "
         "(1, 100, 'authorize', 'ok', 'u1', zeroblob(32), x'11');"},
        {4,
         "INSERT INTO oauth_clients (id, name, confidential, secret_hash, created_at) VALUES "
         "('cl1', 'app', 1, x'aa', 100);"
         "INSERT INTO oauth_redirect_uris (client_id, ordinal, uri) VALUES ('cl1', 0, 'https://app/cb');"
         "INSERT INTO oauth_client_seals (client_id, credential_id) VALUES ('cl1', 'c2');"
         "INSERT INTO oauth_pending (id, session_hash, client_id, request, stage, expires_at) VALUES "
         "('p1', x'bb', 'cl1', '{}', 'login', 9000000000);"
         "INSERT INTO oauth_codes (hash, client_id, redirect_uri, user_id, grant_data, expires_at) VALUES "
         "(x'cc', 'cl1', 'https://app/cb', 'u1', '{}', 9000000000);"
         "INSERT INTO tokens (id, hash, kind, user_id, client_id, issued_at, expires_at) VALUES "
         "('sys1', x'dd', 'access', NULL, 'cl1', 100, 9000000000);"},
        {5, "INSERT INTO tsa_serials (name, next) VALUES ('default', 42);"},
        {7,
         "INSERT INTO oauth_account_tokens (client_id, jti, expires_at) VALUES ('cl1', 'j1', 9000000000);"},
        {10,
         "INSERT INTO audit_anchors (seq, head_hash, at, token) VALUES (1, "
         "x'0000000000000000000000000000000000000000000000000000000000000011', 100, x'3000');"},
    };
    return s;
}

/// Every table and how many rows it has once all seeds up to `k` ran.
std::map<std::string, int> expected_rows(int k) {
    std::map<std::string, int> n;
    const auto at = [&](int v, std::initializer_list<std::pair<const char*, int>> tables) {
        if (k >= v) {
            for (const auto& [t, c] : tables) {
                n[t] += c;
            }
        }
    };
    at(1, {{"ca_serials", 1}, {"ca_certificates", 1}, {"ca_crl_numbers", 1}});
    at(2, {{"users", 1}, {"credentials", 2}, {"seal_members", 1}, {"tokens", 2}});
    at(3, {{"sads", 1}, {"sad_hashes", 1}, {"pin_failures", 1}, {"otp_state", 1}, {"audit_log", 1}});
    at(4, {{"oauth_clients", 1},
           {"oauth_redirect_uris", 1},
           {"oauth_client_seals", 1},
           {"oauth_pending", 1},
           {"oauth_codes", 1},
           {"tokens", 1}});
    at(5, {{"tsa_serials", 1}});
    at(7, {{"oauth_account_tokens", 1}});
    at(10, {{"audit_anchors", 1}});
    return n;
}

class SqliteUpgradeTest : public ::testing::TestWithParam<int> {
protected:
    std::string sql(const std::string& text) {
        const auto r = run({"sqlite3", "-batch", (dir / "inkan.db").string(), text});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return r.out;
    }
    TempDir dir{"inkan-upgrade"};
};

TEST_P(SqliteUpgradeTest, ADatabaseOfThisVersionMigratesToTheCurrentOneWithItsRows) {
    const auto all = sqlite_migrations();
    const int k = GetParam();
    // Version by version: each migration applied, then the rows that version's inkan wrote into the
    // tables it created (so a later migration's backfill runs over them, as it did in the field).
    for (std::size_t count = 1; count <= all.size() && all[count - 1].version <= k; ++count) {
        {
            Database step{dir / "inkan.db", {}, all.first(count)};
            ASSERT_EQ(step.schema_version(), all[count - 1].version);
        }
        if (const auto seed = seeds().find(all[count - 1].version); seed != seeds().end()) {
            sql(seed->second);
        }
    }

    Database current{dir / "inkan.db"};
    EXPECT_EQ(current.schema_version(), all.back().version);
    for (const auto& [table, n] : expected_rows(k)) {
        EXPECT_EQ(sql("SELECT COUNT(*) FROM " + table), std::to_string(n) + "\n")
            << table << " from version " << k;
    }
    EXPECT_EQ(sql("PRAGMA foreign_key_check"), "") << "from version " << k;
    EXPECT_EQ(sql("PRAGMA integrity_check"), "ok\n");

    // The current stores read what the old version wrote, with the later columns' defaults.
    auto db = std::shared_ptr<Database>(&current, [](Database*) {});
    if (k >= 2) {
        SqliteUserStore users{db};
        const auto alice = users.find_by_name("alice");
        ASSERT_TRUE(alice.has_value()) << "from version " << k;
        EXPECT_EQ(alice->display_name, "Alice");
        SqliteCredentialStore credentials{db};
        const auto c1 = credentials.find("c1");
        ASSERT_TRUE(c1.has_value());
        EXPECT_EQ(c1->owner_user_id, "u1");
        EXPECT_EQ(c1->auth_mode, service::AuthMode::Explicit);
        EXPECT_EQ(c1->signature_qualifier, "eu_eidas_aes");
        const auto c2 = credentials.find("c2");
        ASSERT_TRUE(c2.has_value());
        EXPECT_EQ(c2->signature_qualifier, "eu_eidas_aeseal");
        EXPECT_EQ(credentials.members("c2").size(), 1U);
        SqliteTokenStore tokens{db};
        const auto r1 = tokens.find_by_hash(
            hex_decode("a9d4c6d4d5b3c1a6a0a32a79fd0f7e2e2b9bea7ad2e0d0bd9aa0b8b5f5a3d3a1"));
        ASSERT_TRUE(r1.has_value());
        EXPECT_EQ(r1->id, "r1");
        EXPECT_EQ(r1->family_id, "");
    }
    if (k >= 3) {
        EXPECT_EQ(sql("SELECT origin, hard_expires_at = expires_at FROM sads"), "authorize|1\n");
        SqliteAuthorizationStore authorization{db};
        EXPECT_EQ(authorization.otp_failures("u1"), 1);
        EXPECT_FALSE(authorization.use_otp_step("u1", 555)) << "the recorded step still protects";
    }
    if (k >= 5) {
        EXPECT_EQ(sql("SELECT next FROM tsa_serials"), "42\n");
    }
}

std::vector<int> earlier_versions() {
    std::vector<int> v;
    for (const auto& m : sqlite_migrations()) {
        if (m.version != sqlite_migrations().back().version) {
            v.push_back(m.version);
        }
    }
    return v;
}

std::string version_name(const ::testing::TestParamInfo<int>& p) {
    return "FromVersion" + std::to_string(p.param);
}

INSTANTIATE_TEST_SUITE_P(EveryEarlierVersion, SqliteUpgradeTest, ::testing::ValuesIn(earlier_versions()),
                         version_name);

TEST(SqliteUpgrade, ADatabaseFromANewerVersionIsRefusedAndLeftAlone) {
    TempDir dir{"inkan-upgrade"};
    { Database db{dir / "inkan.db"}; }
    ASSERT_EQ(run({"sqlite3", (dir / "inkan.db").string(),
                   "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)"})
                  .exit_code,
              0);
    try {
        Database db{dir / "inkan.db"};
        ADD_FAILURE() << "opened a database from a newer version";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::StorageFailure);
        EXPECT_NE(std::string{e.what()}.find("newer than this build"), std::string::npos) << e.what();
    }
    EXPECT_EQ(run({"sqlite3", (dir / "inkan.db").string(), "SELECT MAX(version) FROM schema_migrations"}).out,
              "9999\n");
}

}  // namespace
}  // namespace inkan::storage
