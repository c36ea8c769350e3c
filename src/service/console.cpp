// The operator console's sign-in and sessions (console.h, decision 0041).

#include <inkan/service/console.h>

#include <nlohmann/json.hpp>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/crypto/random.h>

#include "login_audit.h"
#include "secret_handles.h"

namespace inkan::service {

namespace {

using detail::new_secret;
using detail::sha256;

constexpr std::size_t kMaxSecretLength = 256;

bool console_role(Role r) {
    return r == Role::Operator || r == Role::Auditor;
}

[[noreturn]] void unauthenticated(std::string_view why) {
    throw Error{Errc::Unauthenticated, "console session: " + std::string{why}};
}

}  // namespace

Console::Console(ConsoleSessionStore& store, Accounts& accounts, Authorization& authorization,
                 AuditLog& audit, const Clock& clock, ConsoleSettings settings)
    : m_store{store},
      m_accounts{accounts},
      m_authorization{authorization},
      m_audit{audit},
      m_clock{clock},
      m_settings{settings} {
    require(m_settings.idle >= std::chrono::seconds{60} && m_settings.idle <= m_settings.absolute &&
                m_settings.absolute <= std::chrono::hours{24 * 7},
            Errc::InvalidConfig, "console timeouts: 60 s <= idle <= absolute <= 7 days");
}

ConsoleSignIn Console::sign_in(std::string_view name, const Secret& password, const Secret& otp) {
    const PasswordCheck check = m_accounts.check_password(name, password);
    const auto refuse = [&](std::string_view outcome) {
        AuditEvent e;
        e.action = "console.login";
        e.outcome = std::string{outcome};
        nlohmann::json details = nlohmann::json::object();
        if (check.user) {
            e.user_id = check.user->id;
        }
        detail::add_tried_name(details, name);  // the name tried, never the password
        if (check.verdict != PasswordVerdict::Unknown) {
            details["password_failures"] = check.failures;
        }
        e.details = details.dump();
        m_audit.record(e);
        throw Error{Errc::InvalidAuthData, "console sign-in failed: " + std::string{outcome}};
    };
    if (!check.ok()) {
        refuse(service::name(check.verdict));
    }
    if (check.user->locked) {
        refuse("locked");
    }
    if (!console_role(check.user->role)) {
        // A signer's right password opens nothing here; said like a wrong one (no role enumeration).
        refuse("not_operator_or_auditor");
    }
    // The second factor: OTP lockout and replay rules of the API, audited there as console.otp.
    m_authorization.verify_otp(check.user->id, {}, otp, "console.otp");

    std::string secret = new_secret();
    ConsoleSessionRecord r;
    r.id = crypto::random_hex(16);
    r.token_hash = sha256(secret);
    r.user_id = check.user->id;
    r.created_at = m_clock.now();
    r.last_seen = r.created_at;
    // Sessions past the absolute timeout are dead whatever else holds: each sign-in sweeps them away, so
    // the table stays the size of the sessions of one working day.
    (void)m_store.purge(r.created_at - m_settings.absolute);
    m_store.insert(r);

    AuditEvent e;
    e.action = "console.login";
    e.outcome = "ok";
    e.user_id = r.user_id;
    e.operator_name = check.user->name;
    e.details = nlohmann::json{{"session", r.id}, {"role", service::name(check.user->role)}}.dump();
    m_audit.record(e);
    return {Secret{std::move(secret)}, ConsoleUser{r.user_id, check.user->name, check.user->role, r.id}};
}

ConsoleUser Console::authenticate(const Secret& session) {
    if (session.empty() || session.size() > kMaxSecretLength) {
        unauthenticated("none");
    }
    const auto row = m_store.find(sha256(session.reveal()));
    if (!row || row->revoked) {
        unauthenticated("unknown or signed out");
    }
    const TimePoint now = m_clock.now();
    if (now - row->created_at >= m_settings.absolute) {
        unauthenticated("past the absolute timeout");
    }
    if (now - row->last_seen >= m_settings.idle) {
        unauthenticated("idle too long");
    }
    const auto user = m_accounts.find_by_id(row->user_id);
    if (!user || user->locked || !console_role(user->role)) {
        // Locked or demoted while signed in: the session ends now, not at its timeout.
        (void)m_store.revoke(row->id);
        unauthenticated("the account is locked or no longer operator or auditor");
    }
    if (!m_store.touch(row->id, now, now - m_settings.idle)) {
        unauthenticated("ended meanwhile");
    }
    return {user->id, user->name, user->role, row->id};
}

ConsoleUser Console::account(std::string_view user_id) const {
    const auto user = m_accounts.find_by_id(user_id);
    if (!user || user->locked || !console_role(user->role)) {
        throw Error{Errc::Forbidden, "the console needs an operator or auditor account"};
    }
    return {user->id, user->name, user->role, {}};
}

std::string Console::csrf_token(const Secret& session) {
    return base64url_encode(sha256("inkan-console-csrf:" + std::string{session.reveal()}));
}

void Console::check_csrf(const Secret& session, std::string_view token) {
    const std::string expected = csrf_token(session);
    if (token.size() != expected.size() || !equal_constant_time(as_bytes(token), as_bytes(expected))) {
        throw Error{Errc::Forbidden, "console: the CSRF token is missing or wrong"};
    }
}

void Console::sign_out(const Secret& session) {
    if (session.empty() || session.size() > kMaxSecretLength) {
        return;
    }
    const auto row = m_store.find(sha256(session.reveal()));
    if (!row || !m_store.revoke(row->id)) {
        return;
    }
    AuditEvent e;
    e.action = "console.logout";
    e.outcome = "ok";
    e.user_id = row->user_id;
    if (const auto user = m_accounts.find_by_id(row->user_id)) {
        e.operator_name = user->name;
    }
    e.details = nlohmann::json{{"session", row->id}}.dump();
    m_audit.record(e);
}

void Console::require_operator(const ConsoleUser& who) {
    if (!who.may_change()) {
        throw Error{Errc::Forbidden, "auditors read; only an operator may change this"};
    }
}

}  // namespace inkan::service
