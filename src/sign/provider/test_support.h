#pragma once

// Test helpers for the provider's tests: plain OpenSSL calls (the default provider as the oracle).

#include <ctime>
#include <string>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <inkan/core/bytes.h>
#include <inkan/crypto/ossl.h>

namespace inkan::sign::provider::testing {

/// Empties the calling thread's OpenSSL error queue into one line per error ("" if it was empty).
inline std::string drain_errors() {
    std::string out;
    const char* data = nullptr;
    int flags = 0;
    while (const unsigned long code = ::ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
        char text[256] = {};
        ::ERR_error_string_n(code, text, sizeof text);
        out += text;
        if (data != nullptr && (flags & ERR_TXT_STRING) != 0) {
            out += " (";
            out += data;
            out += ")";
        }
        out += "\n";
    }
    return out;
}

/// A BIGNUM key parameter as upper-case hex, "" if the key does not report it.
inline std::string bn_param(const EVP_PKEY* key, const char* name) {
    BIGNUM* bn = nullptr;
    if (::EVP_PKEY_get_bn_param(key, name, &bn) != 1) {
        return "";
    }
    const ossl::Bn owned{bn};
    char* hex = ::BN_bn2hex(bn);
    std::string out{hex};
    ::OPENSSL_free(hex);
    return out;
}

inline Bytes octet_param(const EVP_PKEY* key, const char* name) {
    std::size_t length = 0;
    if (::EVP_PKEY_get_octet_string_param(key, name, nullptr, 0, &length) != 1) {
        return {};
    }
    Bytes out(length);
    if (::EVP_PKEY_get_octet_string_param(key, name, out.data(), out.size(), &length) != 1) {
        return {};
    }
    out.resize(length);
    return out;
}

/// EVP_DigestSign over `message`; empty on failure.
inline Bytes digest_sign(EVP_PKEY* key, const char* digest, ByteView message) {
    const ossl::MdCtx ctx{::EVP_MD_CTX_new()};
    std::size_t length = 0;
    if (ctx == nullptr ||
        ::EVP_DigestSignInit_ex(ctx.get(), nullptr, digest, nullptr, nullptr, key, nullptr) != 1 ||
        ::EVP_DigestSign(ctx.get(), nullptr, &length, message.data(), message.size()) != 1) {
        return {};
    }
    Bytes signature(length);
    if (::EVP_DigestSign(ctx.get(), signature.data(), &length, message.data(), message.size()) != 1) {
        return {};
    }
    signature.resize(length);
    return signature;
}

/// EVP_DigestVerify with the default provider; `padding` 0 leaves the key type's default.
inline bool digest_verify(EVP_PKEY* public_key, const char* digest, ByteView message, ByteView signature,
                          int padding = 0, int saltlen = RSA_PSS_SALTLEN_AUTO) {
    const ossl::MdCtx ctx{::EVP_MD_CTX_new()};
    EVP_PKEY_CTX* pctx = nullptr;
    if (ctx == nullptr ||
        ::EVP_DigestVerifyInit_ex(ctx.get(), &pctx, digest, nullptr, nullptr, public_key, nullptr) != 1) {
        return false;
    }
    if (padding != 0 && (::EVP_PKEY_CTX_set_rsa_padding(pctx, padding) != 1 ||
                         ::EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, saltlen) != 1)) {
        return false;
    }
    const bool ok = ::EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                                       message.size()) == 1;
    ::ERR_clear_error();
    return ok;
}

/// i2d_PUBKEY (SubjectPublicKeyInfo DER).
inline Bytes spki_der(const EVP_PKEY* key) {
    unsigned char* der = nullptr;
    const int length = ::i2d_PUBKEY(key, &der);
    if (length <= 0) {
        return {};
    }
    Bytes out(der, der + length);
    ::OPENSSL_free(der);
    return out;
}

/// The signature context's OSSL_SIGNATURE_PARAM_ALGORITHM_ID.
inline Bytes algorithm_id(EVP_PKEY_CTX* pctx) {
    unsigned char buffer[256] = {};
    OSSL_PARAM params[] = {
        ::OSSL_PARAM_construct_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, buffer, sizeof buffer),
        ::OSSL_PARAM_construct_end(),
    };
    if (::EVP_PKEY_CTX_get_params(pctx, params) != 1) {
        return {};
    }
    return Bytes(buffer, buffer + params[0].return_size);
}

/// A self-signed certificate for `key`, signed through EVP_DigestSign* with `key` (X509_sign_ctx asks
/// the signature context for its AlgorithmIdentifier). Null on failure.
inline ossl::Cert self_signed(EVP_PKEY* key, const char* digest, bool pss = false) {
    ossl::Cert cert{::X509_new()};
    if (cert == nullptr || ::X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
        ::ASN1_INTEGER_set(::X509_get_serialNumber(cert.get()), 1) != 1 ||
        ::X509_gmtime_adj(::X509_getm_notBefore(cert.get()), 0) == nullptr ||
        ::X509_gmtime_adj(::X509_getm_notAfter(cert.get()), 3600) == nullptr) {
        return nullptr;
    }
    X509_NAME* name = ::X509_get_subject_name(cert.get());
    const std::string cn = "inkan provider test";
    if (::X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0) != 1 ||
        ::X509_set_issuer_name(cert.get(), name) != 1 || ::X509_set_pubkey(cert.get(), key) != 1) {
        return nullptr;
    }
    const ossl::MdCtx ctx{::EVP_MD_CTX_new()};
    EVP_PKEY_CTX* pctx = nullptr;
    if (::EVP_DigestSignInit_ex(ctx.get(), &pctx, digest, nullptr, nullptr, key, nullptr) != 1) {
        return nullptr;
    }
    if (pss && (::EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                ::EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)) {
        return nullptr;
    }
    if (::X509_sign_ctx(cert.get(), ctx.get()) <= 0) {
        return nullptr;
    }
    return cert;
}

}  // namespace inkan::sign::provider::testing
