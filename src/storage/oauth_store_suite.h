#pragma once

// The service::OAuthClientStore and OAuthGrantStore port suite (tests in oauth_store_suite_test.cpp),
// with the system-client subjects of TokenStore and AuthorizationStore (empty user). Every adapter
// instantiates it with its ServiceStoresBackend and must pass it unchanged.

#include "service_store_backend.h"

namespace inkan::storage::testing {

/// Starts with user u-alice, a personal credential c-personal (hers) and a seal c-seal.
class OAuthStoreSuite : public ServiceStoreTest {
protected:
    void SetUp() override {
        ServiceStoreTest::SetUp();
        if (HasFatalFailure() || IsSkipped()) {
            return;
        }
        ASSERT_TRUE(credentials && tokens && authorization && oauth_clients && oauth_grants)
            << GetParam().name
            << ": the OAuth suite needs the credential, token, authorization and OAuth stores";
        users->create(make_user("u-alice", "alice"), "$argon2id$x");
        service::Credential seal;
        seal.id = "c-seal";
        seal.kind = service::CredentialKind::Seal;
        seal.organization = "Example KK";
        seal.key_id = Bytes{1, 2, 3};
        seal.key_algo = "ec-p256";
        seal.ca = "test-ca";
        seal.profile = "seal";
        seal.created_at = at(1'767'225'600);
        credentials->create(seal, "");
        service::Credential personal = seal;
        personal.id = "c-personal";
        personal.kind = service::CredentialKind::Personal;
        personal.organization.clear();
        personal.owner_user_id = "u-alice";
        personal.profile = "person";
        credentials->create(personal, "$argon2id$pin");
    }

    static service::OAuthClient client(std::string id, std::string name, bool confidential = true) {
        service::OAuthClient c;
        c.id = std::move(id);
        c.name = std::move(name);
        c.confidential = confidential;
        if (confidential) {
            c.secret_hash = Bytes(32, 0x5A);
        }
        c.redirect_uris = {"https://app.example/cb", "http://127.0.0.1:8000/cb"};
        c.created_at = at(1'767'225'600);
        return c;
    }

    static service::PendingAuthorization pending(std::string id, std::uint8_t session) {
        service::PendingAuthorization p;
        p.id = std::move(id);
        p.session_hash = Bytes(32, session);
        p.client_id = "cl-1";
        p.request = R"({"scope":"service"})";
        p.csrf_hash = Bytes(32, 0xC5);
        p.stage = service::PendingStage::Login;
        p.expires_at = at(2'000'000'000);
        return p;
    }

    static TimePoint before_expiry() { return at(1'999'999'000); }
};

}  // namespace inkan::storage::testing
