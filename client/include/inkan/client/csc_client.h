#pragma once

// A Cloud Signature Consortium API client for v1 (1.0.4.0) and v2 (2.0.0.2) over HTTPS (net::post,
// the service's certificate checked against a CA file): info, auth/login (HTTP Basic), credentials/list,
// credentials/info, credentials/authorize (PIN + OTP), signatures/signHash, signatures/timestamp and
// v2 signatures/signDoc. No server code: only what the wire says.
//
// Errors: the service's CSC error becomes an inkan::Error whose detail is "<status> <error>:
// <error_description>" (descriptions never carry secrets), with the code by status and error:
// 401 → Unauthenticated, invalid_pin / invalid_otp / invalid_authentication_data → InvalidAuthData,
// 403 → Forbidden, 413 → PayloadTooLarge, other 4xx → InvalidRequest, 5xx → Unavailable. Transport
// failures are net's (Errc::Unavailable).

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <inkan/ades/pades.h>
#include <inkan/core/bytes.h>
#include <inkan/core/secret.h>
#include <inkan/crypto/algorithms.h>

namespace inkan::client {

enum class Version { V1, V2 };

/// A service URL as a user gives it: the base URL, or the /csc/v1 or /csc/v2 URL `inkan serve` prints
/// (with or without a trailing slash). `version` is the one the URL names, if it names one.
struct CscUrl {
    std::string base;  ///< without the /csc/vN part and without a trailing slash
    std::optional<Version> version;
};
CscUrl parse_csc_url(std::string_view url);

struct CscClientOptions {
    /// The service's base URL ("https://sign.example.com:8443"); the API is under /csc/v1/ or /csc/v2/.
    /// A /csc/v1 or /csc/v2 URL is taken as its base URL (see parse_csc_url).
    std::string base_url;
    Version version = Version::V2;
    /// PEM trust anchors for the service's TLS certificate; empty: the system's.
    std::filesystem::path ca_file;
    std::chrono::milliseconds timeout{120'000};
    /// signDoc answers carry whole documents.
    std::size_t max_response_bytes = 512U * 1024U * 1024U;
};

/// info (CSC §11.1).
struct ServiceInfo {
    std::string specs, name, region;
    std::vector<std::string> auth_types;
    std::vector<std::string> methods;
};

/// credentials/info (CSC §11.5) with certificates "chain" and authInfo.
struct CredentialInfo {
    std::string id;
    std::string description;
    bool key_enabled = false;
    std::vector<std::string> key_algos;  ///< signature OIDs
    std::size_t key_len = 0;
    std::vector<Bytes> certificates;  ///< DER, end entity first
    std::string certificate_status;   ///< "valid", "expired", "revoked" or empty
    int scal = 1;
    int multisign = 1;
    bool pin_required = true;
    bool otp_required = false;
};

/// The activation factors credentials/authorize sends (CSC v1 PIN/OTP, v2 authData).
struct Factors {
    std::optional<Secret> pin;
    std::optional<Secret> otp;
};

struct Sad {
    Secret sad;
    std::int64_t expires_in = 0;
};

/// One v2 signDoc entry (CSC v2 §11.11): a whole document or the document digests.
struct SignDocEntry {
    Bytes document;                                         ///< documents[]: the whole document
    std::vector<Bytes> hashes;                              ///< documentDigests[]: the hashes (SDRs)
    std::optional<crypto::DigestAlgorithm> hash_algorithm;  ///< hashAlgorithmOID (digests)
    crypto::SignatureAlgorithm algorithm;
    std::string signature_format = "P";          ///< "P" or "C"
    std::string conformance_level = "Ades-B-B";  ///< "Ades-B-B", "Ades-B-T", "Ades-B-LT", "Ades-B-LTA"
    std::string signed_envelope_property;        ///< empty: the service's default for the format
    std::vector<std::pair<std::string, std::string>> signed_props;  ///< Reason, Location, ...
    /// PAdES: a visible signature drawn by the service (inkan's `appearance` member, decision 0031) on
    /// `page` (0-based). `font` is not sent: the service uses its [signing] appearance_font.
    std::optional<ades::VisibleSignature> appearance;
    std::size_t page = 0;
};

/// signDoc's validationInfo (CSC v2 §11.11): DER OCSPResponses, CertificateLists and certificates.
struct ValidationInfo {
    std::vector<Bytes> ocsp;
    std::vector<Bytes> crl;
    std::vector<Bytes> certificates;
};

struct SignDocResult {
    std::vector<Bytes> documents_with_signature;
    std::vector<Bytes> signature_objects;
    std::optional<ValidationInfo> validation_info;  ///< when the answer carried validationInfo
};

class CscClient {
public:
    /// Errc::InvalidRequest for a base URL that is not http(s).
    explicit CscClient(CscClientOptions options);

    [[nodiscard]] Version version() const noexcept { return m_options.version; }

    ServiceInfo info();
    /// auth/login with HTTP Basic; the access token is kept for the calls that follow.
    void login(const std::string& user, const Secret& password);
    /// Uses an access token obtained elsewhere (OAuth 2.0).
    void set_access_token(Secret token) { m_token = std::move(token); }

    std::vector<std::string> list_credentials();
    CredentialInfo credential_info(const std::string& credential_id);
    /// credentials/authorize for `hashes` (of `hash_algorithm`; may be empty at SCAL 1) and
    /// `num_signatures` (0: hashes.size()).
    Sad authorize(const std::string& credential_id, const std::vector<Bytes>& hashes,
                  crypto::DigestAlgorithm hash_algorithm, const Factors& factors, int num_signatures = 0);
    /// signatures/signHash: raw signature values (RSA: modulus length; ECDSA: DER), in order.
    std::vector<Bytes> sign_hash(const std::string& credential_id, const Secret& sad,
                                 const std::vector<Bytes>& hashes,
                                 const crypto::SignatureAlgorithm& algorithm);
    /// signatures/timestamp: a DER TimeStampToken over `hash`.
    Bytes timestamp(crypto::DigestAlgorithm alg, ByteView hash);
    /// v2 signatures/signDoc (documents or documentDigests; mixing both is the caller's choice to
    /// make and the service's to refuse). Errc::InvalidRequest on a v1 client.
    /// `return_validation_info`: ask for validationInfo (sent as returnValidationInfo).
    SignDocResult sign_doc(const std::string& credential_id, const Secret& sad,
                           const std::vector<SignDocEntry>& entries, bool return_validation_info = false);

private:
    /// POSTs `json` to /csc/<v>/<method>; returns the response body (JSON text).
    std::string call(const std::string& method, const std::string& json, bool bearer = true);

    CscClientOptions m_options;
    Secret m_token;
};

/// The signAlgo OID and signAlgoParams (DER RSASSA-PSS-params, empty for other schemes) that name
/// `alg` in signHash and signDoc (csc-api.md §6.1).
std::pair<std::string, Bytes> sign_algo(const crypto::SignatureAlgorithm& alg);

}  // namespace inkan::client
