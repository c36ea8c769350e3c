// Sole control (authorization.h). The rules, in the order they are checked:
//
// authorize: the credential is visible to the caller (owner, or seal member) → its auth mode allows
// credentials/authorize (an oauth2code credential only takes OAuth credential grants) → Active → counts and
// hashes are well formed → neither the PIN (credential, user) nor the OTP (user) is locked → PIN →
// OTP (±window, each step once) → a SAD. Every attempt, refused or not, is one audit entry.
//
// sign_hash: visible and Active → the algorithm fits the key → every hash has the digest's length →
// the certificate is valid now → the store consumes the hashes (SCAL 2) or the count (SCAL 1) in
// one transaction → the HSM signs. Everything that can be checked without spending the SAD is
// checked before it is spent. If the HSM fails after consumption the hashes stay consumed: giving
// them back would open a window in which a concurrent request could spend them too (and the HSM may
// have produced a signature we never saw); the client asks for a new authorisation, and the audit
// log records the failure.

#include <inkan/service/authorization.h>

#include <algorithm>
#include <array>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include <nlohmann/json.hpp>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>
#include <inkan/crypto/random.h>
#include <inkan/pki/certificate.h>
#include <inkan/service/secrets.h>
#include <inkan/sign/hsm_signer.h>

#include "secret_handles.h"

namespace inkan::service {

namespace {

using detail::sha256;

constexpr std::size_t kSadBytes = 32;
/// base64url of 32 bytes is 43 characters; anything far longer is not ours (and is not hashed).
constexpr std::size_t kMaxSadLength = 256;

constexpr std::array kAuthFailures{
    std::pair{AuthFailure::BadPin, std::string_view{"bad_pin"}},
    std::pair{AuthFailure::BadOtp, std::string_view{"bad_otp"}},
    std::pair{AuthFailure::PinLocked, std::string_view{"pin_locked"}},
    std::pair{AuthFailure::OtpLocked, std::string_view{"otp_locked"}},
    std::pair{AuthFailure::CredentialDisabled, std::string_view{"credential_disabled"}},
    std::pair{AuthFailure::TooManySignatures, std::string_view{"too_many_signatures"}},
    std::pair{AuthFailure::HashesRequired, std::string_view{"hashes_required"}},
    std::pair{AuthFailure::FactorsNotAccepted, std::string_view{"factors_not_accepted"}},
    std::pair{AuthFailure::OAuth2Required, std::string_view{"oauth2_required"}},
    std::pair{AuthFailure::OtpReplayed, std::string_view{"otp_replayed"}},
    std::pair{AuthFailure::OtpNotEnrolled, std::string_view{"otp_not_enrolled"}},
    std::pair{AuthFailure::HashCountMismatch, std::string_view{"hash_count_mismatch"}},
};

constexpr std::array kSignFailures{
    std::pair{SignFailure::InvalidSad, std::string_view{"invalid_sad"}},
    std::pair{SignFailure::SadExpired, std::string_view{"sad_expired"}},
    std::pair{SignFailure::HashNotAuthorised, std::string_view{"hash_not_authorised"}},
    std::pair{SignFailure::TooManyHashes, std::string_view{"too_many_hashes"}},
    std::pair{SignFailure::InvalidDigestLength, std::string_view{"invalid_digest_length"}},
    std::pair{SignFailure::CertificateExpired, std::string_view{"certificate_expired"}},
    std::pair{SignFailure::CredentialDisabled, std::string_view{"credential_disabled"}},
};

/// The name of `value` in a {value, name} table.
template <class E, std::size_t N>
std::string_view name_in(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
    for (const auto& [v, text] : table) {
        if (v == value) {
            return text;
        }
    }
    return "unknown";
}

/// Thrown for a refused request; `outcome` is what the audit entry records, `reason` what the caller's
/// protocol edge maps to its wire answer.
/// A refusal without a finer reason names its outcome itself ("not_found") and is a plain Error.
struct Refusal {
    Errc code;
    std::variant<std::string, AuthFailure, SignFailure, AlgorithmRefusal, QualifierRefusal> reason;
    std::string text;
    [[nodiscard]] std::string outcome() const {
        return std::visit(
            [](const auto& r) -> std::string {
                if constexpr (std::is_enum_v<std::decay_t<decltype(r)>>) {
                    return std::string{name(r)};
                } else {
                    return r;
                }
            },
            reason);
    }
    [[noreturn]] void raise() const {
        if (const auto* a = std::get_if<AuthFailure>(&reason)) {
            throw Refused<AuthFailure>{code, *a, text};
        }
        if (const auto* f = std::get_if<SignFailure>(&reason)) {
            throw Refused<SignFailure>{code, *f, text};
        }
        if (const auto* g = std::get_if<AlgorithmRefusal>(&reason)) {
            throw Refused<AlgorithmRefusal>{code, *g, text};
        }
        if (const auto* q = std::get_if<QualifierRefusal>(&reason)) {
            throw Refused<QualifierRefusal>{code, *q, text};
        }
        throw Error{code, text};
    }
};

/// Every refused request is on the record before the caller hears "no": audit, then throw.
[[noreturn]] void record_refusal(AuditLog& audit, AuditEvent& event, const nlohmann::json& details,
                                 const Refusal& r) {
    event.outcome = r.outcome();
    event.details = details.dump();
    audit.record(event);
    r.raise();
}

Refusal refuse(Errc code, AuthFailure f, std::string_view text) {
    return {code, f, std::string{text}};
}
Refusal refuse(Errc code, SignFailure f, std::string_view text) {
    return {code, f, std::string{text}};
}

/// What the audit log records for a SAD: the first 16 hex digits of the SHA-256 of its handle.
std::string sad_tag(ByteView handle_hash) {
    return hex_encode(handle_hash).substr(0, 16);
}

std::optional<Bytes> handle_hash_of(const Secret& sad) {
    if (sad.empty() || sad.size() > kMaxSadLength) {
        return std::nullopt;
    }
    return sha256(sad.reveal());
}

nlohmann::json hex_list(const std::vector<Bytes>& hashes) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& h : hashes) {
        out.push_back(hex_encode(h));
    }
    return out;
}

std::string new_handle() {
    Bytes raw = crypto::random_bytes(kSadBytes);
    std::string handle = base64url_encode(raw);
    secure_wipe(raw.data(), raw.size());
    return handle;
}

/// What the factor checks read and count with.
struct FactorStores {
    AuthorizationStore& store;
    CredentialStore& credentials;
    Accounts& accounts;
    const AuthorizationSettings& settings;
};
using Refuser = std::function<void(const Refusal&)>;  ///< audits and throws

void check_pin(const FactorStores& f, const Credential& credential, const std::string& user_id,
               const Secret* pin, nlohmann::json& details, const Refuser& refusal) {
    // The failure is counted BEFORE the slow argon2id check, in one statement: of a parallel burst of
    // wrong PINs at most max_pin_failures are ever judged; the rest find the counter past the limit and
    // meet the lock without a verification (and give their unjudged count back). A right PIN clears it.
    const int attempt = f.store.add_pin_failure(credential.id, user_id);
    if (attempt > f.settings.max_pin_failures) {
        f.store.undo_pin_failure(credential.id, user_id);
        details["pin_failures"] = attempt - 1;
        refusal(refuse(Errc::Locked, AuthFailure::PinLocked, "the PIN is locked"));
    }
    const auto pin_hash = f.credentials.pin_hash(credential.id, user_id);
    const bool pin_ok = pin != nullptr && !pin->empty() && pin_hash && verify_password(*pin_hash, *pin);
    if (!pin_ok) {
        details["pin_failures"] = attempt;
        if (attempt >= f.settings.max_pin_failures) {
            refusal(refuse(Errc::Locked, AuthFailure::PinLocked, "wrong PIN; the PIN is now locked"));
        }
        refusal(refuse(Errc::InvalidAuthData, AuthFailure::BadPin, "wrong PIN"));
    }
    f.store.reset_pin_failures(credential.id, user_id);
}

void check_otp(const FactorStores& f, const std::string& user_id, const Secret* otp, TimePoint now,
               nlohmann::json& details, const Refuser& refusal) {
    const auto seed = f.accounts.totp_secret(user_id);
    if (!seed) {
        refusal(refuse(Errc::InvalidAuthData, AuthFailure::OtpNotEnrolled,
                       "the user has no TOTP device enrolled"));
    }
    // Counted before it is judged, as the PIN (see check_pin).
    const int attempt = f.store.add_otp_failure(user_id);
    if (attempt > f.settings.max_otp_failures) {
        f.store.undo_otp_failure(user_id);
        details["otp_failures"] = attempt - 1;
        refusal(refuse(Errc::Locked, AuthFailure::OtpLocked, "the OTP is locked"));
    }
    // TOTP, ±window, each step accepted once per user.
    const auto step = (otp != nullptr && !otp->empty())
                          ? totp_match(*seed, otp->reveal(), now, f.settings.totp_window)
                          : std::nullopt;
    const bool fresh = step && f.store.use_otp_step(user_id, *step);
    if (step && !fresh) {
        // The right code, a second time within its step (a double submit, a client's retry, or a
        // shoulder-surfer racing the user): refused, but it proves knowledge of the seed rather than a
        // guess, so it does not count toward the lockout.
        f.store.undo_otp_failure(user_id);
        details["otp_failures"] = attempt - 1;
        details["otp_replayed"] = true;
        refusal(refuse(Errc::InvalidAuthData, AuthFailure::OtpReplayed,
                       "the OTP was already used; wait for the next one"));
    }
    if (!fresh) {
        details["otp_failures"] = attempt;
        if (attempt >= f.settings.max_otp_failures) {
            refusal(refuse(Errc::Locked, AuthFailure::OtpLocked, "wrong OTP; the OTP is now locked"));
        }
        refusal(refuse(Errc::InvalidAuthData, AuthFailure::BadOtp, "wrong OTP"));
    }
    f.store.reset_otp_failures(user_id);
}

}  // namespace

std::string_view name(AuthFailure f) {
    return name_in(kAuthFailures, f);
}
std::optional<AuthFailure> authorization_failure(const Error& e) {
    return reason_of<AuthFailure>(e);
}
std::string_view name(SignFailure f) {
    return name_in(kSignFailures, f);
}
std::optional<SignFailure> sign_failure(const Error& e) {
    return reason_of<SignFailure>(e);
}

Authorization::Authorization(CredentialStore& credentials, UserStore& users, Accounts& accounts,
                             AuthorizationStore& store, AuditLog& audit, hsm::Token& token,
                             const Clock& clock, AuthorizationSettings settings)
    : m_credentials{credentials},
      m_users{users},
      m_accounts{accounts},
      m_store{store},
      m_audit{audit},
      m_token{token},
      m_clock{clock},
      m_settings{settings},
      m_algorithms{m_settings.sign_algorithms} {
    require(m_settings.sad_lifetime.count() > 0 && m_settings.max_sad_lifetime.count() > 0,
            Errc::InvalidConfig, "SAD lifetimes must be positive");
    require(m_settings.max_pin_failures >= 1 && m_settings.max_otp_failures >= 1, Errc::InvalidConfig,
            "the PIN and OTP failure limits must be at least 1");
    require(m_settings.totp_window >= 0 && m_settings.totp_window <= 10, Errc::InvalidConfig,
            "the TOTP window must be 0..10 steps");
}

/// The caller's relation to the credential: the owner ("" member), a seal member (their id), or a
/// system client allowed this seal (""); nothing if the caller may not use it. A system client can
/// never reach a personal credential.
std::optional<std::string> Authorization::member_of(const Credential& c, const Caller& caller) const {
    if (caller.is_system()) {
        if (c.kind != CredentialKind::Seal || m_clients == nullptr) {
            return std::nullopt;
        }
        const auto client = m_clients->find(caller.client_id);
        if (!client || client->removed || !client->confidential ||
            std::find(client->seal_credentials.begin(), client->seal_credentials.end(), c.id) ==
                client->seal_credentials.end()) {
            return std::nullopt;
        }
        return std::string{};
    }
    if (caller.user_id.empty()) {
        return std::nullopt;
    }
    if (c.kind == CredentialKind::Personal) {
        if (c.owner_user_id == caller.user_id) {
            return std::string{};
        }
        return std::nullopt;
    }
    if (m_credentials.pin_hash(c.id, caller.user_id)) {
        return caller.user_id;
    }
    return std::nullopt;
}

IssuedSad Authorization::authorize(const Caller& caller, AuthorizeRequest request) {
    return authorize_with(caller, std::move(request),
                          caller.is_system() ? Factors::System : Factors::Explicit, std::nullopt);
}

IssuedSad Authorization::grant_credential(const Caller& caller, AuthorizeRequest request,
                                          std::chrono::seconds lifetime) {
    require(!caller.user_id.empty(), Errc::Internal, "grant_credential: a credential token needs a user");
    return authorize_with(caller, std::move(request), Factors::Verified, lifetime);
}

void Authorization::check_out_of_band(const Caller& caller, AuthorizeRequest request) {
    (void)authorize_with(caller, std::move(request), Factors::OutOfBand, std::nullopt);
}

IssuedSad Authorization::issue_approved(const Caller& caller, AuthorizeRequest request) {
    require(!caller.user_id.empty(), Errc::Internal, "issue_approved: an approval needs a user");
    return authorize_with(caller, std::move(request), Factors::Approved, std::nullopt);
}

IssuedSad Authorization::authorize_with(const Caller& caller, AuthorizeRequest request, Factors factors,
                                        std::optional<std::chrono::seconds> lifetime_override) {
    AuditEvent event;
    event.action = "authorize";
    event.user_id = caller.user_id;
    event.client_id = caller.client_id;
    event.credential_id = request.credential_id;
    std::vector<Bytes> hash_values;
    for (const auto& h : request.hashes) {
        hash_values.push_back(h.value);
    }
    nlohmann::json details{{"credential", request.credential_id},
                           {"num_signatures", request.num_signatures},
                           {"hashes", hex_list(hash_values)},
                           {"description", request.description}};
    if (factors == Factors::Verified) {
        details["via"] = "oauth2";
    } else if (factors == Factors::OutOfBand || factors == Factors::Approved) {
        details["via"] = "oob";
    } else if (factors == Factors::System) {
        details["via"] = "system_client";
    }
    const auto audit_refusal = [&](const Refusal& r) { record_refusal(m_audit, event, details, r); };

    const auto credential = m_credentials.find(request.credential_id);
    const auto member = credential ? member_of(*credential, caller) : std::nullopt;
    if (!credential || !member) {
        audit_refusal({Errc::NotFound, "not_found", "authorize: no credential " + request.credential_id});
    }
    event.member_id = *member;
    // CSC v1 §11.5 / v2 §11.5: an oauth2code credential is authorised only through oauth2/authorize
    // (scope=credential or RAR); credentials/authorize "MUST NOT be used" for it. Refused before any
    // factor is looked at, so no PIN failure is counted and no TOTP step is spent.
    if (credential->auth_mode == AuthMode::OAuth2Code && factors != Factors::Verified) {
        // Out of band too: the approval page is not the OAuth authorization server.
        audit_refusal(
            refuse(Errc::InvalidRequest, AuthFailure::OAuth2Required,
                   "the credential's authMode is oauth2code: it is authorised through OAuth2 only"));
    }
    if (credential->status != CredentialStatus::Active) {
        audit_refusal(
            refuse(Errc::InvalidRequest, AuthFailure::CredentialDisabled,
                   "credential " + credential->id + " is " + std::string{name(credential->status)}));
    }
    if (request.num_signatures < 1) {
        audit_refusal({Errc::InvalidRequest, "invalid_request", "numSignatures must be at least 1"});
    }
    if (request.num_signatures > credential->multisign) {
        audit_refusal(refuse(
            Errc::InvalidRequest, AuthFailure::TooManySignatures,
            "numSignatures exceeds the credential's multisign of " + std::to_string(credential->multisign)));
    }
    if (credential->scal == 2 && request.hashes.empty()) {
        audit_refusal(refuse(Errc::InvalidRequest, AuthFailure::HashesRequired,
                             "the credential is SCAL 2: hashes are required"));
    }
    if (!request.hashes.empty() &&
        request.hashes.size() != static_cast<std::size_t>(request.num_signatures)) {
        audit_refusal(refuse(Errc::InvalidRequest, AuthFailure::HashCountMismatch,
                             "the number of hashes must equal numSignatures"));
    }
    for (const auto& h : request.hashes) {
        if (h.value.size() != crypto::digest_length(h.algorithm)) {
            audit_refusal({Errc::InvalidRequest, "invalid_digest_length",
                           "a hash's length does not match " + std::string{crypto::spec(h.algorithm).name}});
        }
    }
    if (request.expires_in && request.expires_in->count() <= 0) {
        audit_refusal({Errc::InvalidRequest, "invalid_request", "expiresIn must be positive"});
    }

    if (factors == Factors::System && (request.pin || request.otp)) {
        audit_refusal(refuse(Errc::InvalidRequest, AuthFailure::FactorsNotAccepted,
                             "a system client authorizes its seals without PIN or OTP"));
    }
    const TimePoint now = m_clock.now();
    // Explicit factors only for a human through credentials/authorize: a system client has none, and
    // an OAuth credential grant's were checked by the login pages.
    // Lockouts first: a locked factor is not even checked (no oracle for a locked PIN). Every explicit
    // authorisation needs an OTP: without a device the PIN is not even looked at (nothing counted) and the
    // refusal says what is missing (decision 0027). The same holds before an out-of-band approval.
    const auto refuse_locked_or_unenrolled = [&] {
        if (m_store.pin_failures(credential->id, caller.user_id) >= m_settings.max_pin_failures) {
            audit_refusal(refuse(Errc::Locked, AuthFailure::PinLocked, "the PIN is locked"));
        }
        if (m_store.otp_failures(caller.user_id) >= m_settings.max_otp_failures) {
            audit_refusal(refuse(Errc::Locked, AuthFailure::OtpLocked, "the OTP is locked"));
        }
        if (!m_accounts.totp_secret(caller.user_id)) {
            audit_refusal(refuse(Errc::InvalidAuthData, AuthFailure::OtpNotEnrolled,
                                 "the user has no TOTP device enrolled"));
        }
    };
    if (factors == Factors::Explicit) {
        refuse_locked_or_unenrolled();
        check_pin(FactorStores{m_store, m_credentials, m_accounts, m_settings}, *credential, caller.user_id,
                  request.pin ? &*request.pin : nullptr, details, audit_refusal);
        check_otp(FactorStores{m_store, m_credentials, m_accounts, m_settings}, caller.user_id,
                  request.otp ? &*request.otp : nullptr, now, details, audit_refusal);
        m_store.reset_pin_failures(credential->id, caller.user_id);
        m_store.reset_otp_failures(caller.user_id);
    } else if (factors == Factors::OutOfBand) {
        // Nothing is granted now: the signer approves on the page. What would stop them there is said at
        // once (locked factors, no authenticator app), so the client does not show a page that cannot work.
        if (caller.is_system() || caller.user_id.empty()) {
            audit_refusal(refuse(Errc::InvalidRequest, AuthFailure::FactorsNotAccepted,
                                 "out-of-band approval is for a human signer"));
        }
        refuse_locked_or_unenrolled();
        event.outcome = "pending";
        event.details = details.dump();
        m_audit.record(event);
        return {};
    } else if ((factors == Factors::Verified || factors == Factors::Approved) &&
               credential->auth_mode == AuthMode::Explicit && !request.pin_verified) {
        // An explicit-mode credential has a PIN: the OAuth pages' password and one-time code prove the
        // user, not the credential's activation (EN 419 241-2: the signer's own activation data). The
        // consent page checks it (verify_pin); a grant without that check signs nothing.
        audit_refusal(refuse(Errc::InvalidAuthData, AuthFailure::BadPin,
                             "the credential's PIN was not verified on the consent page"));
    }

    const auto lifetime = lifetime_override ? *lifetime_override
                                            : std::min(request.expires_in.value_or(m_settings.sad_lifetime),
                                                       m_settings.max_sad_lifetime);
    IssuedSad issued;
    issued.sad = new_handle();
    issued.expires_in = lifetime.count();
    SadRecord record;
    record.id = crypto::random_hex(16);
    record.handle_hash = sha256(issued.sad);
    record.user_id = caller.user_id;
    record.client_id = caller.client_id;
    record.credential_id = credential->id;
    record.member_id = *member;
    record.scal = credential->scal;
    record.remaining = request.num_signatures;
    if (credential->scal == 2) {
        for (const auto& h : request.hashes) {
            record.hashes.emplace_back(std::string{crypto::spec(h.algorithm).oid}, h.value);
        }
    }
    record.expires_at = now + lifetime;
    record.hard_expires_at = now + std::max(lifetime, m_settings.hard_limit());
    record.origin = factors == Factors::Verified ? SadOrigin::OAuthGrant : SadOrigin::Authorize;
    m_store.insert_sad(record);

    details["sad"] = sad_tag(record.handle_hash);
    details["expires_in"] = issued.expires_in;
    event.outcome = "ok";
    event.details = details.dump();
    m_audit.record(event);
    return issued;
}

std::optional<std::string> Authorization::binding_problem(const SadRecord& sad, const Caller& caller) const {
    // The SAD was issued to one caller: the same user AND the same client (a human's token from another
    // client holds no SAD of this one), whatever the bearer is.
    if (sad.user_id != caller.user_id || sad.client_id != caller.client_id) {
        return "the SAD was issued to another caller";
    }
    if (!sad.user_id.empty()) {
        const auto user = m_users.find_by_id(sad.user_id);
        if (!user || user->locked) {
            return "the SAD's user is locked";
        }
    }
    if (!sad.client_id.empty() && m_clients != nullptr) {
        const auto client = m_clients->find(sad.client_id);
        if (client && client->removed) {
            return "the SAD's client was removed";
        }
    }
    return std::nullopt;
}

IssuedSad Authorization::extend(const Caller& caller, std::string_view credential_id, const Secret& sad,
                                std::vector<AuthorisedHash> hashes) {
    AuditEvent event;
    event.action = "extend";
    event.user_id = caller.user_id;
    event.client_id = caller.client_id;
    event.credential_id = std::string{credential_id};
    std::vector<Bytes> hash_values;
    for (const auto& h : hashes) {
        hash_values.push_back(h.value);
    }
    nlohmann::json details{{"credential", credential_id}, {"hashes", hex_list(hash_values)}};
    const auto audit_refusal = [&](const Refusal& r) { record_refusal(m_audit, event, details, r); };

    const auto credential = m_credentials.find(credential_id);
    const auto member = credential ? member_of(*credential, caller) : std::nullopt;
    if (!credential || !member) {
        audit_refusal({Errc::NotFound, "not_found", "extend: no credential " + std::string{credential_id}});
    }
    event.member_id = *member;
    if (credential->status != CredentialStatus::Active) {
        audit_refusal(
            refuse(Errc::InvalidRequest, SignFailure::CredentialDisabled, "the credential is disabled"));
    }
    const auto old_hash = handle_hash_of(sad);
    if (!old_hash) {
        audit_refusal(refuse(Errc::InvalidAuthData, SignFailure::InvalidSad, "unknown SAD"));
    }
    details["old_sad"] = sad_tag(*old_hash);
    if (!hashes.empty() && credential->scal != 2) {
        audit_refusal({Errc::InvalidRequest, "invalid_request", "hashes are bound only at SCAL 2"});
    }
    for (const auto& h : hashes) {
        if (h.value.size() != crypto::digest_length(h.algorithm)) {
            audit_refusal(refuse(Errc::InvalidRequest, SignFailure::InvalidDigestLength,
                                 "a hash's length does not match its algorithm"));
        }
    }
    const auto old = m_store.find_sad(*old_hash);
    if (!old || binding_problem(*old, caller)) {
        if (old) {
            details["problem"] = *binding_problem(*old, caller);
        }
        audit_refusal(refuse(Errc::InvalidAuthData, SignFailure::InvalidSad, "the SAD is not valid"));
    }

    // What the renewed SAD allows: never more than the old one still did (CSC v1 §11.8 / v2 §11.9 renew
    // a transaction; they do not authorise new hashes — that takes the signer's PIN and OTP again).
    SadRecord replacement;
    replacement.id = crypto::random_hex(16);
    replacement.user_id = caller.user_id;
    replacement.client_id = caller.client_id;
    replacement.credential_id = credential->id;
    replacement.member_id = *member;
    replacement.scal = credential->scal;
    if (credential->scal == 2 && !hashes.empty()) {
        for (const auto& h : hashes) {
            replacement.hashes.emplace_back(std::string{crypto::spec(h.algorithm).oid}, h.value);
        }
        replacement.remaining = static_cast<int>(replacement.hashes.size());
    } else if (credential->scal == 2) {
        replacement.hashes = old->hashes;  // all that are authorised and not yet signed
        replacement.remaining = static_cast<int>(replacement.hashes.size());
    } else {
        replacement.remaining = old->remaining;
    }

    const TimePoint now = m_clock.now();
    IssuedSad issued;
    issued.sad = new_handle();
    replacement.handle_hash = sha256(issued.sad);
    const auto lifetime = std::min(m_settings.sad_lifetime, m_settings.max_sad_lifetime);
    replacement.expires_at = now + lifetime;
    if (const auto reason =
            m_store.replace_sad(*old_hash, caller.user_id, credential->id, replacement, now)) {
        audit_refusal([&] {
            switch (*reason) {
                case SpendRefusal::Expired:
                    return refuse(Errc::InvalidAuthData, SignFailure::SadExpired,
                                  "the SAD has expired, or its authorisation's hard limit has passed");
                case SpendRefusal::Hash:
                    return refuse(Errc::InvalidRequest, SignFailure::HashNotAuthorised,
                                  "Hash is not authorized by the SAD");
                case SpendRefusal::Count:
                    return refuse(Errc::InvalidRequest, SignFailure::TooManyHashes,
                                  "more signatures than the SAD still allows");
                case SpendRefusal::Invalid:
                    break;
            }
            return refuse(Errc::InvalidAuthData, SignFailure::InvalidSad, "the SAD is not valid");
        }());
    }
    // The store capped the expiry at the original authorisation's hard limit.
    const auto renewed = m_store.find_sad(replacement.handle_hash);
    const auto left =
        renewed ? std::chrono::duration_cast<std::chrono::seconds>(renewed->expires_at - now) : lifetime;
    issued.expires_in = std::max<std::int64_t>(1, left.count());
    details["sad"] = sad_tag(replacement.handle_hash);
    details["expires_in"] = issued.expires_in;
    event.outcome = "ok";
    event.details = details.dump();
    m_audit.record(event);
    return issued;
}

/// What spend() needs besides the request: the audit entry under way and its details. `event` with
/// `details` is what the consuming transaction records as the signature's entry (outcome "ok").
struct Authorization::Spend {
    AuditEvent& event;
    nlohmann::json& details;
};

SigningCredential Authorization::signing_credential(const Caller& caller, const std::string& credential_id,
                                                    std::string_view action, const std::string& qualifier) {
    AuditEvent event;
    event.action = std::string{action};
    event.user_id = caller.user_id;
    event.client_id = caller.client_id;
    event.credential_id = credential_id;
    nlohmann::json details{{"credential", credential_id}};
    Spend s{event, details};
    if (qualifier.empty()) {
        return find_signing_credential(caller, credential_id, s);
    }
    details["signature_qualifier"] = qualifier;
    const auto refuse_qualifier = [&](QualifierRefusal r, std::string text) {
        record_refusal(m_audit, event, details, Refusal{Errc::InvalidRequest, r, std::move(text)});
    };
    if (!is_signature_qualifier(qualifier)) {
        refuse_qualifier(QualifierRefusal::Unknown, "not a registered signatureQualifier");
    }
    if (!credential_id.empty()) {
        // Both named: they must agree (csc-api.md signDoc allows both).
        SigningCredential named = find_signing_credential(caller, credential_id, s);
        if (named.credential.signature_qualifier != qualifier) {
            refuse_qualifier(QualifierRefusal::Mismatch, "the credential has another signatureQualifier");
        }
        return named;
    }
    std::optional<Credential> chosen;
    for (auto& c : credentials_visible_to(m_credentials, m_clients, caller)) {
        if (c.status != CredentialStatus::Active || c.signature_qualifier != qualifier) {
            continue;
        }
        if (chosen) {
            refuse_qualifier(QualifierRefusal::Ambiguous, "several credentials have this signatureQualifier");
        }
        chosen = std::move(c);
    }
    if (!chosen || !member_of(*chosen, caller)) {
        refuse_qualifier(QualifierRefusal::NoneHeld,
                         "no credential of the caller has this signatureQualifier");
    }
    event.credential_id = chosen->id;
    const KeyFacts key = key_facts(*chosen);
    return SigningCredential{std::move(*chosen), key};
}

std::string_view name(QualifierRefusal r) {
    switch (r) {
        case QualifierRefusal::Unknown:
            return "unknown_qualifier";
        case QualifierRefusal::Mismatch:
            return "qualifier_mismatch";
        case QualifierRefusal::NoneHeld:
            return "qualifier_none_held";
        case QualifierRefusal::Ambiguous:
            return "qualifier_ambiguous";
    }
    return "unknown";
}

SigningCredential Authorization::find_signing_credential(const Caller& caller,
                                                         const std::string& credential_id, Spend& s) {
    auto credential = m_credentials.find(credential_id);
    if (!credential || !member_of(*credential, caller)) {
        record_refusal(m_audit, s.event, s.details,
                       {Errc::NotFound, "not_found", "no credential " + credential_id + " for this caller"});
    }
    const KeyFacts key = key_facts(*credential);
    return SigningCredential{std::move(*credential), key};
}

pki::Certificate Authorization::spend(const Caller& caller, const Credential& credential, const Secret& sad,
                                      const std::vector<SpendItem>& items, Spend& s) {
    const auto audit_refusal = [&](const Refusal& r) { record_refusal(m_audit, s.event, s.details, r); };

    if (credential.status != CredentialStatus::Active || credential.chain.empty()) {
        audit_refusal(
            refuse(Errc::InvalidRequest, SignFailure::CredentialDisabled, "the credential is not active"));
    }
    const auto handle_hash = handle_hash_of(sad);
    if (!handle_hash) {
        audit_refusal(refuse(Errc::InvalidAuthData, SignFailure::InvalidSad, "unknown SAD"));
    }
    s.details["sad"] = sad_tag(*handle_hash);
    if (items.empty()) {
        audit_refusal({Errc::InvalidRequest, "invalid_request", "no hashes to sign"});
    }
    // Parsed once for the request: its validity here, its public key for the signer after the spend.
    pki::Certificate cert = [&] {
        try {
            return pki::Certificate::from_der(credential.chain.front());
        } catch (const Error& e) {
            // Our own stored data: not the caller's fault.
            throw Error{Errc::Internal,
                        "credential " + credential.id + ": stored certificate does not parse: " + e.detail()};
        }
    }();
    const TimePoint now = m_clock.now();
    if (cert.not_after() < now) {
        audit_refusal(refuse(Errc::InvalidRequest, SignFailure::CertificateExpired,
                             "Signing certificate '" + cert.subject() + "' is expired"));
    }

    // Spend the SAD: one store transaction, all or nothing.
    std::vector<std::pair<std::string, Bytes>> to_consume;
    if (credential.scal == 2) {
        for (const auto& item : items) {
            to_consume.emplace_back(std::string{crypto::spec(item.algorithm.digest).oid}, item.hash);
        }
    }
    const auto sad_record = m_store.find_sad(*handle_hash);
    if (sad_record && sad_record->user_id == caller.user_id) {
        s.event.member_id = sad_record->member_id;
    }
    // Bound to user AND client, human or system; a locked user or a removed client spends nothing it
    // was given before. Neither binding changes after issue, and a lock that lands between this check
    // and the spend is a race an operator cannot observe either way.
    if (!sad_record) {
        audit_refusal(refuse(Errc::InvalidAuthData, SignFailure::InvalidSad, "Invalid parameter SAD"));
    }
    if (const auto problem = binding_problem(*sad_record, caller)) {
        s.details["problem"] = *problem;
        audit_refusal(refuse(Errc::InvalidAuthData, SignFailure::InvalidSad, "Invalid parameter SAD"));
    }
    // The entry that says this signature happens: appended in the consuming transaction, so it is on disk
    // (synchronous=FULL) before the HSM is asked and before any signature value can leave the process.
    AuditEvent spent = s.event;
    spent.outcome = "ok";
    spent.details = s.details.dump();
    if (const auto reason =
            m_store.consume(*handle_hash, caller.user_id, credential.id, to_consume,
                            static_cast<int>(items.size()), now, m_audit.entry_builder(std::move(spent)))) {
        audit_refusal([&] {
            switch (*reason) {
                case SpendRefusal::Expired:
                    return refuse(Errc::InvalidAuthData, SignFailure::SadExpired, "SAD expired");
                case SpendRefusal::Hash:
                    return refuse(Errc::InvalidRequest, SignFailure::HashNotAuthorised,
                                  "Hash is not authorized by the SAD");
                case SpendRefusal::Count:
                    return refuse(Errc::InvalidRequest, SignFailure::TooManyHashes,
                                  "more hashes than the SAD still allows");
                case SpendRefusal::Invalid:
                    break;
            }
            return refuse(Errc::InvalidAuthData, SignFailure::InvalidSad, "Invalid parameter SAD");
        }());
    }
    return cert;
}

std::vector<Bytes> Authorization::sign_hash(const Caller& caller, SignHashRequest request) {
    return spend_hashes(caller, std::move(request))();
}

std::function<std::vector<Bytes>()> Authorization::spend_hashes(const Caller& caller,
                                                                SignHashRequest request) {
    AuditEvent event;
    event.action = "sign";
    event.user_id = caller.user_id;
    event.client_id = caller.client_id;
    event.credential_id = request.credential_id;
    // One audit entry per signHash request, listing every hash it signs: each signature is on the record,
    // and a batch of 16 costs one transaction (the spend's), not 16.
    nlohmann::json details{{"credential", request.credential_id},
                           {"hashes", hex_list(request.hashes)},
                           {"signed", request.hashes.size()}};
    Spend s{event, details};
    const auto audit_refusal = [&](const Refusal& r) { record_refusal(m_audit, event, details, r); };

    // The credential read and its key's scheme decided once for the request (decision 0043).
    SigningCredential signing = find_signing_credential(caller, request.credential_id, s);
    crypto::SignatureAlgorithm algorithm;
    try {
        algorithm = m_algorithms.resolve(signing.key.type, request.algorithm);
    } catch (const Refused<AlgorithmRefusal>& e) {
        audit_refusal({e.code(), e.reason(), e.detail()});
    }
    const std::string alg_name{crypto::name(algorithm)};
    details["algorithm"] = alg_name;
    const std::size_t length = crypto::digest_length(algorithm.digest);
    for (const auto& h : request.hashes) {
        if (h.size() != length) {
            audit_refusal(refuse(Errc::InvalidRequest, SignFailure::InvalidDigestLength,
                                 "Invalid digest value length"));
        }
    }
    std::vector<SpendItem> items;
    items.reserve(request.hashes.size());
    for (const auto& h : request.hashes) {
        items.push_back(SpendItem{h, algorithm});
    }
    pki::Certificate leaf = spend(caller, signing.credential, request.sad, items, s);

    // The SAD is spent and its entry durable. What follows may run now or later on another thread
    // (operationMode "A"); it runs at most once, and a failure in it never un-spends anything. Signed
    // through the same sign::Signer as signDoc, the TSA and the CA; the key is the certificate's (no
    // token round trip to find it).
    auto signer = std::make_shared<sign::HsmSigner>(m_token, signing.credential.key_id, leaf.public_key(),
                                                    std::vector<Bytes>{});
    return [this, event = std::move(event), sad_tag = details["sad"], credential_id = signing.credential.id,
            signer = std::move(signer), algorithm, hashes = std::move(request.hashes), alg_name]() mutable {
        std::vector<Bytes> signatures;
        signatures.reserve(hashes.size());
        for (const auto& h : hashes) {
            try {
                signatures.push_back(signer->sign(algorithm, h));
            } catch (const Error& e) {
                // The hashes stay consumed (see the top of this file). The spend's entry is on the record;
                // this one says that not all of its signatures were produced (and none was returned).
                event.outcome = "hsm_failure";
                event.details = nlohmann::json{{"credential", credential_id},
                                               {"sad", sad_tag},
                                               {"signed", signatures.size()},
                                               {"returned", 0},
                                               {"error", std::string{errc_name(e.code())}}}
                                    .dump();
                m_audit.record(event);
                throw;
            }
        }
        if (m_on_signatures) {
            m_on_signatures(alg_name, signatures.size());
        }
        return signatures;
    };
}

void Authorization::sign_documents(const Caller& caller, SigningCredential credential,
                                   DocumentSignRequest request,
                                   const std::function<void(sign::Signer&)>& produce) {
    spend_documents(caller, std::move(credential), std::move(request))(produce);
}

Authorization::DocumentRun Authorization::spend_documents(const Caller& caller, SigningCredential signing,
                                                          DocumentSignRequest request) {
    AuditEvent event;
    event.action = "sign_doc";
    event.user_id = caller.user_id;
    event.client_id = caller.client_id;
    event.credential_id = signing.credential.id;
    nlohmann::json documents = nlohmann::json::array();
    std::vector<SpendItem> items;
    items.reserve(request.documents.size());
    std::vector<std::string> algorithms;
    for (const auto& doc : request.documents) {
        documents.push_back({{"hash", hex_encode(doc.hash)},
                             {"hash_algorithm", std::string{crypto::spec(doc.algorithm.digest).name}},
                             {"algorithm", std::string{crypto::name(doc.algorithm)}},
                             {"format", doc.format}});
        items.push_back(SpendItem{doc.hash, doc.algorithm});
        algorithms.emplace_back(crypto::name(doc.algorithm));
    }
    nlohmann::json details{{"credential", signing.credential.id},
                           {"documents", documents},
                           {"signed", request.documents.size()}};
    Spend s{event, details};
    pki::Certificate leaf = spend(caller, signing.credential, request.sad, items, s);

    // The SAD is spent and its entry durable: whatever happens now (here, or later on a worker for
    // operationMode "A"), it stays spent (see the top of this file); a failure gets an entry of its own,
    // and no document is returned.
    auto signer = std::make_shared<sign::HsmSigner>(m_token, signing.credential.key_id, leaf.public_key(),
                                                    signing.credential.chain);
    return [this, event = std::move(event), sad_tag = details["sad"], credential_id = signing.credential.id,
            signer = std::move(signer),
            algorithms = std::move(algorithms)](const std::function<void(sign::Signer&)>& produce) mutable {
        try {
            produce(*signer);
        } catch (const Error& e) {
            event.outcome =
                e.code() == Errc::HsmFailure || e.code() == Errc::HsmUnavailable ? "hsm_failure" : "failed";
            event.details = nlohmann::json{{"credential", credential_id},
                                           {"sad", sad_tag},
                                           {"returned", 0},
                                           {"error", std::string{errc_name(e.code())}}}
                                .dump();
            m_audit.record(event);
            throw;
        }
        if (m_on_signatures) {
            for (const auto& a : algorithms) {
                m_on_signatures(a, 1);
            }
        }
    };
}

void Authorization::verify_otp(std::string_view user_id, std::string_view client_id, const Secret& otp,
                               std::string_view action) {
    AuditEvent event;
    event.action = std::string{action};
    event.user_id = std::string{user_id};
    event.client_id = std::string{client_id};
    nlohmann::json details = nlohmann::json::object();
    const auto audit_refusal = [&](const Refusal& r) { record_refusal(m_audit, event, details, r); };
    if (m_store.otp_failures(user_id) >= m_settings.max_otp_failures) {
        audit_refusal(refuse(Errc::Locked, AuthFailure::OtpLocked, "the OTP is locked"));
    }
    check_otp(FactorStores{m_store, m_credentials, m_accounts, m_settings}, event.user_id, &otp,
              m_clock.now(), details, audit_refusal);
    m_store.reset_otp_failures(user_id);
    event.outcome = "ok";
    event.details = details.dump();
    m_audit.record(event);
}

void Authorization::verify_pin(const Caller& caller, std::string_view credential_id, const Secret& pin,
                               std::string_view action) {
    AuditEvent event;
    event.action = std::string{action};
    event.user_id = caller.user_id;
    event.client_id = caller.client_id;
    event.credential_id = std::string{credential_id};
    nlohmann::json details{{"credential", credential_id}};
    const auto audit_refusal = [&](const Refusal& r) { record_refusal(m_audit, event, details, r); };
    const auto credential = m_credentials.find(credential_id);
    const auto member = credential && !caller.is_system() ? member_of(*credential, caller) : std::nullopt;
    if (!credential || !member) {
        audit_refusal(
            {Errc::NotFound, "not_found", "verify PIN: no credential " + std::string{credential_id}});
    }
    event.member_id = *member;
    if (m_store.pin_failures(credential->id, caller.user_id) >= m_settings.max_pin_failures) {
        audit_refusal(refuse(Errc::Locked, AuthFailure::PinLocked, "the PIN is locked"));
    }
    check_pin(FactorStores{m_store, m_credentials, m_accounts, m_settings}, *credential, caller.user_id, &pin,
              details, audit_refusal);
    m_store.reset_pin_failures(credential->id, caller.user_id);
    event.outcome = "ok";
    event.details = details.dump();
    m_audit.record(event);
}

std::optional<Authorization::CredentialToken> Authorization::credential_token(const Secret& token) const {
    const auto hash = handle_hash_of(token);
    if (!hash) {
        return std::nullopt;
    }
    const auto sad = m_store.find_sad(*hash);
    // A SAD from credentials/authorize is not a bearer (CSC v2 §8.4 names only the credential-scope
    // access token): accepting it would let whoever saw a SAD in transit call signHash without a token.
    if (!sad || sad->retired || sad->origin != SadOrigin::OAuthGrant || sad->expires_at <= m_clock.now()) {
        return std::nullopt;
    }
    return CredentialToken{Caller{sad->user_id, sad->client_id, sad->id}, sad->credential_id};
}

bool Authorization::revoke_credential_token(ByteView handle_hash, std::string_view reason) {
    const auto sad = m_store.find_sad(handle_hash);
    if (!sad || sad->origin != SadOrigin::OAuthGrant || sad->client_id.empty() ||
        !m_store.retire_for_client(handle_hash, sad->client_id)) {
        return false;
    }
    AuditEvent event;
    event.action = "sad.revoke";
    event.outcome = "ok";
    event.client_id = sad->client_id;
    event.user_id = sad->user_id;
    event.credential_id = sad->credential_id;
    event.details = nlohmann::json{{"sad", sad_tag(handle_hash)}, {"via", reason}}.dump();
    m_audit.record(event);
    return true;
}

bool Authorization::revoke_for_client(std::string_view client_id, const Secret& token) {
    const auto hash = handle_hash_of(token);
    if (client_id.empty() || !hash || !m_store.retire_for_client(*hash, client_id)) {
        return false;
    }
    AuditEvent event;
    event.action = "sad.revoke";
    event.outcome = "ok";
    event.client_id = std::string{client_id};
    if (const auto sad = m_store.find_sad(*hash)) {
        event.user_id = sad->user_id;
        event.credential_id = sad->credential_id;
    }
    event.details = nlohmann::json{{"sad", sad_tag(*hash)}, {"via", "oauth2/revoke"}}.dump();
    m_audit.record(event);
    return true;
}

Authorization::FactorLock Authorization::otp_lock(std::string_view user_id) const {
    const int failures = m_store.otp_failures(user_id);
    return {failures, failures >= m_settings.max_otp_failures};
}

Authorization::FactorLock Authorization::pin_lock(std::string_view credential_id,
                                                  std::string_view user_id) const {
    const int failures = m_store.pin_failures(credential_id, user_id);
    return {failures, failures >= m_settings.max_pin_failures};
}

void Authorization::unlock_credential(std::string_view credential_id, std::string_view operator_name) {
    require(m_credentials.find(credential_id).has_value(), Errc::NotFound,
            "no credential " + std::string{credential_id});
    m_store.reset_credential_pin_failures(credential_id);
    AuditEvent event;
    event.action = "credential.unlock";
    event.outcome = "ok";
    event.credential_id = std::string{credential_id};
    event.operator_name = std::string{operator_name};
    event.details = nlohmann::json{{"credential", credential_id}}.dump();
    m_audit.record(event);
}

void Authorization::unlock_otp(std::string_view user_name, std::string_view operator_name) {
    const auto user = m_users.find_by_name(user_name);
    require(user.has_value(), Errc::NotFound, "no user " + std::string{user_name});
    m_store.reset_otp_failures(user->id);
    AuditEvent event;
    event.action = "user.unlock_otp";
    event.outcome = "ok";
    event.user_id = user->id;
    event.operator_name = std::string{operator_name};
    event.details = nlohmann::json{{"user", user_name}}.dump();
    m_audit.record(event);
}

}  // namespace inkan::service
