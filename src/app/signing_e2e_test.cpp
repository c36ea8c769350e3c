// End-to-end sole control against the real `inkan serve` (ephemeral ports, TLS key in the HSM): the
// demo user `inkan init` creates logs in over CSC v1 and v2, authorises with PIN + TOTP (the code is
// computed here from the base32 secret init printed) at SCAL 2, signs SHA-256 digests, and
// `openssl pkeyutl -verify` accepts every signature against the certificate credentials/info returns.
// One SAD spent by 16 concurrent curl processes: exactly one 200.

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/core/clock.h>
#include <inkan/core/encoding.h>
#include <inkan/crypto/digest.h>
#include <inkan/service/secrets.h>
#include <inkan/testing/process.h>

#include "e2e_support.h"

namespace fs = std::filesystem;
using inkan::Bytes;
using inkan::e2e::curl_status;
using inkan::e2e::HttpResult;
using inkan::e2e::kEcdsaSha256;
using inkan::e2e::kSha256;
using inkan::e2e::sha256;
using inkan::e2e::start_serve;
using inkan::testing::CommandResult;
using inkan::testing::run;
using inkan::testing::TempDir;
using nlohmann::json;

namespace {

class SigningE2e : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_tmp = std::make_unique<TempDir>("inkan-sign-e2e");
        s_data = s_tmp->path() / "data";
        const auto init = run({INKAN_BIN, "init", "--data", s_data.string(), "--json"});
        ASSERT_EQ(init.exit_code, 0) << describe(init);
        s_init = json::parse(init.out);
        const json line = start_serve(s_server, s_data);
        s_api = line["api_url"].get<std::string>();
        s_metrics = line["metrics_url"].get<std::string>();
    }
    static void TearDownTestSuite() {
        if (s_server) {
            EXPECT_EQ(s_server->terminate(), 0) << s_server->stderr_text();
        }
        s_server.reset();
        s_tmp.reset();
    }

    static std::string demo(const char* field) { return s_init["demo"][field].get<std::string>(); }

    static HttpResult curl(std::vector<std::string> args) {
        return curl_status(s_init["tls_ca"].get<std::string>(), "30", args);
    }
    static HttpResult post(const std::string& path, const json& body, const std::string& token) {
        return curl({"-X", "POST", "-H", "Content-Type: application/json", "-H",
                     "Authorization: Bearer " + token, "--data-binary", body.dump(), s_api + path});
    }
    static std::string login(const std::string& v) {
        const auto r = curl({"-X", "POST", "-u", demo("user") + ":" + demo("password"), "--data-binary", "{}",
                             s_api + "/csc/" + v + "/auth/login"});
        EXPECT_EQ(r.status, 200) << r.raw;
        return json::parse(r.body)["access_token"].get<std::string>();
    }

    /// The TOTP code for the current step plus `ahead` (the server accepts ±1 step, each once).
    static std::string totp(int ahead) {
        const Bytes seed = inkan::base32_decode(demo("totp_secret"));
        return inkan::service::totp_code(
            seed, inkan::SystemClock::instance().now() + std::chrono::seconds{30 * ahead});
    }

    /// The credential's certificate as PEM (from credentials/info).
    static fs::path certificate(const std::string& v, const std::string& token) {
        const auto r =
            post("/csc/" + v + "/credentials/info", {{"credentialID", demo("credential_id")}}, token);
        EXPECT_EQ(r.status, 200) << r.raw;
        const Bytes der =
            inkan::base64_decode(json::parse(r.body)["cert"]["certificates"][0].get<std::string>());
        const fs::path file = s_tmp->path() / ("cert-" + v + ".der");
        inkan::testing::write_file(file, der);
        const fs::path pem = s_tmp->path() / ("cert-" + v + ".pem");
        const auto conv =
            run({"openssl", "x509", "-inform", "DER", "-in", file.string(), "-out", pem.string()});
        EXPECT_EQ(conv.exit_code, 0) << describe(conv);
        return pem;
    }

    /// `openssl pkeyutl -verify` of an ECDSA-SHA256 signature over `digest` with the certificate's key.
    static void openssl_verify(const fs::path& cert, const Bytes& digest, const std::string& signature_b64) {
        const fs::path in = s_tmp->path() / "digest.bin";
        const fs::path sig = s_tmp->path() / "sig.bin";
        inkan::testing::write_file(in, digest);
        inkan::testing::write_file(sig, inkan::base64_decode(signature_b64));
        const auto r = run({"openssl", "pkeyutl", "-verify", "-certin", "-inkey", cert.string(), "-in",
                            in.string(), "-sigfile", sig.string(), "-pkeyopt", "digest:sha256"});
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        EXPECT_NE(r.out.find("Signature Verified Successfully"), std::string::npos) << r.out;
    }

    static inline std::unique_ptr<TempDir> s_tmp;
    static inline fs::path s_data;
    static inline json s_init;
    static inline std::unique_ptr<inkan::testing::Process> s_server;
    static inline std::string s_api;
    static inline std::string s_metrics;
};

TEST_F(SigningE2e, V1AndV2AuthoriseWithPinAndTotpAndSignaturesVerify) {
    const std::string credential = demo("credential_id");

    // v1: two hashes at SCAL 2, PIN + OTP, signed in one request.
    {
        const std::string token = login("v1");
        const std::vector<Bytes> hashes{sha256("e2e v1 first"), sha256("e2e v1 second")};
        const json hash_b64 = {inkan::base64_encode(hashes[0]), inkan::base64_encode(hashes[1])};
        const auto auth = post("/csc/v1/credentials/authorize",
                               {{"credentialID", credential},
                                {"numSignatures", 2},
                                {"hash", hash_b64},
                                {"PIN", demo("pin")},
                                {"OTP", totp(0)},
                                {"description", "end-to-end test"}},
                               token);
        ASSERT_EQ(auth.status, 200) << auth.raw;
        const std::string sad = json::parse(auth.body)["SAD"].get<std::string>();
        const auto signed_ =
            post("/csc/v1/signatures/signHash",
                 {{"credentialID", credential}, {"SAD", sad}, {"hash", hash_b64}, {"signAlgo", kEcdsaSha256}},
                 token);
        ASSERT_EQ(signed_.status, 200) << signed_.raw;
        const json signatures = json::parse(signed_.body)["signatures"];
        ASSERT_EQ(signatures.size(), 2U);
        const fs::path cert = certificate("v1", token);
        for (std::size_t i = 0; i < hashes.size(); ++i) {
            openssl_verify(cert, hashes[i], signatures[i].get<std::string>());
        }
    }

    // v2: one hash (base64url), authData, then 16 concurrent signHash calls with that one SAD.
    {
        const std::string token = login("v2");
        const Bytes hash = sha256("e2e v2");
        const auto auth = post(
            "/csc/v2/credentials/authorize",
            {{"credentialID", credential},
             {"numSignatures", 1},
             {"hashes", {inkan::base64url_encode(hash)}},
             {"hashAlgorithmOID", kSha256},
             {"authData", {{{"id", "PIN"}, {"value", demo("pin")}}, {{"id", "OTP"}, {"value", totp(1)}}}}},
            token);
        ASSERT_EQ(auth.status, 200) << auth.raw;
        const std::string sad = json::parse(auth.body)["SAD"].get<std::string>();
        const json request{{"credentialID", credential},
                           {"SAD", sad},
                           {"hashes", {inkan::base64_encode(hash)}},
                           {"hashAlgorithmOID", kSha256},
                           {"signAlgo", kEcdsaSha256},
                           {"operationMode", "S"}};
        std::vector<HttpResult> results(16);
        std::vector<std::thread> threads;
        std::atomic<bool> go{false};
        for (std::size_t i = 0; i < results.size(); ++i) {
            threads.emplace_back([&, i] {
                while (!go.load()) {
                    std::this_thread::yield();
                }
                results[i] = post("/csc/v2/signatures/signHash", request, token);
            });
        }
        go = true;
        for (auto& t : threads) {
            t.join();
        }
        int ok = 0;
        std::string signature;
        for (const auto& r : results) {
            if (r.status == 200) {
                ++ok;
                signature = json::parse(r.body)["signatures"][0].get<std::string>();
            } else {
                EXPECT_EQ(r.status, 400) << r.raw;
                const json e = json::parse(r.body);
                EXPECT_EQ(e["error"], "invalid_request");
                // Spent (retired) or its one hash already consumed: either way refused.
                EXPECT_TRUE(e["error_description"] == "Invalid parameter SAD" ||
                            e["error_description"] == "Hash is not authorized by the SAD")
                    << r.body;
            }
        }
        EXPECT_EQ(ok, 1);
        ASSERT_FALSE(signature.empty());
        openssl_verify(certificate("v2", token), hash, signature);
    }

    // /metrics counts the signatures by algorithm: two from v1, one from the v2 race.
    const auto metrics = run({"curl", "-sS", s_metrics});
    ASSERT_EQ(metrics.exit_code, 0) << metrics.err;
    EXPECT_NE(metrics.out.find("inkan_signatures_total{algorithm=\"ECDSA-SHA256\"} 3"), std::string::npos)
        << metrics.out;
}

}  // namespace
