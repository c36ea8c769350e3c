#include "service_context.h"

#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <istream>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/core/log.h>
#include <inkan/crypto/random.h>
#include <inkan/pki/certificate.h>

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

service::PasswordLockout password_lockout(const Config& config) {
    service::PasswordLockout s;
    const auto max = config.integer_or("auth.max_password_failures", s.max_failures);
    const auto lock = config.integer_or("auth.password_lock_seconds", s.lock.count());
    require(max >= 1 && max <= 1000, Errc::InvalidConfig, "auth.max_password_failures must be 1..1000");
    require(lock >= 0 && lock <= 366LL * 86400, Errc::InvalidConfig,
            "auth.password_lock_seconds must be 0 (until an operator unlocks) .. 31622400 seconds");
    s.max_failures = static_cast<int>(max);
    s.lock = std::chrono::seconds{lock};
    return s;
}

service::AuthorizationSettings authorization_settings(const Config& config) {
    service::AuthorizationSettings s;
    const auto lifetime = config.integer_or("authorization.sad_lifetime", s.sad_lifetime.count());
    const auto max_lifetime = config.integer_or("authorization.max_sad_lifetime", s.max_sad_lifetime.count());
    const auto pins = config.integer_or("authorization.max_pin_failures", s.max_pin_failures);
    const auto otps = config.integer_or("authorization.max_otp_failures", s.max_otp_failures);
    const auto window = config.integer_or("authorization.totp_window", s.totp_window);
    // 0: three times max_sad_lifetime (see AuthorizationSettings::hard_limit()).
    const auto hard = config.integer_or("authorization.sad_hard_limit", 0);
    require(hard >= 0, Errc::InvalidConfig, "authorization.sad_hard_limit must be 0 (default) or seconds");
    require(lifetime >= 1 && max_lifetime >= 1, Errc::InvalidConfig,
            "authorization.sad_lifetime and authorization.max_sad_lifetime must be at least 1 second");
    require(pins >= 1 && pins <= 1000 && otps >= 1 && otps <= 1000, Errc::InvalidConfig,
            "authorization.max_pin_failures and max_otp_failures must be 1..1000");
    require(window >= 0 && window <= 10, Errc::InvalidConfig, "authorization.totp_window must be 0..10");
    s.sad_lifetime = std::chrono::seconds{lifetime};
    s.max_sad_lifetime = std::chrono::seconds{max_lifetime};
    s.max_pin_failures = static_cast<int>(pins);
    s.max_otp_failures = static_cast<int>(otps);
    s.totp_window = static_cast<int>(window);
    s.sad_hard_limit = std::chrono::seconds{hard};
    return s;
}

service::OAuthSettings oauth_settings(const Config& config) {
    service::OAuthSettings s;
    const auto seconds = [&](const char* key, std::chrono::seconds fallback) {
        const auto v = config.integer_or(key, fallback.count());
        require(v >= 1 && v <= 86400, Errc::InvalidConfig, std::string{key} + " must be 1..86400 seconds");
        return std::chrono::seconds{v};
    };
    s.code_lifetime = seconds("oauth2.code_lifetime_seconds", s.code_lifetime);
    s.page_lifetime = seconds("oauth2.page_lifetime_seconds", s.page_lifetime);
    s.par_lifetime = seconds("oauth2.par_lifetime_seconds", s.par_lifetime);
    s.credential_token_lifetime =
        seconds("oauth2.credential_token_lifetime_seconds", s.credential_token_lifetime);
    s.account_token_max_age = seconds("oauth2.account_token_max_age_seconds", s.account_token_max_age);
    s.allow_plain_pkce = config.boolean_or("oauth2.allow_plain_pkce", false);
    return s;
}

service::HousekeepingSettings housekeeping_settings(const Config& config) {
    service::HousekeepingSettings s;
    const auto batch = config.integer_or("housekeeping.batch_size", static_cast<std::int64_t>(s.batch_size));
    const auto grace = config.integer_or("housekeeping.grace_seconds", s.grace.count());
    require(batch >= 1 && batch <= 100'000, Errc::InvalidConfig, "housekeeping.batch_size must be 1..100000");
    require(grace >= 0 && grace <= 366LL * 86400, Errc::InvalidConfig,
            "housekeeping.grace_seconds must be 0..31622400");
    s.batch_size = static_cast<std::size_t>(batch);
    s.grace = std::chrono::seconds{grace};
    s.totp_window = authorization_settings(config).totp_window;
    return s;
}

std::chrono::seconds housekeeping_interval(const Config& config) {
    const auto v = config.integer_or("housekeeping.interval_seconds", 3600);
    require(v >= 0 && v <= 366LL * 86400, Errc::InvalidConfig,
            "housekeeping.interval_seconds must be 0 (only `inkan purge`) .. 31622400");
    return std::chrono::seconds{v};
}

namespace {

// An actor name goes into every operator entry of the audit log and into exports read by people and
// spreadsheets: printable text only (no control characters that could forge a line or a CSV row) and
// short enough for a column. 64 code points is the limit of a login name (model.h) as well.
constexpr std::size_t kMaxOperatorNameLength = 64;

bool is_printable_name(std::string_view text) noexcept {
    std::size_t count = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        const auto cp = utf8_next(text, i);
        if (!cp || *cp < 0x20 || (*cp >= 0x7F && *cp <= 0x9F)) {
            return false;
        }
        ++count;
    }
    return count >= 1 && count <= kMaxOperatorNameLength;
}

const char* env(const char* name) {
    return std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read once per command, before any thread
}

}  // namespace

std::string operator_name() {
    // The configured identity first: a service account or an automation names the person or ticket it
    // acts for (decision 0039). Set but unusable is an error, never a silent fallback to someone else.
    if (const char* configured = env("INKAN_OPERATOR"); configured != nullptr) {
        if (!is_printable_name(configured)) {
            throw Error{Errc::InvalidConfig,
                        "INKAN_OPERATOR must be 1.." + std::to_string(kMaxOperatorNameLength) +
                            " characters of printable UTF-8 (no control characters); unset it to be "
                            "recorded as the OS user"};
        }
        return configured;
    }
    // Under sudo the effective user is root for everyone; the account that ran sudo is the person
    // (sudo(8) sets SUDO_USER from its own lookup, not from the caller's environment).
    if (const char* sudo_user = env("SUDO_USER"); sudo_user != nullptr && is_printable_name(sudo_user)) {
        return sudo_user;
    }
    // The OS account from the password database, not $USER/$LOGNAME: those are whatever the caller's
    // environment says, while the effective uid is what the kernel checked against the data directory.
    const uid_t uid = ::geteuid();
    std::vector<char> buffer(16384);
    passwd pw{};
    passwd* found = nullptr;
    if (::getpwuid_r(uid, &pw, buffer.data(), buffer.size(), &found) == 0 && found != nullptr &&
        is_printable_name(found->pw_name)) {
        return found->pw_name;
    }
    // A uid without a passwd entry (containers): still someone, named by number.
    return "uid:" + std::to_string(uid);
}

ServiceContext::ServiceContext(const Config& config, hsm::Token& token, PkiContext& pki, const Clock& clock,
                               std::shared_ptr<StorageBackend> storage)
    // Resolved before anything changes: an unusable INKAN_OPERATOR refuses the command instead of
    // leaving a change without its audit entry.
    : m_operator{operator_name()}, m_storage{std::move(storage)} {
    require(m_storage != nullptr, Errc::Internal, "ServiceContext: no storage");
    m_users = m_storage->users();
    m_credential_store = m_storage->credentials();
    m_tokens = m_storage->tokens();
    m_authorization_store = m_storage->authorization();
    m_audit_store = m_storage->audit();
    m_audit = std::make_unique<service::AuditLog>(*m_audit_store, clock);
    m_anchor_store = m_storage->audit_anchors();
    m_anchoring = std::make_unique<service::AuditAnchoring>(*m_anchor_store, *m_audit_store, clock);
    m_archive_store = m_storage->audit_archives();
    m_archiver = std::make_unique<service::AuditArchiver>(*m_archive_store, *m_audit_store, clock);
    m_sealer = std::make_unique<service::SecretSealer>(
        token, config.string_or("hsm.storage_key_label", "inkan-storage-key"));
    m_accounts = std::make_unique<service::Accounts>(
        *m_users, *m_sealer, clock, config.string_or("auth.totp_issuer", "inkan"), password_lockout(config));
    m_sessions =
        std::make_unique<service::Sessions>(*m_accounts, *m_users, *m_tokens, clock, auth_settings(config));
    m_sessions->set_audit(m_audit.get());  // token issue and revocation are audited (sole-control issue §5)

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
    m_authorization = std::make_unique<service::Authorization>(*m_credential_store, *m_users, *m_accounts,
                                                               *m_authorization_store, *m_audit, token, clock,
                                                               authorization_settings(config));
    m_oauth_clients = m_storage->oauth_clients();
    m_oauth_grants = m_storage->oauth_grants();
    // System clients' seal grants and the liveness of OAuth clients' tokens.
    m_sessions->set_clients(m_oauth_clients.get());
    m_credentials->set_clients(m_oauth_clients.get());
    m_authorization->set_clients(m_oauth_clients.get());
    m_oauth = std::make_unique<service::OAuth>(*m_oauth_clients, *m_oauth_grants, *m_accounts, *m_sessions,
                                               *m_authorization, *m_credentials, *m_audit, clock,
                                               oauth_settings(config));
    m_housekeeping_store = m_storage->housekeeping();
    m_housekeeping =
        std::make_unique<service::Housekeeping>(*m_housekeeping_store, clock, housekeeping_settings(config));
    m_administration = std::make_unique<service::Administration>(
        *m_accounts, *m_authorization, *m_audit, *m_audit_store, *m_users, *m_credential_store,
        m_oauth_clients.get(), nullptr, m_credentials.get());
}

void ServiceContext::audit_operator(std::string_view action, std::string_view user_id,
                                    std::string_view credential_id, std::string details_json) {
    service::AuditEvent e;
    e.action = std::string{action};
    e.outcome = "ok";
    e.user_id = std::string{user_id};
    e.credential_id = std::string{credential_id};
    e.operator_name = m_operator;
    e.details = details_json.empty() ? "{}" : std::move(details_json);
    m_audit->record(e);
}

ServiceContext::~ServiceContext() = default;

void audit_operator_change(const Config& config, const std::string& actor, std::string_view action,
                           std::string details_json) {
    const auto store = StorageBackend::open(config)->audit();
    service::AuditLog audit{*store, SystemClock::instance()};
    service::AuditEvent e;
    e.action = std::string{action};
    e.outcome = "ok";
    e.operator_name = actor;
    e.details = details_json.empty() ? "{}" : std::move(details_json);
    audit.record(e);
}

OpenedService open_service(const std::string& data_flag) {
    OpenedService o;
    o.runtime = open_runtime(data_flag);
    // Opened once: the PKI and the service share the database (one connection or one pool).
    o.storage = StorageBackend::open(o.runtime->config);
    o.pki = std::make_unique<PkiContext>(o.runtime->config, o.runtime->token, SystemClock::instance(),
                                         *o.storage);
    o.service = std::make_unique<ServiceContext>(o.runtime->config, o.runtime->token, *o.pki,
                                                 SystemClock::instance(), o.storage);
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
