// Server-side request forgery through certificates in documents (issue 14 item 11, decision 0016),
// against the real `inkan serve`: the demo credential's certificate names an OCSP responder, CRL and
// caIssuers URL on a loopback trap server that the server's [signing] revocation_allow does not
// allow. signDoc B-LT and extend answer 503 "revocation data unavailable for <subject>", say nothing
// about the address, and the trap receives no request. (Loopback stands in for any denied address:
// the guard's unit tests cover the other ranges, and no test sends traffic off this host.)

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/core/clock.h>
#include <inkan/core/encoding.h>
#include <inkan/service/secrets.h>
#include <inkan/testing/process.h>
#include <inkan/testing/tiny_http.h>

#include "e2e_support.h"

namespace fs = std::filesystem;
using inkan::Bytes;
using inkan::e2e::curl_status;
using inkan::e2e::HttpResult;
using inkan::e2e::kEcdsaSha256;
using inkan::e2e::kSha256;
using inkan::e2e::sha256;
using inkan::testing::run;
using inkan::testing::TempDir;
using inkan::testing::TinyHttpServer;
using inkan::testing::TinyRequest;
using inkan::testing::TinyResponse;
using nlohmann::json;

namespace {

class SsrfE2e : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_trap = std::make_unique<TinyHttpServer>([](const TinyRequest&) {
            return TinyResponse{500, "text/plain", "trap"};
        });
        s_tmp = std::make_unique<TempDir>("inkan-ssrf-e2e");
        s_data = s_tmp->path() / "data";
        s_trap_origin = "http://127.0.0.1:" + std::to_string(s_trap->port());
        const auto init =
            run({INKAN_BIN, "init", "--data", s_data.string(), "--json", "--pki-url", s_trap_origin});
        ASSERT_EQ(init.exit_code, 0) << describe(init);
        s_init = json::parse(init.out);
        // init allows its own PKI URL; this operator allows nothing beyond public addresses.
        const fs::path config = s_data / "inkan.toml";
        std::stringstream text;
        text << std::ifstream{config}.rdbuf();
        const std::string before = text.str();
        const std::string after = std::regex_replace(before, std::regex{R"(revocation_allow = \[[^\]]*\])"},
                                                     "revocation_allow = []");
        ASSERT_NE(before, after) << "init wrote no revocation_allow:\n" << before;
        std::ofstream{config, std::ios::trunc} << after;
        const json line = inkan::e2e::start_serve(s_server, s_data);
        s_api = line["api_url"].get<std::string>();
    }
    static void TearDownTestSuite() {
        if (s_server) {
            EXPECT_EQ(s_server->terminate(), 0) << s_server->stderr_text();
        }
        s_server.reset();
        s_tmp.reset();
        s_trap.reset();
    }

    static std::string demo(const char* field) { return s_init["demo"][field].get<std::string>(); }
    static HttpResult post(const std::string& path, const json& body, const std::string& token) {
        return curl_status(s_init["tls_ca"].get<std::string>(), "60",
                           {"-X", "POST", "-H", "Content-Type: application/json", "-H",
                            "Authorization: Bearer " + token, "--data-binary", body.dump(), s_api + path});
    }
    static std::string login() {
        const auto r = curl_status(s_init["tls_ca"].get<std::string>(), "30",
                                   {"-X", "POST", "-u", demo("user") + ":" + demo("password"),
                                    "--data-binary", "{}", s_api + "/csc/v2/auth/login"});
        EXPECT_EQ(r.status, 200) << r.raw;
        return json::parse(r.body)["access_token"].get<std::string>();
    }
    static std::string sad_for(const std::string& token, const Bytes& digest, int ahead) {
        const Bytes seed = inkan::base32_decode(demo("totp_secret"));
        const std::string otp = inkan::service::totp_code(
            seed, inkan::SystemClock::instance().now() + std::chrono::seconds{30 * ahead});
        const auto r =
            post("/csc/v2/credentials/authorize",
                 {{"credentialID", demo("credential_id")},
                  {"numSignatures", 1},
                  {"hashes", {inkan::base64_encode(digest)}},
                  {"hashAlgorithmOID", kSha256},
                  {"authData", {{{"id", "PIN"}, {"value", demo("pin")}}, {{"id", "OTP"}, {"value", otp}}}}},
                 token);
        EXPECT_EQ(r.status, 200) << r.raw;
        return json::parse(r.body.empty() ? "{}" : r.body).value("SAD", "");
    }
    static HttpResult sign_digest(const std::string& token, const std::string& sad, const Bytes& digest,
                                  const char* level) {
        return post("/csc/v2/signatures/signDoc",
                    {{"credentialID", demo("credential_id")},
                     {"SAD", sad},
                     {"documentDigests",
                      {{{"hashes", {inkan::base64_encode(digest)}},
                        {"hashAlgorithmOID", kSha256},
                        {"signature_format", "C"},
                        {"conformance_level", level},
                        {"signAlgo", kEcdsaSha256}}}}},
                    token);
    }

    /// A 503 whose description names the certificate and nothing about where its URLs point.
    static void expect_subject_only_503(const HttpResult& r) {
        EXPECT_EQ(r.status, 503) << r.raw;
        const json e = json::parse(r.body.empty() ? "{}" : r.body);
        EXPECT_EQ(e.value("error", ""), "temporarily_unavailable") << r.raw;
        const std::string d = e.value("error_description", "");
        EXPECT_NE(d.find("revocation data unavailable for \""), std::string::npos) << d;
        for (const std::string& leak :
             {std::string{"127.0.0.1"}, std::to_string(s_trap->port()), std::string{"http://"},
              std::string{"loopback"}, std::string{"refused"}, std::string{"not allowed"}}) {
            EXPECT_EQ(d.find(leak), std::string::npos) << "the description leaks \"" << leak << "\": " << d;
        }
    }

    static inline std::unique_ptr<TinyHttpServer> s_trap;
    static inline std::string s_trap_origin;
    static inline std::unique_ptr<TempDir> s_tmp;
    static inline fs::path s_data;
    static inline json s_init;
    static inline std::unique_ptr<inkan::testing::Process> s_server;
    static inline std::string s_api;
};

TEST_F(SsrfE2e, SignDocBltWithACertificatePointingAtADeniedAddressIs503AndFetchesNothing) {
    const std::string token = login();
    const Bytes digest = sha256("ssrf signDoc");
    const std::string sad = sad_for(token, digest, 0);
    expect_subject_only_503(sign_digest(token, sad, digest, "Ades-B-LT"));
    EXPECT_EQ(s_trap->requests(), 0) << "the server fetched from a denied address";
    // The details are the operator's: in the server's log.
}

TEST_F(SsrfE2e, ExtendOfADocumentWhoseCertificatePointsAtADeniedAddressIs503AndFetchesNothing) {
    const std::string token = login();
    const std::string content = "ssrf extend";
    const Bytes digest = sha256(content);
    const std::string sad = sad_for(token, digest, 1);
    const auto signed_ = sign_digest(token, sad, digest, "Ades-B-B");
    ASSERT_EQ(signed_.status, 200) << signed_.raw;
    const std::string cms = json::parse(signed_.body)["SignatureObject"][0].get<std::string>();
    const auto r = post("/inkan/v1/extend",
                        {{"documents",
                          {{{"document", cms},
                            {"signature_format", "C"},
                            {"content", inkan::base64_encode(inkan::as_bytes(content))}}}}},
                        token);
    expect_subject_only_503(r);
    EXPECT_EQ(s_trap->requests(), 0) << "the server fetched from a denied address";
}

}  // namespace
