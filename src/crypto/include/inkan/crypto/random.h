#pragma once

#include <cstdint>
#include <span>
#include <string>

#include <inkan/core/bytes.h>

namespace inkan::crypto {

/// Cryptographically secure random bytes (OpenSSL's DRBG, RAND_priv_bytes).
Bytes random_bytes(std::size_t n);
void random_fill(std::span<std::uint8_t> out);
/// `n_bytes` random bytes as lower-case hex (identifiers).
std::string random_hex(std::size_t n_bytes);

}  // namespace inkan::crypto
