// The operator console and the JSON admin API (issue 18, decision 0041) against the real `inkan serve`
// (ephemeral ports, TLS with its key in the HSM). Headless Chromium with JavaScript off
// (tests/browser/console.mjs) signs in with a one-time code, searches, opens, exports and verifies the audit
// log, toggles maintenance, creates and locks a user and changes its role, switches language, in English and
// in Japanese, and creates a credential at a manual CA, downloads its CSR and uploads the certificate `inkan
// ca issue` made from it (openssl checks both), and saves screenshots under
// build/.../src/app/console_e2e_screenshots/<locale>/; a second browser as auditor is refused every change by
// the server. curl plays the attacker: a form without the CSRF token, a cookie from another Origin, a session
// past its idle timeout (moved back in the database with the sqlite3 CLI: no waiting), a signer's token on
// the admin API. The verify page gets a PDF signed by `inkan sign` and the same PDF with one byte of its
// signed range changed; its verdicts must be the CLI's (`inkan verify --data`, the same [validation] trust:
// the development root) and HASH_FAILURE.

#include <chrono>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/core/clock.h>
#include <inkan/core/encoding.h>
#include <inkan/service/secrets.h>
#include <inkan/testing/process.h>
#include <inkan/version.h>

#include <inkan/testing/pdf_text.h>

#include "e2e_support.h"

namespace fs = std::filesystem;
using inkan::testing::run;
using inkan::testing::TempDir;
using nlohmann::json;

namespace {

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

/// An account with a password and a TOTP device; each code is of a later TOTP step than the last. The
/// server takes the steps now-1, now and now+1, each once; a code of now-1 may cross out of the window on
/// its way at a step boundary, so the codes are now and now+1: at most two sign-ins per account.
struct Account {
    std::string name, password, totp_secret;
    int next_step = 0;
    std::string otp() {
        return inkan::service::totp_code(
            inkan::base32_decode(totp_secret),
            inkan::SystemClock::instance().now() + std::chrono::seconds{30 * next_step++});
    }
};

class ConsoleE2e : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_tmp = std::make_unique<TempDir>("inkan-console-e2e");
        s_data = s_tmp->path() / "data";
        const auto init = run({INKAN_BIN, "init", "--data", s_data.string(), "--json"});
        ASSERT_EQ(init.exit_code, 0) << describe(init);
        s_init = json::parse(init.out);
        const std::string d = s_data.string();
        for (const auto& [name, role] :
             std::vector<std::pair<std::string, std::string>>{{"kanri", "operator"},
                                                              {"kanri2", "operator"},
                                                              {"kanri3", "operator"},
                                                              {"kansa", "auditor"},
                                                              {"yamada", "user"},
                                                              {"kimura", "user"}}) {
            const json user = cli({INKAN_BIN, "user", "add", name, "--role", role, "--display-name",
                                   "山田 " + name, "--totp", "--json", "--data", d});
            s_accounts[name] = Account{name, user.value("password", std::string{}),
                                       user.value("totp_secret", std::string{})};
        }
        (void)cli({INKAN_BIN, "credential", "create", "--user", "yamada", "--description", "山田の署名鍵",
                   "--json", "--data", d});
        // hayashi's credentials: each operator walk (English, Japanese) revokes one, the auditor tries to.
        (void)cli({INKAN_BIN, "user", "add", "hayashi", "--display-name", "林 花子", "--json", "--data", d});
        for (const char* description : {"林の署名鍵 1", "林の署名鍵 2", "林の署名鍵 3"}) {
            (void)cli({INKAN_BIN, "credential", "create", "--user", "hayashi", "--description", description,
                       "--json", "--data", d});
        }
        // The verify page's trust: the development root, as `inkan verify --data` reads it too. (init's
        // [ca.manual] takes the credentials the operator creates on the console: CSRs out, certificates
        // back.)
        {
            std::ofstream toml{s_data / "inkan.toml", std::ios::app};
            toml << "\n[validation]\ntrust_anchors = [\"" << (s_data / "pki" / "root-ca.pem").string()
                 << "\"]\n";
        }
        const json line = inkan::e2e::start_serve(s_server, s_data);
        s_api = line["api_url"].get<std::string>();
        make_pdfs();
    }

    /// A PDF signed by `inkan sign` with init's demo credential, and a copy with one byte of the signed
    /// range (the page's text) changed.
    static void make_pdfs() {
        const std::string content = "BT /F1 24 Tf 72 720 Td (Console verify) Tj ET";
        inkan::testing::write_file(
            s_tmp->path() / "raw.pdf",
            inkan::testing::build_pdf(
                {"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                 "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font "
                 "<< /F1 5 0 R >> >> >>",
                 "<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "\nendstream",
                 "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"}));
        const auto q =
            run({"qpdf", "--compress-streams=n", (s_tmp->path() / "raw.pdf").string(),
                 (s_tmp->path() / "doc.pdf").string()});  // uncompressed: the page's text can be changed
        ASSERT_TRUE(q.exit_code == 0 || q.exit_code == 3) << describe(q);
        const json demo = s_init["demo"];
        const std::string otp =
            inkan::service::totp_code(inkan::base32_decode(demo["totp_secret"].get<std::string>()),
                                      inkan::SystemClock::instance().now());
        s_signed_pdf = s_tmp->path() / "signed.pdf";
        const auto sign =
            run({"env", "INKAN_PASSWORD=" + demo["password"].get<std::string>(),
                 "INKAN_PIN=" + demo["pin"].get<std::string>(), "INKAN_OTP=" + otp, INKAN_BIN, "sign",
                 "--url", s_api, "--cacert", s_init["tls_ca"].get<std::string>(), "--user",
                 demo["user"].get<std::string>(), "--credential", demo["credential_id"].get<std::string>(),
                 "--level", "B-B", (s_tmp->path() / "doc.pdf").string(), s_signed_pdf.string()});
        ASSERT_EQ(sign.exit_code, 0) << describe(sign);
        std::string bytes = inkan::to_string(inkan::testing::read_file(s_signed_pdf));
        const auto at = bytes.find("(Console verify)");
        ASSERT_NE(at, std::string::npos);
        bytes[at + 1] = 'K';  // "(Konsole verify)": inside the first signed byte range
        s_tampered_pdf = s_tmp->path() / "tampered.pdf";
        inkan::testing::write_file(s_tampered_pdf, std::string_view{bytes});
        // The CLI's verdict on the signed file, with the same trust as the server's.
        const auto v = run({INKAN_BIN, "verify", "--data", s_data.string(), "--json", s_signed_pdf.string()});
        const json report = json::parse(v.out, nullptr, false);
        ASSERT_FALSE(report.is_discarded()) << describe(v);
        s_cli_indication = report["documents"][0]["signatures"][0]["indication"].get<std::string>();
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
    static Http form_post(const fs::path& jar, const std::string& path,
                          const std::vector<std::pair<std::string, std::string>>& fields,
                          const std::vector<std::string>& headers = {}) {
        std::vector<std::string> args{"-c", jar.string(), "-b", jar.string(), "-X", "POST"};
        for (const auto& h : headers) {
            args.push_back("-H");
            args.push_back(h);
        }
        for (const auto& [k, v] : fields) {
            args.push_back("--data-urlencode");
            args.push_back(k + "=" + v);
        }
        args.push_back(s_api + path);
        return curl(args);
    }
    static Http get(const fs::path& jar, const std::string& path) {
        return curl({"-c", jar.string(), "-b", jar.string(), s_api + path});
    }
    static std::string csrf_of(const Http& page) {
        const std::regex re{R"re(name="csrf" value="([^"]+)")re"};
        std::smatch m;
        EXPECT_TRUE(std::regex_search(page.body, m, re)) << page.body;
        return m.size() > 1 ? m[1].str() : std::string{};
    }
    /// Signs `who` in through the form as a browser would; the jar then holds the session cookie.
    static fs::path signed_in_jar(Account& who) {
        const fs::path jar = s_tmp->path() / ("jar-" + std::to_string(s_jars++));
        const Http login = get(jar, "/admin/login");
        EXPECT_EQ(login.status, 200) << login.raw;
        const Http in = form_post(jar, "/admin/login",
                                  {{"csrf", csrf_of(login)},
                                   {"step", "login"},
                                   {"username", who.name},
                                   {"password", who.password},
                                   {"otp", who.otp()}});
        EXPECT_EQ(in.status, 303) << in.raw;
        EXPECT_EQ(in.header("Location"), "/admin/audit") << in.raw;
        return jar;
    }
    static std::string sqlite3(const std::string& sql) {
        const auto r = run({"sqlite3", "-batch", (s_data / "inkan.db").string(), sql});
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        return r.out;
    }
    static json audit(const std::string& action) {
        return cli({INKAN_BIN, "audit", "export", "--data", s_data.string(), "--format", "json", "--action",
                    action});
    }

    /// tests/browser/console.mjs; its JSON line.
    static json chromium(const std::string& mode, Account& who, const std::string& locale,
                         const std::vector<std::string>& extra) {
        const fs::path browser_dir = fs::path{INKAN_SOURCE_DIR} / "tests" / "browser";
        EXPECT_TRUE(fs::exists(browser_dir / "node_modules" / "playwright-core"))
            << "playwright-core is missing: run scripts/install-deps (npm ci in tests/browser)";
        EXPECT_TRUE(fs::exists("/usr/bin/chromium")) << "chromium is missing: run scripts/install-deps";
        const fs::path shots = fs::path{INKAN_BIN}.parent_path() / "console_e2e_screenshots" / locale;
        std::vector<std::string> argv{"env",
                                      "INKAN_URL=" + s_api,
                                      "INKAN_USER=" + who.name,
                                      "INKAN_PASSWORD=" + who.password,
                                      "INKAN_OTP=" + who.otp(),
                                      "INKAN_LOCALE=" + locale,
                                      "INKAN_SHOTS=" + shots.string(),
                                      "INKAN_MODE=" + mode};
        argv.insert(argv.end(), extra.begin(), extra.end());
        argv.push_back("node");
        argv.push_back((browser_dir / "console.mjs").string());
        const auto r = run(argv);
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        return r.exit_code == 0 ? json::parse(r.out, nullptr, false) : json{};
    }

    static void operator_walk(const std::string& locale, const std::string& lang,
                              const std::string& new_user) {
        const json out = chromium(
            "operator", s_accounts["kanri"], locale,
            {"INKAN_NEW_USER=" + new_user, "INKAN_CREDENTIAL_OWNER=yamada",
             "INKAN_SIGNED_PDF=" + s_signed_pdf.string(), "INKAN_TAMPERED_PDF=" + s_tampered_pdf.string(),
             "INKAN_REVOKE_OWNER=hayashi", "INKAN_MANUAL_CA=manual", "INKAN_NEW_CREDENTIAL_OWNER=kimura",
             "INKAN_WORK=" + (s_tmp->path() / "work").string(), std::string{"INKAN_BIN="} + INKAN_BIN,
             "INKAN_DATA=" + s_data.string()});
        ASSERT_TRUE(out.is_object()) << out.dump();
        EXPECT_EQ(out["login_url"], s_api + "/admin/login") << out.dump(2);
        EXPECT_EQ(out["login_lang"], lang);
        EXPECT_EQ(out["after_login_url"], s_api + "/admin/audit");
        EXPECT_NE(out["whoami"].get<std::string>().find("kanri (operator)"), std::string::npos)
            << out["whoami"];
        EXPECT_EQ(out["cookie"],
                  (json{{"httpOnly", true}, {"secure", true}, {"sameSite", "Strict"}, {"path", "/"}}));
        // The search shows only what was asked for, and the export is that search as `audit export` writes
        // it.
        ASSERT_FALSE(out["search_actions"].empty()) << out.dump(2);
        for (const auto& a : out["search_actions"]) {
            EXPECT_EQ(a, "console.login");
        }
        const std::string csv = out["csv"].get<std::string>();
        EXPECT_EQ(csv.rfind("seq,at,action,outcome,user_id,user_name,", 0), 0U) << csv;
        EXPECT_EQ(out["json_export"].size(), out["search_actions"].size()) << out["json_export"].dump(2);
        for (const auto& e : out["json_export"]) {
            EXPECT_EQ(e["action"], "console.login");
        }
        EXPECT_NE(out["entry_text"].get<std::string>().find("console.login"), std::string::npos);
        EXPECT_EQ(out["verify_ok"], "true") << out["verify_text"];
        // Maintenance: on (and /readyz's reason says so), then off again.
        EXPECT_NE(out["maintenance_before"], out["maintenance_on"]);
        EXPECT_EQ(out["maintenance_after"], out["maintenance_before"]);
        EXPECT_NE(out["ready_in_maintenance"].get<std::string>().find("maintenance"), std::string::npos)
            << out["ready_in_maintenance"];
        EXPECT_EQ(out["version"], inkan::kVersion);
        EXPECT_NE(out["token"].get<std::string>().find("ok"), std::string::npos) << out["token"];
        // The token's keys as the page counts them: init's EC keys (CAs, TSA, TLS, the demo credential,
        // yamada's, hayashi's three) and the AES storage key.
        EXPECT_EQ(out["token_pin"], "ok") << out.dump(2);
        EXPECT_GE(out["token_keys"].value("private-key EC", 0), 5) << out["token_keys"].dump();
        EXPECT_GE(out["token_keys"].value("secret-key AES", 0), 1) << out["token_keys"].dump();
        // The created user, its secrets shown once, then locked.
        EXPECT_EQ(out["created_name"], new_user);
        EXPECT_EQ(out["created_password_length"], 20);
        EXPECT_EQ(out["created_otpauth"].get<std::string>().rfind("otpauth://totp/", 0), 0U)
            << out["created_otpauth"];
        EXPECT_FALSE(out["qr_label"].get<std::string>().empty()) << "the QR code's accessible name";
        EXPECT_GT(out["qr_modules"].get<int>(), 100)
            << "a QR code of the otpauth URI has hundreds of dark modules";
        EXPECT_EQ(out["locked_state"], lang == "ja" ? "ロック中" : "locked");
        EXPECT_EQ(out["role_before"], "user") << out.dump(2);
        EXPECT_EQ(out["role_status"], 200) << out.dump(2);
        EXPECT_EQ(out["role_after"], "auditor") << out.dump(2);
        const json shown_user =
            cli({INKAN_BIN, "user", "show", new_user, "--json", "--data", s_data.string()});
        EXPECT_EQ(shown_user["role"], "auditor") << shown_user.dump(2);
        bool role_audited = false;
        for (const auto& e : audit("user.role")) {
            if (e["details"]["user"] == new_user) {
                role_audited = true;
                EXPECT_EQ(e["operator"], "kanri") << e.dump(2);
                EXPECT_EQ(e["details"]["was"], "user") << e.dump(2);
                EXPECT_EQ(e["details"]["role"], "auditor") << e.dump(2);
            }
        }
        EXPECT_TRUE(role_audited) << audit("user.role").dump(2);
        // Credentials: init's demo credential and yamada's; the filter shows only yamada's.
        EXPECT_GE(out["credentials_all"].get<int>(), 2) << out.dump(2);
        EXPECT_EQ(out["credential_owners"], (json::array({"yamada"}))) << out.dump(2);
        // A credential created at the manual CA: pending with its CSR, then active with the certificate the
        // CA issued from the CSR the console downloaded. openssl checks both CSRs and the chain.
        const std::string created = out["new_credential_id"].get<std::string>();
        EXPECT_EQ(out["credential_create_status"], 200) << out.dump(2);
        EXPECT_EQ(out["new_credential_status"], "pending") << out.dump(2);
        EXPECT_EQ(out["new_credential_pin_length"], 6) << out.dump(2);
        EXPECT_EQ(out["pending_state"], "pending") << out.dump(2);
        EXPECT_EQ(out["csr_filename"], created + ".csr") << out.dump(2);
        EXPECT_EQ(out["upload_status"], 200) << out.dump(2);
        EXPECT_EQ(out["imported_status"], "active") << out.dump(2);
        EXPECT_EQ(out["active_state"], "active") << out.dump(2);
        EXPECT_NE(out["imported_subject"].get<std::string>().find("kimura"), std::string::npos)
            << out["imported_subject"];
        const fs::path work = s_tmp->path() / "work";
        std::string csr_keys[2];
        int i = 0;
        for (const std::string which : {"first", "again"}) {
            const std::string file = (work / (lang + "-" + which + ".csr")).string();
            const auto checked = run({"openssl", "req", "-verify", "-noout", "-in", file});
            EXPECT_EQ(checked.exit_code, 0) << describe(checked);
            csr_keys[i++] = run({"openssl", "req", "-pubkey", "-noout", "-in", file}).out;
        }
        EXPECT_EQ(csr_keys[0], csr_keys[1]) << "both CSRs are signed by the credential's one HSM key";
        EXPECT_NE(csr_keys[0].find("BEGIN PUBLIC KEY"), std::string::npos) << csr_keys[0];
        const std::string cert = (work / (lang + "-cert.pem")).string();
        const auto chain_ok = run({"openssl", "verify", "-CAfile", (s_data / "pki" / "root-ca.pem").string(),
                                   "-untrusted", cert, cert});
        EXPECT_EQ(chain_ok.exit_code, 0) << describe(chain_ok);
        const json created_shown =
            cli({INKAN_BIN, "credential", "show", created, "--json", "--data", s_data.string()});
        EXPECT_EQ(created_shown["status"], "active") << created_shown.dump(2);
        EXPECT_EQ(created_shown["key_algo"], "ec-p384") << created_shown.dump(2);
        EXPECT_EQ(created_shown["ca"], "manual") << created_shown.dump(2);
        for (const std::string action : {"credential.create", "credential.csr", "credential.import_cert"}) {
            bool seen = false;
            for (const auto& e : audit(action)) {
                if (e["credential_id"] == created) {
                    seen = true;
                    EXPECT_EQ(e["operator"], "kanri") << e.dump(2);
                }
            }
            EXPECT_TRUE(seen) << action << " of " << created;
        }
        // The language switch, remembered for the next page.
        const std::string other = lang == "ja" ? "en" : "ja";
        EXPECT_EQ(out["switched_lang"], other);
        EXPECT_EQ(out["switched_lang_next_page"], other);
        EXPECT_EQ(out["after_signout_url"], s_api + "/admin/login");
        EXPECT_EQ(out["users_after_signout_url"], s_api + "/admin/login");
        EXPECT_EQ(out["unlabelled"], json::array()) << "form controls without an accessible name";
        EXPECT_EQ(out["low_contrast"], json::array()) << "text below 4.5:1";
        // Verify: the signed file as the CLI judges it, the tampered one HASH_FAILURE; the downloads agree.
        EXPECT_EQ(out["verify_status"], 200) << out.dump(2);
        EXPECT_EQ(out["verify_tab_order"]["seen"], out["verify_tab_order"]["expected"])
            << out["verify_tab_order"];
        EXPECT_EQ(out["verify_tab_order"]["expected"],
                  (json::array({"document", "content", "format", "do-verify"})));
        const json docs = out["verify_documents"];
        ASSERT_EQ(docs.size(), 2U) << out.dump(2);
        EXPECT_EQ(docs[0]["file"], "signed.pdf") << docs.dump(2);
        ASSERT_EQ(docs[0]["signatures"].size(), 1U) << docs.dump(2);
        EXPECT_EQ(docs[0]["signatures"][0]["indication"], s_cli_indication) << docs.dump(2);
        EXPECT_NE(docs[0]["signatures"][0]["signer"].get<std::string>(), "") << docs.dump(2);
        EXPECT_EQ(docs[1]["file"], "tampered.pdf") << docs.dump(2);
        ASSERT_EQ(docs[1]["signatures"].size(), 1U) << docs.dump(2);
        EXPECT_EQ(docs[1]["signatures"][0]["indication"], "TOTAL-FAILED") << docs.dump(2);
        EXPECT_EQ(docs[1]["signatures"][0]["subindication"], "HASH_FAILURE") << docs.dump(2);
        EXPECT_EQ(docs[1]["passed"], "false");
        EXPECT_EQ(out["verify_json"]["documents"][0]["signatures"][0]["indication"], s_cli_indication)
            << out["verify_json"].dump(2);
        EXPECT_EQ(out["verify_json"]["documents"][1]["signatures"][0]["subindication"], "HASH_FAILURE")
            << out["verify_json"].dump(2);
        EXPECT_NE(out["verify_etsi"].get<std::string>().find("ValidationReport"), std::string::npos)
            << out["verify_etsi"];
        // Revoke: the page's row, the CLI and the audit agree, under the operator's name.
        const std::string revoked = out["revoke_id"].get<std::string>();
        EXPECT_EQ(out["revoke_status"], 200) << out.dump(2);
        EXPECT_EQ(out["revoked_state"], "disabled") << out.dump(2);
        EXPECT_EQ(out["revoke_tab_order"]["seen"], out["revoke_tab_order"]["expected"])
            << out["revoke_tab_order"];
        const json shown =
            cli({INKAN_BIN, "credential", "show", revoked, "--json", "--data", s_data.string()});
        EXPECT_EQ(shown["status"], "disabled") << shown.dump(2);
        bool revoke_audited = false;
        for (const auto& e : audit("credential.revoke")) {
            if (e["credential_id"] == revoked) {
                revoke_audited = true;
                EXPECT_EQ(e["operator"], "kanri") << e.dump(2);
                EXPECT_EQ(e["details"]["reason"], "keyCompromise") << e.dump(2);
            }
        }
        EXPECT_TRUE(revoke_audited) << audit("credential.revoke").dump(2);

        // The CLI sees the same user, locked, and the changes under the operator's account name.
        const json users = cli({INKAN_BIN, "user", "list", "--json", "--data", s_data.string()});
        bool found = false;
        for (const auto& u : users) {
            if (u["name"] == new_user) {
                found = true;
                EXPECT_EQ(u["locked"], true) << u.dump();
            }
        }
        EXPECT_TRUE(found) << users.dump(2);
        const json adds = audit("user.add");
        bool audited = false;
        for (const auto& e : adds) {
            if (e["details"]["user"] == new_user) {
                audited = true;
                EXPECT_EQ(e["operator"], "kanri") << e.dump(2);
            }
        }
        EXPECT_TRUE(audited) << adds.dump(2);
    }

    static std::unique_ptr<TempDir> s_tmp;
    static fs::path s_data;
    static json s_init;
    static std::map<std::string, Account> s_accounts;
    static std::unique_ptr<inkan::testing::Process> s_server;
    static std::string s_api;
    static int s_jars;
    static fs::path s_signed_pdf, s_tampered_pdf;
    static std::string s_cli_indication;
};

std::unique_ptr<TempDir> ConsoleE2e::s_tmp;
fs::path ConsoleE2e::s_data;
json ConsoleE2e::s_init;
std::map<std::string, Account> ConsoleE2e::s_accounts;
std::unique_ptr<inkan::testing::Process> ConsoleE2e::s_server;
std::string ConsoleE2e::s_api;
int ConsoleE2e::s_jars = 0;
fs::path ConsoleE2e::s_signed_pdf;
fs::path ConsoleE2e::s_tampered_pdf;
std::string ConsoleE2e::s_cli_indication;

TEST_F(ConsoleE2e, OperatorWalksTheConsoleInEnglish) {
    operator_walk("en-US", "en", "tanaka");
    const json maintenance = audit("maintenance");
    ASSERT_GE(maintenance.size(), 2U) << maintenance.dump(2);
    EXPECT_EQ(maintenance[maintenance.size() - 2]["action"], "maintenance.on");
    EXPECT_EQ(maintenance[maintenance.size() - 2]["operator"], "kanri");
    EXPECT_EQ(maintenance.back()["action"], "maintenance.off");
}

TEST_F(ConsoleE2e, OperatorWalksTheConsoleInJapanese) {
    operator_walk("ja-JP", "ja", "suzuki");
}

TEST_F(ConsoleE2e, AuditorReadsButTheServerRefusesEveryChange) {
    const json out = chromium("auditor", s_accounts["kansa"], "en-US",
                              {"INKAN_TARGET=yamada", "INKAN_REVOKE_OWNER=hayashi"});
    ASSERT_TRUE(out.is_object()) << out.dump();
    EXPECT_NE(out["whoami"].get<std::string>().find("kansa (auditor)"), std::string::npos) << out["whoami"];
    EXPECT_EQ(out["maintenance_status"], 403) << out.dump(2);
    EXPECT_EQ(out["maintenance_after"], out["maintenance_before"]);
    EXPECT_EQ(out["lock_status"], 403) << out.dump(2);
    EXPECT_EQ(out["target_state"], "active");
    EXPECT_EQ(out["role_status"], 403) << out.dump(2);
    EXPECT_EQ(out["target_role"], "user") << out.dump(2);
    EXPECT_EQ(out["revoke_status"], 403) << out.dump(2);
    EXPECT_EQ(out["revoke_state_after"], "active") << out.dump(2);
    EXPECT_EQ(out["low_contrast"], json::array());
    EXPECT_EQ(out["unlabelled"], json::array());
}

TEST_F(ConsoleE2e, FormWithoutCsrfTokenOrFromAnotherOriginIsRefused) {
    const fs::path jar = signed_in_jar(s_accounts["kanri2"]);
    const Http users = get(jar, "/admin/users");
    ASSERT_EQ(users.status, 200) << users.raw;
    const std::string csrf = csrf_of(users);

    const Http no_token = form_post(jar, "/admin/users/lock", {{"name", "yamada"}});
    EXPECT_EQ(no_token.status, 403) << no_token.raw;
    const Http wrong_token = form_post(jar, "/admin/users/lock", {{"csrf", csrf + "x"}, {"name", "yamada"}});
    EXPECT_EQ(wrong_token.status, 403) << wrong_token.raw;
    const Http foreign = form_post(jar, "/admin/users/lock", {{"csrf", csrf}, {"name", "yamada"}},
                                   {"Origin: https://evil.example"});
    EXPECT_EQ(foreign.status, 403) << foreign.raw;
    const Http cross_site = form_post(jar, "/admin/users/lock", {{"csrf", csrf}, {"name", "yamada"}},
                                      {"Sec-Fetch-Site: cross-site"});
    EXPECT_EQ(cross_site.status, 403) << cross_site.raw;
    // The JSON API with the cookie: the CSRF header is required as well.
    const Http api_no_header =
        curl({"-b", jar.string(), "-X", "POST", "-H", "Content-Type: application/json", "--data-binary",
              R"({"name":"yamada"})", s_api + "/inkan/v1/admin/users/lock"});
    EXPECT_EQ(api_no_header.status, 403) << api_no_header.raw;
    const json users_json = cli({INKAN_BIN, "user", "show", "yamada", "--json", "--data", s_data.string()});
    EXPECT_EQ(users_json["locked"], false) << "no refused request may have changed anything";

    // The same request with the token and the console's own origin is the operator's.
    const Http ok =
        form_post(jar, "/admin/users/unlock", {{"csrf", csrf}, {"name", "yamada"}}, {"Origin: " + s_api});
    EXPECT_EQ(ok.status, 303) << ok.raw;
    const Http api_ok = curl({"-b", jar.string(), "-X", "POST", "-H", "Content-Type: application/json", "-H",
                              "X-CSRF-Token: " + csrf, "--data-binary", R"({"name":"yamada"})",
                              s_api + "/inkan/v1/admin/users/unlock"});
    EXPECT_EQ(api_ok.status, 200) << api_ok.raw;
}

TEST_F(ConsoleE2e, SessionPastItsIdleTimeoutIsRefusedAndSignedOutOneIsToo) {
    const fs::path jar = signed_in_jar(s_accounts["kanri2"]);
    ASSERT_EQ(get(jar, "/admin/service").status, 200);
    const Http service = get(jar, "/admin/service");
    const std::string csrf = csrf_of(service);
    // 16 minutes without a request (the default idle timeout is 15): moved back in the database.
    sqlite3(
        "UPDATE console_sessions SET last_seen = last_seen - 960, created_at = created_at - 960 "
        "WHERE revoked = 0 AND user_id = (SELECT id FROM users WHERE name = 'kanri2')");
    const Http after = get(jar, "/admin/service");
    EXPECT_EQ(after.status, 303) << after.raw;
    EXPECT_EQ(after.header("Location"), "/admin/login");
    const Http post = form_post(jar, "/admin/service/maintenance", {{"csrf", csrf}, {"on", "1"}});
    EXPECT_EQ(post.status, 401) << post.raw;

    const fs::path jar2 = signed_in_jar(s_accounts["kanri3"]);
    const std::string csrf2 = csrf_of(get(jar2, "/admin/audit"));
    // Kept before signing out: the cookie as someone who copied it would hold it.
    fs::copy_file(jar2, jar2.string() + ".stolen");
    EXPECT_EQ(form_post(jar2, "/admin/logout", {{"csrf", csrf2}}).status, 303);
    const Http stolen = curl({"-b", jar2.string() + ".stolen", s_api + "/admin/audit"});
    EXPECT_EQ(stolen.status, 303) << stolen.raw;
}

TEST_F(ConsoleE2e, AdminApiTakesAnOperatorTokenAndRefusesOthers) {
    const auto token_of = [](const Account& who) {
        const Http r =
            curl({"-X", "POST", "-u", who.name + ":" + who.password, "-H", "Content-Type: application/json",
                  "--data-binary", "{}", s_api + "/csc/v2/auth/login"});
        EXPECT_EQ(r.status, 200) << r.raw;
        return r.body_json().value("access_token", std::string{});
    };
    const std::string oper = token_of(s_accounts["kanri2"]);
    const std::string auditor = token_of(s_accounts["kansa"]);
    const std::string signer = token_of(s_accounts["yamada"]);
    const auto call = [](const std::string& token, const std::string& method, const std::string& path,
                         const std::string& body = {}) {
        std::vector<std::string> args{"-X", method, "-H", "Authorization: Bearer " + token};
        if (!body.empty()) {
            args.insert(args.end(), {"-H", "Content-Type: application/json", "--data-binary", body});
        }
        args.push_back(s_api + "/inkan/v1/admin/" + path);
        return curl(args);
    };
    const Http users = call(oper, "GET", "users");
    ASSERT_EQ(users.status, 200) << users.raw;
    EXPECT_GE(users.body_json().size(), 4U);
    EXPECT_EQ(call(auditor, "GET", "audit?action=user.add&limit=2").status, 200);
    const Http page = call(auditor, "GET", "audit?action=user&limit=2");
    ASSERT_EQ(page.status, 200) << page.raw;
    EXPECT_EQ(page.body_json()["entries"].size(), 2U) << page.body;
    EXPECT_TRUE(page.body_json()["next_before"].is_number()) << page.body;

    const Http refused = call(auditor, "POST", "maintenance", R"({"on":true})");
    EXPECT_EQ(refused.status, 403) << refused.raw;
    EXPECT_EQ(refused.body_json()["error"], "access_denied") << refused.body;
    EXPECT_EQ(call(signer, "GET", "users").status, 403) << "a signer's token is no operator's";
    EXPECT_EQ(call("not-a-token", "GET", "users").status, 401);
    EXPECT_EQ(curl({s_api + "/inkan/v1/admin/users"}).status, 401) << "neither token nor session";

    const Http created = call(oper, "POST", "users", R"({"name":"sato","role":"auditor","totp":true})");
    ASSERT_EQ(created.status, 201) << created.raw;
    EXPECT_EQ(created.body_json()["user"]["role"], "auditor");
    EXPECT_EQ(created.body_json()["password"].get<std::string>().size(), 20U);
    const Http credentials = call(auditor, "GET", "credentials?user=yamada");
    ASSERT_EQ(credentials.status, 200) << credentials.raw;
    ASSERT_EQ(credentials.body_json().size(), 1U) << credentials.body;
    EXPECT_EQ(credentials.body_json()[0]["owner"], "yamada");
    EXPECT_EQ(credentials.body_json()[0]["description"], "山田の署名鍵");
    const Http verify = call(auditor, "POST", "audit/verify");
    EXPECT_EQ(verify.status, 200) << verify.raw;
    EXPECT_EQ(verify.body_json()["ok"], true) << verify.body;
}

}  // namespace
