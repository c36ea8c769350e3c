// Time-stamping end to end: `openssl ts -query | curl --data-binary @- <pki>/tsa` against the real
// `inkan serve`, judged by `openssl ts -verify`; rejections read with `openssl ts -reply -text`; CSC
// signatures/timestamp v1 and v2 over curl; `inkan timestamp` with failover; serve refusing a bad TSA
// certificate.

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/testing/process.h>

#include <inkan/testing/tiny_http.h>
#include "e2e_support.h"

namespace fs = std::filesystem;
using inkan::e2e::run_inkan;
using inkan::e2e::start_serve;
using inkan::testing::CommandResult;
using inkan::testing::run;
using inkan::testing::TempDir;
using nlohmann::json;

namespace {

bool contains(const std::string& s, std::string_view what) {
    return s.find(what) != std::string::npos;
}

class Tsa : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_tmp = std::make_unique<TempDir>("inkan-tsa");
        s_data = s_tmp->path() / "data";
        const auto init = run_inkan({"init", "--data", s_data.string(), "--json"});
        ASSERT_EQ(init.exit_code, 0) << describe(init);
        s_init = json::parse(init.out);
        const json line = start_serve(s_server, s_data);
        s_api = line["api_url"].get<std::string>();
        s_tsa = line["tsa_url"].get<std::string>();
        s_metrics = line["metrics_url"].get<std::string>();
        // The serving line is printed before the server installs its SIGTERM handler and starts
        // accepting; an answered request proves both, so a quick test cannot kill it by default action.
        const auto ready = run({"curl", "-sS", "--retry", "20", "--retry-connrefused", "--retry-delay", "1",
                                s_tsa.substr(0, s_tsa.size() - 4) + "/healthz"});
        ASSERT_EQ(ready.exit_code, 0) << describe(ready);
    }
    static void TearDownTestSuite() {
        if (s_server) {
            EXPECT_EQ(s_server->terminate(), 0) << s_server->stderr_text();
        }
        s_server.reset();
        s_tmp.reset();
    }

    static std::string root() { return s_init["trust_anchor"].get<std::string>(); }
    static std::string tsa_chain() { return (s_data / "pki" / "tsa-chain.pem").string(); }

    /// openssl ts -query (with `query_args`) | curl --data-binary @- <tsa>; the reply lands in dir/r.tsr.
    static CommandResult stamp(const TempDir& dir, const std::string& data,
                               const std::vector<std::string>& query_args,
                               const std::string& content_type = "application/timestamp-query") {
        inkan::testing::write_file(dir / "data.bin", data);
        std::vector<std::string> q{"openssl", "ts", "-query", "-data", (dir / "data.bin").string()};
        q.insert(q.end(), query_args.begin(), query_args.end());
        const auto query = run(q);
        EXPECT_EQ(query.exit_code, 0) << describe(query);
        return curl_post(dir, query.out, content_type);
    }
    static CommandResult curl_post(const TempDir& dir, const std::string& body,
                                   const std::string& content_type) {
        return run({"curl", "-sS", "--max-time", "30", "-H", "Content-Type: " + content_type, "--data-binary",
                    "@-", "-o", (dir / "r.tsr").string(), "-w", "%{http_code} %{content_type}", s_tsa},
                   body);
    }
    static CommandResult verify(const TempDir& dir, const std::string& data) {
        inkan::testing::write_file(dir / "check.bin", data);
        return run({"openssl", "ts", "-verify", "-data", (dir / "check.bin").string(), "-in",
                    (dir / "r.tsr").string(), "-CAfile", root(), "-untrusted", tsa_chain()});
    }
    static std::string reply_text(const TempDir& dir) {
        const auto r = run({"openssl", "ts", "-reply", "-in", (dir / "r.tsr").string(), "-text"});
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        return r.out;
    }
    static std::string login(const std::string& v) {
        const auto r = run(
            {"curl", "-sS", "--cacert", s_init["tls_ca"].get<std::string>(), "-X", "POST", "-u",
             s_init["demo"]["user"].get<std::string>() + ":" + s_init["demo"]["password"].get<std::string>(),
             "--data-binary", "{}", s_api + "/csc/" + v + "/auth/login"});
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        return json::parse(r.out)["access_token"].get<std::string>();
    }
    static CommandResult csc(const std::string& v, const std::string& method, const json& body,
                             const std::string& token) {
        std::vector<std::string> argv{
            "curl", "-sS",           "--cacert", s_init["tls_ca"].get<std::string>(),
            "-X",   "POST",          "-H",       "Content-Type: application/json",
            "-w",   "\n%{http_code}"};
        if (!token.empty()) {
            argv.insert(argv.end(), {"-H", "Authorization: Bearer " + token});
        }
        argv.insert(argv.end(), {"--data-binary", body.dump(), s_api + "/csc/" + v + "/" + method});
        return run(argv);
    }

    static inline std::unique_ptr<TempDir> s_tmp;
    static inline fs::path s_data;
    static inline json s_init;
    static inline std::unique_ptr<inkan::testing::Process> s_server;
    static inline std::string s_api;
    static inline std::string s_tsa;
    static inline std::string s_metrics;
};

TEST_F(Tsa, InitReportsTheTsaUrl) {
    const std::string url = s_init["tsa_url"].get<std::string>();
    EXPECT_EQ(url, s_init["pki_url"].get<std::string>() + "/tsa");
}

TEST_F(Tsa, OpensslQueryOverCurlGivesATokenOpensslVerifiesForEveryDigestWithAndWithoutNonce) {
    for (const std::vector<std::string>& args : {std::vector<std::string>{"-sha256", "-cert"},
                                                 {"-sha384", "-cert"},
                                                 {"-sha512", "-cert"},
                                                 {"-sha256", "-cert", "-no_nonce"}}) {
        TempDir dir;
        const auto post = stamp(dir, "a document to stamp", args);
        ASSERT_EQ(post.exit_code, 0) << describe(post);
        EXPECT_EQ(post.out, "200 application/timestamp-reply") << args[0];
        const auto ok = verify(dir, "a document to stamp");
        EXPECT_EQ(ok.exit_code, 0) << args[0] << ": " << describe(ok);
        EXPECT_TRUE(contains(ok.out, "Verification: OK")) << ok.out;
        const auto bad = verify(dir, "another document");
        EXPECT_NE(bad.exit_code, 0) << args[0] << ": openssl accepted the token for other data";
        EXPECT_TRUE(contains(bad.out + bad.err, "FAILED")) << describe(bad);
    }
}

TEST_F(Tsa, PlainCurlDataBinaryWithoutAContentTypeHeaderWorksToo) {
    // The issue's own check: openssl ts -query ... | curl --data-binary @- .../tsa (curl then sends its
    // default form media type).
    TempDir dir;
    inkan::testing::write_file(dir / "data.bin", "plain curl");
    const auto query =
        run({"openssl", "ts", "-query", "-data", (dir / "data.bin").string(), "-sha256", "-cert"});
    ASSERT_EQ(query.exit_code, 0) << describe(query);
    const auto post = run(
        {"curl", "-sS", "--data-binary", "@-", "-o", (dir / "r.tsr").string(), "-w", "%{http_code}", s_tsa},
        query.out);
    EXPECT_EQ(post.out, "200") << describe(post);
    EXPECT_EQ(verify(dir, "plain curl").exit_code, 0);
}

TEST_F(Tsa, BadRequestsGetTheirFailInfoAndTheServerKeepsServing) {
    {
        TempDir dir;
        ASSERT_EQ(stamp(dir, "x", {"-sha256", "-tspolicy", "1.3.6.1.4.1.99999.42"}).exit_code, 0);
        const std::string text = reply_text(dir);
        EXPECT_TRUE(contains(text, "Rejected")) << text;
        EXPECT_TRUE(contains(text, "the requested TSA policy is not supported by the TSA")) << text;
    }
    for (const char* md : {"-md5", "-sha1"}) {
        TempDir dir;
        ASSERT_EQ(stamp(dir, "x", {md}).exit_code, 0);
        const std::string text = reply_text(dir);
        EXPECT_TRUE(contains(text, "unrecognized or unsupported algorithm identifier")) << md << ": " << text;
    }
    {
        TempDir dir;
        const auto post = curl_post(dir, "garbage, not DER", "application/timestamp-query");
        EXPECT_EQ(post.out, "200 application/timestamp-reply") << describe(post);
        const std::string text = reply_text(dir);
        EXPECT_TRUE(contains(text, "the data submitted has the wrong format")) << text;
    }
    {
        TempDir dir;
        const auto post = curl_post(dir, "x", "application/json");
        EXPECT_EQ(post.out.substr(0, 3), "415") << describe(post);
    }
    {
        TempDir dir;
        const auto post = curl_post(dir, "x", "text/plain");
        EXPECT_EQ(post.out.substr(0, 3), "415") << describe(post);
    }
    TempDir dir;
    ASSERT_EQ(stamp(dir, "still serving", {"-sha256", "-cert"}).exit_code, 0);
    EXPECT_EQ(verify(dir, "still serving").exit_code, 0);
}

TEST_F(Tsa, CscTimestampV1AndV2ReturnATokenOpensslVerifiesWithTheNonce) {
    const std::string data = "hashed by the client";
    const inkan::Bytes digest = [&] {
        TempDir d;
        inkan::testing::write_file(d / "f", data);
        const auto r = run({"openssl", "dgst", "-sha256", "-binary", (d / "f").string()});
        return inkan::to_bytes(r.out);
    }();
    for (const std::string v : {"v1", "v2"}) {
        TempDir dir;
        const std::string token = login(v);
        const auto r = csc(v, "signatures/timestamp",
                           {{"hash", inkan::base64_encode(digest)},
                            {"hashAlgo", "2.16.840.1.101.3.4.2.1"},
                            {"nonce", "0a1b2c3d"}},
                           token);
        ASSERT_EQ(r.exit_code, 0) << describe(r);
        const auto nl = r.out.rfind('\n');
        ASSERT_EQ(r.out.substr(nl + 1), "200") << v << ": " << r.out;
        const json body = json::parse(r.out.substr(0, nl));
        const auto der = inkan::base64_decode(body["timestamp"].get<std::string>());
        inkan::testing::write_file(dir / "token.der", der);
        const auto ok =
            run({"openssl", "ts", "-verify", "-digest", inkan::hex_encode(digest), "-token_in", "-in",
                 (dir / "token.der").string(), "-CAfile", root(), "-untrusted", tsa_chain()});
        EXPECT_EQ(ok.exit_code, 0) << v << ": " << describe(ok);
        const auto text =
            run({"openssl", "ts", "-reply", "-token_in", "-in", (dir / "token.der").string(), "-text"});
        EXPECT_TRUE(contains(text.out, "Nonce: 0x0A1B2C3D")) << text.out;

        const auto bad_alg =
            csc(v, "signatures/timestamp",
                {{"hash", inkan::base64_encode(digest)}, {"hashAlgo", "1.2.840.113549.2.5"}}, token);
        EXPECT_TRUE(contains(bad_alg.out, "invalid_request")) << bad_alg.out;
        EXPECT_TRUE(contains(bad_alg.out, "\n400")) << bad_alg.out;
        const auto bad_hash =
            csc(v, "signatures/timestamp", {{"hash", "AAAA"}, {"hashAlgo", "2.16.840.1.101.3.4.2.1"}}, token);
        EXPECT_TRUE(contains(bad_hash.out, "Invalid parameter hash")) << bad_hash.out;
        const auto no_token =
            csc(v, "signatures/timestamp",
                {{"hash", inkan::base64_encode(digest)}, {"hashAlgo", "2.16.840.1.101.3.4.2.1"}}, "");
        EXPECT_TRUE(contains(no_token.out, "\n401")) << no_token.out;
    }
}

TEST_F(Tsa, TimestampCommandFailsOverToTheSecondTsaAndWritesAResponseOpensslVerifies) {
    TempDir dir;
    inkan::testing::write_file(dir / "doc.txt", "stamp me from the command line");
    const std::string down =
        "http://127.0.0.1:" + std::to_string(inkan::testing::TinyHttpServer::closed_port()) + "/tsa";
    const auto r = run_inkan({"timestamp", (dir / "doc.txt").string(), "--url", down, "--url", s_tsa,
                              "--cacert", root(), "--timeout-ms", "5000"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(contains(r.out, s_tsa)) << r.out;
    const auto ok = run({"openssl", "ts", "-verify", "-data", (dir / "doc.txt").string(), "-in",
                         (dir / "doc.txt.tsr").string(), "-CAfile", root(), "-untrusted", tsa_chain()});
    EXPECT_EQ(ok.exit_code, 0) << describe(ok);

    // --force past the existing doc.txt.tsr (decision 0040); the TSA's failure leaves it as it was.
    const auto none = run_inkan({"timestamp", (dir / "doc.txt").string(), "--url", down, "--force"});
    EXPECT_EQ(none.exit_code, 1) << describe(none);
    EXPECT_TRUE(contains(none.err, "[unavailable]")) << none.err;
    const auto still = run({"openssl", "ts", "-verify", "-data", (dir / "doc.txt").string(), "-in",
                            (dir / "doc.txt.tsr").string(), "-CAfile", root(), "-untrusted", tsa_chain()});
    EXPECT_EQ(still.exit_code, 0) << "the failed run left the earlier response whole\n" << describe(still);
}

TEST_F(Tsa, MetricsCountTokensByPolicyAndStatus) {
    TempDir dir;
    ASSERT_EQ(stamp(dir, "counted", {"-sha256"}).exit_code, 0);
    const auto r = run({"curl", "-sS", s_metrics});
    EXPECT_TRUE(contains(r.out, "inkan_tsa_tokens_total{policy=\"2.25.")) << r.out;
    EXPECT_TRUE(contains(r.out, "status=\"granted\"")) << r.out;
}

TEST_F(Tsa, ServeRefusesATsaCertificateWithoutTheTimeStampingEku) {
    inkan::testing::Process p{{INKAN_BIN, "serve", "--data", s_data.string(), "--api-listen", "127.0.0.1:0",
                               "--pki-listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"},
                              {"INKAN_TSA_CERTIFICATE=" + (s_data / "pki" / "tls-chain.pem").string()}};
    EXPECT_THROW((void)p.read_line(std::chrono::seconds{60}), inkan::Error);
    EXPECT_NE(p.terminate(), 0);
    EXPECT_TRUE(contains(p.stderr_text(), "extendedKeyUsage")) << p.stderr_text();
}

}  // namespace
