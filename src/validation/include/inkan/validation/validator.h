#pragma once

// The validator (issue 15; decision 0019): judges every signature and time-stamp of a PDF (PAdES and
// PDF signatures in general) or a CMS (CAdES) per ETSI EN 319 102-1 — basic validation (§5.3), with
// time (§5.5: a time-stamp's proof of existence lets a signature outlive its certificate) and
// long-term (§5.6: embedded revocation data, archive time-stamps). Offline: chains are built from the
// file's certificates (CMS, DSS) to the given trust anchors only; revocation comes from the file's
// OCSP responses and CRLs, or from an injected fetcher (online use goes through the caller's URL guard).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/validation/report.h>

namespace inkan::pki {
class RevocationFetcher;
}

namespace inkan::validation {

/// Cryptographic constraints (EN 319 102-1 §5.2.8; ETSI TS 119 312 as the source of the dates): an
/// algorithm below them fails with CRYPTO_CONSTRAINTS_FAILURE_NO_POE unless a proof of existence
/// before its sunset date exists.
struct CryptoPolicy {
    /// SHA-1 in signatures: acceptable only for signatures proven to exist before this date.
    TimePoint sha1_sunset = std::chrono::sys_days{std::chrono::year{2016} / 1 / 1};
    std::size_t min_rsa_bits = 2048;
    /// Smaller RSA keys were acceptable for signatures proven before this date.
    TimePoint rsa_small_sunset = std::chrono::sys_days{std::chrono::year{2019} / 1 / 1};
    std::size_t min_ec_bits = 256;
};

/// A policy file (TOML; README "inkan verify"): `[crypto]` sha1_sunset and rsa_small_sunset (RFC 3339),
/// rsa_min_bits, ec_min_bits; keys left out keep the defaults. Errc::InvalidConfig for a file that does
/// not parse, an unknown key, or a bad value (the message names the key).
CryptoPolicy load_policy(const std::filesystem::path& file);

/// Revocation data fetched for one certificate (online validation): DER OCSP responses and CRLs,
/// and the certificates needed to check them.
struct FetchedRevocation {
    std::vector<Bytes> ocsp_responses;
    std::vector<Bytes> crls;
    std::vector<Bytes> certificates;
};
/// (certificate DER, issuer DER) → revocation data, or nullopt when none could be had. Injected by the
/// caller so that every URL goes through its URL guard; empty: offline.
using RevocationFetch = std::function<std::optional<FetchedRevocation>(const Bytes&, const Bytes&)>;

/// certificate DER → its issuer's certificate (DER) from the certificate's AIA caIssuers URL, or nullopt.
/// Injected like RevocationFetch (online only): chains whose intermediate the file left out.
using IssuerFetch = std::function<std::optional<Bytes>(const Bytes&)>;

/// Online validation through `fetcher` (whose guard and budget decide which URLs are fetched): OCSP,
/// else CRL, for a certificate; its issuer from AIA caIssuers. A fetch that fails is nullopt — no
/// status (TRY_LATER), never an error of the run. `fetcher` must outlive the functions.
RevocationFetch revocation_through(pki::RevocationFetcher& fetcher);
IssuerFetch issuers_through(pki::RevocationFetcher& fetcher);

/// A trust service from a trusted list (ETSI TS 119 612) or the operator's trust file, reduced to what the
/// validator judges with: its certificate (a ServiceDigitalIdentity), what it is, and when it was granted
/// (TS 119 612 §5.5.4 status; the pre-eIDAS "accredited" and "undersupervision" count as granted).
struct TrustedService {
    enum class Kind {
        QualifiedCa,   ///< CA/QC, NationalRootCA-QC: issues qualified certificates
        TimeStamping,  ///< TSA/QTST (or a pre-eIDAS TSA), or an accredited TSA of the trust file
        Other,
    };
    Kind kind = Kind::Other;
    Bytes certificate;   ///< DER
    std::string name;    ///< the service's (or entry's) name
    std::string label;   ///< what the report prints for it (tsa_label), e.g. "認定タイムスタンプ"
    std::string source;  ///< the list (territory, file) or trust file it comes from
    struct Period {
        TimePoint from;
        std::optional<TimePoint> until;  ///< empty: still granted
    };
    std::vector<Period> granted;
    /// Whether some period holds `t` (from ≤ t < until).
    [[nodiscard]] bool granted_at(TimePoint t) const;
};

/// The trust one trusted list or one trust file gives, as loaded (decision 0035): its anchors and services,
/// and for a trusted list its NextUpdate. Neutral data, so that whoever loads lists (tl, above this layer)
/// can hand them to whoever validates (the service, the CLI) without either knowing the other.
struct TrustSource {
    std::string name;                      ///< "AA trusted list lists/aa.xml", a trust file's path
    std::optional<TimePoint> next_update;  ///< a list's NextUpdate; none: no expiry (a trust file)
    std::vector<Bytes> anchors;            ///< DER
    std::vector<TrustedService> services;
    /// Past its NextUpdate the list may no longer say what is true (a withdrawn service, a new signer):
    /// TS 119 612 §5.3.15. Such a source is not used (decision 0035).
    [[nodiscard]] bool stale_at(TimePoint t) const { return next_update && *next_update <= t; }
};

struct Options;
/// Puts the anchors and services of every source not stale at `now` into `options` (anchors not repeated;
/// trust_configured is the caller's to set) and returns one line per stale source ("NAME is past its next
/// update T: not used"), for the caller to show.
std::vector<std::string> apply_sources(const std::vector<TrustSource>& sources, Options& options,
                                       TimePoint now);

struct Options {
    /// DER trust anchors. None: every chain is INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND (never a guess).
    std::vector<Bytes> trust_anchors;
    /// Trust services (trusted lists, the operator's trust file): they set SignatureReport::qualified and
    /// TimestampReport::tsa_accredited / tsa_label. Their certificates are not anchors by themselves; the
    /// caller puts those it trusts into trust_anchors (tl::apply does).
    std::vector<TrustedService> trusted_services;
    /// A trust configuration was given (even one that grants nothing): "no" instead of "unknown".
    bool trust_configured = false;
    /// The validation time; empty: now.
    std::optional<TimePoint> validation_time;
    /// Online revocation (off by default).
    RevocationFetch revocation_fetch;
    /// Online AIA caIssuers (off by default): tried when no chain to an anchor is found offline.
    IssuerFetch issuer_fetch;
    CryptoPolicy policy;
    /// The largest CMS / PDF read whole (a PDF is never read whole: its ranges are streamed).
    std::size_t max_cms_bytes = 64 * 1024 * 1024;
    /// The largest XML read (parsed whole, under xades::ParseLimits: no entities, bounded depth).
    std::size_t max_xml_bytes = std::size_t{256} << 20;
};

/// Hashes detached content under `alg` (the caller streams a file or hashes bytes).
using ContentDigest = std::function<Bytes(crypto::DigestAlgorithm)>;
ContentDigest digest_of_bytes(Bytes content);
ContentDigest digest_of_file(std::filesystem::path content);

/// A PDF file: every signature field and document time-stamp. Never throws for bad input: a file that
/// cannot be read or parsed is a report with `error` set.
DocumentReport validate_pdf(const std::filesystem::path& pdf, const Options& options);

/// A CMS SignedData (DER, or PEM): every SignerInfo. `detached` hashes the content of a detached CMS.
DocumentReport validate_cms(ByteView cms, const std::optional<ContentDigest>& detached,
                            const Options& options);

/// The content of a detached XAdES reference: `uri` as the ds:Reference names it (empty: the one
/// external reference no other content names), its digest (streamed) and, for a reference with
/// transforms, its octets.
struct NamedContent {
    std::string uri;
    ContentDigest digest;
    std::function<Bytes()> bytes;
};
NamedContent content_of_file(std::string uri, std::filesystem::path file);
NamedContent content_of_bytes(std::string uri, Bytes content);

/// An XML document: every ds:Signature (XAdES EN 319 132-1, or XML-DSig core without qualifying
/// properties), counter-signatures included (decision 0025). References resolve inside the document
/// (exactly one element per Id; no reference into another signature or into a non-enveloping
/// signature's ds:Object; no XPath/XSLT) or to `contents`. Never throws for bad input.
DocumentReport validate_xml(ByteView xml, const std::vector<NamedContent>& contents, const Options& options);
/// Whether `data` starts like an XML document (a BOM, whitespace, then '<'): validate_xml's input.
bool is_xml(ByteView data);

/// By content: "%PDF" → validate_pdf, XML → validate_xml (with `contents`), a DER or PEM CMS →
/// validate_cms, else a report with `error`. `name` is what the report calls the file.
DocumentReport validate_file(const std::filesystem::path& file, const std::optional<ContentDigest>& detached,
                             const Options& options, const std::vector<NamedContent>& contents = {});

}  // namespace inkan::validation
