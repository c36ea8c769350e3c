#include <ostream>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>

#include <gtest/gtest.h>

#include <inkan/core/secret.h>

namespace inkan {
namespace {

template <class T>
concept Streamable = requires(std::ostream& os, const T& value) {
    os << value;
};

// A secret must not be copied by accident or printed: both are compile-time properties.
static_assert(!std::is_copy_constructible_v<Secret>);
static_assert(!std::is_copy_assignable_v<Secret>);
static_assert(std::is_nothrow_move_constructible_v<Secret>);
static_assert(std::is_nothrow_move_assignable_v<Secret>);
static_assert(!Streamable<Secret>, "os << secret must not compile");
static_assert(Streamable<std::string>, "the Streamable check itself must work");
// No implicit way from text to Secret either: every construction is visible at the call site.
static_assert(!std::is_convertible_v<std::string_view, Secret>);
static_assert(!std::is_convertible_v<std::string, Secret>);

TEST(Secret, RevealsWhatItWasGiven) {
    const Secret s{std::string_view{"123456"}};
    EXPECT_EQ(s.reveal(), "123456");
    EXPECT_EQ(s.size(), 6U);
    EXPECT_FALSE(s.empty());
    EXPECT_EQ(to_string(s.reveal_bytes()), "123456");
}

TEST(Secret, DefaultIsEmpty) {
    const Secret s;
    EXPECT_TRUE(s.empty());
    EXPECT_EQ(s.size(), 0U);
    EXPECT_EQ(s.reveal(), "");
}

TEST(Secret, TakingAStringWipesTheArgument) {
    std::string pin = "correct horse battery staple";  // long enough to live on the heap
    const Secret s{std::move(pin)};
    EXPECT_EQ(s.reveal(), "correct horse battery staple");
    EXPECT_TRUE(pin.empty()) << "left behind: \"" << pin << "\"";  // NOLINT(bugprone-use-after-move)
}

TEST(Secret, ConstructsFromBytes) {
    const Bytes raw{0x00, 0xff, 0x41};
    const Secret s{ByteView{raw}};
    EXPECT_EQ(to_bytes(s.reveal_bytes()), raw);
}

TEST(Secret, MoveConstructionLeavesSourceEmpty) {
    Secret a{std::string_view{"9876"}};
    const Secret b{std::move(a)};
    EXPECT_EQ(b.reveal(), "9876");
    EXPECT_TRUE(a.empty()) << "size " << a.size();  // NOLINT(bugprone-use-after-move)
}

TEST(Secret, MoveAssignmentLeavesSourceEmptyAndReplacesTarget) {
    Secret a{std::string_view{"new-secret"}};
    Secret b{std::string_view{"old-secret"}};
    b = std::move(a);
    EXPECT_EQ(b.reveal(), "new-secret");
    EXPECT_TRUE(a.empty()) << "size " << a.size();  // NOLINT(bugprone-use-after-move)
}

TEST(Secret, SelfMoveAssignmentKeepsTheValue) {
    Secret a{std::string_view{"same"}};
    Secret& alias = a;
    a = std::move(alias);
    EXPECT_EQ(a.reveal(), "same");
}

TEST(Secret, CloneIsAnIndependentCopy) {
    Secret a{std::string_view{"4242"}};
    const Secret b = a.clone();
    a = Secret{};
    EXPECT_EQ(b.reveal(), "4242");
    EXPECT_TRUE(a.empty());
}

TEST(Secret, EqualsComparesContent) {
    const Secret s{std::string_view{"123456"}};
    EXPECT_TRUE(s.equals("123456"));
    EXPECT_FALSE(s.equals("123457")) << "last byte differs";
    EXPECT_FALSE(s.equals("023456")) << "first byte differs";
    EXPECT_FALSE(s.equals("12345")) << "a prefix is not equal";
    EXPECT_FALSE(s.equals("1234567")) << "a longer string is not equal";
    EXPECT_FALSE(s.equals("")) << "empty is not equal";
    EXPECT_TRUE(Secret{}.equals(""));
}

TEST(Secret, EqualsHandlesEmbeddedNul) {
    const std::string_view with_nul{"ab\0cd", 5};
    const Secret s{with_nul};
    EXPECT_TRUE(s.equals(with_nul));
    EXPECT_FALSE(s.equals(std::string_view{"ab\0ce", 5}));
    EXPECT_FALSE(s.equals("ab"));
}

TEST(EqualConstantTime, ComparesBytesOfPossiblyDifferentLength) {
    EXPECT_TRUE(equal_constant_time(as_bytes("abc"), as_bytes("abc")));
    EXPECT_FALSE(equal_constant_time(as_bytes("abc"), as_bytes("abd")));
    EXPECT_FALSE(equal_constant_time(as_bytes("abc"), as_bytes("ab")));
    EXPECT_TRUE(equal_constant_time(as_bytes(""), as_bytes("")));
}

TEST(SecureWipe, ZeroesTheBuffer) {
    char buf[8] = {'s', 'e', 'c', 'r', 'e', 't', '!', '!'};
    secure_wipe(buf, sizeof buf);
    for (const char c : buf) {
        EXPECT_EQ(c, '\0');
    }
    secure_wipe(nullptr, 0);  // allowed, does nothing
}

}  // namespace
}  // namespace inkan
