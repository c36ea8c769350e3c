#include <inkan/ades/cades.h>

#include <sstream>

#include <gtest/gtest.h>

#include <inkan/ades/time_stamper.h>
#include <inkan/cms/signed_data.h>
#include <inkan/core/encoding.h>
#include <inkan/crypto/digest.h>
#include <inkan/tsp/codec.h>

#include "fixture.h"

namespace inkan::ades {
namespace {

const Bytes kContent = to_bytes(std::string_view{"請求書 No. 42: 10,000 JPY\n"});

CadesOptions options(Level level) {
    CadesOptions o;
    o.level = level;
    if (level == Level::BT) o.time_stamper = testkit::world().stamper.get();
    return o;
}

/// The EN 319 122-1 B-B attributes and, for B-T, a token openssl ts -verify accepts over the
/// signature value.
void expect_baseline(const Bytes& der, Level level) {
    const cms::SignedData sd = cms::parse(der);
    ASSERT_EQ(sd.signer_infos.size(), 1u);
    const auto& si = sd.signer_infos[0];
    EXPECT_EQ(sd.content_type, cms::oid::kData);
    EXPECT_NE(si.signed_attribute(cms::oid::kSigningTime), nullptr) << "CAdES B-B needs signing-time";
    EXPECT_NE(si.signed_attribute(cms::oid::kSigningCertificateV2), nullptr);
    EXPECT_NE(si.signed_attribute("1.2.840.113549.1.9.52"), nullptr) << "CMSAlgorithmProtection";
    EXPECT_EQ(sd.certificates.size(), 2u);
    const Bytes* token = si.unsigned_attribute(cms::oid::kSignatureTimeStampToken);
    if (level == Level::BB) {
        EXPECT_EQ(token, nullptr);
        return;
    }
    ASSERT_NE(token, nullptr);
    const auto ts = testkit::openssl_ts_verify(*token, si.signature);
    EXPECT_EQ(ts.exit_code, 0) << ts.out << ts.err;
    EXPECT_NE(ts.out.find("Verification: OK"), std::string::npos) << ts.out << ts.err;
}

TEST(Cades, CmsDerTellsDerAndPemCmsFromOtherBytes) {
    const Bytes der{0x30, 0x03, 0x02, 0x01, 0x05};
    EXPECT_EQ(cms_der(der), der);
    for (const std::string label : {"CMS", "PKCS7", "PKCS #7 SIGNED DATA"}) {
        const std::string pem = "text before\n-----BEGIN " + label + "-----\n" + base64_encode(der) +
                                "\n-----END " + label + "-----\n";
        EXPECT_EQ(cms_der(to_bytes(std::string_view{pem})), der) << label;
    }
    EXPECT_FALSE(cms_der(to_bytes(std::string_view{"%PDF-1.7\n"})).has_value());
    EXPECT_FALSE(cms_der(Bytes{}).has_value());
    try {
        (void)cms_der(to_bytes(std::string_view{"-----BEGIN CMS-----\n@@@\n-----END CMS-----\n"}));
        ADD_FAILURE() << "broken base64 accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::InvalidEncoding) << e.what();
    }
}

TEST(Cades, DetachedFromAStreamVerifiesWithOpensslOverTheContent) {
    for (const Level level : {Level::BB, Level::BT}) {
        for (sign::Signer* signer : {static_cast<sign::Signer*>(testkit::world().rsa.get()),
                                     static_cast<sign::Signer*>(testkit::world().ec.get())}) {
            std::istringstream in{to_string(kContent)};
            const Bytes der = sign_cades(CadesContent::detached(in), *signer, options(level));
            EXPECT_FALSE(cms::parse(der).content.has_value());
            const auto v = testkit::openssl_cms_verify(der, &kContent);
            EXPECT_EQ(v.exit_code, 0) << name(level) << v.out << v.err;
            EXPECT_NE(v.err.find("Verification successful"), std::string::npos) << v.err;
            Bytes tampered = kContent;
            tampered.back() ^= 1;
            EXPECT_NE(testkit::openssl_cms_verify(der, &tampered).exit_code, 0)
                << "tampered content verified";
            expect_baseline(der, level);
        }
    }
}

TEST(Cades, EnvelopingCarriesTheContentAndVerifiesWithOpenssl) {
    for (const Level level : {Level::BB, Level::BT}) {
        CadesOptions o = options(level);
        o.algorithm = crypto::SignatureAlgorithm::rsa_pss(crypto::DigestAlgorithm::Sha256);
        const Bytes der = sign_cades(CadesContent::enveloping(kContent), *testkit::world().rsa, o);
        const cms::SignedData sd = cms::parse(der);
        ASSERT_TRUE(sd.content.has_value());
        EXPECT_EQ(*sd.content, kContent);
        EXPECT_EQ(sd.signer_infos.at(0).signature_algorithm, *o.algorithm);
        const auto v = testkit::openssl_cms_verify(der, nullptr);
        EXPECT_EQ(v.exit_code, 0) << name(level) << v.out << v.err;
        EXPECT_NE(v.err.find("Verification successful"), std::string::npos) << v.err;
        expect_baseline(der, level);
    }
}

TEST(Cades, DetachedFromAGivenDigestWithACommitmentType) {
    CadesOptions o = options(Level::BB);
    o.commitment_type = std::string{commitment::kProofOfOrigin};
    const ManualClock clock{TimePoint{std::chrono::seconds{1795000000}}};
    o.clock = &clock;
    const Bytes digest = crypto::digest(crypto::DigestAlgorithm::Sha256, kContent);
    const Bytes der = sign_cades(CadesContent::detached_digest(crypto::DigestAlgorithm::Sha256, digest),
                                 *testkit::world().ec, o);
    const auto v = testkit::openssl_cms_verify(der, &kContent);
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    const cms::SignedData sd = cms::parse(der);
    const auto& si = sd.signer_infos.at(0);
    const Bytes* commitment = si.signed_attribute(cms::oid::kCommitmentTypeIndication);
    ASSERT_NE(commitment, nullptr);
    EXPECT_NE(
        hex_encode(*commitment).find(hex_encode(crypto::encode_oid_content(commitment::kProofOfOrigin))),
        std::string::npos);
    // signing-time comes from the clock: UTCTime 261118110640Z.
    const Bytes* when = si.signed_attribute(cms::oid::kSigningTime);
    ASSERT_NE(when, nullptr);
    EXPECT_EQ(to_string(ByteView{*when}.subspan(2)), "261118110640Z");
    const auto printed =
        testing::run({"openssl", "cms", "-cmsout", "-print", "-inform", "DER"}, to_string(der));
    EXPECT_NE(printed.out.find("id-smime-cti-ets-proofOfOrigin"), std::string::npos) << printed.out;
}

TEST(Cades, RefusesADigestOfAnotherAlgorithmOrLengthAndBtWithoutAStamper) {
    auto& signer = *testkit::world().ec;
    const Bytes sha384 = crypto::digest(crypto::DigestAlgorithm::Sha384, kContent);
    for (const auto& content : {CadesContent::detached_digest(crypto::DigestAlgorithm::Sha384, sha384),
                                CadesContent::detached_digest(crypto::DigestAlgorithm::Sha256, sha384)}) {
        try {
            (void)sign_cades(content, signer, options(Level::BB));
            ADD_FAILURE() << "signed a digest that does not fit ECDSA-SHA256";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), Errc::InvalidRequest) << e.what();
        }
    }
    CadesOptions bt;
    bt.level = Level::BT;
    try {
        (void)sign_cades(CadesContent::enveloping(kContent), signer, bt);
        ADD_FAILURE() << "B-T without a time stamper";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::InvalidRequest) << e.what();
    }
}

}  // namespace
}  // namespace inkan::ades
