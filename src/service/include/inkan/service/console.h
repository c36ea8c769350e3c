#pragma once

// The operator console's sign-in and sessions (issue 18, decision 0041): accounts of role operator or
// auditor sign in with their password and one-time code (the API's counters, lockouts and replay rules),
// get a session whose secret only the browser holds (the store keeps its SHA-256), which ends after an idle
// and an absolute timeout or at sign-out. Auditors read; only operators change (require_operator).

#include <chrono>
#include <string>
#include <string_view>

#include <inkan/core/clock.h>
#include <inkan/core/secret.h>
#include <inkan/service/accounts.h>
#include <inkan/service/audit.h>
#include <inkan/service/authorization.h>
#include <inkan/service/model.h>
#include <inkan/service/ports.h>

namespace inkan::service {

/// [console] idle_timeout_seconds and absolute_timeout_seconds.
struct ConsoleSettings {
    std::chrono::seconds idle{std::chrono::minutes{15}};
    std::chrono::seconds absolute{std::chrono::hours{8}};
};

/// Who uses the console: a signed-in operator or auditor.
struct ConsoleUser {
    std::string user_id;
    std::string name;
    Role role = Role::Auditor;
    std::string session_id;  ///< empty for a bearer token
    [[nodiscard]] bool may_change() const noexcept { return role == Role::Operator; }
};

struct ConsoleSignIn {
    Secret session;  ///< the cookie's value, shown once
    ConsoleUser user;
};

class Console {
public:
    /// Errc::InvalidConfig unless 60 s <= idle <= absolute <= 7 days.
    Console(ConsoleSessionStore& store, Accounts& accounts, Authorization& authorization, AuditLog& audit,
            const Clock& clock, ConsoleSettings settings = {});

    /// Password (Accounts::check_password: the per-account counter and cool-down of auth/login) and then the
    /// one-time code (Authorization::verify_otp: the OTP lockout and one use per step), each attempt both:
    /// a code is judged only after a right password (decision 0015). Errc::InvalidAuthData for an unknown
    /// user, a wrong password, a locked account, an account that is neither operator nor auditor, and a
    /// wrong code alike (one answer; the audit says which); Errc::Locked when the code is locked.
    ConsoleSignIn sign_in(std::string_view name, const Secret& password, const Secret& otp);
    /// The session's user, and the session kept alive. Errc::Unauthenticated: unknown, signed out, idle
    /// too long, past the absolute timeout, or its account since locked or no longer operator/auditor.
    ConsoleUser authenticate(const Secret& session);
    /// A bearer token's user (Sessions::authenticate gave its id): Errc::Forbidden unless it is an unlocked
    /// operator or auditor.
    [[nodiscard]] ConsoleUser account(std::string_view user_id) const;
    /// The session's CSRF token: derived from the session secret, so it needs no storage and dies with it.
    [[nodiscard]] static std::string csrf_token(const Secret& session);
    /// Errc::Forbidden unless `token` is the session's CSRF token (compared in constant time).
    static void check_csrf(const Secret& session, std::string_view token);
    /// Ends the session (audited as console.logout). Nothing for an unknown one.
    void sign_out(const Secret& session);
    /// Errc::Forbidden for an auditor: a refusal on the server, whatever the page shows.
    static void require_operator(const ConsoleUser& who);

    [[nodiscard]] const ConsoleSettings& settings() const noexcept { return m_settings; }

private:
    ConsoleSessionStore& m_store;
    Accounts& m_accounts;
    Authorization& m_authorization;
    AuditLog& m_audit;
    const Clock& m_clock;
    ConsoleSettings m_settings;
};

}  // namespace inkan::service
