// pki::CaStore (ca_serials, ca_certificates, ca_crl_numbers) and tsp::SerialSource (tsa_serials) on
// PostgreSQL.

#include <inkan/storage/postgres_pki_stores.h>

#include <utility>

namespace inkan::storage {

namespace {

using pki::IssuedCertificate;
using pki::RevocationReason;

constexpr std::string_view kColumns =
    "ca, serial, subject, profile, not_before, not_after, der, revoked_at, reason FROM ca_certificates ";

std::string select(std::string_view where) {
    std::string sql = "SELECT ";
    sql += kColumns;
    sql += where;
    return sql;
}

RevocationReason reason_from_column(std::int64_t value) {
    require(value >= 0 && value <= 10 && value != 7, Errc::StorageFailure,
            "postgresql: ca_certificates.reason holds an invalid CRLReason");
    return static_cast<RevocationReason>(value);
}

std::vector<IssuedCertificate> read_all(const pg::Result& r) {
    std::vector<IssuedCertificate> out;
    for (int i = 0; i < r.rows(); ++i) {
        IssuedCertificate cert;
        cert.ca = r.text(i, 0);
        cert.serial = r.bytes(i, 1);
        cert.subject = r.text(i, 2);
        cert.profile = r.text(i, 3);
        cert.not_before = r.time(i, 4);
        cert.not_after = r.time(i, 5);
        cert.der = r.bytes(i, 6);
        cert.revoked_at = r.optional_time(i, 7);
        if (!r.is_null(i, 8)) {
            cert.reason = reason_from_column(r.int64(i, 8));
        }
        out.push_back(std::move(cert));
    }
    return out;
}

}  // namespace

PostgresCaStore::PostgresCaStore(std::shared_ptr<pg::Pool> pool) : m_pool{std::move(pool)} {
    require(m_pool != nullptr, Errc::Internal, "PostgresCaStore: no database");
}

bool PostgresCaStore::reserve_serial(std::string_view ca, ByteView serial) {
    require(!serial.empty(), Errc::InvalidRequest, "reserve serial: empty serial");
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "reserve serial"};
    // The primary key decides between nodes: a second claim of the same serial inserts nothing.
    const bool claimed = pg::Statement{tx,
                                       "INSERT INTO ca_serials (ca, serial, reserved_at) VALUES ($1, $2, $3) "
                                       "ON CONFLICT (ca, serial) DO NOTHING",
                                       "reserve serial"}
                             .bind_text(ca)
                             .bind_blob(serial)
                             .bind_time(SystemClock::instance().now())
                             .run()
                             .affected() == 1;
    tx.commit();
    return claimed;
}

void PostgresCaStore::record_certificate(const IssuedCertificate& cert) {
    require(cert.revoked_at.has_value() == cert.reason.has_value(), Errc::InvalidRequest,
            "record certificate: revoked_at and reason go together");
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "record certificate"};
    // The foreign key on (ca, serial) refuses an unreserved serial, UNIQUE a second certificate: both are
    // class 23, i.e. Errc::Conflict.
    pg::Statement insert{
        tx,
        "INSERT INTO ca_certificates (ca, serial, subject, profile, not_before, not_after, der, "
        "revoked_at, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        "record certificate"};
    insert.bind_text(cert.ca)
        .bind_blob(cert.serial)
        .bind_text(cert.subject)
        .bind_text(cert.profile)
        .bind_time(cert.not_before)
        .bind_time(cert.not_after)
        .bind_blob(cert.der)
        .bind_time(cert.revoked_at);
    if (cert.reason) {
        insert.bind_int64(static_cast<std::int64_t>(*cert.reason));
    } else {
        insert.bind_null();
    }
    insert.run();
    tx.commit();
}

std::optional<IssuedCertificate> PostgresCaStore::find(std::string_view ca, ByteView serial) const {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Read, "find certificate"};
    auto all = read_all(pg::Statement{tx, select("WHERE ca = $1 AND serial = $2"), "find certificate"}
                            .bind_text(ca)
                            .bind_blob(serial)
                            .run());
    if (all.empty()) {
        return std::nullopt;
    }
    return std::move(all.front());
}

std::vector<IssuedCertificate> PostgresCaStore::find_serial(ByteView serial) const {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Read, "find serial"};
    return read_all(
        pg::Statement{tx, select("WHERE serial = $1 ORDER BY id"), "find serial"}.bind_blob(serial).run());
}

std::vector<IssuedCertificate> PostgresCaStore::list(std::string_view ca) const {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Read, "list certificates"};
    return read_all(
        pg::Statement{tx, select("WHERE ca = $1 ORDER BY id"), "list certificates"}.bind_text(ca).run());
}

void PostgresCaStore::revoke(std::string_view ca, ByteView serial, RevocationReason reason, TimePoint when) {
    constexpr std::string_view purpose = "revoke certificate";
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, purpose};
    // Allowed: a certificate not yet revoked, or one on hold that now gets another reason.
    const auto changed =
        pg::Statement{tx,
                      "UPDATE ca_certificates SET revoked_at = $3, reason = $4 "
                      "WHERE ca = $1 AND serial = $2 AND (revoked_at IS NULL OR (reason = $5 AND "
                      "$4 <> $5))",
                      purpose}
            .bind_text(ca)
            .bind_blob(serial)
            .bind_time(when)
            .bind_int64(static_cast<std::int64_t>(reason))
            .bind_int64(static_cast<std::int64_t>(RevocationReason::CertificateHold))
            .run()
            .affected();
    if (changed == 1) {
        tx.commit();
        return;
    }
    if (pg::Statement{tx, "SELECT 1 FROM ca_certificates WHERE ca = $1 AND serial = $2", purpose}
            .bind_text(ca)
            .bind_blob(serial)
            .run()
            .rows() == 0) {
        throw Error{Errc::NotFound,
                    "revoke certificate: no certificate with this serial at CA " + std::string{ca}};
    }
    throw Error{Errc::Conflict, "revoke certificate: already revoked"};
}

std::vector<IssuedCertificate> PostgresCaStore::revoked(std::string_view ca) const {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Read, "list revoked certificates"};
    return read_all(pg::Statement{tx, select("WHERE ca = $1 AND revoked_at IS NOT NULL ORDER BY id"),
                                  "list revoked certificates"}
                        .bind_text(ca)
                        .run());
}

std::uint64_t PostgresCaStore::next_crl_number(std::string_view ca) {
    constexpr std::string_view purpose = "next CRL number";
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, purpose};
    const auto r =
        pg::Statement{tx,
                      "INSERT INTO ca_crl_numbers (ca, last) VALUES ($1, 1) "
                      "ON CONFLICT (ca) DO UPDATE SET last = ca_crl_numbers.last + 1 RETURNING last",
                      purpose}
            .bind_text(ca)
            .run();
    require(r.rows() == 1, Errc::StorageFailure, "postgresql: next CRL number: no row returned");
    const std::int64_t number = r.int64(0, 0);
    tx.commit();
    require(number > 0, Errc::StorageFailure, "postgresql: next CRL number: not positive");
    return static_cast<std::uint64_t>(number);
}

PostgresTsaSerialStore::PostgresTsaSerialStore(std::shared_ptr<pg::Pool> pool, std::string name)
    : m_pool{std::move(pool)}, m_name{std::move(name)} {
    require(m_pool != nullptr, Errc::Internal, "PostgresTsaSerialStore: no database");
}

std::uint64_t PostgresTsaSerialStore::reserve(std::uint64_t count) {
    require(count >= 1 && count <= 1'000'000, Errc::InvalidRequest, "tsa serials: block size out of range");
    constexpr std::string_view purpose = "reserve tsa serials";
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, purpose};
    // One statement: the row lock orders nodes, each moves `next` on from where the one before left it
    // and gets back the start of its own block. BIGINT overflow is an error, never a wrap.
    const auto r = pg::Statement{tx,
                                 "INSERT INTO tsa_serials (name, next) VALUES ($1, 1 + $2) "
                                 "ON CONFLICT (name) DO UPDATE SET next = tsa_serials.next + $2 "
                                 "RETURNING next - $2",
                                 purpose}
                       .bind_text(m_name)
                       .bind_int64(static_cast<std::int64_t>(count))
                       .run();
    require(r.rows() == 1, Errc::StorageFailure, "postgresql: reserve tsa serials: no row returned");
    const std::int64_t first = r.int64(0, 0);
    require(first >= 1, Errc::StorageFailure, "postgresql: reserve tsa serials: counter out of range");
    tx.commit();
    return static_cast<std::uint64_t>(first);
}

}  // namespace inkan::storage
