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
#include <inkan/storage/sqlite.h>
#include <inkan/storage/sqlite_service_stores.h>

#include "args.h"
#include "commands.h"
#include "context.h"
#include "lifecycle.h"

namespace inkan::app {

int cmd_status(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"json"}, {"data"}};
    if (!args.positional().empty()) {
        throw UsageError{"status takes no arguments"};
    }
    const auto data_dir = resolve_data_dir(args.option_or("data", ""));
    const Config config = load_config(data_dir);
    const auto db_file = config.path("storage.sqlite");
    require(db_file.has_value(), Errc::InvalidConfig, "storage.sqlite is not configured");
    storage::SqliteCredentialStore credentials{std::make_shared<storage::Database>(*db_file)};
    const LifecycleReport r = lifecycle_report(config, credentials, SystemClock::instance().now());
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

}  // namespace inkan::app
