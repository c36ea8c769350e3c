#include <utility>

#include <inkan/core/error.h>
#include <inkan/storage/sqlite_service_stores.h>

#include "store_rules.h"

namespace inkan::storage {

using service::AsyncRecord;
using service::AsyncStatus;

SqliteAsyncStore::SqliteAsyncStore(std::shared_ptr<Database> db) : m_db{std::move(db)} {
    require(m_db != nullptr, Errc::Internal, "SqliteAsyncStore: no database");
}

void SqliteAsyncStore::insert(const AsyncRecord& record) {
    require(record.id_hash.size() == 32 && record.validity_ms > 0 && record.status == AsyncStatus::Pending,
            Errc::InvalidRequest, "insert async operation: bad id hash, validity or status");
    Transaction tx{*m_db, Transaction::Mode::Write, "insert async operation"};
    {
        Statement purge{*m_db, "DELETE FROM async_operations WHERE expires_ms < ?1",
                        "purge async operations"};
        purge.bind_int64(1, record.created_ms).run();
    }
    {
        Statement insert{*m_db,
                         "INSERT INTO async_operations (id_hash, user_id, client_id, status, created_ms, "
                         "expires_ms, validity_ms) VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6)",
                         "insert async operation"};
        insert.bind_blob(1, record.id_hash)
            .bind_text(2, record.user_id)
            .bind_text(3, record.client_id)
            .bind_int64(4, record.created_ms)
            .bind_int64(5, record.expires_ms)
            .bind_int64(6, record.validity_ms)
            .run();
    }
    tx.commit();
}

bool SqliteAsyncStore::finish(ByteView id_hash, AsyncStatus status, int http_status, std::string_view body,
                              std::int64_t expires_ms) {
    require(status != AsyncStatus::Pending, Errc::InvalidRequest, "finish async operation: still pending");
    Transaction tx{*m_db, Transaction::Mode::Write, "finish async operation"};
    Statement update{*m_db,
                     "UPDATE async_operations SET status = ?2, http_status = ?3, body = ?4, expires_ms = ?5 "
                     "WHERE id_hash = ?1 AND status = 'pending'",
                     "finish async operation"};
    update.bind_blob(1, id_hash)
        .bind_text(2, detail::async_status_text(status))
        .bind_int64(3, http_status)
        .bind_blob(4, as_bytes(body))
        .bind_int64(5, expires_ms)
        .run();
    const bool changed = m_db->changes() == 1;
    tx.commit();
    return changed;
}

std::optional<AsyncRecord> SqliteAsyncStore::find(ByteView id_hash) const {
    Transaction tx{*m_db, Transaction::Mode::Read, "find async operation"};
    Statement query{*m_db,
                    "SELECT id_hash, user_id, client_id, status, http_status, body, created_ms, expires_ms, "
                    "validity_ms FROM async_operations WHERE id_hash = ?1",
                    "find async operation"};
    query.bind_blob(1, id_hash);
    if (!query.step()) {
        return std::nullopt;
    }
    AsyncRecord r;
    r.id_hash = query.column_blob(0);
    r.user_id = query.column_text(1);
    r.client_id = query.column_text(2);
    r.status = detail::async_status_from(query.column_text(3));
    if (!query.column_is_null(4)) {
        r.http_status = static_cast<int>(query.column_int64(4));
        r.body = to_string(query.column_blob(5));
    }
    r.created_ms = query.column_int64(6);
    r.expires_ms = query.column_int64(7);
    r.validity_ms = query.column_int64(8);
    return r;
}

}  // namespace inkan::storage
