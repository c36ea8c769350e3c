#include <inkan/pki/revocation.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include <inkan/core/error.h>
#include <inkan/core/log.h>
#include <inkan/net/client.h>

#include "ossl_pki.h"

namespace inkan::pki {

namespace {

using OcspRequestPtr = ossl::Ptr<OCSP_REQUEST, ::OCSP_REQUEST_free>;
using OcspResponsePtr = ossl::Ptr<OCSP_RESPONSE, ::OCSP_RESPONSE_free>;
using OcspBasicPtr = ossl::Ptr<OCSP_BASICRESP, ::OCSP_BASICRESP_free>;
using OcspCertIdPtr = ossl::Ptr<OCSP_CERTID, ::OCSP_CERTID_free>;
using CrlPtr = ossl::Ptr<X509_CRL, ::X509_CRL_free>;
/// A stack that does not own its certificates.
inline void free_borrowed_stack(STACK_OF(X509) * s) noexcept {
    sk_X509_free(s);
}
using BorrowedStack = ossl::Ptr<STACK_OF(X509), free_borrowed_stack>;
inline void free_string_stack(STACK_OF(OPENSSL_STRING) * s) noexcept {
    X509_email_free(s);
}
using StringStack = ossl::Ptr<STACK_OF(OPENSSL_STRING), free_string_stack>;
inline void free_dist_points(STACK_OF(DIST_POINT) * s) noexcept {
    sk_DIST_POINT_pop_free(s, ::DIST_POINT_free);
}
using DistPoints = ossl::Ptr<STACK_OF(DIST_POINT), free_dist_points>;
inline void free_access(AUTHORITY_INFO_ACCESS* a) noexcept {
    AUTHORITY_INFO_ACCESS_free(a);
}
using AccessPtr = ossl::Ptr<AUTHORITY_INFO_ACCESS, free_access>;

/// A failure of one source; collected into the final Errc::Unavailable message.
struct Failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

Bytes to_der_ocsp_request(OCSP_REQUEST* req) {
    unsigned char* out = nullptr;
    const int len = i2d_OCSP_REQUEST(req, &out);
    require(len > 0, Errc::Internal, "ocsp: cannot encode the request");
    Bytes der(out, out + len);
    OPENSSL_free(out);
    return der;
}

/// The URI fullNames of the CRLDistributionPoints (RFC 5280 §4.2.1.13); reasons/cRLIssuer ignored.
std::vector<std::string> crl_urls(X509* cert) {
    std::vector<std::string> urls;
    DistPoints dps{static_cast<STACK_OF(DIST_POINT)*>(
        X509_get_ext_d2i(cert, NID_crl_distribution_points, nullptr, nullptr))};
    if (!dps) return urls;
    for (int i = 0; i < sk_DIST_POINT_num(dps.get()); ++i) {
        const DIST_POINT* dp = sk_DIST_POINT_value(dps.get(), i);
        if (!dp->distpoint || dp->distpoint->type != 0) continue;  // fullName only
        const GENERAL_NAMES* names = dp->distpoint->name.fullname;
        for (int j = 0; j < sk_GENERAL_NAME_num(names); ++j) {
            const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, j);
            if (gn->type != GEN_URI) continue;
            const ASN1_IA5STRING* uri = gn->d.uniformResourceIdentifier;
            urls.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                              static_cast<std::size_t>(ASN1_STRING_length(uri)));
        }
    }
    return urls;
}

std::vector<std::string> ocsp_urls(X509* cert) {
    std::vector<std::string> urls;
    StringStack s{X509_get1_ocsp(cert)};
    if (!s) return urls;
    for (int i = 0; i < sk_OPENSSL_STRING_num(s.get()); ++i) {
        urls.emplace_back(sk_OPENSSL_STRING_value(s.get(), i));
    }
    return urls;
}

/// AIA id-ad-caIssuers URIs (RFC 5280 §4.2.2.1).
std::vector<std::string> ca_issuer_urls(X509* cert) {
    std::vector<std::string> urls;
    AccessPtr aia{
        static_cast<AUTHORITY_INFO_ACCESS*>(X509_get_ext_d2i(cert, NID_info_access, nullptr, nullptr))};
    if (!aia) return urls;
    for (int i = 0; i < sk_ACCESS_DESCRIPTION_num(aia.get()); ++i) {
        const ACCESS_DESCRIPTION* ad = sk_ACCESS_DESCRIPTION_value(aia.get(), i);
        if (OBJ_obj2nid(ad->method) != NID_ad_ca_issuers || ad->location->type != GEN_URI) continue;
        const ASN1_IA5STRING* uri = ad->location->d.uniformResourceIdentifier;
        urls.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                          static_cast<std::size_t>(ASN1_STRING_length(uri)));
    }
    return urls;
}

bool issued_by(const Certificate& cert, const Certificate& issuer) {
    return X509_check_issued(issuer.native(), cert.native()) == X509_V_OK &&
           cert.signed_by(issuer.public_key());
}

bool self_issued(const Certificate& cert) {
    return issued_by(cert, cert);
}

bool has_ocsp_nocheck(const Certificate& cert) {
    return X509_get_ext_by_NID(cert.native(), NID_id_pkix_OCSP_noCheck, -1) >= 0;
}

/// One GET or POST (empty content type) of a URL from a certificate: through the guard, within this
/// thread's budget (if any), never following a redirect (net does not).
net::Response fetch_url(const std::string& url, const RevocationOptions& o, std::size_t max_bytes,
                        std::string_view content_type = {}, ByteView body = {}) {
    net::RequestOptions r;
    r.timeout = o.timeout;
    r.proxy = o.proxy;
    r.max_response_bytes = max_bytes;
    r.guard = &o.guard;
    net::FetchBudget* budget = net::FetchBudget::current();
    if (budget != nullptr) {
        const auto grant = budget->take(r.timeout, r.max_response_bytes);
        r.timeout = grant.timeout;
        r.max_response_bytes = grant.max_bytes;
    }
    net::Response response = content_type.empty() ? net::get(url, r) : net::post(url, content_type, body, r);
    if (budget != nullptr) budget->spend(response.body.size());
    return response;
}

}  // namespace

std::string_view name(CertStatus status) {
    switch (status) {
        case CertStatus::Good:
            return "good";
        case CertStatus::Revoked:
            return "revoked";
        case CertStatus::Unknown:
            return "unknown";
    }
    return "unknown";
}

void ValidationData::add_certificate(const Bytes& der) {
    if (std::find(certificates.begin(), certificates.end(), der) == certificates.end())
        certificates.push_back(der);
}
void ValidationData::add_ocsp(const Bytes& der) {
    if (std::find(ocsp_responses.begin(), ocsp_responses.end(), der) == ocsp_responses.end())
        ocsp_responses.push_back(der);
}
void ValidationData::add_crl(const Bytes& der) {
    if (std::find(crls.begin(), crls.end(), der) == crls.end()) crls.push_back(der);
}
void ValidationData::merge(const ValidationData& other) {
    for (const auto& c : other.certificates)
        add_certificate(c);
    for (const auto& o : other.ocsp_responses)
        add_ocsp(o);
    for (const auto& c : other.crls)
        add_crl(c);
    for (const auto& s : other.statuses) {
        const bool known =
            std::any_of(statuses.begin(), statuses.end(), [&](const auto& t) { return t.first == s.first; });
        if (!known) statuses.push_back(s);
    }
}

RevocationFetcher::RevocationFetcher(RevocationOptions options) : m_options{std::move(options)} {}

TimePoint RevocationFetcher::now() const {
    return m_options.clock ? m_options.clock->now() : SystemClock::instance().now();
}

std::optional<RevocationInfo> RevocationFetcher::cached(const Bytes& key,
                                                        std::optional<TimePoint> issued_after) {
    std::lock_guard lock{m_mu};
    const auto it = m_cache.find(key);
    if (it == m_cache.end()) return std::nullopt;
    if (now() >= it->second.first) {
        m_cache.erase(it);  // past nextUpdate: a fresh answer is due
        return std::nullopt;
    }
    const RevocationInfo& info = it->second.second;
    // thisUpdate is GeneralizedTime, usually whole seconds: compare at that precision, or a response
    // from the same second as `issued_after` would be fetched again and again.
    if (issued_after && !info.ocsp_response.empty() &&
        info.this_update < std::chrono::floor<std::chrono::seconds>(*issued_after)) {
        return std::nullopt;  // from before the time asked for: ask the responder again
    }
    return info;
}

void RevocationFetcher::remember(const Bytes& key, const RevocationInfo& info) {
    const TimePoint until =
        info.next_update ? *info.next_update : now() + m_options.cache_without_next_update;
    std::lock_guard lock{m_mu};
    m_cache[key] = {until, info};
}

void RevocationFetcher::clear_cache() {
    std::lock_guard lock{m_mu};
    m_cache.clear();
}

namespace {

/// Checks thisUpdate ≤ now + skew and now - skew ≤ nextUpdate (RFC 6960 §4.2.2.1, RFC 5280 §5.1.2.5).
void check_fresh(TimePoint now, TimePoint this_update, std::optional<TimePoint> next_update,
                 std::chrono::seconds skew, const char* what) {
    if (this_update > now + skew) throw Failure{std::string{what} + " thisUpdate is in the future"};
    if (next_update && *next_update < now - skew) {
        throw Failure{std::string{what} + " is stale (nextUpdate has passed)"};
    }
}

RevocationInfo fetch_ocsp(const std::string& url, const Certificate& cert, const Certificate& issuer,
                          const RevocationOptions& options, TimePoint now) {
    OcspRequestPtr req{OCSP_REQUEST_new()};
    // CertID with SHA-1: what every responder answers (RFC 6960 §4.1.1, RFC 5019 §2.1.1).
    OCSP_CERTID* id = OCSP_cert_to_id(EVP_sha1(), cert.native(), issuer.native());
    require(req && id, Errc::Internal, "ocsp: cannot build the CertID");
    OcspCertIdPtr lookup{OCSP_CERTID_dup(id)};
    if (!OCSP_request_add0_id(req.get(), id)) {
        OCSP_CERTID_free(id);
        throw Error{Errc::Internal, "ocsp: cannot build the request"};
    }
    if (options.ocsp_nonce) OCSP_request_add1_nonce(req.get(), nullptr, -1);
    const Bytes request = to_der_ocsp_request(req.get());

    net::Response r;
    try {
        r = fetch_url(url, options, 1024 * 1024, "application/ocsp-request", request);
    } catch (const Error& e) {
        throw Failure{e.what()};
    }
    if (r.status != 200) throw Failure{"HTTP " + std::to_string(r.status)};
    const unsigned char* p = r.body.data();
    OcspResponsePtr resp{d2i_OCSP_RESPONSE(nullptr, &p, detail::der_length(r.body))};
    if (!resp || p != r.body.data() + r.body.size()) throw Failure{"the reply is not a DER OCSPResponse"};
    const int rs = OCSP_response_status(resp.get());
    if (rs != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
        throw Failure{std::string{"responseStatus "} + OCSP_response_status_str(rs)};
    }
    OcspBasicPtr basic{OCSP_response_get1_basic(resp.get())};
    if (!basic) throw Failure{"no BasicOCSPResponse"};
    if (options.ocsp_nonce && OCSP_check_nonce(req.get(), basic.get()) != 1) {
        throw Failure{"the nonce is not echoed"};
    }

    // Signer authorised (RFC 6960 §4.2.2.2): the issuer itself, or a certificate the issuer signed
    // with id-kp-OCSPSigning. OCSP_basic_verify builds the responder's chain to the issuer (the only
    // anchor; partial chains allowed so an intermediate can be it) and checks the delegation.
    detail::StorePtr store{X509_STORE_new()};
    X509_STORE_add_cert(store.get(), issuer.native());
    X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN);
    X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store.get()), std::chrono::system_clock::to_time_t(now));
    BorrowedStack extra{sk_X509_new_null()};
    sk_X509_push(extra.get(), issuer.native());
    const int ok = OCSP_basic_verify(basic.get(), extra.get(), store.get(), 0);
    if (ok != 1) throw Failure{"the response signature or its signer is not authorised by the issuer"};

    int status = 0, reason = 0;
    ASN1_GENERALIZEDTIME *revtime = nullptr, *thisupd = nullptr, *nextupd = nullptr;
    if (OCSP_resp_find_status(basic.get(), lookup.get(), &status, &reason, &revtime, &thisupd, &nextupd) !=
        1) {
        throw Failure{"the response does not name the certificate"};
    }
    RevocationInfo info;
    info.this_update = detail::to_time_point(thisupd);
    if (nextupd) info.next_update = detail::to_time_point(nextupd);
    check_fresh(now, info.this_update, info.next_update, options.clock_skew, "the OCSP response");
    switch (status) {
        case V_OCSP_CERTSTATUS_GOOD:
            info.status = CertStatus::Good;
            break;
        case V_OCSP_CERTSTATUS_REVOKED:
            info.status = CertStatus::Revoked;
            if (revtime) info.revocation_time = detail::to_time_point(revtime);
            break;
        default:
            throw Failure{"certStatus unknown"};  // a B-LT signature needs a definite answer
    }
    info.ocsp_response = std::move(r.body);
    const STACK_OF(X509)* certs = OCSP_resp_get0_certs(basic.get());
    for (int i = 0; i < sk_X509_num(certs); ++i) {
        info.certificates.push_back(Certificate::from_x509(sk_X509_value(certs, i)).der());
    }
    info.source = url;
    return info;
}

RevocationInfo fetch_crl(const std::string& url, const Certificate& cert, const Certificate& issuer,
                         const RevocationOptions& options, TimePoint now) {
    net::Response r;
    try {
        r = fetch_url(url, options, options.max_crl_bytes);
    } catch (const Error& e) {
        throw Failure{e.what()};
    }
    if (r.status != 200) throw Failure{"HTTP " + std::to_string(r.status)};
    const unsigned char* p = r.body.data();
    CrlPtr crl{d2i_X509_CRL(nullptr, &p, detail::der_length(r.body))};
    if (!crl || p != r.body.data() + r.body.size()) throw Failure{"the reply is not a DER CRL"};
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_subject_name(issuer.native())) != 0) {
        throw Failure{"the CRL issuer is not the certificate's issuer"};
    }
    const crypto::PublicKey key = issuer.public_key();
    if (X509_CRL_verify(crl.get(), key.native()) != 1) throw Failure{"the CRL signature does not verify"};
    RevocationInfo info;
    info.this_update = detail::to_time_point(X509_CRL_get0_lastUpdate(crl.get()));
    if (const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get()))
        info.next_update = detail::to_time_point(next);
    check_fresh(now, info.this_update, info.next_update, options.clock_skew, "the CRL");
    X509_REVOKED* revoked = nullptr;
    if (X509_CRL_get0_by_cert(crl.get(), &revoked, cert.native()) == 1 && revoked) {
        info.status = CertStatus::Revoked;
        info.revocation_time = detail::to_time_point(X509_REVOKED_get0_revocationDate(revoked));
    }
    info.crl = std::move(r.body);
    info.source = url;
    return info;
}

}  // namespace

RevocationInfo RevocationFetcher::fetch(const Certificate& certificate, const Certificate& issuer,
                                        std::optional<TimePoint> issued_after) {
    if (auto hit = cached(certificate.der(), issued_after)) return *hit;
    const TimePoint t = now();
    std::string failures;
    auto note = [&](const std::string& url, const std::string& why) {
        failures += (failures.empty() ? "" : "; ") + url + ": " + why;
    };
    if (m_options.use_ocsp) {
        for (const auto& url : ocsp_urls(certificate.native())) {
            try {
                RevocationInfo info = fetch_ocsp(url, certificate, issuer, m_options, t);
                remember(certificate.der(), info);
                return info;
            } catch (const Failure& e) {
                note(url, e.what());
            }
        }
    }
    for (const auto& url : crl_urls(certificate.native())) {
        try {
            RevocationInfo info = fetch_crl(url, certificate, issuer, m_options, t);
            remember(certificate.der(), info);
            return info;
        } catch (const Failure& e) {
            note(url, e.what());
        }
    }
    if (failures.empty()) failures = "the certificate names no OCSP responder and no CRL distribution point";
    unavailable(certificate, Errc::Unavailable, failures);
}

void RevocationFetcher::unavailable(const Certificate& certificate, Errc code,
                                    const std::string& detail) const {
    if (m_options.reveal_sources) {
        throw Error{code, "revocation data for \"" + certificate.subject() + "\" (serial " +
                              certificate.serial_hex() + ") cannot be obtained: " + detail};
    }
    // The URLs come from the document: what was (not) reachable is for the operator's log only.
    log::warn("revocation data unavailable",
              {{"subject", certificate.subject()}, {"serial", certificate.serial_hex()}, {"detail", detail}});
    throw Error{code, "revocation data unavailable for \"" + certificate.subject() + "\""};
}

net::FetchBudget RevocationFetcher::budget() const {
    return net::FetchBudget{m_options.budget_time, m_options.budget_bytes, m_options.budget_requests};
}

void RevocationFetcher::collect_one(const Certificate& cert, const std::vector<Certificate>& pool,
                                    ValidationData& out, int depth, int chain_depth,
                                    std::optional<TimePoint> issued_after) {
    out.add_certificate(cert.der());
    if (self_issued(cert)) return;  // a trust anchor: nothing to fetch (RFC 5280 §6.1)
    // A document can carry a chain of caIssuers URLs that never ends in a self-issued certificate.
    if (chain_depth >= m_options.max_chain_depth) {
        unavailable(
            cert, Errc::Unavailable,
            "the chain needs more than " + std::to_string(m_options.max_chain_depth) + " issuer steps");
    }
    const auto found =
        std::find_if(pool.begin(), pool.end(), [&](const Certificate& c) { return issued_by(cert, c); });
    std::optional<Certificate> issuer;
    if (found != pool.end()) {
        issuer = *found;
    } else {
        for (const auto& url : ca_issuer_urls(cert.native())) {
            try {
                const auto r = fetch_url(url, m_options, 1024 * 1024);
                if (r.status != 200) continue;
                Certificate c = Certificate::from_der(r.body);
                if (issued_by(cert, c)) {
                    issuer = std::move(c);
                    break;
                }
            } catch (const Error&) {
                // try the next URL; a missing issuer is reported below
            }
        }
    }
    if (!issuer) {
        if (!m_options.reveal_sources) unavailable(cert, Errc::NotFound, "its issuer cannot be found");
        throw Error{Errc::NotFound, "the issuer of \"" + cert.subject() +
                                        "\" is neither in the chain nor at its AIA caIssuers URL"};
    }
    const RevocationInfo info = fetch(cert, *issuer, issued_after);
    if (!info.ocsp_response.empty()) out.add_ocsp(info.ocsp_response);
    if (!info.crl.empty()) out.add_crl(info.crl);
    const bool known = std::any_of(out.statuses.begin(), out.statuses.end(),
                                   [&](const auto& s) { return s.first == cert.der(); });
    if (!known) out.statuses.emplace_back(cert.der(), info.status);

    std::vector<Certificate> next_pool = pool;
    next_pool.push_back(*issuer);
    for (const auto& der : info.certificates) {
        const Certificate responder = Certificate::from_der(der);
        next_pool.push_back(responder);
    }
    for (const auto& der : info.certificates) {
        const Certificate responder = Certificate::from_der(der);
        if (der == issuer->der() || der == cert.der()) continue;
        out.add_certificate(der);
        // A delegated responder with id-pkix-ocsp-nocheck needs no revocation data of its own
        // (RFC 6960 §4.2.2.2.1); otherwise it is checked too, once (depth bounds responder loops).
        if (!has_ocsp_nocheck(responder) && depth < 2 && !self_issued(responder)) {
            collect_one(responder, next_pool, out, depth + 1, chain_depth + 1, issued_after);
        }
    }
    collect_one(*issuer, next_pool, out, depth, chain_depth + 1, issued_after);
}

std::optional<Certificate> RevocationFetcher::fetch_issuer(const Certificate& certificate) {
    for (const auto& url : ca_issuer_urls(certificate.native())) {
        try {
            const auto r = fetch_url(url, m_options, 1024 * 1024);
            if (r.status != 200) continue;
            Certificate c = Certificate::from_der(r.body);
            if (issued_by(certificate, c)) return c;
        } catch (const Error&) {
            // the next URL
        }
    }
    return std::nullopt;
}

ValidationData RevocationFetcher::collect(const std::vector<Bytes>& chain, const std::vector<Bytes>& extra,
                                          std::optional<TimePoint> issued_after) {
    std::vector<Certificate> pool;
    for (const auto& d : chain)
        pool.push_back(Certificate::from_der(d));
    for (const auto& d : extra)
        pool.push_back(Certificate::from_der(d));
    ValidationData out;
    for (std::size_t i = 0; i < chain.size(); ++i) {
        collect_one(pool[i], pool, out, 0, 0, issued_after);
    }
    return out;
}

}  // namespace inkan::pki
