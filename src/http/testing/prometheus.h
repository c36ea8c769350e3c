#pragma once

// A strict checker for the Prometheus text exposition format 0.0.4, written from the format's
// description (not from our renderer): every line must be HELP, TYPE or a sample; samples belong to a
// family whose TYPE came first; histograms have cumulative buckets ending in le="+Inf" == _count.

#include <optional>
#include <string>
#include <string_view>

namespace inkan::http::testing {

/// Every problem found, one per line; empty when the text is valid.
std::string prometheus_problems(std::string_view text);

/// The value of the sample written exactly as `series` (e.g. `x_total{a="b"}`), if present.
std::optional<double> prometheus_sample(std::string_view text, std::string_view series);

}  // namespace inkan::http::testing
