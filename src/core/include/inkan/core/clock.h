#pragma once

#include <atomic>
#include <chrono>
#include <string>

namespace inkan {

using TimePoint = std::chrono::system_clock::time_point;

/// Wall-clock time as every layer sees it, so tests can set it.
class Clock {
public:
    virtual ~Clock() = default;
    [[nodiscard]] virtual TimePoint now() const = 0;
};

/// The system clock.
class SystemClock final : public Clock {
public:
    [[nodiscard]] TimePoint now() const override { return std::chrono::system_clock::now(); }
    /// A process-wide instance (stateless, so sharing it is safe).
    static const SystemClock& instance();
};

/// A clock that only moves when told to. Thread-safe.
class ManualClock final : public Clock {
public:
    explicit ManualClock(TimePoint start);
    [[nodiscard]] TimePoint now() const override;
    void set(TimePoint t);
    void advance(std::chrono::system_clock::duration d);

private:
    std::atomic<std::chrono::system_clock::rep> m_ticks;
};

/// RFC 3339 in UTC with milliseconds: 2026-11-21T17:28:42.123Z
std::string format_rfc3339(TimePoint t);
/// Parses RFC 3339 ("Z" or a numeric offset, optional fraction); Errc::InvalidEncoding otherwise.
TimePoint parse_rfc3339(std::string_view text);

}  // namespace inkan
