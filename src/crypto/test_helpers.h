#pragma once

// Helpers for the crypto tests only (not part of the library): hex, and `openssl asn1parse` as
// the DER oracle.

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include <inkan/core/bytes.h>
#include <inkan/testing/process.h>

namespace inkan::crypto::test {

inline std::string hex(ByteView b) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (const std::uint8_t c : b) {
        out.push_back(kDigits[c >> 4U]);
        out.push_back(kDigits[c & 0x0FU]);
    }
    return out;
}

/// Hex to bytes; spaces are ignored.
inline Bytes unhex(std::string_view s) {
    const auto nibble = [](char c) -> std::uint8_t {
        if (c >= '0' && c <= '9') return static_cast<std::uint8_t>(c - '0');
        if (c >= 'a' && c <= 'f') return static_cast<std::uint8_t>(c - 'a' + 10);
        if (c >= 'A' && c <= 'F') return static_cast<std::uint8_t>(c - 'A' + 10);
        ADD_FAILURE() << "bad hex digit '" << c << "'";
        return 0;
    };
    std::string digits;
    for (const char c : s) {
        if (c != ' ') digits.push_back(c);
    }
    EXPECT_EQ(digits.size() % 2, 0U) << "odd hex: " << s;
    Bytes out;
    for (std::size_t i = 0; i + 1 < digits.size(); i += 2) {
        out.push_back(static_cast<std::uint8_t>((nibble(digits[i]) << 4U) | nibble(digits[i + 1])));
    }
    return out;
}

/// Runs `openssl asn1parse -inform DER` on `der` and returns its lines with runs of blanks
/// collapsed to one ("   16:d=1  hl=2 l=   9 prim: OBJECT   :sha256" -> "16:d=1 hl=2 l= 9 prim: OBJECT
/// :sha256").
inline std::vector<std::string> asn1parse(ByteView der) {
    const inkan::testing::TempDir dir{"inkan-crypto-asn1"};
    inkan::testing::write_file(dir / "in.der", der);
    const auto r =
        inkan::testing::run({"openssl", "asn1parse", "-inform", "DER", "-in", (dir / "in.der").string()});
    EXPECT_EQ(r.exit_code, 0) << "openssl asn1parse failed: " << r.err;
    std::vector<std::string> lines;
    std::string line;
    for (std::size_t i = 0; i <= r.out.size(); ++i) {
        const char c = i < r.out.size() ? r.out[i] : '\n';
        if (c == '\n') {
            while (!line.empty() && line.back() == ' ')
                line.pop_back();
            if (!line.empty()) lines.push_back(line);
            line.clear();
        } else if (c == ' ' && (line.empty() || line.back() == ' ')) {
            continue;
        } else {
            line.push_back(c);
        }
    }
    return lines;
}

/// True if some line contains `needle`.
inline bool has_line(const std::vector<std::string>& lines, std::string_view needle) {
    return std::any_of(lines.begin(), lines.end(),
                       [&](const std::string& l) { return l.find(needle) != std::string::npos; });
}

/// The "l=" field as asn1parse prints it ("%4ld"), after blank collapsing: "l= 25", "l= 180", "l=70000".
inline std::string len_field(std::size_t n) {
    return "l=" + std::string{n < 1000 ? " " : ""} + std::to_string(n);
}

inline std::string join(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

}  // namespace inkan::crypto::test
