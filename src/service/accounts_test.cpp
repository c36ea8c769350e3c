// Accounts on a real SoftHSM token and a real SQLite database: users, passwords, locks, TOTP.

#include <inkan/service/accounts.h>

#include <chrono>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include <inkan/core/encoding.h>
#include <inkan/service/secrets.h>
#include <inkan/testing/process.h>

#include "test_env.h"

namespace inkan::service {
namespace {

using namespace std::chrono_literals;
using testing::code_of;
using testing::secret;
using testing::ServiceEnv;

class AccountsTest : public ::testing::Test {
protected:
    ServiceEnv env;
};

TEST_F(AccountsTest, AddUserStoresAHashedPasswordAndDefaultsTheDisplayName) {
    NewUser request;
    request.name = "alice";
    request.password = secret("s3cret-password");
    const UserCreated created = env.accounts.add_user(std::move(request));
    EXPECT_EQ(created.user.name, "alice");
    EXPECT_EQ(created.user.display_name, "alice");
    EXPECT_EQ(created.user.role, Role::User);
    EXPECT_FALSE(created.user.locked);
    EXPECT_FALSE(created.user.totp_enrolled);
    EXPECT_EQ(created.user.id.size(), 32U);
    EXPECT_FALSE(created.otpauth_uri.has_value());
    EXPECT_FALSE(created.totp_secret_base32.has_value());

    const auto hash = env.users.password_hash(created.user.id);
    ASSERT_TRUE(hash.has_value());
    EXPECT_EQ(hash->rfind("$argon2id$", 0), 0U);
    EXPECT_EQ(hash->find("s3cret-password"), std::string::npos);
    // The database file holds no trace of the password.
    const auto r = inkan::testing::run({"sqlite3", (env.dir / "inkan.db").string(), ".dump"});
    EXPECT_EQ(r.out.find("s3cret-password"), std::string::npos);
}

TEST_F(AccountsTest, AJapaneseDisplayNameAndARoleRoundTrip) {
    NewUser request;
    request.name = "yamada.taro@example.jp";
    request.display_name = "山田 太郎";
    request.role = Role::Auditor;
    request.password = secret("パスワードは八文字");
    env.accounts.add_user(std::move(request));
    const User u = env.accounts.get_by_name("yamada.taro@example.jp");
    EXPECT_EQ(u.display_name, "山田 太郎");
    EXPECT_EQ(u.role, Role::Auditor);
    EXPECT_EQ(env.accounts.find_by_id(u.id)->name, u.name);
}

TEST_F(AccountsTest, InputIsValidated) {
    auto add = [&](std::string name, std::string display, std::string password) {
        NewUser r;
        r.name = std::move(name);
        r.display_name = std::move(display);
        r.password = Secret{std::move(password)};
        return code_of([&] { env.accounts.add_user(std::move(r)); });
    };
    EXPECT_EQ(add("", "", "password1"), Errc::InvalidRequest);
    EXPECT_EQ(add(std::string(65, 'a'), "", "password1"), Errc::InvalidRequest);
    EXPECT_EQ(add("with space", "", "password1"), Errc::InvalidRequest);
    EXPECT_EQ(add("slash/name", "", "password1"), Errc::InvalidRequest);
    EXPECT_EQ(add("山田", "", "password1"), Errc::InvalidRequest) << "login names are ASCII";
    EXPECT_EQ(add("alice", "", "short"), Errc::InvalidRequest);
    EXPECT_EQ(add("alice", "", "七文字のパスワ"), Errc::InvalidRequest) << "7 characters, 21 bytes";
    EXPECT_EQ(add("alice", "tab\there", "password1"), Errc::InvalidRequest);
    EXPECT_EQ(add("alice", "bad\xff utf8", "password1"), Errc::InvalidRequest);
    EXPECT_EQ(add("alice", "c1\xc2\x85", "password1"), Errc::InvalidRequest) << "C1 control (NEL)";
    EXPECT_EQ(add("alice", std::string(256, 'x'), "password1"), Errc::InvalidRequest) << "256 bytes";
    EXPECT_TRUE(env.accounts.list().empty());
    // 255 bytes of Japanese (85 × 3) is fine, and so is an 8-character Japanese password.
    std::string long_name;
    for (int i = 0; i < 85; ++i) {
        long_name += "あ";
    }
    EXPECT_EQ(long_name.size(), 255U);
    NewUser ok;
    ok.name = "A-z0.9_@-";
    ok.display_name = long_name;
    ok.password = secret("八文字のパスワード");
    env.accounts.add_user(std::move(ok));
    EXPECT_EQ(env.accounts.get_by_name("A-z0.9_@-").display_name, long_name);
}

TEST_F(AccountsTest, ATakenNameIsAConflict) {
    env.add("alice");
    NewUser again;
    again.name = "alice";
    again.password = secret("another-password");
    EXPECT_EQ(code_of([&] { env.accounts.add_user(std::move(again)); }), Errc::Conflict);
    EXPECT_EQ(env.accounts.list().size(), 1U);
}

TEST_F(AccountsTest, ListLockUnlock) {
    env.add("carol");
    env.add("alice");
    env.accounts.lock("alice");
    const auto list = env.accounts.list();
    ASSERT_EQ(list.size(), 2U);
    EXPECT_EQ(list[0].name, "alice");
    EXPECT_TRUE(list[0].locked);
    EXPECT_FALSE(list[1].locked);
    env.accounts.unlock("alice");
    EXPECT_FALSE(env.accounts.get_by_name("alice").locked);
    EXPECT_EQ(code_of([&] { env.accounts.lock("nobody"); }), Errc::NotFound);
    EXPECT_EQ(code_of([&] { env.accounts.unlock("nobody"); }), Errc::NotFound);
    EXPECT_EQ(code_of([&] { (void)env.accounts.get_by_name("nobody"); }), Errc::NotFound);
}

TEST_F(AccountsTest, AuthenticateChecksThePasswordAndTheLock) {
    env.add("alice");
    EXPECT_TRUE(env.accounts.authenticate("alice", secret("password-alice")).has_value());
    EXPECT_FALSE(env.accounts.authenticate("alice", secret("password-alicf")).has_value());
    EXPECT_FALSE(env.accounts.authenticate("alice", secret("")).has_value());
    EXPECT_FALSE(env.accounts.authenticate("Alice", secret("password-alice")).has_value());
    EXPECT_FALSE(env.accounts.authenticate("nobody", secret("password-alice")).has_value());
    EXPECT_FALSE(env.accounts.authenticate("bad name!", secret("password-alice")).has_value());
    env.accounts.lock("alice");
    EXPECT_FALSE(env.accounts.authenticate("alice", secret("password-alice")).has_value());
    const auto locked = env.accounts.check_password("alice", secret("password-alice"));
    ASSERT_TRUE(locked.ok()) << "check_password ignores the operator's lock";
    EXPECT_TRUE(locked.user->locked);
}

TEST_F(AccountsTest, ChangePasswordReplacesTheOldOne) {
    env.add("alice");
    env.accounts.change_password("alice", secret("a brand new one"));
    EXPECT_FALSE(env.accounts.authenticate("alice", secret("password-alice")).has_value());
    EXPECT_TRUE(env.accounts.authenticate("alice", secret("a brand new one")).has_value());
    EXPECT_EQ(code_of([&] { env.accounts.change_password("alice", secret("short")); }), Errc::InvalidRequest);
    EXPECT_EQ(code_of([&] { env.accounts.change_password("nobody", secret("long enough")); }),
              Errc::NotFound);
    EXPECT_TRUE(env.accounts.authenticate("alice", secret("a brand new one")).has_value());
}

TEST_F(AccountsTest, TotpEnrolmentGivesAUriWhoseCodesTheServiceAccepts) {
    NewUser request;
    request.name = "alice";
    request.password = secret("password-alice");
    request.totp = true;
    const UserCreated created = env.accounts.add_user(std::move(request));
    ASSERT_TRUE(created.otpauth_uri && created.totp_secret_base32);
    EXPECT_TRUE(created.user.totp_enrolled);
    EXPECT_TRUE(env.accounts.get_by_name("alice").totp_enrolled);

    const std::regex shape{
        "otpauth://totp/inkan:alice\\?secret=([A-Z2-7]{32})&issuer=inkan&algorithm=SHA1"
        "&digits=6&period=30"};
    std::smatch m;
    ASSERT_TRUE(std::regex_match(*created.otpauth_uri, m, shape)) << *created.otpauth_uri;
    EXPECT_EQ(m[1].str(), *created.totp_secret_base32);

    const auto seed = env.accounts.totp_secret(created.user.id);
    ASSERT_TRUE(seed.has_value());
    EXPECT_EQ(seed->size(), 20U);
    EXPECT_EQ(base32_encode(*seed), *created.totp_secret_base32);

    // What an authenticator app computes from the URI, checked with a ±1 step window on the clock.
    const Bytes app_seed = base32_decode(m[1].str());
    const TimePoint now = env.clock.now();
    const std::string code = totp_code(app_seed, now);
    EXPECT_EQ(totp_match(*seed, code, now), totp_step(now));
    env.clock.advance(30s);
    EXPECT_EQ(totp_match(*seed, code, env.clock.now()), totp_step(now)) << "one step late is accepted";
    env.clock.advance(30s);
    EXPECT_FALSE(totp_match(*seed, code, env.clock.now()).has_value()) << "two steps late is refused";
    env.clock.set(now - 30s);
    EXPECT_TRUE(totp_match(*seed, code, env.clock.now()).has_value()) << "one step early is accepted";
}

TEST_F(AccountsTest, TheTotpSeedIsStoredSealedNotInClear) {
    env.add("alice", "", true);
    const User u = env.accounts.get_by_name("alice");
    const auto seed = env.accounts.totp_secret(u.id);
    const auto sealed = env.users.totp(u.id);
    ASSERT_TRUE(seed && sealed);
    EXPECT_EQ(sealed->size(), 12 + 20 + 16U) << "iv || ciphertext || tag";
    EXPECT_EQ(std::search(sealed->begin(), sealed->end(), seed->begin(), seed->end()), sealed->end());
}

TEST_F(AccountsTest, ReEnrolmentReplacesTheSeed) {
    env.add("alice", "", true);
    const User u = env.accounts.get_by_name("alice");
    const Bytes first = *env.accounts.totp_secret(u.id);
    const auto [uri, b32] = env.accounts.enrol_totp("alice");
    const Bytes second = *env.accounts.totp_secret(u.id);
    EXPECT_NE(first, second);
    EXPECT_EQ(base32_encode(second), b32);
    EXPECT_NE(uri.find(b32), std::string::npos);
    EXPECT_EQ(code_of([&] { (void)env.accounts.enrol_totp("nobody"); }), Errc::NotFound);
}

TEST_F(AccountsTest, NoTotpSecretWithoutEnrolment) {
    const User u = env.add("alice");
    EXPECT_FALSE(env.accounts.totp_secret(u.id).has_value());
}

TEST_F(AccountsTest, ATamperedOrMovedSealedSeedIsInvalidAuthData) {
    const User alice = env.add("alice", "", true);
    const User bob = env.add("bob", "", true);
    Bytes sealed = *env.users.totp(alice.id);

    Bytes flipped = sealed;
    flipped[15] ^= 0x01;  // a ciphertext byte
    env.users.set_totp(alice.id, flipped);
    EXPECT_EQ(code_of([&] { (void)env.accounts.totp_secret(alice.id); }), Errc::InvalidAuthData);

    Bytes tag = sealed;
    tag.back() ^= 0x80;
    env.users.set_totp(alice.id, tag);
    EXPECT_EQ(code_of([&] { (void)env.accounts.totp_secret(alice.id); }), Errc::InvalidAuthData);

    env.users.set_totp(alice.id, Bytes(sealed.begin(), sealed.begin() + 20));
    EXPECT_EQ(code_of([&] { (void)env.accounts.totp_secret(alice.id); }), Errc::InvalidAuthData)
        << "truncated";

    // Alice's sealed seed copied into Bob's row does not open: the AAD names the user.
    env.users.set_totp(bob.id, sealed);
    EXPECT_EQ(code_of([&] { (void)env.accounts.totp_secret(bob.id); }), Errc::InvalidAuthData);

    env.users.set_totp(alice.id, sealed);
    EXPECT_EQ(env.accounts.totp_secret(alice.id)->size(), 20U) << "the original still opens";
}

TEST_F(AccountsTest, TheSealerNeedsTheStorageKey) {
    EXPECT_EQ(code_of([] { SecretSealer s{testing::token(), "no-such-key"}; }), Errc::InvalidConfig);
}

}  // namespace
}  // namespace inkan::service
