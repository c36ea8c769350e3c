#include <inkan/pdf/document.h>

#include <gtest/gtest.h>

#include "testkit.h"

namespace inkan::pdf {
namespace {

using testkit::corpus;

SignatureSpec spec_with(std::optional<int> certify) {
    SignatureSpec spec;
    spec.signing_time = TimePoint{std::chrono::seconds{1795000000}};
    spec.certify = certify;
    spec.contents_size = 8192;
    return spec;
}

void sign(const std::filesystem::path& in, const std::filesystem::path& out, const SignatureSpec& spec) {
    auto prepared = Document::open(in).prepare(spec, out);
    testkit::sign_with_openssl(prepared);
}

/// The catalog and the certification signature dictionary as qpdf shows them.
std::string show_catalog_and_docmdp(const std::filesystem::path& pdf) {
    const auto trailer = testing::run({"qpdf", "--show-object=trailer", pdf.string()}).out;
    const auto root_at = trailer.find("/Root ");
    const auto root = trailer.substr(root_at + 6, trailer.find(' ', root_at + 6) - root_at - 6);
    const auto catalog = testing::run({"qpdf", "--show-object=" + root, pdf.string()}).out;
    const auto docmdp_at = catalog.find("/DocMDP ");
    if (docmdp_at == std::string::npos) return catalog;
    const auto sig = catalog.substr(docmdp_at + 8, catalog.find(' ', docmdp_at + 8) - docmdp_at - 8);
    return catalog + "\n" + testing::run({"qpdf", "--show-object=" + sig, pdf.string()}).out;
}

TEST(PdfCertification, P1IsWrittenReportedAndRefusesFurtherSignatures) {
    for (const auto& input : {corpus().table, corpus().stream}) {
        testing::TempDir dir;
        sign(input, dir / "certified.pdf", spec_with(1));
        const auto shown = show_catalog_and_docmdp(dir / "certified.pdf");
        EXPECT_NE(shown.find("/Perms << /DocMDP"), std::string::npos) << shown;
        EXPECT_NE(shown.find("/TransformMethod /DocMDP"), std::string::npos) << shown;
        EXPECT_NE(shown.find("/P 1"), std::string::npos) << shown;
        const auto s = testkit::pdfsig(dir / "certified.pdf");
        EXPECT_EQ(s.valid, 1) << s.out;
        EXPECT_EQ(testkit::qpdf_check(dir / "certified.pdf").exit_code, 0);

        const auto doc = Document::open(dir / "certified.pdf");
        EXPECT_EQ(doc.docmdp(), std::optional<int>{1});
        try {
            (void)doc.prepare(spec_with(std::nullopt), dir / "second.pdf");
            ADD_FAILURE() << "a P=1 document accepted a second signature";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), Errc::Conflict) << e.what();
            EXPECT_NE(std::string{e.what()}.find("P=1"), std::string::npos) << e.what();
        }
        EXPECT_FALSE(std::filesystem::exists(dir / "second.pdf"));
        // A document time-stamp is no change (ISO 32000-2 §12.8.2.2.2): it may still be prepared.
        SignatureSpec dts;
        dts.type = SignatureType::DocTimeStamp;
        dts.sub_filter = SubFilter::Rfc3161;
        EXPECT_NO_THROW((void)doc.prepare(dts, dir / "dts.pdf"));
    }
}

TEST(PdfCertification, P2AllowsALaterSignatureThatKeepsTheCertificationValid) {
    testing::TempDir dir;
    sign(corpus().table, dir / "certified.pdf", spec_with(2));
    EXPECT_EQ(Document::open(dir / "certified.pdf").docmdp(), std::optional<int>{2});
    sign(dir / "certified.pdf", dir / "two.pdf", spec_with(std::nullopt));
    const auto s = testkit::pdfsig(dir / "two.pdf");
    EXPECT_EQ(s.total, 2) << s.out;
    EXPECT_EQ(s.valid, 2) << s.out;
}

TEST(PdfCertification, OnlyTheFirstSignatureMayCertify) {
    testing::TempDir dir;
    sign(corpus().table, dir / "signed.pdf", spec_with(std::nullopt));
    try {
        (void)Document::open(dir / "signed.pdf").prepare(spec_with(3), dir / "out.pdf");
        FAIL() << "certified an already signed document";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::Conflict) << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(dir / "out.pdf"));
}

TEST(PdfCertification, RefusesPermissionsOutsideOneToThree) {
    testing::TempDir dir;
    try {
        (void)Document::open(corpus().table).prepare(spec_with(4), dir / "out.pdf");
        FAIL() << "accepted P=4";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::InvalidRequest) << e.what();
    }
}

}  // namespace
}  // namespace inkan::pdf
