// PDF signatures inkan did not write, judged by the validator and by the signing software's own
// verifier: adbe.pkcs7.sha1 and adbe.pkcs7.detached without signed attributes (CMS by `openssl cms
// -sign`, the PDF update by the small writer of pdf_test_kit.h), Apache PDFBox + Bouncy Castle
// (tests/tools/pdfbox/SignPdfbox.java; checked by VerifyPades.java) and poppler's pdfsig with NSS.

#include <inkan/validation/validator.h>

#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/pdf/document.h>
#include <inkan/pki/certificate.h>
#include <inkan/pki/revocation.h>

#include "fixture.h"
#include "pdf_test_kit.h"
#include "test_support.h"

namespace inkan::validation {
namespace {

using test::indication;
using test::show;

namespace fs = std::filesystem;
using namespace testpdf;
using testing::read_file;
using testing::run;
using testing::write_file;

pki::RevocationFetcher& fetcher() {
    static pki::RevocationFetcher f;
    return f;
}

pki::Certificate root() {
    return pki::Certificate::from_pem(to_string(read_file(ades::testkit::world().root_pem)));
}

/// Anchored at the fixture's root, revocation online from its OCSP responder.
Options online(bool lenient_sha1 = false) {
    Options o;
    o.trust_anchors = {root().der()};
    o.revocation_fetch = revocation_through(fetcher());
    if (lenient_sha1) o.policy.sha1_sunset = std::chrono::sys_days{std::chrono::year{2200} / 1 / 1};
    return o;
}

bool mentions(const std::vector<std::string>& list, std::string_view what) {
    return std::any_of(list.begin(), list.end(),
                       [&](const std::string& s) { return s.find(what) != std::string::npos; });
}

/// A copy of `pdf` with one byte of the binary comment after the header flipped: inside the first
/// signed range, the file still parses (ISO 32000-1 §7.5.2).
fs::path tampered(const fs::path& pdf) {
    Bytes bytes = read_file(pdf);
    const std::string text = to_string(bytes);
    const auto at = text.find("\n%", 5);
    EXPECT_NE(at, std::string::npos);
    bytes[at + 2] ^= 0x01;
    const fs::path out = pdf.parent_path() / ("tampered-" + pdf.filename().string());
    write_file(out, bytes);
    return out;
}

/// The one signature of `pdf`, judged with `o`.
SignatureReport only(const fs::path& pdf, const Options& o) {
    const DocumentReport d = validate_pdf(pdf, o);
    EXPECT_FALSE(d.error) << show(d);
    EXPECT_EQ(d.signatures.size(), 1u) << show(d);
    return d.signatures.empty() ? SignatureReport{} : d.signatures[0];
}

std::string json(const SignatureReport& s) {
    DocumentReport d;
    d.signatures.push_back(s);
    return show(d);
}

fs::path mini_signed(const testing::TempDir& dir, const std::string& sub_filter,
                     std::vector<std::string> flags) {
    const auto& w = ades::testkit::world();
    const fs::path pdf = dir / "mini.pdf";
    write_base(pdf);
    MiniSig m;
    m.sub_filter = sub_filter;
    m.key = w.soft_key_pem;
    m.cert = w.soft_cert_pem;
    m.cms_flags = std::move(flags);
    mini_sign(pdf, m, dir.path());
    return pdf;
}

// ---- adbe.pkcs7.sha1 ----

TEST(PdfPkcs7Sha1, EncapsulatedDigestIsCheckedAndSha1IsACryptoConstraint) {
    for (const char* md : {"sha256", "sha1"}) {
        testing::TempDir dir{"inkan-pdf-foreign"};
        const fs::path pdf = mini_signed(dir, "adbe.pkcs7.sha1", {"-md", md});
        ASSERT_FALSE(::testing::Test::HasFatalFailure());
        // The outside judge: the PDFBox/Bouncy Castle checker (the encapsulated digest against the
        // ranges, the CMS). poppler 22.12's pdfsig says "Digest Mismatch" for every adbe.pkcs7.sha1
        // signature, so it is no judge here.
        const auto pb = ades::testkit::verify_pades(pdf);
        EXPECT_EQ(pb.exit_code, 0) << testing::describe(pb);

        // SHA-1 digests the document whatever the signer's algorithm: after the policy's sunset and
        // with no time-stamp before it, the crypto constraints fail (EN 319 102-1 §5.2.8).
        const auto strict = only(pdf, online());
        EXPECT_EQ(indication(strict), "INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE_NO_POE")
            << md << json(strict);
        EXPECT_TRUE(strict.intact && strict.crypto_valid) << md << json(strict);
        EXPECT_TRUE(mentions(strict.errors, "SHA-1")) << md << json(strict);
        EXPECT_EQ(strict.sub_filter, "adbe.pkcs7.sha1");

        // A policy that still accepts SHA-1: the signature holds.
        const auto lenient = only(pdf, online(true));
        EXPECT_EQ(indication(lenient), "TOTAL-PASSED") << md << json(lenient);
        EXPECT_NE(lenient.signer.find("Jiro Suzuki"), std::string::npos) << json(lenient);

        // The document changed: the encapsulated digest no longer matches, the signature value does.
        const fs::path bad = tampered(pdf);
        const auto broken = only(bad, online(true));
        EXPECT_EQ(indication(broken), "TOTAL-FAILED/HASH_FAILURE") << md << json(broken);
        EXPECT_TRUE(broken.intact) << json(broken);
        EXPECT_FALSE(broken.crypto_valid) << json(broken);
        EXPECT_NE(ades::testkit::verify_pades(bad).exit_code, 0);
    }
}

// ---- adbe.pkcs7.detached without signed attributes ----

TEST(PdfNoSignedAttributes, SignatureOverTheRangesIsJudged) {
    testing::TempDir dir{"inkan-pdf-foreign"};
    const fs::path pdf = mini_signed(dir, "adbe.pkcs7.detached", {"-noattr"});
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
    const auto s = only(pdf, online());
    EXPECT_EQ(indication(s), "TOTAL-PASSED") << json(s);
    EXPECT_TRUE(s.intact && s.crypto_valid && s.format_ok) << json(s);
    EXPECT_FALSE(name(s.level).has_value()) << "no signed attributes, no AdES level: " << json(s);
    EXPECT_EQ(ades::testkit::pdfsig(pdf).valid, 1) << ades::testkit::pdfsig(pdf).out;
    const auto pb = ades::testkit::verify_pades(pdf);
    EXPECT_EQ(pb.exit_code, 0) << testing::describe(pb);
    // openssl agrees on the CMS over the signed bytes.
    const auto doc = pdf::Document::open(pdf);
    const auto sig = doc.signatures().at(0);
    const Bytes cms{
        sig.contents.begin(),
        sig.contents.begin() + static_cast<std::ptrdiff_t>(ades::testkit::der_length(sig.contents))};
    const Bytes content = pdf::testkit::signed_bytes(
        pdf, {sig.byte_range[0], sig.byte_range[1], sig.byte_range[2], sig.byte_range[3]});
    EXPECT_EQ(ades::testkit::openssl_cms_verify(cms, &content).exit_code, 0);

    // Without signed attributes the signature is over the digest of the ranges itself: a changed
    // document and a broken value look the same to ECDSA (RFC 5652 §5.4), and either way it fails.
    const fs::path bad = tampered(pdf);
    const auto broken = only(bad, online());
    EXPECT_EQ(indication(broken), "TOTAL-FAILED/SIG_CRYPTO_FAILURE") << json(broken);
    EXPECT_FALSE(broken.crypto_valid);
    EXPECT_EQ(ades::testkit::pdfsig(bad).valid, 0);
    EXPECT_NE(ades::testkit::verify_pades(bad).exit_code, 0);
}

// ---- PDFBox + Bouncy Castle ----

fs::path pdfbox_sign(const fs::path& in, const fs::path& out, const std::string& sub_filter,
                     const std::vector<std::string>& extra = {}) {
    const auto& w = ades::testkit::world();
    std::vector<std::string> argv{std::string{INKAN_SOURCE_DIR} + "/scripts/sign-pdfbox",
                                  "--key",
                                  w.soft_key_pem.string(),
                                  "--cert",
                                  w.soft_cert_pem.string(),
                                  "--chain",
                                  w.root_pem.string(),
                                  "--subfilter",
                                  sub_filter};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(in.string());
    argv.push_back(out.string());
    const auto r = run(argv);
    EXPECT_EQ(r.exit_code, 0) << testing::describe(r);
    return out;
}

TEST(PdfboxSigned, DetachedAndCadesAreTotalPassedWithTheRightAnchorAndAgreeWithTheChecker) {
    for (const std::string sub : {"adbe.pkcs7.detached", "ETSI.CAdES.detached"}) {
        testing::TempDir dir{"inkan-pdf-foreign"};
        const fs::path pdf = pdfbox_sign(pdf::testkit::corpus().table, dir / "pdfbox.pdf", sub);
        const auto checker = ades::testkit::verify_pades(pdf);
        EXPECT_EQ(checker.exit_code, 0) << testing::describe(checker);
        const auto s = only(pdf, online());
        EXPECT_EQ(indication(s), "TOTAL-PASSED") << sub << json(s);
        EXPECT_EQ(s.sub_filter, sub);
        EXPECT_NE(s.signer.find("Jiro Suzuki"), std::string::npos) << json(s);
        ASSERT_EQ(s.chain.size(), 2u) << json(s);
        EXPECT_EQ(s.chain.back(), root().subject()) << json(s);
        EXPECT_FALSE(s.modification.detected) << json(s);
        // ETSI.CAdES.detached with ESS signing-certificate-v2 and no signing-time: a PAdES B-B.
        EXPECT_EQ(name(s.level).value_or("null"), sub == "ETSI.CAdES.detached" ? "B-B" : "null") << json(s);

        // No anchor, or another one: no chain, never a guess.
        Options none = online();
        none.trust_anchors.clear();
        EXPECT_EQ(indication(only(pdf, none)), "INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND");

        const fs::path bad = tampered(pdf);
        const auto broken = only(bad, online());
        EXPECT_EQ(indication(broken), "TOTAL-FAILED/HASH_FAILURE") << sub << json(broken);
        EXPECT_NE(ades::testkit::verify_pades(bad).exit_code, 0);
    }
}

TEST(PdfboxSigned, FieldMdpReferenceLocksTheNamedFieldOnly) {
    for (const bool change_locked : {true, false}) {
        testing::TempDir dir{"inkan-pdf-foreign"};
        write_base(dir / "base.pdf");
        const fs::path pdf = pdfbox_sign(dir / "base.pdf", dir / "locked.pdf", "ETSI.CAdES.detached",
                                         {"--lock-include", "Amount"});
        EXPECT_EQ(ades::testkit::verify_pades(pdf).exit_code, 0);
        {
            const auto sigs = pdf::Document::open(pdf).signatures();
            ASSERT_EQ(sigs.size(), 1u);
            ASSERT_TRUE(sigs[0].field_lock.has_value());
            EXPECT_EQ(sigs[0].field_lock->fields, std::vector<std::string>{"Amount"});
        }
        const int id = change_locked ? kAmount : kNote;
        std::string field = object_text(read_text(pdf), id);
        const std::string from = change_locked ? "/V (100)" : "/V (none)";
        field.replace(field.find(from), from.size(), "/V (1000000)");
        append_update(pdf, Update{{{id, field}}, {}, {}});
        // The signed bytes still verify for PDFBox; only the modification analysis tells the difference.
        EXPECT_EQ(ades::testkit::verify_pades(pdf).exit_code, 0);
        const auto s = only(pdf, online());
        if (change_locked) {
            EXPECT_EQ(indication(s), "INDETERMINATE/SIG_CONSTRAINTS_FAILURE") << json(s);
            EXPECT_TRUE(
                mentions(s.modification.changes, "form field Amount changed although the signature locks it"))
                << json(s);
        } else {
            EXPECT_EQ(indication(s), "TOTAL-PASSED") << json(s);
            EXPECT_TRUE(mentions(s.modification.permitted, "form field Note filled")) << json(s);
        }
    }
}

// ---- poppler pdfsig with NSS ----

TEST(PdfsigSigned, NssSignatureIsTotalPassedAndTamperedFails) {
    const auto& w = ades::testkit::world();
    testing::TempDir dir{"inkan-pdf-foreign"};
    // An NSS database holding the soft key and its certificate (pdfsig signs with NSS only).
    const fs::path nss = dir / "nss";
    fs::create_directories(nss);
    const std::string db = "sql:" + nss.string();
    auto must = [](const testing::CommandResult& r) { ASSERT_EQ(r.exit_code, 0) << testing::describe(r); };
    must(run({"certutil", "-N", "--empty-password", "-d", db}));
    must(run({"openssl", "pkcs12", "-export", "-inkey", w.soft_key_pem.string(), "-in",
              w.soft_cert_pem.string(), "-name", "jiro", "-passout", "pass:", "-out",
              (dir / "jiro.p12").string()}));
    must(run({"pk12util", "-i", (dir / "jiro.p12").string(), "-d", db, "-W", ""}));
    // poppler 22.12 signs adbe.pkcs7.detached only ("-etsi is not supported yet with -add-signature").
    const fs::path pdf = dir / "pdfsig.pdf";
    // pdfsig fails now and then with "signDocument: unable update signature" (seen here once in a few
    // runs; the new CMS apparently did not fit the /Contents it reserved, and ECDSA values vary in
    // length). Each attempt makes a new signature; any other failure fails the test.
    testing::CommandResult signed_by_pdfsig;
    for (int attempt = 0; attempt < 8; ++attempt) {
        signed_by_pdfsig = run({"pdfsig", "-nssdir", db, "-add-signature", "-nick", "jiro", "-reason",
                                "issue 15", pdf::testkit::corpus().table.string(), pdf.string()});
        if (signed_by_pdfsig.err.find("unable update signature") == std::string::npos) break;
    }
    must(signed_by_pdfsig);
    const auto judge = ades::testkit::pdfsig(pdf);
    EXPECT_EQ(judge.valid, 1) << judge.out;
    EXPECT_EQ(judge.trusted, 1) << judge.out;
    const auto s = only(pdf, online());
    EXPECT_EQ(indication(s), "TOTAL-PASSED") << json(s);
    EXPECT_EQ(s.sub_filter, "adbe.pkcs7.detached") << json(s);
    EXPECT_TRUE(s.intact && s.crypto_valid && s.format_ok) << json(s);
    EXPECT_NE(s.signer.find("Jiro Suzuki"), std::string::npos) << json(s);
    ASSERT_FALSE(s.chain.empty()) << json(s);
    EXPECT_EQ(s.chain.back(), root().subject()) << json(s);
    EXPECT_FALSE(s.modification.detected) << json(s);
    // The PDFBox checker agrees.
    EXPECT_EQ(ades::testkit::verify_pades(pdf).exit_code, 0);

    const fs::path bad = tampered(pdf);
    const auto broken = only(bad, online());
    EXPECT_EQ(indication(broken), "TOTAL-FAILED/HASH_FAILURE") << json(broken);
    EXPECT_EQ(ades::testkit::pdfsig(bad).valid, 0);
}

}  // namespace
}  // namespace inkan::validation
