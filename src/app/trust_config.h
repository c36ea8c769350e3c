#pragma once

// The trust configuration of `inkan verify` and `inkan serve` (issue 17, decisions 0030 and 0035), loaded
// by one function for both: the operator's trust files (`inkan.toml`'s [validation] or a --trust-file:
// trusted_lists, list_signers, accredited_tsa.NAME, trust_anchors.NAME or the array of PEM files), extra
// trusted lists and list signers (the CLI's --trusted-list, --list-signer). The lists are read and their
// signatures judged once (the CLI per run, the server at startup); what they grant travels as
// validation::TrustSource, each used only until its next update.

#include <filesystem>
#include <string>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/tl/trusted_list.h>
#include <inkan/validation/validator.h>

namespace inkan::app {

struct TrustConfiguration {
    std::vector<validation::TrustSource> sources;
    tl::TrustSet lists;  ///< as judged, for the messages
    /// Trusted lists or trust services were configured: qualified / tsa_accredited say "no" rather than
    /// "unknown" (plain anchors alone do not make a trust configuration).
    bool configured = false;
    /// One line per list not used at load time (signature not valid, expired), for stderr or the log.
    std::vector<std::string> problems;
};

TrustConfiguration load_trust_configuration(const std::vector<std::filesystem::path>& trust_files,
                                            std::vector<std::filesystem::path> lists,
                                            std::vector<Bytes> list_signers);

}  // namespace inkan::app
