// Reading XML-DSig / XAdES signatures for the validator (decision 0025). The rules that make signature
// wrapping fail live here, next to the dereferencing they constrain: a same-document reference has
// exactly one target among every Id-like attribute of the document; a data reference may not point
// into another signature, nor into a ds:Object of a signature that is not enveloping; the
// SignedProperties a signature is judged by is the one its Type-ed reference selects, inside its own
// QualifyingProperties (Target = #its Id), and there is only one.

#include <inkan/xades/read.h>

#include <algorithm>
#include <map>
#include <string>

#include <libxml/tree.h>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>
#include <inkan/xades/xades.h>

#include "document.h"

namespace inkan::xades {

using detail::sv;
using detail::xc;

namespace {

constexpr std::string_view kExcC14nNs = "http://www.w3.org/2001/10/xml-exc-c14n#";
constexpr std::string_view kXmlNs = "http://www.w3.org/XML/1998/namespace";
constexpr std::string_view kCountersignedType = "http://uri.etsi.org/01903#CountersignedSignature";

bool is(const xmlNode* n, std::string_view ns, std::string_view name) {
    return n != nullptr && n->type == XML_ELEMENT_NODE && n->ns != nullptr && sv(n->ns->href) == ns &&
           sv(n->name) == name;
}

std::vector<xmlNode*> children(xmlNode* n, std::string_view ns, std::string_view name) {
    std::vector<xmlNode*> out;
    for (xmlNode* c = n != nullptr ? n->children : nullptr; c != nullptr; c = c->next) {
        if (is(c, ns, name)) out.push_back(c);
    }
    return out;
}

xmlNode* child(xmlNode* n, std::string_view ns, std::string_view name) {
    const auto all = children(n, ns, name);
    return all.empty() ? nullptr : all.front();
}

std::vector<xmlNode*> element_children(xmlNode* n) {
    std::vector<xmlNode*> out;
    for (xmlNode* c = n != nullptr ? n->children : nullptr; c != nullptr; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) out.push_back(c);
    }
    return out;
}

std::optional<std::string> attr(xmlNode* n, const char* name) {
    if (n == nullptr || xmlHasProp(n, xc(name)) == nullptr) return std::nullopt;
    xmlChar* v = xmlGetNoNsProp(n, xc(name));
    std::string out{sv(v)};
    xmlFree(v);
    return out;
}

std::string text(xmlNode* n) {
    xmlChar* v = xmlNodeGetContent(n);
    std::string out{sv(v)};
    xmlFree(v);
    return out;
}

/// base64Binary content: whitespace (line breaks of other writers) dropped, then decoded.
Bytes decode(const std::string& s) {
    std::string compact;
    compact.reserve(s.size());
    for (const char c : s) {
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') compact.push_back(c);
    }
    return base64_decode(compact);
}

/// Every element carrying an Id-like attribute (Id, ID, id without a namespace, and xml:id), by value.
/// XMLDSig leaves "which attribute is an ID" to the schema; the validator counts all of them, so
/// that a second element with the same value under any of these names makes the reference ambiguous.
void collect_ids(xmlNode* node, std::multimap<std::string, xmlNode*>& ids) {
    for (xmlNode* n = node; n != nullptr; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) continue;
        for (xmlAttr* a = n->properties; a != nullptr; a = a->next) {
            const std::string_view an = sv(a->name);
            const bool plain = a->ns == nullptr && (an == "Id" || an == "ID" || an == "id");
            const bool xml_id = a->ns != nullptr && sv(a->ns->href) == kXmlNs && an == "id";
            if (plain || xml_id) {
                xmlChar* v = xmlNodeGetContent(reinterpret_cast<xmlNode*>(a));
                ids.emplace(std::string{sv(v)}, n);
                xmlFree(v);
            }
        }
        collect_ids(n->children, ids);
    }
}

void collect_signatures(xmlNode* node, std::vector<xmlNode*>& out) {
    for (xmlNode* n = node; n != nullptr; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) continue;
        if (is(n, ns::kDs, "Signature")) out.push_back(n);
        collect_signatures(n->children, out);
    }
}

/// The nearest ds:Signature at or above `n`.
xmlNode* enclosing_signature(xmlNode* n) {
    for (; n != nullptr && n->type == XML_ELEMENT_NODE; n = n->parent) {
        if (is(n, ns::kDs, "Signature")) return n;
    }
    return nullptr;
}

bool is_ancestor(const xmlNode* ancestor, const xmlNode* n) {
    for (const xmlNode* p = n; p != nullptr; p = p->parent) {
        if (p == ancestor) return true;
    }
    return false;
}

struct Transform {
    enum class Kind { Enveloped, C14n, Base64 } kind;
    C14n method = C14n::Inclusive10;
    std::vector<std::string> prefixes;
};

/// The InclusiveNamespaces PrefixList of an exclusive C14N element, split.
std::vector<std::string> prefix_list(xmlNode* method_element) {
    std::vector<std::string> out;
    xmlNode* inc = child(method_element, kExcC14nNs, "InclusiveNamespaces");
    if (inc == nullptr) return out;
    const std::string list = attr(inc, "PrefixList").value_or("");
    std::size_t i = 0;
    while (i < list.size()) {
        while (i < list.size() && (list[i] == ' ' || list[i] == '\t' || list[i] == '\n' || list[i] == '\r'))
            ++i;
        std::size_t j = i;
        while (j < list.size() && !(list[j] == ' ' || list[j] == '\t' || list[j] == '\n' || list[j] == '\r'))
            ++j;
        if (j > i) out.push_back(list.substr(i, j - i));
        i = j;
    }
    return out;
}

/// The data a reference selects, between transforms (XMLDSig 1.1 §4.4.3.2): a node-set (a subtree
/// without comments, minus the enveloped signature) or octets.
struct Data {
    bool node_set = true;
    xmlNode* apex = nullptr;  ///< nullptr with node_set: the whole document
    xmlNode* excluded = nullptr;
    Bytes octets;
};

class Reader {
public:
    Reader(xmlDoc* doc, const std::vector<ExternalContent>& external, const ParseLimits& limits)
        : m_doc{doc}, m_root{xmlDocGetRootElement(doc)}, m_external{external}, m_limits{limits} {
        collect_ids(m_root, m_ids);
    }

    SignatureRead read(xmlNode* sig, const std::vector<xmlNode*>& all) {
        SignatureRead out;
        out.id = attr(sig, "Id").value_or("");
        // A counter-signature (EN 319 132-1 §5.2.7 / §5.4.1 xades:CounterSignature): its parent is the
        // signature whose unsigned properties hold it.
        for (xmlNode* p = sig->parent; p != nullptr && p->type == XML_ELEMENT_NODE; p = p->parent) {
            if (is(p, ns::kXades, "CounterSignature")) {
                xmlNode* parent_sig = enclosing_signature(p);
                const auto it = std::find(all.begin(), all.end(), parent_sig);
                if (it != all.end()) out.parent = static_cast<std::size_t>(it - all.begin());
                break;
            }
        }
        const auto fmt = [&](std::string why) { out.format_errors.push_back(std::move(why)); };

        // XMLDSig 1.1 §4.1: SignedInfo, SignatureValue, then KeyInfo and Objects.
        const auto kids = element_children(sig);
        xmlNode* signed_info = kids.size() > 0 && is(kids[0], ns::kDs, "SignedInfo") ? kids[0] : nullptr;
        xmlNode* signature_value =
            kids.size() > 1 && is(kids[1], ns::kDs, "SignatureValue") ? kids[1] : nullptr;
        if (signed_info == nullptr || signature_value == nullptr ||
            children(sig, ns::kDs, "SignedInfo").size() != 1 ||
            children(sig, ns::kDs, "SignatureValue").size() != 1) {
            fmt("ds:Signature does not start with one ds:SignedInfo and one ds:SignatureValue (XMLDSig "
                "§4.1)");
            return out;
        }
        m_signature_value = signature_value;
        m_reference_ids.clear();
        try {
            out.signature_value = decode(text(signature_value));
        } catch (const Error&) {
            fmt("ds:SignatureValue is not base64");
        }
        xmlNode* cm = child(signed_info, ns::kDs, "CanonicalizationMethod");
        const auto si_c14n = c14n_from_uri(attr(cm, "Algorithm").value_or(""));
        if (!si_c14n) {
            fmt("ds:SignedInfo's CanonicalizationMethod \"" + attr(cm, "Algorithm").value_or("") +
                "\" is not one of C14N 1.0, C14N 1.1, exclusive C14N");
        } else {
            const auto prefixes = prefix_list(cm);
            detail::canonicalize(
                m_doc, signed_info, nullptr, *si_c14n, with_comments(*si_c14n),
                [&](ByteView piece) { append(out.signed_info, piece); }, &prefixes);
        }
        out.signature_method = attr(child(signed_info, ns::kDs, "SignatureMethod"), "Algorithm").value_or("");
        out.algorithm = signature_from_uri(out.signature_method);
        if (xmlNode* key_info = child(sig, ns::kDs, "KeyInfo")) {
            for (xmlNode* x509 : children(key_info, ns::kDs, "X509Data")) {
                for (xmlNode* c : children(x509, ns::kDs, "X509Certificate")) {
                    try {
                        out.key_info_certificates.push_back(decode(text(c)));
                    } catch (const Error&) {
                        fmt("a ds:X509Certificate is not base64");
                    }
                }
            }
        }

        // References; the one of Type SignedProperties must select this signature's own.
        xmlNode* signed_properties = nullptr;
        std::size_t sp_refs = 0;
        for (xmlNode* ref : children(signed_info, ns::kDs, "Reference")) {
            xmlNode* target = nullptr;
            ReferenceResult r = reference(ref, sig, target);
            if (r.type == ns::kSignedPropertiesType) {
                ++sp_refs;
                if (r.status == ReferenceStatus::Ok || r.status == ReferenceStatus::DigestMismatch) {
                    std::string why;
                    if (!own_signed_properties(target, sig, out.id, why)) {
                        r.status = ReferenceStatus::Refused;
                        r.error = why;
                    } else {
                        signed_properties = target;
                    }
                }
            }
            out.references.push_back(std::move(r));
            if (const auto id = attr(ref, "Id")) m_reference_ids.push_back(*id);
        }
        if (out.references.empty()) fmt("ds:SignedInfo has no ds:Reference (XMLDSig §4.4.3)");

        // EN 319 132-1 §4.3: one QualifyingProperties, in a ds:Object of this signature; its
        // SignedProperties is signed through a Reference of Type http://uri.etsi.org/01903#SignedProperties.
        std::vector<xmlNode*> qps;
        for (xmlNode* o : children(sig, ns::kDs, "Object")) {
            for (xmlNode* q : children(o, ns::kXades, "QualifyingProperties"))
                qps.push_back(q);
        }
        std::size_t sp_count = 0;
        count_signed_properties(sig, sig, sp_count);
        out.qualifying_properties = !qps.empty() || sp_count > 0 || sp_refs > 0;
        if (qps.size() > 1) {
            fmt(std::to_string(qps.size()) +
                " xades:QualifyingProperties in one signature (EN 319 132-1 §4.3 allows one)");
        }
        if (sp_count > 1) {
            fmt(std::to_string(sp_count) +
                " xades:SignedProperties in one signature: only the signed one may exist (a copy in an "
                "unsigned place is refused)");
        }
        if (out.qualifying_properties && sp_refs == 0) {
            fmt("xades:SignedProperties is not referenced by a ds:Reference of Type " +
                std::string{ns::kSignedPropertiesType} + " (EN 319 132-1 §6.3)");
        }
        if (sp_refs > 1) fmt("more than one ds:Reference of Type SignedProperties");
        if (signed_properties != nullptr && qps.size() == 1 && sp_count == 1 && sp_refs == 1) {
            out.signed_properties_signed = true;
            read_properties(signed_properties, out);
        }
        return out;
    }

private:
    /// XMLDSig 1.1 §4.4.3 dereferencing and transforms, and the digest comparison.
    ReferenceResult reference(xmlNode* ref, xmlNode* sig, xmlNode*& target) {
        ReferenceResult r;
        r.type = attr(ref, "Type").value_or("");
        const auto uri = attr(ref, "URI");
        r.uri = uri.value_or("");
        const auto refuse = [&](ReferenceStatus s, std::string why) {
            r.status = s;
            r.error = "ds:Reference URI=\"" + r.uri + "\": " + std::move(why);
            return r;
        };
        xmlNode* dm = child(ref, ns::kDs, "DigestMethod");
        const std::string dm_uri = attr(dm, "Algorithm").value_or("");
        const auto alg = digest_from_uri(dm_uri);
        if (!alg)
            return refuse(ReferenceStatus::Unsupported,
                          "digest algorithm \"" + dm_uri + "\" is not supported");
        Bytes claimed;
        try {
            claimed = decode(text(child(ref, ns::kDs, "DigestValue")));
        } catch (const Error&) {
            return refuse(ReferenceStatus::Refused, "DigestValue is not base64");
        }

        std::vector<Transform> transforms;
        if (xmlNode* ts = child(ref, ns::kDs, "Transforms")) {
            for (xmlNode* t : element_children(ts)) {
                const std::string a = attr(t, "Algorithm").value_or("");
                if (!is(t, ns::kDs, "Transform"))
                    return refuse(ReferenceStatus::Refused, "ds:Transforms holds something else");
                if (a == ns::kEnvelopedSignature) {
                    transforms.push_back({Transform::Kind::Enveloped, {}, {}});
                } else if (a == ns::kBase64) {
                    transforms.push_back({Transform::Kind::Base64, {}, {}});
                } else if (const auto m = c14n_from_uri(a)) {
                    transforms.push_back({Transform::Kind::C14n, *m, prefix_list(t)});
                } else {
                    // XPath filters and XSLT select or rewrite what is signed; they are the means of
                    // most wrapping attacks and of denial of service, and no baseline needs them.
                    return refuse(ReferenceStatus::Refused,
                                  "transform \"" + a +
                                      "\" is refused (allowed: enveloped-signature, C14N 1.0/1.1, "
                                      "exclusive C14N, base64)");
                }
            }
        }

        Data data;
        if (!uri) {
            return refuse(ReferenceStatus::NotFound,
                          "a reference without URI names no data the validator can find");
        }
        if (r.uri.empty()) {
            data.node_set = true;  // the whole document, comments removed (§4.4.3.3)
        } else if (r.uri.front() == '#') {
            const std::string id = r.uri.substr(1);
            if (id.rfind("xpointer(", 0) == 0) {
                return refuse(ReferenceStatus::Refused,
                              "XPointer references are refused (bare-name #Id only)");
            }
            const auto [lo, hi] = m_ids.equal_range(id);
            const auto n = static_cast<std::size_t>(std::distance(lo, hi));
            if (n == 0) return refuse(ReferenceStatus::NotFound, "no element has Id \"" + id + "\"");
            if (n > 1) {
                return refuse(ReferenceStatus::Refused,
                              std::to_string(n) + " elements have Id \"" + id +
                                  "\": a reference must have exactly one target (signature wrapping)");
            }
            target = lo->second;
            if (std::string why; !placement_ok(target, sig, r.type, why)) {
                return refuse(ReferenceStatus::Refused, why);
            }
            data.apex = target;
        } else {
            const ExternalContent* content = external(r.uri);
            if (content == nullptr) {
                return refuse(ReferenceStatus::NotFound,
                              "detached content not given (inkan verify --content URI=FILE)");
            }
            try {
                if (transforms.empty()) {
                    const Bytes got = content->digest(*alg);
                    if (got != claimed)
                        return refuse(ReferenceStatus::DigestMismatch,
                                      "the digest does not match the content");
                    return r;
                }
                data.node_set = false;
                data.octets = content->bytes();
            } catch (const Error& e) {
                return refuse(ReferenceStatus::NotFound,
                              std::string{"the detached content cannot be read: "} + e.what());
            }
        }

        try {
            for (const auto& t : transforms) {
                switch (t.kind) {
                    case Transform::Kind::Enveloped:
                        if (!data.node_set) {
                            return refuse(ReferenceStatus::Refused, "enveloped-signature over octets");
                        }
                        data.excluded = sig;  // the Signature that holds the transform (§6.6.4)
                        break;
                    case Transform::Kind::C14n:
                        if (data.node_set) {
                            data.octets.clear();
                            detail::canonicalize(
                                m_doc, data.apex, data.excluded, t.method, false,
                                [&](ByteView piece) { append(data.octets, piece); }, &t.prefixes);
                        } else {
                            data.octets = canonicalize(data.octets, t.method, m_limits);
                        }
                        data.node_set = false;
                        break;
                    case Transform::Kind::Base64: {
                        // A node-set becomes its string value (§6.6.2), then the base64 is decoded.
                        const std::string s = data.node_set ? text(data.apex != nullptr ? data.apex : m_root)
                                                            : to_string(data.octets);
                        data.octets = decode(s);
                        data.node_set = false;
                        break;
                    }
                }
            }
            if (data.node_set) {
                // §4.4.3.2: a node-set left at the end is canonicalised with C14N 1.0 without comments.
                data.octets.clear();
                detail::canonicalize(m_doc, data.apex, data.excluded, C14n::Inclusive10, false,
                                     [&](ByteView piece) { append(data.octets, piece); });
            }
        } catch (const Error& e) {
            return refuse(ReferenceStatus::Refused, std::string{"the transforms fail: "} + e.what());
        }
        if (crypto::digest(*alg, data.octets) != claimed) {
            return refuse(ReferenceStatus::DigestMismatch, "the digest does not match the referenced data");
        }
        return r;
    }

    const ExternalContent* external(const std::string& uri) const {
        for (const auto& c : m_external) {
            if (c.uri == uri) return &c;
        }
        const ExternalContent* any = nullptr;
        std::size_t unnamed = 0;
        for (const auto& c : m_external) {
            if (c.uri.empty()) {
                any = &c;
                ++unnamed;
            }
        }
        return unnamed == 1 ? any : nullptr;
    }

    /// Where a same-document reference may point. A data object of this signature is outside every
    /// signature, or inside this signature's ds:Object when the signature is the document (enveloping,
    /// EN 319 132-1 §4.2), or its KeyInfo; a counter-signature signs its parent's ds:SignatureValue.
    bool placement_ok(xmlNode* target, xmlNode* sig, const std::string& type, std::string& why) const {
        if (type == ns::kSignedPropertiesType) return true;  // checked against QualifyingProperties
        xmlNode* owner = enclosing_signature(target);
        if (owner == nullptr) return true;
        if (owner != sig) {
            if (type == kCountersignedType && is(target, ns::kDs, "SignatureValue") &&
                is_ancestor(owner, sig)) {
                return true;
            }
            why = "the target is part of another signature (signature wrapping)";
            return false;
        }
        if (target == sig) {
            why = "a signature cannot sign itself";
            return false;
        }
        for (xmlNode* p = target; p != nullptr && p != sig; p = p->parent) {
            if (is(p, ns::kDs, "KeyInfo") && p->parent == sig) return true;
            if (is(p, ns::kDs, "Object") && p->parent == sig) {
                if (sig == m_root) return true;
                why =
                    "the target is inside the signature's ds:Object but the signature is not enveloping (it "
                    "is not the document): a signed element moved out of the document's content (signature "
                    "wrapping)";
                return false;
            }
        }
        why = "the target is part of the signature's own SignedInfo or SignatureValue";
        return false;
    }

    /// The target of the SignedProperties reference must be xades:SignedProperties in a
    /// QualifyingProperties whose Target names this signature, in a ds:Object of this signature.
    static bool own_signed_properties(xmlNode* target, xmlNode* sig, const std::string& sig_id,
                                      std::string& why) {
        if (!is(target, ns::kXades, "SignedProperties")) {
            why = "the reference of Type SignedProperties does not select an xades:SignedProperties";
            return false;
        }
        xmlNode* qp = target->parent;
        if (!is(qp, ns::kXades, "QualifyingProperties") || !is(qp->parent, ns::kDs, "Object") ||
            qp->parent->parent != sig) {
            why =
                "the referenced xades:SignedProperties is not in a QualifyingProperties in a ds:Object of "
                "this signature";
            return false;
        }
        if (sig_id.empty() || attr(qp, "Target").value_or("") != "#" + sig_id) {
            why = "QualifyingProperties/@Target does not name this signature's Id (EN 319 132-1 §4.3)";
            return false;
        }
        return true;
    }

    /// SignedProperties in `n`'s subtree, not counting those of nested (counter-)signatures.
    static void count_signed_properties(xmlNode* n, xmlNode* sig, std::size_t& count) {
        for (xmlNode* c = n->children; c != nullptr; c = c->next) {
            if (c->type != XML_ELEMENT_NODE) continue;
            if (c != sig && is(c, ns::kDs, "Signature")) continue;
            if (is(c, ns::kXades, "SignedProperties")) ++count;
            count_signed_properties(c, sig, count);
        }
    }

    void read_properties(xmlNode* sp, SignatureRead& out) {
        const auto fmt = [&](std::string why) { out.format_errors.push_back(std::move(why)); };
        xmlNode* ssp = child(sp, ns::kXades, "SignedSignatureProperties");
        if (xmlNode* st = child(ssp, ns::kXades, "SigningTime")) {
            try {
                out.signing_time = parse_rfc3339(text(st));
            } catch (const Error&) {
                fmt("SigningTime \"" + text(st) + "\" is not an xsd:dateTime with a time zone");
            }
        }
        xmlNode* sc = child(ssp, ns::kXades, "SigningCertificateV2");
        out.signing_certificate_v2 = sc != nullptr;
        if (sc == nullptr) sc = child(ssp, ns::kXades, "SigningCertificate");
        for (xmlNode* cert : children(sc, ns::kXades, "Cert")) {
            xmlNode* cd = child(cert, ns::kXades, "CertDigest");
            CertReference c;
            c.algorithm_uri = attr(child(cd, ns::kDs, "DigestMethod"), "Algorithm").value_or("");
            c.algorithm = digest_from_uri(c.algorithm_uri);
            if (c.algorithm_uri == "http://www.w3.org/2000/09/xmldsig#sha1") {
                c.algorithm = crypto::DigestAlgorithm::Sha1;  // v1 SigningCertificate often names SHA-1
            }
            try {
                c.digest = decode(text(child(cd, ns::kDs, "DigestValue")));
            } catch (const Error&) {
                fmt("a SigningCertificate CertDigest is not base64");
            }
            // EN 319 132-1 §5.2.2: IssuerSerialV2 is the base64 of a DER IssuerSerial (RFC 5035);
            // TS 101 903 v1's IssuerSerial is ds:X509IssuerName + ds:X509SerialNumber (decimal).
            if (xmlNode* isv2 = child(cert, ns::kXades, "IssuerSerialV2")) {
                try {
                    c.issuer_serial_v2 = decode(text(isv2));
                } catch (const Error&) {
                    fmt("a SigningCertificateV2 IssuerSerialV2 is not base64");
                }
            } else if (xmlNode* is1 = child(cert, ns::kXades, "IssuerSerial")) {
                c.serial_number = text(child(is1, ns::kDs, "X509SerialNumber"));
            }
            out.signing_certificates.push_back(std::move(c));
        }

        // EN 319 132-1 §5.2.4 / §5.2.3: DataObjectFormat/@ObjectReference and a CommitmentTypeIndication's
        // ObjectReference name a ds:Reference of this signature's SignedInfo by its Id ("#Id"). One that
        // names nothing describes a data object the signature does not sign: a structure error.
        xmlNode* sdop = child(sp, ns::kXades, "SignedDataObjectProperties");
        const auto check_reference = [&](const std::string& what, const std::string& value) {
            const std::string id = value.starts_with('#') ? value.substr(1) : value;
            if (std::find(m_reference_ids.begin(), m_reference_ids.end(), id) == m_reference_ids.end()) {
                fmt(what + " ObjectReference \"" + value +
                    "\" names no ds:Reference of this signature's ds:SignedInfo (EN 319 132-1 §5.2.4)");
            }
        };
        for (xmlNode* dof : children(sdop, ns::kXades, "DataObjectFormat")) {
            const auto ref = attr(dof, "ObjectReference");
            if (!ref) {
                fmt("xades:DataObjectFormat has no ObjectReference (EN 319 132-1 §5.2.4)");
                continue;
            }
            check_reference("xades:DataObjectFormat", *ref);
            if (child(dof, ns::kXades, "MimeType") == nullptr &&
                child(dof, ns::kXades, "Description") == nullptr &&
                child(dof, ns::kXades, "ObjectIdentifier") == nullptr) {
                fmt("xades:DataObjectFormat " + *ref +
                    " has neither Description, ObjectIdentifier nor MimeType");
            }
        }
        for (xmlNode* cti : children(sdop, ns::kXades, "CommitmentTypeIndication")) {
            if (child(cti, ns::kXades, "CommitmentTypeId") == nullptr) {
                fmt("xades:CommitmentTypeIndication has no CommitmentTypeId (EN 319 132-1 §5.2.3)");
            }
            for (xmlNode* o : children(cti, ns::kXades, "ObjectReference"))
                check_reference("xades:CommitmentTypeIndication", text(o));
        }

        xmlNode* usp = child(child(sp->parent, ns::kXades, "UnsignedProperties"), ns::kXades,
                             "UnsignedSignatureProperties");
        std::size_t archive_index = 0;
        for (xmlNode* p : element_children(usp)) {
            if (is(p, ns::kXades, "SignatureTimeStamp")) {
                // EN 319 132-1 §5.3: the time-stamped data is the ds:SignatureValue element
                // canonicalised with the time-stamp's CanonicalizationMethod (C14N 1.0 when absent).
                xmlNode* tcm = child(p, ns::kDs, "CanonicalizationMethod");
                const auto m = tcm != nullptr ? c14n_from_uri(attr(tcm, "Algorithm").value_or(""))
                                              : std::optional{C14n::Inclusive10};
                for (xmlNode* e : children(p, ns::kXades, "EncapsulatedTimeStamp")) {
                    TimeStampRead t;
                    try {
                        t.token = decode(text(e));
                    } catch (const Error&) {
                        t.error = "EncapsulatedTimeStamp is not base64";
                    }
                    if (!m) {
                        t.error = "the time-stamp's CanonicalizationMethod is not supported";
                    } else if (t.error.empty()) {
                        Bytes in;
                        const auto prefixes = prefix_list(tcm);
                        detail::canonicalize(
                            m_doc, m_signature_value, nullptr, *m, with_comments(*m),
                            [&](ByteView piece) { append(in, piece); }, &prefixes);
                        t.input = std::move(in);
                    }
                    out.signature_time_stamps.push_back(std::move(t));
                }
                if (children(p, ns::kXades, "XMLTimeStamp").size() > 0) {
                    out.signature_time_stamps.push_back({{}, std::nullopt, "XMLTimeStamp is not supported"});
                }
            } else if (is(p, ns::kXades141, "ArchiveTimeStamp")) {
                // XAdES 1.4.1 §4.4 (B-LTA): its input is archive.h's archive_time_stamp_input (one
                // computation for the signer and the validator); here the token and its ordinal.
                for (xmlNode* e : children(p, ns::kXades, "EncapsulatedTimeStamp")) {
                    TimeStampRead t;
                    t.index = archive_index;
                    try {
                        t.token = decode(text(e));
                    } catch (const Error&) {
                        t.error = "EncapsulatedTimeStamp is not base64";
                    }
                    out.archive_time_stamps.push_back(std::move(t));
                }
                ++archive_index;
            } else if (is(p, ns::kXades, "CertificateValues") || is(p, ns::kXades, "RevocationValues")) {
                values(p, out);
            } else if (is(p, ns::kXades141, "TimeStampValidationData")) {
                for (xmlNode* v : element_children(p))
                    values(v, out);
            }
        }
    }

    /// CertificateValues / RevocationValues (EN 319 132-1 §5.5.1, §5.5.2); unreadable entries skipped.
    static void values(xmlNode* v, SignatureRead& out) {
        const auto add = [](std::vector<Bytes>& to, xmlNode* e) {
            try {
                to.push_back(decode(text(e)));
            } catch (const Error&) {
            }
        };
        if (is(v, ns::kXades, "CertificateValues")) {
            for (xmlNode* c : children(v, ns::kXades, "EncapsulatedX509Certificate"))
                add(out.certificates, c);
        } else if (is(v, ns::kXades, "RevocationValues")) {
            for (xmlNode* c : children(child(v, ns::kXades, "CRLValues"), ns::kXades, "EncapsulatedCRLValue"))
                add(out.crls, c);
            for (xmlNode* c :
                 children(child(v, ns::kXades, "OCSPValues"), ns::kXades, "EncapsulatedOCSPValue"))
                add(out.ocsp_responses, c);
        }
    }

    xmlDoc* m_doc;
    xmlNode* m_root;
    const std::vector<ExternalContent>& m_external;
    const ParseLimits& m_limits;
    std::multimap<std::string, xmlNode*> m_ids;
    xmlNode* m_signature_value = nullptr;
    std::vector<std::string> m_reference_ids;  ///< this signature's ds:Reference/@Id values
};

}  // namespace

std::vector<SignatureRead> read_signatures(ByteView xml, const std::vector<ExternalContent>& external,
                                           const ParseLimits& limits) {
    const detail::DocPtr doc = detail::parse(xml, limits);
    std::vector<xmlNode*> sigs;
    collect_signatures(xmlDocGetRootElement(doc.get()), sigs);
    Reader reader{doc.get(), external, limits};
    std::vector<SignatureRead> out;
    out.reserve(sigs.size());
    for (xmlNode* s : sigs)
        out.push_back(reader.read(s, sigs));
    return out;
}

}  // namespace inkan::xades
