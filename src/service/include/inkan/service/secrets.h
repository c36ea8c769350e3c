#pragma once

// Password/PIN hashing (argon2id, libsodium) and TOTP (RFC 6238).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/core/secret.h>

namespace inkan::service {

/// An argon2id hash string ($argon2id$v=19$m=...,t=...,p=...$salt$hash) with libsodium's
/// INTERACTIVE limits (about 70 ms here). Used for passwords and activation PINs.
std::string hash_password(const Secret& password);
/// Constant-time verification; false for a malformed hash.
bool verify_password(std::string_view hash, const Secret& password);

/// Errc::InvalidRequest from the functions below unless digits is 6..8 and period_seconds ≥ 1.
struct TotpParams {
    int digits = 6;  ///< RFC 6238 default (6..8)
    std::int64_t period_seconds = 30;
    // HMAC-SHA-1 (RFC 6238 default; what authenticator apps implement)
};

/// The code for `secret` at time `t` (RFC 6238 §4, RFC 4226 §5.3 dynamic truncation).
std::string totp_code(ByteView secret, TimePoint t, const TotpParams& params = {});
/// The time step of `t` (T = floor(unix / period)).
std::int64_t totp_step(TimePoint t, const TotpParams& params = {});
/// If `code` matches a step within ±window of `t`, that step; else nothing. Constant-time per candidate.
std::optional<std::int64_t> totp_match(ByteView secret, std::string_view code, TimePoint t, int window = 1,
                                       const TotpParams& params = {});
/// otpauth://totp/<issuer>:<account>?secret=BASE32&issuer=<issuer>&algorithm=SHA1&digits=6&period=30
/// (the Key Uri Format authenticator apps read), with percent-encoding of UTF-8 labels.
std::string otpauth_uri(std::string_view issuer, std::string_view account, ByteView secret,
                        const TotpParams& params = {});

}  // namespace inkan::service
