// service::AsyncStore (async_operations; decision 0033) and service::OobStore (oob_authorizations;
// decision 0034) on PostgreSQL. Every state change is one conditional UPDATE whose row count decides: of
// two nodes finishing one operation, or delivering one approval, one wins; the other waits for its row
// lock, re-checks the condition on the committed row and changes nothing.

#include <inkan/storage/postgres_service_stores.h>

#include <utility>

#include "store_rules.h"

namespace inkan::storage {

namespace {

using service::AsyncRecord;
using service::AsyncStatus;
using service::OobRecord;
using service::OobStage;
using service::OobStatus;

constexpr std::string_view kOobColumns =
    "id, handle_hash, ref_hash, user_id, client_id, credential_id, request, status, pin_verified, stage, "
    "session_hash, csrf_hash, created_at, expires_at";

}  // namespace

// ---- async operations ----------------------------------------------------------------------

PostgresAsyncStore::PostgresAsyncStore(std::shared_ptr<pg::Pool> pool) : m_pool{std::move(pool)} {
    require(m_pool != nullptr, Errc::Internal, "PostgresAsyncStore: no database");
}

void PostgresAsyncStore::insert(const AsyncRecord& record) {
    require(record.id_hash.size() == 32 && record.validity_ms > 0 && record.status == AsyncStatus::Pending,
            Errc::InvalidRequest, "insert async operation: bad id hash, validity or status");
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "insert async operation"};
    pg::Statement{tx, "DELETE FROM async_operations WHERE expires_ms < $1", "purge async operations"}
        .bind_int64(record.created_ms)
        .run();
    pg::Statement{
        tx,
        "INSERT INTO async_operations (id_hash, user_id, client_id, status, created_ms, expires_ms, "
        "validity_ms) VALUES ($1, $2, $3, 'pending', $4, $5, $6)",
        "insert async operation"}
        .bind_blob(record.id_hash)
        .bind_text(record.user_id)
        .bind_text(record.client_id)
        .bind_int64(record.created_ms)
        .bind_int64(record.expires_ms)
        .bind_int64(record.validity_ms)
        .run();
    tx.commit();
}

bool PostgresAsyncStore::finish(ByteView id_hash, AsyncStatus status, int http_status, std::string_view body,
                                std::int64_t expires_ms) {
    require(status != AsyncStatus::Pending, Errc::InvalidRequest, "finish async operation: still pending");
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "finish async operation"};
    const bool changed =
        pg::Statement{tx,
                      "UPDATE async_operations SET status = $2, http_status = $3, body = $4, expires_ms = $5 "
                      "WHERE id_hash = $1 AND status = 'pending'",
                      "finish async operation"}
            .bind_blob(id_hash)
            .bind_text(detail::async_status_text(status))
            .bind_int64(http_status)
            .bind_blob(as_bytes(body))
            .bind_int64(expires_ms)
            .run()
            .affected() == 1;
    tx.commit();
    return changed;
}

std::optional<AsyncRecord> PostgresAsyncStore::find(ByteView id_hash) const {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Read, "find async operation"};
    const auto q = pg::Statement{tx,
                                 "SELECT id_hash, user_id, client_id, status, http_status, body, created_ms, "
                                 "expires_ms, validity_ms FROM async_operations WHERE id_hash = $1",
                                 "find async operation"}
                       .bind_blob(id_hash)
                       .run();
    if (q.rows() == 0) {
        return std::nullopt;
    }
    AsyncRecord r;
    r.id_hash = q.bytes(0, 0);
    r.user_id = q.text(0, 1);
    r.client_id = q.text(0, 2);
    r.status = detail::async_status_from(q.text(0, 3));
    if (!q.is_null(0, 4)) {
        r.http_status = static_cast<int>(q.int64(0, 4));
        r.body = to_string(q.bytes(0, 5));
    }
    r.created_ms = q.int64(0, 6);
    r.expires_ms = q.int64(0, 7);
    r.validity_ms = q.int64(0, 8);
    return r;
}

// ---- out-of-band authorizations ------------------------------------------------------------

PostgresOobStore::PostgresOobStore(std::shared_ptr<pg::Pool> pool) : m_pool{std::move(pool)} {
    require(m_pool != nullptr, Errc::Internal, "PostgresOobStore: no database");
}

void PostgresOobStore::insert(const OobRecord& r, TimePoint now) {
    require(r.handle_hash.size() == 32 && r.ref_hash.size() == 32 && !r.user_id.empty() &&
                r.status == OobStatus::Pending,
            Errc::InvalidRequest, "insert oob authorization: bad hashes, user or status");
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "insert oob authorization"};
    pg::Statement{tx, "DELETE FROM oob_authorizations WHERE expires_at <= $1", "purge oob authorizations"}
        .bind_time(now)
        .run();
    pg::Statement{
        tx,
        "INSERT INTO oob_authorizations (id, handle_hash, ref_hash, user_id, client_id, credential_id, "
        "request, status, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9)",
        "insert oob authorization"}
        .bind_text(r.id)
        .bind_blob(r.handle_hash)
        .bind_blob(r.ref_hash)
        .bind_text(r.user_id)
        .bind_text(r.client_id)
        .bind_text(r.credential_id)
        .bind_text(r.request)
        .bind_time(r.created_at)
        .bind_time(r.expires_at)
        .run();
    tx.commit();
}

std::optional<OobRecord> PostgresOobStore::find_where(std::string_view column, ByteView hash) const {
    if (hash.size() != 32) {
        return std::nullopt;
    }
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Read, "find oob authorization"};
    // `column` is one of three names fixed in this file, never input.
    const auto q = pg::Statement{tx,
                                 "SELECT " + std::string{kOobColumns} + " FROM oob_authorizations WHERE " +
                                     std::string{column} + " = $1",
                                 "find oob authorization"}
                       .bind_blob(hash)
                       .run();
    if (q.rows() == 0) {
        return std::nullopt;
    }
    OobRecord r;
    r.id = q.text(0, 0);
    r.handle_hash = q.bytes(0, 1);
    r.ref_hash = q.bytes(0, 2);
    r.user_id = q.text(0, 3);
    r.client_id = q.text(0, 4);
    r.credential_id = q.text(0, 5);
    r.request = q.text(0, 6);
    r.status = detail::oob_status_from(q.text(0, 7));
    r.pin_verified = q.boolean(0, 8);
    r.stage = detail::oob_stage_from(q.text(0, 9));
    r.session_hash = q.bytes(0, 10);  // empty for NULL
    r.csrf_hash = q.bytes(0, 11);
    r.created_at = q.time(0, 12);
    r.expires_at = q.time(0, 13);
    return r;
}

std::optional<OobRecord> PostgresOobStore::find_by_handle(ByteView handle_hash) const {
    return find_where("handle_hash", handle_hash);
}

std::optional<OobRecord> PostgresOobStore::find_by_ref(ByteView ref_hash) const {
    return find_where("ref_hash", ref_hash);
}

std::optional<OobRecord> PostgresOobStore::find_by_session(ByteView session_hash) const {
    return find_where("session_hash", session_hash);
}

bool PostgresOobStore::open_page(std::string_view id, ByteView session_hash, ByteView csrf_hash,
                                 TimePoint now) {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "open oob page"};
    const bool changed =
        pg::Statement{tx,
                      "UPDATE oob_authorizations SET session_hash = $2, csrf_hash = $3, "
                      "stage = 'login' WHERE id = $1 AND status = 'pending' AND expires_at > $4",
                      "open oob page"}
            .bind_text(id)
            .bind_blob(session_hash)
            .bind_blob(csrf_hash)
            .bind_time(now)
            .run()
            .affected() == 1;
    tx.commit();
    return changed;
}

bool PostgresOobStore::advance(std::string_view id, OobStage from, OobStage to, TimePoint now) {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "advance oob page"};
    const bool changed =
        pg::Statement{tx,
                      "UPDATE oob_authorizations SET stage = $3 "
                      "WHERE id = $1 AND stage = $2 AND status = 'pending' AND expires_at > $4",
                      "advance oob page"}
            .bind_text(id)
            .bind_text(service::name(from))
            .bind_text(service::name(to))
            .bind_time(now)
            .run()
            .affected() == 1;
    tx.commit();
    return changed;
}

bool PostgresOobStore::decide(std::string_view id, OobStatus to, bool pin_verified, TimePoint now) {
    require(to == OobStatus::Approved || to == OobStatus::Declined, Errc::InvalidRequest,
            "decide oob authorization: approved or declined only");
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "decide oob authorization"};
    const bool changed =
        pg::Statement{
            tx,
            "UPDATE oob_authorizations SET status = $2, pin_verified = $3, session_hash = NULL, "
            "csrf_hash = NULL WHERE id = $1 AND status = 'pending' AND stage = 'decide' AND expires_at > $4",
            "decide oob authorization"}
            .bind_text(id)
            .bind_text(service::name(to))
            .bind_bool(pin_verified)
            .bind_time(now)
            .run()
            .affected() == 1;
    tx.commit();
    return changed;
}

bool PostgresOobStore::deliver(std::string_view id, TimePoint now) {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "deliver oob authorization"};
    const bool changed = pg::Statement{tx,
                                       "UPDATE oob_authorizations SET status = 'delivered' "
                                       "WHERE id = $1 AND status = 'approved' AND expires_at > $2",
                                       "deliver oob authorization"}
                             .bind_text(id)
                             .bind_time(now)
                             .run()
                             .affected() == 1;
    tx.commit();
    return changed;
}

}  // namespace inkan::storage
