// Database faults during a signature (issue 20): under a serving `inkan serve`, the SQLite database is
// locked by another process past the busy timeout, or the filesystem refuses every write (the server's
// RLIMIT_FSIZE set to 0 with prlimit: each write fails with EFBIG, as each fails with ENOSPC on a full
// disk). A signHash in either state is 503 temporarily_unavailable, returns no signature and spends
// nothing: the SAD's count and the audit log are as they were. Once the fault is gone, the same process
// signs again (judged by openssl) and `inkan audit verify` passes.

#include <chrono>
#include <filesystem>
#include <string>

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
using inkan::testing::describe;
using inkan::testing::run;
using inkan::testing::TempDir;
using nlohmann::json;

namespace {

class StorageFaultE2e : public ::testing::Test {
protected:
    void SetUp() override {
        const auto init = run({INKAN_BIN, "init", "--data", data.string(), "--json"});
        ASSERT_EQ(init.exit_code, 0) << describe(init);
        init_json = json::parse(init.out);
        const auto cred = run({INKAN_BIN, "credential", "create", "--data", data.string(), "--user", "demo",
                               "--scal", "1", "--multisign", "10", "--pin-stdin", "--json"},
                              "4711\n");
        ASSERT_EQ(cred.exit_code, 0) << describe(cred);
        credential = json::parse(cred.out)["credential"]["id"].get<std::string>();
        const auto show =
            run({INKAN_BIN, "credential", "show", credential, "--data", data.string(), "--json"});
        ASSERT_EQ(show.exit_code, 0) << describe(show);
        inkan::testing::write_file(certificate, json::parse(show.out)["chain_pem"].get<std::string>());
        // SIGXFSZ ignored (kept across exec), so a refused write is an EFBIG error, not the end of the
        // process: what a full disk gives.
        server = std::make_unique<inkan::testing::Process>(std::vector<std::string>{
            "sh", "-c",
            "trap '' XFSZ; exec \"$0\" serve --data \"$1\" --api-listen 127.0.0.1:0 --pki-listen 127.0.0.1:0 "
            "--metrics-listen 127.0.0.1:0",
            INKAN_BIN, data.string()});
        api = json::parse(server->read_line(std::chrono::seconds{60}))["api_url"].get<std::string>();
        const auto login = curl_status(tls_ca(), "20",
                                       {"-X", "POST", "-u", demo("user") + ":" + demo("password"),
                                        "--data-binary", "{}", api + "/csc/v2/auth/login"});
        ASSERT_EQ(login.status, 200) << login.raw;
        token = json::parse(login.body)["access_token"].get<std::string>();
        const std::string otp = inkan::service::totp_code(inkan::base32_decode(demo("totp_secret")),
                                                          inkan::SystemClock::instance().now());
        const auto auth =
            post("/csc/v2/credentials/authorize",
                 {{"credentialID", credential},
                  {"numSignatures", 10},
                  {"authData",
                   json::array({{{"id", "PIN"}, {"value", "4711"}}, {{"id", "OTP"}, {"value", otp}}})}});
        ASSERT_EQ(auth.status, 200) << auth.raw;
        sad = json::parse(auth.body)["SAD"].get<std::string>();
        const Bytes first = sha256("before the fault");
        expect_verified(first, sign(first));
    }
    void TearDown() override {
        if (server) {
            EXPECT_EQ(server->terminate(), 0) << server->stderr_text();
        }
        const auto verify = run({INKAN_BIN, "audit", "verify", "--data", data.string()});
        EXPECT_EQ(verify.exit_code, 0) << describe(verify);
    }

    HttpResult post(const std::string& path, const json& body) const {
        return curl_status(tls_ca(), "60",
                           {"-X", "POST", "-H", "Content-Type: application/json", "-H",
                            "Authorization: Bearer " + token, "--data-binary", body.dump(), api + path});
    }
    HttpResult sign(const Bytes& hash) const {
        return post("/csc/v2/signatures/signHash", {{"credentialID", credential},
                                                    {"SAD", sad},
                                                    {"hashes", json::array({inkan::base64url_encode(hash)})},
                                                    {"hashAlgorithmOID", inkan::e2e::kSha256},
                                                    {"signAlgo", kEcdsaSha256}});
    }
    /// The SAD's count left and the number of audit entries, read by sqlite3 (readers go on beside a
    /// writer's lock in WAL mode, and a refused write leaves reading alone).
    std::string ledger() const {
        const auto r =
            run({"sqlite3", "-batch", (data / "inkan.db").string(),
                 "SELECT (SELECT remaining FROM sads WHERE credential_id = '" + credential +
                     "' AND retired = 0) || ' left, ' || (SELECT count(*) FROM audit_log) || ' entries';"});
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        return r.out;
    }
    void expect_refused_and_nothing_spent(const std::string& before, const char* fault) {
        const auto r = sign(sha256(std::string{"during "} + fault));
        EXPECT_EQ(r.status, 503) << fault << ": " << r.raw;
        const json e = json::parse(r.body.empty() ? "{}" : r.body, nullptr, false);
        EXPECT_EQ(e.value("error", ""), "temporarily_unavailable") << fault << ": " << r.body;
        EXPECT_FALSE(e.contains("signatures")) << r.body;
        EXPECT_EQ(ledger(), before) << fault << ": the refused signature changed the SAD or the audit log";
    }
    void expect_verified(const Bytes& digest, const HttpResult& r) const {
        ASSERT_EQ(r.status, 200) << r.raw;
        EXPECT_EQ(inkan::e2e::openssl_verify_digest(tmp.path(), certificate, digest,
                                                    json::parse(r.body)["signatures"][0].get<std::string>()),
                  "");
    }

    std::string demo(const char* field) const { return init_json["demo"][field].get<std::string>(); }
    std::string tls_ca() const { return init_json["tls_ca"].get<std::string>(); }

    TempDir tmp{"inkan-storage-fault-e2e"};
    fs::path data = tmp.path() / "data";
    fs::path certificate = tmp.path() / "credential.pem";
    json init_json;
    std::string credential;
    std::unique_ptr<inkan::testing::Process> server;
    std::string api;
    std::string token;
    std::string sad;
};

TEST_F(StorageFaultE2e, ADatabaseLockedByAnotherProcessPastTheBusyTimeoutIs503AndSpendsNothing) {
    const std::string before = ledger();
    {
        // Another writer holds the database's write lock (BEGIN EXCLUSIVE) longer than the 5 s busy timeout.
        inkan::testing::Process locker{{"python3", "-c",
                                        "import sqlite3, sys, time\n"
                                        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
                                        "c.execute('BEGIN EXCLUSIVE')\n"
                                        "print('locked', flush=True)\n"
                                        "time.sleep(120)\n",
                                        (data / "inkan.db").string()}};
        ASSERT_EQ(locker.read_line(std::chrono::seconds{30}), "locked");
        expect_refused_and_nothing_spent(before, "database locked");
        (void)locker.terminate(std::chrono::seconds{5});
    }
    const Bytes after = sha256("after the lock");
    expect_verified(after, sign(after));
}

TEST_F(StorageFaultE2e, AFilesystemThatRefusesEveryWriteIs503AndSpendsNothing) {
    const std::string before = ledger();
    const std::string pid = std::to_string(server->pid());
    const auto limit = run({"prlimit", "--pid", pid, "--fsize=0:unlimited"});
    ASSERT_EQ(limit.exit_code, 0) << describe(limit);
    expect_refused_and_nothing_spent(before, "writes refused");
    // Still refused a second time: nothing half-written by the first attempt lets the second through.
    expect_refused_and_nothing_spent(before, "writes refused again");
    const auto lift = run({"prlimit", "--pid", pid, "--fsize=unlimited:unlimited"});
    ASSERT_EQ(lift.exit_code, 0) << describe(lift);
    const Bytes after = sha256("after the disk has room again");
    expect_verified(after, sign(after));
}

}  // namespace
