#pragma once

// libxml2 inside the xades layer only: an owned document, bounded parsing, canonicalisation of a
// subtree into a digest or bytes. Not installed as a public header.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <libxml/tree.h>

#include <inkan/core/bytes.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/xades/xml.h>

namespace inkan::xades::detail {

struct DocFree {
    void operator()(xmlDoc* d) const noexcept { xmlFreeDoc(d); }
};
using DocPtr = std::unique_ptr<xmlDoc, DocFree>;

/// Parses untrusted XML under `limits` (see ParseLimits). Errors as xades::canonicalize.
DocPtr parse(ByteView xml, const ParseLimits& limits);

/// What a same-document reference selects (XMLDSig 1.1 §4.4.3.3): the subtree of `apex` (the document
/// node for URI="") without comments, minus the subtree of `excluded` (the enveloped-signature
/// transform), canonicalised with `method`. The output goes to `sink` in pieces, so a 100 MB document
/// is hashed without a second copy of it.
void canonicalize(xmlDoc* doc, xmlNode* apex, xmlNode* excluded, C14n method, bool keep_comments,
                  const std::function<void(ByteView)>& sink);
/// The same with the InclusiveNamespaces PrefixList of exclusive C14N (ignored by the inclusive
/// methods; "#default" names the default namespace), for signatures other writers made.
void canonicalize(xmlDoc* doc, xmlNode* apex, xmlNode* excluded, C14n method, bool keep_comments,
                  const std::vector<std::string>& inclusive_prefixes,
                  const std::function<void(ByteView)>& sink);
Bytes canonicalize(xmlDoc* doc, xmlNode* apex, C14n method);
Bytes canonical_digest(xmlDoc* doc, xmlNode* apex, xmlNode* excluded, C14n method,
                       crypto::DigestAlgorithm alg);

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
