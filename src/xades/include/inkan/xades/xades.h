#pragma once

// XAdES baseline signatures (ETSI EN 319 132-1 v1.2.1) over XML-DSig 1.1: enveloped, enveloping and
// detached; levels B-B, B-T and B-LT (B-LTA: see decision 0024). Every signature value comes from a
// sign::Signer over the digest of the canonical ds:SignedInfo, so the same code signs with an HSM key
// on the server and through CSC signHash on the client (only that digest crosses the wire).

#include <cstddef>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <inkan/ades/baseline.h>
#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/pki/revocation.h>
#include <inkan/sign/signer.h>
#include <inkan/xades/archive.h>
#include <inkan/xades/xml.h>

namespace inkan::xades {

namespace ns {
inline constexpr std::string_view kDs = "http://www.w3.org/2000/09/xmldsig#";
inline constexpr std::string_view kXades = "http://uri.etsi.org/01903/v1.3.2#";
inline constexpr std::string_view kXades141 = "http://uri.etsi.org/01903/v1.4.1#";
inline constexpr std::string_view kSignedPropertiesType = "http://uri.etsi.org/01903#SignedProperties";
inline constexpr std::string_view kEnvelopedSignature =
    "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
inline constexpr std::string_view kBase64 = "http://www.w3.org/2000/09/xmldsig#base64";
}  // namespace ns

/// CommitmentTypeIndication identifiers (ETSI TS 119 172-1 Annex B as URIs, EN 319 132-1 §5.2.3).
namespace commitment {
inline constexpr std::string_view kProofOfOrigin = "http://uri.etsi.org/01903/v1.2.2#ProofOfOrigin";
inline constexpr std::string_view kProofOfReceipt = "http://uri.etsi.org/01903/v1.2.2#ProofOfReceipt";
inline constexpr std::string_view kProofOfDelivery = "http://uri.etsi.org/01903/v1.2.2#ProofOfDelivery";
inline constexpr std::string_view kProofOfSender = "http://uri.etsi.org/01903/v1.2.2#ProofOfSender";
inline constexpr std::string_view kProofOfApproval = "http://uri.etsi.org/01903/v1.2.2#ProofOfApproval";
inline constexpr std::string_view kProofOfCreation = "http://uri.etsi.org/01903/v1.2.2#ProofOfCreation";
/// The URI for a CAdES commitment OID (ades::commitment::k*), or the OID as "urn:oid:..." otherwise.
std::string from_oid(std::string_view oid);
}  // namespace commitment

/// XML-DSig algorithm URIs (RFC 6931; XMLDSig 1.1 §6). PSS is the RFC 6931 §2.3.10 form with implied
/// parameters: MGF1 over the same hash, salt length = hash length, trailer 1.
std::string_view digest_uri(crypto::DigestAlgorithm alg);
std::optional<crypto::DigestAlgorithm> digest_from_uri(std::string_view uri);
/// Errc::UnsupportedAlgorithm for what XML-DSig cannot name here (SHA-1, SHA-3, PSS with other
/// parameters).
std::string_view signature_uri(const crypto::SignatureAlgorithm& alg);
std::optional<crypto::SignatureAlgorithm> signature_from_uri(std::string_view uri);

enum class Packaging {
    Enveloped,   ///< the signature inside the signed document, which it signs whole (URI="")
    Enveloping,  ///< the signed data inside the signature (ds:Object, base64)
    Detached,    ///< external documents by URI, or sibling elements of the same document by Id
};
std::string_view name(Packaging p);                                   ///< "enveloped", ...
std::optional<Packaging> packaging_from_name(std::string_view name);  ///< case-insensitive

/// An external document of a detached signature: referenced by `uri`, hashed as it is (octets, no
/// transforms). The stream is read once in chunks and must stay valid until sign_xades returns.
struct ExternalDocument {
    std::string uri;  ///< written into ds:Reference/@URI as given (a relative file name, or absolute)
    std::istream* content = nullptr;
    std::string mime_type = "application/octet-stream";
};

/// Data carried in an enveloping signature (base64 in a ds:Object, referenced with the base64
/// transform, so the digest is over the data itself).
struct EnvelopedData {
    Bytes data;
    std::string mime_type = "application/octet-stream";
};

/// What is signed.
struct XadesContent {
    /// The whole document; the signature becomes the last child of its root element.
    static XadesContent enveloped(Bytes xml, std::string mime_type = "text/xml");
    /// One or more data objects inside the signature (the output's root is ds:Signature).
    static XadesContent enveloping(std::vector<EnvelopedData> objects);
    /// One or more external documents; the output is the ds:Signature alone.
    static XadesContent detached(std::vector<ExternalDocument> documents);
    /// Elements of `xml` found by their Id attribute (Id, ID or id; exactly one element each); the
    /// signature becomes the last child of the first element's parent (not inside any of them).
    static XadesContent detached_elements(Bytes xml, std::vector<std::string> ids,
                                          std::string mime_type = "text/xml");

    Packaging packaging = Packaging::Enveloped;
    Bytes xml;
    std::string mime_type = "text/xml";
    std::vector<std::string> element_ids;
    std::vector<EnvelopedData> objects;
    std::vector<ExternalDocument> documents;
};

struct XadesOptions {
    ades::Level level = ades::Level::BB;
    /// Empty: sign::default_algorithm() for the signer's key.
    std::optional<crypto::SignatureAlgorithm> algorithm;
    /// Reference digests; empty: the signature algorithm's digest.
    std::optional<crypto::DigestAlgorithm> digest;
    /// SigningTime (EN 319 132-1 §5.2.1). Empty: the system clock.
    const Clock* clock = nullptr;
    /// ds:SignedInfo's CanonicalizationMethod and the same-document references' transform.
    C14n c14n = C14n::Exclusive10;
    /// SignerRoleV2/ClaimedRoles (EN 319 132-1 §5.2.6); empty: no SignerRoleV2.
    std::vector<std::string> claimed_roles;
    /// CommitmentTypeIndication (commitment::k* or any URI) over all signed data objects; empty: none.
    std::string commitment_type;
    /// Required from B-T up. Must outlive the call.
    ades::TimeStamper* time_stamper = nullptr;
    /// B-LT: where the revocation data comes from (required there). Must outlive the call.
    pki::RevocationFetcher* revocation = nullptr;
    /// B-LT: refuse (Errc::Conflict, nothing returned) when the signer's certificate is revoked.
    bool refuse_revoked = true;
    /// B-LT, B-LTA: when set, receives what went into CertificateValues / RevocationValues /
    /// TimeStampValidationData.
    pki::ValidationData* validation_used = nullptr;
    ParseLimits limits;
};

/// The signed XML (UTF-8 unless the input document declared another encoding, which is kept).
/// ds:Signature Id, SignedInfo (the data references first, each with an Id and a DataObjectFormat,
/// then SignedProperties with Type http://uri.etsi.org/01903#SignedProperties), SignatureValue (RSA:
/// the modulus-length integer; ECDSA: r‖s, each the curve's field length, XMLDSig 1.1 §6.4.3),
/// KeyInfo with the signer's chain, QualifyingProperties in a ds:Object: SigningTime,
/// SigningCertificateV2 (the signer's certificate digest and IssuerSerialV2), DataObjectFormat per
/// reference, optional SignerRoleV2 and CommitmentTypeIndication. B-T adds a SignatureTimeStamp over
/// the exclusive-canonical ds:SignatureValue element (EN 319 132-1 §5.3). B-LT then fetches OCSP
/// responses or CRLs (issued after the time-stamp) for the signer chain and the time-stamp's TSA chain and
/// adds CertificateValues (every certificate not already in KeyInfo) and RevocationValues
/// (EN 319 132-1 §5.5.1, §5.5.2). B-LTA then appends a xades141:ArchiveTimeStamp over the archive input
/// (archive.h; exclusive C14N, the signature's digest) and a xades141:TimeStampValidationData with the
/// archive time-stamp's TSA certificates and their revocation data (extend_xades does this step; an
/// external document's stream is read a second time for it, from its start, so it must be seekable).
/// Errc::InvalidRequest: no content, a signer without a certificate, B-T without a time stamper, an
/// Id not found or found twice, a refused DTD, B-LT or B-LTA without a revocation fetcher;
/// Errc::Conflict: a revoked signer with refuse_revoked; the fetcher's Errc::Unavailable;
/// Errc::InvalidEncoding: the document is not well-formed XML; Errc::PayloadTooLarge: over a limit;
/// Errc::UnsupportedAlgorithm: an algorithm XML-DSig cannot name or the key cannot make; the signer's
/// and stamper's errors.
Bytes sign_xades(const XadesContent& content, sign::Signer& signer, const XadesOptions& options);

/// What extend_xades adds.
struct XadesExtendOptions {
    /// The level to reach: BT (a SignatureTimeStamp if there is none), BLT (also CertificateValues and
    /// RevocationValues if there are none and no archive time-stamp yet) or BLTA (also, every time, a new
    /// ArchiveTimeStamp and its TimeStampValidationData).
    ades::Level level = ades::Level::BLTA;
    /// The ds:Signature to extend (its Id); empty: every ds:Signature that is not inside another one.
    std::string signature_id;
    /// The archive time-stamp's CanonicalizationMethod (and the SignatureTimeStamp's).
    C14n c14n = C14n::Exclusive10;
    /// The hash of the time-stamp imprints.
    crypto::DigestAlgorithm digest = crypto::DigestAlgorithm::Sha256;
    /// The targets of external references (needed for an archive time-stamp of a detached signature).
    std::vector<DetachedContent> detached;
    /// Refuse (Errc::Conflict, nothing returned) when a signer's certificate is revoked.
    bool refuse_revoked = true;
    /// When set, receives the validation data that was added.
    pki::ValidationData* validation_used = nullptr;
    ParseLimits limits;
};

/// Extends XAdES signatures, inkan's or anyone's (ETSI EN 319 132-1 §5.3, §5.5; TS 101 903 v1.4.1
/// §8.1, §8.2): B-B → B-T → B-LT → B-LTA, and B-LTA again (a new ArchiveTimeStamp covers the earlier ones
/// and their TimeStampValidationData). Only new elements are inserted, at the end of (a new)
/// xades:UnsignedSignatureProperties: every byte of `xml` outside it stays as it was, so what was signed
/// (SignedInfo, the references, SignedProperties) still verifies. Revocation data is issued after the
/// time-stamp it follows (pki::RevocationFetcher::collect).
/// Errc::InvalidEncoding: not XML, no ds:Signature (or none with the Id), a signature without
/// xades:QualifyingProperties (plain XML-DSig), a reference that cannot be dereferenced;
/// Errc::InvalidRequest: level below B-T, B-LT/B-LTA without `revocation`, an external reference without
/// its content, a UTF-16 document; Errc::Conflict: a revoked signer with refuse_revoked; the stamper's and
/// fetcher's errors (Errc::Unavailable).
Bytes extend_xades(ByteView xml, ades::TimeStamper& stamper, pki::RevocationFetcher* revocation,
                   const XadesExtendOptions& options);

/// Whether `data` looks like XML (after a BOM and white space, it starts with '<'), to route a document
/// to extend_xades rather than to PDF or CMS.
bool looks_like_xml(ByteView data);

}  // namespace inkan::xades
