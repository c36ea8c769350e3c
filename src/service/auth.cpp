#include <inkan/service/auth.h>

#include <utility>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>
#include <inkan/crypto/random.h>

#include <nlohmann/json.hpp>

#include "login_audit.h"

namespace inkan::service {

namespace {

constexpr std::size_t kTokenBytes = 32;
/// base64url of 32 bytes is 43 characters; anything far longer is not ours (and is not hashed).
constexpr std::size_t kMaxTokenLength = 256;

Bytes token_hash(std::string_view token) {
    return crypto::digest(crypto::DigestAlgorithm::Sha256, as_bytes(token));
}

/// A fresh token string: 256 random bits, base64url without padding.
std::string new_token() {
    Bytes raw = crypto::random_bytes(kTokenBytes);
    std::string token = base64url_encode(raw);
    secure_wipe(raw.data(), raw.size());
    return token;
}

std::optional<TokenRecord> lookup(const TokenStore& tokens, const Secret& token) {
    if (token.empty() || token.size() > kMaxTokenLength) {
        return std::nullopt;
    }
    return tokens.find_by_hash(token_hash(token.reveal()));
}

}  // namespace

Sessions::Sessions(Accounts& accounts, UserStore& users, TokenStore& tokens, const Clock& clock,
                   AuthSettings settings)
    : m_accounts{accounts}, m_users{users}, m_tokens{tokens}, m_clock{clock}, m_settings{settings} {
    require(m_settings.access_lifetime.count() > 0 && m_settings.refresh_lifetime.count() > 0,
            Errc::InvalidConfig, "token lifetimes must be positive");
}

IssuedTokens Sessions::login(std::string_view user_name, const Secret& password, bool remember_me,
                             std::string_view client_id) {
    const PasswordCheck check = m_accounts.check_password(user_name, password);
    if (!check.ok()) {
        // The audit says which, with the user's id when the name is known and the name tried (never
        // the password); the caller gets one error for all of them.
        const std::string user_id = check.user ? check.user->id : std::string{};
        nlohmann::json details = nlohmann::json::object();
        detail::add_tried_name(details, user_name);
        if (check.verdict != PasswordVerdict::Unknown) {
            details["password_failures"] = check.failures;
            if (check.now_locked(m_accounts.lockout())) {
                details["now_locked"] = true;
            }
        }
        audit("auth.login", name(check.verdict), user_id, client_id, details.dump());
        throw Error{Errc::InvalidAuthData, "login failed: unknown user, wrong password or too many failures"};
    }
    if (check.user->locked) {
        nlohmann::json details = nlohmann::json::object();
        detail::add_tried_name(details, user_name);
        audit("auth.login", "locked", check.user->id, client_id, details.dump());
        throw Error{Errc::Locked, "login refused: user " + check.user->id + " is locked"};
    }
    return issue(*check.user, remember_me, client_id, {}, {});
}

IssuedTokens Sessions::refresh(const Secret& refresh_token) {
    const auto record = lookup(m_tokens, refresh_token);
    if (!record || record->kind != TokenKind::Refresh) {
        throw Error{Errc::InvalidAuthData, "refresh: unknown refresh token"};
    }
    if (record->revoked) {
        throw Error{Errc::InvalidAuthData, "refresh: the refresh token is revoked"};
    }
    if (record->expires_at <= m_clock.now()) {
        throw Error{Errc::InvalidAuthData, "refresh: the refresh token has expired"};
    }
    const auto user = m_users.find_by_id(record->user_id);
    if (!user) {
        throw Error{Errc::InvalidAuthData, "refresh: the token's user no longer exists"};
    }
    if (user->locked) {
        throw Error{Errc::Locked, "refresh refused: user " + user->id + " is locked"};
    }
    return issue(*user, false, record->client_id, record->id, record->family_id);
}

Caller Sessions::authenticate(const Secret& access_token) const {
    const auto record = lookup(m_tokens, access_token);
    if (!record) {
        throw Error{Errc::Unauthenticated, "access token unknown"};
    }
    if (record->kind != TokenKind::Access) {
        throw Error{Errc::Unauthenticated,
                    "token " + record->id + " is a refresh token, not an access token"};
    }
    if (record->revoked) {
        throw Refused<TokenRefusal>{Errc::Unauthenticated, TokenRefusal::Expired,
                                    "access token " + record->id + " is revoked"};
    }
    if (record->expires_at <= m_clock.now()) {
        throw Refused<TokenRefusal>{Errc::Unauthenticated, TokenRefusal::Expired,
                                    "access token " + record->id + " has expired"};
    }
    if (!record->client_id.empty() && m_clients != nullptr) {
        const auto client = m_clients->find(record->client_id);
        if (!client || client->removed) {
            throw Error{Errc::Unauthenticated, "access token " + record->id + ": its client was removed"};
        }
    }
    if (record->user_id.empty()) {
        // A system client's token (client_credentials): the client is the subject.
        if (m_clients == nullptr) {
            throw Error{Errc::Unauthenticated, "access token " + record->id + ": no client registry"};
        }
        return Caller{{}, record->client_id, record->id};
    }
    const auto user = m_users.find_by_id(record->user_id);
    if (!user) {
        throw Error{Errc::Unauthenticated, "access token " + record->id + ": its user no longer exists"};
    }
    if (user->locked) {
        throw Error{Errc::Locked, "access token " + record->id + ": user " + user->id + " is locked"};
    }
    return Caller{record->user_id, record->client_id, record->id};
}

void Sessions::revoke(const Caller& caller, const Secret& token, std::string_view hint) {
    require(hint.empty() || hint == "access_token" || hint == "refresh_token", Errc::InvalidRequest,
            "revoke: token_type_hint must be access_token or refresh_token");
    // RFC 7009 §2.1: the hint only speeds up the lookup; a token of the other type is still revoked.
    const auto record = lookup(m_tokens, token);
    if (!record) {
        throw Error{Errc::InvalidRequest, "revoke: unknown token"};
    }
    if (record->user_id != caller.user_id || (caller.is_system() && record->client_id != caller.client_id)) {
        throw Error{Errc::InvalidRequest, "revoke: token " + record->id + " belongs to another user"};
    }
    if (!m_tokens.revoke(record->id)) {
        throw Error{Errc::InvalidRequest, "revoke: token " + record->id + " vanished"};
    }
    // The token's id, never the token.
    audit("token.revoke", "ok", caller.user_id, caller.client_id,
          std::string{"{\"token_id\":\""} + record->id + "\",\"kind\":\"" +
              (record->kind == TokenKind::Access ? "access" : "refresh") + "\"}");
}

void Sessions::audit(std::string_view action, std::string_view outcome, std::string_view user_id,
                     std::string_view client_id, std::string_view details) const {
    if (m_audit == nullptr) {
        return;
    }
    AuditEvent e;
    e.action = std::string{action};
    e.outcome = std::string{outcome};
    e.user_id = std::string{user_id};
    e.client_id = std::string{client_id};
    e.details = std::string{details};
    m_audit->record(e);
}

IssuedTokens Sessions::issue(const User& user, bool with_refresh, std::string_view client_id,
                             std::string refresh_id, std::string family_id) {
    return issue_for(user.id, with_refresh, client_id, std::move(refresh_id), std::move(family_id));
}

IssuedTokens Sessions::grant(std::string_view user_id, std::string_view client_id, bool with_refresh,
                             std::string family_id) {
    require(!user_id.empty() || !client_id.empty(), Errc::Internal, "grant: neither a user nor a client");
    if (!user_id.empty()) {
        const auto user = m_users.find_by_id(user_id);
        if (!user) {
            throw Error{Errc::InvalidAuthData, "grant: the user no longer exists"};
        }
        if (user->locked) {
            throw Error{Errc::Locked, "grant refused: user " + user->id + " is locked"};
        }
    }
    return issue_for(user_id, with_refresh, client_id, {}, std::move(family_id));
}

IssuedTokens Sessions::rotate(const Secret& refresh_token, std::string_view client_id) {
    const auto record = lookup(m_tokens, refresh_token);
    if (!record || record->kind != TokenKind::Refresh || record->client_id != client_id) {
        throw Error{Errc::InvalidAuthData, "refresh: unknown refresh token for this client"};
    }
    if (record->revoked) {
        // RFC 9700 §4.14.2: a rotated refresh token presented again means two parties hold it; the
        // server cannot tell which is legitimate, so the whole family goes.
        (void)revoke_family(record->family_id, client_id, "refresh token " + record->id + " replayed");
        // The client sees no record id (internal; the audit's token.family_revoke names it).
        throw Error{Errc::InvalidAuthData,
                    "refresh: the refresh token is revoked (already rotated): its token family is revoked"};
    }
    if (record->expires_at <= m_clock.now()) {
        throw Error{Errc::InvalidAuthData, "refresh: the refresh token has expired"};
    }
    if (!m_tokens.revoke_if_active(record->id)) {
        // Two presentations racing: the same replay, seen a moment earlier.
        (void)revoke_family(record->family_id, client_id,
                            "refresh token " + record->id + " used concurrently");
        throw Error{Errc::InvalidAuthData, "refresh: refresh token " + record->id + " was used concurrently"};
    }
    audit("token.rotate", "ok", record->user_id, client_id,
          std::string{"{\"token_id\":\""} + record->id + "\"}");
    return grant(record->user_id, client_id, true, record->family_id);
}

std::size_t Sessions::revoke_family(std::string_view family_id, std::string_view client_id,
                                    std::string_view reason) {
    if (family_id.empty()) {
        return 0;  // tokens from before migration 12: only the replayed one is refused
    }
    const std::size_t revoked = m_tokens.revoke_family(family_id);
    audit("token.family_revoke", "ok", {}, client_id,
          nlohmann::json{{"family_id", family_id}, {"revoked", revoked}, {"reason", reason}}.dump());
    return revoked;
}

bool Sessions::revoke_for_client(std::string_view client_id, const Secret& token) {
    const auto record = lookup(m_tokens, token);
    if (!record || record->client_id != client_id) {
        return false;
    }
    const bool revoked = m_tokens.revoke(record->id);
    audit("token.revoke", "ok", record->user_id, client_id,
          std::string{"{\"token_id\":\""} + record->id + "\",\"kind\":\"" +
              (record->kind == TokenKind::Access ? "access" : "refresh") + "\"}");
    if (record->kind == TokenKind::Refresh) {
        // RFC 7009 §2.1: revoking a refresh token SHOULD also invalidate the access tokens of the same
        // authorization grant. A family is exactly that grant (one authorization and its rotations).
        (void)revoke_family(record->family_id, client_id, "its refresh token was revoked (RFC 7009 §2.1)");
    }
    return revoked;
}

IssuedTokens Sessions::issue_for(std::string_view user_id, bool with_refresh, std::string_view client_id,
                                 std::string refresh_id, std::string family_id) {
    const TimePoint now = m_clock.now();
    IssuedTokens out;
    if (family_id.empty()) {
        family_id = crypto::random_hex(16);
    }
    out.family_id = family_id;
    if (with_refresh) {
        std::string refresh = new_token();
        TokenRecord record;
        record.id = crypto::random_hex(16);
        record.hash = token_hash(refresh);
        record.kind = TokenKind::Refresh;
        record.user_id = std::string{user_id};
        record.client_id = std::string{client_id};
        record.family_id = family_id;
        record.issued_at = now;
        record.expires_at = now + m_settings.refresh_lifetime;
        m_tokens.insert(record);
        refresh_id = record.id;
        out.refresh_token = std::move(refresh);
    }
    std::string access = new_token();
    TokenRecord record;
    record.id = crypto::random_hex(16);
    record.hash = token_hash(access);
    record.kind = TokenKind::Access;
    record.user_id = std::string{user_id};
    record.client_id = std::string{client_id};
    record.refresh_id = std::move(refresh_id);
    record.family_id = family_id;
    record.issued_at = now;
    record.expires_at = now + m_settings.access_lifetime;
    m_tokens.insert(record);
    audit("token.issue", "ok", user_id, client_id,
          std::string{"{\"token_id\":\""} + record.id + "\",\"refresh_token_id\":\"" + record.refresh_id +
              "\",\"expires_in\":" + std::to_string(m_settings.access_lifetime.count()) + "}");
    out.access_token = std::move(access);
    out.expires_in = m_settings.access_lifetime.count();
    return out;
}

}  // namespace inkan::service
