#pragma once

// Throwaway PostgreSQL clusters for the db tests (issue 19): initdb + pg_ctl in a directory of their
// own, listening only on a Unix socket in that directory (listen_addresses=''), no TCP port, trust
// authentication for the superuser `inkan`, fsync off. Tests run as root here and PostgreSQL refuses to
// run as root, so as root the server runs as the `postgres` system user that Debian's postgresql
// package creates (runuser -u postgres); as any other user it runs as that user.
//
// One cluster serves a whole `ctest` run: the ctest fixture `postgres` starts it (inkan_test_postgres
// start DIR) before the first test that needs it and stops it after the last; each test makes its own
// schema in it (a logical database: TestDatabase) and drops it at the end. A test binary run by hand, without
// the fixture's INKAN_TEST_PG_DIR, starts a cluster of its own and stops it when it exits.
//
// A cluster is stopped by its postmaster's pid (from postmaster.pid), never by a process name.

#include <filesystem>
#include <optional>
#include <string>

namespace inkan::testing {

/// The directory with initdb and pg_ctl: $INKAN_TEST_PG_BIN, else the newest /usr/lib/postgresql/*/bin.
/// Nothing if there is no initdb.
std::optional<std::filesystem::path> postgres_bin_dir();

class PostgresCluster {
public:
    /// Creates a cluster in `dir` (made if absent; anything in it is removed first) and starts it.
    /// `owned`: stop it and remove `dir` in the destructor.
    PostgresCluster(std::filesystem::path dir, bool owned);
    /// A cluster another process started in `dir` (not stopped by this object).
    static PostgresCluster attach(std::filesystem::path dir);
    ~PostgresCluster();
    PostgresCluster(PostgresCluster&& other) noexcept;
    PostgresCluster& operator=(PostgresCluster&&) = delete;
    PostgresCluster(const PostgresCluster&) = delete;
    PostgresCluster& operator=(const PostgresCluster&) = delete;

    /// pg_ctl start -w (the cluster must exist).
    void start();
    /// Fast shutdown by the postmaster's pid; returns once it has exited. No-op if it is not running.
    void stop();
    [[nodiscard]] bool running() const;

    /// A new, empty schema in the database `postgres`, named uniquely for this process; returns its name.
    /// A schema, not a database, per test: CREATE SCHEMA takes milliseconds, CREATE DATABASE most of a
    /// second (it copies the template).
    std::string create_schema();
    /// DROP SCHEMA ... CASCADE.
    void drop_schema(const std::string& name);
    /// A libpq URI for the database `postgres` as the superuser, over the socket, with `schema` first on
    /// the search path: everything the adapters create and read is in that schema.
    [[nodiscard]] std::string url(const std::string& schema) const;
    /// Runs SQL through psql as the superuser on the database `postgres`; returns psql's output
    /// (unaligned, tuples only).
    std::string psql(const std::string& sql);

    [[nodiscard]] const std::filesystem::path& dir() const noexcept { return m_dir; }

private:
    PostgresCluster(std::filesystem::path dir, bool owned, bool create);
    void initdb();

    std::filesystem::path m_dir;
    std::filesystem::path m_bin;
    bool m_owned = false;
};

/// The cluster this test process uses: the ctest fixture's (INKAN_TEST_PG_DIR) or one started for this
/// process (stopped at exit). Nothing when the server binaries are missing, with the reason in
/// `why_not` (for GTEST_SKIP).
PostgresCluster* shared_postgres(std::string* why_not = nullptr);

/// A database of its own for one test (a schema of its own, see create_schema): created in the
/// constructor, dropped in the destructor.
class TestDatabase {
public:
    explicit TestDatabase(PostgresCluster& cluster) : m_cluster{cluster}, m_name{cluster.create_schema()} {}
    ~TestDatabase();
    TestDatabase(const TestDatabase&) = delete;
    TestDatabase& operator=(const TestDatabase&) = delete;
    [[nodiscard]] std::string url() const { return m_cluster.url(m_name); }
    /// The schema's name.
    [[nodiscard]] const std::string& name() const noexcept { return m_name; }
    /// Runs SQL in this test's schema through psql (an outside view of what the adapters wrote).
    std::string psql(const std::string& sql) {
        return m_cluster.psql("SET search_path TO " + m_name + "; " + sql);
    }
    [[nodiscard]] PostgresCluster& cluster() noexcept { return m_cluster; }

private:
    PostgresCluster& m_cluster;
    std::string m_name;
};

}  // namespace inkan::testing
