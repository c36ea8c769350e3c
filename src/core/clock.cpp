#include <cstdint>
#include <limits>
#include <string_view>

#include <inkan/core/clock.h>
#include <inkan/core/error.h>

namespace inkan {

namespace {

using std::chrono::system_clock;

// Howard Hinnant's days_from_civil / civil_from_days
// (http://howardhinnant.github.io/date_algorithms.html): proleptic Gregorian calendar, exact for
// every year we can represent, and independent of the C library's time zone and locale state.
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);                 // [0, 399]
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            // [0, 146096]
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
    std::int64_t year;
    unsigned month;
    unsigned day;
};

constexpr Civil civil_from_days(std::int64_t z) noexcept {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);                    // [0, 146096]
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);  // [0, 365]
    const unsigned mp = (5 * doy + 2) / 153;                       // [0, 11]
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;               // [1, 31]
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;                  // [1, 12]
    return {y + (m <= 2 ? 1 : 0), m, d};
}

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2000, 3, 1) == 11017);
static_assert(civil_from_days(-1).year == 1969 && civil_from_days(-1).day == 31);

constexpr bool is_leap_year(std::int64_t y) noexcept {
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

constexpr unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
    constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap_year(y) ? 29 : kDays[m - 1];
}

void append_digits(std::string& out, std::int64_t value, int width) {
    char buf[20];
    int n = 0;
    do {
        buf[n++] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value > 0 || n < width);
    while (n > 0) {
        out += buf[--n];
    }
}

/// A cursor over the text being parsed; every failure names the offset, not the text.
class Parser {
public:
    explicit Parser(std::string_view text) : m_text{text} {}

    [[noreturn]] void fail(std::string_view problem) const {
        throw Error{Errc::InvalidEncoding,
                    "rfc3339: " + std::string{problem} + " at offset " + std::to_string(m_pos)};
    }

    /// Exactly `count` ASCII digits.
    unsigned digits(int count) {
        unsigned value = 0;
        for (int i = 0; i < count; ++i) {
            if (m_pos >= m_text.size() || m_text[m_pos] < '0' || m_text[m_pos] > '9') {
                fail("expected a digit");
            }
            value = value * 10 + static_cast<unsigned>(m_text[m_pos] - '0');
            ++m_pos;
        }
        return value;
    }

    void expect(char c) {
        if (!accept(c)) {
            fail(std::string{"expected '"} + c + "'");
        }
    }

    bool accept(char c) {
        if (m_pos < m_text.size() && m_text[m_pos] == c) {
            ++m_pos;
            return true;
        }
        return false;
    }

    [[nodiscard]] bool at_digit() const {
        return m_pos < m_text.size() && m_text[m_pos] >= '0' && m_text[m_pos] <= '9';
    }
    [[nodiscard]] bool at_end() const { return m_pos == m_text.size(); }
    [[nodiscard]] std::size_t pos() const { return m_pos; }
    void rewind(std::size_t pos) { m_pos = pos; }

private:
    std::string_view m_text;
    std::size_t m_pos = 0;
};

}  // namespace

const SystemClock& SystemClock::instance() {
    static const SystemClock clock;
    return clock;
}

ManualClock::ManualClock(TimePoint start) : m_ticks{start.time_since_epoch().count()} {}

TimePoint ManualClock::now() const {
    return TimePoint{system_clock::duration{m_ticks.load()}};
}

void ManualClock::set(TimePoint t) {
    m_ticks.store(t.time_since_epoch().count());
}

void ManualClock::advance(system_clock::duration d) {
    m_ticks.fetch_add(d.count());
}

std::string format_rfc3339(TimePoint t) {
    using namespace std::chrono;
    // floor, not duration_cast: before 1970 the latter would round towards zero, into the next
    // millisecond, second and possibly day.
    const auto ms = floor<milliseconds>(t.time_since_epoch()).count();
    constexpr std::int64_t kMsPerDay = 86'400'000;
    const std::int64_t day = ms >= 0 ? ms / kMsPerDay : (ms - (kMsPerDay - 1)) / kMsPerDay;
    std::int64_t in_day = ms - day * kMsPerDay;
    const Civil c = civil_from_days(day);

    std::string out;
    out.reserve(24);
    append_digits(out, c.year, 4);
    out += '-';
    append_digits(out, c.month, 2);
    out += '-';
    append_digits(out, c.day, 2);
    out += 'T';
    append_digits(out, in_day / 3'600'000, 2);
    in_day %= 3'600'000;
    out += ':';
    append_digits(out, in_day / 60'000, 2);
    in_day %= 60'000;
    out += ':';
    append_digits(out, in_day / 1000, 2);
    out += '.';
    append_digits(out, in_day % 1000, 3);
    out += 'Z';
    return out;
}

TimePoint parse_rfc3339(std::string_view text) {
    // RFC 3339 §5.6:
    //   date-time = full-date "T" full-time
    //   full-date = date-fullyear "-" date-month "-" date-mday
    //   full-time = partial-time time-offset
    //   partial-time = time-hour ":" time-minute ":" time-second [time-secfrac]
    //   time-secfrac = "." 1*DIGIT
    //   time-offset = "Z" / time-numoffset ; time-numoffset = ("+" / "-") time-hour ":" time-minute
    // and "NOTE: Per [ABNF] and ISO8601, the "T" and "Z" characters in this syntax may
    // alternatively be lower case "t" or "z" respectively."
    Parser p{text};
    const unsigned year = p.digits(4);
    p.expect('-');
    const std::size_t month_pos = p.pos();
    const unsigned month = p.digits(2);
    if (month < 1 || month > 12) {
        p.rewind(month_pos);
        p.fail("month out of range");
    }
    p.expect('-');
    const std::size_t day_pos = p.pos();
    const unsigned day = p.digits(2);
    if (day < 1 || day > days_in_month(year, month)) {
        p.rewind(day_pos);
        p.fail("day out of range");
    }
    if (!p.accept('T') && !p.accept('t')) {
        p.fail("expected 'T'");
    }
    const std::size_t hour_pos = p.pos();
    const unsigned hour = p.digits(2);
    p.expect(':');
    const unsigned minute = p.digits(2);
    p.expect(':');
    const unsigned second = p.digits(2);
    // §5.7: time-second may be 60 on a leap second. system_clock counts no leap seconds, so
    // 23:59:60 lands on the next day's 00:00:00, as POSIX time does.
    if (hour > 23 || minute > 59 || second > 60) {
        p.rewind(hour_pos);
        p.fail("time out of range");
    }

    std::int64_t nanos = 0;
    if (p.accept('.')) {
        if (!p.at_digit()) {
            p.fail("expected a digit");
        }
        // Digits beyond nanoseconds are accepted and truncated: system_clock cannot hold them.
        std::int64_t scale = 100'000'000;
        while (p.at_digit()) {
            const auto digit = static_cast<std::int64_t>(p.digits(1));
            nanos += digit * scale;
            scale /= 10;
        }
    }

    std::int64_t offset_seconds = 0;
    if (!p.accept('Z') && !p.accept('z')) {
        const bool negative = p.accept('-');
        if (!negative && !p.accept('+')) {
            p.fail("expected 'Z' or a numeric offset");
        }
        const std::size_t offset_pos = p.pos();
        const unsigned offset_hour = p.digits(2);
        p.expect(':');
        const unsigned offset_minute = p.digits(2);
        if (offset_hour > 23 || offset_minute > 59) {
            p.rewind(offset_pos);
            p.fail("offset out of range");
        }
        offset_seconds =
            (negative ? -1 : 1) * static_cast<std::int64_t>(offset_hour * 3600 + offset_minute * 60);
    }
    if (!p.at_end()) {
        p.fail("unexpected trailing characters");
    }

    // Local time minus its offset is UTC (§4.2: "1996-12-19T16:39:57-08:00" is 1996-12-20T00:39:57Z).
    const std::int64_t seconds = days_from_civil(year, month, day) * 86'400 +
                                 static_cast<std::int64_t>(hour * 3600 + minute * 60 + second) -
                                 offset_seconds;
    // With nanosecond ticks system_clock spans about 1677..2262: refuse what it cannot hold
    // rather than wrap around.
    using Rep = system_clock::rep;
    using Period = system_clock::period;
    static_assert(Period::num == 1 && Period::den <= 1'000'000'000, "system_clock finer than 1 ns");
    constexpr std::int64_t kTicksPerSecond = Period::den;
    constexpr std::int64_t kMaxSeconds = std::numeric_limits<Rep>::max() / kTicksPerSecond - 1;
    constexpr std::int64_t kMinSeconds = std::numeric_limits<Rep>::min() / kTicksPerSecond + 1;
    if (seconds > kMaxSeconds || seconds < kMinSeconds) {
        throw Error{Errc::InvalidEncoding, "rfc3339: time outside the representable range"};
    }
    const Rep ticks = seconds * kTicksPerSecond + nanos / (1'000'000'000 / kTicksPerSecond);
    return TimePoint{system_clock::duration{ticks}};
}

}  // namespace inkan
