// service::OAuthClientStore and service::OAuthGrantStore on SQLite (migration 4).
//
// The steps of a browser authorization, a PAR request_uri and an authorization code are each spent by
// ONE conditional statement (stage = ?, session_hash IS NULL, used = 0) whose change count decides, so
// two nodes racing on the same step cannot both win.

#include <inkan/storage/sqlite_service_stores.h>

#include <utility>

#include "store_rules.h"

namespace inkan::storage {

namespace {

using service::AuthorizationCodeRecord;
using service::CodeConsumption;
using service::OAuthClient;
using service::PendingAuthorization;
using service::PendingStage;

void bind_optional_blob(Statement& s, int index, ByteView value) {
    if (value.empty()) {
        s.bind_null(index);
    } else {
        s.bind_blob(index, value);
    }
}

void bind_optional_text(Statement& s, int index, std::string_view value) {
    if (value.empty()) {
        s.bind_null(index);
    } else {
        s.bind_text(index, value);
    }
}

constexpr std::string_view kPendingColumns =
    "id, session_hash, request_uri_hash, client_id, request, csrf_hash, user_id, stage, expires_at";

PendingAuthorization read_pending(const Statement& q) {
    PendingAuthorization p;
    p.id = q.column_text(0);
    p.session_hash = q.column_blob(1);
    p.request_uri_hash = q.column_blob(2);
    p.client_id = q.column_text(3);
    p.request = q.column_text(4);
    p.csrf_hash = q.column_blob(5);
    p.user_id = q.column_text(6);
    p.stage = detail::pending_stage_from(q.column_text(7));
    p.expires_at = q.column_time(8);
    return p;
}

std::vector<std::string> client_strings(Database& db, std::string_view sql, std::string_view id,
                                        std::string_view purpose) {
    Statement q{db, sql, purpose};
    q.bind_text(1, id);
    std::vector<std::string> out;
    while (q.step()) {
        out.push_back(q.column_text(0));
    }
    return out;
}

OAuthClient read_client(Database& db, const Statement& q) {
    OAuthClient c;
    c.id = q.column_text(0);
    c.name = q.column_text(1);
    c.confidential = q.column_int64(2) != 0;
    c.secret_hash = q.column_blob(3);
    c.created_at = q.column_time(4);
    c.removed = !q.column_is_null(5);
    c.redirect_uris = client_strings(
        db, "SELECT uri FROM oauth_redirect_uris WHERE client_id = ?1 ORDER BY ordinal", c.id, "read client");
    c.seal_credentials = client_strings(
        db, "SELECT credential_id FROM oauth_client_seals WHERE client_id = ?1 ORDER BY credential_id", c.id,
        "read client");
    return c;
}

}  // namespace

// ---- clients -------------------------------------------------------------------------------

SqliteOAuthClientStore::SqliteOAuthClientStore(std::shared_ptr<Database> db) : m_db{std::move(db)} {
    require(m_db != nullptr, Errc::Internal, "SqliteOAuthClientStore: no database");
}

void SqliteOAuthClientStore::create(const OAuthClient& client) {
    require(!client.id.empty() && !client.name.empty(), Errc::InvalidRequest,
            "create client: empty id or name");
    require(client.confidential == !client.secret_hash.empty(), Errc::InvalidRequest,
            "create client: a confidential client has a secret, a public one none");
    require(client.confidential || client.seal_credentials.empty(), Errc::InvalidRequest,
            "create client: only a confidential client may use seals");
    Transaction tx{*m_db, Transaction::Mode::Write, "create client"};
    for (const auto& credential : client.seal_credentials) {
        Statement kind{*m_db, "SELECT kind FROM credentials WHERE id = ?1", "create client"};
        kind.bind_text(1, credential);
        if (!kind.step()) {
            throw Error{Errc::NotFound, "create client: no credential " + credential};
        }
        if (kind.column_text(0) != "seal") {
            throw Error{Errc::InvalidRequest, "create client: credential " + credential + " is not a seal"};
        }
    }
    Statement insert{*m_db,
                     "INSERT INTO oauth_clients (id, name, confidential, secret_hash, created_at) "
                     "VALUES (?1, ?2, ?3, ?4, ?5)",
                     "create client"};
    insert.bind_text(1, client.id).bind_text(2, client.name).bind_int64(3, client.confidential ? 1 : 0);
    bind_optional_blob(insert, 4, client.secret_hash);
    insert.bind_time(5, client.created_at).run();
    Statement uri{*m_db, "INSERT INTO oauth_redirect_uris (client_id, ordinal, uri) VALUES (?1, ?2, ?3)",
                  "create client"};
    std::int64_t ordinal = 0;
    for (const auto& u : client.redirect_uris) {
        uri.reset();
        uri.bind_text(1, client.id).bind_int64(2, ordinal++).bind_text(3, u).run();
    }
    Statement seal{*m_db,
                   "INSERT OR IGNORE INTO oauth_client_seals (client_id, credential_id) VALUES (?1, ?2)",
                   "create client"};
    for (const auto& credential : client.seal_credentials) {
        seal.reset();
        seal.bind_text(1, client.id).bind_text(2, credential).run();
    }
    tx.commit();
}

std::optional<OAuthClient> SqliteOAuthClientStore::find(std::string_view id) const {
    Transaction tx{*m_db, Transaction::Mode::Read, "find client"};
    Statement q{*m_db,
                "SELECT id, name, confidential, secret_hash, created_at, removed_at FROM oauth_clients "
                "WHERE id = ?1",
                "find client"};
    q.bind_text(1, id);
    if (!q.step()) {
        return std::nullopt;
    }
    return read_client(*m_db, q);
}

std::vector<OAuthClient> SqliteOAuthClientStore::list() const {
    Transaction tx{*m_db, Transaction::Mode::Read, "list clients"};
    Statement q{*m_db,
                "SELECT id, name, confidential, secret_hash, created_at, removed_at FROM oauth_clients "
                "WHERE removed_at IS NULL ORDER BY name",
                "list clients"};
    std::vector<OAuthClient> out;
    while (q.step()) {
        out.push_back(read_client(*m_db, q));
    }
    return out;
}

bool SqliteOAuthClientStore::remove(std::string_view id, TimePoint at) {
    Transaction tx{*m_db, Transaction::Mode::Write, "remove client"};
    Statement q{*m_db, "UPDATE oauth_clients SET removed_at = ?2 WHERE id = ?1 AND removed_at IS NULL",
                "remove client"};
    q.bind_text(1, id).bind_time(2, at).run();
    const bool removed = m_db->changes() == 1;
    tx.commit();
    return removed;
}

// ---- grants --------------------------------------------------------------------------------

SqliteOAuthGrantStore::SqliteOAuthGrantStore(std::shared_ptr<Database> db) : m_db{std::move(db)} {
    require(m_db != nullptr, Errc::Internal, "SqliteOAuthGrantStore: no database");
}

void SqliteOAuthGrantStore::insert_pending(const PendingAuthorization& p) {
    require(!p.id.empty() && (!p.session_hash.empty() || !p.request_uri_hash.empty()), Errc::InvalidRequest,
            "insert authorization: no id, or neither a session nor a request_uri");
    Transaction tx{*m_db, Transaction::Mode::Write, "insert authorization"};
    {
        Statement client{*m_db, "SELECT 1 FROM oauth_clients WHERE id = ?1", "insert authorization"};
        client.bind_text(1, p.client_id);
        if (!client.step()) {
            throw Error{Errc::NotFound, "insert authorization: no client " + p.client_id};
        }
    }
    Statement insert{
        *m_db,
        "INSERT INTO oauth_pending (id, session_hash, request_uri_hash, client_id, request, csrf_hash, "
        "user_id, stage, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        "insert authorization"};
    insert.bind_text(1, p.id);
    bind_optional_blob(insert, 2, p.session_hash);
    bind_optional_blob(insert, 3, p.request_uri_hash);
    insert.bind_text(4, p.client_id).bind_text(5, p.request);
    bind_optional_blob(insert, 6, p.csrf_hash);
    bind_optional_text(insert, 7, p.user_id);
    insert.bind_text(8, service::name(p.stage)).bind_time(9, p.expires_at).run();
    tx.commit();
}

std::optional<PendingAuthorization> SqliteOAuthGrantStore::find_pending(ByteView session_hash,
                                                                        TimePoint now) const {
    Transaction tx{*m_db, Transaction::Mode::Read, "find authorization"};
    Statement q{*m_db,
                "SELECT " + std::string{kPendingColumns} +
                    " FROM oauth_pending WHERE session_hash = ?1 AND expires_at > ?2",
                "find authorization"};
    q.bind_blob(1, session_hash).bind_time(2, now);
    if (!q.step()) {
        return std::nullopt;
    }
    return read_pending(q);
}

std::optional<PendingAuthorization> SqliteOAuthGrantStore::open_pushed(ByteView request_uri_hash,
                                                                       std::string_view client_id,
                                                                       ByteView session_hash,
                                                                       ByteView csrf_hash, TimePoint now,
                                                                       TimePoint expires_at) {
    Transaction tx{*m_db, Transaction::Mode::Write, "open pushed authorization"};
    Statement q{
        *m_db,
        "UPDATE oauth_pending SET session_hash = ?3, csrf_hash = ?4, stage = 'login', expires_at = ?6 "
        "WHERE request_uri_hash = ?1 AND client_id = ?2 AND stage = 'pushed' AND session_hash IS NULL "
        "AND expires_at > ?5 RETURNING " +
            std::string{kPendingColumns},
        "open pushed authorization"};
    q.bind_blob(1, request_uri_hash)
        .bind_text(2, client_id)
        .bind_blob(3, session_hash)
        .bind_blob(4, csrf_hash)
        .bind_time(5, now)
        .bind_time(6, expires_at);
    std::optional<PendingAuthorization> out;
    if (q.step()) {
        out = read_pending(q);
        while (q.step()) {
        }
    }
    tx.commit();
    return out;
}

bool SqliteOAuthGrantStore::advance(std::string_view id, PendingStage from, PendingStage to,
                                    std::string_view user_id, TimePoint now) {
    Transaction tx{*m_db, Transaction::Mode::Write, "advance authorization"};
    Statement q{*m_db,
                "UPDATE oauth_pending SET stage = ?3, user_id = COALESCE(?4, user_id) "
                "WHERE id = ?1 AND stage = ?2 AND expires_at > ?5",
                "advance authorization"};
    q.bind_text(1, id).bind_text(2, service::name(from)).bind_text(3, service::name(to));
    bind_optional_text(q, 4, user_id);
    q.bind_time(5, now).run();
    const bool moved = m_db->changes() == 1;
    tx.commit();
    return moved;
}

bool SqliteOAuthGrantStore::remove_pending(std::string_view id) {
    Transaction tx{*m_db, Transaction::Mode::Write, "end authorization"};
    Statement q{*m_db, "DELETE FROM oauth_pending WHERE id = ?1", "end authorization"};
    q.bind_text(1, id).run();
    const bool removed = m_db->changes() == 1;
    tx.commit();
    return removed;
}

void SqliteOAuthGrantStore::insert_code(const AuthorizationCodeRecord& code) {
    require(!code.hash.empty() && !code.client_id.empty() && !code.user_id.empty(), Errc::InvalidRequest,
            "insert code: empty hash, client or user");
    Transaction tx{*m_db, Transaction::Mode::Write, "insert code"};
    Statement q{*m_db,
                "INSERT INTO oauth_codes (hash, client_id, redirect_uri, user_id, grant_data, expires_at) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                "insert code"};
    q.bind_blob(1, code.hash)
        .bind_text(2, code.client_id)
        .bind_text(3, code.redirect_uri)
        .bind_text(4, code.user_id)
        .bind_text(5, code.grant)
        .bind_time(6, code.expires_at)
        .run();
    tx.commit();
}

CodeConsumption SqliteOAuthGrantStore::consume_code(ByteView hash, TimePoint now) {
    Transaction tx{*m_db, Transaction::Mode::Write, "consume code"};
    CodeConsumption out;
    Statement read{*m_db,
                   "SELECT client_id, redirect_uri, user_id, grant_data, expires_at, used, issued_family, "
                   "issued_sad_hash FROM oauth_codes WHERE hash = ?1",
                   "consume code"};
    read.bind_blob(1, hash);
    if (!read.step()) {
        out.failure = service::CodeRefusal::Invalid;
        return out;
    }
    AuthorizationCodeRecord code;
    code.hash = to_bytes(hash);
    code.client_id = read.column_text(0);
    code.redirect_uri = read.column_text(1);
    code.user_id = read.column_text(2);
    code.grant = read.column_text(3);
    code.expires_at = read.column_time(4);
    const bool used = read.column_int64(5) != 0;
    if (used) {
        out.failure = service::CodeRefusal::Used;
        out.issued_family = read.column_text(6);
        out.issued_sad_hash = read.column_blob(7);
        return out;
    }
    // Spent even when expired: an expired code is never good again.
    Statement spend{*m_db, "UPDATE oauth_codes SET used = 1 WHERE hash = ?1 AND used = 0", "consume code"};
    spend.bind_blob(1, hash).run();
    if (m_db->changes() != 1) {
        out.failure = service::CodeRefusal::Used;
        return out;
    }
    tx.commit();
    if (to_unix_seconds(code.expires_at) <= to_unix_seconds(now)) {
        out.failure = service::CodeRefusal::Expired;
        return out;
    }
    out.code = std::move(code);
    return out;
}

void SqliteOAuthGrantStore::link_code(ByteView hash, std::string_view family_id, ByteView sad_hash) {
    Transaction tx{*m_db, Transaction::Mode::Write, "link code"};
    Statement update{*m_db, "UPDATE oauth_codes SET issued_family = ?2, issued_sad_hash = ?3 WHERE hash = ?1",
                     "link code"};
    update.bind_blob(1, hash).bind_text(2, family_id);
    if (sad_hash.empty()) {
        update.bind_null(3);
    } else {
        update.bind_blob(3, sad_hash);
    }
    update.run();
    tx.commit();
}

bool SqliteOAuthGrantStore::remember_account_token(std::string_view client_id, std::string_view jti,
                                                   TimePoint now, TimePoint expires_at) {
    constexpr std::string_view purpose = "remember account_token";
    require(!client_id.empty() && !jti.empty(), Errc::InvalidRequest,
            "account_token record: empty client or jti");
    Transaction tx{*m_db, Transaction::Mode::Write, purpose};
    Statement purge{*m_db, "DELETE FROM oauth_account_tokens WHERE expires_at < ?1", purpose};
    purge.bind_time(1, now).run();
    // The primary key decides between two nodes racing with the same jti: exactly one insert lands.
    Statement insert{*m_db,
                     "INSERT INTO oauth_account_tokens (client_id, jti, expires_at) VALUES (?1, ?2, ?3) "
                     "ON CONFLICT (client_id, jti) DO NOTHING",
                     purpose};
    insert.bind_text(1, client_id).bind_text(2, jti).bind_time(3, expires_at).run();
    if (m_db->changes() != 1) {
        return false;  // rolled back: the purge of others' rows can wait for the next call
    }
    tx.commit();
    return true;
}

std::size_t SqliteOAuthGrantStore::purge_expired(TimePoint before) {
    Transaction tx{*m_db, Transaction::Mode::Write, "purge authorizations"};
    Statement pending{*m_db, "DELETE FROM oauth_pending WHERE expires_at < ?1", "purge authorizations"};
    pending.bind_time(1, before).run();
    auto removed = m_db->changes();
    Statement codes{*m_db, "DELETE FROM oauth_codes WHERE expires_at < ?1", "purge authorizations"};
    codes.bind_time(1, before).run();
    removed += m_db->changes();
    Statement jtis{*m_db, "DELETE FROM oauth_account_tokens WHERE expires_at < ?1", "purge authorizations"};
    jtis.bind_time(1, before).run();
    removed += m_db->changes();
    tx.commit();
    return static_cast<std::size_t>(removed);
}

}  // namespace inkan::storage
