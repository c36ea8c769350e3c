#include <inkan/ades/time_stamper.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include <inkan/ades/baseline.h>
#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>
#include <inkan/crypto/random.h>
#include <inkan/pki/certificate.h>
#include <inkan/sign/signer.h>
#include <inkan/tsp/authority.h>
#include <inkan/tsp/client.h>
#include <inkan/tsp/codec.h>

namespace inkan::ades {

std::size_t TimeStamper::token_size_hint() {
    if (m_largest.load() == 0) {
        // A real token over a throwaway digest: its size is what the TSA really returns (chain,
        // policy, serial and signature lengths included).
        const Bytes probe = crypto::digest(crypto::DigestAlgorithm::Sha256,
                                           to_bytes(std::string_view{"inkan: time-stamp token size probe"}));
        note_token(stamp(crypto::DigestAlgorithm::Sha256, probe).size());
    }
    return m_largest.load();
}

void TimeStamper::note_token(std::size_t size) noexcept {
    std::size_t seen = m_largest.load();
    while (seen < size && !m_largest.compare_exchange_weak(seen, size)) {
    }
}

Bytes ClientTimeStamper::stamp(crypto::DigestAlgorithm alg, ByteView digest) {
    tsp::StampResult result = m_client.stamp(alg, digest);
    note_token(result.token.size());
    return std::move(result.token);
}

Bytes AuthorityTimeStamper::stamp(crypto::DigestAlgorithm alg, ByteView digest) {
    tsp::TimeStampReq request;
    request.imprint = tsp::make_imprint(alg, digest);
    request.policy = m_policy;
    std::uint64_t nonce = 0;
    crypto::random_fill({reinterpret_cast<std::uint8_t*>(&nonce), sizeof nonce});
    request.nonce = tsp::magnitude(nonce);
    request.cert_req = true;  // the TSA certificate must be in the token (EN 319 122-1 §5.3)
    Bytes token = m_authority.stamp(request);
    note_token(token.size());
    return token;
}

std::size_t AuthorityTimeStamper::token_size_hint() {
    const tsp::Identity* identity = &m_authority.default_identity();
    if (m_policy) {
        for (const auto& i : m_authority.identities()) {
            if (i.policy == *m_policy) identity = &i;
        }
    }
    require(!identity->chain.empty(), Errc::InvalidConfig, "ades: the TSA identity has no certificate");
    std::size_t n = 0;
    for (const auto& c : identity->chain) {
        n += c.size();
    }
    const pki::Certificate tsa = pki::Certificate::from_der(identity->chain.front());
    // The issuer Name appears twice (sid, ESS issuerSerial); TSTInfo, signed attributes, algorithm
    // identifiers and the ContentInfo/SignedData headers stay below 768 bytes.
    n += 2 * (tsa.issuer_der().size() + tsa.serial().size()) + 768 +
         max_signature_size(identity->signer->public_key());
    return std::max(n, largest_token());
}

}  // namespace inkan::ades
