// service::AuditAnchorStore, AuditArchiveStore and HousekeepingStore on PostgreSQL.

#include <inkan/storage/postgres_audit_stores.h>

#include <functional>
#include <limits>
#include <utility>

#include <inkan/storage/postgres_service_stores.h>  // pg::detail::append_audit_entry

namespace inkan::storage {

// ---- anchors -------------------------------------------------------------------------------

PostgresAuditAnchorStore::PostgresAuditAnchorStore(std::shared_ptr<pg::Pool> pool) : m_pool{std::move(pool)} {
    require(m_pool != nullptr, Errc::Internal, "PostgresAuditAnchorStore: no database");
}

std::optional<std::pair<std::uint64_t, Bytes>> PostgresAuditAnchorStore::head() const {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Read, "read the audit head"};
    const auto r =
        pg::Statement{tx, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", "read the audit head"}
            .run();
    if (r.rows() == 0) {
        return std::nullopt;
    }
    return std::pair{static_cast<std::uint64_t>(r.int64(0, 0)), r.bytes(0, 1)};
}

std::uint64_t PostgresAuditAnchorStore::add(const service::AuditAnchor& anchor) {
    constexpr std::string_view purpose = "add audit anchor";
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, purpose};
    const auto r =
        pg::Statement{
            tx, "INSERT INTO audit_anchors (seq, head_hash, at, token) VALUES ($1, $2, $3, $4) RETURNING id",
            purpose}
            .bind_int64(static_cast<std::int64_t>(anchor.seq))
            .bind_blob(anchor.head_hash)
            .bind_time(anchor.at)
            .bind_blob(anchor.token)
            .run();
    const auto id = static_cast<std::uint64_t>(r.int64(0, 0));
    tx.commit();
    return id;
}

std::vector<service::AuditAnchor> PostgresAuditAnchorStore::all() const {
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Read, "read audit anchors"};
    const auto r = pg::Statement{tx, "SELECT id, seq, head_hash, at, token FROM audit_anchors ORDER BY id",
                                 "read audit anchors"}
                       .run();
    std::vector<service::AuditAnchor> out;
    for (int i = 0; i < r.rows(); ++i) {
        service::AuditAnchor a;
        a.id = static_cast<std::uint64_t>(r.int64(i, 0));
        a.seq = static_cast<std::uint64_t>(r.int64(i, 1));
        a.head_hash = r.bytes(i, 2);
        a.at = r.time(i, 3);
        a.token = r.bytes(i, 4);
        out.push_back(std::move(a));
    }
    return out;
}

// ---- archive checkpoints -------------------------------------------------------------------

PostgresAuditArchiveStore::PostgresAuditArchiveStore(std::shared_ptr<pg::Pool> pool)
    : m_pool{std::move(pool)} {
    require(m_pool != nullptr, Errc::Internal, "PostgresAuditArchiveStore: no database");
}

std::vector<service::AuditCheckpoint> PostgresAuditArchiveStore::checkpoints() const {
    constexpr std::string_view purpose = "read audit checkpoints";
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Read, purpose};
    const auto q =
        pg::Statement{tx,
                      "SELECT id, first_seq, last_seq, count, prev_hash, last_hash, archive_sha256, "
                      "archive_name, before_at, archived_at, seal FROM audit_checkpoints ORDER BY id",
                      purpose}
            .run();
    std::vector<service::AuditCheckpoint> out;
    for (int i = 0; i < q.rows(); ++i) {
        service::AuditCheckpoint c;
        c.id = static_cast<std::uint64_t>(q.int64(i, 0));
        c.first_seq = static_cast<std::uint64_t>(q.int64(i, 1));
        c.last_seq = static_cast<std::uint64_t>(q.int64(i, 2));
        c.count = static_cast<std::uint64_t>(q.int64(i, 3));
        c.prev_hash = q.bytes(i, 4);
        c.last_hash = q.bytes(i, 5);
        c.archive_sha256 = q.bytes(i, 6);
        c.archive_name = q.text(i, 7);
        c.before = q.time(i, 8);
        c.archived_at = q.time(i, 9);
        c.seal = q.bytes(i, 10);
        out.push_back(std::move(c));
    }
    return out;
}

std::uint64_t PostgresAuditArchiveStore::commit(const service::AuditCheckpoint& c,
                                                std::uint64_t expected_newest,
                                                const service::AuditEntryBuilder& record) {
    constexpr std::string_view purpose = "archive audit entries";
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, purpose};
    // The chain's lock first: no node appends, and no other archive commits, until this one has. The
    // checks below then read a log that cannot move.
    require(pg::Statement{tx, "SELECT name FROM chain_locks WHERE name = 'audit' FOR UPDATE", purpose}
                    .run()
                    .rows() == 1,
            Errc::StorageFailure, "postgresql: archive audit entries: the audit chain's lock row is missing");
    const auto newest =
        pg::Statement{tx, "SELECT coalesce(max(id), 0)::int8 FROM audit_checkpoints", purpose}.run().int64(0,
                                                                                                           0);
    require(static_cast<std::uint64_t>(newest) == expected_newest, Errc::Conflict,
            "another audit archive was committed meanwhile: nothing archived");
    const auto range = pg::Statement{tx,
                                     "SELECT count(*)::int8, coalesce(min(seq), 0)::int8, "
                                     "(SELECT hash FROM audit_log WHERE seq = $1), "
                                     "(SELECT count(*)::int8 FROM audit_log WHERE seq > $1) "
                                     "FROM audit_log WHERE seq <= $1",
                                     purpose}
                           .bind_int64(static_cast<std::int64_t>(c.last_seq))
                           .run();
    const bool exact = static_cast<std::uint64_t>(range.int64(0, 0)) == c.count &&
                       static_cast<std::uint64_t>(range.int64(0, 1)) == c.first_seq &&
                       range.bytes(0, 2) == c.last_hash && range.int64(0, 3) > 0;
    require(exact, Errc::Conflict,
            "the audit log changed under the archive (entries #" + std::to_string(c.first_seq) + " to #" +
                std::to_string(c.last_seq) + " are not as read): nothing archived");
    pg::Statement{tx, "DELETE FROM audit_log WHERE seq <= $1", purpose}
        .bind_int64(static_cast<std::int64_t>(c.last_seq))
        .run();
    const auto id =
        pg::Statement{tx,
                      "INSERT INTO audit_checkpoints (first_seq, last_seq, count, prev_hash, last_hash, "
                      "archive_sha256, archive_name, before_at, archived_at, seal) "
                      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                      purpose}
            .bind_int64(static_cast<std::int64_t>(c.first_seq))
            .bind_int64(static_cast<std::int64_t>(c.last_seq))
            .bind_int64(static_cast<std::int64_t>(c.count))
            .bind_blob(c.prev_hash)
            .bind_blob(c.last_hash)
            .bind_blob(c.archive_sha256)
            .bind_text(c.archive_name)
            .bind_time(c.before)
            .bind_time(c.archived_at)
            .bind_blob(c.seal)
            .run()
            .int64(0, 0);
    pg::detail::append_audit_entry(tx, record, purpose);
    tx.commit();
    return static_cast<std::uint64_t>(id);
}

// ---- housekeeping --------------------------------------------------------------------------

namespace {

std::size_t delete_batch(pg::Pool& pool, std::string_view sql, std::string_view purpose,
                         const std::function<void(pg::Statement&)>& bind) {
    pg::Transaction tx{pool, pg::Transaction::Mode::Write, purpose};
    pg::Statement q{tx, sql, purpose};
    bind(q);
    const auto removed = q.run().affected();
    tx.commit();
    return static_cast<std::size_t>(removed);
}

}  // namespace

PostgresHousekeepingStore::PostgresHousekeepingStore(std::shared_ptr<pg::Pool> pool)
    : m_pool{std::move(pool)} {
    require(m_pool != nullptr, Errc::Internal, "PostgresHousekeepingStore: no database");
}

service::PurgeCounts PostgresHousekeepingStore::purge_batch(TimePoint before, std::int64_t otp_step_before,
                                                            std::size_t limit) {
    require(limit >= 1 && limit <= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()),
            Errc::Internal, "housekeeping: invalid batch size");
    const auto n = static_cast<std::int64_t>(limit);
    const auto expired = [&](pg::Statement& q) { q.bind_time(before).bind_int64(n); };
    service::PurgeCounts c;
    // As SqliteHousekeepingStore: an expired SAD goes with its hashes (ON DELETE CASCADE); access tokens
    // before refresh tokens, and a refresh token only once none of its grant's access tokens is left.
    c.sads = delete_batch(*m_pool,
                          "DELETE FROM sads WHERE id IN (SELECT id FROM sads WHERE expires_at < $1 LIMIT $2)",
                          "purge expired SADs", expired);
    c.tokens = delete_batch(*m_pool,
                            "DELETE FROM tokens WHERE id IN (SELECT id FROM tokens WHERE kind = 'access' "
                            "AND expires_at < $1 LIMIT $2)",
                            "purge expired tokens", expired);
    c.tokens +=
        delete_batch(*m_pool,
                     "DELETE FROM tokens WHERE id IN (SELECT id FROM tokens r WHERE kind = 'refresh' "
                     "AND expires_at < $1 AND NOT EXISTS (SELECT 1 FROM tokens a WHERE a.refresh_id = r.id) "
                     "LIMIT $2)",
                     "purge expired tokens", expired);
    c.pending = delete_batch(*m_pool,
                             "DELETE FROM oauth_pending WHERE id IN "
                             "(SELECT id FROM oauth_pending WHERE expires_at < $1 LIMIT $2)",
                             "purge expired authorizations", expired);
    c.codes = delete_batch(*m_pool,
                           "DELETE FROM oauth_codes WHERE hash IN "
                           "(SELECT hash FROM oauth_codes WHERE expires_at < $1 LIMIT $2)",
                           "purge expired authorization codes", expired);
    // No rowid here: the primary key (client_id, jti) as a row value.
    c.account_tokens =
        delete_batch(*m_pool,
                     "DELETE FROM oauth_account_tokens WHERE (client_id, jti) IN (SELECT client_id, "
                     "jti FROM oauth_account_tokens WHERE expires_at < $1 LIMIT $2)",
                     "purge expired account_token records", expired);
    c.otp_steps = delete_batch(*m_pool,
                               "DELETE FROM otp_state WHERE user_id IN (SELECT user_id FROM otp_state "
                               "WHERE failures = 0 AND last_step IS NOT NULL AND last_step < $1 LIMIT $2)",
                               "purge old OTP steps",
                               [&](pg::Statement& q) { q.bind_int64(otp_step_before).bind_int64(n); });
    return c;
}

service::PurgeCounts PostgresHousekeepingStore::invalidate_after_restore() {
    constexpr std::string_view purpose = "invalidate after restore";
    pg::Transaction tx{*m_pool, pg::Transaction::Mode::Write, purpose};
    const auto run = [&](std::string_view sql) {
        return static_cast<std::size_t>(pg::Statement{tx, sql, purpose}.run().affected());
    };
    service::PurgeCounts c;
    c.sads = run("UPDATE sads SET retired = TRUE WHERE NOT retired");
    c.tokens = run("UPDATE tokens SET revoked = TRUE WHERE NOT revoked");
    c.pending = run("DELETE FROM oauth_pending");
    c.codes = run("DELETE FROM oauth_codes");
    // Numbers that must never repeat jump far ahead of anything issued after the backup (decision 0032).
    (void)run("UPDATE tsa_serials SET next = next + 1000000000");
    (void)run("UPDATE ca_crl_numbers SET last = last + 1000000");
    tx.commit();
    return c;
}

}  // namespace inkan::storage
