#include "storage_backend.h"

#include <utility>

#include <inkan/core/error.h>
#include <inkan/storage/postgres.h>
#include <inkan/storage/postgres_audit_stores.h>
#include <inkan/storage/postgres_pki_stores.h>
#include <inkan/storage/postgres_service_stores.h>
#include <inkan/storage/sqlite.h>
#include <inkan/storage/sqlite_audit_anchor_store.h>
#include <inkan/storage/sqlite_audit_archive_store.h>
#include <inkan/storage/sqlite_ca_store.h>
#include <inkan/storage/sqlite_housekeeping.h>
#include <inkan/storage/sqlite_service_stores.h>
#include <inkan/storage/sqlite_tsa_serial_store.h>

namespace inkan::app {

namespace {

/// One SQLite connection shared by the service's stores, as before issue 19. The CA store and the TSA
/// serials keep connections of their own on the same file: CRL and OCSP work and time-stamp serial
/// blocks then never queue behind a long service transaction on the shared connection's mutex.
class SqliteBackend final : public StorageBackend {
public:
    explicit SqliteBackend(std::filesystem::path file)
        : m_file{std::move(file)}, m_db{std::make_shared<storage::Database>(m_file)} {}

    [[nodiscard]] std::string kind() const override { return "sqlite"; }
    [[nodiscard]] std::string where() const override { return m_file.string(); }
    [[nodiscard]] int schema_version() override { return m_db->schema_version(); }

    std::unique_ptr<service::UserStore> users() override {
        return std::make_unique<storage::SqliteUserStore>(m_db);
    }
    std::unique_ptr<service::CredentialStore> credentials() override {
        return std::make_unique<storage::SqliteCredentialStore>(m_db);
    }
    std::unique_ptr<service::TokenStore> tokens() override {
        return std::make_unique<storage::SqliteTokenStore>(m_db);
    }
    std::unique_ptr<service::AuthorizationStore> authorization() override {
        return std::make_unique<storage::SqliteAuthorizationStore>(m_db);
    }
    std::unique_ptr<service::AuditStore> audit() override {
        return std::make_unique<storage::SqliteAuditStore>(m_db);
    }
    std::unique_ptr<service::AuditAnchorStore> audit_anchors() override {
        return std::make_unique<storage::SqliteAuditAnchorStore>(m_db);
    }
    std::unique_ptr<service::AuditArchiveStore> audit_archives() override {
        return std::make_unique<storage::SqliteAuditArchiveStore>(m_db);
    }
    std::unique_ptr<service::OAuthClientStore> oauth_clients() override {
        return std::make_unique<storage::SqliteOAuthClientStore>(m_db);
    }
    std::unique_ptr<service::OAuthGrantStore> oauth_grants() override {
        return std::make_unique<storage::SqliteOAuthGrantStore>(m_db);
    }
    std::unique_ptr<service::HousekeepingStore> housekeeping() override {
        return std::make_unique<storage::SqliteHousekeepingStore>(m_db);
    }
    std::unique_ptr<service::AsyncStore> async_operations() override {
        return std::make_unique<storage::SqliteAsyncStore>(m_db);
    }
    std::unique_ptr<service::OobStore> oob() override {
        return std::make_unique<storage::SqliteOobStore>(m_db);
    }
    std::unique_ptr<service::ConsoleSessionStore> console_sessions() override {
        return std::make_unique<storage::SqliteConsoleSessionStore>(m_db);
    }
    std::unique_ptr<pki::CaStore> ca_store() override {
        return std::make_unique<storage::SqliteCaStore>(m_file);
    }
    std::unique_ptr<tsp::SerialSource> tsa_serials() override {
        return std::make_unique<storage::SqliteTsaSerialStore>(m_file);
    }

private:
    std::filesystem::path m_file;
    std::shared_ptr<storage::Database> m_db;
};

/// One connection pool per process, shared by every store: each transaction leases a connection of its own,
/// so the stores need no connection of their own.
class PostgresBackend final : public StorageBackend {
public:
    explicit PostgresBackend(storage::pg::Options options)
        : m_url{options.url}, m_pool{storage::pg::open_database(std::move(options))} {}

    [[nodiscard]] std::string kind() const override { return "postgresql"; }
    [[nodiscard]] std::string where() const override { return m_url; }
    [[nodiscard]] int schema_version() override { return m_pool->schema_version(); }

    std::unique_ptr<service::UserStore> users() override {
        return std::make_unique<storage::PostgresUserStore>(m_pool);
    }
    std::unique_ptr<service::CredentialStore> credentials() override {
        return std::make_unique<storage::PostgresCredentialStore>(m_pool);
    }
    std::unique_ptr<service::TokenStore> tokens() override {
        return std::make_unique<storage::PostgresTokenStore>(m_pool);
    }
    std::unique_ptr<service::AuthorizationStore> authorization() override {
        return std::make_unique<storage::PostgresAuthorizationStore>(m_pool);
    }
    std::unique_ptr<service::AuditStore> audit() override {
        return std::make_unique<storage::PostgresAuditStore>(m_pool);
    }
    std::unique_ptr<service::AuditAnchorStore> audit_anchors() override {
        return std::make_unique<storage::PostgresAuditAnchorStore>(m_pool);
    }
    std::unique_ptr<service::AuditArchiveStore> audit_archives() override {
        return std::make_unique<storage::PostgresAuditArchiveStore>(m_pool);
    }
    std::unique_ptr<service::OAuthClientStore> oauth_clients() override {
        return std::make_unique<storage::PostgresOAuthClientStore>(m_pool);
    }
    std::unique_ptr<service::OAuthGrantStore> oauth_grants() override {
        return std::make_unique<storage::PostgresOAuthGrantStore>(m_pool);
    }
    std::unique_ptr<service::HousekeepingStore> housekeeping() override {
        return std::make_unique<storage::PostgresHousekeepingStore>(m_pool);
    }
    std::unique_ptr<service::AsyncStore> async_operations() override {
        return std::make_unique<storage::PostgresAsyncStore>(m_pool);
    }
    std::unique_ptr<service::OobStore> oob() override {
        return std::make_unique<storage::PostgresOobStore>(m_pool);
    }
    std::unique_ptr<service::ConsoleSessionStore> console_sessions() override {
        return std::make_unique<storage::PostgresConsoleSessionStore>(m_pool);
    }
    std::unique_ptr<pki::CaStore> ca_store() override {
        return std::make_unique<storage::PostgresCaStore>(m_pool);
    }
    std::unique_ptr<tsp::SerialSource> tsa_serials() override {
        return std::make_unique<storage::PostgresTsaSerialStore>(m_pool);
    }

private:
    std::string m_url;
    std::shared_ptr<storage::pg::Pool> m_pool;
};

std::filesystem::path sqlite_file(const Config& config) {
    const auto db = config.path("storage.sqlite");
    require(db.has_value(), Errc::InvalidConfig, "neither storage.url nor storage.sqlite is configured");
    return *db;
}

}  // namespace

std::shared_ptr<StorageBackend> StorageBackend::open(const Config& config) {
    // The url wins: a node configured for the shared database must never fall back to its own file.
    if (auto options = storage::pg::options_from_config(config)) {
        return std::make_shared<PostgresBackend>(std::move(*options));
    }
    return std::make_shared<SqliteBackend>(sqlite_file(config));
}

bool is_postgres(const Config& config) {
    return storage::pg::options_from_config(config).has_value();
}

int current_schema_version(const Config& config) {
    if (auto options = storage::pg::options_from_config(config)) {
        storage::pg::Pool pool{std::move(*options)};
        return pool.schema_version();
    }
    return storage::sqlite_file_schema_version(sqlite_file(config));
}

MigrationReport migrate_storage(const Config& config) {
    MigrationReport r;
    if (auto options = storage::pg::options_from_config(config)) {
        r.kind = "postgresql";
        r.where = options->url;
        // A pool without migrating first, to read where the schema stood.
        storage::pg::Pool pool{std::move(*options)};
        r.from = pool.schema_version();
        pool.migrate(storage::pg::postgres_migrations());
        r.to = pool.schema_version();
        return r;
    }
    const auto file = sqlite_file(config);
    r.kind = "sqlite";
    r.where = file.string();
    r.from = storage::sqlite_file_schema_version(file);
    storage::Database db{file};  // opening migrates
    r.to = db.schema_version();
    return r;
}

void refuse_postgres_backup(const std::string& command) {
    throw Error{Errc::InvalidConfig,
                "inkan " + command +
                    " copies the SQLite database, but storage.url selects PostgreSQL: back the database up "
                    "with pg_dump (and restore it with pg_restore) as docs/deployment.md describes; the data "
                    "directory's configuration and PKI files are copied with the usual file backup"};
}

}  // namespace inkan::app
