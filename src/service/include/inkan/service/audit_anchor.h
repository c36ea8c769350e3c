#pragma once

// Anchors of the audit chain (issue 14 item 13, decision 0017): the chain's head (its newest entry's
// seq and hash) time-stamped by inkan's own TSA (RFC 3161), kept beside the chain. The hash chain alone
// finds an edited, inserted or deleted entry in the middle, but not deleted newest entries: the rest
// is still a valid chain. An anchor fixes "entry #K with hash H existed at time T", signed by the TSA
// key in the HSM, so a log that ends before #K, or whose #K is not H, is found and named.
//
// The token's messageImprint is SHA-256 with hashedMessage = the head entry's hash, i.e. the token is a
// time-stamp over audit_canonical_bytes(head entry): `openssl ts -verify -digest <hash hex>` checks it.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/service/audit_archive.h>
#include <inkan/service/ports.h>
#include <inkan/tsp/authority.h>

namespace inkan::service {

struct AuditAnchor {
    std::uint64_t id = 0;   ///< assigned by the store, increasing, never reused
    std::uint64_t seq = 0;  ///< the head entry anchored
    Bytes head_hash;        ///< its hash as it was when anchored
    TimePoint at{};         ///< when (whole seconds)
    Bytes token;            ///< the TimeStampToken (ContentInfo DER)
};

/// The anchors' storage port (storage: SqliteAuditAnchorStore, table audit_anchors, migration 10).
class AuditAnchorStore {
public:
    virtual ~AuditAnchorStore() = default;
    /// The newest audit entry's seq and hash, or nothing for an empty log.
    [[nodiscard]] virtual std::optional<std::pair<std::uint64_t, Bytes>> head() const = 0;
    /// Stores `anchor` (its id ignored) and returns the id given.
    virtual std::uint64_t add(const AuditAnchor& anchor) = 0;
    /// Every anchor, by id.
    [[nodiscard]] virtual std::vector<AuditAnchor> all() const = 0;
};

struct AnchorVerification {
    bool ok = true;
    std::size_t anchors = 0;
    std::optional<AuditAnchor> latest;  ///< the newest anchor (token included)
    std::string problem;                ///< the first problem, for the operator
};

class AuditAnchoring {
public:
    /// `log` is the chain the anchors cover. All must outlive the object.
    AuditAnchoring(AuditAnchorStore& anchors, AuditStore& log, const Clock& clock);

    /// Time-stamps the current head with `tsa` (default identity, SHA-256, certReq) and stores the
    /// anchor. Nothing (nullopt) for an empty log, or when the head is the newest anchor's already and
    /// `force` is false (periodic anchoring of an idle log adds nothing).
    std::optional<AuditAnchor> anchor(tsp::Authority& tsa, bool force = false);

    /// Checks every anchor: its token verifies (tsp::check_token: imprint = the anchored hash, the TSA's
    /// signature, its chain to `trust_anchors` at genTime when given), no anchor id is missing between
    /// the first and the newest, and the log still holds entry #seq with the anchored hash. A log that
    /// ends before an anchored entry is reported as truncation: "audit log truncated: anchor N at <time>
    /// covers entry #K with hash H, but the log ends at #J". An anchored entry that was archived
    /// (within `checkpoints`, decision 0036) is checked against its checkpoint's last hash when it is the
    /// checkpoint's last entry, otherwise by `inkan audit verify --archive` against the archive file.
    [[nodiscard]] AnchorVerification verify(const std::vector<Bytes>& trust_anchors,
                                            const std::vector<AuditCheckpoint>& checkpoints = {}) const;

    /// Every anchor, by id.
    [[nodiscard]] std::vector<AuditAnchor> anchors() const { return m_anchors.all(); }

private:
    AuditAnchorStore& m_anchors;
    AuditStore& m_log;
    const Clock& m_clock;
};

}  // namespace inkan::service
