// The pki::CaStore port suite (see ca_store_suite.h). Instantiated per adapter.

#include "ca_store_suite.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include <inkan/core/clock.h>
#include <inkan/core/encoding.h>
#include <inkan/core/error.h>

namespace inkan::storage::testing {
namespace {

using namespace std::chrono_literals;
using pki::IssuedCertificate;
using pki::RevocationReason;

constexpr std::string_view kCa = "inkan-issuing";
constexpr std::string_view kOtherCa = "partner-ca";

Bytes serial(std::initializer_list<std::uint8_t> bytes) {
    return Bytes{bytes};
}

Bytes random_serial(std::mt19937_64& rng) {
    Bytes s(9);
    for (auto& b : s) {
        b = static_cast<std::uint8_t>(rng());
    }
    s[0] = static_cast<std::uint8_t>((s[0] & 0x7f) | 0x01);  // positive, no leading zero byte
    return s;
}

/// Times print as RFC 3339 in failures (std::chrono types print as raw bytes).
std::string text(TimePoint t) {
    return format_rfc3339(t);
}
std::string text(const std::optional<TimePoint>& t) {
    return t ? format_rfc3339(*t) : "(none)";
}

TimePoint at(std::int64_t unix_seconds) {
    return TimePoint{std::chrono::seconds{unix_seconds}};
}

IssuedCertificate certificate(std::string_view ca, const Bytes& serial_number,
                              std::string subject = "CN=Test") {
    IssuedCertificate cert;
    cert.ca = std::string{ca};
    cert.serial = serial_number;
    cert.subject = std::move(subject);
    cert.profile = "person";
    cert.not_before = at(1'767'225'600);  // 2026-01-01
    cert.not_after = at(1'798'761'600);   // 2027-01-01
    cert.der = Bytes{0x30, 0x03, 0x02, 0x01, 0x00};
    cert.der.insert(cert.der.end(), serial_number.begin(), serial_number.end());
    return cert;
}

std::vector<std::string> serials_of(const std::vector<IssuedCertificate>& certs) {
    std::vector<std::string> out;
    for (const auto& c : certs) {
        out.push_back(c.ca + ":" + hex_encode_upper(c.serial));
    }
    return out;
}

/// Reserves and records: the normal issuance path.
void issue(pki::CaStore& store, const IssuedCertificate& cert) {
    ASSERT_TRUE(store.reserve_serial(cert.ca, cert.serial)) << hex_encode_upper(cert.serial);
    store.record_certificate(cert);
}

Errc code_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.code();
    }
    ADD_FAILURE() << "no inkan::Error thrown";
    return Errc::Internal;
}

// ---- serials ----

TEST_P(CaStoreSuite, ReservingASerialSucceedsOnce) {
    const Bytes s = serial({0x12, 0x34});
    EXPECT_TRUE(store->reserve_serial(kCa, s));
    EXPECT_FALSE(store->reserve_serial(kCa, s));
    EXPECT_FALSE(open_another()->reserve_serial(kCa, s)) << "another instance must see the claim";
}

TEST_P(CaStoreSuite, SerialsAreUniquePerCaNotGlobally) {
    const Bytes s = serial({0x12, 0x34});
    EXPECT_TRUE(store->reserve_serial(kCa, s));
    EXPECT_TRUE(store->reserve_serial(kOtherCa, s));
}

TEST_P(CaStoreSuite, SerialsAreComparedAsExactBytes) {
    EXPECT_TRUE(store->reserve_serial(kCa, serial({0x01})));
    EXPECT_TRUE(store->reserve_serial(kCa, serial({0x00, 0x01})));
    EXPECT_TRUE(store->reserve_serial(kCa, serial({0x01, 0x00})));
    EXPECT_FALSE(store->reserve_serial(kCa, serial({0x00, 0x01})));
}

TEST_P(CaStoreSuite, ConcurrentReservationsClaimEachSerialExactlyOnce) {
    std::mt19937_64 rng{std::random_device{}()};
    std::vector<Bytes> serials;
    for (int i = 0; i < 100; ++i) {
        serials.push_back(random_serial(rng));
    }
    constexpr int kThreads = 8;
    std::vector<std::unique_ptr<pki::CaStore>> stores;
    for (int t = 0; t < kThreads; ++t) {
        stores.push_back(open_another());
    }
    // wins[t][i]: thread t claimed serials[i]. Every thread tries every serial, in its own order.
    std::vector<std::vector<char>> wins(kThreads, std::vector<char>(serials.size(), 0));
    std::vector<std::string> failures(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            std::vector<std::size_t> order(serials.size());
            for (std::size_t i = 0; i < order.size(); ++i) {
                order[i] = i;
            }
            std::shuffle(order.begin(), order.end(), std::mt19937_64{static_cast<std::uint64_t>(t)});
            try {
                for (const std::size_t i : order) {
                    wins[static_cast<std::size_t>(t)][i] =
                        stores[static_cast<std::size_t>(t)]->reserve_serial(kCa, serials[i]) ? 1 : 0;
                }
            } catch (const Error& e) {
                failures[static_cast<std::size_t>(t)] = std::string{errc_name(e.code())} + ": " + e.what();
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    for (int t = 0; t < kThreads; ++t) {
        EXPECT_EQ(failures[static_cast<std::size_t>(t)], "") << "thread " << t;
    }
    for (std::size_t i = 0; i < serials.size(); ++i) {
        int winners = 0;
        for (int t = 0; t < kThreads; ++t) {
            winners += wins[static_cast<std::size_t>(t)][i];
        }
        EXPECT_EQ(winners, 1) << "serial " << hex_encode_upper(serials[i]);
    }
}

// ---- certificates ----

TEST_P(CaStoreSuite, RecordingRequiresAReservation) {
    const auto cert = certificate(kCa, serial({0x55}));
    EXPECT_EQ(code_of([&] { store->record_certificate(cert); }), Errc::Conflict);
    EXPECT_FALSE(store->find(kCa, cert.serial).has_value());
}

TEST_P(CaStoreSuite, AReservationAtAnotherCaDoesNotCount) {
    const auto cert = certificate(kCa, serial({0x55}));
    ASSERT_TRUE(store->reserve_serial(kOtherCa, cert.serial));
    EXPECT_EQ(code_of([&] { store->record_certificate(cert); }), Errc::Conflict);
}

TEST_P(CaStoreSuite, RecordingTwiceIsAConflict) {
    const auto cert = certificate(kCa, serial({0x55}));
    issue(*store, cert);
    EXPECT_EQ(code_of([&] { store->record_certificate(cert); }), Errc::Conflict);
    EXPECT_EQ(store->list(kCa).size(), 1U);
}

TEST_P(CaStoreSuite, FindReturnsEveryFieldAsRecorded) {
    auto cert = certificate(kCa, serial({0x0a, 0xbc, 0xde}),
                            "CN=山田 太郎,GN=太郎,SN=山田,C=JP");  // UTF-8 must round-trip
    cert.profile = "seal";
    cert.not_before = at(-86'400);       // before 1970
    cert.not_after = at(4'102'444'800);  // 2100, past 2038
    issue(*store, cert);

    const auto found = store->find(kCa, cert.serial);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->ca, cert.ca);
    EXPECT_EQ(hex_encode_upper(found->serial), "0ABCDE");
    EXPECT_EQ(found->subject, cert.subject);
    EXPECT_EQ(found->profile, "seal");
    EXPECT_EQ(text(found->not_before), text(cert.not_before));
    EXPECT_EQ(text(found->not_after), text(cert.not_after));
    EXPECT_EQ(hex_encode_upper(found->der), hex_encode_upper(cert.der));
    EXPECT_FALSE(found->revoked_at.has_value());
    EXPECT_FALSE(found->reason.has_value());
}

TEST_P(CaStoreSuite, TimesAreKeptToTheSecond) {
    auto cert = certificate(kCa, serial({0x01}));
    cert.not_before = at(1'767'225'600) + 999ms;
    issue(*store, cert);
    const auto found = store->find(kCa, cert.serial);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(text(found->not_before), text(at(1'767'225'600)));
}

TEST_P(CaStoreSuite, FindOfAnUnknownSerialIsEmpty) {
    issue(*store, certificate(kCa, serial({0x01})));
    EXPECT_FALSE(store->find(kCa, serial({0x02})).has_value());
    EXPECT_FALSE(store->find(kOtherCa, serial({0x01})).has_value());
    EXPECT_FALSE(store->find(kCa, serial({0x00, 0x01})).has_value());
}

TEST_P(CaStoreSuite, AReservedButUnrecordedSerialIsNotFound) {
    ASSERT_TRUE(store->reserve_serial(kCa, serial({0x01})));
    EXPECT_FALSE(store->find(kCa, serial({0x01})).has_value());
    EXPECT_TRUE(store->find_serial(serial({0x01})).empty());
}

TEST_P(CaStoreSuite, FindSerialReturnsTheSerialAtEveryCa) {
    const Bytes s = serial({0x77, 0x01});
    issue(*store, certificate(kOtherCa, s, "CN=other"));
    issue(*store, certificate(kCa, serial({0x77, 0x02})));
    issue(*store, certificate(kCa, s, "CN=ours"));
    const auto found = store->find_serial(s);
    EXPECT_EQ(serials_of(found), (std::vector<std::string>{"partner-ca:7701", "inkan-issuing:7701"}));
}

TEST_P(CaStoreSuite, ListIsInIssuanceOrderAndPerCa) {
    // Deliberately not in byte order.
    const std::vector<Bytes> order{serial({0x30}), serial({0x10}), serial({0x20, 0x00}), serial({0x05})};
    for (const auto& s : order) {
        issue(*store, certificate(kCa, s));
        issue(*store, certificate(kOtherCa, s));
    }
    EXPECT_EQ(serials_of(store->list(kCa)),
              (std::vector<std::string>{"inkan-issuing:30", "inkan-issuing:10", "inkan-issuing:2000",
                                        "inkan-issuing:05"}));
    EXPECT_EQ(store->list(kOtherCa).size(), 4U);
    EXPECT_TRUE(store->list("nobody").empty());
}

// ---- revocation ----

TEST_P(CaStoreSuite, RevokingRecordsTimeAndReason) {
    const auto cert = certificate(kCa, serial({0x42}));
    issue(*store, cert);
    store->revoke(kCa, cert.serial, RevocationReason::KeyCompromise, at(1'770'000'000));
    const auto found = open_another()->find(kCa, cert.serial);
    ASSERT_TRUE(found.has_value());
    ASSERT_TRUE(found->revoked_at.has_value());
    EXPECT_EQ(text(found->revoked_at), text(at(1'770'000'000)));
    ASSERT_TRUE(found->reason.has_value());
    EXPECT_EQ(found->reason, RevocationReason::KeyCompromise);
}

TEST_P(CaStoreSuite, RevokingAnUnknownSerialIsNotFound) {
    issue(*store, certificate(kCa, serial({0x42})));
    EXPECT_EQ(code_of([&] { store->revoke(kCa, serial({0x43}), RevocationReason::Superseded, at(1)); }),
              Errc::NotFound);
    EXPECT_EQ(code_of([&] { store->revoke(kOtherCa, serial({0x42}), RevocationReason::Superseded, at(1)); }),
              Errc::NotFound);
}

TEST_P(CaStoreSuite, RevokingAReservedButUnrecordedSerialIsNotFound) {
    ASSERT_TRUE(store->reserve_serial(kCa, serial({0x42})));
    EXPECT_EQ(code_of([&] { store->revoke(kCa, serial({0x42}), RevocationReason::Superseded, at(1)); }),
              Errc::NotFound);
}

TEST_P(CaStoreSuite, RevokingTwiceIsAConflict) {
    const auto cert = certificate(kCa, serial({0x42}));
    issue(*store, cert);
    store->revoke(kCa, cert.serial, RevocationReason::Superseded, at(1'770'000'000));
    EXPECT_EQ(
        code_of([&] { store->revoke(kCa, cert.serial, RevocationReason::KeyCompromise, at(1'770'000'100)); }),
        Errc::Conflict);
    // The first revocation stands.
    const auto found = store->find(kCa, cert.serial);
    ASSERT_TRUE(found && found->reason);
    EXPECT_EQ(found->reason, RevocationReason::Superseded);
    EXPECT_EQ(text(found->revoked_at), text(at(1'770'000'000)));
}

TEST_P(CaStoreSuite, CertificateHoldMayBeFollowedByKeyCompromise) {
    const auto cert = certificate(kCa, serial({0x42}));
    issue(*store, cert);
    store->revoke(kCa, cert.serial, RevocationReason::CertificateHold, at(1'770'000'000));
    store->revoke(kCa, cert.serial, RevocationReason::KeyCompromise, at(1'770'000'100));
    const auto found = store->find(kCa, cert.serial);
    ASSERT_TRUE(found && found->reason && found->revoked_at);
    EXPECT_EQ(found->reason, RevocationReason::KeyCompromise);
    EXPECT_EQ(text(found->revoked_at), text(at(1'770'000'100)));
    // ... and that is final.
    EXPECT_EQ(
        code_of([&] { store->revoke(kCa, cert.serial, RevocationReason::Superseded, at(1'770'000'200)); }),
        Errc::Conflict);
}

TEST_P(CaStoreSuite, HoldingACertificateOnHoldIsAConflict) {
    const auto cert = certificate(kCa, serial({0x42}));
    issue(*store, cert);
    store->revoke(kCa, cert.serial, RevocationReason::CertificateHold, at(1'770'000'000));
    EXPECT_EQ(code_of([&] {
                  store->revoke(kCa, cert.serial, RevocationReason::CertificateHold, at(1'770'000'100));
              }),
              Errc::Conflict);
}

TEST_P(CaStoreSuite, RevokedListsOnlyThisCasRevokedCertificatesInIssuanceOrder) {
    for (const std::uint8_t b : std::initializer_list<std::uint8_t>{0x05, 0x04, 0x03, 0x02, 0x01}) {
        issue(*store, certificate(kCa, serial({b})));
        issue(*store, certificate(kOtherCa, serial({b})));
    }
    store->revoke(kCa, serial({0x02}), RevocationReason::AffiliationChanged, at(100));
    store->revoke(kCa, serial({0x04}), RevocationReason::CertificateHold, at(200));
    store->revoke(kOtherCa, serial({0x03}), RevocationReason::KeyCompromise, at(300));

    const auto revoked = store->revoked(kCa);
    EXPECT_EQ(serials_of(revoked), (std::vector<std::string>{"inkan-issuing:04", "inkan-issuing:02"}));
    for (const auto& c : revoked) {
        EXPECT_TRUE(c.revoked_at.has_value() && c.reason.has_value()) << hex_encode_upper(c.serial);
    }
    EXPECT_EQ(serials_of(store->revoked(kOtherCa)), (std::vector<std::string>{"partner-ca:03"}));
    EXPECT_TRUE(store->revoked("nobody").empty());
}

// ---- CRL numbers ----

TEST_P(CaStoreSuite, CrlNumbersCountFromOnePerCa) {
    EXPECT_EQ(store->next_crl_number(kCa), 1U);
    EXPECT_EQ(store->next_crl_number(kCa), 2U);
    EXPECT_EQ(store->next_crl_number(kOtherCa), 1U);
    EXPECT_EQ(open_another()->next_crl_number(kCa), 3U);
}

TEST_P(CaStoreSuite, CrlNumbersStayUniqueAndMonotonicUnderConcurrency) {
    constexpr int kThreads = 8;
    constexpr int kCalls = 100;
    std::vector<std::unique_ptr<pki::CaStore>> stores;
    for (int t = 0; t < kThreads; ++t) {
        stores.push_back(open_another());
    }
    std::vector<std::vector<std::uint64_t>> got(kThreads);
    std::vector<std::string> failures(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            const auto i = static_cast<std::size_t>(t);
            try {
                for (int c = 0; c < kCalls; ++c) {
                    got[i].push_back(stores[i]->next_crl_number(kCa));
                }
            } catch (const Error& e) {
                failures[i] = std::string{errc_name(e.code())} + ": " + e.what();
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    std::vector<std::uint64_t> all;
    for (int t = 0; t < kThreads; ++t) {
        const auto& mine = got[static_cast<std::size_t>(t)];
        EXPECT_EQ(failures[static_cast<std::size_t>(t)], "") << "thread " << t;
        EXPECT_TRUE(std::is_sorted(mine.begin(), mine.end()) &&
                    std::adjacent_find(mine.begin(), mine.end()) == mine.end())
            << "thread " << t << " saw numbers go backwards or repeat";
        all.insert(all.end(), mine.begin(), mine.end());
    }
    std::sort(all.begin(), all.end());
    std::vector<std::uint64_t> expected(kThreads * kCalls);
    for (std::size_t i = 0; i < expected.size(); ++i) {
        expected[i] = i + 1;
    }
    EXPECT_EQ(all, expected) << "every number 1.." << expected.size() << " exactly once";
    EXPECT_EQ(store->next_crl_number(kCa), expected.size() + 1);
}

// ---- persistence ----

TEST_P(CaStoreSuite, ANewInstanceSeesEarlierData) {
    const auto cert = certificate(kCa, serial({0x42}));
    issue(*store, cert);
    store->revoke(kCa, cert.serial, RevocationReason::CessationOfOperation, at(1'770'000'000));
    ASSERT_EQ(store->next_crl_number(kCa), 1U);
    store.reset();

    store = open_another();
    EXPECT_FALSE(store->reserve_serial(kCa, cert.serial));
    const auto found = store->find(kCa, cert.serial);
    ASSERT_TRUE(found && found->reason);
    EXPECT_EQ(hex_encode_upper(found->der), hex_encode_upper(cert.der));
    EXPECT_EQ(found->reason, RevocationReason::CessationOfOperation);
    EXPECT_EQ(store->next_crl_number(kCa), 2U);
}

}  // namespace
}  // namespace inkan::storage::testing
