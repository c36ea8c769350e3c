// The OAuth authorization server's rules on a real SoftHSM token, a real built-in CA and SQLite:
// the browser steps (password, TOTP computed here, consent), PKCE, codes, RAR, refresh rotation,
// system clients. Signatures made with credential tokens are checked with `openssl pkeyutl -verify`.

#include <inkan/service/oauth.h>

#include <memory>
#include <string>
#include <utility>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <nlohmann/json.hpp>

#include <inkan/core/encoding.h>
#include <inkan/crypto/digest.h>
#include <inkan/crypto/random.h>
#include <inkan/pki/ca.h>
#include <inkan/pki/certificate.h>
#include <inkan/pki/connectors.h>
#include <inkan/service/secrets.h>
#include <inkan/sign/hsm_signer.h>
#include <inkan/storage/sqlite_ca_store.h>

#include "test_env.h"

namespace inkan::service {
namespace {

using crypto::DigestAlgorithm;
using crypto::SignatureAlgorithm;
using testing::code_of;
using testing::secret;
using testing::ServiceEnv;
using testing::token;

constexpr std::string_view kRedirect = "https://app.example/cb";
constexpr std::string_view kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";  // RFC 7636 App. B
constexpr std::string_view kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

Bytes sha256(std::string_view s) {
    return crypto::digest(DigestAlgorithm::Sha256, as_bytes(s));
}

struct TestCa {
    TestCa(const Clock& clock, pki::CaStore& store) {
        signer = std::make_unique<sign::HsmSigner>(
            token(), token().generate_key_pair(hsm::KeySpec::EcP256, "ca-oauth-" + crypto::random_hex(4)));
        pki::CaSettings settings;
        settings.name = "test-ca";
        settings.pki_base_url = "http://127.0.0.1:8080";
        const pki::Certificate root = pki::create_root(
            settings, *signer, pki::Name{}.country("JP").organization("inkan").common_name("inkan OAuth CA"),
            3650, store, clock);
        ca = std::make_unique<pki::BuiltinCa>(settings, *signer, std::vector<Bytes>{root.der()}, store,
                                              pki::ProfileSet::defaults(), clock);
        connector = std::make_unique<pki::BuiltinConnector>(*ca);
    }
    std::unique_ptr<sign::HsmSigner> signer;
    std::unique_ptr<pki::BuiltinCa> ca;
    std::unique_ptr<pki::BuiltinConnector> connector;
};

class OAuthTest : public ::testing::Test {
protected:
    OAuthTest()
        : ca_store{env.db},
          ca{env.clock, ca_store},
          credentials{env.credentials,
                      env.users,
                      token(),
                      [this](const std::string&) -> pki::CaConnector& { return *ca.connector; },
                      [](const std::string&, ByteView, pki::RevocationReason) { return false; },
                      env.clock},
          store{env.db},
          audit_store{env.db},
          audit{audit_store, env.clock},
          authz{env.credentials, env.users, env.accounts, store, audit, token(), env.clock},
          clients{env.db},
          grants{env.db},
          oauth{clients, grants, env.accounts, env.sessions, authz, credentials, audit, env.clock} {
        env.sessions.set_clients(&clients);
        authz.set_clients(&clients);
        credentials.set_clients(&clients);
        alice = env.add("alice", "Alice Example", true);
        bob = env.add("bob", "Bob Example", true);
        app = oauth.add_client("signing-app", {std::string{kRedirect}}, true, {}, "test");
    }

    Credential personal(const User& owner, int multisign = 2) {
        NewCredential r;
        r.kind = CredentialKind::Personal;
        r.owner = owner.name;
        r.scal = 2;
        r.multisign = multisign;
        r.pin = secret("1234");
        return credentials.create(std::move(r)).credential;
    }

    Credential seal() {
        NewCredential n;
        n.kind = CredentialKind::Seal;
        n.organization = "Example KK";
        n.organization_identifier = "NTRJP-1234567890123";
        n.scal = 1;
        n.multisign = 10;
        return credentials.create(std::move(n)).credential;
    }

    std::string otp(const User& u) {
        env.clock.advance(std::chrono::seconds{30});
        return totp_code(*env.accounts.totp_secret(u.id), env.clock.now());
    }

    ClientAuthentication app_auth() const { return {app.client.id, secret(*app.secret), true}; }

    AuthorizationParams service_request() const {
        AuthorizationParams p;
        p.client_id = app.client.id;
        p.redirect_uri = std::string{kRedirect};
        p.scope = "service";
        p.state = "st-1";
        p.code_challenge = std::string{kChallenge};
        p.code_challenge_method = "S256";
        p.pkce_required = true;
        return p;
    }

    AuthorizationParams credential_request(const Credential& c, std::vector<Bytes> hashes) const {
        AuthorizationParams p = service_request();
        p.scope = "credential";
        CredentialGrant g;
        g.credential_id = c.id;
        g.num_signatures = static_cast<int>(hashes.size());
        for (auto& h : hashes) {
            g.hashes.push_back({DigestAlgorithm::Sha256, std::move(h)});
        }
        p.credential = g;
        return p;
    }

    /// The browser: login, one-time code, consent. Returns the redirect.
    Redirect browse(const StartedAuthorization& started, const User& u, bool approve = true) {
        const Secret session = secret(started.session);
        const PageView v = oauth.view(session);
        oauth.login(session, v.csrf, u.name, secret("password-" + u.name));
        oauth.otp(session, v.csrf, Secret{otp(u)});
        const Secret pin = secret("1234");  // every credential here has it (explicit auth mode)
        return oauth.consent(session, v.csrf, approve, {}, &pin);
    }

    std::string code_for(const AuthorizationParams& p, const User& u) {
        const Redirect r = browse(oauth.start(p), u);
        EXPECT_EQ(r.redirect_uri, kRedirect);
        EXPECT_EQ(r.state, p.state);
        EXPECT_TRUE(r.error.empty()) << r.error;
        return r.code;
    }

    TokenRequest exchange(const std::string& code, std::string_view verifier = kVerifier) const {
        TokenRequest t;
        t.grant_type = "authorization_code";
        t.code = secret(code);
        t.redirect_uri = std::string{kRedirect};
        t.code_verifier = std::string{verifier};
        return t;
    }

    /// The OAuthFailure name an Error carries (or "errc:<name>").
    template <typename F>
    std::string failure_of(F&& f) {
        try {
            f();
        } catch (const Error& e) {
            if (const auto o = oauth_failure(e)) {
                return std::string{name(*o)};
            }
            if (const auto s = sign_failure(e)) {
                return std::string{name(*s)};
            }
            return std::string{"errc:"} + std::string{errc_name(e.code())};
        }
        ADD_FAILURE() << "nothing thrown";
        return {};
    }

    void expect_verifies(const Credential& c, ByteView digest, ByteView sig) {
        const auto pub = pki::Certificate::from_der(c.chain.front()).public_key();
        inkan::testing::write_file(env.dir / "pub.pem", pub.pem());
        inkan::testing::write_file(env.dir / "digest.bin", digest);
        inkan::testing::write_file(env.dir / "sig.bin", sig);
        const auto r = inkan::testing::run(
            {"openssl", "pkeyutl", "-verify", "-pubin", "-inkey", (env.dir / "pub.pem").string(), "-in",
             (env.dir / "digest.bin").string(), "-sigfile", (env.dir / "sig.bin").string()});
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        EXPECT_NE(r.out.find("Signature Verified Successfully"), std::string::npos) << r.out;
    }

    std::string sqlite3(const std::string& sql) {
        const auto r = inkan::testing::run({"sqlite3", "-batch", (env.dir / "inkan.db").string(), sql});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return r.out;
    }

    ServiceEnv env;
    storage::SqliteCaStore ca_store;
    TestCa ca;
    Credentials credentials;
    storage::SqliteAuthorizationStore store;
    storage::SqliteAuditStore audit_store;
    AuditLog audit;
    Authorization authz;
    storage::SqliteOAuthClientStore clients;
    storage::SqliteOAuthGrantStore grants;
    OAuth oauth;
    User alice, bob;
    RegisteredClient app;
};

TEST_F(OAuthTest, TheCodeFlowWithPkceGivesAServiceTokenBoundToTheClient) {
    const std::string code = code_for(service_request(), alice);
    const TokenResponse t = oauth.token(app_auth(), exchange(code));
    EXPECT_FALSE(t.credential);
    ASSERT_TRUE(t.refresh_token.has_value());
    const Caller caller = env.sessions.authenticate(secret(t.access_token));
    EXPECT_EQ(caller.user_id, alice.id);
    EXPECT_EQ(caller.client_id, app.client.id);
}

TEST_F(OAuthTest, ACredentialTokenSignsExactlyTheAuthorisedHashes) {
    const Credential c = personal(alice);
    const Bytes a = sha256("contract A");
    const Bytes b = sha256("contract B");
    const TokenResponse t = oauth.token(app_auth(), exchange(code_for(credential_request(c, {a}), alice)));
    ASSERT_TRUE(t.credential);
    EXPECT_EQ(t.expires_in, 300);
    const auto holder = authz.credential_token(secret(t.access_token));
    ASSERT_TRUE(holder.has_value());
    EXPECT_EQ(holder->credential_id, c.id);
    EXPECT_EQ(holder->caller.user_id, alice.id);
    const auto alg = SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256);
    EXPECT_EQ(failure_of([&] {
                  authz.sign_hash(holder->caller, {c.id, secret(t.access_token), {b}, alg});
              }),
              "hash_not_authorised");
    const auto sigs = authz.sign_hash(holder->caller, {c.id, secret(t.access_token), {a}, alg});
    ASSERT_EQ(sigs.size(), 1U);
    expect_verifies(c, a, sigs[0]);
    EXPECT_EQ(sqlite3("SELECT outcome, client_id FROM audit_log WHERE action = 'sign' ORDER BY seq;"),
              "hash_not_authorised|" + app.client.id + "\nok|" + app.client.id + "\n");
}

AuthorizationParams by_qualifier(AuthorizationParams p, std::string qualifier) {
    p.credential->credential_id.clear();
    p.credential->signature_qualifier = std::move(qualifier);
    p.rar = true;
    return p;
}

TEST_F(OAuthTest, ASignatureQualifierSelectsTheUsersOnlyCredentialWithIt) {
    const Credential aes = personal(alice);  // eu_eidas_aes by default
    (void)personal(bob);                     // bob's: never alice's choice
    const Bytes a = sha256("contract A");
    const AuthorizationParams p = by_qualifier(credential_request(aes, {a}), "eu_eidas_aes");
    const std::string code = code_for(p, alice);
    TokenRequest t = exchange(code);
    t.authorization_details = p.credential;  // the client repeats the qualifier: it knows no id
    const TokenResponse out = oauth.token(app_auth(), std::move(t));
    ASSERT_TRUE(out.granted.has_value());
    EXPECT_EQ(out.granted->credential_id, aes.id);
    EXPECT_EQ(out.granted->signature_qualifier, "eu_eidas_aes");
    const auto holder = authz.credential_token(secret(out.access_token));
    ASSERT_TRUE(holder.has_value());
    EXPECT_EQ(holder->credential_id, aes.id) << "bound to the chosen credential";
    const auto sigs = authz.sign_hash(
        holder->caller,
        {aes.id, secret(out.access_token), {a}, SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256)});
    ASSERT_EQ(sigs.size(), 1U);
    expect_verifies(aes, a, sigs[0]);
}

TEST_F(OAuthTest, SeveralQualifiedCredentialsNeedTheUsersPickAndNoneIsAccessDenied) {
    const auto qes = [&] {
        NewCredential r;
        r.owner = alice.name;
        r.signature_qualifier = "eu_eidas_qes";
        r.pin = secret("1234");
        return credentials.create(std::move(r)).credential;
    };
    const Credential q1 = qes();
    const Credential q2 = qes();
    const AuthorizationParams p = by_qualifier(credential_request(q1, {sha256("x")}), "eu_eidas_qes");

    const Secret session = secret(oauth.start(p).session);
    const std::string csrf = oauth.view(session).csrf;
    oauth.login(session, csrf, alice.name, secret("password-alice"));
    oauth.otp(session, csrf, Secret{otp(alice)});
    const PageView v = oauth.view(session);
    ASSERT_EQ(v.choices.size(), 2U);
    EXPECT_FALSE(v.credential.has_value()) << "nothing chosen yet";
    EXPECT_TRUE(oauth.view(session).pin_required);
    const Secret pin = secret("1234");
    const Redirect picked = oauth.consent(session, csrf, true, q2.id, &pin);
    ASSERT_TRUE(picked.error.empty()) << picked.error;
    TokenRequest t = exchange(picked.code);
    t.authorization_details = p.credential;
    EXPECT_EQ(oauth.token(app_auth(), std::move(t)).granted->credential_id, q2.id);

    // bob holds no eu_eidas_qes credential: consent answers access_denied, and no code.
    (void)personal(bob);
    const Redirect none = browse(oauth.start(p), bob);
    EXPECT_EQ(none.error, "access_denied");
    EXPECT_TRUE(none.code.empty());
    EXPECT_EQ(
        sqlite3("SELECT outcome FROM audit_log WHERE action = 'oauth2.consent' ORDER BY seq DESC LIMIT 1;"),
        "no_qualified_credential\n");

    // A pick that is not one of the matches is refused the same way.
    const Secret again = secret(oauth.start(p).session);
    const std::string csrf2 = oauth.view(again).csrf;
    oauth.login(again, csrf2, alice.name, secret("password-alice"));
    oauth.otp(again, csrf2, Secret{otp(alice)});
    EXPECT_EQ(oauth.consent(again, csrf2, true, "someone-elses").error, "access_denied");

    AuthorizationParams unknown = p;
    unknown.credential->signature_qualifier = "eu_eidas_best";
    EXPECT_EQ(failure_of([&] { (void)oauth.start(unknown); }), "invalid_request");
}

TEST_F(OAuthTest, PkceRefusesAMissingOrWrongVerifier) {
    const std::string first = code_for(service_request(), alice);
    EXPECT_EQ(failure_of([&] { oauth.token(app_auth(), exchange(first, "")); }), "invalid_grant");
    const std::string second = code_for(service_request(), alice);
    EXPECT_EQ(failure_of([&] {
                  oauth.token(app_auth(), exchange(second, "wrong-verifier-wrong-verifier-wrong-verifier-x"));
              }),
              "invalid_grant");
    // Either failure spent the code: the right verifier comes too late.
    EXPECT_EQ(failure_of([&] { oauth.token(app_auth(), exchange(second)); }), "invalid_grant");
}

TEST_F(OAuthTest, V2NeedsS256UnlessPlainIsConfigured) {
    AuthorizationParams p = service_request();
    p.code_challenge.clear();
    p.code_challenge_method.clear();
    EXPECT_EQ(failure_of([&] { oauth.start(p); }), "invalid_request");
    p.code_challenge = std::string{kVerifier};
    p.code_challenge_method = "plain";
    EXPECT_EQ(failure_of([&] { oauth.start(p); }), "invalid_request");
}

TEST_F(OAuthTest, AnUnregisteredRedirectUriIsNeverRedirectedTo) {
    AuthorizationParams p = service_request();
    p.redirect_uri = "https://app.example/cb/../evil";
    EXPECT_EQ(failure_of([&] { oauth.start(p); }), "invalid_redirect");
    p.redirect_uri = "https://app.example/cb?x=1";
    EXPECT_EQ(failure_of([&] { oauth.start(p); }), "invalid_redirect");
    p.client_id = "no-such-client";
    EXPECT_EQ(failure_of([&] { oauth.start(p); }), "invalid_redirect");
}

TEST_F(OAuthTest, TheTokenRequestMustRepeatTheRedirectUri) {
    const std::string code = code_for(service_request(), alice);
    TokenRequest t = exchange(code);
    t.redirect_uri = "https://app.example/other";
    EXPECT_EQ(failure_of([&] { oauth.token(app_auth(), std::move(t)); }), "invalid_grant");
}

TEST_F(OAuthTest, ACodeIsUsedOnce) {
    const std::string code = code_for(service_request(), alice);
    (void)oauth.token(app_auth(), exchange(code));
    EXPECT_EQ(failure_of([&] { oauth.token(app_auth(), exchange(code)); }), "invalid_grant");
    EXPECT_EQ(sqlite3("SELECT outcome FROM audit_log WHERE action = 'oauth2.token';"), "code_used\n");
}

TEST_F(OAuthTest, ReusingACodeRevokesTheServiceTokensItIssued) {
    const std::string code = code_for(service_request(), alice);
    const TokenResponse first = oauth.token(app_auth(), exchange(code));
    ASSERT_TRUE(first.refresh_token.has_value());
    EXPECT_EQ(env.sessions.authenticate(secret(first.access_token)).user_id, alice.id);
    // A token from another grant of the same user and client is not touched.
    const TokenResponse other = oauth.token(app_auth(), exchange(code_for(service_request(), alice)));

    EXPECT_EQ(failure_of([&] { oauth.token(app_auth(), exchange(code)); }), "invalid_grant");
    EXPECT_EQ(code_of([&] { (void)env.sessions.authenticate(secret(first.access_token)); }),
              Errc::Unauthenticated);
    TokenRequest refresh;
    refresh.grant_type = "refresh_token";
    refresh.refresh_token = secret(*first.refresh_token);
    EXPECT_EQ(failure_of([&] { oauth.token(app_auth(), std::move(refresh)); }), "invalid_grant");
    EXPECT_EQ(env.sessions.authenticate(secret(other.access_token)).user_id, alice.id);
}

TEST_F(OAuthTest, ReusingACodeRetiresTheCredentialTokenItIssued) {
    const Credential c = personal(alice);
    const Bytes a = sha256("contract A");
    const std::string code = code_for(credential_request(c, {a}), alice);
    const TokenResponse t = oauth.token(app_auth(), exchange(code));
    ASSERT_TRUE(authz.credential_token(secret(t.access_token)).has_value());
    EXPECT_EQ(failure_of([&] { oauth.token(app_auth(), exchange(code)); }), "invalid_grant");
    EXPECT_FALSE(authz.credential_token(secret(t.access_token)).has_value()) << "the SAD still works";
    const auto alg = SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256);
    EXPECT_EQ(
        failure_of([&] {
            authz.sign_hash(Caller{alice.id, app.client.id, {}}, {c.id, secret(t.access_token), {a}, alg});
        }),
        "invalid_sad");
}

TEST_F(OAuthTest, AReplayedRotatedRefreshTokenRevokesItsWholeFamily) {
    const TokenResponse first = oauth.token(app_auth(), exchange(code_for(service_request(), alice)));
    const TokenResponse unrelated = oauth.token(app_auth(), exchange(code_for(service_request(), alice)));
    const auto rotate = [&](const std::string& refresh_token) {
        TokenRequest r;
        r.grant_type = "refresh_token";
        r.refresh_token = secret(refresh_token);
        return oauth.token(app_auth(), std::move(r));
    };
    const TokenResponse second = rotate(*first.refresh_token);
    const TokenResponse third = rotate(*second.refresh_token);
    EXPECT_EQ(env.sessions.authenticate(secret(third.access_token)).user_id, alice.id);
    // An attacker replays the first refresh token (rotated twice already).
    EXPECT_EQ(failure_of([&] { (void)rotate(*first.refresh_token); }), "invalid_grant");
    for (const std::string* access : {&second.access_token, &third.access_token}) {
        EXPECT_EQ(code_of([&] { (void)env.sessions.authenticate(secret(*access)); }), Errc::Unauthenticated);
    }
    EXPECT_EQ(failure_of([&] { (void)rotate(*third.refresh_token); }), "invalid_grant")
        << "the family's newest refresh token was revoked too";
    EXPECT_EQ(env.sessions.authenticate(secret(unrelated.access_token)).user_id, alice.id);
    EXPECT_EQ(rotate(*unrelated.refresh_token).scope, "service");
}

TEST_F(OAuthTest, ACodeExpiresAfterItsLifetime) {
    const std::string code = code_for(service_request(), alice);
    env.clock.advance(std::chrono::seconds{61});
    EXPECT_EQ(failure_of([&] { oauth.token(app_auth(), exchange(code)); }), "invalid_grant");
}

TEST_F(OAuthTest, AnotherClientCannotExchangeTheCode) {
    const auto other = oauth.add_client("other-app", {std::string{kRedirect}}, true, {}, "test");
    const std::string code = code_for(service_request(), alice);
    EXPECT_EQ(failure_of([&] {
                  oauth.token({other.client.id, secret(*other.secret), false}, exchange(code));
              }),
              "invalid_grant");
    EXPECT_EQ(failure_of([&] {
                  oauth.token({app.client.id, secret("wrong"), false}, exchange(code));
              }),
              "invalid_client");
}

TEST_F(OAuthTest, RarHashesMustMatchAtTheTokenEndpointAndAtSigning) {
    const Credential c = personal(alice);
    const Bytes a = sha256("invoice 1");
    AuthorizationParams p = credential_request(c, {a});
    p.rar = true;
    p.credential->labels = {"請求書 1"};
    TokenRequest differing = exchange(code_for(p, alice));
    CredentialGrant other = *p.credential;
    other.hashes[0].value = sha256("invoice 2");
    differing.authorization_details = other;
    EXPECT_EQ(failure_of([&] { oauth.token(app_auth(), std::move(differing)); }), "invalid_grant");

    TokenRequest same = exchange(code_for(p, alice));
    same.authorization_details = *p.credential;
    const TokenResponse t = oauth.token(app_auth(), std::move(same));
    ASSERT_TRUE(t.granted.has_value());
    EXPECT_EQ(t.granted->labels, std::vector<std::string>{"請求書 1"});
}

TEST_F(OAuthTest, ARefreshTokenRotatesAndARevokedOneIsRefused) {
    const TokenResponse first = oauth.token(app_auth(), exchange(code_for(service_request(), alice)));
    TokenRequest refresh;
    refresh.grant_type = "refresh_token";
    refresh.refresh_token = secret(*first.refresh_token);
    const TokenResponse second = oauth.token(app_auth(), std::move(refresh));
    ASSERT_TRUE(second.refresh_token.has_value());
    TokenRequest replay;
    replay.grant_type = "refresh_token";
    replay.refresh_token = secret(*first.refresh_token);
    EXPECT_EQ(failure_of([&] { oauth.token(app_auth(), std::move(replay)); }), "invalid_grant");

    oauth.revoke(app_auth(), secret(*second.refresh_token), "refresh_token");
    TokenRequest revoked;
    revoked.grant_type = "refresh_token";
    revoked.refresh_token = secret(*second.refresh_token);
    EXPECT_EQ(failure_of([&] { oauth.token(app_auth(), std::move(revoked)); }), "invalid_grant");
    EXPECT_EQ(code_of([&] { (void)env.sessions.authenticate(secret(second.access_token)); }),
              Errc::Unauthenticated);
}

TEST_F(OAuthTest, TheStepsMustBeTakenInOrderWithTheRightCsrfToken) {
    const auto started = oauth.start(service_request());
    const Secret session = secret(started.session);
    const PageView v = oauth.view(session);
    EXPECT_EQ(failure_of([&] { oauth.login(session, "forged", "alice", secret("password-alice")); }),
              "invalid_session");
    EXPECT_EQ(failure_of([&] { oauth.consent(session, v.csrf, true); }), "invalid_session");
    EXPECT_EQ(code_of([&] { oauth.login(session, v.csrf, "alice", secret("wrong")); }),
              Errc::InvalidAuthData);
    oauth.login(session, v.csrf, "alice", secret("password-alice"));
    EXPECT_EQ(code_of([&] { oauth.otp(session, v.csrf, secret("000000")); }), Errc::InvalidAuthData);
    EXPECT_EQ(store.otp_failures(alice.id), 1) << "a wrong code on the page counts toward the lockout";
    // Back at the password step (decision 0015).
    oauth.login(session, v.csrf, "alice", secret("password-alice"));
    oauth.otp(session, v.csrf, Secret{otp(alice)});
    const Redirect denied = oauth.consent(session, v.csrf, false);
    EXPECT_EQ(denied.error, "access_denied");
    EXPECT_EQ(denied.state, "st-1");
    EXPECT_EQ(failure_of([&] { oauth.consent(session, v.csrf, true); }), "invalid_session");
}

TEST_F(OAuthTest, ASystemClientSealsWithoutAHumanButNeverUsesAPersonalCredential) {
    const Credential s = seal();
    const Credential mine = personal(alice);
    const auto system = oauth.add_client("invoice-sealer", {}, true, {s.id}, "test");
    TokenRequest cc;
    cc.grant_type = "client_credentials";
    const TokenResponse t = oauth.token({system.client.id, secret(*system.secret), false}, std::move(cc));
    const Caller caller = env.sessions.authenticate(secret(t.access_token));
    EXPECT_TRUE(caller.is_system());
    EXPECT_EQ(caller.client_id, system.client.id);

    AuthorizeRequest bad;
    bad.credential_id = mine.id;
    bad.hashes = {{DigestAlgorithm::Sha256, sha256("x")}};
    EXPECT_EQ(code_of([&] { (void)authz.authorize(caller, std::move(bad)); }), Errc::NotFound);
    EXPECT_EQ(credentials.list_for(caller).size(), 1U);

    AuthorizeRequest with_pin;
    with_pin.credential_id = s.id;
    with_pin.pin = secret("1234");
    EXPECT_EQ(code_of([&] { (void)authz.authorize(caller, std::move(with_pin)); }), Errc::InvalidRequest);

    AuthorizeRequest ok;
    ok.credential_id = s.id;
    ok.num_signatures = 2;
    const IssuedSad sad = authz.authorize(caller, std::move(ok));
    const Bytes h = sha256("invoice 42");
    const auto sigs = authz.sign_hash(
        caller, {s.id, secret(sad.sad), {h}, SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256)});
    expect_verifies(s, h, sigs[0]);
    EXPECT_EQ(
        sqlite3("SELECT action, outcome, user_id, client_id FROM audit_log WHERE action IN ('authorize', "
                "'sign') AND outcome = 'ok';"),
        "authorize|ok||" + system.client.id + "\nsign|ok||" + system.client.id + "\n");

    // A public client cannot use client_credentials; a removed client's token stops working.
    const auto pub = oauth.add_client("wallet", {std::string{kRedirect}}, false, {}, "test");
    TokenRequest cc2;
    cc2.grant_type = "client_credentials";
    EXPECT_EQ(failure_of([&] {
                  oauth.token({pub.client.id, std::nullopt, false}, std::move(cc2));
              }),
              "unauthorized_client");
    oauth.remove_client("invoice-sealer", "test");
    EXPECT_EQ(code_of([&] { (void)env.sessions.authenticate(secret(t.access_token)); }),
              Errc::Unauthenticated);
}

TEST_F(OAuthTest, APushedRequestIsOpenedOnceByItsClient) {
    const PushedRequest pushed = oauth.push(app_auth(), service_request());
    EXPECT_TRUE(pushed.request_uri.starts_with("urn:ietf:params:oauth:request_uri:"));
    EXPECT_EQ(pushed.expires_in, 90);
    const auto started = oauth.start_pushed(app.client.id, pushed.request_uri);
    EXPECT_EQ(failure_of([&] { oauth.start_pushed(app.client.id, pushed.request_uri); }), "invalid_redirect");
    const Redirect r = browse(started, alice);
    const TokenResponse t = oauth.token(app_auth(), exchange(r.code));
    EXPECT_FALSE(t.access_token.empty());
}

TEST_F(OAuthTest, ClientSecretsAreStoredHashedAndShownOnce) {
    ASSERT_TRUE(app.secret.has_value());
    EXPECT_EQ(sqlite3("SELECT hex(secret_hash) FROM oauth_clients WHERE name = 'signing-app';"),
              hex_encode_upper(sha256(*app.secret)) + "\n");
    EXPECT_EQ(code_of([&] { (void)oauth.add_client("bad", {"http://app.example/cb"}, true, {}, "t"); }),
              Errc::InvalidRequest);
    EXPECT_EQ(
        code_of([&] { (void)oauth.add_client("signing-app", {std::string{kRedirect}}, true, {}, "t"); }),
        Errc::Conflict);
}

// ---- account_token (CSC v1 §8.3.1) ----

/// A JWT made here, not with the service's code: HS256 with key = SHA-256(client secret).
std::string jwt(const std::string& header, const std::string& claims, ByteView key) {
    const std::string input = base64url_encode(as_bytes(header)) + "." + base64url_encode(as_bytes(claims));
    Bytes mac(32);
    std::size_t length = 0;
    EXPECT_NE(::EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                          reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac.data(),
                          mac.size(), &length),
              nullptr);
    return input + "." + base64url_encode(mac);
}

class AccountTokenTest : public OAuthTest {
protected:
    std::int64_t now_s() const {
        return std::chrono::duration_cast<std::chrono::seconds>(env.clock.now().time_since_epoch()).count();
    }
    std::string claims(std::string_view jti, std::int64_t iat, std::string azp = {}) const {
        return nlohmann::json{{"sub", "acct-42"},
                              {"iat", iat},
                              {"jti", jti},
                              {"iss", "Signing App"},
                              {"azp", azp.empty() ? app.client.id : azp}}
            .dump();
    }
    std::string account_token(std::string_view jti) const {
        return jwt(R"({"typ":"JWT","alg":"HS256"})", claims(jti, now_s()), sha256(*app.secret));
    }
    AuthorizationParams with_token(std::string token) const {
        AuthorizationParams p = service_request();
        p.account_token = std::move(token);
        return p;
    }
    std::string pending_rows() { return sqlite3("SELECT count(*) FROM oauth_pending;"); }
};

TEST_F(AccountTokenTest, AValidTokenNamesTheAccountInThePendingAuthorizationAndTheGrantAudit) {
    const std::string token = account_token("jti-ok");
    const StartedAuthorization started = oauth.start(with_token(token));
    const std::string request = sqlite3("SELECT request FROM oauth_pending;");
    EXPECT_NE(request.find(R"("account":"acct-42")"), std::string::npos) << request;
    EXPECT_EQ(request.find(token.substr(token.rfind('.') + 1)), std::string::npos)
        << "the token itself was stored: " << request;
    const Redirect r = browse(started, alice);
    ASSERT_TRUE(r.error.empty()) << r.error;
    EXPECT_FALSE(oauth.token(app_auth(), exchange(r.code)).access_token.empty());
    const std::string details =
        sqlite3("SELECT details FROM audit_log WHERE action = 'oauth2.consent' AND outcome = 'ok';");
    EXPECT_NE(details.find(R"("account":"acct-42")"), std::string::npos) << details;
    EXPECT_EQ(sqlite3("SELECT count(*) FROM audit_log WHERE details LIKE '%" + token.substr(0, 20) + "%';"),
              "0\n");
}

TEST_F(AccountTokenTest, APushedRequestCarriesTheVerifiedAccount) {
    AuthorizationParams p = with_token(account_token("jti-par"));
    const PushedRequest pushed = oauth.push(app_auth(), p);
    const std::string request = sqlite3("SELECT request FROM oauth_pending;");
    EXPECT_NE(request.find(R"("account":"acct-42")"), std::string::npos) << request;
    EXPECT_EQ(failure_of([&] { oauth.push(app_auth(), p); }), "invalid_request")
        << "jti replayed through PAR";
}

TEST_F(AccountTokenTest, EachBadTokenIsRefusedAsInvalidRequestAndNothingIsStored) {
    const Bytes key = sha256(*app.secret);
    const std::string header = R"({"typ":"JWT","alg":"HS256"})";
    const std::int64_t now = now_s();
    const std::string good = account_token("jti-1");
    std::string tampered = good;
    tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
    const std::vector<std::pair<std::string, std::string>> cases{
        {"signed with another key", jwt(header, claims("jti-2", now), sha256("not-the-secret"))},
        {"tampered signature", tampered},
        {"alg none, no signature", base64url_encode(as_bytes(std::string{R"({"alg":"none"})"})) + "." +
                                       base64url_encode(as_bytes(claims("jti-3", now))) + "."},
        {"alg none, HMAC signature", jwt(R"({"typ":"JWT","alg":"none"})", claims("jti-4", now), key)},
        {"alg HS512", jwt(R"({"typ":"JWT","alg":"HS512"})", claims("jti-5", now), key)},
        {"wrong azp", jwt(header, claims("jti-6", now, "another-client"), key)},
        {"too old", jwt(header, claims("jti-7", now - 301), key)},
        {"in the future", jwt(header, claims("jti-8", now + 120), key)},
        {"no sub",
         jwt(header, R"({"iat":)" + std::to_string(now) + R"(,"jti":"j9","azp":")" + app.client.id + "\"}",
             key)},
        {"two parts", good.substr(0, good.rfind('.'))},
    };
    for (const auto& [what, token] : cases) {
        AuthorizationParams p = with_token(token);
        try {
            (void)oauth.start(p);
            ADD_FAILURE() << what << ": accepted";
        } catch (const Error& e) {
            EXPECT_EQ(oauth_failure(e), OAuthFailure::InvalidRequest) << what << ": " << e.detail();
            EXPECT_NE(e.detail().find("account_token"), std::string::npos) << what << ": " << e.detail();
            EXPECT_EQ(e.detail().find(token), std::string::npos) << what << ": the token is in the error";
        }
    }
    EXPECT_EQ(pending_rows(), "0\n") << "a refused request left a pending authorization";
    // Five minutes old is still fine (the default maximum age is 300 s).
    EXPECT_NO_THROW((void)oauth.start(with_token(jwt(header, claims("jti-10", now - 300), key))));
}

TEST_F(AccountTokenTest, AJtiIsAcceptedOnceThenRefusedAsAReplay) {
    const std::string token = account_token("jti-once");
    (void)oauth.start(with_token(token));
    EXPECT_EQ(failure_of([&] { (void)oauth.start(with_token(token)); }), "invalid_request");
    // A bad request with a fresh token does not burn its jti: the other checks come first.
    AuthorizationParams bad = with_token(account_token("jti-later"));
    bad.code_challenge_method = "plain";
    EXPECT_EQ(failure_of([&] { (void)oauth.start(bad); }), "invalid_request");
    EXPECT_NO_THROW((void)oauth.start(with_token(account_token("jti-later"))));
}

TEST_F(AccountTokenTest, APublicClientCannotSendOne) {
    const RegisteredClient wallet = oauth.add_client("wallet", {std::string{kRedirect}}, false, {}, "test");
    AuthorizationParams p = service_request();
    p.client_id = wallet.client.id;
    p.account_token =
        jwt(R"({"typ":"JWT","alg":"HS256"})", claims("jti-pub", now_s(), wallet.client.id), sha256(""));
    EXPECT_EQ(failure_of([&] { (void)oauth.start(p); }), "invalid_request");
}

// ---- oauth2/revoke of a credential token (RFC 7009) ----

TEST_F(OAuthTest, RevokingACredentialTokenRetiresItsSadForItsClientOnly) {
    const Credential c = personal(alice);
    const Bytes a = sha256("contract A");
    const TokenResponse t = oauth.token(app_auth(), exchange(code_for(credential_request(c, {a}), alice)));
    const TokenResponse kept = oauth.token(app_auth(), exchange(code_for(credential_request(c, {a}), alice)));
    const RegisteredClient other = oauth.add_client("other-app", {std::string{kRedirect}}, true, {}, "test");
    // RFC 7009 §2.2: another client's token is ignored, without an error.
    EXPECT_NO_THROW(oauth.revoke({other.client.id, secret(*other.secret), true}, secret(t.access_token), ""));
    ASSERT_TRUE(authz.credential_token(secret(t.access_token)).has_value()) << "another client revoked it";

    EXPECT_NO_THROW(oauth.revoke(app_auth(), secret(t.access_token), "access_token"));
    EXPECT_FALSE(authz.credential_token(secret(t.access_token)).has_value());
    const auto alg = SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256);
    const Caller caller{alice.id, app.client.id, {}};
    EXPECT_EQ(failure_of([&] {
                  authz.sign_hash(caller, {c.id, secret(t.access_token), {a}, alg});
              }),
              "invalid_sad");
    EXPECT_NO_THROW(oauth.revoke(app_auth(), secret(t.access_token), ""))  // twice: still 200
    ;
    const auto sigs = authz.sign_hash(caller, {c.id, secret(kept.access_token), {a}, alg});
    ASSERT_EQ(sigs.size(), 1U);
    expect_verifies(c, a, sigs[0]);
    EXPECT_EQ(sqlite3("SELECT count(*) FROM audit_log WHERE action = 'sad.revoke' AND outcome = 'ok';"),
              "1\n");
}

// ---- password guessing on the page, one code per password pass (decision 0015) ----

TEST_F(OAuthTest, ThePageAndAuthLoginCountTheSameAccountsFailures) {
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(code_of([&] { (void)env.sessions.login("alice", secret("guess"), false); }),
                  Errc::InvalidAuthData);
    }
    const Secret session = secret(oauth.start(service_request()).session);
    const std::string csrf = oauth.view(session).csrf;
    std::string wrong;
    std::string unknown;
    for (int i = 0; i < 2; ++i) {
        EXPECT_EQ(code_of([&] { oauth.login(session, csrf, "alice", secret("guess")); }, &wrong),
                  Errc::InvalidAuthData);
    }
    EXPECT_EQ(code_of([&] { oauth.login(session, csrf, "nobody", secret("guess")); }, &unknown),
              Errc::InvalidAuthData);
    std::string locked;
    EXPECT_EQ(code_of([&] { oauth.login(session, csrf, "alice", secret("password-alice")); }, &locked),
              Errc::InvalidAuthData)
        << "five failures in all: the right password is refused on the page";
    EXPECT_EQ(locked, unknown);
    EXPECT_EQ(wrong, unknown);
    EXPECT_EQ(oauth.view(session).stage, PendingStage::Login);
    EXPECT_EQ(code_of([&] { (void)env.sessions.login("alice", secret("password-alice"), false); }),
              Errc::InvalidAuthData)
        << "and on auth/login";
    EXPECT_EQ(
        sqlite3("SELECT outcome || ':' || user_id FROM audit_log WHERE action = 'oauth2.login' ORDER BY "
                "seq;"),
        "bad_password:" + alice.id + "\nbad_password:" + alice.id +
            "\nunknown_user:\npassword_locked:" + alice.id + "\n");
    env.accounts.unlock("alice");
    oauth.login(session, csrf, "alice", secret("password-alice"));
    EXPECT_EQ(oauth.view(session).stage, PendingStage::Otp);
}

TEST_F(OAuthTest, FailedLoginsOnThePageAndAuthLoginRecordTheNameTriedButNeverThePassword) {
    env.sessions.set_audit(&audit);  // auth/login's entries into the same log as the page's
    const std::string password = "tried-Pa55word-9f3c";
    EXPECT_EQ(code_of([&] { (void)env.sessions.login("nobody", secret(password), false); }),
              Errc::InvalidAuthData);
    EXPECT_EQ(code_of([&] { (void)env.sessions.login("alice", secret(password), false); }),
              Errc::InvalidAuthData);
    const Secret session = secret(oauth.start(service_request()).session);
    const std::string csrf = oauth.view(session).csrf;
    EXPECT_EQ(code_of([&] { oauth.login(session, csrf, "mallory", secret(password)); }),
              Errc::InvalidAuthData);
    // Not a login name (a password typed into the name field, say): only its length is kept.
    const std::string not_a_name = "my secret pass phrase!";
    EXPECT_EQ(code_of([&] { oauth.login(session, csrf, not_a_name, secret(password)); }),
              Errc::InvalidAuthData);
    EXPECT_EQ(sqlite3("SELECT action || ':' || outcome || ':' || user_id || ':' || "
                      "coalesce(json_extract(details, '$.user_name'), '-') || ':' || "
                      "coalesce(json_extract(details, '$.user_name_invalid_length'), '-') FROM audit_log "
                      "WHERE action IN ('auth.login', 'oauth2.login') ORDER BY seq;"),
              "auth.login:unknown_user::nobody:-\nauth.login:bad_password:" + alice.id +
                  ":alice:-\noauth2.login:unknown_user::mallory:-\noauth2.login:unknown_user::-:" +
                  std::to_string(not_a_name.size()) + "\n");
    const std::string log = sqlite3("SELECT * FROM audit_log;");
    EXPECT_EQ(log.find(password), std::string::npos) << log;
    EXPECT_EQ(log.find(not_a_name), std::string::npos) << log;
}

TEST_F(OAuthTest, EachCodeOnThePageNeedsAFreshPasswordPass) {
    const Secret session = secret(oauth.start(service_request()).session);
    const std::string csrf = oauth.view(session).csrf;
    oauth.login(session, csrf, "alice", secret("password-alice"));
    EXPECT_EQ(code_of([&] { oauth.otp(session, csrf, secret("000000")); }), Errc::InvalidAuthData);
    const PageView back = oauth.view(session);
    EXPECT_EQ(back.stage, PendingStage::Login);
    EXPECT_TRUE(back.user_name.empty()) << "the earlier pass is not shown";
    // A second code without the password: refused as a step out of order, and not counted.
    EXPECT_EQ(failure_of([&] { oauth.otp(session, csrf, secret("111111")); }), "invalid_session");
    EXPECT_EQ(store.otp_failures(alice.id), 1);
    // Trying codes means passing the password every time: the audit shows each pair.
    for (int i = 0; i < 2; ++i) {
        oauth.login(session, csrf, "alice", secret("password-alice"));
        EXPECT_EQ(code_of([&] { oauth.otp(session, csrf, secret("000000")); }), Errc::InvalidAuthData);
    }
    EXPECT_EQ(store.otp_failures(alice.id), 3);
    EXPECT_EQ(sqlite3("SELECT action || ':' || outcome FROM audit_log WHERE action IN ('oauth2.login', "
                      "'oauth2.otp') ORDER BY seq;"),
              "oauth2.login:ok\noauth2.otp:bad_otp\noauth2.login:ok\noauth2.otp:bad_otp\n"
              "oauth2.login:ok\noauth2.otp:bad_otp\n");
    // The user who mistyped signs in again and gets through.
    oauth.login(session, csrf, "alice", secret("password-alice"));
    oauth.otp(session, csrf, Secret{otp(alice)});
    EXPECT_EQ(oauth.view(session).stage, PendingStage::Consent);
    EXPECT_TRUE(oauth.consent(session, csrf, true).error.empty());
}

// ---- PKCE for every public client (sole-control issue §6) ----

class PublicClientTest : public OAuthTest {
protected:
    PublicClientTest() : wallet{oauth.add_client("wallet", {std::string{kRedirect}}, false, {}, "test")} {}
    /// A v1 request (no PKCE demanded by the version) from the public client.
    AuthorizationParams v1_request() const {
        AuthorizationParams p = service_request();
        p.client_id = wallet.client.id;
        p.pkce_required = false;
        return p;
    }
    ClientAuthentication wallet_auth() const { return {wallet.client.id, std::nullopt, false}; }
    RegisteredClient wallet;
};

TEST_F(PublicClientTest, AV1OrV2RequestWithoutCodeChallengeIsRefused) {
    for (const bool v2 : {false, true}) {
        SCOPED_TRACE(v2 ? "v2" : "v1");
        AuthorizationParams p = v1_request();
        p.pkce_required = v2;
        p.code_challenge.clear();
        p.code_challenge_method.clear();
        std::string message;
        EXPECT_EQ(code_of([&] { (void)oauth.start(p); }, &message), Errc::InvalidRequest);
        EXPECT_NE(message.find("code_challenge is required"), std::string::npos) << message;
        EXPECT_EQ(failure_of([&] { (void)oauth.start(p); }), "invalid_request") << "typed, not in the text";
        EXPECT_EQ(failure_of([&] { (void)oauth.push(wallet_auth(), p); }), "invalid_request") << "PAR too";
        p.code_challenge = std::string{kVerifier};
        p.code_challenge_method = "plain";
        EXPECT_EQ(failure_of([&] { (void)oauth.start(p); }), "invalid_request") << "plain stays off";
    }
    EXPECT_EQ(sqlite3("SELECT count(*) FROM oauth_pending;"), "0\n");
}

TEST_F(PublicClientTest, AV1CodeNeedsItsVerifierAtTheTokenEndpoint) {
    const std::string first = code_for(v1_request(), alice);
    EXPECT_EQ(failure_of([&] { (void)oauth.token(wallet_auth(), exchange(first, "")); }), "invalid_grant");
    const std::string second = code_for(v1_request(), alice);
    const TokenResponse t = oauth.token(wallet_auth(), exchange(second));
    EXPECT_EQ(env.sessions.authenticate(secret(t.access_token)).client_id, wallet.client.id);
}

TEST_F(PublicClientTest, ACodeStoredWithoutChallengeIsNotExchangedForAPublicClient) {
    // As a request stored before PKCE was required of public clients would be.
    AuthorizationParams p = v1_request();
    p.code_challenge.clear();
    p.code_challenge_method.clear();
    const std::string code = "legacy-code-without-a-challenge";
    grants.insert_code({sha256(code), wallet.client.id, std::string{kRedirect}, alice.id, to_json(p),
                        env.clock.now() + std::chrono::seconds{60}});
    EXPECT_EQ(failure_of([&] { (void)oauth.token(wallet_auth(), exchange(code, "")); }), "invalid_grant");
    EXPECT_EQ(sqlite3("SELECT outcome FROM audit_log WHERE action = 'oauth2.token';"), "pkce_missing\n");
}

TEST_F(OAuthTest, AConfidentialV1ClientMayOmitPkceButThenSendsNoVerifier) {
    AuthorizationParams p = service_request();
    p.code_challenge.clear();
    p.code_challenge_method.clear();
    p.pkce_required = false;  // v1
    EXPECT_FALSE(oauth.token(app_auth(), exchange(code_for(p, alice), "")).access_token.empty());
    // A verifier for a code without a challenge: a downgrade attempt (RFC 9700 §2.1.1).
    EXPECT_EQ(failure_of([&] { (void)oauth.token(app_auth(), exchange(code_for(p, alice))); }),
              "invalid_grant");
}

}  // namespace
}  // namespace inkan::service
