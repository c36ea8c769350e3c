#pragma once

// What the service port suites (user_store_suite.h, credential_store_suite.h, token_store_suite.h,
// authorization_store_suite.h, audit_store_suite.h, console_session_store_suite.h)
// run against: a backend that prepares an empty database and opens stores on it. An adapter's test
// file instantiates each suite with its backend, e.g.
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, UserStoreSuite, ::testing::Values(sqlite_backend()), backend_name);
//
// The three ports share one backend because their rows reference each other (a credential's owner,
// a token's user are users).

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include <inkan/core/clock.h>
#include <inkan/core/error.h>
#include <inkan/service/ports.h>

namespace inkan {
/// Failures print "conflict", not "2-byte object <08-00>".
inline void PrintTo(Errc code, std::ostream* os) {
    *os << errc_name(code);
}
}  // namespace inkan

namespace inkan::service {
/// Failures print "hash", not a byte dump.
inline void PrintTo(SpendRefusal r, std::ostream* os) {
    *os << name(r);
}
inline void PrintTo(CodeRefusal r, std::ostream* os) {
    *os << name(r);
}
}  // namespace inkan::service

namespace inkan::storage::testing {

/// One set of store instances — their own connection — on the test's database. A backend whose adapter
/// for a port is not written yet leaves it null; the suites of that port then fail (never pass vacuously),
/// so a backend instantiates only the suites of the ports it has.
struct ServiceStores {
    std::unique_ptr<service::UserStore> users;
    std::unique_ptr<service::CredentialStore> credentials;
    std::unique_ptr<service::TokenStore> tokens;
    std::unique_ptr<service::AuthorizationStore> authorization;
    std::unique_ptr<service::AuditStore> audit;
    std::unique_ptr<service::OAuthClientStore> oauth_clients;
    std::unique_ptr<service::OAuthGrantStore> oauth_grants;
    std::unique_ptr<service::ConsoleSessionStore> console_sessions;
};
using ServiceStoresFactory = std::function<ServiceStores()>;

struct ServiceStoresBackend {
    std::string name;
    /// Called once per test: prepares an empty database and returns a factory for it. The factory owns
    /// whatever keeps the database alive and is destroyed after the test's stores.
    std::function<ServiceStoresFactory()> fresh_database;
    /// Why this backend cannot run here (empty: it can). Only a missing server program may be a reason;
    /// anything else must fail the test, not skip it (tests/allowed-skips).
    std::function<std::string()> unavailable = [] { return std::string{}; };
};

inline void PrintTo(const ServiceStoresBackend& backend, std::ostream* os) {
    *os << backend.name;
}

inline std::string backend_name(const ::testing::TestParamInfo<ServiceStoresBackend>& info) {
    return info.param.name;
}

/// The common fixture: `users`, `credentials`, `tokens` on a fresh database; open_another() for a
/// second node.
class ServiceStoreTest : public ::testing::TestWithParam<ServiceStoresBackend> {
protected:
    void SetUp() override {
        if (const std::string why = GetParam().unavailable(); !why.empty()) {
            GTEST_SKIP() << GetParam().name << ": " << why;
        }
        m_open = GetParam().fresh_database();
        ASSERT_TRUE(m_open) << GetParam().name << ": no factory";
        m_stores = m_open();
        // Every suite starts by creating users; each suite's own SetUp checks the stores it needs.
        ASSERT_TRUE(m_stores.users) << GetParam().name << ": no UserStore";
        users = m_stores.users.get();
        credentials = m_stores.credentials.get();
        tokens = m_stores.tokens.get();
        authorization = m_stores.authorization.get();
        audit = m_stores.audit.get();
        oauth_clients = m_stores.oauth_clients.get();
        oauth_grants = m_stores.oauth_grants.get();
        console_sessions = m_stores.console_sessions.get();
    }
    void TearDown() override {
        m_stores = {};
        m_open = nullptr;
    }

    /// Further instances on the same database (another thread, process or node).
    ServiceStores open_another() { return m_open(); }

    service::UserStore* users = nullptr;
    service::CredentialStore* credentials = nullptr;
    service::TokenStore* tokens = nullptr;
    service::AuthorizationStore* authorization = nullptr;
    service::AuditStore* audit = nullptr;
    service::OAuthClientStore* oauth_clients = nullptr;
    service::OAuthGrantStore* oauth_grants = nullptr;
    service::ConsoleSessionStore* console_sessions = nullptr;

private:
    ServiceStoresFactory m_open;
    ServiceStores m_stores;
};

/// The code of the inkan::Error `f` throws (a test failure if it throws none).
inline Errc code_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.code();
    }
    ADD_FAILURE() << "no inkan::Error thrown";
    return Errc::Internal;
}

inline TimePoint at(std::int64_t unix_seconds) {
    return TimePoint{std::chrono::seconds{unix_seconds}};
}

/// Times print as RFC 3339 in failures.
inline std::string text(TimePoint t) {
    return format_rfc3339(t);
}

/// A user with the given id and name, created 2026-01-01.
inline service::User make_user(std::string id, std::string name, std::string display_name = {}) {
    service::User u;
    u.id = std::move(id);
    u.name = std::move(name);
    u.display_name = display_name.empty() ? u.name : std::move(display_name);
    u.created_at = at(1'767'225'600);
    return u;
}

}  // namespace inkan::storage::testing
