#pragma once

// The PostgreSQL foundation every PostgreSQL adapter builds on (issue 19, decision 0042): one RAII type
// per libpq handle (Connection owns the PGconn, Result the PGresult), a Pool of connections per node,
// a Transaction that leases one connection from BEGIN to COMMIT and rolls back unless committed,
// parameterised statements only (values never enter the SQL text), versioned migrations applied under
// a database-wide lock, and SQLSTATEs mapped to Errc in one place (postgres.cpp).
//
// Wire format: every parameter is sent in binary with an explicit type (text, bytea, int8, bool), and
// every result is read in binary, so bytes round-trip exactly and no value is ever quoted or escaped.
//
// Threading: a Pool is shared by every adapter and thread of a node; a Transaction (and the Statements
// on it) belongs to one thread at a time.
//
// Unavailability: a connection found dead when a transaction begins (the server restarted, a failover)
// is reconnected once and BEGIN retried — nothing has been sent yet, so that is safe. Once a transaction
// is under way a lost connection is Errc::StorageFailure ("database unavailable"), which the API answers
// 503 temporarily_unavailable; the transaction is not retried, because its COMMIT may or may not have
// reached the server (a SAD spent but no signature returned is safe; a signature returned twice is not).
//
// Error messages name the statement's purpose and PostgreSQL's reason, never a bound value.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/core/config.h>
#include <inkan/core/error.h>
#include <inkan/storage/common.h>

struct pg_conn;
struct pg_result;

namespace inkan::storage::pg {

/// How a node reaches its database.
struct Options {
    /// A libpq connection URI or key=value string ("postgresql://inkan@db1:5432/inkan?sslmode=verify-full").
    /// It must not carry a password: that comes from `password` (a file or an environment variable).
    std::string url;
    /// The password, if the server asks for one; kept out of the url so it never appears in argv, logs or
    /// the configuration file.
    std::optional<std::string> password;
    /// Connections this node keeps; a transaction waits for a free one up to `lease_timeout`.
    std::size_t pool_size = 8;
    std::chrono::milliseconds lease_timeout{5000};
    /// libpq's connect_timeout (seconds), unless the url sets its own.
    int connect_timeout_seconds = 5;
};

/// From the configuration: `storage.url` (or INKAN_STORAGE_URL), `storage.password_env` (the name of a
/// variable holding the password; takes precedence) or `storage.password_file`, `storage.pool_size`,
/// `storage.lease_timeout_ms`, `storage.connect_timeout_seconds`. Nothing when no url is configured
/// (the node keeps SQLite). Errc::InvalidConfig for a url libpq cannot parse, a url with a password in
/// it, a password variable that is not set, an unreadable password file, or a pool size out of 1..1024.
std::optional<Options> options_from_config(const Config& config, const EnvLookup& env = process_env());

/// Errc for an SQLSTATE: class 23 (integrity constraint) → Conflict; everything else (connection lost,
/// server shutting down, too many connections, deadlock, disk full) → StorageFailure.
Errc errc_from_sqlstate(std::string_view sqlstate) noexcept;

/// inkan's schema for PostgreSQL, oldest first (postgres_migrations.cpp). Versions match SQLite's: the
/// same number is the same logical schema on both backends.
std::span<const Migration> postgres_migrations() noexcept;

/// A finished statement's rows, read in binary. Row and column indexes start at 0.
class Result {
public:
    explicit Result(pg_result* result) noexcept : m_result{result} {}
    ~Result();
    Result(Result&& other) noexcept;
    Result& operator=(Result&& other) noexcept;
    Result(const Result&) = delete;
    Result& operator=(const Result&) = delete;

    [[nodiscard]] int rows() const noexcept;
    /// Rows an INSERT/UPDATE/DELETE changed (PQcmdTuples), with or without RETURNING.
    [[nodiscard]] std::int64_t affected() const noexcept;

    [[nodiscard]] bool is_null(int row, int column) const noexcept;
    /// int2, int4 or int8 columns; Errc::StorageFailure for another type (a schema mismatch).
    [[nodiscard]] std::int64_t int64(int row, int column) const;
    [[nodiscard]] bool boolean(int row, int column) const;
    [[nodiscard]] std::string text(int row, int column) const;
    [[nodiscard]] Bytes bytes(int row, int column) const;
    /// Unix seconds (int8), the time representation of every table.
    [[nodiscard]] TimePoint time(int row, int column) const;
    [[nodiscard]] std::optional<TimePoint> optional_time(int row, int column) const;

private:
    [[nodiscard]] std::span<const std::uint8_t> raw(int row, int column) const noexcept;
    pg_result* m_result = nullptr;
};

/// One server connection (PGconn).
class Connection {
public:
    /// Connects; Errc::StorageFailure ("database unavailable") if the server cannot be reached or refuses.
    explicit Connection(const Options& options);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    Connection(Connection&&) = delete;
    Connection& operator=(Connection&&) = delete;

    /// False once libpq has seen the connection break.
    [[nodiscard]] bool healthy() const noexcept;
    /// True while a transaction is open (or failed and not yet rolled back).
    [[nodiscard]] bool in_transaction() const noexcept;
    /// Drops the connection and opens a new one (Errc::StorageFailure if that fails).
    void reconnect();

    /// Runs one statement with its parameters (binary, typed) and returns its rows; Errc per
    /// errc_from_sqlstate, or StorageFailure if the connection broke.
    Result exec(std::string_view sql, std::string_view purpose, std::span<const unsigned> types,
                std::span<const char* const> values, std::span<const int> lengths);
    /// Runs statements without parameters (DDL, BEGIN/COMMIT); several separated by ';' are allowed.
    void exec_script(std::string_view sql, std::string_view purpose);

private:
    void open();
    [[noreturn]] void fail(pg_result* result, std::string_view purpose);

    const Options* m_options;
    pg_conn* m_conn = nullptr;
};

/// The node's connections. Connections are opened lazily, up to `pool_size`.
class Pool {
public:
    /// Opens one connection at once, so a wrong url or password fails at startup, not at the first request.
    explicit Pool(Options options);
    ~Pool();
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;
    Pool(Pool&&) = delete;
    Pool& operator=(Pool&&) = delete;

    /// A connection for the caller's exclusive use until the Lease is destroyed. Waits up to
    /// lease_timeout for a free one (then Errc::StorageFailure: the pool is exhausted).
    class Lease {
    public:
        Lease(Pool& pool, std::unique_ptr<Connection> connection) noexcept;
        ~Lease();
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        Lease(Lease&&) = delete;
        Lease& operator=(Lease&&) = delete;
        Connection& operator*() noexcept { return *m_connection; }
        Connection* operator->() noexcept { return m_connection.get(); }

    private:
        Pool& m_pool;
        std::unique_ptr<Connection> m_connection;
    };
    [[nodiscard]] std::unique_ptr<Lease> lease();

    [[nodiscard]] const Options& options() const noexcept { return m_options; }

    /// Applies `migrations` not yet recorded in schema_migrations, in one transaction that holds a
    /// transaction-scoped advisory lock, so nodes starting at once migrate once (the others wait, then
    /// find the work done). Errc::StorageFailure if the database's schema is newer than the list.
    void migrate(std::span<const Migration> migrations);
    /// The highest applied migration version (0 for an empty database).
    [[nodiscard]] int schema_version();

private:
    void give_back(std::unique_ptr<Connection> connection) noexcept;

    Options m_options;
    std::mutex m_mutex;
    std::condition_variable m_released;
    std::vector<std::unique_ptr<Connection>> m_idle;
    std::size_t m_open = 0;  ///< leased + idle
};

/// Opens the pool and applies inkan's migrations (postgres_migrations()).
std::shared_ptr<Pool> open_database(Options options);

class Statement;

/// One transaction on a leased connection; rolls back unless commit() was called (so a throw anywhere
/// inside undoes everything).
class Transaction {
public:
    enum class Mode {
        /// REPEATABLE READ, READ ONLY: one snapshot for every statement, never a serialisation failure.
        Read,
        /// READ COMMITTED: each statement sees what committed before it; writers that must see each
        /// other's results (the SAD ledger, the audit chain) take row locks (SELECT ... FOR UPDATE) or
        /// write in one conditional statement.
        Write,
    };
    Transaction(Pool& pool, Mode mode, std::string_view purpose);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    Transaction(Transaction&&) = delete;
    Transaction& operator=(Transaction&&) = delete;

    void commit();
    [[nodiscard]] Connection& connection() noexcept { return **m_lease; }

private:
    std::unique_ptr<Pool::Lease> m_lease;
    std::string m_purpose;
    bool m_open = false;
};

/// One parameterised statement on a Transaction: bind in order ($1, $2, ...), then run(). A parameter
/// may be used several times in the SQL ($1 twice).
class Statement {
public:
    Statement(Transaction& tx, std::string_view sql, std::string_view purpose);

    Statement& bind_text(std::string_view value);
    Statement& bind_blob(ByteView value);
    Statement& bind_int64(std::int64_t value);
    Statement& bind_bool(bool value);
    /// NULL, of the type the server infers from its place (cast it in the SQL where that is ambiguous).
    Statement& bind_null();
    /// Unix seconds (floor).
    Statement& bind_time(TimePoint value);
    Statement& bind_time(const std::optional<TimePoint>& value);

    Result run();

private:
    void add(unsigned type, std::string bytes, bool null = false);
    Transaction& m_tx;
    std::string m_sql;
    std::string m_purpose;
    std::vector<unsigned> m_types;
    std::vector<std::string> m_values;
    std::vector<bool> m_null;
};

}  // namespace inkan::storage::pg
