#pragma once

// Input rules shared by the use cases (private to the service layer).

#include <cstddef>
#include <optional>
#include <string_view>

namespace inkan::service::detail {

/// [A-Za-z0-9._@-]{1,64}
bool is_valid_user_name(std::string_view name) noexcept;

/// The number of code points if `text` is valid UTF-8 (shortest forms, no surrogates, ≤ U+10FFFF) without
/// control characters (C0, DEL, C1); nothing otherwise.
std::optional<std::size_t> printable_utf8_length(std::string_view text) noexcept;

/// Number of UTF-8 code points, or nothing if `text` is not valid UTF-8 (control characters allowed).
std::optional<std::size_t> utf8_length(std::string_view text) noexcept;

}  // namespace inkan::service::detail
