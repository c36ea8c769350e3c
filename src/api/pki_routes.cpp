#include <inkan/api/pki_routes.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/pki/ca.h>
#include <inkan/tsp/codec.h>

namespace inkan::api {

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

/// "<name><suffix>" → name.
std::optional<std::string> name_from_tail(std::string_view tail, std::string_view suffix) {
    if (tail.size() <= suffix.size() || tail.substr(tail.size() - suffix.size()) != suffix) {
        return std::nullopt;
    }
    return std::string{tail.substr(0, tail.size() - suffix.size())};
}

http::Response not_found() {
    return http::Response::text(404, "not found\n");
}

/// GET <prefix><ca><suffix>: what `lookup` has for that CA, as `media_type`; 404 for any other name.
http::Route by_ca_name(std::string prefix, std::string suffix, std::string media_type,
                       std::function<std::optional<Bytes>(const std::string&)> lookup) {
    return http::Route{"GET", std::move(prefix),
                       [suffix = std::move(suffix), media_type = std::move(media_type),
                        lookup = std::move(lookup)](const http::Request& req) {
                           const auto name = name_from_tail(req.path_tail, suffix);
                           const auto der = name ? lookup(*name) : std::nullopt;
                           if (!der) {
                               return not_found();
                           }
                           return http::Response::binary(200, media_type, to_string(*der));
                       },
                       http::Match::Prefix, http::Execution::Worker};
}

/// RFC 3161 §3.4: the query's media type is application/timestamp-query (parameters ignored). Leniently
/// also none, and the form type `curl --data-binary` sends when not told otherwise (the body must still be
/// a DER TimeStampReq); anything else is 415.
http::Response time_stamp(tsp::Authority& tsa, const http::Request& req) {
    const std::string_view full = req.header("Content-Type").value_or("");
    const std::string_view type = full.substr(0, full.find(';'));
    if (!type.empty() && !http::iequals(type, "application/timestamp-query") &&
        !http::iequals(type, "application/x-www-form-urlencoded")) {
        return http::Response::text(415, "expected application/timestamp-query\n");
    }
    Bytes reply;
    if (req.body.size() > kMaxTimeStampRequest) {
        // Answered in RFC 3161's own terms, like every other bad request (§2.4.2 badRequest).
        tsp::TimeStampResp refused;
        refused.status = tsp::PkiStatus::Rejection;
        refused.fail_info = tsp::fail_info_for(Errc::PayloadTooLarge);
        refused.status_string = "the request is too large";
        reply = tsp::encode_response(refused);
    } else {
        reply = tsa.respond(as_bytes(req.body));
    }
    return http::Response::binary(200, "application/timestamp-reply", to_string(reply));
}

}  // namespace

void add_pki_routes(http::Router& router, PkiRoutesDeps deps) {
    auto d = std::make_shared<const PkiRoutesDeps>(std::move(deps));
    if (d->tsa != nullptr) {
        router.post("/tsa", [d](const http::Request& req) { return time_stamp(*d->tsa, req); });
    }
    if (d->tsa_certificates) {
        router.add(http::Route{"GET", "/tsa/certificates.pem",
                               [d](const http::Request&) {
                                   // RFC 8555 §9.1's media type for a PEM sequence of certificates.
                                   http::Response r = http::Response::binary(
                                       200, "application/pem-certificate-chain", d->tsa_certificates());
                                   r.headers.set("Cache-Control", "max-age=300, public");
                                   return r;
                               },
                               http::Match::Exact, http::Execution::Worker});
    }
    router.post("/ocsp", [d](const http::Request& req) {
        // Bad input is answered in OCSP's own terms (malformedRequest), never with an HTTP error.
        if (req.body.empty() || req.body.size() > kMaxOcspRequest) {
            return malformed();
        }
        return ocsp_reply(d->ocsp(as_bytes(req.body)));
    });
    router.add(http::Route{"GET", "/ocsp/",
                           [d](const http::Request& req) {
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
                               return ocsp_reply(d->ocsp(der));
                           },
                           http::Match::Prefix, http::Execution::Worker});
    // RFC 5280 §4.2.1.13 (CDP) and §4.2.2.1 (caIssuers): "/crl/<ca>.crl", "/ca/<ca>.crt".
    router.add(
        by_ca_name("/crl/", ".crl", "application/pkix-crl", [d](const std::string& n) { return d->crl(n); }));
    router.add(by_ca_name("/ca/", ".crt", "application/pkix-cert",
                          [d](const std::string& n) { return d->ca_certificate(n); }));
}

}  // namespace inkan::api
