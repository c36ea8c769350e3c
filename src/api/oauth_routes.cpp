// The OAuth 2.0 endpoints (oauth_routes.h). Handlers only translate: form fields and query
// parameters into service::AuthorizationParams / TokenRequest, service answers and OAuthFailures
// into pages, redirects and RFC 6749 §5.2 bodies.

#include "oauth_routes.h"

#include <map>
#include <memory>
#include <utility>

#include <nlohmann/json.hpp>

#include <inkan/api/errors.h>
#include <inkan/core/encoding.h>
#include <inkan/core/log.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/service/authorization.h>

#include "codec.h"
#include "oauth_pages.h"
#include "wire.h"

namespace inkan::api::detail {

namespace {

using ojson = nlohmann::ordered_json;
using Fields = std::map<std::string, std::string>;
using service::OAuthFailure;

constexpr std::string_view kCookie = "__Host-inkan-oauth";
constexpr std::string_view kWellKnown = "/.well-known/oauth-authorization-server";
constexpr std::string_view kRarTypeV2 = "credential";
constexpr std::string_view kRarType2025 = "https://cloudsignatureconsortium.org/2025/credential";

std::string prefix(Version v) {
    return "/csc/" + std::string{name(v)} + "/oauth2/";
}

/// Query or form parameters; a repeated one is refused (RFC 6749 §3.1, §3.2).
Fields to_fields(const std::multimap<std::string, std::string>& all) {
    Fields out;
    for (const auto& [k, v] : all) {
        if (!out.emplace(k, v).second) {
            invalid_request("Parameter " + k + " is repeated");
        }
    }
    return out;
}

Fields form_fields(const http::Request& r) {
    const auto type = r.header("Content-Type");
    const std::string_view form = "application/x-www-form-urlencoded";
    if (!type || type->size() < form.size() || !http::iequals(type->substr(0, form.size()), form)) {
        invalid_request("The body must be application/x-www-form-urlencoded");
    }
    const auto parsed = http::parse_target("/?" + r.body);
    if (!parsed) {
        invalid_request("Malformed form body");
    }
    return to_fields(parsed->query);
}

std::string field(const Fields& f, std::string_view name) {
    const auto it = f.find(std::string{name});
    return it == f.end() ? std::string{} : it->second;
}

bool has(const Fields& f, std::string_view name) {
    return f.contains(std::string{name});
}

/// A hash from the query (base64url per CSC; base64 accepted too).
Bytes decode_hash(std::string_view text, std::string_view param) {
    try {
        return base64_decode(text);
    } catch (const Error&) {
        invalid_request("Invalid parameter " + std::string{param});
    }
}

std::vector<std::string> split_commas(std::string_view s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= s.size()) {
        const auto comma = s.find(',', start);
        const auto end = comma == std::string_view::npos ? s.size() : comma;
        out.emplace_back(s.substr(start, end - start));
        if (comma == std::string_view::npos) {
            break;
        }
        start = comma + 1;
    }
    return out;
}

/// v1 sends no hash algorithm at oauth2/authorize: the SHA-2 digest of that length.
crypto::DigestAlgorithm digest_by_length(std::size_t n) {
    if (const auto alg = sha2_by_length(n)) {
        return *alg;
    }
    invalid_request("Invalid parameter hash: not a SHA-256, SHA-384 or SHA-512 digest");
}

crypto::DigestAlgorithm digest_from(const std::string& oid) {
    const auto alg = crypto::digest_from_oid(oid);
    if (!alg || !crypto::spec(*alg).allowed_for_signing) {
        invalid_request("Invalid parameter hashAlgorithmOID");
    }
    return *alg;
}

int positive_int(const std::string& text, std::string_view param) {
    try {
        std::size_t used = 0;
        const int n = std::stoi(text, &used);
        if (used == text.size() && n >= 1) {
            return n;
        }
    } catch (const std::exception&) {
    }
    invalid_request("Invalid parameter " + std::string{param});
}

/// RFC 9396 authorization_details with one CSC "credential" entry (CSC v2 §8.4.4; csc-api.md §3.5).
service::CredentialGrant parse_rar(std::string_view text) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception&) {
        invalid_request("Invalid parameter authorization_details: malformed JSON");
    }
    if (!j.is_array() || j.size() != 1 || !j[0].is_object()) {
        invalid_request("Invalid parameter authorization_details: one object of type credential expected");
    }
    const auto& d = j[0];
    const auto str = [&](const char* key) -> std::string {
        if (!d.contains(key)) {
            return {};
        }
        if (!d[key].is_string()) {
            invalid_request(std::string{"Invalid parameter authorization_details."} + key);
        }
        return d[key].get<std::string>();
    };
    const std::string type = str("type");
    if (type != kRarTypeV2 && type != kRarType2025) {
        invalid_request("Invalid parameter authorization_details.type");
    }
    service::CredentialGrant g;
    g.credential_id = str("credentialID");
    g.signature_qualifier = str("signatureQualifier");
    // csc-api.md §3.5 RAR: credentialID or signatureQualifier; with the latter the server picks the user's
    // credential after login and echoes it in the token response.
    if (g.credential_id.empty() && g.signature_qualifier.empty()) {
        invalid_request("Missing parameter authorization_details.credentialID");
    }
    if (!g.signature_qualifier.empty() && !service::is_signature_qualifier(g.signature_qualifier)) {
        invalid_request("Invalid parameter authorization_details.signatureQualifier");
    }
    const auto alg = digest_from(str("hashAlgorithmOID"));
    if (!d.contains("documentDigests") || !d["documentDigests"].is_array() || d["documentDigests"].empty()) {
        invalid_request("Invalid parameter authorization_details.documentDigests");
    }
    for (const auto& dd : d["documentDigests"]) {
        if (!dd.is_object() || !dd.contains("hash") || !dd["hash"].is_string() ||
            (dd.contains("label") && !dd["label"].is_string())) {
            invalid_request("Invalid parameter authorization_details.documentDigests");
        }
        g.hashes.push_back({alg, decode_hash(dd["hash"].get<std::string>(), "documentDigests.hash")});
        g.labels.push_back(dd.value("label", std::string{}));
    }
    g.num_signatures = static_cast<int>(g.hashes.size());
    if (d.contains("numSignatures")) {
        if (!d["numSignatures"].is_number_integer() || d["numSignatures"].get<int>() < 1) {
            invalid_request("Invalid parameter authorization_details.numSignatures");
        }
        g.num_signatures = d["numSignatures"].get<int>();
    }
    return g;
}

ojson rar_json(const service::CredentialGrant& g) {
    ojson digests = ojson::array();
    for (std::size_t i = 0; i < g.hashes.size(); ++i) {
        ojson dd;
        dd["hash"] = base64_encode(g.hashes[i].value);
        if (i < g.labels.size() && !g.labels[i].empty()) {
            dd["label"] = g.labels[i];
        }
        digests.push_back(dd);
    }
    ojson d;
    d["type"] = kRarTypeV2;
    d["credentialID"] = g.credential_id;
    if (!g.signature_qualifier.empty()) {
        d["signatureQualifier"] = g.signature_qualifier;
    }
    d["documentDigests"] = digests;
    d["hashAlgorithmOID"] =
        g.hashes.empty() ? std::string{} : std::string{crypto::spec(g.hashes.front().algorithm).oid};
    d["numSignatures"] = g.num_signatures;
    return ojson::array({d});
}

/// oauth2/authorize (and PAR) parameters for the version (csc-api.md §3.5 table).
service::AuthorizationParams parse_params(Version v, const Fields& f) {
    service::AuthorizationParams p;
    p.response_type = field(f, "response_type");
    p.client_id = field(f, "client_id");
    p.redirect_uri = field(f, "redirect_uri");
    p.scope = field(f, "scope");
    p.state = field(f, "state");
    p.code_challenge = field(f, "code_challenge");
    p.code_challenge_method = field(f, "code_challenge_method");
    p.pkce_required = v == Version::V2;
    p.description = field(f, "description");
    p.lang = field(f, "lang");
    p.client_data = field(f, "clientData");
    p.account_token = field(f, "account_token");  // CSC v1 §8.3.1; verified by the service, never logged
    if (v == Version::V2 && has(f, "authorization_details")) {
        p.rar = true;
        p.credential = parse_rar(field(f, "authorization_details"));
        return p;
    }
    // v2: signatureQualifier instead of (or with) credentialID (csc-api.md §3.5; v1 has none).
    const bool by_qualifier = v == Version::V2 && has(f, "signatureQualifier");
    if (!has(f, "credentialID") && !by_qualifier) {
        return p;
    }
    service::CredentialGrant g;
    g.credential_id = field(f, "credentialID");
    if (by_qualifier) {
        g.signature_qualifier = field(f, "signatureQualifier");
        if (!service::is_signature_qualifier(g.signature_qualifier)) {
            invalid_request("Invalid parameter signatureQualifier");
        }
    }
    g.num_signatures = has(f, "numSignatures") ? positive_int(field(f, "numSignatures"), "numSignatures") : 1;
    const std::string hashes_name = v == Version::V1 ? "hash" : "hashes";
    if (has(f, hashes_name)) {
        std::optional<crypto::DigestAlgorithm> alg;
        if (v == Version::V2) {
            if (!has(f, "hashAlgorithmOID")) {
                invalid_request("Missing parameter hashAlgorithmOID");
            }
            alg = digest_from(field(f, "hashAlgorithmOID"));
        }
        for (const auto& h : split_commas(field(f, hashes_name))) {
            Bytes value = decode_hash(h, hashes_name);
            const auto a = alg ? *alg : digest_by_length(value.size());
            g.hashes.push_back({a, std::move(value)});
        }
    }
    p.credential = std::move(g);
    return p;
}

std::string with_params(std::string uri,
                        const std::vector<std::pair<std::string_view, std::string>>& params) {
    char sep = uri.find('?') == std::string::npos ? '?' : '&';
    for (const auto& [k, v] : params) {
        if (v.empty()) {
            continue;
        }
        uri += sep;
        uri += k;
        uri += '=';
        uri += percent_encode(v);
        sep = '&';
    }
    return uri;
}

http::Response redirect(int status, const std::string& location) {
    http::Response r;
    r.status = status;
    r.headers.set("Location", location);
    page_headers(r);
    return r;
}

std::optional<Secret> cookie_session(const http::Request& r) {
    return cookie_value(r, kCookie);
}

std::string set_cookie(std::string_view value, std::chrono::seconds max_age) {
    // __Host-: Secure, Path=/, no Domain (RFC 6265bis §4.1.3.2). Lax: the form posts are same-site; a
    // cross-site POST arrives without the cookie.
    return std::string{kCookie} + "=" + std::string{value} +
           "; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=" + std::to_string(max_age.count());
}

struct Ctx {
    service::OAuth& oauth;
    ServiceInfo info;
};

/// The issuer (RFC 8414 §2, RFC 9207 `iss`) and the base of every endpoint URL: api.public_url, which
/// add_csc_routes requires with OAuth. Never the request's Host header, which the client chooses.
const std::string& issuer(const ServiceInfo& info) {
    return info.public_url;
}

// ---- the browser ---------------------------------------------------------------------------

const char* const kExpired =
    "This sign-in has expired or was already completed. Start again from the application.";

http::Response authorize_get(const Ctx& c, Version v, const http::Request& r) {
    Fields f;
    try {
        f = to_fields(r.query);
    } catch (const WireError& e) {
        return oauth_error_page(400, e.description());
    }
    service::StartedAuthorization started;
    if (has(f, "request_uri")) {
        try {
            started = c.oauth.start_pushed(field(f, "client_id"), field(f, "request_uri"));
        } catch (const Error& e) {
            if (!service::oauth_failure(e)) {
                throw;
            }
            log::info("oauth2: pushed request refused", {{"reason", e.detail()}});
            return oauth_error_page(400, "The authorization request is unknown, expired or already used.");
        }
    } else {
        // The client and the redirect_uri first: until both are trusted, nothing is redirected.
        service::AuthorizationParams minimal;
        minimal.client_id = field(f, "client_id");
        minimal.redirect_uri = field(f, "redirect_uri");
        std::string target;
        try {
            target = c.oauth.redirect_uri_for(minimal);
        } catch (const Error& e) {
            if (!service::oauth_failure(e)) {
                throw;
            }
            log::info("oauth2: authorize refused without redirect", {{"reason", e.detail()}});
            return oauth_error_page(400, "Unknown client or redirect_uri: " + e.detail());
        }
        const auto back = [&](std::string error, std::string description) {
            return redirect(302, with_params(target, {{"error", std::move(error)},
                                                      {"error_description", std::move(description)},
                                                      {"state", field(f, "state")},
                                                      {"iss", issuer(c.info)}}));
        };
        try {
            started = c.oauth.start(parse_params(v, f));
        } catch (const WireError& e) {
            return back(e.error(), e.description());
        } catch (const Error& e) {
            const auto failure = service::oauth_failure(e);
            if (!failure) {
                throw;
            }
            return back(std::string{service::name(*failure)}, e.detail());
        }
    }
    http::Response page = oauth_page(c.oauth.view(Secret{started.session}), prefix(v) + "authorize", {});
    page.headers.set("Set-Cookie", set_cookie(started.session, c.oauth.settings().page_lifetime));
    return page;
}

http::Response authorize_post(const Ctx& c, Version v, const http::Request& r) {
    const std::string action = prefix(v) + "authorize";
    Fields f;
    try {
        f = form_fields(r);
    } catch (const WireError& e) {
        return oauth_error_page(400, e.description());
    }
    const auto session = cookie_session(r);
    if (!session) {
        return oauth_error_page(400, kExpired);
    }
    const std::string csrf = field(f, "csrf");
    const std::string step = field(f, "step");
    try {
        if (step == "login") {
            try {
                c.oauth.login(*session, csrf, field(f, "username"), Secret{field(f, "password")});
            } catch (const Error& e) {
                if (e.code() != Errc::InvalidAuthData) {
                    throw;
                }
                // One answer for an unknown user, a wrong password, too many failures and a locked account
                // (as auth/login).
                return oauth_page(c.oauth.view(*session), action, "The user name or password is wrong.", 400);
            }
        } else if (step == "otp") {
            try {
                c.oauth.otp(*session, csrf, Secret{field(f, "otp")});
            } catch (const Error& e) {
                if (e.code() == Errc::InvalidAuthData &&
                    service::authorization_failure(e) == service::AuthFailure::OtpReplayed) {
                    return oauth_page(c.oauth.view(*session), action,
                                      "This code was already used; wait for the next one and sign in again.",
                                      400);
                }
                if (e.code() == Errc::InvalidAuthData) {
                    // Back at the password step: each code attempt needs the password again (decision 0015).
                    return oauth_page(c.oauth.view(*session), action,
                                      "The code is wrong or was already used. Sign in again.", 400);
                }
                if (e.code() == Errc::Locked) {
                    return oauth_error_page(400, "Too many wrong codes: the one-time code is locked.");
                }
                throw;
            }
        } else if (step == "consent") {
            const std::string decision = field(f, "decision");
            if (decision != "approve" && decision != "deny") {
                return oauth_error_page(400, "Choose Allow or Deny.");
            }
            const std::string chosen = field(f, "credential");
            if (decision == "approve" && chosen.empty()) {
                // Several credentials carry the requested signatureQualifier: the user picks one.
                const service::PageView page = c.oauth.view(*session);
                if (page.choices.size() > 1) {
                    return oauth_page(page, action, "Choose the credential to sign with.", 400);
                }
            }
            const Secret pin{field(f, "pin")};
            service::Redirect to;
            try {
                to = c.oauth.consent(*session, csrf, decision == "approve", chosen, &pin);
            } catch (const Error& e) {
                if (e.code() == Errc::InvalidAuthData) {
                    return oauth_page(c.oauth.view(*session), action, "The PIN is wrong.", 400);
                }
                if (e.code() == Errc::Locked) {
                    return oauth_error_page(400, "Too many wrong PINs: the credential's PIN is locked.");
                }
                throw;
            }
            // 303: the browser follows with GET (RFC 9110 §15.4.4), the form is not re-posted.
            http::Response out = redirect(303, with_params(to.redirect_uri, {{"code", to.code},
                                                                             {"error", to.error},
                                                                             {"state", to.state},
                                                                             {"iss", issuer(c.info)}}));
            out.headers.set("Set-Cookie", set_cookie("", std::chrono::seconds{0}));
            return out;
        } else {
            return oauth_error_page(400, "Unknown step.");
        }
        return oauth_page(c.oauth.view(*session), action, {});
    } catch (const Error& e) {
        if (service::oauth_failure(e) == OAuthFailure::InvalidSession) {
            log::info("oauth2: page step refused", {{"reason", e.detail()}});
            return oauth_error_page(400, kExpired);
        }
        throw;
    }
}

// ---- the back channel ----------------------------------------------------------------------

service::ClientAuthentication client_auth(const http::Request& r, const Fields& f) {
    service::ClientAuthentication out;
    if (has(f, "client_assertion") || has(f, "client_assertion_type")) {
        invalid_request("client_assertion is not supported: use client_secret_basic or client_secret_post");
    }
    if (const auto header = r.header("Authorization")) {
        const auto space = header->find(' ');
        if (space == std::string_view::npos || !http::iequals(header->substr(0, space), "Basic")) {
            throw WireError{401, "invalid_client", "Malformed Authorization header"};
        }
        Bytes decoded;
        try {
            decoded = base64_decode(header->substr(space + 1));
        } catch (const Error&) {
            throw WireError{401, "invalid_client", "Malformed Authorization header"};
        }
        const Secret pair{ByteView{decoded}};
        secure_wipe(decoded.data(), decoded.size());
        const auto colon = pair.reveal().find(':');
        if (colon == std::string_view::npos) {
            throw WireError{401, "invalid_client", "Malformed Authorization header"};
        }
        // RFC 6749 §2.3.1: both halves are form-urlencoded before Basic encoding.
        const auto id = http::percent_decode(pair.reveal().substr(0, colon), true);
        auto secret = http::percent_decode(pair.reveal().substr(colon + 1), true);
        if (!id || !secret || has(f, "client_secret")) {
            throw WireError{401, "invalid_client", "Malformed Authorization header"};
        }
        if (has(f, "client_id") && field(f, "client_id") != *id) {
            invalid_request("client_id differs from the Authorization header");
        }
        out.client_id = *id;
        out.secret = Secret{std::move(*secret)};
        out.basic = true;
        return out;
    }
    out.client_id = field(f, "client_id");
    if (out.client_id.empty()) {
        throw WireError{401, "invalid_client", "Client authorization required"};
    }
    if (has(f, "client_secret")) {
        out.secret = Secret{field(f, "client_secret")};
    }
    return out;
}

http::Response json_no_store(int status, const ojson& body) {
    http::Response r =
        http::Response::json(status, body.dump(-1, ' ', false, ojson::error_handler_t::replace));
    r.headers.set("Cache-Control", "no-store");
    r.headers.set("Pragma", "no-cache");
    return r;
}

http::Response token(const Ctx& c, Version v, const http::Request& r) {
    const Fields f = form_fields(r);
    const auto client = client_auth(r, f);
    service::TokenRequest t;
    t.grant_type = field(f, "grant_type");
    if (t.grant_type.empty()) {
        invalid_request("Missing parameter grant_type");
    }
    t.code = Secret{field(f, "code")};
    t.redirect_uri = field(f, "redirect_uri");
    t.code_verifier = field(f, "code_verifier");
    t.refresh_token = Secret{field(f, "refresh_token")};
    t.scope = field(f, "scope");
    const bool rar = v == Version::V2 && has(f, "authorization_details");
    if (rar) {
        t.authorization_details = parse_rar(field(f, "authorization_details"));
    }
    const service::TokenResponse out = c.oauth.token(client, std::move(t));
    ojson body;
    body["access_token"] = out.access_token;
    // CSC v1 §8.3.3: a credential-scope token is a SAD; v2 calls every token Bearer.
    body["token_type"] = out.credential && v == Version::V1 ? "SAD" : "Bearer";
    body["expires_in"] = out.expires_in;
    if (out.refresh_token) {
        body["refresh_token"] = *out.refresh_token;
    }
    body["scope"] = out.scope;
    if (out.credential && out.granted && v == Version::V2) {
        body["credentialID"] = out.granted->credential_id;
        if (rar) {
            body["authorization_details"] = rar_json(*out.granted);
        }
    }
    return json_no_store(200, body);
}

http::Response revoke(const Ctx& c, Version, const http::Request& r) {
    const Fields f = form_fields(r);
    const auto client = client_auth(r, f);
    if (!has(f, "token") || field(f, "token").empty()) {
        invalid_request("Missing parameter token");
    }
    const std::string hint = field(f, "token_type_hint");
    if (!hint.empty() && hint != "access_token" && hint != "refresh_token") {
        throw WireError{400, "unsupported_token_type", "Invalid parameter token_type_hint"};
    }
    c.oauth.revoke(client, Secret{field(f, "token")}, hint);
    // RFC 7009 §2.2: "responds with HTTP status code 200" whether or not the token was known (an
    // unknown or foreign token is not an error). Libraries check for exactly 200 (oauth4webapi refuses
    // 204), unlike the CSC auth/revoke, whose spec answers 204. The body is ignored by clients (§2.2);
    // an empty JSON object keeps every 2xx answer of the API a JSON document.
    return json_no_store(200, ojson::object());
}

http::Response pushed_authorize(const Ctx& c, Version v, const http::Request& r) {
    const Fields f = form_fields(r);
    if (has(f, "request_uri")) {
        invalid_request("request_uri is not allowed in a pushed request (RFC 9126 §2.1)");
    }
    const auto client = client_auth(r, f);
    const service::PushedRequest pushed = c.oauth.push(client, parse_params(v, f));
    ojson body;
    body["request_uri"] = pushed.request_uri;
    body["expires_in"] = pushed.expires_in;
    return json_no_store(201, body);
}

http::Response metadata(const Ctx& c, Version, const http::Request&) {
    const std::string& base = issuer(c.info);
    const std::string v2 = base + prefix(Version::V2);
    ojson m;
    m["issuer"] = base;
    m["authorization_endpoint"] = v2 + "authorize";
    m["token_endpoint"] = v2 + "token";
    m["revocation_endpoint"] = v2 + "revoke";
    m["pushed_authorization_request_endpoint"] = v2 + "pushed_authorize";
    m["response_types_supported"] = {"code"};
    m["response_modes_supported"] = {"query"};
    m["grant_types_supported"] = {"authorization_code", "refresh_token", "client_credentials"};
    m["token_endpoint_auth_methods_supported"] = {"client_secret_basic", "client_secret_post", "none"};
    m["revocation_endpoint_auth_methods_supported"] = {"client_secret_basic", "client_secret_post", "none"};
    ojson pkce = ojson::array({"S256"});
    if (c.oauth.settings().allow_plain_pkce) {
        pkce.push_back("plain");
    }
    m["code_challenge_methods_supported"] = pkce;
    m["scopes_supported"] = {"service", "credential"};
    m["authorization_details_types_supported"] = {kRarTypeV2, kRarType2025};
    m["authorization_response_iss_parameter_supported"] = true;
    http::Response out = http::Response::json(200, m.dump());
    out.headers.set("Cache-Control", "max-age=300");
    return out;
}

using Run = http::Response (*)(const Ctx&, Version, const http::Request&);

/// Back-channel errors in RFC 6749 §5.2 form; invalid_client is 401 (with a Basic challenge when the
/// client tried Basic, §5.2).
http::Handler wrap(std::shared_ptr<const Ctx> ctx, Version v, Run run) {
    return [ctx = std::move(ctx), v, run](const http::Request& r) -> http::Response {
        try {
            return run(*ctx, v, r);
        } catch (const WireError& e) {
            http::Response out = e.response();
            if (e.status() == 401 && e.error() == "invalid_client") {
                out.headers.set("WWW-Authenticate", R"(Basic realm="inkan")");
            }
            return out;
        } catch (const Error& e) {
            const auto failure = service::oauth_failure(e);
            if (!failure) {
                const bool ours =
                    static_cast<std::uint16_t>(e.code()) >= static_cast<std::uint16_t>(Errc::Internal);
                log::write(ours ? log::Level::Error : log::Level::Info, "oauth2 request failed",
                           {{"code", errc_name(e.code())}, {"what", e.what()}, {"route", r.route}});
                return to_csc_error(e);
            }
            log::info("oauth2 request refused", {{"route", r.route},
                                                 {"reason", std::string{service::name(*failure)}},
                                                 {"detail", e.detail()}});
            switch (*failure) {
                case OAuthFailure::InvalidClient: {
                    http::Response out = csc_error(401, "invalid_client", e.detail());
                    out.headers.set("WWW-Authenticate", R"(Basic realm="inkan")");
                    return out;
                }
                case OAuthFailure::InvalidRedirect:
                case OAuthFailure::InvalidSession:
                    return csc_error(400, "invalid_request", e.detail());
                default:
                    return csc_error(400, service::name(*failure), e.detail());
            }
        }
    };
}

struct OAuthRoute {
    std::string_view method;
    std::string_view path;  ///< after /csc/<v>/oauth2/
    Run run;
    bool v1;
};

constexpr std::array<OAuthRoute, 5> kRoutes{{
    {"GET", "authorize", &authorize_get, true},
    {"POST", "authorize", &authorize_post, true},
    {"POST", "token", &token, true},
    {"POST", "revoke", &revoke, true},
    {"POST", "pushed_authorize", &pushed_authorize, false},
}};

}  // namespace

service::AuthorizationParams decode_authorization_form(Version version, const http::Request& request) {
    return parse_params(version, form_fields(request));
}

service::ClientAuthentication decode_client_authentication(const http::Request& request) {
    return client_auth(request, form_fields(request));
}

std::vector<std::string> oauth_methods(Version version) {
    std::vector<std::string> out;
    for (const auto& route : kRoutes) {
        if ((version == Version::V2 || route.v1) && route.method == "POST") {
            out.push_back("oauth2/" + std::string{route.path});
        }
    }
    return out;
}

std::vector<http::RouteInfo> oauth_routes() {
    std::vector<http::RouteInfo> out;
    for (const Version v : {Version::V1, Version::V2}) {
        for (const auto& route : kRoutes) {
            if (v == Version::V2 || route.v1) {
                out.push_back(http::RouteInfo{std::string{route.method}, prefix(v) + std::string{route.path},
                                              http::Match::Exact, http::Execution::Worker});
            }
        }
    }
    out.push_back(
        http::RouteInfo{"GET", std::string{kWellKnown}, http::Match::Exact, http::Execution::Worker});
    return out;
}

void add_oauth_routes(http::Router& router, service::OAuth& oauth, const ServiceInfo& info) {
    auto ctx = std::make_shared<const Ctx>(Ctx{oauth, info});
    for (const Version v : {Version::V1, Version::V2}) {
        for (const auto& route : kRoutes) {
            if (v != Version::V2 && !route.v1) {
                continue;
            }
            const std::string path = prefix(v) + std::string{route.path};
            if (route.method == "GET") {
                router.get(path, wrap(ctx, v, route.run), http::Execution::Worker);
            } else {
                router.post(path, wrap(ctx, v, route.run), http::Execution::Worker);
            }
        }
    }
    router.get(std::string{kWellKnown}, wrap(ctx, Version::V2, &metadata), http::Execution::Worker);
}

}  // namespace inkan::api::detail
