#include <inkan/service/secrets.h>

#include <sodium.h>

#include <openssl/evp.h>

#include <array>
#include <chrono>
#include <cstring>
#include <mutex>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/crypto/ossl.h>

namespace inkan::service {

namespace {

void ensure_sodium() {
    static std::once_flag once;
    std::call_once(once, [] {
        // sodium_init() is idempotent and thread-safe; -1 means libsodium cannot work at all.
        if (::sodium_init() < 0) {
            throw Error{Errc::Internal, "libsodium could not be initialised"};
        }
    });
}

void check_params(const TotpParams& params) {
    require(params.digits >= 6 && params.digits <= 8, Errc::InvalidRequest, "TOTP digits must be 6..8");
    require(params.period_seconds >= 1, Errc::InvalidRequest, "TOTP period must be at least one second");
}

std::int64_t unix_seconds(TimePoint t) {
    return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

/// RFC 4226 §5.3: HOTP(K, C) = Truncate(HMAC-SHA-1(K, C)) mod 10^digits.
std::string hotp(ByteView secret, std::uint64_t counter, int digits) {
    std::array<std::uint8_t, 8> message{};
    for (std::size_t i = 0; i < message.size(); ++i) {
        message[message.size() - 1 - i] = static_cast<std::uint8_t>(counter >> (8 * i));
    }
    std::array<std::uint8_t, EVP_MAX_MD_SIZE> mac{};
    std::size_t mac_len = 0;
    // EVP_Q_mac with an empty key would be refused: HMAC allows it, but an empty TOTP seed is a bug.
    require(!secret.empty(), Errc::InvalidRequest, "TOTP: empty secret");
    if (::EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA1", nullptr, secret.data(), secret.size(), message.data(),
                    message.size(), mac.data(), mac.size(), &mac_len) == nullptr) {
        ossl::throw_last_error(Errc::CryptoFailure, "TOTP: HMAC-SHA-1");
    }
    require(mac_len == 20, Errc::CryptoFailure, "TOTP: HMAC-SHA-1 is not 20 bytes");
    const std::size_t offset = mac[19] & 0x0fU;
    const std::uint32_t binary = (static_cast<std::uint32_t>(mac[offset] & 0x7fU) << 24) |
                                 (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                                 (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
                                 static_cast<std::uint32_t>(mac[offset + 3]);
    std::uint32_t modulus = 1;
    for (int i = 0; i < digits; ++i) {
        modulus *= 10;
    }
    std::string code = std::to_string(binary % modulus);
    code.insert(0, static_cast<std::size_t>(digits) - code.size(), '0');
    return code;
}

bool unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/// RFC 3986 percent-encoding of everything but the unreserved characters (UTF-8 byte by byte).
std::string percent_encode(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (unreserved(c)) {
            out += ch;
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 0x0fU];
        }
    }
    return out;
}

}  // namespace

std::string hash_password(const Secret& password) {
    ensure_sodium();
    std::array<char, crypto_pwhash_argon2id_STRBYTES> out{};
    const auto text = password.reveal();
    if (::crypto_pwhash_argon2id_str(out.data(), text.data(), text.size(),
                                     crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE,
                                     crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE) != 0) {
        throw Error{Errc::Internal, "argon2id: out of memory"};
    }
    return std::string{out.data()};
}

bool verify_password(std::string_view hash, const Secret& password) {
    ensure_sodium();
    // libsodium wants a NUL-terminated string of at most STRBYTES - 1 characters.
    if (hash.empty() || hash.size() >= crypto_pwhash_argon2id_STRBYTES ||
        hash.find('\0') != std::string_view::npos) {
        return false;
    }
    std::array<char, crypto_pwhash_argon2id_STRBYTES> copy{};
    std::memcpy(copy.data(), hash.data(), hash.size());
    const auto text = password.reveal();
    return ::crypto_pwhash_argon2id_str_verify(copy.data(), text.data(), text.size()) == 0;
}

std::int64_t totp_step(TimePoint t, const TotpParams& params) {
    check_params(params);
    const std::int64_t s = unix_seconds(t);
    // floor division (a time before 1970 is no use for TOTP, but must not round toward zero)
    std::int64_t step = s / params.period_seconds;
    if (s % params.period_seconds < 0) {
        --step;
    }
    return step;
}

std::string totp_code(ByteView secret, TimePoint t, const TotpParams& params) {
    const std::int64_t step = totp_step(t, params);
    require(step >= 0, Errc::InvalidRequest, "TOTP: time before 1970");
    return hotp(secret, static_cast<std::uint64_t>(step), params.digits);
}

std::optional<std::int64_t> totp_match(ByteView secret, std::string_view code, TimePoint t, int window,
                                       const TotpParams& params) {
    require(window >= 0 && window <= 10, Errc::InvalidRequest, "TOTP: window must be 0..10");
    const std::int64_t now = totp_step(t, params);
    std::optional<std::int64_t> matched;
    // Every candidate is computed and compared (constant time each), whether or not one matched.
    for (std::int64_t step = now - window; step <= now + window; ++step) {
        if (step < 0) {
            continue;
        }
        const std::string expected = hotp(secret, static_cast<std::uint64_t>(step), params.digits);
        if (equal_constant_time(as_bytes(expected), as_bytes(code)) && !matched) {
            matched = step;
        }
    }
    return matched;
}

std::string otpauth_uri(std::string_view issuer, std::string_view account, ByteView secret,
                        const TotpParams& params) {
    check_params(params);
    require(!issuer.empty() && !account.empty(), Errc::InvalidRequest,
            "otpauth URI: empty issuer or account");
    require(issuer.find(':') == std::string_view::npos, Errc::InvalidRequest,
            "otpauth URI: the issuer must not contain ':'");
    // Key Uri Format: otpauth://TYPE/LABEL?PARAMETERS, LABEL = issuer ":" account, each part
    // percent-encoded; the secret is base32 without padding; issuer repeated as a parameter.
    std::string uri = "otpauth://totp/";
    uri += percent_encode(issuer);
    uri += ':';
    uri += percent_encode(account);
    uri += "?secret=";
    uri += base32_encode(secret, false);
    uri += "&issuer=";
    uri += percent_encode(issuer);
    uri += "&algorithm=SHA1&digits=";
    uri += std::to_string(params.digits);
    uri += "&period=";
    uri += std::to_string(params.period_seconds);
    return uri;
}

}  // namespace inkan::service
