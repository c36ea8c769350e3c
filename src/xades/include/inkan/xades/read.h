#pragma once

// Reading XML-DSig / XAdES signatures for the validator (decision 0025): every ds:Signature of a
// document with its references resolved and digested under the rules that stop signature wrapping,
// its canonical SignedInfo, the signer's certificates and the qualifying properties of THIS
// signature. What this layer finds is facts about the XML (a digest that does not match, a reference
// with no or two targets, a SignedProperties that is not this signature's); the ETSI EN 319 102-1
// verdicts are the validation layer's. No libxml2 type appears here.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/xades/xml.h>

namespace inkan::xades {

/// The content of an external (detached) reference, given by the caller (`inkan verify --content
/// URI=FILE`). `uri` empty: the content of the only external reference that has no content of its own.
struct ExternalContent {
    std::string uri;
    /// The digest of the octets under an algorithm (a file is streamed); throws when unreadable.
    std::function<Bytes(crypto::DigestAlgorithm)> digest;
    /// The octets themselves, for a reference with transforms (bounded by the caller).
    std::function<Bytes()> bytes;
};

/// What became of one ds:Reference.
enum class ReferenceStatus {
    Ok,
    DigestMismatch,  ///< resolved, digest differs (HASH_FAILURE)
    NotFound,     ///< no target: no element with the Id, detached content not given (SIGNED_DATA_NOT_FOUND)
    Refused,      ///< ambiguous or misplaced target, refused transform (FORMAT_FAILURE)
    Unsupported,  ///< an unknown digest algorithm (CRYPTO_CONSTRAINTS_FAILURE)
};

struct ReferenceResult {
    std::string uri;
    std::string type;
    ReferenceStatus status = ReferenceStatus::Ok;
    std::string error;  ///< why, when not Ok
};

/// An xades:EncapsulatedTimeStamp and the bytes its imprint must be the digest of.
struct TimeStampRead {
    Bytes token;                 ///< DER TimeStampToken
    std::optional<Bytes> input;  ///< the time-stamped data (canonicalised), nullopt when not computed
    std::string error;           ///< why input is nullopt
    /// An archive time-stamp: the ordinal of its xades141:ArchiveTimeStamp among the signature's (what
    /// ArchiveInputRequest::existing takes; its input is archive.h's, not computed here).
    std::size_t index = 0;
};

/// One xades:Cert of SigningCertificateV2 / SigningCertificate (EN 319 132-1 §5.2.2).
struct CertReference {
    std::optional<crypto::DigestAlgorithm> algorithm;  ///< nullopt: an algorithm not supported
    std::string algorithm_uri;
    Bytes digest;
    /// SigningCertificateV2's IssuerSerialV2: a DER IssuerSerial (RFC 5035 §4) to compare with the
    /// certificate the digest names.
    std::optional<Bytes> issuer_serial_v2;
    /// SigningCertificate (v1)'s IssuerSerial/ds:X509SerialNumber, decimal as written.
    std::optional<std::string> serial_number;
};

struct SignatureRead {
    std::string id;                     ///< ds:Signature/@Id (may be empty)
    std::optional<std::size_t> parent;  ///< a counter-signature: the index of the signature it counter-signs
    /// EN 319 132-1 / XMLDSig structure problems: FORMAT_FAILURE.
    std::vector<std::string> format_errors;
    std::string signature_method;  ///< its URI
    std::optional<crypto::SignatureAlgorithm> algorithm;
    Bytes signed_info;      ///< ds:SignedInfo canonicalised with its CanonicalizationMethod
    Bytes signature_value;  ///< decoded (ECDSA: r‖s)
    std::vector<Bytes> key_info_certificates;  ///< ds:KeyInfo/ds:X509Data/ds:X509Certificate, in order
    std::vector<ReferenceResult> references;   ///< SignedInfo order
    /// xades:QualifyingProperties of this signature, and a ds:Reference of Type SignedProperties whose
    /// one target is its SignedProperties.
    bool qualifying_properties = false;
    bool signed_properties_signed = false;
    std::optional<TimePoint> signing_time;  ///< SigningTime (the claimed time)
    bool signing_certificate_v2 = false;    ///< V2 (EN 319 132-1) rather than v1 (TS 101 903)
    std::vector<CertReference> signing_certificates;
    std::vector<TimeStampRead> signature_time_stamps;  ///< input: the canonicalised ds:SignatureValue
    std::vector<TimeStampRead> archive_time_stamps;    ///< xades141:ArchiveTimeStamp (input: archive.h)
    /// CertificateValues, RevocationValues and xades141:TimeStampValidationData of this signature.
    std::vector<Bytes> certificates;
    std::vector<Bytes> crls;
    std::vector<Bytes> ocsp_responses;
};

/// Every ds:Signature of `xml` in document order (counter-signatures inside xades:CounterSignature
/// follow their parent, with `parent` set). Per reference (XMLDSig 1.1 §4.4.3): URI="" is the whole
/// document without comments; "#id" is the one element whose Id/ID/id/xml:id attribute has that value
/// — every such attribute in the document counts, two elements with the Id are refused; other URIs
/// are external and need an ExternalContent. Transforms: enveloped-signature, C14N 1.0/1.1 and
/// exclusive C14N (with or without comments, exclusive with an InclusiveNamespaces PrefixList) and
/// base64; XPath, XSLT and every other transform are refused. A data reference whose target lies in
/// another signature, or in a ds:Object of a signature that is not the document (enveloping), is
/// refused (signature wrapping: a signed element moved into a place the application does not read).
/// Errc::InvalidEncoding: not well-formed; Errc::InvalidRequest: a refused DTD; Errc::PayloadTooLarge.
std::vector<SignatureRead> read_signatures(ByteView xml, const std::vector<ExternalContent>& external,
                                           const ParseLimits& limits = {});

}  // namespace inkan::xades
