#include "fixture.h"

#include <atomic>
#include <mutex>
#include <stdexcept>

#include <gtest/gtest.h>

#include <inkan/core/encoding.h>
#include <inkan/pki/ca.h>
#include <inkan/pki/certificate.h>
#include <inkan/pki/csr.h>
#include <inkan/storage/sqlite_ca_store.h>
#include <inkan/testing/test_pki.h>
#include <inkan/testing/tiny_http.h>

namespace inkan::ades::testkit {
namespace {

using testing::run;

void must(const testing::CommandResult& r, const std::string& what) {
    if (r.exit_code != 0) {
        throw std::runtime_error(what + " failed (" + std::to_string(r.exit_code) + "): " + r.err + r.out);
    }
}

/// TSA serial numbers from memory (the SQLite store has its own tests).
class MemorySerials final : public tsp::SerialSource {
public:
    std::uint64_t reserve(std::uint64_t count) override { return m_next.fetch_add(count); }

private:
    std::atomic<std::uint64_t> m_next{1};
};

/// "%2B" → "+": the path of an OCSP GET (RFC 6960 App. A.1) is URL-encoded base64.
std::string url_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            out += static_cast<char>(std::stoi(std::string{s.substr(i + 1, 2)}, nullptr, 16));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

/// The test CA: a P-256 root in the shared SoftHSM token whose certificates name a live OCSP
/// responder (this process answers with BuiltinCa::ocsp_response). poppler 22.12 reads NSS's error
/// code even when CERT_PKIXVerifyCert succeeds, so a soft-failed OCSP fetch (nobody listening) or
/// `-no-ocsp` turns "Trusted" into "Unknown issue"; with a responder that answers, pdfsig checks
/// revocation for real and says "Trusted" (docs/footguns.md).
struct Ca {
    Ca()
        : clock{std::chrono::system_clock::now()},
          store{dir / "ca.db"},
          ocsp{[this](const testing::TinyRequest& r) { return answer(r); }} {
        hsm::Token& token = testing::shared_test_token();
        root_signer = std::make_unique<sign::HsmSigner>(
            token, token.generate_key_pair(hsm::KeySpec::EcP256, "ades-root"));
        const pki::CaSettings settings{"ades-root", "http://127.0.0.1:" + std::to_string(ocsp.port()), {}};
        const pki::Certificate root = pki::create_root(
            settings, *root_signer,
            pki::Name{}.country("JP").organization("inkan").common_name("inkan ades test root"), 3650, store,
            clock);
        ca = std::make_unique<pki::BuiltinCa>(settings, *root_signer, std::vector<Bytes>{root.der()}, store,
                                              pki::ProfileSet::defaults(), clock);
        root_pem = dir / "root.pem";
        testing::write_file(root_pem, pki::certificates_pem({root.der()}));
    }

    testing::TinyResponse answer(const testing::TinyRequest& r) {
        std::lock_guard lock{mu};
        if (!ca) return {503, "text/plain", "not ready"};
        Bytes request;
        // The CRL distribution point (RFC 5280 §4.2.1.13), for B-LT with CRLs instead of OCSP.
        if (r.head.rfind("GET ", 0) == 0 && r.head.find(" /crl/") != std::string::npos) {
            return {200, "application/pkix-crl", to_string(ca->crl())};
        }
        if (r.head.rfind("GET ", 0) == 0) {
            const auto start = r.head.find("/ocsp/");
            const auto stop = r.head.find(' ', start);
            if (start == std::string::npos) return {404, "text/plain", "no such path"};
            request = base64_decode(url_decode(r.head.substr(start + 6, stop - start - 6)));
        } else {
            request = to_bytes(r.body);
        }
        return {200, "application/ocsp-response", to_string(ca->ocsp_response(request))};
    }

    /// A key in the token and a certificate under `profile` for `subject`.
    std::unique_ptr<sign::HsmSigner> issue(hsm::KeySpec spec, const pki::Name& subject,
                                           std::string_view profile, std::string_view label) {
        hsm::Token& token = testing::shared_test_token();
        const Bytes key_id = token.generate_key_pair(spec, label);
        sign::HsmSigner bare{token, key_id};
        std::lock_guard lock{mu};
        const pki::Certificate cert = ca->issue(pki::create_csr(subject, bare), profile);
        return std::make_unique<sign::HsmSigner>(token, key_id,
                                                 std::vector<Bytes>{cert.der(), ca->certificate().der()});
    }

    testing::TempDir dir{"inkan-ades-ca"};
    ManualClock clock;
    storage::SqliteCaStore store;
    std::mutex mu;
    std::unique_ptr<sign::HsmSigner> root_signer;
    std::unique_ptr<pki::BuiltinCa> ca;
    std::filesystem::path root_pem;
    testing::TinyHttpServer ocsp;  // last: its thread stops before the CA goes
};

}  // namespace

World& world() {
    static World w = [] {
        static Ca ca;
        static MemorySerials serials;
        World k;
        k.dir = ca.dir.path();
        k.root_pem = ca.root_pem;
        k.rsa =
            ca.issue(hsm::KeySpec::Rsa2048,
                     pki::Name{}.country("JP").given_name("太郎").surname("山田").common_name("山田 太郎"),
                     "person", "ades-rsa");
        k.ec = ca.issue(
            hsm::KeySpec::EcP256,
            pki::Name{}.country("JP").given_name("Hanako").surname("Sato").common_name("Hanako Sato"),
            "person", "ades-ec");
        k.ec384 = ca.issue(
            hsm::KeySpec::EcP384,
            pki::Name{}.country("JP").given_name("Ichiro").surname("Kato").common_name("Ichiro Kato"),
            "person", "ades-ec384");
        k.ec521 =
            ca.issue(hsm::KeySpec::EcP521,
                     pki::Name{}.country("JP").given_name("Yuki").surname("Ito").common_name("Yuki Ito"),
                     "person", "ades-ec521");
        k.revoked = ca.issue(
            hsm::KeySpec::EcP256,
            pki::Name{}.country("JP").given_name("Revoked").surname("Signer").common_name("Revoked Signer"),
            "person", "ades-revoked");
        {
            std::lock_guard lock{ca.mu};
            const auto leaf = pki::Certificate::from_der(k.revoked->certificate_chain().front());
            ca.ca->revoke(leaf.serial(), pki::RevocationReason::KeyCompromise, ca.clock.now());
        }
        auto tsa =
            ca.issue(hsm::KeySpec::EcP256,
                     pki::Name{}.country("JP").organization("inkan").common_name("inkan ades test TSA"),
                     "tsa", "ades-tsa");
        k.tsa_chain = k.dir / "tsa-chain.pem";
        testing::write_file(k.tsa_chain, pki::certificates_pem(tsa->certificate_chain()));
        tsp::Identity identity;
        identity.name = "default";
        identity.policy = "1.3.6.1.4.1.99999.1.1";
        identity.chain = tsa->certificate_chain();
        identity.signer = std::shared_ptr<sign::Signer>(std::move(tsa));
        identity.is_default = true;
        std::vector<tsp::Identity> identities;
        identities.push_back(std::move(identity));
        // A second TSA identity (its own key and certificate), chosen by its policy: a time-stamp from
        // another TSA than the signature's, as after a failover.
        auto other_tsa =
            ca.issue(hsm::KeySpec::EcP256,
                     pki::Name{}.country("JP").organization("inkan").common_name("inkan ades second TSA"),
                     "tsa", "ades-tsa-2");
        tsp::Identity other;
        other.name = "second";
        other.policy = "1.3.6.1.4.1.99999.1.2";
        other.chain = other_tsa->certificate_chain();
        other.signer = std::shared_ptr<sign::Signer>(std::move(other_tsa));
        identities.push_back(std::move(other));
        k.authority =
            std::make_unique<tsp::Authority>(std::move(identities), serials, SystemClock::instance());
        k.stamper = std::make_unique<AuthorityTimeStamper>(*k.authority);
        k.other_stamper =
            std::make_unique<AuthorityTimeStamper>(*k.authority, std::string{"1.3.6.1.4.1.99999.1.2"});

        // A software key and certificate for CMS made by `openssl cms -sign` (a non-inkan CAdES).
        k.soft_key_pem = k.dir / "soft-key.pem";
        k.soft_cert_pem = k.dir / "soft-cert.pem";
        must(run({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                  "-keyout", k.soft_key_pem.string(), "-subj", "/C=JP/GN=Jiro/SN=Suzuki/CN=Jiro Suzuki",
                  "-out", (k.dir / "soft.csr").string()}),
             "openssl req");
        {
            std::lock_guard lock{ca.mu};
            const auto csr = pki::Csr::from_pem(to_string(testing::read_file(k.dir / "soft.csr")));
            testing::write_file(k.soft_cert_pem, pki::certificates_pem({ca.ca->issue(csr, "person").der()}));
        }

        k.nss_dir = k.dir / "nss";
        std::filesystem::create_directories(k.nss_dir);
        must(run({"certutil", "-N", "--empty-password", "-d", "sql:" + k.nss_dir.string()}), "certutil -N");
        must(run({"certutil", "-A", "-n", "root", "-t", "CT,C,C", "-i", k.root_pem.string(), "-d",
                  "sql:" + k.nss_dir.string()}),
             "certutil -A");
        return k;
    }();
    return w;
}

PdfSig pdfsig(const std::filesystem::path& pdf) {
    return pdf::testkit::pdfsig(pdf, world().nss_dir);
}

testing::CommandResult verify_pades(const std::filesystem::path& pdf) {
    return run({std::string{INKAN_SOURCE_DIR} + "/scripts/verify-pades", "--cafile",
                world().root_pem.string(), pdf.string()});
}

testing::CommandResult verify_cades(ByteView cms, const Bytes* detached_content) {
    testing::TempDir d{"inkan-ades-cades"};
    testing::write_file(d / "sig.p7s", cms);
    std::vector<std::string> argv{std::string{INKAN_SOURCE_DIR} + "/scripts/verify-cades", "--cafile",
                                  world().root_pem.string()};
    if (detached_content) {
        testing::write_file(d / "content.bin", *detached_content);
        argv.insert(argv.end(), {"--content", (d / "content.bin").string()});
    }
    argv.push_back((d / "sig.p7s").string());
    return run(argv);
}

std::size_t der_length(ByteView der) {
    if (der.size() < 2) throw std::runtime_error("DER too short");
    if (der[1] < 0x80) return 2 + der[1];
    const std::size_t n = der[1] & 0x7F;
    if (der.size() < 2 + n) throw std::runtime_error("DER length cut short");
    std::size_t len = 0;
    for (std::size_t i = 0; i < n; ++i)
        len = (len << 8) | der[2 + i];
    return 2 + n + len;
}

Bytes extract_contents(const std::filesystem::path& pdf, const std::array<std::uint64_t, 4>& range) {
    const auto all = testing::read_file(pdf);
    const std::string hex(all.begin() + static_cast<std::ptrdiff_t>(range[1] + 1),
                          all.begin() + static_cast<std::ptrdiff_t>(range[2] - 1));
    Bytes der = hex_decode(hex);
    der.resize(der_length(der));
    return der;
}

testing::CommandResult openssl_cms_verify(ByteView cms, const Bytes* detached_content) {
    testing::TempDir d{"inkan-ades-cms"};
    testing::write_file(d / "sig.der", cms);
    std::vector<std::string> argv{"openssl",
                                  "cms",
                                  "-verify",
                                  "-inform",
                                  "DER",
                                  "-in",
                                  (d / "sig.der").string(),
                                  "-binary",
                                  "-CAfile",
                                  world().root_pem.string(),
                                  "-purpose",
                                  "any",
                                  "-out",
                                  (d / "out.bin").string()};
    if (detached_content) {
        testing::write_file(d / "content.bin", *detached_content);
        argv.insert(argv.end(), {"-content", (d / "content.bin").string()});
    }
    return run(argv);
}

testing::CommandResult openssl_ts_verify(ByteView token, ByteView data) {
    testing::TempDir d{"inkan-ades-ts"};
    testing::write_file(d / "token.der", token);
    testing::write_file(d / "data.bin", data);
    return run({"openssl", "ts", "-verify", "-data", (d / "data.bin").string(), "-in",
                (d / "token.der").string(), "-token_in", "-CAfile", world().root_pem.string(), "-untrusted",
                world().tsa_chain.string()});
}

std::string judge_pdf(const std::filesystem::path& pdf, int signatures, int time_stamps) {
    const auto s = pdfsig(pdf);
    EXPECT_EQ(s.total, signatures) << s.out;
    EXPECT_EQ(s.valid, signatures - time_stamps) << s.out;
    EXPECT_EQ(s.trusted, signatures - time_stamps) << s.out;
    const auto check = pdf::testkit::qpdf_check(pdf);
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
    EXPECT_NE(check.out.find("No syntax or stream encoding errors found"), std::string::npos) << check.out;
    const auto box = verify_pades(pdf);
    EXPECT_EQ(box.exit_code, 0) << box.out << box.err;
    EXPECT_NE(box.out.find("\"signatures\":" + std::to_string(signatures) + ",\"failures\":0"),
              std::string::npos)
        << box.out << box.err;
    return s.out + "\n" + box.out;
}

std::string openssl_ocsp(const Bytes& response, const Bytes& cert) {
    testing::TempDir d{"inkan-ocsp-judge"};
    testing::write_file(d / "resp.der", response);
    testing::write_file(d / "cert.pem", pki::Certificate::from_der(cert).pem());
    const auto root = world().root_pem.string();
    const auto r = testing::run({"openssl", "ocsp", "-respin", (d / "resp.der").string(), "-issuer", root,
                                 "-CAfile", root, "-cert", (d / "cert.pem").string()});
    return r.out + r.err;
}

bool ocsp_says(const std::vector<Bytes>& responses, const Bytes& cert, const std::string& want,
               std::string& seen) {
    bool found = false;
    for (const auto& o : responses) {
        const auto judged = openssl_ocsp(o, cert);
        seen += judged;
        if (judged.find("Response verify OK") != std::string::npos &&
            judged.find(": " + want) != std::string::npos) {
            found = true;
        }
    }
    return found;
}

}  // namespace inkan::ades::testkit
