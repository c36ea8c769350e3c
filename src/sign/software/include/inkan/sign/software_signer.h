#pragma once

#include <inkan/crypto/keys.h>
#include <inkan/sign/signer.h>

namespace inkan::sign {

/// A Signer over a key in process memory. Unit tests only (target inkan_sign_software): it lets the
/// layers above test their structures without a token.
class SoftwareSigner final : public Signer {
public:
    explicit SoftwareSigner(crypto::PrivateKey key, std::vector<Bytes> chain = {});

    [[nodiscard]] std::vector<crypto::SignatureAlgorithm> algorithms() const override;
    [[nodiscard]] const crypto::PublicKey& public_key() const override { return m_public_key; }
    [[nodiscard]] std::vector<Bytes> certificate_chain() const override { return m_chain; }
    Bytes sign(const crypto::SignatureAlgorithm& alg, ByteView digest) override;

private:
    crypto::PrivateKey m_key;
    crypto::PublicKey m_public_key;
    std::vector<Bytes> m_chain;
};

}  // namespace inkan::sign
