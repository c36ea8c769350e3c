#include "ckr.h"

#include <map>

#include <gtest/gtest.h>

namespace inkan::hsm {
namespace {

TEST(Ckr, NamesEveryCommonReturnValue) {
    EXPECT_EQ(ckr_name(CKR_OK), "CKR_OK");
    EXPECT_EQ(ckr_name(CKR_KEY_HANDLE_INVALID), "CKR_KEY_HANDLE_INVALID");
    EXPECT_EQ(ckr_name(CKR_PIN_INCORRECT), "CKR_PIN_INCORRECT");
    EXPECT_EQ(ckr_name(CKR_CRYPTOKI_NOT_INITIALIZED), "CKR_CRYPTOKI_NOT_INITIALIZED");
    EXPECT_EQ(ckr_name(CKR_FUNCTION_REJECTED), "CKR_FUNCTION_REJECTED");
    EXPECT_EQ(ckr_name(CKR_VENDOR_DEFINED | 0x42UL), "CKR_VENDOR_DEFINED");
    EXPECT_EQ(ckr_name(0x4242UL), "CKR_UNKNOWN");
}

TEST(Ckr, NamesAreUniqueAcrossTheSpecRange) {
    // Every code PKCS#11 2.40 defines lies below 0x201; a named code must not share its name.
    std::map<std::string_view, CK_RV> seen;
    for (CK_RV rv = 0; rv <= 0x200; ++rv) {
        const std::string_view n = ckr_name(rv);
        if (n == "CKR_UNKNOWN") {
            continue;
        }
        const auto [it, inserted] = seen.emplace(n, rv);
        EXPECT_TRUE(inserted) << n << " names both " << it->second << " and " << rv;
    }
    EXPECT_GE(seen.size(), 90U);
}

TEST(Ckr, MapsReturnValuesToErrorCodes) {
    EXPECT_EQ(errc_from_ckr(CKR_PIN_INCORRECT), Errc::InvalidAuthData);
    EXPECT_EQ(errc_from_ckr(CKR_PIN_LOCKED), Errc::Locked);
    EXPECT_EQ(errc_from_ckr(CKR_DEVICE_REMOVED), Errc::HsmUnavailable);
    EXPECT_EQ(errc_from_ckr(CKR_TOKEN_NOT_PRESENT), Errc::HsmUnavailable);
    EXPECT_EQ(errc_from_ckr(CKR_DEVICE_ERROR), Errc::HsmUnavailable);
    EXPECT_EQ(errc_from_ckr(CKR_CRYPTOKI_NOT_INITIALIZED), Errc::HsmUnavailable);
    EXPECT_EQ(errc_from_ckr(CKR_SESSION_HANDLE_INVALID), Errc::HsmUnavailable);
    EXPECT_EQ(errc_from_ckr(CKR_SESSION_CLOSED), Errc::HsmUnavailable);
    EXPECT_EQ(errc_from_ckr(CKR_MECHANISM_INVALID), Errc::UnsupportedAlgorithm);
    EXPECT_EQ(errc_from_ckr(CKR_MECHANISM_PARAM_INVALID), Errc::UnsupportedAlgorithm);
    EXPECT_EQ(errc_from_ckr(CKR_KEY_TYPE_INCONSISTENT), Errc::UnsupportedAlgorithm);
    EXPECT_EQ(errc_from_ckr(CKR_DATA_LEN_RANGE), Errc::InvalidRequest);
    EXPECT_EQ(errc_from_ckr(CKR_ENCRYPTED_DATA_INVALID), Errc::InvalidAuthData);
    EXPECT_EQ(errc_from_ckr(CKR_ENCRYPTED_DATA_LEN_RANGE), Errc::InvalidAuthData);
    EXPECT_EQ(errc_from_ckr(CKR_GENERAL_ERROR), Errc::HsmFailure);
    EXPECT_EQ(errc_from_ckr(CKR_KEY_HANDLE_INVALID), Errc::HsmFailure);
}

TEST(Ckr, ThrowsWithCallNameCodeNameAndHexValue) {
    try {
        throw_ckr(CKR_KEY_HANDLE_INVALID, "C_Sign");
        FAIL() << "throw_ckr returned";
    } catch (const Pkcs11Error& e) {
        EXPECT_STREQ(e.what(), "C_Sign: CKR_KEY_HANDLE_INVALID (0x60)");
        EXPECT_EQ(e.rv(), CKR_KEY_HANDLE_INVALID);
        EXPECT_EQ(e.code(), Errc::HsmFailure);
    }
    try {
        throw_ckr(CKR_ARGUMENTS_BAD, "C_SignInit", Errc::UnsupportedAlgorithm);
        FAIL() << "throw_ckr returned";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::UnsupportedAlgorithm);
        EXPECT_STREQ(e.what(), "C_SignInit: CKR_ARGUMENTS_BAD (0x7)");
    }
}

TEST(Ckr, CheckPassesOkThrough) {
    EXPECT_NO_THROW(check_ckr(CKR_OK, "C_Login"));
    EXPECT_THROW(check_ckr(CKR_PIN_INCORRECT, "C_Login"), Error);
}

}  // namespace
}  // namespace inkan::hsm
