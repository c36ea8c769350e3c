// The validator judged against inkan's own signatures at every level (made with the ades fixture's PKI in
// SoftHSM, its TSA and OCSP responder), against `openssl cms -sign` (whose verdict `openssl cms -verify`
// gives independently), and against damaged and hostile files. Reports of every shape (each level,
// failures, modifications, unreadable files) are validated against docs/validation-report.schema.json.

#include <inkan/validation/validator.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include <inkan/ades/cades.h>
#include <inkan/ades/pades.h>
#include <inkan/cms/signed_data.h>
#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/pki/certificate.h>
#include <inkan/pki/revocation.h>

#include "fixture.h"
#include "pdf_test_kit.h"
#include "test_support.h"

namespace inkan::validation {
namespace {

using test::indication;
using test::show;

using ades::Level;
namespace fs = std::filesystem;
using testing::read_file;
using testing::run;
using testing::write_file;
using testpdf::object_text;

const Bytes kContent = to_bytes(std::string_view{"契約書 No. 15: validation\n"});

Bytes root_der() {
    return pki::Certificate::from_pem(to_string(read_file(ades::testkit::world().root_pem))).der();
}

pki::RevocationFetcher& fetcher() {
    static pki::RevocationFetcher f;
    return f;
}

/// Online revocation for the tests: the fixture's OCSP responder on 127.0.0.1, through the fetcher.
RevocationFetch online() {
    return revocation_through(fetcher());
}

Options anchored(bool with_online = false) {
    Options o;
    o.trust_anchors = {root_der()};
    if (with_online) o.revocation_fetch = online();
    return o;
}

/// What Ajv (JSON Schema 2020-12) finds wrong in the report's JSON against its published contract,
/// docs/validation-report.schema.json; empty when it validates.
std::string schema_problems(const DocumentReport& d) {
    const std::string report = to_json({d});
    const auto r = run({"node", INKAN_SOURCE_DIR "/tests/tools/contracts/validate-json.mjs",
                        INKAN_SOURCE_DIR "/docs/validation-report.schema.json", "-"},
                       report);
    return r.exit_code == 0 ? std::string{} : testing::describe(r) + "\nreport: " + report;
}

Bytes sign_cades(Level level, bool detached = false) {
    ades::CadesOptions o;
    o.level = level;
    o.time_stamper = ades::testkit::world().stamper.get();
    o.revocation = &fetcher();
    if (detached) {
        std::istringstream in{to_string(kContent)};
        return ades::sign_cades(ades::CadesContent::detached(in), *ades::testkit::world().ec, o);
    }
    return ades::sign_cades(ades::CadesContent::enveloping(kContent), *ades::testkit::world().rsa, o);
}

/// The offset of `needle` in `hay` (must occur).
std::size_t find(const Bytes& hay, const Bytes& needle) {
    const auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end());
    EXPECT_NE(it, hay.end());
    return static_cast<std::size_t>(it - hay.begin());
}

// ---- CAdES: inkan's own signatures ----

struct LevelCase {
    Level level;
    const char* want;
    bool needs_online;
};

class CadesLevels : public ::testing::TestWithParam<LevelCase> {};

TEST_P(CadesLevels, InkanSignatureIsTotalPassedAtItsLevel) {
    const auto c = GetParam();
    const Bytes cms = sign_cades(c.level);
    const DocumentReport d = validate_cms(cms, std::nullopt, anchored(c.needs_online));
    ASSERT_FALSE(d.error) << show(d);
    ASSERT_EQ(d.signatures.size(), 1u) << show(d);
    const auto& s = d.signatures[0];
    EXPECT_EQ(indication(s), "TOTAL-PASSED") << show(d);
    EXPECT_EQ(name(s.level).value_or("null"), c.want) << show(d);
    EXPECT_TRUE(s.intact && s.crypto_valid && s.format_ok) << show(d);
    EXPECT_EQ(s.revocation, "good") << show(d);
    EXPECT_EQ(s.chain.size(), 2u) << show(d);
    EXPECT_TRUE(d.all_passed());
    EXPECT_EQ(schema_problems(d), "");
    if (c.level != Level::BB) {
        ASSERT_FALSE(s.timestamps.empty()) << show(d);
        EXPECT_EQ(s.timestamps[0].kind, "signature");
        EXPECT_LT(*s.best_signature_time, std::chrono::system_clock::now());
    }
    // The outside judge agrees.
    const auto judge = ades::testkit::openssl_cms_verify(cms, nullptr);
    EXPECT_EQ(judge.exit_code, 0) << testing::describe(judge);
}

INSTANTIATE_TEST_SUITE_P(Levels, CadesLevels,
                         ::testing::Values(LevelCase{Level::BB, "B-B", true},
                                           LevelCase{Level::BT, "B-T", true},
                                           LevelCase{Level::BLT, "B-LT", false},
                                           LevelCase{Level::BLTA, "B-LTA", false}),
                         [](const auto& p) { return std::string{p.param.want}.substr(2); });

TEST(CadesValidation, BBWithoutRevocationDataOfflineIsTryLater) {
    const DocumentReport d = validate_cms(sign_cades(Level::BB), std::nullopt, anchored(false));
    ASSERT_EQ(d.signatures.size(), 1u) << show(d);
    EXPECT_EQ(indication(d.signatures[0]), "INDETERMINATE/TRY_LATER") << show(d);
    EXPECT_TRUE(d.signatures[0].crypto_valid);
}

TEST(CadesValidation, NoTrustAnchorIsNoCertificateChainFound) {
    Options o;  // none given: never a guess
    const DocumentReport d = validate_cms(sign_cades(Level::BLT), std::nullopt, o);
    ASSERT_EQ(d.signatures.size(), 1u) << show(d);
    EXPECT_EQ(indication(d.signatures[0]), "INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND") << show(d);
    EXPECT_FALSE(d.all_passed());
}

TEST(CadesValidation, FlippedSignatureValueIsSigCryptoFailure) {
    Bytes cms = sign_cades(Level::BLT);
    const cms::SignedData sd = cms::parse(cms);
    cms[find(cms, sd.signer_infos[0].signature) + 10] ^= 0x01;
    const DocumentReport d = validate_cms(cms, std::nullopt, anchored());
    ASSERT_EQ(d.signatures.size(), 1u) << show(d);
    EXPECT_EQ(indication(d.signatures[0]), "TOTAL-FAILED/SIG_CRYPTO_FAILURE") << show(d);
    EXPECT_FALSE(d.signatures[0].intact);
    // openssl agrees it is broken.
    EXPECT_NE(ades::testkit::openssl_cms_verify(cms, nullptr).exit_code, 0);
}

TEST(CadesValidation, FlippedContentIsHashFailure) {
    Bytes cms = sign_cades(Level::BB);
    cms[find(cms, kContent) + 3] ^= 0x01;
    const DocumentReport d = validate_cms(cms, std::nullopt, anchored(true));
    ASSERT_EQ(d.signatures.size(), 1u) << show(d);
    EXPECT_EQ(indication(d.signatures[0]), "TOTAL-FAILED/HASH_FAILURE") << show(d);
    EXPECT_TRUE(d.signatures[0].intact);
    EXPECT_FALSE(d.signatures[0].crypto_valid);
    EXPECT_NE(ades::testkit::openssl_cms_verify(cms, nullptr).exit_code, 0);
}

TEST(CadesValidation, FlippedSignedAttributeIsSigCryptoFailure) {
    Bytes cms = sign_cades(Level::BB);
    const cms::SignedData sd = cms::parse(cms);
    // A byte of the signing-time value inside the signed attributes. Searched for within the
    // signedAttrs only: the same UTCTime is often the signer certificate's notBefore, issued in
    // the same second, which comes first in the file.
    const Bytes* st = sd.signer_infos[0].signed_attribute(cms::oid::kSigningTime);
    ASSERT_NE(st, nullptr);
    const Bytes& attrs = sd.signer_infos[0].signed_attributes_der;
    cms[find(cms, attrs) + find(attrs, *st) + 4] ^= 0x01;
    const DocumentReport d = validate_cms(cms, std::nullopt, anchored(true));
    ASSERT_EQ(d.signatures.size(), 1u) << show(d);
    EXPECT_EQ(indication(d.signatures[0]), "TOTAL-FAILED/SIG_CRYPTO_FAILURE") << show(d);
}

TEST(CadesValidation, DetachedNeedsItsContent) {
    const Bytes cms = sign_cades(Level::BLT, true);
    const DocumentReport without = validate_cms(cms, std::nullopt, anchored());
    ASSERT_EQ(without.signatures.size(), 1u) << show(without);
    EXPECT_EQ(indication(without.signatures[0]), "INDETERMINATE/SIGNED_DATA_NOT_FOUND") << show(without);
    const DocumentReport with = validate_cms(cms, digest_of_bytes(kContent), anchored());
    ASSERT_EQ(with.signatures.size(), 1u) << show(with);
    EXPECT_EQ(indication(with.signatures[0]), "TOTAL-PASSED") << show(with);
    Bytes other = kContent;
    other[0] ^= 1;
    const DocumentReport wrong = validate_cms(cms, digest_of_bytes(other), anchored());
    EXPECT_EQ(indication(wrong.signatures[0]), "TOTAL-FAILED/HASH_FAILURE") << show(wrong);
}

TEST(CadesValidation, SwappedCertificateIsNoSigningCertificateFound) {
    // ESS signing-certificate-v2 binds the signer's certificate (RFC 5035): another one under the same sid
    // is refused.
    const Bytes cms = sign_cades(Level::BB);
    const cms::SignedData sd = cms::parse(cms);
    const Bytes signer = *cms::find_signer_certificate(sd, 0);
    // A certificate with the signer's issuer and serial but another body (what a swap looks like to
    // the sid): a byte of its signature changed.
    Bytes tampered = cms;
    const auto at = find(tampered, signer);
    tampered[at + signer.size() - 5] ^= 0x01;
    const DocumentReport d = validate_cms(tampered, std::nullopt, anchored(true));
    ASSERT_EQ(d.signatures.size(), 1u) << show(d);
    EXPECT_EQ(d.signatures[0].verdict.indication, Indication::Indeterminate) << show(d);
    EXPECT_EQ(name(*d.signatures[0].verdict.subindication), "NO_SIGNING_CERTIFICATE_FOUND") << show(d);
}

// ---- CAdES made by openssl, judged by openssl too ----

struct Soft {
    fs::path key2, cert2;
};

const Soft& soft() {
    static Soft s = [] {
        Soft k;
        const fs::path dir = ades::testkit::world().dir;
        k.key2 = dir / "validation-self-key.pem";
        k.cert2 = dir / "validation-self-cert.pem";
        const auto r = run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                            "-nodes", "-keyout", k.key2.string(), "-out", k.cert2.string(), "-subj",
                            "/CN=Self Signed Signer", "-days", "30"});
        EXPECT_EQ(r.exit_code, 0) << testing::describe(r);
        return k;
    }();
    return s;
}

TEST(OpensslCms, AttachedDetachedAndTwoSignersAgreeWithOpensslVerify) {
    const auto& w = ades::testkit::world();
    testing::TempDir dir{"inkan-validation"};
    write_file(dir / "content.txt", kContent);
    const auto sign = [&](const std::string& out, std::vector<std::string> extra) {
        std::vector<std::string> argv{
            "openssl",  "cms", "-sign", "-binary",           "-in", (dir / "content.txt").string(),
            "-outform", "DER", "-out",  (dir / out).string()};
        argv.insert(argv.end(), extra.begin(), extra.end());
        const auto r = run(argv);
        EXPECT_EQ(r.exit_code, 0) << testing::describe(r);
        return read_file(dir / out);
    };
    const std::vector<std::string> one{"-signer", w.soft_cert_pem.string(), "-inkey",
                                       w.soft_key_pem.string()};
    std::vector<std::string> attached_args = one;
    attached_args.push_back("-nodetach");
    const Bytes attached = sign("attached.p7s", attached_args);
    const Bytes detached = sign("detached.p7s", one);
    std::vector<std::string> two = one;
    two.insert(two.end(), {"-signer", soft().cert2.string(), "-inkey", soft().key2.string(), "-nodetach"});
    const Bytes both = sign("two.p7s", two);

    const DocumentReport a = validate_cms(attached, std::nullopt, anchored(true));
    ASSERT_EQ(a.signatures.size(), 1u) << show(a);
    EXPECT_EQ(indication(a.signatures[0]), "TOTAL-PASSED") << show(a);
    EXPECT_EQ(a.signatures[0].signer.find("Jiro Suzuki") != std::string::npos, true) << show(a);
    EXPECT_EQ(ades::testkit::openssl_cms_verify(attached, nullptr).exit_code, 0);

    const DocumentReport dd = validate_cms(detached, digest_of_bytes(kContent), anchored(true));
    ASSERT_EQ(dd.signatures.size(), 1u) << show(dd);
    EXPECT_EQ(indication(dd.signatures[0]), "TOTAL-PASSED") << show(dd);
    EXPECT_EQ(ades::testkit::openssl_cms_verify(detached, &kContent).exit_code, 0);

    // Two signers, the second self-signed: not anchored, both verdicts say no; anchored, both say yes.
    const DocumentReport t = validate_cms(both, std::nullopt, anchored(true));
    ASSERT_EQ(t.signatures.size(), 2u) << show(t);
    // openssl orders the SignerInfos itself: look them up by signer.
    const bool self_first = t.signatures[0].signer.find("Self Signed") != std::string::npos;
    const auto& anchored_one = t.signatures[self_first ? 1 : 0];
    const auto& self_one = t.signatures[self_first ? 0 : 1];
    EXPECT_EQ(indication(anchored_one), "TOTAL-PASSED") << show(t);
    EXPECT_EQ(indication(self_one), "INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND") << show(t);
    EXPECT_NE(ades::testkit::openssl_cms_verify(both, nullptr).exit_code, 0);
    Options o = anchored(true);
    o.trust_anchors.push_back(pki::Certificate::from_pem(to_string(read_file(soft().cert2))).der());
    const DocumentReport t2 = validate_cms(both, std::nullopt, o);
    ASSERT_EQ(t2.signatures.size(), 2u) << show(t2);
    EXPECT_TRUE(t2.all_passed()) << show(t2);
    write_file(dir / "anchors.pem", to_string(read_file(w.root_pem)) + to_string(read_file(soft().cert2)));
    const auto judged = run({"openssl", "cms", "-verify", "-inform", "DER", "-in", (dir / "two.p7s").string(),
                             "-binary", "-CAfile", (dir / "anchors.pem").string(), "-purpose", "any", "-out",
                             (dir / "out.txt").string()});
    EXPECT_EQ(judged.exit_code, 0) << testing::describe(judged);
}

// ---- damaged input ----

TEST(DamagedInput, GarbageTruncatedAndEmptyFilesAreErrorsNotCrashes) {
    testing::TempDir dir{"inkan-validation"};
    const Bytes cms = sign_cades(Level::BB);
    write_file(dir / "truncated.p7s", ByteView{cms.data(), cms.size() / 2});
    write_file(dir / "garbage.bin", std::string_view{"\x30\x82\xff\xff garbage"});
    write_file(dir / "empty", std::string_view{});
    write_file(dir / "text.txt", std::string_view{"hello"});
    const auto& corpus = pdf::testkit::corpus();
    for (const fs::path& p : {dir / "truncated.p7s", dir / "garbage.bin", dir / "empty", dir / "text.txt",
                              corpus.truncated, corpus.not_pdf, corpus.bad_startxref, dir / "missing"}) {
        const DocumentReport d = validate_file(p, std::nullopt, anchored());
        EXPECT_TRUE(d.error.has_value()) << p << ": " << show(d);
        EXPECT_TRUE(d.signatures.empty()) << p;
        EXPECT_FALSE(d.all_passed()) << p;
        EXPECT_EQ(schema_problems(d), "") << p;
    }
    // An unsigned PDF has nothing that passes.
    const DocumentReport u = validate_file(corpus.table, std::nullopt, anchored());
    EXPECT_FALSE(u.all_passed()) << show(u);
}

// ---- PAdES ----

fs::path sign_pdf(const fs::path& dir, Level level, const std::string& name,
                  std::optional<int> certify = {}) {
    ades::PadesOptions o;
    o.level = level;
    o.time_stamper = ades::testkit::world().stamper.get();
    o.revocation = &fetcher();
    o.certify = certify;
    const fs::path out = dir / name;
    (void)ades::sign_pdf(pdf::testkit::corpus().table, out, *ades::testkit::world().ec, o);
    return out;
}

class PadesLevels : public ::testing::TestWithParam<LevelCase> {};

TEST_P(PadesLevels, InkanSignatureIsTotalPassedAtItsLevel) {
    const auto c = GetParam();
    testing::TempDir dir{"inkan-validation"};
    const fs::path pdf = sign_pdf(dir.path(), c.level, "signed.pdf");
    const DocumentReport d = validate_pdf(pdf, anchored(c.needs_online));
    ASSERT_FALSE(d.error) << show(d);
    ASSERT_EQ(d.signatures.size(), 1u) << show(d);
    const auto& s = d.signatures[0];
    EXPECT_EQ(indication(s), "TOTAL-PASSED") << show(d);
    EXPECT_EQ(name(s.level).value_or("null"), c.want) << show(d);
    EXPECT_EQ(s.field, "Signature1");
    EXPECT_EQ(s.sub_filter, "ETSI.CAdES.detached");
    EXPECT_FALSE(s.modification.detected) << show(d);
    EXPECT_TRUE(s.claimed_signing_time.has_value()) << show(d);
    EXPECT_EQ(d.document_timestamps.size(), c.level == Level::BLTA ? 1u : 0u) << show(d);
    for (const auto& t : d.document_timestamps) {
        EXPECT_EQ(name(t.verdict.indication), "TOTAL-PASSED") << show(d);
        EXPECT_TRUE(t.intact && t.crypto_valid) << show(d);
    }
    EXPECT_TRUE(d.all_passed()) << show(d);
    EXPECT_EQ(schema_problems(d), "");
    // The outside judges agree (pdfsig, qpdf --check, PDFBox).
    (void)ades::testkit::judge_pdf(pdf, 1 + (c.level == Level::BLTA ? 1 : 0), c.level == Level::BLTA ? 1 : 0);
}

INSTANTIATE_TEST_SUITE_P(Levels, PadesLevels,
                         ::testing::Values(LevelCase{Level::BB, "B-B", true},
                                           LevelCase{Level::BT, "B-T", true},
                                           LevelCase{Level::BLT, "B-LT", false},
                                           LevelCase{Level::BLTA, "B-LTA", false}),
                         [](const auto& p) { return std::string{p.param.want}.substr(2); });

TEST(PadesValidation, FlippedByteInSignedRangeIsHashFailure) {
    testing::TempDir dir{"inkan-validation"};
    const fs::path pdf = sign_pdf(dir.path(), Level::BT, "signed.pdf");
    Bytes bytes = read_file(pdf);
    // A byte of the binary comment after the header (ISO 32000-1 §7.5.2), inside the first range:
    // the file still parses, only the signed bytes differ.
    bytes[find(bytes, to_bytes(std::string_view{"\n%"})) + 2] ^= 0x01;
    write_file(pdf, bytes);
    const DocumentReport d = validate_pdf(pdf, anchored(true));
    ASSERT_EQ(d.signatures.size(), 1u) << show(d);
    EXPECT_EQ(indication(d.signatures[0]), "TOTAL-FAILED/HASH_FAILURE") << show(d);
    EXPECT_EQ(schema_problems(d), "");
}

TEST(PadesValidation, FlippedSignatureValueIsSigCryptoFailure) {
    testing::TempDir dir{"inkan-validation"};
    const fs::path pdf = sign_pdf(dir.path(), Level::BB, "signed.pdf");
    const auto doc = pdf::Document::open(pdf);
    const auto sig = doc.signatures().at(0);
    const cms::SignedData sd =
        cms::parse(*ades::cms_der(ByteView{sig.contents.data(), ades::testkit::der_length(sig.contents)}));
    // The signature value as hex in the file.
    const std::string hex = hex_encode_upper(sd.signer_infos[0].signature);
    std::string text = to_string(read_file(pdf));
    auto at = text.find(hex);
    if (at == std::string::npos) {
        std::string lower = hex;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](char ch) { return static_cast<char>(std::tolower(ch)); });
        at = text.find(lower);
    }
    ASSERT_NE(at, std::string::npos);
    text[at + 20] = text[at + 20] == '0' ? '1' : '0';
    write_file(pdf, text);
    const DocumentReport d = validate_pdf(pdf, anchored(true));
    ASSERT_EQ(d.signatures.size(), 1u) << show(d);
    EXPECT_EQ(indication(d.signatures[0]), "TOTAL-FAILED/SIG_CRYPTO_FAILURE") << show(d);
}

TEST(PadesValidation, NoTrustAnchorIsNoCertificateChainFound) {
    testing::TempDir dir{"inkan-validation"};
    const fs::path pdf = sign_pdf(dir.path(), Level::BLT, "signed.pdf");
    const DocumentReport d = validate_pdf(pdf, Options{});
    ASSERT_EQ(d.signatures.size(), 1u) << show(d);
    EXPECT_EQ(indication(d.signatures[0]), "INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND") << show(d);
}

/// An incremental update with `objects` (id → body) appended to `pdf` (the kit's; /Size follows the ids).
void append_update(const fs::path& pdf, const std::map<int, std::string>& objects) {
    testpdf::append_update(pdf, testpdf::Update{objects, {}, {}});
}

TEST(PadesModification, PageAddedAfterSigningIsNotTotalPassedAndNamed) {
    testing::TempDir dir{"inkan-validation"};
    const fs::path pdf = sign_pdf(dir.path(), Level::BLT, "signed.pdf");
    // Find the Pages object and its kids with the pdf layer's reader view: the corpus has one page.
    const std::string text = to_string(read_file(pdf));
    const auto pages_at = text.find("/Type /Pages");
    ASSERT_NE(pages_at, std::string::npos);
    const auto obj_start = text.rfind(" 0 obj", pages_at);
    const auto line_start = text.rfind('\n', obj_start) + 1;
    const int pages_id = std::stoi(text.substr(line_start, obj_start - line_start));
    const auto kids = text.find("/Kids", obj_start);  // qpdf writes keys sorted: /Kids before /Type
    const std::string kids_array = text.substr(kids + 5, text.find(']', kids) - kids - 4);
    const auto sz = text.rfind("/Size");
    const int size = std::stoi(text.substr(sz + 5));
    std::string new_kids = kids_array;
    new_kids.insert(new_kids.rfind(']'), " " + std::to_string(size) + " 0 R");
    append_update(pdf, {{pages_id, "<< /Type /Pages /Kids " + new_kids + " /Count 2 >>"},
                        {size, "<< /Type /Page /Parent " + std::to_string(pages_id) +
                                   " 0 R /MediaBox [0 0 612 792] >>"}});
    ASSERT_EQ(pdf::Document::open(pdf).page_count(), 2u);
    const DocumentReport d = validate_pdf(pdf, anchored());
    ASSERT_EQ(d.signatures.size(), 1u) << show(d);
    const auto& s = d.signatures[0];
    EXPECT_NE(s.verdict.indication, Indication::TotalPassed) << show(d);
    EXPECT_TRUE(s.modification.detected) << show(d);
    const bool named =
        std::any_of(s.modification.changes.begin(), s.modification.changes.end(),
                    [](const std::string& c) { return c.find("pages added") != std::string::npos; });
    EXPECT_TRUE(named) << show(d);
    EXPECT_TRUE(s.intact && s.crypto_valid) << show(d);  // the signed bytes themselves are untouched
    EXPECT_EQ(schema_problems(d), "");
}

TEST(PadesModification, PageContentReplacedAfterSigningIsNamed) {
    testing::TempDir dir{"inkan-validation"};
    const fs::path pdf = sign_pdf(dir.path(), Level::BLT, "signed.pdf");
    const std::string text = to_string(read_file(pdf));
    // The page object: "/Type /Page" not followed by "s".
    std::size_t at = 0;
    while ((at = text.find("/Type /Page", at)) != std::string::npos && text[at + 11] == 's')
        ++at;
    ASSERT_NE(at, std::string::npos);
    const auto obj_start = text.rfind(" 0 obj", at);
    const auto line_start = text.rfind('\n', obj_start) + 1;
    const int page_id = std::stoi(text.substr(line_start, obj_start - line_start));
    const auto end = text.find("endobj", at);
    std::string page = text.substr(obj_start + 6, end - obj_start - 6);
    const auto sz = text.rfind("/Size");
    const int size = std::stoi(text.substr(sz + 5));
    const auto contents = page.find("/Contents");
    ASSERT_NE(contents, std::string::npos) << page;
    const auto ref_end = page.find('R', contents);
    page.replace(contents, ref_end - contents + 1, "/Contents " + std::to_string(size) + " 0 R");
    const std::string stream = "BT /F1 24 Tf 72 700 Td (PAY 1,000,000 JPY) Tj ET";
    append_update(pdf, {{page_id, page},
                        {size, "<< /Length " + std::to_string(stream.size()) + " >>\nstream\n" + stream +
                                   "\nendstream"}});
    const DocumentReport d = validate_pdf(pdf, anchored());
    ASSERT_EQ(d.signatures.size(), 1u) << show(d);
    const auto& s = d.signatures[0];
    EXPECT_NE(s.verdict.indication, Indication::TotalPassed) << show(d);
    const bool named =
        std::any_of(s.modification.changes.begin(), s.modification.changes.end(),
                    [](const std::string& c) { return c.find("content changed") != std::string::npos; });
    EXPECT_TRUE(named) << show(d);
}

/// Rewrites the first /ByteRange of `pdf` in place (the writer pads it with spaces, so a change of
/// at most the same length keeps every other byte where it was).
void rewrite_byte_range(const fs::path& pdf,
                        const std::function<void(std::array<std::uint64_t, 4>&)>& change) {
    std::string text = to_string(read_file(pdf));
    const auto at = text.find("/ByteRange [");
    ASSERT_NE(at, std::string::npos);
    const auto open = at + 11;
    const auto close = text.find(']', open);
    std::istringstream in{text.substr(open + 1, close - open - 1)};
    std::array<std::uint64_t, 4> br{};
    in >> br[0] >> br[1] >> br[2] >> br[3];
    change(br);
    std::string range = "[" + std::to_string(br[0]) + " " + std::to_string(br[1]) + " " +
                        std::to_string(br[2]) + " " + std::to_string(br[3]);
    ASSERT_LE(range.size(), close - open);
    range += std::string(close - open - range.size(), ' ');
    text.replace(open, close - open, range);
    write_file(pdf, text);
}

TEST(PadesByteRange, TricksAreFormatFailures) {
    struct Trick {
        const char* what;
        std::function<void(std::array<std::uint64_t, 4>&)> change;
        const char* says;
    };
    const std::vector<Trick> tricks{
        {"not ending at the revision", [](auto& br) { br[3] -= 1; }, "does not end where a revision ends"},
        {"gap reaching into the dictionary", [](auto& br) { br[1] -= 1; },
         "not exactly the /Contents hex string"},
        {"gap past the hex string",
         [](auto& br) {
             br[2] += 2;
             br[3] -= 2;
         },
         "not exactly the /Contents hex string"},
        {"overlapping ranges",
         [](auto& br) {
             const auto end = br[2] + br[3];
             br[2] = br[1] - 10;
             br[3] = end - br[2];
         },
         "overlap"},
        {"not starting at 0",
         [](auto& br) {
             br[0] = 1;
             br[1] -= 1;
         },
         "does not start at offset 0"},
        {"past the end of the file", [](auto& br) { br[3] += 10000000; }, "past the end of the file"},
    };
    for (const auto& t : tricks) {
        testing::TempDir dir{"inkan-validation"};
        const fs::path pdf = sign_pdf(dir.path(), Level::BLT, "signed.pdf");
        rewrite_byte_range(pdf, t.change);
        const DocumentReport d = validate_pdf(pdf, anchored());
        ASSERT_FALSE(d.error) << t.what << ": " << show(d);
        ASSERT_EQ(d.signatures.size(), 1u) << t.what << ": " << show(d);
        const auto& sig = d.signatures[0];
        EXPECT_EQ(indication(sig), "TOTAL-FAILED/FORMAT_FAILURE") << t.what << ": " << show(d);
        EXPECT_FALSE(sig.format_ok) << t.what;
        const bool said = std::any_of(sig.errors.begin(), sig.errors.end(), [&](const std::string& e) {
            return e.find(t.says) != std::string::npos;
        });
        EXPECT_TRUE(said) << t.what << ": " << show(d);
    }
}

TEST(PadesValidation, SecondSignatureIsAPermittedChangeForTheFirst) {
    testing::TempDir dir{"inkan-validation"};
    const fs::path first = sign_pdf(dir.path(), Level::BT, "first.pdf", 2);
    ades::PadesOptions o;
    o.level = Level::BLT;
    o.time_stamper = ades::testkit::world().stamper.get();
    o.revocation = &fetcher();
    (void)ades::sign_pdf(first, dir / "second.pdf", *ades::testkit::world().rsa, o);
    const DocumentReport d = validate_pdf(dir / "second.pdf", anchored(true));
    ASSERT_EQ(d.signatures.size(), 2u) << show(d);
    for (const auto& s : d.signatures) {
        EXPECT_EQ(indication(s), "TOTAL-PASSED") << show(d);
        EXPECT_FALSE(s.modification.detected) << show(d);
    }
    EXPECT_FALSE(d.signatures[0].modification.permitted.empty()) << show(d);  // the second signature, the DSS
    EXPECT_TRUE(d.all_passed()) << show(d);
}

TEST(CadesValidation, RevokedSignerBeforeItsTimeStampIsRevoked) {
    ades::CadesOptions o;
    o.level = Level::BLT;
    o.time_stamper = ades::testkit::world().stamper.get();
    o.revocation = &fetcher();
    o.refuse_revoked = false;
    const Bytes cms =
        ades::sign_cades(ades::CadesContent::enveloping(kContent), *ades::testkit::world().revoked, o);
    const DocumentReport d = validate_cms(cms, std::nullopt, anchored());
    ASSERT_EQ(d.signatures.size(), 1u) << show(d);
    EXPECT_EQ(indication(d.signatures[0]), "TOTAL-FAILED/REVOKED") << show(d);
    EXPECT_EQ(d.signatures[0].revocation, "revoked") << show(d);
    // Bouncy Castle reads the embedded status as revoked too (the ades e2e judge).
}

TEST(CadesValidation, ValidationTimeLongAfterEveryCertificateExpiredIsOutOfBounds) {
    // Past validation needs a proof of existence inside every certificate's period; at 2200 no
    // time-stamp's TSA certificate is valid any more and nothing newer proves them.
    Options o = anchored();
    o.validation_time = std::chrono::sys_days{std::chrono::year{2200} / 1 / 1};
    const DocumentReport d = validate_cms(sign_cades(Level::BLTA), std::nullopt, o);
    ASSERT_EQ(d.signatures.size(), 1u) << show(d);
    EXPECT_EQ(indication(d.signatures[0]), "INDETERMINATE/OUT_OF_BOUNDS_NO_POE") << show(d);
}

TEST(OpensslCms, EnvelopedPdfIsJudgedAsCms) {
    const auto& w = ades::testkit::world();
    testing::TempDir dir{"inkan-validation"};
    const auto r = run({"openssl", "cms", "-sign", "-binary", "-nodetach", "-in",
                        pdf::testkit::corpus().table.string(), "-signer", w.soft_cert_pem.string(), "-inkey",
                        w.soft_key_pem.string(), "-outform", "DER", "-out", (dir / "pdf.p7m").string()});
    ASSERT_EQ(r.exit_code, 0) << testing::describe(r);
    const DocumentReport d = validate_file(dir / "pdf.p7m", std::nullopt, anchored(true));
    EXPECT_EQ(d.format.value_or("null"), "CAdES") << show(d);
    ASSERT_EQ(d.signatures.size(), 1u) << show(d);
    EXPECT_EQ(indication(d.signatures[0]), "TOTAL-PASSED") << show(d);
}

TEST(CryptoPolicyFile, StricterRsaMinimumFailsAndUnknownKeysAreRefused) {
    testing::TempDir dir{"inkan-validation"};
    write_file(dir / "strict.toml", std::string_view{"[crypto]\nrsa_min_bits = 4096\n"});
    write_file(dir / "typo.toml", std::string_view{"[crypto]\nrsa_min_bitz = 4096\n"});
    write_file(
        dir / "lenient.toml",
        std::string_view{"[crypto]\nrsa_min_bits = 4096\nrsa_small_sunset = \"2200-01-01T00:00:00Z\"\n"});
    const Bytes cms = sign_cades(Level::BLT);  // RSA-2048
    Options o = anchored();
    o.policy = load_policy(dir / "strict.toml");
    EXPECT_EQ(o.policy.min_rsa_bits, 4096u);
    const DocumentReport strict = validate_cms(cms, std::nullopt, o);
    ASSERT_EQ(strict.signatures.size(), 1u) << show(strict);
    EXPECT_EQ(indication(strict.signatures[0]), "INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE_NO_POE")
        << show(strict);
    o.policy = load_policy(dir / "lenient.toml");
    EXPECT_EQ(indication(validate_cms(cms, std::nullopt, o).signatures.at(0)), "TOTAL-PASSED");
    try {
        (void)load_policy(dir / "typo.toml");
        ADD_FAILURE() << "a typo in the policy was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::InvalidConfig);
        EXPECT_NE(std::string{e.what()}.find("rsa_min_bitz"), std::string::npos) << e.what();
    }
}

int page_object_id(const std::string& text) {
    std::size_t at = 0;
    while ((at = text.find("/Type /Page", at)) != std::string::npos && text[at + 11] == 's')
        ++at;
    const auto obj_start = text.rfind(" 0 obj", at);
    const auto line_start = text.rfind('\n', obj_start) + 1;
    return std::stoi(text.substr(line_start, obj_start - line_start));
}

TEST(PadesModification, RedefinedCatalogIsNamed) {
    testing::TempDir dir{"inkan-validation"};
    const fs::path pdf = sign_pdf(dir.path(), Level::BLT, "signed.pdf");
    const std::string text = to_string(read_file(pdf));
    const auto tr = text.rfind("/Root");
    const int root = std::stoi(text.substr(tr + 5));
    std::string catalog = object_text(text, root);
    catalog.insert(catalog.rfind(">>"), " /OpenAction << /S /URI /URI (http://127.0.0.1/) >> ");
    append_update(pdf, {{root, catalog}});
    const DocumentReport d = validate_pdf(pdf, anchored());
    ASSERT_EQ(d.signatures.size(), 1u) << show(d);
    EXPECT_EQ(indication(d.signatures[0]), "INDETERMINATE/SIG_CONSTRAINTS_FAILURE") << show(d);
    const auto& changes = d.signatures[0].modification.changes;
    EXPECT_TRUE(std::any_of(changes.begin(), changes.end(), [](const std::string& c) {
        return c.find("/OpenAction") != std::string::npos;
    })) << show(d);
}

TEST(PadesModification, AnnotationIsPermittedForApprovalButNotUnderDocMdp2) {
    for (const std::optional<int> certify : {std::optional<int>{}, std::optional<int>{2}}) {
        testing::TempDir dir{"inkan-validation"};
        const fs::path pdf = sign_pdf(dir.path(), Level::BLT, "signed.pdf", certify);
        const std::string text = to_string(read_file(pdf));
        const int page_id = page_object_id(text);
        std::string page = object_text(text, page_id);
        const auto sz = text.rfind("/Size");
        const int size = std::stoi(text.substr(sz + 5));
        const std::string annot = std::to_string(size) + " 0 R";
        if (const auto annots = page.find("/Annots ["); annots != std::string::npos) {
            page.insert(page.find(']', annots), " " + annot);
        } else {
            page.insert(page.rfind(">>"), " /Annots [" + annot + "] ");
        }
        append_update(pdf,
                      {{page_id, page},
                       {size,
                        "<< /Type /Annot /Subtype /FreeText /Rect [0 0 600 800] /Contents (PAID) /DA (/Helv "
                        "12 Tf 0 g) >>"}});
        const DocumentReport d = validate_pdf(pdf, anchored());
        ASSERT_EQ(d.signatures.size(), 1u) << show(d);
        const auto& s = d.signatures[0];
        if (!certify) {
            EXPECT_EQ(indication(s), "TOTAL-PASSED") << show(d);
            EXPECT_TRUE(
                std::any_of(s.modification.permitted.begin(), s.modification.permitted.end(),
                            [](const std::string& c) { return c.find("/FreeText") != std::string::npos; }))
                << show(d);
        } else {
            EXPECT_EQ(indication(s), "INDETERMINATE/SIG_CONSTRAINTS_FAILURE") << show(d);
            EXPECT_TRUE(
                std::any_of(s.modification.changes.begin(), s.modification.changes.end(),
                            [](const std::string& c) { return c.find("/FreeText") != std::string::npos; }))
                << show(d);
        }
    }
}

}  // namespace
}  // namespace inkan::validation
