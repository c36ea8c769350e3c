// Extension (extension.h): each document is written to a work directory, opened (the pdf layer's
// refusals), checked for a signature, then ades::extend_pdf (DSS update + document time-stamp) writes
// the extended file. Every document is checked before any is extended.

#include <inkan/service/extension.h>

#include <inkan/ades/lt.h>
#include <inkan/core/log.h>
#include <inkan/pdf/document.h>

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

ExtendDocumentsResult Extension::extend(const Caller& caller, ExtendDocumentsRequest request) {
    if (request.documents.empty()) {
        refuse(DocFailure::NoInputs, "Empty documents");
    }
    WorkDir work{m_settings.work_dir, "extend"};
    std::vector<fs::path> inputs;
    for (std::size_t i = 0; i < request.documents.size(); ++i) {
        ExtendItem& item = request.documents[i];
        if (!item.signature_format.empty() && item.signature_format != "P") {
            // CAdES extension (B-LT/B-LTA for CMS) comes with ades::extend_cades.
            refuse(DocFailure::InvalidFormat,
                   "signature_format '" + item.signature_format + "' cannot be extended here (only P)");
        }
        if (item.document.size() > m_settings.max_document_bytes) {
            refuse(DocFailure::DocumentTooLarge,
                   "a document is larger than " + std::to_string(m_settings.max_document_bytes) + " bytes",
                   Errc::PayloadTooLarge);
        }
        if (item.document.empty()) {
            refuse(DocFailure::InvalidDocument, "an empty document");
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
            if (doc_failure(e)) {
                throw;
            }
            if (e.code() == Errc::InvalidEncoding || e.code() == Errc::InvalidRequest) {
                // The pdf layer's reason without our temporary file's name.
                const std::string& d = e.detail();
                const auto at = d.find(".pdf: ");
                refuse(DocFailure::InvalidDocument, at == std::string::npos ? d : d.substr(at + 6));
            }
            throw;
        }
        inputs.push_back(in);
    }

    ExtendDocumentsResult result;
    if (request.return_validation_info) {
        result.validation_info.emplace();
    }
    ades::ExtendOptions options;
    options.lt.refuse_revoked = m_settings.refuse_revoked;
    options.document_time_stamp_validation = m_settings.document_time_stamp_validation;
    std::size_t signatures = 0;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const fs::path out = work.path() / ("out-" + std::to_string(i) + ".pdf");
        const ades::LtReport report = with_validation_failures(
            [&] { return ades::extend_pdf(inputs[i], out, *m_revocation, *m_stamper, options); });
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
