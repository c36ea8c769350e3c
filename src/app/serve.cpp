// `inkan serve`: the CSC API over HTTPS (TLS key in the HSM) and the PKI endpoints over HTTP.

#include <unistd.h>

#include <csignal>
#include <fstream>
#include <iterator>
#include <optional>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include <inkan/api/csc.h>
#include <inkan/api/errors.h>
#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/core/log.h>
#include <inkan/http/server.h>
#include <inkan/pki/certificate.h>
#include <inkan/service/validation.h>
#include <inkan/sign/hsm_signer.h>
#include <inkan/sign/provider.h>

#include "args.h"
#include "commands.h"
#include "context.h"
#include "pki_context.h"
#include "pki_endpoints.h"
#include "service_context.h"
#include "signing_setup.h"
#include "tsa_setup.h"

namespace inkan::app {

namespace fs = std::filesystem;

namespace {

std::string url_host(const std::string& host) {
    return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

api::ServiceInfo service_info(const Config& config, bool mtls) {
    api::ServiceInfo info;
    info.name = config.string_or("csc.name", info.name);
    info.logo = config.string_or("csc.logo", info.logo);
    info.region = config.string_or("csc.region", info.region);
    info.lang = config.string_or("csc.lang", info.lang);
    info.description = config.string_or("csc.description", info.description);
    info.totp_issuer = config.string_or("auth.totp_issuer", info.totp_issuer);
    info.mtls = mtls;
    info.public_url = config.string_or("api.public_url", "");
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

int cmd_maintenance(const std::vector<std::string>& words, Io io) {
    const Args args{words, {}, {"data"}};
    if (args.positional().size() != 1) {
        throw UsageError{"maintenance takes on, off or status"};
    }
    const fs::path data_dir = resolve_data_dir(args.option_or("data", ""));
    (void)load_config(data_dir);  // an initialised data directory, or a clear error
    const fs::path flag = maintenance_file(data_dir);
    const std::string& what = args.positional()[0];
    if (what == "on") {
        std::ofstream{flag} << "maintenance mode: /readyz answers 503 until `inkan maintenance off`\n";
    } else if (what == "off") {
        fs::remove(flag);
    } else if (what != "status") {
        throw UsageError{"maintenance takes on, off or status"};
    }
    io.out << "maintenance " << (fs::exists(flag) ? "on" : "off") << "\n";
    return 0;
}

int cmd_serve(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"routes"}, {"data", "api-listen", "pki-listen"}};
    const fs::path data_dir = resolve_data_dir(args.option_or("data", ""));
    const Config config = load_config(data_dir);
    // A peer that closes early must not kill the server (OpenSSL writes to sockets directly).
    std::signal(SIGPIPE, SIG_IGN);
    log::set_level(log::parse_level(config.string_or("log.level", "info")));

    hsm::TokenConfig tc = token_config(config);
    hsm::Token token{std::move(tc)};
    const Clock& clock = SystemClock::instance();

    PkiContext pki{config, token, clock};
    pki.warm_up();  // afterwards only read, from the worker threads
    ServiceContext service{config, token, pki, clock};
    // Refuses to start with a TSA certificate that lacks the critical timeStamping EKU or is out of
    // validity (RFC 3161 §2.3): Errc::InvalidConfig, printed by the CLI, non-zero exit.
    TsaSetup tsa = make_tsa(config, token, clock);

    // The TLS key stays in the HSM: libssl reaches it through the inkan-signer provider (decision 0004).
    auto tls_signer =
        std::make_shared<sign::HsmSigner>(token, hex_decode(config.require_string("tls.key_id")));
    const auto tls_chain = config.path("tls.certificate");
    require(tls_chain.has_value(), Errc::InvalidConfig, "tls.certificate is not configured");
    http::TlsConfig tls;
    tls.private_key = sign::provider::make_evp_pkey(tls_signer);
    tls.certificate_chain_pem = read_text_file(*tls_chain);
    if (const auto client_ca = config.path("api.client_ca")) {
        tls.client_ca_file = *client_ca;
        tls.client_auth = client_auth(config);
    }
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
    api::CscDeps deps{
        service.sessions(),         service.credentials(), service.accounts(), service.authorization(), clock,
        service_info(config, mtls), &service.oauth(),      tsa.authority.get()};
    deps.documents = &documents;
    deps.extension = extension ? &*extension : nullptr;
    // POST /inkan/v1/validate: offline, against [validation] trust_anchors (PEM files; none: nothing is
    // trusted), documents under DIR/work like signDoc's.
    service::ValidationSettings validation_settings;
    validation_settings.work_dir = signing.settings.work_dir;
    validation_settings.max_document_bytes = signing.settings.max_document_bytes;
    for (const auto& file : config.strings("validation.trust_anchors")) {
        for (const auto& c : pki::certificates_from_pem(read_text_file(file))) {
            validation_settings.trust_anchors.push_back(c.der());
        }
    }
    service::Validation validation{std::move(validation_settings)};
    deps.validation = &validation;
    api::add_csc_routes(api_router, std::move(deps));
    PkiEndpoints pki_endpoints{pki, clock,
                               std::chrono::seconds{config.integer_or("pki.crl_refresh_seconds", 300)},
                               tsa.authority.get()};
    http::Router pki_router;
    pki_endpoints.add_routes(pki_router);

    const auto [api_host, api_port] = parse_listen(
        args.option_or("api-listen", config.string_or("api.listen", "127.0.0.1:8443")), "api.listen");
    const auto [pki_host, pki_port] = parse_listen(
        args.option_or("pki-listen", config.string_or("pki.listen", "127.0.0.1:8080")), "pki.listen");

    http::ServerOptions options = http::ServerOptions::from_config(config);
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
    http::Server server{std::move(options)};
    server.metrics().gauge(
        "inkan_hsm_pool_sessions", "HSM sessions in the pool, by state", {"state"}, [&token] {
            const auto s = token.pool_stats();
            return std::vector<http::GaugeSample>{{{"open"}, static_cast<double>(s.open)},
                                                  {{"in_use"}, static_cast<double>(s.in_use)},
                                                  {{"size"}, static_cast<double>(s.size)}};
        });
    server.metrics().gauge("inkan_hsm_pool_waits", "Leases that had to wait for a free HSM session (counter)",
                           [&token] { return static_cast<double>(token.pool_stats().waits); });
    server.metrics().gauge("inkan_hsm_pool_recoveries",
                           "HSM operations retried after a recoverable error (counter)",
                           [&token] { return static_cast<double>(token.pool_stats().recoveries); });

    auto& signatures = server.metrics().counter("inkan_signatures_total", "Signatures produced, by algorithm",
                                                {"algorithm"});
    service.authorization().on_signatures([&signatures](std::string_view algorithm, std::size_t count) {
        signatures.inc({std::string{algorithm}}, static_cast<double>(count));
    });

    auto& tokens = server.metrics().counter(
        "inkan_tsa_tokens_total", "Time-stamp requests answered, by policy and status", {"policy", "status"});
    if (tsa.authority) {
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
            for (const char* ops : {"/healthz", "/readyz", "/metrics"}) {
                out.push_back({{"listener", name}, {"method", "GET"}, {"path", ops}});
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
    http::ListenerConfig pki_listener;
    pki_listener.name = "pki";
    pki_listener.host = pki_host;
    pki_listener.port = pki_port;
    pki_listener.router = std::move(pki_router);
    const std::uint16_t api_bound = server.add_listener(std::move(api_listener));
    const std::uint16_t pki_bound = server.add_listener(std::move(pki_listener));

    const std::string api_url = "https://" + url_host(api_host) + ":" + std::to_string(api_bound);
    const std::string pki_url = "http://" + url_host(pki_host) + ":" + std::to_string(pki_bound);
    // Printed once the signal handlers are installed: a script that reads the line may stop the
    // server at once.
    server.run_until_signal([&] {
        // One JSON line on stdout: what scripts and tests read to find the (possibly ephemeral) ports.
        io.out << nlohmann::json{{"event", "serving"},
                                 {"api_url", api_url},
                                 {"csc_v1", api_url + "/csc/v1"},
                                 {"csc_v2", api_url + "/csc/v2"},
                                 {"pki_url", pki_url},
                                 {"tsa_url", pki_url + "/tsa"},
                                 {"tls_ca", config.path("ca.inkan-root.chain").value_or(fs::path{}).string()},
                                 {"pid", static_cast<std::int64_t>(::getpid())}}
                      .dump()
               << std::endl;
        log::info("serving", {{"api_url", api_url}, {"pki_url", pki_url}});
    });
    log::info("stopped");
    return 0;
}

}  // namespace inkan::app
