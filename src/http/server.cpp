// asio::ssl in Boost 1.74 defines RSA/DH helpers (context::use_rsa_private_key, use_tmp_dh) in its
// header-only .ipp files, and OpenSSL 3 hides those declarations under OPENSSL_NO_DEPRECATED.
// Lift the hide for this translation unit only, before any OpenSSL header: OPENSSL_API_COMPAT=30000
// still marks every deprecated function [[deprecated]], so a deprecated call in *our* code here
// still warns (and fails with -Werror); Boost's own calls sit in system headers and stay silent.
#undef OPENSSL_NO_DEPRECATED

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
// asio's std_fenced_block uses std::atomic_thread_fence, which GCC 12 warns about under
// -fsanitize=thread (-Wtsan); with -Werror that would stop the tsan build.
#pragma GCC diagnostic ignored "-Wtsan"
#endif

#include <inkan/http/server.h>

#include <fcntl.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <future>
#include <mutex>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>  // before Boost: Boost 1.74 asio + GCC 12 + C++20 needs std::exchange declared
#include <vector>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <inkan/core/log.h>

#include "dispatch.h"
#include "tls.h"

// Asio's `typename enable_if<...>::type* = 0` default arguments are reported at our call sites,
// outside the system headers, so -Wzero-as-null-pointer-constant cannot stay on in this file.
#pragma GCC diagnostic ignored "-Wzero-as-null-pointer-constant"

namespace inkan::http {

namespace detail {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

/// After a response that closes the connection, unread request bytes are read and discarded for at
/// most this long before the socket is closed: closing with unread data makes the kernel send RST,
/// and the RST can destroy the response (a 413) before the client has read it.
constexpr std::chrono::seconds kLingerTimeout{2};
/// Waiting for the peer's close_notify after ours.
constexpr std::chrono::seconds kTlsShutdownTimeout{1};
/// After drain_timeout the remaining connections are cut; this is how long stop() then waits for
/// their handlers to notice.
constexpr std::chrono::seconds kForcedCloseWait{2};
/// An accept that fails (EMFILE, ENFILE, ENOBUFS) is retried after this delay, not in a busy loop.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
constexpr std::size_t kIdleReadChunk = 4096;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

void set_cloexec(int fd) noexcept {
    // The process may spawn tools; they must not inherit the listening or connected sockets.
    const int flags = ::fcntl(fd, F_GETFD);
    if (flags >= 0) {
        ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    }
}

/// Header names and values a handler may set: a token name and a value without CR, LF or NUL
/// (anything else could split the response).
bool valid_field(std::string_view name, std::string_view value) noexcept {
    if (name.empty()) {
        return false;
    }
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
        if (!ok) {
            return false;
        }
    }
    return value.find_first_of(std::string_view{"\r\n\0", 3}) == std::string_view::npos;
}

/// Framing and hop-by-hop fields are the transport's business.
bool transport_owned(std::string_view name) noexcept {
    for (const auto n : {"Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Upgrade", "TE",
                         "Trailer", "X-Request-Id", "Content-Type"}) {
        if (iequals(name, n)) {
            return true;
        }
    }
    return false;
}

/// Errors that only mean "the peer went away".
bool peer_gone(const beast::error_code& ec) noexcept {
    return ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
           ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
           ec == asio::error::operation_aborted || ec == asio::ssl::error::stream_truncated;
}

std::string_view sv(beast::string_view s) noexcept {
    return {s.data(), s.size()};
}

bool is_http_parse_error(const beast::error_code& ec) noexcept {
    return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category();
}

}  // namespace

struct Listener {
    std::string name;
    Router router;
    /// The largest body any route of this listener takes (Route::max_body_bytes, at least the
    /// server's limit): what the parser allows before it knows the route.
    std::uint64_t max_body_bytes = 0;
    bool tls = false;  // fixed at add_listener: whether `ssl` is ever set
    /// The TLS context new connections take (null: plain HTTP). Replaced whole by Server::reload_tls;
    /// a connection keeps the context it started with (its own reference) until it closes.
    std::shared_ptr<asio::ssl::context> ssl;
    mutable std::mutex ssl_mutex;  // guards `ssl` (the pointer, not the context)
    bool mtls = false;

    [[nodiscard]] std::shared_ptr<asio::ssl::context> current_ssl() const {
        const std::lock_guard lock{ssl_mutex};
        return ssl;
    }
    std::uint16_t port = 0;
    std::unique_ptr<tcp::acceptor> acceptor;
    std::unique_ptr<asio::steady_timer> retry;
    // Guarded by ServerCore::m_mutex: open connections of this listener, in all and by address.
    std::size_t active = 0;
    std::unordered_map<std::string, std::size_t> per_ip;
};

class ConnectionBase : public std::enable_shared_from_this<ConnectionBase> {
public:
    ConnectionBase() = default;
    ConnectionBase(const ConnectionBase&) = delete;
    ConnectionBase& operator=(const ConnectionBase&) = delete;
    virtual ~ConnectionBase() = default;
    virtual void start() = 0;
    /// Thread-safe: closes the connection unless a request is in flight.
    virtual void drain() = 0;
    /// Thread-safe: closes the connection now.
    virtual void force_close() = 0;
};

class ServerCore {
public:
    explicit ServerCore(ServerOptions options);
    ~ServerCore();
    ServerCore(const ServerCore&) = delete;
    ServerCore& operator=(const ServerCore&) = delete;

    std::uint16_t add_listener(ListenerConfig config);
    const Listener& listener(std::string_view name) const;
    void start();
    void stop();
    void run_until_signal(const std::function<void()>& on_started, const std::function<void()>& on_hangup);
    void reload_tls(std::string_view listener_name, const TlsConfig& config);
    std::size_t connection_count() const noexcept { return m_active_hint.load(); }

    void on_connection_closed(ConnectionBase* c, Listener& l, const std::string& remote) noexcept {
        {
            const std::lock_guard lock{m_mutex};
            m_connections.erase(c);
        }
        on_slot_released(l, remote);
    }

    /// Gives back the slot on_accept counted for a connection from `remote` on `l`.
    void on_slot_released(Listener& l, const std::string& remote) noexcept {
        {
            const std::lock_guard lock{m_mutex};
            --m_active;
            m_active_hint = m_active;
            --l.active;
            if (const auto it = l.per_ip.find(remote); it != l.per_ip.end() && --it->second == 0) {
                l.per_ip.erase(it);
            }
        }
        m_drained.notify_all();
    }

    const ServerOptions options;
    const std::shared_ptr<Metrics> metrics;
    OpsState ops;
    const Dispatcher dispatcher;
    std::atomic<bool> running{false};

private:
    void accept(Listener& l);
    void on_accept(Listener& l, const beast::error_code& ec, tcp::socket socket);
    std::vector<std::shared_ptr<ConnectionBase>> snapshot();

    Counter& m_rejected;
    // Declaration order is destruction order reversed: the connection registry and the TLS
    // contexts (in m_listeners) must outlive the io_context, whose destructor destroys pending
    // handlers and with them the last connections.
    mutable std::mutex m_mutex;
    std::condition_variable m_drained;
    std::unordered_map<ConnectionBase*, std::weak_ptr<ConnectionBase>> m_connections;
    std::size_t m_active = 0;  // guarded by m_mutex
    std::atomic<std::size_t> m_active_hint{0};
    std::vector<std::unique_ptr<Listener>> m_listeners;
    std::mutex m_lifecycle;
    bool m_started = false;
    bool m_stopped = false;
    /// TLS handshakes run here, never on an I/O thread: the private-key operation may block in the
    /// HSM. Declared before the io_context: handshakes pending there hold work on this pool until
    /// the io_context destroys them.
    std::unique_ptr<asio::thread_pool> m_handshakes;
    asio::io_context m_ioc;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> m_work;
    std::unique_ptr<asio::thread_pool> m_workers;
    std::vector<std::thread> m_io_threads;

    template <class Stream>
    friend class Connection;
};

template <class Stream>
class Connection final : public ConnectionBase {
public:
    static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

    Connection(ServerCore& core, Listener& listener, tcp::socket socket, std::string remote)
        : m_core{core},
          m_listener{listener},
          m_limits{core.options.limits},
          m_ssl{kTls ? listener.current_ssl() : nullptr},
          m_stream{make_stream(std::move(socket), m_ssl)},
          m_remote{std::move(remote)},
          m_handshake{asio::make_strand(core.m_handshakes->get_executor())} {}

    ~Connection() override { m_core.on_connection_closed(this, m_listener, m_remote); }

    void start() override {
        asio::dispatch(m_stream.get_executor(), [self = self()] { self->begin(); });
    }

    void drain() override {
        asio::post(m_stream.get_executor(), [self = self()] {
            if (self->m_phase == Phase::Handshake) {
                self->cut_handshake();
            } else if (self->m_phase == Phase::Idle ||
                       (self->m_phase == Phase::Header && self->m_buffer.size() == 0)) {
                self->close();
            }
        });
    }

    void force_close() override {
        asio::post(m_stream.get_executor(), [self = self()] {
            if (self->m_phase == Phase::Handshake) {
                self->cut_handshake();
            } else {
                self->close();
            }
        });
    }

private:
    enum class Phase { Handshake, Idle, Header, Busy, Closing, Closed };

    static Stream make_stream(tcp::socket socket, const std::shared_ptr<asio::ssl::context>& ssl) {
        if constexpr (kTls) {
            return Stream{std::move(socket), *ssl};
        } else {
            return Stream{std::move(socket)};
        }
    }

    std::shared_ptr<Connection> self() { return std::static_pointer_cast<Connection>(shared_from_this()); }
    beast::tcp_stream& tcp_layer() { return beast::get_lowest_layer(m_stream); }

    void begin() {
        // The first request's header must arrive within header_timeout of the connection, TLS
        // handshake included.
        m_first_deadline = SteadyClock::now() + m_limits.header_timeout;
        if constexpr (kTls) {
            // The handshake signs with the server key, which may be a PKCS#11 call into the HSM
            // that is slow or hangs. It runs on the handshake pool, on this connection's own strand
            // there: every step of it (the engine work after each read, the timeout) is bound to
            // that strand, and nothing on the I/O side touches the stream until it is over and
            // on_handshake runs back on the connection's strand.
            m_phase = Phase::Handshake;
            asio::post(m_handshake, [self = self()] {
                self->tcp_layer().expires_at(self->m_first_deadline);
                self->m_stream.async_handshake(
                    asio::ssl::stream_base::server,
                    asio::bind_executor(self->m_handshake, [self](const beast::error_code& ec) {
                        asio::post(self->m_stream.get_executor(), [self, ec] { self->on_handshake(ec); });
                    }));
            });
        } else {
            read_request(true);
        }
    }

    /// Closes the socket of a connection whose handshake is under way, on the handshake strand
    /// (the one that owns the stream then); the handshake then fails and on_handshake closes.
    void cut_handshake() {
        asio::post(m_handshake, [self = self()] {
            beast::error_code ignored;
            self->tcp_layer().socket().close(ignored);
        });
    }

    void on_handshake(const beast::error_code& ec) {
        if (ec) {
            log::debug("tls handshake failed",
                       {{"listener", m_listener.name}, {"remote", m_remote}, {"error", ec.message()}});
            close();
            return;
        }
        if constexpr (kTls) {
            if (m_listener.mtls) {
                m_client_certificate = verified_peer_certificate(m_stream.native_handle());
            }
        }
        read_request(true);
    }

    void read_request(bool first) {
        if (m_core.ops.draining.load()) {
            graceful_close(false);
            return;
        }
        m_parser.emplace();
        m_parser->header_limit(m_limits.max_header_bytes);
        m_parser->body_limit(m_listener.max_body_bytes);
        if (!first && m_buffer.size() == 0) {
            // Keep-alive: wait for the next request's first bytes (idle timeout), then give its
            // header the header timeout.
            m_phase = Phase::Idle;
            tcp_layer().expires_after(m_limits.idle_timeout);
            m_stream.async_read_some(
                m_buffer.prepare(kIdleReadChunk),
                [self = self()](const beast::error_code& ec, std::size_t n) {
                    if (ec) {
                        self->close();
                        return;
                    }
                    self->m_buffer.commit(n);
                    self->read_header(SteadyClock::now() + self->m_limits.header_timeout);
                });
            return;
        }
        read_header(first ? m_first_deadline : SteadyClock::now() + m_limits.header_timeout);
    }

    void read_header(SteadyClock::time_point deadline) {
        m_phase = Phase::Header;
        tcp_layer().expires_at(deadline);
        bhttp::async_read_header(
            m_stream, m_buffer, *m_parser,
            [self = self()](const beast::error_code& ec, std::size_t) { self->on_header(ec); });
    }

    void on_header(const beast::error_code& ec) {
        m_started = SteadyClock::now();
        if (ec) {
            on_read_error(ec, "header");
            return;
        }
        m_phase = Phase::Busy;
        if (m_parser->is_done()) {
            dispatch();
            return;
        }
        // The route's own body limit: the parser allowed the listener's largest before the route
        // was known (a Content-Length is checked against the limit as the header ends).
        const std::uint64_t limit = route_body_limit();
        if (const auto length = m_parser->content_length(); length && *length > limit) {
            transport_error_response(413);
            return;
        }
        m_parser->body_limit(limit);  // chunked bodies are counted as they arrive
        const auto& header = m_parser->get();
        if (header.version() >= 11 && iequals(sv(header[bhttp::field::expect]), "100-continue")) {
            // RFC 9110 §10.1.1: the client waits for this before sending the body. (A body over
            // the limit was refused already: the parser checks Content-Length at the header.)
            tcp_layer().expires_after(m_limits.write_timeout);
            asio::async_write(m_stream, asio::buffer(kContinue.data(), kContinue.size()),
                              [self = self()](const beast::error_code& wec, std::size_t) {
                                  if (wec) {
                                      self->close();
                                      return;
                                  }
                                  self->read_body();
                              });
            return;
        }
        read_body();
    }

    void read_body() {
        m_body_start = SteadyClock::now();
        m_body_deadline = m_body_start + m_limits.body_timeout;
        m_body_received = 0;
        read_body_some();
    }

    /// The body is read piece by piece so that the minimum rate can be enforced: each read must
    /// end before the time by which the bytes received so far should have arrived at
    /// min_body_rate (after the grace period), and before body_timeout.
    void read_body_some() {
        if (m_parser->is_done()) {
            dispatch();
            return;
        }
        auto deadline = m_body_deadline;
        if (m_limits.min_body_rate > 0) {
            const auto owed = std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(
                static_cast<double>(m_body_received + 1) / static_cast<double>(m_limits.min_body_rate)));
            deadline = std::min(deadline, m_body_start + m_limits.min_rate_grace + owed);
        }
        tcp_layer().expires_at(deadline);
        bhttp::async_read_some(m_stream, m_buffer, *m_parser,
                               [self = self()](const beast::error_code& ec, std::size_t n) {
                                   if (ec) {
                                       self->on_read_error(ec, "body");
                                       return;
                                   }
                                   self->m_body_received += n;
                                   self->read_body_some();
                               });
    }

    void on_read_error(const beast::error_code& ec, std::string_view stage) {
        if (ec == bhttp::error::body_limit) {
            transport_error_response(413);
        } else if (ec == bhttp::error::header_limit) {
            transport_error_response(431);
        } else if (ec == beast::error::timeout) {
            // The stream closed the socket already: nothing can be sent.
            log::debug("http read timeout",
                       {{"listener", m_listener.name}, {"remote", m_remote}, {"stage", stage}});
            close();
        } else if (peer_gone(ec)) {
            close();
        } else if (is_http_parse_error(ec)) {
            log::debug("http request does not parse",
                       {{"listener", m_listener.name}, {"remote", m_remote}, {"error", ec.message()}});
            transport_error_response(400);
        } else {
            close();
        }
    }

    /// A request fields of the parser's (possibly partial) message: for the request id, the log
    /// and the route label.
    Request request_from_parser() {
        Request r;
        const auto& msg = m_parser->get();
        r.method = std::string{msg.method_string()};
        r.target = std::string{msg.target()};
        for (const auto& f : msg) {
            r.headers.add(std::string{f.name_string()}, std::string{f.value()});
        }
        r.remote_address = m_remote;
        r.listener = m_listener.name;
        r.request_id = choose_request_id(r.headers);
        return r;
    }

    /// Limits::max_body_bytes, or the larger limit of the route the request's header names.
    std::uint64_t route_body_limit() const {
        const auto& msg = m_parser->get();
        const auto target = parse_target(sv(msg.target()));
        if (target) {
            const auto r = m_listener.router.resolve(sv(msg.method_string()), target->path);
            if (r.kind == Router::Resolution::Kind::Found && r.route->max_body_bytes > 0) {
                return r.route->max_body_bytes;
            }
        }
        return m_limits.max_body_bytes;
    }

    void transport_error_response(int status) {
        m_phase = Phase::Busy;
        m_request = request_from_parser();
        static_cast<void>(m_core.dispatcher.plan(m_listener.router, m_request));  // path and route label
        m_keep_alive = false;
        m_version = 11;
        respond(transport_error(status), true);
    }

    void dispatch() {
        auto msg = m_parser->release();
        m_keep_alive = msg.keep_alive();
        m_version = msg.version();
        m_request = Request{};
        m_request.method = std::string{msg.method_string()};
        m_request.target = std::string{msg.target()};
        for (const auto& f : msg) {
            m_request.headers.add(std::string{f.name_string()}, std::string{f.value()});
        }
        m_request.body = std::move(msg.body());
        m_request.remote_address = m_remote;
        m_request.client_certificate = m_client_certificate;
        m_request.listener = m_listener.name;
        m_request.request_id = choose_request_id(m_request.headers);

        auto plan = m_core.dispatcher.plan(m_listener.router, m_request);
        if (plan.immediate) {
            respond(std::move(*plan.immediate), false);
            return;
        }
        const Route& route = *plan.route;
        if (route.execution == Execution::Inline) {
            respond(m_core.dispatcher.run(route, m_request), false);
            return;
        }
        // The request stays in m_request: nothing on the I/O side touches it until the worker
        // posts the response back to this connection's strand.
        asio::post(*m_core.m_workers, [self = self(), &route] {
            Response response = self->m_core.dispatcher.run(route, self->m_request);
            asio::post(self->m_stream.get_executor(), [self, response = std::move(response)]() mutable {
                self->respond(std::move(response), false);
            });
        });
    }

    void respond(Response r, bool close_after) {
        m_close_after = close_after || !m_keep_alive || m_core.ops.draining.load();
        int status = r.status;
        if (status < 200 || status > 599) {
            log::error(
                "handler returned an invalid status",
                {{"status", status}, {"route", m_request.route}, {"request_id", m_request.request_id}});
            r = transport_error(500);
            status = 500;
        }
        m_response = {};
        m_response.result(static_cast<unsigned>(status));
        m_response.version(m_version);
        for (const auto& [name, value] : r.headers) {
            if (transport_owned(name)) {
                continue;
            }
            if (!valid_field(name, value)) {
                log::warn("dropped an invalid response header",
                          {{"route", m_request.route}, {"request_id", m_request.request_id}});
                continue;
            }
            m_response.insert(name, value);
        }
        if (!r.content_type.empty() && valid_field("Content-Type", r.content_type)) {
            m_response.set(bhttp::field::content_type, r.content_type);
        }
        m_response.set("X-Request-Id", m_request.request_id);
        if (status != 204 && status != 304) {
            m_response.body() = std::move(r.body);
        }
        m_response.keep_alive(!m_close_after);
        m_response.prepare_payload();
        m_status = status;
        m_bytes = m_response.body().size();
        tcp_layer().expires_after(m_limits.write_timeout);
        bhttp::async_write(m_stream, m_response,
                           [self = self()](const beast::error_code& ec, std::size_t) { self->on_write(ec); });
    }

    void on_write(const beast::error_code& ec) {
        {
            const log::ScopedContext context{{"request_id", m_request.request_id}};
            const std::chrono::duration<double> elapsed = SteadyClock::now() - m_started;
            m_core.dispatcher.record(Exchange{m_request.method, m_request.path.empty() ? "-" : m_request.path,
                                              m_request.route, m_remote, m_listener.name, m_status, m_bytes,
                                              elapsed.count()});
        }
        const bool linger = m_status == 413 || m_status == 431 || m_status == 400;
        m_request = Request{};
        m_response = {};
        if (ec) {
            close();
            return;
        }
        if (m_close_after) {
            graceful_close(linger);
            return;
        }
        read_request(false);
    }

    /// `unread_input`: the client may still be sending (a refused body): read and discard it
    /// before closing, so that the kernel does not answer it with RST.
    void graceful_close(bool unread_input) {
        m_phase = Phase::Closing;
        if constexpr (kTls) {
            if (!unread_input) {
                tcp_layer().expires_after(kTlsShutdownTimeout);
                m_stream.async_shutdown([self = self()](const beast::error_code&) { self->close(); });
                return;
            }
            // No close_notify here: OpenSSL fails a shutdown that meets application data (the
            // refused body). The response is complete (Content-Length), so a TCP FIN after it is a
            // clean end for HTTP; it tells the client to stop sending.
        }
        beast::error_code ignored;
        tcp_layer().socket().shutdown(tcp::socket::shutdown_send, ignored);
        m_linger_deadline = SteadyClock::now() + kLingerTimeout;
        linger();
    }

    void linger() {
        if (m_discard.empty()) {
            m_discard.resize(16 * 1024);  // only connections that linger pay for it
        }
        tcp_layer().expires_at(m_linger_deadline);
        m_stream.async_read_some(asio::buffer(m_discard),
                                 [self = self()](const beast::error_code& ec, std::size_t) {
                                     if (ec) {
                                         self->close();
                                         return;
                                     }
                                     self->linger();
                                 });
    }

    void close() {
        m_phase = Phase::Closed;
        beast::error_code ignored;
        tcp_layer().socket().close(ignored);
    }

    ServerCore& m_core;
    Listener& m_listener;
    const Limits& m_limits;
    // Before m_stream: the TLS context this connection was made with, kept while the connection lives
    // (a reload_tls meanwhile gives only later connections the new one).
    std::shared_ptr<asio::ssl::context> m_ssl;
    Stream m_stream;
    std::string m_remote;
    Bytes m_client_certificate;
    beast::flat_buffer m_buffer;
    std::optional<bhttp::request_parser<bhttp::string_body>> m_parser;
    bhttp::response<bhttp::string_body> m_response;
    Request m_request;
    Phase m_phase = Phase::Header;
    bool m_keep_alive = true;
    bool m_close_after = false;
    unsigned m_version = 11;
    int m_status = 0;
    std::size_t m_bytes = 0;
    SteadyClock::time_point m_first_deadline;
    SteadyClock::time_point m_started = SteadyClock::now();
    SteadyClock::time_point m_linger_deadline;
    SteadyClock::time_point m_body_start;
    SteadyClock::time_point m_body_deadline;
    std::uint64_t m_body_received = 0;
    std::vector<char> m_discard;
    asio::strand<asio::thread_pool::executor_type> m_handshake;
};

// ---- ServerCore ----

ServerCore::ServerCore(ServerOptions opts)
    : options{std::move(opts)},
      metrics{options.metrics ? options.metrics : std::make_shared<Metrics>()},
      dispatcher{options.error_mapper, metrics, options.access_log},
      m_rejected{metrics->counter("inkan_http_connections_rejected_total",
                                  "Connections closed at once because max_connections was reached.",
                                  {"listener"})} {
    require(options.io_threads >= 1, Errc::InvalidConfig, "http: io_threads must be at least 1");
    require(options.limits.max_connections >= 1, Errc::InvalidConfig,
            "http: max_connections must be at least 1");
    require(options.limits.max_connections_per_ip >= 1, Errc::InvalidConfig,
            "http: max_connections_per_ip must be at least 1");
    require(options.handshake_threads >= 1, Errc::InvalidConfig,
            "http: handshake_threads must be at least 1");
    ops.readiness = options.readiness;
    ops.warnings = options.warnings;
    ops.metrics = metrics;
    metrics->gauge("inkan_http_connections", "Open HTTP connections.",
                   [this] { return static_cast<double>(m_active_hint.load()); });
}

ServerCore::~ServerCore() {
    stop();
    metrics->remove_gauge("inkan_http_connections");
    // Acceptors and timers before the io_context (I/O objects must not outlive their service).
    for (auto& l : m_listeners) {
        l->retry.reset();
        l->acceptor.reset();
    }
}

std::uint16_t ServerCore::add_listener(ListenerConfig config) {
    const std::lock_guard lifecycle{m_lifecycle};
    require(!m_started, Errc::Internal, "http: add_listener after start");
    for (const auto& l : m_listeners) {
        require(l->name != config.name, Errc::InvalidConfig, "http: two listeners named " + config.name);
    }
    auto l = std::make_unique<Listener>();
    l->name = config.name;
    l->router = std::move(config.router);
    if (config.ops_endpoints) {
        add_ops_routes(l->router, ops, config.metrics_endpoint, config.metrics_token);
    }
    l->max_body_bytes = std::max(options.limits.max_body_bytes, l->router.largest_body_limit());
    if (config.tls) {
        auto ctx = make_server_context(*config.tls);
        l->mtls = !config.tls->client_ca_file.empty() && config.tls->client_auth != ClientAuth::None;
        l->ssl = std::make_shared<asio::ssl::context>(ctx.release());  // takes ownership
        l->tls = true;
    }

    const std::string where = config.host + ":" + std::to_string(config.port);
    beast::error_code ec;
    tcp::resolver resolver{m_ioc};
    const auto results = resolver.resolve(config.host, std::to_string(config.port),
                                          tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec || results.empty()) {
        throw Error{Errc::IoFailure, "http: cannot resolve " + where + ": " + ec.message()};
    }
    const tcp::endpoint endpoint = results.begin()->endpoint();
    l->acceptor = std::make_unique<tcp::acceptor>(asio::make_strand(m_ioc));
    auto& acceptor = *l->acceptor;
    if (acceptor.open(endpoint.protocol(), ec) ||
        acceptor.set_option(asio::socket_base::reuse_address(true), ec) || acceptor.bind(endpoint, ec) ||
        acceptor.listen(asio::socket_base::max_listen_connections, ec)) {
        throw Error{Errc::IoFailure, "http: cannot listen on " + where + ": " + ec.message()};
    }
    set_cloexec(acceptor.native_handle());
    l->port = acceptor.local_endpoint(ec).port();
    l->retry = std::make_unique<asio::steady_timer>(acceptor.get_executor());
    log::info("http listener bound", {{"listener", l->name},
                                      {"address", endpoint.address().to_string()},
                                      {"port", static_cast<std::int64_t>(l->port)},
                                      {"tls", l->tls},
                                      {"mtls", l->mtls}});
    // Every listener's series exists from the start at 0, so rate() sees the first rejection and the
    // family always carries a sample.
    m_rejected.inc({l->name}, 0);
    const std::uint16_t port = l->port;
    m_listeners.push_back(std::move(l));
    return port;
}

const Listener& ServerCore::listener(std::string_view name) const {
    for (const auto& l : m_listeners) {
        if (l->name == name) {
            return *l;
        }
    }
    throw Error{Errc::NotFound, "http: no listener named " + std::string{name}};
}

void ServerCore::start() {
    const std::lock_guard lifecycle{m_lifecycle};
    require(!m_started, Errc::Internal, "http: server already started");
    m_started = true;
    const std::size_t workers =
        options.worker_threads > 0 ? options.worker_threads : ServerOptions::default_worker_threads();
    m_workers = std::make_unique<asio::thread_pool>(workers);
    m_handshakes = std::make_unique<asio::thread_pool>(options.handshake_threads);
    m_work.emplace(m_ioc.get_executor());
    for (auto& l : m_listeners) {
        asio::post(l->acceptor->get_executor(), [this, &listener = *l] { accept(listener); });
    }
    for (std::size_t i = 0; i < options.io_threads; ++i) {
        m_io_threads.emplace_back([this] {
            for (;;) {
                try {
                    m_ioc.run();
                    return;
                } catch (const std::exception& e) {
                    log::error("http: exception escaped an I/O handler", {{"what", e.what()}});
                }
            }
        });
    }
    running = true;
    log::info("http server started", {{"io_threads", static_cast<std::uint64_t>(options.io_threads)},
                                      {"worker_threads", static_cast<std::uint64_t>(workers)}});
}

void ServerCore::accept(Listener& l) {
    l.acceptor->async_accept(
        asio::make_strand(m_ioc),
        [this, &l](const beast::error_code& ec, tcp::socket socket) { on_accept(l, ec, std::move(socket)); });
}

void ServerCore::on_accept(Listener& l, const beast::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !l.acceptor->is_open()) {
        return;
    }
    if (ec) {
        log::warn("http accept failed", {{"listener", l.name}, {"error", ec.message()}});
        l.retry->expires_after(kAcceptRetryDelay);
        l.retry->async_wait([this, &l](const beast::error_code& wec) {
            if (!wec && l.acceptor->is_open()) {
                accept(l);
            }
        });
        return;
    }
    beast::error_code ignored;
    if (ops.draining.load()) {
        socket.close(ignored);
        return;
    }
    const auto endpoint = socket.remote_endpoint(ignored);
    std::string remote = ignored ? std::string{} : endpoint.address().to_string();
    const char* refusal = nullptr;
    {
        // Counted before the connection exists, so that a burst cannot overshoot the caps.
        const std::lock_guard lock{m_mutex};
        if (l.active >= options.limits.max_connections) {
            refusal = "max_connections";
        } else if (l.per_ip[remote] >= options.limits.max_connections_per_ip) {
            refusal = "max_connections_per_ip";
        } else {
            ++l.active;
            ++l.per_ip[remote];
            ++m_active;
            m_active_hint = m_active;
        }
        if (refusal != nullptr && l.per_ip[remote] == 0) {
            l.per_ip.erase(remote);
        }
    }
    if (refusal != nullptr) {
        m_rejected.inc({l.name});
        log::warn("http connection refused", {{"listener", l.name}, {"limit", refusal}, {"remote", remote}});
        socket.close(ignored);
        accept(l);
        return;
    }
    set_cloexec(socket.native_handle());
    socket.set_option(tcp::no_delay(true), ignored);
    std::shared_ptr<ConnectionBase> c;
    try {
        if (l.tls) {
            c = std::make_shared<Connection<TlsStream>>(*this, l, std::move(socket), remote);
        } else {
            c = std::make_shared<Connection<PlainStream>>(*this, l, std::move(socket), remote);
        }
    } catch (const std::exception& e) {
        // No connection object, so no destructor to give the slot back: give it back here.
        log::error("http: cannot set up a connection", {{"listener", l.name}, {"what", e.what()}});
        on_slot_released(l, remote);
        accept(l);
        return;
    }
    {
        const std::lock_guard lock{m_mutex};
        m_connections.emplace(c.get(), c);
    }
    c->start();
    accept(l);
}

std::vector<std::shared_ptr<ConnectionBase>> ServerCore::snapshot() {
    std::vector<std::shared_ptr<ConnectionBase>> out;
    const std::lock_guard lock{m_mutex};
    for (const auto& [ptr, weak] : m_connections) {
        if (auto c = weak.lock()) {
            out.push_back(std::move(c));
        }
    }
    return out;
}

void ServerCore::stop() {
    const std::lock_guard lifecycle{m_lifecycle};
    if (!m_started || m_stopped) {
        return;
    }
    m_stopped = true;
    ops.draining = true;
    log::info("http server draining", {{"connections", static_cast<std::uint64_t>(m_active_hint.load())}});
    // Close the listening sockets on their strands, and wait for it: from here on connections are
    // refused.
    std::vector<std::future<void>> closed;
    for (auto& l : m_listeners) {
        auto done = std::make_shared<std::promise<void>>();
        closed.push_back(done->get_future());
        asio::post(l->acceptor->get_executor(), [&listener = *l, done] {
            beast::error_code ignored;
            listener.acceptor->close(ignored);
            listener.retry->cancel();
            done->set_value();
        });
    }
    for (auto& f : closed) {
        f.wait();
    }
    for (const auto& c : snapshot()) {
        c->drain();
    }
    {
        std::unique_lock lock{m_mutex};
        if (!m_drained.wait_for(lock, options.limits.drain_timeout, [this] { return m_active == 0; })) {
            log::warn("http drain timeout: cutting connections",
                      {{"connections", static_cast<std::uint64_t>(m_active)}});
            lock.unlock();
            for (const auto& c : snapshot()) {
                c->force_close();
            }
            lock.lock();
            m_drained.wait_for(lock, kForcedCloseWait, [this] { return m_active == 0; });
        }
    }
    m_work.reset();
    m_ioc.stop();
    for (auto& t : m_io_threads) {
        t.join();
    }
    m_io_threads.clear();
    // Handlers already running on workers finish (they cannot be interrupted); their responses
    // are posted to the stopped io_context and dropped.
    m_workers->join();
    // Handshakes still pending in the stopped io_context count as work of the handshake pool: stop
    // it rather than wait for them. One blocked in the HSM is waited for (it cannot be interrupted).
    m_handshakes->stop();
    m_handshakes->join();
    running = false;
    log::info("http server stopped");
}

void ServerCore::reload_tls(std::string_view listener_name, const TlsConfig& config) {
    Listener* target = nullptr;
    for (const auto& l : m_listeners) {
        if (l->name == listener_name) {
            target = l.get();
        }
    }
    if (target == nullptr) {
        throw Error{Errc::NotFound, "http: no listener named " + std::string{listener_name}};
    }
    require(target->tls, Errc::InvalidConfig, "http: listener " + target->name + " is not a TLS listener");
    // Built and checked (key matches certificate) before anything changes: on an error the listener
    // keeps its context.
    auto ctx = make_server_context(config);
    auto fresh = std::make_shared<asio::ssl::context>(ctx.release());
    {
        const std::lock_guard lock{target->ssl_mutex};
        target->ssl = std::move(fresh);
    }
    log::info("http tls context reloaded", {{"listener", target->name}});
}

void ServerCore::run_until_signal(const std::function<void()>& on_started,
                                  const std::function<void()>& on_hangup) {
    asio::io_context signal_ioc;
    asio::signal_set signals{signal_ioc, SIGINT, SIGTERM};
    if (on_hangup) {
        signals.add(SIGHUP);
    }
    int received = 0;
    // SIGHUP runs on_hangup here, on the signal thread (never an I/O or worker thread), and waits on;
    // SIGINT and SIGTERM end the wait.
    std::function<void(const beast::error_code&, int)> wait;
    wait = [&](const beast::error_code& ec, int signal_number) {
        if (ec) {
            return;
        }
        if (signal_number == SIGHUP) {
            log::info("http server: SIGHUP received");
            try {
                on_hangup();
            } catch (const std::exception& e) {
                log::error("http server: reload failed", {{"what", e.what()}});
            }
            signals.async_wait(wait);
            return;
        }
        received = signal_number;
    };
    signals.async_wait(wait);
    start();  // after the handlers are installed: running() == true means a signal is caught
    if (on_started) {
        // Whoever learns from this that the server is up (a script reading the "serving" line)
        // may send SIGTERM at once: it must find the handler installed.
        on_started();
    }
    signal_ioc.run();
    log::info("http server: signal received", {{"signal", received}});
    stop();
}

}  // namespace detail

// ---- ServerOptions ----

std::size_t ServerOptions::default_worker_threads() {
    const std::size_t hw = std::thread::hardware_concurrency();
    return std::max<std::size_t>(4, 2 * hw);
}

ServerOptions ServerOptions::from_config(const Config& config) {
    ServerOptions o;
    auto positive = [&](std::string_view key, std::int64_t fallback) {
        const std::int64_t v = config.integer_or(key, fallback);
        require(v > 0, Errc::InvalidConfig, std::string{key} + " must be positive");
        return v;
    };
    auto millis = [&](std::string_view key, std::chrono::milliseconds fallback) {
        return std::chrono::milliseconds{positive(key, fallback.count())};
    };
    o.io_threads = static_cast<std::size_t>(positive("http.io_threads", 1));
    o.handshake_threads = static_cast<std::size_t>(
        positive("http.handshake_threads", static_cast<std::int64_t>(o.handshake_threads)));
    const std::int64_t workers = config.integer_or("http.worker_threads", 0);
    require(workers >= 0, Errc::InvalidConfig, "http.worker_threads must not be negative");
    o.worker_threads = static_cast<std::size_t>(workers);
    o.limits.max_body_bytes = static_cast<std::uint64_t>(
        positive("http.max_body_bytes", static_cast<std::int64_t>(o.limits.max_body_bytes)));
    const std::int64_t header = positive("http.max_header_bytes", o.limits.max_header_bytes);
    require(header <= 1024 * 1024, Errc::InvalidConfig, "http.max_header_bytes must be at most 1 MiB");
    o.limits.max_header_bytes = static_cast<std::uint32_t>(header);
    o.limits.max_connections = static_cast<std::size_t>(
        positive("http.max_connections", static_cast<std::int64_t>(o.limits.max_connections)));
    o.limits.max_connections_per_ip = static_cast<std::size_t>(
        positive("http.max_connections_per_ip", static_cast<std::int64_t>(o.limits.max_connections_per_ip)));
    const std::int64_t rate =
        config.integer_or("http.min_body_rate", static_cast<std::int64_t>(o.limits.min_body_rate));
    require(rate >= 0, Errc::InvalidConfig, "http.min_body_rate must not be negative");
    o.limits.min_body_rate = static_cast<std::uint64_t>(rate);
    o.limits.min_rate_grace = millis("http.min_rate_grace_ms", o.limits.min_rate_grace);
    o.limits.header_timeout = millis("http.header_timeout_ms", o.limits.header_timeout);
    o.limits.body_timeout = millis("http.body_timeout_ms", o.limits.body_timeout);
    o.limits.idle_timeout = millis("http.idle_timeout_ms", o.limits.idle_timeout);
    o.limits.write_timeout = millis("http.write_timeout_ms", o.limits.write_timeout);
    o.limits.drain_timeout = millis("http.drain_timeout_ms", o.limits.drain_timeout);
    o.access_log = config.boolean_or("http.access_log", true);
    return o;
}

// ---- Server ----

Server::Server(ServerOptions options) : m_core{std::make_unique<detail::ServerCore>(std::move(options))} {}

Server::~Server() = default;

std::uint16_t Server::add_listener(ListenerConfig listener) {
    return m_core->add_listener(std::move(listener));
}

std::uint16_t Server::port(std::string_view listener_name) const {
    return m_core->listener(listener_name).port;
}

std::vector<RouteInfo> Server::routes(std::string_view listener_name) const {
    return m_core->listener(listener_name).router.routes();
}

void Server::start() {
    m_core->start();
}

void Server::stop() {
    m_core->stop();
}

void Server::run_until_signal(const std::function<void()>& on_started,
                              const std::function<void()>& on_hangup) {
    m_core->run_until_signal(on_started, on_hangup);
}

void Server::reload_tls(std::string_view listener_name, const TlsConfig& config) {
    m_core->reload_tls(listener_name, config);
}

bool Server::running() const noexcept {
    return m_core->running.load();
}

void Server::set_maintenance(bool on) noexcept {
    if (m_core->ops.maintenance.exchange(on) != on) {
        try {
            log::info("http maintenance mode", {{"on", on}});
        } catch (...) {
            // the switch itself has happened; a lost log line is no reason to fail it
        }
    }
}

bool Server::maintenance() const noexcept {
    return m_core->ops.maintenance.load();
}

Metrics& Server::metrics() noexcept {
    return *m_core->metrics;
}

std::shared_ptr<Metrics> Server::shared_metrics() const noexcept {
    return m_core->metrics;
}

std::size_t Server::connection_count() const noexcept {
    return m_core->connection_count();
}

}  // namespace inkan::http
