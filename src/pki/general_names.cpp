#include "general_names.h"

#include <algorithm>
#include <array>

#include <arpa/inet.h>

#include <inkan/core/error.h>
#include <inkan/crypto/der.h>

namespace inkan::pki::detail {

namespace {
constexpr std::uint32_t kDnsName = 2;    // GeneralName dNSName [2] IA5String
constexpr std::uint32_t kIpAddress = 7;  // GeneralName iPAddress [7] OCTET STRING
}  // namespace

Bytes ip_address_octets(std::string_view text) {
    const std::string s{text};
    std::array<std::uint8_t, 16> buf{};
    if (s.find(':') == std::string::npos) {
        if (::inet_pton(AF_INET, s.c_str(), buf.data()) == 1) {
            return Bytes(buf.begin(), buf.begin() + 4);
        }
    } else if (::inet_pton(AF_INET6, s.c_str(), buf.data()) == 1) {
        return Bytes(buf.begin(), buf.end());
    }
    throw Error{Errc::InvalidRequest, "not an IPv4 or IPv6 address: \"" + s + "\""};
}

std::string ip_address_text(ByteView octets) {
    std::array<char, INET6_ADDRSTRLEN> buf{};
    const int family = octets.size() == 4 ? AF_INET : octets.size() == 16 ? AF_INET6 : 0;
    if (family == 0 || ::inet_ntop(family, octets.data(), buf.data(), buf.size()) == nullptr) {
        throw Error{Errc::InvalidEncoding, "iPAddress of " + std::to_string(octets.size()) + " octets"};
    }
    return std::string{buf.data()};
}

void check_dns_name(std::string_view name) {
    std::string_view rest = name;
    if (rest.size() > 2 && rest.substr(0, 2) == "*.") {
        rest.remove_prefix(2);
    }
    const bool ok = !rest.empty() && name.size() <= 253 && rest.front() != '.' && rest.back() != '.' &&
                    std::all_of(rest.begin(), rest.end(), [](char c) {
                        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                               c == '-' || c == '.';
                    });
    if (!ok) {
        throw Error{Errc::InvalidRequest, "not a DNS name: \"" + std::string{name} + "\""};
    }
}

void check_uri(std::string_view uri) {
    const bool ok = !uri.empty() && std::all_of(uri.begin(), uri.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u > 0x20U && u < 0x7FU;
    });
    if (!ok) {
        throw Error{Errc::InvalidRequest,
                    "URI must be non-empty visible ASCII: \"" + std::string{uri} + "\""};
    }
}

Bytes encode_subject_alt_name(const std::vector<std::string>& dns_names,
                              const std::vector<std::string>& ip_addresses) {
    der::Writer w;
    w.sequence([&](der::Writer& names) {
        for (const std::string& dns : dns_names) {
            check_dns_name(dns);
            names.primitive(der::Class::Context, kDnsName, as_bytes(dns));
        }
        for (const std::string& ip : ip_addresses) {
            names.primitive(der::Class::Context, kIpAddress, ip_address_octets(ip));
        }
    });
    return w.take();
}

void parse_subject_alt_name(ByteView value, std::vector<std::string>& dns_names,
                            std::vector<std::string>& ip_addresses) {
    der::Reader outer{value};
    der::Reader names = outer.sequence();
    outer.expect_end();
    while (!names.empty()) {
        const der::Tlv name = names.next();
        if (name.is_context(kDnsName) && !name.constructed) {
            dns_names.push_back(to_string(name.content));
        } else if (name.is_context(kIpAddress) && !name.constructed) {
            ip_addresses.push_back(ip_address_text(name.content));
        }
    }
}

}  // namespace inkan::pki::detail
