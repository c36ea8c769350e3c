#pragma once

// ETSI TS 119 612 v2.x trusted lists and the EU list of trusted lists (LOTL), issue 17, decision 0030.
// A list is parsed (libxml2 under xades::ParseLimits: bounded size and depth, no entities, no network),
// its enveloped ds:Signature is judged by the validator (validation::validate_xml) against the
// certificates the pointing list announces (LOTL → national list, OtherTSLPointer/ServiceDigitalIdentities)
// or, for a list nobody points to (the LOTL), against the operator's configured list signers. Only the
// services of lists whose signature is TOTAL-PASSED become validation::TrustedService.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/net/url_guard.h>
#include <inkan/validation/validator.h>
#include <inkan/xades/xml.h>

namespace inkan::tl {

namespace uri {
inline constexpr std::string_view kTslNs = "http://uri.etsi.org/02231/v2#";
inline constexpr std::string_view kAdditionalTypesNs = "http://uri.etsi.org/02231/v2/additionaltypes#";
inline constexpr std::string_view kEccNs =
    "http://uri.etsi.org/TrstSvc/SvcInfoExt/eSigDir-1999-93-EC-TrustedList/#";
inline constexpr std::string_view kLotlType =
    "http://uri.etsi.org/TrstSvc/TrustedList/TSLType/EUlistofthelists";
inline constexpr std::string_view kGenericType = "http://uri.etsi.org/TrstSvc/TrustedList/TSLType/EUgeneric";
inline constexpr std::string_view kSvcType = "http://uri.etsi.org/TrstSvc/Svctype/";
inline constexpr std::string_view kSvcStatus = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/";
inline constexpr std::string_view kGranted = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted";
inline constexpr std::string_view kWithdrawn = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/withdrawn";
inline constexpr std::string_view kCaQc = "http://uri.etsi.org/TrstSvc/Svctype/CA/QC";
inline constexpr std::string_view kTsaQtst = "http://uri.etsi.org/TrstSvc/Svctype/TSA/QTST";
}  // namespace uri

/// One status period of a service: the current ServiceInformation or a ServiceHistoryInstance.
struct ServiceState {
    std::string type;                          ///< ServiceTypeIdentifier URI
    std::string name;                          ///< ServiceName (first Name)
    std::string status;                        ///< ServiceStatus URI
    TimePoint start{};                         ///< StatusStartingTime
    std::vector<Bytes> certificates;           ///< ServiceDigitalIdentity/DigitalId/X509Certificate (DER)
    std::vector<std::string> qualifiers;       ///< ecc:Qualifications ... Qualifier/@uri
    std::vector<std::string> additional_info;  ///< AdditionalServiceInformation/URI
};

struct Service {
    ServiceState current;
    std::vector<ServiceState> history;  ///< ServiceHistoryInstance, as listed (newest first in real lists)
    /// The state in force at `t` (the latest whose start ≤ t), or nullopt before the first one.
    [[nodiscard]] std::optional<ServiceState> state_at(TimePoint t) const;
};

struct Provider {
    std::string name;  ///< TSPName (first Name)
    std::vector<Service> services;
};

/// OtherTSLPointer (TS 119 612 §5.3.13).
struct Pointer {
    std::string location;             ///< TSLLocation
    std::vector<Bytes> certificates;  ///< ServiceDigitalIdentities: who may sign the pointed list
    std::string territory;            ///< AdditionalInformation SchemeTerritory
    std::string mime_type;            ///< AdditionalInformation MimeType
    std::string type;                 ///< AdditionalInformation TSLType
};

struct TrustedList {
    int version = 0;                       ///< TSLVersionIdentifier
    std::uint64_t sequence = 0;            ///< TSLSequenceNumber
    std::string type;                      ///< TSLType URI
    std::string territory;                 ///< SchemeTerritory
    std::string operator_name;             ///< SchemeOperatorName (first Name)
    std::optional<TimePoint> issued;       ///< ListIssueDateTime
    std::optional<TimePoint> next_update;  ///< NextUpdate/dateTime (absent: a closed list)
    std::vector<Pointer> pointers;
    std::vector<Provider> providers;
    [[nodiscard]] bool is_lotl() const { return type == uri::kLotlType; }
};

/// Limits for a trusted list: the EU LOTL is ~300 KB, the largest national lists a few MB.
inline xades::ParseLimits list_limits() {
    xades::ParseLimits l;
    l.max_bytes = std::size_t{32} << 20;
    l.max_depth = 64;
    return l;
}

/// Parses a TS 119 612 list (signature not checked). Errc::InvalidEncoding: not XML, not a
/// TrustServiceStatusList, a field that does not parse (the message names it); Errc::PayloadTooLarge,
/// Errc::InvalidRequest (a refused DTD) as xades::check_xml.
TrustedList parse(ByteView xml, const xades::ParseLimits& limits = list_limits());

enum class SignatureStatus {
    Valid,       ///< the enveloped signature is TOTAL-PASSED against the announced certificates
    Invalid,     ///< present but not TOTAL-PASSED (tampered, other signer, expired, ...)
    Missing,     ///< no enveloped ds:Signature over the whole list
    Unparsable,  ///< the list does not parse
    NoSigner,    ///< nobody announced certificates for it (no pointer, no configured list signer)
};
std::string_view name(SignatureStatus s);  ///< "valid", "invalid", "missing", "unparsable", "no-signer"

/// One list as loaded and judged.
struct LoadedList {
    std::string source;  ///< file or URL
    std::optional<TrustedList> list;
    SignatureStatus signature = SignatureStatus::Unparsable;
    std::string detail;  ///< why it is not valid; the signer's subject when it is
    /// The pointer (in a valid LOTL) that announced it, if any: "LOTL → territory".
    std::string pointed_by;
};

struct TrustSet {
    std::vector<LoadedList> lists;
};

/// What the signatures are judged with.
struct LoadOptions {
    /// DER certificates trusted to sign a list no loaded list points to (the LOTL, or a national list given
    /// alone): the operator's pivot.
    std::vector<Bytes> list_signers;
    /// The time the list signatures are judged at (empty: now).
    std::optional<TimePoint> now;
};

/// Loads every file given (a directory: its *.xml files, sorted), parses them, and judges each signature:
/// LOTLs first (against list_signers), then the others against the certificates of a pointer in a valid
/// LOTL with the same territory (else list_signers). Never throws for a bad list: it is reported.
/// Errc::NotFound: a path that does not exist.
TrustSet load(const std::vector<std::filesystem::path>& inputs, const LoadOptions& options);

/// Judges one list's signature against `signers` (see SignatureStatus).
LoadedList judge(ByteView xml, std::string source, const std::vector<Bytes>& signers,
                 std::optional<TimePoint> now = std::nullopt);

/// Whether a status URI counts as granted: eIDAS "granted", and the pre-eIDAS (Directive 1999/93/EC)
/// "accredited" and "undersupervision" (TS 119 612 v1 §5.5.4), whose lists still carry them in history.
bool is_granted_status(std::string_view status);

/// The services of the lists with a valid signature, as the validator takes them: CA/QC and
/// NationalRootCA-QC → QualifiedCa, TSA/QTST and TSA → TimeStamping, the rest Other; one entry per
/// certificate, with the periods in which the service was granted (from its history).
std::vector<validation::TrustedService> services(const TrustSet& set);

/// Puts `set`'s services into `options` (trusted_services, trust_configured) and the certificates of
/// every service that was granted at some time as trust anchors (whether a chain is trusted; whether it
/// is qualified at a given time is the services' periods' business, decision 0030).
void apply(const TrustSet& set, validation::Options& options);

/// The operator's trust file (Japan has no TS 119 612 list), TOML:
///   [validation.accredited_tsa.NAME] / [validation.trust_anchors.NAME] with certificate (PEM file,
///   relative to the file), name, valid_from, valid_until (RFC 3339; optional), label.
///   [validation] trusted_lists = [...] (files or directories) and list_signers = [...] (PEM files).
/// accredited_tsa entries become TimeStamping services granted in [valid_from, valid_until); trust_anchors
/// entries become trust anchors. Errc::InvalidConfig naming the key.
struct TrustFile {
    std::vector<validation::TrustedService> services;
    std::vector<Bytes> anchors;
    std::vector<std::filesystem::path> trusted_lists;
    std::vector<Bytes> list_signers;
};
TrustFile load_trust_file(const std::filesystem::path& file);

/// `inkan tl show`: every list, its signature status, pointers, TSPs and services with the status at `at`.
std::string to_json(const TrustSet& set, TimePoint at);
std::string to_text(const TrustSet& set, TimePoint at);

/// `inkan tl fetch`: the LOTL from `lotl` (a file or an http(s) URL) and every XML list it points to,
/// into `cache` (lotl.xml, <territory>.xml); a cached list whose NextUpdate is still ahead is kept rather
/// than fetched. URLs go only through `guard` (Errc::Forbidden when it refuses one, naming the URL).
struct FetchOptions {
    net::UrlGuard guard;
    std::chrono::milliseconds timeout{30'000};
    std::size_t max_bytes = std::size_t{32} << 20;
    std::optional<TimePoint> now;
};
struct FetchResult {
    std::vector<std::string> fetched;  ///< "URL -> file"
    std::vector<std::string> kept;     ///< cached files still fresh
    std::vector<std::string> failed;   ///< "URL: reason"
};
FetchResult fetch(const std::string& lotl, const std::filesystem::path& cache, const FetchOptions& options);

}  // namespace inkan::tl
