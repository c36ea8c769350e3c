// service::OobStore on SQLite (oob_authorizations; migration 14, decision 0034). Every step of the
// approval page and the delivery of the SAD is ONE conditional UPDATE (status, stage, expiry) whose change
// count decides: two tabs, two nodes or two polls racing on one step cannot both win.

#include <inkan/storage/sqlite_service_stores.h>

#include <utility>

#include <inkan/core/error.h>

#include "store_rules.h"

namespace inkan::storage {

using service::OobRecord;
using service::OobStage;
using service::OobStatus;

namespace {

constexpr std::string_view kColumns =
    "id, handle_hash, ref_hash, user_id, client_id, credential_id, request, status, pin_verified, stage, "
    "session_hash, csrf_hash, created_at, expires_at";

}  // namespace

SqliteOobStore::SqliteOobStore(std::shared_ptr<Database> db) : m_db{std::move(db)} {
    require(m_db != nullptr, Errc::Internal, "SqliteOobStore: no database");
}

void SqliteOobStore::insert(const OobRecord& r, TimePoint now) {
    require(r.handle_hash.size() == 32 && r.ref_hash.size() == 32 && !r.user_id.empty() &&
                r.status == OobStatus::Pending,
            Errc::InvalidRequest, "insert oob authorization: bad hashes, user or status");
    Transaction tx{*m_db, Transaction::Mode::Write, "insert oob authorization"};
    {
        Statement purge{*m_db, "DELETE FROM oob_authorizations WHERE expires_at <= ?1",
                        "purge oob authorizations"};
        purge.bind_time(1, now).run();
    }
    {
        Statement q{*m_db,
                    "INSERT INTO oob_authorizations (id, handle_hash, ref_hash, user_id, client_id, "
                    "credential_id, request, status, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                    "?7, 'pending', ?8, ?9)",
                    "insert oob authorization"};
        q.bind_text(1, r.id)
            .bind_blob(2, r.handle_hash)
            .bind_blob(3, r.ref_hash)
            .bind_text(4, r.user_id)
            .bind_text(5, r.client_id)
            .bind_text(6, r.credential_id)
            .bind_text(7, r.request)
            .bind_time(8, r.created_at)
            .bind_time(9, r.expires_at)
            .run();
    }
    tx.commit();
}

std::optional<OobRecord> SqliteOobStore::find_where(std::string_view column, ByteView hash) const {
    if (hash.size() != 32) {
        return std::nullopt;
    }
    Transaction tx{*m_db, Transaction::Mode::Read, "find oob authorization"};
    Statement q{
        *m_db,
        "SELECT " + std::string{kColumns} + " FROM oob_authorizations WHERE " + std::string{column} + " = ?1",
        "find oob authorization"};
    q.bind_blob(1, hash);
    if (!q.step()) {
        return std::nullopt;
    }
    OobRecord r;
    r.id = q.column_text(0);
    r.handle_hash = q.column_blob(1);
    r.ref_hash = q.column_blob(2);
    r.user_id = q.column_text(3);
    r.client_id = q.column_text(4);
    r.credential_id = q.column_text(5);
    r.request = q.column_text(6);
    r.status = detail::oob_status_from(q.column_text(7));
    r.pin_verified = q.column_int64(8) != 0;
    r.stage = detail::oob_stage_from(q.column_text(9));
    if (!q.column_is_null(10)) {
        r.session_hash = q.column_blob(10);
    }
    if (!q.column_is_null(11)) {
        r.csrf_hash = q.column_blob(11);
    }
    r.created_at = q.column_time(12);
    r.expires_at = q.column_time(13);
    return r;
}

std::optional<OobRecord> SqliteOobStore::find_by_handle(ByteView handle_hash) const {
    return find_where("handle_hash", handle_hash);
}

std::optional<OobRecord> SqliteOobStore::find_by_ref(ByteView ref_hash) const {
    return find_where("ref_hash", ref_hash);
}

std::optional<OobRecord> SqliteOobStore::find_by_session(ByteView session_hash) const {
    return find_where("session_hash", session_hash);
}

bool SqliteOobStore::open_page(std::string_view id, ByteView session_hash, ByteView csrf_hash,
                               TimePoint now) {
    Transaction tx{*m_db, Transaction::Mode::Write, "open oob page"};
    Statement q{*m_db,
                "UPDATE oob_authorizations SET session_hash = ?2, csrf_hash = ?3, stage = 'login' "
                "WHERE id = ?1 AND status = 'pending' AND expires_at > ?4",
                "open oob page"};
    q.bind_text(1, id).bind_blob(2, session_hash).bind_blob(3, csrf_hash).bind_time(4, now).run();
    const bool changed = m_db->changes() == 1;
    tx.commit();
    return changed;
}

bool SqliteOobStore::advance(std::string_view id, OobStage from, OobStage to, TimePoint now) {
    Transaction tx{*m_db, Transaction::Mode::Write, "advance oob page"};
    Statement q{*m_db,
                "UPDATE oob_authorizations SET stage = ?3 "
                "WHERE id = ?1 AND stage = ?2 AND status = 'pending' AND expires_at > ?4",
                "advance oob page"};
    q.bind_text(1, id)
        .bind_text(2, service::name(from))
        .bind_text(3, service::name(to))
        .bind_time(4, now)
        .run();
    const bool changed = m_db->changes() == 1;
    tx.commit();
    return changed;
}

bool SqliteOobStore::decide(std::string_view id, OobStatus to, bool pin_verified, TimePoint now) {
    require(to == OobStatus::Approved || to == OobStatus::Declined, Errc::InvalidRequest,
            "decide oob authorization: approved or declined only");
    Transaction tx{*m_db, Transaction::Mode::Write, "decide oob authorization"};
    Statement q{
        *m_db,
        "UPDATE oob_authorizations SET status = ?2, pin_verified = ?3, session_hash = NULL, "
        "csrf_hash = NULL WHERE id = ?1 AND status = 'pending' AND stage = 'decide' AND expires_at > ?4",
        "decide oob authorization"};
    q.bind_text(1, id)
        .bind_text(2, service::name(to))
        .bind_int64(3, pin_verified ? 1 : 0)
        .bind_time(4, now)
        .run();
    const bool changed = m_db->changes() == 1;
    tx.commit();
    return changed;
}

bool SqliteOobStore::deliver(std::string_view id, TimePoint now) {
    Transaction tx{*m_db, Transaction::Mode::Write, "deliver oob authorization"};
    Statement q{*m_db,
                "UPDATE oob_authorizations SET status = 'delivered' "
                "WHERE id = ?1 AND status = 'approved' AND expires_at > ?2",
                "deliver oob authorization"};
    q.bind_text(1, id).bind_time(2, now).run();
    const bool changed = m_db->changes() == 1;
    tx.commit();
    return changed;
}

}  // namespace inkan::storage
