#include "json_body.h"

#include <limits>
#include <set>
#include <utility>
#include <vector>

#include "wire.h"

namespace inkan::api::detail {

namespace {

using json = nlohmann::json;

// Deeper nesting than any CSC request needs is refused (hostile input).
constexpr int kMaxDepth = 32;
// A duplicate member's name is echoed back, cut to this many bytes.
constexpr std::size_t kMaxEchoedName = 64;

bool only_whitespace(std::string_view s) {
    return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

}  // namespace

JsonBody JsonBody::parse(std::string_view body) {
    if (only_whitespace(body)) {
        return JsonBody{json::object()};
    }
    // One set of member names per open object: nlohmann keeps the last of two equal names
    // silently, so duplicates are caught while parsing.
    std::vector<std::set<std::string, std::less<>>> open_objects;
    std::optional<std::string> duplicate;
    bool too_deep = false;
    const json::parser_callback_t on_event = [&](int depth, json::parse_event_t event, json& parsed) {
        if (depth > kMaxDepth) {
            too_deep = true;
        }
        switch (event) {
            case json::parse_event_t::object_start:
                open_objects.emplace_back();
                break;
            case json::parse_event_t::object_end:
                if (!open_objects.empty()) {
                    open_objects.pop_back();
                }
                break;
            case json::parse_event_t::key:
                if (!open_objects.empty() && !open_objects.back().insert(parsed.get<std::string>()).second &&
                    !duplicate) {
                    duplicate = parsed.get<std::string>();
                }
                break;
            case json::parse_event_t::array_start:
            case json::parse_event_t::array_end:
            case json::parse_event_t::value:
                break;
        }
        return true;
    };
    json parsed = json::parse(body.begin(), body.end(), on_event, /*allow_exceptions=*/false);
    if (parsed.is_discarded() || too_deep) {
        invalid_request("Malformed JSON request body");
    }
    if (duplicate) {
        if (duplicate->size() > kMaxEchoedName) {
            duplicate->resize(kMaxEchoedName);  // csc_error() replaces a cut UTF-8 sequence
        }
        invalid_request("Duplicate parameter " + *duplicate);
    }
    if (!parsed.is_object()) {
        invalid_request("The request body must be a JSON object");
    }
    return JsonBody{std::move(parsed)};
}

const json* JsonBody::find(std::string_view name) const {
    const auto it = m_json.find(name);
    if (it == m_json.end() || it->is_null()) {
        return nullptr;
    }
    return &*it;
}

bool JsonBody::has(std::string_view name) const {
    return find(name) != nullptr;
}

void JsonBody::wrong_type(std::string_view type, std::string_view name) {
    std::string description = "Missing (or invalid type) ";
    description += type;
    description += " parameter ";
    description += name;
    invalid_request(std::move(description));
}

std::optional<std::string> JsonBody::string(std::string_view name) const {
    const json* v = find(name);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (!v->is_string()) {
        wrong_type("string", name);
    }
    return v->get<std::string>();
}

std::string JsonBody::required_string(std::string_view name) const {
    std::optional<std::string> v = string(name);
    if (!v) {
        wrong_type("string", name);
    }
    return std::move(*v);
}

std::optional<bool> JsonBody::boolean(std::string_view name) const {
    const json* v = find(name);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (!v->is_boolean()) {
        wrong_type("boolean", name);
    }
    return v->get<bool>();
}

std::optional<std::int64_t> JsonBody::integer(std::string_view name) const {
    const json* v = find(name);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (v->is_number_unsigned()) {
        const auto u = v->get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            wrong_type("integer", name);
        }
        return static_cast<std::int64_t>(u);
    }
    if (!v->is_number_integer()) {
        wrong_type("integer", name);
    }
    return v->get<std::int64_t>();
}

std::optional<Secret> JsonBody::take_secret(std::string_view name) {
    const auto it = m_json.find(name);
    if (it == m_json.end() || it->is_null()) {
        return std::nullopt;
    }
    if (!it->is_string()) {
        wrong_type("string", name);
    }
    // Secret(std::string&&) takes the characters and wipes the JSON value's buffer.
    Secret secret{std::move(it->get_ref<std::string&>())};
    *it = nullptr;
    return secret;
}

nlohmann::json* JsonBody::array(std::string_view name) {
    const auto it = m_json.find(name);
    if (it == m_json.end() || it->is_null()) {
        return nullptr;
    }
    if (!it->is_array()) {
        wrong_type("array", name);
    }
    return &*it;
}

void JsonBody::check_common() const {
    (void)string("clientData");
    (void)string("lang");
}

}  // namespace inkan::api::detail
