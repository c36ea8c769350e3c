// `inkan serve`: the CSC API over HTTPS (TLS key in the HSM) and the PKI endpoints over HTTP.

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include <inkan/api/console.h>
#include <inkan/api/csc.h>
#include <inkan/api/errors.h>
#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/core/log.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/http/server.h>
#include <inkan/pki/certificate.h>
#include <inkan/service/admin.h>
#include <inkan/service/async.h>
#include <inkan/service/console.h>
#include <inkan/service/oob.h>
#include <inkan/service/validation.h>
#include <inkan/sign/hsm_signer.h>
#include <inkan/sign/provider.h>
#include <inkan/version.h>

#include "args.h"
#include "commands.h"
#include "context.h"
#include "lifecycle.h"
#include "pki_context.h"
#include "pki_sources.h"
#include "renewal.h"
#include "service_context.h"
#include "signing_setup.h"
#include "storage_backend.h"
#include "trust_config.h"
#include "tsa_setup.h"

namespace inkan::app {

namespace fs = std::filesystem;

namespace {

std::string url_host(const std::string& host) {
    return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

/// api.public_url: the OAuth issuer and the base of every URL the API hands out. Required (inkan
/// serve always runs the OAuth server): a URL built from the request's Host header would let any
/// client choose the issuer and the endpoints that discovery names (RFC 8414 §3.3, RFC 9207).
std::string public_url(const Config& config) {
    std::string url = config.string_or("api.public_url", "");
    require(!url.empty(), Errc::InvalidConfig,
            "api.public_url is not configured: set it to the https:// URL clients reach the API at "
            "(the OAuth issuer)");
    require(url.rfind("https://", 0) == 0 && url.size() > 8 &&
                url.find_first_of(" \t\r\n\"<>?#") == std::string::npos,
            Errc::InvalidConfig, "api.public_url must be an https:// URL without query or fragment");
    while (url.size() > 8 && url.back() == '/') {
        url.pop_back();
    }
    return url;
}

api::ServiceInfo service_info(const Config& config, bool mtls, std::string url) {
    api::ServiceInfo info;
    info.name = config.string_or("csc.name", info.name);
    info.logo = config.string_or("csc.logo", info.logo);
    info.region = config.string_or("csc.region", info.region);
    info.lang = config.string_or("csc.lang", info.lang);
    info.description = config.string_or("csc.description", info.description);
    info.totp_issuer = config.string_or("auth.totp_issuer", info.totp_issuer);
    info.mtls = mtls;
    info.public_url = std::move(url);
    return info;
}

http::ClientAuth client_auth(const Config& config) {
    const std::string v = config.string_or("api.client_auth", "required");
    if (v == "required") {
        return http::ClientAuth::Required;
    }
    if (v == "optional") {
        return http::ClientAuth::Optional;
    }
    throw Error{Errc::InvalidConfig, "api.client_auth must be \"required\" or \"optional\""};
}

}  // namespace

fs::path maintenance_file(const fs::path& data_dir) {
    return data_dir / "maintenance";
}

namespace {

/// The maintenance flag as a file in the data directory: every process on the node (serve's /readyz, the
/// CLI, the console) sees the same one.
class FileMaintenanceSwitch final : public service::MaintenanceSwitch {
public:
    explicit FileMaintenanceSwitch(fs::path flag) : m_flag{std::move(flag)} {}
    [[nodiscard]] bool on() const override { return fs::exists(m_flag); }
    void set(bool on) override {
        if (on) {
            std::ofstream{m_flag} << "maintenance mode: /readyz answers 503 until `inkan maintenance off`\n";
            require(fs::exists(m_flag), Errc::IoFailure, "cannot write " + m_flag.string());
        } else {
            fs::remove(m_flag);
        }
    }

private:
    fs::path m_flag;
};

/// [console] idle_timeout_seconds (default 900) and absolute_timeout_seconds (default 28800): the console
/// session ends after so long without a request, and after so long in any case (decision 0041).
service::ConsoleSettings console_settings(const Config& config) {
    service::ConsoleSettings s;
    s.idle = std::chrono::seconds{config.integer_or("console.idle_timeout_seconds", 900)};
    s.absolute = std::chrono::seconds{config.integer_or("console.absolute_timeout_seconds", 8 * 3600)};
    return s;
}

}  // namespace

int cmd_maintenance(const std::vector<std::string>& words, Io io) {
    const Args args{words, {}, {"data"}};
    if (args.positional().size() != 1) {
        throw UsageError{"maintenance takes on, off or status"};
    }
    const fs::path data_dir = resolve_data_dir(args.option_or("data", ""));
    const Config config = load_config(data_dir);  // an initialised data directory, or a clear error
    const fs::path flag = maintenance_file(data_dir);
    const std::string& what = args.positional()[0];
    if (what != "on" && what != "off" && what != "status") {
        throw UsageError{"maintenance takes on, off or status"};
    }
    if (what != "status") {
        // Who drained the node is the operator's act to account for (EN 419 241-1): named before the
        // flag changes, recorded after. Only the database is opened, so maintenance works while the
        // HSM is away.
        const std::string actor = operator_name();
        FileMaintenanceSwitch maintenance{flag};
        const bool was_on = maintenance.on();
        maintenance.set(what == "on");
        audit_operator_change(config, actor, "maintenance." + what,
                              nlohmann::json{{"was", was_on ? "on" : "off"}}.dump());
    }
    io.out << "maintenance " << (fs::exists(flag) ? "on" : "off") << "\n";
    return 0;
}

namespace {

/// Anchors the audit chain on a thread of its own every `interval` (0: only at shutdown); failures are
/// logged, never fatal (the chain itself is unaffected).
class AuditAnchorer {
public:
    AuditAnchorer(service::AuditAnchoring& anchoring, tsp::Authority* tsa, std::chrono::seconds interval)
        : m_anchoring{anchoring}, m_tsa{tsa}, m_interval{interval} {
        require(interval.count() >= 0 && interval.count() <= 366LL * 24 * 3600, Errc::InvalidConfig,
                "audit.anchor_interval_seconds must be between 0 (only at shutdown) and 31622400");
        if (m_tsa == nullptr) {
            log::warn("audit anchoring is off: no [tsa] is configured");
            return;
        }
        if (m_interval.count() > 0) {
            m_thread = std::thread{[this] { run(); }};
        }
    }
    ~AuditAnchorer() { stop(); }
    AuditAnchorer(const AuditAnchorer&) = delete;
    AuditAnchorer& operator=(const AuditAnchorer&) = delete;

    void stop_and_anchor() {
        stop();
        anchor_now();
    }

private:
    void run() {
        std::unique_lock lock{m_mu};
        while (!m_cv.wait_for(lock, m_interval, [this] { return m_stop; })) {
            lock.unlock();
            anchor_now();
            lock.lock();
        }
    }
    void stop() {
        {
            std::lock_guard lock{m_mu};
            m_stop = true;
        }
        m_cv.notify_all();
        if (m_thread.joinable()) {
            m_thread.join();
        }
    }
    void anchor_now() {
        if (m_tsa == nullptr) {
            return;
        }
        try {
            (void)m_anchoring.anchor(*m_tsa);
        } catch (const Error& e) {
            log::error("cannot anchor the audit chain",
                       {{"error", errc_name(e.code())}, {"detail", e.detail()}});
        }
    }

    service::AuditAnchoring& m_anchoring;
    tsp::Authority* m_tsa;
    std::chrono::seconds m_interval;
    std::mutex m_mu;
    std::condition_variable m_cv;
    bool m_stop = false;
    std::thread m_thread;
};

/// Purges expired rows every `interval` on a thread of its own (never an I/O thread: a purge waits
/// for the database like any writer, in batches; decision 0032). The first pass runs one interval
/// after start. Failures are logged and retried at the next interval.
class Housekeeper {
public:
    Housekeeper(service::Housekeeping& housekeeping, std::chrono::seconds interval)
        : m_housekeeping{housekeeping}, m_interval{interval} {
        if (m_interval.count() > 0) {
            m_thread = std::thread{[this] { run(); }};
        } else {
            log::info("housekeeping timer is off (housekeeping.interval_seconds = 0): run `inkan purge`");
        }
    }
    ~Housekeeper() {
        {
            std::lock_guard lock{m_mu};
            m_stop = true;
        }
        m_cv.notify_all();
        if (m_thread.joinable()) {
            m_thread.join();
        }
    }
    Housekeeper(const Housekeeper&) = delete;
    Housekeeper& operator=(const Housekeeper&) = delete;

    /// Rows removed since start, and passes that failed (for /metrics).
    [[nodiscard]] double purged() const noexcept { return static_cast<double>(m_purged.load()); }
    [[nodiscard]] double failures() const noexcept { return static_cast<double>(m_failures.load()); }

private:
    void run() {
        std::unique_lock lock{m_mu};
        while (!m_cv.wait_for(lock, m_interval, [this] { return m_stop; })) {
            lock.unlock();
            try {
                const service::PurgeCounts c = m_housekeeping.run();
                m_purged += c.total();
                log::info("housekeeping", {{"sads", std::to_string(c.sads)},
                                           {"tokens", std::to_string(c.tokens)},
                                           {"pending", std::to_string(c.pending)},
                                           {"codes", std::to_string(c.codes)},
                                           {"account_tokens", std::to_string(c.account_tokens)},
                                           {"otp_steps", std::to_string(c.otp_steps)}});
            } catch (const Error& e) {
                ++m_failures;
                log::error("housekeeping failed", {{"error", errc_name(e.code())}, {"detail", e.detail()}});
            }
            lock.lock();
        }
    }

    service::Housekeeping& m_housekeeping;
    std::chrono::seconds m_interval;
    std::atomic<std::uint64_t> m_purged{0};
    std::atomic<std::uint64_t> m_failures{0};
    std::mutex m_mu;
    std::condition_variable m_cv;
    bool m_stop = false;
    std::thread m_thread;
};

/// The lifecycle report (lifecycle.h) for /metrics and /readyz, recomputed at most once a minute: it
/// parses every credential's certificate, which a scrape every few seconds need not repeat.
class LifecycleCache {
public:
    LifecycleCache(const Config& config, const service::CredentialStore& credentials, const Clock& clock)
        : m_config{std::make_shared<const Config>(config)}, m_credentials{credentials}, m_clock{clock} {
        (void)lifecycle_warn_days(config);  // a bad value fails at start, not at the first scrape
    }
    LifecycleReport get() {
        std::lock_guard lock{m_mu};
        const auto now = std::chrono::steady_clock::now();
        if (!m_report || now - m_at >= std::chrono::minutes{1}) {
            m_report = lifecycle_report(*m_config, m_credentials, m_clock.now());
            m_at = now;
        }
        return *m_report;
    }
    /// After a reload (SIGHUP): the certificates `config` names from now on, reported at once.
    void switch_to(const Config& config) {
        std::lock_guard lock{m_mu};
        m_config = std::make_shared<const Config>(config);
        m_report.reset();
    }

private:
    std::shared_ptr<const Config> m_config;
    const service::CredentialStore& m_credentials;
    const Clock& m_clock;
    std::mutex m_mu;
    std::optional<LifecycleReport> m_report;
    std::chrono::steady_clock::time_point m_at{};
};

/// [api] async_*: operationMode "A" and signPolling (decision 0033).
service::AsyncSettings async_settings(const Config& config) {
    service::AsyncSettings out;
    const std::int64_t workers = config.integer_or("api.async_workers", 2);
    require(workers >= 1 && workers <= 64, Errc::InvalidConfig, "api.async_workers must be 1..64");
    out.workers = static_cast<std::size_t>(workers);
    const std::int64_t pending = config.integer_or("api.async_max_pending", 64);
    require(pending >= 1 && pending <= 100'000, Errc::InvalidConfig,
            "api.async_max_pending must be 1..100000");
    out.max_pending = static_cast<std::size_t>(pending);
    const std::int64_t max_ms = config.integer_or("api.async_validity_max_ms", 3'600'000);
    const std::int64_t default_ms = config.integer_or("api.async_validity_default_ms", 600'000);
    require(max_ms >= 1000 && max_ms <= 7 * 24 * 3'600'000LL, Errc::InvalidConfig,
            "api.async_validity_max_ms must be between 1000 and 604800000");
    require(default_ms >= 1000 && default_ms <= max_ms, Errc::InvalidConfig,
            "api.async_validity_default_ms must be between 1000 and api.async_validity_max_ms");
    out.max_validity = std::chrono::milliseconds{max_ms};
    out.default_validity = std::chrono::milliseconds{default_ms};
    out.min_validity = std::chrono::milliseconds{1000};
    // response_uri comes from the client: the strict guard (public addresses only, decision 0016), widened
    // only by the operator's allow list.
    for (const auto& entry : config.strings("api.async_response_uri_allow")) {
        try {
            out.notify_guard.allow(entry);
        } catch (const Error& e) {
            throw Error{Errc::InvalidConfig, "api.async_response_uri_allow: " + e.detail()};
        }
    }
    return out;
}

/// The TLS listener's key and chain as `config` names them (tls.key_id in the HSM, reached through the
/// inkan-signer provider; tls.certificate), with the client-certificate settings of [api].
http::TlsConfig tls_config(const Config& config, hsm::Token& tls_token) {
    Bytes key_id;
    try {
        key_id = hex_decode(config.require_string("tls.key_id"));
    } catch (const Error& e) {
        throw Error{Errc::InvalidConfig, std::string{"tls.key_id: "} + e.what()};
    }
    auto tls_signer = std::make_shared<sign::HsmSigner>(tls_token, key_id);
    const auto tls_chain = config.path("tls.certificate");
    require(tls_chain.has_value(), Errc::InvalidConfig, "tls.certificate is not configured");
    http::TlsConfig tls;
    tls.private_key = sign::provider::make_evp_pkey(tls_signer);
    tls.certificate_chain_pem = read_text_file(*tls_chain);
    if (const auto client_ca = config.path("api.client_ca")) {
        tls.client_ca_file = *client_ca;
        tls.client_auth = client_auth(config);
    }
    return tls;
}

/// The first certificate of a PEM file (empty when it cannot be read).
Bytes leaf_of(const fs::path& file) {
    try {
        return read_certificates(file).front();
    } catch (const Error&) {
        return {};
    }
}

/// Every TSA certificate `config` names, current ([tsa] and [tsa.<name>] certificate) and retired
/// (retired_certificates), each once, as PEM: what GET /tsa/certificates.pem publishes so that tokens
/// signed before a renewal still find their signer's certificate.
std::string tsa_certificates_pem(const Config& config) {
    std::vector<Bytes> all;
    std::vector<std::string> sections{"tsa"};
    for (const auto& name : tsa_identity_names(config)) {
        sections.push_back("tsa." + name);
    }
    const auto add = [&all](Bytes der) {
        if (!der.empty() && std::find(all.begin(), all.end(), der) == all.end()) {
            all.push_back(std::move(der));
        }
    };
    for (const auto& s : sections) {
        if (const auto file = config.path(s + ".certificate")) {
            add(leaf_of(*file));
        }
        for (const auto& file : retired_certificate_files(config, s)) {
            add(leaf_of(file));
        }
    }
    return pki::certificates_pem(all);
}

std::string serial_of(ByteView der) {
    return der.empty() ? std::string{} : pki::Certificate::from_der(der).serial_hex();
}

/// Every connection is a descriptor: the usual soft limit (1024) would refuse connections with EMFILE
/// below http.max_connections (1024 per listener). The hard limit stays the operator's to set.
void raise_open_file_limit() {
    rlimit r{};
    if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        (void)::setrlimit(RLIMIT_NOFILE, &r);
    }
}

}  // namespace

int cmd_serve(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"routes"}, {"data", "api-listen", "pki-listen", "metrics-listen"}};
    const fs::path data_dir = resolve_data_dir(args.option_or("data", ""));
    const Config config = load_config(data_dir);
    const std::string api_public_url = public_url(config);  // first: a missing one fails fast
    // A peer that closes early must not kill the server (OpenSSL writes to sockets directly).
    std::signal(SIGPIPE, SIG_IGN);
    raise_open_file_limit();
    log::set_level(log::parse_level(config.string_or("log.level", "info")));

    hsm::TokenConfig tc = token_config(config);
    hsm::Token token{std::move(tc)};
    const Clock& clock = SystemClock::instance();

    // The configured database, opened once (SQLite, or PostgreSQL shared with the other nodes): every
    // store below is a port on it. PostgreSQL that cannot be reached at startup fails the start.
    const std::shared_ptr<StorageBackend> storage = StorageBackend::open(config);
    log::info("storage",
              {{"backend", storage->kind()}, {"schema_version", std::to_string(storage->schema_version())}});
    PkiContext pki{config, token, clock, *storage};
    pki.warm_up();  // afterwards only read, from the worker threads
    ServiceContext service{config, token, pki, clock, storage};
    // Refuses to start with a TSA certificate that lacks the critical timeStamping EKU or is out of
    // validity (RFC 3161 §2.3): Errc::InvalidConfig, printed by the CLI, non-zero exit.
    TsaSetup tsa = make_tsa(config, token, clock, *storage);

    // The TLS key stays in the HSM: libssl reaches it through the inkan-signer provider (decision 0004).
    // It has sessions of its own (tls.hsm_sessions): handshakes never wait behind user signing for a
    // session, and a burst of handshakes never takes the sessions signing needs (decision 0018).
    hsm::TokenConfig tls_tc = token_config(config);
    const std::int64_t tls_sessions = config.integer_or("tls.hsm_sessions", 2);
    require(tls_sessions >= 1 && tls_sessions <= 64, Errc::InvalidConfig, "tls.hsm_sessions must be 1..64");
    tls_tc.pool_size = static_cast<std::size_t>(tls_sessions);
    hsm::Token tls_token{std::move(tls_tc)};
    http::TlsConfig tls = tls_config(config, tls_token);
    const bool mtls = !tls.client_ca_file.empty();

    // signDoc's time-stamps: the TSAs of [signing] tsa_urls (in order, with failover), else the
    // in-process TSA; B-LT/B-LTA, validationInfo and extend fetch OCSP/CRLs through one fetcher (its cache
    // shared); documents are processed under DIR/work.
    SigningSetup signing = make_signing(config, data_dir, tsa.authority.get());
    service::DocumentSigning documents{service.authorization(), signing.stamper.get(),
                                       signing.revocation.get(), clock, signing.settings};
    std::optional<service::Extension> extension;
    if (signing.stamper) {
        extension.emplace(signing.stamper.get(), signing.revocation.get(), signing.extension);
    }

    http::Router api_router;
    api::CscDeps deps{service.sessions(),
                      service.credentials(),
                      service.accounts(),
                      service.authorization(),
                      clock,
                      service_info(config, mtls, api_public_url),
                      &service.oauth(),
                      tsa.authority.get()};
    deps.documents = &documents;
    // operationMode "A": jobs on workers of their own, state in the shared database (any node answers
    // signPolling); stopped (queued jobs finished) before the documents and the service go.
    const auto async_store = storage->async_operations();
    service::AsyncOperations async{*async_store, clock, async_settings(config)};
    deps.async = &async;
    // Out-of-band approval (decision 0034): v2 credentials/authorize without factors → 202 + the approval
    // page's URL; credentials/authorizeCheck collects the SAD. State in the shared database: any node
    // serves the page and answers the poll.
    const auto oob_store = storage->oob();
    service::OobSettings oob_settings;
    oob_settings.lifetime = std::chrono::seconds{config.integer_or("authorization.oob_lifetime", 300)};
    require(oob_settings.lifetime.count() >= 10 && oob_settings.lifetime.count() <= 3600, Errc::InvalidConfig,
            "authorization.oob_lifetime must be 10..3600 seconds");
    service::OutOfBand oob{*oob_store,
                           service.authorization(),
                           service.accounts(),
                           service.credential_store(),
                           &service.oauth_client_store(),
                           service.audit(),
                           clock,
                           oob_settings};
    deps.oob = &oob;
    deps.extension = extension ? &*extension : nullptr;
    // POST /inkan/v1/validate: offline, against the [validation] trust configuration of inkan.toml (anchors,
    // accredited TSAs, trusted lists with their list signers; none: nothing is trusted), loaded once here by
    // the loader `inkan verify --data` uses (decision 0035); documents under DIR/work like signDoc's.
    service::ValidationSettings validation_settings;
    validation_settings.work_dir = signing.settings.work_dir;
    validation_settings.max_document_bytes = signing.settings.max_document_bytes;
    {
        TrustConfiguration trust = load_trust_configuration({config_path(data_dir)}, {}, {});
        for (const auto& p : trust.problems)
            log::warn(p);
        validation_settings.trust_sources = std::move(trust.sources);
        validation_settings.trust_configured = trust.configured;
    }
    service::Validation validation{std::move(validation_settings)};
    deps.validation = &validation;
    api::add_csc_routes(api_router, std::move(deps));
    // The operator's console and the JSON admin API (issue 18, decision 0041) on the API listener, through
    // the same service::Administration as the CLI. Sessions in the shared database: any node serves them.
    const auto console_sessions = storage->console_sessions();
    service::Console console{
        *console_sessions,       service.accounts(), service.authorization(), service.audit(), clock,
        console_settings(config)};
    FileMaintenanceSwitch maintenance_switch{maintenance_file(data_dir)};
    service::Administration administration{service.accounts(),
                                           service.authorization(),
                                           service.audit(),
                                           service.audit_store(),
                                           service.user_store(),
                                           service.credential_store(),
                                           &service.oauth_client_store(),
                                           &maintenance_switch,
                                           &service.credentials()};
    std::function<api::ConsoleStatus()> console_status;  // set below, once readiness is defined
    // Creating credentials on the console: the profiles and CAs `inkan credential create` offers, and the
    // root an uploaded certificate must chain to, as `inkan credential import-cert` takes it.
    const pki::ProfileSet console_profiles = profiles_from_config(config);
    std::vector<std::string> console_cas;
    for (const auto& name : pki.names()) {
        if (!config.boolean_or("ca." + name + ".root", false)) {
            console_cas.push_back(name);
        }
    }
    api::add_console_routes(
        api_router,
        api::ConsoleDeps{console, administration, service.sessions(),
                         [&console_status] { return console_status(); }, api_public_url,
                         &service.credentials(), &validation, &console_profiles, std::move(console_cas),
                         [&config, &pki] { return configured_trust_anchor(config, pki); }});
    PkiSources pki_sources{pki, clock,
                           std::chrono::seconds{config.integer_or("pki.crl_refresh_seconds", 300)}};
    api::PkiRoutesDeps pki_routes = pki_sources.routes(tsa.authority.get());
    // The TSA certificates, current and retired, from the configuration as last (re)loaded.
    std::mutex published_mutex;
    std::string published_tsa = tsa.authority ? tsa_certificates_pem(config) : std::string{};
    if (tsa.authority) {
        pki_routes.tsa_certificates = [&published_mutex, &published_tsa] {
            const std::lock_guard lock{published_mutex};
            return published_tsa;
        };
    }
    http::Router pki_router;
    api::add_pki_routes(pki_router, std::move(pki_routes));

    const auto [api_host, api_port] = parse_listen(
        args.option_or("api-listen", config.string_or("api.listen", "127.0.0.1:8443")), "api.listen");
    const auto [pki_host, pki_port] = parse_listen(
        args.option_or("pki-listen", config.string_or("pki.listen", "127.0.0.1:8080")), "pki.listen");
    // /metrics is on a listener of its own (loopback by default), never on the public listeners:
    // "off" leaves it out. metrics.token_file (optional) puts it behind a Bearer token as well.
    const std::string metrics_listen =
        args.option_or("metrics-listen", config.string_or("metrics.listen", "127.0.0.1:9464"));
    std::string metrics_token;
    if (const auto token_file = config.path("metrics.token_file")) {
        metrics_token = std::string{read_secret_file(*token_file).reveal()};
        require(!metrics_token.empty(), Errc::InvalidConfig, "metrics.token_file is empty");
    }

    // Expired rows leave the database every housekeeping.interval_seconds (decision 0032). Before the
    // server: its /metrics reads the counts until the server is gone.
    Housekeeper housekeeper{service.housekeeping(), housekeeping_interval(config)};

    // Certificate lifecycle (issue 26): /metrics gauges and /readyz warnings, from the same report as
    // `inkan status`.
    LifecycleCache lifecycle{config, service.credential_store(), clock};

    http::ServerOptions options = http::ServerOptions::from_config(config);
    // Ready all the same: an expiring certificate is the operator's to renew, not a reason to drain.
    // A trusted list past its next update (no longer used by the validate route) is a warning too: the
    // operator's `inkan tl fetch` has stopped refreshing the cache (decision 0035).
    options.warnings = [&lifecycle, &validation] {
        auto warnings = lifecycle.get().warnings;
        const auto now = std::chrono::system_clock::now();
        for (const auto& s : validation.trust()->trust_sources) {
            if (s.stale_at(now)) {
                warnings.push_back(s.name + " is past its next update " + format_rfc3339(*s.next_update) +
                                   ": its services are not trusted until it is fetched again (inkan tl "
                                   "fetch) and inkan reloads (SIGHUP) or restarts");
            }
        }
        return warnings;
    };
    // Ready when not in maintenance (`inkan maintenance on`), the token answers and the database does.
    options.readiness = [&token, &service,
                         maintenance_flag = maintenance_file(data_dir)]() -> std::optional<std::string> {
        if (fs::exists(maintenance_flag)) {
            return std::string{"maintenance"};
        }
        try {
            (void)token.info();
        } catch (const Error& e) {
            return std::string{"hsm: "} + std::string{errc_name(e.code())};
        }
        try {
            (void)service.token_store().find_by_hash(Bytes(32, 0));
        } catch (const Error& e) {
            return std::string{"database: "} + std::string{errc_name(e.code())};
        }
        return std::nullopt;
    };
    console_status = [&token, &maintenance_switch, readiness = options.readiness,
                      warnings = options.warnings] {
        api::ConsoleStatus st;
        const auto not_ready = readiness();
        st.ready = !not_ready;
        st.not_ready = not_ready.value_or("");
        st.maintenance = maintenance_switch.on();
        st.warnings = warnings();
        st.version = kVersion;
        try {
            const auto info = token.info();
            st.token_label = info.label;
            st.token_model = info.manufacturer + " " + info.model;
            st.token_state = "ok";
            st.token_pin = info.user_pin_locked ? "locked" : info.user_pin_count_low ? "count_low" : "ok";
            st.token_sessions = info.session_count;
            st.token_max_sessions = info.max_session_count;
            // Counted on each read of the service page: one C_FindObjects walk, an operator's page.
            std::map<std::string, std::size_t> keys;
            for (const auto& o : token.objects()) {
                if (o.object_class == hsm::ObjectClass::PrivateKey ||
                    o.object_class == hsm::ObjectClass::SecretKey) {
                    ++keys[std::string{hsm::name(o.object_class)} + " " + o.key_type];
                }
            }
            st.token_keys.assign(keys.begin(), keys.end());
        } catch (const Error& e) {
            st.token_state = std::string{errc_name(e.code())};
        }
        return st;
    };
    http::Server server{std::move(options)};
    server.metrics().gauge(
        "inkan_hsm_pool_sessions", "HSM sessions in the pool, by state", {"state"}, [&token] {
            const auto s = token.pool_stats();
            return std::vector<http::GaugeSample>{{{"open"}, static_cast<double>(s.open)},
                                                  {{"in_use"}, static_cast<double>(s.in_use)},
                                                  {{"size"}, static_cast<double>(s.size)}};
        });
    server.metrics().gauge(
        "inkan_hsm_tls_pool_sessions", "HSM sessions of the TLS key, by state", {"state"}, [&tls_token] {
            const auto s = tls_token.pool_stats();
            return std::vector<http::GaugeSample>{{{"open"}, static_cast<double>(s.open)},
                                                  {{"in_use"}, static_cast<double>(s.in_use)},
                                                  {{"size"}, static_cast<double>(s.size)}};
        });
    // Monotonic counts kept by the session pool: typed counter, so rate() applies.
    server.metrics().counter_from(
        "inkan_hsm_pool_lease_timeouts_total",
        "Operations refused (503) because no HSM session came free in time",
        [&token] { return static_cast<double>(token.pool_stats().lease_timeouts); });
    server.metrics().counter_from("inkan_hsm_pool_waits_total",
                                  "Leases that had to wait for a free HSM session",
                                  [&token] { return static_cast<double>(token.pool_stats().waits); });
    server.metrics().counter_from("inkan_hsm_pool_recoveries_total",
                                  "HSM operations retried after a recoverable error",
                                  [&token] { return static_cast<double>(token.pool_stats().recoveries); });

    // Seconds, not days: Prometheus' base unit (promtool refuses a "_days" metric); days = value / 86400.
    server.metrics().gauge(
        "inkan_certificate_expiry_seconds",
        "Seconds until the service's certificates expire (negative: expired), by role and name",
        {"role", "name"}, [&lifecycle] {
            std::vector<http::GaugeSample> out;
            for (const auto& c : lifecycle.get().certificates) {
                out.push_back({{c.role, c.name}, c.days_left * 86400.0});
            }
            return out;
        });
    server.metrics().gauge(
        "inkan_credentials_expiring",
        "Active credentials whose certificate expires within 30 days (or has expired)",
        [&lifecycle] { return static_cast<double>(lifecycle.get().credentials_expiring); });

    auto& signatures = server.metrics().counter("inkan_signatures_total", "Signatures produced, by algorithm",
                                                {"algorithm"});
    // Every algorithm the service signs with has its series from the start, at 0: a declared family
    // always carries a value, and rate() sees the first signature (issue 25).
    for (const auto digest : {crypto::DigestAlgorithm::Sha256, crypto::DigestAlgorithm::Sha384,
                              crypto::DigestAlgorithm::Sha512}) {
        for (const auto& algorithm :
             {crypto::SignatureAlgorithm::rsa_pkcs1(digest), crypto::SignatureAlgorithm::rsa_pss(digest),
              crypto::SignatureAlgorithm::ecdsa(digest)}) {
            signatures.inc({std::string{crypto::name(algorithm)}}, 0);
        }
    }
    service.authorization().on_signatures([&signatures](std::string_view algorithm, std::size_t count) {
        signatures.inc({std::string{algorithm}}, static_cast<double>(count));
    });

    server.metrics().counter_from("inkan_housekeeping_purged_rows_total",
                                  "Expired rows (SADs, tokens, codes, ...) removed by housekeeping",
                                  [&housekeeper] { return housekeeper.purged(); });
    server.metrics().counter_from("inkan_housekeeping_failures_total", "Housekeeping passes that failed",
                                  [&housekeeper] { return housekeeper.failures(); });

    auto& tokens = server.metrics().counter(
        "inkan_tsa_tokens_total", "Time-stamp requests answered, by policy and status", {"policy", "status"});
    if (tsa.authority) {
        for (const auto& identity : tsa.authority->identities()) {
            tokens.inc({identity.policy, "granted"}, 0);  // as the signatures above
        }
        tsa.authority->on_response([&tokens](std::string_view policy, std::string_view status) {
            tokens.inc({std::string{policy}, std::string{status}});
        });
    }

    if (args.flag("routes")) {
        // For the OpenAPI check: every route both listeners serve (ops endpoints included).
        nlohmann::json out = nlohmann::json::array();
        for (const auto& [name, router] : {std::pair{"api", &api_router}, std::pair{"pki", &pki_router}}) {
            for (const auto& r : router->routes()) {
                out.push_back({{"listener", name}, {"method", r.method}, {"path", r.pattern()}});
            }
            for (const char* ops : {"/healthz", "/readyz"}) {
                out.push_back({{"listener", name}, {"method", "GET"}, {"path", ops}});
            }
        }
        if (metrics_listen != "off") {
            for (const char* ops : {"/healthz", "/readyz", "/metrics"}) {
                out.push_back({{"listener", "metrics"}, {"method", "GET"}, {"path", ops}});
            }
        }
        io.out << out.dump(2) << "\n";
        return 0;
    }

    http::ListenerConfig api_listener;
    api_listener.name = "api";
    api_listener.host = api_host;
    api_listener.port = api_port;
    api_listener.tls = std::move(tls);
    api_listener.router = std::move(api_router);
    api_listener.metrics_endpoint = false;
    http::ListenerConfig pki_listener;
    pki_listener.name = "pki";
    pki_listener.host = pki_host;
    pki_listener.port = pki_port;
    pki_listener.router = std::move(pki_router);
    pki_listener.metrics_endpoint = false;
    const std::uint16_t api_bound = server.add_listener(std::move(api_listener));
    const std::uint16_t pki_bound = server.add_listener(std::move(pki_listener));
    std::string metrics_url;
    if (metrics_listen != "off") {
        const auto [metrics_host, metrics_port] = parse_listen(metrics_listen, "metrics.listen");
        http::ListenerConfig metrics_listener;
        metrics_listener.name = "metrics";
        metrics_listener.host = metrics_host;
        metrics_listener.port = metrics_port;
        metrics_listener.metrics_token = std::move(metrics_token);
        const std::uint16_t metrics_bound = server.add_listener(std::move(metrics_listener));
        metrics_url = "http://" + url_host(metrics_host) + ":" + std::to_string(metrics_bound) + "/metrics";
    }

    // The audit chain's head is time-stamped by the in-process TSA every audit.anchor_interval_seconds
    // and once more at shutdown, so deleted newest entries are found by `inkan audit verify`
    // (decision 0017).
    AuditAnchorer anchorer{service.audit_anchoring(), tsa.authority.get(),
                           std::chrono::seconds{config.integer_or("audit.anchor_interval_seconds", 3600)}};

    const std::string api_url = "https://" + url_host(api_host) + ":" + std::to_string(api_bound);
    const std::string pki_url = "http://" + url_host(pki_host) + ":" + std::to_string(pki_bound);

    // SIGHUP: the TSA, OCSP-responder and TLS keys and certificates as inkan.toml names them now (after
    // `inkan ca renew`), each switched only once its new key and certificate check out; a part that does
    // not keeps what it had. In-flight requests finish with what they started with; new time-stamps,
    // OCSP responses and TLS handshakes get the new ones (decision 0037). The validate route's trust
    // configuration is re-read too (trusted lists after `inkan tl fetch`). Nothing else is.
    const auto reload = [&] {
        nlohmann::json result{{"event", "reloaded"}};
        bool ok = true;
        std::optional<Config> fresh;
        try {
            fresh.emplace(load_config(data_dir));
        } catch (const Error& e) {
            result["config"] = std::string{"error: "} + e.what();
            ok = false;
        }
        if (fresh) {
            if (tsa.authority) {
                try {
                    tsa.authority->replace_identities(tsa_identities(*fresh, token));
                    result["tsa"] = serial_of(tsa.authority->default_identity().chain.front());
                    const std::string pem = tsa_certificates_pem(*fresh);
                    const std::lock_guard lock{published_mutex};
                    published_tsa = pem;
                } catch (const Error& e) {
                    result["tsa"] = std::string{"error: "} + e.what();
                    ok = false;
                }
            }
            if (fresh->has("ocsp.key_id")) {
                try {
                    pki.reload_ocsp(*fresh);
                    result["ocsp"] = serial_of(pki.ocsp_certificate());
                } catch (const Error& e) {
                    result["ocsp"] = std::string{"error: "} + e.what();
                    ok = false;
                }
            }
            try {
                const http::TlsConfig next = tls_config(*fresh, tls_token);
                const auto served = pki::certificates_from_pem(next.certificate_chain_pem);
                server.reload_tls("api", next);
                result["tls"] = served.empty() ? std::string{} : served.front().serial_hex();
            } catch (const Error& e) {
                result["tls"] = std::string{"error: "} + e.what();
                ok = false;
            }
            // The validate route's trust ([validation]: anchors, accredited TSAs, trusted lists as
            // `inkan tl fetch` left them), read by the loader startup used; a configuration that does not
            // load keeps the trust in force.
            try {
                TrustConfiguration trust = load_trust_configuration({config_path(data_dir)}, {}, {});
                for (const auto& p : trust.problems)
                    log::warn(p);
                result["trust_sources"] = trust.sources.size();
                validation.replace_trust(
                    service::ValidationTrust{{}, std::move(trust.sources), trust.configured});
            } catch (const Error& e) {
                result["trust_sources"] = std::string{"error: "} + e.what();
                ok = false;
            }
            lifecycle.switch_to(*fresh);
        }
        service::AuditEvent e;
        e.action = "serve.reload";
        e.outcome = ok ? "ok" : "failed";
        e.operator_name = "SIGHUP";
        nlohmann::json details = result;
        details.erase("event");
        e.details = details.dump();
        try {
            service.audit().record(e);
        } catch (const Error& err) {
            log::error("cannot audit the reload",
                       {{"error", errc_name(err.code())}, {"detail", err.detail()}});
        }
        if (ok) {
            log::info("reloaded", {{"details", details.dump()}});
        } else {
            log::error("reload: some parts kept their old keys and certificates",
                       {{"details", details.dump()}});
        }
        // One JSON line on stdout, like "serving": scripts and tests learn that the switch happened.
        result["ok"] = ok;
        io.out << result.dump() << std::endl;
    };
    // Printed once the signal handlers are installed: a script that reads the line may stop the
    // server at once.
    server.run_until_signal(
        [&] {
            // One JSON line on stdout: what scripts and tests read to find the (possibly ephemeral) ports.
            io.out << nlohmann::json{{"event", "serving"},
                                     {"api_url", api_url},
                                     {"csc_v1", api_url + "/csc/v1"},
                                     {"csc_v2", api_url + "/csc/v2"},
                                     {"pki_url", pki_url},
                                     {"tsa_url", pki_url + "/tsa"},
                                     {"metrics_url", metrics_url},
                                     {"public_url", api_public_url},
                                     {"tls_ca",
                                      config.path("ca.inkan-root.chain").value_or(fs::path{}).string()},
                                     {"pid", static_cast<std::int64_t>(::getpid())}}
                          .dump()
                   << std::endl;
            log::info("serving", {{"api_url", api_url}, {"pki_url", pki_url}});
        },
        reload);
    anchorer.stop_and_anchor();
    log::info("stopped");
    return 0;
}

}  // namespace inkan::app
