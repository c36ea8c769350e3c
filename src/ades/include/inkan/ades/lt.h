#pragma once

// PAdES long-term levels (ETSI EN 319 142-1 §5.4; ades.md §3.4): B-LT adds a Document Security Store
// with the certificates, OCSP responses and CRLs of every signature's and time-stamp's chains; B-LTA
// adds a document time-stamp (/Type /DocTimeStamp, /SubFilter /ETSI.RFC3161) over all of it. Each step
// is one incremental update; earlier revisions are never touched, so earlier signatures stay valid.
// The steps work on any PDF, including ones inkan did not sign (extend).

#include <cstddef>
#include <filesystem>
#include <optional>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/pdf/document.h>
#include <inkan/pki/revocation.h>

namespace inkan::ades {

class TimeStamper;

/// The certificates found in one signature or document time-stamp of a PDF: the CMS certificates
/// (signer first when it is found) and, for a signature, those of its signature-time-stamp tokens.
struct SignatureCertificates {
    std::string field_name;
    pdf::SignatureType type = pdf::SignatureType::Signature;
    std::vector<std::vector<Bytes>> chains;  ///< one per CMS (the signature, then each token)
    Bytes contents;                          ///< /Contents with its padding (for the VRI key)
};
/// Errc::InvalidEncoding when a /Contents does not parse as CMS.
std::vector<SignatureCertificates> signature_certificates(const pdf::Document& document);

/// The certificate chains of one CMS signature: its certificates (signer first when found), then those of
/// each signature-time-stamp token. `cms` may carry trailing zero padding (a PDF /Contents).
/// Errc::InvalidEncoding when it does not parse.
std::vector<std::vector<Bytes>> cms_certificate_chains(ByteView cms);

/// The validation data (certificates, OCSP responses or CRLs) for every chain of one CMS signature,
/// through `fetcher`, without embedding it anywhere: what CSC signDoc returns as validationInfo for a
/// B-B/B-T signature (csc-api.md §7). The fetcher's errors (Errc::Unavailable, Errc::NotFound).
pki::ValidationData cms_validation_data(ByteView cms, pki::RevocationFetcher& fetcher);

/// The VRI key of a signature (EN 319 142-1 §5.4.2.3): upper-case hex SHA-1 of /Contents as
/// stored, padding included.
std::string vri_key(ByteView contents);

struct LtOptions {
    /// Refuse (Errc::Conflict) when a signer certificate (the first chain of a signature) is revoked.
    bool refuse_revoked = false;
    /// Write /VRI entries too.
    bool vri = false;
    /// Reuse no cached OCSP response produced before this time (pki::RevocationFetcher::fetch): when
    /// signing, the moment after the signature-time-stamp, so the DSS carries data issued after it.
    std::optional<TimePoint> issued_after;
};

/// What add_validation_data added.
struct LtReport {
    std::size_t signatures = 0;  ///< signatures and document time-stamps covered
    pki::ValidationData data;    ///< everything put into the DSS
};

/// B-LT: fetches revocation data (through `fetcher`) for every certificate of every signature and
/// time-stamp in `input` and writes `output` = input + one DSS update. Errc::Unavailable (from the
/// fetcher) when any is missing — nothing is written; Errc::Conflict for a revoked signer with
/// refuse_revoked; Errc::InvalidRequest when the document holds no signature.
LtReport add_validation_data(const std::filesystem::path& input, const std::filesystem::path& output,
                             pki::RevocationFetcher& fetcher, const LtOptions& options = {});

/// B-LTA: writes `output` = input + a document time-stamp revision whose token (from `stamper`,
/// SHA-256 imprint over the ByteRange) covers everything before it. `contents_size` 0: the stamper's
/// token size hint plus a margin; when the token does not fit, prepares again (once).
void add_document_time_stamp(const std::filesystem::path& input, const std::filesystem::path& output,
                             TimeStamper& stamper, std::size_t contents_size = 0);

/// B-LTA's last steps (EN 319 142-1 §5.5): `output` = input + a document time-stamp, then a DSS update
/// with the validation data of the time-stamp's own TSA chain when `always_validate` is set or when
/// that chain is not covered by `covered` (statuses) — a time-stamp from another TSA than the earlier
/// ones, e.g. after failover, so that every time-stamp carries its own data. Returns what that last
/// update added (empty when none was needed).
pki::ValidationData add_lta_document_time_stamp(const std::filesystem::path& input,
                                                const std::filesystem::path& output,
                                                pki::RevocationFetcher& fetcher, TimeStamper& stamper,
                                                const LtOptions& options, bool always_validate,
                                                const pki::ValidationData& covered);

struct ExtendOptions {
    LtOptions lt;
    /// Always add a last DSS update with the validation data of the new document time-stamp itself
    /// (without it: only when its TSA chain is not already covered, add_lta_document_time_stamp).
    bool document_time_stamp_validation = false;
};

/// Keeps a PAdES document alive (EN 319 142-1 §5.5; ades.md §3.4 "Extension"): the validation data
/// still missing for every signature and time-stamp (DSS update), then a fresh document time-stamp,
/// optionally followed by the DSS update for that time-stamp. `output` appears only when every step
/// succeeded.
LtReport extend_pdf(const std::filesystem::path& input, const std::filesystem::path& output,
                    pki::RevocationFetcher& fetcher, TimeStamper& stamper, const ExtendOptions& options = {});

}  // namespace inkan::ades
