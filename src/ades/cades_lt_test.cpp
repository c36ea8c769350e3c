// CAdES B-LT, B-LTA and extend_cades, judged from outside: openssl cms -verify (-crl_check),
// openssl ocsp -respin on every embedded OCSP response, Bouncy Castle (scripts/verify-cades: the
// signer, every token, the ATSv3 imprint recomputed from BC's ASN.1 objects) and openssl ts -verify
// -digest on that imprint.

#include <algorithm>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include <inkan/ades/cades.h>
#include <inkan/ades/time_stamper.h>
#include <inkan/cms/signed_data.h>
#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/crypto/der.h>
#include <inkan/crypto/digest.h>
#include <inkan/pki/certificate.h>
#include <inkan/testing/tiny_http.h>

#include "fixture.h"

namespace inkan::ades {
namespace {

using testing::run;

const Bytes kContent = to_bytes(std::string_view{"契約書 No. 7: 1,000,000 JPY\n"});
constexpr std::string_view kArchiveTimeStampV3 = "0.4.0.1733.2.4";
constexpr std::string_view kIdRiOcspResponse = "1.3.6.1.5.5.7.16.2";

CadesOptions lt_options(Level level, pki::RevocationFetcher& fetcher) {
    CadesOptions o;
    o.level = level;
    o.time_stamper = testkit::world().stamper.get();
    o.revocation = &fetcher;
    return o;
}

/// How a test gives the content: enveloping, detached from a stream, detached from a digest.
enum class Shape { Enveloping, Detached, DetachedDigest };
std::string show(Shape s) {
    return s == Shape::Enveloping ? "enveloping" : s == Shape::Detached ? "detached" : "detached_digest";
}

Bytes sign(Shape shape, sign::Signer& signer, const CadesOptions& o) {
    switch (shape) {
        case Shape::Enveloping:
            return sign_cades(CadesContent::enveloping(kContent), signer, o);
        case Shape::Detached: {
            std::istringstream in{to_string(kContent)};
            return sign_cades(CadesContent::detached(in), signer, o);
        }
        case Shape::DetachedDigest:
            return sign_cades(
                CadesContent::detached_digest(crypto::DigestAlgorithm::Sha256,
                                              crypto::digest(crypto::DigestAlgorithm::Sha256, kContent)),
                signer, o);
    }
    return {};
}

Bytes extend(Shape shape, ByteView cms, pki::RevocationFetcher& fetcher, TimeStamper& stamper,
             const CadesExtendOptions& o = {}) {
    switch (shape) {
        case Shape::Enveloping:
            return extend_cades(cms, CadesExtendInput::encapsulated(), fetcher, stamper, o);
        case Shape::Detached: {
            std::istringstream in{to_string(kContent)};
            return extend_cades(cms, CadesExtendInput::detached(in), fetcher, stamper, o);
        }
        case Shape::DetachedDigest:
            return extend_cades(
                cms,
                CadesExtendInput::detached_digest(crypto::DigestAlgorithm::Sha256,
                                                  crypto::digest(crypto::DigestAlgorithm::Sha256, kContent)),
                fetcher, stamper, o);
    }
    return {};
}

const Bytes* content_for(Shape shape) {
    return shape == Shape::Enveloping ? nullptr : &kContent;
}

/// The OCSPResponses in SignedData.crls (other { id-ri-ocsp-response, OCSPResponse }, RFC 5940).
std::vector<Bytes> embedded_ocsp(const cms::SignedData& sd) {
    std::vector<Bytes> out;
    for (const auto& c : sd.crls) {
        if (c.empty() || c[0] != 0xA1) continue;
        der::Reader r{c};
        der::Reader other = r.context(1);
        EXPECT_EQ(other.read_oid(), kIdRiOcspResponse);
        const auto resp = other.next();
        out.emplace_back(resp.whole.begin(), resp.whole.end());
    }
    return out;
}

/// The signer chain and the fixture TSA's chain.
std::vector<Bytes> all_chains(const std::vector<Bytes>& signer_chain) {
    auto certs = signer_chain;
    for (const auto& c : testkit::world().authority->identities().front().chain)
        certs.push_back(c);
    return certs;
}

/// Every certificate of `certs` is in SignedData.certificates, and every non-root one has an
/// embedded OCSP response that openssl verifies and reads as `expected` (default "good").
void expect_covered(const Bytes& der, const std::vector<Bytes>& certs,
                    const std::map<Bytes, std::string>& expected = {}) {
    const cms::SignedData sd = cms::parse(der);
    const auto ocsps = embedded_ocsp(sd);
    for (const auto& cert : certs) {
        const pki::Certificate c = pki::Certificate::from_der(cert);
        EXPECT_NE(std::find(sd.certificates.begin(), sd.certificates.end(), cert), sd.certificates.end())
            << c.subject() << " is not in SignedData.certificates";
        if (c.subject() == c.issuer()) continue;
        const auto want = expected.count(cert) ? expected.at(cert) : std::string{"good"};
        std::string seen;
        const bool found = testkit::ocsp_says(ocsps, cert, want, seen);
        EXPECT_TRUE(found) << "no embedded OCSP response says " << want << " for " << c.subject() << "\n"
                           << seen;
    }
}

/// EN 319 122-1 §5.5.1: B-LT never writes the TS 101 733 certificate-values / revocation-values.
void expect_no_old_forms(const cms::SignedData& sd) {
    for (const auto& si : sd.signer_infos) {
        for (const auto& a : si.unsigned_attributes) {
            EXPECT_NE(a.type, "1.2.840.113549.1.9.16.2.23") << "certificate-values written";
            EXPECT_NE(a.type, "1.2.840.113549.1.9.16.2.24") << "revocation-values written";
        }
    }
}

/// The BC judge's output; expects it to pass.
std::string bc_judge(const Bytes& der, const Bytes* content) {
    const auto r = testkit::verify_cades(der, content);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("\"failures\":0"), std::string::npos) << r.out << r.err;
    return r.out;
}

/// Same, and BC found an embedded OCSP response or CRL for every certificate of the signer and
/// TSA chains (B-LT complete).
std::string bc_judge_lt(const Bytes& der, const Bytes* content) {
    const auto out = bc_judge(der, content);
    EXPECT_NE(out.find("\"lt_missing\":0,"), std::string::npos) << out;
    return out;
}

/// The imprints BC recomputed for the archive-time-stamp-v3 lines, in order.
std::vector<std::string> archive_imprints(const std::string& bc_out) {
    std::vector<std::string> out;
    const std::regex line{
        R"re(\{[^\n]*"token":"archive-time-stamp-v3"[^\n]*"imprint":"([0-9a-f]+)"[^\n]*"ok":true)re"};
    for (auto it = std::sregex_iterator(bc_out.begin(), bc_out.end(), line); it != std::sregex_iterator();
         ++it) {
        out.push_back((*it)[1]);
    }
    return out;
}

/// The archive-time-stamp-v3 tokens of signer 0, in the order of the unsigned attributes.
std::vector<Bytes> archive_tokens(const Bytes& der) {
    std::vector<Bytes> out;
    const cms::SignedData sd = cms::parse(der);
    for (const auto& a : sd.signer_infos.at(0).unsigned_attributes) {
        if (a.type == kArchiveTimeStampV3) out.insert(out.end(), a.values.begin(), a.values.end());
    }
    return out;
}

/// `openssl ts -verify -digest HEX -in TOKEN -token_in`: the token's TSA signature and chain, and
/// its imprint equal to the one BC recomputed.
bool openssl_ts_digest_ok(const Bytes& token, const std::string& imprint_hex, std::string& seen) {
    testing::TempDir d{"inkan-ades-ts"};
    testing::write_file(d / "token.der", token);
    const auto r = run({"openssl", "ts", "-verify", "-digest", imprint_hex, "-in", (d / "token.der").string(),
                        "-token_in", "-CAfile", testkit::world().root_pem.string(), "-untrusted",
                        testkit::world().tsa_chain.string()});
    seen += r.out + r.err;
    return r.out.find("Verification: OK") != std::string::npos;
}

/// Every ATSv3 token verifies with openssl ts against one of the imprints BC recomputed (BC
/// prints them in attribute order; openssl says which token matches which).
void expect_archive_tokens_ok(const Bytes& der, const std::string& bc_out, std::size_t expected) {
    const auto tokens = archive_tokens(der);
    const auto imprints = archive_imprints(bc_out);
    ASSERT_EQ(tokens.size(), expected) << bc_out;
    ASSERT_EQ(imprints.size(), expected) << bc_out;
    for (const auto& t : tokens) {
        std::string seen;
        bool ok = false;
        for (const auto& i : imprints)
            ok = ok || openssl_ts_digest_ok(t, i, seen);
        EXPECT_TRUE(ok) << "no recomputed imprint verifies the token with openssl ts\n" << seen;
    }
}

void expect_openssl_cms_ok(const Bytes& der, Shape shape) {
    const auto v = testkit::openssl_cms_verify(der, content_for(shape));
    EXPECT_EQ(v.exit_code, 0) << show(shape) << v.out << v.err;
    EXPECT_NE(v.err.find("Verification successful"), std::string::npos) << show(shape) << v.err;
}

TEST(CadesLt, BltEmbedsCertificatesAndOcspInSignedDataForSignerAndTsaChains) {
    for (const Shape shape : {Shape::Enveloping, Shape::Detached, Shape::DetachedDigest}) {
        pki::RevocationFetcher fetcher;
        pki::ValidationData used;
        auto o = lt_options(Level::BLT, fetcher);
        o.validation_used = &used;
        const Bytes der = sign(shape, *testkit::world().ec, o);
        const cms::SignedData sd = cms::parse(der);
        EXPECT_EQ(sd.version, 5) << show(shape) << ": OCSP in crls forces version 5 (RFC 5652 §5.1)";
        EXPECT_EQ(sd.certificates.size(), 3U) << show(shape) << ": signer, root, TSA";
        EXPECT_EQ(embedded_ocsp(sd).size(), 2U) << show(shape) << ": signer and TSA";
        expect_no_old_forms(sd);
        EXPECT_EQ(archive_tokens(der).size(), 0U) << show(shape);
        expect_openssl_cms_ok(der, shape);
        const auto bc = bc_judge_lt(der, content_for(shape));
        EXPECT_NE(bc.find("\"certs\":3,\"crls\":0,\"ocsps\":2,\"signature_time_stamps\":1,\"archive_time_"
                          "stamps\":0,"
                          "\"version\":5"),
                  std::string::npos)
            << show(shape) << bc;
        expect_covered(der, all_chains(testkit::world().ec->certificate_chain()));
        // validation_used is exactly what was embedded.
        EXPECT_EQ(used.certificates.size(), 3U);
        auto embedded = embedded_ocsp(sd);
        auto fetched = used.ocsp_responses;
        std::sort(embedded.begin(), embedded.end());
        std::sort(fetched.begin(), fetched.end());
        EXPECT_EQ(fetched, embedded) << show(shape);
        EXPECT_TRUE(used.crls.empty());
        for (const auto& c : used.certificates) {
            EXPECT_NE(std::find(sd.certificates.begin(), sd.certificates.end(), c), sd.certificates.end());
        }
    }
}

TEST(CadesLt, BltWithCrlsPassesOpensslCrlCheck) {
    pki::RevocationOptions ro;
    ro.use_ocsp = false;
    pki::RevocationFetcher fetcher{ro};
    pki::ValidationData used;
    auto o = lt_options(Level::BLT, fetcher);
    o.validation_used = &used;
    std::istringstream in{to_string(kContent)};
    const Bytes der = sign_cades(CadesContent::detached(in), *testkit::world().rsa, o);
    const cms::SignedData sd = cms::parse(der);
    // The root issued both the signer and the TSA certificate: its CRL, once (each fetch may bring
    // a fresh CRL with its own thisUpdate, so there may be two versions of it).
    ASSERT_FALSE(used.crls.empty());
    for (const auto& crl : used.crls) {
        EXPECT_NE(std::find(sd.crls.begin(), sd.crls.end(), crl), sd.crls.end());
    }
    EXPECT_EQ(sd.version, 1) << "only CertificateList entries: no version bump";

    testing::TempDir d;
    testing::write_file(d / "sig.der", der);
    testing::write_file(d / "content.bin", kContent);
    const auto v =
        run({"openssl", "cms", "-verify", "-inform", "DER", "-in", (d / "sig.der").string(), "-binary",
             "-content", (d / "content.bin").string(), "-CAfile", testkit::world().root_pem.string(),
             "-purpose", "any", "-crl_check", "-out", (d / "out.bin").string()});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    EXPECT_NE(v.err.find("Verification successful"), std::string::npos) << v.err;
    const auto bc = bc_judge_lt(der, &kContent);
    EXPECT_NE(bc.find("\"crls\":" + std::to_string(used.crls.size()) + ",\"ocsps\":0"), std::string::npos)
        << bc;
}

TEST(CadesLt, BltaArchiveTimeStampV3ImprintRecomputedByBouncyCastleAndOpensslTs) {
    for (const Shape shape : {Shape::Enveloping, Shape::Detached, Shape::DetachedDigest}) {
        for (sign::Signer* signer : {static_cast<sign::Signer*>(testkit::world().rsa.get()),
                                     static_cast<sign::Signer*>(testkit::world().ec.get())}) {
            pki::RevocationFetcher fetcher;
            const Bytes der = sign(shape, *signer, lt_options(Level::BLTA, fetcher));
            expect_openssl_cms_ok(der, shape);
            const auto bc = bc_judge_lt(der, content_for(shape));
            EXPECT_NE(bc.find("\"archive_time_stamps\":1"), std::string::npos) << show(shape) << bc;
            EXPECT_NE(bc.find("\"index\":{\"certs\":3,\"crls\":2,\"values\":1}"), std::string::npos)
                << show(shape)
                << ": the index lists 3 certificates, 2 OCSP responses, the signature-time-stamp\n"
                << bc;
            expect_archive_tokens_ok(der, bc, 1);
            expect_no_old_forms(cms::parse(der));
            if (shape != Shape::Enveloping) {
                Bytes tampered = kContent;
                tampered.front() ^= 1;
                const auto r = testkit::verify_cades(der, &tampered);
                EXPECT_NE(r.exit_code, 0) << show(shape) << ": BC accepted other content\n" << r.out;
            }
        }
    }
}

TEST(CadesLt, ExtendTwiceKeepsEveryEarlierSignatureAndTimeStampValid) {
    for (const Shape shape : {Shape::Enveloping, Shape::Detached, Shape::DetachedDigest}) {
        pki::RevocationFetcher fetcher;
        CadesOptions bt;
        bt.level = Level::BT;
        bt.time_stamper = testkit::world().stamper.get();
        const Bytes b_t = sign(shape, *testkit::world().ec, bt);
        // The judge is not vacuous: at B-T the signer and TSA certificates lack revocation data.
        const auto before = testkit::verify_cades(b_t, content_for(shape));
        EXPECT_NE(before.out.find("\"lt_missing\":2,"), std::string::npos) << before.out << before.err;

        pki::ValidationData used;
        CadesExtendOptions eo;
        eo.validation_used = &used;
        const Bytes once = extend(shape, b_t, fetcher, *testkit::world().stamper, eo);
        EXPECT_EQ(used.ocsp_responses.size(), 2U) << show(shape);
        expect_openssl_cms_ok(once, shape);
        expect_archive_tokens_ok(once, bc_judge_lt(once, content_for(shape)), 1);

        const Bytes twice = extend(shape, once, fetcher, *testkit::world().stamper);
        expect_openssl_cms_ok(twice, shape);
        const auto bc = bc_judge_lt(twice, content_for(shape));
        EXPECT_NE(bc.find("\"signature_time_stamps\":1,\"archive_time_stamps\":2"), std::string::npos)
            << show(shape) << bc;
        expect_archive_tokens_ok(twice, bc, 2);
        expect_covered(twice, all_chains(testkit::world().ec->certificate_chain()));
        // The first round's token is carried over byte for byte.
        const auto first = archive_tokens(once).front();
        const auto now = archive_tokens(twice);
        EXPECT_NE(std::find(now.begin(), now.end(), first), now.end()) << show(shape);
        // Signed attributes and the signature value are untouched.
        EXPECT_EQ(cms::parse(twice).signer_infos.at(0).signed_attributes_der,
                  cms::parse(b_t).signer_infos.at(0).signed_attributes_der);
        EXPECT_EQ(cms::parse(twice).signer_infos.at(0).signature,
                  cms::parse(b_t).signer_infos.at(0).signature);
    }
}

TEST(CadesLt, ExtendOfABltaMadeBySignCadesAddsASecondArchiveTimeStamp) {
    pki::RevocationFetcher fetcher;
    const Bytes blta = sign(Shape::Enveloping, *testkit::world().rsa, lt_options(Level::BLTA, fetcher));
    const Bytes x = extend(Shape::Enveloping, blta, fetcher, *testkit::world().stamper);
    expect_openssl_cms_ok(x, Shape::Enveloping);
    expect_archive_tokens_ok(x, bc_judge_lt(x, nullptr), 2);
}

TEST(CadesLt, RevokedSignerIsRefusedByDefaultOrEmbeddedAsRevoked) {
    pki::RevocationFetcher fetcher;
    auto o = lt_options(Level::BLT, fetcher);
    try {
        (void)sign(Shape::Enveloping, *testkit::world().revoked, o);
        FAIL() << "B-LT with a revoked signer certificate";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::Conflict) << e.what();
        EXPECT_NE(std::string{e.what()}.find("Revoked Signer"), std::string::npos) << e.what();
    }
    o.refuse_revoked = false;
    const Bytes der = sign(Shape::Enveloping, *testkit::world().revoked, o);
    const auto signer = testkit::world().revoked->certificate_chain().front();
    expect_covered(der, all_chains(testkit::world().revoked->certificate_chain()), {{signer, "revoked"}});
    const auto bc = testkit::verify_cades(der, nullptr);
    EXPECT_NE(bc.out.find("\"cms_valid\":true,\"signing_time\":true,\"revocation\":\"revoked\""),
              std::string::npos)
        << "Bouncy Castle reads the embedded status as revoked\n"
        << bc.out;
}

TEST(CadesLt, ResponderOrTsaDownFailsWithUnavailableAndNoOutput) {
    pki::RevocationOptions ro;
    // Every request goes through a proxy nobody listens on: the responder is unreachable.
    ro.proxy = "http://127.0.0.1:" + std::to_string(testing::TinyHttpServer::closed_port());
    ro.timeout = std::chrono::milliseconds{3000};
    pki::RevocationFetcher down_fetcher{ro};
    for (const Level level : {Level::BLT, Level::BLTA}) {
        Bytes out;
        try {
            out = sign(Shape::Enveloping, *testkit::world().ec, lt_options(level, down_fetcher));
            ADD_FAILURE() << name(level) << " without revocation data";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), Errc::Unavailable) << e.what();
            EXPECT_NE(std::string{e.what()}.find("/ocsp"), std::string::npos)
                << "the URL is named: " << e.what();
        }
        EXPECT_TRUE(out.empty());
    }

    testkit::DownStamper down;
    pki::RevocationFetcher fetcher;
    CadesOptions bt;
    bt.level = Level::BT;
    bt.time_stamper = testkit::world().stamper.get();
    const Bytes b_t = sign(Shape::Enveloping, *testkit::world().ec, bt);
    try {
        (void)extend(Shape::Enveloping, b_t, fetcher, down);
        FAIL() << "extended without a TSA";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::Unavailable) << e.what();
        EXPECT_NE(std::string{e.what()}.find("http://127.0.0.1:1/tsa"), std::string::npos) << e.what();
    }
    try {
        (void)extend(Shape::Enveloping, b_t, down_fetcher, *testkit::world().stamper);
        FAIL() << "extended without revocation data";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::Unavailable) << e.what();
    }
}

TEST(CadesLt, BltaWithTheTsaDownForTheArchiveTimeStampReturnsNothing) {
    /// Answers the signature-time-stamp, then the TSA goes away.
    class OnceStamper final : public TimeStamper {
    public:
        Bytes stamp(crypto::DigestAlgorithm alg, ByteView digest) override {
            if (m_calls++ == 0) return testkit::world().stamper->stamp(alg, digest);
            throw Error{Errc::Unavailable, "tsa: http://127.0.0.1:1/tsa: connection refused"};
        }
        std::size_t token_size_hint() override { return 4096; }

    private:
        int m_calls = 0;
    } once;
    pki::RevocationFetcher fetcher;
    auto o = lt_options(Level::BLTA, fetcher);
    o.time_stamper = &once;
    pki::ValidationData used;
    o.validation_used = &used;
    Bytes out;
    try {
        out = sign(Shape::Detached, *testkit::world().ec, o);
        FAIL() << "B-LTA without an archive-time-stamp";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::Unavailable) << e.what();
        EXPECT_NE(std::string{e.what()}.find("http://127.0.0.1:1/tsa"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(out.empty());
    EXPECT_TRUE(used.certificates.empty()) << "validation_used is filled only on success";
}

/// `openssl cms -sign -cades` with a key on disk: a CAdES B-B inkan did not make.
Bytes openssl_cades(bool detached) {
    testing::TempDir d;
    testing::write_file(d / "content.bin", kContent);
    const auto& w = testkit::world();
    std::vector<std::string> argv{"openssl",
                                  "cms",
                                  "-sign",
                                  "-cades",
                                  "-binary",
                                  "-md",
                                  "sha256",
                                  "-in",
                                  (d / "content.bin").string(),
                                  "-signer",
                                  w.soft_cert_pem.string(),
                                  "-inkey",
                                  w.soft_key_pem.string(),
                                  "-certfile",
                                  w.root_pem.string(),
                                  "-outform",
                                  "DER",
                                  "-out",
                                  (d / "sig.der").string()};
    if (!detached) argv.push_back("-nodetach");
    const auto r = run(argv);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return testing::read_file(d / "sig.der");
}

TEST(CadesLt, ExtendsACadesMadeByOpensslWithAndWithoutAnExternalSignatureTimeStamp) {
    for (const Shape shape : {Shape::Enveloping, Shape::Detached}) {
        pki::RevocationFetcher fetcher;
        const Bytes b_b = openssl_cades(shape == Shape::Detached);
        // B-B straight to B-LTA (extend adds the signature-time-stamp), and a B-T whose token came
        // from the TSA before extend ever saw it.
        const Bytes b_t = add_signature_time_stamp(b_b, *testkit::world().stamper);
        for (const Bytes& input : {b_b, b_t}) {
            const Bytes x = extend(shape, input, fetcher, *testkit::world().stamper);
            expect_openssl_cms_ok(x, shape);
            const auto bc = bc_judge_lt(x, content_for(shape));
            EXPECT_NE(bc.find("Jiro Suzuki"), std::string::npos) << bc;
            EXPECT_NE(bc.find("\"signature_time_stamps\":1,\"archive_time_stamps\":1"), std::string::npos)
                << bc;
            expect_archive_tokens_ok(x, bc, 1);
            std::vector<Bytes> chain;
            for (const auto& pem : {testkit::world().soft_cert_pem, testkit::world().root_pem}) {
                chain.push_back(pki::Certificate::from_pem(to_string(testing::read_file(pem))).der());
            }
            expect_covered(x, all_chains(chain));
        }
    }
}

TEST(CadesLt, ExtendRefusesWhatItCannotArchive) {
    pki::RevocationFetcher fetcher;
    auto& stamper = *testkit::world().stamper;
    const auto expect_refused = [&](ByteView cms, const CadesExtendInput& in, Errc code,
                                    const std::string& what) {
        try {
            (void)extend_cades(cms, in, fetcher, stamper);
            ADD_FAILURE() << what << ": extended";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), code) << what << ": " << e.what();
        }
    };
    expect_refused(to_bytes(std::string_view{"not a CMS"}), CadesExtendInput::encapsulated(),
                   Errc::InvalidEncoding, "garbage");
    // A certs-only SignedData (no SignerInfo), made by openssl.
    testing::TempDir d;
    const auto r = run({"openssl", "crl2pkcs7", "-nocrl", "-certfile", testkit::world().root_pem.string(),
                        "-outform", "DER", "-out", (d / "certs.p7b").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_refused(testing::read_file(d / "certs.p7b"), CadesExtendInput::encapsulated(),
                   Errc::InvalidRequest, "no SignerInfo");

    CadesOptions bt;
    bt.level = Level::BT;
    bt.time_stamper = &stamper;
    const Bytes detached = sign(Shape::Detached, *testkit::world().ec, bt);
    expect_refused(detached, CadesExtendInput::encapsulated(), Errc::InvalidRequest,
                   "detached without content");
    std::istringstream other{"another document"};
    expect_refused(detached, CadesExtendInput::detached(other), Errc::InvalidRequest, "content not signed");
    expect_refused(detached,
                   CadesExtendInput::detached_digest(
                       crypto::DigestAlgorithm::Sha256,
                       crypto::digest(crypto::DigestAlgorithm::Sha256, to_bytes(std::string_view{"x"}))),
                   Errc::InvalidRequest, "digest not signed");
    const Bytes enveloping = sign(Shape::Enveloping, *testkit::world().ec, bt);
    std::istringstream same{to_string(kContent)};
    expect_refused(enveloping, CadesExtendInput::detached(same), Errc::InvalidRequest,
                   "content for an enveloping CMS");

    // An archive-time-stamp-v2 (EN 319 122-1 §5.5.3: new material would belong inside that token).
    // (The value is a stand-in: the refusal goes by the attribute type.)
    const Bytes with_v2 =
        cms::add_unsigned_attribute(enveloping, 0, {"1.2.840.113549.1.9.16.2.48", {Bytes{0x05, 0x00}}});
    expect_refused(with_v2, CadesExtendInput::encapsulated(), Errc::InvalidRequest,
                   "archive-time-stamp-v2 present");

    CadesOptions no_fetcher;
    no_fetcher.level = Level::BLT;
    no_fetcher.time_stamper = &stamper;
    try {
        (void)sign(Shape::Enveloping, *testkit::world().ec, no_fetcher);
        ADD_FAILURE() << "B-LT without a revocation fetcher";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::InvalidRequest) << e.what();
    }
}

}  // namespace
}  // namespace inkan::ades
