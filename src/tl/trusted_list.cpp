#include <inkan/tl/trusted_list.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <inkan/core/config.h>
#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/net/client.h>
#include <inkan/pki/certificate.h>

namespace inkan::tl {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kDsNs = "http://www.w3.org/2000/09/xmldsig#";
constexpr std::string_view kEnveloped = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

struct DocFree {
    void operator()(xmlDoc* d) const noexcept { xmlFreeDoc(d); }
};
using DocPtr = std::unique_ptr<xmlDoc, DocFree>;

std::string_view sv(const xmlChar* s) {
    return s == nullptr ? std::string_view{} : std::string_view{reinterpret_cast<const char*>(s)};
}

/// Bounded parse: xades::check_xml refuses what is too large, too deep or declares entities or
/// attribute defaults (billion laughs, XXE); libxml2 then reads it with the network off and entities
/// left as they are (there can be none).
DocPtr parse_xml(ByteView xml, const xades::ParseLimits& limits) {
    xades::check_xml(xml, limits);
    const int options = XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR;
    DocPtr doc{xmlReadMemory(reinterpret_cast<const char*>(xml.data()), static_cast<int>(xml.size()), nullptr,
                             nullptr, options)};
    if (!doc) throw Error{Errc::InvalidEncoding, "trusted list: not well-formed XML"};
    return doc;
}

bool is(const xmlNode* n, std::string_view ns, std::string_view local) {
    return n != nullptr && n->type == XML_ELEMENT_NODE && n->ns != nullptr && sv(n->ns->href) == ns &&
           sv(n->name) == local;
}

xmlNode* child(xmlNode* parent, std::string_view local, std::string_view ns = uri::kTslNs) {
    if (parent == nullptr) return nullptr;
    for (xmlNode* c = parent->children; c != nullptr; c = c->next) {
        if (is(c, ns, local)) return c;
    }
    return nullptr;
}

std::vector<xmlNode*> children(xmlNode* parent, std::string_view local, std::string_view ns = uri::kTslNs) {
    std::vector<xmlNode*> out;
    if (parent == nullptr) return out;
    for (xmlNode* c = parent->children; c != nullptr; c = c->next) {
        if (is(c, ns, local)) out.push_back(c);
    }
    return out;
}

std::string text(xmlNode* n) {
    if (n == nullptr) return {};
    xmlChar* t = xmlNodeGetContent(n);
    std::string s{sv(t)};
    xmlFree(t);
    // xsd:token / anyURI values: surrounding white space is not part of them.
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::string attribute(xmlNode* n, const char* name) {
    xmlChar* v = xmlGetProp(n, reinterpret_cast<const xmlChar*>(name));
    std::string s{sv(v)};
    xmlFree(v);
    return s;
}

/// The first Name of a multilingual name list (TS 119 612 §5.1.4), the English one when there is one.
std::string first_name(xmlNode* list) {
    std::string first;
    for (xmlNode* n : children(list, "Name")) {
        xmlChar* lang = xmlNodeGetLang(n);
        const bool en = sv(lang) == "en";
        xmlFree(lang);
        if (en) return text(n);
        if (first.empty()) first = text(n);
    }
    return first;
}

TimePoint time_of(xmlNode* n, std::string_view what) {
    try {
        return parse_rfc3339(text(n));
    } catch (const Error&) {
        throw Error{Errc::InvalidEncoding, "trusted list: " + std::string{what} + " is not an xsd:dateTime"};
    }
}

/// DigitalId/X509Certificate values (base64 DER) of one ServiceDigitalIdentity.
void certificates_of(xmlNode* identity, std::vector<Bytes>& out) {
    for (xmlNode* id : children(identity, "DigitalId")) {
        if (xmlNode* c = child(id, "X509Certificate")) {
            std::string b64 = text(c);
            std::erase_if(b64, [](char ch) { return ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t'; });
            Bytes der;
            try {
                der = base64_decode(b64);
                (void)pki::Certificate::from_der(der);
            } catch (const Error&) {
                throw Error{Errc::InvalidEncoding, "trusted list: an X509Certificate does not parse"};
            }
            out.push_back(std::move(der));
        }
    }
}

ServiceState state_of(xmlNode* info) {
    ServiceState s;
    s.type = text(child(info, "ServiceTypeIdentifier"));
    s.name = first_name(child(info, "ServiceName"));
    s.status = text(child(info, "ServiceStatus"));
    if (s.type.empty() || s.status.empty()) {
        throw Error{Errc::InvalidEncoding,
                    "trusted list: a service without ServiceTypeIdentifier or ServiceStatus"};
    }
    s.start = time_of(child(info, "StatusStartingTime"), "StatusStartingTime");
    // ServiceDigitalIdentity in ServiceInformation; a history instance has one too.
    certificates_of(child(info, "ServiceDigitalIdentity"), s.certificates);
    if (xmlNode* ext = child(info, "ServiceInformationExtensions")) {
        for (xmlNode* e : children(ext, "Extension")) {
            for (xmlNode* c = e->children; c != nullptr; c = c->next) {
                if (is(c, uri::kTslNs, "AdditionalServiceInformation")) {
                    s.additional_info.push_back(text(child(c, "URI")));
                } else if (is(c, uri::kEccNs, "Qualifications")) {
                    for (xmlNode* q : children(c, "QualificationElement", uri::kEccNs)) {
                        for (xmlNode* qs : children(q, "Qualifiers", uri::kEccNs)) {
                            for (xmlNode* one : children(qs, "Qualifier", uri::kEccNs))
                                s.qualifiers.push_back(attribute(one, "uri"));
                        }
                    }
                }
            }
        }
    }
    return s;
}

std::string read_file(const fs::path& file, std::size_t max) {
    std::ifstream in{file, std::ios::binary};
    if (!in.good()) throw Error{Errc::NotFound, "cannot read " + file.string()};
    std::string s;
    s.resize(max + 1);
    in.read(s.data(), static_cast<std::streamsize>(s.size()));
    s.resize(static_cast<std::size_t>(in.gcount()));
    if (s.size() > max)
        throw Error{Errc::PayloadTooLarge, file.string() + " is larger than a trusted list may be"};
    return s;
}

validation::TrustedService::Kind kind_of(std::string_view type) {
    using K = validation::TrustedService::Kind;
    const std::string prefix{uri::kSvcType};
    if (type == prefix + "CA/QC" || type == prefix + "NationalRootCA-QC") return K::QualifiedCa;
    if (type == prefix + "TSA/QTST" || type == prefix + "TSA") return K::TimeStamping;
    return K::Other;
}

}  // namespace

std::vector<Bytes> TrustedList::announced_lotl_signers() const {
    std::vector<Bytes> out;
    for (const auto& p : pointers) {
        if (p.type == uri::kLotlType) out.insert(out.end(), p.certificates.begin(), p.certificates.end());
    }
    return out;
}

namespace {

/// The last path segment of a URI (query and fragment dropped).
std::string last_segment(std::string_view uri) {
    const auto end = uri.find_first_of("?#");
    if (end != std::string_view::npos) uri = uri.substr(0, end);
    const auto slash = uri.find_last_of("/\\");
    return std::string{slash == std::string_view::npos ? uri : uri.substr(slash + 1)};
}

bool ends_with_xml(std::string_view name) {
    if (name.size() < 4) return false;
    std::string tail{name.substr(name.size() - 4)};
    for (auto& c : tail)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return tail == ".xml";
}

}  // namespace

std::vector<std::string> TrustedList::pivot_uris() const {
    // The EU LOTL's SchemeInformationURI holds the pivot LOTLs' URLs next to the OJ notice and explanation
    // pages (HTML): a pivot is the one that names an XML document.
    std::vector<std::string> out;
    for (const auto& u : scheme_information_uris) {
        if (ends_with_xml(last_segment(u))) out.push_back(u);
    }
    return out;
}

std::string pivot_file_name(std::string_view uri) {
    std::string name;
    for (char c : last_segment(uri)) {
        if (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == '_') name += c;
    }
    // Never the cache's own lotl.xml, never a dot file or "..".
    if (name == "lotl.xml" || name.empty() || name.front() == '.') name = "pivot-" + name;
    return name;
}

std::optional<ServiceState> Service::state_at(TimePoint t) const {
    const ServiceState* best = nullptr;
    if (current.start <= t) best = &current;
    for (const auto& h : history) {
        if (h.start <= t && (best == nullptr || h.start > best->start)) best = &h;
    }
    if (best == nullptr) return std::nullopt;
    return *best;
}

TrustedList parse(ByteView xml, const xades::ParseLimits& limits) {
    DocPtr doc = parse_xml(xml, limits);
    xmlNode* root = xmlDocGetRootElement(doc.get());
    if (!is(root, uri::kTslNs, "TrustServiceStatusList")) {
        throw Error{Errc::InvalidEncoding, "not a trusted list (no tsl:TrustServiceStatusList root)"};
    }
    TrustedList l;
    xmlNode* info = child(root, "SchemeInformation");
    if (info == nullptr) throw Error{Errc::InvalidEncoding, "trusted list: no SchemeInformation"};
    try {
        l.version = std::stoi(text(child(info, "TSLVersionIdentifier")));
        l.sequence = std::stoull(text(child(info, "TSLSequenceNumber")));
    } catch (const std::exception&) {
        throw Error{Errc::InvalidEncoding,
                    "trusted list: TSLVersionIdentifier or TSLSequenceNumber is not a number"};
    }
    if (l.version < 5) {
        throw Error{Errc::InvalidEncoding, "trusted list: TSLVersionIdentifier " + std::to_string(l.version) +
                                               " (v2.x lists have 5 or 6)"};
    }
    l.type = text(child(info, "TSLType"));
    l.territory = text(child(info, "SchemeTerritory"));
    l.operator_name = first_name(child(info, "SchemeOperatorName"));
    for (xmlNode* u : children(child(info, "SchemeInformationURI"), "URI"))
        l.scheme_information_uris.push_back(text(u));
    if (xmlNode* n = child(info, "ListIssueDateTime")) l.issued = time_of(n, "ListIssueDateTime");
    if (xmlNode* n = child(child(info, "NextUpdate"), "dateTime")) l.next_update = time_of(n, "NextUpdate");
    for (xmlNode* p : children(child(info, "PointersToOtherTSL"), "OtherTSLPointer")) {
        Pointer ptr;
        ptr.location = text(child(p, "TSLLocation"));
        for (xmlNode* ids : children(child(p, "ServiceDigitalIdentities"), "ServiceDigitalIdentity"))
            certificates_of(ids, ptr.certificates);
        for (xmlNode* a : children(child(p, "AdditionalInformation"), "OtherInformation")) {
            if (xmlNode* t = child(a, "SchemeTerritory")) ptr.territory = text(t);
            if (xmlNode* t = child(a, "TSLType")) ptr.type = text(t);
            if (xmlNode* t = child(a, "MimeType", uri::kAdditionalTypesNs)) ptr.mime_type = text(t);
        }
        l.pointers.push_back(std::move(ptr));
    }
    for (xmlNode* tsp : children(child(root, "TrustServiceProviderList"), "TrustServiceProvider")) {
        Provider p;
        p.name = first_name(child(child(tsp, "TSPInformation"), "TSPName"));
        for (xmlNode* svc : children(child(tsp, "TSPServices"), "TSPService")) {
            Service s;
            xmlNode* si = child(svc, "ServiceInformation");
            if (si == nullptr)
                throw Error{Errc::InvalidEncoding, "trusted list: a TSPService without ServiceInformation"};
            s.current = state_of(si);
            for (xmlNode* h : children(child(svc, "ServiceHistory"), "ServiceHistoryInstance"))
                s.history.push_back(state_of(h));
            p.services.push_back(std::move(s));
        }
        l.providers.push_back(std::move(p));
    }
    return l;
}

std::string_view name(SignatureStatus s) {
    switch (s) {
        case SignatureStatus::Valid:
            return "valid";
        case SignatureStatus::Invalid:
            return "invalid";
        case SignatureStatus::Missing:
            return "missing";
        case SignatureStatus::Unparsable:
            return "unparsable";
        case SignatureStatus::NoSigner:
            return "no-signer";
    }
    return "invalid";
}

bool is_granted_status(std::string_view status) {
    const std::string p{uri::kSvcStatus};
    return status == uri::kGranted || status == p + "accredited" || status == p + "undersupervision";
}

LoadedList judge(ByteView xml, std::string source, const std::vector<Bytes>& signers,
                 std::optional<TimePoint> now) {
    LoadedList out;
    out.source = std::move(source);
    try {
        out.list = parse(xml);
    } catch (const Error& e) {
        out.signature = SignatureStatus::Unparsable;
        out.detail = e.what();
        return out;
    }
    // The signature must be the list's own: one ds:Signature, a child of the root, with a reference to the
    // whole document (URI "" or "#<root Id>") under the enveloped-signature transform (TS 119 612 §5.7.1).
    // Anything else could sign a part while the rest is swapped (signature wrapping).
    DocPtr doc = parse_xml(xml, list_limits());
    xmlNode* root = xmlDocGetRootElement(doc.get());
    std::size_t count = 0;
    std::vector<xmlNode*> stack{root};
    while (!stack.empty()) {
        xmlNode* n = stack.back();
        stack.pop_back();
        for (xmlNode* c = n->children; c != nullptr; c = c->next) {
            if (c->type != XML_ELEMENT_NODE) continue;
            if (is(c, kDsNs, "Signature")) ++count;
            stack.push_back(c);
        }
    }
    xmlNode* sig = child(root, "Signature", kDsNs);
    if (sig == nullptr || count == 0) {
        out.signature = SignatureStatus::Missing;
        out.detail = "the list has no enveloped ds:Signature";
        return out;
    }
    if (count != 1) {
        out.signature = SignatureStatus::Invalid;
        out.detail = "the list has " + std::to_string(count) + " ds:Signature elements (one is allowed)";
        return out;
    }
    const std::string root_id = attribute(root, "Id");
    bool whole = false;
    for (xmlNode* ref : children(child(sig, "SignedInfo", kDsNs), "Reference", kDsNs)) {
        xmlChar* u = xmlGetProp(ref, reinterpret_cast<const xmlChar*>("URI"));
        const bool has_uri = u != nullptr;
        const std::string ref_uri{sv(u)};
        xmlFree(u);
        if (!has_uri || !(ref_uri.empty() || (!root_id.empty() && ref_uri == "#" + root_id))) continue;
        for (xmlNode* t : children(child(ref, "Transforms", kDsNs), "Transform", kDsNs)) {
            if (attribute(t, "Algorithm") == kEnveloped) whole = true;
        }
    }
    if (!whole) {
        out.signature = SignatureStatus::Missing;
        out.detail = "the ds:Signature has no enveloped reference to the whole list";
        return out;
    }
    if (signers.empty()) {
        out.signature = SignatureStatus::NoSigner;
        out.detail = "no certificate is announced for this list's signer (no pointer, no list signer)";
        return out;
    }
    validation::Options options;
    options.trust_anchors = signers;
    options.validation_time = now;
    options.max_xml_bytes = list_limits().max_bytes;
    const auto report = validation::validate_xml(xml, {}, options);
    if (report.error) {
        out.signature = SignatureStatus::Invalid;
        out.detail = *report.error;
        return out;
    }
    if (report.signatures.size() != 1) {
        out.signature = SignatureStatus::Invalid;
        out.detail = "the validator found " + std::to_string(report.signatures.size()) + " signatures";
        return out;
    }
    const auto& s = report.signatures.front();
    if (s.verdict.indication != validation::Indication::TotalPassed) {
        out.signature = SignatureStatus::Invalid;
        out.detail = std::string{validation::name(s.verdict.indication)};
        if (s.verdict.subindication)
            out.detail += "/" + std::string{validation::name(*s.verdict.subindication)};
        for (const auto& e : s.errors)
            out.detail += ": " + e;
        return out;
    }
    out.signature = SignatureStatus::Valid;
    out.detail = "signed by " + s.signer;
    return out;
}

TrustSet load(const std::vector<fs::path>& inputs, const LoadOptions& options) {
    std::vector<fs::path> files;
    for (const auto& in : inputs) {
        if (fs::is_directory(in)) {
            std::vector<fs::path> xmls;
            for (const auto& e : fs::directory_iterator{in}) {
                if (e.is_regular_file() && e.path().extension() == ".xml") xmls.push_back(e.path());
            }
            std::sort(xmls.begin(), xmls.end());
            files.insert(files.end(), xmls.begin(), xmls.end());
        } else if (fs::exists(in)) {
            files.push_back(in);
        } else {
            throw Error{Errc::NotFound, "trusted list " + in.string() + " does not exist"};
        }
    }
    const TimePoint now = options.now.value_or(std::chrono::system_clock::now());
    struct Pending {
        fs::path file;
        std::string bytes;
        std::optional<TrustedList> parsed;
        std::string error;
        bool done = false;
    };
    std::vector<Pending> pending;
    for (const auto& f : files) {
        Pending p;
        p.file = f;
        try {
            p.bytes = read_file(f, list_limits().max_bytes);
            p.parsed = parse(to_bytes(p.bytes));
        } catch (const Error& e) {
            p.error = e.what();
        }
        pending.push_back(std::move(p));
    }
    std::vector<LoadedList> judged(pending.size());
    const auto judge_one = [&](std::size_t i, const std::vector<Bytes>& signers) {
        judged[i] = judge(to_bytes(pending[i].bytes), pending[i].file.string(), signers, options.now);
        pending[i].done = true;
    };
    // Unparsable lists are reported as such.
    for (std::size_t i = 0; i < pending.size(); ++i) {
        if (!pending[i].parsed) {
            judged[i].source = pending[i].file.string();
            judged[i].signature = SignatureStatus::Unparsable;
            judged[i].detail = pending[i].error;
            pending[i].done = true;
        }
    }
    // LOTLs: per territory, the one with the highest sequence number is current.
    std::vector<std::size_t> current_lotls;
    for (std::size_t i = 0; i < pending.size(); ++i) {
        if (!pending[i].parsed || !pending[i].parsed->is_lotl()) continue;
        bool newest = true;
        for (std::size_t k = 0; k < pending.size() && newest; ++k) {
            if (k == i || !pending[k].parsed || !pending[k].parsed->is_lotl() ||
                pending[k].parsed->territory != pending[i].parsed->territory)
                continue;
            const auto sk = pending[k].parsed->sequence;
            const auto si = pending[i].parsed->sequence;
            if (sk > si || (sk == si && k < i)) newest = false;
        }
        if (newest) current_lotls.push_back(i);
    }
    for (const std::size_t c : current_lotls) {
        const TrustedList& lotl = *pending[c].parsed;
        // The pivot mechanism (the Commission's "LOTL pivot mechanism explanation", Implementing Decision
        // (EU) 2015/1505 Art. 4): the OJEU publishes the LOTL-signing certificates; each pivot LOTL, a copy
        // of the LOTL kept at a URL listed in SchemeInformationURI, is signed by a certificate the one
        // before it (the OJEU for the oldest) announces and announces the next set in its pointer to
        // itself. Walked oldest first by sequence number, whatever order the URIs are written in.
        std::vector<std::size_t> pivots;
        std::vector<std::string> missing;
        for (const auto& u : lotl.pivot_uris()) {
            const std::string name = pivot_file_name(u);
            std::optional<std::size_t> found;
            for (std::size_t k = 0; k < pending.size(); ++k) {
                if (k != c && pending[k].parsed && pending[k].parsed->is_lotl() &&
                    pending[k].parsed->territory == lotl.territory && pending[k].file.filename() == name)
                    found = k;
            }
            if (found) {
                if (std::find(pivots.begin(), pivots.end(), *found) == pivots.end()) pivots.push_back(*found);
            } else {
                missing.push_back(u);
            }
        }
        std::sort(pivots.begin(), pivots.end(), [&](std::size_t a, std::size_t b) {
            return pending[a].parsed->sequence < pending[b].parsed->sequence;
        });
        std::vector<Bytes> signers = options.list_signers;
        std::string chain = "the configured list signers";
        std::string broken;
        if (!missing.empty()) {
            // Without every pivot the chain from the OJEU cannot be followed: none is used.
            broken = "pivot LOTL " + missing.front() + " is not among the lists loaded (expected as " +
                     pivot_file_name(missing.front()) + ")";
        }
        for (const std::size_t p : pivots) {
            if (!broken.empty()) {
                judged[p].source = pending[p].file.string();
                judged[p].list = pending[p].parsed;
                judged[p].signature = SignatureStatus::NoSigner;
                judged[p].detail = "pivot not followed: " + broken;
            } else {
                judge_one(p, signers);
                judged[p].pointed_by = chain;
                const auto announced = pending[p].parsed->announced_lotl_signers();
                if (judged[p].signature != SignatureStatus::Valid) {
                    broken = "pivot LOTL " + pending[p].file.string() + " is " +
                             std::string{name(judged[p].signature)} + " against " + chain;
                } else if (announced.empty()) {
                    broken = "pivot LOTL " + pending[p].file.string() + " announces no LOTL signer";
                } else {
                    signers = announced;
                    chain += " → pivot #" + std::to_string(pending[p].parsed->sequence);
                }
            }
            judged[p].role = "pivot";
            pending[p].done = true;
        }
        judge_one(c, signers);
        judged[c].role = "LOTL";
        judged[c].pointed_by = chain;
        if (!broken.empty() && judged[c].signature != SignatureStatus::Valid)
            judged[c].detail += " (pivot chain broken: " + broken + ")";
    }
    // Older LOTLs that are no pivot of the current one: reported, never used.
    for (std::size_t i = 0; i < pending.size(); ++i) {
        if (pending[i].done || !pending[i].parsed->is_lotl()) continue;
        judge_one(i, options.list_signers);
        judged[i].role = "superseded";
    }
    const auto earlier = [](const std::optional<TimePoint>& a, const std::optional<TimePoint>& b) {
        if (!a) return b;
        if (!b) return a;
        return std::optional{std::min(*a, *b)};
    };
    for (const std::size_t c : current_lotls)
        judged[c].relied_until = pending[c].parsed->next_update;
    // Then every list a valid current LOTL (or a valid national list) points to, same territory, against
    // the pointer's certificates; what nothing points to, against the list signers.
    bool progress = true;
    while (progress) {
        progress = false;
        for (std::size_t i = 0; i < pending.size(); ++i) {
            auto& p = pending[i];
            if (p.done) continue;
            for (std::size_t k = 0; k < pending.size() && !p.done; ++k) {
                if (!pending[k].done || judged[k].signature != SignatureStatus::Valid ||
                    judged[k].role == "pivot" || judged[k].role == "superseded")
                    continue;
                for (const auto& ptr : judged[k].list->pointers) {
                    if (ptr.territory != p.parsed->territory || ptr.type == uri::kLotlType) continue;
                    judge_one(i, ptr.certificates);
                    judged[i].pointed_by = judged[k].list->territory + " list " + pending[k].file.string();
                    judged[i].relied_until = earlier(p.parsed->next_update, judged[k].relied_until);
                    progress = true;
                    break;
                }
            }
        }
    }
    for (std::size_t i = 0; i < pending.size(); ++i) {
        if (!pending[i].done) {
            judge_one(i, options.list_signers);
            judged[i].relied_until = pending[i].parsed->next_update;
        }
        if (judged[i].role != "pivot" && judged[i].relied_until && *judged[i].relied_until <= now)
            judged[i].expired = true;
    }
    TrustSet set;
    set.lists = std::move(judged);
    return set;
}

std::vector<validation::TrustedService> services(const TrustSet& set) {
    std::vector<validation::TrustedService> out;
    for (const auto& l : set.lists) {
        if (l.signature != SignatureStatus::Valid || !l.list) continue;
        for (const auto& p : l.list->providers) {
            for (const auto& s : p.services) {
                // The periods of the service: each state lasts until the next one starts.
                std::vector<const ServiceState*> states{&s.current};
                for (const auto& h : s.history)
                    states.push_back(&h);
                std::sort(states.begin(), states.end(),
                          [](const ServiceState* a, const ServiceState* b) { return a->start < b->start; });
                std::vector<validation::TrustedService::Period> granted;
                for (std::size_t i = 0; i < states.size(); ++i) {
                    if (!is_granted_status(states[i]->status)) continue;
                    validation::TrustedService::Period period{states[i]->start, std::nullopt};
                    if (i + 1 < states.size()) period.until = states[i + 1]->start;
                    granted.push_back(period);
                }
                std::set<Bytes> certs;
                for (const auto* st : states)
                    certs.insert(st->certificates.begin(), st->certificates.end());
                for (const auto& c : certs) {
                    validation::TrustedService t;
                    t.kind = kind_of(s.current.type);
                    t.certificate = c;
                    t.name = s.current.name;
                    const std::string type =
                        s.current.type.substr(s.current.type.rfind("/Svctype/") == std::string::npos
                                                  ? 0
                                                  : s.current.type.rfind("/Svctype/") + 9);
                    t.label = type + " (" + l.list->territory + " trusted list)";
                    t.source = l.list->territory + " " + l.source;
                    t.granted = granted;
                    out.push_back(std::move(t));
                }
            }
        }
    }
    return out;
}

std::vector<validation::TrustSource> sources(const TrustSet& set) {
    std::vector<validation::TrustSource> out;
    for (const auto& l : set.lists) {
        if (l.signature != SignatureStatus::Valid || !l.list || l.list->is_lotl()) continue;
        TrustSet one;
        one.lists.push_back(l);
        validation::TrustSource source;
        source.name = l.list->territory + " trusted list " + l.source;
        source.next_update = l.relied_until;
        source.services = services(one);
        for (const auto& s : source.services) {
            if (!s.granted.empty() && std::find(source.anchors.begin(), source.anchors.end(),
                                                s.certificate) == source.anchors.end())
                source.anchors.push_back(s.certificate);
        }
        out.push_back(std::move(source));
    }
    return out;
}

std::vector<std::string> apply(const TrustSet& set, validation::Options& options,
                               std::optional<TimePoint> now) {
    options.trust_configured = true;
    return validation::apply_sources(sources(set), options, now.value_or(std::chrono::system_clock::now()));
}

validation::TrustSource source_of(const TrustFile& file, std::string name) {
    validation::TrustSource s;
    s.name = std::move(name);
    s.anchors = file.anchors;
    s.services = file.services;
    return s;
}

TrustFile load_trust_file(const fs::path& file) {
    const Config config = Config::load(file);
    const fs::path base = file.parent_path();
    TrustFile out;
    const auto certs_of = [&](const std::string& key, const std::string& value) {
        const fs::path p = fs::path{value}.is_absolute() ? fs::path{value} : base / value;
        std::string pem;
        try {
            pem = read_file(p, std::size_t{1} << 20);
        } catch (const Error&) {
            throw Error{Errc::InvalidConfig, key + ": cannot read " + p.string()};
        }
        try {
            std::vector<Bytes> ders;
            for (const auto& c : pki::certificates_from_pem(pem))
                ders.push_back(c.der());
            return ders;
        } catch (const Error&) {
            throw Error{Errc::InvalidConfig, key + ": " + p.string() + " holds no PEM certificate"};
        }
    };
    for (const auto& l : config.strings("validation.trusted_lists")) {
        const fs::path p{l};
        out.trusted_lists.push_back(p.is_absolute() ? p : base / p);
    }
    for (const auto& s : config.strings("validation.list_signers")) {
        for (auto& d : certs_of("validation.list_signers", s))
            out.list_signers.push_back(std::move(d));
    }
    // The array form (PEM files, anchors only), which `inkan serve` read before the tables existed.
    if (config.has("validation.trust_anchors")) {
        for (const auto& s : config.strings("validation.trust_anchors")) {
            for (auto& d : certs_of("validation.trust_anchors", s)) {
                if (std::find(out.anchors.begin(), out.anchors.end(), d) == out.anchors.end())
                    out.anchors.push_back(std::move(d));
            }
        }
    }
    // [validation.accredited_tsa.NAME] and [validation.trust_anchors.NAME] tables: their names from keys().
    for (const std::string table : {"validation.accredited_tsa.", "validation.trust_anchors."}) {
        std::set<std::string> names;
        for (const auto& k : config.keys()) {
            if (k.rfind(table, 0) != 0) continue;
            const auto rest = k.substr(table.size());
            const auto dot = rest.find('.');
            if (dot == std::string::npos)
                throw Error{Errc::InvalidConfig, k + ": expected a table per entry"};
            names.insert(rest.substr(0, dot));
        }
        for (const auto& n : names) {
            const std::string prefix = table + n + ".";
            for (const auto& k : config.keys()) {
                if (k.rfind(prefix, 0) != 0) continue;
                const auto field = k.substr(prefix.size());
                if (field != "certificate" && field != "name" && field != "valid_from" &&
                    field != "valid_until" && field != "label") {
                    throw Error{Errc::InvalidConfig, k + ": unknown key (certificate, name, valid_from, "
                                                         "valid_until, label)"};
                }
            }
            const auto certs =
                certs_of(prefix + "certificate", config.require_string(prefix + "certificate"));
            validation::TrustedService::Period period{TimePoint::min(), std::nullopt};
            const auto time_key = [&](const std::string& key) -> std::optional<TimePoint> {
                const auto v = config.string(key);
                if (!v) return std::nullopt;
                try {
                    return parse_rfc3339(*v);
                } catch (const Error&) {
                    throw Error{Errc::InvalidConfig, key + ": not an RFC 3339 time"};
                }
            };
            if (const auto f = time_key(prefix + "valid_from")) period.from = *f;
            period.until = time_key(prefix + "valid_until");
            for (const auto& c : certs) {
                // Both kinds are trusted as anchors (the operator vouches for them); an accredited TSA is
                // also a TimeStamping service, granted within its validity period only.
                if (std::find(out.anchors.begin(), out.anchors.end(), c) == out.anchors.end())
                    out.anchors.push_back(c);
                validation::TrustedService s;
                s.kind = table == "validation.accredited_tsa."
                             ? validation::TrustedService::Kind::TimeStamping
                             : validation::TrustedService::Kind::Other;
                s.certificate = c;
                s.name = config.string_or(prefix + "name", n);
                s.label = config.string_or(prefix + "label", "");
                s.source = file.string();
                s.granted.push_back(period);
                out.services.push_back(std::move(s));
            }
        }
    }
    return out;
}

}  // namespace inkan::tl
