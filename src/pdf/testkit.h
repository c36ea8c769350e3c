#pragma once

// Test documents, a throwaway test PKI and the outside judges (openssl cms, pdfsig, qpdf) for the
// pdf tests. Everything is generated at test time in temporary directories.

#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/pdf/document.h>
#include <inkan/testing/pdf_text.h>
#include <inkan/testing/process.h>

namespace inkan::pdf::testkit {

/// Writes a PDF with correct offsets and a classic xref table (shared with the app's e2e tests).
using ::inkan::testing::build_pdf;

/// Test inputs, made once per process (qpdf normalises the hand-written files).
struct Corpus {
    std::filesystem::path table;   ///< one page, classic xref table
    std::filesystem::path stream;  ///< the same with object streams and an xref stream
    std::filesystem::path
        form;  ///< AcroForm with a filled text field and an empty signature field "Approval"
    std::filesystem::path form_stream;     ///< `form` with an xref stream
    std::filesystem::path two_pages;       ///< two pages, classic xref table
    std::filesystem::path encrypted;       ///< AES-256, user password "user"
    std::filesystem::path encrypted_open;  ///< AES-256, empty user password
    std::filesystem::path truncated;       ///< the first half of `table`
    std::filesystem::path not_pdf;         ///< plain text
    std::filesystem::path bad_startxref;   ///< `table` with a startxref pointing into the middle of an object
};
const Corpus& corpus();

/// A test CA, a signer certificate and an NSS database that trusts the CA (for pdfsig).
struct Pki {
    std::filesystem::path ca_cert, signer_cert, signer_key, nss_dir;
    std::filesystem::path tsa_cert, tsa_key, tsa_config;  ///< for `openssl ts -reply`
};
const Pki& pki();

/// Signs the prepared byte ranges with `openssl cms -sign` (detached, DER) and embeds the result.
void sign_with_openssl(PreparedSignature& prepared);

/// Time-stamps the prepared byte ranges with `openssl ts -query` + `openssl ts -reply -token_out`
/// and embeds the bare TimeStampToken (a document time-stamp).
void timestamp_with_openssl(PreparedSignature& prepared);

/// The signed bytes of the signature whose /ByteRange is `range`, read from the final file.
Bytes signed_bytes(const std::filesystem::path& pdf, const std::array<std::uint64_t, 4>& range);

/// `pdfsig -nssdir`: its full output, and per signature whether it said "Signature is Valid."
struct PdfSig {
    std::string out;
    int valid = 0;    ///< "Signature Validation: Signature is Valid."
    int trusted = 0;  ///< "Certificate Validation: Certificate is Trusted."
    int total = 0;    ///< signatures listed
};
PdfSig pdfsig(const std::filesystem::path& pdf);
/// The same with another NSS database (`sql:nss_dir`), e.g. one whose CA runs an OCSP responder.
PdfSig pdfsig(const std::filesystem::path& pdf, const std::filesystem::path& nss_dir);

/// `qpdf --check`: exit code 0 and "No syntax or stream encoding errors found".
testing::CommandResult qpdf_check(const std::filesystem::path& pdf);

/// True if the first a.size() bytes of file b equal file a.
bool is_prefix(const std::filesystem::path& a, const std::filesystem::path& b);

/// Minimal PNG and JPEG images made by the tools at hand (ImageMagick is not assumed): a red
/// square with a transparent corner (PNG, written with zlib by hand) and a JPEG from pdftoppm.
Bytes test_png(std::uint32_t size);
Bytes test_jpeg();

/// Renders page `page` (1-based) at 72 dpi in grey and returns the pixels (row-major, 0 = black).
struct Gray {
    int width = 0, height = 0;
    Bytes pixels;
    [[nodiscard]] int at(int x, int y) const { return pixels.at(static_cast<std::size_t>(y * width + x)); }
};
Gray render(const std::filesystem::path& pdf, int page);

}  // namespace inkan::pdf::testkit
