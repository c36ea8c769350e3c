// CMS SignedData built with inkan's DER writer and signed in SoftHSM, judged by `openssl cms -verify`.

#include <string>

#include <gtest/gtest.h>

#include <inkan/cms/signed_data.h>
#include <inkan/crypto/der.h>
#include <inkan/crypto/digest.h>
#include <inkan/testing/process.h>
#include <inkan/testing/test_pki.h>

namespace {

using inkan::Bytes;
using inkan::crypto::DigestAlgorithm;
using inkan::crypto::SignatureAlgorithm;
using inkan::hsm::KeySpec;
using inkan::testing::TempDir;
using inkan::testing::TestPki;

namespace cms = inkan::cms;

TestPki& test_pki() {
    static TestPki p;
    return p;
}

struct VerifyResult {
    int exit_code;
    std::string out;
    std::string err;
};

/// openssl cms -verify on a DER ContentInfo; `content` given means detached.
VerifyResult openssl_verify(const TempDir& dir, const Bytes& cms_der, const std::string* content = nullptr) {
    inkan::testing::write_file(dir / "sig.der", cms_der);
    std::vector<std::string> argv{"openssl",
                                  "cms",
                                  "-verify",
                                  "-inform",
                                  "DER",
                                  "-in",
                                  (dir / "sig.der").string(),
                                  "-CAfile",
                                  test_pki().root_pem.string(),
                                  "-purpose",
                                  "any",
                                  "-binary"};
    if (content != nullptr) {
        inkan::testing::write_file(dir / "content.bin", *content);
        argv.insert(argv.end(), {"-content", (dir / "content.bin").string()});
    }
    const auto r = inkan::testing::run(argv);
    return {r.exit_code, r.out, r.err};
}

cms::SignedDataSpec spec_for(const TestPki::Leaf& leaf, SignatureAlgorithm alg) {
    cms::SignedDataSpec spec;
    spec.algorithm = alg;
    spec.signer_certificate = leaf.chain.front();
    spec.certificates = leaf.chain;
    spec.signed_attributes = {cms::signing_certificate_v2_attribute(leaf.chain.front())};
    return spec;
}

TEST(CmsSignedData, EnvelopingEcdsaP256VerifiesWithOpensslAndReturnsTheContent) {
    TempDir dir;
    auto leaf = test_pki().issue(KeySpec::EcP256, "cms-ec");
    auto spec = spec_for(leaf, SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256));
    spec.content = inkan::to_bytes("hello, enveloped world");
    spec.signed_attributes.push_back(cms::signing_time_attribute(std::chrono::system_clock::now()));
    const Bytes der = cms::sign(spec, *leaf.signer);
    const auto r = openssl_verify(dir, der);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("Verification successful"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "hello, enveloped world");
}

TEST(CmsSignedData, DetachedRsaPkcs1VerifiesAgainstTheContentAndFailsOnOtherContent) {
    TempDir dir;
    auto leaf = test_pki().issue(KeySpec::Rsa2048, "cms-rsa");
    const std::string content = "detached document bytes";
    auto spec = spec_for(leaf, SignatureAlgorithm::rsa_pkcs1(DigestAlgorithm::Sha256));
    spec.detached_digest = inkan::crypto::digest(DigestAlgorithm::Sha256, inkan::as_bytes(content));
    spec.signed_attributes.push_back(cms::commitment_type_attribute("1.2.840.113549.1.9.16.6.1"));
    const Bytes der = cms::sign(spec, *leaf.signer);
    const auto ok = openssl_verify(dir, der, &content);
    EXPECT_EQ(ok.exit_code, 0) << ok.err;
    const std::string other = "detached document bytes, changed";
    const auto bad = openssl_verify(dir, der, &other);
    EXPECT_NE(bad.exit_code, 0) << "openssl accepted a signature over other content";
}

TEST(CmsSignedData, DetachedRsaPssSha384VerifiesWithOpenssl) {
    TempDir dir;
    auto leaf = test_pki().issue(KeySpec::Rsa2048, "cms-pss");
    const std::string content = "pss content";
    auto spec = spec_for(leaf, SignatureAlgorithm::rsa_pss(DigestAlgorithm::Sha384));
    spec.detached_digest = inkan::crypto::digest(DigestAlgorithm::Sha384, inkan::as_bytes(content));
    const Bytes der = cms::sign(spec, *leaf.signer);
    const auto r = openssl_verify(dir, der, &content);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto parsed = cms::parse(der);
    ASSERT_EQ(parsed.signer_infos.size(), 1U);
    EXPECT_EQ(parsed.signer_infos[0].signature_algorithm,
              SignatureAlgorithm::rsa_pss(DigestAlgorithm::Sha384));
}

TEST(CmsSignedData, ParserGivesBackWhatTheBuilderWroteAndVerifiesTheSignature) {
    auto leaf = test_pki().issue(KeySpec::EcP256, "cms-parse");
    auto spec = spec_for(leaf, SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256));
    spec.content_type = std::string{cms::oid::kTstInfo};
    spec.content = inkan::to_bytes("not really a TSTInfo");
    const Bytes der = cms::sign(spec, *leaf.signer);
    const cms::SignedData sd = cms::parse(der);
    EXPECT_EQ(sd.version, 3) << "eContentType other than id-data needs version 3 (RFC 5652 §5.1)";
    EXPECT_EQ(sd.content_type, cms::oid::kTstInfo);
    ASSERT_TRUE(sd.content.has_value());
    EXPECT_EQ(*sd.content, *spec.content);
    EXPECT_EQ(sd.certificates.size(), 2U);
    ASSERT_EQ(sd.signer_infos.size(), 1U);
    const auto& si = sd.signer_infos[0];
    EXPECT_EQ(si.version, 1);
    EXPECT_EQ(si.signed_attributes.size(), 3U);
    ASSERT_NE(si.signed_attribute(cms::oid::kSigningCertificateV2), nullptr);
    EXPECT_EQ(cms::find_signer_certificate(sd, 0), leaf.chain.front());
    // DER SET OF: each encoded attribute sorts at or after the previous one (X.690 §11.6).
    const Bytes signed_attrs = si.signed_attributes_for_signature();
    inkan::der::Reader attrs{signed_attrs};
    inkan::der::Reader set = attrs.set();
    Bytes previous;
    while (!set.empty()) {
        const auto tlv = set.next();
        Bytes current{tlv.whole.begin(), tlv.whole.end()};
        EXPECT_LE(previous, current) << "signed attributes are not in DER order";
        previous = current;
    }
    const auto digest = inkan::crypto::digest(DigestAlgorithm::Sha256, *sd.content);
    EXPECT_TRUE(cms::verify_signer(sd, 0, digest, leaf.signer->public_key()));
    const auto other = inkan::crypto::digest(DigestAlgorithm::Sha256, inkan::as_bytes("x"));
    EXPECT_FALSE(cms::verify_signer(sd, 0, other, leaf.signer->public_key()));
}

TEST(CmsSignedData, AnAddedUnsignedAttributeLeavesTheSignatureValid) {
    TempDir dir;
    auto leaf = test_pki().issue(KeySpec::EcP256, "cms-unsigned");
    auto spec = spec_for(leaf, SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256));
    spec.content = inkan::to_bytes("content");
    const Bytes der = cms::sign(spec, *leaf.signer);
    inkan::der::Writer v;
    v.octet_string(inkan::to_bytes("stand-in for a time-stamp token"));
    const Bytes extended =
        cms::add_unsigned_attribute(der, 0, {std::string{cms::oid::kSignatureTimeStampToken}, {v.take()}});
    EXPECT_GT(extended.size(), der.size());
    const auto r = openssl_verify(dir, extended);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto sd = cms::parse(extended);
    ASSERT_EQ(sd.signer_infos.size(), 1U);
    EXPECT_NE(sd.signer_infos[0].unsigned_attribute(cms::oid::kSignatureTimeStampToken), nullptr);
    EXPECT_EQ(sd.signer_infos[0].signed_attributes_der,
              cms::parse(der).signer_infos[0].signed_attributes_der);
}

TEST(CmsSignedData, RefusesACertificateOfAnotherKeyAndBothContentForms) {
    auto a = test_pki().issue(KeySpec::EcP256, "cms-a");
    auto b = test_pki().issue(KeySpec::EcP256, "cms-b");
    auto spec = spec_for(b, SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256));
    spec.content = inkan::to_bytes("x");
    try {
        (void)cms::sign(spec, *a.signer);
        ADD_FAILURE() << "signed with a certificate of another key";
    } catch (const inkan::Error& e) {
        EXPECT_EQ(e.code(), inkan::Errc::InvalidRequest) << e.what();
    }
    auto both = spec_for(a, SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256));
    both.content = inkan::to_bytes("x");
    both.detached_digest = Bytes(32, 1);
    EXPECT_THROW((void)cms::sign(both, *a.signer), inkan::Error);
}

TEST(CmsSignedData, GarbageDoesNotParse) {
    for (const Bytes& garbage : {Bytes{}, Bytes{0x30, 0x03, 0x02, 0x01, 0x01}, inkan::to_bytes("hello")}) {
        try {
            (void)cms::parse(garbage);
            ADD_FAILURE() << "parsed " << garbage.size() << " bytes of garbage";
        } catch (const inkan::Error& e) {
            EXPECT_EQ(e.code(), inkan::Errc::InvalidEncoding) << e.what();
        }
    }
}

}  // namespace
