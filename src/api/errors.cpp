#include <inkan/api/errors.h>

#include <nlohmann/json.hpp>

namespace inkan::api {

/// docs/errors.md, CSC column. No default: -Wswitch (an error under INKAN_WERROR) makes a new Errc
/// update this table.
http::ErrorWire csc_error_wire(Errc code) noexcept {
    switch (code) {
        case Errc::InvalidRequest:
            return {400, "invalid_request", "Invalid request"};
        case Errc::InvalidEncoding:
            return {400, "invalid_request", "Malformed parameter"};
        case Errc::NotFound:
            return {400, "invalid_request", "Invalid parameter"};
        case Errc::Conflict:
            return {400, "invalid_request", "The request conflicts with the current state"};
        case Errc::UnsupportedAlgorithm:
            return {400, "invalid_request", "Unsupported algorithm"};
        case Errc::InvalidAuthData:
            return {400, "invalid_request", "The authentication data is invalid"};
        case Errc::Locked:
            return {400, "invalid_request", "Locked after too many failed attempts"};
        case Errc::Unauthenticated:
            // expired_token is not distinguished: the service reports unknown, expired and revoked
            // tokens alike (Errc::Unauthenticated), and RFC 6750's invalid_token covers all three.
            return {401, "invalid_token", "Invalid or expired access token"};
        case Errc::Forbidden:
            return {403, "access_denied", "Access denied"};
        case Errc::PayloadTooLarge:
            return {413, "invalid_request", "Request body too large"};
        case Errc::HsmUnavailable:
        case Errc::StorageFailure:
        case Errc::Unavailable:
            return {503, "temporarily_unavailable", "The service is temporarily unavailable"};
        case Errc::Internal:
        case Errc::InvalidConfig:
        case Errc::HsmFailure:
        case Errc::CryptoFailure:
        case Errc::IoFailure:
            return {500, "server_error", "Internal error"};
    }
    return {500, "server_error", "Internal error"};
}

http::Response csc_error(int status, std::string_view error, std::string_view description) {
    nlohmann::ordered_json body;
    body["error"] = error;
    body["error_description"] = description;
    http::Response r = http::Response::json(
        status, body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
    if (status == 401 && error == "invalid_token") {
        r.headers.set("WWW-Authenticate", R"(Bearer error="invalid_token")");
    }
    if (status == 401 && error == "expired_token") {
        // RFC 6750 §3.1 knows only invalid_token ("expired, revoked, ..."); CSC's body says which.
        r.headers.set("WWW-Authenticate", R"(Bearer error="invalid_token", error_description="expired")");
    }
    return r;
}

http::Response to_csc_error(const Error& error) {
    const http::ErrorWire w = csc_error_wire(error.code());
    return csc_error(w.status, w.error, w.description);
}

namespace {
/// RFC 9110 §15's reason phrases for the statuses these routes answer (the problem's title, RFC 9457 §3.1.3).
std::string_view reason_phrase(int status) {
    switch (status) {
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 409:
            return "Conflict";
        case 413:
            return "Content Too Large";
        case 415:
            return "Unsupported Media Type";
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 503:
            return "Service Unavailable";
        default:
            return status >= 500 ? "Server Error" : "Client Error";
    }
}
}  // namespace

http::Response problem(int status, std::string_view error, std::string_view description) {
    nlohmann::ordered_json body;
    body["type"] = "about:blank";
    body["title"] = reason_phrase(status);
    body["status"] = status;
    body["detail"] = description;
    body["error"] = error;
    body["error_description"] = description;
    http::Response r =
        http::Response::binary(status, "application/problem+json",
                               body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
    if (status == 401) {
        r.headers.set("WWW-Authenticate", R"(Bearer error="invalid_token")");
    }
    return r;
}

http::Response to_problem(const Error& error) {
    const http::ErrorWire w = http::default_error_wire(error.code());
    return problem(w.status, w.error, w.description);
}

}  // namespace inkan::api
