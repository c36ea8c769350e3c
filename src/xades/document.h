#pragma once

// libxml2 inside the xades layer only: an owned document, bounded parsing, canonicalisation of a
// subtree into a digest or bytes. Not installed as a public header.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <libxml/tree.h>

#include <inkan/core/bytes.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/xades/archive.h>
#include <inkan/xades/xml.h>

namespace inkan::xades::detail {

struct DocFree {
    void operator()(xmlDoc* d) const noexcept { xmlFreeDoc(d); }
};
using DocPtr = std::unique_ptr<xmlDoc, DocFree>;

/// Where an element's tags are in the parsed bytes: `start_tag_close` is the offset of the '>' (or of the
/// '/' of "/>") that closes its start tag, `end` the offset just past its end tag (or past "/>").
struct ElementOffsets {
    std::size_t start_tag_close = 0;
    std::size_t end = 0;
};
using Offsets = std::unordered_map<const xmlNode*, ElementOffsets>;

/// Parses untrusted XML under `limits` (see ParseLimits). Errors as xades::canonicalize. With `offsets`,
/// records the byte offsets of every element whose local name is QualifyingProperties,
/// UnsignedProperties or UnsignedSignatureProperties (what extension splices into).
DocPtr parse(ByteView xml, const ParseLimits& limits, Offsets* offsets = nullptr);

/// What a same-document reference selects (XMLDSig 1.1 §4.4.3.3): the subtree of `apex` (the document
/// node for URI="") without comments, minus the subtree of `excluded` (the enveloped-signature
/// transform), canonicalised with `method`. The output goes to `sink` in pieces, so a 100 MB document
/// is hashed without a second copy of it.
/// `inclusive_prefixes`: exclusive C14N's InclusiveNamespaces PrefixList ("#default" for the default
/// namespace); ignored by the inclusive algorithms.
void canonicalize(xmlDoc* doc, xmlNode* apex, xmlNode* excluded, C14n method, bool keep_comments,
                  const std::function<void(ByteView)>& sink,
                  const std::vector<std::string>* inclusive_prefixes = nullptr);
Bytes canonicalize(xmlDoc* doc, xmlNode* apex, C14n method);
Bytes canonical_digest(xmlDoc* doc, xmlNode* apex, xmlNode* excluded, C14n method,
                       crypto::DigestAlgorithm alg);

/// The first child element of `parent` with namespace `ns` and local name `local` (or nullptr).
xmlNode* child_element(xmlNode* parent, std::string_view ns, std::string_view local);
/// Every child element of `parent` with namespace `ns` and local name `local`, in order.
std::vector<xmlNode*> child_elements(xmlNode* parent, std::string_view ns, std::string_view local);
/// Every element under `node` (its siblings included) whose unqualified Id, ID or id attribute is `id`.
void find_by_id(xmlNode* node, std::string_view id, std::vector<xmlNode*>& found);
/// The ds:Signature with Id `id` (empty: the first in document order). Errc::InvalidEncoding if none.
xmlNode* find_signature(xmlDoc* doc, std::string_view id);

/// archive.cpp: the archive time-stamp input (see archive.h) of `signature`, taking the unsigned
/// signature properties before `before` (nullptr: all of them) and canonicalising with `method`.
void archive_input(xmlDoc* doc, xmlNode* signature, xmlNode* before, C14n method,
                   const std::vector<DetachedContent>& detached, const std::function<void(ByteView)>& sink,
                   const ParseLimits& limits);

/// The document serialised (its own encoding and XML declaration kept).
Bytes serialize(xmlDoc* doc);

/// libxml2 strings as std::string_view (nullptr → "").
inline std::string_view sv(const xmlChar* s) {
    return s == nullptr ? std::string_view{} : std::string_view{reinterpret_cast<const char*>(s)};
}
inline const xmlChar* xc(const char* s) {
    return reinterpret_cast<const xmlChar*>(s);
}

}  // namespace inkan::xades::detail
