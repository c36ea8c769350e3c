// Locks an operator can see and clear, and a CLI client that explains the service's refusals (issue 25,
// decision 0040): the real binary against `inkan serve` over a throwaway data directory.

#include <chrono>
#include <filesystem>
#include <memory>
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
using inkan::e2e::run_inkan;
using inkan::testing::CommandResult;
using inkan::testing::run;
using inkan::testing::TempDir;
using nlohmann::json;

namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

class Locks : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_tmp = std::make_unique<TempDir>("inkan-locks");
        s_data = s_tmp->path() / "data";
        const auto init = run_inkan({"init", "--data", s_data.string()});
        ASSERT_EQ(init.exit_code, 0) << describe(init);
        s_root = s_data / "pki" / "root-ca.pem";
        const json line = inkan::e2e::start_serve(s_server, s_data);
        s_api = line["api_url"].get<std::string>();
        s_metrics = line["metrics_url"].get<std::string>();
        s_document = s_tmp->path() / "document.txt";
        inkan::testing::write_file(s_document, std::string_view{"a document to sign\n"});
    }
    static void TearDownTestSuite() {
        s_server.reset();
        s_tmp.reset();
    }

    static CommandResult inkan(std::vector<std::string> args, const std::string& in = {}) {
        args.insert(args.end(), {"--data", s_data.string()});
        return run_inkan(args, in);
    }

    struct Signer {
        std::string user;
        std::string credential;
        std::string totp_secret;
    };
    /// A new user with TOTP and a personal credential with PIN 2468 (each test its own: locks and spent
    /// TOTP steps are per user).
    static Signer signer(const std::string& name) {
        Signer s{name, {}, {}};
        const auto u = inkan(
            {"user", "add", name, "--display-name", "Taro Yamada", "--password-stdin", "--totp", "--json"},
            "password-" + name + "\n");
        EXPECT_EQ(u.exit_code, 0) << describe(u);
        s.totp_secret = json::parse(u.out)["totp_secret"].get<std::string>();
        const auto c = inkan({"credential", "create", "--user", name, "--pin-stdin", "--json"}, "2468\n");
        EXPECT_EQ(c.exit_code, 0) << describe(c);
        s.credential = json::parse(c.out)["credential"]["id"].get<std::string>();
        return s;
    }
    static std::string code(const Signer& s, int step_offset = 0) {
        return inkan::service::totp_code(
            inkan::base32_decode(s.totp_secret),
            inkan::SystemClock::instance().now() + std::chrono::seconds{30 * step_offset});
    }
    /// A code that is none of the ones the service accepts now (the current step and its neighbours).
    static std::string wrong_code(const Signer& s) {
        const std::set<std::string> right{code(s, -1), code(s, 0), code(s, 1)};
        for (int n = 123456;; ++n) {
            if (right.count(std::to_string(n)) == 0) return std::to_string(n);
        }
    }

    /// `inkan sign` (CAdES, hash mode) with the factors in the environment.
    static CommandResult sign(const Signer& s, const std::string& pin, const std::string& otp,
                              const fs::path& out, const std::string& url = "", bool cacert = true,
                              const std::string& password = "") {
        std::vector<std::string> argv{
            "env",
            "INKAN_PASSWORD=" + (password.empty() ? "password-" + s.user : password),
            "INKAN_PIN=" + pin,
            "INKAN_OTP=" + otp,
            INKAN_BIN,
            "sign",
            "--url",
            url.empty() ? s_api : url,
            "--user",
            s.user,
            "--credential",
            s.credential,
            "--format",
            "cades"};
        if (cacert) argv.insert(argv.end(), {"--cacert", s_root.string()});
        argv.insert(argv.end(), {s_document.string(), out.string()});
        return run(argv, {});
    }
    static fs::path out(const std::string& name) { return s_tmp->path() / name; }

    static inline std::unique_ptr<TempDir> s_tmp;
    static inline std::unique_ptr<inkan::testing::Process> s_server;
    static inline fs::path s_data;
    static inline fs::path s_root;
    static inline fs::path s_document;
    static inline std::string s_api;
    static inline std::string s_metrics;
};

}  // namespace

// First in the suite: before any signature or time-stamp the server has made.
TEST_F(Locks, MetricsBeforeAnyTrafficGiveEveryDeclaredFamilyAValueAndPassPromtool) {
    const auto m = run({"curl", "-sS", "--max-time", "30", s_metrics});
    ASSERT_EQ(m.exit_code, 0) << describe(m);
    const auto promtool = run({"promtool", "check", "metrics"}, m.out);
    EXPECT_EQ(promtool.exit_code, 0) << describe(promtool) << "\n" << m.out;
    std::istringstream lines{m.out};
    std::vector<std::string> declared;
    std::string text = "\n" + m.out;
    for (std::string line; std::getline(lines, line);) {
        if (line.starts_with("# TYPE ")) declared.push_back(line.substr(7, line.find(' ', 7) - 7));
    }
    for (const auto& name : declared) {
        EXPECT_TRUE(contains(text, "\n" + name + " ") || contains(text, "\n" + name + "{") ||
                    contains(text, "\n" + name + "_bucket{"))
            << name << " is declared without a value\n"
            << m.out;
    }
    // The counters of what has not happened yet are there, at 0, typed counter.
    EXPECT_TRUE(contains(text, "\n# TYPE inkan_signatures_total counter\n")) << m.out;
    EXPECT_TRUE(contains(text, "\ninkan_signatures_total{algorithm=\"ECDSA-SHA256\"} 0\n")) << m.out;
    EXPECT_TRUE(contains(text, "\n# TYPE inkan_tsa_tokens_total counter\n")) << m.out;
}

TEST_F(Locks, FiveWrongCodesLockTheUsersCodeWhichOnlyUserUnlockClears) {
    const Signer s = signer("otp-locked");
    for (int attempt = 1; attempt <= 5; ++attempt) {
        const auto r = sign(s, "2468", wrong_code(s), out("never.p7s"));
        EXPECT_EQ(r.exit_code, 1) << "attempt " << attempt << "\n" << describe(r);
        if (attempt < 5) {
            EXPECT_TRUE(contains(r.err, "wrong PIN or one-time code")) << "attempt " << attempt << "\n"
                                                                       << describe(r);
        } else {
            EXPECT_TRUE(contains(r.err, "Credential locked")) << describe(r);
            EXPECT_TRUE(contains(r.err, "inkan user show otp-locked")) << describe(r);
        }
    }
    EXPECT_FALSE(fs::exists(out("never.p7s")));

    // The operator sees which lock it is, everywhere.
    const auto shown = inkan({"user", "show", "otp-locked"});
    ASSERT_EQ(shown.exit_code, 0) << describe(shown);
    EXPECT_TRUE(contains(shown.out, "lock:         one-time code (5 wrong codes")) << shown.out;
    EXPECT_TRUE(contains(shown.out, "inkan user unlock otp-locked")) << shown.out;
    const json user = json::parse(inkan({"user", "show", "otp-locked", "--json"}).out);
    EXPECT_EQ(user["otp_locked"], true) << user.dump();
    EXPECT_EQ(user["otp_failures"], 5) << user.dump();
    const auto list = inkan({"user", "list"});
    EXPECT_TRUE(contains(list.out, "otp-lock")) << list.out;
    const auto cred = inkan({"credential", "show", s.credential});
    EXPECT_TRUE(contains(cred.out, "lock:        one-time code of otp-locked (5 wrong codes")) << cred.out;
    const json locks = json::parse(inkan({"credential", "show", s.credential, "--json"}).out)["locks"];
    ASSERT_EQ(locks.size(), 1U) << locks.dump();
    EXPECT_EQ(locks[0]["otp_locked"], true) << locks.dump();
    EXPECT_EQ(locks[0]["pin_locked"], false) << locks.dump();

    // credential unlock names the PIN lock, which is not the one in force: refused, pointing to the right
    // one.
    const auto wrong_unlock = inkan({"credential", "unlock", s.credential});
    EXPECT_EQ(wrong_unlock.exit_code, 1) << describe(wrong_unlock);
    EXPECT_TRUE(contains(wrong_unlock.err, "is not locked")) << describe(wrong_unlock);
    EXPECT_TRUE(contains(wrong_unlock.err, "`inkan user unlock otp-locked`")) << describe(wrong_unlock);
    EXPECT_EQ(json::parse(inkan({"user", "show", "otp-locked", "--json"}).out)["otp_locked"], true);

    const auto unlock = inkan({"user", "unlock", "otp-locked"});
    ASSERT_EQ(unlock.exit_code, 0) << describe(unlock);
    EXPECT_TRUE(contains(unlock.out, "cleared the one-time-code lock (5 wrong codes)")) << describe(unlock);
    EXPECT_FALSE(contains(unlock.out, "account lock")) << "the account was not locked\n" << describe(unlock);
    EXPECT_TRUE(contains(inkan({"user", "show", "otp-locked"}).out, "lock:         none"));

    const auto signed_now = sign(s, "2468", code(s), out("after-unlock.p7s"));
    EXPECT_EQ(signed_now.exit_code, 0) << describe(signed_now);
}

TEST_F(Locks, AReusedCodeIsToldApartFromAWrongOne) {
    const Signer s = signer("replayer");
    const std::string otp = code(s);
    const auto first = sign(s, "2468", otp, out("first.p7s"));
    ASSERT_EQ(first.exit_code, 0) << describe(first);
    const auto again = sign(s, "2468", otp, out("again.p7s"));
    EXPECT_EQ(again.exit_code, 1) << describe(again);
    EXPECT_TRUE(contains(again.err, "one-time code already used")) << describe(again);
    EXPECT_TRUE(contains(again.err, "wait for the next code")) << describe(again);
    EXPECT_FALSE(contains(again.err, "wrong PIN or one-time code")) << describe(again);
    EXPECT_EQ(json::parse(inkan({"user", "show", "replayer", "--json"}).out)["otp_failures"], 0)
        << "a replay is not a wrong code";
}

TEST_F(Locks, FiveWrongPinsLockThePinWhichCredentialUnlockClears) {
    const Signer s = signer("pin-locked");
    for (int attempt = 1; attempt <= 5; ++attempt) {
        const auto r = sign(s, "0000", code(s), out("never.p7s"));
        EXPECT_EQ(r.exit_code, 1) << "attempt " << attempt << "\n" << describe(r);
    }
    const auto shown = inkan({"user", "show", "pin-locked"});
    EXPECT_TRUE(contains(shown.out, "PIN of credential " + s.credential + " (5 wrong PINs")) << shown.out;
    EXPECT_FALSE(contains(shown.out, "one-time code (")) << shown.out;
    // user unlock clears the user's locks, says the PIN is not one of them and names the command that is.
    const auto user_unlock = inkan({"user", "unlock", "pin-locked"});
    EXPECT_EQ(user_unlock.exit_code, 0) << describe(user_unlock);
    EXPECT_TRUE(contains(user_unlock.out, "nothing to clear")) << describe(user_unlock);
    EXPECT_TRUE(contains(user_unlock.out, "stays locked: inkan credential unlock " + s.credential))
        << describe(user_unlock);

    const auto unlock = inkan({"credential", "unlock", s.credential});
    ASSERT_EQ(unlock.exit_code, 0) << describe(unlock);
    EXPECT_TRUE(contains(unlock.out,
                         "unlocked the PIN of credential " + s.credential + " for pin-locked (5 wrong PINs)"))
        << describe(unlock);
    EXPECT_EQ(
        json::parse(inkan({"credential", "show", s.credential, "--json"}).out)["locks"][0]["pin_locked"],
        false);
    const auto again = inkan({"credential", "unlock", s.credential});
    EXPECT_EQ(again.exit_code, 0) << describe(again);
    EXPECT_TRUE(contains(again.out, "was not locked; nothing to clear")) << describe(again);
}

TEST_F(Locks, UrlTakesTheBaseAndTheCscUrlsServePrints) {
    const Signer s = signer("url-user");
    // A wrong password reaches auth/login (400 authentication_error) only when the URL was understood; a
    // misread one is 404.
    // Three, below the password lock (five), so the last signature below still logs in.
    for (const std::string& url : {s_api + "/", s_api + "/csc/v2", s_api + "/csc/v1/"}) {
        const auto r = sign(s, "2468", "000000", out("url.p7s"), url, true, "not-the-password");
        EXPECT_EQ(r.exit_code, 1) << url << "\n" << describe(r);
        EXPECT_TRUE(contains(r.err, "auth/login: 400 authentication_error")) << url << "\n" << describe(r);
    }
    const auto conflict = run({INKAN_BIN, "sign", "--url", s_api + "/csc/v1", "--csc", "v2", "--user", "u",
                               "--credential", "c", s_document.string(), out("conflict.p7s").string()});
    EXPECT_EQ(conflict.exit_code, 2) << describe(conflict);
    EXPECT_TRUE(contains(conflict.err, "--url names CSC v1 but --csc says v2")) << describe(conflict);
    // And a whole signature through the URL `inkan serve` prints.
    const auto r = sign(s, "2468", code(s), out("via-csc-v2.p7s"), s_api + "/csc/v2/");
    EXPECT_EQ(r.exit_code, 0) << describe(r);
}

TEST_F(Locks, AnUntrustedServiceCertificateNamesTheCacertToPass) {
    const Signer s = signer("tls-user");
    const auto r = sign(s, "2468", code(s), out("tls.p7s"), "", false);
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(contains(r.err,
                         "certificate not trusted: pass --cacert FILE (the data directory's pki/root-ca.pem "
                         "for the embedded default)"))
        << describe(r);
    EXPECT_FALSE(contains(r.err, "[unavailable]")) << describe(r);
}

TEST_F(Locks, ACredentialOfAnotherUserIsNamedAsSuchToTheClientAndTheOperator) {
    const Signer owner = signer("owner");
    Signer other = signer("other");
    other.credential = owner.credential;
    const auto r = sign(other, "2468", code(other), out("other.p7s"));
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(contains(r.err, "does not exist or belongs to someone else")) << describe(r);
    const auto missing = inkan({"credential", "show", "no-such-credential"});
    EXPECT_EQ(missing.exit_code, 1) << describe(missing);
    EXPECT_TRUE(contains(missing.err, "no credential no-such-credential")) << describe(missing);
}

TEST_F(Locks, ADuplicateSealMemberIsAlreadyAMemberWithoutStoreInternals) {
    ASSERT_EQ(inkan({"user", "add", "sealer", "--password-stdin"}, "password-sealer\n").exit_code, 0);
    const auto seal = inkan({"credential", "create", "--profile", "seal", "--organization", "Inkan Test KK",
                             "--org-id", "NTRJP-1234567890123", "--json"});
    ASSERT_EQ(seal.exit_code, 0) << describe(seal);
    const std::string id = json::parse(seal.out)["credential"]["id"].get<std::string>();
    ASSERT_EQ(inkan({"seal", "add-member", id, "sealer", "--pin-stdin"}, "1357\n").exit_code, 0);
    const auto twice = inkan({"seal", "add-member", id, "sealer", "--pin-stdin"}, "1357\n");
    EXPECT_EQ(twice.exit_code, 1) << describe(twice);
    EXPECT_TRUE(contains(twice.err, "sealer is already a member of seal " + id)) << describe(twice);
    for (const char* internal : {"UNIQUE", "constraint", "SQLITE", "sqlite", "seal_members"}) {
        EXPECT_FALSE(contains(twice.err, internal)) << internal << "\n" << describe(twice);
    }
    ASSERT_EQ(inkan({"seal", "remove-member", id, "sealer"}).exit_code, 0);
    const auto not_member = inkan({"seal", "remove-member", id, "sealer"});
    EXPECT_EQ(not_member.exit_code, 1) << describe(not_member);
    EXPECT_TRUE(contains(not_member.err, "sealer is not a member of seal " + id)) << describe(not_member);
}

TEST_F(Locks, CaIssueOfAFileThatIsNotACsrSaysSoWithoutOpensslsErrorQueue) {
    const auto r = inkan({"ca", "issue", "--profile", "person", "--csr", s_document.string()});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_TRUE(contains(r.err, s_document.string() + " is not a certificate signing request"))
        << describe(r);
    for (const char* internal : {"error:", "routines", "DECODER", "asn1", "ASN1"}) {
        EXPECT_FALSE(contains(r.err, internal)) << internal << "\n" << describe(r);
    }
}
