#pragma once

// The database the configuration names, opened once per process (issue 19, decision 0042): SQLite
// (storage.sqlite, the embedded default of one node) or PostgreSQL (storage.url or INKAN_STORAGE_URL,
// shared by several nodes). It hands out the implementations of every storage port, so the contexts
// above (ServiceContext, PkiContext, the TSA, serve) hold ports and never name a storage type; a
// configured url is never quietly replaced by the SQLite file.

#include <filesystem>
#include <memory>
#include <string>

#include <inkan/core/config.h>
#include <inkan/pki/store.h>
#include <inkan/service/audit_anchor.h>
#include <inkan/service/audit_archive.h>
#include <inkan/service/housekeeping.h>
#include <inkan/service/ports.h>
#include <inkan/tsp/authority.h>

namespace inkan::app {

class StorageBackend {
public:
    /// Opens the configured database and brings its schema up to date (both backends migrate when they
    /// open, under a lock, so nodes starting together migrate once). Errc::InvalidConfig when neither
    /// storage.url nor storage.sqlite is configured, or the url is unusable (see
    /// storage::pg::options_from_config); Errc::StorageFailure ("database unavailable") when PostgreSQL
    /// cannot be reached.
    static std::shared_ptr<StorageBackend> open(const Config& config);

    virtual ~StorageBackend() = default;

    /// "sqlite" or "postgresql".
    [[nodiscard]] virtual std::string kind() const = 0;
    /// For messages: the SQLite file, or the PostgreSQL url (never carries a password: refused in the url).
    [[nodiscard]] virtual std::string where() const = 0;
    [[nodiscard]] virtual int schema_version() = 0;

    virtual std::unique_ptr<service::UserStore> users() = 0;
    virtual std::unique_ptr<service::CredentialStore> credentials() = 0;
    virtual std::unique_ptr<service::TokenStore> tokens() = 0;
    virtual std::unique_ptr<service::AuthorizationStore> authorization() = 0;
    virtual std::unique_ptr<service::AuditStore> audit() = 0;
    virtual std::unique_ptr<service::AuditAnchorStore> audit_anchors() = 0;
    virtual std::unique_ptr<service::AuditArchiveStore> audit_archives() = 0;
    virtual std::unique_ptr<service::OAuthClientStore> oauth_clients() = 0;
    virtual std::unique_ptr<service::OAuthGrantStore> oauth_grants() = 0;
    virtual std::unique_ptr<service::HousekeepingStore> housekeeping() = 0;
    virtual std::unique_ptr<service::AsyncStore> async_operations() = 0;
    virtual std::unique_ptr<service::OobStore> oob() = 0;
    virtual std::unique_ptr<service::ConsoleSessionStore> console_sessions() = 0;
    virtual std::unique_ptr<pki::CaStore> ca_store() = 0;
    virtual std::unique_ptr<tsp::SerialSource> tsa_serials() = 0;
};

/// What `inkan migrate` did: the schema version before and after, on which backend.
struct MigrationReport {
    std::string kind;
    std::string where;
    int from = 0;
    int to = 0;
};
/// Reads the configured database's schema version, applies the migrations this build knows, and reads
/// it again. Errc::StorageFailure when the database's schema is newer than this build.
MigrationReport migrate_storage(const Config& config);

/// Whether the configuration selects PostgreSQL (storage.url or INKAN_STORAGE_URL).
bool is_postgres(const Config& config);
/// The configured database's schema version without migrating it (0: empty, or no SQLite file yet).
int current_schema_version(const Config& config);

/// The error `inkan backup` gives on PostgreSQL (Errc::InvalidConfig): the data directory's files are
/// not the database there.
[[noreturn]] void refuse_postgres_backup(const std::string& command);

}  // namespace inkan::app
