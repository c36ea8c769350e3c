#pragma once

// Several CAs behind one interface (inkan credential create / init): enrol a CSR under a profile,
// get the chain back — now (builtin, CMP) or later (manual: the operator takes the CSR to a CA and
// imports the certificate with `inkan credential import-cert`).

#include <optional>
#include <string>
#include <vector>

#include <inkan/core/bytes.h>

namespace inkan::pki {

struct EnrolmentRequest {
    Bytes csr_der;        ///< PKCS#10, signed by the key being certified (through the HSM)
    std::string profile;  ///< "person", "seal", "tsa", "ocsp", "tls"
};

struct EnrolmentResult {
    enum class Status { Issued, Pending };
    Status status = Status::Pending;
    /// Issued: the certificate first, then its issuers toward the root (DER).
    std::vector<Bytes> chain;
    /// Pending (manual): the CSR as PEM, for the operator to take to the CA.
    std::string csr_pem;
    /// Human-readable next step or provenance ("issued by inkan-issuing, serial 1A2B...").
    std::string note;
};

class CaConnector {
public:
    virtual ~CaConnector() = default;
    [[nodiscard]] virtual std::string name() const = 0;
    /// "builtin", "manual", "cmp".
    [[nodiscard]] virtual std::string kind() const = 0;
    /// One line for `inkan ca list` (URL, issuer, profiles).
    [[nodiscard]] virtual std::string describe() const = 0;
    /// Errc::InvalidRequest: the CSR does not verify or breaks the profile's policy (weak key);
    /// Errc::Unavailable: a remote CA cannot be reached; Errc::Forbidden: the CA refused.
    virtual EnrolmentResult enrol(const EnrolmentRequest& request) = 0;
};

}  // namespace inkan::pki
