#include <inkan/http/router.h>

#include <algorithm>

#include <inkan/core/error.h>

namespace inkan::http {

namespace {

std::string pattern_of(std::string_view path, Match match) {
    std::string out{path};
    if (match == Match::Prefix) {
        out += '*';
    }
    return out;
}

}  // namespace

std::string Route::pattern() const {
    return pattern_of(path, match);
}

std::string RouteInfo::pattern() const {
    return pattern_of(path, match);
}

Router& Router::add(Route route) {
    require(!route.method.empty(), Errc::InvalidConfig, "http route: empty method");
    require(static_cast<bool>(route.handler), Errc::InvalidConfig,
            "http route " + route.path + ": no handler");
    require(!route.path.empty() && route.path.front() == '/', Errc::InvalidConfig,
            "http route '" + route.path + "': the path must start with '/'");
    require(route.match == Match::Exact || route.path.back() == '/', Errc::InvalidConfig,
            "http route '" + route.path + "': a prefix must end with '/'");
    for (const auto& r : m_routes) {
        require(!(r.method == route.method && r.path == route.path && r.match == route.match),
                Errc::InvalidConfig, "http route " + route.method + " " + route.pattern() + " added twice");
    }
    m_routes.push_back(std::move(route));
    return *this;
}

Router& Router::get(std::string path, Handler handler, Execution execution) {
    return add(Route{"GET", std::move(path), std::move(handler), Match::Exact, execution});
}

Router& Router::post(std::string path, Handler handler, Execution execution) {
    return add(Route{"POST", std::move(path), std::move(handler), Match::Exact, execution});
}

std::uint64_t Router::largest_body_limit() const {
    std::uint64_t out = 0;
    for (const auto& r : m_routes) {
        out = std::max(out, r.max_body_bytes);
    }
    return out;
}

std::vector<RouteInfo> Router::routes() const {
    std::vector<RouteInfo> out;
    out.reserve(m_routes.size());
    for (const auto& r : m_routes) {
        out.push_back(RouteInfo{r.method, r.path, r.match, r.execution});
    }
    return out;
}

bool Router::has(std::string_view method, std::string_view path) const {
    return std::any_of(m_routes.begin(), m_routes.end(),
                       [&](const Route& r) { return r.method == method && r.path == path; });
}

Router::Resolution Router::resolve(std::string_view method, std::string_view path) const {
    // Pass 1: exact paths. Pass 2: the longest matching prefix. Candidates share one path; among
    // them the method decides between Found and MethodNotAllowed.
    std::vector<const Route*> candidates;
    // An exact route also answers its path with empty segments: a client whose base URL ends in '/'
    // asks for "/csc/v2//credentials/list" (issue 24). Only exact routes: a prefix route's tail is
    // the client's own data (an OCSP GET's base64 may hold "//") and is never rewritten.
    std::string collapsed;
    if (path.find("//") != std::string_view::npos) {
        collapsed.assign(path);
        collapsed.erase(std::unique(collapsed.begin(), collapsed.end(),
                                    [](char a, char b) { return a == '/' && b == '/'; }),
                        collapsed.end());
    }
    for (const auto& r : m_routes) {
        if (r.match == Match::Exact && (r.path == path || (!collapsed.empty() && r.path == collapsed))) {
            candidates.push_back(&r);
        }
    }
    if (candidates.empty()) {
        std::size_t best = 0;
        for (const auto& r : m_routes) {
            if (r.match != Match::Prefix || path.size() <= r.path.size() || !path.starts_with(r.path)) {
                continue;
            }
            if (r.path.size() > best) {
                best = r.path.size();
                candidates.clear();
            }
            if (r.path.size() == best) {
                candidates.push_back(&r);
            }
        }
    }
    Resolution out;
    if (candidates.empty()) {
        out.pattern = "unmatched";
        return out;
    }
    out.pattern = candidates.front()->pattern();
    for (const Route* r : candidates) {
        if (r->method == method) {
            out.kind = Resolution::Kind::Found;
            out.route = r;
            if (r->match == Match::Prefix) {
                out.tail = path.substr(r->path.size());
            }
            return out;
        }
    }
    std::vector<std::string> methods;
    for (const Route* r : candidates) {
        methods.push_back(r->method);
    }
    std::sort(methods.begin(), methods.end());
    methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
    out.kind = Resolution::Kind::MethodNotAllowed;
    for (const auto& m : methods) {
        if (!out.allow.empty()) {
            out.allow += ", ";
        }
        out.allow += m;
    }
    return out;
}

}  // namespace inkan::http
