// Functional tests of issue 25's first section (decision 0039): every operator command leaves an audit
// entry under the operator's name (INKAN_OPERATOR, else the OS user, never the word "operator"), failed
// logins record the name tried but never the password, and `inkan audit export` shows names next to ids
// and filters by actor, action, user, credential and outcome. The real binary on a throwaway data
// directory made by `inkan init`; the database read through the sqlite3 CLI.

#include <pwd.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/testing/process.h>

#include "e2e_support.h"

namespace {

using inkan::testing::CommandResult;
using inkan::testing::run;
using inkan::testing::TempDir;
using nlohmann::json;

/// The name operator_name() falls back to: the effective uid's passwd entry, else "uid:N".
std::string os_user() {
    const passwd* pw = ::getpwuid(::geteuid());
    return pw != nullptr ? std::string{pw->pw_name} : "uid:" + std::to_string(::geteuid());
}

class OperatorAuditCli : public ::testing::Test {
protected:
    void SetUp() override {
        // Without INKAN_OPERATOR and SUDO_USER: the demo's entries name the OS user.
        const auto r = run({"env", "-u", "INKAN_OPERATOR", "-u", "SUDO_USER", INKAN_BIN, "init", "--data",
                            data.string(), "--json"});
        ASSERT_EQ(r.exit_code, 0) << describe(r);
        init = json::parse(r.out);
    }

    /// `inkan ARGS --data DIR` with INKAN_OPERATOR=`who` (unset when `who` is empty, SUDO_USER too).
    CommandResult inkan_as(const std::string& who, std::vector<std::string> args, std::string_view in = {}) {
        std::vector<std::string> argv{"env", "-u", "INKAN_OPERATOR", "-u", "SUDO_USER"};
        if (!who.empty()) {
            argv.push_back("INKAN_OPERATOR=" + who);
        }
        argv.push_back(INKAN_BIN);
        argv.insert(argv.end(), args.begin(), args.end());
        argv.push_back("--data");
        argv.push_back(data.string());
        return run(argv, in);
    }

    std::string sqlite3(const std::string& sql) {
        const auto r = run({"sqlite3", "-batch", (data / "inkan.db").string(), sql});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return r.out;
    }

    /// `audit export --format json` with `filters`, parsed.
    json exported(std::vector<std::string> filters) {
        filters.insert(filters.begin(), {"audit", "export", "--format", "json"});
        const auto r = inkan_as("", filters);
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        return r.exit_code == 0 ? json::parse(r.out) : json::array();
    }

    static std::string actions(const json& entries) {
        std::string out;
        for (const auto& e : entries) {
            out += e["action"].get<std::string>() + "\n";
        }
        return out;
    }

    TempDir tmp{"inkan-operator-audit"};
    std::filesystem::path data = tmp / "data";
    json init;
};

TEST_F(OperatorAuditCli, EveryOperatorCommandLeavesAnEntryUnderInkanOperator) {
    const std::string ops = "Hanako Ops 山田";
    const auto must = [&](std::vector<std::string> args, std::string_view in = {}) {
        const auto r = inkan_as(ops, args, in);
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        return r;
    };
    must({"user", "add", "bob", "--display-name", "Bob Builder", "--password-stdin"}, "password-bob-1\n");
    must({"user", "lock", "bob"});
    must({"user", "unlock", "bob"});
    must({"user", "passwd", "bob", "--password-stdin"}, "password-bob-2\n");
    must({"user", "totp", "bob"});
    const std::string cred =
        json::parse(must({"credential", "create", "--user", "bob", "--pin-stdin", "--json"}, "135790\n")
                        .out)["credential"]["id"];
    must({"credential", "unlock", cred});
    const std::string seal = json::parse(must({"credential", "create", "--profile", "seal", "--organization",
                                               "Inkan KK", "--org-id", "NTRJP-1234567890123", "--json"})
                                             .out)["credential"]["id"];
    must({"seal", "add-member", seal, "bob"});
    must({"seal", "remove-member", seal, "bob"});
    must({"credential", "revoke", cred});
    must({"client", "add", "portal", "--redirect-uri", "https://portal.example/cb"});
    must({"client", "remove", "portal"});
    const auto csr = tmp / "ee.csr";
    const auto req = run({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                          "-nodes", "-keyout", (tmp / "ee.key").string(), "-subj",
                          "/CN=Taro Yamada/GN=Taro/SN=Yamada/C=JP", "-out", csr.string()});
    ASSERT_EQ(req.exit_code, 0) << describe(req);
    must({"ca", "issue", "--profile", "person", "--csr", csr.string(), "-o", (tmp / "ee.pem").string()});
    std::string serial =
        sqlite3("SELECT json_extract(details, '$.serial') FROM audit_log WHERE action = 'ca.issue';");
    serial.erase(serial.find_last_not_of('\n') + 1);
    ASSERT_GE(serial.size(), 2U) << "ca.issue recorded no serial";
    must({"ca", "revoke", serial, "--reason", "superseded"});
    must({"maintenance", "on"});
    must({"maintenance", "off"});

    const std::string recorded =
        sqlite3("SELECT action FROM audit_log WHERE operator_name = '" + ops + "' ORDER BY seq;");
    EXPECT_EQ(recorded,
              "user.add\nuser.lock\nuser.unlock\nuser.unlock_otp\nuser.passwd\nuser.totp\ncredential.create\n"
              "credential.unlock\ncredential.create\nseal.add_member\nseal.remove_member\ncredential.revoke\n"
              "client.add\nclient.remove\nca.issue\nca.revoke\nmaintenance.on\nmaintenance.off\n");
    EXPECT_EQ(sqlite3("SELECT count(*) FROM audit_log WHERE operator_name = 'operator';"), "0\n");
    EXPECT_EQ(sqlite3("SELECT json_extract(details, '$.serial') || ' ' || json_extract(details, '$.reason') "
                      "FROM audit_log WHERE action = 'ca.revoke';"),
              serial + " superseded\n");
    // The same through the export's actor filter, and the chain is intact.
    EXPECT_EQ(actions(exported({"--actor", ops})), recorded);
    const auto verify = inkan_as("", {"audit", "verify"});
    EXPECT_EQ(verify.exit_code, 0) << describe(verify);
}

TEST_F(OperatorAuditCli, WithoutInkanOperatorTheActorIsTheOsUserNeverTheWordOperator) {
    const std::string me = os_user();
    ASSERT_NE(me, "operator");
    // init's demo user and credential, recorded as `user add` and `credential create` would.
    EXPECT_EQ(sqlite3("SELECT action || ' ' || operator_name || ' ' || json_extract(details, '$.by') FROM "
                      "audit_log WHERE action IN ('user.add', 'credential.create') ORDER BY seq;"),
              "user.add " + me + " init\ncredential.create " + me + " init\n");
    EXPECT_EQ(sqlite3("SELECT credential_id FROM audit_log WHERE action = 'credential.create';"),
              init["demo"]["credential_id"].get<std::string>() + "\n");
    const auto on = inkan_as("", {"maintenance", "on"});
    ASSERT_EQ(on.exit_code, 0) << describe(on);
    EXPECT_EQ(
        sqlite3("SELECT operator_name || ' ' || details FROM audit_log WHERE action = 'maintenance.on';"),
        me + " {\"was\":\"off\"}\n");
    // Under sudo the person is the one who ran sudo, not root.
    const auto sudo = run({"env", "-u", "INKAN_OPERATOR", "SUDO_USER=kenji", INKAN_BIN, "maintenance", "off",
                           "--data", data.string()});
    ASSERT_EQ(sudo.exit_code, 0) << describe(sudo);
    EXPECT_EQ(sqlite3("SELECT operator_name FROM audit_log WHERE action = 'maintenance.off';"), "kenji\n");
}

TEST_F(OperatorAuditCli, AnUnusableInkanOperatorIsRefusedBeforeAnythingChanges) {
    ASSERT_EQ(inkan_as("ops", {"user", "add", "carol", "--password-stdin"}, "password-carol\n").exit_code, 0);
    ASSERT_EQ(inkan_as("ops", {"user", "lock", "carol"}).exit_code, 0);
    const std::string entries = sqlite3("SELECT count(*) FROM audit_log;");
    // A line break would forge a CSV row, an escape sequence a terminal; too long, not UTF-8, empty.
    for (const std::string& bad :
         {std::string{"evil\n1,2026-01-01T00:00:00Z,user.add"}, std::string{"\x1b[31mred"},
          std::string(65, 'a'), std::string{"\xff\xfe"}, std::string{}}) {
        const auto unlock = run(
            {"env", "INKAN_OPERATOR=" + bad, INKAN_BIN, "user", "unlock", "carol", "--data", data.string()});
        EXPECT_EQ(unlock.exit_code, 1) << bad.size() << " bytes: " << describe(unlock);
        EXPECT_NE(unlock.err.find("INKAN_OPERATOR must be 1..64 characters of printable UTF-8"),
                  std::string::npos)
            << unlock.err;
        const auto on =
            run({"env", "INKAN_OPERATOR=" + bad, INKAN_BIN, "maintenance", "on", "--data", data.string()});
        EXPECT_NE(on.exit_code, 0) << bad.size() << " bytes: " << describe(on);
        EXPECT_FALSE(std::filesystem::exists(data / "maintenance")) << bad.size() << " bytes";
    }
    EXPECT_EQ(sqlite3("SELECT locked FROM users WHERE name = 'carol';"), "1\n")
        << "unlocked without an entry";
    EXPECT_EQ(sqlite3("SELECT count(*) FROM audit_log;"), entries);
    const auto sixty_four = inkan_as(std::string(64, 'a'), {"maintenance", "on"});
    EXPECT_EQ(sixty_four.exit_code, 0) << describe(sixty_four);
}

TEST_F(OperatorAuditCli, FailedLoginsRecordTheNameTriedButNeverThePassword) {
    std::unique_ptr<inkan::testing::Process> server;
    const json urls = inkan::e2e::start_serve(server, data);
    const std::string api = urls["api_url"].get<std::string>();
    const std::string cacert = init["tls_ca"].get<std::string>();
    const std::string password = "Wr0ng-horse-battery-7e1d";
    for (const std::string who : {"demo", "nosuchuser"}) {
        const auto r = inkan::e2e::curl_status(
            cacert, "30",
            {"-X", "POST", "-u", who + ":" + password, "--data-binary", "{}", api + "/csc/v2/auth/login"});
        EXPECT_GE(r.status, 400) << who << ": " << r.raw;
    }
    EXPECT_EQ(server->terminate(), 0) << server->stderr_text();

    const json failed = exported({"--action", "auth.login", "--outcome", "failed"});
    ASSERT_EQ(failed.size(), 2U) << failed.dump(2);
    EXPECT_EQ(failed[0]["outcome"], "bad_password");
    EXPECT_EQ(failed[0]["user_name"], "demo");
    EXPECT_EQ(failed[0]["details"]["user_name"], "demo");
    EXPECT_EQ(failed[1]["outcome"], "unknown_user");
    EXPECT_EQ(failed[1]["user_id"], "");
    EXPECT_EQ(failed[1]["user_name"], "nosuchuser") << "the name tried, from the details";
    EXPECT_EQ(exported({"--user", "nosuchuser"}).size(), 1U);
    // The password nowhere: not in either export, not in the table.
    for (const char* format : {"csv", "json"}) {
        const auto all = inkan_as("", {"audit", "export", "--format", format});
        ASSERT_EQ(all.exit_code, 0) << describe(all);
        EXPECT_EQ(all.out.find(password), std::string::npos) << format;
    }
    EXPECT_EQ(sqlite3("SELECT * FROM audit_log;").find(password), std::string::npos);
}

TEST_F(OperatorAuditCli, ExportShowsNamesNextToIdsAndFiltersByEachField) {
    ASSERT_EQ(
        inkan_as("ops-a", {"user", "add", "alice", "--display-name", "Alice Example", "--password-stdin"},
                 "password-alice\n")
            .exit_code,
        0);
    const auto created = inkan_as("ops-b",
                                  {"credential", "create", "--user", "alice", "--pin-stdin", "--description",
                                   "Alice's contracts key", "--json"},
                                  "246810\n");
    ASSERT_EQ(created.exit_code, 0) << describe(created);
    const std::string cred = json::parse(created.out)["credential"]["id"];
    ASSERT_EQ(inkan_as("ops-a", {"user", "lock", "alice"}).exit_code, 0);
    const std::string alice_id = sqlite3("SELECT id FROM users WHERE name = 'alice';").substr(0, 32);

    const auto csv = inkan_as("", {"audit", "export", "--credential", cred});
    ASSERT_EQ(csv.exit_code, 0) << describe(csv);
    EXPECT_EQ(
        csv.out.rfind("seq,at,action,outcome,user_id,user_name,client_id,client_name,credential_id,"
                      "credential_description,member_id,member_name,operator,details,prev_hash,hash\r\n",
                      0),
        0U)
        << csv.out;
    EXPECT_NE(csv.out.find(",alice,,," + cred + ",Alice's contracts key,,,ops-b,"), std::string::npos)
        << csv.out;

    const json by_cred = exported({"--credential", "Alice's contracts key"});
    ASSERT_EQ(by_cred.size(), 1U) << by_cred.dump(2);
    EXPECT_EQ(by_cred[0]["credential_id"], cred);
    EXPECT_EQ(by_cred[0]["user_name"], "alice");
    EXPECT_EQ(actions(exported({"--user", "alice"})), "user.add\ncredential.create\nuser.lock\n");
    EXPECT_EQ(actions(exported({"--user", alice_id})), "user.add\ncredential.create\nuser.lock\n");
    EXPECT_EQ(actions(exported({"--actor", "ops-a"})), "user.add\nuser.lock\n");
    EXPECT_EQ(actions(exported({"--actor", "ops-a", "--action", "user.lock"})), "user.lock\n");
    EXPECT_EQ(actions(exported({"--action", "user", "--user", "alice"})), "user.add\nuser.lock\n");
    EXPECT_EQ(actions(exported({"--outcome", "ok", "--actor", "ops-b"})), "credential.create\n");
    EXPECT_TRUE(exported({"--outcome", "failed"}).empty());
    EXPECT_TRUE(exported({"--actor", "ops-a", "--to", "2000-01-01T00:00:00Z"}).empty());
    EXPECT_TRUE(exported({"--user", "nobody"}).empty());
    EXPECT_EQ(inkan_as("", {"audit", "export", "--actor", ""}).exit_code, 2);
}

}  // namespace
