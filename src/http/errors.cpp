#include <inkan/http/server.h>

namespace inkan::http {

/// No default: -Wswitch (with -Werror) makes a new Errc update this table.
ErrorWire default_error_wire(Errc code) noexcept {
    switch (code) {
        case Errc::InvalidRequest:
        case Errc::InvalidEncoding:
            return {400, "invalid_request", "Invalid request"};
        case Errc::UnsupportedAlgorithm:
            return {400, "invalid_request", "Unsupported algorithm"};
        case Errc::InvalidAuthData:
            return {400, "invalid_request", "Invalid authentication data"};
        case Errc::Unauthenticated:
            return {401, "invalid_token", "Missing or invalid credentials"};
        case Errc::Forbidden:
        case Errc::Locked:
            return {403, "access_denied", "Access denied"};
        case Errc::NotFound:
            return {404, "not_found", "Not found"};
        case Errc::Conflict:
            return {409, "conflict", "Conflict"};
        case Errc::PayloadTooLarge:
            return {413, "invalid_request", "Request too large"};
        case Errc::HsmUnavailable:
        case Errc::StorageFailure:
        case Errc::Unavailable:
            // StorageFailure is 503 here as on the CSC routes (issue 22 settled the two tables' disagreement
            // this way): a database that is down or busy past its timeout is transient, and a load balancer
            // retries a 503 on another node.
            return {503, "temporarily_unavailable", "Service temporarily unavailable"};
        case Errc::Internal:
        case Errc::InvalidConfig:
        case Errc::HsmFailure:
        case Errc::CryptoFailure:
        case Errc::IoFailure:
            return {500, "server_error", "Internal error"};
    }
    return {500, "server_error", "Internal error"};
}

Response default_error_response(const Error& error) {
    const ErrorWire w = default_error_wire(error.code());
    std::string body = R"({"error":")";
    body += w.error;
    body += R"(","error_description":")";
    body += w.description;
    body += R"("})";
    return Response::json(w.status, std::move(body));
}

}  // namespace inkan::http
