// The service::ConsoleSessionStore port suite (see console_session_store_suite.h; decision 0041): touch and
// revoke are compare-and-sets whose row count decides, so two nodes never disagree on whether a session is
// alive. Instantiated per adapter (sqlite_service_stores_test.cpp, postgres_service_stores_test.cpp).

#include "console_session_store_suite.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <inkan/crypto/digest.h>

namespace inkan::storage::testing {
namespace {

using service::ConsoleSessionRecord;

Bytes hash_of(std::string_view s) {
    return crypto::digest(crypto::DigestAlgorithm::Sha256, as_bytes(s));
}

ConsoleSessionRecord session(std::string id, std::string user, std::int64_t seen) {
    ConsoleSessionRecord r;
    r.id = std::move(id);
    r.token_hash = hash_of("secret-" + r.id);
    r.user_id = std::move(user);
    r.created_at = at(seen);
    r.last_seen = at(seen);
    return r;
}

TEST_P(ConsoleSessionStoreSuite, FindsBySecretHashOnAnotherNode) {
    console_sessions->insert(session("s1", "u-oper", 1'900'000'000));
    const auto other = open_another();
    const auto found = other.console_sessions->find(hash_of("secret-s1"));
    ASSERT_TRUE(found) << "a session written by one node is found by another";
    EXPECT_EQ(found->id, "s1");
    EXPECT_EQ(found->user_id, "u-oper");
    EXPECT_EQ(found->token_hash, hash_of("secret-s1"));
    EXPECT_EQ(text(found->created_at), text(at(1'900'000'000)));
    EXPECT_EQ(text(found->last_seen), text(at(1'900'000'000)));
    EXPECT_FALSE(found->revoked);
    EXPECT_FALSE(console_sessions->find(hash_of("secret-s2"))) << "an unknown secret finds nothing";
}

TEST_P(ConsoleSessionStoreSuite, RefusesADuplicateIdOrSecretAndAnUnknownUser) {
    console_sessions->insert(session("s1", "u-oper", 1'900'000'000));
    auto same_id = session("s1", "u-audi", 1'900'000'000);
    same_id.token_hash = hash_of("another secret");
    EXPECT_EQ(code_of([&] { console_sessions->insert(same_id); }), Errc::Conflict);
    auto same_secret = session("s2", "u-audi", 1'900'000'000);
    same_secret.token_hash = hash_of("secret-s1");
    EXPECT_EQ(code_of([&] { console_sessions->insert(same_secret); }), Errc::Conflict);
    EXPECT_EQ(code_of([&] { console_sessions->insert(session("s3", "u-nobody", 1'900'000'000)); }),
              Errc::Conflict)
        << "a session belongs to an existing user";
    auto short_hash = session("s4", "u-oper", 1'900'000'000);
    short_hash.token_hash = Bytes{1, 2, 3};
    EXPECT_EQ(code_of([&] { console_sessions->insert(short_hash); }), Errc::InvalidRequest);
}

TEST_P(ConsoleSessionStoreSuite, TouchMovesLastSeenOnlyWhileAliveAndNeverBackwards) {
    console_sessions->insert(session("s1", "u-oper", 1000));
    EXPECT_TRUE(console_sessions->touch("s1", at(1500), at(900))) << "seen after the idle bound";
    EXPECT_EQ(text(console_sessions->find(hash_of("secret-s1"))->last_seen), text(at(1500)));
    EXPECT_TRUE(console_sessions->touch("s1", at(1200), at(900))) << "an older request still counts";
    EXPECT_EQ(text(console_sessions->find(hash_of("secret-s1"))->last_seen), text(at(1500)))
        << "last_seen never moves backwards";
    EXPECT_FALSE(console_sessions->touch("s1", at(5000), at(1500)))
        << "idle since its last request: it cannot be revived";
    EXPECT_EQ(text(console_sessions->find(hash_of("secret-s1"))->last_seen), text(at(1500)));
    EXPECT_FALSE(console_sessions->touch("nope", at(1500), at(900))) << "unknown session";
}

TEST_P(ConsoleSessionStoreSuite, RevokeSignsOutOnceAndARevokedSessionCannotBeTouched) {
    console_sessions->insert(session("s1", "u-oper", 1000));
    console_sessions->insert(session("s2", "u-audi", 1000));
    const auto other = open_another();
    EXPECT_TRUE(other.console_sessions->revoke("s1"));
    EXPECT_FALSE(console_sessions->revoke("s1")) << "already signed out (by the other node)";
    EXPECT_FALSE(console_sessions->revoke("nope"));
    EXPECT_TRUE(console_sessions->find(hash_of("secret-s1"))->revoked);
    EXPECT_FALSE(console_sessions->find(hash_of("secret-s2"))->revoked) << "only that session";
    EXPECT_FALSE(console_sessions->touch("s1", at(1100), at(900))) << "a revoked session stays out";
}

TEST_P(ConsoleSessionStoreSuite, ConcurrentRevokesFromManyNodesHaveOneWinner) {
    console_sessions->insert(session("s1", "u-oper", 1000));
    constexpr int kNodes = 8;
    std::vector<ServiceStores> nodes;
    for (int i = 0; i < kNodes; ++i) {
        nodes.push_back(open_another());
    }
    std::atomic<int> won{0};
    std::atomic<int> failed{0};
    std::vector<std::thread> threads;
    for (auto& node : nodes) {
        threads.emplace_back([&node, &won, &failed] {
            try {
                if (node.console_sessions->revoke("s1")) {
                    ++won;
                }
            } catch (const Error&) {
                ++failed;
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(failed.load(), 0);
    EXPECT_EQ(won.load(), 1) << "exactly one node signs the session out";
}

TEST_P(ConsoleSessionStoreSuite, PurgeRemovesOnlySessionsLastSeenBeforeTheBound) {
    console_sessions->insert(session("old", "u-oper", 1000));
    console_sessions->insert(session("edge", "u-oper", 2000));
    console_sessions->insert(session("new", "u-audi", 3000));
    EXPECT_EQ(console_sessions->purge(at(2000)), 1u);
    EXPECT_FALSE(console_sessions->find(hash_of("secret-old")));
    EXPECT_TRUE(console_sessions->find(hash_of("secret-edge"))) << "last seen at the bound: kept";
    EXPECT_TRUE(console_sessions->find(hash_of("secret-new")));
    EXPECT_EQ(console_sessions->purge(at(2000)), 0u) << "nothing left to purge";
}

}  // namespace
}  // namespace inkan::storage::testing
