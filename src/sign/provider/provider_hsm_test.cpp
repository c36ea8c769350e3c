// The inkan-signer provider over an HsmSigner: keys generated in a SoftHSM token (non-extractable),
// used through plain EVP calls, checked by OpenSSL's default provider with the public key alone.

#include <inkan/sign/provider.h>

#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <inkan/crypto/digest.h>
#include <inkan/sign/hsm_signer.h>
#include <inkan/testing/softhsm.h>

#include "test_support.h"

namespace {

using inkan::Bytes;
using inkan::crypto::DigestAlgorithm;
using inkan::crypto::SignatureAlgorithm;
using inkan::hsm::KeySpec;
using inkan::sign::HsmSigner;
using inkan::sign::provider::make_evp_pkey;
namespace ossl = inkan::ossl;
namespace test = inkan::sign::provider::testing;

inkan::hsm::Token& shared_token() {
    static inkan::hsm::Token token{inkan::testing::SoftHsm::instance().make_token("provider")};
    return token;
}

std::string spec_name(const ::testing::TestParamInfo<KeySpec>& info) {
    return info.param == KeySpec::EcP256 ? "P256" : info.param == KeySpec::EcP384 ? "P384" : "Rsa2048";
}

class HsmProviderKey : public ::testing::TestWithParam<KeySpec> {
protected:
    void SetUp() override {
        ::ERR_clear_error();
        auto& token = shared_token();
        m_id = token.generate_key_pair(GetParam(), "provider-test");
        m_signer = std::make_shared<HsmSigner>(token, m_id);
        m_key = make_evp_pkey(m_signer);
        ASSERT_NE(m_key, nullptr);
        // SoftHSM's own OpenSSL initialisation (its engine config) leaves errors on this thread's queue.
        ::ERR_clear_error();
    }
    void TearDown() override { EXPECT_EQ(test::drain_errors(), "") << "errors left on the OpenSSL queue"; }

    [[nodiscard]] EVP_PKEY* public_evp() const { return m_signer->public_key().native(); }
    [[nodiscard]] bool is_rsa() const { return GetParam() == KeySpec::Rsa2048; }

    Bytes m_id;
    std::shared_ptr<HsmSigner> m_signer;
    ossl::PKey m_key;
};

TEST_P(HsmProviderKey, TheTokenKeyIsNotExtractable) {
    const auto info = shared_token().find(inkan::hsm::ObjectClass::PrivateKey, m_id);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->extractable, std::optional<bool>{false});
    EXPECT_EQ(info->sensitive, std::optional<bool>{true});
}

TEST_P(HsmProviderKey, DescribesTheTokenKey) {
    EXPECT_EQ(::EVP_PKEY_get_bits(m_key.get()), is_rsa() ? 2048 : GetParam() == KeySpec::EcP256 ? 256 : 384);
    EXPECT_EQ(::EVP_PKEY_get_security_bits(m_key.get()), is_rsa()                        ? 112
                                                         : GetParam() == KeySpec::EcP256 ? 128
                                                                                         : 192);
    EXPECT_EQ(::EVP_PKEY_get_size(m_key.get()), ::EVP_PKEY_get_size(public_evp()));
    if (!is_rsa()) {
        char group[64] = {};
        std::size_t length = 0;
        ASSERT_EQ(::EVP_PKEY_get_group_name(m_key.get(), group, sizeof group, &length), 1);
        EXPECT_EQ(std::string(group, length), GetParam() == KeySpec::EcP256 ? "prime256v1" : "secp384r1");
    }
    EXPECT_EQ(::EVP_PKEY_eq(m_key.get(), public_evp()), 1);
    EXPECT_EQ(::EVP_PKEY_eq(public_evp(), m_key.get()), 1);
    EXPECT_EQ(test::spki_der(m_key.get()), shared_token().public_key_spki(m_id));
}

TEST_P(HsmProviderKey, DigestSignSha256VerifiesWithThePublicKey) {
    const Bytes message = inkan::to_bytes("signed in SoftHSM through an OpenSSL provider");
    const Bytes signature = test::digest_sign(m_key.get(), "SHA256", message);
    ASSERT_FALSE(signature.empty()) << test::drain_errors();
    EXPECT_TRUE(test::digest_verify(public_evp(), "SHA256", message, signature));
    const Bytes digest = inkan::crypto::digest(DigestAlgorithm::Sha256, message);
    EXPECT_TRUE(
        m_signer->public_key().verify_digest(is_rsa() ? SignatureAlgorithm::rsa_pkcs1(DigestAlgorithm::Sha256)
                                                      : SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256),
                                             digest, signature));
}

TEST_P(HsmProviderKey, NeverExportsThePrivateKey) {
    unsigned char* der = nullptr;
    EXPECT_LE(::i2d_PrivateKey(m_key.get(), &der), 0);
    ::OPENSSL_free(der);
    ossl::Bio bio{::BIO_new(::BIO_s_mem())};
    EXPECT_NE(::PEM_write_bio_PrivateKey(bio.get(), m_key.get(), nullptr, nullptr, 0, nullptr, nullptr), 1);
    OSSL_PARAM* params = nullptr;
    EXPECT_NE(::EVP_PKEY_todata(m_key.get(), EVP_PKEY_KEYPAIR, &params), 1);
    ::OSSL_PARAM_free(params);
    ::ERR_clear_error();
}

TEST_P(HsmProviderKey, ADestroyedKeyFailsWithAnOpenSslError) {
    shared_token().destroy_key(m_id);
    const Bytes signature = test::digest_sign(m_key.get(), "SHA256", inkan::to_bytes("too late"));
    EXPECT_TRUE(signature.empty());
    const std::string errors = test::drain_errors();
    EXPECT_NE(errors.find("inkan-signer"), std::string::npos) << errors;
    EXPECT_NE(errors.find("digest_sign_final"), std::string::npos) << errors;
}

INSTANTIATE_TEST_SUITE_P(Keys, HsmProviderKey,
                         ::testing::Values(KeySpec::EcP256, KeySpec::EcP384, KeySpec::Rsa2048), spec_name);

TEST(HsmProviderRsa, PssWithDigestLengthSaltVerifies) {
    // What TLS 1.3 CertificateVerify asks for (rsa_pss_rsae_sha256): CKM_RSA_PKCS_PSS in the token.
    ::ERR_clear_error();
    auto& token = shared_token();
    const auto signer = std::make_shared<HsmSigner>(token, token.generate_key_pair(KeySpec::Rsa2048, "pss"));
    const ossl::PKey key = make_evp_pkey(signer);
    ::ERR_clear_error();
    const Bytes message = inkan::to_bytes("PSS in the token");
    ossl::MdCtx ctx{::EVP_MD_CTX_new()};
    EVP_PKEY_CTX* pctx = nullptr;
    ASSERT_EQ(::EVP_DigestSignInit_ex(ctx.get(), &pctx, "SHA256", nullptr, nullptr, key.get(), nullptr), 1);
    ASSERT_EQ(::EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
    ASSERT_EQ(::EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST), 1);
    std::size_t length = 0;
    ASSERT_EQ(::EVP_DigestSign(ctx.get(), nullptr, &length, message.data(), message.size()), 1);
    Bytes signature(length);
    ASSERT_EQ(::EVP_DigestSign(ctx.get(), signature.data(), &length, message.data(), message.size()), 1)
        << test::drain_errors();
    signature.resize(length);
    EXPECT_TRUE(test::digest_verify(signer->public_key().native(), "SHA256", message, signature,
                                    RSA_PKCS1_PSS_PADDING, RSA_PSS_SALTLEN_DIGEST));
    const Bytes digest = inkan::crypto::digest(DigestAlgorithm::Sha256, message);
    EXPECT_TRUE(signer->public_key().verify_digest(SignatureAlgorithm::rsa_pss(DigestAlgorithm::Sha256),
                                                   digest, signature));
    EXPECT_EQ(test::drain_errors(), "");
}

}  // namespace
