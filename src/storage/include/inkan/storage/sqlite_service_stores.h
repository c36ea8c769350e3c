#pragma once

// The service layer's ports on SQLite: users, credentials (with seal members), tokens. Every method
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
    void set_totp(std::string_view user_id, std::optional<Bytes> sealed_secret) override;
    [[nodiscard]] std::optional<Bytes> totp(std::string_view user_id) const override;

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
    std::size_t purge_expired(TimePoint before) override;

private:
    std::shared_ptr<Database> m_db;
};

/// The certificate chain column: each certificate as a 4-byte big-endian length and its DER.
Bytes encode_chain(const std::vector<Bytes>& chain);
/// Errc::StorageFailure for a value that is not such a sequence.
std::vector<Bytes> decode_chain(ByteView blob);

}  // namespace inkan::storage
