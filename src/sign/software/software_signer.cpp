#include <inkan/sign/software_signer.h>

namespace inkan::sign {

SoftwareSigner::SoftwareSigner(crypto::PrivateKey key, std::vector<Bytes> chain)
    : m_key{std::move(key)}, m_public_key{m_key.public_key()}, m_chain{std::move(chain)} {}

std::vector<crypto::SignatureAlgorithm> SoftwareSigner::algorithms() const {
    return default_algorithms(m_public_key.type());
}

Bytes SoftwareSigner::sign(const crypto::SignatureAlgorithm& alg, ByteView digest) {
    require_supported(alg);
    return m_key.sign_digest(alg, digest);
}

}  // namespace inkan::sign
