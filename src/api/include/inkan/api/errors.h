#pragma once

// The CSC error wire form: {"error": ..., "error_description": ...} (CSC API v1 §10, v2 §11; OAuth 2.0
// style). docs/errors.md is the table; to_csc_error() is its one switch.

#include <string_view>

#include <inkan/core/error.h>
#include <inkan/http/message.h>
#include <inkan/http/server.h>

namespace inkan::api {

/// A CSC error response: `status`, Content-Type application/json, body
/// {"error":"<error>","error_description":"<description>"}. A 401 "invalid_token" also carries
/// `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3).
[[nodiscard]] http::Response csc_error(int status, std::string_view error, std::string_view description);

/// The CSC routes' row for `code` (docs/errors.md, HTTP and CSC `error` columns): the table to_csc_error()
/// answers from.
[[nodiscard]] http::ErrorWire csc_error_wire(Errc code) noexcept;

/// The one Errc -> CSC mapping (a switch without default, so a new Errc fails the build until it is
/// mapped). Caller faults are 4xx (mostly 400 invalid_request, the CSC's usual status), ours 500
/// server_error or 503 temporarily_unavailable. The description is fixed per code: never what().
/// Handlers refine the generic answer where the CSC names the parameter (e.g. NotFound for a
/// credentialID becomes "Invalid parameter credentialID"); this is the fallback, and a fit for
/// http::ServerOptions::error_mapper.
[[nodiscard]] http::Response to_csc_error(const Error& error);

/// The vendor routes' error form (/inkan/v1/extend, /inkan/v1/validate, the admin API): RFC 9457 problem
/// details, Content-Type application/problem+json, body {"type":"about:blank","title":"<the status's
/// reason
/// phrase>","status":N,"detail":"<description>","error":"<error>","error_description":"<description>"}.
/// `error` and `error_description` are extension members (RFC 9457 §3.2): a client that reads CSC errors
/// (the client library does) reads these unchanged.
[[nodiscard]] http::Response problem(int status, std::string_view error, std::string_view description);

/// The vendor routes' answer to an Error nobody refined: http::default_error_wire's row (REST statuses,
/// docs/errors.md "other routes") as a problem.
[[nodiscard]] http::Response to_problem(const Error& error);

}  // namespace inkan::api
