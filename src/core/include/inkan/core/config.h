#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace inkan {

/// Looks up an environment variable; injectable so tests need not touch the process environment.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
/// The process environment (getenv).
EnvLookup process_env();

/// The configuration: a TOML file, flattened to dotted keys ("hsm.module"), with environment
/// overrides: key "hsm.pool_size" is overridden by INKAN_HSM_POOL_SIZE (upper case, '.' -> '_').
/// An override applies to any key, whether or not the file has it.
///
/// Errors: Errc::InvalidConfig for a file that does not parse (with line and column), a value of
/// the wrong type, or a missing required key; the message names the key and, for overrides, the
/// variable, never the value (values may be secrets).
class Config {
public:
    Config() = default;
    /// Parses TOML text. `base_dir` resolves relative paths in path().
    static Config parse(std::string_view toml_text, std::filesystem::path base_dir = {},
                        EnvLookup env = process_env());
    /// Reads and parses a file; base_dir is the file's directory.
    static Config load(const std::filesystem::path& file, EnvLookup env = process_env());

    /// The environment variable that overrides `key`.
    static std::string env_name(std::string_view key);

    [[nodiscard]] bool has(std::string_view key) const;
    [[nodiscard]] std::optional<std::string> string(std::string_view key) const;
    [[nodiscard]] std::string string_or(std::string_view key, std::string_view fallback) const;
    [[nodiscard]] std::string require_string(std::string_view key) const;
    [[nodiscard]] std::optional<std::int64_t> integer(std::string_view key) const;
    [[nodiscard]] std::int64_t integer_or(std::string_view key, std::int64_t fallback) const;
    [[nodiscard]] std::optional<bool> boolean(std::string_view key) const;
    [[nodiscard]] bool boolean_or(std::string_view key, bool fallback) const;
    /// A string array (TOML array of strings; from the environment: comma-separated).
    [[nodiscard]] std::vector<std::string> strings(std::string_view key) const;
    /// A path: relative values are resolved against base_dir().
    [[nodiscard]] std::optional<std::filesystem::path> path(std::string_view key) const;

    [[nodiscard]] const std::filesystem::path& base_dir() const noexcept { return m_base_dir; }
    /// Every key that the file defines (sorted), for diagnostics.
    [[nodiscard]] std::vector<std::string> keys() const;

private:
    struct Value {
        enum class Kind { String, Integer, Boolean, Float, Array, Datetime } kind{};
        std::string text;  // String, Float, Datetime: the text; Integer/Boolean: decimal / true|false
        std::vector<std::string> items;  // Array of strings
    };
    [[nodiscard]] std::optional<Value> lookup(std::string_view key) const;

    std::map<std::string, Value, std::less<>> m_values;
    std::filesystem::path m_base_dir;
    EnvLookup m_env;
};

}  // namespace inkan
