#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <inkan/core/config.h>
#include <inkan/core/error.h>
#include <inkan/crypto/ossl.h>
#include <inkan/http/message.h>
#include <inkan/http/metrics.h>
#include <inkan/http/router.h>

namespace inkan::http {

namespace detail {
class ServerCore;
}

/// Whether the API listener asks for a client certificate (mutual TLS).
enum class ClientAuth {
    None,      ///< no CertificateRequest
    Optional,  ///< asked for; a certificate that is sent must verify, but none is fine
    Required,  ///< the handshake fails without a certificate that verifies
};

struct TlsConfig {
    /// The server's private key. It may live in an OpenSSL provider backed by the HSM: only the
    /// EVP_PKEY is needed, never a file. Use share_key() to pass a key that you keep too.
    ossl::PKey private_key;
    /// PEM: the server certificate first, then the intermediates (the root may be left out).
    std::string certificate_chain_pem;
    /// PEM file of the CA certificates that client certificates must chain to; empty: no mTLS.
    std::filesystem::path client_ca_file;
    /// Used only when client_ca_file is set.
    ClientAuth client_auth = ClientAuth::Required;
};

/// A second owner of `key` (EVP_PKEY_up_ref): the caller keeps its own reference.
[[nodiscard]] ossl::PKey share_key(EVP_PKEY* key);

struct ListenerConfig {
    std::string name = "api";  ///< in logs and Request::listener; unique per server
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;  ///< 0: an ephemeral port (Server::port tells which)
    /// TLS 1.2 and 1.3 only; nullopt: plain HTTP (the PKI endpoints: /ocsp, /crl, /ca).
    std::optional<TlsConfig> tls;
    Router router;
    /// Adds GET /healthz and /readyz (and /metrics, see below) unless the router already has them.
    bool ops_endpoints = true;
    /// With ops_endpoints: also GET /metrics. A public listener should not expose the service's
    /// internals: `inkan serve` serves /metrics only on its own loopback listener.
    bool metrics_endpoint = true;
    /// Non-empty: /metrics answers 401 unless the request carries `Authorization: Bearer <token>`
    /// (compared in constant time). Never logged.
    std::string metrics_token;
};

struct Limits {
    /// The body limit of every route that does not set its own (Route::max_body_bytes): small, so
    /// that unauthenticated routes (login, OAuth, info, /tsa, /ocsp) cannot be made to buffer much.
    /// Larger bodies get 413 {"error":"invalid_request","error_description":"Request body too
    /// large"} as soon as the Content-Length (or a chunked stream) passes the limit, before the
    /// body is read, and the connection is closed after the response.
    std::uint64_t max_body_bytes = 64ull * 1024;
    /// Request line plus header fields; larger gets 431.
    std::uint32_t max_header_bytes = 16 * 1024;
    /// Open connections per listener; beyond it new connections of that listener are closed at
    /// once (one listener's flood does not take the other's slots).
    std::size_t max_connections = 1024;
    /// Open connections per listener from one IP address; beyond it that address's new
    /// connections are closed at once, while other addresses are still served.
    std::size_t max_connections_per_ip = 128;
    /// A request body must arrive at least this fast (bytes per second) once `min_rate_grace` has
    /// passed since its header: a client trickling its body is cut long before body_timeout.
    /// 0: no rate rule (body_timeout alone).
    std::uint64_t min_body_rate = 1024;
    std::chrono::milliseconds min_rate_grace{5'000};
    /// From the connection (TLS handshake included) or the first byte of a request to the end of
    /// its header: a slow header (slowloris) is cut here.
    std::chrono::milliseconds header_timeout{10'000};
    /// From the end of the header to the end of the body.
    std::chrono::milliseconds body_timeout{60'000};
    /// How long a keep-alive connection may wait for its next request.
    std::chrono::milliseconds idle_timeout{30'000};
    /// Writing one response.
    std::chrono::milliseconds write_timeout{60'000};
    /// stop(): how long in-flight requests may take to finish before connections are cut.
    std::chrono::milliseconds drain_timeout{20'000};
};

/// Maps an inkan::Error that escaped a handler to the response the client gets. The api layer
/// supplies one (CSC error bodies); it must not put Error::what() on the wire.
using ErrorMapper = std::function<Response(const Error&)>;
/// Returns nullopt when the service is ready, else the reason it is not (sent in /readyz).
/// Runs on a worker thread: it may touch the HSM and the database.
using ReadinessCheck = std::function<std::optional<std::string>()>;
/// Warnings a ready service reports in /readyz without becoming unready ("tsa certificate expires in
/// 12 days"): the body then is {"status":"ready","warnings":[...]}. Runs on a worker thread.
using ReadinessWarnings = std::function<std::vector<std::string>()>;

/// What a client sees for an Errc: the HTTP status and the body's `error` and `error_description`.
struct ErrorWire {
    int status = 500;
    std::string_view error;
    std::string_view description;
};
/// The default mapper's table, for routes outside the CSC and OAuth protocols (the vendor routes under
/// /inkan/v1/, the PKI listener, /metrics): REST statuses (404 not_found, 409 conflict, 403 for a lock).
/// docs/errors.md's "other routes" column; api's errors_test checks the two against each other.
[[nodiscard]] ErrorWire default_error_wire(Errc code) noexcept;

/// The default ErrorMapper: default_error_wire() as a JSON body
/// {"error":"server_error","error_description":"Internal error"}; never what().
[[nodiscard]] Response default_error_response(const Error& error);

struct ServerOptions {
    /// Threads running the I/O loop (accept, TLS, parsing, writing). One handles ~50k req/s here.
    std::size_t io_threads = 1;
    /// Threads for Execution::Worker handlers; 0: default_worker_threads().
    std::size_t worker_threads = 0;
    /// Threads that run TLS handshakes. The handshake's private-key operation may be a PKCS#11
    /// call (the TLS key in the HSM) that is slow or hangs: it never runs on an I/O thread, so
    /// other connections and /healthz are served meanwhile.
    std::size_t handshake_threads = 2;
    Limits limits;
    ErrorMapper error_mapper;          ///< empty: default_error_response
    ReadinessCheck readiness;          ///< empty: always ready
    ReadinessWarnings warnings;        ///< empty: none
    std::shared_ptr<Metrics> metrics;  ///< empty: the server makes its own
    bool access_log = true;            ///< one JSON line per request

    /// max(4, 2 x hardware threads): handlers block on the HSM and the database, so more threads
    /// than cores keep the CPU busy; the HSM session pool bounds real HSM parallelism anyway.
    [[nodiscard]] static std::size_t default_worker_threads();
    /// Reads the [http] table: io_threads, worker_threads, handshake_threads, max_body_bytes,
    /// max_header_bytes, max_connections, max_connections_per_ip, min_body_rate (bytes/s, 0: off),
    /// min_rate_grace_ms, header_timeout_ms, body_timeout_ms, idle_timeout_ms, write_timeout_ms,
    /// drain_timeout_ms, access_log. Missing keys keep the defaults. Errc::InvalidConfig for a value
    /// out of range.
    [[nodiscard]] static ServerOptions from_config(const Config& config);
};

/// The HTTP(S) server: one io_context run by ServerOptions::io_threads threads, plus a worker pool.
///
/// Life cycle: construct, add_listener() (binds at once, so port() is known), start(), then stop()
/// or run_until_signal(). stop() closes the listening sockets (new connections are refused), closes
/// idle connections, lets requests whose header has arrived finish (their response carries
/// Connection: close) for up to Limits::drain_timeout, then cuts what is left and joins the
/// threads. A handler already running on a worker is waited for: it cannot be interrupted.
class Server {
public:
    explicit Server(ServerOptions options = {});
    ~Server();  ///< stop()s if running
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Binds host:port and returns the bound port. Errc::IoFailure when the address cannot be
    /// bound; Errc::InvalidConfig for a bad TLS configuration (key and certificate do not match, no
    /// certificate, unreadable client CA file) or a duplicate name; Errc::Internal after start().
    std::uint16_t add_listener(ListenerConfig listener);
    /// The bound port of a listener. Errc::NotFound for an unknown name.
    [[nodiscard]] std::uint16_t port(std::string_view listener_name = "api") const;
    /// The routes a listener serves, ops endpoints included (for the OpenAPI comparison).
    /// Errc::NotFound for an unknown name.
    [[nodiscard]] std::vector<RouteInfo> routes(std::string_view listener_name = "api") const;

    /// Starts the threads and accepting. Errc::Internal when already started or stopped.
    void start();
    /// Drains and stops (see the class comment). Idempotent; returns when the threads are joined.
    /// Not from a handler (it joins the worker pool the handler runs on).
    void stop();
    /// start()s, calls `on_started` once SIGTERM and SIGINT are caught and the listeners accept,
    /// blocks until one of the signals arrives, then stop()s. For `inkan serve`. With `on_hangup`,
    /// SIGHUP is caught too and calls it (on the signal-waiting thread, one at a time; an exception it
    /// throws is logged) without stopping.
    void run_until_signal(const std::function<void()>& on_started = {},
                          const std::function<void()>& on_hangup = {});
    /// Gives a TLS listener a new certificate chain and key (a renewed certificate): new handshakes
    /// use them; connections already open keep theirs until they close. Errc::InvalidConfig for a bad
    /// configuration (as add_listener), Errc::NotFound for an unknown listener; either way the
    /// listener keeps what it had. Thread-safe, also while running.
    void reload_tls(std::string_view listener_name, const TlsConfig& config);
    [[nodiscard]] bool running() const noexcept;

    /// While on, /readyz answers 503 {"status":"maintenance"} (requests are still served).
    void set_maintenance(bool on) noexcept;
    [[nodiscard]] bool maintenance() const noexcept;

    [[nodiscard]] Metrics& metrics() noexcept;
    [[nodiscard]] std::shared_ptr<Metrics> shared_metrics() const noexcept;
    /// Open connections right now (all listeners).
    [[nodiscard]] std::size_t connection_count() const noexcept;

private:
    std::unique_ptr<detail::ServerCore> m_core;
};

}  // namespace inkan::http
