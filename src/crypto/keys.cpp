#include <array>
#include <climits>
#include <string>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <inkan/core/error.h>
#include <inkan/crypto/keys.h>
#include <inkan/crypto/legacy.h>

#include "md_fetch.h"

namespace inkan::crypto {

namespace {

/// RSA, or EC on P-256/384/521; anything else is Errc::UnsupportedAlgorithm.
KeyType classify(EVP_PKEY* key) {
    if (::EVP_PKEY_is_a(key, "RSA") == 1) {
        return KeyType::Rsa;
    }
    if (::EVP_PKEY_is_a(key, "EC") == 1) {
        std::array<char, 64> group{};
        std::size_t len = 0;
        if (::EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group.data(), group.size(),
                                             &len) != 1 ||
            !curve_from_name(std::string_view{group.data(), len})) {
            ::ERR_clear_error();
            throw Error{Errc::UnsupportedAlgorithm, "EC key on an unsupported curve"};
        }
        return KeyType::Ec;
    }
    const char* type = ::EVP_PKEY_get0_type_name(key);
    throw Error{Errc::UnsupportedAlgorithm,
                "unsupported key type " + std::string{type != nullptr ? type : "(unknown)"}};
}

ossl::Bio mem_bio(std::string_view text) {
    if (text.size() > static_cast<std::size_t>(INT_MAX)) {
        throw Error{Errc::PayloadTooLarge, "PEM text too large"};
    }
    return ossl::Bio{
        ossl::not_null(::BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), "BIO_new_mem_buf")};
}

int no_password(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) {
    return 0;
}

/// Checks that `alg` fits a key of `type` and `digest` its length, and prepares `ctx`
/// (after EVP_PKEY_sign_init / EVP_PKEY_verify_init) for it.
void configure(EVP_PKEY_CTX* ctx, KeyType type, const SignatureAlgorithm& alg, ByteView digest,
               bool legacy = false) {
    const bool fits = type == KeyType::Rsa
                          ? (alg.key_type == KeyType::Rsa &&
                             (alg.padding == Padding::Pkcs1v15 || alg.padding == Padding::Pss))
                          : (alg.key_type == KeyType::Ec && alg.padding == Padding::Ecdsa);
    if (!fits) {
        throw Error{Errc::UnsupportedAlgorithm, std::string{name(alg)} + " does not fit a " +
                                                    (type == KeyType::Rsa ? "RSA" : "EC") + " key"};
    }
    if (!spec(alg.digest).allowed_for_signing && !legacy) {
        throw Error{Errc::UnsupportedAlgorithm,
                    std::string{name(alg)} + ": digest not allowed for signatures"};
    }
    if (alg.padding == Padding::Pss && (!alg.pss || alg.pss->hash != alg.digest)) {
        throw Error{Errc::UnsupportedAlgorithm,
                    std::string{name(alg)} + " without matching RSASSA-PSS parameters"};
    }
    if (digest.size() != digest_length(alg.digest)) {
        throw Error{Errc::InvalidRequest, std::string{name(alg)} + ": digest must be " +
                                              std::to_string(digest_length(alg.digest)) + " octets, not " +
                                              std::to_string(digest.size())};
    }
    const ossl::Md md = detail::fetch_md(alg.digest);
    // With a signature digest set, OpenSSL builds the PKCS#1 DigestInfo itself.
    ossl::check(::EVP_PKEY_CTX_set_signature_md(ctx, md.get()), "EVP_PKEY_CTX_set_signature_md");
    if (alg.padding == Padding::Pkcs1v15) {
        ossl::check(::EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), "EVP_PKEY_CTX_set_rsa_padding");
    } else if (alg.padding == Padding::Pss) {
        const PssParams& p = *alg.pss;
        if (!spec(p.mgf1_hash).allowed_for_signing) {
            throw Error{Errc::UnsupportedAlgorithm, "RSASSA-PSS with MGF1-SHA-1"};
        }
        if (p.salt_length > 1024) {
            throw Error{Errc::UnsupportedAlgorithm,
                        "RSASSA-PSS salt length " + std::to_string(p.salt_length)};
        }
        const ossl::Md mgf1 = detail::fetch_md(p.mgf1_hash);
        ossl::check(::EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING),
                    "EVP_PKEY_CTX_set_rsa_padding");
        ossl::check(::EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, mgf1.get()), "EVP_PKEY_CTX_set_rsa_mgf1_md");
        ossl::check(::EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, static_cast<int>(p.salt_length)),
                    "EVP_PKEY_CTX_set_rsa_pss_saltlen");
    }
}

}  // namespace

// ================================ PublicKey ================================

PublicKey PublicKey::from_spki(ByteView spki_der) {
    if (spki_der.size() > static_cast<std::size_t>(LONG_MAX)) {
        throw Error{Errc::PayloadTooLarge, "SubjectPublicKeyInfo too large"};
    }
    const unsigned char* p = spki_der.data();
    ossl::PKey key{::d2i_PUBKEY(nullptr, &p, static_cast<long>(spki_der.size()))};
    if (!key) {
        ossl::throw_last_error(Errc::InvalidEncoding, "d2i_PUBKEY");
    }
    if (p != spki_der.data() + spki_der.size()) {
        throw Error{Errc::InvalidEncoding, "trailing data after the SubjectPublicKeyInfo"};
    }
    const KeyType type = classify(key.get());
    return PublicKey{std::move(key), type};
}

PublicKey PublicKey::from_pem(std::string_view pem) {
    const ossl::Bio bio = mem_bio(pem);
    ossl::PKey key{::PEM_read_bio_PUBKEY(bio.get(), nullptr, no_password, nullptr)};
    if (!key) {
        ossl::throw_last_error(Errc::InvalidEncoding, "PEM_read_bio_PUBKEY");
    }
    const KeyType type = classify(key.get());
    return PublicKey{std::move(key), type};
}

PublicKey PublicKey::from_evp(EVP_PKEY* key) {
    require(key != nullptr, Errc::Internal, "PublicKey::from_evp(nullptr)");
    ossl::check(::EVP_PKEY_up_ref(key), "EVP_PKEY_up_ref");
    ossl::PKey owned{key};
    const KeyType type = classify(owned.get());
    return PublicKey{std::move(owned), type};
}

std::size_t PublicKey::bits() const {
    const int bits = ::EVP_PKEY_get_bits(m_key.get());
    if (bits <= 0) {
        ossl::throw_last_error(Errc::CryptoFailure, "EVP_PKEY_get_bits");
    }
    return static_cast<std::size_t>(bits);
}

std::optional<Curve> PublicKey::curve() const {
    if (m_type != KeyType::Ec) {
        return std::nullopt;
    }
    std::array<char, 64> group{};
    std::size_t len = 0;
    ossl::check(::EVP_PKEY_get_utf8_string_param(m_key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group.data(),
                                                 group.size(), &len),
                "EVP_PKEY_get_utf8_string_param(group)");
    return curve_from_name(std::string_view{group.data(), len});
}

Bytes PublicKey::spki_der() const {
    const int len = ::i2d_PUBKEY(m_key.get(), nullptr);
    if (len <= 0) {
        ossl::throw_last_error(Errc::CryptoFailure, "i2d_PUBKEY");
    }
    Bytes out(static_cast<std::size_t>(len));
    unsigned char* p = out.data();
    if (::i2d_PUBKEY(m_key.get(), &p) != len) {
        ossl::throw_last_error(Errc::CryptoFailure, "i2d_PUBKEY");
    }
    return out;
}

std::string PublicKey::pem() const {
    const ossl::Bio bio{ossl::not_null(::BIO_new(::BIO_s_mem()), "BIO_new")};
    ossl::check(::PEM_write_bio_PUBKEY(bio.get(), m_key.get()), "PEM_write_bio_PUBKEY");
    return ossl::bio_text(bio.get());
}

namespace {

bool verify_with(EVP_PKEY* key, KeyType type, const SignatureAlgorithm& alg, ByteView digest,
                 ByteView signature, bool legacy) {
    const ossl::PKeyCtx ctx{
        ossl::not_null(::EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr), "EVP_PKEY_CTX_new_from_pkey")};
    ossl::check(::EVP_PKEY_verify_init(ctx.get()), "EVP_PKEY_verify_init");
    configure(ctx.get(), type, alg, digest, legacy);
    const int rc =
        ::EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), digest.data(), digest.size());
    if (rc != 1) {
        // 0 is a wrong signature; a negative value a malformed one (bad DER, wrong length).
        ::ERR_clear_error();
        return false;
    }
    return true;
}

}  // namespace

bool PublicKey::verify_digest(const SignatureAlgorithm& alg, ByteView digest, ByteView signature) const {
    return verify_with(m_key.get(), m_type, alg, digest, signature, false);
}

bool verify_legacy_digest(const PublicKey& key, const SignatureAlgorithm& alg, ByteView digest,
                          ByteView signature) {
    return verify_with(key.native(), key.type(), alg, digest, signature, true);
}

bool PublicKey::same_key(const PublicKey& other) const {
    const int rc = ::EVP_PKEY_eq(m_key.get(), other.m_key.get());
    ::ERR_clear_error();
    return rc == 1;
}

// ================================ PrivateKey ================================

PrivateKey PrivateKey::generate_rsa(unsigned bits) {
    if (bits < 2048 || bits > 16384) {
        throw Error{Errc::InvalidRequest,
                    "RSA key size must be 2048..16384 bits, not " + std::to_string(bits)};
    }
    ossl::PKey key{::EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits))};
    if (!key) {
        ossl::throw_last_error(Errc::CryptoFailure, "EVP_PKEY_Q_keygen(RSA)");
    }
    return PrivateKey{std::move(key), KeyType::Rsa};
}

PrivateKey PrivateKey::generate_ec(Curve curve) {
    const std::string group{spec(curve).openssl_name};
    ossl::PKey key{::EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", group.c_str())};
    if (!key) {
        ossl::throw_last_error(Errc::CryptoFailure, "EVP_PKEY_Q_keygen(EC " + group + ")");
    }
    return PrivateKey{std::move(key), KeyType::Ec};
}

PrivateKey PrivateKey::from_pem(std::string_view pem) {
    const ossl::Bio bio = mem_bio(pem);
    // no_password: an encrypted key fails instead of prompting on the terminal.
    ossl::PKey key{::PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr)};
    if (!key) {
        ossl::throw_last_error(Errc::InvalidEncoding, "PEM_read_bio_PrivateKey");
    }
    const KeyType type = classify(key.get());
    return PrivateKey{std::move(key), type};
}

PublicKey PrivateKey::public_key() const {
    // Through the SPKI encoding, so the PublicKey holds no private material.
    const int len = ::i2d_PUBKEY(m_key.get(), nullptr);
    if (len <= 0) {
        ossl::throw_last_error(Errc::CryptoFailure, "i2d_PUBKEY");
    }
    Bytes spki(static_cast<std::size_t>(len));
    unsigned char* p = spki.data();
    if (::i2d_PUBKEY(m_key.get(), &p) != len) {
        ossl::throw_last_error(Errc::CryptoFailure, "i2d_PUBKEY");
    }
    return PublicKey::from_spki(spki);
}

Bytes PrivateKey::sign_digest(const SignatureAlgorithm& alg, ByteView digest) const {
    const ossl::PKeyCtx ctx{ossl::not_null(::EVP_PKEY_CTX_new_from_pkey(nullptr, m_key.get(), nullptr),
                                           "EVP_PKEY_CTX_new_from_pkey")};
    ossl::check(::EVP_PKEY_sign_init(ctx.get()), "EVP_PKEY_sign_init");
    configure(ctx.get(), m_type, alg, digest);
    std::size_t len = 0;
    if (::EVP_PKEY_sign(ctx.get(), nullptr, &len, digest.data(), digest.size()) != 1) {
        ossl::throw_last_error(Errc::CryptoFailure, "EVP_PKEY_sign (length)");
    }
    Bytes sig(len);
    if (::EVP_PKEY_sign(ctx.get(), sig.data(), &len, digest.data(), digest.size()) != 1) {
        ossl::throw_last_error(Errc::CryptoFailure, "EVP_PKEY_sign");
    }
    sig.resize(len);
    return sig;
}

std::string PrivateKey::pem() const {
    const ossl::Bio bio{ossl::not_null(::BIO_new(::BIO_s_mem()), "BIO_new")};
    ossl::check(::PEM_write_bio_PrivateKey(bio.get(), m_key.get(), nullptr, nullptr, 0, nullptr, nullptr),
                "PEM_write_bio_PrivateKey");
    return ossl::bio_text(bio.get());
}

}  // namespace inkan::crypto
