#pragma once

// What the api tests run on: the CSC routes in an http::Router over REAL service objects — SQLite in a
// temp dir, the process's SoftHSM token (with the AES storage key), a built-in CA (root + issuing, keys
// in the token) behind a BuiltinConnector, a ManualConnector for Pending credentials, a ManualClock.
// Requests are hand-built http::Requests resolved and invoked through the Router: no sockets.

#include <chrono>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/api/csc.h>
#include <inkan/api/errors.h>
#include <inkan/core/clock.h>
#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/hsm/token.h>
#include <inkan/http/router.h>
#include <inkan/pki/ca.h>
#include <inkan/pki/connectors.h>
#include <inkan/pki/csr.h>
#include <inkan/service/accounts.h>
#include <inkan/service/audit.h>
#include <inkan/service/auth.h>
#include <inkan/service/authorization.h>
#include <inkan/service/credentials.h>
#include <inkan/service/secrets.h>
#include <inkan/sign/hsm_signer.h>
#include <inkan/storage/sqlite.h>
#include <inkan/storage/sqlite_ca_store.h>
#include <inkan/storage/sqlite_service_stores.h>
#include <inkan/testing/process.h>
#include <inkan/testing/softhsm.h>

namespace inkan::api::testing {

using Json = nlohmann::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::string_view kStorageKeyLabel = "inkan-storage-key";
inline constexpr std::string_view kManualCa = "manual-ca";

/// The process's token, with the storage key created once.
inline hsm::Token& token() {
    static hsm::Token* t = [] {
        auto* tok = new hsm::Token{inkan::testing::SoftHsm::instance().make_token("api")};
        (void)tok->generate_aes_key(kStorageKeyLabel);
        return tok;
    }();
    return *t;
}

inline std::string password_of(std::string_view user) {
    return "password-" + std::string{user};
}

inline std::string basic(std::string_view user, std::string_view password) {
    const std::string plain = std::string{user} + ":" + std::string{password};
    return "Basic " + base64_encode(as_bytes(plain));
}

inline std::string bearer(std::string_view token) {
    return "Bearer " + std::string{token};
}

/// The JSON body of a response (a test failure, and null, if it does not parse).
inline Json body_of(const http::Response& r) {
    Json j = Json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << r.body;
    return j;
}

class CscEnv {
public:
    explicit CscEnv(ServiceInfo info = {}, service::AuthorizationSettings settings = {})
        : db{std::make_shared<storage::Database>(dir / "inkan.db")},
          users{db},
          credential_store{db},
          tokens{db},
          ca_store{db},
          sealer{token(), kStorageKeyLabel},
          accounts{users, sealer, clock},
          sessions{accounts, users, tokens, clock},
          manual{std::string{kManualCa}},
          authorization_store{db},
          audit_store{db},
          audit{audit_store, clock} {
        authorization_settings = std::move(settings);
        make_pki();
        credentials = std::make_unique<service::Credentials>(
            credential_store, users, token(),
            [this](const std::string& name) -> pki::CaConnector& {
                if (name.empty() || name == ca->name()) {
                    return *builtin;
                }
                if (name == kManualCa) {
                    return manual;
                }
                throw Error{Errc::NotFound, "no CA named " + name};
            },
            [this](const std::string& ca_name, ByteView der, pki::RevocationReason reason) {
                if (ca_name != ca->name()) {
                    return false;
                }
                ca->revoke(pki::Certificate::from_der(der).serial(), reason, clock.now());
                return true;
            },
            clock);
        authorization =
            std::make_unique<service::Authorization>(credential_store, users, accounts, authorization_store,
                                                     audit, token(), clock, authorization_settings);
        add_csc_routes(router, CscDeps{sessions, *credentials, accounts, *authorization, clock,
                                       std::move(info), nullptr});
    }

    /// A user with password "password-<name>" and display name "<Name> Example".
    service::User add_user(std::string_view name, bool totp = false) {
        service::NewUser u;
        u.name = std::string{name};
        u.display_name = std::string{name} + " Example";
        u.password = Secret{password_of(name)};
        u.totp = totp;
        return accounts.add_user(std::move(u)).user;
    }

    /// A user with a TOTP device; returns the user and the raw TOTP seed.
    std::pair<service::User, Bytes> add_totp_user(std::string_view name) {
        service::NewUser u;
        u.name = std::string{name};
        u.display_name = std::string{name} + " Example";
        u.password = Secret{password_of(name)};
        u.totp = true;
        service::UserCreated created = accounts.add_user(std::move(u));
        EXPECT_TRUE(created.totp_secret_base32.has_value());
        return {created.user, base32_decode(created.totp_secret_base32.value_or(""))};
    }

    /// The TOTP code of `seed` now (per the env's clock), plus `steps` periods.
    std::string totp(const Bytes& seed, int steps = 0) const {
        return service::totp_code(seed, clock.now() + std::chrono::seconds{30 * steps});
    }

    /// A personal credential of `owner` with PIN 123456, from the built-in CA (or `ca`).
    service::Credential add_credential(std::string_view owner, hsm::KeySpec key = hsm::KeySpec::EcP256,
                                       std::string ca_name = {}, int scal = 2, int multisign = 1) {
        service::NewCredential c;
        c.kind = service::CredentialKind::Personal;
        c.owner = std::string{owner};
        c.key = key;
        c.ca = std::move(ca_name);
        c.description = "Signing key of " + std::string{owner};
        c.pin = Secret{std::string_view{"123456"}};
        c.scal = scal;
        c.multisign = multisign;
        return credentials->create(std::move(c)).credential;
    }

    /// A seal of "Example KK" with `member` as its one member.
    service::Credential add_seal(std::string_view member) {
        service::NewCredential c;
        c.kind = service::CredentialKind::Seal;
        c.organization = "Example KK";
        c.organization_identifier = "NTRJP-1234567890123";
        c.description = "Company seal";
        c.scal = 1;
        c.multisign = 50;
        service::Credential seal = credentials->create(std::move(c)).credential;
        credentials->add_member(seal.id, member, Secret{std::string_view{"654321"}});
        return seal;
    }

    /// An access token for `user` (Sessions directly, not through the API).
    std::string login(std::string_view user) {
        return sessions.login(user, Secret{password_of(user)}, false).access_token;
    }

    /// Resolves and invokes a route like the server would (no socket). Nothing may escape a CSC
    /// handler: an exception is a test failure.
    http::Response call(std::string method, std::string path, std::string body = {},
                        Headers headers = {}) const {
        const auto resolution = router.resolve(method, path);
        if (resolution.kind != http::Router::Resolution::Kind::Found) {
            ADD_FAILURE() << method << " " << path << " is not routed";
            return http::Response::text(404, "not routed");
        }
        http::Request request;
        request.method = std::move(method);
        request.target = path;
        request.path = std::move(path);
        request.route = resolution.pattern;
        request.body = std::move(body);
        for (auto& [name, value] : headers) {
            request.headers.add(std::move(name), std::move(value));
        }
        request.remote_address = "127.0.0.1";
        request.request_id = "test";
        request.listener = "api";
        try {
            return resolution.route->handler(request);
        } catch (const std::exception& e) {
            ADD_FAILURE() << "an exception escaped the handler of " << request.path << ": " << e.what();
            return http::Response::text(599, "escaped");
        }
    }

    /// POST /csc/<version>/<method> with a JSON body and, if given, a Bearer token.
    http::Response post(Version version, std::string_view method, std::string body,
                        std::optional<std::string> access_token = std::nullopt) const {
        Headers headers{{"Content-Type", "application/json"}};
        if (access_token) {
            headers.emplace_back("Authorization", bearer(*access_token));
        }
        return call("POST", path(version, method), std::move(body), std::move(headers));
    }

    static std::string path(Version version, std::string_view method) {
        return "/csc/" + std::string{name(version)} + "/" + std::string{method};
    }

    inkan::testing::TempDir dir{"inkan-api"};
    // Whole seconds, so GeneralizedTime comparisons are exact.
    ManualClock clock{TimePoint{std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now())}};
    std::shared_ptr<storage::Database> db;
    storage::SqliteUserStore users;
    storage::SqliteCredentialStore credential_store;
    storage::SqliteTokenStore tokens;
    storage::SqliteCaStore ca_store;
    service::SecretSealer sealer;
    service::Accounts accounts;
    service::Sessions sessions;
    std::unique_ptr<sign::HsmSigner> root_signer, issuing_signer;
    std::optional<pki::Certificate> root, issuing;
    std::unique_ptr<pki::BuiltinCa> ca;
    std::unique_ptr<pki::BuiltinConnector> builtin;
    pki::ManualConnector manual;
    std::unique_ptr<service::Credentials> credentials;
    storage::SqliteAuthorizationStore authorization_store;
    storage::SqliteAuditStore audit_store;
    service::AuditLog audit;
    service::AuthorizationSettings authorization_settings;
    std::unique_ptr<service::Authorization> authorization;
    http::Router router;

private:
    void make_pki() {
        const auto name = [](std::string_view cn) {
            return pki::Name{}.country("JP").organization("inkan test").common_name(cn);
        };
        root_signer =
            std::make_unique<sign::HsmSigner>(token(), token().generate_key_pair(hsm::KeySpec::EcP256, "r"));
        issuing_signer =
            std::make_unique<sign::HsmSigner>(token(), token().generate_key_pair(hsm::KeySpec::EcP256, "i"));
        pki::CaSettings root_settings;
        root_settings.name = "test-root";
        root_settings.pki_base_url = "http://127.0.0.1:8080";
        root = pki::create_root(root_settings, *root_signer, name("Test Root CA"), 3650, ca_store, clock);
        pki::BuiltinCa root_ca{
            root_settings, *root_signer, {root->der()}, ca_store, pki::ProfileSet::defaults(), clock};
        issuing = root_ca.issue_ca(pki::create_csr(name("Test Issuing CA"), *issuing_signer));
        pki::CaSettings settings;
        settings.name = "test-issuing";
        settings.pki_base_url = root_settings.pki_base_url;
        ca = std::make_unique<pki::BuiltinCa>(settings, *issuing_signer,
                                              std::vector<Bytes>{issuing->der(), root->der()}, ca_store,
                                              pki::ProfileSet::defaults(), clock);
        builtin = std::make_unique<pki::BuiltinConnector>(*ca);
    }
};

}  // namespace inkan::api::testing
