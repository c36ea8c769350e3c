#pragma once

// The service::UserStore port suite (tests in user_store_suite_test.cpp). Every adapter instantiates
// it with its ServiceStoresBackend and must pass it unchanged.

#include "service_store_backend.h"

namespace inkan::storage::testing {

class UserStoreSuite : public ServiceStoreTest {};

}  // namespace inkan::storage::testing
