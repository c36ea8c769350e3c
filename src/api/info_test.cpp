// info (v1 and v2): POST {} / empty body / GET, exact methods, v2 signAlgorithms.

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <inkan/crypto/algorithms.h>
#include <inkan/crypto/der.h>

#include "test_env.h"

namespace inkan::api {
namespace {

using testing::body_of;
using testing::CscEnv;
using testing::Json;

constexpr Version kVersions[] = {Version::V1, Version::V2};

// RSASSA-PSS-params for SHA-256 / MGF1-SHA-256 / salt 32, as ../shared/reference/csc-api.md §6.1 gives
// it (checked there with openssl asn1parse).
constexpr std::string_view kPssSha256Params =
    "MDSgDzANBglghkgBZQMEAgEFAKEcMBoGCSqGSIb3DQEBCDANBglghkgBZQMEAgEFAKIDAgEg";

class InfoTest : public ::testing::Test {
protected:
    CscEnv env;
};

TEST_F(InfoTest, AnswersPostWithAnEmptyObjectAnEmptyBodyAndGetAlike) {
    for (const Version v : kVersions) {
        SCOPED_TRACE(std::string{name(v)});
        const http::Response with_object = env.post(v, "info", "{}");
        const http::Response empty = env.post(v, "info", "");
        const http::Response get = env.call("GET", CscEnv::path(v, "info"));
        EXPECT_EQ(with_object.status, 200) << with_object.body;
        EXPECT_EQ(with_object.content_type, "application/json");
        EXPECT_EQ(empty.status, 200) << empty.body;
        EXPECT_EQ(get.status, 200) << get.body;
        EXPECT_EQ(empty.body, with_object.body);
        EXPECT_EQ(get.body, with_object.body);
    }
}

TEST_F(InfoTest, NeedsNoAuthentication) {
    const http::Response r =
        env.call("POST", CscEnv::path(Version::V2, "info"), "{}", {{"Authorization", "Bearer not-a-token"}});
    EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(InfoTest, MethodsAreExactlyTheRegisteredRoutesOfThatVersion) {
    const std::vector<http::RouteInfo> routes = env.router.routes();
    for (const Version v : kVersions) {
        SCOPED_TRACE(std::string{name(v)});
        const std::string prefix = "/csc/" + std::string{name(v)} + "/";
        std::set<std::string> routed;
        for (const auto& r : routes) {
            // The prefix route is the 501 for methods inkan does not offer: not a method.
            if (r.path.starts_with(prefix) && r.match == http::Match::Exact) {
                routed.insert(r.path.substr(prefix.size()));
            }
        }
        const Json info = body_of(env.post(v, "info", "{}"));
        const auto methods = info.at("methods").get<std::vector<std::string>>();
        const std::set<std::string> listed(methods.begin(), methods.end());
        EXPECT_EQ(listed.size(), methods.size()) << "no method twice: " << info.at("methods");
        EXPECT_EQ(listed, routed);
        // The test service offers no async operations and no out-of-band approval.
        EXPECT_EQ(methods, csc_methods(v, false, false));
        for (const char* m : {"info", "auth/login", "auth/revoke", "credentials/list", "credentials/info"}) {
            EXPECT_TRUE(listed.contains(m)) << m;
        }
    }
}

TEST_F(InfoTest, CscRoutesListsWhatTheRouterHolds) {
    const auto registered = env.router.routes();
    // The test service has no AsyncOperations and no out-of-band approval, so neither signPolling nor
    // authorizeCheck is registered (their 501 is the prefix's), nor the approval page.
    auto listed = csc_routes();
    std::erase_if(listed, [](const http::RouteInfo& r) {
        return r.path.ends_with("/signatures/signPolling") ||
               r.path.ends_with("/credentials/authorizeCheck") || r.path == kApprovalPath;
    });
    ASSERT_EQ(listed.size(), registered.size());
    for (std::size_t i = 0; i < listed.size(); ++i) {
        EXPECT_EQ(listed[i].method, registered[i].method) << i;
        EXPECT_EQ(listed[i].path, registered[i].path) << i;
        EXPECT_EQ(listed[i].match, registered[i].match) << i;
        EXPECT_EQ(listed[i].execution, registered[i].execution) << i;
        // Only the 501 answer (no store, no HSM) runs on the I/O thread.
        EXPECT_EQ(registered[i].execution == http::Execution::Inline,
                  registered[i].match == http::Match::Prefix && registered[i].path.starts_with("/csc/"))
            << registered[i].path;
    }
    EXPECT_TRUE(env.router.has("GET", "/csc/v1/info"));
    EXPECT_TRUE(env.router.has("GET", "/csc/v2/info"));
    EXPECT_FALSE(env.router.has("GET", "/csc/v1/credentials/list"));
}

TEST_F(InfoTest, AMethodInkanDoesNotOfferIs501WithACscErrorBody) {
    const std::string token = [&] {
        (void)env.add_user("alice");
        return env.login("alice");
    }();
    const std::vector<std::pair<Version, std::string>> missing{
        {Version::V1, "credentials/sendOTP"},        {Version::V2, "signatures/signPolling"},
        {Version::V2, "credentials/authorizeCheck"}, {Version::V2, "credentials/sendOTP"},
        {Version::V1, "signatures/signDoc"},         {Version::V2, "no/such/method"}};
    for (const auto& [v, method] : missing) {
        SCOPED_TRACE(std::string{name(v)} + " " + method);
        for (const char* http_method : {"POST", "GET"}) {
            const http::Response r =
                env.call(http_method, CscEnv::path(v, method), "{}",
                         {{"Content-Type", "application/json"}, {"Authorization", testing::bearer(token)}});
            EXPECT_EQ(r.status, 501) << r.body;
            EXPECT_EQ(r.content_type, "application/json") << r.body;
            EXPECT_EQ(
                body_of(r),
                (Json{{"error", "not_implemented_method"},
                      {"error_description",
                       "This method is not implemented by this service; info lists the methods it offers"}}));
        }
    }
    // An offered method with the wrong HTTP method is still 405, not 501.
    EXPECT_EQ(env.router.resolve("GET", "/csc/v2/credentials/list").kind,
              http::Router::Resolution::Kind::MethodNotAllowed);
}

TEST_F(InfoTest, ABaseUrlWithATrailingSlashStillReachesEachMethod) {
    (void)env.add_user("alice");
    const std::string token = env.login("alice");
    for (const Version v : kVersions) {
        const std::string base = "/csc/" + std::string{name(v)} + "/";
        // base + "/" + method, as a client joining "https://host/csc/v2/" and "/credentials/list" sends it.
        const http::Response list =
            env.call("POST", base + "/credentials/list", "{}",
                     {{"Content-Type", "application/json"}, {"Authorization", testing::bearer(token)}});
        EXPECT_EQ(list.status, 200) << list.body;
        EXPECT_TRUE(body_of(list).contains("credentialIDs")) << list.body;
        const http::Response info = env.call("GET", "/" + base + "/info");
        EXPECT_EQ(info.status, 200) << info.body;
        EXPECT_EQ(body_of(info).at("methods"), body_of(env.post(v, "info", "{}")).at("methods"));
    }
}

TEST_F(InfoTest, V1HasTheV1FieldsOnly) {
    const Json info = body_of(env.post(Version::V1, "info", "{}"));
    EXPECT_EQ(info.at("specs"), "1.0.4.0");
    for (const char* field : {"name", "logo", "region", "lang", "description"}) {
        ASSERT_TRUE(info.contains(field)) << field;
        EXPECT_TRUE(info.at(field).is_string()) << field;
        EXPECT_FALSE(info.at(field).get<std::string>().empty()) << field;
    }
    EXPECT_EQ(info.at("region"), "JP");
    EXPECT_EQ(info.at("lang"), "en-US");
    EXPECT_EQ(info.at("authType"), Json::array({"basic"}));
    EXPECT_FALSE(info.contains("signAlgorithms"));
    EXPECT_FALSE(info.contains("oauth2"));
}

TEST_F(InfoTest, TheDefaultLogoIsASmallPngDataUri) {
    const std::string logo = body_of(env.post(Version::V1, "info", "{}")).at("logo");
    const std::string prefix = "data:image/png;base64,";
    ASSERT_TRUE(logo.starts_with(prefix)) << logo;
    const Bytes png = base64_decode(logo.substr(prefix.size()));
    ASSERT_GE(png.size(), 24U);
    EXPECT_EQ(to_string(ByteView{png}.first(8)), "\x89PNG\r\n\x1a\n");
    const auto be32 = [&](std::size_t at) {
        return (std::uint32_t{png[at]} << 24) | (std::uint32_t{png[at + 1]} << 16) |
               (std::uint32_t{png[at + 2]} << 8) | std::uint32_t{png[at + 3]};
    };
    EXPECT_LE(be32(16), 256U) << "width";
    EXPECT_LE(be32(20), 256U) << "height";
}

TEST_F(InfoTest, V2ListsTheSignersAlgorithmsWithPssParametersByPosition) {
    const Json info = body_of(env.post(Version::V2, "info", "{}"));
    EXPECT_EQ(info.at("specs"), "2.0.0.2");
    const Json& sign = info.at("signAlgorithms");
    const auto algos = sign.at("algos").get<std::vector<std::string>>();
    const Json& params = sign.at("algoParams");
    ASSERT_EQ(params.size(), algos.size()) << sign;
    for (const char* oid :
         {"1.2.840.113549.1.1.11", "1.2.840.113549.1.1.12", "1.2.840.113549.1.1.13", "1.2.840.113549.1.1.10",
          "1.2.840.113549.1.1.1", "1.2.840.10045.4.3.2", "1.2.840.10045.4.3.3", "1.2.840.10045.4.3.4"}) {
        EXPECT_NE(std::find(algos.begin(), algos.end(), oid), algos.end()) << oid << " in " << sign;
    }
    std::set<std::string> pss_params;
    for (std::size_t i = 0; i < algos.size(); ++i) {
        if (algos[i] == "1.2.840.113549.1.1.10") {
            ASSERT_TRUE(params[i].is_string()) << "PSS needs its parameters: " << sign;
            pss_params.insert(params[i].get<std::string>());
        } else {
            EXPECT_TRUE(params[i].is_null()) << algos[i] << " has no parameters: " << sign;
        }
    }
    // Each OID once: PSS's other hashes go in signHash's signAlgoParams, not in repeated OIDs.
    EXPECT_EQ(std::set<std::string>(algos.begin(), algos.end()).size(), algos.size()) << sign;
    EXPECT_EQ(pss_params, std::set<std::string>{std::string{kPssSha256Params}}) << sign;
}

TEST_F(InfoTest, V2PssParametersParseAsRsassaPssWithTheirHash) {
    const Json sign = body_of(env.post(Version::V2, "info", "{}")).at("signAlgorithms");
    std::set<crypto::DigestAlgorithm> hashes;
    for (std::size_t i = 0; i < sign.at("algos").size(); ++i) {
        if (sign.at("algos")[i] != "1.2.840.113549.1.1.10") {
            continue;
        }
        // Rebuild the AlgorithmIdentifier around the parameters and parse it.
        der::Writer w;
        const Bytes params = base64_decode(sign.at("algoParams")[i].get<std::string>());
        w.sequence([&](der::Writer& s) {
            s.oid("1.2.840.113549.1.1.10");
            s.raw(params);
        });
        const crypto::SignatureAlgorithm alg = crypto::parse_algorithm_identifier(w.take());
        ASSERT_EQ(alg.padding, crypto::Padding::Pss);
        ASSERT_TRUE(alg.pss.has_value());
        EXPECT_EQ(alg.pss->mgf1_hash, alg.pss->hash);
        EXPECT_EQ(alg.pss->salt_length, crypto::digest_length(alg.pss->hash));
        hashes.insert(alg.pss->hash);
    }
    // The one PSS entry carries the first configured variant's parameters as its example.
    EXPECT_EQ(hashes, (std::set<crypto::DigestAlgorithm>{crypto::DigestAlgorithm::Sha256}));
}

TEST_F(InfoTest, V2HasTheRequiredFormatMembersEmptyWhenSignDocIsNotOffered) {
    const Json info = body_of(env.post(Version::V2, "info", "{}"));
    EXPECT_EQ(info.at("signature_formats"),
              (Json{{"formats", Json::array()}, {"envelope_properties", Json::array()}}));
    EXPECT_EQ(info.at("conformance_levels"), Json::array());
}

TEST_F(InfoTest, AnUnsupportedLanguageIsAnsweredInTheDefault) {
    for (const Version v : kVersions) {
        const http::Response r = env.post(v, "info", R"({"lang":"xx-YY","clientData":"c"})");
        EXPECT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(body_of(r).at("lang"), "en-US");
    }
}

TEST_F(InfoTest, AMalformedBodyIsRefused) {
    for (const Version v : kVersions) {
        const http::Response r = env.post(v, "info", "{");
        EXPECT_EQ(r.status, 400);
        EXPECT_EQ(body_of(r),
                  (Json{{"error", "invalid_request"}, {"error_description", "Malformed JSON request body"}}));
        EXPECT_EQ(env.post(v, "info", R"({"lang":1})").status, 400);
    }
}

TEST(InfoConfig, MutualTlsAddsTlsToAuthType) {
    ServiceInfo info;
    info.mtls = true;
    CscEnv env{info};
    EXPECT_EQ(body_of(env.post(Version::V1, "info", "{}")).at("authType"), Json::array({"basic", "TLS"}));
    EXPECT_EQ(body_of(env.post(Version::V2, "info", "{}")).at("authType"), Json::array({"basic", "TLS"}));
}

TEST(InfoConfig, AConfiguredAlgorithmListReplacesTheDefaults) {
    ServiceInfo info;
    info.name = "Example RSSP";
    service::AuthorizationSettings settings;
    settings.sign_algorithms = {crypto::SignatureAlgorithm::ecdsa(crypto::DigestAlgorithm::Sha384)};
    CscEnv env{info, settings};
    const Json body = body_of(env.post(Version::V2, "info", "{}"));
    EXPECT_EQ(body.at("name"), "Example RSSP");
    EXPECT_EQ(body.at("signAlgorithms"), (Json{{"algos", Json::array({"1.2.840.10045.4.3.3"})},
                                               {"algoParams", Json::array({nullptr})}}));
}

}  // namespace
}  // namespace inkan::api
