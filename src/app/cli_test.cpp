// Functional tests of the inkan command line: the real binary, a real SoftHSM token in a temp dir.

#include <sys/stat.h>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
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

/// Every file under dir with its contents and modification time, to show that nothing changed.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (e.is_regular_file()) {
            const auto bytes = inkan::testing::read_file(e.path());
            out[e.path().string()] = std::string(bytes.begin(), bytes.end()) + "@" +
                                     std::to_string(e.last_write_time().time_since_epoch().count());
        }
    }
    return out;
}

unsigned mode_of(const fs::path& p) {
    struct stat st {};
    ::stat(p.c_str(), &st);
    return st.st_mode & 07777U;
}

/// A command's words as `inkan --help` lists them ("  inkan ca issue --profile ..." → {"ca", "issue"}):
/// the lower-case words before the first option, placeholder or value list.
std::vector<std::vector<std::string>> listed_commands(const std::string& help) {
    std::vector<std::vector<std::string>> out;
    std::istringstream lines{help};
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("  inkan ", 0) != 0) continue;
        std::istringstream words{line.substr(8)};
        std::vector<std::string> path;
        for (std::string w; words >> w;) {
            const bool word =
                std::all_of(w.begin(), w.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; });
            if (!word || w[0] == '-') break;
            path.push_back(w);
        }
        out.push_back(path);
    }
    return out;
}

std::string joined(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words)
        out += (out.empty() ? "" : " ") + w;
    return out;
}

class InitializedDataDir : public ::testing::Test {
protected:
    void SetUp() override {
        const auto r = run_inkan({"init", "--data", data.string(), "--json"});
        ASSERT_EQ(r.exit_code, 0) << describe(r);
        init_json = nlohmann::json::parse(r.out);
    }
    TempDir tmp{"inkan-cli"};
    fs::path data = tmp / "data";
    nlohmann::json init_json;
};

}  // namespace

TEST(Cli, VersionPrintsTheProjectVersion) {
    const auto r = run_inkan({"--version"});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out.rfind("inkan ", 0), 0U) << describe(r);
}

TEST(Cli, HelpListsEverySubcommand) {
    const auto r = run_inkan({"--help"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    for (const char* cmd : {"inkan init", "inkan serve", "inkan hsm status", "inkan hsm keys"}) {
        EXPECT_NE(r.out.find(cmd), std::string::npos) << cmd << " missing from\n" << r.out;
    }
}

TEST(Cli, UnknownCommandIsAUsageError) {
    const auto r = run_inkan({"frobnicate"});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_NE(r.err.find("unknown command"), std::string::npos) << describe(r);
}

TEST(Cli, UnknownOptionIsAUsageError) {
    TempDir tmp{"inkan-cli"};
    const auto r = run_inkan({"init", "--data", (tmp / "d").string(), "--jsno"});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_NE(r.err.find("--jsno"), std::string::npos) << describe(r);
    EXPECT_FALSE(fs::exists(tmp / "d")) << "a usage error must not create anything";
}

TEST(Cli, EveryCommandAndSubcommandAnswersHelpAndDashHWithItsUsage) {
    const auto help = run_inkan({"--help"});
    ASSERT_EQ(help.exit_code, 0) << describe(help);
    const auto commands = listed_commands(help.out);
    // The whole table (init ... audit export): a parse that found few lines would test nothing.
    ASSERT_GE(commands.size(), 45U) << help.out;
    for (const auto& path : commands) {
        ASSERT_FALSE(path.empty()) << help.out;
        for (const char* flag : {"--help", "-h"}) {
            auto argv = path;
            argv.emplace_back(flag);
            const auto r = run_inkan(argv);
            EXPECT_EQ(r.exit_code, 0) << "inkan " << joined(argv) << "\n" << describe(r);
            EXPECT_EQ(r.out.rfind("usage: inkan " + joined(path), 0), 0U)
                << "inkan " << joined(argv) << " printed\n"
                << r.out;
        }
    }
}

TEST(Cli, EveryGroupListsItsSubcommandsForHelpDashHAndAlone) {
    const auto help = run_inkan({"--help"});
    std::map<std::string, std::vector<std::string>> groups;
    for (const auto& path : listed_commands(help.out)) {
        if (path.size() > 1) groups[path[0]].push_back(joined(path));
    }
    ASSERT_GE(groups.size(), 8U) << help.out;  // tl hsm ca user credential client seal audit
    for (const auto& [group, members] : groups) {
        for (const std::vector<std::string>& argv :
             {std::vector<std::string>{group, "--help"}, std::vector<std::string>{group, "-h"},
              std::vector<std::string>{group}}) {
            const auto r = run_inkan(argv);
            // Alone it is a usage error, like `inkan` alone: the list goes to stderr, exit 2.
            const bool alone = argv.size() == 1;
            EXPECT_EQ(r.exit_code, alone ? 2 : 0) << "inkan " << joined(argv) << "\n" << describe(r);
            const std::string& text = alone ? r.err : r.out;
            for (const auto& m : members) {
                EXPECT_NE(text.find("inkan " + m), std::string::npos)
                    << "inkan " << joined(argv) << " does not list " << m << ":\n"
                    << describe(r);
            }
            EXPECT_EQ(text.find("unknown command"), std::string::npos) << describe(r);
        }
    }
    const auto typo = run_inkan({"ca", "isue"});
    EXPECT_EQ(typo.exit_code, 2) << describe(typo);
    EXPECT_NE(typo.err.find("unknown command 'ca isue'"), std::string::npos) << describe(typo);
    EXPECT_NE(typo.err.find("inkan ca issue"), std::string::npos) << "the group's list follows\n"
                                                                  << describe(typo);
}

TEST(Cli, UsageListsEveryAcceptedKeyTypeAndTheDefaults) {
    for (const std::vector<std::string>& argv : {std::vector<std::string>{"credential", "create", "-h"},
                                                 std::vector<std::string>{"credential", "renew", "-h"},
                                                 std::vector<std::string>{"ca", "renew", "-h"}}) {
        const auto r = run_inkan(argv);
        ASSERT_EQ(r.exit_code, 0) << describe(r);
        EXPECT_NE(r.out.find("rsa-2048|rsa-3072|rsa-4096|ec-p256|ec-p384|ec-p521"), std::string::npos)
            << joined(argv) << ":\n"
            << r.out;
    }
    const auto create = run_inkan({"credential", "create", "--help"});
    for (const char* d : {"default ec-p256", "default person", "default explicit", "default JP"}) {
        EXPECT_NE(create.out.find(d), std::string::npos) << d << " missing from\n" << create.out;
    }
    const auto sign = run_inkan({"sign", "--help"});
    for (const char* d : {"default hash", "default pades", "default B-B", "default v2", "--force"}) {
        EXPECT_NE(sign.out.find(d), std::string::npos) << d << " missing from\n" << sign.out;
    }
    const auto ts = run_inkan({"timestamp", "--help"});
    for (const char* d : {"default FILE.tsr", "default sha256", "--force"}) {
        EXPECT_NE(ts.out.find(d), std::string::npos) << d << " missing from\n" << ts.out;
    }
}

TEST(Cli, HelpAfterTheEndOfOptionsIsAFileName) {
    // After "--" every word is positional: a file may be called -h.
    const auto r = run_inkan({"verify", "--", "-h"});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_NE(r.err.find("cannot read -h"), std::string::npos) << describe(r);
}

TEST(Cli, InitRefusesADataPathWhoseParentDoesNotExist) {
    TempDir tmp{"inkan-cli"};
    const fs::path missing = tmp / "no-such-parent" / "data";
    const auto r = run_inkan({"init", "--data", missing.string()});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_NE(r.err.find((tmp / "no-such-parent").string() + " does not exist"), std::string::npos)
        << describe(r);
    EXPECT_FALSE(fs::exists(tmp / "no-such-parent")) << "init created the parent";
}

TEST_F(InitializedDataDir, InitReportsDataDirAndConfigAsJson) {
    ASSERT_TRUE(init_json.contains("data_dir")) << init_json.dump();
    ASSERT_TRUE(init_json.contains("config")) << init_json.dump();
    EXPECT_EQ(fs::path(init_json["data_dir"].get<std::string>()), data) << init_json.dump();
    EXPECT_TRUE(fs::exists(init_json["config"].get<std::string>())) << init_json.dump();
    EXPECT_TRUE(init_json["created"].get<bool>()) << init_json.dump();
}

TEST_F(InitializedDataDir, PinFilesAreReadableByTheOwnerOnly) {
    EXPECT_EQ(mode_of(data / "hsm-user.pin"), 0600U);
    EXPECT_EQ(mode_of(data / "hsm-so.pin"), 0600U);
    EXPECT_EQ(mode_of(data), 0700U);
}

TEST_F(InitializedDataDir, SecondInitChangesNothingAndSaysSo) {
    const auto before = snapshot(data);
    const auto r = run_inkan({"init", "--data", data.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("nothing changed"), std::string::npos) << describe(r);
    EXPECT_EQ(snapshot(data), before);

    const auto j = run_inkan({"init", "--data", data.string(), "--json"});
    ASSERT_EQ(j.exit_code, 0) << describe(j);
    EXPECT_FALSE(nlohmann::json::parse(j.out)["created"].get<bool>()) << j.out;
    EXPECT_EQ(snapshot(data), before);
}

TEST(Cli, InitRefusesANonEmptyDirectoryThatIsNotADataDirectory) {
    TempDir tmp{"inkan-cli"};
    inkan::testing::write_file(tmp / "precious.txt", std::string_view{"keep me"});
    const auto r = run_inkan({"init", "--data", tmp.path().string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("not empty"), std::string::npos) << describe(r);
    EXPECT_FALSE(fs::exists(tmp / "inkan.toml"));
    EXPECT_TRUE(fs::exists(tmp / "precious.txt"));
}

TEST_F(InitializedDataDir, HsmStatusShowsTheTokenAndLogsIn) {
    const auto r = run_inkan({"hsm", "status", "--data", data.string(), "--json"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["token"]["label"], "inkan") << r.out;
    EXPECT_TRUE(j["token"]["initialized"].get<bool>()) << r.out;
    EXPECT_FALSE(j["token"]["user_pin_locked"].get<bool>()) << r.out;
    EXPECT_NE(j["module"]["manufacturer"].get<std::string>().find("SoftHSM"), std::string::npos) << r.out;

    const auto text = run_inkan({"hsm", "status", "--data", data.string()});
    ASSERT_EQ(text.exit_code, 0) << describe(text);
    EXPECT_NE(text.out.find("token:    inkan"), std::string::npos) << describe(text);
}

TEST_F(InitializedDataDir, HsmKeysListsTheStorageKeyAsSensitiveAndNotExtractable) {
    const auto r = run_inkan({"hsm", "keys", "--data", data.string(), "--json"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const auto keys = nlohmann::json::parse(r.out);
    const auto it = std::find_if(keys.begin(), keys.end(),
                                 [](const auto& k) { return k["label"] == "inkan-storage-key"; });
    ASSERT_NE(it, keys.end()) << r.out;
    const auto& k = *it;
    EXPECT_EQ(k["label"], "inkan-storage-key") << r.out;
    EXPECT_EQ(k["type"], "AES") << r.out;
    EXPECT_EQ(k["bits"], 256) << r.out;
    EXPECT_EQ(k["sensitive"], true) << r.out;
    EXPECT_EQ(k["extractable"], false) << r.out;
    EXPECT_EQ(k["never_extractable"], true) << r.out;

    const auto text = run_inkan({"hsm", "keys", "--data", data.string()});
    ASSERT_EQ(text.exit_code, 0) << describe(text);
    EXPECT_NE(text.out.find("inkan-storage-key"), std::string::npos) << describe(text);
}

TEST_F(InitializedDataDir, HsmKeysLinesUpEveryColumnUnderItsHeader) {
    const auto keys =
        nlohmann::json::parse(run_inkan({"hsm", "keys", "--data", data.string(), "--json"}).out);
    const auto text = run_inkan({"hsm", "keys", "--data", data.string()});
    ASSERT_EQ(text.exit_code, 0) << describe(text);
    std::istringstream lines{text.out};
    std::string header;
    std::getline(lines, header);
    const std::size_t id_column = header.find("ID");
    const std::size_t type_column = header.find("TYPE");
    // Every object's row (init's long labels and 20-byte ids included) keeps its cells under the headers.
    std::size_t rows = 0;
    for (std::string line; std::getline(lines, line);) {
        const auto k = std::find_if(keys.begin(), keys.end(), [&](const nlohmann::json& key) {
            const std::string label = key["label"].get<std::string>();
            return !label.empty() && line.find(" " + label + " ") != std::string::npos;
        });
        if (k == keys.end()) continue;
        ++rows;
        const std::string id = (*k)["id"].get<std::string>();
        const std::size_t id_at = line.find(id, line.find((*k)["label"].get<std::string>()));
        EXPECT_EQ(id_at, id_column) << "the ID of " << (*k)["label"] << "\n" << text.out;
        EXPECT_EQ(line.find((*k)["type"].get<std::string>(), id_at + id.size()), type_column)
            << "the TYPE of " << (*k)["label"] << "\n"
            << text.out;
    }
    EXPECT_GE(rows, 3U) << text.out;
}

TEST_F(InitializedDataDir, TheTokenIsARealPkcs11TokenThatPkcs11ToolReads) {
    // An oracle we did not write: OpenSC's pkcs11-tool, on the same token through the same module.
    const auto pin_bytes = inkan::testing::read_file(data / "hsm-user.pin");
    const std::string pin(pin_bytes.begin(), pin_bytes.end());
    ::setenv("SOFTHSM2_CONF", (data / "softhsm2.conf").c_str(), 1);
    const auto r = run({"pkcs11-tool", "--module", "/usr/lib/softhsm/libsofthsm2.so", "--token-label",
                        "inkan", "--login", "--pin", pin, "--list-objects"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("Secret Key Object; AES length 32"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("inkan-storage-key"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("never extractable"), std::string::npos) << r.out;
}

TEST_F(InitializedDataDir, APinFileReadableByOthersIsRefused) {
    fs::permissions(data / "hsm-user.pin", fs::perms::others_read, fs::perm_options::add);
    const auto r = run_inkan({"hsm", "status", "--data", data.string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("chmod 600"), std::string::npos) << describe(r);
    const auto pin_bytes = inkan::testing::read_file(data / "hsm-user.pin");
    EXPECT_EQ(r.err.find(std::string(pin_bytes.begin(), pin_bytes.end())), std::string::npos)
        << "the PIN must never appear in a message";
}

TEST_F(InitializedDataDir, EnvironmentOverridesTheConfigFile) {
    ::setenv("INKAN_HSM_TOKEN", "no-such-token", 1);
    const auto r = run_inkan({"hsm", "status", "--data", data.string()});
    ::unsetenv("INKAN_HSM_TOKEN");
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("no-such-token"), std::string::npos) << describe(r);
    EXPECT_NE(r.err.find("hsm_unavailable"), std::string::npos) << describe(r);
}

TEST(Cli, CommandsOnAnUninitialisedDirectoryExplainWhatToDo) {
    TempDir tmp{"inkan-cli"};
    const auto r = run_inkan({"hsm", "keys", "--data", (tmp / "nothing").string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("inkan init"), std::string::npos) << describe(r);
}

// Decision 0042: storage.url selects PostgreSQL, and every command opens it rather than the SQLite file a
// node also has configured (other nodes share the PostgreSQL database). A server that cannot be reached is
// storage_failure, "database unavailable" (the API's 503), never a quiet fallback.
TEST(Cli, AStorageUrlIsOpenedInsteadOfTheSqliteFile) {
    TempDir tmp{"inkan-cli"};
    inkan::testing::write_file(
        tmp / "inkan.toml", std::string_view{"[storage]\nsqlite = \"inkan.db\"\nurl = "
                                             "\"postgresql://inkan@%2Fnonexistent-inkan-socket/inkan\"\n"});
    for (const std::vector<std::string>& command :
         {std::vector<std::string>{"status"}, std::vector<std::string>{"migrate"},
          std::vector<std::string>{"purge"}}) {
        std::vector<std::string> args = command;
        args.insert(args.end(), {"--data", tmp.path().string()});
        const auto r = run_inkan(args);
        EXPECT_EQ(r.exit_code, 1) << command[0] << ": " << describe(r);
        EXPECT_NE(r.err.find("storage_failure"), std::string::npos) << command[0] << ": " << describe(r);
        EXPECT_NE(r.err.find("database unavailable"), std::string::npos) << command[0] << ": " << describe(r);
    }
    EXPECT_FALSE(std::filesystem::exists(tmp / "inkan.db")) << "the SQLite file was opened anyway";
    const auto backup = run_inkan({"backup", "--data", tmp.path().string(), "--to", (tmp / "bak").string()});
    EXPECT_EQ(backup.exit_code, 1) << describe(backup);
    EXPECT_NE(backup.err.find("pg_dump"), std::string::npos) << describe(backup);
    EXPECT_NE(backup.err.find("invalid_config"), std::string::npos) << describe(backup);
}

TEST(Cli, MigrateReportsTheSqliteSchemaFromAndTo) {
    TempDir tmp{"inkan-cli"};
    inkan::testing::write_file(tmp / "inkan.toml", std::string_view{"[storage]\nsqlite = \"inkan.db\"\n"});
    const auto first = run_inkan({"migrate", "--data", tmp.path().string(), "--json"});
    ASSERT_EQ(first.exit_code, 0) << describe(first);
    const auto j = nlohmann::json::parse(first.out);
    EXPECT_EQ(j["backend"], "sqlite") << first.out;
    EXPECT_EQ(j["from"], 0) << first.out;
    EXPECT_GE(j["to"].get<int>(), 17) << first.out;
    const auto again = run_inkan({"migrate", "--data", tmp.path().string()});
    ASSERT_EQ(again.exit_code, 0) << describe(again);
    const std::string to = std::to_string(j["to"].get<int>());
    EXPECT_EQ(again.out, "sqlite schema: version " + to + " -> " + to + " (up to date)\n") << describe(again);
}

TEST(Cli, AStorageUrlWithAPasswordIsRefusedWithoutPrintingIt) {
    TempDir tmp{"inkan-cli"};
    inkan::testing::write_file(tmp / "inkan.toml", std::string_view{"[storage]\nsqlite = \"inkan.db\"\n"});
    ::setenv("INKAN_STORAGE_URL", "postgresql://inkan:hunter2@db1/inkan", 1);
    const auto r = run_inkan({"serve", "--data", tmp.path().string()});
    ::unsetenv("INKAN_STORAGE_URL");
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("password_file"), std::string::npos) << describe(r);
    EXPECT_EQ(r.out.find("hunter2"), std::string::npos) << describe(r);
    EXPECT_EQ(r.err.find("hunter2"), std::string::npos) << describe(r);
}
