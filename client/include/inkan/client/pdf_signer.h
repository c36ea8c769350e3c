#pragma once

// PAdES at the client: the ades layer's phases (prepare → digest → sign with any Signer → embed),
// the very code the server runs for signDoc, re-exported here so a client needs no server header.
// With a RemoteCscSigner the "sign" phase is credentials/authorize + signatures/signHash over the
// digest of the signed attributes; the document never leaves the client (hash mode).

#include <filesystem>

#include <inkan/ades/cades.h>
#include <inkan/ades/pades.h>
#include <inkan/ades/time_stamper.h>
#include <inkan/sign/signer.h>

namespace inkan::client {

using ades::CadesContent;
using ades::CadesOptions;
using ades::Level;
using ades::PadesOptions;
using ades::PadesResult;
using ades::PadesSignature;  ///< the phases, for callers that drive them one by one
using ades::VisibleSignature;
// Visible signature options (decision 0031): era dates, Japanese labels, generated seals.
using ades::DateStyle;
using ades::LabelLanguage;
using pdf::SealStyle;

/// Signs PDFs with one Signer: prepare, digest, sign, embed (and, when the CMS does not fit the
/// reservation, once more with a larger one: a second signature, so a second authorisation).
class PdfSigner {
public:
    /// `signer` (and options.time_stamper) must outlive this object.
    PdfSigner(sign::Signer& signer, PadesOptions options) : m_signer{signer}, m_options{std::move(options)} {}

    /// `input` → `output`. The pdf layer's refusals (not a PDF, truncated, damaged: InvalidEncoding;
    /// encrypted: InvalidRequest) come before anything is written; no failure leaves `output` behind.
    PadesResult sign(const std::filesystem::path& input, const std::filesystem::path& output) {
        return ades::sign_pdf(input, output, m_signer, m_options);
    }

    [[nodiscard]] const PadesOptions& options() const noexcept { return m_options; }

private:
    sign::Signer& m_signer;
    PadesOptions m_options;
};

}  // namespace inkan::client
