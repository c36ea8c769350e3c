// Extension (extension.h): a PDF is written to a work directory, opened (the pdf layer's refusals),
// checked for a signature, then ades::extend_pdf (DSS update + document time-stamp) writes the extended
// file. A CMS is parsed, checked for a SignerInfo and (detached) its content against every
// message-digest, then ades::extend_cades adds the validation data and an archive-time-stamp-v3, the
// content streamed from the work directory. An XML document (XAdES) is inspected (signatures with
// QualifyingProperties, the external document of a detached one), then xades::extend_xades adds what is
// missing up to B-LT and a new archive time-stamp. Every document is checked before any is extended.

#include <inkan/service/extension.h>

#include <fstream>
#include <string_view>

#include <inkan/ades/cades.h>
#include <inkan/ades/lt.h>
#include <inkan/cms/signed_data.h>
#include <inkan/core/log.h>
#include <inkan/crypto/digest.h>
#include <inkan/net/url_guard.h>
#include <inkan/pdf/document.h>
#include <inkan/xades/xades.h>

#include "document_work.h"

namespace inkan::service {

namespace fs = std::filesystem;

Extension::Extension(ades::TimeStamper* stamper, pki::RevocationFetcher* revocation,
                     ExtensionSettings settings)
    : m_stamper{stamper}, m_revocation{revocation}, m_settings{std::move(settings)} {
    require(m_stamper != nullptr && m_revocation != nullptr, Errc::InvalidConfig,
            "extend: needs a time-stamping authority and a revocation fetcher");
    require(!m_settings.work_dir.empty(), Errc::InvalidConfig, "extend: no work directory");
}

namespace {

bool starts_with_pdf(ByteView data) {
    static constexpr std::string_view kHeader = "%PDF";
    return data.size() >= kHeader.size() &&
           std::string_view{reinterpret_cast<const char*>(data.data()), kHeader.size()} == kHeader;
}

/// The ades layer's reason without its "cades: " prefix.
std::string cades_reason(const Error& e) {
    const std::string& d = e.detail();
    return d.rfind("cades: ", 0) == 0 ? d.substr(7) : d;
}

/// One checked document, ready to extend.
struct Prepared {
    bool xades = false;
    Bytes xml;                     ///< XAdES: the document
    std::optional<Bytes> content;  ///< XAdES: the one external document of a detached signature
    std::string content_uri;       ///< ... and the URI its ds:Reference names
    bool cades = false;
    fs::path path;          ///< PAdES: the PDF; CAdES detached: the content
    Bytes cms;              ///< CAdES: the DER
    bool detached = false;  ///< CAdES: content at `path`
};

/// Checks a CMS the way extend_cades would, before anything is extended: it parses as SignedData with a
/// SignerInfo, and a detached one comes with content matching every SignerInfo's message-digest.
Prepared prepare_cades(const ExtendItem& item, const fs::path& content_path) {
    Prepared p;
    p.cades = true;
    std::optional<Bytes> der;
    try {
        der = ades::cms_der(item.document);
    } catch (const Error& e) {
        refuse(DocFailure::InvalidDocument, cades_reason(e));
    }
    if (!der) {
        refuse(DocFailure::InvalidDocument, "not a CMS (neither DER nor PEM)");
    }
    cms::SignedData sd;
    try {
        sd = cms::parse(*der);
    } catch (const Error& e) {
        refuse(DocFailure::InvalidDocument, "not a CMS SignedData (" + e.detail() + ")");
    }
    if (sd.signer_infos.empty()) {
        refuse(DocFailure::InvalidDocument, "the CMS holds no signature to extend");
    }
    if (sd.content) {
        if (item.content) {
            refuse(DocFailure::InvalidDocument,
                   "the CMS encapsulates its content: content is only for a detached CMS");
        }
    } else {
        if (!item.content) {
            refuse(DocFailure::InvalidDocument, "the CMS is detached: pass its signed content in content");
        }
        for (std::size_t i = 0; i < sd.signer_infos.size(); ++i) {
            const auto& si = sd.signer_infos[i];
            Bytes expected;
            try {
                expected = si.message_digest();
            } catch (const Error& e) {
                refuse(DocFailure::InvalidDocument, e.detail());
            }
            if (crypto::digest(si.digest_algorithm, *item.content) != expected) {
                refuse(DocFailure::InvalidDocument,
                       "the content does not match the message-digest of SignerInfo " + std::to_string(i));
            }
        }
        write_bytes(content_path, *item.content);
        p.path = content_path;
        p.detached = true;
    }
    p.cms = std::move(*der);
    return p;
}

}  // namespace

/// The xades layer's reason without its "xades: " / "xml: " prefix.
std::string xades_reason(const Error& e) {
    const std::string& d = e.detail();
    return d.rfind("xades: ", 0) == 0 ? d.substr(7) : d;
}

/// Checks an XML document the way extend_xades would: it parses, holds XAdES signatures, and a detached
/// one (a single external document; CSC names no file) comes with its content.
Prepared prepare_xades(ExtendItem& item) {
    Prepared p;
    p.xades = true;
    xades::XadesSummary summary;
    try {
        summary = xades::inspect_xades(item.document);
    } catch (const Error& e) {
        if (e.code() == Errc::PayloadTooLarge)
            refuse(DocFailure::DocumentTooLarge, xades_reason(e), e.code());
        refuse(DocFailure::InvalidDocument, xades_reason(e));
    }
    if (summary.external_uris.size() > 1) {
        refuse(DocFailure::InvalidDocument, "the XAdES signs " +
                                                std::to_string(summary.external_uris.size()) +
                                                " external documents; one content can be given");
    }
    if (summary.external_uris.size() == 1 && !item.content) {
        refuse(DocFailure::InvalidDocument, "the XAdES is detached: pass the document its reference \"" +
                                                summary.external_uris.front() + "\" names in content");
    }
    if (summary.external_uris.empty() && item.content) {
        refuse(DocFailure::InvalidDocument, "content is only for a detached signature (CAdES or XAdES)");
    }
    if (!summary.external_uris.empty()) {
        p.content = std::move(item.content);
        p.content_uri = summary.external_uris.front();
    }
    p.xml = std::move(item.document);
    return p;
}

ExtendDocumentsResult Extension::extend(const Caller& caller, ExtendDocumentsRequest request) {
    if (request.documents.empty()) {
        refuse(DocFailure::NoInputs, "Empty documents");
    }
    // Every OCSP/CRL/caIssuers fetch of this call shares one time and byte budget (decision 0016).
    const net::ScopedFetchBudget budget{m_revocation->budget()};
    WorkDir work{m_settings.work_dir, "extend"};
    std::vector<Prepared> inputs;
    for (std::size_t i = 0; i < request.documents.size(); ++i) {
        ExtendItem& item = request.documents[i];
        const std::string& format = item.signature_format;
        if (!format.empty() && format != "P" && format != "C" && format != "X") {
            refuse(DocFailure::InvalidFormat,
                   "signature_format '" + format + "' cannot be extended (only P, C and X)");
        }
        if (item.document.size() > m_settings.max_document_bytes ||
            (item.content && item.content->size() > m_settings.max_document_bytes)) {
            refuse(DocFailure::DocumentTooLarge,
                   "a document is larger than " + std::to_string(m_settings.max_document_bytes) + " bytes",
                   Errc::PayloadTooLarge);
        }
        if (item.document.empty()) {
            refuse(DocFailure::InvalidDocument, "an empty document");
        }
        // Without a format: by the bytes. Anything that is neither stays with the PDF path, whose
        // refusal ("not a PDF") is the one a client of the PAdES route already knows.
        if (format == "X" || (format.empty() && xades::looks_like_xml(item.document))) {
            inputs.push_back(prepare_xades(item));
            item = ExtendItem{};
            continue;
        }
        bool cades = format == "C";
        if (format.empty() && !starts_with_pdf(item.document)) {
            try {
                cades = ades::cms_der(item.document).has_value();
            } catch (const Error&) {
                cades = true;  // a PEM CMS block with broken base64: refused as a CMS below
            }
        }
        if (cades) {
            inputs.push_back(prepare_cades(item, work.path() / ("content-" + std::to_string(i))));
            item = ExtendItem{};
            continue;
        }
        if (item.content) {
            refuse(DocFailure::InvalidDocument, "content is only for a detached signature (CAdES or XAdES)");
        }
        const fs::path in = work.path() / ("in-" + std::to_string(i) + ".pdf");
        write_bytes(in, item.document);
        item.document = Bytes{};
        try {
            const pdf::Document doc = pdf::Document::open(in);
            if (doc.signature_count() == 0) {
                refuse(DocFailure::InvalidDocument, "the document holds no signature to extend");
            }
        } catch (const Error& e) {
            rethrow_document_error(e);
        }
        Prepared p;
        p.path = in;
        inputs.push_back(std::move(p));
    }

    ExtendDocumentsResult result;
    if (request.return_validation_info) {
        result.validation_info.emplace();
    }
    ades::ExtendOptions options;
    options.lt.refuse_revoked = m_settings.refuse_revoked;
    options.lt.vri = m_settings.vri;
    options.document_time_stamp_validation = m_settings.document_time_stamp_validation;
    std::size_t signatures = 0;
    ades::CadesExtendOptions cades_options;
    cades_options.refuse_revoked = m_settings.refuse_revoked;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const Prepared& p = inputs[i];
        if (p.xades) {
            pki::ValidationData used;
            xades::XadesExtendOptions o;
            o.refuse_revoked = m_settings.refuse_revoked;
            o.validation_used = &used;
            if (p.content) o.detached.push_back({p.content_uri, *p.content});
            Bytes extended;
            try {
                extended = with_validation_failures(
                    [&] { return xades::extend_xades(p.xml, *m_stamper, m_revocation, o); });
            } catch (const Error& e) {
                if (!doc_failure(e) &&
                    (e.code() == Errc::InvalidRequest || e.code() == Errc::InvalidEncoding ||
                     e.code() == Errc::UnsupportedAlgorithm)) {
                    refuse(DocFailure::InvalidDocument, xades_reason(e));
                }
                throw;
            }
            signatures += xades::inspect_xades(extended).signatures;
            if (result.validation_info) {
                result.validation_info->merge(used);
            }
            result.documents.push_back(std::move(extended));
            continue;
        }
        if (p.cades) {
            pki::ValidationData used;
            ades::CadesExtendOptions o = cades_options;
            o.validation_used = &used;
            Bytes extended;
            try {
                extended = with_validation_failures([&] {
                    if (!p.detached) {
                        return ades::extend_cades(p.cms, ades::CadesExtendInput::encapsulated(),
                                                  *m_revocation, *m_stamper, o);
                    }
                    std::ifstream content{p.path, std::ios::binary};
                    require(content.good(), Errc::IoFailure, "cannot read the content back");
                    return ades::extend_cades(p.cms, ades::CadesExtendInput::detached(content), *m_revocation,
                                              *m_stamper, o);
                });
            } catch (const Error& e) {
                if (!doc_failure(e) &&
                    (e.code() == Errc::InvalidRequest || e.code() == Errc::InvalidEncoding)) {
                    // e.g. an ATS v2 present (EN 319 122-1 §5.5.3): the document's fault.
                    refuse(DocFailure::InvalidDocument, cades_reason(e));
                }
                throw;
            }
            signatures += cms::parse(p.cms).signer_infos.size();
            if (result.validation_info) {
                result.validation_info->merge(used);
            }
            result.documents.push_back(std::move(extended));
            continue;
        }
        const fs::path out = work.path() / ("out-" + std::to_string(i) + ".pdf");
        const ades::LtReport report = with_validation_failures(
            [&] { return ades::extend_pdf(p.path, out, *m_revocation, *m_stamper, options); });
        signatures += report.signatures;
        if (result.validation_info) {
            result.validation_info->merge(report.data);
        }
        result.documents.push_back(read_bytes(out));
    }
    log::info("documents extended", {{"user", caller.user_id},
                                     {"client", caller.client_id},
                                     {"documents", static_cast<std::int64_t>(inputs.size())},
                                     {"signatures", static_cast<std::int64_t>(signatures)}});
    return result;
}

}  // namespace inkan::service
