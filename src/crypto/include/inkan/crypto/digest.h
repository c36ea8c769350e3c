#pragma once

#include <istream>

#include <inkan/core/bytes.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/crypto/ossl.h>

namespace inkan::crypto {

/// A streaming digest: update() any number of times, then finish() once.
class Hasher {
public:
    explicit Hasher(DigestAlgorithm alg);
    void update(ByteView data);
    /// The digest; the Hasher cannot be used afterwards (Errc::Internal).
    Bytes finish();
    [[nodiscard]] DigestAlgorithm algorithm() const noexcept { return m_alg; }

private:
    DigestAlgorithm m_alg;
    ossl::MdCtx m_ctx;
    bool m_finished = false;
};

/// One-shot digest.
Bytes digest(DigestAlgorithm alg, ByteView data);
/// Digest of a stream read in chunks (memory does not grow with the input).
Bytes digest(DigestAlgorithm alg, std::istream& in);

}  // namespace inkan::crypto
