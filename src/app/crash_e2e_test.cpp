// Crash safety of the signing path (threat-model.md, "a signature leaves the process only after its SAD
// spend and audit row are durable"): the real `inkan serve` signs for six signHash clients and two signDoc
// clients (curl over HTTPS) while two clients ask its TSA for time-stamps, and is killed with SIGKILL at a
// random moment. After a restart every signature a client received has its "sign" audit entry, every
// signed document its "sign_doc" entry, the audit chain verifies (`inkan audit verify`), the SAD ledger
// and the audit log agree exactly (the count the SAD lost is the number of hashes and documents the
// entries list — no spend without its entry, no entry without its spend), and no time-stamp serial
// number, before the kill or after the restart, was given twice (RFC 3161 §2.4.2: unique per TSA).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/core/clock.h>
#include <inkan/core/encoding.h>
#include <inkan/service/secrets.h>
#include <inkan/testing/pdf_text.h>
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

constexpr int kMultisign = 20000;
constexpr int kClients = 6;
constexpr int kDocClients = 2;
constexpr int kTsaClients = 2;

/// The serial number of a TimeStampResp's token (openssl ts -reply -text), empty if it has none.
std::string tsa_serial(const fs::path& reply) {
    const auto r = run({"openssl", "ts", "-reply", "-in", reply.string(), "-text"});
    const auto at = r.out.find("Serial number: ");
    if (r.exit_code != 0 || at == std::string::npos) {
        return {};
    }
    return r.out.substr(at + 15, r.out.find('\n', at) - at - 15);
}

class CrashE2e : public ::testing::Test {
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
    }

    std::string demo(const char* field) const { return init_json["demo"][field].get<std::string>(); }

    HttpResult post(const std::string& api, const std::string& path, const json& body,
                    const std::string& token) const {
        return curl_status(init_json["tls_ca"].get<std::string>(), "20",
                           {"-X", "POST", "-H", "Content-Type: application/json", "-H",
                            "Authorization: Bearer " + token, "--data-binary", body.dump(), api + path});
    }

    std::string sqlite(const std::string& sql) const {
        const auto r = run({"sqlite3", "-batch", (data / "inkan.db").string(), sql});
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        return r.out;
    }

    TempDir tmp{"inkan-crash-e2e"};
    fs::path data = tmp.path() / "data";
    json init_json;
    std::string credential;
};

TEST_F(CrashE2e, KilledUnderLoadEverySignatureAClientReceivedHasItsAuditEntry) {
    std::unique_ptr<inkan::testing::Process> server;
    const json urls = start_serve(server, data);
    const std::string api = urls["api_url"].get<std::string>();
    const std::string tsa = urls["tsa_url"].get<std::string>();

    const auto login = curl_status(init_json["tls_ca"].get<std::string>(), "20",
                                   {"-X", "POST", "-u", demo("user") + ":" + demo("password"),
                                    "--data-binary", "{}", api + "/csc/v2/auth/login"});
    ASSERT_EQ(login.status, 200) << login.raw;
    const std::string token = json::parse(login.body)["access_token"].get<std::string>();
    const std::string otp = inkan::service::totp_code(inkan::base32_decode(demo("totp_secret")),
                                                      inkan::SystemClock::instance().now());
    const auto auth = post(
        api, "/csc/v2/credentials/authorize",
        {{"credentialID", credential},
         {"numSignatures", kMultisign},
         {"authData", json::array({{{"id", "PIN"}, {"value", "4711"}}, {{"id", "OTP"}, {"value", otp}}})}},
        token);
    ASSERT_EQ(auth.status, 200) << auth.raw;
    const std::string sad = json::parse(auth.body)["SAD"].get<std::string>();

    // What the signDoc clients send (a one-page PDF) and the time-stamp clients (one TimeStampReq).
    const std::string content = "BT /F1 24 Tf 72 720 Td (Signed under fire) Tj ET";
    const std::string pdf = inkan::testing::build_pdf(
        {"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
         "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font "
         "<< /F1 5 0 R >> >> >>",
         "<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "\nendstream",
         "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"});
    const json doc_body{{"credentialID", credential},
                        {"SAD", sad},
                        {"documents",
                         {{{"document", inkan::base64_encode(inkan::as_bytes(pdf))},
                           {"signature_format", "P"},
                           {"conformance_level", "Ades-B-B"},
                           {"signAlgo", kEcdsaSha256}}}}};
    const fs::path tsq = tmp.path() / "request.tsq";
    const auto query = run({"openssl", "ts", "-query", "-digest", inkan::hex_encode(sha256("time-stamped")),
                            "-sha256", "-cert", "-out", tsq.string()});
    ASSERT_EQ(query.exit_code, 0) << describe(query);
    const fs::path replies = tmp.path() / "replies";
    fs::create_directories(replies);
    const auto stamp = [&](const std::string& url, const std::string& name) {
        const auto r = run({"curl", "-sS", "--max-time", "20", "-H",
                            "Content-Type: application/timestamp-query", "--data-binary", "@" + tsq.string(),
                            "-o", (replies / name).string(), "-w", "%{http_code}", url});
        return r.exit_code == 0 && r.out == "200";
    };

    // Clients sign distinct hashes until the server dies under them; each remembers what it received.
    std::mutex mutex;
    std::set<std::string> received;  // hex of each hash whose signature came back
    int documents_received = 0;
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
        clients.emplace_back([&, c] {
            for (int i = 0; !stop.load() && i < 2000; ++i) {
                const Bytes hash = sha256("crash " + std::to_string(c) + " " + std::to_string(i));
                const auto r = post(api, "/csc/v2/signatures/signHash",
                                    {{"credentialID", credential},
                                     {"SAD", sad},
                                     {"hashes", json::array({inkan::base64url_encode(hash)})},
                                     {"hashAlgorithmOID", inkan::e2e::kSha256},
                                     {"signAlgo", kEcdsaSha256}},
                                    token);
                if (r.status == 200 && json::parse(r.body)["signatures"].size() == 1) {
                    const std::lock_guard lock{mutex};
                    received.insert(inkan::hex_encode(hash));
                } else if (r.status == 0) {
                    break;  // the server is gone
                }
            }
        });
    }
    for (int c = 0; c < kDocClients; ++c) {
        clients.emplace_back([&] {
            for (int i = 0; !stop.load() && i < 500; ++i) {
                const auto r = post(api, "/csc/v2/signatures/signDoc", doc_body, token);
                if (r.status == 200 && json::parse(r.body)["DocumentWithSignature"].size() == 1) {
                    const std::lock_guard lock{mutex};
                    ++documents_received;
                } else if (r.status == 0) {
                    break;
                }
            }
        });
    }
    std::atomic<int> stamps{0};
    for (int c = 0; c < kTsaClients; ++c) {
        clients.emplace_back([&, c] {
            for (int i = 0; !stop.load() && i < 2000; ++i) {
                if (!stamp(tsa, "before-" + std::to_string(c) + "-" + std::to_string(i) + ".tsr")) {
                    break;
                }
                ++stamps;
            }
        });
    }
    std::random_device rd;
    const int after_ms = std::uniform_int_distribution<int>{1500, 4000}(rd);
    std::this_thread::sleep_for(std::chrono::milliseconds{after_ms});
    EXPECT_EQ(server->kill_now(), 128 + 9);
    stop = true;
    for (auto& t : clients) {
        t.join();
    }
    ASSERT_GT(received.size(), 0U) << "no signature was received before the kill after " << after_ms << " ms";
    ASSERT_GT(stamps.load(), 0) << "no time-stamp was received before the kill after " << after_ms << " ms";
    ASSERT_GT(documents_received, 0) << "no signed document was received before the kill after " << after_ms
                                     << " ms";

    // Restart on the same data: the database opens, and the service serves again.
    const json urls2 = start_serve(server, data);
    const std::string api2 = urls2["api_url"].get<std::string>();
    for (int i = 0; i < 5; ++i) {
        EXPECT_TRUE(stamp(urls2["tsa_url"].get<std::string>(), "after-" + std::to_string(i) + ".tsr"));
    }

    const auto verify = run({INKAN_BIN, "audit", "verify", "--data", data.string(), "--json"});
    EXPECT_EQ(verify.exit_code, 0) << describe(verify);
    EXPECT_EQ(json::parse(verify.out)["ok"], true) << verify.out;

    const auto exported = run({INKAN_BIN, "audit", "export", "--data", data.string(), "--format", "json"});
    ASSERT_EQ(exported.exit_code, 0) << describe(exported);
    std::multiset<std::string> audited;
    int documents_audited = 0;
    for (const json& e : json::parse(exported.out)) {
        if (e["outcome"] != "ok" || e["credential_id"] != credential) {
            continue;
        }
        if (e["action"] == "sign") {
            for (const json& h : e["details"]["hashes"]) {
                audited.insert(h.get<std::string>());
            }
        } else if (e["action"] == "sign_doc") {
            documents_audited += static_cast<int>(e["details"]["documents"].size());
        }
    }
    std::vector<std::string> missing;
    for (const auto& h : received) {
        if (audited.count(h) == 0) {
            missing.push_back(h);
        }
    }
    EXPECT_TRUE(missing.empty()) << missing.size() << " of " << received.size()
                                 << " signatures a client received have no audit entry (killed after "
                                 << after_ms << " ms)";
    EXPECT_GE(documents_audited, documents_received)
        << "signed documents received vs documents in 'sign_doc' entries (killed after " << after_ms
        << " ms)";
    // The ledger and the log agree: every spend has its entry and every entry its spend.
    const std::string remaining =
        sqlite("SELECT remaining FROM sads WHERE credential_id = '" + credential + "' AND retired = 0;");
    ASSERT_FALSE(remaining.empty());
    EXPECT_EQ(kMultisign - std::stoi(remaining), static_cast<int>(audited.size()) + documents_audited)
        << "signatures spent from the SAD vs hashes and documents in 'sign'/'sign_doc' audit entries";

    // No serial number twice, across the kill and the restart.
    std::map<std::string, std::string> serials;
    int tokens = 0;
    for (const auto& f : fs::directory_iterator{replies}) {
        if (fs::file_size(f.path()) == 0) {
            continue;  // a request the kill cut short
        }
        const std::string serial = tsa_serial(f.path());
        if (serial.empty()) {
            continue;  // a reply the kill cut short is no token
        }
        ++tokens;
        // Each token a client kept is one openssl accepts for the request it answered.
        const auto v = run({"openssl", "ts", "-verify", "-queryfile", tsq.string(), "-in", f.path().string(),
                            "-CAfile", (data / "pki" / "root-ca.pem").string(), "-untrusted",
                            (data / "pki" / "tsa-chain.pem").string()});
        EXPECT_EQ(v.exit_code, 0) << f.path().filename() << ": " << describe(v);
        const auto [it, fresh] = serials.emplace(serial, f.path().filename().string());
        EXPECT_TRUE(fresh) << "serial " << serial << " in " << it->second << " and " << f.path().filename();
    }
    EXPECT_GE(tokens, stamps.load() + 5) << "time-stamps received vs tokens read back";

    // The SAD is still spendable for what it has left, once per hash: the service is whole again.
    const Bytes after = sha256("after the restart");
    const json body{{"credentialID", credential},
                    {"SAD", sad},
                    {"hashes", json::array({inkan::base64url_encode(after)})},
                    {"hashAlgorithmOID", inkan::e2e::kSha256},
                    {"signAlgo", kEcdsaSha256}};
    const auto again = post(api2, "/csc/v2/signatures/signHash", body, token);
    EXPECT_EQ(again.status, 200) << again.raw;
    EXPECT_EQ(server->terminate(), 0) << server->stderr_text();
}

}  // namespace
