#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <inkan/core/clock.h>
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
class Sessions {
public:
    Sessions(Accounts& accounts, UserStore& users, TokenStore& tokens, const Clock& clock,
             AuthSettings settings = {});

    /// Errc::InvalidAuthData: unknown user or wrong password (same error for both); Errc::Locked:
    /// the account is locked.
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

    /// Records token issue and revocation (and failed logins) in the audit log from now on; the log must
    /// outlive the sessions. Without it nothing is recorded (unit tests of tokens alone).
    void set_audit(AuditLog* audit) noexcept { m_audit = audit; }

private:
    void audit(std::string_view action, std::string_view outcome, std::string_view user_id,
               std::string_view client_id, std::string_view details) const;
    IssuedTokens issue(const User& user, bool with_refresh, std::string_view client_id,
                       std::string refresh_id);
    Accounts& m_accounts;
    UserStore& m_users;
    TokenStore& m_tokens;
    const Clock& m_clock;
    AuthSettings m_settings;
    AuditLog* m_audit = nullptr;
};

}  // namespace inkan::service
