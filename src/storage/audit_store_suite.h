#pragma once

// The service::AuditStore port suite (tests in audit_store_suite_test.cpp). Every adapter instantiates
// it with its ServiceStoresBackend and must pass it unchanged.

#include "service_store_backend.h"

namespace inkan::storage::testing {

class AuditStoreSuite : public ServiceStoreTest {
protected:
    void SetUp() override {
        ServiceStoreTest::SetUp();
        if (HasFatalFailure() || IsSkipped()) {
            return;
        }
        ASSERT_TRUE(audit) << GetParam().name << ": no AuditStore";
    }
};

}  // namespace inkan::storage::testing
