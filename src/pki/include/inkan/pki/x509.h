#pragma once

// X.509 basics (RFC 5280): distinguished names with UTF-8 attributes, serial numbers, validity.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>

namespace inkan::pki {

/// The name attributes inkan writes. Parsed names may carry others (kept by OID).
enum class NameAttribute {
    Country,                 ///< C, 2.5.4.6, PrintableString, two letters (ISO 3166-1 alpha-2)
    Organization,            ///< O, 2.5.4.10
    OrganizationalUnit,      ///< OU, 2.5.4.11
    CommonName,              ///< CN, 2.5.4.3
    GivenName,               ///< GN, 2.5.4.42
    Surname,                 ///< SN, 2.5.4.4
    SerialNumber,            ///< serialNumber, 2.5.4.5, PrintableString
    OrganizationIdentifier,  ///< organizationIdentifier, 2.5.4.97 (EN 319 412-1 §5.1.4)
    Locality,                ///< L, 2.5.4.7
    StateOrProvince,         ///< ST, 2.5.4.8
    EmailAddress,            ///< emailAddress, 1.2.840.113549.1.9.1, IA5String (RFC 5280 App. A)
};

/// The attribute's dotted OID.
std::string_view oid(NameAttribute attribute);
/// The RFC 4514 / OpenSSL short name ("C", "CN", "GN", "organizationIdentifier", ...).
std::string_view short_name(NameAttribute attribute);

/// One attribute of a name, in the order the RDNs appear.
struct NameEntry {
    std::string oid;
    std::string value;                       ///< UTF-8
    std::optional<NameAttribute> attribute;  ///< empty for attributes inkan does not know
};

/// An X.501 Name (RDNSequence), built attribute by attribute (one attribute per RDN, in the
/// order added: C first, CN last is the usual order) or parsed from DER.
///
/// Encoding (RFC 5280 App. A, §4.1.2.4): countryName and serialNumber as PrintableString,
/// emailAddress as IA5String, every other attribute as UTF8String, so 山田 太郎 and
/// 株式会社インカン are carried as they are.
class Name {
public:
    Name() = default;

    /// Appends one RDN. Errc::InvalidRequest: an empty value, one longer than RFC 5280's upper
    /// bound (in characters: CN/O/OU/serialNumber 64, L/ST 128, emailAddress 255), a country that is
    /// not two letters A-Z, a character PrintableString/IA5String cannot carry, or invalid UTF-8.
    Name& add(NameAttribute attribute, std::string_view value);

    Name& country(std::string_view v) { return add(NameAttribute::Country, v); }
    Name& organization(std::string_view v) { return add(NameAttribute::Organization, v); }
    Name& organizational_unit(std::string_view v) { return add(NameAttribute::OrganizationalUnit, v); }
    Name& common_name(std::string_view v) { return add(NameAttribute::CommonName, v); }
    Name& given_name(std::string_view v) { return add(NameAttribute::GivenName, v); }
    Name& surname(std::string_view v) { return add(NameAttribute::Surname, v); }
    Name& serial_number(std::string_view v) { return add(NameAttribute::SerialNumber, v); }
    Name& organization_identifier(std::string_view v) {
        return add(NameAttribute::OrganizationIdentifier, v);
    }
    Name& locality(std::string_view v) { return add(NameAttribute::Locality, v); }
    Name& state_or_province(std::string_view v) { return add(NameAttribute::StateOrProvince, v); }
    Name& email_address(std::string_view v) { return add(NameAttribute::EmailAddress, v); }

    /// Parses a DER Name. The original encoding is kept: der() returns it byte for byte (so an
    /// issuer name copied from a certificate matches exactly). Errc::InvalidEncoding.
    static Name from_der(ByteView der);

    /// DER RDNSequence.
    [[nodiscard]] Bytes der() const;
    /// RFC 4514 (most specific RDN first, as OpenSSL's XN_FLAG_RFC2253 prints it), UTF-8 kept as is:
    /// "CN=山田 太郎,GN=太郎,SN=山田,C=JP".
    [[nodiscard]] std::string to_string() const;

    [[nodiscard]] const std::vector<NameEntry>& entries() const noexcept { return m_entries; }
    /// The first value of `attribute`, if any.
    [[nodiscard]] std::optional<std::string> first(NameAttribute attribute) const;
    [[nodiscard]] bool has(NameAttribute attribute) const { return first(attribute).has_value(); }
    [[nodiscard]] bool empty() const noexcept { return m_rdns.empty(); }

    friend bool operator==(const Name& a, const Name& b) { return a.der() == b.der(); }

private:
    std::vector<NameEntry> m_entries;
    std::vector<Bytes> m_rdns;  // each a complete RelativeDistinguishedName (SET) TLV
};

/// RFC 4514 text of a DER Name (OpenSSL X509_NAME_print_ex with XN_FLAG_RFC2253 minus
/// ASN1_STRFLGS_ESC_MSB, so UTF-8 stays readable). Errc::InvalidEncoding.
std::string name_to_string(ByteView name_der);

/// Strict RFC 4514 text of a DER Name, for clients that parse it (Java's X500Principal throws on
/// "GN=" or "emailAddress="): only the keywords of RFC 4514 §3 (CN, L, ST, O, OU, C, STREET, DC, UID)
/// name attributes; any other type is its dotted OID with '#' + the hex of the value's DER
/// (§2.4: "If the AttributeType is of the dotted-decimal form, the AttributeValue is represented by
/// an number sign"). Most specific RDN first, '+' inside a multi-valued RDN, UTF-8 kept; a keyword
/// value that is not a UTF8/Printable/IA5/BMP/Visible string is also '#' + hex. Errc::InvalidEncoding.
std::string name_to_rfc4514(ByteView name_der);

// ---- serial numbers (RFC 5280 §4.1.2.2) ----------------------------------------------------

/// A fresh serial number: 16 octets from the DRBG, the first in 0x40..0x7F so the INTEGER is
/// positive, never has its leading octet stripped, and carries 126 random bits (CA/B BR §7.1
/// asks for at least 64).
Bytes random_serial();
/// Upper-case hex of a serial's magnitude, without leading zero octets ("00" for zero):
/// "4A1F...". This is how inkan prints and accepts serials everywhere.
std::string serial_hex(ByteView serial);
/// Parses hex as an operator may paste it: upper or lower case, optional "0x", ':' or ' '
/// separators, odd length allowed. Leading zero octets are stripped. Errc::InvalidRequest.
Bytes serial_from_hex(std::string_view text);

// ---- validity (RFC 5280 §4.1.2.5) ----------------------------------------------------------

/// notBefore..notAfter, both inclusive, in whole seconds.
struct Validity {
    TimePoint not_before{};
    TimePoint not_after{};

    /// [start, start + length], start truncated to the second.
    static Validity starting(TimePoint start, std::chrono::seconds length);
    /// [start, start + days].
    static Validity days(TimePoint start, int days);
    [[nodiscard]] bool contains(TimePoint t) const noexcept { return t >= not_before && t <= not_after; }
};

/// `t` truncated to whole seconds (what X.509 times can carry).
TimePoint truncate_to_seconds(TimePoint t);

}  // namespace inkan::pki
