// service::CredentialStore on PostgreSQL (tables credentials, seal_members, credential_renewals).

#include <inkan/storage/postgres_service_stores.h>

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
            "postgresql: credentials." + std::string{column} + " is out of range");
    return static_cast<int>(v);
}

Credential read_credential(const pg::Result& r, int row) {
    Credential c;
    c.id = r.text(row, 0);
    const auto kind = service::credential_kind_from_name(r.text(row, 1));
    require(kind.has_value(), Errc::StorageFailure, "postgresql: credentials.kind holds an unknown kind");
    c.kind = *kind;
    c.owner_user_id = r.text(row, 2);
    c.organization = r.text(row, 3);
    c.description = r.text(row, 4);
    c.key_id = r.bytes(row, 5);
    c.key_algo = r.text(row, 6);
    if (!r.is_null(row, 7)) {
        c.chain = decode_chain(r.bytes(row, 7));
    }
    c.ca = r.text(row, 8);
    c.profile = r.text(row, 9);
    c.scal = small_int(r.int64(row, 10), "scal");
    c.multisign = small_int(r.int64(row, 11), "multisign");
    const auto status = service::credential_status_from_name(r.text(row, 12));
    require(status.has_value(), Errc::StorageFailure,
            "postgresql: credentials.status holds an unknown status");
    c.status = *status;
    c.created_at = r.time(row, 13);
    const auto mode = service::auth_mode_from_name(r.text(row, 14));
    require(mode.has_value(), Errc::StorageFailure,
            "postgresql: credentials.auth_mode holds an unknown mode");
    c.auth_mode = *mode;
    c.signature_qualifier =
        r.is_null(row, 15) ? std::string{service::default_signature_qualifier(c.kind)} : r.text(row, 15);
    c.renewed_to = r.text(row, 16);  // "" for NULL
    c.renewal_of = r.text(row, 17);
    return c;
}

std::vector<Credential> read_all(const pg::Result& r) {
    std::vector<Credential> out;
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back(read_credential(r, i));
    }
    return out;
}

void bind_chain(pg::Statement& s, const std::vector<Bytes>& chain) {
    if (chain.empty()) {
        s.bind_null();
    } else {
        s.bind_blob(encode_chain(chain));
    }
}

bool exists(pg::Transaction& tx, std::string_view sql, std::string_view id, std::string_view purpose) {
    return pg::Statement{tx, sql, purpose}.bind_text(id).run().rows() > 0;
}

void insert_credential(pg::Transaction& tx, const Credential& c, std::string_view pin_hash) {
    pg::Statement insert{
        tx,
        "INSERT INTO credentials (id, kind, owner_user_id, organization, description, key_id, "
        "key_algo, chain, ca, profile, scal, multisign, status, pin_hash, created_at, auth_mode, "
        "signature_qualifier) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        "create credential"};
    const bool personal = c.kind == CredentialKind::Personal;
    insert.bind_text(c.id).bind_text(service::name(c.kind));
    if (personal) {
        insert.bind_text(c.owner_user_id);
    } else {
        insert.bind_null();
    }
    insert.bind_text(c.organization).bind_text(c.description).bind_blob(c.key_id).bind_text(c.key_algo);
    bind_chain(insert, c.chain);
    insert.bind_text(c.ca)
        .bind_text(c.profile)
        .bind_int64(c.scal)
        .bind_int64(c.multisign)
        .bind_text(service::name(c.status));
    if (personal) {
        insert.bind_text(pin_hash);
    } else {
        insert.bind_null();
    }
    insert.bind_time(c.created_at)
        .bind_text(service::name(c.auth_mode))
        .bind_text(c.signature_qualifier.empty() ? service::default_signature_qualifier(c.kind)
                                                 : std::string_view{c.signature_qualifier})
        .run();
}

}  // namespace

PostgresCredentialStore::PostgresCredentialStore(std::shared_ptr<pg::Pool> pool) : m_pool{std::move(pool)} {
    require(m_pool != nullptr, Errc::Internal, "PostgresCredentialStore: no database");
}

void PostgresCredentialStore::create(const Credential& c, std::string_view pin_hash) {
    require(!c.id.empty() && !c.key_id.empty(), Errc::InvalidRequest,
            "create credential: empty id or key id");
    if (c.kind == CredentialKind::Personal) {
        require(!c.owner_user_id.empty() && !pin_hash.empty(), Errc::InvalidRequest,
                "create credential: a personal credential needs an owner and a PIN hash");
    } else {
        require(c.owner_user_id.empty() && pin_hash.empty(), Errc::InvalidRequest,
                "create credential: a seal has neither owner nor PIN hash of its own");
    }
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "create credential"};
    if (c.kind == CredentialKind::Personal &&
        !exists(tx, "SELECT 1 FROM users WHERE id = $1", c.owner_user_id, "create credential")) {
        throw Error{Errc::NotFound, "create credential: no user " + c.owner_user_id};
    }
    insert_credential(tx, c, pin_hash);
    tx.commit();
}

void PostgresCredentialStore::renew(std::string_view old_id, const Credential& c, TimePoint at) {
    require(!c.id.empty() && !c.key_id.empty() && c.id != old_id, Errc::InvalidRequest,
            "renew credential: empty or unchanged id, or empty key id");
    constexpr std::string_view purpose = "renew credential";
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, purpose};
    // FOR UPDATE: two nodes renewing the same credential at once serialise here; the second finds it
    // disabled (and credential_renewals' primary key would refuse it anyway).
    const auto old =
        pg::Statement{tx,
                      "SELECT kind, owner_user_id, status, pin_hash FROM credentials WHERE id = $1 "
                      "FOR UPDATE",
                      purpose}
            .bind_text(old_id)
            .run();
    if (old.rows() == 0) {
        throw Error{Errc::NotFound, "renew credential: no credential " + std::string{old_id}};
    }
    require(old.text(0, 0) == service::name(c.kind) &&
                (c.kind == CredentialKind::Seal || old.text(0, 1) == c.owner_user_id),
            Errc::InvalidRequest, "renew credential: the renewal must keep the kind and the owner");
    if (old.text(0, 2) != service::name(CredentialStatus::Active)) {
        throw Error{Errc::Conflict, "credential " + std::string{old_id} + " is " + old.text(0, 2) +
                                        ", not active: only an active credential is renewed"};
    }
    if (exists(tx, "SELECT 1 FROM credential_renewals WHERE old_id = $1", old_id, purpose)) {
        throw Error{Errc::Conflict, "credential " + std::string{old_id} + " was renewed already"};
    }
    insert_credential(tx, c, old.text(0, 3));
    // The same people activate the new credential with the same PINs, the same OAuth clients may seal
    // with it, and a PIN lockout does not end by renewing. row_order keeps the members' order.
    for (const char* sql :
         {"INSERT INTO seal_members (credential_id, user_id, pin_hash, added_at) "
          "SELECT $2, user_id, pin_hash, added_at FROM seal_members WHERE credential_id = $1 "
          "ORDER BY row_order",
          "INSERT INTO oauth_client_seals (client_id, credential_id) "
          "SELECT client_id, $2 FROM oauth_client_seals WHERE credential_id = $1",
          "INSERT INTO pin_failures (credential_id, user_id, count) "
          "SELECT $2, user_id, count FROM pin_failures WHERE credential_id = $1"}) {
        pg::Statement{tx, sql, purpose}.bind_text(old_id).bind_text(c.id).run();
    }
    pg::Statement{tx, "UPDATE credentials SET status = 'disabled' WHERE id = $1", purpose}
        .bind_text(old_id)
        .run();
    pg::Statement{tx, "INSERT INTO credential_renewals (old_id, new_id, renewed_at) VALUES ($1, $2, $3)",
                  purpose}
        .bind_text(old_id)
        .bind_text(c.id)
        .bind_time(at)
        .run();
    tx.commit();
}

std::optional<Credential> PostgresCredentialStore::find(std::string_view id) const {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Read, "find credential"};
    const auto r =
        pg::Statement{tx, credential_select("WHERE c.id = $1"), "find credential"}.bind_text(id).run();
    if (r.rows() == 0) {
        return std::nullopt;
    }
    return read_credential(r, 0);
}

std::vector<Credential> PostgresCredentialStore::list() const {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Read, "list credentials"};
    return read_all(
        pg::Statement{tx, credential_select("ORDER BY c.created_at, c.row_order"), "list credentials"}.run());
}

std::vector<Credential> PostgresCredentialStore::list_for_user(std::string_view user_id) const {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Read, "list credentials of a user"};
    return read_all(pg::Statement{
        tx,
        credential_select(
            "WHERE (c.kind = 'personal' AND c.owner_user_id = $1) OR (c.kind = 'seal' AND EXISTS "
            "(SELECT 1 FROM seal_members m WHERE m.credential_id = c.id AND m.user_id = $1)) "
            "ORDER BY c.created_at, c.row_order"),
        "list credentials of a user"}
                        .bind_text(user_id)
                        .run());
}

void PostgresCredentialStore::set_chain(std::string_view id, const std::vector<Bytes>& chain) {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "set credential chain"};
    pg::Statement update{tx, "UPDATE credentials SET chain = $2 WHERE id = $1", "set credential chain"};
    update.bind_text(id);
    bind_chain(update, chain);
    if (update.run().affected() != 1) {
        throw Error{Errc::NotFound, "set credential chain: no credential " + std::string{id}};
    }
    tx.commit();
}

void PostgresCredentialStore::set_status(std::string_view id, CredentialStatus status) {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "set credential status"};
    if (pg::Statement{tx, "UPDATE credentials SET status = $2 WHERE id = $1", "set credential status"}
            .bind_text(id)
            .bind_text(service::name(status))
            .run()
            .affected() != 1) {
        throw Error{Errc::NotFound, "set credential status: no credential " + std::string{id}};
    }
    tx.commit();
}

void PostgresCredentialStore::add_member(std::string_view credential_id, std::string_view user_id,
                                         std::string_view pin_hash) {
    require(!pin_hash.empty(), Errc::InvalidRequest, "add seal member: empty PIN hash");
    constexpr std::string_view purpose = "add seal member";
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, purpose};
    const auto kind = pg::Statement{tx, "SELECT kind FROM credentials WHERE id = $1", purpose}
                          .bind_text(credential_id)
                          .run();
    if (kind.rows() == 0) {
        throw Error{Errc::NotFound, "add seal member: no credential " + std::string{credential_id}};
    }
    if (kind.text(0, 0) != service::name(CredentialKind::Seal)) {
        throw Error{Errc::InvalidRequest,
                    "add seal member: credential " + std::string{credential_id} + " is not a seal"};
    }
    if (!exists(tx, "SELECT 1 FROM users WHERE id = $1", user_id, purpose)) {
        throw Error{Errc::NotFound, "add seal member: no user " + std::string{user_id}};
    }
    // The primary key refuses a second membership: SQLSTATE 23505, i.e. Errc::Conflict.
    pg::Statement{
        tx, "INSERT INTO seal_members (credential_id, user_id, pin_hash, added_at) VALUES ($1, $2, $3, $4)",
        purpose}
        .bind_text(credential_id)
        .bind_text(user_id)
        .bind_text(pin_hash)
        .bind_time(SystemClock::instance().now())
        .run();
    tx.commit();
}

void PostgresCredentialStore::remove_member(std::string_view credential_id, std::string_view user_id) {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "remove seal member"};
    if (pg::Statement{tx, "DELETE FROM seal_members WHERE credential_id = $1 AND user_id = $2",
                      "remove seal member"}
            .bind_text(credential_id)
            .bind_text(user_id)
            .run()
            .affected() != 1) {
        throw Error{Errc::NotFound, "remove seal member: user " + std::string{user_id} +
                                        " is not a member of " + std::string{credential_id}};
    }
    tx.commit();
}

std::vector<SealMember> PostgresCredentialStore::members(std::string_view credential_id) const {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Read, "list seal members"};
    const auto r =
        pg::Statement{tx,
                      "SELECT credential_id, user_id, added_at FROM seal_members WHERE credential_id = $1 "
                      "ORDER BY added_at, row_order",
                      "list seal members"}
            .bind_text(credential_id)
            .run();
    std::vector<SealMember> out;
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back(SealMember{r.text(i, 0), r.text(i, 1), r.time(i, 2)});
    }
    return out;
}

std::optional<std::string> PostgresCredentialStore::pin_hash(std::string_view credential_id,
                                                             std::string_view user_id) const {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Read, "read activation PIN hash"};
    const auto r =
        pg::Statement{tx,
                      "SELECT pin_hash FROM credentials WHERE id = $1 AND kind = 'personal' AND "
                      "owner_user_id = $2 "
                      "UNION ALL "
                      "SELECT m.pin_hash FROM seal_members m JOIN credentials c ON c.id = m.credential_id "
                      "WHERE m.credential_id = $1 AND m.user_id = $2 AND c.kind = 'seal'",
                      "read activation PIN hash"}
            .bind_text(credential_id)
            .bind_text(user_id)
            .run();
    if (r.rows() == 0) {
        return std::nullopt;
    }
    return r.text(0, 0);
}

}  // namespace inkan::storage
