// The TSA serial counter on SQLite: blocks never overlap, across threads and across connections.

#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <inkan/storage/sqlite_tsa_serial_store.h>
#include <inkan/testing/process.h>

namespace {

using inkan::storage::SqliteTsaSerialStore;
using inkan::testing::TempDir;

TEST(SqliteTsaSerialStore, FirstBlockStartsAtOneAndBlocksFollowEachOther) {
    TempDir dir;
    SqliteTsaSerialStore store{dir / "db.sqlite"};
    EXPECT_EQ(store.reserve(10), 1U);
    EXPECT_EQ(store.reserve(5), 11U);
    EXPECT_EQ(store.reserve(1), 16U);
}

TEST(SqliteTsaSerialStore, TwoConnectionsOnOneFileNeverGetOverlappingBlocks) {
    TempDir dir;
    SqliteTsaSerialStore a{dir / "db.sqlite"};
    SqliteTsaSerialStore b{dir / "db.sqlite"};
    std::vector<std::uint64_t> firsts_a;
    std::vector<std::uint64_t> firsts_b;
    std::thread ta{[&] {
        for (int i = 0; i < 200; ++i) {
            firsts_a.push_back(a.reserve(7));
        }
    }};
    std::thread tb{[&] {
        for (int i = 0; i < 200; ++i) {
            firsts_b.push_back(b.reserve(7));
        }
    }};
    ta.join();
    tb.join();
    std::set<std::uint64_t> serials;
    for (const auto* firsts : {&firsts_a, &firsts_b}) {
        for (const auto first : *firsts) {
            for (std::uint64_t s = first; s < first + 7; ++s) {
                EXPECT_TRUE(serials.insert(s).second) << "serial " << s << " handed out twice";
            }
        }
    }
    EXPECT_EQ(serials.size(), 400U * 7U);
}

TEST(SqliteTsaSerialStore, CountersOfDifferentNamesAreIndependent) {
    TempDir dir;
    SqliteTsaSerialStore a{dir / "db.sqlite", "one"};
    SqliteTsaSerialStore b{dir / "db.sqlite", "two"};
    EXPECT_EQ(a.reserve(3), 1U);
    EXPECT_EQ(b.reserve(3), 1U);
    EXPECT_EQ(a.reserve(3), 4U);
}

TEST(SqliteTsaSerialStore, RefusesAnEmptyBlock) {
    TempDir dir;
    SqliteTsaSerialStore store{dir / "db.sqlite"};
    EXPECT_THROW((void)store.reserve(0), inkan::Error);
}

}  // namespace
