#pragma once

// The service::CredentialStore port suite (tests in credential_store_suite_test.cpp). Every adapter
// instantiates it with its ServiceStoresBackend and must pass it unchanged.

#include "service_store_backend.h"

namespace inkan::storage::testing {

/// Starts with three users (ids u-alice, u-bob, u-carol) for credentials to belong to.
class CredentialStoreSuite : public ServiceStoreTest {
protected:
    static constexpr std::string_view kHash = "$argon2id$v=19$m=65536,t=2,p=1$owner";

    void SetUp() override {
        ServiceStoreTest::SetUp();
        if (HasFatalFailure() || IsSkipped()) {
            return;
        }
        ASSERT_TRUE(credentials) << GetParam().name << ": no CredentialStore";
        users->create(make_user("u-alice", "alice"), kHash);
        users->create(make_user("u-bob", "bob"), kHash);
        users->create(make_user("u-carol", "carol"), kHash);
    }
};

}  // namespace inkan::storage::testing
