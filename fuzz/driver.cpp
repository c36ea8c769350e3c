// The standalone driver of the normal (gcc) build: feeds every file of the given directories (or the
// given files) to LLVMFuzzerTestOneInput once, in name order, so each target's corpus runs as a ctest
// without clang or libFuzzer. A finding aborts the process (and fails the test); the file being run is
// printed first so the failure names it.

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "fuzz.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
    std::vector<fs::path> files;
    for (int i = 1; i < argc; ++i) {
        const fs::path arg{argv[i]};
        if (fs::is_directory(arg)) {
            for (const auto& entry : fs::directory_iterator{arg}) {
                if (entry.is_regular_file()) {
                    files.push_back(entry.path());
                }
            }
        } else {
            files.push_back(arg);
        }
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) {
        // An empty corpus proves nothing: the generator did not run or wrote nowhere.
        std::fprintf(stderr, "fuzz driver: no input files\n");
        return 1;
    }
    for (const fs::path& f : files) {
        std::ifstream in{f, std::ios::binary};
        const std::vector<char> data{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
        std::fprintf(stderr, "running %s (%zu bytes)\n", f.c_str(), data.size());
        (void)LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
    }
    std::printf("fuzz driver: %zu inputs ran without a finding\n", files.size());
    return 0;
}
