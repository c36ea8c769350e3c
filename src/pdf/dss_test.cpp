#include <inkan/pdf/document.h>

#include <gtest/gtest.h>

#include <inkan/core/encoding.h>

#include "testkit.h"

namespace inkan::pdf {
namespace {

using testkit::corpus;

/// DER of a PEM certificate, through openssl.
Bytes der_of(const std::filesystem::path& pem) {
    testing::TempDir dir;
    const auto r = testing::run(
        {"openssl", "x509", "-in", pem.string(), "-outform", "DER", "-out", (dir / "c.der").string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return testing::read_file(dir / "c.der");
}

std::string show(const std::filesystem::path& pdf, const std::string& object) {
    return testing::run({"qpdf", "--show-object=" + object, pdf.string()}).out;
}

/// The catalog's /DSS dictionary as qpdf shows it.
std::string show_dss(const std::filesystem::path& pdf) {
    const auto trailer = show(pdf, "trailer");
    const auto at = trailer.find("/Root ") + 6;
    const auto catalog = show(pdf, trailer.substr(at, trailer.find(' ', at) - at));
    const auto dss_at = catalog.find("/DSS ");
    if (dss_at == std::string::npos) return "";
    return show(pdf, catalog.substr(dss_at + 5, catalog.find(' ', dss_at + 5) - dss_at - 5));
}

int count(const std::string& text, const std::string& needle) {
    int n = 0;
    for (auto p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1))
        ++n;
    return n;
}

TEST(PdfDss, AddsADssAfterASignatureAndMergesASecondOneWithoutDuplicates) {
    for (const auto& input : {corpus().table, corpus().stream}) {
        testing::TempDir dir;
        SignatureSpec spec;
        spec.contents_size = 8192;
        auto prepared = Document::open(input).prepare(spec, dir / "signed.pdf");
        testkit::sign_with_openssl(prepared);

        const auto ca = der_of(testkit::pki().ca_cert);
        const auto signer = der_of(testkit::pki().signer_cert);
        DssData first;
        first.certs = {signer, ca};
        first.ocsps = {to_bytes(std::string_view{"\x30\x03\x0a\x01\x00"})};  // stands in for an OCSPResponse
        first.vri = {{std::string(40, 'A'), {0, 1}, {0}, {}}};
        Document::open(dir / "signed.pdf").add_dss(first, dir / "dss.pdf");

        EXPECT_TRUE(testkit::is_prefix(dir / "signed.pdf", dir / "dss.pdf"));
        EXPECT_EQ(testkit::qpdf_check(dir / "dss.pdf").exit_code, 0)
            << testkit::qpdf_check(dir / "dss.pdf").out;
        const auto s = testkit::pdfsig(dir / "dss.pdf");
        EXPECT_EQ(s.valid, 1) << "the DSS revision broke the signature\n" << s.out;
        const auto dss = show_dss(dir / "dss.pdf");
        EXPECT_NE(dss.find("/Type /DSS"), std::string::npos) << dss;
        EXPECT_NE(dss.find("/Certs ["), std::string::npos) << dss;
        EXPECT_NE(dss.find("/OCSPs ["), std::string::npos) << dss;
        EXPECT_NE(dss.find("/" + std::string(40, 'A')), std::string::npos) << dss;
        EXPECT_EQ(Document::open(dir / "dss.pdf").xref_kind(), Document::open(input).xref_kind());

        // The second update repeats the CA certificate and adds another VRI entry.
        DssData second;
        second.certs = {ca};
        second.crls = {to_bytes(std::string_view{"\x30\x00"})};
        second.vri = {{std::string(40, 'B'), {0}, {}, {0}}};
        Document::open(dir / "dss.pdf").add_dss(second, dir / "dss2.pdf");
        EXPECT_EQ(testkit::qpdf_check(dir / "dss2.pdf").exit_code, 0);
        const auto merged = show_dss(dir / "dss2.pdf");
        const auto certs = merged.substr(merged.find("/Certs ["),
                                         merged.find(']', merged.find("/Certs [")) - merged.find("/Certs ["));
        EXPECT_EQ(count(certs, " R"), 2) << "the repeated certificate was added again: " << merged;
        EXPECT_NE(merged.find("/CRLs ["), std::string::npos) << merged;
        EXPECT_NE(merged.find("/OCSPs ["), std::string::npos) << "old entries were dropped: " << merged;
        EXPECT_NE(merged.find("/" + std::string(40, 'A')), std::string::npos) << merged;
        EXPECT_NE(merged.find("/" + std::string(40, 'B')), std::string::npos) << merged;
        EXPECT_EQ(testkit::pdfsig(dir / "dss2.pdf").valid, 1);
    }
}

TEST(PdfDss, RefusesAMalformedVriKeyWithoutAnOutputFile) {
    testing::TempDir dir;
    DssData data;
    data.vri = {{"abc", {}, {}, {}}};
    try {
        Document::open(corpus().table).add_dss(data, dir / "out.pdf");
        FAIL() << "accepted a VRI key that is not a SHA-1 in upper-case hex";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::InvalidRequest) << e.what();
    }
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(PdfDocTimeStamp, ADocumentTimeStampAfterASignatureVerifiesWithOpensslTs) {
    for (const auto& input : {corpus().table, corpus().stream}) {
        testing::TempDir dir;
        SignatureSpec spec;
        spec.contents_size = 8192;
        auto signed_ = Document::open(input).prepare(spec, dir / "signed.pdf");
        testkit::sign_with_openssl(signed_);

        SignatureSpec dts;
        dts.type = SignatureType::DocTimeStamp;
        dts.sub_filter = SubFilter::Rfc3161;
        dts.contents_size = 8192;
        auto stamped = Document::open(dir / "signed.pdf").prepare(dts, dir / "stamped.pdf");
        testkit::timestamp_with_openssl(stamped);

        EXPECT_EQ(testkit::qpdf_check(dir / "stamped.pdf").exit_code, 0);
        const auto s = testkit::pdfsig(dir / "stamped.pdf");
        EXPECT_EQ(s.total, 2) << s.out;
        // poppler 22.12 lists the document time-stamp ("Signature Type: unknown") but cannot
        // validate ETSI.RFC3161; the earlier signature must stay valid, openssl ts checks the stamp.
        EXPECT_EQ(s.valid, 1) << s.out;
        EXPECT_NE(s.out.find("inkan pdf test TSA"), std::string::npos) << s.out;
        EXPECT_EQ(Document::open(dir / "stamped.pdf").signature_count(), 2u);

        // Outside check: the token in /Contents covers the byte ranges of the final file.
        const auto bytes = testing::read_file(dir / "stamped.pdf");
        const auto r = stamped.byte_range();
        const auto hex = to_string(ByteView{bytes.data() + r[1] + 1, r[2] - r[1] - 2});
        testing::write_file(dir / "data.bin", testkit::signed_bytes(dir / "stamped.pdf", r));
        testing::write_file(dir / "token.der", hex_decode(hex));  // the zero padding is harmless after DER
        const auto& k = testkit::pki();
        const auto v = testing::run({"openssl", "ts", "-verify", "-data", (dir / "data.bin").string(), "-in",
                                     (dir / "token.der").string(), "-token_in", "-CAfile", k.ca_cert.string(),
                                     "-untrusted", k.tsa_cert.string()});
        EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
        EXPECT_NE(v.out.find("Verification: OK"), std::string::npos) << v.out << v.err;
    }
}

}  // namespace
}  // namespace inkan::pdf
