#include <inkan/pki/x509.h>

#include <algorithm>
#include <array>

#include <openssl/x509.h>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/crypto/der.h>
#include <inkan/crypto/random.h>

#include "oids.h"
#include "ossl_pki.h"

namespace inkan::pki {

namespace {

enum class StringType { Utf8, Printable, Ia5 };

struct AttributeSpec {
    NameAttribute attribute;
    std::string_view oid;
    std::string_view short_name;
    StringType type;
    std::size_t upper_bound;  // RFC 5280 App. A ub-* (characters)
};

// RFC 5280 App. A: ub-common-name 64, ub-organization-name 64, ub-organizational-unit-name 64,
// ub-serial-number 64, ub-locality-name 128, ub-state-name 128, ub-emailaddress-length 255; X.520
// leaves givenName/surname/organizationIdentifier to ub-name (32768).
constexpr std::array<AttributeSpec, 11> kAttributes{{
    {NameAttribute::Country, oids::kCountry, "C", StringType::Printable, 2},
    {NameAttribute::Organization, oids::kOrganization, "O", StringType::Utf8, 64},
    {NameAttribute::OrganizationalUnit, oids::kOrganizationalUnit, "OU", StringType::Utf8, 64},
    {NameAttribute::CommonName, oids::kCommonName, "CN", StringType::Utf8, 64},
    {NameAttribute::GivenName, oids::kGivenName, "GN", StringType::Utf8, 32768},
    {NameAttribute::Surname, oids::kSurname, "SN", StringType::Utf8, 32768},
    {NameAttribute::SerialNumber, oids::kSerialNumber, "serialNumber", StringType::Printable, 64},
    {NameAttribute::OrganizationIdentifier, oids::kOrganizationIdentifier, "organizationIdentifier",
     StringType::Utf8, 32768},
    {NameAttribute::Locality, oids::kLocality, "L", StringType::Utf8, 128},
    {NameAttribute::StateOrProvince, oids::kStateOrProvince, "ST", StringType::Utf8, 128},
    {NameAttribute::EmailAddress, oids::kEmailAddress, "emailAddress", StringType::Ia5, 255},
}};

const AttributeSpec& spec(NameAttribute a) {
    for (const AttributeSpec& s : kAttributes) {
        if (s.attribute == a) {
            return s;
        }
    }
    throw Error{Errc::Internal, "unknown NameAttribute"};
}

std::optional<NameAttribute> attribute_from_oid(std::string_view dotted) {
    for (const AttributeSpec& s : kAttributes) {
        if (s.oid == dotted) {
            return s.attribute;
        }
    }
    return std::nullopt;
}

/// Code points in UTF-8 text (continuation octets are not counted); the writer checks validity.
std::size_t characters(std::string_view s) {
    return static_cast<std::size_t>(std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U; }));
}

}  // namespace

std::string_view oid(NameAttribute attribute) {
    return spec(attribute).oid;
}

std::string_view short_name(NameAttribute attribute) {
    return spec(attribute).short_name;
}

Name& Name::add(NameAttribute attribute, std::string_view value) {
    const AttributeSpec& s = spec(attribute);
    if (value.empty()) {
        throw Error{Errc::InvalidRequest, "name attribute " + std::string{s.short_name} + " is empty"};
    }
    if (characters(value) > s.upper_bound) {
        throw Error{Errc::InvalidRequest, "name attribute " + std::string{s.short_name} + " is longer than " +
                                              std::to_string(s.upper_bound) + " characters"};
    }
    if (attribute == NameAttribute::Country &&
        (value.size() != 2 ||
         !std::all_of(value.begin(), value.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))) {
        throw Error{Errc::InvalidRequest,
                    "countryName must be two upper-case letters (ISO 3166-1 alpha-2), not \"" +
                        std::string{value} + "\""};
    }
    der::Writer w;
    w.set([&](der::Writer& rdn) {
        rdn.sequence([&](der::Writer& atv) {
            atv.oid(s.oid);
            switch (s.type) {
                case StringType::Printable:
                    atv.printable_string(value);
                    break;
                case StringType::Ia5:
                    atv.ia5_string(value);
                    break;
                case StringType::Utf8:
                    atv.utf8_string(value);
                    break;
            }
        });
    });
    m_rdns.push_back(w.take());
    m_entries.push_back(NameEntry{std::string{s.oid}, std::string{value}, attribute});
    return *this;
}

Name Name::from_der(ByteView der) {
    Name name;
    der::Reader outer{der};
    der::Reader rdns = outer.sequence();
    outer.expect_end();
    while (!rdns.empty()) {
        const der::Tlv rdn = rdns.expect(der::Class::Universal, der::tag::Set);
        der::Reader atvs = rdns.enter(rdn);
        if (atvs.empty()) {
            throw Error{Errc::InvalidEncoding, "empty RelativeDistinguishedName"};
        }
        while (!atvs.empty()) {
            der::Reader atv = atvs.sequence();
            NameEntry entry;
            entry.oid = atv.read_oid();
            entry.attribute = attribute_from_oid(entry.oid);
            const std::optional<der::Tlv> value = atv.peek();
            if (!value) {
                throw Error{Errc::InvalidEncoding, "AttributeTypeAndValue without a value"};
            }
            if (value->cls == der::Class::Universal && !value->constructed &&
                (value->number == der::tag::Utf8String || value->number == der::tag::PrintableString ||
                 value->number == der::tag::Ia5String || value->number == der::tag::BmpString ||
                 value->number == 20 || value->number == 26)) {
                entry.value = atv.read_string();
            } else {
                // RFC 4514 §2.4: a value of another type prints as '#' + hex of its BER encoding.
                entry.value = "#" + hex_encode(atv.next().whole);
            }
            atv.expect_end();
            name.m_entries.push_back(std::move(entry));
        }
        name.m_rdns.push_back(to_bytes(rdn.whole));
    }
    return name;
}

Bytes Name::der() const {
    der::Writer w;
    w.sequence([&](der::Writer& seq) {
        for (const Bytes& rdn : m_rdns) {
            seq.raw(rdn);
        }
    });
    return w.take();
}

std::string Name::to_string() const {
    return name_to_string(der());
}

std::optional<std::string> Name::first(NameAttribute attribute) const {
    for (const NameEntry& e : m_entries) {
        if (e.attribute == attribute) {
            return e.value;
        }
    }
    return std::nullopt;
}

std::string name_to_string(ByteView name_der) {
    const unsigned char* p = name_der.data();
    const detail::NamePtr name{::d2i_X509_NAME(nullptr, &p, detail::der_length(name_der))};
    if (!name) {
        ossl::throw_last_error(Errc::InvalidEncoding, "d2i_X509_NAME");
    }
    const ossl::Bio bio = detail::memory_bio();
    // RFC 4514 escaping and order, but UTF-8 passes through instead of becoming \XX escapes.
    const unsigned long flags = XN_FLAG_RFC2253 & ~static_cast<unsigned long>(ASN1_STRFLGS_ESC_MSB);
    if (::X509_NAME_print_ex(bio.get(), name.get(), 0, flags) < 0) {
        ossl::throw_last_error(Errc::CryptoFailure, "X509_NAME_print_ex");
    }
    return detail::bio_text(bio.get());
}

namespace {

/// RFC 4514 §3: the only short names a conforming parser must know.
std::optional<std::string_view> rfc4514_keyword(std::string_view oid) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kKeywords{{
        {"2.5.4.3", "CN"},
        {"2.5.4.7", "L"},
        {"2.5.4.8", "ST"},
        {"2.5.4.10", "O"},
        {"2.5.4.11", "OU"},
        {"2.5.4.6", "C"},
        {"2.5.4.9", "STREET"},
        {"0.9.2342.19200300.100.1.25", "DC"},
        {"0.9.2342.19200300.100.1.1", "UID"},
    }};
    for (const auto& [dotted, keyword] : kKeywords) {
        if (dotted == oid) {
            return keyword;
        }
    }
    return std::nullopt;
}

/// RFC 4514 §2.4 escaping of a string value; control characters as \XX like OpenSSL's RFC2253 output.
void append_escaped(std::string& out, std::string_view value) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (std::size_t i = 0; i < value.size(); ++i) {
        const char c = value[i];
        const auto u = static_cast<unsigned char>(c);
        const bool special =
            c == '"' || c == '+' || c == ',' || c == ';' || c == '<' || c == '>' || c == '\\';
        const bool edge = (i == 0 && (c == ' ' || c == '#')) || (i + 1 == value.size() && c == ' ');
        if (u < 0x20 || u == 0x7F) {
            out += '\\';
            out += kHex[u >> 4U];
            out += kHex[u & 0xFU];
        } else if (special || edge) {
            out += '\\';
            out += c;
        } else {
            out += c;
        }
    }
}

}  // namespace

std::string name_to_rfc4514(ByteView name_der) {
    constexpr std::uint32_t kVisible = 26;
    der::Reader outer{name_der};
    der::Reader rdns = outer.sequence();
    outer.expect_end();
    std::vector<std::string> texts;
    while (!rdns.empty()) {
        const der::Tlv rdn = rdns.expect(der::Class::Universal, der::tag::Set);
        der::Reader atvs = rdns.enter(rdn);
        if (atvs.empty()) {
            throw Error{Errc::InvalidEncoding, "empty RelativeDistinguishedName"};
        }
        std::string text;
        while (!atvs.empty()) {
            der::Reader atv = atvs.sequence();
            const std::string oid = atv.read_oid();
            const std::optional<der::Tlv> value = atv.peek();
            if (!value) {
                throw Error{Errc::InvalidEncoding, "AttributeTypeAndValue without a value"};
            }
            if (!text.empty()) {
                text += '+';
            }
            const auto keyword = rfc4514_keyword(oid);
            const bool string_value =
                value->cls == der::Class::Universal && !value->constructed &&
                (value->number == der::tag::Utf8String || value->number == der::tag::PrintableString ||
                 value->number == der::tag::Ia5String || value->number == der::tag::BmpString ||
                 value->number == kVisible);
            text += keyword ? std::string{*keyword} : oid;
            text += '=';
            if (keyword && string_value) {
                append_escaped(text, atv.read_string());
            } else {
                text += '#';
                text += hex_encode_upper(atv.next().whole);
            }
            atv.expect_end();
        }
        texts.push_back(std::move(text));
    }
    // §2.1: the RDNSequence is output last element first.
    std::string out;
    for (auto it = texts.rbegin(); it != texts.rend(); ++it) {
        if (!out.empty()) {
            out += ',';
        }
        out += *it;
    }
    return out;
}

// ---- serial numbers --------------------------------------------------------------------------

Bytes random_serial() {
    Bytes serial = crypto::random_bytes(16);
    serial[0] = static_cast<std::uint8_t>((serial[0] & 0x3FU) | 0x40U);
    return serial;
}

std::string serial_hex(ByteView serial) {
    auto first = std::find_if(serial.begin(), serial.end(), [](std::uint8_t b) { return b != 0; });
    if (first == serial.end()) {
        return "00";
    }
    return hex_encode_upper(ByteView{&*first, static_cast<std::size_t>(serial.end() - first)});
}

Bytes serial_from_hex(std::string_view text) {
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        text.remove_prefix(2);
    }
    std::string digits;
    for (const char c : text) {
        if (c == ':' || c == ' ') {
            continue;
        }
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            throw Error{Errc::InvalidRequest, "serial number is not hex: \"" + std::string{text} + "\""};
        }
        digits.push_back(c);
    }
    if (digits.empty() || digits.size() > 80) {
        throw Error{Errc::InvalidRequest, "serial number must have 1 to 80 hex digits"};
    }
    if (digits.size() % 2 != 0) {
        digits.insert(digits.begin(), '0');
    }
    Bytes out = hex_decode(digits);
    const auto first = std::find_if(out.begin(), out.end(), [](std::uint8_t b) { return b != 0; });
    out.erase(out.begin(), first);
    return out;
}

// ---- validity -------------------------------------------------------------------------------

TimePoint truncate_to_seconds(TimePoint t) {
    return std::chrono::floor<std::chrono::seconds>(t);
}

Validity Validity::starting(TimePoint start, std::chrono::seconds length) {
    require(length.count() > 0, Errc::InvalidRequest, "validity period must be positive");
    const TimePoint from = truncate_to_seconds(start);
    // The system clock counts nanoseconds and ends in 2262.
    require(length < std::chrono::duration_cast<std::chrono::seconds>(TimePoint::max() - from),
            Errc::InvalidRequest, "validity period too long");
    return Validity{from, from + length};
}

Validity Validity::days(TimePoint start, int days) {
    require(days > 0, Errc::InvalidRequest, "validity must be at least one day");
    return starting(start, std::chrono::days{days});
}

}  // namespace inkan::pki
