#include <inkan/ades/lt.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <regex>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include <inkan/ades/pades.h>
#include <inkan/cms/signed_data.h>
#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/pki/certificate.h>
#include <inkan/testing/tiny_http.h>

#include "fixture.h"
#include "testkit.h"

namespace inkan::ades {
namespace {

using pdf::testkit::corpus;
using testing::run;

std::string show(const std::filesystem::path& pdf, const std::string& object) {
    return run({"qpdf", "--show-object=" + object, pdf.string()}).out;
}

/// The object numbers in the catalog's DSS array `key` ("/Certs", "/OCSPs", "/CRLs"), read with qpdf.
std::vector<std::string> dss_refs(const std::filesystem::path& pdf, const std::string& key) {
    const auto trailer = show(pdf, "trailer");
    const auto at = trailer.find("/Root ") + 6;
    const auto catalog = show(pdf, trailer.substr(at, trailer.find(' ', at) - at));
    const auto dss_at = catalog.find("/DSS ");
    if (dss_at == std::string::npos) return {};
    const auto dss = show(pdf, catalog.substr(dss_at + 5, catalog.find(' ', dss_at + 5) - dss_at - 5));
    const auto k = dss.find(key + " [");
    if (k == std::string::npos) return {};
    const auto array = dss.substr(k, dss.find(']', k) - k);
    std::vector<std::string> refs;
    const std::regex ref{R"((\d+) 0 R)"};
    for (auto it = std::sregex_iterator(array.begin(), array.end(), ref); it != std::sregex_iterator();
         ++it) {
        refs.push_back((*it)[1]);
    }
    return refs;
}

/// A DSS stream's bytes, as qpdf reads them (--raw-stream-data: what the file holds).
Bytes dss_stream(const std::filesystem::path& pdf, const std::string& obj) {
    const auto r = run({"qpdf", "--show-object=" + obj, "--raw-stream-data", pdf.string()});
    return to_bytes(r.out);
}

/// Every non-root certificate of `chains` has an OCSP response in the DSS that openssl verifies and
/// reads as `expected` (checked by parsing the DSS streams extracted with qpdf).
void expect_dss_covers(const std::filesystem::path& pdf, const std::vector<Bytes>& certs,
                       const std::map<Bytes, std::string>& expected = {}) {
    std::vector<Bytes> ocsps;
    for (const auto& ref : dss_refs(pdf, "/OCSPs"))
        ocsps.push_back(dss_stream(pdf, ref));
    std::vector<Bytes> dss_certs;
    for (const auto& ref : dss_refs(pdf, "/Certs"))
        dss_certs.push_back(dss_stream(pdf, ref));
    for (const auto& cert : certs) {
        const pki::Certificate c = pki::Certificate::from_der(cert);
        EXPECT_NE(std::find(dss_certs.begin(), dss_certs.end(), cert), dss_certs.end())
            << c.subject() << " is not in /Certs";
        if (c.subject() == c.issuer()) continue;  // the trust anchor
        const auto want = expected.count(cert) ? expected.at(cert) : std::string{"good"};
        std::string seen;
        const bool found = testkit::ocsp_says(ocsps, cert, want, seen);
        EXPECT_TRUE(found) << "no DSS OCSP response says " << want << " for " << c.subject() << "\n" << seen;
    }
}

/// The signer chain and the TSA chain of the fixture.
std::vector<Bytes> all_chains(sign::Signer& signer) {
    auto certs = signer.certificate_chain();
    for (const auto& c : testkit::world().authority->identities().front().chain)
        certs.push_back(c);
    return certs;
}

PadesOptions lt_options(Level level, pki::RevocationFetcher& fetcher) {
    PadesOptions o;
    o.level = level;
    o.time_stamper = testkit::world().stamper.get();
    o.revocation = &fetcher;
    return o;
}

TEST(PadesLt, BltAddsADssWithOcspForTheSignerAndTsaChainsAndJudgesAccept) {
    for (const auto& input : {corpus().table, corpus().stream}) {
        testing::TempDir dir;
        pki::RevocationFetcher fetcher;
        const auto out = dir / "blt.pdf";
        const auto r = sign_pdf(input, out, *testkit::world().ec, lt_options(Level::BLT, fetcher));
        const std::string seen = testkit::judge_pdf(out, 1);
        EXPECT_NE(seen.find("\"dss\":{\"certs\":3,\"ocsps\":2,\"crls\":0,\"vri\":0}"), std::string::npos)
            << "signer + root + TSA certificates, OCSP for signer and TSA\n"
            << seen;
        expect_dss_covers(out, all_chains(*testkit::world().ec));
        // The signature itself is B-T, untouched by the DSS revision.
        const Bytes der = testkit::extract_contents(out, r.byte_range);
        const Bytes content = testkit::signed_bytes(out, r.byte_range);
        const auto v = testkit::openssl_cms_verify(der, &content);
        EXPECT_EQ(v.exit_code, 0) << v.err;
    }
}

TEST(PadesLt, BltWithVriKeysTheEntryByTheSha1OfThePaddedContents) {
    testing::TempDir dir;
    pki::RevocationFetcher fetcher;
    auto options = lt_options(Level::BLT, fetcher);
    options.vri = true;
    (void)sign_pdf(corpus().table, dir / "vri.pdf", *testkit::world().rsa, options);
    const auto sigs = signature_certificates(pdf::Document::open(dir / "vri.pdf"));
    ASSERT_EQ(sigs.size(), 1U);
    const std::string key = vri_key(sigs[0].contents);
    EXPECT_EQ(key.size(), 40U);
    // Recompute the key from the file bytes with sha1sum, as an outside check of "padding included".
    const auto file = testing::read_file(dir / "vri.pdf");
    const std::string text = to_string(file);
    const auto contents_at = text.find("/Contents <");
    ASSERT_NE(contents_at, std::string::npos);
    const auto hex_start = contents_at + 11;
    const auto hex = text.substr(hex_start, text.find('>', hex_start) - hex_start);
    testing::TempDir d;
    testing::write_file(d / "contents.bin", hex_decode(hex));
    const auto sum = run({"sha1sum", (d / "contents.bin").string()});
    std::string expected = sum.out.substr(0, 40);
    for (auto& ch : expected)
        ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    EXPECT_EQ(key, expected);
    const std::string seen = testkit::judge_pdf(dir / "vri.pdf", 1);
    EXPECT_NE(seen.find("\"vri\":1"), std::string::npos) << seen;
    EXPECT_NE(show(dir / "vri.pdf", "trailer").size(), 0U);
}

TEST(PadesLt, BltaAddsADocumentTimeStampOverTheDssAndOpensslVerifiesIt) {
    testing::TempDir dir;
    pki::RevocationFetcher fetcher;
    auto options = lt_options(Level::BLTA, fetcher);
    options.document_time_stamp_validation = true;
    const auto out = dir / "blta.pdf";
    (void)sign_pdf(corpus().stream, out, *testkit::world().rsa, options);
    const std::string seen = testkit::judge_pdf(out, 2, 1);
    EXPECT_NE(seen.find("ETSI.RFC3161"), std::string::npos) << seen;
    expect_dss_covers(out, all_chains(*testkit::world().rsa));

    const auto sigs = pdf::Document::open(out).signatures();
    ASSERT_EQ(sigs.size(), 2U);
    const auto& dts = sigs[1];
    EXPECT_EQ(dts.type, pdf::SignatureType::DocTimeStamp);
    EXPECT_EQ(dts.sub_filter, "/ETSI.RFC3161");
    ASSERT_EQ(dts.byte_range.size(), 4U);
    // The token's imprint is over this revision's byte ranges, which include the DSS.
    const std::array<std::uint64_t, 4> range{dts.byte_range[0], dts.byte_range[1], dts.byte_range[2],
                                             dts.byte_range[3]};
    const Bytes covered = testkit::signed_bytes(out, range);
    EXPECT_NE(to_string(covered).find("/Type /DSS"), std::string::npos)
        << "the time-stamp does not cover the DSS";
    const auto ts = testkit::openssl_ts_verify(testkit::extract_contents(out, range), covered);
    EXPECT_NE(ts.out.find("Verification: OK"), std::string::npos) << ts.out << ts.err;
    // The document time-stamp does not cover the last DSS update (its own validation data).
    EXPECT_LT(range[2] + range[3], std::filesystem::file_size(out));
}

/// The number of revisions: one per %%EOF.
std::size_t revisions(const std::filesystem::path& pdf) {
    const auto text = to_string(testing::read_file(pdf));
    std::size_t n = 0;
    for (auto at = text.find("%%EOF"); at != std::string::npos; at = text.find("%%EOF", at + 5))
        ++n;
    return n;
}

TEST(PadesLt, BltaFromTheSignaturesTsaEndsWithTheDocumentTimeStampItsChainAlreadyCovered) {
    testing::TempDir dir;
    pki::RevocationFetcher fetcher;
    PadesOptions bt;
    bt.level = Level::BT;
    bt.time_stamper = testkit::world().stamper.get();
    (void)sign_pdf(corpus().stream, dir / "bt.pdf", *testkit::world().ec, bt);
    const auto out = dir / "blta.pdf";
    (void)sign_pdf(corpus().stream, out, *testkit::world().ec, lt_options(Level::BLTA, fetcher));
    (void)testkit::judge_pdf(out, 2, 1);
    expect_dss_covers(out, all_chains(*testkit::world().ec));
    // B-T, then the DSS, then the document time-stamp: nothing after it, the DSS under it already
    // holds its TSA's data.
    EXPECT_EQ(revisions(out), revisions(dir / "bt.pdf") + 2);
    const auto sigs = pdf::Document::open(out).signatures();
    ASSERT_EQ(sigs.size(), 2U);
    EXPECT_EQ(sigs[1].byte_range[2] + sigs[1].byte_range[3], std::filesystem::file_size(out))
        << "the document time-stamp should cover the whole file";
}

TEST(PadesLt, BltaWithAnotherTsaForTheDocumentTimeStampAddsItsValidationDataToo) {
    testing::TempDir dir;
    pki::RevocationFetcher fetcher;
    PadesOptions bt;
    bt.level = Level::BT;
    bt.time_stamper = testkit::world().stamper.get();
    (void)sign_pdf(corpus().table, dir / "bt.pdf", *testkit::world().rsa, bt);
    // The document time-stamp comes from the second TSA identity, whose chain the DSS does not hold yet.
    const auto out = dir / "x.pdf";
    const auto report = extend_pdf(dir / "bt.pdf", out, fetcher, *testkit::world().other_stamper);
    (void)testkit::judge_pdf(out, 2, 1);
    auto certs = all_chains(*testkit::world().rsa);
    const auto other = testkit::world().authority->identities().at(1).chain;
    certs.insert(certs.end(), other.begin(), other.end());
    expect_dss_covers(out, certs);
    EXPECT_EQ(revisions(out), revisions(dir / "bt.pdf") + 3) << "DSS, document time-stamp, DSS for it";
    const bool reported = std::any_of(report.data.statuses.begin(), report.data.statuses.end(),
                                      [&](const auto& s) { return s.first == other.front(); });
    EXPECT_TRUE(reported) << "the report does not list the second TSA's certificate";
}

TEST(PadesLt, ExtendTwiceKeepsEveryEarlierSignatureAndTimeStampValid) {
    testing::TempDir dir;
    pki::RevocationFetcher fetcher;
    PadesOptions bt;
    bt.level = Level::BT;
    bt.time_stamper = testkit::world().stamper.get();
    (void)sign_pdf(corpus().table, dir / "bt.pdf", *testkit::world().ec, bt);

    const auto first = extend_pdf(dir / "bt.pdf", dir / "x1.pdf", fetcher, *testkit::world().stamper);
    EXPECT_EQ(first.signatures, 1U);
    (void)testkit::judge_pdf(dir / "x1.pdf", 2, 1);
    const auto second = extend_pdf(dir / "x1.pdf", dir / "x2.pdf", fetcher, *testkit::world().stamper);
    EXPECT_EQ(second.signatures, 2U) << "the second extension covers the first document time-stamp";
    const std::string seen = testkit::judge_pdf(dir / "x2.pdf", 3, 2);
    EXPECT_NE(seen.find("ETSI.RFC3161"), std::string::npos) << seen;
    expect_dss_covers(dir / "x2.pdf", all_chains(*testkit::world().ec));
    // Every earlier revision is a prefix: nothing was rewritten.
    const auto a = testing::read_file(dir / "x1.pdf");
    const auto b = testing::read_file(dir / "x2.pdf");
    ASSERT_GT(b.size(), a.size());
    EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin()));
    // Each document time-stamp verifies with openssl ts over its own byte range.
    for (const auto& s : pdf::Document::open(dir / "x2.pdf").signatures()) {
        if (s.type != pdf::SignatureType::DocTimeStamp) continue;
        const std::array<std::uint64_t, 4> r{s.byte_range[0], s.byte_range[1], s.byte_range[2],
                                             s.byte_range[3]};
        const auto ts = testkit::openssl_ts_verify(testkit::extract_contents(dir / "x2.pdf", r),
                                                   testkit::signed_bytes(dir / "x2.pdf", r));
        EXPECT_NE(ts.out.find("Verification: OK"), std::string::npos) << s.field_name << ts.out << ts.err;
    }
}

TEST(PadesLt, RevokedSignerIsRefusedByPolicyOrEmbeddedAsRevoked) {
    testing::TempDir dir;
    pki::RevocationFetcher fetcher;
    auto options = lt_options(Level::BLT, fetcher);
    try {
        (void)sign_pdf(corpus().table, dir / "refused.pdf", *testkit::world().revoked, options);
        FAIL() << "signed with a revoked certificate";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::Conflict) << e.what();
        EXPECT_NE(std::string{e.what()}.find("revoked"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(dir / "refused.pdf"));
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator{dir.path()}, {}), 0)
        << "a temporary file is left";

    options.refuse_revoked = false;
    (void)sign_pdf(corpus().table, dir / "embedded.pdf", *testkit::world().revoked, options);
    const auto signer = testkit::world().revoked->certificate_chain().front();
    expect_dss_covers(dir / "embedded.pdf", all_chains(*testkit::world().revoked), {{signer, "revoked"}});
}

TEST(PadesLt, OcspResponderDownFailsBltWithAClearErrorAndNoOutput) {
    testing::TempDir dir;
    pki::RevocationOptions ro;
    // Every request goes through a proxy nobody listens on: the responder is unreachable.
    ro.proxy = "http://127.0.0.1:" + std::to_string(testing::TinyHttpServer::closed_port());
    ro.timeout = std::chrono::milliseconds{3000};
    pki::RevocationFetcher fetcher{ro};
    for (const Level level : {Level::BLT, Level::BLTA}) {
        try {
            (void)sign_pdf(corpus().table, dir / "out.pdf", *testkit::world().ec, lt_options(level, fetcher));
            FAIL() << name(level) << " succeeded without revocation data";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), Errc::Unavailable) << e.what();
            EXPECT_NE(std::string{e.what()}.find("/ocsp"), std::string::npos) << e.what();
            EXPECT_NE(std::string{e.what()}.find("Hanako Sato"), std::string::npos) << e.what();
        }
        EXPECT_FALSE(std::filesystem::exists(dir / "out.pdf")) << name(level);
    }
}

TEST(PadesLt, TsaDownFailsBltaWithNoOutput) {
    testkit::DownStamper down;
    testing::TempDir dir;
    PadesOptions bt;
    bt.level = Level::BT;
    bt.time_stamper = testkit::world().stamper.get();
    (void)sign_pdf(corpus().table, dir / "bt.pdf", *testkit::world().ec, bt);
    pki::RevocationFetcher fetcher;
    EXPECT_THROW((void)extend_pdf(dir / "bt.pdf", dir / "x.pdf", fetcher, down), Error);
    EXPECT_FALSE(std::filesystem::exists(dir / "x.pdf"));
}

TEST(PadesLt, ExtendOfAnUnsignedDocumentIsRefused) {
    testing::TempDir dir;
    pki::RevocationFetcher fetcher;
    try {
        (void)extend_pdf(corpus().table, dir / "x.pdf", fetcher, *testkit::world().stamper);
        FAIL() << "extended a document without signatures";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::InvalidRequest) << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(dir / "x.pdf"));
}

}  // namespace
}  // namespace inkan::ades
