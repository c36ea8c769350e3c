#pragma once

// pki::CaStore on SQLite. Every method is one transaction (writes BEGIN IMMEDIATE), so several
// instances — threads, processes — may share one database file.

#include <filesystem>
#include <memory>

#include <inkan/pki/store.h>
#include <inkan/storage/sqlite.h>

namespace inkan::storage {

class SqliteCaStore final : public pki::CaStore {
public:
    /// Opens (creating and migrating) the database file with its own connection.
    explicit SqliteCaStore(const std::filesystem::path& db_file);
    /// Shares a connection with other adapters (calls are serialised on it).
    explicit SqliteCaStore(std::shared_ptr<Database> db);

    bool reserve_serial(std::string_view ca, ByteView serial) override;
    void record_certificate(const pki::IssuedCertificate& cert) override;
    [[nodiscard]] std::optional<pki::IssuedCertificate> find(std::string_view ca,
                                                             ByteView serial) const override;
    [[nodiscard]] std::vector<pki::IssuedCertificate> find_serial(ByteView serial) const override;
    [[nodiscard]] std::vector<pki::IssuedCertificate> list(std::string_view ca) const override;
    void revoke(std::string_view ca, ByteView serial, pki::RevocationReason reason, TimePoint when) override;
    [[nodiscard]] std::vector<pki::IssuedCertificate> revoked(std::string_view ca) const override;
    std::uint64_t next_crl_number(std::string_view ca) override;

private:
    std::shared_ptr<Database> m_db;
};

}  // namespace inkan::storage
