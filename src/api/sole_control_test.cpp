// Sole control through the Router over real services (SQLite, SoftHSM, TOTP computed here):
// credentials/authorize, extendTransaction, sendOTP / getChallenge and signatures/signHash, v1 and
// v2. Every signature is checked twice: crypto::PublicKey::verify_digest and `openssl pkeyutl -verify`
// against the credential's certificate. The negative matrix asserts the spec's error AND that the
// refusal consumed nothing.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <inkan/crypto/der.h>
#include <inkan/crypto/digest.h>
#include <inkan/crypto/keys.h>
#include <inkan/pki/certificate.h>

#include "test_env.h"

namespace inkan::api {
namespace {

using namespace std::chrono_literals;
using crypto::DigestAlgorithm;
using testing::body_of;
using testing::CscEnv;
using testing::Json;

constexpr Version kVersions[] = {Version::V1, Version::V2};
constexpr const char* kSha256 = "2.16.840.1.101.3.4.2.1";
constexpr const char* kSha384 = "2.16.840.1.101.3.4.2.2";
constexpr const char* kEcdsaSha256 = "1.2.840.10045.4.3.2";
constexpr const char* kSha256Rsa = "1.2.840.113549.1.1.11";
constexpr const char* kRsaEncryption = "1.2.840.113549.1.1.1";
constexpr const char* kRsaPss = "1.2.840.113549.1.1.10";

Bytes sha256(std::string_view text) {
    return crypto::digest(DigestAlgorithm::Sha256, as_bytes(text));
}

/// base64 of RSASSA-PSS-params (SHA-256, MGF1-SHA-256, `salt`), as clients send signAlgoParams.
std::string pss_params(DigestAlgorithm hash, std::size_t salt) {
    const auto alg = crypto::SignatureAlgorithm::rsa_pss(crypto::PssParams{hash, hash, salt});
    const Bytes id = crypto::algorithm_identifier(alg);
    // AlgorithmIdentifier = SEQUENCE { OID, params }: the params are what follows the OID.
    der::Reader outer{id};
    der::Reader seq = outer.sequence();
    (void)seq.read_oid();
    return base64_encode(seq.next().whole);
}

Json err(std::string_view error, std::string_view description) {
    return Json{{"error", error}, {"error_description", description}};
}

Json hashes_json(const std::vector<Bytes>& hashes, bool url = false) {
    Json out = Json::array();
    for (const auto& h : hashes) {
        out.push_back(url ? base64url_encode(h) : base64_encode(h));
    }
    return out;
}

std::string hash_key(Version v) {
    return v == Version::V1 ? "hash" : "hashes";
}

class SoleControlTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::tie(alice, alice_seed) = env.add_totp_user("alice");
        std::tie(bob, bob_seed) = env.add_totp_user("bob");
        ec = env.add_credential("alice", hsm::KeySpec::EcP256, {}, 2, 4);
        ec2 = env.add_credential("alice", hsm::KeySpec::EcP256, {}, 2, 4);
        bob_ec = env.add_credential("bob", hsm::KeySpec::EcP256, {}, 2, 4);
        alice_token = env.login("alice");
        bob_token = env.login("bob");
    }

    /// A fresh TOTP step (a code is accepted once per user), then the code.
    std::string next_otp(const Bytes& seed) {
        env.clock.advance(30s);
        return env.totp(seed);
    }

    /// credentials/authorize with the right PIN and a fresh TOTP (unless overridden).
    http::Response authorize(Version v, const std::string& credential, const std::vector<Bytes>& hashes,
                             int num = -1, std::string pin = "123456", std::optional<std::string> otp = {},
                             const std::string* token = nullptr, const Bytes* seed = nullptr) {
        const std::string code = otp ? *otp : next_otp(seed != nullptr ? *seed : alice_seed);
        Json body{{"credentialID", credential},
                  {"numSignatures", num < 0 ? static_cast<int>(hashes.size()) : num}};
        if (!hashes.empty()) {
            body[hash_key(v)] = hashes_json(hashes);
        }
        if (v == Version::V1) {
            body["PIN"] = pin;
            body["OTP"] = code;
        } else {
            if (!hashes.empty()) {
                body["hashAlgorithmOID"] = kSha256;
            }
            body["authData"] =
                Json::array({{{"id", "PIN"}, {"value", pin}}, {{"id", "OTP"}, {"value", code}}});
        }
        return env.post(v, "credentials/authorize", body.dump(), token != nullptr ? *token : alice_token);
    }

    /// The SAD of a successful authorize (a test failure otherwise).
    std::string sad(Version v, const std::string& credential, const std::vector<Bytes>& hashes) {
        const auto r = authorize(v, credential, hashes);
        EXPECT_EQ(r.status, 200) << r.body;
        const Json j = body_of(r);
        EXPECT_EQ(j.value("expiresIn", 0), 3600);
        return j.value("SAD", std::string{});
    }

    std::string sad_for_bob(Version v, const std::vector<Bytes>& hashes) {
        const auto r = authorize(v, bob_ec.id, hashes, -1, "123456", next_otp(bob_seed), &bob_token);
        EXPECT_EQ(r.status, 200) << r.body;
        return body_of(r).value("SAD", std::string{});
    }

    http::Response sign(Version v, const std::string& credential, const std::string& sad_value,
                        const std::vector<Bytes>& hashes, const std::string& sign_algo = kEcdsaSha256,
                        std::optional<std::string> hash_algo = {}, std::optional<std::string> params = {},
                        const std::string* token = nullptr) {
        Json body{{"credentialID", credential}, {"SAD", sad_value}, {"signAlgo", sign_algo}};
        body[hash_key(v)] = hashes_json(hashes, v == Version::V2);  // v2: base64url, unpadded
        if (hash_algo) {
            body[v == Version::V1 ? "hashAlgo" : "hashAlgorithmOID"] = *hash_algo;
        }
        if (params) {
            body["signAlgoParams"] = *params;
        }
        if (v == Version::V2) {
            body["operationMode"] = "S";
        }
        return env.post(v, "signatures/signHash", body.dump(), token != nullptr ? *token : alice_token);
    }

    /// The certificate of `credential` as credentials/info returns it.
    pki::Certificate certificate(Version v, const std::string& credential) {
        const Json info =
            body_of(env.post(v, "credentials/info", Json{{"credentialID", credential}}.dump(), alice_token));
        return pki::Certificate::from_der(base64_decode(info["cert"]["certificates"][0].get<std::string>()));
    }

    /// verify_digest and `openssl pkeyutl -verify` both accept each signature.
    void verify(Version v, const std::string& credential, const crypto::SignatureAlgorithm& alg,
                const std::vector<Bytes>& hashes, const http::Response& r) {
        ASSERT_EQ(r.status, 200) << r.body;
        const Json j = body_of(r);
        ASSERT_EQ(j["signatures"].size(), hashes.size());
        const pki::Certificate cert = certificate(v, credential);
        const crypto::PublicKey key = cert.public_key();
        const auto pub = env.dir / "pub.pem";
        inkan::testing::write_file(pub, key.pem());
        for (std::size_t i = 0; i < hashes.size(); ++i) {
            const Bytes signature = base64_decode(j["signatures"][i].get<std::string>());
            EXPECT_TRUE(key.verify_digest(alg, hashes[i], signature)) << crypto::name(alg) << " #" << i;
            inkan::testing::write_file(env.dir / "digest.bin", hashes[i]);
            inkan::testing::write_file(env.dir / "sig.bin", signature);
            std::vector<std::string> argv{
                "openssl",  "pkeyutl",
                "-verify",  "-pubin",
                "-inkey",   pub.string(),
                "-in",      (env.dir / "digest.bin").string(),
                "-sigfile", (env.dir / "sig.bin").string(),
                "-pkeyopt", "digest:" + std::string{crypto::spec(alg.digest).openssl_name}};
            if (alg.padding == crypto::Padding::Pss) {
                argv.insert(argv.end(), {"-pkeyopt", "rsa_padding_mode:pss", "-pkeyopt",
                                         "rsa_pss_saltlen:" + std::to_string(alg.pss->salt_length)});
            }
            const auto result = inkan::testing::run(argv);
            EXPECT_EQ(result.exit_code, 0) << crypto::name(alg) << ": " << result.out << result.err;
            EXPECT_NE(result.out.find("Signature Verified Successfully"), std::string::npos) << result.out;
        }
    }

    CscEnv env;
    service::User alice, bob;
    Bytes alice_seed, bob_seed;
    service::Credential ec, ec2, bob_ec;
    std::string alice_token, bob_token;
};

TEST_F(SoleControlTest, InfoListsTheMethodsOfEachVersion) {
    for (const Version v : kVersions) {
        const Json info = body_of(env.call("GET", CscEnv::path(v, "info")));
        const auto& methods = info["methods"];
        const auto has = [&](std::string_view m) {
            return std::find(methods.begin(), methods.end(), Json(m)) != methods.end();
        };
        for (const char* m :
             {"credentials/authorize", "credentials/extendTransaction", "signatures/signHash"}) {
            EXPECT_TRUE(has(m)) << m;
        }
        // The OTP is an offline TOTP: nothing to send, so v1 sendOTP is not offered (decision 0027).
        EXPECT_FALSE(has("credentials/sendOTP"));
        EXPECT_EQ(has("credentials/getChallenge"), v == Version::V2);
        // v2 says whether operationMode "A" is offered: not by this test service (no AsyncOperations).
        EXPECT_EQ(info.contains("asynchronousOperationMode"), v == Version::V2);
        EXPECT_EQ(info.value("asynchronousOperationMode", false), false);
    }
}

TEST_F(SoleControlTest, EcdsaP256HappyPathV1AndV2) {
    for (const Version v : kVersions) {
        const std::vector<Bytes> hashes{sha256("one " + std::string{name(v)}), sha256("two")};
        const std::string s = sad(v, ec.id, hashes);
        ASSERT_FALSE(s.empty());
        // Signed in another order than authorised: the SAD holds a multiset.
        const std::vector<Bytes> reversed{hashes[1], hashes[0]};
        verify(v, ec.id, crypto::SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256), reversed,
               sign(v, ec.id, s, reversed));
        // Spent: the SAD is gone.
        EXPECT_EQ(body_of(sign(v, ec.id, s, {hashes[0]})), err("invalid_request", "Invalid parameter SAD"));
    }
}

TEST_F(SoleControlTest, V1AcceptsBase64urlUnpaddedHashesInAuthorize) {
    const Bytes h = sha256("url");
    const Json body{{"credentialID", ec.id},
                    {"numSignatures", 1},
                    {"hash", {base64url_encode(h)}},
                    {"PIN", "123456"},
                    {"OTP", next_otp(alice_seed)}};
    const auto r = env.post(Version::V1, "credentials/authorize", body.dump(), alice_token);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(sign(Version::V1, ec.id, body_of(r)["SAD"], {h}).status, 200);
}

TEST_F(SoleControlTest, AnEcKeySignsWithTheGenericEcPublicKeyOidAndASeparateHashAlgo) {
    constexpr const char* kEcPublicKey = "1.2.840.10045.2.1";
    const service::Credential p384 = env.add_credential("alice", hsm::KeySpec::EcP384, {}, 2, 4);
    for (const Version v : kVersions) {
        // credentials/info names it among the key's algorithms, as rsaEncryption for an RSA key.
        const Json key =
            body_of(env.post(v, "credentials/info", Json{{"credentialID", ec.id}}.dump(), alice_token))
                .at("key");
        EXPECT_NE(std::find(key.at("algo").begin(), key.at("algo").end(), Json(kEcPublicKey)),
                  key.at("algo").end())
            << key;
        const std::vector<Bytes> hashes{sha256("generic ec " + std::string{name(v)})};
        verify(v, ec.id, crypto::SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256), hashes,
               sign(v, ec.id, sad(v, ec.id, hashes), hashes, kEcPublicKey, std::string{kSha256}));
        const Bytes h384 = crypto::digest(DigestAlgorithm::Sha384, as_bytes(std::string_view{"p384"}));
        // SHA-384 hashes for the P-384 key (the fixture's authorize() sends SHA-256).
        Json body{{"credentialID", p384.id}, {"numSignatures", 1}};
        body[hash_key(v)] = hashes_json({h384});
        if (v == Version::V1) {
            body["PIN"] = "123456";
            body["OTP"] = next_otp(alice_seed);
        } else {
            body["hashAlgorithmOID"] = kSha384;
            body["authData"] = Json::array(
                {{{"id", "PIN"}, {"value", "123456"}}, {{"id", "OTP"}, {"value", next_otp(alice_seed)}}});
        }
        const auto authorized = env.post(v, "credentials/authorize", body.dump(), alice_token);
        ASSERT_EQ(authorized.status, 200) << authorized.body;
        const std::string s384 = body_of(authorized).at("SAD");
        verify(v, p384.id, crypto::SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha384), {h384},
               sign(v, p384.id, s384, {h384}, kEcPublicKey, std::string{kSha384}));

        // Without its hash algorithm, or with one the digest length contradicts, it is refused.
        const std::string spare = sad(v, ec.id, hashes);
        EXPECT_EQ(
            body_of(sign(v, ec.id, spare, hashes, kEcPublicKey)),
            err("invalid_request", "Missing (or invalid type) string parameter " +
                                       std::string{v == Version::V1 ? "hashAlgo" : "hashAlgorithmOID"}));
        EXPECT_EQ(body_of(sign(v, ec.id, spare, hashes, kEcPublicKey, std::string{kSha384})),
                  err("invalid_request", "Invalid digest value length"));
        EXPECT_EQ(sign(v, ec.id, spare, hashes, kEcPublicKey, std::string{kSha256}).status, 200)
            << "the refusals spent nothing";
    }
    // Not for an RSA key.
    const service::Credential rsa = env.add_credential("alice", hsm::KeySpec::Rsa2048, {}, 2, 4);
    const std::vector<Bytes> hashes{sha256("rsa")};
    EXPECT_EQ(body_of(sign(Version::V2, rsa.id, sad(Version::V2, rsa.id, hashes), hashes, kEcPublicKey,
                           std::string{kSha256})),
              err("invalid_request", "Invalid parameter signAlgo"));
}

TEST_F(SoleControlTest, HashesThatDoNotMatchNumSignaturesAreRefusedSayingSo) {
    const std::vector<Bytes> two{sha256("one"), sha256("two")};
    EXPECT_EQ(body_of(authorize(Version::V1, ec.id, two, 3)),
              err("invalid_request",
                  "Invalid parameter numSignatures: it must equal the number of hash values (2), not 3"));
    EXPECT_EQ(body_of(authorize(Version::V2, ec.id, two, 1)),
              err("invalid_request",
                  "Invalid parameter numSignatures: it must equal the number of hashes (2), not 1"));
    // Nothing was spent: the next authorisation with matching numbers works.
    EXPECT_EQ(authorize(Version::V2, ec.id, two).status, 200);
}

TEST_F(SoleControlTest, AUserWithoutATotpDeviceIsToldWhyAndNoPinFailureIsCounted) {
    (void)env.add_user("carol");
    const service::Credential carols = env.add_credential("carol", hsm::KeySpec::EcP256, {}, 2, 1);
    const std::string carol_token = env.login("carol");
    const std::vector<Bytes> hashes{sha256("no device")};
    for (const Version v : kVersions) {
        // What info promised: PIN and OTP.
        const Json info =
            body_of(env.post(v, "credentials/info",
                             Json{{"credentialID", carols.id}, {"authInfo", true}}.dump(), carol_token));
        if (v == Version::V1) {
            EXPECT_TRUE(info.contains("OTP")) << info;
        } else {
            EXPECT_EQ(info.at("auth").at("expression"), "PIN AND OTP") << info;
        }
        // A wrong PIN as often as the lockout allows: not looked at, so nothing is locked.
        for (int i = 0; i <= env.authorization_settings.max_pin_failures; ++i) {
            EXPECT_EQ(
                body_of(authorize(v, carols.id, hashes, -1, "999999", std::string{"123456"}, &carol_token)),
                err("invalid_request",
                    "An OTP is required but no authenticator app is enrolled for this user; ask the "
                    "operator to enrol one"));
        }
    }
    // Once enrolled, the right PIN works: it was never counted.
    const auto enrolled = env.accounts.enrol_totp("carol");
    const Bytes seed = base32_decode(enrolled.second);
    EXPECT_EQ(authorize(Version::V2, carols.id, hashes, -1, "123456", next_otp(seed), &carol_token).status,
              200);
}

TEST_F(SoleControlTest, Rsa2048AllSchemesV1AndV2) {
    const service::Credential rsa = env.add_credential("alice", hsm::KeySpec::Rsa2048, {}, 2, 4);
    struct Case {
        const char* sign_algo;
        std::optional<std::string> hash_algo;
        std::optional<std::size_t> salt;
        crypto::SignatureAlgorithm alg;
    };
    const std::vector<Case> cases{
        {kSha256Rsa, std::nullopt, std::nullopt,
         crypto::SignatureAlgorithm::rsa_pkcs1(DigestAlgorithm::Sha256)},
        {kRsaEncryption, std::string{kSha256}, std::nullopt,
         crypto::SignatureAlgorithm::rsa_pkcs1(DigestAlgorithm::Sha256)},
        {kRsaPss, std::string{kSha256}, 32,
         crypto::SignatureAlgorithm::rsa_pss(
             crypto::PssParams{DigestAlgorithm::Sha256, DigestAlgorithm::Sha256, 32})},
        {kRsaPss, std::nullopt, 64,
         crypto::SignatureAlgorithm::rsa_pss(
             crypto::PssParams{DigestAlgorithm::Sha256, DigestAlgorithm::Sha256, 64})},
    };
    for (const Version v : kVersions) {
        for (const auto& c : cases) {
            SCOPED_TRACE(std::string{name(v)} + " " + c.sign_algo + " salt " +
                         std::to_string(c.salt.value_or(0)));
            const std::vector<Bytes> hashes{
                sha256(std::string{c.sign_algo} + std::to_string(c.salt.value_or(0)))};
            const std::string s = sad(v, rsa.id, hashes);
            std::optional<std::string> params;
            if (c.salt) {
                params = pss_params(DigestAlgorithm::Sha256, *c.salt);
            }
            verify(v, rsa.id, c.alg, hashes, sign(v, rsa.id, s, hashes, c.sign_algo, c.hash_algo, params));
        }
    }
}

TEST_F(SoleControlTest, RsaSchemeErrorsConsumeNothing) {
    const service::Credential rsa = env.add_credential("alice", hsm::KeySpec::Rsa2048, {}, 2, 4);
    for (const Version v : kVersions) {
        const std::string hash_algo = v == Version::V1 ? "hashAlgo" : "hashAlgorithmOID";
        const std::vector<Bytes> hashes{sha256("rsa errors")};
        const std::string s = sad(v, rsa.id, hashes);
        // PSS whose hash contradicts hashAlgo.
        EXPECT_EQ(body_of(sign(v, rsa.id, s, hashes, kRsaPss, std::string{kSha384},
                               pss_params(DigestAlgorithm::Sha256, 32))),
                  err("invalid_request", "Invalid parameter signAlgoParams"));
        // PSS without parameters.
        EXPECT_EQ(body_of(sign(v, rsa.id, s, hashes, kRsaPss)),
                  err("invalid_request", "Missing (or invalid type) string parameter signAlgoParams"));
        // rsaEncryption without a hash algorithm.
        EXPECT_EQ(body_of(sign(v, rsa.id, s, hashes, kRsaEncryption)),
                  err("invalid_request", "Missing (or invalid type) string parameter " + hash_algo));
        // An algorithm for another key type.
        EXPECT_EQ(body_of(sign(v, rsa.id, s, hashes, kEcdsaSha256)),
                  err("invalid_request", "Invalid parameter signAlgo"));
        // A signAlgo that fixes SHA-256 with hashAlgo SHA-384.
        EXPECT_EQ(body_of(sign(v, rsa.id, s, hashes, kSha256Rsa, std::string{kSha384})),
                  err("invalid_request", "Invalid parameter " + hash_algo));
        // Nothing was consumed.
        verify(v, rsa.id, crypto::SignatureAlgorithm::rsa_pkcs1(DigestAlgorithm::Sha256), hashes,
               sign(v, rsa.id, s, hashes, kSha256Rsa));
    }
}

TEST_F(SoleControlTest, WrongFactorsGetEachVersionsError) {
    const std::vector<Bytes> hashes{sha256("factors")};
    EXPECT_EQ(body_of(authorize(Version::V1, ec.id, hashes, -1, "000000")),
              err("invalid_pin", "The PIN is invalid"));
    EXPECT_EQ(body_of(authorize(Version::V2, ec.id, hashes, -1, "000000")),
              err("invalid_authentication_data", "The authentication data is invalid"));
    EXPECT_EQ(body_of(authorize(Version::V1, ec.id, hashes, -1, "123456", std::string{"000000"})),
              err("invalid_otp", "The OTP is invalid"));
    EXPECT_EQ(body_of(authorize(Version::V2, ec.id, hashes, -1, "123456", std::string{"000000"})),
              err("invalid_authentication_data", "The authentication data is invalid"));
    // Right factors still work (fewer failures than the lockout threshold).
    for (const Version v : kVersions) {
        EXPECT_EQ(authorize(v, ec.id, hashes).status, 200);
    }
}

TEST_F(SoleControlTest, OtpReplayIsRefusedWithItsOwnMessageAndIsNotCounted) {
    const std::vector<Bytes> hashes{sha256("replay")};
    for (const Version v : kVersions) {
        const std::string code = next_otp(alice_seed);
        EXPECT_EQ(authorize(v, ec.id, hashes, -1, "123456", code).status, 200);
        // More replays than the lockout allows wrong codes: none counts.
        for (int i = 0; i <= env.authorization_settings.max_otp_failures; ++i) {
            const Json again = body_of(authorize(v, ec.id, hashes, -1, "123456", code));
            EXPECT_EQ(again, err(v == Version::V1 ? "invalid_otp" : "invalid_authentication_data",
                                 "The OTP was already used; wait for the next one"));
        }
        EXPECT_EQ(authorize(v, ec.id, hashes).status, 200) << "the replays locked the OTP";
    }
    // Wrong codes still count: the lockout comes after max_otp_failures of them.
    for (int i = 0; i < env.authorization_settings.max_otp_failures; ++i) {
        (void)authorize(Version::V2, ec.id, hashes, -1, "123456", std::string{"000000"});
    }
    EXPECT_EQ(body_of(authorize(Version::V1, ec.id, hashes)), err("invalid_request", "OTP locked"));
}

TEST_F(SoleControlTest, PinLockoutAfterFiveFailures) {
    const std::vector<Bytes> hashes{sha256("lockout")};
    for (int i = 0; i < env.authorization_settings.max_pin_failures; ++i) {
        const Json j = body_of(authorize(Version::V1, ec.id, hashes, -1, "999999"));
        EXPECT_TRUE(j == err("invalid_pin", "The PIN is invalid") ||
                    j == err("invalid_request", "PIN locked"))
            << j;
    }
    EXPECT_EQ(body_of(authorize(Version::V1, ec.id, hashes)), err("invalid_request", "PIN locked"));
    EXPECT_EQ(body_of(authorize(Version::V2, ec.id, hashes)), err("invalid_request", "Credential locked"));
    // Another credential of the same user is not locked.
    EXPECT_EQ(authorize(Version::V1, ec2.id, hashes).status, 200);
    env.authorization->unlock_credential(ec.id, "operator");
    EXPECT_EQ(authorize(Version::V2, ec.id, hashes).status, 200);
}

TEST_F(SoleControlTest, OtpLockoutAfterFiveFailures) {
    const std::vector<Bytes> hashes{sha256("otp lockout")};
    for (int i = 0; i < env.authorization_settings.max_otp_failures; ++i) {
        (void)authorize(Version::V2, ec.id, hashes, -1, "123456", std::string{"000000"});
    }
    EXPECT_EQ(body_of(authorize(Version::V1, ec.id, hashes)), err("invalid_request", "OTP locked"));
    EXPECT_EQ(body_of(authorize(Version::V2, ec2.id, hashes)), err("invalid_request", "Credential locked"));
    env.authorization->unlock_otp("alice", "operator");
    EXPECT_EQ(authorize(Version::V1, ec.id, hashes).status, 200);
}

TEST_F(SoleControlTest, StructuralAuthorizeErrors) {
    for (const Version v : kVersions) {
        const std::vector<Bytes> hashes{sha256("a"), sha256("b"), sha256("c"), sha256("d"), sha256("e")};
        EXPECT_EQ(body_of(authorize(v, ec.id, hashes)),
                  err("invalid_request", "Numbers of signatures is too high"));
        EXPECT_EQ(body_of(authorize(v, "no-such-credential", {hashes[0]})),
                  err("invalid_request", "Invalid parameter credentialID"));
        // bob's credential: the same answer as an unknown one.
        EXPECT_EQ(body_of(authorize(v, bob_ec.id, {hashes[0]})),
                  err("invalid_request", "Invalid parameter credentialID"));
        EXPECT_EQ(body_of(authorize(v, ec.id, {hashes[0]}, 0)),
                  err("invalid_request", "Invalid parameter numSignatures"));
        const Json long_description{
            {"credentialID", ec.id}, {"numSignatures", 1}, {"description", std::string(501, 'x')}};
        EXPECT_EQ(body_of(env.post(v, "credentials/authorize", long_description.dump(), alice_token)),
                  err("invalid_request", "Invalid parameter description"));
    }
    // v2 hashes without their algorithm.
    const Json no_oid{{"credentialID", ec.id}, {"numSignatures", 1}, {"hashes", hashes_json({sha256("x")})}};
    EXPECT_EQ(body_of(env.post(Version::V2, "credentials/authorize", no_oid.dump(), alice_token)),
              err("invalid_request", "Missing (or invalid type) string parameter hashAlgorithmOID"));
    // Secrets never echo back.
    const auto r = authorize(Version::V1, ec.id, {sha256("y")}, -1, "314159");
    EXPECT_EQ(r.body.find("314159"), std::string::npos);
}

TEST_F(SoleControlTest, SadBindingsAndNothingConsumedOnRefusal) {
    for (const Version v : kVersions) {
        SCOPED_TRACE(std::string{name(v)});
        const Bytes h1 = sha256("h1"), h2 = sha256("h2"), other = sha256("other");
        const std::string s = sad(v, ec.id, {h1, h2});
        const std::string bob_sad = sad_for_bob(v, {h1});
        // A hash not authorised, alone or in a batch with an authorised one.
        EXPECT_EQ(body_of(sign(v, ec.id, s, {other})),
                  err("invalid_request", "Hash is not authorized by the SAD"));
        EXPECT_EQ(body_of(sign(v, ec.id, s, {h1, other})),
                  err("invalid_request", "Hash is not authorized by the SAD"));
        // Another credential of the same user.
        EXPECT_EQ(body_of(sign(v, ec2.id, s, {h1})), err("invalid_request", "Invalid parameter SAD"));
        // Another user's SAD with one's own credential, and another user's credential.
        EXPECT_EQ(body_of(sign(v, ec.id, bob_sad, {h1})), err("invalid_request", "Invalid parameter SAD"));
        EXPECT_EQ(body_of(sign(v, bob_ec.id, bob_sad, {h1})),
                  err("invalid_request", "Invalid parameter credentialID"));
        // bob presenting alice's SAD with bob's credential.
        EXPECT_EQ(body_of(sign(v, bob_ec.id, s, {h1}, kEcdsaSha256, std::nullopt, std::nullopt, &bob_token)),
                  err("invalid_request", "Invalid parameter SAD"));
        // Wrong digest length, empty array, bad base64, unknown SAD, async mode.
        EXPECT_EQ(body_of(sign(v, ec.id, s, {Bytes(20, 1)})),
                  err("invalid_request", "Invalid digest value length"));
        EXPECT_EQ(body_of(sign(v, ec.id, s, {})), err("invalid_request", "Empty hash array"));
        Json bad{{"credentialID", ec.id}, {"SAD", s}, {"signAlgo", kEcdsaSha256}};
        bad[hash_key(v)] = Json::array({"not*base64"});
        EXPECT_EQ(body_of(env.post(v, "signatures/signHash", bad.dump(), alice_token)),
                  err("invalid_request", "Invalid Base64 hash string parameter"));
        EXPECT_EQ(body_of(sign(v, ec.id, "bm9wZQ", {h1})), err("invalid_request", "Invalid parameter SAD"));
        if (v == Version::V2) {
            Json async{
                {"credentialID", ec.id}, {"SAD", s}, {"signAlgo", kEcdsaSha256}, {"operationMode", "A"}};
            async["hashes"] = hashes_json({h1});
            EXPECT_EQ(body_of(env.post(v, "signatures/signHash", async.dump(), alice_token)),
                      err("invalid_request", "Invalid parameter operationMode"));
        }
        // None of that consumed anything: h1 then h2 sign; h1 a second time is refused.
        verify(v, ec.id, crypto::SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256), {h1},
               sign(v, ec.id, s, {h1}));
        EXPECT_EQ(body_of(sign(v, ec.id, s, {h1})),
                  err("invalid_request", "Hash is not authorized by the SAD"));
        EXPECT_EQ(sign(v, ec.id, s, {h2}).status, 200);
        // bob's SAD is untouched by alice's attempts.
        EXPECT_EQ(
            sign(v, bob_ec.id, bob_sad, {h1}, kEcdsaSha256, std::nullopt, std::nullopt, &bob_token).status,
            200);
    }
}

TEST_F(SoleControlTest, ExpiredSad) {
    for (const Version v : kVersions) {
        const std::vector<Bytes> hashes{sha256("expiry")};
        const std::string s = sad(v, ec.id, hashes);
        env.clock.advance(3601s);
        alice_token = env.login("alice");  // the access token expired too
        EXPECT_EQ(body_of(sign(v, ec.id, s, hashes)), err("invalid_request", "SAD expired"));
        Json extend{{"credentialID", ec.id}, {"SAD", s}};
        EXPECT_EQ(body_of(env.post(v, "credentials/extendTransaction", extend.dump(), alice_token)),
                  err("invalid_request", "SAD expired"));
    }
}

TEST_F(SoleControlTest, ExtendTransactionRetiresTheOldSad) {
    for (const Version v : kVersions) {
        const Bytes h1 = sha256("ext1"), h2 = sha256("ext2");
        const std::string s = sad(v, ec.id, {h1, h2});
        ASSERT_EQ(sign(v, ec.id, s, {h1}).status, 200);
        const Json extend{{"credentialID", ec.id}, {"SAD", s}};
        const auto r = env.post(v, "credentials/extendTransaction", extend.dump(), alice_token);
        ASSERT_EQ(r.status, 200) << r.body;
        const Json j = body_of(r);
        const std::string fresh = j.value("SAD", std::string{});
        EXPECT_NE(fresh, s);
        EXPECT_GT(j.value("expiresIn", 0), 0);
        EXPECT_EQ(body_of(sign(v, ec.id, s, {h2})), err("invalid_request", "Invalid parameter SAD"));
        EXPECT_EQ(body_of(sign(v, ec.id, fresh, {h1})),
                  err("invalid_request", "Hash is not authorized by the SAD"));
        EXPECT_EQ(sign(v, ec.id, fresh, {h2}).status, 200);
        EXPECT_EQ(body_of(env.post(v, "credentials/extendTransaction", extend.dump(), alice_token)),
                  err("invalid_request", "Invalid parameter SAD"));
    }
}

// The hole (CSC v1 §11.8 / v2 §11.9 renew a transaction): authorize [h1, h2], sign h1, extend with [x],
// sign x... A hash the signer never approved is refused and nothing changes; the old SAD keeps what it had.
TEST_F(SoleControlTest, ExtendTransactionRefusesHashesTheSignerNeverApproved) {
    for (const Version v : kVersions) {
        const Bytes h1 = sha256(std::string{"approved 1 "} + (v == Version::V1 ? "v1" : "v2"));
        const Bytes h2 = sha256(std::string{"approved 2 "} + (v == Version::V1 ? "v1" : "v2"));
        const Bytes x = sha256("never approved");
        const std::string s = sad(v, ec.id, {h1, h2});
        ASSERT_EQ(sign(v, ec.id, s, {h1}).status, 200);
        Json extend{{"credentialID", ec.id}, {"SAD", s}};
        extend[hash_key(v)] = hashes_json({x});
        if (v == Version::V2) {
            extend["hashAlgorithmOID"] = kSha256;
        }
        EXPECT_EQ(body_of(env.post(v, "credentials/extendTransaction", extend.dump(), alice_token)),
                  err("invalid_request", "Hash is not authorized by the SAD"));
        EXPECT_EQ(body_of(sign(v, ec.id, s, {x})),
                  err("invalid_request", "Hash is not authorized by the SAD"));
        // Naming an approved, unsigned hash renews exactly that one.
        extend[hash_key(v)] = hashes_json({h2});
        const auto r = env.post(v, "credentials/extendTransaction", extend.dump(), alice_token);
        ASSERT_EQ(r.status, 200) << r.body;
        const std::string fresh = body_of(r).value("SAD", std::string{});
        EXPECT_EQ(body_of(sign(v, ec.id, fresh, {x})),
                  err("invalid_request", "Hash is not authorized by the SAD"));
        EXPECT_EQ(sign(v, ec.id, fresh, {h2}).status, 200);
    }
}

// A SAD proves the factors to signHash; it is not an access token. Presented as the Bearer it is refused
// (401), and nothing is spent.
TEST_F(SoleControlTest, ASadIsNotAcceptedAsTheBearerOfSignHash) {
    for (const Version v : kVersions) {
        const Bytes h = sha256(std::string{"bearer "} + (v == Version::V1 ? "v1" : "v2"));
        const std::string s = sad(v, ec.id, {h});
        const auto as_bearer = sign(v, ec.id, s, {h}, kEcdsaSha256, std::nullopt, std::nullopt, &s);
        EXPECT_EQ(as_bearer.status, 401) << as_bearer.body;
        Json no_sad{{"credentialID", ec.id}, {"signAlgo", kEcdsaSha256}};
        no_sad[hash_key(v)] = hashes_json({h}, v == Version::V2);
        EXPECT_EQ(env.post(v, "signatures/signHash", no_sad.dump(), s).status, 401);
        EXPECT_EQ(sign(v, ec.id, s, {h}).status, 200) << "the refusals spent nothing";
    }
}

TEST_F(SoleControlTest, OfflineOtpNeedsNoSendOtpAndHasNoChallenge) {
    // Not offered (the OTP is offline): 501 with a CSC error body, like any method inkan lacks.
    const Json send{{"credentialID", ec.id}};
    const http::Response r = env.post(Version::V1, "credentials/sendOTP", send.dump(), alice_token);
    EXPECT_EQ(r.status, 501) << r.body;
    EXPECT_EQ(body_of(r).at("error"), "not_implemented_method") << r.body;
    const auto otp = env.post(Version::V2, "credentials/getChallenge",
                              Json{{"credentialID", ec.id}, {"authObjectID", "OTP"}}.dump(), alice_token);
    EXPECT_EQ(otp.status, 204);
    EXPECT_TRUE(otp.body.empty());
    EXPECT_EQ(body_of(env.post(Version::V2, "credentials/getChallenge",
                               Json{{"credentialID", ec.id}, {"authObjectID", "PIN"}}.dump(), alice_token)),
              err("invalid_request", "Invalid parameter authObjectID"));
    EXPECT_EQ(env.post(Version::V2, "credentials/getChallenge", Json{{"credentialID", ec.id}}.dump()).status,
              401);
}

TEST_F(SoleControlTest, OneSadFromSixteenThreadsSignsOnce) {
    for (const Version v : kVersions) {
        const std::vector<Bytes> hashes{sha256("race " + std::string{name(v)})};
        const std::string s = sad(v, ec.id, hashes);
        std::atomic<int> ok{0}, refused{0};
        std::vector<std::thread> threads;
        std::atomic<bool> go{false};
        for (int i = 0; i < 16; ++i) {
            threads.emplace_back([&] {
                while (!go.load()) {
                    std::this_thread::yield();
                }
                const auto r = sign(v, ec.id, s, hashes);
                (r.status == 200 ? ok : refused).fetch_add(1);
            });
        }
        go = true;
        for (auto& t : threads) {
            t.join();
        }
        EXPECT_EQ(ok.load(), 1);
        EXPECT_EQ(refused.load(), 15);
    }
}

}  // namespace
}  // namespace inkan::api
