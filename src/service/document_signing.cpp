// signatures/signDoc (document_signing.h). Order: the request's shape → every entry's profile
// (format, level, envelope, signed props, algorithm vs hashAlgorithmOID, sizes) → each PDF written to
// the work directory and opened (not a PDF, truncated, encrypted, certified with P=1: refused here) →
// the SDRs (hash of each whole document, or each given digest) spent in ONE ledger transaction
// (Authorization::sign_documents, the same as signHash) → the ades layer signs with the HSM key.
// Nothing is spent for a request that can be refused by looking at it — nor for one whose signer chain
// has no reachable revocation data or is revoked, when the level or returnValidationInfo needs that data
// (decision 0014). A TSA or responder of a time-stamp chain that fails after the spend fails the request
// with the SAD spent (the HSM has signed).

#include <inkan/service/document_signing.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <system_error>

#include <inkan/ades/cades.h>
#include <inkan/ades/lt.h>
#include <inkan/ades/pades.h>
#include <inkan/core/encoding.h>
#include <inkan/core/log.h>
#include <inkan/crypto/digest.h>
#include <inkan/crypto/random.h>
#include <inkan/net/url_guard.h>
#include <inkan/pdf/document.h>
#include <inkan/xades/xades.h>

#include "document_work.h"

namespace inkan::service {

namespace fs = std::filesystem;

namespace {

constexpr std::array kDocFailures{
    std::pair{DocFailure::BothInputs, std::string_view{"both_inputs"}},
    std::pair{DocFailure::NoInputs, std::string_view{"no_inputs"}},
    std::pair{DocFailure::InvalidFormat, std::string_view{"invalid_format"}},
    std::pair{DocFailure::InvalidLevel, std::string_view{"invalid_level"}},
    std::pair{DocFailure::InvalidEnvelope, std::string_view{"invalid_envelope"}},
    std::pair{DocFailure::InvalidSignedProps, std::string_view{"invalid_signed_props"}},
    std::pair{DocFailure::InvalidAppearance, std::string_view{"invalid_appearance"}},
    std::pair{DocFailure::HashContradicts, std::string_view{"hash_contradicts"}},
    std::pair{DocFailure::InvalidDigestLength, std::string_view{"invalid_digest_length"}},
    std::pair{DocFailure::InvalidDocument, std::string_view{"invalid_document"}},
    std::pair{DocFailure::DocumentTooLarge, std::string_view{"document_too_large"}},
    std::pair{DocFailure::ValidationUnavailable, std::string_view{"validation_unavailable"}},
    std::pair{DocFailure::SignerRevoked, std::string_view{"signer_revoked"}},
};

std::string lower(std::string_view s) {
    std::string out{s};
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

enum class Format { Pades, Cades, Xades };
enum class Envelope { Certification, Revision, Attached, Detached, Enveloped, Enveloping };

/// One entry, checked: what to build.
struct Plan {
    bool is_digest = false;
    Format format = Format::Cades;
    ades::Level level = ades::Level::BB;
    Envelope envelope = Envelope::Attached;
    crypto::SignatureAlgorithm algorithm;
    std::string reason, location, name, contact_info, commitment_type;
    Bytes document;
    std::vector<Bytes> sdrs;  ///< the document's hash, or the given hashes
    fs::path pdf_in;          ///< PAdES: the document in the work directory
    std::string label;        ///< for the audit entry
    std::optional<ades::VisibleSignature> appearance;
    std::size_t page = 0;
};

/// CSC v2 §11.11 conformance_level, parsed case-insensitively (csc-api.md §7); the older ETSI TS names
/// (Ades-B, Ades-T, Ades-LT, Ades-LTA) are the same levels.
ades::Level parse_level(const std::string& text, bool have_stamper, bool have_revocation) {
    const std::string l = lower(text);
    if (l.empty() || l == "ades-b-b" || l == "ades-b") {
        return ades::Level::BB;
    }
    ades::Level level = ades::Level::BT;
    if (l == "ades-b-lt" || l == "ades-lt") {
        level = ades::Level::BLT;
    } else if (l == "ades-b-lta" || l == "ades-lta") {
        level = ades::Level::BLTA;
    } else if (l != "ades-b-t" && l != "ades-t") {
        refuse(DocFailure::InvalidLevel, "unknown conformance_level");
    }
    if (!have_stamper) {
        refuse(DocFailure::InvalidLevel, "Ades-" + std::string{ades::name(level)} +
                                             " needs a time-stamping authority; none is configured");
    }
    if (level >= ades::Level::BLT && !have_revocation) {
        refuse(DocFailure::InvalidLevel,
               "Ades-" + std::string{ades::name(level)} + " needs revocation data; no fetcher is configured");
    }
    return level;
}

/// signed_envelope_property per format (csc-api.md §7 table); the first allowed value is the default,
/// except for digests, which can only be signed detached.
Envelope parse_envelope(Format format, bool is_digest, const std::string& text) {
    const std::string e = lower(text);
    if (format == Format::Pades) {
        if (e.empty() || e == "certification") {
            return Envelope::Certification;
        }
        if (e == "revision") {
            return Envelope::Revision;
        }
    } else if (format == Format::Xades) {
        // csc-api.md §7: Enveloped (default), Enveloping, Detached; a document is always given.
        if (e.empty() || e == "enveloped") {
            return Envelope::Enveloped;
        }
        if (e == "enveloping") {
            return Envelope::Enveloping;
        }
        if (e == "detached") {
            return Envelope::Detached;
        }
    } else {
        if (e == "detached" || (e.empty() && is_digest)) {
            return Envelope::Detached;
        }
        if ((e.empty() || e == "attached") && !is_digest) {
            return Envelope::Attached;
        }
    }
    refuse(DocFailure::InvalidEnvelope, "signed_envelope_property '" + text + "' does not fit the format");
}

void apply_signed_props(Plan& plan, const std::vector<std::pair<std::string, std::string>>& props) {
    for (const auto& [name, value] : props) {
        const std::string n = lower(name);
        if (plan.format == Format::Pades && n == "reason") {
            plan.reason = value;
        } else if (plan.format == Format::Pades && n == "location") {
            plan.location = value;
        } else if (plan.format == Format::Pades && n == "name") {
            plan.name = value;
        } else if (plan.format == Format::Pades && n == "contactinfo") {
            plan.contact_info = value;
        } else if (n == "commitment-type-indication" || n == "1.2.840.113549.1.9.16.2.16") {
            // The value names a commitment type by its OID (ETSI EN 319 122-1 §5.2.3).
            const bool oid = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
                return std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '.';
            });
            if (!oid) {
                refuse(DocFailure::InvalidSignedProps, "commitment-type-indication must be an OID");
            }
            plan.commitment_type = value;
        } else {
            refuse(DocFailure::InvalidSignedProps, "unknown signed property '" + name + "'");
        }
        if (value.size() > 1000) {
            refuse(DocFailure::InvalidSignedProps, "signed property '" + name + "' is too long");
        }
    }
}

std::string label_of(const Plan& p) {
    std::string out = p.format == Format::Pades ? "PAdES " : p.format == Format::Xades ? "XAdES " : "CAdES ";
    out += ades::name(p.level);
    switch (p.envelope) {
        case Envelope::Certification:
            out += " Certification";
            break;
        case Envelope::Revision:
            out += " Revision";
            break;
        case Envelope::Attached:
            out += " Attached";
            break;
        case Envelope::Detached:
            out += " Detached";
            break;
        case Envelope::Enveloped:
            out += " Enveloped";
            break;
        case Envelope::Enveloping:
            out += " Enveloping";
            break;
    }
    if (p.is_digest) {
        out += " (digest)";
    }
    return out;
}

}  // namespace

std::string_view name(DocFailure f) {
    for (const auto& [v, text] : kDocFailures) {
        if (v == f) {
            return text;
        }
    }
    return "unknown";
}

std::optional<DocFailure> doc_failure(const Error& e) {
    return reason_of<DocFailure>(e);
}

DocumentSigning::DocumentSigning(Authorization& authorization, ades::TimeStamper* stamper,
                                 pki::RevocationFetcher* revocation, const Clock& clock,
                                 DocumentSigningSettings settings)
    : m_authorization{authorization},
      m_stamper{stamper},
      m_revocation{revocation},
      m_clock{clock},
      m_settings{std::move(settings)} {
    require(m_settings.certify_permissions >= 1 && m_settings.certify_permissions <= 3, Errc::InvalidConfig,
            "signing.certify_permissions must be 1, 2 or 3");
    require(!m_settings.work_dir.empty(), Errc::InvalidConfig, "signDoc: no work directory");
}

std::vector<std::string> DocumentSigning::conformance_levels() const {
    std::vector<std::string> out{"Ades-B-B"};
    if (m_stamper != nullptr) {
        out.emplace_back("Ades-B-T");
        if (m_revocation != nullptr) {
            out.emplace_back("Ades-B-LT");
            out.emplace_back("Ades-B-LTA");
        }
    }
    return out;
}

SignDocResult DocumentSigning::sign(const Caller& caller, SignDocRequest request) {
    return prepare(caller, std::move(request))();
}

namespace {
/// What the checks before the spend leave for the signing after it: the plans and their work directory
/// (removed when the job is gone).
/// An item's scheme, resolved against the credential's key, and the digest the client named with it.
struct Resolved {
    crypto::SignatureAlgorithm algorithm;
    std::optional<crypto::DigestAlgorithm> given;
};

struct Prepared {
    explicit Prepared(const fs::path& parent) : work{parent, "signdoc"} {}
    WorkDir work;
    std::vector<Plan> plans;
};
}  // namespace

std::function<SignDocResult()> DocumentSigning::prepare(const Caller& caller, SignDocRequest request) {
    // Every OCSP/CRL/caIssuers fetch of this call shares one time and byte budget (decision 0016).
    std::optional<net::ScopedFetchBudget> outer_budget;
    if (m_revocation != nullptr) {
        outer_budget.emplace(m_revocation->budget());
    }
    // The credential read once for the request (decision 0043), and each item's scheme resolved against
    // its key. When signAlgo fixes the digest (sha256WithRSAEncryption, ECDSA, PSS with its parameters)
    // hashAlgorithmOID is only compared with it, and a mismatch gets the spec's own text (csc-api.md
    // §6.1, §7); generic rsaEncryption takes its digest from it.
    SigningCredential signing = m_authorization.signing_credential(caller, request.credential_id, "sign_doc",
                                                                   request.signature_qualifier);
    const auto resolve = [&](SignDocItem& item) {
        AlgorithmChoice choice = std::move(item.algorithm);
        std::optional<crypto::DigestAlgorithm> given;
        if (choice.hash_algo) {
            given = crypto::digest_from_oid(*choice.hash_algo);
            if (!given || !crypto::spec(*given).allowed_for_signing) {
                throw Refused<AlgorithmRefusal>{Errc::UnsupportedAlgorithm, AlgorithmRefusal::HashAlgo,
                                                "hash algorithm " + *choice.hash_algo + " is not allowed"};
            }
        }
        const auto info = crypto::signature_oid_info(choice.sign_algo);
        if (info && (info->digest || info->padding == crypto::Padding::Pss)) {
            choice.hash_algo.reset();
        }
        return Resolved{m_authorization.algorithms().resolve(signing.key.type, choice), given};
    };
    std::vector<Resolved> resolved_documents;
    std::vector<Resolved> resolved_digests;
    for (auto& item : request.documents) {
        resolved_documents.push_back(resolve(item));
    }
    for (auto& item : request.digests) {
        resolved_digests.push_back(resolve(item));
    }
    const std::vector<Bytes>& signer_chain = signing.credential.chain;

    // CSC v2 §11.11: one of the two, never both (csc-api.md §7).
    if (request.documents_given && request.digests_given) {
        refuse(DocFailure::BothInputs, "Both documentDigests and documents parameters passed");
    }
    if (request.documents.empty() && request.digests.empty()) {
        refuse(DocFailure::NoInputs, "Empty documentDigests and documents objects");
    }

    auto prepared = std::make_shared<Prepared>(m_settings.work_dir);
    std::vector<Plan>& planned = prepared->plans;
    const auto plan_of = [&](SignDocItem& item, const Resolved& scheme, bool is_digest) {
        Plan p;
        p.is_digest = is_digest;
        const std::string f = item.signature_format;
        if (f == "P" && !is_digest) {
            p.format = Format::Pades;
        } else if (f == "C") {
            p.format = Format::Cades;
        } else if (f == "X" && !is_digest) {
            p.format = Format::Xades;
        } else {
            // J (JAdES) comes later; a PAdES or XAdES signature needs the document itself.
            refuse(DocFailure::InvalidFormat, "signature_format '" + f + "' is not supported here");
        }
        p.level = parse_level(item.conformance_level, m_stamper != nullptr, m_revocation != nullptr);
        p.envelope = parse_envelope(p.format, is_digest, item.signed_envelope_property);
        apply_signed_props(p, item.signed_props);
        if (item.appearance) {
            if (p.format != Format::Pades) {
                refuse(DocFailure::InvalidAppearance, "a visible signature is for signature_format P");
            }
            p.appearance = std::move(item.appearance);
            p.appearance->font = m_settings.appearance_font;
            p.page = item.page;
            // Bad text, a name that does not fit, an unusable font: refused before the SAD is spent.
            ades::PadesOptions check;
            check.reason = p.reason;
            check.location = p.location;
            check.clock = &m_clock;
            check.appearance = p.appearance;
            std::string cn;
            if (!signer_chain.empty()) {
                const auto leaf = pki::Certificate::from_der(signer_chain.front());
                cn = leaf.subject_name().first(pki::NameAttribute::CommonName).value_or(leaf.subject());
            }
            try {
                ades::check_appearance(check, cn);
            } catch (const Error& e) {
                if (e.code() != Errc::InvalidRequest && e.code() != Errc::NotFound &&
                    e.code() != Errc::InvalidEncoding) {
                    throw;  // no font installed (InvalidConfig), a too large font file: the server's
                }
                refuse(DocFailure::InvalidAppearance, e.detail());
            }
        }
        p.algorithm = scheme.algorithm;
        if (scheme.given && *scheme.given != p.algorithm.digest) {
            refuse(DocFailure::HashContradicts, "hashAlgorithmOID contradicts with signAlgo");
        }
        if (is_digest) {
            if (item.hashes.empty()) {
                refuse(DocFailure::NoInputs, "Empty documentDigests and documents objects");
            }
            for (const auto& h : item.hashes) {
                if (h.size() != crypto::digest_length(p.algorithm.digest)) {
                    refuse(DocFailure::InvalidDigestLength, "Invalid digest value length");
                }
            }
            p.sdrs = std::move(item.hashes);
        } else {
            if (item.document.size() > m_settings.max_document_bytes) {
                refuse(
                    DocFailure::DocumentTooLarge,
                    "a document is larger than " + std::to_string(m_settings.max_document_bytes) + " bytes",
                    Errc::PayloadTooLarge);
            }
            if (item.document.empty()) {
                refuse(DocFailure::InvalidDocument, "an empty document");
            }
            p.document = std::move(item.document);
        }
        p.label = label_of(p);
        planned.push_back(std::move(p));
    };
    for (std::size_t i = 0; i < request.documents.size(); ++i) {
        plan_of(request.documents[i], resolved_documents[i], false);
    }
    for (std::size_t i = 0; i < request.digests.size(); ++i) {
        plan_of(request.digests[i], resolved_digests[i], true);
    }

    // PDFs go to disk (the pdf layer works on files) and are opened now: a bad document is refused
    // before the SAD is spent.
    const WorkDir& workdir = prepared->work;
    for (std::size_t i = 0; i < planned.size(); ++i) {
        Plan& p = planned[i];
        if (p.is_digest) {
            continue;
        }
        p.sdrs = {crypto::digest(p.algorithm.digest, p.document)};
        if (p.format == Format::Xades && p.envelope == Envelope::Enveloped) {
            // Not XML, or a DTD with entities / attribute defaults: refused before anything is spent.
            try {
                xades::check_xml(p.document);
            } catch (const Error& e) {
                refuse(DocFailure::InvalidDocument, e.what());
            }
        }
        if (p.format != Format::Pades) {
            continue;
        }
        p.pdf_in = workdir.path() / ("in-" + std::to_string(i) + ".pdf");
        write_bytes(p.pdf_in, p.document);
        p.document = Bytes{};  // the file holds it now
        try {
            const pdf::Document doc = pdf::Document::open(p.pdf_in);
            if (doc.docmdp() == 1) {
                refuse(DocFailure::InvalidDocument,
                       "the document is certified with no changes allowed (P=1)");
            }
            if (p.envelope == Envelope::Certification && doc.signature_count() > 0) {
                refuse(DocFailure::InvalidDocument,
                       "a signed document cannot be certified; use signed_envelope_property Revision");
            }
        } catch (const Error& e) {
            rethrow_document_error(e);
        }
    }

    // B-LT/B-LTA and returnValidationInfo need the signer chain's revocation data: fetched now (the
    // fetcher caches it for the signing that follows), so a responder that is down or a revoked signer
    // is refused before the SAD is spent.
    const bool lt = std::any_of(planned.begin(), planned.end(),
                                [](const Plan& p) { return p.level >= ades::Level::BLT; });
    if (request.return_validation_info && m_revocation == nullptr) {
        refuse(DocFailure::ValidationUnavailable, "no revocation fetcher is configured", Errc::Unavailable);
    }
    if ((lt || request.return_validation_info) && !signer_chain.empty()) {
        const pki::ValidationData signer =
            with_validation_failures([&] { return m_revocation->collect(signer_chain); });
        for (const auto& [cert, status] : signer.statuses) {
            if (cert == signer_chain.front() && status == pki::CertStatus::Revoked &&
                m_settings.refuse_revoked) {
                refuse(DocFailure::SignerRevoked,
                       "Signing certificate '" + pki::Certificate::from_der(cert).subject() + "' is revoked",
                       Errc::Conflict);
            }
        }
    }

    DocumentSignRequest spend;
    spend.sad = std::move(request.sad);
    for (const auto& p : planned) {
        for (const auto& sdr : p.sdrs) {
            spend.documents.push_back({sdr, p.algorithm, p.label});
        }
    }

    Authorization::DocumentRun run =
        m_authorization.spend_documents(caller, std::move(signing), std::move(spend));
    outer_budget.reset();
    // The SAD is spent: what follows runs now (signDoc) or later on a worker (operationMode "A"), once,
    // with a fetch budget of its own.
    return [this, prepared, run = std::move(run),
            return_validation_info = request.return_validation_info]() -> SignDocResult {
        std::optional<net::ScopedFetchBudget> budget;
        if (m_revocation != nullptr) {
            budget.emplace(m_revocation->budget());
        }
        const std::vector<Plan>& plans = prepared->plans;
        const WorkDir& work = prepared->work;
        SignDocResult result;
        if (return_validation_info) {
            result.validation_info.emplace();
        }
        // The validation data of a signature that does not embed it (B-B/B-T), for validationInfo.
        const auto returned = [&](ByteView cms) {
            if (result.validation_info) {
                result.validation_info->merge(ades::cms_validation_data(cms, *m_revocation));
            }
        };
        const auto produce_all = [&](sign::Signer& signer) {
            for (std::size_t i = 0; i < plans.size(); ++i) {
                const Plan& p = plans[i];
                if (p.format == Format::Pades) {
                    ades::PadesOptions o;
                    o.level = p.level;
                    o.algorithm = p.algorithm;
                    o.clock = &m_clock;
                    o.name = p.name;
                    o.reason = p.reason;
                    o.location = p.location;
                    o.contact_info = p.contact_info;
                    o.commitment_type = p.commitment_type;
                    o.appearance = p.appearance;
                    o.page = p.page;
                    o.time_stamper = m_stamper;
                    o.revocation = m_revocation;
                    o.refuse_revoked = m_settings.refuse_revoked;
                    o.vri = m_settings.vri;
                    o.document_time_stamp_validation = m_settings.document_time_stamp_validation;
                    if (p.envelope == Envelope::Certification) {
                        o.certify = m_settings.certify_permissions;
                    }
                    const fs::path out = work.path() / ("out-" + std::to_string(i) + ".pdf");
                    const ades::PadesResult r = ades::sign_pdf(p.pdf_in, out, signer, o);
                    if (result.validation_info && p.level >= ades::Level::BLT) {
                        result.validation_info->merge(r.validation);
                    } else if (result.validation_info) {
                        for (const auto& sig : pdf::Document::open(out).signatures()) {
                            if (sig.field_name == r.field_name) {
                                returned(sig.contents);
                            }
                        }
                    }
                    result.documents_with_signature.push_back(read_bytes(out));
                    continue;
                }
                if (p.format == Format::Xades) {
                    xades::XadesOptions o;
                    o.level = p.level;
                    o.algorithm = p.algorithm;
                    o.clock = &m_clock;
                    if (!p.commitment_type.empty()) {
                        o.commitment_type = xades::commitment::from_oid(p.commitment_type);
                    }
                    o.time_stamper = m_stamper;
                    o.revocation = m_revocation;
                    o.refuse_revoked = m_settings.refuse_revoked;
                    pki::ValidationData used;
                    if (p.level >= ades::Level::BLT) {
                        o.validation_used = &used;
                    }
                    if (p.envelope == Envelope::Enveloped) {
                        result.documents_with_signature.push_back(
                            xades::sign_xades(xades::XadesContent::enveloped(p.document), signer, o));
                    } else if (p.envelope == Envelope::Enveloping) {
                        result.documents_with_signature.push_back(xades::sign_xades(
                            xades::XadesContent::enveloping({{p.document, "application/octet-stream"}}),
                            signer, o));
                    } else {
                        // The CSC request names no file: the reference is URI="document", which the relying
                        // party resolves to the document it holds.
                        std::istringstream content{to_string(p.document)};
                        result.signature_objects.push_back(
                            xades::sign_xades(xades::XadesContent::detached(
                                                  {{"document", &content, "application/octet-stream"}}),
                                              signer, o));
                    }
                    if (result.validation_info) {
                        // B-LT: what CertificateValues/RevocationValues got; below: the signer chain's data.
                        result.validation_info->merge(
                            p.level >= ades::Level::BLT ? used
                                                        : m_revocation->collect(signer.certificate_chain()));
                    }
                    continue;
                }
                ades::CadesOptions o;
                o.level = p.level;
                o.algorithm = p.algorithm;
                o.clock = &m_clock;
                o.commitment_type = p.commitment_type;
                o.time_stamper = m_stamper;
                o.revocation = m_revocation;
                o.refuse_revoked = m_settings.refuse_revoked;
                // B-LT/B-LTA: what went into SignedData.certificates/crls; B-B/B-T: fetched, not embedded.
                const auto sign_one = [&](const ades::CadesContent& content) {
                    pki::ValidationData used;
                    if (p.level >= ades::Level::BLT) {
                        o.validation_used = &used;
                    }
                    Bytes cms = ades::sign_cades(content, signer, o);
                    if (p.level < ades::Level::BLT) {
                        returned(cms);
                    } else if (result.validation_info) {
                        result.validation_info->merge(used);
                    }
                    return cms;
                };
                if (p.envelope == Envelope::Attached) {
                    result.documents_with_signature.push_back(
                        sign_one(ades::CadesContent::enveloping(p.document)));
                    continue;
                }
                // Detached: the SDR is the content's digest, so the CMS is the same as from the content.
                for (const auto& sdr : p.sdrs) {
                    result.signature_objects.push_back(
                        sign_one(ades::CadesContent::detached_digest(p.algorithm.digest, sdr)));
                }
            }
        };
        run([&](sign::Signer& signer) { with_validation_failures([&] { produce_all(signer); }); });
        return result;
    };
}

}  // namespace inkan::service
