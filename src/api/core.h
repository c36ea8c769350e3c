#pragma once

// The version-neutral core of the CSC methods: request DTOs in, response DTOs out, over the service
// objects. The v1 and v2 codecs (codec.h) translate JSON and headers to and from these types.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <inkan/api/csc.h>
#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/core/secret.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/http/message.h>
#include <inkan/service/authorization.h>
#include <inkan/service/document_signing.h>
#include <inkan/service/model.h>

namespace inkan::api::detail {

/// credentials/info and credentials/list `certificates`.
enum class CertificatesMode { None, Single, Chain };
/// "none" | "single" | "chain"; nothing for anything else.
std::optional<CertificatesMode> certificates_mode_from_name(std::string_view name);

/// ASN.1 GeneralizedTime as the CSC writes validFrom/validTo: YYYYMMDDHHMMSSZ (UTC, whole seconds).
std::string generalized_time(TimePoint t);

// ---- requests ------------------------------------------------------------------------------

/// auth/login: HTTP Basic credentials, or a refresh token from the body.
struct LoginRequest {
    bool with_refresh_token = false;
    std::string user;      ///< Basic
    Secret password;       ///< Basic
    Secret refresh_token;  ///< with_refresh_token
    bool remember_me = false;
};

struct RevokeRequest {
    Secret token;
    std::string hint;  ///< "", "access_token" or "refresh_token"
};

/// What credentials/info (and v2 credentials/list with credentialInfo) returns about a credential.
struct CredentialQuery {
    CertificatesMode certificates = CertificatesMode::Single;
    bool cert_info = false;
    bool auth_info = false;
};

struct ListRequest {
    /// `userID`: only with a token that names no user (oauth2client); the user's name or id.
    std::optional<std::string> user_id;
    // v1 paging: pages of at most ServiceInfo::max_list_results (or max_results, if smaller)
    bool paged = false;
    std::optional<std::size_t> max_results;
    std::optional<std::string> page_token;
    // v2
    bool credential_info = false;
    CredentialQuery query;
    bool only_valid = false;
};

struct CredentialInfoRequest {
    std::string credential_id;
    CredentialQuery query;
};

/// credentials/extendTransaction.
struct ExtendRequest {
    std::string credential_id;
    Secret sad;
    std::vector<service::AuthorisedHash> hashes;  ///< new hashes (SCAL 2)
};

/// v2 operationMode and its companions (CSC v2 signHash / signDoc; decision 0033).
struct OperationMode {
    bool async = false;                       ///< "A"
    std::optional<std::int64_t> validity_ms;  ///< validity_period (ms), only with "A"
    std::optional<std::string> response_uri;  ///< only with "A"
};

/// signatures/signHash as the wire gives it; the service resolves the scheme against the credential's
/// key (the key type decides which OIDs fit).
struct SignHashRequest {
    std::string credential_id;
    Secret sad;
    std::vector<Bytes> hashes;
    /// signAlgo, signAlgoParams (DER, decoded from base64), v1 hashAlgo / v2 hashAlgorithmOID
    service::AlgorithmChoice algorithm;
    OperationMode mode;  ///< v2
};

/// v2 signatures/signDoc (CSC v2 §11.11; csc-api.md §7).
struct SignDocRequest {
    std::string credential_id;        ///< empty: chosen by signature_qualifier
    std::string signature_qualifier;  ///< v2 signatureQualifier (csc-api.md signDoc); may be empty
    Secret sad;
    std::vector<service::SignDocItem> documents;
    std::vector<service::SignDocItem> digests;
    bool documents_given = false;
    bool digests_given = false;
    bool return_validation_info = false;  ///< returnValidationInfo / returnValidationInformation
    OperationMode mode;
};

/// v2 credentials/getChallenge.
struct ChallengeRequest {
    std::string credential_id;
    std::string auth_object_id;
};

// ---- responses -----------------------------------------------------------------------------

struct CertificateView {
    std::optional<std::string> status;  ///< "valid" | "expired" | "revoked"; absent when not known
    std::vector<Bytes> certificates;    ///< DER, end-entity first, per CertificatesMode
    bool has_info = false;              ///< certInfo asked for and there is a certificate
    std::string issuer_dn, subject_dn, serial_number, valid_from, valid_to;
};

/// The caller's activation factors (authInfo): the PIN always, a TOTP device when enrolled.
struct AuthView {
    /// False for a system client (oauth2client): it authorizes its seals without PIN or OTP, and info
    /// then lists no factor object.
    bool factors = true;
    bool otp = false;           ///< authorize demands an OTP (always, for an explicit credential)
    bool otp_enrolled = false;  ///< the user has a TOTP device to read it from
    std::string otp_device_id;  ///< "<issuer>:<user name>", the authenticator app's label; empty if none
};

struct CredentialView {
    std::string id;
    std::string description;
    bool key_enabled = false;
    std::vector<std::string> key_algos;  ///< signature OIDs
    std::size_t key_len = 0;             ///< bits
    std::optional<std::string> curve_oid;
    CertificateView cert;
    int multisign = 1;
    int scal = 1;
    service::AuthMode auth_mode = service::AuthMode::Explicit;  ///< v1 authMode, v2 auth.mode
    std::string signature_qualifier;                            ///< v2 signatureQualifier
    std::optional<AuthView> auth;                               ///< authInfo
};

struct ListResult {
    std::vector<std::string> credential_ids;
    std::optional<std::string> next_page_token;
    std::optional<std::vector<CredentialView>> infos;  ///< v2 credentialInfo
    bool only_valid = false;                           ///< v2: requested and honoured
};

// ---- headers -------------------------------------------------------------------------------

/// The access token of `Authorization: Bearer <token>` (RFC 6750 §2.1). WireError 401 invalid_token
/// when the header is missing or is not a Bearer b64token.
Secret bearer_token(const http::Request& request);

/// `Authorization: Basic base64(user:password)` (RFC 7617) into `out` (user, password).
/// WireError 401 invalid_request "Malformed authentication parameter." when it is not Basic with
/// base64; 400 invalid_request "Malformed username-password." when the decoded value has no user
/// followed by ':'. The decoded bytes are wiped.
void basic_credentials(std::string_view authorization, LoginRequest& out);

// ---- the core ------------------------------------------------------------------------------

class Core {
public:
    explicit Core(CscDeps deps);

    [[nodiscard]] const ServiceInfo& info() const noexcept { return m_deps.info; }
    /// info.signAlgorithms: the service's offered schemes.
    [[nodiscard]] const service::AdvertisedAlgorithms& sign_algorithms() const noexcept;
    /// signDoc, when the service offers it (info's formats and levels).
    [[nodiscard]] const service::DocumentSigning* documents() const noexcept { return m_deps.documents; }
    /// operationMode "A" and signPolling, when the service offers them (info asynchronousOperationMode).
    [[nodiscard]] service::AsyncOperations* async() const noexcept { return m_deps.async; }
    /// Out-of-band approval and credentials/authorizeCheck (decision 0034), when offered.
    [[nodiscard]] service::OutOfBand* oob() const noexcept { return m_deps.oob; }
    /// key/algo for a key of this type: the hash-specific signature OIDs the signer offers, then the
    /// generic rsaEncryption for RSA (v1 clients that send it with hashAlgo).
    [[nodiscard]] const std::vector<std::string>& key_algorithms(crypto::KeyType type) const;

    /// The caller of a request with a Bearer token. WireError 401 invalid_token for a missing,
    /// malformed, unknown, expired or revoked token, or a locked account.
    [[nodiscard]] service::Caller authenticate(const http::Request& request) const;

    /// WireError 400 authentication_error for a failed Basic login; 400 invalid_request
    /// "Invalid refresh_token" for a refresh token the service refuses.
    [[nodiscard]] service::IssuedTokens login(const LoginRequest& request) const;
    /// WireError 400 invalid_request "Invalid string parameter token" for a token that is unknown
    /// or not the caller's.
    void revoke(const service::Caller& caller, const RevokeRequest& request) const;
    /// WireError 400 "Invalid parameter pageToken", "Invalid parameter maxResults".
    [[nodiscard]] ListResult list(const service::Caller& caller, const ListRequest& request) const;
    /// WireError 400 "Invalid parameter credentialID" for an unknown credential and for one the
    /// caller may not use, alike.
    [[nodiscard]] CredentialView credential_info(const service::Caller& caller,
                                                 const CredentialInfoRequest& request) const;

    /// credentials/authorize. WireError with the version's error for every refusal (v1 invalid_pin /
    /// invalid_otp / "PIN locked" / "OTP locked"; v2 invalid_authentication_data / "Credential locked").
    [[nodiscard]] service::IssuedSad authorize(Version version, const service::Caller& caller,
                                               service::AuthorizeRequest request) const;
    /// v2 credentials/authorize without factors (decision 0034): the same refusals as authorize, else a
    /// pending out-of-band authorization (handle, page reference).
    [[nodiscard]] service::OobStarted authorize_out_of_band(const service::Caller& caller,
                                                            service::AuthorizeRequest request) const;
    /// v2 credentials/authorizeCheck: pending, the SAD (once), declined or expired. WireError "Invalid
    /// parameter handle" for an unknown, another caller's or an already collected handle.
    [[nodiscard]] service::OobCheck authorize_check(const service::Caller& caller,
                                                    const Secret& handle) const;
    /// credentials/extendTransaction: "Invalid parameter SAD", "SAD expired", ...
    [[nodiscard]] service::IssuedSad extend(Version version, const service::Caller& caller,
                                            ExtendRequest request) const;
    /// signatures/signHash: the signatures in the order of the hashes.
    [[nodiscard]] std::vector<Bytes> sign_hash(Version version, const service::Caller& caller,
                                               SignHashRequest request) const;
    /// v2 signatures/signDoc: the signed documents / signature objects. WireError with the spec's
    /// texts (both inputs, neither, signature_format, conformance_level, signed_envelope_property,
    /// signed_props, "hashAlgorithmOID contradicts with signAlgo"), 403 invalid_hash for a document or
    /// digest the SAD did not authorise, 413 for a document over the size limit.
    [[nodiscard]] service::SignDocResult sign_doc(const service::Caller& caller,
                                                  SignDocRequest request) const;
    /// operationMode "A": every check and refusal of sign_hash / sign_doc now (the SAD is spent when
    /// these return), the signing as a job to run once, later; the job throws what the synchronous call
    /// would after the spend, mapped the same way (WireError or inkan::Error).
    [[nodiscard]] std::function<std::vector<Bytes>()> prepare_sign_hash(Version version,
                                                                        const service::Caller& caller,
                                                                        SignHashRequest request) const;
    [[nodiscard]] std::function<service::SignDocResult()> prepare_sign_doc(const service::Caller& caller,
                                                                           SignDocRequest request) const;
    /// POST /inkan/v1/extend (service::Extension). WireError 400 for bad documents, 413 over the size
    /// limit, 503 when validation data or the time-stamp cannot be had.
    [[nodiscard]] service::ExtendDocumentsResult extend_documents(
        const service::Caller& caller, service::ExtendDocumentsRequest request) const;
    /// v2 credentials/getChallenge. Returns normally (204) for the OTP object: the code is on the
    /// user's authenticator, nothing to show in band. WireError "Invalid parameter authObjectID" for
    /// anything else.
    void get_challenge(const service::Caller& caller, const ChallengeRequest& request) const;

private:
    /// An authorize refusal as the version's CSC error (throws WireError), or rethrows.
    [[noreturn]] static void refuse_authorize(Version version, const Error& e, bool hashes_given,
                                              std::size_t hash_count, int num_signatures);
    /// The credential `id` as `caller` may use it; WireError "Invalid parameter credentialID".
    [[nodiscard]] service::Credential credential_for(const service::Caller& caller,
                                                     const std::string& id) const;
    [[nodiscard]] CredentialView view(const service::Credential& credential, const CredentialQuery& query,
                                      const std::optional<AuthView>& auth) const;
    [[nodiscard]] AuthView auth_view(const service::Caller& caller) const;
    [[nodiscard]] bool usable(const service::Credential& credential) const;

    CscDeps m_deps;
};

}  // namespace inkan::api::detail
