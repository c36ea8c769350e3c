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

using NamePtr = ossl::Ptr<X509_NAME, ::X509_NAME_free>;
using ReqPtr = ossl::Ptr<X509_REQ, ::X509_REQ_free>;
using StorePtr = ossl::Store;
using StoreCtxPtr = ossl::StoreCtx;
using ossl::CertStack;
using ossl::ExtensionStack;

/// A read-only memory BIO over `data` (which must outlive it). Errc::PayloadTooLarge above INT_MAX.
ossl::Bio memory_bio(ByteView data);
/// An empty, writable memory BIO.
ossl::Bio memory_bio();
using ossl::bio_text;

/// `der` as a long for d2i_* (Errc::PayloadTooLarge above LONG_MAX).
long der_length(ByteView der);

/// ASN1_TIME → TimePoint (UTC). Times beyond what the system clock holds clamp to min()/max().
TimePoint to_time_point(const ASN1_TIME* t);

/// Parses exactly one X509 from DER (no trailing data). Errc::InvalidEncoding otherwise.
ossl::Cert parse_x509(ByteView der);

}  // namespace inkan::pki::detail
