// service::TokenStore on PostgreSQL (table tokens; postgres_migrations.cpp).

#include <inkan/storage/postgres_service_stores.h>

#include <utility>

namespace inkan::storage {

namespace {

using service::TokenKind;
using service::TokenRecord;

std::string_view kind_name(TokenKind kind) {
    return kind == TokenKind::Refresh ? "refresh" : "access";
}

}  // namespace

PostgresTokenStore::PostgresTokenStore(std::shared_ptr<pg::Pool> pool) : m_pool{std::move(pool)} {
    require(m_pool != nullptr, Errc::Internal, "PostgresTokenStore: no database");
}

void PostgresTokenStore::insert(const TokenRecord& token) {
    require(!token.id.empty() && !token.hash.empty() && (!token.user_id.empty() || !token.client_id.empty()),
            Errc::InvalidRequest, "insert token: empty id or hash, or neither user nor client");
    require(token.refresh_id.empty() || token.kind == TokenKind::Access, Errc::InvalidRequest,
            "insert token: only access tokens belong to a refresh token's grant");
    constexpr std::string_view purpose = "insert token";
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, purpose};
    if (!token.user_id.empty() && pg::Statement{tx, "SELECT 1 FROM users WHERE id = $1", purpose}
                                          .bind_text(token.user_id)
                                          .run()
                                          .rows() == 0) {
        throw Error{Errc::NotFound, "insert token: no user " + token.user_id};
    }
    // FOR SHARE: the grant cannot be deleted (purged) between this check and the insert.
    if (!token.refresh_id.empty() &&
        pg::Statement{tx, "SELECT 1 FROM tokens WHERE id = $1 AND kind = 'refresh' FOR SHARE", purpose}
                .bind_text(token.refresh_id)
                .run()
                .rows() == 0) {
        throw Error{Errc::NotFound, "insert token: no refresh token " + token.refresh_id};
    }
    // UNIQUE id and hash: SQLSTATE 23505, i.e. Errc::Conflict.
    pg::Statement insert{
        tx,
        "INSERT INTO tokens (id, hash, kind, user_id, client_id, refresh_id, issued_at, expires_at, "
        "revoked, family_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        purpose};
    insert.bind_text(token.id).bind_blob(token.hash).bind_text(kind_name(token.kind));
    // NULL user: a system client's token, its subject the client.
    if (token.user_id.empty()) {
        insert.bind_null();
    } else {
        insert.bind_text(token.user_id);
    }
    insert.bind_text(token.client_id);
    if (token.refresh_id.empty()) {
        insert.bind_null();
    } else {
        insert.bind_text(token.refresh_id);
    }
    insert.bind_time(token.issued_at)
        .bind_time(token.expires_at)
        .bind_bool(token.revoked)
        .bind_text(token.family_id)
        .run();
    tx.commit();
}

std::optional<TokenRecord> PostgresTokenStore::find_by_hash(ByteView hash) const {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Read, "find token"};
    // An access token counts as revoked when its grant's refresh token is: one read, no window.
    const auto r =
        pg::Statement{
            tx,
            "SELECT t.id, t.hash, t.kind, t.user_id, t.client_id, t.refresh_id, t.issued_at, t.expires_at, "
            "t.revoked OR COALESCE(r.revoked, FALSE), t.family_id "
            "FROM tokens t LEFT JOIN tokens r ON r.id = t.refresh_id WHERE t.hash = $1",
            "find token"}
            .bind_blob(hash)
            .run();
    if (r.rows() == 0) {
        return std::nullopt;
    }
    TokenRecord record;
    record.id = r.text(0, 0);
    record.hash = r.bytes(0, 1);
    const std::string kind = r.text(0, 2);
    require(kind == "access" || kind == "refresh", Errc::StorageFailure,
            "postgresql: tokens.kind holds an unknown kind");
    record.kind = kind == "refresh" ? TokenKind::Refresh : TokenKind::Access;
    record.user_id = r.text(0, 3);
    record.client_id = r.text(0, 4);
    record.refresh_id = r.text(0, 5);
    record.issued_at = r.time(0, 6);
    record.expires_at = r.time(0, 7);
    record.revoked = r.boolean(0, 8);
    record.family_id = r.text(0, 9);
    return record;
}

bool PostgresTokenStore::revoke(std::string_view token_id) {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "revoke token"};
    // One statement for the token and, for a refresh token, every access token of its grant (RFC 7009
    // §2.1); a concurrent refresh either inserted before (and is revoked here) or sees the grant revoked
    // through find_by_hash's join.
    const auto r =
        pg::Statement{tx, "UPDATE tokens SET revoked = TRUE WHERE id = $1 OR refresh_id = $1 RETURNING id",
                      "revoke token"}
            .bind_text(token_id)
            .run();
    bool found = false;
    for (int i = 0; i < r.rows(); ++i) {
        found = found || r.text(i, 0) == token_id;
    }
    tx.commit();
    return found;
}

bool PostgresTokenStore::revoke_if_active(std::string_view token_id) {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "rotate token"};
    // The compare-and-set: only the caller that flips revoked false -> true wins; a concurrent one waits
    // for the row lock, re-checks the condition on the committed row and changes nothing.
    const bool won =
        pg::Statement{tx, "UPDATE tokens SET revoked = TRUE WHERE id = $1 AND NOT revoked", "rotate token"}
            .bind_text(token_id)
            .run()
            .affected() == 1;
    if (won) {
        pg::Statement{tx, "UPDATE tokens SET revoked = TRUE WHERE refresh_id = $1", "rotate token"}
            .bind_text(token_id)
            .run();
    }
    tx.commit();
    return won;
}

std::size_t PostgresTokenStore::revoke_family(std::string_view family_id) {
    if (family_id.empty()) {
        return 0;
    }
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "revoke token family"};
    const auto revoked =
        pg::Statement{tx, "UPDATE tokens SET revoked = TRUE WHERE family_id = $1 AND NOT revoked",
                      "revoke token family"}
            .bind_text(family_id)
            .run()
            .affected();
    tx.commit();
    return static_cast<std::size_t>(revoked);
}

std::size_t PostgresTokenStore::purge_expired(TimePoint before) {
    constexpr std::string_view purpose = "purge expired tokens";
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, purpose};
    // Access tokens first; then refresh tokens none of whose access tokens is left (so the foreign key's
    // cascade never removes anything unexpired, and the counts cover every row).
    auto removed = pg::Statement{tx, "DELETE FROM tokens WHERE kind = 'access' AND expires_at < $1", purpose}
                       .bind_time(before)
                       .run()
                       .affected();
    removed += pg::Statement{tx,
                             "DELETE FROM tokens WHERE kind = 'refresh' AND expires_at < $1 AND NOT EXISTS "
                             "(SELECT 1 FROM tokens a WHERE a.refresh_id = tokens.id)",
                             purpose}
                   .bind_time(before)
                   .run()
                   .affected();
    tx.commit();
    return static_cast<std::size_t>(removed);
}

}  // namespace inkan::storage
