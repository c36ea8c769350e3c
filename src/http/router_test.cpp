#include <inkan/http/router.h>

#include <gtest/gtest.h>

#include <inkan/core/error.h>

namespace inkan::http {
namespace {

Handler answer(std::string text) {
    return [text = std::move(text)](const Request&) { return Response::text(200, text); };
}

Router sample() {
    Router r;
    r.get("/healthz", answer("health"), Execution::Inline);
    r.post("/csc/v2/info", answer("info-post"));
    r.get("/csc/v2/info", answer("info-get"));
    r.add(Route{"GET", "/crl/", answer("crl"), Match::Prefix});
    r.add(Route{"GET", "/crl/special/", answer("special"), Match::Prefix});
    r.add(Route{"POST", "/ocsp", answer("ocsp-post")});
    r.add(Route{"GET", "/ocsp/", answer("ocsp-get"), Match::Prefix});
    return r;
}

std::string run(const Router::Resolution& res) {
    return res.route->handler(Request{}).body;
}

TEST(HttpRouter, ResolvesExactRoutesByMethod) {
    const Router r = sample();
    auto res = r.resolve("POST", "/csc/v2/info");
    ASSERT_EQ(res.kind, Router::Resolution::Kind::Found);
    EXPECT_EQ(run(res), "info-post");
    EXPECT_EQ(res.pattern, "/csc/v2/info");
    res = r.resolve("GET", "/csc/v2/info");
    ASSERT_EQ(res.kind, Router::Resolution::Kind::Found);
    EXPECT_EQ(run(res), "info-get");
    EXPECT_EQ(res.route->execution, Execution::Worker);
    EXPECT_EQ(r.resolve("GET", "/healthz").route->execution, Execution::Inline);
}

TEST(HttpRouter, PrefixRoutesGiveTheTailAndTheLongestPrefixWins) {
    const Router r = sample();
    auto res = r.resolve("GET", "/crl/issuing-ca.crl");
    ASSERT_EQ(res.kind, Router::Resolution::Kind::Found);
    EXPECT_EQ(run(res), "crl");
    EXPECT_EQ(res.tail, "issuing-ca.crl");
    EXPECT_EQ(res.pattern, "/crl/*");
    res = r.resolve("GET", "/crl/special/x.crl");
    ASSERT_EQ(res.kind, Router::Resolution::Kind::Found);
    EXPECT_EQ(run(res), "special");
    EXPECT_EQ(res.tail, "x.crl");
    // The prefix alone is not a match: there must be a tail.
    EXPECT_EQ(r.resolve("GET", "/crl/").kind, Router::Resolution::Kind::NotFound);
    // An exact route and a prefix route can share a stem.
    EXPECT_EQ(run(r.resolve("POST", "/ocsp")), "ocsp-post");
    EXPECT_EQ(run(r.resolve("GET", "/ocsp/MEowSDBGMEQw")), "ocsp-get");
}

TEST(HttpRouter, EmptySegmentsReachAnExactRouteButNeverRewriteAPrefixTail) {
    const Router r = sample();
    // A base URL with a trailing slash + "/credentials/list".
    auto res = r.resolve("POST", "/csc/v2//info");
    ASSERT_EQ(res.kind, Router::Resolution::Kind::Found);
    EXPECT_EQ(run(res), "info-post");
    EXPECT_EQ(res.pattern, "/csc/v2/info");
    EXPECT_EQ(run(r.resolve("GET", "//csc///v2/info")), "info-get");
    EXPECT_EQ(r.resolve("DELETE", "/csc//v2/info").kind, Router::Resolution::Kind::MethodNotAllowed);
    // An OCSP GET's base64 keeps its "//".
    res = r.resolve("GET", "/ocsp/MEow//SDBG");
    ASSERT_EQ(res.kind, Router::Resolution::Kind::Found);
    EXPECT_EQ(res.tail, "MEow//SDBG");
    EXPECT_EQ(r.resolve("GET", "/nope//").kind, Router::Resolution::Kind::NotFound);
}

TEST(HttpRouter, UnknownPathIsNotFoundAndWrongMethodListsAllow) {
    const Router r = sample();
    const auto nf = r.resolve("GET", "/nope");
    EXPECT_EQ(nf.kind, Router::Resolution::Kind::NotFound);
    EXPECT_EQ(nf.pattern, "unmatched");
    const auto na = r.resolve("DELETE", "/csc/v2/info");
    EXPECT_EQ(na.kind, Router::Resolution::Kind::MethodNotAllowed);
    EXPECT_EQ(na.allow, "GET, POST");
    EXPECT_EQ(na.pattern, "/csc/v2/info");
    const auto np = r.resolve("POST", "/crl/a.crl");
    EXPECT_EQ(np.kind, Router::Resolution::Kind::MethodNotAllowed);
    EXPECT_EQ(np.allow, "GET");
    // Methods are case-sensitive (RFC 9110 §9.1).
    EXPECT_EQ(r.resolve("get", "/healthz").kind, Router::Resolution::Kind::MethodNotAllowed);
}

TEST(HttpRouter, ListsRoutesInOrder) {
    const auto routes = sample().routes();
    ASSERT_EQ(routes.size(), 7u);
    EXPECT_EQ(routes[0].method, "GET");
    EXPECT_EQ(routes[0].path, "/healthz");
    EXPECT_EQ(routes[3].match, Match::Prefix);
    EXPECT_EQ(routes[3].pattern(), "/crl/*");
}

TEST(HttpRouter, RefusesBadRoutes) {
    Router r;
    r.get("/a", answer("a"));
    EXPECT_THROW(r.get("/a", answer("again")), Error);
    EXPECT_THROW(r.get("a", answer("no slash")), Error);
    EXPECT_THROW(r.add(Route{"GET", "/p", answer("p"), Match::Prefix}), Error);
    EXPECT_THROW(r.add(Route{"", "/m", answer("m")}), Error);
    EXPECT_THROW(r.add(Route{"GET", "/h", Handler{}}), Error);
    EXPECT_NO_THROW(r.post("/a", answer("other method")));
}

}  // namespace
}  // namespace inkan::http
