#pragma once

// Embedded font subsets for appearance streams (decision 0031): a TrueType/OpenType font with
// glyf outlines is shaped with HarfBuzz and written as a Type0 font whose descendant is a
// CIDFontType2 subset (ISO 32000-1 §9.7.4, §9.7.6.1 Identity-H/-V, §9.9 FontFile2, §9.10.3
// ToUnicode) holding only the glyphs used (hb-subset), named with a subset tag (§9.6.4).

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <inkan/core/bytes.h>

#include "update.h"

namespace inkan::pdf::detail {

/// Font files are untrusted-ish input (a path from the configuration or a client option): read at
/// most this many bytes (a full CJK font is 6-25 MB).
constexpr std::uintmax_t kMaxFontFileSize = 64u * 1024u * 1024u;

/// One glyph as HarfBuzz placed it, in font units.
struct ShapedGlyph {
    std::uint32_t gid = 0;
    std::uint32_t cluster = 0;  ///< byte offset into the shaped UTF-8 text
    std::int32_t x_advance = 0, y_advance = 0, x_offset = 0, y_offset = 0;
};

/// A shaped piece of text: its glyphs and the text they came from.
struct ShapedText {
    std::string text;
    std::vector<ShapedGlyph> glyphs;
    std::int64_t advance = 0;  ///< total advance along the writing direction, font units (positive)
};

/// The path of the first appearance font found among the Debian packages scripts/install-deps
/// installs (IPA Mincho, IPA Gothic, Noto CJK TrueType flavours); empty when none is installed.
std::filesystem::path default_font_path();

/// A font file loaded for one appearance. Move-only; owns the HarfBuzz blob, face and font.
class Font {
public:
    /// Reads and checks the file: Errc::NotFound when it cannot be read, Errc::PayloadTooLarge over
    /// kMaxFontFileSize, Errc::InvalidRequest when it is not a TrueType/OpenType font with glyf
    /// outlines (a CFF-only font, a garbage file) or its metrics are out of range.
    static Font load(const std::filesystem::path& path);

    Font(Font&&) noexcept;
    Font& operator=(Font&&) noexcept;
    ~Font();

    /// Shapes `utf8` horizontally or vertically (TTB, with the font's 'vert' forms). Errc::InvalidRequest
    /// naming the first character the font has no glyph for ("U+9AD9 (髙)"), never a .notdef box; a
    /// variation selector the font has no variant for falls back to the base character.
    [[nodiscard]] ShapedText shape(std::string_view utf8, bool vertical) const;

    [[nodiscard]] int units_per_em() const noexcept { return m_upem; }
    /// The PostScript name (name ID 6), reduced to characters a PDF name may hold unescaped.
    [[nodiscard]] const std::string& postscript_name() const noexcept { return m_name; }
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return m_path; }

    /// The glyph's nominal horizontal advance (hmtx), vertical advance (vmtx; negative, downwards)
    /// and vertical origin relative to the horizontal one, in font units.
    [[nodiscard]] std::int32_t h_advance(std::uint32_t gid) const;
    [[nodiscard]] std::int32_t v_advance(std::uint32_t gid) const;
    [[nodiscard]] std::pair<std::int32_t, std::int32_t> v_origin(std::uint32_t gid) const;

    /// The glyph's ink box (x1, y1, x2, y2), font units, y up; zeros for an empty glyph.
    struct Box {
        std::int32_t x1, y1, x2, y2;
    };
    [[nodiscard]] Box extents(std::uint32_t gid) const;

    /// The glyph's outline as PDF path operators (m l c h), scaled by `sx`, `sy` (points per font
    /// unit) and placed with its horizontal origin at (x, y). Used to draw the generated seal.
    [[nodiscard]] std::string outline(std::uint32_t gid, double sx, double sy, double x, double y) const;

    struct Impl;

private:
    friend class EmbeddedFont;
    explicit Font(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
    int m_upem = 1000;
    std::string m_name;
    std::filesystem::path m_path;
};

/// The glyphs one appearance uses from one font, and the PDF objects that embed them.
class EmbeddedFont {
public:
    explicit EmbeddedFont(const Font& font) : m_font{&font} {}

    /// Records the glyphs of `shaped` (their CIDs, widths and the text for ToUnicode) and returns
    /// the TJ array that shows them ("[<0001> -12 <0002>]"), the HarfBuzz advances kept through
    /// adjustments against the W (or W2, vertical) widths.
    std::string show(const ShapedText& shaped, bool vertical);

    [[nodiscard]] bool empty() const noexcept { return m_glyphs.empty(); }

    /// Writes the subset (hb-subset), FontFile2, FontDescriptor, CIDFontType2 (W, W2 when a
    /// vertical run was shown, CIDToGIDMap), ToUnicode and the Type0 fonts: one with Identity-H and,
    /// when used, one with Identity-V over the same CIDFont. Checks the PDF/A font rules it relies
    /// on before returning (every CID shown has a width, a ToUnicode entry and a glyph in the subset).
    struct Refs {
        ObjRef horizontal;  ///< Type0 /Identity-H
        ObjRef vertical;    ///< Type0 /Identity-V (id 0 when no vertical text)
    };
    Refs write(IncrementalUpdate& update) const;

private:
    struct Used {
        std::int32_t width = 0;                       ///< W, 1/1000 em
        std::int32_t v_advance = 0;                   ///< W2 w1y, 1/1000 em
        std::int32_t v_origin_x = 0, v_origin_y = 0;  ///< W2 v, 1/1000 em
        std::u32string text;                          ///< ToUnicode
    };
    const Font* m_font;
    std::map<std::uint32_t, Used> m_glyphs;  ///< by CID = the original font's glyph id
    bool m_vertical_used = false;
};

/// The subset tag (ISO 32000-1 §9.6.4): six upper-case letters derived from the glyph set, so the
/// same glyphs give the same tag and different subsets (almost always) differ.
std::string subset_tag(const std::vector<std::uint32_t>& gids);

}  // namespace inkan::pdf::detail
