// The service::TokenStore port suite (see token_store_suite.h). Instantiated per adapter.

#include "token_store_suite.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <inkan/core/encoding.h>

namespace inkan::storage::testing {
namespace {

using service::TokenKind;
using service::TokenRecord;

Bytes hash_of(std::string_view name) {
    Bytes h(32, 0);
    for (std::size_t i = 0; i < name.size() && i < h.size(); ++i) {
        h[i] = static_cast<std::uint8_t>(name[i]);
    }
    return h;
}

TokenRecord token(std::string id, TokenKind kind, std::string refresh_id = {}, std::string user = "u-alice") {
    TokenRecord t;
    t.hash = hash_of(id);
    t.id = std::move(id);
    t.kind = kind;
    t.user_id = std::move(user);
    t.refresh_id = std::move(refresh_id);
    t.issued_at = at(1'767'225'600);
    t.expires_at = at(1'767'229'200);
    return t;
}

bool revoked(const service::TokenStore& store, std::string_view id) {
    const auto found = store.find_by_hash(hash_of(id));
    EXPECT_TRUE(found.has_value()) << id;
    return found && found->revoked;
}

TEST_P(TokenStoreSuite, InsertThenFindReturnsEveryField) {
    TokenRecord refresh = token("r1", TokenKind::Refresh);
    refresh.client_id = "client-7";
    refresh.expires_at = at(1'769'817'600);
    tokens->insert(refresh);
    TokenRecord access = token("a1", TokenKind::Access, "r1");
    access.client_id = "client-7";
    tokens->insert(access);

    const auto found = open_another().tokens->find_by_hash(access.hash);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->id, "a1");
    EXPECT_EQ(hex_encode(found->hash), hex_encode(access.hash));
    EXPECT_EQ(found->kind, TokenKind::Access);
    EXPECT_EQ(found->user_id, "u-alice");
    EXPECT_EQ(found->client_id, "client-7");
    EXPECT_EQ(found->refresh_id, "r1");
    EXPECT_EQ(text(found->issued_at), text(access.issued_at));
    EXPECT_EQ(text(found->expires_at), text(access.expires_at));
    EXPECT_FALSE(found->revoked);

    const auto r = tokens->find_by_hash(refresh.hash);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->kind, TokenKind::Refresh);
    EXPECT_EQ(r->refresh_id, "");
    EXPECT_EQ(text(r->expires_at), text(refresh.expires_at));
}

TEST_P(TokenStoreSuite, AnUnknownHashIsEmpty) {
    tokens->insert(token("a1", TokenKind::Access));
    EXPECT_FALSE(tokens->find_by_hash(hash_of("a2")).has_value());
    EXPECT_FALSE(tokens->find_by_hash(Bytes{}).has_value());
    Bytes prefix = hash_of("a1");
    prefix.pop_back();
    EXPECT_FALSE(tokens->find_by_hash(prefix).has_value()) << "exact bytes only";
}

TEST_P(TokenStoreSuite, IdsAndHashesAreUnique) {
    tokens->insert(token("a1", TokenKind::Access));
    TokenRecord same_id = token("a1", TokenKind::Access);
    same_id.hash = hash_of("other");
    EXPECT_EQ(code_of([&] { tokens->insert(same_id); }), Errc::Conflict);
    TokenRecord same_hash = token("a2", TokenKind::Access);
    same_hash.hash = hash_of("a1");
    EXPECT_EQ(code_of([&] { tokens->insert(same_hash); }), Errc::Conflict);
}

TEST_P(TokenStoreSuite, ATokenNeedsAnExistingUserAndRefreshToken) {
    tokens->insert(token("a0", TokenKind::Access));
    EXPECT_EQ(code_of([&] { tokens->insert(token("a1", TokenKind::Access, {}, "u-nobody")); }),
              Errc::NotFound);
    EXPECT_EQ(code_of([&] { tokens->insert(token("a2", TokenKind::Access, "r-nope")); }), Errc::NotFound);
    EXPECT_EQ(code_of([&] { tokens->insert(token("a3", TokenKind::Access, "a0")); }), Errc::NotFound)
        << "an access token is no grant";
    EXPECT_FALSE(tokens->find_by_hash(hash_of("a2")).has_value());
}

TEST_P(TokenStoreSuite, RevokingAnAccessTokenLeavesItsGrantAlone) {
    tokens->insert(token("r1", TokenKind::Refresh));
    tokens->insert(token("a1", TokenKind::Access, "r1"));
    tokens->insert(token("a2", TokenKind::Access, "r1"));
    EXPECT_TRUE(tokens->revoke("a1"));
    const auto other = open_another();
    EXPECT_TRUE(revoked(*other.tokens, "a1"));
    EXPECT_FALSE(revoked(*other.tokens, "a2"));
    EXPECT_FALSE(revoked(*other.tokens, "r1"));
    EXPECT_TRUE(tokens->revoke("a1")) << "revoking again is harmless";
}

TEST_P(TokenStoreSuite, RevokingARefreshTokenRevokesItsWholeGrant) {
    tokens->insert(token("r1", TokenKind::Refresh));
    tokens->insert(token("r2", TokenKind::Refresh));
    tokens->insert(token("a1", TokenKind::Access, "r1"));
    tokens->insert(token("a2", TokenKind::Access, "r1"));
    tokens->insert(token("a3", TokenKind::Access, "r2"));
    tokens->insert(token("a4", TokenKind::Access));
    tokens->insert(token("b1", TokenKind::Access, {}, "u-bob"));
    EXPECT_TRUE(tokens->revoke("r1"));
    for (const char* id : {"r1", "a1", "a2"}) {
        EXPECT_TRUE(revoked(*tokens, id)) << id;
    }
    for (const char* id : {"r2", "a3", "a4", "b1"}) {
        EXPECT_FALSE(revoked(*tokens, id)) << id;
    }
}

TEST_P(TokenStoreSuite, AnAccessTokenAddedToARevokedGrantReadsRevoked) {
    // A refresh that raced the revocation (it looked the grant up before, inserts after).
    tokens->insert(token("r1", TokenKind::Refresh));
    EXPECT_TRUE(tokens->revoke("r1"));
    tokens->insert(token("late", TokenKind::Access, "r1"));
    EXPECT_TRUE(revoked(*tokens, "late"));
}

TEST_P(TokenStoreSuite, RevokingAnUnknownTokenIsFalse) {
    tokens->insert(token("a1", TokenKind::Access));
    EXPECT_FALSE(tokens->revoke("nope"));
    EXPECT_FALSE(tokens->revoke(""));
    EXPECT_FALSE(revoked(*tokens, "a1"));
}

TEST_P(TokenStoreSuite, RevocationHoldsAgainstConcurrentRefreshes) {
    tokens->insert(token("r1", TokenKind::Refresh));
    constexpr int kThreads = 4;
    constexpr int kPerThread = 25;
    std::vector<ServiceStores> nodes;
    for (int t = 0; t < kThreads + 1; ++t) {
        nodes.push_back(open_another());
    }
    std::atomic<bool> go{false};
    std::vector<std::string> failures(kThreads + 1);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            while (!go) {
                std::this_thread::yield();
            }
            try {
                for (int i = 0; i < kPerThread; ++i) {
                    nodes[static_cast<std::size_t>(t)].tokens->insert(
                        token("a-" + std::to_string(t) + "-" + std::to_string(i), TokenKind::Access, "r1"));
                }
            } catch (const Error& e) {
                failures[static_cast<std::size_t>(t)] = e.what();
            }
        });
    }
    threads.emplace_back([&] {
        while (!go) {
            std::this_thread::yield();
        }
        try {
            std::this_thread::sleep_for(std::chrono::milliseconds{2});
            nodes[kThreads].tokens->revoke("r1");
        } catch (const Error& e) {
            failures[kThreads] = e.what();
        }
    });
    go = true;
    for (auto& th : threads) {
        th.join();
    }
    for (const auto& f : failures) {
        EXPECT_EQ(f, "");
    }
    // Whether inserted before or after the revocation: every access token of the grant is dead.
    for (int t = 0; t < kThreads; ++t) {
        for (int i = 0; i < kPerThread; ++i) {
            const std::string id = "a-" + std::to_string(t) + "-" + std::to_string(i);
            EXPECT_TRUE(revoked(*tokens, id)) << id;
        }
    }
}

TEST_P(TokenStoreSuite, PurgeRemovesExpiredTokensButKeepsALiveGrant) {
    auto old_refresh = token("r-old", TokenKind::Refresh);
    old_refresh.expires_at = at(1000);
    auto old_access = token("a-old", TokenKind::Access, "r-old");
    old_access.expires_at = at(900);
    auto kept_refresh = token("r-kept", TokenKind::Refresh);
    kept_refresh.expires_at = at(1000);  // expired, but ...
    auto live_access = token("a-live", TokenKind::Access, "r-kept");
    live_access.expires_at = at(5000);  // ... one of its access tokens is not
    auto lone = token("a-lone", TokenKind::Access);
    lone.expires_at = at(1999);
    auto edge = token("a-edge", TokenKind::Access);
    edge.expires_at = at(2000);  // not before 2000
    for (const auto& t : {old_refresh, old_access, kept_refresh, live_access, lone, edge}) {
        tokens->insert(t);
    }
    EXPECT_EQ(tokens->purge_expired(at(2000)), 3U);
    for (const char* gone : {"r-old", "a-old", "a-lone"}) {
        EXPECT_FALSE(tokens->find_by_hash(hash_of(gone)).has_value()) << gone;
    }
    for (const char* kept : {"r-kept", "a-live", "a-edge"}) {
        EXPECT_TRUE(tokens->find_by_hash(hash_of(kept)).has_value()) << kept;
    }
    EXPECT_EQ(tokens->purge_expired(at(2000)), 0U);
    EXPECT_TRUE(tokens->revoke("r-kept"));
    EXPECT_TRUE(revoked(*tokens, "a-live")) << "the kept grant still revokes";
    EXPECT_EQ(tokens->purge_expired(at(6000)), 3U);
}

TEST_P(TokenStoreSuite, RevokingAFamilyRevokesEveryGrantOfItAndNothingElse) {
    auto family = [](TokenRecord t, std::string f) {
        t.family_id = std::move(f);
        return t;
    };
    // Two rotations of one family (r1 -> r2), another family, and a token from before families.
    tokens->insert(family(token("r1", TokenKind::Refresh), "fam-1"));
    tokens->insert(family(token("a1", TokenKind::Access, "r1"), "fam-1"));
    tokens->insert(family(token("r2", TokenKind::Refresh), "fam-1"));
    tokens->insert(family(token("a2", TokenKind::Access, "r2"), "fam-1"));
    tokens->insert(family(token("r3", TokenKind::Refresh), "fam-2"));
    tokens->insert(token("a-old", TokenKind::Access));
    EXPECT_EQ(open_another().tokens->find_by_hash(hash_of("a2"))->family_id, "fam-1");
    EXPECT_TRUE(tokens->revoke_if_active("r1"));  // rotated: r1 and a1 revoked already
    EXPECT_EQ(tokens->revoke_family("fam-1"), 2U) << "r2 and a2 were the live ones";
    for (const char* id : {"r1", "a1", "r2", "a2"}) {
        EXPECT_TRUE(revoked(*tokens, id)) << id;
    }
    EXPECT_FALSE(revoked(*tokens, "r3"));
    EXPECT_FALSE(revoked(*tokens, "a-old"));
    EXPECT_EQ(tokens->find_by_hash(hash_of("a-old"))->family_id, "");
    EXPECT_EQ(tokens->revoke_family(""), 0U) << "no family is not one family";
    EXPECT_FALSE(revoked(*tokens, "a-old"));
    EXPECT_EQ(tokens->revoke_family("fam-1"), 0U);
}

}  // namespace
}  // namespace inkan::storage::testing
