#pragma once

// signatures/signDoc (CSC v2 §11.11; csc-api.md §7): the service builds the AdES object itself.
// `documents` (a PDF → PAdES; any bytes → CAdES attached or detached) and `documentDigests` (each hash
// → a detached CAdES SignatureObject), at B-B, B-T, B-LT and B-LTA. The request is checked
// completely — formats, levels, envelope properties, signed properties, algorithms, PDFs opened, and
// (for B-LT/B-LTA or returnValidationInfo) the signer chain's revocation data fetched and its status
// checked — before the SAD is spent through the same ledger transaction as signHash
// (Authorization::sign_documents); then the credential's HSM key signs through the ades layer.
// Documents are processed as temporary files in a work directory and removed afterwards (decisions
// 0010, 0014).

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <inkan/ades/pades.h>
#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/core/error.h>
#include <inkan/core/secret.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/pki/revocation.h>
#include <inkan/service/authorization.h>
#include <inkan/service/model.h>

namespace inkan::ades {
class TimeStamper;
}

namespace inkan::service {

/// One documents[] or documentDigests[] entry as the api decoded it. The profile fields are the
/// wire's strings: this layer decides what they mean.
struct SignDocItem {
    Bytes document;             ///< documents[i].document (decoded base64)
    std::vector<Bytes> hashes;  ///< documentDigests[i].hashes (decoded base64)
    /// signAlgo (+ signAlgoParams) and hashAlgorithmOID as the client named them: resolved here against
    /// the credential's key. When signAlgo fixes the digest, hashAlgorithmOID must be that digest.
    AlgorithmChoice algorithm;
    std::string signature_format;          ///< "P" or "C" ("X" and "J" are refused)
    std::string conformance_level;         ///< case-insensitive; empty: Ades-B-B
    std::string signed_envelope_property;  ///< empty: the format's default
    /// signed_props: {attribute_name, attribute_value}. PAdES: Reason, Location, Name, ContactInfo
    /// (text); CAdES: commitment-type-indication (an OID).
    std::vector<std::pair<std::string, std::string>> signed_props;
    /// PAdES only, inkan's extension (decision 0031): a visible signature on `page` (0-based). Its
    /// font is the server's ([signing] appearance_font), never a path from the request.
    std::optional<ades::VisibleSignature> appearance;
    std::size_t page = 0;
};

struct SignDocRequest {
    std::string credential_id;        ///< empty: chosen by signature_qualifier
    std::string signature_qualifier;  ///< v2 signatureQualifier; may be empty
    Secret sad;                       ///< the SAD, or the v2 credential-scope token (the same ledger row)
    std::vector<SignDocItem> documents;
    std::vector<SignDocItem> digests;
    bool documents_given = false;  ///< the parameter was present (even if empty)
    bool digests_given = false;
    /// returnValidationInfo / returnValidationInformation: answer with the validation data used.
    bool return_validation_info = false;
};

struct SignDocResult {
    std::vector<Bytes> documents_with_signature;  ///< PAdES documents and attached CAdES, in order
    std::vector<Bytes> signature_objects;         ///< detached CAdES, in order
    /// With return_validation_info: the certificates, OCSP responses and CRLs for every new signature's
    /// signer and TSA chains — at B-LT/B-LTA what was embedded, at B-B/B-T fetched and not embedded (the
    /// client may add it itself, csc-api.md §7).
    std::optional<pki::ValidationData> validation_info;
};

/// Why signDoc refused a request before anything was spent (the api gives each the spec's text).
/// Carried in Error::detail as "<name>: <text>"; see doc_failure().
enum class DocFailure {
    BothInputs,          ///< "Both documentDigests and documents parameters passed"
    NoInputs,            ///< "Empty documentDigests and documents objects"
    InvalidFormat,       ///< signature_format missing, unknown, or not supported (X, J)
    InvalidLevel,        ///< conformance_level unknown, B-T and up without a TSA (B-LT up: or fetcher)
    InvalidEnvelope,     ///< signed_envelope_property not allowed for the format
    InvalidSignedProps,  ///< an attribute that is unknown for the format, or a bad value
    /// the visible signature (inkan's `appearance` member): not PAdES, bad text, does not fit, no font
    InvalidAppearance,
    HashContradicts,  ///< hashAlgorithmOID is not signAlgo's digest
    InvalidDigestLength,
    InvalidDocument,   ///< not a PDF, truncated, damaged, encrypted, certified against changes
    DocumentTooLarge,  ///< over DocumentSigningSettings::max_document_bytes (HTTP 413)
    /// Revocation data (OCSP/CRL) or a time-stamp could not be had (Errc::Unavailable): a responder,
    /// CRL server or TSA is down or answered wrongly. Before the spend when it is the signer chain's.
    ValidationUnavailable,
    SignerRevoked,  ///< the signer's certificate is revoked and the policy refuses it (Errc::Conflict)
};
std::string_view name(DocFailure f);
std::optional<DocFailure> doc_failure(const Error& e);

struct DocumentSigningSettings {
    /// Where documents are written while they are signed (a fresh subdirectory per request, removed
    /// afterwards). Created if missing.
    std::filesystem::path work_dir;
    std::size_t max_document_bytes = 64U * 1024U * 1024U;
    /// DocMDP P of a Certification signature (ISO 32000-1 §12.8.2.2): 2 = form filling and further
    /// signatures allowed (decision 0010).
    int certify_permissions = 2;
    /// [signing] refuse_revoked: a signer certificate that OCSP/CRL says is revoked is refused (before
    /// the SAD is spent) instead of being signed with and embedded as revoked.
    bool refuse_revoked = true;
    /// [signing] vri: PAdES B-LT/B-LTA DSS updates also get /VRI entries (optional and deprecated in
    /// EN 319 142-1, so off by default; some older validators look for them).
    bool vri = false;
    /// [signing] timestamp_validation: PAdES B-LTA always ends with a DSS update for the document
    /// time-stamp's own chain (without it, only when that chain is not already covered).
    bool document_time_stamp_validation = false;
    /// The font of visible signatures ([signing] appearance_font); empty: pdf::default_appearance_font().
    std::filesystem::path appearance_font;
};

class DocumentSigning {
public:
    /// `stamper`: where B-T and up get their time-stamps (the in-process TSA or remote TSAs); null: B-T
    /// and up are refused. `revocation`: where B-LT/B-LTA and returnValidationInfo get OCSP responses
    /// and CRLs; null: those are refused. Everything must outlive this object.
    DocumentSigning(Authorization& authorization, ades::TimeStamper* stamper,
                    pki::RevocationFetcher* revocation, const Clock& clock, DocumentSigningSettings settings);

    /// Errc::InvalidRequest / PayloadTooLarge with a DocFailure; the Authorization's refusals
    /// (SignFailure: HashNotAuthorised is the spec's 403 invalid_hash here); the ades layer's errors
    /// after the SAD was spent.
    SignDocResult sign(const Caller& caller, SignDocRequest request);
    /// operationMode "A" (decision 0033): every check of sign() and the SAD's spend now (refusals throw
    /// here), the building and signing as a job to run once, later, on a worker. The job throws what
    /// sign() would after the spend; it must not outlive this object.
    std::function<SignDocResult()> prepare(const Caller& caller, SignDocRequest request);

    [[nodiscard]] const DocumentSigningSettings& settings() const noexcept { return m_settings; }
    /// The conformance levels offered (info.conformance_levels): "Ades-B-B", and with a TSA "Ades-B-T",
    /// and with a TSA and a revocation fetcher "Ades-B-LT", "Ades-B-LTA".
    [[nodiscard]] std::vector<std::string> conformance_levels() const;
    /// returnValidationInfo can be honoured (info.validationInfo).
    [[nodiscard]] bool validation_info() const noexcept { return m_revocation != nullptr; }

private:
    Authorization& m_authorization;
    ades::TimeStamper* m_stamper;
    pki::RevocationFetcher* m_revocation;
    const Clock& m_clock;
    DocumentSigningSettings m_settings;
};

}  // namespace inkan::service
