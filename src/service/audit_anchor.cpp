// Anchors of the audit chain (audit_anchor.h, decision 0017).

#include <inkan/service/audit_anchor.h>

#include <algorithm>
#include <chrono>
#include <map>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/core/log.h>
#include <inkan/tsp/client.h>
#include <inkan/tsp/codec.h>

namespace inkan::service {

namespace {

/// What the token of an anchor must answer: SHA-256 over the head entry's canonical bytes, i.e. the
/// head hash as hashedMessage (RFC 3161 §2.4.1).
tsp::TimeStampReq request_for(const Bytes& head_hash) {
    tsp::TimeStampReq req;
    req.imprint = tsp::make_imprint(crypto::DigestAlgorithm::Sha256, head_hash);
    req.cert_req = true;
    return req;
}

std::string anchor_name(const AuditAnchor& a) {
    return "anchor " + std::to_string(a.id) + " at " + format_rfc3339(a.at);
}

}  // namespace

AuditAnchoring::AuditAnchoring(AuditAnchorStore& anchors, AuditStore& log, const Clock& clock)
    : m_anchors{anchors}, m_log{log}, m_clock{clock} {}

std::optional<AuditAnchor> AuditAnchoring::anchor(tsp::Authority& tsa, bool force) {
    const auto head = m_anchors.head();
    if (!head) {
        return std::nullopt;
    }
    if (!force) {
        const auto existing = m_anchors.all();
        if (!existing.empty() && existing.back().seq == head->first &&
            existing.back().head_hash == head->second) {
            return std::nullopt;
        }
    }
    AuditAnchor a;
    a.seq = head->first;
    a.head_hash = head->second;
    a.at = TimePoint{std::chrono::floor<std::chrono::seconds>(m_clock.now().time_since_epoch())};
    a.token = tsa.stamp(request_for(a.head_hash));
    a.id = m_anchors.add(a);
    // Also in the log, which usually leaves the host: an attacker who deletes the newest entries and
    // the anchors that cover them still leaves these lines behind.
    log::info("audit chain anchored", {{"anchor", a.id},
                                       {"seq", a.seq},
                                       {"head_hash", hex_encode(a.head_hash)},
                                       {"at", format_rfc3339(a.at)}});
    return a;
}

AnchorVerification AuditAnchoring::verify(const std::vector<Bytes>& trust_anchors,
                                          const std::vector<AuditCheckpoint>& checkpoints) const {
    AnchorVerification v;
    std::map<std::uint64_t, Bytes> hashes;
    std::uint64_t last = 0;
    for (const AuditEntry& e : m_log.all()) {
        hashes[e.seq] = e.hash;
        last = std::max(last, e.seq);
    }
    const auto fail = [&v](std::string problem) {
        if (v.ok) {
            v.ok = false;
            v.problem = std::move(problem);
        }
    };
    const std::vector<AuditAnchor> anchors = m_anchors.all();
    v.anchors = anchors.size();
    std::optional<std::uint64_t> previous_id;
    for (const AuditAnchor& a : anchors) {
        if (previous_id && a.id != *previous_id + 1) {
            fail("anchor " + std::to_string(*previous_id + 1) +
                 (a.id - *previous_id > 2 ? " to " + std::to_string(a.id - 1) : std::string{}) +
                 " missing (deleted)");
        }
        previous_id = a.id;
        try {
            const tsp::TstInfo info = tsp::check_token(a.token, request_for(a.head_hash), trust_anchors);
            (void)info;
        } catch (const Error& e) {
            fail(anchor_name(a) + ": the time-stamp token does not verify: " + e.detail());
            continue;
        }
        if (!checkpoints.empty() && a.seq <= checkpoints.back().last_seq) {
            // Archived: only a checkpoint's last entry has its hash in the database.
            for (const AuditCheckpoint& c : checkpoints) {
                if (a.seq == c.last_seq && a.head_hash != c.last_hash) {
                    fail(anchor_name(a) + ": entry #" + std::to_string(a.seq) + " was archived with hash " +
                         hex_encode(c.last_hash) + ", not the anchored " + hex_encode(a.head_hash) +
                         " (rewritten)");
                }
            }
            continue;
        }
        if (a.seq > last) {
            fail("audit log truncated: " + anchor_name(a) + " covers entry #" + std::to_string(a.seq) +
                 " with hash " + hex_encode(a.head_hash) + ", but the log ends at #" + std::to_string(last));
            continue;
        }
        const auto it = hashes.find(a.seq);
        if (it == hashes.end()) {
            fail(anchor_name(a) + ": entry #" + std::to_string(a.seq) + " it covers is missing (deleted)");
        } else if (it->second != a.head_hash) {
            fail(anchor_name(a) + ": entry #" + std::to_string(a.seq) + " no longer has the anchored hash " +
                 hex_encode(a.head_hash) + " (rewritten)");
        }
    }
    if (!anchors.empty()) {
        v.latest = anchors.back();
    }
    return v;
}

}  // namespace inkan::service
