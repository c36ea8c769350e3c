// The client's wire codec: what it sends (the CSC field names of v1 and v2, PSS parameters as DER) and
// how it reads answers and errors. The e2e tests in src/app run the same code against `inkan serve`.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/core/encoding.h>

#include "codec.h"

namespace inkan::client {
namespace {

using nlohmann::json;

TEST(ClientCodec, V2AuthorizeSendsHashesWithTheirAlgorithmAndFactorsAsAuthData) {
    Factors f;
    f.pin = Secret{std::string_view{"123456"}};
    f.otp = Secret{std::string_view{"654321"}};
    const Bytes h(32, 0xAB);
    const json j = json::parse(
        codec::encode_authorize(Version::V2, "cred-1", {h}, crypto::DigestAlgorithm::Sha256, f, 0));
    EXPECT_EQ(j["credentialID"], "cred-1") << j.dump();
    EXPECT_EQ(j["numSignatures"], 1) << j.dump();
    EXPECT_EQ(j["hashes"][0], base64_encode(h)) << j.dump();
    EXPECT_EQ(j["hashAlgorithmOID"], "2.16.840.1.101.3.4.2.1") << j.dump();
    EXPECT_EQ(j["authData"][0]["id"], "PIN") << j.dump();
    EXPECT_EQ(j["authData"][0]["value"], "123456") << j.dump();
    EXPECT_EQ(j["authData"][1]["id"], "OTP") << j.dump();
    EXPECT_FALSE(j.contains("PIN")) << j.dump();
}

TEST(ClientCodec, V1AuthorizeSendsHashAndPinOtpFields) {
    Factors f;
    f.pin = Secret{std::string_view{"1234"}};
    const json j = json::parse(codec::encode_authorize(Version::V1, "c", {Bytes(48, 1), Bytes(48, 2)},
                                                       crypto::DigestAlgorithm::Sha384, f, 0));
    EXPECT_EQ(j["numSignatures"], 2) << j.dump();
    EXPECT_EQ(j["hash"].size(), 2U) << j.dump();
    EXPECT_EQ(j["PIN"], "1234") << j.dump();
    EXPECT_FALSE(j.contains("OTP")) << j.dump();
    EXPECT_FALSE(j.contains("hashAlgorithmOID")) << j.dump();
}

TEST(ClientCodec, PssSignHashCarriesTheRsassaPssParamsOfTheSpecExample) {
    // csc-api.md §6.1: PSS with SHA-256, MGF1-SHA-256, salt 32.
    const auto alg = crypto::SignatureAlgorithm::rsa_pss(crypto::DigestAlgorithm::Sha256);
    const json j = json::parse(
        codec::encode_sign_hash(Version::V2, "c", Secret{std::string_view{"sad"}}, {Bytes(32, 7)}, alg));
    EXPECT_EQ(j["signAlgo"], "1.2.840.113549.1.1.10") << j.dump();
    // Our encoder writes trailerField explicitly only when it differs from the default, so compare
    // the parsed meaning: the same bytes the service decodes back to this algorithm.
    const auto [oid, params] = sign_algo(alg);
    EXPECT_EQ(j["signAlgoParams"], base64_encode(params)) << j.dump();
    EXPECT_EQ(params.at(0), 0x30) << hex_encode(params);
    EXPECT_EQ(j["SAD"], "sad");
    EXPECT_EQ(j["hashAlgorithmOID"], "2.16.840.1.101.3.4.2.1") << j.dump();
}

TEST(ClientCodec, EcdsaSignHashHasNoParams) {
    const json j = json::parse(
        codec::encode_sign_hash(Version::V1, "c", Secret{std::string_view{"s"}}, {Bytes(32, 7)},
                                crypto::SignatureAlgorithm::ecdsa(crypto::DigestAlgorithm::Sha256)));
    EXPECT_EQ(j["signAlgo"], "1.2.840.10045.4.3.2") << j.dump();
    EXPECT_FALSE(j.contains("signAlgoParams")) << j.dump();
    EXPECT_TRUE(j.contains("hash")) << j.dump();
}

TEST(ClientCodec, SignDocPutsDocumentsAndDigestsInTheirArrays) {
    SignDocEntry doc;
    doc.document = to_bytes(std::string_view{"%PDF-1.7"});
    doc.algorithm = crypto::SignatureAlgorithm::ecdsa(crypto::DigestAlgorithm::Sha256);
    doc.conformance_level = "Ades-B-T";
    doc.signed_envelope_property = "Revision";
    doc.signed_props = {{"Reason", "approved"}};
    SignDocEntry dig;
    dig.hashes = {Bytes(32, 9)};
    dig.signature_format = "C";
    dig.algorithm = doc.algorithm;
    const json j = json::parse(codec::encode_sign_doc("c", Secret{std::string_view{"s"}}, {doc, dig}));
    ASSERT_EQ(j["documents"].size(), 1U) << j.dump();
    EXPECT_EQ(j["documents"][0]["document"], base64_encode(doc.document)) << j.dump();
    EXPECT_EQ(j["documents"][0]["signature_format"], "P") << j.dump();
    EXPECT_EQ(j["documents"][0]["conformance_level"], "Ades-B-T") << j.dump();
    EXPECT_EQ(j["documents"][0]["signed_props"][0]["attribute_name"], "Reason") << j.dump();
    ASSERT_EQ(j["documentDigests"].size(), 1U) << j.dump();
    EXPECT_EQ(j["documentDigests"][0]["hashes"][0], base64_encode(Bytes(32, 9))) << j.dump();
    EXPECT_EQ(j["documentDigests"][0]["hashAlgorithmOID"], "2.16.840.1.101.3.4.2.1") << j.dump();
}

TEST(ClientCodec, CscErrorsBecomeErrorsWithStatusAndDescription) {
    const Error e403 = codec::error_from(
        403,
        R"({"error":"invalid_hash","error_description":"documentDigests or documents are not authorized by the SAD"})");
    EXPECT_EQ(e403.code(), Errc::Forbidden) << e403.what();
    EXPECT_EQ(e403.detail(), "403 invalid_hash: documentDigests or documents are not authorized by the SAD");
    EXPECT_EQ(codec::error_from(400, R"({"error":"invalid_pin"})").code(), Errc::InvalidAuthData);
    EXPECT_EQ(codec::error_from(401, R"({"error":"invalid_token"})").code(), Errc::Unauthenticated);
    EXPECT_EQ(codec::error_from(413, "<html>too large</html>").code(), Errc::PayloadTooLarge);
    EXPECT_EQ(codec::error_from(503, "").code(), Errc::Unavailable);
    EXPECT_EQ(codec::error_from(400, R"({"error":"invalid_request"})").code(), Errc::InvalidRequest);
}

TEST(ClientCodec, CredentialInfoV2ReadsChainScalAndFactors) {
    json j;
    j["description"] = "demo";
    j["key"] = {{"status", "enabled"}, {"algo", json::array({"1.2.840.10045.4.3.2"})}, {"len", 256}};
    j["cert"] = {
        {"status", "valid"},
        {"certificates", json::array({base64_encode(Bytes{0x30, 0x00}), base64_encode(Bytes{0x30, 0x01})})}};
    j["SCAL"] = "2";
    j["multisign"] = 1;
    j["auth"] = {{"mode", "explicit"},
                 {"objects", json::array({json{{"type", "Password"}, {"id", "PIN"}},
                                          json{{"type", "OTP"}, {"id", "OTP"}}})}};
    const std::string body = j.dump();
    const CredentialInfo info = codec::decode_credential_info(Version::V2, "id", body);
    EXPECT_TRUE(info.key_enabled);
    EXPECT_EQ(info.certificates.size(), 2U);
    EXPECT_EQ(info.scal, 2);
    EXPECT_TRUE(info.pin_required);
    EXPECT_TRUE(info.otp_required);
    EXPECT_EQ(info.key_algos, std::vector<std::string>{"1.2.840.10045.4.3.2"});
}

TEST(ClientCodec, CredentialInfoV1WithoutOtpNeedsOnlyThePin) {
    const std::string body =
        json{{"key", {{"status", "enabled"}}}, {"SCAL", "1"}, {"PIN", {{"presence", "true"}}}}.dump();
    const CredentialInfo info = codec::decode_credential_info(Version::V1, "id", body);
    EXPECT_EQ(info.scal, 1);
    EXPECT_TRUE(info.pin_required);
    EXPECT_FALSE(info.otp_required);
}

TEST(ClientCodec, AnswersThatAreNotCscAreInvalidEncoding) {
    EXPECT_THROW((void)codec::decode_signatures("not json"), Error);
    EXPECT_THROW((void)codec::decode_sad(R"({"expiresIn":3600})"), Error);
    EXPECT_EQ(codec::decode_timestamp(R"({"timeStampToken":"AQI="})"), (Bytes{1, 2}));
    const SignDocResult r = codec::decode_sign_doc(R"({"SignatureObject":["AQI="]})");
    EXPECT_TRUE(r.documents_with_signature.empty());
    EXPECT_EQ(r.signature_objects.size(), 1U);
}

}  // namespace
}  // namespace inkan::client
