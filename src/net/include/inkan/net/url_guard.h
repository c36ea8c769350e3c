#pragma once

// The guard every fetch of a URL found in a user's document goes through (OCSP, CRL and caIssuers URLs
// of certificates inside documents: server-side request forgery, issue 14 item 11, decision 0016).
//
// - Only http and https (Url::parse refuses the rest and userinfo).
// - The host is resolved once here, every address is classified, and the connection goes to exactly
//   the addresses that passed (net::get/post with RequestOptions::guard): no DNS-rebinding gap between
//   the check and the connect.
// - Loopback, private, link-local (169.254.169.254, the cloud metadata address), unique-local
//   (fd00::/8, fd00:ec2::254), CGNAT (100.64.0.0/10), multicast, unspecified (0.0.0.0, ::), reserved
//   and documentation ranges are refused unless the operator allows them. IPv4 inside IPv6
//   (::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16) is judged as the IPv4 address it carries.
// - Allow entries: an origin "http://host:port" (that scheme, host name and port, whatever it resolves
//   to: the operator trusts it), or an address/CIDR ("10.1.0.0/16", "fd12::/16", "192.0.2.7") for any
//   port.
// - Redirects are never followed: net::get/post return a 3xx as it is, and the callers treat anything
//   but 200 as a failure.
//
// FetchBudget bounds what one caller's requests (one signDoc or extend call) may spend together: a
// deadline, a byte total and a request count.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <inkan/net/client.h>

namespace inkan::net {

/// An IPv4 (4 bytes used) or IPv6 address.
struct IpAddress {
    std::array<std::uint8_t, 16> bytes{};
    bool v4 = true;
    /// Strict numeric forms only (inet_pton): "10.0.0.1", "::ffff:10.0.0.1". No host names.
    static std::optional<IpAddress> parse(std::string_view text);
    [[nodiscard]] std::string text() const;
    friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

enum class AddressClass {
    Public,
    Unspecified,  ///< 0.0.0.0/8, :: (connects to the local host on Linux)
    Loopback,     ///< 127.0.0.0/8, ::1
    Private,      ///< RFC 1918, 100.64.0.0/10 (CGNAT), fc00::/7, fec0::/10
    LinkLocal,    ///< 169.254.0.0/16 (incl. 169.254.169.254 metadata), fe80::/10
    Multicast,    ///< 224.0.0.0/4, ff00::/8
    Reserved,     ///< 240.0.0.0/4, broadcast, documentation, benchmarking, IETF, Teredo, ::/96, 100::/64
};
std::string_view name(AddressClass c);

/// The class of `address`; IPv4 carried in IPv6 (mapped, NAT64, 6to4) is judged as that IPv4 address.
AddressClass classify(const IpAddress& address);

/// An address range "a.b.c.d/n" or "x::/n" (a bare address: /32 or /128).
struct Cidr {
    IpAddress base;
    int bits = 0;
    /// Errc::InvalidConfig for anything else.
    static Cidr parse(std::string_view text);
    [[nodiscard]] bool contains(const IpAddress& address) const;
};

struct Endpoint {
    IpAddress address;
    std::uint16_t port = 0;
};

class UrlGuard {
public:
    /// Strict: only public addresses, nothing allowed beyond them.
    UrlGuard() = default;
    /// Any address (still http/https only, no redirects): for the user's own CLI, whose fetches run
    /// on the user's machine with the user's own reach (sign/extend in hash mode).
    static UrlGuard permissive();

    /// Adds an allow entry (see the file comment). Errc::InvalidConfig for one that parses as neither.
    void allow(std::string_view entry);
    [[nodiscard]] bool is_permissive() const noexcept { return m_permissive; }

    /// Resolves `url`'s host (numeric forms as getaddrinfo reads them: "127.1", "0x7f000001") and
    /// returns the addresses a connection may use, in resolver order. Errc::Forbidden naming the host
    /// and the class of the refused address (for logs; callers do not pass it to remote clients) when
    /// none may be used; Errc::Unavailable when the name does not resolve.
    [[nodiscard]] std::vector<Endpoint> resolve(const Url& url) const;

    /// Whether a connection to `address` on `port` is allowed for a URL that no origin entry names.
    [[nodiscard]] bool allows(const IpAddress& address) const;

private:
    struct Origin {
        std::string scheme;
        std::string host;  ///< lower case
        std::uint16_t port = 0;
    };
    bool m_permissive = false;
    std::vector<Origin> m_origins;
    std::vector<Cidr> m_ranges;
};

/// What the requests of one operation may spend together. Not thread-safe: one operation, one thread.
class FetchBudget {
public:
    FetchBudget(std::chrono::milliseconds total, std::size_t max_bytes, int max_requests);

    struct Grant {
        std::chrono::milliseconds timeout;
        std::size_t max_bytes;
    };
    /// Takes one request: its timeout and size limit, each the smaller of what the request wants and
    /// what is left. Errc::Unavailable when the time, the bytes or the request count is used up.
    Grant take(std::chrono::milliseconds want_timeout, std::size_t want_bytes);
    /// Charges a response's bytes.
    void spend(std::size_t bytes) noexcept;

    /// The budget installed on this thread by the innermost ScopedFetchBudget, or null.
    static FetchBudget* current() noexcept;

private:
    std::chrono::steady_clock::time_point m_deadline;
    std::size_t m_bytes_left;
    int m_requests_left;
};

/// Installs `budget` for this thread's fetches while it lives (an outer scope stays in force: one
/// operation keeps one budget).
class ScopedFetchBudget {
public:
    explicit ScopedFetchBudget(FetchBudget budget);
    ~ScopedFetchBudget();
    ScopedFetchBudget(const ScopedFetchBudget&) = delete;
    ScopedFetchBudget& operator=(const ScopedFetchBudget&) = delete;

private:
    FetchBudget m_budget;
    bool m_installed = false;
};

}  // namespace inkan::net
