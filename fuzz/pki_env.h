#pragma once

// An inkan PKI in process memory for the targets that need a peer (the OCSP responder, the TSA, the
// time-stamp client) and for the seed generator: a root CA and a TSA certificate issued by
// pki::BuiltinCa, keys in sign::SoftwareSigner, state in memory (memory_stores.h). Made once per
// process.

#include <memory>

#include <inkan/core/clock.h>
#include <inkan/pki/ca.h>
#include <inkan/sign/software_signer.h>
#include <inkan/tsp/authority.h>
#include <inkan/tsp/codec.h>

#include "memory_stores.h"

namespace inkan::fuzz {

class PkiEnv {
public:
    static PkiEnv& instance();

    [[nodiscard]] pki::BuiltinCa& ca() { return *m_ca; }
    [[nodiscard]] tsp::Authority& tsa() { return *m_tsa; }
    [[nodiscard]] const Bytes& root_der() const { return m_root_der; }
    [[nodiscard]] const Bytes& tsa_der() const { return m_tsa_der; }
    /// A certificate the CA issued and revoked (keyCompromise): the CRL lists it, OCSP says revoked.
    [[nodiscard]] const Bytes& revoked_der() const { return m_revoked_der; }
    [[nodiscard]] sign::SoftwareSigner& tsa_signer() { return *m_tsa_signer; }
    /// An electronic seal (profile "seal") whose signer carries its chain: signs the CMS, PDF and
    /// XAdES seeds.
    [[nodiscard]] sign::SoftwareSigner& seal_signer() { return *m_seal_signer; }
    [[nodiscard]] const Clock& clock() const { return m_clock; }
    /// The request the seed generator time-stamps: SHA-256 of "inkan fuzz", a nonce, certReq.
    [[nodiscard]] const tsp::TimeStampReq& request() const { return m_request; }

private:
    PkiEnv();
    SystemClock m_clock;
    MemoryCaStore m_store;
    MemorySerials m_serials;
    std::unique_ptr<sign::SoftwareSigner> m_root_signer;
    std::shared_ptr<sign::SoftwareSigner> m_tsa_signer;
    std::unique_ptr<sign::SoftwareSigner> m_seal_signer;
    std::unique_ptr<pki::BuiltinCa> m_ca;
    std::unique_ptr<tsp::Authority> m_tsa;
    Bytes m_root_der, m_tsa_der, m_revoked_der;
    tsp::TimeStampReq m_request;
};

}  // namespace inkan::fuzz
