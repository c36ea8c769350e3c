// The audit chain (audit.h). Canonical form of an entry, hashed with SHA-256:
//
//   "inkan-audit-v1" || u64be(seq) || i64be(at, unix seconds)
//   || for each of action, outcome, user_id, client_id, credential_id, member_id, operator_name,
//      details, prev_hash: u32be(length) || bytes
//
// Length prefixes make the encoding injective (no two different entries share their bytes); `at`
// is whole seconds because that is what the store keeps.

#include <inkan/service/audit.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>

#include "canonical_bytes.h"

namespace inkan::service {

namespace {

using detail::put_field;
using detail::put_u64;
using detail::unix_seconds;

constexpr std::string_view kDomain = "inkan-audit-v1";
constexpr std::size_t kHashLength = 32;

void put_text(Bytes& out, std::string_view value) {
    put_field(out, as_bytes(value));
}

Bytes entry_hash(const AuditEntry& entry) {
    return crypto::digest(crypto::DigestAlgorithm::Sha256, audit_canonical_bytes(entry));
}

}  // namespace

Bytes audit_canonical_bytes(const AuditEntry& entry) {
    const AuditEvent& ev = entry.event;
    // Sized up front: the exact length of the canonical form (one allocation per entry).
    Bytes out;
    out.reserve(kDomain.size() + 16 + 9 * 4 + ev.action.size() + ev.outcome.size() + ev.user_id.size() +
                ev.client_id.size() + ev.credential_id.size() + ev.member_id.size() +
                ev.operator_name.size() + ev.details.size() + entry.prev_hash.size());
    out.insert(out.end(), kDomain.begin(), kDomain.end());
    put_u64(out, entry.seq);
    put_u64(out, static_cast<std::uint64_t>(unix_seconds(entry.at)));
    const AuditEvent& e = entry.event;
    put_text(out, e.action);
    put_text(out, e.outcome);
    put_text(out, e.user_id);
    put_text(out, e.client_id);
    put_text(out, e.credential_id);
    put_text(out, e.member_id);
    put_text(out, e.operator_name);
    put_text(out, e.details);
    put_field(out, entry.prev_hash);
    return out;
}

AuditLog::AuditLog(AuditStore& store, const Clock& clock) : m_store{store}, m_clock{clock} {}

void AuditLog::record(const AuditEvent& event) {
    m_store.append(entry_builder(event));
}

AuditEntryBuilder AuditLog::entry_builder(AuditEvent event) const {
    const TimePoint at{std::chrono::floor<std::chrono::seconds>(m_clock.now().time_since_epoch())};
    return [at, event = std::move(event)](std::uint64_t next_seq, const Bytes& prev_hash) {
        AuditEntry entry;
        entry.seq = next_seq;
        entry.at = at;
        entry.event = event;
        entry.prev_hash = prev_hash.empty() ? Bytes(kHashLength, 0) : prev_hash;
        entry.hash = entry_hash(entry);
        return entry;
    };
}

AuditVerification AuditLog::verify() const {
    return verify(0, Bytes(kHashLength, 0));
}

AuditVerification AuditLog::verify(std::uint64_t after_seq, const Bytes& prev_hash) const {
    AuditVerification v;
    std::vector<AuditEntry> entries = m_store.all();
    std::sort(entries.begin(), entries.end(),
              [](const AuditEntry& a, const AuditEntry& b) { return a.seq < b.seq; });
    Bytes expected_prev = prev_hash;
    std::uint64_t expected_seq = after_seq + 1;
    const auto fail = [&v](std::uint64_t seq, std::string problem) {
        v.ok = false;
        v.first_bad_seq = seq;
        v.problem = "entry " + std::to_string(seq) + ": " + std::move(problem);
    };
    for (const AuditEntry& e : entries) {
        ++v.entries;
        if (!v.ok) {
            continue;
        }
        if (e.seq <= after_seq) {
            fail(e.seq, "still in the log although archived (the checkpoint ends at #" +
                            std::to_string(after_seq) + ")");
            continue;
        }
        if (e.seq != expected_seq) {
            fail(expected_seq, e.seq > expected_seq
                                   ? "missing (deleted): the next entry is " + std::to_string(e.seq)
                                   : "sequence number repeated");
            continue;
        }
        if (entry_hash(e) != e.hash) {
            fail(e.seq, "hash mismatch (edited or moved)");
            continue;
        }
        if (e.prev_hash != expected_prev) {
            fail(e.seq,
                 "link to the previous entry broken (an entry before it was deleted, inserted or moved)");
            continue;
        }
        expected_prev = e.hash;
        ++expected_seq;
    }
    if (v.ok && after_seq > 0 && entries.empty()) {
        v.ok = false;
        v.first_bad_seq = expected_seq;
        v.problem = "entry " + std::to_string(expected_seq) +
                    ": missing (deleted): the log holds no entry after the archive checkpoint at #" +
                    std::to_string(after_seq);
    }
    return v;
}

std::vector<AuditEntry> AuditLog::range(std::optional<TimePoint> from, std::optional<TimePoint> to) const {
    std::vector<AuditEntry> out;
    for (AuditEntry& e : m_store.all()) {
        if ((from && e.at < *from) || (to && e.at >= *to)) {
            continue;
        }
        out.push_back(std::move(e));
    }
    std::sort(out.begin(), out.end(), [](const AuditEntry& a, const AuditEntry& b) { return a.seq < b.seq; });
    return out;
}

}  // namespace inkan::service
