#pragma once

// A port suite over one store type (service::OobStore, service::AsyncStore, ...): the backend prepares an
// empty database per test and returns a factory of store instances on it, each with its own connection
// ("a node"). An adapter's test file instantiates the suite with its backend, e.g.
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, OobStoreSuite, ::testing::Values(OobStoreBackend{"Sqlite", fresh}),
//                            port_backend_name<service::OobStore>);

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

namespace inkan::storage::testing {

template <class Port>
struct PortBackend {
    using Factory = std::function<std::unique_ptr<Port>()>;
    std::string name;
    /// Called once per test: an empty database, and a factory for stores on it. The factory owns what keeps
    /// the database alive and is destroyed after the test's stores.
    std::function<Factory()> fresh_database;
    /// Why this backend cannot run here (empty: it can); only a missing server program may be a reason.
    std::function<std::string()> unavailable = [] { return std::string{}; };
};

template <class Port>
void PrintTo(const PortBackend<Port>& backend, std::ostream* os) {
    *os << backend.name;
}

template <class Port>
std::string port_backend_name(const ::testing::TestParamInfo<PortBackend<Port>>& info) {
    return info.param.name;
}

/// The fixture: `store` on a fresh database; open_another() for a further node.
template <class Port>
class PortSuite : public ::testing::TestWithParam<PortBackend<Port>> {
protected:
    void SetUp() override {
        const auto& backend = this->GetParam();
        if (const std::string why = backend.unavailable(); !why.empty()) {
            GTEST_SKIP() << backend.name << ": " << why;
        }
        m_open = backend.fresh_database();
        ASSERT_TRUE(m_open) << backend.name << ": no factory";
        store = m_open();
        ASSERT_NE(store, nullptr);
    }
    void TearDown() override {
        store.reset();
        m_open = nullptr;
    }
    std::unique_ptr<Port> open_another() { return m_open(); }

    std::unique_ptr<Port> store;

private:
    typename PortBackend<Port>::Factory m_open;
};

}  // namespace inkan::storage::testing
