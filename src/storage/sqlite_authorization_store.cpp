// service::AuthorizationStore on SQLite (tables sads, sad_hashes, pin_failures, otp_state; migration 3).
//
// consume() and replace_sad() run in ONE BEGIN IMMEDIATE transaction: the write lock is taken before
// the SAD is read, so two connections (threads, processes, nodes on one file) spending the same SAD
// serialise, and the second sees what the first consumed. The UPDATEs are conditional as well
// (consumed = 0, remaining >= n) and their change counts checked, so even a reader that slipped past
// could not spend twice; anything unexpected rolls the whole transaction back.

#include <inkan/storage/sqlite_service_stores.h>

#include <algorithm>
#include <utility>

#include "audit_chain_sql.h"
#include "store_rules.h"

namespace inkan::storage {

namespace {

using service::SadRecord;

std::optional<detail::SadRow> read_sad(Database& db, ByteView handle_hash, std::string_view purpose) {
    Statement q{db,
                "SELECT id, user_id, credential_id, scal, remaining, expires_at, retired, origin, "
                "COALESCE(hard_expires_at, expires_at) FROM sads WHERE handle_hash = ?1",
                purpose};
    q.bind_blob(1, handle_hash);
    if (!q.step()) {
        return std::nullopt;
    }
    detail::SadRow row;
    row.id = q.column_text(0);
    row.user_id = q.column_text(1);
    row.credential_id = q.column_text(2);
    row.scal = static_cast<int>(q.column_int64(3));
    row.remaining = static_cast<int>(q.column_int64(4));
    row.expires_at = q.column_time(5);
    row.retired = q.column_int64(6) != 0;
    row.origin = q.column_text(7);
    row.hard_expires_at = q.column_time(8);
    return row;
}

void insert_sad_rows(Database& db, const SadRecord& sad, int remaining,
                     const std::vector<std::pair<std::string, Bytes>>& hashes, std::string_view purpose) {
    Statement insert{db,
                     "INSERT INTO sads (id, handle_hash, user_id, client_id, credential_id, member_id, scal, "
                     "remaining, expires_at, retired, origin, hard_expires_at) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                     purpose};
    insert.bind_text(1, sad.id).bind_blob(2, sad.handle_hash);
    // NULL user: a system client's SAD (migration 4).
    if (sad.user_id.empty()) {
        insert.bind_null(3);
    } else {
        insert.bind_text(3, sad.user_id);
    }
    insert.bind_text(4, sad.client_id)
        .bind_text(5, sad.credential_id)
        .bind_text(6, sad.member_id)
        .bind_int64(7, sad.scal)
        .bind_int64(8, remaining)
        .bind_time(9, sad.expires_at)
        .bind_int64(10, sad.retired ? 1 : 0)
        .bind_text(11, detail::sad_origin_text(sad.origin))
        // No hard limit given: the SAD's own expiry is its limit (extendTransaction cannot prolong it).
        .bind_time(12, sad.hard_expires_at == TimePoint{} ? sad.expires_at : sad.hard_expires_at)
        .run();
    Statement hash{db, "INSERT INTO sad_hashes (sad_id, ordinal, alg_oid, value) VALUES (?1, ?2, ?3, ?4)",
                   purpose};
    std::int64_t ordinal = 0;
    for (const auto& [oid, value] : hashes) {
        hash.reset();
        hash.bind_text(1, sad.id).bind_int64(2, ordinal++).bind_text(3, oid).bind_blob(4, value).run();
    }
}

std::vector<std::pair<std::string, Bytes>> unconsumed(Database& db, std::string_view sad_id,
                                                      std::string_view purpose) {
    Statement q{db,
                "SELECT alg_oid, value FROM sad_hashes WHERE sad_id = ?1 AND consumed = 0 ORDER BY ordinal",
                purpose};
    q.bind_text(1, sad_id);
    std::vector<std::pair<std::string, Bytes>> out;
    while (q.step()) {
        out.emplace_back(q.column_text(0), q.column_blob(1));
    }
    return out;
}

}  // namespace

SqliteAuthorizationStore::SqliteAuthorizationStore(const std::filesystem::path& db_file)
    : m_db{std::make_shared<Database>(db_file)} {}

SqliteAuthorizationStore::SqliteAuthorizationStore(std::shared_ptr<Database> db) : m_db{std::move(db)} {
    require(m_db != nullptr, Errc::Internal, "SqliteAuthorizationStore: no database");
}

void SqliteAuthorizationStore::insert_sad(const SadRecord& sad) {
    require(!sad.id.empty() && !sad.handle_hash.empty() && !sad.credential_id.empty() &&
                (!sad.user_id.empty() || !sad.client_id.empty()),
            Errc::InvalidRequest,
            "insert SAD: empty id, handle hash, credential, or neither user nor client");
    require(sad.remaining >= 0, Errc::InvalidRequest, "insert SAD: negative remaining count");
    Transaction tx{*m_db, Transaction::Mode::Write, "insert SAD"};
    insert_sad_rows(*m_db, sad, sad.remaining, sad.hashes, "insert SAD");
    tx.commit();
}

std::optional<SadRecord> SqliteAuthorizationStore::find_sad(ByteView handle_hash) const {
    Transaction tx{*m_db, Transaction::Mode::Read, "find SAD"};
    Statement q{*m_db,
                "SELECT id, handle_hash, user_id, client_id, credential_id, member_id, scal, remaining, "
                "expires_at, retired, origin, COALESCE(hard_expires_at, expires_at) FROM sads "
                "WHERE handle_hash = ?1",
                "find SAD"};
    q.bind_blob(1, handle_hash);
    if (!q.step()) {
        return std::nullopt;
    }
    SadRecord r;
    r.id = q.column_text(0);
    r.handle_hash = q.column_blob(1);
    r.user_id = q.column_text(2);
    r.client_id = q.column_text(3);
    r.credential_id = q.column_text(4);
    r.member_id = q.column_text(5);
    r.scal = static_cast<int>(q.column_int64(6));
    r.remaining = static_cast<int>(q.column_int64(7));
    r.expires_at = q.column_time(8);
    r.retired = q.column_int64(9) != 0;
    r.origin = detail::sad_origin_from(q.column_text(10));
    r.hard_expires_at = q.column_time(11);
    r.hashes = unconsumed(*m_db, r.id, "find SAD");
    return r;
}

std::optional<service::SpendRefusal> SqliteAuthorizationStore::consume(
    ByteView handle_hash, std::string_view user_id, std::string_view credential_id,
    const std::vector<std::pair<std::string, Bytes>>& hashes, int count, TimePoint now,
    const service::AuditEntryBuilder& record) {
    constexpr std::string_view purpose = "consume SAD";
    Transaction tx{*m_db, Transaction::Mode::Write, purpose};
    const auto row = read_sad(*m_db, handle_hash, purpose);
    if (auto reason = detail::check_sad(row, user_id, credential_id, now)) {
        return reason;
    }
    if (count < 1 || count > row->remaining) {
        return service::SpendRefusal::Count;
    }
    if (row->scal == 2 && hashes.size() != static_cast<std::size_t>(count)) {
        return service::SpendRefusal::Hash;
    }
    // Pick, for each requested hash, an unconsumed row not yet picked (multiset semantics).
    std::vector<std::int64_t> picked;
    {
        Statement find{*m_db,
                       "SELECT ordinal FROM sad_hashes WHERE sad_id = ?1 AND consumed = 0 AND alg_oid = ?2 "
                       "AND value = ?3 ORDER BY ordinal",
                       purpose};
        for (const auto& [oid, value] : hashes) {
            find.reset();
            find.bind_text(1, row->id).bind_text(2, oid).bind_blob(3, value);
            bool found = false;
            while (find.step()) {
                const auto ordinal = find.column_int64(0);
                if (std::find(picked.begin(), picked.end(), ordinal) == picked.end()) {
                    picked.push_back(ordinal);
                    found = true;
                    break;
                }
            }
            if (!found) {
                return service::SpendRefusal::Hash;  // nothing written yet; the transaction rolls back
            }
        }
    }
    {
        Statement mark{
            *m_db, "UPDATE sad_hashes SET consumed = 1 WHERE sad_id = ?1 AND ordinal = ?2 AND consumed = 0",
            purpose};
        for (const auto ordinal : picked) {
            mark.reset();
            mark.bind_text(1, row->id).bind_int64(2, ordinal).run();
            if (m_db->changes() != 1) {
                return service::SpendRefusal::Hash;  // rolled back
            }
        }
    }
    Statement spend{*m_db,
                    "UPDATE sads SET remaining = remaining - ?2, retired = (remaining - ?2 = 0) "
                    "WHERE id = ?1 AND retired = 0 AND remaining >= ?2",
                    purpose};
    spend.bind_text(1, row->id).bind_int64(2, count).run();
    if (m_db->changes() != 1) {
        return service::SpendRefusal::Count;  // rolled back
    }
    if (record) {
        // The signature's audit entry, in the same transaction: committed (synchronous=FULL) with the
        // spend or not at all.
        detail::append_audit_entry(*m_db, record, purpose);
    }
    tx.commit();
    return std::nullopt;
}

std::optional<service::SpendRefusal> SqliteAuthorizationStore::replace_sad(ByteView old_hash,
                                                                           std::string_view user_id,
                                                                           std::string_view credential_id,
                                                                           SadRecord replacement,
                                                                           TimePoint now) {
    constexpr std::string_view purpose = "replace SAD";
    require(!replacement.id.empty() && !replacement.handle_hash.empty() && replacement.remaining >= 0,
            Errc::InvalidRequest, "replace SAD: empty id or handle hash, or negative count");
    Transaction tx{*m_db, Transaction::Mode::Write, purpose};
    const auto row = read_sad(*m_db, old_hash, purpose);
    if (auto reason = detail::check_sad(row, user_id, credential_id, now)) {
        return reason;
    }
    if (auto reason = detail::check_replacement(*row, replacement, now,
                                                [&] { return unconsumed(*m_db, row->id, purpose); })) {
        return reason;
    }
    Statement retire{*m_db, "UPDATE sads SET retired = 1 WHERE id = ?1 AND retired = 0", purpose};
    retire.bind_text(1, row->id).run();
    if (m_db->changes() != 1) {
        return service::SpendRefusal::Invalid;
    }
    replacement.retired = false;
    replacement.origin = detail::sad_origin_from(row->origin);
    replacement.hard_expires_at = row->hard_expires_at;
    replacement.expires_at = std::min(replacement.expires_at, row->hard_expires_at);
    insert_sad_rows(*m_db, replacement, replacement.remaining, replacement.hashes, purpose);
    tx.commit();
    return std::nullopt;
}

bool SqliteAuthorizationStore::retire_for_client(ByteView handle_hash, std::string_view client_id) {
    constexpr std::string_view purpose = "retire SAD";
    Transaction tx{*m_db, Transaction::Mode::Write, purpose};
    Statement retire{
        *m_db,
        "UPDATE sads SET retired = 1 WHERE handle_hash = ?1 AND client_id = ?2 AND client_id <> '' "
        "AND retired = 0",
        purpose};
    retire.bind_blob(1, handle_hash).bind_text(2, client_id).run();
    const bool retired = m_db->changes() == 1;
    tx.commit();
    return retired;
}

int SqliteAuthorizationStore::add_pin_failure(std::string_view credential_id, std::string_view user_id) {
    Transaction tx{*m_db, Transaction::Mode::Write, "count PIN failure"};
    Statement q{*m_db,
                "INSERT INTO pin_failures (credential_id, user_id, count) VALUES (?1, ?2, 1) "
                "ON CONFLICT (credential_id, user_id) DO UPDATE SET count = count + 1 RETURNING count",
                "count PIN failure"};
    q.bind_text(1, credential_id).bind_text(2, user_id);
    require(q.step(), Errc::StorageFailure, "sqlite: count PIN failure: no row returned");
    const auto n = static_cast<int>(q.column_int64(0));
    q.reset();
    tx.commit();
    return n;
}

void SqliteAuthorizationStore::reset_pin_failures(std::string_view credential_id, std::string_view user_id) {
    Transaction tx{*m_db, Transaction::Mode::Write, "reset PIN failures"};
    Statement q{*m_db, "DELETE FROM pin_failures WHERE credential_id = ?1 AND user_id = ?2",
                "reset PIN failures"};
    q.bind_text(1, credential_id).bind_text(2, user_id).run();
    tx.commit();
}

int SqliteAuthorizationStore::pin_failures(std::string_view credential_id, std::string_view user_id) const {
    Transaction tx{*m_db, Transaction::Mode::Read, "read PIN failures"};
    Statement q{*m_db, "SELECT count FROM pin_failures WHERE credential_id = ?1 AND user_id = ?2",
                "read PIN failures"};
    q.bind_text(1, credential_id).bind_text(2, user_id);
    return q.step() ? static_cast<int>(q.column_int64(0)) : 0;
}

void SqliteAuthorizationStore::reset_credential_pin_failures(std::string_view credential_id) {
    Transaction tx{*m_db, Transaction::Mode::Write, "reset PIN failures"};
    Statement q{*m_db, "DELETE FROM pin_failures WHERE credential_id = ?1", "reset PIN failures"};
    q.bind_text(1, credential_id).run();
    tx.commit();
}

void SqliteAuthorizationStore::undo_pin_failure(std::string_view credential_id, std::string_view user_id) {
    Transaction tx{*m_db, Transaction::Mode::Write, "undo PIN failure"};
    Statement q{*m_db,
                "UPDATE pin_failures SET count = MAX(count - 1, 0) WHERE credential_id = ?1 AND user_id = ?2",
                "undo PIN failure"};
    q.bind_text(1, credential_id).bind_text(2, user_id).run();
    tx.commit();
}

void SqliteAuthorizationStore::undo_otp_failure(std::string_view user_id) {
    Transaction tx{*m_db, Transaction::Mode::Write, "undo OTP failure"};
    Statement q{*m_db, "UPDATE otp_state SET failures = MAX(failures - 1, 0) WHERE user_id = ?1",
                "undo OTP failure"};
    q.bind_text(1, user_id).run();
    tx.commit();
}

int SqliteAuthorizationStore::add_otp_failure(std::string_view user_id) {
    Transaction tx{*m_db, Transaction::Mode::Write, "count OTP failure"};
    Statement q{*m_db,
                "INSERT INTO otp_state (user_id, failures) VALUES (?1, 1) "
                "ON CONFLICT (user_id) DO UPDATE SET failures = failures + 1 RETURNING failures",
                "count OTP failure"};
    q.bind_text(1, user_id);
    require(q.step(), Errc::StorageFailure, "sqlite: count OTP failure: no row returned");
    const auto n = static_cast<int>(q.column_int64(0));
    q.reset();
    tx.commit();
    return n;
}

void SqliteAuthorizationStore::reset_otp_failures(std::string_view user_id) {
    Transaction tx{*m_db, Transaction::Mode::Write, "reset OTP failures"};
    Statement q{*m_db, "UPDATE otp_state SET failures = 0 WHERE user_id = ?1", "reset OTP failures"};
    q.bind_text(1, user_id).run();
    tx.commit();
}

int SqliteAuthorizationStore::otp_failures(std::string_view user_id) const {
    Transaction tx{*m_db, Transaction::Mode::Read, "read OTP failures"};
    Statement q{*m_db, "SELECT failures FROM otp_state WHERE user_id = ?1", "read OTP failures"};
    q.bind_text(1, user_id);
    return q.step() ? static_cast<int>(q.column_int64(0)) : 0;
}

bool SqliteAuthorizationStore::use_otp_step(std::string_view user_id, std::int64_t step) {
    Transaction tx{*m_db, Transaction::Mode::Write, "use OTP step"};
    // One statement: the step is recorded only if it is later than every step used before.
    Statement q{*m_db,
                "INSERT INTO otp_state (user_id, failures, last_step) VALUES (?1, 0, ?2) "
                "ON CONFLICT (user_id) DO UPDATE SET last_step = excluded.last_step "
                "WHERE otp_state.last_step IS NULL OR otp_state.last_step < excluded.last_step",
                "use OTP step"};
    q.bind_text(1, user_id).bind_int64(2, step).run();
    const bool fresh = m_db->changes() == 1;
    tx.commit();
    return fresh;
}

}  // namespace inkan::storage
