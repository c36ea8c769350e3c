#include <inkan/pdf/document.h>

#include <gtest/gtest.h>

#include "testkit.h"

namespace inkan::pdf {
namespace {

using testkit::corpus;

constexpr double kPageHeight = 842;  // the corpus pages are A4 (595 x 842 pt)

SignatureSpec visible(Rect rect, Bytes image) {
    SignatureSpec spec;
    spec.signing_time = TimePoint{std::chrono::seconds{1795000000}};
    spec.name = "山田太郎";
    spec.contents_size = 8192;
    spec.appearance =
        Appearance{rect, {"Signed by 山田太郎", "Taro Yamada", "2026-11-18 11:06 UTC"}, std::move(image)};
    return spec;
}

/// Dark pixels (grey < 128) inside `r` (PDF coordinates; at 72 dpi one point is one pixel).
int dark_pixels(const testkit::Gray& g, Rect r) {
    int dark = 0;
    for (int y = static_cast<int>(kPageHeight - r.y2); y < static_cast<int>(kPageHeight - r.y1); ++y) {
        for (int x = static_cast<int>(r.x1); x < static_cast<int>(r.x2); ++x) {
            if (g.at(x, y) < 128) ++dark;
        }
    }
    return dark;
}

void sign(const std::filesystem::path& in, const std::filesystem::path& out, const SignatureSpec& spec) {
    auto prepared = Document::open(in).prepare(spec, out);
    testkit::sign_with_openssl(prepared);
}

void expect_valid(const std::filesystem::path& pdf, int signatures) {
    const auto s = testkit::pdfsig(pdf);
    EXPECT_EQ(s.valid, signatures) << s.out;
    const auto check = testkit::qpdf_check(pdf);
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST(PdfAppearance, VisibleSignatureWithAPngSealRendersOnTheChosenPage) {
    testing::TempDir dir;
    const Rect rect{300, 100, 540, 180};
    auto spec = visible(rect, testkit::test_png(64));
    spec.page = 1;
    sign(corpus().two_pages, dir / "signed.pdf", spec);
    expect_valid(dir / "signed.pdf", 1);
    const auto before = testkit::render(corpus().two_pages, 2);
    EXPECT_EQ(dark_pixels(before, rect), 0) << "the test page already has ink in the rectangle";
    const auto after = testkit::render(dir / "signed.pdf", 2);
    EXPECT_GT(dark_pixels(after, rect), 100) << "nothing was drawn in the signature rectangle";
    // Outside the rectangle the page is unchanged.
    EXPECT_EQ(dark_pixels(after, Rect{20, 300, 280, 500}), 0);
    // The first page got no widget.
    EXPECT_EQ(dark_pixels(testkit::render(dir / "signed.pdf", 1), rect), 0);
}

TEST(PdfAppearance, VisibleSignatureWithAJpegSealRenders) {
    testing::TempDir dir;
    const Rect rect{50, 50, 250, 130};
    sign(corpus().stream, dir / "signed.pdf", visible(rect, testkit::test_jpeg()));
    expect_valid(dir / "signed.pdf", 1);
    EXPECT_GT(dark_pixels(testkit::render(dir / "signed.pdf", 1), rect), 100);
}

TEST(PdfAppearance, TextOnlyAppearanceRendersTheBorderAndText) {
    testing::TempDir dir;
    const Rect rect{50, 50, 250, 130};
    auto spec = visible(rect, {});
    spec.appearance->lines = {"Taro Yamada", "Approved"};
    sign(corpus().table, dir / "signed.pdf", spec);
    expect_valid(dir / "signed.pdf", 1);
    // More than the border: the text is drawn too (the border alone is ~2 * (200 + 80) pixels).
    EXPECT_GT(dark_pixels(testkit::render(dir / "signed.pdf", 1), Rect{55, 55, 245, 125}), 50);
}

TEST(PdfAppearance, JapaneseTextRendersFromTheEmbeddedFont) {
    // The CJK text is shown in an embedded subset (appearance_font_test.cpp has the judges).
    testing::TempDir dir;
    const Rect rect{50, 50, 250, 130};
    auto spec = visible(rect, {});
    spec.appearance->lines = {"山田太郎", "承認"};
    sign(corpus().table, dir / "signed.pdf", spec);
    expect_valid(dir / "signed.pdf", 1);
    EXPECT_GT(dark_pixels(testkit::render(dir / "signed.pdf", 1), Rect{55, 55, 245, 125}), 50);
}

TEST(PdfAppearance, SigningAnExistingVisibleFieldDrawsInItsRectangle) {
    testing::TempDir dir;
    auto spec = visible(Rect{0, 0, 1, 1}, testkit::test_png(32));  // the field's own /Rect wins
    spec.field_name = "Approval";
    sign(corpus().form, dir / "signed.pdf", spec);
    expect_valid(dir / "signed.pdf", 1);
    EXPECT_GT(dark_pixels(testkit::render(dir / "signed.pdf", 1), Rect{300, 500, 500, 580}), 100);
}

TEST(PdfAppearance, InvisibleSignatureDrawsNothing) {
    testing::TempDir dir;
    SignatureSpec spec;
    spec.contents_size = 8192;
    sign(corpus().table, dir / "signed.pdf", spec);
    const auto before = testkit::render(corpus().table, 1);
    const auto after = testkit::render(dir / "signed.pdf", 1);
    EXPECT_EQ(before.pixels, after.pixels);
}

TEST(PdfAppearance, RefusesAPngThatDoesNotDecode) {
    testing::TempDir dir;
    auto png = testkit::test_png(16);
    png.resize(png.size() - 20);  // cut into the IDAT
    try {
        (void)Document::open(corpus().table).prepare(visible(Rect{10, 10, 100, 100}, png), dir / "out.pdf");
        FAIL() << "accepted a broken PNG";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::InvalidRequest) << e.what();
    }
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

}  // namespace
}  // namespace inkan::pdf
