#pragma once

// Archiving the oldest audit entries (issue 26 "Audit archive", decision 0036). The audit log is never
// purged (decision 0032); it may only shrink through an archive: a closed range of the oldest entries
// (time < T, never the chain's head) goes into a self-contained file signed by the service's seal
// (CAdES-B-T, enveloping, through sign::Signer) and time-stamped by inkan's TSA, and only then leaves
// the database, replaced by a checkpoint (seq range, count, first prev_hash, last hash, the file's
// SHA-256) that the seal signs too. The chain in the database then verifies from the newest checkpoint;
// each archive verifies on its own and links to its checkpoint and to the archive before it.
//
// The archive's content (UTF-8 JSON lines, `kAuditArchiveFormat`):
//   line 1: {"format", "first_seq", "last_seq", "count", "prev_hash", "last_hash", "before",
//            "created_at", "previous_archive_sha256"}          (hashes in lower-case hex)
//   then one line per entry in seq order: {"seq", "at", "action", "outcome", "user_id", "client_id",
//            "credential_id", "member_id", "operator", "details", "prev_hash", "hash", "canonical"}
//   where "canonical" is base64 of audit_canonical_bytes(entry) (what "hash" is the SHA-256 of) and
//   the readable fields must reproduce it exactly.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/service/audit.h>
#include <inkan/service/ports.h>
#include <inkan/sign/signer.h>

namespace inkan::ades {
class TimeStamper;
}

namespace inkan::service {

inline constexpr std::string_view kAuditArchiveFormat = "inkan-audit-archive-v1";

/// One archived range, as the database keeps it in place of the entries.
struct AuditCheckpoint {
    std::uint64_t id = 0;  ///< assigned by the store, increasing, never reused
    std::uint64_t first_seq = 0;
    std::uint64_t last_seq = 0;
    std::uint64_t count = 0;
    Bytes prev_hash;           ///< the first archived entry's prev_hash (32 zero bytes from genesis)
    Bytes last_hash;           ///< the last archived entry's hash: the next entry's prev_hash
    Bytes archive_sha256;      ///< SHA-256 of the archive file (the whole CAdES)
    std::string archive_name;  ///< the file's name when written (informational)
    TimePoint before{};        ///< the --before given
    TimePoint archived_at{};   ///< whole seconds
    Bytes seal;  ///< CAdES-B-T (detached) by the service's seal over audit_checkpoint_bytes(*this)
};

/// What a checkpoint's seal signs: "inkan-audit-checkpoint-v1" || u64be first_seq, last_seq, count ||
/// i64be before, archived_at || for prev_hash, last_hash, archive_sha256, archive_name: u32be length ||
/// bytes. (The id is the store's; gaps in ids are checked separately.)
Bytes audit_checkpoint_bytes(const AuditCheckpoint& checkpoint);

/// The archive's storage port (storage: SqliteAuditArchiveStore, table audit_checkpoints).
class AuditArchiveStore {
public:
    virtual ~AuditArchiveStore() = default;
    /// Every checkpoint, by id.
    [[nodiscard]] virtual std::vector<AuditCheckpoint> checkpoints() const = 0;
    /// In one write transaction: refuses with Errc::Conflict (nothing changed) unless the newest
    /// checkpoint's id is still `expected_newest` (0: none) and the log still holds exactly entries
    /// first_seq..last_seq with last_seq's hash = last_hash and at least one entry after them; then deletes
    /// them, inserts `checkpoint` (its id ignored) and appends the entry `record` builds. Returns the id.
    virtual std::uint64_t commit(const AuditCheckpoint& checkpoint, std::uint64_t expected_newest,
                                 const AuditEntryBuilder& record) = 0;
};

/// What an archive (and a checkpoint) is checked against.
struct AuditArchiveTrust {
    Bytes seal_certificate;          ///< the service seal's certificate (DER): the only accepted signer
    std::vector<Bytes> tsa_anchors;  ///< roots the time-stamp's TSA chain must reach (empty: not checked)
};

/// A signature by the seal with its time-stamp, checked.
struct SealCheck {
    bool ok = false;
    std::string problem;                  ///< when not ok
    std::string signer;                   ///< the signer certificate's subject (when found)
    std::optional<TimePoint> time_stamp;  ///< genTime of the signature-time-stamp, when it verified
};

/// Checks a CAdES made by the seal: one SignerInfo, its certificate equals trust.seal_certificate,
/// message-digest = SHA-256 `content_digest`, the signature verifies, and a signature-time-stamp whose
/// imprint is over the signature value verifies (tsp::check_token, chained to trust.tsa_anchors).
SealCheck check_seal(ByteView cms, ByteView content_digest, const AuditArchiveTrust& trust);

/// An archive file, checked on its own and (when given) against the database's checkpoints.
struct AuditArchiveCheck {
    bool ok = true;
    std::vector<std::string> problems;           ///< every problem found, the signature's first
    std::optional<std::uint64_t> first_bad_seq;  ///< the first entry inside that does not verify
    SealCheck seal;
    std::uint64_t first_seq = 0, last_seq = 0, count = 0;
    Bytes prev_hash, last_hash, sha256;
    std::optional<std::uint64_t> checkpoint_id;  ///< the checkpoint it matches, if any
    std::vector<AuditEntry> entries;             ///< as read (even when they do not verify)
};

/// Checks `file` (an archive's bytes): the seal's signature and time-stamp over its content, the
/// header, every entry (readable fields reproduce "canonical", its SHA-256 is "hash", seq and
/// prev_hash chain from the header's prev_hash to its last_hash). With `checkpoints` (the database's),
/// the file's SHA-256, range and hashes must be one checkpoint's, and its previous_archive_sha256 the
/// checkpoint before's. Never throws for a bad file: everything goes into problems.
AuditArchiveCheck check_audit_archive(ByteView file, const AuditArchiveTrust& trust,
                                      const std::vector<AuditCheckpoint>* checkpoints = nullptr);

/// Checks the checkpoints themselves: ids without gaps, each range follows the one before (first_seq =
/// previous last_seq + 1, prev_hash = previous last_hash; the first from #1 and 32 zero bytes), and each
/// seal verifies over its row. Empty: fine. The first problem, or nothing.
std::optional<std::string> check_audit_checkpoints(const std::vector<AuditCheckpoint>& checkpoints,
                                                   const AuditArchiveTrust& trust);

/// The archive about to be written: the file's bytes and the checkpoint that will replace its entries.
struct PreparedAuditArchive {
    Bytes file;
    AuditCheckpoint checkpoint;         ///< seal filled, id not yet
    std::uint64_t expected_newest = 0;  ///< the newest checkpoint's id when prepared
};

class AuditArchiver {
public:
    /// All must outlive the object.
    AuditArchiver(AuditArchiveStore& store, AuditStore& log, const Clock& clock);

    /// Reads the oldest entries after the newest checkpoint whose time is before `before` (a run in seq
    /// order: it stops at the first entry at or after `before`), builds the archive and signs it and
    /// the checkpoint with `seal` (CAdES-B-T, time-stamped through `tsa`). Refusals (nothing changed):
    /// Errc::InvalidRequest for `before` in the future; Errc::Conflict when no entry is before it, or when
    /// the range would include the chain's head (the open tail: the newest entry always stays).
    PreparedAuditArchive prepare(TimePoint before, std::string archive_name, sign::Signer& seal,
                                 ades::TimeStamper& tsa) const;

    /// Removes the archived entries and keeps the checkpoint, with an "audit.archive" entry by
    /// `operator_name` (AuditArchiveStore::commit). Call only once the file is durably written, read back
    /// and checked. Errc::Conflict when another archive committed in between.
    std::uint64_t commit(const PreparedAuditArchive& archive, const std::string& operator_name);

    [[nodiscard]] std::vector<AuditCheckpoint> checkpoints() const { return m_store.checkpoints(); }

private:
    AuditArchiveStore& m_store;
    AuditStore& m_log;
    const Clock& m_clock;
};

}  // namespace inkan::service
