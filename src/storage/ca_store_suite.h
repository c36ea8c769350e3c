#pragma once

// The pki::CaStore port suite: every adapter (SQLite, PostgreSQL) instantiates it with a
// backend and must pass it unchanged. The tests live in ca_store_suite_test.cpp; an adapter's test
// file only does
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, CaStoreSuite, ::testing::Values(CaStoreBackend{"Sqlite", ...}),
//                            backend_name);

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include <inkan/core/error.h>
#include <inkan/pki/store.h>

namespace inkan {
/// Failures print "conflict", not "2-byte object <08-00>".
inline void PrintTo(Errc code, std::ostream* os) {
    *os << errc_name(code);
}
namespace pki {
inline void PrintTo(RevocationReason reason, std::ostream* os) {
    *os << "CRLReason " << static_cast<int>(reason);
}
}  // namespace pki
}  // namespace inkan

namespace inkan::storage::testing {

/// Opens a new store instance — its own connection — on the test's database.
using CaStoreFactory = std::function<std::unique_ptr<pki::CaStore>()>;

struct CaStoreBackend {
    std::string name;
    /// Called once per test: prepares an empty database and returns a factory for it. The factory
    /// owns whatever keeps the database alive (a temp dir, a server) and is destroyed after the
    /// test's stores.
    std::function<CaStoreFactory()> fresh_database;
};

inline void PrintTo(const CaStoreBackend& backend, std::ostream* os) {
    *os << backend.name;
}

inline std::string backend_name(const ::testing::TestParamInfo<CaStoreBackend>& info) {
    return info.param.name;
}

class CaStoreSuite : public ::testing::TestWithParam<CaStoreBackend> {
protected:
    void SetUp() override {
        m_open = GetParam().fresh_database();
        ASSERT_TRUE(m_open) << GetParam().name << ": no factory";
        store = m_open();
        ASSERT_NE(store, nullptr);
    }
    void TearDown() override {
        store.reset();
        m_open = nullptr;
    }

    /// A further instance on the same database (another thread, process or node).
    std::unique_ptr<pki::CaStore> open_another() { return m_open(); }

    std::unique_ptr<pki::CaStore> store;

private:
    CaStoreFactory m_open;
};

}  // namespace inkan::storage::testing
