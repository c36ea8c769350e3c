#pragma once

// CAdES baseline signatures (ETSI EN 319 122-1): B-B, B-T, B-LT and B-LTA, detached or enveloping, and
// extending an existing CAdES (made by inkan or elsewhere) to B-LTA (ades.md §2).
//
// B-LT puts the validation material where EN 319 122-1 §5.5.1 wants it: certificates in
// SignedData.certificates, CRLs and OCSP responses in SignedData.crls (OCSP as RevocationInfoChoice
// other { id-ri-ocsp-response, OCSPResponse }, RFC 5940 §2.2.1; SignedData.version 5). The old
// certificate-values / revocation-values attributes are never written. B-LTA adds an
// archive-time-stamp-v3 (0.4.0.1733.2.4) whose token carries an ats-hash-index-v3 (0.4.0.19122.1.5)
// (EN 319 122-1 §5.5.3).

#include <cstddef>
#include <istream>
#include <optional>
#include <string>

#include <inkan/ades/baseline.h>
#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/pki/revocation.h>
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
    /// Required from B-T up (B-LTA uses it for the archive-time-stamp-v3 too). Must outlive the call.
    TimeStamper* time_stamper = nullptr;
    /// B-LT and B-LTA: where the revocation data comes from (required there). Must outlive the call.
    pki::RevocationFetcher* revocation = nullptr;
    /// B-LT/B-LTA: refuse (Errc::Conflict, nothing returned) when the signer's certificate is revoked.
    /// Otherwise the revoked status is embedded as it is.
    bool refuse_revoked = true;
    /// B-LT/B-LTA: when set, receives exactly the certificates, OCSP responses and CRLs embedded in
    /// SignedData.certificates / crls for the signer and time-stamp chains (and their statuses), e.g.
    /// for CSC signDoc's returnValidationInfo. Must outlive the call.
    pki::ValidationData* validation_used = nullptr;
};

/// A DER ContentInfo(SignedData) with one SignerInfo: content-type id-data, message-digest,
/// signing-time, signing-certificate-v2 of the signer's certificate, CMSAlgorithmProtection
/// (RFC 6211), optional commitment-type-indication; the signer's certificate_chain() as
/// certificates. B-T adds a signature-time-stamp. B-LT then fetches (after the time-stamp, so the
/// data is fresh) OCSP responses or CRLs for every certificate of the signer chain and of the
/// signature-time-stamp's TSA chain (and delegated OCSP responders) and embeds them with every
/// certificate. B-LTA then adds an archive-time-stamp-v3 hashed with the signature's digest
/// algorithm (so a detached_digest serves for the ATSv3 content hash too); its own TSA's
/// validation data comes with the next extend_cades round.
/// Errc::InvalidRequest: a signer without a certificate, B-T up without a time stamper, B-LT up
/// without a revocation fetcher, a digest of the wrong algorithm or length;
/// Errc::UnsupportedAlgorithm: the algorithm does not fit the key; Errc::Conflict: a revoked signer
/// certificate with refuse_revoked; the fetcher's Errc::Unavailable (nothing is returned, never a
/// downgrade to B-T); the signer's and stamper's errors.
Bytes sign_cades(const CadesContent& content, sign::Signer& signer, const CadesOptions& options);

/// The signed content of a CAdES being extended: its archive-time-stamp-v3 hashes it
/// (EN 319 122-1 §5.5.3, ades.md §2.2 step 6b).
struct CadesExtendInput {
    /// The content is inside the CMS (eContent).
    static CadesExtendInput encapsulated();
    /// Detached: the content is read (in chunks) from `content`, which must stay valid until
    /// extend_cades returns.
    static CadesExtendInput detached(std::istream& content);
    /// Detached, hashed by the caller with `alg`; the new archive-time-stamp-v3 then uses `alg`.
    static CadesExtendInput detached_digest(crypto::DigestAlgorithm alg, Bytes digest);

    enum class Kind { Encapsulated, Detached, DetachedDigest } kind = Kind::Encapsulated;
    std::istream* stream = nullptr;
    crypto::DigestAlgorithm digest_algorithm = crypto::DigestAlgorithm::Sha256;
    Bytes digest;
};

struct CadesExtendOptions {
    /// The hash of the new archive-time-stamp-v3 (index entries and message imprint); at least
    /// SHA-256. With CadesExtendInput::detached_digest it must be (and defaults to) the digest's.
    std::optional<crypto::DigestAlgorithm> archive_digest;
    /// Refuse (Errc::Conflict) when a signer certificate is revoked now. Off by default: a signature
    /// made before the revocation stays valid, and its B-LT data proves when it was made.
    bool refuse_revoked = false;
    /// When set, receives the validation material collected in this round (all of it is in the
    /// output's certificates / crls).
    pki::ValidationData* validation_used = nullptr;
};

/// Keeps a CAdES alive (EN 319 122-1 §5.5.3; ades.md §2.1 "Re-archiving"): for every SignerInfo of
/// `cms` (a DER ContentInfo(SignedData) at B-B, B-T, B-LT or B-LTA, made by inkan or elsewhere)
///   1. a signature-time-stamp when it has none (B-B → B-T);
///   2. the validation data still missing for the signer chain and for the TSA chain of every
///      signature-time-stamp and archive-time-stamp-v3, added to SignedData.certificates / crls
///      (only ever added: earlier archive-time-stamp-v3s list what they covered in their hash
///      index, so they stay valid);
///   3. a fresh archive-time-stamp-v3 over all of it.
/// Everything earlier (signed attributes, signatures, earlier tokens) stays byte-identical.
/// Errc::InvalidEncoding: `cms` does not parse as DER SignedData; Errc::InvalidRequest: no
/// SignerInfo, detached content missing or not matching message-digest, content given for an
/// encapsulating CMS, an archive hash weaker than SHA-256, or an older archive form (ATS v1/v2,
/// long-term-validation) present — then the material would have to go into that token
/// (EN 319 122-1 §5.5.3) and inkan does not write there; the fetcher's Errc::Unavailable; the
/// stamper's errors; Errc::Conflict with refuse_revoked. Nothing is returned on any failure.
Bytes extend_cades(ByteView cms, const CadesExtendInput& content, pki::RevocationFetcher& fetcher,
                   TimeStamper& stamper, const CadesExtendOptions& options = {});

/// The DER of a CMS given as DER (a ContentInfo: a SEQUENCE, first octet 0x30) or as PEM ("-----BEGIN
/// CMS-----", "PKCS7" or "PKCS #7 SIGNED DATA", RFC 7468 §9 and OpenSSL's labels; leading text and
/// whitespace around the base64 allowed); nothing when `input` looks like neither (e.g. a PDF), so a
/// caller can tell the formats apart. Errc::InvalidEncoding: a PEM CMS block whose base64 is broken.
/// The DER itself is not parsed here (cms::parse / extend_cades do).
std::optional<Bytes> cms_der(ByteView input);

}  // namespace inkan::ades

namespace inkan::ades {

/// Validation of an archive-time-stamp-v3 (EN 319 122-1 §5.5.3): the message imprint `token` (an ATSv3
/// found among SignerInfo `index`'s unsigned attributes of `cms`) must carry, recomputed from the
/// token's own ats-hash-index-v3 and the CMS as it is now: H(eContentType || H(content) || the
/// SignerInfo without unsignedAttrs || the index), with `alg` the token imprint's algorithm and
/// `content_hash` = H(signed content) under `alg`. Every certificate, CRL and unsigned attribute value
/// the index lists must still be in the CMS (later additions are allowed). nullopt when the token has
/// no hash index, an indexed item is gone, or something does not parse.
std::optional<Bytes> archive_time_stamp_v3_imprint(ByteView cms, std::size_t index, ByteView token,
                                                   crypto::DigestAlgorithm alg, ByteView content_hash);

}  // namespace inkan::ades
