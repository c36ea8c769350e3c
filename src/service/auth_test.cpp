// Sessions: login, bearer tokens, expiry, refresh, RFC 7009 revocation — real SQLite, ManualClock.

#include <inkan/service/auth.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <inkan/core/encoding.h>
#include <inkan/crypto/digest.h>
#include <inkan/service/audit.h>
#include <inkan/testing/process.h>

#include "test_env.h"

namespace inkan::service {
namespace {

using namespace std::chrono_literals;
using testing::code_of;
using testing::secret;
using testing::ServiceEnv;

class SessionsTest : public ::testing::Test {
protected:
    void SetUp() override { alice = env.add("alice"); }

    IssuedTokens login(bool remember_me = false) {
        return env.sessions.login("alice", secret("password-alice"), remember_me);
    }
    Caller caller_of(const std::string& token) { return env.sessions.authenticate(secret(token)); }
    Errc auth_error(const std::string& token, std::string* message = nullptr) {
        return code_of([&] { (void)env.sessions.authenticate(secret(token)); }, message);
    }

    ServiceEnv env;
    User alice;
};

TEST_F(SessionsTest, LoginIssuesAnOpaqueAccessTokenStoredOnlyAsItsHash) {
    const IssuedTokens t = login();
    EXPECT_EQ(t.access_token.size(), 43U) << "32 bytes, base64url without padding";
    EXPECT_EQ(
        t.access_token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos);
    EXPECT_EQ(base64_decode(t.access_token).size(), 32U);
    EXPECT_FALSE(t.refresh_token.has_value());
    EXPECT_EQ(t.expires_in, 3600);

    const auto record =
        env.tokens.find_by_hash(crypto::digest(crypto::DigestAlgorithm::Sha256, as_bytes(t.access_token)));
    ASSERT_TRUE(record.has_value());
    EXPECT_EQ(record->user_id, alice.id);
    EXPECT_EQ(record->kind, TokenKind::Access);
    EXPECT_EQ(record->expires_at - record->issued_at, std::chrono::seconds{3600});
    const auto dump = inkan::testing::run({"sqlite3", (env.dir / "inkan.db").string(), ".dump"});
    EXPECT_EQ(dump.out.find(t.access_token), std::string::npos) << "the token itself is never stored";

    const Caller c = caller_of(t.access_token);
    EXPECT_EQ(c.user_id, alice.id);
    EXPECT_EQ(c.token_id, record->id);
    EXPECT_NE(c.token_id, t.access_token);
    EXPECT_EQ(c.client_id, "");
}

TEST_F(SessionsTest, EveryLoginGetsADifferentToken) {
    EXPECT_NE(login().access_token, login().access_token);
}

TEST_F(SessionsTest, AClientIdIsCarriedToTheCaller) {
    const auto t = env.sessions.login("alice", secret("password-alice"), false, "app-1");
    EXPECT_EQ(caller_of(t.access_token).client_id, "app-1");
}

TEST_F(SessionsTest, AWrongPasswordAndAnUnknownUserGetTheSameError) {
    std::string wrong_message;
    std::string unknown_message;
    EXPECT_EQ(code_of([&] { env.sessions.login("alice", secret("password-alicE"), false); }, &wrong_message),
              Errc::InvalidAuthData);
    EXPECT_EQ(
        code_of([&] { env.sessions.login("mallory", secret("password-alice"), false); }, &unknown_message),
        Errc::InvalidAuthData);
    EXPECT_EQ(wrong_message, unknown_message) << "no hint which it was";
    EXPECT_EQ(wrong_message.find("password-"), std::string::npos);
}

TEST_F(SessionsTest, ALockedUserCannotLogInButIsToldOnlyWithTheRightPassword) {
    env.accounts.lock("alice");
    EXPECT_EQ(code_of([&] { login(); }), Errc::Locked);
    EXPECT_EQ(code_of([&] { env.sessions.login("alice", secret("wrong-password"), false); }),
              Errc::InvalidAuthData);
    env.accounts.unlock("alice");
    EXPECT_NO_THROW(login());
}

TEST_F(SessionsTest, LockingAUserStopsTheirTokens) {
    const auto t = login();
    env.accounts.lock("alice");
    EXPECT_EQ(auth_error(t.access_token), Errc::Locked);
    env.accounts.unlock("alice");
    EXPECT_EQ(caller_of(t.access_token).user_id, alice.id);
}

TEST_F(SessionsTest, AccessTokensExpire) {
    const auto t = login();
    env.clock.advance(3599s);
    EXPECT_EQ(caller_of(t.access_token).user_id, alice.id);
    env.clock.advance(1s);
    std::string message;
    EXPECT_EQ(auth_error(t.access_token, &message), Errc::Unauthenticated);
    EXPECT_NE(message.find("expired"), std::string::npos) << message;
    EXPECT_EQ(message.find(t.access_token), std::string::npos) << "the token is never in a message";
}

TEST_F(SessionsTest, TheLifetimeIsConfigurable) {
    Sessions short_lived{env.accounts, env.users, env.tokens, env.clock, AuthSettings{60s, 120s}};
    const auto t = short_lived.login("alice", secret("password-alice"), true);
    EXPECT_EQ(t.expires_in, 60);
    env.clock.advance(60s);
    EXPECT_EQ(code_of([&] { (void)short_lived.authenticate(secret(t.access_token)); }),
              Errc::Unauthenticated);
    EXPECT_NO_THROW(short_lived.refresh(secret(*t.refresh_token)));
    env.clock.advance(60s);
    EXPECT_EQ(code_of([&] { short_lived.refresh(secret(*t.refresh_token)); }), Errc::InvalidAuthData);
}

TEST_F(SessionsTest, UnknownExpiredAndRevokedAreAllUnauthenticatedWithDistinctDetails) {
    std::string unknown;
    std::string revoked;
    EXPECT_EQ(auth_error(base64url_encode(Bytes(32, 7)), &unknown), Errc::Unauthenticated);
    EXPECT_NE(unknown.find("unknown"), std::string::npos) << unknown;
    EXPECT_EQ(auth_error(""), Errc::Unauthenticated);
    EXPECT_EQ(auth_error(std::string(10000, 'A')), Errc::Unauthenticated);
    const auto t = login();
    const Caller c = caller_of(t.access_token);
    env.sessions.revoke(c, secret(t.access_token), "access_token");
    EXPECT_EQ(auth_error(t.access_token, &revoked), Errc::Unauthenticated);
    EXPECT_NE(revoked.find("revoked"), std::string::npos) << revoked;
}

TEST_F(SessionsTest, ARefreshTokenIsNotABearerToken) {
    const auto t = login(true);
    ASSERT_TRUE(t.refresh_token.has_value());
    EXPECT_EQ(t.refresh_token->size(), 43U);
    EXPECT_NE(*t.refresh_token, t.access_token);
    EXPECT_EQ(auth_error(*t.refresh_token), Errc::Unauthenticated);
    EXPECT_EQ(code_of([&] { env.sessions.refresh(secret(t.access_token)); }), Errc::InvalidAuthData)
        << "and an access token is no refresh token";
}

TEST_F(SessionsTest, RefreshIssuesANewAccessTokenInTheSameGrant) {
    const auto t = login(true);
    env.clock.advance(4000s);  // the first access token is gone
    EXPECT_EQ(auth_error(t.access_token), Errc::Unauthenticated);
    const IssuedTokens again = env.sessions.refresh(secret(*t.refresh_token));
    EXPECT_FALSE(again.refresh_token.has_value()) << "no rotation: the refresh token stays valid";
    EXPECT_EQ(caller_of(again.access_token).user_id, alice.id);
    const IssuedTokens third = env.sessions.refresh(secret(*t.refresh_token));
    EXPECT_NE(third.access_token, again.access_token);
    EXPECT_EQ(code_of([&] { env.sessions.refresh(secret("garbage")); }), Errc::InvalidAuthData);
}

TEST_F(SessionsTest, RefreshTokensExpireAfterThirtyDaysByDefault) {
    const auto t = login(true);
    env.clock.advance(std::chrono::hours{24 * 30} - 1s);
    EXPECT_NO_THROW(env.sessions.refresh(secret(*t.refresh_token)));
    env.clock.advance(1s);
    EXPECT_EQ(code_of([&] { env.sessions.refresh(secret(*t.refresh_token)); }), Errc::InvalidAuthData);
}

TEST_F(SessionsTest, ALockedUserCannotRefresh) {
    const auto t = login(true);
    env.accounts.lock("alice");
    EXPECT_EQ(code_of([&] { env.sessions.refresh(secret(*t.refresh_token)); }), Errc::Locked);
}

TEST_F(SessionsTest, RevokingAnAccessTokenLeavesTheRefreshTokenAlone) {
    const auto t = login(true);
    const Caller c = caller_of(t.access_token);
    env.sessions.revoke(c, secret(t.access_token), "");
    EXPECT_EQ(auth_error(t.access_token), Errc::Unauthenticated);
    const auto again = env.sessions.refresh(secret(*t.refresh_token));
    EXPECT_EQ(caller_of(again.access_token).user_id, alice.id);
}

TEST_F(SessionsTest, RevokingTheRefreshTokenRevokesItsGrant) {
    const auto t = login(true);
    const auto second = env.sessions.refresh(secret(*t.refresh_token));
    const auto other_session = login(false);
    const Caller c = caller_of(t.access_token);
    // The hint is only a hint (RFC 7009 §2.1): a refresh token named as access token is still found.
    env.sessions.revoke(c, secret(*t.refresh_token), "access_token");
    EXPECT_EQ(auth_error(t.access_token), Errc::Unauthenticated);
    EXPECT_EQ(auth_error(second.access_token), Errc::Unauthenticated);
    EXPECT_EQ(code_of([&] { env.sessions.refresh(secret(*t.refresh_token)); }), Errc::InvalidAuthData);
    EXPECT_EQ(caller_of(other_session.access_token).user_id, alice.id) << "another grant is untouched";
}

TEST_F(SessionsTest, OnlyTheOwnerMayRevokeAndOnlyKnownTokens) {
    env.add("bob");
    const auto alices = login();
    const auto bobs = env.sessions.login("bob", secret("password-bob"), false);
    const Caller bob = caller_of(bobs.access_token);
    EXPECT_EQ(code_of([&] { env.sessions.revoke(bob, secret(alices.access_token), ""); }),
              Errc::InvalidRequest);
    EXPECT_EQ(caller_of(alices.access_token).user_id, alice.id) << "still valid";
    EXPECT_EQ(code_of([&] { env.sessions.revoke(bob, secret("not-a-token"), ""); }), Errc::InvalidRequest);
    EXPECT_EQ(code_of([&] { env.sessions.revoke(bob, secret(bobs.access_token), "id_token"); }),
              Errc::InvalidRequest);
    env.sessions.revoke(bob, secret(bobs.access_token), "access_token");
    EXPECT_EQ(auth_error(bobs.access_token), Errc::Unauthenticated);
}

TEST_F(SessionsTest, ExpiredTokensArePurged) {
    const auto t = login(false);
    env.clock.advance(2h);
    EXPECT_EQ(env.tokens.purge_expired(env.clock.now()), 1U);
    std::string message;
    EXPECT_EQ(auth_error(t.access_token, &message), Errc::Unauthenticated);
    EXPECT_NE(message.find("unknown"), std::string::npos) << message;
}

// ---- password guessing (sole-control issue §4, §5; decision 0015) ----

class PasswordLockoutTest : public ::testing::Test {
protected:
    void SetUp() override {
        alice = env.add("alice");
        sessions.set_audit(&audit);
    }
    std::string login_error(std::string_view user, std::string_view password) {
        std::string message;
        EXPECT_EQ(code_of([&] { (void)sessions.login(user, secret(password), false); }, &message),
                  Errc::InvalidAuthData)
            << user;
        return message;
    }
    /// The audit outcomes of auth.login, oldest first, joined by spaces.
    std::string outcomes() const {
        std::string out;
        for (const auto& e : audit_store.all()) {
            if (e.event.action == "auth.login") {
                out += (out.empty() ? "" : " ") + e.event.outcome;
            }
        }
        return out;
    }

    ServiceEnv env;
    storage::SqliteAuditStore audit_store{env.db};
    AuditLog audit{audit_store, env.clock};
    /// 5 failures, 15 minutes: the defaults.
    Accounts accounts{env.users, env.sealer, env.clock};
    Sessions sessions{accounts, env.users, env.tokens, env.clock};
    User alice;
};

TEST_F(PasswordLockoutTest, SixWrongPasswordsThenTheRightOneIsRefusedWithTheUnknownUsersError) {
    const std::string unknown = login_error("mallory", "password-alice");
    for (int i = 0; i < 6; ++i) {
        EXPECT_EQ(login_error("alice", "guess-" + std::to_string(i)), unknown) << "guess " << i;
    }
    EXPECT_EQ(login_error("alice", "password-alice"), unknown) << "the right password after the lock";
    EXPECT_EQ(outcomes(),
              "unknown_user bad_password bad_password bad_password bad_password bad_password "
              "password_locked password_locked");
    const auto state = accounts.password_failures(alice.id);
    ASSERT_TRUE(state.has_value());
    EXPECT_EQ(state->count, 6) << "capped at max + 1";
    EXPECT_TRUE(state->locked_at.has_value());
    const auto fifth = audit_store.all()[5].event;
    EXPECT_EQ(fifth.user_id, alice.id);
    // The name tried is recorded with every failure (decision 0039), the password never.
    EXPECT_EQ(fifth.details, R"({"now_locked":true,"password_failures":5,"user_name":"alice"})");
    EXPECT_EQ(audit_store.all()[0].event.details, R"({"user_name":"mallory"})") << "an unknown name too";
    EXPECT_FALSE(env.accounts.find_by_id(alice.id)->locked) << "not the operator's lock";
}

TEST_F(PasswordLockoutTest, ARightPasswordBeforeTheLockClearsTheCount) {
    for (int i = 0; i < 4; ++i) {
        (void)login_error("alice", "guess");
    }
    EXPECT_NO_THROW((void)sessions.login("alice", secret("password-alice"), false));
    EXPECT_EQ(accounts.password_failures(alice.id)->count, 0);
    for (int i = 0; i < 4; ++i) {
        (void)login_error("alice", "guess");
    }
    EXPECT_NO_THROW((void)sessions.login("alice", secret("password-alice"), false)) << "4 more are fine";
}

TEST_F(PasswordLockoutTest, TheCoolDownLiftsTheLockByItself) {
    for (int i = 0; i < 5; ++i) {
        (void)login_error("alice", "guess");
    }
    env.clock.advance(std::chrono::seconds{899});
    (void)login_error("alice", "password-alice");
    env.clock.advance(std::chrono::seconds{1});
    EXPECT_NO_THROW((void)sessions.login("alice", secret("password-alice"), false)) << "15 minutes later";
}

TEST_F(PasswordLockoutTest, WithoutACoolDownOnlyTheOperatorsUnlockLiftsIt) {
    Accounts strict{env.users, env.sealer, env.clock, "inkan", PasswordLockout{3, std::chrono::seconds{0}}};
    Sessions strict_sessions{strict, env.users, env.tokens, env.clock};
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(code_of([&] { (void)strict_sessions.login("alice", secret("guess"), false); }),
                  Errc::InvalidAuthData);
    }
    env.clock.advance(std::chrono::hours{24 * 365});
    EXPECT_EQ(code_of([&] { (void)strict_sessions.login("alice", secret("password-alice"), false); }),
              Errc::InvalidAuthData)
        << "a year later, still locked";
    strict.unlock("alice");
    EXPECT_EQ(strict.password_failures(alice.id)->count, 0);
    EXPECT_NO_THROW((void)strict_sessions.login("alice", secret("password-alice"), false));
}

TEST_F(PasswordLockoutTest, TheSettingsAreChecked) {
    EXPECT_EQ(code_of([&] {
                  Accounts a{env.users, env.sealer, env.clock, "inkan", PasswordLockout{0, {}}};
              }),
              Errc::InvalidConfig);
    EXPECT_EQ(code_of([&] {
                  Accounts a{env.users, env.sealer, env.clock, "inkan",
                             PasswordLockout{5, std::chrono::seconds{-1}}};
              }),
              Errc::InvalidConfig);
}

TEST_F(PasswordLockoutTest, TwelveParallelWrongPasswordsOnTwelveConnectionsGetAtMostFiveJudged) {
    // Each thread is a node of its own: its connection, stores, Accounts, Sessions and audit log.
    struct Node {
        explicit Node(ServiceEnv& env)
            : db{std::make_shared<storage::Database>(env.dir / "inkan.db")},
              users{db},
              tokens{db},
              audit_store{db},
              audit{audit_store, env.clock},
              accounts{users, env.sealer, env.clock},
              sessions{accounts, users, tokens, env.clock} {
            sessions.set_audit(&audit);
        }
        std::shared_ptr<storage::Database> db;
        storage::SqliteUserStore users;
        storage::SqliteTokenStore tokens;
        storage::SqliteAuditStore audit_store;
        AuditLog audit;
        Accounts accounts;
        Sessions sessions;
    };
    constexpr int kThreads = 12;
    std::vector<std::unique_ptr<Node>> nodes;
    for (int i = 0; i < kThreads; ++i) {
        nodes.push_back(std::make_unique<Node>(env));
    }
    std::atomic<bool> go{false};
    std::atomic<int> refused{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&, i] {
            while (!go.load()) {
                std::this_thread::yield();
            }
            try {
                (void)nodes[static_cast<std::size_t>(i)]->sessions.login(
                    "alice", secret("guess-" + std::to_string(i)), false);
            } catch (const Error& e) {
                if (e.code() == Errc::InvalidAuthData) {
                    refused.fetch_add(1);
                }
            }
        });
    }
    go = true;
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(refused.load(), kThreads);
    int judged = 0;
    int locked = 0;
    for (const auto& e : audit_store.all()) {
        judged += e.event.outcome == "bad_password" ? 1 : 0;
        locked += e.event.outcome == "password_locked" ? 1 : 0;
    }
    EXPECT_EQ(judged, 5) << "only five guesses had their password verified";
    EXPECT_EQ(locked, kThreads - 5) << "the rest met the lock";
    EXPECT_EQ(login_error("alice", "password-alice"), login_error("mallory", "x")) << "and it holds";
}

}  // namespace
}  // namespace inkan::service
