#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <inkan/core/bytes.h>

namespace inkan {

/// RFC 4648 §4 base64, with padding. Encoding is strict and canonical.
std::string base64_encode(ByteView data);
/// RFC 4648 §5 base64url, without padding (as JOSE and CSC v2 use it).
std::string base64url_encode(ByteView data);
/// Decodes base64 or base64url: accepts both alphabets (even mixed), padding optional. Refuses
/// (Errc::InvalidEncoding) characters outside the alphabets, embedded whitespace, wrong padding
/// ("=" in the middle, too many "="), an impossible length (4n+1), and non-zero trailing bits.
Bytes base64_decode(std::string_view text);

/// Lower-case hex.
std::string hex_encode(ByteView data);
/// Upper-case hex (serial numbers, PAdES VRI keys).
std::string hex_encode_upper(ByteView data);
/// Accepts upper and lower case; refuses odd length and non-hex characters (Errc::InvalidEncoding).
Bytes hex_decode(std::string_view text);
/// The value of one hex digit (either case), or -1 for any other character.
int hex_digit_value(char c) noexcept;

/// RFC 4648 §6 base32 with padding, as otpauth:// URIs carry TOTP secrets (without "=").
std::string base32_encode(ByteView data, bool pad = false);
/// Accepts upper/lower case, padding optional.
Bytes base32_decode(std::string_view text);

/// Decodes the UTF-8 code point at `i` and advances `i` past it; nothing (and `i` unchanged) for an
/// invalid sequence: a stray continuation byte, a truncated sequence, an overlong form, a surrogate
/// or a value above U+10FFFF (RFC 3629 §3, §4).
std::optional<char32_t> utf8_next(std::string_view text, std::size_t& i) noexcept;
/// True if `text` is entirely well-formed UTF-8 (RFC 3629).
bool is_valid_utf8(std::string_view text) noexcept;

}  // namespace inkan
