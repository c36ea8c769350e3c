#pragma once

// The CSC v1 §8.3.1 account_token reader of OAuth::verify_account_token on its own (also the entry
// point of the fuzz target fuzz/targets/oauth.cpp): everything but the age and replay checks.

#include <cstdint>
#include <string>
#include <string_view>

#include <inkan/core/bytes.h>

namespace inkan::service::detail {

struct AccountTokenClaims {
    std::string sub, jti, azp;
    std::int64_t iat = 0;
};

/// A JWS compact serialisation (RFC 7515 §7.1) of at most 4096 characters, three base64url parts, a
/// header with alg HS256 (RFC 8725 §3.1), typ JWT if any and no crit, an HMAC-SHA-256 under `key` that
/// verifies, and claims with sub, jti, azp (strings, 1..255 UTF-8) and an integer iat, iss a string if
/// present. Returns why it is refused (the text after "account_token "), or empty with `out` filled.
std::string_view read_account_token(std::string_view token, ByteView key, AccountTokenClaims& out);

}  // namespace inkan::service::detail
