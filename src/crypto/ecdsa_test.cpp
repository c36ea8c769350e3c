#include <functional>
#include <string>

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>

#include <inkan/core/error.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/crypto/digest.h>
#include <inkan/crypto/ecdsa.h>
#include <inkan/crypto/keys.h>
#include <inkan/crypto/ossl.h>
#include <inkan/crypto/random.h>

#include "test_helpers.h"

namespace inkan::crypto {
namespace {

using test::hex;
using test::unhex;

Errc error_code_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.code();
    }
    return Errc::Internal;  // "no error"
}

/// r||s as OpenSSL's own ECDSA-Sig-Value parser sees `der`.
Bytes openssl_r_s(const Bytes& der, std::size_t field_bytes) {
    const unsigned char* p = der.data();
    const ossl::EcdsaSig sig{::d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()))};
    EXPECT_NE(sig, nullptr) << hex(der);
    if (!sig) return {};
    EXPECT_EQ(p, der.data() + der.size());
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ::ECDSA_SIG_get0(sig.get(), &r, &s);
    Bytes out(2 * field_bytes);
    EXPECT_EQ(::BN_bn2binpad(r, out.data(), static_cast<int>(field_bytes)), static_cast<int>(field_bytes));
    EXPECT_EQ(::BN_bn2binpad(s, out.data() + field_bytes, static_cast<int>(field_bytes)),
              static_cast<int>(field_bytes));
    return out;
}

/// ECDSA-Sig-Value as OpenSSL encodes r||s.
Bytes openssl_der(const Bytes& raw) {
    const std::size_t half = raw.size() / 2;
    ossl::EcdsaSig sig{::ECDSA_SIG_new()};
    BIGNUM* r = ::BN_bin2bn(raw.data(), static_cast<int>(half), nullptr);
    BIGNUM* s = ::BN_bin2bn(raw.data() + half, static_cast<int>(half), nullptr);
    EXPECT_EQ(::ECDSA_SIG_set0(sig.get(), r, s), 1);
    unsigned char* out = nullptr;
    const int len = ::i2d_ECDSA_SIG(sig.get(), &out);
    EXPECT_GT(len, 0);
    Bytes der{out, out + len};
    ::OPENSSL_free(out);
    return der;
}

TEST(Ecdsa, RawAndDerRoundTripLikeOpenSsl) {
    for (const std::size_t field : {std::size_t{32}, std::size_t{48}, std::size_t{66}}) {
        for (int i = 0; i < 50; ++i) {
            Bytes raw = random_bytes(2 * field);
            if (field == 66) {  // P-521 values have 521 bits: the top octet is 0 or 1
                raw[0] &= 0x01;
                raw[field] &= 0x01;
            }
            const Bytes der = ecdsa_raw_to_der(raw);
            EXPECT_EQ(hex(der), hex(openssl_der(raw))) << field;
            EXPECT_EQ(hex(openssl_r_s(der, field)), hex(raw)) << field;
            EXPECT_EQ(hex(ecdsa_der_to_raw(der, field)), hex(raw)) << field;
        }
    }
}

TEST(Ecdsa, PadsHighBitValuesWithAZeroOctet) {
    const Bytes raw = unhex(std::string(64, 'f') + "80" + std::string(62, '0'));
    const Bytes der = ecdsa_raw_to_der(raw);
    // SEQUENCE (70) { INTEGER (33) 00 ff.., INTEGER (33) 00 80 00.. }
    EXPECT_EQ(hex(der),
              "3046"
              "022100" +
                  std::string(64, 'f') + "022100" + "80" + std::string(62, '0'));
    EXPECT_EQ(hex(openssl_r_s(der, 32)), hex(raw));
    EXPECT_EQ(ecdsa_der_to_raw(der, 32), raw);
}

TEST(Ecdsa, StripsAndRestoresLeadingZeroOctets) {
    // r = 00 00 01 02 ..., s = 00 ... 00 7f: DER drops the zeros; the raw form restores them.
    Bytes raw(64, 0);
    for (std::size_t i = 2; i < 32; ++i)
        raw[i] = static_cast<std::uint8_t>(i - 1);
    raw[63] = 0x7f;
    const Bytes der = ecdsa_raw_to_der(raw);
    EXPECT_EQ(der[2], 0x02);
    EXPECT_EQ(der[3], 30) << "r is 30 octets once the two leading zeros go";
    EXPECT_EQ(hex(ByteView{der}.last(3)), "02017f");
    EXPECT_EQ(hex(der), hex(openssl_der(raw)));
    EXPECT_EQ(ecdsa_der_to_raw(der, 32), raw);
    // A zero s.
    Bytes zero_s(64, 0);
    zero_s[0] = 0x01;
    EXPECT_EQ(hex(ByteView{ecdsa_raw_to_der(zero_s)}.last(3)), "020100");
    EXPECT_EQ(ecdsa_der_to_raw(ecdsa_raw_to_der(zero_s), 32), zero_s);
}

TEST(Ecdsa, ConvertsRealSignatures) {
    for (const Curve c : {Curve::P256, Curve::P384, Curve::P521}) {
        const PrivateKey key = PrivateKey::generate_ec(c);
        const Bytes d = digest(DigestAlgorithm::Sha256, as_bytes("ecdsa"));
        const SignatureAlgorithm alg = SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256);
        const Bytes der = key.sign_digest(alg, d);
        const Bytes raw = ecdsa_der_to_raw(der, spec(c).field_bytes);
        EXPECT_EQ(raw.size(), 2 * spec(c).field_bytes);
        EXPECT_EQ(hex(ecdsa_raw_to_der(raw)), hex(der)) << spec(c).name;
        EXPECT_TRUE(key.public_key().verify_digest(alg, d, ecdsa_raw_to_der(raw)));
    }
}

TEST(Ecdsa, RejectsBadInput) {
    EXPECT_EQ(error_code_of([] { (void)ecdsa_raw_to_der({}); }), Errc::InvalidEncoding);
    EXPECT_EQ(error_code_of([] { (void)ecdsa_raw_to_der(Bytes(63, 1)); }), Errc::InvalidEncoding);
    const auto to_raw = [](std::string_view h, std::size_t field) {
        const Bytes der = unhex(h);
        return error_code_of([&] { (void)ecdsa_der_to_raw(der, field); });
    };
    EXPECT_EQ(to_raw("3006020101020101", 0), Errc::InvalidRequest) << "zero field length";
    EXPECT_NO_THROW((void)ecdsa_der_to_raw(unhex("3006020101020101"), 1)) << "the valid base case";
    EXPECT_EQ(to_raw("300602010102010100", 1), Errc::InvalidEncoding) << "trailing data";
    EXPECT_EQ(to_raw("3009020101020101020101", 1), Errc::InvalidEncoding) << "three integers";
    EXPECT_EQ(to_raw("3003020101", 1), Errc::InvalidEncoding) << "one integer";
    EXPECT_EQ(to_raw("30060201ff020101", 1), Errc::InvalidEncoding) << "negative r";
    EXPECT_EQ(to_raw("300702020001020101", 1), Errc::InvalidEncoding) << "non-minimal r";
    EXPECT_EQ(to_raw("3007020201000201 01", 1), Errc::InvalidEncoding) << "r longer than the field";
    EXPECT_EQ(to_raw("3106020101020101", 1), Errc::InvalidEncoding) << "SET";
    EXPECT_EQ(to_raw("3080020101020101 0000", 1), Errc::InvalidEncoding) << "indefinite length";
    EXPECT_EQ(to_raw("30060201010201", 1), Errc::InvalidEncoding) << "truncated";
    // 33-octet value with a leading 00 fits a 32-octet field (it is a sign octet).
    EXPECT_NO_THROW((void)ecdsa_der_to_raw(unhex("3026022100" + std::string(64, 'f') + "020101"), 32));
}

}  // namespace
}  // namespace inkan::crypto
