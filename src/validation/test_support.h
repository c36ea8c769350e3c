#pragma once

// What the validation tests share: the report in a failure message, and a verdict as one string.

#include <string>

#include <inkan/validation/report.h>

namespace inkan::validation::test {

/// The whole report as JSON, for failure messages.
inline std::string show(const DocumentReport& d) {
    return to_json({d});
}

/// "TOTAL-PASSED", "INDETERMINATE/TRY_LATER", ... for a signature or a time-stamp.
template <typename R>
std::string indication(const R& r) {
    std::string out{name(r.verdict.indication)};
    if (r.verdict.subindication) out += "/" + std::string{name(*r.verdict.subindication)};
    return out;
}

}  // namespace inkan::validation::test
