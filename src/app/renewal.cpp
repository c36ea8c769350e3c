#include "renewal.h"

#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <cstdlib>
#include <ctime>
#include <fstream>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/core/log.h>
#include <inkan/crypto/ossl.h>
#include <inkan/pki/ca.h>
#include <inkan/pki/certificate.h>
#include <inkan/pki/csr.h>
#include <inkan/sign/hsm_signer.h>
#include <inkan/tsp/authority.h>

#include "context.h"

namespace inkan::app {

namespace fs = std::filesystem;

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

/// The table a header line opens ("[tsa]" → "tsa", "[tsa.extra]" → "tsa.extra"); nothing for any other
/// line (array-of-tables headers "[[x]]" are tables too, but never ours).
std::optional<std::string> header_of(std::string_view line) {
    const std::string_view t = trim(line);
    if (t.size() < 3 || t.front() != '[' || t[1] == '[') {
        return std::nullopt;
    }
    const auto close = t.find(']');
    if (close == std::string_view::npos) {
        return std::nullopt;
    }
    const std::string_view rest = trim(t.substr(close + 1));
    if (!rest.empty() && rest.front() != '#') {
        return std::nullopt;
    }
    std::string name;
    for (const char c : t.substr(1, close - 1)) {
        if (c != ' ' && c != '\t' && c != '"') {
            name += c;
        }
    }
    return name;
}

/// The key a `key = value` line sets, if it is one.
std::optional<std::string> key_of(std::string_view line) {
    const std::string_view t = trim(line);
    if (t.empty() || t.front() == '#') {
        return std::nullopt;
    }
    const auto eq = t.find('=');
    if (eq == std::string_view::npos) {
        return std::nullopt;
    }
    return std::string{trim(t.substr(0, eq))};
}

std::optional<hsm::KeySpec> key_spec_of(const crypto::PublicKey& key) {
    if (key.type() == crypto::KeyType::Rsa) {
        switch (key.bits()) {
            case 2048:
                return hsm::KeySpec::Rsa2048;
            case 3072:
                return hsm::KeySpec::Rsa3072;
            case 4096:
                return hsm::KeySpec::Rsa4096;
            default:
                return std::nullopt;
        }
    }
    const auto curve = key.curve();
    if (!curve) {
        return std::nullopt;
    }
    switch (*curve) {
        case crypto::Curve::P256:
            return hsm::KeySpec::EcP256;
        case crypto::Curve::P384:
            return hsm::KeySpec::EcP384;
        case crypto::Curve::P521:
            return hsm::KeySpec::EcP521;
    }
    return std::nullopt;
}

/// The DNS names and IP addresses of a certificate's subjectAltName (RFC 5280 §4.2.1.6).
void subject_alt_names(const pki::Certificate& cert, pki::IssueOptions& out) {
    auto* names = static_cast<GENERAL_NAMES*>(
        ::X509_get_ext_d2i(cert.native(), NID_subject_alt_name, nullptr, nullptr));
    if (names == nullptr) {
        return;
    }
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
        const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
        if (n->type == GEN_DNS) {
            const ASN1_IA5STRING* s = n->d.dNSName;
            out.dns_names.emplace_back(reinterpret_cast<const char*>(::ASN1_STRING_get0_data(s)),
                                       static_cast<std::size_t>(::ASN1_STRING_length(s)));
        } else if (n->type == GEN_IPADD) {
            const ASN1_OCTET_STRING* s = n->d.iPAddress;
            const int len = ::ASN1_STRING_length(s);
            char text[INET6_ADDRSTRLEN] = {};
            if ((len == 4 || len == 16) &&
                ::inet_ntop(len == 4 ? AF_INET : AF_INET6, ::ASN1_STRING_get0_data(s), text, sizeof text) !=
                    nullptr) {
                out.ip_addresses.emplace_back(text);
            }
        }
    }
    ::GENERAL_NAMES_free(names);
}

/// The configured built-in CA that issued `leaf` (its subject is the leaf's issuer), if any.
std::optional<std::string> issuing_ca_of(const pki::Certificate& leaf, PkiContext& pki) {
    for (const auto& name : pki.names()) {
        if (pki.kind(name) == "builtin" &&
            pki.builtin(name).certificate().subject_der() == leaf.issuer_der()) {
            return name;
        }
    }
    return std::nullopt;
}

std::string utc_date(TimePoint t) {
    return format_rfc3339(t).substr(0, 10);
}

}  // namespace

std::string toml_quote(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    return out + "\"";
}

std::string set_toml_keys(std::string_view toml, std::string_view section,
                          const std::vector<std::pair<std::string, std::string>>& values) {
    std::vector<std::string> lines;
    for (std::size_t at = 0; at < toml.size();) {
        const auto nl = toml.find('\n', at);
        const std::size_t end = nl == std::string_view::npos ? toml.size() : nl;
        lines.emplace_back(toml.substr(at, end - at));
        at = end + 1;
    }
    std::optional<std::size_t> header;
    std::size_t last = 0;  // the table's last non-blank line
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (const auto h = header_of(lines[i])) {
            if (header) {
                break;
            }
            if (*h == section) {
                header = i;
                last = i;
            }
            continue;
        }
        if (header && !trim(lines[i]).empty()) {
            last = i;
        }
    }
    require(header.has_value(), Errc::InvalidConfig,
            "inkan.toml has no [" + std::string{section} + "] table to renew");
    std::vector<std::pair<std::string, std::string>> missing;
    for (const auto& [key, value] : values) {
        bool found = false;
        for (std::size_t i = *header + 1; i <= last; ++i) {
            if (key_of(lines[i]) == key) {
                // A view of the line itself: lines[i].substr() would be a temporary the view outlives.
                const std::string_view line = lines[i];
                const std::string_view v = trim(line.substr(line.find('=') + 1));
                // A value spread over lines ("[" alone, or a multi-line string) is not rewritten here.
                require(!(v.starts_with("[") && v.find(']') == std::string_view::npos) &&
                            !v.starts_with("\"\"\"") && !v.starts_with("'''"),
                        Errc::InvalidConfig,
                        "inkan.toml: " + std::string{section} + "." + key +
                            " spans several lines; write it on one line to renew");
                lines[i] = key + " = " + value;
                found = true;
            }
        }
        if (!found) {
            missing.emplace_back(key, value);
        }
    }
    std::vector<std::string> added;
    for (const auto& [key, value] : missing) {
        added.push_back(key + " = " + value);
    }
    lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(last + 1), added.begin(), added.end());
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        out += lines[i];
        if (i + 1 < lines.size()) {
            out += '\n';
        }
    }
    if (!toml.empty() && toml.back() == '\n') {
        out += '\n';
    }
    return out;
}

std::vector<fs::path> retired_certificate_files(const Config& config, const std::string& section) {
    std::vector<fs::path> out;
    for (const auto& entry : config.strings(section + ".retired_certificates")) {
        const fs::path p{entry};
        // Relative entries are relative to the configuration's directory, like every path in it.
        out.push_back(p.is_absolute() ? p : config.base_dir() / p);
    }
    return out;
}

std::string renewal_section(const RenewRequest& request) {
    if (request.role != "tsa" && request.role != "ocsp" && request.role != "tls") {
        throw Error{Errc::InvalidRequest,
                    "unknown certificate kind '" + request.role + "': renew tsa, ocsp or tls"};
    }
    if (!request.name.empty()) {
        require(request.role == "tsa", Errc::InvalidRequest,
                "--name names a [tsa.<name>] identity: tsa only");
        return "tsa." + request.name;
    }
    return request.role;
}

RenewResult renew_service_certificate(const fs::path& data_dir, const Config& config, hsm::Token& token,
                                      PkiContext& pki, const RenewRequest& request, const Clock& clock) {
    RenewResult r;
    r.role = request.role;
    r.section = renewal_section(request);
    const std::string& s = r.section;

    // inkan.toml is the record; a key the environment overrides would make the rewrite a lie.
    for (const char* key : {"key_id", "certificate", "retired_certificates"}) {
        const std::string env = Config::env_name(s + "." + key);
        require(std::getenv(env.c_str()) == nullptr, Errc::InvalidConfig,
                env + " overrides " + s + "." + key +
                    " from the environment; renewal writes inkan.toml: unset it (or renew by hand)");
    }
    require(config.has(s + ".key_id"), Errc::InvalidConfig,
            "[" + s + "] has no key_id: there is no " + request.role + " identity to renew");
    const auto current_file = config.path(s + ".certificate");
    require(current_file.has_value(), Errc::InvalidConfig, s + ".certificate is not configured");
    const std::vector<Bytes> current_chain = read_certificates(*current_file);
    const pki::Certificate current = pki::Certificate::from_der(current_chain.front());
    r.old_certificate = *current_file;
    r.old_serial = current.serial_hex();
    r.old_key_id = config.require_string(s + ".key_id");

    // The CA: named, else (ocsp) the one the responder answers for, else the one that issued the current
    // certificate, else the default.
    if (!request.ca.empty()) {
        r.ca = request.ca;
    } else if (request.role == "ocsp" && config.has("ocsp.ca")) {
        r.ca = config.require_string("ocsp.ca");
    } else if (const auto issuer = issuing_ca_of(current, pki)) {
        r.ca = *issuer;
    } else {
        r.ca = pki.default_ca();
    }
    if (request.role == "ocsp" && config.has("ocsp.ca")) {
        // RFC 6960 §4.2.2.2: a delegated responder is certified by the CA it answers for.
        require(r.ca == config.require_string("ocsp.ca"), Errc::InvalidRequest,
                "the OCSP responder answers for " + config.require_string("ocsp.ca") +
                    " and must be certified by it, not by " + r.ca);
    }
    pki::BuiltinCa& ca = pki.builtin(r.ca);  // Errc::NotFound / InvalidRequest before the HSM is touched

    std::optional<hsm::KeySpec> spec = request.key ? request.key : key_spec_of(current.public_key());
    require(spec.has_value(), Errc::InvalidRequest,
            "the current key's type has no HSM key spec: name one with --key-type");
    pki::IssueOptions options;
    options.validity_days = request.days;
    if (request.role == "tls") {
        subject_alt_names(current, options);
        require(!options.dns_names.empty() || !options.ip_addresses.empty(), Errc::InvalidConfig,
                "the current TLS certificate has no DNS or IP subjectAltName to carry over");
    }
    const std::string config_text = read_text_file(config_path(data_dir));
    const std::string label = "inkan-" + request.role + (request.name.empty() ? "" : "-" + request.name) +
                              "-" + utc_date(clock.now());

    // ---- from here on: undo on any failure ----
    const Bytes key_id = token.generate_key_pair(*spec, label);
    std::optional<pki::Certificate> issued;
    fs::path written;
    try {
        sign::HsmSigner signer{token, key_id};
        const pki::Csr csr = pki::create_csr(current.subject_name(), signer);
        issued = ca.issue(csr, request.role, options);
        if (request.role == "tsa") {
            tsp::check_tsa_certificate(issued->der(), clock.now());  // RFC 3161 §2.3, as serve checks it
        }
        std::vector<Bytes> chain{issued->der()};
        chain.insert(chain.end(), ca.chain().begin(), ca.chain().end());

        const std::string stem = s == "tsa" || s == "ocsp" || s == "tls" ? s : "tsa-" + request.name;
        const fs::path dir = current_file->parent_path();
        written = dir / (stem + "-chain-" + issued->serial_hex().substr(0, 16) + ".pem");
        require(!fs::exists(written), Errc::Conflict, written.string() + " exists already");
        write_output(written, as_bytes(pki::certificates_pem(chain)), Overwrite::Refuse);

        // The configuration names files relative to its directory where it can.
        const auto relative = [&](const fs::path& p) {
            const fs::path rel = p.lexically_relative(config.base_dir());
            return rel.empty() || rel.string().starts_with("..") ? p.string() : rel.string();
        };
        std::string retired = "[";
        for (const auto& old : config.strings(s + ".retired_certificates")) {
            retired += toml_quote(old) + ", ";
        }
        retired += toml_quote(relative(*current_file)) + "]";
        const std::string updated = set_toml_keys(config_text, s,
                                                  {{"key_id", toml_quote(hex_encode(key_id))},
                                                   {"certificate", toml_quote(relative(written))},
                                                   {"retired_certificates", retired}});
        // The whole switch is this one rename: before it the old identity is configured, after it the new.
        write_output(config_path(data_dir), as_bytes(updated), Overwrite::Allow);
    } catch (...) {
        std::error_code ec;
        if (!written.empty()) {
            fs::remove(written, ec);
        }
        if (issued) {
            try {
                ca.revoke(issued->serial(), pki::RevocationReason::CessationOfOperation, clock.now());
            } catch (const Error& e) {
                log::error("ca renew: could not revoke the certificate of a failed renewal",
                           {{"serial", issued->serial_hex()}, {"error", e.what()}});
            }
        }
        try {
            token.destroy_key(key_id);
        } catch (const Error& e) {
            log::error("ca renew: could not destroy the key of a failed renewal", {{"error", e.what()}});
        }
        throw;
    }
    r.new_serial = issued->serial_hex();
    r.new_key_id = hex_encode(key_id);
    r.new_certificate = written;
    r.subject = issued->subject();
    r.not_after = issued->not_after();
    return r;
}

}  // namespace inkan::app
