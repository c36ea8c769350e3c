// The operator console's sessions and the operator use cases it shares with the CLI (decision 0041), on a
// real SoftHSM token (TOTP seeds sealed), a real SQLite database and a ManualClock: sign-in with password
// and one-time code under the API's lockouts, idle and absolute timeouts, CSRF tokens, roles, and the
// audit search's keyset paging and filters.

#include <inkan/service/console.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <inkan/service/admin.h>
#include <inkan/service/secrets.h>

#include "test_env.h"

namespace inkan::service {
namespace {

using namespace std::chrono_literals;
using testing::code_of;
using testing::secret;
using testing::ServiceEnv;
using testing::token;

class ConsoleTest : public ::testing::Test {
protected:
    ConsoleTest()
        : authz_store{env.db},
          audit_store{env.db},
          audit{audit_store, env.clock},
          authz{env.credentials, env.users, env.accounts, authz_store, audit, token(), env.clock},
          sessions{env.db},
          console{sessions, env.accounts, authz, audit, env.clock, settings()},
          admin{env.accounts, authz, audit, audit_store, env.users, env.credentials, nullptr, nullptr} {
        oper = add("oper", Role::Operator);
        audi = add("audi", Role::Auditor);
        signer = add("signer", Role::User);
    }

    static ConsoleSettings settings() {
        ConsoleSettings s;
        s.idle = 15min;
        s.absolute = 8h;
        return s;
    }

    User add(const std::string& name, Role role) {
        NewUser u;
        u.name = name;
        u.role = role;
        u.password = Secret{"password-" + name};
        u.totp = true;
        return env.accounts.add_user(std::move(u)).user;
    }

    /// The user's code of the next TOTP step (each step is accepted once).
    Secret code(const User& u) {
        env.clock.advance(30s);
        return Secret{totp_code(*env.accounts.totp_secret(u.id), env.clock.now())};
    }

    ConsoleSignIn sign_in(const User& u) {
        return console.sign_in(u.name, Secret{"password-" + u.name}, code(u));
    }

    /// The outcomes of the audit entries with this action, oldest first.
    std::vector<std::string> outcomes(std::string_view action) {
        std::vector<std::string> out;
        for (const auto& e : audit_store.all()) {
            if (e.event.action == action) {
                out.push_back(e.event.outcome);
            }
        }
        return out;
    }

    ServiceEnv env;
    storage::SqliteAuthorizationStore authz_store;
    storage::SqliteAuditStore audit_store;
    AuditLog audit;
    Authorization authz;
    storage::SqliteConsoleSessionStore sessions;
    Console console;
    Administration admin;
    User oper, audi, signer;
};

TEST_F(ConsoleTest, PasswordAndCodeOpenASessionThatNamesTheOperator) {
    const ConsoleSignIn in = sign_in(oper);
    EXPECT_EQ(in.user.name, "oper");
    EXPECT_TRUE(in.user.may_change());
    const ConsoleUser again = console.authenticate(in.session);
    EXPECT_EQ(again.user_id, oper.id);
    EXPECT_EQ(again.session_id, in.user.session_id);
    const auto entries = audit_store.all();
    ASSERT_FALSE(entries.empty());
    EXPECT_EQ(entries.back().event.action, "console.login");
    EXPECT_EQ(entries.back().event.outcome, "ok");
    EXPECT_EQ(entries.back().event.operator_name, "oper");
    EXPECT_EQ(entries.back().event.details.find(std::string{in.session.reveal()}), std::string::npos)
        << "the session secret must never be audited: " << entries.back().event.details;
}

TEST_F(ConsoleTest, AuditorSignsInButEveryChangeIsRefused) {
    const ConsoleSignIn in = sign_in(audi);
    EXPECT_FALSE(in.user.may_change());
    EXPECT_EQ(code_of([&] { Console::require_operator(console.authenticate(in.session)); }), Errc::Forbidden);
    EXPECT_NO_THROW(Console::require_operator(sign_in(oper).user));
}

TEST_F(ConsoleTest, WrongPasswordWrongCodeAndASignerAccountGetOneAnswer) {
    EXPECT_EQ(code_of([&] { (void)console.sign_in("oper", secret("wrong-password"), code(oper)); }),
              Errc::InvalidAuthData);
    EXPECT_EQ(code_of([&] { (void)console.sign_in("nobody", secret("password-nobody"), code(oper)); }),
              Errc::InvalidAuthData);
    EXPECT_EQ(code_of([&] { (void)console.sign_in("oper", secret("password-oper"), secret("000000")); }),
              Errc::InvalidAuthData);
    // A signer's right password and code open nothing here.
    EXPECT_EQ(code_of([&] { (void)sign_in(signer); }), Errc::InvalidAuthData);
    const auto logins = outcomes("console.login");
    EXPECT_EQ(logins, (std::vector<std::string>{"bad_password", "unknown_user", "not_operator_or_auditor"}));
    EXPECT_EQ(outcomes("console.otp").size(), 1U) << "the wrong code is audited by verify_otp";
}

TEST_F(ConsoleTest, PasswordGuessingLocksTheConsoleAsItLocksTheApi) {
    const int max = env.accounts.lockout().max_failures;
    for (int i = 0; i < max; ++i) {
        EXPECT_EQ(code_of([&] { (void)console.sign_in("oper", secret("guess"), code(oper)); }),
                  Errc::InvalidAuthData);
    }
    EXPECT_TRUE(env.accounts.password_locked(oper.id));
    // Now even the right password and code are refused, with the same answer.
    EXPECT_EQ(code_of([&] { (void)sign_in(oper); }), Errc::InvalidAuthData);
    EXPECT_EQ(outcomes("console.login").back(), "password_locked");
}

TEST_F(ConsoleTest, ACodeWorksOnceEvenForTheRightPassword) {
    env.clock.advance(30s);
    const Secret c{totp_code(*env.accounts.totp_secret(oper.id), env.clock.now())};
    (void)console.sign_in("oper", secret("password-oper"), c);
    EXPECT_EQ(code_of([&] { (void)console.sign_in("oper", secret("password-oper"), c); }),
              Errc::InvalidAuthData);
}

TEST_F(ConsoleTest, IdleSessionEndsAndUseKeepsItAlive) {
    const ConsoleSignIn in = sign_in(oper);
    env.clock.advance(14min);
    EXPECT_NO_THROW((void)console.authenticate(in.session));
    env.clock.advance(14min);  // 28 min since sign-in, 14 since the last use
    EXPECT_NO_THROW((void)console.authenticate(in.session));
    env.clock.advance(15min);
    EXPECT_EQ(code_of([&] { (void)console.authenticate(in.session); }), Errc::Unauthenticated);
}

TEST_F(ConsoleTest, SessionEndsAtTheAbsoluteTimeoutHoweverBusy) {
    const ConsoleSignIn in = sign_in(oper);
    auto elapsed = 0min;
    while (elapsed + 10min < 8h) {
        env.clock.advance(10min);
        elapsed += 10min;
        ASSERT_NO_THROW((void)console.authenticate(in.session)) << "after " << elapsed.count() << " min";
    }
    env.clock.advance(8h - elapsed);
    EXPECT_EQ(code_of([&] { (void)console.authenticate(in.session); }), Errc::Unauthenticated);
}

TEST_F(ConsoleTest, CsrfTokenBelongsToItsSession) {
    const ConsoleSignIn a = sign_in(oper);
    const ConsoleSignIn b = sign_in(audi);
    EXPECT_NO_THROW(Console::check_csrf(a.session, Console::csrf_token(a.session)));
    EXPECT_EQ(code_of([&] { Console::check_csrf(a.session, Console::csrf_token(b.session)); }),
              Errc::Forbidden);
    EXPECT_EQ(code_of([&] { Console::check_csrf(a.session, ""); }), Errc::Forbidden);
    EXPECT_NE(Console::csrf_token(a.session), std::string{a.session.reveal()});
}

TEST_F(ConsoleTest, SignOutEndsTheSessionAndIsAudited) {
    const ConsoleSignIn in = sign_in(oper);
    console.sign_out(in.session);
    EXPECT_EQ(code_of([&] { (void)console.authenticate(in.session); }), Errc::Unauthenticated);
    EXPECT_EQ(outcomes("console.logout"), (std::vector<std::string>{"ok"}));
    EXPECT_EQ(code_of([&] { (void)console.authenticate(secret("made-up")); }), Errc::Unauthenticated);
}

TEST_F(ConsoleTest, LockingAnAccountEndsItsConsoleSessionAtOnce) {
    const ConsoleSignIn in = sign_in(audi);
    admin.lock_user("oper", "audi");
    EXPECT_EQ(code_of([&] { (void)console.authenticate(in.session); }), Errc::Unauthenticated);
    const auto entries = audit_store.all();
    EXPECT_EQ(entries.back().event.action, "user.lock");
    EXPECT_EQ(entries.back().event.operator_name, "oper");
    EXPECT_EQ(entries.back().event.user_id, audi.id);
}

TEST_F(ConsoleTest, BearerAccountMustBeAnUnlockedOperatorOrAuditor) {
    EXPECT_TRUE(console.account(oper.id).may_change());
    EXPECT_FALSE(console.account(audi.id).may_change());
    EXPECT_EQ(code_of([&] { (void)console.account(signer.id); }), Errc::Forbidden);
    env.accounts.lock("oper");
    EXPECT_EQ(code_of([&] { (void)console.account(oper.id); }), Errc::Forbidden);
}

TEST_F(ConsoleTest, AuditSearchPagesNewestFirstByKeysetAndFilters) {
    for (int i = 0; i < 5; ++i) {
        admin.lock_user("oper", "signer");
        (void)admin.unlock_user("oper", "signer");
    }
    AuditSearch s;
    s.action = "user.lock";
    s.limit = 2;
    AuditPage page = admin.search_audit(s);
    ASSERT_EQ(page.entries.size(), 2U);
    ASSERT_TRUE(page.next_before.has_value());
    EXPECT_GT(page.entries[0].entry.seq, page.entries[1].entry.seq) << "newest first";
    std::vector<std::uint64_t> seen;
    for (;;) {
        for (const auto& e : page.entries) {
            EXPECT_EQ(e.entry.event.action, "user.lock");
            EXPECT_EQ(e.user_name, "signer");
            seen.push_back(e.entry.seq);
        }
        if (!page.next_before) {
            break;
        }
        s.before_seq = page.next_before;
        page = admin.search_audit(s);
    }
    EXPECT_EQ(seen.size(), 5U);

    AuditSearch family;  // "user" is user.lock, user.unlock, user.unlock_otp, user.add...
    family.action = "user";
    family.user = "signer";
    family.limit = 1000;
    EXPECT_EQ(admin.search_audit(family).entries.size(), 15U);
}

TEST_F(ConsoleTest, FailedOutcomeFilterAndExportAgreeWithTheSearch) {
    EXPECT_EQ(code_of([&] { (void)console.sign_in("oper", secret("wrong"), code(oper)); }),
              Errc::InvalidAuthData);
    (void)sign_in(oper);
    AuditSearch s;
    s.action = "console.login";
    s.outcome = "failed";
    const AuditPage page = admin.search_audit(s);
    ASSERT_EQ(page.entries.size(), 1U);
    EXPECT_EQ(page.entries[0].entry.event.outcome, "bad_password");
    const std::string csv = admin.export_audit(s, AuditExportFormat::Csv);
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 2) << csv;
    EXPECT_NE(csv.find("bad_password"), std::string::npos) << csv;
    EXPECT_TRUE(admin.verify_audit().ok);
}

}  // namespace
}  // namespace inkan::service
