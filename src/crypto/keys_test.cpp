#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>
#include <inkan/crypto/keys.h>

#include "test_helpers.h"

namespace inkan::crypto {
namespace {

using test::hex;
using D = DigestAlgorithm;

Errc error_code_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.code();
    }
    return Errc::Internal;  // "no error"
}

// Generated once: RSA key generation dominates the run time otherwise.
const PrivateKey& rsa_key() {
    static const PrivateKey key = PrivateKey::generate_rsa(2048);
    return key;
}
const PrivateKey& ec_key(Curve c) {
    static const PrivateKey p256 = PrivateKey::generate_ec(Curve::P256);
    static const PrivateKey p384 = PrivateKey::generate_ec(Curve::P384);
    static const PrivateKey p521 = PrivateKey::generate_ec(Curve::P521);
    switch (c) {
        case Curve::P256:
            return p256;
        case Curve::P384:
            return p384;
        case Curve::P521:
            return p521;
    }
    return p256;
}

constexpr std::array<D, 5> kSigningDigests{D::Sha256, D::Sha384, D::Sha512, D::Sha3_256, D::Sha3_512};

struct Scheme {
    const PrivateKey* key;
    SignatureAlgorithm alg;
    std::string label;
};

std::vector<Scheme> every_scheme() {
    std::vector<Scheme> out;
    for (const D d : kSigningDigests) {
        out.push_back({&rsa_key(), SignatureAlgorithm::rsa_pkcs1(d),
                       std::string{name(SignatureAlgorithm::rsa_pkcs1(d))}});
        out.push_back(
            {&rsa_key(), SignatureAlgorithm::rsa_pss(d), std::string{name(SignatureAlgorithm::rsa_pss(d))}});
        for (const Curve c : {Curve::P256, Curve::P384, Curve::P521}) {
            out.push_back(
                {&ec_key(c), SignatureAlgorithm::ecdsa(d),
                 std::string{name(SignatureAlgorithm::ecdsa(d))} + " " + std::string{spec(c).name}});
        }
    }
    out.push_back({&rsa_key(), SignatureAlgorithm::rsa_pss(PssParams{D::Sha256, D::Sha512, 0}),
                   "PSS mgf1-sha512 salt 0"});
    out.push_back({&rsa_key(), SignatureAlgorithm::rsa_pss(PssParams{D::Sha384, D::Sha256, 20}),
                   "PSS mgf1-sha256 salt 20"});
    return out;
}

/// The PKCS#1 v1.5 encoded message inside an RSA signature (raw RSA public operation, padding removed).
Bytes recover_pkcs1(const PublicKey& pub, const Bytes& sig) {
    const ossl::PKeyCtx ctx{::EVP_PKEY_CTX_new_from_pkey(nullptr, pub.native(), nullptr)};
    EXPECT_EQ(::EVP_PKEY_verify_recover_init(ctx.get()), 1);
    EXPECT_EQ(::EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING), 1);
    std::size_t len = 0;
    EXPECT_EQ(::EVP_PKEY_verify_recover(ctx.get(), nullptr, &len, sig.data(), sig.size()), 1);
    Bytes out(len);
    EXPECT_EQ(::EVP_PKEY_verify_recover(ctx.get(), out.data(), &len, sig.data(), sig.size()), 1);
    out.resize(len);
    return out;
}

TEST(Keys, SignAndVerifyEverySupportedScheme) {
    for (const Scheme& s : every_scheme()) {
        const PublicKey pub = s.key->public_key();
        const Bytes d = digest(s.alg.digest, as_bytes("inkan: " + s.label));
        const Bytes sig = s.key->sign_digest(s.alg, d);
        EXPECT_TRUE(pub.verify_digest(s.alg, d, sig)) << s.label;
        if (s.alg.key_type == KeyType::Rsa) {
            EXPECT_EQ(sig.size(), 256U) << s.label;
        }
        if (s.alg.padding == Padding::Pkcs1v15) {
            // OpenSSL built the DigestInfo from the signature digest: it equals ours.
            EXPECT_EQ(hex(recover_pkcs1(pub, sig)), hex(digest_info(s.alg.digest, d))) << s.label;
        }

        Bytes tampered = sig;
        tampered[tampered.size() / 2] ^= 0x01;
        EXPECT_FALSE(pub.verify_digest(s.alg, d, tampered)) << s.label;
        Bytes other = d;
        other[0] ^= 0x80;
        EXPECT_FALSE(pub.verify_digest(s.alg, other, sig)) << s.label;
        EXPECT_EQ(::ERR_peek_error(), 0UL)
            << s.label << ": a failed verification leaves the error queue empty";
    }
}

TEST(Keys, PssParametersMustMatchToVerify) {
    const Bytes d = digest(D::Sha256, as_bytes("pss"));
    const Bytes sig = rsa_key().sign_digest(SignatureAlgorithm::rsa_pss(D::Sha256), d);
    const PublicKey pub = rsa_key().public_key();
    EXPECT_TRUE(pub.verify_digest(SignatureAlgorithm::rsa_pss(D::Sha256), d, sig));
    EXPECT_FALSE(pub.verify_digest(SignatureAlgorithm::rsa_pss(PssParams{D::Sha256, D::Sha256, 20}), d, sig));
    EXPECT_FALSE(pub.verify_digest(SignatureAlgorithm::rsa_pss(PssParams{D::Sha256, D::Sha384, 32}), d, sig));
    EXPECT_FALSE(pub.verify_digest(SignatureAlgorithm::rsa_pkcs1(D::Sha256), d, sig));
    // PSS is randomised (non-zero salt).
    EXPECT_NE(sig, rsa_key().sign_digest(SignatureAlgorithm::rsa_pss(D::Sha256), d));
}

TEST(Keys, WrongSignatureIsFalseNotAnError) {
    const PublicKey pub = ec_key(Curve::P256).public_key();
    const SignatureAlgorithm alg = SignatureAlgorithm::ecdsa(D::Sha256);
    const Bytes d(32, 0x42);
    EXPECT_FALSE(pub.verify_digest(alg, d, {}));
    EXPECT_FALSE(pub.verify_digest(alg, d, Bytes(72, 0x30)));                          // not DER
    EXPECT_FALSE(pub.verify_digest(alg, d, ec_key(Curve::P384).sign_digest(alg, d)));  // other key
    const PublicKey rsa = rsa_key().public_key();
    EXPECT_FALSE(rsa.verify_digest(SignatureAlgorithm::rsa_pkcs1(D::Sha256), d, Bytes(256, 0x00)));
    EXPECT_FALSE(rsa.verify_digest(SignatureAlgorithm::rsa_pkcs1(D::Sha256), d, Bytes(255, 0x01)));
    EXPECT_EQ(::ERR_peek_error(), 0UL);
}

TEST(Keys, RefusesMismatchedAlgorithmsAndDigestLengths) {
    const Bytes d32(32, 1);
    const PublicKey rsa = rsa_key().public_key();
    const PublicKey ec = ec_key(Curve::P256).public_key();
    EXPECT_EQ(error_code_of([&] { (void)rsa.verify_digest(SignatureAlgorithm::ecdsa(D::Sha256), d32, {}); }),
              Errc::UnsupportedAlgorithm);
    EXPECT_EQ(
        error_code_of([&] { (void)ec.verify_digest(SignatureAlgorithm::rsa_pkcs1(D::Sha256), d32, {}); }),
        Errc::UnsupportedAlgorithm);
    EXPECT_EQ(error_code_of([&] {
                  (void)ec_key(Curve::P256).sign_digest(SignatureAlgorithm::rsa_pss(D::Sha256), d32);
              }),
              Errc::UnsupportedAlgorithm);
    EXPECT_EQ(error_code_of([&] { (void)rsa_key().sign_digest(SignatureAlgorithm::ecdsa(D::Sha256), d32); }),
              Errc::UnsupportedAlgorithm);
    EXPECT_EQ(error_code_of(
                  [&] { (void)rsa_key().sign_digest(SignatureAlgorithm::rsa_pkcs1(D::Sha1), Bytes(20, 1)); }),
              Errc::UnsupportedAlgorithm);
    EXPECT_EQ(
        error_code_of([&] {
            (void)rsa_key().sign_digest(SignatureAlgorithm{KeyType::Rsa, Padding::Pss, D::Sha256, {}}, d32);
        }),
        Errc::UnsupportedAlgorithm);
    EXPECT_EQ(
        error_code_of([&] { (void)rsa_key().sign_digest(SignatureAlgorithm::rsa_pkcs1(D::Sha384), d32); }),
        Errc::InvalidRequest);
    EXPECT_EQ(error_code_of(
                  [&] { (void)ec_key(Curve::P256).sign_digest(SignatureAlgorithm::ecdsa(D::Sha256), {}); }),
              Errc::InvalidRequest);
    EXPECT_EQ(error_code_of(
                  [&] { (void)ec.verify_digest(SignatureAlgorithm::ecdsa(D::Sha512), d32, Bytes(8, 0)); }),
              Errc::InvalidRequest);
}

// ---------------------------------------------------------------- the openssl CLI as oracle

struct CliCase {
    const PrivateKey* key;
    SignatureAlgorithm alg;
    std::vector<std::string> pkeyopts;
};

std::vector<CliCase> cli_cases() {
    return {
        {&rsa_key(), SignatureAlgorithm::rsa_pkcs1(D::Sha256), {"digest:sha256"}},
        {&rsa_key(), SignatureAlgorithm::rsa_pkcs1(D::Sha512), {"digest:sha512"}},
        {&rsa_key(), SignatureAlgorithm::rsa_pkcs1(D::Sha3_256), {"digest:sha3-256"}},
        {&rsa_key(),
         SignatureAlgorithm::rsa_pss(D::Sha256),
         {"digest:sha256", "rsa_padding_mode:pss", "rsa_pss_saltlen:32"}},
        {&rsa_key(),
         SignatureAlgorithm::rsa_pss(D::Sha384),
         {"digest:sha384", "rsa_padding_mode:pss", "rsa_pss_saltlen:48"}},
        {&rsa_key(),
         SignatureAlgorithm::rsa_pss(PssParams{D::Sha256, D::Sha512, 20}),
         {"digest:sha256", "rsa_padding_mode:pss", "rsa_pss_saltlen:20", "rsa_mgf1_md:sha512"}},
        {&ec_key(Curve::P256), SignatureAlgorithm::ecdsa(D::Sha256), {"digest:sha256"}},
        {&ec_key(Curve::P384), SignatureAlgorithm::ecdsa(D::Sha384), {"digest:sha384"}},
        {&ec_key(Curve::P521), SignatureAlgorithm::ecdsa(D::Sha512), {"digest:sha512"}},
        {&ec_key(Curve::P256), SignatureAlgorithm::ecdsa(D::Sha3_256), {"digest:sha3-256"}},
    };
}

std::vector<std::string> with_pkeyopts(std::vector<std::string> argv, const std::vector<std::string>& opts) {
    for (const std::string& o : opts) {
        argv.emplace_back("-pkeyopt");
        argv.push_back(o);
    }
    return argv;
}

TEST(Keys, VerifiesSignaturesMadeByOpensslPkeyutl) {
    const inkan::testing::TempDir dir{"inkan-crypto-keys"};
    for (const CliCase& c : cli_cases()) {
        const std::string label{name(c.alg)};
        const Bytes d = digest(c.alg.digest, as_bytes("signed by openssl"));
        inkan::testing::write_file(dir / "key.pem", c.key->pem());
        inkan::testing::write_file(dir / "digest.bin", d);
        const auto r = inkan::testing::run(
            with_pkeyopts({"openssl", "pkeyutl", "-sign", "-inkey", (dir / "key.pem").string(), "-in",
                           (dir / "digest.bin").string(), "-out", (dir / "sig.bin").string()},
                          c.pkeyopts));
        ASSERT_EQ(r.exit_code, 0) << label << ": " << r.err;
        const Bytes sig = inkan::testing::read_file(dir / "sig.bin");
        const PublicKey pub = c.key->public_key();
        EXPECT_TRUE(pub.verify_digest(c.alg, d, sig)) << label;
        Bytes tampered = sig;
        tampered.back() ^= 0x01;
        EXPECT_FALSE(pub.verify_digest(c.alg, d, tampered)) << label;
    }
}

TEST(Keys, OpensslPkeyutlVerifiesOurSignatures) {
    const inkan::testing::TempDir dir{"inkan-crypto-keys"};
    for (const CliCase& c : cli_cases()) {
        const std::string label{name(c.alg)};
        const Bytes d = digest(c.alg.digest, as_bytes("signed by inkan"));
        const Bytes sig = c.key->sign_digest(c.alg, d);
        inkan::testing::write_file(dir / "pub.pem", c.key->public_key().pem());
        inkan::testing::write_file(dir / "digest.bin", d);
        inkan::testing::write_file(dir / "sig.bin", sig);
        const auto verify = [&] {
            return inkan::testing::run(with_pkeyopts(
                {"openssl", "pkeyutl", "-verify", "-pubin", "-inkey", (dir / "pub.pem").string(), "-sigfile",
                 (dir / "sig.bin").string(), "-in", (dir / "digest.bin").string()},
                c.pkeyopts));
        };
        const auto ok = verify();
        EXPECT_EQ(ok.exit_code, 0) << label << ": " << ok.out << ok.err;
        EXPECT_NE(ok.out.find("Signature Verified Successfully"), std::string::npos)
            << label << ": " << ok.out;
        // The oracle can say no: a tampered signature fails.
        Bytes tampered = sig;
        tampered[tampered.size() / 2] ^= 0x01;
        inkan::testing::write_file(dir / "sig.bin", tampered);
        EXPECT_NE(verify().exit_code, 0) << label;
    }
}

// ---------------------------------------------------------------- encodings and properties

TEST(Keys, SpkiAndPemRoundTrip) {
    const std::vector<const PrivateKey*> keys{&rsa_key(), &ec_key(Curve::P256), &ec_key(Curve::P384),
                                              &ec_key(Curve::P521)};
    for (const PrivateKey* k : keys) {
        const PublicKey pub = k->public_key();
        const PublicKey from_der = PublicKey::from_spki(pub.spki_der());
        const PublicKey from_pem = PublicKey::from_pem(pub.pem());
        EXPECT_TRUE(from_der.same_key(pub));
        EXPECT_TRUE(from_pem.same_key(pub));
        EXPECT_EQ(from_der.spki_der(), pub.spki_der());
        EXPECT_EQ(from_pem.type(), pub.type());
        EXPECT_EQ(pub.pem().rfind("-----BEGIN PUBLIC KEY-----\n", 0), 0U) << pub.pem();

        const std::string pem = k->pem();
        EXPECT_EQ(pem.rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0U) << "PKCS#8";
        const PrivateKey reloaded = PrivateKey::from_pem(pem);
        EXPECT_EQ(reloaded.type(), k->type());
        EXPECT_TRUE(reloaded.public_key().same_key(pub));
    }
}

TEST(Keys, ReportTypeBitsAndCurve) {
    const PublicKey rsa = rsa_key().public_key();
    EXPECT_EQ(rsa.type(), KeyType::Rsa);
    EXPECT_EQ(rsa.bits(), 2048U);
    EXPECT_FALSE(rsa.curve().has_value());
    for (const auto& [c, bits] :
         {std::pair{Curve::P256, 256U}, std::pair{Curve::P384, 384U}, std::pair{Curve::P521, 521U}}) {
        const PublicKey pub = ec_key(c).public_key();
        EXPECT_EQ(pub.type(), KeyType::Ec);
        EXPECT_EQ(pub.bits(), bits);
        EXPECT_EQ(pub.curve(), c);
        EXPECT_EQ(ec_key(c).type(), KeyType::Ec);
    }
}

TEST(Keys, SameKeyDistinguishesKeys) {
    EXPECT_TRUE(rsa_key().public_key().same_key(rsa_key().public_key()));
    EXPECT_FALSE(rsa_key().public_key().same_key(ec_key(Curve::P256).public_key()));
    EXPECT_FALSE(
        ec_key(Curve::P256).public_key().same_key(PrivateKey::generate_ec(Curve::P256).public_key()));
    EXPECT_EQ(::ERR_peek_error(), 0UL);
}

bool has_bn_param(EVP_PKEY* key, const char* param) {
    BIGNUM* bn = nullptr;
    const bool found = ::EVP_PKEY_get_bn_param(key, param, &bn) == 1;
    ::BN_clear_free(bn);
    ::ERR_clear_error();
    return found;
}

TEST(Keys, PublicKeyHoldsNoPrivateMaterial) {
    // The private halves are there in the PrivateKey and absent from its PublicKey.
    EXPECT_TRUE(has_bn_param(ec_key(Curve::P256).native(), OSSL_PKEY_PARAM_PRIV_KEY));
    EXPECT_FALSE(has_bn_param(ec_key(Curve::P256).public_key().native(), OSSL_PKEY_PARAM_PRIV_KEY));
    EXPECT_TRUE(has_bn_param(rsa_key().native(), OSSL_PKEY_PARAM_RSA_D));
    EXPECT_FALSE(has_bn_param(rsa_key().public_key().native(), OSSL_PKEY_PARAM_RSA_D));
    EXPECT_TRUE(has_bn_param(rsa_key().public_key().native(), OSSL_PKEY_PARAM_RSA_N));
}

TEST(Keys, FromEvpTakesItsOwnReference) {
    EVP_PKEY* raw = ::EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "prime256v1");
    ASSERT_NE(raw, nullptr);
    const PublicKey pub = PublicKey::from_evp(raw);
    ::EVP_PKEY_free(raw);  // ours is gone; the PublicKey still holds one
    EXPECT_EQ(pub.curve(), Curve::P256);
    EXPECT_EQ(PublicKey::from_spki(pub.spki_der()).bits(), 256U);
}

ossl::PKey keygen(const char* type, const char* group) {
    return ossl::PKey{group != nullptr ? ::EVP_PKEY_Q_keygen(nullptr, nullptr, type, group)
                                       : ::EVP_PKEY_Q_keygen(nullptr, nullptr, type)};
}

Bytes spki_of(EVP_PKEY* key) {
    unsigned char* out = nullptr;
    const int len = ::i2d_PUBKEY(key, &out);
    EXPECT_GT(len, 0);
    Bytes der{out, out + len};
    ::OPENSSL_free(out);
    return der;
}

TEST(Keys, RefusesUnsupportedAndMalformedKeys) {
    const ossl::PKey ed25519 = keygen("ED25519", nullptr);
    const ossl::PKey k1 = keygen("EC", "secp256k1");
    ASSERT_NE(ed25519, nullptr);
    ASSERT_NE(k1, nullptr);
    EXPECT_EQ(error_code_of([&] { (void)PublicKey::from_spki(spki_of(ed25519.get())); }),
              Errc::UnsupportedAlgorithm);
    EXPECT_EQ(error_code_of([&] { (void)PublicKey::from_spki(spki_of(k1.get())); }),
              Errc::UnsupportedAlgorithm);
    EXPECT_EQ(error_code_of([&] { (void)PublicKey::from_evp(ed25519.get()); }), Errc::UnsupportedAlgorithm);

    Bytes spki = rsa_key().public_key().spki_der();
    EXPECT_EQ(error_code_of([&] { (void)PublicKey::from_spki(ByteView{spki}.first(spki.size() - 1)); }),
              Errc::InvalidEncoding);
    spki.push_back(0x00);
    EXPECT_EQ(error_code_of([&] { (void)PublicKey::from_spki(spki); }), Errc::InvalidEncoding)
        << "trailing data";
    EXPECT_EQ(error_code_of([] { (void)PublicKey::from_spki({}); }), Errc::InvalidEncoding);
    EXPECT_EQ(error_code_of([] { (void)PublicKey::from_spki(Bytes(40, 0x30)); }), Errc::InvalidEncoding);
    EXPECT_EQ(error_code_of([] {
                  (void)PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
              }),
              Errc::InvalidEncoding);
    EXPECT_EQ(error_code_of([] { (void)PrivateKey::from_pem("not a key"); }), Errc::InvalidEncoding);
    EXPECT_EQ(error_code_of([] { (void)PrivateKey::generate_rsa(1024); }), Errc::InvalidRequest);
    EXPECT_EQ(::ERR_peek_error(), 0UL) << "errors were drained into the exceptions";
}

TEST(Keys, LoadsKeysWrittenByTheOpensslCli) {
    const inkan::testing::TempDir dir{"inkan-crypto-keys"};
    const auto gen = [&](const std::vector<std::string>& argv) {
        const auto r = inkan::testing::run(argv);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return to_string(inkan::testing::read_file(dir / "k.pem"));
    };
    const std::string out = (dir / "k.pem").string();
    // PKCS#8, SEC 1 ("EC PRIVATE KEY") and an encrypted one, which must fail rather than prompt.
    const std::string p8 =
        gen({"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", out});
    EXPECT_EQ(PrivateKey::from_pem(p8).public_key().curve(), Curve::P384);
    const std::string sec1 =
        gen({"openssl", "ecparam", "-name", "secp521r1", "-genkey", "-noout", "-out", out});
    EXPECT_NE(sec1.find("BEGIN EC PRIVATE KEY"), std::string::npos);
    EXPECT_EQ(PrivateKey::from_pem(sec1).public_key().curve(), Curve::P521);
    const std::string enc =
        gen({"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes-128-cbc",
             "-pass", "pass:secret", "-out", out});
    EXPECT_NE(enc.find("ENCRYPTED"), std::string::npos);
    EXPECT_EQ(error_code_of([&] { (void)PrivateKey::from_pem(enc); }), Errc::InvalidEncoding);
}

}  // namespace
}  // namespace inkan::crypto
