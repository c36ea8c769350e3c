// Several nodes (issue 19, decision 0042): two real `inkan serve` processes with one configuration, one
// SoftHSM token directory (a vendor network HSM is the same: one module path, one token) and one
// PostgreSQL database (a throwaway cluster, tests/support/postgres.h), driven by curl over HTTPS. What one
// node decides, the other sees: a SAD spent from 16 threads across both nodes signs exactly once, the TSA
// serials of both nodes never collide, a user locked on one node is refused on the other, the audit chain
// both nodes write verifies, and a node killed with SIGKILL mid-load loses no signature a client received.
// Skipped only when the PostgreSQL server programs are missing, as the store suites are.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/core/clock.h>
#include <inkan/core/encoding.h>
#include <inkan/service/secrets.h>
#include <inkan/testing/postgres.h>
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

/// The serial number of a TimeStampResp's token (openssl ts -reply -text), empty if it has none.
std::string tsa_serial(const fs::path& reply) {
    const auto r = run({"openssl", "ts", "-reply", "-in", reply.string(), "-text"});
    const auto at = r.out.find("Serial number: ");
    if (r.exit_code != 0 || at == std::string::npos) {
        return {};
    }
    return r.out.substr(at + 15, r.out.find('\n', at) - at - 15);
}

class MultinodeE2e : public ::testing::Test {
protected:
    void SetUp() override {
        std::string why;
        cluster = inkan::testing::shared_postgres(&why);
        if (cluster == nullptr) {
            if (inkan::testing::postgres_bin_dir()) {
                FAIL() << "PostgreSQL is installed but no test cluster runs: " << why;
            }
            GTEST_SKIP() << "no PostgreSQL server programs (initdb): " << why;
        }
        db = std::make_unique<inkan::testing::TestDatabase>(*cluster);
        const auto init =
            run({INKAN_BIN, "init", "--data", data.string(), "--storage-url", db->url(), "--json"});
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
        a_urls = start_serve(node_a, data);
        b_urls = start_serve(node_b, data);
        a = a_urls["api_url"].get<std::string>();
        b = b_urls["api_url"].get<std::string>();
    }

    void TearDown() override {
        if (node_a) {
            EXPECT_EQ(node_a->terminate(), 0) << node_a->stderr_text();
        }
        if (node_b) {
            EXPECT_EQ(node_b->terminate(), 0) << node_b->stderr_text();
        }
    }

    std::string demo(const char* field) const { return init_json["demo"][field].get<std::string>(); }
    std::string cacert() const { return init_json["tls_ca"].get<std::string>(); }

    HttpResult post(const std::string& api, const std::string& path, const json& body,
                    const std::string& token) const {
        return curl_status(cacert(), "30",
                           {"-X", "POST", "-H", "Content-Type: application/json", "-H",
                            "Authorization: Bearer " + token, "--data-binary", body.dump(), api + path});
    }

    HttpResult login(const std::string& api, const std::string& password) const {
        return curl_status(cacert(), "30",
                           {"-X", "POST", "-u", demo("user") + ":" + password, "--data-binary", "{}",
                            api + "/csc/v2/auth/login"});
    }

    std::string token_on(const std::string& api) const {
        const auto r = login(api, demo("password"));
        EXPECT_EQ(r.status, 200) << r.raw;
        return r.status == 200 ? json::parse(r.body)["access_token"].get<std::string>() : std::string{};
    }

    /// A SAD for `n` signatures, authorised on `api`.
    std::string authorize(const std::string& api, const std::string& token, int n) const {
        const std::string otp = inkan::service::totp_code(inkan::base32_decode(demo("totp_secret")),
                                                          inkan::SystemClock::instance().now());
        const auto auth =
            post(api, "/csc/v2/credentials/authorize",
                 {{"credentialID", credential},
                  {"numSignatures", n},
                  {"authData",
                   json::array({{{"id", "PIN"}, {"value", "4711"}}, {{"id", "OTP"}, {"value", otp}}})}},
                 token);
        EXPECT_EQ(auth.status, 200) << auth.raw;
        return auth.status == 200 ? json::parse(auth.body)["SAD"].get<std::string>() : std::string{};
    }

    HttpResult sign_hash(const std::string& api, const std::string& token, const std::string& sad,
                         const Bytes& hash) const {
        return post(api, "/csc/v2/signatures/signHash",
                    {{"credentialID", credential},
                     {"SAD", sad},
                     {"hashes", json::array({inkan::base64url_encode(hash)})},
                     {"hashAlgorithmOID", inkan::e2e::kSha256},
                     {"signAlgo", kEcdsaSha256}},
                    token);
    }

    /// The hashes (hex) of every successful "sign" audit entry of the credential, read through the CLI.
    std::multiset<std::string> audited_hashes() const {
        const auto exported =
            run({INKAN_BIN, "audit", "export", "--data", data.string(), "--format", "json"});
        EXPECT_EQ(exported.exit_code, 0) << describe(exported);
        std::multiset<std::string> out;
        if (exported.exit_code != 0) {
            return out;
        }
        for (const json& e : json::parse(exported.out)) {
            if (e["outcome"] == "ok" && e["credential_id"] == credential && e["action"] == "sign") {
                for (const json& h : e["details"]["hashes"]) {
                    out.insert(h.get<std::string>());
                }
            }
        }
        return out;
    }

    void expect_audit_chain_verifies() const {
        const auto verify = run({INKAN_BIN, "audit", "verify", "--data", data.string(), "--json"});
        EXPECT_EQ(verify.exit_code, 0) << describe(verify);
        if (verify.exit_code == 0) {
            EXPECT_EQ(json::parse(verify.out)["ok"], true) << verify.out;
        }
    }

    inkan::testing::PostgresCluster* cluster = nullptr;
    std::unique_ptr<inkan::testing::TestDatabase> db;
    TempDir tmp{"inkan-multinode-e2e"};
    fs::path data = tmp.path() / "data";
    fs::path certificate = tmp.path() / "credential.pem";
    json init_json;
    std::string credential;
    std::unique_ptr<inkan::testing::Process> node_a;
    std::unique_ptr<inkan::testing::Process> node_b;
    json a_urls;
    json b_urls;
    std::string a;
    std::string b;
};

TEST_F(MultinodeE2e, CommandsUsePostgresNotSqliteAndInitRefusesAnInitialisedDatabase) {
    EXPECT_FALSE(fs::exists(data / "inkan.db")) << "a node opened the SQLite file beside PostgreSQL";
    // Users, credentials and the CA's serials are rows in the test's PostgreSQL schema.
    EXPECT_EQ(db->psql("SELECT count(*) FROM users WHERE name = 'demo'"), "1\n");
    EXPECT_EQ(db->psql("SELECT count(*) FROM credentials WHERE id = '" + credential + "'"), "1\n");
    const auto status = run({INKAN_BIN, "migrate", "--data", data.string()});
    EXPECT_EQ(status.exit_code, 0) << describe(status);
    EXPECT_NE(status.out.find("postgresql schema: version "), std::string::npos) << status.out;
    EXPECT_NE(status.out.find("(up to date)"), std::string::npos) << status.out;
    // inkan.toml names the url (no password: the test cluster trusts its socket) and nothing else of it.
    const Bytes toml_bytes = inkan::testing::read_file(data / "inkan.toml");
    const std::string toml{toml_bytes.begin(), toml_bytes.end()};
    EXPECT_NE(toml.find("url = \"" + db->url() + "\""), std::string::npos) << toml;
    // A second init on the same database is refused before it creates anything: a further node shares the
    // first node's configuration and token instead.
    const fs::path other = tmp.path() / "other";
    const auto again = run({INKAN_BIN, "init", "--data", other.string(), "--storage-url", db->url()});
    EXPECT_EQ(again.exit_code, 1) << describe(again);
    EXPECT_NE(again.err.find("already holds an inkan schema"), std::string::npos) << describe(again);
    EXPECT_FALSE(fs::exists(other)) << "a refused init left a data directory";
    EXPECT_EQ(db->psql("SELECT count(*) FROM users"), "1\n") << "the refused init added a user";
    const auto backup = run({INKAN_BIN, "backup", "--data", data.string(), "--to", (tmp / "bak").string()});
    EXPECT_EQ(backup.exit_code, 1) << describe(backup);
    EXPECT_NE(backup.err.find("pg_dump"), std::string::npos) << describe(backup);
}

TEST_F(MultinodeE2e, ASadSpentFrom16ThreadsAcrossBothNodesSignsExactlyOnce) {
    const std::string token_a = token_on(a);
    const std::string token_b = token_on(b);
    ASSERT_FALSE(token_a.empty() || token_b.empty());
    const std::string sad = authorize(a, token_a, 1);
    ASSERT_FALSE(sad.empty());
    std::atomic<int> signed_ok{0};
    std::mutex mutex;
    std::map<int, int> statuses;
    Bytes signed_digest;
    std::string signature;
    std::vector<std::thread> threads;
    for (int t = 0; t < 16; ++t) {
        threads.emplace_back([&, t] {
            const bool on_a = t % 2 == 0;
            const Bytes digest = sha256("one SAD, thread " + std::to_string(t));
            const auto r = sign_hash(on_a ? a : b, on_a ? token_a : token_b, sad, digest);
            const std::lock_guard lock{mutex};
            ++statuses[r.status];
            if (r.status == 200) {
                ++signed_ok;
                signed_digest = digest;
                signature = json::parse(r.body)["signatures"][0].get<std::string>();
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    std::string seen;
    for (const auto& [status, n] : statuses) {
        seen += std::to_string(status) + " x" + std::to_string(n) + "; ";
    }
    EXPECT_EQ(signed_ok.load(), 1) << "statuses: " << seen;
    EXPECT_EQ(statuses.count(0), 0U) << "a request got no HTTP answer: " << seen;
    EXPECT_EQ(statuses.count(503), 0U) << "the database refused under contention: " << seen;
    EXPECT_EQ(audited_hashes().size(), 1U) << "one signature, one audited hash";
    // The one signature is a signature: openssl checks it against the credential's certificate.
    EXPECT_EQ(inkan::e2e::openssl_verify_digest(tmp.path(), certificate, signed_digest, signature), "");
    expect_audit_chain_verifies();
}

TEST_F(MultinodeE2e, TimeStampsFromBothNodesHaveUniqueSerialsAndVerify) {
    const fs::path tsq = tmp.path() / "request.tsq";
    const auto query = run({"openssl", "ts", "-query", "-digest", inkan::hex_encode(sha256("two nodes")),
                            "-sha256", "-cert", "-out", tsq.string()});
    ASSERT_EQ(query.exit_code, 0) << describe(query);
    const fs::path replies = tmp.path() / "replies";
    fs::create_directories(replies);
    const std::vector<std::string> tsas{a_urls["tsa_url"].get<std::string>(),
                                        b_urls["tsa_url"].get<std::string>()};
    std::atomic<int> failed{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < 4; ++c) {
        clients.emplace_back([&, c] {
            for (int i = 0; i < 15; ++i) {
                const auto out = replies / ("node" + std::to_string(c % 2) + "-" + std::to_string(c) + "-" +
                                            std::to_string(i) + ".tsr");
                const auto r =
                    run({"curl", "-sS", "--max-time", "20", "-H", "Content-Type: application/timestamp-query",
                         "--data-binary", "@" + tsq.string(), "-o", out.string(), "-w", "%{http_code}",
                         tsas[static_cast<std::size_t>(c % 2)]});
                if (r.exit_code != 0 || r.out != "200") {
                    ++failed;
                }
            }
        });
    }
    for (auto& t : clients) {
        t.join();
    }
    EXPECT_EQ(failed.load(), 0) << "time-stamp requests not answered 200";
    std::map<std::string, std::string> serials;
    for (const auto& f : fs::directory_iterator{replies}) {
        const std::string serial = tsa_serial(f.path());
        EXPECT_FALSE(serial.empty()) << f.path().filename() << " holds no token";
        const auto v = run({"openssl", "ts", "-verify", "-queryfile", tsq.string(), "-in", f.path().string(),
                            "-CAfile", (data / "pki" / "root-ca.pem").string(), "-untrusted",
                            (data / "pki" / "tsa-chain.pem").string()});
        EXPECT_EQ(v.exit_code, 0) << f.path().filename() << ": " << describe(v);
        const auto [it, fresh] = serials.emplace(serial, f.path().filename().string());
        EXPECT_TRUE(fresh) << "serial " << serial << " in " << it->second << " and " << f.path().filename();
    }
    EXPECT_EQ(serials.size(), 60U) << "distinct serials from both nodes";
}

TEST_F(MultinodeE2e, AUserLockedOnNodeAIsRefusedOnNodeB) {
    ASSERT_EQ(login(b, demo("password")).status, 200) << "node B lets the user in before the lock";
    // auth.max_password_failures (5) wrong passwords on node A lock the account in the shared database.
    for (int i = 0; i < 5; ++i) {
        const auto wrong = login(a, "not the password");
        EXPECT_NE(wrong.status, 200) << wrong.raw;
    }
    const auto refused = login(b, demo("password"));
    EXPECT_NE(refused.status, 200) << "node B let a user in whom node A locked: " << refused.raw;
    EXPECT_EQ(refused.status / 100, 4) << refused.raw;
    const auto shown = run({INKAN_BIN, "user", "show", "demo", "--data", data.string(), "--json"});
    ASSERT_EQ(shown.exit_code, 0) << describe(shown);
    const json user = json::parse(shown.out);
    EXPECT_EQ(user["password_locked"], true) << "the lock is in the shared database: " << shown.out;
    EXPECT_GE(user.value("password_failures", 0), 5) << shown.out;
}

TEST_F(MultinodeE2e, ANodeKilledUnderLoadLosesNoSignatureAndTheOtherServesOn) {
    const std::string token_a = token_on(a);
    const std::string token_b = token_on(b);
    ASSERT_FALSE(token_a.empty() || token_b.empty());
    const std::string sad = authorize(a, token_a, kMultisign);
    ASSERT_FALSE(sad.empty());
    std::mutex mutex;
    std::set<std::string> received;
    std::atomic<bool> stop{false};
    std::atomic<bool> a_gone{false};
    std::vector<std::thread> clients;
    for (int c = 0; c < 6; ++c) {
        clients.emplace_back([&, c] {
            const bool on_a = c % 2 == 0;
            for (int i = 0; !stop.load() && i < 2000; ++i) {
                if (on_a && a_gone.load()) {
                    break;
                }
                const Bytes hash = sha256("multinode " + std::to_string(c) + " " + std::to_string(i));
                const auto r = sign_hash(on_a ? a : b, on_a ? token_a : token_b, sad, hash);
                if (r.status == 200 && json::parse(r.body)["signatures"].size() == 1) {
                    const std::lock_guard lock{mutex};
                    received.insert(inkan::hex_encode(hash));
                } else if (r.status == 0 && on_a) {
                    break;  // node A is gone
                }
            }
        });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{2500});
    EXPECT_EQ(node_a->kill_now(), 128 + 9);
    node_a.reset();
    a_gone = true;
    // Node B keeps signing after A died mid-transaction.
    std::size_t at_kill = 0;
    {
        const std::lock_guard lock{mutex};
        at_kill = received.size();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{1500});
    stop = true;
    for (auto& t : clients) {
        t.join();
    }
    ASSERT_GT(at_kill, 0U) << "no signature before the kill";
    EXPECT_GT(received.size(), at_kill) << "node B signed nothing after node A was killed";
    const Bytes after = sha256("after the kill");
    EXPECT_EQ(sign_hash(b, token_b, sad, after).status, 200) << "node B serves on";

    const auto audited = audited_hashes();
    std::vector<std::string> missing;
    for (const auto& h : received) {
        if (audited.count(h) == 0) {
            missing.push_back(h);
        }
    }
    EXPECT_TRUE(missing.empty()) << missing.size() << " of " << received.size()
                                 << " signatures a client received have no audit entry";
    for (const auto& h : audited) {
        EXPECT_EQ(audited.count(h), 1U) << "hash " << h << " audited twice";
    }
    // The ledger and the log agree: every spend has its entry and every entry its spend.
    const std::string remaining =
        db->psql("SELECT remaining FROM sads WHERE credential_id = '" + credential + "' AND NOT retired");
    ASSERT_FALSE(remaining.empty());
    EXPECT_EQ(kMultisign - std::stoi(remaining), static_cast<int>(audited.size()))
        << "signatures spent from the SAD vs hashes in 'sign' audit entries";
    expect_audit_chain_verifies();
}

TEST_F(MultinodeE2e, ReadyzAnswers503WhileTheDatabaseIsDownAndRecovers) {
    const std::string metrics = a_urls["metrics_url"].get<std::string>();
    const std::string readyz = metrics.substr(0, metrics.rfind('/')) + "/readyz";
    const auto ready = [&readyz] {
        const auto r = run({"curl", "-sS", "--max-time", "20", "-w", "\n%{http_code}", readyz});
        return r.out.substr(r.out.rfind('\n') + 1) + " " + r.out.substr(0, r.out.rfind('\n'));
    };
    EXPECT_EQ(ready().substr(0, 3), "200") << ready();
    cluster->stop();
    const std::string down = ready();
    const std::string token_attempt = login(b, demo("password")).raw;
    cluster->start();
    EXPECT_EQ(down.substr(0, 3), "503") << down;
    EXPECT_NE(down.find("database"), std::string::npos) << down;
    EXPECT_NE(token_attempt.find("503"), std::string::npos)
        << "a request while the database is down: " << token_attempt;
    // Back: the pool reconnects on the next transaction.
    std::string again;
    for (int i = 0; i < 20; ++i) {
        again = ready();
        if (again.substr(0, 3) == "200") {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{250});
    }
    EXPECT_EQ(again.substr(0, 3), "200") << again;
    EXPECT_EQ(login(b, demo("password")).status, 200);
}

}  // namespace
