// Functional tests of `inkan audit verify|export`, `inkan credential unlock` and the audit entries
// operator commands leave: the real binary on a data directory made by `inkan init`, the database
// tampered with through the sqlite3 CLI.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/testing/process.h>

#include "e2e_support.h"

namespace {

using inkan::testing::CommandResult;
using inkan::testing::run;
using inkan::testing::TempDir;

std::string to_string(const inkan::Bytes& b) {
    return {b.begin(), b.end()};
}

class AuditCli : public ::testing::Test {
protected:
    void SetUp() override {
        const auto r = run({INKAN_BIN, "init", "--data", data.string(), "--json"});
        ASSERT_EQ(r.exit_code, 0) << describe(r);
    }

    CommandResult inkan(std::vector<std::string> args, std::string_view stdin_data = {}) {
        args.insert(args.begin(), INKAN_BIN);
        args.push_back("--data");
        args.push_back(data.string());
        return run(args, stdin_data);
    }

    std::string sqlite3(const std::string& sql) {
        const auto r = run({"sqlite3", "-batch", (data / "inkan.db").string(), sql});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return r.out;
    }

    /// Some operator changes: a user, a lock and unlock, a credential, its PIN unlock.
    std::string operator_changes() {
        EXPECT_EQ(inkan({"user", "add", "auditee", "--display-name", "Audit Ee", "--password-stdin"},
                        "password-auditee\n")
                      .exit_code,
                  0);
        EXPECT_EQ(inkan({"user", "lock", "auditee"}).exit_code, 0);
        const auto unlock = inkan({"user", "unlock", "auditee"});
        EXPECT_EQ(unlock.exit_code, 0) << describe(unlock);
        const auto created =
            inkan({"credential", "create", "--user", "auditee", "--pin-stdin", "--json"}, "4711\n");
        EXPECT_EQ(created.exit_code, 0) << describe(created);
        const std::string id = nlohmann::json::parse(created.out)["credential"]["id"].get<std::string>();
        const auto cred_unlock = inkan({"credential", "unlock", id});
        EXPECT_EQ(cred_unlock.exit_code, 0) << describe(cred_unlock);
        return id;
    }

    TempDir tmp{"inkan-audit-cli"};
    std::filesystem::path data = tmp / "data";
};

TEST_F(AuditCli, OperatorChangesAreAuditedAndTheChainVerifies) {
    const std::string id = operator_changes();
    const auto actions = sqlite3("SELECT action FROM audit_log ORDER BY seq;");
    for (const char* a : {"user.add", "user.lock", "user.unlock", "user.unlock_otp", "credential.create",
                          "credential.unlock"}) {
        EXPECT_NE(actions.find(a), std::string::npos) << a << " missing from\n" << actions;
    }
    EXPECT_EQ(sqlite3("SELECT count(*) FROM audit_log WHERE operator_name = '';"), "0\n");
    EXPECT_EQ(sqlite3("SELECT count(*) FROM audit_log WHERE credential_id = '" + id + "';"), "2\n");
    // Neither the password nor the PIN went into the log.
    const auto dump = sqlite3("SELECT * FROM audit_log;");
    EXPECT_EQ(dump.find("password-auditee"), std::string::npos);
    EXPECT_EQ(dump.find("4711"), std::string::npos);

    const auto ok = inkan({"audit", "verify"});
    EXPECT_EQ(ok.exit_code, 0) << describe(ok);
    EXPECT_NE(ok.out.find("intact"), std::string::npos) << ok.out;
    const auto json = inkan({"audit", "verify", "--json"});
    ASSERT_EQ(json.exit_code, 0) << describe(json);
    EXPECT_TRUE(nlohmann::json::parse(json.out)["ok"].get<bool>());
}

TEST_F(AuditCli, TamperingIsDetectedAndNamed) {
    operator_changes();
    sqlite3(R"(UPDATE audit_log SET details = '{"user":"mallory"}' WHERE seq = 2;)");
    const auto edited = inkan({"audit", "verify"});
    EXPECT_EQ(edited.exit_code, 1) << describe(edited);
    EXPECT_NE(edited.out.find("entry 2"), std::string::npos) << edited.out;
    const auto json = inkan({"audit", "verify", "--json"});
    EXPECT_EQ(json.exit_code, 1);
    const auto v = nlohmann::json::parse(json.out);
    EXPECT_FALSE(v["ok"].get<bool>());
    EXPECT_EQ(v["first_bad_seq"].get<int>(), 2);
}

TEST_F(AuditCli, ADeletedEntryIsNamed) {
    operator_changes();
    sqlite3("DELETE FROM audit_log WHERE seq = 3;");
    const auto r = inkan({"audit", "verify"});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.out.find("entry 3"), std::string::npos) << r.out;
}

TEST_F(AuditCli, ExportWritesCsvAndJson) {
    operator_changes();
    const auto csv = inkan({"audit", "export", "--format", "csv"});
    ASSERT_EQ(csv.exit_code, 0) << describe(csv);
    EXPECT_EQ(csv.out.rfind("seq,at,action,outcome,", 0), 0U) << csv.out;
    const auto rows = static_cast<std::size_t>(std::count(csv.out.begin(), csv.out.end(), '\n'));
    EXPECT_GE(rows, 7U);  // header + at least six entries
    EXPECT_NE(csv.out.find("credential.create"), std::string::npos);

    const auto file = tmp / "audit.json";
    const auto json = inkan({"audit", "export", "--format", "json", "-o", file.string()});
    ASSERT_EQ(json.exit_code, 0) << describe(json);
    const auto entries = nlohmann::json::parse(to_string(inkan::testing::read_file(file)));
    ASSERT_TRUE(entries.is_array());
    EXPECT_GE(entries.size(), 6U);
    EXPECT_EQ(entries[0]["seq"].get<int>(), 1);

    const auto future = inkan({"audit", "export", "--from", "2099-01-01T00:00:00Z"});
    ASSERT_EQ(future.exit_code, 0);
    EXPECT_EQ(future.out,
              "seq,at,action,outcome,user_id,user_name,client_id,client_name,credential_id,"
              "credential_description,member_id,member_name,operator,details,prev_hash,hash\r\n");
    EXPECT_EQ(inkan({"audit", "export", "--format", "xml"}).exit_code, 2);
    EXPECT_EQ(inkan({"audit", "export", "--from", "yesterday"}).exit_code, 2);
}

TEST_F(AuditCli, CsvCellsThatStartLikeAFormulaGetAnApostropheAndTheJsonKeepsTheValue) {
    // OWASP "CSV injection": the export is opened in spreadsheets. A user name may start with @ and an
    // operator identity with =; the CSV shows them as text, the JSON as they are.
    const auto added = run({"env", "INKAN_OPERATOR==1+1", INKAN_BIN, "user", "add", "@sum", "--display-name",
                            "Sum", "--password-stdin", "--data", data.string()},
                           "password-of-at-sum\n");
    ASSERT_EQ(added.exit_code, 0) << describe(added);
    const auto csv = inkan({"audit", "export"});
    ASSERT_EQ(csv.exit_code, 0) << describe(csv);
    EXPECT_NE(csv.out.find(",'@sum,"), std::string::npos) << csv.out;
    EXPECT_NE(csv.out.find(",'=1+1,"), std::string::npos) << csv.out;
    EXPECT_EQ(csv.out.find(",@sum,"), std::string::npos) << csv.out;
    const auto json = inkan({"audit", "export", "--format", "json", "--action", "user.add"});
    ASSERT_EQ(json.exit_code, 0) << describe(json);
    bool found = false;
    for (const auto& e : nlohmann::json::parse(json.out)) {
        if (e["user_name"] == "@sum") {
            found = true;
            EXPECT_EQ(e["operator"], "=1+1") << e.dump();
        }
    }
    EXPECT_TRUE(found) << json.out;
}

TEST_F(AuditCli, CredentialUnlockOfAnUnknownIdFails) {
    EXPECT_EQ(inkan({"credential", "unlock", "no-such-credential"}).exit_code, 1);
}

TEST_F(AuditCli, DeletingTheNewestEntriesAfterAnAnchorIsNamed) {
    operator_changes();
    const auto anchored = inkan({"audit", "anchor", "--json"});
    ASSERT_EQ(anchored.exit_code, 0) << describe(anchored);
    const auto anchor = nlohmann::json::parse(anchored.out);
    const auto seq = anchor["seq"].get<std::uint64_t>();
    const std::string hash = anchor["head_hash"].get<std::string>();
    EXPECT_EQ(sqlite3("SELECT max(seq) FROM audit_log;"), std::to_string(seq) + "\n");
    const auto ok = inkan({"audit", "verify"});
    EXPECT_EQ(ok.exit_code, 0) << describe(ok);
    EXPECT_NE(ok.out.find("1 anchors verify"), std::string::npos) << ok.out;

    // The two newest rows go: the chain that is left is intact, the anchor is not satisfied.
    sqlite3("DELETE FROM audit_log WHERE seq > " + std::to_string(seq - 2) + ";");
    const auto r = inkan({"audit", "verify"});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.out.find("the audit chain is intact"), std::string::npos) << r.out;
    const std::string expected = "audit log truncated: anchor " + std::to_string(anchor["id"].get<int>()) +
                                 " at " + anchor["at"].get<std::string>() + " covers entry #" +
                                 std::to_string(seq) + " with hash " + hash + ", but the log ends at #" +
                                 std::to_string(seq - 2);
    EXPECT_NE(r.out.find(expected), std::string::npos) << r.out << "\nexpected: " << expected;
    const auto json = inkan({"audit", "verify", "--json"});
    EXPECT_EQ(json.exit_code, 1);
    const auto v = nlohmann::json::parse(json.out);
    EXPECT_FALSE(v["ok"].get<bool>());
    EXPECT_NE(v.value("anchor_problem", "").find("audit log truncated"), std::string::npos) << json.out;
}

TEST_F(AuditCli, AnExportedAnchorTokenVerifiesWithOpenssl) {
    operator_changes();
    const auto anchored = inkan({"audit", "anchor", "--json"});
    ASSERT_EQ(anchored.exit_code, 0) << describe(anchored);
    const auto out = tmp / "anchors";
    const auto listed = inkan({"audit", "anchors", "--export", out.string(), "--json"});
    ASSERT_EQ(listed.exit_code, 0) << describe(listed);
    const auto list = nlohmann::json::parse(listed.out);
    ASSERT_EQ(list.size(), 1U) << listed.out;
    const std::string file = list[0]["file"].get<std::string>();
    const std::string hash = list[0]["head_hash"].get<std::string>();
    EXPECT_EQ(hash,
              sqlite3("SELECT lower(hex(hash)) FROM audit_log ORDER BY seq DESC LIMIT 1;").substr(0, 64));
    const auto root = (data / "pki" / "root-ca.pem").string();
    const auto v =
        run({"openssl", "ts", "-verify", "-token_in", "-in", file, "-digest", hash, "-CAfile", root});
    EXPECT_EQ(v.exit_code, 0) << describe(v);
    EXPECT_NE(v.out.find("Verification: OK"), std::string::npos) << describe(v);
    std::string other = hash;
    other[0] = other[0] == '0' ? '1' : '0';
    const auto bad =
        run({"openssl", "ts", "-verify", "-token_in", "-in", file, "-digest", other, "-CAfile", root});
    EXPECT_NE(bad.exit_code, 0) << describe(bad);
}

TEST_F(AuditCli, ServeAnchorsPeriodicallyAndAtShutdown) {
    operator_changes();
    EXPECT_EQ(sqlite3("SELECT count(*) FROM audit_anchors;"), "0\n");
    std::unique_ptr<inkan::testing::Process> server;
    (void)inkan::e2e::start_serve(server, data, {"INKAN_AUDIT_ANCHOR_INTERVAL_SECONDS=1"});
    // Periodically: the head the operator changes left gets an anchor while the server runs (polled,
    // not timed: the interval only decides how soon).
    const std::string head = sqlite3("SELECT max(seq) FROM audit_log;");
    std::string covered;
    for (int i = 0; i < 600 && covered != head; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds{100});
        covered = sqlite3("SELECT coalesce(max(seq), 0) FROM audit_anchors;");
    }
    EXPECT_EQ(covered, head) << "no periodic anchor";
    // At shutdown: a change made while it runs is anchored when it stops.
    EXPECT_EQ(inkan({"user", "lock", "auditee"}).exit_code, 0);
    const std::string last = sqlite3("SELECT max(seq) FROM audit_log;");
    EXPECT_EQ(server->terminate(), 0) << server->stderr_text();
    EXPECT_EQ(sqlite3("SELECT max(seq) FROM audit_anchors;"), last);
    const auto v = inkan({"audit", "verify"});
    EXPECT_EQ(v.exit_code, 0) << describe(v);
}

}  // namespace
