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
    /// SchemeInformationURI/URI values; in the EU LOTL they name the pivot LOTLs (and the OJ notice).
    std::vector<std::string> scheme_information_uris;
    [[nodiscard]] bool is_lotl() const { return type == uri::kLotlType; }
    /// The LOTL-signing certificates a LOTL announces: the ServiceDigitalIdentities of its pointer to a
    /// LOTL (TSLType EUlistofthelists), i.e. to itself (TS 119 612 §5.3.13; the pivot mechanism).
    [[nodiscard]] std::vector<Bytes> announced_lotl_signers() const;
    /// The pivot LOTLs the list names, as written (SchemeInformationURI values naming an XML document).
    [[nodiscard]] std::vector<std::string> pivot_uris() const;
};

/// The file name a pivot URI is cached and looked up under: its last path segment, restricted to
/// [A-Za-z0-9._-] ("eu-lotl-pivot-341.xml"); "pivot-lotl.xml" for one named lotl.xml.
std::string pivot_file_name(std::string_view uri);

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
    /// Who vouched for its signer: "EU list lotl.xml" for a national list, the pivot chain for a LOTL.
    std::string pointed_by;
    /// "LOTL" (the current one of its territory), "pivot" (a pivot LOTL of the current one), "superseded"
    /// (an older LOTL that is not a pivot: neither its pointers nor its signers are used), "list".
    std::string role = "list";
    /// Until when it may be relied upon: its NextUpdate, and no later than that of the LOTL that pointed
    /// to it (TS 119 612 §5.3.15; decision 0035). Past it the list is "expired": its services are not
    /// trusted. None for a closed list; pivots are historical and never expire.
    std::optional<TimePoint> relied_until;
    bool expired = false;  ///< relied_until had passed when the list was loaded
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

/// Loads every file given (a directory: its *.xml files, sorted), parses them, and judges each signature.
/// LOTLs first: of a territory's LOTLs the one with the highest sequence number is current; its pivot LOTLs
/// (pivot_uris(), found among the files by pivot_file_name) are walked oldest first (by sequence number),
/// the first against list_signers (the certificates published in the OJEU), each next one against the
/// certificates the previous one announces (announced_lotl_signers()); the current LOTL is judged against
/// what the last valid pivot announced. A missing pivot or one that does not verify breaks the chain: the
/// LOTL is then judged against what was reached before it (decision 0035). Then the other lists, against
/// the certificates of the current LOTL's pointer with the same territory (else list_signers). Never throws
/// for a bad list: it is reported. Errc::NotFound: a path that does not exist.
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

/// One validation::TrustSource per list with a valid signature (LOTLs and pivots, which have no services,
/// left out): its services, the certificates of every service that was granted at some time as anchors
/// (whether a chain is trusted; whether it is qualified at a given time is the services' periods'
/// business, decision 0030), and relied_until as its next update.
std::vector<validation::TrustSource> sources(const TrustSet& set);

/// validation::apply_sources(sources(set), options, now (default: the clock)) with trust_configured set:
/// the lines of the lists not used because they are past their next update.
std::vector<std::string> apply(const TrustSet& set, validation::Options& options,
                               std::optional<TimePoint> now = std::nullopt);

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
/// `validation.trust_anchors` may instead be an array of PEM files (the older form `inkan serve` read):
/// anchors without a name or label.
TrustFile load_trust_file(const std::filesystem::path& file);

/// The source a trust file gives (no expiry).
validation::TrustSource source_of(const TrustFile& file, std::string name);

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
/// The current LOTL's pivot LOTLs are fetched too (into pivot_file_name(uri)): a pivot is historical, so a
/// cached one that parses is kept.
FetchResult fetch(const std::string& lotl, const std::filesystem::path& cache, const FetchOptions& options);

}  // namespace inkan::tl
