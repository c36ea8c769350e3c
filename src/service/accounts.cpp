#include <inkan/service/accounts.h>

#include <utility>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/crypto/random.h>
#include <inkan/service/secrets.h>

#include "text_rules.h"

namespace inkan::service {

namespace {

constexpr std::size_t kTotpSeedBytes = 20;  // RFC 4226 §4: 160 bits (the HMAC-SHA-1 output size)
constexpr std::size_t kMinPasswordChars = 8;
constexpr std::size_t kMaxPasswordBytes = 1024;
constexpr std::size_t kMaxDisplayNameBytes = 255;
constexpr std::size_t kAesGcmOverhead = 12 + 16;  // iv + tag

std::string totp_context(std::string_view user_id) {
    return "totp:" + std::string{user_id};
}

void check_name(std::string_view name) {
    require(detail::is_valid_user_name(name), Errc::InvalidRequest,
            "user name must be 1..64 characters of A-Z a-z 0-9 . _ @ -");
}

void check_password_rules(const Secret& password) {
    require(password.size() <= kMaxPasswordBytes, Errc::InvalidRequest, "password is longer than 1024 bytes");
    const auto chars = detail::utf8_length(password.reveal());
    require(chars.has_value(), Errc::InvalidRequest, "password is not valid UTF-8");
    require(*chars >= kMinPasswordChars, Errc::InvalidRequest, "password must have at least 8 characters");
}

/// A hash of a random password, verified when the name is unknown so that a miss costs what a hit costs.
const std::string& dummy_hash() {
    static const std::string hash = hash_password(Secret{crypto::random_bytes(16)});
    return hash;
}

}  // namespace

// ---- SecretSealer ----

SecretSealer::SecretSealer(hsm::Token& token, std::string_view key_label) : m_token{token} {
    const auto id = token.find_id_by_label(hsm::ObjectClass::SecretKey, key_label);
    require(id.has_value(), Errc::InvalidConfig,
            "the storage key '" + std::string{key_label} + "' (hsm.storage_key_label) is not on the token");
    m_key_id = *id;
}

Bytes SecretSealer::seal(ByteView plaintext, std::string_view context) const {
    return m_token.encrypt_aes_gcm(m_key_id, plaintext, as_bytes(context));
}

Bytes SecretSealer::open(ByteView sealed, std::string_view context) const {
    require(sealed.size() > kAesGcmOverhead, Errc::InvalidAuthData, "sealed secret is truncated");
    return m_token.decrypt_aes_gcm(m_key_id, sealed, as_bytes(context));
}

// ---- Accounts ----

std::string_view name(PasswordVerdict v) {
    switch (v) {
        case PasswordVerdict::Ok:
            return "ok";
        case PasswordVerdict::Wrong:
            return "bad_password";
        case PasswordVerdict::Unknown:
            return "unknown_user";
        case PasswordVerdict::Locked:
            return "password_locked";
    }
    return "unknown_user";
}

Accounts::Accounts(UserStore& users, SecretSealer& sealer, const Clock& clock, std::string totp_issuer,
                   PasswordLockout lockout)
    : m_users{users},
      m_sealer{sealer},
      m_clock{clock},
      m_totp_issuer{std::move(totp_issuer)},
      m_lockout{lockout} {
    require(!m_totp_issuer.empty() && m_totp_issuer.find(':') == std::string::npos, Errc::InvalidConfig,
            "the TOTP issuer must be non-empty and contain no ':'");
    require(m_lockout.max_failures >= 1 && m_lockout.max_failures <= 1000 && m_lockout.lock.count() >= 0,
            Errc::InvalidConfig, "max_password_failures must be 1..1000 and password_lock_seconds ≥ 0");
}

UserCreated Accounts::add_user(NewUser request) {
    check_name(request.name);
    if (request.display_name.empty()) {
        request.display_name = request.name;
    }
    require(request.display_name.size() <= kMaxDisplayNameBytes, Errc::InvalidRequest,
            "display name is longer than 255 bytes");
    require(detail::printable_utf8_length(request.display_name).has_value(), Errc::InvalidRequest,
            "display name must be UTF-8 without control characters");
    check_password_rules(request.password);
    if (m_users.find_by_name(request.name)) {
        throw Error{Errc::Conflict, "user '" + request.name + "' exists"};
    }

    User user;
    user.id = crypto::random_hex(16);
    user.name = request.name;
    user.display_name = request.display_name;
    user.role = request.role;
    user.locked = false;
    user.totp_enrolled = false;
    user.created_at = m_clock.now();
    m_users.create(user, hash_password(request.password));

    UserCreated created;
    if (request.totp) {
        auto [uri, secret] = enrol_totp(user.name);
        created.otpauth_uri = std::move(uri);
        created.totp_secret_base32 = std::move(secret);
        user.totp_enrolled = true;
    }
    created.user = std::move(user);
    return created;
}

std::vector<User> Accounts::list() const {
    return m_users.list();
}

User Accounts::get_by_name(std::string_view name) const {
    auto user = m_users.find_by_name(name);
    if (!user) {
        throw Error{Errc::NotFound, "no user named '" + std::string{name} + "'"};
    }
    return std::move(*user);
}

std::optional<User> Accounts::find_by_id(std::string_view id) const {
    return m_users.find_by_id(id);
}

void Accounts::lock(std::string_view name) {
    m_users.set_locked(get_by_name(name).id, true);
}

void Accounts::set_role(std::string_view name, Role role) {
    m_users.set_role(get_by_name(name).id, role);
}

void Accounts::unlock(std::string_view name) {
    const User user = get_by_name(name);
    m_users.set_locked(user.id, false);
    m_users.clear_password_failures(user.id);
}

void Accounts::change_password(std::string_view name, const Secret& new_password) {
    check_password_rules(new_password);
    const User user = get_by_name(name);
    m_users.set_password_hash(user.id, hash_password(new_password));
}

std::pair<std::string, std::string> Accounts::enrol_totp(std::string_view name) {
    const User user = get_by_name(name);
    Bytes seed = crypto::random_bytes(kTotpSeedBytes);
    m_users.set_totp(user.id, m_sealer.seal(seed, totp_context(user.id)));
    std::pair<std::string, std::string> out{otpauth_uri(m_totp_issuer, user.name, seed), base32_encode(seed)};
    secure_wipe(seed.data(), seed.size());
    return out;
}

PasswordCheck Accounts::check_password(std::string_view name, const Secret& password) {
    PasswordCheck out;
    std::optional<std::string> hash;
    if (detail::is_valid_user_name(name)) {
        out.user = m_users.find_by_name(name);
        if (out.user) {
            hash = m_users.password_hash(out.user->id);
        }
    }
    if (!out.user || !hash) {
        // Unknown name (or no hash): do the same work, then fail. Nothing is counted: there is no account.
        (void)verify_password(dummy_hash(), password);
        out.user.reset();
        out.verdict = PasswordVerdict::Unknown;
        return out;
    }
    // The guess is reserved before the slow check (sole-control issue §4): parallel guesses each take a
    // count of their own, and those beyond the maximum are refused without their password being judged.
    out.failures =
        m_users.reserve_password_guess(out.user->id, m_lockout.max_failures, m_lockout.lock, m_clock.now());
    if (out.failures > m_lockout.max_failures) {
        (void)verify_password(dummy_hash(), password);  // the same time as a judged guess
        out.verdict = PasswordVerdict::Locked;
        return out;
    }
    if (!verify_password(*hash, password)) {
        out.verdict = PasswordVerdict::Wrong;
        return out;
    }
    m_users.clear_password_failures(out.user->id);
    out.failures = 0;
    out.verdict = PasswordVerdict::Ok;
    return out;
}

std::optional<PasswordFailures> Accounts::password_failures(std::string_view user_id) const {
    return m_users.password_failures(user_id);
}

bool Accounts::password_locked(std::string_view user_id) const {
    const auto state = m_users.password_failures(user_id);
    if (!state || state->count < m_lockout.max_failures || !state->locked_at) {
        return false;
    }
    return m_lockout.lock.count() == 0 || m_clock.now() < *state->locked_at + m_lockout.lock;
}

std::optional<User> Accounts::authenticate(std::string_view name, const Secret& password) {
    auto check = check_password(name, password);
    if (!check.ok() || check.user->locked) {
        return std::nullopt;
    }
    return std::move(check.user);
}

std::optional<Bytes> Accounts::totp_secret(std::string_view user_id) const {
    const auto sealed = m_users.totp(user_id);
    if (!sealed) {
        return std::nullopt;
    }
    return m_sealer.open(*sealed, totp_context(user_id));
}

}  // namespace inkan::service
