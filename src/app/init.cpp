// `inkan init`: the embedded default in one directory — SoftHSM token, configuration, PIN files.

#include <sys/stat.h>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include <inkan/core/clock.h>
#include <inkan/core/error.h>
#include <inkan/core/secret.h>
#include <inkan/crypto/random.h>
#include <inkan/hsm/token.h>
#include <inkan/net/client.h>

#include "args.h"
#include "commands.h"
#include "context.h"
#include "pki_context.h"
#include "pki_setup.h"
#include "service_context.h"
#include "storage_backend.h"
#include "tsa_setup.h"

namespace inkan::app {

namespace fs = std::filesystem;

namespace {

constexpr const char* kDefaultModule = "/usr/lib/softhsm/libsofthsm2.so";
constexpr const char* kTokenLabel = "inkan";
constexpr const char* kStorageKeyLabel = "inkan-storage-key";

void write_private_file(const fs::path& file, std::string_view content) {
    // Created 0600 from the start (no window in which the PIN is world-readable).
    const mode_t old = ::umask(077);
    std::ofstream out{file, std::ios::binary | std::ios::trunc};
    out << content;
    out.close();
    ::umask(old);
    if (!out) {
        throw Error{Errc::IoFailure, "cannot write " + file.string()};
    }
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
}

void write_file(const fs::path& file, std::string_view content) {
    std::ofstream out{file, std::ios::binary | std::ios::trunc};
    out << content;
    out.close();
    if (!out) {
        throw Error{Errc::IoFailure, "cannot write " + file.string()};
    }
}

/// TOML basic string with escapes (paths may contain quotes or backslashes).
std::string toml_string(std::string_view s) {
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    return out + "\"";
}

struct InitChoices {
    std::string module;
    std::string api_listen;
    std::string pki_listen;
    std::string pki_base_url;
    std::string public_url;
    std::string storage;  ///< the [storage] table's text (storage_section)
};

/// The [storage] table: SQLite in the data directory, or with --storage-url the shared PostgreSQL database
/// (decision 0042). The password is never written here: only where to read it (a file or a variable).
std::string storage_section(const Args& args) {
    const auto url = args.option("storage-url");
    const auto password_file = args.option("storage-password-file");
    const auto password_env = args.option("storage-password-env");
    if (!url) {
        if (password_file || password_env) {
            throw UsageError{"--storage-password-file and --storage-password-env go with --storage-url"};
        }
        return "[storage]\n"
               "sqlite = \"inkan.db\"\n"
               "# Several nodes: PostgreSQL instead (decision 0042, docs/deployment.md), e.g.\n"
               "# url = \"postgresql://inkan@db.example/inkan?sslmode=verify-full\"\n"
               "# password_env = \"INKAN_STORAGE_PASSWORD\"\n\n";
    }
    std::string t =
        "[storage]\n"
        "# PostgreSQL, shared by every node (decision 0042). The password never goes in the url or\n"
        "# this file: password_env names a variable holding it, password_file a file of mode 0600.\n"
        "url = " +
        toml_string(*url) + "\n";
    if (password_env) {
        t += "password_env = " + toml_string(*password_env) + "\n";
    }
    if (password_file) {
        t +=
            "password_file = " + toml_string(fs::absolute(*password_file).lexically_normal().string()) + "\n";
    }
    t += "# pool_size = 8\n"
         "# Not used while url is set:\n"
         "sqlite = \"inkan.db\"\n\n";
    return t;
}

std::string relative_to(const fs::path& p, const fs::path& base) {
    return p.lexically_relative(base).string();
}

/// "scheme://host:port" of the PKI base URL: what [signing] revocation_allow lets through by default.
std::string pki_origin(const std::string& base_url) {
    const net::Url u = net::Url::parse(base_url);
    return u.scheme + "://" + u.authority();
}

std::string config_text(const InitChoices& c, const DevelopmentPki& pki, const fs::path& data_dir) {
    std::string t;
    t += "# inkan configuration, written by `inkan init`.\n"
         "# Every key can be overridden by an environment variable: hsm.pool_size -> INKAN_HSM_POOL_SIZE.\n"
         "# Relative paths are relative to this file's directory.\n\n";
    t += "[hsm]\n"
         "# Any PKCS#11 module works; SoftHSM2 is the embedded default.\n"
         "module = " +
         toml_string(c.module) +
         "\n"
         "# SoftHSM only: its configuration (token directory) inside this data directory.\n"
         "softhsm2_conf = \"softhsm2.conf\"\n"
         "token = \"" +
         std::string{kTokenLabel} +
         "\"\n"
         "# The user PIN: from a file of mode 0600 (embedded default), or from an environment\n"
         "# variable named by pin_env (takes precedence; the usual choice for a real HSM).\n"
         "pin_file = \"hsm-user.pin\"\n"
         "# pin_env = \"INKAN_HSM_PIN\"\n"
         "pool_size = 4\n"
         "# AES-256 key that protects secrets at rest (TOTP seeds).\n"
         "storage_key_label = \"" +
         std::string{kStorageKeyLabel} + "\"\n\n";
    t += c.storage;
    t += "[api]\n"
         "listen = " +
         toml_string(c.api_listen) +
         "\n"
         "# The https:// URL clients reach the API at: the OAuth issuer and the base of the URLs that\n"
         "# discovery and info hand out (never taken from a request's Host header). Required.\n"
         "public_url = " +
         toml_string(c.public_url) + "\n\n";
    t += "[metrics]\n"
         "# /metrics (and /healthz, /readyz) on a listener of its own; \"off\" leaves it out. Keep it on\n"
         "# loopback or a management network; token_file (mode 0600) adds a Bearer token.\n"
         "listen = \"127.0.0.1:9464\"\n"
         "# token_file = \"metrics.token\"\n\n";
    t += "[pki]\n"
         "listen = " +
         toml_string(c.pki_listen) +
         "\n"
         "# Issued certificates point here: <base_url>/ca/<ca>.crt, <base_url>/crl/<ca>.crl, "
         "<base_url>/ocsp.\n"
         "base_url = " +
         toml_string(c.pki_base_url) + "\n\n";
    t += "[signing]\n"
         "# OCSP/CRL/caIssuers URLs come from certificates in users' documents: only public addresses are\n"
         "# fetched, plus these origins (\"http://host:port\") and addresses/CIDRs (\"10.1.0.0/16\").\n"
         "revocation_allow = [" +
         toml_string(pki_origin(c.pki_base_url)) + "]\n\n";
    t += "# Certificate authorities. type = \"builtin\" (key in the HSM), \"manual\" (CSR out, certificate\n"
         "# imported later) or \"cmp\" (RFC 4210 enrolment: url, reference, secret_env|secret_file, ...).\n"
         "[ca]\n"
         "default_ca = " +
         toml_string(pki.issuing_name) + "\n\n";
    const auto builtin_ca = [&](const std::string& name, bool root, const std::string& key_id,
                                const fs::path& chain) {
        t += "[ca." + name + "]\ntype = \"builtin\"\n" + (root ? "root = true\n" : "") + "key_id = \"" +
             key_id + "\"\nchain = " + toml_string(relative_to(chain, data_dir)) + "\n\n";
    };
    builtin_ca(pki.root_name, true, pki.root_key_id, pki.root_chain);
    builtin_ca(pki.issuing_name, false, pki.issuing_key_id, pki.issuing_chain);
    t += "[ca.manual]\n"
         "type = \"manual\"\n"
         "description = \"an external CA: take the CSR there, then import the certificate\"\n\n";
    t += "# Profiles: validity and key policy per profile, e.g.\n"
         "# [profile.person]\n"
         "# validity_days = 730\n"
         "# min_rsa_bits = 3072\n"
         "# key_types = [\"rsa\", \"ec\"]\n"
         "# curves = [\"P-256\", \"P-384\"]\n\n";
    // A key in the HSM (by CKA_ID) and its certificate chain: the shape of every identity section.
    const auto identity = [&](std::string_view section, const std::string& key_id, const fs::path& chain,
                              const std::string& extra_lines = {}) {
        t += "[" + std::string{section} + "]\n" + extra_lines;
        t += "key_id = \"" + key_id + "\"\ncertificate = " + toml_string(relative_to(chain, data_dir)) +
             "\n\n";
    };
    t += "# The delegated OCSP responder (id-kp-OCSPSigning, issued by the CA it answers for).\n";
    identity("ocsp", pki.ocsp_key_id, pki.ocsp_chain, "ca = " + toml_string(pki.issuing_name) + "\n");
    t += "# The time-stamping authority (POST /tsa). policy: inkan's development OID (2.25 UUID arc); set\n"
         "# your own. More identities, chosen by reqPolicy: [tsa.<name>] with key_id, certificate, policy.\n";
    identity("tsa", pki.tsa_key_id, pki.tsa_chain,
             "policy = " + toml_string(kDefaultTsaPolicy) + "\naccuracy_ms = 1000\n");
    identity("tls", pki.tls_key_id, pki.tls_chain);
    t += "# The service's own electronic seal (EN 319 412-3 profile): signs audit archives and their\n"
         "# checkpoints (`inkan audit archive`, decision 0036). Never a user's credential.\n";
    identity("seal", pki.seal_key_id, pki.seal_chain);
    t += "[log]\n"
         "level = \"info\"\n";
    return t;
}

nlohmann::json summary(const fs::path& data_dir, const Config& config, bool created) {
    const std::string api_listen = config.string_or("api.listen", "");
    const std::string pki_listen = config.string_or("pki.listen", "");
    const std::string root = config.path("ca.inkan-root.chain").value_or(fs::path{}).string();
    nlohmann::json j{
        {"data_dir", data_dir.string()},
        {"config", config_path(data_dir).string()},
        {"created", created},
        {"hsm",
         {{"module", config.string_or("hsm.module", "")}, {"token", config.string_or("hsm.token", "")}}},
        {"api_url", "https://" + api_listen},
        {"public_url", config.string_or("api.public_url", "")},
        {"csc_v1", "https://" + api_listen + "/csc/v1"},
        {"csc_v2", "https://" + api_listen + "/csc/v2"},
        {"pki_url", config.string_or("pki.base_url", "http://" + pki_listen)},
        {"tsa_url", config.string_or("pki.base_url", "http://" + pki_listen) + "/tsa"},
        // The TLS certificate chains to the development root: clients trust it for HTTPS.
        {"tls_ca", root},
        // The root CA certificate (PEM): what relying parties and tests trust.
        {"trust_anchor", root},
        {"cas", ca_names(config)},
    };
    // The demo's identifiers; its secrets only on the first init (and in demo.json, mode 0600).
    if (config.has("demo.user")) {
        j["demo"] = {{"user", config.string_or("demo.user", "")},
                     {"credential_id", config.string_or("demo.credential_id", "")}};
    }
    return j;
}

/// Removes a directory that this run created when initialisation fails half-way, so a retry starts clean.
class Rollback {
public:
    explicit Rollback(fs::path dir) : m_dir{std::move(dir)} {}
    ~Rollback() {
        if (!m_done) {
            std::error_code ec;
            fs::remove_all(m_dir, ec);
        }
    }
    Rollback(const Rollback&) = delete;
    Rollback& operator=(const Rollback&) = delete;
    void commit() { m_done = true; }

private:
    fs::path m_dir;
    bool m_done = false;
};

/// A bad --api-listen/--pki-listen is a usage error, before anything is created.
void check_listen(const std::string& value, const std::string& option) {
    try {
        (void)parse_listen(value, "--" + option);
    } catch (const Error& e) {
        throw UsageError{e.detail()};
    }
}

void append_file(const fs::path& file, std::string_view content) {
    std::ofstream out{file, std::ios::binary | std::ios::app};
    out << content;
    out.close();
    if (!out) {
        throw Error{Errc::IoFailure, "cannot write " + file.string()};
    }
}

/// The demo account `inkan init` creates so that `make run` gives a working service at once.
struct Demo {
    std::string user = "demo";
    Secret password;
    Secret pin;
    Secret totp_secret;  // base32
    std::string otpauth_uri;
    std::string credential_id;

    [[nodiscard]] nlohmann::json json() const {
        return {{"user", user},
                {"password", std::string{password.reveal()}},
                {"pin", std::string{pin.reveal()}},
                {"totp_secret", std::string{totp_secret.reveal()}},
                {"otpauth_uri", otpauth_uri},
                {"credential_id", credential_id}};
    }
};

Demo create_demo(const fs::path& data_dir) {
    OpenedService opened = open_service(data_dir.string());
    Demo demo;
    demo.password = random_password();
    demo.pin = random_pin(6);
    service::NewUser user;
    user.name = demo.user;
    user.display_name = "山田 花子";
    user.role = service::Role::User;
    user.password = demo.password.clone();
    user.totp = true;
    const service::UserCreated created = opened.service->accounts().add_user(std::move(user));
    // The demo account is a real account that can sign: it is in the audit log like any other, as
    // `inkan user add` and `inkan credential create` would have recorded it (issue 25).
    opened.service->audit_operator("user.add", created.user.id, {},
                                   nlohmann::json{{"user", created.user.name},
                                                  {"role", service::name(created.user.role)},
                                                  {"totp", created.otpauth_uri.has_value()},
                                                  {"by", "init"}}
                                       .dump());
    demo.otpauth_uri = created.otpauth_uri.value_or("");
    demo.totp_secret = Secret{created.totp_secret_base32.value_or("")};

    service::NewCredential credential;
    credential.kind = service::CredentialKind::Personal;
    credential.owner = demo.user;
    credential.description = "demo signing key (EC P-256, SCAL 2)";
    credential.key = hsm::KeySpec::EcP256;
    credential.scal = 2;
    credential.multisign = 10;
    credential.pin = demo.pin.clone();
    const service::Credential c = opened.service->credentials().create(std::move(credential)).credential;
    opened.service->audit_operator("credential.create", c.owner_user_id, c.id,
                                   credential_created_details(c, "init"));
    demo.credential_id = c.id;
    return demo;
}

}  // namespace

int cmd_init(const std::vector<std::string>& words, Io io) {
    const Args args{words,
                    {"json"},
                    {"data", "api-listen", "pki-listen", "pki-url", "public-url", "hsm-module", "storage-url",
                     "storage-password-file", "storage-password-env"}};
    if (!args.positional().empty()) {
        throw UsageError{"init takes no positional arguments"};
    }
    const fs::path data_dir = resolve_data_dir(args.option_or("data", ""));
    // The demo account is audited under the operator's name: an unusable INKAN_OPERATOR is refused
    // before anything is created.
    (void)operator_name();
    const std::string api_listen = args.option_or("api-listen", "127.0.0.1:8443");
    const std::string pki_listen = args.option_or("pki-listen", "127.0.0.1:8080");
    check_listen(api_listen, "api-listen");
    check_listen(pki_listen, "pki-listen");
    const std::string module = args.option_or("hsm-module", kDefaultModule);
    const std::string pki_base_url = args.option_or("pki-url", "http://" + pki_listen);
    if (pki_base_url.rfind("http://", 0) != 0 && pki_base_url.rfind("https://", 0) != 0) {
        throw UsageError{"--pki-url must be an http:// or https:// URL"};
    }
    const std::string public_url = args.option_or("public-url", "https://" + api_listen);
    if (public_url.rfind("https://", 0) != 0) {
        throw UsageError{"--public-url must be an https:// URL"};
    }

    if (fs::exists(config_path(data_dir))) {
        // Idempotent: an initialised directory is left exactly as it is.
        const Config config = load_config(data_dir);
        if (args.flag("json")) {
            io.out << summary(data_dir, config, false).dump(2) << "\n";
        } else {
            io.out << "inkan: " << data_dir.string() << " is already initialised; nothing changed\n";
        }
        return 0;
    }
    // init makes the data directory itself, never the path to it: a missing parent is most often a
    // typo, and silently creating /srv/inkna/data would hide it.
    const fs::path dir = data_dir.has_filename() ? data_dir : data_dir.parent_path();
    if (!fs::exists(dir) && !fs::is_directory(dir.parent_path())) {
        throw InputError{"cannot create " + dir.string() + ": its parent directory " +
                         dir.parent_path().string() +
                         " does not exist (inkan init creates only the data directory itself)"};
    }
    if (fs::exists(data_dir) && !fs::is_empty(data_dir)) {
        throw Error{Errc::Conflict, data_dir.string() +
                                        " exists, is not empty and has no inkan.toml; refusing to initialise "
                                        "over it (choose another --data)"};
    }
    if (!fs::exists(module)) {
        throw Error{Errc::InvalidConfig,
                    "PKCS#11 module " + module + " not found (run scripts/install-deps)"};
    }
    const std::string storage_text = storage_section(args);
    // PostgreSQL (--storage-url, or INKAN_STORAGE_URL): checked before anything is created. The schema
    // must be empty: a further node shares the first node's configuration and token, it is not initialised
    // again (that would make a second PKI and demo in the same database).
    {
        const Config storage_config = Config::parse(storage_text, data_dir);
        const int existing = current_schema_version(storage_config);
        if (existing > 0 && is_postgres(storage_config)) {
            throw Error{Errc::Conflict,
                        "the PostgreSQL database already holds an inkan schema (version " +
                            std::to_string(existing) +
                            "): inkan init sets up a new deployment; a further node uses the first node's "
                            "configuration and HSM token (docs/deployment.md)"};
        }
    }

    fs::create_directories(data_dir);
    Rollback rollback{data_dir};
    fs::permissions(data_dir, fs::perms::owner_all, fs::perm_options::replace);
    const fs::path tokens = data_dir / "tokens";
    fs::create_directory(tokens);

    // The SoftHSM configuration stays inside the data directory so that inkan never touches the
    // machine's own tokens (/var/lib/softhsm).
    write_file(data_dir / "softhsm2.conf",
               "# SoftHSM2 configuration for this inkan data directory.\n"
               "directories.tokendir = " +
                   tokens.string() +
                   "\n"
                   "objectstore.backend = file\n"
                   "log.level = ERROR\n"
                   "slots.removable = false\n");
    ::setenv("SOFTHSM2_CONF", (data_dir / "softhsm2.conf").c_str(), 1);

    // Random PINs, kept in 0600 files: the trade-off of an unattended embedded default (see
    // docs/threat-model.md). A real HSM takes the PIN from hsm.pin_env instead.
    const Secret user_pin{crypto::random_hex(16)};
    const Secret so_pin{crypto::random_hex(16)};
    write_private_file(data_dir / "hsm-user.pin", user_pin.reveal());
    write_private_file(data_dir / "hsm-so.pin", so_pin.reveal());

    hsm::initialize_token(module, kTokenLabel, so_pin, user_pin);
    DevelopmentPki pki;
    {
        hsm::TokenConfig tc;
        tc.module = module;
        tc.token_label = std::string{kTokenLabel};
        tc.user_pin = user_pin.clone();
        tc.pool_size = 1;
        hsm::Token token{std::move(tc)};
        token.generate_aes_key(kStorageKeyLabel, 256);
        // The configured database (SQLite in the data directory, or PostgreSQL), schema created here.
        const auto storage = StorageBackend::open(Config::parse(storage_text, data_dir));
        const auto store = storage->ca_store();
        std::vector<std::string> tls_hosts{"localhost", "127.0.0.1"};
        const std::string api_host = api_listen.substr(0, api_listen.rfind(':'));
        if (std::find(tls_hosts.begin(), tls_hosts.end(), api_host) == tls_hosts.end() &&
            api_host != "0.0.0.0") {
            tls_hosts.push_back(api_host);
        }
        pki = create_development_pki(data_dir / "pki", token, *store, pki_base_url, tls_hosts,
                                     SystemClock::instance());
    }

    // The configuration's presence marks a complete initialisation; the rollback still removes
    // everything if the demo below fails.
    write_file(config_path(data_dir), config_text(InitChoices{module, api_listen, pki_listen, pki_base_url,
                                                              public_url, storage_text},
                                                  pki, data_dir));
    const Demo demo = create_demo(data_dir);
    append_file(
        config_path(data_dir),
        "\n# The demo user and credential `inkan init` created (their secrets: demo.json, mode 0600).\n"
        "[demo]\nuser = " +
            toml_string(demo.user) + "\ncredential_id = " + toml_string(demo.credential_id) + "\n");
    const Config config = load_config(data_dir);
    write_private_file(data_dir / "demo.json", demo.json().dump(2) + "\n");
    rollback.commit();

    if (args.flag("json")) {
        nlohmann::json j = summary(data_dir, config, true);
        j["demo"] = demo.json();
        io.out << j.dump(2) << "\n";
    } else {
        io.out << "inkan: initialised " << data_dir.string() << "\n"
               << "  config:    " << config_path(data_dir).string() << "\n"
               << "  HSM token: " << kTokenLabel << " (SoftHSM2, " << tokens.string() << ")\n"
               << "  user PIN:  " << (data_dir / "hsm-user.pin").string() << " (mode 0600)\n"
               << "  PKI:       root and issuing CA, TSA, OCSP responder and TLS certificates in "
               << (data_dir / "pki").string() << "\n"
               << "  trust anchor: " << pki.root_pem.string() << "\n"
               << "  demo:      user " << demo.user << ", password " << demo.password.reveal() << ", PIN "
               << demo.pin.reveal() << ", TOTP secret " << demo.totp_secret.reveal() << "\n"
               << "             credential " << demo.credential_id << " (EC P-256, SCAL 2)\n"
               << "             (shown once; also in " << (data_dir / "demo.json").string()
               << ", mode 0600)\n";
    }
    return 0;
}

}  // namespace inkan::app
