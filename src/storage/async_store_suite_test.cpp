// The service::AsyncStore port suite (see async_store_suite.h; decision 0033): an operation is recorded
// pending, finished once with the synchronous call's answer, found by any node, and purged after expiry.
// Instantiated per adapter.

#include "async_store_suite.h"

#include <atomic>
#include <thread>
#include <vector>

namespace inkan::storage::testing {
namespace {

using service::AsyncRecord;
using service::AsyncStatus;

constexpr std::int64_t kCreated = 1'900'000'000'000;  // unix ms

AsyncRecord pending(std::uint8_t id, std::int64_t created_ms = kCreated) {
    AsyncRecord r;
    r.id_hash = Bytes(32, id);
    r.user_id = "u-alice";
    r.client_id = "app";
    r.created_ms = created_ms;
    r.expires_ms = created_ms + 60'000;
    r.validity_ms = 60'000;
    return r;
}

TEST_P(AsyncStoreSuite, APendingOperationIsFoundByAnyNodeWithEveryField) {
    store->insert(pending(1));
    const auto found = open_another()->find(Bytes(32, 1));
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->id_hash, Bytes(32, 1));
    EXPECT_EQ(found->user_id, "u-alice");
    EXPECT_EQ(found->client_id, "app");
    EXPECT_EQ(found->status, AsyncStatus::Pending);
    EXPECT_EQ(found->http_status, 0);
    EXPECT_EQ(found->body, "");
    EXPECT_EQ(found->created_ms, kCreated);
    EXPECT_EQ(found->expires_ms, kCreated + 60'000);
    EXPECT_EQ(found->validity_ms, 60'000);
    EXPECT_FALSE(store->find(Bytes(32, 2)).has_value());
}

TEST_P(AsyncStoreSuite, AnOperationIsFinishedOnceWithItsAnswer) {
    store->insert(pending(1));
    const std::string body = R"({"signatures":["MEUCIQ=="],"名前":"値"})";
    EXPECT_TRUE(store->finish(Bytes(32, 1), AsyncStatus::Done, 200, body, kCreated + 120'000));
    EXPECT_FALSE(open_another()->finish(Bytes(32, 1), AsyncStatus::Failed, 500, "{}", kCreated + 120'000))
        << "finished twice";
    const auto found = store->find(Bytes(32, 1));
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->status, AsyncStatus::Done);
    EXPECT_EQ(found->http_status, 200);
    EXPECT_EQ(found->body, body);
    EXPECT_EQ(found->expires_ms, kCreated + 120'000);
    EXPECT_FALSE(store->finish(Bytes(32, 9), AsyncStatus::Done, 200, "{}", kCreated)) << "unknown";
}

TEST_P(AsyncStoreSuite, AFailedOperationKeepsItsErrorAnswer) {
    store->insert(pending(1));
    EXPECT_TRUE(store->finish(Bytes(32, 1), AsyncStatus::Failed, 400, R"({"error":"invalid_request"})",
                              kCreated + 60'000));
    const auto found = store->find(Bytes(32, 1));
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->status, AsyncStatus::Failed);
    EXPECT_EQ(found->http_status, 400);
}

TEST_P(AsyncStoreSuite, ANewOperationPurgesTheExpiredOnes) {
    store->insert(pending(1));
    store->insert(pending(2, kCreated + 60'001));
    EXPECT_FALSE(store->find(Bytes(32, 1)).has_value()) << "expired before the second was created";
    EXPECT_TRUE(store->find(Bytes(32, 2)).has_value());
}

TEST_P(AsyncStoreSuite, OfEightNodesFinishingOneOperationExactlyOneWins) {
    store->insert(pending(1));
    constexpr int kNodes = 8;
    std::vector<std::unique_ptr<service::AsyncStore>> nodes;
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
            if (nodes[static_cast<std::size_t>(i)]->finish(Bytes(32, 1), AsyncStatus::Done, 200,
                                                           "{\"node\":" + std::to_string(i) + "}",
                                                           kCreated + 1)) {
                ++wins;
            }
        });
    }
    go = true;
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(wins.load(), 1);
}

}  // namespace
}  // namespace inkan::storage::testing
