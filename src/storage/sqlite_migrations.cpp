// inkan's SQLite schema as an ordered list of migrations, compiled in (no files to ship or lose).
// Rules: append only; never edit a migration that has been released; each one runs inside the
// transaction that records it in schema_migrations, so it applies entirely or not at all.
// Times are unix seconds (INTEGER), binary values BLOB, names TEXT (UTF-8).

#include <inkan/storage/sqlite.h>

#include <array>

namespace inkan::storage {

namespace {

// 1: the CA's state (pki::CaStore). A serial is claimed in ca_serials before the certificate is
// signed (so two nodes never issue the same one); the certificate then references its claim.
// ca_certificates.id gives issuance order.
constexpr std::string_view kCaTables = R"sql(
CREATE TABLE ca_serials (
    ca          TEXT    NOT NULL,
    serial      BLOB    NOT NULL,
    reserved_at INTEGER NOT NULL,
    PRIMARY KEY (ca, serial)
);
CREATE TABLE ca_certificates (
    id         INTEGER PRIMARY KEY,
    ca         TEXT    NOT NULL,
    serial     BLOB    NOT NULL,
    subject    TEXT    NOT NULL,
    profile    TEXT    NOT NULL,
    not_before INTEGER NOT NULL,
    not_after  INTEGER NOT NULL,
    der        BLOB    NOT NULL,
    revoked_at INTEGER,
    reason     INTEGER CHECK (reason BETWEEN 0 AND 10 AND reason <> 7),
    UNIQUE (ca, serial),
    FOREIGN KEY (ca, serial) REFERENCES ca_serials (ca, serial),
    CHECK ((revoked_at IS NULL) = (reason IS NULL))
);
CREATE INDEX ca_certificates_by_serial ON ca_certificates (serial);
CREATE INDEX ca_certificates_revoked ON ca_certificates (ca, id) WHERE revoked_at IS NOT NULL;
CREATE TABLE ca_crl_numbers (
    ca   TEXT    PRIMARY KEY,
    last INTEGER NOT NULL
);
)sql";

constexpr std::array kMigrations{
    Migration{1, "ca tables", kCaTables},
};

}  // namespace

std::span<const Migration> sqlite_migrations() noexcept {
    return kMigrations;
}

}  // namespace inkan::storage
