#pragma once

// Internal to the validation layer: the material a file offers (certificates, OCSP responses, CRLs),
// chain building to the trust anchors (OpenSSL X509_verify_cert), revocation status from that material
// (or an injected fetcher), and the checks of one CMS SignerInfo and one RFC 3161 token.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <inkan/cms/signed_data.h>
#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/pki/certificate.h>
#include <inkan/pki/revocation.h>
#include <inkan/tsp/codec.h>
#include <inkan/validation/report.h>
#include <inkan/validation/validator.h>

namespace inkan::validation::detail {

inline constexpr std::string_view kIdRiOcspResponse = "1.3.6.1.5.5.7.16.2";  ///< RFC 5940 §2.2.1
inline constexpr std::string_view kSigningCertificateV1 = "1.2.840.113549.1.9.16.2.12";
inline constexpr std::string_view kArchiveTimeStampV3 = "0.4.0.1733.2.4";
inline constexpr std::string_view kContentTimeStamp = "1.2.840.113549.1.9.16.2.20";
inline constexpr std::string_view kCounterSignature = "1.2.840.113549.1.9.6";
/// CAdES-X / -A unsigned attributes (ETSI TS 101 733 §6.2, §6.3, §6.4; EN 319 122-2 §5.5).
inline constexpr std::string_view kCompleteCertificateRefs = "1.2.840.113549.1.9.16.2.21";
inline constexpr std::string_view kCompleteRevocationRefs = "1.2.840.113549.1.9.16.2.22";
inline constexpr std::string_view kCertificateValues = "1.2.840.113549.1.9.16.2.23";
inline constexpr std::string_view kRevocationValues = "1.2.840.113549.1.9.16.2.24";
inline constexpr std::string_view kArchiveTimeStampV1 = "1.2.840.113549.1.9.16.2.27";
inline constexpr std::string_view kArchiveTimeStampV2 = "1.2.840.113549.1.9.16.2.48";
inline constexpr std::string_view kIdPkixOcspBasic = "1.3.6.1.5.5.7.48.1.1";

/// Certificates, OCSP responses and CRLs from a file (CMS certificates/crls, tokens, the DSS).
struct Material {
    std::vector<pki::Certificate> certificates;
    std::vector<Bytes> ocsps;
    std::vector<Bytes> crls;
    void add_certificate(ByteView der);
    /// A RevocationInfoChoice TLV: a CertificateList, or other [1] { id-ri-ocsp-response, OCSPResponse }.
    void add_revocation_choice(ByteView tlv);
    void add_ocsp(ByteView der);
    void add_crl(ByteView der);
    void add_signed_data(const cms::SignedData& sd);
    /// A BasicOCSPResponse (what revocation-values carries), kept as the OCSPResponse that wraps it.
    void add_basic_ocsp(ByteView der);
    /// certificate-values (SEQUENCE OF Certificate) and revocation-values (crlVals [0], ocspVals [1];
    /// otherRevVals ignored) among `si`'s unsigned attributes and those of its counter-signatures
    /// (TS 101 733 §6.3.3, §6.3.4): the CAdES-X-L / -A places for validation data. Unreadable values
    /// are skipped.
    void add_unsigned_values(const cms::SignerInfo& si, int depth = 0);
};

/// A chain from `leaf` to an anchor, found without regard to validity periods (they are judged at the
/// right time by the caller).
struct Chain {
    bool found = false;
    bool constraints_failed = false;  ///< a chain exists but breaks a rule (signature, CA flag, path length)
    std::string error;
    std::vector<pki::Certificate> certificates;  ///< leaf first, the anchor last
};
Chain build_chain(const pki::Certificate& leaf, const Material& material, const std::vector<Bytes>& anchors);
/// build_chain, and when no chain is found and options.issuer_fetch is set, the missing issuers fetched
/// from AIA caIssuers (at most 4 steps), added to the material, and tried again.
Chain find_chain(const pki::Certificate& leaf, Material& material, const Options& options);

/// The revocation status of `cert` (issued by `issuer`) from the material, else the fetcher.
struct Status {
    pki::CertStatus status = pki::CertStatus::Unknown;
    std::optional<TimePoint> revocation_time;
    TimePoint this_update{};
    bool from_file = false;
};
std::optional<Status> revocation_status(const pki::Certificate& cert, const pki::Certificate& issuer,
                                        Material& material, const Options& options);

/// What the revocation and validity-period checks of a whole chain say at best-signature-time `poe`
/// (EN 319 102-1 §5.2.6 and §5.5 past validation): nothing when fine.
struct ChainJudgement {
    std::optional<Verdict> failure;
    std::string error;
    std::string signer_revocation = "unknown";
    bool all_from_file = true;  ///< every status came from the file (B-LT)
};
ChainJudgement judge_chain(const Chain& chain, Material& material, const Options& options, TimePoint now,
                           std::optional<TimePoint> poe);

/// §5.2.6 and §5.6.2.4 for a signer certificate, the same for every format: find_chain, then judge_chain.
/// Writes the chain's subjects (or the signer's alone when none is found) and the signer's revocation
/// into `report`. No chain: failure NO_CERTIFICATE_CHAIN_FOUND / CHAIN_CONSTRAINTS_FAILURE and
/// all_from_file false.
ChainJudgement judge_signer_chain(const pki::Certificate& signer, Material& material, const Options& options,
                                  TimePoint now, std::optional<TimePoint> poe, SignatureReport& report);

/// Whether `c` carries the QcCompliance statement (EN 319 412-5 §4.2.1) in its qcStatements.
bool has_qc_compliance(const pki::Certificate& c);
/// SignatureReport::qualified from options.trusted_services ("yes": QcCompliance and a CA/QC service in
/// `chain` granted at `at`; "no"; left "unknown" without a trust configuration).
void judge_qualified(const pki::Certificate& signer, const std::vector<pki::Certificate>& chain, TimePoint at,
                     const Options& options, SignatureReport& report);
/// TimestampReport::tsa_accredited and tsa_label: a TimeStamping service in `chain` granted at `at`.
void judge_tsa_trust(const std::vector<pki::Certificate>& chain, TimePoint at, const Options& options,
                     TimestampReport& report);

/// The signature-value and message-digest checks of SignerInfo `index`.
struct SignerCheck {
    bool intact = false;          ///< the signature verifies over the signed attributes (or the digest)
    bool digest_ok = false;       ///< message-digest equals the content digest
    bool content_type_ok = true;  ///< content-type attribute equals eContentType
    bool has_signed_attributes = false;
};
/// `allow_sha1`: SHA-1 signatures are verified too (a signer's, judged then by the crypto policy);
/// without it they do not verify (time-stamp tokens, which no SHA-1 policy judges).
SignerCheck check_signer(const cms::SignedData& sd, std::size_t index,
                         const std::optional<Bytes>& content_digest, const crypto::PublicKey& key,
                         bool allow_sha1 = false);
/// The same for any SignerInfo; `content_type`: the eContentType its content-type attribute must name,
/// or nullopt for a counter-signature (RFC 5652 §11.4: it has no content-type attribute).
SignerCheck check_signer_info(const cms::SignerInfo& si, std::optional<std::string_view> content_type,
                              const std::optional<Bytes>& content_digest, const crypto::PublicKey& key,
                              bool allow_sha1 = false);

/// The ESS signing-certificate(-v2) of SignerInfo `si` against `cert`: nullopt when absent, else
/// whether it matches (hash, and issuerSerial when present).
/// An RFC 5035 §4 IssuerSerial (DER) names `cert`: a directoryName equal to its issuer, and its serial.
/// False for anything that does not parse.
bool issuer_serial_matches(ByteView issuer_serial_der, const pki::Certificate& cert);

std::optional<bool> ess_matches(const cms::SignerInfo& si, const pki::Certificate& cert);

/// The signer's certificate of SignerInfo `index`: in the CMS, else in the material.
std::optional<pki::Certificate> signer_certificate(const cms::SignedData& sd, std::size_t index,
                                                   const Material& material);
/// The certificate `si` names (sid), from the material.
std::optional<pki::Certificate> signer_certificate(const cms::SignerInfo& si, const Material& material);

/// One RFC 3161 token checked; `imprint_ok` says whether its message imprint is the expected one.
/// `later_poe`: a proof of existence of the token itself (a later archive or document time-stamp).
struct TokenResult {
    TimestampReport report;
    std::optional<tsp::TstInfo> info;
};
TokenResult check_token(ByteView token, const std::string& kind,
                        const std::function<bool(const tsp::MessageImprint&)>& imprint_ok, Material& material,
                        const Options& options, TimePoint now, std::optional<TimePoint> later_poe);

/// The DER TLV at the front of `data` (a PDF /Contents carries zero padding after it).
std::optional<Bytes> first_tlv(ByteView data);

/// A CMS ContentInfo, parsed by inkan's strict DER reader; BER (as some signers write it) is first
/// re-encoded as DER by OpenSSL. Throws Errc::InvalidEncoding / UnsupportedAlgorithm.
cms::SignedData parse_cms(ByteView der, Bytes& normalized);

std::string subject_of(const pki::Certificate& c);

/// A broken key-size rule of the policy for a signer key at time `at` (EN 319 102-1 §5.2.8): RSA below
/// min_rsa_bits after rsa_small_sunset is CRYPTO_CONSTRAINTS_FAILURE_NO_POE, EC below min_ec_bits
/// CRYPTO_CONSTRAINTS_FAILURE. Nothing when the key passes. One rule for CAdES, PAdES and XAdES.
struct ConstraintFailure {
    SubIndication subindication;
    std::string why;
};
std::optional<ConstraintFailure> key_size_failure(const crypto::PublicKey& key, TimePoint at,
                                                  const CryptoPolicy& policy);

}  // namespace inkan::validation::detail

namespace inkan::validation::detail {

/// What a SignerInfo is judged with besides itself.
struct SignerContext {
    /// The normalized DER of the whole CMS (for the archive-time-stamp-v3 imprint).
    ByteView cms_der;
    /// H(signed content) under an algorithm; nullopt when the content is not available (detached).
    std::function<std::optional<Bytes>(crypto::DigestAlgorithm)> content_digest;
    /// Times proven by other valid time-stamps that cover this signature (PAdES document time-stamps).
    std::vector<TimePoint> external_poes;
    /// A valid archive time-stamp outside the CMS covers the signature and its validation data
    /// (PAdES: a document time-stamp after the DSS).
    bool archived_externally = false;
    bool pdf = false;
    /// The PDF's /M when the CMS has no signing-time.
    std::optional<TimePoint> claimed_time;
};

/// EN 319 102-1 §5.3-§5.6 for SignerInfo `index`, with its time-stamps.
SignatureReport judge_signer(const cms::SignedData& sd, std::size_t index, const SignerContext& ctx,
                             Material& material, const Options& options, TimePoint now);

/// The counter-signatures (RFC 5652 §11.4) of SignerInfo `index`, nested ones included (depth ≤ 8),
/// each judged as a signature of its own whose signed "content" is the countersigned SignerInfo's
/// signature value; `parent` is the top signature's report ("S0"): the counter-signatures are "S0.C0",
/// "S0.C0.C0", ... with counter_signature_of set. The top signature's valid archive time-stamps (and
/// ctx's external proofs) prove the counter-signatures existed: they cover its unsigned attributes.
std::vector<SignatureReport> judge_counter_signatures(const cms::SignedData& sd, std::size_t index,
                                                      const SignatureReport& parent, const SignerContext& ctx,
                                                      Material& material, const Options& options,
                                                      TimePoint now);

/// Whether `imprint` is what an archive-time-stamp v2 (id-aa-ets-archiveTimestampV2, ETSI TS 101 733
/// §6.4.1) `token` among SignerInfo `index`'s unsigned attributes of `cms_der` must carry:
/// H(encapContentInfo || certificates [0] || crls [1] || the SignerInfo's fields, unsignedAttrs
/// included but for the attribute holding `token`). Which attributes a token covered is not recorded:
/// those before it (writers that append) or all others, as encoded or DER-sorted (writers that sort),
/// are each tried. False when it cannot be computed: detached content (the external content itself
/// would be hashed in), or a CMS that does not parse.
bool archive_time_stamp_v2_matches(ByteView cms_der, std::size_t index, ByteView token,
                                   const tsp::MessageImprint& imprint);

}  // namespace inkan::validation::detail
