#include <inkan/cms/signed_data.h>

#include <algorithm>
#include <string>
#include <utility>

#include <inkan/core/error.h>
#include <inkan/crypto/der.h>
#include <inkan/crypto/digest.h>
#include <inkan/pki/certificate.h>

namespace inkan::cms {

namespace {

/// signatureAlgorithm of a SignerInfo. Besides crypto's table, the SHA-1 OIDs sha1WithRSAEncryption and
/// ecdsa-with-SHA1 (RFC 3279 §2.2.1, §2.2.3) are read: inkan never signs with them (crypto's table leaves
/// them out, so no signAlgo can ask for them), but a validator must judge legacy signatures (adbe.pkcs7.sha1)
/// and let its crypto policy decide, not fail to parse them.
crypto::SignatureAlgorithm read_signature_algorithm(const der::Tlv& sig_alg, crypto::DigestAlgorithm hint) {
    try {
        return crypto::parse_algorithm_identifier(sig_alg.whole, hint);
    } catch (const Error& e) {
        if (e.code() != Errc::UnsupportedAlgorithm) throw;
        der::Reader r{sig_alg.whole};
        der::Reader seq = r.sequence();
        const std::string oid = seq.read_oid();
        if (oid == "1.2.840.113549.1.1.5")
            return crypto::SignatureAlgorithm::rsa_pkcs1(crypto::DigestAlgorithm::Sha1);
        if (oid == "1.2.840.10045.4.1")
            return crypto::SignatureAlgorithm::ecdsa(crypto::DigestAlgorithm::Sha1);
        throw;
    }
}

Bytes tlv_bytes(ByteView whole) {
    return {whole.begin(), whole.end()};
}

/// An AlgorithmIdentifier of a digest: OID with parameters absent or NULL (RFC 5754 §2 accepts both).
crypto::DigestAlgorithm read_digest_algorithm(der::Reader& r) {
    der::Reader alg = r.sequence();
    const std::string oid = alg.read_oid();
    if (!alg.empty()) {
        alg.read_null();
    }
    alg.expect_end();
    const auto d = crypto::digest_from_oid(oid);
    if (!d) {
        throw Error{Errc::UnsupportedAlgorithm, "unknown digest algorithm " + oid};
    }
    return *d;
}

std::vector<Attribute> read_attributes(der::Reader set) {
    std::vector<Attribute> out;
    while (!set.empty()) {
        der::Reader attr = set.sequence();
        Attribute a;
        a.type = attr.read_oid();
        der::Reader values = attr.set();
        while (!values.empty()) {
            a.values.push_back(tlv_bytes(values.next().whole));
        }
        attr.expect_end();
        out.push_back(std::move(a));
    }
    return out;
}

const Bytes* first_value(const std::vector<Attribute>& attrs, std::string_view type) {
    for (const auto& a : attrs) {
        if (a.type == type && !a.values.empty()) {
            return &a.values.front();
        }
    }
    return nullptr;
}

/// The fields of one SignerInfo up to and including `signature` (raw), and its parsed form.
struct RawSignerInfo {
    Bytes signed_part;  // version .. signature, exactly as received
    SignerInfo info;
};

RawSignerInfo read_signer_info(der::Reader& infos) {
    const der::Tlv whole = infos.expect(der::Class::Universal, der::tag::Sequence);
    der::Reader si = infos.enter(whole);
    RawSignerInfo raw;
    SignerInfo& out = raw.info;
    const std::size_t start = si.offset();
    out.version = static_cast<int>(si.read_integer());
    const der::Tlv sid = si.next();
    if (sid.is_universal(der::tag::Sequence)) {
        der::Reader ias = si.enter(sid);
        out.issuer_der = tlv_bytes(ias.expect(der::Class::Universal, der::tag::Sequence).whole);
        out.serial = ias.read_integer_unsigned();
        ias.expect_end();
    } else if (sid.is_context(0) && !sid.constructed) {
        out.subject_key_identifier = Bytes{sid.content.begin(), sid.content.end()};
    } else {
        throw Error{Errc::InvalidEncoding, "cms: SignerInfo.sid is neither issuerAndSerialNumber nor [0]"};
    }
    out.digest_algorithm = read_digest_algorithm(si);
    if (const auto attrs = si.peek(); attrs && attrs->is_context(0)) {
        const der::Tlv t = si.next();
        out.signed_attributes_der = tlv_bytes(t.whole);
        out.signed_attributes = read_attributes(si.enter(t));
    }
    const der::Tlv sig_alg = si.expect(der::Class::Universal, der::tag::Sequence);
    out.signature_algorithm = read_signature_algorithm(sig_alg, out.digest_algorithm);
    out.signature = si.read_octet_string();
    const std::size_t end = si.offset();
    // The signed part (version .. signature), by offsets within the SignerInfo's own content.
    raw.signed_part =
        Bytes{whole.content.begin(), whole.content.begin() + static_cast<std::ptrdiff_t>(end - start)};
    if (auto unsigned_attrs = si.optional_context(1)) {
        out.unsigned_attributes = read_attributes(std::move(*unsigned_attrs));
    }
    si.expect_end();
    return raw;
}

struct RawSignedData {
    Bytes prefix;  // version .. crls, exactly as received
    SignedData data;
    std::vector<RawSignerInfo> signers;
};

RawSignedData read_content_info(ByteView content_info_der) {
    der::Reader top{content_info_der};
    der::Reader ci = top.sequence();
    top.expect_end();
    const std::string type = ci.read_oid();
    if (type != oid::kSignedData) {
        throw Error{Errc::InvalidEncoding, "cms: ContentInfo is " + type + ", not id-signedData"};
    }
    der::Reader explicit_content = ci.context(0);
    ci.expect_end();
    const der::Tlv sd_tlv = explicit_content.expect(der::Class::Universal, der::tag::Sequence);
    explicit_content.expect_end();
    der::Reader sd = explicit_content.enter(sd_tlv);
    RawSignedData raw;
    SignedData& out = raw.data;
    const std::size_t start = sd.offset();
    out.version = static_cast<int>(sd.read_integer());
    der::Reader digests = sd.set();
    while (!digests.empty()) {
        out.digest_algorithms.push_back(read_digest_algorithm(digests));
    }
    der::Reader encap = sd.sequence();
    out.content_type = encap.read_oid();
    if (auto econtent = encap.optional_context(0)) {
        out.content = econtent->read_octet_string();
        econtent->expect_end();
    }
    encap.expect_end();
    if (auto certs = sd.optional_context(0)) {
        while (!certs->empty()) {
            out.certificates.push_back(tlv_bytes(certs->next().whole));
        }
    }
    if (auto crls = sd.optional_context(1)) {
        while (!crls->empty()) {
            out.crls.push_back(tlv_bytes(crls->next().whole));
        }
    }
    const std::size_t prefix_end = sd.offset();
    raw.prefix = Bytes{sd_tlv.content.begin(),
                       sd_tlv.content.begin() + static_cast<std::ptrdiff_t>(prefix_end - start)};
    der::Reader infos = sd.set();
    while (!infos.empty()) {
        raw.signers.push_back(read_signer_info(infos));
        out.signer_infos.push_back(raw.signers.back().info);
    }
    sd.expect_end();
    return raw;
}

Bytes wrap_content_info(ByteView signed_data_content) {
    der::Writer w;
    w.sequence([&](der::Writer& ci) {
        ci.oid(oid::kSignedData);
        ci.context(
            0, [&](der::Writer& e) { e.sequence([&](der::Writer& sd) { sd.raw(signed_data_content); }); });
    });
    return w.take();
}

}  // namespace

Bytes encode_attribute(const Attribute& attribute) {
    der::Writer w;
    w.sequence([&](der::Writer& a) {
        a.oid(attribute.type);
        a.set_of(attribute.values);
    });
    return w.take();
}

Attribute signing_time_attribute(TimePoint t) {
    der::Writer w;
    w.x509_time(t);  // RFC 5652 §11.3 has the same UTCTime/GeneralizedTime rule as RFC 5280
    return {std::string{oid::kSigningTime}, {w.take()}};
}

Attribute signing_certificate_v2_attribute(ByteView certificate_der, crypto::DigestAlgorithm hash) {
    const pki::Certificate cert = pki::Certificate::from_der(certificate_der);
    der::Writer w;
    w.sequence([&](der::Writer& scv2) {
        scv2.sequence([&](der::Writer& certs) {
            certs.sequence([&](der::Writer& id) {
                if (hash != crypto::DigestAlgorithm::Sha256) {
                    id.raw(crypto::digest_algorithm_identifier(hash));
                }
                id.octet_string(crypto::digest(hash, cert.der()));
                id.sequence([&](der::Writer& issuer_serial) {
                    issuer_serial.sequence([&](der::Writer& general_names) {
                        // directoryName [4] EXPLICIT Name (RFC 5280 §4.2.1.6: GeneralName is a CHOICE,
                        // so its tags are explicit for Name).
                        general_names.context(4, [&](der::Writer& dn) { dn.raw(cert.issuer_der()); });
                    });
                    issuer_serial.integer_unsigned(cert.serial());
                });
            });
        });
    });
    return {std::string{oid::kSigningCertificateV2}, {w.take()}};
}

Attribute commitment_type_attribute(std::string_view commitment_oid) {
    der::Writer w;
    w.sequence([&](der::Writer& s) { s.oid(commitment_oid); });
    return {std::string{oid::kCommitmentTypeIndication}, {w.take()}};
}

Bytes sign(const SignedDataSpec& spec, sign::Signer& signer) {
    require(spec.content.has_value() != spec.detached_digest.has_value(), Errc::InvalidRequest,
            "cms: give either the content or the digest of detached content");
    const crypto::SignatureAlgorithm& alg = spec.algorithm;
    if (!signer.supports(alg)) {
        throw Error{Errc::UnsupportedAlgorithm,
                    "cms: " + std::string{crypto::name(alg)} + " does not fit the signing key"};
    }
    const Bytes content_digest =
        spec.content ? crypto::digest(alg.digest, *spec.content) : *spec.detached_digest;
    require(content_digest.size() == crypto::digest_length(alg.digest), Errc::InvalidRequest,
            "cms: the content digest has the wrong length for " + std::string{crypto::spec(alg.digest).name});
    const pki::Certificate cert = pki::Certificate::from_der(spec.signer_certificate);
    require(cert.public_key().same_key(signer.public_key()), Errc::InvalidRequest,
            "cms: the signer certificate is not for the signing key");

    // Signed attributes: DER SET OF, sorted by encoding (X.690 §11.6), never hand-ordered.
    std::vector<Bytes> attrs;
    {
        der::Writer ct;
        ct.oid(spec.content_type);
        attrs.push_back(encode_attribute({std::string{oid::kContentType}, {ct.take()}}));
        der::Writer md;
        md.octet_string(content_digest);
        attrs.push_back(encode_attribute({std::string{oid::kMessageDigest}, {md.take()}}));
    }
    for (const auto& a : spec.signed_attributes) {
        require(a.type != oid::kContentType && a.type != oid::kMessageDigest, Errc::InvalidRequest,
                "cms: content-type and message-digest are added by the builder");
        attrs.push_back(encode_attribute(a));
    }
    der::Writer signed_set;
    signed_set.set_of(attrs);
    Bytes signed_attrs = signed_set.take();  // tag 0x31: what is signed (RFC 5652 §5.4)
    const Bytes attrs_digest = crypto::digest(alg.digest, signed_attrs);
    const Bytes signature = signer.sign(alg, attrs_digest);
    if (!signer.public_key().verify_digest(alg, attrs_digest, signature)) {
        throw Error{Errc::CryptoFailure, "cms: the signer returned a signature its own key does not verify"};
    }
    signed_attrs[0] = 0xA0;  // stored as [0] IMPLICIT

    const Bytes digest_alg = crypto::digest_algorithm_identifier(alg.digest);
    der::Writer sd;
    // RFC 5652 §5.1: version 3 when eContentType is not id-data (no v2 attribute certificates or
    // "other" formats are written here).
    sd.integer(spec.content_type == oid::kData ? 1 : 3);
    sd.set([&](der::Writer& s) { s.raw(digest_alg); });
    sd.sequence([&](der::Writer& encap) {
        encap.oid(spec.content_type);
        if (spec.content) {
            encap.context(0, [&](der::Writer& e) { e.octet_string(*spec.content); });
        }
    });
    if (!spec.certificates.empty()) {
        // certificates [0] IMPLICIT CertificateSet, a SET OF: DER order (X.690 §11.6).
        sd.set_of(der::Class::Context, 0, spec.certificates);
    }
    sd.set([&](der::Writer& infos) {
        infos.sequence([&](der::Writer& si) {
            si.integer(1);
            si.sequence([&](der::Writer& ias) {
                ias.raw(cert.issuer_der());
                ias.integer_unsigned(cert.serial());
            });
            si.raw(digest_alg);
            si.raw(signed_attrs);
            si.raw(crypto::algorithm_identifier(alg));
            si.octet_string(signature);
            if (!spec.unsigned_attributes.empty()) {
                std::vector<Bytes> unsigned_attrs;
                for (const auto& a : spec.unsigned_attributes) {
                    unsigned_attrs.push_back(encode_attribute(a));
                }
                si.set_of(der::Class::Context, 1, std::move(unsigned_attrs));
            }
        });
    });
    return wrap_content_info(sd.take());
}

Bytes SignerInfo::signed_attributes_for_signature() const {
    require(!signed_attributes_der.empty(), Errc::InvalidEncoding,
            "cms: SignerInfo has no signed attributes");
    Bytes out = signed_attributes_der;
    out[0] = 0x31;
    return out;
}

const Bytes* SignerInfo::signed_attribute(std::string_view type) const {
    return first_value(signed_attributes, type);
}

const Bytes* SignerInfo::unsigned_attribute(std::string_view type) const {
    return first_value(unsigned_attributes, type);
}

Bytes SignerInfo::message_digest() const {
    const Bytes* v = signed_attribute(oid::kMessageDigest);
    require(v != nullptr, Errc::InvalidEncoding, "cms: no message-digest attribute");
    der::Reader r{*v};
    Bytes out = r.read_octet_string();
    r.expect_end();
    return out;
}

SignedData parse(ByteView content_info_der) {
    return read_content_info(content_info_der).data;
}

SignerInfo parse_signer_info(ByteView signer_info_der) {
    der::Reader r{signer_info_der};
    RawSignerInfo raw = read_signer_info(r);
    r.expect_end();
    return std::move(raw.info);
}

bool verify_signer(const SignedData& sd, std::size_t index, ByteView content_digest,
                   const crypto::PublicKey& key) {
    if (index >= sd.signer_infos.size()) {
        return false;
    }
    const SignerInfo& si = sd.signer_infos[index];
    try {
        const Bytes* ct = si.signed_attribute(oid::kContentType);
        if (ct == nullptr) {
            return false;
        }
        der::Reader r{*ct};
        if (r.read_oid() != sd.content_type) {
            return false;
        }
        if (!equal_constant_time(si.message_digest(), content_digest)) {
            return false;
        }
        if (si.signature_algorithm.digest != si.digest_algorithm) {
            return false;
        }
        const Bytes digest = crypto::digest(si.digest_algorithm, si.signed_attributes_for_signature());
        return key.verify_digest(si.signature_algorithm, digest, si.signature);
    } catch (const Error&) {
        return false;
    }
}

std::optional<Bytes> find_signer_certificate(const SignedData& sd, std::size_t index) {
    if (index >= sd.signer_infos.size()) {
        return std::nullopt;
    }
    const SignerInfo& si = sd.signer_infos[index];
    for (const auto& der : sd.certificates) {
        try {
            const pki::Certificate c = pki::Certificate::from_der(der);
            if (si.subject_key_identifier) {
                if (c.subject_key_identifier() == si.subject_key_identifier) {
                    return der;
                }
            } else if (c.issuer_der() == si.issuer_der && c.serial() == si.serial) {
                return der;
            }
        } catch (const Error&) {
            // Not an X.509 certificate (other CertificateChoices): not the signer's.
        }
    }
    return std::nullopt;
}

Bytes add_unsigned_attribute(ByteView content_info_der, std::size_t index, const Attribute& attribute) {
    RawSignedData raw = read_content_info(content_info_der);
    require(index < raw.signers.size(), Errc::InvalidRequest, "cms: no SignerInfo " + std::to_string(index));
    raw.signers[index].info.unsigned_attributes.push_back(attribute);
    der::Writer sd;
    sd.raw(raw.prefix);
    sd.set([&](der::Writer& infos) {
        for (const auto& s : raw.signers) {
            infos.sequence([&](der::Writer& si) {
                si.raw(s.signed_part);
                if (!s.info.unsigned_attributes.empty()) {
                    std::vector<Bytes> attrs;
                    for (const auto& a : s.info.unsigned_attributes) {
                        attrs.push_back(encode_attribute(a));
                    }
                    si.set_of(der::Class::Context, 1, std::move(attrs));
                }
            });
        }
    });
    return wrap_content_info(sd.take());
}

}  // namespace inkan::cms
