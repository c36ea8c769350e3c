#pragma once

// CMS SignedData (RFC 5652 §5): a builder that assembles ContentInfo(SignedData) with inkan's DER writer
// and signs the DER signed attributes through a sign::Signer, and a parser that takes one apart far
// enough to verify it. A time-stamp token (RFC 3161 §2.4.2) is a SignedData with eContentType
// id-ct-TSTInfo; CAdES and PAdES (next) build on the same code (detached content, extra signed
// attributes, unsigned attributes added afterwards).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/crypto/keys.h>
#include <inkan/sign/signer.h>

namespace inkan::cms {

namespace oid {
inline constexpr std::string_view kData = "1.2.840.113549.1.7.1";
inline constexpr std::string_view kSignedData = "1.2.840.113549.1.7.2";
inline constexpr std::string_view kTstInfo = "1.2.840.113549.1.9.16.1.4";  ///< id-ct-TSTInfo
inline constexpr std::string_view kContentType = "1.2.840.113549.1.9.3";
inline constexpr std::string_view kMessageDigest = "1.2.840.113549.1.9.4";
inline constexpr std::string_view kSigningTime = "1.2.840.113549.1.9.5";
inline constexpr std::string_view kSigningCertificateV2 = "1.2.840.113549.1.9.16.2.47";
inline constexpr std::string_view kCommitmentTypeIndication = "1.2.840.113549.1.9.16.2.16";
inline constexpr std::string_view kSignatureTimeStampToken = "1.2.840.113549.1.9.16.2.14";
}  // namespace oid

/// Attribute ::= SEQUENCE { attrType OID, attrValues SET OF AttributeValue } (RFC 5652 §5.3).
struct Attribute {
    std::string type;           ///< dotted OID
    std::vector<Bytes> values;  ///< each value's complete DER (the ASN.1 type itself, never wrapped)
};
/// DER of one Attribute; the values are DER-sorted (SET OF, X.690 §11.6).
Bytes encode_attribute(const Attribute& attribute);

/// signing-time (RFC 5652 §11.3): UTCTime through 2049, GeneralizedTime afterwards.
Attribute signing_time_attribute(TimePoint t);
/// ESS signing-certificate-v2 (RFC 5035 §3): one ESSCertIDv2 for `certificate_der` with its hash and
/// issuerSerial (issuer as a directoryName, copied from the certificate). The hash algorithm is
/// left out when it is SHA-256 (the DEFAULT, X.690 §11.5). Errc::InvalidEncoding for a bad certificate.
Attribute signing_certificate_v2_attribute(ByteView certificate_der,
                                           crypto::DigestAlgorithm hash = crypto::DigestAlgorithm::Sha256);
/// commitment-type-indication (ETSI EN 319 122-1 §5.2.3) without qualifiers, e.g. proofOfOrigin
/// 1.2.840.113549.1.9.16.6.1.
Attribute commitment_type_attribute(std::string_view commitment_oid);

/// What to sign. Exactly one of `content` (encapsulated: enveloping) and `detached_digest` (the
/// caller hashed the external content with `digest`) is set.
struct SignedDataSpec {
    std::string content_type{oid::kData};  ///< eContentType; also the content-type attribute
    std::optional<Bytes> content;
    std::optional<Bytes> detached_digest;
    crypto::SignatureAlgorithm algorithm;  ///< its `digest` is the SignerInfo digestAlgorithm
    /// The signer's certificate (DER): sid = issuerAndSerialNumber of it.
    Bytes signer_certificate;
    /// certificates [0]: DER certificates to include (usually the signer's chain); empty: left out.
    std::vector<Bytes> certificates;
    /// Signed attributes besides content-type and message-digest, which are always added.
    std::vector<Attribute> signed_attributes;
    std::vector<Attribute> unsigned_attributes;
};

/// Builds and signs ContentInfo(SignedData) with one SignerInfo (version 1, issuerAndSerialNumber).
/// The signed attributes are DER-sorted, signed as a SET OF (tag 0x31, RFC 5652 §5.4) and stored as
/// [0] IMPLICIT; the signature is checked against the signer's public key before it is used.
/// SignedData.version is 1 for id-data, else 3 (RFC 5652 §5.1).
/// Errc::InvalidRequest: neither or both of content/detached_digest, a digest of the wrong length, a
/// signer certificate whose key is not the signer's; Errc::UnsupportedAlgorithm: the algorithm does not
/// fit the key; whatever the signer throws.
Bytes sign(const SignedDataSpec& spec, sign::Signer& signer);

/// One parsed SignerInfo. Views of the raw bytes are copies, so the struct outlives the input.
struct SignerInfo {
    int version = 0;
    /// sid: issuerAndSerialNumber (issuer Name DER + serial magnitude) or subjectKeyIdentifier.
    Bytes issuer_der;
    Bytes serial;
    std::optional<Bytes> subject_key_identifier;
    crypto::DigestAlgorithm digest_algorithm = crypto::DigestAlgorithm::Sha256;
    /// The [0] signedAttrs exactly as received (tag A0), empty if absent.
    Bytes signed_attributes_der;
    std::vector<Attribute> signed_attributes;
    crypto::SignatureAlgorithm signature_algorithm;
    Bytes signature;
    std::vector<Attribute> unsigned_attributes;

    /// The bytes the signature covers: the received [0] with its first octet replaced by 0x31
    /// (RFC 5652 §5.4; never re-encoded).
    [[nodiscard]] Bytes signed_attributes_for_signature() const;
    /// The first value of the signed (unsigned) attribute `type`, if any.
    [[nodiscard]] const Bytes* signed_attribute(std::string_view type) const;
    [[nodiscard]] const Bytes* unsigned_attribute(std::string_view type) const;
    /// message-digest's OCTET STRING value. Errc::InvalidEncoding if absent or malformed.
    [[nodiscard]] Bytes message_digest() const;
};

struct SignedData {
    int version = 0;
    std::vector<crypto::DigestAlgorithm> digest_algorithms;
    std::string content_type;
    std::optional<Bytes> content;  ///< the eContent OCTET STRING value; nullopt when detached
    std::vector<Bytes> certificates;
    std::vector<Bytes> crls;  ///< RevocationInfoChoice TLVs as received
    std::vector<SignerInfo> signer_infos;
};

/// Parses a DER ContentInfo(SignedData). Errc::InvalidEncoding for anything else (or BER);
/// Errc::UnsupportedAlgorithm for digest or signature algorithms inkan does not know.
SignedData parse(ByteView content_info_der);

/// Parses one DER SignerInfo on its own: the value of a countersignature attribute (RFC 5652 §11.4),
/// whose signature covers the countersigned SignerInfo's signature value. Errc::InvalidEncoding;
/// Errc::UnsupportedAlgorithm as parse().
SignerInfo parse_signer_info(ByteView signer_info_der);

/// Checks signer `index` of `sd`: the signed attributes are present, content-type equals
/// eContentType, message-digest equals `content_digest` (the digest of the content under the signer's
/// digestAlgorithm; compute it from sd.content when enveloping), and `key` verifies the signature over
/// the signed attributes. Returns false on any mismatch (never throws for a bad signature).
bool verify_signer(const SignedData& sd, std::size_t index, ByteView content_digest,
                   const crypto::PublicKey& key);

/// The certificate in `sd.certificates` whose issuer and serial match signer `index`'s sid, if any.
std::optional<Bytes> find_signer_certificate(const SignedData& sd, std::size_t index);

/// Adds an unsigned attribute (e.g. a signature-time-stamp) to signer `index` of a DER ContentInfo
/// (SignedData) and returns the new ContentInfo. Everything signed stays byte-identical: only the
/// unsignedAttrs, the SignerInfo, the SignerInfos SET and the outer lengths are rebuilt.
/// Errc::InvalidEncoding; Errc::InvalidRequest for an index out of range.
Bytes add_unsigned_attribute(ByteView content_info_der, std::size_t index, const Attribute& attribute);

}  // namespace inkan::cms
