// Read-only looks at a signed PDF for the validator: byte ranges streamed, where revisions end, and
// what an incremental update changed relative to an earlier revision (ISO 32000-1 §7.5.6, §12.8.2.2).

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>

#include <qpdf/FileInputSource.hh>
#include <qpdf/InputSource.hh>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFExc.hh>
#include <qpdf/QPDFObjectHandle.hh>

#include <inkan/core/error.h>
#include <inkan/pdf/document.h>

#include "update.h"

namespace inkan::pdf {

namespace {

struct Fd {
    int fd = -1;
    explicit Fd(const std::filesystem::path& p) : fd{::open(p.c_str(), O_RDONLY | O_CLOEXEC)} {
        if (fd < 0) {
            throw Error{Errc::IoFailure, "pdf: " + p.filename().string() + " cannot be opened"};
        }
    }
    ~Fd() { ::close(fd); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
};

/// The first `limit` bytes of a file as a qpdf input: an earlier revision of an incrementally
/// updated PDF is exactly a prefix of the file (§7.5.6), so it is read in place, never copied.
class PrefixInputSource final : public InputSource {
public:
    PrefixInputSource(const std::filesystem::path& path, qpdf_offset_t limit)
        : m_inner{std::make_shared<FileInputSource>(path.c_str())}, m_limit{limit} {}

    qpdf_offset_t findAndSkipNextEOL() override {
        // As FileInputSource: the offset of the next EOL (or the end), positioned after it.
        char c = 0;
        qpdf_offset_t result = -1;
        while (true) {
            const qpdf_offset_t at = tell();
            if (read(&c, 1) == 0) {
                return result < 0 ? at : result;
            }
            if (c == '\r' || c == '\n') {
                if (result < 0) result = at;
            } else if (result >= 0) {
                seek(at, SEEK_SET);
                return result;
            }
        }
    }
    std::string const& getName() const override { return m_inner->getName(); }
    qpdf_offset_t tell() override { return m_inner->tell(); }
    void seek(qpdf_offset_t offset, int whence) override {
        if (whence == SEEK_END) {
            m_inner->seek(m_limit + offset, SEEK_SET);
        } else {
            m_inner->seek(offset, whence);
        }
    }
    void rewind() override { m_inner->seek(0, SEEK_SET); }
    size_t read(char* out, size_t length) override {
        const qpdf_offset_t at = m_inner->tell();
        last_offset = at;
        if (at >= m_limit) return 0;
        const auto room = static_cast<size_t>(m_limit - at);
        const size_t got = m_inner->read(out, std::min(length, room));
        last_offset = m_inner->getLastOffset();
        return got;
    }
    void unreadCh(char ch) override { m_inner->unreadCh(ch); }

private:
    std::shared_ptr<FileInputSource> m_inner;
    qpdf_offset_t m_limit;
};

void open_quietly(QPDF& q) {
    q.setSuppressWarnings(true);
    q.setAttemptRecovery(false);
}

std::string describe(QPDFObjectHandle h) {
    const auto og = h.getObjGen();
    std::string out = "object " + std::to_string(og.getObj()) + " " + std::to_string(og.getGen());
    if (h.isDictionary() || h.isStream()) {
        auto d = h.isStream() ? h.getDict() : h;
        if (auto t = d.getKey("/Type"); t.isName()) out += " (" + t.getName() + ")";
    }
    return out;
}

/// Same object text (streams: dictionary and raw data).
bool same_object(QPDFObjectHandle a, QPDFObjectHandle b) {
    if (a.isStream() != b.isStream()) return false;
    if (a.isStream()) {
        if (a.getDict().unparseResolved() != b.getDict().unparseResolved()) return false;
        const auto da = a.getRawStreamData();
        const auto db = b.getRawStreamData();
        return da->getSize() == db->getSize() &&
               std::memcmp(da->getBuffer(), db->getBuffer(), da->getSize()) == 0;
    }
    // unparse() of an indirect object is its reference: compare what it holds (one level deep,
    // references inside stay references).
    return a.unparseResolved() == b.unparseResolved();
}

/// The keys whose values differ between two dictionaries (added, removed or changed).
std::set<std::string> changed_keys(QPDFObjectHandle a, QPDFObjectHandle b) {
    std::set<std::string> out;
    std::set<std::string> keys;
    if (a.isDictionary()) {
        for (const auto& k : a.getKeys())
            keys.insert(k);
    }
    if (b.isDictionary()) {
        for (const auto& k : b.getKeys())
            keys.insert(k);
    }
    for (const auto& k : keys) {
        auto va = a.isDictionary() ? a.getKey(k) : QPDFObjectHandle::newNull();
        auto vb = b.isDictionary() ? b.getKey(k) : QPDFObjectHandle::newNull();
        if (va.unparse() != vb.unparse()) out.insert(k);
    }
    return out;
}

std::set<QPDFObjGen> refs_in(QPDFObjectHandle array) {
    std::set<QPDFObjGen> out;
    if (array.isArray()) {
        for (auto item : array.aitems()) {
            if (item.isIndirect()) out.insert(item.getObjGen());
        }
    }
    return out;
}

bool is_subset(const std::set<QPDFObjGen>& a, const std::set<QPDFObjGen>& b) {
    return std::includes(b.begin(), b.end(), a.begin(), a.end());
}

/// /FT, inherited through /Parent (ISO 32000-1 §12.7.3.1).
std::string field_type(QPDFObjectHandle field) {
    for (int depth = 0; depth < 32 && field.isDictionary(); ++depth) {
        if (auto ft = field.getKey("/FT"); ft.isName()) return ft.getName();
        field = field.getKey("/Parent");
    }
    return "";
}

/// The fully qualified field name: the /T of the field and its ancestors joined by "." (§12.7.3.2).
std::string full_name(QPDFObjectHandle field) {
    std::vector<std::string> parts;
    for (int depth = 0; depth < 32 && field.isDictionary(); ++depth) {
        if (auto t = field.getKey("/T"); t.isString()) parts.push_back(t.getUTF8Value());
        field = field.getKey("/Parent");
    }
    std::string out;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        out += (out.empty() ? "" : ".") + *it;
    }
    return out;
}

/// An annotation that paints its own appearance stream where it stands: /AP /N present, a /Rect with
/// an area, and neither Hidden (bit 2) nor NoView (bit 6) set (§12.5.3, §12.5.5).
bool draws_over_page(QPDFObjectHandle annot) {
    if (!annot.isDictionary()) return false;
    auto ap = annot.getKey("/AP");
    if (!ap.isDictionary() || ap.getKey("/N").isNull()) return false;
    if (auto f = annot.getKey("/F"); f.isInteger() && (f.getIntValue() & (2 | 32)) != 0) return false;
    auto rect = annot.getKey("/Rect");
    if (!rect.isArray() || rect.getArrayNItems() != 4) return false;
    double v[4] = {};
    for (int i = 0; i < 4; ++i) {
        auto n = rect.getArrayItem(i);
        if (!n.isNumber()) return false;
        v[i] = n.getNumericValue();
    }
    return (v[2] - v[0]) * (v[3] - v[1]) != 0.0;
}

}  // namespace

void read_range(const std::filesystem::path& path, std::uint64_t offset, std::uint64_t length,
                const std::function<void(ByteView)>& sink) {
    const Fd f{path};
    detail::stream_range(f.fd, offset, length, sink);
}

std::vector<std::uint64_t> revision_ends(const std::filesystem::path& path) {
    const Fd f{path};
    static constexpr std::string_view kEof = "%%EOF";
    std::vector<std::uint64_t> hits;  // offsets of each marker
    std::string carry;                // the last bytes of the previous chunk: a marker may straddle
    std::uint64_t offset = 0;
    std::array<char, 65536> buf{};
    while (true) {
        const ssize_t r = ::pread(f.fd, buf.data(), buf.size(), static_cast<off_t>(offset));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) throw Error{Errc::IoFailure, std::string{"pdf: read failed: "} + std::strerror(errno)};
        if (r == 0) break;
        std::string window = carry;
        window.append(buf.data(), static_cast<std::size_t>(r));
        const std::uint64_t window_start = offset - carry.size();
        for (std::size_t pos = window.find(kEof); pos != std::string::npos;
             pos = window.find(kEof, pos + 1)) {
            if (pos + kEof.size() > carry.size()) hits.push_back(window_start + pos);  // not seen before
        }
        offset += static_cast<std::uint64_t>(r);
        carry = window.substr(window.size() > kEof.size() - 1 ? window.size() - (kEof.size() - 1) : 0);
    }
    std::vector<std::uint64_t> out;
    for (const auto h : hits) {
        // §7.5.5: an end-of-line (CR, LF or CR LF) may follow; the revision ends after it.
        std::uint64_t end = h + kEof.size();
        char eol[2] = {};
        const ssize_t n = ::pread(f.fd, eol, 2, static_cast<off_t>(end));
        if (n >= 1 && eol[0] == '\r') {
            ++end;
            if (n == 2 && eol[1] == '\n') ++end;
        } else if (n >= 1 && eol[0] == '\n') {
            ++end;
        }
        out.push_back(end);
    }
    return out;
}

RevisionDiff compare_revisions(const std::filesystem::path& path, std::uint64_t revision_end,
                               std::optional<int> docmdp, const std::optional<FieldLock>& lock) {
    RevisionDiff diff;
    try {
        QPDF before;
        open_quietly(before);
        before.processInputSource(
            std::make_shared<PrefixInputSource>(path, static_cast<qpdf_offset_t>(revision_end)));
        QPDF after;
        open_quietly(after);
        after.processFile(path.c_str());

        const auto old_pages = before.getAllPages();
        const auto new_pages = after.getAllPages();
        if (old_pages.size() != new_pages.size()) {
            diff.pages_changed = true;
            diff.changes.push_back(
                "pages " + std::string{new_pages.size() > old_pages.size() ? "added" : "removed"} + ": " +
                std::to_string(old_pages.size()) + " signed, " + std::to_string(new_pages.size()) + " now");
        }
        std::map<QPDFObjGen, std::size_t> page_index;
        for (std::size_t i = 0; i < old_pages.size(); ++i) {
            page_index[old_pages[i].getObjGen()] = i;
            if (i < new_pages.size() && new_pages[i].getObjGen() != old_pages[i].getObjGen()) {
                diff.changes.push_back("page " + std::to_string(i + 1) + " replaced by another page object");
            }
        }

        const auto old_xref = before.getXRefTable();
        const auto new_xref = after.getXRefTable();
        const QPDFObjGen old_root = before.getRoot().getObjGen();
        if (const QPDFObjGen new_root = after.getRoot().getObjGen(); new_root != old_root) {
            // A later trailer pointing /Root elsewhere shows another document without redefining a
            // single signed object (the "spoofing by a later xref" of the shadow attacks).
            diff.changes.push_back("the trailer's /Root names another catalog (object " +
                                   std::to_string(new_root.getObj()) + " instead of " +
                                   std::to_string(old_root.getObj()) + ")");
        }
        const QPDFObjGen old_acroform = before.getRoot().getKey("/AcroForm").isIndirect()
                                            ? before.getRoot().getKey("/AcroForm").getObjGen()
                                            : QPDFObjGen{};
        const QPDFObjGen old_dss = before.getRoot().getKey("/DSS").isIndirect()
                                       ? before.getRoot().getKey("/DSS").getObjGen()
                                       : QPDFObjGen{};
        const QPDFObjGen old_info = before.getTrailer().getKey("/Info").isIndirect()
                                        ? before.getTrailer().getKey("/Info").getObjGen()
                                        : QPDFObjGen{};
        const bool forms_allowed = !docmdp || *docmdp >= 2;
        const bool annots_allowed = !docmdp || *docmdp >= 3;

        for (const auto& [og, old_entry] : old_xref) {
            if (old_entry.getType() == 0) continue;
            const auto it = new_xref.find(og);
            if (it != new_xref.end() && it->second.getType() == old_entry.getType() &&
                (old_entry.getType() == 1
                     ? it->second.getOffset() == old_entry.getOffset()
                     : (it->second.getObjStreamNumber() == old_entry.getObjStreamNumber() &&
                        it->second.getObjStreamIndex() == old_entry.getObjStreamIndex()))) {
                continue;  // the same definition: not redefined
            }
            auto a = before.getObjectByObjGen(og);
            auto b = after.getObjectByObjGen(og);
            if (it == new_xref.end() || it->second.getType() == 0 || b.isNull()) {
                if (!a.isNull()) diff.changes.push_back(describe(a) + " of the signed revision was deleted");
                continue;
            }
            if (same_object(a, b)) continue;  // rewritten unchanged
            const std::string what = describe(a);
            if (og == old_info) {
                diff.permitted.push_back("document information dictionary updated");
                continue;
            }
            if (og == old_dss || (a.isDictionary() && a.getKey("/Type").isNameAndEquals("/VRI"))) {
                diff.permitted.push_back("DSS updated");
                continue;
            }
            if (og == old_root) {
                auto keys = changed_keys(a, b);
                keys.erase("/DSS");
                keys.erase("/AcroForm");
                keys.erase("/Extensions");
                keys.erase("/Version");
                if (keys.empty()) {
                    diff.permitted.push_back("catalog: DSS or form added");
                } else {
                    for (const auto& k : keys)
                        diff.changes.push_back("catalog " + k + " changed");
                }
                continue;
            }
            if (og == old_acroform) {
                auto keys = changed_keys(a, b);
                bool ok = true;
                for (const auto& k : keys) {
                    if (k == "/Fields") {
                        ok = ok && is_subset(refs_in(a.getKey("/Fields")), refs_in(b.getKey("/Fields")));
                    } else if (k != "/SigFlags" && k != "/DR" && k != "/NeedAppearances") {
                        ok = false;
                    }
                }
                if (ok) {
                    diff.permitted.push_back("form: fields added");
                } else {
                    diff.changes.push_back("form (AcroForm) changed: fields removed or redefined");
                }
                continue;
            }
            if (auto pi = page_index.find(og); pi != page_index.end()) {
                const std::string page = "page " + std::to_string(pi->second + 1);
                auto keys = changed_keys(a, b);
                const bool annots_only = keys.size() == 1 && keys.count("/Annots") == 1;
                if (!annots_only) {
                    for (const auto& k : keys) {
                        diff.changes.push_back(page + (k == "/Contents"    ? ": content changed"
                                                       : k == "/Resources" ? ": resources changed"
                                                                           : ": " + k + " changed"));
                    }
                    continue;
                }
                const auto old_annots = refs_in(a.getKey("/Annots"));
                const auto new_annots = refs_in(b.getKey("/Annots"));
                if (!is_subset(old_annots, new_annots)) {
                    diff.changes.push_back(page + ": annotations removed");
                    continue;
                }
                for (auto annot : b.getKey("/Annots").aitems()) {
                    if (!annot.isIndirect() || old_annots.count(annot.getObjGen()) != 0) continue;
                    const bool widget =
                        annot.isDictionary() && annot.getKey("/Subtype").isNameAndEquals("/Widget");
                    const std::string ft = widget ? field_type(annot) : "";
                    if (widget && ft == "/Sig") {
                        diff.permitted.push_back(page + ": signature field added");
                    } else if (widget) {
                        // A new form field over signed content can hide or replace it (shadow attack).
                        diff.changes.push_back(page + ": form field added (" + (ft.empty() ? "?" : ft) + ")");
                    } else {
                        const std::string sub = annot.isDictionary() && annot.getKey("/Subtype").isName()
                                                    ? annot.getKey("/Subtype").getName()
                                                    : "?";
                        if (draws_over_page(annot)) {
                            // Its own appearance painted over the page can hide signed content (the
                            // "hide" shadow attack); a comment a viewer draws itself (no /AP) cannot.
                            diff.changes.push_back(page + ": annotation " + sub +
                                                   " added with its own appearance over the page (it can "
                                                   "hide signed content)");
                        } else if (annots_allowed) {
                            diff.permitted.push_back(page + ": annotation " + sub + " added");
                        } else {
                            diff.changes.push_back(page + ": annotation " + sub + " added");
                        }
                    }
                }
                continue;
            }
            // A field dictionary: filling an empty signature field is signing; a value is form filling.
            // A widget without /T is a kind of its field (§12.7.3.1): its /AS is the field's state.
            const bool widget_kid = a.isDictionary() && a.getKey("/Subtype").isNameAndEquals("/Widget") &&
                                    a.getKey("/Parent").isDictionary();
            if (a.isDictionary() && (a.hasKey("/FT") || a.hasKey("/T") || widget_kid)) {
                auto keys = changed_keys(a, b);
                const std::string ft = field_type(a);
                const std::string field = full_name(a);
                if (ft == "/Sig" && keys.size() <= 2 && keys.count("/V") == 1 && a.getKey("/V").isNull() &&
                    (keys.size() == 1 || keys.count("/AP") == 1)) {
                    diff.permitted.push_back(
                        "signature field " +
                        (a.getKey("/T").isString() ? a.getKey("/T").getUTF8Value() : std::string{"?"}) +
                        " signed");
                    continue;
                }
                const bool value_only = std::all_of(keys.begin(), keys.end(), [](const std::string& k) {
                    return k == "/V" || k == "/AP" || k == "/AS";
                });
                if (ft != "/Sig" && value_only) {
                    if (lock && lock->locks(field)) {
                        // FieldMDP (§12.8.2.4): the signature fixed this field's value.
                        diff.changes.push_back("form field " + field +
                                               " changed although the signature locks it (FieldMDP)");
                        continue;
                    }
                    if (keys.count("/AP") == 1 && keys.count("/V") == 0 && keys.count("/AS") == 0) {
                        // What is shown changed, what the field holds did not (the "replace" shadow attack).
                        diff.changes.push_back("form field " + field +
                                               ": appearance changed but not its value");
                        continue;
                    }
                    if (forms_allowed) {
                        diff.permitted.push_back("form field " + field + " filled");
                    } else {
                        diff.changes.push_back("form field " + field + " filled (DocMDP P=" +
                                               std::to_string(*docmdp) + " permits no form filling)");
                    }
                    continue;
                }
                diff.changes.push_back(what + ": form field " + field + " redefined");
                continue;
            }
            diff.changes.push_back(what + " of the signed revision redefined");
        }
        if (docmdp && *docmdp == 1) {
            // P=1: no changes at all (a DSS and document time-stamps excepted, ISO 32000-2 §12.8.2.2.2).
            for (const auto& p : diff.permitted) {
                if (p != "DSS updated" && p.find("catalog") == std::string::npos &&
                    p.find("form: fields added") == std::string::npos) {
                    diff.changes.push_back(p + " (DocMDP P=1 permits no changes)");
                }
            }
        }
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw Error{Errc::InvalidEncoding, std::string{"pdf: cannot compare revisions ("} + e.what() + ")"};
    }
    return diff;
}

}  // namespace inkan::pdf
