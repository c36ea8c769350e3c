// The service::OobStore port suite (see oob_store_suite.h; decision 0034): every step is one conditional
// UPDATE, so racing nodes cannot both win; expiry and status gate every step. Instantiated per adapter.

#include "oob_store_suite.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <inkan/crypto/digest.h>

namespace inkan::storage::testing {
namespace {

using service::OobRecord;
using service::OobStage;
using service::OobStatus;

Bytes hash_of(std::string_view s) {
    return crypto::digest(crypto::DigestAlgorithm::Sha256, as_bytes(s));
}

const TimePoint kNow = TimePoint{std::chrono::seconds{1'900'000'000}};

OobRecord record(std::string id, TimePoint expires) {
    OobRecord r;
    r.id = std::move(id);
    r.handle_hash = hash_of("handle-" + r.id);
    r.ref_hash = hash_of("ref-" + r.id);
    r.user_id = "u1";
    r.client_id = "app";
    r.credential_id = "c1";
    r.request = R"({"num_signatures":1})";
    r.created_at = kNow;
    r.expires_at = expires;
    return r;
}

TEST_P(OobStoreSuite, FindsTheRowByHandleReferenceAndSession) {
    store->insert(record("r1", kNow + std::chrono::seconds{300}), kNow);
    ASSERT_TRUE(store->open_page("r1", hash_of("session"), hash_of("csrf"), kNow));
    const auto other = open_another();
    const auto by_handle = other->find_by_handle(hash_of("handle-r1"));
    const auto by_ref = other->find_by_ref(hash_of("ref-r1"));
    const auto by_session = other->find_by_session(hash_of("session"));
    ASSERT_TRUE(by_handle && by_ref && by_session);
    EXPECT_EQ(by_handle->id, "r1");
    EXPECT_EQ(by_ref->id, "r1");
    EXPECT_EQ(by_session->csrf_hash, hash_of("csrf"));
    EXPECT_EQ(by_handle->session_hash, hash_of("session"));
    EXPECT_EQ(by_handle->request, R"({"num_signatures":1})");
    EXPECT_EQ(by_handle->user_id, "u1");
    EXPECT_EQ(by_handle->client_id, "app");
    EXPECT_EQ(by_handle->credential_id, "c1");
    EXPECT_EQ(by_handle->status, OobStatus::Pending);
    EXPECT_EQ(by_handle->stage, OobStage::Login);
    EXPECT_FALSE(by_handle->pin_verified);
    EXPECT_EQ(format_rfc3339(by_handle->expires_at), format_rfc3339(kNow + std::chrono::seconds{300}));
    EXPECT_FALSE(store->find_by_handle(hash_of("handle-r2")));
    EXPECT_FALSE(store->find_by_handle(Bytes{1, 2, 3})) << "not a SHA-256: not looked up";
}

TEST_P(OobStoreSuite, StepsMoveOnlyFromTheirStageAndOnlyWhilePendingAndUnexpired) {
    store->insert(record("r1", kNow + std::chrono::seconds{300}), kNow);
    ASSERT_TRUE(store->open_page("r1", hash_of("s"), hash_of("c"), kNow));
    EXPECT_FALSE(store->advance("r1", OobStage::Otp, OobStage::Decide, kNow)) << "not at otp";
    EXPECT_FALSE(store->decide("r1", OobStatus::Approved, true, kNow)) << "not at decide";
    ASSERT_TRUE(store->advance("r1", OobStage::Login, OobStage::Otp, kNow));
    ASSERT_TRUE(store->advance("r1", OobStage::Otp, OobStage::Decide, kNow));
    EXPECT_FALSE(store->deliver("r1", kNow)) << "not approved";
    EXPECT_FALSE(store->decide("r1", OobStatus::Approved, true, kNow + std::chrono::seconds{300}))
        << "expired at its expiry";
    ASSERT_TRUE(store->decide("r1", OobStatus::Approved, true, kNow));
    EXPECT_FALSE(store->decide("r1", OobStatus::Declined, false, kNow)) << "decided once";
    EXPECT_FALSE(store->open_page("r1", hash_of("s2"), hash_of("c2"), kNow)) << "no page once decided";
    EXPECT_FALSE(store->find_by_session(hash_of("s"))) << "the page session ends with the decision";
    const auto row = store->find_by_handle(hash_of("handle-r1"));
    ASSERT_TRUE(row);
    EXPECT_EQ(row->status, OobStatus::Approved);
    EXPECT_TRUE(row->pin_verified);
    EXPECT_TRUE(row->session_hash.empty());
    EXPECT_TRUE(row->csrf_hash.empty());
    EXPECT_FALSE(store->deliver("r1", kNow + std::chrono::seconds{301})) << "expired";
    ASSERT_TRUE(store->deliver("r1", kNow));
    EXPECT_FALSE(store->deliver("r1", kNow)) << "delivered once";
    EXPECT_EQ(store->find_by_ref(hash_of("ref-r1"))->status, OobStatus::Delivered);
}

TEST_P(OobStoreSuite, OfEightNodesRacingToDeliverOneApprovalExactlyOneWins) {
    store->insert(record("r1", kNow + std::chrono::seconds{300}), kNow);
    ASSERT_TRUE(store->open_page("r1", hash_of("s"), hash_of("c"), kNow));
    ASSERT_TRUE(store->advance("r1", OobStage::Login, OobStage::Otp, kNow));
    ASSERT_TRUE(store->advance("r1", OobStage::Otp, OobStage::Decide, kNow));
    ASSERT_TRUE(store->decide("r1", OobStatus::Approved, false, kNow));
    constexpr int kNodes = 8;
    std::vector<std::unique_ptr<service::OobStore>> nodes;
    for (int i = 0; i < kNodes; ++i) {
        nodes.push_back(open_another());
    }
    std::atomic<int> wins{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < kNodes; ++i) {
        threads.emplace_back([&, i] {
            while (!go.load()) {
                std::this_thread::yield();
            }
            if (nodes[static_cast<std::size_t>(i)]->deliver("r1", kNow)) {
                ++wins;
            }
        });
    }
    go = true;
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(wins.load(), 1);
    EXPECT_EQ(store->find_by_handle(hash_of("handle-r1"))->status, OobStatus::Delivered);
}

TEST_P(OobStoreSuite, ANewRequestPurgesTheExpiredOnes) {
    store->insert(record("old", kNow + std::chrono::seconds{10}), kNow);
    store->insert(record("new", kNow + std::chrono::seconds{400}), kNow + std::chrono::seconds{10});
    EXPECT_FALSE(store->find_by_handle(hash_of("handle-old"))) << "expired at the second insert's time";
    EXPECT_TRUE(store->find_by_handle(hash_of("handle-new")));
}

TEST_P(OobStoreSuite, AHandleIsUnique) {
    store->insert(record("r1", kNow + std::chrono::seconds{300}), kNow);
    auto again = record("r2", kNow + std::chrono::seconds{300});
    again.handle_hash = hash_of("handle-r1");
    try {
        store->insert(again, kNow);
        ADD_FAILURE() << "a second row with the same handle was stored";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::Conflict) << e.what();
    }
}

}  // namespace
}  // namespace inkan::storage::testing
