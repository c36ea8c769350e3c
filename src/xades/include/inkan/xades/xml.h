#pragma once

// XML input under bounds, and the canonicalisation algorithms XML-DSig names (W3C XMLDSig 1.1 §6.6):
// Canonical XML 1.0 and 1.1 (inclusive) and Exclusive XML Canonicalization 1.0, each with or without
// comments. libxml2 does the work; no libxml2 type appears in this header.

#include <cstddef>
#include <optional>
#include <string_view>

#include <inkan/core/bytes.h>

namespace inkan::xades {

/// How much untrusted XML may take. Documents are parsed with network access off, no DTD loading and
/// no entity substitution; a DTD that declares entities (billion laughs, XXE) or attribute defaults
/// (which some parsers add to the document and others do not, so digests would differ) is refused.
struct ParseLimits {
    std::size_t max_bytes = std::size_t{256} << 20;  ///< whole document
    std::size_t max_depth = 256;                     ///< element nesting (libxml2's own limit is 256)
};

enum class C14n {
    Inclusive10,          ///< http://www.w3.org/TR/2001/REC-xml-c14n-20010315
    Inclusive10Comments,  ///< ...#WithComments
    Inclusive11,          ///< http://www.w3.org/2006/12/xml-c14n11
    Inclusive11Comments,  ///< ...#WithComments
    Exclusive10,          ///< http://www.w3.org/2001/10/xml-exc-c14n#
    Exclusive10Comments,  ///< ...#WithComments
};
/// The algorithm's URI.
std::string_view uri(C14n method);
std::optional<C14n> c14n_from_uri(std::string_view uri);
/// "exc-c14n", "c14n", "c14n11" and "-comments" variants (the CLI's names, as xmlsec1 spells them).
std::optional<C14n> c14n_from_name(std::string_view name);
constexpr bool with_comments(C14n m) noexcept {
    return m == C14n::Inclusive10Comments || m == C14n::Inclusive11Comments || m == C14n::Exclusive10Comments;
}

/// The canonical form of a whole document. Errc::InvalidEncoding: not well-formed XML;
/// Errc::InvalidRequest: a refused DTD (entities, attribute defaults); Errc::PayloadTooLarge: over a limit.
Bytes canonicalize(ByteView xml, C14n method, const ParseLimits& limits = {});

/// Parses and drops `xml`, for a caller that wants to refuse bad input early (same errors as above).
void check_xml(ByteView xml, const ParseLimits& limits = {});

}  // namespace inkan::xades
