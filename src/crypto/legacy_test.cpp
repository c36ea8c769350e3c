// verify_legacy_digest: a SHA-1 signature made by OpenSSL itself verifies through the legacy path only;
// the ordinary path keeps refusing SHA-1.

#include <inkan/crypto/legacy.h>

#include <string_view>

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>

namespace inkan::crypto {
namespace {

/// A signature over `data` with SHA-1, by OpenSSL (inkan's own signing refuses SHA-1).
Bytes openssl_sha1_signature(const PrivateKey& key, ByteView data) {
    EVP_MD_CTX* ctx = ::EVP_MD_CTX_new();
    EXPECT_NE(ctx, nullptr);
    std::size_t len = 0;
    EXPECT_EQ(::EVP_DigestSignInit(ctx, nullptr, ::EVP_sha1(), nullptr, key.native()), 1);
    EXPECT_EQ(::EVP_DigestSign(ctx, nullptr, &len, data.data(), data.size()), 1);
    Bytes sig(len);
    EXPECT_EQ(::EVP_DigestSign(ctx, sig.data(), &len, data.data(), data.size()), 1);
    sig.resize(len);
    ::EVP_MD_CTX_free(ctx);
    return sig;
}

TEST(LegacyVerify, Sha1SignaturesVerifyOnlyThroughTheLegacyPath) {
    const Bytes data = to_bytes(std::string_view{"a legacy adbe.pkcs7.sha1 signature"});
    const Bytes d = digest(DigestAlgorithm::Sha1, data);
    for (const auto& [key, alg] :
         {std::pair{PrivateKey::generate_ec(Curve::P256), SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha1)},
          std::pair{PrivateKey::generate_rsa(2048), SignatureAlgorithm::rsa_pkcs1(DigestAlgorithm::Sha1)}}) {
        const Bytes sig = openssl_sha1_signature(key, data);
        const PublicKey pub = key.public_key();
        EXPECT_TRUE(verify_legacy_digest(pub, alg, d, sig)) << name(alg);
        Bytes other = d;
        other[0] ^= 1;
        EXPECT_FALSE(verify_legacy_digest(pub, alg, other, sig)) << name(alg);
        try {
            (void)pub.verify_digest(alg, d, sig);
            ADD_FAILURE() << name(alg) << " verified through the ordinary path";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), Errc::UnsupportedAlgorithm) << e.what();
        }
    }
}

}  // namespace
}  // namespace inkan::crypto
