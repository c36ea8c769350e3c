#pragma once

// Shared by the hsm tests (not part of the library: only *_test.cpp include it).

#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <inkan/crypto/digest.h>
#include <inkan/crypto/keys.h>
#include <inkan/hsm/token.h>
#include <inkan/testing/process.h>
#include <inkan/testing/softhsm.h>

namespace inkan::hsm::test {

inline TokenConfig clone(const TokenConfig& c) {
    return TokenConfig{c.module, c.token_label, c.user_pin.clone(), c.pool_size, c.lease_timeout};
}

/// A token per test process (ctest runs every test in its own process) with keys made on demand.
class TokenEnv {
public:
    static TokenEnv& get(std::size_t pool_size = 4) {
        static TokenEnv env{pool_size};
        return env;
    }
    Token& token() { return *m_token; }
    const TokenConfig& config() const { return m_config; }

    /// The key pair of this spec, generated on first use (label "key-<spec>").
    const Bytes& key(KeySpec spec) {
        auto it = m_keys.find(spec);
        if (it == m_keys.end()) {
            it = m_keys.emplace(spec, m_token->generate_key_pair(spec, "key-" + std::string{name(spec)}))
                     .first;
        }
        return it->second;
    }

private:
    explicit TokenEnv(std::size_t pool_size)
        : m_config{testing::SoftHsm::instance().make_token("hsm", pool_size)},
          m_token{std::make_unique<Token>(clone(m_config))} {}
    TokenConfig m_config;
    std::unique_ptr<Token> m_token;
    std::map<KeySpec, Bytes> m_keys;
};

/// Runs an expression that must throw inkan::Error with this code; prints the detail otherwise.
#define INKAN_EXPECT_ERRC(stmt, errc)                                                                   \
    do {                                                                                                \
        try {                                                                                           \
            stmt;                                                                                       \
            ADD_FAILURE() << #stmt " did not throw; expected " << ::inkan::errc_name(errc);             \
        } catch (const ::inkan::Error& e_) {                                                            \
            EXPECT_EQ(e_.code(), errc) << "got " << ::inkan::errc_name(e_.code()) << ": " << e_.what(); \
        }                                                                                               \
    } while (false)

inline std::string hex(ByteView b) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s;
    for (const auto c : b) {
        s += kDigits[c >> 4];
        s += kDigits[c & 0xf];
    }
    return s;
}

/// pkcs11-tool --list-objects, for an independent look at the token.
inline testing::CommandResult pkcs11_tool_list(const TokenConfig& c) {
    return testing::run({"pkcs11-tool", "--module", c.module.string(), "--token-label", c.token_label,
                         "--login", "--pin", std::string{testing::SoftHsm::kUserPin}, "--list-objects"});
}

}  // namespace inkan::hsm::test
