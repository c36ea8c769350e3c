// The HTTP client against tiny local servers: status, body, basic auth on the wire, timeouts,
// refused connections, garbage, size limits.

#include <gtest/gtest.h>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/net/client.h>
#include <inkan/testing/tiny_http.h>

namespace {

using inkan::Errc;
using inkan::testing::TinyHttpServer;
using inkan::testing::TinyRequest;
using inkan::testing::TinyResponse;

Errc error_of(const std::function<void()>& f, std::string* message = nullptr) {
    try {
        f();
    } catch (const inkan::Error& e) {
        if (message != nullptr) {
            *message = e.what();
        }
        return e.code();
    }
    ADD_FAILURE() << "no error";
    return Errc::Internal;
}

TEST(NetClient, PostsTheBodyAndReturnsStatusTypeAndBody) {
    std::string seen_body;
    std::string seen_head;
    TinyHttpServer server{[&](const TinyRequest& r) {
        seen_body = r.body;
        seen_head = r.head;
        return TinyResponse{201, "application/x-test; charset=x", "pong"};
    }};
    inkan::net::RequestOptions options;
    options.basic_auth = inkan::net::BasicAuth{"alice", inkan::Secret{std::string_view{"s3cret"}}};
    const auto r =
        inkan::net::post(server.url("/tsa"), "application/timestamp-query", inkan::as_bytes("ping"), options);
    EXPECT_EQ(r.status, 201);
    EXPECT_EQ(r.content_type, "application/x-test");
    EXPECT_EQ(inkan::to_string(r.body), "pong");
    EXPECT_EQ(seen_body, "ping");
    EXPECT_NE(seen_head.find("POST /tsa HTTP/1.1"), std::string::npos) << seen_head;
    const std::string expected_auth = "Basic " + inkan::base64_encode(inkan::as_bytes("alice:s3cret"));
    EXPECT_NE(seen_head.find(expected_auth), std::string::npos) << seen_head;
}

TEST(NetClient, AClosedPortIsUnavailableAndTheMessageNamesTheHostNotTheCredentials) {
    const auto port = TinyHttpServer::closed_port();
    inkan::net::RequestOptions options;
    options.basic_auth = inkan::net::BasicAuth{"alice", inkan::Secret{std::string_view{"s3cret"}}};
    std::string message;
    EXPECT_EQ(
        error_of([&] { (void)inkan::net::get("http://127.0.0.1:" + std::to_string(port) + "/", options); },
                 &message),
        Errc::Unavailable);
    EXPECT_NE(message.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << message;
    EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
}

TEST(NetClient, AServerThatNeverAnswersTimesOut) {
    TinyHttpServer server{{}, TinyHttpServer::Mode::Hang};
    inkan::net::RequestOptions options;
    options.timeout = std::chrono::milliseconds{300};
    std::string message;
    EXPECT_EQ(error_of([&] { (void)inkan::net::get(server.url(), options); }, &message), Errc::Unavailable);
    EXPECT_NE(message.find("timed out"), std::string::npos) << message;
}

TEST(NetClient, GarbageInsteadOfHttpIsUnavailable) {
    TinyHttpServer server{{}, TinyHttpServer::Mode::Garbage};
    EXPECT_EQ(error_of([&] { (void)inkan::net::get(server.url()); }), Errc::Unavailable);
}

TEST(NetClient, AResponseOverTheLimitIsRefused) {
    TinyHttpServer server{[](const TinyRequest&) {
        return TinyResponse{200, "text/plain", std::string(5000, 'x')};
    }};
    inkan::net::RequestOptions options;
    options.max_response_bytes = 1000;
    std::string message;
    EXPECT_EQ(error_of([&] { (void)inkan::net::get(server.url(), options); }, &message), Errc::Unavailable);
    EXPECT_NE(message.find("larger than 1000"), std::string::npos) << message;
}

TEST(NetClient, UrlsWithCredentialsOrOtherSchemesAreRefused) {
    EXPECT_EQ(error_of([] { (void)inkan::net::Url::parse("http://user:pw@host/"); }), Errc::InvalidRequest);
    EXPECT_EQ(error_of([] { (void)inkan::net::Url::parse("ftp://host/"); }), Errc::InvalidRequest);
    const auto u = inkan::net::Url::parse("https://[::1]:8443/x?y=1");
    EXPECT_EQ(u.host, "::1");
    EXPECT_EQ(u.port, 8443);
    EXPECT_EQ(u.target, "/x?y=1");
    EXPECT_EQ(inkan::net::Url::parse("http://h").target, "/");
}

TEST(NetClient, GoesThroughAnHttpProxyInAbsoluteForm) {
    std::string seen_head;
    TinyHttpServer proxy{[&](const TinyRequest& r) {
        seen_head = r.head;
        return TinyResponse{200, "text/plain", "via proxy"};
    }};
    inkan::net::RequestOptions options;
    options.proxy = proxy.url("");
    const auto r = inkan::net::get("http://tsa.invalid:8080/tsa", options);
    EXPECT_EQ(inkan::to_string(r.body), "via proxy");
    EXPECT_NE(seen_head.find("GET http://tsa.invalid:8080/tsa HTTP/1.1"), std::string::npos) << seen_head;
}

}  // namespace
