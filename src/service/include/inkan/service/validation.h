#pragma once

// POST /inkan/v1/validate (issue 15; decision 0019): the validator as a service. Documents come whole
// (PDF, CMS or XML, with the signed content of a detached CMS or the documents of a detached XAdES); a PDF is
// written to a private work directory for the validator to stream, and removed afterwards. Offline: the trust
// is the configured one ([validation]: anchors, the operator's accredited TSAs, trusted lists — loaded by
// the composition root and handed down as validation::TrustSource, decision 0035), revocation comes from
// the documents themselves.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/validation/report.h>
#include <inkan/validation/validator.h>

namespace inkan::service {

struct ValidateItem {
    Bytes document;  ///< a PDF, a CMS as DER or PEM, or an XML document (XAdES)
    std::optional<Bytes>
        content;  ///< the signed content of a detached CMS (or of the one external XAdES reference)
    /// The documents detached XAdES references name: (ds:Reference URI, content).
    std::vector<std::pair<std::string, Bytes>> contents;
};

struct ValidationSettings {
    std::filesystem::path work_dir;  ///< a fresh subdirectory per request, removed afterwards
    std::size_t max_document_bytes = 64U * 1024U * 1024U;
    std::vector<Bytes> trust_anchors;  ///< DER; none: every chain is NO_CERTIFICATE_CHAIN_FOUND
    /// Trusted lists and trust files as loaded at startup; each request uses those not past their next
    /// update at that moment (so a list that goes stale while the server runs stops counting then).
    std::vector<validation::TrustSource> trust_sources;
    bool trust_configured = false;  ///< qualified / tsa_accredited say "no" rather than "unknown"
};

class Validation {
public:
    explicit Validation(ValidationSettings settings) : m_settings{std::move(settings)} {}

    /// One report per document, in order ("file" is "document[i]"). Errc::InvalidRequest for no
    /// documents or more than 100; PayloadTooLarge for a document over the limit. A document that is no
    /// signature is a report with `error`, not an exception.
    /// `at`: the validation time (empty: now).
    [[nodiscard]] std::vector<validation::DocumentReport> validate(
        const std::vector<ValidateItem>& items, std::optional<TimePoint> at = std::nullopt) const;

    [[nodiscard]] const ValidationSettings& settings() const noexcept { return m_settings; }

private:
    ValidationSettings m_settings;
};

}  // namespace inkan::service
