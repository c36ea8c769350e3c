#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <inkan/core/bytes.h>

namespace inkan::http {

/// Header fields in arrival order. Names compare case-insensitively (RFC 9110 §5.1); values are
/// kept as received (no folding, no trimming beyond what the parser did).
class Headers {
public:
    using Field = std::pair<std::string, std::string>;

    /// Appends a field (repeated names are kept, in order).
    void add(std::string name, std::string value);
    /// Replaces every field of that name with one field.
    void set(std::string name, std::string value);
    void erase(std::string_view name);
    /// The first value of `name`, if any.
    [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const;
    /// Every value of `name`, in order.
    [[nodiscard]] std::vector<std::string_view> get_all(std::string_view name) const;
    [[nodiscard]] bool contains(std::string_view name) const { return get(name).has_value(); }
    [[nodiscard]] bool empty() const noexcept { return m_fields.empty(); }
    [[nodiscard]] std::size_t size() const noexcept { return m_fields.size(); }
    [[nodiscard]] const std::vector<Field>& fields() const noexcept { return m_fields; }
    [[nodiscard]] auto begin() const noexcept { return m_fields.begin(); }
    [[nodiscard]] auto end() const noexcept { return m_fields.end(); }

private:
    std::vector<Field> m_fields;
};

/// ASCII case-insensitive equality (header names, tokens).
[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept;

/// One HTTP request as a handler sees it. The transport fills every field before the handler runs.
struct Request {
    std::string method;  ///< as received, e.g. "GET", "POST"
    /// The request-target as received. It may carry a query string, which may carry tokens:
    /// never log it (log `path`).
    std::string target;
    std::string path;  ///< percent-decoded path, without the query
    /// For a prefix route (Match::Prefix): the decoded path after the prefix ("ca1.crl" for
    /// "/crl/ca1.crl" under "/crl/"). Empty for exact routes.
    std::string path_tail;
    std::string route;  ///< the pattern of the matched route ("/crl/*"): stable, low cardinality
    /// Query parameters, decoded (application/x-www-form-urlencoded rules: '+' is a space).
    std::multimap<std::string, std::string> query;
    Headers headers;
    std::string body;
    std::string remote_address;  ///< the peer's IP address (no port)
    /// DER of the client certificate that the TLS layer verified against the configured client CA
    /// (mutual TLS); empty when there is none (plain HTTP, no mTLS, or the client sent none).
    Bytes client_certificate;
    std::string request_id;  ///< also in X-Request-Id of the response and on every log line
    std::string listener;    ///< the name of the listener that received it ("api", "pki")

    [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const {
        return headers.get(name);
    }
    /// The first value of query parameter `name`.
    [[nodiscard]] std::optional<std::string_view> query_param(std::string_view name) const;
};

/// One HTTP response. The transport adds Content-Length, Connection and X-Request-Id, and sets
/// Content-Type from `content_type`; those and the other framing headers (Transfer-Encoding,
/// Keep-Alive, Upgrade, TE, Trailer) are ignored in `headers`, as is any field whose name is not a
/// token or whose value holds CR, LF or NUL.
struct Response {
    int status = 200;
    Headers headers;
    std::string content_type;  ///< empty: no Content-Type header
    std::string body;

    /// `body` is already JSON text; Content-Type application/json.
    static Response json(int status, std::string body);
    /// text/plain; charset=utf-8
    static Response text(int status, std::string body);
    /// Any media type (application/pkix-crl, application/ocsp-response, ...).
    static Response binary(int status, std::string content_type, std::string body);
};

/// A request id that a client may choose: 1 to 64 characters of [A-Za-z0-9._-].
[[nodiscard]] bool is_valid_request_id(std::string_view id) noexcept;
/// A fresh request id: 128 random bits as 32 lower-case hex characters.
[[nodiscard]] std::string new_request_id();

/// RFC 3986 §2.1 percent-decoding. With `plus_as_space` (query strings, HTML forms), '+' is a
/// space. nullopt for a malformed escape ("%zz", a trailing "%4") or an encoded NUL.
[[nodiscard]] std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space = false);

/// A request-target split into its decoded path and query parameters.
struct Target {
    std::string path;
    std::multimap<std::string, std::string> query;
};
/// Parses an origin-form target ("/a/b?x=1&y"). nullopt when it does not start with '/' or an
/// escape is malformed. A parameter without '=' has an empty value.
[[nodiscard]] std::optional<Target> parse_target(std::string_view target);

}  // namespace inkan::http
