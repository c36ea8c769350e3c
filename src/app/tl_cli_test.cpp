// `inkan tl show`, `inkan tl fetch` and `inkan verify --trusted-list / --trust-file` through the real binary,
// with the lists of the tl test kit (src/tl/test_kit.h: a LOTL, a national list AA with a CA/QC and a
// withdrawn TSA/QTST, a tampered list BB; signed with inkan's XAdES, judged by xmlsec1 in
// src/tl/tl_test.cpp). Every --json validation report is validated against docs/validation-report.schema.json
// (Ajv).

#include <atomic>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/testing/process.h>
#include <inkan/testing/tiny_http.h>

#include "e2e_support.h"
#include "test_kit.h"

namespace fs = std::filesystem;
using inkan::e2e::run_inkan;
using inkan::testing::describe;
using inkan::testing::TempDir;
using inkan::testing::write_file;
namespace kit = inkan::tl::testkit;
using namespace std::chrono_literals;

namespace {

nlohmann::json json_of(const inkan::testing::CommandResult& r) {
    try {
        return nlohmann::json::parse(r.out);
    } catch (const std::exception&) {
        ADD_FAILURE() << "not JSON: " << describe(r);
        return {};
    }
}

TEST(TlCli, ShowJudgesEachListAndExitsOneWhenOneIsNotValid) {
    auto& w = kit::world();
    const auto r = run_inkan({"tl", "show", w.lists.string(), "--list-signer", w.lotl_signer_pem.string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.out.find("LOTL EU #42"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("signature: valid (signed by CN=Aa Signer"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("signature: invalid (TOTAL-FAILED/HASH_FAILURE"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("its services are NOT trusted"), std::string::npos) << r.out;

    const std::string after = kit::xs(w.withdrawn + 1h);
    const auto j = run_inkan({"tl", "show", (w.lists / "lotl.xml").string(), (w.lists / "aa.xml").string(),
                              "--list-signer", w.lotl_signer_pem.string(), "--json", "--at", after});
    EXPECT_EQ(j.exit_code, 0) << describe(j);
    const auto doc = json_of(j);
    ASSERT_EQ(doc["lists"].size(), 2U) << j.out;
    const auto& aa = doc["lists"][1];
    EXPECT_EQ(aa["territory"], "AA");
    EXPECT_EQ(aa["signature"], "valid");
    EXPECT_EQ(aa["providers"][0]["services"][1]["statusAt"], kit::kStatus + "withdrawn") << j.out;
    EXPECT_EQ(aa["providers"][0]["services"][0]["statusAt"], kit::kStatus + "granted") << j.out;

    const auto bad = run_inkan({"tl", "show", w.lists.string(), "--at", "yesterday"});
    EXPECT_EQ(bad.exit_code, 2) << describe(bad);
}

TEST(TlCli, FetchRefusesALoopbackUrlThroughTheUrlGuardAndTouchesNothing) {
    std::atomic<int> requests{0};
    inkan::testing::TinyHttpServer trap{
        [&](const inkan::testing::TinyRequest&) -> inkan::testing::TinyResponse {
            ++requests;
            return {200, "application/vnd.etsi.tsl+xml", kit::world().lotl_xml};
        }};
    TempDir d{"inkan-tl-cli-fetch"};
    const std::string url = "http://127.0.0.1:" + std::to_string(trap.port()) + "/lotl.xml";
    const auto r = run_inkan({"tl", "fetch", "--lotl", url, "--cache", (d / "cache").string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find(url + " is refused by the URL guard"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("[forbidden]"), std::string::npos) << r.err;
    EXPECT_EQ(requests.load(), 0);
    EXPECT_FALSE(fs::exists(d / "cache" / "lotl.xml"));

    // Offline from the file: the LOTL and both lists it points to land in the cache.
    const auto offline = run_inkan({"tl", "fetch", "--lotl", (kit::world().lists / "lotl.xml").string(),
                                    "--cache", (d / "cache").string()});
    EXPECT_EQ(offline.exit_code, 0) << describe(offline);
    EXPECT_TRUE(fs::exists(d / "cache" / "AA.xml"));
    EXPECT_TRUE(fs::exists(d / "cache" / "BB.xml"));
}

TEST(TlCli, VerifyWithTheTrustedListsSaysQualifiedAndTsaAccredited) {
    auto& w = kit::world();
    TempDir d{"inkan-tl-cli-verify"};
    write_file(d / "before.xml", kit::signed_invoice(*w.qualified, w.withdrawn - std::chrono::days{1}));
    write_file(d / "after.xml", kit::signed_invoice(*w.qualified, w.withdrawn + 1h));
    const auto r =
        run_inkan({"verify", "--trusted-list", w.lists.string(), "--list-signer", w.lotl_signer_pem.string(),
                   "--json", (d / "before.xml").string(), (d / "after.xml").string()});
    // Offline, the B-T signatures carry no revocation data: INDETERMINATE/TRY_LATER (exit 1); the
    // TOTAL-PASSED case with revocation is src/tl/tl_test.cpp's.
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_EQ(inkan::e2e::report_schema_problems(r.out), "");
    const auto j = json_of(r);
    ASSERT_EQ(j["documents"].size(), 2U) << r.out;
    const auto& before = j["documents"][0]["signatures"][0];
    EXPECT_EQ(before["qualified"], "yes") << r.out;
    EXPECT_EQ(before["chain"].size(), 2U) << "chained to the CA/QC of the AA list: " << r.out;
    EXPECT_EQ(before["timestamps"][0]["tsa_accredited"], "yes") << r.out;
    EXPECT_EQ(before["timestamps"][0]["tsa_label"], "TSA/QTST (AA trusted list)") << r.out;
    const auto& after = j["documents"][1]["signatures"][0];
    EXPECT_EQ(after["qualified"], "yes") << r.out;
    EXPECT_EQ(after["timestamps"][0]["tsa_accredited"], "no") << r.out;

    // Without any trust configuration nothing is said.
    const auto none = run_inkan({"verify", "--json", (d / "before.xml").string()});
    const auto n = json_of(none);
    EXPECT_EQ(n["documents"][0]["signatures"][0]["qualified"], "unknown") << none.out;
    EXPECT_EQ(n["documents"][0]["signatures"][0]["timestamps"][0]["tsa_accredited"], "unknown") << none.out;
}

TEST(TlCli, VerifyWithTheOperatorsTrustFilePrintsTheJapaneseLabel) {
    auto& w = kit::world();
    TempDir d{"inkan-tl-cli-trust"};
    write_file(d / "tsa.pem", inkan::pki::certificates_pem({w.tsa.chain.front()}));
    write_file(d / "root.pem", inkan::pki::certificates_pem({w.pki.ca->certificate().der()}));
    write_file(d / "inkan.toml",
               "[validation.accredited_tsa.test-tsa]\n"
               "certificate = \"tsa.pem\"\n"
               "name = \"テスト認定タイムスタンプ局\"\n"
               "valid_from = \"" +
                   kit::xs(w.t0) +
                   "\"\n"
                   "label = \"認定タイムスタンプ\"\n"
                   "[validation.trust_anchors.root]\n"
                   "certificate = \"root.pem\"\n"
                   "name = \"テストルート\"\n");
    write_file(d / "doc.xml", kit::signed_invoice(*w.plain, w.now - 1h));
    const auto r = run_inkan(
        {"verify", "--trust-file", (d / "inkan.toml").string(), "--json", (d / "doc.xml").string()});
    EXPECT_EQ(inkan::e2e::report_schema_problems(r.out), "");
    const auto j = json_of(r);
    const auto& ts = j["documents"][0]["signatures"][0]["timestamps"][0];
    EXPECT_EQ(ts["tsa_accredited"], "yes") << r.out;
    EXPECT_EQ(ts["tsa_label"], "認定タイムスタンプ") << r.out;
    EXPECT_NE(r.out.find("\"tsa_label\": \"認定タイムスタンプ\""), std::string::npos)
        << "UTF-8 as is, not escaped: " << r.out;
    EXPECT_EQ(j["documents"][0]["signatures"][0]["qualified"], "no") << r.out;

    write_file(d / "bad.toml", "[validation.accredited_tsa.x]\ncertificate = \"missing.pem\"\n");
    const auto bad =
        run_inkan({"verify", "--trust-file", (d / "bad.toml").string(), (d / "doc.xml").string()});
    EXPECT_EQ(bad.exit_code, 1) << describe(bad);
    EXPECT_NE(bad.err.find("validation.accredited_tsa.x.certificate"), std::string::npos) << bad.err;
}

}  // namespace
