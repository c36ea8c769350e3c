#pragma once

// signDoc as the configuration describes it (decision 0010):
//   [api]     max_document_bytes  the largest document signDoc takes (default 64 MiB; 413 above)
//   [signing] tsa_urls            RFC 3161 TSAs for B-T, tried in order; default: the in-process TSA
//             tsa_ca_file         trust anchors (PEM) their chains must lead to (and https roots)
//             certify_permissions DocMDP P of PAdES Certification signatures (default 2)
// Documents are written under DIR/work while they are signed.

#include <filesystem>
#include <memory>

#include <inkan/ades/time_stamper.h>
#include <inkan/core/config.h>
#include <inkan/service/document_signing.h>
#include <inkan/tsp/authority.h>
#include <inkan/tsp/client.h>

namespace inkan::app {

struct SigningSetup {
    std::unique_ptr<tsp::Client> client;         ///< when [signing] tsa_urls is set
    std::unique_ptr<ades::TimeStamper> stamper;  ///< null: B-T is refused
    service::DocumentSigningSettings settings;
};

/// Errc::InvalidConfig for a bad value. `authority` may be null (no [tsa]).
SigningSetup make_signing(const Config& config, const std::filesystem::path& data_dir,
                          tsp::Authority* authority);

}  // namespace inkan::app
