#pragma once

// The CAdES long-term steps (private to the layer): B-LT validation data into SignedData.certificates
// and crls, and the archive-time-stamp-v3 with its ats-hash-index-v3 (EN 319 122-1 §5.5; ades.md §2).
// sign_cades and extend_cades both run them on a DER ContentInfo(SignedData), splicing bytes so that
// everything signed or time-stamped before stays byte-identical.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/pki/revocation.h>

namespace inkan::ades {
class TimeStamper;
}

namespace inkan::ades::detail {

inline constexpr std::string_view kArchiveTimeStampV3 = "0.4.0.1733.2.4";    ///< id-aa-ets-archiveTimestampV3
inline constexpr std::string_view kAtsHashIndexV3 = "0.4.0.19122.1.5";       ///< id-aa-ATSHashIndex-v3
inline constexpr std::string_view kIdRiOcspResponse = "1.3.6.1.5.5.7.16.2";  ///< RFC 5940 §2.2.1

/// ContentInfo(SignedData) taken apart into the TLVs the long-term steps touch, each copied exactly
/// as encoded.
struct SignedDataParts {
    int version = 1;
    std::vector<Bytes> digest_algorithms;  ///< AlgorithmIdentifier TLVs
    Bytes encap_content_info;              ///< the whole EncapsulatedContentInfo TLV
    Bytes content_type;                    ///< eContentType OID TLV
    std::optional<Bytes> content;          ///< eContent OCTET STRING value; nullopt when detached
    std::vector<Bytes> certificates;       ///< CertificateChoices TLVs
    std::vector<Bytes> crls;               ///< RevocationInfoChoice TLVs ([1] other included)
    struct Signer {
        /// version, sid, digestAlgorithm, [0] signedAttrs, signatureAlgorithm, signature: the
        /// SignerInfo contents before unsignedAttrs (contiguous, exactly as encoded).
        Bytes signed_part;
        std::vector<Bytes> unsigned_attributes;  ///< Attribute TLVs
    };
    std::vector<Signer> signers;
};
/// Errc::InvalidEncoding for anything but DER ContentInfo(SignedData).
SignedDataParts read_parts(ByteView content_info_der);
/// ContentInfo(SignedData) again: certificates, crls, digestAlgorithms and every unsignedAttrs as
/// DER SET OF (sorted, X.690 §11.6; the elements themselves untouched); SignedData.version 5 when an
/// `other` RevocationInfoChoice or certificate is present (RFC 5652 §5.1).
Bytes write_parts(const SignedDataParts& parts);

/// One unsigned attribute: its attrType OID TLV and each AttributeValue TLV.
struct AttributeParts {
    std::string type;
    Bytes type_tlv;
    std::vector<Bytes> values;
};
AttributeParts read_attribute(ByteView attribute_der);

/// The certificates to collect revocation data for, each a chain with its end-entity first: the
/// signer chain of every SignerInfo (`signer` true), then the TSA chain of each signature-time-stamp
/// and archive-time-stamp-v3 token.
struct ChainToCover {
    std::vector<Bytes> chain;
    bool signer = false;
};
std::vector<ChainToCover> chains_to_cover(const SignedDataParts& parts);

/// B-LT (EN 319 122-1 §5.5.1): fetches revocation data for every chain_to_cover and adds what is
/// missing to SignedData.certificates and crls (OCSP responses as other { id-ri-ocsp-response,
/// OCSPResponse }). `collected` (if set) receives everything fetched. Errc::Conflict for a revoked
/// signer with `refuse_revoked`; the fetcher's errors.
Bytes add_validation_data(ByteView content_info_der, pki::RevocationFetcher& fetcher, bool refuse_revoked,
                          pki::ValidationData* collected);

/// The ats-hash-index-v3 value (EN 319 122-1 §5.5.2) for SignerInfo `index` as it is now.
Bytes ats_hash_index_v3(const SignedDataParts& parts, std::size_t index, crypto::DigestAlgorithm alg);
/// The ATSv3 message imprint input (ades.md §2.2 step 6): eContentType TLV || H(content) || the
/// SignerInfo fields but unsignedAttrs || the hash index.
Bytes archive_imprint_input(const SignedDataParts& parts, std::size_t index, ByteView content_hash,
                            ByteView hash_index);

/// B-LTA (EN 319 122-1 §5.5.3): an archive-time-stamp-v3 for SignerInfo `index`, `content_hash` =
/// H(signed content) with `alg`, which also hashes the index and the imprint; `alg` is added to
/// SignedData.digestAlgorithms when missing.
Bytes add_archive_time_stamp(ByteView content_info_der, std::size_t index, crypto::DigestAlgorithm alg,
                             ByteView content_hash, TimeStamper& stamper);

}  // namespace inkan::ades::detail
