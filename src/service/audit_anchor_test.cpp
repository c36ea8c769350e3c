// Anchors of the audit chain (decision 0017) on real SQLite and a real TSA (key in SoftHSM): deleting
// the newest entries leaves a chain that still verifies, and only the anchor finds it; tokens are
// checked by `openssl ts -verify` as well as by inkan.

#include <gtest/gtest.h>

#include <inkan/core/encoding.h>
#include <inkan/service/audit.h>
#include <inkan/service/audit_anchor.h>
#include <inkan/storage/sqlite_audit_anchor_store.h>
#include <inkan/storage/sqlite_service_stores.h>
#include <inkan/storage/sqlite_tsa_serial_store.h>
#include <inkan/testing/process.h>
#include <inkan/testing/test_pki.h>
#include <inkan/tsp/authority.h>

namespace {

using inkan::Bytes;
using inkan::service::AuditAnchoring;
using inkan::service::AuditEvent;
using inkan::service::AuditLog;
using inkan::testing::TempDir;
using inkan::testing::TestPki;

TestPki& test_pki() {
    static TestPki p;
    return p;
}

struct Tsa {
    TestPki::Leaf leaf = test_pki().issue(inkan::hsm::KeySpec::EcP256, "audit-tsa");
    TempDir dir{"inkan-anchor-tsa"};
    inkan::storage::SqliteTsaSerialStore serials{dir / "tsa.db"};
    inkan::tsp::Authority authority = make();

    inkan::tsp::Authority make() {
        inkan::tsp::Identity id;
        id.name = "default";
        id.policy = "1.3.6.1.4.1.99999.1.9";
        id.signer = std::shared_ptr<inkan::sign::Signer>(leaf.signer.get(), [](inkan::sign::Signer*) {});
        id.chain = leaf.chain;
        id.is_default = true;
        return inkan::tsp::Authority{{std::move(id)}, serials, test_pki().clock};
    }
};

Tsa& tsa() {
    static Tsa t;
    return t;
}

class AuditAnchors : public ::testing::Test {
protected:
    TempDir dir{"inkan-anchors"};
    std::shared_ptr<inkan::storage::Database> db =
        std::make_shared<inkan::storage::Database>(dir / "inkan.db");
    inkan::storage::SqliteAuditStore store{db};
    inkan::storage::SqliteAuditAnchorStore anchor_store{db};
    inkan::ManualClock clock{inkan::TimePoint{std::chrono::seconds{1'900'000'000}}};
    AuditLog log{store, clock};
    AuditAnchoring anchoring{anchor_store, store, clock};
    std::vector<Bytes> anchors_of_trust{
        inkan::pki::certificates_from_pem(inkan::to_string(inkan::testing::read_file(test_pki().root_pem)))
            .front()
            .der()};

    void record(int n) {
        for (int i = 0; i < n; ++i) {
            AuditEvent e;
            e.action = "sign";
            e.outcome = "ok";
            e.user_id = "u" + std::to_string(i);
            e.details = "{}";
            log.record(e);
            clock.advance(std::chrono::seconds{1});
        }
    }
    void sql(const std::string& statement) { inkan::storage::Statement{*db, statement, "test"}.run(); }
};

TEST_F(AuditAnchors, AnAnchorCoversTheHeadAndVerifies) {
    record(3);
    const auto a = anchoring.anchor(tsa().authority);
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->seq, 3U);
    EXPECT_EQ(a->head_hash, store.all().back().hash);
    const auto v = anchoring.verify(anchors_of_trust);
    EXPECT_TRUE(v.ok) << v.problem;
    EXPECT_EQ(v.anchors, 1U);
    ASSERT_TRUE(v.latest.has_value());
    EXPECT_EQ(v.latest->id, a->id);
}

TEST_F(AuditAnchors, AnIdleOrEmptyLogIsNotAnchoredAgainUnlessForced) {
    EXPECT_FALSE(anchoring.anchor(tsa().authority).has_value());  // empty
    record(1);
    ASSERT_TRUE(anchoring.anchor(tsa().authority).has_value());
    EXPECT_FALSE(anchoring.anchor(tsa().authority).has_value());  // nothing new
    EXPECT_TRUE(anchoring.anchor(tsa().authority, true).has_value());
    record(1);
    EXPECT_TRUE(anchoring.anchor(tsa().authority).has_value());
    EXPECT_EQ(anchoring.anchors().size(), 3U);
}

TEST_F(AuditAnchors, DeletedNewestEntriesPassTheChainButNotTheAnchor) {
    record(5);
    const auto a = anchoring.anchor(tsa().authority);
    ASSERT_TRUE(a.has_value());
    sql("DELETE FROM audit_log WHERE seq >= 4");
    // The hole this closes: what is left is a valid chain.
    const auto chain = log.verify();
    EXPECT_TRUE(chain.ok) << chain.problem;
    const auto v = anchoring.verify(anchors_of_trust);
    EXPECT_FALSE(v.ok);
    const std::string expected = "audit log truncated: anchor " + std::to_string(a->id) + " at " +
                                 inkan::format_rfc3339(a->at) + " covers entry #5 with hash " +
                                 inkan::hex_encode(a->head_hash) + ", but the log ends at #3";
    EXPECT_EQ(v.problem, expected);
}

TEST_F(AuditAnchors, ARewrittenAnchoredEntryOrAnEditedAnchorIsFound) {
    record(2);
    ASSERT_TRUE(anchoring.anchor(tsa().authority).has_value());
    // The attacker rewrites the anchored hash to match a forged head: the token no longer fits.
    sql("UPDATE audit_anchors SET head_hash = zeroblob(32)");
    auto v = anchoring.verify(anchors_of_trust);
    EXPECT_FALSE(v.ok);
    EXPECT_NE(v.problem.find("the time-stamp token does not verify"), std::string::npos) << v.problem;
}

TEST_F(AuditAnchors, AnEntryWhoseHashChangedUnderTheAnchorIsFound) {
    record(2);
    ASSERT_TRUE(anchoring.anchor(tsa().authority).has_value());
    sql("UPDATE audit_log SET hash = zeroblob(32) WHERE seq = 2");
    const auto v = anchoring.verify(anchors_of_trust);
    EXPECT_FALSE(v.ok);
    EXPECT_NE(v.problem.find("entry #2 no longer has the anchored hash"), std::string::npos) << v.problem;
}

TEST_F(AuditAnchors, ADeletedAnchorLeavesAGapTheNextOneShows) {
    record(1);
    ASSERT_TRUE(anchoring.anchor(tsa().authority).has_value());
    record(1);
    const auto second = anchoring.anchor(tsa().authority);
    ASSERT_TRUE(second.has_value());
    sql("DELETE FROM audit_anchors WHERE id = " + std::to_string(second->id));
    record(1);
    ASSERT_TRUE(anchoring.anchor(tsa().authority).has_value());
    const auto v = anchoring.verify(anchors_of_trust);
    EXPECT_FALSE(v.ok);
    EXPECT_EQ(v.problem, "anchor " + std::to_string(second->id) + " missing (deleted)");
}

TEST_F(AuditAnchors, OpensslVerifiesTheTokenOverTheHeadHash) {
    record(2);
    const auto a = anchoring.anchor(tsa().authority);
    ASSERT_TRUE(a.has_value());
    TempDir out{"inkan-anchor-out"};
    inkan::testing::write_file(out / "anchor.tst", a->token);
    // The imprint is the head hash: the token time-stamps the head entry's canonical bytes.
    const auto head = store.all().back();
    inkan::testing::write_file(out / "head.bin", inkan::service::audit_canonical_bytes(head));
    for (const std::vector<std::string>& what :
         {std::vector<std::string>{"-digest", inkan::hex_encode(a->head_hash)},
          std::vector<std::string>{"-data", (out / "head.bin").string()}}) {
        std::vector<std::string> argv{"openssl", "ts",
                                      "-verify", "-token_in",
                                      "-in",     (out / "anchor.tst").string(),
                                      "-CAfile", test_pki().root_pem.string()};
        argv.insert(argv.end(), what.begin(), what.end());
        const auto r = inkan::testing::run(argv);
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        EXPECT_NE(r.out.find("Verification: OK"), std::string::npos) << describe(r);
    }
    // And a different digest is refused by openssl too.
    Bytes other = a->head_hash;
    other[0] ^= 0xFFU;
    const auto bad =
        inkan::testing::run({"openssl", "ts", "-verify", "-token_in", "-in", (out / "anchor.tst").string(),
                             "-CAfile", test_pki().root_pem.string(), "-digest", inkan::hex_encode(other)});
    EXPECT_NE(bad.exit_code, 0) << describe(bad);
}

}  // namespace
