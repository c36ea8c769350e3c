#include <inkan/validation/report.h>

#include <sstream>

#include <nlohmann/json.hpp>

namespace inkan::validation {

std::string_view name(Indication i) {
    switch (i) {
        case Indication::TotalPassed:
            return "TOTAL-PASSED";
        case Indication::TotalFailed:
            return "TOTAL-FAILED";
        case Indication::Indeterminate:
            return "INDETERMINATE";
    }
    return "INDETERMINATE";
}

std::string_view name(SubIndication s) {
    switch (s) {
        case SubIndication::FormatFailure:
            return "FORMAT_FAILURE";
        case SubIndication::HashFailure:
            return "HASH_FAILURE";
        case SubIndication::SigCryptoFailure:
            return "SIG_CRYPTO_FAILURE";
        case SubIndication::Revoked:
            return "REVOKED";
        case SubIndication::ExpiredNoPoe:
            return "EXPIRED";
        case SubIndication::SigConstraintsFailure:
            return "SIG_CONSTRAINTS_FAILURE";
        case SubIndication::ChainConstraintsFailure:
            return "CHAIN_CONSTRAINTS_FAILURE";
        case SubIndication::CertificateChainGeneralFailure:
            return "CERTIFICATE_CHAIN_GENERAL_FAILURE";
        case SubIndication::CryptoConstraintsFailure:
            return "CRYPTO_CONSTRAINTS_FAILURE";
        case SubIndication::CryptoConstraintsFailureNoPoe:
            return "CRYPTO_CONSTRAINTS_FAILURE_NO_POE";
        case SubIndication::SignedDataNotFound:
            return "SIGNED_DATA_NOT_FOUND";
        case SubIndication::NoSigningCertificateFound:
            return "NO_SIGNING_CERTIFICATE_FOUND";
        case SubIndication::NoCertificateChainFound:
            return "NO_CERTIFICATE_CHAIN_FOUND";
        case SubIndication::RevokedNoPoe:
            return "REVOKED_NO_POE";
        case SubIndication::RevokedCaNoPoe:
            return "REVOKED_CA_NO_POE";
        case SubIndication::OutOfBoundsNoPoe:
            return "OUT_OF_BOUNDS_NO_POE";
        case SubIndication::OutOfBoundsNotRevoked:
            return "OUT_OF_BOUNDS_NOT_REVOKED";
        case SubIndication::TryLater:
            return "TRY_LATER";
        case SubIndication::NoPoe:
            return "NO_POE";
        case SubIndication::TimestampOrderFailure:
            return "TIMESTAMP_ORDER_FAILURE";
    }
    return "FORMAT_FAILURE";
}

std::optional<std::string_view> name(Level l) {
    switch (l) {
        case Level::None:
            return std::nullopt;
        case Level::BB:
            return "B-B";
        case Level::BT:
            return "B-T";
        case Level::BLT:
            return "B-LT";
        case Level::BLTA:
            return "B-LTA";
    }
    return std::nullopt;
}

bool DocumentReport::all_passed() const {
    if (error || (signatures.empty() && document_timestamps.empty())) return false;
    for (const auto& s : signatures) {
        if (s.verdict.indication != Indication::TotalPassed) return false;
    }
    for (const auto& t : document_timestamps) {
        if (t.verdict.indication != Indication::TotalPassed) return false;
    }
    return true;
}

namespace {

using json = nlohmann::ordered_json;

json time_json(const std::optional<TimePoint>& t) {
    return t ? json(format_rfc3339(*t)) : json(nullptr);
}

json sub_json(const Verdict& v) {
    return v.subindication ? json(std::string{name(*v.subindication)}) : json(nullptr);
}

json timestamp_json(const TimestampReport& t, bool with_kind) {
    json j;
    if (with_kind) j["kind"] = t.kind;
    if (!t.field.empty()) j["field"] = t.field;
    j["intact"] = t.intact;
    j["crypto_valid"] = t.crypto_valid;
    j["time"] = time_json(t.time);
    j["tsa"] = t.tsa.empty() ? json(nullptr) : json(t.tsa);
    // Issue 17: set from the trust configuration (trusted lists, the operator's trust file; decision 0030).
    j["tsa_accredited"] = t.tsa_accredited;
    j["tsa_label"] = t.tsa_label.empty() ? json(nullptr) : json(t.tsa_label);
    j["tsa_certificate_expiry"] = time_json(t.tsa_certificate_expiry);
    j["indication"] = std::string{name(t.verdict.indication)};
    j["subindication"] = sub_json(t.verdict);
    j["errors"] = t.errors;
    return j;
}

}  // namespace

std::string to_json(const std::vector<DocumentReport>& documents) {
    json docs = json::array();
    for (const auto& d : documents) {
        json jd;
        jd["file"] = d.file;
        jd["format"] = d.format ? json(*d.format) : json(nullptr);
        jd["error"] = d.error ? json(*d.error) : json(nullptr);
        json sigs = json::array();
        for (const auto& s : d.signatures) {
            json js;
            js["id"] = s.id;
            js["field"] = s.field.empty() ? json(nullptr) : json(s.field);
            js["signer"] = s.signer.empty() ? json(nullptr) : json(s.signer);
            js["signer_serial"] = s.signer_serial.empty() ? json(nullptr) : json(s.signer_serial);
            js["signer_certificate_expiry"] = time_json(s.signer_certificate_expiry);
            js["qualified"] = s.qualified;
            js["counter_signature_of"] =
                s.counter_signature_of ? json(*s.counter_signature_of) : json(nullptr);
            js["intact"] = s.intact;
            js["crypto_valid"] = s.crypto_valid;
            js["format_ok"] = s.format_ok;
            js["indication"] = std::string{name(s.verdict.indication)};
            js["subindication"] = sub_json(s.verdict);
            const auto level = name(s.level);
            js["level"] = level ? json(std::string{*level}) : json(nullptr);
            js["claimed_signing_time"] = time_json(s.claimed_signing_time);
            js["best_signature_time"] = time_json(s.best_signature_time);
            js["modification"] = {{"detected", s.modification.detected},
                                  {"changes", s.modification.changes},
                                  {"permitted_changes", s.modification.permitted}};
            json ts = json::array();
            for (const auto& t : s.timestamps)
                ts.push_back(timestamp_json(t, true));
            js["timestamps"] = ts;
            js["chain"] = s.chain;
            js["revocation"] = s.revocation;
            if (!s.sub_filter.empty()) js["sub_filter"] = s.sub_filter;
            if (!s.signature_algorithm.empty()) js["signature_algorithm"] = s.signature_algorithm;
            js["errors"] = s.errors;
            sigs.push_back(js);
        }
        jd["signatures"] = sigs;
        json dts = json::array();
        for (const auto& t : d.document_timestamps)
            dts.push_back(timestamp_json(t, false));
        jd["document_timestamps"] = dts;
        docs.push_back(jd);
    }
    json top = json::object();
    top["documents"] = docs;
    return top.dump(2) + "\n";
}

std::string to_text(const std::vector<DocumentReport>& documents) {
    std::ostringstream out;
    for (const auto& d : documents) {
        out << d.file << ": " << (d.format ? *d.format : std::string{"unknown format"});
        if (d.error) {
            out << " — error: " << *d.error << "\n";
            continue;
        }
        out << ", " << d.signatures.size() << " signature(s), " << d.document_timestamps.size()
            << " document time-stamp(s)\n";
        for (const auto& s : d.signatures) {
            out << "  " << s.id << (s.field.empty() ? "" : " [" + s.field + "]")
                << (s.counter_signature_of ? " (counter-signature of " + *s.counter_signature_of + ")" : "")
                << " " << s.signer << ": " << name(s.verdict.indication);
            if (s.verdict.subindication) out << "/" << name(*s.verdict.subindication);
            const auto level = name(s.level);
            out << (level ? " " + std::string{*level} : std::string{});
            if (s.best_signature_time && s.level >= Level::BT) {
                out << ", proven to exist at " << format_rfc3339(*s.best_signature_time);
            }
            out << "\n";
            for (const auto& c : s.modification.changes)
                out << "    changed after signing: " << c << "\n";
            for (const auto& e : s.errors)
                out << "    " << e << "\n";
        }
        for (const auto& t : d.document_timestamps) {
            out << "  document time-stamp" << (t.field.empty() ? "" : " [" + t.field + "]") << " " << t.tsa
                << ": " << name(t.verdict.indication);
            if (t.verdict.subindication) out << "/" << name(*t.verdict.subindication);
            if (t.time) out << " at " << format_rfc3339(*t.time);
            out << "\n";
            for (const auto& e : t.errors)
                out << "    " << e << "\n";
        }
    }
    return out.str();
}

namespace {

std::string xml_escape(std::string_view in) {
    std::string out;
    for (const char c : in) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string main_indication_uri(Indication i) {
    // TS 119 102-2 §5.2.5 (urn:etsi:019102:mainindication:...).
    switch (i) {
        case Indication::TotalPassed:
            return "urn:etsi:019102:mainindication:total-passed";
        case Indication::TotalFailed:
            return "urn:etsi:019102:mainindication:total-failed";
        case Indication::Indeterminate:
            return "urn:etsi:019102:mainindication:indeterminate";
    }
    return "urn:etsi:019102:mainindication:indeterminate";
}

void signature_report(std::ostringstream& out, const std::string& id, const std::string& signer,
                      const std::optional<TimePoint>& best, TimePoint validation_time,
                      const std::optional<TimePoint>& claimed, const Verdict& v, const std::string& process) {
    out << "  <vr:SignatureValidationReport>\n";
    out << "    <vr:SignatureIdentifier id=\"" << xml_escape(id) << "\">\n"
        << "      <vr:HashOnly>false</vr:HashOnly>\n      <vr:DocHashOnly>false</vr:DocHashOnly>\n"
        << "    </vr:SignatureIdentifier>\n";
    out << "    <vr:ValidationTimeInfo>\n      <vr:ValidationTime>" << format_rfc3339(validation_time)
        << "</vr:ValidationTime>\n";
    if (best) {
        out << "      <vr:BestSignatureTime>\n        <vr:POETime>" << format_rfc3339(*best)
            << "</vr:POETime>\n        <vr:TypeOfProof>urn:etsi:019102:poetype:validation</vr:TypeOfProof>\n"
            << "      </vr:BestSignatureTime>\n";
    }
    out << "    </vr:ValidationTimeInfo>\n";
    if (claimed) {
        out << "    <vr:SignatureAttributes>\n      <vr:SigningTime Signed=\"true\">\n        <vr:Time>"
            << format_rfc3339(*claimed)
            << "</vr:Time>\n      </vr:SigningTime>\n    </vr:SignatureAttributes>\n";
    }
    if (!signer.empty()) {
        out << "    <vr:SignerInformation>\n      <vr:Signer>" << xml_escape(signer)
            << "</vr:Signer>\n    </vr:SignerInformation>\n";
    }
    out << "    <vr:SignatureValidationProcess>\n      <vr:SignatureValidationProcessID>" << process
        << "</vr:SignatureValidationProcessID>\n    </vr:SignatureValidationProcess>\n";
    out << "    <vr:SignatureValidationStatus>\n      <vr:MainIndication>"
        << main_indication_uri(v.indication) << "</vr:MainIndication>\n";
    if (v.subindication) {
        out << "      <vr:SubIndication>urn:etsi:019102:subindication:" << name(*v.subindication)
            << "</vr:SubIndication>\n";
    }
    out << "    </vr:SignatureValidationStatus>\n  </vr:SignatureValidationReport>\n";
}

}  // namespace

std::string to_etsi_xml(const std::vector<DocumentReport>& documents, TimePoint validation_time) {
    std::ostringstream out;
    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        << "<vr:ValidationReport xmlns:vr=\"http://uri.etsi.org/19102/v1.2.1#\">\n";
    std::size_t n = 0;
    for (const auto& d : documents) {
        const std::string prefix = "D" + std::to_string(n++) + "-";
        for (const auto& s : d.signatures) {
            // EN 319 102-1 §5.6 when the signature is long-term, §5.5 with a time-stamp, else §5.3.
            const std::string process = s.level == Level::BLTA ? "urn:etsi:019102:validationprocess:LTA"
                                        : s.level >= Level::BT ? "urn:etsi:019102:validationprocess:LTVM"
                                                               : "urn:etsi:019102:validationprocess:Basic";
            signature_report(out, prefix + s.id, s.signer, s.best_signature_time, validation_time,
                             s.claimed_signing_time, s.verdict, process);
        }
        std::size_t t = 0;
        for (const auto& ts : d.document_timestamps) {
            signature_report(out, prefix + "T" + std::to_string(t++), ts.tsa, ts.time, validation_time,
                             std::nullopt, ts.verdict, "urn:etsi:019102:validationprocess:Basic");
        }
    }
    out << "</vr:ValidationReport>\n";
    return out.str();
}

}  // namespace inkan::validation
