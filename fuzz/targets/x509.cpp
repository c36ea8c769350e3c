// What inkan does with certificates, CSRs, names and revocation data it did not make: pki::Certificate
// (OpenSSL's parse, inkan's extension readers), pki::Csr, pki::Name, and the validator's revocation
// status from a CRL or an OCSP response (validation::detail::revocation_status over the in-memory
// inkan PKI's revoked certificate).
#include <inkan/pki/certificate.h>
#include <inkan/pki/csr.h>
#include <inkan/pki/x509.h>

#include "../fuzz.h"
#include "../pki_env.h"
#include "trust.h"

using namespace inkan;

namespace {

void read_certificate(const pki::Certificate& c) {
    (void)c.subject();
    (void)c.issuer();
    fuzz::refusing([&] { (void)c.subject_name(); });
    fuzz::refusing([&] { (void)c.issuer_name(); });
    (void)c.serial_hex();
    fuzz::refusing([&] { (void)c.not_before(); });
    fuzz::refusing([&] { (void)c.not_after(); });
    fuzz::refusing([&] { (void)c.public_key(); });
    fuzz::refusing([&] { (void)c.spki_der(); });
    fuzz::refusing([&] { (void)c.extensions(); });
    fuzz::refusing([&] { (void)c.subject_key_identifier(); });
    fuzz::refusing([&] { (void)c.authority_key_identifier(); });
    fuzz::refusing([&] { (void)c.basic_constraints(); });
    fuzz::refusing([&] { (void)c.is_ca(); });
    fuzz::refusing([&] { (void)c.key_usage(); });
    fuzz::refusing([&] { (void)c.extended_key_usage(); });
    fuzz::refusing([&] { (void)pki::Certificate::from_der(c.der()); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteView in = fuzz::bytes(data, size);
    fuzz::refusing([&] { read_certificate(pki::Certificate::from_der(in)); });
    fuzz::refusing([&] {
        for (const pki::Certificate& c : pki::certificates_from_pem(fuzz::text(data, size))) {
            read_certificate(c);
        }
    });
    fuzz::refusing([&] {
        const pki::Csr csr = pki::Csr::from_der(in);
        (void)csr.verify();
        fuzz::refusing([&] { (void)csr.subject(); });
        fuzz::refusing([&] { (void)csr.public_key(); });
        fuzz::refusing([&] { (void)csr.requested_dns_names(); });
        fuzz::refusing([&] { (void)csr.requested_ip_addresses(); });
    });
    fuzz::refusing([&] { (void)pki::Name::from_der(in); });
    fuzz::refusing([&] { (void)pki::name_to_string(in); });
    fuzz::refusing([&] {
        fuzz::PkiEnv& env = fuzz::PkiEnv::instance();
        validation::detail::Material material;
        material.add_crl(in);
        material.add_ocsp(in);
        material.add_revocation_choice(in);
        const pki::Certificate cert = pki::Certificate::from_der(env.revoked_der());
        const pki::Certificate issuer = pki::Certificate::from_der(env.root_der());
        (void)validation::detail::revocation_status(cert, issuer, material, validation::Options{});
    });
    return 0;
}
