#pragma once

// What every storage backend does alike, whatever its SQL: the text stored for each enum and back, and the
// SAD ledger's checks. The SQLite and PostgreSQL adapters share these, so the two can differ only in how
// they reach the rows, never in what a row means.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/service/ports.h>

namespace inkan::storage::detail {

// Unknown text in a column is Errc::StorageFailure (a row written by hand or by a newer build).
[[nodiscard]] std::string_view sad_origin_text(service::SadOrigin origin) noexcept;
[[nodiscard]] service::SadOrigin sad_origin_from(
    std::string_view text) noexcept;  ///< anything else: Authorize
[[nodiscard]] std::string_view async_status_text(service::AsyncStatus status) noexcept;
[[nodiscard]] service::AsyncStatus async_status_from(std::string_view text);
[[nodiscard]] service::OobStatus oob_status_from(std::string_view text);
[[nodiscard]] service::OobStage oob_stage_from(std::string_view text);
[[nodiscard]] service::PendingStage pending_stage_from(std::string_view text);

/// "SELECT <every credential column, in the order both credential stores read them> FROM credentials c "
/// followed by `where` (the SQL is the same on both backends).
[[nodiscard]] std::string credential_select(std::string_view where);

/// A SAD's row as consume() and replace_sad() read it (its hashes apart).
struct SadRow {
    std::string id;
    std::string user_id;
    std::string credential_id;
    int scal = 2;
    int remaining = 0;
    TimePoint expires_at{};
    bool retired = false;
    std::string origin;
    TimePoint hard_expires_at{};
};

/// Invalid (no such SAD, retired, another user's or credential's) or Expired (at `now`, in whole seconds
/// as stored) for a SAD this caller may not spend; nothing if it may.
[[nodiscard]] std::optional<service::SpendRefusal> check_sad(const std::optional<SadRow>& row,
                                                             std::string_view user_id,
                                                             std::string_view credential_id, TimePoint now);

/// replace_sad()'s rules after check_sad(): Expired past the original authorisation's hard limit, Count if
/// the replacement allows more signatures than the old SAD still does (CSC v2 §11.8: extendTransaction renews
/// the SAD for the same transaction, it authorises nothing new), Hash at SCAL 2 unless the replacement's
/// hashes are among the old SAD's `unconsumed` ones (read only then); nothing if the replacement may be made.
[[nodiscard]] std::optional<service::SpendRefusal> check_replacement(
    const SadRow& row, const service::SadRecord& replacement, TimePoint now,
    const std::function<std::vector<std::pair<std::string, Bytes>>()>& unconsumed);

/// True if every one of `wanted` is among `left` as a multiset (each element of `left` used once).
[[nodiscard]] bool is_sub_multiset(std::vector<std::pair<std::string, Bytes>> left,
                                   const std::vector<std::pair<std::string, Bytes>>& wanted);

}  // namespace inkan::storage::detail
