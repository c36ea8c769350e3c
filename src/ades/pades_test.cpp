#include <inkan/ades/pades.h>

#include <gtest/gtest.h>

#include <inkan/ades/time_stamper.h>
#include <inkan/cms/signed_data.h>
#include <inkan/core/encoding.h>
#include <inkan/crypto/digest.h>
#include <inkan/pdf/document.h>

#include <inkan/testing/tiny_http.h>
#include <inkan/tsp/client.h>

#include "fixture.h"
#include "testkit.h"

namespace inkan::ades {
namespace {

using pdf::testkit::corpus;

enum class Alg { RsaPkcs1, RsaPss, P256 };

std::string alg_name(Alg a) {
    switch (a) {
        case Alg::RsaPkcs1:
            return "RsaPkcs1";
        case Alg::RsaPss:
            return "RsaPss";
        case Alg::P256:
            return "P256";
    }
    return "?";
}

sign::Signer& signer_for(Alg a) {
    return a == Alg::P256 ? *testkit::world().ec : *testkit::world().rsa;
}

PadesOptions options_for(Alg a, Level level) {
    PadesOptions o;
    o.level = level;
    if (a == Alg::RsaPss) o.algorithm = crypto::SignatureAlgorithm::rsa_pss(crypto::DigestAlgorithm::Sha256);
    if (level == Level::BT) o.time_stamper = testkit::world().stamper.get();
    o.reason = "Approved";
    o.location = "Tokyo";
    return o;
}

/// openssl cms -verify over the byte ranges, and the CMS's shape per EN 319 142-1 §5.3; for B-T,
/// openssl ts -verify of the token over the signature value.
void expect_cms_accepted(const std::filesystem::path& pdf, const std::array<std::uint64_t, 4>& range,
                         Level level, const crypto::SignatureAlgorithm& alg) {
    const Bytes der = testkit::extract_contents(pdf, range);
    const Bytes content = testkit::signed_bytes(pdf, range);
    const auto v = testkit::openssl_cms_verify(der, &content);
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    EXPECT_NE(v.err.find("Verification successful"), std::string::npos) << v.err;

    const cms::SignedData sd = cms::parse(der);
    ASSERT_EQ(sd.signer_infos.size(), 1u);
    const auto& si = sd.signer_infos[0];
    EXPECT_FALSE(sd.content.has_value()) << "PAdES CMS must be detached";
    EXPECT_EQ(sd.content_type, cms::oid::kData);
    EXPECT_EQ(si.signature_algorithm, alg) << crypto::name(si.signature_algorithm);
    EXPECT_EQ(si.signed_attribute(cms::oid::kSigningTime), nullptr) << "signing-time is forbidden in PAdES";
    EXPECT_NE(si.signed_attribute(cms::oid::kSigningCertificateV2), nullptr);
    EXPECT_EQ(si.message_digest(), crypto::digest(alg.digest, content));
    EXPECT_EQ(sd.certificates.size(), 2u) << "the chain (signer and root) belongs in the CMS";
    const Bytes* token = si.unsigned_attribute(cms::oid::kSignatureTimeStampToken);
    if (level == Level::BB) {
        EXPECT_EQ(token, nullptr);
        return;
    }
    ASSERT_NE(token, nullptr) << "B-T without a signature-time-stamp";
    const auto ts = testkit::openssl_ts_verify(*token, si.signature);
    EXPECT_EQ(ts.exit_code, 0) << ts.out << ts.err;
    EXPECT_NE(ts.out.find("Verification: OK"), std::string::npos) << ts.out << ts.err;
    // The same token does not verify over other data (the judge is not saying OK to everything).
    Bytes other = si.signature;
    other[0] ^= 1;
    EXPECT_NE(testkit::openssl_ts_verify(*token, other).exit_code, 0);
}

struct Case {
    Alg alg;
    Level level;
    bool stream;
};

class PadesMatrix : public ::testing::TestWithParam<Case> {};

TEST_P(PadesMatrix, SignsAndEveryOutsideJudgeAccepts) {
    const Case c = GetParam();
    testing::TempDir dir;
    const auto in = c.stream ? corpus().stream : corpus().table;
    const auto out = dir / "signed.pdf";
    auto& signer = signer_for(c.alg);
    const PadesOptions options = options_for(c.alg, c.level);
    const PadesResult r = sign_pdf(in, out, signer, options);
    EXPECT_EQ(r.attempts, 1) << "the estimate " << r.contents_size << " was too small";
    EXPECT_EQ(r.field_name, "Signature1");
    EXPECT_TRUE(pdf::testkit::is_prefix(in, out));
    EXPECT_EQ(pdf::Document::open(out).xref_kind(), c.stream ? pdf::XrefKind::Stream : pdf::XrefKind::Table);
    const std::string box = testkit::judge_pdf(out, 1);
    const auto alg = options.algorithm ? *options.algorithm : sign::default_algorithm(signer.public_key());
    expect_cms_accepted(out, r.byte_range, c.level, alg);
    const auto s = testkit::pdfsig(out);
    EXPECT_NE(s.out.find("ETSI.CAdES.detached"), std::string::npos) << s.out;
    EXPECT_NE(s.out.find("Total document signed"), std::string::npos) << s.out;
    EXPECT_NE(box.find("\"signing_time_attr\":false"), std::string::npos) << box;
    EXPECT_NE(box.find("\"signing_certificate_v2\":true"), std::string::npos) << box;
    if (c.level == Level::BT) {
        EXPECT_NE(box.find("\"signature_timestamp\""), std::string::npos) << box;
    }
}

std::vector<Case> all_cases() {
    std::vector<Case> v;
    for (const Alg a : {Alg::RsaPkcs1, Alg::RsaPss, Alg::P256})
        for (const Level l : {Level::BB, Level::BT})
            for (const bool s : {false, true})
                v.push_back({a, l, s});
    return v;
}

INSTANTIATE_TEST_SUITE_P(AlgLevelXref, PadesMatrix, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<Case>& i) {
                             return alg_name(i.param.alg) + "_" + (i.param.level == Level::BB ? "BB" : "BT") +
                                    "_" + (i.param.stream ? "XrefStream" : "XrefTable");
                         });

TEST(Pades, PhasesRunOneByOneAndTheOutputAppearsOnlyAtEmbed) {
    testing::TempDir dir;
    const auto doc = pdf::Document::open(corpus().table);
    auto& signer = *testkit::world().ec;
    const PadesOptions options = options_for(Alg::P256, Level::BB);
    auto p = PadesSignature::prepare(doc, dir / "out.pdf", options, signer.certificate_chain());
    EXPECT_FALSE(std::filesystem::exists(dir / "out.pdf")) << "the output appeared before embed";
    const Bytes digest = p.digest();
    const Bytes cms = p.sign(signer);
    EXPECT_LE(cms.size(), p.capacity());
    EXPECT_FALSE(std::filesystem::exists(dir / "out.pdf"));
    p.embed(cms);
    ASSERT_TRUE(std::filesystem::exists(dir / "out.pdf"));
    EXPECT_EQ(digest, crypto::digest(crypto::DigestAlgorithm::Sha256,
                                     testkit::signed_bytes(dir / "out.pdf", p.byte_range())));
    EXPECT_EQ(testkit::extract_contents(dir / "out.pdf", p.byte_range()), cms);
    testkit::judge_pdf(dir / "out.pdf", 1);
}

TEST(Pades, AbandonedSignatureLeavesNoFile) {
    testing::TempDir dir;
    {
        const auto doc = pdf::Document::open(corpus().table);
        auto p = PadesSignature::prepare(doc, dir / "out.pdf", options_for(Alg::P256, Level::BB),
                                         testkit::world().ec->certificate_chain());
        (void)p.digest();
    }
    EXPECT_TRUE(std::filesystem::is_empty(dir.path())) << "a temporary file was left behind";
}

TEST(Pades, TooSmallReservationIsGrownAndSignedAgainAutomatically) {
    for (const Level level : {Level::BB, Level::BT}) {
        testing::TempDir dir;
        PadesOptions options = options_for(Alg::RsaPkcs1, level);
        options.contents_size = 64;  // far below any CMS: forces the second attempt
        const PadesResult r = sign_pdf(corpus().table, dir / "out.pdf", *testkit::world().rsa, options);
        EXPECT_EQ(r.attempts, 2) << name(level);
        EXPECT_GT(r.contents_size, 64u);
        EXPECT_EQ(r.byte_range[2] - r.byte_range[1], 2 * r.contents_size + 2);
        testkit::judge_pdf(dir / "out.pdf", 1);
        expect_cms_accepted(dir / "out.pdf", r.byte_range, level,
                            crypto::SignatureAlgorithm::rsa_pkcs1(crypto::DigestAlgorithm::Sha256));
    }
}

TEST(Pades, EstimateCoversTheRealCmsWithAModestMargin) {
    auto& w = testkit::world();
    for (const Level level : {Level::BB, Level::BT}) {
        for (sign::Signer* signer :
             {static_cast<sign::Signer*>(w.rsa.get()), static_cast<sign::Signer*>(w.ec.get())}) {
            testing::TempDir dir;
            PadesOptions options = options_for(Alg::RsaPkcs1, level);
            options.commitment_type = std::string{commitment::kProofOfApproval};
            const PadesResult r = sign_pdf(corpus().table, dir / "out.pdf", *signer, options);
            const std::size_t real = testkit::extract_contents(dir / "out.pdf", r.byte_range).size();
            EXPECT_EQ(r.attempts, 1);
            EXPECT_GE(r.contents_size, real);
            EXPECT_LE(r.contents_size, real + real / 2 + 1024)
                << "estimate " << r.contents_size << " for a CMS of " << real << " bytes (" << name(level)
                << ")";
        }
    }
}

TEST(Pades, BtWithARemoteTsaSizesTheReservationFromAFirstRealToken) {
    auto& w = testkit::world();
    testing::TinyHttpServer server{[&](const testing::TinyRequest& r) {
        return testing::TinyResponse{200, "application/timestamp-reply",
                                     to_string(w.authority->respond(to_bytes(r.body)))};
    }};
    tsp::TsaEndpoint endpoint;
    endpoint.url = server.url("/tsa");
    const tsp::Client client{{endpoint}};
    ClientTimeStamper stamper{client};
    testing::TempDir dir;
    PadesOptions options = options_for(Alg::RsaPss, Level::BT);
    options.time_stamper = &stamper;
    const PadesResult r = sign_pdf(corpus().stream, dir / "out.pdf", *w.rsa, options);
    EXPECT_EQ(r.attempts, 1);
    EXPECT_EQ(server.requests(), 2) << "one probe for the size, one for the signature";
    testkit::judge_pdf(dir / "out.pdf", 1);
    expect_cms_accepted(dir / "out.pdf", r.byte_range, Level::BT, *options.algorithm);
}

TEST(Pades, TwoSignaturesInSequenceKeepTheFirstValid) {
    for (const auto& input : {corpus().table, corpus().stream}) {
        testing::TempDir dir;
        const auto first =
            sign_pdf(input, dir / "one.pdf", *testkit::world().rsa, options_for(Alg::RsaPkcs1, Level::BT));
        const auto second = sign_pdf(dir / "one.pdf", dir / "two.pdf", *testkit::world().ec,
                                     options_for(Alg::P256, Level::BT));
        EXPECT_EQ(first.field_name, "Signature1");
        EXPECT_EQ(second.field_name, "Signature2");
        EXPECT_TRUE(pdf::testkit::is_prefix(dir / "one.pdf", dir / "two.pdf"));
        testkit::judge_pdf(dir / "two.pdf", 2);
        expect_cms_accepted(dir / "two.pdf", first.byte_range, Level::BT,
                            crypto::SignatureAlgorithm::rsa_pkcs1(crypto::DigestAlgorithm::Sha256));
        expect_cms_accepted(dir / "two.pdf", second.byte_range, Level::BT,
                            crypto::SignatureAlgorithm::ecdsa(crypto::DigestAlgorithm::Sha256));
        const auto s = testkit::pdfsig(dir / "two.pdf");
        EXPECT_NE(s.out.find("Not total document signed"), std::string::npos) << s.out;
        EXPECT_NE(s.out.find("Total document signed"), std::string::npos) << s.out;
    }
}

TEST(Pades, CertificationWithP1IsWrittenReportedAndRefusesAFurtherSignature) {
    testing::TempDir dir;
    PadesOptions options = options_for(Alg::P256, Level::BB);
    options.certify = 1;
    sign_pdf(corpus().table, dir / "certified.pdf", *testkit::world().ec, options);
    const std::string box = testkit::judge_pdf(dir / "certified.pdf", 1);
    EXPECT_EQ(pdf::Document::open(dir / "certified.pdf").docmdp(), 1);
    EXPECT_NE(box.find("\"docmdp\":1"), std::string::npos) << box;
    try {
        sign_pdf(dir / "certified.pdf", dir / "again.pdf", *testkit::world().rsa,
                 options_for(Alg::RsaPkcs1, Level::BB));
        ADD_FAILURE() << "signed a document certified with P=1";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::Conflict) << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(dir / "again.pdf"));
}

TEST(Pades, CertificationWithP2AllowsAnApprovalSignatureAfterIt) {
    testing::TempDir dir;
    PadesOptions options = options_for(Alg::RsaPkcs1, Level::BT);
    options.certify = 2;
    sign_pdf(corpus().table, dir / "certified.pdf", *testkit::world().rsa, options);
    sign_pdf(dir / "certified.pdf", dir / "approved.pdf", *testkit::world().ec,
             options_for(Alg::P256, Level::BB));
    const std::string box = testkit::judge_pdf(dir / "approved.pdf", 2);
    EXPECT_NE(box.find("\"docmdp\":2"), std::string::npos) << box;
}

/// The darkest pixel inside `rect` (PDF points, origin bottom left) of page `page` (1-based)
/// rendered at 72 dpi.
int darkest_in(const std::filesystem::path& pdf, const pdf::Rect& rect, int page = 1) {
    const auto g = pdf::testkit::render(pdf, page);
    int darkest = 255;
    for (int y = static_cast<int>(g.height - rect.y2) + 2; y < static_cast<int>(g.height - rect.y1) - 2; ++y)
        for (int x = static_cast<int>(rect.x1) + 2; x < static_cast<int>(rect.x2) - 2; ++x)
            darkest = std::min(darkest, g.at(x, y));
    return darkest;
}

TEST(Pades, VisibleSignatureWithAPngOrJpegSealAndAJapaneseNameRenders) {
    const pdf::Rect rect{300, 100, 560, 200};
    const std::vector<Bytes> images{pdf::testkit::test_png(64), pdf::testkit::test_jpeg()};
    for (const auto& image : images) {
        testing::TempDir dir;
        PadesOptions options = options_for(Alg::RsaPkcs1, Level::BT);
        options.appearance = VisibleSignature{rect, image};
        const auto r = sign_pdf(corpus().table, dir / "visible.pdf", *testkit::world().rsa, options);
        testkit::judge_pdf(dir / "visible.pdf", 1);
        expect_cms_accepted(dir / "visible.pdf", r.byte_range, Level::BT,
                            crypto::SignatureAlgorithm::rsa_pkcs1(crypto::DigestAlgorithm::Sha256));
        EXPECT_LT(darkest_in(dir / "visible.pdf", rect), 128) << "the signature's rectangle rendered blank";
        // The unsigned original is blank there.
        EXPECT_GT(darkest_in(corpus().table, rect), 250);
        // The certificate's CN comes back from the embedded font's ToUnicode (decision 0031).
        const auto text = testing::run({"pdftotext", (dir / "visible.pdf").string(), "-"});
        EXPECT_NE(text.out.find("山田 太郎"), std::string::npos) << text.out;
        // The lines the appearance is drawn from: the certificate's CN (Japanese), the date, the reason.
        const auto lines = appearance_lines(testkit::world().rsa->certificate_chain().front(),
                                            TimePoint{std::chrono::seconds{1795000000}},
                                            std::chrono::minutes{540}, "Approved");
        ASSERT_EQ(lines.size(), 3u);
        EXPECT_EQ(lines[0], "山田 太郎");
        EXPECT_EQ(lines[1], "Date: 2026-11-18 20:06:40 +09:00");
        EXPECT_EQ(lines[2], "Reason: Approved");
    }
}

TEST(Pades, JapaneseVisibleSignatureWithEraDateLabelsAndAGeneratedSealIsAcceptedByEveryJudge) {
    testing::TempDir dir;
    const pdf::Rect rect{300, 100, 560, 200};
    PadesOptions options = options_for(Alg::RsaPkcs1, Level::BT);
    options.reason = "承認";
    options.location = "東京都千代田区";
    // The certificates are made now, so the signing time is now; the era date is checked against
    // japanese_era_date (whose boundaries the next test pins).
    ManualClock clock{std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now())};
    options.clock = &clock;
    VisibleSignature v{rect};
    v.display_name = "髙﨑 太郎";
    v.date_style = DateStyle::JapaneseEra;
    v.labels = LabelLanguage::Japanese;
    v.seal = pdf::SealStyle::Round;
    options.appearance = v;
    const auto r = sign_pdf(corpus().table, dir / "visible.pdf", *testkit::world().rsa, options);
    // pdfsig, qpdf --check and the PDFBox + Bouncy Castle checker.
    testkit::judge_pdf(dir / "visible.pdf", 1);
    expect_cms_accepted(dir / "visible.pdf", r.byte_range, Level::BT,
                        crypto::SignatureAlgorithm::rsa_pkcs1(crypto::DigestAlgorithm::Sha256));
    auto text = testing::run({"pdftotext", "-raw", (dir / "visible.pdf").string(), "-"});
    // Lines may wrap in the rectangle: compared without line breaks.
    std::erase(text.out, '\n');
    const std::string era =
        japanese_era_date(std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(clock.now())});
    ASSERT_EQ(era.rfind("令和", 0), 0u) << era;
    for (const std::string& want : {std::string{"髙﨑 太郎"}, "日時：" + era, std::string{"理由：承認"},
                                    std::string{"場所：東京都千代田区"}}) {
        EXPECT_NE(text.out.find(want), std::string::npos) << want << " not in:\n" << text.out;
    }
    const auto fonts = testing::run({"pdffonts", (dir / "visible.pdf").string()});
    EXPECT_NE(fonts.out.find("CID TrueType"), std::string::npos) << fonts.out;
}

TEST(Pades, JapaneseEraDatesFollowTheEraBoundaries) {
    using namespace std::chrono;
    EXPECT_EQ(japanese_era_date(2026y / December / 6d), "令和8年12月6日");
    EXPECT_EQ(japanese_era_date(2019y / May / 1d), "令和元年5月1日");
    EXPECT_EQ(japanese_era_date(2019y / April / 30d), "平成31年4月30日");
    EXPECT_EQ(japanese_era_date(1989y / January / 8d), "平成元年1月8日");
    EXPECT_EQ(japanese_era_date(1989y / January / 7d), "昭和64年1月7日");
    EXPECT_EQ(japanese_era_date(1926y / December / 25d), "昭和元年12月25日");
    EXPECT_EQ(japanese_era_date(1912y / July / 30d), "大正元年7月30日");
    EXPECT_EQ(japanese_era_date(1900y / January / 1d), "明治33年1月1日");
    EXPECT_EQ(japanese_era_date(1850y / January / 1d), "1850-01-01");
}

TEST(Pades, AnEmptyNameOrOverlongReasonIsRefusedBeforeAnythingIsSigned) {
    testing::TempDir dir;
    PadesOptions options = options_for(Alg::P256, Level::BB);
    VisibleSignature v{pdf::Rect{72, 600, 300, 680}};
    v.display_name = "　 ";
    options.appearance = v;
    try {
        sign_pdf(corpus().table, dir / "out.pdf", *testkit::world().ec, options);
        ADD_FAILURE() << "signed with a blank name";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::InvalidRequest) << e.what();
        EXPECT_NE(std::string{e.what()}.find("name for the visible signature is empty"), std::string::npos)
            << e.what();
    }
    v.display_name = "山田";
    options.appearance = v;
    options.reason = std::string(500, 'x');
    try {
        sign_pdf(corpus().table, dir / "out.pdf", *testkit::world().ec, options);
        ADD_FAILURE() << "signed with a 500-character reason";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::InvalidRequest) << e.what();
    }
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(Pades, VisibleSignatureOnTheSecondPageAndIntoAnExistingField) {
    testing::TempDir dir;
    const pdf::Rect rect{72, 600, 300, 680};
    PadesOptions options = options_for(Alg::P256, Level::BB);
    options.page = 1;
    options.appearance = VisibleSignature{rect, {}};
    sign_pdf(corpus().two_pages, dir / "page2.pdf", *testkit::world().ec, options);
    testkit::judge_pdf(dir / "page2.pdf", 1);
    EXPECT_LT(darkest_in(dir / "page2.pdf", rect, 2), 128) << "nothing drawn on page 2";
    EXPECT_GT(darkest_in(dir / "page2.pdf", rect, 1), 250) << "page 1 got the appearance";

    // The form's empty field "Approval" keeps its widget's rectangle [300 500 500 580].
    PadesOptions into = options_for(Alg::RsaPkcs1, Level::BT);
    into.field_name = "Approval";
    into.appearance = VisibleSignature{pdf::Rect{10, 10, 20, 20}, pdf::testkit::test_png(32)};
    const auto r = sign_pdf(corpus().form, dir / "form.pdf", *testkit::world().rsa, into);
    EXPECT_EQ(r.field_name, "Approval");
    testkit::judge_pdf(dir / "form.pdf", 1);
    EXPECT_LT(darkest_in(dir / "form.pdf", pdf::Rect{300, 500, 500, 580}), 128);
}

TEST(Pades, InvisibleByDefault) {
    testing::TempDir dir;
    sign_pdf(corpus().table, dir / "out.pdf", *testkit::world().ec, options_for(Alg::P256, Level::BB));
    const auto g = pdf::testkit::render(dir / "out.pdf", 1);
    const auto o = pdf::testkit::render(corpus().table, 1);
    EXPECT_EQ(g.pixels, o.pixels) << "an invisible signature changed the rendering";
}

TEST(Pades, BadInputsGetTheirErrorAndNoOutputFile) {
    struct Bad {
        std::filesystem::path path;
        Errc code;
    };
    const std::vector<Bad> bad{{corpus().not_pdf, Errc::InvalidEncoding},
                               {corpus().truncated, Errc::InvalidEncoding},
                               {corpus().encrypted, Errc::InvalidRequest},
                               {corpus().encrypted_open, Errc::InvalidRequest}};
    for (const auto& b : bad) {
        testing::TempDir dir;
        try {
            sign_pdf(b.path, dir / "out.pdf", *testkit::world().ec, options_for(Alg::P256, Level::BT));
            ADD_FAILURE() << "signed " << b.path;
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), b.code) << b.path << ": " << e.what();
        }
        EXPECT_TRUE(std::filesystem::is_empty(dir.path())) << b.path << " left a file";
    }
}

TEST(Pades, BtWithoutATimeStamperAndAMismatchedAlgorithmAreRefused) {
    testing::TempDir dir;
    PadesOptions bt = options_for(Alg::P256, Level::BB);
    bt.level = Level::BT;
    try {
        sign_pdf(corpus().table, dir / "out.pdf", *testkit::world().ec, bt);
        ADD_FAILURE() << "B-T without a time stamper";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::InvalidRequest) << e.what();
    }
    PadesOptions pss = options_for(Alg::RsaPss, Level::BB);
    try {
        sign_pdf(corpus().table, dir / "out.pdf", *testkit::world().ec, pss);
        ADD_FAILURE() << "RSA-PSS with an EC key";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::UnsupportedAlgorithm) << e.what();
    }
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(Pades, DictionaryCarriesMReasonLocationContactAndName) {
    testing::TempDir dir;
    PadesOptions options = options_for(Alg::P256, Level::BB);
    options.name = "Hanako";
    options.contact_info = "hanako@example.jp";
    const ManualClock clock{TimePoint{std::chrono::seconds{1795000000}}};
    options.clock = &clock;
    sign_pdf(corpus().table, dir / "out.pdf", *testkit::world().ec, options);
    const std::string bytes = to_string(testing::read_file(dir / "out.pdf"));
    for (const std::string needle :
         {"/M (D:20261118110640Z)", "/Reason (Approved)", "/Location (Tokyo)",
          "/ContactInfo (hanako@example.jp)", "/Name (Hanako)", "/SubFilter /ETSI.CAdES.detached"}) {
        EXPECT_NE(bytes.find(needle), std::string::npos) << needle;
    }
    testkit::judge_pdf(dir / "out.pdf", 1);
}

}  // namespace
}  // namespace inkan::ades
