#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace inkan {

/// Owned bytes: what functions return.
using Bytes = std::vector<std::uint8_t>;
/// Borrowed bytes: what functions take.
using ByteView = std::span<const std::uint8_t>;

/// The bytes of a string (no copy).
inline ByteView as_bytes(std::string_view s) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

/// Bytes as a std::string (for I/O and tests).
inline std::string to_string(ByteView b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

inline Bytes to_bytes(std::string_view s) {
    return {s.begin(), s.end()};
}
inline Bytes to_bytes(ByteView b) {
    return {b.begin(), b.end()};
}

/// Appends `tail` to `out`.
inline void append(Bytes& out, ByteView tail) {
    out.insert(out.end(), tail.begin(), tail.end());
}

/// Constant-time equality of two byte strings of possibly different lengths
/// (the length itself is not secret).
bool equal_constant_time(ByteView a, ByteView b) noexcept;

}  // namespace inkan
