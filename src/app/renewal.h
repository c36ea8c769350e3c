#pragma once

// Renewal of the service's own certificates (issue 26, decision 0037): `inkan ca renew tsa|ocsp|tls`
// makes a new key in the HSM and a certificate from the built-in CA, and switches inkan.toml to them in
// one rename; the previous certificate files stay where they are and are listed as retired. A running
// `inkan serve` switches on SIGHUP (serve.cpp).

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/core/config.h>
#include <inkan/hsm/token.h>

#include "pki_context.h"

namespace inkan::app {

/// `values` (key → the TOML text of its value, already quoted) set in the table `[section]` of
/// `toml`: a line `key = ...` of that table is replaced, a missing key is added after the table's last
/// line. Everything else (comments, other tables, order) is kept byte for byte. Errc::InvalidConfig
/// when the file has no `[section]` header, or a key's line opens a value spread over several lines.
std::string set_toml_keys(std::string_view toml, std::string_view section,
                          const std::vector<std::pair<std::string, std::string>>& values);

/// A TOML basic string (quotes and backslashes escaped).
std::string toml_quote(std::string_view text);

/// The certificate files a section lists as retired (`<section>.retired_certificates`), resolved
/// against the configuration's directory.
std::vector<std::filesystem::path> retired_certificate_files(const Config& config,
                                                             const std::string& section);

struct RenewRequest {
    std::string role;  ///< "tsa", "ocsp", "tls"
    std::string name;  ///< tsa only: a [tsa.<name>] identity; empty = [tsa]
    std::string ca;    ///< empty: the CA that issued the current certificate (ocsp: ocsp.ca)
    std::optional<int> days;
    std::optional<hsm::KeySpec> key;  ///< empty: the current key's type
};

struct RenewResult {
    std::string role, section;
    std::string ca;
    std::string old_serial, new_serial;
    std::string old_key_id, new_key_id;  ///< hex CKA_IDs
    std::filesystem::path old_certificate, new_certificate;
    std::string subject;
    TimePoint not_after{};
};

/// The configuration section a role's identity lives in ("tsa", "tsa.<name>", "ocsp", "tls").
/// UsageError-worthy problems (unknown role, --name for another role) are Errc::InvalidRequest.
std::string renewal_section(const RenewRequest& request);

/// Renews: new key pair in the HSM (sensitive, never extractable), a CSR with the current
/// certificate's subject, a certificate from the built-in CA under the role's profile (tsa: critical
/// EKU timeStamping; ocsp: id-kp-OCSPSigning and ocsp-nocheck; tls: the current certificate's DNS and IP
/// subjectAltNames), the chain written to a new file in the current one's directory, and inkan.toml
/// rewritten (temporary file, rename) with the new key_id and certificate and the old certificate added
/// to retired_certificates. Nothing is deleted. On any failure the new key is destroyed, a certificate
/// already issued for it is revoked, the new file removed, and inkan.toml is as it was.
/// Errc::InvalidConfig: the section is missing or an environment variable overrides one of the keys
/// renewal writes; Errc::NotFound: an unknown CA; what the HSM or the CA throws passes through.
RenewResult renew_service_certificate(const std::filesystem::path& data_dir, const Config& config,
                                      hsm::Token& token, PkiContext& pki, const RenewRequest& request,
                                      const Clock& clock);

}  // namespace inkan::app
