#pragma once

// What the PostgreSQL adapter tests share: the run's cluster (tests/support/postgres.h), a database per
// test, and a pool ("a node") on it.

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include <inkan/storage/postgres.h>
#include <inkan/testing/postgres.h>

namespace inkan::storage::testing {

/// Empty when the run's cluster is there; else why not. A missing server program is the only reason
/// to skip; a cluster that fails to start is a test failure (the message says FAILED).
inline std::string postgres_unavailable() {
    std::string why;
    if (inkan::testing::shared_postgres(&why) != nullptr) {
        return {};
    }
    return why.empty() ? std::string{"no PostgreSQL test cluster"} : why;
}

/// Skips only when the server binaries are missing; fails when they are there but no cluster runs.
#define INKAN_REQUIRE_POSTGRES()                                                    \
    do {                                                                            \
        const std::string why_ = ::inkan::storage::testing::postgres_unavailable(); \
        if (!why_.empty()) {                                                        \
            if (::inkan::testing::postgres_bin_dir()) {                             \
                FAIL() << why_;                                                     \
            }                                                                       \
            GTEST_SKIP() << why_;                                                   \
        }                                                                           \
    } while (false)

/// Options for a node on `db`: a small pool, short lease timeout.
inline pg::Options node_options(const inkan::testing::TestDatabase& db, std::size_t pool_size = 4) {
    pg::Options o;
    o.url = db.url();
    o.pool_size = pool_size;
    return o;
}

}  // namespace inkan::storage::testing
