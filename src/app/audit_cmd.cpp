// `inkan audit verify|export`: the operator's (and auditor's) view of the audit chain.

#include <fstream>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include <inkan/core/clock.h>
#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/service/audit.h>

#include "args.h"
#include "commands.h"
#include "service_context.h"

namespace inkan::app {

namespace {

/// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
std::string csv_field(std::string_view v) {
    if (v.find_first_of(",\"\r\n") == std::string_view::npos) {
        return std::string{v};
    }
    std::string out = "\"";
    for (const char c : v) {
        if (c == '"') {
            out += '"';
        }
        out += c;
    }
    out += '"';
    return out;
}

std::optional<TimePoint> time_option(const Args& args, const std::string& name) {
    const auto v = args.option(name);
    if (!v) {
        return std::nullopt;
    }
    try {
        return parse_rfc3339(*v);
    } catch (const Error&) {
        throw UsageError{"--" + name + " must be an RFC 3339 time, e.g. 2026-01-31T00:00:00Z"};
    }
}

nlohmann::json entry_json(const service::AuditEntry& e) {
    nlohmann::json details = nlohmann::json::parse(e.event.details, nullptr, false);
    if (details.is_discarded()) {
        details = e.event.details;  // not JSON (edited?): exported as text
    }
    return nlohmann::json{{"seq", e.seq},
                          {"at", format_rfc3339(e.at)},
                          {"action", e.event.action},
                          {"outcome", e.event.outcome},
                          {"user_id", e.event.user_id},
                          {"client_id", e.event.client_id},
                          {"credential_id", e.event.credential_id},
                          {"member_id", e.event.member_id},
                          {"operator", e.event.operator_name},
                          {"details", details},
                          {"prev_hash", hex_encode(e.prev_hash)},
                          {"hash", hex_encode(e.hash)}};
}

}  // namespace

int cmd_audit_verify(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"json"}, {"data"}};
    if (!args.positional().empty()) {
        throw UsageError{"audit verify takes no arguments"};
    }
    auto o = open_service(args.option_or("data", ""));
    const service::AuditVerification v = o.service->audit().verify();
    if (args.flag("json")) {
        nlohmann::json out{{"ok", v.ok}, {"entries", v.entries}};
        if (v.first_bad_seq) {
            out["first_bad_seq"] = *v.first_bad_seq;
            out["problem"] = v.problem;
        }
        io.out << out.dump(2) << "\n";
    } else if (v.ok) {
        io.out << "inkan: the audit chain is intact (" << v.entries << " entries)\n";
    } else {
        io.out << "inkan: the audit chain is BROKEN at entry " << *v.first_bad_seq << ": " << v.problem
               << "\n";
    }
    return v.ok ? 0 : 1;
}

int cmd_audit_export(const std::vector<std::string>& words, Io io) {
    const Args args{words, {}, {"data", "from", "to", "format", "o"}};
    if (!args.positional().empty()) {
        throw UsageError{"audit export takes no arguments"};
    }
    const std::string format = args.option_or("format", "csv");
    if (format != "csv" && format != "json") {
        throw UsageError{"--format must be csv or json"};
    }
    const auto from = time_option(args, "from");
    const auto to = time_option(args, "to");
    auto o = open_service(args.option_or("data", ""));
    const auto entries = o.service->audit().range(from, to);

    std::ostringstream text;
    if (format == "json") {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& e : entries) {
            arr.push_back(entry_json(e));
        }
        text << arr.dump(2) << "\n";
    } else {
        text << "seq,at,action,outcome,user_id,client_id,credential_id,member_id,operator,details,prev_hash,"
                "hash\r\n";
        for (const auto& e : entries) {
            text << e.seq << ',' << format_rfc3339(e.at) << ',' << csv_field(e.event.action) << ','
                 << csv_field(e.event.outcome) << ',' << csv_field(e.event.user_id) << ','
                 << csv_field(e.event.client_id) << ',' << csv_field(e.event.credential_id) << ','
                 << csv_field(e.event.member_id) << ',' << csv_field(e.event.operator_name) << ','
                 << csv_field(e.event.details) << ',' << hex_encode(e.prev_hash) << ',' << hex_encode(e.hash)
                 << "\r\n";
        }
    }
    const auto path = args.option("o");
    if (!path || *path == "-") {
        io.out << text.str();
    } else {
        std::ofstream f{*path, std::ios::binary | std::ios::trunc};
        f << text.str();
        f.close();
        if (!f) {
            throw Error{Errc::IoFailure, "cannot write " + *path};
        }
        io.err << "inkan: exported " << entries.size() << " audit entries to " << *path << "\n";
    }
    return 0;
}

}  // namespace inkan::app
