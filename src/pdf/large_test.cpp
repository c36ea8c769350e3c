#include <inkan/pdf/document.h>

#include <sys/resource.h>

#include <fstream>

#include <gtest/gtest.h>

#include "testkit.h"

namespace inkan::pdf {
namespace {

long peak_rss_kib() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

/// A one-page PDF with an extra stream of `megabytes` MiB, written piece by piece.
void write_large_pdf(const std::filesystem::path& path, std::size_t megabytes) {
    std::ofstream out{path, std::ios::binary};
    std::string head = "%PDF-1.7\n";
    std::vector<std::size_t> offsets;
    auto object = [&](const std::string& text) {
        offsets.push_back(head.size());
        head += std::to_string(offsets.size()) + " 0 obj\n" + text + "\nendobj\n";
    };
    object("<< /Type /Catalog /Pages 2 0 R /InkanPayload 4 0 R >>");
    object("<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    object("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>");
    const std::size_t length = megabytes * 1024 * 1024;
    offsets.push_back(head.size());
    head += "4 0 obj\n<< /Length " + std::to_string(length) + " >>\nstream\n";
    out << head;
    const std::string chunk(1024 * 1024, 'x');
    for (std::size_t i = 0; i < megabytes; ++i)
        out << chunk;
    std::size_t pos = head.size() + length;
    const std::string tail_obj = "\nendstream\nendobj\n";
    out << tail_obj;
    pos += tail_obj.size();
    std::string xref = "xref\n0 5\n0000000000 65535 f\r\n";
    for (const auto off : offsets) {
        char line[32];
        std::snprintf(line, sizeof line, "%010zu 00000 n\r\n", off);
        xref += line;
    }
    out << xref << "trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n" << pos << "\n%%EOF\n";
}

TEST(PdfLargeFile, A50MiBFileIsPreparedAndHashedWithoutGrowingMemory) {
    testing::TempDir dir;
    write_large_pdf(dir / "large.pdf", 50);
    const auto size = std::filesystem::file_size(dir / "large.pdf");
    ASSERT_GT(size, 50u * 1024 * 1024);

    const long before = peak_rss_kib();
    const auto doc = Document::open(dir / "large.pdf");
    SignatureSpec spec;
    spec.contents_size = 8192;
    auto prepared = doc.prepare(spec, dir / "signed.pdf");
    std::uint64_t streamed = 0;
    prepared.hash_ranges([&](ByteView chunk) { streamed += chunk.size(); });
    const long growth_kib = peak_rss_kib() - before;
    // The file is 50 MiB; the pdf layer holds 64 KiB buffers and qpdf's parsed objects only.
    EXPECT_LT(growth_kib, 8 * 1024) << "peak RSS grew by " << growth_kib << " KiB";
    EXPECT_EQ(streamed, prepared.byte_range()[1] + prepared.byte_range()[3]);
    EXPECT_GT(streamed, size);

    testkit::sign_with_openssl(prepared);
    EXPECT_TRUE(testkit::is_prefix(dir / "large.pdf", dir / "signed.pdf"));
    const auto s = testkit::pdfsig(dir / "signed.pdf");
    EXPECT_EQ(s.valid, 1) << s.out;
}

}  // namespace
}  // namespace inkan::pdf
