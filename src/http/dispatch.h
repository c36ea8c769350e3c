#pragma once

// The transport's request handling that does not need the HTTP library: route planning, the one
// catch site, the access log and request metrics, the ops endpoints. server.cpp (Beast) calls it.

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <inkan/http/message.h>
#include <inkan/http/metrics.h>
#include <inkan/http/router.h>
#include <inkan/http/server.h>

namespace inkan::http::detail {

/// What the transport records about one request once its response is written (or failed).
struct Exchange {
    std::string_view method;
    std::string_view path;  ///< decoded, without the query; "-" when the target did not parse
    std::string_view route;
    std::string_view remote;
    std::string_view listener;
    int status = 0;
    std::size_t bytes = 0;  ///< response body bytes
    double seconds = 0;
};

/// A JSON error response made by the transport itself (400, 404, 405, 408, 413, 431, 500, 503).
Response transport_error(int status);

/// The method as a metrics label: the standard methods, else "OTHER" (no label explosion).
std::string_view method_label(std::string_view method) noexcept;

/// X-Request-Id if the client sent a valid one, else a new one.
std::string choose_request_id(const Headers& headers);

class Dispatcher {
public:
    Dispatcher(ErrorMapper mapper, std::shared_ptr<Metrics> metrics, bool access_log);

    struct Plan {
        const Route* route = nullptr;       ///< run this handler ...
        std::optional<Response> immediate;  ///< ... or send this (400, 404, 405)
    };
    /// Parses the target into request.path/query and resolves the route; sets request.route and
    /// request.path_tail.
    Plan plan(const Router& router, Request& request) const;

    /// Runs the handler: the one catch site. An inkan::Error is logged (code, what; the request id
    /// comes from the log context) and mapped by the ErrorMapper; anything else is a generic 500.
    /// Never throws. Sets the request id log context itself (it may run on a worker thread).
    Response run(const Route& route, const Request& request) const noexcept;

    /// The access-log line and the request metrics. Call with the request id log context set.
    void record(const Exchange& exchange) const noexcept;

    [[nodiscard]] Metrics& metrics() const noexcept { return *m_metrics; }

private:
    ErrorMapper m_mapper;
    std::shared_ptr<Metrics> m_metrics;
    bool m_access_log;
    Counter& m_requests;
    Histogram& m_duration;
};

/// State the ops endpoints read.
struct OpsState {
    std::atomic<bool> maintenance{false};
    std::atomic<bool> draining{false};
    ReadinessCheck readiness;
    ReadinessWarnings warnings;
    std::shared_ptr<Metrics> metrics;
};

/// Adds GET /healthz (inline) and /readyz (worker) unless the router has them; with `metrics`,
/// also /metrics (worker), which with a non-empty `metrics_token` requires that Bearer token.
void add_ops_routes(Router& router, const OpsState& state, bool metrics, const std::string& metrics_token);

}  // namespace inkan::http::detail
