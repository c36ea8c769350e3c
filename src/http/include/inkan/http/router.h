#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <inkan/http/message.h>

namespace inkan::http {

/// A handler: a plain function of the request. It may throw inkan::Error; the server's single
/// catch site logs it and maps it to a response (ServerOptions::error_mapper).
using Handler = std::function<Response(const Request&)>;

/// Where a handler runs.
enum class Execution {
    Inline,  ///< on the I/O thread: only for cheap, non-blocking handlers (/healthz)
    Worker,  ///< on the worker pool: anything that may touch the HSM, the database or the disk
};

enum class Match {
    Exact,   ///< the path equals `path`
    Prefix,  ///< the path starts with `path` and has at least one more character ("/crl/" + "ca.crl")
};

struct Route {
    std::string method;  ///< "GET", "POST", ... (exact, case-sensitive: RFC 9110 §9.1)
    std::string path;    ///< the exact path, or for Match::Prefix the prefix (ending in '/')
    Handler handler;
    Match match = Match::Exact;
    Execution execution = Execution::Worker;
    /// The largest request body this route takes; 0: the server's Limits::max_body_bytes. A route
    /// that takes whole documents (CSC signDoc) sets a larger one without raising every route's.
    std::uint64_t max_body_bytes = 0;

    /// The pattern used as the metrics label and in Request::route: the path for exact routes,
    /// the prefix followed by '*' for prefix routes ("/crl/*").
    [[nodiscard]] std::string pattern() const;
};

/// What routes() lists: a route without its handler.
struct RouteInfo {
    std::string method;
    std::string path;
    Match match = Match::Exact;
    Execution execution = Execution::Worker;
    [[nodiscard]] std::string pattern() const;
};

/// An explicit route table. Build it completely before handing it to a Server; it is read-only
/// afterwards (and so safe to read from any thread).
class Router {
public:
    /// Adds a route. Errc::InvalidConfig for an empty method or handler, a path that does not start
    /// with '/', a prefix that does not end in '/', or a second route with the same method and path.
    Router& add(Route route);
    Router& get(std::string path, Handler handler, Execution execution = Execution::Worker);
    Router& post(std::string path, Handler handler, Execution execution = Execution::Worker);

    /// Every route, in the order added (the OpenAPI test compares these with docs/openapi.yaml).
    [[nodiscard]] std::vector<RouteInfo> routes() const;
    [[nodiscard]] bool has(std::string_view method, std::string_view path) const;
    /// The largest Route::max_body_bytes (0 when no route sets one).
    [[nodiscard]] std::uint64_t largest_body_limit() const;

    struct Resolution {
        enum class Kind { Found, NotFound, MethodNotAllowed };
        Kind kind = Kind::NotFound;
        const Route* route = nullptr;  ///< Found only
        /// Found and MethodNotAllowed: the matched pattern; NotFound: "unmatched".
        std::string pattern;
        std::string allow;      ///< MethodNotAllowed: the Allow header value ("GET, POST")
        std::string_view tail;  ///< Found prefix routes: the rest of the path after the prefix
    };
    /// Exact paths win over prefixes; among prefixes the longest wins. A path that matches but with
    /// another method is MethodNotAllowed (405 with Allow), never a fall-through to a shorter match.
    [[nodiscard]] Resolution resolve(std::string_view method, std::string_view path) const;

private:
    std::vector<Route> m_routes;
};

}  // namespace inkan::http
