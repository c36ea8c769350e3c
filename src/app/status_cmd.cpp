// `inkan migrate`: the configured database's schema brought up to this build's version.
// `inkan status`: the certificate lifecycle report (lifecycle.h) — what /metrics and /readyz of a
// serving node show — from the configuration's files and the database, without the HSM.

#include <cmath>
#include <iomanip>
#include <memory>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include <inkan/core/clock.h>
#include <inkan/core/error.h>

#include "args.h"
#include "commands.h"
#include "context.h"
#include "lifecycle.h"
#include "storage_backend.h"

namespace inkan::app {

int cmd_status(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"json"}, {"data"}};
    if (!args.positional().empty()) {
        throw UsageError{"status takes no arguments"};
    }
    const auto data_dir = resolve_data_dir(args.option_or("data", ""));
    const Config config = load_config(data_dir);
    const auto credentials = StorageBackend::open(config)->credentials();
    const LifecycleReport r = lifecycle_report(config, *credentials, SystemClock::instance().now());
    if (args.flag("json")) {
        nlohmann::json certs = nlohmann::json::array();
        for (const auto& c : r.certificates) {
            certs.push_back({{"role", c.role},
                             {"name", c.name},
                             {"subject", c.subject},
                             {"not_after", format_rfc3339(c.not_after)},
                             {"days_left", c.days_left}});
        }
        io.out << nlohmann::json{{"certificates", certs},
                                 {"credentials_expiring", r.credentials_expiring},
                                 {"credential_window_days", r.credential_window_days},
                                 {"warn_days", r.warn_days},
                                 {"warnings", r.warnings}}
                      .dump()
               << "\n";
        return 0;
    }
    io.out << "certificates (warned within " << r.warn_days << " days):\n";
    for (const auto& c : r.certificates) {
        io.out << "  " << std::left << std::setw(5) << c.role << " " << std::setw(16) << c.name << " "
               << format_rfc3339(c.not_after) << "  " << static_cast<long>(std::floor(c.days_left))
               << " days  " << c.subject << "\n";
    }
    io.out << "credentials expiring within " << r.credential_window_days
           << " days: " << r.credentials_expiring << "\n";
    if (r.warnings.empty()) {
        io.out << "warnings: none\n";
    } else {
        io.out << "warnings:\n";
        for (const auto& w : r.warnings) {
            io.out << "  " << w << "\n";
        }
    }
    return 0;
}

int cmd_migrate(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"json"}, {"data"}};
    if (!args.positional().empty()) {
        throw UsageError{"migrate takes no arguments"};
    }
    const auto data_dir = resolve_data_dir(args.option_or("data", ""));
    const Config config = load_config(data_dir);
    // Only the database: no HSM, so it runs before the new version's nodes start.
    const MigrationReport r = migrate_storage(config);
    if (args.flag("json")) {
        io.out << nlohmann::json{{"backend", r.kind}, {"from", r.from}, {"to", r.to}}.dump() << "\n";
        return 0;
    }
    io.out << r.kind << " schema: version " << r.from << " -> " << r.to
           << (r.from == r.to ? " (up to date)\n" : "\n");
    return 0;
}

}  // namespace inkan::app
