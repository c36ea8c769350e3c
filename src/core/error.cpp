#include <inkan/core/error.h>

namespace inkan {

std::string_view errc_name(Errc code) noexcept {
    // No default: -Wswitch makes a new enumerator fail the build until it is named here.
    switch (code) {
        case Errc::InvalidRequest:
            return "invalid_request";
        case Errc::InvalidEncoding:
            return "invalid_encoding";
        case Errc::Unauthenticated:
            return "unauthenticated";
        case Errc::Forbidden:
            return "forbidden";
        case Errc::NotFound:
            return "not_found";
        case Errc::InvalidAuthData:
            return "invalid_auth_data";
        case Errc::Locked:
            return "locked";
        case Errc::Conflict:
            return "conflict";
        case Errc::PayloadTooLarge:
            return "payload_too_large";
        case Errc::UnsupportedAlgorithm:
            return "unsupported_algorithm";
        case Errc::Internal:
            return "internal";
        case Errc::InvalidConfig:
            return "invalid_config";
        case Errc::HsmUnavailable:
            return "hsm_unavailable";
        case Errc::HsmFailure:
            return "hsm_failure";
        case Errc::CryptoFailure:
            return "crypto_failure";
        case Errc::StorageFailure:
            return "storage_failure";
        case Errc::IoFailure:
            return "io_failure";
        case Errc::Unavailable:
            return "unavailable";
    }
    return "unknown";
}

}  // namespace inkan
