#pragma once

// Storage ports owned by the service layer. storage/ implements them (SQLite now, PostgreSQL
// later); both run the same port test suites (storage/*_store_suite.h). Every method is one
// transaction; anything that must hold across nodes (token revocation, later SAD consumption and
// lockout counters) is a single SQL statement.
//
// Errors: Errc::StorageFailure when the database fails; otherwise only the codes named per method.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <inkan/service/model.h>

namespace inkan::service {

class UserStore {
public:
    virtual ~UserStore() = default;
    /// Stores a new user (`totp_enrolled` is ignored: set_totp() enrols). Errc::Conflict if the name or
    /// the id is taken.
    virtual void create(const User& user, std::string_view password_hash) = 0;
    [[nodiscard]] virtual std::optional<User> find_by_name(std::string_view name) const = 0;
    [[nodiscard]] virtual std::optional<User> find_by_id(std::string_view id) const = 0;
    /// Every user, ordered by name (byte order).
    [[nodiscard]] virtual std::vector<User> list() const = 0;
    /// The argon2id hash string ($argon2id$...), for verification only.
    [[nodiscard]] virtual std::optional<std::string> password_hash(std::string_view user_id) const = 0;
    /// Errc::NotFound for an unknown user (all setters).
    virtual void set_password_hash(std::string_view user_id, std::string_view hash) = 0;
    virtual void set_locked(std::string_view user_id, bool locked) = 0;
    /// The TOTP secret sealed under the HSM storage key (AES-256-GCM blob), or nothing to remove it.
    virtual void set_totp(std::string_view user_id, std::optional<Bytes> sealed_secret) = 0;
    [[nodiscard]] virtual std::optional<Bytes> totp(std::string_view user_id) const = 0;
};

class CredentialStore {
public:
    virtual ~CredentialStore() = default;
    /// `pin_hash`: the owner's activation PIN (argon2id) for a personal credential; empty for a seal
    /// (members have their own). Errc::Conflict if the id exists; Errc::NotFound if a personal
    /// credential's owner is not a user; Errc::InvalidRequest if the kind does not fit (personal without
    /// owner or PIN hash, seal with either).
    virtual void create(const Credential& credential, std::string_view pin_hash) = 0;
    [[nodiscard]] virtual std::optional<Credential> find(std::string_view id) const = 0;
    /// Every credential, for operators, in creation order.
    [[nodiscard]] virtual std::vector<Credential> list() const = 0;
    /// What this user may use: own personal credentials and seals they are a member of, in creation order.
    [[nodiscard]] virtual std::vector<Credential> list_for_user(std::string_view user_id) const = 0;
    /// Errc::NotFound for an unknown id (both setters).
    virtual void set_chain(std::string_view id, const std::vector<Bytes>& chain) = 0;
    virtual void set_status(std::string_view id, CredentialStatus status) = 0;
    /// Errc::Conflict if already a member; Errc::NotFound for an unknown credential or user;
    /// Errc::InvalidRequest if the credential is not a seal.
    virtual void add_member(std::string_view credential_id, std::string_view user_id,
                            std::string_view pin_hash) = 0;
    /// Errc::NotFound if not a member.
    virtual void remove_member(std::string_view credential_id, std::string_view user_id) = 0;
    /// In the order they were added; empty for an unknown credential.
    [[nodiscard]] virtual std::vector<SealMember> members(std::string_view credential_id) const = 0;
    /// The PIN hash that `user_id` activates this credential with (owner's for personal, the member's for a
    /// seal); nothing if the user may not activate it.
    [[nodiscard]] virtual std::optional<std::string> pin_hash(std::string_view credential_id,
                                                              std::string_view user_id) const = 0;
};

enum class TokenKind { Access, Refresh };

struct TokenRecord {
    std::string id;  ///< random id (not secret), for audit and revocation lists
    Bytes hash;      ///< SHA-256 of the token string: the lookup key
    TokenKind kind = TokenKind::Access;
    std::string user_id;
    std::string client_id;
    std::string refresh_id;  ///< access tokens: the refresh token of the same grant (empty if none)
    TimePoint issued_at{};
    TimePoint expires_at{};
    /// As read back: true if this token was revoked, or (access tokens) its grant's refresh token was,
    /// so a refresh racing a revocation can never leave a live access token behind.
    bool revoked = false;
};

class TokenStore {
public:
    virtual ~TokenStore() = default;
    /// Errc::Conflict if the id or the hash exists; Errc::NotFound if the user or the refresh token
    /// (refresh_id) does not.
    virtual void insert(const TokenRecord& token) = 0;
    [[nodiscard]] virtual std::optional<TokenRecord> find_by_hash(ByteView hash) const = 0;
    /// Revokes one token; revoking a refresh token also revokes the access tokens of its grant
    /// (RFC 7009 §2.1). Returns false if no such token.
    virtual bool revoke(std::string_view token_id) = 0;
    /// Removes tokens that expired before `before` (housekeeping); a refresh token stays while an
    /// access token of its grant is still unexpired. Returns how many were removed.
    virtual std::size_t purge_expired(TimePoint before) = 0;
};

}  // namespace inkan::service
