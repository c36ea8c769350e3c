// argon2id (libsodium) and TOTP (RFC 6238): the RFC's own vectors, and oathtool as an outside judge.

#include <inkan/service/secrets.h>

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/testing/process.h>

namespace inkan::service {
namespace {

using namespace std::chrono_literals;

TimePoint at(std::int64_t unix_seconds) {
    return TimePoint{std::chrono::seconds{unix_seconds}};
}

Errc code_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.code();
    }
    ADD_FAILURE() << "no inkan::Error thrown";
    return Errc::Internal;
}

// ---- argon2id ----

TEST(PasswordHash, IsAStandardArgon2idStringThatVerifies) {
    const Secret password{std::string_view{"correct horse battery staple"}};
    const std::string hash = hash_password(password);
    EXPECT_EQ(hash.rfind("$argon2id$v=19$m=65536,t=2,p=1$", 0), 0U) << hash;
    EXPECT_EQ(hash.find("correct horse"), std::string::npos);
    EXPECT_TRUE(verify_password(hash, password));
    EXPECT_FALSE(verify_password(hash, Secret{std::string_view{"correct horse battery stapl"}}));
    EXPECT_FALSE(verify_password(hash, Secret{}));
}

TEST(PasswordHash, IsSaltedSoEqualPasswordsHashDifferently) {
    const Secret password{std::string_view{"パスワード12345"}};
    const std::string a = hash_password(password);
    const std::string b = hash_password(password);
    EXPECT_NE(a, b);
    EXPECT_TRUE(verify_password(a, password));
    EXPECT_TRUE(verify_password(b, password));
}

TEST(PasswordHash, AMalformedHashVerifiesNothing) {
    const Secret password{std::string_view{"whatever1"}};
    for (const std::string& bad : {std::string{}, std::string{"$argon2id$"}, std::string{"plain"},
                                   std::string(300, 'x'), std::string{"$argon2id$v=19\0zz", 17}}) {
        EXPECT_FALSE(verify_password(bad, password)) << bad.size();
    }
    // An argon2i hash (not id) is refused too: inkan only writes argon2id.
    EXPECT_FALSE(verify_password(
        "$argon2i$v=19$m=4096,t=3,p=1$c29tZXNhbHQ$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A", password));
}

// ---- TOTP: RFC 6238 Appendix B (SHA-1 seed "12345678901234567890", 8 digits) ----

const Bytes kRfcSeed = to_bytes(std::string_view{"12345678901234567890"});

TEST(Totp, ReproducesTheRfc6238Sha1Vectors) {
    const TotpParams eight{8, 30};
    const std::pair<std::int64_t, const char*> vectors[] = {
        {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
        {1234567890, "89005924"}, {2000000000, "69279037"},
    };
    // The RFC's last vector (T = 20000000000, year 2603: 65353130) lies beyond what TimePoint
    // (system_clock, nanoseconds in 64 bits: until 2262) can hold.
    for (const auto& [t, code] : vectors) {
        EXPECT_EQ(totp_code(kRfcSeed, at(t), eight), code) << "T=" << t;
    }
}

TEST(Totp, SixDigitsAreTheLastSixOfTheTruncation) {
    EXPECT_EQ(totp_code(kRfcSeed, at(59)), "287082");
    EXPECT_EQ(totp_code(kRfcSeed, at(1111111109)), "081804");  // leading zero kept
}

TEST(Totp, StepsAreFloorOfUnixTimeOverThePeriod) {
    EXPECT_EQ(totp_step(at(0)), 0);
    EXPECT_EQ(totp_step(at(29) + 999ms), 0);
    EXPECT_EQ(totp_step(at(30)), 1);
    EXPECT_EQ(totp_step(at(1111111109)), 37037036);
    EXPECT_EQ(totp_step(at(120), TotpParams{6, 60}), 2);
}

TEST(Totp, ParametersAreChecked) {
    EXPECT_EQ(code_of([] { (void)totp_code(kRfcSeed, at(59), TotpParams{5, 30}); }), Errc::InvalidRequest);
    EXPECT_EQ(code_of([] { (void)totp_code(kRfcSeed, at(59), TotpParams{9, 30}); }), Errc::InvalidRequest);
    EXPECT_EQ(code_of([] { (void)totp_code(kRfcSeed, at(59), TotpParams{6, 0}); }), Errc::InvalidRequest);
    EXPECT_EQ(code_of([] { (void)totp_code(Bytes{}, at(59)); }), Errc::InvalidRequest);
}

TEST(Totp, MatchesWithinOneStepEitherSide) {
    const TimePoint now = at(1'767'225'600);  // 2026-01-01T00:00:00Z, a step boundary
    const std::int64_t step = totp_step(now);
    EXPECT_EQ(totp_match(kRfcSeed, totp_code(kRfcSeed, now), now), step);
    EXPECT_EQ(totp_match(kRfcSeed, totp_code(kRfcSeed, now - 30s), now), step - 1);
    EXPECT_EQ(totp_match(kRfcSeed, totp_code(kRfcSeed, now + 30s), now), step + 1);
    EXPECT_FALSE(totp_match(kRfcSeed, totp_code(kRfcSeed, now - 60s), now).has_value());
    EXPECT_FALSE(totp_match(kRfcSeed, totp_code(kRfcSeed, now + 60s), now).has_value());
    EXPECT_EQ(totp_match(kRfcSeed, totp_code(kRfcSeed, now - 60s), now, 2), step - 2);
    EXPECT_FALSE(totp_match(kRfcSeed, totp_code(kRfcSeed, now - 30s), now, 0).has_value());
}

TEST(Totp, RefusesMalformedCodes) {
    const TimePoint now = at(1'767'225'600);
    const std::string good = totp_code(kRfcSeed, now);
    for (const std::string& bad :
         {std::string{}, good.substr(0, 5), good + "0", " " + good, std::string{"abcdef"}}) {
        EXPECT_FALSE(totp_match(kRfcSeed, bad, now).has_value()) << "'" << bad << "'";
    }
    const Bytes other = to_bytes(std::string_view{"another seed of twenty"});
    EXPECT_FALSE(totp_match(other, good, now).has_value());
}

/// oathtool (liboath, not ours) at a fixed time.
std::string oathtool(const std::string& base32, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv{"oathtool", "--totp", "-b", "--now", "2026-01-01 00:00:00 UTC"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(base32);
    const auto r = inkan::testing::run(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string out = r.out;
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) {
        out.pop_back();
    }
    return out;
}

TEST(Totp, AgreesWithOathtool) {
    const TimePoint t = at(1'767'225'600);  // 2026-01-01 00:00:00 UTC
    const Bytes seeds[] = {
        kRfcSeed,
        hex_decode("3132333435363738393031323334353637383930"),
        hex_decode("00ff10ef2093f7c0a1b2c3d4e5f60718293a4b5c"),
        hex_decode("8f0e6b2a5d7c9e1f3a4b6c8d0e2f4a6b8c0d2e4f"),
    };
    for (const auto& seed : seeds) {
        const std::string b32 = base32_encode(seed);
        EXPECT_EQ(totp_code(seed, t), oathtool(b32)) << b32;
        EXPECT_EQ(totp_code(seed, t, TotpParams{8, 30}), oathtool(b32, {"--digits=8"})) << b32;
        EXPECT_EQ(totp_code(seed, t, TotpParams{6, 60}), oathtool(b32, {"--time-step-size=60s"})) << b32;
    }
}

// ---- otpauth URI (Key Uri Format) ----

TEST(OtpauthUri, CarriesIssuerAccountAndUnpaddedBase32Secret) {
    const std::string uri = otpauth_uri("inkan", "alice", kRfcSeed);
    EXPECT_EQ(uri,
              "otpauth://totp/inkan:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=inkan"
              "&algorithm=SHA1&digits=6&period=30");
    // 20 bytes is 32 base32 characters: no padding either way; 10 bytes would need "======".
    const std::string short_uri = otpauth_uri("inkan", "bob", Bytes(10, 0xff));
    EXPECT_EQ(short_uri.find('='), short_uri.find("secret=") + 6);
    EXPECT_EQ(short_uri.find("=&"), std::string::npos) << short_uri;
}

TEST(OtpauthUri, PercentEncodesUtf8AndReservedCharacters) {
    const std::string uri = otpauth_uri("株式会社 インカン", "taro@example.jp", kRfcSeed, TotpParams{8, 60});
    EXPECT_EQ(
        uri.rfind(
            "otpauth://totp/%E6%A0%AA%E5%BC%8F%E4%BC%9A%E7%A4%BE%20%E3%82%A4%E3%83%B3%E3%82%AB%E3%83%B3:"
            "taro%40example.jp?secret=",
            0),
        0U)
        << uri;
    EXPECT_NE(uri.find("&issuer=%E6%A0%AA"), std::string::npos) << uri;
    EXPECT_NE(uri.find("&digits=8&period=60"), std::string::npos) << uri;
    EXPECT_EQ(code_of([] { (void)otpauth_uri("a:b", "alice", kRfcSeed); }), Errc::InvalidRequest);
    EXPECT_EQ(code_of([] { (void)otpauth_uri("inkan", "", kRfcSeed); }), Errc::InvalidRequest);
}

}  // namespace
}  // namespace inkan::service
