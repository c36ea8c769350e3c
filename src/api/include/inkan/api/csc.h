#pragma once

// The CSC API v1 (1.0.4.0) and v2 (2.0.0.2) under /csc/v1/ and /csc/v2/: info, auth/login,
// auth/revoke, credentials/list, credentials/info, and sole control: credentials/authorize,
// credentials/extendTransaction, credentials/getChallenge (v2), signatures/signHash (synchronous only),
// signatures/timestamp, v2 signatures/signDoc (synchronous only); any other path under them is 501 with a CSC
// error body (decision 0027). One
// core behind two thin DTO layers; every handler is a plain function of the request and the caller, so the
// tests call them through the Router without a socket.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <inkan/core/clock.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/http/router.h>
#include <inkan/service/accounts.h>
#include <inkan/service/async.h>
#include <inkan/service/auth.h>
#include <inkan/service/authorization.h>
#include <inkan/service/credentials.h>
#include <inkan/service/document_signing.h>
#include <inkan/service/extension.h>
#include <inkan/service/oauth.h>
#include <inkan/service/oob.h>
#include <inkan/service/validation.h>
#include <inkan/tsp/authority.h>

namespace inkan::api {

/// What `info` tells clients about the service (CSC v1 §11.1, v2 §11.1), and the few choices the
/// API layer makes on its own.
struct ServiceInfo {
    std::string name = "inkan";
    /// A URI of a PNG or JPEG of at most 256x256 pixels. The default is a 16x16 PNG as a data: URI,
    /// so it is valid without knowing the public URL.
    std::string logo =
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/"
        "9hAAAAMElEQVR42mNgoDZ47GTyHx+mSDNeQ4jVjNUQUjVjGDJqwLAwgOKERJWkTJXMRA4AAPV6kzANhH2vAAAAAElFTkSuQmCC";
    std::string region = "JP";   ///< ISO 3166-1 alpha-2
    std::string lang = "en-US";  ///< RFC 5646; the only language: other `lang` requests get this one
    std::string description = "inkan remote signing service";
    /// Mutual TLS is configured on the API listener: authType lists "TLS" besides "basic".
    bool mtls = false;
    /// The largest v1 credentials/list page (maxResults above it, or absent, gets this many).
    std::size_t max_list_results = 100;
    /// The otpauth issuer (service::Accounts' totp_issuer): the v1 OTP "ID" is "<issuer>:<user name>",
    /// the label the user's authenticator app shows for the device. Never the secret.
    std::string totp_issuer = "inkan";
    /// The public base URL ("https://sign.example.com"): the OAuth issuer and the info.oauth2 base.
    /// Empty: taken from each request's Host header (right for a single node on its own name).
    std::string public_url;
};

/// The CSC API major version: the first path segment after /csc/.
enum class Version { V1, V2 };
/// "v1", "v2".
[[nodiscard]] std::string_view name(Version v);

/// The service objects the handlers use. The composition root owns them; they must outlive the
/// Router (and the Server that runs it). Every one of them is safe to call from several threads.
struct CscDeps {
    service::Sessions& sessions;
    service::Credentials& credentials;
    service::Accounts& accounts;
    service::Authorization& authorization;  ///< credentials/authorize, extendTransaction, signHash
    const Clock& clock;                     ///< certificate validity (cert/status, key/status)
    ServiceInfo info;
    /// The OAuth 2.0 authorization server (oauth2/* routes, RFC 8414 metadata, info.oauth2 /
    /// oauth2Issuer, authType oauth2code + oauth2client). Null: no OAuth.
    service::OAuth* oauth = nullptr;
    /// signatures/timestamp (CSC v1 §11.10, v2 §11.12); nullptr: the method answers invalid_request.
    tsp::Authority* timestamps = nullptr;
    /// v2 signatures/signDoc (CSC v2 §11.11); nullptr: the method answers invalid_request.
    service::DocumentSigning* documents = nullptr;
    /// The vendor route POST /inkan/v1/extend (decision 0014): not a CSC method, so not in
    /// info.methods; nullptr: the route answers invalid_request.
    service::Extension* extension = nullptr;
    /// The vendor route POST /inkan/v1/validate (issue 15, decision 0019); nullptr: the route answers
    /// invalid_request.
    service::Validation* validation = nullptr;
    /// v2 operationMode "A" and signatures/signPolling (decision 0033): info asynchronousOperationMode.
    /// nullptr: "A" is refused as an invalid operationMode and signPolling is not offered (501).
    service::AsyncOperations* async = nullptr;
    /// v2 out-of-band approval (decision 0034): credentials/authorize without factors answers 202 with a
    /// handle and the approval page's URL; credentials/authorizeCheck collects the SAD; the page is served
    /// at kApprovalPath. nullptr: authorize without factors is refused as before, authorizeCheck is 501.
    service::OutOfBand* oob = nullptr;
};

/// Registers, for v1 and v2, POST /csc/<v>/<method> for every method in csc_methods(), plus GET
/// /csc/<v>/info, plus the vendor route POST /inkan/v1/extend (kExtendPath). Every handler runs on the worker
/// pool and answers every failure itself with a CSC error body (an inkan::Error is logged and mapped by
/// to_csc_error), so it does not depend on the server's ErrorMapper. Errc::InvalidConfig if a route is
/// already in the router.
void add_csc_routes(http::Router& router, CscDeps deps);

/// The vendor route that extends signed documents (service::Extension): a Bearer service token, a body
/// shaped like signDoc's `documents` plus `returnValidationInfo`; CSC error bodies (decision 0014).
inline constexpr std::string_view kExtendPath = "/inkan/v1/extend";
/// The vendor route that validates signed documents (service::Validation): a Bearer service token, JSON
/// (`document` or `documents`, base64, optional `content`) or the raw document; the report of `inkan verify
/// --json`.
inline constexpr std::string_view kValidatePath = "/inkan/v1/validate";
/// The out-of-band approval page (GET with ?request=<reference>, then its form posts; decision 0034).
inline constexpr std::string_view kApprovalPath = "/inkan/v1/approval";

/// The method names this layer implements for `version`, as `info.methods` lists them ("info",
/// "auth/login", "auth/revoke", "credentials/list", "credentials/info", "credentials/authorize",
/// "credentials/extendTransaction", "signatures/signHash", "signatures/timestamp", and v2
/// "credentials/getChallenge", "signatures/signDoc", "signatures/signPolling" — the last only
/// `with_async`, i.e. when CscDeps::async is set). One table drives both this list and the
/// registration, so they cannot drift.
/// credentials/authorizeCheck only `with_oob` (CscDeps::oob set).
[[nodiscard]] std::vector<std::string> csc_methods(Version version, bool with_async = true,
                                                   bool with_oob = true);

/// The routes add_csc_routes() registers, in order (for the OpenAPI comparison); `with_oauth`: the
/// deps had an OAuth server (the oauth2/* routes and RFC 8414 metadata follow the CSC methods).
[[nodiscard]] std::vector<http::RouteInfo> csc_routes(bool with_oauth = false);

}  // namespace inkan::api
