// PAdES B-T signing time and peak memory for 1, 10 and 100 MB PDFs, next to SHA-256 throughput
// over the same bytes measured in the same run.
//
// The PDFs are generated at run time (one page plus one stream object of random bytes, classic
// xref table). The signer is an HsmSigner over a SoftHSM P-256 key with a certificate from a
// built-in test CA; the time-stamps come from the in-process tsp::Authority (its own SoftHSM key).
// Signing = ades::sign_pdf: open (qpdf), prepare (copy + incremental update), hash the byte ranges,
// CMS with an HSM signature, a time-stamp, embed. Its floor is reading the file twice (copy, hash)
// and writing it once, so the ratio to one SHA-256 pass is the figure to watch.
//
// Next to it, the same PDFs signed through the CSC API over HTTPS, against the in-process stack
// `inkan serve` builds (csc_stack.h), with one P-256 SCAL 1 credential authorised once (PIN + TOTP)
// before the timed section and its SAD spent by count:
//   hash mode  the PAdES phases at the client (client::PdfSigner), the signature value from
//              signatures/signHash through a Signer holding that SAD (not RemoteCscSigner, which
//              authorises per signature), the B-T token from signatures/timestamp
//              (client::CscTimeStamper). Only hashes cross the wire.
//   signDoc    client::CscClient::sign_doc: the whole PDF (base64 in JSON) to v2 signatures/signDoc,
//              the service builds PAdES B-T (service::DocumentSigning) and sends the PDF back; timed
//              from reading the input file to writing the output file.
// All three B-T paths get their tokens from the same in-process tsp::Authority (the service wires it
// into signatures/timestamp and signDoc as `inkan serve` does without [signing] tsa_urls).
//
// Memory: the server and the client share this process, so no figure is the client's alone. Per path
// and size the bench resets the peak (/proc/self/clear_refs 5) and reports VmHWM minus VmRSS at the
// start: the growth that path caused, client and server together. The last column is
// getrusage(RUSAGE_SELF).ru_maxrss, the process peak so far (sizes in increasing order).
//
// --sizes 1,10,100 (MB), --runs N (default 3; best time kept). No assertions: numbers only. Last
// line: one JSON object.

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <inkan/ades/pades.h>
#include <inkan/ades/time_stamper.h>
#include <inkan/api/csc.h>
#include <inkan/client/csc_client.h>
#include <inkan/client/pdf_signer.h>
#include <inkan/client/remote_signer.h>
#include <inkan/core/error.h>
#include <inkan/core/log.h>
#include <inkan/crypto/digest.h>
#include <inkan/crypto/random.h>
#include <inkan/pki/certificate.h>
#include <inkan/pki/csr.h>
#include <inkan/service/document_signing.h>
#include <inkan/sign/hsm_signer.h>
#include <inkan/testing/process.h>
#include <inkan/testing/test_pki.h>
#include <inkan/tsp/authority.h>

#include "bench_support.h"
#include "csc_stack.h"

namespace {

using namespace inkan;
using bench::measure;
using bench::MemorySerials;
using bench::peak_rss_kib;
using bench::sha256_seconds;
using bench::write_pdf;

/// A Signer over signatures/signHash with a SAD obtained beforehand: no authorize in the timed part.
class SadSigner final : public sign::Signer {
public:
    SadSigner(client::CscClient& csc, std::string credential, client::Sad sad)
        : m_csc{csc},
          m_credential{std::move(credential)},
          m_sad{std::move(sad)},
          m_chain{m_csc.credential_info(m_credential).certificates},
          m_key{pki::Certificate::from_der(m_chain.at(0)).public_key()} {}

    [[nodiscard]] std::vector<crypto::SignatureAlgorithm> algorithms() const override {
        return sign::default_algorithms(m_key.type());
    }
    [[nodiscard]] const crypto::PublicKey& public_key() const override { return m_key; }
    [[nodiscard]] std::vector<Bytes> certificate_chain() const override { return m_chain; }
    Bytes sign(const crypto::SignatureAlgorithm& alg, ByteView digest) override {
        require_supported(alg);
        return m_csc.sign_hash(m_credential, m_sad.sad, {Bytes{digest.begin(), digest.end()}}, alg).at(0);
    }
    [[nodiscard]] const Secret& sad() const noexcept { return m_sad.sad; }

private:
    client::CscClient& m_csc;
    std::string m_credential;
    client::Sad m_sad;
    std::vector<Bytes> m_chain;
    crypto::PublicKey m_key;
};

Bytes read_bytes(const std::filesystem::path& path) {
    std::ifstream in{path, std::ios::binary};
    Bytes out(std::filesystem::file_size(path));
    in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size()));
    return out;
}

void write_bytes(const std::filesystem::path& path, const Bytes& bytes) {
    std::ofstream out{path, std::ios::binary | std::ios::trunc};
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::size_t> sizes{1, 10, 100};
    int runs = 3;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--sizes" && i + 1 < argc) {
            sizes.clear();
            std::stringstream list{argv[++i]};
            for (std::string item; std::getline(list, item, ',');)
                sizes.push_back(std::stoul(item));
        } else if (a == "--runs" && i + 1 < argc) {
            runs = std::max(1, std::atoi(argv[++i]));
        } else if (a == "--seconds" && i + 1 < argc) {
            ++i;  // accepted for BENCH_ARGS compatibility with the other benches; runs decide here
        }
    }
    try {
        testing::TestPki pki;
        hsm::Token& token = testing::shared_test_token();
        const Bytes key_id = token.generate_key_pair(hsm::KeySpec::EcP256, "bench-signer");
        sign::HsmSigner bare{token, key_id};
        const pki::Certificate cert = pki.ca->issue(
            pki::create_csr(
                pki::Name{}.country("JP").given_name("Taro").surname("Yamada").common_name("Taro Yamada"),
                bare),
            "person");
        sign::HsmSigner signer{token, key_id, {cert.der(), pki.ca->certificate().der()}};
        auto tsa = pki.issue(hsm::KeySpec::EcP256, "bench TSA", "tsa");
        MemorySerials serials;
        std::vector<tsp::Identity> identities(1);
        identities[0].name = "default";
        identities[0].policy = "1.3.6.1.4.1.99999.1.1";
        identities[0].signer = std::shared_ptr<sign::Signer>(std::move(tsa.signer));
        identities[0].chain = tsa.chain;
        identities[0].is_default = true;
        tsp::Authority authority{std::move(identities), serials, SystemClock::instance()};
        ades::AuthorityTimeStamper stamper{authority};
        ades::PadesOptions options;
        options.level = ades::Level::BT;
        options.time_stamper = &stamper;

        // The service stack, with signDoc and signatures/timestamp wired as `inkan serve` wires them.
        log::set_level(log::Level::Warn);
        bench::Stack stack{4};  // hsm::TokenConfig's default pool, what `inkan serve` uses
        const Bytes seed = bench::add_bench_user(stack);
        const service::Credential credential =
            bench::add_bench_credential(stack, hsm::KeySpec::EcP256, "P-256");
        service::DocumentSigningSettings doc_settings;
        doc_settings.work_dir = stack.dir / "work";
        // api.max_document_bytes: the largest size plus room for the PDF skeleton; the signDoc
        // route's body limit follows from it (api::add_csc_routes).
        doc_settings.max_document_bytes = (*std::max_element(sizes.begin(), sizes.end()) + 1) * 1024 * 1024;
        // B-B and B-T only here, so no revocation fetcher.
        service::DocumentSigning documents{*stack.authorization, &stamper, nullptr, stack.clock,
                                           doc_settings};
        http::Router router;
        api::CscDeps deps{stack.sessions, *stack.credentials, stack.accounts, *stack.authorization,
                          stack.clock,    api::ServiceInfo{}, nullptr,        &authority};
        deps.documents = &documents;
        api::add_csc_routes(router, std::move(deps));
        bench::TlsServer server{stack.dir.path(), std::move(router), 2};

        client::CscClientOptions client_options;
        client_options.base_url = "https://127.0.0.1:" + std::to_string(server.port());
        client_options.version = client::Version::V2;
        client_options.ca_file = server.ca_file();
        client::CscClient csc{client_options};
        csc.set_access_token(Secret{std::string_view{
            stack.sessions.login(bench::kUser, Secret{std::string_view{bench::kPassword}}, false)
                .access_token}});
        stack.clock.advance(std::chrono::seconds{30});  // a fresh TOTP step
        client::Factors factors;
        factors.pin = Secret{std::string_view{bench::kPin}};
        factors.otp = Secret{std::string_view{service::totp_code(seed, stack.clock.now())}};
        SadSigner remote{
            csc, credential.id,
            csc.authorize(credential.id, {}, crypto::DigestAlgorithm::Sha256, factors, bench::kMultisign)};
        client::CscTimeStamper remote_stamper{csc};
        ades::PadesOptions hash_options = options;
        hash_options.time_stamper = &remote_stamper;
        client::PdfSigner hash_signer{remote, hash_options};
        const auto sign_doc = [&](const std::filesystem::path& in, const std::filesystem::path& out) {
            client::SignDocEntry entry;
            entry.document = read_bytes(in);
            entry.algorithm = crypto::SignatureAlgorithm::ecdsa(crypto::DigestAlgorithm::Sha256);
            entry.signature_format = "P";
            entry.conformance_level = "Ades-B-T";
            std::vector<client::SignDocEntry> entries;
            entries.push_back(std::move(entry));
            write_bytes(out,
                        csc.sign_doc(credential.id, remote.sad(), entries).documents_with_signature.at(0));
        };

        testing::TempDir dir{"inkan-pades-bench"};
        nlohmann::json results = nlohmann::json::array();
        std::printf(
            "PAdES B-T, P-256; ms and (x) one SHA-256 pass over the same file; +MiB: RSS growth "
            "(client and server together)\n");
        std::printf("%6s %9s | %9s %6s %6s | %9s %6s %6s | %9s %6s %6s | %8s\n", "size", "sha MB/s",
                    "local ms", "x", "+MiB", "hash ms", "x", "+MiB", "signDoc", "x", "+MiB", "peak MiB");
        for (const std::size_t mb : sizes) {
            const auto in = dir / ("in-" + std::to_string(mb) + ".pdf");
            const auto out = dir / ("out-" + std::to_string(mb) + ".pdf");
            write_pdf(in, mb * 1024 * 1024);
            const double file_mb = static_cast<double>(std::filesystem::file_size(in)) / (1024.0 * 1024.0);
            double hash_best = 1e9;
            // {seconds, RSS growth MiB} per path: best time, largest growth.
            std::pair<double, double> local{1e9, 0}, hash_mode{1e9, 0}, doc{1e9, 0};
            const auto keep = [](std::pair<double, double>& best, std::pair<double, double> now) {
                best = {std::min(best.first, now.first), std::max(best.second, now.second)};
            };
            for (int r = 0; r < runs; ++r) {
                hash_best = std::min(hash_best, sha256_seconds(in));
                keep(local, measure([&] { (void)ades::sign_pdf(in, out, signer, options); }));
                keep(hash_mode, measure([&] { (void)hash_signer.sign(in, out); }));
                keep(doc, measure([&] { sign_doc(in, out); }));
            }
            const double rss_mib = static_cast<double>(peak_rss_kib()) / 1024.0;
            std::printf("%4zuMB %9.0f | %9.1f %6.2f %6.0f | %9.1f %6.2f %6.0f | %9.1f %6.2f %6.0f | %8.0f\n",
                        mb, file_mb / hash_best, local.first * 1000, local.first / hash_best, local.second,
                        hash_mode.first * 1000, hash_mode.first / hash_best, hash_mode.second,
                        doc.first * 1000, doc.first / hash_best, doc.second, rss_mib);
            std::fflush(stdout);
            results.push_back({{"size_mb", mb},
                               {"sha256_mb_per_s", file_mb / hash_best},
                               {"sign_ms", local.first * 1000},
                               {"sign_mb_per_s", file_mb / local.first},
                               {"sign_over_sha256", local.first / hash_best},
                               {"sign_rss_growth_mib", local.second},
                               {"hash_mode_ms", hash_mode.first * 1000},
                               {"hash_mode_over_sha256", hash_mode.first / hash_best},
                               {"hash_mode_rss_growth_mib", hash_mode.second},
                               {"sign_doc_ms", doc.first * 1000},
                               {"sign_doc_over_sha256", doc.first / hash_best},
                               {"sign_doc_rss_growth_mib", doc.second},
                               {"peak_rss_mib", rss_mib}});
            std::filesystem::remove(in);
            std::filesystem::remove(out);
        }
        std::printf("%s\n",
                    nlohmann::json{{"bench", "pades"}, {"level", "B-T"}, {"runs", runs}, {"results", results}}
                        .dump()
                        .c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "pades_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
