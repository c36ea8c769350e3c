#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <inkan/core/clock.h>
#include <inkan/http/router.h>
#include <inkan/tsp/authority.h>

#include "pki_context.h"

namespace inkan::app {

/// Serves the PKI objects issued certificates point at (their AIA and CDP URLs), on the plain-HTTP
/// PKI listener:
///   POST /ocsp            application/ocsp-request → application/ocsp-response (RFC 6960 §A.1)
///   GET  /ocsp/<request>  the URL-encoded base64 of the DER request (RFC 6960 §A.1)
///   GET  /crl/<ca>.crl    application/pkix-crl (RFC 5280 §4.2.1.13), cached
///   GET  /ca/<ca>.crt     application/pkix-cert (RFC 5280 §4.2.2.1 caIssuers)
///   POST /tsa             application/timestamp-query → application/timestamp-reply (RFC 3161 §3.4),
///                         when a TSA is configured
///   GET  /tsa/certificates.pem  every TSA certificate, current and retired (PEM), when published: a
///                         token from before a renewal, made without certReq, still finds its signer
/// `pki` must have been warmed up (every built-in CA built) before the server starts: the handlers
/// then only read it, from several worker threads.
class PkiEndpoints {
public:
    /// `crl_refresh`: a cached CRL is signed anew after this long, or at once when the CA's revocation
    /// count changed (so a revocation shows up in the next download).
    /// `tsa` may be nullptr (no /tsa route).
    PkiEndpoints(PkiContext& pki, const Clock& clock, std::chrono::seconds crl_refresh,
                 tsp::Authority* tsa = nullptr);
    /// Serves GET /tsa/certificates.pem from `pem` (called per request: a reload shows at once). Before
    /// add_routes.
    void publish_tsa_certificates(std::function<std::string()> pem) { m_tsa_certificates = std::move(pem); }
    void add_routes(http::Router& router);

    /// The current CRL of `ca` (DER), signing a new one when the cache is stale.
    Bytes crl(const std::string& ca);

private:
    struct CachedCrl {
        Bytes der;
        TimePoint signed_at{};
        std::size_t revoked = 0;
    };
    PkiContext& m_pki;
    tsp::Authority* m_tsa;
    std::function<std::string()> m_tsa_certificates;
    const Clock& m_clock;
    std::chrono::seconds m_crl_refresh;
    std::mutex m_mutex;  // guards m_crls and serialises CRL signing (each takes a CRL number)
    std::map<std::string, CachedCrl> m_crls;
};

}  // namespace inkan::app
