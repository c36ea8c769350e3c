#include "signing.h"

#include <string>

#include <inkan/core/error.h>
#include <inkan/crypto/der.h>
#include <inkan/crypto/digest.h>

namespace inkan::pki::detail {

Bytes sign_tbs(ByteView tbs, sign::Signer& signer, const crypto::SignatureAlgorithm& alg) {
    if (!signer.supports(alg)) {
        throw Error{Errc::UnsupportedAlgorithm, "signature algorithm " + std::string{crypto::name(alg)} +
                                                    " does not fit the signing key"};
    }
    const Bytes digest = crypto::digest(alg.digest, tbs);
    Bytes signature = signer.sign(alg, digest);
    if (!signer.public_key().verify_digest(alg, digest, signature)) {
        throw Error{Errc::CryptoFailure,
                    "the signer returned a signature its own public key does not verify (" +
                        std::string{crypto::name(alg)} + ")"};
    }
    return signature;
}

Bytes signed_structure(ByteView tbs, sign::Signer& signer, const crypto::SignatureAlgorithm& alg) {
    const Bytes alg_id = crypto::algorithm_identifier(alg);
    const Bytes signature = sign_tbs(tbs, signer, alg);
    der::Writer w;
    w.sequence([&](der::Writer& s) {
        s.raw(tbs);
        s.raw(alg_id);
        s.bit_string(signature);
    });
    return w.take();
}

crypto::SignatureAlgorithm choose_algorithm(const sign::Signer& signer,
                                            const std::optional<crypto::SignatureAlgorithm>& preferred) {
    if (!preferred) {
        return sign::default_algorithm(signer.public_key());
    }
    if (!signer.supports(*preferred)) {
        throw Error{
            Errc::UnsupportedAlgorithm,
            "signature algorithm " + std::string{crypto::name(*preferred)} + " does not fit the signing key"};
    }
    return *preferred;
}

}  // namespace inkan::pki::detail
