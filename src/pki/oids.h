#pragma once

// Internal to the pki layer: the object identifiers inkan writes into certificates, CSRs, CRLs and
// OCSP responses (RFC 5280 §4.2, RFC 6960 §4.4, EN 319 412-5 §4.2).

#include <string_view>

namespace inkan::pki::oids {

// Name attributes (X.520; PKCS#9 for emailAddress).
inline constexpr std::string_view kCountry = "2.5.4.6";
inline constexpr std::string_view kOrganization = "2.5.4.10";
inline constexpr std::string_view kOrganizationalUnit = "2.5.4.11";
inline constexpr std::string_view kCommonName = "2.5.4.3";
inline constexpr std::string_view kGivenName = "2.5.4.42";
inline constexpr std::string_view kSurname = "2.5.4.4";
inline constexpr std::string_view kSerialNumber = "2.5.4.5";
inline constexpr std::string_view kOrganizationIdentifier = "2.5.4.97";
inline constexpr std::string_view kLocality = "2.5.4.7";
inline constexpr std::string_view kStateOrProvince = "2.5.4.8";
inline constexpr std::string_view kEmailAddress = "1.2.840.113549.1.9.1";

// Certificate extensions (RFC 5280 §4.2).
inline constexpr std::string_view kSubjectKeyIdentifier = "2.5.29.14";
inline constexpr std::string_view kKeyUsage = "2.5.29.15";
inline constexpr std::string_view kSubjectAltName = "2.5.29.17";
inline constexpr std::string_view kBasicConstraints = "2.5.29.19";
inline constexpr std::string_view kCrlDistributionPoints = "2.5.29.31";
inline constexpr std::string_view kCertificatePolicies = "2.5.29.32";
inline constexpr std::string_view kAuthorityKeyIdentifier = "2.5.29.35";
inline constexpr std::string_view kExtKeyUsage = "2.5.29.37";
inline constexpr std::string_view kAuthorityInfoAccess = "1.3.6.1.5.5.7.1.1";
inline constexpr std::string_view kQcStatements = "1.3.6.1.5.5.7.1.3";
inline constexpr std::string_view kOcspNoCheck = "1.3.6.1.5.5.7.48.1.5";

// Access methods (RFC 5280 §4.2.2.1).
inline constexpr std::string_view kAdOcsp = "1.3.6.1.5.5.7.48.1";
inline constexpr std::string_view kAdCaIssuers = "1.3.6.1.5.5.7.48.2";

// CRL (RFC 5280 §5.2, §5.3).
inline constexpr std::string_view kCrlNumber = "2.5.29.20";
inline constexpr std::string_view kReasonCode = "2.5.29.21";

// OCSP (RFC 6960 §4.2.1, §4.4.1).
inline constexpr std::string_view kOcspBasic = "1.3.6.1.5.5.7.48.1.1";
inline constexpr std::string_view kOcspNonce = "1.3.6.1.5.5.7.48.1.2";

// PKCS#9 extensionRequest (RFC 2985 §5.4.2), carried in a CSR's attributes.
inline constexpr std::string_view kExtensionRequest = "1.2.840.113549.1.9.14";

// QCStatements (EN 319 412-5 §4.2).
inline constexpr std::string_view kQcCompliance = "0.4.0.1862.1.1";
inline constexpr std::string_view kQcSscd = "0.4.0.1862.1.4";
inline constexpr std::string_view kQcType = "0.4.0.1862.1.6";
inline constexpr std::string_view kQcTypeESign = "0.4.0.1862.1.6.1";
inline constexpr std::string_view kQcTypeESeal = "0.4.0.1862.1.6.2";
inline constexpr std::string_view kQcTypeWeb = "0.4.0.1862.1.6.3";

}  // namespace inkan::pki::oids
