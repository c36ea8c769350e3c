#include <inkan/net/url_guard.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <memory>

#include <inkan/core/error.h>

#include "ascii.h"

namespace inkan::net {

namespace {

using detail::lower;

IpAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    IpAddress ip;
    ip.bytes[0] = a;
    ip.bytes[1] = b;
    ip.bytes[2] = c;
    ip.bytes[3] = d;
    return ip;
}

/// The first `bits` bits of `a` and `b` agree.
bool prefix_equal(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b, int bits) {
    int i = 0;
    for (; bits >= 8; bits -= 8, ++i) {
        if (a[static_cast<std::size_t>(i)] != b[static_cast<std::size_t>(i)]) return false;
    }
    if (bits == 0) return true;
    const auto mask = static_cast<std::uint8_t>(0xFFU << (8 - bits));
    return (a[static_cast<std::size_t>(i)] & mask) == (b[static_cast<std::size_t>(i)] & mask);
}

bool in(const IpAddress& ip, std::string_view cidr) {
    return Cidr::parse(cidr).contains(ip);
}

AddressClass classify_v4(const IpAddress& ip) {
    const auto a = ip.bytes[0];
    const auto b = ip.bytes[1];
    if (a == 0) return AddressClass::Unspecified;  // "this network" (RFC 1122 §3.2.1.3)
    if (a == 127) return AddressClass::Loopback;
    if (a == 10 || (a == 172 && (b & 0xF0U) == 16) || (a == 192 && b == 168)) return AddressClass::Private;
    if (a == 100 && (b & 0xC0U) == 64) return AddressClass::Private;  // RFC 6598 shared (CGNAT)
    if (a == 169 && b == 254) return AddressClass::LinkLocal;         // RFC 3927; cloud metadata
    if ((a & 0xF0U) == 224) return AddressClass::Multicast;
    if ((a & 0xF0U) == 240) return AddressClass::Reserved;  // incl. 255.255.255.255
    // RFC 6890: IETF protocol assignments, documentation (RFC 5737), benchmarking (RFC 2544).
    if (in(ip, "192.0.0.0/24") || in(ip, "192.0.2.0/24") || in(ip, "198.51.100.0/24") ||
        in(ip, "203.0.113.0/24") || in(ip, "198.18.0.0/15")) {
        return AddressClass::Reserved;
    }
    return AddressClass::Public;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    const std::string s{text};
    IpAddress ip;
    if (::inet_pton(AF_INET, s.c_str(), ip.bytes.data()) == 1) {
        ip.v4 = true;
        return ip;
    }
    if (::inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) == 1) {
        ip.v4 = false;
        return ip;
    }
    return std::nullopt;
}

std::string IpAddress::text() const {
    char buf[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(v4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
    return buf;
}

std::string_view name(AddressClass c) {
    switch (c) {
        case AddressClass::Public:
            return "public";
        case AddressClass::Unspecified:
            return "unspecified";
        case AddressClass::Loopback:
            return "loopback";
        case AddressClass::Private:
            return "private";
        case AddressClass::LinkLocal:
            return "link-local";
        case AddressClass::Multicast:
            return "multicast";
        case AddressClass::Reserved:
            return "reserved";
    }
    return "reserved";
}

AddressClass classify(const IpAddress& ip) {
    if (ip.v4) return classify_v4(ip);
    const auto& b = ip.bytes;
    const auto embedded = [&](std::size_t at) { return v4(b[at], b[at + 1], b[at + 2], b[at + 3]); };
    if (in(ip, "::ffff:0:0/96") || in(ip, "64:ff9b::/96")) {
        return classify_v4(embedded(12));  // RFC 4291 §2.5.5.2 mapped; RFC 6052 NAT64
    }
    if (in(ip, "2002::/16")) return classify_v4(embedded(2));  // RFC 3056 6to4
    if (in(ip, "::/128")) return AddressClass::Unspecified;
    if (in(ip, "::1/128")) return AddressClass::Loopback;
    if (in(ip, "::/96")) return AddressClass::Reserved;  // IPv4-compatible (deprecated, RFC 4291)
    if (in(ip, "fc00::/7") || in(ip, "fec0::/10") || in(ip, "64:ff9b:1::/48")) return AddressClass::Private;
    if (in(ip, "fe80::/10")) return AddressClass::LinkLocal;
    if (in(ip, "ff00::/8")) return AddressClass::Multicast;
    // Documentation (RFC 3849), Teredo (its IPv4 is obfuscated, RFC 4380), discard (RFC 6666).
    if (in(ip, "2001:db8::/32") || in(ip, "2001::/32") || in(ip, "100::/64")) return AddressClass::Reserved;
    return AddressClass::Public;
}

Cidr Cidr::parse(std::string_view text) {
    const auto bad = [&] {
        return Error{Errc::InvalidConfig, "not an address or CIDR range: \"" + std::string{text} + "\""};
    };
    const std::size_t slash = text.find('/');
    const auto ip = IpAddress::parse(text.substr(0, slash));
    if (!ip) throw bad();
    Cidr c;
    c.base = *ip;
    c.bits = ip->v4 ? 32 : 128;
    if (slash != std::string_view::npos) {
        const std::string_view n = text.substr(slash + 1);
        int bits = -1;
        const auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), bits);
        if (ec != std::errc{} || p != n.data() + n.size() || bits < 0 || bits > c.bits) throw bad();
        c.bits = bits;
    }
    return c;
}

bool Cidr::contains(const IpAddress& address) const {
    return address.v4 == base.v4 && prefix_equal(address.bytes, base.bytes, bits);
}

UrlGuard UrlGuard::permissive() {
    UrlGuard g;
    g.m_permissive = true;
    return g;
}

void UrlGuard::allow(std::string_view entry) {
    if (entry.find("://") != std::string_view::npos) {
        Url u;
        try {
            u = Url::parse(entry);
        } catch (const Error& e) {
            throw Error{Errc::InvalidConfig,
                        "not an http(s) origin: \"" + std::string{entry} + "\"" + ": " + e.detail()};
        }
        m_origins.push_back({u.scheme, lower(u.host), u.port});
        return;
    }
    m_ranges.push_back(Cidr::parse(entry));
}

bool UrlGuard::allows(const IpAddress& address) const {
    if (m_permissive || classify(address) == AddressClass::Public) return true;
    return std::any_of(m_ranges.begin(), m_ranges.end(), [&](const Cidr& c) { return c.contains(address); });
}

std::vector<Endpoint> UrlGuard::resolve(const Url& url) const {
    require(url.scheme == "http" || url.scheme == "https", Errc::Forbidden,
            "net: only http and https URLs are fetched");
    const std::string host = lower(url.host);
    const bool trusted_origin = std::any_of(m_origins.begin(), m_origins.end(), [&](const Origin& o) {
        return o.scheme == url.scheme && o.host == host && o.port == url.port;
    });

    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int rc = ::getaddrinfo(url.host.c_str(), nullptr, &hints, &found);
    if (rc != 0) {
        throw Error{Errc::Unavailable, "net: " + url.host + ": cannot resolve: " + ::gai_strerror(rc)};
    }
    const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owner{found, &::freeaddrinfo};

    std::vector<Endpoint> out;
    std::string refused;
    for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
        Endpoint e;
        e.port = url.port;
        if (a->ai_family == AF_INET) {
            sockaddr_in sin{};
            std::memcpy(&sin, a->ai_addr, sizeof sin);
            e.address.v4 = true;
            std::memcpy(e.address.bytes.data(), &sin.sin_addr, 4);
        } else if (a->ai_family == AF_INET6) {
            sockaddr_in6 sin6{};
            std::memcpy(&sin6, a->ai_addr, sizeof sin6);
            e.address.v4 = false;
            std::memcpy(e.address.bytes.data(), &sin6.sin6_addr, 16);
        } else {
            continue;
        }
        const bool dup =
            std::any_of(out.begin(), out.end(), [&](const Endpoint& o) { return o.address == e.address; });
        if (dup) continue;
        if (trusted_origin || allows(e.address)) {
            out.push_back(e);
        } else if (refused.empty()) {
            refused = e.address.text() + " (" + std::string{name(classify(e.address))} + ")";
        }
    }
    if (out.empty()) {
        throw Error{Errc::Forbidden, "net: " + url.authority() + " is not fetched: it resolves to " +
                                         (refused.empty() ? std::string{"no address"} : refused) +
                                         ", which is not allowed"};
    }
    return out;
}

namespace {
thread_local FetchBudget* t_budget = nullptr;
}

FetchBudget::FetchBudget(std::chrono::milliseconds total, std::size_t max_bytes, int max_requests)
    : m_deadline{std::chrono::steady_clock::now() + total},
      m_bytes_left{max_bytes},
      m_requests_left{max_requests} {}

FetchBudget::Grant FetchBudget::take(std::chrono::milliseconds want_timeout, std::size_t want_bytes) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(m_deadline - std::chrono::steady_clock::now());
    require(m_requests_left > 0, Errc::Unavailable, "net: the request budget of this operation is used up");
    require(left.count() > 0, Errc::Unavailable, "net: the time budget of this operation is used up");
    require(m_bytes_left > 0, Errc::Unavailable, "net: the byte budget of this operation is used up");
    --m_requests_left;
    return Grant{std::min(want_timeout, left), std::min(want_bytes, m_bytes_left)};
}

void FetchBudget::spend(std::size_t bytes) noexcept {
    m_bytes_left -= std::min(bytes, m_bytes_left);
}

FetchBudget* FetchBudget::current() noexcept {
    return t_budget;
}

ScopedFetchBudget::ScopedFetchBudget(FetchBudget budget) : m_budget{budget} {
    if (t_budget == nullptr) {
        t_budget = &m_budget;
        m_installed = true;
    }
}

ScopedFetchBudget::~ScopedFetchBudget() {
    if (m_installed) t_budget = nullptr;
}

}  // namespace inkan::net
