#include "pki_sources.h"

#include <string>

#include <inkan/pki/ca.h>

namespace inkan::app {

PkiSources::PkiSources(PkiContext& pki, const Clock& clock, std::chrono::seconds crl_refresh)
    : m_pki{pki}, m_clock{clock}, m_crl_refresh{crl_refresh} {}

bool PkiSources::is_builtin(const std::string& name) const {
    for (const auto& n : m_pki.names()) {
        if (n == name) {
            return m_pki.kind(name) == "builtin";
        }
    }
    return false;
}

Bytes PkiSources::crl(const std::string& ca) {
    const std::lock_guard lock{m_mutex};
    auto& builtin = m_pki.builtin(ca);
    const std::size_t revoked = m_pki.store().revoked(ca).size();
    auto it = m_crls.find(ca);
    const TimePoint now = m_clock.now();
    if (it == m_crls.end() || it->second.revoked != revoked || now - it->second.signed_at >= m_crl_refresh) {
        CachedCrl fresh{builtin.crl(), now, revoked};
        it = m_crls.insert_or_assign(ca, std::move(fresh)).first;
    }
    return it->second.der;
}

api::PkiRoutesDeps PkiSources::routes(tsp::Authority* tsa) {
    api::PkiRoutesDeps d;
    d.ocsp = [this](ByteView request) { return m_pki.ocsp_response(request); };
    d.crl = [this](const std::string& name) -> std::optional<Bytes> {
        if (!is_builtin(name)) {
            return std::nullopt;
        }
        return crl(name);
    };
    d.ca_certificate = [this](const std::string& name) -> std::optional<Bytes> {
        if (!is_builtin(name)) {
            return std::nullopt;
        }
        return m_pki.builtin(name).certificate().der();
    };
    d.tsa = tsa;
    return d;
}

}  // namespace inkan::app
