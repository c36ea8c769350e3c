// The service::UserStore port suite (see user_store_suite.h). Instantiated per adapter.

#include "user_store_suite.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <inkan/core/encoding.h>

namespace inkan::storage::testing {
namespace {

using service::Role;
using service::User;

std::vector<std::string> names_of(const std::vector<User>& users) {
    std::vector<std::string> out;
    for (const auto& u : users) {
        out.push_back(u.name);
    }
    return out;
}

constexpr std::string_view kHash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA";

TEST_P(UserStoreSuite, CreateThenFindReturnsEveryField) {
    User u = make_user("u1", "yamada", "山田 太郎");
    u.role = Role::Operator;
    u.created_at = at(4'102'444'800);  // past 2038
    users->create(u, kHash);

    for (const auto& found : {users->find_by_name("yamada"), open_another().users->find_by_id("u1")}) {
        ASSERT_TRUE(found.has_value());
        EXPECT_EQ(found->id, "u1");
        EXPECT_EQ(found->name, "yamada");
        EXPECT_EQ(found->display_name, "山田 太郎");
        EXPECT_EQ(found->role, Role::Operator);
        EXPECT_FALSE(found->locked);
        EXPECT_FALSE(found->totp_enrolled);
        EXPECT_EQ(text(found->created_at), text(u.created_at));
    }
    EXPECT_EQ(users->password_hash("u1"), std::string{kHash});
}

TEST_P(UserStoreSuite, EveryRoleRoundTrips) {
    int i = 0;
    for (const Role role : {Role::User, Role::Operator, Role::Auditor}) {
        User u = make_user("id" + std::to_string(i), "user" + std::to_string(i));
        u.role = role;
        users->create(u, kHash);
        const auto found = users->find_by_id(u.id);
        ASSERT_TRUE(found.has_value());
        EXPECT_EQ(found->role, role) << service::name(role);
        ++i;
    }
}

TEST_P(UserStoreSuite, ALockedUserCanBeCreatedLocked) {
    User u = make_user("u1", "alice");
    u.locked = true;
    users->create(u, kHash);
    EXPECT_TRUE(users->find_by_id("u1")->locked);
}

TEST_P(UserStoreSuite, NamesAndIdsAreUnique) {
    users->create(make_user("u1", "alice"), kHash);
    EXPECT_EQ(code_of([&] { users->create(make_user("u2", "alice"), kHash); }), Errc::Conflict);
    EXPECT_EQ(code_of([&] { users->create(make_user("u1", "bob"), kHash); }), Errc::Conflict);
    EXPECT_EQ(names_of(users->list()), (std::vector<std::string>{"alice"}));
}

TEST_P(UserStoreSuite, NamesAreCaseSensitive) {
    users->create(make_user("u1", "alice"), kHash);
    users->create(make_user("u2", "Alice"), kHash);
    EXPECT_EQ(users->find_by_name("Alice")->id, "u2");
    EXPECT_EQ(users->find_by_name("alice")->id, "u1");
    EXPECT_FALSE(users->find_by_name("ALICE").has_value());
}

TEST_P(UserStoreSuite, UnknownUsersAreEmpty) {
    users->create(make_user("u1", "alice"), kHash);
    EXPECT_FALSE(users->find_by_name("bob").has_value());
    EXPECT_FALSE(users->find_by_id("u2").has_value());
    EXPECT_FALSE(users->find_by_id("alice").has_value()) << "a name is not an id";
    EXPECT_FALSE(users->password_hash("u2").has_value());
    EXPECT_FALSE(users->totp("u2").has_value());
}

TEST_P(UserStoreSuite, ListIsOrderedByName) {
    for (const char* name : {"mallory", "alice", "Zed", "bob"}) {
        users->create(make_user(std::string{"id-"} + name, name), kHash);
    }
    EXPECT_EQ(names_of(users->list()), (std::vector<std::string>{"Zed", "alice", "bob", "mallory"}));
    EXPECT_TRUE(open_another().users->list().size() == 4);
}

TEST_P(UserStoreSuite, AnEmptyStoreListsNothing) {
    EXPECT_TRUE(users->list().empty());
}

TEST_P(UserStoreSuite, PasswordHashIsReplaced) {
    users->create(make_user("u1", "alice"), kHash);
    users->set_password_hash("u1", "$argon2id$new");
    EXPECT_EQ(open_another().users->password_hash("u1"), std::string{"$argon2id$new"});
}

TEST_P(UserStoreSuite, LockAndUnlock) {
    users->create(make_user("u1", "alice"), kHash);
    users->create(make_user("u2", "bob"), kHash);
    users->set_locked("u1", true);
    EXPECT_TRUE(users->find_by_id("u1")->locked);
    EXPECT_FALSE(users->find_by_id("u2")->locked) << "only that user";
    users->set_locked("u1", true);  // idempotent
    EXPECT_TRUE(users->find_by_name("alice")->locked);
    users->set_locked("u1", false);
    EXPECT_FALSE(open_another().users->find_by_id("u1")->locked);
}

TEST_P(UserStoreSuite, RoleIsChanged) {
    users->create(make_user("u1", "alice"), kHash);
    users->create(make_user("u2", "bob"), kHash);
    const service::Role before = users->find_by_id("u2")->role;
    for (const service::Role role : {service::Role::Operator, service::Role::Auditor, service::Role::User}) {
        users->set_role("u1", role);
        EXPECT_EQ(users->find_by_id("u1")->role, role);
        EXPECT_EQ(open_another().users->find_by_name("alice")->role, role);
    }
    users->set_role("u1", service::Role::Auditor);
    users->set_role("u1", service::Role::Auditor);  // idempotent
    EXPECT_EQ(users->list().front().role, service::Role::Auditor);
    EXPECT_EQ(users->find_by_id("u2")->role, before) << "only that user";
}

TEST_P(UserStoreSuite, TotpIsStoredClearedAndReportedAsEnrolled) {
    users->create(make_user("u1", "alice"), kHash);
    EXPECT_FALSE(users->totp("u1").has_value());
    const Bytes sealed{0x00, 0x01, 0xfe, 0xff, 0x00};  // embedded zero bytes must survive
    users->set_totp("u1", sealed);
    EXPECT_EQ(hex_encode(*users->totp("u1")), hex_encode(sealed));
    EXPECT_TRUE(users->find_by_id("u1")->totp_enrolled);
    EXPECT_TRUE(users->list().front().totp_enrolled);
    users->set_totp("u1", std::nullopt);
    EXPECT_FALSE(users->totp("u1").has_value());
    EXPECT_FALSE(users->find_by_id("u1")->totp_enrolled);
}

TEST_P(UserStoreSuite, SettersOfAnUnknownUserAreNotFound) {
    users->create(make_user("u1", "alice"), kHash);
    EXPECT_EQ(code_of([&] { users->set_password_hash("nobody", kHash); }), Errc::NotFound);
    EXPECT_EQ(code_of([&] { users->set_locked("nobody", true); }), Errc::NotFound);
    EXPECT_EQ(code_of([&] { users->set_role("nobody", service::Role::Operator); }), Errc::NotFound);
    EXPECT_EQ(code_of([&] { users->set_totp("nobody", Bytes{1, 2, 3}); }), Errc::NotFound);
    EXPECT_EQ(code_of([&] {
                  users->set_totp("alice", Bytes{1, 2, 3});
              }),
              Errc::NotFound)
        << "a name is not an id";
}

TEST_P(UserStoreSuite, ANewInstanceSeesEarlierData) {
    users->create(make_user("u1", "alice", "ありす"), kHash);
    users->set_locked("u1", true);
    users->set_totp("u1", Bytes{9, 9});
    const auto other = open_another();
    const auto found = other.users->find_by_name("alice");
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->display_name, "ありす");
    EXPECT_TRUE(found->locked);
    EXPECT_TRUE(found->totp_enrolled);
}

// ---- password guessing (migration 9) ----

constexpr std::chrono::seconds kCoolDown{900};

TEST_P(UserStoreSuite, GuessesAreCountedUpToOneAboveTheMaximumAndTheLockBeginsAtTheMaximum) {
    users->create(make_user("u1", "alice"), kHash);
    users->create(make_user("u2", "bob"), kHash);
    for (int i = 1; i <= 5; ++i) {
        EXPECT_EQ(users->reserve_password_guess("u1", 5, kCoolDown, at(1'000 + i)), i);
        const auto state = users->password_failures("u1");
        ASSERT_TRUE(state.has_value());
        EXPECT_EQ(state->locked_at.has_value(), i == 5) << "after guess " << i;
    }
    EXPECT_EQ(text(*users->password_failures("u1")->locked_at), text(at(1'005)));
    EXPECT_EQ(users->reserve_password_guess("u1", 5, kCoolDown, at(1'100)), 6) << "refused unjudged";
    EXPECT_EQ(users->reserve_password_guess("u1", 5, kCoolDown, at(1'200)), 6) << "capped at max + 1";
    EXPECT_EQ(text(*open_another().users->password_failures("u1")->locked_at), text(at(1'005)))
        << "refused guesses do not extend the lock";
    EXPECT_EQ(users->password_failures("u2")->count, 0) << "only that user";
    EXPECT_FALSE(users->password_failures("u2")->locked_at.has_value());
}

TEST_P(UserStoreSuite, TheCoolDownLiftsTheLockCountedFromWhenItBegan) {
    users->create(make_user("u1", "alice"), kHash);
    for (int i = 0; i < 3; ++i) {
        (void)users->reserve_password_guess("u1", 3, kCoolDown, at(10'000));
    }
    EXPECT_EQ(users->reserve_password_guess("u1", 3, kCoolDown, at(10'000 + 899)), 4) << "still locked";
    EXPECT_EQ(users->reserve_password_guess("u1", 3, kCoolDown, at(10'000 + 900)), 1) << "lifted";
    EXPECT_FALSE(users->password_failures("u1")->locked_at.has_value());
    EXPECT_EQ(users->reserve_password_guess("u1", 3, kCoolDown, at(10'000 + 901)), 2);
}

TEST_P(UserStoreSuite, WithoutACoolDownOnlyClearingLiftsTheLock) {
    users->create(make_user("u1", "alice"), kHash);
    for (int i = 0; i < 5; ++i) {
        (void)users->reserve_password_guess("u1", 5, std::chrono::seconds{0}, at(10'000));
    }
    EXPECT_EQ(users->reserve_password_guess("u1", 5, std::chrono::seconds{0}, at(10'000 + 86'400 * 365)), 6);
    open_another().users->clear_password_failures("u1");
    const auto cleared = users->password_failures("u1");
    EXPECT_EQ(cleared->count, 0);
    EXPECT_FALSE(cleared->locked_at.has_value());
    EXPECT_EQ(users->reserve_password_guess("u1", 5, std::chrono::seconds{0}, at(20'000)), 1);
}

TEST_P(UserStoreSuite, PasswordFailuresOfAnUnknownUserAreNotFound) {
    users->create(make_user("u1", "alice"), kHash);
    EXPECT_EQ(code_of([&] { (void)users->reserve_password_guess("nobody", 5, kCoolDown, at(1)); }),
              Errc::NotFound);
    EXPECT_EQ(code_of([&] { users->clear_password_failures("nobody"); }), Errc::NotFound);
    EXPECT_FALSE(users->password_failures("nobody").has_value());
}

TEST_P(UserStoreSuite, TwelveConcurrentGuessesOnTwelveConnectionsGetDistinctCounts) {
    users->create(make_user("u1", "alice"), kHash);
    constexpr int kThreads = 12;
    std::vector<ServiceStores> nodes;
    for (int i = 0; i < kThreads; ++i) {
        nodes.push_back(open_another());
    }
    std::vector<int> counts(kThreads, 0);
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&, i] {
            while (!go.load()) {
                std::this_thread::yield();
            }
            counts[static_cast<std::size_t>(i)] =
                nodes[static_cast<std::size_t>(i)].users->reserve_password_guess("u1", 5, kCoolDown,
                                                                                 at(5'000));
        });
    }
    go = true;
    for (auto& t : threads) {
        t.join();
    }
    std::sort(counts.begin(), counts.end());
    EXPECT_EQ(counts, (std::vector<int>{1, 2, 3, 4, 5, 6, 6, 6, 6, 6, 6, 6}))
        << "exactly 5 guesses may be judged, the other 7 meet the lock";
}

}  // namespace
}  // namespace inkan::storage::testing
