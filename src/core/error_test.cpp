#include <set>
#include <string>

#include <gtest/gtest.h>

#include <inkan/core/error.h>

namespace inkan {
namespace {

constexpr Errc kAll[] = {
    Errc::InvalidRequest,  Errc::InvalidEncoding,      Errc::Unauthenticated, Errc::Forbidden,
    Errc::NotFound,        Errc::InvalidAuthData,      Errc::Locked,          Errc::Conflict,
    Errc::PayloadTooLarge, Errc::UnsupportedAlgorithm, Errc::Internal,        Errc::InvalidConfig,
    Errc::HsmUnavailable,  Errc::HsmFailure,           Errc::CryptoFailure,   Errc::StorageFailure,
    Errc::IoFailure,       Errc::Unavailable,
};

TEST(Errc, EveryCodeHasADistinctLowerCaseName) {
    std::set<std::string_view> seen;
    for (const Errc code : kAll) {
        const std::string_view name = errc_name(code);
        EXPECT_NE(name, "unknown") << "code " << static_cast<int>(code);
        EXPECT_TRUE(seen.insert(name).second) << "duplicate name " << name;
        for (const char c : name) {
            EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '_') << "name " << name;
        }
    }
}

TEST(Errc, NamesMatchDocumentedWireNames) {
    EXPECT_EQ(errc_name(Errc::InvalidRequest), "invalid_request");
    EXPECT_EQ(errc_name(Errc::InvalidEncoding), "invalid_encoding");
    EXPECT_EQ(errc_name(Errc::InvalidConfig), "invalid_config");
    EXPECT_EQ(errc_name(Errc::HsmUnavailable), "hsm_unavailable");
}

TEST(Errc, CallerFaultsComeBeforeServerFaults) {
    for (const Errc code : kAll) {
        const bool server = static_cast<int>(code) >= 100;
        const bool expected_server = code >= Errc::Internal;
        EXPECT_EQ(server, expected_server) << errc_name(code);
    }
    EXPECT_EQ(static_cast<int>(Errc::InvalidRequest), 1);
    EXPECT_EQ(static_cast<int>(Errc::Internal), 100);
}

TEST(Errc, UnknownValueHasAFallbackName) {
    EXPECT_EQ(errc_name(static_cast<Errc>(999)), "unknown");
}

TEST(Error, CarriesCodeAndDetail) {
    const Error e{Errc::HsmFailure, "C_Sign: CKR_DEVICE_ERROR"};
    EXPECT_EQ(e.code(), Errc::HsmFailure);
    EXPECT_STREQ(e.what(), "C_Sign: CKR_DEVICE_ERROR");
    EXPECT_EQ(e.detail(), "C_Sign: CKR_DEVICE_ERROR");
}

TEST(Error, IsCaughtAsStdException) {
    try {
        throw Error{Errc::NotFound, "no such credential"};
    } catch (const std::exception& e) {
        EXPECT_STREQ(e.what(), "no such credential");
    }
}

TEST(Require, DoesNothingWhenConditionHolds) {
    EXPECT_NO_THROW(require(true, Errc::Internal, "never thrown"));
}

TEST(Require, ThrowsErrorWithCodeAndDetail) {
    try {
        require(false, Errc::PayloadTooLarge, "document exceeds 50 MiB");
        FAIL() << "require(false, ...) did not throw";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::PayloadTooLarge) << errc_name(e.code());
        EXPECT_EQ(e.detail(), "document exceeds 50 MiB");
    }
}

}  // namespace
}  // namespace inkan
