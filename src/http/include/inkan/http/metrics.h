#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace inkan::http {

/// A small metrics registry that renders the Prometheus text exposition format 0.0.4.
///
/// Families are registered once by name; registering the same name again with the same kind and
/// label names returns the same family (so independent components can share one), otherwise it is
/// Errc::InvalidConfig. Names must match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
/// [a-zA-Z_][a-zA-Z0-9_]* (not "le" on histograms). Keep label values low-cardinality: route
/// patterns, algorithm names, status codes, never ids or raw paths.
///
/// Thread-safe. References to families stay valid as long as the registry lives.
class Metrics;

/// A monotonically increasing counter with a fixed set of label names.
class Counter {
public:
    /// Adds `by` (>= 0) to the child with these label values (one per label name, in order).
    /// Errc::InvalidRequest for the wrong number of values or a negative increment.
    void inc(const std::vector<std::string>& label_values, double by = 1.0);
    void inc(double by = 1.0) { inc({}, by); }
    /// The current value (0 for a child never incremented).
    [[nodiscard]] double value(const std::vector<std::string>& label_values = {}) const;

private:
    friend class Metrics;
    Counter(std::string name, std::string help, std::vector<std::string> label_names);
    void render(std::string& out) const;

    std::string m_name;
    std::string m_help;
    std::vector<std::string> m_label_names;
    mutable std::mutex m_mutex;
    std::map<std::vector<std::string>, double> m_values;
};

/// A histogram (cumulative buckets, _sum and _count) with a fixed set of label names.
class Histogram {
public:
    void observe(const std::vector<std::string>& label_values, double value);
    void observe(double value) { observe({}, value); }
    /// Observations so far for these label values.
    [[nodiscard]] std::uint64_t count(const std::vector<std::string>& label_values = {}) const;

    /// Request latencies in seconds: 1 ms to 10 s.
    static std::vector<double> default_latency_buckets();

private:
    friend class Metrics;
    Histogram(std::string name, std::string help, std::vector<std::string> label_names,
              std::vector<double> buckets);
    void render(std::string& out) const;

    struct Child {
        std::vector<std::uint64_t> buckets;  // per bucket (not cumulative); the last is +Inf
        double sum = 0;
        std::uint64_t count = 0;
    };
    std::string m_name;
    std::string m_help;
    std::vector<std::string> m_label_names;
    std::vector<double> m_bounds;  // strictly increasing, finite
    mutable std::mutex m_mutex;
    std::map<std::vector<std::string>, Child> m_children;
};

/// One sample of a labelled gauge callback.
struct GaugeSample {
    std::vector<std::string> label_values;
    double value = 0;
};

class Metrics {
public:
    /// The Content-Type of render()'s output.
    static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

    Metrics();
    ~Metrics();
    Metrics(const Metrics&) = delete;
    Metrics& operator=(const Metrics&) = delete;

    Counter& counter(std::string_view name, std::string_view help, std::vector<std::string> label_names = {});
    /// `buckets`: upper bounds, strictly increasing and finite (+Inf is added).
    Histogram& histogram(std::string_view name, std::string_view help, std::vector<std::string> label_names,
                         std::vector<double> buckets = Histogram::default_latency_buckets());
    /// A gauge read when rendered (pool sizes, queue lengths). The callback runs on the thread
    /// that renders (a worker thread for /metrics), without any registry lock held; it must be
    /// quick and thread-safe. A callback that throws is skipped for that scrape. Registering a
    /// gauge under a name that is already a gauge replaces its callback.
    void gauge(std::string_view name, std::string_view help, std::function<double()> read);
    void gauge(std::string_view name, std::string_view help, std::vector<std::string> label_names,
               std::function<std::vector<GaugeSample>()> read);
    /// A counter read when rendered: a monotonic count kept elsewhere (the HSM session pool's waits).
    /// Typed counter, so rate() and increase() apply; `read` must never decrease. Callbacks behave as
    /// the gauges' do; the name should end in _total (Prometheus naming, promtool lints it).
    void counter_from(std::string_view name, std::string_view help, std::function<double()> read);
    /// Removes a gauge or a counter_from (an owner whose callback captures `this` removes it in its
    /// destructor). Counters and histograms cannot be removed.
    void remove_gauge(std::string_view name);

    /// Every family, sorted by name, in the text exposition format 0.0.4. A family without a sample
    /// yet (a labelled counter nothing has incremented) is left out, as the Prometheus client
    /// libraries do: a HELP/TYPE header alone is a family that declares a sample and has none.
    [[nodiscard]] std::string render() const;

private:
    struct Gauge;
    struct Family;
    void add_callback(std::string_view type, std::string_view name, std::string_view help,
                      std::vector<std::string> label_names, std::function<std::vector<GaugeSample>()> read);
    mutable std::mutex m_mutex;
    std::map<std::string, std::shared_ptr<Family>, std::less<>> m_families;
};

}  // namespace inkan::http
