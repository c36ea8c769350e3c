// The Signer contract, checked the same way for the HSM signer and the software signer.

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>
#include <inkan/sign/hsm_signer.h>
#include <inkan/sign/software_signer.h>
#include <inkan/testing/process.h>
#include <inkan/testing/softhsm.h>

namespace {

using inkan::Bytes;
using inkan::Errc;
using inkan::crypto::Curve;
using inkan::crypto::DigestAlgorithm;
using inkan::crypto::KeyType;
using inkan::crypto::PssParams;
using inkan::crypto::SignatureAlgorithm;
using inkan::hsm::KeySpec;

inkan::hsm::Token& shared_token() {
    static inkan::hsm::Token token{inkan::testing::SoftHsm::instance().make_token("sign")};
    return token;
}

std::unique_ptr<inkan::sign::Signer> make_signer(bool hsm, KeySpec spec) {
    if (hsm) {
        auto& token = shared_token();
        return std::make_unique<inkan::sign::HsmSigner>(token, token.generate_key_pair(spec, "signer-test"));
    }
    switch (spec) {
        case KeySpec::Rsa2048:
            return std::make_unique<inkan::sign::SoftwareSigner>(
                inkan::crypto::PrivateKey::generate_rsa(2048));
        case KeySpec::EcP256:
            return std::make_unique<inkan::sign::SoftwareSigner>(
                inkan::crypto::PrivateKey::generate_ec(Curve::P256));
        case KeySpec::EcP384:
            return std::make_unique<inkan::sign::SoftwareSigner>(
                inkan::crypto::PrivateKey::generate_ec(Curve::P384));
        default:
            throw std::logic_error("spec not used in these tests");
    }
}

Errc error_code_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const inkan::Error& e) {
        return e.code();
    }
    return Errc::Internal;  // "no error" is reported as a mismatch by the caller's EXPECT
}

struct Case {
    bool hsm;
    KeySpec spec;
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
    return std::string{info.param.hsm ? "Hsm" : "Software"} + "_" +
           (info.param.spec == KeySpec::Rsa2048  ? "Rsa2048"
            : info.param.spec == KeySpec::EcP256 ? "P256"
                                                 : "P384");
}

class SignerContract : public ::testing::TestWithParam<Case> {};

}  // namespace

TEST_P(SignerContract, EveryAdvertisedAlgorithmProducesAVerifyingSignature) {
    const auto signer = make_signer(GetParam().hsm, GetParam().spec);
    const auto algorithms = signer->algorithms();
    ASSERT_FALSE(algorithms.empty());
    for (const auto& alg : algorithms) {
        const Bytes digest = inkan::crypto::digest(alg.digest, inkan::as_bytes("契約書 / contract"));
        const Bytes sig = signer->sign(alg, digest);
        EXPECT_TRUE(signer->public_key().verify_digest(alg, digest, sig)) << inkan::crypto::name(alg);
        Bytes other = digest;
        other[0] ^= 1U;
        EXPECT_FALSE(signer->public_key().verify_digest(alg, other, sig)) << inkan::crypto::name(alg);
    }
}

TEST_P(SignerContract, RefusesAnAlgorithmForTheOtherKeyType) {
    const auto signer = make_signer(GetParam().hsm, GetParam().spec);
    const SignatureAlgorithm wrong = signer->public_key().type() == KeyType::Rsa
                                         ? SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256)
                                         : SignatureAlgorithm::rsa_pkcs1(DigestAlgorithm::Sha256);
    const Bytes digest(32, 0x11);
    EXPECT_EQ(error_code_of([&] { (void)signer->sign(wrong, digest); }), Errc::UnsupportedAlgorithm);
}

TEST_P(SignerContract, RefusesSha1) {
    const auto signer = make_signer(GetParam().hsm, GetParam().spec);
    const SignatureAlgorithm sha1 = signer->public_key().type() == KeyType::Rsa
                                        ? SignatureAlgorithm::rsa_pkcs1(DigestAlgorithm::Sha1)
                                        : SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha1);
    EXPECT_EQ(error_code_of([&] { (void)signer->sign(sha1, Bytes(20, 0x22)); }), Errc::UnsupportedAlgorithm);
}

TEST_P(SignerContract, RefusesADigestOfTheWrongLength) {
    const auto signer = make_signer(GetParam().hsm, GetParam().spec);
    const auto alg = inkan::sign::default_algorithm(signer->public_key());
    EXPECT_EQ(error_code_of([&] { (void)signer->sign(alg, Bytes(31, 0x33)); }), Errc::InvalidRequest);
}

INSTANTIATE_TEST_SUITE_P(Signers, SignerContract,
                         ::testing::Values(Case{true, KeySpec::Rsa2048}, Case{true, KeySpec::EcP256},
                                           Case{true, KeySpec::EcP384}, Case{false, KeySpec::Rsa2048},
                                           Case{false, KeySpec::EcP256}),
                         case_name);

TEST(HsmSigner, AcceptsPssParametersChosenByTheClient) {
    // CSC signAlgoParams carries RSASSA-PSS-params; the salt length is the client's choice (pyHanko
    // sends the maximum). MGF1 uses the message hash: SoftHSM refuses a different MGF1 hash.
    auto& token = shared_token();
    inkan::sign::HsmSigner signer{token, token.generate_key_pair(KeySpec::Rsa2048, "pss-params")};
    for (const std::size_t salt : {std::size_t{0}, std::size_t{20}, std::size_t{64}}) {
        const auto alg =
            SignatureAlgorithm::rsa_pss(PssParams{DigestAlgorithm::Sha512, DigestAlgorithm::Sha512, salt});
        const Bytes digest = inkan::crypto::digest(DigestAlgorithm::Sha512, inkan::as_bytes("pss"));
        const Bytes sig = signer.sign(alg, digest);
        EXPECT_TRUE(signer.public_key().verify_digest(alg, digest, sig)) << "salt " << salt;
    }
}

TEST(HsmSigner, SignatureVerifiesWithOpensslPkeyutl) {
    auto& token = shared_token();
    inkan::sign::HsmSigner signer{token, token.generate_key_pair(KeySpec::EcP256, "pkeyutl")};
    const auto alg = inkan::sign::default_algorithm(signer.public_key());
    ASSERT_EQ(alg, SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256));
    const Bytes digest = inkan::crypto::digest(alg.digest, inkan::as_bytes("hello"));
    const Bytes sig = signer.sign(alg, digest);

    inkan::testing::TempDir dir{"inkan-sign"};
    inkan::testing::write_file(dir / "pub.pem", signer.public_key().pem());
    inkan::testing::write_file(dir / "digest.bin", digest);
    inkan::testing::write_file(dir / "sig.bin", sig);
    const auto r =
        inkan::testing::run({"openssl", "pkeyutl", "-verify", "-pubin", "-inkey", (dir / "pub.pem").string(),
                             "-in", (dir / "digest.bin").string(), "-sigfile", (dir / "sig.bin").string()});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("Signature Verified Successfully"), std::string::npos) << r.out << r.err;
}

TEST(HsmSigner, AnUnknownKeyIdIsNotFound) {
    auto& token = shared_token();
    EXPECT_EQ(error_code_of([&] { inkan::sign::HsmSigner s{token, Bytes(16, 0xEE)}; }), Errc::NotFound);
}

TEST(DefaultAlgorithm, MatchesDigestStrengthToTheCurve) {
    EXPECT_EQ(
        inkan::sign::default_algorithm(inkan::crypto::PrivateKey::generate_ec(Curve::P384).public_key()),
        SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha384));
    EXPECT_EQ(
        inkan::sign::default_algorithm(inkan::crypto::PrivateKey::generate_ec(Curve::P521).public_key()),
        SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha512));
    EXPECT_EQ(inkan::sign::default_algorithm(inkan::crypto::PrivateKey::generate_rsa(2048).public_key()),
              SignatureAlgorithm::rsa_pkcs1(DigestAlgorithm::Sha256));
}
