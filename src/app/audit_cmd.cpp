// `inkan audit verify|export|anchor|anchors|archive`: the operator's (and auditor's) view of the audit
// chain, of its TSA anchors (decision 0017) and of its archives (decision 0036).

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <inkan/ades/time_stamper.h>
#include <inkan/core/clock.h>
#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>
#include <inkan/pki/certificate.h>
#include <inkan/service/admin.h>
#include <inkan/service/audit.h>
#include <inkan/service/audit_anchor.h>
#include <inkan/service/audit_archive.h>
#include <inkan/sign/hsm_signer.h>

#include "args.h"
#include "commands.h"
#include "service_context.h"
#include "tsa_setup.h"

namespace inkan::app {

namespace {

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

/// `audit export`'s selection: every given filter must match (names or ids, decision 0039).
struct ExportFilter {
    std::optional<std::string> actor;
    std::optional<std::string> action;  ///< "user.add", or a family: "user" is user.add, user.lock, ...
    std::optional<std::string> user;
    std::optional<std::string> credential;
    std::optional<std::string> outcome;  ///< a recorded outcome, or "failed" for every one but "ok"

    [[nodiscard]] bool matches(const service::NamedAuditEntry& n) const {
        const service::AuditEvent& ev = n.entry.event;
        if (actor && !n.actor_is(*actor)) {
            return false;
        }
        if (action && ev.action != *action && ev.action.rfind(*action + ".", 0) != 0) {
            return false;
        }
        // The user an entry is about: its user (or the name a failed login tried) or a seal member.
        if (user && ev.user_id != *user && n.user_name != *user && ev.member_id != *user &&
            n.member_name != *user) {
            return false;
        }
        if (credential && ev.credential_id != *credential && n.credential_name != *credential) {
            return false;
        }
        if (outcome && !(*outcome == "failed" ? ev.outcome != "ok" : ev.outcome == *outcome)) {
            return false;
        }
        return true;
    }
};

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

/// What archives and checkpoints are checked against: the configured seal's certificate ([seal]
/// certificate, its first) and the TSA's root. Without a [seal] the certificate is empty and every
/// seal check names that.
service::AuditArchiveTrust archive_trust(const Config& config) {
    service::AuditArchiveTrust trust;
    trust.tsa_anchors = tsa_trust_anchors(config);
    if (const auto chain = config.path("seal.certificate")) {
        const auto certs = pki::certificates_from_pem(read_text_file(*chain));
        if (!certs.empty()) {
            trust.seal_certificate = certs.front().der();
        }
    }
    return trust;
}

nlohmann::json checkpoint_json(const service::AuditCheckpoint& c) {
    return nlohmann::json{{"id", c.id},
                          {"first_seq", c.first_seq},
                          {"last_seq", c.last_seq},
                          {"count", c.count},
                          {"prev_hash", hex_encode(c.prev_hash)},
                          {"last_hash", hex_encode(c.last_hash)},
                          {"archive", c.archive_name},
                          {"archive_sha256", hex_encode(c.archive_sha256)},
                          {"before", format_rfc3339(c.before)},
                          {"archived_at", format_rfc3339(c.archived_at)}};
}

std::string range_text(std::uint64_t first, std::uint64_t last) {
    return "#" + std::to_string(first) + " to #" + std::to_string(last);
}

Bytes read_binary(const std::filesystem::path& file) {
    std::ifstream in{file, std::ios::binary};
    if (!in) {
        throw InputError{"cannot read " + file.string()};
    }
    return Bytes{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

/// One archive file given to `audit verify --archive`, checked against the database.
struct ArchiveResult {
    std::string file;
    service::AuditArchiveCheck check;
};

/// Checks each file, the anchors that fall into it, and that together they cover every checkpoint (a
/// deleted or withheld archive is named by its checkpoint). Problems go into each result or `global`.
std::vector<ArchiveResult> verify_archives(const std::vector<std::string>& files,
                                           const service::AuditArchiveTrust& trust,
                                           const std::vector<service::AuditCheckpoint>& checkpoints,
                                           const std::vector<service::AuditAnchor>& anchors,
                                           std::vector<std::string>& global) {
    std::vector<ArchiveResult> out;
    for (const auto& f : files) {
        ArchiveResult r{f, service::check_audit_archive(read_binary(f), trust, &checkpoints)};
        // An anchor over an archived entry: the archive must hold that entry with the anchored hash.
        for (const auto& a : anchors) {
            if (r.check.entries.empty() || a.seq < r.check.first_seq || a.seq > r.check.last_seq) {
                continue;
            }
            const auto it = std::find_if(r.check.entries.begin(), r.check.entries.end(),
                                         [&](const service::AuditEntry& e) { return e.seq == a.seq; });
            if (it == r.check.entries.end() || it->hash != a.head_hash) {
                r.check.ok = false;
                r.check.problems.push_back("anchor " + std::to_string(a.id) + " covers entry #" +
                                           std::to_string(a.seq) + " with hash " + hex_encode(a.head_hash) +
                                           ", which the archive does not hold");
            }
        }
        out.push_back(std::move(r));
    }
    for (const auto& c : checkpoints) {
        const bool covered = std::any_of(
            out.begin(), out.end(), [&](const ArchiveResult& r) { return r.check.checkpoint_id == c.id; });
        if (!covered) {
            global.push_back("checkpoint " + std::to_string(c.id) + " (entries " +
                             range_text(c.first_seq, c.last_seq) + ", archive \"" + c.archive_name +
                             "\", SHA-256 " + hex_encode(c.archive_sha256) +
                             "): its archive file is missing from those given");
        }
    }
    return out;
}

/// Writes `data` to `out` durably and only if `out` does not exist: a temporary file beside it, written
/// and fsync'ed, then hard-linked to `out` (link(2) fails if `out` exists, so nothing is ever
/// replaced), the temporary name removed and the directory fsync'ed (the new name survives a crash).
void write_new_file_durably(const std::filesystem::path& out, ByteView data) {
    const std::filesystem::path dir = out.has_parent_path() ? out.parent_path() : std::filesystem::path{"."};
    const std::filesystem::path tmp = dir / ("." + out.filename().string() + ".inkan-tmp");
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) {
        throw Error{Errc::IoFailure, "cannot create " + tmp.string() + ": " + std::strerror(errno)};
    }
    bool ok = true;
    std::size_t done = 0;
    while (ok && done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        ok = n > 0;
        done += ok ? static_cast<std::size_t>(n) : 0;
    }
    ok = ok && ::fsync(fd) == 0;
    ok = (::close(fd) == 0) && ok;
    if (!ok) {
        ::unlink(tmp.c_str());
        throw Error{Errc::IoFailure, "cannot write " + out.string() + ": " + std::strerror(errno)};
    }
    if (::link(tmp.c_str(), out.c_str()) != 0) {
        const int e = errno;
        ::unlink(tmp.c_str());
        throw Error{e == EEXIST ? Errc::Conflict : Errc::IoFailure,
                    out.string() + (e == EEXIST ? " exists: an archive is never overwritten; nothing archived"
                                                : std::string{": "} + std::strerror(e))};
    }
    ::unlink(tmp.c_str());
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const bool synced = dfd >= 0 && ::fsync(dfd) == 0;
    if (dfd >= 0) {
        ::close(dfd);
    }
    if (!synced) {
        std::error_code ec;
        std::filesystem::remove(out, ec);
        throw Error{Errc::IoFailure, "cannot sync the directory of " + out.string() + "; nothing archived"};
    }
}

/// One archive at a time per data directory: an exclusive flock(2), released when the process ends
/// however it ends. (The commit checks the newest checkpoint too, so two archivers on different hosts
/// sharing a database still cannot both commit.)
class ArchiveLock {
public:
    explicit ArchiveLock(const std::filesystem::path& data_dir) {
        const auto file = data_dir / "audit-archive.lock";
        m_fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (m_fd < 0) {
            throw Error{Errc::IoFailure, "cannot open " + file.string() + ": " + std::strerror(errno)};
        }
        if (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
            ::close(m_fd);
            throw Error{Errc::Conflict,
                        "another `inkan audit archive` is running on this data directory; "
                        "nothing archived"};
        }
    }
    ~ArchiveLock() { ::close(m_fd); }
    ArchiveLock(const ArchiveLock&) = delete;
    ArchiveLock& operator=(const ArchiveLock&) = delete;

private:
    int m_fd = -1;
};

}  // namespace

int cmd_audit_verify(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"json"}, {"data", "archive"}};
    if (!args.positional().empty()) {
        throw UsageError{"audit verify takes no arguments (archives with --archive FILE)"};
    }
    auto o = open_service(args.option_or("data", ""));
    const auto checkpoints = o.service->audit_archiver().checkpoints();
    const service::AuditArchiveTrust trust = archive_trust(o.runtime->config);
    // From the newest checkpoint when entries were archived (decision 0036), else from the genesis.
    const service::AuditVerification v =
        checkpoints.empty()
            ? o.service->audit().verify()
            : o.service->audit().verify(checkpoints.back().last_seq, checkpoints.back().last_hash);
    const auto checkpoint_problem = service::check_audit_checkpoints(checkpoints, trust);
    // The chain finds edits in the middle; the anchors find newest entries deleted (truncation).
    const service::AnchorVerification a =
        o.service->audit_anchoring().verify(tsa_trust_anchors(o.runtime->config), checkpoints);
    std::vector<std::string> archive_problems;
    std::vector<ArchiveResult> archives;
    const auto files = args.values("archive");
    if (!files.empty()) {
        archives = verify_archives(files, trust, checkpoints, o.service->audit_anchoring().anchors(),
                                   archive_problems);
    }
    bool archives_ok = archive_problems.empty();
    for (const auto& r : archives) {
        archives_ok = archives_ok && r.check.ok;
    }
    const bool ok = v.ok && a.ok && !checkpoint_problem && archives_ok;
    if (args.flag("json")) {
        nlohmann::json out{{"ok", ok}, {"entries", v.entries}, {"anchors", a.anchors}};
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
        nlohmann::json archived = nlohmann::json::array();
        for (const auto& c : checkpoints) {
            archived.push_back(checkpoint_json(c));
        }
        out["archived"] = archived;
        if (checkpoint_problem) {
            out["checkpoint_problem"] = *checkpoint_problem;
        }
        if (!files.empty()) {
            nlohmann::json list = nlohmann::json::array();
            for (const auto& r : archives) {
                nlohmann::json j{{"file", r.file},
                                 {"ok", r.check.ok},
                                 {"first_seq", r.check.first_seq},
                                 {"last_seq", r.check.last_seq},
                                 {"sha256", hex_encode(r.check.sha256)},
                                 {"problems", r.check.problems}};
                if (r.check.seal.time_stamp) {
                    j["time_stamp"] = format_rfc3339(*r.check.seal.time_stamp);
                }
                if (r.check.first_bad_seq) {
                    j["first_bad_seq"] = *r.check.first_bad_seq;
                }
                if (r.check.checkpoint_id) {
                    j["checkpoint"] = *r.check.checkpoint_id;
                }
                list.push_back(std::move(j));
            }
            out["archive_files"] = list;
            out["archive_problems"] = archive_problems;
        }
        io.out << out.dump(2) << "\n";
    } else {
        if (v.ok) {
            io.out << "inkan: the audit chain is intact (" << v.entries << " entries"
                   << (checkpoints.empty() ? std::string{}
                                           : " after checkpoint " + std::to_string(checkpoints.back().id) +
                                                 " at #" + std::to_string(checkpoints.back().last_seq))
                   << ")\n";
        } else {
            io.out << "inkan: the audit chain is BROKEN at entry " << *v.first_bad_seq << ": " << v.problem
                   << "\n";
        }
        for (const auto& c : checkpoints) {
            io.out << "inkan: archived: entries " << range_text(c.first_seq, c.last_seq) << " (" << c.count
                   << ") in \"" << c.archive_name << "\" (SHA-256 " << hex_encode(c.archive_sha256) << ", "
                   << format_rfc3339(c.archived_at) << ", checkpoint " << c.id << ")\n";
        }
        if (checkpoint_problem) {
            io.out << "inkan: the archive checkpoints do NOT verify: " << *checkpoint_problem << "\n";
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
        for (const auto& r : archives) {
            if (r.check.ok) {
                io.out << "inkan: archive " << r.file << " verifies: entries "
                       << range_text(r.check.first_seq, r.check.last_seq) << ", sealed by \""
                       << r.check.seal.signer << "\", time-stamped "
                       << format_rfc3339(*r.check.seal.time_stamp) << ", checkpoint "
                       << *r.check.checkpoint_id << "\n";
            } else {
                for (const auto& p : r.check.problems) {
                    io.out << "inkan: archive " << r.file << " does NOT verify: " << p << "\n";
                }
            }
        }
        for (const auto& p : archive_problems) {
            io.out << "inkan: " << p << "\n";
        }
    }
    return ok ? 0 : 1;
}

int cmd_audit_archive(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"json"}, {"data", "before", "o"}};
    if (!args.positional().empty()) {
        throw UsageError{"audit archive takes no arguments"};
    }
    const auto before = time_option(args, "before");
    if (!before) {
        throw UsageError{"--before is required: the entries older than it are archived"};
    }
    const auto out_option = args.option("o");
    if (!out_option || out_option->empty() || *out_option == "-") {
        throw UsageError{"-o FILE is required (the archive is a file, never standard output)"};
    }
    const std::filesystem::path out_file{*out_option};
    if (std::filesystem::exists(std::filesystem::symlink_status(out_file))) {
        throw Error{Errc::Conflict,
                    out_file.string() + " exists: an archive is never overwritten; nothing archived"};
    }
    auto o = open_service(args.option_or("data", ""));
    const Config& config = o.runtime->config;
    const auto seal_chain_file = config.path("seal.certificate");
    require(
        seal_chain_file.has_value() && config.has("seal.key_id"), Errc::InvalidConfig,
        "audit archive needs the service's seal ([seal] key_id and certificate; `inkan init` writes them)");
    std::vector<Bytes> seal_chain;
    for (const auto& c : pki::certificates_from_pem(read_text_file(*seal_chain_file))) {
        seal_chain.push_back(c.der());
    }
    require(!seal_chain.empty(), Errc::InvalidConfig, "seal.certificate holds no certificate");
    sign::HsmSigner seal{o.runtime->token, hex_decode(config.require_string("seal.key_id")), seal_chain};
    const TsaSetup tsa = make_tsa(config, o.runtime->token, SystemClock::instance(), *o.storage);
    require(tsa.authority != nullptr, Errc::InvalidConfig, "audit archive needs inkan's TSA ([tsa] key_id)");
    ades::AuthorityTimeStamper stamper{*tsa.authority};
    const service::AuditArchiveTrust trust = archive_trust(config);

    const ArchiveLock lock{o.runtime->data_dir};
    service::AuditArchiver& archiver = o.service->audit_archiver();
    const service::PreparedAuditArchive prepared =
        archiver.prepare(*before, out_file.filename().string(), seal, stamper);
    write_new_file_durably(out_file, prepared.file);
    std::uint64_t id = 0;
    try {
        // The file as the disk now has it must verify and be the one the checkpoint will name before a
        // single entry leaves the database.
        const service::AuditArchiveCheck check = service::check_audit_archive(read_binary(out_file), trust);
        const auto& c = prepared.checkpoint;
        if (!check.ok || check.sha256 != c.archive_sha256 || check.first_seq != c.first_seq ||
            check.last_seq != c.last_seq) {
            throw Error{Errc::IoFailure,
                        "the archive read back from " + out_file.string() + " does not verify (" +
                            (check.problems.empty() ? std::string{"it differs from what was written"}
                                                    : check.problems.front()) +
                            "); nothing archived"};
        }
        id = archiver.commit(prepared, operator_name());
    } catch (...) {
        std::error_code ec;
        std::filesystem::remove(out_file, ec);
        throw;
    }
    const auto& c = prepared.checkpoint;
    if (args.flag("json")) {
        nlohmann::json j = checkpoint_json(c);
        j["id"] = id;
        j["file"] = out_file.string();
        io.out << j.dump(2) << "\n";
    } else {
        io.out << "inkan: archived entries " << range_text(c.first_seq, c.last_seq) << " (" << c.count
               << ") to " << out_file.string() << " (SHA-256 " << hex_encode(c.archive_sha256)
               << "); checkpoint " << id << " keeps their last hash " << hex_encode(c.last_hash) << "\n";
    }
    return 0;
}

int cmd_audit_export(const std::vector<std::string>& words, Io io) {
    const Args args{
        words,
        {"force"},
        {"data", "from", "to", "format", "o", "actor", "action", "user", "credential", "outcome"}};
    if (!args.positional().empty()) {
        throw UsageError{"audit export takes no arguments"};
    }
    const std::string format = args.option_or("format", "csv");
    if (format != "csv" && format != "json") {
        throw UsageError{"--format must be csv or json"};
    }
    const auto from = time_option(args, "from");
    const auto to = time_option(args, "to");
    ExportFilter filter;
    filter.actor = args.option("actor");
    filter.action = args.option("action");
    filter.user = args.option("user");
    filter.credential = args.option("credential");
    filter.outcome = args.option("outcome");
    for (const auto* v : {&filter.actor, &filter.action, &filter.user, &filter.credential, &filter.outcome}) {
        if (*v && (*v)->empty()) {
            throw UsageError{"--actor, --action, --user, --credential and --outcome take a non-empty value"};
        }
    }
    const auto path = args.option("o");
    const Overwrite overwrite = args.flag("force") ? Overwrite::Allow : Overwrite::Refuse;
    if (path && *path != "-") {
        refuse_existing_output(*path, overwrite);
    }
    auto o = open_service(args.option_or("data", ""));
    const auto entries = o.service->audit().range(from, to);
    // The names and both formats are the console's too (service::AuditNames, audit_export_text).
    service::AuditNames names{o.service->user_store(), o.service->credential_store(),
                              &o.service->oauth_client_store()};
    std::vector<service::NamedAuditEntry> selected;
    for (const auto& e : entries) {
        service::NamedAuditEntry n = names.named(e);
        if (filter.matches(n)) {
            selected.push_back(std::move(n));
        }
    }
    std::ostringstream text;
    text << service::audit_export_text(
        selected, format == "json" ? service::AuditExportFormat::Json : service::AuditExportFormat::Csv);
    if (!path || *path == "-") {
        io.out << text.str();
    } else {
        write_output(*path, text.str(), overwrite);
        io.err << "inkan: exported " << selected.size() << " audit entries to " << *path << "\n";
    }
    return 0;
}

int cmd_audit_anchor(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"json"}, {"data"}};
    if (!args.positional().empty()) {
        throw UsageError{"audit anchor takes no arguments"};
    }
    auto o = open_service(args.option_or("data", ""));
    const TsaSetup tsa = make_tsa(o.runtime->config, o.runtime->token, SystemClock::instance(), *o.storage);
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
    const Args args{words, {"json", "force"}, {"data", "export"}};
    if (!args.positional().empty()) {
        throw UsageError{"audit anchors takes no arguments"};
    }
    auto o = open_service(args.option_or("data", ""));
    const auto all = o.service->audit_anchoring().anchors();
    const auto dir = args.option("export");
    const Overwrite overwrite = args.flag("force") ? Overwrite::Allow : Overwrite::Refuse;
    const auto file_of = [&dir](const service::AuditAnchor& a) {
        return std::filesystem::path{*dir} / ("anchor-" + std::to_string(a.id) + ".tst");
    };
    if (dir) {
        // Every file checked before the first is written: a refusal leaves the directory as it was.
        for (const auto& a : all) {
            refuse_existing_output(file_of(a), overwrite);
        }
        std::filesystem::create_directories(*dir);
    }
    nlohmann::json list = nlohmann::json::array();
    for (const auto& a : all) {
        nlohmann::json j = anchor_json(a);
        if (dir) {
            const std::filesystem::path file = file_of(a);
            write_output(file, a.token, overwrite);
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
