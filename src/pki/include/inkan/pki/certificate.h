#pragma once

// X.509 v3 certificates (RFC 5280): a builder that assembles the TBSCertificate with inkan's DER
// writer and signs it through a sign::Signer, and a parsed view over OpenSSL's X509.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/crypto/keys.h>
#include <inkan/crypto/ossl.h>
#include <inkan/pki/x509.h>
#include <inkan/sign/signer.h>

namespace inkan::pki {

/// KeyUsage bits (RFC 5280 §4.2.1.3); combine with |.
namespace key_usage {
inline constexpr std::uint32_t kDigitalSignature = 1U << 0;
inline constexpr std::uint32_t kNonRepudiation = 1U << 1;  ///< contentCommitment
inline constexpr std::uint32_t kKeyEncipherment = 1U << 2;
inline constexpr std::uint32_t kDataEncipherment = 1U << 3;
inline constexpr std::uint32_t kKeyAgreement = 1U << 4;
inline constexpr std::uint32_t kKeyCertSign = 1U << 5;
inline constexpr std::uint32_t kCrlSign = 1U << 6;
}  // namespace key_usage

/// Extended key usage purposes (RFC 5280 §4.2.1.12).
namespace eku {
inline constexpr std::string_view kServerAuth = "1.3.6.1.5.5.7.3.1";
inline constexpr std::string_view kClientAuth = "1.3.6.1.5.5.7.3.2";
inline constexpr std::string_view kTimeStamping = "1.3.6.1.5.5.7.3.8";
inline constexpr std::string_view kOcspSigning = "1.3.6.1.5.5.7.3.9";
}  // namespace eku

/// QcType (EN 319 412-5 §4.2.3).
enum class QcType { ESign, ESeal, Web };

/// QCStatements (EN 319 412-5 §4.2).
struct QcStatements {
    bool compliance = true;      ///< QcCompliance 0.4.0.1862.1.1 (EU qualified certificate)
    std::optional<QcType> type;  ///< QcType 0.4.0.1862.1.6
    bool sscd = false;           ///< QcSSCD 0.4.0.1862.1.4 (the key is in a QSCD)
};

/// basicConstraints (RFC 5280 §4.2.1.9), always written critical.
struct BasicConstraints {
    bool ca = false;
    std::optional<unsigned> path_len;  ///< only with ca
};

/// The extensions inkan writes. Empty members are left out. Order in the certificate: basicConstraints,
/// keyUsage, extKeyUsage, SKI, AKI, subjectAltName, CRLDistributionPoints, AIA, certificatePolicies,
/// qcStatements, ocsp-nocheck.
struct Extensions {
    std::optional<BasicConstraints> basic_constraints;
    std::uint32_t key_usage = 0;  ///< key_usage::k* bits; 0 = no keyUsage extension (critical otherwise)
    std::vector<std::string> extended_key_usage;  ///< dotted OIDs
    bool extended_key_usage_critical = true;
    /// subjectKeyIdentifier = SHA-1 of the subjectPublicKey BIT STRING value (RFC 5280 §4.2.1.2 (1)).
    bool subject_key_identifier = true;
    std::optional<Bytes> authority_key_identifier;  ///< keyIdentifier (the issuer's SKI)
    std::vector<std::string> dns_names;             ///< subjectAltName dNSName
    std::vector<std::string> ip_addresses;          ///< subjectAltName iPAddress, IPv4 or IPv6 text
    std::vector<std::string> crl_urls;              ///< CRLDistributionPoints fullName URIs
    std::vector<std::string> ca_issuers_urls;       ///< AIA id-ad-caIssuers URIs
    std::vector<std::string> ocsp_urls;             ///< AIA id-ad-ocsp URIs
    std::vector<std::string> policies;              ///< certificatePolicies OIDs (no qualifiers)
    std::optional<QcStatements> qc_statements;
    bool ocsp_no_check = false;  ///< id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1), NULL
};

/// Everything a TBSCertificate (v3) holds except the signature algorithm.
struct CertificateTemplate {
    Bytes serial;      ///< positive magnitude, big-endian (see random_serial())
    Bytes issuer_der;  ///< the issuer's subject Name, DER, exactly as in its certificate
    Name subject;
    Validity validity;
    Bytes spki_der;  ///< the subject's SubjectPublicKeyInfo
    Extensions extensions;
};

/// SHA-1 of the subjectPublicKey BIT STRING value of a SubjectPublicKeyInfo (RFC 5280 §4.2.1.2
/// method 1; also RFC 6960's responder KeyHash). Errc::InvalidEncoding.
Bytes key_identifier(ByteView spki_der);
/// The subjectPublicKey BIT STRING value (no tag, length or unused-bits octet). Errc::InvalidEncoding.
Bytes subject_public_key_bits(ByteView spki_der);
/// DER of one Extension (RFC 5280 §4.1): SEQUENCE { extnID, critical (only if true), extnValue }.
Bytes encode_extension(std::string_view oid, bool critical, ByteView value_der);
/// The DER Extensions SEQUENCE for `ext` (without the [3] wrapper); `spki_der` feeds the SKI.
/// Errc::InvalidRequest for values DER cannot carry (an IP address that does not parse, a non-ASCII DNS
/// name or URI, path_len without ca).
Bytes encode_extensions(const Extensions& ext, ByteView spki_der);
/// The TBSCertificate DER. Errc::InvalidRequest: empty or non-positive serial, serial over 20 octets,
/// notAfter before notBefore, empty subject.
Bytes tbs_certificate(const CertificateTemplate& tmpl, const crypto::SignatureAlgorithm& alg);

/// An X.509 certificate, parsed by OpenSSL. Cheap to copy (shares the X509 by reference count).
class Certificate {
public:
    /// Errc::InvalidEncoding for anything but exactly one DER certificate.
    static Certificate from_der(ByteView der);
    /// The first certificate in PEM text. Errc::InvalidEncoding.
    static Certificate from_pem(std::string_view pem);
    /// A copy of `x509` (re-encoded and parsed); the caller keeps its reference.
    static Certificate from_x509(X509* x509);

    Certificate(const Certificate& other);
    Certificate& operator=(const Certificate& other);
    Certificate(Certificate&&) noexcept = default;
    Certificate& operator=(Certificate&&) noexcept = default;
    ~Certificate() = default;

    [[nodiscard]] const Bytes& der() const noexcept { return m_der; }
    [[nodiscard]] std::string pem() const;

    /// RFC 4514, UTF-8 kept (see name_to_string()).
    [[nodiscard]] std::string subject() const;
    [[nodiscard]] std::string issuer() const;
    [[nodiscard]] Name subject_name() const;
    [[nodiscard]] Name issuer_name() const;
    /// The subject / issuer Name DER exactly as encoded in the certificate.
    [[nodiscard]] Bytes subject_der() const;
    [[nodiscard]] Bytes issuer_der() const;

    /// Serial magnitude (big-endian, no sign octet).
    [[nodiscard]] Bytes serial() const;
    /// Upper-case hex (serial_hex()).
    [[nodiscard]] std::string serial_hex() const;
    [[nodiscard]] TimePoint not_before() const;
    [[nodiscard]] TimePoint not_after() const;

    [[nodiscard]] crypto::PublicKey public_key() const;
    [[nodiscard]] Bytes spki_der() const;

    /// An extension's extnValue (the DER inside the OCTET STRING) and criticality.
    struct Extension {
        std::string oid;
        bool critical = false;
        Bytes value;
    };
    [[nodiscard]] std::optional<Extension> extension(std::string_view oid) const;
    [[nodiscard]] std::vector<Extension> extensions() const;
    [[nodiscard]] std::optional<Bytes> subject_key_identifier() const;
    /// AKI keyIdentifier.
    [[nodiscard]] std::optional<Bytes> authority_key_identifier() const;
    /// The basicConstraints extension, if present.
    [[nodiscard]] std::optional<BasicConstraints> basic_constraints() const;
    /// basicConstraints cA.
    [[nodiscard]] bool is_ca() const;
    /// KeyUsage bits (key_usage::k*), or nullopt without the extension.
    [[nodiscard]] std::optional<std::uint32_t> key_usage() const;
    /// extKeyUsage OIDs (empty without the extension).
    [[nodiscard]] std::vector<std::string> extended_key_usage() const;

    /// True if `issuer_key` verifies this certificate's signature (X509_verify).
    [[nodiscard]] bool signed_by(const crypto::PublicKey& issuer_key) const;

    [[nodiscard]] X509* native() const noexcept { return m_x509.get(); }

private:
    Certificate(ossl::Cert x509, Bytes der) : m_x509{std::move(x509)}, m_der{std::move(der)} {}
    ossl::Cert m_x509;
    Bytes m_der;
};

/// Builds and signs a certificate: TBSCertificate from `tmpl` with `alg`'s AlgorithmIdentifier
/// (in the TBS and outside it, RFC 5280 §4.1.1.2), signed through `signer`. The signature is checked
/// against the signer's public key before the certificate is returned.
/// Errc::InvalidRequest (see tbs_certificate()), Errc::UnsupportedAlgorithm (alg does not fit the
/// signer's key), and whatever the signer throws (Errc::HsmFailure, ...).
Certificate sign_certificate(const CertificateTemplate& tmpl, sign::Signer& signer,
                             const crypto::SignatureAlgorithm& alg);

/// "-----BEGIN <label>-----" + base64 in 64-column lines + "-----END <label>-----\n".
std::string pem_encode(std::string_view label, ByteView der);
/// The PEM text of several certificates, in order.
std::string certificates_pem(const std::vector<Bytes>& ders);
/// Every CERTIFICATE block in PEM text, in order. Errc::InvalidEncoding if there is none or one
/// does not parse.
std::vector<Certificate> certificates_from_pem(std::string_view pem);

}  // namespace inkan::pki
