#pragma once

// The service::TokenStore port suite (tests in token_store_suite_test.cpp). Every adapter instantiates
// it with its ServiceStoresBackend and must pass it unchanged.

#include "service_store_backend.h"

namespace inkan::storage::testing {

/// Starts with two users (ids u-alice, u-bob) for tokens to belong to.
class TokenStoreSuite : public ServiceStoreTest {
protected:
    void SetUp() override {
        ServiceStoreTest::SetUp();
        if (HasFatalFailure() || IsSkipped()) {
            return;
        }
        ASSERT_TRUE(tokens) << GetParam().name << ": no TokenStore";
        users->create(make_user("u-alice", "alice"), "$argon2id$v=19$m=65536,t=2,p=1$x");
        users->create(make_user("u-bob", "bob"), "$argon2id$v=19$m=65536,t=2,p=1$x");
    }
};

}  // namespace inkan::storage::testing
