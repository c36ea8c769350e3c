// `inkan purge`, `inkan backup` and `inkan restore` (issue 26, decision 0032).
//
// A backup is a directory: the data directory's files as they are (configuration, PKI files, PIN
// files, the SoftHSM token directory), the database as one consistent snapshot taken with SQLite's
// online backup API (not a copy of a file that a running server is writing), and manifest.json naming
// every file with its SHA-256. The database is copied FIRST and the token directory after it: every
// credential in the snapshot had its key generated before its row was written, so its key is in the
// token copy (a key made later is an orphan, harmless). The token's files are copied until two reads
// in a row agree (a key generated meanwhile changes them). Keys stay encrypted under the token's PINs;
// the PIN files are in the backup too, so a backup must be protected like the data directory itself
// (docs/threat-model.md).

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <inkan/core/clock.h>
#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>
#include <inkan/service/audit.h>
#include <inkan/service/housekeeping.h>
#include <inkan/storage/postgres.h>
#include <inkan/storage/sqlite.h>
#include <inkan/storage/sqlite_audit_archive_store.h>
#include <inkan/storage/sqlite_housekeeping.h>
#include <inkan/storage/sqlite_service_stores.h>
#include <inkan/version.h>

#include "args.h"
#include "commands.h"
#include "context.h"
#include "service_context.h"
#include "storage_backend.h"

namespace inkan::app {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kManifest = "manifest.json";
constexpr std::string_view kFormat = "inkan-backup-1";
constexpr std::string_view kHsmNote = "HSM-KEYS-NOT-INCLUDED.txt";
/// A manifest larger than this is not one inkan wrote.
constexpr std::uintmax_t kMaxManifestBytes = 16U << 20U;

/// Files of a data directory that are not state: the maintenance flag, signDoc's work files, the
/// database's own WAL/SHM (the snapshot replaces them) and leftovers of write_output.
bool skipped(const fs::path& relative, const fs::path& db_relative) {
    const std::string first = relative.begin()->string();
    const std::string s = relative.generic_string();
    return first == "work" || s == "maintenance" || s == db_relative.generic_string() ||
           s == db_relative.generic_string() + "-wal" || s == db_relative.generic_string() + "-shm" ||
           s == db_relative.generic_string() + "-journal" ||
           (s.size() > 4 && s.ends_with(".tmp") && s.find(".inkan-") != std::string::npos);
}

/// The whole file. read(2) directly: a stream reports a read error (EIO) as an end of file, and a
/// backup must not take a truncated copy for a whole one.
Bytes read_all(const fs::path& file) {
    struct Fd {
        int fd;
        ~Fd() {
            if (fd >= 0) {
                ::close(fd);
            }
        }
    } f{::open(file.c_str(), O_RDONLY | O_CLOEXEC)};
    if (f.fd < 0) {
        throw Error{Errc::IoFailure, "cannot read " + file.string() + ": " + std::strerror(errno)};
    }
    Bytes out;
    std::array<std::uint8_t, 65536> buf{};
    for (;;) {
        const ssize_t n = ::read(f.fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            throw Error{Errc::IoFailure, "cannot read " + file.string() + ": " + std::strerror(errno)};
        }
        if (n == 0) {
            return out;
        }
        out.insert(out.end(), buf.begin(), buf.begin() + n);
    }
}

void write_all(const fs::path& file, ByteView data, fs::perms perms) {
    fs::create_directories(file.parent_path());
    {
        std::ofstream out{file, std::ios::binary | std::ios::trunc};
        out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
        out.close();
        if (!out.good()) {
            throw Error{Errc::IoFailure, "cannot write " + file.string()};
        }
    }
    fs::permissions(file, perms, fs::perm_options::replace);
}

std::string sha256_hex(ByteView data) {
    return hex_encode(crypto::digest(crypto::DigestAlgorithm::Sha256, data));
}

/// The relative path of `p` under `base`, if it is under it.
std::optional<fs::path> under(const fs::path& p, const fs::path& base) {
    const fs::path rel = fs::weakly_canonical(p).lexically_relative(fs::weakly_canonical(base));
    if (rel.empty() || rel.is_absolute() || *rel.begin() == "..") {
        return std::nullopt;
    }
    return rel;
}

/// SoftHSM's token directory, from softhsm2.conf (directories.tokendir).
std::optional<fs::path> softhsm_token_dir(const fs::path& softhsm_conf) {
    std::ifstream in{softhsm_conf};
    std::string line;
    while (std::getline(in, line)) {
        const auto eq = line.find('=');
        if (line.rfind("directories.tokendir", 0) == 0 && eq != std::string::npos) {
            std::string v = line.substr(eq + 1);
            v.erase(0, v.find_first_not_of(" \t"));
            v.erase(v.find_last_not_of(" \t\r") + 1);
            return fs::path{v};
        }
    }
    return std::nullopt;
}

bool empty_or_missing(const fs::path& dir) {
    std::error_code ec;
    if (!fs::exists(dir, ec)) {
        return true;
    }
    return fs::is_directory(dir, ec) && fs::is_empty(dir, ec);
}

struct Copied {
    Bytes data;
    fs::perms perms;
};

/// Every regular file under `root` (relative path → contents), except what `skip` says.
std::map<fs::path, Copied> read_tree(const fs::path& root, const std::function<bool(const fs::path&)>& skip) {
    std::map<fs::path, Copied> out;
    for (auto it = fs::recursive_directory_iterator{root}; it != fs::recursive_directory_iterator{}; ++it) {
        const fs::path rel = it->path().lexically_relative(root);
        if (skip(rel)) {
            if (it->is_directory()) {
                it.disable_recursion_pending();
            }
            continue;
        }
        if (it->is_regular_file()) {
            out[rel] = Copied{read_all(it->path()), it->status().permissions()};
        }
    }
    return out;
}

int print_counts(const service::PurgeCounts& c, bool json, std::ostream& out, std::string_view verb) {
    if (json) {
        out << nlohmann::json{{"sads", c.sads},
                              {"tokens", c.tokens},
                              {"pending", c.pending},
                              {"codes", c.codes},
                              {"account_tokens", c.account_tokens},
                              {"otp_steps", c.otp_steps},
                              {"total", c.total()}}
                   .dump()
            << "\n";
    } else {
        out << verb << ": " << c.sads << " SADs, " << c.tokens << " tokens, " << c.pending
            << " pending authorizations, " << c.codes << " authorization codes, " << c.account_tokens
            << " account_token records, " << c.otp_steps << " OTP steps (" << c.total() << " rows)\n";
    }
    return 0;
}

fs::path database_file(const Config& config) {
    const auto db = config.path("storage.sqlite");
    require(db.has_value(), Errc::InvalidConfig, "storage.sqlite is not configured");
    return *db;
}

}  // namespace

int cmd_purge(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"json"}, {"data"}};
    if (!args.positional().empty()) {
        throw UsageError{"purge takes no arguments"};
    }
    const fs::path data_dir = resolve_data_dir(args.option_or("data", ""));
    const Config config = load_config(data_dir);
    // Only the database is needed: no HSM session, so it runs beside a serving process (its own
    // connection; the batches interleave with the server's writes), on either backend.
    const auto backend = StorageBackend::open(config);
    const auto store = backend->housekeeping();
    service::Housekeeping housekeeping{*store, SystemClock::instance(), housekeeping_settings(config)};
    return print_counts(housekeeping.run(), args.flag("json"), io.out, "purged");
}

int cmd_backup(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"json"}, {"data", "to"}};
    const auto to_flag = args.option("to");
    if (!to_flag || !args.positional().empty()) {
        throw UsageError{"backup takes --to DIR"};
    }
    const fs::path data_dir = resolve_data_dir(args.option_or("data", ""));
    const Config config = load_config(data_dir);
    if (storage::pg::options_from_config(config)) {
        // The database is not in the data directory; a copy of the SQLite file would be a stale stranger.
        refuse_postgres_backup("backup");
    }
    const fs::path to = fs::absolute(*to_flag).lexically_normal();
    if (!empty_or_missing(to)) {
        throw Error{Errc::Conflict,
                    "backup target " + to.string() + " exists and is not empty: nothing written"};
    }
    require(!under(to, data_dir).has_value(), Errc::InvalidRequest,
            "the backup target must be outside the data directory " + data_dir.string());
    const fs::path db_file = database_file(config);
    const auto db_relative = under(db_file, data_dir);
    require(db_relative.has_value(), Errc::InvalidConfig,
            "storage.sqlite (" + db_file.string() +
                ") is outside the data directory: back it up with its own tool");

    // The token directory (SoftHSM, embedded) and whether it is inside the data directory.
    std::optional<fs::path> token_dir;
    if (const auto conf = config.path("hsm.softhsm2_conf")) {
        token_dir = softhsm_token_dir(*conf);
    }
    std::optional<fs::path> token_relative;
    if (token_dir) {
        token_relative = under(*token_dir, data_dir);
        require(token_relative.has_value(), Errc::InvalidConfig,
                "the SoftHSM token directory " + token_dir->string() +
                    " is outside the data directory: not backed up here");
    }

    // A backup that fails part-way leaves nothing: the directory goes if this run made it, else it is
    // emptied again (it was empty before, checked above).
    std::error_code exists_ec;
    const bool made_here = !fs::exists(to, exists_ec);
    fs::create_directories(to);
    fs::permissions(to, fs::perms::owner_all, fs::perm_options::replace);
    bool done = false;
    struct Cleanup {
        const fs::path& dir;
        const bool& done;
        bool remove_dir;
        ~Cleanup() {
            if (done) {
                return;
            }
            std::error_code ec;
            if (remove_dir) {
                fs::remove_all(dir, ec);
                return;
            }
            for (const auto& e : fs::directory_iterator{dir, ec}) {
                fs::remove_all(e.path(), ec);
            }
        }
    } cleanup{to, done, made_here};

    // 1. The database: one consistent snapshot, the server keeps writing meanwhile (WAL).
    int schema = 0;
    {
        storage::Database db{db_file};
        schema = db.schema_version();
        fs::create_directories((to / *db_relative).parent_path());
        db.backup_to(to / *db_relative);
        fs::permissions(to / *db_relative, fs::perms::owner_read | fs::perms::owner_write,
                        fs::perm_options::replace);
    }
    // 2. Everything else; the token directory until two reads agree.
    const auto skip = [&](const fs::path& rel) { return skipped(rel, *db_relative); };
    std::map<fs::path, Copied> files = read_tree(data_dir, skip);
    if (token_relative) {
        bool stable = false;
        for (int attempt = 0; attempt < 10 && !stable; ++attempt) {
            const auto again = read_tree(data_dir / *token_relative, [](const fs::path&) { return false; });
            stable = true;
            for (const auto& [rel, c] : again) {
                const auto it = files.find(*token_relative / rel);
                if (it == files.end() || it->second.data != c.data) {
                    stable = false;
                    files[*token_relative / rel] = c;
                }
            }
        }
        require(
            stable, Errc::Unavailable,
            "the HSM token directory kept changing while it was copied (keys being generated?): try again");
    }
    nlohmann::json manifest_files = nlohmann::json::array();
    const auto add = [&](const fs::path& rel, const Bytes& data, fs::perms perms) {
        manifest_files.push_back({{"path", rel.generic_string()},
                                  {"sha256", sha256_hex(data)},
                                  {"size", data.size()},
                                  {"mode", static_cast<int>(perms & fs::perms::mask)}});
    };
    for (const auto& [rel, c] : files) {
        write_all(to / rel, c.data, c.perms);
        add(rel, c.data, c.perms);
    }
    add(*db_relative, read_all(to / *db_relative), fs::perms::owner_read | fs::perms::owner_write);
    std::string hsm = "softhsm";
    if (!token_dir) {
        hsm = "external";
        const std::string note =
            "The HSM (" + config.string_or("hsm.module", "?") + ", token " +
            config.string_or("hsm.token", "?") +
            ") is not an embedded SoftHSM token: its keys are NOT in this backup.\n"
            "Back them up (or replicate them) with the HSM's own procedure; the database here refers to\n"
            "them by CKA_ID and expects the same token label after a restore.\n";
        write_all(to / kHsmNote, as_bytes(note), fs::perms::owner_read | fs::perms::owner_write);
        add(fs::path{kHsmNote}, Bytes(note.begin(), note.end()),
            fs::perms::owner_read | fs::perms::owner_write);
    }
    const std::string created = format_rfc3339(SystemClock::instance().now());
    nlohmann::json manifest{{"format", std::string{kFormat}},
                            {"inkan_version", kVersion},
                            {"schema_version", schema},
                            {"created_at", created},
                            {"database", db_relative->generic_string()},
                            {"hsm", hsm},
                            {"token_dir", token_relative ? token_relative->generic_string() : ""},
                            {"files", manifest_files}};
    const std::string text = manifest.dump(2) + "\n";
    write_all(to / kManifest, as_bytes(text), fs::perms::owner_read | fs::perms::owner_write);
    done = true;
    if (args.flag("json")) {
        io.out << nlohmann::json{{"backup", to.string()},
                                 {"schema_version", schema},
                                 {"files", manifest_files.size()},
                                 {"hsm", hsm},
                                 {"created_at", created}}
                      .dump()
               << "\n";
    } else {
        io.out << "backup written to " << to.string() << ": " << manifest_files.size()
               << " files, schema version " << schema << ", " << created << "\n";
        if (hsm == "external") {
            io.out << "the HSM's keys are not included: back them up with the HSM's own procedure\n";
        }
    }
    return 0;
}

int cmd_restore(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"json"}, {"from", "data"}};
    const auto from_flag = args.option("from");
    const auto data_flag = args.option("data");
    if (!from_flag || !data_flag || !args.positional().empty()) {
        throw UsageError{"restore takes --from DIR --data NEW"};
    }
    const fs::path from = fs::absolute(*from_flag).lexically_normal();
    const fs::path data_dir = fs::absolute(*data_flag).lexically_normal();
    // 1. Everything is checked before anything is written.
    const fs::path manifest_file = from / kManifest;
    std::error_code ec;
    if (!fs::is_regular_file(manifest_file, ec)) {
        throw Error{Errc::NotFound, from.string() + " is not an inkan backup (no manifest.json)"};
    }
    require(fs::file_size(manifest_file) <= kMaxManifestBytes, Errc::InvalidRequest,
            "manifest.json is too large to be an inkan backup's");
    nlohmann::json manifest;
    try {
        manifest = nlohmann::json::parse(read_text_file(manifest_file, Errc::NotFound));
    } catch (const nlohmann::json::exception&) {
        throw Error{Errc::InvalidRequest, "manifest.json of " + from.string() + " is not valid JSON"};
    }
    require(manifest.is_object() && manifest.value("format", "") == kFormat && manifest.contains("files") &&
                manifest["files"].is_array() && manifest.contains("schema_version") &&
                manifest["schema_version"].is_number_integer(),
            Errc::InvalidRequest, "manifest.json of " + from.string() + " is not an inkan backup manifest");
    const int schema = manifest["schema_version"].get<int>();
    const int known = storage::sqlite_migrations().back().version;
    if (schema > known) {
        throw Error{Errc::InvalidRequest, "the backup has schema version " + std::to_string(schema) +
                                              " (inkan " + manifest.value("inkan_version", "?") +
                                              "), newer than this inkan knows (" + std::to_string(known) +
                                              "): restore it with that version or newer; nothing written"};
    }
    if (!empty_or_missing(data_dir)) {
        throw Error{Errc::Conflict,
                    "the data directory " + data_dir.string() +
                        " exists and is not empty: restore only into a new or empty directory; "
                        "nothing written"};
    }
    struct File {
        fs::path rel;
        Bytes data;
        fs::perms perms;
    };
    std::vector<File> files;
    for (const auto& f : manifest["files"]) {
        require(f.is_object() && f.contains("path") && f["path"].is_string() && f.contains("sha256") &&
                    f["sha256"].is_string() && f.contains("mode") && f["mode"].is_number_integer(),
                Errc::InvalidRequest, "manifest.json: a file entry lacks path, sha256 or mode");
        const fs::path rel = fs::path{f["path"].get<std::string>()}.lexically_normal();
        require(!rel.empty() && rel.is_relative() && *rel.begin() != "..", Errc::InvalidRequest,
                "manifest.json names a path outside the backup: " + rel.generic_string());
        Bytes data = read_all(from / rel);
        if (sha256_hex(data) != f["sha256"].get<std::string>()) {
            throw Error{Errc::InvalidRequest, "backup file " + rel.generic_string() +
                                                  " does not match its SHA-256 in manifest.json (corrupted "
                                                  "or changed): nothing restored"};
        }
        files.push_back(
            File{rel, std::move(data), static_cast<fs::perms>(f["mode"].get<int>()) & fs::perms::mask});
    }
    const std::string db_rel = manifest.value("database", "");
    require(!db_rel.empty() && std::any_of(files.begin(), files.end(),
                                           [&](const File& f) { return f.rel.generic_string() == db_rel; }),
            Errc::InvalidRequest, "manifest.json does not name the database file");

    // 2. Written into the new directory; on any failure what was written goes again.
    const bool existed = fs::exists(data_dir, ec);
    fs::create_directories(data_dir);
    fs::permissions(data_dir, fs::perms::owner_all, fs::perm_options::replace);
    bool done = false;
    struct Cleanup {
        const fs::path& dir;
        bool existed;
        const bool& done;
        ~Cleanup() {
            if (done) {
                return;
            }
            std::error_code e;
            if (existed) {
                for (const auto& entry : fs::directory_iterator{dir, e}) {
                    fs::remove_all(entry.path(), e);
                }
            } else {
                fs::remove_all(dir, e);
            }
        }
    } cleanup{data_dir, existed, done};
    for (const auto& f : files) {
        write_all(data_dir / f.rel, f.data, f.perms);
    }
    // SoftHSM's configuration names its token directory by absolute path: point it at the new one.
    const std::string token_rel = manifest.value("token_dir", "");
    if (!token_rel.empty() && fs::exists(data_dir / "softhsm2.conf")) {
        std::string conf = read_text_file(data_dir / "softhsm2.conf");
        std::string out;
        std::size_t pos = 0;
        while (pos < conf.size()) {
            auto nl = conf.find('\n', pos);
            const std::string line = conf.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
            out += line.rfind("directories.tokendir", 0) == 0
                       ? "directories.tokendir = " + (data_dir / token_rel).string()
                       : line;
            out += "\n";
            pos = nl == std::string::npos ? conf.size() : nl + 1;
        }
        write_all(data_dir / "softhsm2.conf", as_bytes(out),
                  fs::status(data_dir / "softhsm2.conf").permissions());
    }
    fs::create_directories(data_dir / "tokens");

    // 3. The restored database: migrated to this version, checked, and everything live in it
    // invalidated — what happened between the backup and the loss is unknown (docs/backup.md).
    service::PurgeCounts invalidated;
    {
        const Config config = load_config(data_dir);
        if (storage::pg::options_from_config(config)) {
            // INKAN_STORAGE_URL in the environment: the restored SQLite file would not be the database used.
            refuse_postgres_backup("restore");
        }
        auto db = std::make_shared<storage::Database>(database_file(config));
        storage::SqliteAuditStore audit_store{db};
        service::AuditLog audit{audit_store, SystemClock::instance()};
        // From the newest archive checkpoint when old entries were archived (decision 0036).
        const auto checkpoints = storage::SqliteAuditArchiveStore{db}.checkpoints();
        const auto verified = checkpoints.empty()
                                  ? audit.verify()
                                  : audit.verify(checkpoints.back().last_seq, checkpoints.back().last_hash);
        require(verified.ok, Errc::InvalidRequest,
                "the backup's audit chain does not verify (" + verified.problem + "): nothing restored");
        storage::SqliteHousekeepingStore store{db};
        invalidated = store.invalidate_after_restore();
        service::AuditEvent e;
        e.action = "restore";
        e.outcome = "ok";
        e.operator_name = operator_name();
        e.details = nlohmann::json{{"backup_created_at", manifest.value("created_at", "")},
                                   {"schema_version", schema},
                                   {"sads_retired", invalidated.sads},
                                   {"tokens_revoked", invalidated.tokens}}
                        .dump();
        audit.record(e);
    }
    done = true;
    if (args.flag("json")) {
        io.out << nlohmann::json{{"data", data_dir.string()},
                                 {"backup_created_at", manifest.value("created_at", "")},
                                 {"files", files.size()},
                                 {"sads_retired", invalidated.sads},
                                 {"tokens_revoked", invalidated.tokens}}
                      .dump()
               << "\n";
    } else {
        io.out << "restored " << files.size() << " files from " << from.string() << " (backup of "
               << manifest.value("created_at", "?") << ") into " << data_dir.string() << "\n"
               << "retired " << invalidated.sads << " SADs and revoked " << invalidated.tokens
               << " tokens issued before the backup: users authorise and log in again\n";
        if (manifest.value("hsm", "") == "external") {
            io.out << "the HSM's keys were not in the backup: restore them with the HSM's own procedure\n";
        }
    }
    return 0;
}

}  // namespace inkan::app
