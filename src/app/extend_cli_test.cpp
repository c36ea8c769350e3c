// `inkan extend`: the command's refusals through the real binary, for PDFs and for CMS (CAdES). The
// extension itself is tested with outside judges in src/ades/lt_test.cpp, src/ades/cades_lt_test.cpp and
// src/app/client_e2e_test.cpp.

#include <filesystem>
#include <string>
#include <vector>

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

/// A CMS made by openssl with a throw-away self-signed key: detached (DER) or enveloping (PEM).
fs::path openssl_cms(const TempDir& dir, bool detached) {
    if (!fs::exists(dir / "cert.pem")) {
        const auto key =
            run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                 "-keyout", (dir / "key.pem").string(), "-subj", "/CN=Extend CLI Test", "-days", "1", "-out",
                 (dir / "cert.pem").string()});
        EXPECT_EQ(key.exit_code, 0) << key.err;
        inkan::testing::write_file(dir / "content.txt", std::string_view{"signed content\n"});
    }
    const fs::path out = dir / (detached ? "detached.p7s" : "enveloping.pem");
    std::vector<std::string> argv{"openssl",
                                  "cms",
                                  "-sign",
                                  "-cades",
                                  "-binary",
                                  "-in",
                                  (dir / "content.txt").string(),
                                  "-signer",
                                  (dir / "cert.pem").string(),
                                  "-inkey",
                                  (dir / "key.pem").string(),
                                  "-outform",
                                  detached ? "DER" : "PEM",
                                  "-out",
                                  out.string()};
    if (!detached) {
        argv.emplace_back("-nodetach");
    }
    const auto r = run(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return out;
}

TEST(ExtendCli, DetachedCmsWithoutContentIsAUsageErrorAndNoOutputIsWritten) {
    TempDir dir{"inkan-extend-cli"};
    const auto in = openssl_cms(dir, true);
    const auto r =
        run_inkan({"extend", in.string(), (dir / "out.p7s").string(), "--tsa", "http://127.0.0.1:1/tsa"});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_NE(r.err.find("detached CMS: pass the signed content with --content"), std::string::npos)
        << describe(r);
    EXPECT_FALSE(fs::exists(dir / "out.p7s"));
}

TEST(ExtendCli, ContentForAnEnvelopingPemCmsIsAUsageErrorAndNoOutputIsWritten) {
    TempDir dir{"inkan-extend-cli"};
    const auto in = openssl_cms(dir, false);
    const auto r = run_inkan({"extend", in.string(), (dir / "out.p7s").string(), "--tsa",
                              "http://127.0.0.1:1/tsa", "--content", (dir / "content.txt").string()});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_NE(r.err.find("--content is only for a detached CMS"), std::string::npos) << describe(r);
    EXPECT_FALSE(fs::exists(dir / "out.p7s"));
}

TEST(ExtendCli, ContentForAPdfIsAUsageError) {
    TempDir dir{"inkan-extend-cli"};
    const auto in = unsigned_pdf(dir);
    inkan::testing::write_file(dir / "content.txt", std::string_view{"x"});
    const auto r = run_inkan({"extend", in.string(), (dir / "out.pdf").string(), "--tsa",
                              "http://127.0.0.1:1/tsa", "--content", (dir / "content.txt").string()});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_NE(r.err.find("--content is for a detached CMS"), std::string::npos) << describe(r);
    EXPECT_FALSE(fs::exists(dir / "out.pdf"));
}

TEST(ExtendCli, TsaDownFailsACmsExtensionAndNoOutputIsWritten) {
    TempDir dir{"inkan-extend-cli"};
    const auto in = openssl_cms(dir, true);
    const auto r = run_inkan({"extend", in.string(), (dir / "out.p7s").string(), "--tsa",
                              "http://127.0.0.1:1/tsa", "--content", (dir / "content.txt").string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("127.0.0.1:1"), std::string::npos) << describe(r);
    EXPECT_FALSE(fs::exists(dir / "out.p7s"));
    for (const auto& e : fs::directory_iterator(dir.path())) {
        EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path();
    }
}

}  // namespace
