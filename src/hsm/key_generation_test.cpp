#include <sstream>

#include <gtest/gtest.h>

#include "attributes.h"
#include "test_helpers.h"
#include "token_impl.h"

namespace inkan::hsm {
namespace {

using test::TokenEnv;

class KeyGeneration : public ::testing::TestWithParam<KeySpec> {};

std::size_t expected_bits(KeySpec spec) {
    switch (spec) {
        case KeySpec::Rsa2048:
            return 2048;
        case KeySpec::Rsa3072:
            return 3072;
        case KeySpec::Rsa4096:
            return 4096;
        case KeySpec::EcP256:
            return 256;
        case KeySpec::EcP384:
            return 384;
        case KeySpec::EcP521:
            return 521;
    }
    return 0;
}

TEST_P(KeyGeneration, MakesASensitiveNonExtractableKeyPairWithAFreshId) {
    const KeySpec spec = GetParam();
    Token& token = TokenEnv::get().token();
    const std::string label = "gen-" + std::string{name(spec)};
    const Bytes id = token.generate_key_pair(spec, label);
    ASSERT_EQ(id.size(), 16U);

    const auto priv = token.find(ObjectClass::PrivateKey, id);
    ASSERT_TRUE(priv.has_value());
    EXPECT_EQ(priv->label, label);
    EXPECT_EQ(priv->id, id);
    EXPECT_EQ(priv->key_type, key_type(spec) == crypto::KeyType::Rsa ? "RSA" : "EC");
    EXPECT_EQ(priv->bits, expected_bits(spec));
    EXPECT_EQ(priv->sensitive, std::optional<bool>{true});
    EXPECT_EQ(priv->extractable, std::optional<bool>{false});
    EXPECT_EQ(priv->always_sensitive, std::optional<bool>{true});
    EXPECT_EQ(priv->never_extractable, std::optional<bool>{true});
    EXPECT_EQ(priv->is_private, std::optional<bool>{true});
    EXPECT_EQ(priv->on_token, std::optional<bool>{true});

    const auto pub = token.find(ObjectClass::PublicKey, id);
    ASSERT_TRUE(pub.has_value());
    EXPECT_EQ(pub->label, label);
    EXPECT_EQ(pub->bits, expected_bits(spec));
    EXPECT_EQ(pub->is_private, std::optional<bool>{false});
    EXPECT_EQ(pub->on_token, std::optional<bool>{true});

    EXPECT_EQ(token.find_id_by_label(ObjectClass::PrivateKey, label), std::optional<Bytes>{id});

    const auto key = crypto::PublicKey::from_spki(token.public_key_spki(id));
    EXPECT_EQ(key.type(), key_type(spec));
    EXPECT_EQ(key.bits(), expected_bits(spec));
}

INSTANTIATE_TEST_SUITE_P(AllKeySpecs, KeyGeneration,
                         ::testing::Values(KeySpec::Rsa2048, KeySpec::Rsa3072, KeySpec::Rsa4096,
                                           KeySpec::EcP256, KeySpec::EcP384, KeySpec::EcP521),
                         [](const auto& param_info) {
                             std::string n{name(param_info.param)};
                             std::erase(n, '-');
                             return n;
                         });

TEST(KeyGeneration, GivesEveryKeyADifferentId) {
    Token& token = TokenEnv::get().token();
    const Bytes a = token.generate_key_pair(KeySpec::EcP256, "twin");
    const Bytes b = token.generate_key_pair(KeySpec::EcP256, "twin");
    EXPECT_NE(a, b);
}

TEST(KeyGeneration, KeySpecNamesRoundTrip) {
    for (const KeySpec s : {KeySpec::Rsa2048, KeySpec::Rsa3072, KeySpec::Rsa4096, KeySpec::EcP256,
                            KeySpec::EcP384, KeySpec::EcP521}) {
        EXPECT_EQ(key_spec_from_name(name(s)), std::optional<KeySpec>{s}) << name(s);
    }
    EXPECT_FALSE(key_spec_from_name("rsa-1024").has_value());
}

/// pkcs11-tool's view of the private key: the "Access:" line of the "Private Key Object" with this label.
std::string pkcs11_tool_access(const std::string& listing, const std::string& label) {
    std::istringstream in{listing};
    std::string line;
    bool in_private = false;
    bool label_matches = false;
    while (std::getline(in, line)) {
        if (!line.empty() && line[0] != ' ') {
            in_private = line.starts_with("Private Key Object");
            label_matches = false;
            continue;
        }
        const auto value = [&](std::string_view key) -> std::optional<std::string> {
            const auto pos = line.find(key);
            if (pos == std::string::npos) {
                return std::nullopt;
            }
            std::string v = line.substr(pos + key.size());
            v.erase(0, v.find_first_not_of(' '));
            return v;
        };
        if (!in_private) {
            continue;
        }
        if (const auto l = value("label:")) {
            label_matches = *l == label;
        } else if (const auto a = value("Access:"); a && label_matches) {
            return *a;
        }
    }
    return {};
}

TEST(KeyGeneration, PrivateKeysAreSensitiveForPkcs11ToolToo) {
    auto& env = TokenEnv::get();
    for (const KeySpec spec : {KeySpec::Rsa2048, KeySpec::EcP256}) {
        const std::string label = "tool-" + std::string{name(spec)};
        env.token().generate_key_pair(spec, label);
        const auto r = test::pkcs11_tool_list(env.config());
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const std::string access = pkcs11_tool_access(r.out, label);
        EXPECT_EQ(access, "sensitive, always sensitive, never extractable, local") << r.out;
    }
}

TEST(KeyGeneration, TokenRefusesToRevealPrivateKeyValues) {
    auto& env = TokenEnv::get();
    Token& token = env.token();
    const Bytes rsa = token.generate_key_pair(KeySpec::Rsa2048, "secret-rsa");
    const Bytes ec = token.generate_key_pair(KeySpec::EcP256, "secret-ec");
    auto& impl = token.impl();
    const auto rv_of = [&](ByteView id, CK_ATTRIBUTE_TYPE type) {
        return impl.with_session([&](const Session& s) {
            const auto key = impl.resolve(s, id, CKO_PRIVATE_KEY);
            CK_ATTRIBUTE a{type, nullptr, 0};
            return impl.fn().C_GetAttributeValue(s.handle, key.handle, &a, 1);
        });
    };
    for (const auto type : {CKA_PRIVATE_EXPONENT, CKA_PRIME_1, CKA_PRIME_2}) {
        const CK_RV rv = rv_of(rsa, type);
        EXPECT_EQ(rv, CKR_ATTRIBUTE_SENSITIVE) << ckr_name(rv) << " for attribute " << type;
    }
    const CK_RV rv = rv_of(ec, CKA_VALUE);
    EXPECT_EQ(rv, CKR_ATTRIBUTE_SENSITIVE) << ckr_name(rv);
}

TEST(KeyGeneration, ListsEveryObjectWithItsAttributes) {
    Token& token = TokenEnv::get().token();
    const Bytes id = token.generate_key_pair(KeySpec::EcP384, "listed");
    const Bytes aes = token.generate_aes_key("listed-aes");
    const auto objects = token.objects();
    int found = 0;
    for (const ObjectInfo& o : objects) {
        if (o.id == id) {
            ++found;
            EXPECT_EQ(o.key_type, "EC");
            EXPECT_EQ(o.bits, 384U);
            if (o.object_class == ObjectClass::PublicKey) {
                EXPECT_FALSE(o.sensitive.has_value()) << "public keys have no CKA_SENSITIVE";
            }
        }
        if (o.id == aes) {
            ++found;
            EXPECT_EQ(o.object_class, ObjectClass::SecretKey);
            EXPECT_EQ(o.key_type, "AES");
            EXPECT_EQ(o.bits, 256U);
            EXPECT_EQ(o.extractable, std::optional<bool>{false});
        }
    }
    EXPECT_EQ(found, 3) << objects.size() << " objects listed";
}

}  // namespace
}  // namespace inkan::hsm
