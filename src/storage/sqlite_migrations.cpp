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

// 4: OAuth 2.0 (issue 6). A system client (client_credentials) is a token's and a SAD's subject
// without a user, so tokens.user_id and sads.user_id become nullable (NULL = the client is the
// subject; then client_id must name it). SQLite cannot drop NOT NULL in place: both tables are
// rebuilt. DROP TABLE runs an implicit DELETE that fires ON DELETE CASCADE even here (foreign_keys
// cannot be switched off inside the migration's transaction), so sad_hashes is rebuilt first,
// pointing at sads_new; RENAME then rewrites that reference to sads (legacy_alter_table is off).
// oauth_clients: secret_hash is SHA-256 of a 256-bit random secret (confidential clients only);
// a removed client keeps its row (audit rows name it) and frees its name. oauth_pending holds a
// browser authorization between its steps (and PAR requests before the browser arrives); every
// secret in it (cookie, request_uri, CSRF token) is stored as SHA-256. oauth_codes: authorization
// codes, hashed, single use (used flips 0 -> 1 once).
constexpr std::string_view kOAuthTables = R"sql(
CREATE TABLE tokens_new (
    id         TEXT    PRIMARY KEY,
    hash       BLOB    NOT NULL UNIQUE,
    kind       TEXT    NOT NULL CHECK (kind IN ('access', 'refresh')),
    user_id    TEXT    REFERENCES users (id),
    client_id  TEXT    NOT NULL DEFAULT '',
    refresh_id TEXT    REFERENCES tokens_new (id) ON DELETE CASCADE,
    issued_at  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
    CHECK (refresh_id IS NULL OR kind = 'access'),
    CHECK (user_id IS NOT NULL OR client_id <> '')
);
INSERT INTO tokens_new (id, hash, kind, user_id, client_id, refresh_id, issued_at, expires_at, revoked)
    SELECT id, hash, kind, user_id, client_id, refresh_id, issued_at, expires_at, revoked FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_new RENAME TO tokens;
CREATE INDEX tokens_by_grant ON tokens (refresh_id) WHERE refresh_id IS NOT NULL;
CREATE INDEX tokens_by_expiry ON tokens (expires_at);

CREATE TABLE sads_new (
    id            TEXT    PRIMARY KEY,
    handle_hash   BLOB    NOT NULL UNIQUE,
    user_id       TEXT    REFERENCES users (id),
    client_id     TEXT    NOT NULL DEFAULT '',
    credential_id TEXT    NOT NULL REFERENCES credentials (id),
    member_id     TEXT    NOT NULL DEFAULT '',
    scal          INTEGER NOT NULL CHECK (scal IN (1, 2)),
    remaining     INTEGER NOT NULL CHECK (remaining >= 0),
    expires_at    INTEGER NOT NULL,
    retired       INTEGER NOT NULL DEFAULT 0 CHECK (retired IN (0, 1)),
    CHECK (user_id IS NOT NULL OR client_id <> '')
);
INSERT INTO sads_new SELECT id, handle_hash, user_id, client_id, credential_id, member_id, scal, remaining,
    expires_at, retired FROM sads;
CREATE TABLE sad_hashes_new (
    sad_id   TEXT    NOT NULL REFERENCES sads_new (id) ON DELETE CASCADE,
    ordinal  INTEGER NOT NULL,
    alg_oid  TEXT    NOT NULL,
    value    BLOB    NOT NULL,
    consumed INTEGER NOT NULL DEFAULT 0 CHECK (consumed IN (0, 1)),
    PRIMARY KEY (sad_id, ordinal)
);
INSERT INTO sad_hashes_new SELECT sad_id, ordinal, alg_oid, value, consumed FROM sad_hashes;
DROP TABLE sad_hashes;
DROP TABLE sads;
ALTER TABLE sads_new RENAME TO sads;
ALTER TABLE sad_hashes_new RENAME TO sad_hashes;
CREATE INDEX sads_by_expiry ON sads (expires_at);

CREATE TABLE oauth_clients (
    id           TEXT    PRIMARY KEY,
    name         TEXT    NOT NULL,
    confidential INTEGER NOT NULL CHECK (confidential IN (0, 1)),
    secret_hash  BLOB,
    created_at   INTEGER NOT NULL,
    removed_at   INTEGER,
    CHECK ((confidential = 1) = (secret_hash IS NOT NULL))
);
CREATE UNIQUE INDEX oauth_clients_by_name ON oauth_clients (name) WHERE removed_at IS NULL;
CREATE TABLE oauth_redirect_uris (
    client_id TEXT    NOT NULL REFERENCES oauth_clients (id),
    ordinal   INTEGER NOT NULL,
    uri       TEXT    NOT NULL,
    PRIMARY KEY (client_id, ordinal)
);
CREATE TABLE oauth_client_seals (
    client_id     TEXT NOT NULL REFERENCES oauth_clients (id),
    credential_id TEXT NOT NULL REFERENCES credentials (id),
    PRIMARY KEY (client_id, credential_id)
);
CREATE TABLE oauth_pending (
    id               TEXT    PRIMARY KEY,
    session_hash     BLOB    UNIQUE,
    request_uri_hash BLOB    UNIQUE,
    client_id        TEXT    NOT NULL REFERENCES oauth_clients (id),
    request          TEXT    NOT NULL,
    csrf_hash        BLOB,
    user_id          TEXT    REFERENCES users (id),
    stage            TEXT    NOT NULL CHECK (stage IN ('pushed', 'login', 'otp', 'consent')),
    expires_at       INTEGER NOT NULL,
    CHECK (session_hash IS NOT NULL OR request_uri_hash IS NOT NULL)
);
CREATE INDEX oauth_pending_by_expiry ON oauth_pending (expires_at);
CREATE TABLE oauth_codes (
    hash         BLOB    PRIMARY KEY,
    client_id    TEXT    NOT NULL REFERENCES oauth_clients (id),
    redirect_uri TEXT    NOT NULL,
    user_id      TEXT    NOT NULL REFERENCES users (id),
    grant_data   TEXT    NOT NULL,
    expires_at   INTEGER NOT NULL,
    used         INTEGER NOT NULL DEFAULT 0 CHECK (used IN (0, 1))
);
CREATE INDEX oauth_codes_by_expiry ON oauth_codes (expires_at);
)sql";

// 5: the TSA's serial counter (tsp::SerialSource). One row per counter; a node reserves a block of
// serials by moving `next` forward inside BEGIN IMMEDIATE, so nodes sharing the database never collide.
constexpr std::string_view kTsaTables = R"sql(
CREATE TABLE tsa_serials (
    name TEXT    PRIMARY KEY,
    next INTEGER NOT NULL CHECK (next >= 1)
);
)sql";

// 6: a credential's CSC authorization mode (v1 §11.5 authMode, v2 auth.mode): 'explicit' (PIN and
// OTP through credentials/authorize) or 'oauth2code' (only a credential-scope token of the OAuth 2.0
// authorization-code flow). Existing credentials keep what they had: explicit.
constexpr std::string_view kCredentialAuthMode = R"sql(
ALTER TABLE credentials ADD COLUMN auth_mode TEXT NOT NULL DEFAULT 'explicit'
    CHECK (auth_mode IN ('explicit', 'oauth2code'));
)sql";

// 7: account_token replay (CSC v1 §8.3.1: the jti claim is single use). One row per (client, jti), kept
// until the token could no longer pass the age check; a row's presence refuses the token on every node
// sharing the database.
constexpr std::string_view kAccountTokens = R"sql(
CREATE TABLE oauth_account_tokens (
    client_id  TEXT    NOT NULL,
    jti        TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX oauth_account_tokens_by_expiry ON oauth_account_tokens (expires_at);
)sql";

// 8: a credential's CSC v2 signatureQualifier (csc-api.md signDoc values). Existing credentials get
// the default by kind (service::default_signature_qualifier): advanced, never qualified, since only the
// operator can state that a certificate is qualified.
constexpr std::string_view kCredentialSignatureQualifier = R"sql(
ALTER TABLE credentials ADD COLUMN signature_qualifier TEXT;
UPDATE credentials SET signature_qualifier = CASE kind WHEN 'seal' THEN 'eu_eidas_aeseal' ELSE 'eu_eidas_aes' END;
)sql";

// 9: password guessing (sole-control issue §4/§5): per account, the failures counted since the last
// right password and when the lock began (the count reached the maximum). Counted before the slow
// argon2id check in one UPDATE, so every node sharing the database sees one counter and a restart
// does not forget it. NULL: not locked.
constexpr std::string_view kPasswordFailures = R"sql(
ALTER TABLE users ADD COLUMN password_failures INTEGER NOT NULL DEFAULT 0 CHECK (password_failures >= 0);
ALTER TABLE users ADD COLUMN password_locked_at INTEGER;
)sql";

// 10: anchors of the audit chain (service::AuditAnchorStore, decision 0017): the head entry's seq and
// hash as they were when inkan's TSA time-stamped them, and the TimeStampToken (DER). AUTOINCREMENT so
// that an id is never reused: a deleted newest anchor leaves a gap the next one shows.
constexpr std::string_view kAuditAnchors = R"sql(
CREATE TABLE audit_anchors (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    seq       INTEGER NOT NULL CHECK (seq >= 1),
    head_hash BLOB    NOT NULL CHECK (length(head_hash) = 32),
    at        INTEGER NOT NULL,
    token     BLOB    NOT NULL
);
)sql";

// 11: the SAD's origin (only an OAuth credential token is accepted as a Bearer; a SAD from
// credentials/authorize is not) and the original authorisation's hard limit, past which
// credentials/extendTransaction cannot carry it. Existing rows: 'authorize' (the safe side: an old
// credential token stops working as a Bearer, it lives an hour at most) and their own expiry.
constexpr std::string_view kSadOriginAndHardLimit = R"sql(
ALTER TABLE sads ADD COLUMN origin TEXT NOT NULL DEFAULT 'authorize' CHECK (origin IN ('authorize', 'oauth2'));
ALTER TABLE sads ADD COLUMN hard_expires_at INTEGER;
UPDATE sads SET hard_expires_at = expires_at;
)sql";

// 12: token families and what an authorization code issued (issue 24). tokens.family_id: every
// token descending from one grant, so a replayed, already-rotated refresh token revokes them all
// (RFC 9700 §4.14.2); '' for older tokens (no family: a replay of one is only refused).
// oauth_codes.issued_family / issued_sad_hash: what the first exchange of the code issued, so a second
// exchange revokes it (RFC 6749 §4.1.2).
constexpr std::string_view kTokenFamilies = R"sql(
ALTER TABLE tokens ADD COLUMN family_id TEXT NOT NULL DEFAULT '';
CREATE INDEX tokens_by_family ON tokens (family_id) WHERE family_id <> '';
ALTER TABLE oauth_codes ADD COLUMN issued_family TEXT NOT NULL DEFAULT '';
ALTER TABLE oauth_codes ADD COLUMN issued_sad_hash BLOB;
)sql";

// 15: asynchronous operations (CSC v2 operationMode "A", decision 0033). id_hash: SHA-256 of the
// responseID; the caller that started it (user and client) is the only one that may poll it. body: the
// answer the synchronous call would have given (JSON, with signatures or signed documents), once
// finished. Times in unix milliseconds (validity_period is in ms). Rows past expires_at are purged
// when the next operation is recorded.
constexpr std::string_view kAsyncOperations = R"sql(
CREATE TABLE async_operations (
    id_hash     BLOB    PRIMARY KEY CHECK (length(id_hash) = 32),
    user_id     TEXT    NOT NULL,
    client_id   TEXT    NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    http_status INTEGER,
    body        BLOB,
    created_ms  INTEGER NOT NULL,
    expires_ms  INTEGER NOT NULL,
    validity_ms INTEGER NOT NULL CHECK (validity_ms > 0),
    CHECK ((status = 'pending') = (http_status IS NULL))
);
CREATE INDEX async_operations_by_expiry ON async_operations (expires_ms);
)sql";

// 14: out-of-band credential authorization (decision 0034): one row per credentials/authorize answered
// 202.
// The handle (client), the page reference (URL) and the page session (cookie) are kept as SHA-256 only.
// Self-contained (no foreign keys): a row outlives nothing, it expires within minutes and is purged when
// the next one is recorded.
constexpr std::string_view kOobAuthorizations = R"sql(
CREATE TABLE oob_authorizations (
    id            TEXT    PRIMARY KEY,
    handle_hash   BLOB    NOT NULL UNIQUE CHECK (length(handle_hash) = 32),
    ref_hash      BLOB    NOT NULL UNIQUE CHECK (length(ref_hash) = 32),
    user_id       TEXT    NOT NULL CHECK (user_id <> ''),
    client_id     TEXT    NOT NULL,
    credential_id TEXT    NOT NULL,
    request       TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'declined', 'delivered')),
    pin_verified  INTEGER NOT NULL DEFAULT 0 CHECK (pin_verified IN (0, 1)),
    stage         TEXT    NOT NULL DEFAULT 'login' CHECK (stage IN ('login', 'otp', 'decide')),
    session_hash  BLOB    UNIQUE CHECK (session_hash IS NULL OR length(session_hash) = 32),
    csrf_hash     BLOB,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);
CREATE INDEX oob_authorizations_by_expiry ON oob_authorizations (expires_at);
)sql";

// 15: checkpoints of archived audit entries (service::AuditArchiveStore, decision 0036). `inkan audit
// archive` moves a closed range of the oldest entries into a signed, time-stamped file and keeps one row per
// archive: the seq range and count, the first entry's prev_hash and the last entry's hash (the chain resumes
// from it), the archive file's SHA-256, and `seal`: a CAdES-B-T by the service's seal over the row's
// canonical bytes, so a row cannot be forged or edited without the seal key. AUTOINCREMENT: a deleted newest
// checkpoint leaves a gap.
constexpr std::string_view kAuditCheckpoints = R"sql(
CREATE TABLE audit_checkpoints (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    first_seq      INTEGER NOT NULL CHECK (first_seq >= 1),
    last_seq       INTEGER NOT NULL,
    count          INTEGER NOT NULL,
    prev_hash      BLOB    NOT NULL CHECK (length(prev_hash) = 32),
    last_hash      BLOB    NOT NULL CHECK (length(last_hash) = 32),
    archive_sha256 BLOB    NOT NULL CHECK (length(archive_sha256) = 32),
    archive_name   TEXT    NOT NULL,
    before_at      INTEGER NOT NULL,
    archived_at    INTEGER NOT NULL,
    seal           BLOB    NOT NULL,
    CHECK (last_seq >= first_seq AND count = last_seq - first_seq + 1)
);
)sql";

// 16: credential renewal (issue 26, decision 0037). A renewal makes a new credential (new ID, new key, new
// certificate) and keeps the old row, key and certificate; this table links the two, one renewal per old
// credential.
constexpr std::string_view kCredentialRenewals = R"sql(
CREATE TABLE credential_renewals (
    old_id     TEXT    PRIMARY KEY REFERENCES credentials (id),
    new_id     TEXT    NOT NULL UNIQUE REFERENCES credentials (id),
    renewed_at INTEGER NOT NULL,
    CHECK (old_id <> new_id)
);
)sql";

// 17: the operator console (issue 18, decision 0041). Its sessions: the browser holds the secret, this
// table its SHA-256, the account, when it began (absolute timeout) and when it was last used (idle
// timeout). And the audit log's search: one index per filtered column, so a page of a search (keyset on
// seq, newest first) walks an index instead of the table. seq is the rowid, so each of these indexes is
// ordered by (column, seq) and `column = ? AND seq < ? ORDER BY seq DESC` reads only the page.
constexpr std::string_view kConsole = R"sql(
CREATE TABLE console_sessions (
    id         TEXT    PRIMARY KEY,
    token_hash BLOB    NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    user_id    TEXT    NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX audit_log_by_user ON audit_log (user_id);
CREATE INDEX audit_log_by_member ON audit_log (member_id);
CREATE INDEX audit_log_by_credential ON audit_log (credential_id);
CREATE INDEX audit_log_by_client ON audit_log (client_id);
CREATE INDEX audit_log_by_action ON audit_log (action);
CREATE INDEX audit_log_by_operator ON audit_log (operator_name);
)sql";

constexpr std::array kMigrations{
    Migration{1, "ca tables", kCaTables},
    Migration{2, "service tables", kServiceTables},
    Migration{3, "sole control tables", kSoleControlTables},
    Migration{4, "oauth2", kOAuthTables},
    Migration{5, "tsa serials", kTsaTables},
    Migration{6, "credential auth mode", kCredentialAuthMode},
    Migration{7, "oauth2 account_token replay", kAccountTokens},
    Migration{8, "credential signature qualifier", kCredentialSignatureQualifier},
    Migration{9, "password failures", kPasswordFailures},
    Migration{10, "audit anchors", kAuditAnchors},
    Migration{11, "sad origin and hard limit", kSadOriginAndHardLimit},
    Migration{12, "token families", kTokenFamilies},
    Migration{13, "async operations", kAsyncOperations},
    Migration{14, "oob authorizations", kOobAuthorizations},
    Migration{15, "audit checkpoints", kAuditCheckpoints},
    Migration{16, "credential renewals", kCredentialRenewals},
    Migration{17, "operator console", kConsole},
};

}  // namespace

std::span<const Migration> sqlite_migrations() noexcept {
    return kMigrations;
}

}  // namespace inkan::storage
