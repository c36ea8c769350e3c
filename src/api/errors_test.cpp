// The one Errc -> CSC wire mapping, and the error body's form.

#include <inkan/api/errors.h>

#include <array>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/http/server.h>
#include <inkan/tsp/codec.h>

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

/// The cells of docs/errors.md's Errc table, by the Errc's name in its first column.
std::map<std::string, std::vector<std::string>> documented_rows() {
    std::ifstream in{INKAN_SOURCE_DIR "/docs/errors.md"};
    std::map<std::string, std::vector<std::string>> rows;
    std::string line;
    while (std::getline(in, line)) {
        if (!line.starts_with("| ")) {
            continue;
        }
        std::vector<std::string> cells;
        std::stringstream cut{line.substr(2)};
        std::string cell;
        while (std::getline(cut, cell, '|')) {
            const auto b = cell.find_first_not_of(' ');
            const auto e = cell.find_last_not_of(' ');
            cells.push_back(b == std::string::npos ? std::string{} : cell.substr(b, e - b + 1));
        }
        if (cells.size() == 8) {
            rows[cells[0]] = cells;
        }
    }
    return rows;
}

/// The enumerator's spelling of an errc_name ("invalid_auth_data" → "InvalidAuthData"): the table's first
/// column.
std::string enumerator_of(std::string_view snake) {
    std::string out;
    bool upper = true;
    for (const char c : snake) {
        if (c == '_') {
            upper = true;
            continue;
        }
        out += upper ? static_cast<char>(c - 'a' + 'A') : c;
        upper = false;
    }
    return out;
}

/// The first word of a cell ("invalid_request (CSC names ..." → "invalid_request").
std::string first_word(const std::string& cell) {
    return cell.substr(0, cell.find_first_of(" ;:("));
}

// Issue 22: one place to read what a client sees for each failure. The table in docs/errors.md is
// checked cell by cell against the two tables the code answers from (the CSC/OAuth routes' and every
// other route's), so neither can change without the other.
TEST(CscErrors, TheTableInDocsErrorsMdIsTheCodesTable) {
    const auto rows = documented_rows();
    ASSERT_FALSE(rows.empty()) << "no Errc table found in docs/errors.md";
    for (const Errc code : kAllErrc) {
        const std::string name = enumerator_of(errc_name(code));
        const auto row = rows.find(name);
        ASSERT_NE(row, rows.end()) << name << " has no row in docs/errors.md";
        const auto& cells = row->second;
        const http::ErrorWire csc = csc_error_wire(code);
        const http::ErrorWire other = http::default_error_wire(code);
        EXPECT_EQ(cells[1], errc_name(code)) << name;
        EXPECT_EQ(cells[3], std::to_string(csc.status)) << name << ": HTTP (CSC, OAuth)";
        EXPECT_EQ(first_word(cells[4]), csc.error) << name << ": CSC error, documented \"" << cells[4] << '"';
        EXPECT_EQ(cells[5], std::to_string(other.status) + " " + std::string{other.error})
            << name << ": other routes";
        const auto fail_info = tsp::fail_info_for(code);
        EXPECT_EQ(cells[6], fail_info ? std::string{tsp::name(*fail_info)} : std::string{"—"})
            << name << ": RFC 3161 failInfo";
        // And what the mappers send is the row.
        const http::Response sent = to_csc_error(Error{code, "x"});
        EXPECT_EQ(sent.status, csc.status) << name;
        const http::Response elsewhere = http::default_error_response(Error{code, "x"});
        EXPECT_EQ(elsewhere.status, other.status) << name;
        EXPECT_EQ(Json::parse(elsewhere.body).at("error"), other.error) << name;
    }
    EXPECT_EQ(rows.size(), kAllErrc.size() + 1) << "rows in the table besides the Errc ones and the header";
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
