#pragma once

// Document's parsed state, shared by the files that build updates from it (document.cpp, dss.cpp).

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <qpdf/QPDF.hh>
#include <qpdf/QPDFObjectHandle.hh>

#include <inkan/pdf/document.h>

#include "update.h"

namespace inkan::pdf {
namespace detail {

/// h[key], or null when h is not a dictionary (qpdf warns about key lookups on other types, and
/// open() treats any warning as damage).
inline QPDFObjectHandle key(QPDFObjectHandle h, const char* name) {
    return h.isDictionary() ? h.getKey(name) : QPDFObjectHandle::newNull();
}

inline ObjRef ref_of(QPDFObjectHandle h) {
    const auto og = h.getObjGen();
    return ObjRef{og.getObj(), og.getGen()};
}

/// A dictionary's text with some keys replaced or added; every other value is written as qpdf
/// parsed it (indirect values stay references).
inline std::string dict_with(QPDFObjectHandle dict, const std::map<std::string, std::string>& overrides) {
    std::string out = "<<";
    if (dict.isDictionary()) {
        for (const auto& k : dict.getKeys()) {
            if (overrides.count(k) != 0) continue;
            out += " " + QPDFObjectHandle::newName(k).unparse() + " " + dict.getKey(k).unparse();
        }
    }
    for (const auto& [key, value] : overrides) {
        out += " " + key + " " + value;
    }
    return out + " >>";
}

/// An array's text with `extra` appended.
inline std::string array_with(QPDFObjectHandle array, const std::string& extra) {
    std::string out = "[";
    if (array.isArray()) {
        for (auto item : array.aitems()) {
            out += item.unparse() + " ";
        }
    }
    return out + extra + "]";
}

struct FieldRec {
    SignatureField info;
    QPDFObjectHandle field;
    QPDFObjectHandle widget;
};

}  // namespace detail

struct Document::Impl {
    QPDF qpdf;
    detail::Base base;
    std::vector<QPDFObjectHandle> pages;
    std::vector<SignatureField> fields;
    std::vector<detail::FieldRec> sig_fields;
    std::set<std::string> all_names;
    std::optional<int> docmdp;
    std::size_t signatures = 0;

    void walk_fields(QPDFObjectHandle field, const std::string& parent, const std::string& inherited_ft,
                     std::set<QPDFObjGen>& seen, int depth);
    [[nodiscard]] std::optional<std::size_t> page_of(QPDFObjectHandle widget);
};

}  // namespace inkan::pdf
