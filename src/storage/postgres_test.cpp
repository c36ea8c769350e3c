// The PostgreSQL foundation (postgres.h): values round-trip exactly through typed binary parameters,
// errors map to Errc, migrations run once under concurrent starts, a pool reconnects after the server
// restarts and says "unavailable" while it is down, and the configuration keeps passwords out of the url.

#include <inkan/storage/postgres.h>

#include <atomic>
#include <limits>
#include <map>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <inkan/storage/postgres_service_stores.h>
#include <inkan/storage/sqlite.h>
#include <inkan/testing/process.h>

#include "postgres_test_support.h"
#include "service_store_backend.h"

namespace inkan::storage {
namespace {

using inkan::testing::PostgresCluster;
using inkan::testing::shared_postgres;
using inkan::testing::TempDir;
using inkan::testing::TestDatabase;
using testing::code_of;
using testing::node_options;

class Postgres : public ::testing::Test {
protected:
    void SetUp() override {
        INKAN_REQUIRE_POSTGRES();
        db = std::make_unique<TestDatabase>(*shared_postgres());
    }
    std::unique_ptr<TestDatabase> db;
};

TEST(PostgresSchema, HasTheSameLatestVersionAsSqlite) {
    // One number, one logical schema: a migration added to one backend needs its twin in the other.
    ASSERT_FALSE(pg::postgres_migrations().empty());
    EXPECT_EQ(pg::postgres_migrations().back().version, sqlite_migrations().back().version);
}

TEST_F(Postgres, ParametersAndResultsRoundTripExactly) {
    pg::Pool pool{node_options(*db)};
    pg::Transaction tx{pool, pg::Transaction::Mode::Write, "round trip"};
    const Bytes blob{0x00, 0xff, 0x27, 0x5c, 0x00, 0x01};  // NUL, quote, backslash: nothing is escaped
    const std::string text = "日本語 'quoted' \\ \"x\"";
    const auto r = pg::Statement{tx,
                                 "SELECT $1::bytea, $2::text, $3::int8, $4::int8, $5::bool, $6::bool, "
                                 "$7::text IS NULL, ''::bytea, $8::int8",
                                 "round trip"}
                       .bind_blob(blob)
                       .bind_text(text)
                       .bind_int64(std::numeric_limits<std::int64_t>::min())
                       .bind_int64(std::numeric_limits<std::int64_t>::max())
                       .bind_bool(true)
                       .bind_bool(false)
                       .bind_null()
                       .bind_int64(-1)
                       .run();
    ASSERT_EQ(r.rows(), 1);
    EXPECT_EQ(r.bytes(0, 0), blob);
    EXPECT_EQ(r.text(0, 1), text);
    EXPECT_EQ(r.int64(0, 2), std::numeric_limits<std::int64_t>::min());
    EXPECT_EQ(r.int64(0, 3), std::numeric_limits<std::int64_t>::max());
    EXPECT_TRUE(r.boolean(0, 4));
    EXPECT_FALSE(r.boolean(0, 5));
    EXPECT_TRUE(r.boolean(0, 6));
    EXPECT_TRUE(r.bytes(0, 7).empty());
    EXPECT_EQ(r.int64(0, 8), -1);
}

TEST_F(Postgres, AValueThatLooksLikeSqlIsStoredAsAValue) {
    auto pool = pg::open_database(node_options(*db));
    PostgresUserStore users{pool};
    service::User u = testing::make_user("u-1", "x'); DROP TABLE users; --");
    users.create(u, "$argon2id$x");
    const auto found = users.find_by_name("x'); DROP TABLE users; --");
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->id, "u-1");
    EXPECT_EQ(db->psql("SELECT count(*) FROM users"), "1\n");
}

TEST_F(Postgres, ConstraintViolationsAreConflictsAndNameNoValue) {
    auto pool = pg::open_database(node_options(*db));
    PostgresUserStore users{pool};
    users.create(testing::make_user("u-1", "secret-name"), "$argon2id$x");
    try {
        users.create(testing::make_user("u-2", "secret-name"), "$argon2id$x");
        FAIL() << "a second user of the same name was stored";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::Conflict) << e.what();
        EXPECT_NE(std::string{e.what()}.find("users_name_key"), std::string::npos) << e.what();
        EXPECT_EQ(std::string{e.what()}.find("secret-name"), std::string::npos)
            << "the message quotes a value: " << e.what();
    }
}

TEST_F(Postgres, NodesStartingAtOnceMigrateOnce) {
    constexpr int kNodes = 8;
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    std::vector<std::string> errors(kNodes);
    for (int i = 0; i < kNodes; ++i) {
        threads.emplace_back([&, i] {
            try {
                auto pool = pg::open_database(node_options(*db, 1));
                if (pool->schema_version() != pg::postgres_migrations().back().version) {
                    ++failures;
                }
            } catch (const std::exception& e) {
                errors[static_cast<std::size_t>(i)] = e.what();
                ++failures;
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    for (const auto& e : errors) {
        EXPECT_EQ(e, "") << "a node failed to start";
    }
    EXPECT_EQ(failures.load(), 0);
    // Each migration recorded once, applied once (a second CREATE TABLE would have failed a node).
    std::string expected;
    for (const auto& m : pg::postgres_migrations()) {
        expected += std::to_string(m.version) + "|1\n";
    }
    EXPECT_EQ(db->psql("SELECT version, count(*) FROM schema_migrations GROUP BY version ORDER BY version"),
              expected);
}

TEST_F(Postgres, ASchemaNewerThanTheBuildIsRefused) {
    pg::open_database(node_options(*db));
    db->psql("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from the future', 0)");
    try {
        pg::open_database(node_options(*db));
        FAIL() << "a database of schema 999 was opened";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::StorageFailure);
        EXPECT_NE(std::string{e.what()}.find("schema version 999"), std::string::npos) << e.what();
    }
}

TEST_F(Postgres, ABusyPoolRefusesAfterItsLeaseTimeout) {
    auto options = node_options(*db, 1);
    options.lease_timeout = std::chrono::milliseconds{50};
    pg::Pool pool{options};
    pg::Transaction held{pool, pg::Transaction::Mode::Read, "hold the only connection"};
    try {
        pg::Transaction second{pool, pg::Transaction::Mode::Read, "second"};
        FAIL() << "a second transaction got the pool's only connection";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::StorageFailure);
        EXPECT_NE(std::string{e.what()}.find("busy"), std::string::npos) << e.what();
    }
}

TEST_F(Postgres, AFailedTransactionRollsBackAndItsConnectionServesTheNext) {
    auto pool = pg::open_database(node_options(*db, 1));
    PostgresUserStore users{pool};
    users.create(testing::make_user("u-1", "alice"), "$argon2id$x");
    EXPECT_EQ(code_of([&] { users.create(testing::make_user("u-1", "bob"), "$argon2id$x"); }),
              Errc::Conflict);
    // The one connection went back to the pool outside any transaction.
    users.create(testing::make_user("u-2", "bob"), "$argon2id$x");
    EXPECT_EQ(users.list().size(), 2U);
}

// A cluster of its own: this test stops and restarts the server, which the run's shared cluster must
// not see.
TEST(PostgresRestart, APoolReconnectsAfterTheServerRestartsAndIsUnavailableWhileItIsDown) {
    if (!inkan::testing::postgres_bin_dir()) {
        GTEST_SKIP() << testing::postgres_unavailable();
    }
    TempDir dir{"inkan-pg-restart"};
    std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_all |
                                                 std::filesystem::perms::group_exec |
                                                 std::filesystem::perms::others_exec);
    PostgresCluster cluster{dir / "cluster", true};
    TestDatabase db{cluster};
    auto pool = pg::open_database(node_options(db, 2));
    PostgresUserStore users{pool};
    PostgresAuthorizationStore counters{pool};
    users.create(testing::make_user("u-1", "alice"), "$argon2id$x");
    EXPECT_EQ(counters.add_otp_failure("u-1"), 1);

    cluster.stop();
    for (int i = 0; i < 3; ++i) {  // every pooled connection, and a new one, fail the same way
        try {
            (void)users.find_by_name("alice");
            FAIL() << "a read succeeded with the server down";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), Errc::StorageFailure) << e.what();
            EXPECT_NE(std::string{e.what()}.find("database unavailable"), std::string::npos) << e.what();
        }
    }

    cluster.start();
    const auto found = users.find_by_name("alice");
    ASSERT_TRUE(found.has_value()) << "the pool did not reconnect";
    EXPECT_EQ(found->id, "u-1");
    EXPECT_EQ(counters.add_otp_failure("u-1"), 2) << "the state before the restart is kept";
}

// ---- configuration ----

EnvLookup env_of(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
        const auto it = vars.find(std::string{name});
        return it == vars.end() ? std::nullopt : std::optional{it->second};
    };
}

TEST(PostgresConfig, NoUrlKeepsSqlite) {
    const auto config = Config::parse("[storage]\nsqlite = \"inkan.db\"\n", {}, env_of({}));
    EXPECT_FALSE(pg::options_from_config(config, env_of({})).has_value());
}

TEST(PostgresConfig, TheUrlComesFromTheFileOrTheEnvironmentAndThePasswordFromAVariable) {
    const auto env = env_of({{"INKAN_STORAGE_URL", "postgresql://inkan@db2:5433/inkan?sslmode=verify-full"},
                             {"PGPASS_INKAN", "s3cret"}});
    const auto config = Config::parse(
        "[storage]\nurl = \"postgresql://inkan@db1/inkan\"\npassword_env = \"PGPASS_INKAN\"\npool_size = 3\n",
        {}, env);
    const auto options = pg::options_from_config(config, env);
    ASSERT_TRUE(options.has_value());
    EXPECT_EQ(options->url, "postgresql://inkan@db2:5433/inkan?sslmode=verify-full")
        << "the variable overrides";
    EXPECT_EQ(options->password, std::optional<std::string>{"s3cret"});
    EXPECT_EQ(options->pool_size, 3U);
}

TEST(PostgresConfig, ThePasswordComesFromAFileWithoutItsTrailingNewline) {
    TempDir dir{"inkan-pg-config"};
    inkan::testing::write_file(dir / "db.pass", std::string_view{"p@ss word\n"});
    const auto config = Config::parse(
        "[storage]\nurl = \"host=db1 dbname=inkan\"\npassword_file = \"db.pass\"\n", dir.path(), env_of({}));
    const auto options = pg::options_from_config(config, env_of({}));
    ASSERT_TRUE(options.has_value());
    EXPECT_EQ(options->password, std::optional<std::string>{"p@ss word"});
}

TEST(PostgresConfig, AUrlWithAPasswordIsRefusedWithoutQuotingIt) {
    for (const char* url : {"postgresql://inkan:hunter2@db1/inkan", "host=db1 password=hunter2"}) {
        const auto config = Config::parse(std::string{"[storage]\nurl = \""} + url + "\"\n", {}, env_of({}));
        try {
            (void)pg::options_from_config(config, env_of({}));
            FAIL() << url << " was accepted";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), Errc::InvalidConfig) << url;
            EXPECT_EQ(std::string{e.what()}.find("hunter2"), std::string::npos) << e.what();
        }
    }
}

TEST(PostgresConfig, BadValuesAreConfigurationErrors) {
    const auto env = env_of({});
    for (const char* toml :
         {"[storage]\nurl = \"postgresql://db1/inkan\"\npool_size = 0\n",
          "[storage]\nurl = \"postgresql://db1/inkan\"\npassword_env = \"UNSET_VAR\"\n",
          "[storage]\nurl = \"postgresql://db1/inkan\"\npassword_file = \"/nonexistent/pass\"\n",
          "[storage]\nurl = \"host='unterminated\"\n"}) {
        const auto config = Config::parse(toml, {}, env);
        EXPECT_EQ(code_of([&] { (void)pg::options_from_config(config, env); }), Errc::InvalidConfig) << toml;
    }
}

TEST(PostgresConfig, AServerThatCannotBeReachedIsUnavailableAtStartup) {
    pg::Options options;
    // A socket directory with no server in it: fails at once, without a network timeout.
    TempDir dir{"inkan-pg-none"};
    options.url = "host=" + dir.path().string() + " dbname=inkan";
    try {
        pg::Pool pool{options};
        FAIL() << "a pool opened without a server";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::StorageFailure);
        EXPECT_NE(std::string{e.what()}.find("database unavailable"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace inkan::storage
