#pragma once

// Extension as a service operation (issue 9 clause 4; ETSI EN 319 142-1 §5.5, ades.md §3.4): keeps signed
// documents alive with the server's TSA and revocation fetcher — the validation data still missing for
// every signature and time-stamp (PAdES: a DSS update; CAdES: SignedData certificates/crls; XAdES:
// CertificateValues/RevocationValues), then a fresh document time-stamp (CAdES: an archive-time-stamp-v3,
// EN 319 122-1 §5.5.3; XAdES: a xades141:ArchiveTimeStamp, EN 319 132-1 §5.5.2). Works on documents
// inkan did not sign. No key is used and no SAD is spent; the caller needs a service token. Vendor route
// POST /inkan/v1/extend (decision 0014).

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/pki/revocation.h>
#include <inkan/service/document_signing.h>
#include <inkan/service/model.h>

namespace inkan::ades {
class TimeStamper;
}

namespace inkan::service {

/// One document to extend, as the api decoded it.
struct ExtendItem {
    Bytes document;  ///< the signed document (decoded base64): a PDF, a CMS as DER or PEM, or XML (XAdES)
    /// "P" (PAdES), "C" (CAdES) or "X" (XAdES); empty: by the bytes (XML → X, %PDF → P, a DER or PEM
    /// CMS → C, else P).
    std::string signature_format;
    /// A detached CAdES, or a detached XAdES with one external reference: the signed content (required
    /// then, refused otherwise).
    std::optional<Bytes> content;
};

struct ExtendDocumentsRequest {
    std::vector<ExtendItem> documents;
    bool return_validation_info = false;
};

struct ExtendDocumentsResult {
    std::vector<Bytes> documents;  ///< in order
    /// With return_validation_info: what the extensions added (DSS updates, CMS certificates/crls), over
    /// all documents.
    std::optional<pki::ValidationData> validation_info;
};

struct ExtensionSettings {
    std::filesystem::path work_dir;  ///< a fresh subdirectory per request, removed afterwards
    std::size_t max_document_bytes = 64U * 1024U * 1024U;
    /// A signer revoked after signing keeps a valid signature (its time-stamp proves the time): the
    /// revoked status is embedded unless this is set.
    bool refuse_revoked = false;
    /// [signing] timestamp_validation. PAdES: always a last DSS update with the validation data of the
    /// new document time-stamp itself (without it, only when its chain is not already covered).
    bool document_time_stamp_validation = false;
    /// [signing] vri: PAdES DSS updates also get /VRI entries.
    bool vri = false;
};

class Extension {
public:
    /// `stamper` and `revocation` must be non-null (Errc::InvalidConfig) and outlive this object.
    Extension(ades::TimeStamper* stamper, pki::RevocationFetcher* revocation, ExtensionSettings settings);

    /// Errc::InvalidRequest with a DocFailure (NoInputs, InvalidFormat, InvalidDocument: not a PDF,
    /// damaged, encrypted, unsigned; not a CMS SignedData, a detached CMS without its content or with
    /// content that does not match, content for an enveloping CMS, an older CAdES archive form);
    /// PayloadTooLarge (DocumentTooLarge); Unavailable (ValidationUnavailable: a TSA, OCSP responder or CRL
    /// server down); Conflict (SignerRevoked, with refuse_revoked). Nothing is returned unless every document
    /// was extended.
    ExtendDocumentsResult extend(const Caller& caller, ExtendDocumentsRequest request);

    [[nodiscard]] const ExtensionSettings& settings() const noexcept { return m_settings; }

private:
    ades::TimeStamper* m_stamper;
    pki::RevocationFetcher* m_revocation;
    ExtensionSettings m_settings;
};

}  // namespace inkan::service
