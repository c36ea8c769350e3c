// The certificate and CSR builders with in-memory keys, judged by the openssl CLI.

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include <inkan/core/encoding.h>
#include <inkan/crypto/digest.h>
#include <inkan/crypto/keys.h>
#include <inkan/pki/certificate.h>
#include <inkan/pki/csr.h>
#include <inkan/pki/profile.h>
#include <inkan/sign/software_signer.h>
#include <inkan/testing/process.h>

#include "test_helpers.h"

namespace {

using inkan::Bytes;
using inkan::Errc;
using inkan::crypto::Curve;
using inkan::crypto::DigestAlgorithm;
using inkan::crypto::PrivateKey;
using inkan::crypto::SignatureAlgorithm;
using inkan::pki::Certificate;
using inkan::pki::CertificateTemplate;
using inkan::pki::Name;
using inkan::pki::testing::error_of;
using inkan::pki::testing::openssl;
using inkan::pki::testing::write_pem;
using inkan::sign::SoftwareSigner;
using inkan::testing::TempDir;

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

CertificateTemplate self_signed_template(const SoftwareSigner& signer, const Name& subject) {
    CertificateTemplate t;
    t.serial = inkan::pki::random_serial();
    t.issuer_der = subject.der();
    t.subject = subject;
    t.validity = inkan::pki::Validity::days(std::chrono::system_clock::now(), 30);
    t.spki_der = signer.public_key().spki_der();
    t.extensions.basic_constraints = inkan::pki::BasicConstraints{true, std::nullopt};
    t.extensions.key_usage = inkan::pki::key_usage::kKeyCertSign | inkan::pki::key_usage::kCrlSign;
    return t;
}

struct AlgCase {
    const char* name;
    bool rsa;
    SignatureAlgorithm alg;
};

class PkiSelfSigned : public ::testing::TestWithParam<AlgCase> {};

}  // namespace

TEST_P(PkiSelfSigned, VerifiesWithOpenssl) {
    SoftwareSigner signer{GetParam().rsa ? PrivateKey::generate_rsa(2048)
                                         : PrivateKey::generate_ec(Curve::P384)};
    const Name subject = Name{}.country("JP").organization("inkan test").common_name("Test Root");
    const Certificate cert =
        inkan::pki::sign_certificate(self_signed_template(signer, subject), signer, GetParam().alg);
    EXPECT_TRUE(cert.signed_by(signer.public_key()));

    TempDir dir;
    const std::string pem = write_pem(dir / "root.pem", {cert.der()});
    const auto r = openssl({"verify", "-CAfile", pem, pem});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, ": OK")) << r.out;
}

INSTANTIATE_TEST_SUITE_P(
    Algorithms, PkiSelfSigned,
    ::testing::Values(AlgCase{"RsaPkcs1Sha256", true, SignatureAlgorithm::rsa_pkcs1(DigestAlgorithm::Sha256)},
                      AlgCase{"RsaPssSha256", true, SignatureAlgorithm::rsa_pss(DigestAlgorithm::Sha256)},
                      AlgCase{"RsaPssSha384", true, SignatureAlgorithm::rsa_pss(DigestAlgorithm::Sha384)},
                      AlgCase{"EcdsaSha384", false, SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha384)},
                      AlgCase{"EcdsaSha256", false, SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256)}),
    [](const ::testing::TestParamInfo<AlgCase>& p) { return std::string{p.param.name}; });

TEST(PkiCertificate, RefusesAnAlgorithmThatDoesNotFitTheKey) {
    SoftwareSigner signer{PrivateKey::generate_ec(Curve::P256)};
    const auto t = self_signed_template(signer, Name{}.common_name("x"));
    EXPECT_EQ(error_of([&] {
                  (void)inkan::pki::sign_certificate(t, signer,
                                                     SignatureAlgorithm::rsa_pkcs1(DigestAlgorithm::Sha256));
              }),
              Errc::UnsupportedAlgorithm);
}

TEST(PkiCertificate, EveryExtensionAsOpensslPrintsIt) {
    SoftwareSigner ca{PrivateKey::generate_ec(Curve::P256)};
    SoftwareSigner subject_key{PrivateKey::generate_rsa(2048)};
    CertificateTemplate t;
    t.serial = inkan::pki::random_serial();
    t.issuer_der = Name{}.country("JP").common_name("Test CA").der();
    t.subject = Name{}.country("JP").common_name("localhost");
    t.validity = inkan::pki::Validity::days(std::chrono::system_clock::now(), 1);
    t.spki_der = subject_key.public_key().spki_der();
    auto& e = t.extensions;
    e.basic_constraints = inkan::pki::BasicConstraints{};
    e.key_usage = inkan::pki::key_usage::kDigitalSignature | inkan::pki::key_usage::kNonRepudiation;
    e.extended_key_usage = {std::string{inkan::pki::eku::kTimeStamping}};
    e.authority_key_identifier = inkan::pki::key_identifier(ca.public_key().spki_der());
    e.dns_names = {"localhost", "*.example.jp"};
    e.ip_addresses = {"127.0.0.1", "::1"};
    e.crl_urls = {"http://127.0.0.1:8080/crl/test.crl"};
    e.ca_issuers_urls = {"http://127.0.0.1:8080/ca/test.crt"};
    e.ocsp_urls = {"http://127.0.0.1:8080/ocsp"};
    e.policies = {"0.4.0.194112.1.2"};
    e.qc_statements = inkan::pki::QcStatements{true, inkan::pki::QcType::ESeal, true};
    e.ocsp_no_check = true;
    const Certificate cert =
        inkan::pki::sign_certificate(t, ca, SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256));

    TempDir dir;
    const std::string text = inkan::pki::testing::x509_text(dir, cert);
    EXPECT_TRUE(contains(text, "X509v3 Basic Constraints: critical\n                CA:FALSE")) << text;
    EXPECT_TRUE(
        contains(text, "X509v3 Key Usage: critical\n                Digital Signature, Non Repudiation"))
        << text;
    EXPECT_TRUE(contains(text, "X509v3 Extended Key Usage: critical\n                Time Stamping")) << text;
    EXPECT_TRUE(
        contains(text, "DNS:localhost, DNS:*.example.jp, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"))
        << text;
    EXPECT_TRUE(contains(text, "URI:http://127.0.0.1:8080/crl/test.crl")) << text;
    EXPECT_TRUE(contains(text, "OCSP - URI:http://127.0.0.1:8080/ocsp")) << text;
    EXPECT_TRUE(contains(text, "CA Issuers - URI:http://127.0.0.1:8080/ca/test.crt")) << text;
    EXPECT_TRUE(contains(text, "Policy: 0.4.0.194112.1.2")) << text;
    EXPECT_TRUE(contains(text, "qcStatements")) << text;
    EXPECT_TRUE(contains(text, "OCSP No Check")) << text;

    // SKI: SHA-1 of the subjectPublicKey bits (RFC 5280 §4.2.1.2 (1)); openssl prints it colon-separated.
    const Bytes ski = cert.subject_key_identifier().value();
    EXPECT_EQ(ski, inkan::crypto::digest(DigestAlgorithm::Sha1, inkan::pki::subject_public_key_bits(
                                                                    subject_key.public_key().spki_der())));
    std::string ski_text;
    for (std::size_t i = 0; i < ski.size(); ++i) {
        ski_text += (i == 0 ? "" : ":") + inkan::hex_encode_upper(Bytes{ski[i]});
    }
    EXPECT_TRUE(contains(text, ski_text)) << text;
    EXPECT_EQ(cert.authority_key_identifier(), e.authority_key_identifier);

    // QCStatements DER: QcCompliance, QcSSCD, QcType { eseal } (EN 319 412-5 §4.2).
    const auto qc = cert.extension("1.3.6.1.5.5.7.1.3");
    ASSERT_TRUE(qc.has_value());
    EXPECT_FALSE(qc->critical);
    const std::string qc_hex = inkan::hex_encode(qc->value);
    EXPECT_TRUE(contains(qc_hex, inkan::hex_encode(inkan::crypto::encode_oid_content("0.4.0.1862.1.1"))));
    EXPECT_TRUE(contains(qc_hex, inkan::hex_encode(inkan::crypto::encode_oid_content("0.4.0.1862.1.4"))));
    EXPECT_TRUE(contains(qc_hex, inkan::hex_encode(inkan::crypto::encode_oid_content("0.4.0.1862.1.6.2"))));

    // The parsed view agrees with what was written.
    EXPECT_EQ(cert.key_usage(), e.key_usage);
    EXPECT_EQ(cert.extended_key_usage(), e.extended_key_usage);
    EXPECT_FALSE(cert.is_ca());
    EXPECT_TRUE(cert.public_key().same_key(subject_key.public_key()));
    EXPECT_EQ(cert.serial(), t.serial);
    EXPECT_EQ(cert.not_before(), t.validity.not_before);
    EXPECT_EQ(cert.not_after(), t.validity.not_after);
    EXPECT_EQ(cert.issuer(), "CN=Test CA,C=JP");

    const auto serial = openssl({"x509", "-in", (dir / "text.pem").string(), "-noout", "-serial"});
    EXPECT_EQ(serial.out, "serial=" + cert.serial_hex() + "\n");
}

TEST(PkiCertificate, JapaneseSubjectIsUtf8StringAndPrintsAsIs) {
    SoftwareSigner signer{PrivateKey::generate_ec(Curve::P256)};
    const Name subject = Name{}
                             .country("JP")
                             .organization("株式会社インカン")
                             .surname("山田")
                             .given_name("太郎")
                             .common_name("山田 太郎");
    const Certificate cert = inkan::pki::sign_certificate(self_signed_template(signer, subject), signer,
                                                          SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256));
    EXPECT_EQ(cert.subject(), "CN=山田 太郎,GN=太郎,SN=山田,O=株式会社インカン,C=JP");
    EXPECT_EQ(cert.subject_name().first(inkan::pki::NameAttribute::CommonName), "山田 太郎");

    TempDir dir;
    const std::string pem = write_pem(dir / "jp.pem", {cert.der()});
    const auto printed = openssl({"x509", "-in", pem, "-noout", "-subject", "-nameopt", "utf8,-esc_msb"});
    EXPECT_EQ(printed.exit_code, 0) << printed.err;
    EXPECT_TRUE(contains(printed.out, "CN=山田 太郎")) << printed.out;
    EXPECT_TRUE(contains(printed.out, "O=株式会社インカン")) << printed.out;

    const auto asn1 = openssl({"asn1parse", "-in", pem});
    EXPECT_EQ(asn1.exit_code, 0) << asn1.err;
    EXPECT_TRUE(contains(asn1.out, "UTF8STRING        :山田 太郎")) << asn1.out;
    EXPECT_TRUE(contains(asn1.out, "UTF8STRING        :株式会社インカン")) << asn1.out;
    EXPECT_TRUE(contains(asn1.out, "PRINTABLESTRING   :JP")) << asn1.out;
}

TEST(PkiCertificate, ParsesPemChainsAndRefusesGarbage) {
    SoftwareSigner signer{PrivateKey::generate_ec(Curve::P256)};
    const Certificate a =
        inkan::pki::sign_certificate(self_signed_template(signer, Name{}.common_name("a")), signer,
                                     SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256));
    const Certificate b =
        inkan::pki::sign_certificate(self_signed_template(signer, Name{}.common_name("b")), signer,
                                     SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256));
    const auto parsed = inkan::pki::certificates_from_pem("junk\n" + a.pem() + "\r\n" + b.pem());
    ASSERT_EQ(parsed.size(), 2U);
    EXPECT_EQ(parsed[0].der(), a.der());
    EXPECT_EQ(parsed[1].der(), b.der());
    const Certificate copy = parsed[1];  // shares the X509
    EXPECT_EQ(copy.subject(), "CN=b");

    Bytes trailing = a.der();
    trailing.push_back(0);
    EXPECT_EQ(error_of([&] { (void)Certificate::from_der(trailing); }), Errc::InvalidEncoding);
    EXPECT_EQ(error_of([] { (void)Certificate::from_der(Bytes{0x30, 0x00}); }), Errc::InvalidEncoding);
    EXPECT_EQ(error_of([] { (void)inkan::pki::certificates_from_pem("no pem here"); }),
              Errc::InvalidEncoding);
}

TEST(PkiCsr, BuiltThroughTheSignerVerifiesWithOpensslAndCarriesRequestedSans) {
    for (const bool rsa : {true, false}) {
        SoftwareSigner signer{rsa ? PrivateKey::generate_rsa(2048) : PrivateKey::generate_ec(Curve::P384)};
        const Name subject = Name{}.country("JP").surname("山田").given_name("太郎").common_name("山田 太郎");
        inkan::pki::CsrOptions options;
        options.dns_names = {"localhost"};
        options.ip_addresses = {"127.0.0.1"};
        const inkan::pki::Csr csr = inkan::pki::create_csr(subject, signer, options);
        EXPECT_TRUE(csr.verify());
        EXPECT_EQ(csr.subject(), "CN=山田 太郎,GN=太郎,SN=山田,C=JP");
        EXPECT_TRUE(csr.public_key().same_key(signer.public_key()));
        EXPECT_EQ(csr.requested_dns_names(), std::vector<std::string>{"localhost"});
        EXPECT_EQ(csr.requested_ip_addresses(), std::vector<std::string>{"127.0.0.1"});

        TempDir dir;
        inkan::testing::write_file(dir / "csr.pem", csr.pem());
        const auto verify = openssl({"req", "-verify", "-in", (dir / "csr.pem").string(), "-noout"});
        EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
        EXPECT_TRUE(contains(verify.out + verify.err, "verify OK")) << verify.out << verify.err;
        const auto text = openssl({"req", "-in", (dir / "csr.pem").string(), "-noout", "-text"});
        EXPECT_TRUE(contains(text.out, "DNS:localhost, IP Address:127.0.0.1")) << text.out;

        EXPECT_EQ(inkan::pki::Csr::from_pem(csr.pem()).der(), csr.der());
    }
}

TEST(PkiCsr, ATamperedCsrDoesNotVerify) {
    SoftwareSigner signer{PrivateKey::generate_ec(Curve::P256)};
    const auto csr = inkan::pki::create_csr(Name{}.common_name("honest"), signer);
    Bytes der = csr.der();
    // The subject's last letter lies inside the signed CertificationRequestInfo.
    const std::string needle = "honest";
    const auto at = std::search(der.begin(), der.end(), needle.begin(), needle.end());
    ASSERT_NE(at, der.end());
    *(at + 5) = 'y';
    const auto tampered = inkan::pki::Csr::from_der(der);
    EXPECT_FALSE(tampered.verify());
    EXPECT_EQ(error_of([&] { tampered.require_valid(); }), Errc::InvalidRequest);
}

TEST(PkiCsr, AWeakKeyCsrFromOpensslIsRefusedByTheProfile) {
    TempDir dir;
    const auto r =
        openssl({"req", "-new", "-newkey", "rsa:1024", "-nodes", "-keyout", (dir / "weak.key").string(),
                 "-out", (dir / "weak.csr").string(), "-subj", "/C=JP/CN=weak"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto csr = inkan::pki::Csr::from_pem(inkan::to_string(inkan::testing::read_file(dir / "weak.csr")));
    EXPECT_TRUE(csr.verify());  // well-formed and signed: only the key is too weak
    EXPECT_EQ(csr.subject(), "CN=weak,C=JP");
    const auto profiles = inkan::pki::ProfileSet::defaults();
    EXPECT_EQ(error_of([&] { inkan::pki::check_key(profiles.get("tls").key_policy, csr.public_key()); }),
              Errc::InvalidRequest);
}
