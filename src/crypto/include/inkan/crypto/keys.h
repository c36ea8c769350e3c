#pragma once

#include <optional>
#include <string>

#include <inkan/core/bytes.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/crypto/ossl.h>

namespace inkan::crypto {

/// A public key (from a SubjectPublicKeyInfo or an X.509 certificate). Used to check signatures
/// that the HSM or a remote signer produced, and to compare keys (certificate import).
class PublicKey {
public:
    /// Errc::InvalidEncoding for bad DER; Errc::UnsupportedAlgorithm for a key that is neither RSA nor
    /// P-256/384/521.
    static PublicKey from_spki(ByteView spki_der);
    static PublicKey from_pem(std::string_view pem);
    /// Takes one reference.
    static PublicKey from_evp(EVP_PKEY* key);

    [[nodiscard]] KeyType type() const noexcept { return m_type; }
    /// RSA modulus bits, or the curve's bits.
    [[nodiscard]] std::size_t bits() const;
    [[nodiscard]] std::optional<Curve> curve() const;
    [[nodiscard]] Bytes spki_der() const;
    [[nodiscard]] std::string pem() const;

    /// Verifies `signature` over a pre-computed `digest` (RSA: raw signature; ECDSA: DER).
    /// Returns false for a wrong signature; throws Errc::UnsupportedAlgorithm if alg does not fit
    /// this key and Errc::InvalidRequest if digest has the wrong length.
    [[nodiscard]] bool verify_digest(const SignatureAlgorithm& alg, ByteView digest,
                                     ByteView signature) const;

    [[nodiscard]] EVP_PKEY* native() const noexcept { return m_key.get(); }
    [[nodiscard]] bool same_key(const PublicKey& other) const;

private:
    PublicKey(ossl::PKey key, KeyType type) : m_key{std::move(key)}, m_type{type} {}
    ossl::PKey m_key;
    KeyType m_type;
};

/// A private key in process memory. For tests and tools only: service keys live in the HSM.
class PrivateKey {
public:
    static PrivateKey generate_rsa(unsigned bits);
    static PrivateKey generate_ec(Curve curve);
    static PrivateKey from_pem(std::string_view pem);

    [[nodiscard]] KeyType type() const noexcept { return m_type; }
    [[nodiscard]] PublicKey public_key() const;
    /// Signs a pre-computed digest: RSA raw signature bytes; ECDSA DER.
    [[nodiscard]] Bytes sign_digest(const SignatureAlgorithm& alg, ByteView digest) const;
    [[nodiscard]] std::string pem() const;  ///< PKCS#8 PEM, unencrypted (tests only)
    [[nodiscard]] EVP_PKEY* native() const noexcept { return m_key.get(); }

private:
    PrivateKey(ossl::PKey key, KeyType type) : m_key{std::move(key)}, m_type{type} {}
    ossl::PKey m_key;
    KeyType m_type;
};

}  // namespace inkan::crypto
