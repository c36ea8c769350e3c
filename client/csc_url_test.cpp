// A service URL as users paste it (issue 25): the base, or the /csc/v1 or /csc/v2 URL `inkan serve` prints.

#include <string>
#include <utility>

#include <gtest/gtest.h>

#include <inkan/client/csc_client.h>

using inkan::client::parse_csc_url;
using inkan::client::Version;

TEST(CscUrl, TheBaseUrlIsKeptWithoutATrailingSlashAndNamesNoVersion) {
    for (const char* url :
         {"https://sign.example:8443", "https://sign.example:8443/", "https://sign.example:8443//"}) {
        const auto u = parse_csc_url(url);
        EXPECT_EQ(u.base, "https://sign.example:8443") << url;
        EXPECT_FALSE(u.version.has_value()) << url;
    }
}

TEST(CscUrl, TheVersionedUrlsServePrintsGiveTheBaseAndTheirVersion) {
    for (const auto& [url, version] : {std::pair{"https://127.0.0.1:8443/csc/v2", Version::V2},
                                       std::pair{"https://127.0.0.1:8443/csc/v2/", Version::V2},
                                       std::pair{"https://127.0.0.1:8443/csc/v1", Version::V1},
                                       std::pair{"https://127.0.0.1:8443/csc/v1/", Version::V1},
                                       std::pair{"https://host/prefix/csc/v1", Version::V1}}) {
        const auto u = parse_csc_url(url);
        EXPECT_EQ(u.base, std::string{url}.substr(0, std::string{url}.find("/csc/"))) << url;
        ASSERT_TRUE(u.version.has_value()) << url;
        EXPECT_EQ(*u.version, version) << url;
    }
}

TEST(CscUrl, OnlyAWholeLastSegmentIsAVersion) {
    // "/csc/v10" and "/xcsc/v1" are somebody's paths, not the API's.
    EXPECT_EQ(parse_csc_url("https://host/csc/v10").base, "https://host/csc/v10");
    EXPECT_FALSE(parse_csc_url("https://host/csc/v10").version.has_value());
    EXPECT_EQ(parse_csc_url("https://host/xcsc/v1").base, "https://host/xcsc/v1");
}
