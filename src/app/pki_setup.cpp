#include "pki_setup.h"

#include <arpa/inet.h>

#include <fstream>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/pki/ca.h>
#include <inkan/pki/certificate.h>
#include <inkan/pki/csr.h>
#include <inkan/pki/profile.h>
#include <inkan/sign/hsm_signer.h>

namespace inkan::app {

namespace fs = std::filesystem;

namespace {

void write_pem(const fs::path& file, const std::vector<Bytes>& chain) {
    std::ofstream out{file, std::ios::binary | std::ios::trunc};
    out << pki::certificates_pem(chain);
    out.close();
    if (!out) {
        throw Error{Errc::IoFailure, "cannot write " + file.string()};
    }
}

bool is_ip_address(const std::string& host) {
    unsigned char buf[16];
    return ::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

pki::CaSettings ca_settings(const std::string& name, const std::string& base_url) {
    pki::CaSettings s;
    s.name = name;
    s.pki_base_url = base_url;
    return s;
}

pki::Name org_name(std::string_view cn) {
    return pki::Name{}.country("JP").organization("inkan").common_name(cn);
}

}  // namespace

DevelopmentPki create_development_pki(const fs::path& pki_dir, hsm::Token& token, pki::CaStore& store,
                                      const std::string& pki_base_url,
                                      const std::vector<std::string>& tls_hosts, const Clock& clock) {
    DevelopmentPki out;
    fs::create_directories(pki_dir);
    const pki::ProfileSet profiles = pki::ProfileSet::defaults();

    const Bytes root_id = token.generate_key_pair(hsm::KeySpec::EcP384, "inkan-root-ca");
    const Bytes issuing_id = token.generate_key_pair(hsm::KeySpec::EcP384, "inkan-issuing-ca");
    const Bytes tsa_id = token.generate_key_pair(hsm::KeySpec::EcP256, "inkan-tsa");
    const Bytes ocsp_id = token.generate_key_pair(hsm::KeySpec::EcP256, "inkan-ocsp");
    const Bytes tls_id = token.generate_key_pair(hsm::KeySpec::EcP256, "inkan-tls");
    const Bytes seal_id = token.generate_key_pair(hsm::KeySpec::EcP256, "inkan-service-seal");
    sign::HsmSigner root_signer{token, root_id};
    sign::HsmSigner issuing_signer{token, issuing_id};
    sign::HsmSigner tsa_signer{token, tsa_id};
    sign::HsmSigner ocsp_signer{token, ocsp_id};
    sign::HsmSigner tls_signer{token, tls_id};
    sign::HsmSigner seal_signer{token, seal_id};

    const pki::CaSettings root_settings = ca_settings(out.root_name, pki_base_url);
    const pki::Certificate root = pki::create_root(root_settings, root_signer,
                                                   org_name("inkan Development Root CA"), 7305, store, clock);
    pki::BuiltinCa root_ca{root_settings, root_signer, {root.der()}, store, profiles, clock};
    const pki::Certificate issuing =
        root_ca.issue_ca(pki::create_csr(org_name("inkan Development Issuing CA"), issuing_signer));

    const pki::CaSettings issuing_settings = ca_settings(out.issuing_name, pki_base_url);
    pki::BuiltinCa ca{issuing_settings, issuing_signer, {issuing.der(), root.der()}, store, profiles, clock};
    const pki::Certificate tsa =
        ca.issue(pki::create_csr(org_name("inkan Time-Stamping Authority"), tsa_signer), "tsa");
    const pki::Certificate ocsp =
        ca.issue(pki::create_csr(org_name("inkan OCSP Responder"), ocsp_signer), "ocsp");
    pki::IssueOptions tls_options;
    for (const auto& host : tls_hosts) {
        (is_ip_address(host) ? tls_options.ip_addresses : tls_options.dns_names).push_back(host);
    }
    const pki::Certificate tls =
        ca.issue(pki::create_csr(org_name("localhost"), tls_signer), "tls", tls_options);

    // EN 319 412-3 §4.2.1 wants an organizationIdentifier; "ZZ:" is the national-scheme form with the
    // user-assigned ISO 3166 code: clearly a development value, as the rest of this PKI.
    const pki::Certificate seal =
        ca.issue(pki::create_csr(pki::Name{}
                                     .country("JP")
                                     .organization("inkan")
                                     .add(pki::NameAttribute::OrganizationIdentifier, "ZZ:inkan-development")
                                     .common_name("inkan Service Seal"),
                                 seal_signer),
                 "seal");

    out.root_key_id = hex_encode(root_id);
    out.issuing_key_id = hex_encode(issuing_id);
    out.tsa_key_id = hex_encode(tsa_id);
    out.ocsp_key_id = hex_encode(ocsp_id);
    out.tls_key_id = hex_encode(tls_id);
    out.seal_key_id = hex_encode(seal_id);
    out.root_pem = pki_dir / "root-ca.pem";
    out.root_chain = out.root_pem;
    out.issuing_chain = pki_dir / "issuing-ca-chain.pem";
    out.tsa_chain = pki_dir / "tsa-chain.pem";
    out.ocsp_chain = pki_dir / "ocsp-chain.pem";
    out.tls_chain = pki_dir / "tls-chain.pem";
    out.seal_chain = pki_dir / "seal-chain.pem";
    write_pem(out.root_pem, {root.der()});
    write_pem(out.issuing_chain, {issuing.der(), root.der()});
    write_pem(out.tsa_chain, {tsa.der(), issuing.der(), root.der()});
    write_pem(out.ocsp_chain, {ocsp.der(), issuing.der(), root.der()});
    write_pem(out.tls_chain, {tls.der(), issuing.der(), root.der()});
    write_pem(out.seal_chain, {seal.der(), issuing.der(), root.der()});
    return out;
}

}  // namespace inkan::app
