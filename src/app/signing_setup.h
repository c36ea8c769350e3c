#pragma once

// signDoc as the configuration describes it (decision 0010):
//   [api]     max_document_bytes  the largest document signDoc takes (default 64 MiB; 413 above)
//   [signing] tsa_urls            RFC 3161 TSAs for B-T, tried in order; default: the in-process TSA
//             tsa_ca_file         trust anchors (PEM) their chains must lead to (and https roots)
//             certify_permissions DocMDP P of PAdES Certification signatures (default 2)
//             revocation_timeout_ms  per OCSP/CRL/caIssuers request for B-LT/B-LTA, validationInfo and
//                                    extend (default 10000)
//             revocation_proxy    "http://host:port" for those requests (default: none)
//             revocation_allow    what those URLs may reach beyond public addresses (decision 0016):
//                                 origins "http://host:port" and addresses/CIDRs (default: none;
//                                 `inkan init` writes its own PKI URL)
//             revocation_max_chain_depth  issuer steps followed (default 8)
//             revocation_budget_ms, revocation_budget_bytes, revocation_budget_requests  what one
//                                 signDoc or extend call may spend on those fetches (default 60000 ms,
//                                 64 MiB, 64 requests)
//             refuse_revoked      refuse signDoc with a revoked signer certificate (default true)
//             extend_refuse_revoked  refuse extending a document whose signer is revoked (default
//                                    false: the revoked status is embedded as it is)
// Documents are written under DIR/work while they are signed or extended (decisions 0010, 0014).

#include <filesystem>
#include <memory>

#include <inkan/ades/time_stamper.h>
#include <inkan/core/config.h>
#include <inkan/pki/revocation.h>
#include <inkan/service/document_signing.h>
#include <inkan/service/extension.h>
#include <inkan/tsp/authority.h>
#include <inkan/tsp/client.h>

namespace inkan::app {

struct SigningSetup {
    std::unique_ptr<tsp::Client> client;                 ///< when [signing] tsa_urls is set
    std::unique_ptr<ades::TimeStamper> stamper;          ///< null: B-T and up are refused, extend is off
    std::unique_ptr<pki::RevocationFetcher> revocation;  ///< shared by signDoc and extend (one cache)
    service::DocumentSigningSettings settings;
    service::ExtensionSettings extension;
};

/// Errc::InvalidConfig for a bad value. `authority` may be null (no [tsa]).
SigningSetup make_signing(const Config& config, const std::filesystem::path& data_dir,
                          tsp::Authority* authority);

}  // namespace inkan::app
