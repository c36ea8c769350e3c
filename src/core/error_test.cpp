#include <set>
#include <string>

#include <gtest/gtest.h>

#include <inkan/core/error.h>

namespace inkan {
namespace {

enum class Why { First, Second };
enum class Other { First };

TEST(Errc, KAllErrcListsEveryCodeThatHasAName) {
    std::set<int> listed;
    for (const Errc code : kAllErrc) {
        listed.insert(static_cast<int>(code));
    }
    for (int v = 0; v < 1000; ++v) {
        if (errc_name(static_cast<Errc>(v)) != "unknown") {
            EXPECT_TRUE(listed.contains(v)) << errc_name(static_cast<Errc>(v)) << " (" << v << ") missing";
        }
    }
    EXPECT_EQ(listed.size(), kAllErrc.size()) << "a code listed twice";
}

TEST(Refused, CarriesItsReasonAsATypeThroughACatchAsError) {
    try {
        try {
            throw Refused<Why>{Errc::InvalidAuthData, Why::Second, "wrong PIN"};
        } catch (const Error&) {
            throw;  // as the service's catch-and-rethrow sites do
        }
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::InvalidAuthData);
        EXPECT_EQ(e.detail(), "wrong PIN") << "the reason is not written into the text";
        EXPECT_EQ(reason_of<Why>(e), Why::Second);
        EXPECT_EQ(reason_of<Other>(e), std::nullopt) << "another enum's reason is not this one";
    }
}

TEST(Refused, APlainErrorHasNoReasonWhateverItsText) {
    EXPECT_EQ(reason_of<Why>(Error{Errc::InvalidRequest, "second: looks like a prefix"}), std::nullopt);
}

TEST(Errc, EveryCodeHasADistinctLowerCaseName) {
    std::set<std::string_view> seen;
    for (const Errc code : kAllErrc) {
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
    for (const Errc code : kAllErrc) {
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
