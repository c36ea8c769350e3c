#include <inkan/testing/postgres.h>

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <inkan/core/error.h>
#include <inkan/testing/process.h>

namespace inkan::testing {

namespace fs = std::filesystem;

namespace {

constexpr const char* kSuperuser = "inkan";
// PostgreSQL refuses to run as root; Debian's postgresql package creates this system user.
constexpr const char* kServerUser = "postgres";

bool is_root() {
    return ::geteuid() == 0;
}

/// argv for a server binary, as the server user when we are root.
std::vector<std::string> as_server_user(std::vector<std::string> argv) {
    if (!is_root()) {
        return argv;
    }
    std::vector<std::string> out{"runuser", "-u", kServerUser, "--"};
    out.insert(out.end(), argv.begin(), argv.end());
    return out;
}

void chown_to_server_user(const fs::path& p) {
    if (!is_root()) {
        return;
    }
    const passwd* pw = ::getpwnam(kServerUser);
    require(pw != nullptr, Errc::InvalidConfig,
            std::string{"postgres test cluster: no system user '"} + kServerUser +
                "' (installed by Debian's postgresql package; scripts/install-deps)");
    require(::chown(p.c_str(), pw->pw_uid, pw->pw_gid) == 0, Errc::IoFailure,
            "postgres test cluster: chown " + p.string() + ": " + std::strerror(errno));
}

/// The postmaster's pid from DATA/postmaster.pid, if the file is there.
std::optional<pid_t> postmaster_pid(const fs::path& data) {
    std::ifstream in{data / "postmaster.pid"};
    long pid = 0;
    if (!(in >> pid) || pid <= 0) {
        return std::nullopt;
    }
    return static_cast<pid_t>(pid);
}

/// Alive and not a zombie (the postmaster's parent is pg_ctl, which has exited; a container's init may be
/// slow to reap it).
bool alive(pid_t pid) {
    if (::kill(pid, 0) != 0) {
        return false;
    }
    std::ifstream stat{"/proc/" + std::to_string(pid) + "/stat"};
    std::string line;
    std::getline(stat, line);
    const auto close = line.rfind(')');
    return close == std::string::npos || close + 2 >= line.size() || line[close + 2] != 'Z';
}

std::atomic<int> g_counter{0};

}  // namespace

std::optional<fs::path> postgres_bin_dir() {
    if (const char* env = std::getenv("INKAN_TEST_PG_BIN"); env != nullptr && *env != '\0') {
        return fs::exists(fs::path{env} / "initdb") ? std::optional{fs::path{env}} : std::nullopt;
    }
    std::error_code ec;
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator{"/usr/lib/postgresql", ec}) {
        if (fs::exists(entry.path() / "bin" / "initdb")) {
            found.push_back(entry.path() / "bin");
        }
    }
    if (found.empty()) {
        return std::nullopt;
    }
    // "15" < "16"; versions below 10 had two parts and are long gone.
    std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) {
        return std::stoi(a.parent_path().filename().string()) <
               std::stoi(b.parent_path().filename().string());
    });
    return found.back();
}

PostgresCluster::PostgresCluster(fs::path dir, bool owned) : PostgresCluster(std::move(dir), owned, true) {}

PostgresCluster::PostgresCluster(fs::path dir, bool owned, bool create)
    : m_dir{std::move(dir)}, m_owned{owned} {
    const auto bin = postgres_bin_dir();
    require(bin.has_value(), Errc::InvalidConfig, "postgres test cluster: no initdb found");
    m_bin = *bin;
    if (create) {
        initdb();
        start();
    }
}

PostgresCluster PostgresCluster::attach(fs::path dir) {
    return PostgresCluster{std::move(dir), false, false};
}

PostgresCluster::PostgresCluster(PostgresCluster&& other) noexcept
    : m_dir{std::move(other.m_dir)},
      m_bin{std::move(other.m_bin)},
      m_owned{std::exchange(other.m_owned, false)} {}

PostgresCluster::~PostgresCluster() {
    if (!m_owned) {
        return;
    }
    try {
        stop();
    } catch (const std::exception&) {
        // The directory is removed below either way; a server that outlived stop() is reported by it.
    }
    std::error_code ec;
    fs::remove_all(m_dir, ec);
}

void PostgresCluster::initdb() {
    if (fs::exists(m_dir / "data")) {
        stop();  // a cluster left behind by an earlier run that crashed
    }
    std::error_code ec;
    fs::remove_all(m_dir, ec);
    fs::create_directories(m_dir);
    fs::permissions(m_dir, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    chown_to_server_user(m_dir);
    const auto r = run(
        as_server_user({(m_bin / "initdb").string(), "-D", (m_dir / "data").string(), "-U", kSuperuser,
                        "--auth=trust", "--no-sync", "--no-instructions", "-E", "UTF8", "--locale=C.UTF-8"}));
    require(r.exit_code == 0, Errc::IoFailure, "postgres test cluster: initdb failed: " + describe(r));
}

void PostgresCluster::start() {
    // Only the socket in m_dir: no TCP port, so parallel test runs never collide. fsync and friends off:
    // a throwaway cluster need not survive a power cut.
    const std::string options = "-k " + m_dir.string() +
                                " -c listen_addresses='' -c fsync=off -c synchronous_commit=off"
                                " -c full_page_writes=off -c max_connections=200";
    const auto r = run(as_server_user({(m_bin / "pg_ctl").string(), "-D", (m_dir / "data").string(), "-l",
                                       (m_dir / "server.log").string(), "-w", "-o", options, "start"}));
    require(r.exit_code == 0, Errc::IoFailure, "postgres test cluster: pg_ctl start failed: " + describe(r));
}

bool PostgresCluster::running() const {
    const auto pid = postmaster_pid(m_dir / "data");
    return pid && alive(*pid);
}

void PostgresCluster::stop() {
    const auto pid = postmaster_pid(m_dir / "data");
    if (!pid || !alive(*pid)) {
        return;
    }
    // SIGINT: fast shutdown (sessions are ended, nothing is waited for); the postmaster removes its pid
    // file last. Escalate to an immediate shutdown (SIGQUIT) and SIGKILL if it hangs.
    ::kill(*pid, SIGINT);
    for (int i = 0; i < 3000; ++i) {
        if (!alive(*pid)) {
            return;
        }
        if (i == 1500) {
            ::kill(*pid, SIGQUIT);
        }
        if (i == 2500) {
            ::kill(*pid, SIGKILL);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    throw Error{Errc::IoFailure,
                "postgres test cluster: postmaster " + std::to_string(*pid) + " did not stop"};
}

std::string PostgresCluster::url(const std::string& schema) const {
    // A URI with the socket directory as host (percent-encoded path), the database `postgres`, and the
    // schema first on the search path (options=-csearch_path=SCHEMA, percent-encoded).
    std::string host;
    for (const char c : m_dir.string()) {
        if (c == '/') {
            host += "%2F";
        } else {
            host += c;
        }
    }
    return "postgresql://" + std::string{kSuperuser} + "@" + host + "/postgres?options=-csearch_path%3D" +
           schema;
}

std::string PostgresCluster::psql(const std::string& sql) {
    const auto r = run({(m_bin / "psql").string(), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h",
                        m_dir.string(), "-U", kSuperuser, "-d", "postgres", "-c", sql});
    require(r.exit_code == 0, Errc::IoFailure, "postgres test cluster: psql failed: " + describe(r));
    return r.out;
}

std::string PostgresCluster::create_schema() {
    const std::string name = "t_" + std::to_string(::getpid()) + "_" + std::to_string(++g_counter);
    psql("CREATE SCHEMA " + name);
    return name;
}

void PostgresCluster::drop_schema(const std::string& name) {
    psql("DROP SCHEMA IF EXISTS " + name + " CASCADE");
}

TestDatabase::~TestDatabase() {
    try {
        m_cluster.drop_schema(m_name);
    } catch (const std::exception&) {
        // Left for the cluster's removal at the end of the run.
    }
}

PostgresCluster* shared_postgres(std::string* why_not) {
    // Destroyed in reverse order: the cluster is stopped before its directory goes.
    static std::unique_ptr<TempDir> own_dir;
    static std::unique_ptr<PostgresCluster> cluster;
    static std::string failure;
    static std::once_flag once;
    std::call_once(once, [] {
        try {
            if (!postgres_bin_dir()) {
                failure =
                    "PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb and no "
                    "INKAN_TEST_PG_BIN): install the postgresql package (scripts/install-deps)";
                return;
            }
            if (const char* dir = std::getenv("INKAN_TEST_PG_DIR"); dir != nullptr && *dir != '\0') {
                cluster = std::make_unique<PostgresCluster>(PostgresCluster::attach(dir));
                require(cluster->running(), Errc::Unavailable,
                        std::string{"the ctest fixture's cluster is not running in "} + dir +
                            " (did postgres_cluster_start fail?)");
                return;
            }
            // Started for this process alone; a static's destructor stops it at exit.
            own_dir = std::make_unique<TempDir>("inkan-pg");
            // The server user must reach the cluster directory inside it.
            fs::permissions(own_dir->path(),
                            fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
            cluster = std::make_unique<PostgresCluster>(own_dir->path() / "cluster", true);
        } catch (const std::exception& e) {
            // Not a skip: the binaries are there, so a cluster that does not start is a failure.
            failure = std::string{"FAILED to start a PostgreSQL test cluster: "} + e.what();
        }
    });
    if (!cluster && why_not != nullptr) {
        *why_not = failure;
    }
    return cluster.get();
}

}  // namespace inkan::testing
