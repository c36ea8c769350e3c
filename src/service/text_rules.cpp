#include "text_rules.h"

#include <cstdint>

namespace inkan::service::detail {

namespace {

/// Decodes one code point at `i` (advancing it); nothing for an invalid sequence.
std::optional<std::uint32_t> next_code_point(std::string_view s, std::size_t& i) noexcept {
    const auto b0 = static_cast<std::uint8_t>(s[i]);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    std::uint32_t min = 0;
    if (b0 < 0x80) {
        ++i;
        return b0;
    }
    if ((b0 & 0xE0U) == 0xC0U) {
        extra = 1;
        cp = b0 & 0x1FU;
        min = 0x80;
    } else if ((b0 & 0xF0U) == 0xE0U) {
        extra = 2;
        cp = b0 & 0x0FU;
        min = 0x800;
    } else if ((b0 & 0xF8U) == 0xF0U) {
        extra = 3;
        cp = b0 & 0x07U;
        min = 0x10000;
    } else {
        return std::nullopt;
    }
    if (i + extra >= s.size()) {
        return std::nullopt;
    }
    for (std::size_t k = 1; k <= extra; ++k) {
        const auto b = static_cast<std::uint8_t>(s[i + k]);
        if ((b & 0xC0U) != 0x80U) {
            return std::nullopt;
        }
        cp = (cp << 6) | (b & 0x3FU);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return std::nullopt;
    }
    i += extra + 1;
    return cp;
}

std::optional<std::size_t> count(std::string_view text, bool refuse_controls) noexcept {
    std::size_t n = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        const auto cp = next_code_point(text, i);
        if (!cp) {
            return std::nullopt;
        }
        if (refuse_controls && (*cp < 0x20 || (*cp >= 0x7F && *cp <= 0x9F))) {
            return std::nullopt;
        }
        ++n;
    }
    return n;
}

}  // namespace

bool is_valid_user_name(std::string_view name) noexcept {
    if (name.empty() || name.size() > 64) {
        return false;
    }
    for (const char c : name) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                        c == '.' || c == '_' || c == '@' || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

std::optional<std::size_t> printable_utf8_length(std::string_view text) noexcept {
    return count(text, true);
}

std::optional<std::size_t> utf8_length(std::string_view text) noexcept {
    return count(text, false);
}

}  // namespace inkan::service::detail
