// `inkan verify [--trust-anchor PEM]... [--content FILE | --content URI=FILE...] [--online [--timeout-ms N]
// [--proxy URL]] [--trusted-list FILE|DIR]... [--list-signer PEM]... [--trust-file TOML]... [--at RFC3339]
// [--policy FILE] [--json] [--etsi-report OUT.xml] FILE...` (issues 15, 16): ETSI EN 319 102-1 validation of
// every signature and time-stamp in each FILE (PDF, CMS or XML), offline unless
// --online: then revocation data the file lacks is fetched (OCSP, else CRL) and missing intermediates come
// from AIA caIssuers, through the same fetcher, URL guard and per-operation budget as `inkan extend`.
// Exit 0 when every signature and document time-stamp of every file is TOTAL-PASSED, 1 when any is not
// (or a file cannot be parsed: its report has `error`), 2 for usage errors and files that cannot be read.
// With --csv OUT and/or --json-report OUT (issue 17, decision 0029) it is a batch: verify_batch.cpp.

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>

#include <inkan/core/clock.h>
#include <inkan/core/error.h>
#include <inkan/net/url_guard.h>
#include <inkan/pki/certificate.h>
#include <inkan/pki/revocation.h>
#include <inkan/tl/trusted_list.h>
#include <inkan/validation/validator.h>

#include "args.h"
#include "commands.h"
#include "context.h"
#include "trust_config.h"
#include "verify_batch.h"

namespace inkan::app {

namespace fs = std::filesystem;

namespace {

BatchRequest batch_request(const Args& args) {
    BatchRequest r;
    r.inputs = args.positional();
    r.csv = args.option("csv");
    r.json_report = args.option("json-report");
    if (args.flag("json") && !r.json_report) r.json_report = "-";
    if (r.csv == std::optional<std::string>{"-"} && r.json_report == std::optional<std::string>{"-"}) {
        throw UsageError{"the CSV and the JSON report cannot both go to standard output"};
    }
    r.excel = args.flag("excel");
    r.overwrite = args.flag("force") ? Overwrite::Allow : Overwrite::Refuse;
    // Before the first file is validated: a refused report costs no batch.
    for (const auto& target : {r.csv, r.json_report}) {
        if (target && *target != "-") refuse_existing_output(*target, r.overwrite);
    }
    if (args.option("etsi-report")) throw UsageError{"--etsi-report is for single runs, not with --csv"};
    if (const auto jobs = args.option("jobs")) {
        try {
            std::size_t used = 0;
            const long n = std::stol(*jobs, &used);
            if (used != jobs->size() || n < 1 || n > 1024) throw std::invalid_argument{"range"};
            r.jobs = static_cast<unsigned>(n);
        } catch (const std::exception&) {
            throw UsageError{"--jobs takes a number of worker threads from 1 to 1024"};
        }
    }
    return r;
}

/// --data DIR (its inkan.toml's [validation]), --trust-file (the operator's trust file, e.g. Japan's
/// accredited TSAs, or an inkan.toml), --trusted-list and --list-signer (ETSI TS 119 612 lists): trust
/// services and anchors into `options` through the loader `inkan serve` uses too (decisions 0030, 0035).
/// Lists that are not used (a signature that fails, past their next update) are said on stderr.
void apply_trust_configuration(const Args& args, validation::Options& options, std::ostream& err) {
    std::vector<fs::path> files;
    if (const auto data = args.option("data")) {
        const fs::path config = config_path(resolve_data_dir(*data));
        if (!fs::is_regular_file(config))
            throw InputError{*data + " is not an inkan data directory (no inkan.toml)"};
        files.push_back(config);
    }
    for (const auto& f : args.values("trust-file")) {
        if (!fs::is_regular_file(f)) throw InputError{"cannot read the trust file " + f};
        files.emplace_back(f);
    }
    std::vector<fs::path> lists;
    for (const auto& l : args.values("trusted-list")) {
        if (!fs::exists(l)) throw InputError{"cannot read the trusted list " + l};
        lists.emplace_back(l);
    }
    const TrustConfiguration trust = load_trust_configuration(
        files, lists, certificates_of_pem_files(args.values("list-signer"), "list signer"));
    // An explicit --trust-file is a trust configuration even when it grants nothing ("no", not "unknown").
    options.trust_configured = trust.configured || args.option("trust-file").has_value();
    for (const auto& p : trust.problems)
        err << "inkan: " << p << "\n";
    // Stale is judged now, whatever --at says: whether the copy held is the current one is a question
    // about today.
    (void)validation::apply_sources(trust.sources, options, std::chrono::system_clock::now());
}

}  // namespace

int cmd_verify(const std::vector<std::string>& words, Io io) {
    const Args args{words,
                    {"json", "online", "excel", "force"},
                    {"trust-anchor", "content", "at", "policy", "etsi-report", "timeout-ms", "proxy", "csv",
                     "jobs", "json-report", "trusted-list", "list-signer", "trust-file", "data"}};
    if (args.positional().empty()) {
        throw UsageError{"verify takes at least one FILE"};
    }
    validation::Options options;
    for (const auto& pem_file : args.values("trust-anchor")) {
        std::ifstream in{pem_file, std::ios::binary};
        if (!in.good()) throw InputError{"cannot read the trust anchor file " + pem_file};
        const std::string pem{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
        try {
            for (const auto& c : pki::certificates_from_pem(pem))
                options.trust_anchors.push_back(c.der());
        } catch (const Error& e) {
            throw InputError{pem_file + " holds no PEM certificate: " + e.detail()};
        }
    }
    apply_trust_configuration(args, options, io.err);
    if (const auto at = args.option("at")) {
        try {
            options.validation_time = parse_rfc3339(*at);
        } catch (const Error&) {
            throw UsageError{"--at takes an RFC 3339 time, e.g. 2026-01-31T12:00:00Z"};
        }
    }
    if (const auto policy = args.option("policy")) {
        if (!fs::is_regular_file(*policy)) throw InputError{"cannot read the policy file " + *policy};
        options.policy = validation::load_policy(*policy);  // a bad policy: InvalidConfig, exit 1
    }
    // --online: the user's own CLI fetches with the user's own reach, like `inkan extend` (decision 0016:
    // UrlGuard::permissive(), http/https only, no redirects; detailed errors stay local). Every URL comes
    // from a certificate in the file and goes through the fetcher's guard and the file's budget.
    std::unique_ptr<pki::RevocationFetcher> fetcher;
    if (args.flag("online")) {
        pki::RevocationOptions revocation;
        revocation.guard = net::UrlGuard::permissive();
        revocation.timeout = timeout_option(args);
        revocation.proxy = args.option("proxy");
        fetcher = std::make_unique<pki::RevocationFetcher>(std::move(revocation));
        options.revocation_fetch = validation::revocation_through(*fetcher);
        options.issuer_fetch = validation::issuers_through(*fetcher);
    } else if (args.option("timeout-ms") || args.option("proxy")) {
        throw UsageError{"--timeout-ms and --proxy are for --online"};
    }
    // --content FILE: a detached CMS's content (or the one external reference of a XAdES);
    // --content URI=FILE (repeatable): the document a detached XAdES reference names by URI.
    std::optional<validation::ContentDigest> content;
    std::vector<validation::NamedContent> named;
    for (const auto& c : args.values("content")) {
        if (fs::is_regular_file(c)) {
            if (content) throw UsageError{"--content FILE is given once; name XAdES documents with URI=FILE"};
            content = validation::digest_of_file(c);
            named.push_back(validation::content_of_file("", c));
            continue;
        }
        const auto eq = c.find('=');
        if (eq == std::string::npos || eq == 0) throw InputError{"cannot read the content file " + c};
        const std::string file = c.substr(eq + 1);
        if (!fs::is_regular_file(file)) throw InputError{"cannot read the content file " + file};
        named.push_back(validation::content_of_file(c.substr(0, eq), file));
    }
    // Issue 17: a batch (CSV and/or a JSON report file, directories, names on stdin, a worker pool).
    if (args.option("csv") || args.option("json-report")) {
        return run_verify_batch(batch_request(args), options, content, named, fetcher.get(), io);
    }
    if (args.flag("excel") || args.option("jobs")) throw UsageError{"--excel and --jobs are for --csv"};
    const Overwrite overwrite = args.flag("force") ? Overwrite::Allow : Overwrite::Refuse;
    if (const auto xml = args.option("etsi-report")) refuse_existing_output(*xml, overwrite);
    std::vector<validation::DocumentReport> reports;
    for (const auto& file : args.positional()) {
        std::ifstream probe{file, std::ios::binary};
        if (!probe.good() || fs::is_directory(file)) {
            io.err << "inkan: cannot read " << file << "\n";
            return 2;
        }
        // One budget per file: what one validation may spend on fetches (time, bytes, requests).
        std::optional<net::ScopedFetchBudget> budget;
        if (fetcher) budget.emplace(fetcher->budget());
        reports.push_back(validation::validate_file(file, content, options, named));
    }
    io.out << (args.flag("json") ? validation::to_json(reports) : validation::to_text(reports));
    if (const auto xml = args.option("etsi-report")) {
        // ETSI TS 119 102-2: one report for the whole invocation, covering every signature.
        write_output(*xml,
                     validation::to_etsi_xml(
                         reports, options.validation_time.value_or(std::chrono::system_clock::now())),
                     overwrite);
    }
    if (options.trust_anchors.empty() && !args.flag("json")) {
        // (a trusted list whose signature fails adds no anchor either: `inkan tl show` says why)
        io.err << "inkan: no --trust-anchor given: no chain can be trusted (INDETERMINATE)\n";
    }
    for (const auto& r : reports) {
        if (!r.all_passed()) return 1;
    }
    return 0;
}

}  // namespace inkan::app
