#include <inkan/http/metrics.h>

#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include <inkan/core/error.h>

#include "testing/prometheus.h"

namespace inkan::http {
namespace {

TEST(HttpMetrics, RendersCountersHistogramsAndGaugesInTextFormat) {
    Metrics m;
    auto& c =
        m.counter("inkan_test_total", "A test counter.\nSecond line with \\ backslash.", {"algo", "result"});
    c.inc({"ES256", "ok"});
    c.inc({"ES256", "ok"}, 2);
    c.inc({"weird \"quoted\"\nvalue\\", "x"});
    auto& h = m.histogram("inkan_test_seconds", "Latency.", {"route"}, {0.1, 1});
    h.observe({"/a"}, 0.05);
    h.observe({"/a"}, 0.5);
    h.observe({"/a"}, 5);
    m.gauge("inkan_test_pool_size", "Pool size.", [] { return 7.0; });
    m.gauge("inkan_test_by_slot", "Per slot.", {"slot"}, [] {
        return std::vector<GaugeSample>{{{"0"}, 1.5}, {{"1"}, 0}};
    });
    const std::string text = m.render();
    const auto problems = testing::prometheus_problems(text);
    EXPECT_TRUE(problems.empty()) << problems << "\n" << text;

    EXPECT_NE(text.find("# TYPE inkan_test_total counter\n"), std::string::npos);
    EXPECT_NE(text.find("inkan_test_total{algo=\"ES256\",result=\"ok\"} 3\n"), std::string::npos) << text;
    EXPECT_NE(text.find(R"(inkan_test_total{algo="weird \"quoted\"\nvalue\\",result="x"} 1)"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("# HELP inkan_test_total A test counter.\\nSecond line with \\\\ backslash.\n"),
              std::string::npos);
    EXPECT_NE(text.find("inkan_test_seconds_bucket{route=\"/a\",le=\"0.1\"} 1\n"), std::string::npos) << text;
    EXPECT_NE(text.find("inkan_test_seconds_bucket{route=\"/a\",le=\"1\"} 2\n"), std::string::npos);
    EXPECT_NE(text.find("inkan_test_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3\n"), std::string::npos);
    EXPECT_NE(text.find("inkan_test_seconds_sum{route=\"/a\"} 5.55\n"), std::string::npos) << text;
    EXPECT_NE(text.find("inkan_test_seconds_count{route=\"/a\"} 3\n"), std::string::npos);
    EXPECT_NE(text.find("# TYPE inkan_test_pool_size gauge\ninkan_test_pool_size 7\n"), std::string::npos);
    EXPECT_NE(text.find("inkan_test_by_slot{slot=\"0\"} 1.5\n"), std::string::npos);
    EXPECT_EQ(c.value({"ES256", "ok"}), 3);
    EXPECT_EQ(h.count({"/a"}), 3u);
}

TEST(HttpMetrics, SameFamilyTwiceIsSharedButAConflictIsRefused) {
    Metrics m;
    auto& a = m.counter("inkan_shared_total", "x", {"k"});
    auto& b = m.counter("inkan_shared_total", "x", {"k"});
    EXPECT_EQ(&a, &b);
    EXPECT_THROW(m.counter("inkan_shared_total", "x", {"other"}), Error);
    EXPECT_THROW(m.histogram("inkan_shared_total", "x", {"k"}), Error);
    EXPECT_THROW(m.gauge("inkan_shared_total", "x", [] { return 1.0; }), Error);
    EXPECT_THROW(m.counter("bad-name", "x"), Error);
    EXPECT_THROW(m.counter("ok_name", "x", {"bad-label"}), Error);
    EXPECT_THROW(m.histogram("h_seconds", "x", {"le"}), Error);
    EXPECT_THROW(m.histogram("h_seconds", "x", {}, {1, 0.5}), Error);
    EXPECT_THROW(a.inc({"v", "extra"}), Error);
    EXPECT_THROW(a.inc({"v"}, -1), Error);
}

TEST(HttpMetrics, GaugesCanBeReplacedAndRemovedAndAFailingOneIsSkipped) {
    Metrics m;
    m.gauge("inkan_g", "g", [] { return 1.0; });
    m.gauge("inkan_g", "g", [] { return 2.0; });
    m.gauge("inkan_failing", "f", []() -> double { throw std::runtime_error{"pool gone"}; });
    std::string text = m.render();
    EXPECT_NE(text.find("inkan_g 2\n"), std::string::npos) << text;
    EXPECT_EQ(text.find("inkan_failing"), std::string::npos) << text;
    m.remove_gauge("inkan_g");
    text = m.render();
    EXPECT_EQ(text.find("inkan_g "), std::string::npos);
}

TEST(HttpMetrics, CounterFromIsTypedCounterAndKeepsItsKind) {
    Metrics m;
    double waits = 3;
    m.counter_from("inkan_pool_waits_total", "Waits.", [&waits] { return waits; });
    std::string text = m.render();
    EXPECT_NE(text.find("# TYPE inkan_pool_waits_total counter\ninkan_pool_waits_total 3\n"),
              std::string::npos)
        << text;
    waits = 5;
    text = m.render();
    EXPECT_NE(text.find("inkan_pool_waits_total 5\n"), std::string::npos) << text;
    EXPECT_TRUE(testing::prometheus_problems(text).empty()) << text;
    // A gauge cannot take over a counter's name, nor the other way round.
    EXPECT_THROW(m.gauge("inkan_pool_waits_total", "x", [] { return 1.0; }), Error);
    m.gauge("inkan_level", "x", [] { return 1.0; });
    EXPECT_THROW(m.counter_from("inkan_level", "x", [] { return 1.0; }), Error);
    m.remove_gauge("inkan_pool_waits_total");
    EXPECT_EQ(m.render().find("inkan_pool_waits_total"), std::string::npos);
}

TEST(HttpMetrics, AFamilyWithoutSamplesIsLeftOutUntilItHasOne) {
    Metrics m;
    auto& c = m.counter("inkan_events_total", "Events.", {"kind"});
    auto& h = m.histogram("inkan_wait_seconds", "Waits.", {"route"});
    m.gauge("inkan_slots", "Slots.", {"slot"}, [] { return std::vector<GaugeSample>{}; });
    // A sample with the wrong number of label values does not count as one.
    m.gauge("inkan_bad_slots", "Slots.", {"slot"}, [] { return std::vector<GaugeSample>{{{}, 1}}; });
    EXPECT_EQ(m.render(), "");
    c.inc({"a"}, 0);
    h.observe({"/x"}, 0.2);
    const std::string text = m.render();
    EXPECT_NE(text.find("# TYPE inkan_events_total counter\ninkan_events_total{kind=\"a\"} 0\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("# TYPE inkan_wait_seconds histogram\n"), std::string::npos) << text;
    EXPECT_EQ(text.find("inkan_slots"), std::string::npos) << text;
    EXPECT_EQ(text.find("inkan_bad_slots"), std::string::npos) << text;
}

TEST(HttpMetrics, ACounterWithoutLabelsIsZeroBeforeItsFirstIncrement) {
    Metrics m;
    auto& c = m.counter("inkan_restarts_total", "Restarts.", {});
    EXPECT_EQ(m.render(),
              "# HELP inkan_restarts_total Restarts.\n# TYPE inkan_restarts_total "
              "counter\ninkan_restarts_total 0\n");
    c.inc();
    EXPECT_NE(m.render().find("\ninkan_restarts_total 1\n"), std::string::npos) << m.render();
    EXPECT_TRUE(testing::prometheus_problems(m.render()).empty()) << m.render();
}

TEST(HttpMetrics, ConcurrentUpdatesAreAllCounted) {
    Metrics m;
    auto& c = m.counter("inkan_concurrent_total", "c", {"t"});
    auto& h = m.histogram("inkan_concurrent_seconds", "h", {});
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 1000; ++i) {
                c.inc({std::to_string(t % 2)});
                h.observe(0.001 * i);
                if (i % 100 == 0) {
                    static_cast<void>(m.render());
                }
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(c.value({"0"}) + c.value({"1"}), 8000);
    EXPECT_EQ(h.count(), 8000u);
    EXPECT_TRUE(testing::prometheus_problems(m.render()).empty());
}

}  // namespace
}  // namespace inkan::http
