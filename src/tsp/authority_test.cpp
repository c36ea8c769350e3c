// The TSA engine with its keys in SoftHSM and serials in SQLite; every token judged by
// `openssl ts -verify`, every rejection read back with `openssl ts -reply -text`.

#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <inkan/cms/signed_data.h>
#include <inkan/core/error.h>
#include <inkan/crypto/der.h>
#include <inkan/crypto/digest.h>
#include <inkan/pki/certificate.h>
#include <inkan/pki/x509.h>
#include <inkan/storage/sqlite_tsa_serial_store.h>
#include <inkan/testing/process.h>
#include <inkan/testing/test_pki.h>
#include <inkan/tsp/authority.h>

namespace {

using inkan::Bytes;
using inkan::Errc;
using inkan::crypto::DigestAlgorithm;
using inkan::hsm::KeySpec;
using inkan::testing::run;
using inkan::testing::TempDir;
using inkan::testing::TestPki;
namespace tsp = inkan::tsp;

constexpr std::string_view kPolicyA = "1.3.6.1.4.1.99999.1.1";
constexpr std::string_view kPolicyB = "1.3.6.1.4.1.99999.1.2";

TestPki& test_pki() {
    static TestPki p;
    return p;
}

struct Tsa {
    TestPki::Leaf a = test_pki().issue(KeySpec::EcP256, "tsa-a");
    TestPki::Leaf b = test_pki().issue(KeySpec::Rsa2048, "tsa-b");
    TempDir dir;
    inkan::storage::SqliteTsaSerialStore serials{dir / "tsa.db"};

    static tsp::Identity identity(std::string name, std::string_view policy, TestPki::Leaf& leaf,
                                  bool is_default) {
        tsp::Identity id;
        id.name = std::move(name);
        id.policy = std::string{policy};
        id.signer = std::shared_ptr<inkan::sign::Signer>(leaf.signer.get(), [](inkan::sign::Signer*) {});
        id.chain = leaf.chain;
        id.is_default = is_default;
        return id;
    }
    tsp::Authority make(inkan::storage::SqliteTsaSerialStore& store) {
        return tsp::Authority{
            {identity("a", kPolicyA, a, true), identity("b", kPolicyB, b, false)}, store, test_pki().clock};
    }
    tsp::Authority authority = make(serials);
};

Tsa& tsa() {
    static Tsa t;
    return t;
}

std::string path(const TempDir& d, std::string_view name) {
    return (d / name).string();
}

/// `openssl ts -query` for `data` with extra arguments; returns the DER request.
Bytes openssl_query(const TempDir& d, std::string_view data, std::vector<std::string> extra) {
    inkan::testing::write_file(d / "data.bin", data);
    std::vector<std::string> argv{"openssl",           "ts",   "-query",        "-data",
                                  path(d, "data.bin"), "-out", path(d, "q.tsq")};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const auto r = run(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return inkan::testing::read_file(d / "q.tsq");
}

inkan::testing::CommandResult openssl_verify(const TempDir& d, const Bytes& reply, std::string_view data,
                                             const std::vector<Bytes>& chain) {
    inkan::testing::write_file(d / "r.tsr", reply);
    inkan::testing::write_file(d / "check.bin", data);
    inkan::testing::write_file(d / "chain.pem", inkan::pki::certificates_pem(chain));
    return run({"openssl", "ts", "-verify", "-data", path(d, "check.bin"), "-in", path(d, "r.tsr"), "-CAfile",
                test_pki().root_pem.string(), "-untrusted", path(d, "chain.pem")});
}

std::string reply_text(const TempDir& d, const Bytes& reply) {
    inkan::testing::write_file(d / "text.tsr", reply);
    const auto r = run({"openssl", "ts", "-reply", "-in", path(d, "text.tsr"), "-text"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
}

bool contains(const std::string& s, std::string_view what) {
    return s.find(what) != std::string::npos;
}

TEST(TsaAuthority, TokensForSha256Sha384Sha512VerifyWithOpensslAndFailOnOtherData) {
    for (const char* md : {"-sha256", "-sha384", "-sha512"}) {
        TempDir d;
        const Bytes reply = tsa().authority.respond(openssl_query(d, "the document", {md, "-cert"}));
        const auto ok = openssl_verify(d, reply, "the document", tsa().a.chain);
        EXPECT_EQ(ok.exit_code, 0) << md << ": " << ok.out << ok.err;
        EXPECT_TRUE(contains(ok.out, "Verification: OK")) << md << ": " << ok.out;
        const auto bad = openssl_verify(d, reply, "another document", tsa().a.chain);
        EXPECT_NE(bad.exit_code, 0) << md << ": openssl accepted the token for other data";
        EXPECT_TRUE(contains(bad.out + bad.err, "FAILED")) << bad.out << bad.err;
    }
}

TEST(TsaAuthority, NonceIsEchoedAndLeftOutWhenNotSent) {
    TempDir d;
    const Bytes with = tsa().authority.respond(openssl_query(d, "x", {"-sha256", "-cert"}));
    const auto request = tsp::parse_request(inkan::testing::read_file(d / "q.tsq"));
    ASSERT_TRUE(request.nonce.has_value()) << "openssl sends a nonce by default";
    const auto token = tsp::parse_response(with).token;
    ASSERT_TRUE(token.has_value());
    EXPECT_EQ(tsp::parse_tst_info(*inkan::cms::parse(*token).content).nonce, request.nonce);

    const Bytes without = tsa().authority.respond(openssl_query(d, "x", {"-sha256", "-cert", "-no_nonce"}));
    const auto ok = openssl_verify(d, without, "x", tsa().a.chain);
    EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
    const auto t2 = tsp::parse_response(without).token;
    ASSERT_TRUE(t2.has_value());
    EXPECT_FALSE(tsp::parse_tst_info(*inkan::cms::parse(*t2).content).nonce.has_value());
}

TEST(TsaAuthority, ReqPolicyChoosesTheSecondIdentityAndItsKey) {
    TempDir d;
    const Bytes reply = tsa().authority.respond(
        openssl_query(d, "doc", {"-sha256", "-cert", "-tspolicy", std::string{kPolicyB}}));
    const auto ok = openssl_verify(d, reply, "doc", tsa().b.chain);
    EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
    const std::string text = reply_text(d, reply);
    EXPECT_TRUE(contains(text, std::string{kPolicyB})) << text;
    const auto sd = inkan::cms::parse(*tsp::parse_response(reply).token);
    EXPECT_EQ(inkan::cms::find_signer_certificate(sd, 0), tsa().b.chain.front());
}

TEST(TsaAuthority, CertReqFalseLeavesTheCertificatesOut) {
    TempDir d;
    const Bytes reply = tsa().authority.respond(openssl_query(d, "doc", {"-sha256"}));
    const auto sd = inkan::cms::parse(*tsp::parse_response(reply).token);
    EXPECT_TRUE(sd.certificates.empty()) << sd.certificates.size() << " certificates without certReq";
    ASSERT_NE(sd.signer_infos[0].signed_attribute(inkan::cms::oid::kSigningCertificateV2), nullptr);
    // openssl finds the TSA certificate through -untrusted instead.
    const auto ok = openssl_verify(d, reply, "doc", tsa().a.chain);
    EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
}

TEST(TsaAuthority, UnknownPolicyIsRejectedWithUnacceptedPolicy) {
    TempDir d;
    const Bytes reply =
        tsa().authority.respond(openssl_query(d, "doc", {"-sha256", "-tspolicy", "1.3.6.1.4.1.99999.7"}));
    const auto resp = tsp::parse_response(reply);
    EXPECT_EQ(resp.status, tsp::PkiStatus::Rejection);
    EXPECT_EQ(resp.fail_info, tsp::FailureInfo::UnacceptedPolicy);
    const std::string text = reply_text(d, reply);
    EXPECT_TRUE(contains(text, "Rejected")) << text;
    EXPECT_TRUE(contains(text, "the requested TSA policy is not supported by the TSA")) << text;
}

TEST(TsaAuthority, Md5AndSha1ImprintsAreRejectedWithBadAlg) {
    for (const char* md : {"-md5", "-sha1"}) {
        TempDir d;
        const Bytes reply = tsa().authority.respond(openssl_query(d, "doc", {md}));
        EXPECT_EQ(tsp::parse_response(reply).fail_info, tsp::FailureInfo::BadAlg) << md;
        const std::string text = reply_text(d, reply);
        EXPECT_TRUE(contains(text, "unrecognized or unsupported algorithm identifier")) << md << ": " << text;
    }
}

TEST(TsaAuthority, GarbageAndAWrongImprintLengthAreRejectedWithBadDataFormat) {
    TempDir d;
    const Bytes reply = tsa().authority.respond(inkan::to_bytes("this is not a TimeStampReq"));
    EXPECT_EQ(tsp::parse_response(reply).fail_info, tsp::FailureInfo::BadDataFormat);
    EXPECT_TRUE(contains(reply_text(d, reply), "the data submitted has the wrong format"));

    tsp::TimeStampReq short_imprint;
    short_imprint.imprint = tsp::make_imprint(DigestAlgorithm::Sha256, Bytes(32, 1));
    // Re-encode the imprint with 20 bytes under the SHA-256 OID.
    inkan::der::Writer w;
    w.sequence([&](inkan::der::Writer& s) {
        s.raw(inkan::crypto::digest_algorithm_identifier(DigestAlgorithm::Sha256));
        s.octet_string(Bytes(20, 1));
    });
    short_imprint.imprint.der = w.take();
    const Bytes r2 = tsa().authority.respond(tsp::encode_request(short_imprint));
    EXPECT_EQ(tsp::parse_response(r2).fail_info, tsp::FailureInfo::BadDataFormat);
}

TEST(TsaAuthority, AVersionOtherThanOneIsABadRequest) {
    tsp::TimeStampReq req;
    req.version = 2;
    req.imprint = tsp::make_imprint(DigestAlgorithm::Sha256, Bytes(32, 1));
    EXPECT_EQ(tsp::parse_response(tsa().authority.respond(tsp::encode_request(req))).fail_info,
              tsp::FailureInfo::BadRequest);
}

TEST(TsaAuthority, SixteenThreadsTimesFiveHundredStampsGetDistinctSerials) {
    constexpr int kThreads = 16;
    constexpr int kPerThread = 500;
    std::mutex mutex;
    std::set<Bytes> serials;
    int failures = 0;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            std::vector<Bytes> mine;
            int bad = 0;
            for (int i = 0; i < kPerThread; ++i) {
                tsp::TimeStampReq req;
                req.imprint =
                    tsp::make_imprint(DigestAlgorithm::Sha256,
                                      inkan::crypto::digest(DigestAlgorithm::Sha256,
                                                            inkan::as_bytes(std::to_string(t * 100000 + i))));
                const auto resp = tsp::parse_response(tsa().authority.respond(tsp::encode_request(req)));
                if (!resp.token) {
                    ++bad;
                    continue;
                }
                mine.push_back(tsp::parse_tst_info(*inkan::cms::parse(*resp.token).content).serial);
            }
            const std::lock_guard lock{mutex};
            failures += bad;
            for (auto& s : mine) {
                serials.insert(std::move(s));
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    EXPECT_EQ(failures, 0);
    EXPECT_EQ(serials.size(), static_cast<std::size_t>(kThreads * kPerThread)) << "some serial came twice";
}

TEST(TsaAuthority, TwoAuthoritiesOnOneDatabaseNeverCollide) {
    inkan::storage::SqliteTsaSerialStore other_store{tsa().dir / "tsa.db"};
    tsp::Authority other = tsa().make(other_store);
    std::set<Bytes> serials;
    for (int i = 0; i < 150; ++i) {
        for (tsp::Authority* a : {&tsa().authority, &other}) {
            tsp::TimeStampReq req;
            req.imprint = tsp::make_imprint(DigestAlgorithm::Sha256, Bytes(32, static_cast<std::uint8_t>(i)));
            const Bytes token = a->stamp(req);
            const Bytes serial = tsp::parse_tst_info(*inkan::cms::parse(token).content).serial;
            EXPECT_TRUE(serials.insert(serial).second) << "serial handed out twice, round " << i;
        }
    }
}

TEST(TsaAuthority, TheTsaKeyIsSensitiveAndNeverExtractable) {
    const auto info =
        inkan::testing::shared_test_token().find(inkan::hsm::ObjectClass::PrivateKey, tsa().a.key_id);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->sensitive, true);
    EXPECT_EQ(info->extractable, false);
    EXPECT_EQ(info->never_extractable, true);
}

std::string config_error(std::vector<tsp::Identity> ids, const inkan::Clock& clock) {
    try {
        tsp::Authority a{std::move(ids), tsa().serials, clock};
    } catch (const inkan::Error& e) {
        EXPECT_EQ(e.code(), Errc::InvalidConfig) << e.what();
        return e.what();
    }
    return {};
}

TEST(TsaAuthority, RefusesACertificateWithoutTheCriticalTimeStampingEku) {
    // A certificate with id-kp-timeStamping, but not critical (RFC 3161 §2.3 requires critical).
    auto leaf = test_pki().issue(KeySpec::EcP256, "tsa-noncritical");
    inkan::pki::CertificateTemplate tmpl;
    tmpl.serial = inkan::pki::random_serial();
    tmpl.issuer_der = test_pki().ca->certificate().subject_der();
    tmpl.subject = inkan::pki::Name{}.common_name("non-critical EKU");
    tmpl.validity = inkan::pki::Validity::starting(test_pki().clock.now(), std::chrono::hours{24 * 30});
    tmpl.spki_der = leaf.signer->public_key().spki_der();
    tmpl.extensions.extended_key_usage = {std::string{inkan::pki::eku::kTimeStamping}};
    tmpl.extensions.extended_key_usage_critical = false;
    const auto cert = inkan::pki::sign_certificate(
        tmpl, *test_pki().root_signer, inkan::sign::default_algorithm(test_pki().root_signer->public_key()));
    leaf.chain.front() = cert.der();
    const std::string message = config_error({Tsa::identity("bad", kPolicyA, leaf, true)}, test_pki().clock);
    EXPECT_TRUE(contains(message, "not critical")) << message;

    inkan::pki::IssueOptions tls_options;
    tls_options.dns_names = {"localhost"};
    auto tls = test_pki().issue(KeySpec::EcP256, "tsa-tls", "tls", tls_options);
    const std::string tls_message =
        config_error({Tsa::identity("tls", kPolicyA, tls, true)}, test_pki().clock);
    EXPECT_TRUE(contains(tls_message, "extendedKeyUsage")) << tls_message;
}

TEST(TsaAuthority, RefusesAnExpiredCertificate) {
    inkan::pki::IssueOptions short_lived;
    short_lived.validity_days = 1;
    auto leaf = test_pki().issue(KeySpec::EcP256, "tsa-short", "tsa", short_lived);
    inkan::ManualClock later{test_pki().clock.now() + std::chrono::hours{72}};
    const std::string message = config_error({Tsa::identity("old", kPolicyA, leaf, true)}, later);
    EXPECT_TRUE(contains(message, "expired")) << message;
}

TEST(TsaAuthority, StampThrowsTheErrcOfEachRejection) {
    tsp::TimeStampReq req;
    req.imprint = tsp::make_imprint(DigestAlgorithm::Sha1, Bytes(20, 1));
    try {
        (void)tsa().authority.stamp(req);
        ADD_FAILURE() << "stamped a SHA-1 imprint";
    } catch (const inkan::Error& e) {
        EXPECT_EQ(e.code(), Errc::UnsupportedAlgorithm) << e.what();
    }
    req.imprint = tsp::make_imprint(DigestAlgorithm::Sha256, Bytes(32, 1));
    req.policy = "1.2.3.4";
    try {
        (void)tsa().authority.stamp(req);
        ADD_FAILURE() << "stamped under an unknown policy";
    } catch (const inkan::Error& e) {
        EXPECT_EQ(e.code(), Errc::InvalidRequest) << e.what();
    }
}

}  // namespace

namespace {

TEST(TsaAuthority, ReplacedIdentitiesSignNewTokensAndABadReplacementChangesNothing) {
    // An authority of its own (the shared one serves the other tests), first with key a.
    Tsa& t = tsa();
    TempDir store_dir;
    inkan::storage::SqliteTsaSerialStore store{store_dir / "tsa.db"};
    tsp::Authority authority{{Tsa::identity("a", kPolicyA, t.a, true)}, store, test_pki().clock};
    const tsp::Identity& before = authority.default_identity();

    // A certificate for another key than the identity's: refused, key a still signs.
    tsp::Identity mixed = Tsa::identity("a", kPolicyA, t.b, true);
    mixed.chain = t.a.chain;
    try {
        authority.replace_identities({mixed});
        ADD_FAILURE() << "a certificate for another key was accepted";
    } catch (const inkan::Error& e) {
        EXPECT_EQ(e.code(), Errc::InvalidConfig) << e.what();
    }
    TempDir d;
    const Bytes old_reply = authority.respond(openssl_query(d, "before", {"-sha256"}));
    const auto old_ok = openssl_verify(d, old_reply, "before", t.a.chain);
    EXPECT_EQ(old_ok.exit_code, 0) << old_ok.out << old_ok.err;

    // Renewed: key b signs; the token verifies with b's certificate and not with a's, and the earlier
    // token still verifies with a's.
    authority.replace_identities({Tsa::identity("renewed", kPolicyA, t.b, true)});
    const Bytes new_reply = authority.respond(openssl_query(d, "after", {"-sha256"}));
    const auto new_ok = openssl_verify(d, new_reply, "after", t.b.chain);
    EXPECT_EQ(new_ok.exit_code, 0) << new_ok.out << new_ok.err;
    EXPECT_NE(openssl_verify(d, new_reply, "after", t.a.chain).exit_code, 0) << "signed by the old key";
    EXPECT_EQ(openssl_verify(d, old_reply, "before", t.a.chain).exit_code, 0);
    EXPECT_EQ(authority.default_identity().name, "renewed");
    EXPECT_EQ(before.name, "a") << "a reference taken before the replacement stays valid";
}

}  // namespace
