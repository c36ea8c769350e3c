#pragma once

// CAdES baseline signatures (ETSI EN 319 122-1): B-B and B-T, detached or enveloping.

#include <cstddef>
#include <istream>
#include <optional>
#include <string>

#include <inkan/ades/baseline.h>
#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/sign/signer.h>

namespace inkan::ades {

class TimeStamper;

/// What is signed.
struct CadesContent {
    /// Enveloping: the content goes into eContent.
    static CadesContent enveloping(Bytes content);
    /// Detached: the content is read (in chunks) and hashed; it is not in the output. The stream
    /// must stay valid until sign_cades returns.
    static CadesContent detached(std::istream& content);
    /// Detached, hashed by the caller with `alg` (which must be the signature algorithm's digest).
    static CadesContent detached_digest(crypto::DigestAlgorithm alg, Bytes digest);

    enum class Kind { Enveloping, Detached, DetachedDigest } kind = Kind::Enveloping;
    Bytes bytes;  ///< the content (enveloping) or the digest (detached_digest)
    std::istream* stream = nullptr;
    crypto::DigestAlgorithm digest_algorithm = crypto::DigestAlgorithm::Sha256;
};

struct CadesOptions {
    Level level = Level::BB;
    /// Empty: sign::default_algorithm() for the signer's key.
    std::optional<crypto::SignatureAlgorithm> algorithm;
    /// signing-time (exactly one, EN 319 122-1 §5.2.1). Empty: the system clock.
    const Clock* clock = nullptr;
    /// commitment-type-indication (commitment::k*); empty: none.
    std::string commitment_type;
    /// Required for B-T. Must outlive the call.
    TimeStamper* time_stamper = nullptr;
};

/// A DER ContentInfo(SignedData) with one SignerInfo: content-type id-data, message-digest,
/// signing-time, signing-certificate-v2 of the signer's certificate, CMSAlgorithmProtection
/// (RFC 6211), optional commitment-type-indication; the signer's certificate_chain() as
/// certificates. B-T adds a signature-time-stamp. Errc::InvalidRequest: a signer without a
/// certificate, B-T without a time stamper, a digest of the wrong algorithm or length;
/// Errc::UnsupportedAlgorithm: the algorithm does not fit the key; the signer's and stamper's errors.
Bytes sign_cades(const CadesContent& content, sign::Signer& signer, const CadesOptions& options);

}  // namespace inkan::ades
