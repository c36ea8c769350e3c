#include <inkan/validation/batch.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>
#include <inkan/validation/validator.h>

namespace inkan::validation {

namespace {

// Decision 0029: the column set and its order. New columns are only ever appended.
const std::vector<std::string_view> kColumns{
    "file",
    "sha256",
    "format",
    "kind",
    "id",
    "field",
    "signer",
    "signer_serial",
    "signer_certificate_expiry",
    "qualified",
    "claimed_signing_time",
    "best_signature_time",
    "timestamp_time",
    "tsa",
    "tsa_accredited",
    "tsa_label",
    "level",
    "last_archive_timestamp_time",
    "last_archive_tsa_certificate_expiry",
    "indication",
    "subindication",
    "reason",
    "validation_time",
};

std::string time_cell(const std::optional<TimePoint>& t) {
    return t ? format_rfc3339(*t) : std::string{};
}

std::string_view line_end(CsvStyle style) {
    return style.crlf ? "\r\n" : "\n";
}

void append_record(std::string& out, const std::vector<std::string>& cells, CsvStyle style) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
        if (i != 0) out += ',';
        out += csv_field(cells[i]);
    }
    out += line_end(style);
}

/// "yes"/"no"/"unknown" as the trust configuration says; anything else is not a claim the CSV makes.
std::string trust_cell(const std::string& v) {
    return v == "yes" || v == "no" ? v : std::string{"unknown"};
}

void add_unique(std::vector<std::string>& parts, std::string part) {
    if (!part.empty() && std::find(parts.begin(), parts.end(), part) == parts.end()) {
        parts.push_back(std::move(part));
    }
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
    std::string out;
    for (const auto& p : parts) {
        if (!out.empty()) out += sep;
        out += p;
    }
    return out;
}

std::string_view kind_name(const std::string& kind) {
    if (kind == "signature") return "signature time-stamp";
    if (kind == "archive") return "archive time-stamp";
    if (kind == "content") return "content time-stamp";
    return "time-stamp";
}

/// The latest of `candidates` at or after `after` (all when `after` is unknown).
const TimestampReport* latest(const std::vector<const TimestampReport*>& candidates,
                              const std::optional<TimePoint>& after) {
    const TimestampReport* best = nullptr;
    for (const auto* t : candidates) {
        if (!t->time || (after && *t->time < *after)) continue;
        if (best == nullptr || *t->time > *best->time) best = t;
    }
    return best;
}

}  // namespace

const std::vector<std::string_view>& csv_columns() {
    return kColumns;
}

std::string csv_field(std::string_view value) {
    std::string v;
    // OWASP "CSV injection": spreadsheet software evaluates a cell starting with these as a formula.
    if (!value.empty() && (value[0] == '=' || value[0] == '+' || value[0] == '-' || value[0] == '@' ||
                           value[0] == '\t' || value[0] == '\r')) {
        v += '\'';
    }
    v += value;
    if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
    std::string out{"\""};
    for (const char c : v) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
    return out;
}

std::string human_reason(const SignatureReport& s) {
    if (s.verdict.indication == Indication::TotalPassed) return {};
    std::vector<std::string> parts;
    if (s.modification.detected) {
        add_unique(parts, "modified after signing: " + join(s.modification.changes, "; "));
    }
    for (const auto& e : s.errors)
        add_unique(parts, e);
    for (const auto& t : s.timestamps) {
        if (t.verdict.indication == Indication::TotalPassed) continue;
        for (const auto& e : t.errors)
            add_unique(parts, std::string{kind_name(t.kind)} + ": " + e);
    }
    if (parts.empty() && s.verdict.subindication)
        add_unique(parts, std::string{name(*s.verdict.subindication)});
    return join(parts, "; ");
}

std::string human_reason(const TimestampReport& t) {
    if (t.verdict.indication == Indication::TotalPassed) return {};
    std::vector<std::string> parts;
    for (const auto& e : t.errors)
        add_unique(parts, e);
    if (parts.empty() && t.verdict.subindication)
        add_unique(parts, std::string{name(*t.verdict.subindication)});
    return join(parts, "; ");
}

std::string csv_header(CsvStyle style) {
    std::string out = style.bom ? "\xEF\xBB\xBF" : "";
    std::vector<std::string> cells{kColumns.begin(), kColumns.end()};
    append_record(out, cells, style);
    return out;
}

std::string csv_rows(const BatchDocument& doc, CsvStyle style) {
    const DocumentReport& d = doc.report;
    const std::string format = d.format.value_or("");
    const std::string validated = format_rfc3339(doc.validation_time);
    std::string out;
    // A row with the document's columns set and the rest empty.
    const auto base = [&](std::string kind) {
        std::vector<std::string> cells(kColumns.size());
        cells[0] = d.file;
        cells[1] = doc.sha256;
        cells[2] = format;
        cells[3] = std::move(kind);
        cells[22] = validated;
        return cells;
    };
    if (d.error || (d.signatures.empty() && d.document_timestamps.empty())) {
        auto cells = base(d.error ? "error" : "none");
        cells[21] = d.error ? *d.error : std::string{"no signature or document time-stamp found"};
        append_record(out, cells, style);
        return out;
    }
    std::vector<const TimestampReport*> document_timestamps;
    for (const auto& t : d.document_timestamps)
        document_timestamps.push_back(&t);
    for (const auto& s : d.signatures) {
        auto cells = base(s.counter_signature_of ? "counter-signature" : "signature");
        cells[4] = s.id;
        cells[5] = s.field;
        cells[6] = s.signer;
        cells[7] = s.signer_serial;
        cells[8] = time_cell(s.signer_certificate_expiry);
        cells[9] = trust_cell(s.qualified);
        cells[10] = time_cell(s.claimed_signing_time);
        cells[11] = time_cell(s.best_signature_time);
        // The signature time-stamp: the earliest, the one that gives best-signature-time.
        const TimestampReport* sts = nullptr;
        std::vector<const TimestampReport*> archives = document_timestamps;
        for (const auto& t : s.timestamps) {
            if (t.kind == "signature" &&
                (sts == nullptr || (t.time && (!sts->time || *t.time < *sts->time)))) {
                sts = &t;
            }
            if (t.kind == "archive") archives.push_back(&t);
        }
        cells[14] = "unknown";
        if (sts != nullptr) {
            cells[12] = time_cell(sts->time);
            cells[13] = sts->tsa;
            cells[14] = trust_cell(sts->tsa_accredited);
            cells[15] = sts->tsa_label;
        }
        cells[16] = std::string{name(s.level).value_or("")};
        // The last archive time-stamp of the signature or document time-stamp after it (B-LTA): how long
        // the signature stays provable is bounded by that TSA certificate's expiry.
        if (const auto* last = latest(archives, s.best_signature_time)) {
            cells[17] = time_cell(last->time);
            cells[18] = time_cell(last->tsa_certificate_expiry);
        }
        cells[19] = std::string{name(s.verdict.indication)};
        cells[20] = s.verdict.subindication ? std::string{name(*s.verdict.subindication)} : std::string{};
        cells[21] = human_reason(s);
        append_record(out, cells, style);
    }
    std::size_t n = 0;
    for (const auto& t : d.document_timestamps) {
        auto cells = base("document-timestamp");
        cells[4] = "T" + std::to_string(n++);  // as in the ETSI report (to_etsi_xml)
        cells[5] = t.field;
        cells[12] = time_cell(t.time);
        cells[13] = t.tsa;
        cells[14] = trust_cell(t.tsa_accredited);
        cells[15] = t.tsa_label;
        if (const auto* last = latest(document_timestamps, t.time)) {
            cells[17] = time_cell(last->time);
            cells[18] = time_cell(last->tsa_certificate_expiry);
        }
        cells[19] = std::string{name(t.verdict.indication)};
        cells[20] = t.verdict.subindication ? std::string{name(*t.verdict.subindication)} : std::string{};
        cells[21] = human_reason(t);
        append_record(out, cells, style);
    }
    return out;
}

std::string to_csv(const std::vector<BatchDocument>& documents, CsvStyle style) {
    std::string out = csv_header(style);
    for (const auto& d : documents)
        out += csv_rows(d, style);
    return out;
}

void BatchSummary::add(const DocumentReport& d) {
    ++files;
    if (d.error) {
        ++error_files;
        return;
    }
    if (d.signatures.empty() && d.document_timestamps.empty()) ++unsigned_files;
    const auto count = [&](const Verdict& v) {
        ++signatures;
        switch (v.indication) {
            case Indication::TotalPassed:
                ++passed;
                break;
            case Indication::TotalFailed:
                ++failed;
                break;
            case Indication::Indeterminate:
                ++indeterminate;
                break;
        }
    };
    for (const auto& s : d.signatures)
        count(s.verdict);
    for (const auto& t : d.document_timestamps)
        count(t.verdict);
}

std::string BatchSummary::text() const {
    std::ostringstream out;
    out << files << " files, " << signatures << " signatures and document time-stamps: " << passed
        << " passed, " << failed << " failed, " << indeterminate << " indeterminate; " << unsigned_files
        << " files without a signature, " << error_files << " files not readable or not parsable";
    return out.str();
}

std::string sha256_hex_of_file(const std::filesystem::path& file) {
    std::ifstream in{file, std::ios::binary};
    require(in.good(), Errc::NotFound, "cannot read " + file.string());
    return hex_encode(crypto::digest(crypto::DigestAlgorithm::Sha256, in));
}

std::string sha256_hex(ByteView data) {
    return hex_encode(crypto::digest(crypto::DigestAlgorithm::Sha256, data));
}

namespace {
// What nlohmann's dump(2) writes around the array of to_json's one member.
constexpr std::string_view kBegin = "{\n  \"documents\": [\n";
constexpr std::string_view kEnd = "\n  ]\n}\n";
}  // namespace

std::string json_document(const DocumentReport& document) {
    std::string all = to_json({document});
    require(all.size() > kBegin.size() + kEnd.size() && all.compare(0, kBegin.size(), kBegin) == 0 &&
                all.compare(all.size() - kEnd.size(), kEnd.size(), kEnd) == 0,
            Errc::Internal, "to_json's layout changed: the batch JSON cannot be streamed");
    return all.substr(kBegin.size(), all.size() - kBegin.size() - kEnd.size());
}

std::string_view json_documents_begin() {
    return kBegin;
}

std::string_view json_documents_end() {
    return kEnd;
}

void prepare_for_threads() {
    // validate_xml parses with libxml2, whose xmlInitParser must have run once before threads use it.
    const std::string_view xml = "<x/>";
    (void)validate_xml(as_bytes(xml), {}, Options{});
}

}  // namespace inkan::validation
