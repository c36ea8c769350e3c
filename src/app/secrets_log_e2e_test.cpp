// Secrets never reach a log, an audit entry or an error body (issue 20; threat-model.md): one session
// against `inkan serve` with debug logging and the access log on — a wrong password, logins with
// rememberMe and a refresh, a wrong PIN, a wrong and a right one-time code, an authorisation, signHash,
// signDoc, a system client's client_credentials token, revocation — and then every byte the server wrote
// (stdout and stderr), the whole audit log and every error body are searched for each secret of the
// session: passwords (right and wrong), PINs (right and wrong), one-time codes, the TOTP seed, access and
// refresh tokens, the SAD and the client secret.

#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
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
using inkan::testing::describe;
using inkan::testing::run;
using inkan::testing::TempDir;
using nlohmann::json;

namespace {

struct Secret {
    std::string what;
    std::string value;
};

/// Where `value` occurs in `text` as a whole token (a six-digit code inside a longer number is not it).
bool contains_token(const std::string& text, const std::string& value) {
    for (auto at = text.find(value); at != std::string::npos; at = text.find(value, at + 1)) {
        const auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
        const bool left = at == 0 || !alnum(text[at - 1]);
        const bool right = at + value.size() == text.size() || !alnum(text[at + value.size()]);
        if (left && right) {
            return true;
        }
    }
    return false;
}

TEST(SecretsLogE2e, NoSecretOfAWholeSessionReachesTheLogsTheAuditOrAnErrorBody) {
    TempDir tmp{"inkan-secrets-e2e"};
    const fs::path data = tmp / "data";
    const auto init = run({INKAN_BIN, "init", "--data", data.string(), "--json"});
    ASSERT_EQ(init.exit_code, 0) << describe(init);
    const json init_json = json::parse(init.out);
    const auto demo = [&](const char* f) { return init_json["demo"][f].get<std::string>(); };
    const std::string cacert = init_json["tls_ca"].get<std::string>();

    // Long, distinctive values, so that a match is a leak and not a coincidence.
    const std::string pin = "73915046218";
    const std::string wrong_pin = "86420135797";
    const std::string wrong_password = "not-the-password-Qx7Lm2Vz";
    const auto cred = run({INKAN_BIN, "credential", "create", "--data", data.string(), "--user", "demo",
                           "--scal", "2", "--multisign", "2", "--pin-stdin", "--json"},
                          pin + "\n");
    ASSERT_EQ(cred.exit_code, 0) << describe(cred);
    const std::string credential = json::parse(cred.out)["credential"]["id"].get<std::string>();
    const auto seal =
        run({INKAN_BIN, "credential", "create", "--data", data.string(), "--profile", "seal",
             "--organization", "Example KK", "--org-id", "NTRJP-1234567890123", "--scal", "1", "--json"});
    ASSERT_EQ(seal.exit_code, 0) << describe(seal);
    const auto client = run({INKAN_BIN, "client", "add", "sealer", "--seal",
                             json::parse(seal.out)["credential"]["id"].get<std::string>(), "--json", "--data",
                             data.string()});
    ASSERT_EQ(client.exit_code, 0) << describe(client);
    const json client_json = json::parse(client.out);

    std::vector<Secret> secrets{{"password", demo("password")},
                                {"wrong password", wrong_password},
                                {"PIN", pin},
                                {"wrong PIN", wrong_pin},
                                {"demo PIN", demo("pin")},
                                {"TOTP seed", demo("totp_secret")},
                                {"client secret", client_json["client_secret"].get<std::string>()}};

    inkan::testing::Process server{
        {INKAN_BIN, "serve", "--data", data.string(), "--api-listen", "127.0.0.1:0", "--pki-listen",
         "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"},
        {"INKAN_LOG_LEVEL=debug", "INKAN_HTTP_ACCESS_LOG=true"}};
    std::string server_stdout = server.read_line(std::chrono::seconds{60});
    const std::string api = json::parse(server_stdout)["api_url"].get<std::string>();

    std::vector<HttpResult> errors;  // every refusal's body is searched too
    const auto call = [&](std::vector<std::string> args, int expected) {
        const auto r = curl_status(cacert, "60", args);
        EXPECT_EQ(r.status, expected) << r.raw;
        if (r.status >= 400) {
            errors.push_back(r);
        }
        return r;
    };
    const auto post = [&](const std::string& path, const json& body, const std::string& bearer,
                          int expected) {
        return call({"-X", "POST", "-H", "Content-Type: application/json", "-H",
                     "Authorization: Bearer " + bearer, "--data-binary", body.dump(), api + path},
                    expected);
    };

    // Logins: a wrong password, then the right one with rememberMe, then the refresh token.
    call({"-X", "POST", "-u", demo("user") + ":" + wrong_password, "--data-binary", "{}",
          api + "/csc/v2/auth/login"},
         400);  // CSC: authentication_error
    const auto login = call({"-X", "POST", "-u", demo("user") + ":" + demo("password"), "--data-binary",
                             R"({"rememberMe":true})", api + "/csc/v2/auth/login"},
                            200);
    const json login_json = json::parse(login.body);
    const std::string refresh = login_json["refresh_token"].get<std::string>();
    secrets.push_back({"first access token", login_json["access_token"].get<std::string>()});
    secrets.push_back({"refresh token", refresh});
    const auto refreshed =
        call({"-X", "POST", "-H", "Content-Type: application/json", "--data-binary",
              json{{"refresh_token", refresh}, {"rememberMe", true}}.dump(), api + "/csc/v2/auth/login"},
             200);
    const json refreshed_json = json::parse(refreshed.body);
    const std::string token = refreshed_json["access_token"].get<std::string>();
    secrets.push_back({"access token", token});
    if (refreshed_json.contains("refresh_token")) {
        secrets.push_back({"rotated refresh token", refreshed_json["refresh_token"].get<std::string>()});
    }

    // What signDoc signs: a one-page PDF whose hash the SAD binds (SCAL 2), beside one hash for signHash.
    const std::string content = "BT /F1 24 Tf 72 720 Td (Secrets stay secret) Tj ET";
    const std::string pdf = inkan::testing::build_pdf(
        {"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
         "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font "
         "<< /F1 5 0 R >> >> >>",
         "<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "\nendstream",
         "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"});
    const Bytes hash = sha256("the hash signHash signs");
    const Bytes pdf_hash =
        inkan::crypto::digest(inkan::crypto::DigestAlgorithm::Sha256, inkan::as_bytes(pdf));
    const json hashes = json::array({inkan::base64_encode(hash), inkan::base64_encode(pdf_hash)});
    const Bytes seed = inkan::base32_decode(demo("totp_secret"));
    const auto now = inkan::SystemClock::instance().now();
    const std::string otp_previous = inkan::service::totp_code(seed, now - std::chrono::seconds{30});
    const std::string otp = inkan::service::totp_code(seed, now);
    const std::string wrong_otp = otp == "000000" ? "111111" : "000000";
    secrets.push_back({"one-time code", otp});
    secrets.push_back({"previous one-time code", otp_previous});
    const auto authorize = [&](const std::string& p, const std::string& code, int expected) {
        return post("/csc/v2/credentials/authorize",
                    {{"credentialID", credential},
                     {"numSignatures", 2},
                     {"hashes", hashes},
                     {"hashAlgorithmOID", kSha256},
                     {"authData", {{{"id", "PIN"}, {"value", p}}, {{"id", "OTP"}, {"value", code}}}}},
                    token, expected);
    };
    authorize(wrong_pin, otp_previous, 400);  // a wrong PIN (the code is spent with it, or not judged)
    authorize(pin, wrong_otp, 400);           // a wrong one-time code
    const auto auth = authorize(pin, otp, 200);
    const std::string sad = json::parse(auth.body)["SAD"].get<std::string>();
    secrets.push_back({"SAD", sad});

    post("/csc/v2/signatures/signHash",
         {{"credentialID", credential},
          {"SAD", sad},
          {"hashes", json::array({inkan::base64_encode(hash)})},
          {"hashAlgorithmOID", kSha256},
          {"signAlgo", kEcdsaSha256}},
         token, 200);
    post("/csc/v2/signatures/signDoc",
         {{"credentialID", credential},
          {"SAD", sad},
          {"documents",
           {{{"document", inkan::base64_encode(inkan::as_bytes(pdf))},
             {"signature_format", "P"},
             {"conformance_level", "Ades-B-B"},
             {"signAlgo", kEcdsaSha256}}}}},
         token, 200);
    // The spent SAD once more: refused, and the refusal names no secret either.
    post("/csc/v2/signatures/signHash",
         {{"credentialID", credential},
          {"SAD", sad},
          {"hashes", json::array({inkan::base64_encode(hash)})},
          {"hashAlgorithmOID", kSha256},
          {"signAlgo", kEcdsaSha256}},
         token, 400);

    // A system client: client_credentials, then its token in use.
    const auto cc = call(
        {"-X", "POST", "-u",
         client_json["client_id"].get<std::string>() + ":" + client_json["client_secret"].get<std::string>(),
         "--data-urlencode", "grant_type=client_credentials", api + "/csc/v2/oauth2/token"},
        200);
    const std::string service_token = json::parse(cc.body)["access_token"].get<std::string>();
    secrets.push_back({"client_credentials token", service_token});
    post("/csc/v2/credentials/list", json::object(), service_token, 200);
    // A wrong client secret, then revocation of the user's token.
    call({"-X", "POST", "-u", client_json["client_id"].get<std::string>() + ":wrong-secret-Vb81Kq0Z",
          "--data-urlencode", "grant_type=client_credentials", api + "/csc/v2/oauth2/token"},
         401);
    secrets.push_back({"wrong client secret", "wrong-secret-Vb81Kq0Z"});
    post("/csc/v2/auth/revoke", {{"token", token}}, token, 204);
    post("/csc/v2/credentials/list", json::object(), token, 401);

    ASSERT_EQ(server.terminate(), 0) << server.stderr_text();
    const std::string server_stderr = server.stderr_text();
    const auto audit = run({INKAN_BIN, "audit", "export", "--data", data.string(), "--format", "json"});
    ASSERT_EQ(audit.exit_code, 0) << describe(audit);

    // The search is not vacuous: the debug log and the access log were written, and the audit has the
    // session's signatures and refusals.
    EXPECT_NE(server_stderr.find("/csc/v2/signatures/signHash"), std::string::npos)
        << "no access log line for signHash:\n"
        << server_stderr.substr(0, 2000);
    EXPECT_NE(server_stderr.find("\"level\":\"debug\""), std::string::npos) << "no debug line was logged";
    EXPECT_NE(audit.out.find("\"sign_doc\""), std::string::npos);
    EXPECT_GE(errors.size(), 6U) << "the refusals of the session";

    std::vector<std::pair<std::string, std::string>> places{
        {"server stdout", server_stdout}, {"server stderr", server_stderr}, {"audit log", audit.out}};
    for (std::size_t i = 0; i < errors.size(); ++i) {
        places.emplace_back("error body " + std::to_string(i), errors[i].body);
    }
    for (const auto& s : secrets) {
        ASSERT_GE(s.value.size(), 6U) << s.what;
        for (const auto& [where, text] : places) {
            EXPECT_FALSE(contains_token(text, s.value)) << "the " << s.what << " is in the " << where;
        }
    }
}

}  // namespace
