#pragma once

// A CaConnector for CAs that speak CMP (RFC 4210, updated by RFC 9480), through OpenSSL's
// OSSL_CMP client. inkan acts as a registration authority: the CSR was signed by the key being
// certified (in the HSM), inkan checks it and forwards the request to the CA.
//
// Requests:
//   p10cr  the PKCS#10 CSR as it is (RFC 4210 §5.3.1 "p10cr"); the CA checks its signature.
//   ir     a CRMF initialization request (RFC 4211) carrying the CSR's subject, public key and
//          requested extensions, with proof of possession "raVerified" (RFC 4211 §4.1): inkan has
//          verified the CSR's signature itself. OpenSSL 3.0 signs a CRMF POP only with an EVP_PKEY
//          holding the private key, and the key being certified stays in the HSM behind a Signer
//          that this interface does not receive, so a signature POP is not sent; the CA must accept
//          raVerified from this RA (an `openssl cmp` server needs -accept_raverified).
//
// Protection of every CMP message (RFC 4210 §5.1.3):
//   MAC        PBMAC with a reference (senderKID) and a shared secret that the CA issued.
//   Signature  the RA's own protection credential: a certificate and private key (PEM files) the
//              CA knows. This key authenticates inkan to the CA; it is not a user's signing key and
//              never signs certificates or documents.
//
// Each enrol() uses its own OSSL_CMP_CTX, so one connector may be used from several threads.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include <inkan/core/secret.h>
#include <inkan/pki/connector.h>

namespace inkan::pki {

struct CmpConfig {
    enum class Protection { Mac, Signature };
    enum class RequestType { P10cr, Ir };

    /// The CA's name in inkan's configuration.
    std::string name;
    /// http://host[:port]/path of the CMP endpoint (RFC 6712 transfer). https is not supported:
    /// CMP messages are protected end to end either way.
    std::string server_url;
    /// HTTP proxy ("host:port" or "http://host:port"). Empty: OpenSSL reads http_proxy/no_proxy
    /// from the environment.
    std::string proxy;
    /// The CA for the PKIHeader recipient field, RFC 4514 ("CN=Example CA,O=Example,C=JP").
    /// Empty: the subject of the server's certificate when known, else the NULL-DN.
    std::string recipient;
    /// PEM certificates trusted to sign the CA's responses (signature-protected responses need it).
    /// When set, the newly enrolled certificate must also chain to one of them, or inkan refuses it
    /// in its certConf.
    std::filesystem::path trusted;
    /// PEM intermediates for those chains (optional).
    std::filesystem::path untrusted;

    Protection protection = Protection::Mac;
    /// MAC: the reference value (senderKID) and the shared secret.
    std::string reference;
    Secret secret;
    /// Signature: the RA's protection certificate and its unencrypted private key (PEM), and
    /// optionally its chain (PEM) to send in extraCerts.
    std::filesystem::path client_cert;
    std::filesystem::path client_key;
    std::filesystem::path client_chain;

    RequestType request_type = RequestType::P10cr;
    /// Per message (request → response) and for the whole enrolment including polling.
    std::chrono::seconds message_timeout{30};
    std::chrono::seconds total_timeout{120};
    /// Ask the CA to skip certConf/pkiConf (RFC 4210 §5.1.1.1 implicitConfirm); the CA decides.
    bool implicit_confirm = false;
};

class CmpConnector final : public CaConnector {
public:
    /// Checks the configuration and loads its files. Errc::InvalidConfig: a bad URL (or https), a
    /// missing reference or secret for MAC, a missing or unreadable certificate or key, a key that
    /// does not match its certificate, a bad recipient name, timeouts that are not positive.
    explicit CmpConnector(CmpConfig config);
    ~CmpConnector() override;
    CmpConnector(const CmpConnector&) = delete;
    CmpConnector& operator=(const CmpConnector&) = delete;

    [[nodiscard]] std::string name() const override;
    [[nodiscard]] std::string kind() const override { return "cmp"; }
    [[nodiscard]] std::string describe() const override;

    /// Sends the CSR and waits for the certificate. The result's chain is the new certificate
    /// followed by its issuers toward the root, as far as the response (extraCerts, caPubs) and
    /// the configured trusted/untrusted certificates allow.
    /// Errc::InvalidRequest: the CSR does not parse or its signature does not verify.
    /// Errc::Unavailable: the CA cannot be reached, does not answer within the timeouts, or sends
    ///   something that is not an HTTP/CMP response.
    /// Errc::Forbidden: the CA rejected the request (PKIStatus rejection; the message carries its
    ///   status, failInfo and text), or the exchange could not be authenticated (a wrong shared
    ///   secret, an untrusted server certificate).
    /// Errc::CryptoFailure: the CA issued a certificate inkan refuses (its public key is not the
    ///   CSR's, or it does not chain to `trusted`); inkan says so to the CA in certConf.
    EnrolmentResult enrol(const EnrolmentRequest& request) override;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace inkan::pki
