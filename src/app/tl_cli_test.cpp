// `inkan tl show`, `inkan tl fetch` and `inkan verify --trusted-list / --trust-file` through the real binary,
// with the lists of the tl test kit (src/tl/test_kit.h: a LOTL, a national list AA with a CA/QC and a
// withdrawn TSA/QTST, a tampered list BB; signed with inkan's XAdES, judged by xmlsec1 in
// src/tl/tl_test.cpp). Every --json validation report is validated against docs/validation-report.schema.json
// (Ajv).

#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

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

/// RFC 4180 records (quoted fields, doubled quotes, CRLF or LF).
std::vector<std::vector<std::string>> csv_records(const std::string& text) {
    std::vector<std::vector<std::string>> out;
    std::vector<std::string> record;
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char ch = text[i];
        if (quoted) {
            if (ch == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (ch == '"') {
                quoted = false;
            } else {
                field += ch;
            }
        } else if (ch == '"') {
            quoted = true;
        } else if (ch == ',') {
            record.push_back(std::move(field));
            field.clear();
        } else if (ch == '\n' || ch == '\r') {
            if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
            record.push_back(std::move(field));
            field.clear();
            out.push_back(std::move(record));
            record.clear();
        } else {
            field += ch;
        }
    }
    if (!field.empty() || !record.empty()) {
        record.push_back(std::move(field));
        out.push_back(std::move(record));
    }
    return out;
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

/// The [validation] trust configuration of inkan.toml read by `inkan serve` (POST /inkan/v1/validate, JSON
/// and CSV) and by `inkan verify --data` (decision 0035): the kit's trusted lists with their LOTL signer,
/// and the operator's accredited TSA with its Japanese label, over real TLS.
TEST(TlServe, TheValidateRouteAndVerifyDataReadTheTrustedListsAndTheTrustFileOfInkanToml) {
    auto& w = kit::world();
    TempDir d{"inkan-tl-serve"};
    const fs::path data = d / "data";
    const auto init = run_inkan({"init", "--data", data.string(), "--json"});
    ASSERT_EQ(init.exit_code, 0) << describe(init);
    const auto init_json = json_of(init);
    write_file(d / "tsa.pem", inkan::pki::certificates_pem({w.tsa.chain.front()}));
    {
        std::ofstream toml{data / "inkan.toml", std::ios::app};
        toml << "\n[validation]\ntrusted_lists = [\"" << w.lists.string() << "\"]\nlist_signers = [\""
             << w.lotl_signer_pem.string() << "\"]\n[validation.accredited_tsa.test-tsa]\ncertificate = \""
             << (d / "tsa.pem").string() << "\"\nname = \"テスト認定タイムスタンプ局\"\nvalid_from = \""
             << kit::xs(w.t0) << "\"\nlabel = \"認定タイムスタンプ\"\n";
    }
    const auto doc = kit::signed_invoice(*w.qualified, w.withdrawn - std::chrono::days{1});
    write_file(d / "doc.xml", doc);

    // The CLI, from the data directory's inkan.toml; the tampered BB list is said on stderr.
    const auto cli = run_inkan({"verify", "--data", data.string(), "--json", (d / "doc.xml").string()});
    EXPECT_EQ(inkan::e2e::report_schema_problems(cli.out), "");
    const auto c = json_of(cli)["documents"][0]["signatures"][0];
    EXPECT_EQ(c["qualified"], "yes") << cli.out;
    EXPECT_EQ(c["timestamps"][0]["tsa_accredited"], "yes") << cli.out;
    EXPECT_EQ(c["timestamps"][0]["tsa_label"], "認定タイムスタンプ") << cli.out;
    EXPECT_NE(cli.err.find("bb.xml: signature invalid"), std::string::npos) << cli.err;

    std::unique_ptr<inkan::testing::Process> server;
    const auto line = inkan::e2e::start_serve(server, data);
    const std::string api = line["api_url"].get<std::string>();
    const std::string ca = init_json["tls_ca"].get<std::string>();
    const auto login = inkan::e2e::curl_status(ca, "60",
                                               {"-X", "POST", "-u",
                                                init_json["demo"]["user"].get<std::string>() + ":" +
                                                    init_json["demo"]["password"].get<std::string>(),
                                                "--data-binary", "{}", api + "/csc/v2/auth/login"});
    ASSERT_EQ(login.status, 200) << login.raw;
    const std::string token = nlohmann::json::parse(login.body)["access_token"].get<std::string>();
    const std::string body = nlohmann::json{{"document", inkan::base64_encode(doc)}}.dump();
    const auto report = inkan::e2e::curl_status(
        ca, "60",
        {"-X", "POST", "-H", "Content-Type: application/json", "-H", "Authorization: Bearer " + token,
         "--data-binary", body, api + "/inkan/v1/validate"});
    ASSERT_EQ(report.status, 200) << report.raw;
    EXPECT_EQ(inkan::e2e::report_schema_problems(report.body), "");
    const auto s = nlohmann::json::parse(report.body)["documents"][0]["signatures"][0];
    EXPECT_EQ(s["qualified"], "yes") << report.body;
    EXPECT_EQ(s["chain"].size(), 2U) << "chained to the CA/QC of the AA list: " << report.body;
    EXPECT_EQ(s["timestamps"][0]["tsa_accredited"], "yes") << report.body;
    EXPECT_EQ(s["timestamps"][0]["tsa_label"], "認定タイムスタンプ") << report.body;

    const auto csv = inkan::e2e::curl_status(
        ca, "60",
        {"-X", "POST", "-H", "Content-Type: application/json", "-H", "Accept: text/csv", "-H",
         "Authorization: Bearer " + token, "--data-binary", body, api + "/inkan/v1/validate"});
    ASSERT_EQ(csv.status, 200) << csv.raw;
    const auto rows = csv_records(csv.body);
    ASSERT_EQ(rows.size(), 2U) << csv.body;
    const auto cell = [&](const std::string& column) {
        const auto at = std::find(rows[0].begin(), rows[0].end(), column);
        return at == rows[0].end() ? std::string{"(no column " + column + ")"}
                                   : rows[1].at(static_cast<std::size_t>(at - rows[0].begin()));
    };
    EXPECT_EQ(cell("qualified"), "yes") << csv.body;
    EXPECT_EQ(cell("tsa_accredited"), "yes") << csv.body;
    EXPECT_EQ(cell("tsa_label"), "認定タイムスタンプ") << csv.body;
    server.reset();
}

TEST(TlServe, SighupReadsTheTrustConfigurationAgainForTheValidateRoute) {
    // `inkan tl fetch` (or an edited [validation]) while serving: SIGHUP makes the validate route use it,
    // without a restart; a request already running keeps the trust it started with.
    auto& w = kit::world();
    TempDir d{"inkan-tl-sighup"};
    const fs::path data = d / "data";
    const auto init = run_inkan({"init", "--data", data.string(), "--json"});
    ASSERT_EQ(init.exit_code, 0) << describe(init);
    const auto init_json = json_of(init);
    write_file(d / "tsa.pem", inkan::pki::certificates_pem({w.tsa.chain.front()}));
    const auto doc = kit::signed_invoice(*w.qualified, w.withdrawn - std::chrono::days{1});

    std::unique_ptr<inkan::testing::Process> server;
    const auto line = inkan::e2e::start_serve(server, data);
    const std::string api = line["api_url"].get<std::string>();
    const std::string ca = init_json["tls_ca"].get<std::string>();
    const auto login = inkan::e2e::curl_status(ca, "60",
                                               {"-X", "POST", "-u",
                                                init_json["demo"]["user"].get<std::string>() + ":" +
                                                    init_json["demo"]["password"].get<std::string>(),
                                                "--data-binary", "{}", api + "/csc/v2/auth/login"});
    ASSERT_EQ(login.status, 200) << login.raw;
    const std::string token = nlohmann::json::parse(login.body)["access_token"].get<std::string>();
    const auto signature = [&] {
        const auto report = inkan::e2e::curl_status(
            ca, "60",
            {"-X", "POST", "-H", "Content-Type: application/json", "-H", "Authorization: Bearer " + token,
             "--data-binary", nlohmann::json{{"document", inkan::base64_encode(doc)}}.dump(),
             api + "/inkan/v1/validate"});
        EXPECT_EQ(report.status, 200) << report.raw;
        return report.status == 200 ? nlohmann::json::parse(report.body)["documents"][0]["signatures"][0]
                                    : nlohmann::json{};
    };
    const auto before = signature();
    EXPECT_EQ(before["qualified"], "unknown") << before.dump();
    EXPECT_EQ(before["indication"], "INDETERMINATE") << "nothing is trusted yet: " << before.dump();

    {
        std::ofstream toml{data / "inkan.toml", std::ios::app};
        toml << "\n[validation]\ntrusted_lists = [\"" << w.lists.string() << "\"]\nlist_signers = [\""
             << w.lotl_signer_pem.string() << "\"]\n[validation.accredited_tsa.test-tsa]\ncertificate = \""
             << (d / "tsa.pem").string() << "\"\nname = \"テスト認定タイムスタンプ局\"\nvalid_from = \""
             << kit::xs(w.t0) << "\"\nlabel = \"認定タイムスタンプ\"\n";
    }
    ASSERT_EQ(::kill(server->pid(), SIGHUP), 0);
    const auto reloaded = nlohmann::json::parse(server->read_line(std::chrono::seconds{60}));
    EXPECT_EQ(reloaded["event"], "reloaded") << reloaded.dump();
    EXPECT_EQ(reloaded["ok"], true) << reloaded.dump();
    EXPECT_GE(reloaded.value("trust_sources", 0), 2) << "the lists and the trust file: " << reloaded.dump();

    const auto after = signature();
    EXPECT_EQ(after["qualified"], "yes") << after.dump();
    EXPECT_EQ(after["timestamps"][0]["tsa_accredited"], "yes") << after.dump();
    EXPECT_EQ(after["timestamps"][0]["tsa_label"], "認定タイムスタンプ") << after.dump();

    // A configuration that no longer loads keeps the trust in force and says so.
    {
        std::ofstream toml{data / "inkan.toml", std::ios::app};
        toml << "\n[validation.accredited_tsa.broken]\ncertificate = \"" << (d / "missing.pem").string()
             << "\"\nname = \"x\"\nlabel = \"x\"\n";
    }
    ASSERT_EQ(::kill(server->pid(), SIGHUP), 0);
    const auto refused = nlohmann::json::parse(server->read_line(std::chrono::seconds{60}));
    EXPECT_EQ(refused["ok"], false) << refused.dump();
    EXPECT_NE(refused.value("trust_sources", std::string{}).find("error: "), std::string::npos)
        << refused.dump();
    EXPECT_EQ(signature()["qualified"], "yes") << "the trust in force was dropped";
    server.reset();
}

}  // namespace
