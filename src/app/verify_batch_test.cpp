// `inkan verify --csv` (issue 17, decision 0029) through the real binary: a directory with a PDF and a
// CMS signed by openssl (a Japanese signer whose name holds a comma), the PDF tampered, an XML-DSig by
// xmlsec1, an unsigned PDF, a text file and a dangling link; --jobs 1 and 4; --excel; --json-report; names on
// stdin; Ctrl-C on a real process mid-batch. python3's csv module reads every CSV (the outside judge of
// the format); the JSON report is checked against docs/validation-report.schema.json.

#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/core/bytes.h>
#include <inkan/core/error.h>
#include <inkan/pdf/document.h>
#include <inkan/testing/process.h>

#include "e2e_support.h"

namespace fs = std::filesystem;
using inkan::e2e::run_inkan;
using inkan::testing::describe;
using inkan::testing::read_file;
using inkan::testing::run;
using inkan::testing::TempDir;
using inkan::testing::write_file;

namespace {

constexpr const char* kAt = "2027-06-01T00:00:00Z";

/// The signed corpus, made once: in `docs/` one file of each kind; `anchor` trusts the signer.
class VerifyBatch : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_dir = std::make_unique<TempDir>("inkan-verify-batch");
        const fs::path d = s_dir->path();
        s_docs = d / "docs";
        fs::create_directories(s_docs / "sub");
        s_anchor = d / "signer.pem";
        const fs::path key = d / "signer-key.pem";
        const auto req =
            run({"openssl", "req", "-x509", "-utf8", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-nodes", "-keyout", key.string(), "-out", s_anchor.string(), "-subj",
                 "/CN=山田, 太郎/O=株式会社 見本", "-days", "3650", "-set_serial", "0x1234ABCD"});
        ASSERT_EQ(req.exit_code, 0) << describe(req);

        // CAdES (attached CMS) by openssl.
        write_file(d / "content.txt", std::string_view{"batch me\n"});
        const auto cms = run({"openssl", "cms", "-sign", "-binary", "-nodetach", "-in",
                              (d / "content.txt").string(), "-signer", s_anchor.string(), "-inkey",
                              key.string(), "-outform", "DER", "-out", (s_docs / "b-cades.p7s").string()});
        ASSERT_EQ(cms.exit_code, 0) << describe(cms);

        // A PDF signed with openssl over inkan's prepared ByteRange; then the same, one signed byte changed.
        const std::string raw =
            "%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
            "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n"
            "trailer << /Root 1 0 R /Size 4 >>\n%%EOF\n";
        write_file(d / "raw.pdf", std::string_view{raw});
        const auto q = run({"qpdf", (d / "raw.pdf").string(), (s_docs / "e-unsigned.pdf").string()});
        ASSERT_TRUE(q.exit_code == 0 || q.exit_code == 3) << describe(q);
        {
            const auto doc = inkan::pdf::Document::open(s_docs / "e-unsigned.pdf");
            inkan::pdf::SignatureSpec spec;
            spec.sub_filter = inkan::pdf::SubFilter::Pkcs7Detached;
            auto prepared = doc.prepare(spec, s_docs / "a-good.pdf");
            inkan::Bytes ranges;
            prepared.hash_ranges(
                [&](inkan::ByteView chunk) { ranges.insert(ranges.end(), chunk.begin(), chunk.end()); });
            write_file(d / "ranges.bin", ranges);
            const auto r = run({"openssl", "cms", "-sign", "-binary", "-in", (d / "ranges.bin").string(),
                                "-signer", s_anchor.string(), "-inkey", key.string(), "-outform", "DER",
                                "-out", (d / "sig.der").string()});
            ASSERT_EQ(r.exit_code, 0) << describe(r);
            prepared.embed(read_file(d / "sig.der"));
        }
        auto pdf = read_file(s_docs / "a-good.pdf");
        const std::string needle = "595 842";
        const auto at = std::search(pdf.begin(), pdf.end(), needle.begin(), needle.end());
        ASSERT_NE(at, pdf.end());
        *(at + 6) = '3';  // MediaBox 595 843: inside the signed ByteRange
        write_file(s_docs / "c-tampered.pdf", pdf);

        // An enveloped XML-DSig by xmlsec1.
        write_file(d / "template.xml",
                   std::string_view{
                       "<Invoice><Amount>100</Amount><Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\">"
                       "<SignedInfo><CanonicalizationMethod "
                       "Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>"
                       "<SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256\"/>"
                       "<Reference URI=\"\"><Transforms><Transform "
                       "Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/></Transforms>"
                       "<DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><DigestValue/>"
                       "</Reference></SignedInfo><SignatureValue/><KeyInfo><X509Data/></KeyInfo></Signature>"
                       "</Invoice>\n"});
        const auto x =
            run({"xmlsec1", "--sign", "--privkey-pem", key.string() + "," + s_anchor.string(), "--output",
                 (s_docs / "sub" / "d-xades.xml").string(), (d / "template.xml").string()});
        ASSERT_EQ(x.exit_code, 0) << describe(x);

        write_file(s_docs / "f-notes.txt", std::string_view{"no signature here\n"});
        fs::create_symlink(d / "nowhere.pdf", s_docs / "g-dangling.pdf");  // cannot be read
    }
    static void TearDownTestSuite() { s_dir.reset(); }

    /// python3's csv module on `file`: records as "kind|id|indication|subindication|file name|signer"
    /// lines after a first line "<records> <columns of the header> <all records have them: ok|bad>".
    static std::string python_reads(const fs::path& file, const std::string& fields = "") {
        const auto r =
            run({"python3", "-c",
                 "import csv,sys,os\n"
                 "rows=list(csv.reader(open(sys.argv[1],newline='',encoding='utf-8-sig')))\n"
                 "h=rows[0]\n"
                 "print(len(rows)-1, len(h), 'ok' if all(len(x)==len(h) for x in rows) else 'bad')\n"
                 "for x in rows[1:]:\n"
                 "    d=dict(zip(h,x))\n"
                 "    print('|'.join([d['kind'],d['id'],d['indication'],d['subindication'],"
                 "os.path.basename(d['file'])]+[d[f] for f in sys.argv[2].split(',') if f]))\n",
                 file.string(), fields});
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        return r.out;
    }

    static inline std::unique_ptr<TempDir> s_dir;
    static inline fs::path s_docs, s_anchor;
};

TEST_F(VerifyBatch, DirectoryGivesOneRowPerSignatureOrFileWithTheRightIndications) {
    const fs::path out = s_dir->path() / "dir.csv";
    const auto r = run_inkan(
        {"verify", "--trust-anchor", s_anchor.string(), "--at", kAt, "--csv", out.string(), s_docs.string()});
    EXPECT_EQ(r.exit_code, 2) << describe(r);  // the dangling link cannot be read
    // validate_pdf reports a PDF without signature as an `error` ("no signature"), so it is an error row.
    EXPECT_FALSE(fs::exists(out.string() + ".tmp"));
    EXPECT_EQ(
        python_reads(out, "signer,signer_serial,reason"),
        "7 23 ok\n"
        "signature|S0|TOTAL-PASSED||a-good.pdf|O=株式会社 見本,CN=山田\\, 太郎|1234ABCD|\n"
        "signature|S0|TOTAL-PASSED||b-cades.p7s|O=株式会社 見本,CN=山田\\, 太郎|1234ABCD|\n"
        "signature|S0|TOTAL-FAILED|HASH_FAILURE|c-tampered.pdf|O=株式会社 見本,CN=山田\\, 太郎|1234ABCD|"
        "message-digest does not match the bytes of /ByteRange\n"
        "error||||e-unsigned.pdf|||the document has no signature or document time-stamp\n"
        "error||||f-notes.txt|||neither a PDF nor a CMS signature (DER or PEM)\n"
        "error||||g-dangling.pdf|||cannot read: cannot read the file\n"
        "signature|S0|TOTAL-PASSED||d-xades.xml|O=株式会社 見本,CN=山田\\, 太郎|1234ABCD|\n")
        << inkan::to_string(read_file(out));
    EXPECT_NE(
        r.err.find("7 files, 4 signatures and document time-stamps: 3 passed, 1 failed, 0 indeterminate; "
                   "0 files without a signature, 3 files not readable or not parsable"),
        std::string::npos)
        << describe(r);
}

TEST_F(VerifyBatch, JobsOneAndJobsFourWriteTheSameCsvAndJson) {
    std::vector<std::string> files;
    for (int i = 0; i < 6; ++i) {
        for (const char* f : {"a-good.pdf", "b-cades.p7s", "c-tampered.pdf", "sub/d-xades.xml"})
            files.push_back((s_docs / f).string());
    }
    std::string csv[2], json[2];
    int n = 0;
    for (const char* jobs : {"1", "4"}) {
        const fs::path out = s_dir->path() / (std::string{"jobs"} + jobs + ".csv");
        const fs::path rep = s_dir->path() / (std::string{"jobs"} + jobs + ".json");
        std::vector<std::string> args{
            "verify", "--trust-anchor", s_anchor.string(), "--at",          kAt,         "--jobs",
            jobs,     "--csv",          out.string(),      "--json-report", rep.string()};
        args.insert(args.end(), files.begin(), files.end());
        const auto r = run_inkan(args);
        EXPECT_EQ(r.exit_code, 1) << describe(r);  // the tampered PDF
        csv[n] = inkan::to_string(read_file(out));
        json[n] = inkan::to_string(read_file(rep));
        ++n;
    }
    EXPECT_EQ(csv[0], csv[1]);
    EXPECT_EQ(json[0], json[1]);
    EXPECT_EQ(std::count(csv[0].begin(), csv[0].end(), '\n'), 25) << csv[0];
    EXPECT_EQ(inkan::e2e::report_schema_problems(json[0]), "");
    const auto j = nlohmann::json::parse(json[0]);
    ASSERT_EQ(j["documents"].size(), 24U);
    EXPECT_EQ(j["documents"][2]["signatures"][0]["subindication"], "HASH_FAILURE") << json[0];
    EXPECT_EQ(j["documents"][1]["signatures"][0]["signer_serial"], "1234ABCD") << json[0];
}

TEST_F(VerifyBatch, ExcelCsvHasABomAndCrlfRecords) {
    const fs::path out = s_dir->path() / "excel.csv";
    const auto r =
        run_inkan({"verify", "--trust-anchor", s_anchor.string(), "--at", kAt, "--excel", "--csv",
                   out.string(), (s_docs / "a-good.pdf").string(), (s_docs / "b-cades.p7s").string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    const std::string text = inkan::to_string(read_file(out));
    ASSERT_EQ(text.rfind("\xEF\xBB\xBF"
                         "file,sha256,format,",
                         0),
              0U)
        << text.substr(0, 40);
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3) << text;
    EXPECT_EQ(std::count(text.begin(), text.end(), '\r'), 3) << text;
    EXPECT_EQ(text.find("\n\n"), std::string::npos);
    EXPECT_EQ(python_reads(out, "claimed_signing_time,validation_time").substr(0, 9), "2 23 ok\ns") << text;
    // The sha256 column is the file's (sha256sum agrees).
    const auto sum = run({"sha256sum", (s_docs / "a-good.pdf").string()});
    EXPECT_NE(text.find(sum.out.substr(0, 64)), std::string::npos) << text;
}

TEST_F(VerifyBatch, NamesOnStdinAndUsageErrors) {
    const fs::path out = s_dir->path() / "stdin.csv";
    const std::string names =
        (s_docs / "b-cades.p7s").string() + "\n" + (s_docs / "a-good.pdf").string() + "\n";
    const auto r = run_inkan(
        {"verify", "--trust-anchor", s_anchor.string(), "--csv", out.string(), "--jobs", "2", "-"}, names);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    const std::string read = python_reads(out);
    EXPECT_EQ(read,
              "2 23 ok\nsignature|S0|TOTAL-PASSED||b-cades.p7s\nsignature|S0|TOTAL-PASSED||a-good.pdf\n");

    EXPECT_EQ(run_inkan({"verify", "--csv", out.string(), "--jobs", "0", s_docs.string()}).exit_code, 2);
    EXPECT_EQ(run_inkan({"verify", "--jobs", "2", s_docs.string()}).exit_code, 2);
    EXPECT_EQ(run_inkan({"verify", "--csv", "-", "--json", s_docs.string()}).exit_code, 2);
}

TEST_F(VerifyBatch, JsonWithCsvPrintsTheBatchReportOnStdoutAsJsonReportWritesIt) {
    // `--json` beside `--csv OUT`: the same batch as one report (one document per file), on stdout.
    const std::vector<std::string> files{(s_docs / "a-good.pdf").string(),
                                         (s_docs / "c-tampered.pdf").string(),
                                         (s_docs / "sub" / "d-xades.xml").string()};
    const fs::path rep = s_dir->path() / "stdout-twin.json";
    std::vector<std::string> to_file{"verify",
                                     "--trust-anchor",
                                     s_anchor.string(),
                                     "--at",
                                     kAt,
                                     "--csv",
                                     (s_dir->path() / "stdout-twin-a.csv").string(),
                                     "--json-report",
                                     rep.string()};
    std::vector<std::string> to_stdout{"verify",
                                       "--trust-anchor",
                                       s_anchor.string(),
                                       "--at",
                                       kAt,
                                       "--csv",
                                       (s_dir->path() / "stdout-twin-b.csv").string(),
                                       "--json"};
    to_file.insert(to_file.end(), files.begin(), files.end());
    to_stdout.insert(to_stdout.end(), files.begin(), files.end());
    const auto written = run_inkan(to_file);
    EXPECT_EQ(written.exit_code, 1) << describe(written);  // the tampered PDF
    const auto printed = run_inkan(to_stdout);
    EXPECT_EQ(printed.exit_code, 1) << describe(printed);
    EXPECT_EQ(inkan::e2e::report_schema_problems(printed.out), "") << printed.out;
    const auto j = nlohmann::json::parse(printed.out);
    ASSERT_EQ(j["documents"].size(), 3U) << printed.out;
    EXPECT_EQ(j["documents"][1]["signatures"][0]["subindication"], "HASH_FAILURE") << printed.out;
    EXPECT_EQ(j, nlohmann::json::parse(inkan::to_string(read_file(rep))));
}

// Ctrl-C mid-batch: the process stops taking files, writes the rows of those done (input order), renames
// its temporary file (OUT.inkan-XXXXXXXXXXXX.tmp, decision 0040) to OUT and exits 130; every record of the
// CSV is whole.
TEST_F(VerifyBatch, SigintMidBatchLeavesACsvWithCompleteRowsOnly) {
    const fs::path many = s_dir->path() / "many";
    fs::create_directories(many);
    constexpr int kFiles = 3000;
    for (int i = 0; i < kFiles; ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "%05d.pdf", i);
        fs::create_hard_link(s_docs / "a-good.pdf", many / name);
    }
    const fs::path out = s_dir->path() / "interrupted.csv";
    inkan::testing::Process p{{INKAN_BIN, "verify", "--trust-anchor", s_anchor.string(), "--jobs", "2",
                               "--csv", out.string(), many.string()}};
    // The temporary file beside OUT, named by the writer.
    const auto temporary = [&out]() -> std::optional<fs::path> {
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(out.parent_path(), ec)) {
            const std::string name = e.path().filename().string();
            if (name.starts_with(out.filename().string() + ".inkan-") && name.ends_with(".tmp"))
                return e.path();
        }
        return std::nullopt;
    };
    // Wait for some rows (a limit for a hung process only, not a timing assertion).
    for (int i = 0; i < 6000; ++i) {
        std::error_code ec;
        if (const auto tmp = temporary(); tmp && fs::file_size(*tmp, ec) > 20'000 && !ec) break;
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    ASSERT_EQ(::kill(p.pid(), SIGINT), 0);
    try {
        for (;;)
            (void)p.read_line(std::chrono::seconds{120});  // until stdout closes: the process has ended
    } catch (const inkan::Error&) {
    }
    const int status = p.terminate();
    EXPECT_EQ(status, 130) << p.stderr_text();
    EXPECT_NE(p.stderr_text().find("inkan: interrupted: "), std::string::npos) << p.stderr_text();
    ASSERT_TRUE(fs::exists(out)) << p.stderr_text();
    EXPECT_FALSE(temporary().has_value()) << "the temporary file was renamed";
    const std::string read = python_reads(out);
    const auto first = read.substr(0, read.find('\n'));
    const int records = std::stoi(first);
    EXPECT_EQ(first, std::to_string(records) + " 23 ok") << read.substr(0, 300);
    EXPECT_GT(records, 0) << first;
    EXPECT_LT(records, kFiles) << "the batch finished before SIGINT: " << first;
    // Input order, no gap: the records are the first files, each once.
    const std::string text = inkan::to_string(read_file(out));
    char last[32];
    std::snprintf(last, sizeof last, "%05d.pdf", records - 1);
    EXPECT_NE(text.find(last), std::string::npos) << first;
    EXPECT_EQ(std::count(read.begin(), read.end(), '\n'), records + 1);
    EXPECT_EQ(read.find("|error|"), std::string::npos);
}

}  // namespace
