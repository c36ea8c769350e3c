#pragma once

// The service stack `inkan serve` builds, in process, for the benches that drive it over HTTPS
// (csc_bench, pades_bench): SQLite in a temp dir (or a PostgreSQL url: the several-nodes store, issue 19),
// a SoftHSM token, the built-in CA,
// Accounts/Sessions/Credentials/Authorization, and an http::Server with TLS on 127.0.0.1:0.
//
// The credentials the benches make are SCAL 1 with multisign kMultisign: a client authorises once
// (PIN + TOTP) before the timed section and spends that SAD by count, so the figures measure
// signing, not authorize.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <inkan/core/clock.h>
#include <inkan/core/encoding.h>
#include <inkan/core/secret.h>
#include <inkan/hsm/token.h>
#include <inkan/http/router.h>
#include <inkan/http/server.h>
#include <inkan/pki/ca.h>
#include <inkan/pki/connectors.h>
#include <inkan/pki/csr.h>
#include <inkan/service/accounts.h>
#include <inkan/service/audit.h>
#include <inkan/service/auth.h>
#include <inkan/service/authorization.h>
#include <inkan/service/credentials.h>
#include <inkan/service/secrets.h>
#include <inkan/sign/hsm_signer.h>
#include <inkan/storage/postgres.h>
#include <inkan/storage/postgres_pki_stores.h>
#include <inkan/storage/postgres_service_stores.h>
#include <inkan/storage/sqlite.h>
#include <inkan/storage/sqlite_ca_store.h>
#include <inkan/storage/sqlite_service_stores.h>
#include <inkan/testing/process.h>
#include <inkan/testing/softhsm.h>

#include "testing/pki.h"

namespace inkan::bench {

inline constexpr std::string_view kStorageKey = "inkan-storage-key";
inline constexpr int kMultisign = 100000;
inline constexpr const char* kPin = "123456";

/// The token with the storage key the sealer needs.
inline hsm::Token& with_storage_key(hsm::Token& token) {
    (void)token.generate_aes_key(kStorageKey);
    return token;
}

/// The stores the stack runs on, as ports: SQLite in `dir`, or PostgreSQL at `postgres_url` (one pool of
/// `pool_size` connections, as a node has).
struct Stores {
    Stores(const std::filesystem::path& dir, const std::string& postgres_url, std::size_t pool_size) {
        if (postgres_url.empty()) {
            auto db = std::make_shared<storage::Database>(dir / "inkan.db");
            users = std::make_unique<storage::SqliteUserStore>(db);
            credentials = std::make_unique<storage::SqliteCredentialStore>(db);
            tokens = std::make_unique<storage::SqliteTokenStore>(db);
            ca = std::make_unique<storage::SqliteCaStore>(db);
            authorization = std::make_unique<storage::SqliteAuthorizationStore>(db);
            audit = std::make_unique<storage::SqliteAuditStore>(db);
            return;
        }
        storage::pg::Options o;
        o.url = postgres_url;
        o.pool_size = pool_size;
        auto pool = storage::pg::open_database(o);
        users = std::make_unique<storage::PostgresUserStore>(pool);
        credentials = std::make_unique<storage::PostgresCredentialStore>(pool);
        tokens = std::make_unique<storage::PostgresTokenStore>(pool);
        ca = std::make_unique<storage::PostgresCaStore>(pool);
        authorization = std::make_unique<storage::PostgresAuthorizationStore>(pool);
        audit = std::make_unique<storage::PostgresAuditStore>(pool);
    }
    std::unique_ptr<service::UserStore> users;
    std::unique_ptr<service::CredentialStore> credentials;
    std::unique_ptr<service::TokenStore> tokens;
    std::unique_ptr<pki::CaStore> ca;
    std::unique_ptr<service::AuthorizationStore> authorization;
    std::unique_ptr<service::AuditStore> audit;
};

/// The stack `inkan serve` builds, in process; on SQLite unless `postgres_url` is given.
struct Stack {
    explicit Stack(std::size_t pool_size, const std::string& postgres_url = {})
        : token{testing::SoftHsm::instance().make_token("bench", pool_size)},
          // `inkan serve`'s default storage.pool_size (8): more than the HSM pool, so signing never waits
          // for a connection.
          stores{dir.path(), postgres_url, 8},
          users{*stores.users},
          credential_store{*stores.credentials},
          tokens{*stores.tokens},
          ca_store{*stores.ca},
          authorization_store{*stores.authorization},
          audit_store{*stores.audit},
          sealer{with_storage_key(token), kStorageKey},
          accounts{users, sealer, clock},
          sessions{accounts, users, tokens, clock},
          audit{audit_store, clock} {
        const auto name = [](std::string_view cn) {
            return pki::Name{}.country("JP").organization("inkan bench").common_name(cn);
        };
        root_signer =
            std::make_unique<sign::HsmSigner>(token, token.generate_key_pair(hsm::KeySpec::EcP256, "r"));
        issuing_signer =
            std::make_unique<sign::HsmSigner>(token, token.generate_key_pair(hsm::KeySpec::EcP256, "i"));
        pki::CaSettings root_settings;
        root_settings.name = "bench-root";
        root_settings.pki_base_url = "http://127.0.0.1:8080";
        const pki::Certificate root =
            pki::create_root(root_settings, *root_signer, name("Bench Root CA"), 3650, ca_store, clock);
        pki::BuiltinCa root_ca{
            root_settings, *root_signer, {root.der()}, ca_store, pki::ProfileSet::defaults(), clock};
        const pki::Certificate issuing =
            root_ca.issue_ca(pki::create_csr(name("Bench Issuing CA"), *issuing_signer));
        pki::CaSettings settings;
        settings.name = "bench-issuing";
        settings.pki_base_url = root_settings.pki_base_url;
        ca = std::make_unique<pki::BuiltinCa>(settings, *issuing_signer,
                                              std::vector<Bytes>{issuing.der(), root.der()}, ca_store,
                                              pki::ProfileSet::defaults(), clock);
        connector = std::make_unique<pki::BuiltinConnector>(*ca);
        credentials = std::make_unique<service::Credentials>(
            credential_store, users, token,
            [this](const std::string&) -> pki::CaConnector& { return *connector; },
            [](const std::string&, ByteView, pki::RevocationReason) { return false; }, clock);
        authorization = std::make_unique<service::Authorization>(credential_store, users, accounts,
                                                                 authorization_store, audit, token, clock);
    }

    testing::TempDir dir{"inkan-csc-bench"};
    ManualClock clock{TimePoint{std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now())}};
    hsm::Token token;
    Stores stores;
    service::UserStore& users;
    service::CredentialStore& credential_store;
    service::TokenStore& tokens;
    pki::CaStore& ca_store;
    service::AuthorizationStore& authorization_store;
    service::AuditStore& audit_store;
    service::SecretSealer sealer;
    service::Accounts accounts;
    service::Sessions sessions;
    service::AuditLog audit;
    std::unique_ptr<sign::HsmSigner> root_signer, issuing_signer;
    std::unique_ptr<pki::BuiltinCa> ca;
    std::unique_ptr<pki::BuiltinConnector> connector;
    std::unique_ptr<service::Credentials> credentials;
    std::unique_ptr<service::Authorization> authorization;
};

inline constexpr const char* kUser = "bench";
inline constexpr const char* kPassword = "bench-password";

/// Adds the bench user (password + TOTP); returns the TOTP seed.
inline Bytes add_bench_user(Stack& stack) {
    service::NewUser user;
    user.name = kUser;
    user.display_name = "Bench Example";
    user.password = Secret{std::string_view{kPassword}};
    user.totp = true;
    const service::UserCreated created = stack.accounts.add_user(std::move(user));
    return base32_decode(created.totp_secret_base32.value_or(""));
}

/// A certified SCAL 1 credential of the bench user with multisign kMultisign and PIN kPin.
inline service::Credential add_bench_credential(Stack& stack, hsm::KeySpec spec, const std::string& name) {
    service::NewCredential c;
    c.kind = service::CredentialKind::Personal;
    c.owner = kUser;
    c.key = spec;
    c.description = "bench " + name;
    c.pin = Secret{std::string_view{kPin}};
    c.scal = 1;
    c.multisign = kMultisign;
    return stack.credentials->create(std::move(c)).credential;
}

/// `router` behind http::Server with TLS (a test PKI under `dir`/tls) on 127.0.0.1:0, started.
class TlsServer {
public:
    TlsServer(const std::filesystem::path& dir, http::Router router, std::size_t io_threads)
        : m_pki{(std::filesystem::create_directories(dir / "tls"), dir / "tls")},
          m_server{options(io_threads)} {
        http::TlsConfig tls;
        tls.private_key = m_pki.server_private_key();
        tls.certificate_chain_pem = m_pki.server_chain_pem();
        http::ListenerConfig listener;
        listener.name = "api";
        listener.host = "127.0.0.1";
        listener.port = 0;
        listener.tls = std::move(tls);
        listener.router = std::move(router);
        m_port = m_server.add_listener(std::move(listener));
        m_server.start();
    }
    ~TlsServer() { m_server.stop(); }
    TlsServer(const TlsServer&) = delete;
    TlsServer& operator=(const TlsServer&) = delete;

    [[nodiscard]] std::uint16_t port() const noexcept { return m_port; }
    /// The PEM file the server's chain leads to.
    [[nodiscard]] const std::filesystem::path& ca_file() const noexcept { return m_pki.root_cert; }

private:
    static http::ServerOptions options(std::size_t io_threads) {
        http::ServerOptions o;
        o.access_log = false;
        o.io_threads = io_threads;
        return o;
    }

    http::testing::TestPki m_pki;
    http::Server m_server;
    std::uint16_t m_port = 0;
};

}  // namespace inkan::bench
