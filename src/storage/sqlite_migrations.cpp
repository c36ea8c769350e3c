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

// 2: the service's state (service::UserStore, CredentialStore, TokenStore). Ids are opaque text made
// by the service. A personal credential has an owner and a PIN hash; a seal has neither, its members
// each have their own PIN hash (seal_members). chain: the certificates as a sequence of
// (4-byte big-endian length, DER), end-entity first; NULL while pending. tokens.hash is SHA-256 of
// the token string; an access token names its grant's refresh token in refresh_id, so revoking the
// grant is one UPDATE. Later migrations add lockout counters and the TOTP replay step as columns
// (users, credentials, seal_members) and the SAD ledger and audit log as tables of their own.
constexpr std::string_view kServiceTables = R"sql(
CREATE TABLE users (
    id            TEXT    PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('user', 'operator', 'auditor')),
    locked        INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
    password_hash TEXT    NOT NULL,
    totp_sealed   BLOB,
    created_at    INTEGER NOT NULL
);
CREATE TABLE credentials (
    id            TEXT    PRIMARY KEY,
    kind          TEXT    NOT NULL CHECK (kind IN ('personal', 'seal')),
    owner_user_id TEXT    REFERENCES users (id),
    organization  TEXT    NOT NULL DEFAULT '',
    description   TEXT    NOT NULL DEFAULT '',
    key_id        BLOB    NOT NULL,
    key_algo      TEXT    NOT NULL,
    chain         BLOB,
    ca            TEXT    NOT NULL,
    profile       TEXT    NOT NULL,
    scal          INTEGER NOT NULL CHECK (scal IN (1, 2)),
    multisign     INTEGER NOT NULL CHECK (multisign >= 1),
    status        TEXT    NOT NULL CHECK (status IN ('pending', 'active', 'disabled')),
    pin_hash      TEXT,
    created_at    INTEGER NOT NULL,
    CHECK ((kind = 'personal') = (owner_user_id IS NOT NULL AND pin_hash IS NOT NULL)),
    CHECK (kind = 'personal' OR (owner_user_id IS NULL AND pin_hash IS NULL))
);
CREATE INDEX credentials_by_owner ON credentials (owner_user_id) WHERE owner_user_id IS NOT NULL;
CREATE TABLE seal_members (
    credential_id TEXT    NOT NULL REFERENCES credentials (id),
    user_id       TEXT    NOT NULL REFERENCES users (id),
    pin_hash      TEXT    NOT NULL,
    added_at      INTEGER NOT NULL,
    PRIMARY KEY (credential_id, user_id)
);
CREATE INDEX seal_members_by_user ON seal_members (user_id);
CREATE TABLE tokens (
    id         TEXT    PRIMARY KEY,
    hash       BLOB    NOT NULL UNIQUE,
    kind       TEXT    NOT NULL CHECK (kind IN ('access', 'refresh')),
    user_id    TEXT    NOT NULL REFERENCES users (id),
    client_id  TEXT    NOT NULL DEFAULT '',
    refresh_id TEXT    REFERENCES tokens (id) ON DELETE CASCADE,
    issued_at  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
    CHECK (refresh_id IS NULL OR kind = 'access')
);
CREATE INDEX tokens_by_grant ON tokens (refresh_id) WHERE refresh_id IS NOT NULL;
CREATE INDEX tokens_by_expiry ON tokens (expires_at);
)sql";

// Sole control: the SAD ledger (one row per SAD, one per authorised hash), the lockout counters and
// the audit chain (csc-api.md §3.4).
constexpr std::string_view kSoleControlTables = R"sql(
CREATE TABLE sads (
    id            TEXT    PRIMARY KEY,
    handle_hash   BLOB    NOT NULL UNIQUE,
    user_id       TEXT    NOT NULL REFERENCES users (id),
    client_id     TEXT    NOT NULL DEFAULT '',
    credential_id TEXT    NOT NULL REFERENCES credentials (id),
    member_id     TEXT    NOT NULL DEFAULT '',
    scal          INTEGER NOT NULL CHECK (scal IN (1, 2)),
    remaining     INTEGER NOT NULL CHECK (remaining >= 0),
    expires_at    INTEGER NOT NULL,
    retired       INTEGER NOT NULL DEFAULT 0 CHECK (retired IN (0, 1))
);
CREATE INDEX sads_by_expiry ON sads (expires_at);
CREATE TABLE sad_hashes (
    sad_id   TEXT    NOT NULL REFERENCES sads (id) ON DELETE CASCADE,
    ordinal  INTEGER NOT NULL,
    alg_oid  TEXT    NOT NULL,
    value    BLOB    NOT NULL,
    consumed INTEGER NOT NULL DEFAULT 0 CHECK (consumed IN (0, 1)),
    PRIMARY KEY (sad_id, ordinal)
);
CREATE TABLE pin_failures (
    credential_id TEXT    NOT NULL,
    user_id       TEXT    NOT NULL,
    count         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (credential_id, user_id)
);
CREATE TABLE otp_state (
    user_id   TEXT    PRIMARY KEY,
    failures  INTEGER NOT NULL DEFAULT 0,
    last_step INTEGER
);
CREATE TABLE audit_log (
    seq           INTEGER PRIMARY KEY,
    at            INTEGER NOT NULL,
    action        TEXT    NOT NULL,
    outcome       TEXT    NOT NULL,
    user_id       TEXT    NOT NULL DEFAULT '',
    client_id     TEXT    NOT NULL DEFAULT '',
    credential_id TEXT    NOT NULL DEFAULT '',
    member_id     TEXT    NOT NULL DEFAULT '',
    operator_name TEXT    NOT NULL DEFAULT '',
    details       TEXT    NOT NULL DEFAULT '{}',
    prev_hash     BLOB    NOT NULL,
    hash          BLOB    NOT NULL
);
CREATE INDEX audit_log_by_time ON audit_log (at);
)sql";

// 5: the TSA's serial counter (tsp::SerialSource). One row per counter; a node reserves a block of
// serials by moving `next` forward inside BEGIN IMMEDIATE, so nodes sharing the database never collide.
constexpr std::string_view kTsaTables = R"sql(
CREATE TABLE tsa_serials (
    name TEXT    PRIMARY KEY,
    next INTEGER NOT NULL CHECK (next >= 1)
);
)sql";

constexpr std::array kMigrations{
    Migration{1, "ca tables", kCaTables},
    Migration{2, "service tables", kServiceTables},
    Migration{3, "sole control tables", kSoleControlTables},
    // 4 is another branch's migration; the merge puts the two in order.
    Migration{5, "tsa serials", kTsaTables},
};

}  // namespace

std::span<const Migration> sqlite_migrations() noexcept {
    return kMigrations;
}

}  // namespace inkan::storage
