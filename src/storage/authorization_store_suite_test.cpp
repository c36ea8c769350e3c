// The service::AuthorizationStore port suite (see authorization_store_suite.h). Instantiated per adapter.

#include "authorization_store_suite.h"

#include <atomic>
#include <thread>

namespace inkan::storage::testing {
namespace {

using service::SpendRefusal;
using Hashes = std::vector<std::pair<std::string, Bytes>>;

TEST_P(AuthorizationStoreSuite, InsertThenFindReturnsEveryField) {
    authorization->insert_sad(sad("s1", handle(1), 2, 2, {digest(1), digest(2)}));
    const auto found = open_another().authorization->find_sad(handle(1));
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->id, "s1");
    EXPECT_EQ(found->handle_hash, handle(1));
    EXPECT_EQ(found->user_id, "u-alice");
    EXPECT_EQ(found->client_id, "client-1");
    EXPECT_EQ(found->credential_id, "c-1");
    EXPECT_EQ(found->member_id, "u-alice");
    EXPECT_EQ(found->scal, 2);
    EXPECT_EQ(found->remaining, 2);
    EXPECT_EQ(found->hashes, hashes({1, 2}));
    EXPECT_EQ(text(found->expires_at), text(at(2'000'000'000)));
    EXPECT_FALSE(found->retired);
    EXPECT_FALSE(authorization->find_sad(handle(9)).has_value());
}

TEST_P(AuthorizationStoreSuite, ConsumingEveryHashRetiresTheSad) {
    authorization->insert_sad(sad("s1", handle(1), 2, 1, {digest(1)}));
    EXPECT_EQ(authorization->consume(handle(1), "u-alice", "c-1", hashes({1}), 1, before_expiry()),
              std::nullopt);
    const auto after = authorization->find_sad(handle(1));
    ASSERT_TRUE(after.has_value());
    EXPECT_TRUE(after->retired);
    EXPECT_EQ(after->remaining, 0);
    EXPECT_TRUE(after->hashes.empty());
    EXPECT_EQ(authorization->consume(handle(1), "u-alice", "c-1", hashes({1}), 1, before_expiry()),
              SpendRefusal::Invalid);
}

TEST_P(AuthorizationStoreSuite, AConsumedHashCannotBeSpentAgain) {
    authorization->insert_sad(sad("s1", handle(1), 2, 2, {digest(1), digest(2)}));
    EXPECT_EQ(authorization->consume(handle(1), "u-alice", "c-1", hashes({1}), 1, before_expiry()),
              std::nullopt);
    EXPECT_EQ(authorization->consume(handle(1), "u-alice", "c-1", hashes({1}), 1, before_expiry()),
              SpendRefusal::Hash);
    EXPECT_EQ(authorization->consume(handle(1), "u-alice", "c-1", hashes({2}), 1, before_expiry()),
              std::nullopt);
}

TEST_P(AuthorizationStoreSuite, HashesAreAMultiset) {
    authorization->insert_sad(sad("s1", handle(1), 2, 3, {digest(1), digest(1), digest(2)}));
    EXPECT_EQ(authorization->consume(handle(1), "u-alice", "c-1", hashes({1, 1}), 2, before_expiry()),
              std::nullopt);
    EXPECT_EQ(authorization->consume(handle(1), "u-alice", "c-1", hashes({1}), 1, before_expiry()),
              SpendRefusal::Hash);
    EXPECT_EQ(authorization->consume(handle(1), "u-alice", "c-1", hashes({2}), 1, before_expiry()),
              std::nullopt);
}

TEST_P(AuthorizationStoreSuite, TheSameHashTwiceInOneRequestNeedsTwoAuthorisations) {
    authorization->insert_sad(sad("s1", handle(1), 2, 2, {digest(1), digest(2)}));
    EXPECT_EQ(authorization->consume(handle(1), "u-alice", "c-1", hashes({1, 1}), 2, before_expiry()),
              SpendRefusal::Hash);
    EXPECT_EQ(authorization->find_sad(handle(1))->hashes, hashes({1, 2}));
}

TEST_P(AuthorizationStoreSuite, NothingIsConsumedWhenOneHashIsNotAuthorised) {
    authorization->insert_sad(sad("s1", handle(1), 2, 2, {digest(1), digest(2)}));
    EXPECT_EQ(authorization->consume(handle(1), "u-alice", "c-1", hashes({1, 3}), 2, before_expiry()),
              SpendRefusal::Hash);
    const auto after = authorization->find_sad(handle(1));
    EXPECT_EQ(after->remaining, 2);
    EXPECT_EQ(after->hashes, hashes({1, 2}));
    EXPECT_FALSE(after->retired);
}

TEST_P(AuthorizationStoreSuite, TheAlgorithmIsPartOfTheHash) {
    authorization->insert_sad(sad("s1", handle(1), 2, 1, {digest(1)}));
    const Hashes other{{"2.16.840.1.101.3.4.2.8", digest(1)}};  // SHA3-256, same bytes
    EXPECT_EQ(authorization->consume(handle(1), "u-alice", "c-1", other, 1, before_expiry()),
              SpendRefusal::Hash);
}

TEST_P(AuthorizationStoreSuite, ScalOneCountsSignatures) {
    authorization->insert_sad(sad("s1", handle(1), 1, 3));
    EXPECT_EQ(authorization->consume(handle(1), "u-alice", "c-1", {}, 2, before_expiry()), std::nullopt);
    EXPECT_EQ(authorization->consume(handle(1), "u-alice", "c-1", {}, 2, before_expiry()),
              SpendRefusal::Count);
    EXPECT_EQ(authorization->find_sad(handle(1))->remaining, 1);
    EXPECT_EQ(authorization->consume(handle(1), "u-alice", "c-1", {}, 1, before_expiry()), std::nullopt);
    EXPECT_TRUE(authorization->find_sad(handle(1))->retired);
}

TEST_P(AuthorizationStoreSuite, MoreHashesThanRemainAreRefusedAsCount) {
    authorization->insert_sad(sad("s1", handle(1), 2, 1, {digest(1)}));
    EXPECT_EQ(authorization->consume(handle(1), "u-alice", "c-1", hashes({1, 2}), 2, before_expiry()),
              SpendRefusal::Count);
}

TEST_P(AuthorizationStoreSuite, ExpiryIsJudgedAtTheGivenTime) {
    authorization->insert_sad(sad("s1", handle(1), 1, 2));
    EXPECT_EQ(authorization->consume(handle(1), "u-alice", "c-1", {}, 1, at(2'000'000'000)),
              SpendRefusal::Expired);
    EXPECT_EQ(authorization->consume(handle(1), "u-alice", "c-1", {}, 1, at(2'000'000'100)),
              SpendRefusal::Expired);
    EXPECT_EQ(authorization->consume(handle(1), "u-alice", "c-1", {}, 1, at(1'999'999'999)), std::nullopt);
}

TEST_P(AuthorizationStoreSuite, ASadIsBoundToItsUserAndCredential) {
    authorization->insert_sad(sad("s1", handle(1), 2, 1, {digest(1)}));
    EXPECT_EQ(authorization->consume(handle(1), "u-bob", "c-1", hashes({1}), 1, before_expiry()),
              SpendRefusal::Invalid);
    EXPECT_EQ(authorization->consume(handle(1), "u-alice", "c-2", hashes({1}), 1, before_expiry()),
              SpendRefusal::Invalid);
    EXPECT_EQ(authorization->consume(handle(2), "u-alice", "c-1", hashes({1}), 1, before_expiry()),
              SpendRefusal::Invalid);
    EXPECT_EQ(authorization->find_sad(handle(1))->remaining, 1);
}

TEST_P(AuthorizationStoreSuite, OneSadSpentFromSixteenConnectionsSucceedsOnce) {
    authorization->insert_sad(sad("s1", handle(1), 2, 1, {digest(1)}));
    constexpr int kThreads = 16;
    std::vector<ServiceStores> nodes;
    for (int i = 0; i < kThreads; ++i) {
        nodes.push_back(open_another());
    }
    std::atomic<int> ok{0};
    std::atomic<int> refused{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&, i] {
            while (!go.load()) {
                std::this_thread::yield();
            }
            const auto r = nodes[static_cast<std::size_t>(i)].authorization->consume(
                handle(1), "u-alice", "c-1", hashes({1}), 1, before_expiry());
            (r ? refused : ok).fetch_add(1);
        });
    }
    go = true;
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(ok.load(), 1);
    EXPECT_EQ(refused.load(), kThreads - 1);
}

TEST_P(AuthorizationStoreSuite, ReplacingKeepsTheAuthorisedUnsignedHashesAndRetiresTheOld) {
    authorization->insert_sad(sad("s1", handle(1), 2, 3, {digest(1), digest(2), digest(2)}));
    ASSERT_EQ(authorization->consume(handle(1), "u-alice", "c-1", hashes({1}), 1, before_expiry()),
              std::nullopt);
    auto replacement = sad("s2", handle(2), 2, 2, {digest(2), digest(2)});
    EXPECT_EQ(authorization->replace_sad(handle(1), "u-alice", "c-1", replacement, before_expiry()),
              std::nullopt);
    EXPECT_TRUE(authorization->find_sad(handle(1))->retired);
    const auto now = authorization->find_sad(handle(2));
    ASSERT_TRUE(now.has_value());
    EXPECT_EQ(now->remaining, 2);
    EXPECT_EQ(now->hashes, hashes({2, 2}));
    EXPECT_EQ(authorization->consume(handle(1), "u-alice", "c-1", hashes({2}), 1, before_expiry()),
              SpendRefusal::Invalid);
    EXPECT_EQ(authorization->consume(handle(2), "u-alice", "c-1", hashes({2, 2}), 2, before_expiry()),
              std::nullopt);
}

// CSC v2 §11.8: extendTransaction renews the SAD for the hashes the signer approved; a hash never
// authorised, or one already signed, would be a signature over something the signer never saw.
TEST_P(AuthorizationStoreSuite, ReplacingWithAHashNotAuthorisedOrAlreadySignedChangesNothing) {
    authorization->insert_sad(sad("s1", handle(1), 2, 2, {digest(1), digest(2)}));
    ASSERT_EQ(authorization->consume(handle(1), "u-alice", "c-1", hashes({1}), 1, before_expiry()),
              std::nullopt);
    EXPECT_EQ(authorization->replace_sad(handle(1), "u-alice", "c-1", sad("s2", handle(2), 2, 1, {digest(3)}),
                                         before_expiry()),
              SpendRefusal::Hash);
    EXPECT_EQ(authorization->replace_sad(handle(1), "u-alice", "c-1", sad("s3", handle(3), 2, 1, {digest(1)}),
                                         before_expiry()),
              SpendRefusal::Hash);
    EXPECT_EQ(authorization->replace_sad(handle(1), "u-alice", "c-1",
                                         sad("s4", handle(4), 2, 2, {digest(2), digest(2)}), before_expiry()),
              SpendRefusal::Count);
    EXPECT_FALSE(authorization->find_sad(handle(2)).has_value());
    EXPECT_FALSE(authorization->find_sad(handle(3)).has_value());
    EXPECT_FALSE(authorization->find_sad(handle(4)).has_value());
    const auto old = authorization->find_sad(handle(1));
    EXPECT_FALSE(old->retired);
    EXPECT_EQ(old->hashes, hashes({2}));
    EXPECT_EQ(authorization->consume(handle(1), "u-alice", "c-1", hashes({2}), 1, before_expiry()),
              std::nullopt);
}

TEST_P(AuthorizationStoreSuite, ReplacingCannotRaiseTheCountAtScalOne) {
    authorization->insert_sad(sad("s1", handle(1), 1, 2));
    EXPECT_EQ(
        authorization->replace_sad(handle(1), "u-alice", "c-1", sad("s2", handle(2), 1, 3), before_expiry()),
        SpendRefusal::Count);
    EXPECT_EQ(
        authorization->replace_sad(handle(1), "u-alice", "c-1", sad("s3", handle(3), 1, 2), before_expiry()),
        std::nullopt);
    EXPECT_EQ(authorization->find_sad(handle(3))->remaining, 2);
}

TEST_P(AuthorizationStoreSuite, ReplacementNeverOutlivesTheOriginalHardLimit) {
    auto first = sad("s1", handle(1), 1, 1);
    first.expires_at = at(1'999'999'100);
    first.hard_expires_at = at(1'999'999'500);
    first.origin = service::SadOrigin::OAuthGrant;
    authorization->insert_sad(first);
    auto later = sad("s2", handle(2), 1, 1);
    later.expires_at = at(2'000'000'000);
    ASSERT_EQ(authorization->replace_sad(handle(1), "u-alice", "c-1", later, before_expiry()), std::nullopt);
    const auto renewed = authorization->find_sad(handle(2));
    ASSERT_TRUE(renewed.has_value());
    EXPECT_EQ(text(renewed->expires_at), text(at(1'999'999'500)));
    EXPECT_EQ(text(renewed->hard_expires_at), text(at(1'999'999'500)));
    EXPECT_EQ(renewed->origin, service::SadOrigin::OAuthGrant);
    // At the hard limit nothing renews it any more, even though the SAD itself is within its expiry.
    auto third = sad("s3", handle(3), 1, 1);
    third.expires_at = at(1'999'999'499);
    third.hard_expires_at = at(1'999'999'499);
    authorization->insert_sad(third);
    EXPECT_EQ(authorization->replace_sad(handle(3), "u-alice", "c-1", sad("s4", handle(4), 1, 1),
                                         at(1'999'999'499)),
              SpendRefusal::Expired);
}

TEST_P(AuthorizationStoreSuite, ConsumeAppendsItsAuditEntryInTheSameTransactionOrNotAtAll) {
    authorization->insert_sad(sad("s1", handle(1), 2, 1, {digest(1)}));
    int built = 0;
    const service::AuditEntryBuilder entry = [&built](std::uint64_t seq, const Bytes& prev) {
        ++built;
        service::AuditEntry e;
        e.seq = seq;
        e.at = at(1'999'999'000);
        e.event.action = "sign";
        e.event.outcome = "ok";
        e.prev_hash = prev.empty() ? Bytes(32, 0) : prev;
        e.hash = Bytes(32, static_cast<std::uint8_t>(seq));
        return e;
    };
    // Refused: no entry is built or written.
    EXPECT_EQ(authorization->consume(handle(1), "u-alice", "c-1", hashes({2}), 1, before_expiry(), entry),
              SpendRefusal::Hash);
    EXPECT_EQ(built, 0);
    EXPECT_TRUE(audit->all().empty());
    EXPECT_EQ(authorization->consume(handle(1), "u-alice", "c-1", hashes({1}), 1, before_expiry(), entry),
              std::nullopt);
    const auto entries = open_another().audit->all();
    ASSERT_EQ(entries.size(), 1U);
    EXPECT_EQ(entries[0].seq, 1U);
    EXPECT_EQ(entries[0].event.action, "sign");
}

TEST_P(AuthorizationStoreSuite, ReplacingChecksTheOldSad) {
    authorization->insert_sad(sad("s1", handle(1), 1, 2));
    EXPECT_EQ(
        authorization->replace_sad(handle(1), "u-bob", "c-1", sad("s2", handle(2), 1, 0), before_expiry()),
        SpendRefusal::Invalid);
    EXPECT_EQ(authorization->replace_sad(handle(1), "u-alice", "c-1", sad("s2", handle(2), 1, 0),
                                         at(2'000'000'000)),
              SpendRefusal::Expired);
    EXPECT_FALSE(authorization->find_sad(handle(2)).has_value());
    EXPECT_FALSE(authorization->find_sad(handle(1))->retired);
}

TEST_P(AuthorizationStoreSuite, UndoingAnUnjudgedFailureGivesOneBackAndNeverGoesBelowZero) {
    EXPECT_EQ(authorization->add_pin_failure("c-1", "u-alice"), 1);
    EXPECT_EQ(authorization->add_pin_failure("c-1", "u-alice"), 2);
    authorization->undo_pin_failure("c-1", "u-alice");
    EXPECT_EQ(authorization->pin_failures("c-1", "u-alice"), 1);
    authorization->undo_pin_failure("c-1", "u-alice");
    authorization->undo_pin_failure("c-1", "u-alice");
    EXPECT_EQ(authorization->pin_failures("c-1", "u-alice"), 0);
    EXPECT_EQ(authorization->add_otp_failure("u-alice"), 1);
    authorization->undo_otp_failure("u-alice");
    authorization->undo_otp_failure("u-alice");
    EXPECT_EQ(authorization->otp_failures("u-alice"), 0);
    EXPECT_EQ(authorization->add_otp_failure("u-alice"), 1);
}

TEST_P(AuthorizationStoreSuite, PinFailuresCountPerCredentialAndUser) {
    EXPECT_EQ(authorization->pin_failures("c-1", "u-alice"), 0);
    EXPECT_EQ(authorization->add_pin_failure("c-1", "u-alice"), 1);
    EXPECT_EQ(open_another().authorization->add_pin_failure("c-1", "u-alice"), 2);
    EXPECT_EQ(authorization->add_pin_failure("c-1", "u-bob"), 1);
    EXPECT_EQ(authorization->add_pin_failure("c-2", "u-alice"), 1);
    EXPECT_EQ(authorization->pin_failures("c-1", "u-alice"), 2);
    authorization->reset_pin_failures("c-1", "u-alice");
    EXPECT_EQ(authorization->pin_failures("c-1", "u-alice"), 0);
    EXPECT_EQ(authorization->pin_failures("c-1", "u-bob"), 1);
    authorization->reset_credential_pin_failures("c-1");
    EXPECT_EQ(authorization->pin_failures("c-1", "u-bob"), 0);
    EXPECT_EQ(authorization->pin_failures("c-2", "u-alice"), 1);
}

TEST_P(AuthorizationStoreSuite, OtpFailuresCountPerUser) {
    EXPECT_EQ(authorization->otp_failures("u-alice"), 0);
    EXPECT_EQ(authorization->add_otp_failure("u-alice"), 1);
    EXPECT_EQ(authorization->add_otp_failure("u-alice"), 2);
    EXPECT_EQ(authorization->otp_failures("u-bob"), 0);
    authorization->reset_otp_failures("u-alice");
    EXPECT_EQ(open_another().authorization->otp_failures("u-alice"), 0);
}

TEST_P(AuthorizationStoreSuite, AnOtpStepIsAcceptedOnceAndNeverAnEarlierOne) {
    EXPECT_TRUE(authorization->use_otp_step("u-alice", 100));
    EXPECT_FALSE(authorization->use_otp_step("u-alice", 100));
    EXPECT_FALSE(open_another().authorization->use_otp_step("u-alice", 99));
    EXPECT_TRUE(authorization->use_otp_step("u-bob", 100));
    EXPECT_TRUE(authorization->use_otp_step("u-alice", 101));
    // Failures and steps live side by side.
    EXPECT_EQ(authorization->add_otp_failure("u-alice"), 1);
    EXPECT_FALSE(authorization->use_otp_step("u-alice", 101));
}

}  // namespace
}  // namespace inkan::storage::testing
