#pragma once

// The CA's state port: serials, issued certificates, revocations, CRL numbers. The pki layer owns
// this interface; storage/ implements it (SQLite now, PostgreSQL later) and both pass the same
// port test suite. Every method is one transaction, safe to call from several threads and, with a
// shared database, from several nodes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>

namespace inkan::pki {

/// CRLReason (RFC 5280 §5.3.1). 7 is unused.
enum class RevocationReason : std::uint8_t {
    Unspecified = 0,
    KeyCompromise = 1,
    CaCompromise = 2,
    AffiliationChanged = 3,
    Superseded = 4,
    CessationOfOperation = 5,
    CertificateHold = 6,
    RemoveFromCrl = 8,
    PrivilegeWithdrawn = 9,
    AaCompromise = 10,
};
/// "keyCompromise", ... (RFC 5280 spelling, as `openssl crl -text` prints them in prose form).
std::string_view name(RevocationReason r);
/// Accepts the RFC 5280 names case-insensitively, with or without separators
/// ("keyCompromise", "key-compromise", "key_compromise") and the numbers; Errc::InvalidRequest otherwise.
RevocationReason revocation_reason_from_name(std::string_view text);

struct IssuedCertificate {
    std::string ca;       ///< the issuing CA's name (as in the configuration)
    Bytes serial;         ///< big-endian magnitude, as in the certificate
    std::string subject;  ///< RFC 4514
    std::string profile;  ///< "person", "seal", "tsa", "ocsp", "tls", "ca"
    TimePoint not_before{};
    TimePoint not_after{};
    Bytes der;  ///< the certificate
    std::optional<TimePoint> revoked_at;
    std::optional<RevocationReason> reason;
};

class CaStore {
public:
    virtual ~CaStore() = default;

    /// Claims a serial number for `ca` before the certificate is signed. False if the serial was
    /// ever claimed (by any node): the caller draws another. Serials are unique per CA.
    virtual bool reserve_serial(std::string_view ca, ByteView serial) = 0;
    /// Stores the issued certificate under its reserved serial. Errc::Conflict if the serial was not
    /// reserved or already has a certificate.
    virtual void record_certificate(const IssuedCertificate& cert) = 0;
    [[nodiscard]] virtual std::optional<IssuedCertificate> find(std::string_view ca,
                                                                ByteView serial) const = 0;
    /// All CAs' certificates with this serial (an operator may name a serial without its CA).
    [[nodiscard]] virtual std::vector<IssuedCertificate> find_serial(ByteView serial) const = 0;
    /// In issuance order.
    [[nodiscard]] virtual std::vector<IssuedCertificate> list(std::string_view ca) const = 0;
    /// Errc::NotFound for an unknown serial; Errc::Conflict if already revoked (a certificateHold may
    /// be followed by another reason; anything else is final).
    virtual void revoke(std::string_view ca, ByteView serial, RevocationReason reason, TimePoint when) = 0;
    /// Revoked certificates of this CA, for the CRL.
    [[nodiscard]] virtual std::vector<IssuedCertificate> revoked(std::string_view ca) const = 0;
    /// Increments and returns the CA's CRL number (1, 2, ...). Monotonic across nodes.
    virtual std::uint64_t next_crl_number(std::string_view ca) = 0;
};

}  // namespace inkan::pki
