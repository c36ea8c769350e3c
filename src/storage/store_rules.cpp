#include "store_rules.h"

#include <algorithm>
#include <array>

#include <inkan/core/error.h>
#include <inkan/storage/common.h>

namespace inkan::storage::detail {

namespace {

template <class Enum, std::size_t N>
Enum from_text(std::string_view text, const std::array<Enum, N>& values, std::string_view (*name)(Enum),
               std::string_view column) {
    for (const Enum v : values) {
        if (name(v) == text) {
            return v;
        }
    }
    throw Error{Errc::StorageFailure, "storage: " + std::string{column} + " holds an unknown value"};
}

std::string_view oob_status_name(service::OobStatus s) {
    return service::name(s);
}
std::string_view oob_stage_name(service::OobStage s) {
    return service::name(s);
}
std::string_view pending_stage_name(service::PendingStage s) {
    return service::name(s);
}
std::string_view async_status_name(service::AsyncStatus s) {
    return async_status_text(s);
}

}  // namespace

std::string_view sad_origin_text(service::SadOrigin origin) noexcept {
    return origin == service::SadOrigin::OAuthGrant ? "oauth2" : "authorize";
}

service::SadOrigin sad_origin_from(std::string_view text) noexcept {
    return text == "oauth2" ? service::SadOrigin::OAuthGrant : service::SadOrigin::Authorize;
}

std::string_view async_status_text(service::AsyncStatus status) noexcept {
    switch (status) {
        case service::AsyncStatus::Pending:
            return "pending";
        case service::AsyncStatus::Done:
            return "done";
        case service::AsyncStatus::Failed:
            return "failed";
    }
    return "failed";
}

service::AsyncStatus async_status_from(std::string_view text) {
    using service::AsyncStatus;
    constexpr std::array<AsyncStatus, 3> kAll{AsyncStatus::Pending, AsyncStatus::Done, AsyncStatus::Failed};
    return from_text(text, kAll, async_status_name, "async_operations.status");
}

service::OobStatus oob_status_from(std::string_view text) {
    using service::OobStatus;
    constexpr std::array<OobStatus, 4> kAll{OobStatus::Pending, OobStatus::Approved, OobStatus::Declined,
                                            OobStatus::Delivered};
    return from_text(text, kAll, oob_status_name, "oob_authorizations.status");
}

service::OobStage oob_stage_from(std::string_view text) {
    using service::OobStage;
    constexpr std::array<OobStage, 3> kAll{OobStage::Login, OobStage::Otp, OobStage::Decide};
    return from_text(text, kAll, oob_stage_name, "oob_authorizations.stage");
}

service::PendingStage pending_stage_from(std::string_view text) {
    using service::PendingStage;
    constexpr std::array<PendingStage, 4> kAll{PendingStage::Pushed, PendingStage::Login, PendingStage::Otp,
                                               PendingStage::Consent};
    return from_text(text, kAll, pending_stage_name, "oauth_pending.stage");
}

std::optional<service::SpendRefusal> check_sad(const std::optional<SadRow>& row, std::string_view user_id,
                                               std::string_view credential_id, TimePoint now) {
    if (!row || row->retired || row->user_id != user_id || row->credential_id != credential_id) {
        return service::SpendRefusal::Invalid;
    }
    if (to_unix_seconds(row->expires_at) <= to_unix_seconds(now)) {
        return service::SpendRefusal::Expired;
    }
    return std::nullopt;
}

std::string credential_select(std::string_view where) {
    std::string sql =
        "SELECT c.id, c.kind, c.owner_user_id, c.organization, c.description, c.key_id, c.key_algo, c.chain, "
        "c.ca, c.profile, c.scal, c.multisign, c.status, c.created_at, c.auth_mode, c.signature_qualifier, "
        "(SELECT r.new_id FROM credential_renewals r WHERE r.old_id = c.id), "
        "(SELECT r.old_id FROM credential_renewals r WHERE r.new_id = c.id) FROM credentials c ";
    sql += where;
    return sql;
}

std::optional<service::SpendRefusal> check_replacement(
    const SadRow& row, const service::SadRecord& replacement, TimePoint now,
    const std::function<std::vector<std::pair<std::string, Bytes>>()>& unconsumed) {
    if (to_unix_seconds(row.hard_expires_at) <= to_unix_seconds(now)) {
        return service::SpendRefusal::Expired;
    }
    if (replacement.remaining > row.remaining) {
        return service::SpendRefusal::Count;
    }
    if (row.scal == 2 && !is_sub_multiset(unconsumed(), replacement.hashes)) {
        return service::SpendRefusal::Hash;  // not authorised, or already signed: nothing written
    }
    return std::nullopt;
}

bool is_sub_multiset(std::vector<std::pair<std::string, Bytes>> left,
                     const std::vector<std::pair<std::string, Bytes>>& wanted) {
    for (const auto& h : wanted) {
        const auto it = std::find(left.begin(), left.end(), h);
        if (it == left.end()) {
            return false;
        }
        left.erase(it);
    }
    return true;
}

}  // namespace inkan::storage::detail
