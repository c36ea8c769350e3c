#pragma once

// The validation report (issue 15's JSON contract): per document, per signature and per time-stamp the
// status indications of ETSI EN 319 102-1 §5.1.3 with their sub-indications (§5.1.3 table 5), the
// checks behind them (intact, crypto_valid, format_ok), the level actually present (B-B .. B-LTA), the
// times, the chain and the revocation status. to_json() writes exactly the contract's names.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <inkan/core/clock.h>

namespace inkan::validation {

/// EN 319 102-1 §5.1.3 main status indication.
enum class Indication { TotalPassed, TotalFailed, Indeterminate };

/// EN 319 102-1 §5.1.3 table 5 sub-indications (the ETSI names are name()'s).
enum class SubIndication {
    // with TOTAL-FAILED
    FormatFailure,
    HashFailure,
    SigCryptoFailure,
    Revoked,
    ExpiredNoPoe,  ///< EXPIRED: the signing certificate expired before the POE (TOTAL-FAILED, §5.1.3)
    // with INDETERMINATE
    SigConstraintsFailure,
    ChainConstraintsFailure,
    CertificateChainGeneralFailure,
    CryptoConstraintsFailure,
    CryptoConstraintsFailureNoPoe,
    SignedDataNotFound,
    NoSigningCertificateFound,
    NoCertificateChainFound,
    RevokedNoPoe,
    RevokedCaNoPoe,
    OutOfBoundsNoPoe,
    OutOfBoundsNotRevoked,
    TryLater,
    NoPoe,
    TimestampOrderFailure,
};

/// "TOTAL-PASSED", "TOTAL-FAILED", "INDETERMINATE".
std::string_view name(Indication i);
/// "HASH_FAILURE", "NO_CERTIFICATE_CHAIN_FOUND", ... (ETSI EN 319 102-1 spelling).
std::string_view name(SubIndication s);

/// The AdES baseline level actually present and valid (EN 319 122-1 / EN 319 142-1); None for a plain
/// CMS/PDF signature without the B-B attributes.
enum class Level { None, BB, BT, BLT, BLTA };
/// "B-B", "B-T", "B-LT", "B-LTA"; None has no name (JSON null).
std::optional<std::string_view> name(Level l);

struct Verdict {
    Indication indication = Indication::Indeterminate;
    std::optional<SubIndication> subindication;
};

struct TimestampReport {
    std::string kind;  ///< "signature", "archive", "content", "document"
    bool intact = false;
    bool crypto_valid = false;
    std::optional<TimePoint> time;  ///< genTime
    std::string tsa;                ///< the TSA certificate's subject (RFC 4514), empty if unknown
    /// Whether the TSA was qualified (trusted list: TSA/QTST granted) or accredited (the operator's trust
    /// file) at `time`: "yes", "no", or "unknown" when no trust configuration says.
    std::string tsa_accredited = "unknown";
    std::string tsa_label;  ///< the trust configuration's label, e.g. "認定タイムスタンプ"; empty if none
    std::optional<TimePoint> tsa_certificate_expiry;  ///< notAfter of the TSA certificate
    Verdict verdict;
    std::vector<std::string> errors;  ///< why it is not TOTAL-PASSED, human readable
    std::string field;                ///< a PDF document time-stamp's field name
};

struct Modification {
    bool detected = false;               ///< a change the signature does not permit
    std::vector<std::string> changes;    ///< those changes
    std::vector<std::string> permitted;  ///< later changes it permits (DSS, document time-stamps, ...)
};

struct SignatureReport {
    std::string id;     ///< "S0", "S1", ... in document order
    std::string field;  ///< PDF signature field name; empty for CMS
    std::string signer;
    std::string signer_serial;                           ///< the signer certificate's serial, hex
    std::optional<TimePoint> signer_certificate_expiry;  ///< its notAfter
    /// The signer's certificate is qualified (QC statements and a CA/QC service granted at the
    /// signing time in a trusted list): "yes", "no", or "unknown" when no trusted list is configured.
    std::string qualified = "unknown";
    std::optional<std::string> counter_signature_of;
    bool intact = false;
    bool crypto_valid = false;
    bool format_ok = false;
    Verdict verdict;
    Level level = Level::None;
    std::optional<TimePoint> claimed_signing_time;
    std::optional<TimePoint> best_signature_time;
    Modification modification;
    std::vector<TimestampReport> timestamps;
    std::vector<std::string> chain;      ///< subjects, signer first
    std::string revocation = "unknown";  ///< "good", "revoked", "unknown"
    std::string sub_filter;              ///< PDF /SubFilter without the slash; empty for CMS
    std::string signature_algorithm;
    std::vector<std::string> errors;  ///< why it is not TOTAL-PASSED, human readable
};

struct DocumentReport {
    std::string file;
    std::optional<std::string> format;  ///< "PAdES", "CAdES"; nullopt when not recognised
    std::optional<std::string> error;   ///< set when the file could not be read or parsed
    std::vector<SignatureReport> signatures;
    std::vector<TimestampReport> document_timestamps;

    /// Every signature and document time-stamp is TOTAL-PASSED, there is at least one, and no error.
    [[nodiscard]] bool all_passed() const;
};

/// {"documents": [...]} in the issue 15 shape (times RFC 3339 UTC, absent values null).
std::string to_json(const std::vector<DocumentReport>& documents);
/// The validation report of ETSI TS 119 102-2 (v1.2.1 namespace http://uri.etsi.org/19102/v1.2.1#): one
/// ValidationReport with a SignatureValidationReport per signature and document time-stamp of every
/// document (identifier, validation time and best-signature-time, signer, status as the §5.1 URIs).
std::string to_etsi_xml(const std::vector<DocumentReport>& documents, TimePoint validation_time);
/// A short human summary, one block per document.
std::string to_text(const std::vector<DocumentReport>& documents);

}  // namespace inkan::validation
