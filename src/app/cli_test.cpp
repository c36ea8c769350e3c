// Functional tests of the inkan command line: the real binary, a real SoftHSM token in a temp dir.

#include <sys/stat.h>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

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
