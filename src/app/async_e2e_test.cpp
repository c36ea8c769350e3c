// CSC v2 asynchronous operation (operationMode "A", signatures/signPolling, response_uri; decision 0033)
// against the real `inkan serve` over TLS, driven by curl the way a client calls it. One authorisation
// (PIN + TOTP, SCAL 2) covers every hash the cases spend; each case spends its own. Signatures are judged by
// `openssl pkeyutl -verify`, the signed PDF by pdfsig and qpdf --check. response_uri goes to a local
// listener the server's guard allows (INKAN_API_ASYNC_RESPONSE_URI_ALLOW=127.0.0.1) and is refused for a
// link-local address no allow entry names.

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
#include <inkan/testing/pdf_text.h>
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
using inkan::testing::run;
using inkan::testing::TempDir;
using nlohmann::json;

namespace {

/// A plain HTTP listener on 127.0.0.1: prints its port, then one line per POST it receives (the body),
/// and answers 204.
constexpr const char* kListener = R"py(
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', '0')))
        sys.stdout.write(self.path + ' ' + self.headers.get('Content-Type', '') + ' ' + body.decode() + '\n')
        sys.stdout.flush()
        self.send_response(204)
        self.end_headers()
    def log_message(self, *args):
        pass
s = http.server.HTTPServer(('127.0.0.1', 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
)py";

class AsyncE2e : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_tmp = std::make_unique<TempDir>("inkan-async-e2e");
        s_data = s_tmp->path() / "data";
        const auto init = run({INKAN_BIN, "init", "--data", s_data.string(), "--json"});
        ASSERT_EQ(init.exit_code, 0) << describe(init);
        s_init = json::parse(init.out);
        const auto second = run({INKAN_BIN, "user", "add", "second", "--display-name", "Jiro Suzuki",
                                 "--data", s_data.string(), "--password-stdin", "--json"},
                                "second-password\n");
        ASSERT_EQ(second.exit_code, 0) << describe(second);

        s_listener =
            std::make_unique<inkan::testing::Process>(std::vector<std::string>{"python3", "-c", kListener});
        s_listener_port = s_listener->read_line(std::chrono::seconds{30});

        const json line = start_serve(s_server, s_data, {"INKAN_API_ASYNC_RESPONSE_URI_ALLOW=127.0.0.1"});
        s_api = line["api_url"].get<std::string>();

        // A one-page PDF for signDoc.
        const std::string content = "BT /F1 24 Tf 72 720 Td (Signed later) Tj ET";
        s_pdf = inkan::testing::build_pdf(
            {"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
             "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font "
             "<< /F1 5 0 R >> >> >>",
             "<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "\nendstream",
             "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"});

        // One SCAL 2 authorisation for every hash the cases spend (one TOTP step per user and step).
        s_token = login(demo("user"), demo("password"));
        s_hashes = {sha256("async first"),
                    sha256("sync second"),
                    sha256("async expiry"),
                    sha256("async notify"),
                    sha256("async blocked uri"),
                    inkan::crypto::digest(inkan::crypto::DigestAlgorithm::Sha256, inkan::as_bytes(s_pdf))};
        json hashes = json::array();
        for (const auto& h : s_hashes) {
            hashes.push_back(inkan::base64_encode(h));
        }
        const Bytes seed = inkan::base32_decode(demo("totp_secret"));
        const auto auth =
            post("/csc/v2/credentials/authorize",
                 {{"credentialID", demo("credential_id")},
                  {"numSignatures", s_hashes.size()},
                  {"hashes", hashes},
                  {"hashAlgorithmOID", kSha256},
                  {"authData",
                   {{{"id", "PIN"}, {"value", demo("pin")}},
                    {{"id", "OTP"},
                     {"value", inkan::service::totp_code(seed, inkan::SystemClock::instance().now())}}}}},
                 s_token);
        ASSERT_EQ(auth.status, 200) << auth.raw;
        s_sad = json::parse(auth.body)["SAD"].get<std::string>();
    }
    static void TearDownTestSuite() {
        if (s_server) {
            EXPECT_EQ(s_server->terminate(), 0) << s_server->stderr_text();
        }
        s_server.reset();
        if (s_listener) {
            (void)s_listener->terminate(std::chrono::seconds{5});
        }
        s_listener.reset();
        s_tmp.reset();
    }

    static std::string demo(const char* field) { return s_init["demo"][field].get<std::string>(); }
    static HttpResult curl(std::vector<std::string> args) {
        return curl_status(s_init["tls_ca"].get<std::string>(), "60", args);
    }
    static HttpResult post(const std::string& path, const json& body, const std::string& token) {
        return curl({"-X", "POST", "-H", "Content-Type: application/json", "-H",
                     "Authorization: Bearer " + token, "--data-binary", body.dump(), s_api + path});
    }
    static std::string login(const std::string& user, const std::string& password) {
        const auto r = curl(
            {"-X", "POST", "-u", user + ":" + password, "--data-binary", "{}", s_api + "/csc/v2/auth/login"});
        EXPECT_EQ(r.status, 200) << r.raw;
        return json::parse(r.body)["access_token"].get<std::string>();
    }

    /// A v2 signHash of s_hashes[i] with the suite's SAD, plus `extra` members.
    static HttpResult sign_hash(std::size_t i, const json& extra) {
        json body{{"credentialID", demo("credential_id")},
                  {"SAD", s_sad},
                  {"hashes", {inkan::base64_encode(s_hashes[i])}},
                  {"hashAlgorithmOID", kSha256},
                  {"signAlgo", kEcdsaSha256}};
        if (extra.is_object()) {
            body.update(extra);  // {} is null in nlohmann::json: nothing to add
        }
        return post("/csc/v2/signatures/signHash", body, s_token);
    }

    /// signPolling until the answer is not 202 accepted_request (a bounded number of tries, not a timing
    /// assertion: a pending answer is checked to be exactly the spec's form every time).
    static HttpResult poll_until_done(const std::string& id, const std::string& token) {
        for (int i = 0; i < 600; ++i) {
            const auto r = post("/csc/v2/signatures/signPolling", {{"requestID", id}}, token);
            if (r.status != 202) {
                return r;
            }
            const json e = json::parse(r.body);
            EXPECT_EQ(e["error"], "accepted_request") << r.body;
            std::this_thread::sleep_for(std::chrono::milliseconds{100});
        }
        ADD_FAILURE() << "still pending after 600 polls: " << id;
        return {};
    }

    static std::string response_id(const HttpResult& r) {
        EXPECT_EQ(r.status, 202) << r.raw;
        const json body = json::parse(r.body);
        EXPECT_EQ(body.size(), 1U) << r.body;
        return body.value("responseID", "");
    }

    /// The credential's certificate as PEM (from credentials/info).
    static fs::path certificate() {
        const auto r = post("/csc/v2/credentials/info", {{"credentialID", demo("credential_id")}}, s_token);
        EXPECT_EQ(r.status, 200) << r.raw;
        const fs::path der = s_tmp->path() / "cert.der";
        inkan::testing::write_file(
            der, inkan::base64_decode(json::parse(r.body)["cert"]["certificates"][0].get<std::string>()));
        const fs::path pem = s_tmp->path() / "cert.pem";
        const auto conv =
            run({"openssl", "x509", "-inform", "DER", "-in", der.string(), "-out", pem.string()});
        EXPECT_EQ(conv.exit_code, 0) << describe(conv);
        return pem;
    }

    static void openssl_verify(const Bytes& digest, const std::string& signature_b64) {
        const fs::path in = s_tmp->path() / "digest.bin";
        const fs::path sig = s_tmp->path() / "sig.bin";
        inkan::testing::write_file(in, digest);
        inkan::testing::write_file(sig, inkan::base64_decode(signature_b64));
        const auto r = run({"openssl", "pkeyutl", "-verify", "-certin", "-inkey", certificate().string(),
                            "-in", in.string(), "-sigfile", sig.string(), "-pkeyopt", "digest:sha256"});
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        EXPECT_NE(r.out.find("Signature Verified Successfully"), std::string::npos) << r.out;
    }

    static void expect_invalid_request(const HttpResult& r, const std::string& description) {
        EXPECT_EQ(r.status, 400) << r.raw;
        const json e = json::parse(r.body.empty() ? "{}" : r.body);
        EXPECT_EQ(e.value("error", ""), "invalid_request") << r.body;
        EXPECT_EQ(e.value("error_description", ""), description) << r.body;
    }

    static inline std::unique_ptr<TempDir> s_tmp;
    static inline fs::path s_data;
    static inline json s_init;
    static inline std::unique_ptr<inkan::testing::Process> s_server;
    static inline std::unique_ptr<inkan::testing::Process> s_listener;
    static inline std::string s_listener_port;
    static inline std::string s_api;
    static inline std::string s_token;
    static inline std::string s_sad;
    static inline std::vector<Bytes> s_hashes;
    static inline std::string s_pdf;
};

TEST_F(AsyncE2e, InfoClaimsAsynchronousOperationModeAndListsSignPolling) {
    const auto r = curl({s_api + "/csc/v2/info"});
    ASSERT_EQ(r.status, 200) << r.raw;
    const json info = json::parse(r.body);
    EXPECT_EQ(info["asynchronousOperationMode"], true) << r.body;
    const auto methods = info["methods"].get<std::vector<std::string>>();
    EXPECT_NE(std::find(methods.begin(), methods.end(), "signatures/signPolling"), methods.end()) << r.body;
}

TEST_F(AsyncE2e, SignHashAsyncReturnsResponseIdAndPollingReturnsAVerifiableSignatureToItsCallerOnly) {
    const auto started = sign_hash(0, {{"operationMode", "A"}});
    const std::string id = response_id(started);
    ASSERT_FALSE(id.empty());

    // The SAD was spent before the responseID came back: the same hash again is refused at once.
    expect_invalid_request(sign_hash(0, {{"operationMode", "A"}}), "Hash is not authorized by the SAD");
    expect_invalid_request(sign_hash(0, {{"operationMode", "S"}}), "Hash is not authorized by the SAD");

    const auto done = poll_until_done(id, s_token);
    ASSERT_EQ(done.status, 200) << done.raw;
    const json signatures = json::parse(done.body)["signatures"];
    ASSERT_EQ(signatures.size(), 1U) << done.body;
    openssl_verify(s_hashes[0], signatures[0].get<std::string>());

    // Polled again within validity_period: the same answer.
    const auto again = post("/csc/v2/signatures/signPolling", {{"requestID", id}}, s_token);
    EXPECT_EQ(again.status, 200) << again.raw;
    EXPECT_EQ(again.body, done.body);

    // Another user's token: the same refusal as an id that never existed.
    const std::string other = login("second", "second-password");
    const auto foreign = post("/csc/v2/signatures/signPolling", {{"requestID", id}}, other);
    expect_invalid_request(foreign, "Invalid parameter requestID");
    const auto unknown = post("/csc/v2/signatures/signPolling",
                              {{"requestID", inkan::base64url_encode(sha256("no such operation"))}}, s_token);
    expect_invalid_request(unknown, "Invalid parameter requestID");
    EXPECT_EQ(foreign.body, unknown.body);
}

TEST_F(AsyncE2e, SyncModeIsUnchanged) {
    const auto r = sign_hash(1, {{"operationMode", "S"}});
    ASSERT_EQ(r.status, 200) << r.raw;
    const json body = json::parse(r.body);
    EXPECT_FALSE(body.contains("responseID")) << r.body;
    ASSERT_EQ(body["signatures"].size(), 1U) << r.body;
    openssl_verify(s_hashes[1], body["signatures"][0].get<std::string>());
}

TEST_F(AsyncE2e, OutOfBoundsValidityIsRefusedWithoutSpendingAndAnAnswerIsGoneAfterItsValidityPeriod) {
    // Refused before the SAD is touched: the hash is still there for the good request after.
    expect_invalid_request(sign_hash(2, {{"operationMode", "A"}, {"validity_period", 0}}),
                           "Invalid parameter validity_period");
    expect_invalid_request(sign_hash(2, {{"operationMode", "A"}, {"validity_period", 86'400'000}}),
                           "Invalid parameter validity_period");
    expect_invalid_request(sign_hash(2, {{"operationMode", "S"}, {"validity_period", 5000}}),
                           "Invalid parameter validity_period");
    const std::string id = response_id(sign_hash(2, {{"operationMode", "A"}, {"validity_period", 1000}}));
    ASSERT_FALSE(id.empty());
    const auto done = poll_until_done(id, s_token);
    ASSERT_EQ(done.status, 200) << done.raw;
    // Kept 1000 ms from completion; after that the id is unknown.
    std::this_thread::sleep_for(std::chrono::milliseconds{2500});
    expect_invalid_request(post("/csc/v2/signatures/signPolling", {{"requestID", id}}, s_token),
                           "Invalid parameter requestID");
}

TEST_F(AsyncE2e, ResponseUriAllowedByTheGuardIsNotifiedWithTheResponseId) {
    const std::string uri = "http://127.0.0.1:" + s_listener_port + "/csc-callback?ref=42";
    const std::string id = response_id(sign_hash(3, {{"operationMode", "A"}, {"response_uri", uri}}));
    ASSERT_FALSE(id.empty());
    const std::string received = s_listener->read_line(std::chrono::seconds{60});
    EXPECT_EQ(received, "/csc-callback?ref=42 application/json {\"responseID\":\"" + id + "\"}");
    // The notification comes after the answer is stored: polling now gets it.
    const auto done = post("/csc/v2/signatures/signPolling", {{"requestID", id}}, s_token);
    ASSERT_EQ(done.status, 200) << done.raw;
    openssl_verify(s_hashes[3], json::parse(done.body)["signatures"][0].get<std::string>());
}

TEST_F(AsyncE2e, ResponseUriToABlockedAddressIsRefusedAtRequestTimeWithoutSpending) {
    // Link-local (the cloud metadata address) is outside the guard, file: is no http(s), and response_uri
    // belongs to "A" only: each refused before the SAD is spent, so the hash still signs after.
    expect_invalid_request(
        sign_hash(4, {{"operationMode", "A"}, {"response_uri", "http://169.254.169.254/latest/meta-data"}}),
        "Invalid parameter response_uri");
    expect_invalid_request(sign_hash(4, {{"operationMode", "A"}, {"response_uri", "file:///etc/passwd"}}),
                           "Invalid parameter response_uri");
    expect_invalid_request(sign_hash(4, {{"operationMode", "S"}, {"response_uri", "http://127.0.0.1:1/"}}),
                           "Invalid parameter response_uri");
    const auto r = sign_hash(4, {});
    ASSERT_EQ(r.status, 200) << r.raw;
    openssl_verify(s_hashes[4], json::parse(r.body)["signatures"][0].get<std::string>());
}

TEST_F(AsyncE2e, SignDocAsyncReturnsAPadesDocumentPdfsigAccepts) {
    const auto started = post("/csc/v2/signatures/signDoc",
                              {{"credentialID", demo("credential_id")},
                               {"SAD", s_sad},
                               {"operationMode", "A"},
                               {"documents",
                                {{{"document", inkan::base64_encode(inkan::as_bytes(s_pdf))},
                                  {"signature_format", "P"},
                                  {"conformance_level", "Ades-B-B"},
                                  {"signAlgo", kEcdsaSha256}}}}},
                              s_token);
    const std::string id = response_id(started);
    ASSERT_FALSE(id.empty());
    const auto done = poll_until_done(id, s_token);
    ASSERT_EQ(done.status, 200) << done.raw;
    const json body = json::parse(done.body);
    ASSERT_EQ(body["DocumentWithSignature"].size(), 1U) << done.body.substr(0, 300);
    const fs::path pdf = s_tmp->path() / "async-signed.pdf";
    inkan::testing::write_file(pdf,
                               inkan::base64_decode(body["DocumentWithSignature"][0].get<std::string>()));
    const auto sig = run({"pdfsig", pdf.string()});
    EXPECT_NE(sig.out.find("Signature Validation: Signature is Valid."), std::string::npos) << describe(sig);
    EXPECT_EQ(sig.out.find("Signature is Invalid"), std::string::npos) << describe(sig);
    const auto check = run({"qpdf", "--check", pdf.string()});
    EXPECT_EQ(check.exit_code, 0) << describe(check);
}

}  // namespace
