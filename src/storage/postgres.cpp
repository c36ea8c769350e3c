#include <inkan/storage/postgres.h>

#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <utility>

namespace inkan::storage::pg {

namespace {

// Type OIDs (pg_type.dat); stable across PostgreSQL versions and the compatible engines.
constexpr unsigned kBool = 16;
constexpr unsigned kBytea = 17;
constexpr unsigned kInt8 = 20;
constexpr unsigned kInt2 = 21;
constexpr unsigned kInt4 = 23;
constexpr unsigned kText = 25;
constexpr unsigned kVarchar = 1043;

constexpr int kBinary = 1;

/// Classes of SQLSTATE that mean "the database is not there right now" rather than "this statement
/// failed": connection exceptions, operator intervention (shutdown, cannot connect now), insufficient
/// resources (too many connections).
bool unavailable_state(std::string_view state) noexcept {
    return state.starts_with("08") || state.starts_with("57P") || state.starts_with("53");
}

std::string trimmed(const char* text) {
    std::string s = text != nullptr ? text : "";
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
        s.pop_back();
    }
    return s;
}

std::uint64_t read_be(std::span<const std::uint8_t> bytes) noexcept {
    std::uint64_t v = 0;
    for (const auto b : bytes) {
        v = (v << 8U) | b;
    }
    return v;
}

std::string be64(std::int64_t value) {
    auto v = static_cast<std::uint64_t>(value);
    std::string out(8, '\0');
    for (int i = 7; i >= 0; --i) {
        out[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xffU);
        v >>= 8U;
    }
    return out;
}

std::string read_secret_file(const std::filesystem::path& file) {
    std::ifstream in{file, std::ios::binary};
    require(in.good(), Errc::InvalidConfig, "storage.password_file: cannot read " + file.string());
    std::string s{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    // A trailing newline is the editor's, not the password's.
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) {
        s.pop_back();
    }
    return s;
}

}  // namespace

Errc errc_from_sqlstate(std::string_view sqlstate) noexcept {
    if (sqlstate.starts_with("23")) {
        return Errc::Conflict;
    }
    return Errc::StorageFailure;
}

// ---- Options ----

std::optional<Options> options_from_config(const Config& config, const EnvLookup& env) {
    const auto url = config.string("storage.url");
    if (!url || url->empty()) {
        return std::nullopt;
    }
    Options options;
    options.url = *url;
    char* error = nullptr;
    PQconninfoOption* parsed = ::PQconninfoParse(url->c_str(), &error);
    if (parsed == nullptr) {
        // libpq's message names the syntax error; it may quote the url, which holds no secret (checked below
        // for a parsed url; an unparsable one is the operator's own text).
        std::string reason = trimmed(error);
        ::PQfreemem(error);
        throw Error{Errc::InvalidConfig, "storage.url: not a PostgreSQL connection string: " + reason};
    }
    bool has_password = false;
    for (const PQconninfoOption* o = parsed; o->keyword != nullptr; ++o) {
        if (std::string_view{o->keyword} == "password" && o->val != nullptr && o->val[0] != '\0') {
            has_password = true;
        }
    }
    ::PQconninfoFree(parsed);
    require(!has_password, Errc::InvalidConfig,
            "storage.url carries a password: put it in storage.password_file or the variable named by "
            "storage.password_env");

    if (const auto name = config.string("storage.password_env"); name && !name->empty()) {
        const auto value = env(*name);
        require(value.has_value(), Errc::InvalidConfig,
                "storage.password_env names " + *name + ", which is not set");
        options.password = *value;
    } else if (const auto file = config.path("storage.password_file")) {
        options.password = read_secret_file(*file);
    }
    const auto pool = config.integer_or("storage.pool_size", 8);
    require(pool >= 1 && pool <= 1024, Errc::InvalidConfig, "storage.pool_size must be 1 to 1024");
    options.pool_size = static_cast<std::size_t>(pool);
    const auto lease = config.integer_or("storage.lease_timeout_ms", 5000);
    require(lease >= 0, Errc::InvalidConfig, "storage.lease_timeout_ms must not be negative");
    options.lease_timeout = std::chrono::milliseconds{lease};
    const auto connect = config.integer_or("storage.connect_timeout_seconds", 5);
    require(connect >= 1 && connect <= 3600, Errc::InvalidConfig,
            "storage.connect_timeout_seconds must be 1 to 3600");
    options.connect_timeout_seconds = static_cast<int>(connect);
    return options;
}

// ---- Result ----

Result::~Result() {
    ::PQclear(m_result);
}

Result::Result(Result&& other) noexcept : m_result{std::exchange(other.m_result, nullptr)} {}

Result& Result::operator=(Result&& other) noexcept {
    if (this != &other) {
        ::PQclear(m_result);
        m_result = std::exchange(other.m_result, nullptr);
    }
    return *this;
}

int Result::rows() const noexcept {
    return ::PQntuples(m_result);
}

std::int64_t Result::affected() const noexcept {
    const char* n = ::PQcmdTuples(m_result);
    std::int64_t v = 0;
    for (; n != nullptr && *n >= '0' && *n <= '9'; ++n) {
        v = v * 10 + (*n - '0');
    }
    return v;
}

bool Result::is_null(int row, int column) const noexcept {
    return ::PQgetisnull(m_result, row, column) != 0;
}

std::span<const std::uint8_t> Result::raw(int row, int column) const noexcept {
    const char* data = ::PQgetvalue(m_result, row, column);
    const int n = ::PQgetlength(m_result, row, column);
    if (data == nullptr || n <= 0) {
        return {};
    }
    return {reinterpret_cast<const std::uint8_t*>(data), static_cast<std::size_t>(n)};
}

std::int64_t Result::int64(int row, int column) const {
    const auto type = ::PQftype(m_result, column);
    const auto bytes = raw(row, column);
    const std::size_t want = type == kInt8 ? 8 : type == kInt4 ? 4 : type == kInt2 ? 2 : 0;
    require(want != 0 && bytes.size() == want, Errc::StorageFailure,
            "postgresql: column " + std::to_string(column) + " is not an integer");
    // Two's complement, sign-extended from the column's width.
    const std::uint64_t v = read_be(bytes);
    const unsigned shift = 64U - static_cast<unsigned>(want * 8);
    return static_cast<std::int64_t>(v << shift) >> shift;
}

bool Result::boolean(int row, int column) const {
    const auto bytes = raw(row, column);
    require(::PQftype(m_result, column) == kBool && bytes.size() == 1, Errc::StorageFailure,
            "postgresql: column " + std::to_string(column) + " is not a boolean");
    return bytes[0] != 0;
}

std::string Result::text(int row, int column) const {
    const auto type = ::PQftype(m_result, column);
    require(type == kText || type == kVarchar || is_null(row, column), Errc::StorageFailure,
            "postgresql: column " + std::to_string(column) + " is not text");
    const auto bytes = raw(row, column);
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

Bytes Result::bytes(int row, int column) const {
    require(::PQftype(m_result, column) == kBytea || is_null(row, column), Errc::StorageFailure,
            "postgresql: column " + std::to_string(column) + " is not bytea");
    const auto b = raw(row, column);
    return {b.begin(), b.end()};
}

TimePoint Result::time(int row, int column) const {
    return from_unix_seconds(int64(row, column));
}

std::optional<TimePoint> Result::optional_time(int row, int column) const {
    if (is_null(row, column)) {
        return std::nullopt;
    }
    return time(row, column);
}

// ---- Connection ----

Connection::Connection(const Options& options) : m_options{&options} {
    open();
}

Connection::~Connection() {
    ::PQfinish(m_conn);
}

void Connection::open() {
    const std::string timeout = std::to_string(m_options->connect_timeout_seconds);
    // Keywords are applied in order and the url is expanded where "dbname" stands: defaults before it
    // (the url may override them), the password after it (the url may not carry one).
    std::vector<const char*> keys{"connect_timeout", "application_name", "dbname"};
    std::vector<const char*> values{timeout.c_str(), "inkan", m_options->url.c_str()};
    if (m_options->password) {
        keys.push_back("password");
        values.push_back(m_options->password->c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    m_conn = ::PQconnectdbParams(keys.data(), values.data(), 1);
    if (m_conn == nullptr) {
        throw Error{Errc::StorageFailure, "postgresql: database unavailable: out of memory"};
    }
    if (::PQstatus(m_conn) != CONNECTION_OK) {
        std::string reason = trimmed(::PQerrorMessage(m_conn));
        ::PQfinish(m_conn);
        m_conn = nullptr;
        throw Error{Errc::StorageFailure, "postgresql: database unavailable: " + reason};
    }
}

bool Connection::healthy() const noexcept {
    return m_conn != nullptr && ::PQstatus(m_conn) == CONNECTION_OK;
}

bool Connection::in_transaction() const noexcept {
    return m_conn != nullptr && ::PQtransactionStatus(m_conn) != PQTRANS_IDLE;
}

void Connection::reconnect() {
    ::PQfinish(m_conn);
    m_conn = nullptr;
    open();
}

void Connection::fail(pg_result* result, std::string_view purpose) {
    const char* state = result != nullptr ? ::PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    const std::string sqlstate = state != nullptr ? state : "";
    // The primary message names the constraint or the reason ("duplicate key value violates unique
    // constraint \"users_name_key\""); the DETAIL field, which may quote a value, is left out.
    const char* primary = result != nullptr ? ::PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    std::string reason = primary != nullptr ? primary : trimmed(::PQerrorMessage(m_conn));
    ::PQclear(result);
    const bool gone = !healthy() || unavailable_state(sqlstate);
    std::string message = "postgresql: ";
    message += gone ? "database unavailable: " : "";
    message += purpose;
    message += ": ";
    message += reason;
    if (!sqlstate.empty()) {
        message += " (SQLSTATE " + sqlstate + ")";
    }
    throw Error{gone ? Errc::StorageFailure : errc_from_sqlstate(sqlstate), message};
}

Result Connection::exec(std::string_view sql, std::string_view purpose, std::span<const unsigned> types,
                        std::span<const char* const> values, std::span<const int> lengths) {
    require(m_conn != nullptr, Errc::StorageFailure, "postgresql: database unavailable: not connected");
    const std::string text{sql};
    const std::vector<int> formats(values.size(), kBinary);
    // Unnamed statements (PQexecParams), not named prepared ones: they work through transaction-pooling
    // proxies (PgBouncer) and leave no server state behind a failover.
    pg_result* r = ::PQexecParams(m_conn, text.c_str(), static_cast<int>(values.size()), types.data(),
                                  values.data(), lengths.data(), formats.data(), kBinary);
    const auto status = r != nullptr ? ::PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        fail(r, purpose);
    }
    return Result{r};
}

void Connection::exec_script(std::string_view sql, std::string_view purpose) {
    require(m_conn != nullptr, Errc::StorageFailure, "postgresql: database unavailable: not connected");
    const std::string text{sql};
    pg_result* r = ::PQexec(m_conn, text.c_str());
    const auto status = r != nullptr ? ::PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        fail(r, purpose);
    }
    ::PQclear(r);
}

// ---- Pool ----

Pool::Pool(Options options) : m_options{std::move(options)} {
    require(m_options.pool_size >= 1, Errc::InvalidConfig,
            "postgresql: the pool needs at least one connection");
    m_idle.push_back(std::make_unique<Connection>(m_options));
    m_open = 1;
}

Pool::~Pool() = default;

Pool::Lease::Lease(Pool& pool, std::unique_ptr<Connection> connection) noexcept
    : m_pool{pool}, m_connection{std::move(connection)} {}

Pool::Lease::~Lease() {
    m_pool.give_back(std::move(m_connection));
}

std::unique_ptr<Pool::Lease> Pool::lease() {
    std::unique_lock lock{m_mutex};
    const bool free = m_released.wait_for(lock, m_options.lease_timeout,
                                          [&] { return !m_idle.empty() || m_open < m_options.pool_size; });
    if (!free) {
        throw Error{Errc::StorageFailure, "postgresql: all " + std::to_string(m_options.pool_size) +
                                              " connections busy for " +
                                              std::to_string(m_options.lease_timeout.count()) + " ms"};
    }
    if (!m_idle.empty()) {
        auto c = std::move(m_idle.back());
        m_idle.pop_back();
        return std::make_unique<Lease>(*this, std::move(c));
    }
    ++m_open;
    lock.unlock();
    try {
        return std::make_unique<Lease>(*this, std::make_unique<Connection>(m_options));
    } catch (...) {
        const std::lock_guard again{m_mutex};
        --m_open;
        m_released.notify_one();
        throw;
    }
}

void Pool::give_back(std::unique_ptr<Connection> connection) noexcept {
    if (connection && connection->healthy() && connection->in_transaction()) {
        // A ROLLBACK that failed: never hand out a connection with a transaction still open.
        connection.reset();
    }
    const std::lock_guard lock{m_mutex};
    if (connection) {
        m_idle.push_back(std::move(connection));
    } else {
        --m_open;
    }
    m_released.notify_one();
}

namespace {

// Any constant the deployment does not otherwise use; both nodes must agree on it. "inkan" in ASCII.
constexpr std::int64_t kMigrationLock = 0x696e6b616e;

}  // namespace

void Pool::migrate(std::span<const Migration> migrations) {
    int latest = 0;
    for (const Migration& m : migrations) {
        require(m.version > latest, Errc::Internal,
                "postgresql: migrations must be numbered in increasing order");
        latest = m.version;
    }
    Transaction tx{*this, Transaction::Mode::Write, "migrate schema"};
    // Taken before anything is read, held until COMMIT: a second node starting at the same moment waits
    // here, then finds every migration recorded. CREATE TABLE IF NOT EXISTS alone is not enough: two
    // concurrent ones can both pass the check and one fails on the catalog's unique index.
    Statement{tx, "SELECT pg_advisory_xact_lock($1)", "migrate schema"}.bind_int64(kMigrationLock).run();
    tx.connection().exec_script(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version BIGINT PRIMARY KEY,"
        " name TEXT NOT NULL,"
        " applied_at BIGINT NOT NULL)",
        "create schema_migrations");
    const auto current =
        Statement{tx, "SELECT COALESCE(MAX(version), 0)::int8 FROM schema_migrations", "read schema version"}
            .run()
            .int64(0, 0);
    if (current > latest) {
        throw Error{Errc::StorageFailure,
                    "postgresql: the database has schema version " + std::to_string(current) +
                        ", newer than this build of inkan knows (" + std::to_string(latest) +
                        "): upgrade inkan or use another database"};
    }
    for (const Migration& m : migrations) {
        const auto applied =
            Statement{tx, "SELECT 1 FROM schema_migrations WHERE version = $1", "read schema version"}
                .bind_int64(m.version)
                .run();
        if (applied.rows() > 0) {
            continue;
        }
        const std::string purpose =
            "migration " + std::to_string(m.version) + " (" + std::string{m.name} + ")";
        tx.connection().exec_script(m.sql, purpose);
        Statement{tx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                  purpose}
            .bind_int64(m.version)
            .bind_text(m.name)
            .bind_time(SystemClock::instance().now())
            .run();
    }
    tx.commit();
}

int Pool::schema_version() {
    Transaction tx{*this, Transaction::Mode::Read, "read schema version"};
    const auto exists =
        Statement{tx,
                  "SELECT 1 FROM information_schema.tables WHERE table_name = 'schema_migrations' "
                  "AND table_schema = current_schema()",
                  "read schema version"}
            .run();
    if (exists.rows() == 0) {
        return 0;
    }
    return static_cast<int>(
        Statement{tx, "SELECT COALESCE(MAX(version), 0)::int8 FROM schema_migrations", "read schema version"}
            .run()
            .int64(0, 0));
}

std::shared_ptr<Pool> open_database(Options options) {
    auto pool = std::make_shared<Pool>(std::move(options));
    pool->migrate(postgres_migrations());
    return pool;
}

// ---- Transaction ----

Transaction::Transaction(Pool& pool, Mode mode, std::string_view purpose)
    : m_lease{pool.lease()}, m_purpose{purpose} {
    const std::string_view begin = mode == Mode::Read ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                                                      : "BEGIN ISOLATION LEVEL READ COMMITTED";
    Connection& c = **m_lease;
    try {
        if (!c.healthy()) {
            c.reconnect();
        }
        c.exec_script(begin, m_purpose);
    } catch (const Error&) {
        // An idle connection learns that the server went away only when it is used: BEGIN is the first
        // use. Nothing has happened in this transaction yet, so one reconnect and a second BEGIN is safe.
        if (c.healthy()) {
            throw;
        }
        c.reconnect();
        c.exec_script(begin, m_purpose);
    }
    m_open = true;
}

Transaction::~Transaction() {
    if (m_open) {
        Connection& c = **m_lease;
        try {
            if (c.healthy()) {
                c.exec_script("ROLLBACK", m_purpose);
            }
        } catch (const Error&) {
            // A connection still inside a transaction is closed when the lease gives it back (closing
            // makes the server roll back); a broken one is reconnected by the next Transaction.
        }
    }
}

void Transaction::commit() {
    require(m_open, Errc::Internal, "postgresql: commit without a transaction");
    m_open = false;
    // If the connection breaks during COMMIT, the outcome is unknown to us: reported as unavailable, the
    // caller returns no signature (a spent SAD is the safe side).
    connection().exec_script("COMMIT", m_purpose);
}

// ---- Statement ----

Statement::Statement(Transaction& tx, std::string_view sql, std::string_view purpose)
    : m_tx{tx}, m_sql{sql}, m_purpose{purpose} {}

void Statement::add(unsigned type, std::string bytes, bool null) {
    m_types.push_back(type);
    m_values.push_back(std::move(bytes));
    m_null.push_back(null);
}

Statement& Statement::bind_text(std::string_view value) {
    add(kText, std::string{value});
    return *this;
}

Statement& Statement::bind_blob(ByteView value) {
    add(kBytea, std::string{reinterpret_cast<const char*>(value.data()), value.size()});
    return *this;
}

Statement& Statement::bind_int64(std::int64_t value) {
    add(kInt8, be64(value));
    return *this;
}

Statement& Statement::bind_bool(bool value) {
    add(kBool, std::string(1, value ? '\1' : '\0'));
    return *this;
}

Statement& Statement::bind_null() {
    // Type 0: the server infers it from where the parameter stands (a NULL carries no bytes to decode).
    add(0, {}, true);
    return *this;
}

Statement& Statement::bind_time(TimePoint value) {
    return bind_int64(to_unix_seconds(value));
}

Statement& Statement::bind_time(const std::optional<TimePoint>& value) {
    if (value) {
        return bind_time(*value);
    }
    add(kInt8, {}, true);
    return *this;
}

Result Statement::run() {
    std::vector<const char*> values;
    std::vector<int> lengths;
    values.reserve(m_values.size());
    lengths.reserve(m_values.size());
    for (std::size_t i = 0; i < m_values.size(); ++i) {
        // A non-null pointer even for an empty value: libpq takes a null pointer for SQL NULL.
        values.push_back(m_null[i] ? nullptr : m_values[i].data());
        require(m_values[i].size() <= static_cast<std::size_t>(std::numeric_limits<int>::max()),
                Errc::PayloadTooLarge, "postgresql: " + m_purpose + ": parameter too large");
        lengths.push_back(static_cast<int>(m_values[i].size()));
    }
    return m_tx.connection().exec(m_sql, m_purpose, m_types, values, lengths);
}

}  // namespace inkan::storage::pg
