// X.509 basics without keys: names, serials, validity, revocation reason names, profile rules.

#include <set>
#include <string>

#include <gtest/gtest.h>

#include <inkan/crypto/der.h>
#include <inkan/crypto/keys.h>
#include <inkan/pki/profile.h>
#include <inkan/pki/store.h>
#include <inkan/pki/x509.h>

#include "test_helpers.h"

namespace {

using inkan::Bytes;
using inkan::Errc;
using inkan::pki::Name;
using inkan::pki::NameAttribute;
using inkan::pki::RevocationReason;
using inkan::pki::testing::error_of;

/// The universal tag of each attribute value, in RDN order.
std::vector<std::uint32_t> value_tags(const Bytes& name_der) {
    std::vector<std::uint32_t> tags;
    inkan::der::Reader outer{name_der};
    inkan::der::Reader rdns = outer.sequence();
    while (!rdns.empty()) {
        inkan::der::Reader rdn = rdns.set();
        inkan::der::Reader atv = rdn.sequence();
        (void)atv.read_oid();
        tags.push_back(atv.next().number);
    }
    return tags;
}

}  // namespace

TEST(PkiName, EncodesCountryAndSerialNumberAsPrintableStringEmailAsIa5AndTheRestAsUtf8) {
    Name name;
    name.country("JP")
        .state_or_province("東京都")
        .locality("千代田区")
        .organization("株式会社インカン")
        .organizational_unit("開発部")
        .organization_identifier("NTRJP-1234567890123")
        .surname("山田")
        .given_name("太郎")
        .serial_number("PNOJP-123456")
        .email_address("taro@example.jp")
        .common_name("山田 太郎");
    using inkan::der::tag::Ia5String;
    using inkan::der::tag::PrintableString;
    using inkan::der::tag::Utf8String;
    EXPECT_EQ(value_tags(name.der()),
              (std::vector<std::uint32_t>{PrintableString, Utf8String, Utf8String, Utf8String, Utf8String,
                                          Utf8String, Utf8String, Utf8String, PrintableString, Ia5String,
                                          Utf8String}));
}

TEST(PkiName, JapaneseNameRoundTripsThroughDerAndPrintsAsRfc4514WithUtf8) {
    const Name name = Name{}
                          .country("JP")
                          .organization("株式会社インカン")
                          .surname("山田")
                          .given_name("太郎")
                          .common_name("山田 太郎");
    const Name parsed = Name::from_der(name.der());
    EXPECT_EQ(parsed.der(), name.der());
    EXPECT_EQ(parsed.to_string(), "CN=山田 太郎,GN=太郎,SN=山田,O=株式会社インカン,C=JP");
    EXPECT_EQ(parsed.first(NameAttribute::CommonName), "山田 太郎");
    EXPECT_EQ(parsed.first(NameAttribute::Organization), "株式会社インカン");
    ASSERT_EQ(parsed.entries().size(), 5U);
    EXPECT_EQ(parsed.entries()[0].oid, "2.5.4.6");
    EXPECT_EQ(parsed.entries()[0].attribute, NameAttribute::Country);
}

TEST(PkiName, PrintsOrganizationIdentifierAndEscapesRfc4514Specials) {
    const Name name =
        Name{}.country("JP").organization_identifier("NTRJP-1234567890123").common_name("a,b+c");
    EXPECT_EQ(name.to_string(), "CN=a\\,b\\+c,organizationIdentifier=NTRJP-1234567890123,C=JP");
}

TEST(PkiName, RefusesWhatDerOrRfc5280CannotCarry) {
    EXPECT_EQ(error_of([] { Name{}.country("jp"); }), Errc::InvalidRequest);
    EXPECT_EQ(error_of([] { Name{}.country("JPN"); }), Errc::InvalidRequest);
    EXPECT_EQ(error_of([] { Name{}.common_name(""); }), Errc::InvalidRequest);
    EXPECT_EQ(error_of([] { Name{}.common_name(std::string(65, 'a')); }), Errc::InvalidRequest);
    EXPECT_EQ(error_of([] { Name{}.serial_number("a@b"); }), Errc::InvalidRequest);
    EXPECT_EQ(error_of([] { Name{}.email_address("山田@example.jp"); }), Errc::InvalidRequest);
    EXPECT_EQ(error_of([] { Name{}.organization("\xC3\x28"); }), Errc::InvalidRequest);
    // 64 characters of three-byte UTF-8 are within the bound: it counts characters, not octets.
    std::string long_japanese;
    for (int i = 0; i < 64; ++i) {
        long_japanese += "山";
    }
    EXPECT_NO_THROW(Name{}.common_name(long_japanese));
}

TEST(PkiName, RefusesMalformedDer) {
    EXPECT_EQ(error_of([] { (void)Name::from_der(Bytes{0x30, 0x03, 0x31, 0x00}); }), Errc::InvalidEncoding);
    EXPECT_EQ(error_of([] { (void)Name::from_der(Bytes{0x30, 0x02, 0x31, 0x00}); }), Errc::InvalidEncoding);
    EXPECT_EQ(error_of([] { (void)inkan::pki::name_to_string(Bytes{0x04, 0x00}); }), Errc::InvalidEncoding);
}

TEST(PkiSerial, PrintsUpperCaseHexWithoutLeadingZeros) {
    EXPECT_EQ(inkan::pki::serial_hex(Bytes{0x00, 0x0A, 0xBC}), "0ABC");
    EXPECT_EQ(inkan::pki::serial_hex(Bytes{}), "00");
    EXPECT_EQ(inkan::pki::serial_hex(Bytes{0x7f, 0xff}), "7FFF");
}

TEST(PkiSerial, ParsesHexAsOperatorsPasteIt) {
    EXPECT_EQ(inkan::pki::serial_from_hex("0a:bc"), (Bytes{0x0A, 0xBC}));
    EXPECT_EQ(inkan::pki::serial_from_hex("0x1"), (Bytes{0x01}));
    EXPECT_EQ(inkan::pki::serial_from_hex("00 7F FF"), (Bytes{0x7F, 0xFF}));
    EXPECT_EQ(inkan::pki::serial_from_hex("ABC"), (Bytes{0x0A, 0xBC}));
    EXPECT_EQ(error_of([] { (void)inkan::pki::serial_from_hex("zz"); }), Errc::InvalidRequest);
    EXPECT_EQ(error_of([] { (void)inkan::pki::serial_from_hex(""); }), Errc::InvalidRequest);
}

TEST(PkiSerial, RandomSerialsArePositiveSixteenOctetsAndDistinct) {
    std::set<Bytes> seen;
    for (int i = 0; i < 1000; ++i) {
        const Bytes s = inkan::pki::random_serial();
        ASSERT_EQ(s.size(), 16U);
        EXPECT_GE(s[0], 0x40);
        EXPECT_LE(s[0], 0x7F);
        EXPECT_TRUE(seen.insert(s).second);
    }
}

TEST(PkiValidity, CountsDaysFromTheSecond) {
    const inkan::TimePoint start = inkan::parse_rfc3339("2026-01-31T10:00:00.750Z");
    const auto v = inkan::pki::Validity::days(start, 30);
    EXPECT_EQ(inkan::format_rfc3339(v.not_before), "2026-01-31T10:00:00.000Z");
    EXPECT_EQ(inkan::format_rfc3339(v.not_after), "2026-03-02T10:00:00.000Z");
    EXPECT_TRUE(v.contains(v.not_after));
    EXPECT_EQ(error_of([&] { (void)inkan::pki::Validity::days(start, 0); }), Errc::InvalidRequest);
    EXPECT_EQ(error_of([&] { (void)inkan::pki::Validity::days(start, 200000); }), Errc::InvalidRequest);
}

TEST(PkiRevocationReason, NamesFollowRfc5280AndParseLeniently) {
    for (const int n : {0, 1, 2, 3, 4, 5, 6, 8, 9, 10}) {
        const auto r = static_cast<RevocationReason>(n);
        EXPECT_EQ(inkan::pki::revocation_reason_from_name(inkan::pki::name(r)), r);
        EXPECT_EQ(inkan::pki::revocation_reason_from_name(std::to_string(n)), r);
    }
    EXPECT_EQ(inkan::pki::name(RevocationReason::KeyCompromise), "keyCompromise");
    EXPECT_EQ(inkan::pki::name(RevocationReason::CaCompromise), "cACompromise");
    EXPECT_EQ(inkan::pki::revocation_reason_from_name("key-compromise"), RevocationReason::KeyCompromise);
    EXPECT_EQ(inkan::pki::revocation_reason_from_name("KEY_COMPROMISE"), RevocationReason::KeyCompromise);
    EXPECT_EQ(inkan::pki::revocation_reason_from_name("Cessation Of Operation"),
              RevocationReason::CessationOfOperation);
    EXPECT_EQ(error_of([] { (void)inkan::pki::revocation_reason_from_name("7"); }), Errc::InvalidRequest);
    EXPECT_EQ(error_of([] { (void)inkan::pki::revocation_reason_from_name("lost"); }), Errc::InvalidRequest);
    EXPECT_EQ(error_of([] { (void)inkan::pki::revocation_reason_from_name(""); }), Errc::InvalidRequest);
}

TEST(PkiProfile, OrganizationIdentifierFollowsEn319412Part1) {
    for (const char* ok : {"NTRJP-1234567890123", "VATEU-123456789", "VATDE-DE123456789",
                           "PSDBE-NBB-1234.567.890", "LEIXG-529900T8BM49AURSDO55", "JP:1234"}) {
        EXPECT_NO_THROW(inkan::pki::check_organization_identifier(ok)) << ok;
    }
    for (const char* bad :
         {"1234567890123", "NTRJP1234", "NTRJP-", "ntrjp-123", "NTJP-123", "J:1", ":", "AB:"}) {
        EXPECT_EQ(error_of([&] { inkan::pki::check_organization_identifier(bad); }), Errc::InvalidRequest)
            << bad;
    }
}

TEST(PkiProfile, SubjectRulesPerProfile) {
    const auto profiles = inkan::pki::ProfileSet::defaults();
    const Name person = Name{}.country("JP").surname("山田").given_name("太郎").common_name("山田 太郎");
    EXPECT_NO_THROW(inkan::pki::check_subject(profiles.get("person"), person));
    EXPECT_EQ(
        error_of([&] { inkan::pki::check_subject(profiles.get("person"), Name{}.common_name("山田 太郎")); }),
        Errc::InvalidRequest);

    const Name seal = Name{}
                          .country("JP")
                          .organization("株式会社インカン")
                          .organization_identifier("NTRJP-1234567890123")
                          .common_name("請求書eシール");
    EXPECT_NO_THROW(inkan::pki::check_subject(profiles.get("seal"), seal));
    const Name bad_seal = Name{}
                              .country("JP")
                              .organization("株式会社インカン")
                              .organization_identifier("1234567890123")
                              .common_name("x");
    EXPECT_EQ(error_of([&] { inkan::pki::check_subject(profiles.get("seal"), bad_seal); }),
              Errc::InvalidRequest);
    EXPECT_EQ(error_of([&] { (void)profiles.get("nonesuch"); }), Errc::InvalidRequest);
}

TEST(PkiProfile, KeyPolicyRefusesWeakOrDisallowedKeys) {
    const inkan::pki::KeyPolicy policy;
    // inkan refuses to generate RSA-1024; the openssl CLI does not.
    inkan::testing::TempDir dir;
    const auto gen = inkan::pki::testing::openssl({"genpkey", "-algorithm", "RSA", "-pkeyopt",
                                                   "rsa_keygen_bits:1024", "-out", (dir / "k.pem").string()});
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
    const auto pub = inkan::pki::testing::openssl({"pkey", "-in", (dir / "k.pem").string(), "-pubout"});
    const auto rsa1024 = inkan::crypto::PublicKey::from_pem(pub.out);
    const std::string message =
        inkan::pki::testing::message_of([&] { inkan::pki::check_key(policy, rsa1024); });
    EXPECT_NE(message.find("RSA-1024"), std::string::npos) << message;
    EXPECT_NE(message.find("2048"), std::string::npos) << message;
    EXPECT_EQ(error_of([&] { inkan::pki::check_key(policy, rsa1024); }), Errc::InvalidRequest);
    EXPECT_NO_THROW(
        inkan::pki::check_key(policy, inkan::crypto::PrivateKey::generate_rsa(2048).public_key()));

    inkan::pki::KeyPolicy ec_p384_only;
    ec_p384_only.allow_rsa = false;
    ec_p384_only.curves = {inkan::crypto::Curve::P384};
    const auto p256 = inkan::crypto::PrivateKey::generate_ec(inkan::crypto::Curve::P256).public_key();
    EXPECT_EQ(error_of([&] { inkan::pki::check_key(ec_p384_only, p256); }), Errc::InvalidRequest);
    EXPECT_NO_THROW(inkan::pki::check_key(
        ec_p384_only, inkan::crypto::PrivateKey::generate_ec(inkan::crypto::Curve::P384).public_key()));
}
