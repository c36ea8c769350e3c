#pragma once

// Certificate profiles: what the built-in CA puts into a certificate for each use (ETSI EN 319 412-2
// natural persons, EN 319 412-3 legal persons / seals, RFC 3161 TSA, RFC 6960 OCSP responder, TLS
// server, CA), and which keys it accepts. Plain structs: the app fills them from the configuration.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <inkan/crypto/algorithms.h>
#include <inkan/crypto/keys.h>
#include <inkan/pki/certificate.h>
#include <inkan/pki/x509.h>

namespace inkan::pki {

enum class ProfileKind {
    Person,  ///< natural-person signing: digitalSignature + nonRepudiation; CN, givenName, surname, C
    Seal,    ///< legal-person e-seal: digitalSignature + nonRepudiation; CN, O, organizationIdentifier, C
    Tsa,     ///< time-stamping unit: EKU id-kp-timeStamping only, critical (RFC 3161 §2.3)
    Ocsp,    ///< delegated OCSP responder: EKU id-kp-OCSPSigning, id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2)
    Tls,     ///< TLS server: EKU serverAuth, SAN DNS/IP
    Ca,      ///< root or intermediate CA: keyCertSign + cRLSign, basicConstraints cA
};
/// "person", "seal", "tsa", "ocsp", "tls", "ca".
std::string_view name(ProfileKind kind);
std::optional<ProfileKind> profile_kind_from_name(std::string_view text);

/// Which subject keys a profile accepts.
struct KeyPolicy {
    bool allow_rsa = true;
    bool allow_ec = true;
    std::size_t min_rsa_bits = 2048;
    std::vector<crypto::Curve> curves{crypto::Curve::P256, crypto::Curve::P384, crypto::Curve::P521};
};

/// Errc::InvalidRequest, naming the key and the policy ("RSA-1024 is weaker than the profile's minimum
/// of 2048 bits"), unless `key` satisfies `policy`.
void check_key(const KeyPolicy& policy, const crypto::PublicKey& key);

struct Profile {
    std::string name;  ///< the name CAs and the CLI use ("person", or a configured "person-qualified")
    ProfileKind kind = ProfileKind::Person;
    int validity_days = 730;
    KeyPolicy key_policy;
    /// person/seal: QCStatements QcCompliance + QcType esign/eseal (EN 319 412-5).
    bool qualified = false;
    /// person/seal with qualified: also QcSSCD (the key is held in a QSCD).
    bool qc_sscd = false;
    /// certificatePolicies OIDs, e.g. QCP-n-qscd 0.4.0.194112.1.2 (no qualifiers).
    std::vector<std::string> policies;
    /// tsa/ocsp/tls: add nonRepudiation to digitalSignature (person/seal always have it).
    bool non_repudiation = false;
    /// ca: pathLenConstraint (nullopt = unlimited).
    std::optional<unsigned> path_len;
};

/// The built-in defaults: person and seal 730 days (not qualified), tsa 1826 days, ocsp 90 days,
/// tls 397 days (CA/B BR limit), ca 3652 days with pathLen 0; every key policy RSA ≥ 2048 or
/// P-256/384/521.
Profile default_profile(ProfileKind kind);

/// Named profiles, looked up by Profile::name.
class ProfileSet {
public:
    ProfileSet() = default;
    /// One default_profile() per kind.
    static ProfileSet defaults();

    /// Adds `profile`, or replaces the one with the same name.
    void set(Profile profile);
    /// Errc::InvalidRequest "unknown certificate profile" when missing.
    [[nodiscard]] const Profile& get(std::string_view name) const;
    [[nodiscard]] const Profile* find(std::string_view name) const;
    [[nodiscard]] const std::vector<Profile>& all() const noexcept { return m_profiles; }

private:
    std::vector<Profile> m_profiles;
};

/// EN 319 412-1 §5.1.4 semantics identifier for organizationIdentifier: three upper-case letters
/// (legal person identity type, e.g. VAT, NTR, PSD, LEI) + ISO 3166-1 country code + '-' + identifier
/// ("NTRJP-1234567890123", "VATEU-..."), or two characters + ':' + identifier (a national scheme).
/// Errc::InvalidRequest otherwise.
void check_organization_identifier(std::string_view value);

/// Errc::InvalidRequest unless `subject` has what `profile` needs: CN always; person C, givenName and
/// surname; seal C, O and a valid organizationIdentifier.
void check_subject(const Profile& profile, const Name& subject);

/// The profile's own extensions for a subject key (basicConstraints, keyUsage, extKeyUsage, SKI,
/// SAN, policies, QCStatements, ocsp-nocheck); the CA adds AKI, AIA and CRLDistributionPoints.
/// Errc::InvalidRequest: a TLS profile without any DNS name or IP address, bad SAN values.
Extensions profile_extensions(const Profile& profile, const crypto::PublicKey& subject_key,
                              const std::vector<std::string>& dns_names = {},
                              const std::vector<std::string>& ip_addresses = {});

}  // namespace inkan::pki
