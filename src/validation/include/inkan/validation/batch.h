#pragma once

// Batch validation output (issue 17, decision 0029): the CSV an auditor opens — one row per signature
// and per PDF document time-stamp, one row for a file with neither or that cannot be read — and the
// pieces `inkan verify --csv/--json-report` and POST /inkan/v1/validate (Accept: text/csv) share, so that
// the CLI and the service write the same columns with the same code.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/validation/report.h>

namespace inkan::validation {

/// One validated document with what the CSV says about it besides the report.
struct BatchDocument {
    DocumentReport report;
    std::string sha256;  ///< lower-case hex of the whole file; empty when it could not be read
    TimePoint validation_time{};
};

/// Line endings and byte order mark. RFC 4180 §2 ends records with CRLF; a plain file for Unix tools
/// ends them with LF. Spreadsheet software needs the UTF-8 BOM to read Japanese names correctly.
struct CsvStyle {
    bool bom = false;
    bool crlf = false;
};
inline constexpr CsvStyle kCsvPlain{};
inline constexpr CsvStyle kCsvExcel{true, true};
inline constexpr CsvStyle kCsvHttp{false, true};  ///< text/csv (RFC 4180 §3: CRLF)

/// The column names, in order (decision 0029).
const std::vector<std::string_view>& csv_columns();
/// The BOM (if the style has one) and the header record.
std::string csv_header(CsvStyle style);
/// The records of one document (each ends with the style's line ending): a row per signature (and
/// counter-signature) in report order, then a row per document time-stamp; one row when it has none.
std::string csv_rows(const BatchDocument& document, CsvStyle style);
/// csv_header and the rows of every document, in order.
std::string to_csv(const std::vector<BatchDocument>& documents, CsvStyle style);

/// One field, RFC 4180 §2: quoted when it holds a comma, a double quote, CR or LF (quotes doubled).
/// A value starting with = + - @ (or TAB/CR) gets a leading apostrophe first, so that spreadsheet
/// software shows it as text instead of evaluating it as a formula (CSV injection).
std::string csv_field(std::string_view value);

/// Why a signature is not TOTAL-PASSED, in a line: "modified after signing: page 2: content changed",
/// then its errors and those of its failing time-stamps ("; " between). Empty when it passed.
std::string human_reason(const SignatureReport& signature);
std::string human_reason(const TimestampReport& timestamp);

/// Counts over a batch; text() is the summary line `inkan verify --csv` prints.
struct BatchSummary {
    std::size_t files = 0;
    std::size_t signatures = 0;  ///< signatures and document time-stamps
    std::size_t passed = 0;
    std::size_t failed = 0;
    std::size_t indeterminate = 0;
    std::size_t unsigned_files = 0;  ///< read, but neither signature nor document time-stamp
    std::size_t error_files = 0;     ///< could not be read or parsed
    void add(const DocumentReport& document);
    [[nodiscard]] std::string text() const;
};

/// Lower-case hex SHA-256 of a file (streamed) or of bytes.
std::string sha256_hex_of_file(const std::filesystem::path& file);
std::string sha256_hex(ByteView data);

/// One document of to_json's "documents" array, exactly as to_json({document}) writes it (indented for
/// its place in the array): a batch streams `{"documents": [` + these joined by ",\n" + `]}` and gets
/// the bytes to_json would write for all of them at once, without holding them all.
std::string json_document(const DocumentReport& document);
/// The text before the first and after the last json_document of a streamed report.
std::string_view json_documents_begin();
std::string_view json_documents_end();

/// Initialises the parsers' process-wide state (libxml2's xmlInitParser) on the calling thread, before
/// validations run on several threads.
void prepare_for_threads();

}  // namespace inkan::validation
