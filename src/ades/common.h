#pragma once

// Helpers shared by PAdES and CAdES (private to the layer).

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include <inkan/core/clock.h>
#include <inkan/core/error.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/crypto/keys.h>
#include <inkan/sign/signer.h>

namespace inkan::ades::detail {

inline const Clock& clock_of(const Clock* clock) {
    return clock != nullptr ? *clock : SystemClock::instance();
}

/// The requested algorithm, or the key's default; Errc::UnsupportedAlgorithm if it does not fit.
inline crypto::SignatureAlgorithm choose_algorithm(const std::optional<crypto::SignatureAlgorithm>& requested,
                                                   const crypto::PublicKey& key) {
    const crypto::SignatureAlgorithm alg = requested ? *requested : sign::default_algorithm(key);
    if (!sign::key_supports(key.type(), alg) || !crypto::spec(alg.digest).allowed_for_signing) {
        throw Error{Errc::UnsupportedAlgorithm,
                    "ades: " + std::string{crypto::name(alg)} + " does not fit the signer's key"};
    }
    return alg;
}

/// The hash of ESSCertIDv2: the signature's when it is SHA-2, else SHA-256 (RFC 5035 §4 allows any).
inline crypto::DigestAlgorithm ess_hash(const crypto::SignatureAlgorithm& alg) {
    switch (alg.digest) {
        case crypto::DigestAlgorithm::Sha384:
        case crypto::DigestAlgorithm::Sha512:
            return alg.digest;
        default:
            return crypto::DigestAlgorithm::Sha256;
    }
}

/// "YYYY-MM-DD HH:MM:SS +HH:MM" in the given offset.
inline std::string format_time(TimePoint t, std::chrono::minutes offset) {
    using namespace std::chrono;
    const auto local = floor<seconds>(t) + offset;
    const auto day = floor<days>(local);
    const year_month_day ymd{day};
    const hh_mm_ss hms{local - day};
    const auto off = offset.count();
    const long abs_off = off < 0 ? -off : off;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02ld:%02ld:%02ld %c%02ld:%02ld",
                  static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()), static_cast<long>(hms.hours().count()),
                  static_cast<long>(hms.minutes().count()), static_cast<long>(hms.seconds().count()),
                  off < 0 ? '-' : '+', abs_off / 60, abs_off % 60);
    return buf;
}

}  // namespace inkan::ades::detail
