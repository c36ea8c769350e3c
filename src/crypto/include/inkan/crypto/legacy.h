#pragma once

// Verification of signatures whose digest inkan refuses for signing (SHA-1): only for a validator that
// judges legacy signatures, whose crypto policy then decides (EN 319 102-1 §5.2.8), rather than a
// refusal that would read as a broken signature value. Nothing signs with these.

#include <inkan/core/bytes.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/crypto/keys.h>

namespace inkan::crypto {

/// PublicKey::verify_digest, but SHA-1 is accepted as the signature's digest.
[[nodiscard]] bool verify_legacy_digest(const PublicKey& key, const SignatureAlgorithm& alg, ByteView digest,
                                        ByteView signature);

}  // namespace inkan::crypto
