#include <inkan/client/remote_signer.h>

#include <inkan/core/error.h>
#include <openssl/x509.h>

#include <inkan/crypto/ossl.h>
#include <inkan/tsp/client.h>
#include <inkan/tsp/codec.h>

namespace inkan::client {

namespace {

crypto::PublicKey leaf_key(const CredentialInfo& info) {
    require(!info.certificates.empty(), Errc::InvalidRequest,
            "credential " + info.id + " has no certificate (credentials/info)");
    const Bytes& der = info.certificates.front();
    const unsigned char* p = der.data();
    const ossl::Cert cert{::d2i_X509(nullptr, &p, static_cast<long>(der.size()))};
    require(cert != nullptr, Errc::InvalidEncoding,
            "credential " + info.id + ": the certificate does not parse");
    EVP_PKEY* key = ::X509_get0_pubkey(cert.get());  // owned by the certificate
    require(key != nullptr, Errc::InvalidEncoding, "credential " + info.id + ": the certificate has no key");
    return crypto::PublicKey::from_evp(key);
}

}  // namespace

RemoteCscSigner::RemoteCscSigner(CscClient& client, std::string credential_id, FactorSource factors)
    : m_client{client},
      m_credential_id{std::move(credential_id)},
      m_factors{std::move(factors)},
      m_info{m_client.credential_info(m_credential_id)},
      m_public_key{leaf_key(m_info)} {
    require(m_info.key_enabled, Errc::InvalidRequest,
            "credential " + m_credential_id + ": the key is disabled or its certificate is not valid");
}

std::vector<crypto::SignatureAlgorithm> RemoteCscSigner::algorithms() const {
    return sign::default_algorithms(m_public_key.type());
}

Bytes RemoteCscSigner::sign(const crypto::SignatureAlgorithm& alg, ByteView digest) {
    require_supported(alg);
    require(digest.size() == crypto::digest_length(alg.digest), Errc::InvalidRequest,
            "remote signer: the digest length does not fit " + std::string{crypto::name(alg)});
    const Factors factors = m_factors ? m_factors(m_info) : Factors{};
    const std::vector<Bytes> hashes{Bytes{digest.begin(), digest.end()}};
    const Sad sad = m_client.authorize(m_credential_id, hashes, alg.digest, factors, 1);
    std::vector<Bytes> signatures = m_client.sign_hash(m_credential_id, sad.sad, hashes, alg);
    ++m_signatures;
    return std::move(signatures.front());
}

Bytes CscTimeStamper::stamp(crypto::DigestAlgorithm alg, ByteView digest) {
    Bytes token = m_client.timestamp(alg, digest);
    tsp::TimeStampReq request;
    request.imprint = tsp::make_imprint(alg, digest);
    (void)tsp::check_token(token, request, {});
    note_token(token.size());
    return token;
}

}  // namespace inkan::client
