// End-to-end tests of `inkan serve`: the real binary on 127.0.0.1 with ephemeral ports, the CSC API
// over TLS (key in the HSM), the PKI endpoints over HTTP. Clients are tools we did not write: curl
// and the openssl CLI.

#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/core/encoding.h>
#include <inkan/testing/process.h>

#include "e2e_support.h"

namespace fs = std::filesystem;
using inkan::e2e::curl_status;
using inkan::e2e::HttpResult;
using inkan::e2e::run_inkan;
using inkan::e2e::start_serve;
using inkan::testing::CommandResult;
using inkan::testing::run;
using inkan::testing::TempDir;
using nlohmann::json;

namespace {

/// One data directory and one running server for the whole suite (starting them costs seconds).
class Served : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_tmp = std::make_unique<TempDir>("inkan-serve");
        s_data = s_tmp->path() / "data";
        const auto init = run_inkan({"init", "--data", s_data.string(), "--json"});
        ASSERT_EQ(init.exit_code, 0) << describe(init);
        s_init = json::parse(init.out);
        // A second user with a credential of their own, for the "another user's credential" cases.
        const auto bob = run_inkan({"user", "add", "bob", "--password-stdin", "--data", s_data.string()},
                                   "bob-password-123\n");
        ASSERT_EQ(bob.exit_code, 0) << describe(bob);
        const auto cred =
            run_inkan({"credential", "create", "--user", "bob", "--given-name", "Bob", "--surname", "Builder",
                       "--pin-stdin", "--json", "--data", s_data.string()},
                      "4321\n");
        ASSERT_EQ(cred.exit_code, 0) << describe(cred);
        s_bob_credential = json::parse(cred.out)["credential"]["id"].get<std::string>();
        s_server = start({});
    }
    static void TearDownTestSuite() {
        if (s_server) {
            EXPECT_EQ(s_server->process->terminate(), 0) << "SIGTERM must stop the server cleanly\n"
                                                         << s_server->process->stderr_text();
        }
        s_server.reset();
        s_tmp.reset();
    }

    struct Server {
        std::unique_ptr<inkan::testing::Process> process;
        std::string api;
        std::string pki;
        std::string metrics;  ///< the /metrics URL (its own loopback listener)
    };
    static std::unique_ptr<Server> start(const std::vector<std::string>& env) {
        auto s = std::make_unique<Server>();
        const json line = start_serve(s->process, s_data, env);
        s->api = line["api_url"].get<std::string>();
        s->pki = line["pki_url"].get<std::string>();
        s->metrics = line["metrics_url"].get<std::string>();
        return s;
    }

    static std::string tls_ca() { return s_init["tls_ca"].get<std::string>(); }
    static std::string demo(const char* field) { return s_init["demo"][field].get<std::string>(); }

    /// curl with the service's CA; -w appends the status on a line of its own.
    static HttpResult curl(std::vector<std::string> args) { return curl_status(tls_ca(), "30", args); }
    static HttpResult post(const std::string& path, const std::string& body, const std::string& token = {}) {
        std::vector<std::string> args{"-X", "POST", "-H", "Content-Type: application/json", "--data-binary",
                                      body};
        if (!token.empty()) {
            args.insert(args.end(), {"-H", "Authorization: Bearer " + token});
        }
        args.push_back(s_server->api + path);
        return curl(args);
    }
    static std::string login(const std::string& version, const std::string& user,
                             const std::string& password) {
        const auto r = curl({"-X", "POST", "-u", user + ":" + password, "--data-binary", "{}",
                             s_server->api + "/csc/" + version + "/auth/login"});
        EXPECT_EQ(r.status, 200) << r.raw;
        return json::parse(r.body)["access_token"].get<std::string>();
    }

    static inline std::unique_ptr<TempDir> s_tmp;
    static inline fs::path s_data;
    static inline json s_init;
    static inline std::string s_bob_credential;
    static inline std::unique_ptr<Server> s_server;
};

fs::path der_to_pem(const TempDir& dir, const std::string& name, const inkan::Bytes& der) {
    inkan::testing::write_file(dir / (name + ".der"), der);
    const auto r = run({"openssl", "x509", "-inform", "DER", "-in", (dir / (name + ".der")).string(), "-out",
                        (dir / (name + ".pem")).string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    return dir / (name + ".pem");
}

}  // namespace

TEST_F(Served, InfoAnswersPostWithAnEmptyObjectAnEmptyBodyAndGetInBothVersions) {
    for (const std::string v : {"v1", "v2"}) {
        const auto a = post("/csc/" + v + "/info", "{}");
        const auto b = post("/csc/" + v + "/info", "");
        const auto c = curl({s_server->api + "/csc/" + v + "/info"});
        ASSERT_EQ(a.status, 200) << a.raw;
        EXPECT_EQ(b.status, 200) << b.raw;
        EXPECT_EQ(c.status, 200) << c.raw;
        EXPECT_EQ(a.body, b.body);
        EXPECT_EQ(a.body, c.body);
        const json info = json::parse(a.body);
        EXPECT_EQ(info["specs"], v == "v1" ? "1.0.4.0" : "2.0.0.2") << a.body;
        const auto methods = info["methods"].get<std::vector<std::string>>();
        for (const char* m : {"auth/login", "auth/revoke", "credentials/list", "credentials/info"}) {
            EXPECT_NE(std::find(methods.begin(), methods.end(), m), methods.end()) << m << " in " << a.body;
        }
    }
}

TEST_F(Served, TheDemoUserLogsInListsTheDemoCredentialAndReadsAChainThatOpensslVerifies) {
    for (const std::string v : {"v1", "v2"}) {
        const std::string token = login(v, "demo", demo("password"));
        const auto list = post("/csc/" + v + "/credentials/list", "{}", token);
        ASSERT_EQ(list.status, 200) << list.raw;
        const auto ids = json::parse(list.body)["credentialIDs"].get<std::vector<std::string>>();
        ASSERT_EQ(ids, std::vector<std::string>{demo("credential_id")}) << list.body;

        const auto info =
            post("/csc/" + v + "/credentials/info",
                 json{{"credentialID", ids[0]}, {"certificates", "chain"}, {"certInfo", true}}.dump(), token);
        ASSERT_EQ(info.status, 200) << info.raw;
        const json j = json::parse(info.body);
        EXPECT_EQ(j["key"]["status"], "enabled") << info.body;
        EXPECT_EQ(j["SCAL"], "2") << info.body;
        EXPECT_EQ(j["cert"]["status"], "valid") << info.body;
        const auto certs = j["cert"]["certificates"].get<std::vector<std::string>>();
        ASSERT_EQ(certs.size(), 3U) << info.body;

        TempDir dir{"inkan-chain"};
        const auto ee = der_to_pem(dir, "ee", inkan::base64_decode(certs[0]));
        const auto issuing = der_to_pem(dir, "issuing", inkan::base64_decode(certs[1]));
        const auto root = der_to_pem(dir, "root", inkan::base64_decode(certs[2]));
        const auto verify = run({"openssl", "verify", "-CAfile", s_init["trust_anchor"].get<std::string>(),
                                 "-untrusted", issuing.string(), ee.string()});
        EXPECT_EQ(verify.exit_code, 0) << describe(verify);
        const auto subject =
            run({"openssl", "x509", "-in", ee.string(), "-noout", "-subject", "-nameopt", "utf8,-esc_msb"});
        EXPECT_NE(subject.out.find("山田 花子"), std::string::npos) << subject.out;
    }
}

TEST_F(Served, ErrorsHaveTheSpecsBodiesAndStatusCodes) {
    const auto no_token = post("/csc/v2/credentials/list", "{}");
    EXPECT_EQ(no_token.status, 401) << no_token.raw;
    EXPECT_EQ(json::parse(no_token.body)["error"], "invalid_token") << no_token.body;

    const auto bad_login =
        curl({"-X", "POST", "-u", "demo:wrong-password", s_server->api + "/csc/v1/auth/login"});
    EXPECT_EQ(bad_login.status, 400) << bad_login.raw;
    EXPECT_EQ(json::parse(bad_login.body)["error"], "authentication_error") << bad_login.body;

    const std::string token = login("v2", "demo", demo("password"));
    const auto malformed = post("/csc/v2/credentials/info", "{\"credentialID\":", token);
    EXPECT_EQ(malformed.status, 400) << malformed.raw;
    EXPECT_EQ(json::parse(malformed.body)["error"], "invalid_request") << malformed.body;

    const auto wrong_type = post("/csc/v2/credentials/info", R"({"credentialID": 42})", token);
    EXPECT_EQ(wrong_type.status, 400) << wrong_type.raw;
    EXPECT_EQ(json::parse(wrong_type.body)["error_description"],
              "Missing (or invalid type) string parameter credentialID")
        << wrong_type.body;

    const auto duplicate =
        post("/csc/v2/credentials/info",
             R"({"credentialID": "a", "credentialID": ")" + demo("credential_id") + "\"}", token);
    EXPECT_EQ(duplicate.status, 400) << duplicate.raw;

    // Another user's credential and an unknown one are indistinguishable.
    const auto foreign =
        post("/csc/v2/credentials/info", json{{"credentialID", s_bob_credential}}.dump(), token);
    const auto unknown =
        post("/csc/v2/credentials/info", json{{"credentialID", "no-such-credential"}}.dump(), token);
    EXPECT_EQ(foreign.status, 400) << foreign.raw;
    EXPECT_EQ(foreign.body, unknown.body);
    EXPECT_EQ(json::parse(foreign.body)["error_description"], "Invalid parameter credentialID")
        << foreign.body;
}

TEST_F(Served, ARevokedTokenIsRefused) {
    const std::string token = login("v1", "demo", demo("password"));
    const auto revoke = post("/csc/v1/auth/revoke", json{{"token", token}}.dump(), token);
    EXPECT_EQ(revoke.status, 204) << revoke.raw;
    const auto after = post("/csc/v1/credentials/list", "{}", token);
    EXPECT_EQ(after.status, 401) << after.raw;
}

TEST_F(Served, SixtyFourConcurrentClientsAreAllServed) {
    const std::string token = login("v2", "demo", demo("password"));
    std::vector<std::thread> threads;
    std::vector<int> ok(64, 0);
    std::vector<std::string> failures(64);
    for (int i = 0; i < 64; ++i) {
        threads.emplace_back([&, i] {
            // Each curl keeps one TLS connection alive for its three requests.
            const auto r = run({"curl",
                                "-sS",
                                "--max-time",
                                "60",
                                "--cacert",
                                tls_ca(),
                                "-o",
                                "/dev/null",
                                "-o",
                                "/dev/null",
                                "-o",
                                "/dev/null",
                                "-w",
                                "%{http_code}\n",
                                "-X",
                                "POST",
                                "-H",
                                "Authorization: Bearer " + token,
                                "-d",
                                "{}",
                                s_server->api + "/csc/v2/credentials/list",
                                s_server->api + "/csc/v2/credentials/list",
                                s_server->api + "/csc/v2/credentials/list"});
            const auto k = static_cast<std::size_t>(i);
            ok[k] = r.exit_code == 0 && r.out == "200\n200\n200\n" ? 1 : 0;
            if (ok[k] == 0) {
                failures[k] = describe(r);
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    std::string first_failure;
    for (const auto& f : failures) {
        if (!f.empty()) {
            first_failure = f;
            break;
        }
    }
    EXPECT_EQ(std::count(ok.begin(), ok.end(), 1), 64) << first_failure;
}

TEST_F(Served, Tls11IsRefusedAndTls12And13AreAccepted) {
    const std::string hostport = s_server->api.substr(std::string{"https://"}.size());
    // SECLEVEL=0 lets the client offer TLS 1.1, so a failure is the server's refusal.
    const auto old =
        run({"openssl", "s_client", "-connect", hostport, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"}, "");
    EXPECT_NE(old.exit_code, 0) << describe(old);
    for (const char* v : {"-tls1_2", "-tls1_3"}) {
        const auto ok = run({"openssl", "s_client", "-connect", hostport, v, "-CAfile", tls_ca(),
                             "-verify_return_error", "-servername", "localhost"},
                            "");
        EXPECT_EQ(ok.exit_code, 0) << v << "\n" << describe(ok);
        EXPECT_NE(ok.out.find("Verify return code: 0 (ok)"), std::string::npos) << v << "\n" << describe(ok);
    }
}

TEST_F(Served, AnOversizeBodyGets413AndTheNextRequestIsServed) {
    auto small = start({"INKAN_HTTP_MAX_BODY_BYTES=1024"});
    const std::string big(4096, 'x');
    const auto r = run({"curl", "-sS", "--cacert", tls_ca(), "-w", "\n%{http_code}", "-X", "POST",
                        "--data-binary", big, small->api + "/csc/v1/info"});
    EXPECT_NE(r.out.find("413"), std::string::npos) << describe(r);
    const auto next = run({"curl", "-sS", "--cacert", tls_ca(), "-w", "\n%{http_code}", "-X", "POST", "-d",
                           "{}", small->api + "/csc/v1/info"});
    EXPECT_NE(next.out.find("\n200"), std::string::npos) << describe(next);
    EXPECT_EQ(small->process->terminate(), 0) << small->process->stderr_text();
}

TEST_F(Served, UnauthenticatedRoutesTake64KiBAndABigContentLengthIsRefusedBeforeTheBody) {
    // 70 KiB to auth/login: 413 (the route has no limit of its own, so it has the small default).
    const auto big = post("/csc/v2/auth/login", "{\"x\":\"" + std::string(70 * 1024, 'a') + "\"}");
    EXPECT_EQ(big.status, 413) << big.raw;
    // A Content-Length of 10 MB with a two-byte body: answered from the header, while curl still
    // waits to be asked for the rest (a server that read on would only time out).
    for (const std::string path : {"/csc/v2/auth/login", "/csc/v1/info", "/csc/v2/oauth2/token"}) {
        const auto liar = curl({"-X", "POST", "-H", "Content-Type: application/json", "-H",
                                "Content-Length: 10000000", "--data-binary", "{}", s_server->api + path});
        EXPECT_EQ(liar.status, 413) << path << "\n" << liar.raw;
    }
    const auto tsa = run({"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "30", "-H",
                          "Content-Type: application/timestamp-query", "-H", "Content-Length: 10000000",
                          "--data-binary", "x", s_server->pki + "/tsa"});
    EXPECT_EQ(tsa.out, "413") << describe(tsa);
    // The server is unharmed.
    EXPECT_EQ(post("/csc/v1/info", "{}").status, 200);
}

TEST_F(Served, TenThousandLevelsOfJsonAreRefusedWithACscError) {
    const std::string deep = "{\"a\":" + std::string(10'000, '[') + std::string(10'000, ']') + "}";
    const auto r = post("/csc/v2/auth/login", deep);
    ASSERT_EQ(r.status, 400) << r.raw;
    const json body = json::parse(r.body);
    EXPECT_EQ(body["error"], "invalid_request") << r.body;
    EXPECT_EQ(body["error_description"], "JSON request body nested more than 32 levels deep") << r.body;
}

TEST_F(Served, MutualTlsUsesTheConfiguredClientCa) {
    // A client certificate from the built-in CA (person profile), the key made by openssl.
    TempDir dir{"inkan-mtls"};
    const auto req = run({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                          "-nodes", "-keyout", (dir / "client.key").string(), "-subj",
                          "/CN=Client/GN=C/SN=Lient/C=JP", "-out", (dir / "client.csr").string()});
    ASSERT_EQ(req.exit_code, 0) << describe(req);
    const auto issued =
        run_inkan({"ca", "issue", "--profile", "person", "--csr", (dir / "client.csr").string(), "-o",
                   (dir / "client.pem").string(), "--data", s_data.string()});
    ASSERT_EQ(issued.exit_code, 0) << describe(issued);
    const std::string client_ca = (s_data / "pki" / "issuing-ca-chain.pem").string();

    auto mtls = start({"INKAN_API_CLIENT_CA=" + client_ca, "INKAN_API_CLIENT_AUTH=required"});
    const auto without =
        run({"curl", "-sS", "--cacert", tls_ca(), "-X", "POST", "-d", "{}", mtls->api + "/csc/v2/info"});
    EXPECT_NE(without.exit_code, 0) << describe(without);
    const auto with =
        run({"curl", "-sS", "--cacert", tls_ca(), "--cert", (dir / "client.pem").string(), "--key",
             (dir / "client.key").string(), "-X", "POST", "-d", "{}", mtls->api + "/csc/v2/info"});
    ASSERT_EQ(with.exit_code, 0) << describe(with);
    const auto auth_types = json::parse(with.out)["authType"].get<std::vector<std::string>>();
    EXPECT_NE(std::find(auth_types.begin(), auth_types.end(), "TLS"), auth_types.end()) << with.out;
    EXPECT_EQ(mtls->process->terminate(), 0) << mtls->process->stderr_text();
}

TEST_F(Served, OcspOverHttpAnswersForTheDemoCertificate) {
    const std::string token = login("v1", "demo", demo("password"));
    const auto info =
        post("/csc/v1/credentials/info",
             json{{"credentialID", demo("credential_id")}, {"certificates", "chain"}}.dump(), token);
    ASSERT_EQ(info.status, 200) << info.raw;
    const auto certs = json::parse(info.body)["cert"]["certificates"].get<std::vector<std::string>>();
    TempDir dir{"inkan-ocsp"};
    const auto ee = der_to_pem(dir, "ee", inkan::base64_decode(certs.at(0)));
    const auto issuing = der_to_pem(dir, "issuing", inkan::base64_decode(certs.at(1)));
    // openssl ocsp is the client: POST to /ocsp, nonce checked, signature verified against the root.
    const auto r = run({"openssl", "ocsp", "-issuer", issuing.string(), "-cert", ee.string(), "-url",
                        s_server->pki + "/ocsp", "-CAfile", s_init["trust_anchor"].get<std::string>()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE((r.out + r.err).find("Response verify OK"), std::string::npos) << describe(r);
    EXPECT_NE(r.out.find(": good"), std::string::npos) << describe(r);
    EXPECT_EQ((r.out + r.err).find("WARNING"), std::string::npos) << describe(r);

    // RFC 6960 §A.1 GET: the URL-encoded base64 of the DER request.
    const auto make = run({"openssl", "ocsp", "-issuer", issuing.string(), "-cert", ee.string(), "-reqout",
                           (dir / "req.der").string(), "-no_nonce"});
    ASSERT_EQ(make.exit_code, 0) << describe(make);
    std::string b64 = inkan::base64_encode(inkan::testing::read_file(dir / "req.der"));
    std::string encoded;
    for (const char c : b64) {
        encoded += c == '/' ? "%2F" : c == '+' ? "%2B" : c == '=' ? "%3D" : std::string(1, c);
    }
    const auto get =
        run({"curl", "-sS", "-o", (dir / "resp.der").string(), s_server->pki + "/ocsp/" + encoded});
    ASSERT_EQ(get.exit_code, 0) << describe(get);
    const auto parsed =
        run({"openssl", "ocsp", "-respin", (dir / "resp.der").string(), "-issuer", issuing.string(), "-cert",
             ee.string(), "-CAfile", s_init["trust_anchor"].get<std::string>(), "-no_nonce"});
    EXPECT_NE(parsed.out.find(": good"), std::string::npos) << describe(parsed);
}

TEST_F(Served, TheCrlOverHttpVerifiesAndListsARevocation) {
    // Revoke bob's credential; the CRL served next must list its serial.
    const auto show =
        run_inkan({"credential", "show", s_bob_credential, "--json", "--data", s_data.string()});
    ASSERT_EQ(show.exit_code, 0) << describe(show);
    const auto revoke = run_inkan(
        {"credential", "revoke", s_bob_credential, "--reason", "keyCompromise", "--data", s_data.string()});
    ASSERT_EQ(revoke.exit_code, 0) << describe(revoke);
    const std::string serial = json::parse(show.out)["serial"].get<std::string>();

    TempDir dir{"inkan-crl"};
    const auto get =
        run({"curl", "-sS", "-o", (dir / "issuing.crl").string(), s_server->pki + "/crl/inkan-issuing.crl"});
    ASSERT_EQ(get.exit_code, 0) << describe(get);
    const auto verify =
        run({"openssl", "crl", "-inform", "DER", "-in", (dir / "issuing.crl").string(), "-CAfile",
             (s_data / "pki" / "issuing-ca-chain.pem").string(), "-noout", "-verify", "-text"});
    EXPECT_EQ(verify.exit_code, 0) << describe(verify);
    EXPECT_NE((verify.out + verify.err).find("verify OK"), std::string::npos) << describe(verify);
    EXPECT_NE(verify.out.find("Serial Number: " + serial), std::string::npos) << serial << "\n" << verify.out;

    const auto ca = run({"curl", "-sS", "-o", (dir / "issuing.crt").string(), "-w", "%{http_code}",
                         s_server->pki + "/ca/inkan-issuing.crt"});
    EXPECT_EQ(ca.out, "200") << describe(ca);
    const auto missing =
        run({"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", s_server->pki + "/crl/nope.crl"});
    EXPECT_EQ(missing.out, "404") << describe(missing);
}

TEST_F(Served, MetricsParseAsPrometheusTextAndHealthEndpointsAnswer) {
    (void)post("/csc/v1/info", "{}");
    // Not on the public listeners: the API (TLS) and the PKI listener answer 404.
    EXPECT_EQ(curl({s_server->api + "/metrics"}).status, 404);
    EXPECT_EQ(run({"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", s_server->pki + "/metrics"}).out,
              "404");
    ASSERT_EQ(s_server->metrics.rfind("http://127.0.0.1:", 0), 0U) << s_server->metrics;
    const auto m = curl({s_server->metrics});
    ASSERT_EQ(m.status, 200) << m.raw;
    // Text exposition format 0.0.4: comments, or `name{labels} value`.
    const std::regex sample{
        R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? -?([0-9.eE+-]+|NaN|\+Inf|-Inf)$)"};
    const std::regex comment{R"(^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*$)"};
    std::istringstream lines{m.body};
    std::string line;
    int samples = 0;
    while (std::getline(lines, line)) {
        if (line.empty()) {
            continue;
        }
        EXPECT_TRUE(std::regex_match(line, sample) || std::regex_match(line, comment))
            << "not Prometheus: " << line;
        samples += line[0] != '#' ? 1 : 0;
    }
    EXPECT_GT(samples, 0);
    EXPECT_NE(m.body.find("inkan_http_requests_total{"), std::string::npos) << m.body;
    EXPECT_NE(m.body.find("inkan_hsm_pool_sessions{"), std::string::npos) << m.body;
    EXPECT_EQ(curl({s_server->api + "/healthz"}).status, 200);
    EXPECT_EQ(curl({s_server->api + "/readyz"}).status, 200);
    EXPECT_EQ(run({"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", s_server->pki + "/readyz"}).out,
              "200");
}

TEST_F(Served, MaintenanceModeMakesReadyzAnswer503UntilSwitchedOff) {
    const auto on = run_inkan({"maintenance", "on", "--data", s_data.string()});
    ASSERT_EQ(on.exit_code, 0) << describe(on);
    const auto during = curl({s_server->api + "/readyz"});
    EXPECT_EQ(during.status, 503) << during.raw;
    EXPECT_NE(during.body.find("maintenance"), std::string::npos) << during.raw;
    // Requests are still served while the load balancer drains the node.
    EXPECT_EQ(post("/csc/v1/info", "{}").status, 200);
    const auto off = run_inkan({"maintenance", "off", "--data", s_data.string()});
    ASSERT_EQ(off.exit_code, 0) << describe(off);
    EXPECT_EQ(curl({s_server->api + "/readyz"}).status, 200);
}

// A script may send SIGTERM the moment it has read the "serving" line; the handler must already be
// installed then, so the server drains and exits 0 instead of dying of the signal (exit 143).
TEST_F(Served, SigtermRightAfterTheServingLineStopsTheServerCleanly) {
    for (int i = 0; i < 3; ++i) {
        auto s = start({});
        const int status = s->process->terminate();
        EXPECT_EQ(status, 0) << "round " << i << ": SIGTERM right after the serving line\n"
                             << s->process->stderr_text();
    }
}
