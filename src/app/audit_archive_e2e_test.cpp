// `inkan audit archive` and `inkan audit verify --archive` (issue 26 "Audit archive", decision 0036): the
// real binary on a data directory made by `inkan init`, an audit log written by `inkan serve` signing
// for a client (curl over HTTPS), archives checked by outside tools (`openssl cms -verify` against the
// development root, `openssl ts -verify` of the signature-time-stamp over the signature value), the
// database inspected and tampered with through the sqlite3 CLI.

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/cms/signed_data.h>
#include <inkan/core/clock.h>
#include <inkan/core/encoding.h>
#include <inkan/crypto/digest.h>
#include <inkan/service/audit_archive.h>
#include <inkan/service/secrets.h>
#include <inkan/storage/sqlite_audit_archive_store.h>
#include <inkan/testing/process.h>

#include "e2e_support.h"

namespace fs = std::filesystem;
using inkan::Bytes;
using inkan::e2e::curl_status;
using inkan::e2e::HttpResult;
using inkan::testing::CommandResult;
using inkan::testing::run;
using inkan::testing::TempDir;
using nlohmann::json;

namespace {

std::string text_of(const Bytes& b) {
    return {b.begin(), b.end()};
}

std::int64_t now_seconds() {
    return std::chrono::floor<std::chrono::seconds>(inkan::SystemClock::instance().now().time_since_epoch())
        .count();
}

std::string rfc3339(std::int64_t unix_seconds) {
    return inkan::format_rfc3339(inkan::TimePoint{std::chrono::seconds{unix_seconds}});
}

class AuditArchive : public ::testing::Test {
protected:
    void SetUp() override {
        const auto init = run({INKAN_BIN, "init", "--data", data.string(), "--json"});
        ASSERT_EQ(init.exit_code, 0) << describe(init);
        init_json = json::parse(init.out);
    }

    CommandResult inkan(std::vector<std::string> args, std::string_view in = {}) {
        args.insert(args.begin(), INKAN_BIN);
        args.push_back("--data");
        args.push_back(data.string());
        return run(args, in);
    }

    std::string sql(const std::string& text) {
        const auto r = run({"sqlite3", "-batch", (data / "inkan.db").string(), text});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return r.out;
    }

    std::int64_t sql_int(const std::string& text) { return std::stoll(sql(text)); }

    /// A few audited operator changes (user add, lock, unlock).
    void operator_changes(const std::string& name) {
        ASSERT_EQ(inkan({"user", "add", name, "--password-stdin"}, "password-" + name + "\n").exit_code, 0);
        ASSERT_EQ(inkan({"user", "lock", name}).exit_code, 0);
        ASSERT_EQ(inkan({"user", "unlock", name}).exit_code, 0);
    }

    /// Waits until the clock is past the newest entry's second and returns that next second: every entry
    /// so far is older than it, every later one is not (entries carry whole seconds).
    std::int64_t boundary_after_newest() {
        const std::int64_t newest = sql_int("SELECT max(at) FROM audit_log;");
        while (now_seconds() <= newest) {
            std::this_thread::sleep_for(std::chrono::milliseconds{50});
        }
        return newest + 1;
    }

    /// What the database holds of the audit trail, to compare before and after a refusal.
    std::string audit_state() {
        return sql("SELECT count(*), min(seq), max(seq), hex(max(hash)) FROM audit_log;") +
               sql("SELECT count(*) FROM audit_checkpoints;");
    }

    /// The signed content of an archive, as `openssl cms -verify` checks and extracts it.
    std::string openssl_content(const fs::path& archive) {
        const auto out = tmp / (archive.filename().string() + ".content");
        const auto v =
            run({"openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", archive.string(), "-CAfile",
                 (data / "pki" / "root-ca.pem").string(), "-purpose", "any", "-out", out.string()});
        EXPECT_EQ(v.exit_code, 0) << describe(v);
        EXPECT_NE(v.err.find("Verification successful"), std::string::npos) << describe(v);
        return text_of(inkan::testing::read_file(out));
    }

    static json header_of(const std::string& content) {
        return json::parse(content.substr(0, content.find('\n')));
    }

    TempDir tmp{"inkan-audit-archive"};
    fs::path data = tmp / "data";
    json init_json;
};

/// The demo user signing hashes through `inkan serve` (login, authorize with PIN and TOTP, signHash).
class SigningClient {
public:
    SigningClient(const json& init, std::string api, std::string credential)
        : m_init{init}, m_api{std::move(api)}, m_credential{std::move(credential)} {}

    void login() {
        const auto r = curl_status(ca(), "20",
                                   {"-X", "POST", "-u", demo("user") + ":" + demo("password"),
                                    "--data-binary", "{}", m_api + "/csc/v2/auth/login"});
        ASSERT_EQ(r.status, 200) << r.raw;
        m_token = json::parse(r.body)["access_token"].get<std::string>();
    }

    /// A SAD for `n` signatures; each TOTP step is accepted once, so the next unused one is taken,
    /// waiting for the clock when it is not yet inside the ±1 window.
    std::string authorize(int n) {
        const std::int64_t step = std::max(m_last_step + 1, now_seconds() / 30);
        while (step > now_seconds() / 30 + 1) {
            std::this_thread::sleep_for(std::chrono::milliseconds{500});
        }
        m_last_step = step;
        const std::string otp = inkan::service::totp_code(inkan::base32_decode(demo("totp_secret")),
                                                          inkan::TimePoint{std::chrono::seconds{step * 30}});
        const auto r =
            post("/csc/v2/credentials/authorize",
                 {{"credentialID", m_credential},
                  {"numSignatures", n},
                  {"authData",
                   json::array({{{"id", "PIN"}, {"value", "4711"}}, {{"id", "OTP"}, {"value", otp}}})}});
        EXPECT_EQ(r.status, 200) << r.raw;
        return r.status == 200 ? json::parse(r.body)["SAD"].get<std::string>() : std::string{};
    }

    int sign(const std::string& sad, const std::string& text) {
        return post("/csc/v2/signatures/signHash",
                    {{"credentialID", m_credential},
                     {"SAD", sad},
                     {"hashes", json::array({inkan::base64url_encode(inkan::e2e::sha256(text))})},
                     {"hashAlgorithmOID", inkan::e2e::kSha256},
                     {"signAlgo", inkan::e2e::kEcdsaSha256}})
            .status;
    }

private:
    std::string ca() const { return m_init["tls_ca"].get<std::string>(); }
    std::string demo(const char* field) const { return m_init["demo"][field].get<std::string>(); }
    HttpResult post(const std::string& path, const json& body) const {
        return curl_status(ca(), "20",
                           {"-X", "POST", "-H", "Content-Type: application/json", "-H",
                            "Authorization: Bearer " + m_token, "--data-binary", body.dump(), m_api + path});
    }

    const json& m_init;
    std::string m_api;
    std::string m_credential;
    std::string m_token;
    std::int64_t m_last_step = 0;
};

TEST_F(AuditArchive, ASigningLogIsArchivedWhileServingAndVerifiesWithOpensslAndInkan) {
    const auto cred = inkan({"credential", "create", "--user", "demo", "--scal", "1", "--multisign", "1000",
                             "--pin-stdin", "--json"},
                            "4711\n");
    ASSERT_EQ(cred.exit_code, 0) << describe(cred);
    const std::string credential = json::parse(cred.out)["credential"]["id"].get<std::string>();
    std::unique_ptr<inkan::testing::Process> server;
    const json urls = inkan::e2e::start_serve(server, data);
    SigningClient client{init_json, urls["api_url"].get<std::string>(), credential};
    ASSERT_NO_FATAL_FAILURE(client.login());
    const std::string sad = client.authorize(1000);
    for (int i = 0; i < 5; ++i) {
        ASSERT_EQ(client.sign(sad, "before " + std::to_string(i)), 200);
    }
    const std::int64_t signed_before = sql_int("SELECT count(*) FROM audit_log WHERE action LIKE '%sign%';");
    ASSERT_GE(signed_before, 5) << sql("SELECT action FROM audit_log;");
    const std::int64_t before = boundary_after_newest();
    const std::int64_t archived_last = sql_int("SELECT max(seq) FROM audit_log;");
    const std::string archived_last_hash =
        sql("SELECT lower(hex(hash)) FROM audit_log WHERE seq = " + std::to_string(archived_last) + ";");

    // The server keeps signing (and auditing) while the archive is taken and committed.
    std::atomic<bool> stop{false};
    std::atomic<int> signed_during{0};
    std::atomic<int> failed_during{0};
    std::thread signer{[&] {
        for (int i = 0; !stop.load(); ++i) {
            (client.sign(sad, "during " + std::to_string(i)) == 200 ? signed_during : failed_during)++;
        }
    }};
    while (signed_during.load() < 3 && failed_during.load() == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    const fs::path archive = tmp / "audit-1.p7m";
    const auto archived =
        inkan({"audit", "archive", "--before", rfc3339(before), "-o", archive.string(), "--json"});
    const int during_archive = signed_during.load();
    while (signed_during.load() < during_archive + 3 && failed_during.load() == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    stop = true;
    signer.join();
    ASSERT_EQ(archived.exit_code, 0) << describe(archived);
    EXPECT_EQ(failed_during.load(), 0) << "signing failed while archiving";
    const json result = json::parse(archived.out);
    EXPECT_EQ(result["first_seq"].get<std::int64_t>(), 1);
    EXPECT_EQ(result["last_seq"].get<std::int64_t>(), archived_last) << archived.out;
    EXPECT_EQ(result["last_hash"].get<std::string>() + "\n", archived_last_hash);

    // The database: the range is gone, a checkpoint names it, the archive's own entry is in the chain.
    EXPECT_EQ(sql_int("SELECT min(seq) FROM audit_log;"), archived_last + 1);
    EXPECT_EQ(sql("SELECT first_seq, last_seq, count, lower(hex(last_hash)), lower(hex(archive_sha256)) FROM "
                  "audit_checkpoints;"),
              "1|" + std::to_string(archived_last) + "|" + std::to_string(archived_last) + "|" +
                  archived_last_hash.substr(0, 64) + "|" +
                  inkan::hex_encode(inkan::crypto::digest(inkan::crypto::DigestAlgorithm::Sha256,
                                                          inkan::testing::read_file(archive))) +
                  "\n");
    EXPECT_EQ(
        sql("SELECT count(*) FROM audit_log WHERE action = 'audit.archive' AND details LIKE '%\"last_seq\":" +
            std::to_string(archived_last) + "%';"),
        "1\n");

    // openssl: the seal's signature chains to the development root and the content is the archive.
    const std::string content = openssl_content(archive);
    const json header = header_of(content);
    EXPECT_EQ(header["format"], "inkan-audit-archive-v1");
    EXPECT_EQ(header["last_seq"].get<std::int64_t>(), archived_last);
    EXPECT_EQ(header["prev_hash"], std::string(64, '0'));
    std::istringstream lines{content};
    std::string line;
    std::int64_t entries = -1;  // the header
    std::int64_t signatures = 0;
    while (std::getline(lines, line)) {
        ++entries;
        if (entries > 0 && json::parse(line)["action"].get<std::string>().find("sign") != std::string::npos) {
            ++signatures;
        }
    }
    EXPECT_EQ(entries, archived_last);
    EXPECT_EQ(signatures, signed_before) << content;
    const auto signer_cert =
        run({"openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", archive.string()});
    EXPECT_NE(signer_cert.out.find("inkan Service Seal"), std::string::npos) << "signed by the seal";

    // openssl ts: the signature-time-stamp is an RFC 3161 token over the signature value, from inkan's TSA.
    const inkan::cms::SignedData sd = inkan::cms::parse(inkan::testing::read_file(archive));
    ASSERT_EQ(sd.signer_infos.size(), 1U);
    const Bytes* token = sd.signer_infos[0].unsigned_attribute(inkan::cms::oid::kSignatureTimeStampToken);
    ASSERT_NE(token, nullptr);
    const fs::path token_file = tmp / "archive.tst";
    std::ofstream{token_file, std::ios::binary}.write(reinterpret_cast<const char*>(token->data()),
                                                      static_cast<std::streamsize>(token->size()));
    const auto ts = run({"openssl", "ts", "-verify", "-token_in", "-in", token_file.string(), "-digest",
                         inkan::hex_encode(inkan::crypto::digest(inkan::crypto::DigestAlgorithm::Sha256,
                                                                 sd.signer_infos[0].signature)),
                         "-CAfile", (data / "pki" / "root-ca.pem").string()});
    EXPECT_EQ(ts.exit_code, 0) << describe(ts);
    EXPECT_NE(ts.out.find("Verification: OK"), std::string::npos) << describe(ts);

    // openssl: the checkpoint's seal (detached CAdES) verifies over the checkpoint's bytes
    // (audit_checkpoint_bytes), chained to the development root.
    {
        const inkan::storage::SqliteAuditArchiveStore store{
            std::make_shared<inkan::storage::Database>(data / "inkan.db")};
        const auto checkpoints = store.checkpoints();
        ASSERT_EQ(checkpoints.size(), 1U);
        const fs::path seal = tmp / "checkpoint-seal.der";
        const fs::path bytes = tmp / "checkpoint.bin";
        inkan::testing::write_file(seal, checkpoints[0].seal);
        inkan::testing::write_file(bytes, inkan::service::audit_checkpoint_bytes(checkpoints[0]));
        const auto v = run({"openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", seal.string(),
                            "-content", bytes.string(), "-CAfile", (data / "pki" / "root-ca.pem").string(),
                            "-purpose", "any", "-out", "/dev/null"});
        EXPECT_EQ(v.exit_code, 0) << describe(v);
        EXPECT_NE(v.err.find("Verification successful"), std::string::npos) << describe(v);
    }

    // inkan: the remaining chain verifies from the checkpoint while the server still runs; the archive
    // verifies and links to it.
    const auto verified = inkan({"audit", "verify"});
    EXPECT_EQ(verified.exit_code, 0) << describe(verified);
    EXPECT_NE(verified.out.find("archived: entries #1 to #" + std::to_string(archived_last)),
              std::string::npos)
        << verified.out;
    const auto with_archive = inkan({"audit", "verify", "--archive", archive.string(), "--json"});
    EXPECT_EQ(with_archive.exit_code, 0) << describe(with_archive);
    const json j = json::parse(with_archive.out);
    EXPECT_TRUE(j["ok"].get<bool>()) << with_archive.out;
    EXPECT_EQ(j["archive_files"][0]["checkpoint"].get<int>(), 1) << with_archive.out;
    EXPECT_EQ(server->terminate(), 0) << server->stderr_text();
    const auto after_stop = inkan({"audit", "verify", "--archive", archive.string()});
    EXPECT_EQ(after_stop.exit_code, 0) << describe(after_stop);
}

TEST_F(AuditArchive, TamperingWithOneArchivedByteIsNamed) {
    operator_changes("first");
    const std::int64_t before = boundary_after_newest();
    operator_changes("second");
    const fs::path archive = tmp / "audit-1.p7m";
    const auto archived = inkan({"audit", "archive", "--before", rfc3339(before), "-o", archive.string()});
    ASSERT_EQ(archived.exit_code, 0) << describe(archived);

    // One byte of the archived "user.lock" entry's action, inside the signed content: user.lock -> user.lick.
    Bytes bytes = inkan::testing::read_file(archive);
    const std::string needle = "\"action\":\"user.lock\"";
    const std::string text = text_of(bytes);
    const auto at = text.find(needle);
    ASSERT_NE(at, std::string::npos);
    const std::size_t line_start = text.rfind('\n', at) + 1;
    const std::int64_t seq = json::parse(text.substr(line_start, text.find('\n', at) - line_start))["seq"];
    bytes[at + needle.size() - 4] = 'i';
    const fs::path tampered = tmp / "audit-1-tampered.p7m";
    std::ofstream{tampered, std::ios::binary}.write(reinterpret_cast<const char*>(bytes.data()),
                                                    static_cast<std::streamsize>(bytes.size()));

    const auto v = inkan({"audit", "verify", "--archive", tampered.string()});
    EXPECT_EQ(v.exit_code, 1) << describe(v);
    EXPECT_NE(v.out.find("the seal's signature does not verify"), std::string::npos) << v.out;
    EXPECT_NE(v.out.find("entry #" + std::to_string(seq) +
                         ": its readable fields do not match its canonical "
                         "form (edited)"),
              std::string::npos)
        << v.out;
    EXPECT_NE(v.out.find("no checkpoint in the database names this file"), std::string::npos) << v.out;
    const auto outside = run({"openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in",
                              tampered.string(), "-CAfile", (data / "pki" / "root-ca.pem").string(),
                              "-purpose", "any", "-out", (tmp / "tampered.content").string()});
    EXPECT_NE(outside.exit_code, 0) << "openssl accepted a tampered archive: " << describe(outside);
    // The untouched file still verifies: the failure is the byte's.
    EXPECT_EQ(inkan({"audit", "verify", "--archive", archive.string()}).exit_code, 0);
}

TEST_F(AuditArchive, ASecondArchiveLinksToTheFirstAndAMissingArchiveOrTruncationIsNamed) {
    operator_changes("first");
    const std::int64_t t1 = boundary_after_newest();
    operator_changes("second");
    const std::int64_t t2 = boundary_after_newest();
    operator_changes("third");
    const fs::path a1 = tmp / "audit-1.p7m";
    const fs::path a2 = tmp / "audit-2.p7m";
    ASSERT_EQ(inkan({"audit", "archive", "--before", rfc3339(t1), "-o", a1.string()}).exit_code, 0);
    const auto second = inkan({"audit", "archive", "--before", rfc3339(t2), "-o", a2.string()});
    ASSERT_EQ(second.exit_code, 0) << describe(second);

    const json h1 = header_of(openssl_content(a1));
    const json h2 = header_of(openssl_content(a2));
    EXPECT_EQ(h2["first_seq"].get<std::int64_t>(), h1["last_seq"].get<std::int64_t>() + 1);
    EXPECT_EQ(h2["prev_hash"], h1["last_hash"]);
    EXPECT_EQ(h2["previous_archive_sha256"],
              inkan::hex_encode(inkan::crypto::digest(inkan::crypto::DigestAlgorithm::Sha256,
                                                      inkan::testing::read_file(a1))));
    const auto both = inkan({"audit", "verify", "--archive", a1.string(), "--archive", a2.string()});
    EXPECT_EQ(both.exit_code, 0) << describe(both);

    // The first archive deleted (or withheld): named by its checkpoint.
    const auto missing = inkan({"audit", "verify", "--archive", a2.string()});
    EXPECT_EQ(missing.exit_code, 1) << describe(missing);
    EXPECT_NE(missing.out.find("checkpoint 1 (entries #1 to #" + h1["last_seq"].dump() +
                               ", archive \"audit-1.p7m\""),
              std::string::npos)
        << missing.out;
    EXPECT_NE(missing.out.find("its archive file is missing"), std::string::npos) << missing.out;

    // A silent truncation of the oldest remaining entries (no archive) breaks the link to the checkpoint.
    const std::int64_t first_left = sql_int("SELECT min(seq) FROM audit_log;");
    sql("DELETE FROM audit_log WHERE seq = " + std::to_string(first_left) + ";");
    const auto truncated = inkan({"audit", "verify"});
    EXPECT_EQ(truncated.exit_code, 1) << describe(truncated);
    EXPECT_NE(truncated.out.find("BROKEN at entry " + std::to_string(first_left) + ": entry " +
                                 std::to_string(first_left) + ": missing (deleted)"),
              std::string::npos)
        << truncated.out;
}

TEST_F(AuditArchive, AForgedCheckpointIsNamedByItsSeal) {
    operator_changes("first");
    const std::int64_t t1 = boundary_after_newest();
    operator_changes("second");
    const fs::path a1 = tmp / "audit-1.p7m";
    ASSERT_EQ(inkan({"audit", "archive", "--before", rfc3339(t1), "-o", a1.string()}).exit_code, 0);
    // Someone with write access to the database hides two more entries behind an extended checkpoint.
    const std::int64_t last = sql_int("SELECT last_seq FROM audit_checkpoints;");
    sql("UPDATE audit_checkpoints SET last_seq = last_seq + 2, count = count + 2, last_hash = (SELECT hash "
        "FROM "
        "audit_log WHERE seq = " +
        std::to_string(last + 2) + "); DELETE FROM audit_log WHERE seq <= " + std::to_string(last + 2) + ";");
    const auto v = inkan({"audit", "verify"});
    EXPECT_EQ(v.exit_code, 1) << describe(v);
    EXPECT_NE(v.out.find("the archive checkpoints do NOT verify: checkpoint 1 (entries #1 to #" +
                         std::to_string(last + 2) + "): its seal does not verify"),
              std::string::npos)
        << v.out;
}

TEST_F(AuditArchive, RefusalsNameTheProblemAndChangeNothing) {
    operator_changes("first");
    const std::int64_t before = boundary_after_newest();
    operator_changes("second");
    const fs::path out = tmp / "audit.p7m";
    const std::string state = audit_state();
    const auto refused = [&](const std::vector<std::string>& args, const std::string& message) {
        std::vector<std::string> full{"audit", "archive"};
        full.insert(full.end(), args.begin(), args.end());
        const auto r = inkan(full);
        EXPECT_NE(r.exit_code, 0) << describe(r);
        EXPECT_NE(r.err.find(message), std::string::npos) << describe(r);
        EXPECT_EQ(audit_state(), state) << "after " << message;
        EXPECT_FALSE(fs::exists(out)) << "after " << message;
    };
    refused({"--before", rfc3339(now_seconds() + 3600), "-o", out.string()}, "is in the future");
    refused({"--before", rfc3339(boundary_after_newest()), "-o", out.string()}, "the open tail");
    refused({"--before", "2000-01-01T00:00:00Z", "-o", out.string()}, "nothing to archive");
    refused({"--before", "yesterday", "-o", out.string()}, "--before must be an RFC 3339 time");
    refused({"-o", out.string()}, "--before is required");
    refused({"--before", rfc3339(before)}, "-o FILE is required");
    {
        // A concurrent archive holds the data directory's archive lock.
        const int fd = ::open((data / "audit-archive.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
        refused({"--before", rfc3339(before), "-o", out.string()},
                "another `inkan audit archive` is running");
        ::close(fd);
    }
    {
        std::ofstream{out} << "keep me";
        const auto r = inkan({"audit", "archive", "--before", rfc3339(before), "-o", out.string()});
        EXPECT_EQ(r.exit_code, 1) << describe(r);
        EXPECT_NE(r.err.find("exists: an archive is never overwritten"), std::string::npos) << describe(r);
        EXPECT_EQ(audit_state(), state);
        EXPECT_EQ(text_of(inkan::testing::read_file(out)), "keep me");
        fs::remove(out);
    }
    // And with nothing in the way, the same command archives.
    const auto ok = inkan({"audit", "archive", "--before", rfc3339(before), "-o", out.string()});
    EXPECT_EQ(ok.exit_code, 0) << describe(ok);
    EXPECT_NE(audit_state(), state);
    EXPECT_EQ(inkan({"audit", "verify", "--archive", out.string()}).exit_code, 0);
}

}  // namespace

namespace {

TEST_F(AuditArchive, ABackupOfAnArchivedLogRestoresAndVerifiesFromTheCheckpoint) {
    operator_changes("first");
    const std::int64_t t1 = boundary_after_newest();
    operator_changes("second");
    const fs::path a1 = tmp / "audit-1.p7m";
    ASSERT_EQ(inkan({"audit", "archive", "--before", rfc3339(t1), "-o", a1.string()}).exit_code, 0);
    const fs::path backup = tmp / "backup";
    const auto b = inkan({"backup", "--to", backup.string()});
    ASSERT_EQ(b.exit_code, 0) << describe(b);
    const fs::path restored = tmp / "restored";
    const auto r = run({INKAN_BIN, "restore", "--from", backup.string(), "--data", restored.string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const auto v = run({INKAN_BIN, "audit", "verify", "--data", restored.string(), "--archive", a1.string()});
    EXPECT_EQ(v.exit_code, 0) << describe(v);
    EXPECT_NE(v.out.find("after checkpoint 1"), std::string::npos) << v.out;
}

}  // namespace
