#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace inkan::app {

/// Runs the inkan command line. Returns the process exit status: 0 success, 1 a failed operation,
/// 2 a usage error. Writes results to `out` and diagnostics to `err`.
int run_cli(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace inkan::app
