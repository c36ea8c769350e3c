#include <inkan/pdf/document.h>

#include <algorithm>
#include <map>
#include <string>

#include "document_impl.h"

namespace inkan::pdf {

using detail::key;

namespace {

/// /Action and /Fields of a FieldMDP transform's parameters or a /Lock dictionary (§12.8.2.4 table
/// 256, §12.7.4.5 table 233). An unknown /Action locks everything: a lock nobody can read is kept.
std::optional<FieldLock> read_lock(QPDFObjectHandle params) {
    if (!params.isDictionary()) return std::nullopt;
    FieldLock lock;
    auto action = key(params, "/Action");
    if (action.isName() && action.getName() == "/Include") {
        lock.action = FieldLock::Action::Include;
    } else if (action.isName() && action.getName() == "/Exclude") {
        lock.action = FieldLock::Action::Exclude;
    }
    if (lock.action != FieldLock::Action::All) {
        auto fields = key(params, "/Fields");
        if (fields.isArray()) {
            int n = 0;
            for (auto f : fields.aitems()) {
                if (++n > 4096) break;  // bounded: a hostile list cannot grow without limit
                if (f.isString()) lock.fields.push_back(f.getUTF8Value());
            }
        }
    }
    return lock;
}

}  // namespace

bool FieldLock::locks(std::string_view field) const {
    const auto named = [&] {
        return std::any_of(fields.begin(), fields.end(), [&](const std::string& f) {
            return field == f ||
                   (field.size() > f.size() && field.substr(0, f.size()) == f && field[f.size()] == '.');
        });
    };
    switch (action) {
        case Action::All:
            return true;
        case Action::Include:
            return named();
        case Action::Exclude:
            return !named();
    }
    return true;
}

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
            // FieldMDP: the signature dictionary's /Reference (what was signed), else the field's /Lock.
            if (auto refs = key(v, "/Reference"); refs.isArray()) {
                for (auto ref : refs.aitems()) {
                    auto method = key(ref, "/TransformMethod");
                    if (method.isName() && method.getName() == "/FieldMDP") {
                        s.field_lock = read_lock(key(ref, "/TransformParams"));
                        break;
                    }
                }
            }
            if (auto lock = key(rec.field, "/Lock"); lock.isDictionary()) {
                if (!s.field_lock) s.field_lock = read_lock(lock);
                if (auto p = key(lock, "/P"); p.isInteger() && p.getIntValue() >= 1 && p.getIntValue() <= 3) {
                    s.lock_permissions = static_cast<int>(p.getIntValue());
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
