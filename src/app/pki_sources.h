#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <inkan/api/pki_routes.h>
#include <inkan/core/clock.h>

#include "pki_context.h"

namespace inkan::app {

/// The PKI listener's sources (api::add_pki_routes serves them): OCSP from the context, each built-in
/// CA's certificate, and its CRL — cached, signed anew after `crl_refresh` or at once when the CA's
/// revocation count changed (so a revocation shows up in the next download).
/// `pki` must have been warmed up (every built-in CA built) before the server starts: the routes then
/// only read it, from several worker threads.
class PkiSources {
public:
    PkiSources(PkiContext& pki, const Clock& clock, std::chrono::seconds crl_refresh);

    /// The current CRL of the built-in CA `ca` (DER), signing a new one when the cache is stale.
    Bytes crl(const std::string& ca);
    /// The routes' dependencies over this object (which must outlive the router).
    api::PkiRoutesDeps routes(tsp::Authority* tsa);

private:
    [[nodiscard]] bool is_builtin(const std::string& name) const;

    struct CachedCrl {
        Bytes der;
        TimePoint signed_at{};
        std::size_t revoked = 0;
    };
    PkiContext& m_pki;
    const Clock& m_clock;
    std::chrono::seconds m_crl_refresh;
    std::mutex m_mutex;  // guards m_crls and serialises CRL signing (each takes a CRL number)
    std::map<std::string, CachedCrl> m_crls;
};

}  // namespace inkan::app
