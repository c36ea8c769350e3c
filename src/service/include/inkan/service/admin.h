#pragma once

// The operator's use cases that the CLI (`inkan user ...`, `inkan audit export`), the console's pages and
// the JSON admin API (/inkan/v1/admin/...) all call (decision 0041), so that the three cannot disagree:
// each change is made and audited in one place, under the operator's name (decision 0039).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <inkan/core/clock.h>
#include <inkan/service/accounts.h>
#include <inkan/service/audit.h>
#include <inkan/service/authorization.h>
#include <inkan/service/credentials.h>
#include <inkan/service/model.h>
#include <inkan/service/ports.h>

namespace inkan::service {

/// The names next to an entry's ids, resolved when reading (decision 0039): ids are never reused and
/// users, credentials and clients are never deleted, so the name an id has today is the one it had when
/// the entry was written, and the hashed entry stays as it was. Unknown ids give an empty name.
struct NamedAuditEntry {
    AuditEntry entry;
    std::string user_name;  ///< the account's; for a failed login of no account, the name tried
    std::string client_name;
    std::string credential_name;  ///< its description, or a seal's organisation
    std::string member_name;
    /// Who acted: the operator for a change, else the signed-in user, else the OAuth client.
    [[nodiscard]] bool actor_is(std::string_view who) const;
};

class AuditNames {
public:
    AuditNames(const UserStore& users, const CredentialStore& credentials, const OAuthClientStore* clients);
    [[nodiscard]] NamedAuditEntry named(AuditEntry entry);

private:
    const std::string& user(const std::string& id);
    const std::string& credential(const std::string& id);
    const std::string& client(const std::string& id);
    const UserStore& m_users;
    const CredentialStore& m_credentials;
    const OAuthClientStore* m_clients;
    std::vector<std::pair<std::string, std::string>> m_cache;  ///< ("u:"/"c:"/"k:" + id, name)
};

enum class AuditExportFormat { Csv, Json };
/// `inkan audit export`'s formats: CSV (RFC 4180, validation::csv_field's formula guard, each name after
/// its id) or a JSON array that keeps every value exactly.
[[nodiscard]] std::string audit_export_text(std::span<const NamedAuditEntry> entries,
                                            AuditExportFormat format);
/// One entry as `audit export --format json` writes it (a JSON object's text).
[[nodiscard]] std::string audit_entry_json(const NamedAuditEntry& entry);

/// The details of a "credential.create" entry (the CLI, `inkan init` with `by` = "init", the console).
[[nodiscard]] std::string credential_created_details(const Credential& c, std::string_view by = {});

/// A search of the audit log by names or ids (what an operator types).
struct AuditSearch {
    std::optional<TimePoint> from;
    std::optional<TimePoint> to;
    std::string user;        ///< a user's name or id
    std::string credential;  ///< a credential id
    std::string client;      ///< an OAuth client's name or id
    std::string action;      ///< as AuditQuery::action
    std::string outcome;     ///< as AuditQuery::outcome
    std::string actor;       ///< the operator's name
    std::optional<std::uint64_t> before_seq;
    std::size_t limit = 50;  ///< 1..1000
};

struct AuditPage {
    std::vector<NamedAuditEntry> entries;      ///< newest first
    std::optional<std::uint64_t> next_before;  ///< the next page's before_seq; none at the end
};

/// What an unlock cleared (the CLI says exactly that, decision 0040).
struct UnlockResult {
    User user;  ///< as it was before
    int password_failures = 0;
    bool password_locked = false;
    Authorization::FactorLock otp;
};

class Administration {
public:
    /// `maintenance` may be null (no switch: maintenance() is false and set_maintenance refuses).
    /// `changes` may be null (no credential changes: they refuse with Errc::InvalidConfig).
    Administration(Accounts& accounts, Authorization& authorization, AuditLog& audit, AuditStore& audit_store,
                   const UserStore& users, const CredentialStore& credentials,
                   const OAuthClientStore* clients, MaintenanceSwitch* maintenance,
                   Credentials* changes = nullptr);

    /// Accounts::add_user, audited "user.add" as `actor`.
    UserCreated add_user(std::string_view actor, NewUser request);
    [[nodiscard]] std::vector<User> users() const;
    /// The account lock ("user.lock").
    void lock_user(std::string_view actor, std::string_view name);
    /// A user's role (operator, auditor, user), audited "user.role" with the role before and after. The
    /// change holds from the user's next request (console sessions and tokens read the role each time).
    /// Errc::NotFound for an unknown user; Errc::InvalidRequest for an operator's own account (the console
    /// would lock its only operator out; another operator or the CLI under another name does it).
    User set_role(std::string_view actor, std::string_view name, Role role);
    /// The account lock, the password lock and the one-time-code lock ("user.unlock", "otp.unlock").
    UnlockResult unlock_user(std::string_view actor, std::string_view name);
    /// A new TOTP seed ("user.totp"): the otpauth URI and the base32 secret, shown once.
    std::pair<std::string, std::string> reset_totp(std::string_view actor, std::string_view name);

    /// Credentials::create (a key pair generated in the HSM, a CSR signed by it, enrolled at the CA),
    /// audited "credential.create" with credential_created_details as `inkan credential create` records it.
    /// Pending (a manual CA): the CSR in `csr_pem`.
    Credentials::Created create_credential(std::string_view actor, NewCredential request);
    /// Credentials::csr (a Pending credential's CSR signed again by its HSM key), audited "credential.csr":
    /// a signature by the credential's key is made, so it is an operator's act like a change.
    std::string credential_csr(std::string_view actor, std::string_view credential_id,
                               std::string_view organization_identifier = {});
    /// Credentials::import_certificate against `trust_anchor_der` (the configured root, as `inkan credential
    /// import-cert` takes it), audited "credential.import_cert".
    Credential import_certificate(std::string_view actor, std::string_view credential_id,
                                  std::string_view chain_pem, ByteView trust_anchor_der);
    /// Credentials::revoke, audited "credential.revoke" with the credential and the reason (as `inkan
    /// credential revoke` records it): the certificate revoked at a built-in CA, the key destroyed.
    void revoke_credential(std::string_view actor, std::string_view credential_id,
                           pki::RevocationReason reason);
    /// Credentials::add_member / remove_member, audited "seal.add_member" / "seal.remove_member" with the
    /// credential and the user's name (as `inkan seal add-member|remove-member` records them).
    void add_seal_member(std::string_view actor, std::string_view credential_id, std::string_view user_name,
                         const Secret& pin);
    void remove_seal_member(std::string_view actor, std::string_view credential_id,
                            std::string_view user_name);

    [[nodiscard]] bool maintenance() const;
    /// "maintenance.on" / "maintenance.off" with what it was. Errc::InvalidConfig without a switch.
    void set_maintenance(std::string_view actor, bool on);

    /// One page of the audit log, newest first, names resolved. Errc::InvalidRequest for a bad limit.
    [[nodiscard]] AuditPage search_audit(const AuditSearch& search) const;
    [[nodiscard]] std::optional<NamedAuditEntry> audit_entry(std::uint64_t seq) const;
    /// Every entry of the search (all pages, at most `max_entries`; Errc::InvalidRequest beyond: narrow
    /// the search) in an export format.
    [[nodiscard]] std::string export_audit(AuditSearch search, AuditExportFormat format,
                                           std::size_t max_entries = 100000) const;
    [[nodiscard]] AuditVerification verify_audit() const;

private:
    [[nodiscard]] AuditQuery query_of(const AuditSearch& search) const;
    void record(std::string_view actor, std::string_view action, std::string_view user_id,
                std::string details, std::string_view credential_id = {});
    Credentials& changes() const;

    Accounts& m_accounts;
    Authorization& m_authorization;
    AuditLog& m_audit;
    AuditStore& m_audit_store;
    const UserStore& m_users;
    const CredentialStore& m_credentials;
    const OAuthClientStore* m_clients;
    MaintenanceSwitch* m_maintenance;
    Credentials* m_changes;
};

}  // namespace inkan::service
