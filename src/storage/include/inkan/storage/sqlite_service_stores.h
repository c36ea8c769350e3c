#pragma once

// The service layer's ports on SQLite: users, credentials (with seal members), tokens, the SAD
// ledger with the lockout counters, the audit chain. Every method
// is one transaction (writes BEGIN IMMEDIATE); token revocation of a whole grant is one UPDATE. The
// three may share one connection (std::shared_ptr<Database>) or each open their own.

#include <filesystem>
#include <memory>

#include <inkan/service/ports.h>
#include <inkan/storage/sqlite.h>

namespace inkan::storage {

class SqliteUserStore final : public service::UserStore {
public:
    /// Opens (creating and migrating) the database file with its own connection.
    explicit SqliteUserStore(const std::filesystem::path& db_file);
    /// Shares a connection with other adapters (calls are serialised on it).
    explicit SqliteUserStore(std::shared_ptr<Database> db);

    void create(const service::User& user, std::string_view password_hash) override;
    [[nodiscard]] std::optional<service::User> find_by_name(std::string_view name) const override;
    [[nodiscard]] std::optional<service::User> find_by_id(std::string_view id) const override;
    [[nodiscard]] std::vector<service::User> list() const override;
    [[nodiscard]] std::optional<std::string> password_hash(std::string_view user_id) const override;
    void set_password_hash(std::string_view user_id, std::string_view hash) override;
    void set_locked(std::string_view user_id, bool locked) override;
    void set_role(std::string_view user_id, service::Role role) override;
    void set_totp(std::string_view user_id, std::optional<Bytes> sealed_secret) override;
    [[nodiscard]] std::optional<Bytes> totp(std::string_view user_id) const override;
    int reserve_password_guess(std::string_view user_id, int max, std::chrono::seconds cool_down,
                               TimePoint now) override;
    void clear_password_failures(std::string_view user_id) override;
    [[nodiscard]] std::optional<service::PasswordFailures> password_failures(
        std::string_view user_id) const override;

private:
    std::shared_ptr<Database> m_db;
};

class SqliteCredentialStore final : public service::CredentialStore {
public:
    explicit SqliteCredentialStore(const std::filesystem::path& db_file);
    explicit SqliteCredentialStore(std::shared_ptr<Database> db);

    void create(const service::Credential& credential, std::string_view pin_hash) override;
    [[nodiscard]] std::optional<service::Credential> find(std::string_view id) const override;
    [[nodiscard]] std::vector<service::Credential> list() const override;
    [[nodiscard]] std::vector<service::Credential> list_for_user(std::string_view user_id) const override;
    void set_chain(std::string_view id, const std::vector<Bytes>& chain) override;
    void set_status(std::string_view id, service::CredentialStatus status) override;
    void renew(std::string_view old_id, const service::Credential& renewed, TimePoint at) override;
    void add_member(std::string_view credential_id, std::string_view user_id,
                    std::string_view pin_hash) override;
    void remove_member(std::string_view credential_id, std::string_view user_id) override;
    [[nodiscard]] std::vector<service::SealMember> members(std::string_view credential_id) const override;
    [[nodiscard]] std::optional<std::string> pin_hash(std::string_view credential_id,
                                                      std::string_view user_id) const override;

private:
    std::shared_ptr<Database> m_db;
};

class SqliteTokenStore final : public service::TokenStore {
public:
    explicit SqliteTokenStore(const std::filesystem::path& db_file);
    explicit SqliteTokenStore(std::shared_ptr<Database> db);

    void insert(const service::TokenRecord& token) override;
    [[nodiscard]] std::optional<service::TokenRecord> find_by_hash(ByteView hash) const override;
    bool revoke(std::string_view token_id) override;
    bool revoke_if_active(std::string_view token_id) override;
    std::size_t revoke_family(std::string_view family_id) override;
    std::size_t purge_expired(TimePoint before) override;

private:
    std::shared_ptr<Database> m_db;
};

class SqliteAuthorizationStore final : public service::AuthorizationStore {
public:
    explicit SqliteAuthorizationStore(const std::filesystem::path& db_file);
    explicit SqliteAuthorizationStore(std::shared_ptr<Database> db);

    void insert_sad(const service::SadRecord& sad) override;
    [[nodiscard]] std::optional<service::SadRecord> find_sad(ByteView handle_hash) const override;
    std::optional<service::SpendRefusal> consume(ByteView handle_hash, std::string_view user_id,
                                                 std::string_view credential_id,
                                                 const std::vector<std::pair<std::string, Bytes>>& hashes,
                                                 int count, TimePoint now,
                                                 const service::AuditEntryBuilder& record = {}) override;
    std::optional<service::SpendRefusal> replace_sad(ByteView old_hash, std::string_view user_id,
                                                     std::string_view credential_id,
                                                     service::SadRecord replacement, TimePoint now) override;
    int add_pin_failure(std::string_view credential_id, std::string_view user_id) override;
    void reset_pin_failures(std::string_view credential_id, std::string_view user_id) override;
    [[nodiscard]] int pin_failures(std::string_view credential_id, std::string_view user_id) const override;
    void reset_credential_pin_failures(std::string_view credential_id) override;
    void undo_pin_failure(std::string_view credential_id, std::string_view user_id) override;
    void undo_otp_failure(std::string_view user_id) override;
    int add_otp_failure(std::string_view user_id) override;
    void reset_otp_failures(std::string_view user_id) override;
    [[nodiscard]] int otp_failures(std::string_view user_id) const override;
    bool use_otp_step(std::string_view user_id, std::int64_t step) override;
    bool retire_for_client(ByteView handle_hash, std::string_view client_id) override;

private:
    std::shared_ptr<Database> m_db;
};

/// The audit chain on SQLite (table audit_log): append() reads the head and inserts in one
/// BEGIN IMMEDIATE transaction, so appends from several connections serialise without gaps.
class SqliteAuditStore final : public service::AuditStore {
public:
    explicit SqliteAuditStore(const std::filesystem::path& db_file);
    explicit SqliteAuditStore(std::shared_ptr<Database> db);

    void append(const std::function<service::AuditEntry(std::uint64_t next_seq, const Bytes& prev_hash)>&
                    build) override;
    [[nodiscard]] std::vector<service::AuditEntry> all() const override;
    [[nodiscard]] std::vector<service::AuditEntry> search(const service::AuditQuery& query) const override;
    [[nodiscard]] std::optional<service::AuditEntry> find(std::uint64_t seq) const override;

private:
    std::shared_ptr<Database> m_db;
};

/// The operator console's sessions on SQLite (console_sessions; migration 17, decision 0041).
class SqliteConsoleSessionStore final : public service::ConsoleSessionStore {
public:
    explicit SqliteConsoleSessionStore(std::shared_ptr<Database> db);

    void insert(const service::ConsoleSessionRecord& session) override;
    [[nodiscard]] std::optional<service::ConsoleSessionRecord> find(ByteView token_hash) const override;
    bool touch(std::string_view id, TimePoint now, TimePoint idle_since) override;
    bool revoke(std::string_view id) override;
    std::size_t purge(TimePoint before) override;

private:
    std::shared_ptr<Database> m_db;
};

/// Asynchronous operations on SQLite (async_operations; migration 13): one row per responseID hash.
class SqliteAsyncStore final : public service::AsyncStore {
public:
    explicit SqliteAsyncStore(std::shared_ptr<Database> db);

    void insert(const service::AsyncRecord& record) override;
    bool finish(ByteView id_hash, service::AsyncStatus status, int http_status, std::string_view body,
                std::int64_t expires_ms) override;
    [[nodiscard]] std::optional<service::AsyncRecord> find(ByteView id_hash) const override;

private:
    std::shared_ptr<Database> m_db;
};

/// Out-of-band authorizations on SQLite (oob_authorizations; migration 14, decision 0034).
class SqliteOobStore final : public service::OobStore {
public:
    explicit SqliteOobStore(std::shared_ptr<Database> db);

    void insert(const service::OobRecord& record, TimePoint now) override;
    [[nodiscard]] std::optional<service::OobRecord> find_by_handle(ByteView handle_hash) const override;
    [[nodiscard]] std::optional<service::OobRecord> find_by_ref(ByteView ref_hash) const override;
    [[nodiscard]] std::optional<service::OobRecord> find_by_session(ByteView session_hash) const override;
    bool open_page(std::string_view id, ByteView session_hash, ByteView csrf_hash, TimePoint now) override;
    bool advance(std::string_view id, service::OobStage from, service::OobStage to, TimePoint now) override;
    bool decide(std::string_view id, service::OobStatus to, bool pin_verified, TimePoint now) override;
    bool deliver(std::string_view id, TimePoint now) override;

private:
    [[nodiscard]] std::optional<service::OobRecord> find_where(std::string_view column, ByteView hash) const;
    std::shared_ptr<Database> m_db;
};

/// OAuth clients on SQLite (oauth_clients, oauth_redirect_uris, oauth_client_seals; migration 4).
class SqliteOAuthClientStore final : public service::OAuthClientStore {
public:
    explicit SqliteOAuthClientStore(std::shared_ptr<Database> db);

    void create(const service::OAuthClient& client) override;
    [[nodiscard]] std::optional<service::OAuthClient> find(std::string_view id) const override;
    [[nodiscard]] std::vector<service::OAuthClient> list() const override;
    bool remove(std::string_view id, TimePoint at) override;

private:
    std::shared_ptr<Database> m_db;
};

/// Browser authorizations and codes on SQLite (oauth_pending, oauth_codes; migration 4). Every
/// compare-and-set is one conditional UPDATE/DELETE whose change count decides.
class SqliteOAuthGrantStore final : public service::OAuthGrantStore {
public:
    explicit SqliteOAuthGrantStore(std::shared_ptr<Database> db);

    void insert_pending(const service::PendingAuthorization& pending) override;
    [[nodiscard]] std::optional<service::PendingAuthorization> find_pending(ByteView session_hash,
                                                                            TimePoint now) const override;
    std::optional<service::PendingAuthorization> open_pushed(ByteView request_uri_hash,
                                                             std::string_view client_id,
                                                             ByteView session_hash, ByteView csrf_hash,
                                                             TimePoint now, TimePoint expires_at) override;
    bool advance(std::string_view id, service::PendingStage from, service::PendingStage to,
                 std::string_view user_id, TimePoint now) override;
    bool remove_pending(std::string_view id) override;
    void insert_code(const service::AuthorizationCodeRecord& code) override;
    service::CodeConsumption consume_code(ByteView hash, TimePoint now) override;
    void link_code(ByteView hash, std::string_view family_id, ByteView sad_hash) override;
    bool remember_account_token(std::string_view client_id, std::string_view jti, TimePoint now,
                                TimePoint expires_at) override;
    std::size_t purge_expired(TimePoint before) override;

private:
    std::shared_ptr<Database> m_db;
};

}  // namespace inkan::storage
