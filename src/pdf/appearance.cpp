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

namespace inkan::pdf::detail {
namespace {

constexpr std::size_t kMaxPixels = 16u * 1024u * 1024u;  // a seal image, not a poster

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

/// UTF-16BE code units as a hex string, for a font with /Encoding /UniJIS-UTF16-H.
std::string utf16_hex(std::string_view utf8) {
    Bytes out;
    append_utf16be(out, utf8, "pdf: an appearance line is not valid UTF-8");
    return pdf_hex_string(out);
}

/// Rough advance widths in em, enough to keep a line inside the box.
double width_em(std::string_view utf8) {
    double w = 0;
    std::size_t i = 0;
    while (i < utf8.size()) {
        const auto cp = utf8_next(utf8, i);
        if (!cp) break;
        w += *cp < 0x80 ? 0.6 : 1.0;
    }
    return w;
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

}  // namespace

ObjRef add_appearance(IncrementalUpdate& u, const Appearance* a, double width, double height) {
    const ObjRef ap = u.allocate();
    if (a == nullptr) {
        // An invisible signature still gets an (empty) appearance: PDF/A requires /AP /N.
        u.put(ap, stream_body(" /Type /XObject /Subtype /Form /BBox [0 0 0 0]", {}));
        return ap;
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
        const double box =
            std::max(0.0, std::min(height - 2 * pad, a->lines.empty() ? width - 2 * pad : width / 3));
        const double scale = box / std::max(img.width, img.height);
        const double iw = img.width * scale;
        const double ih = img.height * scale;
        content += "q " + num(iw) + " 0 0 " + num(ih) + " " + num(pad + (box - iw) / 2) + " " +
                   num((height - ih) / 2) + " cm /Im1 Do Q\n";
        xobjects = " /XObject << /Im1 " + img.ref.ref() + " >>";
        text_x = pad * 2 + box;
    }

    // Each line is split into runs: printable ASCII in Helvetica, everything else in the CJK font
    // (whose Latin glyphs would otherwise be full width).
    struct Run {
        bool latin;
        std::string text;
    };
    std::vector<std::vector<Run>> lines;
    bool need_latin = false;
    bool need_cjk = false;
    double widest = 0;
    for (const auto& line : a->lines) {
        std::vector<Run> runs;
        std::size_t i = 0;
        while (i < line.size()) {
            const std::size_t start = i;
            const auto cp = utf8_next(line, i);
            require(cp.has_value(), Errc::InvalidEncoding, "pdf: an appearance line is not valid UTF-8");
            const bool latin = *cp >= 0x20 && *cp < 0x7f;
            if (runs.empty() || runs.back().latin != latin) runs.push_back(Run{latin, {}});
            runs.back().text.append(line, start, i - start);
            (latin ? need_latin : need_cjk) = true;
        }
        widest = std::max(widest, width_em(line));
        lines.push_back(std::move(runs));
    }
    std::string fonts;
    if (!lines.empty()) {
        const double n = static_cast<double>(lines.size());
        double size = std::min(12.0, (height - 2 * pad) / (n * 1.2));
        if (widest > 0) size = std::min(size, (width - text_x - pad) / widest);
        size = std::max(size, 1.0);
        content += "0 g\nBT\n";
        double y = height - pad - size;
        for (const auto& runs : lines) {
            content += "1 0 0 1 " + num(text_x) + " " + num(y) + " Tm";
            for (const auto& run : runs) {
                content += std::string{run.latin ? " /F1 " : " /F2 "} + num(size) + " Tf " +
                           (run.latin ? pdf_literal_string(as_bytes(run.text)) : utf16_hex(run.text)) + " Tj";
            }
            content += "\n";
            y -= size * 1.2;
        }
        content += "ET\n";
        if (need_latin) {
            const ObjRef f1 = u.allocate();
            u.put(f1, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>");
            fonts += " /F1 " + f1.ref();
        }
        if (need_cjk) {
            // A non-embedded Adobe-Japan1 CID font (ISO 32000-1 §9.7.5.2 predefined CMaps); viewers
            // substitute an installed Japanese font for it.
            const ObjRef desc = u.allocate();
            const ObjRef cid = u.allocate();
            const ObjRef f2 = u.allocate();
            u.put(desc,
                  "<< /Type /FontDescriptor /FontName /KozMinPr6N-Regular /Flags 6 /FontBBox [-437 -340 1147 "
                  "1317]"
                  " /ItalicAngle 0 /Ascent 1317 /Descent -349 /CapHeight 742 /StemV 80 >>");
            u.put(cid,
                  "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /KozMinPr6N-Regular /CIDSystemInfo << "
                  "/Registry "
                  "(Adobe) /Ordering (Japan1) /Supplement 6 >> /FontDescriptor " +
                      desc.ref() + " /DW 1000 >>");
            u.put(f2,
                  "<< /Type /Font /Subtype /Type0 /BaseFont /KozMinPr6N-Regular-UniJIS-UTF16-H /Encoding "
                  "/UniJIS-UTF16-H"
                  " /DescendantFonts [" +
                      cid.ref() + "] >>");
            fonts += " /F2 " + f2.ref();
        }
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
