// Functional tests of the plain-HTTP transport on 127.0.0.1 with ephemeral ports: routing, errors,
// request ids, the access log, metrics, ops endpoints, limits, timeouts and draining.

#include <inkan/http/server.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include <inkan/core/error.h>
#include <inkan/core/log.h>
#include <inkan/testing/process.h>

#include "testing/client.h"
#include "testing/fixture.h"
#include "testing/prometheus.h"

namespace inkan::http {
namespace {

using namespace std::chrono_literals;
using testing::Client;
using testing::eventually;
using testing::fetch;
using testing::LogCapture;
using testing::start_server;

/// GET /hello, POST /echo (echoes the body), GET /inspect (what the handler saw).
Router demo_router() {
    Router r;
    r.get("/hello", [](const Request&) { return Response::text(200, "hello"); });
    r.post("/echo",
           [](const Request& req) { return Response::binary(200, "application/octet-stream", req.body); });
    r.get("/inspect", [](const Request& req) {
        std::string out = req.method + "|" + req.path + "|" + req.remote_address + "|" + req.listener + "|";
        out += std::string{req.query_param("q").value_or("-")} + "|";
        out += std::string{req.header("x-custom").value_or("-")} + "|" + req.route;
        return Response::text(200, out);
    });
    r.add(Route{"GET", "/files/",
                [](const Request& req) { return Response::text(200, "tail=" + req.path_tail); },
                Match::Prefix});
    return r;
}

ServerOptions quiet() {
    ServerOptions o;
    o.access_log = false;
    return o;
}

TEST(HttpServer, RoutesGetAndPost) {
    auto s = start_server(demo_router(), quiet());
    auto r = fetch(s.port, "GET", "/hello");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "hello");
    EXPECT_EQ(r.header("content-type"), "text/plain; charset=utf-8");

    r = fetch(s.port, "POST", "/echo", std::string{"{\"a\":\"\xe6\x97\xa5\"}"});
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "{\"a\":\"\xe6\x97\xa5\"}");

    r = fetch(s.port, "GET", "/inspect?q=a%20b+c&other=1", {}, {{"X-CUSTOM", "v1"}});
    EXPECT_EQ(r.body, "GET|/inspect|127.0.0.1|api|a b c|v1|/inspect");

    r = fetch(s.port, "GET", "/files/dir%2Fname.crl");
    EXPECT_EQ(r.body, "tail=dir/name.crl");
}

TEST(HttpServer, UnknownPathIs404AndWrongMethodIs405WithAllow) {
    auto s = start_server(demo_router(), quiet());
    auto r = fetch(s.port, "GET", "/nope");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.header("content-type"), "application/json");
    EXPECT_EQ(r.body, R"({"error":"not_found","error_description":"No such endpoint"})");
    EXPECT_FALSE(r.header("x-request-id").empty());

    r = fetch(s.port, "DELETE", "/echo");
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.header("allow"), "POST");
    EXPECT_EQ(r.header("content-type"), "application/json");

    r = fetch(s.port, "GET", "/a%zz");
    EXPECT_EQ(r.status, 400);
}

TEST(HttpServer, KeepAliveReusesOneConnection) {
    auto s = start_server(demo_router(), quiet());
    Client c{s.port};
    for (int i = 0; i < 5; ++i) {
        const auto r = c.request("POST", "/echo", "n" + std::to_string(i));
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.body, "n" + std::to_string(i));
        EXPECT_TRUE(r.keep_alive);
    }
    EXPECT_EQ(c.connects(), 1);
    // The default idle timeout is long: the connection is still open a moment later.
    EXPECT_FALSE(c.closed_by_peer(300ms));
    EXPECT_EQ(c.request("GET", "/hello").status, 200);
    EXPECT_EQ(c.connects(), 1);
}

TEST(HttpServer, ConnectionCloseAndHttp10AreHonoured) {
    auto s = start_server(demo_router(), quiet());
    Client c{s.port};
    const auto r = c.request("GET", "/hello", {}, {{"Connection", "close"}});
    EXPECT_EQ(r.status, 200);
    EXPECT_FALSE(r.keep_alive);
    EXPECT_TRUE(c.closed_by_peer(5s));

    Client old{s.port};
    old.send_raw("GET /hello HTTP/1.0\r\n\r\n");
    const auto r10 = old.read_response();
    EXPECT_EQ(r10.status, 200);
    EXPECT_EQ(r10.body, "hello");
    EXPECT_TRUE(old.closed_by_peer(5s));
}

TEST(HttpServer, PipelinedRequestsAreAnsweredInOrder) {
    auto s = start_server(demo_router(), quiet());
    Client c{s.port};
    c.send_raw(
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\noneGET /hello HTTP/1.1\r\nHost: "
        "x\r\n\r\n");
    const auto first = c.read_response();
    const auto second = c.read_response();
    EXPECT_EQ(first.body, "one");
    EXPECT_EQ(second.body, "hello");
}

TEST(HttpServer, InlineRoutesRunOnTheIoThreadAndOthersOnWorkers) {
    std::mutex m;
    std::set<std::thread::id> inline_threads;
    std::set<std::thread::id> worker_threads;
    Router r;
    r.get(
        "/inline",
        [&](const Request&) {
            const std::lock_guard lock{m};
            inline_threads.insert(std::this_thread::get_id());
            return Response::text(200, "i");
        },
        Execution::Inline);
    r.get("/worker", [&](const Request&) {
        const std::lock_guard lock{m};
        worker_threads.insert(std::this_thread::get_id());
        return Response::text(200, "w");
    });
    ServerOptions o = quiet();
    o.io_threads = 1;
    o.worker_threads = 3;
    auto s = start_server(std::move(r), std::move(o));
    Client c{s.port};
    for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(c.request("GET", "/inline").status, 200);
        EXPECT_EQ(c.request("GET", "/worker").status, 200);
    }
    const std::lock_guard lock{m};
    ASSERT_EQ(inline_threads.size(), 1u);  // the one I/O thread
    for (const auto& id : worker_threads) {
        EXPECT_EQ(inline_threads.count(id), 0u);
    }
}

TEST(HttpServer, HandlerErrorIsMappedAndItsDetailStaysInTheLog) {
    LogCapture logs;
    Router r;
    r.get("/fail", [](const Request&) -> Response {
        throw Error{Errc::NotFound, "credential 42 has SECRET-DETAIL"};
    });
    r.get("/crash", [](const Request&) -> Response { throw std::runtime_error{"SECRET-RUNTIME"}; });
    r.get("/bad-status", [](const Request&) { return Response::text(42, "nope"); });
    auto s = start_server(std::move(r));

    auto res = fetch(s.port, "GET", "/fail", {}, {{"X-Request-Id", "req-fail-1"}});
    EXPECT_EQ(res.status, 404);
    EXPECT_EQ(res.header("x-request-id"), "req-fail-1");
    EXPECT_EQ(res.body, R"({"error":"not_found","error_description":"Not found"})");
    EXPECT_EQ(res.body.find("SECRET"), std::string::npos);
    const auto logged =
        logs.matching({"\"code\":\"not_found\"", "SECRET-DETAIL", "\"request_id\":\"req-fail-1\""});
    EXPECT_EQ(logged.size(), 1u);

    res = fetch(s.port, "GET", "/crash");
    EXPECT_EQ(res.status, 500);
    EXPECT_EQ(res.body, R"({"error":"server_error","error_description":"Internal error"})");
    EXPECT_FALSE(logs.matching({"SECRET-RUNTIME", res.header("x-request-id")}).empty());

    res = fetch(s.port, "GET", "/bad-status");
    EXPECT_EQ(res.status, 500);
}

TEST(HttpServer, TheApiLayerSuppliesTheErrorMapping) {
    Router r;
    r.get("/fail", [](const Request&) -> Response { throw Error{Errc::Forbidden, "detail"}; });
    r.get("/fail-mapper", [](const Request&) -> Response { throw Error{Errc::Conflict, "detail"}; });
    ServerOptions o = quiet();
    o.error_mapper = [](const Error& e) {
        if (e.code() == Errc::Conflict) {
            throw std::runtime_error{"mapper broke"};
        }
        return Response::json(418, R"({"error":"teapot"})");
    };
    LogCapture logs;
    auto s = start_server(std::move(r), std::move(o));
    auto res = fetch(s.port, "GET", "/fail");
    EXPECT_EQ(res.status, 418);
    EXPECT_EQ(res.body, R"({"error":"teapot"})");
    EXPECT_FALSE(res.header("x-request-id").empty());
    res = fetch(s.port, "GET", "/fail-mapper");
    EXPECT_EQ(res.status, 500);
    EXPECT_EQ(res.body.find("mapper broke"), std::string::npos);
}

TEST(HttpServer, HandlerHeadersCannotSplitOrReframeTheResponse) {
    Router r;
    r.get("/headers", [](const Request&) {
        Response res = Response::text(200, "body");
        res.headers.add("X-Good", "yes");
        res.headers.add("X-Evil", "a\r\nX-Injected: 1");
        res.headers.add("Content-Length", "999");
        res.headers.add("X-Request-Id", "forged");
        res.headers.add("Cache-Control", "no-store");
        return res;
    });
    auto s = start_server(std::move(r), quiet());
    const auto res = fetch(s.port, "GET", "/headers", {}, {{"X-Request-Id", "mine"}});
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.body, "body");
    EXPECT_EQ(res.header("x-good"), "yes");
    EXPECT_EQ(res.header("cache-control"), "no-store");
    EXPECT_EQ(res.header("x-evil"), "");
    EXPECT_EQ(res.header("x-injected"), "");
    EXPECT_EQ(res.header("content-length"), "4");
    EXPECT_EQ(res.header("x-request-id"), "mine");
}

TEST(HttpServer, RequestIdsAreUniqueEchoedAndOnEveryLogLineOfTheRequest) {
    LogCapture logs;
    Router r;
    r.get("/log", [](const Request& req) {
        log::info("inside the handler", {{"seen", req.request_id}});
        return Response::text(200, req.request_id);
    });
    auto s = start_server(std::move(r));
    std::set<std::string> ids;
    for (int i = 0; i < 20; ++i) {
        const auto res = fetch(s.port, "GET", "/log");
        EXPECT_EQ(res.body, res.header("x-request-id"));
        EXPECT_EQ(res.body.size(), 32u);
        ids.insert(res.body);
    }
    EXPECT_EQ(ids.size(), 20u);

    EXPECT_EQ(fetch(s.port, "GET", "/log", {}, {{"X-Request-Id", "client.id_1-2"}}).header("x-request-id"),
              "client.id_1-2");
    for (const std::string& bad :
         {std::string(65, 'a'), std::string{"has space"}, std::string{"semi;colon"}}) {
        const auto res = fetch(s.port, "GET", "/log", {}, {{"X-Request-Id", bad}});
        EXPECT_NE(res.header("x-request-id"), bad);
        EXPECT_EQ(res.header("x-request-id").size(), 32u);
    }
    // Every line the handler and the transport wrote for this request carries its id.
    const auto res = fetch(s.port, "GET", "/log");
    const std::string id = res.header("x-request-id");
    EXPECT_EQ(logs.matching({"inside the handler", "\"request_id\":\"" + id + "\""}).size(), 1u);
    EXPECT_TRUE(eventually([&] {
        return logs.matching({"\"msg\":\"http request\"", "\"request_id\":\"" + id + "\""}).size() == 1;
    }));
}

TEST(HttpServer, AccessLogHasOneLinePerRequestAndNoSecrets) {
    LogCapture logs;
    auto s = start_server(demo_router());
    const auto res = fetch(s.port, "POST", "/echo?access_token=SECRET-QUERY", "pin=SECRET-BODY",
                           {{"Authorization", "Bearer SECRET-HEADER"}, {"X-Request-Id", "access-1"}});
    EXPECT_EQ(res.status, 200);
    // The access line is written once the response is on the wire: the client may be faster.
    ASSERT_TRUE(eventually([&] {
        return !logs.matching({"\"msg\":\"http request\"", "\"request_id\":\"access-1\""}).empty();
    }));
    const auto lines = logs.matching({"\"msg\":\"http request\"", "\"request_id\":\"access-1\""});
    ASSERT_EQ(lines.size(), 1u);
    const std::string& line = lines[0];
    for (const auto* field : {"\"method\":\"POST\"", "\"path\":\"/echo\"", "\"status\":200", "\"bytes\":15",
                              "\"duration_ms\":", "\"remote\":\"127.0.0.1\""}) {
        EXPECT_NE(line.find(field), std::string::npos) << field << " in " << line;
    }
    for (const auto& l : logs.lines()) {
        EXPECT_EQ(l.find("SECRET"), std::string::npos) << l;
    }
}

TEST(HttpServer, MetricsParseAsPrometheusTextAndCountRequests) {
    auto s = start_server(demo_router(), quiet());
    s.server->metrics()
        .counter("inkan_signatures_total", "Signatures by algorithm.", {"algorithm"})
        .inc({"ES256"});
    std::atomic<int> pool_size{3};
    s.server->metrics().gauge("inkan_hsm_pool_sessions", "HSM sessions.",
                              [&] { return double(pool_size.load()); });

    const std::string series = R"(inkan_http_requests_total{route="/hello",method="GET",status="200"})";
    auto scrape = [&] {
        const auto res = fetch(s.port, "GET", "/metrics");
        EXPECT_EQ(res.status, 200);
        EXPECT_EQ(res.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
        const auto problems = testing::prometheus_problems(res.body);
        EXPECT_TRUE(problems.empty()) << problems << "\n" << res.body;
        return res.body;
    };
    const std::string before = scrape();
    const double hello_before = testing::prometheus_sample(before, series).value_or(0);
    for (int i = 0; i < 3; ++i) {
        fetch(s.port, "GET", "/hello");
    }
    fetch(s.port, "GET", "/files/a.crl");
    fetch(s.port, "GET", "/files/b.crl");
    fetch(s.port, "GET", "/no/such/path/42");
    pool_size = 5;
    // Metrics are recorded once a response is written, so the client can be a little ahead.
    std::string after;
    EXPECT_TRUE(eventually([&] {
        after = scrape();
        return testing::prometheus_sample(after, series).value_or(0) == hello_before + 3 &&
               testing::prometheus_sample(
                   after, R"(inkan_http_requests_total{route="unmatched",method="GET",status="404"})")
                       .value_or(0) == 1;
    })) << after;
    // Route label = pattern: two different CRL paths, one series.
    EXPECT_EQ(testing::prometheus_sample(
                  after, R"(inkan_http_requests_total{route="/files/*",method="GET",status="200"})"),
              2);
    EXPECT_EQ(testing::prometheus_sample(
                  after, R"(inkan_http_requests_total{route="unmatched",method="GET",status="404"})"),
              1);
    EXPECT_EQ(after.find("a.crl"), std::string::npos);
    EXPECT_EQ(after.find("/no/such/path"), std::string::npos);
    EXPECT_GE(
        testing::prometheus_sample(after, R"(inkan_http_request_duration_seconds_count{route="/hello"})")
            .value_or(0),
        3);
    EXPECT_TRUE(testing::prometheus_sample(
        after, R"(inkan_http_request_duration_seconds_bucket{route="/hello",le="+Inf"})"));
    EXPECT_EQ(testing::prometheus_sample(after, R"(inkan_signatures_total{algorithm="ES256"})"), 1);
    EXPECT_EQ(testing::prometheus_sample(after, "inkan_hsm_pool_sessions"), 5);
    EXPECT_TRUE(testing::prometheus_sample(after, "inkan_http_connections"));
}

TEST(HttpServer, HealthReadinessAndMaintenance) {
    std::atomic<bool> database_up{true};
    ServerOptions o = quiet();
    o.readiness = [&]() -> std::optional<std::string> {
        if (!database_up) {
            return "database \"unreachable\"";
        }
        return std::nullopt;
    };
    auto s = start_server(demo_router(), std::move(o));
    EXPECT_EQ(fetch(s.port, "GET", "/healthz").body, R"({"status":"ok"})");
    auto r = fetch(s.port, "GET", "/readyz");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, R"({"status":"ready"})");

    s.server->set_maintenance(true);
    EXPECT_TRUE(s.server->maintenance());
    r = fetch(s.port, "GET", "/readyz");
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.body, R"({"status":"maintenance"})");
    EXPECT_EQ(fetch(s.port, "GET", "/healthz").status, 200);
    EXPECT_EQ(fetch(s.port, "GET", "/hello").status, 200);  // maintenance does not stop serving
    s.server->set_maintenance(false);
    EXPECT_EQ(fetch(s.port, "GET", "/readyz").status, 200);

    database_up = false;
    r = fetch(s.port, "GET", "/readyz");
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.body, R"({"status":"unavailable","reason":"database \"unreachable\""})");
}

TEST(HttpServer, ReadinessWarningsKeepTheServiceReady) {
    std::vector<std::string> warnings{"tsa certificate expires in 12 days", "quote \" and backslash \\"};
    ServerOptions o = quiet();
    o.warnings = [&] { return warnings; };
    auto s = start_server(demo_router(), std::move(o));
    auto r = fetch(s.port, "GET", "/readyz");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(
        r.body,
        R"({"status":"ready","warnings":["tsa certificate expires in 12 days","quote \" and backslash \\"]})");
}

TEST(HttpServer, ListenerErrors) {
    Server server{quiet()};
    ListenerConfig a;
    a.name = "api";
    const std::uint16_t port = server.add_listener(std::move(a));
    EXPECT_NE(port, 0);
    EXPECT_EQ(server.port("api"), port);
    EXPECT_THROW(static_cast<void>(server.port("nope")), Error);
    // The ops endpoints are part of what the listener serves.
    std::vector<std::string> patterns;
    for (const auto& r : server.routes("api")) {
        patterns.push_back(r.method + " " + r.pattern());
    }
    EXPECT_EQ(patterns, (std::vector<std::string>{"GET /healthz", "GET /readyz", "GET /metrics"}));

    ListenerConfig dup;
    dup.name = "api";
    EXPECT_THROW(server.add_listener(std::move(dup)), Error);

    ListenerConfig busy;
    busy.name = "busy";
    busy.port = port;  // already bound (and listening) by "api"
    try {
        server.add_listener(std::move(busy));
        ADD_FAILURE() << "binding a busy port must fail";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::IoFailure) << e.what();
    }
}

TEST(HttpServerOptions, ReadFromConfig) {
    const auto cfg = Config::parse(
        "[http]\nio_threads = 2\nworker_threads = 6\nmax_body_bytes = 1048576\nmax_connections = 10\n"
        "header_timeout_ms = 1500\nidle_timeout_ms = 2000\naccess_log = false\nmax_connections_per_ip = 7\n"
        "min_body_rate = 0\nmin_rate_grace_ms = 250\nhandshake_threads = 3\n",
        {}, [](std::string_view) { return std::nullopt; });
    const auto o = ServerOptions::from_config(cfg);
    EXPECT_EQ(o.io_threads, 2u);
    EXPECT_EQ(o.worker_threads, 6u);
    EXPECT_EQ(o.limits.max_body_bytes, 1048576u);
    EXPECT_EQ(o.limits.max_connections, 10u);
    EXPECT_EQ(o.limits.header_timeout, 1500ms);
    EXPECT_EQ(o.limits.idle_timeout, 2000ms);
    EXPECT_EQ(o.limits.body_timeout, Limits{}.body_timeout);
    EXPECT_EQ(o.limits.max_connections_per_ip, 7u);
    EXPECT_EQ(o.limits.min_body_rate, 0u);
    EXPECT_EQ(o.limits.min_rate_grace, 250ms);
    EXPECT_EQ(o.handshake_threads, 3u);
    EXPECT_FALSE(o.access_log);
    EXPECT_GE(ServerOptions::default_worker_threads(), 4u);
    const auto bad =
        Config::parse("[http]\nmax_body_bytes = 0\n", {}, [](std::string_view) { return std::nullopt; });
    EXPECT_THROW(static_cast<void>(ServerOptions::from_config(bad)), Error);
}

// ---- limits ----

TEST(HttpLimits, OversizeBodyGets413AndTheNextRequestIsServed) {
    ServerOptions o = quiet();
    o.limits.max_body_bytes = 1024;
    auto s = start_server(demo_router(), std::move(o));
    const std::string too_large_body =
        R"({"error":"invalid_request","error_description":"Request body too large"})";

    Client c{s.port};
    auto r = c.request("POST", "/echo", std::string(1024, 'a'));  // exactly the limit
    r = c.request("POST", "/echo", std::string(3 * 1024 * 1024, 'b'), {{"X-Request-Id", "big-1"}});
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(r.body, too_large_body);
    EXPECT_EQ(r.header("content-type"), "application/json");
    EXPECT_EQ(r.header("x-request-id"), "big-1");
    EXPECT_FALSE(r.keep_alive);
    EXPECT_TRUE(c.closed_by_peer(5s));
    // The next request is served.
    r = c.request("POST", "/echo", "small");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "small");
    EXPECT_EQ(c.connects(), 2);

    // Chunked: the limit is hit while reading the body.
    Client chunked{s.port};
    const std::string chunk = "258\r\n" + std::string(600, 'c') + "\r\n";
    chunked.send_raw("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk + chunk +
                     "0\r\n\r\n");
    r = chunked.read_response();
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(r.body, too_large_body);
    EXPECT_EQ(fetch(s.port, "POST", "/echo", "after").body, "after");
}

TEST(HttpLimits, ExpectContinueWithCurl) {
    // curl as an independent client: it waits for "100 Continue" before sending the body.
    ServerOptions o = quiet();
    o.limits.max_body_bytes = 4096;
    auto s = start_server(demo_router(), std::move(o));
    inkan::testing::TempDir dir{"inkan-http"};
    inkan::testing::write_file(dir / "ok.bin", std::string(3000, 'x'));
    inkan::testing::write_file(dir / "big.bin", std::string(100000, 'y'));
    const std::string url = "http://127.0.0.1:" + std::to_string(s.port) + "/echo";
    auto curl = [&](const std::string& file) {
        return inkan::testing::run({"curl", "-sS", "--max-time", "20", "-o", (dir / "out").string(), "-w",
                                    "%{http_code}", "-H", "Expect: 100-continue", "--data-binary", "@" + file,
                                    url});
    };
    auto ok = curl((dir / "ok.bin").string());
    ASSERT_EQ(ok.exit_code, 0) << ok.err;
    EXPECT_EQ(ok.out, "200");
    EXPECT_EQ(to_string(inkan::testing::read_file(dir / "out")), std::string(3000, 'x'));
    auto big = curl((dir / "big.bin").string());
    EXPECT_EQ(big.out, "413") << big.err;
    EXPECT_NE(to_string(inkan::testing::read_file(dir / "out")).find("Request body too large"),
              std::string::npos);
}

TEST(HttpLimits, OversizeHeaderGets431) {
    auto s = start_server(demo_router(), quiet());
    Client c{s.port};
    const auto r = c.request("GET", "/hello", {}, {{"X-Big", std::string(20 * 1024, 'h')}});
    EXPECT_EQ(r.status, 431);
    EXPECT_TRUE(c.closed_by_peer(5s));
    EXPECT_EQ(fetch(s.port, "GET", "/hello").status, 200);
}

TEST(HttpLimits, MalformedRequestGets400) {
    auto s = start_server(demo_router(), quiet());
    Client c{s.port};
    c.send_raw("THIS IS NOT HTTP\r\n\r\n");
    const auto r = c.read_response();
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.header("content-type"), "application/json");
    EXPECT_TRUE(c.closed_by_peer(5s));
}

TEST(HttpLimits, SlowHeaderIsCutAfterTheHeaderTimeout) {
    ServerOptions o = quiet();
    o.limits.header_timeout = 400ms;
    auto s = start_server(demo_router(), std::move(o));

    // Nothing sent at all.
    Client silent{s.port};
    silent.connect();
    EXPECT_TRUE(silent.closed_by_peer(5s));

    // Slowloris: a byte every 50 ms keeps the connection busy but never finishes the header.
    Client slow{s.port};
    slow.send_raw("GET /hello HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    bool cut = false;
    for (int i = 0; i < 60 && !cut; ++i) {  // up to 3 s, well past the 400 ms timeout
        try {
            slow.send_raw("a");
        } catch (const std::exception&) {
            cut = true;
        }
        std::this_thread::sleep_for(50ms);
    }
    EXPECT_TRUE(cut || slow.closed_by_peer(5s));
    EXPECT_EQ(fetch(s.port, "GET", "/hello").status, 200);
}

TEST(HttpLimits, SlowBodyIsCutAfterTheBodyTimeout) {
    ServerOptions o = quiet();
    o.limits.body_timeout = 400ms;
    auto s = start_server(demo_router(), std::move(o));
    Client c{s.port};
    c.send_raw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789");
    EXPECT_TRUE(c.closed_by_peer(5s));
}

TEST(HttpLimits, IdleKeepAliveConnectionIsClosed) {
    ServerOptions o = quiet();
    o.limits.idle_timeout = 300ms;
    auto s = start_server(demo_router(), std::move(o));
    Client c{s.port};
    EXPECT_EQ(c.request("GET", "/hello").status, 200);
    EXPECT_TRUE(c.closed_by_peer(5s));
    EXPECT_TRUE(eventually([&] { return s.server->connection_count() == 0; }));
}

TEST(HttpLimits, ConnectionsBeyondTheMaximumAreClosed) {
    ServerOptions o = quiet();
    o.limits.max_connections = 2;
    auto s = start_server(demo_router(), std::move(o));
    Client a{s.port};
    Client b{s.port};
    EXPECT_EQ(a.request("GET", "/hello").status, 200);
    EXPECT_EQ(b.request("GET", "/hello").status, 200);
    EXPECT_EQ(s.server->connection_count(), 2u);

    Client third{s.port};
    third.connect();  // the kernel accepts; the server closes at once
    EXPECT_TRUE(third.closed_by_peer(5s));
    EXPECT_GE(
        s.server->metrics().counter("inkan_http_connections_rejected_total", "", {"listener"}).value({"api"}),
        1);

    a.close();
    ASSERT_TRUE(eventually([&] { return s.server->connection_count() < 2; }));
    EXPECT_EQ(fetch(s.port, "GET", "/hello").status, 200);
    EXPECT_EQ(b.request("GET", "/hello").status, 200);  // the survivor is unaffected
}

TEST(HttpLimits, ARouteWithoutItsOwnLimitTakes64KiBAndABiggerContentLengthIsRefusedAtOnce) {
    // The default limit is the small one of unauthenticated routes; a route that takes documents
    // sets its own.
    Router r = demo_router();
    Route docs{"POST", "/documents",
               [](const Request& req) { return Response::text(200, std::to_string(req.body.size())); }};
    docs.max_body_bytes = 1024 * 1024;
    r.add(std::move(docs));
    auto s = start_server(std::move(r), quiet());
    EXPECT_EQ(Limits{}.max_body_bytes, 64u * 1024);

    Client c{s.port};
    EXPECT_EQ(c.request("POST", "/echo", std::string(64 * 1024, 'a')).status, 200);
    EXPECT_EQ(c.request("POST", "/echo", std::string(70 * 1024, 'a')).status, 413);

    // A Content-Length of 10 MB and a few bytes of body: the 413 comes from the header alone (the
    // client never sends the rest, so a server that waited for the body would never answer).
    Client liar{s.port};
    liar.send_raw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n{\"a\":");
    const auto refused = liar.read_response();
    EXPECT_EQ(refused.status, 413);
    EXPECT_FALSE(refused.keep_alive);

    const auto doc = fetch(s.port, "POST", "/documents", std::string(700 * 1024, 'd'));
    EXPECT_EQ(doc.status, 200);
    EXPECT_EQ(doc.body, std::to_string(700 * 1024));
}

namespace {

/// One GET /hello from 127.0.0.2 (another address on the loopback network): the status, or 0 when
/// the server closed the connection without an answer.
int hello_from_another_address(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(0x7f000002);  // 127.0.0.2
    sockaddr_in server{};
    server.sin_family = AF_INET;
    server.sin_port = htons(port);
    server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval timeout{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    int status = -1;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0 &&
        ::connect(fd, reinterpret_cast<sockaddr*>(&server), sizeof server) == 0) {
        const std::string request = "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size())) {
            std::string in;
            char buf[1024];
            for (;;) {
                const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
                if (n <= 0) {
                    break;
                }
                in.append(buf, static_cast<std::size_t>(n));
            }
            status = in.rfind("HTTP/1.1 ", 0) == 0 ? std::stoi(in.substr(9, 3)) : 0;
        }
    }
    ::close(fd);
    return status;
}

}  // namespace

TEST(HttpLimits, ConnectionsFromOneAddressAreCappedWhileOthersAreServed) {
    ServerOptions o = quiet();
    o.limits.max_connections_per_ip = 2;
    auto s = start_server(demo_router(), std::move(o));
    Client a{s.port};
    Client b{s.port};
    EXPECT_EQ(a.request("GET", "/hello").status, 200);
    EXPECT_EQ(b.request("GET", "/hello").status, 200);

    // A third connection from 127.0.0.1 is closed at once ...
    Client third{s.port};
    third.connect();
    EXPECT_TRUE(third.closed_by_peer(5s));
    EXPECT_GE(
        s.server->metrics().counter("inkan_http_connections_rejected_total", "", {"listener"}).value({"api"}),
        1);
    // ... while another address is served, and so are the first two.
    EXPECT_EQ(hello_from_another_address(s.port), 200);
    EXPECT_EQ(a.request("GET", "/hello").status, 200);
    // A slot given back is a slot for the same address again.
    b.close();
    ASSERT_TRUE(eventually([&] { return s.server->connection_count() <= 1; }));
    EXPECT_EQ(fetch(s.port, "GET", "/hello").status, 200);
}

TEST(HttpLimits, EachListenerHasItsOwnConnectionSlots) {
    ServerOptions o = quiet();
    o.limits.max_connections = 2;
    Server server{std::move(o)};
    ListenerConfig api;
    api.name = "api";
    api.router = demo_router();
    ListenerConfig pki;
    pki.name = "pki";
    pki.router = demo_router();
    const std::uint16_t api_port = server.add_listener(std::move(api));
    const std::uint16_t pki_port = server.add_listener(std::move(pki));
    server.start();
    // A flood that holds every slot of "api" ...
    Client a{api_port};
    Client b{api_port};
    EXPECT_EQ(a.request("GET", "/hello").status, 200);
    EXPECT_EQ(b.request("GET", "/hello").status, 200);
    Client third{api_port};
    third.connect();
    EXPECT_TRUE(third.closed_by_peer(5s));
    // ... leaves the other listener's slots alone.
    EXPECT_EQ(fetch(pki_port, "GET", "/hello").status, 200);
}

TEST(HttpLimits, ABodyTrickledBelowTheMinimumRateIsCutLongBeforeTheBodyTimeout) {
    ServerOptions o = quiet();
    o.limits.body_timeout = 600s;  // the rate rule, not the body timeout, must cut it
    o.limits.min_body_rate = 100;  // bytes per second
    o.limits.min_rate_grace = 300ms;
    auto s = start_server(demo_router(), std::move(o));

    // One byte every 100 ms is 10 bytes/s: a tenth of the minimum.
    Client slow{s.port};
    slow.send_raw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n");
    bool cut = false;
    for (int i = 0; i < 100 && !cut; ++i) {  // up to 10 s
        try {
            slow.send_raw("a");
        } catch (const std::exception&) {
            cut = true;
        }
        std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(cut || slow.closed_by_peer(5s));

    // A body that arrives at once is not affected, nor is the server.
    EXPECT_EQ(fetch(s.port, "POST", "/echo", std::string(1000, 'b')).status, 200);
}

TEST(HttpServer, MetricsCanBeLeftOffAListenerOrRequireAToken) {
    Server server{quiet()};
    ListenerConfig pub;
    pub.name = "public";
    pub.router = demo_router();
    pub.metrics_endpoint = false;
    ListenerConfig ops;
    ops.name = "ops";
    ops.router = Router{};
    ops.metrics_token = "scrape-secret";
    const std::uint16_t pub_port = server.add_listener(std::move(pub));
    const std::uint16_t ops_port = server.add_listener(std::move(ops));
    server.start();

    EXPECT_EQ(fetch(pub_port, "GET", "/metrics").status, 404);
    EXPECT_EQ(fetch(pub_port, "GET", "/healthz").status, 200);
    EXPECT_EQ(fetch(ops_port, "GET", "/metrics").status, 401);
    EXPECT_EQ(fetch(ops_port, "GET", "/metrics", {}, {{"Authorization", "Bearer scrape-secreT"}}).status,
              401);
    const auto ok = fetch(ops_port, "GET", "/metrics", {}, {{"Authorization", "Bearer scrape-secret"}});
    EXPECT_EQ(ok.status, 200);
    EXPECT_NE(ok.body.find("inkan_http_requests_total"), std::string::npos);
}

TEST(HttpServer, SixtyFourConcurrentClients) {
    ServerOptions o = quiet();
    o.io_threads = 2;
    auto s = start_server(demo_router(), std::move(o));
    constexpr int kClients = 64;
    constexpr int kRequests = 25;
    std::atomic<int> ok{0};
    std::atomic<int> reused{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kClients; ++t) {
        threads.emplace_back([&, t] {
            try {
                Client c{s.port};
                for (int i = 0; i < kRequests; ++i) {
                    const std::string body = "client " + std::to_string(t) + " request " + std::to_string(i);
                    const auto r = c.request("POST", "/echo", body);
                    if (r.status == 200 && r.body == body) {
                        ++ok;
                    }
                }
                if (c.connects() == 1) {
                    ++reused;
                }
            } catch (const std::exception& e) {
                ADD_FAILURE() << "client " << t << ": " << e.what();
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(ok.load(), kClients * kRequests);
    EXPECT_EQ(reused.load(), kClients);
}

// ---- draining ----

TEST(HttpDrain, StopFinishesInFlightRequestsAndRefusesNewConnections) {
    std::promise<void> entered;
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    Router r = demo_router();
    r.get("/slow", [&](const Request&) {
        entered.set_value();
        released.wait();
        return Response::text(200, "finished");
    });
    ServerOptions o = quiet();
    o.limits.drain_timeout = 30s;
    auto s = start_server(std::move(r), std::move(o));

    auto in_flight = std::async(std::launch::async, [&] { return fetch(s.port, "GET", "/slow"); });
    entered.get_future().wait();
    Client idle{s.port};
    EXPECT_EQ(idle.request("GET", "/hello").status, 200);

    std::jthread stopper{[&] { s.server->stop(); }};
    // New connections are refused while the slow request is still running ...
    EXPECT_TRUE(eventually([&] { return testing::connection_refused(s.port); }));
    // ... idle keep-alive connections are closed ...
    EXPECT_TRUE(idle.closed_by_peer(5s));
    // ... and the request in flight completes.
    release.set_value();
    const auto res = in_flight.get();
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.body, "finished");
    EXPECT_FALSE(res.keep_alive);
    stopper.join();
    EXPECT_FALSE(s.server->running());
    EXPECT_EQ(s.server->connection_count(), 0u);
    EXPECT_TRUE(testing::connection_refused(s.port));
}

TEST(HttpDrain, AHeaderUnderWayIsServedAndReadinessSaysDraining) {
    auto s = start_server(demo_router(), quiet());
    Client probe{s.port};
    EXPECT_EQ(probe.request("GET", "/readyz").status, 200);
    // Half a header is a request under way: drain lets it finish (within the header timeout).
    probe.send_raw("GET /readyz HTTP/1.1\r\nHost: x\r\n");
    // Nothing observable says the server has read those bytes; give it a moment (on a loaded
    // machine a late read only turns this into "closed as idle", which fails loudly below).
    std::this_thread::sleep_for(200ms);
    std::jthread stopper{[&] { s.server->stop(); }};
    ASSERT_TRUE(eventually([&] { return testing::connection_refused(s.port); }));
    probe.send_raw("\r\n");
    const auto res = probe.read_response();
    EXPECT_EQ(res.status, 503);
    EXPECT_EQ(res.body, R"({"status":"draining"})");
    EXPECT_FALSE(res.keep_alive);
    probe.close();
    stopper.join();
}

TEST(HttpDrain, RunUntilSignalDrainsOnSigterm) {
    LogCapture logs;
    Server server{quiet()};
    ListenerConfig l;
    l.router = demo_router();
    const auto port = server.add_listener(std::move(l));
    std::jthread serving{[&] { server.run_until_signal(); }};
    ASSERT_TRUE(eventually([&] { return server.running(); }));
    EXPECT_EQ(fetch(port, "GET", "/hello").status, 200);
    ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
    serving.join();
    EXPECT_FALSE(server.running());
    EXPECT_TRUE(testing::connection_refused(port));
    EXPECT_FALSE(logs.matching({"signal received", "\"signal\":15"}).empty());
}

TEST(HttpDrain, StopWithoutStartAndTwiceIsHarmless) {
    Server never{quiet()};
    ListenerConfig l;
    static_cast<void>(never.add_listener(std::move(l)));
    never.stop();
    auto s = start_server(demo_router(), quiet());
    s.server->stop();
    s.server->stop();
    EXPECT_THROW(s.server->start(), Error);
}

}  // namespace
}  // namespace inkan::http
