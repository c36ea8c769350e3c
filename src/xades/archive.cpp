#include <inkan/xades/archive.h>

#include <istream>
#include <string>
#include <string_view>

#include <libxml/tree.h>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>
#include <inkan/xades/xades.h>

#include "document.h"

namespace inkan::xades {

using detail::sv;

namespace {

constexpr std::string_view kExcC14nNs = "http://www.w3.org/2001/10/xml-exc-c14n#";

bool is_element(const xmlNode* n, std::string_view ns, std::string_view local) {
    return n != nullptr && n->type == XML_ELEMENT_NODE && n->ns != nullptr && sv(n->ns->href) == ns &&
           sv(n->name) == local;
}

std::string attribute(xmlNode* n, const char* name) {
    xmlChar* v = xmlGetNoNsProp(n, detail::xc(name));
    std::string out{sv(v)};
    xmlFree(v);
    return out;
}

bool has_attribute(xmlNode* n, const char* name) {
    return xmlHasNsProp(n, detail::xc(name), nullptr) != nullptr;
}

/// The text of a base64 value without the whitespace XML puts in it (line breaks every 64/76 columns).
Bytes decode_base64_text(std::string_view text) {
    std::string compact;
    compact.reserve(text.size());
    for (const char c : text) {
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') compact.push_back(c);
    }
    return base64_decode(compact);
}

/// What a ds:Reference yields between transforms (XMLDSig 1.1 §4.4.3.2): a node-set (a subtree of
/// the document, minus an excluded subtree, with or without comments) or octets.
struct Data {
    bool nodes = true;
    xmlNode* apex = nullptr;      ///< nullptr: the document node
    xmlNode* excluded = nullptr;  ///< the enveloped-signature transform's ds:Signature
    bool comments = false;
    ByteView octets;  ///< when !nodes: a view of `owned` or of detached content
    Bytes owned;
    std::istream* stream = nullptr;  ///< when !nodes: detached content to read from its start instead
};

/// The stream from its start, in chunks.
void read_stream(std::istream& in, const std::function<void(ByteView)>& sink) {
    in.clear();
    in.seekg(0);
    require(in.good(), Errc::InvalidRequest, "xades: an external document's stream cannot be read again");
    char chunk[1 << 16];
    while (in) {
        in.read(chunk, sizeof chunk);
        const auto got = in.gcount();
        if (got > 0)
            sink(ByteView{reinterpret_cast<const std::uint8_t*>(chunk), static_cast<std::size_t>(got)});
    }
}

/// Octets held in memory (a stream read whole), for a transform that needs them at once.
void materialise(Data& d) {
    if (d.nodes || d.stream == nullptr) return;
    Bytes all;
    read_stream(*d.stream, [&](ByteView piece) { append(all, piece); });
    d.stream = nullptr;
    d.owned = std::move(all);
    d.octets = d.owned;
}

Data dereference(xmlDoc* doc, xmlNode* reference, const std::vector<DetachedContent>& detached) {
    require(has_attribute(reference, "URI"), Errc::InvalidEncoding,
            "xades: a ds:Reference without URI cannot be dereferenced for the archive time-stamp");
    const std::string uri = attribute(reference, "URI");
    Data d;
    if (uri.empty()) return d;  // the whole document without comments (§4.4.3.3)
    if (uri == "#xpointer(/)") {
        d.comments = true;
        return d;
    }
    if (uri.front() == '#') {
        std::string id = uri.substr(1);
        if (id.rfind("xpointer(id('", 0) == 0 && id.size() > 16 && id.compare(id.size() - 3, 3, "'))") == 0) {
            id = id.substr(13, id.size() - 16);
            d.comments = true;
        }
        std::vector<xmlNode*> found;
        detail::find_by_id(xmlDocGetRootElement(doc), id, found);
        require(found.size() == 1, Errc::InvalidEncoding,
                "xades: reference \"" + uri + "\" has " + std::to_string(found.size()) +
                    " target elements (exactly one is required)");
        d.apex = found.front();
        return d;
    }
    for (const auto& c : detached) {
        if (c.uri == uri) {
            d.nodes = false;
            d.octets = c.data;
            d.stream = c.stream;
            return d;
        }
    }
    throw Error{Errc::InvalidRequest,
                "xades: the content of external reference \"" + uri + "\" was not given"};
}

std::vector<std::string> inclusive_prefixes(xmlNode* transform) {
    std::vector<std::string> out;
    for (xmlNode* c = transform->children; c != nullptr; c = c->next) {
        if (!is_element(c, kExcC14nNs, "InclusiveNamespaces")) continue;
        const std::string list = attribute(c, "PrefixList");
        std::size_t at = 0;
        while (at < list.size()) {
            const auto end = list.find_first_of(" \t\r\n", at);
            const std::string p = list.substr(at, end == std::string::npos ? std::string::npos : end - at);
            if (!p.empty()) out.push_back(p);
            if (end == std::string::npos) break;
            at = end + 1;
        }
    }
    return out;
}

/// One ds:Reference processed (XMLDSig 1.1 §4.4.3) and written to `sink`: a node-set result
/// canonicalised with `method` (TS 101 903 v1.4.1 §8.2.1 step 1), octets as they are. A C14N transform
/// that ends the chain streams straight into the sink.
void reference_input(xmlDoc* doc, xmlNode* signature, xmlNode* reference, C14n method,
                     const std::vector<DetachedContent>& detached, const std::function<void(ByteView)>& sink,
                     const ParseLimits& limits) {
    Data d = dereference(doc, reference, detached);
    detail::DocPtr parsed;  // a document parsed from octets for a C14N transform
    std::vector<xmlNode*> transforms;
    if (xmlNode* ts = detail::child_element(reference, ns::kDs, "Transforms")) {
        transforms = detail::child_elements(ts, ns::kDs, "Transform");
    }
    for (std::size_t i = 0; i < transforms.size(); ++i) {
        xmlNode* t = transforms[i];
        const std::string alg = attribute(t, "Algorithm");
        const bool last = i + 1 == transforms.size();
        materialise(d);
        if (alg == ns::kEnvelopedSignature) {
            require(d.nodes, Errc::InvalidEncoding,
                    "xades: the enveloped-signature transform needs a node-set, not octets");
            d.excluded = signature;
        } else if (const auto c = c14n_from_uri(alg)) {
            xmlDoc* source = doc;
            if (!d.nodes) {
                parsed = detail::parse(d.octets, limits);
                source = parsed.get();
                d = Data{};
                d.comments = true;  // a parsed octet stream is the whole document, comments included
            }
            const auto prefixes = inclusive_prefixes(t);
            if (last) {
                detail::canonicalize(source, d.apex, d.excluded, *c, d.comments, sink, &prefixes);
                return;
            }
            Bytes out;
            detail::canonicalize(
                source, d.apex, d.excluded, *c, d.comments, [&](ByteView piece) { append(out, piece); },
                &prefixes);
            d = Data{};
            d.nodes = false;
            d.owned = std::move(out);
            d.octets = d.owned;
        } else if (alg == ns::kBase64) {
            Bytes decoded;
            if (d.nodes) {
                xmlNode* from = d.apex != nullptr ? d.apex : xmlDocGetRootElement(doc);
                xmlChar* text = xmlNodeGetContent(from);
                decoded = decode_base64_text(sv(text));
                xmlFree(text);
            } else {
                decoded = decode_base64_text(
                    std::string_view{reinterpret_cast<const char*>(d.octets.data()), d.octets.size()});
            }
            d = Data{};
            d.nodes = false;
            d.owned = std::move(decoded);
            d.octets = d.owned;
        } else {
            throw Error{Errc::UnsupportedAlgorithm,
                        "xades: transform \"" + alg +
                            "\" is not supported for the archive time-stamp input (enveloped-signature, "
                            "base64 and the C14N family are)"};
        }
    }
    if (d.nodes) {
        detail::canonicalize(parsed ? parsed.get() : doc, d.apex, d.excluded, method,
                             d.comments && with_comments(method), sink);
    } else if (d.stream != nullptr) {
        read_stream(*d.stream, sink);
    } else {
        sink(d.octets);
    }
}

/// An element canonicalised whole (TS 101 903 v1.4.1 §8.2.1 steps 2 to 4).
void element_input(xmlDoc* doc, xmlNode* element, C14n method, const std::function<void(ByteView)>& sink) {
    detail::canonicalize(doc, element, nullptr, method, with_comments(method), sink);
}

xmlNode* unsigned_signature_properties(xmlNode* signature) {
    for (xmlNode* object : detail::child_elements(signature, ns::kDs, "Object")) {
        for (xmlNode* qp = object->children; qp != nullptr; qp = qp->next) {
            if (!is_element(qp, ns::kXades, "QualifyingProperties")) continue;
            if (xmlNode* up = detail::child_element(qp, ns::kXades, "UnsignedProperties")) {
                return detail::child_element(up, ns::kXades, "UnsignedSignatureProperties");
            }
        }
    }
    return nullptr;
}

bool holds_qualifying_properties(xmlNode* object) {
    return detail::child_element(object, ns::kXades, "QualifyingProperties") != nullptr;
}

}  // namespace

namespace detail {

xmlNode* child_element(xmlNode* parent, std::string_view ns, std::string_view local) {
    for (xmlNode* c = parent != nullptr ? parent->children : nullptr; c != nullptr; c = c->next) {
        if (is_element(c, ns, local)) return c;
    }
    return nullptr;
}

std::vector<xmlNode*> child_elements(xmlNode* parent, std::string_view ns, std::string_view local) {
    std::vector<xmlNode*> out;
    for (xmlNode* c = parent != nullptr ? parent->children : nullptr; c != nullptr; c = c->next) {
        if (is_element(c, ns, local)) out.push_back(c);
    }
    return out;
}

void find_by_id(xmlNode* node, std::string_view id, std::vector<xmlNode*>& found) {
    for (xmlNode* n = node; n != nullptr; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) continue;
        for (xmlAttr* a = n->properties; a != nullptr; a = a->next) {
            const std::string_view an = sv(a->name);
            if ((an == "Id" || an == "ID" || an == "id") && a->ns == nullptr) {
                xmlChar* v = xmlNodeGetContent(reinterpret_cast<xmlNode*>(a));
                if (sv(v) == id) found.push_back(n);
                xmlFree(v);
            }
        }
        find_by_id(n->children, id, found);
    }
}

namespace {
xmlNode* first_signature(xmlNode* node, std::string_view id) {
    for (xmlNode* n = node; n != nullptr; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) continue;
        if (is_element(n, ns::kDs, "Signature") && (id.empty() || attribute(n, "Id") == id)) return n;
        if (xmlNode* inner = first_signature(n->children, id)) return inner;
    }
    return nullptr;
}
}  // namespace

xmlNode* find_signature(xmlDoc* doc, std::string_view id) {
    xmlNode* s = first_signature(xmlDocGetRootElement(doc), id);
    require(s != nullptr, Errc::InvalidEncoding,
            id.empty() ? std::string{"xades: the document holds no ds:Signature"}
                       : "xades: no ds:Signature has Id \"" + std::string{id} + "\"");
    return s;
}

void archive_input(xmlDoc* doc, xmlNode* signature, xmlNode* before, C14n method,
                   const std::vector<DetachedContent>& detached, const std::function<void(ByteView)>& sink,
                   const ParseLimits& limits) {
    xmlNode* signed_info = child_element(signature, ns::kDs, "SignedInfo");
    require(signed_info != nullptr, Errc::InvalidEncoding, "xades: the ds:Signature has no ds:SignedInfo");
    // 1. The ds:Reference-d data objects, after their transforms.
    for (xmlNode* r : child_elements(signed_info, ns::kDs, "Reference")) {
        reference_input(doc, signature, r, method, detached, sink, limits);
    }
    // 2. ds:SignedInfo, ds:SignatureValue, ds:KeyInfo.
    element_input(doc, signed_info, method, sink);
    xmlNode* value = child_element(signature, ns::kDs, "SignatureValue");
    require(value != nullptr, Errc::InvalidEncoding, "xades: the ds:Signature has no ds:SignatureValue");
    element_input(doc, value, method, sink);
    if (xmlNode* key_info = child_element(signature, ns::kDs, "KeyInfo"))
        element_input(doc, key_info, method, sink);
    // 3. The unsigned signature properties before this archive time-stamp.
    if (xmlNode* usp = unsigned_signature_properties(signature)) {
        for (xmlNode* p = usp->children; p != nullptr && p != before; p = p->next) {
            if (p->type == XML_ELEMENT_NODE) element_input(doc, p, method, sink);
        }
    }
    // 4. The ds:Object elements but the one with QualifyingProperties.
    for (xmlNode* o : child_elements(signature, ns::kDs, "Object")) {
        if (!holds_qualifying_properties(o)) element_input(doc, o, method, sink);
    }
}

}  // namespace detail

void archive_time_stamp_input(ByteView xml, const ArchiveInputRequest& request,
                              const std::function<void(ByteView)>& sink) {
    auto doc = detail::parse(xml, request.limits);
    xmlNode* signature = detail::find_signature(doc.get(), request.signature_id);
    xmlNode* before = nullptr;
    C14n method = request.c14n;
    if (request.existing) {
        std::vector<xmlNode*> stamps;
        if (xmlNode* usp = unsigned_signature_properties(signature)) {
            stamps = detail::child_elements(usp, ns::kXades141, "ArchiveTimeStamp");
        }
        require(*request.existing < stamps.size(), Errc::InvalidEncoding,
                "xades: the signature has " + std::to_string(stamps.size()) +
                    " archive time-stamps, not one numbered " + std::to_string(*request.existing));
        before = stamps[*request.existing];
        method = C14n::Inclusive10;  // XML-DSig's default when the time-stamp names none
        if (xmlNode* cm = detail::child_element(before, ns::kDs, "CanonicalizationMethod")) {
            const std::string alg = attribute(cm, "Algorithm");
            const auto named = c14n_from_uri(alg);
            require(named.has_value(), Errc::UnsupportedAlgorithm,
                    "xades: the archive time-stamp names an unknown canonicalisation \"" + alg + "\"");
            method = *named;
        }
    }
    detail::archive_input(doc.get(), signature, before, method, request.detached, sink, request.limits);
}

Bytes archive_time_stamp_input(ByteView xml, const ArchiveInputRequest& request) {
    Bytes out;
    archive_time_stamp_input(xml, request, [&](ByteView piece) { append(out, piece); });
    return out;
}

Bytes archive_time_stamp_digest(ByteView xml, const ArchiveInputRequest& request,
                                crypto::DigestAlgorithm alg) {
    crypto::Hasher hasher{alg};
    archive_time_stamp_input(xml, request, [&](ByteView piece) { hasher.update(piece); });
    return hasher.finish();
}

}  // namespace inkan::xades
