#pragma once

#include <array>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace inkan {

/// One flat list of what can go wrong, for every layer. The wire mapping (CSC JSON error,
/// HTTP status, RFC 3161 PKIStatus) lives in exactly one switch per protocol in `api`/`tsp`;
/// docs/errors.md is the table. Caller faults come first, server faults from 100 on.
enum class Errc : std::uint16_t {
    // The caller's fault (4xx).
    InvalidRequest = 1,    ///< a parameter is missing, malformed or out of range
    InvalidEncoding,       ///< base64/hex/DER/TOML/JSON that does not parse
    Unauthenticated,       ///< no, unknown, expired or revoked access credentials
    Forbidden,             ///< authenticated, but this caller may not do this
    NotFound,              ///< no such object (or not visible to this caller)
    InvalidAuthData,       ///< wrong PIN, OTP, SAD or password
    Locked,                ///< PIN, OTP or account locked after too many failures
    Conflict,              ///< already exists / state does not allow it
    PayloadTooLarge,       ///< a configured size limit was exceeded
    UnsupportedAlgorithm,  ///< algorithm, mechanism or parameters not supported or not allowed
    // Ours or a dependency's (5xx).
    Internal = 100,  ///< a bug or an invariant that did not hold
    InvalidConfig,   ///< the operator's configuration is wrong or incomplete
    HsmUnavailable,  ///< the PKCS#11 module or token cannot be reached
    HsmFailure,      ///< the HSM refused or failed an operation
    CryptoFailure,   ///< OpenSSL failed on data we produced or trusted
    StorageFailure,  ///< the database failed
    IoFailure,       ///< a file or socket operation failed
    Unavailable,     ///< maintenance mode, shutting down, or a remote service (TSA, CA) down
};

/// Every Errc, in declaration order: what the protocol tables (docs/errors.md) are checked over.
/// error_test checks that every code errc_name() knows is listed.
inline constexpr std::array kAllErrc{
    Errc::InvalidRequest,  Errc::InvalidEncoding,      Errc::Unauthenticated, Errc::Forbidden,
    Errc::NotFound,        Errc::InvalidAuthData,      Errc::Locked,          Errc::Conflict,
    Errc::PayloadTooLarge, Errc::UnsupportedAlgorithm, Errc::Internal,        Errc::InvalidConfig,
    Errc::HsmUnavailable,  Errc::HsmFailure,           Errc::CryptoFailure,   Errc::StorageFailure,
    Errc::IoFailure,       Errc::Unavailable,
};

/// Stable lower-case name of a code ("invalid_request"), for logs and docs/errors.md.
std::string_view errc_name(Errc code) noexcept;

/// The one exception type. `what()` is internal detail for logs: it may name files, CK_RV
/// values or OpenSSL reasons, but never a secret. Nothing outside the single catch site at
/// the protocol edge sends it to a client.
class Error : public std::exception {
public:
    Error(Errc code, std::string detail) : m_code{code}, m_detail{std::move(detail)} {}
    [[nodiscard]] Errc code() const noexcept { return m_code; }
    [[nodiscard]] const char* what() const noexcept override { return m_detail.c_str(); }
    [[nodiscard]] const std::string& detail() const noexcept { return m_detail; }

private:
    Errc m_code;
    std::string m_detail;
};

/// An Error with a typed reason: a layer's own finer enum (service::SignFailure, AuthFailure, DocFailure,
/// OAuthFailure) from which each protocol edge picks its exact wire answer (docs/errors.md). The reason
/// travels as a type, never as text in the detail to be parsed back. Catch it as `const Error&`, read it
/// with reason_of<E>(), and rethrow with `throw;`: a copy made as Error would lose the reason.
template <class Reason>
requires std::is_enum_v<Reason>
class Refused final : public Error {
public:
    Refused(Errc code, Reason reason, std::string detail)
        : Error{code, std::move(detail)}, m_reason{reason} {}
    [[nodiscard]] Reason reason() const noexcept { return m_reason; }

private:
    Reason m_reason;
};

/// The reason of a Refused<Reason>, or nothing for any other Error (or a Refused of another enum).
template <class Reason>
[[nodiscard]] std::optional<Reason> reason_of(const Error& e) noexcept {
    if (const auto* refused = dynamic_cast<const Refused<Reason>*>(&e)) {
        return refused->reason();
    }
    return std::nullopt;
}

/// Throws Error{code, detail} unless `condition` holds. Unlike assert() it stays in release builds:
/// use it for checks that guard security or data.
inline void require(bool condition, Errc code, std::string_view detail) {
    if (!condition) {
        throw Error{code, std::string{detail}};
    }
}

}  // namespace inkan
