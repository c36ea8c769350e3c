#include "pki_context.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/pki/certificate.h>
#include <inkan/pki/cmp_connector.h>
#include <inkan/pki/connectors.h>

#include "context.h"
#include "storage_backend.h"

namespace inkan::app {

namespace fs = std::filesystem;

namespace {

std::string section_key(const std::string& section, const std::string& key) {
    return section + "." + key;
}

}  // namespace

pki::CmpConfig cmp_config(const Config& config, const std::string& name) {
    const std::string s = "ca." + name;
    pki::CmpConfig c;
    c.name = name;
    c.server_url = config.require_string(s + ".url");
    c.proxy = config.string_or(s + ".proxy", "");
    c.recipient = config.string_or(s + ".recipient", "");
    c.trusted = config.path(s + ".trusted").value_or(fs::path{});
    c.untrusted = config.path(s + ".untrusted").value_or(fs::path{});
    const std::string protection = config.string_or(s + ".protection", "mac");
    if (protection == "mac") {
        c.protection = pki::CmpConfig::Protection::Mac;
        c.reference = config.require_string(s + ".reference");
        // The shared secret never sits in the configuration itself: an environment variable or a 0600 file.
        if (const auto env = config.string(s + ".secret_env")) {
            const char* v = std::getenv(env->c_str());
            require(v != nullptr && *v != '\0', Errc::InvalidConfig,
                    s + ".secret_env names " + *env + ", which is not set");
            c.secret = Secret{std::string_view{v}};
        } else {
            const auto file = config.path(s + ".secret_file");
            require(file.has_value(), Errc::InvalidConfig,
                    s + ": MAC protection needs secret_env or secret_file");
            c.secret = read_secret_file(*file);
        }
    } else if (protection == "signature") {
        c.protection = pki::CmpConfig::Protection::Signature;
        c.client_cert = config.path(s + ".client_cert").value_or(fs::path{});
        c.client_key = config.path(s + ".client_key").value_or(fs::path{});
        c.client_chain = config.path(s + ".client_chain").value_or(fs::path{});
    } else {
        throw Error{Errc::InvalidConfig, s + ".protection must be \"mac\" or \"signature\""};
    }
    const std::string request = config.string_or(s + ".request", "p10cr");
    require(request == "p10cr" || request == "ir", Errc::InvalidConfig,
            s + ".request must be \"p10cr\" or \"ir\"");
    c.request_type = request == "ir" ? pki::CmpConfig::RequestType::Ir : pki::CmpConfig::RequestType::P10cr;
    c.message_timeout = std::chrono::seconds{config.integer_or(s + ".message_timeout", 30)};
    c.total_timeout = std::chrono::seconds{config.integer_or(s + ".total_timeout", 120)};
    c.implicit_confirm = config.boolean_or(s + ".implicit_confirm", false);
    return c;
}

std::vector<Bytes> read_certificates(const fs::path& pem_file) {
    std::vector<Bytes> out;
    for (const auto& c : pki::certificates_from_pem(read_text_file(pem_file))) {
        out.push_back(c.der());
    }
    if (out.empty()) {
        throw Error{Errc::InvalidConfig, pem_file.string() + " holds no certificate"};
    }
    return out;
}

Bytes configured_trust_anchor(const Config& config, PkiContext& pki) {
    for (const auto& name : pki.names()) {
        if (pki.kind(name) == "builtin" && config.boolean_or("ca." + name + ".root", false)) {
            const auto chain = config.path("ca." + name + ".chain");
            require(chain.has_value(), Errc::InvalidConfig, "ca." + name + ".chain is not configured");
            return read_certificates(*chain).back();
        }
    }
    throw Error{Errc::InvalidConfig, "no built-in root CA is configured: give --trust-anchor FILE"};
}

pki::ProfileSet profiles_from_config(const Config& config) {
    pki::ProfileSet set = pki::ProfileSet::defaults();
    std::set<std::string> names;
    for (const auto& key : config.keys()) {
        if (key.rfind("profile.", 0) == 0) {
            const auto dot = key.find('.', 8);
            if (dot != std::string::npos) {
                names.insert(key.substr(8, dot - 8));
            }
        }
    }
    for (const auto& name : names) {
        const std::string p = "profile." + name;
        pki::Profile profile;
        if (const auto* existing = set.find(name)) {
            profile = *existing;
        } else {
            // A new profile names the kind it specialises: kind = "person" | "seal" | ...
            const std::string kind = config.require_string(p + ".kind");
            const auto k = pki::profile_kind_from_name(kind);
            require(k.has_value(), Errc::InvalidConfig, p + ".kind: unknown profile kind '" + kind + "'");
            profile = pki::default_profile(*k);
            profile.name = name;
        }
        profile.validity_days =
            static_cast<int>(config.integer_or(p + ".validity_days", profile.validity_days));
        require(profile.validity_days >= 1, Errc::InvalidConfig, p + ".validity_days must be at least 1");
        profile.key_policy.min_rsa_bits = static_cast<std::size_t>(config.integer_or(
            p + ".min_rsa_bits", static_cast<std::int64_t>(profile.key_policy.min_rsa_bits)));
        if (config.has(p + ".key_types")) {
            const auto types = config.strings(p + ".key_types");
            profile.key_policy.allow_rsa = std::find(types.begin(), types.end(), "rsa") != types.end();
            profile.key_policy.allow_ec = std::find(types.begin(), types.end(), "ec") != types.end();
            for (const auto& t : types) {
                require(t == "rsa" || t == "ec", Errc::InvalidConfig,
                        p + ".key_types: unknown key type '" + t + "'");
            }
        }
        if (config.has(p + ".curves")) {
            profile.key_policy.curves.clear();
            for (const auto& c : config.strings(p + ".curves")) {
                const auto curve = crypto::curve_from_name(c);
                require(curve.has_value(), Errc::InvalidConfig, p + ".curves: unknown curve '" + c + "'");
                profile.key_policy.curves.push_back(*curve);
            }
        }
        profile.qualified = config.boolean_or(p + ".qualified", profile.qualified);
        profile.qc_sscd = config.boolean_or(p + ".qc_sscd", profile.qc_sscd);
        profile.non_repudiation = config.boolean_or(p + ".non_repudiation", profile.non_repudiation);
        if (config.has(p + ".policies")) {
            profile.policies = config.strings(p + ".policies");
        }
        set.set(profile);
    }
    return set;
}

std::vector<std::string> ca_names(const Config& config) {
    std::set<std::string> names;
    for (const auto& key : config.keys()) {
        if (key.rfind("ca.", 0) == 0) {
            const auto dot = key.find('.', 3);
            if (dot != std::string::npos) {
                names.insert(key.substr(3, dot - 3));
            }
        }
    }
    return {names.begin(), names.end()};
}

PkiContext::PkiContext(const Config& config, hsm::Token& token, const Clock& clock, StorageBackend& storage)
    : m_config{config},
      m_token{token},
      m_clock{clock},
      m_profiles{profiles_from_config(config)},
      m_names{ca_names(config)} {
    m_store = storage.ca_store();
}

PkiContext::~PkiContext() = default;

std::string PkiContext::kind(const std::string& name) const {
    if (std::find(m_names.begin(), m_names.end(), name) == m_names.end()) {
        throw Error{Errc::NotFound, "no CA named '" + name + "' in the configuration (see inkan ca list)"};
    }
    return m_config.require_string(section_key("ca." + name, "type"));
}

std::string PkiContext::default_ca() const {
    if (const auto d = m_config.string("ca.default_ca")) {
        return *d;
    }
    for (const auto& name : m_names) {
        if (kind(name) == "builtin" && !m_config.boolean_or("ca." + name + ".root", false)) {
            return name;
        }
    }
    throw Error{Errc::InvalidConfig, "no default CA: set ca.default_ca"};
}

pki::BuiltinCa& PkiContext::builtin(const std::string& name) {
    if (const auto it = m_cas.find(name); it != m_cas.end()) {
        return *it->second;
    }
    if (kind(name) != "builtin") {
        throw Error{Errc::InvalidRequest, "CA '" + name + "' is a " + kind(name) + " CA, not a built-in one"};
    }
    const std::string s = "ca." + name;
    const Bytes key_id = hex_decode(m_config.require_string(s + ".key_id"));
    const auto chain_file = m_config.path(s + ".chain");
    require(chain_file.has_value(), Errc::InvalidConfig, s + ".chain is not configured");
    auto signer = std::make_unique<sign::HsmSigner>(m_token, key_id);
    pki::CaSettings settings;
    settings.name = name;
    settings.pki_base_url = m_config.require_string("pki.base_url");
    auto ca = std::make_unique<pki::BuiltinCa>(settings, *signer, read_certificates(*chain_file), *m_store,
                                               m_profiles, m_clock);
    m_signers[name] = std::move(signer);
    auto& ref = *ca;
    m_cas[name] = std::move(ca);
    return ref;
}

pki::CaConnector& PkiContext::connector(const std::string& name) {
    if (const auto it = m_connectors.find(name); it != m_connectors.end()) {
        return *it->second;
    }
    const std::string k = kind(name);
    const std::string s = "ca." + name;
    std::unique_ptr<pki::CaConnector> c;
    if (k == "builtin") {
        c = std::make_unique<pki::BuiltinConnector>(builtin(name));
    } else if (k == "manual") {
        c = std::make_unique<pki::ManualConnector>(name, m_config.string_or(s + ".description", ""));
    } else if (k == "cmp") {
        c = std::make_unique<pki::CmpConnector>(cmp_config(m_config, name));
    } else {
        throw Error{Errc::InvalidConfig, s + ".type: unknown CA type '" + k + "' (builtin, manual, cmp)"};
    }
    auto& ref = *c;
    m_connectors[name] = std::move(c);
    return ref;
}

void PkiContext::warm_up() {
    for (const auto& name : m_names) {
        if (kind(name) == "builtin") {
            (void)builtin(name);
        } else {
            (void)connector(name);
        }
    }
    (void)ocsp_responder();
}

std::shared_ptr<const PkiContext::OcspResponder> PkiContext::make_ocsp_responder(const Config& config) {
    auto r = std::make_shared<OcspResponder>();
    Bytes key_id;
    try {
        key_id = hex_decode(config.require_string("ocsp.key_id"));
    } catch (const Error& e) {
        throw Error{Errc::InvalidConfig, std::string{"ocsp.key_id: "} + e.what()};
    }
    const auto cert = config.path("ocsp.certificate");
    require(cert.has_value(), Errc::InvalidConfig, "ocsp.certificate is not configured");
    r->chain = read_certificates(*cert);
    try {
        r->signer = std::make_unique<sign::HsmSigner>(m_token, key_id);
    } catch (const Error& e) {
        throw Error{e.code() == Errc::NotFound ? Errc::InvalidConfig : e.code(),
                    std::string{"ocsp.key_id: no such key in the HSM ("} + e.what() + ")"};
    }
    const pki::Certificate leaf = pki::Certificate::from_der(r->chain.front());
    require(leaf.public_key().same_key(r->signer->public_key()), Errc::InvalidConfig,
            "ocsp.certificate is not for the key ocsp.key_id names");
    const auto eku = leaf.extended_key_usage();
    // RFC 6960 §4.2.2.2: a delegated responder's certificate carries id-kp-OCSPSigning.
    require(std::find(eku.begin(), eku.end(), pki::eku::kOcspSigning) != eku.end(), Errc::InvalidConfig,
            "ocsp.certificate lacks id-kp-OCSPSigning (RFC 6960 §4.2.2.2)");
    return r;
}

std::shared_ptr<const PkiContext::OcspResponder> PkiContext::ocsp_responder() {
    const std::lock_guard lock{m_ocsp_mutex};
    if (!m_ocsp && m_config.has("ocsp.key_id")) {
        m_ocsp = make_ocsp_responder(m_config);
    }
    return m_ocsp;
}

void PkiContext::reload_ocsp(const Config& config) {
    auto fresh = make_ocsp_responder(config);  // throws before anything changes
    const std::lock_guard lock{m_ocsp_mutex};
    m_ocsp = std::move(fresh);
}

Bytes PkiContext::ocsp_certificate() {
    const auto r = ocsp_responder();
    return r ? r->chain.front() : Bytes{};
}

Bytes PkiContext::ocsp_response(ByteView request) {
    // The delegated responder answers for the CA that issued it; every other built-in CA signs its
    // own responses (RFC 6960 §4.2.2.2).
    const std::string responder_ca = m_config.has("ocsp.key_id") ? m_config.string_or("ocsp.ca", "") : "";
    Bytes last = pki::ocsp_error_response(pki::OcspResponseStatus::Unauthorized);
    for (const auto& name : m_names) {
        if (kind(name) != "builtin") {
            continue;
        }
        auto& ca = builtin(name);
        Bytes response;
        if (name == responder_ca) {
            // A snapshot: a reload meanwhile does not change the responder under this response.
            const auto responder = ocsp_responder();
            response = ca.ocsp_response(request, *responder->signer, responder->chain);
        } else {
            response = ca.ocsp_response(request);
        }
        if (response != pki::ocsp_error_response(pki::OcspResponseStatus::Unauthorized)) {
            return response;
        }
        last = std::move(response);
    }
    return last;
}

}  // namespace inkan::app
