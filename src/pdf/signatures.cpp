#include <inkan/pdf/document.h>

#include <string>

#include "document_impl.h"

namespace inkan::pdf {

using detail::key;

std::vector<SignatureValue> Document::signatures() const {
    std::vector<SignatureValue> out;
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
