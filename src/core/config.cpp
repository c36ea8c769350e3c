#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <utility>

#include <toml++/toml.h>

#include <inkan/core/config.h>
#include <inkan/core/error.h>

namespace inkan {

namespace {

// Every message names the key (and the variable for overrides) but never the value: a value may be
// a PIN or a password, and these messages end up in logs.

std::string quoted(std::string_view key) {
    return "'" + std::string{key} + "'";
}

/// "key 'hsm.pool_size' (from INKAN_HSM_POOL_SIZE)" or "key 'hsm.pool_size'".
std::string describe_key(std::string_view key, bool from_env) {
    std::string out = "config key " + quoted(key);
    if (from_env) {
        out += " (from " + Config::env_name(key) + ")";
    }
    return out;
}

[[noreturn]] void fail_type(std::string_view key, bool from_env, std::string_view expected) {
    throw Error{Errc::InvalidConfig, describe_key(key, from_env) + ": expected " + std::string{expected}};
}

std::optional<std::string> env_override(const EnvLookup& env, std::string_view key) {
    if (!env) {
        return std::nullopt;
    }
    return env(Config::env_name(key));
}

char ascii_lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) {
            return false;
        }
    }
    return true;
}

/// A whole string as a decimal integer: optional '-', digits, nothing else.
std::optional<std::int64_t> parse_decimal(std::string_view text) {
    std::int64_t value = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc{} || ptr != end) {
        return std::nullopt;
    }
    return value;
}

std::string_view trim(std::string_view s) {
    constexpr std::string_view kSpace = " \t";
    const std::size_t first = s.find_first_not_of(kSpace);
    if (first == std::string_view::npos) {
        return {};
    }
    return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

/// toml++'s parse error descriptions quote what the parser saw ("saw 'x'", "'123…' is not
/// representable in 64 bits"), which may be part of a secret value. Keep the grammar part of the
/// message and drop every quoted fragment that did not come from the parser's own vocabulary.
std::string redact_toml_description(std::string_view d) {
    if (const std::size_t saw = d.find("saw "); saw != std::string_view::npos) {
        d = d.substr(0, saw);
        while (!d.empty() && (d.back() == ' ' || d.back() == ',')) {
            d.remove_suffix(1);
        }
    }
    std::string out;
    std::size_t i = 0;
    while (i < d.size()) {
        const std::size_t open = d.find('\'', i);
        if (open == std::string_view::npos) {
            out += d.substr(i);
            break;
        }
        out += d.substr(i, open - i);
        const std::size_t close = d.find('\'', open + 1);
        if (close == std::string_view::npos) {
            break;  // an unbalanced quote: drop the rest rather than guess
        }
        const std::string_view before = d.substr(0, open);
        // "expected '='", "expected 'x' or 'X'": tokens of the grammar. "cannot redefine existing
        // table 'a.b'": a key. Anything else (a number that failed to parse) is the value.
        const bool keep = before.ends_with("expected ") || before.ends_with(" or ") ||
                          before.find("existing ") != std::string_view::npos;
        out += keep ? d.substr(open, close - open + 1) : std::string_view{"<value>"};
        i = close + 1;
    }
    return out;
}

}  // namespace

EnvLookup process_env() {
    return [](std::string_view name) -> std::optional<std::string> {
        const std::string n{name};
        if (const char* v = std::getenv(n.c_str()); v != nullptr) {
            return std::string{v};
        }
        return std::nullopt;
    };
}

std::string Config::env_name(std::string_view key) {
    std::string out = "INKAN_";
    out.reserve(out.size() + key.size());
    for (const char c : key) {
        if (c >= 'a' && c <= 'z') {
            out += static_cast<char>(c - 'a' + 'A');
        } else if (c == '.' || c == '-') {
            // '-' is legal in a TOML bare key but not in a shell variable name.
            out += '_';
        } else {
            out += c;
        }
    }
    return out;
}

namespace {

/// Flattens a TOML table into dotted keys ("hsm" -> "module" becomes "hsm.module"), handing every
/// leaf to `store`. Kept in this file so that no toml++ type reaches a header.
template <class Store>
void flatten(const toml::table& table, const std::string& prefix, Store&& store) {
    for (const auto& [k, node] : table) {
        const std::string key = prefix.empty() ? std::string{k.str()} : prefix + "." + std::string{k.str()};
        if (const toml::table* sub = node.as_table()) {
            flatten(*sub, key, store);
        } else {
            store(key, node);
        }
    }
}

}  // namespace

Config Config::parse(std::string_view toml_text, std::filesystem::path base_dir, EnvLookup env) {
    toml::table root;
#if TOML_EXCEPTIONS
    try {
        root = toml::parse(toml_text);
    } catch (const toml::parse_error& e) {
        throw Error{Errc::InvalidConfig, "config: TOML parse error at line " +
                                             std::to_string(e.source().begin.line) + ", column " +
                                             std::to_string(e.source().begin.column) + ": " +
                                             redact_toml_description(e.description())};
    }
#else
    toml::parse_result result = toml::parse(toml_text);
    if (!result) {
        const toml::parse_error& e = result.error();
        throw Error{Errc::InvalidConfig, "config: TOML parse error at line " +
                                             std::to_string(e.source().begin.line) + ", column " +
                                             std::to_string(e.source().begin.column) + ": " +
                                             redact_toml_description(e.description())};
    }
    root = std::move(result).table();
#endif

    Config config;
    config.m_base_dir = std::move(base_dir);
    config.m_env = std::move(env);
    flatten(root, "", [&config](const std::string& key, const toml::node& node) {
        Value v;
        if (const auto* s = node.as_string()) {
            v.kind = Value::Kind::String;
            v.text = s->get();
        } else if (const auto* i = node.as_integer()) {
            v.kind = Value::Kind::Integer;
            v.text = std::to_string(i->get());
        } else if (const auto* b = node.as_boolean()) {
            v.kind = Value::Kind::Boolean;
            v.text = b->get() ? "true" : "false";
        } else if (const auto* f = node.as_floating_point()) {
            v.kind = Value::Kind::Float;
            char buf[32];
            const auto r = std::to_chars(buf, buf + sizeof buf, f->get());
            v.text.assign(buf, r.ptr);
        } else if (const auto* a = node.as_array()) {
            v.kind = Value::Kind::Array;
            for (const toml::node& item : *a) {
                const auto* item_text = item.as_string();
                if (item_text == nullptr) {
                    // Arrays of tables or numbers have no use in our configuration yet; refusing them
                    // beats silently dropping what the operator wrote.
                    throw Error{Errc::InvalidConfig,
                                describe_key(key, false) + ": only arrays of strings are supported"};
                }
                v.items.push_back(item_text->get());
            }
        } else if (node.is_date() || node.is_time() || node.is_date_time()) {
            v.kind = Value::Kind::Datetime;
            std::ostringstream os;
            if (const auto* d = node.as_date()) {
                os << *d;
            } else if (const auto* t = node.as_time()) {
                os << *t;
            } else if (const auto* dt = node.as_date_time()) {
                os << *dt;
            }
            v.text = std::move(os).str();
        } else {
            throw Error{Errc::InvalidConfig, describe_key(key, false) + ": unsupported value type"};
        }
        // A quoted key with a dot ("a.b" = 1) flattens to the same name as a nested one.
        if (!config.m_values.emplace(key, std::move(v)).second) {
            throw Error{Errc::InvalidConfig, describe_key(key, false) +
                                                 ": defined twice (a quoted key "
                                                 "containing '.' clashes with a table)"};
        }
    });
    return config;
}

Config Config::load(const std::filesystem::path& file, EnvLookup env) {
    std::ifstream in{file, std::ios::binary};
    if (!in) {
        throw Error{Errc::InvalidConfig,
                    "config: cannot read " + file.string() + ": " + std::strerror(errno)};
    }
    const std::string text{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    if (in.bad()) {
        throw Error{Errc::InvalidConfig, "config: cannot read " + file.string()};
    }
    std::error_code ec;
    std::filesystem::path dir = std::filesystem::absolute(file, ec).parent_path();
    if (ec) {
        dir = file.parent_path();
    }
    try {
        return parse(text, std::move(dir), std::move(env));
    } catch (const Error& e) {
        throw Error{e.code(), file.string() + ": " + e.detail()};
    }
}

// lookup() serves the getters whose override needs no parsing: the variable's text stands for a
// string. The typed getters read the override themselves, since they must parse it.
std::optional<Config::Value> Config::lookup(std::string_view key) const {
    if (auto v = env_override(m_env, key)) {
        Value value;
        value.kind = Value::Kind::String;
        value.text = std::move(*v);
        return value;
    }
    if (const auto it = m_values.find(key); it != m_values.end()) {
        return it->second;
    }
    return std::nullopt;
}

bool Config::has(std::string_view key) const {
    return lookup(key).has_value();
}

std::optional<std::string> Config::string(std::string_view key) const {
    auto v = lookup(key);
    if (!v) {
        return std::nullopt;
    }
    if (v->kind != Value::Kind::String) {
        fail_type(key, false, "a string");
    }
    return std::move(v->text);
}

std::string Config::string_or(std::string_view key, std::string_view fallback) const {
    if (auto v = string(key)) {
        return std::move(*v);
    }
    return std::string{fallback};
}

std::string Config::require_string(std::string_view key) const {
    if (auto v = string(key)) {
        return std::move(*v);
    }
    throw Error{Errc::InvalidConfig,
                "config: missing required key " + quoted(key) + " (or set " + env_name(key) + ")"};
}

std::optional<std::int64_t> Config::integer(std::string_view key) const {
    if (const auto v = env_override(m_env, key)) {
        const auto parsed = parse_decimal(*v);
        if (!parsed) {
            fail_type(key, true, "a decimal integer");
        }
        return parsed;
    }
    const auto it = m_values.find(key);
    if (it == m_values.end()) {
        return std::nullopt;
    }
    if (it->second.kind != Value::Kind::Integer) {
        fail_type(key, false, "an integer");
    }
    return parse_decimal(it->second.text);
}

std::int64_t Config::integer_or(std::string_view key, std::int64_t fallback) const {
    return integer(key).value_or(fallback);
}

std::optional<bool> Config::boolean(std::string_view key) const {
    if (const auto v = env_override(m_env, key)) {
        for (const std::string_view yes : {"true", "1", "yes"}) {
            if (iequals(*v, yes)) {
                return true;
            }
        }
        for (const std::string_view no : {"false", "0", "no"}) {
            if (iequals(*v, no)) {
                return false;
            }
        }
        fail_type(key, true, "true/false/1/0/yes/no");
    }
    const auto it = m_values.find(key);
    if (it == m_values.end()) {
        return std::nullopt;
    }
    if (it->second.kind != Value::Kind::Boolean) {
        fail_type(key, false, "a boolean");
    }
    return it->second.text == "true";
}

bool Config::boolean_or(std::string_view key, bool fallback) const {
    return boolean(key).value_or(fallback);
}

std::vector<std::string> Config::strings(std::string_view key) const {
    if (const auto v = env_override(m_env, key)) {
        // "a, b,c" -> {"a", "b", "c"}; empty items are dropped, so "" is the empty list.
        std::vector<std::string> items;
        std::string_view rest = *v;
        while (true) {
            const std::size_t comma = rest.find(',');
            const std::string_view item = trim(rest.substr(0, comma));
            if (!item.empty()) {
                items.emplace_back(item);
            }
            if (comma == std::string_view::npos) {
                break;
            }
            rest.remove_prefix(comma + 1);
        }
        return items;
    }
    const auto it = m_values.find(key);
    if (it == m_values.end()) {
        return {};
    }
    if (it->second.kind != Value::Kind::Array) {
        fail_type(key, false, "an array of strings");
    }
    return it->second.items;
}

std::optional<std::filesystem::path> Config::path(std::string_view key) const {
    const auto text = string(key);
    if (!text) {
        return std::nullopt;
    }
    if (text->empty()) {
        fail_type(key, env_override(m_env, key).has_value(), "a path, not an empty string");
    }
    std::filesystem::path p{*text};
    if (p.is_relative() && !m_base_dir.empty()) {
        p = m_base_dir / p;
    }
    return p;
}

std::vector<std::string> Config::keys() const {
    std::vector<std::string> out;
    out.reserve(m_values.size());
    for (const auto& [key, value] : m_values) {
        out.push_back(key);
    }
    return out;
}

}  // namespace inkan
