#include <inkan/ades/cades.h>

#include <array>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <inkan/ades/time_stamper.h>
#include <inkan/cms/signed_data.h>
#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/crypto/der.h>
#include <inkan/crypto/digest.h>

#include "cades_lt.h"
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

/// Reads `in` to the end in 64 KiB chunks into every hasher.
void hash_stream(std::istream& in, std::vector<crypto::Hasher>& hashers) {
    std::array<char, 64 * 1024> buffer{};
    while (in) {
        in.read(buffer.data(), buffer.size());
        const auto n = in.gcount();
        if (n > 0) {
            const ByteView chunk{reinterpret_cast<const std::uint8_t*>(buffer.data()),
                                 static_cast<std::size_t>(n)};
            for (auto& h : hashers)
                h.update(chunk);
        }
    }
    require(!in.bad(), Errc::IoFailure, "cades: reading the content failed");
}

std::string digest_name(crypto::DigestAlgorithm alg) {
    return std::string{crypto::spec(alg).name};
}

}  // namespace

CadesExtendInput CadesExtendInput::encapsulated() {
    return {};
}

CadesExtendInput CadesExtendInput::detached(std::istream& content) {
    CadesExtendInput c;
    c.kind = Kind::Detached;
    c.stream = &content;
    return c;
}

CadesExtendInput CadesExtendInput::detached_digest(crypto::DigestAlgorithm alg, Bytes digest) {
    CadesExtendInput c;
    c.kind = Kind::DetachedDigest;
    c.digest_algorithm = alg;
    c.digest = std::move(digest);
    return c;
}

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
    require(options.level == Level::BB || options.time_stamper != nullptr, Errc::InvalidRequest,
            "cades: " + std::string{name(options.level)} + " needs a time stamper");
    const bool long_term = options.level == Level::BLT || options.level == Level::BLTA;
    require(!long_term || options.revocation != nullptr, Errc::InvalidRequest,
            "cades: " + std::string{name(options.level)} + " needs a revocation fetcher");
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
            std::vector<crypto::Hasher> hashers;
            hashers.emplace_back(alg.digest);
            hash_stream(*content.stream, hashers);
            spec.detached_digest = hashers.front().finish();
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
    if (options.level != Level::BB) {
        signed_data = add_signature_time_stamp(signed_data, *options.time_stamper);
    }
    if (long_term) {
        // After the signature-time-stamp, so the revocation data is issued after it (ades.md §2.1).
        pki::ValidationData used;
        signed_data = detail::add_validation_data(signed_data, *options.revocation, options.refuse_revoked,
                                                  &used, detail::clock_of(options.clock).now());
        if (options.level == Level::BLTA) {
            // The ATSv3 hashes the content with the signature's digest algorithm, which a detached
            // digest was made with (ades.md §2.2 step 6b).
            const Bytes content_hash =
                spec.content ? crypto::digest(alg.digest, *spec.content) : *spec.detached_digest;
            signed_data = detail::add_archive_time_stamp(signed_data, 0, alg.digest, content_hash,
                                                         *options.time_stamper);
        }
        if (options.validation_used != nullptr) *options.validation_used = std::move(used);
    }
    return signed_data;
}

Bytes extend_cades(ByteView cms, const CadesExtendInput& content, pki::RevocationFetcher& fetcher,
                   TimeStamper& stamper, const CadesExtendOptions& options) {
    detail::SignedDataParts parts;
    try {
        parts = detail::read_parts(cms);
    } catch (const Error& e) {
        throw Error{Errc::InvalidEncoding,
                    std::string{"cades: the CMS to extend does not parse: "} + e.what()};
    }
    require(!parts.signers.empty(), Errc::InvalidRequest, "cades: the CMS to extend has no SignerInfo");
    // EN 319 122-1 §5.5.3: with an ATS v1/v2 or a long-term-validation attribute present, new
    // validation material would have to go inside the latest archive time-stamp token, not the root.
    for (const auto& s : parts.signers) {
        for (const auto& a : s.unsigned_attributes) {
            const auto type = detail::read_attribute(a).type;
            require(type != "1.2.840.113549.1.9.16.2.27" && type != "1.2.840.113549.1.9.16.2.48" &&
                        type != "0.4.0.1733.2.2",
                    Errc::InvalidRequest,
                    "cades: the CMS holds an older archive form (" + type +
                        "); only archive-time-stamp-v3 chains can be extended");
        }
    }

    const crypto::DigestAlgorithm archive =
        options.archive_digest
            ? *options.archive_digest
            : (content.kind == CadesExtendInput::Kind::DetachedDigest ? content.digest_algorithm
                                                                      : crypto::DigestAlgorithm::Sha256);
    require(archive != crypto::DigestAlgorithm::Sha1, Errc::InvalidRequest,
            "cades: an archive-time-stamp-v3 needs SHA-256 or stronger");

    // H(signed content) for the ATSv3, checked against each signer's message-digest where the
    // algorithm allows, so a wrong detached content is refused rather than time-stamped.
    const cms::SignedData parsed = cms::parse(cms);
    Bytes content_hash;
    switch (content.kind) {
        case CadesExtendInput::Kind::Encapsulated: {
            require(parts.content.has_value(), Errc::InvalidRequest,
                    "cades: the CMS is detached: pass its content or its digest");
            content_hash = crypto::digest(archive, *parts.content);
            break;
        }
        case CadesExtendInput::Kind::Detached: {
            require(!parts.content.has_value(), Errc::InvalidRequest,
                    "cades: the CMS encapsulates its content: pass CadesExtendInput::encapsulated()");
            require(content.stream != nullptr, Errc::InvalidRequest, "cades: no content stream");
            std::vector<crypto::Hasher> hashers;
            hashers.emplace_back(archive);
            for (const auto& si : parsed.signer_infos)
                hashers.emplace_back(si.digest_algorithm);
            hash_stream(*content.stream, hashers);
            content_hash = hashers.front().finish();
            for (std::size_t i = 0; i < parsed.signer_infos.size(); ++i) {
                require(hashers[i + 1].finish() == parsed.signer_infos[i].message_digest(),
                        Errc::InvalidRequest,
                        "cades: the content does not match the message-digest of SignerInfo " +
                            std::to_string(i));
            }
            break;
        }
        case CadesExtendInput::Kind::DetachedDigest: {
            require(!parts.content.has_value(), Errc::InvalidRequest,
                    "cades: the CMS encapsulates its content: pass CadesExtendInput::encapsulated()");
            require(content.digest_algorithm == archive, Errc::InvalidRequest,
                    "cades: the content was hashed with " + digest_name(content.digest_algorithm) +
                        ", the archive-time-stamp-v3 uses " + digest_name(archive));
            require(content.digest.size() == crypto::digest_length(archive), Errc::InvalidRequest,
                    "cades: the digest has the wrong length for " + digest_name(archive));
            for (std::size_t i = 0; i < parsed.signer_infos.size(); ++i) {
                const auto& si = parsed.signer_infos[i];
                require(
                    si.digest_algorithm != archive || si.message_digest() == content.digest,
                    Errc::InvalidRequest,
                    "cades: the digest does not match the message-digest of SignerInfo " + std::to_string(i));
            }
            content_hash = content.digest;
            break;
        }
    }

    Bytes out{cms.begin(), cms.end()};
    // B-B → B-T first: the validation data then covers the new token's TSA too.
    for (std::size_t i = 0; i < parsed.signer_infos.size(); ++i) {
        if (parsed.signer_infos[i].unsigned_attribute(cms::oid::kSignatureTimeStampToken) == nullptr) {
            out = add_signature_time_stamp(out, stamper, i);
        }
    }
    // No ATS v1/v2 here, so the material (including the TSA chains of earlier ATSv3s) goes into the
    // root certificates / crls (EN 319 122-1 §5.5.3, first strategy).
    pki::ValidationData used;
    out = detail::add_validation_data(out, fetcher, options.refuse_revoked, &used);
    for (std::size_t i = 0; i < parsed.signer_infos.size(); ++i) {
        out = detail::add_archive_time_stamp(out, i, archive, content_hash, stamper);
    }
    if (options.validation_used != nullptr) *options.validation_used = std::move(used);
    return out;
}

std::optional<Bytes> cms_der(ByteView input) {
    if (!input.empty() && input[0] == 0x30) {
        return Bytes{input.begin(), input.end()};
    }
    const std::string_view text{reinterpret_cast<const char*>(input.data()), input.size()};
    for (const std::string_view label : {"CMS", "PKCS7", "PKCS #7 SIGNED DATA"}) {
        const std::string begin = "-----BEGIN " + std::string{label} + "-----";
        const auto at = text.find(begin);
        if (at == std::string_view::npos) {
            continue;
        }
        const std::string end = "-----END " + std::string{label} + "-----";
        const auto stop = text.find(end, at);
        require(stop != std::string_view::npos, Errc::InvalidEncoding,
                "cades: PEM " + std::string{label} + " block without its END line");
        std::string body;
        for (const char c : text.substr(at + begin.size(), stop - at - begin.size())) {
            if (c != '\n' && c != '\r' && c != ' ' && c != '\t') {
                body.push_back(c);
            }
        }
        try {
            return base64_decode(body);
        } catch (const Error&) {
            throw Error{Errc::InvalidEncoding,
                        "cades: the PEM " + std::string{label} + " block is not base64"};
        }
    }
    return std::nullopt;
}

}  // namespace inkan::ades
