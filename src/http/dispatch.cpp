#include "dispatch.h"

#include <array>
#include <exception>

#include <openssl/crypto.h>

#include <inkan/core/log.h>

namespace inkan::http::detail {

namespace {

std::string error_json(std::string_view error, std::string_view description) {
    std::string out = R"({"error":")";
    out += error;
    out += R"(","error_description":")";
    out += description;
    out += R"("})";
    return out;
}

std::string status_json(std::string_view status, std::string_view reason = {}) {
    std::string out = R"({"status":")";
    out += status;
    out += '"';
    if (!reason.empty()) {
        out += R"(,"reason":")";
        log::append_json_escaped(out, reason);
        out += '"';
    }
    out += '}';
    return out;
}

/// Paths in the access log are capped: an unmatched path is attacker-chosen.
constexpr std::size_t kMaxLoggedPath = 256;

/// `Authorization: Bearer <token>` (RFC 6750 §2.1) with exactly `token`, compared in constant time.
bool bearer_matches(const Request& request, const std::string& token) {
    const auto value = request.header("Authorization");
    constexpr std::string_view kScheme = "Bearer ";
    if (!value || value->size() != kScheme.size() + token.size() ||
        !iequals(value->substr(0, kScheme.size()), kScheme)) {
        return false;
    }
    const std::string_view given = value->substr(kScheme.size());
    return ::CRYPTO_memcmp(given.data(), token.data(), token.size()) == 0;
}

}  // namespace

Response transport_error(int status) {
    switch (status) {
        case 400:
            return Response::json(400, error_json("invalid_request", "Malformed request"));
        case 404:
            return Response::json(404, error_json("not_found", "No such endpoint"));
        case 405:
            return Response::json(405, error_json("invalid_request", "Method not allowed"));
        case 408:
            return Response::json(408, error_json("invalid_request", "Request timeout"));
        case 413:
            return Response::json(413, error_json("invalid_request", "Request body too large"));
        case 431:
            return Response::json(431, error_json("invalid_request", "Request header too large"));
        case 503:
            return Response::json(503, error_json("temporarily_unavailable", "Service unavailable"));
        default:
            return Response::json(500, error_json("server_error", "Internal error"));
    }
}

std::string_view method_label(std::string_view method) noexcept {
    static constexpr std::array<std::string_view, 9> kKnown{"GET",     "HEAD",  "POST",  "PUT",    "DELETE",
                                                            "OPTIONS", "PATCH", "TRACE", "CONNECT"};
    for (const auto m : kKnown) {
        if (m == method) {
            return m;
        }
    }
    return "OTHER";
}

std::string choose_request_id(const Headers& headers) {
    const auto supplied = headers.get("X-Request-Id");
    if (supplied && is_valid_request_id(*supplied)) {
        return std::string{*supplied};
    }
    return new_request_id();
}

Dispatcher::Dispatcher(ErrorMapper mapper, std::shared_ptr<Metrics> metrics, bool access_log)
    : m_mapper{mapper ? std::move(mapper) : ErrorMapper{default_error_response}},
      m_metrics{std::move(metrics)},
      m_access_log{access_log},
      m_requests{m_metrics->counter("inkan_http_requests_total",
                                    "HTTP requests by route pattern, method and status.",
                                    {"route", "method", "status"})},
      m_duration{m_metrics->histogram("inkan_http_request_duration_seconds",
                                      "HTTP request duration from the end of the header to the end of the "
                                      "response, by route pattern.",
                                      {"route"})} {}

Dispatcher::Plan Dispatcher::plan(const Router& router, Request& request) const {
    Plan plan;
    auto target = parse_target(request.target);
    if (!target) {
        request.route = "unmatched";
        plan.immediate = transport_error(400);
        return plan;
    }
    request.path = std::move(target->path);
    request.query = std::move(target->query);
    const auto resolution = router.resolve(request.method, request.path);
    request.route = resolution.pattern;
    switch (resolution.kind) {
        case Router::Resolution::Kind::Found:
            request.path_tail = std::string{resolution.tail};
            plan.route = resolution.route;
            break;
        case Router::Resolution::Kind::NotFound:
            plan.immediate = transport_error(404);
            break;
        case Router::Resolution::Kind::MethodNotAllowed:
            plan.immediate = transport_error(405);
            plan.immediate->headers.set("Allow", resolution.allow);
            break;
    }
    return plan;
}

Response Dispatcher::run(const Route& route, const Request& request) const noexcept {
    const log::ScopedContext context{{"request_id", request.request_id}};
    try {
        try {
            return route.handler(request);
        } catch (const Error& e) {
            const auto level =
                static_cast<std::uint16_t>(e.code()) >= static_cast<std::uint16_t>(Errc::Internal)
                    ? log::Level::Error
                    : log::Level::Info;
            log::write(level, "request failed",
                       {{"code", errc_name(e.code())}, {"what", e.what()}, {"route", request.route}});
            return m_mapper(e);
        } catch (const std::exception& e) {
            log::error("request failed: unexpected exception",
                       {{"what", e.what()}, {"route", request.route}});
            return transport_error(500);
        }
    } catch (const std::exception& e) {
        // The mapper itself failed, or there was no memory to log.
        log::error("request failed: the error mapper threw", {{"what", e.what()}});
    } catch (...) {
        log::error("request failed: non-standard exception", {{"route", request.route}});
    }
    return transport_error(500);
}

void Dispatcher::record(const Exchange& x) const noexcept {
    try {
        const std::string status = std::to_string(x.status);
        m_requests.inc({std::string{x.route}, std::string{method_label(x.method)}, status});
        m_duration.observe({std::string{x.route}}, x.seconds);
        if (m_access_log) {
            // Never headers, bodies or query strings: they may carry tokens, PINs and passwords.
            const std::string_view path = x.path.substr(0, kMaxLoggedPath);
            log::info("http request", {{"method", x.method.substr(0, 16)},
                                       {"path", path},
                                       {"status", x.status},
                                       {"bytes", static_cast<std::uint64_t>(x.bytes)},
                                       {"duration_ms", x.seconds * 1000.0},
                                       {"remote", x.remote},
                                       {"listener", x.listener}});
        }
    } catch (...) {
        // Logging and metrics must never take a connection down.
    }
}

void add_ops_routes(Router& router, const OpsState& state, bool metrics, const std::string& metrics_token) {
    if (!router.has("GET", "/healthz")) {
        router.get(
            "/healthz", [](const Request&) { return Response::json(200, status_json("ok")); },
            Execution::Inline);
    }
    if (!router.has("GET", "/readyz")) {
        router.get("/readyz", [&state](const Request&) {
            if (state.draining.load()) {
                return Response::json(503, status_json("draining"));
            }
            if (state.maintenance.load()) {
                return Response::json(503, status_json("maintenance"));
            }
            if (state.readiness) {
                std::optional<std::string> reason;
                try {
                    reason = state.readiness();
                } catch (const std::exception& e) {
                    // A readiness check that throws means "not ready", not "500".
                    log::warn("readiness check threw", {{"what", e.what()}});
                    reason = "readiness check failed";
                }
                if (reason) {
                    return Response::json(503, status_json("unavailable", *reason));
                }
            }
            std::vector<std::string> warnings;
            if (state.warnings) {
                try {
                    warnings = state.warnings();
                } catch (const std::exception& e) {
                    log::warn("readiness warnings threw", {{"what", e.what()}});
                }
            }
            if (warnings.empty()) {
                return Response::json(200, status_json("ready"));
            }
            std::string body = R"({"status":"ready","warnings":[)";
            for (std::size_t i = 0; i < warnings.size(); ++i) {
                body += i == 0 ? "\"" : ",\"";
                log::append_json_escaped(body, warnings[i]);
                body += '"';
            }
            body += "]}";
            return Response::json(200, body);
        });
    }
    if (metrics && !router.has("GET", "/metrics")) {
        router.get("/metrics", [&state, token = metrics_token](const Request& request) {
            if (!token.empty() && !bearer_matches(request, token)) {
                Response r =
                    Response::json(401, error_json("invalid_token", "Missing or invalid metrics token"));
                r.headers.set("WWW-Authenticate", R"(Bearer realm="metrics")");
                return r;
            }
            return Response::binary(200, std::string{Metrics::kContentType}, state.metrics->render());
        });
    }
}

}  // namespace inkan::http::detail
