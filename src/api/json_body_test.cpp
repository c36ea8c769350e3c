// Strict request parsing: JSON objects only, duplicates refused at any depth, typed getters with the
// CSC's error strings.

#include "json_body.h"

#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "wire.h"

namespace inkan::api::detail {
namespace {

/// The error_description of the WireError `f` throws ("" and a failure if none).
std::string refusal(const std::function<void()>& f, int expected_status = 400) {
    try {
        f();
    } catch (const WireError& e) {
        EXPECT_EQ(e.status(), expected_status);
        EXPECT_EQ(e.error(), "invalid_request");
        return e.description();
    }
    ADD_FAILURE() << "no WireError thrown";
    return {};
}

TEST(JsonBody, AnEmptyOrWhitespaceBodyIsAnEmptyObject) {
    EXPECT_FALSE(JsonBody::parse("").has("x"));
    EXPECT_FALSE(JsonBody::parse(" \r\n\t").has("x"));
    EXPECT_FALSE(JsonBody::parse("{}").has("x"));
}

TEST(JsonBody, MalformedJsonIsRefused) {
    for (const char* body : {"{", "{\"a\":}", "{}x", "nul", "{\"a\":1,}", "{'a':1}", "\"\xff\""}) {
        EXPECT_EQ(refusal([&] { (void)JsonBody::parse(body); }), "Malformed JSON request body") << body;
    }
}

TEST(JsonBody, ABodyThatIsNotAnObjectIsRefused) {
    for (const char* body : {"[]", "\"x\"", "1", "null", "true"}) {
        EXPECT_EQ(refusal([&] { (void)JsonBody::parse(body); }), "The request body must be a JSON object")
            << body;
    }
}

TEST(JsonBody, ADuplicateParameterIsRefusedByName) {
    EXPECT_EQ(refusal([] { (void)JsonBody::parse(R"({"credentialID":"a","credentialID":"b"})"); }),
              "Duplicate parameter credentialID");
    EXPECT_EQ(refusal([] { (void)JsonBody::parse(R"({"a":{"id":1,"x":[{"id":2,"id":3}]}})"); }),
              "Duplicate parameter id");
}

TEST(JsonBody, EqualNamesInDifferentObjectsAreNotDuplicates) {
    const JsonBody b = JsonBody::parse(R"({"id":1,"a":{"id":2},"b":[{"id":3},{"id":4}]})");
    EXPECT_EQ(b.integer("id"), 1);
}

TEST(JsonBody, AnEchoedDuplicateNameIsCut) {
    const std::string name(500, 'n');
    const std::string description =
        refusal([&] { (void)JsonBody::parse("{\"" + name + "\":1,\"" + name + "\":2}"); });
    EXPECT_EQ(description, "Duplicate parameter " + std::string(64, 'n'));
}

TEST(JsonBody, DeepNestingIsRefused) {
    const std::string deep = "{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}";
    EXPECT_EQ(refusal([&] { (void)JsonBody::parse(deep); }),
              "JSON request body nested more than 32 levels deep");
    // 32 levels (the object and 31 arrays) are fine.
    const std::string ok = "{\"a\":" + std::string(31, '[') + std::string(31, ']') + "}";
    EXPECT_TRUE(JsonBody::parse(ok).has("a"));
}

TEST(JsonBody, TheDepthBoundStopsTheParseNotJustTheResult) {
    // 10,000 levels and then text that does not even parse: the parse stops at level 33, so the
    // answer is the depth, not "malformed" (which it would be if the whole text had been read).
    const std::string deep = "{\"a\":" + std::string(10'000, '[') + "this is not JSON";
    EXPECT_EQ(refusal([&] { (void)JsonBody::parse(deep); }),
              "JSON request body nested more than 32 levels deep");
}

TEST(JsonBody, TooManyValuesAreRefusedWhileParsing) {
    std::string many = "{\"a\":[0";
    for (int i = 0; i < 100'000; ++i) {
        many += ",0";
    }
    many += "]}";
    EXPECT_EQ(refusal([&] { (void)JsonBody::parse(many); }), "JSON request body has more than 100000 values");
    std::string fewer = "{\"a\":[0";
    for (int i = 0; i < 1'000; ++i) {
        fewer += ",0";
    }
    fewer += "]}";
    EXPECT_TRUE(JsonBody::parse(fewer).has("a"));
}

TEST(JsonBody, TypedGettersNameTheTypeAndTheParameter) {
    const JsonBody b = JsonBody::parse(R"({"s":1,"b":"true","i":1.5,"big":18446744073709551615,"n":null})");
    EXPECT_EQ(refusal([&] { (void)b.string("s"); }), "Missing (or invalid type) string parameter s");
    EXPECT_EQ(refusal([&] { (void)b.boolean("b"); }), "Missing (or invalid type) boolean parameter b");
    EXPECT_EQ(refusal([&] { (void)b.integer("i"); }), "Missing (or invalid type) integer parameter i");
    EXPECT_EQ(refusal([&] { (void)b.integer("big"); }), "Missing (or invalid type) integer parameter big");
    EXPECT_EQ(refusal([&] { (void)b.required_string("missing"); }),
              "Missing (or invalid type) string parameter missing");
    EXPECT_EQ(refusal([&] { (void)b.required_string("n"); }), "Missing (or invalid type) string parameter n");
    EXPECT_FALSE(b.has("n")) << "null counts as absent";
    EXPECT_EQ(b.string("n"), std::nullopt);
}

TEST(JsonBody, TypedGettersReturnTheValues) {
    const JsonBody b = JsonBody::parse(R"({"s":"日本","b":false,"i":-7,"u":42})");
    EXPECT_EQ(b.string("s"), "日本");
    EXPECT_EQ(b.boolean("b"), false);
    EXPECT_EQ(b.integer("i"), -7);
    EXPECT_EQ(b.integer("u"), 42);
    EXPECT_EQ(b.string("absent"), std::nullopt);
}

TEST(JsonBody, ASecretIsMovedOutOfTheDocument) {
    JsonBody b = JsonBody::parse(R"({"token":"abc.def"})");
    const auto secret = b.take_secret("token");
    ASSERT_TRUE(secret.has_value());
    EXPECT_EQ(secret->reveal(), "abc.def");
    EXPECT_FALSE(b.has("token")) << "the JSON value is gone";
    JsonBody wrong = JsonBody::parse(R"({"token":5})");
    EXPECT_EQ(refusal([&] { (void)wrong.take_secret("token"); }),
              "Missing (or invalid type) string parameter token");
}

TEST(JsonBody, ClientDataAndLangMustBeStrings) {
    JsonBody::parse(R"({"clientData":"anything","lang":"ja-JP"})").check_common();
    EXPECT_EQ(refusal([] { JsonBody::parse(R"({"clientData":{"a":1}})").check_common(); }),
              "Missing (or invalid type) string parameter clientData");
    EXPECT_EQ(refusal([] { JsonBody::parse(R"({"lang":7})").check_common(); }),
              "Missing (or invalid type) string parameter lang");
}

}  // namespace
}  // namespace inkan::api::detail
