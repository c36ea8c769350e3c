// Functional tests of the user, credential and seal commands: the real binary on a data directory made
// by `inkan init`, secrets on standard input, certificates judged by the openssl CLI.

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/testing/process.h>

namespace fs = std::filesystem;
using inkan::testing::CommandResult;
using inkan::testing::run;
using inkan::testing::TempDir;

namespace {

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

class ServiceCli : public ::testing::Test {
protected:
    void SetUp() override {
        const auto r = run({INKAN_BIN, "init", "--data", data.string(), "--json"});
        ASSERT_EQ(r.exit_code, 0) << describe(r);
    }

    /// Runs inkan with `args` and --data, feeding `stdin_data`.
    CommandResult inkan(std::vector<std::string> args, std::string_view stdin_data = {}) {
        args.insert(args.begin(), INKAN_BIN);
        args.push_back("--data");
        args.push_back(data.string());
        return run(args, stdin_data);
    }

    /// Runs inkan and parses its JSON output; fails the test unless it exits 0.
    nlohmann::json inkan_json(std::vector<std::string> args, std::string_view stdin_data = {}) {
        args.push_back("--json");
        const auto r = inkan(std::move(args), stdin_data);
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        if (r.exit_code != 0) {
            return nlohmann::json::object();
        }
        return nlohmann::json::parse(r.out);
    }

    void add_user(const std::string& name, const std::string& display_name = {}) {
        std::vector<std::string> args{"user", "add", name, "--password-stdin"};
        if (!display_name.empty()) {
            args.insert(args.end(), {"--display-name", display_name});
        }
        const auto r = inkan(args, "password-" + name + "\n");
        ASSERT_EQ(r.exit_code, 0) << describe(r);
    }

    /// `openssl verify` of a credential's chain (from `credential show --json`) against the data
    /// directory's root.
    CommandResult verify_chain(const nlohmann::json& shown) {
        const std::string pem = shown.value("chain_pem", "");
        inkan::testing::write_file(tmp / "chain.pem", pem);
        const auto end = pem.find("-----END CERTIFICATE-----");
        inkan::testing::write_file(tmp / "leaf.pem", pem.substr(0, end + 26));
        return run({"openssl", "verify", "-CAfile", (data / "pki" / "root-ca.pem").string(), "-untrusted",
                    (tmp / "chain.pem").string(), (tmp / "leaf.pem").string()});
    }

    std::vector<std::string> ids(const nlohmann::json& list) {
        std::vector<std::string> out;
        for (const auto& c : list) {
            out.push_back(c["id"].get<std::string>());
        }
        return out;
    }

    TempDir tmp{"inkan-svc-cli"};
    fs::path data = tmp / "data";
};

}  // namespace

TEST_F(ServiceCli, HelpListsTheServiceCommands) {
    const auto r = run({INKAN_BIN, "--help"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    for (const char* cmd :
         {"inkan user add", "inkan user list", "inkan user lock", "inkan user role", "inkan user passwd",
          "inkan user totp", "inkan credential create", "inkan credential list", "inkan credential show",
          "inkan credential revoke", "inkan credential import-cert", "inkan seal add-member",
          "inkan seal remove-member"}) {
        EXPECT_TRUE(contains(r.out, cmd)) << cmd << " missing from\n" << r.out;
    }
}

TEST_F(ServiceCli, UserAddWithTotpPrintsAnOtpauthUriOnce) {
    const auto j = inkan_json({"user", "add", "alice", "--totp", "--password-stdin"}, "alice's password\n");
    ASSERT_TRUE(j.contains("otpauth_uri")) << j.dump();
    EXPECT_FALSE(j.contains("password")) << "the operator chose it: not echoed";
    const std::string uri = j["otpauth_uri"];
    const std::regex shape{
        "otpauth://totp/inkan:alice\\?secret=([A-Z2-7]{32})&issuer=inkan&algorithm=SHA1"
        "&digits=6&period=30"};
    std::smatch m;
    ASSERT_TRUE(std::regex_match(uri, m, shape)) << uri;
    EXPECT_EQ(m[1].str(), j["totp_secret"].get<std::string>());
    EXPECT_EQ(j["user"]["name"], "alice");
    EXPECT_EQ(j["user"]["totp"], true);
    // An authenticator (oathtool) takes the secret.
    const auto code = run({"oathtool", "--totp", "-b", m[1].str()});
    EXPECT_EQ(code.exit_code, 0) << describe(code);
    EXPECT_TRUE(std::regex_match(code.out, std::regex{"[0-9]{6}\n"})) << code.out;

    // Never again: neither list nor a second look prints it.
    const auto list = inkan({"user", "list", "--json"});
    EXPECT_FALSE(contains(list.out, m[1].str()));
    EXPECT_FALSE(contains(list.out, "alice's password"));
    // Re-enrolment gives a new secret.
    const auto again = inkan_json({"user", "totp", "alice"});
    EXPECT_NE(again["totp_secret"], j["totp_secret"]);
    const auto text = inkan({"user", "totp", "alice"});
    ASSERT_EQ(text.exit_code, 0) << describe(text);
    EXPECT_TRUE(contains(text.out, "otpauth://totp/inkan:alice?secret=")) << text.out;
}

TEST_F(ServiceCli, WithoutPasswordStdinARandomPasswordIsPrintedOnce) {
    const auto j = inkan_json({"user", "add", "bob"});
    ASSERT_TRUE(j.contains("password")) << j.dump();
    const std::string password = j["password"];
    EXPECT_GE(password.size(), 16U);
    EXPECT_FALSE(j.contains("otpauth_uri"));
    const auto text = inkan({"user", "add", "carol"});
    ASSERT_EQ(text.exit_code, 0) << describe(text);
    EXPECT_TRUE(std::regex_search(text.out, std::regex{"password: +[A-Za-z0-9_-]{20}\n"})) << text.out;
    const auto db = run({"sqlite3", (data / "inkan.db").string(), ".dump"});
    EXPECT_FALSE(contains(db.out, password)) << "only the argon2id hash is stored";
    EXPECT_TRUE(contains(db.out, "$argon2id$"));
}

TEST_F(ServiceCli, AJapaneseDisplayNameRoundTripsThroughUserList) {
    add_user("yamada", "山田 太郎");
    add_user("sato", "佐藤　花子");
    // init's demo user is there too; the list is ordered by name.
    const auto list = inkan_json({"user", "list"});
    ASSERT_EQ(list.size(), 3U) << list.dump();
    EXPECT_EQ(list[0]["name"], "demo");
    EXPECT_EQ(list[1]["name"], "sato");
    EXPECT_EQ(list[1]["display_name"], "佐藤　花子");
    EXPECT_EQ(list[2]["name"], "yamada");
    EXPECT_EQ(list[2]["display_name"], "山田 太郎");
    EXPECT_EQ(list[2]["role"], "user");
    const auto text = inkan({"user", "list"});
    EXPECT_TRUE(contains(text.out, "山田 太郎")) << text.out;
}

TEST_F(ServiceCli, LockUnlockPasswdAndMistakes) {
    add_user("alice");
    ASSERT_EQ(inkan({"user", "lock", "alice"}).exit_code, 0);
    EXPECT_EQ(inkan_json({"user", "list"})[0]["locked"], true);
    ASSERT_EQ(inkan({"user", "unlock", "alice"}).exit_code, 0);
    EXPECT_EQ(inkan_json({"user", "list"})[0]["locked"], false);

    const auto passwd = inkan({"user", "passwd", "alice", "--password-stdin"}, "a new password\r\n");
    EXPECT_EQ(passwd.exit_code, 0) << describe(passwd);
    EXPECT_FALSE(contains(passwd.out + passwd.err, "a new password"));
    EXPECT_EQ(inkan({"user", "passwd", "alice"}).exit_code, 2) << "the password only comes from stdin";
    const auto short_pw = inkan({"user", "passwd", "alice", "--password-stdin"}, "short\n");
    EXPECT_EQ(short_pw.exit_code, 1) << describe(short_pw);
    EXPECT_FALSE(contains(short_pw.err, "short\n")) << "the secret is not in the error";

    const auto dup = inkan({"user", "add", "alice", "--password-stdin"}, "another password\n");
    EXPECT_EQ(dup.exit_code, 1) << describe(dup);
    EXPECT_TRUE(contains(dup.err, "[conflict]")) << dup.err;
    EXPECT_EQ(inkan({"user", "add", "dave", "--role", "root"}).exit_code, 2);
    EXPECT_EQ(inkan({"user", "add", "dave", "--password-stdin"}, "").exit_code, 1) << "empty stdin";
    EXPECT_EQ(inkan({"user", "add", "bad name"}).exit_code, 1);
    EXPECT_EQ(inkan({"user", "lock", "nobody"}).exit_code, 1);
    const auto op =
        inkan_json({"user", "add", "olga", "--role", "operator", "--password-stdin"}, "olga-password\n");
    EXPECT_EQ(op["user"]["role"], "operator");

    // Roles: the same service function as the console's form, audited under the operator's name.
    ASSERT_EQ(inkan({"user", "role", "alice", "auditor"}).exit_code, 0);
    EXPECT_EQ(inkan_json({"user", "show", "alice"})["role"], "auditor");
    EXPECT_EQ(inkan({"user", "role", "alice", "root"}).exit_code, 2);
    EXPECT_EQ(inkan({"user", "role", "alice"}).exit_code, 2);
    EXPECT_EQ(inkan({"user", "role", "nobody", "user"}).exit_code, 1);
    const auto exported = inkan({"audit", "export", "--format", "json", "--action", "user.role"});
    ASSERT_EQ(exported.exit_code, 0) << describe(exported);
    const auto roles = nlohmann::json::parse(exported.out);
    ASSERT_EQ(roles.size(), 1U) << roles.dump(2);
    EXPECT_EQ(roles[0]["details"]["was"], "user");
    EXPECT_EQ(roles[0]["details"]["role"], "auditor");
    EXPECT_FALSE(roles[0]["operator"].get<std::string>().empty());
}

TEST_F(ServiceCli, ACredentialsChainVerifiesAgainstTheRootAndListsAndShows) {
    add_user("alice", "山田 太郎");
    add_user("bob", "John Doe");
    const auto created = inkan_json({"credential", "create", "--user", "alice"});
    ASSERT_TRUE(created.contains("credential")) << created.dump();
    const std::string id = created["credential"]["id"];
    EXPECT_TRUE(std::regex_match(created.value("pin", ""), std::regex{"[0-9]{6}"})) << created.dump();
    EXPECT_EQ(created["credential"]["status"], "active");
    EXPECT_EQ(created["credential"]["subject"], "CN=山田 太郎,GN=太郎,SN=山田,C=JP");

    const auto shown = inkan_json({"credential", "show", id});
    EXPECT_EQ(shown["key_algo"], "ec-p256");
    EXPECT_EQ(shown["scal"], 2);
    EXPECT_EQ(shown["owner"], "alice");
    EXPECT_EQ(shown["auth_mode"], "explicit") << "the default";
    EXPECT_FALSE(contains(shown.dump(), created["pin"].get<std::string>() + "\""));
    const auto verified = verify_chain(shown);
    EXPECT_EQ(verified.exit_code, 0) << describe(verified);
    EXPECT_TRUE(contains(verified.out, ": OK")) << verified.out;

    // RSA-3072, SCAL 1, multisign, PIN from stdin (not echoed).
    const auto rsa = inkan_json({"credential", "create", "--user", "bob", "--algo", "rsa-3072", "--scal", "1",
                                 "--multisign", "20", "--pin-stdin", "--description", "contracts"},
                                "8642\n");
    EXPECT_FALSE(rsa.contains("pin"));
    EXPECT_EQ(rsa["credential"]["key_algo"], "rsa-3072");
    EXPECT_EQ(rsa["credential"]["subject"], "CN=John Doe,GN=John,SN=Doe,C=JP");
    const std::string rsa_id = rsa["credential"]["id"];
    EXPECT_EQ(verify_chain(inkan_json({"credential", "show", rsa_id})).exit_code, 0);

    // After init's demo credential, in creation order.
    const auto all = ids(inkan_json({"credential", "list"}));
    ASSERT_EQ(all.size(), 3U);
    EXPECT_EQ((std::vector<std::string>{all[1], all[2]}), (std::vector<std::string>{id, rsa_id}));
    EXPECT_EQ(ids(inkan_json({"credential", "list", "--user", "alice"})), (std::vector<std::string>{id}));
    EXPECT_EQ(ids(inkan_json({"credential", "list", "--user", "bob"})), (std::vector<std::string>{rsa_id}));
    const auto text = inkan({"credential", "show", id});
    EXPECT_TRUE(contains(text.out, "-----BEGIN CERTIFICATE-----")) << text.out;
    EXPECT_TRUE(contains(text.out, "SCAL:        2")) << text.out;
    EXPECT_TRUE(contains(text.out, "auth mode:   explicit")) << text.out;

    // oauth2code: no PIN shown or read; shown in list and show.
    const auto coded = inkan_json({"credential", "create", "--user", "alice", "--auth-mode", "oauth2code"});
    EXPECT_FALSE(coded.contains("pin")) << coded.dump();
    EXPECT_EQ(coded["credential"]["auth_mode"], "oauth2code") << coded.dump();
    const std::string coded_id = coded["credential"]["id"];
    EXPECT_EQ(inkan_json({"credential", "show", coded_id})["auth_mode"], "oauth2code");
    EXPECT_TRUE(contains(inkan({"credential", "show", coded_id}).out, "auth mode:   oauth2code"));
    EXPECT_EQ(inkan_json({"credential", "list", "--user", "alice"})[1]["auth_mode"], "oauth2code");
    EXPECT_EQ(inkan_json({"credential", "show", coded_id})["signature_qualifier"], "eu_eidas_aes")
        << "a personal credential is advanced unless the operator says qualified";

    // --signature-qualifier: one of CSC v2's values, shown in show (text and JSON) and list.
    const auto qes =
        inkan_json({"credential", "create", "--user", "alice", "--signature-qualifier", "eu_eidas_qes"});
    const std::string qes_id = qes["credential"]["id"];
    EXPECT_EQ(qes["credential"]["signature_qualifier"], "eu_eidas_qes") << qes.dump();
    EXPECT_TRUE(contains(inkan({"credential", "show", qes_id}).out, "qualifier:   eu_eidas_qes"));
    EXPECT_TRUE(contains(inkan({"credential", "list"}).out, "eu_eidas_qes"));
    const auto unknown =
        inkan({"credential", "create", "--user", "alice", "--signature-qualifier", "eu_eidas_best"});
    EXPECT_EQ(unknown.exit_code, 2) << describe(unknown);
    EXPECT_TRUE(contains(unknown.err, "--signature-qualifier must be one of eu_eidas_qes")) << unknown.err;
    const auto implicit = inkan({"credential", "create", "--user", "alice", "--auth-mode", "implicit"});
    EXPECT_EQ(implicit.exit_code, 2) << describe(implicit);
    EXPECT_TRUE(contains(implicit.err, "--auth-mode must be explicit or oauth2code")) << implicit.err;
    EXPECT_EQ(inkan({"credential", "create", "--user", "alice", "--auth-mode", "oauth2code", "--pin-stdin"},
                    "1234\n")
                  .exit_code,
              2)
        << "an oauth2code credential takes no PIN";

    EXPECT_EQ(inkan({"credential", "create", "--user", "nobody"}).exit_code, 1);
    EXPECT_EQ(inkan({"credential", "create"}).exit_code, 2) << "no --user";
    EXPECT_EQ(inkan({"credential", "create", "--user", "alice", "--algo", "dsa-1024"}).exit_code, 2);
    EXPECT_EQ(inkan({"credential", "create", "--user", "alice", "--scal", "3"}).exit_code, 1);
    EXPECT_EQ(inkan({"credential", "show", "no-such-id"}).exit_code, 1);
}

TEST_F(ServiceCli, RevokingPutsTheSerialOnTheCrlAndRemovesTheKey) {
    add_user("alice", "山田 太郎");
    const auto created = inkan_json({"credential", "create", "--user", "alice", "--algo", "rsa-2048"});
    const std::string id = created["credential"]["id"];
    const std::string serial = created["credential"]["serial"];
    const auto keys_before = inkan({"hsm", "keys"});
    EXPECT_TRUE(contains(keys_before.out, "cred-" + id)) << keys_before.out;

    const auto revoked = inkan({"credential", "revoke", id, "--reason", "keyCompromise"});
    ASSERT_EQ(revoked.exit_code, 0) << describe(revoked);
    EXPECT_EQ(inkan_json({"credential", "show", id})["status"], "disabled");
    EXPECT_FALSE(contains(inkan({"hsm", "keys"}).out, "cred-" + id));

    const auto crl = inkan({"ca", "crl", "-o", (tmp / "ca.crl").string()});
    ASSERT_EQ(crl.exit_code, 0) << describe(crl);
    const auto text =
        run({"openssl", "crl", "-inform", "DER", "-in", (tmp / "ca.crl").string(), "-noout", "-text"});
    ASSERT_EQ(text.exit_code, 0) << describe(text);
    EXPECT_TRUE(contains(text.out, "Serial Number: " + serial)) << text.out;
    EXPECT_TRUE(contains(text.out, "Key Compromise")) << text.out;

    const auto again = inkan({"credential", "revoke", id});
    EXPECT_EQ(again.exit_code, 1) << describe(again);
    EXPECT_TRUE(contains(again.err, "[conflict]")) << again.err;
}

TEST_F(ServiceCli, ASealWithTwoMembers) {
    add_user("alice");
    add_user("bob");
    add_user("carol");
    const auto created =
        inkan_json({"credential", "create", "--profile", "seal", "--organization", "株式会社インカン",
                    "--org-id", "NTRJP-1234567890123", "--scal", "1", "--multisign", "100"});
    ASSERT_TRUE(created.contains("credential")) << created.dump();
    EXPECT_FALSE(created.contains("pin")) << "a seal has no PIN of its own";
    const std::string id = created["credential"]["id"];
    EXPECT_EQ(created["credential"]["kind"], "seal");
    EXPECT_EQ(created["credential"]["subject"],
              "CN=株式会社インカン,organizationIdentifier=NTRJP-1234567890123,O=株式会社インカン,C=JP");

    const auto a = inkan({"seal", "add-member", id, "alice", "--pin-stdin"}, "2468\n");
    ASSERT_EQ(a.exit_code, 0) << describe(a);
    EXPECT_FALSE(contains(a.out + a.err, "2468"));
    const auto b = inkan_json({"seal", "add-member", id, "bob"});
    EXPECT_TRUE(std::regex_match(b.value("pin", ""), std::regex{"[0-9]{6}"})) << b.dump();

    const auto shown = inkan_json({"credential", "show", id});
    ASSERT_EQ(shown["members"].size(), 2U) << shown.dump();
    EXPECT_EQ(shown["members"][0]["user"], "alice");
    EXPECT_EQ(shown["members"][1]["user"], "bob");
    EXPECT_EQ(verify_chain(shown).exit_code, 0);
    EXPECT_EQ(ids(inkan_json({"credential", "list", "--user", "bob"})), (std::vector<std::string>{id}));
    EXPECT_TRUE(inkan_json({"credential", "list", "--user", "carol"}).empty());

    EXPECT_EQ(inkan({"seal", "add-member", id, "alice", "--pin-stdin"}, "1357\n").exit_code, 1) << "twice";
    ASSERT_EQ(inkan({"seal", "remove-member", id, "bob"}).exit_code, 0);
    EXPECT_TRUE(inkan_json({"credential", "list", "--user", "bob"}).empty());
    EXPECT_EQ(inkan({"seal", "remove-member", id, "bob"}).exit_code, 1);

    EXPECT_EQ(inkan({"credential", "create", "--profile", "seal", "--organization", "X"}).exit_code, 2)
        << "no --org-id";
    EXPECT_EQ(inkan({"credential", "create", "--profile", "seal", "--organization", "X", "--org-id",
                     "NTRJP-1", "--pin-stdin"},
                    "1234\n")
                  .exit_code,
              2)
        << "a seal PIN";
    const std::string personal = inkan_json({"credential", "create", "--user", "carol", "--given-name",
                                             "Carol", "--surname", "Smith"})["credential"]["id"];
    EXPECT_EQ(inkan({"seal", "add-member", personal, "alice", "--pin-stdin"}, "1234\n").exit_code, 1)
        << "not a seal";
}

TEST_F(ServiceCli, AManualCaCredentialTakesAnImportedCertificate) {
    add_user("alice", "山田 太郎");
    const auto created = inkan_json({"credential", "create", "--user", "alice", "--ca", "manual"});
    ASSERT_TRUE(created.contains("csr_pem")) << created.dump();
    EXPECT_EQ(created["credential"]["status"], "pending");
    const std::string id = created["credential"]["id"];
    inkan::testing::write_file(tmp / "req.pem", created["csr_pem"].get<std::string>());

    // The CA across the road: here inkan's own issuing CA, by `inkan ca issue`.
    const auto issued = inkan({"ca", "issue", "--profile", "person", "--csr", (tmp / "req.pem").string(),
                               "-o", (tmp / "issued.pem").string()});
    ASSERT_EQ(issued.exit_code, 0) << describe(issued);
    const auto imported = inkan({"credential", "import-cert", id, "--cert", (tmp / "issued.pem").string()});
    ASSERT_EQ(imported.exit_code, 0) << describe(imported);
    const auto shown = inkan_json({"credential", "show", id});
    EXPECT_EQ(shown["status"], "active");
    EXPECT_EQ(verify_chain(shown).exit_code, 0);

    // A certificate for another key is refused.
    const std::string other =
        inkan_json({"credential", "create", "--user", "alice", "--ca", "manual"})["credential"]["id"];
    const auto refused = inkan({"credential", "import-cert", other, "--cert", (tmp / "issued.pem").string()});
    EXPECT_EQ(refused.exit_code, 1) << describe(refused);
    EXPECT_EQ(inkan_json({"credential", "show", other})["status"], "pending");
}
