#pragma once

// Internal to the pki layer: owners for the OpenSSL X.509 handles pki uses, and small helpers
// around the calls that take an `int`/`long` length.

#include <climits>
#include <string>
#include <string_view>

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/crypto/ossl.h>

namespace inkan::pki::detail {

inline void free_cert_stack(STACK_OF(X509) * s) noexcept {
    sk_X509_pop_free(s, ::X509_free);
}
inline void free_extension_stack(STACK_OF(X509_EXTENSION) * s) noexcept {
    sk_X509_EXTENSION_pop_free(s, ::X509_EXTENSION_free);
}

using NamePtr = ossl::Ptr<X509_NAME, ::X509_NAME_free>;
using ReqPtr = ossl::Ptr<X509_REQ, ::X509_REQ_free>;
using StorePtr = ossl::Ptr<X509_STORE, ::X509_STORE_free>;
using StoreCtxPtr = ossl::Ptr<X509_STORE_CTX, ::X509_STORE_CTX_free>;
using CertStack = ossl::Ptr<STACK_OF(X509), free_cert_stack>;
using ExtensionStack = ossl::Ptr<STACK_OF(X509_EXTENSION), free_extension_stack>;

/// A read-only memory BIO over `data` (which must outlive it). Errc::PayloadTooLarge above INT_MAX.
ossl::Bio memory_bio(ByteView data);
/// An empty, writable memory BIO.
ossl::Bio memory_bio();
/// Everything written to a memory BIO so far.
std::string bio_text(BIO* bio);

/// `der` as a long for d2i_* (Errc::PayloadTooLarge above LONG_MAX).
long der_length(ByteView der);

/// ASN1_TIME → TimePoint (UTC). Times beyond what the system clock holds clamp to min()/max().
TimePoint to_time_point(const ASN1_TIME* t);

/// Parses exactly one X509 from DER (no trailing data). Errc::InvalidEncoding otherwise.
ossl::Cert parse_x509(ByteView der);

}  // namespace inkan::pki::detail
