// Housekeeping over the real service: SADs issued through Authorization (the OAuth credential-grant
// path, which skips the slow argon2id PIN check so that 100,000 of them take seconds), then purged by
// Housekeeping over the real SQLite database on a ManualClock. Table sizes are read with the sqlite3
// CLI, signatures checked with `openssl pkeyutl -verify`.

#include <inkan/service/housekeeping.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <inkan/crypto/digest.h>
#include <inkan/crypto/random.h>
#include <inkan/pki/ca.h>
#include <inkan/pki/certificate.h>
#include <inkan/pki/connectors.h>
#include <inkan/service/audit.h>
#include <inkan/service/authorization.h>
#include <inkan/service/credentials.h>
#include <inkan/sign/hsm_signer.h>
#include <inkan/storage/sqlite_ca_store.h>
#include <inkan/storage/sqlite_housekeeping.h>
#include <inkan/storage/sqlite_service_stores.h>

#include "test_env.h"

namespace inkan::service {
namespace {

using crypto::DigestAlgorithm;
using crypto::SignatureAlgorithm;
using testing::secret;
using testing::ServiceEnv;
using testing::token;

Bytes sha256(std::string_view s) {
    return crypto::digest(DigestAlgorithm::Sha256, as_bytes(s));
}

/// The database on tmpfs when there is one: 100,000 authorisations are 100,000 synchronous commits,
/// and what is measured here is what the purge leaves, not the disk's fsync. Set before the ServiceEnv
/// member makes its directory (base classes are constructed first); ctest runs each test in a process
/// of its own.
struct DatabaseOnTmpfs {
    DatabaseOnTmpfs() {
        if (std::filesystem::is_directory("/dev/shm")) {
            ::setenv("TMPDIR", "/dev/shm", 1);
        }
    }
};

class HousekeepingTest : private DatabaseOnTmpfs, public ::testing::Test {
protected:
    HousekeepingTest()
        : ca_store{env.db},
          credentials{env.credentials,
                      env.users,
                      token(),
                      [this](const std::string&) -> pki::CaConnector& { return *connector; },
                      [](const std::string&, ByteView, pki::RevocationReason) { return false; },
                      env.clock},
          store{env.db},
          audit_store{env.db},
          audit{audit_store, env.clock},
          authz{env.credentials, env.users, env.accounts, store, audit, token(), env.clock},
          housekeeping_store{env.db} {
        ca_signer = std::make_unique<sign::HsmSigner>(
            token(), token().generate_key_pair(hsm::KeySpec::EcP256, "ca-hk-" + crypto::random_hex(4)));
        pki::CaSettings settings;
        settings.name = "test-ca";
        settings.pki_base_url = "http://127.0.0.1:8080";
        const pki::Certificate root =
            pki::create_root(settings, *ca_signer,
                             pki::Name{}.country("JP").organization("inkan").common_name("inkan Test CA"),
                             3650, ca_store, env.clock);
        ca = std::make_unique<pki::BuiltinCa>(settings, *ca_signer, std::vector<Bytes>{root.der()}, ca_store,
                                              pki::ProfileSet::defaults(), env.clock);
        connector = std::make_unique<pki::BuiltinConnector>(*ca);
        alice = env.add("alice", "Alice Example", true);
        NewCredential r;
        r.kind = CredentialKind::Personal;
        r.owner = "alice";
        r.key = hsm::KeySpec::EcP256;
        r.scal = 2;
        r.multisign = 1;
        r.pin = secret("1234");
        credential = credentials.create(std::move(r)).credential;
    }

    static Caller caller(const User& u) { return Caller{u.id, "client-1", "tok-1"}; }

    /// A SAD for one hash, as the OAuth consent page issues it (factors already checked there).
    std::string grant(const Bytes& hash, std::chrono::seconds lifetime) {
        AuthorizeRequest g;
        g.credential_id = credential.id;
        g.num_signatures = 1;
        g.hashes = {AuthorisedHash{DigestAlgorithm::Sha256, hash}};
        g.pin_verified = true;
        return authz.grant_credential(caller(alice), std::move(g), lifetime).sad;
    }

    Bytes sign(const std::string& sad, const Bytes& hash) {
        auto sigs = authz.sign_hash(
            caller(alice),
            SignHashRequest{
                credential.id, secret(sad), {hash}, SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256)});
        EXPECT_EQ(sigs.size(), 1U);
        return sigs.empty() ? Bytes{} : sigs.front();
    }

    void expect_verifies(ByteView digest, ByteView sig, const std::string& tag) {
        const auto pub = pki::Certificate::from_der(credential.chain.front()).public_key();
        inkan::testing::write_file(env.dir / "pub.pem", pub.pem());
        inkan::testing::write_file(env.dir / (tag + ".digest"), digest);
        inkan::testing::write_file(env.dir / (tag + ".sig"), sig);
        const auto result = inkan::testing::run(
            {"openssl", "pkeyutl", "-verify", "-pubin", "-inkey", (env.dir / "pub.pem").string(), "-in",
             (env.dir / (tag + ".digest")).string(), "-sigfile", (env.dir / (tag + ".sig")).string()});
        EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
        EXPECT_NE(result.out.find("Signature Verified Successfully"), std::string::npos) << result.out;
    }

    /// A table's row count, read by the sqlite3 CLI (not through inkan's own code).
    long rows(const std::string& table) {
        const auto r = inkan::testing::run(
            {"sqlite3", "-batch", (env.dir / "inkan.db").string(), "SELECT COUNT(*) FROM " + table});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return std::stol(r.out);
    }

    ServiceEnv env;
    storage::SqliteCaStore ca_store;
    std::unique_ptr<sign::HsmSigner> ca_signer;
    std::unique_ptr<pki::BuiltinCa> ca;
    std::unique_ptr<pki::BuiltinConnector> connector;
    Credentials credentials;
    storage::SqliteAuthorizationStore store;
    storage::SqliteAuditStore audit_store;
    AuditLog audit;
    Authorization authz;
    storage::SqliteHousekeepingStore housekeeping_store;
    User alice;
    Credential credential;
};

TEST_F(HousekeepingTest, HundredThousandExpiredAuthorisationsArePurgedAndTheAuditLogIsKept) {
    constexpr int kAuthorisations = 100'000;
    const long audit_before = rows("audit_log");
    for (int i = 0; i < kAuthorisations; ++i) {
        (void)grant(sha256("document " + std::to_string(i)), std::chrono::seconds{300});
    }
    ASSERT_EQ(rows("sads"), kAuthorisations);
    ASSERT_EQ(rows("sad_hashes"), kAuthorisations);
    // Other kinds of expiring rows, written through their own ports.
    storage::SqliteOAuthGrantStore grants{env.db};
    for (int i = 0; i < 1000; ++i) {
        ASSERT_TRUE(grants.remember_account_token("client-1", "jti-" + std::to_string(i), env.clock.now(),
                                                  env.clock.now() + std::chrono::seconds{300}));
        TokenRecord t;
        t.id = "tok-" + std::to_string(i);
        t.hash = sha256(t.id);
        t.kind = TokenKind::Access;
        t.user_id = alice.id;
        t.issued_at = env.clock.now();
        t.expires_at = env.clock.now() + std::chrono::seconds{300};
        env.tokens.insert(t);
    }
    const std::int64_t step =
        std::chrono::floor<std::chrono::seconds>(env.clock.now().time_since_epoch()).count() / 30;
    for (int i = 0; i < 1000; ++i) {
        ASSERT_TRUE(store.use_otp_step("user-" + std::to_string(i), step));
    }

    env.clock.advance(std::chrono::seconds{301});
    // Live rows issued after the others expired: they must survive.
    const Bytes live_hash = sha256("live document");
    const std::string live_sad = grant(live_hash, std::chrono::seconds{300});
    const std::string live_sad2 = grant(sha256("live 2"), std::chrono::seconds{300});

    HousekeepingSettings settings;
    settings.batch_size = 1000;
    Housekeeping housekeeping{housekeeping_store, env.clock, settings};
    const PurgeCounts purged = housekeeping.run();
    EXPECT_EQ(purged.sads, static_cast<std::size_t>(kAuthorisations));
    EXPECT_EQ(purged.tokens, 1000U);
    EXPECT_EQ(purged.account_tokens, 1000U);
    EXPECT_EQ(purged.otp_steps, 1000U) << "steps 10 steps back are outside any TOTP window";

    EXPECT_EQ(rows("sads"), 2) << "only the live SADs are left";
    EXPECT_EQ(rows("sad_hashes"), 2);
    EXPECT_EQ(rows("tokens"), 0);
    EXPECT_EQ(rows("oauth_account_tokens"), 0);
    EXPECT_EQ(rows("otp_state"), 0);
    // Every authorisation stays in the audit chain, and the chain still verifies.
    EXPECT_GE(rows("audit_log"), audit_before + kAuthorisations + 2);
    EXPECT_TRUE(audit.verify().ok) << audit.verify().problem;

    // The live SAD still signs exactly its hash, and a second pass finds nothing.
    expect_verifies(live_hash, sign(live_sad, live_hash), "live");
    EXPECT_EQ(housekeeping.run().total(), 0U);
}

TEST_F(HousekeepingTest, AnOtpStepStillInsideTheWindowAndCountedFailuresAreKept) {
    const std::int64_t step =
        std::chrono::floor<std::chrono::seconds>(env.clock.now().time_since_epoch()).count() / 30;
    ASSERT_TRUE(store.use_otp_step("recent", step - 1));  // the window (±1) still accepts this step
    ASSERT_TRUE(store.use_otp_step("old", step - 2));
    ASSERT_TRUE(store.use_otp_step("old-with-failures", step - 5));
    (void)store.add_otp_failure("old-with-failures");
    Housekeeping housekeeping{housekeeping_store, env.clock};
    EXPECT_EQ(housekeeping.run().otp_steps, 1U);
    EXPECT_FALSE(store.use_otp_step("recent", step - 1)) << "the step's replay protection must remain";
    EXPECT_EQ(store.otp_failures("old-with-failures"), 1);
}

TEST_F(HousekeepingTest, ASignatureConcurrentWithAPurgeSucceeds) {
    for (int i = 0; i < 20'000; ++i) {
        (void)grant(sha256("expiring " + std::to_string(i)), std::chrono::seconds{60});
    }
    env.clock.advance(std::chrono::seconds{61});
    HousekeepingSettings settings;
    settings.batch_size = 100;  // many small batches: signatures interleave with them
    Housekeeping housekeeping{housekeeping_store, env.clock, settings};
    std::atomic<bool> done{false};
    PurgeCounts purged;
    std::thread purger{[&] {
        purged = housekeeping.run();
        done = true;
    }};
    int signed_during = 0;
    std::vector<std::pair<Bytes, Bytes>> signatures;
    do {
        const Bytes h = sha256("concurrent " + std::to_string(signed_during));
        const std::string sad = grant(h, std::chrono::seconds{300});
        signatures.emplace_back(h, sign(sad, h));
        ++signed_during;
    } while (!done);
    purger.join();
    EXPECT_EQ(purged.sads, 20'000U);
    EXPECT_GE(signed_during, 1);
    expect_verifies(signatures.front().first, signatures.front().second, "first");
    expect_verifies(signatures.back().first, signatures.back().second, "last");
    EXPECT_EQ(rows("sads"), signed_during) << "the SADs spent meanwhile are not expired: they stay";
}

}  // namespace
}  // namespace inkan::service
