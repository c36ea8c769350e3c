// The contracts inkan publishes, each judged by a standard tool we did not write (issue 27):
// - docs/openapi.yaml: swagger-parser validates it as OpenAPI 3 and every route has schemas for its
//   bodies; the answers of a running `inkan serve` to real traffic (CSC v1/v2, OAuth, vendor routes, PKI
//   and operational endpoints) are validated against the schemas the document gives them (Ajv);
// - /metrics after that traffic: `promtool check metrics` (Debian's prometheus package), counts typed
//   counter, and no family declared without a sample;
// - the validation report POST /inkan/v1/validate answers: docs/validation-report.schema.json (Ajv,
//   JSON Schema 2020-12);
// - the OAuth pages and redirects: Strict-Transport-Security of at least one year (RFC 6797).
// The TLS listener's rating by testssl.sh is in tls_scan_test.cpp.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/core/clock.h>
#include <inkan/core/encoding.h>
#include <inkan/service/secrets.h>
#include <inkan/testing/process.h>

#include "e2e_support.h"

namespace fs = std::filesystem;
using inkan::Bytes;
using inkan::e2e::kContractTools;
using inkan::e2e::kEcdsaSha256;
using inkan::e2e::kSha256;
using inkan::e2e::report_schema_problems;
using inkan::e2e::sha256;
using inkan::e2e::start_serve;
using inkan::testing::describe;
using inkan::testing::run;
using inkan::testing::TempDir;
using nlohmann::json;

namespace {

const std::string kOpenApi = INKAN_SOURCE_DIR "/docs/openapi.yaml";

/// The validators need tests/tools/contracts/node_modules (scripts/install-deps runs npm ci there).
bool contract_tools_installed() {
    return fs::exists(fs::path{kContractTools} / "node_modules" / "ajv") &&
           fs::exists(fs::path{kContractTools} / "node_modules" / "@apidevtools" / "swagger-parser");
}

TEST(Contracts, OpenApiIsValidOpenApi3WithABodySchemaForEveryRoute) {
    ASSERT_TRUE(contract_tools_installed()) << "run scripts/install-deps (npm ci in tests/tools/contracts)";
    const auto r = run({"node", kContractTools + "/validate-openapi.mjs", kOpenApi, "/"});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("valid OpenAPI 3."), std::string::npos) << describe(r);
}

TEST(Contracts, TheOpenApiValidatorRejectsWhatTheIssueFound) {
    // The judge is not a rubber stamp: the unquoted "(..., ...)" description issue 27 found (a YAML
    // mapping where a string belongs), and a JSON body without a schema, both fail.
    ASSERT_TRUE(contract_tools_installed()) << "run scripts/install-deps (npm ci in tests/tools/contracts)";
    TempDir tmp{"inkan-openapi-bad"};
    const std::string head =
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /csc/v1/x:\n    post:\n"
        "      requestBody: {content: {application/json: {schema: {type: string}}}}\n      responses:\n";
    inkan::testing::write_file(tmp / "yaml.yaml",
                               head + "        '400': {description: an error page (unknown, expired)}\n");
    inkan::testing::write_file(tmp / "schema.yaml",
                               head + "        '200': {description: ok, content: {application/json: {}}}\n");
    for (const char* name : {"yaml.yaml", "schema.yaml"}) {
        const auto r = run({"node", kContractTools + "/validate-openapi.mjs", (tmp / name).string(), "/"});
        EXPECT_EQ(r.exit_code, 1) << name << ": " << describe(r);
    }
}

/// One answer of the server, as the OpenAPI check reads it.
struct Answer {
    int status = 0;
    std::string content_type;
    std::string body;
    std::string headers;  ///< the raw response header block
    std::string raw;      ///< curl's outputs, for failure messages

    /// The value of header `name` (case-insensitive), empty when absent.
    [[nodiscard]] std::string header(std::string_view name) const {
        std::istringstream in{headers};
        std::string line;
        while (std::getline(in, line)) {
            const auto colon = line.find(':');
            if (colon == std::string::npos || colon != name.size()) continue;
            bool same = true;
            for (std::size_t i = 0; i < colon; ++i) {
                same = same && std::tolower(static_cast<unsigned char>(line[i])) ==
                                   std::tolower(static_cast<unsigned char>(name[i]));
            }
            if (!same) continue;
            std::string value = line.substr(colon + 1);
            while (!value.empty() && (value.back() == '\r' || value.back() == ' '))
                value.pop_back();
            while (!value.empty() && value.front() == ' ')
                value.erase(0, 1);
            return value;
        }
        return {};
    }
};

class ServedContracts : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_tmp = std::make_unique<TempDir>("inkan-contracts");
        const fs::path data = s_tmp->path() / "data";
        // The certificates' AIA and CRL URLs name the PKI listener, so it gets a known port (signDoc's
        // validationInfo and extend fetch revocation data from it).
        const std::string pki = "127.0.0.1:" + std::to_string(inkan::testing::reserved_port());
        const auto init = run({INKAN_BIN, "init", "--data", data.string(), "--json", "--pki-listen", pki,
                               "--pki-url", "http://" + pki});
        ASSERT_EQ(init.exit_code, 0) << describe(init);
        s_init = json::parse(init.out);
        s_server = std::make_unique<inkan::testing::Process>(
            std::vector<std::string>{INKAN_BIN, "serve", "--data", data.string(), "--api-listen",
                                     "127.0.0.1:0", "--pki-listen", pki, "--metrics-listen", "127.0.0.1:0"});
        const json line = json::parse(s_server->read_line(std::chrono::seconds{60}));
        s_api = line["api_url"].get<std::string>();
        s_pki = line["pki_url"].get<std::string>();
        s_metrics = line["metrics_url"].get<std::string>();  // .../metrics
        s_metrics = s_metrics.substr(0, s_metrics.rfind('/'));
    }
    static void TearDownTestSuite() {
        if (s_server) {
            EXPECT_EQ(s_server->terminate(), 0) << s_server->stderr_text();
        }
        s_server.reset();
        s_tmp.reset();
    }

    static std::string demo(const char* field) { return s_init["demo"][field].get<std::string>(); }

    /// `method base+target` with curl (trusting the dev TLS CA), recorded for the OpenAPI check.
    static Answer call(const std::string& method, const std::string& base, const std::string& target,
                       std::vector<std::string> args = {}) {
        const fs::path headers = s_tmp->path() / ("headers-" + std::to_string(s_recorded.size()));
        std::vector<std::string> argv{"curl",       "-sS",
                                      "--max-time", "120",
                                      "--cacert",   s_init["tls_ca"].get<std::string>(),
                                      "-X",         method,
                                      "-D",         headers.string(),
                                      "-w",         "\n%{http_code}\n%{content_type}"};
        argv.insert(argv.end(), args.begin(), args.end());
        argv.push_back(base + target);
        const auto r = run(argv);
        Answer a;
        a.raw = method + " " + target + ": " + describe(r);
        const auto ct_at = r.out.rfind('\n');
        const auto status_at = ct_at == std::string::npos ? std::string::npos : r.out.rfind('\n', ct_at - 1);
        if (r.exit_code != 0 || status_at == std::string::npos) {
            ADD_FAILURE() << "curl failed: " << a.raw;
            return a;
        }
        a.content_type = r.out.substr(ct_at + 1);
        a.status = std::stoi(r.out.substr(status_at + 1, ct_at - status_at - 1));
        a.body = r.out.substr(0, status_at);
        a.headers = inkan::to_string(inkan::testing::read_file(headers));
        const std::string path = target.substr(0, target.find('?'));
        const bool is_json = a.content_type.starts_with("application/json");
        s_recorded.push_back({{"method", method},
                              {"path", path},
                              {"status", a.status},
                              {"content_type", a.content_type},
                              {"body", is_json ? a.body : std::string{}}});
        return a;
    }
    static Answer post_json(const std::string& target, const json& body, const std::string& token = {}) {
        std::vector<std::string> args{"-H", "Content-Type: application/json", "--data-binary", body.dump()};
        if (!token.empty()) args.insert(args.end(), {"-H", "Authorization: Bearer " + token});
        return call("POST", s_api, target, args);
    }
    static Answer post_file(const std::string& base, const std::string& target, const fs::path& file,
                            const std::string& content_type, const std::string& token = {}) {
        std::vector<std::string> args{"-H", "Content-Type: " + content_type, "--data-binary",
                                      "@" + file.string()};
        if (!token.empty()) args.insert(args.end(), {"-H", "Authorization: Bearer " + token});
        return call("POST", base, target, args);
    }
    static json body_of(const Answer& a) {
        try {
            return json::parse(a.body);
        } catch (const std::exception&) {
            ADD_FAILURE() << "not JSON: " << a.raw;
            return json::object();
        }
    }

    /// The TOTP code for the current step plus `ahead` (the server accepts ±1 step, each code once).
    static std::string totp(int ahead) {
        const Bytes seed = inkan::base32_decode(demo("totp_secret"));
        return inkan::service::totp_code(
            seed, inkan::SystemClock::instance().now() + std::chrono::seconds{30 * ahead});
    }

    /// A CMS signed by openssl with a self-signed certificate (no anchor: INDETERMINATE).
    static fs::path openssl_cms() {
        const fs::path dir = s_tmp->path();
        const auto key =
            run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                 "-keyout", (dir / "k.pem").string(), "-out", (dir / "c.pem").string(), "-subj",
                 "/CN=Contracts Signer", "-days", "2"});
        EXPECT_EQ(key.exit_code, 0) << describe(key);
        inkan::testing::write_file(dir / "content.txt", std::string_view{"contract\n"});
        const auto cms =
            run({"openssl", "cms", "-sign", "-binary", "-nodetach", "-in", (dir / "content.txt").string(),
                 "-signer", (dir / "c.pem").string(), "-inkey", (dir / "k.pem").string(), "-outform", "DER",
                 "-out", (dir / "openssl.p7s").string()});
        EXPECT_EQ(cms.exit_code, 0) << describe(cms);
        return dir / "openssl.p7s";
    }

    /// Traffic over every kind of route: info, login, credentials, authorize, signHash, signDoc,
    /// timestamp (CSC and RFC 3161), validate, extend, OAuth, PKI, refusals. Returns the validate report.
    static std::string traffic() {
        // Once per server: TOTP codes are single-use, and the metrics test counts the signatures.
        if (!s_report) s_report = traffic_once();
        return *s_report;
    }
    static std::string traffic_once() {
        const std::string credential = demo("credential_id");
        call("GET", s_api, "/csc/v1/info");
        post_json("/csc/v2/info", json::object());
        post_json("/csc/v1/info", {{"lang", "en"}});
        call("GET", s_api, "/.well-known/oauth-authorization-server");

        // Login both ways; a wrong password; no token.
        const Answer login1 = call("POST", s_api, "/csc/v1/auth/login",
                                   {"-u", demo("user") + ":" + demo("password"), "--data-binary", "{}"});
        EXPECT_EQ(login1.status, 200) << login1.raw;
        const std::string t1 = body_of(login1).value("access_token", "");
        const Answer login2 =
            call("POST", s_api, "/csc/v2/auth/login",
                 {"-u", demo("user") + ":" + demo("password"), "-H", "Content-Type: application/json",
                  "--data-binary", json{{"rememberMe", true}}.dump()});
        EXPECT_EQ(login2.status, 200) << login2.raw;
        const json tokens2 = body_of(login2);
        const std::string t2 = tokens2.value("access_token", "");
        EXPECT_EQ(
            call("POST", s_api, "/csc/v2/auth/login", {"-u", demo("user") + ":wrong", "--data-binary", "{}"})
                .status,
            400);
        EXPECT_EQ(post_json("/csc/v2/credentials/list", json::object()).status, 401);

        // Credentials.
        EXPECT_EQ(post_json("/csc/v1/credentials/list", {{"maxResults", 10}}, t1).status, 200);
        EXPECT_EQ(
            post_json(
                "/csc/v2/credentials/list",
                {{"credentialInfo", true}, {"certificates", "chain"}, {"certInfo", true}, {"authInfo", true}},
                t2)
                .status,
            200);
        EXPECT_EQ(post_json("/csc/v1/credentials/info",
                            {{"credentialID", credential}, {"certInfo", true}, {"authInfo", true}}, t1)
                      .status,
                  200);
        EXPECT_EQ(post_json("/csc/v2/credentials/info",
                            {{"credentialID", credential},
                             {"certificates", "chain"},
                             {"certInfo", true},
                             {"authInfo", true}},
                            t2)
                      .status,
                  200);
        EXPECT_EQ(post_json("/csc/v2/credentials/info", {{"credentialID", "no-such"}}, t2).status, 400);
        post_json("/csc/v1/credentials/sendOTP", {{"credentialID", credential}}, t1);
        post_json("/csc/v2/credentials/getChallenge", {{"credentialID", credential}, {"authObjectID", "OTP"}},
                  t2);
        // Out-of-band approval (decision 0034): the 202, a pending and an unknown authorizeCheck, the page.
        const Answer oob = post_json("/csc/v2/credentials/authorize",
                                     {{"credentialID", credential},
                                      {"numSignatures", 1},
                                      {"hashes", {inkan::base64_encode(sha256("contracts out of band"))}},
                                      {"hashAlgorithmOID", kSha256},
                                      {"hashLabels", {"契約書.pdf"}}},
                                     t2);
        EXPECT_EQ(oob.status, 202) << oob.raw;
        const std::string handle = body_of(oob).value("handle", "");
        EXPECT_EQ(post_json("/csc/v2/credentials/authorizeCheck", {{"handle", handle}}, t2).status, 202);
        EXPECT_EQ(post_json("/csc/v2/credentials/authorizeCheck", {{"handle", "unknown"}}, t2).status, 400);
        const std::string approval = body_of(oob).value("approvalURI", "");
        EXPECT_EQ(
            call("GET", s_api, approval.substr(std::min(approval.find("/inkan/"), approval.size()))).status,
            200)
            << approval;

        // v1: authorize one hash, extend, sign it.
        const Bytes h1 = sha256("contracts v1");
        const Answer a1 = post_json("/csc/v1/credentials/authorize",
                                    {{"credentialID", credential},
                                     {"numSignatures", 1},
                                     {"hash", {inkan::base64_encode(h1)}},
                                     {"PIN", demo("pin")},
                                     {"OTP", totp(0)}},
                                    t1);
        EXPECT_EQ(a1.status, 200) << a1.raw;
        const Answer x1 = post_json("/csc/v1/credentials/extendTransaction",
                                    {{"credentialID", credential},
                                     {"SAD", body_of(a1).value("SAD", "")},
                                     {"hash", {inkan::base64_encode(h1)}}},
                                    t1);
        EXPECT_EQ(x1.status, 200) << x1.raw;
        const Answer s1 = post_json("/csc/v1/signatures/signHash",
                                    {{"credentialID", credential},
                                     {"SAD", body_of(x1).value("SAD", "")},
                                     {"hash", {inkan::base64_encode(h1)}},
                                     {"signAlgo", kEcdsaSha256}},
                                    t1);
        EXPECT_EQ(s1.status, 200) << s1.raw;

        // v2: authorize the hash of a document, signDoc it as CAdES B-T; signHash with a spent SAD.
        const std::string document = "契約 — contracts test document\n";
        const Answer a2 = post_json(
            "/csc/v2/credentials/authorize",
            {{"credentialID", credential},
             {"numSignatures", 1},
             {"hashes", {inkan::base64_encode(sha256(document))}},
             {"hashAlgorithmOID", kSha256},
             {"authData", {{{"id", "PIN"}, {"value", demo("pin")}}, {{"id", "OTP"}, {"value", totp(1)}}}}},
            t2);
        EXPECT_EQ(a2.status, 200) << a2.raw;
        const std::string sad2 = body_of(a2).value("SAD", "");
        const Answer doc =
            post_json("/csc/v2/signatures/signDoc",
                      {{"credentialID", credential},
                       {"SAD", sad2},
                       {"returnValidationInfo", true},
                       {"documents",
                        {{{"document", inkan::base64_encode(inkan::as_bytes(std::string_view{document}))},
                          {"signature_format", "C"},
                          {"conformance_level", "Ades-B-T"},
                          {"signed_envelope_property", "Attached"},
                          {"signAlgo", kEcdsaSha256}}}}},
                      t2);
        EXPECT_EQ(doc.status, 200) << doc.raw;
        const std::string cades =
            body_of(doc).value("DocumentWithSignature", json::array({""}))[0].get<std::string>();
        const Answer spent = post_json("/csc/v2/signatures/signHash",
                                       {{"credentialID", credential},
                                        {"SAD", sad2},
                                        {"hashes", {inkan::base64_encode(sha256(document))}},
                                        {"hashAlgorithmOID", kSha256},
                                        {"signAlgo", kEcdsaSha256}},
                                       t2);
        EXPECT_EQ(spent.status, 400) << spent.raw;

        // Time-stamps: CSC and RFC 3161 on the PKI listener.
        for (const char* v : {"v1", "v2"}) {
            const Answer ts =
                post_json(std::string{"/csc/"} + v + "/signatures/timestamp",
                          {{"hash", inkan::base64_encode(sha256(v))}, {"hashAlgo", kSha256}}, t2);
            EXPECT_EQ(ts.status, 200) << ts.raw;
        }
        inkan::testing::write_file(s_tmp->path() / "data.bin", std::string_view{"rfc 3161"});
        const auto query = run({"openssl", "ts", "-query", "-data", (s_tmp->path() / "data.bin").string(),
                                "-sha256", "-cert", "-out", (s_tmp->path() / "q.tsq").string()});
        EXPECT_EQ(query.exit_code, 0) << describe(query);
        EXPECT_EQ(post_file(s_pki, "/tsa", s_tmp->path() / "q.tsq", "application/timestamp-query").status,
                  200);
        EXPECT_EQ(post_file(s_pki, "/tsa", s_tmp->path() / "q.tsq", "text/plain").status, 415);

        // Validate: inkan's CAdES, openssl's CMS, and garbage in one request; a raw body; a refusal.
        const fs::path cms = openssl_cms();
        const Answer report = post_json(
            "/inkan/v1/validate",
            {{"documents",
              {{{"document", cades}},
               {{"document", inkan::base64_encode(inkan::testing::read_file(cms))}},
               {{"document", inkan::base64_encode(inkan::as_bytes(std::string_view{"not a signature"}))}}}}},
            t2);
        EXPECT_EQ(report.status, 200) << report.raw;
        // The same batch as CSV (issue 17): Accept: text/csv, a header row and one row per document.
        const Answer csv =
            call("POST", s_api, "/inkan/v1/validate",
                 {"-H", "Content-Type: application/json", "-H", "Accept: text/csv", "-H",
                  "Authorization: Bearer " + t2, "--data-binary",
                  json{{"documents",
                        {{{"document", cades}},
                         {{"document",
                           inkan::base64_encode(inkan::as_bytes(std::string_view{"not a signature"}))}}}}}
                      .dump()});
        EXPECT_EQ(csv.status, 200) << csv.raw;
        EXPECT_TRUE(csv.content_type.starts_with("text/csv")) << csv.raw;
        EXPECT_EQ(csv.body.rfind("file,sha256,format,kind,", 0), 0U) << csv.raw;
        EXPECT_NE(csv.body.find("\r\ndocument[0],"), std::string::npos) << csv.raw;
        EXPECT_NE(csv.body.find("\r\ndocument[1],"), std::string::npos) << csv.raw;
        const Answer raw = post_file(s_api, "/inkan/v1/validate", cms, "application/pkcs7-signature", t2);
        EXPECT_EQ(raw.status, 200) << raw.raw;
        EXPECT_EQ(report_schema_problems(raw.body), "");
        EXPECT_EQ(post_json("/inkan/v1/validate", {{"document", "%%%"}}, t2).status, 400);
        // Extend the CAdES (archive time-stamp); a request without documents is refused.
        const Answer extended = post_json(
            "/inkan/v1/extend", {{"documents", {{{"document", cades}, {"signature_format", "C"}}}}}, t2);
        EXPECT_EQ(extended.status, 200) << extended.raw;
        EXPECT_EQ(post_json("/inkan/v1/extend", json::object(), t2).status, 400);

        // OAuth: client_credentials without a client, a token revoke, the error page.
        call("POST", s_api, "/csc/v2/oauth2/token",
             {"--data", "grant_type=client_credentials&client_id=nobody"});
        call("POST", s_api, "/csc/v1/oauth2/revoke", {"--data", "token=nothing&client_id=nobody"});
        call("POST", s_api, "/csc/v2/oauth2/pushed_authorize",
             {"--data", "response_type=code&client_id=nobody&redirect_uri=https%3A%2F%2Fapp.example%2Fcb"});
        call("GET", s_api, "/csc/v2/oauth2/authorize?response_type=code&client_id=nobody");

        // Revoke the refresh token; PKI; operational endpoints.
        if (tokens2.contains("refresh_token")) {
            EXPECT_EQ(
                post_json("/csc/v2/auth/revoke",
                          {{"token", tokens2["refresh_token"]}, {"token_type_hint", "refresh_token"}}, t2)
                    .status,
                204);
        }
        EXPECT_EQ(call("GET", s_pki, "/ca/inkan-issuing.crt").status, 200);
        EXPECT_EQ(call("GET", s_pki, "/crl/inkan-issuing.crl").status, 200);
        EXPECT_EQ(call("GET", s_pki, "/crl/nope.crl").status, 404);
        for (const auto& base : {s_api, s_pki, s_metrics}) {
            EXPECT_EQ(call("GET", base, "/healthz").status, 200);
            EXPECT_EQ(call("GET", base, "/readyz").status, 200);
        }
        return report.body;
    }

    static inline std::unique_ptr<TempDir> s_tmp;
    static inline json s_init;
    static inline std::unique_ptr<inkan::testing::Process> s_server;
    static inline std::string s_api, s_pki, s_metrics;
    static inline json s_recorded = json::array();
    static inline std::optional<std::string> s_report;
};

TEST_F(ServedContracts, EveryAnswerMatchesItsOpenApiSchemaAndTheReportItsJsonSchema) {
    ASSERT_TRUE(contract_tools_installed()) << "run scripts/install-deps (npm ci in tests/tools/contracts)";
    const std::string report = traffic();
    EXPECT_EQ(report_schema_problems(report), "");
    const json r = json::parse(report, nullptr, false);
    ASSERT_TRUE(r.is_object() && r["documents"].size() == 3) << report;
    EXPECT_EQ(r["documents"][0]["format"], "CAdES") << report;
    ASSERT_EQ(r["documents"][0]["signatures"].size(), 1U) << report;
    EXPECT_FALSE(r["documents"][0]["signatures"][0]["timestamps"].empty()) << report;  // B-T
    EXPECT_FALSE(r["documents"][2]["error"].is_null()) << report;

    call("GET", s_metrics, "/metrics");
    const fs::path answers = s_tmp->path() / "answers.json";
    inkan::testing::write_file(answers, s_recorded.dump(2, ' ', false, json::error_handler_t::replace));
    ASSERT_GE(s_recorded.size(), 40U);
    const auto check = run(
        {"node", kContractTools + "/validate-openapi.mjs", kOpenApi, "--responses", answers.string(), "/"});
    EXPECT_EQ(check.exit_code, 0) << describe(check);
    EXPECT_NE(check.out.find(std::to_string(s_recorded.size()) + " recorded answers match"),
              std::string::npos)
        << describe(check);
}

/// Problems in a text exposition beyond promtool's: a family declared without a sample, a *_total
/// family not typed counter or a counter without _total, and the families inkan must export.
std::vector<std::string> metric_family_problems(const std::string& text) {
    std::map<std::string, std::string> types;
    std::map<std::string, int> samples;
    std::istringstream in{text};
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with("# TYPE ")) {
            std::istringstream words{line.substr(7)};
            std::string name, type;
            words >> name >> type;
            types[name] = type;
        } else if (!line.empty() && line[0] != '#') {
            std::string name = line.substr(0, line.find_first_of("{ "));
            for (const char* suffix : {"_bucket", "_sum", "_count"}) {
                const std::string base = name.substr(0, name.size() - std::string_view{suffix}.size());
                if (name.ends_with(suffix) && types.count(base) != 0 && types[base] == "histogram") {
                    name = base;
                }
            }
            ++samples[name];
        }
    }
    std::vector<std::string> problems;
    for (const auto& [name, type] : types) {
        if (samples[name] == 0) problems.push_back(name + " is declared without a sample");
        if (name.ends_with("_total") != (type == "counter")) {
            problems.push_back(name + " is typed " + type);
        }
    }
    const std::map<std::string, std::string> expected{
        {"inkan_http_requests_total", "counter"},
        {"inkan_http_request_duration_seconds", "histogram"},
        {"inkan_http_connections", "gauge"},
        {"inkan_http_connections_rejected_total", "counter"},
        {"inkan_signatures_total", "counter"},
        {"inkan_tsa_tokens_total", "counter"},
        {"inkan_hsm_pool_sessions", "gauge"},
        {"inkan_hsm_tls_pool_sessions", "gauge"},
        {"inkan_hsm_pool_waits_total", "counter"},
        {"inkan_hsm_pool_lease_timeouts_total", "counter"},
        {"inkan_hsm_pool_recoveries_total", "counter"},
    };
    for (const auto& [name, type] : expected) {
        const auto it = types.find(name);
        if (it == types.end()) {
            problems.push_back(name + " is missing");
        } else if (it->second != type) {
            problems.push_back(name + " is typed " + it->second + ", not " + type);
        }
    }
    return problems;
}

TEST_F(ServedContracts, MetricsAfterTrafficPassPromtoolWithCountersTypedCounter) {
    ASSERT_TRUE(contract_tools_installed()) << "run scripts/install-deps (npm ci in tests/tools/contracts)";
    (void)traffic();
    const Answer m = call("GET", s_metrics, "/metrics");
    ASSERT_EQ(m.status, 200) << m.raw;
    EXPECT_EQ(m.content_type, "text/plain; version=0.0.4; charset=utf-8");
    const auto promtool = run({"promtool", "check", "metrics"}, m.body);
    EXPECT_EQ(promtool.exit_code, 0) << describe(promtool) << "\n" << m.body;
    const auto problems = metric_family_problems(m.body);
    EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems) << "\n" << m.body;
    EXPECT_NE(m.body.find("inkan_signatures_total{algorithm=\"ECDSA-SHA256\"} 2"), std::string::npos)
        << m.body;

    // The judges are not rubber stamps: what /metrics looked like before issue 27 (a count typed gauge
    // with "(counter)" in its help; promtool lints the counter without _total once typed right; a
    // labelled family declared without a sample) fails both.
    const std::string before =
        "# HELP inkan_hsm_pool_waits Leases that had to wait (counter)\n# TYPE inkan_hsm_pool_waits counter\n"
        "inkan_hsm_pool_waits 0\n";
    EXPECT_NE(run({"promtool", "check", "metrics"}, before).exit_code, 0);
    const std::string unsampled =
        "# HELP inkan_x_total X.\n# TYPE inkan_x_total counter\n"
        "# HELP inkan_hsm_pool_waits W.\n# TYPE inkan_hsm_pool_waits gauge\n"
        "inkan_hsm_pool_waits 1\n";
    const auto caught = metric_family_problems(unsampled);
    EXPECT_NE(std::find(caught.begin(), caught.end(), "inkan_x_total is declared without a sample"),
              caught.end())
        << ::testing::PrintToString(caught);
}

TEST_F(ServedContracts, OAuthPagesAndRedirectsSendHstsOfAtLeastAYear) {
    // The error page (an unknown client), a redirect and the metadata route; the login page itself
    // is covered in oauth_e2e_test.cpp (it needs a registered client).
    const Answer page = call("GET", s_api, "/csc/v1/oauth2/authorize?response_type=code&client_id=nobody");
    EXPECT_EQ(page.status, 400) << page.raw;
    EXPECT_TRUE(page.content_type.starts_with("text/html")) << page.raw;
    const Answer form = call("POST", s_api, "/csc/v2/oauth2/authorize", {"--data", "csrf=x&step=login"});
    EXPECT_TRUE(form.content_type.starts_with("text/html")) << form.raw;
    for (const Answer* a : {&page, &form}) {
        const std::string hsts = a->header("Strict-Transport-Security");
        ASSERT_TRUE(hsts.starts_with("max-age=")) << a->headers;
        // RFC 6797 §6.1.1: delta-seconds; at least a year (what browsers' preload lists ask).
        EXPECT_GE(std::stoll(hsts.substr(8)), 31536000LL) << hsts;
    }
}

}  // namespace
