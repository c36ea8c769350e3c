// The URL guard (decision 0016): address classes, tricky URL forms resolved as the connection would
// resolve them, allow entries, the connection going only where the guard said, no redirects, budgets.
// Every "denied" case is refused before any connection: nothing is sent to a non-loopback address.

#include <gtest/gtest.h>

#include <inkan/core/error.h>
#include <inkan/net/client.h>
#include <inkan/net/url_guard.h>
#include <inkan/testing/tiny_http.h>

namespace {

using inkan::Errc;
using inkan::net::AddressClass;
using inkan::net::Cidr;
using inkan::net::IpAddress;
using inkan::net::UrlGuard;
using inkan::testing::TinyHttpServer;
using inkan::testing::TinyRequest;
using inkan::testing::TinyResponse;

Errc error_of(const std::function<void()>& f, std::string* message = nullptr) {
    try {
        f();
    } catch (const inkan::Error& e) {
        if (message != nullptr) *message = e.what();
        return e.code();
    }
    return Errc{};
}

struct ClassCase {
    const char* address;
    AddressClass expected;
};

TEST(AddressClass, EveryRangeIsClassifiedAsItsRfcSays) {
    const ClassCase cases[] = {
        {"8.8.8.8", AddressClass::Public},
        {"93.184.216.34", AddressClass::Public},
        {"0.0.0.0", AddressClass::Unspecified},
        {"0.1.2.3", AddressClass::Unspecified},
        {"127.0.0.1", AddressClass::Loopback},
        {"127.255.255.254", AddressClass::Loopback},
        {"10.0.0.5", AddressClass::Private},
        {"10.255.255.1", AddressClass::Private},
        {"172.16.0.1", AddressClass::Private},
        {"172.31.255.255", AddressClass::Private},
        {"172.32.0.1", AddressClass::Public},
        {"192.168.1.1", AddressClass::Private},
        {"100.64.0.1", AddressClass::Private},
        {"100.100.100.200", AddressClass::Private},  // a cloud metadata address inside CGNAT space
        {"100.128.0.1", AddressClass::Public},
        {"169.254.169.254", AddressClass::LinkLocal},
        {"224.0.0.1", AddressClass::Multicast},
        {"240.0.0.1", AddressClass::Reserved},
        {"255.255.255.255", AddressClass::Reserved},
        {"192.0.2.7", AddressClass::Reserved},
        {"198.18.0.1", AddressClass::Reserved},
        {"2001:4860:4860::8888", AddressClass::Public},
        {"::", AddressClass::Unspecified},
        {"::1", AddressClass::Loopback},
        {"::ffff:127.0.0.1", AddressClass::Loopback},
        {"::ffff:7f00:1", AddressClass::Loopback},
        {"::ffff:169.254.169.254", AddressClass::LinkLocal},
        {"::ffff:8.8.8.8", AddressClass::Public},
        {"64:ff9b::10.0.0.1", AddressClass::Private},
        {"2002:a9fe:a9fe::1", AddressClass::LinkLocal},  // 6to4 of 169.254.169.254
        {"::127.0.0.1", AddressClass::Reserved},
        {"fd00::1", AddressClass::Private},
        {"fd00:ec2::254", AddressClass::Private},
        {"fc00::1", AddressClass::Private},
        {"fe80::1", AddressClass::LinkLocal},
        {"fec0::1", AddressClass::Private},
        {"ff02::1", AddressClass::Multicast},
        {"2001:db8::1", AddressClass::Reserved},
        {"2001:0:4136:e378::1", AddressClass::Reserved},  // Teredo
    };
    for (const auto& c : cases) {
        const auto ip = IpAddress::parse(c.address);
        ASSERT_TRUE(ip.has_value()) << c.address;
        EXPECT_EQ(inkan::net::classify(*ip), c.expected)
            << c.address << " is " << inkan::net::name(inkan::net::classify(*ip)) << ", expected "
            << inkan::net::name(c.expected);
    }
}

struct UrlCase {
    const char* url;
    bool allowed;
};

TEST(UrlGuard, TrickyFormsOfDeniedAddressesAreRefusedAfterResolution) {
    // Numeric forms the resolver reads (inet_aton: hex, short, octal), bracketed IPv6, mapped IPv6,
    // names from /etc/hosts, non-default ports: all judged by the address they resolve to.
    const UrlCase cases[] = {
        {"http://127.0.0.1/", false},
        {"http://0x7f000001/", false},
        {"http://2130706433/", false},
        {"http://127.1/", false},
        {"http://0177.0.0.1/", false},
        {"http://localhost:8080/ocsp", false},
        {"http://[::1]:80/", false},
        {"http://[::ffff:127.0.0.1]/", false},
        {"http://[::ffff:a9fe:a9fe]/latest/meta-data/", false},
        {"http://169.254.169.254/latest/meta-data/", false},
        {"http://0.0.0.0:8443/", false},
        {"http://10.255.255.1:8080/ocsp", false},
        {"https://192.168.0.1:8443/crl", false},
        {"http://[fd00::1]/", false},
        {"http://[fe80::1]/", false},
        {"http://8.8.8.8/", true},
        {"https://[2001:4860:4860::8888]:8443/", true},
    };
    const UrlGuard guard;
    for (const auto& c : cases) {
        std::string message;
        const Errc e = error_of([&] { (void)guard.resolve(inkan::net::Url::parse(c.url)); }, &message);
        if (c.allowed) {
            EXPECT_EQ(e, Errc{}) << c.url << ": " << message;
        } else {
            EXPECT_EQ(e, Errc::Forbidden) << c.url << ": " << message;
        }
    }
}

TEST(UrlGuard, UserinfoAndOtherSchemesNeverReachTheGuard) {
    for (const char* url : {"http://a@10.0.0.1/", "http://127.0.0.1:80@8.8.8.8/", "ftp://8.8.8.8/",
                            "file:///etc/passwd", "gopher://127.0.0.1:25/", "//8.8.8.8/"}) {
        EXPECT_EQ(error_of([&] { (void)inkan::net::Url::parse(url); }), Errc::InvalidRequest) << url;
    }
}

TEST(UrlGuard, AnOriginEntryAllowsThatSchemeHostAndPortOnly) {
    UrlGuard guard;
    guard.allow("http://127.0.0.1:8080");
    guard.allow("http://LocalHost:9090");
    const auto ok = [&](const char* url) {
        return error_of([&] { (void)guard.resolve(inkan::net::Url::parse(url)); }) == Errc{};
    };
    EXPECT_TRUE(ok("http://127.0.0.1:8080/ocsp"));
    EXPECT_TRUE(ok("http://localhost:9090/crl/x.crl"));
    EXPECT_FALSE(ok("http://127.0.0.1:8081/ocsp"));   // another port
    EXPECT_FALSE(ok("https://127.0.0.1:8080/ocsp"));  // another scheme
    EXPECT_FALSE(ok("http://127.1:8080/ocsp"));       // the same address under another name
    EXPECT_FALSE(ok("http://localhost:8080/ocsp"));
}

TEST(UrlGuard, ARangeEntryAllowsItsAddressesOnAnyPort) {
    UrlGuard guard;
    guard.allow("10.1.0.0/16");
    guard.allow("fd12::/16");
    guard.allow("192.0.2.7");
    EXPECT_TRUE(guard.allows(*IpAddress::parse("10.1.2.3")));
    EXPECT_FALSE(guard.allows(*IpAddress::parse("10.2.0.1")));
    EXPECT_TRUE(guard.allows(*IpAddress::parse("fd12:3::1")));
    EXPECT_FALSE(guard.allows(*IpAddress::parse("fd13::1")));
    EXPECT_TRUE(guard.allows(*IpAddress::parse("192.0.2.7")));
    EXPECT_FALSE(guard.allows(*IpAddress::parse("192.0.2.8")));
    EXPECT_FALSE(guard.allows(*IpAddress::parse("127.0.0.1")));
    EXPECT_EQ(error_of([&] { (void)guard.resolve(inkan::net::Url::parse("http://10.1.0.9:1234/")); }),
              Errc{});
}

TEST(UrlGuard, BadAllowEntriesAreConfigurationErrors) {
    UrlGuard guard;
    for (const char* bad : {"10.0.0.0/33", "::/129", "example.org", "10.0.0.0/x", "ftp://a:1", ""}) {
        EXPECT_EQ(error_of([&] { guard.allow(bad); }), Errc::InvalidConfig) << bad;
    }
}

TEST(UrlGuard, ThePermissiveGuardAllowsEveryAddress) {
    const UrlGuard guard = UrlGuard::permissive();
    EXPECT_EQ(error_of([&] { (void)guard.resolve(inkan::net::Url::parse("http://127.0.0.1:1/")); }), Errc{});
    EXPECT_TRUE(guard.allows(*IpAddress::parse("169.254.169.254")));
}

TEST(UrlGuard, AGuardedRequestToADeniedAddressSendsNothing) {
    TinyHttpServer server{[](const TinyRequest&) { return TinyResponse{200, "text/plain", "hi"}; }};
    const UrlGuard guard;
    inkan::net::RequestOptions options;
    options.guard = &guard;
    std::string message;
    EXPECT_EQ(error_of([&] { (void)inkan::net::get(server.url("/ocsp"), options); }, &message),
              Errc::Forbidden);
    EXPECT_NE(message.find("loopback"), std::string::npos) << message;
    EXPECT_EQ(server.requests(), 0);
    // The same request with the server's origin allowed goes through.
    UrlGuard allowing;
    allowing.allow("http://127.0.0.1:" + std::to_string(server.port()));
    options.guard = &allowing;
    const auto r = inkan::net::get(server.url("/ocsp"), options);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(server.requests(), 1);
}

TEST(UrlGuard, ARedirectIsReturnedAsItIsAndNeverFollowed) {
    TinyHttpServer target{[](const TinyRequest&) { return TinyResponse{200, "text/plain", "secret"}; }};
    TinyHttpServer redirecting{[&](const TinyRequest&) {
        return TinyResponse{302, "text/plain", "", "Location: " + target.url("/latest/meta-data/") + "\r\n"};
    }};
    UrlGuard guard;
    guard.allow("127.0.0.1/32");
    inkan::net::RequestOptions options;
    options.guard = &guard;
    const auto r = inkan::net::get(redirecting.url("/crl"), options);
    EXPECT_EQ(r.status, 302);
    EXPECT_EQ(redirecting.requests(), 1);
    EXPECT_EQ(target.requests(), 0);
}

TEST(FetchBudget, RequestsShareTheBytesAndTheCount) {
    inkan::net::FetchBudget budget{std::chrono::seconds{60}, 1000, 2};
    const auto first = budget.take(std::chrono::seconds{10}, 4096);
    EXPECT_EQ(first.max_bytes, 1000U);
    EXPECT_EQ(first.timeout, std::chrono::milliseconds{10'000});
    budget.spend(700);
    const auto second = budget.take(std::chrono::seconds{10}, 4096);
    EXPECT_EQ(second.max_bytes, 300U);
    EXPECT_EQ(error_of([&] { (void)budget.take(std::chrono::seconds{10}, 4096); }), Errc::Unavailable);
    inkan::net::FetchBudget bytes{std::chrono::seconds{60}, 10, 5};
    bytes.spend(10);
    EXPECT_EQ(error_of([&] { (void)bytes.take(std::chrono::seconds{10}, 4096); }), Errc::Unavailable);
}

TEST(FetchBudget, TheTimeoutOfARequestIsWhatIsLeftOfTheTotal) {
    inkan::net::FetchBudget budget{std::chrono::milliseconds{500}, 1000, 5};
    EXPECT_LE(budget.take(std::chrono::seconds{10}, 10).timeout, std::chrono::milliseconds{500});
    inkan::net::FetchBudget spent{std::chrono::milliseconds{0}, 1000, 5};
    EXPECT_EQ(error_of([&] { (void)spent.take(std::chrono::seconds{10}, 10); }), Errc::Unavailable);
}

TEST(FetchBudget, TheOutermostScopeStaysInForce) {
    EXPECT_EQ(inkan::net::FetchBudget::current(), nullptr);
    {
        inkan::net::ScopedFetchBudget outer{inkan::net::FetchBudget{std::chrono::seconds{1}, 10, 1}};
        inkan::net::FetchBudget* installed = inkan::net::FetchBudget::current();
        ASSERT_NE(installed, nullptr);
        {
            inkan::net::ScopedFetchBudget inner{inkan::net::FetchBudget{std::chrono::seconds{1}, 99, 9}};
            EXPECT_EQ(inkan::net::FetchBudget::current(), installed);
        }
        EXPECT_EQ(inkan::net::FetchBudget::current(), installed);
    }
    EXPECT_EQ(inkan::net::FetchBudget::current(), nullptr);
}

}  // namespace
