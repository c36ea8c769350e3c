#pragma once

// Random handles (OAuth codes and sessions, out-of-band handles and page references) and the SHA-256
// under which the stores keep them: one definition for the use cases that hand them out (private to the
// service layer).

#include <string>
#include <string_view>

#include <inkan/core/bytes.h>
#include <inkan/core/encoding.h>
#include <inkan/core/secret.h>
#include <inkan/crypto/digest.h>
#include <inkan/crypto/random.h>

namespace inkan::service::detail {

inline Bytes sha256(std::string_view s) {
    return crypto::digest(crypto::DigestAlgorithm::Sha256, as_bytes(s));
}

/// 256 random bits as base64url: what a client or browser holds; the store keeps only sha256() of it.
inline std::string new_secret() {
    Bytes raw = crypto::random_bytes(32);
    std::string out = base64url_encode(raw);
    secure_wipe(raw.data(), raw.size());
    return out;
}

}  // namespace inkan::service::detail
