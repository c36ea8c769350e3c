#include "text_rules.h"

#include <cstdint>

#include <inkan/core/encoding.h>

namespace inkan::service::detail {

namespace {

std::optional<std::size_t> count(std::string_view text, bool refuse_controls) noexcept {
    std::size_t n = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        const auto cp = utf8_next(text, i);
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
