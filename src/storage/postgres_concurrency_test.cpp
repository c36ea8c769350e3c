// What must hold across nodes on PostgreSQL (issue 19), each "node" a pool of its own (its own server
// connection), all started at one signal: a SAD is spent exactly once, the audit chain written by every
// node at once verifies as one unforked chain (AuditLog::verify, real SHA-256), and every counter hands
// each caller its own value. No timing is asserted: only outcomes.

#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <thread>
#include <vector>

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
using testing::make_user;
using testing::node_options;

constexpr std::string_view kSha256 = "2.16.840.1.101.3.4.2.1";

/// One node: its own pool (one connection) and the stores on it.
struct Node {
    explicit Node(const TestDatabase& db)
        : pool{pg::open_database(node_options(db, 1))},
          users{pool},
          credentials{pool},
          tokens{pool},
          authorization{pool},
          audit{pool},
          log{audit, SystemClock::instance()} {}
    std::shared_ptr<pg::Pool> pool;
    PostgresUserStore users;
    PostgresCredentialStore credentials;
    PostgresTokenStore tokens;
    PostgresAuthorizationStore authorization;
    PostgresAuditStore audit;
    service::AuditLog log;
};

class PostgresAcrossNodes : public ::testing::Test {
protected:
    void SetUp() override {
        INKAN_REQUIRE_POSTGRES();
        db = std::make_unique<TestDatabase>(*shared_postgres());
        for (int i = 0; i < kNodes; ++i) {
            nodes.push_back(std::make_unique<Node>(*db));
        }
        Node& first = *nodes.front();
        first.users.create(make_user("u-alice", "alice"), "$argon2id$x");
        service::Credential seal;
        seal.id = "c-1";
        seal.kind = service::CredentialKind::Seal;
        seal.key_id = Bytes{1, 2, 3};
        seal.key_algo = "ec-p256";
        seal.ca = "test-ca";
        seal.profile = "seal";
        seal.created_at = at(1'767'225'600);
        first.credentials.create(seal, "");
    }

    /// Runs `work(node index)` on every node's thread at once. An exception on a node is a test failure
    /// (named with its node), not the end of the test process.
    void on_every_node(const std::function<void(int)>& work) {
        std::atomic<bool> go{false};
        std::vector<std::string> errors(kNodes);
        std::vector<std::thread> threads;
        for (int i = 0; i < kNodes; ++i) {
            threads.emplace_back([&, i] {
                while (!go.load()) {
                    std::this_thread::yield();
                }
                try {
                    work(i);
                } catch (const std::exception& e) {
                    errors[static_cast<std::size_t>(i)] = e.what();
                }
            });
        }
        go = true;
        for (auto& t : threads) {
            t.join();
        }
        for (int i = 0; i < kNodes; ++i) {
            EXPECT_EQ(errors[static_cast<std::size_t>(i)], "") << "node " << i << " threw";
        }
    }

    static service::SadRecord sad(std::string id, Bytes handle_hash, int remaining,
                                  std::vector<Bytes> digests) {
        service::SadRecord r;
        r.id = std::move(id);
        r.handle_hash = std::move(handle_hash);
        r.user_id = "u-alice";
        r.client_id = "client-1";
        r.credential_id = "c-1";
        r.member_id = "u-alice";
        r.scal = 2;
        r.remaining = remaining;
        for (auto& d : digests) {
            r.hashes.emplace_back(std::string{kSha256}, std::move(d));
        }
        r.expires_at = at(4'000'000'000);
        return r;
    }

    static service::AuditEvent sign_event(int node) {
        return {"sign", "ok", "u-alice", "client-1",
                "c-1",  "",   "",        R"({"node":)" + std::to_string(node) + "}"};
    }

    static constexpr int kNodes = 16;
    std::unique_ptr<TestDatabase> db;
    std::vector<std::unique_ptr<Node>> nodes;
};

TEST_F(PostgresAcrossNodes, OneSadSpentFromSixteenNodesSignsOnceWithOneAuditEntry) {
    nodes[0]->authorization.insert_sad(sad("s-1", Bytes(32, 0xA1), 1, {Bytes(32, 0x01)}));
    std::atomic<int> spent{0};
    std::vector<std::string> refusals(kNodes);
    on_every_node([&](int i) {
        Node& n = *nodes[static_cast<std::size_t>(i)];
        const auto refused = n.authorization.consume(
            Bytes(32, 0xA1), "u-alice", "c-1", {{std::string{kSha256}, Bytes(32, 0x01)}}, 1,
            SystemClock::instance().now(), n.log.entry_builder(sign_event(i)));
        if (refused) {
            refusals[static_cast<std::size_t>(i)] = std::string{service::name(*refused)};
        } else {
            ++spent;
        }
    });
    EXPECT_EQ(spent.load(), 1);
    for (const auto& r : refusals) {
        EXPECT_TRUE(r.empty() || r == "invalid")
            << "refused as " << r << " (a spent SAD is retired: invalid)";
    }
    const auto verification = nodes[0]->log.verify();
    EXPECT_TRUE(verification.ok) << verification.problem;
    EXPECT_EQ(verification.entries, 1U) << "one signature, one audit entry";
}

TEST_F(PostgresAcrossNodes, AuditAppendsAndSadSpendsFromSixteenNodesMakeOneUnforkedChain) {
    constexpr int kEach = 8;
    // Each node spends its own SAD (kEach hashes) and records an event of its own for each spend.
    for (int i = 0; i < kNodes; ++i) {
        std::vector<Bytes> digests;
        for (int k = 0; k < kEach; ++k) {
            digests.emplace_back(32, static_cast<std::uint8_t>(k));
        }
        nodes[0]->authorization.insert_sad(
            sad("s-" + std::to_string(i), Bytes(32, static_cast<std::uint8_t>(i)), kEach, digests));
    }
    std::atomic<int> failures{0};
    on_every_node([&](int i) {
        Node& n = *nodes[static_cast<std::size_t>(i)];
        for (int k = 0; k < kEach; ++k) {
            n.log.record({"token.issue", "ok", "u-alice", "client-1", "", "", "", "{}"});
            const auto refused =
                n.authorization.consume(Bytes(32, static_cast<std::uint8_t>(i)), "u-alice", "c-1",
                                        {{std::string{kSha256}, Bytes(32, static_cast<std::uint8_t>(k))}}, 1,
                                        SystemClock::instance().now(), n.log.entry_builder(sign_event(i)));
            if (refused) {
                ++failures;
            }
        }
    });
    EXPECT_EQ(failures.load(), 0);
    const auto entries = nodes[0]->audit.all();
    ASSERT_EQ(entries.size(), static_cast<std::size_t>(kNodes * kEach * 2));
    for (std::size_t i = 0; i < entries.size(); ++i) {
        ASSERT_EQ(entries[i].seq, i + 1) << "a gap or a duplicate in the sequence";
    }
    const auto verification = nodes[kNodes - 1]->log.verify();
    EXPECT_TRUE(verification.ok) << verification.problem;
    EXPECT_EQ(verification.entries, entries.size());
}

TEST_F(PostgresAcrossNodes, PinAndOtpFailuresHandEveryNodeItsOwnCount) {
    std::vector<int> pin(kNodes);
    std::vector<int> otp(kNodes);
    on_every_node([&](int i) {
        pin[static_cast<std::size_t>(i)] =
            nodes[static_cast<std::size_t>(i)]->authorization.add_pin_failure("c-1", "u-alice");
        otp[static_cast<std::size_t>(i)] =
            nodes[static_cast<std::size_t>(i)]->authorization.add_otp_failure("u-alice");
    });
    const std::set<int> pins(pin.begin(), pin.end());
    const std::set<int> otps(otp.begin(), otp.end());
    EXPECT_EQ(pins.size(), static_cast<std::size_t>(kNodes)) << "two nodes got the same PIN failure count";
    EXPECT_EQ(*pins.begin(), 1);
    EXPECT_EQ(*pins.rbegin(), kNodes);
    EXPECT_EQ(otps.size(), static_cast<std::size_t>(kNodes)) << "two nodes got the same OTP failure count";
    EXPECT_EQ(nodes[0]->authorization.pin_failures("c-1", "u-alice"), kNodes);
}

TEST_F(PostgresAcrossNodes, AtMostTheMaximumOfPasswordGuessesIsJudgedAcrossNodes) {
    constexpr int kMax = 5;
    std::vector<int> counts(kNodes);
    on_every_node([&](int i) {
        counts[static_cast<std::size_t>(i)] =
            nodes[static_cast<std::size_t>(i)]->users.reserve_password_guess(
                "u-alice", kMax, std::chrono::seconds{0}, SystemClock::instance().now());
    });
    std::multiset<int> seen(counts.begin(), counts.end());
    for (int c = 1; c <= kMax; ++c) {
        EXPECT_EQ(seen.count(c), 1U) << "count " << c << " handed out " << seen.count(c) << " times";
    }
    EXPECT_EQ(seen.count(kMax + 1), static_cast<std::size_t>(kNodes - kMax))
        << "the rest are refused unjudged";
}

TEST_F(PostgresAcrossNodes, AOneTimeCodeStepAndARefreshTokenAreUsedOnceAcrossNodes) {
    service::TokenRecord refresh;
    refresh.id = "t-refresh";
    refresh.hash = Bytes(32, 0x77);
    refresh.kind = service::TokenKind::Refresh;
    refresh.user_id = "u-alice";
    refresh.client_id = "client-1";
    refresh.issued_at = at(1'767'225'600);
    refresh.expires_at = at(4'000'000'000);
    nodes[0]->tokens.insert(refresh);
    std::atomic<int> steps{0};
    std::atomic<int> rotations{0};
    on_every_node([&](int i) {
        Node& n = *nodes[static_cast<std::size_t>(i)];
        if (n.authorization.use_otp_step("u-alice", 59'000'000)) {
            ++steps;
        }
        if (n.tokens.revoke_if_active("t-refresh")) {
            ++rotations;
        }
    });
    EXPECT_EQ(steps.load(), 1) << "one TOTP step accepted more than once";
    EXPECT_EQ(rotations.load(), 1) << "one refresh token rotated more than once";
}

}  // namespace
}  // namespace inkan::storage
