// RFC 3161 time-stamps per second over HTTP next to the raw sign rate of the TSA key, in the same run.
//
// In process, as `inkan serve` builds it: a SoftHSM token (pool of 4 sessions) with a P-256 TSA key and a
// certificate from the built-in CA, serials from SQLite, the Authority behind POST /tsa on http::Server
// (plain HTTP on 127.0.0.1:0). N client threads each POST DER TimeStampReqs with net::post (one
// connection per request, as openssl/curl clients do) and check every reply's status; the raw figure
// is HsmSigner::sign looped on 4 threads (the pool size) with the same key. --seconds N per figure
// (default 3), --clients N (default 8). No assertions: numbers only. Last line: one JSON object.

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <inkan/core/log.h>
#include <inkan/crypto/digest.h>
#include <inkan/http/server.h>
#include <inkan/net/client.h>
#include <inkan/storage/sqlite_tsa_serial_store.h>
#include <inkan/testing/test_pki.h>
#include <inkan/tsp/authority.h>

using namespace inkan;

namespace {

constexpr std::size_t kPool = 4;

double run_for(double seconds, std::size_t threads, const std::function<bool()>& op, std::size_t& failures) {
    std::atomic<bool> stop{false};
    std::atomic<std::size_t> done{0};
    std::atomic<std::size_t> failed{0};
    std::vector<std::thread> pool;
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t t = 0; t < threads; ++t) {
        pool.emplace_back([&] {
            while (!stop.load(std::memory_order_relaxed)) {
                if (op()) {
                    done.fetch_add(1, std::memory_order_relaxed);
                } else {
                    failed.fetch_add(1, std::memory_order_relaxed);
                }
            }
        });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    for (auto& th : pool) {
        th.join();
    }
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    failures = failed.load();
    return static_cast<double>(done.load()) / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
    double seconds = 3;
    std::size_t clients = 8;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg{argv[i]};
        if (arg == "--seconds" && i + 1 < argc) {
            seconds = std::atof(argv[++i]);
        } else if (arg == "--clients" && i + 1 < argc) {
            clients = static_cast<std::size_t>(std::atoi(argv[++i]));
        } else {
            std::fprintf(stderr, "usage: %s [--seconds N] [--clients N]\n", argv[0]);
            return 2;
        }
    }
    try {
        log::set_level(log::Level::Warn);
        testing::TestPki pki;
        auto leaf = pki.issue(hsm::KeySpec::EcP256, "bench-tsa");
        storage::SqliteTsaSerialStore serials{pki.dir / "tsa.db"};
        tsp::Identity id;
        id.name = "bench";
        id.policy = "1.3.6.1.4.1.99999.1";
        id.signer = std::shared_ptr<sign::Signer>(leaf.signer.get(), [](sign::Signer*) {});
        id.chain = leaf.chain;
        tsp::Authority authority{{id}, serials, SystemClock::instance()};

        http::Router router;
        router.post("/tsa", [&](const http::Request& req) {
            return http::Response::binary(200, "application/timestamp-reply",
                                          to_string(authority.respond(as_bytes(req.body))));
        });
        http::ServerOptions options;
        options.access_log = false;
        options.io_threads = 1;
        http::Server server{std::move(options)};
        http::ListenerConfig listener;
        listener.name = "pki";
        listener.host = "127.0.0.1";
        listener.port = 0;
        listener.router = std::move(router);
        const std::uint16_t port = server.add_listener(std::move(listener));
        server.start();
        const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/tsa";

        tsp::TimeStampReq req;
        req.imprint = tsp::make_imprint(crypto::DigestAlgorithm::Sha256,
                                        crypto::digest(crypto::DigestAlgorithm::Sha256, as_bytes("bench")));
        req.nonce = Bytes{0x12, 0x34, 0x56, 0x78};
        req.cert_req = true;
        const Bytes query = tsp::encode_request(req);

        std::size_t raw_failures = 0;
        const Bytes digest(32, 0x5A);
        const auto alg = crypto::SignatureAlgorithm::ecdsa(crypto::DigestAlgorithm::Sha256);
        const double raw = run_for(
            seconds, kPool, [&] { return !leaf.signer->sign(alg, digest).empty(); }, raw_failures);

        std::size_t http_failures = 0;
        const double tokens = run_for(
            seconds, clients,
            [&] {
                try {
                    const auto r = net::post(url, "application/timestamp-query", query);
                    return r.status == 200 && tsp::parse_response(r.body).status == tsp::PkiStatus::Granted;
                } catch (const Error&) {
                    return false;
                }
            },
            http_failures);
        server.stop();

        std::printf(
            "TSA key EC P-256 in SoftHSM, %zu HTTP clients (one connection per request), %.0f s each\n",
            clients, seconds);
        std::printf("| tokens/s over HTTP | raw sign/s (%zu threads) | tokens / raw | failed requests |\n",
                    kPool);
        std::printf("|---|---|---|---|\n| %.0f | %.0f | %.2f | %zu |\n", tokens, raw, tokens / raw,
                    http_failures);
        std::printf(
            "{\"bench\":\"tsa\",\"clients\":%zu,\"seconds\":%.1f,\"tokens_per_s\":%.1f,\"raw_sign_per_s\":%."
            "1f,"
            "\"ratio\":%.3f,\"failures\":%zu}\n",
            clients, seconds, tokens, raw, tokens / raw, http_failures);
        return 0;
    } catch (const Error& e) {
        std::fprintf(stderr, "tsa_bench: %s [%s]\n", e.what(), std::string{errc_name(e.code())}.c_str());
        return 1;
    }
}
