#include <algorithm>

#include <gtest/gtest.h>

#include "test_helpers.h"

namespace inkan::hsm {
namespace {

using crypto::DigestAlgorithm;
using crypto::SignatureAlgorithm;
using test::TokenEnv;

struct SignCase {
    KeySpec key;
    SignatureAlgorithm alg;
};

std::string case_name(const SignCase& c) {
    std::string n = std::string{name(c.key)} + "_" + std::string{crypto::name(c.alg)};
    std::replace_if(
        n.begin(), n.end(), [](char ch) { return !std::isalnum(static_cast<unsigned char>(ch)); }, '_');
    return n;
}

/// Verifies with the openssl CLI (an oracle we did not write). Returns pkeyutl's stdout + stderr.
testing::CommandResult openssl_verify(const crypto::PublicKey& key, const SignatureAlgorithm& alg,
                                      ByteView digest, ByteView sig) {
    testing::TempDir dir{"inkan-sign"};
    testing::write_file(dir / "pub.pem", key.pem());
    testing::write_file(dir / "digest.bin", digest);
    testing::write_file(dir / "sig.bin", sig);
    std::vector<std::string> argv{"openssl",  "pkeyutl",
                                  "-verify",  "-pubin",
                                  "-inkey",   (dir / "pub.pem").string(),
                                  "-in",      (dir / "digest.bin").string(),
                                  "-sigfile", (dir / "sig.bin").string()};
    if (alg.padding == crypto::Padding::Pss) {
        argv.insert(argv.end(),
                    {"-pkeyopt", "rsa_padding_mode:pss", "-pkeyopt",
                     "rsa_pss_saltlen:" + std::to_string(alg.pss->salt_length), "-pkeyopt",
                     "rsa_mgf1_md:" + std::string{crypto::spec(alg.pss->mgf1_hash).openssl_name}});
    }
    argv.insert(argv.end(), {"-pkeyopt", "digest:" + std::string{crypto::spec(alg.digest).openssl_name}});
    return testing::run(argv);
}

class Signing : public ::testing::TestWithParam<SignCase> {};

TEST_P(Signing, ProducesASignatureThatVerifiesInProcessAndWithOpenssl) {
    const SignCase& c = GetParam();
    auto& env = TokenEnv::get();
    const Bytes& id = env.key(c.key);
    const Bytes digest = crypto::digest(c.alg.digest, as_bytes("inkan signs this"));

    Bytes sig;
    try {
        sig = env.token().sign(id, c.alg, digest);
    } catch (const Error& e) {
        const bool sha3 =
            c.alg.digest == DigestAlgorithm::Sha3_256 || c.alg.digest == DigestAlgorithm::Sha3_512;
        if (e.code() == Errc::UnsupportedAlgorithm && c.alg.padding == crypto::Padding::Pss && sha3) {
            GTEST_SKIP() << "the module does not implement RSASSA-PSS with SHA-3 (" << e.what() << ")";
        }
        throw;
    }
    const auto key = crypto::PublicKey::from_spki(env.token().public_key_spki(id));
    EXPECT_TRUE(key.verify_digest(c.alg, digest, sig));

    Bytes tampered = digest;
    tampered[0] ^= 0x01;
    EXPECT_FALSE(key.verify_digest(c.alg, tampered, sig));

    const auto ok = openssl_verify(key, c.alg, digest, sig);
    EXPECT_NE(ok.out.find("Signature Verified Successfully"), std::string::npos) << ok.out << ok.err;
    EXPECT_EQ(ok.exit_code, 0);
    const auto bad = openssl_verify(key, c.alg, tampered, sig);
    EXPECT_EQ(bad.out.find("Signature Verified Successfully"), std::string::npos) << bad.out << bad.err;
    EXPECT_NE(bad.exit_code, 0);
}

std::vector<SignCase> sign_cases() {
    std::vector<SignCase> cases;
    for (const auto d : {DigestAlgorithm::Sha256, DigestAlgorithm::Sha384, DigestAlgorithm::Sha512,
                         DigestAlgorithm::Sha3_256, DigestAlgorithm::Sha3_512}) {
        cases.push_back({KeySpec::Rsa2048, SignatureAlgorithm::rsa_pkcs1(d)});
    }
    for (const auto d : {DigestAlgorithm::Sha256, DigestAlgorithm::Sha384, DigestAlgorithm::Sha512,
                         DigestAlgorithm::Sha3_256, DigestAlgorithm::Sha3_512}) {
        cases.push_back({KeySpec::Rsa2048, SignatureAlgorithm::rsa_pss(d)});
    }
    for (const auto k : {KeySpec::EcP256, KeySpec::EcP384, KeySpec::EcP521}) {
        for (const auto d : {DigestAlgorithm::Sha256, DigestAlgorithm::Sha384, DigestAlgorithm::Sha512}) {
            cases.push_back({k, SignatureAlgorithm::ecdsa(d)});
        }
    }
    return cases;
}

INSTANTIATE_TEST_SUITE_P(EveryMechanism, Signing, ::testing::ValuesIn(sign_cases()),
                         [](const auto& param_info) { return case_name(param_info.param); });

TEST(Signing, RsaPssWithAShorterSaltVerifies) {
    auto& env = TokenEnv::get();
    const auto alg =
        SignatureAlgorithm::rsa_pss(crypto::PssParams{DigestAlgorithm::Sha256, DigestAlgorithm::Sha256, 20});
    const Bytes digest = crypto::digest(DigestAlgorithm::Sha256, as_bytes("salt"));
    const Bytes sig = env.token().sign(env.key(KeySpec::Rsa2048), alg, digest);
    const auto key = crypto::PublicKey::from_spki(env.token().public_key_spki(env.key(KeySpec::Rsa2048)));
    EXPECT_TRUE(key.verify_digest(alg, digest, sig));
    const auto r = openssl_verify(key, alg, digest, sig);
    EXPECT_NE(r.out.find("Signature Verified Successfully"), std::string::npos) << r.out << r.err;
}

TEST(Signing, RefusesADigestOfTheWrongLength) {
    auto& env = TokenEnv::get();
    const Bytes short_digest(31, 0xab);
    INKAN_EXPECT_ERRC(env.token().sign(env.key(KeySpec::EcP256),
                                       SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256), short_digest),
                      Errc::InvalidRequest);
    INKAN_EXPECT_ERRC(env.token().sign(env.key(KeySpec::Rsa2048),
                                       SignatureAlgorithm::rsa_pkcs1(DigestAlgorithm::Sha384), Bytes(32, 1)),
                      Errc::InvalidRequest);
}

TEST(Signing, RefusesASchemeThatDoesNotFitTheKey) {
    auto& env = TokenEnv::get();
    const Bytes digest(32, 7);
    INKAN_EXPECT_ERRC(env.token().sign(env.key(KeySpec::Rsa2048),
                                       SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256), digest),
                      Errc::UnsupportedAlgorithm);
    INKAN_EXPECT_ERRC(env.token().sign(env.key(KeySpec::EcP256),
                                       SignatureAlgorithm::rsa_pkcs1(DigestAlgorithm::Sha256), digest),
                      Errc::UnsupportedAlgorithm);
    SignatureAlgorithm mixed = SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256);
    mixed.key_type = crypto::KeyType::Rsa;  // ECDSA padding claimed for an RSA key type
    INKAN_EXPECT_ERRC(env.token().sign(env.key(KeySpec::Rsa2048), mixed, digest), Errc::UnsupportedAlgorithm);
}

TEST(Signing, RefusesSha1) {
    auto& env = TokenEnv::get();
    INKAN_EXPECT_ERRC(env.token().sign(env.key(KeySpec::Rsa2048),
                                       SignatureAlgorithm::rsa_pkcs1(DigestAlgorithm::Sha1), Bytes(20, 1)),
                      Errc::UnsupportedAlgorithm);
}

TEST(Signing, UnknownKeyIsNotFound) {
    auto& env = TokenEnv::get();
    INKAN_EXPECT_ERRC(
        env.token().sign(Bytes(16, 0x5a), SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256), Bytes(32, 1)),
        Errc::NotFound);
    INKAN_EXPECT_ERRC((void)env.token().public_key_spki(Bytes(16, 0x5a)), Errc::NotFound);
}

TEST(Signing, DestroyedKeyIsNotFound) {
    auto& env = TokenEnv::get();
    Token& token = env.token();
    const Bytes id = token.generate_key_pair(KeySpec::EcP256, "doomed");
    const auto alg = SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256);
    const Bytes digest(32, 3);
    ASSERT_FALSE(token.sign(id, alg, digest).empty());  // caches the handle
    token.destroy_key(id);
    INKAN_EXPECT_ERRC(token.sign(id, alg, digest), Errc::NotFound);
    EXPECT_FALSE(token.find(ObjectClass::PrivateKey, id).has_value());
    EXPECT_FALSE(token.find(ObjectClass::PublicKey, id).has_value());
    INKAN_EXPECT_ERRC(token.destroy_key(id), Errc::NotFound);
}

}  // namespace
}  // namespace inkan::hsm
