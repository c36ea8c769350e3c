// Sole control end to end: credentials in a real SoftHSM token certified by a real built-in CA, the
// SAD ledger and the audit chain in a real SQLite database, TOTP codes computed here on a ManualClock.
// Every signature is checked by `openssl pkeyutl -verify` against the certificate's public key.

#include <inkan/service/authorization.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <inkan/core/encoding.h>
#include <inkan/crypto/digest.h>
#include <inkan/crypto/keys.h>
#include <inkan/crypto/random.h>
#include <inkan/pki/ca.h>
#include <inkan/pki/certificate.h>
#include <inkan/pki/connectors.h>
#include <inkan/service/audit.h>
#include <inkan/service/credentials.h>
#include <inkan/service/secrets.h>
#include <inkan/sign/hsm_signer.h>
#include <inkan/storage/sqlite_ca_store.h>
#include <inkan/storage/sqlite_service_stores.h>

#include "test_env.h"

namespace inkan::service {
namespace {

using crypto::DigestAlgorithm;
using crypto::SignatureAlgorithm;
using testing::code_of;
using testing::secret;
using testing::ServiceEnv;
using testing::token;

struct TestCa {
    TestCa(const Clock& clock, pki::CaStore& store) {
        signer = std::make_unique<sign::HsmSigner>(
            token(), token().generate_key_pair(hsm::KeySpec::EcP256, "ca-authz-" + crypto::random_hex(4)));
        pki::CaSettings settings;
        settings.name = "test-ca";
        settings.pki_base_url = "http://127.0.0.1:8080";
        const pki::Certificate root = pki::create_root(
            settings, *signer, pki::Name{}.country("JP").organization("inkan").common_name("inkan Test CA"),
            3650, store, clock);
        ca = std::make_unique<pki::BuiltinCa>(settings, *signer, std::vector<Bytes>{root.der()}, store,
                                              pki::ProfileSet::defaults(), clock);
        connector = std::make_unique<pki::BuiltinConnector>(*ca);
    }
    std::unique_ptr<sign::HsmSigner> signer;
    std::unique_ptr<pki::BuiltinCa> ca;
    std::unique_ptr<pki::BuiltinConnector> connector;
};

AuthorizationSettings test_settings() {
    AuthorizationSettings s;
    s.max_pin_failures = 3;
    s.max_otp_failures = 3;
    return s;
}

Bytes sha256(std::string_view s) {
    return crypto::digest(DigestAlgorithm::Sha256, as_bytes(s));
}

class AuthorizationTest : public ::testing::Test {
protected:
    AuthorizationTest()
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
          authz{env.credentials, env.users, env.accounts, store, audit, token(), env.clock, test_settings()} {
        alice = env.add("alice", "Alice Example", true);
        bob = env.add("bob", "Bob Example", true);
        carol = env.add("carol", "Carol Example", true);
    }

    Credential personal(std::string_view owner, hsm::KeySpec key = hsm::KeySpec::EcP256, int scal = 2,
                        int multisign = 5) {
        NewCredential r;
        r.kind = CredentialKind::Personal;
        r.owner = std::string{owner};
        r.key = key;
        r.scal = scal;
        r.multisign = multisign;
        r.pin = secret("1234");
        return credentials.create(std::move(r)).credential;
    }

    /// The user's current TOTP code, one step after the last one (so that each call is fresh).
    std::string otp(const User& u) {
        env.clock.advance(std::chrono::seconds{30});
        return totp_code(*env.accounts.totp_secret(u.id), env.clock.now());
    }

    static Caller caller(const User& u) { return Caller{u.id, "client-1", "tok-1"}; }

    AuthorizeRequest request(const Credential& c, std::vector<Bytes> hashes, std::string_view pin,
                             std::string otp_code, DigestAlgorithm alg = DigestAlgorithm::Sha256) {
        AuthorizeRequest r;
        r.credential_id = c.id;
        r.num_signatures = hashes.empty() ? 1 : static_cast<int>(hashes.size());
        for (auto& h : hashes) {
            r.hashes.push_back(AuthorisedHash{alg, std::move(h)});
        }
        r.pin = secret(pin);
        r.otp = Secret{std::move(otp_code)};
        r.description = "test";
        return r;
    }

    std::string authorize(const User& u, const Credential& c, std::vector<Bytes> hashes) {
        return authz.authorize(caller(u), request(c, std::move(hashes), "1234", otp(u))).sad;
    }

    std::vector<Bytes> sign(const User& u, const Credential& c, const std::string& sad,
                            std::vector<Bytes> hashes,
                            AlgorithmChoice alg = SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256)) {
        SignHashRequest r{c.id, secret(sad), std::move(hashes), std::move(alg)};
        return authz.sign_hash(caller(u), std::move(r));
    }

    /// The SignFailure (or AuthFailure name) an Error carries, as text, and its code.
    template <typename F>
    std::string failure_of(F&& f, Errc* code = nullptr) {
        try {
            f();
        } catch (const Error& e) {
            if (code != nullptr) {
                *code = e.code();
            }
            if (const auto s = sign_failure(e)) {
                return std::string{name(*s)};
            }
            if (const auto a = authorization_failure(e)) {
                return std::string{name(*a)};
            }
            if (const auto r = reason_of<AlgorithmRefusal>(e)) {
                return std::string{name(*r)};
            }
            if (const auto q = reason_of<QualifierRefusal>(e)) {
                return std::string{name(*q)};
            }
            return std::string{"errc:"} + std::string{errc_name(e.code())};
        }
        ADD_FAILURE() << "nothing thrown";
        return {};
    }

    /// openssl pkeyutl -verify of `sig` over `digest` with the credential certificate's public key.
    void expect_verifies(const Credential& c, ByteView digest, ByteView sig, std::vector<std::string> opts) {
        const auto pub = pki::Certificate::from_der(c.chain.front()).public_key();
        inkan::testing::write_file(env.dir / "pub.pem", pub.pem());
        inkan::testing::write_file(env.dir / "digest.bin", digest);
        inkan::testing::write_file(env.dir / "sig.bin", sig);
        std::vector<std::string> args{"openssl",  "pkeyutl",
                                      "-verify",  "-pubin",
                                      "-inkey",   (env.dir / "pub.pem").string(),
                                      "-in",      (env.dir / "digest.bin").string(),
                                      "-sigfile", (env.dir / "sig.bin").string()};
        args.insert(args.end(), opts.begin(), opts.end());
        const auto result = inkan::testing::run(args);
        EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
        EXPECT_NE(result.out.find("Signature Verified Successfully"), std::string::npos) << result.out;
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
    User alice, bob, carol;
};

TEST_F(AuthorizationTest, ScalTwoEcP256FlowSignsExactlyTheAuthorisedHashes) {
    const auto c = personal("alice");
    const Bytes h1 = sha256("document 1");
    const Bytes h2 = sha256("document 2");
    const auto issued = authz.authorize(caller(alice), request(c, {h1, h2}, "1234", otp(alice)));
    EXPECT_GE(issued.sad.size(), 43U);
    EXPECT_EQ(issued.expires_in, 3600);
    const auto sigs = sign(alice, c, issued.sad, {h2, h1});
    ASSERT_EQ(sigs.size(), 2U);
    expect_verifies(c, h2, sigs[0], {"-pkeyopt", "digest:sha256"});
    expect_verifies(c, h1, sigs[1], {"-pkeyopt", "digest:sha256"});
    // Spent: the SAD is retired.
    EXPECT_EQ(failure_of([&] { sign(alice, c, issued.sad, {h1}); }), "invalid_sad");
}

TEST_F(AuthorizationTest, ScalTwoRsa2048FlowWithPkcs1AndPss) {
    const auto c = personal("alice", hsm::KeySpec::Rsa2048);
    const Bytes h1 = sha256("rsa 1");
    const Bytes h2 = sha256("rsa 2");
    const auto sad = authorize(alice, c, {h1, h2});
    const auto pkcs1 = sign(alice, c, sad, {h1}, SignatureAlgorithm::rsa_pkcs1(DigestAlgorithm::Sha256));
    ASSERT_EQ(pkcs1.size(), 1U);
    EXPECT_EQ(pkcs1[0].size(), 256U);  // raw
    expect_verifies(c, h1, pkcs1[0], {"-pkeyopt", "digest:sha256"});
    const auto pss = sign(alice, c, sad, {h2}, SignatureAlgorithm::rsa_pss(DigestAlgorithm::Sha256));
    ASSERT_EQ(pss.size(), 1U);
    expect_verifies(
        c, h2, pss[0],
        {"-pkeyopt", "digest:sha256", "-pkeyopt", "rsa_padding_mode:pss", "-pkeyopt", "rsa_pss_saltlen:32"});
}

TEST_F(AuthorizationTest, ScalOneCountsSignaturesWithoutHashes) {
    const auto c = personal("alice", hsm::KeySpec::EcP256, 1, 3);
    AuthorizeRequest r = request(c, {}, "1234", otp(alice));
    r.num_signatures = 2;
    const auto sad = authz.authorize(caller(alice), std::move(r)).sad;
    const Bytes a = sha256("a");
    const Bytes b = sha256("b");
    const Bytes d = sha256("c");
    EXPECT_EQ(failure_of([&] { sign(alice, c, sad, {a, b, d}); }), "too_many_hashes");
    const auto sigs = sign(alice, c, sad, {a, b});
    expect_verifies(c, b, sigs[1], {"-pkeyopt", "digest:sha256"});
    EXPECT_EQ(failure_of([&] { sign(alice, c, sad, {d}); }), "invalid_sad");
}

TEST_F(AuthorizationTest, ASealMemberActivatesWithTheirOwnPin) {
    NewCredential n;
    n.kind = CredentialKind::Seal;
    n.organization = "Example KK";
    n.organization_identifier = "NTRJP-1234567890123";
    n.scal = 2;
    n.multisign = 2;
    const auto seal = credentials.create(std::move(n)).credential;
    credentials.add_member(seal.id, "bob", secret("5678"));
    const Bytes h = sha256("invoice");
    // The owner PIN concept does not exist for a seal; a non-member sees nothing.
    EXPECT_EQ(failure_of([&] { authz.authorize(caller(carol), request(seal, {h}, "5678", otp(carol))); }),
              "errc:not_found");
    EXPECT_EQ(failure_of([&] { authz.authorize(caller(bob), request(seal, {h}, "1234", otp(bob))); }),
              "bad_pin");
    const auto sad = authz.authorize(caller(bob), request(seal, {h}, "5678", otp(bob))).sad;
    const auto sigs = sign(bob, seal, sad, {h});
    expect_verifies(seal, h, sigs[0], {"-pkeyopt", "digest:sha256"});
    const auto entries = audit.range({}, {});
    ASSERT_FALSE(entries.empty());
    EXPECT_EQ(entries.back().event.action, "sign");
    EXPECT_EQ(entries.back().event.member_id, bob.id);
    EXPECT_EQ(entries.back().event.credential_id, seal.id);
}

TEST_F(AuthorizationTest, WrongPinsLockThePinUntilAnOperatorUnlocks) {
    const auto c = personal("alice");
    const Bytes h = sha256("x");
    Errc code{};
    EXPECT_EQ(failure_of([&] { authz.authorize(caller(alice), request(c, {h}, "0000", otp(alice))); }, &code),
              "bad_pin");
    EXPECT_EQ(code, Errc::InvalidAuthData);
    EXPECT_EQ(failure_of([&] { authz.authorize(caller(alice), request(c, {h}, "0000", otp(alice))); }),
              "bad_pin");
    EXPECT_EQ(failure_of([&] { authz.authorize(caller(alice), request(c, {h}, "0000", otp(alice))); }, &code),
              "pin_locked");
    EXPECT_EQ(code, Errc::Locked);
    // Now even the right PIN is refused.
    EXPECT_EQ(failure_of([&] { authz.authorize(caller(alice), request(c, {h}, "1234", otp(alice))); }, &code),
              "pin_locked");
    authz.unlock_credential(c.id, "root");
    EXPECT_NO_THROW(authorize(alice, c, {h}));
}

TEST_F(AuthorizationTest, ASuccessResetsThePinCounter) {
    const auto c = personal("alice");
    const Bytes h = sha256("x");
    for (int round = 0; round < 3; ++round) {
        EXPECT_EQ(failure_of([&] { authz.authorize(caller(alice), request(c, {h}, "0000", otp(alice))); }),
                  "bad_pin");
        EXPECT_EQ(failure_of([&] { authz.authorize(caller(alice), request(c, {h}, "0000", otp(alice))); }),
                  "bad_pin");
        EXPECT_NO_THROW(authorize(alice, c, {h}));
    }
}

TEST_F(AuthorizationTest, AnOtpIsAcceptedOnce) {
    const auto c = personal("alice");
    const Bytes h = sha256("x");
    const std::string code = otp(alice);
    EXPECT_NO_THROW(authz.authorize(caller(alice), request(c, {h}, "1234", code)));
    // A replay has its own failure (not counted toward the lockout: decision 0027).
    EXPECT_EQ(failure_of([&] { authz.authorize(caller(alice), request(c, {h}, "1234", code)); }),
              "otp_replayed");
    // The previous step (inside the window, spent by the later one) is refused too.
    const std::string earlier =
        totp_code(*env.accounts.totp_secret(alice.id), env.clock.now() - std::chrono::seconds{30});
    EXPECT_EQ(failure_of([&] { authz.authorize(caller(alice), request(c, {h}, "1234", earlier)); }),
              "otp_replayed");
    EXPECT_EQ(store.otp_failures(alice.id), 0) << "a replay was counted";
    EXPECT_EQ(failure_of([&] { authz.authorize(caller(alice), request(c, {h}, "1234", "000000")); }),
              "bad_otp");
    EXPECT_EQ(store.otp_failures(alice.id), 1) << "a wrong code was not counted";
}

TEST_F(AuthorizationTest, WrongOtpsLockTheUsersOtpUntilUnlocked) {
    const auto c = personal("alice");
    const Bytes h = sha256("x");
    EXPECT_EQ(failure_of([&] { authz.authorize(caller(alice), request(c, {h}, "1234", "000000")); }),
              "bad_otp");
    EXPECT_EQ(failure_of([&] { authz.authorize(caller(alice), request(c, {h}, "1234", "000001")); }),
              "bad_otp");
    Errc code{};
    EXPECT_EQ(failure_of([&] { authz.authorize(caller(alice), request(c, {h}, "1234", "000002")); }, &code),
              "otp_locked");
    EXPECT_EQ(code, Errc::Locked);
    EXPECT_EQ(failure_of([&] { authz.authorize(caller(alice), request(c, {h}, "1234", otp(alice))); }),
              "otp_locked");
    authz.unlock_otp("alice", "root");
    EXPECT_NO_THROW(authorize(alice, c, {h}));
}

TEST_F(AuthorizationTest, AnExpiredSadIsRefused) {
    const auto c = personal("alice");
    const Bytes h = sha256("x");
    AuthorizeRequest r = request(c, {h}, "1234", otp(alice));
    r.expires_in = std::chrono::seconds{60};
    const auto issued = authz.authorize(caller(alice), std::move(r));
    EXPECT_EQ(issued.expires_in, 60);
    env.clock.advance(std::chrono::seconds{61});
    EXPECT_EQ(failure_of([&] { sign(alice, c, issued.sad, {h}); }), "sad_expired");
}

TEST_F(AuthorizationTest, TheLifetimeIsCappedAtTheMaximum) {
    const auto c = personal("alice");
    AuthorizeRequest r = request(c, {sha256("x")}, "1234", otp(alice));
    r.expires_in = std::chrono::seconds{86400};
    EXPECT_EQ(authz.authorize(caller(alice), std::move(r)).expires_in, 3600);
}

TEST_F(AuthorizationTest, AnotherUsersSadOrCredentialIsRefused) {
    const auto mine = personal("alice");
    const auto also_mine = personal("alice");
    const auto bobs = personal("bob");
    const Bytes h = sha256("x");
    const auto sad = authorize(alice, mine, {h});
    EXPECT_EQ(failure_of([&] { sign(bob, bobs, sad, {h}); }), "invalid_sad");
    EXPECT_EQ(failure_of([&] { sign(bob, mine, sad, {h}); }), "errc:not_found");
    EXPECT_EQ(failure_of([&] { sign(alice, also_mine, sad, {h}); }), "invalid_sad");
    // Nothing was consumed.
    EXPECT_EQ(sign(alice, mine, sad, {h}).size(), 1U);
}

TEST_F(AuthorizationTest, OnlyAuthorisedHashesAreSignedAndEachOnce) {
    const auto c = personal("alice");
    const Bytes h1 = sha256("1");
    const Bytes h2 = sha256("2");
    const auto sad = authorize(alice, c, {h1, h2});
    EXPECT_EQ(failure_of([&] { sign(alice, c, sad, {sha256("other")}); }), "hash_not_authorised");
    EXPECT_EQ(failure_of([&] { sign(alice, c, sad, {h1, sha256("other")}); }), "hash_not_authorised");
    EXPECT_EQ(sign(alice, c, sad, {h1}).size(), 1U);
    EXPECT_EQ(failure_of([&] { sign(alice, c, sad, {h1}); }), "hash_not_authorised");
    EXPECT_EQ(sign(alice, c, sad, {h2}).size(), 1U);
}

TEST_F(AuthorizationTest, NumSignaturesAboveMultisignIsRefused) {
    const auto c = personal("alice", hsm::KeySpec::EcP256, 2, 2);
    EXPECT_EQ(failure_of([&] {
                  authorize(alice, c, {sha256("1"), sha256("2"), sha256("3")});
              }),
              "too_many_signatures");
    AuthorizeRequest r = request(c, {sha256("1")}, "1234", otp(alice));
    r.num_signatures = 2;  // one hash for two signatures
    EXPECT_EQ(failure_of([&] { authz.authorize(caller(alice), std::move(r)); }), "hash_count_mismatch");
    AuthorizeRequest none = request(c, {}, "1234", otp(alice));
    EXPECT_EQ(failure_of([&] { authz.authorize(caller(alice), std::move(none)); }), "hashes_required");
}

/// The real SQLite store, with its reads counted: what one request costs the credential table.
class CountingCredentialStore final : public CredentialStore {
public:
    explicit CountingCredentialStore(CredentialStore& real) : m_real{real} {}
    mutable std::atomic<int> finds{0};
    mutable std::atomic<int> other_reads{0};

    void create(const Credential& credential, std::string_view pin_hash) override {
        m_real.create(credential, pin_hash);
    }
    [[nodiscard]] std::optional<Credential> find(std::string_view id) const override {
        ++finds;
        return m_real.find(id);
    }
    [[nodiscard]] std::vector<Credential> list() const override {
        ++other_reads;
        return m_real.list();
    }
    [[nodiscard]] std::vector<Credential> list_for_user(std::string_view user_id) const override {
        ++other_reads;
        return m_real.list_for_user(user_id);
    }
    void set_chain(std::string_view id, const std::vector<Bytes>& chain) override {
        m_real.set_chain(id, chain);
    }
    void set_status(std::string_view id, CredentialStatus status) override { m_real.set_status(id, status); }
    void renew(std::string_view old_id, const Credential& renewed, TimePoint at) override {
        m_real.renew(old_id, renewed, at);
    }
    void add_member(std::string_view credential_id, std::string_view user_id,
                    std::string_view pin_hash) override {
        m_real.add_member(credential_id, user_id, pin_hash);
    }
    void remove_member(std::string_view credential_id, std::string_view user_id) override {
        m_real.remove_member(credential_id, user_id);
    }
    [[nodiscard]] std::vector<SealMember> members(std::string_view credential_id) const override {
        ++other_reads;
        return m_real.members(credential_id);
    }
    [[nodiscard]] std::optional<std::string> pin_hash(std::string_view credential_id,
                                                      std::string_view user_id) const override {
        ++other_reads;
        return m_real.pin_hash(credential_id, user_id);
    }

private:
    CredentialStore& m_real;
};

TEST_F(AuthorizationTest, ASignHashReadsItsCredentialOnceAndSignsOverTheCertificatesKey) {
    // Decision 0043: the service reads the credential once per request and decides the scheme, the
    // digests and the spend from that one read; the signer takes the key from the certificate.
    const auto c = personal("alice", hsm::KeySpec::Rsa2048);
    const Bytes h1 = sha256("read once 1");
    const Bytes h2 = sha256("read once 2");
    const auto sad = authorize(alice, c, {h1, h2});
    CountingCredentialStore counting{env.credentials};
    Authorization counted{counting, env.users, env.accounts, store,
                          audit,    token(),   env.clock,    test_settings()};
    const auto sigs = counted.sign_hash(
        caller(alice),
        SignHashRequest{c.id,
                        secret(sad),
                        {h1, h2},
                        AlgorithmChoice{"1.2.840.113549.1.1.1", std::nullopt,
                                        std::string{crypto::spec(DigestAlgorithm::Sha256).oid}}});
    ASSERT_EQ(sigs.size(), 2U);
    expect_verifies(c, h1, sigs[0], {"-pkeyopt", "digest:sha256"});
    expect_verifies(c, h2, sigs[1], {"-pkeyopt", "digest:sha256"});
    EXPECT_EQ(counting.finds.load(), 1) << "credential reads for one signHash of two hashes";
    EXPECT_EQ(counting.other_reads.load(), 0) << "other credential-table reads for a personal credential";
    // A refusal reads it once too, and says which parameter: rsaEncryption needs its hash.
    const auto spare = authorize(alice, c, {h1});
    counting.finds = 0;
    EXPECT_EQ(failure_of([&] {
                  (void)counted.sign_hash(
                      caller(alice),
                      SignHashRequest{c.id, secret(spare), {h1}, AlgorithmChoice{"1.2.840.113549.1.1.1"}});
              }),
              "hash_algo_missing");
    EXPECT_EQ(counting.finds.load(), 1);
    EXPECT_EQ(sign(alice, c, spare, {h1}, SignatureAlgorithm::rsa_pkcs1(DigestAlgorithm::Sha256)).size(), 1U)
        << "the refused request spent nothing";
}

TEST_F(AuthorizationTest, ASignatureQualifierChoosesTheCallersOneActiveCredentialWithIt) {
    const auto aes = personal("alice");  // the personal default: eu_eidas_aes
    EXPECT_EQ(aes.signature_qualifier, "eu_eidas_aes");
    const auto chosen = authz.signing_credential(caller(alice), "", "sign_doc", "eu_eidas_aes");
    EXPECT_EQ(chosen.credential.id, aes.id);
    EXPECT_EQ(chosen.key.type, crypto::KeyType::Ec);
    // Named and carrying it: the same; named but with another one, not a registered one, or none held.
    EXPECT_EQ(authz.signing_credential(caller(alice), aes.id, "sign_doc", "eu_eidas_aes").credential.id,
              aes.id);
    EXPECT_EQ(failure_of(
                  [&] { (void)authz.signing_credential(caller(alice), aes.id, "sign_doc", "eu_eidas_qes"); }),
              "qualifier_mismatch");
    EXPECT_EQ(
        failure_of([&] { (void)authz.signing_credential(caller(alice), "", "sign_doc", "not_a_qualifier"); }),
        "unknown_qualifier");
    EXPECT_EQ(
        failure_of([&] { (void)authz.signing_credential(caller(bob), "", "sign_doc", "eu_eidas_aes"); }),
        "qualifier_none_held");
    // Another user's credential named with its own qualifier is not found, as without one.
    EXPECT_EQ(
        failure_of([&] { (void)authz.signing_credential(caller(bob), aes.id, "sign_doc", "eu_eidas_aes"); }),
        "errc:not_found");
    // A second active one with it: the id must say which.
    (void)personal("alice");
    EXPECT_EQ(
        failure_of([&] { (void)authz.signing_credential(caller(alice), "", "sign_doc", "eu_eidas_aes"); }),
        "qualifier_ambiguous");
    // Every refusal is on the record.
    EXPECT_EQ(
        sqlite3(
            "SELECT count(*) FROM audit_log WHERE action = 'sign_doc' AND outcome = 'qualifier_ambiguous';"),
        "1\n");
}

TEST_F(AuthorizationTest, AWrongHashLengthIsRefusedBeforeAnythingIsSpent) {
    const auto c = personal("alice");
    EXPECT_EQ(failure_of([&] { authorize(alice, c, {Bytes(20, 1)}); }), "errc:invalid_request");
    const Bytes h = sha256("x");
    const auto sad = authorize(alice, c, {h});
    EXPECT_EQ(failure_of([&] { sign(alice, c, sad, {Bytes(31, 1)}); }), "invalid_digest_length");
    EXPECT_EQ(
        failure_of([&] { sign(alice, c, sad, {h}, SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha384)); }),
        "invalid_digest_length");
    EXPECT_EQ(sign(alice, c, sad, {h}).size(), 1U);
}

TEST_F(AuthorizationTest, AlgorithmsThatDoNotFitTheKeyAreRefused) {
    const auto ec = personal("alice");
    const auto rsa = personal("alice", hsm::KeySpec::Rsa2048);
    const Bytes h = sha256("x");
    const auto ec_sad = authorize(alice, ec, {h});
    Errc code{};
    EXPECT_EQ(
        failure_of(
            [&] { sign(alice, ec, ec_sad, {h}, SignatureAlgorithm::rsa_pkcs1(DigestAlgorithm::Sha256)); },
            &code),
        "sign_algo");
    EXPECT_EQ(code, Errc::UnsupportedAlgorithm);
    const auto rsa_sad = authorize(alice, rsa, {h});
    EXPECT_EQ(failure_of([&] {
                  sign(alice, rsa, rsa_sad, {h}, SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256));
              }),
              "sign_algo");
    // PSS parameters whose hash contradicts the separately named hash algorithm.
    AlgorithmChoice contradicting{SignatureAlgorithm::rsa_pss(DigestAlgorithm::Sha384)};
    contradicting.hash_algo = std::string{crypto::spec(DigestAlgorithm::Sha256).oid};
    EXPECT_EQ(failure_of([&] { sign(alice, rsa, rsa_sad, {h}, contradicting); }), "sign_algo_params");
    // A key OID without the hash it needs.
    EXPECT_EQ(failure_of([&] { sign(alice, ec, ec_sad, {h}, AlgorithmChoice{"1.2.840.10045.2.1"}); }),
              "hash_algo_missing");
    // None of that consumed anything.
    EXPECT_EQ(sign(alice, rsa, rsa_sad, {h}, SignatureAlgorithm::rsa_pkcs1(DigestAlgorithm::Sha256)).size(),
              1U);
    EXPECT_EQ(sign(alice, ec, ec_sad, {h}).size(), 1U);
}

TEST_F(AuthorizationTest, ExtendRenewsTheAuthorisedUnsignedHashesAndRetiresTheOld) {
    const auto c = personal("alice");
    const Bytes h1 = sha256("1");
    const Bytes h2 = sha256("2");
    const Bytes h3 = sha256("3");
    const auto old_sad = authorize(alice, c, {h1, h2, h3});
    EXPECT_EQ(sign(alice, c, old_sad, {h1}).size(), 1U);
    const auto extended =
        authz.extend(caller(alice), c.id, secret(old_sad), {AuthorisedHash{DigestAlgorithm::Sha256, h2}});
    EXPECT_NE(extended.sad, old_sad);
    EXPECT_EQ(failure_of([&] { sign(alice, c, old_sad, {h2}); }), "invalid_sad");
    // Only h2 was carried over: h3 was authorised but not named, h1 is already signed.
    EXPECT_EQ(failure_of([&] { sign(alice, c, extended.sad, {h3}); }), "hash_not_authorised");
    EXPECT_EQ(failure_of([&] { sign(alice, c, extended.sad, {h1}); }), "hash_not_authorised");
    EXPECT_EQ(sign(alice, c, extended.sad, {h2}).size(), 1U);
    EXPECT_EQ(failure_of([&] { authz.extend(caller(alice), c.id, secret(extended.sad), {}); }),
              "invalid_sad");
    EXPECT_EQ(failure_of([&] { authz.extend(caller(bob), c.id, secret(old_sad), {}); }), "errc:not_found");
}

TEST_F(AuthorizationTest, ExtendWithoutHashesCarriesEveryAuthorisedUnsignedHash) {
    const auto c = personal("alice");
    const Bytes h1 = sha256("1");
    const Bytes h2 = sha256("2");
    const auto old_sad = authorize(alice, c, {h1, h2});
    EXPECT_EQ(sign(alice, c, old_sad, {h2}).size(), 1U);
    const auto extended = authz.extend(caller(alice), c.id, secret(old_sad), {});
    EXPECT_EQ(failure_of([&] { sign(alice, c, extended.sad, {h2}); }), "hash_not_authorised");
    EXPECT_EQ(sign(alice, c, extended.sad, {h1}).size(), 1U);
}

// The hole: authorize [h1, h2], sign h1, extend with [x], sign x, extend with [y]... one PIN + OTP bought
// signatures over hashes the signer never saw. A new hash is refused and nothing changes.
TEST_F(AuthorizationTest, ExtendRefusesAHashTheSignerNeverApprovedAndChangesNothing) {
    const auto c = personal("alice");
    const Bytes h1 = sha256("1");
    const Bytes h2 = sha256("2");
    const Bytes x = sha256("never approved");
    const auto sad = authorize(alice, c, {h1, h2});
    EXPECT_EQ(sign(alice, c, sad, {h1}).size(), 1U);
    Errc code{};
    EXPECT_EQ(failure_of(
                  [&] {
                      authz.extend(caller(alice), c.id, secret(sad), {{DigestAlgorithm::Sha256, x}});
                  },
                  &code),
              "hash_not_authorised");
    EXPECT_EQ(code, Errc::InvalidRequest);
    // An already signed hash is not renewable either; nor is a second copy of one authorised once.
    EXPECT_EQ(failure_of([&] {
                  authz.extend(caller(alice), c.id, secret(sad), {{DigestAlgorithm::Sha256, h1}});
              }),
              "hash_not_authorised");
    EXPECT_EQ(failure_of([&] {
                  authz.extend(caller(alice), c.id, secret(sad),
                               {{DigestAlgorithm::Sha256, h2}, {DigestAlgorithm::Sha256, h2}});
              }),
              "too_many_hashes");
    EXPECT_EQ(failure_of([&] { sign(alice, c, sad, {x}); }), "hash_not_authorised");
    // The old SAD is untouched: it still signs what it was given.
    EXPECT_EQ(sign(alice, c, sad, {h2}).size(), 1U);
}

TEST_F(AuthorizationTest, ExtendAtScalOneNeverRaisesTheCount) {
    const auto c = personal("alice", hsm::KeySpec::EcP256, 1, 5);
    AuthorizeRequest r = request(c, {}, "1234", otp(alice));
    r.num_signatures = 2;
    const auto sad = authz.authorize(caller(alice), std::move(r)).sad;
    EXPECT_EQ(sign(alice, c, sad, {sha256("a")}).size(), 1U);
    EXPECT_EQ(failure_of([&] {
                  authz.extend(caller(alice), c.id, secret(sad), {{DigestAlgorithm::Sha256, sha256("b")}});
              }),
              "errc:invalid_request");
    const auto renewed = authz.extend(caller(alice), c.id, secret(sad), {}).sad;
    EXPECT_EQ(failure_of([&] { sign(alice, c, renewed, {sha256("b"), sha256("c")}); }), "too_many_hashes");
    EXPECT_EQ(sign(alice, c, renewed, {sha256("b")}).size(), 1U);
    EXPECT_EQ(failure_of([&] { sign(alice, c, renewed, {sha256("c")}); }), "invalid_sad");
}

TEST_F(AuthorizationTest, ExtendNeverCarriesASadPastTheOriginalAuthorisationsHardLimit) {
    // Default: 3 × max_sad_lifetime (3600 s) after the PIN and OTP were checked.
    const auto c = personal("alice", hsm::KeySpec::EcP256, 1, 5);
    AuthorizeRequest r = request(c, {}, "1234", otp(alice));
    r.num_signatures = 1;
    std::string sad = authz.authorize(caller(alice), std::move(r)).sad;
    env.clock.advance(std::chrono::seconds{3500});
    auto renewed = authz.extend(caller(alice), c.id, secret(sad), {});
    EXPECT_EQ(renewed.expires_in, 3600);
    env.clock.advance(std::chrono::seconds{3500});
    renewed = authz.extend(caller(alice), c.id, secret(renewed.sad), {});
    // 7000 s after the authorisation: 3800 s are left of the 10800 s limit, more than a lifetime.
    EXPECT_EQ(renewed.expires_in, 3600);
    env.clock.advance(std::chrono::seconds{3500});
    renewed = authz.extend(caller(alice), c.id, secret(renewed.sad), {});
    EXPECT_EQ(renewed.expires_in, 300) << "capped at the hard limit (10800 - 10500)";
    env.clock.advance(std::chrono::seconds{299});
    renewed = authz.extend(caller(alice), c.id, secret(renewed.sad), {});
    EXPECT_EQ(renewed.expires_in, 1) << "one second is left of the hard limit";
    env.clock.advance(std::chrono::seconds{1});
    EXPECT_EQ(failure_of([&] { authz.extend(caller(alice), c.id, secret(renewed.sad), {}); }), "sad_expired");
    EXPECT_EQ(failure_of([&] { sign(alice, c, renewed.sad, {sha256("past the limit")}); }), "sad_expired");
}

// CSC v2 §8.4: only the credential-scope access token of an OAuth grant is a Bearer; a SAD is a
// parameter. Accepting a SAD as the Bearer would let anyone who saw it sign without a token.
TEST_F(AuthorizationTest, ASadFromAuthorizeIsNotACredentialTokenButAnOAuthGrantIs) {
    const auto c = personal("alice");
    const auto sad = authorize(alice, c, {sha256("x")});
    EXPECT_FALSE(authz.credential_token(secret(sad)).has_value());
    AuthorizeRequest g;
    g.credential_id = c.id;
    g.num_signatures = 1;
    g.hashes = {AuthorisedHash{DigestAlgorithm::Sha256, sha256("y")}};
    g.pin_verified = true;
    const auto granted = authz.grant_credential(caller(alice), std::move(g), std::chrono::seconds{600});
    const auto bearer = authz.credential_token(secret(granted.sad));
    ASSERT_TRUE(bearer.has_value());
    EXPECT_EQ(bearer->credential_id, c.id);
    EXPECT_EQ(bearer->caller.user_id, alice.id);
}

TEST_F(AuthorizationTest, ASadIsBoundToTheClientItWasIssuedThroughForHumansToo) {
    const auto c = personal("alice");
    const Bytes h = sha256("x");
    const auto sad = authorize(alice, c, {h});
    const Caller other_client{alice.id, "client-2", "tok-2"};
    EXPECT_EQ(
        failure_of([&] {
            authz.sign_hash(
                other_client,
                SignHashRequest{c.id, secret(sad), {h}, SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256)});
        }),
        "invalid_sad");
    EXPECT_EQ(failure_of([&] { authz.extend(other_client, c.id, secret(sad), {}); }), "invalid_sad");
    EXPECT_EQ(sign(alice, c, sad, {h}).size(), 1U) << "the refusals spent nothing";
}

TEST_F(AuthorizationTest, ALockedUserCannotSpendASadIssuedBefore) {
    const auto c = personal("alice");
    const Bytes h = sha256("x");
    const auto sad = authorize(alice, c, {h});
    env.users.set_locked(alice.id, true);
    EXPECT_EQ(failure_of([&] { sign(alice, c, sad, {h}); }), "invalid_sad");
    EXPECT_EQ(failure_of([&] { authz.extend(caller(alice), c.id, secret(sad), {}); }), "invalid_sad");
    env.users.set_locked(alice.id, false);
    EXPECT_EQ(sign(alice, c, sad, {h}).size(), 1U);
}

TEST_F(AuthorizationTest, ARemovedClientCannotSpendASadIssuedBefore) {
    storage::SqliteOAuthClientStore clients{env.db};
    OAuthClient app;
    app.id = "client-1";
    app.name = "signing-app";
    app.redirect_uris = {"https://app.example/cb"};
    app.created_at = env.clock.now();
    clients.create(app);
    authz.set_clients(&clients);
    const auto c = personal("alice");
    const Bytes h = sha256("x");
    const auto sad = authorize(alice, c, {h});
    ASSERT_TRUE(clients.remove("client-1", env.clock.now()));
    EXPECT_EQ(failure_of([&] { sign(alice, c, sad, {h}); }), "invalid_sad");
    authz.set_clients(nullptr);
}

TEST_F(AuthorizationTest, AnOAuthGrantOfAnExplicitCredentialNeedsItsPinVerified) {
    const auto c = personal("alice");
    AuthorizeRequest g;
    g.credential_id = c.id;
    g.num_signatures = 1;
    g.hashes = {AuthorisedHash{DigestAlgorithm::Sha256, sha256("y")}};
    // Password + OTP (the OAuth pages) alone: refused.
    EXPECT_EQ(
        failure_of([&] { authz.grant_credential(caller(alice), std::move(g), std::chrono::seconds{600}); }),
        "bad_pin");
    // The consent page's PIN check: wrong PINs count toward the same lockout as credentials/authorize.
    EXPECT_EQ(failure_of([&] { authz.verify_pin(caller(alice), c.id, secret("0000")); }), "bad_pin");
    EXPECT_NO_THROW(authz.verify_pin(caller(alice), c.id, secret("1234")));
    EXPECT_EQ(failure_of([&] { authz.verify_pin(caller(bob), c.id, secret("1234")); }), "errc:not_found");
    for (int i = 0; i < 2; ++i) {
        EXPECT_EQ(failure_of([&] { authz.verify_pin(caller(alice), c.id, secret("0000")); }), "bad_pin");
    }
    EXPECT_EQ(failure_of([&] { authz.verify_pin(caller(alice), c.id, secret("0000")); }), "pin_locked");
    EXPECT_EQ(failure_of([&] { authorize(alice, c, {sha256("z")}); }), "pin_locked");
}

/// Runs `attempt` on `n` threads released together; returns each thread's refusal text.
template <typename F>
std::vector<std::string> burst(int n, F attempt) {
    std::atomic<bool> go{false};
    std::vector<std::string> texts(static_cast<std::size_t>(n));
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
        threads.emplace_back([&, i] {
            while (!go.load()) {
                std::this_thread::yield();
            }
            try {
                attempt();
                texts[static_cast<std::size_t>(i)] = "accepted";
            } catch (const Error& e) {
                texts[static_cast<std::size_t>(i)] = e.what();
            }
        });
    }
    go = true;
    for (auto& t : threads) {
        t.join();
    }
    return texts;
}

std::size_t count_containing(const std::vector<std::string>& texts, std::string_view needle) {
    return static_cast<std::size_t>(std::count_if(texts.begin(), texts.end(), [&](const std::string& t) {
        return t.find(needle) != std::string::npos;
    }));
}

// A parallel burst of 12 wrong PINs must not get 12 guesses judged: the counter moves before the slow
// argon2id check, so at most max_pin_failures (3 here) are verified and the rest meet the lock.
TEST_F(AuthorizationTest, AParallelBurstOfWrongPinsGetsAtMostTheLimitJudged) {
    const auto c = personal("alice");
    const Bytes h = sha256("x");
    const auto texts = burst(12, [&] { authz.authorize(caller(alice), request(c, {h}, "0000", "000000")); });
    const auto judged = count_containing(texts, "wrong PIN");
    EXPECT_LE(judged, 3U) << ::testing::PrintToString(texts);
    EXPECT_GE(judged, 1U) << ::testing::PrintToString(texts);
    EXPECT_EQ(judged + count_containing(texts, "the PIN is locked"), 12U) << ::testing::PrintToString(texts);
    EXPECT_EQ(failure_of([&] { authorize(alice, c, {h}); }), "pin_locked");
    // The unjudged attempts gave their count back: the counter says how many were judged.
    EXPECT_EQ(store.pin_failures(c.id, alice.id), static_cast<int>(judged));
}

// Parallel attempts with the right PIN are not turned into a lock: those over the limit are refused
// unjudged, give their count back, and the successes clear it.
TEST_F(AuthorizationTest, AParallelBurstOfRightPinsLeavesNoLockBehind) {
    const auto c = personal("alice");
    const Bytes h = sha256("x");
    const auto texts = burst(8, [&] { authz.authorize(caller(alice), request(c, {h}, "1234", "000000")); });
    EXPECT_EQ(count_containing(texts, "wrong PIN"), 0U) << ::testing::PrintToString(texts);
    EXPECT_EQ(store.pin_failures(c.id, alice.id), 0) << ::testing::PrintToString(texts);
}

TEST_F(AuthorizationTest, AParallelBurstOfWrongOtpsGetsAtMostTheLimitJudged) {
    // The PIN is right and its limit high, so all twelve reach the OTP check at once.
    AuthorizationSettings settings = test_settings();
    settings.max_pin_failures = 100;
    Authorization wide{env.credentials, env.users, env.accounts, store, audit, token(), env.clock, settings};
    const auto c = personal("alice");
    const Bytes h = sha256("x");
    const auto texts = burst(12, [&] { wide.authorize(caller(alice), request(c, {h}, "1234", "000000")); });
    const auto judged = count_containing(texts, "wrong OTP");
    EXPECT_LE(judged, 3U) << ::testing::PrintToString(texts);
    EXPECT_GE(judged, 1U) << ::testing::PrintToString(texts);
    EXPECT_EQ(judged + count_containing(texts, "the OTP is locked"), 12U) << ::testing::PrintToString(texts);
}

TEST_F(AuthorizationTest, TheSignaturesAuditEntryIsWrittenWithTheSpend) {
    const auto c = personal("alice");
    const Bytes h1 = sha256("1");
    const Bytes h2 = sha256("2");
    const auto sad = authorize(alice, c, {h1, h2});
    const auto before = audit.range({}, {}).size();
    EXPECT_EQ(sign(alice, c, sad, {h1, h2}).size(), 2U);
    const auto entries = audit.range({}, {});
    ASSERT_EQ(entries.size(), before + 1) << "one entry per signHash, the spend's";
    EXPECT_EQ(entries.back().event.action, "sign");
    EXPECT_EQ(entries.back().event.outcome, "ok");
    EXPECT_NE(entries.back().event.details.find(hex_encode(h1)), std::string::npos)
        << entries.back().event.details;
    EXPECT_NE(entries.back().event.details.find(hex_encode(h2)), std::string::npos)
        << entries.back().event.details;
    EXPECT_TRUE(audit.verify().ok) << audit.verify().problem;
}

TEST_F(AuthorizationTest, ExtendRefusesAnExpiredSad) {
    const auto c = personal("alice");
    const auto sad = authorize(alice, c, {sha256("1")});
    env.clock.advance(std::chrono::seconds{3601});
    EXPECT_EQ(failure_of([&] { authz.extend(caller(alice), c.id, secret(sad), {}); }), "sad_expired");
}

TEST_F(AuthorizationTest, ADisabledCredentialCannotBeAuthorisedOrUsed) {
    const auto c = personal("alice");
    const Bytes h = sha256("x");
    const auto sad = authorize(alice, c, {h});
    env.credentials.set_status(c.id, CredentialStatus::Disabled);
    EXPECT_EQ(failure_of([&] { authorize(alice, c, {h}); }), "credential_disabled");
    EXPECT_EQ(failure_of([&] { sign(alice, c, sad, {h}); }), "credential_disabled");
}

TEST_F(AuthorizationTest, AnOAuth2CodeCredentialRefusesExplicitFactorsAndChangesNothing) {
    NewCredential n;
    n.kind = CredentialKind::Personal;
    n.owner = "alice";
    n.scal = 2;
    n.multisign = 2;
    n.auth_mode = AuthMode::OAuth2Code;
    n.pin = secret("1234");
    const auto coded = credentials.create(std::move(n)).credential;
    ASSERT_EQ(name(env.credentials.find(coded.id)->auth_mode), "oauth2code");
    const auto plain = personal("alice");
    const Bytes h = sha256("oauth2code only");
    const auto entries_before = audit.range({}, {}).size();

    // A fresh, valid OTP and the right PIN, then wrong PINs past the lockout threshold (3): every one is
    // refused the same way, before any factor is looked at.
    const std::string code = otp(alice);
    Errc errc{};
    EXPECT_EQ(failure_of([&] { authz.authorize(caller(alice), request(coded, {h}, "1234", code)); }, &errc),
              "oauth2_required");
    EXPECT_EQ(errc, Errc::InvalidRequest);
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(failure_of([&] { authz.authorize(caller(alice), request(coded, {h}, "0000", "000000")); }),
                  "oauth2_required")
            << "attempt " << i;
    }
    EXPECT_EQ(store.pin_failures(coded.id, alice.id), 0) << "no PIN attempt is counted";
    EXPECT_EQ(store.otp_failures(alice.id), 0) << "no OTP attempt is counted";
    EXPECT_EQ(sqlite3("SELECT count(*) FROM sads WHERE credential_id = '" + coded.id + "';"), "0\n")
        << "no SAD was recorded";

    // The OTP step was not spent: the same code still authorises the explicit credential.
    const auto sad = authz.authorize(caller(alice), request(plain, {h}, "1234", code)).sad;
    expect_verifies(plain, h, sign(alice, plain, sad, {h})[0], {"-pkeyopt", "digest:sha256"});

    // Only refusals were audited for the oauth2code credential; never an "ok" authorize.
    const auto entries = audit.range({}, {});
    ASSERT_EQ(entries.size(), entries_before + 5 + 2);
    for (std::size_t i = entries_before; i < entries_before + 5; ++i) {
        EXPECT_EQ(entries[i].event.credential_id, coded.id);
        EXPECT_EQ(entries[i].event.outcome, "oauth2_required") << "entry " << i;
    }

    // The OAuth credential grant (the code flow's credential token) authorises it and signs.
    AuthorizeRequest grant;
    grant.credential_id = coded.id;
    grant.num_signatures = 1;
    grant.hashes.push_back(AuthorisedHash{DigestAlgorithm::Sha256, h});
    const auto token = authz.grant_credential(caller(alice), std::move(grant), std::chrono::seconds{600});
    const auto sigs = sign(alice, coded, token.sad, {h});
    ASSERT_EQ(sigs.size(), 1U);
    expect_verifies(coded, h, sigs[0], {"-pkeyopt", "digest:sha256"});
    const auto v = audit.verify();
    EXPECT_TRUE(v.ok) << v.problem;
}

TEST_F(AuthorizationTest, AnOAuth2CodeSealRefusesItsMembersFactors) {
    NewCredential n;
    n.kind = CredentialKind::Seal;
    n.organization = "Example KK";
    n.organization_identifier = "NTRJP-1234567890123";
    n.scal = 1;
    n.auth_mode = AuthMode::OAuth2Code;
    const auto seal = credentials.create(std::move(n)).credential;
    credentials.add_member(seal.id, "bob", secret("5678"));
    EXPECT_EQ(failure_of([&] { authz.authorize(caller(bob), request(seal, {}, "5678", otp(bob))); }),
              "oauth2_required");
    // A non-member still sees nothing: the mode is not disclosed to them.
    EXPECT_EQ(failure_of([&] { authz.authorize(caller(carol), request(seal, {}, "5678", otp(carol))); }),
              "errc:not_found");
    EXPECT_EQ(store.pin_failures(seal.id, bob.id), 0);
}

TEST_F(AuthorizationTest, EveryAttemptIsAuditedAndTheChainVerifies) {
    const auto c = personal("alice");
    const Bytes h = sha256("audited");
    (void)failure_of([&] { authz.authorize(caller(alice), request(c, {h}, "0000", otp(alice))); });
    const auto sad = authorize(alice, c, {h});
    (void)sign(alice, c, sad, {h});
    const auto entries = audit.range({}, {});
    ASSERT_EQ(entries.size(), 3U);
    EXPECT_EQ(entries[0].event.action, "authorize");
    EXPECT_EQ(entries[0].event.outcome, "bad_pin");
    EXPECT_EQ(entries[1].event.outcome, "ok");
    EXPECT_EQ(entries[2].event.action, "sign");
    EXPECT_NE(entries[2].event.details.find(hex_encode(h)), std::string::npos);
    const std::string tag = hex_encode(sha256(sad)).substr(0, 16);
    EXPECT_NE(entries[1].event.details.find(tag), std::string::npos);
    EXPECT_NE(entries[2].event.details.find(tag), std::string::npos);
    const auto v = audit.verify();
    EXPECT_TRUE(v.ok) << v.problem;
    EXPECT_EQ(v.entries, 3U);
}

TEST_F(AuthorizationTest, NoPinOtpOrSadEverReachesTheDatabase) {
    const auto c = personal("alice");
    const Bytes h = sha256("secret-free");
    const std::string code = otp(alice);
    const auto sad = authz.authorize(caller(alice), request(c, {h}, "1234", code)).sad;
    (void)failure_of([&] { authz.authorize(caller(alice), request(c, {h}, "98765", code)); });
    (void)sign(alice, c, sad, {h});
    const std::string dump = sqlite3(".dump");
    ASSERT_NE(dump.find("audit_log"), std::string::npos);
    const std::string audit_rows = sqlite3("SELECT * FROM audit_log;");
    EXPECT_EQ(audit_rows.find("98765"), std::string::npos);
    EXPECT_EQ(audit_rows.find("1234"), std::string::npos);
    EXPECT_EQ(audit_rows.find(code), std::string::npos);
    EXPECT_EQ(dump.find(sad), std::string::npos);
    EXPECT_EQ(dump.find(code), std::string::npos);
    EXPECT_EQ(dump.find("98765"), std::string::npos);
}

class AuditTamperTest : public AuthorizationTest {
protected:
    void SetUp() override {
        for (int i = 0; i < 5; ++i) {
            AuditEvent e;
            e.action = "test";
            e.outcome = "ok";
            e.details = R"({"i":)" + std::to_string(i) + "}";
            audit.record(e);
        }
        ASSERT_TRUE(audit.verify().ok);
    }
};

TEST_F(AuditTamperTest, AnEditedEntryIsNamed) {
    sqlite3(R"(UPDATE audit_log SET details = '{"i":99}' WHERE seq = 3;)");
    const auto v = audit.verify();
    EXPECT_FALSE(v.ok);
    EXPECT_EQ(v.first_bad_seq, 3U);
    EXPECT_NE(v.problem.find("entry 3"), std::string::npos) << v.problem;
}

TEST_F(AuditTamperTest, ADeletedEntryIsNamed) {
    sqlite3("DELETE FROM audit_log WHERE seq = 2;");
    const auto v = audit.verify();
    EXPECT_FALSE(v.ok);
    EXPECT_EQ(v.first_bad_seq, 2U);
}

TEST_F(AuditTamperTest, ADeletedAndRenumberedEntryIsFound) {
    sqlite3("DELETE FROM audit_log WHERE seq = 2; UPDATE audit_log SET seq = seq - 1 WHERE seq > 2;");
    const auto v = audit.verify();
    EXPECT_FALSE(v.ok);
    EXPECT_EQ(v.first_bad_seq, 2U);
}

TEST_F(AuditTamperTest, SwappedEntriesAreNamed) {
    sqlite3(
        "UPDATE audit_log SET seq = 100 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 4; "
        "UPDATE audit_log SET seq = 4 WHERE seq = 100;");
    const auto v = audit.verify();
    EXPECT_FALSE(v.ok);
    EXPECT_EQ(v.first_bad_seq, 2U);
}

TEST_F(AuditTamperTest, RangeSelectsByTime) {
    EXPECT_EQ(audit.range({}, {}).size(), 5U);
    EXPECT_TRUE(audit.range(env.clock.now() + std::chrono::seconds{1}, {}).empty());
    EXPECT_TRUE(audit.range({}, env.clock.now() - std::chrono::seconds{1}).empty());
}

}  // namespace
}  // namespace inkan::service
