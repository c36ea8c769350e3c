// The HTTP server with its TLS key in the HSM (through this provider), when the HSM hangs: a TLS
// handshake whose private-key operation does not return must not stall the server's other
// connections or /healthz (issue 14 §8). The HSM's hang is a signer that blocks in sign() until the
// test releases it; the key behind it is a real SoftHSM key. The clients are curl.

#include <openssl/pem.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include <inkan/http/server.h>
#include <inkan/sign/hsm_signer.h>
#include <inkan/sign/provider.h>
#include <inkan/testing/process.h>
#include <inkan/testing/softhsm.h>

#include "test_tls.h"

namespace {

using inkan::Bytes;
using inkan::ByteView;
namespace http = inkan::http;
namespace test = inkan::sign::provider::testing;

/// Signs through `inner`, but only once released: until then every sign() blocks, as a PKCS#11
/// call into a hung HSM does.
class HangingSigner final : public inkan::sign::Signer {
public:
    explicit HangingSigner(std::shared_ptr<inkan::sign::Signer> inner) : m_inner{std::move(inner)} {}

    [[nodiscard]] std::vector<inkan::crypto::SignatureAlgorithm> algorithms() const override {
        return m_inner->algorithms();
    }
    [[nodiscard]] const inkan::crypto::PublicKey& public_key() const override {
        return m_inner->public_key();
    }

    Bytes sign(const inkan::crypto::SignatureAlgorithm& alg, ByteView digest) override {
        ++m_entered;
        {
            std::unique_lock lock{m_mutex};
            m_released.wait(lock, [this] { return m_open; });
        }
        return m_inner->sign(alg, digest);
    }

    void release() {
        {
            const std::lock_guard lock{m_mutex};
            m_open = true;
        }
        m_released.notify_all();
    }
    [[nodiscard]] int entered() const noexcept { return m_entered.load(); }

private:
    std::shared_ptr<inkan::sign::Signer> m_inner;
    std::atomic<int> m_entered{0};
    std::mutex m_mutex;
    std::condition_variable m_released;
    bool m_open = false;
};

std::string to_pem(X509* cert) {
    inkan::ossl::Bio bio{::BIO_new(::BIO_s_mem())};
    EXPECT_EQ(::PEM_write_bio_X509(bio.get(), cert), 1);
    char* data = nullptr;
    const long n = ::BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

bool eventually(const std::function<bool()>& condition) {
    for (int i = 0; i < 1000; ++i) {  // up to 10 s
        if (condition()) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    return condition();
}

TEST(HttpServerWithAnHsmKey, AHungHandshakeDoesNotStallOtherConnectionsOrHealthz) {
    static inkan::hsm::Token token{inkan::testing::SoftHsm::instance().make_token("tls-hang")};
    const test::TestPki pki;
    const Bytes id = token.generate_key_pair(inkan::hsm::KeySpec::EcP256, "tls");
    auto hsm_signer = std::make_shared<inkan::sign::HsmSigner>(token, id);
    auto hanging = std::make_shared<HangingSigner>(hsm_signer);
    const inkan::ossl::Cert cert = pki.issue(hsm_signer->public_key(), "hang");

    http::ServerOptions options;
    options.io_threads = 1;  // one I/O thread: a handshake blocking it would stall everything
    options.access_log = false;
    http::Server server{std::move(options)};
    http::TlsConfig tls;
    tls.private_key = inkan::sign::provider::make_evp_pkey(hanging);
    tls.certificate_chain_pem = to_pem(cert.get());
    http::ListenerConfig api;
    api.name = "api";
    api.tls = std::move(tls);
    http::ListenerConfig pki_listener;
    pki_listener.name = "pki";
    pki_listener.router.get("/hello",
                            [](const http::Request&) { return http::Response::text(200, "hello"); });
    const std::uint16_t api_port = server.add_listener(std::move(api));
    const std::uint16_t pki_port = server.add_listener(std::move(pki_listener));
    server.start();
    const std::string api_url = "https://127.0.0.1:" + std::to_string(api_port);
    const std::string pki_url = "http://127.0.0.1:" + std::to_string(pki_port);

    // A TLS client whose handshake now waits on the hung key.
    auto stuck = std::async(std::launch::async, [&] {
        return inkan::testing::run({"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time",
                                    "60", "--cacert", pki.ca_pem().string(), api_url + "/healthz"});
    });
    ASSERT_TRUE(eventually([&] { return hanging->entered() >= 1; })) << "the handshake never reached the key";

    // Meanwhile the server answers /healthz and other routes, again and again: the hung key holds a
    // handshake thread, not the I/O thread.
    for (int i = 0; i < 3; ++i) {
        for (const auto& url : {pki_url + "/healthz", pki_url + "/hello"}) {
            const auto r = inkan::testing::run(
                {"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", url});
            EXPECT_EQ(r.out, "200") << url << ": " << r.err;
        }
    }
    EXPECT_EQ(hanging->entered(), 1);

    // Once the HSM answers, the waiting handshake completes and its request is served.
    hanging->release();
    const auto done = stuck.get();
    EXPECT_EQ(done.out, "200") << done.err;
    const auto after =
        inkan::testing::run({"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10",
                             "--cacert", pki.ca_pem().string(), api_url + "/healthz"});
    EXPECT_EQ(after.out, "200") << after.err;
    server.stop();
}

}  // namespace
