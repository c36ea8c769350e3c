#include "fixture.h"

#include <atomic>
#include <mutex>
#include <stdexcept>

#include <inkan/core/encoding.h>
#include <inkan/pki/certificate.h>
#include <inkan/testing/test_pki.h>

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

std::unique_ptr<sign::HsmSigner> person(testing::TestPki& pki, hsm::KeySpec spec, const pki::Name& subject,
                                        std::string_view label) {
    hsm::Token& token = testing::shared_test_token();
    const Bytes key_id = token.generate_key_pair(spec, label);
    sign::HsmSigner bare{token, key_id};
    const pki::Certificate cert = pki.ca->issue(pki::create_csr(subject, bare), "person");
    return std::make_unique<sign::HsmSigner>(token, key_id,
                                             std::vector<Bytes>{cert.der(), pki.ca->certificate().der()});
}

}  // namespace

World& world() {
    static World w = [] {
        static testing::TestPki pki;
        static MemorySerials serials;
        World k;
        k.dir = pki.dir.path();
        k.root_pem = pki.root_pem;
        k.rsa = person(pki, hsm::KeySpec::Rsa2048,
                       pki::Name{}.country("JP").given_name("太郎").surname("山田").common_name("山田 太郎"),
                       "ades-rsa");
        k.ec =
            person(pki, hsm::KeySpec::EcP256,
                   pki::Name{}.country("JP").given_name("Hanako").surname("Sato").common_name("Hanako Sato"),
                   "ades-ec");
        auto tsa = pki.issue(hsm::KeySpec::EcP256, "inkan ades test TSA", "tsa");
        k.tsa_chain = k.dir / "tsa-chain.pem";
        testing::write_file(k.tsa_chain, pki::certificates_pem(tsa.chain));
        tsp::Identity identity;
        identity.name = "default";
        identity.policy = "1.3.6.1.4.1.99999.1.1";
        identity.signer = std::shared_ptr<sign::Signer>(std::move(tsa.signer));
        identity.chain = tsa.chain;
        identity.is_default = true;
        std::vector<tsp::Identity> identities;
        identities.push_back(std::move(identity));
        k.authority =
            std::make_unique<tsp::Authority>(std::move(identities), serials, SystemClock::instance());
        k.stamper = std::make_unique<AuthorityTimeStamper>(*k.authority);

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
    const auto r = run({"pdfsig", "-nssdir", "sql:" + world().nss_dir.string(), "-no-ocsp", pdf.string()});
    PdfSig s;
    s.out = r.out + r.err;
    auto count = [&](const std::string& needle) {
        int n = 0;
        for (auto pos = s.out.find(needle); pos != std::string::npos; pos = s.out.find(needle, pos + 1))
            ++n;
        return n;
    };
    s.total = count("Signature #");
    s.valid = count("Signature Validation: Signature is Valid.");
    s.trusted = count("Certificate Validation: Certificate is Trusted.");
    return s;
}

testing::CommandResult verify_pades(const std::filesystem::path& pdf) {
    return run({std::string{INKAN_SOURCE_DIR} + "/scripts/verify-pades", "--cafile",
                world().root_pem.string(), pdf.string()});
}

std::size_t der_length(ByteView der) {
    if (der.size() < 2) throw std::runtime_error("DER too short");
    if (der[1] < 0x80) return 2 + der[1];
    const std::size_t n = der[1] & 0x7F;
    std::size_t len = 0;
    for (std::size_t i = 0; i < n; ++i)
        len = (len << 8) | der.at(2 + i);
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

Bytes signed_bytes(const std::filesystem::path& pdf, const std::array<std::uint64_t, 4>& range) {
    const auto all = testing::read_file(pdf);
    Bytes out(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(range[1]));
    out.insert(out.end(), all.begin() + static_cast<std::ptrdiff_t>(range[2]),
               all.begin() + static_cast<std::ptrdiff_t>(range[2] + range[3]));
    return out;
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

}  // namespace inkan::ades::testkit
