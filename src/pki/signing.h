#pragma once

// Internal to the pki layer: the one place where a to-be-signed structure meets a sign::Signer.
// Certificates, CRLs, CSRs and OCSP responses all end as SEQUENCE { tbs, AlgorithmIdentifier,
// BIT STRING signature } (RFC 5280 §4.1, §5.1; RFC 2986 §4.2; RFC 6960 §4.2.1).

#include <optional>

#include <inkan/core/bytes.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/sign/signer.h>

namespace inkan::pki::detail {

/// Hashes `tbs` with alg.digest, signs the digest through `signer` and checks the signature with the
/// signer's public key (a faulty HSM or a wrong key must not produce a certificate nobody can verify).
/// Errc::UnsupportedAlgorithm if alg does not fit the key; Errc::CryptoFailure if the signature does
/// not verify; whatever the signer throws.
Bytes sign_tbs(ByteView tbs, sign::Signer& signer, const crypto::SignatureAlgorithm& alg);

/// SEQUENCE { tbs, algorithm_identifier(alg), BIT STRING signature }, signed through `signer`.
Bytes signed_structure(ByteView tbs, sign::Signer& signer, const crypto::SignatureAlgorithm& alg);

/// The algorithm to sign with: `preferred` if set, else sign::default_algorithm() for the key.
/// Errc::UnsupportedAlgorithm if the signer cannot produce `preferred`.
crypto::SignatureAlgorithm choose_algorithm(const sign::Signer& signer,
                                            const std::optional<crypto::SignatureAlgorithm>& preferred);

}  // namespace inkan::pki::detail
