#include "pki_endpoints.h"

#include <string>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/core/log.h>
#include <inkan/pki/ca.h>

namespace inkan::app {

namespace {

constexpr std::size_t kMaxOcspRequest = 64 * 1024;
// A TimeStampReq is an imprint, a policy, a nonce and a few flags: a few hundred bytes.
constexpr std::size_t kMaxTimeStampRequest = 16 * 1024;

http::Response ocsp_reply(Bytes der) {
    http::Response r = http::Response::binary(200, "application/ocsp-response", to_string(der));
    // RFC 5019 §6: responses are cacheable; keep intermediaries from serving stale ones for long.
    r.headers.set("Cache-Control", "max-age=60, public, no-transform, must-revalidate");
    return r;
}

http::Response malformed() {
    return ocsp_reply(pki::ocsp_error_response(pki::OcspResponseStatus::MalformedRequest));
}

/// "<name><suffix>" → name, if it is one of the configured CAs.
std::optional<std::string> ca_from_tail(std::string_view tail, std::string_view suffix,
                                        const PkiContext& pki) {
    if (tail.size() <= suffix.size() || tail.substr(tail.size() - suffix.size()) != suffix) {
        return std::nullopt;
    }
    const std::string name{tail.substr(0, tail.size() - suffix.size())};
    for (const auto& n : pki.names()) {
        if (n == name) {
            return name;
        }
    }
    return std::nullopt;
}

http::Response not_found() {
    return http::Response::text(404, "not found\n");
}

}  // namespace

PkiEndpoints::PkiEndpoints(PkiContext& pki, const Clock& clock, std::chrono::seconds crl_refresh,
                           tsp::Authority* tsa)
    : m_pki{pki}, m_tsa{tsa}, m_clock{clock}, m_crl_refresh{crl_refresh} {}

Bytes PkiEndpoints::crl(const std::string& ca) {
    const std::lock_guard lock{m_mutex};
    auto& builtin = m_pki.builtin(ca);
    const std::size_t revoked = m_pki.store().revoked(ca).size();
    auto it = m_crls.find(ca);
    const TimePoint now = m_clock.now();
    if (it == m_crls.end() || it->second.revoked != revoked || now - it->second.signed_at >= m_crl_refresh) {
        CachedCrl fresh{builtin.crl(), now, revoked};
        it = m_crls.insert_or_assign(ca, std::move(fresh)).first;
    }
    return it->second.der;
}

void PkiEndpoints::add_routes(http::Router& router) {
    if (m_tsa != nullptr) {
        router.post("/tsa", [this](const http::Request& req) {
            // RFC 3161 §3.4: the query's media type is application/timestamp-query (parameters ignored).
            // Leniently also none, and the form type `curl --data-binary` sends when not told otherwise
            // (the body must still be a DER TimeStampReq); anything else is 415.
            const std::string_view full = req.header("Content-Type").value_or("");
            const std::string_view type = full.substr(0, full.find(';'));
            if (!type.empty() && !http::iequals(type, "application/timestamp-query") &&
                !http::iequals(type, "application/x-www-form-urlencoded")) {
                return http::Response::text(415, "expected application/timestamp-query\n");
            }
            Bytes reply;
            if (req.body.size() > kMaxTimeStampRequest) {
                // Answered in RFC 3161's own terms, like every other bad request.
                tsp::TimeStampResp refused;
                refused.status = tsp::PkiStatus::Rejection;
                refused.fail_info = tsp::FailureInfo::BadRequest;
                refused.status_string = "the request is too large";
                reply = tsp::encode_response(refused);
            } else {
                reply = m_tsa->respond(as_bytes(req.body));
            }
            return http::Response::binary(200, "application/timestamp-reply", to_string(reply));
        });
    }
    if (m_tsa_certificates) {
        router.add(http::Route{"GET", "/tsa/certificates.pem",
                               [this](const http::Request&) {
                                   // RFC 8555 §9.1's media type for a PEM sequence of certificates.
                                   http::Response r = http::Response::binary(
                                       200, "application/pem-certificate-chain", m_tsa_certificates());
                                   r.headers.set("Cache-Control", "max-age=300, public");
                                   return r;
                               },
                               http::Match::Exact, http::Execution::Worker});
    }
    router.post("/ocsp", [this](const http::Request& req) {
        // Bad input is answered in OCSP's own terms (malformedRequest), never with an HTTP error.
        if (req.body.empty() || req.body.size() > kMaxOcspRequest) {
            return malformed();
        }
        return ocsp_reply(m_pki.ocsp_response(as_bytes(req.body)));
    });
    router.add(http::Route{"GET", "/ocsp/",
                           [this](const http::Request& req) {
                               // The transport already undid the URL's percent-encoding (RFC 6960 §A.1).
                               Bytes der;
                               try {
                                   der = base64_decode(req.path_tail);
                               } catch (const Error&) {
                                   return malformed();
                               }
                               if (der.empty() || der.size() > kMaxOcspRequest) {
                                   return malformed();
                               }
                               return ocsp_reply(m_pki.ocsp_response(der));
                           },
                           http::Match::Prefix, http::Execution::Worker});
    router.add(http::Route{"GET", "/crl/",
                           [this](const http::Request& req) {
                               const auto ca = ca_from_tail(req.path_tail, ".crl", m_pki);
                               if (!ca || m_pki.kind(*ca) != "builtin") {
                                   return not_found();
                               }
                               return http::Response::binary(200, "application/pkix-crl",
                                                             to_string(crl(*ca)));
                           },
                           http::Match::Prefix, http::Execution::Worker});
    router.add(http::Route{"GET", "/ca/",
                           [this](const http::Request& req) {
                               const auto ca = ca_from_tail(req.path_tail, ".crt", m_pki);
                               if (!ca || m_pki.kind(*ca) != "builtin") {
                                   return not_found();
                               }
                               return http::Response::binary(
                                   200, "application/pkix-cert",
                                   to_string(m_pki.builtin(*ca).certificate().der()));
                           },
                           http::Match::Prefix, http::Execution::Worker});
}

}  // namespace inkan::app
