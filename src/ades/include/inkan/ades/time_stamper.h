#pragma once

// Where B-T signatures get their signature-time-stamp (ETSI EN 319 122-1 §5.3; RFC 3161 App. A):
// a TSA over HTTP through tsp::Client (several, with failover), or the server's own in-process
// tsp::Authority (no HTTP round trip). PAdES and CAdES only see this interface.

#include <atomic>
#include <cstddef>
#include <optional>
#include <string>

#include <inkan/core/bytes.h>
#include <inkan/crypto/algorithms.h>

namespace inkan::tsp {
class Authority;
class Client;
}  // namespace inkan::tsp

namespace inkan::ades {

/// Implementations are safe to share between threads when the TSA client or authority they wrap is.
class TimeStamper {
public:
    virtual ~TimeStamper() = default;

    /// A DER TimeStampToken (ContentInfo(SignedData) over a TSTInfo, with the TSA certificate)
    /// whose message imprint is `digest` of `alg`. Errc::Unavailable when no TSA answered, or the
    /// TSA's refusal.
    virtual Bytes stamp(crypto::DigestAlgorithm alg, ByteView digest) = 0;

    /// How many bytes a token may take, for sizing a PDF /Contents reservation. The default is the
    /// largest token this stamper has returned so far; before the first one it asks the TSA for a
    /// token over a throwaway digest and measures it (one extra request per stamper, not per
    /// signature). Adapters that know the TSA's chain compute it instead.
    virtual std::size_t token_size_hint();

protected:
    /// Remembers the size of a token returned by stamp().
    void note_token(std::size_t size) noexcept;
    /// The largest token returned so far (0 before the first).
    [[nodiscard]] std::size_t largest_token() const noexcept { return m_largest.load(); }

private:
    std::atomic<std::size_t> m_largest{0};  // a stamper may serve several signing threads
};

/// Remote TSAs through an RFC 3161 client (tries each endpoint in order; checks every reply). The
/// client must outlive the stamper.
class ClientTimeStamper final : public TimeStamper {
public:
    explicit ClientTimeStamper(const tsp::Client& client) : m_client{client} {}
    Bytes stamp(crypto::DigestAlgorithm alg, ByteView digest) override;

private:
    const tsp::Client& m_client;
};

/// The server's own TSA, in process: a TimeStampReq (certReq TRUE, a random nonce, the policy if
/// given) goes straight to Authority::stamp. The authority must outlive the stamper.
class AuthorityTimeStamper final : public TimeStamper {
public:
    explicit AuthorityTimeStamper(tsp::Authority& authority, std::optional<std::string> policy = {})
        : m_authority{authority}, m_policy{std::move(policy)} {}
    Bytes stamp(crypto::DigestAlgorithm alg, ByteView digest) override;
    /// The identity's chain + the TSTInfo, signed attributes and the largest signature its key makes.
    std::size_t token_size_hint() override;

private:
    tsp::Authority& m_authority;
    std::optional<std::string> m_policy;
};

}  // namespace inkan::ades
