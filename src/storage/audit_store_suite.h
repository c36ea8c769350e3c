#pragma once

// The service::AuditStore port suite (tests in audit_store_suite_test.cpp). Every adapter instantiates
// it with its ServiceStoresBackend and must pass it unchanged.

#include "service_store_backend.h"

namespace inkan::storage::testing {

class AuditStoreSuite : public ServiceStoreTest {};

}  // namespace inkan::storage::testing
