#include <inkan/pdf/syntax.h>

#include <gtest/gtest.h>

#include <inkan/core/error.h>

namespace inkan::pdf {
namespace {

TimePoint at(std::int64_t unix_seconds) {
    return TimePoint{std::chrono::seconds{unix_seconds}};
}

TEST(PdfSyntax, WritesUtcDatesWithZ) {
    EXPECT_EQ(pdf_date(at(1795000000)), "D:20261118110640Z");
}

TEST(PdfSyntax, WritesLocalDatesWithTheOffset) {
    EXPECT_EQ(pdf_date(at(1795000000), std::chrono::hours{9}), "D:20261118200640+09'00'");
    EXPECT_EQ(pdf_date(at(1795000000), -std::chrono::minutes{330}), "D:20261118053640-05'30'");
}

TEST(PdfSyntax, WritesAsciiTextAsAnEscapedLiteral) {
    EXPECT_EQ(pdf_text_string("a (b) \\c"), "(a \\(b\\) \\\\c)");
}

TEST(PdfSyntax, WritesOtherTextAsUtf16WithTheByteOrderMark) {
    EXPECT_EQ(pdf_text_string("山田"), "<FEFF5C717530>");
    EXPECT_EQ(pdf_text_string("\xF0\x9F\x98\x80"), "<FEFFD83DDE00>");  // U+1F600 as a surrogate pair
}

TEST(PdfSyntax, RefusesMalformedUtf8) {
    try {
        (void)pdf_text_string("\xC3");
        FAIL() << "accepted a truncated UTF-8 sequence";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::InvalidEncoding);
    }
}

}  // namespace
}  // namespace inkan::pdf
