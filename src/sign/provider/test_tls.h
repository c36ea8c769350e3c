#pragma once

// TLS test harness for the provider's hsm tests: a throwaway PKI made with the openssl CLI, and
// in-process TLS handshakes (server on a thread, plain libssl client) over a socketpair or 127.0.0.1.

#include <filesystem>
#include <string>
#include <string_view>
#include <thread>

#include <openssl/ssl.h>

#include <inkan/crypto/keys.h>
#include <inkan/crypto/ossl.h>
#include <inkan/testing/process.h>

namespace inkan::sign::provider::testing {

using SslCtx = ossl::Ptr<SSL_CTX, ::SSL_CTX_free>;
using Ssl = ossl::Ptr<SSL, ::SSL_free>;

/// An EC P-256 test CA made by the openssl CLI in a temp dir, issuing leaf certificates
/// (CN=localhost, SAN DNS:localhost and IP:127.0.0.1, serverAuth) for any public key through
/// `openssl x509 -new -force_pubkey`: the CLI never sees the leaf's private key.
class TestPki {
public:
    TestPki();
    [[nodiscard]] const std::filesystem::path& ca_pem() const noexcept { return m_ca_pem; }
    /// Throws Error{Internal} with the CLI's stderr if openssl fails.
    [[nodiscard]] ossl::Cert issue(const crypto::PublicKey& key, std::string_view name) const;

private:
    inkan::testing::TempDir m_dir;
    std::filesystem::path m_ca_pem;
    std::filesystem::path m_ca_key;
    std::filesystem::path m_ext;
};

/// A server SSL_CTX in the default library context (as the service makes it), with `cert` and `key`.
/// Returns null, leaving OpenSSL's errors on the queue, if libssl refuses either or they do not match.
SslCtx make_server_ctx(X509* cert, EVP_PKEY* key);

struct ClientOptions {
    int version = TLS1_3_VERSION;  ///< pinned as both minimum and maximum
    std::string sigalgs;           ///< SSL_set1_sigalgs_list, "" for libssl's default list
    std::string ciphers;           ///< TLS 1.2 cipher list, "" for the default
};

struct TlsOutcome {
    bool handshake_ok = false;
    std::string server_received;          ///< what the server read ("ping")
    std::string client_received;          ///< what the client read back ("pong: ping")
    std::string version;                  ///< SSL_get_version on the client
    int peer_signature_type = NID_undef;  ///< the server's signature scheme as the client saw it
    int peer_signature_digest = NID_undef;
    std::string server_errors;  ///< the server thread's OpenSSL error queue
    std::string client_errors;
};

/// One handshake and one round trip ("ping" → "pong: ping") over a socketpair: the server
/// (SSL_accept, SSL_read, SSL_write) runs on a thread, a plain libssl client that verifies the
/// server against `ca_pem` and the name "localhost" runs here. Never hangs: both ends time out.
TlsOutcome run_tls(SSL_CTX* server, const std::filesystem::path& ca_pem, const ClientOptions& options);

/// A server on 127.0.0.1 (ephemeral port) for one connection from an external client: it reads one
/// line and answers "pong: <line>" before closing. Joins its thread on destruction.
class LoopbackServer {
public:
    explicit LoopbackServer(SSL_CTX* server);
    ~LoopbackServer();
    LoopbackServer(const LoopbackServer&) = delete;
    LoopbackServer& operator=(const LoopbackServer&) = delete;
    [[nodiscard]] int port() const noexcept { return m_port; }
    /// Waits for the connection to end; then what the server read and its error queue.
    std::string finish();
    [[nodiscard]] const std::string& errors() const noexcept { return m_errors; }

private:
    int m_listener = -1;
    int m_port = 0;
    std::thread m_thread;
    std::string m_received;
    std::string m_errors;
};

}  // namespace inkan::sign::provider::testing
