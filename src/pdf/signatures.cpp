#include <inkan/pdf/document.h>

#include <map>
#include <string>

#include "document_impl.h"

namespace inkan::pdf {

using detail::key;

std::vector<SignatureValue> Document::signatures() const {
    std::vector<SignatureValue> out;
    std::map<QPDFObjGen, QPDFXRefEntry> xref;
    try {
        for (const auto& rec : m->sig_fields) {
            auto v = key(rec.field, "/V");
            if (!v.isDictionary()) continue;
            SignatureValue s;
            s.field_name = rec.info.name;
            auto sub = key(v, "/SubFilter");
            s.sub_filter = sub.isName() ? sub.getName() : "";
            auto type = key(v, "/Type");
            if ((type.isName() && type.getName() == "/DocTimeStamp") || s.sub_filter == "/ETSI.RFC3161") {
                s.type = SignatureType::DocTimeStamp;
            }
            auto range = key(v, "/ByteRange");
            if (range.isArray()) {
                for (auto item : range.aitems()) {
                    if (item.isInteger() && item.getIntValue() >= 0) {
                        s.byte_range.push_back(static_cast<std::uint64_t>(item.getIntValue()));
                    }
                }
            }
            auto contents = key(v, "/Contents");
            require(contents.isString(), Errc::InvalidEncoding,
                    "pdf: the signature in field \"" + s.field_name + "\" has no /Contents string");
            const std::string raw = contents.getStringValue();
            s.contents.assign(raw.begin(), raw.end());
            if (auto mt = key(v, "/M"); mt.isString()) s.signing_time = mt.getStringValue();
            if (auto n = key(v, "/Name"); n.isString()) s.name = n.getUTF8Value();
            auto perms = key(key(m->qpdf.getRoot(), "/Perms"), "/DocMDP");
            s.certification = perms.isIndirect() && v.isIndirect() && perms.getObjGen() == v.getObjGen();
            if (v.isIndirect()) {
                if (xref.empty()) xref = m->qpdf.getXRefTable();
                auto it = xref.find(v.getObjGen());
                if (it != xref.end() && it->second.getType() == 2) {
                    it = xref.find(QPDFObjGen{it->second.getObjStreamNumber(), 0});
                }
                if (it != xref.end() && it->second.getType() == 1) {
                    s.dictionary_offset = static_cast<std::uint64_t>(it->second.getOffset());
                }
            }
            out.push_back(std::move(s));
        }
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw Error{Errc::InvalidEncoding, std::string{"pdf: damaged ("} + e.what() + ")"};
    }
    return out;
}

}  // namespace inkan::pdf
