#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <inkan/core/clock.h>
#include <inkan/core/error.h>

namespace inkan {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

TimePoint at(std::int64_t unix_seconds, milliseconds ms = 0ms) {
    return TimePoint{
        std::chrono::duration_cast<std::chrono::system_clock::duration>(seconds{unix_seconds} + ms)};
}

std::int64_t unix_ms(TimePoint t) {
    return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
}

TEST(SystemClock, InstanceIsSharedAndTracksSystemTime) {
    EXPECT_EQ(&SystemClock::instance(), &SystemClock::instance());
    const auto before = std::chrono::system_clock::now();
    const auto now = SystemClock::instance().now();
    const auto after = std::chrono::system_clock::now();
    EXPECT_LE(before, now);
    EXPECT_LE(now, after);
}

TEST(ManualClock, StartsAtTheGivenTime) {
    const ManualClock clock{at(1'700'000'000)};
    EXPECT_EQ(clock.now(), at(1'700'000'000));
    EXPECT_EQ(clock.now(), clock.now()) << "a manual clock does not move by itself";
}

TEST(ManualClock, SetMovesToTheGivenTime) {
    ManualClock clock{at(0)};
    clock.set(at(2'000'000'000, 5ms));
    EXPECT_EQ(unix_ms(clock.now()), 2'000'000'000'005);
    clock.set(at(10));
    EXPECT_EQ(unix_ms(clock.now()), 10'000) << "set may go backwards";
}

TEST(ManualClock, AdvanceAddsTheDuration) {
    ManualClock clock{at(100)};
    clock.advance(90s);
    EXPECT_EQ(clock.now(), at(190));
    clock.advance(-10s);
    EXPECT_EQ(clock.now(), at(180));
    clock.advance(1ns);
    EXPECT_EQ(clock.now() - at(180), nanoseconds{1});
}

TEST(ManualClock, AdvancesFromManyThreadsWithoutLosingTicks) {
    ManualClock clock{at(0)};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&clock] {
            for (int i = 0; i < 1000; ++i) {
                clock.advance(1ms);
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(unix_ms(clock.now()), 8000);
}

TEST(ManualClock, IsUsableThroughTheClockInterface) {
    const ManualClock manual{at(42)};
    const Clock& clock = manual;
    EXPECT_EQ(clock.now(), at(42));
}

struct Rfc3339Case {
    std::int64_t unix_ms;
    std::string_view text;
};

// Expected values computed independently: `date -u -d @<seconds> +%Y-%m-%dT%H:%M:%S`.
constexpr Rfc3339Case kCases[] = {
    {0, "1970-01-01T00:00:00.000Z"},
    {1, "1970-01-01T00:00:00.001Z"},
    {-1, "1969-12-31T23:59:59.999Z"},
    {-86'400'000, "1969-12-31T00:00:00.000Z"},
    {951'782'400'000, "2000-02-29T00:00:00.000Z"},    // leap day in a year divisible by 400
    {1'709'164'800'123, "2024-02-29T00:00:00.123Z"},  // leap day
    {1'709'251'199'999, "2024-02-29T23:59:59.999Z"},
    {2'147'483'647'000, "2038-01-19T03:14:07.000Z"},  // the 32-bit time_t limit
    {2'147'483'648'000, "2038-01-19T03:14:08.000Z"},  // one past it
    {2'524'608'000'000, "2050-01-01T00:00:00.000Z"},
    {2'556'143'999'999, "2050-12-31T23:59:59.999Z"},
    {4'107'542'400'000, "2100-03-01T00:00:00.000Z"},  // 2100 is not a leap year
    {1'779'384'522'123, "2026-05-21T17:28:42.123Z"},
};

TEST(Rfc3339, FormatsUtcWithMilliseconds) {
    for (const auto& c : kCases) {
        EXPECT_EQ(format_rfc3339(TimePoint{milliseconds{c.unix_ms}}), c.text) << "unix ms " << c.unix_ms;
    }
}

TEST(Rfc3339, ParsesWhatItFormats) {
    for (const auto& c : kCases) {
        EXPECT_EQ(unix_ms(parse_rfc3339(c.text)), c.unix_ms) << c.text;
    }
}

TEST(Rfc3339, RoundTripsEverySecondAcrossALeapDay) {
    // 2028-02-28T00:00:00Z .. 2028-03-01T23:59:59Z in 997-second steps.
    for (std::int64_t s = 1'835'308'800; s < 1'835'308'800 + 3 * 86'400; s += 997) {
        const TimePoint t = at(s, milliseconds{s % 1000});
        EXPECT_EQ(parse_rfc3339(format_rfc3339(t)), t) << format_rfc3339(t);
    }
}

TEST(Rfc3339, FormatTruncatesBelowMilliseconds) {
    const TimePoint t = at(0) + 1'999'999ns;
    EXPECT_EQ(format_rfc3339(t), "1970-01-01T00:00:00.001Z");
    const TimePoint before_epoch = at(0) - 1ns;
    EXPECT_EQ(format_rfc3339(before_epoch), "1969-12-31T23:59:59.999Z") << "floor, not round toward zero";
}

TEST(Rfc3339, ParsesPositiveAndNegativeOffsets) {
    // RFC 3339 §5.8: "1996-12-19T16:39:57-08:00" is "1996-12-20T00:39:57Z".
    EXPECT_EQ(format_rfc3339(parse_rfc3339("1996-12-19T16:39:57-08:00")), "1996-12-20T00:39:57.000Z");
    EXPECT_EQ(format_rfc3339(parse_rfc3339("2026-11-22T02:28:42.5+09:00")), "2026-11-21T17:28:42.500Z");
    EXPECT_EQ(format_rfc3339(parse_rfc3339("2024-03-01T00:30:00+05:30")), "2024-02-29T19:00:00.000Z");
    EXPECT_EQ(parse_rfc3339("2026-01-01T00:00:00-00:00"), parse_rfc3339("2026-01-01T00:00:00Z"));
    EXPECT_EQ(parse_rfc3339("2026-01-01T00:00:00+00:00"), parse_rfc3339("2026-01-01T00:00:00Z"));
}

TEST(Rfc3339, OffsetCanCrossTheEpoch) {
    EXPECT_EQ(unix_ms(parse_rfc3339("1970-01-01T00:00:00+01:00")), -3'600'000);
    EXPECT_EQ(unix_ms(parse_rfc3339("1969-12-31T19:00:00-05:00")), 0);
}

TEST(Rfc3339, ParsesFractionsOfAnyLength) {
    EXPECT_EQ(unix_ms(parse_rfc3339("1970-01-01T00:00:01.5Z")), 1500);
    EXPECT_EQ(unix_ms(parse_rfc3339("1970-01-01T00:00:01.25Z")), 1250);
    EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00.123456789Z").time_since_epoch(),
              std::chrono::duration_cast<std::chrono::system_clock::duration>(123'456'789ns));
    EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00.1234567891234Z").time_since_epoch(),
              std::chrono::duration_cast<std::chrono::system_clock::duration>(123'456'789ns))
        << "digits beyond nanoseconds are truncated";
    EXPECT_EQ(unix_ms(parse_rfc3339("1970-01-01T00:00:01Z")), 1000) << "no fraction";
}

TEST(Rfc3339, AcceptsLowerCaseTAndZ) {
    // RFC 3339 §5.6 NOTE: "T" and "Z" may alternatively be lower case.
    EXPECT_EQ(parse_rfc3339("2026-01-01t00:00:00z"), parse_rfc3339("2026-01-01T00:00:00Z"));
}

TEST(Rfc3339, TreatsLeapSecondAsTheNextSecond) {
    EXPECT_EQ(parse_rfc3339("2016-12-31T23:59:60Z"), parse_rfc3339("2017-01-01T00:00:00Z"));
}

TEST(Rfc3339, RefusesGarbage) {
    const std::string_view bad[] = {
        "",
        "garbage",
        "2026-01-01",                 // no time
        "2026-01-01T00:00:00",        // no offset
        "2026-01-01 00:00:00Z",       // space instead of T
        "2026-1-01T00:00:00Z",        // one-digit month
        "26-01-01T00:00:00Z",         // two-digit year
        "2026-13-01T00:00:00Z",       // month 13
        "2026-00-01T00:00:00Z",       // month 0
        "2026-01-00T00:00:00Z",       // day 0
        "2026-01-32T00:00:00Z",       // day 32
        "2026-04-31T00:00:00Z",       // April has 30 days
        "2025-02-29T00:00:00Z",       // not a leap year
        "2100-02-29T00:00:00Z",       // not a leap year either
        "2026-01-01T24:00:00Z",       // hour 24
        "2026-01-01T00:60:00Z",       // minute 60
        "2026-01-01T00:00:61Z",       // second 61
        "2026-01-01T00:00:00.Z",      // empty fraction
        "2026-01-01T00:00:00,5Z",     // comma fraction
        "2026-01-01T00:00:00+0900",   // offset without colon
        "2026-01-01T00:00:00+09",     // offset without minutes
        "2026-01-01T00:00:00+24:00",  // offset hour 24
        "2026-01-01T00:00:00+09:60",  // offset minute 60
        "2026-01-01T00:00:00ZZ",      // trailing garbage
        "2026-01-01T00:00:00Z ",      // trailing space
        " 2026-01-01T00:00:00Z",      // leading space
        "+2026-01-01T00:00:00Z",      // sign
        "2026-01-01T00:00:00UTC",     // name instead of Z
        "２０２６-01-01T00:00:00Z",   // full-width digits
    };
    for (const std::string_view text : bad) {
        try {
            const TimePoint t = parse_rfc3339(text);
            ADD_FAILURE() << "accepted \"" << text << "\" as " << format_rfc3339(t);
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), Errc::InvalidEncoding) << "\"" << text << "\": " << e.what();
        }
    }
}

TEST(Rfc3339, RefusesTimesOutsideTheClockRange) {
    for (const std::string_view text : {"0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"}) {
        try {
            parse_rfc3339(text);
            ADD_FAILURE() << "accepted \"" << text << "\"";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), Errc::InvalidEncoding) << "\"" << text << "\": " << e.what();
        }
    }
}

TEST(Rfc3339, ErrorNamesTheOffset) {
    try {
        parse_rfc3339("2026-01-01T00:00:00+09:60");
        FAIL() << "accepted an offset minute of 60";
    } catch (const Error& e) {
        EXPECT_NE(std::string{e.what()}.find("offset 20"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace inkan
