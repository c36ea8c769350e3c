#include <algorithm>
#include <array>
#include <chrono>
#include <functional>
#include <limits>
#include <string>
#include <utility>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/crypto/der.h>

namespace inkan::crypto::der {

namespace {

constexpr std::size_t kMaxDepth = 64;

[[noreturn]] void fail_at(std::size_t offset, std::string_view what) {
    throw Error{Errc::InvalidEncoding, "DER: " + std::string{what} + " at offset " + std::to_string(offset)};
}

[[noreturn]] void bad_argument(std::string_view what) {
    throw Error{Errc::InvalidRequest, "DER writer: " + std::string{what}};
}

// ---- text validation ---------------------------------------------------------------------

bool is_printable_char(char c) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        return true;
    }
    switch (c) {
        case ' ':
        case '\'':
        case '(':
        case ')':
        case '+':
        case ',':
        case '-':
        case '.':
        case '/':
        case ':':
        case '=':
        case '?':
            return true;
        default:
            return false;
    }
}

bool is_printable(std::string_view s) {
    return std::all_of(s.begin(), s.end(), is_printable_char);
}

bool is_ia5(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80U; });
}

bool is_visible(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u >= 0x20U && u < 0x7FU;
    });
}

/// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_utf8(std::string_view s) {
    return is_valid_utf8(s);
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80U) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800U) {
        out.push_back(static_cast<char>(0xC0U | (cp >> 6U)));
        out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
    } else {
        out.push_back(static_cast<char>(0xE0U | (cp >> 12U)));
        out.push_back(static_cast<char>(0x80U | ((cp >> 6U) & 0x3FU)));
        out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
    }
}

// ---- time ----------------------------------------------------------------------------------

struct Civil {
    int year = 0;
    unsigned month = 0, day = 0, hour = 0, minute = 0, second = 0;
    std::int64_t nanos = 0;  // 0..999'999'999
};

Civil to_civil(TimePoint t) {
    using namespace std::chrono;
    const auto ns_since_epoch = duration_cast<nanoseconds>(t.time_since_epoch());
    const sys_days day = floor<days>(sys_time<nanoseconds>{ns_since_epoch});
    const year_month_day ymd{day};
    const nanoseconds rest = sys_time<nanoseconds>{ns_since_epoch} - sys_time<nanoseconds>{day};
    const hh_mm_ss<nanoseconds> hms{rest};
    Civil c;
    c.year = static_cast<int>(ymd.year());
    c.month = static_cast<unsigned>(ymd.month());
    c.day = static_cast<unsigned>(ymd.day());
    c.hour = static_cast<unsigned>(hms.hours().count());
    c.minute = static_cast<unsigned>(hms.minutes().count());
    c.second = static_cast<unsigned>(hms.seconds().count());
    c.nanos = hms.subseconds().count();
    return c;
}

void append_digits(std::string& out, std::int64_t value, int width) {
    std::string digits = std::to_string(value);
    if (digits.size() < static_cast<std::size_t>(width)) {
        out.append(static_cast<std::size_t>(width) - digits.size(), '0');
    }
    out += digits;
}

/// Seconds since the epoch for a validated civil date-time.
TimePoint from_civil(const Civil& c) {
    using namespace std::chrono;
    const year_month_day ymd{year{c.year}, month{c.month}, day{c.day}};
    const std::int64_t days_since_epoch = sys_days{ymd}.time_since_epoch().count();
    const std::int64_t secs =
        days_since_epoch * 86400 + static_cast<std::int64_t>(c.hour) * 3600 + c.minute * 60LL + c.second;
    // system_clock counts nanoseconds (±292 years around 1970): clamp what it cannot hold, such as
    // the 99991231235959Z "no well-defined expiration" of RFC 5280 §4.1.2.5.
    constexpr std::int64_t kMaxSecs = duration_cast<seconds>(TimePoint::duration::max()).count() - 1;
    constexpr std::int64_t kMinSecs = duration_cast<seconds>(TimePoint::duration::min()).count() + 1;
    if (secs >= kMaxSecs) {
        return TimePoint::max();
    }
    if (secs <= kMinSecs) {
        return TimePoint::min();
    }
    return TimePoint{duration_cast<TimePoint::duration>(seconds{secs} + nanoseconds{c.nanos})};
}

bool all_digits(ByteView v) {
    return std::all_of(v.begin(), v.end(), [](std::uint8_t b) { return b >= '0' && b <= '9'; });
}

unsigned number_at(ByteView v, std::size_t pos, std::size_t n) {
    unsigned r = 0;
    for (std::size_t i = 0; i < n; ++i) {
        r = r * 10U + static_cast<unsigned>(v[pos + i] - '0');
    }
    return r;
}

/// Parses the content of a UTCTime / GeneralizedTime as DER restricts them (X.690 §11.7, §11.8).
/// Returns an empty string on success or the reason it is not acceptable.
std::string parse_time(ByteView v, bool generalized, Civil& c) {
    const std::size_t year_digits = generalized ? 4 : 2;
    const std::size_t fixed = year_digits + 10;  // YY[YY]MMDDHHMMSS
    if (v.size() < fixed + 1 || v.back() != 'Z') {
        return "time must be " + std::string{generalized ? "YYYYMMDDHHMMSS[.f]Z" : "YYMMDDHHMMSSZ"};
    }
    if (!all_digits(v.subspan(0, fixed))) {
        return "non-digit in time";
    }
    if (generalized) {
        c.year = static_cast<int>(number_at(v, 0, 4));
    } else {
        const unsigned yy = number_at(v, 0, 2);
        c.year = static_cast<int>(yy < 50 ? 2000 + yy : 1900 + yy);
    }
    c.month = number_at(v, year_digits, 2);
    c.day = number_at(v, year_digits + 2, 2);
    c.hour = number_at(v, year_digits + 4, 2);
    c.minute = number_at(v, year_digits + 6, 2);
    c.second = number_at(v, year_digits + 8, 2);
    c.nanos = 0;
    const ByteView rest = v.subspan(fixed, v.size() - fixed - 1);  // between seconds and 'Z'
    if (!rest.empty()) {
        if (!generalized) {
            return "UTCTime must be YYMMDDHHMMSSZ";
        }
        const ByteView frac = rest.subspan(1);
        if (rest[0] != '.' || frac.empty() || !all_digits(frac)) {
            return "bad fraction of a second";
        }
        if (frac.back() == '0') {
            return "fraction of a second with trailing zeros";
        }
        std::int64_t scale = 100'000'000;
        for (std::size_t i = 0; i < frac.size() && i < 9; ++i) {
            c.nanos += (frac[i] - '0') * scale;
            scale /= 10;
        }
    }
    const std::chrono::year_month_day ymd{std::chrono::year{c.year}, std::chrono::month{c.month},
                                          std::chrono::day{c.day}};
    if (!ymd.ok() || c.hour > 23 || c.minute > 59 || c.second > 59) {
        return "time out of range";
    }
    return {};
}

// ---- integers ------------------------------------------------------------------------------

Bytes twos_complement(std::int64_t v) {
    Bytes be(8);
    auto u = static_cast<std::uint64_t>(v);
    for (std::size_t i = 0; i < 8; ++i) {
        be[7 - i] = static_cast<std::uint8_t>(u & 0xFFU);
        u >>= 8U;
    }
    std::size_t skip = 0;
    while (skip < 7 && ((be[skip] == 0x00 && (be[skip + 1] & 0x80U) == 0) ||
                        (be[skip] == 0xFF && (be[skip + 1] & 0x80U) != 0))) {
        ++skip;
    }
    return {be.begin() + static_cast<std::ptrdiff_t>(skip), be.end()};
}

bool integer_is_minimal(ByteView c) {
    if (c.size() < 2) {
        return !c.empty();
    }
    return !((c[0] == 0x00 && (c[1] & 0x80U) == 0) || (c[0] == 0xFF && (c[1] & 0x80U) != 0));
}

/// X.690 §11.6: compare as if the shorter were padded at its end with zero octets.
bool der_set_less(const Bytes& a, const Bytes& b) {
    const std::size_t n = std::max(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint8_t x = i < a.size() ? a[i] : 0;
        const std::uint8_t y = i < b.size() ? b[i] : 0;
        if (x != y) {
            return x < y;
        }
    }
    return false;
}

std::string describe_tag(Class cls, std::uint32_t number) {
    switch (cls) {
        case Class::Universal:
            return "UNIVERSAL " + std::to_string(number);
        case Class::Application:
            return "[APPLICATION " + std::to_string(number) + "]";
        case Class::Context:
            return "[" + std::to_string(number) + "]";
        case Class::Private:
            return "[PRIVATE " + std::to_string(number) + "]";
    }
    return "?";
}

}  // namespace

// ================================ Writer ================================

void append_length(Bytes& out, std::size_t length) {
    if (length < 0x80U) {
        out.push_back(static_cast<std::uint8_t>(length));
        return;
    }
    std::array<std::uint8_t, sizeof(std::size_t)> tmp{};
    std::size_t n = 0;
    for (std::size_t v = length; v != 0; v >>= 8U) {
        tmp[n++] = static_cast<std::uint8_t>(v & 0xFFU);
    }
    out.push_back(static_cast<std::uint8_t>(0x80U | n));
    for (std::size_t i = n; i > 0; --i) {
        out.push_back(tmp[i - 1]);
    }
}

void Writer::write_tag(Class cls, bool is_constructed, std::uint32_t number) {
    const auto first = static_cast<std::uint8_t>(static_cast<unsigned>(cls) | (is_constructed ? 0x20U : 0U));
    if (number < 31) {
        m_out.push_back(static_cast<std::uint8_t>(first | number));
        return;
    }
    m_out.push_back(static_cast<std::uint8_t>(first | 0x1FU));
    std::array<std::uint8_t, 5> tmp{};
    std::size_t n = 0;
    for (std::uint32_t v = number; v != 0; v >>= 7U) {
        tmp[n++] = static_cast<std::uint8_t>(v & 0x7FU);
    }
    for (std::size_t i = n; i > 0; --i) {
        m_out.push_back(static_cast<std::uint8_t>(tmp[i - 1] | (i > 1 ? 0x80U : 0U)));
    }
}

std::size_t Writer::begin_constructed(Class cls, std::uint32_t number) {
    write_tag(cls, true, number);
    const std::size_t pos = m_out.size();
    m_out.push_back(0);  // length placeholder, widened in end_constructed if needed
    m_open.push_back(pos);
    return pos;
}

void Writer::end_constructed(std::size_t start) {
    require(!m_open.empty() && m_open.back() == start, Errc::Internal,
            "DER writer: unbalanced constructed value");
    m_open.pop_back();
    const std::size_t content_length = m_out.size() - start - 1;
    Bytes len;
    append_length(len, content_length);
    m_out[start] = len[0];
    if (len.size() > 1) {
        m_out.insert(m_out.begin() + static_cast<std::ptrdiff_t>(start + 1), len.begin() + 1, len.end());
    }
}

Writer& Writer::primitive(Class cls, std::uint32_t number, ByteView content) {
    write_tag(cls, false, number);
    append_length(m_out, content.size());
    append(m_out, content);
    return *this;
}

Writer& Writer::raw(ByteView der) {
    // Cheap structural check (tags and lengths of the top-level values) so a bug shows here.
    Reader r{der};
    while (!r.empty()) {
        (void)r.next();
    }
    append(m_out, der);
    return *this;
}

Writer& Writer::boolean(bool v) {
    const std::array<std::uint8_t, 1> content{static_cast<std::uint8_t>(v ? 0xFF : 0x00)};
    return primitive(Class::Universal, tag::Boolean, content);
}

Writer& Writer::integer(std::int64_t v) {
    return primitive(Class::Universal, tag::Integer, twos_complement(v));
}

Writer& Writer::enumerated(std::int64_t v) {
    return primitive(Class::Universal, tag::Enumerated, twos_complement(v));
}

Writer& Writer::integer_unsigned(ByteView big_endian) {
    std::size_t skip = 0;
    while (skip < big_endian.size() && big_endian[skip] == 0) {
        ++skip;
    }
    const ByteView magnitude = big_endian.subspan(skip);
    Bytes content;
    content.reserve(magnitude.size() + 1);
    if (magnitude.empty() || (magnitude[0] & 0x80U) != 0) {
        content.push_back(0x00);
    }
    append(content, magnitude);
    return primitive(Class::Universal, tag::Integer, content);
}

Writer& Writer::null() {
    return primitive(Class::Universal, tag::Null, {});
}

Writer& Writer::oid(std::string_view dotted) {
    return primitive(Class::Universal, tag::Oid, crypto::encode_oid_content(dotted));
}

Writer& Writer::octet_string(ByteView v) {
    return primitive(Class::Universal, tag::OctetString, v);
}

Writer& Writer::bit_string(ByteView v, std::uint8_t unused_bits) {
    if (unused_bits > 7 || (v.empty() && unused_bits != 0)) {
        bad_argument("BIT STRING with " + std::to_string(unused_bits) + " unused bits and " +
                     std::to_string(v.size()) + " octets");
    }
    if (!v.empty() && (v.back() & ((1U << unused_bits) - 1U)) != 0) {
        bad_argument("BIT STRING unused bits must be zero (X.690 §11.2.1)");
    }
    Bytes content;
    content.reserve(v.size() + 1);
    content.push_back(unused_bits);
    append(content, v);
    return primitive(Class::Universal, tag::BitString, content);
}

Writer& Writer::named_bits(std::uint32_t bits_mask) {
    Bytes content{0};
    if (bits_mask != 0) {
        unsigned highest = 0;
        for (unsigned i = 0; i < 32; ++i) {
            if ((bits_mask >> i) & 1U) {
                highest = i;
            }
        }
        const std::size_t n = highest / 8 + 1;
        content.assign(n + 1, 0);
        content[0] = static_cast<std::uint8_t>(7 - highest % 8);
        for (unsigned i = 0; i <= highest; ++i) {
            if ((bits_mask >> i) & 1U) {
                content[1 + i / 8] = static_cast<std::uint8_t>(content[1 + i / 8] | (0x80U >> (i % 8)));
            }
        }
    }
    return primitive(Class::Universal, tag::BitString, content);
}

Writer& Writer::utf8_string(std::string_view v) {
    if (!is_utf8(v)) {
        bad_argument("UTF8String is not valid UTF-8");
    }
    return primitive(Class::Universal, tag::Utf8String, as_bytes(v));
}

Writer& Writer::printable_string(std::string_view v) {
    if (!is_printable(v)) {
        bad_argument("character not allowed in a PrintableString");
    }
    return primitive(Class::Universal, tag::PrintableString, as_bytes(v));
}

Writer& Writer::ia5_string(std::string_view v) {
    if (!is_ia5(v)) {
        bad_argument("non-ASCII character in an IA5String");
    }
    return primitive(Class::Universal, tag::Ia5String, as_bytes(v));
}

Writer& Writer::utc_time(TimePoint t) {
    const Civil c = to_civil(t);
    if (c.year < 1950 || c.year > 2049) {
        bad_argument("UTCTime covers 1950..2049, not " + std::to_string(c.year));
    }
    std::string s;
    append_digits(s, c.year % 100, 2);
    append_digits(s, c.month, 2);
    append_digits(s, c.day, 2);
    append_digits(s, c.hour, 2);
    append_digits(s, c.minute, 2);
    append_digits(s, c.second, 2);
    s += 'Z';
    return primitive(Class::Universal, tag::UtcTime, as_bytes(s));
}

Writer& Writer::generalized_time(TimePoint t, int fraction_digits) {
    if (fraction_digits < 0 || fraction_digits > 6) {
        bad_argument("GeneralizedTime fraction_digits must be 0..6, not " + std::to_string(fraction_digits));
    }
    const Civil c = to_civil(t);
    if (c.year < 0 || c.year > 9999) {
        bad_argument("GeneralizedTime year out of range: " + std::to_string(c.year));
    }
    std::string s;
    append_digits(s, c.year, 4);
    append_digits(s, c.month, 2);
    append_digits(s, c.day, 2);
    append_digits(s, c.hour, 2);
    append_digits(s, c.minute, 2);
    append_digits(s, c.second, 2);
    if (fraction_digits > 0) {
        std::int64_t divisor = 1;
        for (int i = fraction_digits; i < 9; ++i) {
            divisor *= 10;
        }
        std::int64_t fraction = c.nanos / divisor;  // truncated, never rounded up into the next second
        int digits = fraction_digits;
        while (digits > 0 && fraction % 10 == 0) {
            fraction /= 10;
            --digits;
        }
        if (digits > 0) {
            s += '.';
            append_digits(s, fraction, digits);
        }
    }
    s += 'Z';
    return primitive(Class::Universal, tag::GeneralizedTime, as_bytes(s));
}

Writer& Writer::x509_time(TimePoint t) {
    const int year = to_civil(t).year;
    if (year >= 1950 && year <= 2049) {
        return utc_time(t);
    }
    return generalized_time(t);
}

Writer& Writer::set_of(std::vector<Bytes> elements) {
    return set_of(Class::Universal, tag::Set, std::move(elements));
}

Writer& Writer::set_of(Class cls, std::uint32_t number, std::vector<Bytes> elements) {
    for (const Bytes& e : elements) {
        (void)parse_single(e);
    }
    std::sort(elements.begin(), elements.end(), der_set_less);
    return constructed(cls, number, [&](Writer& w) {
        for (const Bytes& e : elements) {
            append(w.m_out, e);
        }
    });
}

Bytes Writer::take() {
    require(m_open.empty(), Errc::Internal, "DER writer: take() inside a constructed value");
    return std::exchange(m_out, Bytes{});
}

// ================================ Reader ================================

Reader::Reader(ByteView input, std::size_t depth) : Reader(input, depth, 0) {}

Reader::Reader(ByteView input, std::size_t depth, std::size_t base)
    : m_in{input}, m_depth{depth}, m_base{base} {
    if (depth > kMaxDepth) {
        fail_at(base, "nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    }
}

void Reader::fail(std::string_view what) const {
    fail_at(offset(), what);
}

std::optional<Tlv> Reader::peek() const {
    if (empty()) {
        return std::nullopt;
    }
    const std::size_t start = m_pos;
    const std::size_t size = m_in.size();
    std::size_t p = start;
    const auto at = [&](std::size_t pos) { return m_base + pos; };

    const std::uint8_t first = m_in[p++];
    Tlv tlv;
    tlv.cls = static_cast<Class>(first & 0xC0U);
    tlv.constructed = (first & 0x20U) != 0;
    if ((first & 0x1FU) != 0x1FU) {
        tlv.number = first & 0x1FU;
    } else {
        std::uint64_t number = 0;
        bool more = true;
        std::size_t count = 0;
        while (more) {
            if (p >= size) {
                fail_at(at(start), "truncated tag");
            }
            const std::uint8_t b = m_in[p++];
            if (count == 0 && b == 0x80) {
                fail_at(at(start), "non-minimal high tag number");
            }
            number = (number << 7U) | (b & 0x7FU);
            more = (b & 0x80U) != 0;
            if (++count > 5 || number > std::numeric_limits<std::uint32_t>::max()) {
                fail_at(at(start), "tag number too large");
            }
        }
        if (number < 31) {
            fail_at(at(start), "high-tag-number form for tag " + std::to_string(number));
        }
        tlv.number = static_cast<std::uint32_t>(number);
    }
    if (tlv.cls == Class::Universal && tlv.number == 0) {
        fail_at(at(start), "end-of-contents octets (indefinite length is not DER)");
    }

    if (p >= size) {
        fail_at(at(start), "truncated length");
    }
    const std::uint8_t l0 = m_in[p++];
    std::size_t length = 0;
    if (l0 < 0x80U) {
        length = l0;
    } else if (l0 == 0x80U) {
        fail_at(at(start), "indefinite length");
    } else if (l0 == 0xFFU) {
        fail_at(at(start), "reserved length octet 0xFF");
    } else {
        const std::size_t n = l0 & 0x7FU;
        if (n > sizeof(std::size_t)) {
            fail_at(at(start), "length too large");
        }
        if (size - p < n) {
            fail_at(at(start), "truncated length");
        }
        if (m_in[p] == 0) {
            fail_at(at(start), "non-minimal length (leading zero octet)");
        }
        for (std::size_t i = 0; i < n; ++i) {
            length = (length << 8U) | m_in[p++];
        }
        if (length < 0x80U) {
            fail_at(at(start), "non-minimal length (long form for " + std::to_string(length) + ")");
        }
    }
    if (length > size - p) {
        fail_at(at(start), "truncated value: length " + std::to_string(length) + " but " +
                               std::to_string(size - p) + " octets left");
    }
    tlv.content = m_in.subspan(p, length);
    tlv.whole = m_in.subspan(start, p + length - start);
    return tlv;
}

Tlv Reader::next() {
    std::optional<Tlv> tlv = peek();
    if (!tlv) {
        fail("expected a value, found the end of the input");
    }
    m_pos += tlv->whole.size();
    return *tlv;
}

Tlv Reader::expect(Class cls, std::uint32_t number) {
    const std::optional<Tlv> tlv = peek();
    if (!tlv) {
        fail("expected " + describe_tag(cls, number) + ", found the end of the input");
    }
    if (!tlv->is(cls, number)) {
        fail("expected " + describe_tag(cls, number) + ", found " + describe_tag(tlv->cls, tlv->number));
    }
    m_pos += tlv->whole.size();
    return *tlv;
}

std::optional<Tlv> Reader::optional(Class cls, std::uint32_t number) {
    const std::optional<Tlv> tlv = peek();
    if (!tlv || !tlv->is(cls, number)) {
        return std::nullopt;
    }
    m_pos += tlv->whole.size();
    return tlv;
}

Reader Reader::enter(const Tlv& tlv) const {
    if (!tlv.constructed) {
        fail_at(m_base, "expected a constructed " + describe_tag(tlv.cls, tlv.number));
    }
    // Offsets in messages are relative to the outermost input when the TLV came from this reader.
    std::size_t base = 0;
    const std::less<const std::uint8_t*> less;
    if (!tlv.whole.empty() && !less(tlv.whole.data(), m_in.data()) &&
        less(tlv.whole.data(), m_in.data() + m_in.size())) {
        base = m_base + static_cast<std::size_t>(tlv.whole.data() - m_in.data()) +
               (tlv.whole.size() - tlv.content.size());
    }
    return Reader{tlv.content, m_depth + 1, base};
}

Reader Reader::sequence() {
    const std::size_t at = offset();
    const Tlv tlv = expect(Class::Universal, tag::Sequence);
    if (!tlv.constructed) {
        fail_at(at, "primitive SEQUENCE");
    }
    return enter(tlv);
}

Reader Reader::set() {
    const std::size_t at = offset();
    const Tlv tlv = expect(Class::Universal, tag::Set);
    if (!tlv.constructed) {
        fail_at(at, "primitive SET");
    }
    return enter(tlv);
}

Reader Reader::context(std::uint32_t number) {
    const std::size_t at = offset();
    const Tlv tlv = expect(Class::Context, number);
    if (!tlv.constructed) {
        fail_at(at, "primitive [" + std::to_string(number) + "] where a constructed one was expected");
    }
    return enter(tlv);
}

std::optional<Reader> Reader::optional_context(std::uint32_t number) {
    const std::optional<Tlv> tlv = peek();
    if (!tlv || !tlv->is_context(number)) {
        return std::nullopt;
    }
    return context(number);
}

namespace {

/// The next TLV with a universal primitive tag; `at` receives its offset.
Tlv expect_primitive(Reader& r, std::uint32_t number, std::string_view name, std::size_t& at) {
    at = r.offset();
    Tlv tlv = r.expect(Class::Universal, number);
    if (tlv.constructed) {
        fail_at(at, "constructed " + std::string{name} + " (not DER)");
    }
    return tlv;
}

std::int64_t integer_value(ByteView c, std::size_t at, std::string_view name) {
    if (c.empty()) {
        fail_at(at, "empty " + std::string{name});
    }
    if (!integer_is_minimal(c)) {
        fail_at(at, "non-minimal " + std::string{name});
    }
    if (c.size() > 8) {
        fail_at(at, std::string{name} + " does not fit in 64 bits");
    }
    std::uint64_t u = (c[0] & 0x80U) != 0 ? ~std::uint64_t{0} : 0;
    for (const std::uint8_t b : c) {
        u = (u << 8U) | b;
    }
    return static_cast<std::int64_t>(u);
}

}  // namespace

bool Reader::read_boolean() {
    std::size_t at = 0;
    const Tlv tlv = expect_primitive(*this, tag::Boolean, "BOOLEAN", at);
    if (tlv.content.size() != 1 || (tlv.content[0] != 0x00 && tlv.content[0] != 0xFF)) {
        fail_at(at, "BOOLEAN must be one octet 0x00 or 0xFF");
    }
    return tlv.content[0] == 0xFF;
}

std::int64_t Reader::read_integer() {
    std::size_t at = 0;
    const Tlv tlv = expect_primitive(*this, tag::Integer, "INTEGER", at);
    return integer_value(tlv.content, at, "INTEGER");
}

std::int64_t Reader::read_enumerated() {
    std::size_t at = 0;
    const Tlv tlv = expect_primitive(*this, tag::Enumerated, "ENUMERATED", at);
    return integer_value(tlv.content, at, "ENUMERATED");
}

Bytes Reader::read_integer_unsigned() {
    std::size_t at = 0;
    const Tlv tlv = expect_primitive(*this, tag::Integer, "INTEGER", at);
    const ByteView c = tlv.content;
    if (c.empty()) {
        fail_at(at, "empty INTEGER");
    }
    if (!integer_is_minimal(c)) {
        fail_at(at, "non-minimal INTEGER");
    }
    if ((c[0] & 0x80U) != 0) {
        fail_at(at, "negative INTEGER where a non-negative one was expected");
    }
    const ByteView magnitude = (c.size() > 1 && c[0] == 0) ? c.subspan(1) : c;
    return to_bytes(magnitude);
}

void Reader::read_null() {
    std::size_t at = 0;
    const Tlv tlv = expect_primitive(*this, tag::Null, "NULL", at);
    if (!tlv.content.empty()) {
        fail_at(at, "NULL with content");
    }
}

std::string Reader::read_oid() {
    std::size_t at = 0;
    const Tlv tlv = expect_primitive(*this, tag::Oid, "OBJECT IDENTIFIER", at);
    try {
        return crypto::decode_oid_content(tlv.content);
    } catch (const Error& e) {
        fail_at(at, e.detail());
    }
}

Bytes Reader::read_octet_string() {
    std::size_t at = 0;
    const Tlv tlv = expect_primitive(*this, tag::OctetString, "OCTET STRING", at);
    return to_bytes(tlv.content);
}

Bytes Reader::read_bit_string() {
    std::size_t at = 0;
    const Tlv tlv = expect_primitive(*this, tag::BitString, "BIT STRING", at);
    if (tlv.content.empty()) {
        fail_at(at, "BIT STRING without the unused-bits octet");
    }
    if (tlv.content[0] != 0) {
        fail_at(at, "BIT STRING with " + std::to_string(tlv.content[0]) + " unused bits");
    }
    return to_bytes(tlv.content.subspan(1));
}

std::string Reader::read_string() {
    constexpr std::uint32_t kTeletex = 20;
    constexpr std::uint32_t kVisible = 26;
    const std::size_t at = offset();
    const std::optional<Tlv> peeked = peek();
    if (!peeked || peeked->cls != Class::Universal) {
        fail("expected a string");
    }
    const std::uint32_t number = peeked->number;
    if (number != tag::Utf8String && number != tag::PrintableString && number != tag::Ia5String &&
        number != tag::BmpString && number != kTeletex && number != kVisible) {
        fail("expected a string, found " + describe_tag(peeked->cls, number));
    }
    std::size_t ignored = 0;
    const Tlv tlv = expect_primitive(*this, number, "string", ignored);
    const std::string_view text{reinterpret_cast<const char*>(tlv.content.data()), tlv.content.size()};
    switch (number) {
        case tag::Utf8String:
            if (!is_utf8(text)) {
                fail_at(at, "UTF8String is not valid UTF-8");
            }
            return std::string{text};
        case tag::PrintableString:
            if (!is_printable(text)) {
                fail_at(at, "character not allowed in a PrintableString");
            }
            return std::string{text};
        case tag::Ia5String:
            if (!is_ia5(text)) {
                fail_at(at, "non-ASCII octet in an IA5String");
            }
            return std::string{text};
        case kVisible:
            if (!is_visible(text)) {
                fail_at(at, "character not allowed in a VisibleString");
            }
            return std::string{text};
        case tag::BmpString: {
            if (tlv.content.size() % 2 != 0) {
                fail_at(at, "BMPString of odd length");
            }
            std::string out;
            for (std::size_t i = 0; i < tlv.content.size(); i += 2) {
                const auto cp = static_cast<std::uint32_t>((tlv.content[i] << 8U) | tlv.content[i + 1]);
                if (cp >= 0xD800U && cp <= 0xDFFFU) {
                    fail_at(at, "surrogate code point in a BMPString");
                }
                append_utf8(out, cp);
            }
            return out;
        }
        default: {  // TeletexString, read as Latin-1
            std::string out;
            for (const std::uint8_t b : tlv.content) {
                append_utf8(out, b);
            }
            return out;
        }
    }
}

TimePoint Reader::read_time() {
    const std::size_t at = offset();
    const std::optional<Tlv> peeked = peek();
    if (!peeked || !(peeked->is_universal(tag::UtcTime) || peeked->is_universal(tag::GeneralizedTime))) {
        fail("expected UTCTime or GeneralizedTime");
    }
    const bool generalized = peeked->number == tag::GeneralizedTime;
    std::size_t ignored = 0;
    const Tlv tlv =
        expect_primitive(*this, peeked->number, generalized ? "GeneralizedTime" : "UTCTime", ignored);
    Civil c;
    const std::string problem = parse_time(tlv.content, generalized, c);
    if (!problem.empty()) {
        fail_at(at, problem);
    }
    return from_civil(c);
}

void Reader::expect_end() const {
    if (!empty()) {
        fail("unexpected trailing data (" + std::to_string(m_in.size() - m_pos) + " octets)");
    }
}

Tlv parse_single(ByteView der) {
    Reader r{der};
    Tlv tlv = r.next();
    if (!r.empty()) {
        fail_at(r.offset(),
                "trailing data after the value (" + std::to_string(der.size() - r.offset()) + " octets)");
    }
    return tlv;
}

}  // namespace inkan::crypto::der
