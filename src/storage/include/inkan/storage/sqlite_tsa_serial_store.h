#pragma once

// tsp::SerialSource on SQLite: one counter row per name in tsa_serials (migration 5), moved forward
// in one BEGIN IMMEDIATE transaction per reserved block, so TSAs on several nodes sharing the
// database never hand out the same serial.

#include <filesystem>
#include <memory>
#include <string>

#include <inkan/storage/sqlite.h>
#include <inkan/tsp/authority.h>

namespace inkan::storage {

class SqliteTsaSerialStore final : public tsp::SerialSource {
public:
    /// `name`: the counter (one per TSA; inkan uses one, "tsa", for every identity, so serials are
    /// unique across identities too).
    explicit SqliteTsaSerialStore(const std::filesystem::path& db_file, std::string name = "tsa");
    explicit SqliteTsaSerialStore(std::shared_ptr<Database> db, std::string name = "tsa");

    std::uint64_t reserve(std::uint64_t count) override;

private:
    std::shared_ptr<Database> m_db;
    std::string m_name;
};

}  // namespace inkan::storage
