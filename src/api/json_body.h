#pragma once

// Strict parsing of a CSC request body: a JSON object (an empty body counts as {}), no parameter
// twice at any level, typed getters whose errors are the CSC's "Missing (or invalid type) <type>
// parameter <name>". Unknown members are ignored (forward compatibility); a member whose value is
// null counts as absent.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <inkan/core/secret.h>

namespace inkan::api::detail {

class JsonBody {
public:
    /// WireError 400 invalid_request: "Malformed JSON request body" (does not parse, or is not
    /// UTF-8), "The request body must be a JSON object", "Duplicate parameter <name>".
    static JsonBody parse(std::string_view body);

    /// Present and not null.
    [[nodiscard]] bool has(std::string_view name) const;

    [[nodiscard]] std::optional<std::string> string(std::string_view name) const;
    [[nodiscard]] std::string required_string(std::string_view name) const;
    [[nodiscard]] std::optional<bool> boolean(std::string_view name) const;
    /// An integer (a number with a fractional part is the wrong type).
    [[nodiscard]] std::optional<std::int64_t> integer(std::string_view name) const;
    /// A string member moved straight into a Secret (tokens, PINs): the JSON value is wiped.
    [[nodiscard]] std::optional<Secret> take_secret(std::string_view name);
    /// An array member (its elements unchecked), or nullptr when absent. Mutable so that secrets in
    /// it (v2 authData values) can be moved out and wiped.
    [[nodiscard]] nlohmann::json* array(std::string_view name);

    /// Checks the members every method accepts: `clientData` and `lang` (strings if present).
    void check_common() const;

    /// "Missing (or invalid type) <type> parameter <name>".
    [[noreturn]] static void wrong_type(std::string_view type, std::string_view name);

private:
    explicit JsonBody(nlohmann::json json) : m_json(std::move(json)) {}  // not {}: that makes an array
    [[nodiscard]] const nlohmann::json* find(std::string_view name) const;
    nlohmann::json m_json;
};

}  // namespace inkan::api::detail
