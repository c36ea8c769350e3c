// The batch CSV writer (issue 17, decision 0029) on reports built by hand: the column set, RFC 4180
// quoting of Japanese names with commas, quotes and newlines, formula neutralisation, the Excel style
// (BOM, CRLF), the human reason, the streamed JSON. python3's csv module is the outside judge of the
// format. Reports of real validations go through the CSV in src/app/verify_batch_test.cpp.

#include <inkan/validation/batch.h>

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/core/bytes.h>
#include <inkan/testing/process.h>

namespace inkan::validation {
namespace {

TimePoint at(long long seconds) {
    return TimePoint{std::chrono::seconds{seconds}};
}

/// A PAdES document: a signature by a Japanese signer whose name holds commas, quotes and a newline,
/// with a signature time-stamp, and a document time-stamp (B-LTA); validated at 2027-01-15T08:00:00.000Z.
BatchDocument japanese_document() {
    BatchDocument b;
    b.report.file = "契約書,第1号.pdf";
    b.report.format = "PAdES";
    b.sha256 = std::string(64, 'a');
    b.validation_time = at(1'800'000'000);
    SignatureReport s;
    s.id = "S0";
    s.field = "Signature1";
    s.signer = "CN=山田, 太郎,O=株式会社 \"見本\"\nC=JP";
    s.signer_serial = "1A2B";
    s.signer_certificate_expiry = at(1'900'000'000);
    s.intact = s.crypto_valid = s.format_ok = true;
    s.verdict = {Indication::TotalPassed, std::nullopt};
    s.level = Level::BLTA;
    s.claimed_signing_time = at(1'700'000'000);
    s.best_signature_time = at(1'700'000'005);
    TimestampReport sts;
    sts.kind = "signature";
    sts.time = at(1'700'000'005);
    sts.tsa = "CN=TSA,O=Time";
    sts.tsa_accredited = "yes";
    sts.tsa_label = "認定タイムスタンプ";
    sts.tsa_certificate_expiry = at(1'950'000'000);
    sts.verdict = {Indication::TotalPassed, std::nullopt};
    s.timestamps.push_back(sts);
    b.report.signatures.push_back(s);
    TimestampReport doc;
    doc.kind = "document";
    doc.field = "Signature2";
    doc.time = at(1'700'000'100);
    doc.tsa = "CN=Archive TSA";
    doc.tsa_certificate_expiry = at(1'990'000'000);
    doc.verdict = {Indication::TotalPassed, std::nullopt};
    b.report.document_timestamps.push_back(doc);
    return b;
}

/// python3's csv module reads `csv` (a file) and prints, per record, the number of fields and the
/// fields joined by " | " with newlines shown as \n.
std::string python_reads(const std::string& csv_text) {
    testing::TempDir dir{"inkan-batch-csv"};
    testing::write_file(dir / "out.csv", std::string_view{csv_text});
    const auto r =
        testing::run({"python3", "-c",
                      "import csv,sys\n"
                      "for row in csv.reader(open(sys.argv[1], newline='', encoding='utf-8-sig')):\n"
                      "    print(len(row), ' | '.join(c.replace('\\n', '\\\\n') for c in row))\n",
                      (dir / "out.csv").string()});
    EXPECT_EQ(r.exit_code, 0) << testing::describe(r);
    return r.out;
}

TEST(BatchCsv, HeaderNamesTheColumnsOfDecision0029InOrder) {
    EXPECT_EQ(csv_header(kCsvPlain),
              "file,sha256,format,kind,id,field,signer,signer_serial,signer_certificate_expiry,qualified,"
              "claimed_signing_time,best_signature_time,timestamp_time,tsa,tsa_accredited,tsa_label,level,"
              "last_archive_timestamp_time,last_archive_tsa_certificate_expiry,indication,subindication,"
              "reason,validation_time\n");
}

TEST(BatchCsv, JapaneseNamesWithCommasQuotesAndNewlinesRoundTripThroughPythonsCsvModule) {
    const std::string csv = to_csv({japanese_document()}, kCsvPlain);
    EXPECT_NE(csv.find("\"CN=山田, 太郎,O=株式会社 \"\"見本\"\"\nC=JP\""), std::string::npos) << csv;
    EXPECT_NE(csv.find("\"契約書,第1号.pdf\""), std::string::npos) << csv;
    const std::string read = python_reads(csv);
    EXPECT_EQ(
        read,
        "23 file | sha256 | format | kind | id | field | signer | signer_serial | "
        "signer_certificate_expiry | qualified | claimed_signing_time | best_signature_time | "
        "timestamp_time | tsa | tsa_accredited | tsa_label | level | last_archive_timestamp_time | "
        "last_archive_tsa_certificate_expiry | indication | subindication | reason | validation_time\n"
        "23 契約書,第1号.pdf | " +
            std::string(64, 'a') +
            " | PAdES | signature | S0 | Signature1 | CN=山田, 太郎,O=株式会社 \"見本\"\\nC=JP | 1A2B | "
            "2030-03-17T17:46:40.000Z | unknown | 2023-11-14T22:13:20.000Z | 2023-11-14T22:13:25.000Z | "
            "2023-11-14T22:13:25.000Z | CN=TSA,O=Time | yes | 認定タイムスタンプ | B-LTA | "
            "2023-11-14T22:15:00.000Z | 2033-01-22T09:46:40.000Z | TOTAL-PASSED |  |  | "
            "2027-01-15T08:00:00.000Z\n"
            "23 契約書,第1号.pdf | " +
            std::string(64, 'a') +
            " | PAdES | document-timestamp | T0 | Signature2 |  |  |  |  |  |  | 2023-11-14T22:15:00.000Z | "
            "CN=Archive TSA | unknown |  |  | 2023-11-14T22:15:00.000Z | 2033-01-22T09:46:40.000Z | "
            "TOTAL-PASSED |  "
            "|  | 2027-01-15T08:00:00.000Z\n");
}

TEST(BatchCsv, CellsStartingLikeAFormulaGetAnApostrophe) {
    EXPECT_EQ(csv_field("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
    EXPECT_EQ(csv_field("+1"), "'+1");
    EXPECT_EQ(csv_field("-2"), "'-2");
    EXPECT_EQ(csv_field("@SUM(A1)"), "'@SUM(A1)");
    EXPECT_EQ(csv_field("CN=a"), "CN=a");
    EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
    EXPECT_EQ(csv_field(""), "");
    BatchDocument b;
    b.report.file = "=cmd|' /C calc'!A0.pdf";
    b.report.error = "cannot read: no such file";
    const std::string read = python_reads(to_csv({b}, kCsvPlain));
    EXPECT_NE(read.find("\n23 '=cmd|' /C calc'!A0.pdf |  |  | error | "), std::string::npos) << read;
}

TEST(BatchCsv, ExcelStyleHasABomAndCrlfAndTheSameFields) {
    const auto doc = japanese_document();
    const std::string plain = to_csv({doc}, kCsvPlain);
    const std::string excel = to_csv({doc}, kCsvExcel);
    ASSERT_EQ(excel.rfind("\xEF\xBB\xBF"
                          "file,sha256,",
                          0),
              0U)
        << excel.substr(0, 20);
    // Every record ends with CRLF; the newline inside the quoted signer stays a bare LF.
    EXPECT_NE(excel.find("validation_time\r\n"), std::string::npos);
    EXPECT_NE(excel.find("見本\"\"\nC=JP"), std::string::npos) << excel;
    EXPECT_EQ(excel.substr(excel.size() - 2), "\r\n");
    EXPECT_EQ(python_reads(excel), python_reads(plain));
    EXPECT_EQ(plain.find('\r'), std::string::npos);
}

TEST(BatchCsv, ReasonSaysWhatWasModifiedAfterSigningAndWhy) {
    SignatureReport s;
    s.verdict = {Indication::TotalFailed, SubIndication::HashFailure};
    s.modification = {true, {"page 2: content changed", "catalog /OpenAction changed"}, {}};
    s.errors = {"a change after signing that the signature does not permit"};
    TimestampReport t;
    t.kind = "signature";
    t.verdict = {Indication::Indeterminate, SubIndication::NoCertificateChainFound};
    t.errors = {"no chain to a trust anchor"};
    s.timestamps.push_back(t);
    EXPECT_EQ(human_reason(s),
              "modified after signing: page 2: content changed; catalog /OpenAction changed; a change after "
              "signing that the signature does not permit; signature time-stamp: no chain to a trust anchor");
    s.verdict = {Indication::TotalPassed, std::nullopt};
    EXPECT_EQ(human_reason(s), "");
    SignatureReport bare;
    bare.verdict = {Indication::Indeterminate, SubIndication::TryLater};
    EXPECT_EQ(human_reason(bare), "TRY_LATER");
}

TEST(BatchCsv, FilesWithoutSignatureOrUnreadableAreOneRowEach) {
    BatchDocument none;
    none.report.file = "plain.txt";
    BatchDocument bad;
    bad.report.file = "gone.pdf";
    bad.report.error = "cannot read: no such file";
    const std::string read = python_reads(to_csv({none, bad}, kCsvPlain));
    EXPECT_NE(read.find("\n23 plain.txt |  |  | none |"), std::string::npos) << read;
    EXPECT_NE(read.find("| no signature or document time-stamp found | 1970-01-01T00:00:00.000Z\n"),
              std::string::npos)
        << read;
    EXPECT_NE(read.find("\n23 gone.pdf |  |  | error |"), std::string::npos) << read;
    EXPECT_NE(read.find("| cannot read: no such file |"), std::string::npos) << read;
}

TEST(BatchCsv, SummaryCountsSignaturesAndTimestampsByIndication) {
    BatchSummary sum;
    sum.add(japanese_document().report);
    DocumentReport failed;
    SignatureReport f;
    f.verdict = {Indication::TotalFailed, SubIndication::HashFailure};
    SignatureReport i;
    i.verdict = {Indication::Indeterminate, SubIndication::NoCertificateChainFound};
    failed.signatures = {f, i};
    sum.add(failed);
    sum.add(DocumentReport{});
    DocumentReport err;
    err.error = "x";
    sum.add(err);
    EXPECT_EQ(sum.text(),
              "4 files, 4 signatures and document time-stamps: 2 passed, 1 failed, 1 indeterminate; 1 files "
              "without a signature, 1 files not readable or not parsable");
}

TEST(BatchJson, StreamedDocumentsAreByteForByteTheReportOfAllAtOnce) {
    const auto a = japanese_document().report;
    DocumentReport b;
    b.file = "b.bin";
    b.error = "neither a PDF nor a CMS signature";
    const std::string streamed = std::string{json_documents_begin()} + json_document(a) + ",\n" +
                                 json_document(b) + std::string{json_documents_end()};
    EXPECT_EQ(streamed, to_json({a, b}));
    const auto j = nlohmann::json::parse(streamed);
    EXPECT_EQ(j["documents"][0]["signatures"][0]["signer_serial"], "1A2B") << streamed;
    EXPECT_EQ(j["documents"][0]["signatures"][0]["signer_certificate_expiry"], "2030-03-17T17:46:40.000Z");
    EXPECT_EQ(j["documents"][0]["signatures"][0]["qualified"], "unknown");
    EXPECT_EQ(j["documents"][0]["signatures"][0]["timestamps"][0]["tsa_accredited"], "yes");
    EXPECT_EQ(j["documents"][0]["signatures"][0]["timestamps"][0]["tsa_label"], "認定タイムスタンプ");
    EXPECT_EQ(j["documents"][0]["document_timestamps"][0]["tsa_certificate_expiry"],
              "2033-01-22T09:46:40.000Z");
}

}  // namespace
}  // namespace inkan::validation
