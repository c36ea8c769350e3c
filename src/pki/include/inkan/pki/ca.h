#pragma once

// The built-in CA: issues certificates under profiles, revokes them, and publishes CRLs and OCSP
// responses. Its key stays behind a sign::Signer (an HsmSigner in production); every structure is
// assembled from its to-be-signed bytes by inkan's DER writer. State (serials, issued certificates,
// revocations, CRL numbers) lives in a CaStore, so any node can serve any request.
//
// `inkan init` builds the development PKI like this (keys generated in the HSM first):
//
//     pki::CaSettings root_settings{.name = "inkan-root", .pki_base_url = pki_url};
//     pki::Certificate root = pki::create_root(root_settings, root_signer, root_name, 7305, store, clock);
//     pki::BuiltinCa root_ca{root_settings, root_signer, {root.der()}, store, profiles, clock};
//     pki::Certificate issuing = root_ca.issue_ca(pki::create_csr(issuing_name, issuing_signer));
//     pki::BuiltinCa ca{issuing_settings, issuing_signer, {issuing.der(), root.der()}, store, profiles,
//                       clock};
//     pki::Certificate tsa = ca.issue(pki::create_csr(tsa_name, tsa_signer), "tsa");
//     pki::Certificate ocsp = ca.issue(pki::create_csr(ocsp_name, ocsp_signer), "ocsp");
//     pki::Certificate tls = ca.issue(pki::create_csr(tls_name, tls_signer), "tls",
//                                     {.dns_names = {"localhost"}, .ip_addresses = {"127.0.0.1"}});
//
// and the service answers OCSP with ca.ocsp_response(request, ocsp_signer, {ocsp.der()}) and serves
// ca.crl() (cached) at ca.crl_url().

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/pki/certificate.h>
#include <inkan/pki/csr.h>
#include <inkan/pki/profile.h>
#include <inkan/pki/store.h>
#include <inkan/pki/x509.h>
#include <inkan/sign/signer.h>

namespace inkan::pki {

/// One built-in CA's settings (from the configuration).
struct CaSettings {
    /// The CA's name: its key in the store, in URLs and in `inkan ca list` ("inkan-issuing").
    std::string name;
    /// Where inkan publishes PKI objects ("http://127.0.0.1:8080"): issued certificates point at
    /// <base>/ca/<name>.crt (AIA caIssuers), <base>/ocsp (AIA OCSP) and <base>/crl/<name>.crl (CDP).
    std::string pki_base_url;
    /// The scheme for certificates and CRLs; default sign::default_algorithm() for the CA key
    /// (e.g. RSA-PKCS1-SHA256, ECDSA-SHA384 on P-384). RSA-PSS works too.
    std::optional<crypto::SignatureAlgorithm> signature_algorithm;
    /// CRL nextUpdate - thisUpdate.
    std::chrono::seconds crl_validity = std::chrono::days{7};
    /// OCSP nextUpdate - thisUpdate.
    std::chrono::seconds ocsp_validity = std::chrono::hours{24};
    /// CertIDs answered in one OCSP request; more is a malformedRequest (bounds the work per request).
    std::size_t max_ocsp_requests = 32;
};

/// <base>/ca/<name>.crt, <base>/crl/<name>.crl, <base>/ocsp (one trailing '/' on base is ignored).
std::string ca_certificate_url(std::string_view pki_base_url, std::string_view ca_name);
std::string crl_url(std::string_view pki_base_url, std::string_view ca_name);
std::string ocsp_url(std::string_view pki_base_url);

/// Per-certificate choices the operator (or init) makes; each replaces what the CSR asked for.
struct IssueOptions {
    /// Replaces the CSR's subject (still checked against the profile).
    std::optional<Name> subject;
    /// subjectAltName, written by TLS profiles only; both empty = take the SANs the CSR requests in its
    /// extensionRequest attribute.
    std::vector<std::string> dns_names;
    std::vector<std::string> ip_addresses;
    /// Overrides the profile's validity.
    std::optional<int> validity_days;
};

/// OCSPResponseStatus (RFC 6960 §4.2.1).
enum class OcspResponseStatus : std::uint8_t {
    Successful = 0,
    MalformedRequest = 1,
    InternalError = 2,
    TryLater = 3,
    SigRequired = 5,
    Unauthorized = 6,
};
/// An OCSPResponse without responseBytes (every status but Successful).
Bytes ocsp_error_response(OcspResponseStatus status);

/// Creates a self-signed root CA certificate for `signer`'s key: basicConstraints cA (no path length),
/// keyUsage keyCertSign + cRLSign + digitalSignature, SKI and AKI. Its serial is reserved and the
/// certificate recorded in `store` under settings.name (profile "ca").
/// Errc::InvalidRequest (empty subject, validity_days < 1), Errc::UnsupportedAlgorithm, and whatever the
/// signer or the store throws.
Certificate create_root(const CaSettings& settings, sign::Signer& signer, const Name& subject,
                        int validity_days, CaStore& store, const Clock& clock);

/// A CA whose key is behind a Signer. It holds no mutable state of its own (serials, revocations and CRL
/// numbers are in the store), so one instance may serve several threads if its Signer and store do
/// (HsmSigner and SqliteCaStore do), and several nodes may run the same CA over a shared store.
class BuiltinCa {
public:
    /// `chain`: this CA's certificate first, then its issuers toward the root (DER). `signer`, `store` and
    /// `clock` must outlive the CA. Errc::InvalidConfig: empty chain, a certificate that is not a CA, or
    /// a signer whose key is not the certificate's; Errc::InvalidEncoding for a chain that does not parse;
    /// Errc::UnsupportedAlgorithm if settings.signature_algorithm does not fit the CA key.
    BuiltinCa(CaSettings settings, sign::Signer& signer, std::vector<Bytes> chain, CaStore& store,
              ProfileSet profiles, const Clock& clock);

    [[nodiscard]] const std::string& name() const noexcept { return m_settings.name; }
    [[nodiscard]] const CaSettings& settings() const noexcept { return m_settings; }
    [[nodiscard]] const Certificate& certificate() const noexcept { return m_certificate; }
    /// This CA's certificate first, then its issuers (DER).
    [[nodiscard]] const std::vector<Bytes>& chain() const noexcept { return m_chain; }
    [[nodiscard]] const ProfileSet& profiles() const noexcept { return m_profiles; }
    [[nodiscard]] std::string certificate_url() const;
    [[nodiscard]] std::string crl_url() const;
    [[nodiscard]] std::string ocsp_url() const;

    /// Issues a certificate for a CSR under `profile`: the CSR's signature must verify, its key must
    /// satisfy the profile's key policy and its subject (or options.subject) the profile's rules. A
    /// fresh random serial is reserved in the store first (drawn again on collision), the certificate is
    /// signed through the CA's signer and recorded. notAfter is capped at the CA certificate's notAfter.
    /// End-entity certificates carry AKI, AIA (caIssuers + OCSP) and CRLDistributionPoints; CA
    /// certificates AKI, AIA caIssuers and CRLDistributionPoints.
    /// Errc::InvalidRequest: the CSR does not verify, unknown profile, weak or disallowed key, subject or
    /// SAN that breaks the profile; Errc::UnsupportedAlgorithm: a key inkan cannot use; Errc::Conflict:
    /// no free serial after several draws; plus whatever the signer or the store throws.
    Certificate issue(const Csr& csr, std::string_view profile, const IssueOptions& options = {});
    /// Issues a subordinate CA certificate (profile "ca" unless another CA-kind profile is named).
    Certificate issue_ca(const Csr& csr, const IssueOptions& options = {}, std::string_view profile = "ca");

    /// Records a revocation in the store. Errc::NotFound: not issued by this CA; Errc::Conflict: already
    /// revoked (a certificateHold may be followed by another reason); Errc::InvalidRequest: removeFromCRL
    /// (delta CRLs only, RFC 5280 §5.3.1).
    void revoke(ByteView serial, RevocationReason reason, TimePoint when);

    /// A CRL v2 (RFC 5280 §5) as DER: issuer, thisUpdate = now, nextUpdate = now + crl_validity, every
    /// revoked certificate with its revocation date and a reasonCode entry extension (left out for
    /// unspecified, §5.3.1), crlExtensions AKI and cRLNumber (the store's next number). Signed through the
    /// CA's signer. Every call takes a new CRL number: a publisher should cache the result until shortly
    /// before nextUpdate rather than call this per download.
    Bytes crl();

    /// Answers a DER OCSPRequest (RFC 6960 §4.1) with a DER OCSPResponse. Never throws for bad input:
    /// garbage or an empty/oversized request list → malformedRequest; no CertID naming this CA →
    /// unauthorized; store or signer failure → internalError (logged). Each CertID (SHA-1, SHA-256,
    /// SHA-384 or SHA-512) whose issuerNameHash and issuerKeyHash match this CA is answered good, revoked
    /// (revocationTime, revocationReason unless unspecified) or unknown (not issued here); a CertID of
    /// another issuer is answered unknown. The nonce extension is echoed; responderID is byKey; the
    /// responder's chain goes in `certs`; signed through `responder` with its default algorithm.
    /// `responder` is this CA's own signer or a delegated responder whose certificate (first in
    /// `responder_chain`) this CA issued with id-kp-OCSPSigning; Errc::InvalidConfig otherwise.
    Bytes ocsp_response(ByteView request_der, sign::Signer& responder,
                        const std::vector<Bytes>& responder_chain);
    /// The same, signed by the CA itself (certs: this CA's certificate).
    Bytes ocsp_response(ByteView request_der);

private:
    Certificate issue_checked(const Csr& csr, const Profile& profile, const IssueOptions& options);

    CaSettings m_settings;
    sign::Signer& m_signer;
    std::vector<Bytes> m_chain;
    Certificate m_certificate;
    Bytes m_key_id;  // this CA's subject key identifier (AKI of what it issues)
    CaStore& m_store;
    ProfileSet m_profiles;
    const Clock& m_clock;
    crypto::SignatureAlgorithm m_algorithm;
};

}  // namespace inkan::pki
