// The built-in CA end to end: CA keys in a SoftHSM token (HsmSigner), state in the SQLite CaStore,
// every certificate, CRL and OCSP response judged by the openssl CLI.

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include <inkan/core/clock.h>
#include <inkan/core/encoding.h>
#include <inkan/crypto/der.h>
#include <inkan/hsm/token.h>
#include <inkan/pki/ca.h>
#include <inkan/pki/connectors.h>
#include <inkan/pki/csr.h>
#include <inkan/sign/hsm_signer.h>
#include <inkan/storage/sqlite_ca_store.h>
#include <inkan/testing/process.h>
#include <inkan/testing/softhsm.h>

#include "test_helpers.h"

namespace {

using inkan::Bytes;
using inkan::ByteView;
using inkan::Errc;
using inkan::crypto::DigestAlgorithm;
using inkan::crypto::SignatureAlgorithm;
using inkan::hsm::KeySpec;
using inkan::pki::BuiltinCa;
using inkan::pki::Certificate;
using inkan::pki::IssueOptions;
using inkan::pki::Name;
using inkan::pki::RevocationReason;
using inkan::pki::testing::error_of;
using inkan::pki::testing::openssl;
using inkan::pki::testing::write_der;
using inkan::pki::testing::write_pem;
using inkan::sign::HsmSigner;
using inkan::testing::TempDir;

constexpr std::string_view kPkiBase = "http://127.0.0.1:8080";

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

inkan::hsm::Token& token() {
    static inkan::hsm::Token t{inkan::testing::SoftHsm::instance().make_token("pki")};
    return t;
}

std::unique_ptr<HsmSigner> hsm_signer(KeySpec spec, std::string_view label) {
    return std::make_unique<HsmSigner>(token(), token().generate_key_pair(spec, label));
}

/// The profiles with qualified person and seal certificates (QCStatements on).
inkan::pki::ProfileSet qualified_profiles() {
    auto profiles = inkan::pki::ProfileSet::defaults();
    for (const char* name : {"person", "seal"}) {
        auto p = profiles.get(name);
        p.qualified = true;
        p.qc_sscd = true;
        p.policies = {"0.4.0.194112.1.2"};
        profiles.set(p);
    }
    return profiles;
}

/// A root CA and an issuing CA with keys in the HSM, the store in SQLite, and the PEM files the openssl
/// CLI needs.
struct TestPki {
    explicit TestPki(KeySpec ca_spec, std::optional<SignatureAlgorithm> alg = std::nullopt)
        : clock{std::chrono::system_clock::now()}, store{dir / "ca.db"} {
        root_signer = hsm_signer(ca_spec, "root");
        issuing_signer = hsm_signer(ca_spec, "issuing");
        inkan::pki::CaSettings root_settings{"test-root", std::string{kPkiBase}, alg};
        const Certificate root_cert = inkan::pki::create_root(
            root_settings, *root_signer,
            Name{}.country("JP").organization("inkan").common_name("inkan Test Root CA"), 3650, store, clock);
        root_ca =
            std::make_unique<BuiltinCa>(root_settings, *root_signer, std::vector<Bytes>{root_cert.der()},
                                        store, qualified_profiles(), clock);
        const auto csr = inkan::pki::create_csr(
            Name{}.country("JP").organization("inkan").common_name("inkan Test Issuing CA"), *issuing_signer);
        const Certificate issuing_cert = root_ca->issue_ca(csr);
        inkan::pki::CaSettings settings{"test-issuing", std::string{kPkiBase}, alg};
        ca = std::make_unique<BuiltinCa>(settings, *issuing_signer,
                                         std::vector<Bytes>{issuing_cert.der(), root_cert.der()}, store,
                                         qualified_profiles(), clock);
        root_pem = write_pem(dir / "root.pem", {root_cert.der()});
        issuing_pem = write_pem(dir / "issuing.pem", {issuing_cert.der()});
        chain_pem = write_pem(dir / "issuing-chain.pem", {issuing_cert.der(), root_cert.der()});
    }

    [[nodiscard]] const Certificate& root() const { return root_ca->certificate(); }
    [[nodiscard]] const Certificate& issuing() const { return ca->certificate(); }

    TempDir dir;
    inkan::ManualClock clock;
    inkan::storage::SqliteCaStore store;
    std::unique_ptr<HsmSigner> root_signer;
    std::unique_ptr<HsmSigner> issuing_signer;
    std::unique_ptr<BuiltinCa> root_ca;
    std::unique_ptr<BuiltinCa> ca;
    std::string root_pem;
    std::string issuing_pem;
    std::string chain_pem;
};

Name subject_for(std::string_view profile) {
    if (profile == "person") {
        return Name{}.country("JP").surname("山田").given_name("太郎").common_name("山田 太郎");
    }
    if (profile == "seal") {
        return Name{}
            .country("JP")
            .organization("株式会社インカン")
            .organization_identifier("NTRJP-1234567890123")
            .common_name("インカン請求書シール");
    }
    if (profile == "tsa") {
        return Name{}.country("JP").organization("inkan").common_name("inkan TSA");
    }
    if (profile == "ocsp") {
        return Name{}.country("JP").organization("inkan").common_name("inkan OCSP Responder");
    }
    return Name{}.common_name("localhost");
}

struct Issued {
    Certificate cert;
    std::unique_ptr<HsmSigner> signer;
};

/// A key in the HSM, its CSR signed through the HSM, and a certificate for it under `profile`.
Issued issue(BuiltinCa& ca, const std::string& profile, KeySpec spec = KeySpec::EcP256) {
    auto signer = hsm_signer(spec, profile);
    inkan::pki::CsrOptions csr_options;
    if (profile == "tls") {
        csr_options.dns_names = {"localhost"};
        csr_options.ip_addresses = {"127.0.0.1"};
    }
    const auto csr = inkan::pki::create_csr(subject_for(profile), *signer, csr_options);
    Certificate cert = ca.issue(csr, profile);
    return Issued{std::move(cert), std::move(signer)};
}

struct ChainCase {
    const char* name;
    KeySpec spec;
    std::optional<SignatureAlgorithm> alg;
};

class PkiCaChain : public ::testing::TestWithParam<ChainCase> {};

}  // namespace

// ---- chains: every profile under every CA key type ---------------------------------------------

TEST_P(PkiCaChain, EveryProfileVerifiesWithOpensslAgainstRootAndIssuing) {
    TestPki pki{GetParam().spec, GetParam().alg};
    EXPECT_TRUE(pki.root().is_ca());
    EXPECT_EQ(pki.issuing().issuer_der(), pki.root().subject_der());
    EXPECT_TRUE(pki.issuing().signed_by(pki.root_signer->public_key()));

    for (const std::string profile : {"person", "seal", "tsa", "ocsp", "tls"}) {
        const Issued ee = issue(*pki.ca, profile);
        const std::string ee_pem = write_pem(pki.dir / (profile + ".pem"), {ee.cert.der()});
        const auto r = openssl({"verify", "-CAfile", pki.root_pem, "-untrusted", pki.issuing_pem, ee_pem});
        EXPECT_EQ(r.exit_code, 0) << profile << ": " << r.out << r.err;
        EXPECT_EQ(r.out, ee_pem + ": OK\n") << profile << ": " << r.err;

        const std::string text = inkan::pki::testing::x509_text(pki.dir, ee.cert);
        if (GetParam().alg && GetParam().alg->padding == inkan::crypto::Padding::Pss) {
            EXPECT_TRUE(contains(text, "Signature Algorithm: rsassaPss")) << text;
        }
    }
    // The purpose checks openssl applies to these uses (EKU and key usage).
    const Issued tsa = issue(*pki.ca, "tsa");
    const auto ts = openssl({"verify", "-purpose", "timestampsign", "-CAfile", pki.root_pem, "-untrusted",
                             pki.issuing_pem, write_pem(pki.dir / "tsa.pem", {tsa.cert.der()})});
    EXPECT_EQ(ts.exit_code, 0) << ts.out << ts.err;
    const Issued tls = issue(*pki.ca, "tls");
    const auto server = openssl({"verify", "-purpose", "sslserver", "-verify_ip", "127.0.0.1",
                                 "-verify_hostname", "localhost", "-CAfile", pki.root_pem, "-untrusted",
                                 pki.issuing_pem, write_pem(pki.dir / "tls.pem", {tls.cert.der()})});
    EXPECT_EQ(server.exit_code, 0) << server.out << server.err;
}

INSTANTIATE_TEST_SUITE_P(CaKeys, PkiCaChain,
                         ::testing::Values(ChainCase{"EcP256", KeySpec::EcP256, std::nullopt},
                                           ChainCase{"EcP384", KeySpec::EcP384, std::nullopt},
                                           ChainCase{"Rsa2048", KeySpec::Rsa2048, std::nullopt},
                                           ChainCase{"Rsa3072", KeySpec::Rsa3072, std::nullopt},
                                           ChainCase{"Rsa2048Pss", KeySpec::Rsa2048,
                                                     SignatureAlgorithm::rsa_pss(DigestAlgorithm::Sha256)},
                                           ChainCase{"Rsa3072PssSha384", KeySpec::Rsa3072,
                                                     SignatureAlgorithm::rsa_pss(DigestAlgorithm::Sha384)}),
                         [](const ::testing::TestParamInfo<ChainCase>& p) {
                             return std::string{p.param.name};
                         });

// ---- profile contents, as openssl prints them --------------------------------------------------

TEST(PkiCaProfiles, ExtensionsAsOpensslPrintsThem) {
    TestPki pki{KeySpec::EcP256};
    const std::string aia_ca = "CA Issuers - URI:http://127.0.0.1:8080/ca/test-issuing.crt";
    const std::string aia_ocsp = "OCSP - URI:http://127.0.0.1:8080/ocsp";
    const std::string cdp = "URI:http://127.0.0.1:8080/crl/test-issuing.crl";

    const std::string person = inkan::pki::testing::x509_text(pki.dir, issue(*pki.ca, "person").cert);
    EXPECT_TRUE(
        contains(person, "X509v3 Key Usage: critical\n                Digital Signature, Non Repudiation"))
        << person;
    EXPECT_TRUE(contains(person, "Subject: C=JP,SN=山田,GN=太郎,CN=山田 太郎")) << person;
    EXPECT_TRUE(contains(person, "qcStatements")) << person;
    const std::string person_qc =
        inkan::pki::testing::qc_statements_asn1(pki.dir, issue(*pki.ca, "person").cert);
    EXPECT_TRUE(contains(person_qc, ":0.4.0.1862.1.1\n")) << person_qc;    // QcCompliance
    EXPECT_TRUE(contains(person_qc, ":0.4.0.1862.1.4\n")) << person_qc;    // QcSSCD
    EXPECT_TRUE(contains(person_qc, ":0.4.0.1862.1.6.1\n")) << person_qc;  // QcType esign
    EXPECT_TRUE(contains(person, "Policy: 0.4.0.194112.1.2")) << person;
    EXPECT_FALSE(contains(person, "Extended Key Usage")) << person;
    for (const std::string& url : {aia_ca, aia_ocsp, cdp}) {
        EXPECT_TRUE(contains(person, url)) << url << "\n" << person;
    }

    const std::string seal = inkan::pki::testing::x509_text(pki.dir, issue(*pki.ca, "seal").cert);
    EXPECT_TRUE(contains(seal, "organizationIdentifier=NTRJP-1234567890123")) << seal;
    EXPECT_TRUE(contains(seal, "O=株式会社インカン")) << seal;
    EXPECT_TRUE(contains(seal, "qcStatements")) << seal;
    const std::string seal_qc = inkan::pki::testing::qc_statements_asn1(pki.dir, issue(*pki.ca, "seal").cert);
    EXPECT_TRUE(contains(seal_qc, ":0.4.0.1862.1.6.2\n")) << seal_qc;  // QcType eseal
    EXPECT_TRUE(inkan::pki::testing::qc_statements_asn1(pki.dir, issue(*pki.ca, "tsa").cert).empty());
    EXPECT_TRUE(
        contains(seal, "X509v3 Key Usage: critical\n                Digital Signature, Non Repudiation"))
        << seal;

    const std::string tsa = inkan::pki::testing::x509_text(pki.dir, issue(*pki.ca, "tsa").cert);
    EXPECT_TRUE(contains(tsa, "X509v3 Extended Key Usage: critical\n                Time Stamping\n")) << tsa;
    EXPECT_TRUE(contains(tsa, "X509v3 Key Usage: critical\n                Digital Signature\n")) << tsa;

    const std::string ocsp = inkan::pki::testing::x509_text(pki.dir, issue(*pki.ca, "ocsp").cert);
    EXPECT_TRUE(contains(ocsp, "X509v3 Extended Key Usage: critical\n                OCSP Signing\n"))
        << ocsp;
    EXPECT_TRUE(contains(ocsp, "OCSP No Check")) << ocsp;

    const std::string tls = inkan::pki::testing::x509_text(pki.dir, issue(*pki.ca, "tls").cert);
    EXPECT_TRUE(contains(tls, "DNS:localhost, IP Address:127.0.0.1")) << tls;
    EXPECT_TRUE(contains(tls, "X509v3 Extended Key Usage: \n                TLS Web Server Authentication"))
        << tls;
    EXPECT_TRUE(contains(tls, "X509v3 Key Usage: critical\n                Digital Signature\n")) << tls;
    const std::string tls_rsa =
        inkan::pki::testing::x509_text(pki.dir, issue(*pki.ca, "tls", KeySpec::Rsa2048).cert);
    EXPECT_TRUE(contains(tls_rsa, "Digital Signature, Key Encipherment")) << tls_rsa;

    const std::string root = inkan::pki::testing::x509_text(pki.dir, pki.root());
    EXPECT_TRUE(contains(root, "X509v3 Basic Constraints: critical\n                CA:TRUE\n")) << root;
    EXPECT_TRUE(contains(root, "Certificate Sign, CRL Sign")) << root;
    const std::string issuing = inkan::pki::testing::x509_text(pki.dir, pki.issuing());
    EXPECT_TRUE(contains(issuing, "X509v3 Basic Constraints: critical\n                CA:TRUE, pathlen:0"))
        << issuing;
    EXPECT_TRUE(contains(issuing, "CA Issuers - URI:http://127.0.0.1:8080/ca/test-root.crt")) << issuing;
    EXPECT_TRUE(contains(issuing, "URI:http://127.0.0.1:8080/crl/test-root.crl")) << issuing;
    EXPECT_EQ(pki.issuing().authority_key_identifier(), pki.root().subject_key_identifier());
}

TEST(PkiCaProfiles, EveryIssuedCertificateIsRecordedWithItsProfile) {
    TestPki pki{KeySpec::EcP256};
    const Issued tsa = issue(*pki.ca, "tsa");
    const auto recorded = pki.store.find("test-issuing", tsa.cert.serial());
    ASSERT_TRUE(recorded.has_value());
    EXPECT_EQ(recorded->der, tsa.cert.der());
    EXPECT_EQ(recorded->profile, "tsa");
    EXPECT_EQ(recorded->subject, "CN=inkan TSA,O=inkan,C=JP");
    EXPECT_EQ(recorded->not_after, tsa.cert.not_after());
    const auto root_list = pki.store.list("test-root");
    ASSERT_EQ(root_list.size(), 2U);  // the root itself and the issuing CA
    EXPECT_EQ(root_list[0].der, pki.root().der());
    EXPECT_EQ(root_list[1].der, pki.issuing().der());
}

TEST(PkiCaProfiles, NotAfterIsCappedAtTheCaCertificate) {
    TestPki pki{KeySpec::EcP256};
    auto signer = hsm_signer(KeySpec::EcP256, "long");
    IssueOptions options;
    options.validity_days = 20000;  // 55 years, beyond the issuing CA's ten
    const Certificate cert =
        pki.ca->issue(inkan::pki::create_csr(subject_for("tsa"), *signer), "tsa", options);
    EXPECT_EQ(cert.not_after(), pki.issuing().not_after());
}

// ---- what the CA refuses ---------------------------------------------------------------------

TEST(PkiCaRefusals, AWeakKeyCsrFromOpensslIsRefused) {
    TestPki pki{KeySpec::EcP256};
    const auto r =
        openssl({"req", "-new", "-newkey", "rsa:1024", "-nodes", "-keyout", (pki.dir / "weak.key").string(),
                 "-out", (pki.dir / "weak.csr").string(), "-subj", "/C=JP/SN=Yamada/GN=Taro/CN=Taro Yamada"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto csr =
        inkan::pki::Csr::from_pem(inkan::to_string(inkan::testing::read_file(pki.dir / "weak.csr")));
    const std::string message = inkan::pki::testing::message_of([&] { (void)pki.ca->issue(csr, "person"); });
    EXPECT_TRUE(contains(message, "RSA-1024")) << message;
    EXPECT_EQ(error_of([&] { (void)pki.ca->issue(csr, "person"); }), Errc::InvalidRequest);
    EXPECT_TRUE(pki.store.list("test-issuing").empty());
}

TEST(PkiCaRefusals, DisallowedCurveBrokenCsrMissingSubjectAndUnknownProfile) {
    TestPki pki{KeySpec::EcP256};
    auto p521 = hsm_signer(KeySpec::EcP521, "p521");
    // A profile that only takes P-384.
    auto profiles = inkan::pki::ProfileSet::defaults();
    auto strict = profiles.get("tsa");
    strict.name = "tsa-p384";
    strict.key_policy.allow_rsa = false;
    strict.key_policy.curves = {inkan::crypto::Curve::P384};
    profiles.set(strict);
    BuiltinCa ca{pki.ca->settings(), *pki.issuing_signer, pki.ca->chain(), pki.store, profiles, pki.clock};
    EXPECT_EQ(
        error_of([&] { (void)ca.issue(inkan::pki::create_csr(subject_for("tsa"), *p521), "tsa-p384"); }),
        Errc::InvalidRequest);

    auto signer = hsm_signer(KeySpec::EcP256, "refusals");
    Bytes der = inkan::pki::create_csr(subject_for("tsa"), *signer).der();
    der[der.size() - 3] ^= 0x01;  // inside the signature
    const auto broken = inkan::pki::Csr::from_der(der);
    EXPECT_EQ(error_of([&] { (void)pki.ca->issue(broken, "tsa"); }), Errc::InvalidRequest);

    EXPECT_EQ(error_of([&] {
                  (void)pki.ca->issue(
                      inkan::pki::create_csr(Name{}.country("JP").common_name("no given name"), *signer),
                      "person");
              }),
              Errc::InvalidRequest);
    EXPECT_EQ(error_of([&] {
                  const auto seal_without_id = Name{}.country("JP").organization("x").common_name("seal");
                  (void)pki.ca->issue(inkan::pki::create_csr(seal_without_id, *signer), "seal");
              }),
              Errc::InvalidRequest);
    EXPECT_EQ(error_of([&] {
                  (void)pki.ca->issue(inkan::pki::create_csr(Name{}.common_name("x"), *signer), "tls");
              }),
              Errc::InvalidRequest);  // no SAN at all
    EXPECT_EQ(error_of([&] {
                  (void)pki.ca->issue(inkan::pki::create_csr(subject_for("tsa"), *signer), "nonesuch");
              }),
              Errc::InvalidRequest);
    // The issuing CA has pathLenConstraint 0.
    EXPECT_EQ(error_of([&] { (void)pki.ca->issue_ca(inkan::pki::create_csr(subject_for("tsa"), *signer)); }),
              Errc::InvalidRequest);
}

TEST(PkiCaRefusals, ACaWhoseSignerIsNotItsCertificatesKeyIsAConfigurationError) {
    TestPki pki{KeySpec::EcP256};
    EXPECT_EQ(error_of([&] {
                  BuiltinCa wrong{pki.ca->settings(), *pki.root_signer,   pki.ca->chain(),
                                  pki.store,          pki.ca->profiles(), pki.clock};
              }),
              Errc::InvalidConfig);
    const Issued tsa = issue(*pki.ca, "tsa");
    EXPECT_EQ(error_of([&] {
                  BuiltinCa not_a_ca{pki.ca->settings(), *tsa.signer,        {tsa.cert.der()},
                                     pki.store,          pki.ca->profiles(), pki.clock};
              }),
              Errc::InvalidConfig);
}

// ---- the HSM keeps CA keys -------------------------------------------------------------------

TEST(PkiCaKeys, CaKeysInTheHsmAreSensitiveAndNeverExtractable) {
    TestPki pki{KeySpec::EcP384};
    for (const HsmSigner* signer : {pki.root_signer.get(), pki.issuing_signer.get()}) {
        const auto info = token().find(inkan::hsm::ObjectClass::PrivateKey, signer->key_id());
        ASSERT_TRUE(info.has_value());
        EXPECT_EQ(info->sensitive, true);
        EXPECT_EQ(info->extractable, false);
        EXPECT_EQ(info->always_sensitive, true);
        EXPECT_EQ(info->never_extractable, true);
    }
}

TEST(PkiCaKeys, ACsrSignedThroughTheHsmVerifiesWithOpenssl) {
    TempDir dir;
    for (const KeySpec spec : {KeySpec::EcP256, KeySpec::Rsa2048}) {
        auto signer = hsm_signer(spec, "csr");
        inkan::pki::CsrOptions options;
        options.dns_names = {"localhost"};
        const auto csr = inkan::pki::create_csr(subject_for("person"), *signer, options);
        inkan::testing::write_file(dir / "csr.pem", csr.pem());
        const auto r = openssl({"req", "-verify", "-in", (dir / "csr.pem").string(), "-noout"});
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        EXPECT_TRUE(contains(r.out + r.err, "verify OK")) << r.out << r.err;
        const auto subject = openssl(
            {"req", "-in", (dir / "csr.pem").string(), "-noout", "-subject", "-nameopt", "utf8,-esc_msb"});
        EXPECT_TRUE(contains(subject.out, "CN=山田 太郎")) << subject.out;
    }
}

// ---- serials ---------------------------------------------------------------------------------

TEST(PkiCaSerials, AThousandCertificatesHaveUniquePositiveLongSerials) {
    TestPki pki{KeySpec::EcP256};
    auto signer = hsm_signer(KeySpec::EcP256, "serials");
    const auto csr = inkan::pki::create_csr(subject_for("tsa"), *signer);
    std::set<Bytes> serials;
    for (int i = 0; i < 1000; ++i) {
        const Certificate cert = pki.ca->issue(csr, "tsa");
        const Bytes serial = cert.serial();
        EXPECT_GE(serial.size(), 8U);
        EXPECT_LT(serial[0], 0x80);  // positive without a sign octet
        EXPECT_NE(serial[0], 0x00);
        EXPECT_TRUE(serials.insert(serial).second) << cert.serial_hex();
    }
    EXPECT_EQ(pki.store.list("test-issuing").size(), 1000U);
}

// ---- CRL -------------------------------------------------------------------------------------

TEST(PkiCaCrl, VerifiesListsRevokedSerialsWithReasonsAndNumbersIncrease) {
    TestPki pki{KeySpec::Rsa2048, SignatureAlgorithm::rsa_pss(DigestAlgorithm::Sha256)};
    const std::string crl_file = (pki.dir / "crl.der").string();

    // An empty CRL first: no revokedCertificates at all (RFC 5280 §5.1.2.6).
    write_der(pki.dir / "crl.der", pki.ca->crl());
    auto verify =
        openssl({"crl", "-in", crl_file, "-inform", "DER", "-CAfile", pki.chain_pem, "-noout", "-verify"});
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    EXPECT_TRUE(contains(verify.out + verify.err, "verify OK")) << verify.out << verify.err;
    auto text = openssl({"crl", "-in", crl_file, "-inform", "DER", "-noout", "-text"});
    EXPECT_TRUE(contains(text.out, "X509v3 CRL Number: \n                1\n")) << text.out;
    EXPECT_TRUE(contains(text.out, "No Revoked Certificates.")) << text.out;

    const Issued compromised = issue(*pki.ca, "person");
    const Issued retired = issue(*pki.ca, "seal");
    const Issued held = issue(*pki.ca, "tsa");
    const Issued fine = issue(*pki.ca, "tls");
    pki.ca->revoke(compromised.cert.serial(), RevocationReason::KeyCompromise, pki.clock.now());
    pki.ca->revoke(retired.cert.serial(), RevocationReason::Unspecified, pki.clock.now());
    pki.ca->revoke(held.cert.serial(), RevocationReason::CertificateHold, pki.clock.now());

    const Bytes crl = pki.ca->crl();
    write_der(pki.dir / "crl.der", crl);
    verify =
        openssl({"crl", "-in", crl_file, "-inform", "DER", "-CAfile", pki.chain_pem, "-noout", "-verify"});
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    EXPECT_TRUE(contains(verify.out + verify.err, "verify OK")) << verify.out << verify.err;
    text = openssl({"crl", "-in", crl_file, "-inform", "DER", "-noout", "-text"});
    EXPECT_TRUE(contains(text.out, "X509v3 CRL Number: \n                2\n")) << text.out;
    EXPECT_TRUE(contains(text.out, "Signature Algorithm: rsassaPss")) << text.out;
    EXPECT_TRUE(contains(text.out, "Serial Number: " + compromised.cert.serial_hex())) << text.out;
    EXPECT_TRUE(contains(text.out, "Serial Number: " + retired.cert.serial_hex())) << text.out;
    EXPECT_TRUE(contains(text.out, "Serial Number: " + held.cert.serial_hex())) << text.out;
    EXPECT_FALSE(contains(text.out, fine.cert.serial_hex())) << text.out;
    EXPECT_TRUE(contains(text.out, "Key Compromise")) << text.out;
    EXPECT_TRUE(contains(text.out, "Certificate Hold")) << text.out;
    EXPECT_FALSE(contains(text.out, "Unspecified")) << text.out;  // §5.3.1: reasonCode left out
    EXPECT_TRUE(contains(text.out, "X509v3 Authority Key Identifier")) << text.out;

    // openssl's own chain check with the CRL: the compromised certificate is revoked, the other is fine.
    const auto revoked = openssl({"verify", "-crl_check", "-CAfile", pki.chain_pem, "-CRLfile", crl_file,
                                  write_pem(pki.dir / "c.pem", {compromised.cert.der()})});
    EXPECT_NE(revoked.exit_code, 0);
    EXPECT_TRUE(contains(revoked.out + revoked.err, "certificate revoked")) << revoked.out << revoked.err;
    const auto good = openssl({"verify", "-crl_check", "-CAfile", pki.chain_pem, "-CRLfile", crl_file,
                               write_pem(pki.dir / "f.pem", {fine.cert.der()})});
    EXPECT_EQ(good.exit_code, 0) << good.out << good.err;

    write_der(pki.dir / "crl3.der", pki.ca->crl());
    text = openssl({"crl", "-in", (pki.dir / "crl3.der").string(), "-inform", "DER", "-noout", "-text"});
    EXPECT_TRUE(contains(text.out, "X509v3 CRL Number: \n                3\n")) << text.out;
}

TEST(PkiCaCrl, RevocationErrors) {
    TestPki pki{KeySpec::EcP256};
    const Issued ee = issue(*pki.ca, "tsa");
    EXPECT_EQ(error_of([&] {
                  pki.ca->revoke(Bytes{0x01, 0x02}, RevocationReason::KeyCompromise, pki.clock.now());
              }),
              Errc::NotFound);
    EXPECT_EQ(
        error_of([&] { pki.ca->revoke(ee.cert.serial(), RevocationReason::RemoveFromCrl, pki.clock.now()); }),
        Errc::InvalidRequest);
    pki.ca->revoke(ee.cert.serial(), RevocationReason::Superseded, pki.clock.now());
    EXPECT_EQ(
        error_of([&] { pki.ca->revoke(ee.cert.serial(), RevocationReason::KeyCompromise, pki.clock.now()); }),
        Errc::Conflict);
    // A certificate of another CA is not this CA's to revoke.
    EXPECT_EQ(error_of([&] {
                  pki.ca->revoke(pki.issuing().serial(), RevocationReason::KeyCompromise, pki.clock.now());
              }),
              Errc::NotFound);
}

// ---- OCSP ------------------------------------------------------------------------------------

namespace {

/// The OCSP fixture: an issuing CA, a delegated responder, and good / revoked / unknown certificates.
struct OcspFixture {
    OcspFixture() : pki{KeySpec::EcP256}, responder{issue(*pki.ca, "ocsp")} {
        good = std::make_unique<Issued>(issue(*pki.ca, "person"));
        revoked = std::make_unique<Issued>(issue(*pki.ca, "seal"));
        pki.ca->revoke(revoked->cert.serial(), RevocationReason::KeyCompromise, pki.clock.now());
        // Signed by the issuing CA's key but never recorded: the CA does not know it.
        unknown_signer = hsm_signer(KeySpec::EcP256, "unknown");
        inkan::pki::CertificateTemplate t;
        t.serial = inkan::pki::random_serial();
        t.issuer_der = pki.issuing().subject_der();
        t.subject = Name{}.common_name("unknown");
        t.validity = inkan::pki::Validity::days(pki.clock.now(), 1);
        t.spki_der = unknown_signer->public_key().spki_der();
        unknown_cert = std::make_unique<Certificate>(inkan::pki::sign_certificate(
            t, *pki.issuing_signer, inkan::sign::default_algorithm(pki.issuing_signer->public_key())));
        good_pem = write_pem(pki.dir / "good.pem", {good->cert.der()});
        revoked_pem = write_pem(pki.dir / "revoked.pem", {revoked->cert.der()});
        unknown_pem = write_pem(pki.dir / "unknown.pem", {unknown_cert->der()});
    }

    /// `openssl ocsp ... -reqout` for these certificates; `extra` goes before the -cert options.
    Bytes request(const std::vector<std::string>& certs, const std::vector<std::string>& extra = {}) {
        std::vector<std::string> args{"ocsp", "-issuer", pki.issuing_pem};
        args.insert(args.end(), extra.begin(), extra.end());
        for (const std::string& c : certs) {
            args.push_back("-cert");
            args.push_back(c);
        }
        args.push_back("-reqout");
        args.push_back((pki.dir / "req.der").string());
        const auto r = openssl(args);
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        return inkan::testing::read_file(pki.dir / "req.der");
    }

    Bytes respond(ByteView request_der) {
        return pki.ca->ocsp_response(request_der, *responder.signer, {responder.cert.der()});
    }

    /// `openssl ocsp -respin` with status lines for `certs` (no nonce check: see nonce_check()).
    inkan::testing::CommandResult status(ByteView response, const std::vector<std::string>& certs,
                                         const std::vector<std::string>& extra = {}) {
        write_der(pki.dir / "resp.der", response);
        std::vector<std::string> args{"ocsp", "-respin", (pki.dir / "resp.der").string(), "-issuer",
                                      pki.issuing_pem};
        args.insert(args.end(), extra.begin(), extra.end());
        for (const std::string& c : certs) {
            args.push_back("-cert");
            args.push_back(c);
        }
        for (const char* a :
             {"-no_nonce", "-CAfile", pki.root_pem.c_str(), "-verify_other", pki.issuing_pem.c_str()}) {
            args.emplace_back(a);
        }
        return openssl(args);
    }

    /// `openssl ocsp -reqin req -respin resp`: verifies the response and compares its nonce with the
    /// request's (-no_nonce keeps openssl from replacing the request's nonce with a fresh one).
    inkan::testing::CommandResult nonce_check(ByteView request_der, ByteView response) {
        write_der(pki.dir / "nreq.der", request_der);
        write_der(pki.dir / "nresp.der", response);
        return openssl({"ocsp", "-reqin", (pki.dir / "nreq.der").string(), "-respin",
                        (pki.dir / "nresp.der").string(), "-no_nonce", "-CAfile", pki.root_pem,
                        "-verify_other", pki.issuing_pem});
    }

    TestPki pki;
    Issued responder;
    std::unique_ptr<Issued> good;
    std::unique_ptr<Issued> revoked;
    std::unique_ptr<HsmSigner> unknown_signer;
    std::unique_ptr<Certificate> unknown_cert;
    std::string good_pem;
    std::string revoked_pem;
    std::string unknown_pem;
};

}  // namespace

TEST(PkiCaOcsp, AnswersGoodRevokedAndUnknownAndVerifiesWithOpenssl) {
    OcspFixture f;
    const Bytes req = f.request({f.good_pem, f.revoked_pem, f.unknown_pem});
    const Bytes resp = f.respond(req);

    const auto r = f.status(resp, {f.good_pem, f.revoked_pem, f.unknown_pem});
    const std::string all = r.out + r.err;
    EXPECT_EQ(r.exit_code, 0) << all;
    EXPECT_TRUE(contains(all, "Response verify OK")) << all;
    EXPECT_TRUE(contains(r.out, f.good_pem + ": good")) << r.out;
    EXPECT_TRUE(contains(r.out, f.revoked_pem + ": revoked")) << r.out;
    EXPECT_TRUE(contains(r.out, "Reason: keyCompromise")) << r.out;
    EXPECT_TRUE(contains(r.out, "Revocation Time:")) << r.out;
    EXPECT_TRUE(contains(r.out, f.unknown_pem + ": unknown")) << r.out;
    EXPECT_TRUE(contains(r.out, "Next Update:")) << r.out;

    // The nonce is echoed: openssl compares it with the request's and stays silent.
    const auto n = f.nonce_check(req, resp);
    EXPECT_EQ(n.exit_code, 0) << n.out << n.err;
    EXPECT_TRUE(contains(n.out + n.err, "Response verify OK")) << n.out << n.err;
    EXPECT_FALSE(contains(n.out + n.err, "WARNING: no nonce in response")) << n.err;
    EXPECT_FALSE(contains(n.out + n.err, "Nonce Verify error")) << n.err;

    // The response as openssl reads it: responder by key, the responder's certificate included.
    write_der(f.pki.dir / "resp.der", resp);
    const auto text =
        openssl({"ocsp", "-respin", (f.pki.dir / "resp.der").string(), "-resp_text", "-noverify"});
    EXPECT_TRUE(contains(text.out, "Responder Id: ")) << text.out;
    EXPECT_FALSE(contains(text.out, "Responder Id: C =")) << text.out;  // byKey, not byName
    EXPECT_TRUE(contains(text.out, "OCSP Nonce")) << text.out;
    EXPECT_TRUE(contains(text.out, "inkan OCSP Responder")) << text.out;  // in certs
}

TEST(PkiCaOcsp, WithoutNonceAndWithSha256CertIds) {
    OcspFixture f;
    // -no_nonce: no nonce in, none out.
    const Bytes req = f.request({f.good_pem}, {"-no_nonce"});
    const Bytes resp = f.respond(req);
    const auto r = f.status(resp, {f.good_pem});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "Response verify OK")) << r.err;
    EXPECT_TRUE(contains(r.out, f.good_pem + ": good")) << r.out;
    write_der(f.pki.dir / "resp.der", resp);
    const auto text =
        openssl({"ocsp", "-respin", (f.pki.dir / "resp.der").string(), "-resp_text", "-noverify"});
    EXPECT_FALSE(contains(text.out, "OCSP Nonce")) << text.out;
    // The control for the nonce assertions above: a request with a nonce checked against this response
    // makes openssl warn.
    const auto control = f.nonce_check(f.request({f.good_pem}), resp);
    EXPECT_TRUE(contains(control.err, "WARNING: no nonce in response")) << control.err;

    // SHA-256 CertIDs (issuerNameHash and issuerKeyHash over SHA-256).
    const Bytes req256 = f.request({f.revoked_pem, f.good_pem}, {"-sha256"});
    const Bytes resp256 = f.respond(req256);
    const auto r256 = f.status(resp256, {f.revoked_pem, f.good_pem}, {"-sha256"});
    EXPECT_EQ(r256.exit_code, 0) << r256.out << r256.err;
    EXPECT_TRUE(contains(r256.out, f.revoked_pem + ": revoked")) << r256.out;
    EXPECT_TRUE(contains(r256.out, "Reason: keyCompromise")) << r256.out;
    EXPECT_TRUE(contains(r256.out, f.good_pem + ": good")) << r256.out;
    const auto n256 = f.nonce_check(req256, resp256);
    EXPECT_EQ(n256.exit_code, 0) << n256.out << n256.err;
    EXPECT_FALSE(contains(n256.err, "WARNING: no nonce in response")) << n256.err;
}

TEST(PkiCaOcsp, TheCaCanAnswerItself) {
    OcspFixture f;
    const Bytes req = f.request({f.revoked_pem});
    const Bytes resp = f.pki.ca->ocsp_response(req);
    const auto r = f.status(resp, {f.revoked_pem});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "Response verify OK")) << r.err;
    EXPECT_TRUE(contains(r.out, f.revoked_pem + ": revoked")) << r.out;
}

TEST(PkiCaOcsp, GarbageIsAMalformedRequestAndAnotherIssuerIsUnauthorized) {
    OcspFixture f;
    for (const Bytes& garbage : {inkan::to_bytes(std::string_view{"garbage"}), Bytes{}, Bytes{0x30, 0x00},
                                 Bytes{0x30, 0x02, 0x30, 0x00}}) {
        const Bytes resp = f.respond(garbage);
        EXPECT_EQ(resp, (Bytes{0x30, 0x03, 0x0A, 0x01, 0x01}));
        write_der(f.pki.dir / "bad.der", resp);
        const auto r =
            openssl({"ocsp", "-respin", (f.pki.dir / "bad.der").string(), "-resp_text", "-noverify"});
        EXPECT_TRUE(contains(r.out, "malformedrequest")) << r.out << r.err;
    }
    // A truncated real request.
    Bytes req = f.request({f.good_pem});
    req.resize(req.size() - 5);
    EXPECT_EQ(f.respond(req), (Bytes{0x30, 0x03, 0x0A, 0x01, 0x01}));

    // Asking the issuing CA about a certificate the root issued (its own).
    const auto foreign = openssl({"ocsp", "-issuer", f.pki.root_pem, "-cert", f.pki.issuing_pem, "-reqout",
                                  (f.pki.dir / "foreign.der").string()});
    ASSERT_EQ(foreign.exit_code, 0) << foreign.err;
    const Bytes resp = f.respond(inkan::testing::read_file(f.pki.dir / "foreign.der"));
    write_der(f.pki.dir / "unauth.der", resp);
    const auto r =
        openssl({"ocsp", "-respin", (f.pki.dir / "unauth.der").string(), "-resp_text", "-noverify"});
    EXPECT_TRUE(contains(r.out, "unauthorized")) << r.out << r.err;
}

TEST(PkiCaOcsp, AResponderTheCaDidNotAuthoriseIsAConfigurationError) {
    OcspFixture f;
    const Bytes req = f.request({f.good_pem});
    // The TSA's key with the TSA's certificate: no id-kp-OCSPSigning.
    const Issued tsa = issue(*f.pki.ca, "tsa");
    EXPECT_EQ(error_of([&] { (void)f.pki.ca->ocsp_response(req, *tsa.signer, {tsa.cert.der()}); }),
              Errc::InvalidConfig);
    // The responder's key with another certificate.
    EXPECT_EQ(error_of([&] { (void)f.pki.ca->ocsp_response(req, *f.responder.signer, {tsa.cert.der()}); }),
              Errc::InvalidConfig);
    EXPECT_EQ(error_of([&] { (void)f.pki.ca->ocsp_response(req, *f.responder.signer, {}); }),
              Errc::InvalidConfig);
}

// ---- connectors and import ---------------------------------------------------------------------

TEST(PkiCaConnectors, BuiltinIssuesWithTheChainAndManualHandsOutThePem) {
    TestPki pki{KeySpec::EcP256};
    auto signer = hsm_signer(KeySpec::EcP256, "connector");
    const auto csr = inkan::pki::create_csr(subject_for("person"), *signer);

    inkan::pki::BuiltinConnector builtin{*pki.ca};
    EXPECT_EQ(builtin.name(), "test-issuing");
    EXPECT_EQ(builtin.kind(), "builtin");
    EXPECT_TRUE(contains(builtin.describe(), "inkan Test Issuing CA")) << builtin.describe();
    const auto issued = builtin.enrol({csr.der(), "person"});
    EXPECT_EQ(issued.status, inkan::pki::EnrolmentResult::Status::Issued);
    ASSERT_EQ(issued.chain.size(), 3U);
    EXPECT_EQ(issued.chain[1], pki.issuing().der());
    EXPECT_EQ(issued.chain[2], pki.root().der());
    const Certificate cert = Certificate::from_der(issued.chain[0]);
    EXPECT_TRUE(contains(issued.note, cert.serial_hex())) << issued.note;
    EXPECT_EQ(error_of([&] { (void)builtin.enrol({Bytes{0x30, 0x00}, "person"}); }), Errc::InvalidEncoding);

    inkan::pki::ManualConnector manual{"corporate", "send to pki@example.jp"};
    EXPECT_EQ(manual.kind(), "manual");
    const auto pending = manual.enrol({csr.der(), "person"});
    EXPECT_EQ(pending.status, inkan::pki::EnrolmentResult::Status::Pending);
    EXPECT_TRUE(pending.chain.empty());
    inkan::testing::write_file(pki.dir / "manual.pem", pending.csr_pem);
    const auto r = openssl({"req", "-verify", "-in", (pki.dir / "manual.pem").string(), "-noout"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    Bytes broken = csr.der();
    broken[broken.size() - 3] ^= 0x01;
    EXPECT_EQ(error_of([&] { (void)manual.enrol({broken, "person"}); }), Errc::InvalidRequest);
}

TEST(PkiCaImport, AcceptsOnlyTheHsmKeysCertificateWithAValidatingChain) {
    TestPki pki{KeySpec::EcP256};
    const Issued ee = issue(*pki.ca, "person");
    const Issued other = issue(*pki.ca, "seal");

    const Certificate ok = inkan::pki::check_imported_certificate(ee.cert.der(), {pki.issuing().der()},
                                                                  ee.signer->public_key(), pki.root().der());
    EXPECT_EQ(ok.der(), ee.cert.der());
    // Another key's certificate.
    EXPECT_EQ(error_of([&] {
                  (void)inkan::pki::check_imported_certificate(other.cert.der(), {pki.issuing().der()},
                                                               ee.signer->public_key(), pki.root().der());
              }),
              Errc::InvalidRequest);
    // The intermediate missing.
    const std::string message = inkan::pki::testing::message_of([&] {
        (void)inkan::pki::check_imported_certificate(ee.cert.der(), {}, ee.signer->public_key(),
                                                     pki.root().der());
    });
    EXPECT_TRUE(contains(message, "unable to get local issuer certificate")) << message;
    // Another trust anchor.
    TestPki elsewhere{KeySpec::EcP256};
    EXPECT_EQ(error_of([&] {
                  (void)inkan::pki::check_imported_certificate(
                      ee.cert.der(), {pki.issuing().der()}, ee.signer->public_key(), elsewhere.root().der());
              }),
              Errc::InvalidRequest);
    // Checked at a time after the certificate expired.
    EXPECT_EQ(error_of([&] {
                  (void)inkan::pki::check_imported_certificate(ee.cert.der(), {pki.issuing().der()},
                                                               ee.signer->public_key(), pki.root().der(),
                                                               ee.cert.not_after() + std::chrono::hours{24});
              }),
              Errc::InvalidRequest);
}

TEST(PkiCaOcsp, MutatedAndTruncatedRequestsNeverThrow) {
    OcspFixture f;
    const Bytes request = f.request({f.good_pem, f.revoked_pem});
    const auto answered = [&](const Bytes& input) {
        Bytes response;
        EXPECT_NO_THROW(response = f.respond(input)) << inkan::hex_encode(input);
        // Whatever came in, what goes out is an OCSPResponse openssl can read.
        const auto tlv = inkan::der::parse_single(response);
        EXPECT_TRUE(tlv.is_universal(inkan::der::tag::Sequence));
    };
    for (std::size_t len = 0; len < request.size(); ++len) {
        answered(Bytes(request.begin(), request.begin() + static_cast<std::ptrdiff_t>(len)));
    }
    for (std::size_t i = 0; i < request.size(); ++i) {
        for (const std::uint8_t mask : {std::uint8_t{0x01}, std::uint8_t{0x80}, std::uint8_t{0xFF}}) {
            Bytes mutated = request;
            mutated[i] = static_cast<std::uint8_t>(mutated[i] ^ mask);
            answered(mutated);
        }
    }
}
