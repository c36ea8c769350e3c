#pragma once

// An in-process OpenSSL 3 provider ("inkan-signer") that turns a Signer into an EVP_PKEY, so that
// code which only speaks EVP (libssl's handshake, X509_sign, CMS) can sign with a key that never
// leaves the HSM. Debian 12 has no pkcs11-provider and the ENGINE API is compiled out
// (OPENSSL_NO_DEPRECATED), hence this small provider of our own.
//
// What the EVP_PKEY can do:
//   - sign: EVP_DigestSign* (the message is hashed here, the digest is signed by Signer::sign) and
//     EVP_PKEY_sign over a pre-computed digest; ECDSA (DER) and RSA PKCS#1 v1.5 / PSS (salt "digest",
//     "max", "auto" or a number; MGF1 digest settable); OSSL_SIGNATURE_PARAM_ALGORITHM_ID for X.509/CMS;
//   - describe itself: bits, security bits, max signature size, EC group, public key, RSA n/e,
//     default digest; compare equal (EVP_PKEY_eq, X509_check_private_key) to its public key;
//   - export its public key (i2d_PUBKEY, EVP_PKEY_todata with EVP_PKEY_PUBLIC_KEY).
// What it cannot do: export the private key (i2d_PrivateKey, PEM_write_PrivateKey and
// EVP_PKEY_todata(EVP_PKEY_KEYPAIR) fail), verify, decrypt (so TLS 1.2 static-RSA key exchange, the
// TLS_RSA_WITH_* suites, cannot work: keep them out of a server's cipher list), derive.
//
// The provider lives in a library context of its own (library_context(), with OpenSSL's default
// provider loaded beside it for digests), never in the default one: the process's other fetches of
// "EC", "RSA" or "ECDSA" (certificate parsing, peer verification) can then never pick this provider's
// implementations, which only sign. The EVP_PKEY is nevertheless used with the default library
// context, as libssl does (SSL_CTX_new): OpenSSL finds the signature implementation through the key's
// own provider when the default provider cannot take the key.

#include <memory>
#include <string_view>

#include <openssl/types.h>

#include <inkan/crypto/ossl.h>
#include <inkan/sign/signer.h>

namespace inkan::sign::provider {

/// The provider's name in its library context (OSSL_PROVIDER_get0_name).
inline constexpr std::string_view kProviderName = "inkan-signer";

/// An EVP_PKEY whose private-key operations are `signer`'s: RSA or EC (P-256/384/521), whatever
/// signer->public_key() is. The key keeps the signer alive (shared ownership) and may be used from
/// any number of threads at once if the signer may (HsmSigner may; its Token must outlive the key).
/// Registers the provider on first use (thread-safe).
/// Errc::InvalidRequest if signer is null; Errc::CryptoFailure if OpenSSL refuses the key.
ossl::PKey make_evp_pkey(std::shared_ptr<Signer> signer);

/// The library context that holds the provider (and OpenSSL's default provider). Created on first
/// use and never freed: keys made here may live until the process exits. Useful for diagnostics;
/// make_evp_pkey() needs no library context from its caller.
OSSL_LIB_CTX* library_context();

/// True if `key` was made by make_evp_pkey() (its key management is this provider's).
bool is_signer_key(const EVP_PKEY* key) noexcept;

}  // namespace inkan::sign::provider
