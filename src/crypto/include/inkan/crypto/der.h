#pragma once

// A DER writer and reader (ITU-T X.690), good enough to assemble and take apart CMS SignedData,
// TSTInfo, TBSCertificate, TBSCertList, OCSP BasicResponse and PKCS#10 structures that are
// signed elsewhere (through a sign::Signer). OpenSSL parses and verifies the results in tests.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>

namespace inkan::crypto::der {

enum class Class : std::uint8_t { Universal = 0x00, Application = 0x40, Context = 0x80, Private = 0xC0 };

/// Universal tag numbers used by inkan.
namespace tag {
inline constexpr std::uint32_t Boolean = 1, Integer = 2, BitString = 3, OctetString = 4, Null = 5, Oid = 6,
                               Enumerated = 10, Utf8String = 12, Sequence = 16, Set = 17,
                               PrintableString = 19, Ia5String = 22, UtcTime = 23, GeneralizedTime = 24,
                               BmpString = 30;
}  // namespace tag

/// Appends DER to a buffer. Constructed values take a callable that writes their contents;
/// the length is fixed up afterwards, so nesting reads like the ASN.1 it encodes:
///
///     der::Writer w;
///     w.sequence([&](der::Writer& s) { s.oid("1.2.840.113549.1.1.11"); s.null(); });
///     Bytes alg_id = w.take();
///
/// Arguments DER cannot carry (a '@' in a PrintableString, invalid UTF-8, a year UTCTime cannot hold,
/// non-zero unused bits, a malformed dotted OID) throw Errc::InvalidRequest.
class Writer {
public:
    /// A complete, already-encoded TLV (or several), copied verbatim. Errc::InvalidEncoding unless
    /// the tags and lengths parse.
    Writer& raw(ByteView der);

    Writer& boolean(bool v);
    /// A non-negative or negative integer (two's complement, minimal length).
    Writer& integer(std::int64_t v);
    /// An unsigned big-endian magnitude (serial numbers, RSA moduli); leading zeros are stripped
    /// and a 0x00 is prepended when the top bit is set. An empty span encodes 0.
    Writer& integer_unsigned(ByteView big_endian);
    Writer& enumerated(std::int64_t v);
    Writer& null();
    Writer& oid(std::string_view dotted);
    Writer& octet_string(ByteView v);
    /// A BIT STRING with `unused_bits` (0..7) in the last byte.
    Writer& bit_string(ByteView v, std::uint8_t unused_bits = 0);
    /// A named-bit BIT STRING (X.690 §11.2.2: trailing zero bits removed), e.g. KeyUsage.
    /// bit 0 is the most significant bit of the first byte.
    Writer& named_bits(std::uint32_t bits_mask);
    Writer& utf8_string(std::string_view v);
    Writer& printable_string(std::string_view v);
    Writer& ia5_string(std::string_view v);
    /// UTCTime YYMMDDHHMMSSZ (RFC 5280 §4.1.2.5.1: for years 1950..2049).
    Writer& utc_time(TimePoint t);
    /// GeneralizedTime YYYYMMDDHHMMSS[.fff]Z; fraction only when non-zero, trailing zeros removed
    /// (X.690 §11.7). `fraction_digits` 0..6.
    Writer& generalized_time(TimePoint t, int fraction_digits = 0);
    /// RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
    Writer& x509_time(TimePoint t);

    /// A primitive TLV with an arbitrary tag (e.g. [0] IMPLICIT OCTET STRING).
    Writer& primitive(Class cls, std::uint32_t number, ByteView content);

    template <class Body>
    Writer& sequence(Body&& body) {
        return constructed(Class::Universal, tag::Sequence, std::forward<Body>(body));
    }
    /// SET: the elements are written in the order the body writes them (for SET OF with DER
    /// ordering use set_of()).
    template <class Body>
    Writer& set(Body&& body) {
        return constructed(Class::Universal, tag::Set, std::forward<Body>(body));
    }
    /// [n] EXPLICIT ... or a constructed [n] IMPLICIT SEQUENCE: a context-specific constructed wrapper.
    template <class Body>
    Writer& context(std::uint32_t number, Body&& body) {
        return constructed(Class::Context, number, std::forward<Body>(body));
    }
    template <class Body>
    Writer& constructed(Class cls, std::uint32_t number, Body&& body) {
        const std::size_t start = begin_constructed(cls, number);
        body(*this);
        end_constructed(start);
        return *this;
    }
    /// SET OF: each element a complete TLV; sorted as DER requires (X.690 §11.6: ascending
    /// order of the encodings, shorter padded with zeros at the end). Errc::InvalidEncoding for an
    /// element that is not exactly one TLV.
    Writer& set_of(std::vector<Bytes> elements);
    /// Same, with a context-specific constructed tag ([0] IMPLICIT SET OF, as CMS signedAttrs).
    Writer& set_of(Class cls, std::uint32_t number, std::vector<Bytes> elements);

    [[nodiscard]] const Bytes& bytes() const noexcept { return m_out; }
    /// Moves the encoding out; the writer is empty afterwards.
    Bytes take();

private:
    std::size_t begin_constructed(Class cls, std::uint32_t number);
    void end_constructed(std::size_t start);
    void write_tag(Class cls, bool is_constructed, std::uint32_t number);
    Bytes m_out;
    std::vector<std::size_t> m_open;  // positions of open constructed values' length placeholders
};

/// Encodes a length per X.690 §8.1.3 (definite, minimal).
void append_length(Bytes& out, std::size_t length);

/// One decoded TLV. Views point into the reader's input.
struct Tlv {
    Class cls = Class::Universal;
    bool constructed = false;
    std::uint32_t number = 0;
    ByteView content;  ///< the value octets
    ByteView whole;    ///< tag + length + value, exactly as encoded (for hashing signed parts)

    [[nodiscard]] bool is(Class c, std::uint32_t n) const noexcept { return cls == c && number == n; }
    [[nodiscard]] bool is_universal(std::uint32_t n) const noexcept { return is(Class::Universal, n); }
    [[nodiscard]] bool is_context(std::uint32_t n) const noexcept { return is(Class::Context, n); }
};

/// Reads DER strictly: definite lengths only, minimal length encodings, no trailing data where a
/// single value is expected. Every failure is Errc::InvalidEncoding with the offset and what was
/// expected. Nesting depth is limited (64) so hostile input cannot exhaust the stack.
class Reader {
public:
    explicit Reader(ByteView input, std::size_t depth = 0);
    /// The reader only views its input: refuse a temporary buffer that would dangle.
    explicit Reader(Bytes&& input, std::size_t depth = 0) = delete;

    [[nodiscard]] bool empty() const noexcept { return m_pos >= m_in.size(); }
    /// The next TLV without consuming it.
    [[nodiscard]] std::optional<Tlv> peek() const;
    /// The next TLV, consumed.
    Tlv next();
    /// The next TLV, which must have this class and number.
    Tlv expect(Class cls, std::uint32_t number);
    /// The next TLV if it has this class and number (consumed), else nothing.
    std::optional<Tlv> optional(Class cls, std::uint32_t number);

    /// The contents of the next SEQUENCE / SET as a reader.
    Reader sequence();
    Reader set();
    /// The contents of a constructed [n] as a reader (EXPLICIT tagging, or IMPLICIT SEQUENCE).
    Reader context(std::uint32_t number);
    /// Like context(), but only if the next TLV is [n].
    std::optional<Reader> optional_context(std::uint32_t number);
    /// A reader over a TLV's content (it must be constructed).
    [[nodiscard]] Reader enter(const Tlv& tlv) const;

    bool read_boolean();
    /// Integer that must fit in int64.
    std::int64_t read_integer();
    /// Integer magnitude, big-endian, with the sign octet stripped; Errc::InvalidEncoding if negative.
    Bytes read_integer_unsigned();
    std::int64_t read_enumerated();
    void read_null();
    std::string read_oid();
    Bytes read_octet_string();
    /// BIT STRING content without the unused-bits octet; Errc::InvalidEncoding unless unused bits == 0.
    Bytes read_bit_string();
    /// UTF8String, PrintableString, IA5String, BMPString (converted to UTF-8), TeletexString (as Latin-1 →
    /// UTF-8). Also VisibleString (X.509 explicitText). Each is checked against its character set.
    std::string read_string();
    /// UTCTime or GeneralizedTime (both must end in Z). Times the system clock cannot hold (it counts
    /// nanoseconds: about 1677..2262) clamp to TimePoint::min()/max(), so RFC 5280's
    /// 99991231235959Z ("no well-defined expiration date") reads as TimePoint::max().
    TimePoint read_time();

    /// Errc::InvalidEncoding unless everything was consumed.
    void expect_end() const;
    [[nodiscard]] std::size_t offset() const noexcept { return m_base + m_pos; }

private:
    Reader(ByteView input, std::size_t depth, std::size_t base);
    [[noreturn]] void fail(std::string_view what) const;
    ByteView m_in;
    std::size_t m_pos = 0;
    std::size_t m_depth = 0;
    std::size_t m_base = 0;  // offset of m_in in the outermost input, for messages
};

/// Parses exactly one TLV spanning all of `der` (Errc::InvalidEncoding on trailing bytes).
Tlv parse_single(ByteView der);

}  // namespace inkan::crypto::der

namespace inkan {
/// DER is used by every layer above crypto; the short name reads as the codebase always wrote it.
namespace der = crypto::der;
}  // namespace inkan
