#include <cmath>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/core/clock.h>
#include <inkan/core/error.h>
#include <inkan/core/log.h>

namespace inkan::log {
namespace {

using nlohmann::json;

/// Captures every line written while it lives, and restores the sink and level afterwards.
class LogTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_previous_level = level();
        m_previous_sink = set_sink([this](std::string_view line) {
            const std::lock_guard lock{m_mutex};
            m_lines.emplace_back(line);
        });
        set_level(Level::Debug);
    }
    void TearDown() override {
        set_sink(std::move(m_previous_sink));
        set_level(m_previous_level);
    }

    std::vector<std::string> lines() {
        const std::lock_guard lock{m_mutex};
        return m_lines;
    }

    /// The only captured line, parsed.
    json only_line() {
        const auto all = lines();
        if (all.size() != 1) {
            ADD_FAILURE() << "expected one line, got " << all.size();
            return json::object();
        }
        return parse(all.front());
    }

    static json parse(const std::string& line) {
        try {
            return json::parse(line);
        } catch (const json::exception& e) {
            ADD_FAILURE() << "not JSON: " << line << " (" << e.what() << ")";
            return json::object();
        }
    }

    /// The keys of a line in the order they were written (nlohmann::json would sort them).
    static std::vector<std::string> key_order(const std::string& line) {
        std::vector<std::string> keys;
        const auto ordered = nlohmann::ordered_json::parse(line);
        for (const auto& [key, value] : ordered.items()) {
            keys.push_back(key);
        }
        return keys;
    }

private:
    std::mutex m_mutex;
    std::vector<std::string> m_lines;
    Sink m_previous_sink;
    Level m_previous_level = Level::Info;
};

TEST_F(LogTest, WritesTsLevelAndMsgFirst) {
    const auto before = SystemClock::instance().now();
    info("service started");
    const auto after = SystemClock::instance().now();
    const json j = only_line();
    EXPECT_EQ(j.value("level", ""), "info") << j.dump();
    EXPECT_EQ(j.value("msg", ""), "service started") << j.dump();
    const std::string ts = j.value("ts", "");
    ASSERT_EQ(ts.size(), 24U) << ts;
    EXPECT_EQ(ts.back(), 'Z') << ts;
    const TimePoint t = parse_rfc3339(ts);
    EXPECT_GE(t, std::chrono::floor<std::chrono::milliseconds>(before)) << ts;
    EXPECT_LE(t, after) << ts;
    EXPECT_EQ(lines().front().rfind(R"({"ts":")", 0), 0U) << lines().front();
    EXPECT_NE(lines().front().find(R"(","level":"info","msg":"service started"})"), std::string::npos)
        << lines().front();
}

TEST_F(LogTest, WritesEachLevelName) {
    debug("d");
    info("i");
    warn("w");
    error("e");
    const auto all = lines();
    ASSERT_EQ(all.size(), 4U);
    EXPECT_EQ(parse(all[0])["level"], "debug");
    EXPECT_EQ(parse(all[1])["level"], "info");
    EXPECT_EQ(parse(all[2])["level"], "warn");
    EXPECT_EQ(parse(all[3])["level"], "error");
}

TEST_F(LogTest, WritesFieldsOfEveryType) {
    const std::string owned = "owned string";
    info("fields", {{"sv", std::string_view{"view"}},
                    {"cstr", "literal"},
                    {"str", owned},
                    {"i64", std::int64_t{-9'000'000'000}},
                    {"int", 42},
                    {"u64", std::uint64_t{7}},
                    {"dbl", 0.1},
                    {"big", 1e300},
                    {"yes", true},
                    {"no", false}});
    const json j = only_line();
    EXPECT_EQ(j["sv"], "view") << j.dump();
    EXPECT_EQ(j["cstr"], "literal") << j.dump();
    EXPECT_EQ(j["str"], "owned string") << j.dump();
    EXPECT_EQ(j["i64"], -9'000'000'000) << j.dump();
    EXPECT_EQ(j["int"], 42) << j.dump();
    EXPECT_EQ(j["u64"], 7) << j.dump();
    EXPECT_EQ(j["dbl"].get<double>(), 0.1) << j.dump();
    EXPECT_EQ(j["big"].get<double>(), 1e300) << j.dump();
    EXPECT_EQ(j["yes"], true) << j.dump();
    EXPECT_EQ(j["no"], false) << j.dump();
    EXPECT_NE(lines().front().find(R"("dbl":0.1,)"), std::string::npos)
        << "shortest round-trip form: " << lines().front();
}

TEST_F(LogTest, WritesNonFiniteDoublesAsNull) {
    info("nan", {{"nan", std::numeric_limits<double>::quiet_NaN()},
                 {"inf", std::numeric_limits<double>::infinity()},
                 {"ninf", -std::numeric_limits<double>::infinity()}});
    const json j = only_line();
    EXPECT_TRUE(j["nan"].is_null()) << j.dump();
    EXPECT_TRUE(j["inf"].is_null()) << j.dump();
    EXPECT_TRUE(j["ninf"].is_null()) << j.dump();
}

TEST_F(LogTest, EscapesQuotesBackslashesAndControlCharacters) {
    const std::string nasty =
        std::string{"quote\" backslash\\ newline\n tab\t cr\r bell\x07 nul"} + '\0' + "end";
    info(nasty, {{"k\"ey", nasty}});
    const auto all = lines();
    ASSERT_EQ(all.size(), 1U);
    EXPECT_EQ(all.front().find('\n'), std::string::npos) << "a raw newline would split the line";
    const json j = parse(all.front());
    EXPECT_EQ(j["msg"], nasty) << all.front();
    EXPECT_EQ(j["k\"ey"], nasty) << all.front();
    EXPECT_NE(all.front().find(R"(\u0007)"), std::string::npos) << all.front();
    EXPECT_NE(all.front().find(R"(\u0000)"), std::string::npos) << all.front();
    EXPECT_NE(all.front().find(R"(\n)"), std::string::npos) << all.front();
}

TEST_F(LogTest, JapanesePassesThroughUnchanged) {
    const std::string name = "山田太郎";
    info("署名しました", {{"signer", name}});
    const auto all = lines();
    ASSERT_EQ(all.size(), 1U);
    EXPECT_NE(all.front().find("\"signer\":\"山田太郎\""), std::string::npos) << all.front();
    const json j = parse(all.front());
    EXPECT_EQ(j["msg"], "署名しました");
    EXPECT_EQ(j["signer"], name);
}

TEST_F(LogTest, ReplacesInvalidUtf8) {
    info("bad", {{"v", std::string_view{"a\xff"
                                        "b"}}});
    EXPECT_EQ(only_line()["v"], "a\uFFFDb");
}

TEST(AppendJsonEscaped, PassesValidUtf8OfEveryLength) {
    // 1, 2, 3 and 4 byte sequences, including the boundaries U+007F, U+0080, U+07FF, U+0800,
    // U+D7FF, U+E000, U+FFFF, U+10000, U+10FFFF.
    const std::string valid = "A\x7f\u0080\u07ff\u0800\ud7ff\ue000\uffff\U00010000\U0010FFFF\U0001F58B";
    std::string out;
    append_json_escaped(out, valid);
    EXPECT_EQ(out, valid);
}

TEST(AppendJsonEscaped, ReplacesEachInvalidSequenceWithUFFFD) {
    struct Case {
        std::string_view input;
        std::string_view expected;
        std::string_view why;
    };
    const Case cases[] = {
        {"\x80", "\uFFFD", "lone continuation byte"},
        {"\xbf\x80", "\uFFFD\uFFFD", "two continuation bytes"},
        {"\xc0\x80", "\uFFFD\uFFFD", "overlong NUL (C0 80)"},
        {"\xc1\xbf", "\uFFFD\uFFFD", "overlong 2-byte"},
        {"\xe0\x80\xaf", "\uFFFD\uFFFD\uFFFD", "overlong 3-byte '/'"},
        {"\xf0\x80\x80\xaf", "\uFFFD\uFFFD\uFFFD\uFFFD", "overlong 4-byte '/'"},
        {"\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD", "UTF-16 high surrogate U+D800"},
        {"\xed\xbf\xbf", "\uFFFD\uFFFD\uFFFD", "UTF-16 low surrogate U+DFFF"},
        {"\xf4\x90\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD", "above U+10FFFF"},
        {"\xf5\x80\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD", "F5 lead byte"},
        {"\xff", "\uFFFD", "FF byte"},
        {"\xe5\xb1", "\uFFFD", "truncated 3-byte sequence at the end"},
        {"\xe5\xb1x", "\uFFFDx", "truncated 3-byte sequence before ASCII"},
        {"\xf0\x9f\x98", "\uFFFD", "truncated 4-byte sequence"},
        {"\xe5\xb1\xb1\xe7\x94", "\u5c71\uFFFD", "valid then truncated"},
        {"\xc3", "\uFFFD", "lone 2-byte lead at the end"},
        {"\xc3\xc3\xa9", "\uFFFD\u00e9", "lead byte followed by a new sequence"},
    };
    for (const auto& c : cases) {
        std::string out;
        append_json_escaped(out, c.input);
        EXPECT_EQ(out, c.expected) << c.why;
    }
}

TEST(AppendJsonEscaped, UsesShortEscapesWhereJsonHasThem) {
    std::string out;
    append_json_escaped(out, "\b\f\n\r\t\"\\/\x01\x1f\x7f");
    EXPECT_EQ(out, R"(\b\f\n\r\t\"\\/\u0001\u001f)"
                   "\x7f");
}

TEST(AppendJsonEscaped, AppendsToWhatIsThere) {
    std::string out = "prefix:";
    append_json_escaped(out, "x");
    EXPECT_EQ(out, "prefix:x");
}

TEST_F(LogTest, ScopedContextFieldsComeAfterMsgAndBeforeCallFields) {
    {
        const ScopedContext outer{{"request_id", "r-1"}, {"tenant", 7}};
        {
            const ScopedContext inner{{"credential", "c-9"}};
            info("nested", {{"step", "sign"}});
        }
        info("outer only");
    }
    info("none");
    const auto all = lines();
    ASSERT_EQ(all.size(), 3U);
    EXPECT_EQ(key_order(all[0]),
              (std::vector<std::string>{"ts", "level", "msg", "request_id", "tenant", "credential", "step"}))
        << all[0];
    EXPECT_EQ(parse(all[0])["request_id"], "r-1");
    EXPECT_EQ(parse(all[0])["tenant"], 7);
    EXPECT_EQ(parse(all[0])["credential"], "c-9");
    EXPECT_EQ(key_order(all[1]), (std::vector<std::string>{"ts", "level", "msg", "request_id", "tenant"}))
        << all[1];
    EXPECT_EQ(key_order(all[2]), (std::vector<std::string>{"ts", "level", "msg"})) << all[2];
}

TEST_F(LogTest, ScopedContextCopiesItsStrings) {
    std::string key = "request_id";
    std::string value = "r-original";
    const ScopedContext ctx{{key, value}};
    key.assign("XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX");
    value.assign("YYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYY");
    info("after mutation");
    EXPECT_EQ(only_line()["request_id"], "r-original");
}

TEST_F(LogTest, ScopedContextIsPerThread) {
    const ScopedContext ctx{{"request_id", "main-thread"}};
    std::thread other{[] { info("from other thread"); }};
    other.join();
    const json j = only_line();
    EXPECT_FALSE(j.contains("request_id")) << j.dump();
}

TEST_F(LogTest, DropsMessagesBelowTheLevel) {
    set_level(Level::Warn);
    EXPECT_EQ(level(), Level::Warn);
    debug("dropped");
    info("dropped");
    warn("kept");
    error("kept too");
    const auto all = lines();
    ASSERT_EQ(all.size(), 2U);
    EXPECT_EQ(parse(all[0])["level"], "warn");
    EXPECT_EQ(parse(all[1])["level"], "error");
}

TEST(LogLevel, DefaultIsInfo) {
    // Tests restore the level they change, so the process default is still visible here
    // unless a fixture leaked it.
    EXPECT_EQ(level(), Level::Info);
}

TEST(LogLevel, ParsesTheFourNames) {
    EXPECT_EQ(parse_level("debug"), Level::Debug);
    EXPECT_EQ(parse_level("info"), Level::Info);
    EXPECT_EQ(parse_level("warn"), Level::Warn);
    EXPECT_EQ(parse_level("error"), Level::Error);
}

TEST(LogLevel, RefusesUnknownNames) {
    for (const std::string_view name : {"", "INFO", "warning", "trace", "fatal", "info "}) {
        try {
            (void)parse_level(name);
            ADD_FAILURE() << "accepted \"" << name << "\"";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), Errc::InvalidConfig) << "\"" << name << "\": " << e.what();
        }
    }
}

TEST_F(LogTest, SetSinkReturnsThePreviousSink) {
    std::vector<std::string> second;
    Sink mine = set_sink([&second](std::string_view line) { second.emplace_back(line); });
    info("to second");
    const Sink back = set_sink(std::move(mine));
    ASSERT_TRUE(back);
    back("direct");  // the returned sink is the one we installed
    info("to first");
    ASSERT_EQ(second.size(), 2U);
    EXPECT_EQ(parse(second[0])["msg"], "to second");
    EXPECT_EQ(second[1], "direct");
    EXPECT_EQ(lines().size(), 1U);
}

TEST_F(LogTest, ThrowingSinkDoesNotPropagate) {
    Sink mine = set_sink([](std::string_view) { throw std::runtime_error{"sink broke"}; });
    EXPECT_NO_THROW(info("lost"));
    set_sink(std::move(mine));
}

TEST_F(LogTest, ConcurrentWritesFromEightThreadsStayWholeLines) {
    constexpr int kThreads = 8;
    constexpr int kPerThread = 500;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([t] {
            const ScopedContext ctx{{"thread", t}};
            const std::string padding(static_cast<std::size_t>(100 + t * 37), static_cast<char>('a' + t));
            for (int i = 0; i < kPerThread; ++i) {
                info("concurrent", {{"i", i}, {"padding", padding}, {"名前", "山田太郎"}});
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    const auto all = lines();
    ASSERT_EQ(all.size(), static_cast<std::size_t>(kThreads * kPerThread));
    std::vector<int> next(kThreads, 0);
    for (const auto& line : all) {
        const json j = parse(line);
        ASSERT_TRUE(j.contains("thread")) << line;
        const int t = j["thread"].get<int>();
        ASSERT_GE(t, 0);
        ASSERT_LT(t, kThreads);
        const auto ti = static_cast<std::size_t>(t);
        EXPECT_EQ(j["i"].get<int>(), next[ti]) << "lines of one thread arrive in order";
        next[ti] = j["i"].get<int>() + 1;
        EXPECT_EQ(j["padding"].get<std::string>().size(), static_cast<std::size_t>(100 + t * 37));
        EXPECT_EQ(j["名前"], "山田太郎");
    }
}

TEST(LogStderr, WritesOneCompleteLinePerMessage) {
    // The default sink writes to fd 2; gtest captures it.
    const Sink previous = set_sink({});  // an empty sink selects the default
    ::testing::internal::CaptureStderr();
    info("to stderr", {{"n", 1}});
    warn("second");
    const std::string captured = ::testing::internal::GetCapturedStderr();
    set_sink(previous);
    std::vector<std::string> got;
    std::size_t start = 0;
    while (start < captured.size()) {
        const std::size_t nl = captured.find('\n', start);
        ASSERT_NE(nl, std::string::npos) << "last line lacks its newline: " << captured;
        got.push_back(captured.substr(start, nl - start));
        start = nl + 1;
    }
    ASSERT_EQ(got.size(), 2U) << captured;
    EXPECT_EQ(json::parse(got[0])["msg"], "to stderr");
    EXPECT_EQ(json::parse(got[1])["level"], "warn");
}

}  // namespace
}  // namespace inkan::log
