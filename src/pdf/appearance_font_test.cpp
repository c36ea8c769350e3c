// Japanese visible signatures (issue 21, decision 0031), judged by outside tools: pdffonts (every
// font embedded and a subset), pdftotext (the exact text back), pdftoppm against hb-view (the same
// text drawn by cairo + FreeType from the font file), pdfsig and qpdf --check.

#include <png.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include <inkan/pdf/document.h>

#include "font.h"
#include "testkit.h"

namespace inkan::pdf {
namespace {

namespace fs = std::filesystem;
using ::inkan::testing::run;
using testkit::corpus;

constexpr double kPageHeight = 842;
// 髙 (U+9AD9, "hashigo-daka") and 﨑 (U+FA11, "tatsu-saki") are the names people most often see
// replaced by 高 and 崎 or by boxes.
const std::string kName = "髙﨑 太郎";
// pdftotext writes U+3000 (ideographic space) as an ASCII space, so the test text has none.
const std::string kOrganisation = "株式会社インカン ＡＢＣ１２３";

fs::path font_path() {
    const auto p = default_appearance_font();
    EXPECT_FALSE(p.empty()) << "no IPA font installed (scripts/install-deps)";
    return p;
}

SignatureSpec spec_with(Rect rect, std::vector<std::string> lines) {
    SignatureSpec spec;
    spec.signing_time = TimePoint{std::chrono::seconds{1795000000}};
    spec.contents_size = 8192;
    spec.appearance = Appearance{rect, std::move(lines), {}};
    return spec;
}

void sign(const fs::path& in, const fs::path& out, const SignatureSpec& spec) {
    auto prepared = Document::open(in).prepare(spec, out);
    testkit::sign_with_openssl(prepared);
}

void expect_accepted(const fs::path& pdf) {
    const auto s = testkit::pdfsig(pdf);
    EXPECT_EQ(s.valid, 1) << s.out;
    const auto check = testkit::qpdf_check(pdf);
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

struct FontRow {
    std::string name, type, emb, sub, uni;
};

/// `pdffonts` rows: name, type, encoding, emb, sub, uni, object ID; only the fonts the signature
/// added (the test page's own Helvetica is not the appearance's).
std::vector<FontRow> pdffonts_all(const fs::path& pdf) {
    const auto r = run({"pdffonts", pdf.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<FontRow> rows;
    std::istringstream in{r.out};
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        if (++n <= 2) continue;  // header and dashes
        std::istringstream cols{line};
        std::vector<std::string> c;
        std::string w;
        while (cols >> w)
            c.push_back(w);
        // name type... encoding emb sub uni num gen
        if (c.size() < 7) continue;
        FontRow row;
        row.name = c.front();
        row.uni = c[c.size() - 3];
        row.sub = c[c.size() - 4];
        row.emb = c[c.size() - 5];
        for (std::size_t k = 1; k + 6 < c.size(); ++k)
            row.type += (row.type.empty() ? "" : " ") + c[k];
        rows.push_back(row);
    }
    return rows;
}

std::vector<FontRow> pdffonts(const fs::path& pdf) {
    const auto page = pdffonts_all(corpus().table);
    std::vector<FontRow> added;
    for (const auto& row : pdffonts_all(pdf)) {
        if (std::none_of(page.begin(), page.end(), [&](const FontRow& p) { return p.name == row.name; })) {
            added.push_back(row);
        }
    }
    EXPECT_FALSE(added.empty()) << "the signature added no font";
    return added;
}

std::string pdftotext(const fs::path& pdf) {
    const auto r = run({"pdftotext", "-raw", pdf.string(), "-"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
}

std::string without_whitespace(std::string s) {
    std::erase_if(s, [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\f'; });
    return s;
}

/// Ink (grey < 128) in a greyscale image: its bounding box and pixel count.
struct Ink {
    int x1 = 1 << 30, y1 = 1 << 30, x2 = -1, y2 = -1, count = 0;
    [[nodiscard]] int width() const { return x2 - x1 + 1; }
    [[nodiscard]] int height() const { return y2 - y1 + 1; }
};

Ink ink_of(int width, int height, const Bytes& grey, int rx1 = 0, int ry1 = 0, int rx2 = -1, int ry2 = -1) {
    if (rx2 < 0) rx2 = width;
    if (ry2 < 0) ry2 = height;
    Ink ink;
    for (int y = std::max(0, ry1); y < std::min(height, ry2); ++y) {
        for (int x = std::max(0, rx1); x < std::min(width, rx2); ++x) {
            if (grey[static_cast<std::size_t>(y * width + x)] < 128) {
                ++ink.count;
                ink.x1 = std::min(ink.x1, x);
                ink.y1 = std::min(ink.y1, y);
                ink.x2 = std::max(ink.x2, x);
                ink.y2 = std::max(ink.y2, y);
            }
        }
    }
    return ink;
}

/// The same text drawn by hb-view (HarfBuzz + cairo + FreeType straight from the font file), at
/// `pixels_per_em`, decoded to grey.
Ink hb_view_ink(const fs::path& dir, const std::string& text, double pixels_per_em) {
    const fs::path png = dir / "hb-view.png";
    const auto r = run({"hb-view", "--font-size=" + std::to_string(pixels_per_em), "--margin=4", "-O", "png",
                        "-o", png.string(), font_path().string(), text});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    if (png_image_begin_read_from_file(&image, png.string().c_str()) == 0) {
        ADD_FAILURE() << "hb-view wrote no PNG: " << image.message;
        return {};
    }
    image.format = PNG_FORMAT_GRAY;
    Bytes grey(PNG_IMAGE_SIZE(image));
    EXPECT_NE(png_image_finish_read(&image, nullptr, grey.data(), 0, nullptr), 0) << image.message;
    return ink_of(static_cast<int>(image.width), static_cast<int>(image.height), grey);
}

/// Page 1 rendered by pdftoppm at `dpi`, the ink inside `r` (PDF points).
Ink pdftoppm_ink(const fs::path& pdf, int dpi, Rect r) {
    const fs::path dir = pdf.parent_path();
    const auto out = run({"pdftoppm", "-gray", "-r", std::to_string(dpi), "-f", "1", "-l", "1", "-singlefile",
                          pdf.string(), (dir / "page").string()});
    EXPECT_EQ(out.exit_code, 0) << out.err;
    std::ifstream in{dir / "page.pgm", std::ios::binary};
    std::string magic;
    int w = 0, h = 0, max = 0;
    in >> magic >> w >> h >> max;
    in.get();
    Bytes grey(static_cast<std::size_t>(w) * static_cast<std::size_t>(h));
    in.read(reinterpret_cast<char*>(grey.data()), static_cast<std::streamsize>(grey.size()));
    const double k = dpi / 72.0;
    return ink_of(w, h, grey, static_cast<int>(r.x1 * k), static_cast<int>((kPageHeight - r.y2) * k),
                  static_cast<int>(r.x2 * k), static_cast<int>((kPageHeight - r.y1) * k));
}

TEST(PdfJapaneseAppearance, EveryFontIsAnEmbeddedSubsetAndTheTextComesBackExactly) {
    inkan::testing::TempDir dir;
    sign(corpus().table, dir / "signed.pdf",
         spec_with(Rect{40, 600, 400, 700}, {kName, kOrganisation, "Taro Takasaki", "令和8年12月6日"}));
    expect_accepted(dir / "signed.pdf");

    const auto rows = pdffonts(dir / "signed.pdf");
    ASSERT_FALSE(rows.empty()) << "pdffonts listed no font";
    for (const auto& row : rows) {
        EXPECT_EQ(row.emb, "yes") << row.name << " is not embedded";
        EXPECT_EQ(row.sub, "yes") << row.name << " is not a subset";
        EXPECT_EQ(row.uni, "yes") << row.name << " has no ToUnicode";
        EXPECT_EQ(row.type, "CID TrueType") << row.name;
        // ABCDEF+ subset tag (ISO 32000-1 §9.6.4)
        ASSERT_GT(row.name.size(), 7u);
        EXPECT_EQ(row.name[6], '+') << row.name;
        EXPECT_TRUE(std::all_of(row.name.begin(), row.name.begin() + 6, [](char c) {
            return c >= 'A' && c <= 'Z';
        })) << row.name;
    }

    const std::string text = pdftotext(dir / "signed.pdf");
    for (const auto& expected :
         {kName, kOrganisation, std::string{"Taro Takasaki"}, std::string{"令和8年12月6日"}}) {
        EXPECT_NE(text.find(expected), std::string::npos) << "pdftotext lost \"" << expected << "\":\n"
                                                          << text;
    }
}

TEST(PdfJapaneseAppearance, OnlyTheGlyphsUsedAreEmbedded) {
    inkan::testing::TempDir dir;
    sign(corpus().table, dir / "signed.pdf", spec_with(Rect{40, 600, 400, 700}, {kName}));
    // The whole IPA font is 6-8 MB; a five-glyph subset a few kilobytes.
    const auto size = fs::file_size(dir / "signed.pdf") - fs::file_size(corpus().table);
    EXPECT_LT(size, 60u * 1024u) << "the signature revision is " << size << " bytes: the font was not subset";
    EXPECT_GT(fs::file_size(font_path()), 1024u * 1024u);
}

TEST(PdfJapaneseAppearance, RenderingMatchesHbViewOfTheSameText) {
    // One line, short enough that the size stays at the 12 pt maximum; rendered at 288 dpi
    // (4 px per pt, 48 px per em) by pdftoppm from the embedded subset, and by hb-view at 48 px
    // per em from the font file. Same glyphs and advances: same ink box and nearly the same ink.
    inkan::testing::TempDir dir;
    const std::string line = "髙﨑 太郎 ＡＢＣ１２３ Takasaki";
    const Rect rect{40, 600, 440, 640};
    sign(corpus().table, dir / "signed.pdf", spec_with(rect, {line}));
    expect_accepted(dir / "signed.pdf");
    // Inside the border (1 pt) only: the text.
    const Ink pdf =
        pdftoppm_ink(dir / "signed.pdf", 288, Rect{rect.x1 + 2, rect.y1 + 2, rect.x2 - 2, rect.y2 - 2});
    const Ink hb = hb_view_ink(dir.path(), line, 48);
    ASSERT_GT(hb.count, 500) << "hb-view drew nothing";
    ASSERT_GT(pdf.count, 500) << "pdftoppm drew nothing in the rectangle";
    EXPECT_NEAR(pdf.width(), hb.width(), hb.width() * 0.03) << "ink box widths differ";
    EXPECT_NEAR(pdf.height(), hb.height(), 4) << "ink box heights differ";
    EXPECT_NEAR(pdf.count, hb.count, hb.count * 0.12) << "ink coverage differs";
}

TEST(PdfJapaneseAppearance, VerticalTextIsSetInColumnsAndExtracts) {
    inkan::testing::TempDir dir;
    const Rect rect{420, 300, 520, 560};
    auto spec = spec_with(rect, {kName, "株式会社インカン"});
    spec.appearance->vertical = true;
    sign(corpus().table, dir / "signed.pdf", spec);
    expect_accepted(dir / "signed.pdf");
    const Ink ink =
        pdftoppm_ink(dir / "signed.pdf", 72, Rect{rect.x1 + 2, rect.y1 + 2, rect.x2 - 2, rect.y2 - 2});
    // Two columns of 5 and 8 glyphs: taller than wide.
    EXPECT_GT(ink.height(), ink.width() * 2) << ink.width() << " x " << ink.height();
    const std::string text = without_whitespace(pdftotext(dir / "signed.pdf"));
    EXPECT_NE(text.find(without_whitespace(kName)), std::string::npos) << text;
    EXPECT_NE(text.find("株式会社インカン"), std::string::npos) << text;
    for (const auto& row : pdffonts(dir / "signed.pdf")) {
        EXPECT_EQ(row.emb + row.sub, "yesyes") << row.name;
    }
}

TEST(PdfJapaneseAppearance, ALongOrganisationNameWrapsAndShrinksToFit) {
    inkan::testing::TempDir dir;
    const std::string org =
        "一般社団法人日本電子署名推進協議会関東支部情報セキュリティ委員会電子契約分科会事務局";
    const Rect rect{40, 600, 240, 660};
    sign(corpus().table, dir / "signed.pdf", spec_with(rect, {kName, org}));
    expect_accepted(dir / "signed.pdf");
    // All of the name is on the page, nothing outside the rectangle.
    EXPECT_NE(without_whitespace(pdftotext(dir / "signed.pdf")).find(org), std::string::npos);
    const Ink inside = pdftoppm_ink(dir / "signed.pdf", 72, rect);
    const Ink page = pdftoppm_ink(dir / "signed.pdf", 72, Rect{0, 0, 595, 842});
    const Ink before = pdftoppm_ink(corpus().table, 72, Rect{0, 0, 595, 842});
    EXPECT_EQ(page.count - before.count, inside.count) << "ink outside the signature rectangle";
}

TEST(PdfJapaneseAppearance, GeneratedSealsDrawARedBorderAroundTheName) {
    for (const auto style : {SealStyle::Round, SealStyle::Square, SealStyle::Oval}) {
        inkan::testing::TempDir dir;
        const Rect rect{40, 600, 280, 680};
        auto spec = spec_with(rect, {kName});
        spec.appearance->seal = style;
        spec.appearance->seal_text = "髙﨑";
        sign(corpus().table, dir / "signed.pdf", spec);
        expect_accepted(dir / "signed.pdf");
        // Red pixels at the left of the rectangle (the seal's square is 74 pt high there).
        const auto r = run(
            {"pdftoppm", "-r", "72", "-singlefile", (dir / "signed.pdf").string(), (dir / "rgb").string()});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        std::ifstream in{dir / "rgb.ppm", std::ios::binary};
        std::string magic;
        int w = 0, h = 0, max = 0;
        in >> magic >> w >> h >> max;
        in.get();
        Bytes rgb(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3);
        in.read(reinterpret_cast<char*>(rgb.data()), static_cast<std::streamsize>(rgb.size()));
        int red = 0, red_outside_seal = 0;
        for (int y = 0; y < h; ++y) {
            for (int x = 0; x < w; ++x) {
                const auto* p = &rgb[static_cast<std::size_t>((y * w + x) * 3)];
                if (p[0] > 160 && p[1] < 110 && p[2] < 110) {
                    const bool in_seal = x >= 40 && x <= 40 + 3 + 74 + 2 && y >= 842 - 680 && y <= 842 - 600;
                    (in_seal ? red : red_outside_seal)++;
                }
            }
        }
        EXPECT_GT(red, 400) << "style " << static_cast<int>(style) << ": no red seal drawn";
        EXPECT_EQ(red_outside_seal, 0) << "style " << static_cast<int>(style);
        // The seal is graphics, not text: pdftotext gives the name once (from the text line).
        const std::string text = pdftotext(dir / "signed.pdf");
        EXPECT_EQ(text.find("髙﨑"), text.rfind("髙﨑")) << text;
    }
}

// Bad input: a clear error before anything is signed (no output file).

void expect_refused(const SignatureSpec& spec, Errc code, const std::string& words) {
    inkan::testing::TempDir dir;
    try {
        (void)Document::open(corpus().table).prepare(spec, dir / "out.pdf");
        ADD_FAILURE() << "accepted; expected " << words;
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), code) << e.what();
        EXPECT_NE(std::string{e.what()}.find(words), std::string::npos) << e.what();
    }
    EXPECT_TRUE(fs::is_empty(dir.path())) << "a refused appearance left a file";
}

TEST(PdfJapaneseAppearance, ACharacterTheFontLacksIsNamedNotDrawnAsABox) {
    // U+1F9FF (nazar amulet emoji) and U+2A6D6 (CJK Extension B) are not in IPA Mincho.
    expect_refused(spec_with(Rect{40, 600, 400, 700}, {"山田 \xF0\x9F\xA7\xBF"}), Errc::InvalidRequest,
                   "has no glyph for U+1F9FF");
}

TEST(PdfJapaneseAppearance, RefusesControlCharactersAndRightToLeftText) {
    expect_refused(spec_with(Rect{40, 600, 400, 700}, {"山田\x07太郎"}), Errc::InvalidRequest,
                   "control character U+0007");
    expect_refused(spec_with(Rect{40, 600, 400, 700}, {"山田\xE2\x80\xAE太郎"}), Errc::InvalidRequest,
                   "control character U+202E");
    expect_refused(spec_with(Rect{40, 600, 400, 700}, {"\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D"}),
                   Errc::InvalidRequest, "right-to-left character U+05E9");
}

TEST(PdfJapaneseAppearance, CheckAppearanceRefusesWhatPrepareRefusesWithoutADocument) {
    const auto bad = spec_with(Rect{40, 600, 400, 700}, {"山田\x07太郎"});
    try {
        check_appearance(*bad.appearance);
        ADD_FAILURE() << "check_appearance accepted a control character";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::InvalidRequest) << e.what();
        EXPECT_NE(std::string{e.what()}.find("U+0007"), std::string::npos) << e.what();
    }
    EXPECT_NO_THROW(check_appearance(*spec_with(Rect{40, 600, 400, 700}, {kName, kOrganisation}).appearance));
}

TEST(PdfJapaneseAppearance, RefusesOverlongTextAndAnEmptySealName) {
    std::string long_name;
    for (int k = 0; k < 500; ++k)
        long_name += "山";
    expect_refused(spec_with(Rect{40, 600, 400, 700}, {long_name}), Errc::InvalidRequest, "500 characters");
    auto seal = spec_with(Rect{40, 600, 400, 700}, {"山田"});
    seal.appearance->seal = SealStyle::Round;
    expect_refused(seal, Errc::InvalidRequest, "needs a name");
    // Too much text for a tiny rectangle even at the minimum size.
    expect_refused(spec_with(Rect{40, 600, 80, 615}, {std::string(150, 'W')}), Errc::InvalidRequest,
                   "does not fit");
}

TEST(PdfJapaneseAppearance, RefusesAnUnreadableOrGarbageFontFile) {
    inkan::testing::TempDir dir;
    auto spec = spec_with(Rect{40, 600, 400, 700}, {"山田"});
    spec.appearance->font = dir / "missing.ttf";
    expect_refused(spec, Errc::NotFound, "cannot read the appearance font");
    {
        std::ofstream garbage{dir / "garbage.ttf", std::ios::binary};
        for (int k = 0; k < 4096; ++k)
            garbage.put(static_cast<char>((k * 7919) & 0xFF));
    }
    spec.appearance->font = dir / "garbage.ttf";
    expect_refused(spec, Errc::InvalidRequest, "is not a TrueType/OpenType font");
    {
        // A real font cut short: its tables point past the end.
        std::ifstream in{font_path(), std::ios::binary};
        std::string head(200000, '\0');
        in.read(head.data(), static_cast<std::streamsize>(head.size()));
        std::ofstream cut{dir / "cut.ttf", std::ios::binary};
        cut.write(head.data(), static_cast<std::streamsize>(head.size()));
    }
    spec.appearance->font = dir / "cut.ttf";
    expect_refused(spec, Errc::InvalidRequest, "appearance font");
}

TEST(PdfJapaneseAppearance, FontSubsetKeepsWidthsCidMapAndToUnicodeForEveryGlyph) {
    // The PDF/A font rules EmbeddedFont::write checks, seen from outside in the written objects.
    inkan::testing::TempDir dir;
    sign(corpus().table, dir / "signed.pdf", spec_with(Rect{40, 600, 400, 700}, {kName}));
    const auto r = run({"qpdf", "--show-npages", (dir / "signed.pdf").string()});
    ASSERT_EQ(r.exit_code, 0);
    const auto json = run({"qpdf", "--json", (dir / "signed.pdf").string()});
    ASSERT_EQ(json.exit_code, 0) << json.err;
    EXPECT_NE(json.out.find("/CIDFontType2"), std::string::npos);
    EXPECT_NE(json.out.find("/CIDToGIDMap"), std::string::npos);
    EXPECT_NE(json.out.find("/FontFile2"), std::string::npos);
    EXPECT_NE(json.out.find("/ToUnicode"), std::string::npos);
    EXPECT_NE(json.out.find("\"/W\""), std::string::npos);
}

}  // namespace
}  // namespace inkan::pdf
