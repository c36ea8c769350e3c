#pragma once

// Housekeeping (issue 26, decision 0032): rows whose life is over leave the database on a schedule, so
// it does not grow without bound over years of service. Expired SADs (with their authorised hashes),
// expired access and refresh tokens, OAuth pending authorizations, authorization codes, account_token
// replay records, and TOTP replay steps that no accepted code can reach any more. Nothing else: the
// audit log is never purged (export and anchor it instead), nor are users, credentials or counters of
// failures that a lockout still needs.
//
// Work is done in batches of at most `batch_size` rows per kind, each its own short write transaction,
// so a signature waiting for the database waits for one batch at most, never for the whole purge.

#include <chrono>
#include <cstddef>
#include <cstdint>

#include <inkan/core/clock.h>

namespace inkan::service {

/// What a purge removed, by kind.
struct PurgeCounts {
    std::size_t sads = 0;     ///< expired SADs (their authorised hashes go with them)
    std::size_t tokens = 0;   ///< expired access tokens, then refresh tokens without a live access token
    std::size_t pending = 0;  ///< OAuth authorizations in progress (pages, PAR requests)
    std::size_t codes = 0;    ///< OAuth authorization codes
    std::size_t account_tokens = 0;  ///< account_token jti replay records (CSC v1 §8.3.1)
    std::size_t otp_steps = 0;       ///< TOTP replay steps older than any code still accepted

    [[nodiscard]] std::size_t total() const noexcept {
        return sads + tokens + pending + codes + account_tokens + otp_steps;
    }
    PurgeCounts& operator+=(const PurgeCounts& o) noexcept {
        sads += o.sads;
        tokens += o.tokens;
        pending += o.pending;
        codes += o.codes;
        account_tokens += o.account_tokens;
        otp_steps += o.otp_steps;
        return *this;
    }
};

/// The storage port (storage: SqliteHousekeepingStore).
class HousekeepingStore {
public:
    virtual ~HousekeepingStore() = default;
    /// Removes at most `limit` rows of each kind: those that expired before `before`, and the TOTP replay
    /// step of users whose last used step is below `otp_step_before` and who have no OTP failure counted.
    /// Each kind in a write transaction of its own.
    virtual PurgeCounts purge_batch(TimePoint before, std::int64_t otp_step_before, std::size_t limit) = 0;
    /// After a purge: storage upkeep that never waits for writers (SQLite: a passive WAL checkpoint, so
    /// the write-ahead log does not grow; freed pages are reused by later inserts).
    virtual void compact() = 0;
    /// After a restore from a backup: the copy cannot know what happened between the backup and the
    /// loss, so every SAD still live in it is retired (one spent after the backup would otherwise be
    /// spendable again), every token revoked (a refresh token rotated after the backup would be live
    /// again) and pending authorizations and codes removed; counters that must never repeat (TSA
    /// serials, CRL numbers) jump far ahead. What was retired, revoked and removed (in `sads`, `tokens`,
    /// `pending`, `codes`). One transaction.
    virtual PurgeCounts invalidate_after_restore() = 0;
};

struct HousekeepingSettings {
    /// Rows per kind per transaction (1..100000).
    std::size_t batch_size = 500;
    /// How long past its expiry a row stays (0: purged as soon as it expired).
    std::chrono::seconds grace{0};
    /// The TOTP rules of AuthorizationSettings: a step is dropped once it is more than `totp_window`
    /// steps of `totp_period` behind now, when no code of it is accepted any more (RFC 6238 §5.2).
    int totp_window = 1;
    std::int64_t totp_period_seconds = 30;
    /// Pause between batches so that waiting signers get the database in between.
    std::chrono::milliseconds pause{2};
};

class Housekeeping {
public:
    Housekeeping(HousekeepingStore& store, const Clock& clock, HousekeepingSettings settings = {});

    /// One full pass: batches until no expired row is left (as of the clock's now at the start), then
    /// compact(). What was removed. Throws what the store throws (Errc::StorageFailure); the rows
    /// removed by earlier batches stay removed.
    PurgeCounts run();

    [[nodiscard]] const HousekeepingSettings& settings() const noexcept { return m_settings; }

private:
    HousekeepingStore& m_store;
    const Clock& m_clock;
    HousekeepingSettings m_settings;
};

}  // namespace inkan::service
