#include <inkan/pdf/syntax.h>

#include <cstdint>
#include <cstdio>
#include <ctime>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>

namespace inkan::pdf {

std::string pdf_date(TimePoint t, std::chrono::minutes utc_offset) {
    require(utc_offset > std::chrono::hours{-24} && utc_offset < std::chrono::hours{24}, Errc::InvalidRequest,
            "pdf: a UTC offset must be less than 24 hours");
    const auto local = std::chrono::floor<std::chrono::seconds>(t) + utc_offset;
    const std::time_t secs = std::chrono::system_clock::to_time_t(local);
    std::tm tm{};
    require(gmtime_r(&secs, &tm) != nullptr, Errc::InvalidRequest, "pdf: time out of range");
    char buf[64];
    std::snprintf(buf, sizeof buf, "D:%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
    std::string out = buf;
    const auto total = utc_offset.count();
    if (total == 0) {
        return out + "Z";
    }
    const auto mag = total < 0 ? -total : total;
    // ISO 32000-1 §7.9.4: O HH ' mm (PDF 1.x readers expect the trailing apostrophe as well).
    std::snprintf(buf, sizeof buf, "%c%02lld'%02lld'", total < 0 ? '-' : '+',
                  static_cast<long long>(mag / 60), static_cast<long long>(mag % 60));
    return out + buf;
}

std::string pdf_literal_string(ByteView bytes) {
    std::string out = "(";
    for (const std::uint8_t b : bytes) {
        if (b == '(' || b == ')' || b == '\\') {
            out += '\\';
            out += static_cast<char>(b);
        } else if (b >= 0x20 && b < 0x7f) {
            out += static_cast<char>(b);
        } else {
            char esc[8];
            std::snprintf(esc, sizeof esc, "\\%03o", static_cast<unsigned>(b));
            out += esc;
        }
    }
    return out + ")";
}

std::string pdf_hex_string(ByteView bytes) {
    return "<" + hex_encode_upper(bytes) + ">";
}

std::string pdf_text_string(std::string_view utf8) {
    bool ascii = true;
    for (const char c : utf8) {
        const auto b = static_cast<unsigned char>(c);
        ascii = ascii && b >= 0x20 && b < 0x7f;
    }
    if (ascii) {
        return pdf_literal_string(as_bytes(utf8));
    }
    Bytes utf16{0xFE, 0xFF};  // ISO 32000-1 §7.9.2.2: UTF-16BE text strings start with the BOM
    append_utf16be(utf16, utf8, "pdf: a text string is not valid UTF-8");
    return pdf_hex_string(utf16);
}

void append_utf16be(Bytes& out, std::string_view utf8, std::string_view error) {
    std::size_t i = 0;
    while (i < utf8.size()) {
        const auto cp = utf8_next(utf8, i);
        require(cp.has_value(), Errc::InvalidEncoding, error);
        auto put = [&](std::uint32_t unit) {
            out.push_back(static_cast<std::uint8_t>(unit >> 8));
            out.push_back(static_cast<std::uint8_t>(unit & 0xff));
        };
        const auto v = static_cast<std::uint32_t>(*cp);
        if (v < 0x10000) {
            put(v);
        } else {
            put(0xD800 + ((v - 0x10000) >> 10));
            put(0xDC00 + ((v - 0x10000) & 0x3ff));
        }
    }
}

}  // namespace inkan::pdf
