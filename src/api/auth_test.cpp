// auth/login, auth/revoke and Bearer handling (v1 and v2), through the Router with real Sessions.

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_env.h"

namespace inkan::api {
namespace {

using namespace std::chrono_literals;
using testing::basic;
using testing::bearer;
using testing::body_of;
using testing::CscEnv;
using testing::Json;

constexpr Version kVersions[] = {Version::V1, Version::V2};

Json error_body(std::string_view error, std::string_view description) {
    return Json{{"error", error}, {"error_description", description}};
}

class AuthTest : public ::testing::Test {
protected:
    void SetUp() override {
        env.add_user("alice");
        env.add_user("bob");
    }

    http::Response login(Version v, std::string authorization, std::string body = "{}") {
        return env.call("POST", CscEnv::path(v, "auth/login"), std::move(body),
                        {{"Authorization", std::move(authorization)}});
    }
    http::Response login_body_only(Version v, std::string body) {
        return env.call("POST", CscEnv::path(v, "auth/login"), std::move(body));
    }
    /// credentials/list as a probe of whether a token works.
    int list_status(Version v, const std::string& token) {
        return env.post(v, "credentials/list", "{}", token).status;
    }

    CscEnv env;
};

// ---- auth/login ----------------------------------------------------------------------------

TEST_F(AuthTest, BasicLoginReturnsAnAccessTokenThatAuthenticates) {
    for (const Version v : kVersions) {
        SCOPED_TRACE(std::string{name(v)});
        const http::Response r = login(v, basic("alice", "password-alice"));
        ASSERT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(r.headers.get("Cache-Control"), "no-store");
        const Json body = body_of(r);
        ASSERT_TRUE(body.at("access_token").is_string());
        EXPECT_EQ(body.at("expires_in"), 3600);
        EXPECT_FALSE(body.contains("refresh_token")) << "only with rememberMe";
        EXPECT_EQ(list_status(v, body.at("access_token")), 200);
    }
}

TEST_F(AuthTest, AnEmptyBodyIsFineForBasicLogin) {
    EXPECT_EQ(login(Version::V1, basic("alice", "password-alice"), "").status, 200);
}

TEST_F(AuthTest, RememberMeYieldsARefreshTokenThatLogsInAgainWithoutAPassword) {
    for (const Version v : kVersions) {
        SCOPED_TRACE(std::string{name(v)});
        const Json first = body_of(login(v, basic("alice", "password-alice"), R"({"rememberMe":true})"));
        ASSERT_TRUE(first.contains("refresh_token")) << first;
        const http::Response again = login_body_only(
            v, Json{{"refresh_token", first.at("refresh_token")}, {"clientData", "x"}}.dump());
        ASSERT_EQ(again.status, 200) << again.body;
        const Json second = body_of(again);
        EXPECT_NE(second.at("access_token"), first.at("access_token"));
        EXPECT_EQ(list_status(v, second.at("access_token")), 200);
        EXPECT_EQ(list_status(v, first.at("refresh_token")), 401) << "a refresh token is no access token";
    }
}

TEST_F(AuthTest, AWrongPasswordAnUnknownUserAndALockedAccountGetTheSameAuthenticationError) {
    const http::Response wrong = login(Version::V1, basic("alice", "password-alicE"));
    const http::Response unknown = login(Version::V1, basic("mallory", "password-alice"));
    env.accounts.lock("bob");
    const http::Response locked = login(Version::V1, basic("bob", "password-bob"));
    EXPECT_EQ(wrong.status, 400);
    EXPECT_EQ(body_of(wrong),
              error_body("authentication_error", "An error occurred during authentication process"));
    EXPECT_EQ(unknown.status, 400);
    EXPECT_EQ(unknown.body, wrong.body);
    EXPECT_EQ(locked.status, 400);
    EXPECT_EQ(locked.body, wrong.body);
    EXPECT_EQ(login(Version::V2, basic("alice", "nope-nope")).body, wrong.body);
}

TEST_F(AuthTest, SixWrongPasswordsThenTheRightOneGetsTheUnknownUsersBody) {
    const http::Response unknown = login(Version::V1, basic("mallory", "password-alice"));
    for (int i = 0; i < 6; ++i) {
        const http::Response r = login(i % 2 == 0 ? Version::V1 : Version::V2,
                                       basic("alice", "guess-number-" + std::to_string(i)));
        EXPECT_EQ(r.status, 400) << i;
        EXPECT_EQ(r.body, unknown.body) << i;
    }
    for (const Version v : kVersions) {
        const http::Response right = login(v, basic("alice", "password-alice"));
        EXPECT_EQ(right.status, 400) << name(v) << ": " << right.body;
        EXPECT_EQ(right.body, unknown.body) << name(v);
        EXPECT_EQ(right.headers.get("Cache-Control"), unknown.headers.get("Cache-Control"));
    }
    EXPECT_EQ(login(Version::V1, basic("bob", "password-bob")).status, 200) << "only alice is locked";
    env.accounts.unlock("alice");
    EXPECT_EQ(login(Version::V2, basic("alice", "password-alice")).status, 200);
}

TEST_F(AuthTest, NoAuthorizationAndNoRefreshTokenIs401MalformedAuthenticationParameter) {
    for (const Version v : kVersions) {
        const http::Response r = login_body_only(v, R"({"rememberMe":true})");
        EXPECT_EQ(r.status, 401) << r.body;
        EXPECT_EQ(body_of(r), error_body("invalid_request", "Malformed authentication parameter."));
    }
}

TEST_F(AuthTest, AnAuthorizationHeaderThatIsNotBasicWithBase64Is401) {
    for (const std::string& header :
         std::vector<std::string>{"Bearer abc", "Digest username=\"alice\"", "Basic", "Basic !!!!",
                                  "Basic YQ=a", "alice:password-alice"}) {
        const http::Response r = login(Version::V1, header);
        EXPECT_EQ(r.status, 401) << header << ": " << r.body;
        EXPECT_EQ(body_of(r), error_body("invalid_request", "Malformed authentication parameter.")) << header;
    }
}

TEST_F(AuthTest, ADecodedValueWithoutUserAndColonIs400) {
    for (const std::string& plain : std::vector<std::string>{"alice-password-alice", ":password-alice"}) {
        const http::Response r = login(Version::V2, "Basic " + base64_encode(as_bytes(plain)));
        EXPECT_EQ(r.status, 400) << plain;
        EXPECT_EQ(body_of(r), error_body("invalid_request", "Malformed username-password.")) << plain;
    }
}

TEST_F(AuthTest, BasicAcceptsBase64UrlAndAPasswordWithColons) {
    service::NewUser u;
    u.name = "carol";
    u.password = Secret{std::string_view{"pa:ss?>>word"}};
    (void)env.accounts.add_user(std::move(u));
    const std::string plain = "carol:pa:ss?>>word";
    EXPECT_EQ(login(Version::V1, "Basic " + base64_encode(as_bytes(plain))).status, 200);
    EXPECT_EQ(login(Version::V1, "basic " + base64url_encode(as_bytes(plain))).status, 200);
}

TEST_F(AuthTest, AnInvalidRefreshTokenIs400InvalidRefreshToken) {
    for (const Version v : kVersions) {
        const http::Response r = login_body_only(v, R"({"refresh_token":"bm90LWEtdG9rZW4"})");
        EXPECT_EQ(r.status, 400);
        EXPECT_EQ(body_of(r), error_body("invalid_request", "Invalid refresh_token"));
    }
    // An access token is no refresh token.
    const std::string access = env.login("alice");
    EXPECT_EQ(body_of(login_body_only(Version::V1, Json{{"refresh_token", access}}.dump())),
              error_body("invalid_request", "Invalid refresh_token"));
}

TEST_F(AuthTest, ARefreshTokenOfTheWrongTypeOrWithBasicIsRefused) {
    EXPECT_EQ(body_of(login_body_only(Version::V1, R"({"refresh_token":42})")),
              error_body("invalid_request", "Missing (or invalid type) string parameter refresh_token"));
    const http::Response both =
        login(Version::V1, basic("alice", "password-alice"), R"({"refresh_token":"x"})");
    EXPECT_EQ(both.status, 400);
}

TEST_F(AuthTest, RememberMeMustBeABoolean) {
    const http::Response r = login(Version::V1, basic("alice", "password-alice"), R"({"rememberMe":"true"})");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(body_of(r),
              error_body("invalid_request", "Missing (or invalid type) boolean parameter rememberMe"));
}

TEST_F(AuthTest, TheLoginFailureBodyNeverEchoesThePassword) {
    const http::Response r = login(Version::V1, basic("alice", "SuperSecret-123"));
    EXPECT_EQ(r.body.find("SuperSecret"), std::string::npos);
}

// ---- Bearer --------------------------------------------------------------------------------

const char* const kAuthenticated[] = {"auth/revoke", "credentials/list", "credentials/info"};

void expect_invalid_token(const http::Response& r, std::string_view description) {
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(r.headers.get("WWW-Authenticate"), R"(Bearer error="invalid_token")");
    EXPECT_EQ(body_of(r), error_body("invalid_token", description));
}

TEST_F(AuthTest, EveryAuthenticatedMethodWithoutATokenIs401InvalidToken) {
    for (const Version v : kVersions) {
        for (const char* method : kAuthenticated) {
            SCOPED_TRACE(std::string{name(v)} + " " + method);
            expect_invalid_token(env.post(v, method, R"({"credentialID":"x","token":"y"})"),
                                 "Missing access token");
        }
    }
}

TEST_F(AuthTest, AMalformedAuthorizationHeaderIs401InvalidToken) {
    const std::string token = env.login("alice");
    for (const std::string& header : std::vector<std::string>{
             "Bearer", "Bearer ", "Basic " + token, "Bearer a b", "Bearer a=b", token, "Bearer\t" + token}) {
        SCOPED_TRACE(header);
        expect_invalid_token(env.call("POST", CscEnv::path(Version::V1, "credentials/list"), "{}",
                                      {{"Authorization", header}}),
                             "Malformed authorization header");
    }
    // The scheme is case-insensitive (RFC 7235 §2.1).
    EXPECT_EQ(env.call("POST", CscEnv::path(Version::V1, "credentials/list"), "{}",
                       {{"Authorization", "bearer " + token}})
                  .status,
              200);
}

TEST_F(AuthTest, AnUnknownTokenIs401InvalidToken) {
    for (const Version v : kVersions) {
        for (const char* method : kAuthenticated) {
            expect_invalid_token(env.post(v, method, R"({"credentialID":"x","token":"y"})", "dW5rbm93bg"),
                                 "Invalid or expired access token");
        }
    }
}

void expect_expired_token(const http::Response& r) {
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(r.headers.get("WWW-Authenticate"),
              R"(Bearer error="invalid_token", error_description="expired")");
    EXPECT_EQ(body_of(r), error_body("expired_token", "The access token has expired or was revoked"));
}

TEST_F(AuthTest, AnExpiredTokenIs401ExpiredToken) {
    const std::string token = env.login("alice");
    env.clock.advance(3599s);
    EXPECT_EQ(list_status(Version::V1, token), 200);
    env.clock.advance(2s);
    for (const Version v : kVersions) {
        for (const char* method : kAuthenticated) {
            SCOPED_TRACE(std::string{name(v)} + " " + method);
            expect_expired_token(env.post(v, method, R"({"credentialID":"x","token":"y"})", token));
        }
    }
}

TEST_F(AuthTest, ARevokedTokenIs401ExpiredToken) {
    const std::string token = env.login("alice");
    env.sessions.revoke(env.sessions.authenticate(Secret{token}), Secret{token}, "");
    for (const Version v : kVersions) {
        for (const char* method : kAuthenticated) {
            SCOPED_TRACE(std::string{name(v)} + " " + method);
            expect_expired_token(env.post(v, method, R"({"credentialID":"x","token":"y"})", token));
        }
    }
}

TEST_F(AuthTest, ATokenOfAnAccountLockedSinceIs401) {
    const std::string token = env.login("bob");
    env.accounts.lock("bob");
    expect_invalid_token(env.post(Version::V2, "credentials/list", "{}", token), "The account is locked");
}

TEST_F(AuthTest, TheBearerIsCheckedBeforeTheBody) {
    // A client without a valid token learns nothing about its request.
    expect_invalid_token(env.post(Version::V1, "credentials/info", "{", "dW5rbm93bg"),
                         "Invalid or expired access token");
}

// ---- auth/revoke ---------------------------------------------------------------------------

TEST_F(AuthTest, RevokingAnAccessTokenAnswers204AndTheTokenStopsWorking) {
    for (const Version v : kVersions) {
        SCOPED_TRACE(std::string{name(v)});
        const std::string caller = env.login("alice");
        const std::string victim = env.login("alice");
        const http::Response r = env.post(
            v, "auth/revoke", Json{{"token", victim}, {"token_type_hint", "access_token"}}.dump(), caller);
        EXPECT_EQ(r.status, 204) << r.body;
        EXPECT_TRUE(r.body.empty());
        EXPECT_EQ(list_status(v, victim), 401);
        EXPECT_EQ(list_status(v, caller), 200);
    }
}

TEST_F(AuthTest, ATokenMayRevokeItself) {
    const std::string token = env.login("alice");
    EXPECT_EQ(env.post(Version::V2, "auth/revoke", Json{{"token", token}}.dump(), token).status, 204);
    EXPECT_EQ(list_status(Version::V2, token), 401);
}

TEST_F(AuthTest, RevokingARefreshTokenTakesItsAccessTokensWithIt) {
    const Json tokens =
        body_of(login(Version::V1, basic("alice", "password-alice"), R"({"rememberMe":true})"));
    const std::string access = tokens.at("access_token");
    const std::string other = env.login("alice");
    const http::Response r = env.post(
        Version::V1, "auth/revoke",
        Json{{"token", tokens.at("refresh_token")}, {"token_type_hint", "refresh_token"}, {"clientData", "c"}}
            .dump(),
        other);
    EXPECT_EQ(r.status, 204) << r.body;
    EXPECT_EQ(list_status(Version::V1, access), 401);
    EXPECT_EQ(
        body_of(login_body_only(Version::V1, Json{{"refresh_token", tokens.at("refresh_token")}}.dump())),
        error_body("invalid_request", "Invalid refresh_token"));
    EXPECT_EQ(list_status(Version::V1, other), 200) << "another grant stays";
}

TEST_F(AuthTest, RevokeRefusesAMissingTokenABadHintAndAnotherUsersToken) {
    const std::string alice = env.login("alice");
    const std::string bob = env.login("bob");
    for (const Version v : kVersions) {
        SCOPED_TRACE(std::string{name(v)});
        EXPECT_EQ(body_of(env.post(v, "auth/revoke", "{}", alice)),
                  error_body("invalid_request", "Missing (or invalid type) string parameter token"));
        EXPECT_EQ(body_of(env.post(v, "auth/revoke", R"({"token":7})", alice)),
                  error_body("invalid_request", "Missing (or invalid type) string parameter token"));
        EXPECT_EQ(body_of(env.post(v, "auth/revoke",
                                   Json{{"token", bob}, {"token_type_hint", "id_token"}}.dump(), alice)),
                  error_body("invalid_request", "Invalid string parameter token_type_hint"));
        const http::Response foreign = env.post(v, "auth/revoke", Json{{"token", bob}}.dump(), alice);
        EXPECT_EQ(foreign.status, 400);
        EXPECT_EQ(body_of(foreign), error_body("invalid_request", "Invalid string parameter token"));
        EXPECT_EQ(env.post(v, "auth/revoke", R"({"token":"dW5rbm93bg"})", alice).body, foreign.body)
            << "unknown and foreign alike";
    }
    EXPECT_EQ(list_status(Version::V1, bob), 200) << "bob's token survived";
}

}  // namespace
}  // namespace inkan::api
