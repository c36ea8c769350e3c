#pragma once

// The audit log: append-only, every entry chained to the previous one by SHA-256, so an edited,
// deleted or reordered entry is found and named. No PIN, OTP, password, token or SAD ever appears
// in it (a SAD is recorded as the SHA-256 of its id, truncated).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/service/ports.h>

namespace inkan::service {

/// The canonical bytes an entry's hash covers (documented so an outside tool can recompute it).
Bytes audit_canonical_bytes(const AuditEntry& entry);

struct AuditVerification {
    bool ok = true;
    std::uint64_t entries = 0;
    std::optional<std::uint64_t>
        first_bad_seq;    ///< the first entry that was edited, inserted, deleted or moved
    std::string problem;  ///< human-readable: "entry 17: hash mismatch (edited)", ...
};

class AuditLog {
public:
    AuditLog(AuditStore& store, const Clock& clock);
    /// Appends atomically (the chain head is read and extended in one transaction).
    void record(const AuditEvent& event);
    /// What record() appends, as a builder a store can run inside a transaction of its own (the SAD spend
    /// and its audit entry commit together: AuthorizationStore::consume). The entry's time is now.
    [[nodiscard]] AuditEntryBuilder entry_builder(AuditEvent event) const;
    [[nodiscard]] AuditVerification verify() const;
    /// The chain from an archive checkpoint (decision 0036): the oldest entry in the log must be
    /// #after_seq + 1 with `prev_hash` (the checkpoint's last hash), and at least one entry must follow
    /// (archiving appends its own entry and never takes the head).
    [[nodiscard]] AuditVerification verify(std::uint64_t after_seq, const Bytes& prev_hash) const;
    /// Entries with from <= at < to, in sequence order.
    [[nodiscard]] std::vector<AuditEntry> range(std::optional<TimePoint> from,
                                                std::optional<TimePoint> to) const;

private:
    AuditStore& m_store;
    const Clock& m_clock;
};

}  // namespace inkan::service
