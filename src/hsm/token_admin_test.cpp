#include <algorithm>

#include <gtest/gtest.h>

#include "test_helpers.h"
#include "token_impl.h"

namespace inkan::hsm {
namespace {

using testing::SoftHsm;

std::filesystem::path module_path() {
    (void)SoftHsm::instance();  // SOFTHSM2_CONF before the module loads
    return testing::softhsm_module();
}

TokenConfig config_for(std::string label, std::string_view pin = SoftHsm::kUserPin) {
    TokenConfig c;
    c.module = module_path();
    c.token_label = std::move(label);
    c.user_pin = Secret{pin};
    c.pool_size = 2;
    return c;
}

TEST(TokenAdmin, InitialisesATokenThatCanBeOpenedRightAway) {
    const auto module = module_path();
    initialize_token(module, "admin-new", Secret{std::string_view{"87654321"}},
                     Secret{std::string_view{"4321"}});
    const auto labels = token_labels(module);
    EXPECT_NE(std::find(labels.begin(), labels.end(), "admin-new"), labels.end());

    Token token{config_for("admin-new", "4321")};
    const Bytes id = token.generate_key_pair(KeySpec::EcP256, "k");
    EXPECT_TRUE(token.find(ObjectClass::PrivateKey, id).has_value());

    // And again while the module is held by the Token above (shared in-process module).
    initialize_token(module, "admin-second", Secret{std::string_view{"87654321"}},
                     Secret{std::string_view{"1111"}});
    Token second{config_for("admin-second", "1111")};
    EXPECT_EQ(second.info().label, "admin-second");
    EXPECT_FALSE(second.find(ObjectClass::PrivateKey, id).has_value()) << "tokens do not share keys";
}

TEST(TokenAdmin, DuplicateLabelIsAConflict) {
    const auto cfg = SoftHsm::instance().make_token("dup");
    INKAN_EXPECT_ERRC(initialize_token(cfg.module, cfg.token_label, Secret{std::string_view{"12345678"}},
                                       Secret{std::string_view{"1234"}}),
                      Errc::Conflict);
}

TEST(TokenAdmin, RefusesBadLabels) {
    const auto module = module_path();
    INKAN_EXPECT_ERRC(
        initialize_token(module, "", Secret{std::string_view{"12345678"}}, Secret{std::string_view{"1234"}}),
        Errc::InvalidRequest);
    INKAN_EXPECT_ERRC(initialize_token(module, std::string(33, 'x'), Secret{std::string_view{"12345678"}},
                                       Secret{std::string_view{"1234"}}),
                      Errc::InvalidRequest);
}

TEST(TokenAdmin, InfoDescribesModuleAndToken) {
    const auto cfg = SoftHsm::instance().make_token("info");
    Token token{test::clone(cfg)};
    const TokenInfo info = token.info();
    EXPECT_EQ(info.label, cfg.token_label);
    EXPECT_EQ(info.module_path, std::filesystem::canonical(cfg.module));
    EXPECT_EQ(info.library_manufacturer, "SoftHSM");
    EXPECT_EQ(info.library_version, "2.6");
    EXPECT_EQ(info.cryptoki_version.substr(0, 2), "2.");
    EXPECT_FALSE(info.library_description.empty());
    EXPECT_EQ(info.manufacturer, "SoftHSM project");
    EXPECT_EQ(info.model, "SoftHSM v2");
    EXPECT_FALSE(info.serial.empty());
    EXPECT_EQ(info.slot_id, token.impl().pool().slot());
    EXPECT_TRUE(info.token_initialized);
    EXPECT_TRUE(info.user_pin_initialized);
    EXPECT_TRUE(info.login_required);
    EXPECT_FALSE(info.user_pin_locked);
    // SoftHSM leaves ulSessionCount unreported (0 here); a module that reports it counts the pool's.
    EXPECT_TRUE(info.session_count == 0 || info.session_count >= 4U) << info.session_count;
}

TEST(TokenAdmin, WrongPinIsInvalidAuthData) {
    const auto cfg = SoftHsm::instance().make_token("pin");
    INKAN_EXPECT_ERRC(Token{config_for(cfg.token_label, "0000")}, Errc::InvalidAuthData);
    Token ok{test::clone(cfg)};  // the right PIN still works
    // Login is per application: a second Token must not get in with a wrong PIN because the
    // token is already logged in.
    INKAN_EXPECT_ERRC(Token{config_for(cfg.token_label, "9999")}, Errc::InvalidAuthData);
    Token second{test::clone(cfg)};
    EXPECT_EQ(second.info().label, cfg.token_label);
}

TEST(TokenAdmin, UnknownTokenIsHsmUnavailable) {
    INKAN_EXPECT_ERRC(Token{config_for("no-such-token")}, Errc::HsmUnavailable);
}

TEST(TokenAdmin, MissingModuleIsHsmUnavailable) {
    TokenConfig c = config_for("x");
    c.module = "/nonexistent/libpkcs11.so";
    INKAN_EXPECT_ERRC(Token{std::move(c)}, Errc::HsmUnavailable);
    INKAN_EXPECT_ERRC((void)token_labels("/usr/lib/x86_64-linux-gnu/libc.so.6"), Errc::HsmUnavailable);
}

TEST(TokenAdmin, TwoTokensOnOneModuleShareItsInitialisation) {
    const auto a = SoftHsm::instance().make_token("share-a");
    const auto b = SoftHsm::instance().make_token("share-b");
    Token ta{test::clone(a)};
    Token tb{test::clone(b)};
    EXPECT_EQ(&ta.impl().module(), &tb.impl().module());
    const Bytes id = tb.generate_key_pair(KeySpec::EcP256, "k");
    EXPECT_FALSE(tb.sign(id, crypto::SignatureAlgorithm::ecdsa(crypto::DigestAlgorithm::Sha256), Bytes(32, 1))
                     .empty());
}

}  // namespace
}  // namespace inkan::hsm
