#pragma once

// Revocation data for long-term signatures (PAdES/CAdES B-LT, ETSI EN 319 142-1 §5.4.2, EN 319 122-1
// §5.5): for each certificate of a chain, an OCSP response (RFC 6960, POST, from the AIA id-ad-ocsp URL)
// or else a CRL (RFC 5280 §5, from the CRLDistributionPoints URL), each verified before it is used.
// Answers are cached per certificate until their nextUpdate. When neither can be obtained the fetcher
// throws: a B-LT signature never silently loses its validation data (pitfalls #2).

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/net/url_guard.h>
#include <inkan/pki/certificate.h>

namespace inkan::pki {

struct RevocationOptions {
    /// Per HTTP request (OCSP POST, CRL GET, AIA caIssuers GET).
    std::chrono::milliseconds timeout{10'000};
    /// "http://host:port" of an HTTP proxy.
    std::optional<std::string> proxy;
    /// Send an OCSP nonce (RFC 8954) and require it echoed. Off by default: many responders serve
    /// pre-signed responses and ignore it (RFC 6960 §4.4.1).
    bool ocsp_nonce = false;
    /// Try OCSP first (falling back to the CRL); false: CRL only.
    bool use_ocsp = true;
    /// Tolerated clock difference for thisUpdate in the future / nextUpdate in the past.
    std::chrono::seconds clock_skew{300};
    /// Answers without nextUpdate are cached this long.
    std::chrono::seconds cache_without_next_update{300};
    /// Empty: the system clock. Must outlive the fetcher.
    const Clock* clock = nullptr;
    /// Largest CRL accepted.
    std::size_t max_crl_bytes = 32 * 1024 * 1024;
    /// Every OCSP, CRL and caIssuers URL goes through it (they come from certificates in users'
    /// documents: decision 0016). The default is permissive, for the user's own CLI and for tests; the
    /// server builds a strict one from [signing] revocation_allow (app/signing_setup.cpp).
    net::UrlGuard guard = net::UrlGuard::permissive();
    /// Errors name each URL and why it failed (for the user's own CLI). false (the server): the error
    /// says only "revocation data unavailable for <subject>" and the details go to the log, so a
    /// remote client learns nothing about what the server can reach.
    bool reveal_sources = true;
    /// Issuer steps collect() follows from a chain's first certificate (caIssuers fetches included).
    int max_chain_depth = 8;
    /// What one operation (a signDoc or extend call: budget()) may spend on fetches in all.
    std::chrono::milliseconds budget_time{60'000};
    std::size_t budget_bytes = 64 * 1024 * 1024;
    int budget_requests = 64;
};

/// RFC 6960 §4.2.1 CertStatus (a CRL gives Good or Revoked).
enum class CertStatus { Good, Revoked, Unknown };
/// "good", "revoked", "unknown".
std::string_view name(CertStatus status);

/// Verified revocation data for one certificate.
struct RevocationInfo {
    CertStatus status = CertStatus::Good;
    std::optional<TimePoint> revocation_time;
    TimePoint this_update{};
    std::optional<TimePoint> next_update;
    /// The full DER OCSPResponse (what the DSS /OCSPs and CMS id-ri-ocsp-response carry), or empty.
    Bytes ocsp_response;
    /// The DER CertificateList, or empty.
    Bytes crl;
    /// Certificates needed to check the data: the OCSP responder's certificate (when delegated), and
    /// whatever the response carried.
    std::vector<Bytes> certificates;
    /// The URL the data came from.
    std::string source;
};

/// Validation material for a set of chains, deduplicated, in first-seen order.
struct ValidationData {
    std::vector<Bytes> certificates;
    std::vector<Bytes> ocsp_responses;
    std::vector<Bytes> crls;
    /// Status of each certificate checked (by certificate DER), for callers that refuse revoked ones.
    std::vector<std::pair<Bytes, CertStatus>> statuses;

    void add_certificate(const Bytes& der);
    void add_ocsp(const Bytes& der);
    void add_crl(const Bytes& der);
    void merge(const ValidationData& other);
};

/// Thread-safe; share one per process so the cache is shared.
class RevocationFetcher {
public:
    explicit RevocationFetcher(RevocationOptions options = {});

    /// Verified revocation data for `certificate`, whose issuer is `issuer`. OCSP: a request for the
    /// CertID (SHA-1, RFC 6960 §4.1.1) POSTed to each AIA OCSP URL; the response must be successful,
    /// signed by the issuer or by a responder the issuer certified with id-kp-OCSPSigning
    /// (RFC 6960 §4.2.2.2), name the CertID, and be current (thisUpdate ≤ now ≤ nextUpdate, with the
    /// skew). CRL: each CDP URL; the CRL must be signed by the issuer's key, name the issuer and be
    /// current. Errc::Unavailable naming each "<url>: <reason>" when nothing usable was found (no URL
    /// at all included).
    ///
    /// `issued_after`: a cached OCSP response produced (thisUpdate) before this time is not reused but
    /// asked for again. B-LT wants revocation data issued after the signature-time-stamp (EN 319 102-1
    /// §5.6.2.5 freshness; ades.md §2.1), and a process-wide cache would otherwise hand out a response
    /// from before the signature existed. Cached CRLs are kept: a refetch returns the same published
    /// list until the CA issues the next one.
    RevocationInfo fetch(const Certificate& certificate, const Certificate& issuer,
                         std::optional<TimePoint> issued_after = std::nullopt);

    /// Revocation data for every certificate of `chain` that is not self-issued, plus the chain itself
    /// and the OCSP responder certificates (a delegated responder without id-pkix-ocsp-nocheck gets its
    /// own revocation data, RFC 6960 §4.2.2.2.1). Issuers are looked up in `chain` and `extra` by name
    /// and key; a certificate whose issuer is in neither has it fetched from its AIA caIssuers URL.
    /// Errc::Unavailable as fetch(); Errc::NotFound when an issuer cannot be found.
    /// `issued_after` as fetch().
    ValidationData collect(const std::vector<Bytes>& chain, const std::vector<Bytes>& extra = {},
                           std::optional<TimePoint> issued_after = std::nullopt);

    /// The issuer of `certificate` from its AIA id-ad-caIssuers URLs (RFC 5280 §4.2.2.1), through the
    /// guard and this thread's budget: the first certificate fetched (DER; a PKCS#7 "certs-only"
    /// bundle is not read) that issued it, or nullopt. For validators completing a
    /// chain whose intermediate the document left out. Never throws for network or parse failures.
    std::optional<Certificate> fetch_issuer(const Certificate& certificate);

    /// Drops every cached answer.
    void clear_cache();

    /// A fresh budget (RevocationOptions::budget_*) for one operation (a signDoc or extend call), to
    /// install with net::ScopedFetchBudget around its fetches. Without one, each request has only its
    /// own limits.
    [[nodiscard]] net::FetchBudget budget() const;

private:
    [[nodiscard]] TimePoint now() const;
    std::optional<RevocationInfo> cached(const Bytes& key, std::optional<TimePoint> issued_after);
    void remember(const Bytes& key, const RevocationInfo& info);
    void collect_one(const Certificate& cert, const std::vector<Certificate>& pool, ValidationData& out,
                     int depth, int chain_depth, std::optional<TimePoint> issued_after);
    [[noreturn]] void unavailable(const Certificate& certificate, Errc code, const std::string& detail) const;

    RevocationOptions m_options;
    std::mutex m_mu;
    std::map<Bytes, std::pair<TimePoint, RevocationInfo>> m_cache;  // cert DER → (valid until, info)
};

}  // namespace inkan::pki
