// The one Errc -> CSC wire mapping, and the error body's form.

#include <inkan/api/errors.h>

#include <array>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace inkan::api {
namespace {

using Json = nlohmann::json;

struct Expected {
    Errc code;
    int status;
    const char* error;
};

// docs/errors.md, CSC column, as the api issue fixes it. Every Errc is listed.
constexpr std::array<Expected, 18> kTable{{
    {Errc::InvalidRequest, 400, "invalid_request"},
    {Errc::InvalidEncoding, 400, "invalid_request"},
    {Errc::Unauthenticated, 401, "invalid_token"},
    {Errc::Forbidden, 403, "access_denied"},
    {Errc::NotFound, 400, "invalid_request"},
    {Errc::InvalidAuthData, 400, "invalid_request"},
    {Errc::Locked, 400, "invalid_request"},
    {Errc::Conflict, 400, "invalid_request"},
    {Errc::PayloadTooLarge, 413, "invalid_request"},
    {Errc::UnsupportedAlgorithm, 400, "invalid_request"},
    {Errc::Internal, 500, "server_error"},
    {Errc::InvalidConfig, 500, "server_error"},
    {Errc::HsmUnavailable, 503, "temporarily_unavailable"},
    {Errc::HsmFailure, 500, "server_error"},
    {Errc::CryptoFailure, 500, "server_error"},
    {Errc::StorageFailure, 503, "temporarily_unavailable"},
    {Errc::IoFailure, 500, "server_error"},
    {Errc::Unavailable, 503, "temporarily_unavailable"},
}};

TEST(CscErrors, EveryErrcMapsToItsStatusAndCscErrorWithoutTheInternalDetail) {
    for (const auto& e : kTable) {
        const http::Response r = to_csc_error(Error{e.code, "detail-with-secret-looking-text /etc/x CKR_42"});
        SCOPED_TRACE(std::string{errc_name(e.code)});
        EXPECT_EQ(r.status, e.status);
        EXPECT_EQ(r.content_type, "application/json");
        const Json body = Json::parse(r.body);
        ASSERT_TRUE(body.is_object()) << r.body;
        EXPECT_EQ(body.size(), 2U) << r.body;
        EXPECT_EQ(body.at("error"), e.error);
        ASSERT_TRUE(body.at("error_description").is_string());
        EXPECT_FALSE(body.at("error_description").get<std::string>().empty());
        EXPECT_EQ(r.body.find("detail-with-secret"), std::string::npos) << r.body;
    }
}

TEST(CscErrors, UnauthenticatedCarriesABearerChallenge) {
    const http::Response r = to_csc_error(Error{Errc::Unauthenticated, "access token abc is revoked"});
    EXPECT_EQ(r.headers.get("WWW-Authenticate"), R"(Bearer error="invalid_token")");
    EXPECT_FALSE(to_csc_error(Error{Errc::InvalidRequest, "x"}).headers.contains("WWW-Authenticate"));
}

TEST(CscErrors, ServerSideCodesDoNotSayWhatBroke) {
    EXPECT_EQ(to_csc_error(Error{Errc::HsmFailure, "CKR_DEVICE_ERROR"}).body,
              to_csc_error(Error{Errc::CryptoFailure, "EVP_PKEY_sign"}).body);
}

TEST(CscErrors, TheBodyIsEscapedJsonWithExactlyErrorAndDescription) {
    const http::Response r = csc_error(400, "invalid_request", "Duplicate parameter a\"b\\c\n");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.body, R"({"error":"invalid_request","error_description":"Duplicate parameter a\"b\\c\n"})");
}

TEST(CscErrors, InvalidUtf8InADescriptionIsReplacedNotThrown) {
    const http::Response r = csc_error(400, "invalid_request", "Duplicate parameter \xE3\x81");
    EXPECT_FALSE(Json::parse(r.body, nullptr, false).is_discarded()) << r.body;
}

}  // namespace
}  // namespace inkan::api
