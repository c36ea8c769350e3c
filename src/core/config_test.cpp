#include <cstdlib>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include <inkan/core/config.h>
#include <inkan/core/error.h>
#include <inkan/testing/process.h>

namespace inkan {
namespace {

/// An environment made of the given variables only.
EnvLookup env_of(std::map<std::string, std::string, std::less<>> vars) {
    return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
        if (const auto it = vars.find(name); it != vars.end()) {
            return it->second;
        }
        return std::nullopt;
    };
}

EnvLookup no_env() {
    return env_of({});
}

template <class F>
Error error_of(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return e;
    }
    ADD_FAILURE() << "no inkan::Error thrown";
    return Error{Errc::Internal, "no error"};
}

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

constexpr std::string_view kSample = R"(
# inkan.toml
name = "inkan"
debug = true
ratio = 0.25

[hsm]
module = "/usr/lib/softhsm/libsofthsm2.so"
pool_size = 8
pin_file = "secrets/hsm-user.pin"
allowed = ["ECDSA", "RSA-PSS"]
empty = []

[hsm.retry]
attempts = 3

[http]
listen = "127.0.0.1:8443"
started = 2026-01-02T03:04:05Z
)";

TEST(Config, EnvNameUpperCasesAndReplacesDots) {
    EXPECT_EQ(Config::env_name("hsm.pool_size"), "INKAN_HSM_POOL_SIZE");
    EXPECT_EQ(Config::env_name("name"), "INKAN_NAME");
    EXPECT_EQ(Config::env_name("tsa.url-primary"), "INKAN_TSA_URL_PRIMARY");
}

TEST(Config, ParsesScalarTypes) {
    const Config c = Config::parse(kSample, {}, no_env());
    EXPECT_EQ(c.string("name"), "inkan");
    EXPECT_EQ(c.boolean("debug"), true);
    EXPECT_EQ(c.integer("hsm.pool_size"), 8);
    EXPECT_TRUE(c.has("ratio"));
}

TEST(Config, FlattensNestedTablesToDottedKeys) {
    const Config c = Config::parse(kSample, {}, no_env());
    EXPECT_EQ(c.string("hsm.module"), "/usr/lib/softhsm/libsofthsm2.so");
    EXPECT_EQ(c.integer("hsm.retry.attempts"), 3);
    EXPECT_EQ(c.string("http.listen"), "127.0.0.1:8443");
    EXPECT_FALSE(c.has("hsm")) << "tables themselves are not values";
    const std::vector<std::string> expected = {
        "debug",         "hsm.allowed",        "hsm.empty",   "hsm.module",   "hsm.pin_file",
        "hsm.pool_size", "hsm.retry.attempts", "http.listen", "http.started", "name",
        "ratio"};
    EXPECT_EQ(c.keys(), expected);
}

TEST(Config, DottedKeysAndInlineTablesFlattenTheSameWay) {
    const Config c = Config::parse("a.b = 1\nc = { d = \"x\", e = { f = true } }\n", {}, no_env());
    EXPECT_EQ(c.integer("a.b"), 1);
    EXPECT_EQ(c.string("c.d"), "x");
    EXPECT_EQ(c.boolean("c.e.f"), true);
}

TEST(Config, ReadsArraysOfStrings) {
    const Config c = Config::parse(kSample, {}, no_env());
    EXPECT_EQ(c.strings("hsm.allowed"), (std::vector<std::string>{"ECDSA", "RSA-PSS"}));
    EXPECT_TRUE(c.strings("hsm.empty").empty());
    EXPECT_TRUE(c.strings("no.such.key").empty());
}

TEST(Config, RefusesArraysOfOtherThanStrings) {
    for (const std::string_view text :
         {"[x]\nports = [1, 2]\n", "mixed = [\"a\", 1]\n", "[[x.items]]\nname = \"a\"\n"}) {
        const Error e = error_of([&] { Config::parse(text, {}, no_env()); });
        EXPECT_EQ(e.code(), Errc::InvalidConfig) << text << ": " << e.what();
        EXPECT_TRUE(contains(e.what(), "'x.ports'") || contains(e.what(), "'mixed'") ||
                    contains(e.what(), "'x.items'"))
            << e.what();
    }
}

TEST(Config, MissingKeysAreEmptyOrFallback) {
    const Config c = Config::parse(kSample, {}, no_env());
    EXPECT_FALSE(c.has("nope"));
    EXPECT_EQ(c.string("nope"), std::nullopt);
    EXPECT_EQ(c.integer("nope"), std::nullopt);
    EXPECT_EQ(c.boolean("nope"), std::nullopt);
    EXPECT_EQ(c.path("nope"), std::nullopt);
    EXPECT_EQ(c.string_or("nope", "dflt"), "dflt");
    EXPECT_EQ(c.integer_or("nope", 7), 7);
    EXPECT_EQ(c.boolean_or("nope", true), true);
    EXPECT_EQ(c.integer_or("hsm.pool_size", 7), 8);
}

TEST(Config, RequireStringNamesTheKeyAndVariable) {
    const Config c = Config::parse(kSample, {}, no_env());
    EXPECT_EQ(c.require_string("hsm.module"), "/usr/lib/softhsm/libsofthsm2.so");
    const Error e = error_of([&] { (void)c.require_string("hsm.token"); });
    EXPECT_EQ(e.code(), Errc::InvalidConfig);
    EXPECT_TRUE(contains(e.what(), "hsm.token")) << e.what();
    EXPECT_TRUE(contains(e.what(), "INKAN_HSM_TOKEN")) << e.what();
}

TEST(Config, WrongTypeNamesTheKeyNotTheValue) {
    const Config c = Config::parse("[hsm]\npin = \"s3cr3t-value\"\nport = 8443\n", {}, no_env());
    const Error as_int = error_of([&] { (void)c.integer("hsm.pin"); });
    EXPECT_EQ(as_int.code(), Errc::InvalidConfig);
    EXPECT_TRUE(contains(as_int.what(), "hsm.pin")) << as_int.what();
    EXPECT_FALSE(contains(as_int.what(), "s3cr3t-value")) << as_int.what();

    const Error as_string = error_of([&] { (void)c.string("hsm.port"); });
    EXPECT_EQ(as_string.code(), Errc::InvalidConfig);
    EXPECT_FALSE(contains(as_string.what(), "8443")) << as_string.what();

    EXPECT_EQ(error_of([&] { (void)c.boolean("hsm.port"); }).code(), Errc::InvalidConfig);
    EXPECT_EQ(error_of([&] { (void)c.strings("hsm.pin"); }).code(), Errc::InvalidConfig);
}

TEST(Config, EnvironmentOverrideWins) {
    const Config c = Config::parse(
        kSample, {},
        env_of(
            {{"INKAN_HSM_MODULE", "/opt/hsm/lib.so"}, {"INKAN_HSM_POOL_SIZE", "16"}, {"INKAN_DEBUG", "no"}}));
    EXPECT_EQ(c.string("hsm.module"), "/opt/hsm/lib.so");
    EXPECT_EQ(c.integer("hsm.pool_size"), 16);
    EXPECT_EQ(c.boolean("debug"), false);
    EXPECT_EQ(c.string("name"), "inkan") << "keys without a variable keep the file's value";
}

TEST(Config, EnvironmentOverridesAKeyTheFileLacks) {
    const Config c = Config::parse("", {},
                                   env_of({{"INKAN_TSA_URL", "http://tsa.example/"},
                                           {"INKAN_TSA_TIMEOUT_MS", "-250"},
                                           {"INKAN_TSA_ENABLED", "1"}}));
    EXPECT_TRUE(c.has("tsa.url"));
    EXPECT_EQ(c.require_string("tsa.url"), "http://tsa.example/");
    EXPECT_EQ(c.integer("tsa.timeout_ms"), -250);
    EXPECT_EQ(c.boolean("tsa.enabled"), true);
    EXPECT_TRUE(c.keys().empty()) << "keys() lists what the file defines";
}

TEST(Config, BooleanOverrideAcceptsCommonSpellings) {
    for (const auto& [text, expected] : std::map<std::string, bool>{{"true", true},
                                                                    {"1", true},
                                                                    {"yes", true},
                                                                    {"TRUE", true},
                                                                    {"Yes", true},
                                                                    {"false", false},
                                                                    {"0", false},
                                                                    {"no", false},
                                                                    {"False", false},
                                                                    {"NO", false}}) {
        const Config c = Config::parse("", {}, env_of({{"INKAN_FLAG", text}}));
        EXPECT_EQ(c.boolean("flag"), expected) << "INKAN_FLAG=" << text;
    }
}

TEST(Config, BadBooleanOverrideNamesVariableNotValue) {
    const Config c = Config::parse("flag = true", {}, env_of({{"INKAN_FLAG", "maybe-later"}}));
    const Error e = error_of([&] { (void)c.boolean("flag"); });
    EXPECT_EQ(e.code(), Errc::InvalidConfig);
    EXPECT_TRUE(contains(e.what(), "INKAN_FLAG")) << e.what();
    EXPECT_FALSE(contains(e.what(), "maybe-later")) << e.what();
}

TEST(Config, BadIntegerOverrideNamesVariableNotValue) {
    const std::string secret_looking = "12ab-s3cr3t";
    const Config c = Config::parse(kSample, {}, env_of({{"INKAN_HSM_POOL_SIZE", secret_looking}}));
    const Error e = error_of([&] { (void)c.integer("hsm.pool_size"); });
    EXPECT_EQ(e.code(), Errc::InvalidConfig);
    EXPECT_TRUE(contains(e.what(), "INKAN_HSM_POOL_SIZE")) << e.what();
    EXPECT_TRUE(contains(e.what(), "hsm.pool_size")) << e.what();
    EXPECT_FALSE(contains(e.what(), secret_looking)) << e.what();
}

TEST(Config, IntegerOverrideMustBeTheWholeStringInDecimal) {
    for (const std::string_view text :
         {"", " 8", "8 ", "+8", "0x10", "8.0", "1e3", "8k", "99999999999999999999", "--1"}) {
        const Config c = Config::parse("", {}, env_of({{"INKAN_N", std::string{text}}}));
        const Error e = error_of([&] { (void)c.integer("n"); });
        EXPECT_EQ(e.code(), Errc::InvalidConfig) << "INKAN_N=\"" << text << "\": " << e.what();
    }
    const Config min = Config::parse("", {}, env_of({{"INKAN_N", "-9223372036854775808"}}));
    EXPECT_EQ(min.integer("n"), std::numeric_limits<std::int64_t>::min());
}

TEST(Config, StringsOverrideIsCommaSeparated) {
    const Config c = Config::parse(
        kSample, {},
        env_of(
            {{"INKAN_HSM_ALLOWED", "ECDSA, Ed25519 ,RSA-PSS"}, {"INKAN_EMPTY", ""}, {"INKAN_ONE", "only"}}));
    EXPECT_EQ(c.strings("hsm.allowed"), (std::vector<std::string>{"ECDSA", "Ed25519", "RSA-PSS"}));
    EXPECT_TRUE(c.strings("empty").empty());
    EXPECT_EQ(c.strings("one"), (std::vector<std::string>{"only"}));
}

TEST(Config, PathResolvesRelativeValuesAgainstBaseDir) {
    const Config c = Config::parse(kSample, "/etc/inkan", no_env());
    EXPECT_EQ(c.path("hsm.pin_file"), std::filesystem::path{"/etc/inkan/secrets/hsm-user.pin"});
    EXPECT_EQ(c.path("hsm.module"), std::filesystem::path{"/usr/lib/softhsm/libsofthsm2.so"});
    EXPECT_EQ(c.base_dir(), std::filesystem::path{"/etc/inkan"});

    const Config overridden =
        Config::parse(kSample, "/etc/inkan", env_of({{"INKAN_HSM_PIN_FILE", "other.pin"}}));
    EXPECT_EQ(overridden.path("hsm.pin_file"), std::filesystem::path{"/etc/inkan/other.pin"});
}

TEST(Config, ParseErrorGivesLineAndColumn) {
    const Error e = error_of([] { Config::parse("a = 1\nb = \"ok\"\nc = = 3\n", {}, no_env()); });
    EXPECT_EQ(e.code(), Errc::InvalidConfig);
    EXPECT_TRUE(contains(e.what(), "line 3")) << e.what();
    EXPECT_TRUE(contains(e.what(), "column")) << e.what();
}

TEST(Config, ParseErrorDoesNotQuoteTheValue) {
    // toml++ would say "'98765432109876543210' is not representable in 64 bits".
    const Error big = error_of([] { Config::parse("pin = 98765432109876543210\n", {}, no_env()); });
    EXPECT_EQ(big.code(), Errc::InvalidConfig);
    EXPECT_TRUE(contains(big.what(), "line 1")) << big.what();
    EXPECT_FALSE(contains(big.what(), "98765")) << big.what();

    // ... and "expected 'true', saw 'tru'" for a broken boolean.
    const Error word = error_of([] { Config::parse("[hsm]\npin = trXsecret\n", {}, no_env()); });
    EXPECT_TRUE(contains(word.what(), "line 2")) << word.what();
    EXPECT_FALSE(contains(word.what(), "trX")) << word.what();
    EXPECT_FALSE(contains(word.what(), "secret")) << word.what();

    const Error unterminated = error_of([] { Config::parse("pin = \"hunter2\n", {}, no_env()); });
    EXPECT_FALSE(contains(unterminated.what(), "hunter2")) << unterminated.what();
}

TEST(Config, RefusesKeyDefinedTwiceThroughQuotedDots) {
    const Error e = error_of([] { Config::parse("\"a.b\" = 1\n[a]\nb = 2\n", {}, no_env()); });
    EXPECT_EQ(e.code(), Errc::InvalidConfig);
    EXPECT_TRUE(contains(e.what(), "a.b")) << e.what();
}

TEST(Config, LoadReadsAFileAndUsesItsDirectory) {
    testing::TempDir dir{"inkan-config"};
    testing::write_file(dir / "inkan.toml", std::string_view{"[hsm]\npin_file = \"pin\"\n"});
    const Config c = Config::load(dir / "inkan.toml", no_env());
    EXPECT_EQ(c.base_dir(), dir.path());
    EXPECT_EQ(c.path("hsm.pin_file"), dir / "pin");
}

TEST(Config, LoadOfMissingFileIsInvalidConfigNamingThePath) {
    testing::TempDir dir{"inkan-config"};
    const auto missing = dir / "missing.toml";
    const Error e = error_of([&] { Config::load(missing, no_env()); });
    EXPECT_EQ(e.code(), Errc::InvalidConfig) << e.what();
    EXPECT_TRUE(contains(e.what(), missing.string())) << e.what();
}

TEST(Config, LoadParseErrorNamesThePathAndLine) {
    testing::TempDir dir{"inkan-config"};
    testing::write_file(dir / "bad.toml", std::string_view{"ok = 1\n[broken\n"});
    const Error e = error_of([&] { Config::load(dir / "bad.toml", no_env()); });
    EXPECT_EQ(e.code(), Errc::InvalidConfig);
    EXPECT_TRUE(contains(e.what(), "bad.toml")) << e.what();
    EXPECT_TRUE(contains(e.what(), "line 2")) << e.what();
}

TEST(Config, ProcessEnvReadsTheEnvironment) {
    ::setenv("INKAN_CONFIG_TEST_PROCESS_ENV", "from-env", 1);
    const Config c = Config::parse("", {}, process_env());
    EXPECT_EQ(c.string("config.test.process.env"), "from-env");
    ::unsetenv("INKAN_CONFIG_TEST_PROCESS_ENV");
    EXPECT_EQ(c.string("config.test.process.env"), std::nullopt);
}

TEST(Config, DefaultConfigIsEmpty) {
    const Config c;
    EXPECT_FALSE(c.has("anything"));
    EXPECT_TRUE(c.keys().empty());
}

}  // namespace
}  // namespace inkan
