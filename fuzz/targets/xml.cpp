// The XML parser (libxml2 under xades::ParseLimits: no network, no DTD loading, no entities) and
// C14N: every canonicalisation of the whole document, and of the root element minus its first child
// element (what the enveloped-signature transform selects), as the XAdES code digests references.
#include <libxml/tree.h>

#include <inkan/xades/xml.h>

#include "document.h"

#include "../fuzz.h"

using namespace inkan;
using namespace inkan::xades;

namespace {

constexpr C14n kMethods[] = {C14n::Inclusive10,         C14n::Inclusive10Comments, C14n::Inclusive11,
                             C14n::Inclusive11Comments, C14n::Exclusive10,         C14n::Exclusive10Comments};

xmlNode* first_element(xmlNode* n) {
    for (; n != nullptr; n = n->next) {
        if (n->type == XML_ELEMENT_NODE) {
            return n;
        }
    }
    return nullptr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteView in = fuzz::bytes(data, size);
    ParseLimits limits;
    limits.max_bytes = std::size_t{1} << 20;  // libFuzzer's inputs are smaller; the bound is the code's
    limits.max_depth = 64;
    fuzz::refusing([&] { check_xml(in, limits); });
    for (const C14n m : kMethods) {
        fuzz::refusing([&] { (void)canonicalize(in, m, limits); });
    }
    fuzz::refusing([&] {
        const detail::DocPtr doc = detail::parse(in, limits);
        xmlNode* root = xmlDocGetRootElement(doc.get());
        if (root == nullptr) {
            return;
        }
        xmlNode* excluded = first_element(root->children);
        for (const C14n m : kMethods) {
            fuzz::refusing([&] {
                detail::canonicalize(doc.get(), root, excluded, m, with_comments(m), [](ByteView) {});
            });
        }
        (void)detail::serialize(doc.get());
    });
    return 0;
}
