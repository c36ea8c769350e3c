#pragma once

// The SQLite foundation every SQLite adapter builds on: one RAII type per C handle (Database owns
// the sqlite3 connection, Statement the prepared statement), a Transaction that rolls back unless
// committed, versioned migrations applied at open, and SQLite result codes mapped to Errc in one
// place (sqlite.cpp).
//
// Connection and threading model: a Database is ONE connection, opened in SQLite's serialized
// mode (SQLITE_OPEN_FULLMUTEX) and guarded by its own mutex, which a Transaction holds from BEGIN
// to COMMIT/ROLLBACK. A transaction belongs to a connection, not to a thread, so two threads must
// never interleave statements on one connection: every use of a Database goes through a
// Transaction (adapters do this; Statement and exec() assume the caller holds one). Several
// Database objects (threads, processes, nodes of a test) may open the same file: WAL lets readers
// run beside the one writer, writers queue on BEGIN IMMEDIATE and wait up to busy_timeout.
// A Database can be shared between adapters through std::shared_ptr.
//
// Error messages name the statement's purpose ("reserve serial") and SQLite's reason, never a
// bound value.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/core/error.h>
#include <inkan/storage/common.h>

struct sqlite3;
struct sqlite3_stmt;

namespace inkan::storage {

/// inkan's schema for SQLite, oldest first (sqlite_migrations.cpp).
std::span<const Migration> sqlite_migrations() noexcept;

/// The schema version of the database file `file` without opening it for writing or migrating it (0 when
/// the file does not exist or has no schema yet): what `inkan migrate` reports as "from".
/// Errc::StorageFailure if it is not a database.
int sqlite_file_schema_version(const std::filesystem::path& file);

/// Errc for an SQLite result code (primary or extended): SQLITE_CONSTRAINT → Conflict; everything
/// else (BUSY and LOCKED after the busy timeout, I/O, corruption, full disk, misuse) → StorageFailure.
Errc errc_from_sqlite(int rc) noexcept;

class Database {
public:
    struct Options {
        /// How long a statement waits for another connection's write lock before failing with
        /// StorageFailure ("database is locked").
        std::chrono::milliseconds busy_timeout{5000};
    };

    /// Opens (creating if needed) the database file, sets WAL, busy_timeout, foreign_keys=ON and
    /// synchronous=FULL, and applies inkan's migrations (sqlite_migrations()).
    /// Errc::StorageFailure if the file cannot be opened, is not a database, or its schema is newer
    /// than this build knows.
    explicit Database(const std::filesystem::path& file) : Database(file, Options{}) {}
    Database(const std::filesystem::path& file, Options options);
    /// The same with a given migration list (tests of the mechanism itself).
    Database(const std::filesystem::path& file, Options options, std::span<const Migration> migrations);
    ~Database();

    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    Database(Database&&) = delete;
    Database& operator=(Database&&) = delete;

    /// Runs one or more statements without parameters (DDL, pragmas). Hold a Transaction or be the
    /// only user of this connection.
    void exec(std::string_view sql, std::string_view purpose);
    /// Rows changed by the last INSERT/UPDATE/DELETE on this connection.
    [[nodiscard]] std::int64_t changes() const noexcept;
    /// The highest applied migration version (0 for an empty database).
    [[nodiscard]] int schema_version();
    [[nodiscard]] const std::filesystem::path& file() const noexcept { return m_file; }

    /// A passive WAL checkpoint: copies what it can from the write-ahead log into the database without
    /// waiting for (or blocking) any reader or writer, so the log does not grow without bound. Do not
    /// hold a Transaction on this connection.
    void checkpoint();
    /// Copies the whole database into the new file `dest` with SQLite's online backup API in one step:
    /// one read transaction, so the copy is one consistent snapshot; in WAL mode other connections keep
    /// writing meanwhile (and this one's users wait only for the copy). Errc::Conflict if `dest`
    /// exists; Errc::StorageFailure if the copy fails (a partial `dest` is removed). Do not hold a
    /// Transaction on this connection.
    void backup_to(const std::filesystem::path& dest);

    /// Throws Error{errc_from_sqlite(rc), "sqlite: <purpose>: <reason>"}.
    [[noreturn]] void fail(int rc, std::string_view purpose) const;

private:
    friend class Statement;
    friend class Transaction;
    void set_wal(std::chrono::milliseconds busy_timeout);
    void migrate(std::span<const Migration> migrations);

    std::filesystem::path m_file;
    sqlite3* m_db = nullptr;
    std::mutex m_mutex;
};

/// A prepared statement on a Database. Bind indexes start at 1, column indexes at 0 (as in SQLite).
/// Bound text and blobs are copied (SQLITE_TRANSIENT), so arguments need not outlive the call.
class Statement {
public:
    Statement(Database& db, std::string_view sql, std::string_view purpose);
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    Statement(Statement&&) = delete;
    Statement& operator=(Statement&&) = delete;

    Statement& bind_text(int index, std::string_view value);
    Statement& bind_blob(int index, ByteView value);
    Statement& bind_int64(int index, std::int64_t value);
    Statement& bind_null(int index);
    /// Binds unix seconds (floor), the time representation of every table.
    Statement& bind_time(int index, TimePoint value);
    Statement& bind_time(int index, const std::optional<TimePoint>& value);

    /// Runs to the next row: true if there is one, false when done.
    bool step();
    /// For statements that return no rows (or whose rows are not needed).
    void run();
    /// Ready to run again with new bindings.
    void reset() noexcept;

    [[nodiscard]] bool column_is_null(int index) const noexcept;
    [[nodiscard]] std::int64_t column_int64(int index) const noexcept;
    [[nodiscard]] std::string column_text(int index) const;
    [[nodiscard]] Bytes column_blob(int index) const;
    [[nodiscard]] TimePoint column_time(int index) const noexcept;
    [[nodiscard]] std::optional<TimePoint> column_optional_time(int index) const noexcept;

private:
    void check_bind(int rc);
    Database& m_db;
    std::string m_purpose;
    sqlite3_stmt* m_stmt = nullptr;
};

/// Holds the Database's mutex and an SQLite transaction for its lifetime; rolls back unless
/// commit() was called (so a throw anywhere inside undoes everything).
class Transaction {
public:
    enum class Mode {
        /// BEGIN DEFERRED: a consistent snapshot for reads.
        Read,
        /// BEGIN IMMEDIATE: takes the write lock up front, so the transaction never has to upgrade
        /// a read lock (which in WAL fails at once with SQLITE_BUSY instead of waiting).
        Write,
    };
    Transaction(Database& db, Mode mode, std::string_view purpose);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    Transaction(Transaction&&) = delete;
    Transaction& operator=(Transaction&&) = delete;

    void commit();
    [[nodiscard]] Database& db() noexcept { return m_db; }

private:
    Database& m_db;
    std::unique_lock<std::mutex> m_lock;
    std::string m_purpose;
    bool m_open = false;
};

}  // namespace inkan::storage
