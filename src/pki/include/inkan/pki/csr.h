#pragma once

// PKCS#10 certification requests (RFC 2986). inkan builds the CertificationRequestInfo with its DER
// writer and has the key being certified sign it through a sign::Signer: an HSM key signs its own
// CSR, it is never exported. OpenSSL parses and verifies CSRs that come in.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/crypto/keys.h>
#include <inkan/crypto/ossl.h>
#include <inkan/pki/x509.h>
#include <inkan/sign/signer.h>

namespace inkan::pki {

/// What a CSR asks for besides subject and key: subjectAltName entries, carried in a PKCS#9
/// extensionRequest attribute (RFC 2985 §5.4.2).
struct CsrOptions {
    std::vector<std::string> dns_names;
    std::vector<std::string> ip_addresses;
    /// Default: sign::default_algorithm() for the signer's key.
    std::optional<crypto::SignatureAlgorithm> signature_algorithm;
};

/// A parsed PKCS#10 request. Parsing does not verify the signature: call verify() (profiles and
/// connectors do).
class Csr {
public:
    /// Errc::InvalidEncoding for anything but exactly one DER CertificationRequest.
    static Csr from_der(ByteView der);
    /// "CERTIFICATE REQUEST" (or "NEW CERTIFICATE REQUEST") PEM. Errc::InvalidEncoding.
    static Csr from_pem(std::string_view pem);

    [[nodiscard]] const Bytes& der() const noexcept { return m_der; }
    [[nodiscard]] std::string pem() const;

    /// True if the request's signature verifies with its own public key (X509_REQ_verify): the
    /// requester holds the private key.
    [[nodiscard]] bool verify() const;
    /// Errc::InvalidRequest unless verify().
    void require_valid() const;

    [[nodiscard]] Name subject_name() const;
    /// RFC 4514.
    [[nodiscard]] std::string subject() const;
    /// Errc::UnsupportedAlgorithm for a key that is neither RSA nor EC P-256/384/521.
    [[nodiscard]] crypto::PublicKey public_key() const;
    [[nodiscard]] Bytes spki_der() const;
    /// dNSName entries of a requested subjectAltName (extensionRequest), if any.
    [[nodiscard]] std::vector<std::string> requested_dns_names() const;
    /// iPAddress entries of a requested subjectAltName, as text.
    [[nodiscard]] std::vector<std::string> requested_ip_addresses() const;

    [[nodiscard]] X509_REQ* native() const noexcept { return m_req.get(); }

private:
    using ReqPtr = ossl::Ptr<X509_REQ, ::X509_REQ_free>;
    Csr(ReqPtr req, Bytes der) : m_req{std::move(req)}, m_der{std::move(der)} {}
    ReqPtr m_req;
    Bytes m_der;
};

/// Builds a CSR for the signer's key: CertificationRequestInfo { version 0, subject, SPKI (from
/// signer.public_key()), attributes [0] (extensionRequest when options ask for SANs) }, signed
/// through `signer`. Errc::InvalidRequest (bad SAN values), Errc::UnsupportedAlgorithm, and whatever
/// the signer throws.
Csr create_csr(const Name& subject, sign::Signer& signer, const CsrOptions& options = {});

}  // namespace inkan::pki
