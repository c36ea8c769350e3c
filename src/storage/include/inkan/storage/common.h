#pragma once

// What every storage backend shares, whatever its library: the migration list's format, the time
// representation of every table (unix seconds), and the certificate chain column's encoding. sqlite.h and
// postgres.h both build on it; neither includes the other.

#include <cstdint>
#include <string_view>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>

namespace inkan::storage {

/// One step of the schema. Versions start at 1 and increase; a released migration is never edited (add a
/// new one instead). The same version number is the same logical schema on every backend.
struct Migration {
    int version = 0;
    std::string_view name;  ///< for logs and schema_migrations: "ca tables"
    std::string_view sql;   ///< one or more statements, run inside the migration's transaction
};

/// Unix seconds (rounded toward the past) and back.
std::int64_t to_unix_seconds(TimePoint t) noexcept;
TimePoint from_unix_seconds(std::int64_t s) noexcept;

/// The certificate chain column: each certificate as a 4-byte big-endian length and its DER.
Bytes encode_chain(const std::vector<Bytes>& chain);
/// Errc::StorageFailure for a value that is not such a sequence.
std::vector<Bytes> decode_chain(ByteView blob);

}  // namespace inkan::storage
