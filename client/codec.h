#pragma once

// The client's wire codec: request bodies out, response bodies in, CSC errors to inkan::Error. Kept
// apart from the transport so the unit tests check it without a server.

#include <string>
#include <string_view>
#include <vector>

#include <inkan/client/csc_client.h>
#include <inkan/core/error.h>

namespace inkan::client::codec {

/// The inkan::Error for a non-2xx CSC answer (see csc_client.h for the mapping).
Error error_from(int status, std::string_view body);

/// Request bodies hold PINs and OTPs: the caller wipes them (wipe()).
std::string encode_authorize(Version v, const std::string& credential_id, const std::vector<Bytes>& hashes,
                             crypto::DigestAlgorithm hash_algorithm, const Factors& factors,
                             int num_signatures);
std::string encode_sign_hash(Version v, const std::string& credential_id, const Secret& sad,
                             const std::vector<Bytes>& hashes, const crypto::SignatureAlgorithm& algorithm);
std::string encode_sign_doc(const std::string& credential_id, const Secret& sad,
                            const std::vector<SignDocEntry>& entries, bool return_validation_info = false);

ServiceInfo decode_info(std::string_view body);
Secret decode_access_token(std::string_view body);
std::vector<std::string> decode_credential_ids(std::string_view body);
CredentialInfo decode_credential_info(Version v, const std::string& id, std::string_view body);
Sad decode_sad(std::string_view body);
std::vector<Bytes> decode_signatures(std::string_view body);
Bytes decode_timestamp(std::string_view body);
SignDocResult decode_sign_doc(std::string_view body);

/// validationInfo as JSON text ({"ocsp": [...], "crl": [...], "certificates": [...]}, base64 DER).
std::string encode_validation_info(const ValidationInfo& info);

/// Overwrites a string that held a secret.
void wipe(std::string& s) noexcept;

}  // namespace inkan::client::codec
