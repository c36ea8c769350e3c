#pragma once

// The PKI listener's routes: the objects issued certificates point at (their AIA and CDP URLs) and the
// RFC 3161 TSA. Plain HTTP; every answer in its protocol's own form.

#include <functional>
#include <optional>
#include <string>

#include <inkan/core/bytes.h>
#include <inkan/http/router.h>
#include <inkan/tsp/authority.h>

namespace inkan::api {

/// What the routes serve, as the composition root wires it.
struct PkiRoutesDeps {
    /// An OCSP response (DER) to a DER request (RFC 6960; malformedRequest and the like inside it).
    std::function<Bytes(ByteView request)> ocsp;
    /// The current CRL (DER) of the built-in CA `name`; nothing when there is no such built-in CA.
    std::function<std::optional<Bytes>(const std::string& name)> crl;
    /// The certificate (DER) of the built-in CA `name`; nothing when there is no such built-in CA.
    std::function<std::optional<Bytes>(const std::string& name)> ca_certificate;
    /// nullptr: no /tsa route.
    tsp::Authority* tsa = nullptr;
    /// Every TSA certificate, current and retired (PEM), called per request (a reload shows at once);
    /// empty: no /tsa/certificates.pem.
    std::function<std::string()> tsa_certificates;
};

///   POST /ocsp            application/ocsp-request → application/ocsp-response (RFC 6960 §A.1)
///   GET  /ocsp/<request>  the URL-encoded base64 of the DER request (RFC 6960 §A.1)
///   GET  /crl/<ca>.crl    application/pkix-crl (RFC 5280 §4.2.1.13)
///   GET  /ca/<ca>.crt     application/pkix-cert (RFC 5280 §4.2.2.1 caIssuers)
///   POST /tsa             application/timestamp-query → application/timestamp-reply (RFC 3161 §3.4)
///   GET  /tsa/certificates.pem  application/pem-certificate-chain: a token from before a renewal, made
///                         without certReq, still finds its signer
/// The callbacks are called from several worker threads.
void add_pki_routes(http::Router& router, PkiRoutesDeps deps);

}  // namespace inkan::api
