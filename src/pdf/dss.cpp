#include <inkan/pdf/document.h>

#include <algorithm>
#include <memory>

#include <qpdf/Constants.h>

#include "document_impl.h"
#include "update.h"

namespace inkan::pdf {

using detail::dict_with;
using detail::key;
using detail::ObjRef;
using detail::ref_of;

namespace {

/// One DSS array (/Certs, /OCSPs or /CRLs): the existing entries, then the new data that is not
/// already there. `refs[i]` is the reference that holds input i (new or existing).
struct Merged {
    std::string array;
    std::vector<std::string> refs;
};

Merged merge(detail::IncrementalUpdate& update, QPDFObjectHandle existing, const std::vector<Bytes>& data) {
    Merged out;
    std::vector<std::pair<std::string, std::string>> known;  // (bytes, ref) of existing streams
    out.array = "[";
    if (existing.isArray()) {
        for (auto item : existing.aitems()) {
            out.array += item.unparse() + " ";
            if (item.isStream() && item.isIndirect()) {
                // DSS entries are certificates and revocation data (KBs); comparing them costs little.
                const auto buf = item.getStreamData(qpdf_dl_generalized);
                known.emplace_back(
                    std::string{reinterpret_cast<const char*>(buf->getBuffer()), buf->getSize()},
                    item.unparse());
            }
        }
    }
    for (const auto& d : data) {
        const auto bytes = to_string(d);
        const auto hit =
            std::find_if(known.begin(), known.end(), [&](const auto& k) { return k.first == bytes; });
        if (hit != known.end()) {
            out.refs.push_back(hit->second);
            continue;
        }
        const ObjRef ref = update.allocate();
        update.put(ref, detail::stream_body("", d));
        out.array += ref.ref() + " ";
        out.refs.push_back(ref.ref());
        known.emplace_back(bytes, ref.ref());
    }
    out.array += "]";
    return out;
}

std::string refs_array(const std::vector<std::size_t>& indices, const Merged& merged, const char* what) {
    std::string out = "[";
    for (const auto i : indices) {
        require(i < merged.refs.size(), Errc::InvalidRequest,
                std::string{"pdf: a VRI entry names "} + what + " that is not in the DSS data");
        out += merged.refs[i] + " ";
    }
    return out + "]";
}

}  // namespace

void Document::add_dss(const DssData& data, const std::filesystem::path& output) const {
    try {
        for (const auto& v : data.vri) {
            // The VRI key is a SHA-1 in upper-case hex (ETSI EN 319 142-1 §5.4.2.3).
            require(v.key.size() == 40 &&
                        std::all_of(v.key.begin(), v.key.end(),
                                    [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); }),
                    Errc::InvalidRequest, "pdf: a VRI key must be 40 upper-case hex digits");
        }
        detail::IncrementalUpdate update{m->base};
        auto root = m->qpdf.getRoot();
        auto dss = key(root, "/DSS");

        const auto certs = merge(update, key(dss, "/Certs"), data.certs);
        const auto ocsps = merge(update, key(dss, "/OCSPs"), data.ocsps);
        const auto crls = merge(update, key(dss, "/CRLs"), data.crls);
        std::map<std::string, std::string> keys{{"/Type", "/DSS"}};
        if (!certs.refs.empty() || key(dss, "/Certs").isArray()) keys["/Certs"] = certs.array;
        if (!ocsps.refs.empty() || key(dss, "/OCSPs").isArray()) keys["/OCSPs"] = ocsps.array;
        if (!crls.refs.empty() || key(dss, "/CRLs").isArray()) keys["/CRLs"] = crls.array;

        if (!data.vri.empty()) {
            // New VRI dictionaries replace an entry with the same key; every other entry is kept.
            std::map<std::string, std::string> vri;
            for (const auto& v : data.vri) {
                const ObjRef ref = update.allocate();
                update.put(ref, "<< /Type /VRI /Cert " + refs_array(v.certs, certs, "a certificate") +
                                    " /OCSP " + refs_array(v.ocsps, ocsps, "an OCSP response") + " /CRL " +
                                    refs_array(v.crls, crls, "a CRL") + " >>");
                vri["/" + v.key] = ref.ref();
            }
            auto old_vri = key(dss, "/VRI");
            if (old_vri.isIndirect() && old_vri.isDictionary()) {
                update.put(ref_of(old_vri), dict_with(old_vri, vri));
            } else {
                keys["/VRI"] = dict_with(old_vri, vri);
            }
        }

        if (dss.isIndirect() && dss.isDictionary()) {
            update.put(ref_of(dss), dict_with(dss, keys));
        } else {
            const ObjRef ref = update.allocate();
            update.put(ref, dict_with(dss, keys));
            update.put(ref_of(root), dict_with(root, {{"/DSS", ref.ref()}}));
        }
        detail::TempFile file{output};
        (void)update.write(file);
        file.commit();
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        // qpdf parses objects on demand: a broken object found only now is still damage.
        throw Error{Errc::InvalidEncoding, std::string{"pdf: damaged ("} + e.what() + ")"};
    }
}

}  // namespace inkan::pdf

namespace inkan::pdf {

namespace {

constexpr std::size_t kMaxDssEntries = 4096;
constexpr std::size_t kMaxDssEntry = 16 * 1024 * 1024;

void read_streams(QPDFObjectHandle array, std::vector<Bytes>& out, std::size_t& budget) {
    if (!array.isArray()) return;
    for (auto item : array.aitems()) {
        if (!item.isStream() || budget == 0) continue;
        --budget;
        auto length = item.getDict().getKey("/Length");
        if (length.isInteger() && length.getIntValue() > static_cast<long long>(kMaxDssEntry)) continue;
        const auto buf = item.getStreamData(qpdf_dl_generalized);
        if (buf->getSize() > kMaxDssEntry) continue;
        Bytes b{buf->getBuffer(), buf->getBuffer() + buf->getSize()};
        if (std::find(out.begin(), out.end(), b) == out.end()) out.push_back(std::move(b));
    }
}

}  // namespace

DssData Document::dss() const {
    DssData out;
    try {
        auto dss = key(m->qpdf.getRoot(), "/DSS");
        if (!dss.isDictionary()) return out;
        std::size_t budget = kMaxDssEntries;
        read_streams(key(dss, "/Certs"), out.certs, budget);
        read_streams(key(dss, "/OCSPs"), out.ocsps, budget);
        read_streams(key(dss, "/CRLs"), out.crls, budget);
        auto vri = key(dss, "/VRI");
        if (vri.isDictionary()) {
            for (const auto& k : vri.getKeys()) {
                auto entry = vri.getKey(k);
                read_streams(key(entry, "/Cert"), out.certs, budget);
                read_streams(key(entry, "/OCSP"), out.ocsps, budget);
                read_streams(key(entry, "/CRL"), out.crls, budget);
            }
        }
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw Error{Errc::InvalidEncoding, std::string{"pdf: damaged DSS ("} + e.what() + ")"};
    }
    return out;
}

}  // namespace inkan::pdf
