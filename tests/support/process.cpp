#include <inkan/testing/process.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>

#include <inkan/core/error.h>

namespace inkan::testing {

namespace fs = std::filesystem;

TempDir::TempDir(std::string_view prefix) {
    const char* tmp = std::getenv("TMPDIR");
    const fs::path base = (tmp != nullptr && *tmp != '\0') ? fs::path{tmp} : fs::path{"/tmp"};
    std::string templ = (base / (std::string{prefix} + "-XXXXXX")).string();
    if (::mkdtemp(templ.data()) == nullptr) {
        throw Error{Errc::IoFailure, "mkdtemp " + templ + ": " + std::strerror(errno)};
    }
    m_path = templ;
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(m_path, ec);
}

namespace {

void close_fd(int& fd) {
    if (fd >= 0) {
        ::close(fd);
        fd = -1;
    }
}

}  // namespace

std::string describe(const CommandResult& r) {
    return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

int reserved_port() {
    std::random_device rd;
    std::uniform_int_distribution<int> pick{20000, 32767};
    for (int attempt = 0; attempt < 1000; ++attempt) {
        const int port = pick(rd);
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            break;
        }
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(static_cast<std::uint16_t>(port));
        const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        ::close(fd);
        if (free) {
            return port;
        }
    }
    throw Error{Errc::Unavailable, "no free loopback port between 20000 and 32767"};
}

CommandResult run(const std::vector<std::string>& argv, std::string_view stdin_data) {
    require(!argv.empty(), Errc::InvalidRequest, "run: empty argv");
    std::array<int, 2> in_pipe{-1, -1};
    std::array<int, 2> out_pipe{-1, -1};
    std::array<int, 2> err_pipe{-1, -1};
    if (::pipe2(in_pipe.data(), O_CLOEXEC) != 0 || ::pipe2(out_pipe.data(), O_CLOEXEC) != 0 ||
        ::pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
        throw Error{Errc::IoFailure, std::string{"pipe: "} + std::strerror(errno)};
    }
    std::vector<char*> cargv;
    cargv.reserve(argv.size() + 1);
    for (const auto& a : argv) {
        cargv.push_back(const_cast<char*>(a.c_str()));
    }
    cargv.push_back(nullptr);

    const pid_t pid = ::fork();
    if (pid < 0) {
        throw Error{Errc::IoFailure, std::string{"fork: "} + std::strerror(errno)};
    }
    if (pid == 0) {
        ::dup2(in_pipe[0], 0);
        ::dup2(out_pipe[1], 1);
        ::dup2(err_pipe[1], 2);
        ::execvp(cargv[0], cargv.data());
        const std::string msg = std::string{"exec "} + argv[0] + ": " + std::strerror(errno) + "\n";
        (void)!::write(2, msg.data(), msg.size());
        ::_exit(127);
    }
    close_fd(in_pipe[0]);
    close_fd(out_pipe[1]);
    close_fd(err_pipe[1]);

    CommandResult result;
    std::size_t written = 0;
    if (stdin_data.empty()) {
        close_fd(in_pipe[1]);
    } else {
        ::fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);
    }
    std::array<char, 65536> buf{};
    // Feed stdin and drain stdout/stderr together, so a child that writes a lot before reading
    // everything cannot deadlock against us.
    while (out_pipe[0] >= 0 || err_pipe[0] >= 0) {
        std::array<pollfd, 3> fds{};
        nfds_t n = 0;
        const auto add = [&](int fd, short events) {
            if (fd >= 0) {
                fds[n++] = pollfd{fd, events, 0};
            }
        };
        add(out_pipe[0], POLLIN);
        add(err_pipe[0], POLLIN);
        add(in_pipe[1], POLLOUT);
        if (::poll(fds.data(), n, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        for (nfds_t i = 0; i < n; ++i) {
            if (fds[i].revents == 0) {
                continue;
            }
            if (fds[i].fd == in_pipe[1]) {
                const ssize_t w =
                    ::write(in_pipe[1], stdin_data.data() + written, stdin_data.size() - written);
                if (w > 0) {
                    written += static_cast<std::size_t>(w);
                }
                if (w < 0 && errno != EAGAIN) {
                    close_fd(in_pipe[1]);
                } else if (written == stdin_data.size()) {
                    close_fd(in_pipe[1]);
                }
                continue;
            }
            int& fd = fds[i].fd == out_pipe[0] ? out_pipe[0] : err_pipe[0];
            std::string& sink = fds[i].fd == out_pipe[0] ? result.out : result.err;
            const ssize_t r = ::read(fd, buf.data(), buf.size());
            if (r > 0) {
                sink.append(buf.data(), static_cast<std::size_t>(r));
            } else if (r == 0 || errno != EINTR) {
                close_fd(fd);
            }
        }
    }
    close_fd(in_pipe[1]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

Process::Process(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
    require(!argv.empty(), Errc::InvalidRequest, "Process: empty argv");
    std::array<int, 2> out_pipe{-1, -1};
    if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0) {
        throw Error{Errc::IoFailure, std::string{"pipe: "} + std::strerror(errno)};
    }
    const std::string err_file = (m_dir.path() / "stderr").string();
    std::vector<char*> cargv;
    for (const auto& a : argv) {
        cargv.push_back(const_cast<char*>(a.c_str()));
    }
    cargv.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw Error{Errc::IoFailure, std::string{"fork: "} + std::strerror(errno)};
    }
    if (pid == 0) {
        for (const auto& e : env) {
            ::putenv(const_cast<char*>(e.c_str()));
        }
        const int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const int devnull = ::open("/dev/null", O_RDONLY);
        ::dup2(devnull, 0);
        ::dup2(out_pipe[1], 1);
        ::dup2(err, 2);
        ::execvp(cargv[0], cargv.data());
        ::_exit(127);
    }
    ::close(out_pipe[1]);
    m_pid = pid;
    m_stdout = out_pipe[0];
}

Process::~Process() {
    if (!m_exited) {
        try {
            (void)terminate(std::chrono::seconds{10});
        } catch (...) {
        }
    }
    if (m_stdout >= 0) {
        ::close(m_stdout);
    }
}

std::string Process::read_line(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (const auto nl = m_buffer.find('\n'); nl != std::string::npos) {
            std::string line = m_buffer.substr(0, nl);
            m_buffer.erase(0, nl + 1);
            return line;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            throw Error{Errc::Unavailable,
                        "no line from the process within the timeout; stderr:\n" + stderr_text()};
        }
        pollfd p{m_stdout, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
            continue;
        }
        std::array<char, 4096> buf{};
        const ssize_t r = ::read(m_stdout, buf.data(), buf.size());
        if (r <= 0) {
            throw Error{Errc::Unavailable, "the process closed its output; stderr:\n" + stderr_text()};
        }
        m_buffer.append(buf.data(), static_cast<std::size_t>(r));
    }
}

int Process::terminate(std::chrono::milliseconds grace) {
    if (m_exited) {
        return m_status;
    }
    ::kill(m_pid, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    int status = 0;
    for (;;) {
        const pid_t r = ::waitpid(m_pid, &status, WNOHANG);
        if (r == m_pid) {
            break;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, &status, 0);
            break;
        }
        ::usleep(20'000);
    }
    m_exited = true;
    m_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return m_status;
}

int Process::kill_now() {
    if (m_exited) {
        return m_status;
    }
    ::kill(m_pid, SIGKILL);
    int status = 0;
    ::waitpid(m_pid, &status, 0);
    m_exited = true;
    m_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return m_status;
}

std::string Process::stderr_text() const {
    const auto bytes = read_file(m_dir.path() / "stderr");
    return {bytes.begin(), bytes.end()};
}

void write_file(const fs::path& p, ByteView data) {
    std::ofstream f{p, std::ios::binary | std::ios::trunc};
    f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
    if (!f) {
        throw Error{Errc::IoFailure, "cannot write " + p.string()};
    }
}

void write_file(const fs::path& p, std::string_view text) {
    write_file(p, as_bytes(text));
}

Bytes read_file(const fs::path& p) {
    std::ifstream f{p, std::ios::binary};
    if (!f) {
        throw Error{Errc::IoFailure, "cannot read " + p.string()};
    }
    return Bytes{std::istreambuf_iterator<char>{f}, std::istreambuf_iterator<char>{}};
}

}  // namespace inkan::testing
