// The report model against its published contract, docs/validation-report.schema.json: every name the
// model can write for an enumerated member is one the schema admits, and a report built with every
// optional member set and unset validates (Ajv, JSON Schema 2020-12). Reports of real validations are
// checked in validator_test.cpp and through the CLI and the service route in src/app.

#include <inkan/validation/report.h>

#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/core/bytes.h>
#include <inkan/testing/process.h>

namespace inkan::validation {
namespace {

const char* const kSchema = INKAN_SOURCE_DIR "/docs/validation-report.schema.json";

nlohmann::json schema() {
    return nlohmann::json::parse(to_string(testing::read_file(kSchema)));
}

std::set<std::string> enum_of(const nlohmann::json& node) {
    std::set<std::string> out;
    for (const auto& v : node.at("enum")) {
        if (v.is_string()) out.insert(v.get<std::string>());
    }
    return out;
}

TEST(ReportSchema, EveryIndicationSubIndicationAndLevelNameIsInTheSchema) {
    const auto s = schema();
    const auto indications = enum_of(s["$defs"]["indication"]);
    for (const auto i : {Indication::TotalPassed, Indication::TotalFailed, Indication::Indeterminate}) {
        EXPECT_EQ(indications.count(std::string{name(i)}), 1U) << name(i);
    }
    // SubIndication's values are contiguous from FormatFailure to TimestampOrderFailure (the last).
    const auto subindications = enum_of(s["$defs"]["subindication"]);
    for (int i = static_cast<int>(SubIndication::FormatFailure);
         i <= static_cast<int>(SubIndication::TimestampOrderFailure); ++i) {
        const auto n = std::string{name(static_cast<SubIndication>(i))};
        EXPECT_EQ(subindications.count(n), 1U) << n << " is not in " << kSchema;
    }
    const auto levels = enum_of(s["$defs"]["signature"]["properties"]["level"]);
    for (const auto l : {Level::BB, Level::BT, Level::BLT, Level::BLTA}) {
        EXPECT_EQ(levels.count(std::string{*name(l)}), 1U) << *name(l);
    }
}

TEST(ReportSchema, AReportWithEveryMemberSetAndUnsetValidates) {
    DocumentReport full;
    full.file = "a.pdf";
    full.format = "PAdES";
    SignatureReport s;
    s.id = "S0";
    s.field = "Signature1";
    s.signer = "CN=Signer";
    s.signer_serial = "01AB";
    s.signer_certificate_expiry = TimePoint{std::chrono::seconds{1'900'000'000}};
    s.qualified = "yes";
    s.intact = s.crypto_valid = s.format_ok = true;
    s.verdict = {Indication::TotalPassed, std::nullopt};
    s.level = Level::BLTA;
    s.claimed_signing_time = TimePoint{std::chrono::seconds{1'800'000'000}};
    s.best_signature_time = TimePoint{std::chrono::seconds{1'800'000'001}};
    s.modification.permitted = {"DSS updated"};
    for (const char* kind : {"signature", "archive", "content"}) {
        TimestampReport t;
        t.kind = kind;
        t.intact = t.crypto_valid = true;
        t.time = TimePoint{std::chrono::seconds{1'800'000'001}};
        t.tsa = "CN=TSA";
        t.tsa_accredited = "yes";
        t.tsa_label = "認定タイムスタンプ";
        t.tsa_certificate_expiry = TimePoint{std::chrono::seconds{1'900'000'000}};
        t.verdict = {Indication::TotalPassed, std::nullopt};
        s.timestamps.push_back(t);
    }
    s.chain = {"CN=Signer", "CN=Root"};
    s.revocation = "good";
    s.sub_filter = "ETSI.CAdES.detached";
    s.signature_algorithm = "ECDSA-SHA256";
    full.signatures.push_back(s);
    SignatureReport counter;  // everything unset, a failed counter-signature of S0
    counter.id = "S1";
    counter.counter_signature_of = "S0";
    counter.verdict = {Indication::TotalFailed, SubIndication::HashFailure};
    counter.modification = {true, {"page content changed"}, {}};
    counter.errors = {"message digest does not match"};
    full.signatures.push_back(counter);
    TimestampReport doc_ts;
    doc_ts.field = "Signature2";
    doc_ts.verdict = {Indication::Indeterminate, SubIndication::NoCertificateChainFound};
    full.document_timestamps.push_back(doc_ts);
    DocumentReport broken;
    broken.file = "garbage.bin";
    broken.error = "not a PDF or CMS";

    const std::string json = to_json({full, broken});
    const auto r = testing::run(
        {"node", INKAN_SOURCE_DIR "/tests/tools/contracts/validate-json.mjs", kSchema, "-"}, json);
    EXPECT_EQ(r.exit_code, 0) << testing::describe(r) << "\n" << json;

    // And the schema is not a rubber stamp: a TOTAL-PASSED signature that is not intact fails it.
    full.signatures[0].intact = false;
    const auto bad = testing::run(
        {"node", INKAN_SOURCE_DIR "/tests/tools/contracts/validate-json.mjs", kSchema, "-"}, to_json({full}));
    EXPECT_EQ(bad.exit_code, 1) << testing::describe(bad);
    EXPECT_NE(bad.err.find("/documents/0/signatures/0/intact"), std::string::npos) << testing::describe(bad);

    // Nor for the trust flags (issue 17's shared fields): only yes, no, unknown.
    full.signatures[0].intact = true;
    full.signatures[0].timestamps[0].tsa_accredited = "maybe";
    const auto flag = testing::run(
        {"node", INKAN_SOURCE_DIR "/tests/tools/contracts/validate-json.mjs", kSchema, "-"}, to_json({full}));
    EXPECT_EQ(flag.exit_code, 1) << testing::describe(flag);
    EXPECT_NE(flag.err.find("/documents/0/signatures/0/timestamps/0/tsa_accredited"), std::string::npos)
        << testing::describe(flag);
}

}  // namespace
}  // namespace inkan::validation
