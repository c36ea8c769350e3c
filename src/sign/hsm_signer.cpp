#include <inkan/sign/hsm_signer.h>

namespace inkan::sign {

HsmSigner::HsmSigner(hsm::Token& token, Bytes key_id, std::vector<Bytes> chain)
    : m_token{token},
      m_key_id{std::move(key_id)},
      m_public_key{crypto::PublicKey::from_spki(m_token.public_key_spki(m_key_id))},
      m_chain{std::move(chain)} {}

HsmSigner::HsmSigner(hsm::Token& token, Bytes key_id, crypto::PublicKey public_key, std::vector<Bytes> chain)
    : m_token{token},
      m_key_id{std::move(key_id)},
      m_public_key{std::move(public_key)},
      m_chain{std::move(chain)} {}

std::vector<crypto::SignatureAlgorithm> HsmSigner::algorithms() const {
    return default_algorithms(m_public_key.type());
}

Bytes HsmSigner::sign(const crypto::SignatureAlgorithm& alg, ByteView digest) {
    // Refused here with a clear message before the token is asked (it would only say
    // CKR_KEY_TYPE_INCONSISTENT).
    require_supported(alg);
    return m_token.sign(m_key_id, alg, digest);
}

}  // namespace inkan::sign
