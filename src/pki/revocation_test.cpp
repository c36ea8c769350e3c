#include <inkan/pki/revocation.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <inkan/core/error.h>
#include <inkan/core/log.h>
#include <inkan/net/url_guard.h>
#include <inkan/pki/ca.h>
#include <inkan/pki/csr.h>
#include <inkan/sign/hsm_signer.h>
#include <inkan/storage/sqlite_ca_store.h>
#include <inkan/testing/process.h>
#include <inkan/testing/softhsm.h>
#include <inkan/testing/test_pki.h>
#include <inkan/testing/tiny_http.h>

namespace inkan::pki {
namespace {

using testing::run;

/// A built-in root CA whose certificates point at a tiny HTTP server in this process: POST /ocsp is
/// answered with BuiltinCa::ocsp_response, GET /crl/<name>.crl with BuiltinCa::crl.
struct LivePki {
    LivePki()
        : clock{std::chrono::system_clock::now()},
          store{dir / "ca.db"},
          http{[this](const testing::TinyRequest& r) { return answer(r); }} {
        hsm::Token& token = testing::shared_test_token();
        root_signer = std::make_unique<sign::HsmSigner>(
            token, token.generate_key_pair(hsm::KeySpec::EcP256, "rev-root"));
        const CaSettings settings{"rev-root", http.url(""), {}};
        const Certificate root =
            create_root(settings, *root_signer,
                        Name{}.country("JP").organization("inkan").common_name("revocation test root"), 3650,
                        store, clock);
        std::lock_guard lock{mu};
        ca = std::make_unique<BuiltinCa>(settings, *root_signer, std::vector<Bytes>{root.der()}, store,
                                         ProfileSet::defaults(), clock);
        root_pem = dir / "root.pem";
        testing::write_file(root_pem, certificates_pem({root.der()}));
    }

    testing::TinyResponse answer(const testing::TinyRequest& r) {
        std::lock_guard lock{mu};
        if (!ca) return {503, "text/plain", "not ready"};
        if (r.head.rfind("POST /ocsp", 0) == 0) {
            if (ocsp_down) return {503, "text/plain", "responder down"};
            return {200, "application/ocsp-response", to_string(ca->ocsp_response(to_bytes(r.body)))};
        }
        if (r.head.rfind("GET /crl/", 0) == 0) return {200, "application/pkix-crl", to_string(ca->crl())};
        return {404, "text/plain", "no such path"};
    }

    Certificate issue(std::string_view cn, std::string_view label) {
        hsm::Token& token = testing::shared_test_token();
        sign::HsmSigner bare{token, token.generate_key_pair(hsm::KeySpec::EcP256, label)};
        std::lock_guard lock{mu};
        return ca->issue(
            create_csr(Name{}.country("JP").given_name("Test").surname("Person").common_name(cn), bare),
            "person");
    }

    testing::TempDir dir{"inkan-revocation"};
    ManualClock clock;
    storage::SqliteCaStore store;
    std::mutex mu;
    bool ocsp_down = false;
    std::unique_ptr<sign::HsmSigner> root_signer;
    std::unique_ptr<BuiltinCa> ca;
    std::filesystem::path root_pem;
    testing::TinyHttpServer http;  // last: its thread stops before the CA goes
};

LivePki& live() {
    static LivePki p;
    return p;
}

/// `openssl ocsp -respin R -issuer root -CAfile root -cert C`: the outside judge's reading of a response.
std::string openssl_ocsp_status(const Bytes& response, const Certificate& cert) {
    testing::TempDir d{"inkan-ocsp-judge"};
    testing::write_file(d / "resp.der", response);
    testing::write_file(d / "cert.pem", cert.pem());
    const auto r =
        run({"openssl", "ocsp", "-respin", (d / "resp.der").string(), "-issuer", live().root_pem.string(),
             "-CAfile", live().root_pem.string(), "-cert", (d / "cert.pem").string()});
    return r.out + r.err;
}

TEST(RevocationFetcher, OcspAnswersGoodForAnIssuedCertificateAndOpensslAgrees) {
    const Certificate leaf = live().issue("Good Person", "rev-good");
    RevocationFetcher fetcher;
    const RevocationInfo info = fetcher.fetch(leaf, live().ca->certificate());
    EXPECT_EQ(info.status, CertStatus::Good) << name(info.status);
    ASSERT_FALSE(info.ocsp_response.empty()) << "source " << info.source;
    EXPECT_TRUE(info.crl.empty());
    EXPECT_NE(info.source.find("/ocsp"), std::string::npos) << info.source;
    ASSERT_TRUE(info.next_update.has_value());
    const std::string judged = openssl_ocsp_status(info.ocsp_response, leaf);
    EXPECT_NE(judged.find("Response verify OK"), std::string::npos) << judged;
    EXPECT_NE(judged.find(": good"), std::string::npos) << judged;
}

TEST(RevocationFetcher, RevokedCertificateIsReportedRevokedWithItsTime) {
    const Certificate leaf = live().issue("Revoked Person", "rev-revoked");
    {
        std::lock_guard lock{live().mu};
        live().ca->revoke(leaf.serial(), RevocationReason::KeyCompromise, live().clock.now());
    }
    RevocationFetcher fetcher;
    const RevocationInfo info = fetcher.fetch(leaf, live().ca->certificate());
    EXPECT_EQ(info.status, CertStatus::Revoked) << name(info.status);
    EXPECT_TRUE(info.revocation_time.has_value());
    const std::string judged = openssl_ocsp_status(info.ocsp_response, leaf);
    EXPECT_NE(judged.find(": revoked"), std::string::npos) << judged;
}

TEST(RevocationFetcher, CrlIsFetchedVerifiedAndJudgedByOpenssl) {
    const Certificate leaf = live().issue("Crl Person", "rev-crl");
    RevocationOptions options;
    options.use_ocsp = false;
    RevocationFetcher fetcher{options};
    const RevocationInfo info = fetcher.fetch(leaf, live().ca->certificate());
    EXPECT_EQ(info.status, CertStatus::Good);
    ASSERT_FALSE(info.crl.empty());
    EXPECT_NE(info.source.find("/crl/rev-root.crl"), std::string::npos) << info.source;
    testing::TempDir d{"inkan-crl-judge"};
    testing::write_file(d / "crl.der", info.crl);
    const auto r = run({"openssl", "crl", "-inform", "DER", "-in", (d / "crl.der").string(), "-CAfile",
                        live().root_pem.string(), "-noout"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE((r.out + r.err).find("verify OK"), std::string::npos) << r.out << r.err;
}

TEST(RevocationFetcher, OcspDownFallsBackToTheCrl) {
    const Certificate leaf = live().issue("Fallback Person", "rev-fallback");
    {
        std::lock_guard lock{live().mu};
        live().ocsp_down = true;
    }
    RevocationFetcher fetcher;
    RevocationInfo info;
    try {
        info = fetcher.fetch(leaf, live().ca->certificate());
    } catch (...) {
        std::lock_guard lock{live().mu};
        live().ocsp_down = false;
        throw;
    }
    {
        std::lock_guard lock{live().mu};
        live().ocsp_down = false;
    }
    EXPECT_TRUE(info.ocsp_response.empty());
    EXPECT_FALSE(info.crl.empty()) << info.source;
}

TEST(RevocationFetcher, SecondFetchIsServedFromTheCacheUntilNextUpdate) {
    const Certificate leaf = live().issue("Cached Person", "rev-cache");
    RevocationFetcher fetcher;
    const auto first = fetcher.fetch(leaf, live().ca->certificate());
    const int requests = live().http.requests();
    const auto second = fetcher.fetch(leaf, live().ca->certificate());
    EXPECT_EQ(live().http.requests(), requests) << "the second fetch went to the network";
    EXPECT_EQ(first.ocsp_response, second.ocsp_response);

    // Past nextUpdate (24 h for the built-in CA's OCSP, 7 days for its CRL) nothing is accepted.
    ManualClock later{std::chrono::system_clock::now() + std::chrono::days{8}};
    RevocationOptions options;
    options.clock = &later;
    RevocationFetcher late{options};
    EXPECT_THROW((void)late.fetch(leaf, live().ca->certificate()), Error)
        << "a response whose nextUpdate has passed must be refused as stale";
}

TEST(RevocationFetcher, CachedOcspFromBeforeIssuedAfterIsAskedForAgain) {
    // B-LT wants data issued after the signature-time-stamp; a process-wide cache must not hand out a
    // response produced before the signature existed.
    const Certificate leaf = live().issue("Fresh Person", "rev-fresh");
    RevocationFetcher fetcher;
    const auto first = fetcher.fetch(leaf, live().ca->certificate());
    ASSERT_FALSE(first.ocsp_response.empty());

    int requests = live().http.requests();
    const auto same = fetcher.fetch(leaf, live().ca->certificate(), first.this_update);
    EXPECT_EQ(live().http.requests(), requests) << "a cached response as new as issued_after was not reused";
    EXPECT_EQ(same.ocsp_response, first.ocsp_response);

    live().clock.advance(std::chrono::seconds{30});
    const TimePoint signed_at = live().clock.now();
    requests = live().http.requests();
    const auto fresh = fetcher.fetch(leaf, live().ca->certificate(), signed_at);
    EXPECT_GT(live().http.requests(), requests) << "a response older than issued_after came from the cache";
    EXPECT_GE(fresh.this_update, std::chrono::floor<std::chrono::seconds>(signed_at))
        << "thisUpdate " << fresh.this_update.time_since_epoch().count() << " is before issued_after "
        << signed_at.time_since_epoch().count();
    EXPECT_NE(fresh.ocsp_response, first.ocsp_response);

    // collect() passes it down the chain.
    live().clock.advance(std::chrono::seconds{30});
    requests = live().http.requests();
    const auto data = fetcher.collect({leaf.der(), live().ca->certificate().der()}, {}, live().clock.now());
    EXPECT_GT(live().http.requests(), requests) << "collect() reused a response older than issued_after";
    EXPECT_EQ(data.ocsp_responses.size(), 1U);
}

TEST(RevocationFetcher, NothingReachableIsAClearUnavailableErrorNamingEachUrl) {
    // A certificate from a CA whose URLs point at a closed port.
    testing::TempDir dir{"inkan-revocation-down"};
    storage::SqliteCaStore store{dir / "ca.db"};
    ManualClock clock{std::chrono::system_clock::now()};
    hsm::Token& token = testing::shared_test_token();
    sign::HsmSigner root_signer{token, token.generate_key_pair(hsm::KeySpec::EcP256, "rev-down-root")};
    const std::string base = "http://127.0.0.1:" + std::to_string(testing::TinyHttpServer::closed_port());
    const CaSettings settings{"down-root", base, {}};
    const Certificate root =
        create_root(settings, root_signer, Name{}.country("JP").common_name("down root"), 3650, store, clock);
    BuiltinCa ca{settings, root_signer, {root.der()}, store, ProfileSet::defaults(), clock};
    sign::HsmSigner bare{token, token.generate_key_pair(hsm::KeySpec::EcP256, "rev-down-leaf")};
    const Certificate leaf = ca.issue(
        create_csr(Name{}.country("JP").given_name("Test").surname("Person").common_name("Down Person"),
                   bare),
        "person");

    RevocationOptions options;
    options.timeout = std::chrono::milliseconds{2000};
    RevocationFetcher fetcher{options};
    try {
        (void)fetcher.fetch(leaf, root);
        FAIL() << "fetch succeeded with every URL down";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::Unavailable) << e.what();
        const std::string what = e.what();
        EXPECT_NE(what.find(base + "/ocsp"), std::string::npos) << what;
        EXPECT_NE(what.find(base + "/crl/down-root.crl"), std::string::npos) << what;
    }
}

TEST(RevocationFetcher, ResponseSignedByAnotherCaIsRefused) {
    // The responder answers with a response about the right CertID signed by a key the issuer never
    // certified: the "signer authorised" check (RFC 6960 §4.2.2.2) must reject it.
    testing::TempDir dir{"inkan-revocation-rogue"};
    storage::SqliteCaStore store{dir / "ca.db"};
    ManualClock clock{std::chrono::system_clock::now()};
    hsm::Token& token = testing::shared_test_token();
    sign::HsmSigner rogue_signer{token, token.generate_key_pair(hsm::KeySpec::EcP256, "rev-rogue")};
    sign::HsmSigner real_signer{token, token.generate_key_pair(hsm::KeySpec::EcP256, "rev-real")};
    std::mutex mu;
    BuiltinCa* rogue_ptr = nullptr;
    testing::TinyHttpServer http{[&](const testing::TinyRequest& r) -> testing::TinyResponse {
        std::lock_guard lock{mu};
        if (!rogue_ptr) return {503, "text/plain", ""};
        // The rogue CA has the same name as the real one, so it answers for the CertID's name hash,
        // but with its own key (its key hash differs, so it would say unknown): sign a real answer
        // with the wrong responder instead.
        return {200, "application/ocsp-response", to_string(rogue_ptr->ocsp_response(to_bytes(r.body)))};
    }};
    const Name name = Name{}.country("JP").common_name("same name root");
    const CaSettings settings{"real", http.url(""), {}};
    const Certificate real_root = create_root(settings, real_signer, name, 3650, store, clock);
    storage::SqliteCaStore rogue_store{dir / "rogue.db"};
    const Certificate rogue_root = create_root(settings, rogue_signer, name, 3650, rogue_store, clock);
    BuiltinCa real{settings, real_signer, {real_root.der()}, store, ProfileSet::defaults(), clock};
    BuiltinCa rogue{settings, rogue_signer, {rogue_root.der()}, rogue_store, ProfileSet::defaults(), clock};
    {
        std::lock_guard lock{mu};
        rogue_ptr = &rogue;
    }
    sign::HsmSigner bare{token, token.generate_key_pair(hsm::KeySpec::EcP256, "rev-rogue-leaf")};
    const Certificate leaf = real.issue(
        create_csr(Name{}.country("JP").given_name("Test").surname("Person").common_name("Victim"), bare),
        "person");
    RevocationFetcher fetcher;
    try {
        const auto info = fetcher.fetch(leaf, real_root);
        // Only a CRL (signed by the real key, also served wrong here) could have been accepted.
        FAIL() << "accepted data from " << info.source;
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::Unavailable) << e.what();
    }
    std::lock_guard lock{mu};
    rogue_ptr = nullptr;
}

TEST(RevocationFetcher, CollectGathersTheChainAndOneResponsePerNonRootCertificate) {
    const Certificate leaf = live().issue("Chain Person", "rev-chain");
    RevocationFetcher fetcher;
    const ValidationData data = fetcher.collect({leaf.der(), live().ca->certificate().der()});
    EXPECT_EQ(data.certificates.size(), 2U);
    EXPECT_EQ(data.ocsp_responses.size(), 1U) << "the self-signed root needs none";
    EXPECT_TRUE(data.crls.empty());
    ASSERT_EQ(data.statuses.size(), 1U);
    EXPECT_EQ(data.statuses[0].second, CertStatus::Good);
}

TEST(RevocationFetcher, CollectWithoutTheIssuerIsNotFound) {
    const Certificate leaf = live().issue("Orphan Person", "rev-orphan");
    RevocationFetcher fetcher;
    // The AIA caIssuers URL of the built-in CA answers 404 here, so the issuer cannot be found.
    try {
        (void)fetcher.collect({leaf.der()});
        FAIL() << "collect succeeded without the issuer";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::NotFound) << e.what();
    }
}

// ---- The URL guard on the fetcher (decision 0016) ----

/// A root CA whose certificates point at `base` (AIA OCSP and caIssuers, CDP), and a leaf it issued.
struct PointingCa {
    explicit PointingCa(const std::string& base, std::string_view label)
        : settings{std::string{label}, base, {}} {
        hsm::Token& token = testing::shared_test_token();
        signer = std::make_unique<sign::HsmSigner>(
            token, token.generate_key_pair(hsm::KeySpec::EcP256, std::string{label} + "-root"));
        root = std::make_unique<Certificate>(
            create_root(settings, *signer, Name{}.country("JP").common_name(std::string{label} + " root"),
                        3650, store, clock));
        ca = std::make_unique<BuiltinCa>(settings, *signer, std::vector<Bytes>{root->der()}, store,
                                         ProfileSet::defaults(), clock);
        sign::HsmSigner bare{token,
                             token.generate_key_pair(hsm::KeySpec::EcP256, std::string{label} + "-leaf")};
        leaf = std::make_unique<Certificate>(ca->issue(
            create_csr(
                Name{}.country("JP").given_name("Test").surname("Person").common_name("Pointed Person"),
                bare),
            "person"));
    }
    testing::TempDir dir{"inkan-revocation-pointing"};
    storage::SqliteCaStore store{dir / "ca.db"};
    ManualClock clock{std::chrono::system_clock::now()};
    CaSettings settings;
    std::unique_ptr<sign::HsmSigner> signer;
    std::unique_ptr<Certificate> root;
    std::unique_ptr<BuiltinCa> ca;
    std::unique_ptr<Certificate> leaf;
};

/// The server's options: a strict guard and errors that name only the subject.
RevocationOptions strict() {
    RevocationOptions o;
    o.guard = net::UrlGuard{};
    o.reveal_sources = false;
    o.timeout = std::chrono::milliseconds{2000};
    return o;
}

std::string error_text(const std::function<void()>& f, Errc* code = nullptr) {
    try {
        f();
    } catch (const Error& e) {
        if (code != nullptr) *code = e.code();
        return e.what();
    }
    return "(no error)";
}

TEST(RevocationGuard, UrlsToTheMetadataOrAPrivateAddressAreRefusedWithTheSubjectOnly) {
    // The guard refuses before any connection: nothing is sent to these addresses.
    for (const std::string base :
         {"http://169.254.169.254", "http://10.255.255.1:8080", "http://[fd00::1]"}) {
        PointingCa pointing{base, "rev-denied-" + std::to_string(base.size())};
        std::vector<std::string> logged;
        const auto previous = log::set_sink([&](std::string_view line) { logged.emplace_back(line); });
        Errc code{};
        RevocationFetcher fetcher{strict()};
        const std::string what =
            error_text([&] { (void)fetcher.fetch(*pointing.leaf, *pointing.root); }, &code);
        log::set_sink(previous);
        EXPECT_EQ(code, Errc::Unavailable) << what;
        EXPECT_EQ(what, "revocation data unavailable for \"" + pointing.leaf->subject() + "\"");
        // The operator's log has the reason for each URL.
        std::string all;
        for (const auto& l : logged)
            all += l + "\n";
        EXPECT_NE(all.find("is not allowed"), std::string::npos) << all;
        EXPECT_EQ(all.find("timed out"), std::string::npos) << "a connection was attempted: " << all;
    }
}

TEST(RevocationGuard, AnIssuerAtADeniedCaIssuersUrlIsNotFetched) {
    PointingCa pointing{"http://169.254.169.254", "rev-denied-aia"};
    RevocationFetcher fetcher{strict()};
    Errc code{};
    const std::string what = error_text([&] { (void)fetcher.collect({pointing.leaf->der()}); }, &code);
    EXPECT_EQ(code, Errc::NotFound) << what;
    EXPECT_EQ(what.find("169.254"), std::string::npos) << what;
    EXPECT_NE(what.find("revocation data unavailable for"), std::string::npos) << what;
}

TEST(RevocationGuard, TheLoopbackPkiIsFetchedOnlyWhenItsOriginIsAllowed) {
    const Certificate leaf = live().issue("Guarded Person", "rev-guarded");
    const int before = live().http.requests();
    RevocationFetcher refused{strict()};
    Errc code{};
    (void)error_text([&] { (void)refused.fetch(leaf, live().ca->certificate()); }, &code);
    EXPECT_EQ(code, Errc::Unavailable);
    EXPECT_EQ(live().http.requests(), before) << "a denied URL was fetched";

    RevocationOptions allowing = strict();
    allowing.guard.allow("http://127.0.0.1:" + std::to_string(live().http.port()));
    RevocationFetcher fetcher{allowing};
    const RevocationInfo info = fetcher.fetch(leaf, live().ca->certificate());
    EXPECT_EQ(info.status, CertStatus::Good);
    EXPECT_GT(live().http.requests(), before);
}

TEST(RevocationGuard, ARedirectToAnotherHostIsNotFollowed) {
    // The certificate's URLs point at a server that redirects every request to the live PKI (which
    // would answer correctly): the redirect is not followed, the live PKI sees nothing.
    const std::string target = live().http.url("");
    testing::TinyHttpServer redirecting{[&](const testing::TinyRequest& r) {
        const std::string path = r.head.substr(r.head.find(' ') + 1,
                                               r.head.find(' ', r.head.find(' ') + 1) - r.head.find(' ') - 1);
        return testing::TinyResponse{302, "text/plain", "", "Location: " + target + path + "\r\n"};
    }};
    PointingCa pointing{redirecting.url(""), "rev-redirect"};
    RevocationOptions o;  // permissive: loopback allowed, so only the redirect rule is at work
    o.timeout = std::chrono::milliseconds{2000};
    RevocationFetcher fetcher{o};
    const int before = live().http.requests();
    Errc code{};
    const std::string what = error_text([&] { (void)fetcher.fetch(*pointing.leaf, *pointing.root); }, &code);
    EXPECT_EQ(code, Errc::Unavailable) << what;
    EXPECT_NE(what.find("HTTP 302"), std::string::npos) << what;
    EXPECT_GE(redirecting.requests(), 1);
    EXPECT_EQ(live().http.requests(), before) << "the redirect was followed";
}

TEST(RevocationGuard, AnOperationsBudgetBoundsHowManyRequestsItMakes) {
    const Certificate first = live().issue("Budget One", "rev-budget-1");
    const Certificate second = live().issue("Budget Two", "rev-budget-2");
    RevocationOptions o;
    o.budget_requests = 1;
    RevocationFetcher fetcher{o};
    const int before = live().http.requests();
    {
        const net::ScopedFetchBudget budget{fetcher.budget()};
        EXPECT_EQ(fetcher.fetch(first, live().ca->certificate()).status, CertStatus::Good);
        Errc code{};
        const std::string what =
            error_text([&] { (void)fetcher.fetch(second, live().ca->certificate()); }, &code);
        EXPECT_EQ(code, Errc::Unavailable) << what;
        EXPECT_NE(what.find("budget"), std::string::npos) << what;
    }
    EXPECT_EQ(live().http.requests(), before + 1);
    // The next operation has a budget of its own.
    const net::ScopedFetchBudget next{fetcher.budget()};
    EXPECT_EQ(fetcher.fetch(second, live().ca->certificate()).status, CertStatus::Good);
}

TEST(RevocationGuard, TheChainDepthLimitStopsBeforeFetching) {
    const Certificate leaf = live().issue("Deep Person", "rev-deep");
    RevocationOptions o;
    o.max_chain_depth = 0;
    RevocationFetcher fetcher{o};
    const int before = live().http.requests();
    Errc code{};
    const std::string what = error_text(
        [&] {
            (void)fetcher.collect({leaf.der(), live().ca->certificate().der()});
        },
        &code);
    EXPECT_EQ(code, Errc::Unavailable) << what;
    EXPECT_NE(what.find("more than 0 issuer steps"), std::string::npos) << what;
    EXPECT_EQ(live().http.requests(), before);
    o.max_chain_depth = 1;
    RevocationFetcher enough{o};
    EXPECT_EQ(enough.collect({leaf.der(), live().ca->certificate().der()}).ocsp_responses.size(), 1U);
}

}  // namespace
}  // namespace inkan::pki
