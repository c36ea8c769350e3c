#pragma once

// The TSA as the configuration describes it: [tsa] is the default identity (written by `inkan
// init`), [tsa.<name>] tables add identities chosen by reqPolicy. Keys of each table: key_id (hex
// CKA_ID in the HSM), certificate (PEM chain, TSA certificate first), policy (OID; [tsa] defaults to
// kDefaultTsaPolicy), accuracy_ms (default 1000), hash_algorithms (default SHA-256, SHA-384, SHA-512).

#include <memory>
#include <string_view>
#include <vector>

#include <inkan/core/clock.h>
#include <inkan/core/config.h>
#include <inkan/hsm/token.h>
#include <inkan/tsp/authority.h>

namespace inkan::app {

class StorageBackend;

/// inkan's development TSA policy: a UUID-derived OID under 2.25 (ITU-T X.667 §8, no registration
/// needed). A deployment sets its own policy OID (its certification practice statement's).
inline constexpr std::string_view kDefaultTsaPolicy = "2.25.285521610255976247506242878563640444154";

/// The TSA's identities and its serial store, owned together.
struct TsaSetup {
    std::unique_ptr<tsp::SerialSource> serials;
    std::unique_ptr<tsp::Authority> authority;
};

/// The names of the [tsa.<name>] tables.
std::vector<std::string> tsa_identity_names(const Config& config);

/// The identities of [tsa] and [tsa.<name>] (keys looked up in the HSM); for make_tsa and for a reload
/// (tsp::Authority::replace_identities, which checks them). Errc::InvalidConfig as make_tsa.
std::vector<tsp::Identity> tsa_identities(const Config& config, hsm::Token& token);

/// Builds the Authority; nullptr authority when [tsa] is not configured. Errc::InvalidConfig for a bad
/// certificate (no critical timeStamping EKU, out of validity), a missing key or a bad policy.
/// The serials come from `storage` (the configured database: nodes sharing it never issue one twice).
TsaSetup make_tsa(const Config& config, hsm::Token& token, const Clock& clock, StorageBackend& storage);

}  // namespace inkan::app
