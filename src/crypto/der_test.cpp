#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <inkan/core/error.h>
#include <inkan/crypto/der.h>

#include "test_helpers.h"

namespace inkan::crypto::der {
namespace {

using crypto::test::asn1parse;
using crypto::test::hex;
using crypto::test::join;
using crypto::test::len_field;
using crypto::test::unhex;

TimePoint utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
    const std::chrono::sys_days day{std::chrono::year{y} / std::chrono::month{mo} / std::chrono::day{d}};
    return TimePoint{day} + std::chrono::hours{h} + std::chrono::minutes{mi} + std::chrono::seconds{s};
}

/// Each needle must occur in a line after the line of the previous needle.
void expect_lines_in_order(const std::vector<std::string>& lines, const std::vector<std::string>& needles) {
    std::size_t at = 0;
    for (const std::string& needle : needles) {
        bool found = false;
        for (; at < lines.size(); ++at) {
            if (lines[at].find(needle) != std::string::npos) {
                found = true;
                ++at;
                break;
            }
        }
        ASSERT_TRUE(found) << "missing (or out of order): \"" << needle << "\" in\n" << join(lines);
    }
}

Errc error_code_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.code();
    }
    return Errc::Internal;  // "no error": none of the tested calls should report Internal
}

Bytes encode(const std::function<void(Writer&)>& body) {
    Writer w;
    body(w);
    return w.take();
}

// ---------------------------------------------------------------- Writer, checked by OpenSSL

TEST(DerWriter, WritesEveryTypeSoOpenSslParsesIt) {
    const Bytes pre_encoded = unhex("0500");  // a NULL, copied verbatim by raw()
    Writer w;
    w.sequence([&](Writer& s) {
        s.boolean(true).boolean(false);
        s.integer(42).integer(-2).integer(0).integer(-129).integer(std::numeric_limits<std::int64_t>::min());
        s.integer_unsigned(unhex("0000ff01"));
        s.enumerated(3);
        s.null();
        s.oid("1.2.840.113549.1.1.11");
        s.octet_string(unhex("deadbeef"));
        s.bit_string(unhex("0580"), 7);
        s.named_bits(0b101U);
        s.utf8_string("h\xc3\xa9llo");
        s.printable_string("Hello World");
        s.ia5_string("a@b.example");
        s.utc_time(utc(2024, 3, 5, 10, 11, 12));
        s.generalized_time(utc(2050, 1, 1) + std::chrono::milliseconds{500}, 3);
        s.x509_time(utc(2049, 12, 31, 23, 59, 59));
        s.x509_time(utc(2050, 1, 1));
        s.primitive(Class::Context, 5, as_bytes("xx"));
        s.context(0, [](Writer& c) { c.integer(7); });
        s.set([](Writer& c) { c.integer(1); });
        s.set_of({unhex("020102"), unhex("020101")});
        s.raw(pre_encoded);
    });
    const Bytes der = w.take();
    const Tlv whole = parse_single(der);
    const std::size_t content = whole.content.size();
    const std::size_t header = whole.whole.size() - content;
    const auto lines = asn1parse(der);
    expect_lines_in_order(
        lines, {
                   "0:d=0 hl=" + std::to_string(header) + " " + len_field(content) + " cons: SEQUENCE",
                   "prim: BOOLEAN :255",
                   "prim: BOOLEAN :0",
                   "prim: INTEGER :2A",
                   "prim: INTEGER :-02",
                   "prim: INTEGER :00",
                   "prim: INTEGER :-81",
                   "l= 8 prim: INTEGER :-8000000000000000",
                   "l= 3 prim: INTEGER :FF01",
                   "prim: ENUMERATED :03",
                   "l= 0 prim: NULL",
                   "prim: OBJECT :sha256WithRSAEncryption",
                   "prim: OCTET STRING [HEX DUMP]:DEADBEEF",
                   "l= 3 prim: BIT STRING",
                   "l= 2 prim: BIT STRING",
                   "l= 6 prim: UTF8STRING :h",
                   "prim: PRINTABLESTRING :Hello World",
                   "prim: IA5STRING :a@b.example",
                   "prim: UTCTIME :240305101112Z",
                   "prim: GENERALIZEDTIME :20500101000000.5Z",
                   "prim: UTCTIME :491231235959Z",
                   "prim: GENERALIZEDTIME :20500101000000Z",
                   "l= 2 prim: cont [ 5 ]",
                   "cons: cont [ 0 ]",
                   "d=2 hl=2 l= 1 prim: INTEGER :07",
                   "cons: SET",
                   "d=2 hl=2 l= 1 prim: INTEGER :01",
                   "cons: SET",
                   "d=2 hl=2 l= 1 prim: INTEGER :01",
                   "d=2 hl=2 l= 1 prim: INTEGER :02",
                   "d=1 hl=2 l= 0 prim: NULL",
               });
    // The bit strings, which asn1parse does not print: 7 unused bits; named bits 0 and 2 (KeyUsage style).
    const std::string h = hex(der);
    EXPECT_NE(h.find("0303070580"), std::string::npos) << h;
    EXPECT_NE(h.find("030205a0"), std::string::npos) << h;
}

TEST(DerWriter, EncodesLongLengthsMinimally) {
    const Bytes small = encode([](Writer& w) { w.octet_string(Bytes(127, 0x41)); });
    EXPECT_EQ(hex(ByteView{small}.first(2)), "047f");
    const Bytes mid = encode([](Writer& w) { w.octet_string(Bytes(200, 0x41)); });
    EXPECT_EQ(hex(ByteView{mid}.first(3)), "0481c8");
    const Bytes big = encode([](Writer& w) { w.octet_string(Bytes(256, 0x41)); });
    EXPECT_EQ(hex(ByteView{big}.first(4)), "04820100");
    const Bytes huge =
        encode([](Writer& w) { w.sequence([](Writer& s) { s.octet_string(Bytes(70000, 0x41)); }); });
    // SEQUENCE { OCTET STRING (70000) }: 70000 = 0x011170, content 70005 = 0x011175.
    EXPECT_EQ(hex(ByteView{huge}.first(11)), "3083011175048301117041");
    const auto lines = asn1parse(huge);
    expect_lines_in_order(lines,
                          {"0:d=0 hl=5 l=70005 cons: SEQUENCE", "5:d=1 hl=5 l=70000 prim: OCTET STRING"});
    const auto mid_lines = asn1parse(mid);
    expect_lines_in_order(mid_lines, {"0:d=0 hl=3 l= 200 prim: OCTET STRING"});
}

TEST(DerWriter, WidensTheLengthOfNestedConstructedValues) {
    // The inner value crosses 127 and 255 octets, so both placeholders grow after their content is written.
    const Bytes der = encode([](Writer& w) {
        w.sequence([](Writer& s) {
            s.context(1, [](Writer& c) { c.octet_string(Bytes(300, 0x5A)); });
            s.integer(1);
        });
    });
    Reader r{der};
    Reader seq = r.sequence();
    r.expect_end();
    Reader ctx = seq.context(1);
    EXPECT_EQ(ctx.read_octet_string(), Bytes(300, 0x5A));
    ctx.expect_end();
    EXPECT_EQ(seq.read_integer(), 1);
    seq.expect_end();
    expect_lines_in_order(asn1parse(der), {"hl=4 l= 311 cons: SEQUENCE", "hl=4 l= 304 cons: cont [ 1 ]",
                                           "hl=4 l= 300 prim: OCTET STRING", "prim: INTEGER :01"});
}

TEST(DerWriter, WritesHighTagNumbers) {
    EXPECT_EQ(hex(encode([](Writer& w) { w.primitive(Class::Context, 30, as_bytes("a")); })), "9e0161");
    EXPECT_EQ(hex(encode([](Writer& w) { w.primitive(Class::Context, 31, as_bytes("a")); })), "9f1f0161");
    EXPECT_EQ(hex(encode([](Writer& w) { w.primitive(Class::Context, 200, as_bytes("a")); })), "9f81480161");
    EXPECT_EQ(hex(encode([](Writer& w) { w.primitive(Class::Application, 16384, {}); })), "5f81800000");
    const Bytes der = encode([](Writer& w) {
        w.sequence([](Writer& s) {
            s.primitive(Class::Context, 200, as_bytes("xy"));
            s.constructed(Class::Private, 1000, [](Writer& c) { c.null(); });
        });
    });
    expect_lines_in_order(asn1parse(der), {"hl=4 l= 2 prim: cont [ 200 ]", "hl=4 l= 2 cons: priv [ 1000 ]"});
    Reader r{der};
    Reader seq = r.sequence();
    const Tlv t = seq.next();
    EXPECT_TRUE(t.is_context(200));
    EXPECT_EQ(to_string(t.content), "xy");
    const Tlv p = seq.expect(Class::Private, 1000);
    EXPECT_TRUE(p.constructed);
    seq.enter(p).read_null();
}

TEST(DerWriter, SortsSetOfElementsByEncoding) {
    // Hand-sorted per X.690 §11.6 (ascending order of the complete encodings, octet by octet):
    // BOOLEAN (01..) < INTEGERs (02..; 02 01 .. before 02 02 ..) < OCTET STRINGs (04 01 00 < 04 01 61 < 04 02
    // ..).
    const std::vector<Bytes> in{unhex("040161"), unhex("020102"),   unhex("04020000"), unhex("020101"),
                                unhex("0101ff"), unhex("02020080"), unhex("040100")};
    const Bytes der = encode([&](Writer& w) { w.set_of(in); });
    EXPECT_EQ(hex(der),
              "3117"
              "0101ff"
              "020101"
              "020102"
              "02020080"
              "040100"
              "040161"
              "04020000");
    const Bytes tagged = encode([&](Writer& w) { w.set_of(Class::Context, 0, in); });
    EXPECT_EQ(hex(tagged),
              "a017"
              "0101ff"
              "020101"
              "020102"
              "02020080"
              "040100"
              "040161"
              "04020000");
    expect_lines_in_order(asn1parse(der),
                          {"cons: SET", "BOOLEAN :255", "INTEGER :01", "INTEGER :02", "INTEGER :80",
                           "l= 1 prim: OCTET STRING", "l= 1 prim: OCTET STRING", "l= 2 prim: OCTET STRING"});
}

TEST(DerWriter, SortsSetOfConstructedElements) {
    // Like CMS signed attributes: each element a SEQUENCE; the order is decided inside them.
    const std::vector<Bytes> in{unhex("30030201ff"), unhex("300402020080"), unhex("3003020100")};
    EXPECT_EQ(hex(encode([&](Writer& w) { w.set_of(in); })),
              "3110"
              "3003020100"
              "30030201ff"
              "300402020080");
}

TEST(DerWriter, EncodesIntegersInMinimalTwosComplement) {
    const std::vector<std::pair<std::int64_t, std::string>> cases{
        {0, "020100"},
        {1, "020101"},
        {127, "02017f"},
        {128, "02020080"},
        {255, "020200ff"},
        {256, "02020100"},
        {-1, "0201ff"},
        {-128, "020180"},
        {-129, "0202ff7f"},
        {std::numeric_limits<std::int64_t>::max(), "02087fffffffffffffff"},
        {std::numeric_limits<std::int64_t>::min(), "02088000000000000000"},
    };
    for (const auto& [v, expected] : cases) {
        EXPECT_EQ(hex(encode([v = v](Writer& w) { w.integer(v); })), expected) << v;
    }
    EXPECT_EQ(hex(encode([](Writer& w) { w.integer_unsigned({}); })), "020100");
    EXPECT_EQ(hex(encode([](Writer& w) { w.integer_unsigned(unhex("000000")); })), "020100");
    EXPECT_EQ(hex(encode([](Writer& w) { w.integer_unsigned(unhex("80")); })), "02020080");
    EXPECT_EQ(hex(encode([](Writer& w) { w.integer_unsigned(unhex("00007f01")); })), "02027f01");
}

TEST(DerWriter, GeneralizedTimeDropsTrailingZerosOfTheFraction) {
    const TimePoint t = utc(2026, 11, 21, 17, 28, 42);
    const auto text = [](const Bytes& der) { return to_string(ByteView{der}.subspan(2)); };
    EXPECT_EQ(text(encode([&](Writer& w) { w.generalized_time(t, 3); })), "20261121172842Z");
    EXPECT_EQ(text(encode([&](Writer& w) { w.generalized_time(t + std::chrono::milliseconds{120}, 3); })),
              "20261121172842.12Z");
    EXPECT_EQ(text(encode([&](Writer& w) { w.generalized_time(t + std::chrono::milliseconds{123}, 3); })),
              "20261121172842.123Z");
    EXPECT_EQ(text(encode([&](Writer& w) { w.generalized_time(t + std::chrono::microseconds{123456}, 6); })),
              "20261121172842.123456Z");
    // Fewer digits truncate (never round up into the next second).
    EXPECT_EQ(text(encode([&](Writer& w) { w.generalized_time(t + std::chrono::milliseconds{999}, 1); })),
              "20261121172842.9Z");
    EXPECT_EQ(text(encode([&](Writer& w) { w.generalized_time(t + std::chrono::milliseconds{999}, 0); })),
              "20261121172842Z");
    EXPECT_EQ(error_code_of([&] { Writer{}.generalized_time(t, 7); }), Errc::InvalidRequest);
}

TEST(DerWriter, ChoosesX509TimeTypePerRfc5280) {
    const auto first_octet = [](TimePoint t) { return encode([&](Writer& w) { w.x509_time(t); })[0]; };
    EXPECT_EQ(first_octet(utc(1950, 1, 1)), tag::UtcTime);
    EXPECT_EQ(first_octet(utc(2049, 12, 31, 23, 59, 59)), tag::UtcTime);
    EXPECT_EQ(first_octet(utc(2050, 1, 1)), tag::GeneralizedTime);
    EXPECT_EQ(first_octet(utc(1949, 12, 31, 23, 59, 59)), tag::GeneralizedTime);
    EXPECT_EQ(
        to_string(ByteView{encode([](Writer& w) { w.utc_time(utc(1999, 12, 31, 23, 59, 59)); })}.subspan(2)),
        "991231235959Z");
    EXPECT_EQ(error_code_of([] { Writer{}.utc_time(utc(2050, 1, 1)); }), Errc::InvalidRequest);
    EXPECT_EQ(error_code_of([] { Writer{}.utc_time(utc(1949, 1, 1)); }), Errc::InvalidRequest);
}

TEST(DerWriter, RefusesInvalidArguments) {
    EXPECT_EQ(error_code_of([] { Writer{}.printable_string("a@b"); }), Errc::InvalidRequest);
    EXPECT_EQ(error_code_of([] { Writer{}.ia5_string("\xc3\xa9"); }), Errc::InvalidRequest);
    EXPECT_EQ(error_code_of([] { Writer{}.utf8_string("\xc3"); }), Errc::InvalidRequest);
    EXPECT_EQ(error_code_of([] { Writer{}.utf8_string("\xc0\xaf"); }), Errc::InvalidRequest);  // overlong '/'
    EXPECT_EQ(error_code_of([] { Writer{}.bit_string(unhex("01"), 1); }), Errc::InvalidRequest);
    EXPECT_EQ(error_code_of([] { Writer{}.bit_string(unhex("00"), 8); }), Errc::InvalidRequest);
    EXPECT_EQ(error_code_of([] { Writer{}.oid("1"); }), Errc::InvalidRequest);
    EXPECT_EQ(error_code_of([] { Writer{}.oid("3.1"); }), Errc::InvalidRequest);
    EXPECT_EQ(error_code_of([] { Writer{}.oid("1.40"); }), Errc::InvalidRequest);
    EXPECT_EQ(error_code_of([] { Writer{}.oid("1.2..3"); }), Errc::InvalidRequest);
    EXPECT_EQ(error_code_of([] { Writer{}.raw(unhex("0205")); }), Errc::InvalidEncoding);
    EXPECT_EQ(error_code_of([] { Writer{}.set_of({unhex("0101")}); }), Errc::InvalidEncoding);
}

TEST(DerWriter, NamedBitsRemoveTrailingZeroBits) {
    EXPECT_EQ(hex(encode([](Writer& w) { w.named_bits(0); })), "030100");
    EXPECT_EQ(hex(encode([](Writer& w) { w.named_bits(1U << 0U); })), "03020780");    // digitalSignature
    EXPECT_EQ(hex(encode([](Writer& w) { w.named_bits(1U << 1U); })), "03020640");    // nonRepudiation
    EXPECT_EQ(hex(encode([](Writer& w) { w.named_bits(0b1100000U); })), "03020106");  // keyCertSign|cRLSign
    EXPECT_EQ(hex(encode([](Writer& w) { w.named_bits(1U << 8U); })), "0303070080");  // decipherOnly
}

// ---------------------------------------------------------------- round trips

TEST(DerRoundTrip, ReadsBackWhatTheWriterWrote) {
    const TimePoint t1 = utc(2024, 2, 29, 23, 59, 58);
    const TimePoint t2 = utc(2100, 3, 1) + std::chrono::microseconds{250};
    const TimePoint t3 = utc(1950, 1, 1);
    const Bytes der = encode([&](Writer& w) {
        w.sequence([&](Writer& s) {
            s.boolean(true).boolean(false);
            s.integer(0)
                .integer(-1)
                .integer(123456789012345)
                .integer(std::numeric_limits<std::int64_t>::min());
            s.integer_unsigned(unhex("80000000000000000000000000000001"));
            s.integer_unsigned({});
            s.enumerated(-5);
            s.null();
            s.oid("2.25.329800735698586629295641978511506172918");
            s.octet_string({});
            s.octet_string(unhex("00ff"));
            s.bit_string(unhex("a5a5"));
            s.utf8_string("Grüße €");
            s.printable_string("Inkan Test CA");
            s.ia5_string("ops@example.org");
            s.utc_time(t1);
            s.generalized_time(t2, 6);
            s.x509_time(t3);
            s.context(3, [](Writer& c) { c.integer(9); });
            s.set([](Writer& c) { c.null(); });
        });
    });
    Reader top{der};
    Reader r = top.sequence();
    top.expect_end();
    EXPECT_TRUE(r.read_boolean());
    EXPECT_FALSE(r.read_boolean());
    EXPECT_EQ(r.read_integer(), 0);
    EXPECT_EQ(r.read_integer(), -1);
    EXPECT_EQ(r.read_integer(), 123456789012345);
    EXPECT_EQ(r.read_integer(), std::numeric_limits<std::int64_t>::min());
    EXPECT_EQ(hex(r.read_integer_unsigned()), "80000000000000000000000000000001");
    EXPECT_EQ(hex(r.read_integer_unsigned()), "00");
    EXPECT_EQ(r.read_enumerated(), -5);
    r.read_null();
    EXPECT_EQ(r.read_oid(), "2.25.329800735698586629295641978511506172918");
    EXPECT_TRUE(r.read_octet_string().empty());
    EXPECT_EQ(hex(r.read_octet_string()), "00ff");
    EXPECT_EQ(hex(r.read_bit_string()), "a5a5");
    EXPECT_EQ(r.read_string(), "Grüße €");
    EXPECT_EQ(r.read_string(), "Inkan Test CA");
    EXPECT_EQ(r.read_string(), "ops@example.org");
    EXPECT_EQ(r.read_time(), t1);
    EXPECT_EQ(r.read_time(), t2);
    EXPECT_EQ(r.read_time(), t3);
    ASSERT_FALSE(r.optional_context(2).has_value());
    auto c = r.optional_context(3);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->read_integer(), 9);
    c->expect_end();
    Reader set = r.set();
    set.read_null();
    set.expect_end();
    r.expect_end();
    EXPECT_TRUE(r.empty());
    EXPECT_FALSE(r.peek().has_value());
}

TEST(DerReader, ReportsWholeAndContentViews) {
    const Bytes der = unhex("300602010102017f");
    const Tlv t = parse_single(der);
    EXPECT_TRUE(t.is_universal(tag::Sequence));
    EXPECT_TRUE(t.constructed);
    EXPECT_EQ(hex(t.whole), "300602010102017f");
    EXPECT_EQ(hex(t.content), "02010102017f");
    Reader r{der};
    Reader seq = r.sequence();
    EXPECT_EQ(seq.offset(), 2U);
    const auto peeked = seq.peek();
    ASSERT_TRUE(peeked.has_value());
    EXPECT_EQ(seq.offset(), 2U) << "peek must not consume";
    EXPECT_FALSE(seq.optional(Class::Universal, tag::Boolean).has_value());
    EXPECT_EQ(seq.read_integer(), 1);
    EXPECT_EQ(seq.offset(), 5U);
    EXPECT_EQ(seq.read_integer(), 127);
}

TEST(DerReader, ReadsOtherStringTypes) {
    // BMPString "é€", TeletexString (Latin-1) "é", VisibleString "ok".
    const Bytes der = unhex(
        "1e0400e920ac"
        "1401e9"
        "1a026f6b");
    Reader r{der};
    EXPECT_EQ(r.read_string(), "\xc3\xa9\xe2\x82\xac");
    EXPECT_EQ(r.read_string(), "\xc3\xa9");
    EXPECT_EQ(r.read_string(), "ok");
    r.expect_end();
}

Bytes time_tlv(std::uint32_t number, std::string_view text) {
    return encode([&](Writer& w) { w.primitive(Class::Universal, number, as_bytes(text)); });
}

TEST(DerReader, ReadsTimesAndClampsBeyondTheClock) {
    Bytes der = time_tlv(tag::UtcTime, "491231235959Z");
    append(der, time_tlv(tag::UtcTime, "500101000000Z"));
    append(der, time_tlv(tag::GeneralizedTime, "99991231235959Z"));
    append(der, time_tlv(tag::GeneralizedTime, "20240229120000.125Z"));
    append(der, time_tlv(tag::GeneralizedTime, "16000101000000Z"));
    Reader r{der};
    EXPECT_EQ(r.read_time(), utc(2049, 12, 31, 23, 59, 59));
    EXPECT_EQ(r.read_time(), utc(1950, 1, 1));
    EXPECT_EQ(r.read_time(), TimePoint::max()) << "RFC 5280 'no expiry' clamps to the clock's maximum";
    EXPECT_EQ(r.read_time(), utc(2024, 2, 29, 12) + std::chrono::milliseconds{125});
    EXPECT_EQ(r.read_time(), TimePoint::min());
    r.expect_end();
}

TEST(DerReader, RejectsTimesDerDoesNotAllow) {
    const std::vector<std::pair<std::uint32_t, std::string>> bad{
        {tag::UtcTime, "2403051011Z"},                // no seconds
        {tag::UtcTime, "240305101112+0100"},          // offset instead of Z
        {tag::UtcTime, "240305101112.5Z"},            // fraction in UTCTime
        {tag::GeneralizedTime, "20241305101112Z"},    // month 13
        {tag::GeneralizedTime, "20230229101112Z"},    // 29 February of a common year
        {tag::GeneralizedTime, "20240305241112Z"},    // hour 24
        {tag::GeneralizedTime, "20240305101160Z"},    // second 60
        {tag::GeneralizedTime, "20240305101112.0Z"},  // fraction with a trailing zero
        {tag::GeneralizedTime, "20240305101112.Z"},   // empty fraction
        {tag::GeneralizedTime, "20240305101112,5Z"},  // comma
        {tag::GeneralizedTime, "2024030510111Z"},     // short
        {tag::GeneralizedTime, "2024030510111aZ"},    // not a digit
    };
    for (const auto& [number, text] : bad) {
        const Bytes der = time_tlv(number, text);
        Reader r{der};
        EXPECT_EQ(error_code_of([&] { (void)r.read_time(); }), Errc::InvalidEncoding) << text;
    }
}

// ---------------------------------------------------------------- rejections

struct Rejection {
    std::string name;
    std::string hex_der;
    std::string message_part;
};

TEST(DerReader, RejectsMalformedInput) {
    const std::vector<Rejection> cases{
        {"indefinite length", "3080020101 0000", "indefinite length"},
        {"non-minimal long form", "04810141", "non-minimal length"},
        {"leading zero length octet", "0482007f" + std::string(254, 'a'), "non-minimal length"},
        {"truncated value", "04054142", "truncated value"},
        {"truncated length", "0482", "truncated length"},
        {"truncated tag", "1f", "truncated tag"},
        {"missing length", "04", "truncated length"},
        {"trailing data", "050000", "trailing data"},
        {"reserved length", "04ff", "reserved length"},
        {"high form for low tag", "1f0500", "high-tag-number form"},
        {"non-minimal high tag", "9f801f00", "non-minimal high tag"},
        {"end of contents", "0000", "end-of-contents"},
    };
    for (const Rejection& c : cases) {
        std::string h;
        for (const char ch : c.hex_der) {
            if (ch != ' ') h.push_back(ch);
        }
        try {
            (void)parse_single(unhex(h));
            ADD_FAILURE() << c.name << ": accepted " << h;
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), Errc::InvalidEncoding) << c.name;
            EXPECT_NE(e.detail().find(c.message_part), std::string::npos) << c.name << ": " << e.detail();
            EXPECT_NE(e.detail().find("at offset"), std::string::npos) << c.name << ": " << e.detail();
        }
    }
}

TEST(DerReader, RejectsNonCanonicalPrimitiveValues) {
    const auto code = [](std::string hx, const std::function<void(Reader&)>& read) {
        const Bytes der = unhex(hx);
        Reader r{der};
        return error_code_of([&] { read(r); });
    };
    const auto read_int = [](Reader& r) { (void)r.read_integer(); };
    const auto read_uint = [](Reader& r) { (void)r.read_integer_unsigned(); };
    EXPECT_EQ(code("02020001", read_int), Errc::InvalidEncoding) << "non-minimal positive";
    EXPECT_EQ(code("0202ff80", read_int), Errc::InvalidEncoding) << "non-minimal negative";
    EXPECT_EQ(code("0200", read_int), Errc::InvalidEncoding) << "empty";
    EXPECT_EQ(code("0209010000000000000000", read_int), Errc::InvalidEncoding) << "beyond int64";
    EXPECT_EQ(code("020180", read_uint), Errc::InvalidEncoding) << "negative where unsigned expected";
    EXPECT_EQ(code("0203000080", read_uint), Errc::InvalidEncoding) << "non-minimal unsigned";
    EXPECT_EQ(code("010101", [](Reader& r) { (void)r.read_boolean(); }), Errc::InvalidEncoding)
        << "BOOLEAN 01";
    EXPECT_EQ(code("050100", [](Reader& r) { r.read_null(); }), Errc::InvalidEncoding) << "NULL with content";
    EXPECT_EQ(code("03020701", [](Reader& r) { (void)r.read_bit_string(); }), Errc::InvalidEncoding);
    EXPECT_EQ(code("2403040141", [](Reader& r) { (void)r.read_octet_string(); }), Errc::InvalidEncoding)
        << "constructed OCTET STRING";
    EXPECT_EQ(code("06022a80", [](Reader& r) { (void)r.read_oid(); }), Errc::InvalidEncoding)
        << "OID ends in 0x80";
    EXPECT_EQ(code("0603 2a8001", [](Reader& r) { (void)r.read_oid(); }), Errc::InvalidEncoding);
    EXPECT_EQ(code("0600", [](Reader& r) { (void)r.read_oid(); }), Errc::InvalidEncoding) << "empty OID";
    EXPECT_EQ(code("130140", [](Reader& r) { (void)r.read_string(); }), Errc::InvalidEncoding)
        << "'@' printable";
    EXPECT_EQ(code("0c01ff", [](Reader& r) { (void)r.read_string(); }), Errc::InvalidEncoding) << "bad UTF-8";
    EXPECT_EQ(code("1e03002000", [](Reader& r) { (void)r.read_string(); }), Errc::InvalidEncoding)
        << "odd BMP";
    EXPECT_EQ(code("1e02d800", [](Reader& r) { (void)r.read_string(); }), Errc::InvalidEncoding)
        << "surrogate";
    EXPECT_EQ(code("020101", [](Reader& r) { (void)r.read_string(); }), Errc::InvalidEncoding)
        << "not a string";
    EXPECT_EQ(code("3003020101", [](Reader& r) { (void)r.set(); }), Errc::InvalidEncoding)
        << "SEQUENCE for SET";
    EXPECT_EQ(code("1003020101", [](Reader& r) { (void)r.sequence(); }), Errc::InvalidEncoding)
        << "primitive SEQUENCE";
    EXPECT_EQ(code("", [](Reader& r) { (void)r.next(); }), Errc::InvalidEncoding) << "read past the end";
}

TEST(DerReader, RejectsADepthBombOf100NestedSequences) {
    Bytes der;
    for (int i = 0; i < 100; ++i) {
        Bytes outer{0x30};
        append_length(outer, der.size());
        append(outer, der);
        der = std::move(outer);
    }
    (void)parse_single(der);  // the outer TLV itself is well-formed
    Reader r{der};
    int depth = 0;
    try {
        for (;;) {
            r = r.sequence();
            ++depth;
        }
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::InvalidEncoding);
        EXPECT_NE(e.detail().find("nesting deeper than 64"), std::string::npos) << e.detail();
    }
    EXPECT_EQ(depth, 64);
}

TEST(DerReader, ErrorMessagesCarryTheAbsoluteOffset) {
    // SEQUENCE { INTEGER 1, SEQUENCE { non-minimal INTEGER at offset 7 } }
    const Bytes der = unhex("3009020101300402020001");
    Reader r{der};
    Reader outer = r.sequence();
    (void)outer.read_integer();
    Reader inner = outer.sequence();
    try {
        (void)inner.read_integer();
        ADD_FAILURE() << "accepted a non-minimal INTEGER";
    } catch (const Error& e) {
        EXPECT_NE(e.detail().find("at offset 7"), std::string::npos) << e.detail();
    }
}

TEST(DerLength, AppendsMinimalLengths) {
    const std::vector<std::pair<std::size_t, std::string>> cases{
        {0, "00"},       {127, "7f"},       {128, "8180"},       {255, "81ff"},
        {256, "820100"}, {65535, "82ffff"}, {65536, "83010000"}, {16777216, "8401000000"}};
    for (const auto& [len, expected] : cases) {
        Bytes out;
        append_length(out, len);
        EXPECT_EQ(hex(out), expected) << len;
    }
}

}  // namespace
}  // namespace inkan::crypto::der
