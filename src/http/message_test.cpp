#include <inkan/http/message.h>

#include <set>

#include <gtest/gtest.h>

#include <inkan/core/error.h>
#include <inkan/http/server.h>

namespace inkan::http {
namespace {

TEST(HttpHeaders, LookupIsCaseInsensitiveAndKeepsOrder) {
    Headers h;
    h.add("Content-Type", "application/json");
    h.add("X-Multi", "a");
    h.add("x-multi", "b");
    EXPECT_EQ(h.get("content-type"), "application/json");
    EXPECT_EQ(h.get("CONTENT-TYPE"), "application/json");
    EXPECT_FALSE(h.get("Content-Length").has_value());
    ASSERT_EQ(h.get_all("X-MULTI").size(), 2u);
    EXPECT_EQ(h.get_all("X-MULTI")[0], "a");
    EXPECT_EQ(h.get_all("X-MULTI")[1], "b");
    h.set("X-Multi", "c");
    EXPECT_EQ(h.get_all("x-multi").size(), 1u);
    EXPECT_EQ(h.get("x-multi"), "c");
    h.erase("X-MULTI");
    EXPECT_FALSE(h.contains("x-multi"));
}

TEST(HttpTarget, SplitsAndDecodesPathAndQuery) {
    const auto t = parse_target("/a%20b/c?x=1&y=%3D+z&x=2&flag&&=v");
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->path, "/a b/c");
    EXPECT_EQ(t->query.count("x"), 2u);
    EXPECT_EQ(t->query.find("y")->second, "= z");
    EXPECT_EQ(t->query.find("flag")->second, "");
    EXPECT_EQ(t->query.find("")->second, "v");
}

TEST(HttpTarget, PlusIsLiteralInThePath) {
    // Base64 in an OCSP GET path keeps its '+'.
    const auto t = parse_target("/ocsp/MEow+SDBG%2FMEQw");
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->path, "/ocsp/MEow+SDBG/MEQw");
}

TEST(HttpTarget, RefusesMalformedTargets) {
    EXPECT_FALSE(parse_target("").has_value());
    EXPECT_FALSE(parse_target("http://example.com/").has_value());
    EXPECT_FALSE(parse_target("/a%zz").has_value());
    EXPECT_FALSE(parse_target("/a%4").has_value());
    EXPECT_FALSE(parse_target("/a%00b").has_value());
    EXPECT_FALSE(parse_target("/a?x=%G1").has_value());
}

TEST(HttpRequestId, AcceptsOnlyShortSafeIds) {
    EXPECT_TRUE(is_valid_request_id("abc-DEF_1.2"));
    EXPECT_TRUE(is_valid_request_id(std::string(64, 'a')));
    EXPECT_FALSE(is_valid_request_id(std::string(65, 'a')));
    EXPECT_FALSE(is_valid_request_id(""));
    EXPECT_FALSE(is_valid_request_id("a b"));
    EXPECT_FALSE(is_valid_request_id("a\r\nX-Injected: 1"));
    EXPECT_FALSE(is_valid_request_id("é"));
}

TEST(HttpRequestId, GeneratedIdsAreUniqueAndValid) {
    std::set<std::string> ids;
    for (int i = 0; i < 1000; ++i) {
        const auto id = new_request_id();
        EXPECT_EQ(id.size(), 32u);
        EXPECT_TRUE(is_valid_request_id(id));
        ids.insert(id);
    }
    EXPECT_EQ(ids.size(), 1000u);
}

TEST(HttpResponse, HelpersSetContentType) {
    const auto j = Response::json(201, R"({"a":1})");
    EXPECT_EQ(j.status, 201);
    EXPECT_EQ(j.content_type, "application/json");
    EXPECT_EQ(j.body, R"({"a":1})");
    EXPECT_EQ(Response::text(200, "x").content_type, "text/plain; charset=utf-8");
    EXPECT_EQ(Response::binary(200, "application/pkix-crl", "der").content_type, "application/pkix-crl");
}

TEST(HttpDefaultErrorResponse, MapsCodesWithoutTheDetail) {
    struct Case {
        Errc code;
        int status;
        std::string error;
    };
    const Case cases[] = {
        {Errc::InvalidRequest, 400, "invalid_request"},
        {Errc::InvalidEncoding, 400, "invalid_request"},
        {Errc::Unauthenticated, 401, "invalid_token"},
        {Errc::Forbidden, 403, "access_denied"},
        {Errc::NotFound, 404, "not_found"},
        {Errc::Conflict, 409, "conflict"},
        {Errc::PayloadTooLarge, 413, "invalid_request"},
        {Errc::Internal, 500, "server_error"},
        {Errc::HsmFailure, 500, "server_error"},
        {Errc::StorageFailure, 503, "temporarily_unavailable"},
        {Errc::HsmUnavailable, 503, "temporarily_unavailable"},
        {Errc::Unavailable, 503, "temporarily_unavailable"},
    };
    for (const auto& c : cases) {
        const auto r = default_error_response(Error{c.code, "CKR_DEVICE_ERROR in slot 7 SECRET-DETAIL"});
        EXPECT_EQ(r.status, c.status) << errc_name(c.code);
        EXPECT_EQ(r.content_type, "application/json");
        EXPECT_NE(r.body.find("\"error\":\"" + c.error + "\""), std::string::npos) << r.body;
        EXPECT_EQ(r.body.find("SECRET-DETAIL"), std::string::npos) << r.body;
    }
}

}  // namespace
}  // namespace inkan::http
