#include "prometheus.h"

#include <cmath>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <vector>

namespace inkan::http::testing {

namespace {

const std::string kName = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const std::string kLabelName = "[a-zA-Z_][a-zA-Z0-9_]*";
const std::string kLabelValue = R"("(?:[^"\\\n]|\\[\\"n])*")";
const std::string kLabel = kLabelName + "=" + kLabelValue;
const std::string kValue = R"((?:[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?Inf|NaN))";

const std::regex kHelp{"^# HELP (" + kName + R"() (?:[^\\\n]|\\[\\n])*$)"};
const std::regex kType{"^# TYPE (" + kName + ") (counter|gauge|histogram|summary|untyped)$"};
const std::regex kSample{"^(" + kName + ")(?:\\{((?:" + kLabel + ")(?:," + kLabel + ")*,?)?\\})? (" + kValue +
                         ")(?: -?[0-9]+)?$"};
const std::regex kOneLabel{"(" + kLabelName + ")=(" + kLabelValue + ")"};

double to_double(const std::string& v) {
    if (v == "+Inf" || v == "Inf") {
        return HUGE_VAL;
    }
    if (v == "-Inf") {
        return -HUGE_VAL;
    }
    if (v == "NaN") {
        return std::numeric_limits<double>::quiet_NaN();
    }
    return std::stod(v);
}

struct Histogram {
    // labels without le -> (le -> cumulative count), count
    std::map<std::string, std::vector<std::pair<double, double>>> buckets;
    std::map<std::string, double> counts;
};

}  // namespace

std::string prometheus_problems(std::string_view text) {
    std::ostringstream problems;
    if (text.empty() || text.back() != '\n') {
        problems << "the text does not end with a newline\n";
    }
    std::map<std::string, std::string> types;  // family -> type
    std::set<std::string> helped;
    std::set<std::string> finished;  // families whose samples are over (families must be contiguous)
    std::set<std::string> series_seen;
    std::string current;
    std::map<std::string, Histogram> histograms;

    std::istringstream in{std::string{text}};
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        std::smatch m;
        auto problem = [&](const std::string& what) {
            problems << "line " << number << ": " << what << ": " << line << "\n";
        };
        auto enter = [&](const std::string& family) {
            if (family != current) {
                if (finished.count(family) != 0) {
                    problem("family " + family + " is not contiguous");
                }
                if (!current.empty()) {
                    finished.insert(current);
                }
                current = family;
            }
        };
        if (std::regex_match(line, m, kHelp)) {
            if (!helped.insert(m[1]).second) {
                problem("second HELP");
            }
            enter(m[1]);
        } else if (std::regex_match(line, m, kType)) {
            if (types.count(m[1]) != 0) {
                problem("second TYPE");
            }
            types[m[1]] = m[2];
            enter(m[1]);
        } else if (std::regex_match(line, m, kSample)) {
            const std::string name = m[1];
            const std::string labels = m[2];
            const double value = to_double(m[3]);
            std::string family = name;
            std::string type;
            for (const char* suffix : {"_bucket", "_sum", "_count"}) {
                const std::string s{suffix};
                if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
                    const std::string base = name.substr(0, name.size() - s.size());
                    if (types.count(base) != 0 && types[base] == "histogram") {
                        family = base;
                    }
                }
            }
            if (types.count(family) == 0) {
                problem("sample before its TYPE");
                continue;
            }
            type = types[family];
            enter(family);
            if (!series_seen.insert(name + "{" + labels + "}").second) {
                problem("duplicate series");
            }
            // Label names must be unique within a sample.
            std::set<std::string> names;
            std::string le;
            std::string others;
            for (auto it = std::sregex_iterator(labels.begin(), labels.end(), kOneLabel);
                 it != std::sregex_iterator(); ++it) {
                if (!names.insert((*it)[1]).second) {
                    problem("repeated label name");
                }
                if ((*it)[1] == "le") {
                    le = (*it)[2];
                } else {
                    others += (*it)[0].str() + ",";
                }
            }
            if (type == "counter" && !(value >= 0)) {
                problem("negative or NaN counter");
            }
            if (type == "histogram") {
                auto& h = histograms[family];
                if (name == family + "_bucket") {
                    if (le.size() < 2) {
                        problem("bucket without le");
                        continue;
                    }
                    h.buckets[others].emplace_back(to_double(le.substr(1, le.size() - 2)), value);
                } else if (name == family + "_count") {
                    h.counts[others] = value;
                } else if (name != family + "_sum") {
                    problem("unexpected sample name in a histogram");
                }
            }
        } else {
            problem("not a HELP, TYPE or sample line");
        }
    }
    for (const auto& [family, h] : histograms) {
        for (const auto& [labels, buckets] : h.buckets) {
            double previous_le = -HUGE_VAL;
            double previous = 0;
            for (const auto& [le, v] : buckets) {
                if (!(le > previous_le) || v < previous) {
                    problems << family << "{" << labels << "}: buckets not increasing/cumulative\n";
                }
                previous_le = le;
                previous = v;
            }
            if (buckets.empty() || buckets.back().first != HUGE_VAL) {
                problems << family << "{" << labels << "}: no +Inf bucket\n";
            } else if (h.counts.count(labels) == 0 || h.counts.at(labels) != buckets.back().second) {
                problems << family << "{" << labels << "}: +Inf bucket differs from _count\n";
            }
        }
    }
    return problems.str();
}

std::optional<double> prometheus_sample(std::string_view text, std::string_view series) {
    std::string needle{series};
    needle += ' ';
    std::size_t pos = 0;
    while ((pos = text.find(needle, pos)) != std::string_view::npos) {
        if (pos == 0 || text[pos - 1] == '\n') {
            const std::size_t start = pos + needle.size();
            const std::size_t end = text.find_first_of(" \n", start);
            return to_double(std::string{text.substr(start, end - start)});
        }
        pos += needle.size();
    }
    return std::nullopt;
}

}  // namespace inkan::http::testing
