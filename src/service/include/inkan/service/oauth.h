#pragma once

// The OAuth 2.0 authorization server of the CSC API (CSC v1 §8.3, v2 §8; csc-api.md §3.5, §4.4–4.7):
// clients, the browser authorization (password, one-time code, consent) with PKCE (RFC 7636), PAR
// (RFC 9126) and RAR (RFC 9396, type "credential"), and the token endpoint (authorization_code,
// refresh_token with rotation, client_credentials). Every piece of state lives in the stores, so any
// node serves any step. No HTTP here: api/ renders pages and forms and maps OAuthFailure to the wire.
//
// Tokens: a service-scope grant is a Sessions token bound to the client; a credential-scope grant
// is a SAD row in the Authorization ledger (the token string IS the SAD handle), so signHash spends
// it through the one sole-control path.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <inkan/core/clock.h>
#include <inkan/core/error.h>
#include <inkan/core/secret.h>
#include <inkan/service/accounts.h>
#include <inkan/service/audit.h>
#include <inkan/service/auth.h>
#include <inkan/service/authorization.h>
#include <inkan/service/credentials.h>
#include <inkan/service/model.h>
#include <inkan/service/ports.h>

namespace inkan::service {

struct OAuthSettings {
    std::chrono::seconds code_lifetime{60};               ///< authorization codes (RFC 6749 §4.1.2: short)
    std::chrono::seconds page_lifetime{600};              ///< a browser authorization, login to consent
    std::chrono::seconds par_lifetime{90};                ///< a pushed request_uri (RFC 9126 §2.2)
    std::chrono::seconds credential_token_lifetime{300};  ///< credential-scope tokens (SAD)
    bool allow_plain_pkce = false;                        ///< code_challenge_method=plain (RFC 7636 §4.2)
    /// account_token (CSC v1 §8.3.1): how old its iat may be; its jti is remembered this long.
    std::chrono::seconds account_token_max_age{300};
};

/// RFC 6749 §4.1.2.1 / §5.2 error codes, as the api puts them on the wire. Carried in Error::detail
/// as "<name>: <text>" (oauth_failure() reads it back).
enum class OAuthFailure {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    AccessDenied,
    /// The client or redirect_uri of an authorization request cannot be trusted: the answer is an
    /// error page, never a redirect (RFC 6749 §4.1.2.1).
    InvalidRedirect,
    /// The browser's authorization is unknown, expired or its CSRF token is wrong: an error page.
    InvalidSession,
};
std::string_view name(OAuthFailure f);  ///< "invalid_request", "invalid_client", ...
std::optional<OAuthFailure> oauth_failure(const Error& e);

/// What a credential-scope authorization authorises (CSC credentialID/numSignatures/hashes, or one
/// RAR "credential" entry).
struct CredentialGrant {
    /// Empty while the request named only a signature qualifier; consent fills in the chosen one.
    std::string credential_id;
    /// CSC v2 signatureQualifier (oauth2/authorize, RAR): the user's active credential with it is chosen
    /// after login (one → it; several → the user picks on the consent page; none → access_denied).
    std::string signature_qualifier;
    int num_signatures = 1;
    std::vector<AuthorisedHash> hashes;
    std::vector<std::string> labels;  ///< RAR documentDigests[].label, shown on the consent page
    friend bool operator==(const CredentialGrant&, const CredentialGrant&) = default;
};

/// A parsed oauth2/authorize (or PAR) request.
struct AuthorizationParams {
    std::string response_type = "code";
    std::string client_id;
    std::string redirect_uri;  ///< empty: the client's only registered URI (v1 allows omitting it)
    std::string scope;         ///< "service" | "credential"; empty = service
    std::string state;
    std::string code_challenge;
    std::string code_challenge_method;  ///< "S256" | "plain"; empty = plain (RFC 7636 §4.3)
    bool pkce_required =
        false;         ///< v2 (CSC v2 §8.3.2); validation adds every public client (RFC 9700 §2.1.1)
    bool rar = false;  ///< the grant came as authorization_details
    /// Set by consent once the credential's PIN was checked (explicit auth mode; never from a request).
    bool pin_verified = false;
    std::optional<CredentialGrant> credential;
    std::string description;  ///< ≤ 500 characters, shown on the consent page
    std::string lang;
    std::string client_data;
    /// CSC v1 §8.3.1 account_token as received (a JWT, HS256 keyed with SHA-256(client_secret)). Input
    /// only: verified by start()/push() and never stored (to_json leaves it out).
    std::string account_token;
    /// The verified account_token's sub (the signature application's account id); empty without one.
    std::string account;
};

/// A browser authorization as the pages show it.
struct PageView {
    PendingStage stage = PendingStage::Login;
    std::string csrf;         ///< to put in every form
    std::string client_name;  ///< the registered name
    AuthorizationParams params;
    std::string redirect_uri;              ///< where consent will send the browser (verified)
    std::string user_name;                 ///< after the password
    std::optional<Credential> credential;  ///< credential scope, after the password
    /// Selection by signature qualifier, after the password: the user's active credentials with it.
    std::vector<Credential> choices;
    /// Consent must also take the credential's PIN: the credential (or one of the choices) has the
    /// explicit auth mode, whose PIN the password and one-time code do not replace.
    bool pin_required = false;
};

/// Where consent (or its refusal) sends the browser.
struct Redirect {
    std::string redirect_uri;
    std::string code;   ///< on success
    std::string error;  ///< "access_denied" on refusal
    std::string state;
};

/// A started browser authorization: the cookie to set (its secret, shown once).
struct StartedAuthorization {
    std::string session;
};

struct PushedRequest {
    std::string request_uri;  ///< "urn:ietf:params:oauth:request_uri:<random>"
    std::int64_t expires_in = 90;
};

/// Client authentication at token, revoke and PAR (client_secret_basic / client_secret_post).
struct ClientAuthentication {
    std::string client_id;
    std::optional<Secret> secret;
    bool basic = false;  ///< came as HTTP Basic (a failure then answers 401 + WWW-Authenticate)
};

struct TokenRequest {
    std::string grant_type;
    Secret code;
    std::string redirect_uri;
    std::string code_verifier;
    Secret refresh_token;
    std::optional<CredentialGrant> authorization_details;  ///< RAR: must repeat the authorized ones
    std::string scope;
};

struct TokenResponse {
    std::string access_token;
    bool credential = false;  ///< scope credential: the token is a SAD
    std::int64_t expires_in = 3600;
    std::optional<std::string> refresh_token;
    std::string scope;
    std::optional<CredentialGrant> granted;  ///< credential scope (echoed as authorization_details)
};

/// A newly registered client; the secret is shown once.
struct RegisteredClient {
    OAuthClient client;
    std::optional<std::string> secret;
};

class OAuth {
public:
    OAuth(OAuthClientStore& clients, OAuthGrantStore& grants, Accounts& accounts, Sessions& sessions,
          Authorization& authorization, Credentials& credentials, AuditLog& audit, const Clock& clock,
          OAuthSettings settings = {});

    // ---- clients (operator) ----
    /// Errc::InvalidRequest: a bad name, no redirect URI, a URI that is not absolute https (or http on a
    /// loopback host, RFC 8252 §7.3) or has a fragment, seals for a public client; Errc::NotFound /
    /// InvalidRequest for a seal that is unknown / not a seal; Errc::Conflict for a taken name.
    RegisteredClient add_client(std::string name, std::vector<std::string> redirect_uris, bool confidential,
                                std::vector<std::string> seals, std::string_view operator_name);
    [[nodiscard]] std::vector<OAuthClient> list_clients() const;
    /// By id or name. Errc::NotFound if unknown.
    void remove_client(std::string_view id_or_name, std::string_view operator_name);

    // ---- the browser ----
    /// The redirect URI an authorization request's answer goes to: the registered one it names (exact
    /// match), or the only one registered. InvalidRedirect (never redirected) otherwise.
    [[nodiscard]] std::string redirect_uri_for(const AuthorizationParams& params) const;
    /// oauth2/authorize: validates the request (client and redirect_uri first: InvalidRedirect; then
    /// the rest, whose failures may be redirected), stores it, returns the cookie secret.
    StartedAuthorization start(const AuthorizationParams& params);
    /// oauth2/authorize with request_uri (PAR): opens the pushed request once.
    StartedAuthorization start_pushed(std::string_view client_id, std::string_view request_uri);
    /// The authorization behind a cookie. InvalidSession if unknown or expired.
    [[nodiscard]] PageView view(const Secret& session) const;
    /// Password step, counted per account like auth/login (Accounts::check_password). Errc::InvalidAuthData
    /// (wrong name or password, too many failures, or locked: one answer), and the page stays at Login.
    /// InvalidSession for a bad cookie/CSRF or the wrong stage.
    void login(const Secret& session, std::string_view csrf, std::string_view user_name,
               const Secret& password);
    /// One-time code step: Authorization::verify_otp (counts toward the OTP lockout). Every attempt spends
    /// the password step: a wrong code (InvalidAuthData, Locked) leaves the page at Login, so the next code
    /// needs the password again (decision 0015).
    void otp(const Secret& session, std::string_view csrf, const Secret& code);
    /// Consent (approve) or refusal: the redirect with a code (or error=access_denied) and state.
    /// `chosen`: for a request by signature qualifier, the credential the user picked (needed when
    /// several match). No matching credential, or a pick that is not one of them: access_denied.
    /// `pin`: the credential's PIN, required to approve an explicit-mode credential; a wrong one throws
    /// Errc::InvalidAuthData (the page stays at Consent) or Errc::Locked, counted as in authorize().
    Redirect consent(const Secret& session, std::string_view csrf, bool approve, std::string_view chosen = {},
                     const Secret* pin = nullptr);

    // ---- the back channel ----
    /// oauth2/pushed_authorize: the client authenticates (a public client names itself).
    PushedRequest push(const ClientAuthentication& client, const AuthorizationParams& params);
    /// oauth2/token.
    TokenResponse token(const ClientAuthentication& client, TokenRequest request);
    /// oauth2/revoke (RFC 7009): a token of another client or an unknown one is ignored.
    void revoke(const ClientAuthentication& client, const Secret& token, std::string_view hint);

    [[nodiscard]] const OAuthSettings& settings() const noexcept { return m_settings; }

private:
    OAuthClient authenticate_client(const ClientAuthentication& auth) const;
    OAuthClient trusted_client(const AuthorizationParams& params) const;
    AuthorizationParams validated(const AuthorizationParams& params) const;
    [[nodiscard]] std::vector<Credential> qualified(std::string_view user_id, const CredentialGrant& g) const;
    /// Verifies params.account_token (if any) for `client`, records its jti, and moves its sub into
    /// params.account. InvalidRequest on any failure.
    void verify_account_token(AuthorizationParams& params, const OAuthClient& client);
    PendingAuthorization at_stage(const Secret& session, std::string_view csrf, PendingStage stage) const;
    void record(std::string_view action, std::string_view outcome, std::string_view user_id,
                std::string_view client_id, std::string details);

    OAuthClientStore& m_clients;
    OAuthGrantStore& m_grants;
    Accounts& m_accounts;
    Sessions& m_sessions;
    Authorization& m_authorization;
    Credentials& m_credentials;
    AuditLog& m_audit;
    const Clock& m_clock;
    OAuthSettings m_settings;
};

/// The authorization request as JSON text (the pending row and the code keep it) and back.
std::string to_json(const AuthorizationParams& params);
AuthorizationParams params_from_json(std::string_view json);

}  // namespace inkan::service
