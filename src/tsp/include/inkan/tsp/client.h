#pragma once

// The RFC 3161 client: asks an ordered list of TSAs for a time-stamp token and checks each reply
// before it is used (status, imprint, nonce, policy, CMS signature, ESS signing-certificate-v2, the TSA
// certificate's EKU, and the chain when trust anchors are given). On any failure it moves to the next
// TSA; when all fail it says why for each one.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/net/client.h>
#include <inkan/tsp/codec.h>

namespace inkan::tsp {

struct TsaEndpoint {
    std::string url;
    std::optional<std::string> policy;  ///< reqPolicy to send (and to find in the token)
    std::optional<net::BasicAuth> basic_auth;
    std::filesystem::path client_certificate_file;  ///< TLS client certificate chain (PEM)
    std::filesystem::path client_key_file;          ///< its key (PEM)
    std::filesystem::path ca_file;                  ///< https trust anchors; empty: system defaults
    std::chrono::milliseconds timeout{10'000};      ///< per request
};

struct ClientOptions {
    /// DER root certificates the TSA chain must lead to (X509_verify_cert at genTime, purpose
    /// timestamp signing). Empty: the chain is not checked (the caller trusts the endpoints).
    std::vector<Bytes> trust_anchors;
    std::optional<std::string> proxy;  ///< "http://host:port"
    std::size_t max_response_bytes = 1024 * 1024;
};

struct StampResult {
    Bytes token;     ///< the TimeStampToken (ContentInfo DER)
    Bytes response;  ///< the whole TimeStampResp as received (what `openssl ts -verify -in` reads)
    TstInfo info;
    std::string url;  ///< the TSA that answered
};

class Client {
public:
    /// Errc::InvalidRequest for an empty list or a URL that does not parse.
    explicit Client(std::vector<TsaEndpoint> endpoints, ClientOptions options = {});

    /// Stamps `digest` (of `alg`) with a fresh 64-bit random nonce and certReq TRUE, trying each TSA
    /// in order. Errc::Unavailable when every TSA failed, listing "<url>: <reason>" for each (no
    /// secrets); Errc::InvalidRequest for a digest of the wrong length.
    StampResult stamp(crypto::DigestAlgorithm alg, ByteView digest) const;

    [[nodiscard]] const std::vector<TsaEndpoint>& endpoints() const noexcept { return m_endpoints; }

private:
    std::vector<TsaEndpoint> m_endpoints;
    ClientOptions m_options;
};

/// Checks a DER TimeStampResp against the request it answers and returns the token's TSTInfo:
/// status granted or grantedWithMods, a token, then check_token(). Errc::Forbidden when the TSA
/// refused (the message names the failInfo), Errc::InvalidEncoding / Errc::CryptoFailure otherwise.
TstInfo check_response(ByteView response_der, const TimeStampReq& request,
                       const std::vector<Bytes>& trust_anchors);

/// Checks a TimeStampToken: eContentType id-ct-TSTInfo, one signer whose certificate is in the token,
/// the imprint equals `request.imprint`, the nonce and policy equal the request's when it had them, ESS
/// signing-certificate-v2 names the signer's certificate, the CMS signature verifies, the certificate
/// has the critical timeStamping EKU only, and (with anchors) its chain verifies at genTime.
/// Errc::CryptoFailure (or InvalidEncoding for DER that does not parse) with the reason.
TstInfo check_token(ByteView token, const TimeStampReq& request, const std::vector<Bytes>& trust_anchors);

}  // namespace inkan::tsp
