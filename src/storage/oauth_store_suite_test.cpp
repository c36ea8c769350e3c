// The OAuth port suite (see oauth_store_suite.h). Instantiated per adapter.

#include "oauth_store_suite.h"

#include <atomic>
#include <thread>
#include <vector>

#include <inkan/core/encoding.h>

namespace inkan::storage::testing {
namespace {

using service::CodeRefusal;
using service::PendingStage;
using service::SpendRefusal;

TEST_P(OAuthStoreSuite, AClientRoundTripsEveryField) {
    auto c = client("cl-1", "invoices");
    c.seal_credentials = {"c-seal"};
    oauth_clients->create(c);
    const auto found = open_another().oauth_clients->find("cl-1");
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->name, "invoices");
    EXPECT_TRUE(found->confidential);
    EXPECT_EQ(hex_encode(found->secret_hash), hex_encode(c.secret_hash));
    EXPECT_EQ(found->redirect_uris, c.redirect_uris);
    EXPECT_EQ(found->seal_credentials, std::vector<std::string>{"c-seal"});
    EXPECT_EQ(text(found->created_at), text(c.created_at));
    EXPECT_FALSE(found->removed);
}

TEST_P(OAuthStoreSuite, APublicClientHasNoSecretAndNoSeals) {
    oauth_clients->create(client("cl-pub", "wallet", false));
    EXPECT_TRUE(oauth_clients->find("cl-pub")->secret_hash.empty());
    auto bad = client("cl-bad", "bad", false);
    bad.secret_hash = Bytes(32, 1);
    EXPECT_EQ(code_of([&] { oauth_clients->create(bad); }), Errc::InvalidRequest);
    auto sealing = client("cl-seal", "sealing", false);
    sealing.seal_credentials = {"c-seal"};
    EXPECT_EQ(code_of([&] { oauth_clients->create(sealing); }), Errc::InvalidRequest);
}

TEST_P(OAuthStoreSuite, OnlySealsMayBeGrantedToAClient) {
    auto personal = client("cl-1", "x");
    personal.seal_credentials = {"c-personal"};
    EXPECT_EQ(code_of([&] { oauth_clients->create(personal); }), Errc::InvalidRequest);
    auto unknown = client("cl-2", "y");
    unknown.seal_credentials = {"c-nope"};
    EXPECT_EQ(code_of([&] { oauth_clients->create(unknown); }), Errc::NotFound);
    EXPECT_FALSE(oauth_clients->find("cl-1").has_value()) << "a refused client left a row";
}

TEST_P(OAuthStoreSuite, NamesAreUniqueAmongClientsNotRemoved) {
    oauth_clients->create(client("cl-1", "app"));
    EXPECT_EQ(code_of([&] { oauth_clients->create(client("cl-2", "app")); }), Errc::Conflict);
    EXPECT_TRUE(oauth_clients->remove("cl-1", at(1'767'300'000)));
    EXPECT_FALSE(oauth_clients->remove("cl-1", at(1'767'300'001))) << "removed twice";
    oauth_clients->create(client("cl-2", "app"));
    EXPECT_TRUE(oauth_clients->find("cl-1")->removed);
    const auto live = oauth_clients->list();
    ASSERT_EQ(live.size(), 1U);
    EXPECT_EQ(live[0].id, "cl-2");
}

TEST_P(OAuthStoreSuite, AStageAdvancesOnceAndOnlyFromWhereItIs) {
    oauth_clients->create(client("cl-1", "app"));
    oauth_grants->insert_pending(pending("p-1", 0x11));
    EXPECT_FALSE(oauth_grants->advance("p-1", PendingStage::Otp, PendingStage::Consent, "", before_expiry()));
    EXPECT_TRUE(
        oauth_grants->advance("p-1", PendingStage::Login, PendingStage::Otp, "u-alice", before_expiry()));
    EXPECT_FALSE(
        oauth_grants->advance("p-1", PendingStage::Login, PendingStage::Otp, "u-alice", before_expiry()))
        << "the password step was taken twice";
    const auto found = open_another().oauth_grants->find_pending(Bytes(32, 0x11), before_expiry());
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->stage, PendingStage::Otp);
    EXPECT_EQ(found->user_id, "u-alice");
    EXPECT_EQ(found->request, R"({"scope":"service"})");
    EXPECT_EQ(hex_encode(found->csrf_hash), hex_encode(Bytes(32, 0xC5)));
    EXPECT_FALSE(oauth_grants->find_pending(Bytes(32, 0x11), at(2'000'000'000)).has_value())
        << "an expired authorization is still found";
    EXPECT_TRUE(oauth_grants->remove_pending("p-1"));
    EXPECT_FALSE(oauth_grants->remove_pending("p-1")) << "a consent could be given twice";
}

TEST_P(OAuthStoreSuite, APushedRequestOpensOnceForItsClient) {
    oauth_clients->create(client("cl-1", "app"));
    oauth_clients->create(client("cl-2", "other"));
    auto p = pending("p-par", 0);
    p.session_hash.clear();
    p.csrf_hash.clear();
    p.request_uri_hash = Bytes(32, 0x77);
    p.stage = PendingStage::Pushed;
    oauth_grants->insert_pending(p);
    EXPECT_FALSE(oauth_grants
                     ->open_pushed(Bytes(32, 0x77), "cl-2", Bytes(32, 0x21), Bytes(32, 0x22), before_expiry(),
                                   at(2'000'000'000))
                     .has_value())
        << "another client opened the request_uri";
    const auto opened = oauth_grants->open_pushed(Bytes(32, 0x77), "cl-1", Bytes(32, 0x21), Bytes(32, 0x22),
                                                  before_expiry(), at(2'000'000'000));
    ASSERT_TRUE(opened.has_value());
    EXPECT_EQ(opened->stage, PendingStage::Login);
    EXPECT_EQ(hex_encode(opened->session_hash), hex_encode(Bytes(32, 0x21)));
    EXPECT_FALSE(oauth_grants
                     ->open_pushed(Bytes(32, 0x77), "cl-1", Bytes(32, 0x31), Bytes(32, 0x32), before_expiry(),
                                   at(2'000'000'000))
                     .has_value())
        << "a request_uri was used twice";
}

TEST_P(OAuthStoreSuite, ACodeIsSpentOnceEvenFromSixteenConnections) {
    oauth_clients->create(client("cl-1", "app"));
    service::AuthorizationCodeRecord code{Bytes(32, 0xCD),          "cl-1",
                                          "https://app.example/cb", "u-alice",
                                          R"({"scope":"service"})", at(2'000'000'000)};
    oauth_grants->insert_code(code);
    std::atomic<int> won{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 16; ++i) {
        threads.emplace_back([&] {
            auto stores = open_another();
            if (stores.oauth_grants->consume_code(Bytes(32, 0xCD), before_expiry()).code) {
                ++won;
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(won.load(), 1);
    EXPECT_EQ(oauth_grants->consume_code(Bytes(32, 0xCD), before_expiry()).failure, CodeRefusal::Used);
    EXPECT_EQ(oauth_grants->consume_code(Bytes(32, 0xEE), before_expiry()).failure, CodeRefusal::Invalid);
}

TEST_P(OAuthStoreSuite, ASecondExchangeOfACodeLearnsWhatTheFirstIssued) {
    oauth_clients->create(client("cl-1", "app"));
    for (const std::uint8_t b : {std::uint8_t{0xC1}, std::uint8_t{0xC2}, std::uint8_t{0xC3}}) {
        oauth_grants->insert_code(
            {Bytes(32, b), "cl-1", "https://app.example/cb", "u-alice", "{}", at(2'000'000'000)});
        ASSERT_TRUE(oauth_grants->consume_code(Bytes(32, b), before_expiry()).code.has_value());
    }
    oauth_grants->link_code(Bytes(32, 0xC1), "fam-9", {});
    open_another().oauth_grants->link_code(Bytes(32, 0xC2), "", Bytes(32, 0x5A));
    oauth_grants->link_code(Bytes(32, 0xEE), "fam-x", {});  // unknown: nothing
    const auto service = oauth_grants->consume_code(Bytes(32, 0xC1), before_expiry());
    EXPECT_EQ(service.failure, CodeRefusal::Used);
    EXPECT_EQ(service.issued_family, "fam-9");
    EXPECT_TRUE(service.issued_sad_hash.empty());
    const auto credential = open_another().oauth_grants->consume_code(Bytes(32, 0xC2), before_expiry());
    EXPECT_EQ(credential.failure, CodeRefusal::Used);
    EXPECT_EQ(credential.issued_family, "");
    EXPECT_EQ(hex_encode(credential.issued_sad_hash), hex_encode(Bytes(32, 0x5A)));
    const auto unlinked = oauth_grants->consume_code(Bytes(32, 0xC3), before_expiry());
    EXPECT_EQ(unlinked.failure, CodeRefusal::Used);
    EXPECT_EQ(unlinked.issued_family, "");
    EXPECT_TRUE(unlinked.issued_sad_hash.empty());
}

TEST_P(OAuthStoreSuite, AnExpiredCodeIsRefusedAndSpent) {
    oauth_clients->create(client("cl-1", "app"));
    oauth_grants->insert_code(
        {Bytes(32, 0xCD), "cl-1", "https://app.example/cb", "u-alice", "{}", at(1'999'999'000)});
    const auto late = oauth_grants->consume_code(Bytes(32, 0xCD), at(1'999'999'000));
    EXPECT_FALSE(late.code.has_value());
    EXPECT_EQ(late.failure, CodeRefusal::Expired);
    EXPECT_EQ(oauth_grants->consume_code(Bytes(32, 0xCD), at(1'999'998'000)).failure, CodeRefusal::Used);
}

TEST_P(OAuthStoreSuite, ASystemClientIsTheSubjectOfItsTokensAndSads) {
    service::TokenRecord t;
    t.id = "t-sys";
    t.hash = Bytes(32, 0x42);
    t.client_id = "cl-1";
    t.issued_at = at(1'767'225'600);
    t.expires_at = at(2'000'000'000);
    tokens->insert(t);
    const auto found = tokens->find_by_hash(t.hash);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->user_id, "");
    EXPECT_EQ(found->client_id, "cl-1");
    service::TokenRecord nobody = t;
    nobody.id = "t-none";
    nobody.hash = Bytes(32, 0x43);
    nobody.client_id.clear();
    EXPECT_EQ(code_of([&] { tokens->insert(nobody); }), Errc::InvalidRequest);

    service::SadRecord sad;
    sad.id = "s-sys";
    sad.handle_hash = Bytes(32, 0x99);
    sad.client_id = "cl-1";
    sad.credential_id = "c-seal";
    sad.scal = 1;
    sad.remaining = 2;
    sad.expires_at = at(2'000'000'000);
    authorization->insert_sad(sad);
    EXPECT_EQ(authorization->consume(sad.handle_hash, "", "c-seal", {}, 2, before_expiry()), std::nullopt);
    EXPECT_EQ(authorization->consume(sad.handle_hash, "u-alice", "c-seal", {}, 1, before_expiry()),
              SpendRefusal::Invalid);
}

TEST_P(OAuthStoreSuite, RotatingARefreshTokenSucceedsOnceAndTakesItsGrant) {
    service::TokenRecord refresh;
    refresh.id = "r1";
    refresh.hash = Bytes(32, 0x01);
    refresh.kind = service::TokenKind::Refresh;
    refresh.user_id = "u-alice";
    refresh.client_id = "cl-1";
    refresh.issued_at = at(1'767'225'600);
    refresh.expires_at = at(2'000'000'000);
    tokens->insert(refresh);
    service::TokenRecord access = refresh;
    access.id = "a1";
    access.hash = Bytes(32, 0x02);
    access.kind = service::TokenKind::Access;
    access.refresh_id = "r1";
    tokens->insert(access);
    EXPECT_TRUE(tokens->revoke_if_active("r1"));
    EXPECT_FALSE(tokens->revoke_if_active("r1")) << "a refresh token was rotated twice";
    EXPECT_TRUE(tokens->find_by_hash(access.hash)->revoked);
    EXPECT_FALSE(tokens->revoke_if_active("nope"));
}

TEST_P(OAuthStoreSuite, AnAccountTokenJtiIsAcceptedOncePerClientAcrossProcesses) {
    EXPECT_TRUE(oauth_grants->remember_account_token("cl-1", "jti-1", at(1'767'225'600), at(1'767'225'900)));
    EXPECT_FALSE(open_another().oauth_grants->remember_account_token("cl-1", "jti-1", at(1'767'225'700),
                                                                     at(1'767'226'000)))
        << "a jti was accepted twice from another connection";
    EXPECT_TRUE(oauth_grants->remember_account_token("cl-2", "jti-1", at(1'767'225'700), at(1'767'226'000)))
        << "jti is per client";
    // Once the record expired, the jti is forgotten (the token's age check refuses it by then).
    EXPECT_TRUE(oauth_grants->remember_account_token("cl-1", "jti-1", at(1'767'226'000), at(1'767'226'300)));
    EXPECT_EQ(oauth_grants->purge_expired(at(1'767'226'301)), 2U);
}

TEST_P(OAuthStoreSuite, ASadIsRetiredOnlyForTheClientItWasIssuedThrough) {
    service::SadRecord sad;
    sad.id = "s-tok";
    sad.handle_hash = Bytes(32, 0x98);
    sad.user_id = "u-alice";
    sad.client_id = "cl-1";
    sad.credential_id = "c-personal";
    sad.scal = 1;
    sad.remaining = 2;
    sad.expires_at = at(2'000'000'000);
    authorization->insert_sad(sad);
    EXPECT_FALSE(authorization->retire_for_client(sad.handle_hash, "cl-2")) << "another client retired it";
    EXPECT_FALSE(authorization->retire_for_client(Bytes(32, 0x97), "cl-1"));
    EXPECT_FALSE(authorization->find_sad(sad.handle_hash)->retired);
    EXPECT_TRUE(open_another().authorization->retire_for_client(sad.handle_hash, "cl-1"));
    EXPECT_FALSE(authorization->retire_for_client(sad.handle_hash, "cl-1")) << "retired twice";
    EXPECT_EQ(authorization->consume(sad.handle_hash, "u-alice", "c-personal", {}, 1, before_expiry()),
              SpendRefusal::Invalid);
}

}  // namespace
}  // namespace inkan::storage::testing
