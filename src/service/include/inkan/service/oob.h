#pragma once

// Out-of-band credential authorization (CSC v2 credentials/authorize → 202 {handle}, then
// credentials/authorizeCheck; decision 0034): the client asks without factors, the signer approves or
// declines on a page inkan serves (password + one-time code, and the credential's PIN in explicit mode),
// and the client collects the SAD once. Everything lives in the store (OobStore), so any node answers.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <inkan/core/clock.h>
#include <inkan/core/secret.h>
#include <inkan/service/accounts.h>
#include <inkan/service/audit.h>
#include <inkan/service/authorization.h>
#include <inkan/service/ports.h>

namespace inkan::service {

struct OobSettings {
    /// From credentials/authorize to the approval and the collection of the SAD.
    std::chrono::seconds lifetime{300};
};

/// What credentials/authorize answers out of band: the handle the client polls with, the reference the
/// approval page's URL carries (two different secrets: the page's URL may be shown as a QR code on
/// another device; the handle never leaves the client).
struct OobStarted {
    std::string handle;
    std::string ref;
    std::int64_t expires_in = 0;
};

/// What the approval page shows. The request's contents only once the signer has signed in (stage
/// Decide): before that, only the application's name.
struct OobPageView {
    OobStage stage = OobStage::Login;
    std::string csrf;
    std::string client_name;  ///< the requesting application; empty for a token from auth/login
    std::string user_name;    ///< Decide: who signed in
    std::string credential_id;
    std::string credential_description;
    int num_signatures = 0;
    std::vector<AuthorisedHash> hashes;
    std::vector<std::string> labels;  ///< one per hash, may be empty strings
    std::string description;
    bool pin_required = false;  ///< explicit-mode credential: its PIN is typed on the page
};

/// credentials/authorizeCheck's answer: still pending, the SAD (once), or declined.
struct OobCheck {
    enum class State { Pending, Approved, Declined, Expired };
    State state = State::Pending;
    std::optional<IssuedSad> sad;
};

class OutOfBand {
public:
    OutOfBand(OobStore& store, Authorization& authorization, Accounts& accounts, CredentialStore& credentials,
              const OAuthClientStore* clients, AuditLog& audit, const Clock& clock,
              OobSettings settings = {});

    /// authorize without factors: Authorization::check_out_of_band (refusals as authorize's), then a
    /// pending row bound to the caller's user and client, the credential, the count and hashes.
    /// `labels`: one per hash (or none), shown on the page.
    OobStarted start(const Caller& caller, AuthorizeRequest request, std::vector<std::string> labels);

    /// The page opened from its URL: a new browser session (the cookie's value, returned) at Login.
    /// Errc::NotFound: unknown, expired, decided or collected.
    Secret open(std::string_view ref);
    /// The page for the session's current stage. Errc::NotFound: no such session (expired, decided).
    [[nodiscard]] OobPageView view(const Secret& session) const;
    /// The password of the user the request was made for (Accounts::check_password: the same counter and
    /// cool-down as auth/login). Errc::InvalidAuthData for a wrong password, an unknown or locked user and
    /// another user (one answer); Errc::NotFound / InvalidRequest for a stale session or CSRF token.
    void login(const Secret& session, std::string_view csrf, std::string_view user_name,
               const Secret& password);
    /// The one-time code (Authorization::verify_otp: lockout, one use per step). Each try spends the
    /// password step (decision 0015): a wrong code goes back to Login.
    void otp(const Secret& session, std::string_view csrf, const Secret& code);
    /// Approve (with the credential's PIN in explicit mode, Authorization::verify_pin) or decline. Audited
    /// under the user's name ("oob.approve" / "oob.decline").
    void decide(const Secret& session, std::string_view csrf, bool approve, const Secret* pin);

    /// credentials/authorizeCheck. Errc::NotFound: unknown handle, another caller's, or the SAD already
    /// delivered. An approved request issues its SAD exactly once (Authorization::issue_approved).
    OobCheck check(const Caller& caller, const Secret& handle);

    [[nodiscard]] const OobSettings& settings() const noexcept { return m_settings; }

private:
    OobStore& m_store;
    Authorization& m_authorization;
    Accounts& m_accounts;
    CredentialStore& m_credentials;
    const OAuthClientStore* m_clients;
    AuditLog& m_audit;
    const Clock& m_clock;
    OobSettings m_settings;

    [[nodiscard]] OobRecord at_stage(const Secret& session, std::string_view csrf, OobStage stage) const;
    void record(std::string_view action, std::string_view outcome, const OobRecord& r, std::string details);
};

}  // namespace inkan::service
