// The CAdES half of issue 15 that validator_test.cpp does not cover: counter-signatures made by Bouncy Castle
// (tests/tools/cades/MakeCades.java), CAdES-X-L validation data in certificate-values / revocation-values,
// archive-time-stamp v2 whose imprint Bouncy Castle computed, content time-stamps and their order, and past
// signature validation: a TSA and a signer certificate that expired after a later archive time-stamp proved
// the signature (EN 319 102-1 §5.5, §5.6.2.4). The expiry cases run in a PKI of their own whose clock the
// test sets (certificates issued four years ago), with an OCSP responder and a TSA on that clock.

#include <inkan/validation/validator.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/ades/cades.h>
#include <inkan/ades/time_stamper.h>
#include <inkan/cms/signed_data.h>
#include <inkan/core/clock.h>
#include <inkan/core/encoding.h>
#include <inkan/crypto/der.h>
#include <inkan/crypto/digest.h>
#include <inkan/pki/ca.h>
#include <inkan/pki/certificate.h>
#include <inkan/pki/csr.h>
#include <inkan/pki/revocation.h>
#include <inkan/sign/signer.h>
#include <inkan/storage/sqlite_ca_store.h>
#include <inkan/testing/test_pki.h>
#include <inkan/testing/tiny_http.h>
#include <inkan/tsp/authority.h>

#include "fixture.h"
#include "test_support.h"

namespace inkan::validation {
namespace {

using test::indication;
using test::show;

namespace fs = std::filesystem;
using ades::Level;
using namespace std::chrono_literals;
using testing::read_file;
using testing::run;
using testing::write_file;

// The OIDs, written out here rather than taken from the validator.
constexpr const char* kCounterSignatureOid = "1.2.840.113549.1.9.6";
constexpr const char* kContentTimeStampOid = "1.2.840.113549.1.9.16.2.20";
constexpr const char* kCompleteCertificateRefsOid = "1.2.840.113549.1.9.16.2.21";
constexpr const char* kCompleteRevocationRefsOid = "1.2.840.113549.1.9.16.2.22";
constexpr const char* kCertificateValuesOid = "1.2.840.113549.1.9.16.2.23";
constexpr const char* kRevocationValuesOid = "1.2.840.113549.1.9.16.2.24";
constexpr const char* kArchiveTimeStampV2Oid = "1.2.840.113549.1.9.16.2.48";

const Bytes kContent = to_bytes(std::string_view{"counter-signed, archived, time-stamped: issue 15\n"});

Bytes sha256(ByteView data) {
    return crypto::digest(crypto::DigestAlgorithm::Sha256, data);
}

std::size_t find(const Bytes& hay, const Bytes& needle) {
    const auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end());
    EXPECT_NE(it, hay.end());
    return static_cast<std::size_t>(it - hay.begin());
}

// ---- the ades fixture's world (its root, TSA and OCSP responder) ----

Bytes world_root() {
    return pki::Certificate::from_pem(to_string(read_file(ades::testkit::world().root_pem))).der();
}

pki::RevocationFetcher& world_fetcher() {
    static pki::RevocationFetcher f;
    return f;
}

Options world_options(bool online) {
    Options o;
    o.trust_anchors = {world_root()};
    if (online) o.revocation_fetch = revocation_through(world_fetcher());
    return o;
}

/// scripts/make-cades (Bouncy Castle) with `args`; returns its standard output.
std::string make_cades(const std::vector<std::string>& args) {
    std::vector<std::string> argv{std::string{INKAN_SOURCE_DIR} + "/scripts/make-cades"};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = run(argv);
    EXPECT_EQ(r.exit_code, 0) << testing::describe(r);
    return r.out;
}

Bytes inkan_cades(Level level) {
    ades::CadesOptions o;
    o.level = level;
    o.time_stamper = ades::testkit::world().stamper.get();
    o.revocation = &world_fetcher();
    return ades::sign_cades(ades::CadesContent::enveloping(kContent), *ades::testkit::world().rsa, o);
}

/// The BasicOCSPResponse inside a DER OCSPResponse (RFC 6960 §4.2.1 responseBytes.response).
Bytes basic_of(const Bytes& ocsp_response) {
    der::Reader top{ocsp_response};
    der::Reader resp = top.sequence();
    (void)resp.read_enumerated();
    der::Reader bytes = resp.context(0);
    der::Reader rb = bytes.sequence();
    (void)rb.read_oid();
    return rb.read_octet_string();
}

// ---- counter-signatures ----

TEST(CadesCounterSignature, BouncyCastleCounterSignaturesAreJudgedEachAgainstTheSignatureTheyCounterSign) {
    const auto& w = ades::testkit::world();
    testing::TempDir dir{"inkan-validation-cades"};
    write_file(dir / "in.p7s", inkan_cades(Level::BB));
    (void)make_cades({"countersign", "--key", w.soft_key_pem.string(), "--cert", w.soft_cert_pem.string(),
                      "--nested", (dir / "in.p7s").string(), (dir / "out.p7s").string()});
    const Bytes cms = read_file(dir / "out.p7s");

    const DocumentReport d = validate_cms(cms, std::nullopt, world_options(true));
    ASSERT_FALSE(d.error) << show(d);
    ASSERT_EQ(d.signatures.size(), 3u) << show(d);
    EXPECT_EQ(d.signatures[0].id, "S0");
    EXPECT_FALSE(d.signatures[0].counter_signature_of.has_value()) << show(d);
    EXPECT_EQ(d.signatures[1].id, "S0.C0");
    EXPECT_EQ(d.signatures[1].counter_signature_of.value_or("null"), "S0") << show(d);
    EXPECT_EQ(d.signatures[2].id, "S0.C0.C0");
    EXPECT_EQ(d.signatures[2].counter_signature_of.value_or("null"), "S0.C0") << show(d);
    for (const auto& s : d.signatures) {
        EXPECT_EQ(indication(s), "TOTAL-PASSED") << s.id << ": " << show(d);
        EXPECT_TRUE(s.intact && s.crypto_valid && s.format_ok) << s.id << ": " << show(d);
        EXPECT_EQ(s.revocation, "good") << s.id;
    }
    EXPECT_NE(d.signatures[1].signer.find("Jiro Suzuki"), std::string::npos) << show(d);
    EXPECT_TRUE(d.all_passed()) << show(d);
    // The JSON contract names the countersigned signature.
    const auto j = nlohmann::json::parse(to_json({d}));
    EXPECT_EQ(j["documents"][0]["signatures"][1]["counter_signature_of"], "S0") << show(d);
    EXPECT_TRUE(j["documents"][0]["signatures"][0]["counter_signature_of"].is_null()) << show(d);
    // openssl still verifies the countersigned signature (it does not read counter-signatures).
    EXPECT_EQ(ades::testkit::openssl_cms_verify(cms, nullptr).exit_code, 0);

    // One byte of the first counter-signature's value flipped: it fails on its own, the signature it
    // countersigns is untouched, and the nested one, whose message-digest covers that value, no longer
    // matches.
    const cms::SignedData sd = cms::parse(cms);
    const Bytes* c0 = sd.signer_infos[0].unsigned_attribute(kCounterSignatureOid);
    ASSERT_NE(c0, nullptr);
    const Bytes c0_value = cms::parse_signer_info(*c0).signature;
    Bytes tampered = cms;
    tampered[find(tampered, c0_value) + c0_value.size() / 2] ^= 0x01;
    const DocumentReport t = validate_cms(tampered, std::nullopt, world_options(true));
    ASSERT_EQ(t.signatures.size(), 3u) << show(t);
    EXPECT_EQ(indication(t.signatures[0]), "TOTAL-PASSED") << show(t);
    EXPECT_EQ(indication(t.signatures[1]), "TOTAL-FAILED/SIG_CRYPTO_FAILURE") << show(t);
    EXPECT_EQ(indication(t.signatures[2]), "TOTAL-FAILED/HASH_FAILURE") << show(t);
    EXPECT_FALSE(t.all_passed());
}

TEST(CadesCounterSignature, CounterSignatureOnAnOpensslSignatureOfflineWithoutStatusIsTryLater) {
    const auto& w = ades::testkit::world();
    testing::TempDir dir{"inkan-validation-cades"};
    write_file(dir / "content.txt", kContent);
    const auto r = run({"openssl", "cms", "-sign", "-binary", "-nodetach", "-in",
                        (dir / "content.txt").string(), "-signer", w.soft_cert_pem.string(), "-inkey",
                        w.soft_key_pem.string(), "-outform", "DER", "-out", (dir / "in.p7s").string()});
    ASSERT_EQ(r.exit_code, 0) << testing::describe(r);
    (void)make_cades({"countersign", "--key", w.soft_key_pem.string(), "--cert", w.soft_cert_pem.string(),
                      (dir / "in.p7s").string(), (dir / "out.p7s").string()});
    const Bytes cms = read_file(dir / "out.p7s");
    const DocumentReport offline = validate_cms(cms, std::nullopt, world_options(false));
    ASSERT_EQ(offline.signatures.size(), 2u) << show(offline);
    EXPECT_EQ(indication(offline.signatures[1]), "INDETERMINATE/TRY_LATER") << show(offline);
    const DocumentReport online = validate_cms(cms, std::nullopt, world_options(true));
    ASSERT_EQ(online.signatures.size(), 2u) << show(online);
    EXPECT_TRUE(online.all_passed()) << show(online);
}

// ---- CAdES-X-L: certificate-values and revocation-values ----

TEST(CadesLongTermAttributes, CertificateAndRevocationValuesAreTheValidationData) {
    const auto& w = ades::testkit::world();
    const std::vector<Bytes> chain = w.ec->certificate_chain();  // signer, root
    ASSERT_EQ(chain.size(), 2u);
    // A B-T whose SignedData carries no certificate at all: the signer's comes only from
    // certificate-values.
    cms::SignedDataSpec spec;
    spec.content = kContent;
    spec.algorithm = sign::default_algorithm(w.ec->public_key());
    spec.signer_certificate = chain[0];
    spec.signed_attributes = {cms::signing_time_attribute(std::chrono::system_clock::now()),
                              cms::signing_certificate_v2_attribute(chain[0])};
    Bytes bt = cms::sign(spec, *w.ec);
    const Bytes token =
        w.stamper->stamp(crypto::DigestAlgorithm::Sha256, sha256(cms::parse(bt).signer_infos[0].signature));
    bt = cms::add_unsigned_attribute(
        bt, 0, cms::Attribute{std::string{cms::oid::kSignatureTimeStampToken}, {token}});

    const auto leaf = pki::Certificate::from_der(chain[0]);
    const auto root = pki::Certificate::from_der(chain[1]);
    const cms::SignedData tsd = cms::parse(token);
    const auto tsa = pki::Certificate::from_der(*cms::find_signer_certificate(tsd, 0));
    // The signer's status as an OCSP response (ocspVals), the TSA's as a CRL (crlVals).
    const Bytes ocsp = world_fetcher().fetch(leaf, root).ocsp_response;
    ASSERT_FALSE(ocsp.empty());
    pki::RevocationOptions crl_only;
    crl_only.use_ocsp = false;
    pki::RevocationFetcher crl_fetcher{crl_only};
    const Bytes crl = crl_fetcher.fetch(tsa, root).crl;
    ASSERT_FALSE(crl.empty());

    der::Writer cv;
    cv.sequence([&](der::Writer& s) {
        s.raw(chain[0]);
        s.raw(chain[1]);
    });
    const Bytes cert_values = cv.take();
    const auto revocation_values = [&](bool with_crl) {
        der::Writer rv;
        rv.sequence([&](der::Writer& s) {
            if (with_crl)
                s.context(0, [&](der::Writer& c) { c.sequence([&](der::Writer& l) { l.raw(crl); }); });
            s.context(1, [&](der::Writer& c) { c.sequence([&](der::Writer& l) { l.raw(basic_of(ocsp)); }); });
        });
        return rv.take();
    };
    // CompleteCertificateRefs / CompleteRevocationRefs (SEQUENCE OF): only references, no data; they must
    // not disturb anything.
    const Bytes empty_sequence{0x30, 0x00};
    Bytes xl = cms::add_unsigned_attribute(bt, 0, {kCompleteCertificateRefsOid, {empty_sequence}});
    xl = cms::add_unsigned_attribute(xl, 0, {kCompleteRevocationRefsOid, {empty_sequence}});
    xl = cms::add_unsigned_attribute(xl, 0, {kCertificateValuesOid, {cert_values}});
    const Bytes partial =
        cms::add_unsigned_attribute(xl, 0, {kRevocationValuesOid, {revocation_values(false)}});
    xl = cms::add_unsigned_attribute(xl, 0, {kRevocationValuesOid, {revocation_values(true)}});

    const Options offline = world_options(false);
    const DocumentReport none = validate_cms(bt, std::nullopt, offline);
    ASSERT_EQ(none.signatures.size(), 1u) << show(none);
    EXPECT_EQ(indication(none.signatures[0]), "INDETERMINATE/NO_SIGNING_CERTIFICATE_FOUND") << show(none);

    const DocumentReport full = validate_cms(xl, std::nullopt, offline);
    ASSERT_EQ(full.signatures.size(), 1u) << show(full);
    const auto& s = full.signatures[0];
    EXPECT_EQ(indication(s), "TOTAL-PASSED") << show(full);
    EXPECT_EQ(name(s.level).value_or("null"), "B-LT") << show(full);
    EXPECT_EQ(s.revocation, "good") << show(full);
    ASSERT_EQ(s.timestamps.size(), 1u) << show(full);
    EXPECT_EQ(indication(s.timestamps[0]), "TOTAL-PASSED") << show(full);

    // Without the TSA's CRL the time-stamp has no status offline: no proof of existence, so not B-T.
    const DocumentReport half = validate_cms(partial, std::nullopt, offline);
    ASSERT_EQ(half.signatures.size(), 1u) << show(half);
    EXPECT_EQ(indication(half.signatures[0].timestamps.at(0)), "INDETERMINATE/TRY_LATER") << show(half);
    EXPECT_EQ(name(half.signatures[0].level).value_or("null"), "B-B") << show(half);

    // openssl verifies the signature given the signer's certificate, and the embedded data on its own.
    testing::TempDir dir{"inkan-validation-cades"};
    write_file(dir / "xl.p7s", xl);
    write_file(dir / "leaf.pem", std::string_view{leaf.pem()});
    const auto v = run({"openssl", "cms", "-verify", "-inform", "DER", "-in", (dir / "xl.p7s").string(),
                        "-binary", "-certfile", (dir / "leaf.pem").string(), "-CAfile", w.root_pem.string(),
                        "-purpose", "any", "-out", (dir / "out.bin").string()});
    EXPECT_EQ(v.exit_code, 0) << testing::describe(v);
    std::string seen;
    EXPECT_TRUE(ades::testkit::ocsp_says({ocsp}, chain[0], "good", seen)) << seen;
    write_file(dir / "tsa.crl", crl);
    const auto c = run({"openssl", "crl", "-inform", "DER", "-in", (dir / "tsa.crl").string(), "-CAfile",
                        w.root_pem.string(), "-noout", "-verify"});
    EXPECT_NE((c.out + c.err).find("verify OK"), std::string::npos) << testing::describe(c);
}

// ---- archive-time-stamp v2 (CAdES-A) ----

TEST(CadesArchiveTimeStampV2, TokenOverTheImprintBouncyCastleComputesIsAcceptedAndAWrongOneIsNot) {
    const auto& w = ades::testkit::world();
    testing::TempDir dir{"inkan-validation-cades"};
    const Bytes blt = inkan_cades(Level::BLT);
    write_file(dir / "blt.p7s", blt);
    std::string hex = make_cades({"atsv2-hash", (dir / "blt.p7s").string()});
    hex.erase(std::remove_if(hex.begin(), hex.end(),
                             [](char ch) { return std::isspace(static_cast<unsigned char>(ch)) != 0; }),
              hex.end());
    const Bytes imprint = hex_decode(hex);
    ASSERT_EQ(imprint.size(), 32u) << hex;

    const Bytes good = cms::add_unsigned_attribute(
        blt, 0, {kArchiveTimeStampV2Oid, {w.stamper->stamp(crypto::DigestAlgorithm::Sha256, imprint)}});
    const DocumentReport d = validate_cms(good, std::nullopt, world_options(false));
    ASSERT_EQ(d.signatures.size(), 1u) << show(d);
    const auto& s = d.signatures[0];
    EXPECT_EQ(indication(s), "TOTAL-PASSED") << show(d);
    // ATS v2 is CAdES-A, not the baseline's B-LTA (EN 319 122-1 §5.5.3 names archive-time-stamp-v3).
    EXPECT_EQ(name(s.level).value_or("null"), "B-LT") << show(d);
    const auto archive = std::find_if(s.timestamps.begin(), s.timestamps.end(),
                                      [](const TimestampReport& t) { return t.kind == "archive"; });
    ASSERT_NE(archive, s.timestamps.end()) << show(d);
    EXPECT_EQ(indication(*archive), "TOTAL-PASSED") << show(d);
    EXPECT_TRUE(archive->intact && archive->crypto_valid) << show(d);

    Bytes other = imprint;
    other[0] ^= 0x01;
    const Bytes bad = cms::add_unsigned_attribute(
        blt, 0, {kArchiveTimeStampV2Oid, {w.stamper->stamp(crypto::DigestAlgorithm::Sha256, other)}});
    const DocumentReport b = validate_cms(bad, std::nullopt, world_options(false));
    ASSERT_EQ(b.signatures.size(), 1u) << show(b);
    const auto& bs = b.signatures[0];
    EXPECT_EQ(indication(bs), "TOTAL-PASSED") << show(b);  // the signature itself does not depend on it
    const auto bad_archive = std::find_if(bs.timestamps.begin(), bs.timestamps.end(),
                                          [](const TimestampReport& t) { return t.kind == "archive"; });
    ASSERT_NE(bad_archive, bs.timestamps.end()) << show(b);
    EXPECT_EQ(indication(*bad_archive), "TOTAL-FAILED/HASH_FAILURE") << show(b);
    EXPECT_TRUE(bad_archive->intact) << show(b);
    EXPECT_FALSE(bad_archive->crypto_valid) << show(b);
}

// ---- a PKI on a clock the test sets ----

class MemorySerials final : public tsp::SerialSource {
public:
    std::uint64_t reserve(std::uint64_t count) override { return m_next.fetch_add(count); }

private:
    std::atomic<std::uint64_t> m_next{1};
};

/// A root CA whose certificates were issued four years ago (clock `t0`), an OCSP responder and CRL
/// distribution point for it on 127.0.0.1, TSAs on the same clock, a revocation fetcher on that clock.
struct TimeWorld {
    TimeWorld() {
        hsm::Token& token = testing::shared_test_token();
        root_signer = std::make_unique<sign::HsmSigner>(
            token, token.generate_key_pair(hsm::KeySpec::EcP256, "time-root"));
        const pki::CaSettings settings{"time-root", "http://127.0.0.1:" + std::to_string(http.port()), {}};
        const pki::Certificate r = pki::create_root(
            settings, *root_signer,
            pki::Name{}.country("JP").organization("inkan").common_name("inkan time test root"), 3650, store,
            clock);
        root = r.der();
        std::lock_guard lock{mu};
        ca = std::make_unique<pki::BuiltinCa>(settings, *root_signer, std::vector<Bytes>{root}, store,
                                              pki::ProfileSet::defaults(), clock);
        pki::RevocationOptions o;
        o.clock = &clock;
        fetcher = std::make_unique<pki::RevocationFetcher>(o);
    }

    testing::TinyResponse answer(const testing::TinyRequest& r) {
        std::lock_guard lock{mu};
        if (!ca) return {503, "text/plain", "not ready"};
        if (r.head.rfind("GET ", 0) == 0 && r.head.find(" /crl/") != std::string::npos) {
            return {200, "application/pkix-crl", to_string(ca->crl())};
        }
        if (r.head.rfind("POST ", 0) != 0) return {404, "text/plain", "no such path"};
        return {200, "application/ocsp-response", to_string(ca->ocsp_response(to_bytes(r.body)))};
    }

    std::shared_ptr<sign::HsmSigner> issue(hsm::KeySpec spec, const std::string& cn,
                                           std::string_view profile) {
        hsm::Token& token = testing::shared_test_token();
        const Bytes key_id = token.generate_key_pair(spec, cn);
        sign::HsmSigner bare{token, key_id};
        std::lock_guard lock{mu};
        // A person certificate names a given name and surname; a TSA an organisation.
        const pki::Name subject =
            profile == "person"
                ? pki::Name{}.country("JP").given_name("Test").surname("Signer").common_name(cn)
                : pki::Name{}.country("JP").organization("inkan").common_name(cn);
        const pki::Certificate cert = ca->issue(pki::create_csr(subject, bare), profile);
        return std::make_shared<sign::HsmSigner>(token, key_id, std::vector<Bytes>{cert.der(), root});
    }

    /// A TSA (tsp::Authority on this clock) whose key and certificate are `tsa`'s.
    std::unique_ptr<tsp::Authority> authority(const std::shared_ptr<sign::HsmSigner>& tsa) {
        tsp::Identity identity;
        identity.name = "default";
        identity.policy = "1.3.6.1.4.1.99999.7.1";
        identity.chain = tsa->certificate_chain();
        identity.signer = tsa;
        identity.is_default = true;
        std::vector<tsp::Identity> identities;
        identities.push_back(std::move(identity));
        return std::make_unique<tsp::Authority>(std::move(identities), serials, clock);
    }

    Options options(TimePoint at, bool online) {
        Options o;
        o.trust_anchors = {root};
        o.validation_time = at;
        if (online) o.revocation_fetch = revocation_through(*fetcher);
        return o;
    }

    TimePoint now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    TimePoint t0 = now - std::chrono::days{4 * 365};
    ManualClock clock{t0};
    testing::TempDir dir{"inkan-validation-time"};
    storage::SqliteCaStore store{dir / "ca.db"};
    MemorySerials serials;
    std::mutex mu;
    std::unique_ptr<sign::HsmSigner> root_signer;
    std::unique_ptr<pki::BuiltinCa> ca;
    Bytes root;
    std::unique_ptr<pki::RevocationFetcher> fetcher;
    testing::TinyHttpServer http{
        [this](const testing::TinyRequest& r) { return answer(r); }};  // last: stops first
};

TEST(CadesPastValidation, ExpiredTsaAndSignerCertificatesStayValidThroughALaterArchiveTimeStamp) {
    TimeWorld w;
    // Four years ago: a signer (person: 730 days) and a TSA (1826 days) are certified, and a B-LT signature
    // is made a day later with the TSA's time-stamp and the OCSP responses of that day.
    const auto signer = w.issue(hsm::KeySpec::EcP256, "Past Signer", "person");
    const auto old_tsa = w.issue(hsm::KeySpec::EcP256, "Old TSA", "tsa");
    w.clock.set(w.t0 + std::chrono::days{1});
    const auto old_authority = w.authority(old_tsa);
    ades::AuthorityTimeStamper old_stamper{*old_authority};
    ades::CadesOptions o;
    o.level = Level::BLT;
    o.time_stamper = &old_stamper;
    o.revocation = w.fetcher.get();
    o.clock = &w.clock;
    const Bytes blt = ades::sign_cades(ades::CadesContent::enveloping(kContent), *signer, o);

    // Today: a new TSA; the signature is extended twice (the second round embeds the new TSA's own status),
    // each adding an archive-time-stamp-v3 made while the old TSA certificate was still valid.
    w.clock.set(w.now);
    const auto new_tsa = w.issue(hsm::KeySpec::EcP256, "New TSA", "tsa");
    const auto new_authority = w.authority(new_tsa);
    ades::AuthorityTimeStamper new_stamper{*new_authority};
    Bytes lta = ades::extend_cades(blt, ades::CadesExtendInput::encapsulated(), *w.fetcher, new_stamper);
    w.clock.advance(std::chrono::minutes{1});
    lta = ades::extend_cades(lta, ades::CadesExtendInput::encapsulated(), *w.fetcher, new_stamper);

    // Two years from now the signer's and the old TSA's certificates have expired, the new TSA's has not.
    const TimePoint later = w.now + std::chrono::days{2 * 365};
    const auto cert_of = [](const sign::HsmSigner& s) {
        return pki::Certificate::from_der(s.certificate_chain()[0]);
    };
    ASSERT_LT(cert_of(*signer).not_after(), w.now);
    ASSERT_LT(cert_of(*old_tsa).not_after(), later);
    ASSERT_GT(cert_of(*old_tsa).not_after(), w.now);
    ASSERT_GT(cert_of(*new_tsa).not_after(), later);

    const DocumentReport d = validate_cms(lta, std::nullopt, w.options(later, false));
    ASSERT_EQ(d.signatures.size(), 1u) << show(d);
    const auto& s = d.signatures[0];
    EXPECT_EQ(indication(s), "TOTAL-PASSED") << show(d);
    EXPECT_EQ(name(s.level).value_or("null"), "B-LTA") << show(d);
    ASSERT_EQ(s.timestamps.size(), 3u) << show(d);
    for (const auto& t : s.timestamps) {
        EXPECT_EQ(indication(t), "TOTAL-PASSED") << t.kind << ": " << show(d);
    }
    EXPECT_EQ(s.timestamps[0].kind, "signature");
    EXPECT_NE(s.timestamps[0].tsa.find("Old TSA"), std::string::npos) << show(d);
    ASSERT_TRUE(s.best_signature_time.has_value());
    EXPECT_EQ(*s.best_signature_time, *s.timestamps[0].time) << show(d);

    // Without the archive time-stamps nothing proves the old time-stamp once its TSA certificate expired.
    const DocumentReport without = validate_cms(blt, std::nullopt, w.options(later, false));
    ASSERT_EQ(without.signatures.size(), 1u) << show(without);
    EXPECT_NE(without.signatures[0].verdict.indication, Indication::TotalPassed) << show(without);
    EXPECT_EQ(indication(without.signatures[0]), "INDETERMINATE/OUT_OF_BOUNDS_NO_POE") << show(without);
    EXPECT_NE(indication(without.signatures[0].timestamps.at(0)), "TOTAL-PASSED") << show(without);

    // Today the B-LT alone passes although the signer's certificate expired two years ago: its
    // signature-time-stamp (TSA still valid) proves the signature existed while it was valid.
    const DocumentReport today = validate_cms(blt, std::nullopt, w.options(w.now, false));
    ASSERT_EQ(today.signatures.size(), 1u) << show(today);
    EXPECT_EQ(indication(today.signatures[0]), "TOTAL-PASSED") << show(today);
    // ... and a B-B of the same signer (no proof of existence) does not.
    ades::CadesOptions bb;
    bb.level = Level::BB;
    w.clock.set(w.t0 + std::chrono::days{1});
    bb.clock = &w.clock;
    const Bytes plain = ades::sign_cades(ades::CadesContent::enveloping(kContent), *signer, bb);
    w.clock.set(w.now);
    const DocumentReport expired = validate_cms(plain, std::nullopt, w.options(w.now, true));
    ASSERT_EQ(expired.signatures.size(), 1u) << show(expired);
    EXPECT_EQ(indication(expired.signatures[0]), "INDETERMINATE/OUT_OF_BOUNDS_NO_POE") << show(expired);

    // openssl agrees the signature and its chain were valid when it was made.
    testing::TempDir dir{"inkan-validation-time"};
    write_file(dir / "lta.p7s", lta);
    write_file(dir / "root.pem", std::string_view{pki::Certificate::from_der(w.root).pem()});
    const auto v = run({"openssl", "cms", "-verify", "-inform", "DER", "-in", (dir / "lta.p7s").string(),
                        "-binary", "-CAfile", (dir / "root.pem").string(), "-purpose", "any", "-attime",
                        std::to_string(std::chrono::system_clock::to_time_t(w.t0 + std::chrono::days{1})),
                        "-out", (dir / "out.bin").string()});
    EXPECT_EQ(v.exit_code, 0) << testing::describe(v);
}

/// A CAdES over kContent with a content-time-stamp over `stamped` taken at `content_at` and a
/// signature-time-stamp at `signed_at`, both from `authority` on `w`'s clock.
Bytes with_content_time_stamp(TimeWorld& w, sign::HsmSigner& signer, ades::TimeStamper& stamper,
                              TimePoint content_at, TimePoint signed_at, ByteView stamped) {
    w.clock.set(content_at);
    const Bytes content_token = stamper.stamp(crypto::DigestAlgorithm::Sha256, sha256(stamped));
    w.clock.set(signed_at);
    const std::vector<Bytes> chain = signer.certificate_chain();
    cms::SignedDataSpec spec;
    spec.content = kContent;
    spec.algorithm = sign::default_algorithm(signer.public_key());
    spec.signer_certificate = chain[0];
    spec.certificates = chain;
    spec.signed_attributes = {cms::signing_time_attribute(signed_at),
                              cms::signing_certificate_v2_attribute(chain[0]),
                              cms::Attribute{kContentTimeStampOid, {content_token}}};
    Bytes cms = cms::sign(spec, signer);
    const Bytes token =
        stamper.stamp(crypto::DigestAlgorithm::Sha256, sha256(cms::parse(cms).signer_infos[0].signature));
    return cms::add_unsigned_attribute(
        cms, 0, cms::Attribute{std::string{cms::oid::kSignatureTimeStampToken}, {token}});
}

TEST(CadesContentTimeStamp, IsJudgedAndReportedAndOneAfterTheSignatureTimeStampIsAnOrderFailure) {
    TimeWorld w;
    const auto signer = w.issue(hsm::KeySpec::EcP256, "Content Signer", "person");
    const auto tsa = w.issue(hsm::KeySpec::EcP256, "Content TSA", "tsa");
    const auto authority = w.authority(tsa);
    ades::AuthorityTimeStamper stamper{*authority};
    const TimePoint signed_at = w.t0 + std::chrono::days{1};
    const TimePoint check_at = w.t0 + std::chrono::days{3};

    const Bytes ordered = with_content_time_stamp(w, *signer, stamper, signed_at - 1h, signed_at, kContent);
    w.clock.set(check_at);
    const DocumentReport d = validate_cms(ordered, std::nullopt, w.options(check_at, true));
    ASSERT_EQ(d.signatures.size(), 1u) << show(d);
    const auto& s = d.signatures[0];
    EXPECT_EQ(indication(s), "TOTAL-PASSED") << show(d);
    ASSERT_EQ(s.timestamps.size(), 2u) << show(d);
    EXPECT_EQ(s.timestamps[0].kind, "content") << show(d);
    EXPECT_EQ(indication(s.timestamps[0]), "TOTAL-PASSED") << show(d);
    EXPECT_EQ(s.timestamps[0].time.value_or(TimePoint{}), signed_at - 1h) << show(d);
    EXPECT_EQ(s.timestamps[1].kind, "signature") << show(d);
    const auto j = nlohmann::json::parse(to_json({d}));
    EXPECT_EQ(j["documents"][0]["signatures"][0]["timestamps"][0]["kind"], "content") << show(d);

    // The content time-stamped an hour after the signature-time-stamp: the order is impossible.
    const Bytes late = with_content_time_stamp(w, *signer, stamper, signed_at + 1h, signed_at, kContent);
    w.clock.set(check_at);
    const DocumentReport l = validate_cms(late, std::nullopt, w.options(check_at, true));
    ASSERT_EQ(l.signatures.size(), 1u) << show(l);
    EXPECT_EQ(indication(l.signatures[0]), "INDETERMINATE/TIMESTAMP_ORDER_FAILURE") << show(l);

    // A content time-stamp over other bytes: its imprint fails, and the report says so.
    const Bytes other = to_bytes(std::string_view{"something else"});
    const Bytes wrong = with_content_time_stamp(w, *signer, stamper, signed_at - 1h, signed_at, other);
    w.clock.set(check_at);
    const DocumentReport x = validate_cms(wrong, std::nullopt, w.options(check_at, true));
    ASSERT_EQ(x.signatures.size(), 1u) << show(x);
    ASSERT_FALSE(x.signatures[0].timestamps.empty()) << show(x);
    EXPECT_EQ(x.signatures[0].timestamps[0].kind, "content");
    EXPECT_EQ(indication(x.signatures[0].timestamps[0]), "TOTAL-FAILED/HASH_FAILURE") << show(x);
    const auto& errors = x.signatures[0].errors;
    EXPECT_TRUE(std::any_of(errors.begin(), errors.end(), [](const std::string& e) {
        return e.find("content-time-stamp") != std::string::npos;
    })) << show(x);

    // openssl ts agrees on the first content time-stamp: its imprint is over the content.
    testing::TempDir dir{"inkan-validation-time"};
    const cms::SignedData sd = cms::parse(ordered);
    write_file(dir / "token.der", *sd.signer_infos[0].signed_attribute(kContentTimeStampOid));
    write_file(dir / "content.bin", kContent);
    write_file(dir / "root.pem", std::string_view{pki::Certificate::from_der(w.root).pem()});
    const auto v = run({"openssl", "ts", "-verify", "-data", (dir / "content.bin").string(), "-in",
                        (dir / "token.der").string(), "-token_in", "-CAfile", (dir / "root.pem").string(),
                        "-attime", std::to_string(std::chrono::system_clock::to_time_t(check_at))});
    EXPECT_NE(v.out.find("Verification: OK"), std::string::npos) << testing::describe(v);
}

}  // namespace
}  // namespace inkan::validation
