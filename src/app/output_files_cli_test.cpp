// Every command that writes a file follows one rule (decision 0040): an existing OUT is kept unless
// --force, the check comes before any work (no TSA, service or CA is asked), and OUT appears whole through
// a temporary file and a rename, so a failure never leaves a partial OUT or a temporary file behind.

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/testing/process.h>

#include "e2e_support.h"

namespace fs = std::filesystem;
using inkan::e2e::run_inkan;
using inkan::testing::CommandResult;
using inkan::testing::run;
using inkan::testing::TempDir;

namespace {

/// A URL nobody answers: a command that got past the OUT check fails here, not there.
constexpr const char* kNobody = "http://127.0.0.1:9/";

std::string text_of(const fs::path& file) {
    const auto bytes = inkan::testing::read_file(file);
    return {bytes.begin(), bytes.end()};
}

/// Files in `dir` that look like a writer's leftovers (OUT.inkan-XXXX.tmp, OUT.tmp).
std::vector<std::string> leftovers(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().extension() == ".tmp") out.push_back(e.path().filename().string());
    }
    return out;
}

/// Expects the refusal of an existing OUT: exit 2, the path and --force named, OUT unchanged.
void expect_refused(const CommandResult& r, const fs::path& out, const std::string& kept) {
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_NE(r.err.find("OUT exists: " + out.string()), std::string::npos) << describe(r);
    EXPECT_NE(r.err.find("pass --force to overwrite"), std::string::npos) << describe(r);
    EXPECT_EQ(text_of(out), kept) << "OUT was changed by a refused command";
}

class OutputFiles : public ::testing::Test {
protected:
    fs::path existing(const std::string& name) {
        const fs::path p = tmp / name;
        inkan::testing::write_file(p, std::string_view{"keep me\n"});
        return p;
    }
    TempDir tmp{"inkan-output-files"};
};

/// With a data directory (ca, audit).
class OutputFilesWithData : public OutputFiles {
protected:
    void SetUp() override {
        const auto r = run_inkan({"init", "--data", data.string()});
        ASSERT_EQ(r.exit_code, 0) << describe(r);
    }
    CommandResult inkan(std::vector<std::string> args) const {
        args.insert(args.end(), {"--data", data.string()});
        return run_inkan(args);
    }
    fs::path data = tmp / "data";
};

}  // namespace

TEST_F(OutputFiles, TimestampKeepsAnExistingOutUnlessForceAndAsksNoTsaFirst) {
    const fs::path file = existing("doc.txt");
    const fs::path out = existing("doc.tsr");
    expect_refused(run_inkan({"timestamp", file.string(), "--url", kNobody, "-o", out.string()}), out,
                   "keep me\n");
    // The default OUT (FILE.tsr) too.
    const fs::path default_out = existing("doc.txt.tsr");
    expect_refused(run_inkan({"timestamp", file.string(), "--url", kNobody}), default_out, "keep me\n");
    // --force gets past the check; the TSA that does not answer leaves OUT as it was, no leftovers.
    const auto forced =
        run_inkan({"timestamp", file.string(), "--url", kNobody, "-o", out.string(), "--force"});
    EXPECT_EQ(forced.exit_code, 1) << describe(forced);
    EXPECT_EQ(forced.err.find("OUT exists"), std::string::npos) << describe(forced);
    EXPECT_EQ(text_of(out), "keep me\n");
    EXPECT_EQ(leftovers(tmp.path()), std::vector<std::string>{});
}

TEST_F(OutputFiles, ExtendKeepsAnExistingOutUnlessForce) {
    const fs::path in = existing("in.pdf");
    const fs::path out = existing("out.pdf");
    expect_refused(run_inkan({"extend", in.string(), out.string(), "--tsa", kNobody}), out, "keep me\n");
    const auto forced = run_inkan({"extend", in.string(), out.string(), "--tsa", kNobody, "--force"});
    EXPECT_EQ(forced.exit_code, 1) << describe(forced);  // IN is not a PDF: refused after the check
    EXPECT_EQ(forced.err.find("OUT exists"), std::string::npos) << describe(forced);
    EXPECT_EQ(text_of(out), "keep me\n");
    EXPECT_EQ(leftovers(tmp.path()), std::vector<std::string>{});
}

TEST_F(OutputFiles, SignKeepsAnExistingOutUnlessForceBeforeAskingForThePassword) {
    const fs::path in = existing("in.txt");
    const fs::path out = existing("in.p7s");
    const std::vector<std::string> base{"sign", "--url",    kNobody, "--user",    "alice",     "--credential",
                                        "c1",   "--format", "cades", in.string(), out.string()};
    expect_refused(run_inkan(base), out, "keep me\n");
    const auto r = run({"env", "INKAN_PASSWORD=x", "INKAN_PIN=1", "INKAN_OTP=1", INKAN_BIN, "sign", "--url",
                        kNobody, "--user", "alice", "--credential", "c1", "--format", "cades", "--force",
                        in.string(), out.string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);  // the service does not answer
    EXPECT_EQ(r.err.find("OUT exists"), std::string::npos) << describe(r);
    EXPECT_EQ(text_of(out), "keep me\n");
    // --validation-info FILE is an output file too.
    const fs::path fresh = tmp / "fresh.p7s";
    const fs::path info = existing("info.json");
    expect_refused(run_inkan({"sign", "--url", kNobody, "--user", "alice", "--credential", "c1", "--format",
                              "cades", "--validation-info", info.string(), in.string(), fresh.string()}),
                   info, "keep me\n");
    EXPECT_FALSE(fs::exists(fresh));
    EXPECT_EQ(leftovers(tmp.path()), std::vector<std::string>{});
}

TEST_F(OutputFiles, VerifyReportsKeepAnExistingFileUnlessForce) {
    const fs::path file = existing("not-signed.txt");
    for (const char* option : {"--csv", "--json-report", "--etsi-report"}) {
        const fs::path out = existing(std::string{"report"} + option);
        expect_refused(run_inkan({"verify", option, out.string(), file.string()}), out, "keep me\n");
        const auto forced = run_inkan({"verify", option, out.string(), "--force", file.string()});
        EXPECT_EQ(forced.exit_code, 1) << option << ": not a signature\n" << describe(forced);
        EXPECT_NE(text_of(out), "keep me\n") << option << ": --force replaces the report";
        EXPECT_FALSE(text_of(out).empty()) << option;
    }
    EXPECT_EQ(leftovers(tmp.path()), std::vector<std::string>{});
}

TEST_F(OutputFilesWithData, CaIssueCrlAndOcspKeepAnExistingOutUnlessForce) {
    const fs::path crl = existing("ca.crl");
    expect_refused(inkan({"ca", "crl", "-o", crl.string()}), crl, "keep me\n");
    const auto forced = inkan({"ca", "crl", "-o", crl.string(), "--force"});
    ASSERT_EQ(forced.exit_code, 0) << describe(forced);
    const auto parsed = run({"openssl", "crl", "-inform", "DER", "-in", crl.string(), "-noout"});
    EXPECT_EQ(parsed.exit_code, 0) << "--force wrote a whole CRL\n" << describe(parsed);

    const fs::path csr = tmp / "ee.csr";
    const auto req =
        run({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", (tmp / "ee.key").string(), "-subj", "/CN=Output Test", "-out", csr.string()});
    ASSERT_EQ(req.exit_code, 0) << describe(req);
    const fs::path chain = existing("chain.pem");
    expect_refused(inkan({"ca", "issue", "--profile", "person", "--csr", csr.string(), "-o", chain.string()}),
                   chain, "keep me\n");
    const fs::path response = existing("response.der");
    expect_refused(inkan({"ca", "ocsp", "--in", csr.string(), "-o", response.string()}), response,
                   "keep me\n");
    EXPECT_EQ(leftovers(tmp.path()), std::vector<std::string>{});
}

TEST_F(OutputFilesWithData, AuditExportAndAnchorExportKeepExistingFilesUnlessForce) {
    const fs::path csv = existing("audit.csv");
    expect_refused(inkan({"audit", "export", "-o", csv.string()}), csv, "keep me\n");
    const auto forced = inkan({"audit", "export", "-o", csv.string(), "--force"});
    ASSERT_EQ(forced.exit_code, 0) << describe(forced);
    EXPECT_EQ(text_of(csv).rfind("seq,", 0), 0U) << text_of(csv);

    // An entry to anchor (a fresh data directory's audit log may be empty).
    ASSERT_EQ(run_inkan({"user", "add", "anchored", "--password-stdin", "--data", data.string()},
                        "password-anchored\n")
                  .exit_code,
              0);
    ASSERT_EQ(inkan({"audit", "anchor"}).exit_code, 0);
    const fs::path dir = tmp / "anchors";
    const auto first = inkan({"audit", "anchors", "--export", dir.string(), "--json"});
    ASSERT_EQ(first.exit_code, 0) << describe(first);
    const std::string file = nlohmann::json::parse(first.out).at(0).at("file").get<std::string>();
    const std::string token = text_of(file);
    const auto again = inkan({"audit", "anchors", "--export", dir.string()});
    EXPECT_EQ(again.exit_code, 2) << describe(again);
    EXPECT_NE(again.err.find("OUT exists: " + file), std::string::npos) << describe(again);
    const auto forced_again = inkan({"audit", "anchors", "--export", dir.string(), "--force"});
    EXPECT_EQ(forced_again.exit_code, 0) << describe(forced_again);
    EXPECT_EQ(text_of(file), token);
    EXPECT_EQ(leftovers(dir), std::vector<std::string>{});
}
