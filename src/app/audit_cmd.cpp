// `inkan audit verify|export|anchor|anchors`: the operator's (and auditor's) view of the audit chain
// and of its TSA anchors (decision 0017).

#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include <inkan/core/clock.h>
#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/pki/certificate.h>
#include <inkan/service/audit.h>
#include <inkan/service/audit_anchor.h>

#include "args.h"
#include "commands.h"
#include "service_context.h"
#include "tsa_setup.h"

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

/// What an anchor's token must chain to: the root (last certificate) of the default TSA identity's
/// chain ([tsa] certificate). None without a [tsa]: the token's signature is still checked.
std::vector<Bytes> tsa_trust_anchors(const Config& config) {
    const auto chain = config.path("tsa.certificate");
    if (!chain) {
        return {};
    }
    const auto certs = pki::certificates_from_pem(read_text_file(*chain));
    if (certs.empty()) {
        return {};
    }
    return {certs.back().der()};
}

nlohmann::json anchor_json(const service::AuditAnchor& a) {
    return nlohmann::json{
        {"id", a.id}, {"seq", a.seq}, {"head_hash", hex_encode(a.head_hash)}, {"at", format_rfc3339(a.at)}};
}

}  // namespace

int cmd_audit_verify(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"json"}, {"data"}};
    if (!args.positional().empty()) {
        throw UsageError{"audit verify takes no arguments"};
    }
    auto o = open_service(args.option_or("data", ""));
    const service::AuditVerification v = o.service->audit().verify();
    // The chain finds edits in the middle; the anchors find newest entries deleted (truncation).
    const service::AnchorVerification a =
        o.service->audit_anchoring().verify(tsa_trust_anchors(o.runtime->config));
    if (args.flag("json")) {
        nlohmann::json out{{"ok", v.ok && a.ok}, {"entries", v.entries}, {"anchors", a.anchors}};
        if (v.first_bad_seq) {
            out["first_bad_seq"] = *v.first_bad_seq;
            out["problem"] = v.problem;
        }
        if (!a.ok) {
            out["anchor_problem"] = a.problem;
        }
        if (a.latest) {
            out["latest_anchor"] = anchor_json(*a.latest);
        }
        io.out << out.dump(2) << "\n";
    } else {
        if (v.ok) {
            io.out << "inkan: the audit chain is intact (" << v.entries << " entries)\n";
        } else {
            io.out << "inkan: the audit chain is BROKEN at entry " << *v.first_bad_seq << ": " << v.problem
                   << "\n";
        }
        if (!a.ok) {
            io.out << "inkan: " << a.problem << "\n";
        } else if (a.latest) {
            io.out << "inkan: " << a.anchors << " anchors verify; the newest (" << a.latest->id
                   << ") covers entry #" << a.latest->seq << " at " << format_rfc3339(a.latest->at) << "\n";
        } else {
            io.out << "inkan: the audit chain has no anchors yet (truncation of its newest entries cannot "
                      "be detected)\n";
        }
    }
    return v.ok && a.ok ? 0 : 1;
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

int cmd_audit_anchor(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"json"}, {"data"}};
    if (!args.positional().empty()) {
        throw UsageError{"audit anchor takes no arguments"};
    }
    auto o = open_service(args.option_or("data", ""));
    const TsaSetup tsa = make_tsa(o.runtime->config, o.runtime->token, SystemClock::instance());
    require(tsa.authority != nullptr, Errc::InvalidConfig, "audit anchor needs inkan's TSA ([tsa] key_id)");
    const auto anchor = o.service->audit_anchoring().anchor(*tsa.authority, true);
    if (args.flag("json")) {
        io.out << (anchor ? anchor_json(*anchor) : nlohmann::json{{"id", nullptr}}).dump(2) << "\n";
    } else if (anchor) {
        io.out << "inkan: anchor " << anchor->id << " covers entry #" << anchor->seq << " (hash "
               << hex_encode(anchor->head_hash) << ") at " << format_rfc3339(anchor->at) << "\n";
    } else {
        io.out << "inkan: the audit log is empty: nothing to anchor\n";
    }
    return 0;
}

int cmd_audit_anchors(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"json"}, {"data", "export"}};
    if (!args.positional().empty()) {
        throw UsageError{"audit anchors takes no arguments"};
    }
    auto o = open_service(args.option_or("data", ""));
    const auto all = o.service->audit_anchoring().anchors();
    const auto dir = args.option("export");
    if (dir) {
        std::filesystem::create_directories(*dir);
    }
    nlohmann::json list = nlohmann::json::array();
    for (const auto& a : all) {
        nlohmann::json j = anchor_json(a);
        if (dir) {
            const std::filesystem::path file =
                std::filesystem::path{*dir} / ("anchor-" + std::to_string(a.id) + ".tst");
            write_output(file, a.token);
            j["file"] = file.string();
        }
        list.push_back(std::move(j));
    }
    if (args.flag("json")) {
        io.out << list.dump(2) << "\n";
    } else {
        for (const auto& j : list) {
            io.out << j["id"].get<std::uint64_t>() << "  #" << j["seq"].get<std::uint64_t>() << "  "
                   << j["at"].get<std::string>() << "  " << j["head_hash"].get<std::string>()
                   << (j.contains("file") ? "  " + j["file"].get<std::string>() : std::string{}) << "\n";
        }
    }
    return 0;
}

}  // namespace inkan::app
