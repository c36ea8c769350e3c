// service::TokenStore on SQLite (table tokens, migration 2).

#include <inkan/storage/sqlite_service_stores.h>

#include <utility>

namespace inkan::storage {

namespace {

using service::TokenKind;
using service::TokenRecord;

std::string_view kind_name(TokenKind kind) {
    return kind == TokenKind::Refresh ? "refresh" : "access";
}

}  // namespace

SqliteTokenStore::SqliteTokenStore(const std::filesystem::path& db_file)
    : m_db{std::make_shared<Database>(db_file)} {}

SqliteTokenStore::SqliteTokenStore(std::shared_ptr<Database> db) : m_db{std::move(db)} {
    require(m_db != nullptr, Errc::Internal, "SqliteTokenStore: no database");
}

void SqliteTokenStore::insert(const TokenRecord& token) {
    require(!token.id.empty() && !token.hash.empty() && (!token.user_id.empty() || !token.client_id.empty()),
            Errc::InvalidRequest, "insert token: empty id or hash, or neither user nor client");
    require(token.refresh_id.empty() || token.kind == TokenKind::Access, Errc::InvalidRequest,
            "insert token: only access tokens belong to a refresh token's grant");
    Transaction tx{*m_db, Transaction::Mode::Write, "insert token"};
    if (!token.user_id.empty()) {
        Statement user{*m_db, "SELECT 1 FROM users WHERE id = ?1", "insert token"};
        user.bind_text(1, token.user_id);
        if (!user.step()) {
            throw Error{Errc::NotFound, "insert token: no user " + token.user_id};
        }
    }
    if (!token.refresh_id.empty()) {
        Statement grant{*m_db, "SELECT 1 FROM tokens WHERE id = ?1 AND kind = 'refresh'", "insert token"};
        grant.bind_text(1, token.refresh_id);
        if (!grant.step()) {
            throw Error{Errc::NotFound, "insert token: no refresh token " + token.refresh_id};
        }
    }
    // UNIQUE id and hash: SQLITE_CONSTRAINT, i.e. Errc::Conflict.
    Statement insert{
        *m_db,
        "INSERT INTO tokens (id, hash, kind, user_id, client_id, refresh_id, issued_at, expires_at, "
        "revoked, family_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        "insert token"};
    insert.bind_text(1, token.id).bind_blob(2, token.hash).bind_text(3, kind_name(token.kind));
    // NULL user: a system client's token, its subject the client (migration 4).
    if (token.user_id.empty()) {
        insert.bind_null(4);
    } else {
        insert.bind_text(4, token.user_id);
    }
    insert.bind_text(5, token.client_id);
    if (token.refresh_id.empty()) {
        insert.bind_null(6);
    } else {
        insert.bind_text(6, token.refresh_id);
    }
    insert.bind_time(7, token.issued_at)
        .bind_time(8, token.expires_at)
        .bind_int64(9, token.revoked ? 1 : 0)
        .bind_text(10, token.family_id)
        .run();
    tx.commit();
}

std::optional<TokenRecord> SqliteTokenStore::find_by_hash(ByteView hash) const {
    Transaction tx{*m_db, Transaction::Mode::Read, "find token"};
    // An access token counts as revoked when its grant's refresh token is: one read, no window.
    Statement query{
        *m_db,
        "SELECT t.id, t.hash, t.kind, t.user_id, t.client_id, t.refresh_id, t.issued_at, t.expires_at, "
        "t.revoked <> 0 OR COALESCE(r.revoked, 0) <> 0, t.family_id "
        "FROM tokens t LEFT JOIN tokens r ON r.id = t.refresh_id WHERE t.hash = ?1",
        "find token"};
    query.bind_blob(1, hash);
    if (!query.step()) {
        return std::nullopt;
    }
    TokenRecord record;
    record.id = query.column_text(0);
    record.hash = query.column_blob(1);
    const std::string kind = query.column_text(2);
    require(kind == "access" || kind == "refresh", Errc::StorageFailure,
            "sqlite: tokens.kind holds an unknown kind");
    record.kind = kind == "refresh" ? TokenKind::Refresh : TokenKind::Access;
    record.user_id = query.column_text(3);
    record.client_id = query.column_text(4);
    record.refresh_id = query.column_text(5);
    record.issued_at = query.column_time(6);
    record.expires_at = query.column_time(7);
    record.revoked = query.column_int64(8) != 0;
    record.family_id = query.column_text(9);
    return record;
}

bool SqliteTokenStore::revoke(std::string_view token_id) {
    Transaction tx{*m_db, Transaction::Mode::Write, "revoke token"};
    // One statement for the token and, for a refresh token, every access token of its grant
    // (RFC 7009 §2.1); a concurrent refresh either inserted before (and is revoked here) or sees the
    // grant revoked through find_by_hash's join.
    Statement update{*m_db, "UPDATE tokens SET revoked = 1 WHERE id = ?1 OR refresh_id = ?1 RETURNING id",
                     "revoke token"};
    update.bind_text(1, token_id);
    bool found = false;
    while (update.step()) {
        found = found || update.column_text(0) == token_id;
    }
    tx.commit();
    return found;
}

bool SqliteTokenStore::revoke_if_active(std::string_view token_id) {
    Transaction tx{*m_db, Transaction::Mode::Write, "rotate token"};
    // The compare-and-set: only the caller that flips revoked 0 -> 1 wins.
    Statement update{*m_db, "UPDATE tokens SET revoked = 1 WHERE id = ?1 AND revoked = 0", "rotate token"};
    update.bind_text(1, token_id).run();
    const bool won = m_db->changes() == 1;
    if (won) {
        Statement grant{*m_db, "UPDATE tokens SET revoked = 1 WHERE refresh_id = ?1", "rotate token"};
        grant.bind_text(1, token_id).run();
    }
    tx.commit();
    return won;
}

std::size_t SqliteTokenStore::revoke_family(std::string_view family_id) {
    if (family_id.empty()) {
        return 0;
    }
    Transaction tx{*m_db, Transaction::Mode::Write, "revoke token family"};
    Statement update{*m_db, "UPDATE tokens SET revoked = 1 WHERE family_id = ?1 AND revoked = 0",
                     "revoke token family"};
    update.bind_text(1, family_id).run();
    const auto revoked = m_db->changes();
    tx.commit();
    return static_cast<std::size_t>(revoked);
}

std::size_t SqliteTokenStore::purge_expired(TimePoint before) {
    Transaction tx{*m_db, Transaction::Mode::Write, "purge expired tokens"};
    // Access tokens first; then refresh tokens none of whose access tokens is left (so the foreign
    // key's cascade never removes anything unexpired, and changes() counts every row).
    Statement access{*m_db, "DELETE FROM tokens WHERE kind = 'access' AND expires_at < ?1",
                     "purge expired tokens"};
    access.bind_time(1, before).run();
    auto removed = m_db->changes();
    Statement refresh{*m_db,
                      "DELETE FROM tokens WHERE kind = 'refresh' AND expires_at < ?1 AND NOT EXISTS "
                      "(SELECT 1 FROM tokens a WHERE a.refresh_id = tokens.id)",
                      "purge expired tokens"};
    refresh.bind_time(1, before).run();
    removed += m_db->changes();
    tx.commit();
    return static_cast<std::size_t>(removed);
}

}  // namespace inkan::storage
