#include <inkan/storage/sqlite.h>

#include <sqlite3.h>

#include <array>
#include <limits>
#include <system_error>
#include <thread>

namespace inkan::storage {

namespace {

// SQLITE_TRANSIENT is a macro with an old-style cast; this is the same value.
const sqlite3_destructor_type kTransient = reinterpret_cast<sqlite3_destructor_type>(std::intptr_t{-1});
// sqlite3_bind_blob/text with a null pointer bind NULL, not an empty value.
constexpr std::array<char, 1> kEmpty{'\0'};

std::string describe(int rc, sqlite3* db, std::string_view purpose) {
    std::string message = "sqlite: ";
    message += purpose;
    message += ": ";
    message += ::sqlite3_errstr(rc);
    // errmsg names the failing constraint ("UNIQUE constraint failed: ca_serials.ca, ...") or the
    // locked database, never a bound value.
    if (db != nullptr && ::sqlite3_extended_errcode(db) == rc) {
        const char* detail = ::sqlite3_errmsg(db);
        if (detail != nullptr && std::string_view{detail} != ::sqlite3_errstr(rc)) {
            message += " (";
            message += detail;
            message += ")";
        }
    }
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
        message += " after the busy timeout";
    }
    return message;
}

}  // namespace

Errc errc_from_sqlite(int rc) noexcept {
    switch (rc & 0xff) {
        case SQLITE_CONSTRAINT:
            return Errc::Conflict;
        default:
            // BUSY/LOCKED reach us only once busy_timeout has run out: the database is overloaded
            // or stuck, which is a storage failure for the caller, not a conflict in its data.
            return Errc::StorageFailure;
    }
}

// ---- Database ----

Database::Database(const std::filesystem::path& file, Options options)
    : Database(file, options, sqlite_migrations()) {}

Database::Database(const std::filesystem::path& file, Options options, std::span<const Migration> migrations)
    : m_file{file} {
    const int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_EXRESCODE;
    const int rc = ::sqlite3_open_v2(file.c_str(), &m_db, flags, nullptr);
    if (rc != SQLITE_OK) {
        // open_v2 may hand back a handle even on failure; it must still be closed.
        std::string message = describe(rc, m_db, "open database") + ": " + file.string();
        ::sqlite3_close_v2(m_db);
        m_db = nullptr;
        throw Error{Errc::StorageFailure, message};
    }
    try {
        const auto timeout = options.busy_timeout.count();
        require(timeout >= 0 && timeout <= std::numeric_limits<int>::max(), Errc::InvalidConfig,
                "sqlite: busy_timeout out of range");
        // Before anything that takes a lock: switching to WAL and migrating wait for other openers.
        ::sqlite3_busy_timeout(m_db, static_cast<int>(timeout));
        set_wal(options.busy_timeout);
        // foreign_keys is per connection and a no-op inside a transaction: set it here.
        exec("PRAGMA foreign_keys=ON", "enable foreign keys");
        // FULL: every commit is synced to the WAL before COMMIT returns. The SAD ledger and the audit
        // chain promise that no signature leaves the process before its spend and audit entry are
        // durable (threat-model.md); NORMAL would sync only at checkpoints, so a power loss could
        // drop an entry for a signature a client already holds.
        exec("PRAGMA synchronous=FULL", "set synchronous");
        migrate(migrations);
    } catch (...) {
        ::sqlite3_close_v2(m_db);
        m_db = nullptr;
        throw;
    }
}

void Database::set_wal(std::chrono::milliseconds busy_timeout) {
    // WAL is a property of the file: once one connection has switched, everyone sees it. Switching
    // needs an exclusive lock, and SQLite answers SQLITE_BUSY at once (without the busy handler)
    // while other connections of a new file are opening too, so retry until the busy timeout.
    const auto deadline = std::chrono::steady_clock::now() + busy_timeout;
    for (;;) {
        sqlite3_stmt* stmt = nullptr;
        int rc = ::sqlite3_prepare_v2(m_db, "PRAGMA journal_mode=WAL", -1, &stmt, nullptr);
        std::string mode;
        if (rc == SQLITE_OK) {
            rc = ::sqlite3_step(stmt);
            if (rc == SQLITE_ROW) {
                const unsigned char* text = ::sqlite3_column_text(stmt, 0);
                mode = text != nullptr ? reinterpret_cast<const char*>(text) : "";
                rc = SQLITE_OK;
            }
        }
        ::sqlite3_finalize(stmt);
        if (rc == SQLITE_OK) {
            require(mode == "wal", Errc::StorageFailure,
                    "sqlite: set WAL journal mode: not supported for " + m_file.string() + " (" + mode + ")");
            return;
        }
        if ((rc & 0xff) != SQLITE_BUSY || std::chrono::steady_clock::now() >= deadline) {
            fail(rc, "set WAL journal mode");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
}

Database::~Database() {
    // close_v2 defers the close until every statement is finalized (there should be none).
    ::sqlite3_close_v2(m_db);
}

void Database::fail(int rc, std::string_view purpose) const {
    throw Error{errc_from_sqlite(rc), describe(rc, m_db, purpose)};
}

void Database::exec(std::string_view sql, std::string_view purpose) {
    const std::string text{sql};
    char* errmsg = nullptr;
    const int rc = ::sqlite3_exec(m_db, text.c_str(), nullptr, nullptr, &errmsg);
    ::sqlite3_free(errmsg);  // describe() reads the same text from the connection
    if (rc != SQLITE_OK) {
        fail(rc, purpose);
    }
}

std::int64_t Database::changes() const noexcept {
    return ::sqlite3_changes64(m_db);
}

void Database::checkpoint() {
    const std::lock_guard lock{m_mutex};
    const int rc = ::sqlite3_wal_checkpoint_v2(m_db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    // BUSY: a checkpoint of another connection is running; nothing to do.
    if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY) {
        fail(rc, "checkpoint");
    }
}

void Database::backup_to(const std::filesystem::path& dest) {
    std::error_code ec;
    if (std::filesystem::exists(dest, ec)) {
        throw Error{Errc::Conflict, "sqlite: backup: " + dest.string() + " exists"};
    }
    const std::lock_guard lock{m_mutex};
    sqlite3* out = nullptr;
    int rc = ::sqlite3_open_v2(dest.c_str(), &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    const auto cleanup = [&] {
        ::sqlite3_close_v2(out);
        std::filesystem::remove(dest, ec);
    };
    if (rc != SQLITE_OK) {
        cleanup();
        fail(rc, "backup: open " + dest.string());
    }
    sqlite3_backup* b = ::sqlite3_backup_init(out, "main", m_db, "main");
    if (b == nullptr) {
        const std::string reason = ::sqlite3_errmsg(out);
        cleanup();
        throw Error{Errc::StorageFailure, "sqlite: backup: " + reason};
    }
    // -1: every page in one step, i.e. in one read transaction of the source: a consistent snapshot.
    // BUSY/LOCKED (another connection holds an exclusive lock, e.g. a checkpoint truncating the log)
    // are retried for the busy timeout's worth.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
    for (;;) {
        rc = ::sqlite3_backup_step(b, -1);
        if (rc == SQLITE_DONE || rc == SQLITE_OK) {
            if (rc == SQLITE_DONE) {
                break;
            }
            continue;
        }
        if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds{20});
            continue;
        }
        break;
    }
    const int finish = ::sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE || finish != SQLITE_OK) {
        const std::string reason = ::sqlite3_errstr(rc != SQLITE_DONE ? rc : finish);
        cleanup();
        throw Error{Errc::StorageFailure, "sqlite: backup to " + dest.string() + ": " + reason};
    }
    // The copy is an ordinary rollback-journal file: one file, nothing beside it to forget.
    rc = ::sqlite3_close_v2(out);
    if (rc != SQLITE_OK) {
        std::filesystem::remove(dest, ec);
        throw Error{Errc::StorageFailure, "sqlite: backup: close " + dest.string()};
    }
}

int sqlite_file_schema_version(const std::filesystem::path& file) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
        return 0;
    }
    sqlite3* raw = nullptr;
    const int rc = ::sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
    // The handle is owned at once: sqlite3_open_v2 returns one even when it fails.
    const std::unique_ptr<sqlite3, int (*)(sqlite3*)> db{raw, ::sqlite3_close_v2};
    if (rc != SQLITE_OK) {
        throw Error{errc_from_sqlite(rc), "sqlite: open " + file.string() + ": " + ::sqlite3_errstr(rc)};
    }
    const auto scalar = [&db, &file](const char* sql) -> std::optional<std::int64_t> {
        sqlite3_stmt* raw_stmt = nullptr;
        const int prc = ::sqlite3_prepare_v2(db.get(), sql, -1, &raw_stmt, nullptr);
        const std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt{raw_stmt, ::sqlite3_finalize};
        if (prc != SQLITE_OK) {
            throw Error{errc_from_sqlite(prc), "sqlite: read schema version of " + file.string() + ": " +
                                                   ::sqlite3_errmsg(db.get())};
        }
        const int src = ::sqlite3_step(stmt.get());
        if (src == SQLITE_ROW) {
            return ::sqlite3_column_int64(stmt.get(), 0);
        }
        if (src != SQLITE_DONE) {
            throw Error{errc_from_sqlite(src), "sqlite: read schema version of " + file.string() + ": " +
                                                   ::sqlite3_errmsg(db.get())};
        }
        return std::nullopt;
    };
    if (!scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")) {
        return 0;
    }
    return static_cast<int>(scalar("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").value_or(0));
}

int Database::schema_version() {
    Transaction tx{*this, Transaction::Mode::Read, "read schema version"};
    Statement exists{*this, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
                     "read schema version"};
    if (!exists.step()) {
        return 0;
    }
    Statement max{*this, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", "read schema version"};
    max.step();
    return static_cast<int>(max.column_int64(0));
}

void Database::migrate(std::span<const Migration> migrations) {
    int latest = 0;
    for (const Migration& m : migrations) {
        // Strictly increasing; a gap is allowed while parallel branches hold numbers (the merge closes it).
        require(m.version > latest, Errc::Internal,
                "sqlite: migrations must be numbered in increasing order");
        latest = m.version;
    }
    // One IMMEDIATE transaction: concurrent openers queue here, and the second one finds the work
    // done. A failing migration rolls back entirely and the database keeps its old version.
    Transaction tx{*this, Transaction::Mode::Write, "migrate schema"};
    exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY,"
        " name TEXT NOT NULL,"
        " applied_at INTEGER NOT NULL)",
        "create schema_migrations");
    std::int64_t current = 0;
    {
        Statement max{*this, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                      "read schema version"};
        max.step();
        current = max.column_int64(0);
    }
    if (current > latest) {
        throw Error{Errc::StorageFailure,
                    "sqlite: " + m_file.string() + " has schema version " + std::to_string(current) +
                        ", newer than this build of inkan knows (" + std::to_string(latest) +
                        "): upgrade inkan or use another database"};
    }
    for (const Migration& m : migrations) {
        // Each migration not yet recorded runs, so one that lands in a gap below `current` (a merged
        // branch) is still applied.
        Statement applied{*this, "SELECT 1 FROM schema_migrations WHERE version = ?1", "read schema version"};
        applied.bind_int64(1, m.version);
        if (applied.step()) {
            continue;
        }
        const std::string purpose =
            "migration " + std::to_string(m.version) + " (" + std::string{m.name} + ")";
        exec(m.sql, purpose);
        Statement record{
            *this, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)", purpose};
        record.bind_int64(1, m.version).bind_text(2, m.name).bind_time(3, SystemClock::instance().now());
        record.run();
    }
    tx.commit();
}

// ---- Statement ----

Statement::Statement(Database& db, std::string_view sql, std::string_view purpose)
    : m_db{db}, m_purpose{purpose} {
    require(sql.size() < static_cast<std::size_t>(std::numeric_limits<int>::max()), Errc::Internal,
            "sqlite: statement too long");
    const char* tail = nullptr;
    const int rc = ::sqlite3_prepare_v3(db.m_db, sql.data(), static_cast<int>(sql.size()), 0, &m_stmt, &tail);
    if (rc != SQLITE_OK) {
        db.fail(rc, m_purpose);
    }
    if (m_stmt == nullptr || tail != sql.data() + sql.size()) {
        ::sqlite3_finalize(m_stmt);
        throw Error{Errc::Internal, "sqlite: " + m_purpose + ": not exactly one statement"};
    }
}

Statement::~Statement() {
    ::sqlite3_finalize(m_stmt);
}

void Statement::check_bind(int rc) {
    if (rc != SQLITE_OK) {
        m_db.fail(rc, m_purpose);
    }
}

Statement& Statement::bind_text(int index, std::string_view value) {
    const char* data = value.empty() ? kEmpty.data() : value.data();
    check_bind(::sqlite3_bind_text64(m_stmt, index, data, value.size(), kTransient, SQLITE_UTF8));
    return *this;
}

Statement& Statement::bind_blob(int index, ByteView value) {
    const void* data = value.empty() ? static_cast<const void*>(kEmpty.data()) : value.data();
    check_bind(::sqlite3_bind_blob64(m_stmt, index, data, value.size(), kTransient));
    return *this;
}

Statement& Statement::bind_int64(int index, std::int64_t value) {
    check_bind(::sqlite3_bind_int64(m_stmt, index, value));
    return *this;
}

Statement& Statement::bind_null(int index) {
    check_bind(::sqlite3_bind_null(m_stmt, index));
    return *this;
}

Statement& Statement::bind_time(int index, TimePoint value) {
    return bind_int64(index, to_unix_seconds(value));
}

Statement& Statement::bind_time(int index, const std::optional<TimePoint>& value) {
    return value ? bind_time(index, *value) : bind_null(index);
}

bool Statement::step() {
    const int rc = ::sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    m_db.fail(rc, m_purpose);
}

void Statement::run() {
    while (step()) {
    }
}

void Statement::reset() noexcept {
    ::sqlite3_reset(m_stmt);
    ::sqlite3_clear_bindings(m_stmt);
}

bool Statement::column_is_null(int index) const noexcept {
    return ::sqlite3_column_type(m_stmt, index) == SQLITE_NULL;
}

std::int64_t Statement::column_int64(int index) const noexcept {
    return ::sqlite3_column_int64(m_stmt, index);
}

std::string Statement::column_text(int index) const {
    const unsigned char* text = ::sqlite3_column_text(m_stmt, index);
    const int n = ::sqlite3_column_bytes(m_stmt, index);
    if (text == nullptr || n <= 0) {
        return {};
    }
    return {reinterpret_cast<const char*>(text), static_cast<std::size_t>(n)};
}

Bytes Statement::column_blob(int index) const {
    const auto* data = static_cast<const std::uint8_t*>(::sqlite3_column_blob(m_stmt, index));
    const int n = ::sqlite3_column_bytes(m_stmt, index);
    if (data == nullptr || n <= 0) {
        return {};
    }
    return {data, data + n};
}

TimePoint Statement::column_time(int index) const noexcept {
    return from_unix_seconds(column_int64(index));
}

std::optional<TimePoint> Statement::column_optional_time(int index) const noexcept {
    if (column_is_null(index)) {
        return std::nullopt;
    }
    return column_time(index);
}

// ---- Transaction ----

Transaction::Transaction(Database& db, Mode mode, std::string_view purpose)
    : m_db{db}, m_lock{db.m_mutex}, m_purpose{purpose} {
    m_db.exec(mode == Mode::Write ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED", m_purpose);
    m_open = true;
}

Transaction::~Transaction() {
    if (m_open) {
        // Nothing to report from a destructor; a failed ROLLBACK leaves SQLite to roll back when
        // the connection next begins or closes.
        ::sqlite3_exec(m_db.m_db, "ROLLBACK", nullptr, nullptr, nullptr);
    }
}

void Transaction::commit() {
    require(m_open, Errc::Internal, "sqlite: commit without a transaction");
    const int rc = ::sqlite3_exec(m_db.m_db, "COMMIT", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
        // COMMIT can fail with BUSY (readers in rollback-journal mode); the transaction is still
        // open and the destructor rolls it back.
        m_db.fail(rc, m_purpose);
    }
    m_open = false;
}

}  // namespace inkan::storage
