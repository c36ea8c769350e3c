#include "pki_env.h"

#include <string_view>

#include <inkan/crypto/digest.h>
#include <inkan/pki/csr.h>

#include "fuzz.h"

namespace inkan::fuzz {

namespace {
Bytes bytes_of(std::string_view s) {
    return {s.begin(), s.end()};
}
}  // namespace

PkiEnv& PkiEnv::instance() {
    static PkiEnv env;
    return env;
}

PkiEnv::PkiEnv()
    : m_root_signer{std::make_unique<sign::SoftwareSigner>(
          crypto::PrivateKey::generate_ec(crypto::Curve::P256))},
      m_tsa_signer{
          std::make_shared<sign::SoftwareSigner>(crypto::PrivateKey::generate_ec(crypto::Curve::P256))} {
    pki::CaSettings settings;
    settings.name = "fuzz-root";
    settings.pki_base_url = "http://127.0.0.1:9";
    pki::Name root_name;
    root_name.country("JP").organization("inkan fuzz").common_name("inkan fuzz root");
    m_root_der = pki::create_root(settings, *m_root_signer, root_name, 3650, m_store, m_clock).der();
    m_ca = std::make_unique<pki::BuiltinCa>(settings, *m_root_signer, std::vector<Bytes>{m_root_der}, m_store,
                                            pki::ProfileSet::defaults(), m_clock);

    pki::Name tsa_name;
    tsa_name.country("JP").organization("inkan fuzz").common_name("inkan fuzz TSA");
    m_tsa_der = m_ca->issue(pki::create_csr(tsa_name, *m_tsa_signer), "tsa").der();
    tsp::Identity identity;
    identity.name = "default";
    identity.policy = "1.3.6.1.4.1.99999.1.1";
    identity.signer = m_tsa_signer;
    identity.chain = {m_tsa_der, m_root_der};
    identity.is_default = true;
    m_tsa = std::make_unique<tsp::Authority>(std::vector<tsp::Identity>{identity}, m_serials, m_clock);

    const crypto::PrivateKey seal_key = crypto::PrivateKey::generate_ec(crypto::Curve::P256);
    sign::SoftwareSigner seal_csr_signer{crypto::PrivateKey::from_pem(seal_key.pem())};
    pki::Name seal_name;
    seal_name.country("JP")
        .organization("inkan fuzz")
        .organization_identifier("NTRJP-1234567890123")
        .common_name("inkan fuzz seal");
    const Bytes seal_der = m_ca->issue(pki::create_csr(seal_name, seal_csr_signer), "seal").der();
    m_seal_signer = std::make_unique<sign::SoftwareSigner>(crypto::PrivateKey::from_pem(seal_key.pem()),
                                                           std::vector<Bytes>{seal_der, m_root_der});

    sign::SoftwareSigner revoked_signer{crypto::PrivateKey::generate_ec(crypto::Curve::P256)};
    pki::Name revoked_name;
    revoked_name.country("JP").organization("inkan fuzz").common_name("inkan fuzz revoked TSA");
    const pki::Certificate revoked = m_ca->issue(pki::create_csr(revoked_name, revoked_signer), "tsa");
    m_revoked_der = revoked.der();
    m_ca->revoke(revoked.serial(), pki::RevocationReason::KeyCompromise, m_clock.now());

    m_request.imprint =
        tsp::make_imprint(crypto::DigestAlgorithm::Sha256,
                          crypto::digest(crypto::DigestAlgorithm::Sha256, bytes_of("inkan fuzz")));
    m_request.nonce = Bytes{0x01, 0x23, 0x45, 0x67};
    m_request.cert_req = true;
}

}  // namespace inkan::fuzz
