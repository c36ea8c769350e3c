#include "core.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <utility>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/core/log.h>
#include <inkan/crypto/der.h>
#include <inkan/pki/certificate.h>
#include <inkan/sign/signer.h>

#include "json_body.h"
#include "wire.h"

namespace inkan::api::detail {

namespace {

constexpr std::string_view kInvalidSad = "Invalid parameter SAD";
constexpr std::string_view kCredentialDisabled = "The credential identified by credentialID is disabled";
/// CSC v1 §11.5: credentials/authorize "MUST NOT be used" for an oauth2code credential.
constexpr std::string_view kOAuth2Required = "Credential requires OAuth2 authorization (authMode oauth2code)";
constexpr std::string_view kOtpObjectId = "OTP";  // codec.cpp's v2 auth object ids

constexpr std::string_view kMalformedAuthentication = "Malformed authentication parameter.";
constexpr std::string_view kAuthenticationError = "An error occurred during authentication process";
constexpr std::string_view kInvalidCredentialId = "Invalid parameter credentialID";
constexpr std::string_view kPageTokenPrefix = "p1:";
// Longer credentialIDs are refused without asking the store (the service's ids are much shorter).
constexpr std::size_t kMaxCredentialIdLength = 256;

/// Codes a service reports for something the caller sent (as opposed to a failure of ours).
bool caller_fault(Errc code) {
    return static_cast<std::uint16_t>(code) < static_cast<std::uint16_t>(Errc::Internal);
}

std::string_view trim_left(std::string_view s) {
    const auto first = s.find_first_not_of(" \t");
    return first == std::string_view::npos ? std::string_view{} : s.substr(first);
}

/// RFC 6750 §2.1 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool is_b64token(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const char c = s[i];
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                        c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
        if (!ok) {
            break;
        }
        ++i;
    }
    if (i == 0) {
        return false;
    }
    while (i < s.size() && s[i] == '=') {
        ++i;
    }
    return i == s.size();
}

std::optional<pki::Certificate> leaf_certificate(const service::Credential& c) {
    if (c.chain.empty()) {
        return std::nullopt;
    }
    try {
        return pki::Certificate::from_der(c.chain.front());
    } catch (const Error& e) {
        // Our own stored data: not the caller's fault.
        throw Error{Errc::Internal,
                    "credential " + c.id + ": stored certificate does not parse: " + e.detail()};
    }
}

bool time_valid(const pki::Certificate& cert, TimePoint now) {
    return cert.not_before() <= now && now <= cert.not_after();
}

std::string encode_page_token(std::string_view credential_id) {
    std::string plain{kPageTokenPrefix};
    plain += credential_id;
    return base64url_encode(as_bytes(plain));
}

/// The credentialID a page token names, or nothing if it is not one of ours.
std::optional<std::string> decode_page_token(std::string_view token) {
    try {
        const Bytes plain = base64_decode(token);
        const std::string text = to_string(plain);
        if (!text.starts_with(kPageTokenPrefix)) {
            return std::nullopt;
        }
        return text.substr(kPageTokenPrefix.size());
    } catch (const Error&) {
        return std::nullopt;
    }
}

/// What signHash and signDoc both need of the credential they sign with.
/// "hashAlgo" (v1) / "hashAlgorithmOID" (v2).
std::string hash_algo_name(Version version) {
    return version == Version::V1 ? "hashAlgo" : "hashAlgorithmOID";
}

/// The wire answer to a SignFailure (signHash, signDoc and extendTransaction).
[[noreturn]] void refuse_sign(const Error& e, service::SignFailure failure) {
    switch (failure) {
        case service::SignFailure::InvalidSad:
            invalid_request(std::string{kInvalidSad});
        case service::SignFailure::SadExpired:
            invalid_request("SAD expired");
        case service::SignFailure::HashNotAuthorised:
            invalid_request("Hash is not authorized by the SAD");
        case service::SignFailure::TooManyHashes:
            invalid_request("More hashes than the SAD authorizes signatures");
        case service::SignFailure::InvalidDigestLength:
            invalid_request("Invalid digest value length");
        case service::SignFailure::CertificateExpired:
            invalid_request(e.detail());  // "Signing certificate '<subject>' is expired"
        case service::SignFailure::CredentialDisabled:
            invalid_request(std::string{kCredentialDisabled});
    }
    invalid_request(std::string{kInvalidSad});
}

/// A credentialID's bounds, checked before the service is asked (a 1 MB id never reaches a store).
void check_credential_id(const std::string& id) {
    if (id.empty() || id.size() > kMaxCredentialIdLength) {
        invalid_request(std::string{kInvalidCredentialId});
    }
}

/// The wire answer to a signatureQualifier that chose no credential (csc-api.md §7).
[[noreturn]] void refuse_qualifier(service::QualifierRefusal refusal) {
    switch (refusal) {
        case service::QualifierRefusal::Unknown:
            invalid_request("Invalid parameter signatureQualifier");
        case service::QualifierRefusal::Mismatch:
            invalid_request("Invalid parameter signatureQualifier: the credential has another one");
        case service::QualifierRefusal::NoneHeld:
            invalid_request("Invalid parameter signatureQualifier: no credential of yours has it");
        case service::QualifierRefusal::Ambiguous:
            invalid_request("Ambiguous signatureQualifier: name the credentialID");
    }
    invalid_request("Invalid parameter signatureQualifier");
}

/// The wire answer to a scheme the service did not accept (signHash, signDoc): the parameter named as
/// the version names it.
[[noreturn]] void refuse_algorithm(Version version, service::AlgorithmRefusal refusal) {
    switch (refusal) {
        case service::AlgorithmRefusal::SignAlgo:
            invalid_request("Invalid parameter signAlgo");
        case service::AlgorithmRefusal::HashAlgo:
            invalid_request("Invalid parameter " + hash_algo_name(version));
        case service::AlgorithmRefusal::SignAlgoParams:
            invalid_request("Invalid parameter signAlgoParams");
        case service::AlgorithmRefusal::HashAlgoMissing:
            JsonBody::wrong_type("string", hash_algo_name(version));
        case service::AlgorithmRefusal::SignAlgoParamsMissing:
            JsonBody::wrong_type("string", "signAlgoParams");
    }
    invalid_request("Invalid parameter signAlgo");
}

/// The wire answer to a signDoc or extend refusal (service::DocFailure): the spec's texts where it has
/// them (csc-api.md §7), otherwise ours (docs/errors.md).
[[noreturn]] void refuse_document(const Error& e, service::DocFailure doc) {
    // The refusal's text: the pdf layer's reason, or a TSA/OCSP/CRL URL with what went wrong — about the
    // client's own bytes or public endpoints, never a secret.
    const std::string& reason = e.detail();
    switch (doc) {
        case service::DocFailure::BothInputs:
            invalid_request("Both documentDigests and documents parameters passed");
        case service::DocFailure::NoInputs:
            invalid_request("Empty documentDigests and documents objects");
        case service::DocFailure::InvalidFormat:
            invalid_request("Invalid parameter signature_format");
        case service::DocFailure::InvalidLevel:
            invalid_request("Invalid parameter conformance_level");
        case service::DocFailure::InvalidEnvelope:
            invalid_request("Invalid parameter signed_envelope_property");
        case service::DocFailure::InvalidSignedProps:
            invalid_request("Invalid parameter signed_props");
        case service::DocFailure::InvalidAppearance:
            // "pdf: the appearance text has the control character U+0007", ...
            invalid_request("Invalid parameter appearance: " + reason);
        case service::DocFailure::HashContradicts:
            invalid_request("hashAlgorithmOID contradicts with signAlgo");
        case service::DocFailure::InvalidDigestLength:
            invalid_request("Invalid digest value length");
        case service::DocFailure::InvalidDocument:
            // "not a PDF (no %PDF- header)", "encrypted PDFs are not supported", ...
            invalid_request("Invalid parameter documents: " + reason);
        case service::DocFailure::DocumentTooLarge:
            throw WireError{413, "invalid_request", "Document too large"};
        case service::DocFailure::ValidationUnavailable:
            // A responder, CRL server or TSA that is down: the service's dependency, not the client's
            // fault, and worth a retry (RFC 6749 §5.2 has no better name; CSC uses it for 503).
            throw WireError{503, "temporarily_unavailable",
                            "Validation data or time-stamp could not be obtained: " + reason};
        case service::DocFailure::SignerRevoked:
            invalid_request(reason);  // "Signing certificate '<subject>' is revoked"
    }
    throw;
}

/// The wire answer to a caller's fault that signHash and signDoc share: a SignFailure, a scheme refused,
/// an unknown credential. Called only from a catch block: anything else is rethrown.
[[noreturn]] void refuse_signing(Version version, const Error& e) {
    if (const auto failure = service::sign_failure(e)) {
        refuse_sign(e, *failure);
    }
    if (const auto algorithm = reason_of<service::AlgorithmRefusal>(e)) {
        refuse_algorithm(version, *algorithm);
    }
    if (const auto qualifier = reason_of<service::QualifierRefusal>(e)) {
        refuse_qualifier(*qualifier);
    }
    if (e.code() == Errc::NotFound) {
        invalid_request(std::string{kInvalidCredentialId});
    }
    throw;
}

}  // namespace

std::optional<CertificatesMode> certificates_mode_from_name(std::string_view name) {
    if (name == "none") {
        return CertificatesMode::None;
    }
    if (name == "single") {
        return CertificatesMode::Single;
    }
    if (name == "chain") {
        return CertificatesMode::Chain;
    }
    return std::nullopt;
}

std::string generalized_time(TimePoint t) {
    // RFC 5280's "no well-defined expiration date" reads back as TimePoint::max() (der::Reader clamps).
    if (t == TimePoint::max()) {
        return "99991231235959Z";
    }
    using namespace std::chrono;
    const auto secs = floor<seconds>(t);
    const auto day = floor<days>(secs);
    const year_month_day ymd{day};
    const hh_mm_ss hms{secs - day};
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d%02u%02u%02d%02d%02dZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    return buf;
}

Secret bearer_token(const http::Request& request) {
    const auto header = request.header("Authorization");
    if (!header) {
        invalid_token("Missing access token");
    }
    const std::string_view value = *header;
    const auto space = value.find(' ');
    if (space == std::string_view::npos || !http::iequals(value.substr(0, space), "Bearer")) {
        invalid_token("Malformed authorization header");
    }
    const std::string_view token = trim_left(value.substr(space + 1));
    if (!is_b64token(token)) {
        invalid_token("Malformed authorization header");
    }
    return Secret{token};
}

void basic_credentials(std::string_view authorization, LoginRequest& out) {
    const auto space = authorization.find(' ');
    if (space == std::string_view::npos || !http::iequals(authorization.substr(0, space), "Basic")) {
        throw WireError{401, "invalid_request", std::string{kMalformedAuthentication}};
    }
    const std::string_view encoded = trim_left(authorization.substr(space + 1));
    Bytes decoded;
    try {
        decoded = base64_decode(encoded);
    } catch (const Error&) {
        throw WireError{401, "invalid_request", std::string{kMalformedAuthentication}};
    }
    if (decoded.empty()) {
        throw WireError{401, "invalid_request", std::string{kMalformedAuthentication}};
    }
    const Secret user_pass{ByteView{decoded}};
    secure_wipe(decoded.data(), decoded.size());
    const std::string_view text = user_pass.reveal();
    const auto colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0) {
        invalid_request("Malformed username-password.");
    }
    out.user = std::string{text.substr(0, colon)};
    out.password = Secret{text.substr(colon + 1)};
}

// ---- Core ----------------------------------------------------------------------------------

Core::Core(CscDeps deps) : m_deps{std::move(deps)} {}

const service::AdvertisedAlgorithms& Core::sign_algorithms() const noexcept {
    return m_deps.authorization.algorithms().advertised();
}

const std::vector<std::string>& Core::key_algorithms(crypto::KeyType type) const {
    return m_deps.authorization.algorithms().for_key(type);
}

service::Caller Core::authenticate(const http::Request& request) const {
    const Secret token = bearer_token(request);
    try {
        return m_deps.sessions.authenticate(token);
    } catch (const Error& e) {
        if (service::token_expired(e)) {
            // CSC Table 3: "expired_token: access or refresh token expired or revoked".
            log::info("csc: access token refused", {{"reason", e.detail()}});
            throw WireError{401, "expired_token", "The access token has expired or was revoked"};
        }
        if (e.code() == Errc::Unauthenticated) {
            log::info("csc: access token refused", {{"reason", e.detail()}});
            invalid_token("Invalid or expired access token");
        }
        if (e.code() == Errc::Locked) {
            log::info("csc: access token of a locked account", {{"reason", e.detail()}});
            invalid_token("The account is locked");
        }
        throw;
    }
}

service::IssuedTokens Core::login(const LoginRequest& request) const {
    if (request.with_refresh_token) {
        try {
            return m_deps.sessions.refresh(request.refresh_token);
        } catch (const Error& e) {
            if (!caller_fault(e.code())) {
                throw;
            }
            log::info("csc: refresh token refused", {{"code", errc_name(e.code())}, {"reason", e.detail()}});
            invalid_request("Invalid refresh_token");
        }
    }
    try {
        return m_deps.sessions.login(request.user, request.password, request.remember_me);
    } catch (const Error& e) {
        if (!caller_fault(e.code())) {
            throw;
        }
        // One answer for an unknown user, a wrong password and a locked account: nothing to probe.
        log::info("csc: login refused", {{"code", errc_name(e.code())}, {"reason", e.detail()}});
        throw WireError{400, "authentication_error", std::string{kAuthenticationError}};
    }
}

void Core::revoke(const service::Caller& caller, const RevokeRequest& request) const {
    try {
        m_deps.sessions.revoke(caller, request.token, request.hint);
    } catch (const Error& e) {
        if (!caller_fault(e.code())) {
            throw;
        }
        log::info("csc: token revocation refused", {{"code", errc_name(e.code())}, {"reason", e.detail()}});
        invalid_request("Invalid string parameter token");
    }
}

bool Core::usable(const service::Credential& credential) const {
    if (credential.status != service::CredentialStatus::Active) {
        return false;
    }
    const auto leaf = leaf_certificate(credential);
    return leaf && time_valid(*leaf, m_deps.clock.now());
}

AuthView Core::auth_view(const service::Caller& caller) const {
    // credentials/authorize demands PIN and OTP of every explicit credential (service::Authorization),
    // so both are listed whether or not the user has a device yet; without one the OTP object says so
    // and authorize's refusal explains it (decision 0027).
    AuthView out;
    if (caller.is_system()) {
        out.factors = false;
        return out;
    }
    out.otp = true;
    if (const auto user = m_deps.accounts.find_by_id(caller.user_id); user && user->totp_enrolled) {
        out.otp_enrolled = true;
        out.otp_device_id = m_deps.info.totp_issuer + ":" + user->name;
    }
    return out;
}

ListResult Core::list(const service::Caller& caller, const ListRequest& request) const {
    std::vector<service::Credential> all = m_deps.credentials.list_for(caller);
    if (request.user_id) {
        // User-specific service authorisation (auth/login, oauth2code) names the user already
        // (v1 §11.4); a system client (oauth2client) may ask for one user's share of its credentials.
        if (!caller.is_system()) {
            invalid_request("userID parameter MUST be null");
        }
        std::optional<service::User> user = m_deps.accounts.find_by_id(*request.user_id);
        if (!user && request.user_id->size() <= kMaxCredentialIdLength) {
            try {
                user = m_deps.accounts.get_by_name(*request.user_id);
            } catch (const Error& e) {
                if (!caller_fault(e.code())) {
                    throw;
                }
            }
        }
        if (!user) {
            invalid_request("Invalid parameter userID");
        }
        // The client's credentials that this user may use too (a seal the user is a member of).
        std::erase_if(all, [&](const service::Credential& c) {
            try {
                (void)m_deps.credentials.get_for(user->id, c.id);
                return false;
            } catch (const Error& e) {
                if (e.code() != Errc::NotFound) {
                    throw;
                }
                return true;
            }
        });
    }
    if (request.only_valid) {
        std::erase_if(all, [&](const service::Credential& c) { return !usable(c); });
    }
    std::size_t begin = 0;
    std::size_t end = all.size();
    ListResult out;
    if (request.page_token) {
        const auto id = decode_page_token(*request.page_token);
        const auto it = id ? std::find_if(all.begin(), all.end(),
                                          [&](const service::Credential& c) { return c.id == *id; })
                           : all.end();
        if (it == all.end()) {
            invalid_request("Invalid parameter pageToken");
        }
        begin = static_cast<std::size_t>(it - all.begin());
    }
    if (request.paged) {
        std::size_t page = m_deps.info.max_list_results;
        if (request.max_results) {
            page = std::min(page, *request.max_results);
        }
        end = std::min(all.size(), begin + page);
        if (end < all.size()) {
            out.next_page_token = encode_page_token(all[end].id);
        }
    }
    std::optional<AuthView> auth;
    if (request.credential_info && request.query.auth_info) {
        auth = auth_view(caller);
    }
    if (request.credential_info) {
        out.infos.emplace();
    }
    for (std::size_t i = begin; i < end; ++i) {
        out.credential_ids.push_back(all[i].id);
        if (out.infos) {
            out.infos->push_back(view(all[i], request.query, auth));
        }
    }
    out.only_valid = request.only_valid;
    return out;
}

CredentialView Core::credential_info(const service::Caller& caller,
                                     const CredentialInfoRequest& request) const {
    if (request.credential_id.empty() || request.credential_id.size() > kMaxCredentialIdLength) {
        invalid_request(std::string{kInvalidCredentialId});
    }
    service::Credential credential;
    try {
        credential = m_deps.credentials.get_for(caller, request.credential_id);
    } catch (const Error& e) {
        if (!caller_fault(e.code())) {
            throw;
        }
        // Unknown and not visible to this caller are the same answer, so ids cannot be probed.
        invalid_request(std::string{kInvalidCredentialId});
    }
    std::optional<AuthView> auth;
    if (request.query.auth_info) {
        auth = auth_view(caller);
    }
    return view(credential, request.query, auth);
}

service::Credential Core::credential_for(const service::Caller& caller, const std::string& id) const {
    check_credential_id(id);
    try {
        return m_deps.credentials.get_for(caller, id);
    } catch (const Error& e) {
        if (!caller_fault(e.code())) {
            throw;
        }
        invalid_request(std::string{kInvalidCredentialId});
    }
}

service::IssuedSad Core::authorize(Version version, const service::Caller& caller,
                                   service::AuthorizeRequest request) const {
    // The service looks the credential up first and answers an unknown id and one the caller may not use
    // alike (NotFound); only the id's bounds are checked here, without a store read.
    check_credential_id(request.credential_id);
    const bool hashes_given = !request.hashes.empty();
    const std::size_t hash_count = request.hashes.size();
    const int num_signatures = request.num_signatures;
    try {
        return m_deps.authorization.authorize(caller, std::move(request));
    } catch (const Error& e) {
        refuse_authorize(version, e, hashes_given, hash_count, num_signatures);
    }
}

service::OobStarted Core::authorize_out_of_band(const service::Caller& caller,
                                                service::AuthorizeRequest request) const {
    check_credential_id(request.credential_id);
    const bool hashes_given = !request.hashes.empty();
    const std::size_t hash_count = request.hashes.size();
    const int num_signatures = request.num_signatures;
    std::vector<std::string> labels = std::move(request.labels);
    try {
        return m_deps.oob->start(caller, std::move(request), std::move(labels));
    } catch (const Error& e) {
        refuse_authorize(Version::V2, e, hashes_given, hash_count, num_signatures);
    }
}

service::OobCheck Core::authorize_check(const service::Caller& caller, const Secret& handle) const {
    service::OobCheck out;
    try {
        out = m_deps.oob->check(caller, handle);
    } catch (const Error& e) {
        if (e.code() == Errc::NotFound) {
            log::info("csc: authorizeCheck refused", {{"reason", e.detail()}});
            invalid_request("Invalid parameter handle");
        }
        // The SAD's issuance refused (the credential disabled or locked since the approval, ...): the
        // same answer credentials/authorize would give now.
        refuse_authorize(Version::V2, e, true, 0, 0);
    }
    return out;
}

void Core::refuse_authorize(Version version, const Error& e, bool hashes_given, std::size_t hash_count,
                            int num_signatures) {
    {
        if (!caller_fault(e.code())) {
            throw;
        }
        const auto failure = service::authorization_failure(e);
        // The reason, never a factor: the service's details carry no secret.
        log::info("csc: authorization refused",
                  {{"code", errc_name(e.code())},
                   {"reason", failure ? std::string{service::name(*failure)} : e.detail()}});
        const bool v1 = version == Version::V1;
        if (!failure) {
            if (e.code() == Errc::NotFound) {
                invalid_request(std::string{kInvalidCredentialId});
            }
            throw;
        }
        switch (*failure) {
            case service::AuthFailure::BadPin:
                if (v1) {
                    throw WireError{400, "invalid_pin", "The PIN is invalid"};
                }
                throw WireError{400, "invalid_authentication_data", "The authentication data is invalid"};
            case service::AuthFailure::BadOtp:
                if (v1) {
                    throw WireError{400, "invalid_otp", "The OTP is invalid"};
                }
                throw WireError{400, "invalid_authentication_data", "The authentication data is invalid"};
            case service::AuthFailure::OtpReplayed:
                // Its own text (issue 24): the code was right, the client should wait, not re-prompt.
                throw WireError{400, v1 ? "invalid_otp" : "invalid_authentication_data",
                                "The OTP was already used; wait for the next one"};
            case service::AuthFailure::OtpNotEnrolled:
                // credentials/info lists the OTP all the same: authorize demands it (decision 0027).
                invalid_request(
                    "An OTP is required but no authenticator app is enrolled for this user; ask the operator "
                    "to enrol one");
            case service::AuthFailure::HashCountMismatch:
                invalid_request(std::string{"Invalid parameter numSignatures: it must equal the number of "} +
                                (v1 ? "hash values (" : "hashes (") + std::to_string(hash_count) + "), not " +
                                std::to_string(num_signatures));
            case service::AuthFailure::PinLocked:
                invalid_request(v1 ? "PIN locked" : "Credential locked");
            case service::AuthFailure::OtpLocked:
                invalid_request(v1 ? "OTP locked" : "Credential locked");
            case service::AuthFailure::CredentialDisabled:
                invalid_request(std::string{kCredentialDisabled});
            case service::AuthFailure::TooManySignatures:
                invalid_request("Numbers of signatures is too high");
            case service::AuthFailure::FactorsNotAccepted:
                invalid_request("A system client authorizes its seals without PIN or OTP");
            case service::AuthFailure::OAuth2Required:
                invalid_request(std::string{kOAuth2Required});
            case service::AuthFailure::HashesRequired:
                if (!hashes_given) {
                    JsonBody::wrong_type("array", v1 ? "hash" : "hashes");
                }
                invalid_request(
                    "Invalid parameter numSignatures: a SCAL 2 credential needs one hash per signature");
        }
        throw;
    }
}

service::IssuedSad Core::extend(Version, const service::Caller& caller, ExtendRequest request) const {
    check_credential_id(request.credential_id);
    try {
        return m_deps.authorization.extend(caller, request.credential_id, request.sad,
                                           std::move(request.hashes));
    } catch (const Error& e) {
        if (!caller_fault(e.code())) {
            throw;
        }
        const auto failure = service::sign_failure(e);
        log::info("csc: extendTransaction refused",
                  {{"code", errc_name(e.code())},
                   {"reason", failure ? std::string{service::name(*failure)} : e.detail()}});
        if (failure) {
            refuse_sign(e, *failure);
        }
        if (e.code() == Errc::NotFound) {
            invalid_request(std::string{kInvalidCredentialId});
        }
        throw;
    }
}

std::vector<Bytes> Core::sign_hash(Version version, const service::Caller& caller,
                                   SignHashRequest request) const {
    return prepare_sign_hash(version, caller, std::move(request))();
}

namespace {

/// signHash's answer to a refusal from the service (the checks and spend, or the signing after it).
[[noreturn]] void refuse_hash(Version version, const Error& e) {
    if (!caller_fault(e.code())) {
        throw;
    }
    const auto failure = service::sign_failure(e);
    const auto algorithm = reason_of<service::AlgorithmRefusal>(e);
    log::info("csc: signHash refused", {{"code", errc_name(e.code())},
                                        {"reason", failure     ? std::string{service::name(*failure)}
                                                   : algorithm ? std::string{service::name(*algorithm)}
                                                               : e.detail()}});
    refuse_signing(version, e);
}

/// signDoc's answer to a refusal from the service (the checks and spend, or the building after it).
[[noreturn]] void refuse_doc(const Error& e) {
    const auto doc = service::doc_failure(e);
    if (!caller_fault(e.code()) && !doc) {
        throw;
    }
    const auto failure = service::sign_failure(e);
    const auto algorithm = reason_of<service::AlgorithmRefusal>(e);
    log::info("csc: signDoc refused", {{"code", errc_name(e.code())},
                                       {"reason", doc         ? std::string{service::name(*doc)}
                                                  : failure   ? std::string{service::name(*failure)}
                                                  : algorithm ? std::string{service::name(*algorithm)}
                                                              : e.detail()}});
    if (doc) {
        refuse_document(e, *doc);
    }
    if (failure == service::SignFailure::HashNotAuthorised) {
        // CSC v2 §11.11: a document or digest the SAD did not authorise is 403 invalid_hash.
        throw WireError{403, "invalid_hash", "documentDigests or documents are not authorized by the SAD"};
    }
    refuse_signing(Version::V2, e);
}

}  // namespace

std::function<std::vector<Bytes>()> Core::prepare_sign_hash(Version version, const service::Caller& caller,
                                                            SignHashRequest request) const {
    check_credential_id(request.credential_id);
    // Decode → service → encode: the credential, the scheme, the digests, the SAD are the service's to
    // judge, once (decision 0043).
    service::SignHashRequest service_request{std::move(request.credential_id), std::move(request.sad),
                                             std::move(request.hashes), std::move(request.algorithm)};
    std::function<std::vector<Bytes>()> job;
    try {
        job = m_deps.authorization.spend_hashes(caller, std::move(service_request));
    } catch (const Error& e) {
        refuse_hash(version, e);
    }
    return [job = std::move(job), version]() -> std::vector<Bytes> {
        try {
            return job();
        } catch (const Error& e) {
            refuse_hash(version, e);
        }
    };
}

service::SignDocResult Core::sign_doc(const service::Caller& caller, SignDocRequest request) const {
    return prepare_sign_doc(caller, std::move(request))();
}

std::function<service::SignDocResult()> Core::prepare_sign_doc(const service::Caller& caller,
                                                               SignDocRequest request) const {
    if (m_deps.documents == nullptr) {
        invalid_request("signatures/signDoc is not available");
    }
    // Without a signatureQualifier the id is required (the decoder says so); with one, the service chooses.
    if ((request.credential_id.empty() && request.signature_qualifier.empty()) ||
        request.credential_id.size() > kMaxCredentialIdLength) {
        invalid_request(std::string{kInvalidCredentialId});
    }
    service::SignDocRequest out;
    out.credential_id = request.credential_id;
    out.signature_qualifier = request.signature_qualifier;
    out.sad = std::move(request.sad);
    out.documents_given = request.documents_given;
    out.digests_given = request.digests_given;
    out.return_validation_info = request.return_validation_info;
    out.documents = std::move(request.documents);
    out.digests = std::move(request.digests);
    std::function<service::SignDocResult()> job;
    try {
        job = m_deps.documents->prepare(caller, std::move(out));
    } catch (const Error& e) {
        refuse_doc(e);
    }
    return [job = std::move(job)]() -> service::SignDocResult {
        try {
            return job();
        } catch (const Error& e) {
            refuse_doc(e);
        }
    };
}

service::ExtendDocumentsResult Core::extend_documents(const service::Caller& caller,
                                                      service::ExtendDocumentsRequest request) const {
    if (m_deps.extension == nullptr) {
        invalid_request("extend is not available");
    }
    try {
        return m_deps.extension->extend(caller, std::move(request));
    } catch (const Error& e) {
        const auto doc = service::doc_failure(e);
        if (!doc) {
            throw;
        }
        log::info("extend refused",
                  {{"code", errc_name(e.code())}, {"reason", std::string{service::name(*doc)}}});
        refuse_document(e, *doc);
    }
}

void Core::get_challenge(const service::Caller& caller, const ChallengeRequest& request) const {
    if (credential_for(caller, request.credential_id).auth_mode == service::AuthMode::OAuth2Code) {
        invalid_request(std::string{kOAuth2Required});
    }
    // The OTP object is a TOTP: the "challenge" is the current time step, already on the user's
    // device. 204 No Content is the spec's answer for a challenge that is not shown in band. The PIN
    // is a plain Password object: it has no challenge.
    if (request.auth_object_id == kOtpObjectId && auth_view(caller).otp_enrolled) {
        return;
    }
    invalid_request("Invalid parameter authObjectID");
}

CredentialView Core::view(const service::Credential& c, const CredentialQuery& query,
                          const std::optional<AuthView>& auth) const {
    const auto leaf = leaf_certificate(c);
    const service::KeyFacts key = service::key_facts(c);
    const TimePoint now = m_deps.clock.now();

    CredentialView v;
    v.id = c.id;
    v.description = c.description;
    v.key_algos = key_algorithms(key.type);
    v.key_len = key.bits;
    if (key.curve) {
        v.curve_oid = std::string{crypto::spec(*key.curve).oid};
    }
    v.multisign = c.multisign;
    v.scal = c.scal;
    v.auth_mode = c.auth_mode;
    v.signature_qualifier = c.signature_qualifier;
    v.auth = auth;

    const bool valid_now = leaf && time_valid(*leaf, now);
    switch (c.status) {
        case service::CredentialStatus::Pending:
            v.key_enabled = false;
            break;
        case service::CredentialStatus::Active:
            v.key_enabled = valid_now;
            if (leaf) {
                if (now > leaf->not_after()) {
                    v.cert.status = "expired";
                } else if (valid_now) {
                    v.cert.status = "valid";
                }
                // Not yet valid: no CSC value fits, so no status.
            }
            break;
        case service::CredentialStatus::Disabled:
            v.key_enabled = false;
            if (leaf && !c.renewed_to.empty()) {
                // Renewed (decision 0037): the key signs no more, but its certificate was not revoked.
                if (now > leaf->not_after()) {
                    v.cert.status = "expired";
                } else if (valid_now) {
                    v.cert.status = "valid";
                }
            } else if (leaf) {
                v.cert.status = "revoked";
            }
            break;
    }
    if (leaf) {
        switch (query.certificates) {
            case CertificatesMode::None:
                break;
            case CertificatesMode::Single:
                v.cert.certificates.push_back(c.chain.front());
                break;
            case CertificatesMode::Chain:
                v.cert.certificates = c.chain;
                break;
        }
        if (query.cert_info) {
            v.cert.has_info = true;
            // Strict RFC 4514 (keywords of §3 only, dotted OIDs otherwise): Java's X500Principal and
            // the clients built on it throw on OpenSSL's "GN=" or "organizationIdentifier=".
            v.cert.issuer_dn = pki::name_to_rfc4514(leaf->issuer_der());
            v.cert.subject_dn = pki::name_to_rfc4514(leaf->subject_der());
            v.cert.serial_number = leaf->serial_hex();
            v.cert.valid_from = generalized_time(leaf->not_before());
            v.cert.valid_to = generalized_time(leaf->not_after());
        }
    }
    return v;
}

}  // namespace inkan::api::detail
