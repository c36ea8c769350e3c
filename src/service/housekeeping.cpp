#include <inkan/service/housekeeping.h>

#include <thread>

#include <inkan/core/error.h>

namespace inkan::service {

Housekeeping::Housekeeping(HousekeepingStore& store, const Clock& clock, HousekeepingSettings settings)
    : m_store{store}, m_clock{clock}, m_settings{settings} {
    require(m_settings.batch_size >= 1 && m_settings.batch_size <= 100'000, Errc::InvalidConfig,
            "housekeeping batch size must be 1..100000");
    require(m_settings.grace.count() >= 0, Errc::InvalidConfig, "housekeeping grace must not be negative");
    require(m_settings.totp_window >= 0 && m_settings.totp_period_seconds > 0, Errc::InvalidConfig,
            "housekeeping: invalid TOTP window or period");
}

PurgeCounts Housekeeping::run() {
    const TimePoint now = m_clock.now();
    const TimePoint before = now - m_settings.grace;
    // The lowest step a code is accepted for now is current − window (RFC 6238 §5.2); a recorded step
    // below it can never be presented again, so forgetting it reopens no replay. The clock only moves
    // forward from here, so the bound only grows.
    const std::int64_t unix_now = std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
    const std::int64_t otp_step_before = unix_now / m_settings.totp_period_seconds - m_settings.totp_window;
    PurgeCounts total;
    for (;;) {
        const PurgeCounts batch = m_store.purge_batch(before, otp_step_before, m_settings.batch_size);
        total += batch;
        const std::size_t limit = m_settings.batch_size;
        // A kind that filled its batch may have more; the others are done.
        // (tokens counts access and refresh tokens, each up to the limit.)
        const bool more = batch.sads >= limit || batch.tokens >= limit || batch.pending >= limit ||
                          batch.codes >= limit || batch.account_tokens >= limit || batch.otp_steps >= limit;
        if (!more) {
            break;
        }
        // std::mutex is not fair: without a pause this thread could take the connection again before
        // a waiting signer wakes up.
        std::this_thread::sleep_for(m_settings.pause);
    }
    m_store.compact();
    return total;
}

}  // namespace inkan::service
