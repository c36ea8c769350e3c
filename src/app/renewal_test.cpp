// The inkan.toml rewrite `inkan ca renew` does (decision 0037): only the renewed table's keys change,
// every other byte (comments, other tables, look-alike tables) stays; what the result means is checked
// by parsing it with the configuration's own TOML parser.

#include <gtest/gtest.h>

#include <inkan/core/config.h>
#include <inkan/core/error.h>

#include "renewal.h"

namespace inkan::app {
namespace {

constexpr std::string_view kToml = R"(# written by inkan init
[tsa]
policy = "1.2.3"
key_id = "aa"   # the first key
certificate = "pki/tsa-chain.pem"

[tsa.extra]
key_id = "bb"
certificate = "pki/extra.pem"

[tls]
key_id = "cc"
certificate = "pki/tls-chain.pem"
)";

Config parsed(std::string_view text) {
    return Config::parse(text, "/data", [](std::string_view) { return std::optional<std::string>{}; });
}

TEST(SetTomlKeys, ReplacesTheTablesKeysAndAddsMissingOnesKeepingEverythingElse) {
    const std::string out =
        set_toml_keys(kToml, "tsa",
                      {{"key_id", toml_quote("dd")},
                       {"certificate", toml_quote("pki/tsa-chain-01.pem")},
                       {"retired_certificates", "[" + toml_quote("pki/tsa-chain.pem") + "]"}});
    const Config c = parsed(out);
    EXPECT_EQ(c.string_or("tsa.key_id", ""), "dd") << out;
    EXPECT_EQ(c.string_or("tsa.certificate", ""), "pki/tsa-chain-01.pem") << out;
    EXPECT_EQ(c.strings("tsa.retired_certificates"), std::vector<std::string>{"pki/tsa-chain.pem"}) << out;
    EXPECT_EQ(c.string_or("tsa.policy", ""), "1.2.3");
    EXPECT_EQ(c.string_or("tsa.extra.key_id", ""), "bb") << "a [tsa.<name>] table is another table";
    EXPECT_EQ(c.string_or("tls.key_id", ""), "cc");
    // Byte for byte outside the changed lines; the new key sits in its table, before the blank line.
    EXPECT_EQ(out, R"(# written by inkan init
[tsa]
policy = "1.2.3"
key_id = "dd"
certificate = "pki/tsa-chain-01.pem"
retired_certificates = ["pki/tsa-chain.pem"]

[tsa.extra]
key_id = "bb"
certificate = "pki/extra.pem"

[tls]
key_id = "cc"
certificate = "pki/tls-chain.pem"
)");
}

TEST(SetTomlKeys, TheLastTableAndANamedIdentityAreFound) {
    const std::string tls = set_toml_keys(kToml, "tls", {{"key_id", toml_quote("ee")}});
    EXPECT_EQ(parsed(tls).string_or("tls.key_id", ""), "ee") << tls;
    EXPECT_EQ(parsed(tls).string_or("tsa.key_id", ""), "aa") << tls;
    const std::string extra = set_toml_keys(kToml, "tsa.extra", {{"key_id", toml_quote("ff")}});
    EXPECT_EQ(parsed(extra).string_or("tsa.extra.key_id", ""), "ff") << extra;
    EXPECT_EQ(parsed(extra).string_or("tsa.key_id", ""), "aa") << extra;
}

TEST(SetTomlKeys, RefusesAMissingTableAndAMultiLineValue) {
    try {
        (void)set_toml_keys(kToml, "ocsp", {{"key_id", toml_quote("00")}});
        ADD_FAILURE() << "no [ocsp] table, yet rewritten";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::InvalidConfig);
        EXPECT_NE(std::string{e.what()}.find("[ocsp]"), std::string::npos) << e.what();
    }
    const std::string multi = "[tsa]\nkey_id = \"aa\"\nretired_certificates = [\n  \"a.pem\",\n]\n";
    try {
        (void)set_toml_keys(multi, "tsa", {{"retired_certificates", "[]"}});
        ADD_FAILURE() << "a multi-line array rewritten";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::InvalidConfig);
    }
}

TEST(SetTomlKeys, QuotesBackslashesAndQuotes) {
    EXPECT_EQ(toml_quote(R"(a"b\c)"), R"("a\"b\\c")");
    const std::string out =
        set_toml_keys("[tls]\n", "tls", {{"certificate", toml_quote(R"(C:\pki\"x".pem)")}});
    EXPECT_EQ(parsed(out).string_or("tls.certificate", ""), R"(C:\pki\"x".pem)") << out;
}

}  // namespace
}  // namespace inkan::app
