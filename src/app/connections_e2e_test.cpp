// A thousand concurrent TLS keep-alive connections on one node (issue 20), from a load generator in a
// process of its own (tests/load/connections.py: asyncio + ssl): 1,000 connections open, 200 of them
// active, the others idle until the end, then every one of them asks once more over the connection it
// opened; slowloris clients and clients that never read their answers run beside them. Every ordinary
// request is answered; after the connections close the server holds no more descriptors than after the
// first round, and its resident memory stops growing (round 3 against round 2). Latency percentiles are
// reported (RecordProperty and stdout), never asserted: these machines are noisy.
//
// The per-address cap (http.max_connections_per_ip, 128 by default) is raised for the test: a thousand
// clients come from one loopback address here, and from a thousand addresses in the field.

#include <filesystem>
#include <iostream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/testing/process.h>

#include "e2e_support.h"

namespace fs = std::filesystem;
using inkan::testing::describe;
using inkan::testing::run;
using inkan::testing::TempDir;
using nlohmann::json;

TEST(ConnectionsE2e, AThousandKeepAliveTlsConnectionsAreAllAnsweredAndLeaveNoDescriptorsOrMemoryBehind) {
    TempDir tmp{"inkan-connections-e2e"};
    const fs::path data = tmp / "data";
    const auto init = run({INKAN_BIN, "init", "--data", data.string(), "--json"});
    ASSERT_EQ(init.exit_code, 0) << describe(init);
    const json init_json = json::parse(init.out);
    std::unique_ptr<inkan::testing::Process> server;
    const json urls =
        inkan::e2e::start_serve(server, data,
                                {"INKAN_HTTP_MAX_CONNECTIONS=4000", "INKAN_HTTP_MAX_CONNECTIONS_PER_IP=4000",
                                 "INKAN_HTTP_ACCESS_LOG=false", "INKAN_HTTP_HEADER_TIMEOUT_MS=5000",
                                 "INKAN_HTTP_WRITE_TIMEOUT_MS=5000"});
    const std::string api = urls["api_url"].get<std::string>();
    const std::string port = api.substr(api.rfind(':') + 1);

    const auto load =
        run({"python3", INKAN_SOURCE_DIR "/tests/load/connections.py", "--port", port, "--cacert",
             init_json["tls_ca"].get<std::string>(), "--connections", "1000", "--active", "200", "--requests",
             "10", "--slow", "10", "--rounds", "3", "--pid", std::to_string(server->pid())});
    ASSERT_EQ(load.exit_code, 0) << describe(load);
    const json out = json::parse(load.out);
    std::cout << "connections: " << out.dump() << "\n";
    ASSERT_EQ(out["rounds"].size(), 3U) << load.out;
    for (std::size_t i = 0; i < out["rounds"].size(); ++i) {
        const json& r = out["rounds"][i];
        SCOPED_TRACE("round " + std::to_string(i + 1));
        EXPECT_EQ(r["error_count"].get<int>(), 0) << r.dump();
        EXPECT_EQ(r["answered"].get<int>(), r["sent"].get<int>()) << r.dump();
        EXPECT_EQ(r["sent"].get<int>(), 1000 + 200 * 10 + 1000) << r.dump();
        ::testing::Test::RecordProperty("round" + std::to_string(i + 1) + "_p99_ms",
                                        std::to_string(r["p99_ms"].get<double>()));
    }
    // Descriptors: the first round may open what the server opens lazily; after that, none more.
    const int fds1 = out["rounds"][0]["after"]["fds"].get<int>();
    const int fds3 = out["rounds"][2]["after"]["fds"].get<int>();
    EXPECT_LE(fds3, fds1) << "descriptors after round 1 vs round 3: " << out.dump();
    EXPECT_LE(fds1, out["before"]["fds"].get<int>() + 16) << out.dump();
    // Memory: once the allocator has its arenas (rounds 1 and 2), a third round adds no more than noise.
    const long rss2 = out["rounds"][1]["after"]["rss_kb"].get<long>();
    const long rss3 = out["rounds"][2]["after"]["rss_kb"].get<long>();
    EXPECT_LE(rss3, rss2 + rss2 / 10 + 8 * 1024) << "resident KiB after round 2 vs round 3: " << out.dump();
    EXPECT_EQ(server->terminate(), 0) << server->stderr_text().substr(0, 4000);
}
