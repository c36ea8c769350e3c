#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <inkan/core/bytes.h>

namespace inkan::testing {

/// A directory under $TMPDIR (or /tmp) removed with everything in it on destruction.
class TempDir {
public:
    explicit TempDir(std::string_view prefix = "inkan-test");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return m_path; }
    [[nodiscard]] std::filesystem::path operator/(std::string_view name) const { return m_path / name; }

private:
    std::filesystem::path m_path;
};

struct CommandResult {
    int exit_code = -1;  ///< the exit status, or 128+signal
    std::string out;
    std::string err;
};

/// Runs argv[0] (looked up in PATH) with the given arguments and standard input, and waits for it.
/// No shell is involved, so arguments need no quoting. Used to run the external oracles
/// (openssl, pkcs11-tool) and the inkan binary itself.
CommandResult run(const std::vector<std::string>& argv, std::string_view stdin_data = {});

void write_file(const std::filesystem::path& p, ByteView data);
void write_file(const std::filesystem::path& p, std::string_view text);
Bytes read_file(const std::filesystem::path& p);

}  // namespace inkan::testing
