#include <inkan/pdf/document.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <system_error>
#include <utility>

#include <qpdf/Constants.h>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFExc.hh>
#include <qpdf/QPDFObjectHandle.hh>

#include <inkan/core/encoding.h>
#include <inkan/pdf/syntax.h>

#include "appearance.h"
#include "document_impl.h"
#include "update.h"

namespace inkan::pdf {

using detail::array_with;
using detail::dict_with;
using detail::FieldRec;
using detail::key;
using detail::ObjRef;
using detail::ref_of;

namespace {

constexpr std::size_t kMaxContents = 64 * 1024 * 1024;  // a CMS with CRLs inside stays far below
constexpr std::string_view kRangePlaceholder = "[0 000000000000 000000000000 000000000000]";

[[noreturn]] void refuse(Errc code, const std::filesystem::path& p, const std::string& why) {
    throw Error{code, "pdf: " + p.filename().string() + ": " + why};
}

std::string read_at(const std::filesystem::path& p, std::uint64_t offset, std::size_t n) {
    const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) refuse(Errc::IoFailure, p, "cannot be opened");
    std::string out(n, '\0');
    std::size_t got = 0;
    while (got < n) {
        const ssize_t r = ::pread(fd, out.data() + got, n - got, static_cast<off_t>(offset + got));
        if (r <= 0) break;
        got += static_cast<std::size_t>(r);
    }
    ::close(fd);
    out.resize(got);
    return out;
}

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

}  // namespace

ContentsTooSmall::ContentsTooSmall(std::size_t needed, std::size_t capacity)
    : Error{Errc::PayloadTooLarge, "pdf: the signature needs " + std::to_string(needed) +
                                       " bytes of /Contents; " + std::to_string(capacity) + " were reserved"},
      m_needed{needed},
      m_capacity{capacity} {}

std::optional<std::size_t> Document::Impl::page_of(QPDFObjectHandle widget) {
    auto p = key(widget, "/P");
    if (!p.isIndirect()) return std::nullopt;
    for (std::size_t i = 0; i < pages.size(); ++i) {
        if (pages[i].getObjGen() == p.getObjGen()) return i;
    }
    return std::nullopt;
}

void Document::Impl::walk_fields(QPDFObjectHandle field, const std::string& parent,
                                 const std::string& inherited_ft, std::set<QPDFObjGen>& seen, int depth) {
    // ISO 32000-1 §12.7.3.1: /T is the partial name, /FT is inheritable, terminal fields have no
    // /Kids that are fields (kids without /T are its widgets).
    if (!field.isDictionary() || depth > 32) return;
    if (field.isIndirect() && !seen.insert(field.getObjGen()).second) return;
    auto t = field.getKey("/T");
    std::string name = parent;
    if (t.isString()) {
        name = parent.empty() ? t.getUTF8Value() : parent + "." + t.getUTF8Value();
    }
    auto ft_obj = field.getKey("/FT");
    const std::string ft = ft_obj.isName() ? ft_obj.getName() : inherited_ft;
    auto kids = field.getKey("/Kids");
    bool has_field_kids = false;
    if (kids.isArray()) {
        for (auto kid : kids.aitems()) {
            if (kid.isDictionary() && kid.hasKey("/T")) {
                has_field_kids = true;
                walk_fields(kid, name, ft, seen, depth + 1);
            }
        }
    }
    if (has_field_kids) return;
    all_names.insert(name);
    if (ft != "/Sig") return;
    FieldRec rec;
    rec.field = field;
    rec.widget = field;
    if (kids.isArray() && kids.getArrayNItems() > 0 && kids.getArrayItem(0).isDictionary()) {
        rec.widget = kids.getArrayItem(0);
    }
    rec.info.name = name;
    rec.info.is_signed = field.getKey("/V").isDictionary();
    rec.info.page = page_of(rec.widget);
    if (rec.info.is_signed) ++signatures;
    fields.push_back(rec.info);
    sig_fields.push_back(std::move(rec));
}

Document::Document(std::unique_ptr<Impl> impl) : m{std::move(impl)} {}
Document::Document(Document&&) noexcept = default;
Document& Document::operator=(Document&&) noexcept = default;
Document::~Document() = default;

const std::filesystem::path& Document::path() const noexcept {
    return m->base.path;
}
std::uint64_t Document::file_size() const noexcept {
    return m->base.size;
}
XrefKind Document::xref_kind() const noexcept {
    return m->base.kind;
}
std::size_t Document::page_count() const noexcept {
    return m->pages.size();
}
const std::vector<SignatureField>& Document::signature_fields() const noexcept {
    return m->fields;
}
std::size_t Document::signature_count() const noexcept {
    return m->signatures;
}
std::optional<int> Document::docmdp() const noexcept {
    return m->docmdp;
}

Document Document::open(const std::filesystem::path& path) {
    auto impl = std::make_unique<Impl>();
    auto& base = impl->base;
    base.path = path;
    std::error_code ec;
    base.size = std::filesystem::file_size(path, ec);
    if (ec) refuse(Errc::IoFailure, path, "cannot be read: " + ec.message());

    // ISO 32000-1 §7.5.2: the header; Acrobat accepts it within the first 1024 bytes.
    if (read_at(path, 0, 1024).find("%PDF-") == std::string::npos) {
        refuse(Errc::InvalidEncoding, path, "not a PDF (no %PDF- header)");
    }
    // §7.5.5: the file ends with "startxref", the offset of the last xref section, and "%%EOF".
    const std::uint64_t tail_len = std::min<std::uint64_t>(base.size, 2048);
    const std::string tail = read_at(path, base.size - tail_len, static_cast<std::size_t>(tail_len));
    const auto sx = tail.rfind("startxref");
    if (sx == std::string::npos || tail.find("%%EOF", sx) == std::string::npos) {
        refuse(Errc::InvalidEncoding, path, "truncated or damaged (no startxref and %%EOF at the end)");
    }
    {
        std::size_t i = sx + 9;
        while (i < tail.size() && std::isspace(static_cast<unsigned char>(tail[i])))
            ++i;
        const std::size_t digits = i;
        std::uint64_t v = 0;
        while (i < tail.size() && std::isdigit(static_cast<unsigned char>(tail[i])) && i - digits < 19) {
            v = v * 10 + static_cast<std::uint64_t>(tail[i] - '0');
            ++i;
        }
        if (i == digits || v >= base.size)
            refuse(Errc::InvalidEncoding, path, "damaged (bad startxref offset)");
        base.prev = v;
    }
    base.ends_with_eol = tail.back() == '\n' || tail.back() == '\r';
    {
        const std::string at = read_at(path, base.prev, 64);
        std::size_t i = 0;
        while (i < at.size() && std::isspace(static_cast<unsigned char>(at[i])))
            ++i;
        if (at.compare(i, 4, "xref") == 0) {
            base.kind = XrefKind::Table;
        } else {
            // "N G obj" of an xref stream object.
            int id = 0;
            int gen = 0;
            int used = 0;
            if (std::sscanf(at.c_str() + i, "%d %d obj%n", &id, &gen, &used) != 2 || used == 0) {
                refuse(Errc::InvalidEncoding, path,
                       "damaged (startxref does not point at a cross-reference section)");
            }
            base.kind = XrefKind::Stream;
        }
    }

    auto& q = impl->qpdf;
    try {
        q.setSuppressWarnings(true);
        // A reconstructed xref means offsets we cannot trust for an incremental update: refuse.
        q.setAttemptRecovery(false);
        q.processFile(path.c_str());
        if (q.isEncrypted()) refuse(Errc::InvalidRequest, path, "encrypted PDFs are not supported");
        auto trailer = q.getTrailer();
        if (trailer.hasKey("/XRefStm")) {
            refuse(Errc::InvalidRequest, path, "hybrid-reference files (/XRefStm) are not supported");
        }
        auto root = q.getRoot();
        base.root_ref = ref_of(root).ref();
        if (auto info = trailer.getKey("/Info"); info.isIndirect()) base.info_ref = ref_of(info).ref();
        if (auto id = trailer.getKey("/ID");
            id.isArray() && id.getArrayNItems() >= 1 && id.getArrayItem(0).isString()) {
            auto s = id.getArrayItem(0).getStringValue();
            base.first_id.assign(s.begin(), s.end());
        }
        int next = trailer.getKey("/Size").isInteger() ? trailer.getKey("/Size").getIntValueAsInt() : 1;
        for (const auto& [og, entry] : q.getXRefTable()) {
            next = std::max(next, og.getObj() + 1);
        }
        base.next_id = next;

        impl->pages = q.getAllPages();
        auto acroform = root.getKey("/AcroForm");
        if (acroform.isDictionary()) {
            auto fields = key(acroform, "/Fields");
            std::set<QPDFObjGen> seen;
            if (fields.isArray()) {
                for (auto f : fields.aitems())
                    impl->walk_fields(f, "", "", seen, 0);
            }
        }
        // §12.8.2.2: the certification signature is /Perms /DocMDP; P defaults to 2.
        auto docmdp = key(key(root, "/Perms"), "/DocMDP");
        if (docmdp.isDictionary()) {
            int p = 2;
            auto refs = docmdp.getKey("/Reference");
            if (refs.isArray()) {
                for (auto r : refs.aitems()) {
                    if (key(r, "/TransformMethod").isNameAndEquals("/DocMDP")) {
                        auto pv = key(key(r, "/TransformParams"), "/P");
                        if (pv.isInteger()) p = pv.getIntValueAsInt();
                    }
                }
            }
            impl->docmdp = p;
        }
        if (q.anyWarnings()) {
            const auto warnings = q.getWarnings();
            refuse(Errc::InvalidEncoding, path,
                   "damaged (" +
                       (warnings.empty() ? std::string{"qpdf warned"} : warnings.front().getMessageDetail()) +
                       ")");
        }
    } catch (const Error&) {
        throw;
    } catch (const QPDFExc& e) {
        if (e.getErrorCode() == qpdf_e_password)
            refuse(Errc::InvalidRequest, path, "encrypted PDFs are not supported");
        refuse(Errc::InvalidEncoding, path, std::string{"damaged ("} + e.getMessageDetail() + ")");
    } catch (const std::exception& e) {
        refuse(Errc::InvalidEncoding, path, std::string{"damaged ("} + e.what() + ")");
    }
    return Document{std::move(impl)};
}

PreparedSignature Document::prepare(const SignatureSpec& spec, const std::filesystem::path& output) const {
    // qpdf parses objects on demand: a broken object found only now is still damage.
    try {
        const bool dts = spec.type == SignatureType::DocTimeStamp;
        require(spec.contents_size > 0 && spec.contents_size <= kMaxContents, Errc::InvalidRequest,
                "pdf: contents_size must be between 1 and " + std::to_string(kMaxContents) + " bytes");
        require(dts == (spec.sub_filter == SubFilter::Rfc3161), Errc::InvalidRequest,
                "pdf: a document time-stamp takes /SubFilter /ETSI.RFC3161, and only it does");
        require(!dts || !spec.certify, Errc::InvalidRequest, "pdf: a document time-stamp cannot certify");
        if (spec.certify) {
            require(*spec.certify >= 1 && *spec.certify <= 3, Errc::InvalidRequest,
                    "pdf: DocMDP P must be 1, 2 or 3");
            // ISO 32000-1 §12.8.2.2.1: a certification signature must be the first signature.
            require(m->signatures == 0 && !m->docmdp, Errc::Conflict,
                    "pdf: only the first signature of a document can certify it");
        }
        // §12.8.2.2.2: P=1 permits no changes. ISO 32000-2 treats DSS and document time-stamp
        // revisions as no change, so only a signature is refused.
        require(dts || m->docmdp != 1, Errc::Conflict,
                "pdf: the document is certified with DocMDP P=1 (no changes allowed)");
        require(m->pages.size() > spec.page, Errc::InvalidRequest,
                "pdf: page " + std::to_string(spec.page) + " is out of range (the document has " +
                    std::to_string(m->pages.size()) + " pages)");

        // Which field: an existing one by name, or a new one.
        FieldRec* existing = nullptr;
        std::string field_name = spec.field_name;
        if (!field_name.empty()) {
            for (auto& f : m->sig_fields) {
                if (f.info.name == field_name) existing = &f;
            }
            if (existing == nullptr) {
                require(m->all_names.count(field_name) == 0, Errc::Conflict,
                        "pdf: the field " + field_name + " is not a signature field");
                require(field_name.find('.') == std::string::npos, Errc::InvalidRequest,
                        "pdf: a new field's name cannot contain '.' (ISO 32000-1 §12.7.3.2)");
            } else {
                require(!existing->info.is_signed, Errc::Conflict,
                        "pdf: the field " + field_name + " is already signed");
                require(existing->field.isIndirect(), Errc::Conflict,
                        "pdf: the field " + field_name + " is not an indirect object");
            }
        } else {
            for (int n = 1; field_name.empty(); ++n) {
                const auto candidate = "Signature" + std::to_string(n);
                if (m->all_names.count(candidate) == 0) field_name = candidate;
            }
        }

        if (spec.appearance && existing == nullptr) {
            const auto& r = spec.appearance->rect;
            require(r.x2 > r.x1 && r.y2 > r.y1 && std::isfinite(r.x1) && std::isfinite(r.y1) &&
                        std::isfinite(r.x2) && std::isfinite(r.y2),
                    Errc::InvalidRequest, "pdf: the signature rectangle is empty");
        }

        detail::IncrementalUpdate update{m->base};
        auto& q = m->qpdf;
        auto root = q.getRoot();
        std::map<std::string, std::string> catalog;

        // The signature dictionary (ISO 32000-1 §12.8.1, ETSI EN 319 142-1 §5.3).
        const ObjRef sig = update.allocate();
        std::string body = dts ? "<< /Type /DocTimeStamp" : "<< /Type /Sig";
        body += " /Filter /Adobe.PPKLite /SubFilter ";
        body += spec.sub_filter == SubFilter::CadesDetached ? "/ETSI.CAdES.detached"
                : spec.sub_filter == SubFilter::Rfc3161     ? "/ETSI.RFC3161"
                                                            : "/adbe.pkcs7.detached";
        body += " /ByteRange ";
        const std::size_t range_at = body.size();
        body += kRangePlaceholder;
        body += " /Contents ";
        const std::size_t contents_at = body.size();
        body += "<" + std::string(2 * spec.contents_size, '0') + ">";
        if (spec.signing_time)
            body += " /M " + pdf_text_string(pdf_date(*spec.signing_time, spec.utc_offset));
        if (!spec.name.empty()) body += " /Name " + pdf_text_string(spec.name);
        if (!spec.reason.empty()) body += " /Reason " + pdf_text_string(spec.reason);
        if (!spec.location.empty()) body += " /Location " + pdf_text_string(spec.location);
        if (!spec.contact_info.empty()) body += " /ContactInfo " + pdf_text_string(spec.contact_info);
        if (spec.certify) {
            body +=
                " /Reference [<< /Type /SigRef /TransformMethod /DocMDP /TransformParams << /Type "
                "/TransformParams /P " +
                std::to_string(*spec.certify) + " /V /1.2 >> >>]";
            auto perms = root.getKey("/Perms");
            if (perms.isIndirect() && perms.isDictionary()) {
                update.put(ref_of(perms), dict_with(perms, {{"/DocMDP", sig.ref()}}));
            } else {
                catalog["/Perms"] = dict_with(perms, {{"/DocMDP", sig.ref()}});
            }
        }
        body += " >>";
        update.put(sig, body);

        // The AcroForm: /SigFlags 3 = SignaturesExist | AppendOnly (§12.7.2), the new field appended.
        auto acroform = root.getKey("/AcroForm");
        std::map<std::string, std::string> form;
        int flags =
            key(acroform, "/SigFlags").isInteger() ? key(acroform, "/SigFlags").getIntValueAsInt() : 0;
        if ((flags & 3) != 3) form["/SigFlags"] = std::to_string(flags | 3);

        if (existing != nullptr) {
            std::map<std::string, std::string> field_keys{{"/V", sig.ref()}};
            if (spec.appearance) {
                // Sign into the field where it is: its widget's own rectangle decides the size.
                auto rect = key(existing->widget, "/Rect");
                double w = 0;
                double h = 0;
                if (rect.isRectangle()) {
                    const auto r = rect.getArrayAsRectangle();
                    w = std::abs(r.urx - r.llx);
                    h = std::abs(r.ury - r.lly);
                }
                if (w > 0 && h > 0) {
                    const auto ap = detail::add_appearance(update, &*spec.appearance, w, h);
                    const std::string ap_text = "<< /N " + ap.ref() + " >>";
                    if (existing->widget.getObjGen() == existing->field.getObjGen()) {
                        field_keys["/AP"] = ap_text;
                    } else if (existing->widget.isIndirect()) {
                        update.put(ref_of(existing->widget), dict_with(existing->widget, {{"/AP", ap_text}}));
                    }
                }
            }
            update.put(ref_of(existing->field), dict_with(existing->field, field_keys));
        } else {
            // A merged field and widget annotation (§12.5.6.19, §12.7.4.5); /F 132 = Print | Locked.
            auto page = m->pages[spec.page];
            const ObjRef widget = update.allocate();
            Rect r{};
            if (spec.appearance) r = spec.appearance->rect;
            const auto ap = detail::add_appearance(update, spec.appearance ? &*spec.appearance : nullptr,
                                                   r.x2 - r.x1, r.y2 - r.y1);
            update.put(widget, "<< /Type /Annot /Subtype /Widget /FT /Sig /T " + pdf_text_string(field_name) +
                                   " /V " + sig.ref() + " /F 132 /Rect [" + number(r.x1) + " " +
                                   number(r.y1) + " " + number(r.x2) + " " + number(r.y2) + "] /P " +
                                   ref_of(page).ref() + " /AP << /N " + ap.ref() + " >> >>");
            // The page's /Annots (rewritten where it lives: its own object or the page).
            auto annots = page.getKey("/Annots");
            if (annots.isIndirect() && annots.isArray()) {
                update.put(ref_of(annots), array_with(annots, widget.ref()));
            } else {
                update.put(ref_of(page), dict_with(page, {{"/Annots", array_with(annots, widget.ref())}}));
            }
            auto fields = key(acroform, "/Fields");
            if (fields.isIndirect() && fields.isArray()) {
                update.put(ref_of(fields), array_with(fields, widget.ref()));
            } else {
                form["/Fields"] = array_with(fields, widget.ref());
            }
        }
        if (!form.empty()) {
            if (acroform.isIndirect() && acroform.isDictionary()) {
                update.put(ref_of(acroform), dict_with(acroform, form));
            } else {
                catalog["/AcroForm"] = dict_with(acroform, form);
            }
        }
        if (!catalog.empty()) update.put(ref_of(root), dict_with(root, catalog));

        detail::TempFile file{output};
        const auto offsets = update.write(file);
        const std::uint64_t total = file.size();

        PreparedSignature prepared;
        prepared.m_output = output;
        prepared.m_temp = file.release();  // from here on `prepared` removes it unless embed() succeeds
        prepared.m_capacity = spec.contents_size;
        prepared.m_field = existing != nullptr ? existing->info.name : field_name;
        const std::uint64_t lt = offsets.at(sig.id) + contents_at;  // the "<" of /Contents
        const std::uint64_t gt = lt + 2 * spec.contents_size + 2;   // just after its ">"
        prepared.m_range = {0, lt, gt, total - gt};
        // §12.8.1 / EN 319 142-1: patch /ByteRange in place; spaces keep every other byte where it was.
        std::string range =
            "[0 " + std::to_string(lt) + " " + std::to_string(gt) + " " + std::to_string(total - gt);
        range += std::string(kRangePlaceholder.size() - 1 - range.size(), ' ') + "]";
        detail::patch_file(prepared.m_temp, offsets.at(sig.id) + range_at, as_bytes(range));
        return prepared;
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        refuse(Errc::InvalidEncoding, m->base.path, std::string{"damaged ("} + e.what() + ")");
    }
}

PreparedSignature::PreparedSignature(PreparedSignature&& o) noexcept
    : m_temp{std::exchange(o.m_temp, {})},
      m_output{std::move(o.m_output)},
      m_range{o.m_range},
      m_capacity{o.m_capacity},
      m_field{std::move(o.m_field)},
      m_done{o.m_done} {}

PreparedSignature& PreparedSignature::operator=(PreparedSignature&& o) noexcept {
    if (this != &o) {
        discard();
        m_temp = std::exchange(o.m_temp, {});
        m_output = std::move(o.m_output);
        m_range = o.m_range;
        m_capacity = o.m_capacity;
        m_field = std::move(o.m_field);
        m_done = o.m_done;
    }
    return *this;
}

PreparedSignature::~PreparedSignature() {
    discard();
}

void PreparedSignature::discard() noexcept {
    if (!m_temp.empty()) ::unlink(m_temp.c_str());
    m_temp.clear();
}

void PreparedSignature::hash_ranges(const std::function<void(ByteView)>& sink) const {
    require(!m_temp.empty(), Errc::Conflict, "pdf: the prepared signature was already embedded or discarded");
    const int fd = ::open(m_temp.c_str(), O_RDONLY | O_CLOEXEC);
    require(fd >= 0, Errc::IoFailure, "pdf: cannot reopen the prepared file");
    try {
        detail::stream_range(fd, m_range[0], m_range[1], sink);
        detail::stream_range(fd, m_range[2], m_range[3], sink);
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);
}

void PreparedSignature::embed(ByteView der) {
    require(!m_done && !m_temp.empty(), Errc::Conflict, "pdf: the prepared signature was already embedded");
    if (der.size() > m_capacity) throw ContentsTooSmall{der.size(), m_capacity};
    // The hex fills the front of the reserved string; the rest stays "0" (DER ignores the padding).
    detail::patch_file(m_temp, m_range[1] + 1, as_bytes(hex_encode_upper(der)));
    if (::rename(m_temp.c_str(), m_output.c_str()) != 0) {
        throw Error{Errc::IoFailure, "pdf: cannot rename the result to " + m_output.string()};
    }
    m_temp.clear();
    m_done = true;
}

}  // namespace inkan::pdf
