// The cost of the serialised audit append (issue 19): appends per second through service::AuditLog (real
// SHA-256 chain) on SQLite and on PostgreSQL, from 1 and from N nodes at once (each node its own
// connection), next to the raw limit measured in the same run on the same database: plain INSERTs of an
// audit-sized row into a table with no chain and no lock, from the same number of connections. The ratio
// is what the chain's serialisation costs. PostgreSQL runs in a throwaway cluster on a Unix socket with
// fsync off (tests/support/postgres.h), SQLite in a temp dir with synchronous=FULL, as inkan runs it: the
// two columns compare locking, not disks. --seconds N per figure (default 2), --nodes N (default 8). No
// assertions: numbers only. Last line: one JSON object.

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <inkan/service/audit.h>
#include <inkan/storage/postgres_service_stores.h>
#include <inkan/storage/sqlite.h>
#include <inkan/storage/sqlite_service_stores.h>
#include <inkan/testing/postgres.h>
#include <inkan/testing/process.h>

using namespace inkan;

namespace {

/// Calls op() on `threads` threads (thread index given) for `seconds`; operations per second.
double run_for(double seconds, std::size_t threads, const std::function<void(std::size_t)>& op) {
    std::atomic<bool> stop{false};
    std::atomic<std::size_t> done{0};
    std::vector<std::thread> pool;
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            while (!stop.load(std::memory_order_relaxed)) {
                op(t);
                done.fetch_add(1, std::memory_order_relaxed);
            }
        });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    for (auto& th : pool) {
        th.join();
    }
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return static_cast<double>(done.load()) / elapsed;
}

const service::AuditEvent kEvent{"sign", "ok", "u-alice", "app", "cred-1", "", "", R"({"hashes":1})"};
constexpr std::string_view kRawTable =
    "CREATE TABLE IF NOT EXISTS raw_rows (id TEXT PRIMARY KEY, at BIGINT NOT NULL, details TEXT NOT NULL, "
    "hash BLOBTYPE NOT NULL)";

struct Figures {
    double append_1 = 0;
    double append_n = 0;
    double raw_1 = 0;
    double raw_n = 0;
};

Figures sqlite_figures(double seconds, std::size_t nodes) {
    testing::TempDir dir{"inkan-audit-bench"};
    const auto file = dir / "inkan.db";
    std::vector<std::shared_ptr<storage::Database>> dbs;
    std::vector<std::unique_ptr<storage::SqliteAuditStore>> stores;
    std::vector<std::unique_ptr<service::AuditLog>> logs;
    for (std::size_t i = 0; i < nodes; ++i) {
        dbs.push_back(std::make_shared<storage::Database>(file));
        stores.push_back(std::make_unique<storage::SqliteAuditStore>(dbs.back()));
        logs.push_back(std::make_unique<service::AuditLog>(*stores.back(), SystemClock::instance()));
    }
    {
        std::string ddl{kRawTable};
        ddl.replace(ddl.find("BLOBTYPE"), 8, "BLOB");
        storage::Transaction tx{*dbs[0], storage::Transaction::Mode::Write, "bench table"};
        dbs[0]->exec(ddl, "bench table");
        tx.commit();
    }
    std::atomic<std::uint64_t> ids{0};
    const auto raw = [&](std::size_t t) {
        storage::Database& db = *dbs[t];
        storage::Transaction tx{db, storage::Transaction::Mode::Write, "raw insert"};
        storage::Statement q{db, "INSERT INTO raw_rows (id, at, details, hash) VALUES (?1, ?2, ?3, ?4)",
                             "raw insert"};
        q.bind_text(1, std::to_string(ids++))
            .bind_int64(2, 0)
            .bind_text(3, kEvent.details)
            .bind_blob(4, Bytes(32, 1));
        q.run();
        tx.commit();
    };
    const auto append = [&](std::size_t t) { logs[t]->record(kEvent); };
    Figures f;
    f.raw_1 = run_for(seconds, 1, raw);
    f.append_1 = run_for(seconds, 1, append);
    f.raw_n = run_for(seconds, nodes, raw);
    f.append_n = run_for(seconds, nodes, append);
    return f;
}

Figures postgres_figures(double seconds, std::size_t nodes) {
    std::string why;
    auto* cluster = testing::shared_postgres(&why);
    if (cluster == nullptr) {
        throw Error{Errc::Unavailable, why};
    }
    testing::TestDatabase db{*cluster};
    std::vector<std::shared_ptr<storage::pg::Pool>> pools;
    std::vector<std::unique_ptr<storage::PostgresAuditStore>> stores;
    std::vector<std::unique_ptr<service::AuditLog>> logs;
    for (std::size_t i = 0; i < nodes; ++i) {
        storage::pg::Options o;
        o.url = db.url();
        o.pool_size = 1;
        pools.push_back(storage::pg::open_database(o));
        stores.push_back(std::make_unique<storage::PostgresAuditStore>(pools.back()));
        logs.push_back(std::make_unique<service::AuditLog>(*stores.back(), SystemClock::instance()));
    }
    {
        std::string ddl{kRawTable};
        ddl.replace(ddl.find("BLOBTYPE"), 8, "BYTEA");
        storage::pg::Transaction tx{*pools[0], storage::pg::Transaction::Mode::Write, "bench table"};
        tx.connection().exec_script(ddl, "bench table");
        tx.commit();
    }
    std::atomic<std::uint64_t> ids{0};
    const auto raw = [&](std::size_t t) {
        storage::pg::Transaction tx{*pools[t], storage::pg::Transaction::Mode::Write, "raw insert"};
        storage::pg::Statement{tx, "INSERT INTO raw_rows (id, at, details, hash) VALUES ($1, $2, $3, $4)",
                               "raw insert"}
            .bind_text(std::to_string(ids++))
            .bind_int64(0)
            .bind_text(kEvent.details)
            .bind_blob(Bytes(32, 1))
            .run();
        tx.commit();
    };
    const auto append = [&](std::size_t t) { logs[t]->record(kEvent); };
    Figures f;
    f.raw_1 = run_for(seconds, 1, raw);
    f.append_1 = run_for(seconds, 1, append);
    f.raw_n = run_for(seconds, nodes, raw);
    f.append_n = run_for(seconds, nodes, append);
    return f;
}

}  // namespace

int main(int argc, char** argv) {
    double seconds = 2;
    std::size_t nodes = 8;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg{argv[i]};
        if (arg == "--seconds" && i + 1 < argc) {
            seconds = std::atof(argv[++i]);
        } else if (arg == "--nodes" && i + 1 < argc) {
            nodes = static_cast<std::size_t>(std::atoi(argv[++i]));
        } else {
            std::fprintf(stderr, "usage: %s [--seconds N] [--nodes N]\n", argv[0]);
            return 2;
        }
    }
    try {
        const Figures s = sqlite_figures(seconds, nodes);
        const Figures p = postgres_figures(seconds, nodes);
        std::printf(
            "audit appends/s (AuditLog::record, SHA-256 chain) vs raw inserts/s of the same row size, "
            "same database, same run\n");
        std::printf(
            "| backend | nodes | appends/s | raw inserts/s | appends / raw |\n|---|---|---|---|---|\n");
        const auto row = [](const char* name, std::size_t n, double a, double r) {
            std::printf("| %s | %zu | %.0f | %.0f | %.2f |\n", name, n, a, r, r > 0 ? a / r : 0.0);
        };
        row("sqlite", 1, s.append_1, s.raw_1);
        row("sqlite", nodes, s.append_n, s.raw_n);
        row("postgresql", 1, p.append_1, p.raw_1);
        row("postgresql", nodes, p.append_n, p.raw_n);
        std::printf(
            "{\"bench\":\"audit\",\"nodes\":%zu,\"sqlite\":{\"append_1\":%.0f,\"raw_1\":%.0f,\"append_n\":%."
            "0f,"
            "\"raw_n\":%.0f},\"postgresql\":{\"append_1\":%.0f,\"raw_1\":%.0f,\"append_n\":%.0f,\"raw_n\":%."
            "0f}}\n",
            nodes, s.append_1, s.raw_1, s.append_n, s.raw_n, p.append_1, p.raw_1, p.append_n, p.raw_n);
        return 0;
    } catch (const Error& e) {
        std::fprintf(stderr, "audit_bench: %s [%s]\n", e.what(), std::string{errc_name(e.code())}.c_str());
        return 1;
    }
}
