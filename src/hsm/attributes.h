#pragma once

// Attribute templates and reads, object searches. Callers hold Module::shared().

#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>
#include <vector>

#include <inkan/core/bytes.h>

#include "p11.h"

namespace inkan::hsm {

/// A CK_ATTRIBUTE array that owns the values it points to.
class Template {
public:
    Template& add(CK_ATTRIBUTE_TYPE type, bool value);
    Template& add_ulong(CK_ATTRIBUTE_TYPE type, CK_ULONG value);
    Template& add_bytes(CK_ATTRIBUTE_TYPE type, ByteView value);
    Template& add_text(CK_ATTRIBUTE_TYPE type, std::string_view value) {
        return add_bytes(type, as_bytes(value));
    }
    [[nodiscard]] CK_ATTRIBUTE* data() noexcept { return m_attributes.data(); }
    [[nodiscard]] CK_ULONG size() const noexcept { return m_attributes.size(); }

private:
    std::deque<Bytes> m_values;  // a deque: adding never moves the buffers already pointed to
    std::vector<CK_ATTRIBUTE> m_attributes;
};

/// C_GetAttributeValue for one attribute (length query, then the value). Empty if the token does
/// not have it or will not tell (CKR_ATTRIBUTE_TYPE_INVALID, CKR_ATTRIBUTE_SENSITIVE, or a length
/// of CK_UNAVAILABLE_INFORMATION); throws for anything else.
std::optional<Bytes> get_attribute(const CK_FUNCTION_LIST& f, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
                                   CK_ATTRIBUTE_TYPE type);
std::optional<bool> get_bool(const CK_FUNCTION_LIST& f, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
                             CK_ATTRIBUTE_TYPE type);
std::optional<CK_ULONG> get_ulong(const CK_FUNCTION_LIST& f, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
                                  CK_ATTRIBUTE_TYPE type);

/// C_FindObjectsInit / C_FindObjects / C_FindObjectsFinal (always called once Init succeeded).
std::vector<CK_OBJECT_HANDLE> find_objects(const CK_FUNCTION_LIST& f, CK_SESSION_HANDLE s, Template& match,
                                           std::size_t max = SIZE_MAX);

}  // namespace inkan::hsm
