#include <algorithm>
#include <array>

#include <gtest/gtest.h>

#include <inkan/crypto/random.h>

namespace inkan::crypto {
namespace {

TEST(Random, ReturnsTheRequestedLength) {
    for (const std::size_t n :
         {std::size_t{0}, std::size_t{1}, std::size_t{32}, std::size_t{1000}, std::size_t{3} * 1024 * 1024}) {
        EXPECT_EQ(random_bytes(n).size(), n);
    }
}

TEST(Random, TwoCallsDiffer) {
    // 2^-256 chance of a false failure.
    EXPECT_NE(random_bytes(32), random_bytes(32));
    EXPECT_NE(random_hex(16), random_hex(16));
}

TEST(Random, FillsTheWholeSpan) {
    std::array<std::uint8_t, 64> buf{};
    random_fill(buf);
    // Each 16-octet quarter being all zero has probability 2^-128.
    for (std::size_t q = 0; q < 4; ++q) {
        EXPECT_FALSE(std::all_of(buf.begin() + static_cast<std::ptrdiff_t>(q * 16),
                                 buf.begin() + static_cast<std::ptrdiff_t>(q * 16 + 16),
                                 [](std::uint8_t b) { return b == 0; }))
            << "quarter " << q;
    }
}

TEST(Random, HexIsLowerCaseOfTwiceTheLength) {
    const std::string h = random_hex(20);
    EXPECT_EQ(h.size(), 40U);
    EXPECT_TRUE(std::all_of(h.begin(), h.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    })) << h;
    EXPECT_EQ(random_hex(0), "");
}

}  // namespace
}  // namespace inkan::crypto
