// Hostile PDFs, each built here from a hand-written document signed by inkan (PAdES B-LT, so the
// untouched file is TOTAL-PASSED offline) and then changed by an incremental update an attacker
// writes: the shadow attacks of Mainka, Mladenov and Schwenk (NDSS 2021: hide, replace,
// hide-and-replace), spoofing by a later trailer or xref, FieldMDP locks (ISO 32000-1 §12.8.2.4,
// §12.7.4.5), a signature dictionary slipped into a later revision, 200 signatures in one file,
// truncated and garbage files. Each gets the verdict a careful human would give, with the change
// named; qpdf --check and pdftotext show that the attack files are well-formed PDFs a viewer shows.

#include <inkan/validation/validator.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <tuple>

#include <gtest/gtest.h>

#include <inkan/ades/pades.h>
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

Options anchored() {
    Options o;
    o.trust_anchors = {
        pki::Certificate::from_pem(to_string(read_file(ades::testkit::world().root_pem))).der()};
    return o;
}

pki::RevocationFetcher& fetcher() {
    static pki::RevocationFetcher f;
    return f;
}

/// With online revocation: the fixture's OCSP responder on 127.0.0.1, through the fetcher.
Options online() {
    Options o = anchored();
    o.revocation_fetch = revocation_through(fetcher());
    return o;
}

bool mentions(const std::vector<std::string>& list, std::string_view what) {
    return std::any_of(list.begin(), list.end(),
                       [&](const std::string& s) { return s.find(what) != std::string::npos; });
}

/// The base document (with `approval_extra` on the Approval field) signed by inkan into Approval,
/// PAdES B-LT with the ec key.
fs::path signed_base(const testing::TempDir& dir, const std::string& approval_extra = "",
                     std::optional<int> certify = {}, bool hidden_duplicate = false,
                     std::size_t* duplicate_at = nullptr) {
    const auto at = write_base(dir / "base.pdf", approval_extra, hidden_duplicate);
    if (duplicate_at != nullptr) *duplicate_at = at;
    ades::PadesOptions o;
    o.level = ades::Level::BLT;
    o.time_stamper = ades::testkit::world().stamper.get();
    o.revocation = &fetcher();
    o.field_name = "Approval";
    o.certify = certify;
    const fs::path out = dir / "signed.pdf";
    (void)ades::sign_pdf(dir / "base.pdf", out, *ades::testkit::world().ec, o);
    return out;
}

std::string pdftotext(const fs::path& pdf) {
    const auto r = run({"pdftotext", "-layout", pdf.string(), "-"});
    EXPECT_EQ(r.exit_code, 0) << testing::describe(r);
    return r.out;
}

/// The one signature of `pdf`, judged; `want` its indication, `change` what modification.changes names.
void expect_change(const fs::path& pdf, const std::string& want, std::string_view change,
                   const std::string& what) {
    const DocumentReport d = validate_pdf(pdf, anchored());
    ASSERT_FALSE(d.error) << what << ": " << show(d);
    ASSERT_EQ(d.signatures.size(), 1u) << what << ": " << show(d);
    const auto& s = d.signatures[0];
    EXPECT_EQ(indication(s), want) << what << ": " << show(d);
    EXPECT_TRUE(s.modification.detected) << what << ": " << show(d);
    EXPECT_TRUE(mentions(s.modification.changes, change))
        << what << ": wanted \"" << change << "\" in " << show(d);
    EXPECT_TRUE(s.intact && s.crypto_valid) << what << ": the signed bytes are untouched: " << show(d);
    EXPECT_FALSE(d.all_passed()) << what;
}

TEST(PdfAttackBase, SignedBaseDocumentIsTotalPassedAndWellFormed) {
    testing::TempDir dir{"inkan-pdf-attacks"};
    const fs::path pdf = signed_base(dir);
    const DocumentReport d = validate_pdf(pdf, anchored());
    ASSERT_EQ(d.signatures.size(), 1u) << show(d);
    EXPECT_EQ(indication(d.signatures[0]), "TOTAL-PASSED") << show(d);
    EXPECT_EQ(d.signatures[0].field, "Approval");
    EXPECT_FALSE(d.signatures[0].modification.detected) << show(d);
    const auto check = pdf::testkit::qpdf_check(pdf);
    EXPECT_EQ(check.exit_code, 0) << testing::describe(check);
    EXPECT_NE(pdftotext(pdf).find("Pay 100 JPY to Taro"), std::string::npos);
}

// ---- shadow attacks: hide ----

TEST(ShadowHide, AnnotationWithOwnAppearanceOverSignedTextIsNamed) {
    testing::TempDir dir{"inkan-pdf-attacks"};
    const fs::path pdf = signed_base(dir);
    const std::string text = read_text(pdf);
    const int size = static_cast<int>(trailer_value(text, "/Size"));
    std::string page = object_text(text, kPage);
    page.insert(page.find(']', page.find("/Annots [")), " " + std::to_string(size) + " 0 R");
    // A white square painted over "Pay 100 JPY to Taro": what the signer saw is no longer shown.
    Update u;
    u.objects[kPage] = page;
    u.objects[size] = "<< /Type /Annot /Subtype /Square /Rect [60 690 500 730] /F 4 /AP << /N " +
                      std::to_string(size + 1) + " 0 R >> >>";
    u.objects[size + 1] = stream("1 g 0 0 440 40 re f", "/Type /XObject /Subtype /Form /BBox [0 0 440 40]");
    append_update(pdf, u);
    EXPECT_EQ(pdf::testkit::qpdf_check(pdf).exit_code, 0);
    expect_change(pdf, "INDETERMINATE/SIG_CONSTRAINTS_FAILURE",
                  "annotation /Square added with its own appearance", "hide by an annotation");
}

TEST(ShadowHide, NewFormFieldWidgetOverSignedTextIsNamed) {
    testing::TempDir dir{"inkan-pdf-attacks"};
    const fs::path pdf = signed_base(dir);
    const std::string text = read_text(pdf);
    const int size = static_cast<int>(trailer_value(text, "/Size"));
    const std::string ref = std::to_string(size) + " 0 R";
    std::string page = object_text(text, kPage);
    page.insert(page.find(']', page.find("/Annots [")), " " + ref);
    std::string form = object_text(text, kAcroForm);
    form.insert(form.find(']', form.find("/Fields [")), " " + ref);
    Update u;
    u.objects[kPage] = page;
    u.objects[kAcroForm] = form;
    u.objects[size] =
        "<< /FT /Tx /T (Cover) /V (Pay 1,000,000 JPY to Mallory) /Type /Annot /Subtype /Widget "
        "/Rect [60 690 560 730] /F 4 /P 3 0 R /DA (/F1 24 Tf 0 g) /MK << /BG [1 1 1] >> /AP << /N " +
        std::to_string(size + 1) + " 0 R >> >>";
    u.objects[size + 1] = stream(
        "1 g 0 0 500 40 re f /Tx BMC BT 0 g /F1 24 Tf 12 12 Td (Pay 1,000,000 JPY to Mallory) Tj ET EMC",
        "/Type /XObject /Subtype /Form /BBox [0 0 500 40] /Resources << /Font << /F1 5 0 R >> >>");
    append_update(pdf, u);
    EXPECT_EQ(pdf::testkit::qpdf_check(pdf).exit_code, 0);
    expect_change(pdf, "INDETERMINATE/SIG_CONSTRAINTS_FAILURE", "form field added (/Tx)",
                  "hide by a form field");
}

TEST(ShadowHide, XObjectPaintedOverThePageIsNamed) {
    testing::TempDir dir{"inkan-pdf-attacks"};
    const fs::path pdf = signed_base(dir);
    const std::string text = read_text(pdf);
    const int size = static_cast<int>(trailer_value(text, "/Size"));
    // The page's content becomes [signed content, "paint the cover"], its resources gain the cover.
    std::string page = object_text(text, kPage);
    page.replace(page.find("/Contents 4 0 R"), 15, "/Contents [4 0 R " + std::to_string(size) + " 0 R]");
    page.replace(page.find("/Resources <<"), 13,
                 "/Resources << /XObject << /Cover " + std::to_string(size + 1) + " 0 R >>");
    Update u;
    u.objects[kPage] = page;
    u.objects[size] = stream("q 1 0 0 1 60 690 cm /Cover Do Q");
    u.objects[size + 1] =
        stream("1 g 0 0 500 40 re f BT 0 g /F1 24 Tf 12 12 Td (Pay 1,000,000 JPY to Mallory) Tj ET",
               "/Type /XObject /Subtype /Form /BBox [0 0 500 40] /Resources << /Font << /F1 5 0 R >> >>");
    append_update(pdf, u);
    EXPECT_EQ(pdf::testkit::qpdf_check(pdf).exit_code, 0);
    EXPECT_NE(pdftotext(pdf).find("Mallory"), std::string::npos);
    expect_change(pdf, "INDETERMINATE/SIG_CONSTRAINTS_FAILURE", "page 1: content changed",
                  "hide by an XObject");
}

// ---- shadow attacks: replace ----

TEST(ShadowReplace, FieldAppearanceRedefinedIsNamed) {
    testing::TempDir dir{"inkan-pdf-attacks"};
    const fs::path pdf = signed_base(dir);
    // The field's appearance stream, an object of the signed revision, redefined: the value stays 100,
    // the page shows 1,000,000.
    Update u;
    u.objects[kAmountAp] = stream("/Tx BMC BT /F1 12 Tf 2 5 Td (1,000,000) Tj ET EMC",
                                  "/Type /XObject /Subtype /Form /BBox [0 0 200 20] /Resources << /Font << "
                                  "/F1 5 0 R >> >>");
    append_update(pdf, u);
    EXPECT_EQ(pdf::testkit::qpdf_check(pdf).exit_code, 0);
    expect_change(pdf, "INDETERMINATE/SIG_CONSTRAINTS_FAILURE",
                  "object 8 0 (/XObject) of the signed revision redefined",
                  "replace the field's appearance stream");
}

TEST(ShadowReplace, FieldAppearanceSwappedWithoutItsValueIsNamed) {
    testing::TempDir dir{"inkan-pdf-attacks"};
    const fs::path pdf = signed_base(dir);
    const std::string text = read_text(pdf);
    const int size = static_cast<int>(trailer_value(text, "/Size"));
    std::string field = object_text(text, kAmount);
    field.replace(field.find("/N 8 0 R"), 8, "/N " + std::to_string(size) + " 0 R");
    Update u;
    u.objects[kAmount] = field;
    u.objects[size] =
        stream("/Tx BMC BT /F1 12 Tf 2 5 Td (1,000,000) Tj ET EMC",
               "/Type /XObject /Subtype /Form /BBox [0 0 200 20] /Resources << /Font << /F1 5 0 R "
               ">> >>");
    append_update(pdf, u);
    expect_change(pdf, "INDETERMINATE/SIG_CONSTRAINTS_FAILURE",
                  "form field Amount: appearance changed but not its value",
                  "replace a field's appearance, not its value");
}

TEST(ShadowReplace, FontOfThePageRedefinedIsNamed) {
    testing::TempDir dir{"inkan-pdf-attacks"};
    const fs::path pdf = signed_base(dir);
    // The font the signed text is drawn with, redefined so that its codes show other glyphs (the
    // digits 1 and 0 as 9): the content stream is untouched, the view changes.
    Update u;
    u.objects[kFont] =
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Type /Encoding "
        "/Differences [48 /nine 49 /nine] >> >>";
    append_update(pdf, u);
    EXPECT_EQ(pdf::testkit::qpdf_check(pdf).exit_code, 0);
    expect_change(pdf, "INDETERMINATE/SIG_CONSTRAINTS_FAILURE",
                  "object 5 0 (/Font) of the signed revision redefined", "replace a font");
}

TEST(ShadowReplace, UnlockedFieldValueIsPermittedFormFillingButNotUnderDocMdp1) {
    for (const std::optional<int> certify : {std::optional<int>{}, std::optional<int>{1}}) {
        testing::TempDir dir{"inkan-pdf-attacks"};
        const fs::path pdf = signed_base(dir, "", certify);
        const std::string text = read_text(pdf);
        std::string field = object_text(text, kNote);
        field.replace(field.find("/V (none)"), 9, "/V (paid in full)");
        append_update(pdf, Update{{{kNote, field}}, {}, {}});
        const DocumentReport d = validate_pdf(pdf, anchored());
        ASSERT_EQ(d.signatures.size(), 1u) << show(d);
        const auto& s = d.signatures[0];
        if (!certify) {
            // Form filling is what an approval signature without a lock permits (ISO 32000-1 §12.8.2.2.1
            // for P=2, the default): named, not a failure.
            EXPECT_EQ(indication(s), "TOTAL-PASSED") << show(d);
            EXPECT_TRUE(mentions(s.modification.permitted, "form field Note filled")) << show(d);
        } else {
            EXPECT_EQ(indication(s), "INDETERMINATE/SIG_CONSTRAINTS_FAILURE") << show(d);
            EXPECT_TRUE(mentions(s.modification.changes, "form field Note filled (DocMDP P=1")) << show(d);
        }
    }
}

// ---- shadow attacks: hide-and-replace ----

TEST(ShadowHideAndReplace, PageContentPointedAtAnUnusedSignedObjectIsNamed) {
    testing::TempDir dir{"inkan-pdf-attacks"};
    const fs::path pdf = signed_base(dir);
    std::string page = object_text(read_text(pdf), kPage);
    page.replace(page.find("/Contents 4 0 R"), 15, "/Contents 9 0 R");
    append_update(pdf, Update{{{kPage, page}}, {}, {}});
    EXPECT_EQ(pdf::testkit::qpdf_check(pdf).exit_code, 0);
    EXPECT_NE(pdftotext(pdf).find("Mallory"), std::string::npos);
    expect_change(pdf, "INDETERMINATE/SIG_CONSTRAINTS_FAILURE", "page 1: content changed",
                  "hide-and-replace by the page's /Contents");
}

TEST(ShadowHideAndReplace, PageTreePointedAtAnUnusedSignedPageIsNamed) {
    testing::TempDir dir{"inkan-pdf-attacks"};
    const fs::path pdf = signed_base(dir);
    append_update(pdf, Update{{{kPages, "<< /Type /Pages /Kids [10 0 R] /Count 1 >>"}}, {}, {}});
    EXPECT_EQ(pdf::testkit::qpdf_check(pdf).exit_code, 0);
    EXPECT_NE(pdftotext(pdf).find("Mallory"), std::string::npos);
    expect_change(pdf, "INDETERMINATE/SIG_CONSTRAINTS_FAILURE", "page 1 replaced by another page object",
                  "hide-and-replace by the page tree");
}

// ---- spoofing by a later trailer or xref ----

TEST(PdfSpoofing, LaterTrailerWithAnotherRootIsNamed) {
    testing::TempDir dir{"inkan-pdf-attacks"};
    const fs::path pdf = signed_base(dir);
    const std::string text = read_text(pdf);
    const int size = static_cast<int>(trailer_value(text, "/Size"));
    // New objects only: a catalog and a page tree showing the page nobody used. No object of the
    // signed revision is redefined.
    std::string catalog = object_text(text, kCatalog);
    catalog.replace(catalog.find("/Pages 2 0 R"), 12, "/Pages " + std::to_string(size + 1) + " 0 R");
    Update u;
    u.objects[size] = catalog;
    u.objects[size + 1] = "<< /Type /Pages /Kids [10 0 R] /Count 1 >>";
    u.root = size;
    append_update(pdf, u);
    EXPECT_EQ(pdf::testkit::qpdf_check(pdf).exit_code, 0);
    EXPECT_NE(pdftotext(pdf).find("Mallory"), std::string::npos);
    expect_change(pdf, "INDETERMINATE/SIG_CONSTRAINTS_FAILURE", "the trailer's /Root names another catalog",
                  "another /Root");
}

TEST(PdfSpoofing, LaterXrefPointingASignedObjectAtHiddenBytesIsNamed) {
    testing::TempDir dir{"inkan-pdf-attacks"};
    std::size_t hidden = 0;
    const fs::path pdf = signed_base(dir, "", std::nullopt, true, &hidden);
    ASSERT_GT(hidden, 0u);
    // The update holds no object at all: its xref says object 4 (the page content) lives at the
    // second body of object 4 the signed revision carried unseen.
    Update u;
    u.repoint[kContent] = hidden;
    append_update(pdf, u);
    EXPECT_EQ(pdf::testkit::qpdf_check(pdf).exit_code, 0);
    EXPECT_NE(pdftotext(pdf).find("Mallory"), std::string::npos);
    expect_change(pdf, "INDETERMINATE/SIG_CONSTRAINTS_FAILURE", "object 4 0 of the signed revision redefined",
                  "xref pointing at hidden bytes");
}

TEST(PdfSpoofing, PagesRemovedAfterSigningAreNamed) {
    testing::TempDir dir{"inkan-pdf-attacks"};
    const fs::path pdf = signed_base(dir);
    append_update(pdf, Update{{{kPages, "<< /Type /Pages /Kids [] /Count 0 >>"}}, {}, {}});
    expect_change(pdf, "INDETERMINATE/SIG_CONSTRAINTS_FAILURE", "pages removed", "page removed");
}

// ---- a signature dictionary in a later revision than its ByteRange claims ----

TEST(PdfSignatureDictionary, RedefinedInALaterRevisionIsFormatFailure) {
    testing::TempDir dir{"inkan-pdf-attacks"};
    const fs::path pdf = signed_base(dir);
    std::string text = read_text(pdf);
    // The signature dictionary: the object the Approval field's /V names.
    const std::string field = object_text(text, kApproval);
    const auto v = field.find("/V ");
    ASSERT_NE(v, std::string::npos) << field;
    const int sig = std::stoi(field.substr(v + 3));
    std::string dict = object_text(text, sig);
    // Same /ByteRange and /Contents, another reason: the bytes it claims to sign are intact, the
    // dictionary a viewer shows was never signed.
    dict.insert(dict.rfind(">>"), " /Reason (I agree to pay 1,000,000 JPY) ");
    append_update(pdf, Update{{{sig, dict}}, {}, {}});
    const DocumentReport d = validate_pdf(pdf, anchored());
    ASSERT_EQ(d.signatures.size(), 1u) << show(d);
    EXPECT_EQ(indication(d.signatures[0]), "TOTAL-FAILED/FORMAT_FAILURE") << show(d);
    EXPECT_TRUE(mentions(d.signatures[0].errors, "not inside its own signed range")) << show(d);
    EXPECT_TRUE(mentions(d.signatures[0].modification.changes, "of the signed revision redefined"))
        << show(d);
}

TEST(PdfSignatureDictionary, CopiedIntoANewFieldOfALaterRevisionIsFormatFailure) {
    testing::TempDir dir{"inkan-pdf-attacks"};
    const fs::path pdf = signed_base(dir);
    const std::string text = read_text(pdf);
    const std::string approval = object_text(text, kApproval);
    const int sig = std::stoi(approval.substr(approval.find("/V ") + 3));
    const int size = static_cast<int>(trailer_value(text, "/Size"));
    // A second field whose signature dictionary repeats the first one's /ByteRange and /Contents: a
    // "signature" that appears only in a revision its range does not reach.
    const std::string ref = std::to_string(size + 1) + " 0 R";
    std::string page = object_text(text, kPage);
    page.insert(page.find(']', page.find("/Annots [")), " " + ref);
    std::string form = object_text(text, kAcroForm);
    form.insert(form.find(']', form.find("/Fields [")), " " + ref);
    Update u;
    u.objects[size] = object_text(text, sig);
    u.objects[size + 1] = "<< /FT /Sig /T (Copy) /V " + std::to_string(size) +
                          " 0 R /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /F 132 /P 3 0 R >>";
    u.objects[kPage] = page;
    u.objects[kAcroForm] = form;
    append_update(pdf, u);
    const DocumentReport d = validate_pdf(pdf, anchored());
    ASSERT_EQ(d.signatures.size(), 2u) << show(d);
    for (const auto& s : d.signatures) {
        if (s.field == "Approval") {
            // The original is intact; a signature field was added after it (permitted, named).
            EXPECT_EQ(indication(s), "TOTAL-PASSED") << show(d);
            EXPECT_TRUE(mentions(s.modification.permitted, "signature field added")) << show(d);
        } else {
            EXPECT_EQ(s.field, "Copy");
            EXPECT_EQ(indication(s), "TOTAL-FAILED/FORMAT_FAILURE") << show(d);
            EXPECT_TRUE(mentions(s.errors, "not inside its own signed range")) << show(d);
        }
    }
}

// ---- FieldMDP ----

/// Changes the value of field `id` (its /V) in a new revision.
void fill(const fs::path& pdf, int id, const std::string& from, const std::string& to) {
    std::string field = object_text(read_text(pdf), id);
    const auto at = field.find("/V (" + from + ")");
    ASSERT_NE(at, std::string::npos) << field;
    field.replace(at, from.size() + 5, "/V (" + to + ")");
    append_update(pdf, Update{{{id, field}}, {}, {}});
}

struct LockCase {
    const char* name;
    const char* lock;    ///< the Approval field's /Lock dictionary
    bool amount_locked;  ///< filling Amount is then a change
    bool note_locked;
};

class FieldMdpLock : public ::testing::TestWithParam<LockCase> {};

TEST_P(FieldMdpLock, LockedFieldChangedIsNamedUnlockedIsFormFilling) {
    const auto c = GetParam();
    for (const auto& [id, field, from, locked] : {std::tuple{kAmount, "Amount", "100", c.amount_locked},
                                                  std::tuple{kNote, "Note", "none", c.note_locked}}) {
        testing::TempDir dir{"inkan-pdf-attacks"};
        const fs::path pdf = signed_base(dir, c.lock);
        {
            const auto sigs = pdf::Document::open(pdf).signatures();
            ASSERT_EQ(sigs.size(), 1u);
            ASSERT_TRUE(sigs[0].field_lock.has_value()) << c.name;
        }
        fill(pdf, id, from, "1000000");
        const DocumentReport d = validate_pdf(pdf, anchored());
        ASSERT_EQ(d.signatures.size(), 1u) << show(d);
        const auto& s = d.signatures[0];
        const std::string what = std::string{c.name} + ", " + field + " filled";
        if (locked) {
            EXPECT_EQ(indication(s), "INDETERMINATE/SIG_CONSTRAINTS_FAILURE") << what << ": " << show(d);
            EXPECT_TRUE(mentions(s.modification.changes, "form field " + std::string{field} +
                                                             " changed although the signature locks it"))
                << what << ": " << show(d);
        } else {
            EXPECT_EQ(indication(s), "TOTAL-PASSED") << what << ": " << show(d);
            EXPECT_TRUE(mentions(s.modification.permitted, "form field " + std::string{field} + " filled"))
                << what << ": " << show(d);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(
    Locks, FieldMdpLock,
    ::testing::Values(LockCase{"All", "/Lock << /Type /SigFieldLock /Action /All >>", true, true},
                      LockCase{"Include",
                               "/Lock << /Type /SigFieldLock /Action /Include /Fields [(Amount)] >>", true,
                               false},
                      LockCase{"Exclude",
                               "/Lock << /Type /SigFieldLock /Action /Exclude /Fields [(Amount)] >>", false,
                               true}),
    [](const auto& p) { return std::string{p.param.name}; });

TEST(FieldMdp, LockWithPermissionsOneForbidsEvenUnlockedFormFilling) {
    // ISO 32000-2 §12.7.5.5: /P in the lock dictionary sets DocMDP permissions for this signature.
    testing::TempDir dir{"inkan-pdf-attacks"};
    const fs::path pdf =
        signed_base(dir, "/Lock << /Type /SigFieldLock /Action /Include /Fields [(Amount)] /P 1 >>");
    fill(pdf, kNote, "none", "paid");
    expect_change(pdf, "INDETERMINATE/SIG_CONSTRAINTS_FAILURE", "form field Note filled (DocMDP P=1",
                  "lock /P 1, Note filled");
}

TEST(FieldMdp, ReferenceTransformInTheSignatureDictionaryLocksFields) {
    // The FieldMDP transform in the signature dictionary itself (§12.8.1 table 253 /Reference,
    // §12.8.2.4), written by the small openssl-based signer, not by inkan.
    const auto& w = ades::testkit::world();
    for (const bool change_locked : {true, false}) {
        testing::TempDir dir{"inkan-pdf-attacks"};
        const fs::path pdf = dir / "mini.pdf";
        write_base(pdf);
        MiniSig m;
        m.key = w.soft_key_pem;
        m.cert = w.soft_cert_pem;
        m.dict_extra =
            "/Reference [<< /Type /SigRef /TransformMethod /FieldMDP /TransformParams << /Type "
            "/TransformParams /Action /Include /Fields [(Amount)] /V /1.2 >> >>]";
        mini_sign(pdf, m, dir.path());
        if (change_locked) {
            fill(pdf, kAmount, "100", "1000000");
        } else {
            fill(pdf, kNote, "none", "paid");
        }
        const DocumentReport d = validate_pdf(pdf, online());
        ASSERT_EQ(d.signatures.size(), 1u) << show(d);
        const auto& s = d.signatures[0];
        if (change_locked) {
            EXPECT_EQ(indication(s), "INDETERMINATE/SIG_CONSTRAINTS_FAILURE") << show(d);
            EXPECT_TRUE(
                mentions(s.modification.changes, "form field Amount changed although the signature locks it"))
                << show(d);
        } else {
            EXPECT_EQ(indication(s), "TOTAL-PASSED") << show(d);
            EXPECT_TRUE(mentions(s.modification.permitted, "form field Note filled")) << show(d);
        }
    }
}

// ---- many signatures, damaged files ----

TEST(PdfManySignatures, TwoHundredSignaturesAreAllJudged) {
    const auto& w = ades::testkit::world();
    testing::TempDir dir{"inkan-pdf-attacks"};
    const fs::path pdf = dir / "many.pdf";
    write_base(pdf);
    constexpr int kCount = 200;
    MiniSig m;
    m.key = w.soft_key_pem;
    m.cert = w.soft_cert_pem;
    m.contents = 1200;
    m.cms_flags = {"-nocerts"};  // the certificate goes into the DSS once, not 200 times
    for (int i = 0; i < kCount; ++i) {
        m.field = "Sig" + std::to_string(i + 1);
        mini_sign(pdf, m, dir.path());
        ASSERT_FALSE(::testing::Test::HasFatalFailure()) << i;
    }
    // Validation data for all of them once, in a DSS (PAdES B-LT style): the certificate and its OCSP
    // response from the test CA's responder.
    {
        const auto cert = pki::Certificate::from_pem(to_string(read_file(w.soft_cert_pem)));
        const auto root = pki::Certificate::from_pem(to_string(read_file(w.root_pem)));
        const auto info = fetcher().fetch(cert, root);
        pdf::DssData data;
        data.certs = {cert.der()};
        data.ocsps = {info.ocsp_response};
        pdf::Document::open(pdf).add_dss(data, dir / "many-dss.pdf");
    }
    EXPECT_EQ(pdf::testkit::qpdf_check(dir / "many-dss.pdf").exit_code, 0);
    // Time and size are recorded for the report, not asserted (no timed assertions); memory does not
    // grow with the file: ranges are streamed, revisions read in place.
    const auto started = std::chrono::steady_clock::now();
    const DocumentReport d = validate_pdf(dir / "many-dss.pdf", anchored());
    const auto took =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    ::testing::Test::RecordProperty("validate_ms", static_cast<int>(took.count()));
    ::testing::Test::RecordProperty("file_bytes", static_cast<int>(fs::file_size(dir / "many-dss.pdf")));
    ASSERT_FALSE(d.error) << show(d);
    ASSERT_EQ(d.signatures.size(), static_cast<std::size_t>(kCount));
    for (const auto& s : d.signatures) {
        EXPECT_EQ(indication(s), "TOTAL-PASSED")
            << s.field << ": " << (s.errors.empty() ? "" : s.errors.front());
        EXPECT_FALSE(s.modification.detected) << s.field;
    }
    EXPECT_TRUE(d.all_passed());
}

TEST(PdfDamaged, TruncatedSignedFilesAreErrorsOrNotPassedNeverCrashes) {
    testing::TempDir dir{"inkan-pdf-attacks"};
    const fs::path pdf = signed_base(dir);
    const Bytes bytes = read_file(pdf);
    const auto ends = pdf::revision_ends(pdf);
    // (Cutting only the end-of-line after the last %%EOF would leave the same document, rightly valid.)
    for (std::size_t cut : {std::size_t{0}, std::size_t{9}, bytes.size() / 7, bytes.size() / 3,
                            bytes.size() / 2, bytes.size() - 1000, bytes.size() - 30}) {
        if (std::find(ends.begin(), ends.end(), cut) != ends.end()) continue;  // an earlier revision is a PDF
        const fs::path t = dir / ("cut-" + std::to_string(cut) + ".pdf");
        write_file(t, ByteView{bytes.data(), cut});
        const DocumentReport d = validate_file(t, std::nullopt, anchored());
        EXPECT_FALSE(d.all_passed()) << cut << ": " << show(d);
        if (!d.error) {
            for (const auto& s : d.signatures)
                EXPECT_NE(s.verdict.indication, Indication::TotalPassed) << cut << ": " << show(d);
        }
    }
}

TEST(PdfDamaged, GarbageInsideAndAfterASignedFileIsNeverPassed) {
    testing::TempDir dir{"inkan-pdf-attacks"};
    const fs::path pdf = signed_base(dir);
    const Bytes bytes = read_file(pdf);
    // A deterministic noise generator (xorshift): the same garbage every run.
    std::uint32_t x = 2463534242u;
    const auto noise = [&] {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        return static_cast<std::uint8_t>(x);
    };
    {
        Bytes tail = bytes;
        for (int i = 0; i < 4096; ++i)
            tail.push_back(noise());
        write_file(dir / "tail.pdf", tail);
        const DocumentReport d = validate_file(dir / "tail.pdf", std::nullopt, anchored());
        EXPECT_FALSE(d.all_passed()) << show(d);
    }
    for (int round = 0; round < 8; ++round) {
        Bytes noisy = bytes;
        for (int i = 0; i < 16; ++i)
            noisy[(static_cast<std::size_t>(noise()) << 8 | noise()) % noisy.size()] ^=
                static_cast<std::uint8_t>(noise() | 1);
        write_file(dir / "noisy.pdf", noisy);
        const DocumentReport d = validate_file(dir / "noisy.pdf", std::nullopt, anchored());
        EXPECT_FALSE(d.all_passed()) << round << ": " << show(d);
    }
    write_file(dir / "only-garbage.pdf", std::string{"%PDF-1.7\n"} + std::string(5000, '\x8f'));
    const DocumentReport g = validate_file(dir / "only-garbage.pdf", std::nullopt, anchored());
    EXPECT_TRUE(g.error.has_value()) << show(g);
}

}  // namespace
}  // namespace inkan::validation
