#include <inkan/pdf/document.h>

#include <gtest/gtest.h>

#include "testkit.h"

namespace inkan::pdf {
namespace {

using testkit::corpus;

/// Opens `path` expecting a refusal; returns the error.
Error refusal(const std::filesystem::path& path) {
    try {
        (void)Document::open(path);
    } catch (const Error& e) {
        return e;
    }
    ADD_FAILURE() << path << " was opened, but should have been refused";
    return Error{Errc::Internal, "not refused"};
}

TEST(PdfDocument, OpensAClassicXrefTableFile) {
    const auto doc = Document::open(corpus().table);
    EXPECT_EQ(doc.xref_kind(), XrefKind::Table);
    EXPECT_EQ(doc.page_count(), 1u);
    EXPECT_TRUE(doc.signature_fields().empty());
    EXPECT_EQ(doc.signature_count(), 0u);
    EXPECT_FALSE(doc.docmdp().has_value());
}

TEST(PdfDocument, OpensAnXrefStreamFile) {
    const auto doc = Document::open(corpus().stream);
    EXPECT_EQ(doc.xref_kind(), XrefKind::Stream);
    EXPECT_EQ(doc.page_count(), 1u);
}

TEST(PdfDocument, ListsAnEmptySignatureFieldOfAnExistingForm) {
    for (const auto& path : {corpus().form, corpus().form_stream}) {
        const auto doc = Document::open(path);
        ASSERT_EQ(doc.signature_fields().size(), 1u) << path;
        EXPECT_EQ(doc.signature_fields()[0].name, "Approval");
        EXPECT_FALSE(doc.signature_fields()[0].is_signed);
        EXPECT_EQ(doc.signature_fields()[0].page, std::optional<std::size_t>{0});
    }
}

TEST(PdfDocument, RefusesATextFileAsNotAPdf) {
    const auto e = refusal(corpus().not_pdf);
    EXPECT_EQ(e.code(), Errc::InvalidEncoding) << e.what();
    EXPECT_NE(std::string{e.what()}.find("not a PDF"), std::string::npos) << e.what();
}

TEST(PdfDocument, RefusesATruncatedFile) {
    const auto e = refusal(corpus().truncated);
    EXPECT_EQ(e.code(), Errc::InvalidEncoding) << e.what();
    EXPECT_NE(std::string{e.what()}.find("truncated"), std::string::npos) << e.what();
}

TEST(PdfDocument, RefusesAFileWhoseStartxrefMissesTheXref) {
    const auto e = refusal(corpus().bad_startxref);
    EXPECT_EQ(e.code(), Errc::InvalidEncoding) << e.what();
    EXPECT_NE(std::string{e.what()}.find("damaged"), std::string::npos) << e.what();
}

TEST(PdfDocument, RefusesEncryptedFilesWithAndWithoutAUserPassword) {
    for (const auto& path : {corpus().encrypted, corpus().encrypted_open}) {
        const auto e = refusal(path);
        EXPECT_EQ(e.code(), Errc::InvalidRequest) << path << ": " << e.what();
        EXPECT_NE(std::string{e.what()}.find("encrypted"), std::string::npos) << e.what();
    }
}

TEST(PdfDocument, RefusesAHybridReferenceFile) {
    // A classic table whose trailer also names an xref stream (/XRefStm, ISO 32000-1 §7.5.8.4).
    testing::TempDir dir;
    auto text = testkit::build_pdf(
        {"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
         "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>",
         "<< /Type /XRef /Size 5 /W [1 2 1] /Index [0 0] /Length 0 >>\nstream\n\nendstream"});
    const auto obj4 = text.find("4 0 obj");
    const auto trailer = text.find("/Root 1 0 R");
    text.insert(trailer, "/XRefStm " + std::to_string(obj4) + " ");
    testing::write_file(dir / "hybrid.pdf", text);
    const auto e = refusal(dir / "hybrid.pdf");
    EXPECT_EQ(e.code(), Errc::InvalidRequest) << e.what();
    EXPECT_NE(std::string{e.what()}.find("hybrid"), std::string::npos) << e.what();
}

TEST(PdfDocument, RefusesAMissingFileAsAnIoFailure) {
    const auto e = refusal("/nonexistent/inkan.pdf");
    EXPECT_EQ(e.code(), Errc::IoFailure) << e.what();
}

}  // namespace
}  // namespace inkan::pdf
