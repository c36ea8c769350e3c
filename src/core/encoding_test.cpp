#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>

namespace inkan {
namespace {

struct Vector {
    std::string_view plain;
    std::string_view encoded;
};

/// Runs `f` and returns the Error it throws; fails the test if it throws nothing.
template <class F>
Error error_of(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return e;
    }
    ADD_FAILURE() << "no inkan::Error thrown";
    return Error{Errc::Internal, "no error"};
}

// ---- base64 ----

TEST(Base64, EncodesRfc4648TestVectors) {
    // RFC 4648 §10.
    const Vector vectors[] = {{"", ""},
                              {"f", "Zg=="},
                              {"fo", "Zm8="},
                              {"foo", "Zm9v"},
                              {"foob", "Zm9vYg=="},
                              {"fooba", "Zm9vYmE="},
                              {"foobar", "Zm9vYmFy"}};
    for (const auto& v : vectors) {
        EXPECT_EQ(base64_encode(as_bytes(v.plain)), v.encoded) << "input \"" << v.plain << "\"";
        EXPECT_EQ(to_string(base64_decode(v.encoded)), v.plain) << "input \"" << v.encoded << "\"";
    }
}

TEST(Base64, DecodesRfc4648TestVectorsWithoutPadding) {
    const Vector vectors[] = {{"f", "Zg"}, {"fo", "Zm8"}, {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}};
    for (const auto& v : vectors) {
        EXPECT_EQ(to_string(base64_decode(v.encoded)), v.plain) << "input \"" << v.encoded << "\"";
    }
}

TEST(Base64, UsesStandardAlphabetForHighBits) {
    const Bytes data{0xfb, 0xff, 0xbf};
    EXPECT_EQ(base64_encode(data), "+/+/");
    EXPECT_EQ(base64_encode(Bytes{0xfb, 0xff}), "+/8=");
}

TEST(Base64Url, EncodesRfc4648TestVectorsWithoutPadding) {
    const Vector vectors[] = {
        {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},         {"foo", "Zm9v"},
        {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
    for (const auto& v : vectors) {
        EXPECT_EQ(base64url_encode(as_bytes(v.plain)), v.encoded) << "input \"" << v.plain << "\"";
    }
}

TEST(Base64Url, EncodesWithUrlAlphabet) {
    // RFC 7515 Appendix C: the octets 3, 236, 255, 224, 193 encode to "A-z_4ME".
    const Bytes data{3, 236, 255, 224, 193};
    EXPECT_EQ(base64url_encode(data), "A-z_4ME");
    EXPECT_EQ(base64url_encode(Bytes{0xfb, 0xff, 0xbf}), "-_-_");
    EXPECT_EQ(base64url_encode(Bytes{0xfb, 0xff}), "-_8");
}

TEST(Base64, DecodesUrlAlphabetWithoutPadding) {
    EXPECT_EQ(base64_decode("A-z_4ME"), (Bytes{3, 236, 255, 224, 193}));
    EXPECT_EQ(base64_decode("-_8"), (Bytes{0xfb, 0xff}));
}

TEST(Base64, DecodesUrlAlphabetWithPadding) {
    EXPECT_EQ(base64_decode("-_8="), (Bytes{0xfb, 0xff}));
}

TEST(Base64, DecodesMixedAlphabets) {
    EXPECT_EQ(base64_decode("+_-/"), (Bytes{0xfb, 0xff, 0xbf}));
    EXPECT_EQ(base64_decode("-/8="), (Bytes{0xfb, 0xff}));
}

TEST(Base64, RoundTripsEveryLengthUpTo100) {
    std::mt19937 rng{42};
    for (std::size_t n = 0; n <= 100; ++n) {
        Bytes data(n);
        for (auto& b : data) {
            b = static_cast<std::uint8_t>(rng());
        }
        EXPECT_EQ(base64_decode(base64_encode(data)), data) << "length " << n;
        EXPECT_EQ(base64_decode(base64url_encode(data)), data) << "length " << n;
    }
}

TEST(Base64, RefusesInvalidCharacter) {
    const Error e = error_of([] { base64_decode("Zm9v!mFy"); });
    EXPECT_EQ(e.code(), Errc::InvalidEncoding) << e.what();
    EXPECT_NE(std::string{e.what()}.find("offset 4"), std::string::npos) << e.what();
}

TEST(Base64, RefusesEmbeddedWhitespace) {
    for (const std::string_view text : {"Zm9v YmFy", "Zm9v\nYmFy", "Zm9vYmFy\n", " Zm9vYmFy", "Zm9v\tYmFy"}) {
        const Error e = error_of([&] { base64_decode(text); });
        EXPECT_EQ(e.code(), Errc::InvalidEncoding) << "input \"" << text << "\": " << e.what();
    }
}

TEST(Base64, RefusesPaddingInTheMiddle) {
    const Error e = error_of([] { base64_decode("Zg==Zm8="); });
    EXPECT_EQ(e.code(), Errc::InvalidEncoding) << e.what();
    EXPECT_NE(std::string{e.what()}.find("offset 2"), std::string::npos) << e.what();
}

TEST(Base64, RefusesTooMuchPadding) {
    for (const std::string_view text : {"Zg===", "Zm8==", "Zm9v=", "Zm9v====", "=", "==", "Zg=", "Zm9vYg="}) {
        const Error e = error_of([&] { base64_decode(text); });
        EXPECT_EQ(e.code(), Errc::InvalidEncoding) << "input \"" << text << "\": " << e.what();
    }
}

TEST(Base64, RefusesImpossibleLength) {
    for (const std::string_view text : {"Z", "Zm9vY", "Zm9vY===", "Zm9vYmFyZ"}) {
        const Error e = error_of([&] { base64_decode(text); });
        EXPECT_EQ(e.code(), Errc::InvalidEncoding) << "input \"" << text << "\": " << e.what();
    }
}

TEST(Base64, RefusesNonZeroTrailingBits) {
    // "Zg==" is the canonical "f"; "Zh==" and "Zm9=" differ only in the unused low bits.
    for (const std::string_view text : {"Zh==", "Zh", "Zm9=", "Zm9", "Zm-"}) {
        const Error e = error_of([&] { base64_decode(text); });
        EXPECT_EQ(e.code(), Errc::InvalidEncoding) << "input \"" << text << "\": " << e.what();
        EXPECT_NE(std::string{e.what()}.find("trailing bits"), std::string::npos) << e.what();
    }
}

TEST(Base64, ErrorMessageDoesNotEchoInput) {
    const std::string text = std::string(1000, 'A') + "*" + std::string(999, 'B');
    const Error e = error_of([&] { base64_decode(text); });
    EXPECT_LT(std::string{e.what()}.size(), 100U) << e.what();
    EXPECT_EQ(std::string{e.what()}.find("AAAA"), std::string::npos) << e.what();
    EXPECT_NE(std::string{e.what()}.find("offset 1000"), std::string::npos) << e.what();
}

// ---- hex (base16) ----

TEST(Hex, EncodesRfc4648TestVectors) {
    // RFC 4648 §10 (upper case there).
    const Vector vectors[] = {{"", ""},
                              {"f", "66"},
                              {"fo", "666F"},
                              {"foo", "666F6F"},
                              {"foob", "666F6F62"},
                              {"fooba", "666F6F6261"},
                              {"foobar", "666F6F626172"}};
    for (const auto& v : vectors) {
        EXPECT_EQ(hex_encode_upper(as_bytes(v.plain)), v.encoded) << "input \"" << v.plain << "\"";
        EXPECT_EQ(to_string(hex_decode(v.encoded)), v.plain) << "input \"" << v.encoded << "\"";
    }
}

TEST(Hex, EncodesLowerCaseByDefault) {
    EXPECT_EQ(hex_encode(Bytes{0x00, 0xab, 0xcd, 0xef, 0x7f}), "00abcdef7f");
    EXPECT_EQ(hex_encode_upper(Bytes{0x00, 0xab, 0xcd, 0xef, 0x7f}), "00ABCDEF7F");
}

TEST(Hex, DecodesBothCases) {
    EXPECT_EQ(hex_decode("00abCDeF"), (Bytes{0x00, 0xab, 0xcd, 0xef}));
    EXPECT_EQ(hex_decode("ABCDEF"), hex_decode("abcdef"));
}

TEST(Hex, RefusesOddLength) {
    const Error e = error_of([] { hex_decode("abc"); });
    EXPECT_EQ(e.code(), Errc::InvalidEncoding) << e.what();
}

TEST(Hex, RefusesNonHexCharacter) {
    for (const std::string_view text : {"0g", "g0", "0x12", "12 34", "-1"}) {
        const Error e = error_of([&] { hex_decode(text); });
        EXPECT_EQ(e.code(), Errc::InvalidEncoding) << "input \"" << text << "\": " << e.what();
    }
    const Error e = error_of([] { hex_decode("00zz"); });
    EXPECT_NE(std::string{e.what()}.find("offset 2"), std::string::npos) << e.what();
}

// ---- base32 ----

TEST(Base32, EncodesRfc4648TestVectorsWithPadding) {
    // RFC 4648 §10.
    const Vector vectors[] = {{"", ""},
                              {"f", "MY======"},
                              {"fo", "MZXQ===="},
                              {"foo", "MZXW6==="},
                              {"foob", "MZXW6YQ="},
                              {"fooba", "MZXW6YTB"},
                              {"foobar", "MZXW6YTBOI======"}};
    for (const auto& v : vectors) {
        EXPECT_EQ(base32_encode(as_bytes(v.plain), true), v.encoded) << "input \"" << v.plain << "\"";
        EXPECT_EQ(to_string(base32_decode(v.encoded)), v.plain) << "input \"" << v.encoded << "\"";
    }
}

TEST(Base32, EncodesWithoutPaddingByDefault) {
    EXPECT_EQ(base32_encode(as_bytes("f")), "MY");
    EXPECT_EQ(base32_encode(as_bytes("foobar")), "MZXW6YTBOI");
    // RFC 6238 Appendix B's SHA-1 seed, as an otpauth:// URI carries it.
    EXPECT_EQ(base32_encode(as_bytes("12345678901234567890")), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
}

TEST(Base32, DecodesWithoutPadding) {
    EXPECT_EQ(to_string(base32_decode("MY")), "f");
    EXPECT_EQ(to_string(base32_decode("MZXW6YQ")), "foob");
    EXPECT_EQ(to_string(base32_decode("MZXW6YTBOI")), "foobar");
}

TEST(Base32, DecodesLowerAndMixedCase) {
    EXPECT_EQ(to_string(base32_decode("mzxw6ytboi")), "foobar");
    EXPECT_EQ(to_string(base32_decode("MzXw6yTbOi======")), "foobar");
    EXPECT_EQ(to_string(base32_decode("gezdgnbvgy3tqojqgezdgnbvgy3tqojq")), "12345678901234567890");
}

TEST(Base32, RoundTripsEveryLengthUpTo100) {
    std::mt19937 rng{7};
    for (std::size_t n = 0; n <= 100; ++n) {
        Bytes data(n);
        for (auto& b : data) {
            b = static_cast<std::uint8_t>(rng());
        }
        EXPECT_EQ(base32_decode(base32_encode(data)), data) << "length " << n;
        EXPECT_EQ(base32_decode(base32_encode(data, true)), data) << "length " << n;
    }
}

TEST(Base32, RefusesCharactersOutsideTheAlphabet) {
    for (const std::string_view text : {"MZXW6YT1", "MZXW6YT8", "MZXW6YT0", "MZXW 6YTB", "MZXW6YT!"}) {
        const Error e = error_of([&] { base32_decode(text); });
        EXPECT_EQ(e.code(), Errc::InvalidEncoding) << "input \"" << text << "\": " << e.what();
    }
}

TEST(Base32, RefusesImpossibleLength) {
    for (const std::string_view text : {"M", "MZX", "MZXW6Y", "MZXW6YTBO"}) {
        const Error e = error_of([&] { base32_decode(text); });
        EXPECT_EQ(e.code(), Errc::InvalidEncoding) << "input \"" << text << "\": " << e.what();
    }
}

TEST(Base32, RefusesWrongPadding) {
    for (const std::string_view text : {"MY=", "MY=======", "MZ=XW6===", "MZXW6YTB========", "========"}) {
        const Error e = error_of([&] { base32_decode(text); });
        EXPECT_EQ(e.code(), Errc::InvalidEncoding) << "input \"" << text << "\": " << e.what();
    }
}

TEST(Base32, RefusesNonZeroTrailingBits) {
    // "MY" is "f"; "MZ" sets one of the two unused bits.
    const Error e = error_of([] { base32_decode("MZ"); });
    EXPECT_EQ(e.code(), Errc::InvalidEncoding) << e.what();
}

}  // namespace
}  // namespace inkan

TEST(Utf8, AcceptsWellFormedTextIncludingJapanese) {
    EXPECT_TRUE(inkan::is_valid_utf8(""));
    EXPECT_TRUE(inkan::is_valid_utf8("plain ASCII"));
    EXPECT_TRUE(inkan::is_valid_utf8("山田 太郎　株式会社インカン"));
    EXPECT_TRUE(inkan::is_valid_utf8("\xF0\x9F\x96\x8B"));  // U+1F58B, four bytes
    std::size_t i = 0;
    const std::string_view yama = "山";
    EXPECT_EQ(inkan::utf8_next(yama, i), std::optional<char32_t>{U'山'});
    EXPECT_EQ(i, 3U);
}

TEST(Utf8, RefusesMalformedSequencesPerRfc3629) {
    for (const std::string_view bad : {std::string_view{"\xC0\x80"}, std::string_view{"\xED\xA0\x80"},
                                       std::string_view{"\xF4\x90\x80\x80"}, std::string_view{"\xE5\xB1"},
                                       std::string_view{"\x80"}, std::string_view{"\xFF"}}) {
        EXPECT_FALSE(inkan::is_valid_utf8(bad)) << inkan::hex_encode(inkan::as_bytes(bad));
        std::size_t i = 0;
        EXPECT_FALSE(inkan::utf8_next(bad, i).has_value()) << inkan::hex_encode(inkan::as_bytes(bad));
        EXPECT_EQ(i, 0U) << "the position must not move on an invalid sequence";
    }
}
