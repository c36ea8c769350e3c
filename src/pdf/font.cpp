#include "font.h"

#include <hb-ot.h>
#include <hb-subset.h>
#include <hb.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/pdf/syntax.h>

namespace inkan::pdf::detail {
namespace {

struct BlobFree {
    void operator()(hb_blob_t* p) const noexcept { hb_blob_destroy(p); }
};
struct FaceFree {
    void operator()(hb_face_t* p) const noexcept { hb_face_destroy(p); }
};
struct FontFree {
    void operator()(hb_font_t* p) const noexcept { hb_font_destroy(p); }
};
struct BufferFree {
    void operator()(hb_buffer_t* p) const noexcept { hb_buffer_destroy(p); }
};
struct InputFree {
    void operator()(hb_subset_input_t* p) const noexcept { hb_subset_input_destroy(p); }
};
struct PlanFree {
    void operator()(hb_subset_plan_t* p) const noexcept { hb_subset_plan_destroy(p); }
};
struct DrawFree {
    void operator()(hb_draw_funcs_t* p) const noexcept { hb_draw_funcs_destroy(p); }
};
using Blob = std::unique_ptr<hb_blob_t, BlobFree>;
using Face = std::unique_ptr<hb_face_t, FaceFree>;
using HbFont = std::unique_ptr<hb_font_t, FontFree>;

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    std::string s = buf;
    return s == "-0.00" ? "0.00" : s;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

/// "U+9AD9 (髙)": how an error names a character.
std::string describe(char32_t cp) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
    std::string out = buf;
    if (cp >= 0x20 && cp != 0x7F && !(cp >= 0x80 && cp < 0xA0)) {
        std::string utf8;
        append_utf8(utf8, cp);
        out += " (" + utf8 + ")";
    }
    return out;
}

bool is_variation_selector(char32_t cp) {
    return (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xE0100 && cp <= 0xE01EF) ||
           (cp >= 0x180B && cp <= 0x180D);
}

/// Characters of the right-to-left scripts (Hebrew, Arabic, Syriac, Thaana, NKo, ... and their
/// presentation forms) and the bidi controls that start right-to-left runs. The appearance lays
/// text out left to right or top to bottom only, so such text would come out reversed.
bool is_right_to_left(char32_t cp) {
    return (cp >= 0x0590 && cp <= 0x08FF) || (cp >= 0xFB1D && cp <= 0xFDFF) ||
           (cp >= 0xFE70 && cp <= 0xFEFF) || (cp >= 0x10800 && cp <= 0x10FFF) ||
           (cp >= 0x1E800 && cp <= 0x1EFFF) || cp == 0x200F || cp == 0x202B || cp == 0x202E || cp == 0x2067 ||
           cp == 0x061C;
}

/// C0 and C1 controls, and the other bidi/format controls that reorder or hide text.
bool is_control(char32_t cp) {
    return cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFB);
}

Bytes deflate_bytes(ByteView data) {
    uLongf len = compressBound(static_cast<uLong>(data.size()));
    Bytes out(len);
    require(
        compress2(out.data(), &len, data.data(), static_cast<uLong>(data.size()), Z_BEST_COMPRESSION) == Z_OK,
        Errc::Internal, "pdf: zlib could not compress the font");
    out.resize(len);
    return out;
}

std::int32_t per_mille(std::int64_t units, int upem) {
    return static_cast<std::int32_t>(std::lround(static_cast<double>(units) * 1000.0 / upem));
}

std::string hex4(std::uint32_t v) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04X", v & 0xFFFFu);
    return buf;
}

std::string utf16_hex_of(const std::u32string& text) {
    std::string out;
    for (const char32_t cp : text) {
        if (cp >= 0x10000) {
            const std::uint32_t v = cp - 0x10000;
            out += hex4(0xD800 + (v >> 10)) + hex4(0xDC00 + (v & 0x3FF));
        } else {
            out += hex4(cp);
        }
    }
    return out;
}

}  // namespace

struct Font::Impl {
    Blob blob;
    Face face;
    HbFont font;
    unsigned glyph_count = 0;
};

Font::Font(std::unique_ptr<Impl> impl) : m_impl{std::move(impl)} {}
Font::Font(Font&&) noexcept = default;
Font& Font::operator=(Font&&) noexcept = default;
Font::~Font() = default;

std::filesystem::path default_font_path() {
    // Debian 12 packages (scripts/install-deps installs the IPA fonts): Mincho first, the classic
    // typeface of a signature block; TrueType (glyf) flavours only, see Font::load.
    static const std::array<const char*, 5> candidates{
        "/usr/share/fonts/opentype/ipafont-mincho/ipam.ttf",
        "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
        "/usr/share/fonts/truetype/fonts-japanese-mincho.ttf",
        "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
        "/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf",
    };
    for (const char* c : candidates) {
        std::error_code ec;
        if (std::filesystem::is_regular_file(c, ec)) return c;
    }
    return {};
}

Font Font::load(const std::filesystem::path& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    require(!ec, Errc::NotFound, "pdf: cannot read the appearance font " + path.string());
    require(size <= kMaxFontFileSize, Errc::PayloadTooLarge,
            "pdf: the appearance font " + path.string() + " is larger than " +
                std::to_string(kMaxFontFileSize / (1024 * 1024)) + " MiB");
    std::ifstream in{path, std::ios::binary};
    require(in.good(), Errc::NotFound, "pdf: cannot read the appearance font " + path.string());
    auto data =
        std::make_shared<std::string>(std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{});
    require(!data->empty() && data->size() <= kMaxFontFileSize, Errc::InvalidRequest,
            "pdf: the appearance font " + path.string() + " is empty or changed while read");

    auto impl = std::make_unique<Impl>();
    // The blob keeps the bytes alive through a heap copy of the shared pointer.
    auto* keep = new std::shared_ptr<std::string>(data);
    impl->blob.reset(hb_blob_create(data->data(), static_cast<unsigned>(data->size()),
                                    HB_MEMORY_MODE_READONLY, keep,
                                    [](void* p) { delete static_cast<std::shared_ptr<std::string>*>(p); }));
    const std::string bad = "pdf: the appearance font " + path.string() + " is not a TrueType/OpenType font";
    require(hb_face_count(impl->blob.get()) >= 1, Errc::InvalidRequest, bad);
    impl->face.reset(hb_face_create(impl->blob.get(), 0));
    impl->glyph_count = hb_face_get_glyph_count(impl->face.get());
    require(impl->glyph_count > 1 && impl->glyph_count <= 65535, Errc::InvalidRequest, bad);
    const unsigned upem = hb_face_get_upem(impl->face.get());
    require(upem >= 16 && upem <= 16384, Errc::InvalidRequest, bad + " (units per em out of range)");
    {
        // A CIDFontType2 needs TrueType outlines (ISO 32000-1 §9.9: FontFile2); a CFF-only font
        // (OTF with 'CFF ') would need FontFile3, which inkan does not write (decision 0031).
        Blob glyf{hb_face_reference_table(impl->face.get(), HB_TAG('g', 'l', 'y', 'f'))};
        Blob loca{hb_face_reference_table(impl->face.get(), HB_TAG('l', 'o', 'c', 'a'))};
        require(hb_blob_get_length(glyf.get()) > 0 && hb_blob_get_length(loca.get()) > 0,
                Errc::InvalidRequest,
                "pdf: the appearance font " + path.string() +
                    " has no TrueType (glyf) outlines; use a TrueType font such as IPA Mincho (ipam.ttf)");
    }
    impl->font.reset(hb_font_create(impl->face.get()));
    hb_font_set_scale(impl->font.get(), static_cast<int>(upem), static_cast<int>(upem));
    hb_ot_font_set_funcs(impl->font.get());

    char name[128] = {};
    unsigned name_len = sizeof name;
    hb_ot_name_get_utf8(impl->face.get(), HB_OT_NAME_ID_POSTSCRIPT_NAME, HB_LANGUAGE_INVALID, &name_len,
                        name);
    std::string ps;
    for (const char* p = name; *p != '\0'; ++p) {
        const char c = *p;
        // PDF name characters without escapes (§7.3.5), and no delimiters.
        if (c > 0x20 && c < 0x7F && std::string_view{"()<>[]{}/%#"}.find(c) == std::string_view::npos)
            ps += c;
    }
    if (ps.empty()) ps = "Font";

    Font f{std::move(impl)};
    f.m_upem = static_cast<int>(upem);
    f.m_name = ps.substr(0, 60);
    f.m_path = path;
    return f;
}

ShapedText Font::shape(std::string_view utf8, bool vertical) const {
    ShapedText out;
    out.text = std::string{utf8};
    std::size_t i = 0;
    while (i < utf8.size()) {
        const auto cp = utf8_next(utf8, i);
        require(cp.has_value(), Errc::InvalidEncoding, "pdf: the appearance text is not valid UTF-8");
        require(!is_control(*cp), Errc::InvalidRequest,
                "pdf: the appearance text has the control character " + describe(*cp));
        require(!is_right_to_left(*cp), Errc::InvalidRequest,
                "pdf: the appearance text has the right-to-left character " + describe(*cp) +
                    "; only left-to-right and vertical text can be laid out");
        if (is_variation_selector(*cp)) continue;  // a variant the font lacks falls back to the base
        hb_codepoint_t g = 0;
        require(hb_font_get_nominal_glyph(m_impl->font.get(), *cp, &g) != 0 && g != 0, Errc::InvalidRequest,
                "pdf: the appearance font " + m_name + " has no glyph for " + describe(*cp));
    }
    std::unique_ptr<hb_buffer_t, BufferFree> buf{hb_buffer_create()};
    hb_buffer_add_utf8(buf.get(), utf8.data(), static_cast<int>(utf8.size()), 0,
                       static_cast<int>(utf8.size()));
    hb_buffer_set_direction(buf.get(), vertical ? HB_DIRECTION_TTB : HB_DIRECTION_LTR);
    hb_buffer_guess_segment_properties(buf.get());
    // An ignorable the font has no use for (a variation selector without a variant) is removed, not
    // shown as an invisible glyph.
    hb_buffer_set_flags(buf.get(), HB_BUFFER_FLAG_REMOVE_DEFAULT_IGNORABLES);
    hb_shape(m_impl->font.get(), buf.get(), nullptr, 0);
    require(hb_buffer_allocation_successful(buf.get()) != 0, Errc::Internal,
            "pdf: HarfBuzz ran out of memory");
    unsigned n = 0;
    const hb_glyph_info_t* info = hb_buffer_get_glyph_infos(buf.get(), &n);
    const hb_glyph_position_t* pos = hb_buffer_get_glyph_positions(buf.get(), &n);
    // HarfBuzz results are checked, not trusted: a glyph id inside the font, a cluster inside the
    // text, advances and offsets within a few ems.
    const std::int64_t limit = 8LL * m_upem;
    for (unsigned k = 0; k < n; ++k) {
        const ShapedGlyph g{info[k].codepoint, info[k].cluster, pos[k].x_advance,
                            pos[k].y_advance,  pos[k].x_offset, pos[k].y_offset};
        require(g.gid != 0 && g.gid < m_impl->glyph_count && g.cluster < utf8.size(), Errc::InvalidRequest,
                "pdf: the appearance font " + m_name + " gave an unusable glyph for the text");
        require(std::abs(g.x_advance) <= limit && std::abs(g.y_advance) <= limit &&
                    std::abs(g.x_offset) <= limit && std::abs(g.y_offset) <= limit,
                Errc::InvalidRequest, "pdf: the appearance font " + m_name + " has out-of-range metrics");
        out.advance += vertical ? -static_cast<std::int64_t>(g.y_advance) : g.x_advance;
        out.glyphs.push_back(g);
    }
    return out;
}

std::int32_t Font::h_advance(std::uint32_t gid) const {
    return hb_font_get_glyph_h_advance(m_impl->font.get(), gid);
}

std::int32_t Font::v_advance(std::uint32_t gid) const {
    return hb_font_get_glyph_v_advance(m_impl->font.get(), gid);
}

Font::Box Font::extents(std::uint32_t gid) const {
    hb_glyph_extents_t e{};
    if (hb_font_get_glyph_extents(m_impl->font.get(), gid, &e) == 0) return {0, 0, 0, 0};
    return {e.x_bearing, e.y_bearing + e.height, e.x_bearing + e.width, e.y_bearing};
}

std::pair<std::int32_t, std::int32_t> Font::v_origin(std::uint32_t gid) const {
    hb_position_t x = 0, y = 0;
    if (hb_font_get_glyph_v_origin(m_impl->font.get(), gid, &x, &y) == 0) {
        // The PDF default (DW2 [880 -1000]): half the width across, 880/1000 em up.
        x = h_advance(gid) / 2;
        y = m_upem * 880 / 1000;
    }
    return {x, y};
}

namespace {
struct Pen {
    std::string path;
    double sx, sy, x, y;
    double cx = 0, cy = 0;  // current point, font units
    std::string pt(float fx, float fy) const { return num(x + fx * sx) + " " + num(y + fy * sy); }
};
}  // namespace

std::string Font::outline(std::uint32_t gid, double sx, double sy, double x, double y) const {
    static hb_draw_funcs_t* const funcs = [] {
        hb_draw_funcs_t* f = hb_draw_funcs_create();
        hb_draw_funcs_set_move_to_func(
            f,
            [](hb_draw_funcs_t*, void* d, hb_draw_state_t*, float tx, float ty, void*) {
                auto* p = static_cast<Pen*>(d);
                p->path += p->pt(tx, ty) + " m\n";
                p->cx = tx;
                p->cy = ty;
            },
            nullptr, nullptr);
        hb_draw_funcs_set_line_to_func(
            f,
            [](hb_draw_funcs_t*, void* d, hb_draw_state_t*, float tx, float ty, void*) {
                auto* p = static_cast<Pen*>(d);
                p->path += p->pt(tx, ty) + " l\n";
                p->cx = tx;
                p->cy = ty;
            },
            nullptr, nullptr);
        hb_draw_funcs_set_quadratic_to_func(
            f,
            [](hb_draw_funcs_t*, void* d, hb_draw_state_t*, float qx, float qy, float tx, float ty, void*) {
                // A quadratic Bézier as the cubic with control points 2/3 of the way to q.
                auto* p = static_cast<Pen*>(d);
                const auto c1x = static_cast<float>(p->cx + 2.0 / 3 * (qx - p->cx));
                const auto c1y = static_cast<float>(p->cy + 2.0 / 3 * (qy - p->cy));
                const auto c2x = static_cast<float>(tx + 2.0 / 3 * (qx - tx));
                const auto c2y = static_cast<float>(ty + 2.0 / 3 * (qy - ty));
                p->path += p->pt(c1x, c1y) + " " + p->pt(c2x, c2y) + " " + p->pt(tx, ty) + " c\n";
                p->cx = tx;
                p->cy = ty;
            },
            nullptr, nullptr);
        hb_draw_funcs_set_cubic_to_func(
            f,
            [](hb_draw_funcs_t*, void* d, hb_draw_state_t*, float ax, float ay, float bx, float by, float tx,
               float ty, void*) {
                auto* p = static_cast<Pen*>(d);
                p->path += p->pt(ax, ay) + " " + p->pt(bx, by) + " " + p->pt(tx, ty) + " c\n";
                p->cx = tx;
                p->cy = ty;
            },
            nullptr, nullptr);
        hb_draw_funcs_set_close_path_func(
            f,
            [](hb_draw_funcs_t*, void* d, hb_draw_state_t*, void*) { static_cast<Pen*>(d)->path += "h\n"; },
            nullptr, nullptr);
        hb_draw_funcs_make_immutable(f);
        return f;
    }();
    Pen pen{{}, sx, sy, x, y};
    hb_font_get_glyph_shape(m_impl->font.get(), gid, funcs, &pen);
    return pen.path;
}

std::string subset_tag(const std::vector<std::uint32_t>& gids) {
    // FNV-1a over the glyph ids: deterministic, no crypto needed (the pdf layer has none, 0008).
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const std::uint32_t g : gids) {
        for (int s = 0; s < 32; s += 8) {
            h ^= (g >> s) & 0xFF;
            h *= 0x100000001b3ULL;
        }
    }
    std::string tag;
    for (int k = 0; k < 6; ++k) {
        tag += static_cast<char>('A' + h % 26);
        h /= 26;
    }
    return tag;
}

std::string EmbeddedFont::show(const ShapedText& shaped, bool vertical) {
    const int upem = m_font->units_per_em();
    m_vertical_used = m_vertical_used || vertical;
    // The text of each cluster goes to the cluster's first glyph (ToUnicode maps a CID to a string).
    std::string tj = "[";
    for (std::size_t k = 0; k < shaped.glyphs.size(); ++k) {
        const ShapedGlyph& g = shaped.glyphs[k];
        auto [it, fresh] = m_glyphs.try_emplace(g.gid);
        Used& used = it->second;
        if (fresh) {
            used.width = per_mille(m_font->h_advance(g.gid), upem);
            used.v_advance = per_mille(m_font->v_advance(g.gid), upem);
            const auto [ox, oy] = m_font->v_origin(g.gid);
            used.v_origin_x = per_mille(ox, upem);
            used.v_origin_y = per_mille(oy, upem);
        }
        const bool first_of_cluster = k == 0 || shaped.glyphs[k - 1].cluster != g.cluster;
        if (fresh && first_of_cluster) {
            // The cluster runs to the next cluster's start (HarfBuzz keeps clusters monotonic for
            // LTR and TTB), or to the end of the text.
            std::size_t end = shaped.text.size();
            for (std::size_t j = k + 1; j < shaped.glyphs.size(); ++j) {
                if (shaped.glyphs[j].cluster != g.cluster) {
                    end = std::max<std::size_t>(shaped.glyphs[j].cluster, g.cluster);
                    break;
                }
            }
            std::size_t i = g.cluster;
            while (i < end) {
                const auto cp = utf8_next(shaped.text, i);
                if (!cp) break;
                used.text.push_back(*cp);
            }
        }
        tj += "<" + hex4(g.gid) + ">";
        // The viewer advances by W (or W2's w1y); HarfBuzz's advance (kerning, proportional forms)
        // is kept by the difference as a TJ adjustment (ISO 32000-1 §9.4.3).
        const std::int32_t pdf_adv = vertical ? used.v_advance : used.width;
        const std::int32_t hb_adv = per_mille(vertical ? g.y_advance : g.x_advance, upem);
        const std::int32_t adjust = pdf_adv - hb_adv;
        if (adjust != 0 && k + 1 < shaped.glyphs.size()) tj += " " + std::to_string(adjust) + " ";
    }
    return tj + "]";
}

EmbeddedFont::Refs EmbeddedFont::write(IncrementalUpdate& u) const {
    require(!m_glyphs.empty(), Errc::Internal, "pdf: an embedded font without glyphs");
    const int upem = m_font->units_per_em();
    std::vector<std::uint32_t> gids;
    for (const auto& [gid, used] : m_glyphs)
        gids.push_back(gid);

    // hb-subset: only these glyphs (plus .notdef and composite components), no hinting.
    std::unique_ptr<hb_subset_input_t, InputFree> input{hb_subset_input_create_or_fail()};
    require(input != nullptr, Errc::Internal, "pdf: HarfBuzz could not create a subset input");
    hb_set_t* glyphs = hb_subset_input_glyph_set(input.get());
    for (const std::uint32_t g : gids)
        hb_set_add(glyphs, g);
    hb_subset_input_set_flags(input.get(), HB_SUBSET_FLAGS_NO_HINTING);
    const Font::Impl& impl = *m_font->m_impl;
    std::unique_ptr<hb_subset_plan_t, PlanFree> plan{
        hb_subset_plan_create_or_fail(impl.face.get(), input.get())};
    require(plan != nullptr, Errc::InvalidRequest, "pdf: HarfBuzz could not subset the appearance font");
    const hb_map_t* old_to_new = hb_subset_plan_old_to_new_glyph_mapping(plan.get());
    Face subset{hb_subset_plan_execute_or_fail(plan.get())};
    require(subset != nullptr, Errc::InvalidRequest, "pdf: HarfBuzz could not subset the appearance font");
    Blob subset_blob{hb_face_reference_blob(subset.get())};
    unsigned subset_len = 0;
    const char* subset_data = hb_blob_get_data(subset_blob.get(), &subset_len);
    require(subset_len > 0, Errc::InvalidRequest, "pdf: HarfBuzz produced an empty font subset");

    // CIDs are the original glyph ids; CIDToGIDMap (a stream, §9.7.4.2 table 117) maps them to the
    // subset's glyph ids.
    const std::uint32_t max_cid = gids.back();
    Bytes map(2 * (static_cast<std::size_t>(max_cid) + 1), 0);
    for (const std::uint32_t g : gids) {
        const hb_codepoint_t n = hb_map_get(old_to_new, g);
        require(n != HB_MAP_VALUE_INVALID && n < 65536, Errc::Internal,
                "pdf: the font subset lost glyph " + std::to_string(g));
        map[2 * g] = static_cast<std::uint8_t>(n >> 8);
        map[2 * g + 1] = static_cast<std::uint8_t>(n & 0xFF);
    }

    // PDF/A-relevant rules (ISO 19005-2 §6.2.11.4), checked here rather than hoped for: every CID
    // shown has a width in W, a ToUnicode entry, and maps to a glyph of the embedded subset.
    const unsigned subset_glyphs = hb_face_get_glyph_count(subset.get());
    for (const auto& [gid, used] : m_glyphs) {
        const hb_codepoint_t n = hb_map_get(old_to_new, gid);
        require(n != 0 && n < subset_glyphs, Errc::Internal,
                "pdf: CID " + std::to_string(gid) + " has no glyph");
        require(!used.text.empty(), Errc::Internal,
                "pdf: CID " + std::to_string(gid) + " has no ToUnicode text");
    }

    const std::string name = subset_tag(gids) + "+" + m_font->postscript_name();

    const ObjRef file = u.allocate();
    u.put(file, stream_body(
                    " /Length1 " + std::to_string(subset_len) + " /Filter /FlateDecode",
                    deflate_bytes(ByteView{reinterpret_cast<const std::uint8_t*>(subset_data), subset_len})));

    // Metrics of the descriptor: bounding box over the glyphs used, ascent/descent from the font.
    hb_font_t* font = impl.font.get();
    std::int64_t x1 = 0, y1 = 0, x2 = 0, y2 = 0;
    for (const std::uint32_t g : gids) {
        hb_glyph_extents_t e{};
        if (hb_font_get_glyph_extents(font, g, &e) == 0) continue;
        x1 = std::min<std::int64_t>(x1, e.x_bearing);
        x2 = std::max<std::int64_t>(x2, static_cast<std::int64_t>(e.x_bearing) + e.width);
        y2 = std::max<std::int64_t>(y2, e.y_bearing);
        y1 = std::min<std::int64_t>(y1, static_cast<std::int64_t>(e.y_bearing) + e.height);
    }
    hb_position_t ascent = upem * 88 / 100, descent = -upem * 12 / 100, cap = upem * 7 / 10;
    hb_ot_metrics_get_position(font, HB_OT_METRICS_TAG_HORIZONTAL_ASCENDER, &ascent);
    hb_ot_metrics_get_position(font, HB_OT_METRICS_TAG_HORIZONTAL_DESCENDER, &descent);
    if (hb_ot_metrics_get_position(font, HB_OT_METRICS_TAG_CAP_HEIGHT, &cap) == 0 || cap <= 0) cap = ascent;
    const ObjRef desc = u.allocate();
    // Flags 4: symbolic (characters outside the standard Latin set, §9.8.2).
    u.put(desc, "<< /Type /FontDescriptor /FontName /" + name + " /Flags 4 /FontBBox [" +
                    std::to_string(per_mille(x1, upem)) + " " + std::to_string(per_mille(y1, upem)) + " " +
                    std::to_string(per_mille(x2, upem)) + " " + std::to_string(per_mille(y2, upem)) +
                    "] /ItalicAngle 0 /Ascent " + std::to_string(per_mille(ascent, upem)) + " /Descent " +
                    std::to_string(per_mille(descent, upem)) + " /CapHeight " +
                    std::to_string(per_mille(cap, upem)) + " /StemV 80 /FontFile2 " + file.ref() + " >>");

    const ObjRef cid_map = u.allocate();
    u.put(cid_map, stream_body(" /Filter /FlateDecode", deflate_bytes(map)));

    std::string w = "[";
    std::string w2 = "[";
    for (const auto& [gid, used] : m_glyphs) {
        w += " " + std::to_string(gid) + " [" + std::to_string(used.width) + "]";
        w2 += " " + std::to_string(gid) + " " + std::to_string(gid) + " " + std::to_string(used.v_advance) +
              " " + std::to_string(used.v_origin_x) + " " + std::to_string(used.v_origin_y);
    }
    w += " ]";
    w2 += " ]";
    const ObjRef cid = u.allocate();
    u.put(cid,
          "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /" + name +
              " /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor " +
              desc.ref() + " /DW 1000 /W " + w + (m_vertical_used ? " /W2 " + w2 : std::string{}) +
              " /CIDToGIDMap " + cid_map.ref() + " >>");

    // ToUnicode (§9.10.3): one bfchar per CID, at most 100 per block (the CMap syntax's limit).
    std::string cmap =
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) "
        "/Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n";
    std::vector<std::pair<std::uint32_t, const Used*>> entries;
    for (const auto& [gid, used] : m_glyphs)
        entries.emplace_back(gid, &used);
    for (std::size_t k = 0; k < entries.size(); k += 100) {
        const std::size_t n = std::min<std::size_t>(100, entries.size() - k);
        cmap += std::to_string(n) + " beginbfchar\n";
        for (std::size_t j = k; j < k + n; ++j) {
            cmap += "<" + hex4(entries[j].first) + "> <" + utf16_hex_of(entries[j].second->text) + ">\n";
        }
        cmap += "endbfchar\n";
    }
    cmap += "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n";
    const ObjRef to_unicode = u.allocate();
    u.put(to_unicode, stream_body("", as_bytes(cmap)));

    Refs refs;
    refs.horizontal = u.allocate();
    u.put(refs.horizontal, "<< /Type /Font /Subtype /Type0 /BaseFont /" + name +
                               " /Encoding /Identity-H /DescendantFonts [" + cid.ref() + "] /ToUnicode " +
                               to_unicode.ref() + " >>");
    if (m_vertical_used) {
        refs.vertical = u.allocate();
        u.put(refs.vertical, "<< /Type /Font /Subtype /Type0 /BaseFont /" + name +
                                 " /Encoding /Identity-V /DescendantFonts [" + cid.ref() + "] /ToUnicode " +
                                 to_unicode.ref() + " >>");
    }
    return refs;
}

}  // namespace inkan::pdf::detail
