#include "signing_setup.h"

#include <inkan/core/error.h>
#include <inkan/net/url_guard.h>
#include <inkan/pki/certificate.h>

#include "context.h"

namespace inkan::app {

SigningSetup make_signing(const Config& config, const std::filesystem::path& data_dir,
                          tsp::Authority* authority) {
    SigningSetup out;
    const std::int64_t max_doc = config.integer_or("api.max_document_bytes", 64LL * 1024 * 1024);
    require(max_doc > 0 && max_doc <= 1LL << 32, Errc::InvalidConfig,
            "api.max_document_bytes must be between 1 and 4 GiB");
    out.settings.max_document_bytes = static_cast<std::size_t>(max_doc);
    const std::int64_t p = config.integer_or("signing.certify_permissions", 2);
    require(p >= 1 && p <= 3, Errc::InvalidConfig, "signing.certify_permissions must be 1, 2 or 3");
    out.settings.certify_permissions = static_cast<int>(p);
    out.settings.work_dir = data_dir / "work";
    out.settings.refuse_revoked = config.boolean_or("signing.refuse_revoked", true);
    out.extension.work_dir = out.settings.work_dir;
    out.extension.max_document_bytes = out.settings.max_document_bytes;
    out.extension.refuse_revoked = config.boolean_or("signing.extend_refuse_revoked", false);
    // Visible signatures drawn by signDoc embed a subset of this font (decision 0031); empty: the
    // installed IPA Mincho/Gothic. Checked at start, so a wrong path fails `inkan serve`, not a signer.
    if (const auto font = config.string("signing.appearance_font")) {
        require(std::filesystem::is_regular_file(*font), Errc::InvalidConfig,
                "signing.appearance_font is not a readable file: " + *font);
        out.settings.appearance_font = *font;
    }
    out.settings.vri = out.extension.vri = config.boolean_or("signing.vri", false);
    out.settings.document_time_stamp_validation = out.extension.document_time_stamp_validation =
        config.boolean_or("signing.timestamp_validation", false);

    pki::RevocationOptions revocation;
    const std::int64_t timeout = config.integer_or("signing.revocation_timeout_ms", 10'000);
    require(timeout > 0 && timeout <= 600'000, Errc::InvalidConfig,
            "signing.revocation_timeout_ms must be between 1 and 600000");
    revocation.timeout = std::chrono::milliseconds{timeout};
    revocation.proxy = config.string("signing.revocation_proxy");
    // The URLs come from certificates in users' documents (decision 0016): a strict guard, widened
    // only by the operator's allow list; failures reach the client as "revocation data unavailable
    // for <subject>", their details only the log.
    revocation.guard = net::UrlGuard{};
    for (const auto& entry : config.strings("signing.revocation_allow")) {
        try {
            revocation.guard.allow(entry);
        } catch (const Error& e) {
            throw Error{Errc::InvalidConfig, "signing.revocation_allow: " + e.detail()};
        }
    }
    revocation.reveal_sources = false;
    const std::int64_t depth = config.integer_or("signing.revocation_max_chain_depth", 8);
    require(depth >= 1 && depth <= 32, Errc::InvalidConfig,
            "signing.revocation_max_chain_depth must be between 1 and 32");
    revocation.max_chain_depth = static_cast<int>(depth);
    const std::int64_t budget_ms = config.integer_or("signing.revocation_budget_ms", 60'000);
    require(budget_ms > 0 && budget_ms <= 3'600'000, Errc::InvalidConfig,
            "signing.revocation_budget_ms must be between 1 and 3600000");
    revocation.budget_time = std::chrono::milliseconds{budget_ms};
    const std::int64_t budget_bytes =
        config.integer_or("signing.revocation_budget_bytes", 64LL * 1024 * 1024);
    require(budget_bytes > 0 && budget_bytes <= 1LL << 32, Errc::InvalidConfig,
            "signing.revocation_budget_bytes must be between 1 and 4 GiB");
    revocation.budget_bytes = static_cast<std::size_t>(budget_bytes);
    const std::int64_t budget_requests = config.integer_or("signing.revocation_budget_requests", 64);
    require(budget_requests > 0 && budget_requests <= 10'000, Errc::InvalidConfig,
            "signing.revocation_budget_requests must be between 1 and 10000");
    revocation.budget_requests = static_cast<int>(budget_requests);
    out.revocation = std::make_unique<pki::RevocationFetcher>(std::move(revocation));

    const std::vector<std::string> urls = config.strings("signing.tsa_urls");
    if (!urls.empty()) {
        std::vector<tsp::TsaEndpoint> endpoints;
        tsp::ClientOptions options;
        const auto ca = config.path("signing.tsa_ca_file");
        if (ca) {
            for (const auto& c : pki::certificates_from_pem(read_text_file(*ca))) {
                options.trust_anchors.push_back(c.der());
            }
        }
        for (const auto& url : urls) {
            tsp::TsaEndpoint e;
            e.url = url;
            if (ca) {
                e.ca_file = *ca;
            }
            endpoints.push_back(std::move(e));
        }
        out.client = std::make_unique<tsp::Client>(std::move(endpoints), std::move(options));
        out.stamper = std::make_unique<ades::ClientTimeStamper>(*out.client);
    } else if (authority != nullptr) {
        out.stamper = std::make_unique<ades::AuthorityTimeStamper>(*authority);
    }
    return out;
}

}  // namespace inkan::app
