#pragma once

#include <inkan/hsm/token.h>
#include <inkan/sign/signer.h>

namespace inkan::sign {

/// A Signer over a private key in the HSM, named by its CKA_ID. The token must outlive the signer.
class HsmSigner final : public Signer {
public:
    /// Reads the public key from the token once. Errc::NotFound if no key has this id.
    HsmSigner(hsm::Token& token, Bytes key_id, std::vector<Bytes> chain = {});
    /// With the public key already known — a credential's certificate, checked to certify this HSM key
    /// when it was imported — so that a signature costs the token one call, not two.
    HsmSigner(hsm::Token& token, Bytes key_id, crypto::PublicKey public_key, std::vector<Bytes> chain);

    [[nodiscard]] std::vector<crypto::SignatureAlgorithm> algorithms() const override;
    [[nodiscard]] const crypto::PublicKey& public_key() const override { return m_public_key; }
    [[nodiscard]] std::vector<Bytes> certificate_chain() const override { return m_chain; }
    Bytes sign(const crypto::SignatureAlgorithm& alg, ByteView digest) override;

    [[nodiscard]] const Bytes& key_id() const noexcept { return m_key_id; }

private:
    hsm::Token& m_token;
    Bytes m_key_id;
    crypto::PublicKey m_public_key;
    std::vector<Bytes> m_chain;
};

}  // namespace inkan::sign
