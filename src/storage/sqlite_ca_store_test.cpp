// SqliteCaStore: the CaStore port suite on SQLite, plus what only SQLite has (the file, WAL,
// migrations), checked with the sqlite3 CLI where an outside view helps.

#include <inkan/storage/sqlite_ca_store.h>

#include <sqlite3.h>

#include <chrono>
#include <memory>
#include <thread>

#include <gtest/gtest.h>

#include <inkan/storage/sqlite.h>
#include <inkan/testing/process.h>

#include "ca_store_suite.h"

namespace inkan::storage {
namespace {

using inkan::testing::run;
using inkan::testing::TempDir;
using testing::CaStoreSuite;
using namespace std::chrono_literals;

testing::CaStoreFactory fresh_sqlite_database() {
    auto dir = std::make_shared<TempDir>("inkan-db");
    return [dir]() -> std::unique_ptr<pki::CaStore> {
        return std::make_unique<SqliteCaStore>(dir->path() / "inkan.db");
    };
}

INSTANTIATE_TEST_SUITE_P(Sqlite, CaStoreSuite,
                         ::testing::Values(testing::CaStoreBackend{"Sqlite", fresh_sqlite_database}),
                         testing::backend_name);

/// Runs SQL through the sqlite3 CLI (an outside view of the file); fails the test on error.
std::string sqlite3_cli(const std::filesystem::path& db, const std::string& sql) {
    const auto result = run({"sqlite3", "-batch", db.string(), sql});
    EXPECT_EQ(result.exit_code, 0) << sql << "\n" << result.err;
    return result.out;
}

Errc code_of(const std::function<void()>& f, std::string* message = nullptr) {
    try {
        f();
    } catch (const Error& e) {
        if (message != nullptr) {
            *message = e.what();
        }
        return e.code();
    }
    ADD_FAILURE() << "no inkan::Error thrown";
    return Errc::Internal;
}

class SqliteDatabase : public ::testing::Test {
protected:
    TempDir dir{"inkan-db"};
    std::filesystem::path file = dir / "inkan.db";
};

TEST_F(SqliteDatabase, OpensInWalModeWithTheCurrentSchema) {
    { SqliteCaStore store{file}; }
    EXPECT_EQ(sqlite3_cli(file, "PRAGMA journal_mode;"), "wal\n");
    EXPECT_EQ(sqlite3_cli(file, "SELECT version, name FROM schema_migrations ORDER BY version;"),
              "1|ca tables\n2|service tables\n3|sole control tables\n4|oauth2\n5|tsa serials\n6|credential "
              "auth mode\n7|oauth2 account_token replay\n8|credential signature qualifier\n9|password "
              "failures\n10|audit anchors\n11|sad origin and hard limit\n12|token families\n13|async "
              "operations\n14|oob authorizations\n15|audit checkpoints\n16|credential renewals\n17|operator "
              "console\n");
    EXPECT_EQ(sqlite3_cli(file,
                          "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'ca_%' "
                          "ORDER BY name;"),
              "ca_certificates\nca_crl_numbers\nca_serials\n");
}

TEST_F(SqliteDatabase, ReopeningKeepsDataAndDoesNotReapplyMigrations) {
    {
        SqliteCaStore store{file};
        ASSERT_TRUE(store.reserve_serial("ca", Bytes{0x01}));
    }
    const std::string applied = sqlite3_cli(file, "SELECT version, applied_at FROM schema_migrations;");
    std::this_thread::sleep_for(1100ms);  // a re-applied migration would get a later applied_at
    {
        SqliteCaStore store{file};
        EXPECT_FALSE(store.reserve_serial("ca", Bytes{0x01}));
        Database db{file};
        EXPECT_EQ(db.schema_version(), sqlite_migrations().back().version);
    }
    EXPECT_EQ(sqlite3_cli(file, "SELECT version, applied_at FROM schema_migrations;"), applied);
    EXPECT_EQ(sqlite3_cli(file, "SELECT count(*) FROM schema_migrations;"),
              std::to_string(sqlite_migrations().size()) + "\n");
}

TEST_F(SqliteDatabase, ADatabaseFromTheFutureIsRefused) {
    { SqliteCaStore store{file}; }
    sqlite3_cli(file, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0);");
    std::string message;
    EXPECT_EQ(code_of([&] { SqliteCaStore store{file}; }, &message), Errc::StorageFailure);
    EXPECT_NE(message.find("999"), std::string::npos) << message;
    EXPECT_NE(message.find("newer"), std::string::npos) << message;
    // Refusing changed nothing.
    EXPECT_EQ(sqlite3_cli(file, "SELECT max(version) FROM schema_migrations;"), "999\n");
}

TEST_F(SqliteDatabase, AFileThatIsNotADatabaseIsRefused) {
    inkan::testing::write_file(file, std::string(4096, 'x'));
    EXPECT_EQ(code_of([&] { SqliteCaStore store{file}; }), Errc::StorageFailure);
}

TEST_F(SqliteDatabase, AMissingDirectoryIsAStorageFailure) {
    std::string message;
    EXPECT_EQ(code_of([&] { SqliteCaStore store{dir / "no" / "such" / "dir" / "inkan.db"}; }, &message),
              Errc::StorageFailure);
    EXPECT_NE(message.find("open database"), std::string::npos) << message;
}

TEST_F(SqliteDatabase, MigrationsApplyInOrderAndOnlyOnce) {
    const Migration first[] = {{1, "one", "CREATE TABLE a (x INTEGER); INSERT INTO a VALUES (1);"}};
    const Migration both[] = {first[0], {2, "two", "INSERT INTO a VALUES (2);"}};
    {
        Database db{file, {}, first};
        EXPECT_EQ(db.schema_version(), 1);
    }
    {
        Database db{file, {}, both};
        EXPECT_EQ(db.schema_version(), 2);
    }
    { Database db{file, {}, both}; }
    EXPECT_EQ(sqlite3_cli(file, "SELECT group_concat(x) FROM a;"), "1,2\n");
    EXPECT_EQ(sqlite3_cli(file, "SELECT group_concat(version) FROM schema_migrations;"), "1,2\n");
}

TEST_F(SqliteDatabase, AFailingMigrationRollsBackEntirely) {
    const Migration first[] = {{1, "one", "CREATE TABLE a (x INTEGER);"}};
    const Migration broken[] = {
        first[0], {2, "two", "CREATE TABLE b (y INTEGER); INSERT INTO no_such_table VALUES (1);"}};
    { Database db{file, {}, first}; }
    std::string message;
    EXPECT_EQ(code_of([&] { Database db{file, {}, broken}; }, &message), Errc::StorageFailure);
    EXPECT_NE(message.find("migration 2 (two)"), std::string::npos) << message;
    EXPECT_EQ(sqlite3_cli(file, "SELECT max(version) FROM schema_migrations;"), "1\n");
    EXPECT_EQ(sqlite3_cli(file, "SELECT count(*) FROM sqlite_master WHERE name = 'b';"), "0\n");
}

TEST_F(SqliteDatabase, MigrationsMustBeNumberedInIncreasingOrder) {
    const Migration repeated[] = {{1, "one", "SELECT 1;"}, {1, "again", "SELECT 1;"}};
    EXPECT_EQ(code_of([&] { Database db{file, {}, repeated}; }), Errc::Internal);
    const Migration backwards[] = {{2, "two", "SELECT 1;"}, {1, "one", "SELECT 1;"}};
    EXPECT_EQ(code_of([&] { Database db{file, {}, backwards}; }), Errc::Internal);
}

TEST_F(SqliteDatabase, AMigrationThatFillsAGapLaterIsStillApplied) {
    // Parallel branches hold numbers; after the merge the lower one arrives in a database that already
    // has the higher one (decision 0006).
    const Migration before[] = {{1, "one", "CREATE TABLE one (x);"}, {3, "three", "CREATE TABLE three (x);"}};
    { Database db{file, {}, before}; }
    const Migration after[] = {{1, "one", "CREATE TABLE one (x);"},
                               {2, "two", "CREATE TABLE two (x);"},
                               {3, "three", "CREATE TABLE three (x);"}};
    { Database db{file, {}, after}; }
    EXPECT_EQ(sqlite3_cli(file, "SELECT version FROM schema_migrations ORDER BY version;"), "1\n2\n3\n");
    EXPECT_EQ(sqlite3_cli(file, "SELECT name FROM sqlite_master WHERE name = 'two';"), "two\n");
}

TEST_F(SqliteDatabase, ConcurrentOpenersOfANewFileMigrateOnce) {
    std::vector<std::thread> threads;
    std::vector<std::string> failures(8);
    for (std::size_t i = 0; i < failures.size(); ++i) {
        threads.emplace_back([&, i] {
            try {
                SqliteCaStore store{file};
            } catch (const Error& e) {
                failures[i] = e.what();
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    for (std::size_t i = 0; i < failures.size(); ++i) {
        EXPECT_EQ(failures[i], "") << "opener " << i;
    }
    EXPECT_EQ(sqlite3_cli(file, "SELECT count(*) FROM schema_migrations;"),
              std::to_string(sqlite_migrations().size()) + "\n");
}

TEST_F(SqliteDatabase, AWriterBlockedPastTheBusyTimeoutGetsStorageFailure) {
    auto holder = std::make_shared<Database>(file);
    auto waiter = std::make_shared<Database>(file, Database::Options{.busy_timeout = 200ms});
    SqliteCaStore store{waiter};
    Transaction lock{*holder, Transaction::Mode::Write, "hold the write lock"};
    const auto start = std::chrono::steady_clock::now();
    std::string message;
    EXPECT_EQ(code_of([&] { (void)store.next_crl_number("ca"); }, &message), Errc::StorageFailure);
    const auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_GE(waited, 150ms) << "it must wait for the busy timeout before failing";
    EXPECT_LT(waited, 3s);
    EXPECT_NE(message.find("next CRL number"), std::string::npos) << message;
    EXPECT_NE(message.find("locked"), std::string::npos) << message;
}

TEST_F(SqliteDatabase, ReadersAreNotBlockedByAWriter) {
    auto holder = std::make_shared<Database>(file);
    SqliteCaStore store{file};
    ASSERT_TRUE(store.reserve_serial("ca", Bytes{0x01}));
    Transaction lock{*holder, Transaction::Mode::Write, "hold the write lock"};
    EXPECT_TRUE(store.list("ca").empty());
    EXPECT_FALSE(store.find("ca", Bytes{0x01}).has_value());
}

TEST_F(SqliteDatabase, ErrorsNameThePurposeButNeverBoundValues) {
    SqliteCaStore store{file};
    pki::IssuedCertificate cert;
    cert.ca = "ca";
    cert.serial = Bytes{0x01};
    cert.subject = "CN=do-not-log-me";
    cert.profile = "person";
    cert.der = Bytes{0x30, 0x00};
    std::string message;
    EXPECT_EQ(code_of([&] { store.record_certificate(cert); }, &message), Errc::Conflict);
    EXPECT_NE(message.find("record certificate"), std::string::npos) << message;
    EXPECT_EQ(message.find("do-not-log-me"), std::string::npos) << message;
}

TEST_F(SqliteDatabase, ATransactionRollsBackUnlessCommitted) {
    auto db = std::make_shared<Database>(file);
    {
        Transaction tx{*db, Transaction::Mode::Write, "test"};
        Statement{*db, "INSERT INTO ca_crl_numbers (ca, last) VALUES ('ca', 41)", "test"}.run();
    }
    SqliteCaStore store{db};
    EXPECT_EQ(store.next_crl_number("ca"), 1U);
}

TEST_F(SqliteDatabase, EmptyTextAndBlobsAreNotNull) {
    Database db{file};
    Transaction tx{db, Transaction::Mode::Read, "test"};
    Statement s{db, "SELECT ?1 IS NULL, ?2 IS NULL, length(?1), length(?2)", "test"};
    s.bind_text(1, "").bind_blob(2, ByteView{});
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.column_int64(0), 0);
    EXPECT_EQ(s.column_int64(1), 0);
    EXPECT_EQ(s.column_int64(2), 0);
    EXPECT_EQ(s.column_int64(3), 0);
}

TEST(SqliteErrors, ConstraintViolationsAreConflictsAndEverythingElseAStorageFailure) {
    EXPECT_EQ(errc_from_sqlite(SQLITE_CONSTRAINT), Errc::Conflict);
    EXPECT_EQ(errc_from_sqlite(SQLITE_CONSTRAINT_UNIQUE), Errc::Conflict);
    EXPECT_EQ(errc_from_sqlite(SQLITE_CONSTRAINT_FOREIGNKEY), Errc::Conflict);
    EXPECT_EQ(errc_from_sqlite(SQLITE_BUSY), Errc::StorageFailure);
    EXPECT_EQ(errc_from_sqlite(SQLITE_BUSY_SNAPSHOT), Errc::StorageFailure);
    EXPECT_EQ(errc_from_sqlite(SQLITE_LOCKED), Errc::StorageFailure);
    EXPECT_EQ(errc_from_sqlite(SQLITE_IOERR_WRITE), Errc::StorageFailure);
    EXPECT_EQ(errc_from_sqlite(SQLITE_CORRUPT), Errc::StorageFailure);
    EXPECT_EQ(errc_from_sqlite(SQLITE_FULL), Errc::StorageFailure);
}

TEST(SqliteTime, UnixSecondsRoundTowardThePast) {
    EXPECT_EQ(to_unix_seconds(TimePoint{std::chrono::milliseconds{1999}}), 1);
    EXPECT_EQ(to_unix_seconds(TimePoint{std::chrono::milliseconds{-1}}), -1);
    EXPECT_EQ(from_unix_seconds(4'102'444'800), TimePoint{std::chrono::seconds{4'102'444'800}});
}

}  // namespace
}  // namespace inkan::storage
