// See server.cpp: asio::ssl (Boost 1.74) needs OpenSSL's deprecated declarations visible.
#undef OPENSSL_NO_DEPRECATED

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
// asio's std_fenced_block uses std::atomic_thread_fence, which GCC 12 warns about under
// -fsanitize=thread (-Wtsan); with -Werror that would stop the tsan build.
#pragma GCC diagnostic ignored "-Wtsan"
#endif

#include "client.h"

#include <algorithm>
#include <array>
#include <functional>
#include <stdexcept>
#include <utility>  // before Boost (Boost 1.74 + GCC 12 + C++20)
#include <variant>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

// See server.cpp: asio's enable_if defaults are reported at our call sites.
#pragma GCC diagnostic ignored "-Wzero-as-null-pointer-constant"

namespace inkan::http::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

std::string ClientResponse::header(std::string_view name) const {
    std::string key{name};
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const auto it = headers.find(key);
    return it == headers.end() ? std::string{} : it->second;
}

struct Client::Impl {
    std::uint16_t port;
    std::optional<ClientTls> tls;
    std::chrono::milliseconds timeout;
    asio::io_context ioc;
    std::optional<asio::ssl::context> ssl_ctx;
    std::unique_ptr<beast::tcp_stream> plain;
    std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
    beast::flat_buffer buffer;
    int connects = 0;

    beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

    /// Runs one async operation to completion.
    template <class Start>
    beast::error_code run(Start&& start) {
        beast::error_code result = asio::error::would_block;
        lowest().expires_after(timeout);
        start([&result](const beast::error_code& ec, auto&&...) { result = ec; });
        ioc.restart();
        ioc.run();
        return result;
    }

    template <class F>
    auto with_stream(F&& f) {
        if (secure) {
            return f(*secure);
        }
        return f(*plain);
    }

    void make_ssl_context() {
        ssl_ctx.emplace(asio::ssl::context::tls_client);
        SSL_CTX* c = ssl_ctx->native_handle();
        if (tls->min_version != 0) {
            ::SSL_CTX_set_min_proto_version(c, tls->min_version);
        }
        if (tls->max_version != 0) {
            ::SSL_CTX_set_max_proto_version(c, tls->max_version);
        }
        ssl_ctx->load_verify_file(tls->ca_file.string());
        ssl_ctx->set_verify_mode(asio::ssl::verify_peer);
        if (!tls->cert_file.empty()) {
            ssl_ctx->use_certificate_chain_file(tls->cert_file.string());
            ssl_ctx->use_private_key_file(tls->key_file.string(), asio::ssl::context::pem);
        }
    }
};

Client::Client(std::uint16_t port, std::optional<ClientTls> tls, std::chrono::milliseconds timeout)
    : m_impl{std::make_unique<Impl>()} {
    m_impl->port = port;
    m_impl->tls = std::move(tls);
    m_impl->timeout = timeout;
    if (m_impl->tls) {
        m_impl->make_ssl_context();
    }
}

Client::~Client() = default;

void Client::connect() {
    auto& d = *m_impl;
    d.buffer.clear();
    d.secure.reset();
    d.plain.reset();
    const tcp::endpoint endpoint{asio::ip::make_address("127.0.0.1"), d.port};
    if (d.tls) {
        d.secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(d.ioc, *d.ssl_ctx);
        // Check the server certificate's iPAddress SAN.
        ::X509_VERIFY_PARAM_set1_ip_asc(::SSL_get0_param(d.secure->native_handle()), "127.0.0.1");
    } else {
        d.plain = std::make_unique<beast::tcp_stream>(d.ioc);
    }
    auto ec = d.run([&](auto handler) { d.lowest().async_connect(endpoint, handler); });
    if (ec) {
        throw std::runtime_error{"connect: " + ec.message()};
    }
    ++d.connects;
    d.lowest().socket().set_option(tcp::no_delay(true));
    if (d.secure) {
        ec = d.run([&](auto handler) { d.secure->async_handshake(asio::ssl::stream_base::client, handler); });
        if (ec) {
            throw std::runtime_error{"tls handshake: " + ec.message()};
        }
    }
}

bool Client::connected() const {
    return (m_impl->plain || m_impl->secure) && m_impl->lowest().socket().is_open();
}

void Client::send_raw(std::string_view bytes) {
    auto& d = *m_impl;
    if (!connected()) {
        connect();
    }
    const auto ec = d.with_stream([&](auto& s) {
        return d.run(
            [&](auto handler) { asio::async_write(s, asio::buffer(bytes.data(), bytes.size()), handler); });
    });
    if (ec) {
        throw std::runtime_error{"write: " + ec.message()};
    }
}

ClientResponse Client::read_response() {
    auto& d = *m_impl;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(boost::none);
    const auto ec = d.with_stream([&](auto& s) {
        return d.run([&](auto handler) { bhttp::async_read(s, d.buffer, parser, handler); });
    });
    if (ec) {
        throw std::runtime_error{"read response: " + ec.message()};
    }
    auto msg = parser.release();
    ClientResponse out;
    out.status = static_cast<int>(msg.result_int());
    out.keep_alive = msg.keep_alive();
    for (const auto& f : msg) {
        std::string name{f.name_string()};
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        out.headers[name] = std::string{f.value()};
    }
    out.body = std::move(msg.body());
    return out;
}

ClientResponse Client::request(std::string_view method, std::string_view target, std::string body,
                               const HeaderList& headers) {
    auto& d = *m_impl;
    if (!connected()) {
        connect();
    }
    bhttp::request<bhttp::string_body> req;
    req.method_string(beast::string_view{method.data(), method.size()});
    req.target(beast::string_view{target.data(), target.size()});
    req.version(11);
    req.set(bhttp::field::host, "127.0.0.1:" + std::to_string(d.port));
    bool has_length = false;
    for (const auto& [n, v] : headers) {
        req.insert(n, v);
        has_length =
            has_length || beast::iequals(n, "Content-Length") || beast::iequals(n, "Transfer-Encoding");
    }
    req.body() = std::move(body);
    if (!has_length && (!req.body().empty() || method == "POST")) {
        req.prepare_payload();
    }
    const auto ec = d.with_stream(
        [&](auto& s) { return d.run([&](auto handler) { bhttp::async_write(s, req, handler); }); });
    if (ec) {
        throw std::runtime_error{"write request: " + ec.message()};
    }
    return read_response();
}

bool Client::closed_by_peer(std::chrono::milliseconds wait) {
    // Not the stream's own timeout: that would close the socket, and "still open" is an answer.
    auto& d = *m_impl;
    asio::steady_timer timer{d.ioc};
    timer.expires_after(wait);
    bool timed_out = false;
    timer.async_wait([&](const beast::error_code& ec) {
        if (!ec) {
            timed_out = true;
            beast::error_code ignored;
            d.lowest().socket().cancel(ignored);
        }
    });
    std::array<char, 4096> scratch{};
    beast::error_code result;
    std::function<void()> read_more;
    auto on_read = [&](const beast::error_code& ec, std::size_t) {
        if (ec) {
            result = ec;
            timer.cancel();
            return;
        }
        read_more();  // data the test does not care about: keep waiting for the close
    };
    read_more = [&] {
        d.with_stream([&](auto& s) {
            s.async_read_some(asio::buffer(scratch), on_read);
            return beast::error_code{};
        });
    };
    d.lowest().expires_never();
    read_more();
    d.ioc.restart();
    d.ioc.run();
    const bool closed = !(timed_out && result == asio::error::operation_aborted);
    if (closed) {
        close();  // so that the next request() connects again
    }
    return closed;
}

std::string Client::tls_version() const {
    if (!m_impl->secure) {
        return {};
    }
    return ::SSL_get_version(m_impl->secure->native_handle());
}

int Client::connects() const {
    return m_impl->connects;
}

void Client::close() {
    auto& d = *m_impl;
    if (d.plain || d.secure) {
        beast::error_code ignored;
        d.lowest().socket().close(ignored);
    }
}

ClientResponse fetch(std::uint16_t port, std::string_view method, std::string_view target, std::string body,
                     const HeaderList& headers, std::optional<ClientTls> tls) {
    Client c{port, std::move(tls)};
    return c.request(method, target, std::move(body), headers);
}

bool connection_refused(std::uint16_t port) {
    asio::io_context ioc;
    tcp::socket s{ioc};
    beast::error_code ec;
    s.connect(tcp::endpoint{asio::ip::make_address("127.0.0.1"), port}, ec);
    return ec == asio::error::connection_refused;
}

}  // namespace inkan::http::testing
