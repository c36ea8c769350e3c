// The service port suites on PostgreSQL (issue 19): the same tests the SQLite adapters pass, on a
// database of their own in the run's throwaway cluster. Each call of the factory is one "node": its own
// connection pool.

#include <inkan/storage/postgres_service_stores.h>

#include <memory>

#include <gtest/gtest.h>

#include "async_store_suite.h"
#include "audit_store_suite.h"
#include "authorization_store_suite.h"
#include "console_session_store_suite.h"
#include "credential_store_suite.h"
#include "oauth_store_suite.h"
#include "oob_store_suite.h"
#include "postgres_test_support.h"
#include "token_store_suite.h"
#include "user_store_suite.h"

namespace inkan::storage {
namespace {

using inkan::testing::shared_postgres;
using inkan::testing::TestDatabase;
using testing::AsyncStoreSuite;
using testing::AuditStoreSuite;
using testing::AuthorizationStoreSuite;
using testing::ConsoleSessionStoreSuite;
using testing::CredentialStoreSuite;
using testing::OAuthStoreSuite;
using testing::OobStoreSuite;
using testing::ServiceStores;
using testing::ServiceStoresBackend;
using testing::ServiceStoresFactory;
using testing::TokenStoreSuite;
using testing::UserStoreSuite;

ServiceStoresFactory fresh_postgres_database() {
    auto* cluster = shared_postgres();
    require(cluster != nullptr, Errc::Unavailable, testing::postgres_unavailable());
    auto db = std::make_shared<TestDatabase>(*cluster);
    return [db]() {
        // The suites open up to 16 nodes at once; two connections each are plenty.
        auto pool = pg::open_database(testing::node_options(*db, 2));
        ServiceStores s;
        s.users = std::make_unique<PostgresUserStore>(pool);
        s.credentials = std::make_unique<PostgresCredentialStore>(pool);
        s.tokens = std::make_unique<PostgresTokenStore>(pool);
        s.authorization = std::make_unique<PostgresAuthorizationStore>(pool);
        s.audit = std::make_unique<PostgresAuditStore>(pool);
        s.oauth_clients = std::make_unique<PostgresOAuthClientStore>(pool);
        s.oauth_grants = std::make_unique<PostgresOAuthGrantStore>(pool);
        s.console_sessions = std::make_unique<PostgresConsoleSessionStore>(pool);
        return s;
    };
}

ServiceStoresBackend postgres_backend() {
    // Skipped only when the server binaries are missing; a cluster that fails to start throws in
    // fresh_database and fails the test.
    return {"Postgres", fresh_postgres_database, [] {
                return inkan::testing::postgres_bin_dir() ? std::string{} : testing::postgres_unavailable();
            }};
}

INSTANTIATE_TEST_SUITE_P(Postgres, UserStoreSuite, ::testing::Values(postgres_backend()),
                         testing::backend_name);
INSTANTIATE_TEST_SUITE_P(Postgres, CredentialStoreSuite, ::testing::Values(postgres_backend()),
                         testing::backend_name);
INSTANTIATE_TEST_SUITE_P(Postgres, TokenStoreSuite, ::testing::Values(postgres_backend()),
                         testing::backend_name);
INSTANTIATE_TEST_SUITE_P(Postgres, AuthorizationStoreSuite, ::testing::Values(postgres_backend()),
                         testing::backend_name);
INSTANTIATE_TEST_SUITE_P(Postgres, OAuthStoreSuite, ::testing::Values(postgres_backend()),
                         testing::backend_name);
INSTANTIATE_TEST_SUITE_P(Postgres, AuditStoreSuite, ::testing::Values(postgres_backend()),
                         testing::backend_name);
INSTANTIATE_TEST_SUITE_P(Postgres, ConsoleSessionStoreSuite, ::testing::Values(postgres_backend()),
                         testing::backend_name);

/// A factory for one port's stores on a fresh schema, each store a node with its own pool.
template <class Port, class Adapter>
typename testing::PortBackend<Port>::Factory fresh_postgres_port() {
    auto* cluster = shared_postgres();
    require(cluster != nullptr, Errc::Unavailable, testing::postgres_unavailable());
    auto db = std::make_shared<TestDatabase>(*cluster);
    return [db]() -> std::unique_ptr<Port> {
        return std::make_unique<Adapter>(pg::open_database(testing::node_options(*db, 1)));
    };
}

template <class Port, class Adapter>
testing::PortBackend<Port> postgres_port_backend() {
    return {"Postgres", fresh_postgres_port<Port, Adapter>, [] {
                return inkan::testing::postgres_bin_dir() ? std::string{} : testing::postgres_unavailable();
            }};
}

INSTANTIATE_TEST_SUITE_P(Postgres, OobStoreSuite,
                         ::testing::Values(postgres_port_backend<service::OobStore, PostgresOobStore>()),
                         testing::port_backend_name<service::OobStore>);
INSTANTIATE_TEST_SUITE_P(Postgres, AsyncStoreSuite,
                         ::testing::Values(postgres_port_backend<service::AsyncStore, PostgresAsyncStore>()),
                         testing::port_backend_name<service::AsyncStore>);

}  // namespace
}  // namespace inkan::storage
