#pragma once

// What every fuzz target shares: the libFuzzer entry point, and the rule that bad input may only end
// in an inkan::Error (the one error type every layer throws, docs/errors.md). Any other exception, a
// crash, a leak or undefined behaviour is a finding: it escapes and the fuzzer (or the corpus ctest)
// stops on it.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>

#include <inkan/core/bytes.h>
#include <inkan/core/error.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace inkan::fuzz {

inline ByteView bytes(const std::uint8_t* data, std::size_t size) {
    return {data, size};
}
inline std::string_view text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

/// Runs `f`; an inkan::Error is the documented answer to bad input and is swallowed.
template <class F>
void refusing(F&& f) {
    try {
        f();
    } catch (const Error&) {
    }
}

/// A directory of this process's own, removed at exit (entry points that read files: PDF, validator).
const std::filesystem::path& scratch();
/// Writes `data` to scratch()/name and returns the path.
std::filesystem::path write_file(std::string_view name, ByteView data);

}  // namespace inkan::fuzz
