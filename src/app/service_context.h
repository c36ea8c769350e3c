#pragma once

// The service layer as the configuration describes it: the stores of the configured database (StorageBackend:
// SQLite or PostgreSQL), the sealer over the HSM storage key, and the
// use cases Accounts, Sessions, Credentials, Authorization (sole control) and the AuditLog wired to the PKI
// (CA connectors; revocation at built-in CAs). Built by the composition root for the `user`, `credential` and
// `seal` commands, and for `serve` and `init`.

#include <chrono>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>

#include <inkan/core/clock.h>
#include <inkan/core/config.h>
#include <inkan/hsm/token.h>
#include <inkan/service/accounts.h>
#include <inkan/service/admin.h>
#include <inkan/service/audit.h>
#include <inkan/service/audit_anchor.h>
#include <inkan/service/audit_archive.h>
#include <inkan/service/auth.h>
#include <inkan/service/authorization.h>
#include <inkan/service/credentials.h>
#include <inkan/service/housekeeping.h>
#include <inkan/service/oauth.h>
#include <inkan/service/ports.h>

#include "context.h"
#include "pki_context.h"
#include "storage_backend.h"

namespace inkan::app {

/// [auth] access_token_lifetime and refresh_token_lifetime, in seconds (defaults 3600 and 30 days).
service::AuthSettings auth_settings(const Config& config);
/// [auth] max_password_failures (default 5, 1..1000) and password_lock_seconds (default 900; 0: the lock
/// lifts only by `inkan user unlock`): password guessing per account (decision 0015).
service::PasswordLockout password_lockout(const Config& config);
/// [authorization] sad_lifetime, max_sad_lifetime (seconds, default 3600 both), max_pin_failures,
/// max_otp_failures (default 5), totp_window (steps, default 1).
service::AuthorizationSettings authorization_settings(const Config& config);

/// [oauth2] code_lifetime_seconds (default 60), page_lifetime_seconds (600), par_lifetime_seconds (90),
/// credential_token_lifetime_seconds (300), allow_plain_pkce (false), account_token_max_age_seconds (300).
service::OAuthSettings oauth_settings(const Config& config);

/// [housekeeping] batch_size (default 500, 1..100000) and grace_seconds (default 0); the TOTP window of
/// [authorization] (decision 0032).
service::HousekeepingSettings housekeeping_settings(const Config& config);
/// [housekeeping] interval_seconds: how often `inkan serve` purges (default 3600; 0: never, only
/// `inkan purge`).
std::chrono::seconds housekeeping_interval(const Config& config);

/// Who an operator command is recorded as in the audit log (decision 0039): $INKAN_OPERATOR if set
/// (1..64 printable UTF-8 characters, else Errc::InvalidConfig), else $SUDO_USER under sudo, else the
/// effective uid's name in the password database, else "uid:N". Never a placeholder word.
std::string operator_name();

class ServiceContext {
public:
    /// Takes its stores from `storage` (kept alive by the context), finds the storage key
    /// hsm.storage_key_label (default "inkan-storage-key"; Errc::InvalidConfig if the token lacks it) and
    /// reads auth.totp_issuer (default "inkan"). `token`, `pki` and `clock` must outlive the context.
    ServiceContext(const Config& config, hsm::Token& token, PkiContext& pki, const Clock& clock,
                   std::shared_ptr<StorageBackend> storage);
    ~ServiceContext();
    ServiceContext(const ServiceContext&) = delete;
    ServiceContext& operator=(const ServiceContext&) = delete;

    service::Accounts& accounts() noexcept { return *m_accounts; }
    service::Sessions& sessions() noexcept { return *m_sessions; }
    service::Credentials& credentials() noexcept { return *m_credentials; }
    service::Authorization& authorization() noexcept { return *m_authorization; }
    service::AuditLog& audit() noexcept { return *m_audit; }
    /// The audit chain's TSA anchors (decision 0017).
    service::AuditAnchoring& audit_anchoring() noexcept { return *m_anchoring; }
    /// Archives of the oldest audit entries and their checkpoints (decision 0036).
    service::AuditArchiver& audit_archiver() noexcept { return *m_archiver; }
    service::OAuth& oauth() noexcept { return *m_oauth; }
    /// Purges expired rows in batches (decision 0032).
    service::Housekeeping& housekeeping() noexcept { return *m_housekeeping; }
    /// The operator's use cases the console shares (decision 0041); without a maintenance switch (`inkan
    /// maintenance` needs no HSM and opens only the database).
    service::Administration& administration() noexcept { return *m_administration; }
    /// operator_name(), as resolved when the context opened: who this command's changes are recorded as.
    [[nodiscard]] const std::string& actor() const noexcept { return m_operator; }
    /// Records an operator change ("user.add", "credential.revoke", ...) as operator_name().
    void audit_operator(std::string_view action, std::string_view user_id, std::string_view credential_id,
                        std::string details_json);

    service::UserStore& user_store() noexcept { return *m_users; }
    service::CredentialStore& credential_store() noexcept { return *m_credential_store; }
    service::TokenStore& token_store() noexcept { return *m_tokens; }
    service::AuthorizationStore& authorization_store() noexcept { return *m_authorization_store; }
    service::AuditStore& audit_store() noexcept { return *m_audit_store; }
    /// The registered OAuth clients (their names, shown on the out-of-band approval page).
    service::OAuthClientStore& oauth_client_store() noexcept { return *m_oauth_clients; }
    /// The database the stores are on (more adapters on it: the async operations, the console's sessions).
    [[nodiscard]] StorageBackend& storage() const noexcept { return *m_storage; }

private:
    std::string m_operator;  ///< operator_name(), resolved when the context opens
    std::shared_ptr<StorageBackend> m_storage;
    std::unique_ptr<service::UserStore> m_users;
    std::unique_ptr<service::CredentialStore> m_credential_store;
    std::unique_ptr<service::TokenStore> m_tokens;
    std::unique_ptr<service::AuthorizationStore> m_authorization_store;
    std::unique_ptr<service::AuditStore> m_audit_store;
    std::unique_ptr<service::AuditLog> m_audit;
    std::unique_ptr<service::AuditAnchorStore> m_anchor_store;
    std::unique_ptr<service::AuditAnchoring> m_anchoring;
    std::unique_ptr<service::AuditArchiveStore> m_archive_store;
    std::unique_ptr<service::AuditArchiver> m_archiver;
    std::unique_ptr<service::SecretSealer> m_sealer;
    std::unique_ptr<service::Accounts> m_accounts;
    std::unique_ptr<service::Sessions> m_sessions;
    std::unique_ptr<service::Credentials> m_credentials;
    std::unique_ptr<service::Authorization> m_authorization;
    std::unique_ptr<service::OAuthClientStore> m_oauth_clients;
    std::unique_ptr<service::OAuthGrantStore> m_oauth_grants;
    std::unique_ptr<service::OAuth> m_oauth;
    std::unique_ptr<service::HousekeepingStore> m_housekeeping_store;
    std::unique_ptr<service::Housekeeping> m_housekeeping;
    std::unique_ptr<service::Administration> m_administration;
};

/// A data directory opened for a service command: runtime (configuration, token), PKI, service.
struct OpenedService {
    std::unique_ptr<Runtime> runtime;
    std::shared_ptr<StorageBackend> storage;
    std::unique_ptr<PkiContext> pki;
    std::unique_ptr<ServiceContext> service;
};
/// Records an operator change as `actor` (operator_name(), resolved by the caller before the change)
/// with only the database open, not the HSM: for `inkan maintenance`, which must work while the token
/// is being serviced.
void audit_operator_change(const Config& config, const std::string& actor, std::string_view action,
                           std::string details_json);

/// The details of a `credential.create` audit entry (every creation says the same things, whoever makes
/// it: `credential create`, the console, or `init`'s demo credential): the service's.
using service::credential_created_details;

/// open_runtime(data_flag) plus the PKI and service contexts on the system clock.
OpenedService open_service(const std::string& data_flag);

/// One line of standard input as a secret (the trailing "\n" or "\r\n" removed): how operator commands
/// take passwords and PINs, never from argv. Errc::InvalidRequest if the input is empty.
Secret read_secret_line(std::istream& in, std::string_view what);
/// A random password for an account: 20 characters of base64url (120 bits).
Secret random_password();
/// A random numeric PIN of `digits` digits (uniform).
Secret random_pin(int digits = 6);

}  // namespace inkan::app
