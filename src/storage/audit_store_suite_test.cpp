// The service::AuditStore port suite (see audit_store_suite.h). Instantiated per adapter.

#include "audit_store_suite.h"

#include <array>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace inkan::storage::testing {
namespace {

service::AuditEntry entry(std::uint64_t seq, const Bytes& prev, std::string action) {
    service::AuditEntry e;
    e.seq = seq;
    e.at = at(1'767'225'600 + static_cast<std::int64_t>(seq));
    e.event.action = std::move(action);
    e.event.outcome = "ok";
    e.event.user_id = "u1";
    e.event.client_id = "cl";
    e.event.credential_id = "c1";
    e.event.member_id = "m1";
    e.event.operator_name = "root";
    e.event.details = R"({"k":"値"})";
    e.prev_hash = prev;
    e.hash = Bytes(32, static_cast<std::uint8_t>(seq));
    return e;
}

TEST_P(AuditStoreSuite, AnEmptyLogStartsAtOneWithNoPreviousHash) {
    EXPECT_TRUE(audit->all().empty());
    audit->append([](std::uint64_t next, const Bytes& prev) {
        EXPECT_EQ(next, 1U);
        EXPECT_TRUE(prev.empty());
        return entry(next, Bytes(32, 0), "first");
    });
    ASSERT_EQ(audit->all().size(), 1U);
}

TEST_P(AuditStoreSuite, AppendsSeeTheHeadAndReadBackEveryField) {
    audit->append([](std::uint64_t next, const Bytes&) { return entry(next, Bytes(32, 0), "a"); });
    audit->append([](std::uint64_t next, const Bytes& prev) {
        EXPECT_EQ(next, 2U);
        EXPECT_EQ(prev, Bytes(32, 1));
        return entry(next, prev, "b");
    });
    const auto all = open_another().audit->all();
    ASSERT_EQ(all.size(), 2U);
    const auto expected = entry(2, Bytes(32, 1), "b");
    EXPECT_EQ(all[1].seq, 2U);
    EXPECT_EQ(text(all[1].at), text(expected.at));
    EXPECT_EQ(all[1].event.action, "b");
    EXPECT_EQ(all[1].event.outcome, "ok");
    EXPECT_EQ(all[1].event.user_id, "u1");
    EXPECT_EQ(all[1].event.client_id, "cl");
    EXPECT_EQ(all[1].event.credential_id, "c1");
    EXPECT_EQ(all[1].event.member_id, "m1");
    EXPECT_EQ(all[1].event.operator_name, "root");
    EXPECT_EQ(all[1].event.details, expected.event.details);
    EXPECT_EQ(all[1].prev_hash, Bytes(32, 1));
    EXPECT_EQ(all[1].hash, Bytes(32, 2));
}

TEST_P(AuditStoreSuite, ConcurrentAppendsFromSeveralConnectionsLeaveNoGap) {
    constexpr int kThreads = 8;
    constexpr int kEach = 10;
    std::vector<ServiceStores> nodes;
    for (int i = 0; i < kThreads; ++i) {
        nodes.push_back(open_another());
    }
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&, i] {
            for (int k = 0; k < kEach; ++k) {
                nodes[static_cast<std::size_t>(i)].audit->append([](std::uint64_t next, const Bytes& prev) {
                    auto e = entry(next, prev.empty() ? Bytes(32, 0) : prev, "x");
                    e.hash = Bytes(32, static_cast<std::uint8_t>(next & 0xFFU));
                    return e;
                });
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    const auto all = audit->all();
    ASSERT_EQ(all.size(), static_cast<std::size_t>(kThreads * kEach));
    for (std::size_t i = 0; i < all.size(); ++i) {
        EXPECT_EQ(all[i].seq, i + 1);
        if (i > 0) {
            EXPECT_EQ(all[i].prev_hash, all[i - 1].hash) << "seq " << all[i].seq;
        }
    }
}

/// Appends entries with these (action, user, outcome, operator), in order.
void append_all(service::AuditStore& audit, const std::vector<std::array<std::string, 4>>& rows) {
    for (const auto& row : rows) {
        audit.append([&row](std::uint64_t next, const Bytes& prev) {
            auto e = entry(next, prev.empty() ? Bytes(32, 0) : prev, row[0]);
            e.event.user_id = row[1];
            e.event.member_id.clear();
            e.event.outcome = row[2];
            e.event.operator_name = row[3];
            return e;
        });
    }
}

std::vector<std::uint64_t> seqs(const std::vector<service::AuditEntry>& entries) {
    std::vector<std::uint64_t> out;
    for (const auto& e : entries) {
        out.push_back(e.seq);
    }
    return out;
}

TEST_P(AuditStoreSuite, SearchPagesNewestFirstByKeyset) {
    append_all(*audit, {{"user.add", "u1", "ok", "op"},
                        {"user.lock", "u1", "ok", "op"},
                        {"sign", "u2", "ok", ""},
                        {"user.unlock", "u1", "ok", "op"},
                        {"authorize", "u2", "bad_pin", ""}});
    service::AuditQuery q;
    q.limit = 2;
    EXPECT_EQ(seqs(audit->search(q)), (std::vector<std::uint64_t>{5, 4}));
    q.before_seq = 4;
    EXPECT_EQ(seqs(audit->search(q)), (std::vector<std::uint64_t>{3, 2}));
    q.before_seq = 2;
    EXPECT_EQ(seqs(audit->search(q)), (std::vector<std::uint64_t>{1}));
    const auto one = audit->find(3);
    ASSERT_TRUE(one.has_value());
    EXPECT_EQ(one->event.action, "sign");
    EXPECT_FALSE(audit->find(6).has_value());
}

TEST_P(AuditStoreSuite, SearchFiltersEveryColumnAndTakesActionFamilies) {
    append_all(*audit, {{"user.add", "u1", "ok", "op"},
                        {"user_x", "u1", "ok", "op"},
                        {"sign", "u2", "ok", ""},
                        {"user.unlock", "u1", "ok", "op2"},
                        {"authorize", "u2", "bad_pin", ""}});
    service::AuditQuery q;
    q.action = "user";  // user.add and user.unlock; not user_x (a LIKE wildcard stays literal)
    EXPECT_EQ(seqs(audit->search(q)), (std::vector<std::uint64_t>{4, 1}));
    q = {};
    q.action = "user_x";
    EXPECT_EQ(seqs(audit->search(q)), (std::vector<std::uint64_t>{2}));
    q = {};
    q.user_id = "u2";
    EXPECT_EQ(seqs(audit->search(q)), (std::vector<std::uint64_t>{5, 3}));
    q.outcome = "failed";
    EXPECT_EQ(seqs(audit->search(q)), (std::vector<std::uint64_t>{5}));
    q = {};
    q.operator_name = "op2";
    EXPECT_EQ(seqs(audit->search(q)), (std::vector<std::uint64_t>{4}));
    q = {};
    q.from = at(1'767'225'600 + 2);
    q.to = at(1'767'225'600 + 4);
    EXPECT_EQ(seqs(audit->search(q)), (std::vector<std::uint64_t>{3, 2}));
    q = {};
    q.credential_id = "c1";
    q.client_id = "cl";
    EXPECT_EQ(audit->search(q).size(), 5U);
    q.client_id = "other";
    EXPECT_TRUE(audit->search(q).empty());
}

}  // namespace
}  // namespace inkan::storage::testing
