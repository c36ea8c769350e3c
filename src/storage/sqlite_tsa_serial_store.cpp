#include <inkan/storage/sqlite_tsa_serial_store.h>

#include <limits>
#include <utility>

namespace inkan::storage {

SqliteTsaSerialStore::SqliteTsaSerialStore(const std::filesystem::path& db_file, std::string name)
    : m_db{std::make_shared<Database>(db_file)}, m_name{std::move(name)} {}

SqliteTsaSerialStore::SqliteTsaSerialStore(std::shared_ptr<Database> db, std::string name)
    : m_db{std::move(db)}, m_name{std::move(name)} {
    require(m_db != nullptr, Errc::Internal, "SqliteTsaSerialStore: no database");
}

std::uint64_t SqliteTsaSerialStore::reserve(std::uint64_t count) {
    require(count >= 1 && count <= 1'000'000, Errc::InvalidRequest, "tsa serials: block size out of range");
    Transaction tx{*m_db, Transaction::Mode::Write, "reserve tsa serials"};
    {
        Statement init{*m_db, "INSERT OR IGNORE INTO tsa_serials (name, next) VALUES (?1, 1)",
                       "reserve tsa serials"};
        init.bind_text(1, m_name).run();
    }
    std::int64_t first = 0;
    {
        Statement read{*m_db, "SELECT next FROM tsa_serials WHERE name = ?1", "reserve tsa serials"};
        read.bind_text(1, m_name);
        require(read.step(), Errc::StorageFailure, "sqlite: reserve tsa serials: counter row missing");
        first = read.column_int64(0);
    }
    require(
        first >= 1 && first <= std::numeric_limits<std::int64_t>::max() - static_cast<std::int64_t>(count),
        Errc::StorageFailure, "sqlite: reserve tsa serials: counter out of range");
    {
        Statement move{*m_db, "UPDATE tsa_serials SET next = ?2 WHERE name = ?1", "reserve tsa serials"};
        move.bind_text(1, m_name).bind_int64(2, first + static_cast<std::int64_t>(count)).run();
    }
    tx.commit();
    return static_cast<std::uint64_t>(first);
}

}  // namespace inkan::storage
