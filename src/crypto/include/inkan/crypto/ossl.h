#pragma once

// OpenSSL 3 RAII: every handle has one owner, a unique_ptr with a stateless deleter.
// Only OpenSSL 3 APIs (no engines, no legacy key methods: OPENSSL_API_COMPAT is 30000).

#include <memory>
#include <string>
#include <string_view>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <inkan/core/error.h>

namespace inkan::crypto::ossl {

template <auto FreeFn>
struct Deleter {
    template <class T>
    void operator()(T* p) const noexcept {
        FreeFn(p);
    }
};
template <class T, auto FreeFn>
using Ptr = std::unique_ptr<T, Deleter<FreeFn>>;

using PKey = Ptr<EVP_PKEY, ::EVP_PKEY_free>;
using PKeyCtx = Ptr<EVP_PKEY_CTX, ::EVP_PKEY_CTX_free>;
using Md = Ptr<EVP_MD, ::EVP_MD_free>;
using MdCtx = Ptr<EVP_MD_CTX, ::EVP_MD_CTX_free>;
using Cert = Ptr<X509, ::X509_free>;
using Bio = Ptr<BIO, ::BIO_free_all>;
using Bn = Ptr<BIGNUM, ::BN_free>;
using EcdsaSig = Ptr<ECDSA_SIG, ::ECDSA_SIG_free>;
using Store = Ptr<X509_STORE, ::X509_STORE_free>;
using StoreCtx = Ptr<X509_STORE_CTX, ::X509_STORE_CTX_free>;

/// A STACK_OF(X509) that owns its certificates (pop_free), and one of extensions.
inline void free_cert_stack(STACK_OF(X509) * s) noexcept {
    sk_X509_pop_free(s, ::X509_free);
}
inline void free_extension_stack(STACK_OF(X509_EXTENSION) * s) noexcept {
    sk_X509_EXTENSION_pop_free(s, ::X509_EXTENSION_free);
}
using CertStack = Ptr<STACK_OF(X509), free_cert_stack>;
using ExtensionStack = Ptr<STACK_OF(X509_EXTENSION), free_extension_stack>;

/// Everything written to a memory BIO so far (CryptoFailure if it is not one).
std::string bio_text(BIO* bio);

/// Throws Error{code, "<what>: <every reason on OpenSSL's error queue>"} and empties the queue.
[[noreturn]] void throw_last_error(Errc code, std::string_view what);

/// For pointer-returning calls: throws (CryptoFailure) when p is null.
template <class T>
T* not_null(T* p, std::string_view what) {
    if (p == nullptr) {
        throw_last_error(Errc::CryptoFailure, what);
    }
    return p;
}
/// For calls that return 1 on success (and 0 or negative on failure).
inline void check(int rc, std::string_view what) {
    if (rc != 1) {
        throw_last_error(Errc::CryptoFailure, what);
    }
}

}  // namespace inkan::crypto::ossl

namespace inkan {
/// The OpenSSL handle owners are used by every layer above crypto under their short name.
namespace ossl = crypto::ossl;
}  // namespace inkan
