#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace inkan::app {

/// A command line after the subcommand words: --flag, --option VALUE / --option=VALUE, and
/// positional arguments. Options are declared, so a typo is a usage error, not silently ignored.
class Args {
public:
    /// `flags`: options without a value; `options`: options that take exactly one value per
    /// occurrence and may be repeated ("--seal A --seal B"; the word after the value is positional
    /// again). Throws UsageError for unknown options or a missing value.
    Args(const std::vector<std::string>& words, const std::set<std::string>& flags,
         const std::set<std::string>& options);

    [[nodiscard]] bool flag(const std::string& name) const { return m_flags.count(name) != 0; }
    [[nodiscard]] std::optional<std::string> option(const std::string& name) const;
    [[nodiscard]] std::string option_or(const std::string& name, const std::string& fallback) const;
    [[nodiscard]] const std::vector<std::string>& positional() const noexcept { return m_positional; }
    /// Every value of a repeated option, in order (empty if not given; option() gives the last).
    [[nodiscard]] std::vector<std::string> values(const std::string& name) const;

private:
    std::set<std::string> m_flags;
    std::map<std::string, std::vector<std::string>> m_values;  ///< every value per option, in order
    std::vector<std::string> m_positional;
};

/// A mistake in how the command was called (exit status 2, the usage line follows the message).
struct UsageError {
    std::string message;
};

/// A file named on the command line that cannot be read or written (exit status 2 like a usage
/// error, but the command line itself was right, so no usage line).
struct InputError {
    std::string message;
};

}  // namespace inkan::app
