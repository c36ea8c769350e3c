// inkan_test_postgres start|stop DIR: the ctest fixture `postgres` (tests/CMakeLists.txt). `start` makes
// a throwaway cluster in DIR and leaves it running for the db tests (they find it through
// INKAN_TEST_PG_DIR); `stop` stops it by its postmaster's pid and removes DIR. A cluster left in DIR by
// a run that was killed is stopped and replaced by `start`.

#include <cstdio>
#include <exception>
#include <filesystem>
#include <string_view>

#include <inkan/testing/postgres.h>

int main(int argc, char** argv) {
    if (argc != 3 || (std::string_view{argv[1]} != "start" && std::string_view{argv[1]} != "stop")) {
        std::fputs("usage: inkan_test_postgres start|stop DIR\n", stderr);
        return 2;
    }
    const std::filesystem::path dir{argv[2]};
    try {
        if (std::string_view{argv[1]} == "start") {
            if (!inkan::testing::postgres_bin_dir()) {
                // The tests that need the cluster say so themselves (and skip only then).
                std::puts("inkan_test_postgres: no PostgreSQL server binaries; no cluster started");
                return 0;
            }
            inkan::testing::PostgresCluster cluster{dir, false};
            std::printf("inkan_test_postgres: cluster running in %s\n", dir.c_str());
            return 0;
        }
        if (std::filesystem::exists(dir)) {
            // An attached handle is never stopped by its destructor; stop() here is explicit.
            auto attached = inkan::testing::PostgresCluster::attach(dir);
            attached.stop();
            std::error_code ec;
            std::filesystem::remove_all(dir, ec);
        }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "inkan_test_postgres %s: %s\n", argv[1], e.what());
        return 1;
    }
}
