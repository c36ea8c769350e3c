#include "args.h"

namespace inkan::app {

Args::Args(const std::vector<std::string>& words, const std::set<std::string>& flags,
           const std::set<std::string>& options, const std::set<std::string>& multi) {
    for (std::size_t i = 0; i < words.size(); ++i) {
        const std::string& w = words[i];
        // "-o FILE": a single-letter option is the same as "--o FILE".
        const bool short_option = w.size() == 2 && w[0] == '-' && w[1] != '-';
        if (!short_option && (w.rfind("--", 0) != 0 || w == "--")) {
            m_positional.push_back(w);
            continue;
        }
        std::string name = short_option ? w.substr(1) : w.substr(2);
        std::optional<std::string> inline_value;
        if (const auto eq = name.find('='); eq != std::string::npos) {
            inline_value = name.substr(eq + 1);
            name.resize(eq);
        }
        if (multi.count(name) != 0) {
            auto& values = m_multi[name];
            if (inline_value) {
                values.push_back(*inline_value);
                continue;
            }
            const std::size_t before = values.size();
            while (i + 1 < words.size() && words[i + 1].rfind('-', 0) != 0) {
                values.push_back(words[++i]);
            }
            if (values.size() == before) {
                throw UsageError{"option --" + name + " needs a value"};
            }
        } else if (flags.count(name) != 0 && !inline_value) {
            m_flags.insert(name);
        } else if (options.count(name) != 0) {
            if (inline_value) {
                m_options[name] = *inline_value;
                m_multi[name].push_back(*inline_value);
            } else if (i + 1 < words.size()) {
                m_options[name] = words[++i];
                m_multi[name].push_back(words[i]);
            } else {
                throw UsageError{"option --" + name + " needs a value"};
            }
        } else {
            throw UsageError{"unknown option " + w};
        }
    }
}

std::optional<std::string> Args::option(const std::string& name) const {
    if (const auto it = m_options.find(name); it != m_options.end()) {
        return it->second;
    }
    return std::nullopt;
}

std::vector<std::string> Args::values(const std::string& name) const {
    if (const auto it = m_multi.find(name); it != m_multi.end()) {
        return it->second;
    }
    return {};
}

std::string Args::option_or(const std::string& name, const std::string& fallback) const {
    return option(name).value_or(fallback);
}

}  // namespace inkan::app
