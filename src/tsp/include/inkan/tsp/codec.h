#pragma once

// RFC 3161 §2.4 on the wire: TimeStampReq, TimeStampResp and TSTInfo, encoded with inkan's DER writer
// and read with its strict reader. Every parse failure is Errc::InvalidEncoding (an RFC 3161 server
// answers it with failInfo badDataFormat).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/core/error.h>
#include <inkan/crypto/algorithms.h>

namespace inkan::tsp {

/// MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING }.
struct MessageImprint {
    std::string hash_oid;  ///< the algorithm's OID, known or not (the TSA answers badAlg)
    Bytes hashed_message;
    Bytes der;  ///< the whole MessageImprint as received (a TSA copies it into TSTInfo verbatim)

    /// The algorithm, if inkan knows the OID.
    [[nodiscard]] std::optional<crypto::DigestAlgorithm> algorithm() const;
};
/// A MessageImprint for a digest (parameters absent, RFC 5754 §2). Errc::InvalidRequest if the digest
/// length does not fit the algorithm.
MessageImprint make_imprint(crypto::DigestAlgorithm alg, ByteView digest);

/// TimeStampReq (RFC 3161 §2.4.1).
struct TimeStampReq {
    std::int64_t version = 1;
    MessageImprint imprint;
    std::optional<std::string> policy;  ///< reqPolicy
    std::optional<Bytes> nonce;         ///< positive INTEGER magnitude (big-endian)
    bool cert_req = false;
    bool has_extensions = false;  ///< inkan understands none
};
Bytes encode_request(const TimeStampReq& req);
TimeStampReq parse_request(ByteView der);

/// PKIStatus (RFC 3161 §2.4.2).
enum class PkiStatus : std::uint8_t {
    Granted = 0,
    GrantedWithMods = 1,
    Rejection = 2,
    Waiting = 3,
    RevocationWarning = 4,
    RevocationNotification = 5,
};
/// "granted", "grantedWithMods", "rejection", ...
std::string_view name(PkiStatus status);

/// PKIFailureInfo bit numbers (RFC 3161 §2.4.2).
enum class FailureInfo : std::uint8_t {
    BadAlg = 0,
    BadRequest = 2,
    BadDataFormat = 5,
    TimeNotAvailable = 14,
    UnacceptedPolicy = 15,
    UnacceptedExtension = 16,
    AddInfoNotAvailable = 17,
    SystemFailure = 25,
};
/// "badAlg", "badRequest", ...
std::string_view name(FailureInfo info);
/// docs/errors.md's "RFC 3161 failInfo" column: the failInfo a TSA answers for a failure of this code
/// (RFC 3161 §2.4.2), or nothing where a time-stamp request cannot meet the code (it has no caller, no
/// lookup, no lock). A rejection inkan makes itself names its own, finer failInfo (unacceptedPolicy,
/// unacceptedExtension); this is the answer for an Error.
std::optional<FailureInfo> fail_info_for(Errc code) noexcept;

/// TimeStampResp (RFC 3161 §2.4.2).
struct TimeStampResp {
    PkiStatus status = PkiStatus::Granted;
    std::optional<std::string> status_string;  ///< the first UTF8String of PKIFreeText
    std::optional<FailureInfo> fail_info;      ///< the lowest bit set (inkan sets one)
    std::optional<Bytes> token;                ///< ContentInfo DER, present for granted/grantedWithMods
};
Bytes encode_response(const TimeStampResp& resp);
TimeStampResp parse_response(ByteView der);

/// Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] INTEGER (1..999) OPTIONAL,
/// micros [1] INTEGER (1..999) OPTIONAL }.
struct Accuracy {
    std::int64_t seconds = 0;
    int millis = 0;
    int micros = 0;
    /// Splits a duration (microsecond resolution) into the three fields.
    static Accuracy from(std::chrono::microseconds d);
    [[nodiscard]] std::chrono::microseconds duration() const;
    friend bool operator==(const Accuracy&, const Accuracy&) = default;
};

/// TSTInfo (RFC 3161 §2.4.2).
struct TstInfo {
    std::int64_t version = 1;
    std::string policy;
    MessageImprint imprint;
    Bytes serial;  ///< positive INTEGER magnitude
    TimePoint gen_time{};
    std::optional<Accuracy> accuracy;
    bool ordering = false;
    std::optional<Bytes> nonce;
};
/// `fraction_digits` (0..6) of genTime; trailing zeros are dropped (X.690 §11.7).
Bytes encode_tst_info(const TstInfo& info, int fraction_digits = 3);
TstInfo parse_tst_info(ByteView der);

/// An unsigned big-endian magnitude of a 64-bit value (no leading zeros; {0} for 0).
Bytes magnitude(std::uint64_t v);

}  // namespace inkan::tsp
