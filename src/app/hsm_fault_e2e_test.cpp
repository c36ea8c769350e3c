// HSM faults under a serving process (issue 20): `inkan serve` loads a fault-injecting PKCS#11 module
// (tests/p11shim: SoftHSM2 underneath, C_SignInit failing or hanging on command) and the test flips
// faults while clients sign. A signing key that meets CKR_DEVICE_REMOVED, CKR_SESSION_HANDLE_INVALID,
// CKR_TOKEN_NOT_PRESENT or CKR_DEVICE_ERROR answers 503 temporarily_unavailable; an HSM that hangs past
// `hsm.lease_timeout_ms` makes the next request 503 instead of queueing it forever; no SAD signature is
// consumed without an audit entry saying what happened to it; and once the fault is gone the same
// process signs again (the session pool reopens sessions or re-initialises the module), judged by
// `openssl pkeyutl -verify`.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>

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

constexpr int kMultisign = 100;

class HsmFaultE2e : public ::testing::Test {
protected:
    void SetUp() override {
        const auto init = run({INKAN_BIN, "init", "--data", data.string(), "--json"});
        ASSERT_EQ(init.exit_code, 0) << describe(init);
        init_json = json::parse(init.out);
        const auto cred =
            run({INKAN_BIN, "credential", "create", "--data", data.string(), "--user", "demo", "--scal", "1",
                 "--multisign", std::to_string(kMultisign), "--pin-stdin", "--json"},
                "4711\n");
        ASSERT_EQ(cred.exit_code, 0) << describe(cred);
        credential = json::parse(cred.out)["credential"]["id"].get<std::string>();
        const auto show =
            run({INKAN_BIN, "credential", "show", credential, "--data", data.string(), "--json"});
        ASSERT_EQ(show.exit_code, 0) << describe(show);
        inkan::testing::write_file(certificate, json::parse(show.out)["chain_pem"].get<std::string>());
        control("ok", "");
    }

    /// Starts the server on the shim with `pool_size` signing sessions and a `lease_ms` lease timeout,
    /// logs in and authorises a SAD for kMultisign signatures.
    void start(int pool_size, int lease_ms) {
        const std::string real_module = init_json["hsm"]["module"].get<std::string>();
        server = std::make_unique<inkan::testing::Process>(
            std::vector<std::string>{INKAN_BIN, "serve", "--data", data.string(), "--api-listen",
                                     "127.0.0.1:0", "--pki-listen", "127.0.0.1:0", "--metrics-listen",
                                     "127.0.0.1:0"},
            std::vector<std::string>{"INKAN_HSM_MODULE=" INKAN_P11SHIM, "INKAN_P11SHIM_MODULE=" + real_module,
                                     "INKAN_P11SHIM_CONTROL=" + control_file.string(),
                                     "INKAN_HSM_POOL_SIZE=" + std::to_string(pool_size),
                                     "INKAN_HSM_LEASE_TIMEOUT_MS=" + std::to_string(lease_ms)});
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
                  {"numSignatures", kMultisign},
                  {"authData",
                   json::array({{{"id", "PIN"}, {"value", "4711"}}, {{"id", "OTP"}, {"value", otp}}})}});
        ASSERT_EQ(auth.status, 200) << auth.raw;
        sad = json::parse(auth.body)["SAD"].get<std::string>();
    }

    /// The shim's next fault: `mode` for keys labelled `label`, `count` times (0: until changed).
    void control(const std::string& mode, const std::string& label, int hang_ms = 0, int count = 0) const {
        std::ofstream{control_file, std::ios::trunc} << "mode=" << mode << "\nlabel=" << label
                                                     << "\nhang_ms=" << hang_ms << "\ncount=" << count
                                                     << "\n";
    }
    /// How many faults the shim has injected so far.
    int faults_met() const {
        std::ifstream in{control_file.string() + ".log"};
        int n = 0;
        for (std::string line; std::getline(in, line);) {
            ++n;
        }
        return n;
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

    /// The SAD's signatures left, from the database (sqlite3 as an outside reader).
    int remaining() const {
        const auto r =
            run({"sqlite3", "-batch", (data / "inkan.db").string(),
                 "SELECT remaining FROM sads WHERE credential_id = '" + credential + "' AND retired = 0;"});
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        return r.out.empty() ? -1 : std::stoi(r.out);
    }
    /// The "sign" audit entries of the credential with `outcome`.
    int sign_entries(const std::string& outcome) const {
        const auto r = run({INKAN_BIN, "audit", "export", "--data", data.string(), "--format", "json",
                            "--action", "sign", "--credential", credential});
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        int n = 0;
        for (const json& e : json::parse(r.out.empty() ? "[]" : r.out)) {
            n += e["outcome"] == outcome ? 1 : 0;
        }
        return n;
    }

    void expect_verified(const Bytes& digest, const HttpResult& r) const {
        ASSERT_EQ(r.status, 200) << r.raw;
        EXPECT_EQ(inkan::e2e::openssl_verify_digest(tmp.path(), certificate, digest,
                                                    json::parse(r.body)["signatures"][0].get<std::string>()),
                  "");
    }

    std::string demo(const char* field) const { return init_json["demo"][field].get<std::string>(); }
    std::string tls_ca() const { return init_json["tls_ca"].get<std::string>(); }
    std::string label() const { return "cred-" + credential; }

    TempDir tmp{"inkan-hsm-fault-e2e"};
    fs::path data = tmp.path() / "data";
    fs::path control_file = tmp.path() / "p11shim.control";
    fs::path certificate = tmp.path() / "credential.pem";
    json init_json;
    std::string credential;
    std::unique_ptr<inkan::testing::Process> server;
    std::string api;
    std::string token;
    std::string sad;
};

TEST_F(HsmFaultE2e, EachDeviceFaultIs503ConsumesNothingUnauditedAndTheSameProcessSignsOnceItIsGone) {
    start(2, 5000);
    const Bytes before = sha256("before any fault");
    expect_verified(before, sign(before));

    int n = 0;
    for (const char* mode :
         {"device_removed", "session_handle_invalid", "token_not_present", "device_error"}) {
        SCOPED_TRACE(mode);
        const int remaining_before = remaining();
        const int failed_before = sign_entries("hsm_failure");
        const int faults_before = faults_met();
        control(mode, label());
        const auto r = sign(sha256(std::string{"during "} + mode));
        EXPECT_GT(faults_met(), faults_before) << "the shim's fault was not met";
        EXPECT_EQ(r.status, 503) << r.raw;
        const json e = json::parse(r.body.empty() ? "{}" : r.body, nullptr, false);
        EXPECT_EQ(e.value("error", ""), "temporarily_unavailable") << r.body;
        // Nothing consumed that was not audited: the spend's entry is written before the HSM is asked (the
        // signature may not leave before it is durable), so a signature the SAD lost to the fault has a
        // second entry, outcome hsm_failure, saying that it was never produced.
        const int spent = remaining_before - remaining();
        EXPECT_EQ(spent, 1);
        EXPECT_EQ(sign_entries("hsm_failure") - failed_before, spent)
            << "signatures lost to the fault vs 'sign' entries with outcome hsm_failure";

        control("ok", "");
        const Bytes after = sha256(std::string{"after "} + mode + std::to_string(++n));
        expect_verified(after, sign(after));
    }
    EXPECT_EQ(server->terminate(), 0) << server->stderr_text();
    // Whatever the faults did, the chain of every entry they left verifies.
    const auto verify = run({INKAN_BIN, "audit", "verify", "--data", data.string()});
    EXPECT_EQ(verify.exit_code, 0) << describe(verify);
}

TEST_F(HsmFaultE2e, AnHsmHangingPastTheLeaseTimeoutMakesTheNextRequest503AndTheHungOneStillSigns) {
    start(1, 1000);  // one signing session: the hung request holds it
    const int remaining_before = remaining();
    control("hang", label(), 8000);
    const Bytes hung_hash = sha256("the hung request");
    HttpResult hung;
    std::thread first{[&] { hung = sign(hung_hash); }};
    // The second request goes out only once the first one is inside the HSM.
    for (int i = 0; i < 600 && faults_met() == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    ASSERT_EQ(faults_met(), 1) << "the first request never reached C_SignInit";
    control("ok", "");
    const auto waited = sign(sha256("the request that waits for a session"));
    EXPECT_EQ(waited.status, 503) << waited.raw;
    const json e = json::parse(waited.body.empty() ? "{}" : waited.body, nullptr, false);
    EXPECT_EQ(e.value("error", ""), "temporarily_unavailable") << waited.body;
    first.join();
    // The stuck HSM came back: the request it held is answered and its signature is good.
    expect_verified(hung_hash, hung);
    // The refused request spent nothing without an entry; the hung one spent exactly its signature.
    EXPECT_EQ(sign_entries("hsm_failure"), 1) << "the refused request's entry";
    EXPECT_EQ(remaining_before - remaining(), 2)
        << "spent from the SAD while one request was refused (and audited so) and one signed";
    const Bytes later = sha256("after the hang");
    expect_verified(later, sign(later));
    EXPECT_EQ(server->terminate(), 0) << server->stderr_text();
}

TEST_F(HsmFaultE2e, ASessionLostOnceIsRepairedAndRetriedWithoutTheClientNoticing) {
    start(2, 5000);
    for (const char* mode : {"session_handle_invalid", "device_removed"}) {
        SCOPED_TRACE(mode);
        const int faults_before = faults_met();
        const int remaining_before = remaining();
        control(mode, label(), 0, 1);  // the first SignInit fails, the pool repairs and retries
        const Bytes hash = sha256(std::string{"once "} + mode);
        expect_verified(hash, sign(hash));
        EXPECT_EQ(faults_met(), faults_before + 1) << "the shim's one fault was not met";
        EXPECT_EQ(remaining_before - remaining(), 1) << "one signature, one spend";
    }
    EXPECT_EQ(sign_entries("hsm_failure"), 0);
    EXPECT_EQ(server->terminate(), 0) << server->stderr_text();
}

}  // namespace
