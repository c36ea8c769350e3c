// `inkan extend`: the command's refusals through the real binary. The extension itself (DSS update,
// document time-stamp, extend twice, revocation failures) is tested with outside judges in
// src/ades/lt_test.cpp.

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include <inkan/testing/process.h>

#include "e2e_support.h"

namespace fs = std::filesystem;
using inkan::e2e::run_inkan;
using inkan::testing::CommandResult;
using inkan::testing::run;
using inkan::testing::TempDir;

namespace {

/// A minimal one-page PDF, normalised by qpdf so its xref is exact.
fs::path unsigned_pdf(const TempDir& dir) {
    const std::string raw =
        "%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
        "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n"
        "trailer << /Root 1 0 R /Size 4 >>\n%%EOF\n";
    inkan::testing::write_file(dir / "raw.pdf", std::string_view{raw});
    const auto r = run({"qpdf", (dir / "raw.pdf").string(), (dir / "plain.pdf").string()});
    EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 3) << r.err;  // 3: warnings (xref rebuilt)
    return dir / "plain.pdf";
}

TEST(ExtendCli, WithoutATsaIsAUsageError) {
    TempDir dir{"inkan-extend-cli"};
    const auto in = unsigned_pdf(dir);
    const auto r = run_inkan({"extend", in.string(), (dir / "out.pdf").string()});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_NE(r.err.find("--tsa"), std::string::npos) << describe(r);
    EXPECT_FALSE(fs::exists(dir / "out.pdf"));
}

TEST(ExtendCli, UnsignedDocumentIsRefusedAndNoOutputIsWritten) {
    TempDir dir{"inkan-extend-cli"};
    const auto in = unsigned_pdf(dir);
    const auto r =
        run_inkan({"extend", in.string(), (dir / "out.pdf").string(), "--tsa", "http://127.0.0.1:1/tsa"});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("no signature"), std::string::npos) << describe(r);
    EXPECT_NE(r.err.find("[invalid_request]"), std::string::npos) << describe(r);
    EXPECT_FALSE(fs::exists(dir / "out.pdf"));
}

TEST(ExtendCli, NotAPdfIsRefusedAndNoOutputIsWritten) {
    TempDir dir{"inkan-extend-cli"};
    inkan::testing::write_file(dir / "in.pdf", std::string_view{"hello"});
    const auto r = run_inkan(
        {"extend", (dir / "in.pdf").string(), (dir / "out.pdf").string(), "--tsa", "http://127.0.0.1:1/tsa"});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_FALSE(fs::exists(dir / "out.pdf"));
}

}  // namespace
