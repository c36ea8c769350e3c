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
// Peak RSS is getrusage(RUSAGE_SELF).ru_maxrss after each size, sizes in increasing order: if the
// signer streamed nothing, it would grow with the file.
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
#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>
#include <inkan/crypto/random.h>
#include <inkan/pki/certificate.h>
#include <inkan/pki/csr.h>
#include <inkan/sign/hsm_signer.h>
#include <inkan/testing/process.h>
#include <inkan/testing/test_pki.h>
#include <inkan/tsp/authority.h>

namespace {

using namespace inkan;
using Steady = std::chrono::steady_clock;

class MemorySerials final : public tsp::SerialSource {
public:
    std::uint64_t reserve(std::uint64_t count) override { return m_next.fetch_add(count); }

private:
    std::atomic<std::uint64_t> m_next{1};
};

/// A one-page PDF with one extra stream of `bytes` random bytes, written in 1 MiB pieces.
void write_pdf(const std::filesystem::path& path, std::size_t bytes) {
    std::ofstream out{path, std::ios::binary | std::ios::trunc};
    std::vector<std::size_t> offsets;
    std::size_t pos = 0;
    auto put = [&](std::string_view s) {
        out.write(s.data(), static_cast<std::streamsize>(s.size()));
        pos += s.size();
    };
    put("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n");
    const std::string content = "BT /F1 24 Tf 72 720 Td (inkan bench) Tj ET";
    const std::vector<std::string> objects{
        "<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 "
        "R "
        ">> >> >>",
        "<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"};
    for (std::size_t i = 0; i < objects.size(); ++i) {
        offsets.push_back(pos);
        put(std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n");
    }
    offsets.push_back(pos);
    put("6 0 obj\n<< /Length " + std::to_string(bytes) + " >>\nstream\n");
    const Bytes chunk = crypto::random_bytes(1024 * 1024);
    for (std::size_t left = bytes; left > 0;) {
        const std::size_t n = std::min(left, chunk.size());
        put({reinterpret_cast<const char*>(chunk.data()), n});
        left -= n;
    }
    put("\nendstream\nendobj\n");
    const std::size_t xref = pos;
    put("xref\n0 7\n0000000000 65535 f\r\n");
    for (const auto off : offsets) {
        char line[32];
        std::snprintf(line, sizeof line, "%010zu 00000 n\r\n", off);
        put(line);
    }
    put("trailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n");
}

double sha256_seconds(const std::filesystem::path& path) {
    const auto t0 = Steady::now();
    std::ifstream in{path, std::ios::binary};
    (void)crypto::digest(crypto::DigestAlgorithm::Sha256, in);
    return std::chrono::duration<double>(Steady::now() - t0).count();
}

long peak_rss_kib() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
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

        testing::TempDir dir{"inkan-pades-bench"};
        nlohmann::json results = nlohmann::json::array();
        std::printf("%8s %12s %12s %12s %10s %14s\n", "size", "sha256 MB/s", "sign ms", "sign MB/s",
                    "sign/sha", "peak RSS MiB");
        for (const std::size_t mb : sizes) {
            const auto in = dir / ("in-" + std::to_string(mb) + ".pdf");
            const auto out = dir / ("out-" + std::to_string(mb) + ".pdf");
            write_pdf(in, mb * 1024 * 1024);
            const double file_mb = static_cast<double>(std::filesystem::file_size(in)) / (1024.0 * 1024.0);
            double hash_best = 1e9;
            double sign_best = 1e9;
            for (int r = 0; r < runs; ++r) {
                hash_best = std::min(hash_best, sha256_seconds(in));
                const auto t0 = Steady::now();
                (void)ades::sign_pdf(in, out, signer, options);
                sign_best = std::min(sign_best, std::chrono::duration<double>(Steady::now() - t0).count());
            }
            const double rss_mib = static_cast<double>(peak_rss_kib()) / 1024.0;
            std::printf("%6zuMB %12.0f %12.1f %12.0f %10.2f %14.1f\n", mb, file_mb / hash_best,
                        sign_best * 1000, file_mb / sign_best, sign_best / hash_best, rss_mib);
            results.push_back({{"size_mb", mb},
                               {"sha256_mb_per_s", file_mb / hash_best},
                               {"sign_ms", sign_best * 1000},
                               {"sign_mb_per_s", file_mb / sign_best},
                               {"sign_over_sha256", sign_best / hash_best},
                               {"peak_rss_mib", rss_mib}});
            std::filesystem::remove(in);
            std::filesystem::remove(out);
        }
        std::printf(
            "%s\n",
            nlohmann::json{{"bench", "pades"}, {"level", "B-T"}, {"results", results}}.dump().c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "pades_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
