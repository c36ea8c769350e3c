// service::CredentialStore on SQLite (tables credentials and seal_members, migration 2; auth_mode, migration
// 6; signature_qualifier, migration 8; credential_renewals, migration 16).

#include <inkan/storage/sqlite_service_stores.h>

#include <limits>
#include <utility>

#include "store_rules.h"

namespace inkan::storage {

namespace {

using service::Credential;
using service::CredentialKind;
using service::CredentialStatus;
using service::SealMember;

using detail::credential_select;

int small_int(std::int64_t v, std::string_view column) {
    require(v >= 1 && v <= std::numeric_limits<int>::max(), Errc::StorageFailure,
            "sqlite: credentials." + std::string{column} + " is out of range");
    return static_cast<int>(v);
}

Credential read_credential(const Statement& row) {
    Credential c;
    c.id = row.column_text(0);
    const auto kind = service::credential_kind_from_name(row.column_text(1));
    require(kind.has_value(), Errc::StorageFailure, "sqlite: credentials.kind holds an unknown kind");
    c.kind = *kind;
    c.owner_user_id = row.column_text(2);
    c.organization = row.column_text(3);
    c.description = row.column_text(4);
    c.key_id = row.column_blob(5);
    c.key_algo = row.column_text(6);
    if (!row.column_is_null(7)) {
        c.chain = decode_chain(row.column_blob(7));
    }
    c.ca = row.column_text(8);
    c.profile = row.column_text(9);
    c.scal = small_int(row.column_int64(10), "scal");
    c.multisign = small_int(row.column_int64(11), "multisign");
    const auto status = service::credential_status_from_name(row.column_text(12));
    require(status.has_value(), Errc::StorageFailure, "sqlite: credentials.status holds an unknown status");
    c.status = *status;
    c.created_at = row.column_time(13);
    const auto mode = service::auth_mode_from_name(row.column_text(14));
    require(mode.has_value(), Errc::StorageFailure, "sqlite: credentials.auth_mode holds an unknown mode");
    c.auth_mode = *mode;
    // NULL only for a row written by a binary older than migration 8 after the migration ran.
    c.signature_qualifier = row.column_is_null(15) ? std::string{service::default_signature_qualifier(c.kind)}
                                                   : row.column_text(15);
    c.renewed_to = row.column_is_null(16) ? std::string{} : row.column_text(16);
    c.renewal_of = row.column_is_null(17) ? std::string{} : row.column_text(17);
    return c;
}

std::vector<Credential> read_all(Statement& query) {
    std::vector<Credential> out;
    while (query.step()) {
        out.push_back(read_credential(query));
    }
    return out;
}

void bind_chain(Statement& s, int index, const std::vector<Bytes>& chain) {
    if (chain.empty()) {
        s.bind_null(index);
    } else {
        s.bind_blob(index, encode_chain(chain));
    }
}

void insert_credential(Database& db, const Credential& c, std::string_view pin_hash);

bool exists(Database& db, std::string_view sql, std::string_view id, std::string_view purpose) {
    Statement query{db, sql, purpose};
    query.bind_text(1, id);
    return query.step();
}

}  // namespace

SqliteCredentialStore::SqliteCredentialStore(const std::filesystem::path& db_file)
    : m_db{std::make_shared<Database>(db_file)} {}

SqliteCredentialStore::SqliteCredentialStore(std::shared_ptr<Database> db) : m_db{std::move(db)} {
    require(m_db != nullptr, Errc::Internal, "SqliteCredentialStore: no database");
}

void SqliteCredentialStore::create(const Credential& c, std::string_view pin_hash) {
    require(!c.id.empty() && !c.key_id.empty(), Errc::InvalidRequest,
            "create credential: empty id or key id");
    if (c.kind == CredentialKind::Personal) {
        require(!c.owner_user_id.empty() && !pin_hash.empty(), Errc::InvalidRequest,
                "create credential: a personal credential needs an owner and a PIN hash");
    } else {
        require(c.owner_user_id.empty() && pin_hash.empty(), Errc::InvalidRequest,
                "create credential: a seal has neither owner nor PIN hash of its own");
    }
    Transaction tx{*m_db, Transaction::Mode::Write, "create credential"};
    if (c.kind == CredentialKind::Personal &&
        !exists(*m_db, "SELECT 1 FROM users WHERE id = ?1", c.owner_user_id, "create credential")) {
        throw Error{Errc::NotFound, "create credential: no user " + c.owner_user_id};
    }
    insert_credential(*m_db, c, pin_hash);
    tx.commit();
}

void SqliteCredentialStore::renew(std::string_view old_id, const Credential& c, TimePoint at) {
    require(!c.id.empty() && !c.key_id.empty() && c.id != old_id, Errc::InvalidRequest,
            "renew credential: empty or unchanged id, or empty key id");
    Transaction tx{*m_db, Transaction::Mode::Write, "renew credential"};
    Statement old{*m_db, "SELECT kind, owner_user_id, status, pin_hash FROM credentials WHERE id = ?1",
                  "renew credential"};
    old.bind_text(1, old_id);
    if (!old.step()) {
        throw Error{Errc::NotFound, "renew credential: no credential " + std::string{old_id}};
    }
    require(old.column_text(0) == service::name(c.kind) &&
                (c.kind == CredentialKind::Seal || old.column_text(1) == c.owner_user_id),
            Errc::InvalidRequest, "renew credential: the renewal must keep the kind and the owner");
    if (old.column_text(2) != service::name(CredentialStatus::Active)) {
        throw Error{Errc::Conflict, "credential " + std::string{old_id} + " is " + old.column_text(2) +
                                        ", not active: only an active credential is renewed"};
    }
    if (exists(*m_db, "SELECT 1 FROM credential_renewals WHERE old_id = ?1", old_id, "renew credential")) {
        throw Error{Errc::Conflict, "credential " + std::string{old_id} + " was renewed already"};
    }
    const std::string pin_hash = old.column_is_null(3) ? std::string{} : old.column_text(3);
    insert_credential(*m_db, c, pin_hash);
    // The same people activate the new credential with the same PINs, the same OAuth clients may seal
    // with it, and a PIN lockout does not end by renewing.
    for (const char* sql :
         {"INSERT INTO seal_members (credential_id, user_id, pin_hash, added_at) "
          "SELECT ?2, user_id, pin_hash, added_at FROM seal_members WHERE credential_id = ?1",
          "INSERT INTO oauth_client_seals (client_id, credential_id) "
          "SELECT client_id, ?2 FROM oauth_client_seals WHERE credential_id = ?1",
          "INSERT INTO pin_failures (credential_id, user_id, count) "
          "SELECT ?2, user_id, count FROM pin_failures WHERE credential_id = ?1",
          "UPDATE credentials SET status = 'disabled' WHERE id = ?1"}) {
        Statement s{*m_db, sql, "renew credential"};
        s.bind_text(1, old_id);
        if (std::string_view{sql}.find("?2") != std::string_view::npos) {
            s.bind_text(2, c.id);
        }
        s.run();
    }
    Statement link{*m_db, "INSERT INTO credential_renewals (old_id, new_id, renewed_at) VALUES (?1, ?2, ?3)",
                   "renew credential"};
    link.bind_text(1, old_id).bind_text(2, c.id).bind_time(3, at).run();
    tx.commit();
}

namespace {

void insert_credential(Database& db, const Credential& c, std::string_view pin_hash) {
    Statement insert{
        db,
        "INSERT INTO credentials (id, kind, owner_user_id, organization, description, key_id, "
        "key_algo, chain, ca, profile, scal, multisign, status, pin_hash, created_at, auth_mode, "
        "signature_qualifier) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        "create credential"};
    insert.bind_text(1, c.id).bind_text(2, service::name(c.kind));
    if (c.kind == CredentialKind::Personal) {
        insert.bind_text(3, c.owner_user_id).bind_text(14, pin_hash);
    } else {
        insert.bind_null(3).bind_null(14);
    }
    insert.bind_text(4, c.organization)
        .bind_text(5, c.description)
        .bind_blob(6, c.key_id)
        .bind_text(7, c.key_algo);
    bind_chain(insert, 8, c.chain);
    insert.bind_text(9, c.ca)
        .bind_text(10, c.profile)
        .bind_int64(11, c.scal)
        .bind_int64(12, c.multisign)
        .bind_text(13, service::name(c.status))
        .bind_time(15, c.created_at)
        .bind_text(16, service::name(c.auth_mode))
        .bind_text(17, c.signature_qualifier.empty() ? service::default_signature_qualifier(c.kind)
                                                     : std::string_view{c.signature_qualifier})
        .run();
}

}  // namespace

std::optional<Credential> SqliteCredentialStore::find(std::string_view id) const {
    Transaction tx{*m_db, Transaction::Mode::Read, "find credential"};
    Statement query{*m_db, credential_select("WHERE c.id = ?1"), "find credential"};
    query.bind_text(1, id);
    if (!query.step()) {
        return std::nullopt;
    }
    return read_credential(query);
}

std::vector<Credential> SqliteCredentialStore::list() const {
    Transaction tx{*m_db, Transaction::Mode::Read, "list credentials"};
    Statement query{*m_db, credential_select("ORDER BY c.created_at, c.rowid"), "list credentials"};
    return read_all(query);
}

std::vector<Credential> SqliteCredentialStore::list_for_user(std::string_view user_id) const {
    Transaction tx{*m_db, Transaction::Mode::Read, "list credentials of a user"};
    Statement query{*m_db,
                    credential_select(
                        "WHERE (c.kind = 'personal' AND c.owner_user_id = ?1) OR (c.kind = 'seal' AND EXISTS "
                        "(SELECT 1 FROM seal_members m WHERE m.credential_id = c.id AND m.user_id = ?1)) "
                        "ORDER BY c.created_at, c.rowid"),
                    "list credentials of a user"};
    query.bind_text(1, user_id);
    return read_all(query);
}

void SqliteCredentialStore::set_chain(std::string_view id, const std::vector<Bytes>& chain) {
    Transaction tx{*m_db, Transaction::Mode::Write, "set credential chain"};
    Statement update{*m_db, "UPDATE credentials SET chain = ?2 WHERE id = ?1", "set credential chain"};
    update.bind_text(1, id);
    bind_chain(update, 2, chain);
    update.run();
    if (m_db->changes() != 1) {
        throw Error{Errc::NotFound, "set credential chain: no credential " + std::string{id}};
    }
    tx.commit();
}

void SqliteCredentialStore::set_status(std::string_view id, CredentialStatus status) {
    Transaction tx{*m_db, Transaction::Mode::Write, "set credential status"};
    Statement update{*m_db, "UPDATE credentials SET status = ?2 WHERE id = ?1", "set credential status"};
    update.bind_text(1, id).bind_text(2, service::name(status)).run();
    if (m_db->changes() != 1) {
        throw Error{Errc::NotFound, "set credential status: no credential " + std::string{id}};
    }
    tx.commit();
}

void SqliteCredentialStore::add_member(std::string_view credential_id, std::string_view user_id,
                                       std::string_view pin_hash) {
    require(!pin_hash.empty(), Errc::InvalidRequest, "add seal member: empty PIN hash");
    Transaction tx{*m_db, Transaction::Mode::Write, "add seal member"};
    Statement kind{*m_db, "SELECT kind FROM credentials WHERE id = ?1", "add seal member"};
    kind.bind_text(1, credential_id);
    if (!kind.step()) {
        throw Error{Errc::NotFound, "add seal member: no credential " + std::string{credential_id}};
    }
    if (kind.column_text(0) != service::name(CredentialKind::Seal)) {
        throw Error{Errc::InvalidRequest,
                    "add seal member: credential " + std::string{credential_id} + " is not a seal"};
    }
    if (!exists(*m_db, "SELECT 1 FROM users WHERE id = ?1", user_id, "add seal member")) {
        throw Error{Errc::NotFound, "add seal member: no user " + std::string{user_id}};
    }
    // The primary key refuses a second membership: SQLITE_CONSTRAINT, i.e. Errc::Conflict.
    Statement insert{
        *m_db,
        "INSERT INTO seal_members (credential_id, user_id, pin_hash, added_at) VALUES (?1, ?2, ?3, ?4)",
        "add seal member"};
    insert.bind_text(1, credential_id)
        .bind_text(2, user_id)
        .bind_text(3, pin_hash)
        .bind_time(4, SystemClock::instance().now())
        .run();
    tx.commit();
}

void SqliteCredentialStore::remove_member(std::string_view credential_id, std::string_view user_id) {
    Transaction tx{*m_db, Transaction::Mode::Write, "remove seal member"};
    Statement remove{*m_db, "DELETE FROM seal_members WHERE credential_id = ?1 AND user_id = ?2",
                     "remove seal member"};
    remove.bind_text(1, credential_id).bind_text(2, user_id).run();
    if (m_db->changes() != 1) {
        throw Error{Errc::NotFound, "remove seal member: user " + std::string{user_id} +
                                        " is not a member of " + std::string{credential_id}};
    }
    tx.commit();
}

std::vector<SealMember> SqliteCredentialStore::members(std::string_view credential_id) const {
    Transaction tx{*m_db, Transaction::Mode::Read, "list seal members"};
    Statement query{*m_db,
                    "SELECT credential_id, user_id, added_at FROM seal_members WHERE credential_id = ?1 "
                    "ORDER BY added_at, rowid",
                    "list seal members"};
    query.bind_text(1, credential_id);
    std::vector<SealMember> out;
    while (query.step()) {
        out.push_back(SealMember{query.column_text(0), query.column_text(1), query.column_time(2)});
    }
    return out;
}

std::optional<std::string> SqliteCredentialStore::pin_hash(std::string_view credential_id,
                                                           std::string_view user_id) const {
    Transaction tx{*m_db, Transaction::Mode::Read, "read activation PIN hash"};
    Statement query{
        *m_db,
        "SELECT pin_hash FROM credentials WHERE id = ?1 AND kind = 'personal' AND owner_user_id = ?2 "
        "UNION ALL "
        "SELECT m.pin_hash FROM seal_members m JOIN credentials c ON c.id = m.credential_id "
        "WHERE m.credential_id = ?1 AND m.user_id = ?2 AND c.kind = 'seal'",
        "read activation PIN hash"};
    query.bind_text(1, credential_id).bind_text(2, user_id);
    if (!query.step()) {
        return std::nullopt;
    }
    return query.column_text(0);
}

}  // namespace inkan::storage
