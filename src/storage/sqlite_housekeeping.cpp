// service::HousekeepingStore on SQLite. Each statement deletes through a LIMITed sub-select on an
// expiry index (sads_by_expiry, tokens_by_expiry, oauth_*_by_expiry), so one batch touches at most
// `limit` rows and holds the write lock for that long only.

#include <inkan/storage/sqlite_housekeeping.h>

#include <functional>
#include <limits>
#include <string_view>

#include <inkan/core/error.h>

namespace inkan::storage {

namespace {

std::size_t delete_batch(Database& db, std::string_view sql, std::string_view purpose,
                         const std::function<void(Statement&)>& bind) {
    Transaction tx{db, Transaction::Mode::Write, purpose};
    Statement q{db, sql, purpose};
    bind(q);
    q.run();
    const auto removed = db.changes();
    tx.commit();
    return static_cast<std::size_t>(removed);
}

}  // namespace

SqliteHousekeepingStore::SqliteHousekeepingStore(std::shared_ptr<Database> db) : m_db{std::move(db)} {}

service::PurgeCounts SqliteHousekeepingStore::purge_batch(TimePoint before, std::int64_t otp_step_before,
                                                          std::size_t limit) {
    require(limit >= 1 && limit <= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()),
            Errc::Internal, "housekeeping: invalid batch size");
    const auto n = static_cast<std::int64_t>(limit);
    const auto expired = [&](Statement& q) { q.bind_time(1, before).bind_int64(2, n); };
    service::PurgeCounts c;
    // An expired SAD can no longer be spent or extended (Authorization checks expires_at first); its
    // authorised hashes go with it (ON DELETE CASCADE). The audit entries that name it stay.
    c.sads = delete_batch(*m_db,
                          "DELETE FROM sads WHERE id IN "
                          "(SELECT id FROM sads WHERE expires_at < ?1 LIMIT ?2)",
                          "purge expired SADs", expired);
    // Access tokens first; a refresh token only once none of its grant's access tokens is left, so the
    // foreign key's cascade never removes an unexpired token (as TokenStore::purge_expired).
    c.tokens = delete_batch(*m_db,
                            "DELETE FROM tokens WHERE id IN (SELECT id FROM tokens WHERE kind = 'access' "
                            "AND expires_at < ?1 LIMIT ?2)",
                            "purge expired tokens", expired);
    c.tokens += delete_batch(*m_db,
                             "DELETE FROM tokens WHERE id IN (SELECT id FROM tokens r WHERE kind = 'refresh' "
                             "AND expires_at < ?1 AND NOT EXISTS (SELECT 1 FROM tokens a WHERE a.refresh_id "
                             "= r.id) LIMIT ?2)",
                             "purge expired tokens", expired);
    c.pending = delete_batch(*m_db,
                             "DELETE FROM oauth_pending WHERE id IN "
                             "(SELECT id FROM oauth_pending WHERE expires_at < ?1 LIMIT ?2)",
                             "purge expired authorizations", expired);
    c.codes = delete_batch(*m_db,
                           "DELETE FROM oauth_codes WHERE hash IN "
                           "(SELECT hash FROM oauth_codes WHERE expires_at < ?1 LIMIT ?2)",
                           "purge expired authorization codes", expired);
    c.account_tokens = delete_batch(*m_db,
                                    "DELETE FROM oauth_account_tokens WHERE rowid IN (SELECT rowid FROM "
                                    "oauth_account_tokens WHERE expires_at < ?1 LIMIT ?2)",
                                    "purge expired account_token records", expired);
    // A user's row holds the OTP failure count too: only rows with nothing counted go.
    c.otp_steps = delete_batch(*m_db,
                               "DELETE FROM otp_state WHERE user_id IN (SELECT user_id FROM otp_state "
                               "WHERE failures = 0 AND last_step IS NOT NULL AND last_step < ?1 LIMIT ?2)",
                               "purge old OTP steps",
                               [&](Statement& q) { q.bind_int64(1, otp_step_before).bind_int64(2, n); });
    return c;
}

service::PurgeCounts SqliteHousekeepingStore::invalidate_after_restore() {
    Transaction tx{*m_db, Transaction::Mode::Write, "invalidate after restore"};
    service::PurgeCounts c;
    const auto run = [&](std::string_view sql) {
        Statement q{*m_db, sql, "invalidate after restore"};
        q.run();
        return static_cast<std::size_t>(m_db->changes());
    };
    c.sads = run("UPDATE sads SET retired = 1 WHERE retired = 0");
    c.tokens = run("UPDATE tokens SET revoked = 1 WHERE revoked = 0");
    c.pending = run("DELETE FROM oauth_pending");
    c.codes = run("DELETE FROM oauth_codes");
    // Console sessions signed out since the backup would come alive again (decision 0041).
    (void)run("UPDATE console_sessions SET revoked = 1 WHERE revoked = 0");
    // Numbers that must never repeat but may have moved on after the backup: TSA serials (RFC 3161
    // §2.4.2: unique per TSA) and CRL numbers (RFC 5280 §5.2.3: monotonically increasing) jump far ahead
    // of anything the lost node can have issued since. CA certificate serials are random (126 bits).
    (void)run("UPDATE tsa_serials SET next = next + 1000000000");
    (void)run("UPDATE ca_crl_numbers SET last = last + 1000000");
    tx.commit();
    return c;
}

void SqliteHousekeepingStore::compact() {
    m_db->checkpoint();
}

}  // namespace inkan::storage
