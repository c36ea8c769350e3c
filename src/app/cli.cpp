#include "cli.h"

#include <ostream>

#include <inkan/version.h>

namespace inkan::app {

int run_cli(const std::vector<std::string>& args, std::istream& /*in*/, std::ostream& out, std::ostream& err) {
    if (!args.empty() && args[0] == "--version") {
        out << "inkan " << kVersion << "\n";
        return 0;
    }
    err << "inkan: the command line is being written\n";
    return 2;
}

}  // namespace inkan::app
