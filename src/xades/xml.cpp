#include <cstring>
#include <string>

#include <libxml/SAX2.h>
#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>

#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>

#include "document.h"

namespace inkan::xades {

namespace {

struct C14nRow {
    C14n method;
    std::string_view uri;
    std::string_view name;
};
constexpr C14nRow kC14n[] = {
    {C14n::Inclusive10, "http://www.w3.org/TR/2001/REC-xml-c14n-20010315", "c14n"},
    {C14n::Inclusive10Comments, "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
     "c14n-with-comments"},
    {C14n::Inclusive11, "http://www.w3.org/2006/12/xml-c14n11", "c14n11"},
    {C14n::Inclusive11Comments, "http://www.w3.org/2006/12/xml-c14n11#WithComments", "c14n11-with-comments"},
    {C14n::Exclusive10, "http://www.w3.org/2001/10/xml-exc-c14n#", "exc-c14n"},
    {C14n::Exclusive10Comments, "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
     "exc-c14n-with-comments"},
};

int libxml_mode(C14n m) {
    switch (m) {
        case C14n::Inclusive10:
        case C14n::Inclusive10Comments:
            return XML_C14N_1_0;
        case C14n::Inclusive11:
        case C14n::Inclusive11Comments:
            return XML_C14N_1_1;
        case C14n::Exclusive10:
        case C14n::Exclusive10Comments:
            return XML_C14N_EXCLUSIVE_1_0;
    }
    return XML_C14N_EXCLUSIVE_1_0;
}

/// Why the parser was stopped by one of our SAX hooks, and the offsets wanted (the context's _private).
enum class Refusal { None, Entity, AttributeDefault };
struct ParseState {
    Refusal refusal = Refusal::None;
    detail::Offsets* offsets = nullptr;
};
ParseState& state_of(void* ctx) {
    return *static_cast<ParseState*>(static_cast<xmlParserCtxtPtr>(ctx)->_private);
}

bool spliced_into(const xmlChar* local) {
    const std::string_view n = detail::sv(local);
    return n == "QualifyingProperties" || n == "UnsignedProperties" || n == "UnsignedSignatureProperties";
}

// At the start callback libxml2 (2.9: xmlParseStartTag2) has read the attributes and stands on the '>'
// or "/>" of the start tag; at the end callback it stands just past the end tag (or the "/>").
void start_element(void* ctx, const xmlChar* localname, const xmlChar* prefix, const xmlChar* uri,
                   int nb_namespaces, const xmlChar** namespaces, int nb_attributes, int nb_defaulted,
                   const xmlChar** attributes) {
    xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes, nb_defaulted,
                          attributes);
    auto* parser = static_cast<xmlParserCtxtPtr>(ctx);
    ParseState& st = state_of(ctx);
    if (st.offsets != nullptr && spliced_into(localname) && parser->node != nullptr) {
        (*st.offsets)[parser->node].start_tag_close = static_cast<std::size_t>(xmlByteConsumed(parser));
    }
}

void end_element(void* ctx, const xmlChar* localname, const xmlChar* prefix, const xmlChar* uri) {
    auto* parser = static_cast<xmlParserCtxtPtr>(ctx);
    const xmlNode* node = parser->node;
    xmlSAX2EndElementNs(ctx, localname, prefix, uri);
    ParseState& st = state_of(ctx);
    if (st.offsets != nullptr && spliced_into(localname) && node != nullptr) {
        (*st.offsets)[node].end = static_cast<std::size_t>(xmlByteConsumed(parser));
    }
}

// An <!ENTITY> in the internal subset: refused before anything is expanded. Entities are where
// billion laughs (exponential expansion) and XXE (external entities: files, URLs) live, and parsers
// disagree on whether to expand them, which would make digests differ between signer and verifier.
void refuse_entity_decl(void* ctx, const xmlChar*, int, const xmlChar*, const xmlChar*, xmlChar*) {
    auto* parser = static_cast<xmlParserCtxtPtr>(ctx);
    state_of(ctx).refusal = Refusal::Entity;
    xmlStopParser(parser);
}

// An <!ATTLIST> with a default value: xmlsec1 (XML_COMPLETE_ATTRS) adds the attribute to the tree,
// libxml2 without XML_PARSE_DTDATTR and xmldom do not, so the canonical forms would differ. Refused;
// declarations without a default (e.g. an ID type) are kept.
void attribute_decl(void* ctx, const xmlChar* elem, const xmlChar* fullname, int type, int def,
                    const xmlChar* default_value, xmlEnumerationPtr tree) {
    auto* parser = static_cast<xmlParserCtxtPtr>(ctx);
    if (default_value != nullptr) {
        xmlFreeEnumeration(tree);
        state_of(ctx).refusal = Refusal::AttributeDefault;
        xmlStopParser(parser);
        return;
    }
    xmlSAX2AttributeDecl(ctx, elem, fullname, type, def, default_value, tree);
}

xmlParserInputPtr no_external_entity(void*, const xmlChar*, const xmlChar*) {
    return nullptr;
}

void quiet(void*, xmlErrorPtr) {}

struct CtxtFree {
    void operator()(xmlParserCtxt* c) const noexcept { xmlFreeParserCtxt(c); }
};

std::size_t depth_of(xmlNode* root) {
    std::size_t deepest = 0;
    std::size_t depth = 0;
    xmlNode* n = root;
    while (n != nullptr) {
        if (n->type == XML_ELEMENT_NODE) deepest = std::max(deepest, depth + 1);
        if (n->children != nullptr && n->type == XML_ELEMENT_NODE) {
            n = n->children;
            ++depth;
            continue;
        }
        while (n != nullptr && n->next == nullptr) {
            n = n->parent;
            if (n == nullptr || n == root->parent) return deepest;
            --depth;
        }
        if (n != nullptr) n = n->next;
    }
    return deepest;
}

/// Which nodes a same-document reference selects (XMLDSig 1.1 §4.4.3.3, §6.6.4 enveloped-signature).
struct Selection {
    xmlNode* apex;
    xmlNode* excluded;
    bool comments;
};

int visible(void* user, xmlNodePtr node, xmlNodePtr parent) {
    const auto* s = static_cast<const Selection*>(user);
    xmlNode* anchor = node;
    if (node->type == XML_NAMESPACE_DECL || node->type == XML_ATTRIBUTE_NODE) {
        anchor = parent;
    } else if (node->type == XML_COMMENT_NODE && !s->comments) {
        return 0;
    }
    for (xmlNode* n = anchor; n != nullptr; n = n->parent) {
        if (n == s->excluded) return 0;
        if (n == s->apex) return 1;
    }
    return 0;
}

struct Sink {
    const std::function<void(ByteView)>* out;
};

int sink_write(void* context, const char* buffer, int len) {
    auto* s = static_cast<Sink*>(context);
    (*s->out)(ByteView{reinterpret_cast<const std::uint8_t*>(buffer), static_cast<std::size_t>(len)});
    return len;
}

}  // namespace

std::string_view uri(C14n method) {
    for (const auto& r : kC14n) {
        if (r.method == method) return r.uri;
    }
    return kC14n[4].uri;
}

std::optional<C14n> c14n_from_uri(std::string_view u) {
    for (const auto& r : kC14n) {
        if (r.uri == u) return r.method;
    }
    return std::nullopt;
}

std::optional<C14n> c14n_from_name(std::string_view n) {
    for (const auto& r : kC14n) {
        if (r.name == n) return r.method;
    }
    return std::nullopt;
}

namespace detail {

DocPtr parse(ByteView xml, const ParseLimits& limits, Offsets* offsets) {
    require(xml.size() <= limits.max_bytes, Errc::PayloadTooLarge,
            "xml: the document has " + std::to_string(xml.size()) + " bytes, more than the limit of " +
                std::to_string(limits.max_bytes));
    require(xml.size() <= static_cast<std::size_t>(INT32_MAX), Errc::PayloadTooLarge,
            "xml: the document is larger than 2 GiB");
    xmlInitParser();
    std::unique_ptr<xmlParserCtxt, CtxtFree> ctxt{xmlNewParserCtxt()};
    require(ctxt != nullptr, Errc::Internal, "xml: out of memory");
    // The context owns a copy of the SAX handler (xmlInitParserCtxt), so changing it is local.
    ctxt->sax->entityDecl = refuse_entity_decl;
    ctxt->sax->attributeDecl = attribute_decl;
    ctxt->sax->resolveEntity = no_external_entity;
    ctxt->sax->serror = quiet;
    ctxt->sax->warning = nullptr;
    ctxt->sax->error = nullptr;
    ParseState state;
    state.offsets = offsets;
    ctxt->_private = &state;
    if (offsets != nullptr) {
        ctxt->sax->startElementNs = start_element;
        ctxt->sax->endElementNs = end_element;
    }
    // No XML_PARSE_NOENT (entities stay references: none can exist, they are refused above), no
    // XML_PARSE_DTDLOAD / DTDATTR / DTDVALID (an external DTD is never fetched), no XML_PARSE_HUGE
    // (libxml2's own bounds on depth, names and text nodes stay on), no network.
    const int options = XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR;
    DocPtr doc{xmlCtxtReadMemory(ctxt.get(), reinterpret_cast<const char*>(xml.data()),
                                 static_cast<int>(xml.size()), nullptr, nullptr, options)};
    const Refusal refusal = state.refusal;
    if (refusal == Refusal::Entity) {
        throw Error{Errc::InvalidRequest,
                    "xml: the document's DTD declares entities, which are refused (entity expansion such as "
                    "\"billion laughs\", and external entities)"};
    }
    if (refusal == Refusal::AttributeDefault) {
        throw Error{
            Errc::InvalidRequest,
            "xml: the document's DTD gives attribute defaults, which are refused (parsers disagree on "
            "adding them, so the signed digest would depend on the verifier)"};
    }
    if (doc == nullptr || ctxt->wellFormed == 0) {
        const xmlError* e = xmlCtxtGetLastError(ctxt.get());
        std::string why = e != nullptr && e->message != nullptr ? e->message : "not well-formed";
        while (!why.empty() && (why.back() == '\n' || why.back() == ' '))
            why.pop_back();
        if (why.find("Excessive depth") != std::string::npos) {
            throw Error{Errc::PayloadTooLarge, "xml: " + why};
        }
        throw Error{
            Errc::InvalidEncoding,
            "xml: " + why + (e != nullptr ? " (line " + std::to_string(e->line) + ")" : std::string{})};
    }
    xmlNode* root = xmlDocGetRootElement(doc.get());
    require(root != nullptr, Errc::InvalidEncoding, "xml: no root element");
    const std::size_t depth = depth_of(root);
    require(depth <= limits.max_depth, Errc::PayloadTooLarge,
            "xml: elements nest " + std::to_string(depth) + " deep, more than the limit of " +
                std::to_string(limits.max_depth));
    return doc;
}

void canonicalize(xmlDoc* doc, xmlNode* apex, xmlNode* excluded, C14n method, bool keep_comments,
                  const std::function<void(ByteView)>& sink,
                  const std::vector<std::string>* inclusive_prefixes) {
    Selection selection{apex != nullptr ? apex : reinterpret_cast<xmlNode*>(doc), excluded, keep_comments};
    Sink s{&sink};
    std::vector<xmlChar*> prefixes;
    if (inclusive_prefixes != nullptr && libxml_mode(method) == XML_C14N_EXCLUSIVE_1_0) {
        for (const auto& p : *inclusive_prefixes)
            prefixes.push_back(const_cast<xmlChar*>(xc(p.c_str())));
        prefixes.push_back(nullptr);
    }
    xmlOutputBufferPtr buf = xmlOutputBufferCreateIO(sink_write, nullptr, &s, nullptr);
    require(buf != nullptr, Errc::Internal, "xml: out of memory");
    const int rc = xmlC14NExecute(doc, visible, &selection, libxml_mode(method),
                                  prefixes.empty() ? nullptr : prefixes.data(),
                                  with_comments(method) && keep_comments ? 1 : 0, buf);
    const int closed = xmlOutputBufferClose(buf);
    require(rc >= 0 && closed >= 0, Errc::Internal, "xml: canonicalisation failed");
}

Bytes canonicalize(xmlDoc* doc, xmlNode* apex, C14n method) {
    Bytes out;
    canonicalize(doc, apex, nullptr, method, with_comments(method),
                 [&](ByteView piece) { append(out, piece); });
    return out;
}

Bytes canonical_digest(xmlDoc* doc, xmlNode* apex, xmlNode* excluded, C14n method,
                       crypto::DigestAlgorithm alg) {
    crypto::Hasher hasher{alg};
    canonicalize(doc, apex, excluded, method, false, [&](ByteView piece) { hasher.update(piece); });
    return hasher.finish();
}

Bytes serialize(xmlDoc* doc) {
    xmlChar* mem = nullptr;
    int size = 0;
    xmlDocDumpMemory(doc, &mem, &size);
    require(mem != nullptr, Errc::Internal, "xml: serialisation failed");
    Bytes out(mem, mem + size);
    xmlFree(mem);
    return out;
}

}  // namespace detail

Bytes canonicalize(ByteView xml, C14n method, const ParseLimits& limits) {
    auto doc = detail::parse(xml, limits);
    Bytes out;
    detail::canonicalize(doc.get(), nullptr, nullptr, method, with_comments(method),
                         [&](ByteView piece) { append(out, piece); });
    return out;
}

void check_xml(ByteView xml, const ParseLimits& limits) {
    (void)detail::parse(xml, limits);
}

}  // namespace inkan::xades
