// `inkan verify` through the real binary: a CMS and a PDF signed by openssl and an XML signature by xmlsec1
// (outside inkan), judged with and without a trust anchor, tampered, detached, and files that are not
// signatures. The validator itself is tested at every level with inkan's own signatures in
// src/validation/validator_test.cpp and xades_test.cpp.
// Every --json report is validated against docs/validation-report.schema.json (Ajv).

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/core/bytes.h>
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

struct Signer {
    fs::path cert, key;
};

/// A self-signed signer (its own trust anchor: the chain is the anchor, no revocation needed).
Signer self_signed(const TempDir& dir) {
    Signer s{dir / "self.pem", dir / "self-key.pem"};
    const auto r = run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", s.key.string(), "-out", s.cert.string(), "-subj",
                        "/CN=Verify CLI Signer", "-days", "30"});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    return s;
}

fs::path openssl_cms(const TempDir& dir, const Signer& s, const std::string& name, bool attached) {
    write_file(dir / "content.txt", std::string_view{"verify me\n"});
    std::vector<std::string> argv{"openssl",  "cms",
                                  "-sign",    "-binary",
                                  "-in",      (dir / "content.txt").string(),
                                  "-signer",  s.cert.string(),
                                  "-inkey",   s.key.string(),
                                  "-outform", "DER",
                                  "-out",     (dir / name).string()};
    if (attached) argv.push_back("-nodetach");
    const auto r = run(argv);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    return dir / name;
}

/// The --json report, checked against its published JSON Schema on the way.
nlohmann::json report(const inkan::testing::CommandResult& r) {
    EXPECT_EQ(inkan::e2e::report_schema_problems(r.out), "");
    try {
        return nlohmann::json::parse(r.out);
    } catch (const std::exception&) {
        ADD_FAILURE() << "not JSON: " << describe(r);
        return {};
    }
}

TEST(VerifyCli, OpensslCmsWithItsAnchorPassesAndPrintsTheContractShape) {
    TempDir dir{"inkan-verify-cli"};
    const Signer s = self_signed(dir);
    const fs::path p7s = openssl_cms(dir, s, "a.p7s", true);
    const auto r = run_inkan({"verify", "--trust-anchor", s.cert.string(), "--json", p7s.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    const auto j = report(r);
    ASSERT_EQ(j["documents"].size(), 1u) << r.out;
    const auto& d = j["documents"][0];
    EXPECT_EQ(d["file"], p7s.string());
    EXPECT_EQ(d["format"], "CAdES");
    EXPECT_TRUE(d["error"].is_null());
    ASSERT_EQ(d["signatures"].size(), 1u) << r.out;
    const auto& sig = d["signatures"][0];
    for (const char* key : {"id", "field", "signer", "counter_signature_of", "intact", "crypto_valid",
                            "format_ok", "indication", "subindication", "level", "claimed_signing_time",
                            "best_signature_time", "modification", "timestamps", "chain", "revocation"}) {
        EXPECT_TRUE(sig.contains(key)) << key << " missing in " << r.out;
    }
    EXPECT_EQ(sig["indication"], "TOTAL-PASSED") << r.out;
    EXPECT_TRUE(sig["subindication"].is_null());
    EXPECT_EQ(sig["intact"], true);
    EXPECT_EQ(sig["crypto_valid"], true);
    EXPECT_NE(sig["signer"].get<std::string>().find("Verify CLI Signer"), std::string::npos) << r.out;
    EXPECT_FALSE(sig["claimed_signing_time"].is_null()) << r.out;  // openssl writes signing-time
    EXPECT_EQ(sig["modification"]["detected"], false);
    EXPECT_TRUE(d.contains("document_timestamps"));
    // openssl agrees.
    const auto judge =
        run({"openssl", "cms", "-verify", "-inform", "DER", "-in", p7s.string(), "-binary", "-CAfile",
             s.cert.string(), "-purpose", "any", "-out", (dir / "out.txt").string()});
    EXPECT_EQ(judge.exit_code, 0) << describe(judge);
}

TEST(VerifyCli, WithoutAnchorTamperedOrDetachedWithoutContentIsExitOne) {
    TempDir dir{"inkan-verify-cli"};
    const Signer s = self_signed(dir);
    const fs::path p7s = openssl_cms(dir, s, "a.p7s", true);

    const auto none = run_inkan({"verify", "--json", p7s.string()});
    EXPECT_EQ(none.exit_code, 1) << describe(none);
    EXPECT_EQ(report(none)["documents"][0]["signatures"][0]["subindication"], "NO_CERTIFICATE_CHAIN_FOUND")
        << none.out;

    auto bytes = read_file(p7s);
    const std::string needle = "verify me";
    const auto at = std::search(bytes.begin(), bytes.end(), needle.begin(), needle.end());
    ASSERT_NE(at, bytes.end());
    *at ^= 0x01;
    write_file(dir / "tampered.p7s", bytes);
    const auto t =
        run_inkan({"verify", "--trust-anchor", s.cert.string(), "--json", (dir / "tampered.p7s").string()});
    EXPECT_EQ(t.exit_code, 1) << describe(t);
    EXPECT_EQ(report(t)["documents"][0]["signatures"][0]["subindication"], "HASH_FAILURE") << t.out;

    const fs::path detached = openssl_cms(dir, s, "d.p7s", false);
    const auto without =
        run_inkan({"verify", "--trust-anchor", s.cert.string(), "--json", detached.string()});
    EXPECT_EQ(without.exit_code, 1) << describe(without);
    EXPECT_EQ(report(without)["documents"][0]["signatures"][0]["subindication"], "SIGNED_DATA_NOT_FOUND")
        << without.out;
    const auto with = run_inkan({"verify", "--trust-anchor", s.cert.string(), "--content",
                                 (dir / "content.txt").string(), detached.string()});
    EXPECT_EQ(with.exit_code, 0) << describe(with);
    EXPECT_NE(with.out.find("TOTAL-PASSED"), std::string::npos) << with.out;
}

// A detached XML-DSig made by xmlsec1 whose reference names an external file: SIGNED_DATA_NOT_FOUND
// until --content URI=FILE gives it, HASH_FAILURE with another file.
TEST(VerifyCli, XmlSignatureWithExternalReferenceTakesContentUriEqualsFile) {
    TempDir dir{"inkan-verify-cli"};
    const Signer s = self_signed(dir);
    write_file(dir / "content.txt", std::string_view{"verify me\n"});
    write_file(dir / "other.txt", std::string_view{"not me\n"});
    write_file(dir / "template.xml",
               std::string_view{
                   "<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><SignedInfo>"
                   "<CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>"
                   "<SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256\"/>"
                   "<Reference URI=\"content.txt\"><DigestMethod "
                   "Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><DigestValue/></Reference>"
                   "</SignedInfo><SignatureValue/><KeyInfo><X509Data/></KeyInfo></Signature>\n"});
    // xmlsec1 resolves the relative URI against its working directory.
    const auto signed_ =
        run({"env", "-C", dir.path().string(), "xmlsec1", "--sign", "--privkey-pem",
             s.key.string() + "," + s.cert.string(), "--output", "signed.xml", "template.xml"});
    ASSERT_EQ(signed_.exit_code, 0) << describe(signed_);
    const std::string xml = (dir / "signed.xml").string();

    const auto without = run_inkan({"verify", "--trust-anchor", s.cert.string(), "--json", xml});
    EXPECT_EQ(without.exit_code, 1) << describe(without);
    const auto jw = report(without);
    EXPECT_EQ(jw["documents"][0]["format"], "XAdES") << without.out;
    EXPECT_EQ(jw["documents"][0]["signatures"][0]["subindication"], "SIGNED_DATA_NOT_FOUND") << without.out;

    const auto with = run_inkan({"verify", "--trust-anchor", s.cert.string(), "--json", "--content",
                                 "content.txt=" + (dir / "content.txt").string(), xml});
    EXPECT_EQ(with.exit_code, 0) << describe(with);
    EXPECT_EQ(report(with)["documents"][0]["signatures"][0]["indication"], "TOTAL-PASSED") << with.out;

    const auto other = run_inkan({"verify", "--trust-anchor", s.cert.string(), "--json",
                                  "--content=content.txt=" + (dir / "other.txt").string(), xml});
    EXPECT_EQ(other.exit_code, 1) << describe(other);
    EXPECT_EQ(report(other)["documents"][0]["signatures"][0]["subindication"], "HASH_FAILURE") << other.out;

    const auto missing = run_inkan({"verify", "--content", "content.txt=/nonexistent/file", xml});
    EXPECT_EQ(missing.exit_code, 2) << describe(missing);
}

TEST(VerifyCli, PdfSignedWithOpensslPasses) {
    TempDir dir{"inkan-verify-cli"};
    const Signer s = self_signed(dir);
    const std::string raw =
        "%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
        "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n"
        "trailer << /Root 1 0 R /Size 4 >>\n%%EOF\n";
    write_file(dir / "raw.pdf", std::string_view{raw});
    const auto q = run({"qpdf", (dir / "raw.pdf").string(), (dir / "plain.pdf").string()});
    ASSERT_TRUE(q.exit_code == 0 || q.exit_code == 3) << describe(q);
    {
        const auto doc = inkan::pdf::Document::open(dir / "plain.pdf");
        inkan::pdf::SignatureSpec spec;
        spec.sub_filter = inkan::pdf::SubFilter::Pkcs7Detached;
        auto prepared = doc.prepare(spec, dir / "signed.pdf");
        inkan::Bytes ranges;
        prepared.hash_ranges(
            [&](inkan::ByteView chunk) { ranges.insert(ranges.end(), chunk.begin(), chunk.end()); });
        write_file(dir / "ranges.bin", ranges);
        const auto r = run({"openssl", "cms", "-sign", "-binary", "-in", (dir / "ranges.bin").string(),
                            "-signer", s.cert.string(), "-inkey", s.key.string(), "-outform", "DER", "-out",
                            (dir / "sig.der").string()});
        ASSERT_EQ(r.exit_code, 0) << describe(r);
        prepared.embed(read_file(dir / "sig.der"));
    }
    const auto v =
        run_inkan({"verify", "--trust-anchor", s.cert.string(), "--json", (dir / "signed.pdf").string()});
    EXPECT_EQ(v.exit_code, 0) << describe(v);
    const auto j = report(v);
    EXPECT_EQ(j["documents"][0]["format"], "PAdES") << v.out;
    EXPECT_EQ(j["documents"][0]["signatures"][0]["field"], "Signature1") << v.out;
    EXPECT_EQ(j["documents"][0]["signatures"][0]["indication"], "TOTAL-PASSED") << v.out;
    // pdfsig agrees the signature is valid.
    const auto p = run({"pdfsig", (dir / "signed.pdf").string()});
    EXPECT_NE(p.out.find("Signature is Valid"), std::string::npos) << describe(p);
}

TEST(VerifyCli, NotASignatureIsAnErrorReportAndMissingFileIsUsage) {
    TempDir dir{"inkan-verify-cli"};
    write_file(dir / "garbage.bin", std::string_view{"\x30\x82\x10\x00 not der"});
    const auto g = run_inkan({"verify", "--json", (dir / "garbage.bin").string()});
    EXPECT_EQ(g.exit_code, 1) << describe(g);
    const auto j = report(g);
    EXPECT_FALSE(j["documents"][0]["error"].is_null()) << g.out;
    EXPECT_EQ(j["documents"][0]["signatures"].size(), 0u);

    const auto missing = run_inkan({"verify", (dir / "missing.pdf").string()});
    EXPECT_EQ(missing.exit_code, 2) << describe(missing);
    const auto nothing = run_inkan({"verify"});
    EXPECT_EQ(nothing.exit_code, 2) << describe(nothing);
    const auto bad_at = run_inkan({"verify", "--at", "yesterday", (dir / "garbage.bin").string()});
    EXPECT_EQ(bad_at.exit_code, 2) << describe(bad_at);
}

TEST(VerifyCli, EtsiReportIsWellFormedXmlAndPolicyIsRead) {
    TempDir dir{"inkan-verify-cli"};
    const Signer s = self_signed(dir);
    const fs::path p7s = openssl_cms(dir, s, "a.p7s", true);
    const fs::path xml = dir / "report.xml";
    const auto r =
        run_inkan({"verify", "--trust-anchor", s.cert.string(), "--etsi-report", xml.string(), p7s.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    const auto lint = run({"xmllint", "--noout", xml.string()});
    EXPECT_EQ(lint.exit_code, 0) << describe(lint);
    const std::string text = inkan::to_string(read_file(xml));
    EXPECT_NE(text.find("xmlns:vr=\"http://uri.etsi.org/19102/v1.2.1#\""), std::string::npos) << text;
    EXPECT_NE(text.find("<vr:MainIndication>urn:etsi:019102:mainindication:total-passed</vr:MainIndication>"),
              std::string::npos)
        << text;

    write_file(dir / "policy.toml", std::string_view{"[crypto]\nec_min_bits = 384\n"});
    const auto strict = run_inkan({"verify", "--trust-anchor", s.cert.string(), "--policy",
                                   (dir / "policy.toml").string(), "--json", p7s.string()});
    EXPECT_EQ(strict.exit_code, 1) << describe(strict);
    EXPECT_EQ(report(strict)["documents"][0]["signatures"][0]["subindication"], "CRYPTO_CONSTRAINTS_FAILURE")
        << strict.out;
    write_file(dir / "typo.toml", std::string_view{"[crypto]\nec_min_bitz = 384\n"});
    const auto typo = run_inkan({"verify", "--policy", (dir / "typo.toml").string(), p7s.string()});
    EXPECT_EQ(typo.exit_code, 1) << describe(typo);
    EXPECT_NE(typo.err.find("ec_min_bitz"), std::string::npos) << describe(typo);
}

}  // namespace
