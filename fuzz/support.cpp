#include <fstream>
#include <string>

#include <unistd.h>

#include "fuzz.h"

namespace inkan::fuzz {

namespace {
struct Scratch {
    std::filesystem::path path;
    Scratch() {
        path = std::filesystem::temp_directory_path() / ("inkan-fuzz-" + std::to_string(::getpid()));
        std::filesystem::create_directories(path);
    }
    ~Scratch() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
};
}  // namespace

const std::filesystem::path& scratch() {
    static const Scratch s;
    return s.path;
}

std::filesystem::path write_file(std::string_view name, ByteView data) {
    std::filesystem::path p = scratch() / std::string{name};
    std::ofstream out{p, std::ios::binary | std::ios::trunc};
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
    out.close();
    if (!out) {
        throw Error{Errc::IoFailure, "fuzz: cannot write " + p.string()};
    }
    return p;
}

}  // namespace inkan::fuzz
