// The README's commands typed as written: every `inkan` line of its shell examples is run by sh in
// a directory initialised the README's way. The files and servers the examples name are not there,
// so most commands fail — but none may fail as a usage error (a command line the CLI does not
// accept is a README that lies, or an option parser that swallows words).

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <inkan/testing/process.h>

#include "e2e_support.h"

namespace fs = std::filesystem;
using inkan::testing::describe;
using inkan::testing::run;
using inkan::testing::TempDir;

namespace {

/// Every `inkan ...` command of the README's ```sh blocks, continuation lines joined.
std::vector<std::string> readme_commands() {
    std::ifstream in{INKAN_SOURCE_DIR "/README.md"};
    std::vector<std::string> out;
    std::string line;
    bool in_sh = false;
    std::string pending;
    const std::regex command{R"(^\s*inkan\s)"};
    while (std::getline(in, line)) {
        if (line.rfind("```", 0) == 0) {
            in_sh = !in_sh && line == "```sh";
            continue;
        }
        if (!in_sh) {
            continue;
        }
        if (!pending.empty() || std::regex_search(line, command)) {
            const bool continued = !line.empty() && line.back() == '\\';
            pending += continued ? line.substr(0, line.size() - 1) : line;
            if (!continued) {
                out.push_back(pending);
                pending.clear();
            }
        }
    }
    return out;
}

TEST(Readme, EveryInkanCommandInTheExamplesIsAcceptedAsTyped) {
    const auto commands = readme_commands();
    // The README has these sections; fewer found means the extraction broke, not that all is well.
    ASSERT_GE(commands.size(), 15u) << "README.md shell examples with inkan commands";
    TempDir dir{"inkan-readme"};
    const std::string bin_dir = fs::path{INKAN_BIN}.parent_path().string();
    const std::string path = bin_dir + ":" + (std::getenv("PATH") != nullptr ? std::getenv("PATH") : "");
    std::vector<std::string> refused;
    for (const auto& c : commands) {
        if (c.find("inkan serve") != std::string::npos) {
            continue;  // would serve until stopped; serve's options have their own tests
        }
        // Factors come from the environment or a prompt; neither is there, so nothing waits.
        const auto r =
            run({"env", "-u", "INKAN_PASSWORD", "-u", "INKAN_PIN", "-u", "INKAN_OTP", "PATH=" + path,
                 "timeout", "120", "sh", "-c",
                 // The walk-through's variables (its assignments run in ReadmeWalkthrough, not here).
                 "ID=ID SERIAL=01 TOKEN=TOKEN; cd '" + dir.path().string() + "' && " + c});
        if (r.err.find("usage: inkan") != std::string::npos || r.exit_code == 124) {
            refused.push_back(c + "\n    -> " + describe(r));
        }
    }
    std::string all;
    for (const auto& r : refused) {
        all += r + "\n";
    }
    EXPECT_TRUE(refused.empty()) << refused.size() << " README command(s) refused as typed:\n" << all;
    // The walk-through's first command really ran: the data directory the others use exists.
    EXPECT_TRUE(fs::exists(dir.path() / "d" / "inkan.toml")) << "inkan init --data d did not run";
}

}  // namespace
