#include <inkan/ades/cades.h>

#include <array>
#include <string>
#include <utility>

#include <inkan/ades/time_stamper.h>
#include <inkan/cms/signed_data.h>
#include <inkan/core/error.h>
#include <inkan/crypto/der.h>
#include <inkan/crypto/digest.h>

#include "common.h"

namespace inkan::ades {

namespace {

constexpr std::string_view kCmsAlgorithmProtection = "1.2.840.113549.1.9.52";

/// CMSAlgorithmProtection (RFC 6211 §2): the SignerInfo's digestAlgorithm and signatureAlgorithm,
/// byte for byte as the builder writes them, the latter as [1] IMPLICIT. Binding them into the
/// signed attributes stops an algorithm substitution.
cms::Attribute algorithm_protection(const crypto::SignatureAlgorithm& alg) {
    Bytes signature_alg = crypto::algorithm_identifier(alg);
    signature_alg[0] = 0xA1;  // SEQUENCE → [1] IMPLICIT (constructed)
    der::Writer w;
    w.sequence([&](der::Writer& s) {
        s.raw(crypto::digest_algorithm_identifier(alg.digest));
        s.raw(signature_alg);
    });
    return {std::string{kCmsAlgorithmProtection}, {w.take()}};
}

}  // namespace

CadesContent CadesContent::enveloping(Bytes content) {
    CadesContent c;
    c.kind = Kind::Enveloping;
    c.bytes = std::move(content);
    return c;
}

CadesContent CadesContent::detached(std::istream& content) {
    CadesContent c;
    c.kind = Kind::Detached;
    c.stream = &content;
    return c;
}

CadesContent CadesContent::detached_digest(crypto::DigestAlgorithm alg, Bytes digest) {
    CadesContent c;
    c.kind = Kind::DetachedDigest;
    c.digest_algorithm = alg;
    c.bytes = std::move(digest);
    return c;
}

Bytes sign_cades(const CadesContent& content, sign::Signer& signer, const CadesOptions& options) {
    const std::vector<Bytes> chain = signer.certificate_chain();
    require(!chain.empty(), Errc::InvalidRequest, "cades: the signer has no certificate");
    require(options.level == Level::BB || options.level == Level::BT, Errc::InvalidRequest,
            "cades: " + std::string{name(options.level)} + " is not implemented yet (B-B and B-T are)");
    require(options.level == Level::BB || options.time_stamper != nullptr, Errc::InvalidRequest,
            "cades: B-T needs a time stamper");
    const crypto::SignatureAlgorithm alg = detail::choose_algorithm(options.algorithm, signer.public_key());

    cms::SignedDataSpec spec;
    spec.content_type = std::string{cms::oid::kData};  // EN 319 122-1 §5.2.2
    spec.algorithm = alg;
    spec.signer_certificate = chain.front();
    spec.certificates = chain;
    switch (content.kind) {
        case CadesContent::Kind::Enveloping:
            spec.content = content.bytes;
            break;
        case CadesContent::Kind::Detached: {
            require(content.stream != nullptr, Errc::InvalidRequest, "cades: no content stream");
            crypto::Hasher hasher{alg.digest};
            std::array<char, 64 * 1024> buffer{};
            while (*content.stream) {
                content.stream->read(buffer.data(), buffer.size());
                const auto n = content.stream->gcount();
                if (n > 0) {
                    hasher.update(
                        {reinterpret_cast<const std::uint8_t*>(buffer.data()), static_cast<std::size_t>(n)});
                }
            }
            require(!content.stream->bad(), Errc::IoFailure, "cades: reading the content failed");
            spec.detached_digest = hasher.finish();
            break;
        }
        case CadesContent::Kind::DetachedDigest:
            require(content.digest_algorithm == alg.digest, Errc::InvalidRequest,
                    "cades: the content was hashed with " +
                        std::string{crypto::spec(content.digest_algorithm).name} + ", the signature uses " +
                        std::string{crypto::spec(alg.digest).name});
            require(
                content.bytes.size() == crypto::digest_length(alg.digest), Errc::InvalidRequest,
                "cades: the digest has the wrong length for " + std::string{crypto::spec(alg.digest).name});
            spec.detached_digest = content.bytes;
            break;
    }
    // EN 319 122-1 §5.2.1: exactly one signing-time; §5.2.2.3: signing-certificate-v2.
    spec.signed_attributes.push_back(cms::signing_time_attribute(detail::clock_of(options.clock).now()));
    spec.signed_attributes.push_back(
        cms::signing_certificate_v2_attribute(chain.front(), detail::ess_hash(alg)));
    spec.signed_attributes.push_back(algorithm_protection(alg));
    if (!options.commitment_type.empty()) {
        spec.signed_attributes.push_back(cms::commitment_type_attribute(options.commitment_type));
    }
    Bytes signed_data = cms::sign(spec, signer);
    if (options.level == Level::BT) {
        signed_data = add_signature_time_stamp(signed_data, *options.time_stamper);
    }
    return signed_data;
}

}  // namespace inkan::ades
