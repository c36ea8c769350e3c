// SqliteOobStore (oob_authorizations, migration 14; decision 0034): every step is one conditional UPDATE,
// so racing connections ("nodes") cannot both win; expiry and status gate every step; what is stored is
// read back with the sqlite3 CLI.

#include <inkan/storage/sqlite_service_stores.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <inkan/crypto/digest.h>
#include <inkan/storage/sqlite.h>
#include <inkan/testing/process.h>

namespace inkan::storage {
namespace {

using inkan::testing::TempDir;
using service::OobRecord;
using service::OobStage;
using service::OobStatus;

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

TEST_F(SqliteOobStoreTest, StepsMoveOnlyFromTheirStageAndOnlyWhilePendingAndUnexpired) {
    store.insert(record("r1", now + std::chrono::seconds{300}), now);
    ASSERT_TRUE(store.open_page("r1", hash_of("s"), hash_of("c"), now));
    EXPECT_FALSE(store.advance("r1", OobStage::Otp, OobStage::Decide, now)) << "not at otp";
    EXPECT_FALSE(store.decide("r1", OobStatus::Approved, true, now)) << "not at decide";
    ASSERT_TRUE(store.advance("r1", OobStage::Login, OobStage::Otp, now));
    ASSERT_TRUE(store.advance("r1", OobStage::Otp, OobStage::Decide, now));
    EXPECT_FALSE(store.deliver("r1", now)) << "not approved";
    EXPECT_FALSE(store.decide("r1", OobStatus::Approved, true, now + std::chrono::seconds{300}))
        << "expired at its expiry";
    ASSERT_TRUE(store.decide("r1", OobStatus::Approved, true, now));
    EXPECT_FALSE(store.decide("r1", OobStatus::Declined, false, now)) << "decided once";
    EXPECT_FALSE(store.open_page("r1", hash_of("s2"), hash_of("c2"), now)) << "no page once decided";
    EXPECT_FALSE(store.find_by_session(hash_of("s"))) << "the page session ends with the decision";
    const auto row = store.find_by_handle(hash_of("handle-r1"));
    ASSERT_TRUE(row);
    EXPECT_EQ(row->status, OobStatus::Approved);
    EXPECT_TRUE(row->pin_verified);
    EXPECT_FALSE(store.deliver("r1", now + std::chrono::seconds{301})) << "expired";
    ASSERT_TRUE(store.deliver("r1", now));
    EXPECT_FALSE(store.deliver("r1", now)) << "delivered once";
}

TEST_F(SqliteOobStoreTest, OfManyConnectionsRacingToDeliverOneApprovalExactlyOneWins) {
    store.insert(record("r1", now + std::chrono::seconds{300}), now);
    ASSERT_TRUE(store.open_page("r1", hash_of("s"), hash_of("c"), now));
    ASSERT_TRUE(store.advance("r1", OobStage::Login, OobStage::Otp, now));
    ASSERT_TRUE(store.advance("r1", OobStage::Otp, OobStage::Decide, now));
    ASSERT_TRUE(store.decide("r1", OobStatus::Approved, false, now));
    std::atomic<int> wins{0};
    std::vector<std::thread> nodes;
    for (int i = 0; i < 8; ++i) {
        nodes.emplace_back([&] {
            SqliteOobStore node{std::make_shared<Database>(file)};
            if (node.deliver("r1", now)) {
                ++wins;
            }
        });
    }
    for (auto& t : nodes) {
        t.join();
    }
    EXPECT_EQ(wins.load(), 1);
    EXPECT_EQ(sql("SELECT status FROM oob_authorizations"), "delivered\n");
}

TEST_F(SqliteOobStoreTest, ANewRequestPurgesTheExpiredOnes) {
    store.insert(record("old", now + std::chrono::seconds{10}), now);
    store.insert(record("new", now + std::chrono::seconds{400}), now + std::chrono::seconds{10});
    EXPECT_EQ(sql("SELECT id FROM oob_authorizations ORDER BY id"), "new\n");
}

}  // namespace
}  // namespace inkan::storage
