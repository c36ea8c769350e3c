#pragma once

#include <filesystem>
#include <string>

#include <inkan/core/clock.h>
#include <inkan/hsm/token.h>
#include <inkan/pki/store.h>

namespace inkan::app {

/// What `inkan init` created for the development PKI; the caller writes it into inkan.toml.
struct DevelopmentPki {
    std::string root_name = "inkan-root";
    std::string issuing_name = "inkan-issuing";
    std::string root_key_id, issuing_key_id, tsa_key_id, ocsp_key_id, tls_key_id;  // hex CKA_IDs
    std::string seal_key_id;              // the service's own seal (audit archives)
    std::filesystem::path root_pem;       // the trust anchor
    std::filesystem::path root_chain;     // root (its own chain)
    std::filesystem::path issuing_chain;  // issuing CA, root
    std::filesystem::path tsa_chain, ocsp_chain, tls_chain, seal_chain;  // leaf, issuing CA, root
};

/// Generates every PKI key in the token (root and issuing CA: EC P-384; TSA, OCSP responder, TLS, seal:
/// EC P-256; all sensitive and never extractable), issues the certificates through the built-in CA
/// (each assembled from its to-be-signed bytes and signed in the HSM) and writes the PEM chains into
/// `pki_dir`. `tls_hosts`: DNS names and IP addresses for the TLS certificate's subjectAltName.
DevelopmentPki create_development_pki(const std::filesystem::path& pki_dir, hsm::Token& token,
                                      pki::CaStore& store, const std::string& pki_base_url,
                                      const std::vector<std::string>& tls_hosts, const Clock& clock);

}  // namespace inkan::app
