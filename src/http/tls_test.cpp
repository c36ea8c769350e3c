// Functional tests of the TLS listener: protocol versions (1.2 and 1.3 only), the certificate chain,
// mutual TLS (required and optional), limits and concurrency over TLS, next to a plain listener.
// The PKI comes from the openssl CLI; openssl s_client and curl act as independent clients.

#include <inkan/http/server.h>

#include <openssl/ssl.h>

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/testing/process.h>

#include "testing/client.h"
#include "testing/fixture.h"
#include "testing/pki.h"

namespace inkan::http {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::Client;
using testing::ClientTls;
using testing::fetch;
using testing::start_server;
using testing::TestPki;

class HttpTls : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_dir = new inkan::testing::TempDir{"inkan-http-tls"};
        s_pki = new TestPki{s_dir->path()};
    }
    static void TearDownTestSuite() {
        delete s_pki;
        delete s_dir;
        s_pki = nullptr;
        s_dir = nullptr;
    }

    static TlsConfig tls(ClientAuth auth = ClientAuth::None) {
        TlsConfig t;
        t.private_key = s_pki->server_private_key();
        t.certificate_chain_pem = s_pki->server_chain_pem();
        if (auth != ClientAuth::None) {
            t.client_ca_file = s_pki->root_cert;
            t.client_auth = auth;
        }
        return t;
    }

    static ClientTls client(int min_version = 0, int max_version = 0, bool with_cert = false,
                            bool rogue = false) {
        ClientTls c;
        c.ca_file = s_pki->root_cert;  // the root only: the server must send the issuing CA
        c.min_version = min_version;
        c.max_version = max_version;
        if (with_cert) {
            c.cert_file = rogue ? s_pki->rogue_client_cert : s_pki->client_cert;
            c.key_file = rogue ? s_pki->rogue_client_key : s_pki->client_key;
        }
        return c;
    }

    static Router router() {
        Router r;
        r.get("/hello", [](const Request&) { return Response::text(200, "hello over tls"); });
        r.post("/echo", [](const Request& req) {
            return Response::binary(200, "application/octet-stream", req.body);
        });
        r.get("/whoami", [](const Request& req) {
            return Response::text(
                200, req.client_certificate.empty() ? "anonymous" : hex_encode(req.client_certificate));
        });
        return r;
    }

    static ServerOptions quiet() {
        ServerOptions o;
        o.access_log = false;
        return o;
    }

    static inkan::testing::CommandResult s_client(std::uint16_t port, const std::vector<std::string>& extra) {
        std::vector<std::string> argv{"openssl",
                                      "s_client",
                                      "-connect",
                                      "127.0.0.1:" + std::to_string(port),
                                      "-CAfile",
                                      s_pki->root_cert.string(),
                                      "-verify_return_error"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return inkan::testing::run(argv, "");
    }

    static inkan::testing::CommandResult curl(std::uint16_t port, const std::string& path,
                                              const std::vector<std::string>& extra = {}) {
        std::vector<std::string> argv{
            "curl", "-sS", "-v", "--max-time", "20", "--cacert", s_pki->root_cert.string()};
        argv.insert(argv.end(), extra.begin(), extra.end());
        argv.push_back("https://127.0.0.1:" + std::to_string(port) + path);
        return inkan::testing::run(argv);
    }

    static inline inkan::testing::TempDir* s_dir = nullptr;
    static inline TestPki* s_pki = nullptr;
};

TEST_F(HttpTls, AcceptsTls12AndTls13) {
    auto s = start_server(router(), quiet(), tls());
    for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
        Client c{s.port, client(version, version)};
        const auto r = c.request("GET", "/hello");
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.body, "hello over tls");
        EXPECT_EQ(c.tls_version(), version == TLS1_2_VERSION ? "TLSv1.2" : "TLSv1.3");
    }
    // curl, verifying the chain (leaf + issuing CA from the server) and the IP SAN.
    auto r12 = curl(s.port, "/hello", {"--tlsv1.2", "--tls-max", "1.2"});
    EXPECT_EQ(r12.exit_code, 0) << r12.err;
    EXPECT_EQ(r12.out, "hello over tls");
    EXPECT_NE(r12.err.find("SSL connection using TLSv1.2"), std::string::npos) << r12.err;
    auto r13 = curl(s.port, "/hello", {"--tlsv1.3"});
    EXPECT_EQ(r13.exit_code, 0) << r13.err;
    EXPECT_NE(r13.err.find("SSL connection using TLSv1.3"), std::string::npos) << r13.err;
}

TEST_F(HttpTls, ServerRefusesTls11) {
    auto s = start_server(router(), quiet(), tls());
    // SECLEVEL=0 lets this OpenSSL client offer TLS 1.1 at all; without it the client would refuse
    // locally ("no protocols available") and the test would prove nothing about the server.
    const auto old = s_client(s.port, {"-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"});
    EXPECT_NE(old.exit_code, 0);
    const std::string out = old.out + old.err;
    // The refusal comes from the server: a protocol_version alert received by the client.
    EXPECT_NE(out.find("alert protocol version"), std::string::npos) << out;
    EXPECT_EQ(out.find("no protocols available"), std::string::npos) << out;

    // The same client, same settings, but TLS 1.2: accepted. So the client could speak; the server
    // said no to 1.1.
    const auto modern = s_client(s.port, {"-tls1_2", "-cipher", "DEFAULT@SECLEVEL=0"});
    EXPECT_EQ(modern.exit_code, 0) << modern.out << modern.err;
    EXPECT_NE(modern.out.find("TLSv1.2"), std::string::npos) << modern.out;
    EXPECT_NE(modern.out.find("Verify return code: 0 (ok)"), std::string::npos) << modern.out;

    const auto tls10 = s_client(s.port, {"-tls1", "-cipher", "DEFAULT@SECLEVEL=0"});
    EXPECT_NE(tls10.exit_code, 0);
    EXPECT_NE((tls10.out + tls10.err).find("alert protocol version"), std::string::npos)
        << tls10.out << tls10.err;
}

TEST_F(HttpTls, MutualTlsRequiredRefusesClientsWithoutATrustedCertificate) {
    auto s = start_server(router(), quiet(), tls(ClientAuth::Required));
    // TLS 1.2: the handshake itself fails.
    {
        Client c{s.port, client(TLS1_2_VERSION, TLS1_2_VERSION)};
        EXPECT_THROW(c.connect(), std::runtime_error);
    }
    // TLS 1.3: the client's handshake completes before the server checks; the first request fails
    // and no response comes.
    {
        Client c{s.port, client(TLS1_3_VERSION, TLS1_3_VERSION)};
        EXPECT_THROW(c.request("GET", "/whoami"), std::runtime_error);
    }
    // A certificate from another CA (same subject name) is refused too.
    for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
        Client c{s.port, client(version, version, true, true)};
        EXPECT_THROW(c.request("GET", "/whoami"), std::runtime_error) << version;
    }
    const auto no_cert = curl(s.port, "/whoami");
    EXPECT_NE(no_cert.exit_code, 0);
    EXPECT_EQ(no_cert.out, "");
    // The server is still fine.
    Client ok{s.port, client(0, 0, true)};
    EXPECT_EQ(ok.request("GET", "/hello").status, 200);
}

TEST_F(HttpTls, MutualTlsRequiredGivesTheHandlerTheClientCertificate) {
    auto s = start_server(router(), quiet(), tls(ClientAuth::Required));
    const std::string expected = hex_encode(s_pki->client_cert_der());
    for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
        Client c{s.port, client(version, version, true)};
        const auto r = c.request("GET", "/whoami");
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.body, expected) << version;
        // And on the next request of the same connection.
        EXPECT_EQ(c.request("GET", "/whoami").body, expected);
        EXPECT_EQ(c.connects(), 1);
    }
    const auto with_curl =
        curl(s.port, "/whoami", {"--cert", s_pki->client_cert.string(), "--key", s_pki->client_key.string()});
    EXPECT_EQ(with_curl.exit_code, 0) << with_curl.err;
    EXPECT_EQ(with_curl.out, expected);
}

TEST_F(HttpTls, MutualTlsOptional) {
    auto s = start_server(router(), quiet(), tls(ClientAuth::Optional));
    EXPECT_EQ(fetch(s.port, "GET", "/whoami", {}, {}, client()).body, "anonymous");
    EXPECT_EQ(fetch(s.port, "GET", "/whoami", {}, {}, client(0, 0, true)).body,
              hex_encode(s_pki->client_cert_der()));
    // A certificate that is sent must verify.
    Client rogue{s.port, client(0, 0, true, true)};
    EXPECT_THROW(rogue.request("GET", "/whoami"), std::runtime_error);
}

TEST_F(HttpTls, WithoutAClientCaNoCertificateReachesTheHandler) {
    auto s = start_server(router(), quiet(), tls());
    EXPECT_EQ(fetch(s.port, "GET", "/whoami", {}, {}, client(0, 0, true)).body, "anonymous");
}

TEST_F(HttpTls, OversizeBodyGets413AndTheNextRequestIsServed) {
    ServerOptions o = quiet();
    o.limits.max_body_bytes = 64 * 1024;
    auto s = start_server(router(), std::move(o), tls());
    Client c{s.port, client()};
    auto r = c.request("POST", "/echo", std::string(2 * 1024 * 1024, 'x'));
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(r.body, R"({"error":"invalid_request","error_description":"Request body too large"})");
    EXPECT_TRUE(c.closed_by_peer(5s));
    r = c.request("POST", "/echo", "next");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "next");
}

TEST_F(HttpTls, SixtyFourConcurrentClients) {
    ServerOptions o = quiet();
    o.io_threads = 2;
    auto s = start_server(router(), std::move(o), tls(ClientAuth::Optional));
    constexpr int kClients = 64;
    constexpr int kRequests = 10;
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kClients; ++t) {
        threads.emplace_back([&, t] {
            try {
                Client c{s.port, client(0, 0, t % 2 == 0)};
                for (int i = 0; i < kRequests; ++i) {
                    const std::string body = std::to_string(t) + ":" + std::to_string(i);
                    const auto r = c.request("POST", "/echo", body);
                    if (r.status == 200 && r.body == body && c.connects() == 1) {
                        ++ok;
                    }
                }
            } catch (const std::exception& e) {
                ADD_FAILURE() << "client " << t << ": " << e.what();
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(ok.load(), kClients * kRequests);
}

TEST_F(HttpTls, ApiOverTlsAndPkiOverPlainHttpSideBySide) {
    Server server{quiet()};
    ListenerConfig api;
    api.name = "api";
    api.tls = tls();
    api.router = router();
    ListenerConfig pki;
    pki.name = "pki";
    pki.router.add(Route{"GET", "/crl/",
                         [](const Request& req) {
                             return Response::binary(200, "application/pkix-crl", "crl of " + req.path_tail);
                         },
                         Match::Prefix});
    const auto api_port = server.add_listener(std::move(api));
    const auto pki_port = server.add_listener(std::move(pki));
    server.start();
    EXPECT_EQ(server.port("api"), api_port);
    EXPECT_EQ(server.port("pki"), pki_port);
    EXPECT_EQ(fetch(api_port, "GET", "/hello", {}, {}, client()).status, 200);
    EXPECT_EQ(fetch(api_port, "GET", "/crl/issuing.crl", {}, {}, client()).status, 404);
    const auto crl = fetch(pki_port, "GET", "/crl/issuing.crl");
    EXPECT_EQ(crl.status, 200);
    EXPECT_EQ(crl.header("content-type"), "application/pkix-crl");
    EXPECT_EQ(crl.body, "crl of issuing.crl");
    EXPECT_EQ(fetch(pki_port, "GET", "/healthz").status, 200);
    // Plain HTTP to the TLS port gets nothing useful.
    EXPECT_THROW(fetch(api_port, "GET", "/hello"), std::runtime_error);
    server.stop();
}

TEST_F(HttpTls, BadTlsConfigurationIsAConfigError) {
    Server server{quiet()};
    auto expect_config_error = [&](TlsConfig t) {
        ListenerConfig l;
        l.tls = std::move(t);
        try {
            server.add_listener(std::move(l));
            ADD_FAILURE() << "expected Errc::InvalidConfig";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), Errc::InvalidConfig) << e.what();
        }
    };
    // The client's key with the server's certificate.
    TlsConfig mismatch = tls();
    {
        const Bytes pem = inkan::testing::read_file(s_pki->client_key);
        ossl::Bio bio{::BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
        mismatch.private_key.reset(::PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    }
    expect_config_error(std::move(mismatch));
    TlsConfig no_chain = tls();
    no_chain.certificate_chain_pem = "not a certificate";
    expect_config_error(std::move(no_chain));
    TlsConfig no_key = tls();
    no_key.private_key.reset();
    expect_config_error(std::move(no_key));
    TlsConfig bad_ca = tls(ClientAuth::Required);
    bad_ca.client_ca_file = s_dir->path() / "missing.pem";
    expect_config_error(std::move(bad_ca));
}

TEST_F(HttpTls, TheKeyCanBeShared) {
    // The caller keeps its own reference (e.g. a provider-backed key used elsewhere too).
    ossl::PKey mine = s_pki->server_private_key();
    TlsConfig t = tls();
    t.private_key = share_key(mine.get());
    auto s = start_server(router(), quiet(), std::move(t));
    EXPECT_EQ(fetch(s.port, "GET", "/hello", {}, {}, client()).status, 200);
    s.server.reset();
    EXPECT_NE(::EVP_PKEY_get_bits(mine.get()), 0);  // still alive and usable
}

/// The serial `openssl s_client` sees on a new handshake, as `openssl x509 -serial` prints it.
std::string served_serial(std::uint16_t port) {
    const auto r = inkan::testing::run({"sh", "-c",
                                        "openssl s_client -connect 127.0.0.1:" + std::to_string(port) +
                                            " </dev/null 2>/dev/null | openssl x509 -noout -serial"});
    return r.out;
}

TEST_F(HttpTls, ReloadGivesNewHandshakesTheNewCertificateWhileAnOpenConnectionKeepsWorking) {
    // A second server certificate from the same issuing CA, made by openssl (serial 0x77).
    const fs::path dir = s_dir->path();
    const auto made = inkan::testing::run(
        {"sh", "-c",
         "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " +
             (dir / "next.key").string() + " -out " + (dir / "next.csr").string() +
             " -subj /CN=localhost 2>/dev/null && openssl x509 -req -in " + (dir / "next.csr").string() +
             " -CA " + s_pki->issuing_cert.string() + " -CAkey " + (dir / "issuing.key").string() +
             " -set_serial 0x77 -days 2 -sha256 -extfile " + (dir / "server.ext").string() + " -out " +
             (dir / "next.pem").string()});
    ASSERT_EQ(made.exit_code, 0) << describe(made);
    TlsConfig next;
    {
        const Bytes pem = inkan::testing::read_file(dir / "next.key");
        ossl::Bio bio{::BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
        next.private_key.reset(::PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    }
    next.certificate_chain_pem = to_string(inkan::testing::read_file(dir / "next.pem")) +
                                 to_string(inkan::testing::read_file(s_pki->issuing_cert));

    auto s = start_server(router(), quiet(), tls());
    EXPECT_EQ(served_serial(s.port), "serial=03\n");
    Client open{s.port, client()};
    ASSERT_EQ(open.request("GET", "/hello").status, 200);

    // A bad configuration (key and certificate of different pairs) changes nothing.
    TlsConfig mismatch = tls();
    mismatch.certificate_chain_pem = next.certificate_chain_pem;
    try {
        s.server->reload_tls("api", mismatch);
        ADD_FAILURE() << "a key for another certificate was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::InvalidConfig) << e.what();
    }
    EXPECT_EQ(served_serial(s.port), "serial=03\n");

    s.server->reload_tls("api", next);
    EXPECT_EQ(served_serial(s.port), "serial=77\n") << "a new handshake after the reload";
    // New clients verify the new chain against the same root; the open connection goes on.
    EXPECT_EQ(fetch(s.port, "GET", "/hello", {}, {}, client()).status, 200);
    const auto again = open.request("GET", "/hello");
    EXPECT_EQ(again.status, 200);
    EXPECT_EQ(again.body, "hello over tls");
    EXPECT_EQ(open.connects(), 1) << "the open connection was not reconnected";
}

}  // namespace
}  // namespace inkan::http
