// Out-of-band approval (CSC v2 credentials/authorize → 202 {handle}, credentials/authorizeCheck; decision
// 0034) against the real `inkan serve` (ephemeral ports, TLS with its key in the HSM). The application is a
// registered OAuth client whose service token comes from the code flow (curl with a cookie jar through the
// OAuth pages, PKCE S256); the signer approves or declines on the approval page in headless Chromium
// (playwright-core, tests/browser/oob_approval.mjs) or, for the refusals, through curl as a browser would.
// The SAD then signs with signHash and `openssl pkeyutl -verify` checks every signature; the database is
// read with the sqlite3 CLI.

#include <algorithm>
#include <chrono>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/core/clock.h>
#include <inkan/core/encoding.h>
#include <inkan/http/message.h>
#include <inkan/service/secrets.h>
#include <inkan/testing/process.h>

#include "e2e_support.h"

namespace fs = std::filesystem;
using inkan::Bytes;
using inkan::e2e::kEcdsaSha256;
using inkan::e2e::kSha256;
using inkan::e2e::sha256;
using inkan::testing::run;
using inkan::testing::TempDir;
using nlohmann::json;

namespace {

constexpr const char* kRedirect = "https://keiyaku.example/cb";
constexpr const char* kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";  // RFC 7636 App. B
constexpr const char* kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

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
    [[nodiscard]] json body_json() const { return json::parse(body, nullptr, false); }
};

/// A signer: a user with a password, a TOTP device and a SCAL 2 credential in explicit mode (PIN).
struct Signer {
    std::string name, id, password, totp_secret, credential_id, pin;
    int next_step = -1;  // each TOTP step is accepted once, never an earlier one after a later
    std::string otp() {
        return inkan::service::totp_code(
            inkan::base32_decode(totp_secret),
            inkan::SystemClock::instance().now() + std::chrono::seconds{30 * next_step++});
    }
};

class OobE2e : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_tmp = std::make_unique<TempDir>("inkan-oob-e2e");
        s_data = s_tmp->path() / "data";
        const auto init = run({INKAN_BIN, "init", "--data", s_data.string(), "--json"});
        ASSERT_EQ(init.exit_code, 0) << describe(init);
        s_init = json::parse(init.out);
        const std::string d = s_data.string();
        for (const char* name : {"ichiro", "jiro", "saburo", "shiro", "goro"}) {
            const json user = cli({INKAN_BIN, "user", "add", name, "--display-name",
                                   std::string{"佐藤 "} + name, "--totp", "--json", "--data", d});
            const json cred =
                cli({INKAN_BIN, "credential", "create", "--user", name, "--scal", "2", "--multisign", "2",
                     "--description", "佐藤の個人署名鍵", "--json", "--data", d});
            s_signers[name] = Signer{name,
                                     user.value("id", std::string{}),
                                     user["password"].get<std::string>(),
                                     user["totp_secret"].get<std::string>(),
                                     cred["credential"]["id"].get<std::string>(),
                                     cred.value("pin", std::string{})};
        }
        {
            const json user = cli({INKAN_BIN, "user", "add", "rokuro", "--display-name", "佐藤 六郎",
                                   "--totp", "--json", "--data", d});
            const json cred = cli({INKAN_BIN, "credential", "create", "--user", "rokuro", "--scal", "2",
                                   "--auth-mode", "oauth2code", "--json", "--data", d});
            s_signers["rokuro"] = Signer{"rokuro",
                                         user.value("id", std::string{}),
                                         user["password"].get<std::string>(),
                                         user["totp_secret"].get<std::string>(),
                                         cred["credential"]["id"].get<std::string>(),
                                         {}};
        }
        s_app = cli(
            {INKAN_BIN, "client", "add", "keiyaku-app", "--redirect-uri", kRedirect, "--json", "--data", d});
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
    static Http post_json(const std::string& path, const json& body, const std::string& bearer) {
        return curl({"-X", "POST", "-H", "Content-Type: application/json", "-H",
                     "Authorization: Bearer " + bearer, "--data-binary", body.dump(), s_api + path});
    }
    /// A browser: GET with a cookie jar, form posts with the page's CSRF token.
    static Http browser_get(const fs::path& jar, const std::string& url, const std::string& lang = "en") {
        return curl({"-c", jar.string(), "-b", jar.string(), "-H", "Accept-Language: " + lang, url});
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
    static fs::path new_jar() { return s_tmp->path() / ("jar-" + std::to_string(s_jars++)); }

    /// The application's service token for `who`: the OAuth code flow through the pages (PKCE S256).
    static std::string app_token(Signer& who) {
        const fs::path jar = new_jar();
        const std::string path = "/csc/v2/oauth2/authorize";
        const Http login = browser_get(
            jar, s_api + path + "?response_type=code&client_id=" + s_app["client_id"].get<std::string>() +
                     "&redirect_uri=https%3A%2F%2Fkeiyaku.example%2Fcb&scope=service"
                     "&code_challenge=" +
                     kChallenge + "&code_challenge_method=S256&state=s");
        EXPECT_EQ(login.status, 200) << login.raw;
        const std::string csrf = csrf_of(login);
        (void)browser_post(
            jar, path,
            {{"csrf", csrf}, {"step", "login"}, {"username", who.name}, {"password", who.password}});
        (void)browser_post(jar, path, {{"csrf", csrf}, {"step", "otp"}, {"otp", who.otp()}});
        const Http redirect =
            browser_post(jar, path, {{"csrf", csrf}, {"step", "consent"}, {"decision", "approve"}});
        EXPECT_EQ(redirect.status, 303) << redirect.raw;
        const std::regex re{"[?&]code=([^&]*)"};
        std::smatch m;
        const std::string location = redirect.header("Location");
        EXPECT_TRUE(std::regex_search(location, m, re)) << location;
        const Http t =
            curl({"-X", "POST", "-u",
                  s_app["client_id"].get<std::string>() + ":" + s_app["client_secret"].get<std::string>(),
                  "--data-urlencode", "grant_type=authorization_code", "--data-urlencode",
                  "code=" + inkan::http::percent_decode(m[1].str(), true).value_or(""), "--data-urlencode",
                  std::string{"redirect_uri="} + kRedirect, "--data-urlencode",
                  std::string{"code_verifier="} + kVerifier, s_api + "/csc/v2/oauth2/token"});
        EXPECT_EQ(t.status, 200) << t.raw;
        return t.body_json().value("access_token", std::string{});
    }
    /// A token of the same user without an OAuth client (auth/login): another caller for the handle.
    static std::string login_token(const Signer& who) {
        const Http r =
            curl({"-X", "POST", "-u", who.name + ":" + who.password, "-H", "Content-Type: application/json",
                  "--data-binary", "{}", s_api + "/csc/v2/auth/login"});
        EXPECT_EQ(r.status, 200) << r.raw;
        return r.body_json().value("access_token", std::string{});
    }

    static Http authorize_oob(const Signer& who, const std::vector<Bytes>& hashes, const std::string& token,
                              const json& extra = json::object()) {
        json body{{"credentialID", who.credential_id},
                  {"numSignatures", hashes.size()},
                  {"hashAlgorithmOID", kSha256},
                  {"hashes", json::array()}};
        for (const auto& h : hashes) {
            body["hashes"].push_back(inkan::base64_encode(h));
        }
        body.update(extra);
        return post_json("/csc/v2/credentials/authorize", body, token);
    }
    static Http check(const std::string& handle, const std::string& token) {
        return post_json("/csc/v2/credentials/authorizeCheck", {{"handle", handle}}, token);
    }
    /// The approval page's path and query from the approvalURI (the server's public URL may differ from
    /// the address the test reaches it at).
    static std::string approval_url(const Http& started) {
        const std::string uri = started.body_json().value("approvalURI", std::string{});
        EXPECT_EQ(uri.rfind(s_public + "/inkan/v1/approval?request=", 0), 0U) << uri;
        return s_api + uri.substr(s_public.size());
    }

    /// openssl pkeyutl -verify of each signature with the credential's certificate.
    static void expect_verifies(const std::string& credential_id, const std::string& bearer,
                                const std::vector<Bytes>& digests, const json& signatures) {
        const Http info = post_json("/csc/v2/credentials/info", {{"credentialID", credential_id}}, bearer);
        ASSERT_EQ(info.status, 200) << info.raw;
        const fs::path der = s_tmp->path() / ("cert-" + credential_id + ".der");
        inkan::testing::write_file(
            der, inkan::base64_decode(info.body_json()["cert"]["certificates"][0].get<std::string>()));
        const fs::path pub = s_tmp->path() / ("pub-" + credential_id + ".pem");
        ASSERT_EQ(run({"openssl", "x509", "-inform", "DER", "-in", der.string(), "-pubkey", "-noout", "-out",
                       pub.string()})
                      .exit_code,
                  0);
        ASSERT_EQ(signatures.size(), digests.size()) << signatures.dump();
        for (std::size_t i = 0; i < digests.size(); ++i) {
            inkan::testing::write_file(s_tmp->path() / "digest.bin", digests[i]);
            inkan::testing::write_file(s_tmp->path() / "sig.bin",
                                       inkan::base64_decode(signatures[i].get<std::string>()));
            const auto v = run({"openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pub.string(), "-in",
                                (s_tmp->path() / "digest.bin").string(), "-sigfile",
                                (s_tmp->path() / "sig.bin").string()});
            EXPECT_EQ(v.exit_code, 0) << describe(v);
            EXPECT_NE(v.out.find("Signature Verified Successfully"), std::string::npos) << i << ": " << v.out;
        }
    }

    static std::string sqlite3(const std::string& sql) {
        const auto r = run({"sqlite3", "-batch", (s_data / "inkan.db").string(), sql});
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        return r.out;
    }
    static std::string user_id(const Signer& who) {
        std::string id = sqlite3("SELECT id FROM users WHERE name = '" + who.name + "'");
        while (!id.empty() && (id.back() == '\n' || id.back() == '\r')) {
            id.pop_back();
        }
        return id;
    }

    /// The approval page in headless Chromium; the script's JSON line.
    static json chromium(const std::string& url, Signer& who, const std::string& decision,
                         const std::string& locale) {
        const fs::path browser_dir = fs::path{INKAN_SOURCE_DIR} / "tests" / "browser";
        EXPECT_TRUE(fs::exists(browser_dir / "node_modules" / "playwright-core"))
            << "playwright-core is missing: run scripts/install-deps (npm ci in tests/browser)";
        EXPECT_TRUE(fs::exists("/usr/bin/chromium")) << "chromium is missing: run scripts/install-deps";
        const auto r = run({"env", "INKAN_APPROVAL_URL=" + url, "INKAN_USER=" + who.name,
                            "INKAN_PASSWORD=" + who.password, "INKAN_OTP=" + who.otp(),
                            "INKAN_PIN=" + who.pin, "INKAN_DECISION=" + decision, "INKAN_LOCALE=" + locale,
                            "node", (browser_dir / "oob_approval.mjs").string()});
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        return r.exit_code == 0 ? json::parse(r.out) : json{};
    }

    static std::unique_ptr<TempDir> s_tmp;
    static fs::path s_data;
    static json s_init, s_app;
    static std::map<std::string, Signer> s_signers;
    static std::unique_ptr<inkan::testing::Process> s_server;
    static std::string s_api, s_public;
    static int s_jars;
};

std::unique_ptr<TempDir> OobE2e::s_tmp;
fs::path OobE2e::s_data;
json OobE2e::s_init;
json OobE2e::s_app;
std::map<std::string, Signer> OobE2e::s_signers;
std::unique_ptr<inkan::testing::Process> OobE2e::s_server;
std::string OobE2e::s_api;
std::string OobE2e::s_public;
int OobE2e::s_jars = 0;

TEST_F(OobE2e, ChromiumApprovesInJapaneseAndTheSadOfAuthorizeCheckSignsBothHashesOnce) {
    Signer& ichiro = s_signers["ichiro"];
    const std::string token = app_token(ichiro);
    const std::vector<Bytes> hashes{sha256("雇用契約書 2026年4月"), sha256("秘密保持に関する覚書")};
    const Http started = authorize_oob(
        ichiro, hashes, token,
        {{"description", "雇用契約 & 覚書"}, {"hashLabels", {"雇用契約書.pdf", "<b>覚書</b>.pdf"}}});
    ASSERT_EQ(started.status, 202) << started.raw;
    EXPECT_EQ(started.header("Cache-Control"), "no-store");
    EXPECT_EQ(started.header("Retry-After"), "2");
    const std::string handle = started.body_json().value("handle", std::string{});
    ASSERT_GE(handle.size(), 43U) << started.body << " (256 random bits, base64url)";
    EXPECT_EQ(started.body_json().value("expiresIn", 0), 300) << started.body;
    // Only the handle's hash is stored, and nothing is granted yet: no SAD row for the credential.
    const std::string row = sqlite3(
        "SELECT id || user_id || client_id || credential_id || request || hex(ref_hash) "
        "|| '|' || hex(handle_hash) FROM oob_authorizations WHERE user_id = '" +
        user_id(ichiro) + "'");
    EXPECT_EQ(row.find(handle), std::string::npos) << row;
    EXPECT_NE(row.find("|" + inkan::hex_encode_upper(sha256(handle))), std::string::npos)
        << "the handle's SHA-256: " << row;
    EXPECT_EQ(sqlite3("SELECT count(*) FROM sads WHERE credential_id = '" + ichiro.credential_id + "'"),
              "0\n");

    const Http pending = check(handle, token);
    ASSERT_EQ(pending.status, 202) << pending.raw;
    EXPECT_EQ(pending.body_json(), json({{"handle", handle}})) << pending.body;
    EXPECT_EQ(pending.header("Retry-After"), "2");

    const json page = chromium(approval_url(started), ichiro, "approve", "ja-JP");
    EXPECT_EQ(page.value("lang", ""), "ja") << page.dump();
    EXPECT_EQ(page.value("frame_options", ""), "DENY") << page.dump();
    EXPECT_EQ(page.value("client", ""), "keiyaku-app") << page.dump();
    // Before the sign-in only the application is named; the request's contents are not shown.
    const std::string before = page.value("login_text", "");
    EXPECT_NE(before.find("keiyaku-app"), std::string::npos) << before;
    EXPECT_NE(before.find("パスワード"), std::string::npos) << before;
    EXPECT_EQ(before.find("雇用契約書.pdf"), std::string::npos) << before;
    // After it: the labels (escaped markup shown as text), the description, the count, the credential.
    EXPECT_EQ(page["labels"], json({"雇用契約書.pdf", "<b>覚書</b>.pdf"})) << page.dump();
    const std::string decide = page.value("decide_text", "");
    for (const std::string& expected :
         {std::string{"雇用契約 & 覚書"}, std::string{"署名の数"}, std::string{"佐藤の個人署名鍵"},
          ichiro.credential_id, std::string{"ichiro"}, inkan::hex_encode(hashes[0]),
          inkan::hex_encode(hashes[1])}) {
        EXPECT_NE(decide.find(expected), std::string::npos) << expected << " not on the page:\n" << decide;
    }
    EXPECT_EQ(page.value("result", ""), "approved") << page.dump();
    EXPECT_NE(page.value("result_text", "").find("承認しました"), std::string::npos) << page.dump();
    EXPECT_EQ(page["cookie"], json({{"httpOnly", true}, {"secure", true}, {"sameSite", "Strict"}}))
        << page.dump();

    const Http approved = check(handle, token);
    ASSERT_EQ(approved.status, 200) << approved.raw;
    EXPECT_EQ(approved.header("Cache-Control"), "no-store");
    const std::string sad = approved.body_json().value("SAD", std::string{});
    ASSERT_FALSE(sad.empty()) << approved.body;
    EXPECT_GT(approved.body_json().value("expiresIn", 0), 0) << approved.body;
    // Exactly once: the second poll after delivery gets no SAD.
    const Http again = check(handle, token);
    EXPECT_EQ(again.status, 400) << again.raw;
    EXPECT_EQ(again.body_json(),
              json({{"error", "invalid_request"}, {"error_description", "Invalid parameter handle"}}))
        << again.body;

    // The SAD binds the hashes: another hash is refused, the two approved ones sign and verify.
    const Http other = post_json("/csc/v2/signatures/signHash",
                                 {{"credentialID", ichiro.credential_id},
                                  {"SAD", sad},
                                  {"hashes", {inkan::base64_encode(sha256("別の文書"))}},
                                  {"hashAlgorithmOID", kSha256},
                                  {"signAlgo", kEcdsaSha256}},
                                 token);
    EXPECT_EQ(other.status, 400) << other.raw;
    EXPECT_EQ(other.body_json().value("error_description", ""), "Hash is not authorized by the SAD")
        << other.body;
    const Http signed_ =
        post_json("/csc/v2/signatures/signHash",
                  {{"credentialID", ichiro.credential_id},
                   {"SAD", sad},
                   {"hashes", {inkan::base64_encode(hashes[0]), inkan::base64_encode(hashes[1])}},
                   {"hashAlgorithmOID", kSha256},
                   {"signAlgo", kEcdsaSha256}},
                  token);
    ASSERT_EQ(signed_.status, 200) << signed_.raw;
    expect_verifies(ichiro.credential_id, token, hashes, signed_.body_json()["signatures"]);
    // A SAD from authorize is not a Bearer, whatever way it came (decision 0020).
    const Http as_bearer = post_json("/csc/v2/credentials/list", json::object(), sad);
    EXPECT_EQ(as_bearer.status, 401) << as_bearer.raw;

    // Audited under the signer's name: the start, the page's steps, the approval, the SAD.
    const std::string uid = user_id(ichiro);
    const std::string audit =
        sqlite3("SELECT action || ':' || outcome FROM audit_log WHERE user_id = '" + uid +
                "' AND (action LIKE 'oob.%' OR (action = 'authorize' AND details LIKE '%\"via\":\"oob\"%')) "
                "ORDER BY seq");
    EXPECT_EQ(audit,
              "authorize:pending\noob.start:ok\noob.login:ok\noob.otp:ok\noob.pin:ok\noob.approve:ok\n"
              "authorize:ok\n");
    // No secret in the audit details or the server's log: the handle, the SAD, the password, the PIN.
    const std::string details = sqlite3("SELECT group_concat(details, ' ') FROM audit_log");
    for (const std::string& secret : {handle, sad, ichiro.password, ichiro.pin}) {
        EXPECT_EQ(details.find(secret), std::string::npos) << "a secret in the audit log";
        EXPECT_EQ(s_server->stderr_text().find(secret), std::string::npos) << "a secret in the log";
    }
}

TEST_F(OobE2e, ChromiumDeclinesInEnglishAndAuthorizeCheckAnswersAccessDenied) {
    Signer& jiro = s_signers["jiro"];
    const std::string token = app_token(jiro);
    const std::vector<Bytes> hashes{sha256("decline me")};
    const Http started = authorize_oob(jiro, hashes, token, {{"authData", json::array()}});
    ASSERT_EQ(started.status, 202) << started.raw;
    const std::string handle = started.body_json().value("handle", std::string{});
    const json page = chromium(approval_url(started), jiro, "decline", "en-US");
    EXPECT_EQ(page.value("lang", ""), "en") << page.dump();
    EXPECT_EQ(page.value("result", ""), "declined") << page.dump();
    EXPECT_NE(page.value("decide_text", "").find("Document 1"), std::string::npos) << page.dump();
    for (int i = 0; i < 2; ++i) {
        const Http declined = check(handle, token);
        EXPECT_EQ(declined.status, 400) << declined.raw;
        EXPECT_EQ(declined.body_json(),
                  json({{"error", "access_denied"},
                        {"error_description", "The signer declined the authorization"}}))
            << declined.body;
    }
    EXPECT_EQ(sqlite3("SELECT count(*) FROM sads WHERE credential_id = '" + jiro.credential_id + "'"), "0\n");
    EXPECT_EQ(sqlite3("SELECT count(*) FROM audit_log WHERE action = 'oob.decline' AND user_id = '" +
                      user_id(jiro) + "'"),
              "1\n");
}

TEST_F(OobE2e, AWrongCodeOnThePageIsCountedSendsBackToThePasswordAndApprovesNothing) {
    Signer& saburo = s_signers["saburo"];
    const std::string token = app_token(saburo);
    const Http started =
        authorize_oob(saburo, {sha256("wrong code")}, token,
                      {{"authData", {{{"id", "PIN"}}, {{"id", "OTP"}}}}});  // PasswordOOB form
    ASSERT_EQ(started.status, 202) << started.raw;
    const std::string handle = started.body_json().value("handle", std::string{});
    const fs::path jar = new_jar();
    const Http login = browser_get(jar, approval_url(started));
    ASSERT_EQ(login.status, 200) << login.raw;
    EXPECT_NE(login.body.find("<html lang=\"en\">"), std::string::npos) << login.body;
    const std::string csrf = csrf_of(login);
    const std::string path = "/inkan/v1/approval";
    // Another user's right password does not pass: only the credential's user approves.
    Signer& shiro = s_signers["shiro"];
    const Http stranger = browser_post(
        jar, path,
        {{"csrf", csrf}, {"step", "login"}, {"username", shiro.name}, {"password", shiro.password}});
    EXPECT_EQ(stranger.status, 400) << stranger.raw;
    EXPECT_NE(stranger.body.find("The user name or password is wrong."), std::string::npos) << stranger.body;
    const Http otp_page = browser_post(
        jar, path,
        {{"csrf", csrf}, {"step", "login"}, {"username", saburo.name}, {"password", saburo.password}});
    ASSERT_EQ(otp_page.status, 200) << otp_page.raw;
    ASSERT_NE(otp_page.body.find("name=\"otp\""), std::string::npos) << otp_page.body;
    const std::string uid = user_id(saburo);
    EXPECT_EQ(sqlite3("SELECT coalesce(max(failures), 0) FROM otp_state WHERE user_id = '" + uid + "'"),
              "0\n");
    const Http wrong = browser_post(jar, path, {{"csrf", csrf}, {"step", "otp"}, {"otp", "000000"}});
    EXPECT_EQ(wrong.status, 400) << wrong.raw;
    EXPECT_NE(wrong.body.find("The code is wrong or was already used. Sign in again."), std::string::npos)
        << wrong.body;
    EXPECT_NE(wrong.body.find("name=\"password\""), std::string::npos)
        << "back at the password: " << wrong.body;
    // Counted toward the user's OTP lockout, as credentials/authorize counts it.
    EXPECT_EQ(sqlite3("SELECT failures FROM otp_state WHERE user_id = '" + uid + "'"), "1\n");
    // A second code without the password again is refused as a stale step; nothing is counted.
    const Http no_password =
        browser_post(jar, path, {{"csrf", csrf}, {"step", "otp"}, {"otp", saburo.otp()}});
    EXPECT_EQ(no_password.status, 400) << no_password.raw;
    EXPECT_EQ(sqlite3("SELECT failures FROM otp_state WHERE user_id = '" + uid + "'"), "1\n");
    // A decision posted without having passed the code is refused.
    const Http forced =
        browser_post(jar, path, {{"csrf", csrf}, {"step", "decide"}, {"decision", "approve"}});
    EXPECT_EQ(forced.status, 400) << forced.raw;
    EXPECT_EQ(sqlite3("SELECT status || ':' || stage FROM oob_authorizations WHERE user_id = '" + uid + "'"),
              "pending:login\n");
    const Http still = check(handle, token);
    EXPECT_EQ(still.status, 202) << still.raw;
    EXPECT_EQ(sqlite3("SELECT outcome FROM audit_log WHERE action = 'oob.otp' AND user_id = '" + uid + "'"),
              "bad_otp\n");
    EXPECT_EQ(
        sqlite3("SELECT outcome FROM audit_log WHERE action = 'oob.login' AND details LIKE '%signed_in_as%'"),
        "not_the_signer\n");
    // The name that was tried is in the entry (decision 0039); the password is nowhere in the log.
    EXPECT_EQ(sqlite3("SELECT json_extract(details, '$.user_name') FROM audit_log WHERE action = 'oob.login' "
                      "AND outcome = 'not_the_signer'"),
              shiro.name + "\n");
    EXPECT_EQ(sqlite3("SELECT * FROM audit_log").find(shiro.password), std::string::npos);
}

TEST_F(OobE2e, AnotherCallersHandleIsAnUnknownOneAndChangesNothing) {
    Signer& shiro = s_signers["shiro"];
    const std::string token = app_token(shiro);
    const Http started = authorize_oob(shiro, {sha256("bound to the caller")}, token);
    ASSERT_EQ(started.status, 202) << started.raw;
    const std::string handle = started.body_json().value("handle", std::string{});
    const json unknown{{"error", "invalid_request"}, {"error_description", "Invalid parameter handle"}};
    // The same user through another client (auth/login), and another user through the same client.
    const Http same_user = check(handle, login_token(shiro));
    EXPECT_EQ(same_user.status, 400) << same_user.raw;
    EXPECT_EQ(same_user.body_json(), unknown) << same_user.body;
    const Http other_user = check(handle, app_token(s_signers["goro"]));
    EXPECT_EQ(other_user.status, 400) << other_user.raw;
    EXPECT_EQ(other_user.body_json(), unknown) << other_user.body;
    const Http garbage = check("not-a-handle-at-all", token);
    EXPECT_EQ(garbage.body_json(), unknown) << garbage.body;
    const Http own = check(handle, token);
    EXPECT_EQ(own.status, 202) << own.raw;
}

TEST_F(OobE2e, AnExpiredRequestIsRefusedByAuthorizeCheckAndThePage) {
    Signer& goro = s_signers["goro"];
    const std::string token = app_token(goro);
    const Http started = authorize_oob(goro, {sha256("too late")}, token);
    ASSERT_EQ(started.status, 202) << started.raw;
    const std::string handle = started.body_json().value("handle", std::string{});
    // Its lifetime over (set in the database rather than waited for).
    sqlite3("UPDATE oob_authorizations SET expires_at = 1 WHERE user_id = '" + user_id(goro) + "'");
    const Http expired = check(handle, token);
    EXPECT_EQ(expired.status, 400) << expired.raw;
    EXPECT_EQ(expired.body_json(),
              json({{"error", "invalid_request"},
                    {"error_description", "The authorization request expired: authorize again"}}))
        << expired.body;
    const Http page = browser_get(new_jar(), approval_url(started), "ja,en;q=0.5");
    EXPECT_EQ(page.status, 400) << page.raw;
    EXPECT_NE(page.body.find("期限切れ"), std::string::npos) << page.body;
    EXPECT_EQ(page.header("Set-Cookie"), "") << "no page session for an expired request";
}

TEST_F(OobE2e, BadInputGetsACscErrorAndChangesNothing) {
    Signer& goro = s_signers["goro"];
    const std::string token = login_token(goro);
    const std::string rows_before = sqlite3("SELECT count(*) FROM oob_authorizations");
    const auto expect_error = [&](const Http& r, int status, const std::string& error,
                                  const std::string& text) {
        EXPECT_EQ(r.status, status) << r.raw;
        EXPECT_EQ(r.body_json(), json({{"error", error}, {"error_description", text}})) << r.body;
    };
    expect_error(post_json("/csc/v2/credentials/authorizeCheck", json::object(), token), 400,
                 "invalid_request", "Missing (or invalid type) string parameter handle");
    expect_error(post_json("/csc/v2/credentials/authorizeCheck", {{"handle", 42}}, token), 400,
                 "invalid_request", "Missing (or invalid type) string parameter handle");
    expect_error(post_json("/csc/v2/credentials/authorizeCheck", {{"handle", std::string(5000, 'A')}}, token),
                 400, "invalid_request", "Invalid parameter handle");
    // Bodies beyond the routes' own 16 KiB limits are refused before anything reads them.
    const Http big_check =
        post_json("/csc/v2/credentials/authorizeCheck", {{"handle", std::string(20000, 'A')}}, token);
    EXPECT_EQ(big_check.status, 413) << big_check.raw;
    const Http big_form =
        curl({"-X", "POST", "-H", "Content-Type: application/x-www-form-urlencoded", "--data-binary",
              "step=login&username=" + std::string(20000, 'a'), s_api + "/inkan/v1/approval"});
    EXPECT_EQ(big_form.status, 413) << big_form.raw;
    const Http no_token = curl({"-X", "POST", "-H", "Content-Type: application/json", "--data-binary",
                                R"({"handle":"x"})", s_api + "/csc/v2/credentials/authorizeCheck"});
    EXPECT_EQ(no_token.status, 401) << no_token.raw;
    // authData with values for some objects and not for others is a contradiction.
    expect_error(authorize_oob(goro, {sha256("mixed")}, token,
                               {{"authData", {{{"id", "PIN"}, {"value", goro.pin}}, {{"id", "OTP"}}}}}),
                 400, "invalid_request", "Invalid parameter authData");
    expect_error(authorize_oob(goro, {sha256("labels")}, token, {{"hashLabels", {"one", "two"}}}), 400,
                 "invalid_request", "Invalid parameter hashLabels: one string per hash");
    // An oauth2code credential is never authorised through credentials/authorize, out of band neither.
    Signer& rokuro = s_signers["rokuro"];
    expect_error(authorize_oob(rokuro, {sha256("oauth2code")}, login_token(rokuro)), 400, "invalid_request",
                 "Credential requires OAuth2 authorization (authMode oauth2code)");
    // SCAL 2 without hashes: the authorize refusal, now, not on the page.
    expect_error(post_json("/csc/v2/credentials/authorize",
                           {{"credentialID", goro.credential_id}, {"numSignatures", 1}}, token),
                 400, "invalid_request", "Missing (or invalid type) array parameter hashes");
    // v1 has no out-of-band authorization: no PIN is the wrong PIN.
    const Http v1 = post_json("/csc/v1/credentials/authorize",
                              {{"credentialID", goro.credential_id},
                               {"numSignatures", 1},
                               {"hash", {inkan::base64_encode(sha256("v1"))}}},
                              token);
    EXPECT_EQ(v1.status, 400) << v1.raw;
    EXPECT_EQ(sqlite3("SELECT count(*) FROM oob_authorizations"), rows_before);
    // The page: no reference, a reference that is not one, a form without the cookie or with a forged token.
    const fs::path jar = new_jar();
    EXPECT_EQ(browser_get(jar, s_api + "/inkan/v1/approval").status, 400);
    EXPECT_EQ(browser_get(jar, s_api + "/inkan/v1/approval?request=nope").status, 400);
    const Http forged = browser_post(
        jar, "/inkan/v1/approval",
        {{"csrf", "forged"}, {"step", "login"}, {"username", goro.name}, {"password", goro.password}});
    EXPECT_EQ(forged.status, 400) << forged.raw;
    EXPECT_NE(forged.body.find("unknown, expired or already decided"), std::string::npos) << forged.body;
    EXPECT_EQ(sqlite3("SELECT count(*) FROM oob_authorizations"), rows_before);
    // info lists authorizeCheck in v2 only, because it works.
    const Http info2 = post_json("/csc/v2/info", json::object(), token);
    const auto m2 = info2.body_json()["methods"];
    EXPECT_NE(std::find(m2.begin(), m2.end(), "credentials/authorizeCheck"), m2.end()) << info2.body;
    const Http info1 = post_json("/csc/v1/info", json::object(), token);
    const auto m1 = info1.body_json()["methods"];
    EXPECT_EQ(std::find(m1.begin(), m1.end(), "credentials/authorizeCheck"), m1.end()) << info1.body;
}

}  // namespace
