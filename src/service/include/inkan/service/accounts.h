#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <inkan/core/clock.h>
#include <inkan/core/secret.h>
#include <inkan/hsm/token.h>
#include <inkan/service/model.h>
#include <inkan/service/ports.h>

namespace inkan::service {

/// The storage key that seals secrets at rest (TOTP seeds): an AES-256 key in the HSM.
class SecretSealer {
public:
    /// `key_label`: the AES key's CKA_LABEL (hsm.storage_key_label). Errc::InvalidConfig if absent.
    /// Sealed form: iv (12) || ciphertext || tag (16).
    SecretSealer(hsm::Token& token, std::string_view key_label);
    /// AES-256-GCM; `context` (e.g. "totp:" + user id) is the AAD, so a sealed value cannot be moved
    /// to another user's row.
    [[nodiscard]] Bytes seal(ByteView plaintext, std::string_view context) const;
    /// Errc::InvalidAuthData if it was tampered with or moved.
    [[nodiscard]] Bytes open(ByteView sealed, std::string_view context) const;

private:
    hsm::Token& m_token;
    Bytes m_key_id;
};

struct NewUser {
    std::string name;
    std::string display_name;  ///< defaults to name
    Role role = Role::User;
    Secret password;    ///< at least 8 characters (UTF-8 code points), at most 1024 bytes
    bool totp = false;  ///< enrol a TOTP device now
};

struct UserCreated {
    User user;
    std::optional<std::string> otpauth_uri;         ///< shown once
    std::optional<std::string> totp_secret_base32;  ///< shown once (the demo prints it)
};

/// Users and their factors. Every method validates its input (Errc::InvalidRequest) and reports
/// unknown users as Errc::NotFound. Names: [A-Za-z0-9._@-]{1,64}; display names: valid UTF-8, at most
/// 255 bytes, no control characters. TOTP seeds are 20 random bytes (RFC 4226 §4), sealed under the
/// HSM storage key with the context "totp:" + user id. add_user: Errc::Conflict for a taken name.
class Accounts {
public:
    Accounts(UserStore& users, SecretSealer& sealer, const Clock& clock, std::string totp_issuer = "inkan");

    UserCreated add_user(NewUser request);
    [[nodiscard]] std::vector<User> list() const;
    [[nodiscard]] User get_by_name(std::string_view name) const;
    [[nodiscard]] std::optional<User> find_by_id(std::string_view id) const;
    void lock(std::string_view name);
    void unlock(std::string_view name);
    void change_password(std::string_view name, const Secret& new_password);
    /// (Re-)enrols TOTP; returns the otpauth URI and the base32 secret (shown once).
    std::pair<std::string, std::string> enrol_totp(std::string_view name);

    /// The user, if the name exists, the password matches and the user is not locked. Takes about the
    /// same time whether or not the name exists (a dummy hash is verified), so it does not reveal names.
    [[nodiscard]] std::optional<User> authenticate(std::string_view name, const Secret& password) const;
    /// The same check without the lock: the user if the name exists and the password matches, locked or
    /// not (Sessions::login answers Errc::Locked only to a caller who knows the password).
    [[nodiscard]] std::optional<User> check_password(std::string_view name, const Secret& password) const;

    /// The user's TOTP seed, opened from its sealed form; nothing if not enrolled. For the
    /// sole-control issue's OTP check.
    [[nodiscard]] std::optional<Bytes> totp_secret(std::string_view user_id) const;

private:
    UserStore& m_users;
    SecretSealer& m_sealer;
    const Clock& m_clock;
    std::string m_totp_issuer;
};

}  // namespace inkan::service
