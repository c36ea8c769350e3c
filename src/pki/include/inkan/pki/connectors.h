#pragma once

// The CaConnector implementations of the pki layer: `builtin` (a BuiltinCa in this process) and
// `manual` (the CSR goes out as PEM, the certificate comes back through `inkan credential
// import-cert`, checked by check_imported_certificate()). The CMP connector lives in cmp_connector.h.

#include <optional>
#include <string>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/crypto/keys.h>
#include <inkan/pki/ca.h>
#include <inkan/pki/certificate.h>
#include <inkan/pki/connector.h>

namespace inkan::pki {

/// Enrols through a BuiltinCa (which must outlive the connector): Issued, with the chain
/// [certificate, CA certificate, ..., root].
class BuiltinConnector final : public CaConnector {
public:
    explicit BuiltinConnector(BuiltinCa& ca) : m_ca{ca} {}
    [[nodiscard]] std::string name() const override;
    [[nodiscard]] std::string kind() const override { return "builtin"; }
    [[nodiscard]] std::string describe() const override;
    /// Errc::InvalidEncoding: the CSR does not parse; otherwise as BuiltinCa::issue().
    EnrolmentResult enrol(const EnrolmentRequest& request) override;

private:
    BuiltinCa& m_ca;
};

/// An external CA reached by hand: enrol() checks the CSR and returns it as PEM (Pending).
class ManualConnector final : public CaConnector {
public:
    /// `description`: a note for the operator ("Corporate CA, send the CSR to pki@example.com").
    ManualConnector(std::string name, std::string description = {});
    [[nodiscard]] std::string name() const override { return m_name; }
    [[nodiscard]] std::string kind() const override { return "manual"; }
    [[nodiscard]] std::string describe() const override;
    /// Errc::InvalidEncoding: the CSR does not parse; Errc::InvalidRequest: its signature does not verify.
    EnrolmentResult enrol(const EnrolmentRequest& request) override;

private:
    std::string m_name;
    std::string m_description;
};

/// Checks a certificate an operator brings back from an external CA before it is attached to an HSM
/// key (`inkan credential import-cert`): its public key must be `expected_key` (the HSM key the CSR was
/// made for) and it must chain, through `chain_der` (untrusted intermediates, any order), to
/// `trust_anchor_der` (OpenSSL X509_verify_cert at `at`, default now). Returns the parsed certificate.
/// Errc::InvalidEncoding: a certificate does not parse; Errc::InvalidRequest: another key, or the chain
/// does not validate (OpenSSL's reason in the message).
Certificate check_imported_certificate(ByteView cert_der, const std::vector<Bytes>& chain_der,
                                       const crypto::PublicKey& expected_key, ByteView trust_anchor_der,
                                       std::optional<TimePoint> at = std::nullopt);

}  // namespace inkan::pki
