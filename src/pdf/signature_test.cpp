#include <inkan/pdf/document.h>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <inkan/core/encoding.h>

#include "testkit.h"

namespace inkan::pdf {
namespace {

using testkit::corpus;

SignatureSpec basic_spec() {
    SignatureSpec spec;
    spec.signing_time = TimePoint{std::chrono::seconds{1795000000}};
    spec.reason = "Approved";
    spec.location = "Tokyo";
    spec.contents_size = 8192;
    return spec;
}

/// Signs `in` into `out` with openssl and returns the prepared signature's field name.
std::string sign(const std::filesystem::path& in, const std::filesystem::path& out,
                 const SignatureSpec& spec) {
    const auto doc = Document::open(in);
    auto prepared = doc.prepare(spec, out);
    testkit::sign_with_openssl(prepared);
    return prepared.field_name();
}

void expect_valid(const std::filesystem::path& pdf, int signatures) {
    const auto s = testkit::pdfsig(pdf);
    EXPECT_EQ(s.total, signatures) << s.out;
    EXPECT_EQ(s.valid, signatures) << s.out;
    EXPECT_EQ(s.trusted, signatures) << s.out;
    const auto check = testkit::qpdf_check(pdf);
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
    EXPECT_NE(check.out.find("No syntax or stream encoding errors found"), std::string::npos) << check.out;
}

TEST(PdfSignature, InvisibleSignatureOnAnXrefTableFileIsValidAndKeepsTheOriginalAsPrefix) {
    testing::TempDir dir;
    const auto out = dir / "signed.pdf";
    EXPECT_EQ(sign(corpus().table, out, basic_spec()), "Signature1");
    expect_valid(out, 1);
    EXPECT_TRUE(testkit::is_prefix(corpus().table, out));
    const auto doc = Document::open(out);
    EXPECT_EQ(doc.xref_kind(), XrefKind::Table);
    EXPECT_EQ(doc.signature_count(), 1u);
    ASSERT_EQ(doc.signature_fields().size(), 1u);
    EXPECT_TRUE(doc.signature_fields()[0].is_signed);
    const auto s = testkit::pdfsig(out);
    EXPECT_NE(s.out.find("ETSI.CAdES.detached"), std::string::npos) << s.out;
    EXPECT_NE(s.out.find("Total document signed"), std::string::npos) << s.out;
}

TEST(PdfSignature, TheSignedFileGetsTheModeOfAnOrdinaryNewFile) {
    testing::TempDir dir;
    const auto out = dir / "signed.pdf";
    const mode_t old = ::umask(027);  // a umask that differs from the temp file's 0600 and from 022
    sign(corpus().table, out, basic_spec());
    ::umask(old);
    struct stat st {};
    ASSERT_EQ(::stat(out.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0640u) << "mode " << std::oct << (st.st_mode & 0777);
}

TEST(PdfSignature, InvisibleSignatureOnAnXrefStreamFileAddsAnXrefStreamWithPrev) {
    testing::TempDir dir;
    const auto out = dir / "signed.pdf";
    sign(corpus().stream, out, basic_spec());
    expect_valid(out, 1);
    EXPECT_TRUE(testkit::is_prefix(corpus().stream, out));
    EXPECT_EQ(Document::open(out).xref_kind(), XrefKind::Stream);
    const auto xref = testing::run({"qpdf", "--show-xref", out.string()});
    EXPECT_EQ(xref.exit_code, 0) << xref.err;
    const auto bytes = to_string(testing::read_file(out));
    const auto tail = bytes.substr(testing::read_file(corpus().stream).size());
    EXPECT_NE(tail.find("/Type /XRef"), std::string::npos) << tail.substr(0, 200);
    EXPECT_NE(tail.find("/Prev "), std::string::npos);
    EXPECT_EQ(tail.find("\nxref\n"), std::string::npos)
        << "a classic table was appended to an xref-stream file";
}

TEST(PdfSignature, TwoSignaturesInSequenceKeepTheFirstValid) {
    for (const auto& input : {corpus().table, corpus().stream}) {
        testing::TempDir dir;
        sign(input, dir / "one.pdf", basic_spec());
        EXPECT_EQ(sign(dir / "one.pdf", dir / "two.pdf", basic_spec()), "Signature2");
        expect_valid(dir / "two.pdf", 2);
        EXPECT_TRUE(testkit::is_prefix(dir / "one.pdf", dir / "two.pdf"));
        const auto s = testkit::pdfsig(dir / "two.pdf");
        EXPECT_NE(s.out.find("Total document signed"), std::string::npos) << s.out;
        EXPECT_NE(s.out.find("Not total document signed"), std::string::npos) << s.out;
        EXPECT_EQ(Document::open(dir / "two.pdf").signature_count(), 2u);
    }
}

TEST(PdfSignature, SignsIntoAnExistingEmptyFieldByNameAndKeepsTheOtherField) {
    for (const auto& input : {corpus().form, corpus().form_stream}) {
        testing::TempDir dir;
        auto spec = basic_spec();
        spec.field_name = "Approval";
        EXPECT_EQ(sign(input, dir / "signed.pdf", spec), "Approval");
        expect_valid(dir / "signed.pdf", 1);
        const auto doc = Document::open(dir / "signed.pdf");
        ASSERT_EQ(doc.signature_fields().size(), 1u);
        EXPECT_TRUE(doc.signature_fields()[0].is_signed);
        // The text field and its value are still there.
        const auto fields =
            testing::run({"qpdf", "--json", "--json-key=acroform", (dir / "signed.pdf").string()});
        EXPECT_NE(fields.out.find("\"fullname\": \"Name\""), std::string::npos) << fields.out;
        EXPECT_NE(fields.out.find("\"value\": \"u:Taro\""), std::string::npos) << fields.out;
        // The same field cannot be signed twice; a new one can.
        try {
            (void)doc.prepare(spec, dir / "again.pdf");
            ADD_FAILURE() << "signed an already signed field";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), Errc::Conflict) << e.what();
        }
        EXPECT_FALSE(std::filesystem::exists(dir / "again.pdf"));
        EXPECT_EQ(sign(dir / "signed.pdf", dir / "two.pdf", basic_spec()), "Signature1");
        expect_valid(dir / "two.pdf", 2);
    }
}

TEST(PdfSignature, RefusesToSignATextFieldByName) {
    testing::TempDir dir;
    auto spec = basic_spec();
    spec.field_name = "Name";
    try {
        (void)Document::open(corpus().form).prepare(spec, dir / "out.pdf");
        FAIL() << "signed into a text field";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::Conflict) << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(dir / "out.pdf"));
}

TEST(PdfSignature, ANamedNewFieldGetsThatName) {
    testing::TempDir dir;
    auto spec = basic_spec();
    spec.field_name = "承認";
    EXPECT_EQ(sign(corpus().table, dir / "signed.pdf", spec), "承認");
    expect_valid(dir / "signed.pdf", 1);
    EXPECT_EQ(Document::open(dir / "signed.pdf").signature_fields().at(0).name, "承認");
}

TEST(PdfSignature, ContentsTooSmallNamesTheSizeNeededAndLeavesNoFile) {
    testing::TempDir dir;
    auto spec = basic_spec();
    spec.contents_size = 16;
    const auto doc = Document::open(corpus().table);
    {
        auto prepared = doc.prepare(spec, dir / "out.pdf");
        EXPECT_EQ(prepared.capacity(), 16u);
        try {
            testkit::sign_with_openssl(prepared);
            FAIL() << "a CMS fitted into 16 bytes";
        } catch (const ContentsTooSmall& e) {
            EXPECT_GT(e.needed(), 16u);
            EXPECT_EQ(e.capacity(), 16u);
            EXPECT_EQ(e.code(), Errc::PayloadTooLarge);
            spec.contents_size = e.needed();
        }
    }
    EXPECT_FALSE(std::filesystem::exists(dir / "out.pdf"));
    EXPECT_TRUE(std::filesystem::is_empty(dir.path())) << "a temporary file was left behind";
    // Retrying with the size needed fits (an ECDSA signature may be a few bytes longer: add a margin).
    spec.contents_size += 16;
    auto prepared = doc.prepare(spec, dir / "out.pdf");
    testkit::sign_with_openssl(prepared);
    expect_valid(dir / "out.pdf", 1);
}

TEST(PdfSignature, ByteRangeCoversEverythingButTheContentsString) {
    testing::TempDir dir;
    const auto doc = Document::open(corpus().table);
    auto prepared = doc.prepare(basic_spec(), dir / "out.pdf");
    const auto r = prepared.byte_range();
    EXPECT_EQ(r[0], 0u);
    EXPECT_EQ(r[2] - r[1], 2 * prepared.capacity() + 2);
    std::uint64_t streamed = 0;
    prepared.hash_ranges([&](ByteView chunk) {
        EXPECT_LE(chunk.size(), 64u * 1024u);
        streamed += chunk.size();
    });
    EXPECT_EQ(streamed, r[1] + r[3]);
    testkit::sign_with_openssl(prepared);
    const auto bytes = testing::read_file(dir / "out.pdf");
    EXPECT_EQ(r[2] + r[3], bytes.size());
    EXPECT_EQ(bytes.at(r[1]), '<');
    EXPECT_EQ(bytes.at(r[2] - 1), '>');
    try {
        prepared.embed(Bytes{0x30, 0x00});
        ADD_FAILURE() << "embedded twice";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::Conflict) << e.what();
    }
}

TEST(PdfSignature, BadSpecsAreRefusedWithoutAnOutputFile) {
    testing::TempDir dir;
    const auto doc = Document::open(corpus().table);
    auto page = basic_spec();
    page.page = 3;
    auto rect = basic_spec();
    rect.appearance = Appearance{Rect{100, 100, 50, 200}, {"x"}, {}};
    auto image = basic_spec();
    image.appearance = Appearance{Rect{100, 100, 200, 200}, {}, to_bytes(std::string_view{"GIF89a..."})};
    auto subfilter = basic_spec();
    subfilter.sub_filter = SubFilter::Rfc3161;
    for (const auto& spec : {page, rect, image, subfilter}) {
        try {
            (void)doc.prepare(spec, dir / "out.pdf");
            ADD_FAILURE() << "accepted a bad spec";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), Errc::InvalidRequest) << e.what();
        }
        EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
    }
}

}  // namespace
}  // namespace inkan::pdf

namespace inkan::pdf {
namespace {

TEST(PdfSignature, KeepsAnIndirectAcroFormAnnotsArrayInfoAndIdAndSignsAFieldWithAWidgetKid) {
    // Everything that can live in its own object does: the AcroForm, its /Fields, the page's
    // /Annots; the signature field "Parent" has its widget as a kid; /NeedAppearances is set.
    testing::TempDir dir;
    const auto pdf = testkit::build_pdf(
        {"<< /Type /Catalog /Pages 2 0 R /AcroForm 5 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
         "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots 4 0 R >>", "[9 0 R]",
         "<< /Fields 6 0 R /NeedAppearances true >>", "[8 0 R]", "<< /Title (Indirect) /Producer (hand) >>",
         "<< /FT /Sig /T (Parent) /Kids [9 0 R] >>",
         "<< /Type /Annot /Subtype /Widget /Parent 8 0 R /Rect [100 100 300 160] /P 3 0 R /F 4 >>"},
        "/Info 7 0 R /ID [<0102030405060708090A0B0C0D0E0F10> <0102030405060708090A0B0C0D0E0F10>]");
    testing::write_file(dir / "in.pdf", pdf);
    const auto doc = Document::open(dir / "in.pdf");
    ASSERT_EQ(doc.signature_fields().size(), 1u);
    EXPECT_EQ(doc.signature_fields()[0].name, "Parent");

    auto spec = basic_spec();
    spec.field_name = "Parent";
    spec.appearance = Appearance{Rect{}, {"Taro Yamada"}, {}};
    auto first = doc.prepare(spec, dir / "one.pdf");
    EXPECT_EQ(first.field_name(), "Parent");
    testkit::sign_with_openssl(first);
    EXPECT_EQ(sign(dir / "one.pdf", dir / "two.pdf", basic_spec()), "Signature1");
    EXPECT_EQ(testkit::qpdf_check(dir / "two.pdf").exit_code, 0) << testkit::qpdf_check(dir / "two.pdf").out;
    EXPECT_EQ(Document::open(dir / "two.pdf").signature_count(), 2u);
    // poppler 22.12 lists a signature whose widget is a kid of the field but reports it "not
    // signed" (it does not follow the field's /V from the kid); qpdf sees the value, and openssl
    // checks the CMS over the byte ranges of the final file.
    const auto s = testkit::pdfsig(dir / "two.pdf");
    EXPECT_EQ(s.valid, 1) << s.out;
    const auto json = testing::run({"qpdf", "--json", "--json-key=acroform", (dir / "two.pdf").string()}).out;
    EXPECT_NE(json.find("\"value\": \"10 0 R\""), std::string::npos) << json;
    {
        const auto bytes = testing::read_file(dir / "two.pdf");
        const auto r = first.byte_range();
        const auto hex = to_string(ByteView{bytes.data() + r[1] + 1, r[2] - r[1] - 2});
        testing::write_file(dir / "data.bin", testkit::signed_bytes(dir / "two.pdf", r));
        testing::write_file(dir / "sig.der", hex_decode(hex));
        const auto v =
            testing::run({"openssl", "cms", "-verify", "-inform", "DER", "-in", (dir / "sig.der").string(),
                          "-content", (dir / "data.bin").string(), "-binary", "-CAfile",
                          testkit::pki().ca_cert.string(), "-purpose", "any", "-out", "/dev/null"});
        EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
        EXPECT_NE(v.err.find("Verification successful"), std::string::npos) << v.err;
    }

    const auto show = [&](const std::string& obj) {
        return testing::run({"qpdf", "--show-object=" + obj, (dir / "two.pdf").string()}).out;
    };
    const auto trailer = show("trailer");
    EXPECT_NE(trailer.find("/Info 7 0 R"), std::string::npos) << trailer;
    EXPECT_NE(trailer.find("/ID [ <0102030405060708090a0b0c0d0e0f10>"), std::string::npos) << trailer;
    EXPECT_EQ(show("1").find("/AcroForm 5 0 R") != std::string::npos, true) << show("1");
    const auto form = show("5");
    EXPECT_NE(form.find("/NeedAppearances true"), std::string::npos) << form;
    EXPECT_NE(form.find("/SigFlags 3"), std::string::npos) << form;
    EXPECT_NE(form.find("/Fields 6 0 R"), std::string::npos) << form;
    EXPECT_NE(show("6").find("8 0 R"), std::string::npos) << show("6");
    EXPECT_NE(show("3").find("/Annots 4 0 R"), std::string::npos) << show("3");
    EXPECT_NE(show("9").find("/AP"), std::string::npos) << "the kid widget got no appearance: " << show("9");
    // No render check here: with /NeedAppearances true poppler regenerates field appearances and
    // draws none for signature fields (the render tests use files without it).
}

}  // namespace
}  // namespace inkan::pdf
