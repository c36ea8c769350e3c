// `inkan hsm status|keys`: what the token is and what it holds, for operators.

#include <algorithm>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <inkan/core/encoding.h>
#include <inkan/hsm/token.h>

#include "args.h"
#include "commands.h"
#include "context.h"

namespace inkan::app {

namespace {

nlohmann::json flag_json(const std::optional<bool>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

std::string flag_text(const std::optional<bool>& v) {
    if (!v) {
        return "-";
    }
    return *v ? "yes" : "no";
}

/// Characters, not bytes: a UTF-8 label must not push its row out of line.
std::size_t display_width(std::string_view s) {
    return static_cast<std::size_t>(std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U; }));
}

}  // namespace

int cmd_hsm_status(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"json"}, {"data"}};
    const auto opened = open_runtime(args.option_or("data", ""));
    const hsm::TokenInfo info = opened->token.info();
    const hsm::PoolStats pool = opened->token.pool_stats();
    if (args.flag("json")) {
        const nlohmann::json j = {
            {"module",
             {{"path", info.module_path.string()},
              {"description", info.library_description},
              {"manufacturer", info.library_manufacturer},
              {"version", info.library_version},
              {"cryptoki_version", info.cryptoki_version}}},
            {"token",
             {{"slot_id", info.slot_id},
              {"label", info.label},
              {"manufacturer", info.manufacturer},
              {"model", info.model},
              {"serial", info.serial},
              {"initialized", info.token_initialized},
              {"user_pin_initialized", info.user_pin_initialized},
              {"user_pin_locked", info.user_pin_locked},
              {"user_pin_count_low", info.user_pin_count_low},
              {"login_required", info.login_required}}},
            {"pool", {{"size", pool.size}, {"open", pool.open}, {"in_use", pool.in_use}}},
        };
        io.out << j.dump(2) << "\n";
        return 0;
    }
    io.out << "module:   " << info.module_path.string() << "\n"
           << "          " << info.library_description << " " << info.library_version << " ("
           << info.library_manufacturer << "), Cryptoki " << info.cryptoki_version << "\n"
           << "token:    " << info.label << " (slot " << info.slot_id << ")\n"
           << "          " << info.manufacturer << " " << info.model << ", serial " << info.serial << "\n"
           << "user PIN: "
           << (info.user_pin_locked ? "LOCKED" : (info.user_pin_count_low ? "ok (count low)" : "ok")) << "\n"
           << "login:    ok\n";
    return 0;
}

int cmd_hsm_keys(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"json"}, {"data"}};
    const auto opened = open_runtime(args.option_or("data", ""));
    const auto objects = opened->token.objects();
    if (args.flag("json")) {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& o : objects) {
            arr.push_back({{"class", std::string{hsm::name(o.object_class)}},
                           {"label", o.label},
                           {"id", hex_encode(o.id)},
                           {"type", o.key_type},
                           {"bits", o.bits},
                           {"sensitive", flag_json(o.sensitive)},
                           {"extractable", flag_json(o.extractable)},
                           {"always_sensitive", flag_json(o.always_sensitive)},
                           {"never_extractable", flag_json(o.never_extractable)},
                           {"private", flag_json(o.is_private)},
                           {"token", flag_json(o.on_token)}});
        }
        io.out << arr.dump(2) << "\n";
        return 0;
    }
    // Column widths from the cells themselves: fixed widths let a long label or a 20-byte id push the
    // rest of its row out of line (issue 25).
    std::vector<std::vector<std::string>> rows{
        {"CLASS", "LABEL", "ID", "TYPE", "BITS", "SENSITIVE", "EXTRACTABLE"}};
    for (const auto& o : objects) {
        rows.push_back({std::string{hsm::name(o.object_class)}, o.label, hex_encode(o.id), o.key_type,
                        std::to_string(o.bits), flag_text(o.sensitive), flag_text(o.extractable)});
    }
    std::vector<std::size_t> widths(rows.front().size(), 0);
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < row.size(); ++i) {
            widths[i] = std::max(widths[i], display_width(row[i]));
        }
    }
    std::ostringstream table;
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < row.size(); ++i) {
            table << row[i];
            if (i + 1 < row.size()) {
                table << std::string(widths[i] - display_width(row[i]) + 2, ' ');
            }
        }
        table << "\n";
    }
    io.out << table.str();
    if (objects.empty()) {
        io.out << "(no objects)\n";
    }
    return 0;
}

}  // namespace inkan::app
