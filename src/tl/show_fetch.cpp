// `inkan tl show` (the lists as text or JSON) and `inkan tl fetch` (the LOTL and the lists it points to,
// cached, over HTTP only through net::UrlGuard).

#include <cctype>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include <inkan/core/error.h>
#include <inkan/net/client.h>
#include <inkan/pki/certificate.h>
#include <inkan/tl/trusted_list.h>

namespace inkan::tl {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json time_json(const std::optional<TimePoint>& t) {
    return t ? json(format_rfc3339(*t)) : json(nullptr);
}

std::string short_uri(const std::string& u) {
    const auto slash = u.rfind("/Svctype/");
    if (slash != std::string::npos) return u.substr(slash + 9);
    const auto st = u.rfind("/Svcstatus/");
    if (st != std::string::npos) return u.substr(st + 11);
    return u;
}

std::string subject_of(const Bytes& der) {
    try {
        return pki::Certificate::from_der(der).subject();
    } catch (const Error&) {
        return "(certificate does not parse)";
    }
}

json service_json(const Service& s, TimePoint at) {
    json j;
    j["type"] = s.current.type;
    j["name"] = s.current.name;
    j["status"] = s.current.status;
    j["statusStartingTime"] = format_rfc3339(s.current.start);
    const auto st = s.state_at(at);
    j["statusAt"] = st ? json(st->status) : json(nullptr);
    j["grantedAt"] = st && is_granted_status(st->status);
    json certs = json::array();
    for (const auto& c : s.current.certificates)
        certs.push_back(subject_of(c));
    j["certificates"] = certs;
    j["qualifiers"] = s.current.qualifiers;
    j["additionalServiceInformation"] = s.current.additional_info;
    json hist = json::array();
    for (const auto& h : s.history)
        hist.push_back(
            {{"type", h.type}, {"status", h.status}, {"statusStartingTime", format_rfc3339(h.start)}});
    j["history"] = hist;
    return j;
}

bool is_url(std::string_view s) {
    return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0;
}

std::string read_all(const fs::path& f, std::size_t max) {
    std::ifstream in{f, std::ios::binary};
    if (!in.good()) throw Error{Errc::NotFound, "cannot read " + f.string()};
    std::string s;
    s.resize(max + 1);
    in.read(s.data(), static_cast<std::streamsize>(s.size()));
    s.resize(static_cast<std::size_t>(in.gcount()));
    if (s.size() > max)
        throw Error{Errc::PayloadTooLarge, f.string() + " is larger than a trusted list may be"};
    return s;
}

/// A URL through the guard (no redirects: net never follows them), 200 only.
Bytes get(const std::string& url, const FetchOptions& options) {
    net::RequestOptions ro;
    ro.timeout = options.timeout;
    ro.max_response_bytes = options.max_bytes;
    ro.guard = &options.guard;
    net::Response r;
    try {
        r = net::get(url, ro);
    } catch (const Error& e) {
        if (e.code() == Errc::Forbidden) {
            throw Error{Errc::Forbidden, url + " is refused by the URL guard (" + e.detail() +
                                             "); allow it with --allow ORIGIN if it is meant"};
        }
        throw;
    }
    if (r.status != 200) throw Error{Errc::Unavailable, url + ": HTTP " + std::to_string(r.status)};
    return std::move(r.body);
}

void write_atomically(const fs::path& out, ByteView data) {
    const fs::path tmp = out.string() + ".tmp";
    {
        std::ofstream f{tmp, std::ios::binary | std::ios::trunc};
        f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
        if (!f.good()) throw Error{Errc::IoFailure, "cannot write " + tmp.string()};
    }
    fs::rename(tmp, out);
}

/// A cached list still in force: it parses and its NextUpdate is ahead (TS 119 612 §5.3.15).
bool fresh(const fs::path& cached, TimePoint now) {
    try {
        if (!fs::exists(cached)) return false;
        const auto l = parse(to_bytes(read_all(cached, list_limits().max_bytes)));
        return l.next_update && *l.next_update > now;
    } catch (const Error&) {
        return false;
    }
}

std::string safe_name(const std::string& territory, std::size_t index) {
    std::string n;
    for (char c : territory) {
        if (std::isalnum(static_cast<unsigned char>(c)) != 0) n += c;
    }
    if (n.empty() || n.size() > 8) n = "list" + std::to_string(index);
    return n;
}

}  // namespace

std::string to_json(const TrustSet& set, TimePoint at) {
    json lists = json::array();
    for (const auto& l : set.lists) {
        json j;
        j["source"] = l.source;
        j["signature"] = std::string{name(l.signature)};
        j["signatureDetail"] = l.detail;
        j["pointedBy"] = l.pointed_by.empty() ? json(nullptr) : json(l.pointed_by);
        j["role"] = l.role;
        j["expired"] = l.expired;
        j["reliedUntil"] = time_json(l.relied_until);
        j["servicesTrusted"] = l.signature == SignatureStatus::Valid && !l.expired;
        if (l.list) {
            const auto& t = *l.list;
            j["territory"] = t.territory;
            j["type"] = t.type;
            j["version"] = t.version;
            j["sequenceNumber"] = t.sequence;
            j["operator"] = t.operator_name;
            j["issued"] = time_json(t.issued);
            j["nextUpdate"] = time_json(t.next_update);
            json ptrs = json::array();
            for (const auto& p : t.pointers) {
                json signers = json::array();
                for (const auto& c : p.certificates)
                    signers.push_back(subject_of(c));
                ptrs.push_back({{"location", p.location},
                                {"territory", p.territory},
                                {"mimeType", p.mime_type},
                                {"type", p.type},
                                {"signers", signers}});
            }
            j["pointers"] = ptrs;
            json tsps = json::array();
            for (const auto& p : t.providers) {
                json svcs = json::array();
                for (const auto& s : p.services)
                    svcs.push_back(service_json(s, at));
                tsps.push_back({{"name", p.name}, {"services", svcs}});
            }
            j["providers"] = tsps;
        }
        lists.push_back(j);
    }
    return json{{"at", format_rfc3339(at)}, {"lists", lists}}.dump(2) + "\n";
}

std::string to_text(const TrustSet& set, TimePoint at) {
    std::ostringstream out;
    out << "status at " << format_rfc3339(at) << "\n";
    for (const auto& l : set.lists) {
        out << l.source << ": ";
        if (l.list) {
            out << (l.role == "pivot"        ? "pivot LOTL "
                    : l.role == "superseded" ? "superseded LOTL "
                    : l.list->is_lotl()      ? "LOTL "
                                             : "trusted list ")
                << l.list->territory << " #" << l.list->sequence;
            if (l.list->next_update) out << ", next update " << format_rfc3339(*l.list->next_update);
            out << "\n";
        } else {
            out << "\n";
        }
        out << "  signature: " << name(l.signature) << (l.detail.empty() ? "" : " (" + l.detail + ")")
            << "\n";
        if (!l.pointed_by.empty()) out << "  signer announced by: " << l.pointed_by << "\n";
        if (l.expired) {
            out << "  expired: past "
                << (l.list && l.relied_until == l.list->next_update ? "its" : "its LOTL's") << " next update "
                << format_rfc3339(*l.relied_until) << "\n";
        }
        if (l.role == "pivot" || l.role == "superseded") {
            out << "  used only for the LOTL signers it announces\n";
        } else if (l.signature != SignatureStatus::Valid || l.expired) {
            out << "  its services are NOT trusted\n";
        }
        if (!l.list) continue;
        for (const auto& p : l.list->pointers) {
            out << "  points to " << p.territory << " " << p.location << " (" << p.certificates.size()
                << " signer certificate" << (p.certificates.size() == 1 ? "" : "s") << ")\n";
        }
        for (const auto& p : l.list->providers) {
            out << "  TSP " << p.name << "\n";
            for (const auto& s : p.services) {
                const auto st = s.state_at(at);
                out << "    " << short_uri(s.current.type) << " " << s.current.name << ": "
                    << (st ? short_uri(st->status) : std::string{"(not yet listed)"}) << "\n";
            }
        }
    }
    return out.str();
}

FetchResult fetch(const std::string& lotl, const fs::path& cache, const FetchOptions& options) {
    const TimePoint now = options.now.value_or(std::chrono::system_clock::now());
    fs::create_directories(cache);
    FetchResult result;
    const fs::path lotl_file = cache / "lotl.xml";
    Bytes lotl_bytes;
    fs::path base;  // where relative locations of an offline LOTL resolve
    if (is_url(lotl)) {
        if (fresh(lotl_file, now)) {
            lotl_bytes = to_bytes(read_all(lotl_file, options.max_bytes));
            result.kept.push_back(lotl_file.string());
        } else {
            lotl_bytes = get(lotl, options);
            (void)parse(lotl_bytes);  // a response that is no list is not cached
            write_atomically(lotl_file, lotl_bytes);
            result.fetched.push_back(lotl + " -> " + lotl_file.string());
        }
    } else {
        lotl_bytes = to_bytes(read_all(lotl, options.max_bytes));
        (void)parse(lotl_bytes);
        base = fs::path{lotl}.parent_path();
        if (fs::weakly_canonical(lotl) != fs::weakly_canonical(lotl_file)) {
            write_atomically(lotl_file, lotl_bytes);
            result.fetched.push_back(lotl + " -> " + lotl_file.string());
        }
    }
    const TrustedList list = parse(lotl_bytes);
    // Its pivot LOTLs: historical copies that never change, so a cached one that parses is kept.
    for (const auto& u : list.pivot_uris()) {
        const fs::path out = cache / pivot_file_name(u);
        try {
            if (fs::exists(out)) {
                (void)parse(to_bytes(read_all(out, options.max_bytes)));
                result.kept.push_back(out.string());
                continue;
            }
        } catch (const Error&) {
            // fetched again below
        }
        try {
            Bytes bytes;
            if (is_url(u) && is_url(lotl)) {
                bytes = get(u, options);
            } else if (!is_url(lotl)) {
                // Offline: a pivot is a file beside the LOTL, under its URI's name (a real LOTL's URLs
                // included) or the relative path written.
                const fs::path rel = is_url(u) ? fs::path{pivot_file_name(u)} : fs::path{u};
                bytes = to_bytes(read_all(rel.is_absolute() ? rel : base / rel, options.max_bytes));
            } else {
                throw Error{Errc::InvalidRequest, "not an http(s) URL"};
            }
            (void)parse(bytes);
            write_atomically(out, bytes);
            result.fetched.push_back(u + " -> " + out.string());
        } catch (const Error& e) {
            result.failed.push_back(u + ": " + e.what());
        }
    }
    std::size_t index = 0;
    for (const auto& p : list.pointers) {
        ++index;
        // Only XML lists (MimeType application/vnd.etsi.tsl+xml); the PDF forms are for humans.
        if (p.type == uri::kLotlType ||
            (!p.mime_type.empty() && p.mime_type.find("xml") == std::string::npos)) {
            continue;
        }
        const fs::path out = cache / (safe_name(p.territory, index) + ".xml");
        if (fresh(out, now)) {
            result.kept.push_back(out.string());
            continue;
        }
        try {
            Bytes bytes;
            if (is_url(p.location)) {
                bytes = get(p.location, options);
            } else if (!is_url(lotl)) {
                // Offline: a location in a LOTL read from a file is a file beside it.
                const fs::path f =
                    fs::path{p.location}.is_absolute() ? fs::path{p.location} : base / p.location;
                bytes = to_bytes(read_all(f, options.max_bytes));
            } else {
                throw Error{Errc::InvalidRequest, "not an http(s) URL"};
            }
            (void)parse(bytes);
            write_atomically(out, bytes);
            result.fetched.push_back(p.location + " -> " + out.string());
        } catch (const Error& e) {
            result.failed.push_back(p.location + ": " + e.what());
        }
    }
    return result;
}

}  // namespace inkan::tl
