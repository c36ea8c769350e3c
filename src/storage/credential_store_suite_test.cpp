// The service::CredentialStore port suite (see credential_store_suite.h). Instantiated per adapter.

#include "credential_store_suite.h"

#include <string>
#include <vector>

#include <inkan/core/encoding.h>

namespace inkan::storage::testing {
namespace {

using service::Credential;
using service::CredentialKind;
using service::CredentialStatus;

Credential personal(std::string id, std::string owner) {
    Credential c;
    c.id = std::move(id);
    c.kind = CredentialKind::Personal;
    c.owner_user_id = std::move(owner);
    c.description = "契約書の署名";
    c.key_id = Bytes{0x01, 0x02, 0x03, 0x04};
    c.key_algo = "ec-p256";
    c.chain = {Bytes{0x30, 0x01, 0xaa}, Bytes{0x30, 0x02, 0xbb, 0x00}, Bytes{0x30, 0x00}};
    c.ca = "inkan-issuing";
    c.profile = "person";
    c.scal = 2;
    c.multisign = 5;
    c.status = CredentialStatus::Active;
    c.created_at = at(1'767'225'600);
    return c;
}

Credential seal(std::string id) {
    Credential c;
    c.id = std::move(id);
    c.kind = CredentialKind::Seal;
    c.organization = "株式会社インカン";
    c.key_id = Bytes{0x0a, 0x0b};
    c.key_algo = "rsa-3072";
    c.ca = "manual";
    c.profile = "seal";
    c.scal = 1;
    c.multisign = 100;
    c.status = CredentialStatus::Pending;
    c.created_at = at(1'767'225'601);
    return c;
}

std::vector<std::string> ids_of(const std::vector<Credential>& list) {
    std::vector<std::string> out;
    for (const auto& c : list) {
        out.push_back(c.id);
    }
    return out;
}

std::vector<std::string> hexes(const std::vector<Bytes>& chain) {
    std::vector<std::string> out;
    for (const auto& b : chain) {
        out.push_back(hex_encode(b));
    }
    return out;
}

TEST_P(CredentialStoreSuite, APersonalCredentialRoundTripsEveryField) {
    const Credential c = personal("cred-1", "u-alice");
    credentials->create(c, kHash);
    const auto found = open_another().credentials->find("cred-1");
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->id, c.id);
    EXPECT_EQ(found->kind, CredentialKind::Personal);
    EXPECT_EQ(found->owner_user_id, "u-alice");
    EXPECT_EQ(found->organization, "");
    EXPECT_EQ(found->description, c.description);
    EXPECT_EQ(hex_encode(found->key_id), hex_encode(c.key_id));
    EXPECT_EQ(found->key_algo, "ec-p256");
    EXPECT_EQ(hexes(found->chain), hexes(c.chain)) << "order and bytes, trailing zero included";
    EXPECT_EQ(found->ca, "inkan-issuing");
    EXPECT_EQ(found->profile, "person");
    EXPECT_EQ(found->scal, 2);
    EXPECT_EQ(found->multisign, 5);
    EXPECT_EQ(found->status, CredentialStatus::Active);
    EXPECT_EQ(found->auth_mode, service::AuthMode::Explicit);
    EXPECT_EQ(text(found->created_at), text(c.created_at));
}

TEST_P(CredentialStoreSuite, TheSignatureQualifierRoundTripsAndDefaultsByKind) {
    Credential qes = personal("cred-qes", "u-alice");
    qes.signature_qualifier = "eu_eidas_qes";
    credentials->create(qes, kHash);
    credentials->create(personal("cred-plain", "u-alice"), kHash);
    credentials->create(seal("seal-plain"), "");
    const auto again = open_another();
    EXPECT_EQ(again.credentials->find("cred-qes")->signature_qualifier, "eu_eidas_qes");
    EXPECT_EQ(again.credentials->find("cred-plain")->signature_qualifier, "eu_eidas_aes")
        << "a personal credential stored without one gets the advanced default";
    EXPECT_EQ(again.credentials->find("seal-plain")->signature_qualifier, "eu_eidas_aeseal");
}

TEST_P(CredentialStoreSuite, TheAuthModeRoundTrips) {
    Credential code = personal("cred-code", "u-alice");
    code.auth_mode = service::AuthMode::OAuth2Code;
    credentials->create(code, kHash);
    Credential code_seal = seal("seal-code");
    code_seal.auth_mode = service::AuthMode::OAuth2Code;
    credentials->create(code_seal, "");
    credentials->create(personal("cred-explicit", "u-alice"), kHash);
    const auto again = open_another();
    EXPECT_EQ(service::name(again.credentials->find("cred-code")->auth_mode), "oauth2code");
    EXPECT_EQ(service::name(again.credentials->find("seal-code")->auth_mode), "oauth2code");
    EXPECT_EQ(service::name(again.credentials->find("cred-explicit")->auth_mode), "explicit");
    for (const auto& c : again.credentials->list_for_user("u-alice")) {
        EXPECT_EQ(service::name(c.auth_mode), c.id == "cred-code" ? "oauth2code" : "explicit") << c.id;
    }
}

TEST_P(CredentialStoreSuite, ASealRoundTripsWithoutOwnerAndChain) {
    credentials->create(seal("seal-1"), "");
    const auto found = credentials->find("seal-1");
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->kind, CredentialKind::Seal);
    EXPECT_EQ(found->owner_user_id, "");
    EXPECT_EQ(found->organization, "株式会社インカン");
    EXPECT_TRUE(found->chain.empty());
    EXPECT_EQ(found->scal, 1);
    EXPECT_EQ(found->multisign, 100);
    EXPECT_EQ(found->status, CredentialStatus::Pending);
    EXPECT_TRUE(credentials->members("seal-1").empty());
}

TEST_P(CredentialStoreSuite, IdsAreUnique) {
    credentials->create(personal("c1", "u-alice"), kHash);
    EXPECT_EQ(code_of([&] { credentials->create(personal("c1", "u-bob"), kHash); }), Errc::Conflict);
    EXPECT_EQ(credentials->find("c1")->owner_user_id, "u-alice");
}

TEST_P(CredentialStoreSuite, APersonalCredentialOfAnUnknownUserIsNotFound) {
    EXPECT_EQ(code_of([&] { credentials->create(personal("c1", "u-nobody"), kHash); }), Errc::NotFound);
    EXPECT_FALSE(credentials->find("c1").has_value());
}

TEST_P(CredentialStoreSuite, KindAndOwnershipMustFit) {
    EXPECT_EQ(code_of([&] { credentials->create(personal("c1", "u-alice"), ""); }), Errc::InvalidRequest)
        << "personal without PIN hash";
    EXPECT_EQ(code_of([&] { credentials->create(personal("c2", ""), kHash); }), Errc::InvalidRequest)
        << "personal without owner";
    Credential owned_seal = seal("s1");
    owned_seal.owner_user_id = "u-alice";
    EXPECT_EQ(code_of([&] { credentials->create(owned_seal, ""); }), Errc::InvalidRequest);
    EXPECT_EQ(code_of([&] { credentials->create(seal("s2"), kHash); }), Errc::InvalidRequest)
        << "a seal has no PIN of its own";
    EXPECT_TRUE(credentials->list().empty());
}

TEST_P(CredentialStoreSuite, UnknownIdsAreEmpty) {
    credentials->create(personal("c1", "u-alice"), kHash);
    EXPECT_FALSE(credentials->find("c2").has_value());
    EXPECT_FALSE(credentials->find("C1").has_value()) << "ids are case-sensitive";
    EXPECT_TRUE(credentials->members("c2").empty());
    EXPECT_FALSE(credentials->pin_hash("c2", "u-alice").has_value());
}

TEST_P(CredentialStoreSuite, ListIsInCreationOrder) {
    // Same created_at for some: insertion order breaks the tie.
    auto c3 = personal("zzz", "u-alice");
    auto c1 = personal("mmm", "u-bob");
    auto c2 = seal("aaa");
    c2.created_at = c1.created_at;
    credentials->create(c3, kHash);
    credentials->create(c1, kHash);
    credentials->create(c2, "");
    EXPECT_EQ(ids_of(credentials->list()), (std::vector<std::string>{"zzz", "mmm", "aaa"}));
}

TEST_P(CredentialStoreSuite, AUserListsOwnCredentialsAndSealsTheyAreAMemberOf) {
    credentials->create(personal("alice-1", "u-alice"), kHash);
    credentials->create(personal("bob-1", "u-bob"), kHash);
    credentials->create(seal("seal-a"), "");
    credentials->create(seal("seal-b"), "");
    auto later = personal("alice-2", "u-alice");
    later.created_at += std::chrono::seconds{5};
    credentials->create(later, kHash);
    credentials->add_member("seal-a", "u-alice", kHash);
    credentials->add_member("seal-b", "u-bob", kHash);
    credentials->add_member("seal-a", "u-bob", kHash);

    EXPECT_EQ(ids_of(credentials->list_for_user("u-alice")),
              (std::vector<std::string>{"alice-1", "seal-a", "alice-2"}));
    EXPECT_EQ(ids_of(credentials->list_for_user("u-bob")),
              (std::vector<std::string>{"bob-1", "seal-a", "seal-b"}));
    EXPECT_TRUE(credentials->list_for_user("u-carol").empty());
    EXPECT_TRUE(credentials->list_for_user("u-nobody").empty());
    EXPECT_TRUE(credentials->list_for_user("").empty()) << "a seal's empty owner is nobody's";
}

TEST_P(CredentialStoreSuite, ChainAndStatusAreReplaced) {
    auto c = personal("c1", "u-alice");
    c.chain.clear();
    c.status = CredentialStatus::Pending;
    credentials->create(c, kHash);
    EXPECT_TRUE(credentials->find("c1")->chain.empty());

    const std::vector<Bytes> chain{Bytes{0x30, 0x03, 0x01, 0x02, 0x03}, Bytes{0x30, 0x00}};
    credentials->set_chain("c1", chain);
    credentials->set_status("c1", CredentialStatus::Active);
    auto found = open_another().credentials->find("c1");
    EXPECT_EQ(hexes(found->chain), hexes(chain));
    EXPECT_EQ(found->status, CredentialStatus::Active);

    credentials->set_status("c1", CredentialStatus::Disabled);
    EXPECT_EQ(credentials->find("c1")->status, CredentialStatus::Disabled);
    credentials->set_chain("c1", {});
    EXPECT_TRUE(credentials->find("c1")->chain.empty());
}

TEST_P(CredentialStoreSuite, SettersOfAnUnknownCredentialAreNotFound) {
    EXPECT_EQ(code_of([&] { credentials->set_chain("nope", {Bytes{0x30, 0x00}}); }), Errc::NotFound);
    EXPECT_EQ(code_of([&] { credentials->set_status("nope", CredentialStatus::Disabled); }), Errc::NotFound);
}

TEST_P(CredentialStoreSuite, MembersAreListedInTheOrderAdded) {
    credentials->create(seal("s1"), "");
    credentials->add_member("s1", "u-carol", kHash);
    credentials->add_member("s1", "u-alice", kHash);
    const auto members = open_another().credentials->members("s1");
    ASSERT_EQ(members.size(), 2U);
    EXPECT_EQ(members[0].credential_id, "s1");
    EXPECT_EQ(members[0].user_id, "u-carol");
    EXPECT_EQ(members[1].user_id, "u-alice");
    EXPECT_GT(members[0].added_at.time_since_epoch().count(), 0);
}

TEST_P(CredentialStoreSuite, AddingAMemberTwiceIsAConflict) {
    credentials->create(seal("s1"), "");
    credentials->add_member("s1", "u-alice", kHash);
    EXPECT_EQ(code_of([&] { credentials->add_member("s1", "u-alice", "$other"); }), Errc::Conflict);
    EXPECT_EQ(credentials->pin_hash("s1", "u-alice"), std::string{kHash}) << "the first PIN stands";
}

TEST_P(CredentialStoreSuite, AddingAMemberNeedsAnExistingSealAndUser) {
    credentials->create(seal("s1"), "");
    credentials->create(personal("p1", "u-alice"), kHash);
    EXPECT_EQ(code_of([&] { credentials->add_member("nope", "u-alice", kHash); }), Errc::NotFound);
    EXPECT_EQ(code_of([&] { credentials->add_member("s1", "u-nobody", kHash); }), Errc::NotFound);
    EXPECT_EQ(code_of([&] { credentials->add_member("p1", "u-bob", kHash); }), Errc::InvalidRequest);
    EXPECT_TRUE(credentials->members("s1").empty());
    EXPECT_TRUE(credentials->members("p1").empty());
}

TEST_P(CredentialStoreSuite, RemovingAMember) {
    credentials->create(seal("s1"), "");
    credentials->add_member("s1", "u-alice", kHash);
    credentials->add_member("s1", "u-bob", kHash);
    credentials->remove_member("s1", "u-alice");
    const auto members = credentials->members("s1");
    ASSERT_EQ(members.size(), 1U);
    EXPECT_EQ(members[0].user_id, "u-bob");
    EXPECT_TRUE(credentials->list_for_user("u-alice").empty());
    EXPECT_EQ(code_of([&] { credentials->remove_member("s1", "u-alice"); }), Errc::NotFound);
    EXPECT_EQ(code_of([&] { credentials->remove_member("nope", "u-bob"); }), Errc::NotFound);
    // ... and may be added again, with a new PIN.
    credentials->add_member("s1", "u-alice", "$new");
    EXPECT_EQ(credentials->pin_hash("s1", "u-alice"), std::string{"$new"});
}

TEST_P(CredentialStoreSuite, PinHashIsTheOwnersOrTheMembersOwn) {
    credentials->create(personal("p1", "u-alice"), "$alice-pin");
    credentials->create(seal("s1"), "");
    credentials->add_member("s1", "u-alice", "$alice-seal-pin");
    credentials->add_member("s1", "u-bob", "$bob-seal-pin");

    EXPECT_EQ(credentials->pin_hash("p1", "u-alice"), std::string{"$alice-pin"});
    EXPECT_FALSE(credentials->pin_hash("p1", "u-bob").has_value()) << "another user's credential";
    EXPECT_EQ(credentials->pin_hash("s1", "u-alice"), std::string{"$alice-seal-pin"});
    EXPECT_EQ(credentials->pin_hash("s1", "u-bob"), std::string{"$bob-seal-pin"});
    EXPECT_FALSE(credentials->pin_hash("s1", "u-carol").has_value()) << "not a member";
    EXPECT_FALSE(credentials->pin_hash("s1", "").has_value());
    credentials->remove_member("s1", "u-bob");
    EXPECT_FALSE(credentials->pin_hash("s1", "u-bob").has_value());
}

TEST_P(CredentialStoreSuite, ARenewalAddsTheNewCredentialWithThePinAndDisablesAndLinksTheOld) {
    credentials->create(personal("p1", "u-alice"), "$alice-pin");
    Credential renewed = personal("p2", "u-alice");
    renewed.key_id = Bytes{0x05, 0x06};
    renewed.chain = {Bytes{0x30, 0x03, 0xcc}};
    credentials->renew("p1", renewed, at(1'767'312'000));

    auto store = open_another().credentials;
    const auto old = store->find("p1");
    const auto now = store->find("p2");
    ASSERT_TRUE(old.has_value() && now.has_value());
    EXPECT_EQ(old->status, CredentialStatus::Disabled);
    EXPECT_EQ(old->renewed_to, "p2");
    EXPECT_EQ(old->renewal_of, "");
    EXPECT_EQ(hex_encode(old->key_id), "01020304") << "the old key id is kept";
    EXPECT_EQ(hexes(old->chain), hexes(personal("p1", "u-alice").chain)) << "the old chain is kept";
    EXPECT_EQ(now->status, CredentialStatus::Active);
    EXPECT_EQ(now->renewal_of, "p1");
    EXPECT_EQ(now->renewed_to, "");
    EXPECT_EQ(hex_encode(now->key_id), "0506");
    EXPECT_EQ(store->pin_hash("p2", "u-alice"), std::string{"$alice-pin"}) << "the owner's PIN carries over";
    EXPECT_EQ(ids_of(store->list_for_user("u-alice")), (std::vector<std::string>{"p1", "p2"}));
}

TEST_P(CredentialStoreSuite, ASealRenewalKeepsEveryMemberWithTheirOwnPin) {
    Credential s1 = seal("s1");
    s1.status = CredentialStatus::Active;
    credentials->create(s1, "");
    credentials->add_member("s1", "u-alice", "$alice-seal-pin");
    credentials->add_member("s1", "u-bob", "$bob-seal-pin");
    Credential s2 = seal("s2");
    s2.status = CredentialStatus::Active;
    credentials->renew("s1", s2, at(1'767'312'000));
    EXPECT_EQ(credentials->pin_hash("s2", "u-alice"), std::string{"$alice-seal-pin"});
    EXPECT_EQ(credentials->pin_hash("s2", "u-bob"), std::string{"$bob-seal-pin"});
    EXPECT_FALSE(credentials->pin_hash("s2", "u-carol").has_value());
    EXPECT_EQ(credentials->members("s2").size(), 2U);
}

TEST_P(CredentialStoreSuite, ARenewalIsRefusedWithoutChangeForAnUnknownInactiveOrRenewedCredential) {
    credentials->create(personal("p1", "u-alice"), kHash);
    credentials->create(seal("pending"), "");
    EXPECT_EQ(code_of([&] { credentials->renew("nope", personal("x1", "u-alice"), at(1)); }), Errc::NotFound);
    EXPECT_EQ(code_of([&] { credentials->renew("pending", seal("x2"), at(1)); }), Errc::Conflict);
    EXPECT_EQ(code_of([&] { credentials->renew("p1", personal("x3", "u-bob"), at(1)); }),
              Errc::InvalidRequest)
        << "another owner";
    credentials->renew("p1", personal("p2", "u-alice"), at(1));
    EXPECT_EQ(code_of([&] { credentials->renew("p1", personal("p3", "u-alice"), at(1)); }), Errc::Conflict)
        << "renewed (and so disabled) already";
    for (const char* id : {"x1", "x2", "x3", "p3"}) {
        EXPECT_FALSE(credentials->find(id).has_value()) << id << " was stored by a refused renewal";
    }
}

}  // namespace
}  // namespace inkan::storage::testing
