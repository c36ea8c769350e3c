#include "appearance.h"

#include <png.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/pdf/syntax.h>

#include "font.h"

namespace inkan::pdf::detail {
namespace {

constexpr std::size_t kMaxPixels = 16u * 1024u * 1024u;  // a seal image, not a poster

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

Bytes deflate(ByteView data) {
    uLongf len = compressBound(static_cast<uLong>(data.size()));
    Bytes out(len);
    require(
        compress2(out.data(), &len, data.data(), static_cast<uLong>(data.size()), Z_BEST_COMPRESSION) == Z_OK,
        Errc::Internal, "pdf: zlib could not compress the image");
    out.resize(len);
    return out;
}

struct Image {
    std::uint32_t width = 0, height = 0;
    ObjRef ref;
};

/// A JPEG goes in as it is (/DCTDecode, ISO 32000-1 §7.4.8); only its frame header is read.
Image add_jpeg(IncrementalUpdate& u, ByteView jpg) {
    std::size_t i = 2;
    while (i + 9 < jpg.size()) {
        if (jpg[i] != 0xFF) break;
        const std::uint8_t marker = jpg[i + 1];
        const std::size_t len = (static_cast<std::size_t>(jpg[i + 2]) << 8) | jpg[i + 3];
        // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC): precision, height, width, components.
        if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
            Image img;
            img.height = (static_cast<std::uint32_t>(jpg[i + 5]) << 8) | jpg[i + 6];
            img.width = (static_cast<std::uint32_t>(jpg[i + 7]) << 8) | jpg[i + 8];
            const int components = jpg[i + 9];
            require(
                img.width > 0 && img.height > 0 && (components == 1 || components == 3 || components == 4),
                Errc::InvalidRequest, "pdf: the JPEG seal image has an unsupported frame");
            std::string dict = " /Type /XObject /Subtype /Image /Width " + std::to_string(img.width) +
                               " /Height " + std::to_string(img.height) +
                               " /BitsPerComponent 8 /Filter /DCTDecode /ColorSpace ";
            dict += components == 1 ? "/DeviceGray" : components == 3 ? "/DeviceRGB" : "/DeviceCMYK";
            // Adobe writes CMYK JPEGs inverted; every viewer expects this /Decode for them.
            if (components == 4) dict += " /Decode [1 0 1 0 1 0 1 0]";
            img.ref = u.allocate();
            u.put(img.ref, stream_body(dict, jpg));
            return img;
        }
        i += 2 + len;
    }
    throw Error{Errc::InvalidRequest, "pdf: the JPEG seal image has no frame header"};
}

/// A PNG is decoded (libpng) into 8-bit RGB plus, when it has transparency, an 8-bit /SMask.
Image add_png(IncrementalUpdate& u, ByteView png) {
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    if (png_image_begin_read_from_memory(&image, png.data(), png.size()) == 0) {
        throw Error{Errc::InvalidRequest,
                    std::string{"pdf: the PNG seal image does not decode: "} + image.message};
    }
    if (static_cast<std::size_t>(image.width) * image.height > kMaxPixels) {
        png_image_free(&image);
        throw Error{Errc::InvalidRequest, "pdf: the PNG seal image is too large"};
    }
    image.format = PNG_FORMAT_RGBA;
    Bytes rgba(PNG_IMAGE_SIZE(image));
    if (png_image_finish_read(&image, nullptr, rgba.data(), 0, nullptr) == 0) {
        throw Error{Errc::InvalidRequest,
                    std::string{"pdf: the PNG seal image does not decode: "} + image.message};
    }
    const std::size_t pixels = static_cast<std::size_t>(image.width) * image.height;
    Bytes rgb(pixels * 3);
    Bytes alpha(pixels);
    bool opaque = true;
    for (std::size_t p = 0; p < pixels; ++p) {
        rgb[3 * p] = rgba[4 * p];
        rgb[3 * p + 1] = rgba[4 * p + 1];
        rgb[3 * p + 2] = rgba[4 * p + 2];
        alpha[p] = rgba[4 * p + 3];
        opaque = opaque && alpha[p] == 0xFF;
    }
    Image img{image.width, image.height, {}};
    const std::string size = " /Width " + std::to_string(img.width) + " /Height " +
                             std::to_string(img.height) + " /BitsPerComponent 8 /Filter /FlateDecode";
    std::string dict = " /Type /XObject /Subtype /Image /ColorSpace /DeviceRGB" + size;
    if (!opaque) {
        const ObjRef mask = u.allocate();
        u.put(mask,
              stream_body(" /Type /XObject /Subtype /Image /ColorSpace /DeviceGray" + size, deflate(alpha)));
        dict += " /SMask " + mask.ref();
    }
    img.ref = u.allocate();
    u.put(img.ref, stream_body(dict, deflate(rgb)));
    return img;
}

constexpr std::size_t kMaxLines = 8;
constexpr std::size_t kMaxLineChars = 200;  // a long organisation name wraps; a paragraph is refused
constexpr std::size_t kMaxSealChars = 12;
constexpr double kLeading = 1.2;
constexpr double kMaxFontSize = 12;
constexpr double kMinFontSize = 4;

std::size_t count_chars(std::string_view utf8) {
    std::size_t n = 0;
    std::size_t i = 0;
    while (i < utf8.size()) {
        require(utf8_next(utf8, i).has_value(), Errc::InvalidEncoding,
                "pdf: an appearance line is not valid UTF-8");
        ++n;
    }
    return n;
}

/// Characters that may not start a line (kinsoku shori, JIS X 4051 §9: closing brackets, small
/// kana, prolonged sound mark, punctuation) and that may not end one (opening brackets).
bool no_line_start(char32_t c) {
    return std::u32string_view{
               U"、。，．・：；？！゛゜ヽヾゝゞ々ー）］｝」』】〕〉》’”ぁぃぅぇぉっゃゅょゎァィゥェォッャュョ"
               U"ヮヵヶ,.:;?!)]}%"}
               .find(c) != std::u32string_view::npos;
}
bool no_line_end(char32_t c) {
    return std::u32string_view{U"（［｛「『【〔〈《‘“([{"}.find(c) != std::u32string_view::npos;
}
/// Ideographs, kana and full-width forms break between any two characters; other scripts at spaces.
bool breaks_anywhere(char32_t c) {
    return (c >= 0x2E80 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFF00 && c <= 0xFFEF) ||
           (c >= 0x20000 && c <= 0x3FFFF) || (c >= 0x3000 && c <= 0x303F);
}

/// A line cut into the pieces a line break may fall between.
std::vector<std::string> break_units(std::string_view line) {
    std::vector<std::string> units;
    std::vector<char32_t> last;  // last code point of each unit
    bool glue_next = false;
    std::size_t i = 0;
    while (i < line.size()) {
        const std::size_t start = i;
        const char32_t c = *utf8_next(line, i);
        const std::string_view piece = line.substr(start, i - start);
        const bool variation = (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0xE0100 && c <= 0xE01EF);
        bool join = !units.empty() && (glue_next || no_line_start(c) || variation);
        if (!join && !units.empty() && !breaks_anywhere(c) && !breaks_anywhere(last.back()) && c != U' ' &&
            last.back() != U' ') {
            join = true;  // inside a word of a space-separated script
        }
        if (!join && !units.empty() && c == U' ') join = true;  // a space stays at the end of its line
        if (join) {
            units.back().append(piece);
            last.back() = c;
        } else {
            units.emplace_back(piece);
            last.push_back(c);
        }
        glue_next = no_line_end(c);
    }
    return units;
}

/// Greedy line filling: the units of `line` into pieces at most `limit` font units long; a unit
/// longer than the limit on its own is cut between characters.
std::vector<std::string> wrap(const Font& font, std::string_view line, double limit, bool vertical) {
    std::vector<std::string> out;
    std::string current;
    for (const auto& unit : break_units(line)) {
        std::string candidate = current + unit;
        std::string trimmed = candidate;
        while (!trimmed.empty() && trimmed.back() == ' ')
            trimmed.pop_back();
        if (current.empty() || static_cast<double>(font.shape(trimmed, vertical).advance) <= limit) {
            current = std::move(candidate);
        } else {
            out.push_back(current);
            current = unit;
        }
        // A single unit too long for the line: cut it between characters.
        while (static_cast<double>(font.shape(current, vertical).advance) > limit) {
            std::string head;
            std::size_t i = 0;
            std::size_t cut = 0;
            while (i < current.size()) {
                const std::size_t before = i;
                utf8_next(current, i);
                if (before > 0 &&
                    static_cast<double>(font.shape(current.substr(0, i), vertical).advance) > limit) {
                    cut = before;
                    break;
                }
            }
            if (cut == 0) break;  // one character wider than the line: the font size decides
            out.push_back(current.substr(0, cut));
            current = current.substr(cut);
        }
    }
    while (!current.empty() && current.back() == ' ')
        current.pop_back();
    if (!current.empty() || out.empty()) out.push_back(current);
    for (auto& l : out) {
        while (!l.empty() && l.back() == ' ')
            l.pop_back();
    }
    return out;
}

/// The largest font size (points, down from kMaxFontSize in 5 % steps) at which the lines,
/// wrapped, fit a `across` x `along` area; the wrapped lines. Errc::InvalidRequest when even
/// kMinFontSize does not fit.
std::pair<double, std::vector<std::string>> fit(const Font& font, const std::vector<std::string>& lines,
                                                double along, double across, bool vertical) {
    for (double size = kMaxFontSize; size >= kMinFontSize; size *= 0.95) {
        const double limit = along / size * font.units_per_em();
        std::vector<std::string> wrapped;
        bool fits = true;
        for (const auto& line : lines) {
            for (auto& w : wrap(font, line, limit, vertical)) {
                if (static_cast<double>(font.shape(w, vertical).advance) > limit) fits = false;
                wrapped.push_back(std::move(w));
            }
        }
        if (fits && static_cast<double>(wrapped.size()) * size * kLeading <= across + size * (kLeading - 1)) {
            return {size, std::move(wrapped)};
        }
    }
    throw Error{Errc::InvalidRequest,
                "pdf: the appearance text does not fit the " + num(vertical ? across : along) + " x " +
                    num(vertical ? along : across) + " pt rectangle even at " + num(kMinFontSize) + " pt"};
}

/// The path of a seal border of `style` inside the square (x, y, side), and the inner box the
/// name is written in.
std::string seal_border(SealStyle style, double x, double y, double side, Rect& inner) {
    const double k = 0.5523;  // four cubic Béziers approximate an ellipse (control point at k r)
    const auto ellipse = [&](double cx, double cy, double rx, double ry) {
        return num(cx + rx) + " " + num(cy) + " m\n" + num(cx + rx) + " " + num(cy + k * ry) + " " +
               num(cx + k * rx) + " " + num(cy + ry) + " " + num(cx) + " " + num(cy + ry) + " c\n" +
               num(cx - k * rx) + " " + num(cy + ry) + " " + num(cx - rx) + " " + num(cy + k * ry) + " " +
               num(cx - rx) + " " + num(cy) + " c\n" + num(cx - rx) + " " + num(cy - k * ry) + " " +
               num(cx - k * rx) + " " + num(cy - ry) + " " + num(cx) + " " + num(cy - ry) + " c\n" +
               num(cx + k * rx) + " " + num(cy - ry) + " " + num(cx + rx) + " " + num(cy - k * ry) + " " +
               num(cx + rx) + " " + num(cy) + " c\nh\n";
    };
    const double cx = x + side / 2;
    const double cy = y + side / 2;
    const double line = side * 0.05;
    const double r = side / 2 - line / 2;
    switch (style) {
        case SealStyle::Round:
            // The largest square inside the circle, a little inset: about 0.62 of the diameter.
            inner = Rect{cx - r * 0.66, cy - r * 0.66, cx + r * 0.66, cy + r * 0.66};
            return ellipse(cx, cy, r, r);
        case SealStyle::Oval:
            inner = Rect{cx - r * 0.7 * 0.62, cy - r * 0.72, cx + r * 0.7 * 0.62, cy + r * 0.72};
            return ellipse(cx, cy, r * 0.7, r);
        case SealStyle::Square:
            inner = Rect{x + line * 2.5, y + line * 2.5, x + side - line * 2.5, y + side - line * 2.5};
            return num(x + line / 2) + " " + num(y + line / 2) + " " + num(side - line) + " " +
                   num(side - line) + " re\n";
        case SealStyle::None:
            break;
    }
    return {};
}

/// A generated 印影: a vermilion border and the name in columns, top to bottom and right to left,
/// each glyph's outline stretched to its cell as seal engravers do (at most 1.6 : 1).
std::string draw_seal(const Font& font, SealStyle style, std::string_view name, double x, double y,
                      double side) {
    Rect in;
    std::string out = "q\n0.85 0.15 0.12 RG 0.85 0.15 0.12 rg " + num(side * 0.05) + " w\n";
    out += seal_border(style, x, y, side, in) + "S\n";
    const ShapedText shaped = font.shape(name, true);
    const std::size_t n = shaped.glyphs.size();
    if (n == 0) return out + "Q\n";
    const std::size_t cols = n <= 3 ? 1 : n <= 8 ? 2 : 3;
    const std::size_t rows = (n + cols - 1) / cols;
    const double cw = (in.x2 - in.x1) / static_cast<double>(cols);
    const double ch = (in.y2 - in.y1) / static_cast<double>(rows);
    for (std::size_t k = 0; k < n; ++k) {
        const std::size_t col = k / rows;
        const std::size_t row = k % rows;
        const double cx = in.x2 - cw * (static_cast<double>(col) + 0.5);
        const double cy = in.y2 - ch * (static_cast<double>(row) + 0.5);
        const auto gid = shaped.glyphs[k].gid;
        const auto box = font.extents(gid);
        const double gw = std::max(1, box.x2 - box.x1);
        const double gh = std::max(1, box.y2 - box.y1);
        double sx = cw * 0.9 / gw;
        double sy = ch * 0.9 / gh;
        sx = std::min(sx, sy * 1.6);
        sy = std::min(sy, sx * 1.6);
        // Centre the ink box on the cell.
        const double ox = cx - (box.x1 + gw / 2) * sx;
        const double oy = cy - (box.y1 + gh / 2) * sy;
        out += font.outline(gid, sx, sy, ox, oy) + "f\n";
    }
    return out + "Q\n";
}

}  // namespace

ObjRef add_appearance(IncrementalUpdate& u, const Appearance* a, double width, double height) {
    const ObjRef ap = u.allocate();
    if (a == nullptr) {
        // An invisible signature still gets an (empty) appearance: PDF/A requires /AP /N.
        u.put(ap, stream_body(" /Type /XObject /Subtype /Form /BBox [0 0 0 0]", {}));
        return ap;
    }
    // Everything the text needs is checked before anything is written (the caller signs nothing
    // when this throws).
    require(a->lines.size() <= kMaxLines, Errc::InvalidRequest,
            "pdf: an appearance has at most " + std::to_string(kMaxLines) + " lines");
    for (const auto& line : a->lines) {
        const std::size_t n = count_chars(line);
        require(n <= kMaxLineChars, Errc::InvalidRequest,
                "pdf: an appearance line has " + std::to_string(n) + " characters; at most " +
                    std::to_string(kMaxLineChars));
    }
    require(a->seal == SealStyle::None || a->image.empty(), Errc::InvalidRequest,
            "pdf: a seal image and a generated seal are alternatives; give one");
    if (a->seal != SealStyle::None) {
        const std::size_t n = count_chars(a->seal_text);
        require(n > 0, Errc::InvalidRequest, "pdf: the generated seal needs a name");
        require(n <= kMaxSealChars, Errc::InvalidRequest,
                "pdf: the name in a generated seal has " + std::to_string(n) + " characters; at most " +
                    std::to_string(kMaxSealChars));
    }
    const bool has_text =
        std::any_of(a->lines.begin(), a->lines.end(), [](const auto& l) { return !l.empty(); });
    std::optional<Font> font;
    if (has_text || a->seal != SealStyle::None) {
        std::filesystem::path path = a->font.empty() ? default_font_path() : a->font;
        require(!path.empty(), Errc::InvalidConfig,
                "pdf: no appearance font is installed (fonts-ipafont-mincho or fonts-ipafont-gothic); set "
                "[signing] appearance_font");
        font.emplace(Font::load(path));
    }

    const double pad = std::min(3.0, std::min(width, height) / 10);
    std::string content = "q\n0.1 0.1 0.4 RG 1 w\n" + num(0.5) + " " + num(0.5) + " " + num(width - 1) + " " +
                          num(height - 1) + " re S\n";
    std::string xobjects;
    double text_x = pad * 2;

    if (!a->image.empty()) {
        const auto& b = a->image;
        Image img;
        if (b.size() > 8 && b[0] == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
            img = add_png(u, b);
        } else if (b.size() > 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) {
            img = add_jpeg(u, b);
        } else {
            throw Error{Errc::InvalidRequest, "pdf: the seal image is neither PNG nor JPEG"};
        }
        // The image keeps its aspect ratio inside a square at the left (at most a third of the width).
        const double box = std::max(0.0, std::min(height - 2 * pad, has_text ? width / 3 : width - 2 * pad));
        const double scale = box / std::max(img.width, img.height);
        const double iw = img.width * scale;
        const double ih = img.height * scale;
        content += "q " + num(iw) + " 0 0 " + num(ih) + " " + num(pad + (box - iw) / 2) + " " +
                   num((height - ih) / 2) + " cm /Im1 Do Q\n";
        xobjects = " /XObject << /Im1 " + img.ref.ref() + " >>";
        text_x = pad * 2 + box;
    } else if (a->seal != SealStyle::None) {
        const double side = std::max(0.0, std::min(height - 2 * pad, has_text ? width / 3 : width - 2 * pad));
        content += draw_seal(*font, a->seal, a->seal_text, pad, (height - side) / 2, side);
        text_x = pad * 2 + side;
    }

    std::string fonts;
    if (has_text) {
        EmbeddedFont embedded{*font};
        const double area_w = width - text_x - pad;
        const double area_h = height - 2 * pad;
        require(area_w > 0 && area_h > 0, Errc::InvalidRequest,
                "pdf: the appearance rectangle is too small for text");
        const auto [size, wrapped] =
            fit(*font, a->lines, a->vertical ? area_h : area_w, a->vertical ? area_w : area_h, a->vertical);
        content += "0 g\n";
        const double top = height - pad;
        for (std::size_t k = 0; k < wrapped.size(); ++k) {
            if (wrapped[k].empty()) continue;
            const std::string tj = embedded.show(font->shape(wrapped[k], a->vertical), a->vertical);
            const double step = static_cast<double>(k) * size * kLeading;
            if (a->vertical) {
                // Columns from the right; the current point is the top of the glyph's vertical
                // origin (W2 v), so a column starts at the area's top edge.
                const double x = width - pad - size * 0.5 - step;
                content += "BT\n/F2 " + num(size) + " Tf 1 0 0 1 " + num(x) + " " + num(top) + " Tm " + tj +
                           " TJ\nET\n";
            } else {
                const double y = top - size * 0.88 - step;  // baseline below the ascent of the first line
                content += "BT\n/F1 " + num(size) + " Tf 1 0 0 1 " + num(text_x) + " " + num(y) + " Tm " +
                           tj + " TJ\nET\n";
            }
        }
        const auto refs = embedded.write(u);
        fonts += " /F1 " + refs.horizontal.ref();
        if (refs.vertical.id != 0) fonts += " /F2 " + refs.vertical.ref();
    }
    content += "Q\n";
    std::string resources = " /Resources <<";
    if (!fonts.empty()) resources += " /Font <<" + fonts + " >>";
    resources += xobjects + " >>";
    u.put(ap, stream_body(" /Type /XObject /Subtype /Form /BBox [0 0 " + num(width) + " " + num(height) +
                              "]" + resources,
                          as_bytes(content)));
    return ap;
}

}  // namespace inkan::pdf::detail

namespace inkan::pdf {

std::filesystem::path default_appearance_font() {
    return detail::default_font_path();
}

void check_appearance(const Appearance& appearance) {
    // A scratch update that is never written: add_appearance only allocates and stores bodies.
    detail::IncrementalUpdate scratch{detail::Base{}};
    (void)detail::add_appearance(scratch, &appearance, appearance.rect.x2 - appearance.rect.x1,
                                 appearance.rect.y2 - appearance.rect.y1);
}

std::optional<SealStyle> seal_style_from_name(std::string_view name) {
    if (name == "round") return SealStyle::Round;
    if (name == "square") return SealStyle::Square;
    if (name == "oval") return SealStyle::Oval;
    if (name == "none") return SealStyle::None;
    return std::nullopt;
}

}  // namespace inkan::pdf
