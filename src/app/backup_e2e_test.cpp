// Backup and restore of a serving inkan (issue 26, docs/backup.md): the real `inkan serve` signs for
// client threads (curl over HTTPS) while `inkan backup` runs; the backup is restored into a new data
// directory, a second server starts on it, and the restored credential signs again — the signature
// checked by `openssl pkeyutl -verify` against the credential's certificate from credentials/info.
// `inkan audit verify` passes on the restored data, and no SAD from before the backup (spent or not)
// is accepted after the restore. The refusals leave everything as it was.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/core/clock.h>
#include <inkan/core/encoding.h>
#include <inkan/service/secrets.h>
#include <inkan/testing/process.h>

#include "e2e_support.h"

namespace fs = std::filesystem;
using inkan::Bytes;
using inkan::e2e::curl_status;
using inkan::e2e::HttpResult;
using inkan::e2e::kEcdsaSha256;
using inkan::e2e::sha256;
using inkan::e2e::start_serve;
using inkan::testing::run;
using inkan::testing::TempDir;
using nlohmann::json;

namespace {

std::string text_of(const fs::path& file) {
    const Bytes b = inkan::testing::read_file(file);
    return {b.begin(), b.end()};
}

class BackupE2e : public ::testing::Test {
protected:
    void SetUp() override {
        const auto init = run({INKAN_BIN, "init", "--data", data.string(), "--json"});
        ASSERT_EQ(init.exit_code, 0) << describe(init);
        init_json = json::parse(init.out);
        const auto cred = run({INKAN_BIN, "credential", "create", "--data", data.string(), "--user", "demo",
                               "--scal", "1", "--multisign", "10000", "--pin-stdin", "--json"},
                              "4711\n");
        ASSERT_EQ(cred.exit_code, 0) << describe(cred);
        credential = json::parse(cred.out)["credential"]["id"].get<std::string>();
    }

    std::string demo(const char* field) const { return init_json["demo"][field].get<std::string>(); }

    HttpResult post(const std::string& api, const std::string& path, const json& body,
                    const std::string& token) const {
        return curl_status(init_json["tls_ca"].get<std::string>(), "20",
                           {"-X", "POST", "-H", "Content-Type: application/json", "-H",
                            "Authorization: Bearer " + token, "--data-binary", body.dump(), api + path});
    }

    std::string login(const std::string& api) const {
        const auto r = curl_status(init_json["tls_ca"].get<std::string>(), "20",
                                   {"-X", "POST", "-u", demo("user") + ":" + demo("password"),
                                    "--data-binary", "{}", api + "/csc/v2/auth/login"});
        EXPECT_EQ(r.status, 200) << r.raw;
        return r.status == 200 ? json::parse(r.body)["access_token"].get<std::string>() : std::string{};
    }

    static std::int64_t now_step() {
        return std::chrono::floor<std::chrono::seconds>(
                   inkan::SystemClock::instance().now().time_since_epoch())
                   .count() /
               30;
    }

    /// A SAD for `n` signatures. Each TOTP step is accepted once per user (and the restored database
    /// remembers the steps used before the backup): the OTP is that of the step after the last one used,
    /// waiting for the clock when that step is not yet inside the ±1 window.
    std::string authorize(const std::string& api, const std::string& token, int n) {
        const std::int64_t step = std::max(last_step + 1, now_step());
        while (step > now_step() + 1) {
            std::this_thread::sleep_for(std::chrono::milliseconds{500});
        }
        last_step = step;
        const std::string otp = inkan::service::totp_code(inkan::base32_decode(demo("totp_secret")),
                                                          inkan::TimePoint{std::chrono::seconds{step * 30}});
        const auto r =
            post(api, "/csc/v2/credentials/authorize",
                 {{"credentialID", credential},
                  {"numSignatures", n},
                  {"authData",
                   json::array({{{"id", "PIN"}, {"value", "4711"}}, {{"id", "OTP"}, {"value", otp}}})}},
                 token);
        EXPECT_EQ(r.status, 200) << r.raw;
        return r.status == 200 ? json::parse(r.body)["SAD"].get<std::string>() : std::string{};
    }

    HttpResult sign(const std::string& api, const std::string& token, const std::string& sad,
                    const Bytes& hash) const {
        return post(api, "/csc/v2/signatures/signHash",
                    {{"credentialID", credential},
                     {"SAD", sad},
                     {"hashes", json::array({inkan::base64url_encode(hash)})},
                     {"hashAlgorithmOID", inkan::e2e::kSha256},
                     {"signAlgo", kEcdsaSha256}},
                    token);
    }

    static std::string listing(const fs::path& dir) {
        std::string out;
        if (fs::exists(dir)) {
            for (const auto& e : fs::recursive_directory_iterator{dir}) {
                out += e.path().lexically_relative(dir).generic_string() + "\n";
            }
        }
        return out;
    }

    TempDir tmp{"inkan-backup-e2e"};
    fs::path data = tmp.path() / "data";
    json init_json;
    std::string credential;
    std::int64_t last_step = 0;
};

TEST_F(BackupE2e, ABackupUnderSigningLoadRestoresIntoAServerThatSignsAndRefusesOldSads) {
    std::unique_ptr<inkan::testing::Process> server;
    const std::string api = start_serve(server, data)["api_url"].get<std::string>();
    const std::string token = login(api);
    ASSERT_FALSE(token.empty());

    // A SAD spent before the backup.
    const std::string spent = authorize(api, token, 1);
    const Bytes spent_hash = sha256("spent before the backup");
    ASSERT_EQ(sign(api, token, spent, spent_hash).status, 200);
    // Load: client threads sign with a second SAD while the backup runs.
    const std::string load = authorize(api, token, 10000);
    std::atomic<bool> stop{false};
    std::atomic<int> signed_ok{0};
    std::atomic<int> failed{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < 3; ++c) {
        clients.emplace_back([&, c] {
            for (int i = 0; !stop.load() && i < 3000; ++i) {
                const auto r =
                    sign(api, token, load, sha256("load " + std::to_string(c) + " " + std::to_string(i)));
                (r.status == 200 ? signed_ok : failed) += 1;
            }
        });
    }
    while (signed_ok.load() < 5 && failed.load() == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    const fs::path backup = tmp.path() / "backup";
    const auto b = run({INKAN_BIN, "backup", "--data", data.string(), "--to", backup.string(), "--json"});
    const int during = signed_ok.load();
    stop = true;
    for (auto& t : clients) {
        t.join();
    }
    ASSERT_EQ(b.exit_code, 0) << describe(b);
    EXPECT_EQ(failed.load(), 0) << "signatures failed while the backup ran";
    EXPECT_GE(signed_ok.load(), during);
    EXPECT_EQ(server->terminate(), 0) << server->stderr_text();

    // The manifest names every file with its SHA-256: checked here with sha256sum.
    const json manifest = json::parse(text_of(backup / "manifest.json"));
    EXPECT_EQ(manifest["hsm"], "softhsm");
    EXPECT_GE(manifest["schema_version"].get<int>(), 12);
    bool has_db = false;
    bool has_token = false;
    for (const json& f : manifest["files"]) {
        const std::string path = f["path"].get<std::string>();
        const auto sum = run({"sha256sum", (backup / path).string()});
        ASSERT_EQ(sum.exit_code, 0) << describe(sum);
        EXPECT_EQ(sum.out.substr(0, 64), f["sha256"].get<std::string>()) << path;
        has_db = has_db || path == "inkan.db";
        has_token = has_token || path.rfind("tokens/", 0) == 0;
    }
    EXPECT_TRUE(has_db && has_token) << manifest.dump(2);
    const auto integrity = run({"sqlite3", (backup / "inkan.db").string(), "PRAGMA integrity_check"});
    EXPECT_EQ(integrity.out, "ok\n") << describe(integrity);

    // Restore into a new directory; the audit chain verifies there.
    const fs::path restored = tmp.path() / "restored";
    const auto r =
        run({INKAN_BIN, "restore", "--from", backup.string(), "--data", restored.string(), "--json"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_GE(json::parse(r.out)["sads_retired"].get<int>(), 1) << r.out;
    const auto verify = run({INKAN_BIN, "audit", "verify", "--data", restored.string(), "--json"});
    EXPECT_EQ(verify.exit_code, 0) << describe(verify);
    EXPECT_EQ(json::parse(verify.out)["ok"], true) << verify.out;

    // A server on the restored data: old SADs are refused, a new authorisation signs.
    const std::string api2 = start_serve(server, restored)["api_url"].get<std::string>();
    const std::string token2 = login(api2);
    ASSERT_FALSE(token2.empty());
    const auto replay = sign(api2, token2, spent, spent_hash);
    EXPECT_EQ(replay.status, 400) << "a SAD spent before the backup was accepted again: " << replay.raw;
    const auto old_load = sign(api2, token2, load, sha256("after the restore, old SAD"));
    EXPECT_EQ(old_load.status, 400) << "a SAD from before the backup was accepted: " << old_load.raw;
    const std::string fresh = authorize(api2, token2, 1);
    const Bytes hash = sha256("signed on the restored service");
    const auto signed_now = sign(api2, token2, fresh, hash);
    ASSERT_EQ(signed_now.status, 200) << signed_now.raw;
    const Bytes signature =
        inkan::base64_decode(json::parse(signed_now.body)["signatures"][0].get<std::string>());

    const auto info = post(api2, "/csc/v2/credentials/info",
                           {{"credentialID", credential}, {"certificates", "single"}}, token2);
    ASSERT_EQ(info.status, 200) << info.raw;
    const Bytes cert =
        inkan::base64_decode(json::parse(info.body)["cert"]["certificates"][0].get<std::string>());
    inkan::testing::write_file(tmp.path() / "cert.der", cert);
    inkan::testing::write_file(tmp.path() / "digest.bin", hash);
    inkan::testing::write_file(tmp.path() / "sig.der", signature);
    const auto pem = run({"openssl", "x509", "-inform", "DER", "-in", (tmp.path() / "cert.der").string(),
                          "-out", (tmp.path() / "cert.pem").string()});
    ASSERT_EQ(pem.exit_code, 0) << describe(pem);
    const auto check =
        run({"openssl", "pkeyutl", "-verify", "-certin", "-inkey", (tmp.path() / "cert.pem").string(), "-in",
             (tmp.path() / "digest.bin").string(), "-sigfile", (tmp.path() / "sig.der").string()});
    EXPECT_EQ(check.exit_code, 0) << describe(check);
    EXPECT_NE(check.out.find("Signature Verified Successfully"), std::string::npos) << check.out;
    EXPECT_EQ(server->terminate(), 0) << server->stderr_text();
}

TEST_F(BackupE2e, RefusalsNameTheProblemAndOverwriteNothing) {
    const fs::path backup = tmp.path() / "backup";
    ASSERT_EQ(run({INKAN_BIN, "backup", "--data", data.string(), "--to", backup.string()}).exit_code, 0);

    // A backup target that exists and is not empty.
    const fs::path occupied = tmp.path() / "occupied";
    fs::create_directories(occupied);
    inkan::testing::write_file(occupied / "keep.txt", std::string_view{"mine"});
    const auto b = run({INKAN_BIN, "backup", "--data", data.string(), "--to", occupied.string()});
    EXPECT_NE(b.exit_code, 0);
    EXPECT_NE(b.err.find("exists and is not empty"), std::string::npos) << describe(b);
    EXPECT_EQ(listing(occupied), "keep.txt\n");

    // A restore into a non-empty data directory (here: the live one).
    const std::string before = listing(data);
    const auto r1 = run({INKAN_BIN, "restore", "--from", backup.string(), "--data", data.string()});
    EXPECT_NE(r1.exit_code, 0);
    EXPECT_NE(r1.err.find("is not empty"), std::string::npos) << describe(r1);
    EXPECT_EQ(listing(data), before);

    // A corrupted file: its hash no longer matches.
    const fs::path corrupted = tmp.path() / "corrupted";
    fs::copy(backup, corrupted, fs::copy_options::recursive);
    {
        std::ofstream out{corrupted / "inkan.toml", std::ios::app};
        out << "\n# changed\n";
    }
    const fs::path target = tmp.path() / "target";
    const auto r2 = run({INKAN_BIN, "restore", "--from", corrupted.string(), "--data", target.string()});
    EXPECT_NE(r2.exit_code, 0);
    EXPECT_NE(r2.err.find("inkan.toml does not match its SHA-256"), std::string::npos) << describe(r2);
    EXPECT_FALSE(fs::exists(target)) << listing(target);

    // A backup from a newer schema version.
    const fs::path newer = tmp.path() / "newer";
    fs::copy(backup, newer, fs::copy_options::recursive);
    json manifest = json::parse(text_of(newer / "manifest.json"));
    manifest["schema_version"] = 9999;
    inkan::testing::write_file(newer / "manifest.json", manifest.dump());
    const auto r3 = run({INKAN_BIN, "restore", "--from", newer.string(), "--data", target.string()});
    EXPECT_NE(r3.exit_code, 0);
    EXPECT_NE(r3.err.find("schema version 9999"), std::string::npos) << describe(r3);
    EXPECT_FALSE(fs::exists(target)) << listing(target);

    // And the intact backup restores.
    const auto ok = run({INKAN_BIN, "restore", "--from", backup.string(), "--data", target.string()});
    EXPECT_EQ(ok.exit_code, 0) << describe(ok);
}

TEST_F(BackupE2e, ABackupThatFailsPartWayLeavesNoDirectoryOrFileBehind) {
    // A file of the data directory that cannot be read after the database snapshot was taken:
    // /proc/self/mem reads as EIO from offset 0 (root reads everything else), so the copy fails
    // part-way, with the database file already written into the target.
    fs::create_symlink("/proc/self/mem", data / "unreadable");
    const fs::path fresh = tmp.path() / "fresh-target";
    const auto r = run({INKAN_BIN, "backup", "--data", data.string(), "--to", fresh.string()});
    EXPECT_NE(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.err.find("cannot read " + (data / "unreadable").string()), std::string::npos) << describe(r);
    EXPECT_FALSE(fs::exists(fresh)) << "the target this run created is still there:\n" << listing(fresh);

    // A target that existed (empty) stays, empty again.
    const fs::path empty = tmp.path() / "empty-target";
    fs::create_directories(empty);
    const auto r2 = run({INKAN_BIN, "backup", "--data", data.string(), "--to", empty.string()});
    EXPECT_NE(r2.exit_code, 0) << describe(r2);
    EXPECT_TRUE(fs::is_directory(empty));
    EXPECT_EQ(listing(empty), "") << "files were left behind";

    // Without the unreadable file the same target takes a whole backup.
    fs::remove(data / "unreadable");
    const auto ok = run({INKAN_BIN, "backup", "--data", data.string(), "--to", fresh.string()});
    EXPECT_EQ(ok.exit_code, 0) << describe(ok);
    EXPECT_TRUE(fs::exists(fresh / "manifest.json")) << listing(fresh);
}

TEST_F(BackupE2e, PurgeRunsBesideAServingProcessAndPrintsCounts) {
    std::unique_ptr<inkan::testing::Process> server;
    (void)start_serve(server, data);
    const auto p = run({INKAN_BIN, "purge", "--data", data.string(), "--json"});
    ASSERT_EQ(p.exit_code, 0) << describe(p);
    const json counts = json::parse(p.out);
    for (const char* k : {"sads", "tokens", "pending", "codes", "account_tokens", "otp_steps", "total"}) {
        EXPECT_TRUE(counts.contains(k) && counts[k].is_number_unsigned()) << p.out;
    }
    EXPECT_EQ(server->terminate(), 0) << server->stderr_text();
}

}  // namespace
