#pragma once

#include <chrono>
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

/// Password guessing (sole-control issue §5): after `max_failures` wrong passwords in a row an account
/// takes no password until `lock` has passed since the lock began (0: until an operator unlocks it).
struct PasswordLockout {
    int max_failures = 5;
    std::chrono::seconds lock{std::chrono::minutes{15}};
};

/// What a password check found. Callers answer Ok and everything else differently, but never Wrong,
/// Unknown and Locked differently from each other (no account enumeration); the verdict is for the audit.
enum class PasswordVerdict {
    Ok,
    Wrong,    ///< a known user, the wrong password (counted)
    Unknown,  ///< no such user (a dummy hash was verified)
    Locked,   ///< too many failures: refused without judging the password (a dummy hash was verified)
};
std::string_view name(PasswordVerdict v);  ///< "ok", "bad_password", "unknown_user", "password_locked"

struct PasswordCheck {
    PasswordVerdict verdict = PasswordVerdict::Unknown;
    std::optional<User> user;  ///< the named user when known, whatever the verdict (for the audit)
    int failures = 0;          ///< the account's counted failures after this check (0 after Ok)
    [[nodiscard]] bool ok() const noexcept { return verdict == PasswordVerdict::Ok; }
    /// Wrong, with this failure the account is now locked.
    [[nodiscard]] bool now_locked(const PasswordLockout& l) const noexcept {
        return verdict == PasswordVerdict::Wrong && failures >= l.max_failures;
    }
};

/// Users and their factors. Every method validates its input (Errc::InvalidRequest) and reports
/// unknown users as Errc::NotFound. Names: [A-Za-z0-9._@-]{1,64}; display names: valid UTF-8, at most
/// 255 bytes, no control characters. TOTP seeds are 20 random bytes (RFC 4226 §4), sealed under the
/// HSM storage key with the context "totp:" + user id. add_user: Errc::Conflict for a taken name.
class Accounts {
public:
    /// Errc::InvalidConfig unless 1 ≤ lockout.max_failures ≤ 1000 and lockout.lock ≥ 0.
    Accounts(UserStore& users, SecretSealer& sealer, const Clock& clock, std::string totp_issuer = "inkan",
             PasswordLockout lockout = {});

    UserCreated add_user(NewUser request);
    [[nodiscard]] std::vector<User> list() const;
    [[nodiscard]] User get_by_name(std::string_view name) const;
    [[nodiscard]] std::optional<User> find_by_id(std::string_view id) const;
    void lock(std::string_view name);
    /// Errc::NotFound for an unknown name.
    void set_role(std::string_view name, Role role);
    /// Lifts the operator's lock and the password-guessing lock (the failure count goes to 0).
    void unlock(std::string_view name);
    void change_password(std::string_view name, const Secret& new_password);
    /// (Re-)enrols TOTP; returns the otpauth URI and the base32 secret (shown once).
    std::pair<std::string, std::string> enrol_totp(std::string_view name);

    /// The user, if the name exists, the password matches, the account is not locked by the operator and
    /// not by password guessing (check_password counts it).
    [[nodiscard]] std::optional<User> authenticate(std::string_view name, const Secret& password);
    /// The password check of every login (auth/login, the OAuth page). The guess is reserved in the store
    /// before the slow argon2id verification (UserStore::reserve_password_guess) and the count cleared
    /// after a right one, so a parallel burst gets at most max_failures guesses judged; beyond that the
    /// password is not judged at all. Unknown names and locked accounts verify a dummy hash, so all
    /// verdicts take about the same time. The operator's lock (User::locked) is not looked at here.
    [[nodiscard]] PasswordCheck check_password(std::string_view name, const Secret& password);
    /// The account's guessing state, for operators (nothing for an unknown user).
    [[nodiscard]] std::optional<PasswordFailures> password_failures(std::string_view user_id) const;
    /// True while the account takes no password: locked by guessing, and the cool-down (if any) not over.
    [[nodiscard]] bool password_locked(std::string_view user_id) const;
    [[nodiscard]] const PasswordLockout& lockout() const noexcept { return m_lockout; }

    /// The user's TOTP seed, opened from its sealed form; nothing if not enrolled. For the
    /// sole-control issue's OTP check.
    [[nodiscard]] std::optional<Bytes> totp_secret(std::string_view user_id) const;

private:
    UserStore& m_users;
    SecretSealer& m_sealer;
    const Clock& m_clock;
    std::string m_totp_issuer;
    PasswordLockout m_lockout;
};

}  // namespace inkan::service
