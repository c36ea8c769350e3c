// service::AuthorizationStore on PostgreSQL (tables sads, sad_hashes, pin_failures, otp_state).
//
// consume() and replace_sad() lock the SAD's row first (SELECT ... FOR UPDATE) and read what is left only
// then: two nodes spending the same SAD serialise on that row lock, and the second one's later statements
// (READ COMMITTED: a fresh snapshot per statement) see what the first consumed. The UPDATEs are
// conditional as well (NOT consumed, remaining >= n) and their row counts checked, so even a reader that
// slipped past could not spend twice; anything unexpected rolls the whole transaction back. Lock order is
// always the SAD row, then the audit chain's row (append_audit_entry), so the two never deadlock.
// Counters are one INSERT ... ON CONFLICT DO UPDATE ... RETURNING each: the row lock orders concurrent
// increments and each caller gets its own count.

#include <inkan/storage/postgres_service_stores.h>

#include "store_rules.h"

#include <algorithm>
#include <utility>

namespace inkan::storage {

namespace {

using service::SadRecord;

/// The SAD's row, locked until the transaction ends: every spender of this SAD on every node waits here.
std::optional<detail::SadRow> lock_sad(pg::Transaction& tx, ByteView handle_hash, std::string_view purpose) {
    const auto r =
        pg::Statement{tx,
                      "SELECT id, user_id, credential_id, scal, remaining, expires_at, retired, origin, "
                      "COALESCE(hard_expires_at, expires_at) FROM sads WHERE handle_hash = $1 FOR UPDATE",
                      purpose}
            .bind_blob(handle_hash)
            .run();
    if (r.rows() == 0) {
        return std::nullopt;
    }
    detail::SadRow row;
    row.id = r.text(0, 0);
    row.user_id = r.text(0, 1);
    row.credential_id = r.text(0, 2);
    row.scal = static_cast<int>(r.int64(0, 3));
    row.remaining = static_cast<int>(r.int64(0, 4));
    row.expires_at = r.time(0, 5);
    row.retired = r.boolean(0, 6);
    row.origin = r.text(0, 7);
    row.hard_expires_at = r.time(0, 8);
    return row;
}

void insert_sad_rows(pg::Transaction& tx, const SadRecord& sad, int remaining,
                     const std::vector<std::pair<std::string, Bytes>>& hashes, std::string_view purpose) {
    pg::Statement insert{
        tx,
        "INSERT INTO sads (id, handle_hash, user_id, client_id, credential_id, member_id, scal, "
        "remaining, expires_at, retired, origin, hard_expires_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        purpose};
    insert.bind_text(sad.id).bind_blob(sad.handle_hash);
    // NULL user: a system client's SAD.
    if (sad.user_id.empty()) {
        insert.bind_null();
    } else {
        insert.bind_text(sad.user_id);
    }
    insert.bind_text(sad.client_id)
        .bind_text(sad.credential_id)
        .bind_text(sad.member_id)
        .bind_int64(sad.scal)
        .bind_int64(remaining)
        .bind_time(sad.expires_at)
        .bind_bool(sad.retired)
        .bind_text(detail::sad_origin_text(sad.origin))
        // No hard limit given: the SAD's own expiry is its limit (extendTransaction cannot prolong it).
        .bind_time(sad.hard_expires_at == TimePoint{} ? sad.expires_at : sad.hard_expires_at)
        .run();
    std::int64_t ordinal = 0;
    for (const auto& [oid, value] : hashes) {
        pg::Statement{tx, "INSERT INTO sad_hashes (sad_id, ordinal, alg_oid, value) VALUES ($1, $2, $3, $4)",
                      purpose}
            .bind_text(sad.id)
            .bind_int64(ordinal++)
            .bind_text(oid)
            .bind_blob(value)
            .run();
    }
}

std::vector<std::pair<std::string, Bytes>> unconsumed(pg::Transaction& tx, std::string_view sad_id,
                                                      std::string_view purpose) {
    const auto r = pg::Statement{tx,
                                 "SELECT alg_oid, value FROM sad_hashes WHERE sad_id = $1 AND NOT consumed "
                                 "ORDER BY ordinal",
                                 purpose}
                       .bind_text(sad_id)
                       .run();
    std::vector<std::pair<std::string, Bytes>> out;
    for (int i = 0; i < r.rows(); ++i) {
        out.emplace_back(r.text(i, 0), r.bytes(i, 1));
    }
    return out;
}

int counter(const pg::Result& r, std::string_view purpose) {
    require(r.rows() == 1, Errc::StorageFailure, "postgresql: " + std::string{purpose} + ": no row returned");
    return static_cast<int>(r.int64(0, 0));
}

}  // namespace

PostgresAuthorizationStore::PostgresAuthorizationStore(std::shared_ptr<pg::Pool> pool)
    : m_pool{std::move(pool)} {
    require(m_pool != nullptr, Errc::Internal, "PostgresAuthorizationStore: no database");
}

void PostgresAuthorizationStore::insert_sad(const SadRecord& sad) {
    require(!sad.id.empty() && !sad.handle_hash.empty() && !sad.credential_id.empty() &&
                (!sad.user_id.empty() || !sad.client_id.empty()),
            Errc::InvalidRequest,
            "insert SAD: empty id, handle hash, credential, or neither user nor client");
    require(sad.remaining >= 0, Errc::InvalidRequest, "insert SAD: negative remaining count");
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "insert SAD"};
    insert_sad_rows(tx, sad, sad.remaining, sad.hashes, "insert SAD");
    tx.commit();
}

std::optional<SadRecord> PostgresAuthorizationStore::find_sad(ByteView handle_hash) const {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Read, "find SAD"};
    const auto q =
        pg::Statement{
            tx,
            "SELECT id, handle_hash, user_id, client_id, credential_id, member_id, scal, remaining, "
            "expires_at, retired, origin, COALESCE(hard_expires_at, expires_at) FROM sads "
            "WHERE handle_hash = $1",
            "find SAD"}
            .bind_blob(handle_hash)
            .run();
    if (q.rows() == 0) {
        return std::nullopt;
    }
    SadRecord r;
    r.id = q.text(0, 0);
    r.handle_hash = q.bytes(0, 1);
    r.user_id = q.text(0, 2);
    r.client_id = q.text(0, 3);
    r.credential_id = q.text(0, 4);
    r.member_id = q.text(0, 5);
    r.scal = static_cast<int>(q.int64(0, 6));
    r.remaining = static_cast<int>(q.int64(0, 7));
    r.expires_at = q.time(0, 8);
    r.retired = q.boolean(0, 9);
    r.origin = detail::sad_origin_from(q.text(0, 10));
    r.hard_expires_at = q.time(0, 11);
    // The same snapshot as the row above (REPEATABLE READ).
    r.hashes = unconsumed(tx, r.id, "find SAD");
    return r;
}

std::optional<service::SpendRefusal> PostgresAuthorizationStore::consume(
    ByteView handle_hash, std::string_view user_id, std::string_view credential_id,
    const std::vector<std::pair<std::string, Bytes>>& hashes, int count, TimePoint now,
    const service::AuditEntryBuilder& record) {
    constexpr std::string_view purpose = "consume SAD";
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, purpose};
    const auto row = lock_sad(tx, handle_hash, purpose);
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
    for (const auto& [oid, value] : hashes) {
        const auto found = pg::Statement{tx,
                                         "SELECT ordinal FROM sad_hashes WHERE sad_id = $1 AND NOT consumed "
                                         "AND alg_oid = $2 AND value = $3 ORDER BY ordinal",
                                         purpose}
                               .bind_text(row->id)
                               .bind_text(oid)
                               .bind_blob(value)
                               .run();
        bool match = false;
        for (int i = 0; i < found.rows() && !match; ++i) {
            const auto ordinal = found.int64(i, 0);
            if (std::find(picked.begin(), picked.end(), ordinal) == picked.end()) {
                picked.push_back(ordinal);
                match = true;
            }
        }
        if (!match) {
            return service::SpendRefusal::Hash;  // nothing written yet; the transaction rolls back
        }
    }
    for (const auto ordinal : picked) {
        const auto marked = pg::Statement{tx,
                                          "UPDATE sad_hashes SET consumed = TRUE "
                                          "WHERE sad_id = $1 AND ordinal = $2 AND NOT consumed",
                                          purpose}
                                .bind_text(row->id)
                                .bind_int64(ordinal)
                                .run()
                                .affected();
        if (marked != 1) {
            return service::SpendRefusal::Hash;  // rolled back
        }
    }
    const auto spent =
        pg::Statement{tx,
                      "UPDATE sads SET remaining = remaining - $2, retired = (remaining - $2 = 0) "
                      "WHERE id = $1 AND NOT retired AND remaining >= $2",
                      purpose}
            .bind_text(row->id)
            .bind_int64(count)
            .run()
            .affected();
    if (spent != 1) {
        return service::SpendRefusal::Count;  // rolled back
    }
    if (record) {
        // The signature's audit entry, in the same transaction: committed with the spend or not at all.
        pg::detail::append_audit_entry(tx, record, purpose);
    }
    tx.commit();
    return std::nullopt;
}

std::optional<service::SpendRefusal> PostgresAuthorizationStore::replace_sad(ByteView old_hash,
                                                                             std::string_view user_id,
                                                                             std::string_view credential_id,
                                                                             SadRecord replacement,
                                                                             TimePoint now) {
    constexpr std::string_view purpose = "replace SAD";
    require(!replacement.id.empty() && !replacement.handle_hash.empty() && replacement.remaining >= 0,
            Errc::InvalidRequest, "replace SAD: empty id or handle hash, or negative count");
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, purpose};
    const auto row = lock_sad(tx, old_hash, purpose);
    if (auto reason = detail::check_sad(row, user_id, credential_id, now)) {
        return reason;
    }
    if (auto reason = detail::check_replacement(*row, replacement, now,
                                                [&] { return unconsumed(tx, row->id, purpose); })) {
        return reason;
    }
    if (pg::Statement{tx, "UPDATE sads SET retired = TRUE WHERE id = $1 AND NOT retired", purpose}
            .bind_text(row->id)
            .run()
            .affected() != 1) {
        return service::SpendRefusal::Invalid;
    }
    replacement.retired = false;
    replacement.origin = detail::sad_origin_from(row->origin);
    replacement.hard_expires_at = row->hard_expires_at;
    replacement.expires_at = std::min(replacement.expires_at, row->hard_expires_at);
    insert_sad_rows(tx, replacement, replacement.remaining, replacement.hashes, purpose);
    tx.commit();
    return std::nullopt;
}

bool PostgresAuthorizationStore::retire_for_client(ByteView handle_hash, std::string_view client_id) {
    constexpr std::string_view purpose = "retire SAD";
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, purpose};
    const bool retired =
        pg::Statement{tx,
                      "UPDATE sads SET retired = TRUE WHERE handle_hash = $1 AND client_id = $2 "
                      "AND client_id <> '' AND NOT retired",
                      purpose}
            .bind_blob(handle_hash)
            .bind_text(client_id)
            .run()
            .affected() == 1;
    tx.commit();
    return retired;
}

int PostgresAuthorizationStore::add_pin_failure(std::string_view credential_id, std::string_view user_id) {
    constexpr std::string_view purpose = "count PIN failure";
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, purpose};
    const int n =
        counter(pg::Statement{tx,
                              "INSERT INTO pin_failures (credential_id, user_id, count) VALUES ($1, $2, 1) "
                              "ON CONFLICT (credential_id, user_id) DO UPDATE "
                              "SET count = pin_failures.count + 1 RETURNING count",
                              purpose}
                    .bind_text(credential_id)
                    .bind_text(user_id)
                    .run(),
                purpose);
    tx.commit();
    return n;
}

void PostgresAuthorizationStore::reset_pin_failures(std::string_view credential_id,
                                                    std::string_view user_id) {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "reset PIN failures"};
    pg::Statement{tx, "DELETE FROM pin_failures WHERE credential_id = $1 AND user_id = $2",
                  "reset PIN failures"}
        .bind_text(credential_id)
        .bind_text(user_id)
        .run();
    tx.commit();
}

int PostgresAuthorizationStore::pin_failures(std::string_view credential_id, std::string_view user_id) const {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Read, "read PIN failures"};
    const auto r =
        pg::Statement{tx, "SELECT count FROM pin_failures WHERE credential_id = $1 AND user_id = $2",
                      "read PIN failures"}
            .bind_text(credential_id)
            .bind_text(user_id)
            .run();
    return r.rows() == 1 ? static_cast<int>(r.int64(0, 0)) : 0;
}

void PostgresAuthorizationStore::reset_credential_pin_failures(std::string_view credential_id) {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "reset PIN failures"};
    pg::Statement{tx, "DELETE FROM pin_failures WHERE credential_id = $1", "reset PIN failures"}
        .bind_text(credential_id)
        .run();
    tx.commit();
}

void PostgresAuthorizationStore::undo_pin_failure(std::string_view credential_id, std::string_view user_id) {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "undo PIN failure"};
    pg::Statement{
        tx,
        "UPDATE pin_failures SET count = GREATEST(count - 1, 0) WHERE credential_id = $1 AND user_id = $2",
        "undo PIN failure"}
        .bind_text(credential_id)
        .bind_text(user_id)
        .run();
    tx.commit();
}

void PostgresAuthorizationStore::undo_otp_failure(std::string_view user_id) {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "undo OTP failure"};
    pg::Statement{tx, "UPDATE otp_state SET failures = GREATEST(failures - 1, 0) WHERE user_id = $1",
                  "undo OTP failure"}
        .bind_text(user_id)
        .run();
    tx.commit();
}

int PostgresAuthorizationStore::add_otp_failure(std::string_view user_id) {
    constexpr std::string_view purpose = "count OTP failure";
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, purpose};
    const int n =
        counter(pg::Statement{tx,
                              "INSERT INTO otp_state (user_id, failures) VALUES ($1, 1) "
                              "ON CONFLICT (user_id) DO UPDATE SET failures = otp_state.failures + 1 "
                              "RETURNING failures",
                              purpose}
                    .bind_text(user_id)
                    .run(),
                purpose);
    tx.commit();
    return n;
}

void PostgresAuthorizationStore::reset_otp_failures(std::string_view user_id) {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "reset OTP failures"};
    pg::Statement{tx, "UPDATE otp_state SET failures = 0 WHERE user_id = $1", "reset OTP failures"}
        .bind_text(user_id)
        .run();
    tx.commit();
}

int PostgresAuthorizationStore::otp_failures(std::string_view user_id) const {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Read, "read OTP failures"};
    const auto r = pg::Statement{tx, "SELECT failures FROM otp_state WHERE user_id = $1", "read OTP failures"}
                       .bind_text(user_id)
                       .run();
    return r.rows() == 1 ? static_cast<int>(r.int64(0, 0)) : 0;
}

bool PostgresAuthorizationStore::use_otp_step(std::string_view user_id, std::int64_t step) {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, "use OTP step"};
    // One statement: the step is recorded only if it is later than every step used before. A concurrent
    // use of the same step waits for the row lock and then finds its condition false.
    const bool fresh =
        pg::Statement{tx,
                      "INSERT INTO otp_state (user_id, failures, last_step) VALUES ($1, 0, $2) "
                      "ON CONFLICT (user_id) DO UPDATE SET last_step = excluded.last_step "
                      "WHERE otp_state.last_step IS NULL OR otp_state.last_step < excluded.last_step",
                      "use OTP step"}
            .bind_text(user_id)
            .bind_int64(step)
            .run()
            .affected() == 1;
    tx.commit();
    return fresh;
}

}  // namespace inkan::storage
