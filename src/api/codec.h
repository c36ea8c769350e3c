#pragma once

// The two thin DTO layers: CSC v1 and v2 JSON (and headers) to and from the core's types. The only
// place that spells CSC field names.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <inkan/api/csc.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/http/message.h>
#include <inkan/service/model.h>

#include "core.h"
#include "json_body.h"

namespace inkan::api::detail {

/// The SHA-2 digest a hash of this length is (32 SHA-256, 48 SHA-384, 64 SHA-512), the digests CSC
/// clients send where the request names no hash algorithm (v1 authorize, extendTransaction,
/// oauth2/authorize). Nothing for any other length: each caller answers with its own text.
std::optional<crypto::DigestAlgorithm> sha2_by_length(std::size_t length);

// ---- requests (WireError 400/401 with the CSC's descriptions) ------------------------------

/// auth/login: HTTP Basic, or (without an Authorization header) `refresh_token` in the body;
/// `rememberMe`.
LoginRequest decode_login(const http::Request& request, JsonBody& body);
/// auth/revoke: `token` (R), `token_type_hint`.
RevokeRequest decode_revoke(JsonBody& body);
/// credentials/list: v1 `userID` (must be null), `maxResults`, `pageToken`; v2 `userID`,
/// `credentialInfo`, `certificates`, `certInfo`, `authInfo`, `onlyValid`.
ListRequest decode_list(Version version, const JsonBody& body);
/// credentials/info: `credentialID` (R), `certificates`, `certInfo`, `authInfo`.
CredentialInfoRequest decode_credential_info(const JsonBody& body);

/// credentials/authorize: v1 `credentialID`, `numSignatures`, `hash`, `PIN`, `OTP`, `description`;
/// v2 `credentialID`, `numSignatures`, `hashes` + `hashAlgorithmOID`, `authData`, `description`.
/// The factors go straight into Secrets.
service::AuthorizeRequest decode_authorize(Version version, JsonBody& body);
/// credentials/extendTransaction: `credentialID`, `SAD`, v1 `hash` / v2 `hashes` + `hashAlgorithmOID`.
ExtendRequest decode_extend(Version version, JsonBody& body);
/// signatures/signHash: `credentialID`, `SAD`, v1 `hash` + `hashAlgo` / v2 `hashes` + `hashAlgorithmOID`,
/// `signAlgo`, `signAlgoParams`; v2 `operationMode` ("S" only).
/// `credential_token`: the v2 credential-scope Bearer, used as the SAD when the body has none.
SignHashRequest decode_sign_hash(Version version, JsonBody& body, const Secret* credential_token = nullptr);
/// v2 signatures/signDoc: `credentialID`, `SAD` (or the credential-scope Bearer), `documents[]`
/// (`document` base64) or `documentDigests[]` (`hashes`), each with `signature_format`,
/// `conformance_level`, `signAlgo`, `signAlgoParams`, `hashAlgorithmOID`, `signed_envelope_property`,
/// `signed_props`; `operationMode` ("S" only); `returnValidationInfo` / `returnValidationInformation`
/// (either spelling; true when either is).
SignDocRequest decode_sign_doc(JsonBody& body, const Secret* credential_token = nullptr);
/// POST /inkan/v1/extend: `documents[]` (`document` base64, `signature_format` "P" or absent),
/// `returnValidationInfo` / `returnValidationInformation`.
service::ExtendDocumentsRequest decode_extend_documents(JsonBody& body);
/// credentials/getChallenge: `credentialID`, `authObjectID`.
ChallengeRequest decode_challenge(const JsonBody& body);

// ---- responses (JSON text) -----------------------------------------------------------------

/// `oauth`: authType lists oauth2code and oauth2client (the oauth2 / oauth2Issuer URL is added per
/// request, see csc.cpp).
std::string encode_info(Version version, const Core& core, const std::vector<std::string>& methods,
                        bool oauth = false);
std::string encode_tokens(const service::IssuedTokens& tokens);
std::string encode_list(Version version, const ListResult& result, const ServiceInfo& info);
std::string encode_sad(const service::IssuedSad& sad);
std::string encode_signatures(const std::vector<Bytes>& signatures);
/// signDoc: {"DocumentWithSignature": [...], "SignatureObject": [...]} (each when not empty), and
/// "validationInfo": {"ocsp": [...], "crl": [...], "certificates": [...]} when it was asked for.
std::string encode_sign_doc(const service::SignDocResult& result);
/// extend: {"DocumentWithSignature": [...]} and, when asked for, "validationInfo".
std::string encode_extend_documents(const service::ExtendDocumentsResult& result);
std::string encode_credential_info(Version version, const CredentialView& view, const ServiceInfo& info);

}  // namespace inkan::api::detail
