// `inkan tl fetch [--lotl URL|FILE] [--cache DIR] [--allow ORIGIN]... [--timeout-ms N]` and
// `inkan tl show FILE|DIR... [--list-signer PEM]... [--json] [--at RFC3339]` (issue 17, decisions 0030,
// 0035: pivot LOTLs, expired lists):
// ETSI TS 119 612 trusted lists. Fetching goes only through net::UrlGuard, strict by default (public
// addresses only): a list's pointers are URLs from a document, so the guard applies as to any of them.

#include <filesystem>
#include <string>

#include <inkan/core/clock.h>
#include <inkan/core/error.h>
#include <inkan/pki/certificate.h>
#include <inkan/tl/trusted_list.h>

#include "args.h"
#include "commands.h"
#include "context.h"

namespace inkan::app {

namespace {

/// The EU LOTL (Commission Implementing Decision (EU) 2015/1505, as published).
constexpr const char* kEuLotl = "https://ec.europa.eu/tools/lotl/eu-lotl.xml";

}  // namespace

std::vector<Bytes> certificates_of_pem_files(const std::vector<std::string>& files, const std::string& what) {
    std::vector<Bytes> out;
    for (const auto& f : files) {
        std::string pem;
        try {
            pem = read_text_file(f, Errc::NotFound);
        } catch (const Error&) {
            throw InputError{"cannot read the " + what + " file " + f};
        }
        try {
            for (const auto& c : pki::certificates_from_pem(pem))
                out.push_back(c.der());
        } catch (const Error& e) {
            throw InputError{f + " holds no PEM certificate: " + e.detail()};
        }
    }
    return out;
}

int cmd_tl_fetch(const std::vector<std::string>& words, Io io) {
    const Args args{words, {}, {"lotl", "cache", "allow", "timeout-ms"}};
    if (!args.positional().empty()) throw UsageError{"tl fetch takes no positional argument"};
    tl::FetchOptions options;
    for (const auto& a : args.values("allow")) {
        try {
            options.guard.allow(a);
        } catch (const Error& e) {
            throw UsageError{"--allow " + a + ": " + e.detail()};
        }
    }
    if (args.option("timeout-ms")) options.timeout = timeout_option(args);
    const std::string lotl = args.option_or("lotl", kEuLotl);
    const std::string cache = args.option_or("cache", "tl-cache");
    const auto r = tl::fetch(lotl, cache, options);
    for (const auto& f : r.fetched)
        io.out << "fetched " << f << "\n";
    for (const auto& k : r.kept)
        io.out << "kept " << k << " (next update still ahead)\n";
    for (const auto& f : r.failed)
        io.err << "inkan: failed " << f << "\n";
    io.out << "check the lists with: inkan tl show " << cache << " --list-signer LOTL-SIGNER.pem\n";
    return r.failed.empty() ? 0 : 1;
}

int cmd_tl_show(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"json"}, {"list-signer", "at"}};
    if (args.positional().empty()) throw UsageError{"tl show takes at least one FILE or DIR"};
    tl::LoadOptions options;
    options.list_signers = certificates_of_pem_files(args.values("list-signer"), "list signer");
    TimePoint at = std::chrono::system_clock::now();
    if (const auto t = args.option("at")) {
        try {
            at = parse_rfc3339(*t);
        } catch (const Error&) {
            throw UsageError{"--at takes an RFC 3339 time, e.g. 2026-01-31T12:00:00Z"};
        }
    }
    std::vector<std::filesystem::path> inputs;
    for (const auto& p : args.positional()) {
        if (!std::filesystem::exists(p)) throw InputError{"cannot read " + p};
        inputs.emplace_back(p);
    }
    const auto set = tl::load(inputs, options);
    io.out << (args.flag("json") ? tl::to_json(set, at) : tl::to_text(set, at));
    for (const auto& l : set.lists) {
        if (l.role == "superseded") continue;  // reported, never used
        if (l.signature != tl::SignatureStatus::Valid || l.expired) return 1;
    }
    return 0;
}

}  // namespace inkan::app
