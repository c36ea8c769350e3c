#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <inkan/core/clock.h>
#include <inkan/core/error.h>
#include <inkan/core/secret.h>
#include <inkan/service/accounts.h>
#include <inkan/service/audit.h>
#include <inkan/service/model.h>
#include <inkan/service/ports.h>

namespace inkan::service {

struct AuthSettings {
    std::chrono::seconds access_lifetime{3600};
    std::chrono::seconds refresh_lifetime{std::chrono::hours{24 * 30}};
};

/// Service authorisation (CSC "auth/login", "auth/revoke", bearer tokens). Tokens are 32 random
/// bytes, base64url; only their SHA-256 is stored.
/// Why Sessions::authenticate refused a token that was ours: it expired or was revoked (CSC Table 3
/// expired_token), as opposed to one that never was a valid access token (a plain Errc::Unauthenticated:
/// invalid_token).
enum class TokenRefusal { Expired };
[[nodiscard]] inline bool token_expired(const Error& e) {
    return e.code() == Errc::Unauthenticated && reason_of<TokenRefusal>(e) == TokenRefusal::Expired;
}

class Sessions {
public:
    Sessions(Accounts& accounts, UserStore& users, TokenStore& tokens, const Clock& clock,
             AuthSettings settings = {});

    /// Errc::InvalidAuthData: unknown user, wrong password, or an account locked by password guessing
    /// (Accounts::check_password; the same error for all three); Errc::Locked: the operator locked the
    /// account (said only to a caller who gave the right password).
    IssuedTokens login(std::string_view user_name, const Secret& password, bool remember_me,
                       std::string_view client_id = {});
    /// A new access token from a refresh token (the refresh token stays valid until it expires or is
    /// revoked). Errc::InvalidAuthData: unknown, expired or revoked refresh token.
    IssuedTokens refresh(const Secret& refresh_token);
    /// Errc::Unauthenticated: unknown, expired or revoked access token (the message says which, for
    /// logs); Errc::Locked: the user was locked after the token was issued.
    [[nodiscard]] Caller authenticate(const Secret& access_token) const;
    /// RFC 7009: revokes an access or refresh token (a refresh token takes its grant's access tokens
    /// with it). `hint` is "access_token", "refresh_token" or empty. Errc::InvalidRequest: unknown token
    /// or a token of another user (`caller` must own it).
    void revoke(const Caller& caller, const Secret& token, std::string_view hint);

    // ---- OAuth 2.0 (service scope; the OAuth class decides, these issue) ----

    /// A service token (and, with `with_refresh`, a refresh token) for `user_id` through `client_id`;
    /// an empty user_id is a system client (client_credentials): the client is the subject.
    /// Errc::Locked for a locked user.
    /// A new token family unless `family_id` continues one (a rotation).
    IssuedTokens grant(std::string_view user_id, std::string_view client_id, bool with_refresh,
                       std::string family_id = {});
    /// The refresh_token grant with rotation (RFC 9700 §4.14.2): the refresh token must be this client's
    /// and live; it is revoked (with its access tokens) and a new pair of the same family issued. A
    /// replayed, already-rotated (or revoked) refresh token revokes its whole family — the attacker's
    /// and the legitimate client's tokens alike, since the server cannot tell them apart (§4.14.2).
    /// Errc::InvalidAuthData for an unknown, expired, revoked or foreign token.
    IssuedTokens rotate(const Secret& refresh_token, std::string_view client_id);
    /// Revokes every token of `family_id` (audited with `reason`); how many were live.
    std::size_t revoke_family(std::string_view family_id, std::string_view client_id,
                              std::string_view reason);
    /// oauth2/revoke (RFC 7009): revokes the token if it was issued to `client_id`; a token that is
    /// unknown or another client's is left alone without an error (RFC 7009 §2.2). True if revoked.
    bool revoke_for_client(std::string_view client_id, const Secret& token);
    /// Tokens issued through an OAuth client stop working when the client is removed.
    void set_clients(const OAuthClientStore* clients) noexcept { m_clients = clients; }

    /// Records token issue and revocation (and failed logins) in the audit log from now on; the log must
    /// outlive the sessions. Without it nothing is recorded (unit tests of tokens alone).
    void set_audit(AuditLog* audit) noexcept { m_audit = audit; }

private:
    void audit(std::string_view action, std::string_view outcome, std::string_view user_id,
               std::string_view client_id, std::string_view details) const;
    IssuedTokens issue(const User& user, bool with_refresh, std::string_view client_id,
                       std::string refresh_id, std::string family_id);
    Accounts& m_accounts;
    UserStore& m_users;
    TokenStore& m_tokens;
    const Clock& m_clock;
    AuthSettings m_settings;
    AuditLog* m_audit = nullptr;
    const OAuthClientStore* m_clients = nullptr;
    IssuedTokens issue_for(std::string_view user_id, bool with_refresh, std::string_view client_id,
                           std::string refresh_id, std::string family_id);
};

}  // namespace inkan::service
