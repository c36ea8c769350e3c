#include <set>
#include <string>

#include <inkan/core/config.h>
#include <inkan/core/error.h>
#include <inkan/validation/validator.h>

namespace inkan::validation {

CryptoPolicy load_policy(const std::filesystem::path& file) {
    // A policy is what the file says: no environment overrides.
    const Config c =
        Config::load(file, [](std::string_view) -> std::optional<std::string> { return std::nullopt; });
    static const std::set<std::string> known{"crypto.sha1_sunset", "crypto.rsa_small_sunset",
                                             "crypto.rsa_min_bits", "crypto.ec_min_bits"};
    for (const auto& k : c.keys()) {
        require(known.count(k) != 0, Errc::InvalidConfig, "policy " + file.string() + ": unknown key " + k);
    }
    CryptoPolicy p;
    const auto time = [&](const char* key, TimePoint& out) {
        if (const auto v = c.string(key)) {
            try {
                out = parse_rfc3339(*v);
            } catch (const Error&) {
                throw Error{Errc::InvalidConfig,
                            "policy " + file.string() + ": " + key + " is not an RFC 3339 time"};
            }
        }
    };
    time("crypto.sha1_sunset", p.sha1_sunset);
    time("crypto.rsa_small_sunset", p.rsa_small_sunset);
    const auto bits = [&](const char* key, std::size_t& out) {
        if (const auto v = c.integer(key)) {
            require(*v >= 0 && *v <= 16384, Errc::InvalidConfig,
                    "policy " + file.string() + ": " + key + " must be between 0 and 16384");
            out = static_cast<std::size_t>(*v);
        }
    };
    bits("crypto.rsa_min_bits", p.min_rsa_bits);
    bits("crypto.ec_min_bits", p.min_ec_bits);
    return p;
}

}  // namespace inkan::validation
