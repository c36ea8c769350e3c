#include "cades_lt.h"

#include <algorithm>
#include <string>
#include <utility>

#include <inkan/ades/time_stamper.h>
#include <inkan/cms/signed_data.h>
#include <inkan/core/error.h>
#include <inkan/crypto/der.h>
#include <inkan/crypto/digest.h>
#include <inkan/pki/certificate.h>

namespace inkan::ades::detail {

namespace {

Bytes copy(ByteView v) {
    return Bytes{v.begin(), v.end()};
}

bool contains(const std::vector<Bytes>& all, const Bytes& item) {
    return std::find(all.begin(), all.end(), item) != all.end();
}

/// The sid of a SignerInfo (RFC 5652 §5.3) read from its signed part.
struct Sid {
    Bytes issuer;  ///< Name DER
    Bytes serial;  ///< magnitude
    std::optional<Bytes> subject_key_identifier;
};

Sid read_sid(ByteView signed_part) {
    der::Reader r{signed_part};
    (void)r.read_integer();
    const der::Tlv sid = r.next();
    Sid out;
    if (sid.is_universal(der::tag::Sequence)) {
        der::Reader ias = r.enter(sid);
        out.issuer = copy(ias.expect(der::Class::Universal, der::tag::Sequence).whole);
        out.serial = ias.read_integer_unsigned();
    } else if (sid.is_context(0) && !sid.constructed) {
        out.subject_key_identifier = copy(sid.content);
    } else {
        throw Error{Errc::InvalidEncoding,
                    "cades: a SignerInfo sid is neither issuerAndSerialNumber nor SKI"};
    }
    return out;
}

/// The plain X.509 certificates among CertificateChoices (the others are skipped).
std::vector<pki::Certificate> certificates_of(const std::vector<Bytes>& choices) {
    std::vector<pki::Certificate> out;
    for (const auto& c : choices) {
        if (!c.empty() && c[0] == 0x30) out.push_back(pki::Certificate::from_der(c));
    }
    return out;
}

std::optional<pki::Certificate> find_certificate(const Sid& sid, const std::vector<pki::Certificate>& pool) {
    for (const auto& c : pool) {
        if (sid.subject_key_identifier) {
            if (c.subject_key_identifier() == sid.subject_key_identifier) return c;
        } else if (c.issuer_der() == sid.issuer && c.serial() == sid.serial) {
            return c;
        }
    }
    return std::nullopt;
}

bool self_issued(const pki::Certificate& c) {
    return c.subject_der() == c.issuer_der();
}

/// `leaf` and its issuers found in `pool` (by name and signature), up to a self-issued one. A missing
/// issuer ends the chain; the fetcher looks it up at the AIA caIssuers URL.
std::vector<Bytes> build_chain(const pki::Certificate& leaf, const std::vector<pki::Certificate>& pool) {
    std::vector<Bytes> chain{leaf.der()};
    pki::Certificate current = leaf;
    while (!self_issued(current) && chain.size() < 16) {
        const auto issuer = std::find_if(pool.begin(), pool.end(), [&](const pki::Certificate& c) {
            return c.subject_der() == current.issuer_der() && !contains(chain, c.der()) &&
                   current.signed_by(c.public_key());
        });
        if (issuer == pool.end()) break;
        chain.push_back(issuer->der());
        current = *issuer;
    }
    return chain;
}

/// The time-stamp tokens in a SignerInfo's unsigned attributes (signature-time-stamps and
/// archive-time-stamp-v3s, EN 319 122-1 §5.3 / §5.5.3).
std::vector<Bytes> tokens_of(const SignedDataParts::Signer& signer) {
    std::vector<Bytes> tokens;
    for (const auto& a : signer.unsigned_attributes) {
        const AttributeParts attr = read_attribute(a);
        if (attr.type != cms::oid::kSignatureTimeStampToken && attr.type != kArchiveTimeStampV3) continue;
        for (const auto& v : attr.values)
            tokens.push_back(v);
    }
    return tokens;
}

std::string oid_of_algorithm(ByteView algorithm_identifier) {
    der::Reader r{algorithm_identifier};
    der::Reader seq = r.sequence();
    return seq.read_oid();
}

}  // namespace

SignedDataParts read_parts(ByteView content_info_der) {
    der::Reader top{content_info_der};
    der::Reader ci = top.sequence();
    top.expect_end();
    const std::string type = ci.read_oid();
    require(type == cms::oid::kSignedData, Errc::InvalidEncoding,
            "cades: ContentInfo is " + type + ", not id-signedData");
    der::Reader explicit_content = ci.context(0);
    ci.expect_end();
    der::Reader sd = explicit_content.sequence();
    explicit_content.expect_end();

    SignedDataParts parts;
    parts.version = static_cast<int>(sd.read_integer());
    der::Reader digests = sd.set();
    while (!digests.empty())
        parts.digest_algorithms.push_back(
            copy(digests.expect(der::Class::Universal, der::tag::Sequence).whole));
    const der::Tlv encap_tlv = sd.expect(der::Class::Universal, der::tag::Sequence);
    parts.encap_content_info = copy(encap_tlv.whole);
    der::Reader encap = sd.enter(encap_tlv);
    parts.content_type = copy(encap.expect(der::Class::Universal, der::tag::Oid).whole);
    if (auto econtent = encap.optional_context(0)) {
        parts.content = econtent->read_octet_string();
        econtent->expect_end();
    }
    encap.expect_end();
    if (auto certs = sd.optional_context(0)) {
        while (!certs->empty())
            parts.certificates.push_back(copy(certs->next().whole));
    }
    if (auto crls = sd.optional_context(1)) {
        while (!crls->empty())
            parts.crls.push_back(copy(crls->next().whole));
    }
    der::Reader infos = sd.set();
    sd.expect_end();
    while (!infos.empty()) {
        const der::Tlv si_tlv = infos.expect(der::Class::Universal, der::tag::Sequence);
        der::Reader si = infos.enter(si_tlv);
        const std::size_t start = si.offset();
        // version, sid, digestAlgorithm, [0] signedAttrs OPTIONAL, signatureAlgorithm, signature
        (void)si.expect(der::Class::Universal, der::tag::Integer);
        (void)si.next();
        (void)si.expect(der::Class::Universal, der::tag::Sequence);
        (void)si.optional(der::Class::Context, 0);
        (void)si.expect(der::Class::Universal, der::tag::Sequence);
        (void)si.expect(der::Class::Universal, der::tag::OctetString);
        const std::size_t end = si.offset();
        SignedDataParts::Signer signer;
        signer.signed_part = copy(si_tlv.content.subspan(0, end - start));
        if (auto unsigned_attrs = si.optional_context(1)) {
            while (!unsigned_attrs->empty()) {
                const der::Tlv a = unsigned_attrs->expect(der::Class::Universal, der::tag::Sequence);
                signer.unsigned_attributes.push_back(copy(a.whole));
            }
        }
        si.expect_end();
        parts.signers.push_back(std::move(signer));
    }
    return parts;
}

Bytes write_parts(const SignedDataParts& parts) {
    int version = parts.version;
    const bool other = std::any_of(parts.crls.begin(), parts.crls.end(),
                                   [](const Bytes& c) { return !c.empty() && c[0] == 0xA1; }) ||
                       std::any_of(parts.certificates.begin(), parts.certificates.end(),
                                   [](const Bytes& c) { return !c.empty() && c[0] == 0xA3; });
    if (other) version = 5;  // RFC 5652 §5.1: any `other` choice
    der::Writer w;
    w.sequence([&](der::Writer& ci) {
        ci.oid(cms::oid::kSignedData);
        ci.context(0, [&](der::Writer& e) {
            e.sequence([&](der::Writer& sd) {
                sd.integer(version);
                sd.set_of(parts.digest_algorithms);
                sd.raw(parts.encap_content_info);
                if (!parts.certificates.empty()) sd.set_of(der::Class::Context, 0, parts.certificates);
                if (!parts.crls.empty()) sd.set_of(der::Class::Context, 1, parts.crls);
                sd.set([&](der::Writer& infos) {
                    for (const auto& s : parts.signers) {
                        infos.sequence([&](der::Writer& si) {
                            si.raw(s.signed_part);
                            if (!s.unsigned_attributes.empty()) {
                                si.set_of(der::Class::Context, 1, s.unsigned_attributes);
                            }
                        });
                    }
                });
            });
        });
    });
    return w.take();
}

AttributeParts read_attribute(ByteView attribute_der) {
    der::Reader r{attribute_der};
    der::Reader seq = r.sequence();
    r.expect_end();
    AttributeParts out;
    const der::Tlv type = seq.expect(der::Class::Universal, der::tag::Oid);
    out.type_tlv = copy(type.whole);
    out.type = crypto::decode_oid_content(type.content);
    der::Reader values = seq.set();
    seq.expect_end();
    while (!values.empty())
        out.values.push_back(copy(values.next().whole));
    return out;
}

std::vector<ChainToCover> chains_to_cover(const SignedDataParts& parts) {
    std::vector<pki::Certificate> pool = certificates_of(parts.certificates);
    std::vector<std::pair<SignedDataParts, std::size_t>> tokens;  // (token, signer it belongs to)
    for (std::size_t i = 0; i < parts.signers.size(); ++i) {
        for (const auto& t : tokens_of(parts.signers[i])) {
            SignedDataParts token = read_parts(t);
            for (auto& c : certificates_of(token.certificates))
                pool.push_back(std::move(c));
            tokens.emplace_back(std::move(token), i);
        }
    }
    std::vector<ChainToCover> out;
    for (std::size_t i = 0; i < parts.signers.size(); ++i) {
        const auto leaf = find_certificate(read_sid(parts.signers[i].signed_part), pool);
        require(leaf.has_value(), Errc::InvalidRequest,
                "cades: the certificate of SignerInfo " + std::to_string(i) + " is not in the CMS");
        out.push_back({build_chain(*leaf, pool), true});
    }
    for (const auto& [token, signer] : tokens) {
        require(!token.signers.empty(), Errc::InvalidEncoding, "cades: a time-stamp token has no SignerInfo");
        const auto leaf = find_certificate(read_sid(token.signers.front().signed_part), pool);
        require(leaf.has_value(), Errc::InvalidRequest,
                "cades: the TSA certificate of a time-stamp token of SignerInfo " + std::to_string(signer) +
                    " is not in the token or the CMS");
        out.push_back({build_chain(*leaf, pool), false});
    }
    return out;
}

Bytes add_validation_data(ByteView content_info_der, pki::RevocationFetcher& fetcher, bool refuse_revoked,
                          pki::ValidationData* collected, std::optional<TimePoint> issued_after) {
    SignedDataParts parts = read_parts(content_info_der);
    const auto chains = chains_to_cover(parts);
    std::vector<Bytes> pool_der;
    for (const auto& c : chains) {
        for (const auto& d : c.chain) {
            if (!contains(pool_der, d)) pool_der.push_back(d);
        }
    }
    pki::ValidationData data;
    for (const auto& c : chains) {
        pki::ValidationData one = fetcher.collect(c.chain, pool_der, issued_after);
        if (c.signer && refuse_revoked) {
            for (const auto& [cert, status] : one.statuses) {
                if (cert == c.chain.front() && status == pki::CertStatus::Revoked) {
                    throw Error{Errc::Conflict, "cades: the signer certificate (" +
                                                    pki::Certificate::from_der(cert).subject() +
                                                    ") is revoked"};
                }
            }
        }
        data.merge(one);
    }
    // EN 319 122-1 §5.5.1 (ades.md §2.1 B-LT): certificates into SignedData.certificates; CRLs as
    // CertificateList and OCSP responses as other [1] { id-ri-ocsp-response, OCSPResponse } (RFC 5940
    // §2.2.1, the full response) into SignedData.crls. Elements already there are not repeated.
    for (const auto& c : data.certificates) {
        if (!contains(parts.certificates, c)) parts.certificates.push_back(c);
    }
    for (const auto& c : data.crls) {
        if (!contains(parts.crls, c)) parts.crls.push_back(c);
    }
    for (const auto& o : data.ocsp_responses) {
        der::Writer w;
        w.context(1, [&](der::Writer& other) {
            other.oid(kIdRiOcspResponse);
            other.raw(o);
        });
        Bytes choice = w.take();
        if (!contains(parts.crls, choice)) parts.crls.push_back(std::move(choice));
    }
    if (collected != nullptr) *collected = data;
    return write_parts(parts);
}

Bytes ats_hash_index_v3(const SignedDataParts& parts, std::size_t index, crypto::DigestAlgorithm alg) {
    require(index < parts.signers.size(), Errc::InvalidRequest,
            "cades: no SignerInfo " + std::to_string(index));
    der::Writer w;
    w.sequence([&](der::Writer& s) {
        // Written even for SHA-256 (the DEFAULT), as DSS does (ades.md §2.2 step 2).
        s.raw(crypto::digest_algorithm_identifier(alg));
        s.sequence([&](der::Writer& certs) {
            for (const auto& c : parts.certificates)
                certs.octet_string(crypto::digest(alg, c));
        });
        s.sequence([&](der::Writer& crls) {
            // An `other` choice is hashed with its [1] tag, as it is stored (step 4).
            for (const auto& c : parts.crls)
                crls.octet_string(crypto::digest(alg, c));
        });
        s.sequence([&](der::Writer& values) {
            // One entry per attribute value: H(attrType TLV || value TLV) (step 5).
            for (const auto& a : parts.signers[index].unsigned_attributes) {
                const AttributeParts attr = read_attribute(a);
                for (const auto& v : attr.values) {
                    crypto::Hasher h{alg};
                    h.update(attr.type_tlv);
                    h.update(v);
                    values.octet_string(h.finish());
                }
            }
        });
    });
    return w.take();
}

Bytes archive_imprint_input(const SignedDataParts& parts, std::size_t index, ByteView content_hash,
                            ByteView hash_index) {
    Bytes input = parts.content_type;
    input.insert(input.end(), content_hash.begin(), content_hash.end());
    const Bytes& signed_part = parts.signers.at(index).signed_part;
    input.insert(input.end(), signed_part.begin(), signed_part.end());
    input.insert(input.end(), hash_index.begin(), hash_index.end());
    return input;
}

Bytes add_archive_time_stamp(ByteView content_info_der, std::size_t index, crypto::DigestAlgorithm alg,
                             ByteView content_hash, TimeStamper& stamper) {
    require(alg != crypto::DigestAlgorithm::Sha1, Errc::InvalidRequest,
            "cades: an archive-time-stamp-v3 needs SHA-256 or stronger");
    require(content_hash.size() == crypto::digest_length(alg), Errc::InvalidRequest,
            "cades: the content hash has the wrong length for " + std::string{crypto::spec(alg).name});
    SignedDataParts parts = read_parts(content_info_der);
    const Bytes hash_index = ats_hash_index_v3(parts, index, alg);
    const Bytes imprint = crypto::digest(alg, archive_imprint_input(parts, index, content_hash, hash_index));
    const Bytes token = stamper.stamp(alg, imprint);

    // The index goes into the token's own SignerInfo as an unsigned attribute (outside the TSA's
    // signature, EN 319 122-1 §5.5.2).
    SignedDataParts token_parts = read_parts(token);
    require(!token_parts.signers.empty(), Errc::InvalidEncoding,
            "cades: the time-stamp token has no SignerInfo");
    token_parts.signers.front().unsigned_attributes.push_back(
        cms::encode_attribute({std::string{kAtsHashIndexV3}, {hash_index}}));
    const Bytes indexed_token = write_parts(token_parts);

    parts.signers[index].unsigned_attributes.push_back(
        cms::encode_attribute({std::string{kArchiveTimeStampV3}, {indexed_token}}));
    // Recommended (ades.md §2.2 step 9); digestAlgorithms is outside every hash.
    const std::string alg_oid = oid_of_algorithm(crypto::digest_algorithm_identifier(alg));
    const bool listed = std::any_of(parts.digest_algorithms.begin(), parts.digest_algorithms.end(),
                                    [&](const Bytes& d) { return oid_of_algorithm(d) == alg_oid; });
    if (!listed) parts.digest_algorithms.push_back(crypto::digest_algorithm_identifier(alg));
    return write_parts(parts);
}

}  // namespace inkan::ades::detail

namespace inkan::ades {

std::optional<Bytes> archive_time_stamp_v3_imprint(ByteView cms, std::size_t index, ByteView token,
                                                   crypto::DigestAlgorithm alg, ByteView content_hash) {
    try {
        const detail::SignedDataParts parts = detail::read_parts(cms);
        if (index >= parts.signers.size()) return std::nullopt;
        const detail::SignedDataParts token_parts = detail::read_parts(token);
        if (token_parts.signers.empty()) return std::nullopt;
        std::optional<Bytes> hash_index;
        for (const auto& a : token_parts.signers.front().unsigned_attributes) {
            const detail::AttributeParts attr = detail::read_attribute(a);
            if (attr.type == detail::kAtsHashIndexV3 && attr.values.size() == 1)
                hash_index = attr.values.front();
        }
        if (!hash_index) return std::nullopt;
        // The index's own algorithm (DEFAULT SHA-256) hashes its entries.
        der::Reader top{*hash_index};
        der::Reader idx = top.sequence();
        top.expect_end();
        crypto::DigestAlgorithm index_alg = crypto::DigestAlgorithm::Sha256;
        {
            const auto first = idx.peek();
            if (first && first->is_universal(der::tag::Sequence)) {
                der::Reader probe = idx.enter(*first);
                const auto inner = probe.peek();
                if (inner && inner->is_universal(der::tag::Oid)) {
                    const std::string oid = probe.read_oid();
                    const auto d = crypto::digest_from_oid(oid);
                    if (!d) return std::nullopt;
                    index_alg = *d;
                    (void)idx.next();
                }
            }
        }
        const auto all_present = [&](der::Reader list, const std::vector<Bytes>& have) {
            std::vector<Bytes> hashes;
            for (const auto& h : have)
                hashes.push_back(crypto::digest(index_alg, h));
            while (!list.empty()) {
                const Bytes want = list.read_octet_string();
                if (std::find(hashes.begin(), hashes.end(), want) == hashes.end()) return false;
            }
            return true;
        };
        if (!all_present(idx.sequence(), parts.certificates)) return std::nullopt;
        if (!all_present(idx.sequence(), parts.crls)) return std::nullopt;
        std::vector<Bytes> values;
        for (const auto& a : parts.signers[index].unsigned_attributes) {
            const detail::AttributeParts attr = detail::read_attribute(a);
            for (const auto& v : attr.values) {
                Bytes joined = attr.type_tlv;
                joined.insert(joined.end(), v.begin(), v.end());
                values.push_back(std::move(joined));
            }
        }
        if (!all_present(idx.sequence(), values)) return std::nullopt;
        idx.expect_end();
        return crypto::digest(alg, detail::archive_imprint_input(parts, index, content_hash, *hash_index));
    } catch (const Error&) {
        return std::nullopt;
    }
}

}  // namespace inkan::ades
