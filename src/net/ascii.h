#pragma once

// Text helpers private to the net layer (the client and the URL guard both compare schemes and hosts,
// which RFC 3986 §3.1/§3.2.2 make case-insensitive).

#include <algorithm>
#include <string>
#include <string_view>

namespace inkan::net::detail {

/// ASCII lower case (scheme and host comparison; never locale-dependent).
inline std::string lower(std::string_view s) {
    std::string out{s};
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c);
    });
    return out;
}

}  // namespace inkan::net::detail
