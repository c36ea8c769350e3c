// Validation time for PAdES B-LTA PDFs of 1, 10 and 100 MB, next to one SHA-256 pass over the same
// bytes measured in the same run; and files/s for many small B-T PDFs validated on all cores, next to
// reading and hashing the same files on all cores.
//
// The PDFs are generated at run time (bench_support.h: one page plus one stream of random bytes) and
// signed with ades::sign_pdf by a SoftHSM P-256 key whose certificate comes from a built-in CA; the
// time-stamps come from an in-process tsp::Authority; B-LTA's revocation data from the CA's OCSP
// responder on 127.0.0.1 (a TinyHttpServer in this process). Validation is validation::validate_pdf
// offline with the CA's root as the only trust anchor: the byte ranges are streamed (one pass per
// digest algorithm), the CMS, the time-stamps, the chains and the DSS's OCSP responses are checked, and
// each signed revision is compared with the final document. Its floor is that one pass over the file,
// so the ratio to one SHA-256 pass is the figure to watch; memory should stay flat in the file size.
//
// The small PDFs are B-T, validated offline: their verdict is INDETERMINATE/TRY_LATER by design (no
// revocation data in the file, EN 319 102-1 §5.2.6), after every check has run. The bench prints the
// verdicts it got so that a figure for files that failed early cannot pass unnoticed.
//
// The batch (issue 17): `inkan verify --csv` (app::cmd_verify, in process: the worker pool, the CSV
// writer, the SHA-256 column) over --batch-files small B-T PDFs and over --batch-large B-LTA PDFs of
// --batch-large-mb MB (hard links of one signed file: the same work per file, without filling the disk),
// next to the single-file rate (validate_pdf one file after another on one thread) × the threads,
// measured in the same run. The ratio is the pool's efficiency; it cannot pass 1 by much.
//
// --sizes 1,10,100 (MB), --runs N (best of N, default 3), --files N (default 1000), --threads N
// (default: all cores), --batch-files N (default 1000), --batch-large N (default 20; the issue's
// figure is 100), --batch-large-mb M (default 10). No assertions: numbers only. Last line: one JSON
// object.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include <inkan/ades/pades.h>
#include <inkan/ades/time_stamper.h>
#include <inkan/core/encoding.h>
#include <inkan/core/log.h>
#include <inkan/pki/ca.h>
#include <inkan/pki/certificate.h>
#include <inkan/pki/csr.h>
#include <inkan/pki/revocation.h>
#include <inkan/sign/hsm_signer.h>
#include <inkan/storage/sqlite_ca_store.h>
#include <inkan/testing/process.h>
#include <inkan/testing/softhsm.h>
#include <inkan/testing/tiny_http.h>
#include <inkan/validation/validator.h>

#include "bench_support.h"
#include "commands.h"

namespace {

using namespace inkan;
namespace fs = std::filesystem;

/// A P-256 root CA in SoftHSM whose certificates name an OCSP responder and a CRL in this process.
struct Ca {
    explicit Ca(hsm::Token& hsm_token)
        : token{hsm_token}, store{dir / "ca.db"}, responder{[this](const testing::TinyRequest& r) {
              return answer(r);
          }} {
        root_signer = std::make_unique<sign::HsmSigner>(
            token, token.generate_key_pair(hsm::KeySpec::EcP256, "bench-root"));
        const pki::CaSettings settings{
            "bench-root", "http://127.0.0.1:" + std::to_string(responder.port()), {}};
        const pki::Certificate root = pki::create_root(
            settings, *root_signer, pki::Name{}.country("JP").organization("inkan").common_name("bench root"),
            3650, store, clock);
        root_der = root.der();
        std::lock_guard lock{mu};
        ca = std::make_unique<pki::BuiltinCa>(settings, *root_signer, std::vector<Bytes>{root_der}, store,
                                              pki::ProfileSet::defaults(), clock);
    }

    testing::TinyResponse answer(const testing::TinyRequest& r) {
        std::lock_guard lock{mu};
        if (!ca) return {503, "text/plain", "not ready"};
        if (r.head.rfind("GET ", 0) == 0 && r.head.find(" /crl/") != std::string::npos) {
            return {200, "application/pkix-crl", to_string(ca->crl())};
        }
        if (r.head.rfind("POST ", 0) != 0) return {404, "text/plain", "OCSP over POST only here"};
        return {200, "application/ocsp-response", to_string(ca->ocsp_response(to_bytes(r.body)))};
    }

    /// A key in the token and a certificate under `profile` ("person", "tsa").
    std::unique_ptr<sign::HsmSigner> issue(const pki::Name& subject, std::string_view profile) {
        const std::string common_name = subject.first(pki::NameAttribute::CommonName).value_or("bench");
        const Bytes key_id = token.generate_key_pair(hsm::KeySpec::EcP256, common_name);
        sign::HsmSigner bare{token, key_id};
        std::lock_guard lock{mu};
        const pki::Certificate cert = ca->issue(pki::create_csr(subject, bare), profile);
        return std::make_unique<sign::HsmSigner>(token, key_id, std::vector<Bytes>{cert.der(), root_der});
    }

    hsm::Token& token;
    testing::TempDir dir{"inkan-validate-bench-ca"};
    const Clock& clock = SystemClock::instance();
    storage::SqliteCaStore store;
    std::mutex mu;
    std::unique_ptr<sign::HsmSigner> root_signer;
    std::unique_ptr<pki::BuiltinCa> ca;
    Bytes root_der;
    testing::TinyHttpServer responder;  // last: its thread stops before the CA goes
};

std::string verdict(const validation::DocumentReport& d) {
    if (d.error) return "error: " + *d.error;
    std::string out;
    for (const auto& s : d.signatures) {
        if (!out.empty()) out += ",";
        out += validation::name(s.verdict.indication);
        if (s.verdict.subindication) out += "/" + std::string{validation::name(*s.verdict.subindication)};
    }
    for (const auto& t : d.document_timestamps) {
        out += ",doc-ts:" + std::string{validation::name(t.verdict.indication)};
    }
    return out.empty() ? "no signature" : out;
}

/// Runs `work(i)` for i in [0, n) on `threads` threads; returns the seconds it took.
template <typename F>
double on_threads(std::size_t n, unsigned threads, F&& work) {
    std::atomic<std::size_t> next{0};
    const auto t0 = bench::Steady::now();
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) {
        pool.emplace_back([&] {
            for (std::size_t i; (i = next.fetch_add(1)) < n;)
                work(i);
        });
    }
    for (auto& t : pool)
        t.join();
    return std::chrono::duration<double>(bench::Steady::now() - t0).count();
}

/// `inkan verify --csv` over `dir` with `threads` jobs (in process); seconds, and the summary line.
std::pair<double, std::string> batch_seconds(const fs::path& dir, const fs::path& anchor, unsigned threads,
                                             const fs::path& csv) {
    std::istringstream in;
    std::ostringstream out, err;
    const auto t0 = bench::Steady::now();
    (void)inkan::app::cmd_verify({"--trust-anchor", anchor.string(), "--jobs", std::to_string(threads),
                                  "--csv", csv.string(), dir.string()},
                                 {in, out, err});
    const double s = std::chrono::duration<double>(bench::Steady::now() - t0).count();
    std::string summary = err.str();
    summary = summary.substr(0, summary.find('\n'));
    return {s, summary};
}

/// Single-file rate × threads against the batch over the same `files` (in `dir`), best of `runs`.
nlohmann::json batch_figures(const std::string& what, const std::vector<fs::path>& files, const fs::path& dir,
                             const fs::path& anchor, const validation::Options& options, unsigned threads,
                             int runs) {
    double one_best = 1e9, batch_best = 1e9;
    std::string summary;
    for (int r = 0; r < runs; ++r) {
        const auto t0 = bench::Steady::now();
        for (const auto& f : files)
            (void)validation::validate_pdf(f, options);
        one_best = std::min(one_best, std::chrono::duration<double>(bench::Steady::now() - t0).count());
        const auto [s, line] = batch_seconds(dir, anchor, threads, dir.parent_path() / (what + ".csv"));
        batch_best = std::min(batch_best, s);
        summary = line;
    }
    const double n = static_cast<double>(files.size());
    const double single = n / one_best, batch = n / batch_best;
    std::printf(
        "%-28s %6zu files | single-file %8.1f files/s x %u = %8.1f | verify --csv %8.1f files/s "
        "(x %.2f)\n  %s\n",
        what.c_str(), files.size(), single, threads, single * threads, batch, batch / (single * threads),
        summary.c_str());
    std::fflush(stdout);
    return {{"what", what},
            {"files", files.size()},
            {"threads", threads},
            {"single_file_files_per_s", single},
            {"batch_files_per_s", batch},
            {"batch_over_single_times_threads", batch / (single * threads)},
            {"summary", summary}};
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::size_t> sizes{1, 10, 100};
    int runs = 3;
    std::size_t files = 1000;
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    std::size_t batch_files = 1000, batch_large = 20, batch_large_mb = 10;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--sizes" && i + 1 < argc) {
            sizes.clear();
            std::stringstream list{argv[++i]};
            for (std::string item; std::getline(list, item, ',');)
                sizes.push_back(std::stoul(item));
        } else if (a == "--runs" && i + 1 < argc) {
            runs = std::max(1, std::atoi(argv[++i]));
        } else if (a == "--files" && i + 1 < argc) {
            files = std::stoul(argv[++i]);
        } else if (a == "--threads" && i + 1 < argc) {
            threads = static_cast<unsigned>(std::max(1, std::atoi(argv[++i])));
        } else if (a == "--batch-files" && i + 1 < argc) {
            batch_files = std::stoul(argv[++i]);
        } else if (a == "--batch-large" && i + 1 < argc) {
            batch_large = std::stoul(argv[++i]);
        } else if (a == "--batch-large-mb" && i + 1 < argc) {
            batch_large_mb = std::stoul(argv[++i]);
        } else if (a == "--seconds" && i + 1 < argc) {
            ++i;  // accepted for BENCH_ARGS compatibility with the other benches; runs decide here
        }
    }
    try {
        log::set_level(log::Level::Warn);
        hsm::Token token{testing::SoftHsm::instance().make_token("validate-bench", 8)};
        Ca ca{token};
        const auto signer = ca.issue(
            pki::Name{}.country("JP").given_name("Taro").surname("Yamada").common_name("Taro Yamada"),
            "person");
        const auto tsa_signer =
            ca.issue(pki::Name{}.country("JP").organization("inkan").common_name("bench TSA"), "tsa");
        bench::MemorySerials serials;
        std::vector<tsp::Identity> identities(1);
        identities[0].name = "default";
        identities[0].policy = "1.3.6.1.4.1.99999.1.1";
        identities[0].signer = std::shared_ptr<sign::Signer>(tsa_signer.get(), [](sign::Signer*) {});
        identities[0].chain = tsa_signer->certificate_chain();
        identities[0].is_default = true;
        tsp::Authority authority{std::move(identities), serials, SystemClock::instance()};
        ades::AuthorityTimeStamper stamper{authority};
        pki::RevocationFetcher revocation;

        validation::Options options;
        options.trust_anchors = {ca.root_der};

        testing::TempDir dir{"inkan-validate-bench"};
        nlohmann::json large = nlohmann::json::array();
        std::printf(
            "PAdES B-LTA validation (offline, P-256, one anchor); ms and (x) one SHA-256 pass over the same "
            "file; +MiB: RSS growth during the validation\n");
        std::printf("%6s %9s | %10s %7s %6s | %8s | %s\n", "size", "sha MB/s", "verify ms", "x", "+MiB",
                    "peak MiB", "verdict");
        for (const std::size_t mb : sizes) {
            const fs::path in = dir / ("in-" + std::to_string(mb) + ".pdf");
            const fs::path pdf = dir / ("lta-" + std::to_string(mb) + ".pdf");
            bench::write_pdf(in, mb * 1024 * 1024);
            ades::PadesOptions o;
            o.level = ades::Level::BLTA;
            o.time_stamper = &stamper;
            o.revocation = &revocation;
            (void)ades::sign_pdf(in, pdf, *signer, o);
            fs::remove(in);
            const double file_mb = static_cast<double>(fs::file_size(pdf)) / (1024.0 * 1024.0);
            double sha_best = 1e9;
            std::pair<double, double> best{1e9, 0};
            std::string got;
            for (int r = 0; r < runs; ++r) {
                sha_best = std::min(sha_best, bench::sha256_seconds(pdf));
                const auto m = bench::measure([&] { got = verdict(validation::validate_pdf(pdf, options)); });
                best = {std::min(best.first, m.first), std::max(best.second, m.second)};
            }
            const double peak = static_cast<double>(bench::peak_rss_kib()) / 1024.0;
            std::printf("%4zuMB %9.0f | %10.1f %7.2f %6.0f | %8.0f | %s\n", mb, file_mb / sha_best,
                        best.first * 1000, best.first / sha_best, best.second, peak, got.c_str());
            std::fflush(stdout);
            large.push_back({{"size_mb", mb},
                             {"sha256_mb_per_s", file_mb / sha_best},
                             {"validate_ms", best.first * 1000},
                             {"validate_over_sha256", best.first / sha_best},
                             {"validate_rss_growth_mib", best.second},
                             {"peak_rss_mib", peak},
                             {"verdict", got}});
            fs::remove(pdf);
        }

        // Many small B-T PDFs: signed once (not timed), then validated on every core.
        nlohmann::json small;
        if (files > 0) {
            const fs::path blank = dir / "blank.pdf";
            bench::write_pdf(blank, 4096);
            ades::PadesOptions o;
            o.level = ades::Level::BT;
            o.time_stamper = &stamper;
            std::vector<fs::path> paths(files);
            const double sign_s = on_threads(files, threads, [&](std::size_t i) {
                paths[i] = dir / ("small-" + std::to_string(i) + ".pdf");
                (void)ades::sign_pdf(blank, paths[i], *signer, o);
            });
            std::uintmax_t total_bytes = 0;
            for (const auto& p : paths)
                total_bytes += fs::file_size(p);
            // The raw limit: read and hash the same files, on the same threads.
            double sha_best = 1e9, val_best = 1e9;
            std::map<std::string, std::size_t> verdicts;
            std::mutex mu;
            for (int r = 0; r < runs; ++r) {
                sha_best = std::min(sha_best, on_threads(files, threads, [&](std::size_t i) {
                                        (void)bench::sha256_seconds(paths[i]);
                                    }));
                std::map<std::string, std::size_t> seen;
                val_best = std::min(val_best, on_threads(files, threads, [&](std::size_t i) {
                                        const std::string v =
                                            verdict(validation::validate_pdf(paths[i], options));
                                        std::lock_guard lock{mu};
                                        ++seen[v];
                                    }));
                verdicts = std::move(seen);
            }
            const double n = static_cast<double>(files);
            std::printf(
                "\n%zu small PAdES B-T PDFs (%.1f KiB each), %u threads: validate %.0f files/s; read + "
                "SHA-256 "
                "of the same files %.0f files/s (x %.1f); signing them took %.1f s\n",
                files, static_cast<double>(total_bytes) / n / 1024.0, threads, n / val_best, n / sha_best,
                val_best / sha_best, sign_s);
            std::string tally;
            for (const auto& [v, count] : verdicts)
                tally += "  " + std::to_string(count) + " x " + v + "\n";
            std::printf("verdicts (offline B-T is INDETERMINATE/TRY_LATER by design):\n%s", tally.c_str());
            small = {{"files", files},
                     {"threads", threads},
                     {"validate_files_per_s", n / val_best},
                     {"sha256_files_per_s", n / sha_best},
                     {"validate_over_sha256", val_best / sha_best},
                     {"verdicts", verdicts}};
        }
        // The batch: `inkan verify --csv` against the single-file rate × threads.
        nlohmann::json batch = nlohmann::json::array();
        if (batch_files > 0 || batch_large > 0) {
            const fs::path anchor = dir / "root.pem";
            {
                const std::string pem = pki::Certificate::from_der(ca.root_der).pem();
                std::FILE* f = std::fopen(anchor.c_str(), "wb");
                if (f == nullptr) throw std::runtime_error{"cannot write " + anchor.string()};
                std::fwrite(pem.data(), 1, pem.size(), f);
                std::fclose(f);
            }
            std::printf(
                "\nbatch: inkan verify --csv --jobs %u against one file after another on one thread\n",
                threads);
            const auto make_set = [&](const std::string& name, std::size_t count, std::size_t bytes,
                                      ades::Level level) {
                const fs::path set = dir / name;
                fs::create_directories(set);
                const fs::path blank = dir / (name + "-blank.pdf");
                bench::write_pdf(blank, bytes);
                ades::PadesOptions o;
                o.level = level;
                o.time_stamper = &stamper;
                o.revocation = &revocation;
                const fs::path first = set / "00000.pdf";
                (void)ades::sign_pdf(blank, first, *signer, o);
                fs::remove(blank);
                std::vector<fs::path> out{first};
                for (std::size_t i = 1; i < count; ++i) {
                    char file[32];
                    std::snprintf(file, sizeof file, "%05zu.pdf", i);
                    fs::create_hard_link(first, set / file);
                    out.push_back(set / file);
                }
                return std::pair{set, out};
            };
            if (batch_files > 0) {
                const auto [set, paths] = make_set("batch-small", batch_files, 4096, ades::Level::BT);
                batch.push_back(batch_figures("small B-T PDFs", paths, set, anchor, options, threads, runs));
                fs::remove_all(set);
            }
            if (batch_large > 0) {
                const auto [set, paths] =
                    make_set("batch-large", batch_large, batch_large_mb * 1024 * 1024, ades::Level::BLTA);
                batch.push_back(batch_figures(std::to_string(batch_large_mb) + " MB B-LTA PDFs", paths, set,
                                              anchor, options, threads, runs));
                fs::remove_all(set);
            }
        }
        std::printf("%s\n", nlohmann::json{{"bench", "validate"},
                                           {"runs", runs},
                                           {"large_b_lta", large},
                                           {"small_b_t", small},
                                           {"batch", batch}}
                                .dump()
                                .c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "validate_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
