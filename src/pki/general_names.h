#pragma once

// Internal to the pki layer: subjectAltName GeneralNames (RFC 5280 §4.2.1.6), shared by the
// certificate builder and the CSR's extensionRequest.

#include <string>
#include <string_view>
#include <vector>

#include <inkan/core/bytes.h>

namespace inkan::pki::detail {

/// IPv4 dotted quad or IPv6 text → 4 or 16 octets. Errc::InvalidRequest.
Bytes ip_address_octets(std::string_view text);
/// 4 or 16 octets → text ("127.0.0.1", "::1"). Errc::InvalidEncoding for other lengths.
std::string ip_address_text(ByteView octets);
/// Errc::InvalidRequest unless `name` is a plausible ASCII DNS name (letters, digits, '-', '.',
/// a leading "*." wildcard; at most 253 characters). IDNs must come as A-labels (punycode).
void check_dns_name(std::string_view name);
/// Errc::InvalidRequest unless `uri` is non-empty visible ASCII (an IA5String RFC 5280 accepts).
void check_uri(std::string_view uri);

/// The SubjectAltName extnValue: GeneralNames with dNSName [2] and iPAddress [7].
Bytes encode_subject_alt_name(const std::vector<std::string>& dns_names,
                              const std::vector<std::string>& ip_addresses);

/// dNSName and iPAddress entries of a SubjectAltName extnValue (other kinds are skipped).
/// Errc::InvalidEncoding.
void parse_subject_alt_name(ByteView value, std::vector<std::string>& dns_names,
                            std::vector<std::string>& ip_addresses);

}  // namespace inkan::pki::detail
