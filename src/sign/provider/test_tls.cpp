#include "test_tls.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>

#include <openssl/err.h>
#include <openssl/pem.h>

#include <inkan/core/error.h>

#include "test_support.h"

namespace inkan::sign::provider::testing {

namespace {

constexpr int kTimeoutSeconds = 10;

constexpr std::string_view kExtensions = R"([ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
)";

void openssl(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"openssl"};
    argv.insert(argv.end(), args.begin(), args.end());
    const inkan::testing::CommandResult result = inkan::testing::run(argv);
    if (result.exit_code != 0) {
        throw Error{Errc::Internal, "openssl " + args.front() + " failed: " + result.err};
    }
}

/// A peer that has gone makes write() raise SIGPIPE, which kills the process: like any server,
/// ignore it and see EPIPE instead.
void ignore_sigpipe() {
    static const bool ignored = std::signal(SIGPIPE, SIG_IGN) != SIG_ERR;
    (void)ignored;
}

/// Receive and send time-outs, so that a broken handshake fails the test instead of hanging it.
void set_timeouts(int fd) {
    timeval tv{};
    tv.tv_sec = kTimeoutSeconds;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

std::string read_some(SSL* ssl) {
    std::array<char, 512> buffer{};
    const int n = ::SSL_read(ssl, buffer.data(), static_cast<int>(buffer.size()));
    return n > 0 ? std::string(buffer.data(), static_cast<std::size_t>(n)) : std::string{};
}

bool write_all(SSL* ssl, std::string_view text) {
    return ::SSL_write(ssl, text.data(), static_cast<int>(text.size())) == static_cast<int>(text.size());
}

/// The server's side of one connection on `fd` (which it closes): handshake, read, answer, close.
void serve(SSL_CTX* server, int fd, std::string& received, std::string& errors) {
    ::ERR_clear_error();
    Ssl ssl{::SSL_new(server)};
    if (ssl != nullptr && ::SSL_set_fd(ssl.get(), fd) == 1 && ::SSL_accept(ssl.get()) == 1) {
        received = read_some(ssl.get());
        while (!received.empty() && (received.back() == '\n' || received.back() == '\r')) {
            received.pop_back();
        }
        if (write_all(ssl.get(), "pong: " + received)) {
            ::SSL_shutdown(ssl.get());
        }
    }
    errors = drain_errors();
    ssl.reset();
    ::close(fd);
}

}  // namespace

TestPki::TestPki()
    : m_dir{"inkan-provider-pki"},
      m_ca_pem{m_dir / "ca.pem"},
      m_ca_key{m_dir / "ca.key"},
      m_ext{m_dir / "ext.cnf"} {
    inkan::testing::write_file(m_ext, kExtensions);
    openssl(
        {"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", m_ca_key.string()});
    openssl({"x509", "-new", "-key", m_ca_key.string(), "-subj", "/CN=inkan provider test CA", "-days", "2",
             "-extfile", m_ext.string(), "-extensions", "ca", "-out", m_ca_pem.string()});
}

ossl::Cert TestPki::issue(const crypto::PublicKey& key, std::string_view name) const {
    const std::filesystem::path pub = m_dir / (std::string{name} + ".pub.pem");
    const std::filesystem::path cert = m_dir / (std::string{name} + ".pem");
    inkan::testing::write_file(pub, key.pem());
    openssl({"x509", "-new", "-subj", "/CN=localhost", "-force_pubkey", pub.string(), "-CA",
             m_ca_pem.string(), "-CAkey", m_ca_key.string(), "-days", "2", "-extfile", m_ext.string(),
             "-extensions", "leaf", "-out", cert.string()});
    const std::string pem = to_string(inkan::testing::read_file(cert));
    ossl::Bio bio{
        ossl::not_null(::BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), "BIO_new_mem_buf")};
    return ossl::Cert{
        ossl::not_null(::PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), "PEM_read_bio_X509")};
}

SslCtx make_server_ctx(X509* cert, EVP_PKEY* key) {
    SslCtx ctx{::SSL_CTX_new(::TLS_server_method())};
    if (ctx == nullptr || ::SSL_CTX_use_certificate(ctx.get(), cert) != 1 ||
        ::SSL_CTX_use_PrivateKey(ctx.get(), key) != 1 || ::SSL_CTX_check_private_key(ctx.get()) != 1) {
        return nullptr;
    }
    return ctx;
}

TlsOutcome run_tls(SSL_CTX* server, const std::filesystem::path& ca_pem, const ClientOptions& options) {
    ignore_sigpipe();
    TlsOutcome outcome;
    std::array<int, 2> fds{-1, -1};
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds.data()) != 0) {
        throw Error{Errc::IoFailure, std::string{"socketpair: "} + std::strerror(errno)};
    }
    set_timeouts(fds[0]);
    set_timeouts(fds[1]);
    std::thread server_thread{
        [&, fd = fds[1]] { serve(server, fd, outcome.server_received, outcome.server_errors); }};

    ::ERR_clear_error();
    SslCtx client_ctx{::SSL_CTX_new(::TLS_client_method())};
    Ssl ssl;
    bool ready = client_ctx != nullptr &&
                 ::SSL_CTX_set_min_proto_version(client_ctx.get(), options.version) == 1 &&
                 ::SSL_CTX_set_max_proto_version(client_ctx.get(), options.version) == 1 &&
                 ::SSL_CTX_load_verify_file(client_ctx.get(), ca_pem.c_str()) == 1;
    if (ready) {
        ::SSL_CTX_set_verify(client_ctx.get(), SSL_VERIFY_PEER, nullptr);
        ssl.reset(::SSL_new(client_ctx.get()));
        ready = ssl != nullptr && ::SSL_set1_host(ssl.get(), "localhost") == 1 &&
                ::SSL_set_fd(ssl.get(), fds[0]) == 1;
    }
    if (ready && !options.sigalgs.empty()) {
        ready = ::SSL_set1_sigalgs_list(ssl.get(), options.sigalgs.c_str()) == 1;
    }
    if (ready && !options.ciphers.empty()) {
        ready = ::SSL_set_cipher_list(ssl.get(), options.ciphers.c_str()) == 1;
    }
    if (ready && ::SSL_connect(ssl.get()) == 1) {
        outcome.handshake_ok = true;
        outcome.version = ::SSL_get_version(ssl.get());
        ::SSL_get_peer_signature_type_nid(ssl.get(), &outcome.peer_signature_type);
        ::SSL_get_peer_signature_nid(ssl.get(), &outcome.peer_signature_digest);
        if (write_all(ssl.get(), "ping")) {
            outcome.client_received = read_some(ssl.get());
        }
    }
    outcome.client_errors = drain_errors();
    if (outcome.handshake_ok) {
        server_thread.join();  // it has answered; let it finish its close_notify
    } else {
        // Closing our end unblocks a server that still waits for us.
        ::shutdown(fds[0], SHUT_RDWR);
        server_thread.join();
    }
    ssl.reset();
    ::close(fds[0]);
    return outcome;
}

LoopbackServer::LoopbackServer(SSL_CTX* server) {
    ignore_sigpipe();
    m_listener = ::socket(AF_INET, SOCK_STREAM, 0);
    if (m_listener < 0) {
        throw Error{Errc::IoFailure, std::string{"socket: "} + std::strerror(errno)};
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    if (::bind(m_listener, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(m_listener, 1) != 0 ||
        ::getsockname(m_listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        const std::string why = std::strerror(errno);
        ::close(m_listener);
        throw Error{Errc::IoFailure, "listen on 127.0.0.1: " + why};
    }
    m_port = ntohs(address.sin_port);
    m_thread = std::thread{[this, server] {
        pollfd waiting{m_listener, POLLIN, 0};
        if (::poll(&waiting, 1, kTimeoutSeconds * 1000) != 1) {
            m_errors = "no client connected";
            return;
        }
        const int fd = ::accept(m_listener, nullptr, nullptr);
        if (fd < 0) {
            m_errors = std::string{"accept: "} + std::strerror(errno);
            return;
        }
        set_timeouts(fd);
        serve(server, fd, m_received, m_errors);
    }};
}

LoopbackServer::~LoopbackServer() {
    if (m_thread.joinable()) {
        m_thread.join();
    }
    ::close(m_listener);
}

std::string LoopbackServer::finish() {
    if (m_thread.joinable()) {
        m_thread.join();
    }
    return m_received;
}

}  // namespace inkan::sign::provider::testing
