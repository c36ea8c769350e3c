#pragma once

// The one algorithm table: digests, signature schemes, curves, their OIDs and lengths.
// Everything that names an algorithm on the wire (CSC hashAlgo/signAlgo OIDs, CMS
// AlgorithmIdentifiers, X.509 signatureAlgorithm) goes through here.

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include <inkan/core/bytes.h>

namespace inkan::crypto {

enum class DigestAlgorithm { Sha1, Sha256, Sha384, Sha512, Sha3_256, Sha3_512 };

struct DigestSpec {
    DigestAlgorithm algorithm;
    std::string_view name;          ///< "SHA-256" (as CLI/config/JSON write it)
    std::string_view oid;           ///< "2.16.840.1.101.3.4.2.1"
    std::string_view openssl_name;  ///< "SHA2-256", for EVP_MD_fetch
    std::size_t length;             ///< digest length in bytes
    bool allowed_for_signing;       ///< false for SHA-1 (kept for CertID, VRI keys, legacy parsing only)
};

/// Every digest inkan knows, in table order.
const std::vector<DigestSpec>& digest_specs();
const DigestSpec& spec(DigestAlgorithm alg);
std::optional<DigestAlgorithm> digest_from_oid(std::string_view oid);
/// Accepts "SHA-256", "sha256", "SHA256", "sha3-256", "SHA3-256" (case-insensitive, '-' optional).
std::optional<DigestAlgorithm> digest_from_name(std::string_view name);
inline std::size_t digest_length(DigestAlgorithm alg) {
    return spec(alg).length;
}

enum class KeyType { Rsa, Ec };
enum class Curve { P256, P384, P521 };

struct CurveSpec {
    Curve curve;
    std::string_view name;          ///< "P-256"
    std::string_view oid;           ///< "1.2.840.10045.3.1.7"
    std::string_view openssl_name;  ///< "prime256v1"
    std::size_t field_bytes;        ///< 32, 48, 66: the length of r and s in raw ECDSA signatures
};
const CurveSpec& spec(Curve curve);
std::optional<Curve> curve_from_oid(std::string_view oid);
std::optional<Curve> curve_from_name(std::string_view name);  ///< "P-256", "prime256v1", "secp384r1", ...

enum class Padding { Pkcs1v15, Pss, Ecdsa };

/// RSASSA-PSS parameters (RFC 4055 §3.1). Trailer field is always 1.
struct PssParams {
    DigestAlgorithm hash = DigestAlgorithm::Sha256;
    DigestAlgorithm mgf1_hash = DigestAlgorithm::Sha256;
    std::size_t salt_length = 32;
    friend bool operator==(const PssParams&, const PssParams&) = default;
};

/// A signature scheme over a pre-computed digest. For PSS, `digest` equals `pss->hash`.
struct SignatureAlgorithm {
    KeyType key_type = KeyType::Rsa;
    Padding padding = Padding::Pkcs1v15;
    DigestAlgorithm digest = DigestAlgorithm::Sha256;
    std::optional<PssParams> pss;  ///< set iff padding == Pss

    static SignatureAlgorithm rsa_pkcs1(DigestAlgorithm d) {
        return {KeyType::Rsa, Padding::Pkcs1v15, d, {}};
    }
    /// PSS with MGF1 over the same hash and salt length = digest length (the usual choice).
    static SignatureAlgorithm rsa_pss(DigestAlgorithm d);
    static SignatureAlgorithm rsa_pss(PssParams p) { return {KeyType::Rsa, Padding::Pss, p.hash, p}; }
    static SignatureAlgorithm ecdsa(DigestAlgorithm d) { return {KeyType::Ec, Padding::Ecdsa, d, {}}; }
    friend bool operator==(const SignatureAlgorithm&, const SignatureAlgorithm&) = default;
};

/// A short human name: "RSA-PKCS1-SHA256", "RSA-PSS-SHA384", "ECDSA-SHA256".
std::string_view name(const SignatureAlgorithm& alg);

/// One row of the signature OID table.
struct SignatureOid {
    std::string_view oid;   ///< e.g. "1.2.840.113549.1.1.11"
    std::string_view name;  ///< e.g. "sha256WithRSAEncryption"
    KeyType key_type;
    Padding padding;
    std::optional<DigestAlgorithm> digest;  ///< empty for rsaEncryption and id-RSASSA-PSS (params decide)
};
/// sha{256,384,512}WithRSAEncryption, id-rsassa-pkcs1-v1_5-with-sha3-{256,512}, rsaEncryption,
/// id-RSASSA-PSS, ecdsa-with-SHA{256,384,512}, id-ecdsa-with-sha3-{256,512}.
const std::vector<SignatureOid>& signature_oids();
std::optional<SignatureOid> signature_oid_info(std::string_view oid);

/// The OID that names `alg` in an AlgorithmIdentifier (PSS: id-RSASSA-PSS 1.2.840.113549.1.1.10).
std::string_view signature_oid(const SignatureAlgorithm& alg);
/// DER AlgorithmIdentifier for `alg`: RSA PKCS#1 with NULL parameters (RFC 4055 §5), PSS with
/// RSASSA-PSS-params (all fields explicit), ECDSA with parameters absent (RFC 5758 §3.2).
Bytes algorithm_identifier(const SignatureAlgorithm& alg);
/// Parses an AlgorithmIdentifier (DER). `digest_hint` resolves rsaEncryption (CMS puts the digest
/// in a separate field). Errc::UnsupportedAlgorithm for unknown OIDs; Errc::InvalidEncoding for bad DER;
/// PSS parameters default per RFC 4055 (SHA-1, MGF1-SHA-1, salt 20) when absent.
SignatureAlgorithm parse_algorithm_identifier(ByteView der, std::optional<DigestAlgorithm> digest_hint = {});
/// DER AlgorithmIdentifier for a digest (parameters absent, RFC 5754 §2).
Bytes digest_algorithm_identifier(DigestAlgorithm alg);

/// DigestInfo (RFC 8017 §9.2) for RSASSA-PKCS1-v1_5: SEQUENCE { AlgorithmIdentifier (NULL params), OCTET
/// STRING }. Errc::InvalidRequest if digest.size() does not match the algorithm.
Bytes digest_info(DigestAlgorithm alg, ByteView digest);

/// Dotted OID <-> DER content octets (X.690 §8.19), without tag and length.
Bytes encode_oid_content(std::string_view dotted);
std::string decode_oid_content(ByteView content);

}  // namespace inkan::crypto
