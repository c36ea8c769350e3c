// OAuth 2.0 against the real `inkan serve` (ephemeral ports, TLS key in the HSM), driven by curl as a
// browser would be: a cookie jar (-c/-b), the pages' form posts, the redirect's Location. The code is
// exchanged with PKCE (S256), the credential token signs the authorised hash, and `openssl pkeyutl
// -verify` checks the signature. A system client seals with client_credentials. Refusals are checked
// with their exact OAuth/CSC error. TOTP codes are computed here from the secrets the CLI printed.

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/core/clock.h>
#include <inkan/core/encoding.h>
#include <inkan/crypto/digest.h>
#include <inkan/http/message.h>
#include <inkan/service/secrets.h>
#include <inkan/testing/process.h>

#include "e2e_support.h"

namespace fs = std::filesystem;
using inkan::Bytes;
using inkan::e2e::kEcdsaSha256;
using inkan::e2e::kSha256;
using inkan::e2e::sha256;
using inkan::testing::CommandResult;
using inkan::testing::run;
using inkan::testing::TempDir;
using nlohmann::json;

namespace {

constexpr const char* kRedirect = "https://app.example/cb";
constexpr const char* kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";  // RFC 7636 App. B
constexpr const char* kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

std::string pct(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
            out += c;
        } else {
            out += '%';
            out += kHex[u >> 4U];
            out += kHex[u & 0xFU];
        }
    }
    return out;
}

json cli(const std::vector<std::string>& args) {
    const auto r = run(args);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    return r.exit_code == 0 ? json::parse(r.out) : json{};
}

struct Http {
    int status = 0;
    std::string headers;
    std::string body;
    std::string raw;
    [[nodiscard]] std::string header(const std::string& name) const {
        const std::regex re{"\\r?\\n" + name + ":\\s*([^\\r\\n]*)", std::regex::icase};
        std::smatch m;
        return std::regex_search(headers, m, re) ? m[1].str() : std::string{};
    }
};

/// A signer of the test: a user with a password, a TOTP device and a SCAL 2 credential.
struct Signer {
    std::string name, password, totp_secret, credential_id;
    std::string pin;     ///< the credential's PIN: the consent page asks for it (explicit auth mode)
    int next_step = -1;  // each TOTP step is accepted once and never an earlier one after a later
    std::string otp() {
        const Bytes seed = inkan::base32_decode(totp_secret);
        return inkan::service::totp_code(
            seed, inkan::SystemClock::instance().now() + std::chrono::seconds{30 * next_step++});
    }
};

class OAuthE2e : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_tmp = std::make_unique<TempDir>("inkan-oauth-e2e");
        s_data = s_tmp->path() / "data";
        const auto init = run({INKAN_BIN, "init", "--data", s_data.string(), "--json"});
        ASSERT_EQ(init.exit_code, 0) << describe(init);
        s_init = json::parse(init.out);
        const std::string d = s_data.string();
        for (const char* name : {"hanako", "taro", "jiro", "sachiko"}) {
            const json user = cli({INKAN_BIN, "user", "add", name, "--display-name",
                                   std::string{"山田 "} + name, "--totp", "--json", "--data", d});
            const json cred =
                cli({INKAN_BIN, "credential", "create", "--user", name, "--scal", "2", "--multisign", "2",
                     "--description", "山田 花子 <個人>", "--json", "--data", d});
            s_signers[name] =
                Signer{name, user["password"].get<std::string>(), user["totp_secret"].get<std::string>(),
                       cred["credential"]["id"].get<std::string>(), cred.value("pin", std::string{})};
        }
        {
            // An oauth2code credential: authorised only through oauth2/authorize (CSC v1 §11.5).
            const json user = cli({INKAN_BIN, "user", "add", "umeko", "--display-name", "山田 梅子", "--totp",
                                   "--json", "--data", d});
            const json cred = cli({INKAN_BIN, "credential", "create", "--user", "umeko", "--scal", "2",
                                   "--auth-mode", "oauth2code", "--json", "--data", d});
            EXPECT_EQ(cred["credential"]["auth_mode"], "oauth2code") << cred.dump();
            EXPECT_FALSE(cred.contains("pin")) << "an oauth2code credential shows no PIN";
            s_signers["umeko"] = Signer{"umeko",
                                        user["password"].get<std::string>(),
                                        user["totp_secret"].get<std::string>(),
                                        cred["credential"]["id"].get<std::string>(),
                                        {}};
        }
        s_app = cli({INKAN_BIN, "client", "add", "signing-app", "--redirect-uri", kRedirect, "--redirect-uri",
                     "http://127.0.0.1:9/cb", "--json", "--data", d});
        const json seal = cli({INKAN_BIN, "credential", "create", "--profile", "seal", "--organization",
                               "Example KK", "--org-id", "NTRJP-1234567890123", "--scal", "1", "--multisign",
                               "5", "--json", "--data", d});
        s_seal = seal["credential"]["id"].get<std::string>();
        s_sealer =
            cli({INKAN_BIN, "client", "add", "invoice-sealer", "--seal", s_seal, "--json", "--data", d});
        s_server = std::make_unique<inkan::testing::Process>(
            std::vector<std::string>{INKAN_BIN, "serve", "--data", d, "--api-listen", "127.0.0.1:0",
                                     "--pki-listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"});
        const json line = json::parse(s_server->read_line(std::chrono::seconds{60}));
        s_api = line["api_url"].get<std::string>();
        s_public = line["public_url"].get<std::string>();
    }
    static void TearDownTestSuite() {
        if (s_server) {
            EXPECT_EQ(s_server->terminate(), 0) << s_server->stderr_text();
        }
        s_server.reset();
        s_tmp.reset();
    }

    static Http curl(std::vector<std::string> args) {
        std::vector<std::string> argv{
            "curl", "-sS", "--max-time",    "30", "--cacert", s_init["tls_ca"].get<std::string>(), "-D",
            "-",    "-w",  "\n%{http_code}"};
        argv.insert(argv.end(), args.begin(), args.end());
        const auto r = run(argv);
        Http out;
        out.raw = describe(r);
        const auto nl = r.out.rfind('\n');
        const auto blank = r.out.find("\r\n\r\n");
        if (r.exit_code == 0 && nl != std::string::npos && blank != std::string::npos) {
            out.status = std::stoi(r.out.substr(nl + 1));
            out.headers = r.out.substr(0, blank);
            out.body = r.out.substr(blank + 4, nl - blank - 4);
        }
        return out;
    }

    /// The browser: GET with a cookie jar, then form posts carrying the page's CSRF token.
    static Http browser_get(const fs::path& jar, const std::string& url) {
        return curl({"-c", jar.string(), "-b", jar.string(), url});
    }
    static Http browser_post(const fs::path& jar, const std::string& path,
                             const std::vector<std::pair<std::string, std::string>>& fields) {
        std::vector<std::string> args{"-c", jar.string(), "-b", jar.string(), "-X", "POST"};
        for (const auto& [k, v] : fields) {
            args.push_back("--data-urlencode");
            args.push_back(k + "=" + v);
        }
        args.push_back(s_api + path);
        return curl(args);
    }
    static std::string csrf_of(const Http& page) {
        const std::regex re{R"re(name="csrf" value="([^"]+)")re"};
        std::smatch m;
        EXPECT_TRUE(std::regex_search(page.body, m, re)) << page.body;
        return m.size() > 1 ? m[1].str() : std::string{};
    }
    static std::string query_value(const std::string& url, const std::string& name) {
        const std::regex re{"[?&]" + name + "=([^&]*)"};
        std::smatch m;
        if (!std::regex_search(url, m, re)) {
            return {};
        }
        return inkan::http::percent_decode(m[1].str(), true).value_or("");
    }

    /// login → OTP → consent through the pages; returns the final redirect (303).
    static Http consent_flow(Signer& who, const std::string& authorize_url, const std::string& v,
                             bool approve = true) {
        const fs::path jar = s_tmp->path() / ("jar-" + who.name + "-" + std::to_string(s_jars++));
        const Http login = browser_get(jar, authorize_url);
        EXPECT_EQ(login.status, 200) << login.raw;
        const std::string path = "/csc/" + v + "/oauth2/authorize";
        const std::string csrf = csrf_of(login);
        const Http otp_page = browser_post(
            jar, path,
            {{"csrf", csrf}, {"step", "login"}, {"username", who.name}, {"password", who.password}});
        EXPECT_EQ(otp_page.status, 200) << otp_page.raw;
        EXPECT_NE(otp_page.body.find("name=\"otp\""), std::string::npos) << otp_page.body;
        const Http consent = browser_post(jar, path, {{"csrf", csrf}, {"step", "otp"}, {"otp", who.otp()}});
        EXPECT_EQ(consent.status, 200) << consent.raw;
        s_last_consent = consent.body;
        return browser_post(jar, path,
                            {{"csrf", csrf},
                             {"step", "consent"},
                             {"decision", approve ? "approve" : "deny"},
                             {"pin", who.pin}});
    }

    static Http token(const std::vector<std::pair<std::string, std::string>>& fields,
                      const std::string& v = "v2", const json& client = s_app) {
        std::vector<std::string> args{
            "-X", "POST", "-u",
            client["client_id"].get<std::string>() + ":" + client["client_secret"].get<std::string>()};
        for (const auto& [k, val] : fields) {
            args.push_back("--data-urlencode");
            args.push_back(k + "=" + val);
        }
        args.push_back(s_api + "/csc/" + v + "/oauth2/token");
        return curl(args);
    }

    static Http post_json(const std::string& path, const json& body, const std::string& bearer) {
        return curl({"-X", "POST", "-H", "Content-Type: application/json", "-H",
                     "Authorization: Bearer " + bearer, "--data-binary", body.dump(), s_api + path});
    }

    static std::string authorize_url(const std::string& v, const std::string& query) {
        return s_api + "/csc/" + v +
               "/oauth2/authorize?response_type=code&client_id=" + s_app["client_id"].get<std::string>() +
               "&redirect_uri=" + pct(kRedirect) + "&" + query;
    }

    /// openssl pkeyutl -verify with the credential's certificate (credentials/info via `bearer`).
    static void expect_verifies(const std::string& credential_id, const std::string& bearer,
                                const Bytes& digest, const std::string& signature_b64) {
        const Http info = post_json("/csc/v2/credentials/info", {{"credentialID", credential_id}}, bearer);
        ASSERT_EQ(info.status, 200) << info.raw;
        const fs::path der = s_tmp->path() / ("cert-" + credential_id + ".der");
        inkan::testing::write_file(
            der, inkan::base64_decode(json::parse(info.body)["cert"]["certificates"][0].get<std::string>()));
        const fs::path pem = s_tmp->path() / ("cert-" + credential_id + ".pem");
        ASSERT_EQ(
            run({"openssl", "x509", "-inform", "DER", "-in", der.string(), "-out", pem.string()}).exit_code,
            0);
        const fs::path pub = s_tmp->path() / "pub.pem";
        ASSERT_EQ(run({"openssl", "x509", "-in", pem.string(), "-pubkey", "-noout", "-out", pub.string()})
                      .exit_code,
                  0);
        inkan::testing::write_file(s_tmp->path() / "digest.bin", digest);
        inkan::testing::write_file(s_tmp->path() / "sig.bin", inkan::base64_decode(signature_b64));
        const auto v =
            run({"openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pub.string(), "-in",
                 (s_tmp->path() / "digest.bin").string(), "-sigfile", (s_tmp->path() / "sig.bin").string()});
        EXPECT_EQ(v.exit_code, 0) << describe(v);
        EXPECT_NE(v.out.find("Signature Verified Successfully"), std::string::npos) << v.out;
    }

    static std::string sqlite3(const std::string& sql) {
        const auto r = run({"sqlite3", "-batch", (s_data / "inkan.db").string(), sql});
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        return r.out;
    }

    static std::unique_ptr<TempDir> s_tmp;
    static fs::path s_data;
    static json s_init, s_app, s_sealer;
    static std::string s_seal;
    static std::map<std::string, Signer> s_signers;
    static std::unique_ptr<inkan::testing::Process> s_server;
    static std::string s_api;
    static std::string s_public;  ///< api.public_url, as the serving line reports it
    static int s_jars;
    static std::string s_last_consent;
};

std::unique_ptr<TempDir> OAuthE2e::s_tmp;
fs::path OAuthE2e::s_data;
json OAuthE2e::s_init;
json OAuthE2e::s_app;
json OAuthE2e::s_sealer;
std::string OAuthE2e::s_seal;
std::map<std::string, Signer> OAuthE2e::s_signers;
std::unique_ptr<inkan::testing::Process> OAuthE2e::s_server;
std::string OAuthE2e::s_api;
std::string OAuthE2e::s_public;
int OAuthE2e::s_jars = 0;
std::string OAuthE2e::s_last_consent;

TEST_F(OAuthE2e, ACookieJarBrowserGetsACredentialTokenThatSignsTheAuthorisedHash) {
    Signer& hanako = s_signers["hanako"];
    const Bytes digest = sha256("売買契約書 2026");
    const std::string hash = inkan::base64url_encode(digest);
    const Http redirect = consent_flow(
        hanako,
        authorize_url(
            "v2", "scope=credential&credentialID=" + hanako.credential_id + "&numSignatures=1&hashes=" +
                      hash + "&hashAlgorithmOID=" + kSha256 + "&code_challenge=" + kChallenge +
                      "&code_challenge_method=S256&state=st%3C1%3E" + "&description=" + pct("契約 <b>A</b>")),
        "v2");
    // The consent page shows the credential, the count and the description, escaped.
    EXPECT_NE(s_last_consent.find("契約 &lt;b&gt;A&lt;/b&gt;"), std::string::npos) << s_last_consent;
    EXPECT_EQ(s_last_consent.find("<b>A</b>"), std::string::npos) << "an echoed value was not escaped";
    EXPECT_NE(s_last_consent.find(hanako.credential_id), std::string::npos);
    EXPECT_NE(s_last_consent.find("id=\"num-signatures\">1<"), std::string::npos);
    ASSERT_EQ(redirect.status, 303) << redirect.raw;
    const std::string location = redirect.header("Location");
    ASSERT_EQ(location.rfind(std::string{kRedirect} + "?code=", 0), 0U) << location;
    EXPECT_EQ(query_value(location, "state"), "st<1>");
    const std::string code = query_value(location, "code");

    const Http t = token({{"grant_type", "authorization_code"},
                          {"code", code},
                          {"redirect_uri", kRedirect},
                          {"code_verifier", kVerifier}});
    ASSERT_EQ(t.status, 200) << t.raw;
    EXPECT_EQ(t.header("Cache-Control"), "no-store");
    const json tj = json::parse(t.body);
    EXPECT_EQ(tj["token_type"], "Bearer");
    EXPECT_EQ(tj["credentialID"], hanako.credential_id);
    const std::string credential_token = tj["access_token"].get<std::string>();

    // v2: the credential token is the Bearer of signHash; no SAD parameter.
    const Http other = post_json("/csc/v2/signatures/signHash",
                                 {{"credentialID", hanako.credential_id},
                                  {"hashes", {inkan::base64_encode(sha256("another"))}},
                                  {"hashAlgorithmOID", kSha256},
                                  {"signAlgo", kEcdsaSha256}},
                                 credential_token);
    EXPECT_EQ(other.status, 400) << other.raw;
    EXPECT_EQ(json::parse(other.body)["error_description"], "Hash is not authorized by the SAD");
    const Http signed_ = post_json("/csc/v2/signatures/signHash",
                                   {{"credentialID", hanako.credential_id},
                                    {"hashes", {inkan::base64_encode(digest)}},
                                    {"hashAlgorithmOID", kSha256},
                                    {"signAlgo", kEcdsaSha256}},
                                   credential_token);
    ASSERT_EQ(signed_.status, 200) << signed_.raw;
    const auto login = curl({"-X", "POST", "-u", hanako.name + ":" + hanako.password, "--data-binary", "{}",
                             s_api + "/csc/v2/auth/login"});
    ASSERT_EQ(login.status, 200) << login.raw;
    expect_verifies(hanako.credential_id, json::parse(login.body)["access_token"].get<std::string>(), digest,
                    json::parse(signed_.body)["signatures"][0].get<std::string>());
    // Spent: the same hash again is refused.
    const Http again = post_json("/csc/v2/signatures/signHash",
                                 {{"credentialID", hanako.credential_id},
                                  {"hashes", {inkan::base64_encode(digest)}},
                                  {"hashAlgorithmOID", kSha256},
                                  {"signAlgo", kEcdsaSha256}},
                                 credential_token);
    EXPECT_EQ(again.status, 401) << again.raw;
}

TEST_F(OAuthE2e, AnOAuth2CodeCredentialRefusesExplicitFactorsAndSignsWithTheCodeFlowsToken) {
    Signer& umeko = s_signers["umeko"];
    const std::string id = umeko.credential_id;
    const auto bad_mode = run({INKAN_BIN, "credential", "create", "--user", "umeko", "--auth-mode",
                               "implicit", "--data", s_data.string()});
    EXPECT_NE(bad_mode.exit_code, 0) << describe(bad_mode);
    EXPECT_NE(bad_mode.err.find("--auth-mode must be explicit or oauth2code"), std::string::npos)
        << describe(bad_mode);

    const auto login = curl({"-X", "POST", "-u", umeko.name + ":" + umeko.password, "--data-binary", "{}",
                             s_api + "/csc/v1/auth/login"});
    ASSERT_EQ(login.status, 200) << login.raw;
    const std::string service_token = json::parse(login.body)["access_token"].get<std::string>();

    // credentials/info: v1 authMode without PIN/OTP groups; v2 auth.mode without objects.
    const Http v1_info =
        post_json("/csc/v1/credentials/info", {{"credentialID", id}, {"authInfo", true}}, service_token);
    ASSERT_EQ(v1_info.status, 200) << v1_info.raw;
    const json v1j = json::parse(v1_info.body);
    EXPECT_EQ(v1j["authMode"], "oauth2code") << v1_info.body;
    EXPECT_FALSE(v1j.contains("PIN") || v1j.contains("OTP")) << v1_info.body;
    const Http v2_info =
        post_json("/csc/v2/credentials/info", {{"credentialID", id}, {"authInfo", true}}, service_token);
    ASSERT_EQ(v2_info.status, 200) << v2_info.raw;
    EXPECT_EQ(json::parse(v2_info.body)["auth"], json({{"mode", "oauth2code"}})) << v2_info.body;
    const Http v2_list =
        post_json("/csc/v2/credentials/list", {{"credentialInfo", true}, {"authInfo", true}}, service_token);
    ASSERT_EQ(v2_list.status, 200) << v2_list.raw;
    EXPECT_EQ(json::parse(v2_list.body)["credentialInfos"][0]["auth"]["mode"], "oauth2code") << v2_list.body;

    // Explicit factors, v1 and v2, with a live OTP: 400 invalid_request, nothing counted or spent.
    const Bytes digest = sha256("oauth2code 文書");
    const std::string otp = umeko.otp();
    const std::string expected = "Credential requires OAuth2 authorization (authMode oauth2code)";
    const Http v1_auth = post_json("/csc/v1/credentials/authorize",
                                   {{"credentialID", id},
                                    {"numSignatures", 1},
                                    {"hash", {inkan::base64_encode(digest)}},
                                    {"PIN", "000000"},
                                    {"OTP", otp}},
                                   service_token);
    EXPECT_EQ(v1_auth.status, 400) << v1_auth.raw;
    EXPECT_EQ(json::parse(v1_auth.body),
              json({{"error", "invalid_request"}, {"error_description", expected}}))
        << v1_auth.body;
    const Http v2_auth =
        post_json("/csc/v2/credentials/authorize",
                  {{"credentialID", id},
                   {"numSignatures", 1},
                   {"hashes", {inkan::base64_encode(digest)}},
                   {"hashAlgorithmOID", kSha256},
                   {"authData", {{{"id", "PIN"}, {"value", "000000"}}, {{"id", "OTP"}, {"value", otp}}}}},
                  service_token);
    EXPECT_EQ(v2_auth.status, 400) << v2_auth.raw;
    EXPECT_EQ(json::parse(v2_auth.body)["error"], "invalid_request") << v2_auth.body;
    EXPECT_EQ(json::parse(v2_auth.body)["error_description"], expected) << v2_auth.body;
    // v1 sendOTP is not offered at all (the OTP is an offline TOTP; decision 0027): 501, for any credential.
    const Http send_otp = post_json("/csc/v1/credentials/sendOTP", {{"credentialID", id}}, service_token);
    EXPECT_EQ(send_otp.status, 501) << send_otp.raw;
    EXPECT_EQ(json::parse(send_otp.body)["error"], "not_implemented_method") << send_otp.body;
    EXPECT_EQ(sqlite3("SELECT count(*) FROM pin_failures WHERE credential_id = '" + id + "' AND count > 0;"),
              "0\n");
    EXPECT_EQ(sqlite3("SELECT count(*) FROM sads WHERE credential_id = '" + id + "';"), "0\n");
    EXPECT_EQ(sqlite3("SELECT outcome FROM audit_log WHERE action = 'authorize' AND credential_id = '" + id +
                      "' ORDER BY seq;"),
              "oauth2_required\noauth2_required\n");

    // The code flow, with the very OTP the refused calls carried (its step was not spent).
    --umeko.next_step;
    const Http redirect = consent_flow(
        umeko,
        authorize_url("v2", "scope=credential&credentialID=" + id + "&numSignatures=1&hashes=" +
                                inkan::base64url_encode(digest) + "&hashAlgorithmOID=" + kSha256 +
                                "&code_challenge=" + kChallenge + "&code_challenge_method=S256"),
        "v2");
    ASSERT_EQ(redirect.status, 303) << redirect.raw;
    const Http t = token({{"grant_type", "authorization_code"},
                          {"code", query_value(redirect.header("Location"), "code")},
                          {"redirect_uri", kRedirect},
                          {"code_verifier", kVerifier}});
    ASSERT_EQ(t.status, 200) << t.raw;
    const Http signed_ = post_json("/csc/v2/signatures/signHash",
                                   {{"credentialID", id},
                                    {"hashes", {inkan::base64_encode(digest)}},
                                    {"hashAlgorithmOID", kSha256},
                                    {"signAlgo", kEcdsaSha256}},
                                   json::parse(t.body)["access_token"].get<std::string>());
    ASSERT_EQ(signed_.status, 200) << signed_.raw;
    expect_verifies(id, service_token, digest, json::parse(signed_.body)["signatures"][0].get<std::string>());
    EXPECT_EQ(sqlite3("SELECT outcome FROM audit_log WHERE action = 'authorize' AND credential_id = '" + id +
                      "' ORDER BY seq;"),
              "oauth2_required\noauth2_required\nok\n");
}

TEST_F(OAuthE2e, V1ServiceTokenAndSadTokenSignTogether) {
    Signer& taro = s_signers["taro"];
    const Bytes digest = sha256("v1 document");
    const Http service = consent_flow(taro, authorize_url("v1", "scope=service&state=s1"), "v1");
    ASSERT_EQ(service.status, 303) << service.raw;
    const Http st = token({{"grant_type", "authorization_code"},
                           {"code", query_value(service.header("Location"), "code")},
                           {"redirect_uri", kRedirect}},
                          "v1");
    ASSERT_EQ(st.status, 200) << st.raw;
    const json sj = json::parse(st.body);
    EXPECT_EQ(sj["token_type"], "Bearer");
    ASSERT_TRUE(sj.contains("refresh_token"));

    const Http cred =
        consent_flow(taro,
                     authorize_url("v1", "scope=credential&credentialID=" + taro.credential_id +
                                             "&numSignatures=1&hash=" + inkan::base64url_encode(digest)),
                     "v1");
    ASSERT_EQ(cred.status, 303) << cred.raw;
    const Http ct = token({{"grant_type", "authorization_code"},
                           {"code", query_value(cred.header("Location"), "code")},
                           {"redirect_uri", kRedirect}},
                          "v1");
    ASSERT_EQ(ct.status, 200) << ct.raw;
    const json cj = json::parse(ct.body);
    EXPECT_EQ(cj["token_type"], "SAD");  // CSC v1 §8.3.3
    EXPECT_FALSE(cj.contains("refresh_token"));
    const Http signed_ = post_json("/csc/v1/signatures/signHash",
                                   {{"credentialID", taro.credential_id},
                                    {"SAD", cj["access_token"]},
                                    {"hash", {inkan::base64_encode(digest)}},
                                    {"signAlgo", kEcdsaSha256}},
                                   sj["access_token"].get<std::string>());
    ASSERT_EQ(signed_.status, 200) << signed_.raw;
    expect_verifies(taro.credential_id, sj["access_token"].get<std::string>(), digest,
                    json::parse(signed_.body)["signatures"][0].get<std::string>());

    // Refresh rotates; the old refresh token and a revoked one are refused.
    const Http rotated =
        token({{"grant_type", "refresh_token"}, {"refresh_token", sj["refresh_token"]}}, "v1");
    ASSERT_EQ(rotated.status, 200) << rotated.raw;
    const Http replay =
        token({{"grant_type", "refresh_token"}, {"refresh_token", sj["refresh_token"]}}, "v1");
    EXPECT_EQ(replay.status, 400);
    EXPECT_EQ(json::parse(replay.body)["error"], "invalid_grant") << replay.body;
    const std::string fresh = json::parse(rotated.body)["refresh_token"].get<std::string>();
    const Http revoked =
        curl({"-X", "POST", "-u",
              s_app["client_id"].get<std::string>() + ":" + s_app["client_secret"].get<std::string>(),
              "--data-urlencode", "token=" + fresh, "--data-urlencode", "token_type_hint=refresh_token",
              s_api + "/csc/v1/oauth2/revoke"});
    EXPECT_EQ(revoked.status, 200) << revoked.raw;  // RFC 7009 §2.2
    const Http after = token({{"grant_type", "refresh_token"}, {"refresh_token", fresh}}, "v1");
    EXPECT_EQ(json::parse(after.body)["error"], "invalid_grant") << after.body;
}

/// A CSC v1 §8.3.1 account_token made by openssl and the shell, not by inkan: HS256 keyed with the hex
/// of SHA-256(client_secret), parts base64url without padding, iat = now.
std::string openssl_account_token(const std::string& client_secret, const std::string& client_id,
                                  const std::string& jti) {
    const auto r = run({"sh", "-c",
                        R"sh(set -e
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
key=$(printf '%s' "$1" | openssl dgst -sha256 -hex | sed 's/^.*= //')
h=$(printf '%s' '{"typ":"JWT","alg":"HS256"}' | b64url)
c=$(printf '{"sub":"acct-e2e","iat":%s,"jti":"%s","iss":"Signing App","azp":"%s"}' "$(date +%s)" "$3" "$2" | b64url)
s=$(printf '%s.%s' "$h" "$c" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" -binary | b64url)
printf '%s.%s.%s' "$h" "$c" "$s"
)sh",
                        "sh", client_secret, client_id, jti});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    return r.out;
}

TEST_F(OAuthE2e, AnAccountTokenMadeByOpensslIsAcceptedOnceAndARevokedCredentialTokenNoLongerSigns) {
    Signer& sachiko = s_signers["sachiko"];
    const std::string account_token = openssl_account_token(
        s_app["client_secret"].get<std::string>(), s_app["client_id"].get<std::string>(), "e2e-jti-1");
    ASSERT_EQ(std::count(account_token.begin(), account_token.end(), '.'), 2) << account_token;
    const Bytes first = sha256("first contract");
    const Bytes second = sha256("second contract");
    const auto credential_token = [&](const Bytes& digest, const std::string& extra) {
        const Http redirect = consent_flow(
            sachiko,
            authorize_url("v2", "scope=credential&credentialID=" + sachiko.credential_id +
                                    "&numSignatures=1&hashes=" + inkan::base64url_encode(digest) +
                                    "&hashAlgorithmOID=" + kSha256 + "&code_challenge=" + kChallenge +
                                    "&code_challenge_method=S256&state=acct" + extra),
            "v2");
        EXPECT_EQ(redirect.status, 303) << redirect.raw;
        const std::string code = query_value(redirect.header("Location"), "code");
        EXPECT_FALSE(code.empty()) << redirect.header("Location");
        const Http t = token({{"grant_type", "authorization_code"},
                              {"code", code},
                              {"redirect_uri", kRedirect},
                              {"code_verifier", kVerifier}});
        EXPECT_EQ(t.status, 200) << t.raw;
        return t.status == 200 ? json::parse(t.body)["access_token"].get<std::string>() : std::string{};
    };
    const std::string revoked_token = credential_token(first, "&account_token=" + account_token);
    ASSERT_FALSE(revoked_token.empty());
    const std::string consent = sqlite3("SELECT details FROM audit_log WHERE action = 'oauth2.consent';");
    EXPECT_NE(consent.find("\"account\":\"acct-e2e\""), std::string::npos) << consent;

    // The same account_token again: a replay, redirected with invalid_request and the state.
    const Http replay = curl(
        {authorize_url("v2", std::string{"scope=service&code_challenge="} + kChallenge +
                                 "&code_challenge_method=S256&state=again&account_token=" + account_token)});
    ASSERT_EQ(replay.status, 302) << replay.raw;
    const std::string loc = replay.header("Location");
    EXPECT_EQ(query_value(loc, "error"), "invalid_request") << loc;
    EXPECT_EQ(query_value(loc, "state"), "again") << loc;
    EXPECT_NE(query_value(loc, "error_description").find("account_token"), std::string::npos) << loc;

    const std::string kept_token = credential_token(second, "");
    ASSERT_FALSE(kept_token.empty());
    // RFC 7009: revoking the credential token retires its SAD.
    const Http revoked =
        curl({"-X", "POST", "-u",
              s_app["client_id"].get<std::string>() + ":" + s_app["client_secret"].get<std::string>(),
              "--data-urlencode", "token=" + revoked_token, s_api + "/csc/v2/oauth2/revoke"});
    EXPECT_EQ(revoked.status, 200) << revoked.raw;  // RFC 7009 §2.2
    const Http refused = post_json("/csc/v2/signatures/signHash",
                                   {{"credentialID", sachiko.credential_id},
                                    {"hashes", {inkan::base64_encode(first)}},
                                    {"hashAlgorithmOID", kSha256},
                                    {"signAlgo", kEcdsaSha256}},
                                   revoked_token);
    EXPECT_EQ(refused.status, 401) << refused.raw;
    EXPECT_TRUE(json::parse(refused.body).contains("error")) << refused.body;
    const Http signed_ = post_json("/csc/v2/signatures/signHash",
                                   {{"credentialID", sachiko.credential_id},
                                    {"hashes", {inkan::base64_encode(second)}},
                                    {"hashAlgorithmOID", kSha256},
                                    {"signAlgo", kEcdsaSha256}},
                                   kept_token);
    ASSERT_EQ(signed_.status, 200) << signed_.raw;
    const auto login = curl({"-X", "POST", "-u", sachiko.name + ":" + sachiko.password, "--data-binary", "{}",
                             s_api + "/csc/v2/auth/login"});
    ASSERT_EQ(login.status, 200) << login.raw;
    expect_verifies(sachiko.credential_id, json::parse(login.body)["access_token"].get<std::string>(), second,
                    json::parse(signed_.body)["signatures"][0].get<std::string>());
    // The token never reaches the log or the audit trail.
    const std::string signature = account_token.substr(account_token.rfind('.') + 1);
    EXPECT_EQ(s_server->stderr_text().find(signature), std::string::npos) << "the account_token was logged";
    EXPECT_EQ(sqlite3("SELECT count(*) FROM audit_log WHERE details LIKE '%" + signature + "%';"), "0\n");
}

TEST_F(OAuthE2e, ASystemClientSealsWithClientCredentialsAndTheAuditNamesIt) {
    const std::string id = s_sealer["client_id"].get<std::string>();
    const Http t = curl({"-X", "POST", "--data-urlencode", "grant_type=client_credentials",
                         "--data-urlencode", "client_id=" + id, "--data-urlencode",
                         "client_secret=" + s_sealer["client_secret"].get<std::string>(),
                         s_api + "/csc/v1/oauth2/token"});
    ASSERT_EQ(t.status, 200) << t.raw;
    const std::string bearer = json::parse(t.body)["access_token"].get<std::string>();
    const Http list = post_json("/csc/v1/credentials/list", json::object(), bearer);
    ASSERT_EQ(list.status, 200) << list.raw;
    EXPECT_EQ(json::parse(list.body)["credentialIDs"], json::array({s_seal}));

    const Http personal = post_json("/csc/v1/credentials/authorize",
                                    {{"credentialID", s_signers["jiro"].credential_id},
                                     {"numSignatures", 1},
                                     {"hash", {inkan::base64_encode(sha256("x"))}}},
                                    bearer);
    EXPECT_EQ(personal.status, 400) << personal.raw;
    EXPECT_EQ(json::parse(personal.body)["error_description"], "Invalid parameter credentialID");

    const Http sad =
        post_json("/csc/v1/credentials/authorize", {{"credentialID", s_seal}, {"numSignatures", 1}}, bearer);
    ASSERT_EQ(sad.status, 200) << sad.raw;
    const Bytes digest = sha256("invoice 2026-0042");
    const Http sealed = post_json("/csc/v1/signatures/signHash",
                                  {{"credentialID", s_seal},
                                   {"SAD", json::parse(sad.body)["SAD"]},
                                   {"hash", {inkan::base64_encode(digest)}},
                                   {"signAlgo", kEcdsaSha256}},
                                  bearer);
    ASSERT_EQ(sealed.status, 200) << sealed.raw;
    expect_verifies(s_seal, bearer, digest, json::parse(sealed.body)["signatures"][0].get<std::string>());
    EXPECT_EQ(
        sqlite3("SELECT user_id || '|' || client_id FROM audit_log WHERE action = 'sign' AND outcome = 'ok' "
                "AND credential_id = '" +
                s_seal + "';"),
        "|" + id + "\n");
}

TEST_F(OAuthE2e, RefusalsHaveTheirExactErrors) {
    // An unregistered redirect_uri: an error page, never a redirect.
    const Http bad_redirect =
        curl({s_api + "/csc/v2/oauth2/authorize?response_type=code&client_id=" +
              s_app["client_id"].get<std::string>() +
              "&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&code_challenge=" + kChallenge +
              "&code_challenge_method=S256"});
    EXPECT_EQ(bad_redirect.status, 400) << bad_redirect.raw;
    EXPECT_EQ(bad_redirect.header("Location"), "");
    EXPECT_EQ(bad_redirect.header("X-Frame-Options"), "DENY");
    EXPECT_EQ(bad_redirect.header("Strict-Transport-Security"), "max-age=63072000");
    // v2 without PKCE: redirected with invalid_request and the state.
    const Http no_pkce = curl({authorize_url("v2", "scope=service&state=abc")});
    EXPECT_EQ(no_pkce.status, 302) << no_pkce.raw;
    const std::string loc = no_pkce.header("Location");
    EXPECT_EQ(query_value(loc, "error"), "invalid_request") << loc;
    EXPECT_EQ(query_value(loc, "state"), "abc") << loc;

    // The page's headers; a wrong CSRF token ends nowhere.
    const fs::path jar = s_tmp->path() / "jar-refusals";
    const Http page = browser_get(jar, authorize_url("v2", std::string{"scope=service&code_challenge="} +
                                                               kChallenge + "&code_challenge_method=S256"));
    EXPECT_EQ(page.header("X-Frame-Options"), "DENY");
    EXPECT_EQ(page.header("Strict-Transport-Security"), "max-age=63072000");  // RFC 6797, two years
    EXPECT_NE(page.header("Content-Security-Policy").find("frame-ancestors 'none'"), std::string::npos);
    EXPECT_EQ(page.header("Cache-Control"), "no-store");
    const std::string cookie = page.header("Set-Cookie");
    for (const char* attr : {"HttpOnly", "Secure", "SameSite=Lax"}) {
        EXPECT_NE(cookie.find(attr), std::string::npos) << cookie;
    }
    EXPECT_NE(page.body.find("<meta charset=\"utf-8\">"), std::string::npos);
    const Http forged = browser_post(jar, "/csc/v2/oauth2/authorize",
                                     {{"csrf", "forged"},
                                      {"step", "login"},
                                      {"username", "jiro"},
                                      {"password", s_signers["jiro"].password}});
    EXPECT_EQ(forged.status, 400) << forged.raw;

    // Code replay, a wrong verifier.
    Signer& jiro = s_signers["jiro"];
    const Http r = consent_flow(jiro,
                                authorize_url("v2", std::string{"scope=service&code_challenge="} +
                                                        kChallenge + "&code_challenge_method=S256"),
                                "v2");
    ASSERT_EQ(r.status, 303) << r.raw;
    const std::string code = query_value(r.header("Location"), "code");
    const Http wrong = token({{"grant_type", "authorization_code"},
                              {"code", code},
                              {"redirect_uri", kRedirect},
                              {"code_verifier", std::string(43, 'x')}});
    EXPECT_EQ(wrong.status, 400);
    EXPECT_EQ(json::parse(wrong.body)["error"], "invalid_grant") << wrong.body;
    const Http replay = token({{"grant_type", "authorization_code"},
                               {"code", code},
                               {"redirect_uri", kRedirect},
                               {"code_verifier", kVerifier}});
    EXPECT_EQ(json::parse(replay.body)["error"], "invalid_grant") << replay.body;
    // A wrong client secret: 401 invalid_client with a Basic challenge.
    json wrong_client = s_app;
    wrong_client["client_secret"] = "not-the-secret";
    const Http unauth = token({{"grant_type", "client_credentials"}}, "v2", wrong_client);
    EXPECT_EQ(unauth.status, 401) << unauth.raw;
    EXPECT_EQ(json::parse(unauth.body)["error"], "invalid_client");
    EXPECT_NE(unauth.header("WWW-Authenticate").find("Basic"), std::string::npos);
}

TEST_F(OAuthE2e, DiscoveryNamesTheEndpointsUnderTheConfiguredPublicUrlWhateverTheHostHeader) {
    // The issuer and every URL come from api.public_url (inkan init wrote https://<api listen>), not
    // from the Host header: a client naming another host does not move them there.
    ASSERT_EQ(s_public.rfind("https://", 0), 0U) << s_public;
    for (const auto& host :
         {std::vector<std::string>{}, std::vector<std::string>{"-H", "Host: evil.example"}}) {
        std::vector<std::string> args = host;
        args.push_back(s_api + "/.well-known/oauth-authorization-server");
        const Http meta = curl(args);
        ASSERT_EQ(meta.status, 200) << meta.raw;
        const json m = json::parse(meta.body);
        EXPECT_EQ(m["issuer"], s_public);
        EXPECT_EQ(m["authorization_endpoint"], s_public + "/csc/v2/oauth2/authorize");
        EXPECT_EQ(m["token_endpoint"], s_public + "/csc/v2/oauth2/token");
        EXPECT_EQ(m["pushed_authorization_request_endpoint"], s_public + "/csc/v2/oauth2/pushed_authorize");
        EXPECT_EQ(m["code_challenge_methods_supported"], json::array({"S256"}));
        args = host;
        args.insert(args.end(), {"-X", "POST", "--data-binary", "{}", s_api + "/csc/v1/info"});
        EXPECT_EQ(json::parse(curl(args).body)["oauth2"], s_public + "/csc/v1/");
    }
    const Http v2 =
        curl({"-X", "POST", "-H", "Host: evil.example", "--data-binary", "{}", s_api + "/csc/v2/info"});
    const json i2 = json::parse(v2.body);
    EXPECT_EQ(i2["oauth2Issuer"], s_public);
    EXPECT_NE(std::find(i2["authType"].begin(), i2["authType"].end(), "oauth2client"), i2["authType"].end());
    EXPECT_NE(std::find(i2["methods"].begin(), i2["methods"].end(), "oauth2/pushed_authorize"),
              i2["methods"].end());
}

TEST_F(OAuthE2e, APushedRequestCarriesRarThroughTheBrowser) {
    Signer& jiro = s_signers["jiro"];
    const Bytes digest = sha256("請求書 42");
    const json rar =
        json::array({{{"type", "credential"},
                      {"credentialID", jiro.credential_id},
                      {"documentDigests", {{{"hash", inkan::base64_encode(digest)}, {"label", "請求書 42"}}}},
                      {"hashAlgorithmOID", kSha256}}});
    const Http par =
        curl({"-X", "POST", "-u",
              s_app["client_id"].get<std::string>() + ":" + s_app["client_secret"].get<std::string>(),
              "--data-urlencode", "response_type=code", "--data-urlencode",
              std::string{"redirect_uri="} + kRedirect, "--data-urlencode",
              std::string{"code_challenge="} + kChallenge, "--data-urlencode", "code_challenge_method=S256",
              "--data-urlencode", "authorization_details=" + rar.dump(),
              s_api + "/csc/v2/oauth2/pushed_authorize"});
    ASSERT_EQ(par.status, 201) << par.raw;
    const std::string request_uri = json::parse(par.body)["request_uri"].get<std::string>();
    const Http r =
        consent_flow(jiro,
                     s_api + "/csc/v2/oauth2/authorize?client_id=" + s_app["client_id"].get<std::string>() +
                         "&request_uri=" + pct(request_uri),
                     "v2");
    EXPECT_NE(s_last_consent.find("請求書 42"), std::string::npos) << s_last_consent;
    ASSERT_EQ(r.status, 303) << r.raw;
    const std::string code = query_value(r.header("Location"), "code");
    json other = rar;
    other[0]["documentDigests"][0]["hash"] = inkan::base64_encode(sha256("something else"));
    const Http differing = token({{"grant_type", "authorization_code"},
                                  {"code", code},
                                  {"redirect_uri", kRedirect},
                                  {"code_verifier", kVerifier},
                                  {"authorization_details", other.dump()}});
    EXPECT_EQ(json::parse(differing.body)["error"], "invalid_grant") << differing.body;
}

// Issue 14 item 3: the password and the one-time code prove the user; an explicit-mode credential's PIN is
// the credential's own activation. The consent page asks for it; without it, or wrong, nothing is granted
// and the page stays; the right PIN gives a code whose token signs.
TEST_F(OAuthE2e, AnExplicitModeCredentialNeedsItsPinOnTheConsentPage) {
    const std::string d = s_data.string();
    const json user = cli(
        {INKAN_BIN, "user", "add", "sakura", "--display-name", "山田 桜", "--totp", "--json", "--data", d});
    const json cred = cli({INKAN_BIN, "credential", "create", "--user", "sakura", "--json", "--data", d});
    Signer sakura{"sakura", user["password"].get<std::string>(), user["totp_secret"].get<std::string>(),
                  cred["credential"]["id"].get<std::string>(), cred.value("pin", std::string{})};
    ASSERT_FALSE(sakura.pin.empty()) << cred.dump();
    const Bytes digest = sha256("PIN を要する契約");
    const fs::path jar = s_tmp->path() / "jar-sakura";
    const std::string path = "/csc/v2/oauth2/authorize";
    const Http login = browser_get(
        jar, authorize_url("v2", "scope=credential&credentialID=" + sakura.credential_id +
                                     "&numSignatures=1&hashes=" + inkan::base64url_encode(digest) +
                                     "&hashAlgorithmOID=" + kSha256 + "&code_challenge=" + kChallenge +
                                     "&code_challenge_method=S256&state=pin-1"));
    ASSERT_EQ(login.status, 200) << login.raw;
    const std::string csrf = csrf_of(login);
    (void)browser_post(
        jar, path,
        {{"csrf", csrf}, {"step", "login"}, {"username", sakura.name}, {"password", sakura.password}});
    const Http consent = browser_post(jar, path, {{"csrf", csrf}, {"step", "otp"}, {"otp", sakura.otp()}});
    ASSERT_EQ(consent.status, 200) << consent.raw;
    EXPECT_NE(consent.body.find("name=\"pin\""), std::string::npos) << consent.body;
    for (const char* pin : {"", "000000"}) {
        const Http refused = browser_post(
            jar, path, {{"csrf", csrf}, {"step", "consent"}, {"decision", "approve"}, {"pin", pin}});
        EXPECT_EQ(refused.status, 400) << refused.raw;
        EXPECT_NE(refused.body.find("The PIN is wrong."), std::string::npos) << refused.body;
        EXPECT_EQ(refused.header("Location"), "") << "no code without the PIN";
    }
    const Http approved = browser_post(
        jar, path, {{"csrf", csrf}, {"step", "consent"}, {"decision", "approve"}, {"pin", sakura.pin}});
    ASSERT_EQ(approved.status, 303) << approved.raw;
    const Http t = token({{"grant_type", "authorization_code"},
                          {"code", query_value(approved.header("Location"), "code")},
                          {"redirect_uri", kRedirect},
                          {"code_verifier", kVerifier}});
    ASSERT_EQ(t.status, 200) << t.raw;
    const Http signed_ = post_json("/csc/v2/signatures/signHash",
                                   {{"credentialID", sakura.credential_id},
                                    {"hashes", {inkan::base64_encode(digest)}},
                                    {"hashAlgorithmOID", kSha256},
                                    {"signAlgo", kEcdsaSha256}},
                                   json::parse(t.body)["access_token"].get<std::string>());
    EXPECT_EQ(signed_.status, 200) << signed_.raw;
}

TEST_F(OAuthE2e, RarBySignatureQualifierPicksTheUsersCredentialAndTheTokenNamesIt) {
    // A signer of its own: three flows, each TOTP step once (Signer::otp).
    const std::string d = s_data.string();
    const json user = cli(
        {INKAN_BIN, "user", "add", "kaede", "--display-name", "山田 楓", "--totp", "--json", "--data", d});
    const json cred = cli({INKAN_BIN, "credential", "create", "--user", "kaede", "--json", "--data", d});
    EXPECT_EQ(cred["credential"]["signature_qualifier"], "eu_eidas_aes") << cred.dump();
    Signer kaede{"kaede", user["password"].get<std::string>(), user["totp_secret"].get<std::string>(),
                 cred["credential"]["id"].get<std::string>(), cred.value("pin", std::string{})};
    const Bytes digest = sha256("委任状 7");
    const auto rar_for = [&](const std::string& qualifier) {
        return json::array(
            {{{"type", "credential"},
              {"signatureQualifier", qualifier},
              {"documentDigests", {{{"hash", inkan::base64_encode(digest)}, {"label", "委任状 7"}}}},
              {"hashAlgorithmOID", kSha256}}});
    };
    const json rar = rar_for("eu_eidas_aes");
    const Http r = consent_flow(
        kaede,
        authorize_url("v2", "authorization_details=" + pct(rar.dump()) + "&code_challenge=" + kChallenge +
                                "&code_challenge_method=S256&state=q1"),
        "v2");
    // kaede holds exactly one eu_eidas_aes credential: the consent page names it, no choice to make.
    EXPECT_NE(s_last_consent.find(kaede.credential_id), std::string::npos) << s_last_consent;
    EXPECT_EQ(s_last_consent.find("type=\"radio\""), std::string::npos) << s_last_consent;
    ASSERT_EQ(r.status, 303) << r.raw;
    const std::string code = query_value(r.header("Location"), "code");
    ASSERT_FALSE(code.empty()) << r.header("Location");
    const Http t = token({{"grant_type", "authorization_code"},
                          {"code", code},
                          {"redirect_uri", kRedirect},
                          {"code_verifier", kVerifier},
                          {"authorization_details", rar.dump()}});
    ASSERT_EQ(t.status, 200) << t.raw;
    const json tj = json::parse(t.body);
    EXPECT_EQ(tj["credentialID"], kaede.credential_id) << tj.dump();
    EXPECT_EQ(tj["authorization_details"][0]["credentialID"], kaede.credential_id) << tj.dump();
    EXPECT_EQ(tj["authorization_details"][0]["signatureQualifier"], "eu_eidas_aes") << tj.dump();
    const Http signed_ = post_json("/csc/v2/signatures/signHash",
                                   {{"credentialID", kaede.credential_id},
                                    {"hashes", {inkan::base64_encode(digest)}},
                                    {"hashAlgorithmOID", kSha256},
                                    {"signAlgo", kEcdsaSha256}},
                                   tj["access_token"].get<std::string>());
    ASSERT_EQ(signed_.status, 200) << signed_.raw;
    const auto login = curl({"-X", "POST", "-u", kaede.name + ":" + kaede.password, "--data-binary", "{}",
                             s_api + "/csc/v2/auth/login"});
    ASSERT_EQ(login.status, 200) << login.raw;
    const std::string service_token = json::parse(login.body)["access_token"].get<std::string>();
    expect_verifies(kaede.credential_id, service_token, digest,
                    json::parse(signed_.body)["signatures"][0].get<std::string>());
    // credentials/info (v2) reports the qualifier.
    const Http info =
        post_json("/csc/v2/credentials/info", {{"credentialID", kaede.credential_id}}, service_token);
    ASSERT_EQ(info.status, 200) << info.raw;
    EXPECT_EQ(json::parse(info.body)["signatureQualifier"], "eu_eidas_aes") << info.body;

    // signDoc (v2) with signatureQualifier and no credentialID: kaede's one eu_eidas_aes credential signs
    // (a second RAR grant for a digest); openssl cms -verify judges the detached CAdES.
    const fs::path data = s_tmp->path() / "qualifier-data.txt";
    inkan::testing::write_file(data, inkan::Bytes{'q', 'e', 's', '?'});
    const Bytes data_digest = sha256("qes?");
    json doc_rar = rar;
    doc_rar[0]["documentDigests"][0]["hash"] = inkan::base64_encode(data_digest);
    const Http r2 =
        consent_flow(kaede,
                     authorize_url("v2", "authorization_details=" + pct(doc_rar.dump()) +
                                             "&code_challenge=" + kChallenge + "&code_challenge_method=S256"),
                     "v2");
    ASSERT_EQ(r2.status, 303) << r2.raw;
    const Http t2 = token({{"grant_type", "authorization_code"},
                           {"code", query_value(r2.header("Location"), "code")},
                           {"redirect_uri", kRedirect},
                           {"code_verifier", kVerifier},
                           {"authorization_details", doc_rar.dump()}});
    ASSERT_EQ(t2.status, 200) << t2.raw;
    const json sign_doc{{"signatureQualifier", "eu_eidas_aes"},
                        {"documentDigests",
                         {{{"hashes", {inkan::base64_encode(data_digest)}},
                           {"hashAlgorithmOID", kSha256},
                           {"signature_format", "C"},
                           {"conformance_level", "Ades-B-B"},
                           {"signAlgo", kEcdsaSha256}}}}};
    json wrong = sign_doc;
    wrong["credentialID"] = kaede.credential_id;
    wrong["signatureQualifier"] = "eu_eidas_qes";
    const Http disagree = post_json("/csc/v2/signatures/signDoc", wrong,
                                    json::parse(t2.body)["access_token"].get<std::string>());
    EXPECT_EQ(disagree.status, 400) << disagree.raw;
    const Http doc = post_json("/csc/v2/signatures/signDoc", sign_doc,
                               json::parse(t2.body)["access_token"].get<std::string>());
    ASSERT_EQ(doc.status, 200) << doc.raw;
    const fs::path p7s = s_tmp->path() / "qualifier.p7s";
    inkan::testing::write_file(
        p7s, inkan::base64_decode(json::parse(doc.body)["SignatureObject"][0].get<std::string>()));
    const auto cms = run({"openssl", "cms", "-verify", "-inform", "DER", "-in", p7s.string(), "-binary",
                          "-content", data.string(), "-CAfile", (s_data / "pki" / "root-ca.pem").string(),
                          "-purpose", "any", "-out", "/dev/null"});
    EXPECT_EQ(cms.exit_code, 0) << describe(cms);

    // A qualifier kaede holds no credential for: consent redirects with access_denied and the state.
    const Http none = consent_flow(
        kaede,
        authorize_url("v2", "authorization_details=" + pct(rar_for("eu_eidas_qes").dump()) +
                                "&code_challenge=" + kChallenge + "&code_challenge_method=S256&state=q2"),
        "v2");
    EXPECT_NE(s_last_consent.find("no credential with this signature qualifier"), std::string::npos)
        << s_last_consent;
    ASSERT_EQ(none.status, 303) << none.raw;
    EXPECT_EQ(query_value(none.header("Location"), "error"), "access_denied") << none.header("Location");
    EXPECT_EQ(query_value(none.header("Location"), "state"), "q2");
    EXPECT_EQ(query_value(none.header("Location"), "code"), "");
    // An unknown qualifier is refused before login: invalid_request, redirected.
    const Http unknown = curl(
        {authorize_url("v2", "authorization_details=" + pct(rar_for("eu_eidas_best").dump()) +
                                 "&code_challenge=" + kChallenge + "&code_challenge_method=S256&state=q3")});
    EXPECT_EQ(unknown.status, 302) << unknown.raw;
    EXPECT_EQ(query_value(unknown.header("Location"), "error"), "invalid_request")
        << unknown.header("Location");
}

TEST_F(OAuthE2e, SeveralQualifiedCredentialsAreRadioButtonsOnTheConsentPage) {
    const std::string d = s_data.string();
    const json user =
        cli({INKAN_BIN, "user", "add", "kiku", "--display-name", "山田 菊", "--totp", "--json", "--data", d});
    Signer kiku{"kiku", user["password"].get<std::string>(), user["totp_secret"].get<std::string>(), {}, {}};
    std::vector<std::string> ids;
    std::vector<std::string> pins;
    for (int i = 0; i < 2; ++i) {
        const json c = cli({INKAN_BIN, "credential", "create", "--user", "kiku", "--signature-qualifier",
                            "eu_eidas_qes", "--json", "--data", d});
        EXPECT_EQ(c["credential"]["signature_qualifier"], "eu_eidas_qes") << c.dump();
        ids.push_back(c["credential"]["id"].get<std::string>());
        pins.push_back(c.value("pin", std::string{}));
    }
    const json rar = json::array({{{"type", "credential"},
                                   {"signatureQualifier", "eu_eidas_qes"},
                                   {"documentDigests", {{{"hash", inkan::base64_encode(sha256("k"))}}}},
                                   {"hashAlgorithmOID", kSha256}}});
    const fs::path jar = s_tmp->path() / "jar-kiku";
    const std::string path = "/csc/v2/oauth2/authorize";
    const Http login = browser_get(
        jar, authorize_url("v2", "authorization_details=" + pct(rar.dump()) +
                                     "&code_challenge=" + kChallenge + "&code_challenge_method=S256"));
    ASSERT_EQ(login.status, 200) << login.raw;
    const std::string csrf = csrf_of(login);
    (void)browser_post(
        jar, path, {{"csrf", csrf}, {"step", "login"}, {"username", kiku.name}, {"password", kiku.password}});
    const Http consent = browser_post(jar, path, {{"csrf", csrf}, {"step", "otp"}, {"otp", kiku.otp()}});
    ASSERT_EQ(consent.status, 200) << consent.raw;
    for (const auto& id : ids) {
        EXPECT_NE(consent.body.find("type=\"radio\" name=\"credential\" required value=\"" + id + "\""),
                  std::string::npos)
            << consent.body;
    }
    const Http unchosen =
        browser_post(jar, path, {{"csrf", csrf}, {"step", "consent"}, {"decision", "approve"}});
    EXPECT_EQ(unchosen.status, 400) << unchosen.raw;
    EXPECT_NE(unchosen.body.find("Choose the credential to sign with."), std::string::npos) << unchosen.body;
    const Http chosen = browser_post(jar, path,
                                     {{"csrf", csrf},
                                      {"step", "consent"},
                                      {"decision", "approve"},
                                      {"credential", ids[1]},
                                      {"pin", pins[1]}});
    ASSERT_EQ(chosen.status, 303) << chosen.raw;
    const Http t = token({{"grant_type", "authorization_code"},
                          {"code", query_value(chosen.header("Location"), "code")},
                          {"redirect_uri", kRedirect},
                          {"code_verifier", kVerifier},
                          {"authorization_details", rar.dump()}});
    ASSERT_EQ(t.status, 200) << t.raw;
    EXPECT_EQ(json::parse(t.body)["credentialID"], ids[1]) << t.body;
}

TEST_F(OAuthE2e, TheClientCommandsShowTheSecretOnceAndRemovalEndsTheTokens) {
    const std::string d = s_data.string();
    const json added = cli({INKAN_BIN, "client", "add", "batch-job", "--confidential", "--redirect-uri",
                            "https://batch.example/cb", "--json", "--data", d});
    ASSERT_TRUE(added.contains("client_secret")) << added.dump();
    EXPECT_EQ(added["type"], "confidential");
    const json listed = cli({INKAN_BIN, "client", "list", "--json", "--data", d});
    bool found = false;
    for (const auto& c : listed) {
        found = found || c["client_id"] == added["client_id"];
        EXPECT_FALSE(c.contains("client_secret")) << "a secret was shown twice: " << c.dump();
    }
    EXPECT_TRUE(found) << listed.dump();
    const auto usage = run({INKAN_BIN, "client", "add", "x", "--public", "--seal", s_seal, "--data", d});
    EXPECT_EQ(usage.exit_code, 2) << describe(usage);

    const Http t = token({{"grant_type", "client_credentials"}}, "v2", added);
    ASSERT_EQ(t.status, 200) << t.raw;
    const std::string bearer = json::parse(t.body)["access_token"].get<std::string>();
    const Http before = post_json("/csc/v2/credentials/list", json::object(), bearer);
    EXPECT_EQ(before.status, 200) << before.raw;
    EXPECT_EQ(json::parse(before.body)["credentialIDs"], json::array())
        << "a client without seals sees nothing";
    const auto removed = run({INKAN_BIN, "client", "remove", "batch-job", "--data", d});
    ASSERT_EQ(removed.exit_code, 0) << describe(removed);
    const Http after = post_json("/csc/v2/credentials/list", json::object(), bearer);
    EXPECT_EQ(after.status, 401) << after.raw;
}

TEST_F(OAuthE2e, HeadlessChromiumCompletesTheFlowThroughTheRealPages) {
    const fs::path browser_dir = fs::path{INKAN_SOURCE_DIR} / "tests" / "browser";
    ASSERT_TRUE(fs::exists(browser_dir / "node_modules" / "playwright-core"))
        << "playwright-core is missing: run scripts/install-deps (npm ci in tests/browser)";
    ASSERT_TRUE(fs::exists("/usr/bin/chromium")) << "chromium is missing: run scripts/install-deps";
    Signer& sachiko = s_signers["sachiko"];
    const Bytes digest = sha256("ブラウザで署名する文書");
    const std::string url = authorize_url(
        "v2", "scope=credential&credentialID=" + sachiko.credential_id +
                  "&numSignatures=1&hashes=" + inkan::base64url_encode(digest) +
                  "&hashAlgorithmOID=" + kSha256 + "&code_challenge=" + kChallenge +
                  "&code_challenge_method=S256&state=browser-1&description=" + pct("雇用契約書"));
    const auto r = run({"env", "INKAN_AUTHORIZE_URL=" + url, std::string{"INKAN_REDIRECT_URI="} + kRedirect,
                        "INKAN_USER=" + sachiko.name, "INKAN_PASSWORD=" + sachiko.password,
                        "INKAN_TOTP_SECRET=" + sachiko.totp_secret, "INKAN_PIN=" + sachiko.pin, "node",
                        (browser_dir / "oauth_flow.mjs").string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const json out = json::parse(r.out);
    EXPECT_EQ(out["state"], "browser-1");
    EXPECT_EQ(out["frame_options"], "DENY");
    const std::string consent = out["consent_text"].get<std::string>();
    EXPECT_NE(consent.find("雇用契約書"), std::string::npos) << consent;
    EXPECT_NE(consent.find(sachiko.credential_id), std::string::npos) << consent;

    const Http t = token({{"grant_type", "authorization_code"},
                          {"code", out["code"].get<std::string>()},
                          {"redirect_uri", kRedirect},
                          {"code_verifier", kVerifier}});
    ASSERT_EQ(t.status, 200) << t.raw;
    const std::string credential_token = json::parse(t.body)["access_token"].get<std::string>();
    const Http signed_ = post_json("/csc/v2/signatures/signHash",
                                   {{"credentialID", sachiko.credential_id},
                                    {"hashes", {inkan::base64_encode(digest)}},
                                    {"hashAlgorithmOID", kSha256},
                                    {"signAlgo", kEcdsaSha256}},
                                   credential_token);
    ASSERT_EQ(signed_.status, 200) << signed_.raw;
    const auto login = curl({"-X", "POST", "-u", sachiko.name + ":" + sachiko.password, "--data-binary", "{}",
                             s_api + "/csc/v2/auth/login"});
    ASSERT_EQ(login.status, 200) << login.raw;
    expect_verifies(sachiko.credential_id, json::parse(login.body)["access_token"].get<std::string>(), digest,
                    json::parse(signed_.body)["signatures"][0].get<std::string>());
}

// ---- password guessing and PKCE for public clients (sole-control issue §4–§6, decision 0015) ----

TEST_F(OAuthE2e, PasswordGuessingLocksTheAccountOnAuthLoginAndThePageUntilTheOperatorUnlocks) {
    const std::string d = s_data.string();
    const json user = cli({INKAN_BIN, "user", "add", "kenji", "--totp", "--json", "--data", d});
    const std::string id = user["user"]["id"].get<std::string>();
    const std::string password = user["password"].get<std::string>();
    const auto login = [&](const std::string& v, const std::string& name, const std::string& pw) {
        return curl({"-X", "POST", "-u", name + ":" + pw, "--data-binary", "{}",
                     s_api + "/csc/" + v + "/auth/login"});
    };
    const Http unknown = login("v1", "no-such-user", password);
    ASSERT_EQ(unknown.status, 400) << unknown.raw;

    // 12 wrong passwords at once, over 12 HTTPS connections: at most 5 are judged, the rest meet the lock.
    std::vector<std::string> argv{"curl",
                                  "-sS",
                                  "--max-time",
                                  "60",
                                  "--cacert",
                                  s_init["tls_ca"].get<std::string>(),
                                  "--parallel",
                                  "--parallel-immediate",
                                  "--parallel-max",
                                  "12",
                                  "-u",
                                  "kenji:wrong-password",
                                  "-X",
                                  "POST",
                                  "--data-binary",
                                  "{}",
                                  "-w",
                                  "%{http_code}\n"};
    for (int i = 0; i < 12; ++i) {
        argv.insert(argv.end(), {"-o", "/dev/null", s_api + "/csc/v2/auth/login"});
    }
    const auto burst = run(argv);
    ASSERT_EQ(burst.exit_code, 0) << describe(burst);
    EXPECT_EQ(std::count(burst.out.begin(), burst.out.end(), '\n'), 12) << burst.out;
    EXPECT_EQ(burst.out.find("200"), std::string::npos) << burst.out;
    EXPECT_EQ(sqlite3("SELECT outcome, count(*) FROM audit_log WHERE action = 'auth.login' AND user_id = '" +
                      id + "' GROUP BY outcome ORDER BY outcome;"),
              "bad_password|5\npassword_locked|7\n");

    // The right password now gets the unknown user's answer, on v1, v2 and the OAuth page alike.
    for (const char* v : {"v1", "v2"}) {
        const Http right = login(v, "kenji", password);
        EXPECT_EQ(right.status, 400) << right.raw;
        EXPECT_EQ(right.body, unknown.body) << v;
    }
    const fs::path jar = s_tmp->path() / "jar-kenji";
    const std::string url = authorize_url(
        "v2", std::string{"scope=service&code_challenge="} + kChallenge + "&code_challenge_method=S256");
    const Http page = browser_get(jar, url);
    ASSERT_EQ(page.status, 200) << page.raw;
    const Http refused = browser_post(
        jar, "/csc/v2/oauth2/authorize",
        {{"csrf", csrf_of(page)}, {"step", "login"}, {"username", "kenji"}, {"password", password}});
    EXPECT_EQ(refused.status, 400) << refused.raw;
    EXPECT_NE(refused.body.find("The user name or password is wrong."), std::string::npos) << refused.body;
    EXPECT_NE(refused.body.find("name=\"password\""), std::string::npos) << "still the password step";

    // The operator sees it, and the unlock lifts it; the audit says so (with the count it found).
    const json listed = cli({INKAN_BIN, "user", "list", "--json", "--data", d});
    const auto entry =
        std::find_if(listed.begin(), listed.end(), [](const json& u) { return u["name"] == "kenji"; });
    ASSERT_NE(entry, listed.end()) << listed.dump();
    EXPECT_EQ((*entry)["password_failures"], 6) << entry->dump();
    EXPECT_EQ((*entry)["password_locked"], true) << entry->dump();
    EXPECT_EQ((*entry)["locked"], false) << "not the operator's lock";
    const auto unlocked = run({INKAN_BIN, "user", "unlock", "kenji", "--data", d});
    ASSERT_EQ(unlocked.exit_code, 0) << describe(unlocked);
    EXPECT_EQ(
        sqlite3("SELECT details FROM audit_log WHERE action = 'user.unlock' AND user_id = '" + id + "';"),
        R"({"password_failures":6,"password_locked":true,"user":"kenji"})"
        "\n");
    EXPECT_EQ(login("v2", "kenji", password).status, 200);
}

TEST_F(OAuthE2e, APublicClientMustUsePkceOnV1AndV2AndEachCodeNeedsThePasswordAgain) {
    const std::string d = s_data.string();
    const json wallet = cli({INKAN_BIN, "client", "add", "wallet", "--public", "--redirect-uri", kRedirect,
                             "--json", "--data", d});
    const std::string id = wallet["client_id"].get<std::string>();
    const auto authorize = [&](const std::string& v, const std::string& query) {
        return s_api + "/csc/" + v + "/oauth2/authorize?response_type=code&client_id=" + id +
               "&redirect_uri=" + pct(kRedirect) + "&" + query;
    };
    // No code_challenge: redirected with invalid_request on v1 and v2.
    for (const char* v : {"v1", "v2"}) {
        const Http r = curl({authorize(v, "scope=service&state=no-pkce")});
        EXPECT_EQ(r.status, 302) << v << ": " << r.raw;
        const std::string loc = r.header("Location");
        EXPECT_EQ(query_value(loc, "error"), "invalid_request") << loc;
        EXPECT_EQ(query_value(loc, "state"), "no-pkce") << loc;
        EXPECT_NE(query_value(loc, "error_description").find("code_challenge"), std::string::npos) << loc;
    }
    // PAR without a challenge, and plain PKCE: invalid_request.
    const Http par = curl({"-X", "POST", "--data-urlencode", "client_id=" + id, "--data-urlencode",
                           "response_type=code", "--data-urlencode", std::string{"redirect_uri="} + kRedirect,
                           "--data-urlencode", "scope=service", s_api + "/csc/v2/oauth2/pushed_authorize"});
    EXPECT_EQ(par.status, 400) << par.raw;
    EXPECT_EQ(json::parse(par.body)["error"], "invalid_request") << par.body;
    const Http plain = curl({authorize(
        "v1", std::string{"scope=service&code_challenge="} + kVerifier + "&code_challenge_method=plain")});
    EXPECT_EQ(query_value(plain.header("Location"), "error"), "invalid_request") << plain.raw;

    // With S256 on v1: a wrong code sends the browser back to the password; then the flow completes.
    // A signer of its own: two flows, each TOTP step once (Signer::otp).
    const json user = cli({INKAN_BIN, "user", "add", "hiro", "--totp", "--json", "--data", d});
    Signer hiro{"hiro", user["password"].get<std::string>(), user["totp_secret"].get<std::string>(), {}, {}};
    const fs::path jar = s_tmp->path() / "jar-wallet";
    const Http page = browser_get(jar, authorize("v1", std::string{"scope=service&state=w1&code_challenge="} +
                                                           kChallenge + "&code_challenge_method=S256"));
    ASSERT_EQ(page.status, 200) << page.raw;
    const std::string csrf = csrf_of(page);
    const std::string path = "/csc/v1/oauth2/authorize";
    const auto password_step = [&] {
        const Http otp_page = browser_post(
            jar, path,
            {{"csrf", csrf}, {"step", "login"}, {"username", hiro.name}, {"password", hiro.password}});
        EXPECT_EQ(otp_page.status, 200) << otp_page.raw;
        EXPECT_NE(otp_page.body.find("name=\"otp\""), std::string::npos) << otp_page.body;
    };
    password_step();
    const Http wrong = browser_post(jar, path, {{"csrf", csrf}, {"step", "otp"}, {"otp", "000000"}});
    EXPECT_EQ(wrong.status, 400) << wrong.raw;
    EXPECT_NE(wrong.body.find("Sign in again."), std::string::npos) << wrong.body;
    EXPECT_NE(wrong.body.find("name=\"password\""), std::string::npos) << "back at the password step";
    const Http again = browser_post(jar, path, {{"csrf", csrf}, {"step", "otp"}, {"otp", "111111"}});
    EXPECT_EQ(again.status, 400) << "a second code without the password is out of order: " << again.raw;
    password_step();
    const Http consent = browser_post(jar, path, {{"csrf", csrf}, {"step", "otp"}, {"otp", hiro.otp()}});
    ASSERT_EQ(consent.status, 200) << consent.raw;
    const Http r = browser_post(jar, path, {{"csrf", csrf}, {"step", "consent"}, {"decision", "approve"}});
    ASSERT_EQ(r.status, 303) << r.raw;
    const auto exchange = [&](const std::string& code, const std::string& verifier) {
        std::vector<std::string> args{"-X",
                                      "POST",
                                      "--data-urlencode",
                                      "client_id=" + id,
                                      "--data-urlencode",
                                      "grant_type=authorization_code",
                                      "--data-urlencode",
                                      "code=" + code,
                                      "--data-urlencode",
                                      std::string{"redirect_uri="} + kRedirect};
        if (!verifier.empty()) {
            args.insert(args.end(), {"--data-urlencode", "code_verifier=" + verifier});
        }
        args.push_back(s_api + "/csc/v1/oauth2/token");
        return curl(args);
    };
    const Http t = exchange(query_value(r.header("Location"), "code"), kVerifier);
    ASSERT_EQ(t.status, 200) << t.raw;
    const Http list = post_json("/csc/v1/credentials/list", json::object(),
                                json::parse(t.body)["access_token"].get<std::string>());
    EXPECT_EQ(list.status, 200) << list.raw;

    // A second code exchanged without its verifier: invalid_grant, and the code is spent.
    const Http second = consent_flow(hiro,
                                     authorize("v1", std::string{"scope=service&code_challenge="} +
                                                         kChallenge + "&code_challenge_method=S256"),
                                     "v1");
    ASSERT_EQ(second.status, 303) << second.raw;
    const std::string code = query_value(second.header("Location"), "code");
    const Http missing = exchange(code, "");
    EXPECT_EQ(missing.status, 400) << missing.raw;
    EXPECT_EQ(json::parse(missing.body)["error"], "invalid_grant") << missing.body;
    EXPECT_EQ(sqlite3("SELECT outcome FROM audit_log WHERE action = 'oauth2.token' AND client_id = '" + id +
                      "' ORDER BY seq;"),
              "pkce_missing\n");
    EXPECT_EQ(json::parse(exchange(code, kVerifier).body)["error"], "invalid_grant");
}

// ---- issue 24: conformance as third-party clients meet it ---------------------------------------

/// A new user with a TOTP device and a credential, added while the server runs.
Signer add_signer(const fs::path& data, const std::string& name) {
    const std::string d = data.string();
    const json user = cli(
        {INKAN_BIN, "user", "add", name, "--display-name", "山田 " + name, "--totp", "--json", "--data", d});
    const json cred = cli({INKAN_BIN, "credential", "create", "--user", name, "--scal", "2", "--multisign",
                           "2", "--json", "--data", d});
    return Signer{name, user.value("password", ""), user.value("totp_secret", ""),
                  cred["credential"]["id"].get<std::string>(), cred.value("pin", std::string{})};
}

TEST_F(OAuthE2e, ACredentialTokenReadsItsOwnCredentialsInfoAndAReusedCodeRevokesIt) {
    Signer& jiro = s_signers["jiro"];
    const Bytes digest = sha256("info by credential token");
    const Http redirect =
        consent_flow(jiro,
                     authorize_url("v2", "scope=credential&credentialID=" + jiro.credential_id +
                                             "&numSignatures=1&hashes=" + inkan::base64url_encode(digest) +
                                             "&hashAlgorithmOID=" + kSha256 +
                                             "&code_challenge=" + kChallenge + "&code_challenge_method=S256"),
                     "v2");
    ASSERT_EQ(redirect.status, 303) << redirect.raw;
    const std::string code = query_value(redirect.header("Location"), "code");
    const std::vector<std::pair<std::string, std::string>> exchange{{"grant_type", "authorization_code"},
                                                                    {"code", code},
                                                                    {"redirect_uri", kRedirect},
                                                                    {"code_verifier", kVerifier}};
    const Http t = token(exchange);
    ASSERT_EQ(t.status, 200) << t.raw;
    const std::string credential_token = json::parse(t.body)["access_token"].get<std::string>();

    // CSC v2 §8.4: the credential token authorises credentials/info for its credential ...
    const Http info = post_json(
        "/csc/v2/credentials/info",
        {{"credentialID", jiro.credential_id}, {"certInfo", true}, {"authInfo", true}}, credential_token);
    ASSERT_EQ(info.status, 200) << info.raw;
    const json ij = json::parse(info.body);
    EXPECT_EQ(ij["key"]["status"], "enabled") << info.body;
    EXPECT_NE(ij["cert"]["subjectDN"].get<std::string>().find("CN=山田 jiro"), std::string::npos)
        << info.body;
    // ... and for no other, not even one of the same user's.
    const Http foreign = post_json("/csc/v2/credentials/info",
                                   {{"credentialID", s_signers["hanako"].credential_id}}, credential_token);
    EXPECT_EQ(foreign.status, 400) << foreign.raw;
    EXPECT_EQ(json::parse(foreign.body)["error_description"], "Invalid parameter credentialID");
    // Reading the info spent nothing.
    const Http again =
        post_json("/csc/v2/credentials/info", {{"credentialID", jiro.credential_id}}, credential_token);
    EXPECT_EQ(again.status, 200) << again.raw;

    // RFC 6749 §4.1.2: the same code a second time is refused, and the token it gave stops working.
    const Http reused = token(exchange);
    EXPECT_EQ(reused.status, 400) << reused.raw;
    EXPECT_EQ(json::parse(reused.body)["error"], "invalid_grant");
    const Http after = post_json("/csc/v2/signatures/signHash",
                                 {{"credentialID", jiro.credential_id},
                                  {"hashes", {inkan::base64_encode(digest)}},
                                  {"hashAlgorithmOID", kSha256},
                                  {"signAlgo", kEcdsaSha256}},
                                 credential_token);
    EXPECT_EQ(after.status, 401) << "the credential token of a reused code still signs: " << after.raw;
}

TEST_F(OAuthE2e, AReusedCodeAndAReplayedRefreshTokenRevokeTheirTokens) {
    Signer kazuko = add_signer(s_data, "kazuko");
    // Family revocations that revoked two live tokens, by this client: other tests may add some too.
    const auto two_revoked = [&] {
        return std::stoi(
            sqlite3("SELECT count(*) FROM audit_log WHERE action = 'token.family_revoke' AND "
                    "client_id = '" +
                    s_app["client_id"].get<std::string>() + "' AND details LIKE '%\"revoked\":2%';"));
    };
    const int before = two_revoked();
    const auto service_code = [&] {
        const Http r = consent_flow(kazuko,
                                    authorize_url("v2", std::string{"scope=service&code_challenge="} +
                                                            kChallenge + "&code_challenge_method=S256"),
                                    "v2");
        EXPECT_EQ(r.status, 303) << r.raw;
        return query_value(r.header("Location"), "code");
    };
    const auto exchange = [&](const std::string& code) {
        return token({{"grant_type", "authorization_code"},
                      {"code", code},
                      {"redirect_uri", kRedirect},
                      {"code_verifier", kVerifier}});
    };
    const auto refresh = [&](const std::string& refresh_token) {
        return token({{"grant_type", "refresh_token"}, {"refresh_token", refresh_token}});
    };
    const auto list_status = [&](const std::string& bearer) {
        return post_json("/csc/v2/credentials/list", json::object(), bearer).status;
    };

    // A code exchanged twice: the first exchange's access and refresh tokens are revoked.
    const std::string code = service_code();
    const Http first = exchange(code);
    ASSERT_EQ(first.status, 200) << first.raw;
    const json fj = json::parse(first.body);
    EXPECT_EQ(list_status(fj["access_token"]), 200);
    EXPECT_EQ(json::parse(exchange(code).body)["error"], "invalid_grant");
    const Http revoked = post_json("/csc/v2/credentials/list", json::object(), fj["access_token"]);
    EXPECT_EQ(revoked.status, 401) << revoked.raw;
    EXPECT_EQ(json::parse(revoked.body)["error"], "expired_token") << revoked.body;
    EXPECT_EQ(refresh(fj["refresh_token"]).status, 400) << "the refresh token of a reused code still works";

    // A rotated refresh token replayed: the whole family (every later token) is revoked.
    const Http other = exchange(service_code());
    ASSERT_EQ(other.status, 200) << other.raw;
    const json r0 = json::parse(other.body);
    const Http rotated = refresh(r0["refresh_token"]);
    ASSERT_EQ(rotated.status, 200) << rotated.raw;
    const json r1 = json::parse(rotated.body);
    EXPECT_NE(r1["refresh_token"], r0["refresh_token"]);
    EXPECT_EQ(list_status(r1["access_token"]), 200);
    const Http replay = refresh(r0["refresh_token"]);
    EXPECT_EQ(replay.status, 400) << replay.raw;
    EXPECT_EQ(json::parse(replay.body)["error"], "invalid_grant");
    EXPECT_EQ(list_status(r1["access_token"]), 401) << "the family's newest access token still works";
    EXPECT_EQ(refresh(r1["refresh_token"]).status, 400) << "the family's newest refresh token still works";
    // Two family revocations, each of two live tokens: the reused code's, the replayed refresh token's.
    EXPECT_EQ(two_revoked() - before, 2);
}

TEST_F(OAuthE2e, ASystemClientNamesAUserWithUserIdOnCredentialsList) {
    Signer kenta = add_signer(s_data, "kenta");
    (void)add_signer(s_data, "kaori");
    const json member =
        cli({INKAN_BIN, "seal", "add-member", s_seal, "kenta", "--json", "--data", s_data.string()});
    EXPECT_EQ(member.value("user", ""), "kenta") << member.dump();
    const Http t = curl({"-X", "POST", "--data-urlencode", "grant_type=client_credentials",
                         "--data-urlencode", "client_id=" + s_sealer["client_id"].get<std::string>(),
                         "--data-urlencode", "client_secret=" + s_sealer["client_secret"].get<std::string>(),
                         s_api + "/csc/v2/oauth2/token"});
    ASSERT_EQ(t.status, 200) << t.raw;
    const std::string system = json::parse(t.body)["access_token"].get<std::string>();
    // What authorize will demand of this caller: no factor (a system client seals without PIN or OTP).
    const Http seal_info =
        post_json("/csc/v2/credentials/info", {{"credentialID", s_seal}, {"authInfo", true}}, system);
    ASSERT_EQ(seal_info.status, 200) << seal_info.raw;
    EXPECT_EQ(json::parse(seal_info.body)["auth"], (json{{"mode", "explicit"}})) << seal_info.body;
    for (const char* v : {"v1", "v2"}) {
        SCOPED_TRACE(v);
        const std::string path = std::string{"/csc/"} + v + "/credentials/list";
        // kenta is a member of the client's seal: that is the credential of his the client may use.
        const Http members = post_json(path, {{"userID", "kenta"}}, system);
        ASSERT_EQ(members.status, 200) << members.raw;
        EXPECT_EQ(json::parse(members.body)["credentialIDs"], json::array({s_seal}));
        // kaori is not: nothing (her personal credential is never a system client's).
        const Http none = post_json(path, {{"userID", "kaori"}}, system);
        ASSERT_EQ(none.status, 200) << none.raw;
        EXPECT_EQ(json::parse(none.body)["credentialIDs"], json::array());
        const Http unknown = post_json(path, {{"userID", "nobody"}}, system);
        EXPECT_EQ(unknown.status, 400) << unknown.raw;
        EXPECT_EQ(json::parse(unknown.body)["error_description"], "Invalid parameter userID");
        // A user's own token may not name anyone (CSC v1 §11.4).
        const auto login = curl({"-X", "POST", "-u", kenta.name + ":" + kenta.password, "--data-binary", "{}",
                                 s_api + "/csc/" + v + "/auth/login"});
        ASSERT_EQ(login.status, 200) << login.raw;
        const Http own = post_json(path, {{"userID", "kenta"}}, json::parse(login.body)["access_token"]);
        EXPECT_EQ(own.status, 400) << own.raw;
        EXPECT_EQ(json::parse(own.body)["error_description"], "userID parameter MUST be null");
    }
}

// ---- a standard OAuth client library (conformance issue: "keep a standard OAuth library's flow") ----

TEST_F(OAuthE2e, Oauth4webapiAcceptsDiscoveryCodeWithPkceRefreshRevocationAndClientCredentials) {
    // oauth4webapi refuses any response that does not conform (issuer mismatch, a missing iss or
    // state, a token response without token_type, a revocation answered with anything but 200): that
    // it completes is the check; what it got is then used here.
    const fs::path browser_dir = fs::path{INKAN_SOURCE_DIR} / "tests" / "browser";
    ASSERT_TRUE(fs::exists(browser_dir / "node_modules" / "oauth4webapi"))
        << "oauth4webapi is missing: run scripts/install-deps (npm ci in tests/browser)";
    ASSERT_TRUE(fs::exists("/usr/bin/chromium")) << "chromium is missing: run scripts/install-deps";
    const Signer midori = add_signer(s_data, "midori");    // the service-scope authorization
    const Signer natsuki = add_signer(s_data, "natsuki");  // the credential-scope one
    const Bytes digest = sha256("ライブラリで署名する請求書");
    const auto r = run({"env",
                        "NODE_EXTRA_CA_CERTS=" + s_init["tls_ca"].get<std::string>(),
                        "INKAN_ISSUER=" + s_public,
                        "INKAN_API=" + s_api,
                        "INKAN_CLIENT_ID=" + s_app["client_id"].get<std::string>(),
                        "INKAN_CLIENT_SECRET=" + s_app["client_secret"].get<std::string>(),
                        std::string{"INKAN_REDIRECT_URI="} + kRedirect,
                        "INKAN_SEALER_ID=" + s_sealer["client_id"].get<std::string>(),
                        "INKAN_SEALER_SECRET=" + s_sealer["client_secret"].get<std::string>(),
                        "INKAN_USER=" + midori.name,
                        "INKAN_PASSWORD=" + midori.password,
                        "INKAN_TOTP_SECRET=" + midori.totp_secret,
                        "INKAN_SIGNER=" + natsuki.name,
                        "INKAN_SIGNER_PASSWORD=" + natsuki.password,
                        "INKAN_SIGNER_TOTP_SECRET=" + natsuki.totp_secret,
                        "INKAN_PIN=" + natsuki.pin,
                        "INKAN_CREDENTIAL_ID=" + natsuki.credential_id,
                        "INKAN_HASH=" + inkan::base64url_encode(digest),
                        std::string{"INKAN_HASH_OID="} + kSha256,
                        "node",
                        (browser_dir / "oauth_library_flow.mjs").string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const json out = json::parse(r.out);
    EXPECT_EQ(out["metadata"]["issuer"], s_public);

    // The library's protected resource requests: the service token and its rotation name midori's
    // credentials; the rotated-away access token and the one whose refresh token was revoked (RFC 7009
    // §2.1) are refused with a Bearer invalid_token challenge the library parsed.
    const json& lists = out["lists"];
    const json refused = {{"status", 401},
                          {"challenges", json::array({{{"scheme", "bearer"}, {"error", "invalid_token"}}})}};
    for (const char* which : {"service", "refreshed"}) {
        EXPECT_EQ(lists[which]["status"], 200) << which << ": " << lists.dump();
        EXPECT_EQ(lists[which]["body"]["credentialIDs"], json::array({midori.credential_id}))
            << which << ": " << lists.dump();
    }
    EXPECT_EQ(lists["service_after_rotation"], refused) << lists.dump();
    EXPECT_EQ(lists["refreshed_after_revocation"], refused) << lists.dump();
    for (const char* which : {"service", "refreshed"}) {
        EXPECT_EQ(out[which]["token_type"], "bearer") << "oauth4webapi lower-cases token_type: " << which;
        const Http list = post_json("/csc/v2/credentials/list", json::object(), out[which]["access_token"]);
        EXPECT_EQ(list.status, 401) << which << ": " << list.raw;
    }
    EXPECT_NE(out["refreshed"]["refresh_token"], out["service"]["refresh_token"]);
    for (const char* which : {"service", "refreshed"}) {
        SCOPED_TRACE(which);
        const Http again = token({{"grant_type", "refresh_token"},
                                  {"refresh_token", out[which]["refresh_token"].get<std::string>()}});
        EXPECT_EQ(again.status, 400) << again.raw;
        EXPECT_EQ(json::parse(again.body)["error"], "invalid_grant") << again.body;
    }

    // The credential token signs exactly the hash natsuki approved.
    const std::string credential_token = out["credential"]["access_token"].get<std::string>();
    const Http signed_ = post_json("/csc/v2/signatures/signHash",
                                   {{"credentialID", natsuki.credential_id},
                                    {"hashes", {inkan::base64_encode(digest)}},
                                    {"hashAlgorithmOID", kSha256},
                                    {"signAlgo", kEcdsaSha256}},
                                   credential_token);
    ASSERT_EQ(signed_.status, 200) << signed_.raw;
    const auto login = curl({"-X", "POST", "-u", natsuki.name + ":" + natsuki.password, "--data-binary", "{}",
                             s_api + "/csc/v2/auth/login"});
    ASSERT_EQ(login.status, 200) << login.raw;
    expect_verifies(natsuki.credential_id, json::parse(login.body)["access_token"].get<std::string>(), digest,
                    json::parse(signed_.body)["signatures"][0].get<std::string>());

    // The system client's token lists its seal.
    const Http seals =
        post_json("/csc/v2/credentials/list", json::object(), out["client_credentials"]["access_token"]);
    ASSERT_EQ(seals.status, 200) << seals.raw;
    EXPECT_EQ(json::parse(seals.body)["credentialIDs"], json::array({s_seal})) << seals.body;
}

}  // namespace
