#include <array>
#include <cstddef>
#include <cstdint>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>

namespace inkan {

namespace {

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kBase64UrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view kBase32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::string_view kHexLower = "0123456789abcdef";
constexpr std::string_view kHexUpper = "0123456789ABCDEF";

constexpr std::uint8_t kInvalid = 0xFF;

/// Decoding table for base64 and base64url at once: '+' and '-' are both 62, '/' and '_' both 63.
constexpr std::array<std::uint8_t, 256> make_base64_table() {
    std::array<std::uint8_t, 256> table{};
    table.fill(kInvalid);
    for (std::size_t i = 0; i < kBase64Alphabet.size(); ++i) {
        table[static_cast<unsigned char>(kBase64Alphabet[i])] = static_cast<std::uint8_t>(i);
        table[static_cast<unsigned char>(kBase64UrlAlphabet[i])] = static_cast<std::uint8_t>(i);
    }
    return table;
}

/// Decoding table for base32, upper and lower case.
constexpr std::array<std::uint8_t, 256> make_base32_table() {
    std::array<std::uint8_t, 256> table{};
    table.fill(kInvalid);
    for (std::size_t i = 0; i < kBase32Alphabet.size(); ++i) {
        const char c = kBase32Alphabet[i];
        table[static_cast<unsigned char>(c)] = static_cast<std::uint8_t>(i);
        if (c >= 'A' && c <= 'Z') {
            table[static_cast<unsigned char>(c - 'A' + 'a')] = static_cast<std::uint8_t>(i);
        }
    }
    return table;
}

constexpr std::array<std::uint8_t, 256> kBase64Table = make_base64_table();
constexpr std::array<std::uint8_t, 256> kBase32Table = make_base32_table();

// Messages give the offset and never the input: the input may be long, or a secret.
[[noreturn]] void fail(std::string_view what, std::string_view problem, std::size_t offset) {
    throw Error{Errc::InvalidEncoding,
                std::string{what} + ": " + std::string{problem} + " at offset " + std::to_string(offset)};
}

[[noreturn]] void fail(std::string_view what, std::string_view problem) {
    throw Error{Errc::InvalidEncoding, std::string{what} + ": " + std::string{problem}};
}

std::string base64_encode_with(ByteView data, std::string_view alphabet, bool pad) {
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
        const std::uint32_t n =
            (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
        out += alphabet[(n >> 18) & 0x3F];
        out += alphabet[(n >> 12) & 0x3F];
        out += alphabet[(n >> 6) & 0x3F];
        out += alphabet[n & 0x3F];
    }
    const std::size_t rest = data.size() - i;
    if (rest == 1) {
        const std::uint32_t n = std::uint32_t{data[i]} << 16;
        out += alphabet[(n >> 18) & 0x3F];
        out += alphabet[(n >> 12) & 0x3F];
        if (pad) {
            out += "==";
        }
    } else if (rest == 2) {
        const std::uint32_t n = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
        out += alphabet[(n >> 18) & 0x3F];
        out += alphabet[(n >> 12) & 0x3F];
        out += alphabet[(n >> 6) & 0x3F];
        if (pad) {
            out += '=';
        }
    }
    return out;
}

/// Strips trailing '=' after checking that every '=' in `text` is trailing, and returns the
/// data part. Leaves the count/length checks (which depend on the scheme) to the caller.
std::string_view split_padding(std::string_view what, std::string_view text, std::size_t& pad_count) {
    const std::size_t first_pad = text.find('=');
    if (first_pad == std::string_view::npos) {
        pad_count = 0;
        return text;
    }
    for (std::size_t i = first_pad; i < text.size(); ++i) {
        if (text[i] != '=') {
            fail(what, "'=' before the end", first_pad);
        }
    }
    pad_count = text.size() - first_pad;
    return text.substr(0, first_pad);
}

std::string base32_encode_impl(ByteView data, bool pad) {
    std::string out;
    out.reserve((data.size() + 4) / 5 * 8);
    std::uint32_t buffer = 0;  // never holds more than 12 bits
    int bits = 0;
    for (const std::uint8_t byte : data) {
        buffer = ((buffer << 8) | byte) & 0xFFF;
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out += kBase32Alphabet[(buffer >> bits) & 0x1F];
        }
    }
    if (bits > 0) {
        out += kBase32Alphabet[(buffer << (5 - bits)) & 0x1F];
    }
    if (pad) {
        while (out.size() % 8 != 0) {
            out += '=';
        }
    }
    return out;
}

std::string hex_encode_with(ByteView data, std::string_view digits) {
    std::string out;
    out.reserve(data.size() * 2);
    for (const std::uint8_t byte : data) {
        out += digits[byte >> 4];
        out += digits[byte & 0x0F];
    }
    return out;
}

}  // namespace

std::string base64_encode(ByteView data) {
    return base64_encode_with(data, kBase64Alphabet, true);
}

std::string base64url_encode(ByteView data) {
    return base64_encode_with(data, kBase64UrlAlphabet, false);
}

Bytes base64_decode(std::string_view text) {
    constexpr std::string_view what = "base64";
    std::size_t pad_count = 0;
    const std::string_view body = split_padding(what, text, pad_count);

    Bytes out;
    out.reserve(body.size() / 4 * 3 + 2);
    std::uint32_t buffer = 0;
    int bits = 0;
    for (std::size_t i = 0; i < body.size(); ++i) {
        const std::uint8_t v = kBase64Table[static_cast<unsigned char>(body[i])];
        if (v == kInvalid) {
            fail(what, "invalid character", i);
        }
        buffer = ((buffer << 6) | v) & 0xFFFFFF;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>(buffer >> bits));
        }
    }
    // RFC 4648 §4: the final quantum is 2 or 3 characters plus "==" or "=". A single character
    // carries only 6 bits, less than a byte, so 4n+1 characters cannot be a valid encoding.
    const std::size_t rest = body.size() % 4;
    if (rest == 1) {
        fail(what, "impossible length (4n+1 characters)", body.size());
    }
    if (pad_count != 0) {
        const std::size_t expected_pad = rest == 0 ? 0 : 4 - rest;
        if (pad_count != expected_pad) {
            fail(what, "wrong number of '=' padding characters", body.size());
        }
    }

    // RFC 4648 §3.5: the pad bits "MUST be set to zero by conforming encoders"; a decoder that
    // ignored them would accept several spellings of the same bytes.
    if (bits > 0 && (buffer & ((1U << bits) - 1)) != 0) {
        fail(what, "non-zero trailing bits", body.size() - 1);
    }
    return out;
}

std::string hex_encode(ByteView data) {
    return hex_encode_with(data, kHexLower);
}

std::string hex_encode_upper(ByteView data) {
    return hex_encode_with(data, kHexUpper);
}

Bytes hex_decode(std::string_view text) {
    if (text.size() % 2 != 0) {
        fail("hex", "odd length");
    }
    Bytes out;
    out.reserve(text.size() / 2);
    for (std::size_t i = 0; i < text.size(); i += 2) {
        const int hi = hex_digit_value(text[i]);
        if (hi < 0) {
            fail("hex", "invalid character", i);
        }
        const int lo = hex_digit_value(text[i + 1]);
        if (lo < 0) {
            fail("hex", "invalid character", i + 1);
        }
        out.push_back(static_cast<std::uint8_t>((hi << 4) | lo));
    }
    return out;
}

std::string base32_encode(ByteView data, bool pad) {
    return base32_encode_impl(data, pad);
}

Bytes base32_decode(std::string_view text) {
    constexpr std::string_view what = "base32";
    std::size_t pad_count = 0;
    const std::string_view body = split_padding(what, text, pad_count);

    Bytes out;
    out.reserve(body.size() * 5 / 8);
    std::uint32_t buffer = 0;
    int bits = 0;
    for (std::size_t i = 0; i < body.size(); ++i) {
        const std::uint8_t v = kBase32Table[static_cast<unsigned char>(body[i])];
        if (v == kInvalid) {
            fail(what, "invalid character", i);
        }
        buffer = ((buffer << 5) | v) & 0xFFF;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>(buffer >> bits));
        }
    }
    // RFC 4648 §6: the final quantum is 2, 4, 5 or 7 characters (8, 16, 24 or 32 bits), padded
    // with 6, 4, 3 or 1 "=". Any other remainder cannot come from an encoder.
    constexpr std::array<int, 8> kPadForRest = {0, -1, 6, -1, 4, 3, -1, 1};
    const std::size_t rest = body.size() % 8;
    if (kPadForRest[rest] < 0) {
        fail(what, "impossible length", body.size());
    }
    if (pad_count != 0 && pad_count != static_cast<std::size_t>(kPadForRest[rest])) {
        fail(what, "wrong number of '=' padding characters", body.size());
    }

    // RFC 4648 §3.5 again: canonical encodings have zero pad bits.
    if (bits > 0 && (buffer & ((1U << bits) - 1)) != 0) {
        fail(what, "non-zero trailing bits", body.size() - 1);
    }
    return out;
}

std::optional<char32_t> utf8_next(std::string_view text, std::size_t& i) noexcept {
    if (i >= text.size()) {
        return std::nullopt;
    }
    const auto b0 = static_cast<std::uint8_t>(text[i]);
    if (b0 < 0x80U) {
        ++i;
        return static_cast<char32_t>(b0);
    }
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    std::uint32_t min = 0;
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
    if (text.size() - i <= extra) {
        return std::nullopt;
    }
    for (std::size_t k = 1; k <= extra; ++k) {
        const auto b = static_cast<std::uint8_t>(text[i + k]);
        if ((b & 0xC0U) != 0x80U) {
            return std::nullopt;
        }
        cp = (cp << 6U) | (b & 0x3FU);
    }
    if (cp < min || cp > 0x10FFFFU || (cp >= 0xD800U && cp <= 0xDFFFU)) {
        return std::nullopt;
    }
    i += extra + 1;
    return static_cast<char32_t>(cp);
}

bool is_valid_utf8(std::string_view text) noexcept {
    std::size_t i = 0;
    while (i < text.size()) {
        if (!utf8_next(text, i)) {
            return false;
        }
    }
    return true;
}

int hex_digit_value(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

}  // namespace inkan
