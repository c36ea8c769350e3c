// Extension of XAdES signatures (EN 319 132-1 §5.3, §5.5; TS 101 903 v1.4.1 §8): new unsigned signature
// properties are built in a parsed copy of the document, serialised alone, and spliced into the original
// bytes at the end of xades:UnsignedSignatureProperties (found through the parser's byte offsets). The
// document is never re-serialised as a whole, so every signed byte stays as it was — libxml2's writer
// would otherwise normalise attribute quotes, empty elements, character references and the declaration
// of a document someone else signed. Each step parses the spliced result again, so what the next
// time-stamp covers is exactly what a verifier will read.

#include <algorithm>
#include <string>

#include <libxml/tree.h>

#include <inkan/ades/time_stamper.h>
#include <inkan/cms/signed_data.h>
#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>
#include <inkan/crypto/random.h>
#include <inkan/tsp/codec.h>
#include <inkan/xades/xades.h>

#include "document.h"

namespace inkan::xades {

using detail::sv;
using detail::xc;

namespace {

bool is_element(const xmlNode* n, std::string_view ns, std::string_view local) {
    return n != nullptr && n->type == XML_ELEMENT_NODE && n->ns != nullptr && sv(n->ns->href) == ns &&
           sv(n->name) == local;
}

void collect_signatures(xmlNode* node, std::vector<xmlNode*>& out) {
    for (xmlNode* n = node; n != nullptr; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) continue;
        if (is_element(n, ns::kDs, "Signature")) {
            out.push_back(n);  // a signature inside it (a counter-signature) is not top-level
            continue;
        }
        collect_signatures(n->children, out);
    }
}

std::string text_of(xmlNode* n) {
    xmlChar* t = xmlNodeGetContent(n);
    std::string out{sv(t)};
    xmlFree(t);
    return out;
}

Bytes base64_of(xmlNode* n) {
    std::string compact;
    for (const char c : text_of(n)) {
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') compact.push_back(c);
    }
    return base64_decode(compact);
}

void descendants(xmlNode* node, std::string_view ns, std::string_view local, std::vector<xmlNode*>& out) {
    for (xmlNode* n = node != nullptr ? node->children : nullptr; n != nullptr; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) continue;
        if (is_element(n, ns, local)) out.push_back(n);
        descendants(n, ns, local, out);
    }
}

std::vector<Bytes> values_under(xmlNode* node, std::string_view ns, std::string_view local) {
    std::vector<xmlNode*> found;
    descendants(node, ns, local, found);
    std::vector<Bytes> out;
    for (xmlNode* n : found)
        out.push_back(base64_of(n));
    return out;
}

/// One parse of the current bytes, and the signature being extended in it.
struct Parsed {
    detail::DocPtr doc;
    detail::Offsets offsets;
    xmlNode* signature = nullptr;
    xmlNode* qp = nullptr;   ///< xades:QualifyingProperties
    xmlNode* up = nullptr;   ///< xades:UnsignedProperties, if present
    xmlNode* usp = nullptr;  ///< xades:UnsignedSignatureProperties, if present
};

Parsed open(ByteView xml, std::size_t index, const std::string& id, const ParseLimits& limits) {
    Parsed p;
    p.doc = detail::parse(xml, limits, &p.offsets);
    if (!id.empty()) {
        p.signature = detail::find_signature(p.doc.get(), id);
    } else {
        std::vector<xmlNode*> all;
        collect_signatures(xmlDocGetRootElement(p.doc.get()), all);
        require(index < all.size(), Errc::InvalidEncoding, "xades: the document holds no ds:Signature");
        p.signature = all[index];
    }
    std::vector<xmlNode*> qps;
    for (xmlNode* o : detail::child_elements(p.signature, ns::kDs, "Object")) {
        for (xmlNode* q : detail::child_elements(o, ns::kXades, "QualifyingProperties"))
            qps.push_back(q);
    }
    require(
        !qps.empty(), Errc::InvalidEncoding,
        "xades: the signature has no xades:QualifyingProperties (XML-DSig without XAdES cannot be extended)");
    require(qps.size() == 1, Errc::InvalidEncoding,
            "xades: the signature has more than one QualifyingProperties");
    p.qp = qps.front();
    p.up = detail::child_element(p.qp, ns::kXades, "UnsignedProperties");
    p.usp = detail::child_element(p.up, ns::kXades, "UnsignedSignatureProperties");
    return p;
}

/// A new element under `parent`, in namespace `href`: the prefix in scope for it there, else declared on
/// the element itself with `prefix`.
xmlNode* add(xmlDoc* doc, xmlNode* parent, std::string_view href, const char* prefix, const char* name,
             std::string_view text = {}) {
    xmlNode* n = xmlNewDocNode(doc, nullptr, xc(name), nullptr);
    require(n != nullptr, Errc::Internal, "xades: out of memory");
    xmlAddChild(parent, n);
    const std::string h{href};
    xmlNs* found = xmlSearchNsByHref(doc, n, xc(h.c_str()));
    if (found == nullptr) found = xmlNewNs(n, xc(h.c_str()), xc(prefix));
    xmlSetNs(n, found);
    if (!text.empty()) {
        const std::string t{text};
        xmlNodeAddContent(n, xc(t.c_str()));
    }
    return n;
}

std::string qname(const xmlNode* n) {
    return n->ns != nullptr && n->ns->prefix != nullptr
               ? std::string{sv(n->ns->prefix)} + ":" + std::string{sv(n->name)}
               : std::string{sv(n->name)};
}

std::string dump(xmlDoc* doc, xmlNode* n) {
    xmlBufferPtr buf = xmlBufferCreate();
    require(buf != nullptr, Errc::Internal, "xades: out of memory");
    xmlNodeDump(buf, doc, n, 0, 0);
    std::string out{reinterpret_cast<const char*>(xmlBufferContent(buf)),
                    static_cast<std::size_t>(xmlBufferLength(buf))};
    xmlBufferFree(buf);
    return out;
}

/// Builds new unsigned signature properties with `build(usp)` and splices their serialisation into
/// `cur` (creating UnsignedProperties / UnsignedSignatureProperties where missing). Returns the new bytes.
Bytes append_unsigned(ByteView cur, Parsed& p, const std::function<void(xmlDoc*, xmlNode*)>& build) {
    xmlDoc* doc = p.doc.get();
    xmlNode* anchor = nullptr;  // the existing element the text goes into
    bool at_start = false;      // right after its start tag (else before its end tag)
    std::vector<xmlNode*> fresh;
    xmlNode* usp = p.usp;
    if (usp != nullptr) {
        anchor = usp;
        xmlNode* last = usp->last;
        build(doc, usp);
        for (xmlNode* n = last != nullptr ? last->next : usp->children; n != nullptr; n = n->next)
            fresh.push_back(n);
    } else if (p.up != nullptr) {
        // UnsignedSignatureProperties comes first in UnsignedProperties (TS 101 903 §7.1 schema).
        anchor = p.up;
        at_start = true;
        xmlNode* first = p.up->children;
        usp = add(doc, p.up, ns::kXades, "xades", "UnsignedSignatureProperties");
        if (first != nullptr) {
            xmlUnlinkNode(usp);
            xmlAddPrevSibling(first, usp);
        }
        build(doc, usp);
        fresh.push_back(usp);
    } else {
        anchor = p.qp;
        xmlNode* up = add(doc, p.qp, ns::kXades, "xades", "UnsignedProperties");
        usp = add(doc, up, ns::kXades, "xades", "UnsignedSignatureProperties");
        build(doc, usp);
        fresh.push_back(up);
    }
    std::string text;
    for (xmlNode* n : fresh)
        text += dump(doc, n);

    const auto it = p.offsets.find(anchor);
    require(it != p.offsets.end(), Errc::Internal,
            "xades: the parser did not report where " + qname(anchor) + " is");
    const detail::ElementOffsets off = it->second;
    auto byte = [&](std::size_t at) { return at < cur.size() ? static_cast<char>(cur[at]) : '\0'; };
    require(off.end > 0 && byte(off.end - 1) == '>' &&
                (byte(off.start_tag_close) == '>' || byte(off.start_tag_close) == '/'),
            Errc::UnsupportedAlgorithm,
            "xades: cannot locate " + qname(anchor) +
                " in the document's bytes (its encoding is not supported "
                "for extension)");
    Bytes out;
    out.reserve(cur.size() + text.size() + 64);
    auto put = [&](std::size_t from, std::size_t to) {
        out.insert(out.end(), cur.begin() + static_cast<std::ptrdiff_t>(from),
                   cur.begin() + static_cast<std::ptrdiff_t>(to));
    };
    if (byte(off.start_tag_close) == '/') {
        // <x .../> becomes <x ...>new</x>.
        put(0, off.start_tag_close);
        append(out, as_bytes(">" + text + "</" + qname(anchor) + ">"));
        put(off.start_tag_close + 2, cur.size());
    } else if (at_start) {
        put(0, off.start_tag_close + 1);
        append(out, as_bytes(text));
        put(off.start_tag_close + 1, cur.size());
    } else {
        std::size_t end_tag = off.end - 1;
        while (end_tag > off.start_tag_close && byte(end_tag) != '<')
            --end_tag;
        require(byte(end_tag) == '<' && byte(end_tag + 1) == '/', Errc::Internal,
                "xades: the end tag of " + qname(anchor) + " is not where the parser said");
        put(0, end_tag);
        append(out, as_bytes(text));
        put(end_tag, cur.size());
    }
    return out;
}

TimePoint gen_time(const Bytes& token) {
    const cms::SignedData tst = cms::parse(token);
    require(tst.content.has_value(), Errc::InvalidEncoding, "xades: a time-stamp token has no TSTInfo");
    return tsp::parse_tst_info(*tst.content).gen_time;
}

void add_time_stamp(xmlDoc* doc, xmlNode* usp, std::string_view href, const char* prefix, const char* name,
                    C14n c14n, const Bytes& token) {
    xmlNode* ts = add(doc, usp, href, prefix, name);
    xmlSetProp(ts, xc("Id"), xc(("xades-" + hex_encode(crypto::random_bytes(6)) + "-ts").c_str()));
    const std::string alg{uri(c14n)};
    xmlSetProp(add(doc, ts, ns::kDs, "ds", "CanonicalizationMethod"), xc("Algorithm"), xc(alg.c_str()));
    add(doc, ts, ns::kXades, "xades", "EncapsulatedTimeStamp", base64_encode(token));
}

/// CertificateValues and RevocationValues under `parent` with what `data` has that `present` does not.
void add_values(xmlDoc* doc, xmlNode* parent, const pki::ValidationData& data,
                const std::vector<Bytes>& present) {
    auto is_new = [&](const Bytes& b) {
        return std::find(present.begin(), present.end(), b) == present.end();
    };
    std::vector<Bytes> certs;
    for (const auto& c : data.certificates) {
        if (is_new(c)) certs.push_back(c);
    }
    std::vector<Bytes> crls;
    for (const auto& c : data.crls) {
        if (is_new(c)) crls.push_back(c);
    }
    std::vector<Bytes> ocsps;
    for (const auto& o : data.ocsp_responses) {
        if (is_new(o)) ocsps.push_back(o);
    }
    if (!certs.empty()) {
        xmlNode* v = add(doc, parent, ns::kXades, "xades", "CertificateValues");
        for (const auto& c : certs)
            add(doc, v, ns::kXades, "xades", "EncapsulatedX509Certificate", base64_encode(c));
    }
    if (!crls.empty() || !ocsps.empty()) {
        xmlNode* v = add(doc, parent, ns::kXades, "xades", "RevocationValues");
        if (!crls.empty()) {
            xmlNode* l = add(doc, v, ns::kXades, "xades", "CRLValues");
            for (const auto& c : crls)
                add(doc, l, ns::kXades, "xades", "EncapsulatedCRLValue", base64_encode(c));
        }
        if (!ocsps.empty()) {
            xmlNode* l = add(doc, v, ns::kXades, "xades", "OCSPValues");
            for (const auto& o : ocsps)
                add(doc, l, ns::kXades, "xades", "EncapsulatedOCSPValue", base64_encode(o));
        }
    }
}

/// Everything the signature already carries: KeyInfo certificates and every encapsulated value.
std::vector<Bytes> present_values(xmlNode* signature) {
    std::vector<Bytes> out = values_under(signature, ns::kDs, "X509Certificate");
    for (const char* name :
         {"EncapsulatedX509Certificate", "EncapsulatedCRLValue", "EncapsulatedOCSPValue"}) {
        for (auto& b : values_under(signature, ns::kXades, name))
            out.push_back(std::move(b));
    }
    return out;
}

/// The signer's certificate among KeyInfo's: the one SigningCertificateV2 (or SigningCertificate) names by
/// digest, else the first.
Bytes signer_certificate(xmlNode* signature, const std::vector<Bytes>& key_info) {
    require(!key_info.empty(), Errc::InvalidEncoding,
            "xades: the signature's KeyInfo has no X509Certificate (the signer's chain is needed for B-LT)");
    std::vector<xmlNode*> digests;
    descendants(signature, ns::kXades, "CertDigest", digests);
    for (xmlNode* d : digests) {
        xmlNode* method = detail::child_element(d, ns::kDs, "DigestMethod");
        xmlNode* value = detail::child_element(d, ns::kDs, "DigestValue");
        if (method == nullptr || value == nullptr) continue;
        xmlChar* a = xmlGetNoNsProp(method, xc("Algorithm"));
        const auto alg = digest_from_uri(sv(a));
        xmlFree(a);
        if (!alg) continue;
        const Bytes want = base64_of(value);
        for (const auto& c : key_info) {
            if (crypto::digest(*alg, c) == want) return c;
        }
    }
    return key_info.front();
}

void record(const XadesExtendOptions& o, const pki::ValidationData& d) {
    if (o.validation_used != nullptr) o.validation_used->merge(d);
}

void extend_one(Bytes& cur, std::size_t index, ades::TimeStamper& stamper, pki::RevocationFetcher* revocation,
                const XadesExtendOptions& o) {
    // B-T (§5.3): a SignatureTimeStamp over the canonicalised ds:SignatureValue element.
    {
        Parsed p = open(cur, index, o.signature_id, o.limits);
        if (p.usp == nullptr || detail::child_element(p.usp, ns::kXades, "SignatureTimeStamp") == nullptr) {
            xmlNode* value = detail::child_element(p.signature, ns::kDs, "SignatureValue");
            require(value != nullptr, Errc::InvalidEncoding, "xades: the signature has no ds:SignatureValue");
            const Bytes imprint = crypto::digest(o.digest, detail::canonicalize(p.doc.get(), value, o.c14n));
            const Bytes token = stamper.stamp(o.digest, imprint);
            cur = append_unsigned(cur, p, [&](xmlDoc* doc, xmlNode* usp) {
                add_time_stamp(doc, usp, ns::kXades, "xades", "SignatureTimeStamp", o.c14n, token);
            });
        }
    }
    if (o.level < ades::Level::BLT) return;
    // B-LT (§5.5.1, §5.5.2): the signer's and the signature time-stamps' validation data, once.
    {
        Parsed p = open(cur, index, o.signature_id, o.limits);
        const bool has_values = detail::child_element(p.usp, ns::kXades, "CertificateValues") != nullptr ||
                                detail::child_element(p.usp, ns::kXades, "RevocationValues") != nullptr;
        const bool has_archive = detail::child_element(p.usp, ns::kXades141, "ArchiveTimeStamp") != nullptr;
        if (!has_values && !has_archive) {
            std::vector<Bytes> key_info;
            if (xmlNode* ki = detail::child_element(p.signature, ns::kDs, "KeyInfo")) {
                key_info = values_under(ki, ns::kDs, "X509Certificate");
            }
            const Bytes signer = signer_certificate(p.signature, key_info);
            std::vector<Bytes> tokens;
            for (xmlNode* sts : detail::child_elements(p.usp, ns::kXades, "SignatureTimeStamp")) {
                for (auto& t : values_under(sts, ns::kXades, "EncapsulatedTimeStamp"))
                    tokens.push_back(std::move(t));
            }
            TimePoint after{};
            for (const auto& t : tokens)
                after = std::max(after, gen_time(t));
            pki::ValidationData data = revocation->collect({signer}, key_info, after);
            for (const auto& [cert, status] : data.statuses) {
                require(!(cert == signer && status == pki::CertStatus::Revoked && o.refuse_revoked),
                        Errc::Conflict, "xades: the signing certificate is revoked");
            }
            for (const auto& t : tokens)
                data.merge(revocation->collect(cms::parse(t).certificates, {}, gen_time(t)));
            record(o, data);
            cur = append_unsigned(cur, p,
                                  [&](xmlDoc* doc, xmlNode* usp) { add_values(doc, usp, data, key_info); });
        }
    }
    if (o.level < ades::Level::BLTA) return;
    // B-LTA (§5.5.2; TS 101 903 v1.4.1 §8.2): TimeStampValidationData for an archive time-stamp that has
    // none after it, the new ArchiveTimeStamp, then its own TimeStampValidationData.
    auto validation_for = [&](const Bytes& token) {
        Parsed p = open(cur, index, o.signature_id, o.limits);
        pki::ValidationData data = revocation->collect(cms::parse(token).certificates, {}, gen_time(token));
        record(o, data);
        const std::vector<Bytes> present = present_values(p.signature);
        cur = append_unsigned(cur, p, [&](xmlDoc* doc, xmlNode* usp) {
            xmlNode* tsvd = add(doc, usp, ns::kXades141, "xades141", "TimeStampValidationData");
            xmlSetProp(tsvd, xc("Id"),
                       xc(("xades-" + hex_encode(crypto::random_bytes(6)) + "-tsvd").c_str()));
            add_values(doc, tsvd, data, present);
        });
    };
    {
        Parsed p = open(cur, index, o.signature_id, o.limits);
        xmlNode* last = p.usp != nullptr ? p.usp->last : nullptr;
        while (last != nullptr && last->type != XML_ELEMENT_NODE)
            last = last->prev;
        if (is_element(last, ns::kXades141, "ArchiveTimeStamp")) {
            const auto tokens = values_under(last, ns::kXades, "EncapsulatedTimeStamp");
            require(tokens.size() == 1, Errc::InvalidEncoding,
                    "xades: an ArchiveTimeStamp without exactly one EncapsulatedTimeStamp");
            validation_for(tokens.front());
        }
    }
    Bytes token;
    {
        Parsed p = open(cur, index, o.signature_id, o.limits);
        crypto::Hasher hasher{o.digest};
        detail::archive_input(
            p.doc.get(), p.signature, nullptr, o.c14n, o.detached,
            [&](ByteView piece) { hasher.update(piece); }, o.limits);
        token = stamper.stamp(o.digest, hasher.finish());
        cur = append_unsigned(cur, p, [&](xmlDoc* doc, xmlNode* usp) {
            add_time_stamp(doc, usp, ns::kXades141, "xades141", "ArchiveTimeStamp", o.c14n, token);
        });
    }
    validation_for(token);
}

}  // namespace

bool looks_like_xml(ByteView data) {
    std::size_t i = 0;
    if (data.size() >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF) i = 3;
    while (i < data.size() && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        ++i;
    return i < data.size() && data[i] == '<';
}

Bytes extend_xades(ByteView xml, ades::TimeStamper& stamper, pki::RevocationFetcher* revocation,
                   const XadesExtendOptions& options) {
    require(options.level >= ades::Level::BT, Errc::InvalidRequest,
            "xades: extension adds B-T, B-LT or B-LTA; B-B is what signing makes");
    require(options.level < ades::Level::BLT || revocation != nullptr, Errc::InvalidRequest,
            "xades: B-LT and B-LTA need a revocation fetcher");
    require(!(xml.size() >= 2 && ((xml[0] == 0xFE && xml[1] == 0xFF) || (xml[0] == 0xFF && xml[1] == 0xFE))),
            Errc::InvalidRequest, "xades: a UTF-16 document cannot be extended in place");
    std::size_t count = 1;
    {
        auto doc = detail::parse(xml, options.limits);
        if (options.signature_id.empty()) {
            std::vector<xmlNode*> all;
            collect_signatures(xmlDocGetRootElement(doc.get()), all);
            require(!all.empty(), Errc::InvalidEncoding, "xades: the document holds no ds:Signature");
            count = all.size();
        } else {
            (void)detail::find_signature(doc.get(), options.signature_id);
        }
    }
    Bytes cur(xml.begin(), xml.end());
    for (std::size_t i = 0; i < count; ++i)
        extend_one(cur, i, stamper, revocation, options);
    return cur;
}

}  // namespace inkan::xades
