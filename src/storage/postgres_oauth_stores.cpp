// service::OAuthClientStore and service::OAuthGrantStore on PostgreSQL.
//
// The steps of a browser authorization, a PAR request_uri, an authorization code and an account_token jti
// are each spent by ONE conditional statement (stage = $n, session_hash IS NULL, NOT used, ON CONFLICT DO
// NOTHING) whose row count decides: a second node racing on the same step waits for the first one's row
// lock, re-checks the condition on the committed row and changes nothing.

#include <inkan/storage/postgres_service_stores.h>

#include <utility>

#include "store_rules.h"

namespace inkan::storage {

namespace {

using service::AuthorizationCodeRecord;
using service::CodeConsumption;
using service::OAuthClient;
using service::PendingAuthorization;
using service::PendingStage;

void bind_optional_blob(pg::Statement& s, ByteView value) {
    if (value.empty()) {
        s.bind_null();
    } else {
        s.bind_blob(value);
    }
}

void bind_optional_text(pg::Statement& s, std::string_view value) {
    if (value.empty()) {
        s.bind_null();
    } else {
        s.bind_text(value);
    }
}

constexpr std::string_view kPendingColumns =
    "id, session_hash, request_uri_hash, client_id, request, csrf_hash, user_id, stage, expires_at";

PendingAuthorization read_pending(const pg::Result& r, int row) {
    PendingAuthorization p;
    p.id = r.text(row, 0);
    p.session_hash = r.bytes(row, 1);
    p.request_uri_hash = r.bytes(row, 2);
    p.client_id = r.text(row, 3);
    p.request = r.text(row, 4);
    p.csrf_hash = r.bytes(row, 5);
    p.user_id = r.text(row, 6);
    p.stage = detail::pending_stage_from(r.text(row, 7));
    p.expires_at = r.time(row, 8);
    return p;
}

std::vector<std::string> client_strings(pg::Transaction& tx, std::string_view sql, std::string_view id) {
    const auto r = pg::Statement{tx, sql, "read client"}.bind_text(id).run();
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back(r.text(i, 0));
    }
    return out;
}

constexpr std::string_view kClientColumns = "id, name, confidential, secret_hash, created_at, removed_at";

OAuthClient read_client(pg::Transaction& tx, const pg::Result& r, int row) {
    OAuthClient c;
    c.id = r.text(row, 0);
    c.name = r.text(row, 1);
    c.confidential = r.boolean(row, 2);
    c.secret_hash = r.bytes(row, 3);
    c.created_at = r.time(row, 4);
    c.removed = !r.is_null(row, 5);
    c.redirect_uris =
        client_strings(tx, "SELECT uri FROM oauth_redirect_uris WHERE client_id = $1 ORDER BY ordinal", c.id);
    c.seal_credentials = client_strings(tx,
                                        "SELECT credential_id FROM oauth_client_seals WHERE client_id = $1 "
                                        "ORDER BY credential_id COLLATE \"C\"",
                                        c.id);
    return c;
}

}  // namespace

// ---- clients -------------------------------------------------------------------------------

PostgresOAuthClientStore::PostgresOAuthClientStore(std::shared_ptr<pg::Pool> pool) : m_pool{std::move(pool)} {
    require(m_pool != nullptr, Errc::Internal, "PostgresOAuthClientStore: no database");
}

void PostgresOAuthClientStore::create(const OAuthClient& client) {
    require(!client.id.empty() && !client.name.empty(), Errc::InvalidRequest,
            "create client: empty id or name");
    require(client.confidential == !client.secret_hash.empty(), Errc::InvalidRequest,
            "create client: a confidential client has a secret, a public one none");
    require(client.confidential || client.seal_credentials.empty(), Errc::InvalidRequest,
            "create client: only a confidential client may use seals");
    constexpr std::string_view purpose = "create client";
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, purpose};
    for (const auto& credential : client.seal_credentials) {
        const auto kind = pg::Statement{tx, "SELECT kind FROM credentials WHERE id = $1", purpose}
                              .bind_text(credential)
                              .run();
        if (kind.rows() == 0) {
            throw Error{Errc::NotFound, "create client: no credential " + credential};
        }
        if (kind.text(0, 0) != "seal") {
            throw Error{Errc::InvalidRequest, "create client: credential " + credential + " is not a seal"};
        }
    }
    pg::Statement insert{tx,
                         "INSERT INTO oauth_clients (id, name, confidential, secret_hash, created_at) "
                         "VALUES ($1, $2, $3, $4, $5)",
                         purpose};
    insert.bind_text(client.id).bind_text(client.name).bind_bool(client.confidential);
    bind_optional_blob(insert, client.secret_hash);
    insert.bind_time(client.created_at).run();
    std::int64_t ordinal = 0;
    for (const auto& u : client.redirect_uris) {
        pg::Statement{tx, "INSERT INTO oauth_redirect_uris (client_id, ordinal, uri) VALUES ($1, $2, $3)",
                      purpose}
            .bind_text(client.id)
            .bind_int64(ordinal++)
            .bind_text(u)
            .run();
    }
    for (const auto& credential : client.seal_credentials) {
        pg::Statement{tx,
                      "INSERT INTO oauth_client_seals (client_id, credential_id) VALUES ($1, $2) "
                      "ON CONFLICT DO NOTHING",
                      purpose}
            .bind_text(client.id)
            .bind_text(credential)
            .run();
    }
    tx.commit();
}

std::optional<OAuthClient> PostgresOAuthClientStore::find(std::string_view id) const {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Read, "find client"};
    const auto r =
        pg::Statement{tx, "SELECT " + std::string{kClientColumns} + " FROM oauth_clients WHERE id = $1",
                      "find client"}
            .bind_text(id)
            .run();
    if (r.rows() == 0) {
        return std::nullopt;
    }
    return read_client(tx, r, 0);
}

std::vector<OAuthClient> PostgresOAuthClientStore::list() const {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Read, "list clients"};
    const auto r =
        pg::Statement{tx,
                      "SELECT " + std::string{kClientColumns} +
                          " FROM oauth_clients WHERE removed_at IS NULL ORDER BY name COLLATE \"C\"",
                      "list clients"}
            .run();
    std::vector<OAuthClient> out;
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back(read_client(tx, r, i));
    }
    return out;
}

bool PostgresOAuthClientStore::remove(std::string_view id, TimePoint at) {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "remove client"};
    const bool removed =
        pg::Statement{tx, "UPDATE oauth_clients SET removed_at = $2 WHERE id = $1 AND removed_at IS NULL",
                      "remove client"}
            .bind_text(id)
            .bind_time(at)
            .run()
            .affected() == 1;
    tx.commit();
    return removed;
}

// ---- grants --------------------------------------------------------------------------------

PostgresOAuthGrantStore::PostgresOAuthGrantStore(std::shared_ptr<pg::Pool> pool) : m_pool{std::move(pool)} {
    require(m_pool != nullptr, Errc::Internal, "PostgresOAuthGrantStore: no database");
}

void PostgresOAuthGrantStore::insert_pending(const PendingAuthorization& p) {
    require(!p.id.empty() && (!p.session_hash.empty() || !p.request_uri_hash.empty()), Errc::InvalidRequest,
            "insert authorization: no id, or neither a session nor a request_uri");
    constexpr std::string_view purpose = "insert authorization";
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, purpose};
    if (pg::Statement{tx, "SELECT 1 FROM oauth_clients WHERE id = $1", purpose}
            .bind_text(p.client_id)
            .run()
            .rows() == 0) {
        throw Error{Errc::NotFound, "insert authorization: no client " + p.client_id};
    }
    pg::Statement insert{tx,
                         "INSERT INTO oauth_pending (id, session_hash, request_uri_hash, client_id, request, "
                         "csrf_hash, user_id, stage, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                         purpose};
    insert.bind_text(p.id);
    bind_optional_blob(insert, p.session_hash);
    bind_optional_blob(insert, p.request_uri_hash);
    insert.bind_text(p.client_id).bind_text(p.request);
    bind_optional_blob(insert, p.csrf_hash);
    bind_optional_text(insert, p.user_id);
    insert.bind_text(service::name(p.stage)).bind_time(p.expires_at).run();
    tx.commit();
}

std::optional<PendingAuthorization> PostgresOAuthGrantStore::find_pending(ByteView session_hash,
                                                                          TimePoint now) const {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Read, "find authorization"};
    const auto r = pg::Statement{tx,
                                 "SELECT " + std::string{kPendingColumns} +
                                     " FROM oauth_pending WHERE session_hash = $1 AND expires_at > $2",
                                 "find authorization"}
                       .bind_blob(session_hash)
                       .bind_time(now)
                       .run();
    if (r.rows() == 0) {
        return std::nullopt;
    }
    return read_pending(r, 0);
}

std::optional<PendingAuthorization> PostgresOAuthGrantStore::open_pushed(ByteView request_uri_hash,
                                                                         std::string_view client_id,
                                                                         ByteView session_hash,
                                                                         ByteView csrf_hash, TimePoint now,
                                                                         TimePoint expires_at) {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "open pushed authorization"};
    const auto r =
        pg::Statement{
            tx,
            "UPDATE oauth_pending SET session_hash = $3, csrf_hash = $4, stage = 'login', expires_at = $6 "
            "WHERE request_uri_hash = $1 AND client_id = $2 AND stage = 'pushed' AND session_hash IS NULL "
            "AND expires_at > $5 RETURNING " +
                std::string{kPendingColumns},
            "open pushed authorization"}
            .bind_blob(request_uri_hash)
            .bind_text(client_id)
            .bind_blob(session_hash)
            .bind_blob(csrf_hash)
            .bind_time(now)
            .bind_time(expires_at)
            .run();
    std::optional<PendingAuthorization> out;
    if (r.rows() > 0) {
        out = read_pending(r, 0);
    }
    tx.commit();
    return out;
}

bool PostgresOAuthGrantStore::advance(std::string_view id, PendingStage from, PendingStage to,
                                      std::string_view user_id, TimePoint now) {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "advance authorization"};
    pg::Statement q{tx,
                    "UPDATE oauth_pending SET stage = $3, user_id = COALESCE($4, user_id) "
                    "WHERE id = $1 AND stage = $2 AND expires_at > $5",
                    "advance authorization"};
    q.bind_text(id).bind_text(service::name(from)).bind_text(service::name(to));
    bind_optional_text(q, user_id);
    const bool moved = q.bind_time(now).run().affected() == 1;
    tx.commit();
    return moved;
}

bool PostgresOAuthGrantStore::remove_pending(std::string_view id) {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "end authorization"};
    const bool removed = pg::Statement{tx, "DELETE FROM oauth_pending WHERE id = $1", "end authorization"}
                             .bind_text(id)
                             .run()
                             .affected() == 1;
    tx.commit();
    return removed;
}

void PostgresOAuthGrantStore::insert_code(const AuthorizationCodeRecord& code) {
    require(!code.hash.empty() && !code.client_id.empty() && !code.user_id.empty(), Errc::InvalidRequest,
            "insert code: empty hash, client or user");
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "insert code"};
    pg::Statement{tx,
                  "INSERT INTO oauth_codes (hash, client_id, redirect_uri, user_id, grant_data, expires_at) "
                  "VALUES ($1, $2, $3, $4, $5, $6)",
                  "insert code"}
        .bind_blob(code.hash)
        .bind_text(code.client_id)
        .bind_text(code.redirect_uri)
        .bind_text(code.user_id)
        .bind_text(code.grant)
        .bind_time(code.expires_at)
        .run();
    tx.commit();
}

CodeConsumption PostgresOAuthGrantStore::consume_code(ByteView hash, TimePoint now) {
    constexpr std::string_view purpose = "consume code";
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, purpose};
    CodeConsumption out;
    // FOR UPDATE: a second exchange of the same code waits for the first and then reads it used.
    const auto read =
        pg::Statement{tx,
                      "SELECT client_id, redirect_uri, user_id, grant_data, expires_at, used, "
                      "issued_family, issued_sad_hash FROM oauth_codes WHERE hash = $1 FOR UPDATE",
                      purpose}
            .bind_blob(hash)
            .run();
    if (read.rows() == 0) {
        out.failure = service::CodeRefusal::Invalid;
        return out;
    }
    AuthorizationCodeRecord code;
    code.hash = to_bytes(hash);
    code.client_id = read.text(0, 0);
    code.redirect_uri = read.text(0, 1);
    code.user_id = read.text(0, 2);
    code.grant = read.text(0, 3);
    code.expires_at = read.time(0, 4);
    if (read.boolean(0, 5)) {
        out.failure = service::CodeRefusal::Used;
        out.issued_family = read.text(0, 6);
        out.issued_sad_hash = read.bytes(0, 7);
        return out;
    }
    // Spent even when expired: an expired code is never good again.
    if (pg::Statement{tx, "UPDATE oauth_codes SET used = TRUE WHERE hash = $1 AND NOT used", purpose}
            .bind_blob(hash)
            .run()
            .affected() != 1) {
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

void PostgresOAuthGrantStore::link_code(ByteView hash, std::string_view family_id, ByteView sad_hash) {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "link code"};
    pg::Statement update{
        tx, "UPDATE oauth_codes SET issued_family = $2, issued_sad_hash = $3 WHERE hash = $1", "link code"};
    update.bind_blob(hash).bind_text(family_id);
    bind_optional_blob(update, sad_hash);
    update.run();
    tx.commit();
}

bool PostgresOAuthGrantStore::remember_account_token(std::string_view client_id, std::string_view jti,
                                                     TimePoint now, TimePoint expires_at) {
    constexpr std::string_view purpose = "remember account_token";
    require(!client_id.empty() && !jti.empty(), Errc::InvalidRequest,
            "account_token record: empty client or jti");
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, purpose};
    pg::Statement{tx, "DELETE FROM oauth_account_tokens WHERE expires_at < $1", purpose}.bind_time(now).run();
    // The primary key decides between two nodes racing with the same jti: exactly one insert lands (the
    // other waits for it to commit, then does nothing).
    if (pg::Statement{tx,
                      "INSERT INTO oauth_account_tokens (client_id, jti, expires_at) VALUES ($1, $2, $3) "
                      "ON CONFLICT (client_id, jti) DO NOTHING",
                      purpose}
            .bind_text(client_id)
            .bind_text(jti)
            .bind_time(expires_at)
            .run()
            .affected() != 1) {
        return false;  // rolled back: the purge of others' rows can wait for the next call
    }
    tx.commit();
    return true;
}

std::size_t PostgresOAuthGrantStore::purge_expired(TimePoint before) {
    constexpr std::string_view purpose = "purge authorizations";
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, purpose};
    std::int64_t removed = 0;
    for (const char* sql :
         {"DELETE FROM oauth_pending WHERE expires_at < $1", "DELETE FROM oauth_codes WHERE expires_at < $1",
          "DELETE FROM oauth_account_tokens WHERE expires_at < $1"}) {
        removed += pg::Statement{tx, sql, purpose}.bind_time(before).run().affected();
    }
    tx.commit();
    return static_cast<std::size_t>(removed);
}

}  // namespace inkan::storage
