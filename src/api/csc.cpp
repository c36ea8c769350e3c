#include <inkan/api/csc.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <functional>
#include <memory>
#include <utility>

#include <nlohmann/json.hpp>

#include <inkan/api/errors.h>
#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/core/log.h>
#include <inkan/validation/batch.h>
#include <inkan/validation/report.h>

#include <nlohmann/json.hpp>

#include "approval_page.h"
#include "codec.h"
#include "core.h"
#include "json_body.h"
#include "oauth_routes.h"
#include "wire.h"

namespace inkan::api {

namespace {

using detail::Core;
using detail::JsonBody;

/// What the handlers share: the core and the two precomputed info answers.
struct State {
    explicit State(CscDeps deps)
        : oauth{deps.oauth},
          authorization{deps.authorization},
          timestamps{deps.timestamps},
          documents{deps.documents},
          extension{deps.extension},
          validation{deps.validation},
          core{std::move(deps)} {}
    service::OAuth* oauth;
    service::Authorization& authorization;
    tsp::Authority* timestamps;
    service::DocumentSigning* documents;
    service::Extension* extension;
    service::Validation* validation;
    Core core;
    std::array<std::string, 2> info_json;  ///< by Version
};

using Run = http::Response (*)(const State&, Version, const http::Request&);

/// What a signDoc body holds besides the base64 of its document: the JSON around it.
constexpr std::uint64_t kJsonAllowance = 1024 * 1024;
/// The routes that carry lists of hashes (one per signature an authorisation covers) take this much;
/// every other route keeps the server's small default (64 KiB), the unauthenticated ones included.
constexpr std::uint64_t kHashListBodyLimit = 1024 * 1024;
constexpr std::uint64_t kHandleBodyLimit = 16 * 1024;
/// How long a client should wait between two credentials/authorizeCheck polls (Retry-After, seconds).
constexpr std::string_view kPollSeconds = "2";

http::Response ok(std::string json) {
    return http::Response::json(200, std::move(json));
}

/// Every failure answered as a CSC error body: the handler does not rely on the server's ErrorMapper
/// (which may serve other listeners with other bodies). Also how an asynchronous job's answer is made,
/// so that signPolling returns exactly what the synchronous call would have.
/// Which error form a route answers in: the CSC methods' {"error", "error_description"} (CSC v1 §10, v2
/// §11), or the vendor routes' RFC 9457 problem details (docs/errors.md).
enum class Form { Csc, Problem };

template <class F>
http::Response guarded(std::string_view route, F&& f, Form form = Form::Csc) {
    try {
        return std::forward<F>(f)();
    } catch (const detail::WireError& e) {
        log::debug("csc request refused", {{"route", std::string{route}},
                                           {"status", e.status()},
                                           {"error", e.error()},
                                           {"description", e.description()}});
        return form == Form::Csc ? e.response() : e.problem_response();
    } catch (const Error& e) {
        const bool ours = static_cast<std::uint16_t>(e.code()) >= static_cast<std::uint16_t>(Errc::Internal);
        log::write(ours ? log::Level::Error : log::Level::Info, "csc request failed",
                   {{"code", errc_name(e.code())}, {"what", e.what()}, {"route", std::string{route}}});
        return form == Form::Csc ? to_csc_error(e) : to_problem(e);
    }
}

/// operationMode "A" (CSC v2 signHash/signDoc, decision 0033): validity_period and response_uri are
/// checked and a place in the queue is taken while the SAD is still good; `prepare` then runs every
/// check of the synchronous call and spends the SAD (its refusals are this request's answer, so a replay
/// is refused at once) and returns the job; the job runs on an AsyncOperations worker, never on an I/O
/// thread, and its answer — the synchronous call's status and body — waits in the store for
/// signPolling. The answer here: 202 {"responseID"} (RFC 9110 §15.3.3: accepted, not yet done).
template <class Prepare>
http::Response start_async(const State& state, const http::Request& request, const service::Caller& caller,
                           const detail::OperationMode& mode, Prepare&& prepare) {
    service::AsyncOperations* async = state.core.async();
    if (async == nullptr) {
        detail::invalid_request("Invalid parameter operationMode");
    }
    std::chrono::milliseconds validity{};
    try {
        validity = async->validity(mode.validity_ms);
    } catch (const Error&) {
        detail::invalid_request("Invalid parameter validity_period");
    }
    if (mode.response_uri) {
        try {
            async->check_response_uri(*mode.response_uri);
        } catch (const Error&) {
            detail::invalid_request("Invalid parameter response_uri");
        }
    }
    service::AsyncOperations::Slot slot = async->reserve();  // full: 503, the SAD untouched
    std::function<http::Response()> job = std::forward<Prepare>(prepare)();
    const std::string id =
        async->submit(std::move(slot), caller, validity, mode.response_uri,
                      [job = std::move(job), route = request.route]() -> service::AsyncAnswer {
                          http::Response r = guarded(route, job);
                          return {r.status, std::move(r.body)};
                      });
    http::Response r = http::Response::json(202, nlohmann::json{{"responseID", id}}.dump());
    r.headers.set("Cache-Control", "no-store");
    return r;
}

http::Response run_info(const State& state, Version version, const http::Request& request) {
    if (request.method == "POST") {
        // `lang` is accepted and checked; there is one language, so the answer is always in it.
        JsonBody::parse(request.body).check_common();
    }
    const std::string& json = state.info_json[version == Version::V1 ? 0 : 1];
    if (state.oauth == nullptr) {
        return ok(json);
    }
    // The OAuth base is the configured public URL, never the Host header a client sent.
    auto info = nlohmann::ordered_json::parse(json);
    const std::string& base = state.core.info().public_url;
    if (version == Version::V1) {
        info["oauth2"] = base + "/csc/v1/";  // CSC v1 §11.1: "oauth2/authorize" etc. are appended
    } else {
        info["oauth2Issuer"] = base;  // RFC 8414 issuer: /.well-known/oauth-authorization-server
    }
    return ok(info.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

http::Response run_login(const State& state, Version, const http::Request& request) {
    JsonBody body = JsonBody::parse(request.body);
    const detail::LoginRequest login = detail::decode_login(request, body);
    http::Response r = ok(detail::encode_tokens(state.core.login(login)));
    // RFC 6749 §5.1: token responses are not cached.
    r.headers.set("Cache-Control", "no-store");
    r.headers.set("Pragma", "no-cache");
    return r;
}

http::Response run_revoke(const State& state, Version, const http::Request& request) {
    const service::Caller caller = state.core.authenticate(request);
    JsonBody body = JsonBody::parse(request.body);
    state.core.revoke(caller, detail::decode_revoke(body));
    http::Response r;
    r.status = 204;
    return r;
}

http::Response run_list(const State& state, Version version, const http::Request& request) {
    const service::Caller caller = state.core.authenticate(request);
    const JsonBody body = JsonBody::parse(request.body);
    const detail::ListResult result = state.core.list(caller, detail::decode_list(version, body));
    return ok(detail::encode_list(version, result, state.core.info()));
}

http::Response run_authorize(const State& state, Version version, const http::Request& request) {
    const service::Caller caller = state.core.authenticate(request);
    JsonBody body = JsonBody::parse(request.body);
    service::AuthorizeRequest authorize = detail::decode_authorize(version, body);
    if (version == Version::V2 && authorize.out_of_band && !caller.is_system() &&
        state.core.oob() != nullptr) {
        // No factors: the signer approves on inkan's page (decision 0034). 202 with the handle (CSC v2
        // §11.6; RFC 9110 §15.3.3: accepted, not completed); the page's URL for the application to show as
        // a link or QR code; how long the handle lives; when to poll again.
        const service::OobStarted started = state.core.authorize_out_of_band(caller, std::move(authorize));
        const nlohmann::json answer{
            {"handle", started.handle},
            {"approvalURI",
             state.core.info().public_url + std::string{kApprovalPath} + "?request=" + started.ref},
            {"expiresIn", started.expires_in}};
        http::Response r = http::Response::json(202, answer.dump());
        r.headers.set("Cache-Control", "no-store");
        r.headers.set("Retry-After", std::string{kPollSeconds});
        return r;
    }
    http::Response r = ok(detail::encode_sad(state.core.authorize(version, caller, std::move(authorize))));
    r.headers.set("Cache-Control", "no-store");  // the SAD is a bearer secret
    return r;
}

/// v2 credentials/authorizeCheck (CSC v2 §11.7; csc-api.md §4.11): `handle` → 202 {handle} while the
/// signer has not decided (Retry-After: the poll interval the spec leaves to the server), 200 {SAD,
/// expiresIn} once after the approval, 400 access_denied after a decline, 400 "The authorization request
/// expired" after its lifetime; an unknown, another caller's or an already collected handle is one and the
/// same "Invalid parameter handle" (decision 0034).
http::Response run_authorize_check(const State& state, Version, const http::Request& request) {
    const service::Caller caller = state.core.authenticate(request);
    JsonBody body = JsonBody::parse(request.body);
    body.check_common();
    const std::optional<Secret> handle = body.take_secret("handle");
    if (!handle || handle->empty()) {
        JsonBody::wrong_type("string", "handle");
    }
    if (state.core.oob() == nullptr) {
        detail::invalid_request("Invalid parameter handle");
    }
    const service::OobCheck out = state.core.authorize_check(caller, *handle);
    switch (out.state) {
        case service::OobCheck::State::Pending: {
            http::Response r = http::Response::json(202, nlohmann::json{{"handle", handle->reveal()}}.dump());
            r.headers.set("Cache-Control", "no-store");
            r.headers.set("Retry-After", std::string{kPollSeconds});
            return r;
        }
        case service::OobCheck::State::Approved: {
            http::Response r = ok(detail::encode_sad(*out.sad));
            r.headers.set("Cache-Control", "no-store");  // the SAD is a bearer secret
            return r;
        }
        case service::OobCheck::State::Declined:
            return csc_error(400, "access_denied", "The signer declined the authorization");
        case service::OobCheck::State::Expired:
            break;
    }
    detail::invalid_request("The authorization request expired: authorize again");
}

http::Response run_extend(const State& state, Version version, const http::Request& request) {
    const service::Caller caller = state.core.authenticate(request);
    JsonBody body = JsonBody::parse(request.body);
    detail::ExtendRequest extend = detail::decode_extend(version, body);
    http::Response r = ok(detail::encode_sad(state.core.extend(version, caller, std::move(extend))));
    r.headers.set("Cache-Control", "no-store");
    return r;
}

http::Response run_get_challenge(const State& state, Version, const http::Request& request) {
    const service::Caller caller = state.core.authenticate(request);
    const JsonBody body = JsonBody::parse(request.body);
    state.core.get_challenge(caller, detail::decode_challenge(body));
    http::Response r;
    r.status = 204;
    return r;
}

/// v2: a credential-scope access token may be the Bearer of signHash, the SAD parameter then not
/// needed (CSC v2 §8.4; csc-api.md §3.3): the token is a SAD handle, spent by the same ledger.
std::optional<service::Authorization::CredentialToken> credential_bearer(const State& state, Version version,
                                                                         const http::Request& request) {
    if (version != Version::V2) {
        return std::nullopt;
    }
    try {
        return state.authorization.credential_token(detail::bearer_token(request));
    } catch (const detail::WireError&) {
        return std::nullopt;
    }
}

/// Who signs: with a credential-scope Bearer token, its caller and the token (which then stands for the
/// SAD); otherwise the service token's caller.
struct Signing {
    std::optional<service::Authorization::CredentialToken> credential_token;
    service::Caller caller;
    Secret bearer;  ///< the credential token itself, or empty
    [[nodiscard]] const Secret* sad_token() const { return credential_token ? &bearer : nullptr; }
};

Signing signing_caller(const State& state, Version version, const http::Request& request) {
    Signing out;
    out.credential_token = credential_bearer(state, version, request);
    if (out.credential_token) {
        out.caller = out.credential_token->caller;
        out.bearer = detail::bearer_token(request);
    } else {
        out.caller = state.core.authenticate(request);
    }
    return out;
}

/// credentials/info: a service token, or (v2 §8.4) a credential token for its own credential only — a
/// client holding just the credential token reads the certificate it is about to sign with.
http::Response run_credential_info(const State& state, Version version, const http::Request& request) {
    const Signing who = signing_caller(state, version, request);
    const JsonBody body = JsonBody::parse(request.body);
    const detail::CredentialInfoRequest info = detail::decode_credential_info(body);
    if (who.credential_token && info.credential_id != who.credential_token->credential_id) {
        detail::invalid_request("Invalid parameter credentialID");
    }
    const detail::CredentialView view = state.core.credential_info(who.caller, info);
    return ok(detail::encode_credential_info(version, view, state.core.info()));
}

http::Response run_sign_hash(const State& state, Version version, const http::Request& request) {
    const Signing who = signing_caller(state, version, request);
    JsonBody body = JsonBody::parse(request.body);
    detail::SignHashRequest sign = detail::decode_sign_hash(version, body, who.sad_token());
    if (who.credential_token && sign.credential_id != who.credential_token->credential_id) {
        detail::invalid_request("Invalid parameter credentialID");
    }
    if (sign.mode.async) {
        const detail::OperationMode mode = sign.mode;
        return start_async(state, request, who.caller, mode, [&]() -> std::function<http::Response()> {
            auto job = state.core.prepare_sign_hash(version, who.caller, std::move(sign));
            return [job = std::move(job)] { return ok(detail::encode_signatures(job())); };
        });
    }
    return ok(detail::encode_signatures(state.core.sign_hash(version, who.caller, std::move(sign))));
}

/// v2 signatures/signDoc (CSC v2 §11.11): the service builds PAdES / CAdES itself. Authorised like
/// signHash: a SAD, or a credential-scope Bearer token.
http::Response run_sign_doc(const State& state, Version version, const http::Request& request) {
    const Signing who = signing_caller(state, version, request);
    const auto& credential_token = who.credential_token;
    JsonBody body = JsonBody::parse(request.body);
    detail::SignDocRequest sign = detail::decode_sign_doc(body, who.sad_token());
    if (credential_token && sign.credential_id.empty()) {
        // Only signatureQualifier: a credential token already names its credential, which must then
        // carry that qualifier (Core::sign_doc checks, as when both are given).
        sign.credential_id = credential_token->credential_id;
    }
    if (credential_token && sign.credential_id != credential_token->credential_id) {
        detail::invalid_request("Invalid parameter credentialID");
    }
    if (sign.mode.async) {
        const detail::OperationMode mode = sign.mode;
        return start_async(state, request, who.caller, mode, [&]() -> std::function<http::Response()> {
            auto job = state.core.prepare_sign_doc(who.caller, std::move(sign));
            return [job = std::move(job)] { return ok(detail::encode_sign_doc(job())); };
        });
    }
    return ok(detail::encode_sign_doc(state.core.sign_doc(who.caller, std::move(sign))));
}

/// v2 signatures/signPolling (CSC v2 §11.12; csc-api.md §4.17): `requestID` (also read as `responseID`,
/// the name the async answer gives it) → while running 202 accepted_request; once finished, the answer
/// the synchronous signHash/signDoc would have given (its signatures, documents or error). An unknown,
/// expired or another caller's id is one and the same invalid_request.
http::Response run_sign_polling(const State& state, Version version, const http::Request& request) {
    const Signing who = signing_caller(state, version, request);
    const JsonBody body = JsonBody::parse(request.body);
    body.check_common();
    std::optional<std::string> id = body.string("requestID");
    if (!id) {
        id = body.string("responseID");
    }
    if (!id) {
        JsonBody::wrong_type("string", "requestID");
    }
    // userID names the user only for a token that names none (a system client's, csc-api.md §4.17);
    // inkan binds an operation to the caller that started it, so it has nothing to add.
    if (body.has("userID") && !who.caller.is_system()) {
        detail::invalid_request("Invalid parameter userID");
    }
    service::AsyncOperations* async = state.core.async();
    if (async == nullptr) {
        detail::invalid_request("Invalid parameter requestID");
    }
    std::optional<service::AsyncAnswer> answer;
    try {
        answer = async->poll(who.caller, *id);
    } catch (const Error& e) {
        if (e.code() != Errc::NotFound) {
            throw;
        }
        detail::invalid_request("Invalid parameter requestID");
    }
    if (!answer) {
        http::Response r =
            csc_error(202, "accepted_request", "The operation is still running; poll again later");
        r.headers.set("Cache-Control", "no-store");
        return r;
    }
    http::Response r = http::Response::json(answer->http_status, std::move(answer->body));
    r.headers.set("Cache-Control", "no-store");
    return r;
}

/// POST /inkan/v1/extend (decision 0014): a vendor method, authenticated like the CSC methods with a
/// service token (auth/login, OAuth); no SAD, because no key signs.
http::Response run_extend_documents(const State& state, Version, const http::Request& request) {
    const service::Caller caller = state.core.authenticate(request);
    JsonBody body = JsonBody::parse(request.body);
    return ok(detail::encode_extend_documents(
        state.core.extend_documents(caller, detail::decode_extend_documents(body))));
}

/// One base64 member of a validate body; Errc-free: a CSC invalid_request naming it.
Bytes base64_member(const nlohmann::json& entry, const char* name) {
    const auto it = entry.find(name);
    if (it == entry.end() || !it->is_string()) {
        detail::invalid_request(std::string{"Missing or invalid string parameter "} + name);
    }
    try {
        return base64_decode(it->get_ref<const std::string&>());
    } catch (const Error&) {
        detail::invalid_request(std::string{"Invalid Base64 "} + name + " string parameter");
    }
}

service::ValidateItem validate_item(const nlohmann::json& entry) {
    if (!entry.is_object()) {
        detail::invalid_request("Invalid array parameter documents");
    }
    service::ValidateItem item;
    item.document = base64_member(entry, "document");
    if (entry.contains("content")) {
        item.content = base64_member(entry, "content");
    }
    // A detached XAdES: [{"uri": ds:Reference URI, "content": base64}, ...].
    if (const auto it = entry.find("contents"); it != entry.end()) {
        if (!it->is_array()) detail::invalid_request("Invalid array parameter contents");
        for (const auto& c : *it) {
            if (!c.is_object() || !c.contains("uri") || !c["uri"].is_string()) {
                detail::invalid_request("Missing or invalid string parameter contents[].uri");
            }
            item.contents.emplace_back(c["uri"].get<std::string>(), base64_member(c, "content"));
        }
    }
    return item;
}

/// Whether the Accept header asks for text/csv before (or without) application/json.
bool wants_csv(const http::Request& request) {
    std::string accept{request.header("Accept").value_or("")};
    std::transform(accept.begin(), accept.end(), accept.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::size_t start = 0;
    while (start <= accept.size()) {
        const std::size_t comma = std::min(accept.find(',', start), accept.size());
        std::string range = accept.substr(start, comma - start);
        range = range.substr(0, range.find(';'));
        range.erase(0, range.find_first_not_of(" \t"));
        range.erase(range.find_last_not_of(" \t") + 1);
        if (range == "text/csv") return true;
        if (range == "application/json") return false;
        start = comma + 1;
    }
    return false;
}

/// POST /inkan/v1/validate (issue 15, decision 0019): the validator as a vendor method, authenticated
/// like the CSC methods with a service token. The body is JSON (`document` or `documents`, with `content`
/// or XAdES `contents`) or the raw document (application/pdf, application/pkcs7-signature,
/// application/xml); the answer is the report of `inkan verify
/// --json`. A document that is no signature is a report with `error`, not a failed request.
http::Response run_validate_documents(const State& state, Version, const http::Request& request) {
    (void)state.core.authenticate(request);
    if (state.validation == nullptr) {
        detail::invalid_request("validate is not available");
    }
    std::string type{request.header("Content-Type").value_or("")};
    type = type.substr(0, type.find(';'));
    std::transform(type.begin(), type.end(), type.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    while (!type.empty() && type.back() == ' ')
        type.pop_back();
    std::vector<service::ValidateItem> items;
    if (type == "application/pdf" || type == "application/pkcs7-signature" ||
        type == "application/pkcs7-mime" || type == "application/cms" || type == "application/octet-stream" ||
        type == "application/xml" || type == "text/xml") {
        items.push_back({Bytes{request.body.begin(), request.body.end()}, std::nullopt, {}});
    } else {
        nlohmann::json body;
        try {
            body = nlohmann::json::parse(request.body);
        } catch (const std::exception&) {
            detail::invalid_request("The request body is not JSON");
        }
        if (!body.is_object()) {
            detail::invalid_request("The request body is not a JSON object");
        }
        if (const auto docs = body.find("documents"); docs != body.end()) {
            if (!docs->is_array()) {
                detail::invalid_request("Invalid array parameter documents");
            }
            for (const auto& entry : *docs) {
                items.push_back(validate_item(entry));
            }
        } else {
            items.push_back(validate_item(body));
        }
    }
    // One validation time for the whole request: the CSV's validation_time column names it.
    const TimePoint at = std::chrono::system_clock::now();
    auto reports = state.validation->validate(items, at);
    if (!wants_csv(request)) return ok(validation::to_json(reports));
    // Issue 17: the batch CSV of `inkan verify --csv` (same writer, decision 0029), CRLF as text/csv
    // has it (RFC 4180 §3), no BOM.
    std::vector<validation::BatchDocument> docs;
    docs.reserve(reports.size());
    for (std::size_t i = 0; i < reports.size(); ++i) {
        docs.push_back({std::move(reports[i]), validation::sha256_hex(items[i].document), at});
    }
    return http::Response::binary(200, "text/csv; charset=utf-8; header=present",
                                  validation::to_csv(docs, validation::kCsvHttp));
}

/// signatures/timestamp (CSC v1 §11.10, v2 §11.12): hash (base64 MessageImprint.hashedMessage),
/// hashAlgo (OID), nonce (optional, hex) → {"timestamp": base64 DER TimeStampToken}. The token is
/// also sent as "timeStampToken", the name some clients read.
http::Response run_timestamp(const State& state, Version, const http::Request& request) {
    (void)state.core.authenticate(request);
    const JsonBody body = JsonBody::parse(request.body);
    const std::string hash_text = body.required_string("hash");
    const std::string hash_algo = body.required_string("hashAlgo");
    const auto alg = crypto::digest_from_oid(hash_algo);
    if (!alg) {
        detail::invalid_request("Invalid parameter hashAlgo");
    }
    Bytes hash;
    try {
        hash = base64_decode(hash_text);
    } catch (const Error&) {
        detail::invalid_request("Invalid parameter hash");
    }
    if (hash.size() != crypto::digest_length(*alg)) {
        detail::invalid_request("Invalid parameter hash");
    }
    tsp::TimeStampReq req;
    req.imprint = tsp::make_imprint(*alg, hash);
    req.cert_req = true;
    if (const auto nonce = body.string("nonce")) {
        Bytes n;
        try {
            n = hex_decode(nonce->size() % 2 == 0 ? *nonce : "0" + *nonce);
        } catch (const Error&) {
            detail::invalid_request("Invalid parameter nonce");
        }
        const auto first = std::find_if(n.begin(), n.end(), [](std::uint8_t b) { return b != 0; });
        if (first == n.end() || n.size() > 32) {
            detail::invalid_request("Invalid parameter nonce");
        }
        req.nonce = Bytes{first, n.end()};
    } else if (body.has("nonce")) {
        detail::invalid_request("Invalid parameter nonce");
    }
    if (state.timestamps == nullptr) {
        detail::invalid_request("Time-stamping is not available");
    }
    Bytes token;
    try {
        token = state.timestamps->stamp(req);
    } catch (const Error& e) {
        if (e.code() == Errc::UnsupportedAlgorithm) {
            detail::invalid_request("Invalid parameter hashAlgo");
        }
        if (e.code() == Errc::InvalidRequest || e.code() == Errc::InvalidEncoding) {
            detail::invalid_request("Invalid parameter hash");
        }
        throw;
    }
    const std::string b64 = base64_encode(token);
    return ok(nlohmann::json{{"timestamp", b64}, {"timeStampToken", b64}}.dump());
}

enum Versions : unsigned { kV1 = 1U, kV2 = 2U, kBoth = 3U };

struct Method {
    std::string_view name;  ///< as info.methods lists it and as the path ends
    Run run;
    bool also_get;      ///< info answers GET too (leniently, CSC §11.1 clients probe it that way)
    unsigned versions;  ///< Versions: getChallenge and signDoc are v2's
};

/// THE method table: registration and info.methods both come from it.
// Not listed, and so answered 501 like any other method inkan lacks: v1 credentials/sendOTP (the only
// OTP is an offline TOTP app, nothing to send; decision 0027).
constexpr std::array<Method, 13> kMethods{{
    {"info", &run_info, true, kBoth},
    {"auth/login", &run_login, false, kBoth},
    {"auth/revoke", &run_revoke, false, kBoth},
    {"credentials/list", &run_list, false, kBoth},
    {"credentials/info", &run_credential_info, false, kBoth},
    {"credentials/authorize", &run_authorize, false, kBoth},
    {"credentials/extendTransaction", &run_extend, false, kBoth},
    {"credentials/getChallenge", &run_get_challenge, false, kV2},
    {"credentials/authorizeCheck", &run_authorize_check, false, kV2},
    {"signatures/signHash", &run_sign_hash, false, kBoth},
    {"signatures/timestamp", &run_timestamp, false, kBoth},
    {"signatures/signDoc", &run_sign_doc, false, kV2},
    {"signatures/signPolling", &run_sign_polling, false, kV2},
}};

bool serves(const Method& m, Version v) {
    return (m.versions & (v == Version::V1 ? kV1 : kV2)) != 0U;
}

constexpr std::array<Version, 2> kVersions{Version::V1, Version::V2};

/// Every other path under /csc/v1/ and /csc/v2/ (exact routes win over this prefix): a CSC method inkan
/// does not offer (v1 sendOTP, v2 authorizeCheck without out-of-band approval, a vendor's). The CSC status
/// table's answer for it is 501 with the usual error body, not a bare 404 that clients read as a wrong base
/// URL.
http::Response not_implemented(const http::Request&) {
    return csc_error(501, "not_implemented_method",
                     "This method is not implemented by this service; info lists the methods it offers");
}

std::string path_of(Version version, std::string_view method) {
    std::string path = "/csc/";
    path += name(version);
    path += '/';
    path += method;
    return path;
}

/// Every failure answered here, as a CSC error body: the handler does not rely on the server's
/// ErrorMapper (which may serve other listeners with other bodies).
http::Handler wrap(std::shared_ptr<const State> state, Version version, Run run, Form form = Form::Csc) {
    return [state = std::move(state), version, run, form](const http::Request& request) -> http::Response {
        return guarded(
            request.route, [&] { return run(*state, version, request); }, form);
    };
}

}  // namespace

std::string_view name(Version v) {
    switch (v) {
        case Version::V1:
            return "v1";
        case Version::V2:
            return "v2";
    }
    return "v1";
}

std::vector<std::string> csc_methods(Version version, bool with_async, bool with_oob) {
    std::vector<std::string> out;
    out.reserve(kMethods.size());
    for (const auto& m : kMethods) {
        if (serves(m, version) && (with_async || m.run != &run_sign_polling) &&
            (with_oob || m.run != &run_authorize_check)) {
            out.emplace_back(m.name);
        }
    }
    return out;
}

namespace {
std::vector<std::string> all_methods(Version version, bool oauth, bool async, bool oob) {
    std::vector<std::string> out = csc_methods(version, async, oob);
    if (oauth) {
        for (auto& m : detail::oauth_methods(version)) {
            out.push_back(std::move(m));
        }
    }
    return out;
}
}  // namespace

std::vector<http::RouteInfo> csc_routes(bool with_oauth) {
    std::vector<http::RouteInfo> out;
    for (const Version v : kVersions) {
        for (const auto& m : kMethods) {
            if (!serves(m, v)) {
                continue;
            }
            out.push_back(
                http::RouteInfo{"POST", path_of(v, m.name), http::Match::Exact, http::Execution::Worker});
            if (m.also_get) {
                out.push_back(
                    http::RouteInfo{"GET", path_of(v, m.name), http::Match::Exact, http::Execution::Worker});
            }
        }
    }
    for (const Version v : kVersions) {
        for (const char* method : {"GET", "POST"}) {
            out.push_back(
                http::RouteInfo{method, path_of(v, ""), http::Match::Prefix, http::Execution::Inline});
        }
    }
    out.push_back(
        http::RouteInfo{"POST", std::string{kExtendPath}, http::Match::Exact, http::Execution::Worker});
    out.push_back(
        http::RouteInfo{"POST", std::string{kValidatePath}, http::Match::Exact, http::Execution::Worker});
    for (const char* method : {"GET", "POST"}) {
        out.push_back(
            http::RouteInfo{method, std::string{kApprovalPath}, http::Match::Exact, http::Execution::Worker});
    }
    if (with_oauth) {
        for (auto& r : detail::oauth_routes()) {
            out.push_back(std::move(r));
        }
    }
    return out;
}

void add_csc_routes(http::Router& router, CscDeps deps) {
    require(deps.oauth == nullptr || !deps.info.public_url.empty(), Errc::InvalidConfig,
            "api.public_url is required with OAuth: the issuer and endpoint URLs are never taken from "
            "the Host header");
    auto state = std::make_shared<State>(std::move(deps));
    for (const Version v : kVersions) {
        state->info_json[v == Version::V1 ? 0 : 1] =
            detail::encode_info(v, state->core,
                                all_methods(v, state->oauth != nullptr, state->core.async() != nullptr,
                                            state->core.oob() != nullptr),
                                state->oauth != nullptr);
    }
    const std::shared_ptr<const State> shared = state;
    for (const Version v : kVersions) {
        for (const auto& m : kMethods) {
            // Without asynchronous operations signPolling is not offered: the prefix route's 501.
            // Nor authorizeCheck without out-of-band approval (decision 0034).
            if (!serves(m, v) || (m.run == &run_sign_polling && state->core.async() == nullptr) ||
                (m.run == &run_authorize_check && state->core.oob() == nullptr)) {
                continue;
            }
            http::Route route{"POST", path_of(v, m.name), wrap(shared, v, m.run), http::Match::Exact,
                              http::Execution::Worker};
            if (m.run == &run_sign_doc && state->documents != nullptr) {
                // signDoc carries whole documents as base64 (4/3 of their size) in JSON: its body may be
                // as large as one document of the configured maximum, the other routes keep the
                // server's limit.
                route.max_body_bytes =
                    state->documents->settings().max_document_bytes / 3 * 4 + kJsonAllowance;
            } else if (m.run == &run_sign_hash || m.run == &run_authorize || m.run == &run_extend) {
                route.max_body_bytes = kHashListBodyLimit;
            } else if (m.run == &run_authorize_check || m.run == &run_sign_polling) {
                // A handle or a responseID (decisions 0033, 0034): a small body of their own.
                route.max_body_bytes = kHandleBodyLimit;
            }
            router.add(std::move(route));
            if (m.also_get) {
                router.get(path_of(v, m.name), wrap(shared, v, m.run), http::Execution::Worker);
            }
        }
    }
    for (const Version v : kVersions) {
        for (const char* method : {"GET", "POST"}) {
            router.add(http::Route{method, path_of(v, ""), &not_implemented, http::Match::Prefix,
                                   http::Execution::Inline});
        }
    }
    // The vendor extend route: CSC error bodies, the same body limit as signDoc (documents in base64).
    http::Route extend{"POST", std::string{kExtendPath},
                       wrap(shared, Version::V2, &run_extend_documents, Form::Problem), http::Match::Exact,
                       http::Execution::Worker};
    if (state->extension != nullptr) {
        extend.max_body_bytes = state->extension->settings().max_document_bytes / 3 * 4 + kJsonAllowance;
    }
    router.add(std::move(extend));
    // The vendor validate route: off the I/O threads (Worker), its body limit the document limit (as
    // base64 in JSON, or raw).
    http::Route validate{"POST", std::string{kValidatePath},
                         wrap(shared, Version::V2, &run_validate_documents, Form::Problem),
                         http::Match::Exact, http::Execution::Worker};
    if (state->validation != nullptr) {
        validate.max_body_bytes = state->validation->settings().max_document_bytes / 3 * 4 + kJsonAllowance;
    }
    router.add(std::move(validate));
    if (state->core.oob() != nullptr) {
        detail::add_approval_routes(router, *state->core.oob(), state->core.info());
    }
    if (state->oauth != nullptr) {
        detail::add_oauth_routes(router, *state->oauth, state->core.info());
    }
}

}  // namespace inkan::api
