#pragma once

// A sign::Signer whose key lives at a CSC service: every sign(alg, digest) is
// credentials/authorize for exactly that digest (the SAD binds it at SCAL 2) followed by
// signatures/signHash. So ades' PAdES and CAdES code signs at the client just as it does with an HSM
// key on the server. And a TimeStamper over the service's signatures/timestamp, for B-T.

#include <functional>
#include <string>
#include <vector>

#include <inkan/ades/time_stamper.h>
#include <inkan/client/csc_client.h>
#include <inkan/crypto/keys.h>
#include <inkan/sign/signer.h>

namespace inkan::client {

/// Asked once per signature for the factors credentials/authorize needs (a PIN, and an OTP when the
/// credential's authInfo names one): from the environment or a prompt, never from argv.
using FactorSource = std::function<Factors(const CredentialInfo&)>;

class RemoteCscSigner final : public sign::Signer {
public:
    /// Reads credentials/info (certificate chain, key algorithms, SCAL, factors). Errc::InvalidRequest
    /// for a credential without a certificate or whose key is disabled; the client's errors.
    RemoteCscSigner(CscClient& client, std::string credential_id, FactorSource factors);

    [[nodiscard]] std::vector<crypto::SignatureAlgorithm> algorithms() const override;
    [[nodiscard]] const crypto::PublicKey& public_key() const override { return m_public_key; }
    [[nodiscard]] std::vector<Bytes> certificate_chain() const override { return m_info.certificates; }
    /// authorize (one signature, this digest) + signHash. The service's refusals as the client's errors.
    Bytes sign(const crypto::SignatureAlgorithm& alg, ByteView digest) override;

    [[nodiscard]] const CredentialInfo& info() const noexcept { return m_info; }
    /// How many signatures this signer made (each one an authorisation).
    [[nodiscard]] int signatures() const noexcept { return m_signatures; }

private:
    CscClient& m_client;
    std::string m_credential_id;
    FactorSource m_factors;
    CredentialInfo m_info;
    crypto::PublicKey m_public_key;
    int m_signatures = 0;
};

/// B-T time-stamps from the service's signatures/timestamp (CSC v1 §11.10, v2 §11.12). Each token is
/// checked (tsp::check_token: imprint, CMS signature, the TSA certificate's timeStamping EKU) before use.
class CscTimeStamper final : public ades::TimeStamper {
public:
    explicit CscTimeStamper(CscClient& client) : m_client{client} {}
    Bytes stamp(crypto::DigestAlgorithm alg, ByteView digest) override;

private:
    CscClient& m_client;
};

}  // namespace inkan::client
