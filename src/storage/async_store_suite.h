#pragma once

// The service::AsyncStore port suite (tests in async_store_suite_test.cpp). Every adapter instantiates it
// with its backend and must pass it unchanged.

#include <inkan/service/ports.h>

#include "single_port_suite.h"

namespace inkan::storage::testing {

using AsyncStoreBackend = PortBackend<service::AsyncStore>;
class AsyncStoreSuite : public PortSuite<service::AsyncStore> {};

}  // namespace inkan::storage::testing
