#pragma once

// The service::ConsoleSessionStore port suite (tests in console_session_store_suite_test.cpp; decision
// 0041). Every adapter instantiates it with its ServiceStoresBackend and must pass it unchanged.

#include "service_store_backend.h"

namespace inkan::storage::testing {

/// Starts with two users (u-oper, u-audi): a session belongs to a user.
class ConsoleSessionStoreSuite : public ServiceStoreTest {
protected:
    void SetUp() override {
        ServiceStoreTest::SetUp();
        if (HasFatalFailure() || IsSkipped()) {
            return;
        }
        ASSERT_TRUE(console_sessions) << GetParam().name << ": no ConsoleSessionStore";
        users->create(make_user("u-oper", "oper"), "$argon2id$x");
        users->create(make_user("u-audi", "audi"), "$argon2id$x");
    }
};

}  // namespace inkan::storage::testing
