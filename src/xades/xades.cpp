#include <inkan/xades/xades.h>

#include <algorithm>
#include <cctype>
#include <string>

#include <libxml/tree.h>

#include <inkan/ades/time_stamper.h>
#include <inkan/cms/signed_data.h>
#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/crypto/der.h>
#include <inkan/crypto/digest.h>
#include <inkan/crypto/ecdsa.h>
#include <inkan/crypto/random.h>
#include <inkan/pki/certificate.h>
#include <inkan/tsp/codec.h>

#include "document.h"

namespace inkan::xades {

using detail::sv;
using detail::xc;

// ---- algorithm names ---------------------------------------------------------------------------

namespace {

struct DigestRow {
    crypto::DigestAlgorithm alg;
    std::string_view uri;
};
constexpr DigestRow kDigests[] = {
    {crypto::DigestAlgorithm::Sha256, "http://www.w3.org/2001/04/xmlenc#sha256"},
    {crypto::DigestAlgorithm::Sha384, "http://www.w3.org/2001/04/xmldsig-more#sha384"},
    {crypto::DigestAlgorithm::Sha512, "http://www.w3.org/2001/04/xmlenc#sha512"},
};

struct SignatureRow {
    crypto::Padding padding;
    crypto::DigestAlgorithm digest;
    std::string_view uri;
};
constexpr SignatureRow kSignatures[] = {
    {crypto::Padding::Pkcs1v15, crypto::DigestAlgorithm::Sha256,
     "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"},
    {crypto::Padding::Pkcs1v15, crypto::DigestAlgorithm::Sha384,
     "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"},
    {crypto::Padding::Pkcs1v15, crypto::DigestAlgorithm::Sha512,
     "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"},
    {crypto::Padding::Pss, crypto::DigestAlgorithm::Sha256,
     "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1"},
    {crypto::Padding::Pss, crypto::DigestAlgorithm::Sha384,
     "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1"},
    {crypto::Padding::Pss, crypto::DigestAlgorithm::Sha512,
     "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1"},
    {crypto::Padding::Ecdsa, crypto::DigestAlgorithm::Sha256,
     "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"},
    {crypto::Padding::Ecdsa, crypto::DigestAlgorithm::Sha384,
     "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"},
    {crypto::Padding::Ecdsa, crypto::DigestAlgorithm::Sha512,
     "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"},
};

}  // namespace

std::string_view digest_uri(crypto::DigestAlgorithm alg) {
    for (const auto& r : kDigests) {
        if (r.alg == alg) return r.uri;
    }
    throw Error{Errc::UnsupportedAlgorithm, "xades: no XML-DSig digest URI for " +
                                                std::string{crypto::spec(alg).name} +
                                                " (SHA-256, SHA-384, SHA-512 are used)"};
}

std::optional<crypto::DigestAlgorithm> digest_from_uri(std::string_view u) {
    for (const auto& r : kDigests) {
        if (r.uri == u) return r.alg;
    }
    return std::nullopt;
}

std::string_view signature_uri(const crypto::SignatureAlgorithm& alg) {
    if (alg.padding == crypto::Padding::Pss) {
        // RFC 6931 §2.3.10: the URI implies MGF1 with the same hash and a salt of the hash length.
        const bool implied = alg.pss && alg.pss->hash == alg.digest && alg.pss->mgf1_hash == alg.digest &&
                             alg.pss->salt_length == crypto::digest_length(alg.digest);
        require(implied, Errc::UnsupportedAlgorithm,
                "xades: RSASSA-PSS is written with the RFC 6931 URIs whose parameters are implied (MGF1 "
                "with the same hash, salt = hash length); other parameters are not supported");
    }
    for (const auto& r : kSignatures) {
        if (r.padding == alg.padding && r.digest == alg.digest) return r.uri;
    }
    throw Error{Errc::UnsupportedAlgorithm,
                "xades: no XML-DSig signature URI for " + std::string{crypto::name(alg)}};
}

std::optional<crypto::SignatureAlgorithm> signature_from_uri(std::string_view u) {
    for (const auto& r : kSignatures) {
        if (r.uri != u) continue;
        switch (r.padding) {
            case crypto::Padding::Pkcs1v15:
                return crypto::SignatureAlgorithm::rsa_pkcs1(r.digest);
            case crypto::Padding::Pss:
                return crypto::SignatureAlgorithm::rsa_pss(r.digest);
            case crypto::Padding::Ecdsa:
                return crypto::SignatureAlgorithm::ecdsa(r.digest);
        }
    }
    return std::nullopt;
}

std::string commitment::from_oid(std::string_view oid) {
    static constexpr std::pair<std::string_view, std::string_view> kMap[] = {
        {ades::commitment::kProofOfOrigin, kProofOfOrigin},
        {ades::commitment::kProofOfReceipt, kProofOfReceipt},
        {ades::commitment::kProofOfDelivery, kProofOfDelivery},
        {ades::commitment::kProofOfSender, kProofOfSender},
        {ades::commitment::kProofOfApproval, kProofOfApproval},
        {ades::commitment::kProofOfCreation, kProofOfCreation},
    };
    for (const auto& [o, u] : kMap) {
        if (o == oid) return std::string{u};
    }
    return "urn:oid:" + std::string{oid};
}

std::string_view name(Packaging p) {
    switch (p) {
        case Packaging::Enveloped:
            return "enveloped";
        case Packaging::Enveloping:
            return "enveloping";
        case Packaging::Detached:
            return "detached";
    }
    return "?";
}

std::optional<Packaging> packaging_from_name(std::string_view n) {
    std::string lower{n};
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
    for (auto p : {Packaging::Enveloped, Packaging::Enveloping, Packaging::Detached}) {
        if (name(p) == lower) return p;
    }
    return std::nullopt;
}

XadesContent XadesContent::enveloped(Bytes xml, std::string mime_type) {
    XadesContent c;
    c.packaging = Packaging::Enveloped;
    c.xml = std::move(xml);
    c.mime_type = std::move(mime_type);
    return c;
}

XadesContent XadesContent::enveloping(std::vector<EnvelopedData> objects) {
    XadesContent c;
    c.packaging = Packaging::Enveloping;
    c.objects = std::move(objects);
    return c;
}

XadesContent XadesContent::detached(std::vector<ExternalDocument> documents) {
    XadesContent c;
    c.packaging = Packaging::Detached;
    c.documents = std::move(documents);
    return c;
}

XadesContent XadesContent::detached_elements(Bytes xml, std::vector<std::string> ids, std::string mime_type) {
    XadesContent c;
    c.packaging = Packaging::Detached;
    c.xml = std::move(xml);
    c.element_ids = std::move(ids);
    c.mime_type = std::move(mime_type);
    return c;
}

// ---- building ----------------------------------------------------------------------------------

namespace {

/// One data reference before its digest is known.
struct DataRef {
    std::string id;   ///< ds:Reference/@Id, for DataObjectFormat/@ObjectReference
    std::string uri;  ///< ds:Reference/@URI
    std::string mime_type;
    enum class Kind { Document, Element, Object, External } kind = Kind::Document;
    xmlNode* target = nullptr;  ///< Element, Object
    Bytes digest;
    xmlNode* digest_value = nullptr;
};

/// A fresh Id that no attribute in the document uses ("xades-" + 12 hex digits; collisions with
/// the document's own Ids are checked, and every Id of one signature shares the stem).
bool id_used(xmlNode* node, std::string_view id) {
    for (xmlNode* n = node; n != nullptr; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) continue;
        for (xmlAttr* a = n->properties; a != nullptr; a = a->next) {
            const std::string_view an = sv(a->name);
            if (an == "Id" || an == "ID" || an == "id") {
                xmlChar* v = xmlNodeGetContent(reinterpret_cast<xmlNode*>(a));
                const bool same = sv(v) == id;
                xmlFree(v);
                if (same) return true;
            }
        }
        if (id_used(n->children, id)) return true;
    }
    return false;
}

class Builder {
public:
    Builder(xmlDoc* doc, xmlNs* ds) : m_doc{doc}, m_ds{ds} {}

    xmlNode* ds(xmlNode* parent, const char* name, std::string_view text = {}) {
        return child(parent, m_ds, name, text);
    }
    xmlNode* child(xmlNode* parent, xmlNs* ns, const char* name, std::string_view text = {}) {
        xmlNode* n = xmlNewDocNode(m_doc, ns, xc(name), nullptr);
        require(n != nullptr, Errc::Internal, "xades: out of memory");
        if (!text.empty()) {
            const std::string t{text};
            xmlNodeAddContent(n, xc(t.c_str()));  // escapes &, <, > as text
        }
        if (parent != nullptr) xmlAddChild(parent, n);
        return n;
    }
    static void attr(xmlNode* n, const char* name, std::string_view value) {
        const std::string v{value};
        xmlSetProp(n, xc(name), xc(v.c_str()));
    }
    static void set_text(xmlNode* n, std::string_view text) {
        const std::string t{text};
        xmlNodeSetContent(n, nullptr);
        xmlNodeAddContent(n, xc(t.c_str()));
    }

private:
    xmlDoc* m_doc;
    xmlNs* m_ds;
};

std::string signing_time(TimePoint t) {
    // xsd:dateTime in UTC with "Z" (EN 319 132-1 §5.2.1), whole seconds.
    std::string s = format_rfc3339(std::chrono::time_point_cast<std::chrono::seconds>(t));
    const auto dot = s.find('.');
    if (dot != std::string::npos) s = s.substr(0, dot) + "Z";
    return s;
}

/// DER IssuerSerial (RFC 5035 / EN 319 132-1 §5.2.2: IssuerSerialV2 is its base64): issuer as
/// GeneralNames { directoryName [4] } and the serial.
Bytes issuer_serial(const pki::Certificate& cert) {
    der::Writer w;
    w.sequence([&](der::Writer& is) {
        is.sequence([&](der::Writer& names) {
            names.context(4, [&](der::Writer& dn) { dn.raw(cert.issuer_der()); });
        });
        is.integer_unsigned(cert.serial());
    });
    return w.take();
}

Bytes external_digest(std::istream& in, crypto::DigestAlgorithm alg) {
    return crypto::digest(alg, in);
}

/// B-LT (EN 319 132-1 §5.5.1/§5.5.2): revocation data issued after the time-stamp for the signer chain
/// and the SignatureTimeStamp's TSA chain (the token's certificates), then CertificateValues with every
/// certificate not already in KeyInfo and RevocationValues with the OCSP responses and CRLs.
void add_validation_data(Builder& b, xmlNode* usp, xmlNs* xades_ns, const std::vector<Bytes>& chain,
                         const Bytes& token, const XadesOptions& options) {
    const cms::SignedData tst = cms::parse(token);
    require(tst.content.has_value(), Errc::InvalidEncoding, "xades: the time-stamp token has no TSTInfo");
    const TimePoint gen_time = tsp::parse_tst_info(*tst.content).gen_time;
    pki::ValidationData data = options.revocation->collect(chain, {}, gen_time);
    for (const auto& [cert, status] : data.statuses) {
        require(!(cert == chain.front() && status == pki::CertStatus::Revoked && options.refuse_revoked),
                Errc::Conflict, "xades: the signing certificate is revoked");
    }
    data.merge(options.revocation->collect(tst.certificates, {}, gen_time));
    if (options.validation_used != nullptr) options.validation_used->merge(data);
    std::vector<Bytes> extra;
    for (const auto& c : data.certificates) {
        if (std::find(chain.begin(), chain.end(), c) == chain.end()) extra.push_back(c);
    }
    if (!extra.empty()) {
        xmlNode* values = b.child(usp, xades_ns, "CertificateValues");
        for (const auto& c : extra)
            b.child(values, xades_ns, "EncapsulatedX509Certificate", base64_encode(c));
    }
    if (!data.crls.empty() || !data.ocsp_responses.empty()) {
        xmlNode* values = b.child(usp, xades_ns, "RevocationValues");
        if (!data.crls.empty()) {
            xmlNode* crls = b.child(values, xades_ns, "CRLValues");
            for (const auto& c : data.crls)
                b.child(crls, xades_ns, "EncapsulatedCRLValue", base64_encode(c));
        }
        if (!data.ocsp_responses.empty()) {
            xmlNode* ocsps = b.child(values, xades_ns, "OCSPValues");
            for (const auto& o : data.ocsp_responses) {
                b.child(ocsps, xades_ns, "EncapsulatedOCSPValue", base64_encode(o));
            }
        }
    }
}

}  // namespace

Bytes sign_xades(const XadesContent& content, sign::Signer& signer, const XadesOptions& options) {
    using detail::DocPtr;
    require(options.level < ades::Level::BLT || options.revocation != nullptr, Errc::InvalidRequest,
            "xades: B-LT and B-LTA need a revocation fetcher");
    require(!ades::has_signature_time_stamp(options.level) || options.time_stamper != nullptr,
            Errc::InvalidRequest, "xades: B-T needs a time stamper");
    const std::vector<Bytes> chain = signer.certificate_chain();
    require(!chain.empty(), Errc::InvalidRequest, "xades: the signer has no certificate");
    const pki::Certificate cert = pki::Certificate::from_der(chain.front());

    const crypto::SignatureAlgorithm alg =
        options.algorithm.value_or(sign::default_algorithm(signer.public_key()));
    require(signer.supports(alg), Errc::UnsupportedAlgorithm,
            "xades: the signer's key cannot make " + std::string{crypto::name(alg)});
    const std::string_view sig_uri = signature_uri(alg);
    const crypto::DigestAlgorithm dig = options.digest.value_or(alg.digest);
    const std::string_view dig_uri = digest_uri(dig);
    const std::string_view c14n_uri = uri(options.c14n);
    require(!with_comments(options.c14n), Errc::InvalidRequest,
            "xades: a #WithComments canonicalisation is not used for SignedInfo and references");

    // The document: parsed (enveloped, sibling elements) or new with ds:Signature as its root.
    DocPtr doc;
    std::vector<DataRef> refs;
    const bool in_document = content.packaging == Packaging::Enveloped ||
                             (content.packaging == Packaging::Detached && content.documents.empty());
    if (in_document) {
        require(!content.xml.empty(), Errc::InvalidRequest, "xades: no XML document to sign");
        doc = detail::parse(content.xml, options.limits);
    } else {
        doc.reset(xmlNewDoc(xc("1.0")));
        require(doc != nullptr, Errc::Internal, "xades: out of memory");
    }
    xmlNode* root = xmlDocGetRootElement(doc.get());

    // Ids: one random stem per signature, checked against the document's Ids.
    std::string stem;
    do {
        stem = "xades-" + hex_encode(crypto::random_bytes(6));
    } while (root != nullptr && id_used(root, stem));

    xmlNode* signature = xmlNewDocNode(doc.get(), nullptr, xc("Signature"), nullptr);
    xmlNs* ds = xmlNewNs(signature, xc(std::string{ns::kDs}.c_str()), xc("ds"));
    xmlSetNs(signature, ds);
    Builder b{doc.get(), ds};
    Builder::attr(signature, "Id", stem);

    switch (content.packaging) {
        case Packaging::Enveloped: {
            DataRef r;
            r.kind = DataRef::Kind::Document;
            r.uri = "";
            r.mime_type = content.mime_type;
            refs.push_back(std::move(r));
            xmlAddChild(root, signature);
            break;
        }
        case Packaging::Enveloping: {
            require(!content.objects.empty(), Errc::InvalidRequest,
                    "xades: nothing to sign (no data objects)");
            xmlDocSetRootElement(doc.get(), signature);
            break;
        }
        case Packaging::Detached: {
            if (!content.documents.empty()) {
                require(content.element_ids.empty(), Errc::InvalidRequest,
                        "xades: a detached signature signs external documents or elements of one document, "
                        "not both");
                for (const auto& d : content.documents) {
                    require(d.content != nullptr, Errc::InvalidRequest,
                            "xades: external document \"" + d.uri + "\" has no content");
                    require(!d.uri.empty() && d.uri.front() != '#', Errc::InvalidRequest,
                            "xades: an external document needs a URI that is not a fragment");
                    DataRef r;
                    r.kind = DataRef::Kind::External;
                    r.uri = d.uri;
                    r.mime_type = d.mime_type;
                    r.digest = external_digest(*d.content, dig);
                    refs.push_back(std::move(r));
                }
                xmlDocSetRootElement(doc.get(), signature);
            } else {
                require(!content.element_ids.empty(), Errc::InvalidRequest,
                        "xades: nothing to sign (no Id given)");
                for (const auto& id : content.element_ids) {
                    std::vector<xmlNode*> found;
                    detail::find_by_id(root, id, found);
                    require(!found.empty(), Errc::InvalidRequest, "xades: no element has Id \"" + id + "\"");
                    require(found.size() == 1, Errc::InvalidRequest,
                            "xades: " + std::to_string(found.size()) + " elements have Id \"" + id +
                                "\" (a reference must have exactly one target)");
                    DataRef r;
                    r.kind = DataRef::Kind::Element;
                    r.uri = "#" + id;
                    r.target = found.front();
                    r.mime_type = content.mime_type;
                    refs.push_back(std::move(r));
                }
                xmlNode* parent = refs.front().target->parent;
                require(parent != nullptr && parent->type == XML_ELEMENT_NODE, Errc::InvalidRequest,
                        "xades: the element to sign detached is the document element; sign it enveloped");
                for (const auto& r : refs) {
                    for (xmlNode* n = parent; n != nullptr; n = n->parent) {
                        require(n != r.target, Errc::InvalidRequest,
                                "xades: element \"" + r.uri.substr(1) +
                                    "\" contains the signature's place; sign it enveloped or pick sibling "
                                    "elements");
                    }
                }
                xmlAddChild(parent, signature);
            }
            break;
        }
    }

    // SignedInfo with the references (digests filled in below).
    xmlNode* signed_info = b.ds(signature, "SignedInfo");
    Builder::attr(b.ds(signed_info, "CanonicalizationMethod"), "Algorithm", c14n_uri);
    Builder::attr(b.ds(signed_info, "SignatureMethod"), "Algorithm", sig_uri);
    xmlNode* signature_value = b.ds(signature, "SignatureValue");
    Builder::attr(signature_value, "Id", stem + "-sigvalue");
    xmlNode* key_info = b.ds(signature, "KeyInfo");
    xmlNode* x509_data = b.ds(key_info, "X509Data");
    for (const auto& c : chain)
        b.ds(x509_data, "X509Certificate", base64_encode(c));

    // Enveloping data objects.
    if (content.packaging == Packaging::Enveloping) {
        std::size_t i = 0;
        for (const auto& o : content.objects) {
            const std::string object_id = stem + "-object-" + std::to_string(++i);
            xmlNode* object = b.ds(signature, "Object", base64_encode(o.data));
            Builder::attr(object, "Id", object_id);
            Builder::attr(object, "MimeType", o.mime_type);
            Builder::attr(object, "Encoding", ns::kBase64);
            DataRef r;
            r.kind = DataRef::Kind::Object;
            r.uri = "#" + object_id;
            r.target = object;
            r.mime_type = o.mime_type;
            r.digest = crypto::digest(dig, o.data);
            refs.push_back(std::move(r));
        }
    }

    std::size_t n = 0;
    for (auto& r : refs) {
        r.id = stem + "-ref-" + std::to_string(++n);
        xmlNode* ref = b.ds(signed_info, "Reference");
        Builder::attr(ref, "Id", r.id);
        Builder::attr(ref, "URI", r.uri);
        if (r.kind != DataRef::Kind::External) {
            xmlNode* transforms = b.ds(ref, "Transforms");
            if (r.kind == DataRef::Kind::Document) {
                Builder::attr(b.ds(transforms, "Transform"), "Algorithm", ns::kEnvelopedSignature);
            }
            if (r.kind == DataRef::Kind::Object) {
                // The object holds base64 text; the transform decodes it, so the digest is over the data.
                Builder::attr(b.ds(transforms, "Transform"), "Algorithm", ns::kBase64);
            } else {
                Builder::attr(b.ds(transforms, "Transform"), "Algorithm", c14n_uri);
            }
        }
        Builder::attr(b.ds(ref, "DigestMethod"), "Algorithm", dig_uri);
        r.digest_value = b.ds(ref, "DigestValue");
    }
    const std::string sp_id = stem + "-signedprops";
    xmlNode* sp_ref = b.ds(signed_info, "Reference");
    Builder::attr(sp_ref, "Type", ns::kSignedPropertiesType);
    Builder::attr(sp_ref, "URI", "#" + sp_id);
    Builder::attr(b.ds(b.ds(sp_ref, "Transforms"), "Transform"), "Algorithm", c14n_uri);
    Builder::attr(b.ds(sp_ref, "DigestMethod"), "Algorithm", dig_uri);
    xmlNode* sp_digest = b.ds(sp_ref, "DigestValue");

    // QualifyingProperties (EN 319 132-1 §4.3, §5.2).
    xmlNode* qp_object = b.ds(signature, "Object");
    xmlNode* qp = xmlNewDocNode(doc.get(), nullptr, xc("QualifyingProperties"), nullptr);
    xmlAddChild(qp_object, qp);
    xmlNs* xades_ns = xmlNewNs(qp, xc(std::string{ns::kXades}.c_str()), xc("xades"));
    xmlSetNs(qp, xades_ns);
    Builder::attr(qp, "Target", "#" + stem);
    xmlNode* sp = b.child(qp, xades_ns, "SignedProperties");
    Builder::attr(sp, "Id", sp_id);
    xmlNode* ssp = b.child(sp, xades_ns, "SignedSignatureProperties");
    const Clock& clock = options.clock != nullptr ? *options.clock : SystemClock::instance();
    b.child(ssp, xades_ns, "SigningTime", signing_time(clock.now()));
    {
        // SigningCertificateV2 (§5.2.2): the certificate's digest with the references' hash.
        xmlNode* cert_node = b.child(b.child(ssp, xades_ns, "SigningCertificateV2"), xades_ns, "Cert");
        xmlNode* cert_digest = b.child(cert_node, xades_ns, "CertDigest");
        Builder::attr(b.ds(cert_digest, "DigestMethod"), "Algorithm", dig_uri);
        b.ds(cert_digest, "DigestValue", base64_encode(crypto::digest(dig, cert.der())));
        b.child(cert_node, xades_ns, "IssuerSerialV2", base64_encode(issuer_serial(cert)));
    }
    if (!options.claimed_roles.empty()) {
        xmlNode* roles = b.child(b.child(ssp, xades_ns, "SignerRoleV2"), xades_ns, "ClaimedRoles");
        for (const auto& role : options.claimed_roles) {
            require(!role.empty() && is_valid_utf8(role), Errc::InvalidRequest,
                    "xades: a claimed role must be non-empty UTF-8");
            b.child(roles, xades_ns, "ClaimedRole", role);
        }
    }
    xmlNode* sdop = b.child(sp, xades_ns, "SignedDataObjectProperties");
    for (const auto& r : refs) {
        // One DataObjectFormat with a MimeType per signed data object (§5.2.4; ades.md §4.2).
        xmlNode* dof = b.child(sdop, xades_ns, "DataObjectFormat");
        Builder::attr(dof, "ObjectReference", "#" + r.id);
        b.child(dof, xades_ns, "MimeType", r.mime_type);
    }
    if (!options.commitment_type.empty()) {
        xmlNode* cti = b.child(sdop, xades_ns, "CommitmentTypeIndication");
        b.child(b.child(cti, xades_ns, "CommitmentTypeId"), xades_ns, "Identifier", options.commitment_type);
        b.child(cti, xades_ns, "AllSignedDataObjects");
    }

    // Digests, now that everything is where it stays: the data first, SignedProperties last (in its
    // final namespace context).
    for (auto& r : refs) {
        switch (r.kind) {
            case DataRef::Kind::Document:
                r.digest = detail::canonical_digest(doc.get(), nullptr, signature, options.c14n, dig);
                break;
            case DataRef::Kind::Element:
                r.digest = detail::canonical_digest(doc.get(), r.target, nullptr, options.c14n, dig);
                break;
            case DataRef::Kind::Object:
            case DataRef::Kind::External:
                break;  // hashed above
        }
        Builder::set_text(r.digest_value, base64_encode(r.digest));
    }
    Builder::set_text(sp_digest,
                      base64_encode(detail::canonical_digest(doc.get(), sp, nullptr, options.c14n, dig)));

    // The signature over the canonical SignedInfo (XMLDSig 1.1 §3.1.2).
    const Bytes si_digest =
        crypto::digest(alg.digest, detail::canonicalize(doc.get(), signed_info, options.c14n));
    Bytes value = signer.sign(alg, si_digest);
    if (alg.padding == crypto::Padding::Ecdsa) {
        const auto curve = signer.public_key().curve();
        require(curve.has_value(), Errc::Internal, "xades: an EC key without a curve");
        value = crypto::ecdsa_der_to_raw(value, crypto::spec(*curve).field_bytes);  // XMLDSig 1.1 §6.4.3
    }
    Builder::set_text(signature_value, base64_encode(value));

    if (ades::has_signature_time_stamp(options.level)) {
        // SignatureTimeStamp (§5.3): the imprint is the hash of the canonicalised ds:SignatureValue
        // element, with the canonicalisation named in the time-stamp's own CanonicalizationMethod.
        const C14n ts_c14n = C14n::Exclusive10;
        const Bytes imprint =
            crypto::digest(alg.digest, detail::canonicalize(doc.get(), signature_value, ts_c14n));
        const Bytes token = options.time_stamper->stamp(alg.digest, imprint);
        xmlNode* usp =
            b.child(b.child(qp, xades_ns, "UnsignedProperties"), xades_ns, "UnsignedSignatureProperties");
        xmlNode* sts = b.child(usp, xades_ns, "SignatureTimeStamp");
        Builder::attr(sts, "Id", stem + "-sigtst");
        Builder::attr(b.ds(sts, "CanonicalizationMethod"), "Algorithm", uri(ts_c14n));
        b.child(sts, xades_ns, "EncapsulatedTimeStamp", base64_encode(token));
        if (options.level >= ades::Level::BLT) {
            add_validation_data(b, usp, xades_ns, chain, token, options);
        }
    }
    Bytes out = detail::serialize(doc.get());
    if (options.level == ades::Level::BLTA) {
        // The archive time-stamp and its TimeStampValidationData, as extension adds them (extend.cpp): over
        // the serialised signature, parsed again, which is what every verifier will read.
        XadesExtendOptions lta;
        lta.level = ades::Level::BLTA;
        lta.signature_id = stem;
        lta.c14n = C14n::Exclusive10;
        lta.digest = alg.digest;
        lta.refuse_revoked = options.refuse_revoked;
        lta.validation_used = options.validation_used;
        lta.limits = options.limits;
        lta.limits.max_bytes = std::max(options.limits.max_bytes, out.size());
        for (const auto& d : content.documents)
            lta.detached.push_back(DetachedContent{d.uri, {}, d.content});
        out = extend_xades(out, *options.time_stamper, options.revocation, lta);
    }
    return out;
}

}  // namespace inkan::xades
