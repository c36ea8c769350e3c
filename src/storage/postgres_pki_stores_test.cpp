// The CaStore port suite on PostgreSQL, and the TSA serial counter across nodes.

#include <inkan/storage/postgres_pki_stores.h>

#include <atomic>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "ca_store_suite.h"
#include "postgres_test_support.h"

namespace inkan::storage {
namespace {

using inkan::testing::shared_postgres;
using inkan::testing::TestDatabase;
using testing::CaStoreSuite;
using testing::node_options;

testing::CaStoreFactory fresh_postgres_database() {
    auto* cluster = shared_postgres();
    require(cluster != nullptr, Errc::Unavailable, testing::postgres_unavailable());
    auto db = std::make_shared<TestDatabase>(*cluster);
    return [db]() -> std::unique_ptr<pki::CaStore> {
        return std::make_unique<PostgresCaStore>(pg::open_database(node_options(*db, 2)));
    };
}

INSTANTIATE_TEST_SUITE_P(Postgres, CaStoreSuite,
                         ::testing::Values(testing::CaStoreBackend{"Postgres", fresh_postgres_database}),
                         testing::backend_name);

class PostgresTsaSerials : public ::testing::Test {
protected:
    void SetUp() override {
        INKAN_REQUIRE_POSTGRES();
        db = std::make_unique<TestDatabase>(*shared_postgres());
    }
    std::shared_ptr<pg::Pool> node() { return pg::open_database(node_options(*db, 1)); }
    std::unique_ptr<TestDatabase> db;
};

TEST_F(PostgresTsaSerials, FirstBlockStartsAtOneAndBlocksFollowEachOther) {
    PostgresTsaSerialStore store{node()};
    EXPECT_EQ(store.reserve(10), 1U);
    EXPECT_EQ(store.reserve(5), 11U);
    EXPECT_EQ(store.reserve(1), 16U);
}

TEST_F(PostgresTsaSerials, CountersOfDifferentNamesAreIndependent) {
    auto pool = node();
    PostgresTsaSerialStore a{pool, "one"};
    PostgresTsaSerialStore b{pool, "two"};
    EXPECT_EQ(a.reserve(3), 1U);
    EXPECT_EQ(b.reserve(3), 1U);
    EXPECT_EQ(a.reserve(3), 4U);
}

TEST_F(PostgresTsaSerials, EightNodesNeverGetOverlappingBlocks) {
    constexpr int kNodes = 8;
    constexpr int kBlocks = 50;
    constexpr std::uint64_t kSize = 7;
    std::vector<std::unique_ptr<PostgresTsaSerialStore>> stores;
    for (int i = 0; i < kNodes; ++i) {
        stores.push_back(std::make_unique<PostgresTsaSerialStore>(node()));
    }
    std::vector<std::vector<std::uint64_t>> firsts(kNodes);
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < kNodes; ++i) {
        threads.emplace_back([&, i] {
            while (!go.load()) {
                std::this_thread::yield();
            }
            for (int k = 0; k < kBlocks; ++k) {
                firsts[static_cast<std::size_t>(i)].push_back(
                    stores[static_cast<std::size_t>(i)]->reserve(kSize));
            }
        });
    }
    go = true;
    for (auto& t : threads) {
        t.join();
    }
    std::set<std::uint64_t> serials;
    for (const auto& node_firsts : firsts) {
        for (const auto first : node_firsts) {
            for (std::uint64_t s = first; s < first + kSize; ++s) {
                EXPECT_TRUE(serials.insert(s).second) << "serial " << s << " handed out twice";
            }
        }
    }
    EXPECT_EQ(serials.size(), kNodes * kBlocks * kSize);
    EXPECT_EQ(*serials.rbegin(), kNodes * kBlocks * kSize) << "the blocks leave no gap";
}

TEST_F(PostgresTsaSerials, RefusesAnEmptyBlock) {
    PostgresTsaSerialStore store{node()};
    EXPECT_THROW((void)store.reserve(0), Error);
}

}  // namespace
}  // namespace inkan::storage
