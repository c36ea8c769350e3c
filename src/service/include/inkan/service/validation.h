#pragma once

// POST /inkan/v1/validate (issue 15; decision 0019): the validator as a service. Documents come whole
// (PDF, CMS or XML, with the signed content of a detached CMS or the documents of a detached XAdES); a PDF is
// written to a private work directory for the validator to stream, and removed afterwards. Offline: the trust
// is the configured one ([validation]: anchors, the operator's accredited TSAs, trusted lists — loaded by
// the composition root and handed down as validation::TrustSource, decision 0035), revocation comes from
// the documents themselves.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
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
    /// Trusted lists and trust files as loaded at startup (or at the last reload); each request uses
    /// those not past their next update at that moment (a list that goes stale stops counting then).
    std::vector<validation::TrustSource> trust_sources;
    bool trust_configured = false;  ///< qualified / tsa_accredited say "no" rather than "unknown"
};

/// The configured trust as one value: what a request uses from start to end, and what a reload swaps.
struct ValidationTrust {
    std::vector<Bytes> trust_anchors;
    std::vector<validation::TrustSource> trust_sources;
    bool trust_configured = false;
};

class Validation {
public:
    explicit Validation(ValidationSettings settings);

    /// One report per document, in order ("file" is "document[i]"). Errc::InvalidRequest for no
    /// documents or more than 100; PayloadTooLarge for a document over the limit. A document that is no
    /// signature is a report with `error`, not an exception.
    /// `at`: the validation time (empty: now).
    [[nodiscard]] std::vector<validation::DocumentReport> validate(
        const std::vector<ValidateItem>& items, std::optional<TimePoint> at = std::nullopt) const;

    /// The limits and work directory (fixed for the server's life); the trust is `trust()`.
    [[nodiscard]] const ValidationSettings& settings() const noexcept { return m_settings; }

    /// The trust now in force. A request holds the one it started with, so a reload never changes a
    /// report halfway.
    [[nodiscard]] std::shared_ptr<const ValidationTrust> trust() const;
    /// Replaces the trust (SIGHUP after `inkan tl fetch` or an edited [validation]); requests already
    /// running finish with the old one.
    void replace_trust(ValidationTrust trust);

private:
    ValidationSettings m_settings;  ///< its trust members are moved into m_trust by the constructor
    mutable std::mutex m_trust_mutex;
    std::shared_ptr<const ValidationTrust> m_trust;
};

}  // namespace inkan::service
