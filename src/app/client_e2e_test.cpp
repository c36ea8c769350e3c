// End-to-end signing through the client (issue 8): the real `inkan serve` (its PKI listener on a port
// chosen before `inkan init`, so the certificates' OCSP URL is live and pdfsig can say "Trusted"), and
// the real `inkan sign` in hash mode (authorize + signHash, the ades code at the client) and doc mode
// (signDoc, the ades code at the server). Every output is judged by outside tools: pdfsig with an NSS
// database trusting the root, qpdf --check, PDFBox + Bouncy Castle (scripts/verify-pades), openssl cms
// -verify over the byte ranges, openssl ts -verify over the signature value.
//
// Issue 9: the same matrix at B-LT and B-LTA, the DSS streams extracted with qpdf and judged with `openssl
// ocsp -respin` / `openssl crl -verify` (OCSP or CRL for every certificate of the signer and TSA chains),
// document time-stamps with openssl ts -verify; signDoc's validationInfo; `inkan extend` twice (on an inkan
// signature and on one whose CMS OpenSSL made); the extend route; a revoked signer; responders and TSAs down.
//
// TOTP steps are usable once per user, so the matrix runs on SCAL 1 credentials (PIN only) of a user
// without TOTP; the demo user and credential of `inkan init` (SCAL 2, PIN + TOTP) sign once in each mode.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/cms/signed_data.h>
#include <inkan/core/clock.h>
#include <inkan/core/encoding.h>
#include <inkan/crypto/der.h>
#include <inkan/crypto/digest.h>
#include <inkan/pdf/document.h>
#include <inkan/pki/certificate.h>
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

class ClientE2e : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_tmp = std::make_unique<TempDir>("inkan-client-e2e");
        s_data = s_tmp->path() / "data";
        const std::string pki = "127.0.0.1:" + std::to_string(inkan::testing::reserved_port());
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
                                     "127.0.0.1:0", "--pki-listen", pki, "--metrics-listen", "127.0.0.1:0"});
        const json line = json::parse(s_server->read_line(std::chrono::seconds{60}));
        s_api = line["api_url"].get<std::string>();
        s_tsa = line["tsa_url"].get<std::string>();

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

    /// An OpenSSL key (DIR/key.pem) whose certificate (DIR/cert.pem) the service's CA issued from a CSR,
    /// so its OCSP URL is live, and its issuers (DIR/issuers.pem, the chain without the leaf) for
    /// `openssl cms -sign -certfile`: a signer outside inkan.
    static void outside_signer(const fs::path& dir, const std::string& cn) {
        fs::create_directories(dir);
        const auto req =
            run({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                 "-keyout", (dir / "key.pem").string(), "-subj", "/CN=" + cn + "/GN=Outside/SN=Signer/C=JP",
                 "-out", (dir / "csr.pem").string()});
        ASSERT_EQ(req.exit_code, 0) << describe(req);
        const auto issued = run({INKAN_BIN, "ca", "issue", "--data", s_data.string(), "--profile", "person",
                                 "--csr", (dir / "csr.pem").string(), "-o", (dir / "chain.pem").string()});
        ASSERT_EQ(issued.exit_code, 0) << describe(issued);
        const auto leaf = run(
            {"openssl", "x509", "-in", (dir / "chain.pem").string(), "-out", (dir / "cert.pem").string()});
        ASSERT_EQ(leaf.exit_code, 0) << describe(leaf);
        const std::string chain_text = inkan::to_string(inkan::testing::read_file(dir / "chain.pem"));
        const std::string end_marker = "-----END CERTIFICATE-----\n";
        inkan::testing::write_file(
            dir / "issuers.pem",
            std::string_view{chain_text.substr(chain_text.find(end_marker) + end_marker.size())});
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

    /// One signature dictionary of a PDF: its /ByteRange, the CMS in /Contents (padding cut), the bytes
    /// it covers.
    struct PdfSignature {
        std::array<std::uint64_t, 4> range{};
        Bytes cms;
        std::string signed_bytes;
    };
    static std::vector<PdfSignature> pdf_signatures(const fs::path& pdf) {
        const std::string text = inkan::to_string(inkan::testing::read_file(pdf));
        std::vector<PdfSignature> out;
        for (auto at = text.find("/ByteRange ["); at != std::string::npos;
             at = text.find("/ByteRange [", at + 1)) {
            PdfSignature s;
            const auto open = text.find('[', at);
            std::sscanf(text.c_str() + open + 1, "%lu %lu %lu %lu", &s.range[0], &s.range[1], &s.range[2],
                        &s.range[3]);
            s.cms = inkan::hex_decode(text.substr(s.range[1] + 1, s.range[2] - s.range[1] - 2));
            // DER length of the ContentInfo, to cut the zero padding.
            std::size_t len = s.cms[1] < 0x80 ? s.cms[1] + 2U : 0;
            if (s.cms[1] >= 0x80) {
                const std::size_t n = s.cms[1] & 0x7FU;
                for (std::size_t i = 0; i < n; ++i) {
                    len = (len << 8U) | s.cms[2 + i];
                }
                len += 2 + n;
            }
            s.cms.resize(len);
            s.signed_bytes = text.substr(0, s.range[1]) + text.substr(s.range[2], s.range[3]);
            out.push_back(std::move(s));
        }
        return out;
    }

    static bool at_least(const std::string& level, const std::string& floor) {
        const std::array<std::string, 4> order{"B-B", "B-T", "B-LT", "B-LTA"};
        return std::find(order.begin(), order.end(), level) >= std::find(order.begin(), order.end(), floor);
    }

    /// A PDF judged at `level`: pdfsig (valid and trusted), qpdf --check, PDFBox + Bouncy Castle, and
    /// every signature dictionary on its own — a CMS signature with openssl cms -verify over its byte
    /// ranges (and from B-T its signature-time-stamp with openssl ts -verify), a document time-stamp
    /// with openssl ts -verify over its byte ranges. From B-LT the DSS must hold OCSP or CRL data for
    /// every certificate of the signer and TSA chains (judge_dss); B-LTA must end in a document
    /// time-stamp.
    /// `signature_level`: the level the CMS signature itself was made at when it differs (an extended
    /// B-B).
    static void judge_pdf(const fs::path& pdf, const std::string& level, std::string signature_level = "") {
        if (signature_level.empty()) {
            signature_level = level;
        }
        SCOPED_TRACE(pdf.string() + " at " + level);
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
        if (at_least(level, "B-LT")) {
            EXPECT_EQ(box.out.find("\"dss\":{\"certs\":0"), std::string::npos) << "no DSS\n" << box.out;
        }

        const auto signatures = pdf_signatures(pdf);
        ASSERT_FALSE(signatures.empty());
        std::vector<Bytes> certificates;
        for (std::size_t i = 0; i < signatures.size(); ++i) {
            const PdfSignature& s = signatures[i];
            const fs::path cms_file = pdf.string() + "." + std::to_string(i) + ".cms.der";
            const fs::path data_file = pdf.string() + "." + std::to_string(i) + ".signed.bin";
            inkan::testing::write_file(cms_file, s.cms);
            inkan::testing::write_file(data_file, std::string_view{s.signed_bytes});
            const auto sd = inkan::cms::parse(s.cms);
            const bool doc_time_stamp = sd.content_type == inkan::cms::oid::kTstInfo;
            // The newest document time-stamp gets its validation data from the next extension (EN 319
            // 142-1 §5.5); everything before it must be covered.
            if (!doc_time_stamp || i + 1 < signatures.size()) {
                certificates.insert(certificates.end(), sd.certificates.begin(), sd.certificates.end());
            }
            if (doc_time_stamp) {
                // A document time-stamp (ETSI.RFC3161): the token's imprint is over the byte ranges.
                const auto t = run({"openssl", "ts", "-verify", "-data", data_file.string(), "-in",
                                    cms_file.string(), "-token_in", "-CAfile", s_root.string(), "-untrusted",
                                    (s_data / "pki" / "tsa-chain.pem").string()});
                EXPECT_EQ(t.exit_code, 0) << describe(t);
                EXPECT_NE(t.out.find("Verification: OK"), std::string::npos) << describe(t);
                continue;
            }
            const auto v = run({"openssl", "cms", "-verify", "-inform", "DER", "-in", cms_file.string(),
                                "-binary", "-content", data_file.string(), "-CAfile", s_root.string(),
                                "-purpose", "any", "-out", "/dev/null"});
            EXPECT_EQ(v.exit_code, 0) << describe(v);
            if (at_least(signature_level, "B-T")) {
                judge_time_stamp(s.cms);
            }
            for (const auto& si : sd.signer_infos) {
                if (const Bytes* token = si.unsigned_attribute(inkan::cms::oid::kSignatureTimeStampToken)) {
                    const auto t = inkan::cms::parse(*token);
                    certificates.insert(certificates.end(), t.certificates.begin(), t.certificates.end());
                }
            }
        }
        if (at_least(level, "B-LTA")) {
            EXPECT_EQ(inkan::cms::parse(signatures.back().cms).content_type, inkan::cms::oid::kTstInfo)
                << "B-LTA does not end in a document time-stamp";
        }
        if (at_least(level, "B-LT")) {
            judge_dss(pdf, certificates);
        }
    }

    /// qpdf --show-object of `object` in `pdf`.
    static std::string show(const fs::path& pdf, const std::string& object, bool raw = false) {
        std::vector<std::string> argv{"qpdf", "--show-object=" + object};
        if (raw) {
            argv.emplace_back("--raw-stream-data");
        }
        argv.push_back(pdf.string());
        return run(argv).out;
    }
    /// The streams of the catalog's /DSS array `key` ("/Certs", "/OCSPs", "/CRLs"), read with qpdf.
    static std::vector<Bytes> dss_streams(const fs::path& pdf, const std::string& key) {
        const auto trailer = show(pdf, "trailer");
        const auto at = trailer.find("/Root ") + 6;
        const auto catalog = show(pdf, trailer.substr(at, trailer.find(' ', at) - at));
        const auto dss_at = catalog.find("/DSS ");
        if (dss_at == std::string::npos) {
            return {};
        }
        const auto dss = show(pdf, catalog.substr(dss_at + 5, catalog.find(' ', dss_at + 5) - dss_at - 5));
        const auto k = dss.find(key + " [");
        if (k == std::string::npos) {
            return {};
        }
        const auto array = dss.substr(k, dss.find(']', k) - k);
        std::vector<Bytes> out;
        const std::regex ref{R"((\d+) 0 R)"};
        for (auto it = std::sregex_iterator(array.begin(), array.end(), ref); it != std::sregex_iterator();
             ++it) {
            out.push_back(inkan::to_bytes(show(pdf, (*it)[1], true)));
        }
        return out;
    }

    static std::string pem_of(const Bytes& der) { return inkan::pki::Certificate::from_der(der).pem(); }

    /// Every certificate of `certificates` that is not self-issued has, among `ocsps` and `crls`, an
    /// OCSP response that `openssl ocsp -respin` verifies and reads as `want` for it, or a CRL of its
    /// issuer that `openssl crl -verify` accepts and that does not list it (`want` "good").
    static void judge_revocation(const std::vector<Bytes>& certificates, const std::vector<Bytes>& ocsps,
                                 const std::vector<Bytes>& crls,
                                 const std::map<Bytes, std::string>& want = {}) {
        static int n = 0;
        const fs::path dir = s_tmp->path() / ("revocation-" + std::to_string(n++));
        fs::create_directories(dir);
        std::string all;
        for (const auto& c : certificates) {
            all += pem_of(c);
        }
        all += inkan::to_string(inkan::testing::read_file(s_root));
        inkan::testing::write_file(dir / "all.pem", std::string_view{all});
        for (std::size_t i = 0; i < ocsps.size(); ++i) {
            inkan::testing::write_file(dir / ("ocsp-" + std::to_string(i) + ".der"), ocsps[i]);
        }
        std::vector<std::string> crl_issuers;
        for (std::size_t i = 0; i < crls.size(); ++i) {
            const fs::path f = dir / ("crl-" + std::to_string(i) + ".der");
            inkan::testing::write_file(f, crls[i]);
            const auto v = run({"openssl", "crl", "-inform", "DER", "-in", f.string(), "-CAfile",
                                (dir / "all.pem").string(), "-noout", "-verify", "-issuer"});
            crl_issuers.push_back((v.out + v.err).find("verify OK") != std::string::npos ? v.out : "");
        }
        std::set<Bytes> seen;
        for (const auto& cert : certificates) {
            const auto c = inkan::pki::Certificate::from_der(cert);
            if (c.subject() == c.issuer() || !seen.insert(cert).second) {
                continue;  // the trust anchor, or already judged
            }
            const std::string expected = want.count(cert) != 0 ? want.at(cert) : "good";
            const fs::path cert_file = dir / "cert.pem";
            inkan::testing::write_file(cert_file, std::string_view{pem_of(cert)});
            // A delegated responder with id-pkix-ocsp-nocheck needs no status of its own (RFC 6960
            // §4.2.2.2.1).
            if (run({"openssl", "x509", "-in", cert_file.string(), "-noout", "-text"})
                    .out.find("OCSP No Check") != std::string::npos) {
                continue;
            }
            std::string issuer_pem;
            for (const auto& other : certificates) {
                if (inkan::pki::Certificate::from_der(other).subject() == c.issuer()) {
                    issuer_pem = pem_of(other);
                }
            }
            if (issuer_pem.empty()) {
                issuer_pem = inkan::to_string(inkan::testing::read_file(s_root));
            }
            inkan::testing::write_file(dir / "issuer.pem", std::string_view{issuer_pem});
            bool covered = false;
            std::string tried;
            for (std::size_t i = 0; i < ocsps.size() && !covered; ++i) {
                const auto r = run({"openssl", "ocsp", "-respin",
                                    (dir / ("ocsp-" + std::to_string(i) + ".der")).string(), "-issuer",
                                    (dir / "issuer.pem").string(), "-cert", cert_file.string(), "-CAfile",
                                    s_root.string(), "-verify_other", (dir / "all.pem").string()});
                const std::string out = r.out + r.err;
                tried += out;
                covered = out.find("Response verify OK") != std::string::npos &&
                          out.find(cert_file.string() + ": " + expected) != std::string::npos;
            }
            if (!covered && expected == "good") {
                const auto issuer_line =
                    run({"openssl", "x509", "-in", cert_file.string(), "-noout", "-issuer"}).out;
                for (std::size_t i = 0; i < crls.size() && !covered; ++i) {
                    if (crl_issuers[i].find(issuer_line.substr(issuer_line.find('=') + 1)) ==
                        std::string::npos) {
                        continue;
                    }
                    const auto text =
                        run({"openssl", "crl", "-inform", "DER", "-in",
                             (dir / ("crl-" + std::to_string(i) + ".der")).string(), "-noout", "-text"});
                    const std::string serial = c.serial_hex();
                    std::string upper;
                    for (const char ch : serial) {
                        upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
                    }
                    covered = text.out.find(upper) == std::string::npos;
                    tried += "CRL " + std::to_string(i) + " lists " + upper + "\n";
                }
            }
            EXPECT_TRUE(covered) << "no OCSP response (" << expected << ") or CRL covers " << c.subject()
                                 << "\n"
                                 << tried;
        }
    }

    /// The DSS of `pdf`, extracted with qpdf, covers every certificate of `certificates` (the signer and
    /// TSA chains), and holds each of them in /Certs.
    static void judge_dss(const fs::path& pdf, const std::vector<Bytes>& certificates,
                          const std::map<Bytes, std::string>& want = {}) {
        const auto dss_certs = dss_streams(pdf, "/Certs");
        for (const auto& c : certificates) {
            EXPECT_NE(std::find(dss_certs.begin(), dss_certs.end(), c), dss_certs.end())
                << inkan::pki::Certificate::from_der(c).subject() << " is not in the DSS /Certs";
        }
        judge_revocation(certificates, dss_streams(pdf, "/OCSPs"), dss_streams(pdf, "/CRLs"), want);
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
    static inline std::string s_api, s_tsa;
};

TEST_F(ClientE2e, DemoUserOfInitSignsPadesBtInHashModeAndThroughSignDoc) {
    // SCAL 2: PIN + TOTP. Hash mode spends the current step, doc mode the next one (±1 accepted, each
    // step once per user).
    const auto hash = sign({"--user", demo("user"), "--credential", demo("credential_id"), "--level", "B-T",
                            s_table.string(), (s_tmp->path() / "demo-hash.pdf").string()},
                           demo("password"), demo("pin"), totp(demo("totp_secret"), 0));
    ASSERT_EQ(hash.exit_code, 0) << describe(hash);
    judge_pdf(s_tmp->path() / "demo-hash.pdf", "B-T");

    const auto doc =
        sign({"--user", demo("user"), "--credential", demo("credential_id"), "--level", "B-T", "--mode",
              "doc", "--reason", "approved", s_stream.string(), (s_tmp->path() / "demo-doc.pdf").string()},
             demo("password"), demo("pin"), totp(demo("totp_secret"), 1));
    ASSERT_EQ(doc.exit_code, 0) << describe(doc);
    judge_pdf(s_tmp->path() / "demo-doc.pdf", "B-T");
}

TEST_F(ClientE2e, MatrixOfKeysLevelsUpToBltaXrefKindsAndModesPassesEveryOutsideJudge) {
    struct Key {
        const char* name;
        const char* credential;
        bool pss;
    };
    const std::array keys{Key{"rsa-pkcs1", "rsa", false}, Key{"rsa-pss", "rsa", true},
                          Key{"p256", "ec", false}};
    int n = 0;
    for (const auto& key : keys) {
        for (const char* level : {"B-B", "B-T", "B-LT", "B-LTA"}) {
            for (const auto& [xref, input] : {std::pair{"table", s_table}, std::pair{"stream", s_stream}}) {
                // Runtime: B-LT on one xref kind; B-LTA (which contains B-LT) on both.
                if (std::string{level} == "B-LT" && std::string{xref} == "stream") {
                    continue;
                }
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
                    judge_pdf(out, level);
                    ++n;
                }
            }
        }
    }
    EXPECT_EQ(n, 42);
}

TEST_F(ClientE2e, CadesDetachedAndEnvelopingAtEveryLevelPassOpensslAndBouncyCastleInBothModes) {
    const fs::path data = s_tmp->path() / "contract.txt";
    inkan::testing::write_file(data, std::string_view{"A contract, signed as CAdES.\n"});
    for (const char* mode : {"hash", "doc"}) {
        for (const bool detached : {true, false}) {
            for (const char* level : {"B-B", "B-T", "B-LT", "B-LTA"}) {
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
                if (at_least(level, "B-T")) {
                    judge_time_stamp(inkan::testing::read_file(out));
                }
                if (at_least(level, "B-LT")) {
                    // The revocation parts (RFC 5652 crls: CertificateList, or other {id-ri-ocsp-response,
                    // OCSPResponse}, RFC 5940) cover every certificate of the signer and TSA chains.
                    const auto sd = inkan::cms::parse(inkan::testing::read_file(out));
                    std::vector<Bytes> ocsps, crls;
                    for (const auto& c : sd.crls) {
                        if (!c.empty() && c[0] == 0x30) {
                            crls.push_back(c);
                        } else if (!c.empty() && c[0] == 0xA1) {
                            inkan::der::Reader choice{c};
                            inkan::der::Reader other = choice.context(1);
                            (void)other.read_oid();
                            const auto resp = other.next();
                            ocsps.emplace_back(resp.whole.begin(), resp.whole.end());
                        }
                    }
                    std::vector<Bytes> chains = sd.certificates;
                    const Bytes* t =
                        sd.signer_infos[0].unsigned_attribute(inkan::cms::oid::kSignatureTimeStampToken);
                    ASSERT_NE(t, nullptr);
                    const auto token = inkan::cms::parse(*t);
                    chains.insert(chains.end(), token.certificates.begin(), token.certificates.end());
                    judge_revocation(chains, ocsps, crls);
                    std::vector<std::string> bc{INKAN_SOURCE_DIR "/scripts/verify-cades", "--cafile",
                                                s_root.string()};
                    if (detached) {
                        bc.insert(bc.end(), {"--content", data.string()});
                    }
                    bc.push_back(out.string());
                    const auto b = run(bc);
                    EXPECT_EQ(b.exit_code, 0) << describe(b);
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

// XAdES in hash mode (issue 16): `inkan sign --format xades` keeps the XML here and sends only the
// SignedInfo digest through authorize + signHash; xmlsec1 (XML-DSig core, chain to the root) and the
// xadesjs checker (SignedProperties, SignatureTimeStamp imprint) judge every packaging and level.
TEST_F(ClientE2e, XadesInHashAndDocModeEveryPackagingAndLevelPassesXmlsecAndXadesjs) {
    const fs::path xml = s_tmp->path() / "invoice.xml";
    inkan::testing::write_file(
        xml, std::string_view{"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- 請求書 -->\n<Invoice "
                              "xmlns=\"urn:x-invoice\" 番号=\"42\"><Item>りんご &amp; みかん</Item>"
                              "<Note><![CDATA[<税込>]]></Note></Invoice>\n"});
    // signDoc names no file: its detached reference is URI="document" (the relying party's copy).
    inkan::testing::write_file(s_tmp->path() / "document", inkan::testing::read_file(xml));
    for (const std::string mode : {"hash", "doc"}) {
        for (const char* credential : {"rsa", "ec"}) {
            for (const std::string packaging : {"enveloped", "enveloping", "detached"}) {
                for (const std::string level : {"B-B", "B-T", "B-LT", "B-LTA"}) {
                    const std::string label = mode + "-" + credential + "-" + packaging + "-" + level;
                    SCOPED_TRACE(label);
                    const fs::path out = s_tmp->path() / ("xades-" + label + ".xml");
                    std::vector<std::string> args{"--format",    "xades",   "--mode",  mode,
                                                  "--packaging", packaging, "--level", level};
                    if (mode == "hash") {
                        // --role takes one or more values (like --tsa): another option ends the list.
                        args.insert(args.begin(), {"--role", "経理担当"});
                    }
                    args.insert(args.end(), {xml.string(), out.string()});
                    const auto r = sign_as_member(s_credentials[credential], args);
                    ASSERT_EQ(r.exit_code, 0) << describe(r);
                    EXPECT_NE(r.out.find("XAdES " + level), std::string::npos) << r.out;
                    // Detached: the relative reference resolves against xmlsec1's working directory, the
                    // one that holds the document (env -C).
                    const auto x = run({"env", "-C", s_tmp->path().string(), "xmlsec1", "--verify",
                                        "--trusted-pem", s_root.string(), out.string()});
                    EXPECT_EQ(x.exit_code, 0) << describe(x);
                    std::vector<std::string> js{std::string{INKAN_SOURCE_DIR} + "/scripts/verify-xades"};
                    if (packaging == "detached") {
                        js.insert(js.end(), {"--content",
                                             (mode == "hash" ? "invoice.xml=" : "document=") + xml.string()});
                    }
                    js.push_back(out.string());
                    const auto j = run(js);
                    EXPECT_EQ(j.exit_code, 0) << describe(j);
                    if (level != "B-B") {
                        EXPECT_NE(j.out.find("\"signature_time_stamps\":1"), std::string::npos) << j.out;
                    }
                    if (level == "B-LT" || level == "B-LTA") {
                        const std::string signed_xml = inkan::to_string(inkan::testing::read_file(out));
                        EXPECT_NE(signed_xml.find("<xades:EncapsulatedOCSPValue>"), std::string::npos);
                    }
                    // B-LTA: the xadesjs checker recomputes the archive time-stamp's imprint.
                    EXPECT_NE(
                        j.out.find(std::string{"\"archive_time_stamps\":"} + (level == "B-LTA" ? "1" : "0")),
                        std::string::npos)
                        << j.out;
                }
            }
        }
    }
    // RSASSA-PSS (xmlsec1 1.2.37 has none; xadesjs judges it).
    const fs::path pss = s_tmp->path() / "xades-pss.xml";
    const auto r =
        sign_as_member(s_credentials["rsa"], {"--format", "xades", "--pss", xml.string(), pss.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const auto j = run({std::string{INKAN_SOURCE_DIR} + "/scripts/verify-xades", pss.string()});
    EXPECT_EQ(j.exit_code, 0) << describe(j);
    // Bad input is refused before the service is asked, and leaves no output.
    const fs::path bad = s_tmp->path() / "lol.xml";
    inkan::testing::write_file(bad, std::string_view{"<!DOCTYPE a [<!ENTITY x \"xx\">]><a>&x;</a>"});
    const fs::path none = s_tmp->path() / "xades-none.xml";
    const auto refused =
        sign_as_member(s_credentials["ec"], {"--format", "xades", bad.string(), none.string()});
    EXPECT_NE(refused.exit_code, 0) << describe(refused);
    EXPECT_NE(refused.err.find("entities"), std::string::npos) << describe(refused);
    EXPECT_FALSE(fs::exists(none));
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
    json unknown_level = doc;
    unknown_level["conformance_level"] = "Ades-B-XL";
    expect_400({{"documents", json::array({unknown_level})}}, "Invalid parameter conformance_level");
    json cert_cades = doc;
    cert_cades["signature_format"] = "C";
    cert_cades["signed_envelope_property"] = "Certification";
    expect_400({{"documents", json::array({cert_cades})}}, "Invalid parameter signed_envelope_property");
    json jades = doc;
    jades["signature_format"] = "J";
    expect_400({{"documents", json::array({jades})}}, "Invalid parameter signature_format");
    // XAdES enveloped needs XML: the PDF is refused by the xades parser, before anything is spent.
    json xades = doc;
    xades["signature_format"] = "X";
    expect_400({{"documents", json::array({xades})}},
               "Invalid parameter documents: xml: Start tag expected, '<' not found (line 1)");
    json contradiction = doc;
    contradiction["hashAlgorithmOID"] = "2.16.840.1.101.3.4.2.3";
    expect_400({{"documents", json::array({contradiction})}}, "hashAlgorithmOID contradicts with signAlgo");
    json bad_b64 = doc;
    bad_b64["document"] = "%%% not base64 %%%";
    expect_400({{"documents", json::array({bad_b64})}}, "Invalid Base64 document string parameter");
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
    judge_pdf(out, "B-B");

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

TEST_F(ClientE2e, InkanSignDrawsAJapaneseVisibleSignatureWithAGeneratedSealThatEveryJudgeAccepts) {
    // Hash mode: the appearance is built here (embedded IPA subset, era date, Japanese labels, a
    // round seal), only the digest goes to the service.
    const fs::path out = s_tmp->path() / "japanese-visible.pdf";
    const auto r = sign_as_member(
        s_credentials["ec"], {"--visible", "1,300,80,260,90", "--display-name", "髙﨑 太郎", "--seal-style",
                              "round", "--date-style", "japanese", "--labels", "ja", "--reason", "承認",
                              "--location", "東京", s_table.string(), out.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    judge_pdf(out, "B-B");
    auto text = run({"pdftotext", "-raw", out.string(), "-"});
    std::erase(text.out, '\n');
    for (const char* want : {"髙﨑 太郎", "日時：令和", "理由：承認", "場所：東京"}) {
        EXPECT_NE(text.out.find(want), std::string::npos) << want << " not in " << text.out;
    }
    const auto fonts = run({"pdffonts", out.string()});
    EXPECT_NE(fonts.out.find("CID TrueType"), std::string::npos) << fonts.out;

    // Doc mode: signDoc's `appearance` member; the service draws it with its own font, vertically.
    const fs::path doc = s_tmp->path() / "japanese-visible-doc.pdf";
    const auto d = sign_as_member(
        s_credentials["ec"], {"--mode", "doc", "--visible", "1,400,80,120,260", "--display-name", "髙﨑 太郎",
                              "--vertical", "--seal-style", "square", "--date-style", "japanese", "--labels",
                              "ja", s_table.string(), doc.string()});
    ASSERT_EQ(d.exit_code, 0) << describe(d);
    judge_pdf(doc, "B-B");
    auto doc_text = run({"pdftotext", "-raw", doc.string(), "-"});
    std::erase_if(doc_text.out, [](char c) { return c == '\n' || c == ' '; });
    EXPECT_NE(doc_text.out.find("髙﨑太郎"), std::string::npos) << doc_text.out;
    EXPECT_NE(doc_text.out.find("日時：令和"), std::string::npos) << doc_text.out;
    const auto doc_fonts = run({"pdffonts", doc.string()});
    EXPECT_NE(doc_fonts.out.find("CID TrueType"), std::string::npos) << doc_fonts.out;
    const fs::path doc_bad = s_tmp->path() / "bad-visible-doc.pdf";
    const auto refused_doc = sign_as_member(
        s_credentials["ec"], {"--mode", "doc", "--visible", "1,400,80,120,260", "--display-name",
                              "山田\x07太郎", s_table.string(), doc_bad.string()});
    EXPECT_EQ(refused_doc.exit_code, 1) << describe(refused_doc);
    EXPECT_NE(refused_doc.err.find("Invalid parameter appearance"), std::string::npos)
        << describe(refused_doc);
    EXPECT_NE(refused_doc.err.find("U+0007"), std::string::npos) << describe(refused_doc);
    EXPECT_FALSE(fs::exists(doc_bad));

    // Bad appearance input: a clear error, nothing signed, no output. Usage errors first (exit 2),
    // then text the pdf layer refuses (exit 1) before the signature is made.
    const fs::path bad = s_tmp->path() / "bad-visible.pdf";
    const auto usage = run({INKAN_BIN, "sign", "--url", s_api, "--user", "x", "--credential", "x",
                            "--seal-style", "round", s_table.string(), bad.string()});
    EXPECT_EQ(usage.exit_code, 2) << describe(usage);
    EXPECT_NE(usage.err.find("--seal-style needs --visible"), std::string::npos) << describe(usage);
    const auto style =
        run({INKAN_BIN, "sign", "--url", s_api, "--user", "x", "--credential", "x", "--visible",
             "1,10,10,200,60", "--seal-style", "hexagon", s_table.string(), bad.string()});
    EXPECT_EQ(style.exit_code, 2) << describe(style);
    for (const auto& [name, words] :
         {std::pair<std::string, std::string>{"山田\x07太郎", "control character U+0007"},
          {"\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D", "right-to-left character U+05E9"},
          {std::string(500, 'A'), "500 characters"}}) {
        const auto refused = sign_as_member(
            s_credentials["ec"],
            {"--visible", "1,300,80,260,90", "--display-name", name, s_table.string(), bad.string()});
        EXPECT_EQ(refused.exit_code, 1) << describe(refused);
        EXPECT_NE(refused.err.find(words), std::string::npos) << describe(refused);
        EXPECT_FALSE(fs::exists(bad));
    }
    const fs::path garbage = s_tmp->path() / "garbage.ttf";
    inkan::testing::write_file(garbage, Bytes(4096, 0x5A));
    const auto font = sign_as_member(s_credentials["ec"], {"--visible", "1,300,80,260,90", "--font",
                                                           garbage.string(), s_table.string(), bad.string()});
    EXPECT_EQ(font.exit_code, 1) << describe(font);
    EXPECT_NE(font.err.find("is not a TrueType/OpenType font"), std::string::npos) << describe(font);
    EXPECT_FALSE(fs::exists(bad));
}

TEST_F(ClientE2e, TheChosenFontIsTheOneEmbeddedByFontInHashModeAndByTheServersAppearanceFontInDocMode) {
    // The default is IPA Mincho; IPA Gothic (the other Debian package install-deps brings) chosen by
    // `--font` here and by `[signing] appearance_font` on the server must be the font pdffonts sees.
    const std::string gothic = "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf";
    ASSERT_TRUE(fs::exists(gothic)) << "fonts-ipafont-gothic is missing: run scripts/install-deps";
    const auto embedded = [](const fs::path& pdf) {
        const auto fonts = run({"pdffonts", pdf.string()});
        EXPECT_EQ(fonts.exit_code, 0) << describe(fonts);
        return fonts.out;
    };
    const fs::path hash = s_tmp->path() / "gothic-hash.pdf";
    const auto r =
        sign_as_member(s_credentials["ec"], {"--visible", "1,300,80,260,90", "--display-name", "髙﨑 太郎",
                                             "--font", gothic, s_table.string(), hash.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    judge_pdf(hash, "B-B");
    EXPECT_NE(embedded(hash).find("+IPAGothic"), std::string::npos) << embedded(hash);
    EXPECT_EQ(embedded(hash).find("IPAMincho"), std::string::npos) << embedded(hash);

    std::unique_ptr<inkan::testing::Process> server;
    const json line = inkan::e2e::start_serve(server, s_data, {"INKAN_SIGNING_APPEARANCE_FONT=" + gothic});
    const Member m = member(s_credentials["ec"]);
    const fs::path doc = s_tmp->path() / "gothic-doc.pdf";
    const auto d = run({"env",
                        "INKAN_PASSWORD=member-password",
                        "INKAN_PIN=2468",
                        "INKAN_OTP=" + totp(m.totp_secret, 0),
                        INKAN_BIN,
                        "sign",
                        "--url",
                        line["api_url"].get<std::string>(),
                        "--cacert",
                        s_root.string(),
                        "--user",
                        m.name,
                        "--credential",
                        s_credentials["ec"],
                        "--mode",
                        "doc",
                        "--visible",
                        "1,300,80,260,90",
                        "--display-name",
                        "髙﨑 太郎",
                        s_table.string(),
                        doc.string()});
    ASSERT_EQ(d.exit_code, 0) << describe(d);
    judge_pdf(doc, "B-B");
    EXPECT_NE(embedded(doc).find("+IPAGothic"), std::string::npos) << embedded(doc);
    auto text = run({"pdftotext", "-raw", doc.string(), "-"});
    EXPECT_NE(text.out.find("髙﨑 太郎"), std::string::npos) << text.out;
    EXPECT_EQ(server->terminate(), 0) << server->stderr_text();
}

TEST_F(ClientE2e, InfoAnnouncesTheLevelsFormatsAndValidationInfo) {
    const auto r = curl({s_api + "/csc/v2/info"});
    ASSERT_EQ(r.status, 200) << r.raw;
    const json info = json::parse(r.body);
    EXPECT_EQ(info["conformance_levels"], json::array({"Ades-B-B", "Ades-B-T", "Ades-B-LT", "Ades-B-LTA"}))
        << r.body;
    EXPECT_EQ(info["validationInfo"], true) << r.body;
    EXPECT_EQ(info["signature_formats"]["formats"], json::array({"C", "P", "X"})) << r.body;
}

TEST_F(ClientE2e, SignDocReturnsValidationInfoThatOpensslVerifiesAtEveryLevel) {
    const std::string credential = s_credentials["ec"];
    const std::string pdf_b64 = inkan::base64_encode(inkan::testing::read_file(s_table));
    // PAdES B-LT (validationInfo = what the DSS holds), PAdES B-B (fetched, not embedded) and CAdES B-T
    // (with the other spelling); the seal signs one document per SAD, so a fresh member each.
    struct Case {
        const char* label;
        const char* format;
        const char* level;
        const char* flag;
    };
    for (const auto& c : {Case{"pades-blt", "P", "Ades-B-LT", "returnValidationInfo"},
                          Case{"pades-bb", "P", "Ades-B-B", "returnValidationInfo"},
                          Case{"cades-bt", "C", "Ades-B-T", "returnValidationInformation"}}) {
        SCOPED_TRACE(c.label);
        const Member m = member(credential);
        const std::string token = login(m.name, "member-password");
        const std::string sad = sad_for(token, m, credential);
        const auto r =
            post("/csc/v2/signatures/signDoc",
                 {{"credentialID", credential},
                  {"SAD", sad},
                  {c.flag, true},
                  {"documents",
                   {{{"document", pdf_b64},
                     {"signature_format", c.format},
                     {"conformance_level", c.level},
                     {"signed_envelope_property", std::string{c.format} == "P" ? "Revision" : "Attached"},
                     {"signAlgo", kEcdsaSha256}}}}},
                 token);
        ASSERT_EQ(r.status, 200) << r.raw;
        const json body = json::parse(r.body);
        ASSERT_TRUE(body.contains("validationInfo")) << r.body;
        const json& vi = body["validationInfo"];
        const auto list = [&](const char* name) {
            std::vector<Bytes> out;
            for (const auto& v : vi[name]) {
                out.push_back(inkan::base64_decode(v.get<std::string>()));
            }
            return out;
        };
        const auto certificates = list("certificates");
        const auto ocsps = list("ocsp");
        ASSERT_FALSE(ocsps.empty()) << r.body;
        for (std::size_t i = 0; i < certificates.size(); ++i) {
            const fs::path f =
                s_tmp->path() / ("vi-" + std::string{c.label} + "-" + std::to_string(i) + ".der");
            inkan::testing::write_file(f, certificates[i]);
            const auto x =
                run({"openssl", "x509", "-inform", "DER", "-in", f.string(), "-noout", "-subject"});
            EXPECT_EQ(x.exit_code, 0) << describe(x);
        }
        const Bytes object = inkan::base64_decode(body["DocumentWithSignature"][0].get<std::string>());
        const fs::path out =
            s_tmp->path() / ("vi-" + std::string{c.label} + (std::string{c.format} == "P" ? ".pdf" : ".p7m"));
        inkan::testing::write_file(out, object);
        // The signer (and TSA) chains of the new signature: each certificate covered by the returned data.
        std::vector<Bytes> chains;
        const Bytes cms = std::string{c.format} == "P" ? pdf_signatures(out).front().cms : object;
        const auto sd = inkan::cms::parse(cms);
        chains = sd.certificates;
        for (const auto& si : sd.signer_infos) {
            if (const Bytes* t = si.unsigned_attribute(inkan::cms::oid::kSignatureTimeStampToken)) {
                const auto token_sd = inkan::cms::parse(*t);
                chains.insert(chains.end(), token_sd.certificates.begin(), token_sd.certificates.end());
            }
        }
        for (const auto& cert : chains) {
            EXPECT_NE(std::find(certificates.begin(), certificates.end(), cert), certificates.end())
                << inkan::pki::Certificate::from_der(cert).subject()
                << " is not in validationInfo.certificates";
        }
        judge_revocation(chains, ocsps, list("crl"));
        if (std::string{c.format} == "P") {
            judge_pdf(out, std::string{c.level}.substr(5));
        }
    }

    // `inkan sign --mode doc --validation-info FILE` writes what signDoc returned.
    const fs::path out = s_tmp->path() / "doc-blta-vi.pdf";
    const fs::path vi = s_tmp->path() / "doc-blta-vi.json";
    const auto r = sign_as_member(credential, {"--mode", "doc", "--level", "B-LTA", "--validation-info",
                                               vi.string(), s_stream.string(), out.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    judge_pdf(out, "B-LTA");
    const json written = json::parse(inkan::to_string(inkan::testing::read_file(vi)));
    EXPECT_FALSE(written["ocsp"].empty()) << written.dump();
    EXPECT_FALSE(written["certificates"].empty()) << written.dump();
}

TEST_F(ClientE2e, ExtendTwiceThroughTheBinaryKeepsEverySignatureAndTimeStampValid) {
    // A B-T document signed by inkan (hash mode).
    const fs::path bt = s_tmp->path() / "extend-bt.pdf";
    const auto signed_bt =
        sign_as_member(s_credentials["rsa"], {"--level", "B-T", s_table.string(), bt.string()});
    ASSERT_EQ(signed_bt.exit_code, 0) << describe(signed_bt);

    // A document signed outside inkan: the CMS is made by `openssl cms -sign` with an OpenSSL key whose
    // certificate the service's CA issued from a CSR (so its OCSP URL is live); only the PDF placeholder
    // comes from inkan's pdf layer.
    const fs::path dir = s_tmp->path() / "outside";
    ASSERT_NO_FATAL_FAILURE(outside_signer(dir, "Outside Signer"));
    const fs::path outside = s_tmp->path() / "extend-outside.pdf";
    {
        const auto document = inkan::pdf::Document::open(s_table);
        inkan::pdf::SignatureSpec spec;
        spec.sub_filter = inkan::pdf::SubFilter::Pkcs7Detached;  // what non-PAdES software writes
        spec.signing_time = inkan::SystemClock::instance().now();
        spec.contents_size = 8192;
        auto prepared = document.prepare(spec, outside);
        std::string covered;
        prepared.hash_ranges([&](inkan::ByteView part) { covered += inkan::to_string(part); });
        inkan::testing::write_file(dir / "covered.bin", std::string_view{covered});
        const auto cms = run({"openssl", "cms", "-sign", "-binary", "-in", (dir / "covered.bin").string(),
                              "-signer", (dir / "cert.pem").string(), "-inkey", (dir / "key.pem").string(),
                              "-certfile", (dir / "issuers.pem").string(), "-md", "sha256", "-nosmimecap",
                              "-outform", "DER", "-out", (dir / "cms.der").string()});
        ASSERT_EQ(cms.exit_code, 0) << describe(cms);
        prepared.embed(inkan::testing::read_file(dir / "cms.der"));
    }
    judge_pdf(outside, "B-B");

    for (const auto& [label, input] : {std::pair{"inkan", bt}, std::pair{"outside", outside}}) {
        SCOPED_TRACE(label);
        const fs::path once = s_tmp->path() / ("extended-once-" + std::string{label} + ".pdf");
        const fs::path twice = s_tmp->path() / ("extended-twice-" + std::string{label} + ".pdf");
        const auto e1 = run({INKAN_BIN, "extend", input.string(), once.string(), "--tsa", s_tsa});
        ASSERT_EQ(e1.exit_code, 0) << describe(e1);
        const std::string signed_at = std::string{label} == "inkan" ? "B-T" : "B-B";
        judge_pdf(once, "B-LTA", signed_at);
        const auto e2 = run({INKAN_BIN, "extend", once.string(), twice.string(), "--tsa", s_tsa});
        ASSERT_EQ(e2.exit_code, 0) << describe(e2);
        judge_pdf(twice, "B-LTA", signed_at);
        // The second extension keeps the first: the signature and both document time-stamps, each
        // verified over its own byte ranges by judge_pdf.
        const auto sigs = pdf_signatures(twice);
        ASSERT_EQ(sigs.size(), 3U);
        EXPECT_EQ(inkan::cms::parse(sigs[1].cms).content_type, inkan::cms::oid::kTstInfo);
    }
}

TEST_F(ClientE2e, ExtendRouteExtendsSignedPdfsAndRefusesOthers) {
    const fs::path bt = s_tmp->path() / "route-bt.pdf";
    const auto signed_bt =
        sign_as_member(s_credentials["ec"], {"--level", "B-T", s_stream.string(), bt.string()});
    ASSERT_EQ(signed_bt.exit_code, 0) << describe(signed_bt);
    const Member m = member(s_credentials["ec"]);
    const std::string token = login(m.name, "member-password");
    const auto r =
        post("/inkan/v1/extend",
             {{"returnValidationInfo", true},
              {"documents", {{{"document", inkan::base64_encode(inkan::testing::read_file(bt))}}}}},
             token);
    ASSERT_EQ(r.status, 200) << r.raw;
    const json body = json::parse(r.body);
    ASSERT_EQ(body["DocumentWithSignature"].size(), 1U) << r.body;
    EXPECT_FALSE(body["validationInfo"]["ocsp"].empty()) << r.body;
    const fs::path out = s_tmp->path() / "route-extended.pdf";
    inkan::testing::write_file(out,
                               inkan::base64_decode(body["DocumentWithSignature"][0].get<std::string>()));
    judge_pdf(out, "B-LTA");

    const auto expect_400 = [&](const Bytes& document, const std::string& description) {
        const auto bad = post("/inkan/v1/extend",
                              {{"documents", {{{"document", inkan::base64_encode(document)}}}}}, token);
        EXPECT_EQ(bad.status, 400) << bad.raw;
        EXPECT_EQ(json::parse(bad.body.empty() ? "{}" : bad.body).value("error_description", ""), description)
            << bad.raw;
    };
    expect_400(inkan::testing::read_file(s_table),
               "Invalid parameter documents: the document holds no signature to extend");
    expect_400(inkan::testing::read_file(s_not_pdf),
               "Invalid parameter documents: not a PDF (no %PDF- header)");
    // Without a token: 401.
    const auto anonymous =
        curl({"-X", "POST", "-H", "Content-Type: application/json", s_api + "/inkan/v1/extend"},
             R"({"documents": []})");
    EXPECT_EQ(anonymous.status, 401) << anonymous.raw;
}

/// An extended CAdES judged from outside: `openssl cms -verify` (with -content for a detached one) and
/// Bouncy Castle (scripts/verify-cades): every token valid, `archives` archive-time-stamp-v3s whose
/// imprints BC recomputed, and revocation data for every certificate of the signer and TSA chains.
void judge_extended_cades(const fs::path& cms, const fs::path* content, const fs::path& root,
                          std::size_t archives) {
    std::vector<std::string> verify{"openssl",  "cms",        "-verify", "-inform",  "DER",
                                    "-in",      cms.string(), "-binary", "-CAfile",  root.string(),
                                    "-purpose", "any",        "-out",    "/dev/null"};
    std::vector<std::string> bc{INKAN_SOURCE_DIR "/scripts/verify-cades", "--cafile", root.string()};
    if (content != nullptr) {
        verify.insert(verify.end(), {"-content", content->string()});
        bc.insert(bc.end(), {"--content", content->string()});
    }
    bc.push_back(cms.string());
    const auto v = run(verify);
    EXPECT_EQ(v.exit_code, 0) << cms << "\n" << describe(v);
    EXPECT_NE(v.err.find("Verification successful"), std::string::npos) << cms << "\n" << describe(v);
    const auto b = run(bc);
    EXPECT_EQ(b.exit_code, 0) << cms << "\n" << describe(b);
    EXPECT_NE(b.out.find("\"failures\":0"), std::string::npos) << cms << "\n" << b.out;
    EXPECT_NE(b.out.find("\"lt_missing\":0,"), std::string::npos) << cms << "\n" << b.out;
    EXPECT_NE(b.out.find("\"signature_time_stamps\":1,\"archive_time_stamps\":" + std::to_string(archives)),
              std::string::npos)
        << cms << "\n"
        << b.out;
    // Each ATSv3 line: BC recomputed its imprint and found it in the token.
    const std::regex ok_line{
        R"re(\{[^\n]*"token":"archive-time-stamp-v3"[^\n]*"imprint":"[0-9a-f]+"[^\n]*"ok":true)re"};
    const auto lines =
        std::distance(std::sregex_iterator(b.out.begin(), b.out.end(), ok_line), std::sregex_iterator());
    EXPECT_EQ(static_cast<std::size_t>(lines), archives) << cms << "\n" << b.out;
}

TEST_F(ClientE2e, CadesExtendTwiceThroughTheBinaryOnInkanAndOpensslSignaturesPassOutsideJudges) {
    const fs::path data = s_tmp->path() / "cades-extend.txt";
    inkan::testing::write_file(data, std::string_view{"A contract, kept alive as CAdES.\n"});
    const fs::path detached = s_tmp->path() / "cades-extend-detached.p7s";
    const fs::path enveloping = s_tmp->path() / "cades-extend-enveloping.p7s";
    for (const auto& [path, is_detached] : {std::pair{detached, true}, std::pair{enveloping, false}}) {
        std::vector<std::string> args{"--format", "cades", "--level", "B-T"};
        if (is_detached) {
            args.emplace_back("--detached");
        }
        args.push_back(data.string());
        args.push_back(path.string());
        const auto r = sign_as_member(s_credentials["ec"], args);
        ASSERT_EQ(r.exit_code, 0) << describe(r);
    }

    // A CAdES made outside inkan: `openssl cms -sign -cades` (B-B, detached, PEM) with an OpenSSL key
    // whose certificate the service's CA issued from a CSR (so its OCSP URL is live).
    const fs::path dir = s_tmp->path() / "outside-cades";
    ASSERT_NO_FATAL_FAILURE(outside_signer(dir, "Outside CAdES Signer"));
    const fs::path outside = s_tmp->path() / "cades-extend-openssl.pem";
    const auto cms =
        run({"openssl", "cms", "-sign", "-cades", "-binary", "-in", data.string(), "-signer",
             (dir / "cert.pem").string(), "-inkey", (dir / "key.pem").string(), "-certfile",
             (dir / "issuers.pem").string(), "-md", "sha256", "-outform", "PEM", "-out", outside.string()});
    ASSERT_EQ(cms.exit_code, 0) << describe(cms);
    ASSERT_NE(inkan::to_string(inkan::testing::read_file(outside)).find("-----BEGIN CMS-----"),
              std::string::npos);

    struct Case {
        const char* label;
        fs::path input;
        bool detached;
    };
    for (const Case& c : {Case{"inkan-detached", detached, true}, Case{"inkan-enveloping", enveloping, false},
                          Case{"openssl-detached-pem", outside, true}}) {
        SCOPED_TRACE(c.label);
        const fs::path once = s_tmp->path() / ("cades-extended-once-" + std::string{c.label} + ".p7s");
        const fs::path twice = s_tmp->path() / ("cades-extended-twice-" + std::string{c.label} + ".p7s");
        std::vector<std::string> first{INKAN_BIN, "extend", c.input.string(), once.string(), "--tsa", s_tsa};
        std::vector<std::string> second{INKAN_BIN, "extend", once.string(), twice.string(), "--tsa", s_tsa};
        if (c.detached) {
            first.insert(first.end(), {"--content", data.string()});
            second.insert(second.end(), {"--content", data.string()});
        }
        const auto e1 = run(first);
        ASSERT_EQ(e1.exit_code, 0) << describe(e1);
        EXPECT_NE(e1.out.find("archive-time-stamp-v3"), std::string::npos) << describe(e1);
        judge_extended_cades(once, c.detached ? &data : nullptr, s_root, 1);
        const auto e2 = run(second);
        ASSERT_EQ(e2.exit_code, 0) << describe(e2);
        judge_extended_cades(twice, c.detached ? &data : nullptr, s_root, 2);
        // The signature itself is untouched by both rounds.
        EXPECT_EQ(inkan::cms::parse(inkan::testing::read_file(twice)).signer_infos.at(0).signature,
                  inkan::cms::parse(inkan::testing::read_file(once)).signer_infos.at(0).signature);
    }

    // Refusals leave no output: a detached CMS without its content, content for an enveloping CMS (usage
    // errors), content that was not signed.
    const fs::path no = s_tmp->path() / "cades-extend-refused.p7s";
    const auto missing = run({INKAN_BIN, "extend", detached.string(), no.string(), "--tsa", s_tsa});
    EXPECT_EQ(missing.exit_code, 2) << describe(missing);
    EXPECT_NE(missing.err.find("--content"), std::string::npos) << describe(missing);
    EXPECT_FALSE(fs::exists(no));
    const auto extra = run(
        {INKAN_BIN, "extend", enveloping.string(), no.string(), "--tsa", s_tsa, "--content", data.string()});
    EXPECT_EQ(extra.exit_code, 2) << describe(extra);
    EXPECT_NE(extra.err.find("detached"), std::string::npos) << describe(extra);
    EXPECT_FALSE(fs::exists(no));
    const auto wrong = run({INKAN_BIN, "extend", detached.string(), no.string(), "--tsa", s_tsa, "--content",
                            s_not_pdf.string()});
    EXPECT_EQ(wrong.exit_code, 1) << describe(wrong);
    EXPECT_NE(wrong.err.find("message-digest"), std::string::npos) << describe(wrong);
    EXPECT_FALSE(fs::exists(no));
}

TEST_F(ClientE2e, ExtendRouteExtendsCadesDetachedWithContentAndRefusesBadInput) {
    const fs::path data = s_tmp->path() / "cades-route.txt";
    inkan::testing::write_file(data, std::string_view{"A detached CAdES, extended by the service.\n"});
    const fs::path bt = s_tmp->path() / "cades-route-bt.p7s";
    const auto signed_bt = sign_as_member(s_credentials["ec"], {"--format", "cades", "--level", "B-T",
                                                                "--detached", data.string(), bt.string()});
    ASSERT_EQ(signed_bt.exit_code, 0) << describe(signed_bt);
    const Member m = member(s_credentials["ec"]);
    const std::string token = login(m.name, "member-password");
    const std::string document = inkan::base64_encode(inkan::testing::read_file(bt));
    const std::string content = inkan::base64_encode(inkan::testing::read_file(data));
    const auto r =
        post("/inkan/v1/extend",
             {{"returnValidationInfo", true},
              {"documents", {{{"document", document}, {"signature_format", "C"}, {"content", content}}}}},
             token);
    ASSERT_EQ(r.status, 200) << r.raw;
    const json body = json::parse(r.body);
    ASSERT_EQ(body["DocumentWithSignature"].size(), 1U) << r.body;
    EXPECT_FALSE(body["validationInfo"]["ocsp"].empty()) << r.body;
    EXPECT_FALSE(body["validationInfo"]["certificates"].empty()) << r.body;
    const fs::path out = s_tmp->path() / "cades-route-extended.p7s";
    inkan::testing::write_file(out,
                               inkan::base64_decode(body["DocumentWithSignature"][0].get<std::string>()));
    judge_extended_cades(out, &data, s_root, 1);

    const auto expect_400 = [&](const json& doc, const std::string& description) {
        const auto bad = post("/inkan/v1/extend", {{"documents", {doc}}}, token);
        EXPECT_EQ(bad.status, 400) << bad.raw;
        EXPECT_EQ(json::parse(bad.body.empty() ? "{}" : bad.body).value("error_description", ""), description)
            << bad.raw;
    };
    // Detected as a CMS without signature_format; detached, so the content is required.
    expect_400({{"document", document}},
               "Invalid parameter documents: the CMS is detached: pass its signed content in content");
    expect_400(
        {{"document", document}, {"content", inkan::base64_encode(inkan::testing::read_file(s_not_pdf))}},
        "Invalid parameter documents: the content does not match the message-digest of SignerInfo 0");
    expect_400(
        {{"document", inkan::base64_encode(inkan::testing::read_file(s_not_pdf))}, {"signature_format", "C"}},
        "Invalid parameter documents: not a CMS (neither DER nor PEM)");
    expect_400({{"document", document}, {"signature_format", "J"}}, "Invalid parameter signature_format");
    expect_400({{"document", document}, {"signature_format", "X"}},
               "Invalid parameter documents: xml: Start tag expected, '<' not found (line 1)");
}

/// A XAdES judged from outside: xmlsec1 --verify (run in `dir`, where a detached reference's document is)
/// and the xadesjs checker, which recomputes every archive time-stamp's imprint.
void judge_xades(const fs::path& xml, const fs::path& root, int archive_time_stamps,
                 const std::string& content = {}) {
    const auto x = run({"env", "-C", xml.parent_path().string(), "xmlsec1", "--verify", "--trusted-pem",
                        root.string(), xml.string()});
    EXPECT_EQ(x.exit_code, 0) << describe(x);
    std::vector<std::string> js{std::string{INKAN_SOURCE_DIR} + "/scripts/verify-xades"};
    if (!content.empty()) js.insert(js.end(), {"--content", content});
    js.push_back(xml.string());
    const auto j = run(js);
    EXPECT_EQ(j.exit_code, 0) << describe(j);
    EXPECT_NE(j.out.find("\"archive_time_stamps\":" + std::to_string(archive_time_stamps)), std::string::npos)
        << j.out;
}

// XAdES extension (issue 16): `inkan extend` and POST /inkan/v1/extend take an XML file (detected by its
// bytes, or signature_format X), add what is missing up to B-LT and a new archive time-stamp; again later,
// a second one. Both judges accept every step.
TEST_F(ClientE2e, XadesExtendedByTheCliAndTheRouteGainsArchiveTimeStampsAndStillVerifies) {
    const fs::path dir = s_tmp->path() / "xades-extend";
    fs::create_directories(dir);
    const fs::path order = dir / "order.xml";
    inkan::testing::write_file(order,
                               std::string_view{"<?xml version=\"1.0\"?>\n<Order xmlns=\"urn:x-order\">"
                                                "<Item qty='2'>緑茶</Item></Order>\n"});
    const fs::path bb = dir / "bb.xml";
    const fs::path detached = dir / "detached.xml";
    ASSERT_EQ(
        sign_as_member(s_credentials["ec"], {"--format", "xades", order.string(), bb.string()}).exit_code, 0);
    ASSERT_EQ(sign_as_member(s_credentials["rsa"], {"--format", "xades", "--packaging", "detached",
                                                    order.string(), detached.string()})
                  .exit_code,
              0);
    const fs::path once = dir / "once.xml";
    const fs::path twice = dir / "twice.xml";
    const auto e1 = run({INKAN_BIN, "extend", bb.string(), once.string(), "--tsa", s_tsa});
    ASSERT_EQ(e1.exit_code, 0) << describe(e1);
    EXPECT_NE(e1.out.find("XAdES, 1 signatures"), std::string::npos) << e1.out;
    judge_xades(once, s_root, 1);
    const auto e2 = run({INKAN_BIN, "extend", once.string(), twice.string(), "--tsa", s_tsa});
    ASSERT_EQ(e2.exit_code, 0) << describe(e2);
    judge_xades(twice, s_root, 2);
    // Detached: the external document is needed for the archive time-stamp, named by its URI.
    const fs::path none = dir / "none.xml";
    const auto missing = run({INKAN_BIN, "extend", detached.string(), none.string(), "--tsa", s_tsa});
    EXPECT_NE(missing.exit_code, 0);
    EXPECT_NE(missing.err.find("--content order.xml=FILE"), std::string::npos) << describe(missing);
    EXPECT_FALSE(fs::exists(none));
    const fs::path det_once = dir / "detached-once.xml";
    const auto e3 = run({INKAN_BIN, "extend", detached.string(), det_once.string(), "--tsa", s_tsa,
                         "--content", "order.xml=" + order.string()});
    ASSERT_EQ(e3.exit_code, 0) << describe(e3);
    judge_xades(det_once, s_root, 1, "order.xml=" + order.string());

    // The route: detected as XML, or named X; a detached one with its content.
    const Member m = member(s_credentials["ec"]);
    const std::string token = login(m.name, "member-password");
    const auto b64 = [](const fs::path& p) { return inkan::base64_encode(inkan::testing::read_file(p)); };
    const auto r =
        post("/inkan/v1/extend",
             {{"returnValidationInfo", true},
              {"documents",
               {{{"document", b64(bb)}},
                {{"document", b64(detached)}, {"signature_format", "X"}, {"content", b64(order)}}}}},
             token);
    ASSERT_EQ(r.status, 200) << r.raw;
    const json body = json::parse(r.body);
    ASSERT_EQ(body["DocumentWithSignature"].size(), 2U) << r.body;
    EXPECT_FALSE(body["validationInfo"]["ocsp"].empty()) << r.body;
    const fs::path route_bb = dir / "route-bb.xml";
    const fs::path route_det = dir / "route-detached.xml";
    inkan::testing::write_file(route_bb,
                               inkan::base64_decode(body["DocumentWithSignature"][0].get<std::string>()));
    inkan::testing::write_file(route_det,
                               inkan::base64_decode(body["DocumentWithSignature"][1].get<std::string>()));
    judge_xades(route_bb, s_root, 1);
    judge_xades(route_det, s_root, 1, "order.xml=" + order.string());
    const auto bad = post("/inkan/v1/extend", {{"documents", {{{"document", b64(detached)}}}}}, token);
    EXPECT_EQ(bad.status, 400) << bad.raw;
    EXPECT_EQ(
        json::parse(bad.body.empty() ? "{}" : bad.body).value("error_description", ""),
        "Invalid parameter documents: the XAdES is detached: pass the document its reference \"order.xml\" "
        "names in content")
        << bad.raw;
    const auto unsigned_xml = post("/inkan/v1/extend", {{"documents", {{{"document", b64(order)}}}}}, token);
    EXPECT_EQ(unsigned_xml.status, 400) << unsigned_xml.raw;
    EXPECT_EQ(
        json::parse(unsigned_xml.body.empty() ? "{}" : unsigned_xml.body).value("error_description", ""),
        "Invalid parameter documents: the document holds no ds:Signature")
        << unsigned_xml.raw;
}

TEST_F(ClientE2e, ResponderOrTsaDownMakesBltFailClearlyWithNoOutput) {
    const fs::path bt = s_tmp->path() / "down-bt.pdf";
    const auto signed_bt =
        sign_as_member(s_credentials["ec"], {"--level", "B-T", s_table.string(), bt.string()});
    ASSERT_EQ(signed_bt.exit_code, 0) << describe(signed_bt);
    const std::string dead = "http://127.0.0.1:1";

    // inkan extend: a TSA that is down; OCSP/CRL unreachable (every request through a dead proxy).
    // The TSA's failure names its URL; a revocation failure names the certificate and each source.
    const std::pair<std::vector<std::string>, std::string> tsa_down{{"--tsa=" + dead + "/tsa"},
                                                                    dead + "/tsa"};
    const std::pair<std::vector<std::string>, std::string> ocsp_down{{"--proxy", dead}, "cannot be obtained"};
    for (const auto& [extra, reason] :
         {std::pair{std::vector<std::string>{"--tsa=" + dead + "/tsa"}, tsa_down.second},
          std::pair{std::vector<std::string>{"--tsa=" + s_tsa, "--proxy", dead}, ocsp_down.second}}) {
        const fs::path out = s_tmp->path() / "down-extended.pdf";
        std::vector<std::string> argv{INKAN_BIN, "extend", bt.string(), out.string()};
        argv.insert(argv.end(), extra.begin(), extra.end());
        const auto r = run(argv);
        EXPECT_EQ(r.exit_code, 1) << describe(r);
        EXPECT_NE(r.err.find(reason), std::string::npos) << describe(r);
        EXPECT_NE(r.err.find("[unavailable]"), std::string::npos) << describe(r);
        EXPECT_FALSE(fs::exists(out)) << out;
    }
    // inkan sign --level B-LT in hash mode: the TSA, then the OCSP responder out of reach.
    for (const auto& [extra, reason] : {tsa_down, ocsp_down}) {
        const fs::path out = s_tmp->path() / "down-signed.pdf";
        std::vector<std::string> args{"--level", "B-LT"};
        args.insert(args.end(), extra.begin(), extra.end());
        args.insert(args.end(), {s_table.string(), out.string()});
        const auto r = sign_as_member(s_credentials["ec"], args);
        EXPECT_EQ(r.exit_code, 1) << describe(r);
        EXPECT_NE(r.err.find(reason), std::string::npos) << describe(r);
        EXPECT_NE(r.err.find("[unavailable]"), std::string::npos) << describe(r);
        EXPECT_FALSE(fs::exists(out)) << out;
    }

    // signDoc on a second server over the same data whose OCSP/CRL requests go through a dead proxy and
    // whose TSA is down: B-LT is 503 before the SAD (one signature) is spent — the same SAD then reaches
    // the TSA for B-T, which fails with 503 after the spend; the SAD is gone afterwards.
    std::unique_ptr<inkan::testing::Process> server;
    const json line = inkan::e2e::start_serve(
        server, s_data,
        {"INKAN_SIGNING_REVOCATION_PROXY=" + dead, "INKAN_SIGNING_TSA_URLS=" + dead + "/tsa"});
    const std::string api = line["api_url"].get<std::string>();
    const std::string credential = s_credentials["ec"];
    const Member m = member(credential);
    const std::string token = login(m.name, "member-password");
    const std::string sad = sad_for(token, m, credential, 1);
    const auto sign_doc = [&](const char* level) {
        return curl({"-X", "POST", "-H", "Content-Type: application/json", "-H",
                     "Authorization: Bearer " + token, api + "/csc/v2/signatures/signDoc"},
                    json{{"credentialID", credential},
                         {"SAD", sad},
                         {"documents",
                          {{{"document", inkan::base64_encode(inkan::testing::read_file(s_table))},
                            {"signature_format", "P"},
                            {"conformance_level", level},
                            {"signAlgo", kEcdsaSha256}}}}}
                        .dump());
    };
    const auto lt = sign_doc("Ades-B-LT");
    EXPECT_EQ(lt.status, 503) << lt.raw;
    const json e = json::parse(lt.body.empty() ? "{}" : lt.body);
    EXPECT_EQ(e.value("error", ""), "temporarily_unavailable") << lt.raw;
    EXPECT_NE(e.value("error_description", "").find("Validation data or time-stamp could not be obtained"),
              std::string::npos)
        << lt.raw;
    const auto no_tsa = sign_doc("Ades-B-T");
    EXPECT_EQ(no_tsa.status, 503) << no_tsa.raw;
    EXPECT_NE(no_tsa.body.find("127.0.0.1:1/tsa"), std::string::npos) << no_tsa.raw;
    // B-T spent the SAD (the HSM had signed when the TSA failed): it is gone now.
    const auto after = sign_doc("Ades-B-B");
    EXPECT_EQ(after.status, 400) << after.raw;
    EXPECT_EQ(server->terminate(), 0) << server->stderr_text();
}

/// The /VRI key openssl computes for a signature (EN 319 142-1 §5.4.2.3: upper-case hex SHA-1 of
/// /Contents as stored, padding included), and whether the uncompressed document (qpdf --qdf) names it.
bool has_vri_for_first_signature(const fs::path& pdf) {
    const auto sigs = inkan::pdf::Document::open(pdf).signatures();
    if (sigs.empty()) return false;
    const fs::path contents = pdf.string() + ".contents.bin";
    inkan::testing::write_file(contents, sigs.front().contents);
    const auto dgst = run({"openssl", "dgst", "-sha1", "-r", contents.string()});
    EXPECT_EQ(dgst.exit_code, 0) << describe(dgst);
    std::string key = dgst.out.substr(0, 40);
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::toupper(c); });
    const auto qdf = run({"qpdf", "--qdf", "--object-streams=disable", pdf.string(), "-"});
    EXPECT_EQ(qdf.exit_code, 0) << describe(qdf);
    return qdf.out.find("/VRI") != std::string::npos && qdf.out.find("/" + key) != std::string::npos;
}

/// Whether the newest document time-stamp is followed by another revision (its own DSS update).
bool document_time_stamp_is_followed_by_a_dss_update(const fs::path& pdf) {
    const auto sigs = inkan::pdf::Document::open(pdf).signatures();
    EXPECT_FALSE(sigs.empty());
    if (sigs.empty() || sigs.back().byte_range.size() != 4) return false;
    const auto& r = sigs.back().byte_range;
    return r[2] + r[3] < fs::file_size(pdf);
}

TEST_F(ClientE2e, VriAndTimestampValidationComeFromInkanSignFlagsOrTheServersSigningConfig) {
    // Hash mode: the client's own DSS updates.
    const fs::path hash_out = s_tmp->path() / "vri-hash.pdf";
    const auto r = sign_as_member(s_credentials["ec"], {"--level", "B-LTA", "--vri", "--timestamp-validation",
                                                        s_table.string(), hash_out.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    judge_pdf(hash_out, "B-LTA");
    EXPECT_TRUE(has_vri_for_first_signature(hash_out)) << "no /VRI keyed by the signature's SHA-1";
    EXPECT_TRUE(document_time_stamp_is_followed_by_a_dss_update(hash_out));

    // Without the flags: no VRI, and the document time-stamp (same TSA as the signature's, whose
    // chain the DSS under it already holds) is the last revision.
    const fs::path plain = s_tmp->path() / "vri-none.pdf";
    const auto p =
        sign_as_member(s_credentials["ec"], {"--level", "B-LTA", s_table.string(), plain.string()});
    ASSERT_EQ(p.exit_code, 0) << describe(p);
    EXPECT_FALSE(has_vri_for_first_signature(plain));
    EXPECT_FALSE(document_time_stamp_is_followed_by_a_dss_update(plain));

    // The flags do not apply where the client builds no DSS.
    const fs::path refused = s_tmp->path() / "vri-doc-mode.pdf";
    const auto u = sign_as_member(s_credentials["ec"], {"--level", "B-LT", "--mode", "doc", "--vri",
                                                        s_table.string(), refused.string()});
    EXPECT_EQ(u.exit_code, 2) << describe(u);
    EXPECT_NE(u.err.find("--vri and --timestamp-validation are for"), std::string::npos) << describe(u);
    EXPECT_FALSE(fs::exists(refused));

    // signDoc on a second server over the same data with [signing] vri and timestamp_validation on.
    std::unique_ptr<inkan::testing::Process> server;
    const json line = inkan::e2e::start_serve(
        server, s_data, {"INKAN_SIGNING_VRI=true", "INKAN_SIGNING_TIMESTAMP_VALIDATION=true"});
    const std::string api = line["api_url"].get<std::string>();
    const Member m = member(s_credentials["ec"]);
    const fs::path doc_out = s_tmp->path() / "vri-doc.pdf";
    const auto d = run({"env",
                        "INKAN_PASSWORD=member-password",
                        "INKAN_PIN=2468",
                        "INKAN_OTP=" + totp(m.totp_secret, 0),
                        INKAN_BIN,
                        "sign",
                        "--url",
                        api,
                        "--cacert",
                        s_root.string(),
                        "--user",
                        m.name,
                        "--credential",
                        s_credentials["ec"],
                        "--mode",
                        "doc",
                        "--level",
                        "B-LTA",
                        s_table.string(),
                        doc_out.string()});
    ASSERT_EQ(d.exit_code, 0) << describe(d);
    judge_pdf(doc_out, "B-LTA");
    EXPECT_TRUE(has_vri_for_first_signature(doc_out)) << "the server's [signing] vri was not applied";
    EXPECT_TRUE(document_time_stamp_is_followed_by_a_dss_update(doc_out))
        << "the server's [signing] timestamp_validation was not applied";
    EXPECT_EQ(server->terminate(), 0) << server->stderr_text();
}

TEST_F(ClientE2e, RevokedSignerIsEmbeddedAsRevokedByExtendAndRefusedForLongTermSigning) {
    const auto c = run({INKAN_BIN, "credential", "create", "--data", s_data.string(), "--profile", "seal",
                        "--organization", "Inkan Test KK", "--org-id", "NTRJP-1234567890123", "--algo",
                        "ec-p256", "--scal", "1", "--json"});
    ASSERT_EQ(c.exit_code, 0) << describe(c);
    const json created = json::parse(c.out);
    const std::string credential = created["credential"]["id"].get<std::string>();
    const fs::path bt = s_tmp->path() / "revoked-bt.pdf";
    const auto signed_bt = sign_as_member(credential, {"--level", "B-T", s_table.string(), bt.string()});
    ASSERT_EQ(signed_bt.exit_code, 0) << describe(signed_bt);
    const fs::path cades_bt = s_tmp->path() / "revoked-bt.p7s";
    const auto signed_cades = sign_as_member(
        credential, {"--format", "cades", "--level", "B-T", s_table.string(), cades_bt.string()});
    ASSERT_EQ(signed_cades.exit_code, 0) << describe(signed_cades);
    const auto sd = inkan::cms::parse(pdf_signatures(bt).front().cms);
    const auto leaf = inkan::cms::find_signer_certificate(sd, 0);
    ASSERT_TRUE(leaf.has_value());
    const auto revoke = run({INKAN_BIN, "ca", "revoke", "--data", s_data.string(), "--reason",
                             "keyCompromise", inkan::pki::Certificate::from_der(*leaf).serial_hex()});
    ASSERT_EQ(revoke.exit_code, 0) << describe(revoke);

    // Extension embeds the revoked status as it is (the signature predates it; its time-stamp says so).
    const fs::path extended = s_tmp->path() / "revoked-extended.pdf";
    const auto e = run({INKAN_BIN, "extend", bt.string(), extended.string(), "--tsa", s_tsa});
    ASSERT_EQ(e.exit_code, 0) << describe(e);
    const auto check = run({"qpdf", "--check", extended.string()});
    EXPECT_EQ(check.exit_code, 0) << describe(check);
    std::vector<Bytes> chains = sd.certificates;
    const auto token =
        inkan::cms::parse(*sd.signer_infos[0].unsigned_attribute(inkan::cms::oid::kSignatureTimeStampToken));
    chains.insert(chains.end(), token.certificates.begin(), token.certificates.end());
    judge_dss(extended, chains, {{*leaf, "revoked"}});
    // ... unless asked to refuse.
    const fs::path refused = s_tmp->path() / "revoked-refused.pdf";
    const auto r =
        run({INKAN_BIN, "extend", bt.string(), refused.string(), "--refuse-revoked", "--tsa", s_tsa});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("is revoked"), std::string::npos) << describe(r);
    EXPECT_FALSE(fs::exists(refused));
    // The same for a CAdES.
    const fs::path cades_refused = s_tmp->path() / "revoked-refused.p7s";
    const auto rc = run(
        {INKAN_BIN, "extend", cades_bt.string(), cades_refused.string(), "--refuse-revoked", "--tsa", s_tsa});
    EXPECT_EQ(rc.exit_code, 1) << describe(rc);
    EXPECT_NE(rc.err.find("revoked"), std::string::npos) << describe(rc);
    EXPECT_FALSE(fs::exists(cades_refused));
    const fs::path cades_extended = s_tmp->path() / "revoked-extended.p7s";
    const auto ec = run({INKAN_BIN, "extend", cades_bt.string(), cades_extended.string(), "--tsa", s_tsa});
    EXPECT_EQ(ec.exit_code, 0) << describe(ec);
    // openssl and Bouncy Castle accept it (the signature predates the revocation), and Bouncy Castle reads
    // the embedded status of the signer's certificate as revoked.
    judge_extended_cades(cades_extended, nullptr, s_root, 1);
    const auto bc =
        run({INKAN_SOURCE_DIR "/scripts/verify-cades", "--cafile", s_root.string(), cades_extended.string()});
    EXPECT_NE(bc.out.find("\"revocation\":\"revoked"), std::string::npos) << describe(bc);

    // Signing at B-LT refuses a revoked signer: in hash mode (no output) and through signDoc (400 before
    // the SAD is spent: the same SAD then signs at B-B, where no revocation data is fetched).
    const fs::path hash_out = s_tmp->path() / "revoked-hash-blt.pdf";
    const auto h = sign_as_member(credential, {"--level", "B-LT", s_table.string(), hash_out.string()});
    EXPECT_EQ(h.exit_code, 1) << describe(h);
    EXPECT_NE(h.err.find("is revoked"), std::string::npos) << describe(h);
    EXPECT_FALSE(fs::exists(hash_out));
    const Member m = member(credential);
    const std::string access = login(m.name, "member-password");
    const std::string sad = sad_for(access, m, credential);
    const auto sign_doc = [&](const char* level) {
        return post("/csc/v2/signatures/signDoc",
                    {{"credentialID", credential},
                     {"SAD", sad},
                     {"documents",
                      {{{"document", inkan::base64_encode(inkan::testing::read_file(s_table))},
                        {"signature_format", "P"},
                        {"conformance_level", level},
                        {"signAlgo", kEcdsaSha256}}}}},
                    access);
    };
    const auto lt = sign_doc("Ades-B-LT");
    EXPECT_EQ(lt.status, 400) << lt.raw;
    const json err = json::parse(lt.body.empty() ? "{}" : lt.body);
    EXPECT_EQ(err.value("error", ""), "invalid_request") << lt.raw;
    EXPECT_NE(err.value("error_description", "").find("' is revoked"), std::string::npos) << lt.raw;
    const auto bb = sign_doc("Ades-B-B");
    EXPECT_EQ(bb.status, 200) << bb.raw;
}

}  // namespace
