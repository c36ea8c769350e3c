#pragma once

// The operator's web console under /admin/ and the JSON admin API under /inkan/v1/admin/ (issue 18,
// decision 0041). Both translate into the same service calls (service::Console for sign-in and sessions,
// service::Administration for every read and change), which the CLI calls too. The pages are
// server-rendered HTML without JavaScript, in Japanese or English; every form carries a CSRF token,
// every cookie-authenticated change must come from the console's own origin, every change needs the
// operator role (auditors get 403 from the server), every route has its own body limit.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/http/router.h>
#include <inkan/pki/profile.h>
#include <inkan/service/admin.h>
#include <inkan/service/auth.h>
#include <inkan/service/console.h>
#include <inkan/service/credentials.h>
#include <inkan/service/validation.h>

namespace inkan::api {

/// What the service page shows; gathered by the composition root (readiness, token, version).
struct ConsoleStatus {
    bool ready = false;
    std::string not_ready;  ///< why not ("maintenance", "hsm: ...", "database: ...")
    bool maintenance = false;
    std::vector<std::string> warnings;
    std::string version;
    std::string token_label;
    std::string token_state;  ///< "ok", or the error's name
    std::string token_model;
    std::string token_pin;  ///< "ok", "locked", "count_low" (the user PIN as the token reports it)
    std::uint64_t token_sessions = 0;
    std::uint64_t token_max_sessions = 0;
    /// Keys on the token by kind, e.g. ("private EC", 12), ("secret AES", 1); counted when the page is read.
    std::vector<std::pair<std::string, std::size_t>> token_keys;
};

struct ConsoleDeps {
    service::Console& console;
    service::Administration& admin;
    /// Operator bearer tokens on the JSON API: an auth/login access token of an operator or auditor.
    service::Sessions& sessions;
    std::function<ConsoleStatus()> status;
    /// api.public_url ("https://sign.example.com"): an accepted Origin besides the request's own host.
    std::string public_url;
    /// The credentials page; null: the page lists none (changes go through `admin`).
    const service::Credentials* credentials = nullptr;
    /// The verify page and POST admin/verify: the validator of POST /inkan/v1/validate (its trust and
    /// document limit); null: verification is not offered.
    const service::Validation* validation = nullptr;
    /// Creating credentials: the configured certificate profiles (a person or seal profile decides the
    /// credential's kind, as `inkan credential create --profile` does); null: create is not offered.
    const pki::ProfileSet* profiles = nullptr;
    /// The CAs a credential may be enrolled at, offered on the create form besides the default CA.
    std::vector<std::string> cas;
    /// The trust anchor an uploaded certificate must chain to, as `inkan credential import-cert` takes it
    /// without --trust-anchor (the configured root); empty function: uploads are refused.
    std::function<Bytes()> trust_anchor;
};

inline constexpr std::string_view kConsolePrefix = "/admin/";
inline constexpr std::string_view kAdminApiPrefix = "/inkan/v1/admin/";

/// Registers the console's pages and the admin API (all on the worker pool).
void add_console_routes(http::Router& router, ConsoleDeps deps);

}  // namespace inkan::api
