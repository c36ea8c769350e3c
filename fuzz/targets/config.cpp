// The TOML configuration (core::Config on toml++): parse, then every key read as every type, and path
// resolution, with an environment override in play. (The validator's policy file, also TOML, is fed by
// the validator target.)
#include <optional>
#include <string>

#include <inkan/core/config.h>

#include "../fuzz.h"

using namespace inkan;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const EnvLookup env = [](std::string_view name) -> std::optional<std::string> {
        if (name == "INKAN_HSM_POOL_SIZE") {
            return "4";
        }
        return std::nullopt;
    };
    fuzz::refusing([&] {
        const Config c = Config::parse(fuzz::text(data, size), "/nonexistent", env);
        for (const std::string& key : c.keys()) {
            fuzz::refusing([&] { (void)c.string(key); });
            fuzz::refusing([&] { (void)c.integer(key); });
            fuzz::refusing([&] { (void)c.boolean(key); });
            fuzz::refusing([&] { (void)c.path(key); });
            fuzz::refusing([&] { (void)c.strings(key); });
            (void)c.has(key);
            (void)Config::env_name(key);
        }
        fuzz::refusing([&] { (void)c.integer("hsm.pool_size"); });
    });
    return 0;
}
