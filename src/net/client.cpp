// asio::ssl in Boost 1.74 defines RSA/DH helpers in its header-only .ipp files, and OpenSSL 3 hides
// those declarations under OPENSSL_NO_DEPRECATED (see src/http/server.cpp, the same workaround):
// lift the hide for this translation unit only; OPENSSL_API_COMPAT=30000 still flags our own
// deprecated calls.
#undef OPENSSL_NO_DEPRECATED

// Beast's async_write instantiates, at our call sites, templates with a literal-0 default argument.
#pragma GCC diagnostic ignored "-Wzero-as-null-pointer-constant"

#include <inkan/net/client.h>

#include <inkan/net/url_guard.h>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>

#include "ascii.h"

namespace inkan::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

using detail::lower;

[[noreturn]] void unavailable(const Url& url, std::string_view what, const std::string& reason) {
    throw Error{Errc::Unavailable,
                url.scheme + "://" + url.authority() + ": " + std::string{what} + ": " + reason};
}

class Exchange {
public:
    Exchange(const Url& url, const RequestOptions& options)
        : m_url{url}, m_options{options}, m_deadline{Clock::now() + options.timeout} {}

    Response run(bhttp::verb method, std::string_view content_type, ByteView body) {
        if (m_options.proxy) {
            m_proxy = Url::parse(*m_options.proxy);
            require(m_proxy->scheme == "http", Errc::InvalidRequest, "net: the proxy must be an http:// URL");
        }
        if (m_options.guard != nullptr) {
            // Resolved and checked once; connect() uses exactly these addresses (no rebinding gap).
            m_checked = m_options.guard->resolve(m_url);
        }
        const Url& first = m_proxy ? *m_proxy : m_url;
        bhttp::request<bhttp::vector_body<std::uint8_t>> req{method, m_url.target, 11};
        if (m_proxy && m_url.scheme == "http") {
            // RFC 9112 §3.2.2: absolute-form to a proxy.
            req.target(m_url.scheme + "://" + m_url.authority() + m_url.target);
        }
        req.set(bhttp::field::host, m_url.authority());
        req.set(bhttp::field::user_agent, "inkan");
        req.set(bhttp::field::connection, "close");
        if (!content_type.empty()) {
            req.set(bhttp::field::content_type, std::string{content_type});
        }
        if (m_options.basic_auth) {
            std::string cred = m_options.basic_auth->user;
            cred += ':';
            cred += m_options.basic_auth->password.reveal();
            Secret encoded{base64_encode(as_bytes(cred))};
            secure_wipe(cred.data(), cred.size());
            req.set(bhttp::field::authorization, "Basic " + std::string{encoded.reveal()});
        }
        for (const auto& [name, value] : m_options.headers) {
            req.set(name, value);
        }
        req.body().assign(body.begin(), body.end());
        req.prepare_payload();

        beast::tcp_stream tcp_stream{m_io};
        connect(tcp_stream, first);
        if (m_url.scheme == "http") {
            return exchange(tcp_stream, req);
        }
        if (m_proxy) {
            tunnel(tcp_stream);
        }
        asio::ssl::context ctx{asio::ssl::context::tls_client};
        configure_tls(ctx);
        beast::ssl_stream<beast::tcp_stream> tls{std::move(tcp_stream), ctx};
        // SNI (SSL_set_tlsext_host_name is a macro with an old-style cast) and host name checking.
        if (::SSL_ctrl(tls.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                       const_cast<char*>(m_url.host.c_str())) != 1 ||
            ::SSL_set1_host(tls.native_handle(), m_url.host.c_str()) != 1) {
            unavailable(m_url, "TLS", "cannot set the server name");
        }
        expire(beast::get_lowest_layer(tls));
        beast::error_code ec =
            wait([&](auto done) { tls.async_handshake(asio::ssl::stream_base::client, done); });
        if (ec && ec != beast::error::timeout) {
            // A certificate that did not verify is the caller's trust configuration, not the network:
            // say so, with OpenSSL's reason (e.g. "self-signed certificate in certificate chain").
            if (const long verify = ::SSL_get_verify_result(tls.native_handle()); verify != X509_V_OK) {
                unavailable(m_url, "TLS handshake",
                            std::string{kCertificateNotTrusted} + " (" +
                                ::X509_verify_cert_error_string(verify) + ")");
            }
        }
        check(ec, "TLS handshake");
        return exchange(tls, req);
    }

private:
    /// Runs one asynchronous operation to completion. Beast's stream deadlines (expires_after) apply
    /// to asynchronous operations only, so every step goes through here.
    template <class Start>
    beast::error_code wait(Start&& start) {
        beast::error_code result;
        start([&result](const beast::error_code& ec, auto&&...) { result = ec; });
        m_io.restart();
        m_io.run();
        return result;
    }

    void expire(beast::tcp_stream& s) {
        const auto left = m_deadline - Clock::now();
        if (left <= Clock::duration::zero()) {
            unavailable(m_url, "request",
                        "timed out after " + std::to_string(m_options.timeout.count()) + " ms");
        }
        s.expires_after(left);
    }

    void check(const beast::error_code& ec, std::string_view what) {
        if (!ec) {
            return;
        }
        if (ec == beast::error::timeout) {
            unavailable(m_url, what, "timed out after " + std::to_string(m_options.timeout.count()) + " ms");
        }
        unavailable(m_url, what, ec.message());
    }

    void connect(beast::tcp_stream& s, const Url& to) {
        beast::error_code ec;
        if (m_checked && !m_proxy) {
            std::vector<tcp::endpoint> endpoints;
            for (const Endpoint& e : *m_checked) {
                asio::ip::address a;
                if (e.address.v4) {
                    asio::ip::address_v4::bytes_type b{};
                    std::copy_n(e.address.bytes.begin(), b.size(), b.begin());
                    a = asio::ip::address_v4{b};
                } else {
                    a = asio::ip::address_v6{e.address.bytes};
                }
                endpoints.emplace_back(a, e.port);
            }
            expire(s);
            ec = wait([&](auto done) { s.async_connect(endpoints, done); });
            check(ec, "connect");
            return;
        }
        tcp::resolver resolver{m_io};
        const auto endpoints = resolver.resolve(to.host, std::to_string(to.port), ec);
        check(ec, "resolve");
        expire(s);
        ec = wait([&](auto done) { s.async_connect(endpoints, done); });
        check(ec, "connect");
    }

    void tunnel(beast::tcp_stream& s) {
        bhttp::request<bhttp::empty_body> req{bhttp::verb::connect, m_url.authority(), 11};
        req.set(bhttp::field::host, m_url.authority());
        expire(s);
        beast::error_code ec = wait([&](auto done) { bhttp::async_write(s, req, done); });
        check(ec, "proxy CONNECT");
        beast::flat_buffer buffer;
        bhttp::response_parser<bhttp::empty_body> parser;
        parser.skip(true);  // a CONNECT reply has no body (RFC 9110 §9.3.6)
        ec = wait([&](auto done) { bhttp::async_read_header(s, buffer, parser, done); });
        check(ec, "proxy CONNECT");
        if (parser.get().result_int() / 100 != 2) {
            unavailable(m_url, "proxy CONNECT", "status " + std::to_string(parser.get().result_int()));
        }
    }

    void configure_tls(asio::ssl::context& ctx) {
        SSL_CTX* native = ctx.native_handle();
        ::SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
        ::SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
        const int loaded = m_options.ca_file.empty()
                               ? ::SSL_CTX_set_default_verify_paths(native)
                               : ::SSL_CTX_load_verify_locations(native, m_options.ca_file.c_str(), nullptr);
        require(loaded == 1, Errc::InvalidRequest,
                "net: cannot load the CA file " + m_options.ca_file.string());
        if (!m_options.client_certificate_file.empty()) {
            require(
                ::SSL_CTX_use_certificate_chain_file(native, m_options.client_certificate_file.c_str()) == 1,
                Errc::InvalidRequest,
                "net: cannot load the client certificate " + m_options.client_certificate_file.string());
            if (m_options.client_key != nullptr) {
                require(::SSL_CTX_use_PrivateKey(native, m_options.client_key) == 1, Errc::InvalidRequest,
                        "net: the client key does not fit the client certificate");
            } else {
                require(::SSL_CTX_use_PrivateKey_file(native, m_options.client_key_file.c_str(),
                                                      SSL_FILETYPE_PEM) == 1,
                        Errc::InvalidRequest, "net: cannot load the client key file");
            }
        }
    }

    template <class Stream>
    Response exchange(Stream& s, bhttp::request<bhttp::vector_body<std::uint8_t>>& req) {
        expire(beast::get_lowest_layer(s));
        beast::error_code ec = wait([&](auto done) { bhttp::async_write(s, req, done); });
        check(ec, "write");
        beast::flat_buffer buffer;
        bhttp::response_parser<bhttp::vector_body<std::uint8_t>> parser;
        parser.body_limit(m_options.max_response_bytes);
        parser.header_limit(64 * 1024);
        expire(beast::get_lowest_layer(s));
        ec = wait([&](auto done) { bhttp::async_read(s, buffer, parser, done); });
        if (ec == bhttp::error::body_limit ||
            (!ec && parser.get().body().size() > m_options.max_response_bytes)) {
            unavailable(
                m_url, "read",
                "the response is larger than " + std::to_string(m_options.max_response_bytes) + " bytes");
        }
        check(ec, "read");
        auto res = parser.release();
        Response out;
        out.status = static_cast<int>(res.result_int());
        const std::string ct = lower(std::string{res[bhttp::field::content_type]});
        out.content_type = ct.substr(0, ct.find(';'));
        while (!out.content_type.empty() && out.content_type.back() == ' ') {
            out.content_type.pop_back();
        }
        out.body = std::move(res.body());
        beast::get_lowest_layer(s).socket().shutdown(tcp::socket::shutdown_both, ec);  // best effort
        return out;
    }

    Url m_url;
    const RequestOptions& m_options;
    Clock::time_point m_deadline;
    std::optional<Url> m_proxy;
    std::optional<std::vector<Endpoint>> m_checked;
    asio::io_context m_io;
};

}  // namespace

Url Url::parse(std::string_view text) {
    const auto bad = [&](std::string_view why) -> Error {
        return Error{Errc::InvalidRequest, "net: not an http(s) URL (" + std::string{why} + ")"};
    };
    Url u;
    const std::size_t colon = text.find("://");
    if (colon == std::string_view::npos) {
        throw bad("no scheme");
    }
    u.scheme = lower(text.substr(0, colon));
    if (u.scheme != "http" && u.scheme != "https") {
        throw bad("scheme must be http or https");
    }
    std::string_view rest = text.substr(colon + 3);
    const std::size_t slash = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, slash);
    std::string_view target = slash == std::string_view::npos ? std::string_view{"/"} : rest.substr(slash);
    if (const auto hash = target.find('#'); hash != std::string_view::npos) {
        target = target.substr(0, hash);
    }
    u.target = target.empty() || target.front() != '/' ? "/" + std::string{target} : std::string{target};
    if (authority.find('@') != std::string_view::npos) {
        throw bad("credentials in the URL are not accepted; configure basic auth instead");
    }
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) {
            throw bad("unclosed IPv6 literal");
        }
        u.host = std::string{authority.substr(1, close - 1)};
        if (close + 1 < authority.size()) {
            if (authority[close + 1] != ':') {
                throw bad("junk after the IPv6 literal");
            }
            port_text = authority.substr(close + 2);
        }
    } else {
        const std::size_t c = authority.rfind(':');
        u.host = std::string{authority.substr(0, c)};
        if (c != std::string_view::npos) {
            port_text = authority.substr(c + 1);
        }
    }
    if (u.host.empty()) {
        throw bad("no host");
    }
    if (port_text.empty()) {
        u.port = u.scheme == "https" ? 443 : 80;
    } else {
        unsigned port = 0;
        const auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (ec != std::errc{} || p != port_text.data() + port_text.size() || port == 0 || port > 65535) {
            throw bad("bad port");
        }
        u.port = static_cast<std::uint16_t>(port);
    }
    return u;
}

std::string Url::authority() const {
    const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return h + ":" + std::to_string(port);
}

Response post(std::string_view url, std::string_view content_type, ByteView body,
              const RequestOptions& options) {
    const Url u = Url::parse(url);
    try {
        return Exchange{u, options}.run(bhttp::verb::post, content_type, body);
    } catch (const boost::system::system_error& e) {
        unavailable(u, "request", e.code().message());
    }
}

Response get(std::string_view url, const RequestOptions& options) {
    const Url u = Url::parse(url);
    try {
        return Exchange{u, options}.run(bhttp::verb::get, {}, {});
    } catch (const boost::system::system_error& e) {
        unavailable(u, "request", e.code().message());
    }
}

}  // namespace inkan::net
