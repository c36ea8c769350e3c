#include "args.h"

#include <cstddef>

namespace inkan::app {

Args::Args(const std::vector<std::string>& words, const std::set<std::string>& flags,
           const std::set<std::string>& options) {
    for (std::size_t i = 0; i < words.size(); ++i) {
        const std::string& w = words[i];
        if (w == "--") {  // the usual end of options: everything after it is positional, even "-x"
            m_positional.insert(m_positional.end(), words.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                                words.end());
            break;
        }
        // "-o FILE": a single-letter option is the same as "--o FILE".
        const bool short_option = w.size() == 2 && w[0] == '-' && w[1] != '-';
        if (!short_option && w.rfind("--", 0) != 0) {
            m_positional.push_back(w);
            continue;
        }
        std::string name = short_option ? w.substr(1) : w.substr(2);
        std::optional<std::string> inline_value;
        if (const auto eq = name.find('='); eq != std::string::npos) {
            inline_value = name.substr(eq + 1);
            name.resize(eq);
        }
        if (flags.count(name) != 0 && !inline_value) {
            m_flags.insert(name);
        } else if (options.count(name) != 0) {
            // Exactly one value per occurrence, repeatable or not: "--tsa URL in.pdf out.pdf" keeps
            // IN and OUT positional (a value-swallowing option once made the README's commands fail).
            if (inline_value) {
                m_values[name].push_back(*inline_value);
            } else if (i + 1 < words.size()) {
                m_values[name].push_back(words[++i]);
            } else {
                throw UsageError{"option --" + name + " needs a value"};
            }
        } else {
            throw UsageError{"unknown option " + w};
        }
    }
}

std::optional<std::string> Args::option(const std::string& name) const {
    if (const auto it = m_values.find(name); it != m_values.end()) {
        return it->second.back();
    }
    return std::nullopt;
}

std::vector<std::string> Args::values(const std::string& name) const {
    if (const auto it = m_values.find(name); it != m_values.end()) {
        return it->second;
    }
    return {};
}

std::string Args::option_or(const std::string& name, const std::string& fallback) const {
    return option(name).value_or(fallback);
}

}  // namespace inkan::app
