// CSC signatures/signHash throughput over HTTPS keep-alive, next to the raw PKCS#11 rate measured in
// the same run.
//
// An in-process stack built like `inkan serve` builds it (SQLite in a temp dir, a SoftHSM token, the
// built-in CA, Accounts/Sessions/Credentials/Authorization, the CSC routes, http::Server with TLS on
// 127.0.0.1:0) and 32 client threads, each with one keep-alive TLS connection (the http layer's test
// client). For RSA-2048 and P-256, at 1 and 16 hashes per request: signatures/s, p50/p99 request
// latency, and the ratio to hsm::Token::sign looped on as many threads as the token's session pool
// has sessions (the same key, the same scheme).
//
// The aim is the cost signHash adds around the HSM, so the credentials are SCAL 1 with multisign
// 100000: each client authorises once (PIN + TOTP) before the timed section, for numSignatures =
// multisign, and spends that SAD request after request; a client whose SAD runs out authorises again
// outside the timed figures (it never happens in a few seconds). SCAL 2 would need an authorize (and
// a fresh TOTP step) per request, which measures authorize, not signHash.
//
// The same figures on PostgreSQL (issue 19): the stack on a throwaway cluster (tests/support/postgres.h,
// Unix socket, fsync off) instead of SQLite, printed with the ratio of its rate to SQLite's in the same run
// (the SAD spend and its audit row are each a transaction on the store). --no-postgres leaves it out;
// without PostgreSQL's server programs the row says why it is missing.
//
// --seconds N (default 3) per figure. No assertions: numbers only. Last line: one JSON object.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include <inkan/api/csc.h>
#include <inkan/core/clock.h>
#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/core/log.h>
#include <inkan/crypto/digest.h>
#include <inkan/hsm/token.h>
#include <inkan/testing/postgres.h>

#include "csc_stack.h"
#include "testing/client.h"

namespace {

using namespace inkan;
using SteadyClock = std::chrono::steady_clock;
using Json = nlohmann::json;
using bench::kMultisign;
using bench::kPin;
using bench::Stack;

constexpr int kClients = 32;

struct Figures {
    double per_second = 0;
    double p50_ms = 0;
    double p99_ms = 0;
    std::uint64_t errors = 0;
};

double percentile(std::vector<double>& v, double p) {
    if (v.empty()) {
        return 0;
    }
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
    return v[i];
}

/// hsm::Token::sign on `threads` threads for `seconds`: signatures per second.
double raw_rate(hsm::Token& token, const Bytes& key_id, const crypto::SignatureAlgorithm& alg,
                std::size_t threads, double seconds) {
    const Bytes digest = crypto::digest(crypto::DigestAlgorithm::Sha256, as_bytes(std::string_view{"raw"}));
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> count{0};
    std::vector<std::thread> workers;
    const auto start = SteadyClock::now();
    for (std::size_t t = 0; t < threads; ++t) {
        workers.emplace_back([&] {
            std::uint64_t n = 0;
            while (!stop.load(std::memory_order_relaxed)) {
                (void)token.sign(key_id, alg, digest);
                ++n;
            }
            count += n;
        });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    for (auto& w : workers) {
        w.join();
    }
    return static_cast<double>(count.load()) /
           std::chrono::duration<double>(SteadyClock::now() - start).count();
}

class Bench {
public:
    Bench(Stack& stack, std::uint16_t port, http::testing::ClientTls tls, std::string token)
        : m_stack{stack}, m_port{port}, m_tls{std::move(tls)}, m_access_token{std::move(token)} {}

    void set_user_seed(Bytes seed) { m_seed = std::move(seed); }

    /// A SAD for `numSignatures` = multisign (PIN + a fresh TOTP step: the clock moves 30 s).
    std::string authorize(http::testing::Client& client, const std::string& credential) {
        const std::lock_guard lock{m_auth_mutex};
        m_stack.clock.advance(std::chrono::seconds{30});
        const Json body{{"credentialID", credential},
                        {"numSignatures", kMultisign},
                        {"PIN", kPin},
                        {"OTP", service::totp_code(m_seed, m_stack.clock.now())}};
        const auto r = client.request("POST", "/csc/v1/credentials/authorize", body.dump(), headers());
        if (r.status != 200) {
            throw std::runtime_error("authorize: " + std::to_string(r.status) + " " + r.body);
        }
        return Json::parse(r.body)["SAD"].get<std::string>();
    }

    Figures run(const std::string& credential, const char* sign_algo, int per_request, double seconds) {
        // The clock moves 30 s per authorize (a fresh TOTP step): a fresh access token per figure.
        m_access_token =
            m_stack.sessions.login("bench", Secret{std::string_view{"bench-password"}}, false).access_token;
        std::vector<std::unique_ptr<http::testing::Client>> clients;
        std::vector<std::string> sads;
        for (int i = 0; i < kClients; ++i) {
            clients.push_back(
                std::make_unique<http::testing::Client>(m_port, m_tls, std::chrono::seconds{60}));
            clients.back()->connect();
            sads.push_back(authorize(*clients.back(), credential));
        }
        std::atomic<bool> stop{false};
        std::atomic<std::uint64_t> signatures{0}, errors{0};
        std::vector<std::vector<double>> latencies(kClients);
        std::vector<std::thread> threads;
        std::atomic<bool> go{false};
        for (int c = 0; c < kClients; ++c) {
            threads.emplace_back([&, c] {
                const auto ci = static_cast<std::size_t>(c);
                Json hashes = Json::array();
                for (int h = 0; h < per_request; ++h) {
                    const std::string text = "bench " + std::to_string(c) + "/" + std::to_string(h);
                    hashes.push_back(base64_encode(
                        crypto::digest(crypto::DigestAlgorithm::Sha256, as_bytes(std::string_view{text}))));
                }
                Json body{{"credentialID", credential}, {"signAlgo", sign_algo}, {"hash", hashes}};
                while (!go.load()) {
                    std::this_thread::yield();
                }
                while (!stop.load(std::memory_order_relaxed)) {
                    body["SAD"] = sads[ci];
                    const auto t0 = SteadyClock::now();
                    try {
                        const auto r = clients[ci]->request("POST", "/csc/v1/signatures/signHash",
                                                            body.dump(), headers());
                        const auto t1 = SteadyClock::now();
                        if (r.status == 200) {
                            signatures += static_cast<std::uint64_t>(per_request);
                            latencies[ci].push_back(
                                std::chrono::duration<double, std::milli>(t1 - t0).count());
                        } else {
                            ++errors;
                            sads[ci] = authorize(*clients[ci], credential);  // spent: a new SAD, untimed
                        }
                    } catch (const std::exception& e) {
                        std::fprintf(stderr, "client %d: %s\n", c, e.what());
                        ++errors;
                        return;
                    }
                }
            });
        }
        const auto start = SteadyClock::now();
        go = true;
        std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
        stop = true;
        for (auto& t : threads) {
            t.join();
        }
        const double elapsed = std::chrono::duration<double>(SteadyClock::now() - start).count();
        std::vector<double> all;
        for (auto& l : latencies) {
            all.insert(all.end(), l.begin(), l.end());
        }
        Figures f;
        f.per_second = static_cast<double>(signatures.load()) / elapsed;
        f.p50_ms = percentile(all, 0.50);
        f.p99_ms = percentile(all, 0.99);
        f.errors = errors.load();
        return f;
    }

private:
    [[nodiscard]] http::testing::HeaderList headers() const {
        return {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + m_access_token}};
    }

    Stack& m_stack;
    std::uint16_t m_port;
    http::testing::ClientTls m_tls;
    std::string m_access_token;
    Bytes m_seed;
    std::mutex m_auth_mutex;
};

struct Key {
    const char* name;
    hsm::KeySpec spec;
    const char* sign_algo;
    crypto::SignatureAlgorithm alg;
    service::Credential credential;
};

struct Row {
    std::string store;
    std::string key;
    int per_request = 0;
    Figures figures;
    double raw = 0;
};

/// Every figure on one stack (SQLite, or PostgreSQL at `postgres_url`).
std::vector<Row> run_store(const std::string& store, const std::string& postgres_url, double seconds) {
    constexpr std::size_t kPool = 4;  // hsm::TokenConfig's default, what `inkan serve` uses
    Stack stack{kPool, postgres_url};
    const Bytes seed = bench::add_bench_user(stack);
    std::vector<Key> keys{
        {"RSA-2048",
         hsm::KeySpec::Rsa2048,
         "1.2.840.113549.1.1.11",
         crypto::SignatureAlgorithm::rsa_pkcs1(crypto::DigestAlgorithm::Sha256),
         {}},
        {"P-256",
         hsm::KeySpec::EcP256,
         "1.2.840.10045.4.3.2",
         crypto::SignatureAlgorithm::ecdsa(crypto::DigestAlgorithm::Sha256),
         {}},
    };
    for (auto& k : keys) {
        k.credential = bench::add_bench_credential(stack, k.spec, k.name);
    }
    http::Router router;
    api::add_csc_routes(router, api::CscDeps{stack.sessions, *stack.credentials, stack.accounts,
                                             *stack.authorization, stack.clock, api::ServiceInfo{}, nullptr});
    bench::TlsServer server{stack.dir.path(), std::move(router), 2};
    const std::string access_token =
        stack.sessions.login("bench", Secret{std::string_view{"bench-password"}}, false).access_token;
    http::testing::ClientTls client_tls;
    client_tls.ca_file = server.ca_file();
    Bench bench{stack, server.port(), client_tls, access_token};
    bench.set_user_seed(seed);
    std::vector<Row> rows;
    for (const auto& k : keys) {
        const double raw = raw_rate(stack.token, k.credential.key_id, k.alg, kPool, seconds);
        for (const int per_request : {1, 16}) {
            const Figures f = bench.run(k.credential.id, k.sign_algo, per_request, seconds);
            const double ratio = raw > 0 ? f.per_second / raw : 0;
            std::printf("%-10s %-9s %7d %12.0f %12.0f %6.0f%% %9.2f %9.2f %7llu\n", store.c_str(), k.name,
                        per_request, f.per_second, raw, ratio * 100, f.p50_ms, f.p99_ms,
                        static_cast<unsigned long long>(f.errors));
            std::fflush(stdout);
            rows.push_back({store, k.name, per_request, f, raw});
        }
    }
    return rows;
}

}  // namespace

int main(int argc, char** argv) {
    double seconds = 3;
    bool postgres = true;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg{argv[i]};
        if (arg == "--seconds" && i + 1 < argc) {
            seconds = std::atof(argv[++i]);
        } else if (arg == "--no-postgres") {
            postgres = false;
        } else {
            std::fprintf(stderr, "usage: %s [--seconds N] [--no-postgres]\n", argv[0]);
            return 2;
        }
    }
    try {
        log::set_level(log::Level::Warn);
        std::printf("csc signHash over HTTPS keep-alive: %d clients, HSM pool 4, %.1f s per figure\n",
                    kClients, seconds);
        std::printf("%-10s %-9s %7s %12s %12s %7s %9s %9s %7s\n", "store", "key", "hashes", "api sig/s",
                    "raw sig/s", "ratio", "p50 ms", "p99 ms", "errors");
        std::vector<Row> rows = run_store("SQLite", {}, seconds);
        std::string postgres_missing;
        if (postgres) {
            std::string why;
            auto* cluster = testing::shared_postgres(&why);
            if (cluster == nullptr) {
                postgres_missing = why.empty() ? "no PostgreSQL test cluster" : why;
                std::printf("PostgreSQL: not measured (%s)\n", postgres_missing.c_str());
            } else {
                testing::TestDatabase db{*cluster};
                const auto pg_rows = run_store("PostgreSQL", db.url(), seconds);
                rows.insert(rows.end(), pg_rows.begin(), pg_rows.end());
            }
        }
        // PostgreSQL against SQLite, figure by figure, from the same run.
        Json out{{"bench", "csc"}, {"clients", kClients}, {"pool", 4}, {"seconds", seconds}};
        Json json_rows = Json::array();
        for (const auto& r : rows) {
            Json row{{"store", r.store},
                     {"key", r.key},
                     {"hashes_per_request", r.per_request},
                     {"api_per_second", r.figures.per_second},
                     {"raw_per_second", r.raw},
                     {"ratio", r.raw > 0 ? r.figures.per_second / r.raw : 0},
                     {"p50_ms", r.figures.p50_ms},
                     {"p99_ms", r.figures.p99_ms},
                     {"errors", r.figures.errors}};
            if (r.store == "PostgreSQL") {
                for (const auto& s : rows) {
                    if (s.store == "SQLite" && s.key == r.key && s.per_request == r.per_request &&
                        s.figures.per_second > 0) {
                        const double vs = r.figures.per_second / s.figures.per_second;
                        row["vs_sqlite"] = vs;
                        std::printf("PostgreSQL/SQLite %-9s %2d hashes: %5.0f%%\n", r.key.c_str(),
                                    r.per_request, vs * 100);
                    }
                }
            }
            json_rows.push_back(std::move(row));
        }
        out["rows"] = std::move(json_rows);
        if (!postgres_missing.empty()) {
            out["postgres_missing"] = postgres_missing;
        }
        std::printf("%s\n", out.dump().c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "csc bench failed: %s\n", e.what());
        return 1;
    }
}
