#include <inkan/http/metrics.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <variant>

#include <inkan/core/error.h>
#include <inkan/core/log.h>

namespace inkan::http {

namespace {

bool valid_metric_name(std::string_view name) {
    if (name.empty()) {
        return false;
    }
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
        const bool digit = c >= '0' && c <= '9';
        if (!(alpha || (i > 0 && digit))) {
            return false;
        }
    }
    return true;
}

bool valid_label_name(std::string_view name) {
    return valid_metric_name(name) && name.find(':') == std::string_view::npos && !name.starts_with("__");
}

void check_names(std::string_view name, const std::vector<std::string>& label_names) {
    require(valid_metric_name(name), Errc::InvalidConfig,
            "metrics: invalid metric name '" + std::string{name} + "'");
    for (const auto& l : label_names) {
        require(valid_label_name(l), Errc::InvalidConfig,
                "metrics: invalid label name '" + l + "' on " + std::string{name});
    }
}

void check_arity(const std::string& name, const std::vector<std::string>& label_names,
                 const std::vector<std::string>& values) {
    require(values.size() == label_names.size(), Errc::InvalidRequest,
            "metrics: " + name + " takes " + std::to_string(label_names.size()) + " label values, got " +
                std::to_string(values.size()));
}

/// A sample value: integers without a fraction, others in the shortest form that round-trips.
void append_value(std::string& out, double v) {
    if (std::isnan(v)) {
        out += "NaN";
        return;
    }
    if (std::isinf(v)) {
        out += v > 0 ? "+Inf" : "-Inf";
        return;
    }
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, res.ptr);
}

/// HELP text: backslash and newline escaped (exposition format 0.0.4).
void append_help(std::string& out, std::string_view name, std::string_view help, std::string_view type) {
    out += "# HELP ";
    out += name;
    out += ' ';
    for (const char c : help) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
}

/// {a="x",b="y"} with label values escaped (backslash, double quote, newline); nothing when there
/// are no labels. `extra` is one more label (le for buckets).
void append_labels(std::string& out, const std::vector<std::string>& names,
                   const std::vector<std::string>& values, std::string_view extra_name = {},
                   std::string_view extra_value = {}) {
    if (names.empty() && extra_name.empty()) {
        return;
    }
    out += '{';
    bool first = true;
    auto one = [&](std::string_view n, std::string_view v) {
        if (!first) {
            out += ',';
        }
        first = false;
        out += n;
        out += "=\"";
        for (const char c : v) {
            if (c == '\\') {
                out += "\\\\";
            } else if (c == '"') {
                out += "\\\"";
            } else if (c == '\n') {
                out += "\\n";
            } else {
                out += c;
            }
        }
        out += '"';
    };
    for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
        one(names[i], values[i]);
    }
    if (!extra_name.empty()) {
        one(extra_name, extra_value);
    }
    out += '}';
}

void append_sample(std::string& out, std::string_view name, const std::vector<std::string>& names,
                   const std::vector<std::string>& values, double v, std::string_view extra_name = {},
                   std::string_view extra_value = {}) {
    out += name;
    append_labels(out, names, values, extra_name, extra_value);
    out += ' ';
    append_value(out, v);
    out += '\n';
}

}  // namespace

// ---- Counter ----

Counter::Counter(std::string name, std::string help, std::vector<std::string> label_names)
    : m_name{std::move(name)}, m_help{std::move(help)}, m_label_names{std::move(label_names)} {}

void Counter::inc(const std::vector<std::string>& label_values, double by) {
    check_arity(m_name, m_label_names, label_values);
    require(by >= 0, Errc::InvalidRequest, "metrics: " + m_name + ": a counter cannot decrease");
    const std::lock_guard lock{m_mutex};
    m_values[label_values] += by;
}

double Counter::value(const std::vector<std::string>& label_values) const {
    const std::lock_guard lock{m_mutex};
    const auto it = m_values.find(label_values);
    return it == m_values.end() ? 0.0 : it->second;
}

void Counter::render(std::string& out) const {
    const std::lock_guard lock{m_mutex};
    if (m_values.empty()) {
        // Without labels the one series is known: 0 until the first inc (a declared metric has a value).
        // With labels no series can be made up; the owner declares the known ones with inc(values, 0).
        if (m_label_names.empty()) {
            append_help(out, m_name, m_help, "counter");
            append_sample(out, m_name, {}, {}, 0);
        }
        return;
    }
    append_help(out, m_name, m_help, "counter");
    for (const auto& [values, v] : m_values) {
        append_sample(out, m_name, m_label_names, values, v);
    }
}

// ---- Histogram ----

std::vector<double> Histogram::default_latency_buckets() {
    return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

Histogram::Histogram(std::string name, std::string help, std::vector<std::string> label_names,
                     std::vector<double> buckets)
    : m_name{std::move(name)},
      m_help{std::move(help)},
      m_label_names{std::move(label_names)},
      m_bounds{std::move(buckets)} {}

void Histogram::observe(const std::vector<std::string>& label_values, double value) {
    check_arity(m_name, m_label_names, label_values);
    const auto bucket = static_cast<std::size_t>(std::lower_bound(m_bounds.begin(), m_bounds.end(), value) -
                                                 m_bounds.begin());  // le: value <= bound
    const std::lock_guard lock{m_mutex};
    Child& c = m_children[label_values];
    if (c.buckets.empty()) {
        c.buckets.assign(m_bounds.size() + 1, 0);
    }
    ++c.buckets[bucket];
    c.sum += value;
    ++c.count;
}

std::uint64_t Histogram::count(const std::vector<std::string>& label_values) const {
    const std::lock_guard lock{m_mutex};
    const auto it = m_children.find(label_values);
    return it == m_children.end() ? 0 : it->second.count;
}

void Histogram::render(std::string& out) const {
    std::vector<std::string> le;
    le.reserve(m_bounds.size());
    for (const double b : m_bounds) {
        std::string s;
        append_value(s, b);
        le.push_back(std::move(s));
    }
    const std::string bucket_name = m_name + "_bucket";
    const std::lock_guard lock{m_mutex};
    if (m_children.empty()) {
        return;
    }
    append_help(out, m_name, m_help, "histogram");
    for (const auto& [values, c] : m_children) {
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < m_bounds.size(); ++i) {
            cumulative += c.buckets[i];
            append_sample(out, bucket_name, m_label_names, values, static_cast<double>(cumulative), "le",
                          le[i]);
        }
        append_sample(out, bucket_name, m_label_names, values, static_cast<double>(c.count), "le", "+Inf");
        append_sample(out, m_name + "_sum", m_label_names, values, c.sum);
        append_sample(out, m_name + "_count", m_label_names, values, static_cast<double>(c.count));
    }
}

// ---- Metrics ----

struct Metrics::Gauge {
    std::string_view type;  ///< "gauge", or "counter" for counter_from
    std::string name;
    std::string help;
    std::vector<std::string> label_names;
    std::function<std::vector<GaugeSample>()> read;
};

struct Metrics::Family {
    // unique_ptr: Counter and Histogram hold a mutex and are handed out by reference.
    std::variant<std::unique_ptr<Counter>, std::unique_ptr<Histogram>, Gauge> kind;
};

Metrics::Metrics() = default;
Metrics::~Metrics() = default;

Counter& Metrics::counter(std::string_view name, std::string_view help,
                          std::vector<std::string> label_names) {
    check_names(name, label_names);
    const std::lock_guard lock{m_mutex};
    if (const auto it = m_families.find(name); it != m_families.end()) {
        auto* c = std::get_if<std::unique_ptr<Counter>>(&it->second->kind);
        require(c != nullptr && (*c)->m_label_names == label_names, Errc::InvalidConfig,
                "metrics: " + std::string{name} + " is already registered differently");
        return **c;
    }
    auto family = std::make_shared<Family>();
    auto counter =
        std::unique_ptr<Counter>{new Counter{std::string{name}, std::string{help}, std::move(label_names)}};
    Counter& ref = *counter;
    family->kind = std::move(counter);
    m_families.emplace(std::string{name}, std::move(family));
    return ref;
}

Histogram& Metrics::histogram(std::string_view name, std::string_view help,
                              std::vector<std::string> label_names, std::vector<double> buckets) {
    check_names(name, label_names);
    require(std::find(label_names.begin(), label_names.end(), "le") == label_names.end(), Errc::InvalidConfig,
            "metrics: a histogram cannot have a label named le");
    require(!buckets.empty() && std::is_sorted(buckets.begin(), buckets.end()) &&
                std::adjacent_find(buckets.begin(), buckets.end()) == buckets.end() &&
                std::all_of(buckets.begin(), buckets.end(), [](double b) { return std::isfinite(b); }),
            Errc::InvalidConfig, "metrics: " + std::string{name} + ": buckets must be finite and increasing");
    const std::lock_guard lock{m_mutex};
    if (const auto it = m_families.find(name); it != m_families.end()) {
        auto* h = std::get_if<std::unique_ptr<Histogram>>(&it->second->kind);
        require(h != nullptr && (*h)->m_label_names == label_names && (*h)->m_bounds == buckets,
                Errc::InvalidConfig, "metrics: " + std::string{name} + " is already registered differently");
        return **h;
    }
    auto family = std::make_shared<Family>();
    auto histogram = std::unique_ptr<Histogram>{
        new Histogram{std::string{name}, std::string{help}, std::move(label_names), std::move(buckets)}};
    Histogram& ref = *histogram;
    family->kind = std::move(histogram);
    m_families.emplace(std::string{name}, std::move(family));
    return ref;
}

void Metrics::gauge(std::string_view name, std::string_view help, std::function<double()> read) {
    require(static_cast<bool>(read), Errc::InvalidConfig, "metrics: gauge without a callback");
    gauge(name, help, {}, [read = std::move(read)] { return std::vector<GaugeSample>{{{}, read()}}; });
}

void Metrics::gauge(std::string_view name, std::string_view help, std::vector<std::string> label_names,
                    std::function<std::vector<GaugeSample>()> read) {
    add_callback("gauge", name, help, std::move(label_names), std::move(read));
}

void Metrics::counter_from(std::string_view name, std::string_view help, std::function<double()> read) {
    require(static_cast<bool>(read), Errc::InvalidConfig, "metrics: counter without a callback");
    add_callback("counter", name, help, {}, [read = std::move(read)] {
        return std::vector<GaugeSample>{{{}, read()}};
    });
}

void Metrics::add_callback(std::string_view type, std::string_view name, std::string_view help,
                           std::vector<std::string> label_names,
                           std::function<std::vector<GaugeSample>()> read) {
    check_names(name, label_names);
    require(static_cast<bool>(read), Errc::InvalidConfig, "metrics: gauge without a callback");
    auto family = std::make_shared<Family>();
    family->kind = Gauge{type, std::string{name}, std::string{help}, std::move(label_names), std::move(read)};
    const std::lock_guard lock{m_mutex};
    if (const auto it = m_families.find(name); it != m_families.end()) {
        const auto* existing = std::get_if<Gauge>(&it->second->kind);
        require(existing != nullptr && existing->type == type, Errc::InvalidConfig,
                "metrics: " + std::string{name} + " is already registered as another kind");
        it->second = std::move(family);  // a render in progress keeps the old one alive
        return;
    }
    m_families.emplace(std::string{name}, std::move(family));
}

void Metrics::remove_gauge(std::string_view name) {
    const std::lock_guard lock{m_mutex};
    if (const auto it = m_families.find(name);
        it != m_families.end() && std::holds_alternative<Gauge>(it->second->kind)) {
        m_families.erase(it);
    }
}

std::string Metrics::render() const {
    // Snapshot the family list, then render without the registry lock: gauge callbacks may take
    // their own locks (or even read counters of this registry).
    std::vector<std::shared_ptr<Family>> families;
    {
        const std::lock_guard lock{m_mutex};
        families.reserve(m_families.size());
        for (const auto& [name, f] : m_families) {
            families.push_back(f);
        }
    }
    std::string out;
    for (const auto& f : families) {
        if (const auto* c = std::get_if<std::unique_ptr<Counter>>(&f->kind)) {
            (*c)->render(out);
        } else if (const auto* h = std::get_if<std::unique_ptr<Histogram>>(&f->kind)) {
            (*h)->render(out);
        } else {
            const auto& g = std::get<Gauge>(f->kind);
            std::vector<GaugeSample> samples;
            try {
                samples = g.read();
            } catch (const std::exception& e) {
                log::warn("metrics: gauge callback failed", {{"metric", g.name}, {"what", e.what()}});
                continue;
            }
            // A sample with the wrong number of label values is dropped, never rendered half-labelled.
            std::erase_if(samples, [&g](const GaugeSample& s) {
                return s.label_values.size() != g.label_names.size();
            });
            if (samples.empty()) {
                continue;
            }
            append_help(out, g.name, g.help, g.type);
            for (const auto& s : samples) {
                append_sample(out, g.name, g.label_names, s.label_values, s.value);
            }
        }
    }
    return out;
}

}  // namespace inkan::http
