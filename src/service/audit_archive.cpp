// Archiving the oldest audit entries (audit_archive.h, decision 0036).

#include <inkan/service/audit_archive.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <map>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include <inkan/ades/cades.h>
#include <inkan/ades/time_stamper.h>
#include <inkan/cms/signed_data.h>
#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>
#include <inkan/pki/certificate.h>
#include <inkan/tsp/client.h>
#include <inkan/tsp/codec.h>

#include "canonical_bytes.h"

namespace inkan::service {

namespace {

using detail::put_field;
using detail::put_u64;
using detail::unix_seconds;

constexpr std::size_t kHashLength = 32;
constexpr std::string_view kCheckpointDomain = "inkan-audit-checkpoint-v1";

TimePoint whole_seconds(TimePoint t) {
    return TimePoint{std::chrono::floor<std::chrono::seconds>(t.time_since_epoch())};
}

Bytes sha256(ByteView data) {
    return crypto::digest(crypto::DigestAlgorithm::Sha256, data);
}

std::string seq_text(std::uint64_t seq) {
    return "#" + std::to_string(seq);
}

nlohmann::ordered_json entry_line(const AuditEntry& e) {
    return nlohmann::ordered_json{{"seq", e.seq},
                                  {"at", format_rfc3339(e.at)},
                                  {"action", e.event.action},
                                  {"outcome", e.event.outcome},
                                  {"user_id", e.event.user_id},
                                  {"client_id", e.event.client_id},
                                  {"credential_id", e.event.credential_id},
                                  {"member_id", e.event.member_id},
                                  {"operator", e.event.operator_name},
                                  {"details", e.event.details},
                                  {"prev_hash", hex_encode(e.prev_hash)},
                                  {"hash", hex_encode(e.hash)},
                                  {"canonical", base64_encode(audit_canonical_bytes(e))}};
}

/// The entry a line describes (throws nlohmann's or inkan's errors for a malformed line).
AuditEntry entry_from_line(const nlohmann::json& j) {
    AuditEntry e;
    e.seq = j.at("seq").get<std::uint64_t>();
    e.at = parse_rfc3339(j.at("at").get<std::string>());
    e.event.action = j.at("action").get<std::string>();
    e.event.outcome = j.at("outcome").get<std::string>();
    e.event.user_id = j.at("user_id").get<std::string>();
    e.event.client_id = j.at("client_id").get<std::string>();
    e.event.credential_id = j.at("credential_id").get<std::string>();
    e.event.member_id = j.at("member_id").get<std::string>();
    e.event.operator_name = j.at("operator").get<std::string>();
    e.event.details = j.at("details").get<std::string>();
    e.prev_hash = hex_decode(j.at("prev_hash").get<std::string>());
    e.hash = hex_decode(j.at("hash").get<std::string>());
    return e;
}

/// CAdES-B-T by the seal over `content` (enveloping) or over a digest (detached).
Bytes seal_sign(const ades::CadesContent& content, sign::Signer& seal, ades::TimeStamper& tsa,
                const Clock& clock) {
    ades::CadesOptions options;
    options.level = ades::Level::BT;
    options.time_stamper = &tsa;
    options.clock = &clock;
    return ades::sign_cades(content, seal, options);
}

}  // namespace

Bytes audit_checkpoint_bytes(const AuditCheckpoint& c) {
    Bytes out;
    out.insert(out.end(), kCheckpointDomain.begin(), kCheckpointDomain.end());
    put_u64(out, c.first_seq);
    put_u64(out, c.last_seq);
    put_u64(out, c.count);
    put_u64(out, static_cast<std::uint64_t>(unix_seconds(c.before)));
    put_u64(out, static_cast<std::uint64_t>(unix_seconds(c.archived_at)));
    put_field(out, c.prev_hash);
    put_field(out, c.last_hash);
    put_field(out, c.archive_sha256);
    put_field(out, as_bytes(c.archive_name));
    return out;
}

SealCheck check_seal(ByteView cms_der, ByteView content_digest, const AuditArchiveTrust& trust) {
    SealCheck out;
    try {
        const cms::SignedData sd = cms::parse(cms_der);
        if (sd.signer_infos.size() != 1) {
            out.problem = "the signature has " + std::to_string(sd.signer_infos.size()) +
                          " signers instead of the service's seal alone";
            return out;
        }
        const auto cert_der = cms::find_signer_certificate(sd, 0);
        if (!cert_der) {
            out.problem = "the signer's certificate is not in the signature";
            return out;
        }
        const pki::Certificate cert = pki::Certificate::from_der(*cert_der);
        out.signer = cert.subject();
        if (*cert_der != trust.seal_certificate) {
            std::string expected = "(none configured)";
            if (!trust.seal_certificate.empty()) {
                expected = pki::Certificate::from_der(trust.seal_certificate).subject();
            }
            out.problem = "signed by \"" + out.signer + "\", not by the service's seal \"" + expected + "\"";
            return out;
        }
        const cms::SignerInfo& si = sd.signer_infos[0];
        if (si.digest_algorithm != crypto::DigestAlgorithm::Sha256) {
            out.problem = "the signature's digest algorithm is not SHA-256";
            return out;
        }
        if (!cms::verify_signer(sd, 0, content_digest, cert.public_key())) {
            out.problem = "the seal's signature does not verify: the content was changed after it was signed";
            return out;
        }
        const Bytes* token = si.unsigned_attribute(cms::oid::kSignatureTimeStampToken);
        if (token == nullptr) {
            out.problem = "the signature has no signature-time-stamp";
            return out;
        }
        // RFC 3161 App. A / EN 319 122-1 §5.3: the token's imprint is over the signature value.
        tsp::TimeStampReq req;
        const auto token_content = cms::parse(*token).content;
        require(token_content.has_value(), Errc::InvalidEncoding, "the time-stamp token has no TSTInfo");
        const auto alg = tsp::parse_tst_info(*token_content).imprint.algorithm();
        require(alg.has_value(), Errc::UnsupportedAlgorithm, "the time-stamp's hash algorithm is unknown");
        req.imprint = tsp::make_imprint(*alg, crypto::digest(*alg, si.signature));
        const tsp::TstInfo info = tsp::check_token(*token, req, trust.tsa_anchors);
        out.time_stamp = info.gen_time;
        out.ok = true;
    } catch (const Error& e) {
        out.problem = "the signature does not verify: " + e.detail();
    } catch (const std::exception& e) {
        out.problem = std::string{"the signature does not parse: "} + e.what();
    }
    return out;
}

AuditArchiveCheck check_audit_archive(ByteView file, const AuditArchiveTrust& trust,
                                      const std::vector<AuditCheckpoint>* checkpoints) {
    AuditArchiveCheck out;
    out.sha256 = sha256(file);
    const auto problem = [&out](std::string text) {
        out.ok = false;
        out.problems.push_back(std::move(text));
    };
    std::optional<Bytes> content;
    try {
        content = cms::parse(file).content;
    } catch (const std::exception&) {
        problem("not a CMS signature (CAdES) made by inkan audit archive");
        return out;
    }
    if (!content) {
        problem("the signature carries no content (an inkan archive is enveloping)");
        return out;
    }
    out.seal = check_seal(file, sha256(*content), trust);
    if (!out.seal.ok) {
        problem(out.seal.problem);
    }
    // The content is checked even when the signature failed: a changed byte is then named.
    std::istringstream lines{std::string{content->begin(), content->end()}};
    std::string line;
    nlohmann::json header;
    if (!std::getline(lines, line) || (header = nlohmann::json::parse(line, nullptr, false)).is_discarded() ||
        !header.is_object() || header.value("format", "") != kAuditArchiveFormat) {
        problem("the first line is not an " + std::string{kAuditArchiveFormat} + " header");
        return out;
    }
    try {
        out.first_seq = header.at("first_seq").get<std::uint64_t>();
        out.last_seq = header.at("last_seq").get<std::uint64_t>();
        out.count = header.at("count").get<std::uint64_t>();
        out.prev_hash = hex_decode(header.at("prev_hash").get<std::string>());
        out.last_hash = hex_decode(header.at("last_hash").get<std::string>());
    } catch (const std::exception&) {
        problem("the header's fields are malformed");
        return out;
    }
    std::uint64_t expected_seq = out.first_seq;
    Bytes expected_prev = out.prev_hash;
    const auto bad = [&](std::uint64_t seq, const std::string& text) {
        if (!out.first_bad_seq) {
            out.first_bad_seq = seq;
        }
        problem("entry " + seq_text(seq) + ": " + text);
    };
    while (std::getline(lines, line)) {
        if (line.empty()) {
            continue;
        }
        const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
        AuditEntry e;
        Bytes canonical;
        try {
            e = entry_from_line(j);
            canonical = base64_decode(j.at("canonical").get<std::string>());
        } catch (const std::exception&) {
            bad(expected_seq, "the line does not parse (edited)");
            ++expected_seq;
            continue;
        }
        out.entries.push_back(e);
        if (out.first_bad_seq) {
            ++expected_seq;
            continue;  // one named entry is enough; the rest chains from a broken link
        }
        if (e.seq != expected_seq) {
            bad(expected_seq, e.seq > expected_seq ? "missing (deleted): the next entry is " + seq_text(e.seq)
                                                   : "sequence number repeated");
        } else if (audit_canonical_bytes(e) != canonical) {
            bad(e.seq, "its readable fields do not match its canonical form (edited)");
        } else if (sha256(canonical) != e.hash) {
            bad(e.seq, "hash mismatch (edited)");
        } else if (e.prev_hash != expected_prev) {
            bad(e.seq, "link to the previous entry broken");
        }
        expected_prev = e.hash;
        expected_seq = e.seq + 1;
    }
    if (!out.first_bad_seq) {
        if (out.entries.size() != out.count || out.last_seq != out.first_seq + out.count - 1) {
            problem("the header announces " + std::to_string(out.count) + " entries (" +
                    seq_text(out.first_seq) + " to " + seq_text(out.last_seq) + ") but the archive holds " +
                    std::to_string(out.entries.size()));
        } else if (out.entries.back().hash != out.last_hash) {
            problem("the last entry's hash is not the header's last_hash");
        }
    }
    if (checkpoints != nullptr) {
        const AuditCheckpoint* match = nullptr;
        const AuditCheckpoint* previous = nullptr;
        for (const AuditCheckpoint& c : *checkpoints) {
            if (c.archive_sha256 == out.sha256) {
                match = &c;
                break;
            }
            previous = &c;
        }
        if (match == nullptr) {
            problem("no checkpoint in the database names this file (SHA-256 " + hex_encode(out.sha256) +
                    "): it is not an archive of this audit log, or it was changed");
        } else {
            out.checkpoint_id = match->id;
            if (match->first_seq != out.first_seq || match->last_seq != out.last_seq ||
                match->prev_hash != out.prev_hash || match->last_hash != out.last_hash) {
                problem("checkpoint " + std::to_string(match->id) + " records a different range or hashes");
            }
            const std::string prev_archive = header.value("previous_archive_sha256", "");
            const std::string expected_prev_archive = previous ? hex_encode(previous->archive_sha256) : "";
            if (prev_archive != expected_prev_archive) {
                problem("the header's previous_archive_sha256 is not checkpoint " +
                        (previous ? std::to_string(previous->id) : std::string{"(none)"}) + "'s archive");
            }
        }
    }
    return out;
}

std::optional<std::string> check_audit_checkpoints(const std::vector<AuditCheckpoint>& checkpoints,
                                                   const AuditArchiveTrust& trust) {
    const AuditCheckpoint* previous = nullptr;
    for (const AuditCheckpoint& c : checkpoints) {
        const std::string name = "checkpoint " + std::to_string(c.id) + " (entries " + seq_text(c.first_seq) +
                                 " to " + seq_text(c.last_seq) + ")";
        if (previous != nullptr && c.id != previous->id + 1) {
            return "checkpoint " + std::to_string(previous->id + 1) + " missing (deleted)";
        }
        const std::uint64_t first = previous ? previous->last_seq + 1 : 1;
        const Bytes prev = previous ? previous->last_hash : Bytes(kHashLength, 0);
        if (c.first_seq != first || c.prev_hash != prev) {
            return name + " does not follow " +
                   (previous ? "checkpoint " + std::to_string(previous->id) : std::string{"the genesis"}) +
                   ": entries " + seq_text(first) + " onwards were removed without an archive";
        }
        const SealCheck seal = check_seal(c.seal, sha256(audit_checkpoint_bytes(c)), trust);
        if (!seal.ok) {
            return name + ": its seal does not verify (" + seal.problem + ")";
        }
        previous = &c;
    }
    return std::nullopt;
}

AuditArchiver::AuditArchiver(AuditArchiveStore& store, AuditStore& log, const Clock& clock)
    : m_store{store}, m_log{log}, m_clock{clock} {}

PreparedAuditArchive AuditArchiver::prepare(TimePoint before, std::string archive_name, sign::Signer& seal,
                                            ades::TimeStamper& tsa) const {
    const TimePoint now = m_clock.now();
    require(before <= now, Errc::InvalidRequest,
            "--before " + format_rfc3339(before) + " is in the future (now " +
                format_rfc3339(whole_seconds(now)) + "): only a closed range can be archived");
    const std::vector<AuditCheckpoint> checkpoints = m_store.checkpoints();
    PreparedAuditArchive out;
    std::uint64_t after = 0;
    Bytes prev(kHashLength, 0);
    Bytes previous_sha;
    if (!checkpoints.empty()) {
        out.expected_newest = checkpoints.back().id;
        after = checkpoints.back().last_seq;
        prev = checkpoints.back().last_hash;
        previous_sha = checkpoints.back().archive_sha256;
    }
    std::vector<AuditEntry> all = m_log.all();
    std::sort(all.begin(), all.end(), [](const AuditEntry& a, const AuditEntry& b) { return a.seq < b.seq; });
    std::vector<AuditEntry> range;
    for (AuditEntry& e : all) {
        if (e.seq <= after) {
            continue;
        }
        if (e.at >= before) {
            break;
        }
        range.push_back(std::move(e));
    }
    if (range.empty()) {
        throw Error{Errc::Conflict, "nothing to archive: no audit entry after " +
                                        (after == 0 ? std::string{"the genesis"} : seq_text(after)) +
                                        " is older than " + format_rfc3339(before)};
    }
    const AuditEntry& head = all.back();
    if (range.back().seq == head.seq) {
        throw Error{Errc::Conflict, "--before " + format_rfc3339(before) +
                                        " covers the chain's newest entry " + seq_text(head.seq) + " (" +
                                        format_rfc3339(head.at) +
                                        "), the open tail: it stays in the database; choose a time at or "
                                        "before " +
                                        format_rfc3339(head.at)};
    }
    // The range read must be the chain as the database holds it: an archive of a broken chain would
    // seal the break. The anchors and checkpoints are audit verify's concern; the links are checked here.
    Bytes expected = prev;
    std::uint64_t expected_seq = after + 1;
    for (const AuditEntry& e : range) {
        require(
            e.seq == expected_seq && e.prev_hash == expected && sha256(audit_canonical_bytes(e)) == e.hash,
            Errc::Conflict,
            "the audit chain does not verify at entry " + seq_text(e.seq) +
                ": run `inkan audit verify`; nothing archived");
        expected = e.hash;
        ++expected_seq;
    }

    AuditCheckpoint& c = out.checkpoint;
    c.first_seq = range.front().seq;
    c.last_seq = range.back().seq;
    c.count = range.size();
    c.prev_hash = prev;
    c.last_hash = range.back().hash;
    c.archive_name = std::move(archive_name);
    c.before = whole_seconds(before);
    c.archived_at = whole_seconds(now);

    std::string content;
    nlohmann::ordered_json header{{"format", kAuditArchiveFormat},
                                  {"first_seq", c.first_seq},
                                  {"last_seq", c.last_seq},
                                  {"count", c.count},
                                  {"prev_hash", hex_encode(c.prev_hash)},
                                  {"last_hash", hex_encode(c.last_hash)},
                                  {"before", format_rfc3339(c.before)},
                                  {"created_at", format_rfc3339(c.archived_at)},
                                  {"previous_archive_sha256", hex_encode(previous_sha)}};
    content += header.dump() + "\n";
    for (const AuditEntry& e : range) {
        content += entry_line(e).dump() + "\n";
    }
    out.file =
        seal_sign(ades::CadesContent::enveloping(to_bytes(std::string_view{content})), seal, tsa, m_clock);
    c.archive_sha256 = sha256(out.file);
    c.seal = seal_sign(ades::CadesContent::detached_digest(crypto::DigestAlgorithm::Sha256,
                                                           sha256(audit_checkpoint_bytes(c))),
                       seal, tsa, m_clock);
    return out;
}

std::uint64_t AuditArchiver::commit(const PreparedAuditArchive& archive, const std::string& operator_name) {
    const AuditCheckpoint& c = archive.checkpoint;
    AuditEvent event;
    event.action = "audit.archive";
    event.outcome = "ok";
    event.operator_name = operator_name;
    event.details = nlohmann::ordered_json{{"first_seq", c.first_seq},
                                           {"last_seq", c.last_seq},
                                           {"count", c.count},
                                           {"last_hash", hex_encode(c.last_hash)},
                                           {"archive_sha256", hex_encode(c.archive_sha256)},
                                           {"archive", c.archive_name},
                                           {"before", format_rfc3339(c.before)}}
                        .dump();
    AuditLog log{m_log, m_clock};
    return m_store.commit(c, archive.expected_newest, log.entry_builder(std::move(event)));
}

}  // namespace inkan::service
