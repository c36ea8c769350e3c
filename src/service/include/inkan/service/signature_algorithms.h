#pragma once

// The signature schemes the service signs with, and how a request's algorithm OIDs become one of them
// for a given key. One place for both: what info/credentials/info advertise is what signHash and signDoc
// accept (decision 0043).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/core/error.h>
#include <inkan/crypto/algorithms.h>

namespace inkan::service {

/// A signature scheme as a client names it: the OIDs and parameters of CSC's signAlgo, signAlgoParams
/// and hashAlgo / hashAlgorithmOID (CSC v1 §11.9, v2 §11.10–11.11), not yet checked.
struct AlgorithmChoice {
    std::string sign_algo;                  ///< dotted OID
    std::optional<Bytes> sign_algo_params;  ///< DER of the AlgorithmIdentifier's parameters (PSS)
    std::optional<std::string> hash_algo;   ///< dotted OID of a digest algorithm

    AlgorithmChoice() = default;
    AlgorithmChoice(std::string sign, std::optional<Bytes> params = std::nullopt,
                    std::optional<std::string> hash = std::nullopt)
        : sign_algo{std::move(sign)}, sign_algo_params{std::move(params)}, hash_algo{std::move(hash)} {}
    /// The OIDs that name `alg` (its signature OID and, for RSASSA-PSS, its parameters): what a client
    /// that knows the scheme sends.
    AlgorithmChoice(const crypto::SignatureAlgorithm& alg);  // NOLINT(google-explicit-constructor)
};

/// Why a choice was refused; the api words each one per protocol (docs/errors.md).
enum class AlgorithmRefusal {
    SignAlgo,               ///< not offered, not a signature OID, or not for this key type
    HashAlgo,               ///< not a digest OID, not allowed for signing, or contradicts signAlgo
    SignAlgoParams,         ///< PSS parameters that do not parse or name a digest not allowed
    HashAlgoMissing,        ///< rsaEncryption / id-ecPublicKey without a hash algorithm
    SignAlgoParamsMissing,  ///< id-RSASSA-PSS without its parameters
};
std::string_view name(AlgorithmRefusal r);

/// info.signAlgorithms: OIDs and, by position, DER parameters (PSS) or nothing.
struct AdvertisedAlgorithms {
    std::vector<std::string> algos;
    std::vector<std::optional<Bytes>> params;
};

class SignatureAlgorithms {
public:
    /// `configured` empty: sign::default_algorithms for RSA and EC keys.
    explicit SignatureAlgorithms(std::vector<crypto::SignatureAlgorithm> configured = {});

    /// CSC key/algo of a credential with a key of this type: the signature OIDs it may sign with, plus
    /// the key OID (rsaEncryption, id-ecPublicKey) that takes a separate hash algorithm.
    [[nodiscard]] const std::vector<std::string>& for_key(crypto::KeyType type) const;
    /// Each offered signature OID once (clients index by OID), in configured order.
    [[nodiscard]] const AdvertisedAlgorithms& advertised() const noexcept { return m_advertised; }

    /// The scheme `choice` names for a key of `key_type`. Refused<AlgorithmRefusal> (Errc::InvalidRequest
    /// or Errc::UnsupportedAlgorithm) when it is not offered, does not fit the key, or contradicts itself.
    [[nodiscard]] crypto::SignatureAlgorithm resolve(crypto::KeyType key_type,
                                                     const AlgorithmChoice& choice) const;

private:
    AdvertisedAlgorithms m_advertised;
    std::vector<std::string> m_rsa;
    std::vector<std::string> m_ec;
};

}  // namespace inkan::service
