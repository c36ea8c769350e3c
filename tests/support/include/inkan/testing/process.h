#pragma once

#include <chrono>
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

/// The exit status and both outputs of a finished command, for a failing assertion's message.
std::string describe(const CommandResult& r);

/// A program running in the background (a server under test): stdout is a pipe the test reads
/// lines from, stderr goes to a file. The destructor sends SIGTERM, waits, and SIGKILLs after 10 s,
/// so a failing test never leaves a server behind.
class Process {
public:
    /// `env`: extra NAME=VALUE entries on top of this process's environment.
    explicit Process(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    /// The next line of stdout (without "\n"); Errc::Unavailable on timeout or end of output.
    std::string read_line(std::chrono::milliseconds timeout);
    /// SIGTERM, then waits up to `grace`; returns the exit status (128+signal if it had to be killed).
    int terminate(std::chrono::milliseconds grace = std::chrono::seconds{20});
    /// SIGKILL at once (a crash: no handler, no flush, no drain); returns 128+9.
    int kill_now();
    [[nodiscard]] int pid() const noexcept { return m_pid; }
    /// Everything written to stderr so far.
    [[nodiscard]] std::string stderr_text() const;

private:
    int m_pid = -1;
    int m_stdout = -1;
    std::string m_buffer;
    TempDir m_dir{"inkan-proc"};
    bool m_exited = false;
    int m_status = 0;
};

/// A loopback TCP port that nothing listens on now, below the kernel's ephemeral range (20000–32767): a
/// server that binds port 0 (every other test server) never takes it, so it stays free between a test
/// writing it somewhere (`inkan init --pki-listen` puts it into certificates) and a server binding it.
int reserved_port();

void write_file(const std::filesystem::path& p, ByteView data);
void write_file(const std::filesystem::path& p, std::string_view text);
Bytes read_file(const std::filesystem::path& p);

}  // namespace inkan::testing
