#pragma once

// A small blocking HTTP/1.1 client for http:// and https:// URLs: one request per connection, a total
// deadline over connect + TLS + write + read, a response size limit, HTTP basic auth, a client
// certificate, a CA file for the server's certificate and an optional HTTP proxy (absolute-form for
// http, CONNECT for https). Errors never carry credentials: messages name the URL's host and port only.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <openssl/evp.h>

#include <inkan/core/bytes.h>
#include <inkan/core/error.h>
#include <inkan/core/secret.h>

namespace inkan::net {

class UrlGuard;

/// An absolute http(s) URL, split. Userinfo ("user:pass@") is refused: credentials go in RequestOptions.
struct Url {
    std::string scheme;  ///< "http" or "https"
    std::string host;    ///< without brackets for IPv6
    std::uint16_t port = 0;
    std::string target;  ///< path + query, at least "/"
    /// Errc::InvalidRequest for anything else (the message names no userinfo).
    static Url parse(std::string_view text);
    /// "host:port" (IPv6 in brackets), for messages.
    [[nodiscard]] std::string authority() const;
};

/// HTTP basic authentication (RFC 7617). Copying clones the password.
struct BasicAuth {
    std::string user;
    Secret password;
    BasicAuth() = default;
    BasicAuth(std::string u, Secret p) : user{std::move(u)}, password{std::move(p)} {}
    BasicAuth(const BasicAuth& o) : user{o.user}, password{o.password.clone()} {}
    BasicAuth& operator=(const BasicAuth& o) {
        user = o.user;
        password = o.password.clone();
        return *this;
    }
    BasicAuth(BasicAuth&&) noexcept = default;
    BasicAuth& operator=(BasicAuth&&) noexcept = default;
    ~BasicAuth() = default;
};

struct RequestOptions {
    /// The whole exchange: resolve, connect, TLS, write and read.
    std::chrono::milliseconds timeout{10'000};
    /// A larger response body is an error (Errc::Unavailable).
    std::size_t max_response_bytes = 4 * 1024 * 1024;
    std::optional<BasicAuth> basic_auth;
    /// TLS client authentication: a PEM certificate chain file and either a PEM key file or a key
    /// object (e.g. an HSM key through the inkan-signer provider; the caller keeps its reference).
    std::filesystem::path client_certificate_file;
    std::filesystem::path client_key_file;
    EVP_PKEY* client_key = nullptr;
    /// Trust anchors for https (PEM). Empty: OpenSSL's default paths.
    std::filesystem::path ca_file;
    /// "http://host:port" of an HTTP proxy.
    std::optional<std::string> proxy;
    /// Extra request header fields.
    std::vector<std::pair<std::string, std::string>> headers;
    /// For URLs from untrusted input (url_guard.h): the host is resolved and checked by the guard and
    /// the connection goes only to the addresses it passed (Errc::Forbidden otherwise). With a proxy the
    /// target is still checked, but the proxy resolves it again: the proxy must enforce its own egress
    /// rules. Null: any address. Redirects are never followed, with or without a guard.
    const UrlGuard* guard = nullptr;
};

struct Response {
    int status = 0;
    std::string content_type;  ///< the Content-Type field without parameters, lower case
    Bytes body;
};

/// Errc::InvalidRequest: bad URL or options; Errc::Unavailable: resolve/connect/TLS failure, the
/// deadline passed, a response that does not parse or is too large. A non-2xx status is returned,
/// not thrown.
Response post(std::string_view url, std::string_view content_type, ByteView body,
              const RequestOptions& options = {});
Response get(std::string_view url, const RequestOptions& options = {});

/// What the Errc::Unavailable detail says when the server's TLS certificate did not verify against
/// the trust anchors (ca_file, else the system's): not a network failure, and the fix is the caller's
/// (decision 0040: the CLI tells the operator which --cacert to pass).
inline constexpr std::string_view kCertificateNotTrusted = "certificate not trusted";

/// Whether `e` (also when another layer wrapped its detail) is a TLS certificate that did not verify.
inline bool certificate_not_trusted(const Error& e) {
    return e.code() == Errc::Unavailable && e.detail().find(kCertificateNotTrusted) != std::string::npos;
}

}  // namespace inkan::net
