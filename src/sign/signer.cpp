#include <inkan/sign/signer.h>

#include <algorithm>
#include <string>

#include <inkan/core/error.h>

namespace inkan::sign {

using crypto::DigestAlgorithm;
using crypto::SignatureAlgorithm;

namespace {
// SHA-1 is deliberately absent: it is not a signing digest (SOG-IS, ETSI TS 119 312).
constexpr DigestAlgorithm kSigningDigests[] = {DigestAlgorithm::Sha256, DigestAlgorithm::Sha384,
                                               DigestAlgorithm::Sha512, DigestAlgorithm::Sha3_256,
                                               DigestAlgorithm::Sha3_512};
}  // namespace

bool key_supports(crypto::KeyType key, const SignatureAlgorithm& alg) {
    if (alg.padding == crypto::Padding::Pss && alg.pss && key == crypto::KeyType::Rsa) {
        return spec(alg.digest).allowed_for_signing && spec(alg.pss->mgf1_hash).allowed_for_signing &&
               alg.pss->hash == alg.digest;
    }
    const auto algs = default_algorithms(key);
    return std::find(algs.begin(), algs.end(), alg) != algs.end();
}

bool Signer::supports(const SignatureAlgorithm& alg) const {
    if (alg.padding == crypto::Padding::Pss && alg.pss) {
        return key_supports(public_key().type(), alg);
    }
    const auto algs = algorithms();
    return std::find(algs.begin(), algs.end(), alg) != algs.end();
}

void Signer::require_supported(const SignatureAlgorithm& alg) const {
    if (!supports(alg)) {
        throw Error{
            Errc::UnsupportedAlgorithm,
            std::string{"signature algorithm "} + std::string{crypto::name(alg)} + " does not fit this key"};
    }
}

std::vector<SignatureAlgorithm> default_algorithms(crypto::KeyType type) {
    std::vector<SignatureAlgorithm> out;
    for (const DigestAlgorithm d : kSigningDigests) {
        if (type == crypto::KeyType::Rsa) {
            out.push_back(SignatureAlgorithm::rsa_pkcs1(d));
            // PSS is advertised over SHA-2 only: SoftHSM 2.6 (and other modules) refuse PSS parameters
            // with SHA-3 (CKR_ARGUMENTS_BAD), and CSC clients use SHA-2 PSS. A client may still ask for
            // other PSS parameters; a module that cannot do them answers UnsupportedAlgorithm.
            if (d != DigestAlgorithm::Sha3_256 && d != DigestAlgorithm::Sha3_512) {
                out.push_back(SignatureAlgorithm::rsa_pss(d));
            }
        } else {
            out.push_back(SignatureAlgorithm::ecdsa(d));
        }
    }
    return out;
}

SignatureAlgorithm default_algorithm(const crypto::PublicKey& key) {
    if (key.type() == crypto::KeyType::Rsa) {
        return SignatureAlgorithm::rsa_pkcs1(DigestAlgorithm::Sha256);
    }
    switch (key.curve().value_or(crypto::Curve::P256)) {
        case crypto::Curve::P256:
            return SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256);
        case crypto::Curve::P384:
            return SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha384);
        case crypto::Curve::P521:
            return SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha512);
    }
    return SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256);
}

}  // namespace inkan::sign
