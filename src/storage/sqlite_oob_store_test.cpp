// SqliteOobStore (oob_authorizations, migration 14; decision 0034): the port suite (oob_store_suite.h) on
// SQLite, and what is stored read back with the sqlite3 CLI.

#include <inkan/storage/sqlite_service_stores.h>

#include <chrono>
#include <memory>

#include <gtest/gtest.h>

#include <inkan/crypto/digest.h>
#include <inkan/storage/sqlite.h>
#include <inkan/testing/process.h>

#include "oob_store_suite.h"

namespace inkan::storage {
namespace {

using inkan::testing::TempDir;
using service::OobRecord;
using service::OobStage;
using service::OobStatus;
using testing::OobStoreSuite;

testing::OobStoreBackend::Factory fresh_sqlite_database() {
    auto dir = std::make_shared<inkan::testing::TempDir>("inkan-oob-db");
    return [dir]() -> std::unique_ptr<service::OobStore> {
        return std::make_unique<SqliteOobStore>(std::make_shared<Database>(dir->path() / "inkan.db"));
    };
}

INSTANTIATE_TEST_SUITE_P(Sqlite, OobStoreSuite,
                         ::testing::Values(testing::OobStoreBackend{"Sqlite", fresh_sqlite_database}),
                         testing::port_backend_name<service::OobStore>);

Bytes hash_of(std::string_view s) {
    return crypto::digest(crypto::DigestAlgorithm::Sha256, as_bytes(s));
}

class SqliteOobStoreTest : public ::testing::Test {
protected:
    TempDir dir{"inkan-oob-db"};
    std::filesystem::path file = dir / "inkan.db";
    std::shared_ptr<Database> db = std::make_shared<Database>(file);
    SqliteOobStore store{db};
    TimePoint now = TimePoint{std::chrono::seconds{1'900'000'000}};

    OobRecord record(std::string id, TimePoint expires) const {
        OobRecord r;
        r.id = std::move(id);
        r.handle_hash = hash_of("handle-" + r.id);
        r.ref_hash = hash_of("ref-" + r.id);
        r.user_id = "u1";
        r.client_id = "app";
        r.credential_id = "c1";
        r.request = R"({"num_signatures":1})";
        r.created_at = now;
        r.expires_at = expires;
        return r;
    }
    std::string sql(const std::string& q) const {
        return inkan::testing::run({"sqlite3", "-batch", file.string(), q}).out;
    }
};

TEST_F(SqliteOobStoreTest, StoresOnlyHashesAndFindsTheRowByHandleReferenceAndSession) {
    store.insert(record("r1", now + std::chrono::seconds{300}), now);
    ASSERT_TRUE(store.open_page("r1", hash_of("session"), hash_of("csrf"), now));
    const auto by_handle = store.find_by_handle(hash_of("handle-r1"));
    const auto by_ref = store.find_by_ref(hash_of("ref-r1"));
    const auto by_session = store.find_by_session(hash_of("session"));
    ASSERT_TRUE(by_handle && by_ref && by_session);
    EXPECT_EQ(by_handle->id, "r1");
    EXPECT_EQ(by_ref->id, "r1");
    EXPECT_EQ(by_session->csrf_hash, hash_of("csrf"));
    EXPECT_EQ(by_handle->status, OobStatus::Pending);
    EXPECT_EQ(by_handle->stage, OobStage::Login);
    EXPECT_FALSE(store.find_by_handle(hash_of("handle-r2")));
    EXPECT_FALSE(store.find_by_handle(Bytes{1, 2, 3})) << "not a SHA-256: not looked up";
    EXPECT_EQ(sql("SELECT length(handle_hash), length(ref_hash), length(session_hash), status, stage "
                  "FROM oob_authorizations"),
              "32|32|32|pending|login\n");
}

}  // namespace
}  // namespace inkan::storage
