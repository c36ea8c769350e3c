#pragma once

// pki::CaStore and tsp::SerialSource on PostgreSQL (issue 19, decision 0042). Serials are claimed by a
// primary key (INSERT ... ON CONFLICT DO NOTHING), CRL numbers and TSA serial blocks move forward in one
// INSERT ... ON CONFLICT DO UPDATE ... RETURNING each, so nodes sharing the database never hand out the
// same serial, CRL number or TSA serial.

#include <memory>
#include <string>

#include <inkan/pki/store.h>
#include <inkan/storage/postgres.h>
#include <inkan/tsp/authority.h>

namespace inkan::storage {

class PostgresCaStore final : public pki::CaStore {
public:
    explicit PostgresCaStore(std::shared_ptr<pg::Pool> pool);

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
    std::shared_ptr<pg::Pool> m_pool;
};

/// One counter row per name in tsa_serials, as SqliteTsaSerialStore.
class PostgresTsaSerialStore final : public tsp::SerialSource {
public:
    explicit PostgresTsaSerialStore(std::shared_ptr<pg::Pool> pool, std::string name = "tsa");

    std::uint64_t reserve(std::uint64_t count) override;

private:
    std::shared_ptr<pg::Pool> m_pool;
    std::string m_name;
};

}  // namespace inkan::storage
