#include "lifecycle.h"

#include <cmath>
#include <fstream>
#include <iterator>
#include <set>

#include <inkan/core/error.h>
#include <inkan/pki/certificate.h>

namespace inkan::app {

namespace {

double days_between(TimePoint from, TimePoint to) {
    return std::chrono::duration<double>(to - from).count() / 86400.0;
}

void add_file(std::vector<CertificateExpiry>& out, const Config& config, const std::string& key,
              const std::string& role, const std::string& name, TimePoint now) {
    const auto file = config.path(key);
    if (!file) {
        return;
    }
    std::ifstream in{*file, std::ios::binary};
    if (!in) {
        return;
    }
    const std::string pem{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    try {
        const auto certs = pki::certificates_from_pem(pem);
        if (certs.empty()) {
            return;
        }
        const auto& c = certs.front();
        out.push_back(
            CertificateExpiry{role, name, c.subject(), c.not_after(), days_between(now, c.not_after())});
    } catch (const Error&) {
        // Not PEM: reported by whoever needs it (serve refuses to start).
    }
}

}  // namespace

int lifecycle_warn_days(const Config& config) {
    const auto v = config.integer_or("lifecycle.warn_days", 30);
    require(v >= 0 && v <= 3650, Errc::InvalidConfig, "lifecycle.warn_days must be 0..3650");
    return static_cast<int>(v);
}

std::vector<CertificateExpiry> service_certificates(const Config& config, TimePoint now) {
    std::vector<CertificateExpiry> out;
    add_file(out, config, "tls.certificate", "tls", "tls", now);
    add_file(out, config, "tsa.certificate", "tsa", "default", now);
    std::set<std::string> tsa_names;
    std::set<std::string> ca_names;
    for (const auto& key : config.keys()) {
        const auto second_dot = [&](std::size_t from) { return key.find('.', from); };
        if (key.rfind("tsa.", 0) == 0 && second_dot(4) != std::string::npos &&
            key.ends_with(".certificate")) {
            tsa_names.insert(key.substr(4, second_dot(4) - 4));
        }
        if (key.rfind("ca.", 0) == 0 && key.ends_with(".chain") && second_dot(3) != std::string::npos) {
            ca_names.insert(key.substr(3, second_dot(3) - 3));
        }
    }
    for (const auto& name : tsa_names) {
        add_file(out, config, "tsa." + name + ".certificate", "tsa", name, now);
    }
    add_file(out, config, "ocsp.certificate", "ocsp", "ocsp", now);
    for (const auto& name : ca_names) {
        add_file(out, config, "ca." + name + ".chain", "ca", name, now);
    }
    return out;
}

LifecycleReport lifecycle_report(const Config& config, const service::CredentialStore& credentials,
                                 TimePoint now) {
    LifecycleReport r;
    r.warn_days = lifecycle_warn_days(config);
    r.certificates = service_certificates(config, now);
    for (const auto& c : r.certificates) {
        if (c.days_left < 0) {
            r.warnings.push_back(c.role + " certificate " + c.name + " (" + c.subject + ") has expired (" +
                                 format_rfc3339(c.not_after) + ")");
        } else if (c.days_left <= r.warn_days) {
            r.warnings.push_back(c.role + " certificate " + c.name + " (" + c.subject + ") expires in " +
                                 std::to_string(static_cast<long>(std::floor(c.days_left))) + " days (" +
                                 format_rfc3339(c.not_after) + ")");
        }
    }
    for (const auto& cred : credentials.list()) {
        if (cred.status != service::CredentialStatus::Active || cred.chain.empty()) {
            continue;
        }
        try {
            const auto cert = pki::Certificate::from_der(cred.chain.front());
            if (days_between(now, cert.not_after()) <= r.credential_window_days) {
                ++r.credentials_expiring;
            }
        } catch (const Error&) {
            // A stored chain that does not parse is not an expiry question.
        }
    }
    if (r.credentials_expiring > 0) {
        r.warnings.push_back(std::to_string(r.credentials_expiring) +
                             " credential certificate(s) expire within " +
                             std::to_string(r.credential_window_days) + " days");
    }
    return r;
}

}  // namespace inkan::app
