// Credentials end to end: keys generated in a real SoftHSM token, CSRs signed there, certificates from a
// real built-in CA (its key in the same token, its state in the same SQLite database), judged by the
// openssl CLI. The "external" CA of the manual flow is another BuiltinCa.

#include <inkan/service/credentials.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include <inkan/core/encoding.h>
#include <inkan/crypto/keys.h>
#include <inkan/crypto/random.h>
#include <inkan/pki/ca.h>
#include <inkan/pki/certificate.h>
#include <inkan/pki/connectors.h>
#include <inkan/pki/csr.h>
#include <inkan/service/secrets.h>
#include <inkan/sign/hsm_signer.h>
#include <inkan/storage/sqlite_ca_store.h>

#include "test_env.h"

namespace inkan::service {
namespace {

using pki::RevocationReason;
using testing::code_of;
using testing::secret;
using testing::ServiceEnv;
using testing::token;

inkan::testing::CommandResult openssl(std::vector<std::string> args) {
    args.insert(args.begin(), "openssl");
    return inkan::testing::run(args);
}

/// A root CA whose key is in the token, issuing end-entity certificates directly.
struct TestCa {
    TestCa(std::string name, const Clock& clock, pki::CaStore& store, std::string_view cn,
           pki::ProfileSet profiles = pki::ProfileSet::defaults()) {
        signer = std::make_unique<sign::HsmSigner>(
            token(),
            token().generate_key_pair(hsm::KeySpec::EcP256, "ca-" + name + "-" + crypto::random_hex(4)));
        pki::CaSettings settings;
        settings.name = name;
        settings.pki_base_url = "http://127.0.0.1:8080";
        const pki::Certificate root = pki::create_root(
            settings, *signer, pki::Name{}.country("JP").organization("inkan").common_name(cn), 3650, store,
            clock);
        ca = std::make_unique<pki::BuiltinCa>(settings, *signer, std::vector<Bytes>{root.der()}, store,
                                              std::move(profiles), clock);
        connector = std::make_unique<pki::BuiltinConnector>(*ca);
    }
    /// The same CA key and certificate under another name and other profiles.
    TestCa(std::string name, const TestCa& base, const Clock& clock, pki::CaStore& store,
           pki::ProfileSet profiles) {
        pki::CaSettings settings;
        settings.name = std::move(name);
        settings.pki_base_url = "http://127.0.0.1:8080";
        ca = std::make_unique<pki::BuiltinCa>(settings, *base.signer, base.ca->chain(), store,
                                              std::move(profiles), clock);
        connector = std::make_unique<pki::BuiltinConnector>(*ca);
    }
    [[nodiscard]] const Bytes& root_der() const { return ca->chain().back(); }

    std::unique_ptr<sign::HsmSigner> signer;
    std::unique_ptr<pki::BuiltinCa> ca;
    std::unique_ptr<pki::BuiltinConnector> connector;
};

pki::ProfileSet rsa_only_profiles() {
    auto set = pki::ProfileSet::defaults();
    auto person = set.get("person");
    person.key_policy.allow_ec = false;
    set.set(person);
    return set;
}

class CredentialsTest : public ::testing::Test {
protected:
    CredentialsTest()
        : ca_store{env.db},
          ca{"test-ca", env.clock, ca_store, "inkan Test CA"},
          strict{"strict-ca", ca, env.clock, ca_store, rsa_only_profiles()},
          external{"external-ca", env.clock, ca_store, "External Root"},
          manual{"manual", "send the CSR to pki@example.jp"},
          credentials{env.credentials,
                      env.users,
                      token(),
                      [this](const std::string& n) -> pki::CaConnector& { return lookup(n); },
                      [this](const std::string& n, ByteView der, RevocationReason reason) {
                          return revoke_at(n, der, reason);
                      },
                      env.clock} {
        alice = env.add("alice", "山田 太郎");
        bob = env.add("bob", "John Doe");
        carol = env.add("carol", "佐藤　花子");  // ideographic space
    }

    pki::CaConnector& lookup(const std::string& name) {
        if (name.empty() || name == "test-ca") {
            return *ca.connector;
        }
        if (name == "strict-ca") {
            return *strict.connector;
        }
        if (name == "manual") {
            return manual;
        }
        throw Error{Errc::NotFound, "no CA named " + name};
    }

    bool revoke_at(const std::string& name, ByteView der, RevocationReason reason) {
        ++revocations;
        if (name != "test-ca" && name != "strict-ca") {
            return false;
        }
        auto& which = name == "test-ca" ? *ca.ca : *strict.ca;
        which.revoke(pki::Certificate::from_der(der).serial(), reason, env.clock.now());
        return true;
    }

    NewCredential personal(std::string owner, hsm::KeySpec key = hsm::KeySpec::EcP256) {
        NewCredential r;
        r.kind = CredentialKind::Personal;
        r.owner = std::move(owner);
        r.key = key;
        r.pin = secret("1234");
        return r;
    }

    NewCredential seal() {
        NewCredential r;
        r.kind = CredentialKind::Seal;
        r.organization = "株式会社インカン";
        r.organization_identifier = "NTRJP-1234567890123";
        r.description = "請求書の電子社印";
        r.scal = 1;
        r.multisign = 50;
        return r;
    }

    /// Objects on the token whose label starts with "cred-".
    std::size_t credential_keys() {
        const auto objects = token().objects();
        return static_cast<std::size_t>(
            std::count_if(objects.begin(), objects.end(),
                          [](const hsm::ObjectInfo& o) { return o.label.rfind("cred-", 0) == 0; }));
    }

    /// openssl verify of a stored chain (leaf first, root last) against its root.
    inkan::testing::CommandResult verify(const std::vector<Bytes>& chain) {
        inkan::testing::write_file(env.dir / "root.pem", pki::certificates_pem({chain.back()}));
        inkan::testing::write_file(env.dir / "leaf.pem", pki::certificates_pem({chain.front()}));
        std::vector<Bytes> middle(chain.begin() + 1, chain.end() - 1);
        std::vector<std::string> args{"verify", "-CAfile", (env.dir / "root.pem").string()};
        if (!middle.empty()) {
            inkan::testing::write_file(env.dir / "middle.pem", pki::certificates_pem(middle));
            args.insert(args.end(), {"-untrusted", (env.dir / "middle.pem").string()});
        }
        args.push_back((env.dir / "leaf.pem").string());
        return openssl(args);
    }

    ServiceEnv env;
    storage::SqliteCaStore ca_store;
    TestCa ca;
    TestCa strict;
    TestCa external;
    pki::ManualConnector manual;
    Credentials credentials;
    int revocations = 0;
    User alice, bob, carol;
};

TEST_F(CredentialsTest, APersonalEcP256CredentialIsIssuedByTheBuiltInCa) {
    const auto created = credentials.create(personal("alice"));
    const Credential& c = created.credential;
    EXPECT_TRUE(created.csr_pem.empty());
    EXPECT_EQ(c.status, CredentialStatus::Active);
    EXPECT_EQ(c.kind, CredentialKind::Personal);
    EXPECT_EQ(c.owner_user_id, alice.id);
    EXPECT_EQ(c.key_algo, "ec-p256");
    EXPECT_EQ(c.ca, "test-ca");
    EXPECT_EQ(c.profile, "person");
    EXPECT_EQ(c.signature_qualifier, "eu_eidas_aes") << "advanced unless the operator says qualified";
    EXPECT_EQ(c.scal, 2);
    EXPECT_EQ(c.multisign, 1);
    // The id: 16 random bytes, base64url, opaque.
    EXPECT_EQ(c.id.size(), 22U);
    EXPECT_EQ(base64_decode(c.id).size(), 16U);
    EXPECT_EQ(c.id.find_first_of("+/="), std::string::npos);
    EXPECT_NE(c.id.front(), '-') << "an id is a command-line argument: " << c.id;

    ASSERT_EQ(c.chain.size(), 2U);
    const auto leaf = pki::Certificate::from_der(c.chain[0]);
    EXPECT_EQ(leaf.subject(), "CN=山田 太郎,GN=太郎,SN=山田,C=JP");
    EXPECT_TRUE(leaf.public_key().same_key(crypto::PublicKey::from_spki(token().public_key_spki(c.key_id))));
    const auto r = verify(c.chain);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find(": OK"), std::string::npos) << r.out;

    // The key: in the token, labelled cred-<id>, sensitive and never extractable.
    const auto key = token().find(hsm::ObjectClass::PrivateKey, c.key_id);
    ASSERT_TRUE(key.has_value());
    EXPECT_EQ(key->label, "cred-" + c.id);
    EXPECT_EQ(key->sensitive, true);
    EXPECT_EQ(key->extractable, false);

    // Stored, with the owner's PIN hash.
    const auto stored = env.credentials.find(c.id);
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(stored->chain, c.chain);
    const auto pin = env.credentials.pin_hash(c.id, alice.id);
    ASSERT_TRUE(pin.has_value());
    EXPECT_TRUE(verify_password(*pin, secret("1234")));
    EXPECT_FALSE(verify_password(*pin, secret("1235")));
}

TEST_F(CredentialsTest, APersonalRsa2048CredentialTakesGivenNameFirstFromAnAsciiName) {
    auto request = personal("bob", hsm::KeySpec::Rsa2048);
    request.scal = 1;
    request.multisign = 10;
    request.description = "contracts";
    const Credential c = credentials.create(std::move(request)).credential;
    EXPECT_EQ(c.key_algo, "rsa-2048");
    EXPECT_EQ(c.scal, 1);
    EXPECT_EQ(c.multisign, 10);
    EXPECT_EQ(c.description, "contracts");
    const auto leaf = pki::Certificate::from_der(c.chain.at(0));
    EXPECT_EQ(leaf.subject(), "CN=John Doe,GN=John,SN=Doe,C=JP");
    EXPECT_EQ(leaf.public_key().bits(), 2048U);
    const auto r = verify(c.chain);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST_F(CredentialsTest, NamesMayBeGivenExplicitlyAndAnIdeographicSpaceSplits) {
    auto request = personal("carol");
    const Credential c1 = credentials.create(std::move(request)).credential;
    EXPECT_EQ(pki::Certificate::from_der(c1.chain.at(0)).subject(), "CN=佐藤　花子,GN=花子,SN=佐藤,C=JP");

    auto explicit_names = personal("carol");
    explicit_names.common_name = "SATO Hanako";
    explicit_names.given_name = "Hanako";
    explicit_names.surname = "Sato";
    explicit_names.country = "DE";
    const Credential c2 = credentials.create(std::move(explicit_names)).credential;
    EXPECT_EQ(pki::Certificate::from_der(c2.chain.at(0)).subject(), "CN=SATO Hanako,GN=Hanako,SN=Sato,C=DE");
}

TEST_F(CredentialsTest, ASealNamesItsOrganisationAndHasMembersWithTheirOwnPins) {
    const Credential s = credentials.create(seal()).credential;
    EXPECT_EQ(s.signature_qualifier, "eu_eidas_aeseal") << "a seal is an advanced seal by default";
    EXPECT_EQ(s.kind, CredentialKind::Seal);
    EXPECT_EQ(s.owner_user_id, "");
    EXPECT_EQ(s.organization, "株式会社インカン");
    EXPECT_EQ(s.profile, "seal");
    EXPECT_EQ(s.multisign, 50);
    const auto leaf = pki::Certificate::from_der(s.chain.at(0));
    EXPECT_EQ(leaf.subject(),
              "CN=株式会社インカン,organizationIdentifier=NTRJP-1234567890123,O=株式会社インカン,C=JP");
    EXPECT_EQ(verify(s.chain).exit_code, 0);

    EXPECT_TRUE(credentials.members(s.id).empty());
    credentials.add_member(s.id, "alice", secret("alice-seal-pin"));
    credentials.add_member(s.id, "bob", secret("9876"));
    const auto members = credentials.members(s.id);
    ASSERT_EQ(members.size(), 2U);
    EXPECT_EQ(members[0].user_id, alice.id);
    EXPECT_EQ(members[1].user_id, bob.id);
    EXPECT_TRUE(verify_password(*env.credentials.pin_hash(s.id, alice.id), secret("alice-seal-pin")));
    EXPECT_TRUE(verify_password(*env.credentials.pin_hash(s.id, bob.id), secret("9876")));
    EXPECT_FALSE(env.credentials.pin_hash(s.id, carol.id).has_value());

    // Members see it; others do not.
    EXPECT_EQ(credentials.get_for(alice.id, s.id).id, s.id);
    EXPECT_EQ(credentials.list_for(bob.id).size(), 1U);
    EXPECT_EQ(code_of([&] { (void)credentials.get_for(carol.id, s.id); }), Errc::NotFound);
    EXPECT_TRUE(credentials.list_for(carol.id).empty());

    credentials.remove_member(s.id, "bob");
    EXPECT_EQ(code_of([&] { (void)credentials.get_for(bob.id, s.id); }), Errc::NotFound);
    EXPECT_EQ(code_of([&] { credentials.remove_member(s.id, "bob"); }), Errc::NotFound);
    EXPECT_EQ(code_of([&] { credentials.add_member(s.id, "alice", secret("5555")); }), Errc::Conflict);
    EXPECT_EQ(code_of([&] { credentials.add_member(s.id, "nobody", secret("5555")); }), Errc::NotFound);
    EXPECT_EQ(code_of([&] { credentials.add_member(s.id, "carol", secret("123")); }), Errc::InvalidRequest)
        << "a PIN has at least 4 characters";
}

TEST_F(CredentialsTest, OnlySealsHaveMembers) {
    const Credential p = credentials.create(personal("alice")).credential;
    EXPECT_EQ(code_of([&] { credentials.add_member(p.id, "bob", secret("1234")); }), Errc::InvalidRequest);
    EXPECT_EQ(code_of([&] { credentials.remove_member(p.id, "alice"); }), Errc::InvalidRequest);
    EXPECT_TRUE(credentials.members(p.id).empty());
    EXPECT_EQ(code_of([&] { credentials.add_member("no-such-id", "bob", secret("1234")); }), Errc::NotFound);
    EXPECT_EQ(code_of([&] { (void)credentials.members("no-such-id"); }), Errc::NotFound);
}

TEST_F(CredentialsTest, AnotherUsersCredentialLooksExactlyLikeAnUnknownOne) {
    const Credential mine = credentials.create(personal("alice")).credential;
    EXPECT_EQ(credentials.get_for(alice.id, mine.id).id, mine.id);
    std::string foreign;
    std::string unknown;
    EXPECT_EQ(code_of([&] { (void)credentials.get_for(bob.id, mine.id); }, &foreign), Errc::NotFound);
    EXPECT_EQ(code_of([&] { (void)credentials.get_for(bob.id, "AAAAAAAAAAAAAAAAAAAAAA"); }, &unknown),
              Errc::NotFound);
    EXPECT_EQ(foreign.find("alice"), std::string::npos);
    EXPECT_TRUE(credentials.list_for(bob.id).empty());
    EXPECT_EQ(credentials.list_for(alice.id).size(), 1U);
    EXPECT_EQ(credentials.list().size(), 1U);
    EXPECT_EQ(code_of([&] { (void)credentials.get("AAAAAAAAAAAAAAAAAAAAAA"); }), Errc::NotFound);
}

TEST_F(CredentialsTest, BadRequestsAreRefusedBeforeTheHsmIsTouched) {
    const std::size_t keys = credential_keys();
    auto expect = [&](NewCredential r, Errc code, const char* what) {
        EXPECT_EQ(code_of([&] { credentials.create(std::move(r)); }), code) << what;
    };
    auto r = personal("alice");
    r.scal = 3;
    expect(std::move(r), Errc::InvalidRequest, "SCAL 3");
    r = personal("alice");
    r.multisign = 0;
    expect(std::move(r), Errc::InvalidRequest, "multisign 0");
    r = personal("alice");
    r.pin = secret("123");
    expect(std::move(r), Errc::InvalidRequest, "short PIN");
    r = personal("alice");
    r.pin = Secret{};
    expect(std::move(r), Errc::InvalidRequest, "no PIN");
    expect(personal("nobody"), Errc::NotFound, "unknown owner");
    expect(personal(""), Errc::InvalidRequest, "no owner");
    r = personal("alice");
    r.ca = "no-such-ca";
    expect(std::move(r), Errc::NotFound, "unknown CA");
    r = personal("alice");
    r.country = "Japan";
    expect(std::move(r), Errc::InvalidRequest, "country not two letters");
    r = personal("alice");
    r.description = "line\nbreak";
    expect(std::move(r), Errc::InvalidRequest, "control character in description");
    env.add("mononym", "Madonna");
    expect(personal("mononym"), Errc::InvalidRequest, "no given name / surname to be had");
    auto s = seal();
    s.organization.clear();
    expect(std::move(s), Errc::InvalidRequest, "seal without organisation");
    s = seal();
    s.organization_identifier = "1234567890123";
    expect(std::move(s), Errc::InvalidRequest, "organisation identifier without semantics");
    s = seal();
    s.pin = secret("1234");
    expect(std::move(s), Errc::InvalidRequest, "a seal PIN");
    r = personal("alice");
    r.signature_qualifier = "eu_eidas_best";
    expect(std::move(r), Errc::InvalidRequest, "a signature qualifier CSC does not list");
    EXPECT_EQ(credential_keys(), keys);
    EXPECT_TRUE(credentials.list().empty());
}

TEST_F(CredentialsTest, AFailedEnrolmentLeavesNoKeyAndNoRow) {
    const auto objects_before = token().objects().size();
    const std::size_t keys_before = credential_keys();
    auto r = personal("alice");
    r.ca = "strict-ca";  // its person profile takes RSA keys only: the CA refuses the EC key
    std::string message;
    EXPECT_EQ(code_of([&] { credentials.create(std::move(r)); }, &message), Errc::InvalidRequest);
    EXPECT_NE(message.find("EC"), std::string::npos) << message;
    EXPECT_EQ(token().objects().size(), objects_before);
    EXPECT_EQ(credential_keys(), keys_before);
    EXPECT_TRUE(credentials.list().empty());
    EXPECT_TRUE(ca_store.list("strict-ca").empty());
    // RSA passes the same CA.
    auto rsa = personal("alice", hsm::KeySpec::Rsa2048);
    rsa.ca = "strict-ca";
    EXPECT_EQ(credentials.create(std::move(rsa)).credential.status, CredentialStatus::Active);
}

TEST_F(CredentialsTest, RevokingRevokesTheCertificateAtTheCaAndDestroysTheKey) {
    const Credential c = credentials.create(personal("alice")).credential;
    const auto leaf = pki::Certificate::from_der(c.chain.at(0));
    credentials.revoke(c.id, RevocationReason::KeyCompromise);

    EXPECT_EQ(credentials.get(c.id).status, CredentialStatus::Disabled);
    const auto issued = ca_store.find("test-ca", leaf.serial());
    ASSERT_TRUE(issued.has_value());
    ASSERT_TRUE(issued->revoked_at.has_value());
    EXPECT_EQ(issued->reason, RevocationReason::KeyCompromise);
    EXPECT_FALSE(token().find(hsm::ObjectClass::PrivateKey, c.key_id).has_value());
    EXPECT_FALSE(token().find(hsm::ObjectClass::PublicKey, c.key_id).has_value());

    // The CA's CRL, read by openssl, lists the serial.
    inkan::testing::write_file(env.dir / "ca.crl", ca.ca->crl());
    const auto crl =
        openssl({"crl", "-inform", "DER", "-in", (env.dir / "ca.crl").string(), "-noout", "-text"});
    ASSERT_EQ(crl.exit_code, 0) << crl.err;
    EXPECT_NE(crl.out.find("Serial Number: " + leaf.serial_hex()), std::string::npos) << crl.out;
    EXPECT_NE(crl.out.find("Key Compromise"), std::string::npos) << crl.out;

    EXPECT_EQ(code_of([&] { credentials.revoke(c.id, RevocationReason::Unspecified); }), Errc::Conflict);
    EXPECT_EQ(code_of([&] { credentials.revoke("nope", RevocationReason::Unspecified); }), Errc::NotFound);
    // Still listed, as disabled (the API reports key status "disabled").
    EXPECT_EQ(credentials.list_for(alice.id).at(0).status, CredentialStatus::Disabled);
}

TEST_F(CredentialsTest, ARenewalMakesANewKeyAndCertificateUnderANewIdAndKeepsTheOldOnes) {
    const Credential old = credentials.create(personal("alice")).credential;
    const Credential renewed = credentials.renew(old.id, hsm::KeySpec::Rsa2048);
    EXPECT_NE(renewed.id, old.id);
    EXPECT_EQ(renewed.renewal_of, old.id);
    EXPECT_EQ(renewed.key_algo, "rsa-2048");
    EXPECT_NE(hex_encode(renewed.key_id), hex_encode(old.key_id));
    const auto old_leaf = pki::Certificate::from_der(old.chain.at(0));
    const auto new_leaf = pki::Certificate::from_der(renewed.chain.at(0));
    EXPECT_EQ(new_leaf.subject(), old_leaf.subject());
    EXPECT_TRUE(new_leaf.public_key().same_key(
        crypto::PublicKey::from_spki(token().public_key_spki(renewed.key_id))));
    const auto chain_ok = verify(renewed.chain);
    EXPECT_EQ(chain_ok.exit_code, 0) << chain_ok.out << chain_ok.err;

    // The old credential: disabled, linked, its key still in the HSM and its certificate not revoked.
    const Credential after = credentials.get(old.id);
    EXPECT_EQ(after.status, CredentialStatus::Disabled);
    EXPECT_EQ(after.renewed_to, renewed.id);
    EXPECT_TRUE(token().find(hsm::ObjectClass::PrivateKey, old.key_id).has_value());
    const auto issued = ca_store.find("test-ca", old_leaf.serial());
    ASSERT_TRUE(issued.has_value());
    EXPECT_FALSE(issued->revoked_at.has_value());
    EXPECT_EQ(revocations, 0);
    // The owner sees both; the new one with the same PIN.
    EXPECT_EQ(credentials.list_for(alice.id).size(), 2U);
    EXPECT_EQ(env.credentials.pin_hash(renewed.id, alice.id), env.credentials.pin_hash(old.id, alice.id));
    // Once only, and only an active credential.
    EXPECT_EQ(code_of([&] { (void)credentials.renew(old.id); }), Errc::Conflict);
    EXPECT_EQ(code_of([&] { (void)credentials.renew("nope"); }), Errc::NotFound);
}

TEST_F(CredentialsTest, AFailedRenewalLeavesNoNewKeyAndTheOldCredentialActive) {
    auto r = personal("alice", hsm::KeySpec::Rsa2048);
    r.ca = "strict-ca";  // RSA only
    const Credential old = credentials.create(std::move(r)).credential;
    const std::size_t keys_before = credential_keys();
    std::string message;
    EXPECT_EQ(code_of([&] { (void)credentials.renew(old.id, hsm::KeySpec::EcP256); }, &message),
              Errc::InvalidRequest);
    EXPECT_NE(message.find("EC"), std::string::npos) << message;
    EXPECT_EQ(credential_keys(), keys_before) << "the renewal's key was left in the HSM";
    EXPECT_EQ(credentials.get(old.id).status, CredentialStatus::Active);
    EXPECT_EQ(credentials.get(old.id).renewed_to, "");
    EXPECT_EQ(credentials.list().size(), 1U);
}

TEST_F(CredentialsTest, ARevokedSealTakesNoNewMembers) {
    const Credential s = credentials.create(seal()).credential;
    credentials.revoke(s.id, RevocationReason::CessationOfOperation);
    EXPECT_EQ(code_of([&] { credentials.add_member(s.id, "alice", secret("1234")); }), Errc::Conflict);
}

TEST_F(CredentialsTest, AManualCaLeavesThePendingCredentialForAnImportedCertificate) {
    auto request = personal("alice");
    request.ca = "manual";
    const auto created = credentials.create(std::move(request));
    const Credential& c = created.credential;
    EXPECT_EQ(c.status, CredentialStatus::Pending);
    EXPECT_EQ(c.ca, "manual");
    EXPECT_TRUE(c.chain.empty());
    ASSERT_NE(created.csr_pem.find("-----BEGIN CERTIFICATE REQUEST-----"), std::string::npos);
    inkan::testing::write_file(env.dir / "req.pem", created.csr_pem);
    const auto req = openssl({"req", "-in", (env.dir / "req.pem").string(), "-verify", "-noout", "-subject",
                              "-nameopt", "utf8,sep_comma_plus"});
    EXPECT_EQ(req.exit_code, 0) << req.err;
    EXPECT_NE(req.out.find("CN=山田 太郎"), std::string::npos) << req.out;
    EXPECT_TRUE(token().find(hsm::ObjectClass::PrivateKey, c.key_id).has_value());
    EXPECT_EQ(code_of([&] { credentials.add_member(c.id, "bob", secret("1234")); }), Errc::InvalidRequest);

    // The external CA issues it; the operator imports it.
    const pki::Certificate cert = external.ca->issue(pki::Csr::from_pem(created.csr_pem), "person");
    const Credential active = credentials.import_certificate(c.id, cert.pem(), external.root_der());
    EXPECT_EQ(active.status, CredentialStatus::Active);
    ASSERT_EQ(active.chain.size(), 2U);
    EXPECT_EQ(active.chain[0], cert.der());
    EXPECT_EQ(active.chain[1], external.root_der());
    EXPECT_EQ(credentials.get(c.id).chain, active.chain);
    EXPECT_EQ(verify(active.chain).exit_code, 0);
    EXPECT_EQ(code_of([&] { credentials.import_certificate(c.id, cert.pem(), external.root_der()); }),
              Errc::Conflict)
        << "only a pending credential takes a certificate";

    // Revoking it: no built-in CA to tell; still disabled and the key destroyed.
    const int before = revocations;
    credentials.revoke(c.id, RevocationReason::Superseded);
    EXPECT_EQ(revocations, before + 1);
    EXPECT_EQ(credentials.get(c.id).status, CredentialStatus::Disabled);
    EXPECT_FALSE(token().find(hsm::ObjectClass::PrivateKey, c.key_id).has_value());
}

TEST_F(CredentialsTest, ImportRefusesAnotherKeyAndAnUntrustedChain) {
    auto first = personal("alice");
    first.ca = "manual";
    const auto a = credentials.create(std::move(first));
    auto second = personal("alice");
    second.ca = "manual";
    const auto b = credentials.create(std::move(second));

    const pki::Certificate for_b = external.ca->issue(pki::Csr::from_pem(b.csr_pem), "person");
    std::string message;
    EXPECT_EQ(
        code_of([&] { credentials.import_certificate(a.credential.id, for_b.pem(), external.root_der()); },
                &message),
        Errc::InvalidRequest);
    EXPECT_EQ(credentials.get(a.credential.id).status, CredentialStatus::Pending);

    const pki::Certificate for_a = external.ca->issue(pki::Csr::from_pem(a.csr_pem), "person");
    EXPECT_EQ(code_of([&] { credentials.import_certificate(a.credential.id, for_a.pem(), ca.root_der()); }),
              Errc::InvalidRequest)
        << "chains to another root";
    EXPECT_EQ(
        code_of([&] { credentials.import_certificate(a.credential.id, "not pem", external.root_der()); }),
        Errc::InvalidEncoding);
    EXPECT_EQ(credentials.get(a.credential.id).status, CredentialStatus::Pending);
    EXPECT_EQ(credentials.import_certificate(a.credential.id, for_a.pem(), external.root_der()).status,
              CredentialStatus::Active);
}

TEST_F(CredentialsTest, ARevokedPendingCredentialLosesItsKey) {
    auto request = personal("alice");
    request.ca = "manual";
    const Credential c = credentials.create(std::move(request)).credential;
    const int before = revocations;
    credentials.revoke(c.id, RevocationReason::Unspecified);
    EXPECT_EQ(revocations, before) << "no certificate to revoke";
    EXPECT_EQ(credentials.get(c.id).status, CredentialStatus::Disabled);
    EXPECT_FALSE(token().find(hsm::ObjectClass::PrivateKey, c.key_id).has_value());
    EXPECT_EQ(code_of([&] { credentials.import_certificate(c.id, "x", external.root_der()); }),
              Errc::Conflict);
}

}  // namespace
}  // namespace inkan::service
