#pragma once

// The length-prefixed big-endian encoding that the audit chain's entry hashes (audit.cpp) and the
// archive's sealed checkpoints (audit_archive.cpp) are computed over: one definition, so the two can
// never drift apart (private to the service layer).

#include <chrono>
#include <cstdint>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>

namespace inkan::service::detail {

inline void put_u64(Bytes& out, std::uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) {
        out.push_back(static_cast<std::uint8_t>((v >> shift) & 0xFFU));
    }
}

/// A 4-byte big-endian length, then the bytes.
inline void put_field(Bytes& out, ByteView value) {
    const auto n = static_cast<std::uint32_t>(value.size());
    for (int shift = 24; shift >= 0; shift -= 8) {
        out.push_back(static_cast<std::uint8_t>((n >> shift) & 0xFFU));
    }
    out.insert(out.end(), value.begin(), value.end());
}

inline std::int64_t unix_seconds(TimePoint t) {
    return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace inkan::service::detail
