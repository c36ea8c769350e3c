#include <algorithm>
#include <climits>

#include <openssl/rand.h>

#include <inkan/crypto/ossl.h>
#include <inkan/crypto/random.h>

namespace inkan::crypto {

void random_fill(std::span<std::uint8_t> out) {
    // RAND_priv_bytes takes an int length: fill large buffers in chunks.
    constexpr std::size_t kChunk = 1U << 20U;
    while (!out.empty()) {
        const std::size_t n = std::min(out.size(), kChunk);
        ossl::check(::RAND_priv_bytes(out.data(), static_cast<int>(n)), "RAND_priv_bytes");
        out = out.subspan(n);
    }
}

Bytes random_bytes(std::size_t n) {
    Bytes out(n);
    random_fill(out);
    return out;
}

std::string random_hex(std::size_t n_bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    const Bytes raw = random_bytes(n_bytes);
    std::string out;
    out.reserve(raw.size() * 2);
    for (const std::uint8_t b : raw) {
        out.push_back(kDigits[b >> 4U]);
        out.push_back(kDigits[b & 0x0FU]);
    }
    return out;
}

}  // namespace inkan::crypto
