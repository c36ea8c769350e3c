// base64 / base64url / hex / base32 / UTF-8 (core/encoding.h): decoders refuse or round-trip exactly.
#include <inkan/core/encoding.h>

#include "../fuzz.h"

using namespace inkan;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = fuzz::text(data, size);
    const ByteView raw = fuzz::bytes(data, size);
    fuzz::refusing([&] {
        const Bytes decoded = base64_decode(text);
        // Canonical input only (no non-zero trailing bits): decoding then encoding in the same
        // alphabet gives the input back, padding aside.
        const std::string std64 = base64_encode(decoded);
        const std::string url64 = base64url_encode(decoded);
        std::string unpadded{text};
        while (!unpadded.empty() && unpadded.back() == '=') {
            unpadded.pop_back();
        }
        std::string std_unpadded = std64;
        while (!std_unpadded.empty() && std_unpadded.back() == '=') {
            std_unpadded.pop_back();
        }
        bool mixed = false;
        for (std::size_t i = 0; i < unpadded.size() && i < std_unpadded.size(); ++i) {
            if (unpadded[i] != std_unpadded[i] && unpadded[i] != url64[i]) {
                mixed = true;
            }
        }
        if (mixed || (unpadded.size() != std_unpadded.size())) {
            __builtin_trap();
        }
    });
    fuzz::refusing([&] {
        const Bytes decoded = hex_decode(text);
        if (hex_decode(hex_encode(decoded)) != decoded || hex_decode(hex_encode_upper(decoded)) != decoded) {
            __builtin_trap();
        }
    });
    fuzz::refusing([&] {
        const Bytes decoded = base32_decode(text);
        if (base32_decode(base32_encode(decoded, true)) != decoded ||
            base32_decode(base32_encode(decoded)) != decoded) {
            __builtin_trap();
        }
    });
    // Encoders take anything.
    if (base64_decode(base64_encode(raw)) != Bytes{raw.begin(), raw.end()} ||
        base64_decode(base64url_encode(raw)) != Bytes{raw.begin(), raw.end()} ||
        hex_decode(hex_encode(raw)) != Bytes{raw.begin(), raw.end()}) {
        __builtin_trap();
    }
    std::size_t i = 0;
    bool all = true;
    while (i < text.size()) {
        const std::size_t before = i;
        if (!utf8_next(text, i)) {
            all = false;
            break;
        }
        if (i <= before || i > text.size()) {
            __builtin_trap();
        }
    }
    if (all != is_valid_utf8(text)) {
        __builtin_trap();
    }
    return 0;
}
