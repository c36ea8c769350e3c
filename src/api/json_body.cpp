#include "json_body.h"

#include <limits>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "wire.h"

namespace inkan::api::detail {

namespace {

using json = nlohmann::json;

// Deeper nesting than any CSC request needs is refused (hostile input), and so is a body of more
// values than any CSC request needs (a signHash of many hashes, a signDoc of many documents stay
// far below it). Both are checked while parsing: the parse stops at the first value past either.
constexpr std::size_t kMaxDepth = 32;
constexpr std::size_t kMaxValues = 100'000;
// A duplicate member's name is echoed back, cut to this many bytes.
constexpr std::size_t kMaxEchoedName = 64;

bool only_whitespace(std::string_view s) {
    return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

/// Builds the document through nlohmann's SAX interface and stops the parse (returns false) the
/// moment a bound is passed: a hostile body never gets deeper than kMaxDepth or larger than
/// kMaxValues nodes in memory, whatever follows in the text. It also catches duplicate member names
/// (nlohmann would keep the last of two silently).
class BoundedBuilder final : public nlohmann::json_sax<json> {
public:
    enum class Refusal { None, TooDeep, TooManyValues };

    explicit BoundedBuilder(json& root) : m_dom{root, /*allow_exceptions=*/false} {}

    [[nodiscard]] Refusal refusal() const noexcept { return m_refusal; }
    [[nodiscard]] std::optional<std::string> duplicate() const { return m_duplicate; }

    bool null() override { return count() && m_dom.null(); }
    bool boolean(bool v) override { return count() && m_dom.boolean(v); }
    bool number_integer(number_integer_t v) override { return count() && m_dom.number_integer(v); }
    bool number_unsigned(number_unsigned_t v) override { return count() && m_dom.number_unsigned(v); }
    bool number_float(number_float_t v, const string_t& s) override {
        return count() && m_dom.number_float(v, s);
    }
    bool string(string_t& v) override { return count() && m_dom.string(v); }
    bool binary(binary_t& v) override { return count() && m_dom.binary(v); }
    bool start_object(std::size_t n) override {
        if (!count() || !open()) {
            return false;
        }
        m_names.emplace_back();
        return m_dom.start_object(n);
    }
    bool key(string_t& name) override {
        if (!m_names.empty() && !m_names.back().insert(name).second && !m_duplicate) {
            m_duplicate = name;
        }
        return m_dom.key(name);
    }
    bool end_object() override {
        --m_depth;
        if (!m_names.empty()) {
            m_names.pop_back();
        }
        return m_dom.end_object();
    }
    bool start_array(std::size_t n) override { return count() && open() && m_dom.start_array(n); }
    bool end_array() override {
        --m_depth;
        return m_dom.end_array();
    }
    bool parse_error(std::size_t position, const std::string& last_token,
                     const nlohmann::detail::exception& e) override {
        return m_dom.parse_error(position, last_token, e);
    }

private:
    bool count() {
        if (++m_values > kMaxValues) {
            m_refusal = Refusal::TooManyValues;
            return false;
        }
        return true;
    }
    bool open() {
        if (++m_depth > kMaxDepth) {
            m_refusal = Refusal::TooDeep;
            return false;
        }
        return true;
    }

    nlohmann::detail::json_sax_dom_parser<json> m_dom;
    std::vector<std::set<std::string, std::less<>>> m_names;  // one set per open object
    std::optional<std::string> m_duplicate;
    Refusal m_refusal = Refusal::None;
    std::size_t m_depth = 0;
    std::size_t m_values = 0;
};

}  // namespace

JsonBody JsonBody::parse(std::string_view body) {
    if (only_whitespace(body)) {
        return JsonBody{json::object()};
    }
    json parsed;
    BoundedBuilder builder{parsed};
    const bool ok = json::sax_parse(body.begin(), body.end(), &builder, json::input_format_t::json,
                                    /*strict=*/true);
    switch (builder.refusal()) {
        case BoundedBuilder::Refusal::TooDeep:
            invalid_request("JSON request body nested more than " + std::to_string(kMaxDepth) +
                            " levels deep");
        case BoundedBuilder::Refusal::TooManyValues:
            invalid_request("JSON request body has more than " + std::to_string(kMaxValues) + " values");
        case BoundedBuilder::Refusal::None:
            break;
    }
    if (!ok) {
        invalid_request("Malformed JSON request body");
    }
    if (auto duplicate = builder.duplicate()) {
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
