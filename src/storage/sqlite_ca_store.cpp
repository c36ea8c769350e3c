#include <inkan/storage/sqlite_ca_store.h>

#include <utility>

namespace inkan::storage {

namespace {

using pki::IssuedCertificate;
using pki::RevocationReason;

constexpr std::string_view kColumns =
    "ca, serial, subject, profile, not_before, not_after, der, revoked_at, reason FROM ca_certificates ";

RevocationReason reason_from_column(std::int64_t value) {
    // The table's CHECK keeps other values out; a database edited by hand could still have them.
    require(value >= 0 && value <= 10 && value != 7, Errc::StorageFailure,
            "sqlite: ca_certificates.reason holds an invalid CRLReason");
    return static_cast<RevocationReason>(value);
}

IssuedCertificate read_certificate(const Statement& row) {
    IssuedCertificate cert;
    cert.ca = row.column_text(0);
    cert.serial = row.column_blob(1);
    cert.subject = row.column_text(2);
    cert.profile = row.column_text(3);
    cert.not_before = row.column_time(4);
    cert.not_after = row.column_time(5);
    cert.der = row.column_blob(6);
    cert.revoked_at = row.column_optional_time(7);
    if (!row.column_is_null(8)) {
        cert.reason = reason_from_column(row.column_int64(8));
    }
    return cert;
}

std::vector<IssuedCertificate> read_all(Statement& query) {
    std::vector<IssuedCertificate> out;
    while (query.step()) {
        out.push_back(read_certificate(query));
    }
    return out;
}

std::string select(std::string_view where) {
    std::string sql = "SELECT ";
    sql += kColumns;
    sql += where;
    return sql;
}

}  // namespace

SqliteCaStore::SqliteCaStore(const std::filesystem::path& db_file)
    : m_db{std::make_shared<Database>(db_file)} {}

SqliteCaStore::SqliteCaStore(std::shared_ptr<Database> db) : m_db{std::move(db)} {
    require(m_db != nullptr, Errc::Internal, "SqliteCaStore: no database");
}

bool SqliteCaStore::reserve_serial(std::string_view ca, ByteView serial) {
    require(!serial.empty(), Errc::InvalidRequest, "reserve serial: empty serial");
    Transaction tx{*m_db, Transaction::Mode::Write, "reserve serial"};
    Statement insert{*m_db,
                     "INSERT INTO ca_serials (ca, serial, reserved_at) VALUES (?1, ?2, ?3) "
                     "ON CONFLICT (ca, serial) DO NOTHING",
                     "reserve serial"};
    insert.bind_text(1, ca).bind_blob(2, serial).bind_time(3, SystemClock::instance().now()).run();
    const bool claimed = m_db->changes() == 1;
    tx.commit();
    return claimed;
}

void SqliteCaStore::record_certificate(const IssuedCertificate& cert) {
    require(cert.revoked_at.has_value() == cert.reason.has_value(), Errc::InvalidRequest,
            "record certificate: revoked_at and reason go together");
    Transaction tx{*m_db, Transaction::Mode::Write, "record certificate"};
    // The foreign key on (ca, serial) refuses an unreserved serial, UNIQUE a second certificate:
    // both are SQLITE_CONSTRAINT, i.e. Errc::Conflict.
    Statement insert{*m_db,
                     "INSERT INTO ca_certificates (ca, serial, subject, profile, not_before, not_after, der, "
                     "revoked_at, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                     "record certificate"};
    insert.bind_text(1, cert.ca)
        .bind_blob(2, cert.serial)
        .bind_text(3, cert.subject)
        .bind_text(4, cert.profile)
        .bind_time(5, cert.not_before)
        .bind_time(6, cert.not_after)
        .bind_blob(7, cert.der)
        .bind_time(8, cert.revoked_at);
    if (cert.reason) {
        insert.bind_int64(9, static_cast<std::int64_t>(*cert.reason));
    } else {
        insert.bind_null(9);
    }
    insert.run();
    tx.commit();
}

std::optional<IssuedCertificate> SqliteCaStore::find(std::string_view ca, ByteView serial) const {
    Transaction tx{*m_db, Transaction::Mode::Read, "find certificate"};
    Statement query{*m_db, select("WHERE ca = ?1 AND serial = ?2"), "find certificate"};
    query.bind_text(1, ca).bind_blob(2, serial);
    if (!query.step()) {
        return std::nullopt;
    }
    return read_certificate(query);
}

std::vector<IssuedCertificate> SqliteCaStore::find_serial(ByteView serial) const {
    Transaction tx{*m_db, Transaction::Mode::Read, "find serial"};
    Statement query{*m_db, select("WHERE serial = ?1 ORDER BY id"), "find serial"};
    query.bind_blob(1, serial);
    return read_all(query);
}

std::vector<IssuedCertificate> SqliteCaStore::list(std::string_view ca) const {
    Transaction tx{*m_db, Transaction::Mode::Read, "list certificates"};
    Statement query{*m_db, select("WHERE ca = ?1 ORDER BY id"), "list certificates"};
    query.bind_text(1, ca);
    return read_all(query);
}

void SqliteCaStore::revoke(std::string_view ca, ByteView serial, RevocationReason reason, TimePoint when) {
    Transaction tx{*m_db, Transaction::Mode::Write, "revoke certificate"};
    // Allowed: a certificate not yet revoked, or one on hold that now gets another reason.
    Statement update{*m_db,
                     "UPDATE ca_certificates SET revoked_at = ?3, reason = ?4 "
                     "WHERE ca = ?1 AND serial = ?2 AND (revoked_at IS NULL OR (reason = ?5 AND ?4 <> ?5))",
                     "revoke certificate"};
    update.bind_text(1, ca)
        .bind_blob(2, serial)
        .bind_time(3, when)
        .bind_int64(4, static_cast<std::int64_t>(reason))
        .bind_int64(5, static_cast<std::int64_t>(RevocationReason::CertificateHold))
        .run();
    if (m_db->changes() == 1) {
        tx.commit();
        return;
    }
    Statement exists{*m_db, "SELECT 1 FROM ca_certificates WHERE ca = ?1 AND serial = ?2",
                     "revoke certificate"};
    exists.bind_text(1, ca).bind_blob(2, serial);
    if (!exists.step()) {
        throw Error{Errc::NotFound,
                    "revoke certificate: no certificate with this serial at CA " + std::string{ca}};
    }
    throw Error{Errc::Conflict, "revoke certificate: already revoked"};
}

std::vector<IssuedCertificate> SqliteCaStore::revoked(std::string_view ca) const {
    Transaction tx{*m_db, Transaction::Mode::Read, "list revoked certificates"};
    Statement query{*m_db, select("WHERE ca = ?1 AND revoked_at IS NOT NULL ORDER BY id"),
                    "list revoked certificates"};
    query.bind_text(1, ca);
    return read_all(query);
}

std::uint64_t SqliteCaStore::next_crl_number(std::string_view ca) {
    Transaction tx{*m_db, Transaction::Mode::Write, "next CRL number"};
    Statement upsert{*m_db,
                     "INSERT INTO ca_crl_numbers (ca, last) VALUES (?1, 1) "
                     "ON CONFLICT (ca) DO UPDATE SET last = last + 1 RETURNING last",
                     "next CRL number"};
    upsert.bind_text(1, ca);
    require(upsert.step(), Errc::StorageFailure, "sqlite: next CRL number: no row returned");
    const std::int64_t number = upsert.column_int64(0);
    upsert.run();  // finish the statement before COMMIT
    tx.commit();
    require(number > 0, Errc::StorageFailure, "sqlite: next CRL number: not positive");
    return static_cast<std::uint64_t>(number);
}

}  // namespace inkan::storage
