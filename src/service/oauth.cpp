// The OAuth 2.0 authorization server (oauth.h). The order of checks in an authorization request
// follows RFC 6749 §4.1.2.1: the client and the redirect_uri first (a failure there is an error
// page, never a redirect: an open redirector otherwise), then everything else (redirected with
// error and state).
//
// Secrets: the browser's cookie, the PAR request_uri, codes and tokens are 256-bit random strings
// stored as SHA-256. A client secret is also 256 random bits: a fast hash suffices (there is no
// dictionary to search, unlike a password), so it is SHA-256, compared in constant time. The CSRF
// token of the pages is derived from the cookie (SHA-256 of a label and the cookie), so a page can
// always show it without storing it in the clear, and a cross-site form (which cannot read the
// cookie) cannot forge it.

#include <inkan/service/oauth.h>

#include "account_token.h"
#include "login_audit.h"
#include "secret_handles.h"

#include <algorithm>
#include <array>
#include <utility>

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include <inkan/core/encoding.h>
#include <inkan/crypto/digest.h>
#include <inkan/crypto/ossl.h>
#include <inkan/crypto/random.h>

namespace inkan::service {

namespace {

using detail::new_secret;
using detail::sha256;

constexpr std::string_view kRequestUriPrefix = "urn:ietf:params:oauth:request_uri:";
constexpr std::size_t kMaxSecretLength = 256;
constexpr std::size_t kMaxStateLength = 255;  // CSC v1 §8.3.2
constexpr std::size_t kMaxDescriptionLength = 500;

constexpr std::array kFailures{
    std::pair{OAuthFailure::InvalidRequest, std::string_view{"invalid_request"}},
    std::pair{OAuthFailure::InvalidClient, std::string_view{"invalid_client"}},
    std::pair{OAuthFailure::InvalidGrant, std::string_view{"invalid_grant"}},
    std::pair{OAuthFailure::UnauthorizedClient, std::string_view{"unauthorized_client"}},
    std::pair{OAuthFailure::UnsupportedGrantType, std::string_view{"unsupported_grant_type"}},
    std::pair{OAuthFailure::UnsupportedResponseType, std::string_view{"unsupported_response_type"}},
    std::pair{OAuthFailure::InvalidScope, std::string_view{"invalid_scope"}},
    std::pair{OAuthFailure::AccessDenied, std::string_view{"access_denied"}},
    std::pair{OAuthFailure::InvalidRedirect, std::string_view{"invalid_redirect"}},
    std::pair{OAuthFailure::InvalidSession, std::string_view{"invalid_session"}},
};

Errc errc_of(OAuthFailure f) {
    switch (f) {
        case OAuthFailure::InvalidClient:
            return Errc::Unauthenticated;
        case OAuthFailure::InvalidGrant:
            return Errc::InvalidAuthData;
        case OAuthFailure::UnauthorizedClient:
        case OAuthFailure::AccessDenied:
            return Errc::Forbidden;
        default:
            return Errc::InvalidRequest;
    }
}

[[noreturn]] void fail(OAuthFailure f, std::string_view text) {
    throw Refused<OAuthFailure>{errc_of(f), f, std::string{text}};
}

std::string csrf_for(std::string_view session) {
    return base64url_encode(sha256("inkan-oauth-csrf:" + std::string{session}));
}

bool loopback_http(std::string_view uri) {
    for (const std::string_view host : {"http://127.0.0.1", "http://localhost", "http://[::1]"}) {
        if (uri.starts_with(host) && (uri.size() == host.size() || uri[host.size()] == ':' ||
                                      uri[host.size()] == '/' || uri[host.size()] == '?')) {
            return true;
        }
    }
    return false;
}

/// RFC 6749 §3.1.2: absolute, no fragment; https, or http on loopback for native apps (RFC 8252 §7.3).
bool acceptable_redirect_uri(std::string_view uri) {
    if (uri.size() > 2000 || uri.find('#') != std::string_view::npos) {
        return false;
    }
    for (const char c : uri) {
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F || c == '"' || c == '<' || c == '>') {
            return false;
        }
    }
    return (uri.starts_with("https://") && uri.size() > 8) || loopback_http(uri);
}

/// RFC 7636 §4.1: 43..128 characters of [A-Z] [a-z] [0-9] - . _ ~ (verifier and S256 challenge alike).
bool pkce_text(std::string_view s) {
    if (s.size() < 43 || s.size() > 128) {
        return false;
    }
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
               c == '.' || c == '_' || c == '~';
    });
}

// ---- account_token (CSC v1 §8.3.1) ----

constexpr std::size_t kMaxAccountTokenLength = 4096;
constexpr std::size_t kMaxClaimLength = 255;
/// How far in the future an iat may be (clocks of the signature application and ours differ).
constexpr std::chrono::seconds kAccountTokenSkew{30};

/// One JWS compact part (RFC 7515 §7.1): base64url without padding, nothing else.
std::optional<Bytes> jws_part(std::string_view part) {
    const bool alphabet = std::all_of(part.begin(), part.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
               c == '_';
    });
    if (part.empty() || !alphabet) {
        return std::nullopt;
    }
    try {
        return base64_decode(part);
    } catch (const Error&) {
        return std::nullopt;
    }
}

std::optional<nlohmann::json> json_object(ByteView text) {
    auto j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return std::nullopt;
    }
    return j;
}

/// RFC 7518 §3.2: HMAC-SHA-256 over the JWS signing input.
Bytes hmac_sha256(ByteView key, std::string_view data) {
    Bytes mac(32);
    std::size_t length = 0;
    if (::EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                    reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), mac.size(),
                    &length) == nullptr ||
        length != mac.size()) {
        ossl::throw_last_error(Errc::CryptoFailure, "account_token: HMAC-SHA-256");
    }
    return mac;
}

std::optional<std::string> short_string_claim(const nlohmann::json& claims, const char* name) {
    const auto it = claims.find(name);
    if (it == claims.end() || !it->is_string()) {
        return std::nullopt;
    }
    auto value = it->get<std::string>();
    if (value.empty() || value.size() > kMaxClaimLength || !is_valid_utf8(value)) {
        return std::nullopt;
    }
    return value;
}

bool client_name_ok(std::string_view name) {
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
               c == '_' || c == '-';
    });
}

/// The same credential, count and hashes (a multiset: order does not matter, CSC v1 note on
/// oauth2/authorize). Labels are presentation only. `a` is the token request's: when the authorization
/// named a signature qualifier, the client does not know the chosen credential and may repeat the
/// qualifier instead (RFC 9396 §6.1 lets the AS enrich the details; CSC v2 §8.4.4).
bool same_grant(const CredentialGrant& a, const CredentialGrant& b) {
    const bool same_credential =
        a.credential_id.empty()
            ? !a.signature_qualifier.empty() && a.signature_qualifier == b.signature_qualifier
            : a.credential_id == b.credential_id &&
                  (a.signature_qualifier.empty() || a.signature_qualifier == b.signature_qualifier);
    if (!same_credential || a.num_signatures != b.num_signatures || a.hashes.size() != b.hashes.size()) {
        return false;
    }
    const auto key = [](const AuthorisedHash& h) {
        return std::pair{static_cast<int>(h.algorithm), h.value};
    };
    std::vector<std::pair<int, Bytes>> x;
    std::vector<std::pair<int, Bytes>> y;
    for (const auto& h : a.hashes) {
        x.push_back(key(h));
    }
    for (const auto& h : b.hashes) {
        y.push_back(key(h));
    }
    std::sort(x.begin(), x.end());
    std::sort(y.begin(), y.end());
    return x == y;
}

/// A scope "service" token answer from `issue` (m_sessions.rotate for a refresh token, .grant for a
/// code): a refresh token the sessions refuse, or a locked account, is invalid_grant (RFC 6749 §5.2).
template <class Issue>
TokenResponse service_tokens(Issue&& issue) {
    try {
        const IssuedTokens t = std::forward<Issue>(issue)();
        TokenResponse out;
        out.access_token = t.access_token;
        out.refresh_token = t.refresh_token;
        out.expires_in = t.expires_in;
        out.scope = "service";
        return out;
    } catch (const Error& e) {
        if (e.code() == Errc::InvalidAuthData || e.code() == Errc::Locked) {
            fail(OAuthFailure::InvalidGrant, e.detail());
        }
        throw;
    }
}

std::optional<Bytes> hash_of_secret(const Secret& s) {
    if (s.empty() || s.size() > kMaxSecretLength) {
        return std::nullopt;
    }
    return sha256(s.reveal());
}

}  // namespace

namespace detail {

std::string_view read_account_token(std::string_view token, ByteView key, AccountTokenClaims& out) {
    if (token.size() > kMaxAccountTokenLength) {
        return "is too long";
    }
    const auto dot1 = token.find('.');
    const auto dot2 = dot1 == std::string::npos ? dot1 : token.find('.', dot1 + 1);
    if (dot2 == std::string::npos || token.find('.', dot2 + 1) != std::string::npos) {
        return "is not a JWT (three base64url parts)";
    }
    const std::string_view text = token;
    const auto header_bytes = jws_part(text.substr(0, dot1));
    const auto claims_bytes = jws_part(text.substr(dot1 + 1, dot2 - dot1 - 1));
    const auto signature = jws_part(text.substr(dot2 + 1));
    if (!header_bytes || !claims_bytes || !signature) {
        return "is not a JWT (three base64url parts)";
    }
    const auto header = json_object(*header_bytes);
    if (!header) {
        return "header is not a JSON object";
    }
    // HS256 exactly (CSC v1 §8.3.1): "none" and every other algorithm are refused (RFC 8725 §3.1).
    const auto alg = header->find("alg");
    if (alg == header->end() || !alg->is_string() || alg->get<std::string>() != "HS256") {
        return "must be signed with alg HS256";
    }
    if (const auto typ = header->find("typ"); typ != header->end() && (!typ->is_string() || *typ != "JWT")) {
        return "typ must be JWT";
    }
    if (header->contains("crit")) {
        return "has critical header parameters this server does not understand";  // RFC 7515 §4.1.11
    }
    const Bytes expected = hmac_sha256(key, text.substr(0, dot2));
    if (!equal_constant_time(expected, *signature)) {
        return "signature does not verify";
    }
    const auto parsed = json_object(*claims_bytes);
    if (!parsed) {
        return "claims are not a JSON object";
    }
    const auto sub = short_string_claim(*parsed, "sub");
    const auto jti = short_string_claim(*parsed, "jti");
    const auto azp = short_string_claim(*parsed, "azp");
    const auto iat = parsed->find("iat");
    if (!sub || !jti || !azp || iat == parsed->end() || !iat->is_number_integer()) {
        return "must carry sub, iat, jti and azp";
    }
    if (const auto iss = parsed->find("iss"); iss != parsed->end() && !iss->is_string()) {
        return "iss must be a string";
    }
    out = {*sub, *jti, *azp, iat->get<std::int64_t>()};
    return {};
}

}  // namespace detail

std::string_view name(OAuthFailure f) {
    for (const auto& [v, text] : kFailures) {
        if (v == f) {
            return text;
        }
    }
    return "invalid_request";
}

std::optional<OAuthFailure> oauth_failure(const Error& e) {
    return reason_of<OAuthFailure>(e);
}

std::string to_json(const AuthorizationParams& p) {
    nlohmann::json j{{"response_type", p.response_type},
                     {"client_id", p.client_id},
                     {"redirect_uri", p.redirect_uri},
                     {"scope", p.scope},
                     {"state", p.state},
                     {"code_challenge", p.code_challenge},
                     {"code_challenge_method", p.code_challenge_method},
                     {"pkce_required", p.pkce_required},
                     {"rar", p.rar},
                     {"description", p.description},
                     {"lang", p.lang},
                     {"client_data", p.client_data},
                     {"account", p.account},
                     {"pin_verified", p.pin_verified}};
    if (p.credential) {
        nlohmann::json hashes = nlohmann::json::array();
        for (const auto& h : p.credential->hashes) {
            hashes.push_back({{"alg", crypto::spec(h.algorithm).oid}, {"value", hex_encode(h.value)}});
        }
        j["credential"] = {{"id", p.credential->credential_id},
                           {"qualifier", p.credential->signature_qualifier},
                           {"num", p.credential->num_signatures},
                           {"hashes", hashes},
                           {"labels", p.credential->labels}};
    }
    return j.dump();
}

AuthorizationParams params_from_json(std::string_view text) {
    try {
        const auto j = nlohmann::json::parse(text);
        AuthorizationParams p;
        p.response_type = j.at("response_type").get<std::string>();
        p.client_id = j.at("client_id").get<std::string>();
        p.redirect_uri = j.at("redirect_uri").get<std::string>();
        p.scope = j.at("scope").get<std::string>();
        p.state = j.at("state").get<std::string>();
        p.code_challenge = j.at("code_challenge").get<std::string>();
        p.code_challenge_method = j.at("code_challenge_method").get<std::string>();
        p.pkce_required = j.at("pkce_required").get<bool>();
        p.rar = j.at("rar").get<bool>();
        p.description = j.at("description").get<std::string>();
        p.lang = j.at("lang").get<std::string>();
        p.client_data = j.at("client_data").get<std::string>();
        p.account = j.value("account", std::string{});  // absent in rows written before account_token
        p.pin_verified = j.value("pin_verified", false);
        if (j.contains("credential")) {
            const auto& c = j.at("credential");
            CredentialGrant g;
            g.credential_id = c.at("id").get<std::string>();
            g.signature_qualifier = c.value("qualifier", std::string{});
            g.num_signatures = c.at("num").get<int>();
            for (const auto& h : c.at("hashes")) {
                const auto alg = crypto::digest_from_oid(h.at("alg").get<std::string>());
                require(alg.has_value(), Errc::Internal, "stored authorization: unknown digest");
                g.hashes.push_back({*alg, hex_decode(h.at("value").get<std::string>())});
            }
            g.labels = c.at("labels").get<std::vector<std::string>>();
            p.credential = std::move(g);
        }
        return p;
    } catch (const nlohmann::json::exception& e) {
        throw Error{Errc::Internal, std::string{"stored authorization request does not parse: "} + e.what()};
    }
}

OAuth::OAuth(OAuthClientStore& clients, OAuthGrantStore& grants, Accounts& accounts, Sessions& sessions,
             Authorization& authorization, Credentials& credentials, AuditLog& audit, const Clock& clock,
             OAuthSettings settings)
    : m_clients{clients},
      m_grants{grants},
      m_accounts{accounts},
      m_sessions{sessions},
      m_authorization{authorization},
      m_credentials{credentials},
      m_audit{audit},
      m_clock{clock},
      m_settings{settings} {
    require(m_settings.code_lifetime.count() > 0 && m_settings.page_lifetime.count() > 0 &&
                m_settings.par_lifetime.count() > 0 && m_settings.credential_token_lifetime.count() > 0,
            Errc::InvalidConfig, "OAuth lifetimes must be positive");
}

void OAuth::record(std::string_view action, std::string_view outcome, std::string_view user_id,
                   std::string_view client_id, std::string details) {
    AuditEvent e;
    e.action = std::string{action};
    e.outcome = std::string{outcome};
    e.user_id = std::string{user_id};
    e.client_id = std::string{client_id};
    e.details = std::move(details);
    m_audit.record(e);
}

// ---- clients -------------------------------------------------------------------------------

RegisteredClient OAuth::add_client(std::string name, std::vector<std::string> redirect_uris,
                                   bool confidential, std::vector<std::string> seals,
                                   std::string_view operator_name) {
    require(client_name_ok(name), Errc::InvalidRequest,
            "a client name is 1..64 characters of A-Z a-z 0-9 . _ -");
    for (const auto& uri : redirect_uris) {
        require(acceptable_redirect_uri(uri), Errc::InvalidRequest,
                "redirect URI '" + uri +
                    "' must be absolute https (or http on a loopback host), without a fragment");
    }
    require(!redirect_uris.empty() || !seals.empty(), Errc::InvalidRequest,
            "a client needs at least one redirect URI (or, for a system client, a seal)");
    require(confidential || seals.empty(), Errc::InvalidRequest,
            "only a confidential client may seal without a human (--seal needs --confidential)");
    RegisteredClient out;
    out.client.id = crypto::random_hex(16);
    out.client.name = std::move(name);
    out.client.confidential = confidential;
    out.client.redirect_uris = std::move(redirect_uris);
    out.client.seal_credentials = std::move(seals);
    out.client.created_at = m_clock.now();
    if (confidential) {
        out.secret = new_secret();
        out.client.secret_hash = sha256(*out.secret);
    }
    m_clients.create(out.client);
    AuditEvent e;
    e.action = "client.add";
    e.outcome = "ok";
    e.client_id = out.client.id;
    e.operator_name = std::string{operator_name};
    e.details = nlohmann::json{{"name", out.client.name},
                               {"confidential", confidential},
                               {"redirect_uris", out.client.redirect_uris},
                               {"seals", out.client.seal_credentials}}
                    .dump();
    m_audit.record(e);
    return out;
}

std::vector<OAuthClient> OAuth::list_clients() const {
    return m_clients.list();
}

void OAuth::remove_client(std::string_view id_or_name, std::string_view operator_name) {
    std::optional<OAuthClient> client = m_clients.find(id_or_name);
    if (!client || client->removed) {
        client.reset();
        for (auto& c : m_clients.list()) {
            if (c.name == id_or_name) {
                client = std::move(c);
            }
        }
    }
    require(client.has_value() && m_clients.remove(client->id, m_clock.now()), Errc::NotFound,
            "no client " + std::string{id_or_name});
    AuditEvent e;
    e.action = "client.remove";
    e.outcome = "ok";
    e.client_id = client->id;
    e.operator_name = std::string{operator_name};
    e.details = nlohmann::json{{"name", client->name}}.dump();
    m_audit.record(e);
}

// ---- validation ----------------------------------------------------------------------------

OAuthClient OAuth::trusted_client(const AuthorizationParams& p) const {
    auto client = p.client_id.empty() ? std::nullopt : m_clients.find(p.client_id);
    if (!client || client->removed) {
        fail(OAuthFailure::InvalidRedirect, "unknown client_id");
    }
    return std::move(*client);
}

std::string OAuth::redirect_uri_for(const AuthorizationParams& p) const {
    const OAuthClient client = trusted_client(p);
    if (p.redirect_uri.empty()) {
        // CSC v1 §8.3.2: optional when the client registered one URI; ambiguous otherwise.
        if (client.redirect_uris.size() != 1) {
            fail(OAuthFailure::InvalidRedirect, "redirect_uri is required");
        }
        return client.redirect_uris.front();
    }
    // Exact string comparison (RFC 9700 §4.1.3): no prefix, no normalisation.
    if (std::find(client.redirect_uris.begin(), client.redirect_uris.end(), p.redirect_uri) ==
        client.redirect_uris.end()) {
        fail(OAuthFailure::InvalidRedirect, "redirect_uri is not registered for this client");
    }
    return p.redirect_uri;
}

AuthorizationParams OAuth::validated(const AuthorizationParams& params) const {
    AuthorizationParams p = params;
    (void)redirect_uri_for(p);
    // PKCE (RFC 7636) for every public client, v1 as well as v2 (RFC 9700 §2.1.1: a public client has
    // nothing else to bind the code to), and for every client on v2 (CSC v2 §8.3.2).
    const bool confidential = trusted_client(p).confidential;
    p.pkce_required = p.pkce_required || !confidential;
    if (p.response_type != "code") {
        fail(OAuthFailure::UnsupportedResponseType, "response_type must be code");
    }
    if (p.scope.empty()) {
        p.scope = p.credential ? "credential" : "service";
    }
    if (p.scope != "service" && p.scope != "credential") {
        fail(OAuthFailure::InvalidScope, "scope must be service or credential");
    }
    if (p.scope == "credential" && !p.credential) {
        fail(OAuthFailure::InvalidRequest,
             "scope credential needs credentialID or signatureQualifier (or authorization_details)");
    }
    if (p.scope == "service" && p.credential) {
        fail(OAuthFailure::InvalidRequest, "credentialID belongs to scope credential");
    }
    if (p.credential) {
        const auto& g = *p.credential;
        if ((g.credential_id.empty() && g.signature_qualifier.empty()) || g.credential_id.size() > 256) {
            fail(OAuthFailure::InvalidRequest, "invalid credentialID");
        }
        if (!g.signature_qualifier.empty() && !is_signature_qualifier(g.signature_qualifier)) {
            fail(OAuthFailure::InvalidRequest, "unknown signatureQualifier");
        }
        if (p.credential->num_signatures < 1) {
            fail(OAuthFailure::InvalidRequest, "numSignatures must be at least 1");
        }
        for (const auto& h : p.credential->hashes) {
            if (h.value.size() != crypto::digest_length(h.algorithm)) {
                fail(OAuthFailure::InvalidRequest, "a hash's length does not match its algorithm");
            }
        }
    }
    if (p.state.size() > kMaxStateLength) {
        fail(OAuthFailure::InvalidRequest, "state is longer than 255 bytes");
    }
    if (p.description.size() > kMaxDescriptionLength) {
        fail(OAuthFailure::InvalidRequest, "description is longer than 500 characters");
    }
    if (p.code_challenge.empty()) {
        if (p.pkce_required) {
            fail(OAuthFailure::InvalidRequest, "code_challenge is required (PKCE, RFC 7636)");
        }
        if (!p.code_challenge_method.empty()) {
            fail(OAuthFailure::InvalidRequest, "code_challenge_method without code_challenge");
        }
    } else {
        if (p.code_challenge_method.empty()) {
            p.code_challenge_method = "plain";  // RFC 7636 §4.3
        }
        if (p.code_challenge_method != "S256" && p.code_challenge_method != "plain") {
            fail(OAuthFailure::InvalidRequest, "code_challenge_method must be S256");
        }
        if (p.code_challenge_method == "plain" && !m_settings.allow_plain_pkce) {
            fail(OAuthFailure::InvalidRequest, "code_challenge_method plain is not allowed; use S256");
        }
        if (!pkce_text(p.code_challenge)) {
            fail(OAuthFailure::InvalidRequest, "code_challenge is malformed");
        }
    }
    return p;
}

OAuthClient OAuth::authenticate_client(const ClientAuthentication& auth) const {
    auto client = auth.client_id.empty() ? std::nullopt : m_clients.find(auth.client_id);
    if (!client || client->removed) {
        fail(OAuthFailure::InvalidClient, "unknown client");
    }
    if (client->confidential) {
        const auto given = auth.secret ? hash_of_secret(*auth.secret) : std::nullopt;
        if (!given || !equal_constant_time(*given, client->secret_hash)) {
            fail(OAuthFailure::InvalidClient, "client authentication failed");
        }
    } else if (auth.secret) {
        fail(OAuthFailure::InvalidClient, "a public client has no secret");
    }
    return std::move(*client);
}

// ---- the browser ---------------------------------------------------------------------------

void OAuth::verify_account_token(AuthorizationParams& p, const OAuthClient& client) {
    const std::string token = std::exchange(p.account_token, {});
    p.account.clear();
    if (token.empty()) {
        return;
    }
    const auto refuse = [&](std::string_view why) {
        record("oauth2.account_token", "refused", {}, client.id, nlohmann::json{{"reason", why}}.dump());
        fail(OAuthFailure::InvalidRequest, "account_token " + std::string{why});
    };
    if (!client.confidential) {
        // The key is SHA-256(client_secret): a public client has none, so anyone could mint its tokens.
        refuse("needs a confidential client");
    }
    detail::AccountTokenClaims claims;
    if (const std::string_view why = detail::read_account_token(token, client.secret_hash, claims);
        !why.empty()) {
        refuse(why);
    }
    if (claims.azp != client.id) {
        refuse("azp is not this client_id");
    }
    const auto issued = claims.iat;
    const auto now_s =
        std::chrono::duration_cast<std::chrono::seconds>(m_clock.now().time_since_epoch()).count();
    if (issued > now_s + kAccountTokenSkew.count()) {
        refuse("iat is in the future");
    }
    if (now_s - issued > m_settings.account_token_max_age.count()) {
        refuse("is too old (iat)");
    }
    // Remembered until it could no longer pass the age check; the store decides across nodes.
    const TimePoint keep_until =
        TimePoint{std::chrono::seconds{issued}} + m_settings.account_token_max_age + kAccountTokenSkew;
    if (!m_grants.remember_account_token(client.id, claims.jti, m_clock.now(), keep_until)) {
        refuse("was already used (jti)");
    }
    p.account = claims.sub;
}

StartedAuthorization OAuth::start(const AuthorizationParams& params) {
    AuthorizationParams p = validated(params);
    verify_account_token(p, trusted_client(p));
    StartedAuthorization out{new_secret()};
    PendingAuthorization pending;
    pending.id = crypto::random_hex(16);
    pending.session_hash = sha256(out.session);
    pending.client_id = p.client_id;
    pending.request = to_json(p);
    pending.csrf_hash = sha256(csrf_for(out.session));
    pending.stage = PendingStage::Login;
    pending.expires_at = m_clock.now() + m_settings.page_lifetime;
    m_grants.insert_pending(pending);
    return out;
}

StartedAuthorization OAuth::start_pushed(std::string_view client_id, std::string_view request_uri) {
    if (!request_uri.starts_with(kRequestUriPrefix) || request_uri.size() > kMaxSecretLength) {
        fail(OAuthFailure::InvalidRedirect, "request_uri is not one of ours");
    }
    StartedAuthorization out{new_secret()};
    const TimePoint now = m_clock.now();
    const auto opened =
        m_grants.open_pushed(sha256(request_uri), client_id, sha256(out.session),
                             sha256(csrf_for(out.session)), now, now + m_settings.page_lifetime);
    if (!opened) {
        fail(OAuthFailure::InvalidRedirect,
             "request_uri is unknown, expired, already used or another client's");
    }
    return out;
}

PendingAuthorization OAuth::at_stage(const Secret& session, std::string_view csrf, PendingStage stage) const {
    const auto hash = hash_of_secret(session);
    const auto pending = hash ? m_grants.find_pending(*hash, m_clock.now()) : std::nullopt;
    if (!pending) {
        fail(OAuthFailure::InvalidSession, "no such authorization (expired?)");
    }
    if (!equal_constant_time(sha256(csrf), pending->csrf_hash)) {
        fail(OAuthFailure::InvalidSession, "the form's CSRF token does not match");
    }
    if (pending->stage != stage) {
        fail(OAuthFailure::InvalidSession, "this step was already taken");
    }
    return *pending;
}

PageView OAuth::view(const Secret& session) const {
    const auto hash = hash_of_secret(session);
    const auto pending = hash ? m_grants.find_pending(*hash, m_clock.now()) : std::nullopt;
    if (!pending) {
        fail(OAuthFailure::InvalidSession, "no such authorization (expired?)");
    }
    PageView v;
    v.stage = pending->stage;
    v.csrf = csrf_for(session.reveal());
    v.params = params_from_json(pending->request);
    v.redirect_uri = redirect_uri_for(v.params);
    if (const auto client = m_clients.find(pending->client_id)) {
        v.client_name = client->name;
    }
    // At Login the user of an earlier password pass (before a wrong code) is not shown any more.
    if (!pending->user_id.empty() && pending->stage != PendingStage::Login) {
        if (const auto user = m_accounts.find_by_id(pending->user_id)) {
            v.user_name = user->name;
        }
        if (v.params.credential && v.params.credential->credential_id.empty()) {
            v.choices = qualified(pending->user_id, *v.params.credential);
            if (v.choices.size() == 1) {
                v.credential = v.choices.front();
            }
        } else if (v.params.credential) {
            try {
                v.credential = m_credentials.get_for(pending->user_id, v.params.credential->credential_id);
            } catch (const Error& e) {
                if (e.code() != Errc::NotFound) {
                    throw;
                }
            }
        }
        const auto explicit_mode = [](const Credential& c) { return c.auth_mode == AuthMode::Explicit; };
        v.pin_required = v.credential ? explicit_mode(*v.credential)
                                      : std::any_of(v.choices.begin(), v.choices.end(), explicit_mode);
    }
    return v;
}

void OAuth::login(const Secret& session, std::string_view csrf, std::string_view user_name,
                  const Secret& password) {
    const PendingAuthorization p = at_stage(session, csrf, PendingStage::Login);
    // The same per-account count as auth/login (Accounts::check_password); one answer for an unknown
    // name, a wrong password, too many failures and an account the operator locked.
    const PasswordCheck check = m_accounts.check_password(user_name, password);
    if (!check.ok() || check.user->locked) {
        const std::string user_id = check.user ? check.user->id : std::string{};
        nlohmann::json details = nlohmann::json::object();
        detail::add_tried_name(details, user_name);  // the name tried, never the password
        if (check.verdict != PasswordVerdict::Unknown) {
            details["password_failures"] = check.failures;
        }
        if (check.now_locked(m_accounts.lockout())) {
            details["now_locked"] = true;
        }
        record("oauth2.login", check.ok() ? "locked" : name(check.verdict), user_id, p.client_id,
               details.dump());
        throw Error{Errc::InvalidAuthData, "oauth2 login failed: unknown user, wrong password or locked"};
    }
    if (!m_grants.advance(p.id, PendingStage::Login, PendingStage::Otp, check.user->id, m_clock.now())) {
        fail(OAuthFailure::InvalidSession, "this step was already taken");
    }
    record("oauth2.login", "ok", check.user->id, p.client_id, "{}");
}

void OAuth::otp(const Secret& session, std::string_view csrf, const Secret& code) {
    const PendingAuthorization p = at_stage(session, csrf, PendingStage::Otp);
    // Each code attempt spends the password step (decision 0015): the authorization goes back to Login
    // *before* the code is checked — compare-and-set, so of several codes posted at once only one is
    // checked — and on to Consent only if the code is right. Someone who knows the password can thus
    // not try code after code (and lock the user's OTP) without passing the password again each time,
    // and every such try is a password success plus an OTP failure in the audit log.
    if (!m_grants.advance(p.id, PendingStage::Otp, PendingStage::Login, {}, m_clock.now())) {
        fail(OAuthFailure::InvalidSession, "this step was already taken");
    }
    m_authorization.verify_otp(p.user_id, p.client_id, code);
    if (!m_grants.advance(p.id, PendingStage::Login, PendingStage::Consent, p.user_id, m_clock.now())) {
        fail(OAuthFailure::InvalidSession, "this step was already taken");
    }
}

std::vector<Credential> OAuth::qualified(std::string_view user_id, const CredentialGrant& g) const {
    std::vector<Credential> out;
    for (auto& c : m_credentials.list_for(user_id)) {
        if (c.status == CredentialStatus::Active && c.signature_qualifier == g.signature_qualifier) {
            out.push_back(std::move(c));
        }
    }
    return out;
}

Redirect OAuth::consent(const Secret& session, std::string_view csrf, bool approve, std::string_view chosen,
                        const Secret* pin) {
    const PendingAuthorization p = at_stage(session, csrf, PendingStage::Consent);
    std::string pin_checked_for;
    if (approve) {
        // An explicit-mode credential also needs its PIN, checked before the page is used up, so a mistyped
        // PIN can be entered again (the failure counts toward the PIN lockout as in credentials/authorize).
        const PageView v = view(session);
        std::optional<Credential> target = v.credential;
        if (!chosen.empty()) {
            const auto it = std::find_if(v.choices.begin(), v.choices.end(),
                                         [&](const Credential& c) { return c.id == chosen; });
            target = it == v.choices.end() ? std::nullopt : std::optional<Credential>{*it};
        }
        if (target && target->auth_mode == AuthMode::Explicit) {
            if (pin == nullptr || pin->empty()) {
                throw Error{Errc::InvalidAuthData, "bad_pin: the credential's PIN is required"};
            }
            m_authorization.verify_pin(Caller{p.user_id, p.client_id, {}}, target->id, *pin);
            pin_checked_for = target->id;
        }
    }
    if (!m_grants.remove_pending(p.id)) {
        fail(OAuthFailure::InvalidSession, "this step was already taken");
    }
    AuthorizationParams params = params_from_json(p.request);
    Redirect out;
    if (approve && params.credential && params.credential->credential_id.empty()) {
        // Selection by signatureQualifier (csc-api.md oauth2/authorize): one match is it; several need the
        // user's pick among them; none (or a pick that is not one of them) is access_denied — the user
        // cannot grant what they do not hold (RFC 6749 §4.1.2.1), and the client learns nothing more.
        const auto choices = qualified(p.user_id, *params.credential);
        const auto pick = std::find_if(choices.begin(), choices.end(), [&](const Credential& c) {
            return chosen.empty() ? choices.size() == 1 : c.id == chosen;
        });
        if (pick == choices.end()) {
            out.redirect_uri = redirect_uri_for(params);
            out.state = params.state;
            out.error = "access_denied";
            record("oauth2.consent", choices.empty() ? "no_qualified_credential" : "no_choice", p.user_id,
                   p.client_id,
                   nlohmann::json{{"scope", params.scope},
                                  {"signature_qualifier", params.credential->signature_qualifier}}
                       .dump());
            return out;
        }
        params.credential->credential_id = pick->id;
    }
    out.redirect_uri = redirect_uri_for(params);
    out.state = params.state;
    nlohmann::json details{{"scope", params.scope}};
    if (!params.account.empty()) {
        details["account"] = params.account;  // account_token's sub (CSC v1 §8.3.1), not the token
    }
    if (params.credential) {
        details["credential"] = params.credential->credential_id;
        details["num_signatures"] = params.credential->num_signatures;
        if (!params.credential->signature_qualifier.empty()) {
            details["signature_qualifier"] = params.credential->signature_qualifier;
        }
    }
    if (!approve) {
        out.error = "access_denied";
        record("oauth2.consent", "denied", p.user_id, p.client_id, details.dump());
        return out;
    }
    if (params.credential) {
        try {
            const Credential c = m_credentials.get_for(p.user_id, params.credential->credential_id);
            // Both named (CSC v2 allows it): they must agree, else as if the credential were not there.
            if (!params.credential->signature_qualifier.empty() &&
                c.signature_qualifier != params.credential->signature_qualifier) {
                throw Error{Errc::NotFound, "the credential has another signature qualifier"};
            }
        } catch (const Error& e) {
            if (e.code() != Errc::NotFound) {
                throw;
            }
            out.error = "access_denied";
            record("oauth2.consent", "not_found", p.user_id, p.client_id, details.dump());
            return out;
        }
    }
    if (params.credential) {
        const auto c = m_credentials.get_for(p.user_id, params.credential->credential_id);
        // Checked above, before the page was used up; a grant without it is refused at the token endpoint.
        params.pin_verified = c.auth_mode == AuthMode::Explicit && pin_checked_for == c.id;
    }
    out.code = new_secret();
    m_grants.insert_code({sha256(out.code), p.client_id, out.redirect_uri, p.user_id, to_json(params),
                          m_clock.now() + m_settings.code_lifetime});
    record("oauth2.consent", "ok", p.user_id, p.client_id, details.dump());
    return out;
}

// ---- the back channel ----------------------------------------------------------------------

PushedRequest OAuth::push(const ClientAuthentication& client_auth, const AuthorizationParams& params) {
    const OAuthClient client = authenticate_client(client_auth);
    if (!params.client_id.empty() && params.client_id != client.id) {
        fail(OAuthFailure::InvalidRequest, "client_id differs from the authenticated client");
    }
    AuthorizationParams given = params;
    given.client_id = client.id;
    AuthorizationParams p;
    try {
        p = validated(given);
    } catch (const Error& e) {
        // At PAR there is no browser to redirect: a bad redirect_uri is a plain invalid_request.
        if (oauth_failure(e) == OAuthFailure::InvalidRedirect) {
            fail(OAuthFailure::InvalidRequest, e.detail());
        }
        throw;
    }
    verify_account_token(p, client);
    const std::string secret = new_secret();
    PushedRequest out;
    out.request_uri = std::string{kRequestUriPrefix} + secret;
    out.expires_in = m_settings.par_lifetime.count();
    PendingAuthorization pending;
    pending.id = crypto::random_hex(16);
    pending.request_uri_hash = sha256(out.request_uri);
    pending.client_id = client.id;
    pending.request = to_json(p);
    pending.stage = PendingStage::Pushed;
    pending.expires_at = m_clock.now() + m_settings.par_lifetime;
    m_grants.insert_pending(pending);
    return out;
}

TokenResponse OAuth::token(const ClientAuthentication& client_auth, TokenRequest request) {
    const OAuthClient client = authenticate_client(client_auth);
    TokenResponse out;
    if (request.grant_type == "client_credentials") {
        // System clients only: a public client cannot keep the secret that this grant rests on.
        if (!client.confidential) {
            fail(OAuthFailure::UnauthorizedClient, "client_credentials needs a confidential client");
        }
        if (!request.scope.empty() && request.scope != "service") {
            fail(OAuthFailure::InvalidScope, "client_credentials is for scope service only");
        }
        const IssuedTokens t = m_sessions.grant({}, client.id, false);
        out.access_token = t.access_token;
        out.expires_in = t.expires_in;
        out.scope = "service";
        return out;
    }
    if (request.grant_type == "refresh_token") {
        return service_tokens([&] { return m_sessions.rotate(request.refresh_token, client.id); });
    }
    if (request.grant_type != "authorization_code") {
        fail(OAuthFailure::UnsupportedGrantType,
             "grant_type must be authorization_code, refresh_token or client_credentials");
    }
    const auto code_hash = hash_of_secret(request.code);
    if (!code_hash) {
        fail(OAuthFailure::InvalidRequest, "code is missing");
    }
    const CodeConsumption spent = m_grants.consume_code(*code_hash, m_clock.now());
    if (!spent.code) {
        if (spent.failure == CodeRefusal::Used) {
            // RFC 6749 §4.1.2: a code used twice was intercepted or replayed; what its first exchange
            // issued is revoked, since either party may be the attacker (RFC 9700 §4.5).
            (void)m_sessions.revoke_family(spent.issued_family, client.id, "authorization code reused");
            if (!spent.issued_sad_hash.empty()) {
                (void)m_authorization.revoke_credential_token(spent.issued_sad_hash,
                                                              "authorization code reused");
            }
        }
        const std::string why{name(spent.failure.value_or(CodeRefusal::Invalid))};
        record("oauth2.token", "code_" + why, {}, client.id, "{}");
        fail(OAuthFailure::InvalidGrant, "the code is " + why);
    }
    const AuthorizationCodeRecord& code = *spent.code;
    const AuthorizationParams params = params_from_json(code.grant);
    const auto refuse = [&](std::string_view outcome, std::string_view text) {
        record("oauth2.token", outcome, code.user_id, client.id, "{}");
        fail(OAuthFailure::InvalidGrant, text);
    };
    if (code.client_id != client.id) {
        refuse("other_client", "the code was issued to another client");
    }
    // RFC 6749 §4.1.3: redirect_uri must be repeated, identically, if the request had one.
    if ((!params.redirect_uri.empty() || !request.redirect_uri.empty()) &&
        request.redirect_uri != code.redirect_uri) {
        refuse("redirect_mismatch", "redirect_uri does not match the authorization request");
    }
    if (params.code_challenge.empty()) {
        // A public client's code always carries a challenge (validated()); one without (a request stored
        // before that rule) is not exchanged. A verifier for a code without a challenge is a downgrade
        // attempt (RFC 9700 §2.1.1): refused too.
        if (!client.confidential || params.pkce_required) {
            refuse("pkce_missing", "the authorization request had no code_challenge (PKCE is required)");
        }
        if (!request.code_verifier.empty()) {
            refuse("pkce_unexpected", "code_verifier without a code_challenge in the authorization request");
        }
    } else {
        if (request.code_verifier.empty()) {
            refuse("pkce_missing", "code_verifier is required");
        }
        const std::string expected = params.code_challenge_method == "S256"
                                         ? base64url_encode(sha256(request.code_verifier))
                                         : request.code_verifier;
        if (!pkce_text(request.code_verifier) ||
            !equal_constant_time(as_bytes(expected), as_bytes(params.code_challenge))) {
            refuse("pkce_mismatch", "code_verifier does not match code_challenge");
        }
    }
    if (params.rar) {
        // RFC 9396 §6 and CSC v2 §8.4.4: the token request repeats the authorization_details.
        if (!request.authorization_details) {
            fail(OAuthFailure::InvalidRequest, "authorization_details must repeat those authorized");
        }
        if (!same_grant(*request.authorization_details, *params.credential)) {
            refuse("rar_mismatch", "authorization_details differ from those authorized");
        }
    }
    if (params.scope == "service") {
        std::string family;
        TokenResponse tokens = service_tokens([&] {
            IssuedTokens t = m_sessions.grant(code.user_id, client.id, true);
            family = t.family_id;
            return t;
        });
        m_grants.link_code(*code_hash, family, {});
        return tokens;
    }
    AuthorizeRequest authorize;
    authorize.credential_id = params.credential->credential_id;
    authorize.num_signatures = params.credential->num_signatures;
    authorize.hashes = params.credential->hashes;
    authorize.description = params.description;
    authorize.pin_verified = params.pin_verified;
    try {
        const IssuedSad sad = m_authorization.grant_credential(
            Caller{code.user_id, client.id, {}}, std::move(authorize), m_settings.credential_token_lifetime);
        m_grants.link_code(*code_hash, {}, sha256(sad.sad));
        out.access_token = sad.sad;
        out.expires_in = sad.expires_in;
        out.credential = true;
        out.scope = "credential";
        out.granted = params.credential;
        return out;
    } catch (const Error& e) {
        if (static_cast<std::uint16_t>(e.code()) < static_cast<std::uint16_t>(Errc::Internal)) {
            fail(OAuthFailure::InvalidGrant, e.detail());
        }
        throw;
    }
}

void OAuth::revoke(const ClientAuthentication& client_auth, const Secret& token, std::string_view hint) {
    const OAuthClient client = authenticate_client(client_auth);
    if (!hint.empty() && hint != "access_token" && hint != "refresh_token") {
        fail(OAuthFailure::InvalidRequest, "token_type_hint must be access_token or refresh_token");
    }
    if (token.empty()) {
        fail(OAuthFailure::InvalidRequest, "token is missing");
    }
    // RFC 7009 §2.1: a credential-scope token is a SAD handle (oauth.h): revoking it retires the ledger
    // row, so signHash/signDoc refuse it. Either way the answer is the same (§2.2).
    if (!m_sessions.revoke_for_client(client.id, token)) {
        (void)m_authorization.revoke_for_client(client.id, token);
    }
}

}  // namespace inkan::service
