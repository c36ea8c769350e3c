// End-to-end signing through the client (issue 8): the real `inkan serve` (its PKI listener on a port
// chosen before `inkan init`, so the certificates' OCSP URL is live and pdfsig can say "Trusted"), and
// the real `inkan sign` in hash mode (authorize + signHash, the ades code at the client) and doc mode
// (signDoc, the ades code at the server). Every output is judged by outside tools: pdfsig with an NSS
// database trusting the root, qpdf --check, PDFBox + Bouncy Castle (scripts/verify-pades), openssl cms
// -verify over the byte ranges, openssl ts -verify over the signature value.
//
// TOTP steps are usable once per user, so the matrix runs on SCAL 1 credentials (PIN only) of a user
// without TOTP; the demo user and credential of `inkan init` (SCAL 2, PIN + TOTP) sign once in each mode.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/cms/signed_data.h>
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
using inkan::testing::build_pdf;
using inkan::testing::CommandResult;
using inkan::testing::run;
using inkan::testing::TempDir;
using nlohmann::json;

namespace {

/// A port nobody listens on now: `inkan init` writes it into the certificates' AIA before the
/// server binds it.
int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    const int port = ntohs(a.sin_port);
    ::close(fd);
    return port;
}

class ClientE2e : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_tmp = std::make_unique<TempDir>("inkan-client-e2e");
        s_data = s_tmp->path() / "data";
        const std::string pki = "127.0.0.1:" + std::to_string(free_port());
        const auto init = run({INKAN_BIN, "init", "--data", s_data.string(), "--json", "--pki-listen", pki,
                               "--pki-url", "http://" + pki});
        ASSERT_EQ(init.exit_code, 0) << describe(init);
        s_init = json::parse(init.out);
        s_root = s_data / "pki" / "root-ca.pem";

        // SCAL 1 seals (RSA-2048 and P-256) for the matrix, used by members that each sign once (sole
        // control always wants PIN + TOTP, and a TOTP step counts once per user); a SCAL 2 personal
        // credential of a second user for the invalid_hash refusal.
        for (const auto& [name, algo] : {std::pair{"rsa", "rsa-2048"}, std::pair{"ec", "ec-p256"}}) {
            const auto c = run({INKAN_BIN, "credential", "create", "--data", s_data.string(), "--profile",
                                "seal", "--organization", "Inkan Test KK", "--org-id", "NTRJP-1234567890123",
                                "--algo", algo, "--scal", "1", "--json"});
            ASSERT_EQ(c.exit_code, 0) << describe(c);
            s_credentials[name] = json::parse(c.out)["credential"]["id"].get<std::string>();
        }
        const auto second = run({INKAN_BIN, "user", "add", "second", "--display-name", "Jiro Suzuki",
                                 "--data", s_data.string(), "--password-stdin", "--totp", "--json"},
                                "second-password\n");
        ASSERT_EQ(second.exit_code, 0) << describe(second);
        s_second_totp = json::parse(second.out)["totp_secret"].get<std::string>();
        const auto c2 = run({INKAN_BIN, "credential", "create", "--data", s_data.string(), "--user", "second",
                             "--algo", "ec-p256", "--scal", "2", "--pin-stdin", "--json"},
                            "1357\n");
        ASSERT_EQ(c2.exit_code, 0) << describe(c2);
        s_credentials["scal2"] = json::parse(c2.out)["credential"]["id"].get<std::string>();

        s_server = std::make_unique<inkan::testing::Process>(
            std::vector<std::string>{INKAN_BIN, "serve", "--data", s_data.string(), "--api-listen",
                                     "127.0.0.1:0", "--pki-listen", pki});
        const json line = json::parse(s_server->read_line(std::chrono::seconds{60}));
        s_api = line["api_url"].get<std::string>();

        // pdfsig's trust: an NSS database with the root.
        s_nss = s_tmp->path() / "nss";
        fs::create_directories(s_nss);
        const auto n = run({"certutil", "-N", "-d", "sql:" + s_nss.string(), "--empty-password"});
        ASSERT_EQ(n.exit_code, 0) << describe(n);
        const auto a = run({"certutil", "-A", "-d", "sql:" + s_nss.string(), "-n", "inkan-root", "-t",
                            "CT,C,C", "-i", s_root.string()});
        ASSERT_EQ(a.exit_code, 0) << describe(a);

        // Test documents: a classic xref table, the same with an xref stream, and bad inputs.
        const std::string content = "BT /F1 24 Tf 72 720 Td (Hello from inkan sign) Tj ET";
        inkan::testing::write_file(
            s_tmp->path() / "raw.pdf",
            build_pdf(
                {"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                 "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font "
                 "<< /F1 5 0 R >> >> >>",
                 "<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "\nendstream",
                 "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"}));
        s_table = s_tmp->path() / "table.pdf";
        s_stream = s_tmp->path() / "stream.pdf";
        const auto q1 = run({"qpdf", (s_tmp->path() / "raw.pdf").string(), s_table.string()});
        ASSERT_TRUE(q1.exit_code == 0 || q1.exit_code == 3) << describe(q1);
        const auto q2 = run({"qpdf", "--object-streams=generate", s_table.string(), s_stream.string()});
        ASSERT_EQ(q2.exit_code, 0) << describe(q2);
        s_encrypted = s_tmp->path() / "encrypted.pdf";
        const auto q3 =
            run({"qpdf", "--encrypt", "user", "owner", "256", "--", s_table.string(), s_encrypted.string()});
        ASSERT_EQ(q3.exit_code, 0) << describe(q3);
        const Bytes bytes = inkan::testing::read_file(s_table);
        s_truncated = s_tmp->path() / "truncated.pdf";
        inkan::testing::write_file(s_truncated, inkan::ByteView{bytes.data(), bytes.size() / 2});
        s_not_pdf = s_tmp->path() / "not.pdf";
        inkan::testing::write_file(s_not_pdf, std::string_view{"This is a text file, not a PDF.\n"});
    }
    static void TearDownTestSuite() {
        if (s_server) {
            EXPECT_EQ(s_server->terminate(), 0) << s_server->stderr_text();
        }
        s_server.reset();
        s_tmp.reset();
    }

    static std::string demo(const char* field) { return s_init["demo"][field].get<std::string>(); }

    static std::string totp(const std::string& secret, int ahead) {
        return inkan::service::totp_code(inkan::base32_decode(secret), inkan::SystemClock::instance().now() +
                                                                           std::chrono::seconds{30 * ahead});
    }

    struct Member {
        std::string name;
        std::string totp_secret;
    };
    /// A new user with TOTP, made a member of `seal` with PIN 2468: one signature's worth of TOTP.
    static Member member(const std::string& seal) {
        Member m;
        m.name = "m" + std::to_string(s_members++);
        const auto u = run({INKAN_BIN, "user", "add", m.name, "--data", s_data.string(), "--password-stdin",
                            "--totp", "--json"},
                           "member-password\n");
        EXPECT_EQ(u.exit_code, 0) << describe(u);
        m.totp_secret = json::parse(u.out)["totp_secret"].get<std::string>();
        const auto a =
            run({INKAN_BIN, "seal", "add-member", seal, m.name, "--data", s_data.string(), "--pin-stdin"},
                "2468\n");
        EXPECT_EQ(a.exit_code, 0) << describe(a);
        return m;
    }
    /// `inkan sign` as a fresh member of `seal` (PIN + the current TOTP code).
    static CommandResult sign_as_member(const std::string& seal, std::vector<std::string> args) {
        const Member m = member(seal);
        args.insert(args.begin(), {"--user", m.name, "--credential", seal});
        return sign(args, "member-password", "2468", totp(m.totp_secret, 0));
    }

    /// `inkan sign` with the factors in the environment (never argv).
    static CommandResult sign(const std::vector<std::string>& args, const std::string& password,
                              const std::string& pin, const std::string& otp = "") {
        std::vector<std::string> argv{"env", "INKAN_PASSWORD=" + password, "INKAN_PIN=" + pin};
        if (!otp.empty()) {
            argv.push_back("INKAN_OTP=" + otp);
        }
        argv.insert(argv.end(), {INKAN_BIN, "sign", "--url", s_api, "--cacert", s_root.string()});
        argv.insert(argv.end(), args.begin(), args.end());
        return run(argv, {});
    }

    static HttpResult curl(std::vector<std::string> args, const std::string& body = "") {
        if (!body.empty()) {
            args.insert(args.end(), {"--data-binary", "@-"});
        }
        return curl_status(s_root.string(), "60", args, body);
    }
    static HttpResult post(const std::string& path, const json& body, const std::string& token) {
        return curl({"-X", "POST", "-H", "Content-Type: application/json", "-H",
                     "Authorization: Bearer " + token, s_api + path},
                    body.dump());
    }
    static std::string login(const std::string& user, const std::string& password) {
        const auto r = curl(
            {"-X", "POST", "-u", user + ":" + password, "--data-binary", "{}", s_api + "/csc/v2/auth/login"});
        EXPECT_EQ(r.status, 200) << r.raw;
        return json::parse(r.body)["access_token"].get<std::string>();
    }
    /// A SCAL 1 SAD of `m` for the seal `credential` (PIN + TOTP).
    static std::string sad_for(const std::string& token, const Member& m, const std::string& credential,
                               int count = 1) {
        const auto r =
            post("/csc/v2/credentials/authorize",
                 {{"credentialID", credential},
                  {"numSignatures", count},
                  {"authData",
                   {{{"id", "PIN"}, {"value", "2468"}}, {{"id", "OTP"}, {"value", totp(m.totp_secret, 0)}}}}},
                 token);
        EXPECT_EQ(r.status, 200) << r.raw;
        return json::parse(r.body)["SAD"].get<std::string>();
    }

    /// The signatures of a PDF, each judged: pdfsig (valid and trusted), qpdf --check, PDFBox + Bouncy
    /// Castle, openssl cms -verify over the byte ranges and, for B-T, openssl ts -verify.
    static void judge_pdf(const fs::path& pdf, bool bt) {
        SCOPED_TRACE(pdf.string());
        ASSERT_TRUE(fs::exists(pdf));
        const auto sig = run({"pdfsig", "-nssdir", "sql:" + s_nss.string(), pdf.string()});
        EXPECT_NE(sig.out.find("Signature Validation: Signature is Valid."), std::string::npos)
            << describe(sig);
        EXPECT_NE(sig.out.find("Certificate Validation: Certificate is Trusted."), std::string::npos)
            << describe(sig);
        EXPECT_EQ(sig.out.find("Signature is Invalid"), std::string::npos) << describe(sig);
        const auto check = run({"qpdf", "--check", pdf.string()});
        EXPECT_EQ(check.exit_code, 0) << describe(check);
        EXPECT_NE(check.out.find("No syntax or stream encoding errors found"), std::string::npos)
            << check.out;
        const auto box =
            run({INKAN_SOURCE_DIR "/scripts/verify-pades", "--cafile", s_root.string(), pdf.string()});
        EXPECT_EQ(box.exit_code, 0) << describe(box);
        EXPECT_NE(box.out.find("\"failures\":0"), std::string::npos) << describe(box);

        // The last signature's /ByteRange and /Contents, straight from the file.
        const std::string text = inkan::to_string(inkan::testing::read_file(pdf));
        const auto at = text.rfind("/ByteRange");
        ASSERT_NE(at, std::string::npos);
        std::array<std::uint64_t, 4> range{};
        const auto open = text.find('[', at);
        std::sscanf(text.c_str() + open + 1, "%lu %lu %lu %lu", &range[0], &range[1], &range[2], &range[3]);
        const std::string hex = text.substr(range[1] + 1, range[2] - range[1] - 2);
        Bytes cms = inkan::hex_decode(hex);
        // DER length of the ContentInfo, to cut the zero padding.
        std::size_t len = cms[1] < 0x80 ? cms[1] + 2U : 0;
        if (cms[1] >= 0x80) {
            const std::size_t n = cms[1] & 0x7FU;
            for (std::size_t i = 0; i < n; ++i) {
                len = (len << 8U) | cms[2 + i];
            }
            len += 2 + n;
        }
        cms.resize(len);
        std::string signed_bytes = text.substr(0, range[1]) + text.substr(range[2], range[3]);
        const fs::path cms_file = pdf.string() + ".cms.der";
        const fs::path data_file = pdf.string() + ".signed.bin";
        inkan::testing::write_file(cms_file, cms);
        inkan::testing::write_file(data_file, std::string_view{signed_bytes});
        const auto v = run({"openssl", "cms", "-verify", "-inform", "DER", "-in", cms_file.string(),
                            "-binary", "-content", data_file.string(), "-CAfile", s_root.string(), "-purpose",
                            "any", "-out", "/dev/null"});
        EXPECT_EQ(v.exit_code, 0) << describe(v);
        if (bt) {
            judge_time_stamp(cms);
        }
    }

    /// openssl ts -verify: the signature-time-stamp token over the SignerInfo's signature value.
    static void judge_time_stamp(const Bytes& cms) {
        const auto sd = inkan::cms::parse(cms);
        ASSERT_EQ(sd.signer_infos.size(), 1U);
        const Bytes* token = sd.signer_infos[0].unsigned_attribute(inkan::cms::oid::kSignatureTimeStampToken);
        ASSERT_NE(token, nullptr) << "no signature-time-stamp attribute";
        const fs::path token_file = s_tmp->path() / "token.der";
        const fs::path value_file = s_tmp->path() / "signature-value.bin";
        inkan::testing::write_file(token_file, *token);
        inkan::testing::write_file(value_file, sd.signer_infos[0].signature);
        const auto r = run({"openssl", "ts", "-verify", "-data", value_file.string(), "-in",
                            token_file.string(), "-token_in", "-CAfile", s_root.string(), "-untrusted",
                            (s_data / "pki" / "tsa-chain.pem").string()});
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        EXPECT_NE(r.out.find("Verification: OK"), std::string::npos) << describe(r);
    }

    static inline std::unique_ptr<TempDir> s_tmp;
    static inline fs::path s_data, s_root, s_nss, s_table, s_stream, s_encrypted, s_truncated, s_not_pdf;
    static inline json s_init;
    static inline std::map<std::string, std::string> s_credentials;
    static inline std::string s_second_totp;
    static inline int s_members = 0;
    static inline std::unique_ptr<inkan::testing::Process> s_server;
    static inline std::string s_api;
};

TEST_F(ClientE2e, DemoUserOfInitSignsPadesBtInHashModeAndThroughSignDoc) {
    // SCAL 2: PIN + TOTP. Hash mode spends the current step, doc mode the next one (±1 accepted, each
    // step once per user).
    const auto hash = sign({"--user", demo("user"), "--credential", demo("credential_id"), "--level", "B-T",
                            s_table.string(), (s_tmp->path() / "demo-hash.pdf").string()},
                           demo("password"), demo("pin"), totp(demo("totp_secret"), 0));
    ASSERT_EQ(hash.exit_code, 0) << describe(hash);
    judge_pdf(s_tmp->path() / "demo-hash.pdf", true);

    const auto doc =
        sign({"--user", demo("user"), "--credential", demo("credential_id"), "--level", "B-T", "--mode",
              "doc", "--reason", "approved", s_stream.string(), (s_tmp->path() / "demo-doc.pdf").string()},
             demo("password"), demo("pin"), totp(demo("totp_secret"), 1));
    ASSERT_EQ(doc.exit_code, 0) << describe(doc);
    judge_pdf(s_tmp->path() / "demo-doc.pdf", true);
}

TEST_F(ClientE2e, MatrixOfKeysLevelsXrefKindsAndModesPassesEveryOutsideJudge) {
    struct Key {
        const char* name;
        const char* credential;
        bool pss;
    };
    const std::array keys{Key{"rsa-pkcs1", "rsa", false}, Key{"rsa-pss", "rsa", true},
                          Key{"p256", "ec", false}};
    int n = 0;
    for (const auto& key : keys) {
        for (const char* level : {"B-B", "B-T"}) {
            for (const auto& [xref, input] : {std::pair{"table", s_table}, std::pair{"stream", s_stream}}) {
                for (const char* mode : {"hash", "doc"}) {
                    const std::string label = std::string{key.name} + "-" + level + "-" + xref + "-" + mode;
                    SCOPED_TRACE(label);
                    const fs::path out = s_tmp->path() / ("matrix-" + label + ".pdf");
                    std::vector<std::string> args{"--level", level, "--mode", mode};
                    if (key.pss) {
                        args.emplace_back("--pss");
                    }
                    args.push_back(input.string());
                    args.push_back(out.string());
                    const auto r = sign_as_member(s_credentials[key.credential], args);
                    ASSERT_EQ(r.exit_code, 0) << describe(r);
                    judge_pdf(out, std::string{level} == "B-T");
                    ++n;
                }
            }
        }
    }
    EXPECT_EQ(n, 24);
}

TEST_F(ClientE2e, CadesDetachedAndEnvelopingPassOpensslCmsVerifyInBothModes) {
    const fs::path data = s_tmp->path() / "contract.txt";
    inkan::testing::write_file(data, std::string_view{"A contract, signed as CAdES.\n"});
    for (const char* mode : {"hash", "doc"}) {
        for (const bool detached : {true, false}) {
            for (const char* level : {"B-B", "B-T"}) {
                const std::string label =
                    std::string{mode} + (detached ? "-detached-" : "-enveloping-") + level;
                SCOPED_TRACE(label);
                const fs::path out = s_tmp->path() / ("cades-" + label + ".p7s");
                std::vector<std::string> args{"--format", "cades", "--mode", mode, "--level", level};
                if (detached) {
                    args.emplace_back("--detached");
                }
                args.push_back(data.string());
                args.push_back(out.string());
                const auto r = sign_as_member(s_credentials["ec"], args);
                ASSERT_EQ(r.exit_code, 0) << describe(r);
                std::vector<std::string> verify{"openssl",    "cms",
                                                "-verify",    "-inform",
                                                "DER",        "-in",
                                                out.string(), "-binary",
                                                "-CAfile",    s_root.string(),
                                                "-purpose",   "any",
                                                "-out",       (s_tmp->path() / "cades-out.bin").string()};
                if (detached) {
                    verify.insert(verify.end(), {"-content", data.string()});
                }
                const auto v = run(verify);
                EXPECT_EQ(v.exit_code, 0) << describe(v);
                EXPECT_EQ(inkan::testing::read_file(s_tmp->path() / "cades-out.bin"),
                          inkan::testing::read_file(data));
                if (std::string{level} == "B-T") {
                    judge_time_stamp(inkan::testing::read_file(out));
                }
            }
        }
    }

    // documentDigests → a detached CAdES SignatureObject over the given digest.
    const Member m = member(s_credentials["ec"]);
    const std::string token = login(m.name, "member-password");
    const Bytes digest =
        inkan::crypto::digest(inkan::crypto::DigestAlgorithm::Sha256, inkan::testing::read_file(data));
    const auto r = post("/csc/v2/signatures/signDoc",
                        {{"credentialID", s_credentials["ec"]},
                         {"SAD", sad_for(token, m, s_credentials["ec"])},
                         {"documentDigests",
                          {{{"hashes", {inkan::base64_encode(digest)}},
                            {"hashAlgorithmOID", kSha256},
                            {"signature_format", "C"},
                            {"conformance_level", "Ades-B-B"},
                            {"signAlgo", kEcdsaSha256}}}}},
                        token);
    ASSERT_EQ(r.status, 200) << r.raw;
    const json body = json::parse(r.body);
    ASSERT_EQ(body["SignatureObject"].size(), 1U) << r.body;
    EXPECT_FALSE(body.contains("DocumentWithSignature")) << r.body;
    const fs::path p7s = s_tmp->path() / "digest.p7s";
    inkan::testing::write_file(p7s, inkan::base64_decode(body["SignatureObject"][0].get<std::string>()));
    const auto v =
        run({"openssl", "cms", "-verify", "-inform", "DER", "-in", p7s.string(), "-binary", "-content",
             data.string(), "-CAfile", s_root.string(), "-purpose", "any", "-out", "/dev/null"});
    EXPECT_EQ(v.exit_code, 0) << describe(v);
}

TEST_F(ClientE2e, SignDocRefusesBadRequestsWithTheSpecsErrorsAndSpendsNothing) {
    const std::string credential = s_credentials["ec"];
    const Member m = member(credential);
    const std::string token = login(m.name, "member-password");
    const std::string pdf_b64 = inkan::base64_encode(inkan::testing::read_file(s_table));
    const json doc{{"document", pdf_b64}, {"signature_format", "P"}, {"signAlgo", kEcdsaSha256}};
    const std::string sad = sad_for(token, m, credential);
    const auto expect_400 = [&](json request, const std::string& description) {
        request["credentialID"] = credential;
        request["SAD"] = sad;
        const auto r = post("/csc/v2/signatures/signDoc", request, token);
        EXPECT_EQ(r.status, 400) << r.raw;
        const json e = json::parse(r.body.empty() ? "{}" : r.body);
        EXPECT_EQ(e.value("error", ""), "invalid_request") << r.body;
        EXPECT_EQ(e.value("error_description", ""), description) << r.body;
    };
    expect_400({{"documents", json::array({doc})},
                {"documentDigests",
                 {{{"hashes", {inkan::base64_encode(Bytes(32, 1))}},
                   {"signature_format", "C"},
                   {"signAlgo", kEcdsaSha256}}}}},
               "Both documentDigests and documents parameters passed");
    expect_400(json::object(), "Empty documentDigests and documents objects");
    json lt = doc;
    lt["conformance_level"] = "Ades-B-LT";
    expect_400({{"documents", json::array({lt})}}, "Invalid parameter conformance_level");
    json cert_cades = doc;
    cert_cades["signature_format"] = "C";
    cert_cades["signed_envelope_property"] = "Certification";
    expect_400({{"documents", json::array({cert_cades})}}, "Invalid parameter signed_envelope_property");
    json xades = doc;
    xades["signature_format"] = "X";
    expect_400({{"documents", json::array({xades})}}, "Invalid parameter signature_format");
    json contradiction = doc;
    contradiction["hashAlgorithmOID"] = "2.16.840.1.101.3.4.2.3";
    expect_400({{"documents", json::array({contradiction})}}, "hashAlgorithmOID contradicts with signAlgo");
    json bad_b64 = doc;
    bad_b64["document"] = "%%% not base64 %%%";
    expect_400({{"documents", json::array({bad_b64})}}, "Invalid Base64 document string parameter");
    expect_400({{"documents", json::array({doc})}, {"returnValidationInfo", true}},
               "Invalid parameter returnValidationInfo: validation information is not available before B-LT "
               "support");
    for (const auto& [file, reason] :
         {std::pair{s_not_pdf, "not a PDF (no %PDF- header)"},
          std::pair{s_truncated, "truncated or damaged (no startxref and %%EOF at the end)"},
          std::pair{s_encrypted, "encrypted PDFs are not supported"}}) {
        json bad = doc;
        bad["document"] = inkan::base64_encode(inkan::testing::read_file(file));
        expect_400({{"documents", json::array({bad})}},
                   std::string{"Invalid parameter documents: "} + reason);
    }
    // Nothing above spent the SAD: it still signs.
    const auto ok =
        post("/csc/v2/signatures/signDoc",
             {{"credentialID", credential}, {"SAD", sad}, {"documents", json::array({doc})}}, token);
    ASSERT_EQ(ok.status, 200) << ok.raw;
    const fs::path out = s_tmp->path() / "after-refusals.pdf";
    inkan::testing::write_file(
        out, inkan::base64_decode(json::parse(ok.body)["DocumentWithSignature"][0].get<std::string>()));
    judge_pdf(out, false);

    // SCAL 2: the SAD binds the document's hash; another document is 403 invalid_hash.
    const std::string token2 = login("second", "second-password");
    const Bytes authorised =
        inkan::crypto::digest(inkan::crypto::DigestAlgorithm::Sha256, inkan::testing::read_file(s_stream));
    const auto auth =
        post("/csc/v2/credentials/authorize",
             {{"credentialID", s_credentials["scal2"]},
              {"numSignatures", 1},
              {"hashes", {inkan::base64_encode(authorised)}},
              {"hashAlgorithmOID", kSha256},
              {"authData",
               {{{"id", "PIN"}, {"value", "1357"}}, {{"id", "OTP"}, {"value", totp(s_second_totp, 0)}}}}},
             token2);
    ASSERT_EQ(auth.status, 200) << auth.raw;
    const auto denied = post("/csc/v2/signatures/signDoc",
                             {{"credentialID", s_credentials["scal2"]},
                              {"SAD", json::parse(auth.body)["SAD"]},
                              {"documents", json::array({doc})}},  // s_table, not the authorised s_stream
                             token2);
    EXPECT_EQ(denied.status, 403) << denied.raw;
    EXPECT_EQ(json::parse(denied.body.empty() ? "{}" : denied.body).value("error", ""), "invalid_hash")
        << denied.raw;
}

TEST_F(ClientE2e, InkanSignRefusesBadInputsAndLeavesNoOutputFile) {
    for (const char* mode : {"hash", "doc"}) {
        for (const auto& in : {s_not_pdf, s_truncated, s_encrypted}) {
            const fs::path out = s_tmp->path() / (std::string{"bad-"} + mode + "-" + in.filename().string());
            // Refused before the service is asked anything (no factor is spent).
            const auto r = sign({"--user", "nobody", "--credential", s_credentials["ec"], "--mode", mode,
                                 in.string(), out.string()},
                                "no-password", "2468");
            EXPECT_EQ(r.exit_code, 1) << describe(r);
            EXPECT_NE(r.err.find("inkan: pdf:"), std::string::npos) << describe(r);
            EXPECT_FALSE(fs::exists(out)) << out;
        }
    }
    // A wrong PIN: the service refuses, no output either.
    const Member m = member(s_credentials["ec"]);
    const fs::path out = s_tmp->path() / "wrong-pin.pdf";
    const auto r =
        sign({"--user", m.name, "--credential", s_credentials["ec"], s_table.string(), out.string()},
             "member-password", "0000", totp(m.totp_secret, 0));
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("invalid_authentication_data"), std::string::npos) << describe(r);
    EXPECT_FALSE(fs::exists(out));
    // Factors never come from argv: there is no flag for them.
    const auto usage = run({INKAN_BIN, "sign", "--url", s_api, "--user", m.name, "--credential", "x", "--pin",
                            "2468", s_table.string(), out.string()});
    EXPECT_EQ(usage.exit_code, 2) << describe(usage);
}

}  // namespace
