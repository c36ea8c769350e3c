#pragma once

// The one table from inkan's algorithm names to PKCS#11 mechanisms (Style §7.7: a table, not a switch).

#include <optional>

#include <inkan/core/bytes.h>
#include <inkan/crypto/algorithms.h>

#include "p11.h"

namespace inkan::hsm {

/// A digest's PKCS#11 names: the hash mechanism and the MGF1 generator (for PSS parameters).
struct DigestMechanism {
    crypto::DigestAlgorithm digest;
    CK_MECHANISM_TYPE hash;
    CK_RSA_PKCS_MGF_TYPE mgf1;
};
const DigestMechanism& digest_mechanism(crypto::DigestAlgorithm d);

/// How a signature scheme maps onto the token.
struct SignMechanism {
    crypto::Padding padding;
    crypto::KeyType key_type;
    CK_KEY_TYPE ck_key_type;
    CK_MECHANISM_TYPE mechanism;
    enum class Input { Digest, DigestInfo } input;    ///< what C_Sign gets: the digest, or DigestInfo(digest)
    enum class Output { Raw, EcdsaRawToDer } output;  ///< what is done with C_Sign's output
    bool pss_params;                                  ///< CK_RSA_PKCS_PSS_PARAMS from alg.pss
};
/// The row for alg.padding. Errc::UnsupportedAlgorithm if alg.key_type does not fit the padding.
const SignMechanism& sign_mechanism(const crypto::SignatureAlgorithm& alg);

/// A prepared C_SignInit mechanism and C_Sign input for (alg, digest). Checks the digest length
/// (Errc::InvalidRequest) and refuses digests not allowed for signing (Errc::UnsupportedAlgorithm).
struct PreparedSign {
    const SignMechanism* row = nullptr;
    CK_RSA_PKCS_PSS_PARAMS pss{};
    CK_MECHANISM mechanism{};  ///< points into `pss`: do not copy a PreparedSign
    Bytes input;

    PreparedSign() = default;
    PreparedSign(const PreparedSign&) = delete;
    PreparedSign& operator=(const PreparedSign&) = delete;
};
void prepare_sign(const crypto::SignatureAlgorithm& alg, ByteView digest, PreparedSign& out);

/// C_Sign's output turned into what inkan returns (ECDSA: DER ECDSA-Sig-Value).
Bytes finish_sign(const SignMechanism& row, Bytes raw);

}  // namespace inkan::hsm
