#include "attributes.h"

#include <cstring>

#include "ckr.h"

namespace inkan::hsm {

namespace {

// CK_UNAVAILABLE_INFORMATION, without the header's old-style cast.
constexpr CK_ULONG kUnavailable = ~CK_ULONG{0};

}  // namespace

Template& Template::add(CK_ATTRIBUTE_TYPE type, bool value) {
    const CK_BBOOL b = value ? CK_BBOOL{1} : CK_BBOOL{0};
    return add_bytes(type, ByteView{&b, 1});
}

Template& Template::add_ulong(CK_ATTRIBUTE_TYPE type, CK_ULONG value) {
    Bytes raw(sizeof value);
    std::memcpy(raw.data(), &value, sizeof value);
    return add_bytes(type, raw);
}

Template& Template::add_bytes(CK_ATTRIBUTE_TYPE type, ByteView value) {
    Bytes& stored = m_values.emplace_back(value.begin(), value.end());
    m_attributes.push_back(CK_ATTRIBUTE{type, stored.empty() ? nullptr : stored.data(), stored.size()});
    return *this;
}

std::optional<Bytes> get_attribute(const CK_FUNCTION_LIST& f, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
                                   CK_ATTRIBUTE_TYPE type) {
    CK_ATTRIBUTE a{type, nullptr, 0};
    CK_RV rv = f.C_GetAttributeValue(s, o, &a, 1);
    if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE || a.ulValueLen == kUnavailable) {
        return std::nullopt;
    }
    check_ckr(rv, "C_GetAttributeValue");
    Bytes value(a.ulValueLen);
    a.pValue = value.empty() ? nullptr : value.data();
    rv = f.C_GetAttributeValue(s, o, &a, 1);
    if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE || a.ulValueLen == kUnavailable) {
        return std::nullopt;
    }
    check_ckr(rv, "C_GetAttributeValue");
    value.resize(a.ulValueLen);
    return value;
}

std::optional<bool> get_bool(const CK_FUNCTION_LIST& f, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
                             CK_ATTRIBUTE_TYPE type) {
    const auto v = get_attribute(f, s, o, type);
    if (!v || v->size() != sizeof(CK_BBOOL)) {
        return std::nullopt;
    }
    return (*v)[0] != 0;
}

std::optional<CK_ULONG> get_ulong(const CK_FUNCTION_LIST& f, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
                                  CK_ATTRIBUTE_TYPE type) {
    const auto v = get_attribute(f, s, o, type);
    if (!v || v->size() != sizeof(CK_ULONG)) {
        return std::nullopt;
    }
    CK_ULONG out = 0;
    std::memcpy(&out, v->data(), sizeof out);
    return out;
}

std::vector<CK_OBJECT_HANDLE> find_objects(const CK_FUNCTION_LIST& f, CK_SESSION_HANDLE s, Template& match,
                                           std::size_t max) {
    check_ckr(f.C_FindObjectsInit(s, match.size() == 0 ? nullptr : match.data(), match.size()),
              "C_FindObjectsInit");
    struct Final {
        const CK_FUNCTION_LIST& f;
        CK_SESSION_HANDLE s;
        ~Final() { (void)f.C_FindObjectsFinal(s); }
    } final{f, s};
    std::vector<CK_OBJECT_HANDLE> found;
    CK_OBJECT_HANDLE batch[32];
    while (found.size() < max) {
        CK_ULONG n = 0;
        check_ckr(f.C_FindObjects(s, batch, std::size(batch), &n), "C_FindObjects");
        if (n == 0) {
            break;
        }
        found.insert(found.end(), batch, batch + n);
    }
    if (found.size() > max) {
        found.resize(max);
    }
    return found;
}

}  // namespace inkan::hsm
