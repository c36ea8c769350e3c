#pragma once

// What a failed login's audit entry says of the name that was tried (issue 25, decision 0039).

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "text_rules.h"

namespace inkan::service::detail {

/// Adds the login name that was tried to a failed login's audit details as "user_name", so that an
/// auditor sees which account was guessed at, even one that does not exist. Only a text with a login
/// name's syntax ([A-Za-z0-9._@-]{1,64}) is kept: anything else cannot be anyone's name and is the
/// likeliest place for a password typed into the wrong field, so of it only the length is recorded
/// ("user_name_invalid_length"). The password itself never comes here.
inline void add_tried_name(nlohmann::json& details, std::string_view tried) {
    if (is_valid_user_name(tried)) {
        details["user_name"] = std::string{tried};
    } else {
        details["user_name_invalid_length"] = tried.size();
    }
}

}  // namespace inkan::service::detail
