// The inkan-signer provider over a SoftwareSigner: no token needed (label `unit`). Every signature
// made through the provider is checked by OpenSSL's default provider with the public key alone.

#include <inkan/sign/provider.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>
#include <inkan/sign/software_signer.h>

#include "test_support.h"

namespace {

using inkan::Bytes;
using inkan::ByteView;
using inkan::Errc;
using inkan::crypto::Curve;
using inkan::crypto::DigestAlgorithm;
using inkan::crypto::KeyType;
using inkan::crypto::PrivateKey;
using inkan::crypto::PssParams;
using inkan::crypto::SignatureAlgorithm;
using inkan::sign::Signer;
using inkan::sign::SoftwareSigner;
using inkan::sign::provider::make_evp_pkey;
namespace ossl = inkan::ossl;
namespace test = inkan::sign::provider::testing;

enum class Spec { P256, P384, P521, Rsa2048 };

std::string spec_name(const ::testing::TestParamInfo<Spec>& info) {
    switch (info.param) {
        case Spec::P256:
            return "P256";
        case Spec::P384:
            return "P384";
        case Spec::P521:
            return "P521";
        case Spec::Rsa2048:
            return "Rsa2048";
    }
    return "unknown";
}

/// One software key per spec for the whole run (RSA key generation is the slow part).
const PrivateKey& private_key(Spec spec) {
    static const PrivateKey p256 = PrivateKey::generate_ec(Curve::P256);
    static const PrivateKey p384 = PrivateKey::generate_ec(Curve::P384);
    static const PrivateKey p521 = PrivateKey::generate_ec(Curve::P521);
    static const PrivateKey rsa = PrivateKey::generate_rsa(2048);
    switch (spec) {
        case Spec::P256:
            return p256;
        case Spec::P384:
            return p384;
        case Spec::P521:
            return p521;
        case Spec::Rsa2048:
            return rsa;
    }
    return p256;
}

std::shared_ptr<Signer> software_signer(Spec spec) {
    return std::make_shared<SoftwareSigner>(PrivateKey::from_pem(private_key(spec).pem()));
}

/// A Signer whose key is gone: every sign() fails, as an HSM key destroyed under a server would.
class FailingSigner final : public Signer {
public:
    explicit FailingSigner(inkan::crypto::PublicKey key) : m_key{std::move(key)} {}
    [[nodiscard]] std::vector<SignatureAlgorithm> algorithms() const override {
        return inkan::sign::default_algorithms(m_key.type());
    }
    [[nodiscard]] const inkan::crypto::PublicKey& public_key() const override { return m_key; }
    Bytes sign(const SignatureAlgorithm& /*alg*/, ByteView /*digest*/) override {
        throw inkan::Error{Errc::HsmFailure, "test: the key is gone"};
    }

private:
    inkan::crypto::PublicKey m_key;
};

/// A Signer that counts its calls and forwards them.
class CountingSigner final : public Signer {
public:
    explicit CountingSigner(std::shared_ptr<Signer> inner) : m_inner{std::move(inner)} {}
    [[nodiscard]] std::vector<SignatureAlgorithm> algorithms() const override {
        return m_inner->algorithms();
    }
    [[nodiscard]] const inkan::crypto::PublicKey& public_key() const override {
        return m_inner->public_key();
    }
    Bytes sign(const SignatureAlgorithm& alg, ByteView digest) override {
        ++m_calls;
        m_last = alg;
        return m_inner->sign(alg, digest);
    }
    std::atomic<int> m_calls{0};
    SignatureAlgorithm m_last;

private:
    std::shared_ptr<Signer> m_inner;
};

class ProviderKey : public ::testing::TestWithParam<Spec> {
protected:
    void SetUp() override {
        ::ERR_clear_error();
        m_signer = software_signer(GetParam());
        m_key = make_evp_pkey(m_signer);
        ASSERT_NE(m_key, nullptr);
    }
    void TearDown() override { EXPECT_EQ(test::drain_errors(), "") << "errors left on the OpenSSL queue"; }

    [[nodiscard]] EVP_PKEY* public_evp() const { return m_signer->public_key().native(); }
    [[nodiscard]] bool is_rsa() const { return GetParam() == Spec::Rsa2048; }

    std::shared_ptr<Signer> m_signer;
    ossl::PKey m_key;
};

TEST_P(ProviderKey, DescribesTheSignersPublicKey) {
    EXPECT_TRUE(inkan::sign::provider::is_signer_key(m_key.get()));
    EXPECT_FALSE(inkan::sign::provider::is_signer_key(public_evp()));
    EXPECT_EQ(::EVP_PKEY_get_bits(m_key.get()), ::EVP_PKEY_get_bits(public_evp()));
    EXPECT_EQ(::EVP_PKEY_get_security_bits(m_key.get()), ::EVP_PKEY_get_security_bits(public_evp()));
    EXPECT_EQ(::EVP_PKEY_get_size(m_key.get()), ::EVP_PKEY_get_size(public_evp()));
    if (is_rsa()) {
        EXPECT_EQ(::EVP_PKEY_get_bits(m_key.get()), 2048);
        EXPECT_EQ(::EVP_PKEY_get_security_bits(m_key.get()), 112);
        EXPECT_EQ(::EVP_PKEY_is_a(m_key.get(), "RSA"), 1);
        EXPECT_EQ(::EVP_PKEY_is_a(m_key.get(), "rsaEncryption"), 1);  // libssl's certificate slot lookup
        EXPECT_EQ(::EVP_PKEY_get_id(m_key.get()), EVP_PKEY_RSA);
        EXPECT_EQ(test::bn_param(m_key.get(), OSSL_PKEY_PARAM_RSA_N),
                  test::bn_param(public_evp(), OSSL_PKEY_PARAM_RSA_N));
        EXPECT_EQ(test::bn_param(m_key.get(), OSSL_PKEY_PARAM_RSA_E), "010001");
    } else {
        const int expected_bits = GetParam() == Spec::P256 ? 256 : GetParam() == Spec::P384 ? 384 : 521;
        EXPECT_EQ(::EVP_PKEY_get_bits(m_key.get()), expected_bits);
        EXPECT_EQ(::EVP_PKEY_is_a(m_key.get(), "EC"), 1);
        EXPECT_EQ(::EVP_PKEY_is_a(m_key.get(), "id-ecPublicKey"), 1);
        EXPECT_EQ(::EVP_PKEY_get_id(m_key.get()), EVP_PKEY_EC);
        char group[64] = {};
        std::size_t length = 0;
        ASSERT_EQ(::EVP_PKEY_get_group_name(m_key.get(), group, sizeof group, &length), 1);
        const std::string expected_group = GetParam() == Spec::P256   ? "prime256v1"
                                           : GetParam() == Spec::P384 ? "secp384r1"
                                                                      : "secp521r1";
        EXPECT_EQ(std::string(group, length), expected_group);
        EXPECT_EQ(test::octet_param(m_key.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY),
                  test::octet_param(public_evp(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY));
    }
    char digest[64] = {};
    // 1: advisory (other digests may be used), as for OpenSSL's own keys.
    ASSERT_EQ(::EVP_PKEY_get_default_digest_name(m_key.get(), digest, sizeof digest), 1);
    const std::string expected_digest = GetParam() == Spec::P384   ? "SHA2-384"
                                        : GetParam() == Spec::P521 ? "SHA2-512"
                                                                   : "SHA2-256";
    EXPECT_EQ(std::string{digest}, expected_digest);
}

TEST_P(ProviderKey, EqualsItsPublicKeyAndNoOther) {
    EXPECT_EQ(::EVP_PKEY_eq(m_key.get(), public_evp()), 1);
    EXPECT_EQ(::EVP_PKEY_eq(public_evp(), m_key.get()), 1);
    EXPECT_EQ(::EVP_PKEY_eq(m_key.get(), m_key.get()), 1);
    // The software private key itself (the default provider's export carries its private half).
    EXPECT_EQ(::EVP_PKEY_eq(private_key(GetParam()).native(), m_key.get()), 1);

    const Spec other_spec = is_rsa() ? Spec::P256 : Spec::Rsa2048;
    const ossl::PKey another_key = make_evp_pkey(software_signer(GetParam()));  // same key, new object
    EXPECT_EQ(::EVP_PKEY_eq(m_key.get(), another_key.get()), 1);
    const auto fresh = std::make_shared<SoftwareSigner>(is_rsa() ? PrivateKey::generate_rsa(2048)
                                                                 : PrivateKey::generate_ec(Curve::P256));
    EXPECT_NE(::EVP_PKEY_eq(m_key.get(), fresh->public_key().native()), 1);
    EXPECT_NE(::EVP_PKEY_eq(m_key.get(), private_key(other_spec).public_key().native()), 1);
    ::ERR_clear_error();  // comparing unrelated key types leaves a "different key types" error
}

TEST_P(ProviderKey, DigestSignVerifiesWithTheDefaultProvider) {
    const Bytes message = inkan::to_bytes("inkan provider: sign this message");
    for (const char* digest : {"SHA256", "SHA2-384", "sha512"}) {
        const Bytes signature = test::digest_sign(m_key.get(), digest, message);
        EXPECT_TRUE(test::digest_verify(public_evp(), digest, message, signature)) << digest;
        // The error queue stays clean on success: libssl's SSL_get_error() reads it.
        EXPECT_EQ(test::drain_errors(), "") << digest;
    }
}

TEST_P(ProviderKey, StreamingDigestSignMatchesOneShotDigest) {
    ossl::MdCtx ctx{::EVP_MD_CTX_new()};
    ASSERT_EQ(::EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, m_key.get(), nullptr),
              1);
    const std::string parts[] = {"first part, ", "second part, ", "third part"};
    std::string whole;
    for (const std::string& part : parts) {
        ASSERT_EQ(::EVP_DigestSignUpdate(ctx.get(), part.data(), part.size()), 1);
        whole += part;
    }
    std::size_t length = 0;
    ASSERT_EQ(::EVP_DigestSignFinal(ctx.get(), nullptr, &length), 1);
    Bytes signature(length);
    ASSERT_EQ(::EVP_DigestSignFinal(ctx.get(), signature.data(), &length), 1);
    signature.resize(length);
    EXPECT_TRUE(test::digest_verify(public_evp(), "SHA256", inkan::to_bytes(whole), signature));
    // The same signature over the digest, checked by inkan's own verifier.
    const Bytes digest = inkan::crypto::digest(DigestAlgorithm::Sha256, inkan::as_bytes(whole));
    const SignatureAlgorithm alg = is_rsa() ? SignatureAlgorithm::rsa_pkcs1(DigestAlgorithm::Sha256)
                                            : SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256);
    EXPECT_TRUE(m_signer->public_key().verify_digest(alg, digest, signature));
}

TEST_P(ProviderKey, SignsAPrecomputedDigest) {
    const Bytes digest = inkan::crypto::digest(DigestAlgorithm::Sha384, inkan::as_bytes("pre-hashed"));
    ossl::PKeyCtx ctx{::EVP_PKEY_CTX_new_from_pkey(nullptr, m_key.get(), nullptr)};
    ASSERT_NE(ctx, nullptr);
    ASSERT_EQ(::EVP_PKEY_sign_init(ctx.get()), 1);
    ASSERT_EQ(::EVP_PKEY_CTX_set_signature_md(ctx.get(), ::EVP_sha384()), 1);
    std::size_t length = 0;
    ASSERT_EQ(::EVP_PKEY_sign(ctx.get(), nullptr, &length, digest.data(), digest.size()), 1);
    EXPECT_EQ(length, static_cast<std::size_t>(::EVP_PKEY_get_size(m_key.get())));
    Bytes signature(length);
    ASSERT_EQ(::EVP_PKEY_sign(ctx.get(), signature.data(), &length, digest.data(), digest.size()), 1);
    signature.resize(length);
    const SignatureAlgorithm alg = is_rsa() ? SignatureAlgorithm::rsa_pkcs1(DigestAlgorithm::Sha384)
                                            : SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha384);
    EXPECT_TRUE(m_signer->public_key().verify_digest(alg, digest, signature));

    // A digest of the wrong length is refused before the Signer sees it.
    const Bytes short_digest(20, 0x11);
    length = signature.size();
    EXPECT_NE(::EVP_PKEY_sign(ctx.get(), signature.data(), &length, short_digest.data(), short_digest.size()),
              1);
    EXPECT_NE(test::drain_errors(), "");
}

TEST_P(ProviderKey, NeverExportsThePrivateKey) {
    unsigned char* der = nullptr;
    EXPECT_LE(::i2d_PrivateKey(m_key.get(), &der), 0);
    ::OPENSSL_free(der);
    ossl::Bio bio{::BIO_new(::BIO_s_mem())};
    EXPECT_NE(::PEM_write_bio_PrivateKey(bio.get(), m_key.get(), nullptr, nullptr, 0, nullptr, nullptr), 1);
    OSSL_PARAM* params = nullptr;
    EXPECT_NE(::EVP_PKEY_todata(m_key.get(), EVP_PKEY_KEYPAIR, &params), 1);
    ::OSSL_PARAM_free(params);
    params = nullptr;
    // No parameter query reveals a private half either.
    EXPECT_EQ(test::bn_param(m_key.get(), is_rsa() ? OSSL_PKEY_PARAM_RSA_D : OSSL_PKEY_PARAM_PRIV_KEY), "");
    ::ERR_clear_error();

    // The public key exports like any other.
    ASSERT_EQ(::EVP_PKEY_todata(m_key.get(), EVP_PKEY_PUBLIC_KEY, &params), 1);
    EXPECT_EQ(::OSSL_PARAM_locate(params, is_rsa() ? OSSL_PKEY_PARAM_RSA_D : OSSL_PKEY_PARAM_PRIV_KEY),
              nullptr);
    ::OSSL_PARAM_free(params);
    EXPECT_EQ(test::spki_der(m_key.get()), m_signer->public_key().spki_der());
}

TEST_P(ProviderKey, SignsAnX509CertificateThroughAlgorithmId) {
    // X509_sign asks the signature context for OSSL_SIGNATURE_PARAM_ALGORITHM_ID.
    const ossl::Cert cert = test::self_signed(m_key.get(), "SHA256");
    ASSERT_NE(cert, nullptr);
    EXPECT_EQ(::X509_verify(cert.get(), public_evp()), 1);
    const int nid = ::X509_get_signature_nid(cert.get());
    EXPECT_EQ(nid, is_rsa() ? NID_sha256WithRSAEncryption : NID_ecdsa_with_SHA256);
}

TEST_P(ProviderKey, KeepsTheSignerAliveAndSurvivesDuplication) {
    std::weak_ptr<Signer> weak = m_signer;
    m_signer.reset();
    EXPECT_FALSE(weak.expired());
    const ossl::PKey copy{::EVP_PKEY_dup(m_key.get())};
    ASSERT_NE(copy, nullptr);
    EVP_PKEY* public_key = weak.lock()->public_key().native();  // the key keeps the signer alive
    const Bytes message = inkan::to_bytes("after the signer handle is gone");
    EXPECT_TRUE(
        test::digest_verify(public_key, "SHA256", message, test::digest_sign(copy.get(), "SHA256", message)));
    m_key.reset();
    EXPECT_FALSE(weak.expired());  // the duplicate still holds it
}

TEST_P(ProviderKey, SignsFromManyThreadsAtOnce) {
    constexpr int kThreads = 4;
    constexpr int kSignaturesEach = 8;
    std::atomic<int> good{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kSignaturesEach; ++i) {
                const Bytes message =
                    inkan::to_bytes("thread " + std::to_string(t) + " message " + std::to_string(i));
                const Bytes signature = test::digest_sign(m_key.get(), "SHA256", message);
                if (test::digest_verify(public_evp(), "SHA256", message, signature)) {
                    ++good;
                }
            }
            ::ERR_clear_error();
        });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(good.load(), kThreads * kSignaturesEach);
}

INSTANTIATE_TEST_SUITE_P(Keys, ProviderKey,
                         ::testing::Values(Spec::P256, Spec::P384, Spec::P521, Spec::Rsa2048), spec_name);

// --- RSA padding parameters ---

struct PssCase {
    const char* name;
    int saltlen;  ///< what the caller sets (RSA_PSS_SALTLEN_* or bytes)
    std::size_t expected_salt;
};

class RsaPss : public ::testing::TestWithParam<PssCase> {};

TEST_P(RsaPss, SignsWithTheRequestedSaltAndVerifies) {
    const PssCase& c = GetParam();
    const auto counting = std::make_shared<CountingSigner>(software_signer(Spec::Rsa2048));
    const ossl::PKey key = make_evp_pkey(counting);
    const Bytes message = inkan::to_bytes("PSS through the provider");

    ossl::MdCtx ctx{::EVP_MD_CTX_new()};
    EVP_PKEY_CTX* pctx = nullptr;
    ASSERT_EQ(::EVP_DigestSignInit_ex(ctx.get(), &pctx, "SHA256", nullptr, nullptr, key.get(), nullptr), 1);
    // What libssl does for rsa_pss_rsae_* (TLS 1.3 CertificateVerify, TLS 1.2 ServerKeyExchange).
    ASSERT_EQ(::EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
    ASSERT_EQ(::EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, c.saltlen), 1);
    std::size_t length = 0;
    ASSERT_EQ(::EVP_DigestSign(ctx.get(), nullptr, &length, message.data(), message.size()), 1);
    Bytes signature(length);
    ASSERT_EQ(::EVP_DigestSign(ctx.get(), signature.data(), &length, message.data(), message.size()), 1);
    signature.resize(length);

    ASSERT_EQ(counting->m_calls.load(), 1);
    ASSERT_TRUE(counting->m_last.pss.has_value());
    EXPECT_EQ(counting->m_last.pss->salt_length, c.expected_salt);
    EXPECT_EQ(counting->m_last.pss->mgf1_hash, DigestAlgorithm::Sha256);

    const Bytes digest = inkan::crypto::digest(DigestAlgorithm::Sha256, message);
    EXPECT_TRUE(counting->public_key().verify_digest(
        SignatureAlgorithm::rsa_pss(
            PssParams{DigestAlgorithm::Sha256, DigestAlgorithm::Sha256, c.expected_salt}),
        digest, signature));
    EXPECT_TRUE(test::digest_verify(counting->public_key().native(), "SHA256", message, signature,
                                    RSA_PKCS1_PSS_PADDING, static_cast<int>(c.expected_salt)));
}

// 2048-bit modulus: emLen 256, SHA-256 → max salt 256 - 32 - 2 = 222.
INSTANTIATE_TEST_SUITE_P(
    Salts, RsaPss,
    ::testing::Values(PssCase{"digest", RSA_PSS_SALTLEN_DIGEST, 32}, PssCase{"max", RSA_PSS_SALTLEN_MAX, 222},
                      PssCase{"auto", RSA_PSS_SALTLEN_AUTO, 222}, PssCase{"twenty", 20, 20}),
    [](const ::testing::TestParamInfo<PssCase>& p) { return std::string{p.param.name}; });

TEST(RsaPadding, ParametersReadBackAndAlgorithmIdIsPss) {
    const ossl::PKey key = make_evp_pkey(software_signer(Spec::Rsa2048));
    ossl::MdCtx ctx{::EVP_MD_CTX_new()};
    EVP_PKEY_CTX* pctx = nullptr;
    ASSERT_EQ(::EVP_DigestSignInit_ex(ctx.get(), &pctx, "SHA384", nullptr, nullptr, key.get(), nullptr), 1);
    // The getters return the length of the translated parameter string on success (OpenSSL 3.0's
    // ctrl-to-param translation does so for its own keys too): > 0 is success.
    int padding = 0;
    ASSERT_GT(::EVP_PKEY_CTX_get_rsa_padding(pctx, &padding), 0);
    EXPECT_EQ(padding, RSA_PKCS1_PADDING);
    ASSERT_EQ(::EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
    ASSERT_EQ(::EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST), 1);
    ASSERT_EQ(::EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA256", nullptr), 1);
    ASSERT_GT(::EVP_PKEY_CTX_get_rsa_padding(pctx, &padding), 0);
    EXPECT_EQ(padding, RSA_PKCS1_PSS_PADDING);
    int saltlen = 0;
    ASSERT_GT(::EVP_PKEY_CTX_get_rsa_pss_saltlen(pctx, &saltlen), 0);
    EXPECT_EQ(saltlen, RSA_PSS_SALTLEN_DIGEST);

    const Bytes aid = test::algorithm_id(pctx);
    EXPECT_EQ(aid, inkan::crypto::algorithm_identifier(SignatureAlgorithm::rsa_pss(
                       PssParams{DigestAlgorithm::Sha384, DigestAlgorithm::Sha256, 48})));

    // Unsupported paddings are refused (the Signer cannot do raw RSA or X9.31).
    EXPECT_LE(::EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_NO_PADDING), 0);
    EXPECT_NE(test::drain_errors(), "");
}

TEST(RsaPadding, PssCertificateVerifies) {
    const auto signer = software_signer(Spec::Rsa2048);
    const ossl::PKey key = make_evp_pkey(signer);
    const ossl::Cert cert = test::self_signed(key.get(), "SHA256", /*pss=*/true);
    ASSERT_NE(cert, nullptr);
    EXPECT_EQ(::X509_get_signature_nid(cert.get()), NID_rsassaPss);
    EXPECT_EQ(::X509_verify(cert.get(), signer->public_key().native()), 1);
}

// --- Failures ---

TEST(ProviderFailures, ASignerFailureIsAnOpenSslErrorNotACrash) {
    ::ERR_clear_error();
    const auto failing = std::make_shared<FailingSigner>(private_key(Spec::P256).public_key());
    const ossl::PKey key = make_evp_pkey(failing);
    ossl::MdCtx ctx{::EVP_MD_CTX_new()};
    ASSERT_EQ(::EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key.get(), nullptr), 1);
    std::size_t length = 0;
    const std::string message = "doomed";
    ASSERT_EQ(::EVP_DigestSign(ctx.get(), nullptr, &length,
                               reinterpret_cast<const unsigned char*>(message.data()), message.size()),
              1);
    Bytes signature(length);
    EXPECT_NE(::EVP_DigestSign(ctx.get(), signature.data(), &length,
                               reinterpret_cast<const unsigned char*>(message.data()), message.size()),
              1);
    const std::string errors = test::drain_errors();
    EXPECT_NE(errors.find("inkan-signer"), std::string::npos) << errors;
    EXPECT_NE(errors.find("the key is gone"), std::string::npos) << errors;
    EXPECT_NE(errors.find("hsm_failure"), std::string::npos) << errors;
}

TEST(ProviderFailures, DigestsTheSignerRefusesFailAtInit) {
    ::ERR_clear_error();
    const ossl::PKey key = make_evp_pkey(software_signer(Spec::P256));
    ossl::MdCtx ctx{::EVP_MD_CTX_new()};
    // SHA-1 is not a signing digest for inkan; libssl probes this to pick its signature schemes.
    EXPECT_NE(::EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA1", nullptr, nullptr, key.get(), nullptr), 1);
    EXPECT_NE(test::drain_errors(), "");
    EXPECT_EQ(::EVP_PKEY_digestsign_supports_digest(key.get(), nullptr, "SHA1", nullptr), 0);
    EXPECT_EQ(::EVP_PKEY_digestsign_supports_digest(key.get(), nullptr, "SHA256", nullptr), 1);
    EXPECT_EQ(test::drain_errors(), "");  // that probe keeps the queue clean itself
}

TEST(ProviderFailures, APublicKeyImportedForComparisonCannotSign) {
    // EVP_PKEY_eq left an imported public key in the certificate's cache; it must not be a signer.
    ::ERR_clear_error();
    const ossl::PKey key = make_evp_pkey(software_signer(Spec::P256));
    ossl::PKeyCtx ctx{::EVP_PKEY_CTX_new_from_name(inkan::sign::provider::library_context(), "EC",
                                                   "provider=inkan-signer")};
    ASSERT_NE(ctx, nullptr);
    ASSERT_EQ(::EVP_PKEY_fromdata_init(ctx.get()), 1);
    OSSL_PARAM* params = nullptr;
    ASSERT_EQ(::EVP_PKEY_todata(private_key(Spec::P256).public_key().native(), EVP_PKEY_PUBLIC_KEY, &params),
              1);
    EVP_PKEY* raw = nullptr;
    ASSERT_EQ(::EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params), 1);
    ::OSSL_PARAM_free(params);
    const ossl::PKey imported{raw};
    EXPECT_EQ(::EVP_PKEY_eq(imported.get(), key.get()), 1);
    // OpenSSL hands a public key to the default provider (ours exports it), which cannot sign either.
    EXPECT_EQ(test::digest_sign(imported.get(), "SHA256", inkan::as_bytes("no private key")), Bytes{});
    EXPECT_NE(test::drain_errors(), "");
}

TEST(ProviderFailures, AForgedSignerTicketFindsNothing) {
    ::ERR_clear_error();
    ossl::PKeyCtx ctx{::EVP_PKEY_CTX_new_from_name(inkan::sign::provider::library_context(), "EC",
                                                   "provider=inkan-signer")};
    ASSERT_EQ(::EVP_PKEY_fromdata_init(ctx.get()), 1);
    std::uint64_t ticket = 987654321;
    OSSL_PARAM params[] = {::OSSL_PARAM_construct_uint64("inkan-signer-ticket", &ticket),
                           ::OSSL_PARAM_construct_end()};
    EVP_PKEY* raw = nullptr;
    EXPECT_NE(::EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_KEYPAIR, params), 1);
    EXPECT_EQ(raw, nullptr);
    EXPECT_NE(test::drain_errors(), "");
}

TEST(ProviderFailures, ANullSignerIsAnInvalidRequest) {
    try {
        (void)make_evp_pkey(nullptr);
        FAIL() << "no exception";
    } catch (const inkan::Error& e) {
        EXPECT_EQ(e.code(), Errc::InvalidRequest);
    }
}

// --- Isolation ---

TEST(ProviderIsolation, LivesInItsOwnLibraryContextOnly) {
    (void)make_evp_pkey(software_signer(Spec::P256));
    OSSL_LIB_CTX* own = inkan::sign::provider::library_context();
    ASSERT_NE(own, nullptr);
    EXPECT_EQ(::OSSL_PROVIDER_available(own, "inkan-signer"), 1);
    EXPECT_EQ(::OSSL_PROVIDER_available(own, "default"), 1);
    // The default library context never sees it: nobody else's fetch of "EC" or "ECDSA" can pick it.
    EXPECT_EQ(::OSSL_PROVIDER_available(nullptr, "inkan-signer"), 0);
    using KeyMgmt = ossl::Ptr<EVP_KEYMGMT, ::EVP_KEYMGMT_free>;
    using Signature = ossl::Ptr<EVP_SIGNATURE, ::EVP_SIGNATURE_free>;
    for (const char* name : {"EC", "RSA"}) {
        const KeyMgmt keymgmt{::EVP_KEYMGMT_fetch(nullptr, name, nullptr)};
        ASSERT_NE(keymgmt, nullptr) << name;
        EXPECT_STREQ(::OSSL_PROVIDER_get0_name(::EVP_KEYMGMT_get0_provider(keymgmt.get())), "default")
            << name;
    }
    for (const char* name : {"ECDSA", "RSA"}) {
        const Signature signature{::EVP_SIGNATURE_fetch(nullptr, name, nullptr)};
        ASSERT_NE(signature, nullptr) << name;
        EXPECT_STREQ(::OSSL_PROVIDER_get0_name(::EVP_SIGNATURE_get0_provider(signature.get())), "default")
            << name;
    }
    // In its own context, the key management is found only by asking for it.
    const KeyMgmt ours{::EVP_KEYMGMT_fetch(own, "EC", "provider=inkan-signer")};
    ASSERT_NE(ours, nullptr);
    EXPECT_STREQ(::OSSL_PROVIDER_get0_name(::EVP_KEYMGMT_get0_provider(ours.get())), "inkan-signer");
}

}  // namespace
