// The service port suites on SQLite, plus what only the SQLite adapters have (the schema, the chain
// column's encoding), checked with the sqlite3 CLI where an outside view helps.

#include <inkan/storage/sqlite_service_stores.h>

#include <memory>

#include <gtest/gtest.h>

#include <inkan/core/encoding.h>
#include <inkan/crypto/digest.h>
#include <inkan/storage/sqlite.h>
#include <inkan/testing/process.h>

#include "async_store_suite.h"
#include "audit_store_suite.h"
#include "authorization_store_suite.h"
#include "console_session_store_suite.h"
#include "credential_store_suite.h"
#include "oauth_store_suite.h"
#include "token_store_suite.h"
#include "user_store_suite.h"

namespace inkan::storage {
namespace {

using inkan::testing::run;
using inkan::testing::TempDir;
using testing::AsyncStoreSuite;
using testing::AuditStoreSuite;
using testing::AuthorizationStoreSuite;
using testing::ConsoleSessionStoreSuite;
using testing::CredentialStoreSuite;
using testing::OAuthStoreSuite;
using testing::ServiceStores;
using testing::ServiceStoresBackend;
using testing::ServiceStoresFactory;
using testing::TokenStoreSuite;
using testing::UserStoreSuite;

/// Each call of the factory is one "node": its own connection, shared by its three stores.
ServiceStoresFactory fresh_sqlite_database() {
    auto dir = std::make_shared<TempDir>("inkan-db");
    return [dir]() {
        auto db = std::make_shared<Database>(dir->path() / "inkan.db");
        return ServiceStores{
            std::make_unique<SqliteUserStore>(db),       std::make_unique<SqliteCredentialStore>(db),
            std::make_unique<SqliteTokenStore>(db),      std::make_unique<SqliteAuthorizationStore>(db),
            std::make_unique<SqliteAuditStore>(db),      std::make_unique<SqliteOAuthClientStore>(db),
            std::make_unique<SqliteOAuthGrantStore>(db), std::make_unique<SqliteConsoleSessionStore>(db)};
    };
}

ServiceStoresBackend sqlite_backend() {
    return {"Sqlite", fresh_sqlite_database};
}

INSTANTIATE_TEST_SUITE_P(Sqlite, UserStoreSuite, ::testing::Values(sqlite_backend()), testing::backend_name);
INSTANTIATE_TEST_SUITE_P(Sqlite, CredentialStoreSuite, ::testing::Values(sqlite_backend()),
                         testing::backend_name);
INSTANTIATE_TEST_SUITE_P(Sqlite, TokenStoreSuite, ::testing::Values(sqlite_backend()), testing::backend_name);
INSTANTIATE_TEST_SUITE_P(Sqlite, AuthorizationStoreSuite, ::testing::Values(sqlite_backend()),
                         testing::backend_name);
INSTANTIATE_TEST_SUITE_P(Sqlite, OAuthStoreSuite, ::testing::Values(sqlite_backend()), testing::backend_name);
INSTANTIATE_TEST_SUITE_P(Sqlite, AuditStoreSuite, ::testing::Values(sqlite_backend()), testing::backend_name);
INSTANTIATE_TEST_SUITE_P(Sqlite, ConsoleSessionStoreSuite, ::testing::Values(sqlite_backend()),
                         testing::backend_name);

testing::AsyncStoreBackend::Factory fresh_sqlite_async_database() {
    auto dir = std::make_shared<TempDir>("inkan-db");
    return [dir]() -> std::unique_ptr<service::AsyncStore> {
        return std::make_unique<SqliteAsyncStore>(std::make_shared<Database>(dir->path() / "inkan.db"));
    };
}

INSTANTIATE_TEST_SUITE_P(Sqlite, AsyncStoreSuite,
                         ::testing::Values(testing::AsyncStoreBackend{"Sqlite", fresh_sqlite_async_database}),
                         testing::port_backend_name<service::AsyncStore>);

std::string sqlite3_cli(const std::filesystem::path& db, const std::string& sql) {
    const auto result = run({"sqlite3", "-batch", db.string(), sql});
    EXPECT_EQ(result.exit_code, 0) << sql << "\n" << result.err;
    return result.out;
}

class SqliteServiceStores : public ::testing::Test {
protected:
    TempDir dir{"inkan-db"};
    std::filesystem::path file = dir / "inkan.db";
};

// The SAD ledger and the audit chain promise durability before a signature leaves the process:
// synchronous=FULL (2) on inkan's own connection (the pragma is per connection, so ask through it).
TEST_F(SqliteServiceStores, ConnectionsSyncEveryCommit) {
    Database db{file};
    Statement q{db, "PRAGMA synchronous", "read synchronous"};
    ASSERT_TRUE(q.step());
    EXPECT_EQ(q.column_int64(0), 2) << "synchronous must be FULL";
}

TEST_F(SqliteServiceStores, MigrationElevenAddsSadOriginAndHardLimit) {
    { SqliteUserStore store{file}; }
    EXPECT_EQ(sqlite3_cli(file, "SELECT version, name FROM schema_migrations WHERE version = 11;"),
              "11|sad origin and hard limit\n");
    EXPECT_EQ(sqlite3_cli(file,
                          "SELECT COUNT(*) FROM pragma_table_info('sads') WHERE name IN ('origin', "
                          "'hard_expires_at');"),
              "2\n");
}

TEST_F(SqliteServiceStores, MigrationTwoCreatesTheServiceTables) {
    { SqliteUserStore store{file}; }
    EXPECT_EQ(sqlite3_cli(file, "SELECT version, name FROM schema_migrations WHERE version = 2;"),
              "2|service tables\n");
    EXPECT_EQ(sqlite3_cli(file,
                          "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN "
                          "('users', 'credentials', 'seal_members', 'tokens') ORDER BY name;"),
              "credentials\nseal_members\ntokens\nusers\n");
}

TEST_F(SqliteServiceStores, MigrationThreeCreatesTheSoleControlTables) {
    { SqliteAuthorizationStore store{file}; }
    EXPECT_EQ(sqlite3_cli(file, "SELECT version, name FROM schema_migrations WHERE version = 3;"),
              "3|sole control tables\n");
    EXPECT_EQ(sqlite3_cli(file,
                          "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN "
                          "('sads', 'sad_hashes', 'pin_failures', 'otp_state', 'audit_log') ORDER BY name;"),
              "audit_log\notp_state\npin_failures\nsad_hashes\nsads\n");
}

TEST_F(SqliteServiceStores, EachStoreMayOpenItsOwnConnection) {
    SqliteUserStore users{file};
    SqliteCredentialStore credentials{file};
    SqliteTokenStore tokens{file};
    users.create(testing::make_user("u1", "alice"), "$argon2id$x");
    service::Credential c;
    c.id = "c1";
    c.kind = service::CredentialKind::Seal;
    c.key_id = Bytes{1};
    c.key_algo = "ec-p256";
    c.ca = "inkan-issuing";
    c.profile = "seal";
    credentials.create(c, "");
    credentials.add_member("c1", "u1", "$argon2id$pin");
    EXPECT_EQ(credentials.list_for_user("u1").size(), 1U);
}

TEST_F(SqliteServiceStores, TheDatabaseItselfRefusesInconsistentRows) {
    { SqliteUserStore store{file}; }
    // A seal with an owner, a personal credential without a PIN, a token of nobody: refused by the
    // schema's CHECK and FOREIGN KEY constraints even when written around the adapter.
    for (const std::string sql : {
             "INSERT INTO users (id, name, display_name, role, locked, password_hash, totp_sealed, "
             "created_at) "
             "VALUES ('u1', 'alice', 'alice', 'user', 0, 'h', NULL, 0);"
             "INSERT INTO credentials (id, kind, owner_user_id, key_id, key_algo, ca, profile, scal, "
             "multisign, "
             "status, pin_hash, created_at) VALUES ('c', 'seal', 'u1', x'01', 'ec-p256', 'ca', 'seal', 2, 1, "
             "'active', NULL, 0);",
             "INSERT INTO users (id, name, display_name, role, locked, password_hash, totp_sealed, "
             "created_at) "
             "VALUES ('u1', 'alice', 'alice', 'user', 0, 'h', NULL, 0);"
             "INSERT INTO credentials (id, kind, owner_user_id, key_id, key_algo, ca, profile, scal, "
             "multisign, "
             "status, pin_hash, created_at) VALUES ('c', 'personal', 'u1', x'01', 'ec-p256', 'ca', 'person', "
             "2, 1, "
             "'active', NULL, 0);",
             "INSERT INTO users (id, name, display_name, role, locked, password_hash, totp_sealed, "
             "created_at) "
             "VALUES ('u1', 'alice', 'alice', 'admin', 0, 'h', NULL, 0);",
         }) {
        const auto r = run({"sqlite3", "-batch", file.string(), "BEGIN; " + sql + " COMMIT;"});
        EXPECT_NE(r.exit_code, 0) << sql;
        EXPECT_NE(r.err.find("constraint failed"), std::string::npos) << r.err;
        sqlite3_cli(file, "DELETE FROM credentials; DELETE FROM users;");
    }
    // The CLI does not enable foreign keys by default; the adapter's connection does.
    const auto fk = run({"sqlite3", "-batch", file.string(),
                         "PRAGMA foreign_keys = ON; INSERT INTO tokens (id, hash, kind, user_id, issued_at, "
                         "expires_at) VALUES ('t', x'00', 'access', 'nobody', 0, 1);"});
    EXPECT_NE(fk.exit_code, 0);
    EXPECT_NE(fk.err.find("FOREIGN KEY constraint failed"), std::string::npos) << fk.err;
}

TEST_F(SqliteServiceStores, OnlyTheTokenHashIsStored) {
    SqliteUserStore users{file};
    SqliteTokenStore tokens{file};
    users.create(testing::make_user("u1", "alice"), "$argon2id$x");
    service::TokenRecord t;
    t.id = "t1";
    t.hash = Bytes(32, 0xab);
    t.user_id = "u1";
    tokens.insert(t);
    EXPECT_EQ(sqlite3_cli(file, "SELECT id, hex(hash), kind, revoked FROM tokens;"),
              "t1|" + hex_encode_upper(t.hash) + "|access|0\n");
}

TEST(OAuthMigration, KeepsEveryTokenSadAndHashOfAnOlderDatabase) {
    TempDir dir{"inkan-db"};
    const auto file = dir.path() / "inkan.db";
    const auto all = sqlite_migrations();
    { Database v3{file, Database::Options{}, all.subspan(0, 3)}; }
    run({"sqlite3", file.string(),
         "PRAGMA foreign_keys=ON;"
         "INSERT INTO users (id, name, display_name, role, locked, password_hash, totp_sealed, created_at) "
         "VALUES ('u1','alice','Alice','user',0,'h',NULL,0);"
         "INSERT INTO credentials (id,kind,owner_user_id,key_id,key_algo,ca,profile,scal,multisign,status,"
         "pin_hash,created_at) VALUES "
         "('c1','personal','u1',x'01','ec-p256','ca','person',2,1,'active','h',0);"
         "INSERT INTO tokens VALUES ('r1',x'01','refresh','u1','',NULL,0,10,0);"
         "INSERT INTO tokens VALUES ('a1',x'02','access','u1','','r1',0,10,0);"
         "INSERT INTO sads VALUES ('s1',x'03','u1','','c1','',2,1,10,0);"
         "INSERT INTO sad_hashes VALUES ('s1',0,'2.16.840.1.101.3.4.2.1',x'aa',0);"});
    { SqliteTokenStore upgraded{file}; }
    EXPECT_EQ(sqlite3_cli(file, "SELECT id, kind, user_id, refresh_id FROM tokens ORDER BY id;"),
              "a1|access|u1|r1\nr1|refresh|u1|\n");
    EXPECT_EQ(sqlite3_cli(file,
                          "SELECT s.id, s.user_id, h.alg_oid, hex(h.value) FROM sads s JOIN sad_hashes h "
                          "ON h.sad_id = s.id;"),
              "s1|u1|2.16.840.1.101.3.4.2.1|AA\n");
    EXPECT_EQ(sqlite3_cli(file, "PRAGMA foreign_key_check;"), "");
}

TEST(AuthModeMigration, OlderCredentialsBecomeExplicitAndUnknownModesAreRefused) {
    TempDir dir{"inkan-db"};
    const auto file = dir.path() / "inkan.db";
    const auto all = sqlite_migrations();
    { Database v5{file, Database::Options{}, all.subspan(0, 5)}; }
    sqlite3_cli(
        file,
        "INSERT INTO users (id, name, display_name, role, locked, password_hash, totp_sealed, created_at) "
        "VALUES ('u1','alice','Alice','user',0,'h',NULL,0);"
        "INSERT INTO credentials (id,kind,owner_user_id,key_id,key_algo,ca,profile,scal,multisign,status,"
        "pin_hash,created_at) VALUES "
        "('c1','personal','u1',x'01','ec-p256','ca','person',2,1,'active','h',0);");
    {
        SqliteCredentialStore upgraded{file};
        const auto c1 = upgraded.find("c1");
        ASSERT_TRUE(c1.has_value());
        EXPECT_EQ(service::name(c1->auth_mode), "explicit");
    }
    EXPECT_EQ(sqlite3_cli(file, "SELECT version, name FROM schema_migrations WHERE version = 6;"),
              "6|credential auth mode\n");
    const auto r =
        run({"sqlite3", "-batch", file.string(), "UPDATE credentials SET auth_mode = 'implicit';"});
    EXPECT_NE(r.exit_code, 0) << "implicit is not a mode inkan offers";
    EXPECT_NE(r.err.find("constraint failed"), std::string::npos) << r.err;
    EXPECT_EQ(sqlite3_cli(file, "SELECT auth_mode FROM credentials;"), "explicit\n");
}

TEST(SignatureQualifierMigration, OlderCredentialsGetTheAdvancedDefaultOfTheirKind) {
    TempDir dir{"inkan-db"};
    const auto file = dir.path() / "inkan.db";
    const auto all = sqlite_migrations();
    { Database v6{file, Database::Options{}, all.subspan(0, 6)}; }
    sqlite3_cli(
        file,
        "INSERT INTO users (id, name, display_name, role, locked, password_hash, totp_sealed, created_at) "
        "VALUES ('u1','alice','Alice','user',0,'h',NULL,0);"
        "INSERT INTO credentials (id,kind,owner_user_id,key_id,key_algo,ca,profile,scal,multisign,status,"
        "pin_hash,created_at) VALUES "
        "('c1','personal','u1',x'01','ec-p256','ca','person',2,1,'active','h',0),"
        "('s1','seal',NULL,x'02','ec-p256','ca','seal',2,1,'active',NULL,1);");
    {
        SqliteCredentialStore upgraded{file};
        EXPECT_EQ(upgraded.find("c1")->signature_qualifier, "eu_eidas_aes");
        EXPECT_EQ(upgraded.find("s1")->signature_qualifier, "eu_eidas_aeseal");
    }
    EXPECT_EQ(sqlite3_cli(file, "SELECT id, signature_qualifier FROM credentials ORDER BY id;"),
              "c1|eu_eidas_aes\ns1|eu_eidas_aeseal\n");
    EXPECT_EQ(sqlite3_cli(file, "SELECT version, name FROM schema_migrations WHERE version = 8;"),
              "8|credential signature qualifier\n");
}

TEST(CredentialChainColumn, RoundTripsAndRefusesGarbage) {
    const std::vector<Bytes> chain{Bytes{0x30, 0x00}, Bytes(70000, 0x42), Bytes{0x00}};
    const Bytes blob = encode_chain(chain);
    EXPECT_EQ(blob.size(), 2 + 70000 + 1 + 3 * 4U);
    EXPECT_EQ(hex_encode(Bytes(blob.begin(), blob.begin() + 6)), "000000023000");
    EXPECT_EQ(decode_chain(blob), chain);
    EXPECT_TRUE(decode_chain(Bytes{}).empty());
    for (const Bytes& bad : {Bytes{0x00, 0x00, 0x00}, Bytes{0x00, 0x00, 0x00, 0x03, 0x30, 0x00},
                             Bytes{0x00, 0x00, 0x00, 0x00}}) {
        try {
            (void)decode_chain(bad);
            ADD_FAILURE() << "accepted " << hex_encode(bad);
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), Errc::StorageFailure) << hex_encode(bad);
        }
    }
    try {
        (void)encode_chain({Bytes{}});
        ADD_FAILURE() << "encoded an empty certificate";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::InvalidRequest);
    }
}

}  // namespace
}  // namespace inkan::storage

namespace inkan::storage {
namespace {

service::AsyncRecord pending(std::string_view id, std::int64_t created_ms, std::int64_t validity_ms) {
    service::AsyncRecord r;
    r.id_hash = crypto::digest(crypto::DigestAlgorithm::Sha256, as_bytes(id));
    r.user_id = "u1";
    r.client_id = "c1";
    r.created_ms = created_ms;
    r.expires_ms = created_ms + validity_ms;
    r.validity_ms = validity_ms;
    return r;
}

TEST(SqliteAsyncStore, AnOperationIsPendingThenFinishedOnceAndSeenByAnotherConnection) {
    TempDir dir{"inkan-async-db"};
    SqliteAsyncStore node_a{std::make_shared<Database>(dir.path() / "inkan.db")};
    SqliteAsyncStore node_b{std::make_shared<Database>(dir.path() / "inkan.db")};
    const auto op = pending("op-1", 1'000'000, 5'000);
    node_a.insert(op);
    const auto seen = node_b.find(op.id_hash);
    ASSERT_TRUE(seen.has_value());
    EXPECT_EQ(seen->status, service::AsyncStatus::Pending);
    EXPECT_EQ(seen->user_id, "u1");
    EXPECT_EQ(seen->client_id, "c1");
    EXPECT_EQ(seen->expires_ms, 1'005'000);

    EXPECT_TRUE(
        node_b.finish(op.id_hash, service::AsyncStatus::Done, 200, R"({"signatures":["AA=="]})", 1'010'000));
    // Only a pending operation finishes: a second answer (another node, a replay) changes nothing.
    EXPECT_FALSE(node_a.finish(op.id_hash, service::AsyncStatus::Failed, 500, "{}", 2'000'000));
    const auto done = node_a.find(op.id_hash);
    ASSERT_TRUE(done.has_value());
    EXPECT_EQ(done->status, service::AsyncStatus::Done);
    EXPECT_EQ(done->http_status, 200);
    EXPECT_EQ(done->body, R"({"signatures":["AA=="]})");
    EXPECT_EQ(done->expires_ms, 1'010'000);

    // The next insert purges what expired before its creation time.
    node_a.insert(pending("op-2", 1'010'001, 5'000));
    EXPECT_FALSE(node_b.find(op.id_hash).has_value());
    EXPECT_TRUE(node_b.find(pending("op-2", 0, 1).id_hash).has_value());
    // The schema itself refuses a finished row without a status code.
    const auto r = run({"sqlite3", (dir.path() / "inkan.db").string(),
                        "UPDATE async_operations SET status = 'done', http_status = NULL;"});
    EXPECT_NE(r.exit_code, 0) << describe(r);
}

}  // namespace
}  // namespace inkan::storage
