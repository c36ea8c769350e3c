#pragma once

// The service::OobStore port suite (tests in oob_store_suite_test.cpp). Every adapter instantiates it with
// its backend and must pass it unchanged.

#include <inkan/service/ports.h>

#include "single_port_suite.h"

namespace inkan::storage::testing {

using OobStoreBackend = PortBackend<service::OobStore>;
class OobStoreSuite : public PortSuite<service::OobStore> {};

}  // namespace inkan::storage::testing
