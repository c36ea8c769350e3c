#pragma once

// What the AdES baseline profiles share: the levels, the commitment types, and the B-T step
// (a signature-time-stamp added as an unsigned attribute of the SignerInfo). PAdES (pades.h) and
// CAdES (cades.h) build on it; XAdES comes with a later issue (decision 0009).

#include <cstddef>
#include <string_view>

#include <inkan/core/bytes.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/crypto/keys.h>

namespace inkan::ades {

class TimeStamper;

/// ETSI baseline levels (EN 319 122-1 §5.1 CAdES, EN 319 142-1 §5.1 PAdES), in order: each level
/// holds everything the one before holds. B-LT and B-LTA: PAdES in lt.h, CAdES in cades.h.
enum class Level {
    BB,    ///< B-B: the signature with its signed attributes and the signer's chain
    BT,    ///< B-T: B-B + a signature-time-stamp over the signature value
    BLT,   ///< B-LT: B-T + certificates and revocation data for the signer and TSA chains
    BLTA,  ///< B-LTA: B-LT + a (document / archive) time-stamp over all of it
};
/// "B-B", "B-T", "B-LT", "B-LTA".
std::string_view name(Level level);
/// True from B-T up: the signature carries a signature-time-stamp.
constexpr bool has_signature_time_stamp(Level level) noexcept {
    return level != Level::BB;
}

/// commitment-type-indication identifiers (ETSI EN 319 122-1 §5.2.3, TS 119 172-1 Annex B).
namespace commitment {
inline constexpr std::string_view kProofOfOrigin = "1.2.840.113549.1.9.16.6.1";
inline constexpr std::string_view kProofOfReceipt = "1.2.840.113549.1.9.16.6.2";
inline constexpr std::string_view kProofOfDelivery = "1.2.840.113549.1.9.16.6.3";
inline constexpr std::string_view kProofOfSender = "1.2.840.113549.1.9.16.6.4";
inline constexpr std::string_view kProofOfApproval = "1.2.840.113549.1.9.16.6.5";
inline constexpr std::string_view kProofOfCreation = "1.2.840.113549.1.9.16.6.6";
}  // namespace commitment

/// B-T: time-stamps the signature value of SignerInfo `index` of a DER ContentInfo(SignedData)
/// (the imprint is the hash of the signature octets, RFC 3161 App. A, with the SignerInfo's digest
/// algorithm) and returns the ContentInfo with the token added as the unsigned
/// signature-time-stamp attribute (1.2.840.113549.1.9.16.2.14). Everything signed stays
/// byte-identical. Errc::InvalidEncoding for a CMS that does not parse; the stamper's errors.
Bytes add_signature_time_stamp(ByteView content_info_der, TimeStamper& stamper, std::size_t index = 0);

/// The largest signature value `key` makes with `alg`: the modulus length for RSA, the DER
/// ECDSA-Sig-Value with both integers at full length plus their sign octets for ECDSA (its length
/// varies from signature to signature, RFC 5753 §3).
std::size_t max_signature_size(const crypto::PublicKey& key);

}  // namespace inkan::ades
