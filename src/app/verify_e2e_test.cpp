// `inkan verify` on what inkan's own signing paths produce, end to end: the real `inkan serve` (its PKI
// listener on a port chosen before `inkan init`, so the certificates' OCSP, CRL and caIssuers URLs are
// live), `inkan sign` through the client in hash mode (authorize + signHash) and doc mode (signDoc), PAdES
// and CAdES at B-B, B-T, B-LT and B-LTA, judged against the development root. Offline a B-B or B-T has no
// revocation status (INDETERMINATE/TRY_LATER, EN 319 102-1 §5.2.6); with --online the status comes from
// the server's OCSP responder and they pass. A signer revoked with `inkan ca revoke` is seen online; a
// signature whose intermediate the CMS left out is completed from AIA caIssuers online only. openssl cms
// -verify agrees on every CAdES.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/cms/signed_data.h>
#include <inkan/core/clock.h>
#include <inkan/core/encoding.h>
#include <inkan/pki/certificate.h>
#include <inkan/service/secrets.h>
#include <inkan/testing/pdf_text.h>
#include <inkan/testing/process.h>

#include "e2e_support.h"

namespace fs = std::filesystem;
using inkan::testing::CommandResult;
using inkan::testing::run;
using inkan::testing::TempDir;
using nlohmann::json;

namespace {

class VerifyE2e : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_tmp = std::make_unique<TempDir>("inkan-verify-e2e");
        s_data = s_tmp->path() / "data";
        const std::string pki = "127.0.0.1:" + std::to_string(inkan::testing::reserved_port());
        const auto init = run({INKAN_BIN, "init", "--data", s_data.string(), "--json", "--pki-listen", pki,
                               "--pki-url", "http://" + pki});
        ASSERT_EQ(init.exit_code, 0) << describe(init);
        s_root = s_data / "pki" / "root-ca.pem";
        s_seal = seal();
        s_server = std::make_unique<inkan::testing::Process>(
            std::vector<std::string>{INKAN_BIN, "serve", "--data", s_data.string(), "--api-listen",
                                     "127.0.0.1:0", "--pki-listen", pki, "--metrics-listen", "127.0.0.1:0"});
        const json line = json::parse(s_server->read_line(std::chrono::seconds{60}));
        s_api = line["api_url"].get<std::string>();

        const std::string content = "BT /F1 24 Tf 72 720 Td (Verify me) Tj ET";
        inkan::testing::write_file(
            s_tmp->path() / "raw.pdf",
            inkan::testing::build_pdf(
                {"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                 "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font "
                 "<< /F1 5 0 R >> >> >>",
                 "<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "\nendstream",
                 "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"}));
        s_pdf = s_tmp->path() / "doc.pdf";
        const auto q = run({"qpdf", (s_tmp->path() / "raw.pdf").string(), s_pdf.string()});
        ASSERT_TRUE(q.exit_code == 0 || q.exit_code == 3) << describe(q);
        s_text = s_tmp->path() / "contract.txt";
        inkan::testing::write_file(s_text, std::string_view{"A contract, to be validated.\n"});
    }
    static void TearDownTestSuite() {
        if (s_server) {
            EXPECT_EQ(s_server->terminate(), 0) << s_server->stderr_text();
        }
        s_server.reset();
        s_tmp.reset();
    }

    /// A SCAL 1 seal credential (P-256) of the development CA.
    static std::string seal() {
        const auto c = run({INKAN_BIN, "credential", "create", "--data", s_data.string(), "--profile", "seal",
                            "--organization", "Inkan Test KK", "--org-id", "NTRJP-1234567890123", "--algo",
                            "ec-p256", "--scal", "1", "--json"});
        EXPECT_EQ(c.exit_code, 0) << describe(c);
        return json::parse(c.out)["credential"]["id"].get<std::string>();
    }

    /// `inkan sign` as a new member of `credential` (PIN + the current TOTP step, each step once per user).
    static CommandResult sign_as_member(const std::string& credential, std::vector<std::string> args) {
        const std::string user = "v" + std::to_string(s_members++);
        const auto u = run({INKAN_BIN, "user", "add", user, "--data", s_data.string(), "--password-stdin",
                            "--totp", "--json"},
                           "member-password\n");
        EXPECT_EQ(u.exit_code, 0) << describe(u);
        const std::string secret = json::parse(u.out)["totp_secret"].get<std::string>();
        const auto a =
            run({INKAN_BIN, "seal", "add-member", credential, user, "--data", s_data.string(), "--pin-stdin"},
                "2468\n");
        EXPECT_EQ(a.exit_code, 0) << describe(a);
        const std::string otp =
            inkan::service::totp_code(inkan::base32_decode(secret), inkan::SystemClock::instance().now());
        std::vector<std::string> argv{"env",
                                      "INKAN_PASSWORD=member-password",
                                      "INKAN_PIN=2468",
                                      "INKAN_OTP=" + otp,
                                      INKAN_BIN,
                                      "sign",
                                      "--url",
                                      s_api,
                                      "--cacert",
                                      s_root.string(),
                                      "--user",
                                      user,
                                      "--credential",
                                      credential};
        argv.insert(argv.end(), args.begin(), args.end());
        return run(argv);
    }

    /// `inkan verify --trust-anchor root --json [extra] FILE`.
    static CommandResult verify(const fs::path& file, std::vector<std::string> extra = {}) {
        std::vector<std::string> argv{INKAN_BIN, "verify", "--trust-anchor", s_root.string(), "--json"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        argv.push_back(file.string());
        return run(argv);
    }

    static json report(const CommandResult& r) {
        try {
            return json::parse(r.out);
        } catch (const std::exception&) {
            ADD_FAILURE() << "not JSON: " << describe(r);
            return json::object();
        }
    }

    /// "TOTAL-PASSED" or "INDETERMINATE/TRY_LATER" of the report's first signature.
    static std::string verdict(const json& j) {
        const json& s = j["documents"][0]["signatures"][0];
        std::string out = s["indication"].get<std::string>();
        if (!s["subindication"].is_null()) out += "/" + s["subindication"].get<std::string>();
        return out;
    }

    /// The signer certificate's serial (hex) of a CMS, for `inkan ca revoke`.
    static std::string cert_serial(const fs::path& signature) {
        const auto sd = inkan::cms::parse(inkan::testing::read_file(signature));
        const auto leaf = inkan::cms::find_signer_certificate(sd, 0);
        EXPECT_TRUE(leaf.has_value());
        return leaf ? inkan::pki::Certificate::from_der(*leaf).serial_hex() : "";
    }

    static inline std::unique_ptr<TempDir> s_tmp;
    static inline fs::path s_data, s_root, s_pdf, s_text;
    static inline std::string s_seal, s_api;
    static inline int s_members = 0;
    static inline std::unique_ptr<inkan::testing::Process> s_server;
};

TEST_F(VerifyE2e, InkanSignaturesAtEveryLevelInBothModesPassWithTheDevelopmentRoot) {
    int n = 0;
    for (const char* format : {"pades", "cades"}) {
        for (const char* mode : {"hash", "doc"}) {
            for (const char* level : {"B-B", "B-T", "B-LT", "B-LTA"}) {
                const std::string label = std::string{format} + "-" + mode + "-" + level;
                SCOPED_TRACE(label);
                const bool pdf = std::string{format} == "pades";
                const fs::path out = s_tmp->path() / (label + (pdf ? ".pdf" : ".p7s"));
                std::vector<std::string> args{"--level", level, "--mode", mode};
                if (!pdf) args.insert(args.end(), {"--format", "cades"});
                args.push_back(pdf ? s_pdf.string() : s_text.string());
                args.push_back(out.string());
                const auto s = sign_as_member(s_seal, args);
                ASSERT_EQ(s.exit_code, 0) << describe(s);

                const bool long_term = std::string{level} == "B-LT" || std::string{level} == "B-LTA";
                const auto offline = verify(out);
                const json j = report(offline);
                ASSERT_EQ(j["documents"].size(), 1u) << offline.out;
                EXPECT_EQ(j["documents"][0]["format"], pdf ? "PAdES" : "CAdES") << offline.out;
                ASSERT_EQ(j["documents"][0]["signatures"].size(), 1u) << offline.out;
                if (long_term) {
                    // B-LT/B-LTA carry their own validation data: they pass offline, at their level.
                    EXPECT_EQ(offline.exit_code, 0) << describe(offline);
                    EXPECT_EQ(verdict(j), "TOTAL-PASSED") << offline.out;
                    EXPECT_EQ(j["documents"][0]["signatures"][0]["level"], level) << offline.out;
                    EXPECT_EQ(j["documents"][0]["signatures"][0]["revocation"], "good") << offline.out;
                } else {
                    // No revocation data in the file: no status offline, never a guessed "good".
                    EXPECT_EQ(offline.exit_code, 1) << describe(offline);
                    EXPECT_EQ(verdict(j), "INDETERMINATE/TRY_LATER") << offline.out;
                    const auto online = verify(out, {"--online"});
                    EXPECT_EQ(online.exit_code, 0) << describe(online);
                    const json o = report(online);
                    EXPECT_EQ(verdict(o), "TOTAL-PASSED") << online.out;
                    EXPECT_EQ(o["documents"][0]["signatures"][0]["level"], level) << online.out;
                    EXPECT_EQ(o["documents"][0]["signatures"][0]["revocation"], "good") << online.out;
                }
                const json& sig = j["documents"][0]["signatures"][0];
                EXPECT_EQ(sig["intact"], true) << offline.out;
                EXPECT_EQ(sig["crypto_valid"], true) << offline.out;
                EXPECT_EQ(sig["timestamps"].size(),
                          std::string{level} == "B-B" ? 0u : (pdf || std::string{level} != "B-LTA" ? 1u : 2u))
                    << offline.out;
                if (pdf) {
                    EXPECT_EQ(j["documents"][0]["document_timestamps"].size(),
                              std::string{level} == "B-LTA" ? 1u : 0u)
                        << offline.out;
                } else {
                    // The outside judge agrees on the CAdES.
                    const auto o =
                        run({"openssl", "cms", "-verify", "-inform", "DER", "-in", out.string(), "-binary",
                             "-CAfile", s_root.string(), "-purpose", "any", "-out", "/dev/null"});
                    EXPECT_EQ(o.exit_code, 0) << describe(o);
                }
                ++n;
            }
        }
    }
    EXPECT_EQ(n, 16);

    // A detached CAdES needs its content, online or not.
    const fs::path detached = s_tmp->path() / "detached-B-LTA.p7s";
    const auto s = sign_as_member(
        s_seal, {"--level", "B-LTA", "--format", "cades", "--detached", s_text.string(), detached.string()});
    ASSERT_EQ(s.exit_code, 0) << describe(s);
    const auto without = verify(detached, {"--online"});
    EXPECT_EQ(verdict(report(without)), "INDETERMINATE/SIGNED_DATA_NOT_FOUND") << without.out;
    const auto with = verify(detached, {"--content", s_text.string()});
    EXPECT_EQ(with.exit_code, 0) << describe(with);
    EXPECT_EQ(verdict(report(with)), "TOTAL-PASSED") << with.out;
}

TEST_F(VerifyE2e, OnlineRevocationSeesASignerRevokedWithInkanCaRevoke) {
    const std::string credential = seal();
    const fs::path bb = s_tmp->path() / "revoked-bb.p7s";
    const fs::path bt = s_tmp->path() / "revoked-bt.p7s";
    for (const auto& [level, out] : {std::pair{"B-B", bb}, std::pair{"B-T", bt}}) {
        const auto s = sign_as_member(credential,
                                      {"--level", level, "--format", "cades", s_text.string(), out.string()});
        ASSERT_EQ(s.exit_code, 0) << describe(s);
    }
    const auto before = verify(bb, {"--online"});
    EXPECT_EQ(verdict(report(before)), "TOTAL-PASSED") << before.out;
    // Revocation times have a resolution of seconds: wait past the next full second so the revocation
    // is certainly after the B-T's time-stamp (and, below, the next time-stamp after the revocation).
    std::this_thread::sleep_for(std::chrono::milliseconds{1100});

    const auto revoke = run(
        {INKAN_BIN, "ca", "revoke", "--data", s_data.string(), "--reason", "keyCompromise", cert_serial(bb)});
    ASSERT_EQ(revoke.exit_code, 0) << describe(revoke);
    std::this_thread::sleep_for(std::chrono::milliseconds{1100});
    const fs::path after = s_tmp->path() / "revoked-after.p7s";
    const auto s =
        sign_as_member(credential, {"--level", "B-T", "--format", "cades", s_text.string(), after.string()});
    ASSERT_EQ(s.exit_code, 0) << describe(s);

    // Offline nothing is known; online the responder says revoked.
    const auto offline = verify(bb);
    EXPECT_EQ(verdict(report(offline)), "INDETERMINATE/TRY_LATER") << offline.out;
    // B-B: nothing proves the signature existed before the revocation (EN 319 102-1 §5.2.6).
    const auto no_poe = verify(bb, {"--online"});
    EXPECT_EQ(no_poe.exit_code, 1) << describe(no_poe);
    const json n = report(no_poe);
    EXPECT_EQ(verdict(n), "INDETERMINATE/REVOKED_NO_POE") << no_poe.out;
    EXPECT_EQ(n["documents"][0]["signatures"][0]["revocation"], "revoked") << no_poe.out;
    // B-T made before the revocation: its time-stamp proves it (past signature validation, §5.6.2.4).
    const auto proven = verify(bt, {"--online"});
    EXPECT_EQ(proven.exit_code, 0) << describe(proven);
    EXPECT_EQ(verdict(report(proven)), "TOTAL-PASSED") << proven.out;
    EXPECT_EQ(report(proven)["documents"][0]["signatures"][0]["revocation"], "revoked") << proven.out;
    // B-T made after it: revoked before the proof of existence.
    const auto late = verify(after, {"--online"});
    EXPECT_EQ(late.exit_code, 1) << describe(late);
    EXPECT_EQ(verdict(report(late)), "TOTAL-FAILED/REVOKED") << late.out;
}

TEST_F(VerifyE2e, MissingIntermediateIsFetchedFromAiaCaIssuersOnlineOnly) {
    // A signer outside inkan (an openssl key) certified by the development issuing CA, signing with
    // `openssl cms -sign` without the issuing CA's certificate: the chain has a gap.
    const fs::path dir = s_tmp->path() / "aia";
    fs::create_directories(dir);
    const auto req = run({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                          "-nodes", "-keyout", (dir / "key.pem").string(), "-subj",
                          "/CN=AIA Signer/GN=AIA/SN=Signer/C=JP", "-out", (dir / "csr.pem").string()});
    ASSERT_EQ(req.exit_code, 0) << describe(req);
    const auto issued = run({INKAN_BIN, "ca", "issue", "--data", s_data.string(), "--profile", "person",
                             "--csr", (dir / "csr.pem").string(), "-o", (dir / "chain.pem").string()});
    ASSERT_EQ(issued.exit_code, 0) << describe(issued);
    const auto leaf =
        run({"openssl", "x509", "-in", (dir / "chain.pem").string(), "-out", (dir / "cert.pem").string()});
    ASSERT_EQ(leaf.exit_code, 0) << describe(leaf);
    const auto sign = run({"openssl", "cms", "-sign", "-binary", "-nodetach", "-in", s_text.string(),
                           "-signer", (dir / "cert.pem").string(), "-inkey", (dir / "key.pem").string(),
                           "-outform", "DER", "-out", (dir / "leaf-only.p7s").string()});
    ASSERT_EQ(sign.exit_code, 0) << describe(sign);

    const auto offline = verify(dir / "leaf-only.p7s");
    EXPECT_EQ(verdict(report(offline)), "INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND") << offline.out;
    const auto online = verify(dir / "leaf-only.p7s", {"--online"});
    EXPECT_EQ(online.exit_code, 0) << describe(online);
    const json j = report(online);
    EXPECT_EQ(verdict(j), "TOTAL-PASSED") << online.out;
    EXPECT_EQ(j["documents"][0]["signatures"][0]["chain"].size(), 3u) << online.out;  // signer, issuing, root
    // openssl agrees once it is given the issuing CA (which it cannot fetch; `openssl cms -verify` builds
    // paths from the message's certificates and the trust store only, so the chain goes there).
    const auto o =
        run({"openssl", "cms", "-verify", "-inform", "DER", "-in", (dir / "leaf-only.p7s").string(),
             "-binary", "-CAfile", (dir / "chain.pem").string(), "-purpose", "any", "-out", "/dev/null"});
    EXPECT_EQ(o.exit_code, 0) << describe(o);
}

TEST_F(VerifyE2e, OnlineOptionsAreRefusedWithoutOnline) {
    const auto r = run({INKAN_BIN, "verify", "--timeout-ms", "100", s_text.string()});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
}

}  // namespace
