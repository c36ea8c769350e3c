#pragma once

// The time-stamping authority (RFC 3161): answers DER TimeStampReqs with DER TimeStampResps whose
// tokens are CMS SignedData over a TSTInfo, signed through a sign::Signer (the TSA key stays in the HSM).
// Several identities (policy OID, key, certificate) may be configured; reqPolicy picks one, else the
// default. Serial numbers come in blocks from a SerialSource (the store), so nodes sharing a database
// never hand out the same one.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/sign/signer.h>
#include <inkan/tsp/codec.h>

namespace inkan::tsp {

/// The port serial numbers come from (implemented in storage: SqliteTsaSerialStore).
class SerialSource {
public:
    virtual ~SerialSource() = default;
    /// Reserves `count` consecutive serial numbers atomically (no other caller, on any node, ever gets
    /// one of them) and returns the first. Serials start at 1.
    virtual std::uint64_t reserve(std::uint64_t count) = 0;
};

/// One TSA identity: a policy, a key and its certificate.
struct Identity {
    std::string name;    ///< for logs and metrics ("default", or the [tsa.<name>] table)
    std::string policy;  ///< TSAPolicyId (dotted OID), written into every TSTInfo
    std::shared_ptr<sign::Signer> signer;
    std::vector<Bytes> chain;  ///< the TSA certificate first, then its issuers (DER)
    /// TSTInfo accuracy; zero leaves the field out.
    std::chrono::microseconds accuracy = std::chrono::seconds{1};
    /// Imprint algorithms accepted; others get badAlg.
    std::vector<crypto::DigestAlgorithm> hash_algorithms{
        crypto::DigestAlgorithm::Sha256, crypto::DigestAlgorithm::Sha384, crypto::DigestAlgorithm::Sha512};
    /// The identity used when a request names no policy (exactly one; the first if none says so).
    bool is_default = false;
    /// Empty: sign::default_algorithm() for the key.
    std::optional<crypto::SignatureAlgorithm> signature_algorithm;
};

/// A rejection an RFC 3161 client sees (status rejection with this failInfo).
struct Rejection {
    FailureInfo fail_info = FailureInfo::BadRequest;
    std::string text;  ///< statusString: safe to show the client
};

class Authority {
public:
    /// Checks every identity: the certificate is the signer's, has the extendedKeyUsage extension
    /// critical with id-kp-timeStamping only (RFC 3161 §2.3), keyUsage (if present) only
    /// digitalSignature/nonRepudiation, and is within its validity now; policies are distinct OIDs;
    /// at most one default. Errc::InvalidConfig naming the identity and what is wrong.
    /// `serials` and `clock` must outlive the Authority.
    Authority(std::vector<Identity> identities, SerialSource& serials, const Clock& clock,
              std::uint64_t serial_block = 64);

    /// Answers a DER TimeStampReq with a DER TimeStampResp. Never throws for the client's errors:
    /// undecodable DER or a wrong imprint length → badDataFormat; version ≠ 1 → badRequest; an imprint
    /// algorithm the identity does not accept → badAlg; an unknown reqPolicy → unacceptedPolicy;
    /// extensions → unacceptedExtension; a failure of ours (HSM, store) → systemFailure (logged).
    Bytes respond(ByteView request_der);

    /// Issues a token (ContentInfo DER) for a parsed request, or throws: Errc::UnsupportedAlgorithm
    /// (badAlg), Errc::InvalidEncoding (badDataFormat), Errc::InvalidRequest (badRequest,
    /// unacceptedPolicy, unacceptedExtension), or the signer's or store's error.
    Bytes stamp(const TimeStampReq& request);

    /// Called once per answered request (respond() and stamp()) with the identity's policy ("" when
    /// none was chosen) and "granted" or the failInfo name. Set before serving.
    void on_response(std::function<void(std::string_view policy, std::string_view status)> callback);

    /// Replaces every identity at once (a renewed TSA certificate, `inkan serve` on SIGHUP), checked as
    /// the constructor checks them; on Errc::InvalidConfig nothing changes. A request already being
    /// answered finishes with the identities it started with; the next one gets the new ones. The
    /// replaced set stays in memory (references from identities() stay valid; reloads are rare operator
    /// acts, a set is a few kilobytes).
    void replace_identities(std::vector<Identity> identities);

    /// The current identities (see replace_identities for how long the reference stays valid).
    [[nodiscard]] const std::vector<Identity>& identities() const noexcept { return current().identities; }
    [[nodiscard]] const Identity& default_identity() const noexcept {
        const Generation& g = current();
        return g.identities[g.default_index];
    }

private:
    struct Outcome {
        std::optional<Bytes> token;
        std::optional<Rejection> rejection;
        std::string policy;
    };
    /// One checked set of identities; never changed once published.
    struct Generation {
        std::vector<Identity> identities;
        std::size_t default_index = 0;
    };
    static std::unique_ptr<const Generation> checked(std::vector<Identity> identities, TimePoint now);
    [[nodiscard]] const Generation& current() const noexcept { return *m_current.load(); }
    Outcome issue(const TimeStampReq& request);
    Bytes next_serial();

    std::mutex m_generations_mutex;  // guards m_generations (appended by replace_identities)
    std::vector<std::unique_ptr<const Generation>> m_generations;
    std::atomic<const Generation*> m_current{nullptr};
    SerialSource& m_serials;
    const Clock& m_clock;
    std::uint64_t m_block;
    std::mutex m_mutex;  // guards the reserved serial block
    std::uint64_t m_next = 0;
    std::uint64_t m_end = 0;
    std::function<void(std::string_view, std::string_view)> m_on_response;
};

/// Checks a TSA certificate as the Authority does (RFC 3161 §2.3) at `now`. Errc::InvalidConfig with
/// the reason.
void check_tsa_certificate(ByteView certificate_der, TimePoint now);

}  // namespace inkan::tsp
