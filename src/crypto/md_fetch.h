#pragma once

// Internal to the crypto layer: fetching OpenSSL digest implementations.

#include <inkan/crypto/algorithms.h>
#include <inkan/crypto/ossl.h>

namespace inkan::crypto::detail {

/// EVP_MD_fetch for `alg` (default library context); Errc::CryptoFailure if the provider lacks it.
ossl::Md fetch_md(DigestAlgorithm alg);

}  // namespace inkan::crypto::detail
