// The console's verify page and POST /inkan/v1/admin/verify (issue 18, decision 0041) over the real router
// and services (test_env.h: SQLite, SoftHSM, a ManualClock), and the multipart/form-data parser they share.
// The documents are CMS signatures made by openssl (a tool we did not write) with their own certificate as
// the trust anchor; the tampered one has one byte of its signed content changed. Refusals: no session, no
// CSRF token, another origin, a signer's token, malformed multipart, no file, a bad format.

#include <algorithm>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include <inkan/api/console.h>
#include <inkan/core/encoding.h>
#include <inkan/pki/certificate.h>
#include <inkan/pki/connector.h>
#include <inkan/pki/csr.h>
#include <inkan/service/admin.h>
#include <inkan/service/console.h>
#include <inkan/service/validation.h>
#include <inkan/storage/sqlite_service_stores.h>

#include "console_multipart.h"
#include "oauth_pages.h"
#include "test_env.h"

namespace inkan::api {
namespace {

using detail::multipart_boundary;
using detail::MultipartLimits;
using detail::parse_multipart;
using testing::CscEnv;
using testing::Json;

Errc code_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.code();
    }
    ADD_FAILURE() << "no inkan::Error was thrown";
    return Errc::Internal;
}

// ---- the parser --------------------------------------------------------------------------------------

constexpr std::string_view kBoundary = "----WebKitFormBoundaryQ1x";

/// What Chromium sends for the verify form: fields, a file with a Japanese name whose content holds CRLF
/// and a near-delimiter, and an empty file input.
std::string browser_body() {
    return "------WebKitFormBoundaryQ1x\r\n"
           "Content-Disposition: form-data; name=\"csrf\"\r\n\r\n"
           "tok\r\n"
           "------WebKitFormBoundaryQ1x\r\n"
           "Content-Disposition: form-data; name=\"document\"; filename=\"契約書.pdf\"\r\n"
           "Content-Type: application/pdf\r\n\r\n"
           "%PDF\r\n------WebKitFormBoundaryQ1\r\nend\r\n"
           "------WebKitFormBoundaryQ1x\r\n"
           "Content-Disposition: form-data; name=\"content\"; filename=\"\"\r\n"
           "Content-Type: application/octet-stream\r\n\r\n"
           "\r\n"
           "------WebKitFormBoundaryQ1x--\r\n";
}

TEST(ConsoleMultipartTest, ReadsWhatABrowserSends) {
    const auto parts = parse_multipart(browser_body(), kBoundary);
    ASSERT_EQ(parts.size(), 3U);
    EXPECT_EQ(parts[0].name, "csrf");
    EXPECT_FALSE(parts[0].is_file);
    EXPECT_EQ(parts[0].body, "tok");
    EXPECT_EQ(parts[1].name, "document");
    EXPECT_TRUE(parts[1].is_file);
    EXPECT_EQ(parts[1].filename, "契約書.pdf");
    EXPECT_EQ(parts[1].content_type, "application/pdf");
    EXPECT_EQ(parts[1].body, "%PDF\r\n------WebKitFormBoundaryQ1\r\nend") << "a near-delimiter is content";
    EXPECT_TRUE(parts[2].is_file);
    EXPECT_EQ(parts[2].filename, "");
    EXPECT_EQ(parts[2].body, "");
}

TEST(ConsoleMultipartTest, BoundaryFromContentType) {
    EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=----WebKitFormBoundaryQ1x"), kBoundary);
    EXPECT_EQ(multipart_boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b:c\""), "a b:c");
    for (const std::string_view bad :
         {"application/x-www-form-urlencoded", "multipart/form-data", "multipart/form-data; boundary=",
          "multipart/form-data; boundary=\"unterminated", "multipart/form-data; boundary=a; boundary=b",
          "multipart/mixed; boundary=a", "multipart/form-data; boundary=\"ends with space \"",
          "multipart/form-data; boundary=\"semi;colon\""}) {
        EXPECT_EQ(code_of([&] { (void)multipart_boundary(bad); }), Errc::InvalidRequest) << bad;
    }
    EXPECT_EQ(
        code_of([&] { (void)multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'a')); }),
        Errc::InvalidRequest)
        << "RFC 2046: at most 70 characters";
}

TEST(ConsoleMultipartTest, PreambleEpilogueAndPaddingAreAllowed) {
    const auto parts = parse_multipart(
        "ignored preamble\r\n--b  \r\ncontent-disposition: form-data; "
        "name=\"a\\\"b\"\r\n\r\nv\r\n--b--\r\nepilogue",
        "b");
    ASSERT_EQ(parts.size(), 1U);
    EXPECT_EQ(parts[0].name, "a\"b");
    EXPECT_EQ(parts[0].body, "v");
}

TEST(ConsoleMultipartTest, MalformedBodiesAreRefusedWithA400sCode) {
    const std::string ok_part = "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n";
    const std::pair<std::string, std::string_view> cases[] = {
        {"", "empty body"},
        {"no delimiter at all", "no delimiter"},
        {ok_part, "no close delimiter"},
        {"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv", "content never ends"},
        {"--b\r\nContent-Disposition: form-data;\r\n name=\"a\"\r\n\r\nv\r\n--b--", "folded header"},
        {"--b\r\nContent-Disposition: form-data\r\n\r\nv\r\n--b--", "no field name"},
        {"--b\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nv\r\n--b--", "empty field name"},
        {"--b\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nv\r\n--b--", "not form-data"},
        {"--b\r\nContent-Type: text/plain\r\n\r\nv\r\n--b--", "no Content-Disposition"},
        {"--b\r\n\r\nv\r\n--b--", "no headers"},
        {"--b\r\nContent-Disposition: form-data; name=\"a\"; name=\"c\"\r\n\r\nv\r\n--b--", "two names"},
        {"--b\r\nContent-Disposition: form-data; name=\"a\"\r\nContent-Disposition: form-data; "
         "name=\"c\"\r\n\r\n"
         "v\r\n--b--",
         "two dispositions"},
        {"--b\r\nno colon here\r\n\r\nv\r\n--b--", "header without colon"},
        {"--bX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--b--",
         "delimiter not followed by CRLF"},
        {"--b\r\nContent-Disposition: form-data; name=\"a\r\n\r\nv\r\n--b--", "unterminated quote"},
    };
    for (const auto& [body, why] : cases) {
        EXPECT_EQ(code_of([&] { (void)parse_multipart(body, "b"); }), Errc::InvalidRequest) << why;
    }
}

TEST(ConsoleMultipartTest, LimitsAreEnforced) {
    MultipartLimits limits;
    limits.max_parts = 2;
    limits.max_header_bytes = 80;
    limits.max_field_bytes = 4;
    const std::string part = "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n";
    EXPECT_EQ(parse_multipart(part + part + "--b--", "b", limits).size(), 2U);
    EXPECT_EQ(code_of([&] { (void)parse_multipart(part + part + part + "--b--", "b", limits); }),
              Errc::InvalidRequest)
        << "three parts, at most two";
    const std::string long_header =
        "--b\r\nContent-Disposition: form-data; name=\"" + std::string(100, 'n') + "\"\r\n\r\nv\r\n--b--";
    EXPECT_EQ(code_of([&] { (void)parse_multipart(long_header, "b", limits); }), Errc::InvalidRequest);
    const std::string long_field = "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n12345\r\n--b--";
    EXPECT_EQ(code_of([&] { (void)parse_multipart(long_field, "b", limits); }), Errc::InvalidRequest);
    const std::string long_file =
        "--b\r\nContent-Disposition: form-data; name=\"a\"; filename=\"f\"\r\n\r\n12345\r\n--b--";
    EXPECT_EQ(parse_multipart(long_file, "b", limits).at(0).body, "12345")
        << "files are bounded by the route";
}

// ---- the routes ----------------------------------------------------------------------------------------

struct SignedCms {
    Bytes good;
    Bytes tampered;
    Bytes anchor;
};

const SignedCms& signed_cms() {
    static const SignedCms s = [] {
        static inkan::testing::TempDir dir{"inkan-console-verify"};
        const auto r1 = inkan::testing::run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                             "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                                             (dir / "key.pem").string(), "-out", (dir / "cert.pem").string(),
                                             "-subj", "/CN=Console Verify Signer", "-days", "30"});
        EXPECT_EQ(r1.exit_code, 0) << inkan::testing::describe(r1);
        inkan::testing::write_file(dir / "data.txt", std::string_view{"検証してください: verify me\n"});
        const auto r2 = inkan::testing::run(
            {"openssl", "cms", "-sign", "-binary", "-nodetach", "-in", (dir / "data.txt").string(), "-signer",
             (dir / "cert.pem").string(), "-inkey", (dir / "key.pem").string(), "-outform", "DER", "-out",
             (dir / "a.p7s").string()});
        EXPECT_EQ(r2.exit_code, 0) << inkan::testing::describe(r2);
        SignedCms out;
        out.good = inkan::testing::read_file(dir / "a.p7s");
        out.anchor = pki::Certificate::from_pem(to_string(inkan::testing::read_file(dir / "cert.pem"))).der();
        out.tampered = out.good;
        const std::string needle = "verify me";  // ASCII: Bytes are unsigned, char may not be
        const auto at = std::search(out.tampered.begin(), out.tampered.end(), needle.begin(), needle.end());
        EXPECT_NE(at, out.tampered.end());
        if (at != out.tampered.end()) {
            *at ^= 0x01;  // one byte of the signed content
        }
        return out;
    }();
    return s;
}

struct Upload {
    std::string name;
    std::string filename;  ///< empty: a plain field
    std::string body;
};

std::string multipart(const std::vector<Upload>& parts) {
    std::string out;
    for (const auto& p : parts) {
        out += "--" + std::string{kBoundary} + "\r\nContent-Disposition: form-data; name=\"" + p.name + "\"" +
               (p.filename.empty()
                    ? ""
                    : "; filename=\"" + p.filename + "\"\r\nContent-Type: application/octet-stream") +
               "\r\n\r\n" + p.body + "\r\n";
    }
    return out + "--" + std::string{kBoundary} + "--\r\n";
}

class ConsoleRoutesTest : public ::testing::Test {
protected:
    ConsoleRoutesTest()
        : sessions_store{env.db},
          console{sessions_store, env.accounts, *env.authorization, env.audit, env.clock},
          admin{env.accounts,
                *env.authorization,
                env.audit,
                env.audit_store,
                env.users,
                env.credential_store,
                nullptr,
                nullptr,
                env.credentials.get()} {
        service::ValidationSettings settings;
        settings.work_dir = env.dir / "work";
        settings.max_document_bytes = 1024 * 1024;
        settings.trust_anchors = {signed_cms().anchor};
        validation = std::make_unique<service::Validation>(std::move(settings));
        add_console_routes(router, ConsoleDeps{console,
                                               admin,
                                               env.sessions,
                                               [this] { return status_now; },
                                               "",
                                               env.credentials.get(),
                                               validation.get(),
                                               &profiles,
                                               {"test-issuing", std::string{testing::kManualCa}},
                                               [this] { return env.root->der(); }});
        oper_seed = add("kanri", service::Role::Operator);
        audi_seed = add("kansa", service::Role::Auditor);
        env.add_user("yamada");
    }

    Bytes add(const std::string& name, service::Role role) {
        service::NewUser u;
        u.name = name;
        u.role = role;
        u.password = Secret{testing::password_of(name)};
        u.totp = true;
        return base32_decode(env.accounts.add_user(std::move(u)).totp_secret_base32.value_or(""));
    }

    /// A console session of `name` (the cookie) and its CSRF token.
    std::pair<std::string, std::string> session(const std::string& name, const Bytes& seed) {
        env.clock.advance(std::chrono::seconds{30});  // each TOTP step once
        const auto in = console.sign_in(name, Secret{testing::password_of(name)},
                                        Secret{service::totp_code(seed, env.clock.now())});
        return {"__Host-inkan-admin=" + std::string{in.session.reveal()},
                service::Console::csrf_token(in.session)};
    }

    http::Response call(const std::string& method, const std::string& target, std::string body,
                        testing::Headers headers) const {
        const auto q = target.find('?');
        const std::string path = target.substr(0, q);
        const auto resolution = router.resolve(method, path);
        if (resolution.kind != http::Router::Resolution::Kind::Found) {
            ADD_FAILURE() << method << " " << path << " is not routed";
            return http::Response::text(404, "not routed");
        }
        http::Request request;
        request.method = method;
        request.target = target;
        request.path = path;
        request.route = resolution.pattern;
        if (q != std::string::npos) {
            const std::string query = target.substr(q + 1);
            for (std::size_t at = 0; at < query.size();) {
                const auto amp = std::min(query.find('&', at), query.size());
                const std::string kv = query.substr(at, amp - at);
                const auto eq = kv.find('=');
                request.query.emplace(kv.substr(0, eq), eq == std::string::npos ? "" : kv.substr(eq + 1));
                at = amp + 1;
            }
        }
        request.body = std::move(body);
        for (auto& [n, v] : headers) {
            request.headers.add(std::move(n), std::move(v));
        }
        request.remote_address = "127.0.0.1";
        request.request_id = "test";
        request.listener = "api";
        return resolution.route->handler(request);
    }

    http::Response verify_page(const std::string& cookie, const std::vector<Upload>& parts,
                               testing::Headers extra = {}) const {
        testing::Headers h{{"Content-Type", "multipart/form-data; boundary=" + std::string{kBoundary}},
                           {"Cookie", cookie}};
        h.insert(h.end(), extra.begin(), extra.end());
        return call("POST", "/admin/verify", multipart(parts), std::move(h));
    }

    std::size_t audit_entries() const { return env.audit_store.all().size(); }

    /// The test clock's now, as `openssl verify -attime` takes it (seconds since the epoch).
    std::string at_clock() const {
        return std::to_string(
            std::chrono::duration_cast<std::chrono::seconds>(env.clock.now().time_since_epoch()).count() + 1);
    }

    /// A console form post (urlencoded) with the session cookie and, when given, the CSRF token.
    http::Response form(const std::string& path, const std::string& cookie, const std::string& csrf,
                        const std::vector<std::pair<std::string, std::string>>& fields) const {
        std::string body = csrf.empty() ? "" : "csrf=" + detail::percent_encode(csrf);
        for (const auto& [k, v] : fields) {
            body += (body.empty() ? "" : "&") + k + "=" + detail::percent_encode(v);
        }
        return call("POST", path, body,
                    {{"Content-Type", "application/x-www-form-urlencoded"}, {"Cookie", cookie}});
    }

    std::vector<std::string> members(const std::string& seal) const {
        std::vector<std::string> out;
        for (const auto& m : env.credentials->members(seal)) {
            out.push_back(env.accounts.find_by_id(m.user_id).value_or(service::User{}).name);
        }
        return out;
    }

    /// The audit entries of `action`: (operator, credential) of each.
    std::vector<std::pair<std::string, std::string>> audited(const std::string& action) const {
        std::vector<std::pair<std::string, std::string>> out;
        for (const auto& e : env.audit_store.all()) {
            if (e.event.action == action) {
                out.emplace_back(e.event.operator_name, e.event.credential_id);
            }
        }
        return out;
    }

    CscEnv env;
    pki::ProfileSet profiles = pki::ProfileSet::defaults();
    storage::SqliteConsoleSessionStore sessions_store;
    service::Console console;
    service::Administration admin;
    std::unique_ptr<service::Validation> validation;
    ConsoleStatus status_now;  ///< what the composition root's status function answers
    http::Router router;
    Bytes oper_seed, audi_seed;
};

TEST_F(ConsoleRoutesTest, AuditorVerifiesAGoodAndATamperedSignatureOnOnePage) {
    const auto [cookie, csrf] = session("kansa", audi_seed);
    const auto& s = signed_cms();
    const auto r = verify_page(cookie, {{"csrf", "", csrf},
                                        {"format", "", "page"},
                                        {"document", "契約書.p7s", to_string(s.good)},
                                        {"document", "改ざん.p7s", to_string(s.tampered)}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
    const auto good = r.body.find("契約書.p7s");
    const auto bad = r.body.find("改ざん.p7s");
    ASSERT_NE(good, std::string::npos) << r.body;
    ASSERT_NE(bad, std::string::npos) << r.body;
    const auto passed = r.body.find("data-indication=\"TOTAL-PASSED\"", good);
    EXPECT_LT(passed, bad) << "the first file's signature passes: " << r.body;
    EXPECT_NE(r.body.find("data-subindication=\"HASH_FAILURE\"", bad), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("CN=Console Verify Signer"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find(
                  "id=\"download-json\" download=\"inkan-report.json\" href=\"data:application/json;base64,"),
              std::string::npos)
        << r.body;
    EXPECT_NE(r.body.find("id=\"download-etsi\""), std::string::npos) << r.body;
    EXPECT_NE(r.headers.get("Content-Security-Policy").value_or("").find("default-src 'none'"),
              std::string::npos);
}

TEST_F(ConsoleRoutesTest, OperatorDownloadsTheJsonAndEtsiReports) {
    const auto [cookie, csrf] = session("kanri", oper_seed);
    const auto& s = signed_cms();
    const auto json = verify_page(
        cookie, {{"csrf", "", csrf}, {"format", "", "json"}, {"document", "a.p7s", to_string(s.good)}});
    ASSERT_EQ(json.status, 200) << json.body;
    EXPECT_EQ(json.content_type, "application/json");
    EXPECT_EQ(json.headers.get("Content-Disposition").value_or(""),
              "attachment; filename=\"inkan-report.json\"");
    const Json j = Json::parse(json.body, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << json.body;
    EXPECT_EQ(j["documents"][0]["file"], "a.p7s") << json.body;
    EXPECT_EQ(j["documents"][0]["signatures"][0]["indication"], "TOTAL-PASSED") << json.body;
    const auto etsi = verify_page(
        cookie, {{"csrf", "", csrf}, {"format", "", "etsi"}, {"document", "a.p7s", to_string(s.good)}});
    ASSERT_EQ(etsi.status, 200) << etsi.body;
    EXPECT_EQ(etsi.content_type, "application/xml; charset=utf-8");
    EXPECT_NE(etsi.body.find("http://uri.etsi.org/19102/v1.2.1#"), std::string::npos) << etsi.body;
    EXPECT_NE(etsi.body.find("total-passed"), std::string::npos) << etsi.body;
}

TEST_F(ConsoleRoutesTest, VerifyRefusesWithoutSessionCsrfOrOwnOrigin) {
    const auto [cookie, csrf] = session("kanri", oper_seed);
    const std::string doc = to_string(signed_cms().good);
    const std::size_t before = audit_entries();
    const auto no_session = verify_page("", {{"csrf", "", csrf}, {"document", "a.p7s", doc}});
    EXPECT_EQ(no_session.status, 401) << no_session.body;
    const auto no_csrf = verify_page(cookie, {{"document", "a.p7s", doc}});
    EXPECT_EQ(no_csrf.status, 403) << no_csrf.body;
    EXPECT_EQ(no_csrf.body.find("TOTAL-PASSED"), std::string::npos)
        << "refused before validating: " << no_csrf.body;
    const auto wrong_csrf = verify_page(cookie, {{"csrf", "", csrf + "x"}, {"document", "a.p7s", doc}});
    EXPECT_EQ(wrong_csrf.status, 403) << wrong_csrf.body;
    const auto foreign = verify_page(cookie, {{"csrf", "", csrf}, {"document", "a.p7s", doc}},
                                     {{"Origin", "https://evil.example"}});
    EXPECT_EQ(foreign.status, 403) << foreign.body;
    const auto cross = verify_page(cookie, {{"csrf", "", csrf}, {"document", "a.p7s", doc}},
                                   {{"Sec-Fetch-Site", "cross-site"}});
    EXPECT_EQ(cross.status, 403) << cross.body;
    EXPECT_EQ(audit_entries(), before) << "a refused verify records and changes nothing";
}

TEST_F(ConsoleRoutesTest, VerifyAnswersBadInputWith400) {
    const auto [cookie, csrf] = session("kanri", oper_seed);
    const std::string doc = to_string(signed_cms().good);
    const auto no_file = verify_page(cookie, {{"csrf", "", csrf}, {"document", "", ""}});
    EXPECT_EQ(no_file.status, 400) << no_file.body;
    const auto bad_format =
        verify_page(cookie, {{"csrf", "", csrf}, {"format", "", "pdf"}, {"document", "a.p7s", doc}});
    EXPECT_EQ(bad_format.status, 400) << bad_format.body;
    const auto unknown =
        verify_page(cookie, {{"csrf", "", csrf}, {"other", "", "x"}, {"document", "a.p7s", doc}});
    EXPECT_EQ(unknown.status, 400) << unknown.body;
    const auto twice =
        verify_page(cookie, {{"csrf", "", csrf}, {"csrf", "", csrf}, {"document", "a.p7s", doc}});
    EXPECT_EQ(twice.status, 400) << twice.body;
    const auto truncated = call(
        "POST", "/admin/verify", multipart({{"csrf", "", csrf}}).substr(0, 60),
        {{"Content-Type", "multipart/form-data; boundary=" + std::string{kBoundary}}, {"Cookie", cookie}});
    EXPECT_EQ(truncated.status, 400) << truncated.body;
    EXPECT_NE(truncated.body.find("multipart/form-data"), std::string::npos) << truncated.body;
    const auto urlencoded = call("POST", "/admin/verify", "csrf=" + csrf,
                                 {{"Content-Type", "application/x-www-form-urlencoded"}, {"Cookie", cookie}});
    EXPECT_EQ(urlencoded.status, 400) << urlencoded.body;
    const auto not_signature =
        verify_page(cookie, {{"csrf", "", csrf}, {"document", "note.txt", "not a signature"}});
    EXPECT_EQ(not_signature.status, 200) << "a file that is no signature is a report, not a failure";
    EXPECT_NE(not_signature.body.find("class=\"bad error\""), std::string::npos) << not_signature.body;
}

TEST_F(ConsoleRoutesTest, VerifyRoutesHaveTheirOwnBodyLimit) {
    for (const std::string path : {"/admin/verify", "/inkan/v1/admin/verify"}) {
        const auto resolution = router.resolve("POST", path);
        ASSERT_EQ(resolution.kind, http::Router::Resolution::Kind::Found) << path;
        EXPECT_EQ(resolution.route->max_body_bytes, 1024U * 1024U + 64U * 1024U) << path;
    }
    EXPECT_EQ(router.resolve("POST", "/admin/users/lock").route->max_body_bytes, 4096U);
}

TEST_F(ConsoleRoutesTest, AdminApiVerifyTakesOperatorOrAuditorTokens) {
    const std::string body = multipart({{"document", "a.p7s", to_string(signed_cms().good)},
                                        {"document", "b.p7s", to_string(signed_cms().tampered)}});
    const std::string type = "multipart/form-data; boundary=" + std::string{kBoundary};
    const auto token_of = [&](const std::string& name) {
        return testing::bearer(
            env.sessions.login(name, Secret{testing::password_of(name)}, false).access_token);
    };
    const auto r = call("POST", "/inkan/v1/admin/verify", body,
                        {{"Content-Type", type}, {"Authorization", token_of("kansa")}});
    ASSERT_EQ(r.status, 200) << r.body;
    const Json j = Json::parse(r.body, nullptr, false);
    ASSERT_EQ(j["documents"].size(), 2U) << r.body;
    EXPECT_EQ(j["documents"][0]["signatures"][0]["indication"], "TOTAL-PASSED") << r.body;
    EXPECT_EQ(j["documents"][1]["signatures"][0]["subindication"], "HASH_FAILURE") << r.body;
    EXPECT_EQ(r.headers.get("Cache-Control").value_or(""), "no-store");
    const auto etsi = call("POST", "/inkan/v1/admin/verify?format=etsi", body,
                           {{"Content-Type", type}, {"Authorization", token_of("kanri")}});
    ASSERT_EQ(etsi.status, 200) << etsi.body;
    EXPECT_EQ(etsi.content_type, "application/xml; charset=utf-8");

    const auto signer = call("POST", "/inkan/v1/admin/verify", body,
                             {{"Content-Type", type}, {"Authorization", token_of("yamada")}});
    EXPECT_EQ(signer.status, 403) << signer.body;
    const auto none = call("POST", "/inkan/v1/admin/verify", body, {{"Content-Type", type}});
    EXPECT_EQ(none.status, 401) << none.body;
    const auto malformed = call("POST", "/inkan/v1/admin/verify", body.substr(0, body.size() - 8),
                                {{"Content-Type", type}, {"Authorization", token_of("kanri")}});
    EXPECT_EQ(malformed.status, 400) << malformed.body;
    EXPECT_EQ(Json::parse(malformed.body, nullptr, false).value("error", ""), "invalid_request")
        << malformed.body;
    const auto bad_format = call("POST", "/inkan/v1/admin/verify?format=html", body,
                                 {{"Content-Type", type}, {"Authorization", token_of("kanri")}});
    EXPECT_EQ(bad_format.status, 400) << bad_format.body;
    const auto [cookie, csrf] = session("kanri", oper_seed);
    const auto cookie_no_csrf =
        call("POST", "/inkan/v1/admin/verify", body, {{"Content-Type", type}, {"Cookie", cookie}});
    EXPECT_EQ(cookie_no_csrf.status, 403) << cookie_no_csrf.body;
    const auto cookie_csrf = call("POST", "/inkan/v1/admin/verify", body,
                                  {{"Content-Type", type}, {"Cookie", cookie}, {"X-CSRF-Token", csrf}});
    EXPECT_EQ(cookie_csrf.status, 200) << cookie_csrf.body;
}

TEST_F(ConsoleRoutesTest, ServicePageShowsTheTokensPinSessionsAndKeyCounts) {
    status_now.token_state = "ok";
    status_now.token_pin = "count_low";
    status_now.token_sessions = 3;
    status_now.token_max_sessions = 16;
    status_now.token_keys = {{"private-key EC", 7}, {"secret-key AES", 1}};
    const auto [cookie, csrf] = session("kansa", audi_seed);
    const auto page = call("GET", "/admin/service", "", {{"Cookie", cookie}});
    ASSERT_EQ(page.status, 200) << page.body;
    EXPECT_NE(page.body.find("<dd id=\"token-pin\">count_low</dd>"), std::string::npos) << page.body;
    EXPECT_NE(page.body.find("<dd id=\"token-sessions\">3 / 16</dd>"), std::string::npos) << page.body;
    EXPECT_NE(page.body.find("data-kind=\"private-key EC\">private-key EC: <span class=\"count\">7</span>"),
              std::string::npos)
        << page.body;
    const auto api =
        call("GET", "/inkan/v1/admin/service", "",
             {{"Authorization",
               testing::bearer(
                   env.sessions.login("kansa", Secret{testing::password_of("kansa")}, false).access_token)}});
    ASSERT_EQ(api.status, 200) << api.body;
    const Json token = Json::parse(api.body)["token"];
    EXPECT_EQ(token["keys"], (Json{{"private-key EC", 7}, {"secret-key AES", 1}})) << api.body;
    EXPECT_EQ(token["sessions"], 3) << api.body;
    // A token that does not answer shows no counts (they would be stale or made up).
    status_now.token_state = "hsm_failure";
    const auto down = call("GET", "/admin/service", "", {{"Cookie", cookie}});
    EXPECT_EQ(down.body.find("token-keys"), std::string::npos) << down.body;
}

using Audited = std::vector<std::pair<std::string, std::string>>;

TEST_F(ConsoleRoutesTest, SealMembersAreAddedAndRemovedByOperatorsOnlyAndAudited) {
    env.add_user("suzuki");
    const service::Credential seal = env.add_seal("yamada");
    const auto [audi_cookie, audi_csrf] = session("kansa", audi_seed);
    const auto [cookie, csrf] = session("kanri", oper_seed);
    const std::vector<std::pair<std::string, std::string>> fields{{"id", seal.id}, {"user", "suzuki"}};

    const auto auditor = form("/admin/credentials/members/add", audi_cookie, audi_csrf, fields);
    EXPECT_EQ(auditor.status, 403) << auditor.body;
    const auto no_csrf = form("/admin/credentials/members/add", cookie, "", fields);
    EXPECT_EQ(no_csrf.status, 403) << no_csrf.body;
    const auto unknown =
        form("/admin/credentials/members/add", cookie, csrf, {{"id", seal.id}, {"user", "nobody"}});
    EXPECT_EQ(unknown.status, 400) << unknown.body;
    EXPECT_EQ(members(seal.id), std::vector<std::string>{"yamada"})
        << "no refused request may change the seal";
    EXPECT_EQ(audited("seal.add_member"), Audited{});

    const auto added = form("/admin/credentials/members/add", cookie, csrf, fields);
    ASSERT_EQ(added.status, 200) << added.body;
    const auto pin_at = added.body.find("id=\"member-pin\">");
    ASSERT_NE(pin_at, std::string::npos) << added.body;
    const std::string pin = added.body.substr(pin_at + 16, 6);
    EXPECT_TRUE(std::all_of(pin.begin(), pin.end(), [](char c) { return c >= '0' && c <= '9'; })) << pin;
    EXPECT_EQ(members(seal.id), (std::vector<std::string>{"yamada", "suzuki"}));
    EXPECT_EQ(audited("seal.add_member"), (Audited{{"kanri", seal.id}}));
    const auto again = form("/admin/credentials/members/add", cookie, csrf, fields);
    EXPECT_EQ(again.status, 400) << "already a member: " << again.body;

    const auto auditor_remove = form("/admin/credentials/members/remove", audi_cookie, audi_csrf, fields);
    EXPECT_EQ(auditor_remove.status, 403) << auditor_remove.body;
    EXPECT_EQ(members(seal.id).size(), 2U);
    const auto removed = form("/admin/credentials/members/remove", cookie, csrf, fields);
    EXPECT_EQ(removed.status, 303) << removed.body;
    EXPECT_EQ(members(seal.id), std::vector<std::string>{"yamada"});
    EXPECT_EQ(audited("seal.remove_member"), (Audited{{"kanri", seal.id}}));

    // The credentials page lists the members and offers the forms (to auditors too).
    const auto page = call("GET", "/admin/credentials", "", {{"Cookie", audi_cookie}});
    ASSERT_EQ(page.status, 200) << page.body;
    EXPECT_NE(page.body.find("data-member=\"yamada\""), std::string::npos) << page.body;
    EXPECT_NE(page.body.find("id=\"add-member-" + seal.id + "\""), std::string::npos) << page.body;
}

TEST_F(ConsoleRoutesTest, RevokeNeedsAnOperatorAReasonAndIsAudited) {
    const service::Credential cred = env.add_credential("yamada");
    const auto [audi_cookie, audi_csrf] = session("kansa", audi_seed);
    const auto [cookie, csrf] = session("kanri", oper_seed);
    const auto status = [&] { return env.credentials->get(cred.id).status; };

    EXPECT_EQ(form("/admin/credentials/revoke", audi_cookie, audi_csrf,
                   {{"id", cred.id}, {"reason", "keyCompromise"}})
                  .status,
              403);
    EXPECT_EQ(
        form("/admin/credentials/revoke", cookie, "", {{"id", cred.id}, {"reason", "keyCompromise"}}).status,
        403);
    const auto bad_reason =
        form("/admin/credentials/revoke", cookie, csrf, {{"id", cred.id}, {"reason", "because"}});
    EXPECT_EQ(bad_reason.status, 400) << bad_reason.body;
    EXPECT_EQ(
        form("/admin/credentials/revoke", cookie, csrf, {{"id", "no-such-id"}, {"reason", "superseded"}})
            .status,
        400);
    EXPECT_EQ(status(), service::CredentialStatus::Active) << "no refused request may revoke";
    EXPECT_EQ(audited("credential.revoke"), Audited{});

    const auto revoked =
        form("/admin/credentials/revoke", cookie, csrf, {{"id", cred.id}, {"reason", "keyCompromise"}});
    EXPECT_EQ(revoked.status, 303) << revoked.body;
    EXPECT_EQ(status(), service::CredentialStatus::Disabled);
    EXPECT_EQ(audited("credential.revoke"), (Audited{{"kanri", cred.id}}));
    const auto entries = env.audit_store.all();
    EXPECT_NE(entries.back().event.details.find("\"keyCompromise\""), std::string::npos)
        << entries.back().event.details;
    const auto twice =
        form("/admin/credentials/revoke", cookie, csrf, {{"id", cred.id}, {"reason", "keyCompromise"}});
    EXPECT_EQ(twice.status, 400) << "already disabled: " << twice.body;
}

TEST_F(ConsoleRoutesTest, AdminApiCredentialChangesNeedAnOperatorToken) {
    const service::Credential seal = env.add_seal("yamada");
    env.add_user("suzuki");
    const auto token_of = [&](const std::string& name) {
        return testing::bearer(
            env.sessions.login(name, Secret{testing::password_of(name)}, false).access_token);
    };
    const auto post = [&](const std::string& path, const Json& body, const std::string& who) {
        return call("POST", "/inkan/v1/admin/" + path, body.dump(),
                    {{"Content-Type", "application/json"}, {"Authorization", token_of(who)}});
    };
    const Json add{{"id", seal.id}, {"user", "suzuki"}};
    EXPECT_EQ(post("credentials/members/add", add, "kansa").status, 403);
    EXPECT_EQ(post("credentials/members/add", add, "yamada").status, 403);
    EXPECT_EQ(post("credentials/members/add", Json{{"id", seal.id}}, "kanri").status, 400);
    EXPECT_EQ(members(seal.id), std::vector<std::string>{"yamada"});
    const auto added = post("credentials/members/add", add, "kanri");
    ASSERT_EQ(added.status, 201) << added.body;
    EXPECT_EQ(Json::parse(added.body)["pin"].get<std::string>().size(), 6U) << added.body;
    EXPECT_EQ(post("credentials/members/remove", add, "kanri").status, 200);
    EXPECT_EQ(members(seal.id), std::vector<std::string>{"yamada"});
    EXPECT_EQ(post("credentials/revoke", Json{{"id", seal.id}, {"reason", "superseded"}}, "kansa").status,
              403);
    EXPECT_EQ(env.credentials->get(seal.id).status, service::CredentialStatus::Active);
    const auto revoked = post("credentials/revoke", Json{{"id", seal.id}, {"reason", "superseded"}}, "kanri");
    EXPECT_EQ(revoked.status, 200) << revoked.body;
    EXPECT_EQ(env.credentials->get(seal.id).status, service::CredentialStatus::Disabled);
    EXPECT_EQ(audited("credential.revoke"), (Audited{{"kanri", seal.id}}));
}

// ---- creating credentials, their CSRs and certificates (a manual CA) -----------------------------------

/// What `openssl` says about a PEM file it is given (exit code and output).
inkan::testing::CommandResult openssl(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"openssl"};
    argv.insert(argv.end(), args.begin(), args.end());
    return inkan::testing::run(argv);
}

/// The text between `id="<id>">` and the next '<' of a page.
std::string element_text(const std::string& page, const std::string& id) {
    const std::string open = "id=\"" + id + "\">";
    const auto at = page.find(open);
    if (at == std::string::npos) {
        return {};
    }
    const auto begin = at + open.size();
    return page.substr(begin, page.find('<', begin) - begin);
}

std::string unescape(std::string text) {
    static const std::vector<std::pair<std::string, std::string>> entities{
        {"&quot;", "\""}, {"&#39;", "'"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}};
    for (const auto& [from, to] : entities) {
        for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
            text.replace(at, from.size(), to);
        }
    }
    return text;
}

TEST_F(ConsoleRoutesTest, OperatorCreatesACredentialDownloadsItsCsrAndUploadsItsCertificate) {
    const auto [audi_cookie, audi_csrf] = session("kansa", audi_seed);
    const auto [cookie, csrf] = session("kanri", oper_seed);
    const std::vector<std::pair<std::string, std::string>> fields{{"profile", "person"},
                                                                  {"owner", "yamada"},
                                                                  {"algo", "ec-p256"},
                                                                  {"ca", std::string{testing::kManualCa}},
                                                                  {"scal", "2"},
                                                                  {"multisign", "1"},
                                                                  {"auth_mode", "explicit"},
                                                                  {"signature_qualifier", ""},
                                                                  {"description", "山田の署名鍵"}};
    const auto count = [&] { return env.credentials->list().size(); };

    // Auditors, forms without the token, and bad fields change nothing.
    EXPECT_EQ(form("/admin/credentials/create", audi_cookie, audi_csrf, fields).status, 403);
    EXPECT_EQ(form("/admin/credentials/create", cookie, "", fields).status, 403);
    auto bad = fields;
    bad[2].second = "dsa-1024";
    EXPECT_EQ(form("/admin/credentials/create", cookie, csrf, bad).status, 400);
    bad = fields;
    bad[0].second = "tsa";
    EXPECT_EQ(form("/admin/credentials/create", cookie, csrf, bad).status, 400) << "not a person or seal";
    bad = fields;
    bad[1].second = "nobody";
    EXPECT_EQ(form("/admin/credentials/create", cookie, csrf, bad).status, 400);
    EXPECT_EQ(count(), 0U);
    EXPECT_EQ(audited("credential.create"), Audited{});

    const auto created = form("/admin/credentials/create", cookie, csrf, fields);
    ASSERT_EQ(created.status, 200) << created.body;
    ASSERT_EQ(count(), 1U);
    const service::Credential cred = env.credentials->list().front();
    EXPECT_EQ(element_text(created.body, "created-credential"), cred.id);
    EXPECT_EQ(element_text(created.body, "created-status"), "pending");
    EXPECT_EQ(cred.status, service::CredentialStatus::Pending);
    EXPECT_EQ(cred.ca, testing::kManualCa);
    EXPECT_EQ(cred.description, "山田の署名鍵");
    EXPECT_EQ(element_text(created.body, "created-pin").size(), 6U) << "the owner's PIN, shown once";
    EXPECT_EQ(audited("credential.create"), (Audited{{"kanri", cred.id}}));
    const std::string first_csr = unescape(element_text(created.body, "csr"));
    ASSERT_NE(first_csr.find("-----BEGIN CERTIFICATE REQUEST-----"), std::string::npos) << created.body;
    EXPECT_NE(created.body.find("id=\"upload-" + cred.id + "\""), std::string::npos);

    // The CSR again, signed by the HSM key: operators only, checked by openssl.
    EXPECT_EQ(form("/admin/credentials/csr", audi_cookie, audi_csrf, {{"id", cred.id}}).status, 403);
    EXPECT_EQ(form("/admin/credentials/csr", cookie, "", {{"id", cred.id}}).status, 403);
    const auto csr = form("/admin/credentials/csr", cookie, csrf, {{"id", cred.id}});
    ASSERT_EQ(csr.status, 200) << csr.body;
    EXPECT_EQ(csr.content_type, "application/pkcs10");
    EXPECT_EQ(csr.headers.get("Content-Disposition").value_or(""),
              "attachment; filename=\"" + cred.id + ".csr\"");
    EXPECT_EQ(audited("credential.csr"), (Audited{{"kanri", cred.id}}));
    inkan::testing::write_file(env.dir / "again.csr", csr.body);
    inkan::testing::write_file(env.dir / "first.csr", first_csr);
    for (const std::string file : {"again.csr", "first.csr"}) {
        const auto v = openssl({"req", "-verify", "-noout", "-in", (env.dir / file).string()});
        EXPECT_EQ(v.exit_code, 0) << file << ": " << inkan::testing::describe(v);
    }
    const auto key_of = [&](const std::string& file) {
        return openssl({"req", "-pubkey", "-noout", "-in", (env.dir / file).string()}).out;
    };
    EXPECT_EQ(key_of("again.csr"), key_of("first.csr")) << "the same HSM key";
    const auto subject = openssl(
        {"req", "-subject", "-noout", "-nameopt", "RFC2253", "-in", (env.dir / "again.csr").string()});
    EXPECT_NE(subject.out.find("CN=yamada Example"), std::string::npos) << subject.out;

    // The CA issues (the test's built-in CA stands in for the manual one).
    const auto issued =
        env.builtin->enrol(pki::EnrolmentRequest{pki::Csr::from_pem(csr.body).der(), "person"});
    ASSERT_EQ(issued.chain.size(), 3U);
    const std::string chain_pem = pki::certificates_pem({issued.chain[0], issued.chain[1]});

    // Uploads: auditors, no token, another key's certificate, and garbage are refused; nothing changes.
    const auto upload = [&](const std::string& c, const std::string& token, const std::string& pem) {
        return call(
            "POST", "/admin/credentials/certificate",
            multipart({{"csrf", "", token}, {"id", "", cred.id}, {"certificate", "cert.pem", pem}}),
            {{"Content-Type", "multipart/form-data; boundary=" + std::string{kBoundary}}, {"Cookie", c}});
    };
    EXPECT_EQ(upload(audi_cookie, audi_csrf, chain_pem).status, 403);
    EXPECT_EQ(upload(cookie, "", chain_pem).status, 403);
    const service::Credential other = env.add_credential("yamada");
    EXPECT_EQ(upload(cookie, csrf, pki::certificates_pem(other.chain)).status, 400) << "another key";
    EXPECT_EQ(upload(cookie, csrf, "not a certificate").status, 400);
    EXPECT_EQ(env.credentials->get(cred.id).status, service::CredentialStatus::Pending);
    EXPECT_EQ(audited("credential.import_cert"), Audited{});

    const auto imported = upload(cookie, csrf, chain_pem);
    ASSERT_EQ(imported.status, 200) << imported.body;
    EXPECT_EQ(element_text(imported.body, "imported-status"), "active");
    EXPECT_EQ(env.credentials->get(cred.id).status, service::CredentialStatus::Active);
    EXPECT_EQ(audited("credential.import_cert"), (Audited{{"kanri", cred.id}}));
    EXPECT_EQ(upload(cookie, csrf, chain_pem).status, 400) << "active: no second certificate";
    EXPECT_EQ(form("/admin/credentials/csr", cookie, csrf, {{"id", cred.id}}).status, 400)
        << "no CSR once the certificate is there";

    // The stored chain, as openssl sees it: the leaf chains to the root through the issuing CA.
    const auto stored = env.credentials->get(cred.id).chain;
    ASSERT_EQ(stored.size(), 3U);
    inkan::testing::write_file(env.dir / "leaf.pem", pki::certificates_pem({stored[0]}));
    inkan::testing::write_file(env.dir / "issuing.pem", pki::certificates_pem({stored[1]}));
    inkan::testing::write_file(env.dir / "root.pem", pki::certificates_pem({stored[2]}));
    // At the test's clock (each session moved it on): the certificate's notBefore is that clock's now.
    const auto verified =
        openssl({"verify", "-attime", at_clock(), "-CAfile", (env.dir / "root.pem").string(), "-untrusted",
                 (env.dir / "issuing.pem").string(), (env.dir / "leaf.pem").string()});
    EXPECT_EQ(verified.exit_code, 0) << inkan::testing::describe(verified);
}

TEST_F(ConsoleRoutesTest, CreateFormIsOnTheCredentialsPageInBothLanguages) {
    const auto [cookie, csrf] = session("kansa", audi_seed);
    const auto en = call("GET", "/admin/credentials?lang=en", "", {{"Cookie", cookie}});
    ASSERT_EQ(en.status, 200) << en.body;
    EXPECT_NE(en.body.find("Create a credential"), std::string::npos);
    EXPECT_NE(en.body.find("<option value=\"manual-ca\">"), std::string::npos) << en.body;
    EXPECT_NE(en.body.find("<option value=\"seal\">"), std::string::npos) << en.body;
    EXPECT_EQ(en.body.find("<option value=\"tsa\">"), std::string::npos) << "person and seal profiles only";
    const auto ja = call("GET", "/admin/credentials?lang=ja", "", {{"Cookie", cookie}});
    EXPECT_NE(ja.body.find("クレデンシャルを作成"), std::string::npos);
    EXPECT_NE(ja.body.find("鍵アルゴリズム"), std::string::npos);
}

TEST_F(ConsoleRoutesTest, AdminApiCreatesCredentialsAndTakesTheirCertificates) {
    const auto token_of = [&](const std::string& name) {
        return testing::bearer(
            env.sessions.login(name, Secret{testing::password_of(name)}, false).access_token);
    };
    const auto post = [&](const std::string& path, const Json& body, const std::string& who) {
        return call("POST", "/inkan/v1/admin/" + path, body.dump(),
                    {{"Content-Type", "application/json"}, {"Authorization", token_of(who)}});
    };
    const Json personal{{"owner", "yamada"}, {"algo", "rsa-2048"}, {"scal", 1}};
    EXPECT_EQ(post("credentials", personal, "kansa").status, 403);
    EXPECT_EQ(post("credentials", personal, "yamada").status, 403);
    EXPECT_EQ(post("credentials", Json{{"owner", "yamada"}, {"scal", "2"}}, "kanri").status, 400)
        << "scal is a number";
    EXPECT_TRUE(env.credentials->list().empty());

    // At the built-in CA: issued at once, no CSR.
    const auto active = post("credentials", personal, "kanri");
    ASSERT_EQ(active.status, 201) << active.body;
    const Json a = Json::parse(active.body);
    EXPECT_EQ(a["credential"]["status"], "active");
    EXPECT_EQ(a["credential"]["key_algo"], "rsa-2048");
    EXPECT_EQ(a["credential"]["scal"], 1);
    EXPECT_EQ(a["pin"].get<std::string>().size(), 6U);
    EXPECT_FALSE(a.contains("csr_pem"));
    const auto chain = env.credentials->get(a["credential"]["id"].get<std::string>()).chain;
    ASSERT_EQ(chain.size(), 3U);
    inkan::testing::write_file(env.dir / "a-leaf.pem", pki::certificates_pem({chain[0]}));
    inkan::testing::write_file(env.dir / "a-issuing.pem", pki::certificates_pem({chain[1]}));
    inkan::testing::write_file(env.dir / "a-root.pem", pki::certificates_pem({chain[2]}));
    const auto v =
        openssl({"verify", "-attime", at_clock(), "-CAfile", (env.dir / "a-root.pem").string(), "-untrusted",
                 (env.dir / "a-issuing.pem").string(), (env.dir / "a-leaf.pem").string()});
    EXPECT_EQ(v.exit_code, 0) << inkan::testing::describe(v);

    // A seal at the manual CA: its CSR now, and again (with the organisation identifier it needs).
    const Json seal{{"profile", "seal"},
                    {"organization", "Example KK"},
                    {"organization_identifier", "NTRJP-1234567890123"},
                    {"ca", testing::kManualCa},
                    {"auth_mode", "explicit"}};
    const auto pending = post("credentials", seal, "kanri");
    ASSERT_EQ(pending.status, 201) << pending.body;
    const Json p = Json::parse(pending.body);
    const std::string id = p["credential"]["id"].get<std::string>();
    EXPECT_EQ(p["credential"]["status"], "pending");
    EXPECT_EQ(p["credential"]["kind"], "seal");
    EXPECT_FALSE(p.contains("pin")) << "a seal's members get their PINs";
    ASSERT_TRUE(p.contains("csr_pem"));
    EXPECT_EQ(post("credentials/csr", Json{{"id", id}}, "kanri").status, 400) << "no organisation identifier";
    EXPECT_EQ(
        post("credentials/csr", Json{{"id", id}, {"organization_identifier", "NTRJP-1234567890123"}}, "kansa")
            .status,
        403);
    const auto again = post("credentials/csr",
                            Json{{"id", id}, {"organization_identifier", "NTRJP-1234567890123"}}, "kanri");
    ASSERT_EQ(again.status, 200) << again.body;
    const std::string csr_pem = Json::parse(again.body)["csr_pem"].get<std::string>();
    inkan::testing::write_file(env.dir / "seal.csr", csr_pem);
    const auto checked = openssl({"req", "-verify", "-noout", "-in", (env.dir / "seal.csr").string()});
    EXPECT_EQ(checked.exit_code, 0) << inkan::testing::describe(checked);
    const auto subject =
        openssl({"req", "-subject", "-noout", "-nameopt", "RFC2253", "-in", (env.dir / "seal.csr").string()});
    EXPECT_NE(subject.out.find("NTRJP-1234567890123"), std::string::npos) << subject.out;

    const auto issued = env.builtin->enrol(pki::EnrolmentRequest{pki::Csr::from_pem(csr_pem).der(), "seal"});
    const Json upload{{"id", id}, {"chain_pem", pki::certificates_pem({issued.chain[0], issued.chain[1]})}};
    EXPECT_EQ(post("credentials/certificate", upload, "kansa").status, 403);
    EXPECT_EQ(env.credentials->get(id).status, service::CredentialStatus::Pending);
    const auto imported = post("credentials/certificate", upload, "kanri");
    ASSERT_EQ(imported.status, 200) << imported.body;
    EXPECT_EQ(Json::parse(imported.body)["credential"]["status"], "active");
    EXPECT_EQ(env.credentials->get(id).status, service::CredentialStatus::Active);
    EXPECT_EQ(audited("credential.create").size(), 2U);
    EXPECT_EQ(audited("credential.import_cert"), (Audited{{"kanri", id}}));
}

TEST_F(ConsoleRoutesTest, RolesAreChangedByOperatorsOnlyNotTheirOwnAndAudited) {
    const auto [audi_cookie, audi_csrf] = session("kansa", audi_seed);
    const auto [cookie, csrf] = session("kanri", oper_seed);
    const auto role_of = [&](const std::string& name) { return env.accounts.get_by_name(name).role; };

    EXPECT_EQ(
        form("/admin/users/role", audi_cookie, audi_csrf, {{"name", "yamada"}, {"role", "operator"}}).status,
        403);
    EXPECT_EQ(form("/admin/users/role", cookie, "", {{"name", "yamada"}, {"role", "operator"}}).status, 403);
    EXPECT_EQ(form("/admin/users/role", cookie, csrf, {{"name", "yamada"}, {"role", "root"}}).status, 400);
    EXPECT_EQ(form("/admin/users/role", cookie, csrf, {{"name", "nobody"}, {"role", "auditor"}}).status, 400);
    EXPECT_EQ(form("/admin/users/role", cookie, csrf, {{"name", "kanri"}, {"role", "user"}}).status, 400)
        << "not one's own";
    EXPECT_EQ(role_of("yamada"), service::Role::User);
    EXPECT_EQ(role_of("kanri"), service::Role::Operator);
    EXPECT_EQ(audited("user.role"), Audited{});

    const auto changed = form("/admin/users/role", cookie, csrf, {{"name", "yamada"}, {"role", "auditor"}});
    EXPECT_EQ(changed.status, 303) << changed.body;
    EXPECT_EQ(role_of("yamada"), service::Role::Auditor);
    EXPECT_EQ(audited("user.role"), (Audited{{"kanri", ""}}));
    const auto entries = env.audit_store.all();
    EXPECT_EQ(entries.back().event.user_id, env.accounts.get_by_name("yamada").id);
    const Json details = Json::parse(entries.back().event.details);
    EXPECT_EQ(details["was"], "user");
    EXPECT_EQ(details["role"], "auditor");
    const auto page = call("GET", "/admin/users", "", {{"Cookie", cookie}});
    EXPECT_NE(page.body.find("id=\"setrole-yamada\""), std::string::npos) << page.body;
    EXPECT_NE(page.body.find("<option value=\"auditor\" selected>"), std::string::npos);

    // The auditor made a user: its live session ends at its next request.
    EXPECT_EQ(form("/admin/users/role", cookie, csrf, {{"name", "kansa"}, {"role", "user"}}).status, 303);
    const auto after = call("GET", "/admin/audit", "", {{"Cookie", audi_cookie}});
    EXPECT_EQ(after.status, 303) << after.body;
    EXPECT_EQ(after.headers.get("Location").value_or(""), "/admin/login");

    // The JSON API: an operator's token only.
    const auto token_of = [&](const std::string& name) {
        return testing::bearer(
            env.sessions.login(name, Secret{testing::password_of(name)}, false).access_token);
    };
    const auto post = [&](const Json& body, const std::string& who) {
        return call("POST", "/inkan/v1/admin/users/role", body.dump(),
                    {{"Content-Type", "application/json"}, {"Authorization", token_of(who)}});
    };
    EXPECT_EQ(post(Json{{"name", "yamada"}, {"role", "operator"}}, "yamada").status, 403)
        << "an auditor's token";
    EXPECT_EQ(post(Json{{"name", "yamada"}}, "kanri").status, 400);
    const auto api = post(Json{{"name", "yamada"}, {"role", "operator"}}, "kanri");
    ASSERT_EQ(api.status, 200) << api.body;
    EXPECT_EQ(Json::parse(api.body)["user"]["role"], "operator");
    EXPECT_EQ(role_of("yamada"), service::Role::Operator);
    EXPECT_EQ(audited("user.role").size(), 3U);
}

}  // namespace
}  // namespace inkan::api
