#include <gtest/gtest.h>

#include "test_helpers.h"
#include "token_impl.h"

namespace inkan::hsm {
namespace {

using test::TokenEnv;

class AesGcm : public ::testing::Test {
protected:
    void SetUp() override {
        if (m_key.empty()) {
            m_key = TokenEnv::get().token().generate_aes_key("wrap-key");
        }
    }
    Token& token() { return TokenEnv::get().token(); }
    static inline Bytes m_key;
};

TEST_F(AesGcm, RoundTripsWithAFreshIvEachTime) {
    const Bytes pt = to_bytes(std::string_view{"a PIN verifier, say"});
    const Bytes aad = to_bytes(std::string_view{"credential-42"});
    const Bytes a = token().encrypt_aes_gcm(m_key, pt, aad);
    const Bytes b = token().encrypt_aes_gcm(m_key, pt, aad);
    ASSERT_EQ(a.size(), 12 + pt.size() + 16);
    EXPECT_NE(a, b) << "IVs must differ";
    EXPECT_EQ(token().decrypt_aes_gcm(m_key, a, aad), pt);
    EXPECT_EQ(token().decrypt_aes_gcm(m_key, b, aad), pt);
}

TEST_F(AesGcm, RoundTripsEmptyPlaintextAndEmptyAad) {
    const Bytes sealed = token().encrypt_aes_gcm(m_key, {}, {});
    ASSERT_EQ(sealed.size(), 28U);
    EXPECT_TRUE(token().decrypt_aes_gcm(m_key, sealed, {}).empty());
}

TEST_F(AesGcm, TamperingIsInvalidAuthData) {
    const Bytes pt(100, 0x42);
    const Bytes aad = to_bytes(std::string_view{"aad"});
    const Bytes sealed = token().encrypt_aes_gcm(m_key, pt, aad);
    for (const std::size_t pos : {std::size_t{0}, std::size_t{12}, std::size_t{60}, sealed.size() - 1}) {
        Bytes bad = sealed;
        bad[pos] ^= 0x80;  // IV, ciphertext start, middle, tag
        INKAN_EXPECT_ERRC(token().decrypt_aes_gcm(m_key, bad, aad), Errc::InvalidAuthData);
    }
    INKAN_EXPECT_ERRC(token().decrypt_aes_gcm(m_key, sealed, to_bytes(std::string_view{"aaD"})),
                      Errc::InvalidAuthData);
    INKAN_EXPECT_ERRC(token().decrypt_aes_gcm(m_key, ByteView{sealed}.first(20), aad), Errc::InvalidAuthData);
    // The pool survives failed decryptions.
    EXPECT_EQ(token().decrypt_aes_gcm(m_key, sealed, aad), pt);
}

TEST_F(AesGcm, AnotherKeyIsInvalidAuthData) {
    const Bytes other = token().generate_aes_key("other-key", 128);
    const Bytes sealed = token().encrypt_aes_gcm(m_key, to_bytes(std::string_view{"x"}), {});
    INKAN_EXPECT_ERRC(token().decrypt_aes_gcm(other, sealed, {}), Errc::InvalidAuthData);
}

TEST_F(AesGcm, KeyIsNotExtractable) {
    const auto info = token().find(ObjectClass::SecretKey, m_key);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->sensitive, std::optional<bool>{true});
    EXPECT_EQ(info->extractable, std::optional<bool>{false});
    EXPECT_EQ(info->never_extractable, std::optional<bool>{true});
    EXPECT_EQ(info->bits, 256U);
    auto& impl = token().impl();
    const CK_RV rv = impl.with_session([&](const Session& s) {
        const auto key = impl.resolve(s, m_key, CKO_SECRET_KEY);
        CK_ATTRIBUTE a{CKA_VALUE, nullptr, 0};
        return impl.fn().C_GetAttributeValue(s.handle, key.handle, &a, 1);
    });
    EXPECT_EQ(rv, CKR_ATTRIBUTE_SENSITIVE) << ckr_name(rv);
}

TEST_F(AesGcm, RefusesKeysOfOtherTypesAndSizes) {
    const Bytes ec = token().generate_key_pair(KeySpec::EcP256, "not-aes");
    INKAN_EXPECT_ERRC(token().encrypt_aes_gcm(ec, Bytes(3, 1), {}),
                      Errc::NotFound);  // no secret key with that id
    INKAN_EXPECT_ERRC(token().generate_aes_key("odd", 100), Errc::InvalidRequest);
}

}  // namespace
}  // namespace inkan::hsm
