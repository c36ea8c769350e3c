#include "service_context.h"

#include <chrono>
#include <istream>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/core/log.h>
#include <inkan/crypto/random.h>
#include <inkan/pki/certificate.h>
#include <inkan/storage/sqlite_service_stores.h>

namespace inkan::app {

service::AuthSettings auth_settings(const Config& config) {
    service::AuthSettings s;
    const auto access = config.integer_or("auth.access_token_lifetime", s.access_lifetime.count());
    const auto refresh = config.integer_or("auth.refresh_token_lifetime", s.refresh_lifetime.count());
    require(access >= 1 && refresh >= 1, Errc::InvalidConfig,
            "auth.access_token_lifetime and auth.refresh_token_lifetime must be at least 1 second");
    s.access_lifetime = std::chrono::seconds{access};
    s.refresh_lifetime = std::chrono::seconds{refresh};
    return s;
}

ServiceContext::ServiceContext(const Config& config, hsm::Token& token, PkiContext& pki, const Clock& clock) {
    const auto db = config.path("storage.sqlite");
    require(db.has_value(), Errc::InvalidConfig, "storage.sqlite is not configured");
    m_db = std::make_shared<storage::Database>(*db);
    m_users = std::make_unique<storage::SqliteUserStore>(m_db);
    m_credential_store = std::make_unique<storage::SqliteCredentialStore>(m_db);
    m_tokens = std::make_unique<storage::SqliteTokenStore>(m_db);
    m_sealer = std::make_unique<service::SecretSealer>(
        token, config.string_or("hsm.storage_key_label", "inkan-storage-key"));
    m_accounts = std::make_unique<service::Accounts>(*m_users, *m_sealer, clock,
                                                     config.string_or("auth.totp_issuer", "inkan"));
    m_sessions =
        std::make_unique<service::Sessions>(*m_accounts, *m_users, *m_tokens, clock, auth_settings(config));

    service::ConnectorLookup lookup = [&pki](const std::string& name) -> pki::CaConnector& {
        return pki.connector(name.empty() ? pki.default_ca() : name);
    };
    // A built-in CA revokes by serial; manual and CMP CAs are told by the operator.
    service::CertificateRevoker revoker = [&pki, &clock](const std::string& ca, ByteView cert_der,
                                                         pki::RevocationReason reason) {
        std::string kind;
        try {
            kind = pki.kind(ca);
        } catch (const Error& e) {
            if (e.code() != Errc::NotFound) {
                throw;
            }
            log::warn("the credential's CA is no longer configured; its certificate is not revoked there",
                      {{"ca", ca}});
            return false;
        }
        if (kind != "builtin") {
            return false;
        }
        pki.builtin(ca).revoke(pki::Certificate::from_der(cert_der).serial(), reason, clock.now());
        return true;
    };
    m_credentials = std::make_unique<service::Credentials>(*m_credential_store, *m_users, token,
                                                           std::move(lookup), std::move(revoker), clock);
}

ServiceContext::~ServiceContext() = default;

OpenedService open_service(const std::string& data_flag) {
    OpenedService o;
    o.runtime = open_runtime(data_flag);
    o.pki = std::make_unique<PkiContext>(o.runtime->config, o.runtime->token, SystemClock::instance());
    o.service = std::make_unique<ServiceContext>(o.runtime->config, o.runtime->token, *o.pki,
                                                 SystemClock::instance());
    return o;
}

Secret read_secret_line(std::istream& in, std::string_view what) {
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
    if (line.empty()) {
        throw Error{Errc::InvalidRequest, "no " + std::string{what} + " on standard input"};
    }
    return Secret{std::move(line)};
}

Secret random_password() {
    Bytes raw = crypto::random_bytes(15);
    std::string text = base64url_encode(raw);
    secure_wipe(raw.data(), raw.size());
    return Secret{std::move(text)};
}

Secret random_pin(int digits) {
    require(digits >= 4 && digits <= 12, Errc::InvalidRequest, "PIN length must be 4..12 digits");
    std::string pin;
    while (pin.size() < static_cast<std::size_t>(digits)) {
        Bytes raw = crypto::random_bytes(16);
        for (const std::uint8_t b : raw) {
            // Rejection sampling: bytes 250..255 would favour 0..5.
            if (b < 250 && pin.size() < static_cast<std::size_t>(digits)) {
                pin += static_cast<char>('0' + b % 10);
            }
        }
        secure_wipe(raw.data(), raw.size());
    }
    return Secret{std::move(pin)};
}

}  // namespace inkan::app
