#pragma once

// The narrow seam every signing layer goes through (pki, tsp, formats): "sign this digest with
// that key". The same CMS/PAdES/TST code signs with an HSM key on the server and through CSC
// signHash on the client, because it only ever sees this interface.

#include <memory>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/crypto/keys.h>

namespace inkan::sign {

class Signer {
public:
    virtual ~Signer() = default;

    /// The schemes this key can produce (digest × padding combinations).
    [[nodiscard]] virtual std::vector<crypto::SignatureAlgorithm> algorithms() const = 0;
    [[nodiscard]] virtual const crypto::PublicKey& public_key() const = 0;
    /// DER certificates, signer first, then issuers toward the root; empty when not yet certified.
    [[nodiscard]] virtual std::vector<Bytes> certificate_chain() const { return {}; }

    /// Signs a pre-computed digest of `alg.digest`. RSA signatures are the raw integer bytes (modulus
    /// length); ECDSA signatures are DER ECDSA-Sig-Value.
    /// Errc::UnsupportedAlgorithm if !supports(alg); Errc::InvalidRequest if the digest length is wrong.
    virtual Bytes sign(const crypto::SignatureAlgorithm& alg, ByteView digest) = 0;

    /// True if alg is one of algorithms(), or is RSASSA-PSS with any parameters on an RSA key
    /// (CSC signAlgoParams lets the client choose hash, MGF1 hash and salt length).
    [[nodiscard]] bool supports(const crypto::SignatureAlgorithm& alg) const;

protected:
    /// Errc::UnsupportedAlgorithm naming alg unless supports(alg).
    void require_supported(const crypto::SignatureAlgorithm& alg) const;
};

/// The schemes a key of this type supports: for RSA, PKCS#1 v1.5 over SHA-256/384/512 and SHA3-256/512
/// and PSS (MGF1 with the same hash, salt = digest length) over SHA-256/384/512; for EC, ECDSA over
/// SHA-256/384/512 and SHA3-256/512.
std::vector<crypto::SignatureAlgorithm> default_algorithms(crypto::KeyType type);

/// True if a key of this type can produce `alg` (the rule Signer::supports applies): one of
/// default_algorithms(key), or RSASSA-PSS on an RSA key with any salt length and MGF1 over a signing digest.
bool key_supports(crypto::KeyType key, const crypto::SignatureAlgorithm& alg);

/// The scheme to use by default for a key: RSA → PKCS#1 v1.5 with SHA-256; P-256 → ECDSA-SHA256;
/// P-384 → ECDSA-SHA384; P-521 → ECDSA-SHA512 (digest strength matched to the curve).
crypto::SignatureAlgorithm default_algorithm(const crypto::PublicKey& key);

}  // namespace inkan::sign
