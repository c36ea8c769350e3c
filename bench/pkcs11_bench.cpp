// PKCS#11 signing throughput against raw in-process OpenSSL, on a throwaway SoftHSM token.
//
// For RSA-2048, RSA-3072, P-256 and P-384: signatures per second with crypto::PrivateKey (one
// thread, the raw limit), through hsm::Token::sign with one thread, and with two threads on a pool
// of two sessions; then the ratios. Each figure runs for a fixed wall time (--seconds N, default 2).
// Prints a table and, last, one JSON line {"bench":"pkcs11",...}. No assertions: numbers only.

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>
#include <inkan/crypto/keys.h>
#include <inkan/hsm/token.h>
#include <inkan/testing/softhsm.h>

namespace {

using namespace inkan;
using Clock = std::chrono::steady_clock;

struct Row {
    hsm::KeySpec spec;
    double raw = 0;
    double pkcs11_1t = 0;
    double pkcs11_2t = 0;
};

/// Runs op() on `threads` threads until `seconds` have passed; returns operations per second.
double measure(int threads, double seconds, const std::function<void()>& op) {
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> count{0};
    std::atomic<bool> failed{false};
    std::vector<std::thread> workers;
    const auto start = Clock::now();
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&] {
            std::uint64_t n = 0;
            try {
                while (!stop.load(std::memory_order_relaxed)) {
                    op();
                    ++n;
                }
            } catch (const std::exception& e) {
                std::fprintf(stderr, "operation failed: %s\n", e.what());
                failed = true;
            }
            count += n;
        });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    for (auto& w : workers) {
        w.join();
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    if (failed) {
        throw Error{Errc::HsmFailure, "a benchmark operation failed"};
    }
    return static_cast<double>(count.load()) / elapsed;
}

crypto::PrivateKey software_key(hsm::KeySpec spec) {
    switch (spec) {
        case hsm::KeySpec::Rsa2048:
            return crypto::PrivateKey::generate_rsa(2048);
        case hsm::KeySpec::Rsa3072:
            return crypto::PrivateKey::generate_rsa(3072);
        case hsm::KeySpec::Rsa4096:
            return crypto::PrivateKey::generate_rsa(4096);
        case hsm::KeySpec::EcP256:
            return crypto::PrivateKey::generate_ec(crypto::Curve::P256);
        case hsm::KeySpec::EcP384:
            return crypto::PrivateKey::generate_ec(crypto::Curve::P384);
        case hsm::KeySpec::EcP521:
            return crypto::PrivateKey::generate_ec(crypto::Curve::P521);
    }
    throw Error{Errc::Internal, "unknown key spec"};
}

double parse_seconds(int argc, char** argv) {
    double seconds = 2.0;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a{argv[i]};
        if (a == "--seconds" && i + 1 < argc) {
            seconds = std::strtod(argv[++i], nullptr);
        } else if (a.starts_with("--seconds=")) {
            seconds = std::strtod(argv[i] + 10, nullptr);
        } else {
            std::fprintf(stderr, "usage: %s [--seconds N]\n", argv[0]);
            std::exit(2);
        }
    }
    if (!(seconds > 0)) {
        std::fprintf(stderr, "--seconds must be positive\n");
        std::exit(2);
    }
    return seconds;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const double seconds = parse_seconds(argc, argv);
        hsm::Token token{testing::SoftHsm::instance().make_token("bench", 2)};
        const hsm::TokenInfo info = token.info();
        std::printf("PKCS#11 sign throughput: %s %s (%s), token '%s', %.1f s per figure\n",
                    info.library_manufacturer.c_str(), info.library_version.c_str(), info.module_path.c_str(),
                    info.label.c_str(), seconds);

        std::vector<Row> rows;
        for (const auto spec :
             {hsm::KeySpec::Rsa2048, hsm::KeySpec::Rsa3072, hsm::KeySpec::EcP256, hsm::KeySpec::EcP384}) {
            Row row{spec};
            const auto alg = hsm::key_type(spec) == crypto::KeyType::Rsa
                                 ? crypto::SignatureAlgorithm::rsa_pkcs1(crypto::DigestAlgorithm::Sha256)
                                 : crypto::SignatureAlgorithm::ecdsa(crypto::DigestAlgorithm::Sha256);
            const Bytes digest =
                crypto::digest(crypto::DigestAlgorithm::Sha256, as_bytes("inkan pkcs11 bench"));
            const crypto::PrivateKey soft = software_key(spec);
            const Bytes id = token.generate_key_pair(spec, "bench-" + std::string{hsm::name(spec)});

            row.raw = measure(1, seconds, [&] { (void)soft.sign_digest(alg, digest); });
            row.pkcs11_1t = measure(1, seconds, [&] { (void)token.sign(id, alg, digest); });
            row.pkcs11_2t = measure(2, seconds, [&] { (void)token.sign(id, alg, digest); });
            rows.push_back(row);
        }

        std::printf("\n%-10s %12s %12s %12s %10s %10s\n", "key", "raw/s", "pkcs11 1t/s", "pkcs11 2t/s",
                    "1t/raw", "2t/raw");
        for (const Row& r : rows) {
            std::printf("%-10s %12.0f %12.0f %12.0f %10.2f %10.2f\n", std::string{hsm::name(r.spec)}.c_str(),
                        r.raw, r.pkcs11_1t, r.pkcs11_2t, r.pkcs11_1t / r.raw, r.pkcs11_2t / r.raw);
        }
        const hsm::PoolStats stats = token.pool_stats();
        std::printf("\npool: size %zu, open %zu, waits %llu, recoveries %llu\n", stats.size, stats.open,
                    static_cast<unsigned long long>(stats.waits),
                    static_cast<unsigned long long>(stats.recoveries));

        std::string json = R"({"bench":"pkcs11","module":")" + info.library_manufacturer + " " +
                           info.library_version + R"(","seconds":)" + std::to_string(seconds) +
                           R"(,"results":[)";
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const Row& r = rows[i];
            char buf[256];
            std::snprintf(buf, sizeof buf,
                          R"(%s{"key":"%s","raw_per_s":%.1f,"pkcs11_1t_per_s":%.1f,"pkcs11_2t_per_s":%.1f,)"
                          R"("ratio_1t":%.3f,"ratio_2t":%.3f})",
                          i == 0 ? "" : ",", std::string{hsm::name(r.spec)}.c_str(), r.raw, r.pkcs11_1t,
                          r.pkcs11_2t, r.pkcs11_1t / r.raw, r.pkcs11_2t / r.raw);
            json += buf;
        }
        json += R"(],"pool_waits":)" + std::to_string(stats.waits) + "}";
        std::printf("%s\n", json.c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "pkcs11 bench: %s\n", e.what());
        return 1;
    }
}
