// `make soak`'s tooling in make test (issue 20): scripts/run-soak for 30 seconds instead of ten minutes,
// sampling every 5 s. The long run's verdict (flat memory and descriptors over ten minutes) is for
// `make soak`; here the test holds the tool to what it must do so that the long run can be believed: every
// kind of traffic ran without an error, each sample has the server's memory, descriptors and
// latencies, and the chart is a PNG gnuplot drew from the CSV.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/testing/process.h>

namespace fs = std::filesystem;
using inkan::testing::describe;
using inkan::testing::run;
using inkan::testing::TempDir;
using nlohmann::json;

TEST(SoakE2e, AShortSoakSamplesMemoryDescriptorsAndLatenciesIntoACsvAndAChartWithoutErrors) {
    TempDir tmp{"inkan-soak-e2e"};
    const fs::path out = tmp / "soak";
    const auto r = run({"env", "INKAN=" INKAN_BIN, "SOAK_INTERVAL=5", "SOAK_VERDICT=0",
                        INKAN_SOURCE_DIR "/scripts/run-soak", "unused-build-dir", "30", out.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const json summary = json::parse(r.out);  // soak.py's one JSON line
    EXPECT_GE(summary["samples"].get<int>(), 5) << r.out;
    EXPECT_TRUE(summary["errors_seen"].empty()) << r.out;
    for (const char* kind : {"sign", "tsa", "validate"}) {
        EXPECT_GT(summary["requests"][kind].get<int>(), 0) << kind << ": " << r.out;
    }

    std::ifstream csv{out / "soak.csv"};
    std::string header;
    ASSERT_TRUE(std::getline(csv, header));
    EXPECT_EQ(header.rfind("t_s,rss_kib,fds,threads,client_connections,fds_other,sign_n,sign_errors", 0), 0U)
        << header;
    int rows = 0;
    for (std::string line; std::getline(csv, line);) {
        std::vector<std::string> cells;
        std::stringstream ss{line};
        for (std::string cell; std::getline(ss, cell, ',');) {
            cells.push_back(cell);
        }
        ASSERT_GE(cells.size(), 10U) << line;
        EXPECT_GT(std::stol(cells[1]), 1000) << "resident KiB: " << line;
        EXPECT_GT(std::stol(cells[2]), 3) << "descriptors: " << line;
        EXPECT_GT(std::stol(cells[6]), 0) << "signHash requests in this sample: " << line;
        EXPECT_EQ(cells[7], "0") << "signHash errors in this sample: " << line;
        ++rows;
    }
    EXPECT_EQ(rows, summary["samples"].get<int>());

    std::ifstream png{out / "soak.png", std::ios::binary};
    std::string magic(8, '\0');
    png.read(magic.data(), 8);
    EXPECT_EQ(magic, std::string("\x89PNG\r\n\x1a\n", 8)) << "soak.png is not a PNG";
    EXPECT_GT(fs::file_size(out / "soak.png"), 10'000U);
}
