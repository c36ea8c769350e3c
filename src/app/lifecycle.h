#pragma once

// Certificate lifecycle (issue 26): how long the service's own certificates (TLS, TSA, OCSP signer,
// the configured CAs) have left, and how many credentials' certificates expire soon. Read from the
// files the configuration names and from the credential store, so `inkan status` (no HSM) and
// `inkan serve` (/metrics, /readyz) report the same.

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include <inkan/core/clock.h>
#include <inkan/core/config.h>
#include <inkan/service/ports.h>

namespace inkan::app {

struct CertificateExpiry {
    std::string role;  ///< "tls", "tsa", "ocsp", "ca"
    std::string name;  ///< the TSA identity ("default", ...) or the CA's name; the role again otherwise
    std::string subject;
    TimePoint not_after{};
    double days_left = 0;  ///< negative once expired
};

struct LifecycleReport {
    std::vector<CertificateExpiry> certificates;
    /// Active credentials whose certificate expires within `credential_window_days` (expired included).
    std::size_t credentials_expiring = 0;
    int credential_window_days = 30;
    int warn_days = 30;
    /// One line per certificate within `warn_days` of its end (or past it), and one for expiring
    /// credentials: what /readyz and `inkan status` show.
    std::vector<std::string> warnings;
};

/// [lifecycle] warn_days: how close to its end a service certificate is warned about (default 30,
/// 0..3650).
int lifecycle_warn_days(const Config& config);

/// The service's certificates as configured (tls.certificate, tsa.certificate and tsa.<name>.certificate,
/// ocsp.certificate, ca.<name>.chain): the first certificate of each file. Files that are missing or
/// unreadable are skipped (serve refuses to start without the ones it needs).
std::vector<CertificateExpiry> service_certificates(const Config& config, TimePoint now);

/// The whole report at `now`.
LifecycleReport lifecycle_report(const Config& config, const service::CredentialStore& credentials,
                                 TimePoint now);

}  // namespace inkan::app
