#pragma once

// PAdES baseline signatures (ETSI EN 319 142-1): B-B, B-T, B-LT and B-LTA (lt.h), approval or certification
// (DocMDP), invisible or visible. The signing runs in phases so the same code serves the server (HSM key) and
// a client (CSC signHash through a remote Signer):
//
//     auto p = PadesSignature::prepare(document, output, options, chain);  // incremental update
//     Bytes digest = p.digest();      // of the two byte ranges, streamed
//     Bytes cms = p.sign(signer);     // CMS SignedData (+ signature-time-stamp for B-T)
//     p.embed(cms);                   // into /Contents; renames the file to `output`
//
// sign_pdf() does all four and, when the CMS does not fit the reservation, prepares again with a
// larger one and signs again.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <inkan/ades/baseline.h>
#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/pdf/document.h>
#include <inkan/pki/revocation.h>
#include <inkan/sign/signer.h>

namespace inkan::ades {

class TimeStamper;

/// How the signing date is written in a visible signature: "2026-12-06 14:30:00 +09:00", or in
/// the Japanese era calendar (和暦) "令和8年12月6日 14:30:00 +09:00".
enum class DateStyle { Western, JapaneseEra };
/// The language of the appearance's labels: "Date: " / "Reason: " / "Location: ", or
/// "日時：" / "理由：" / "場所：".
enum class LabelLanguage { English, Japanese };

/// A visible signature: the widget's rectangle, and a seal image or a generated seal (印影). The
/// text lines are composed from the signature: the signer's name (`display_name`, else the subject
/// CN of the certificate), the signing time, the reason and the location when there are ones. The
/// text is embedded as a font subset (decision 0031).
struct VisibleSignature {
    VisibleSignature() = default;
    VisibleSignature(pdf::Rect r, Bytes seal_image = {}) : rect{r}, image{std::move(seal_image)} {}

    pdf::Rect rect;  ///< page user space, points (an existing field keeps its own rectangle)
    Bytes image;     ///< PNG or JPEG, or empty
    /// The name shown (e.g. 髙﨑 太郎 when the certificate's CN is romanised); empty: the CN.
    std::string display_name;
    std::filesystem::path font;  ///< a TrueType font file; empty: pdf::default_appearance_font()
    bool vertical = false;       ///< 縦書き
    DateStyle date_style = DateStyle::Western;
    LabelLanguage labels = LabelLanguage::English;
    pdf::SealStyle seal = pdf::SealStyle::None;  ///< a generated seal instead of `image`
    std::string seal_text;                       ///< the seal's name; empty: the name shown
};

struct PadesOptions {
    Level level = Level::BB;
    /// Empty: sign::default_algorithm() for the certificate's key.
    std::optional<crypto::SignatureAlgorithm> algorithm;
    /// /M (the claimed signing time, EN 319 142-1 §5.4) and the date in the appearance come from
    /// this clock. Empty: the system clock. Must outlive the call that uses it.
    const Clock* clock = nullptr;
    std::chrono::minutes utc_offset{0};  ///< offset /M and the appearance's date are written in
    /// /Name, /Reason, /Location, /ContactInfo (UTF-8; empty = absent).
    std::string name, reason, location, contact_info;
    /// A certification signature with DocMDP permissions P = 1, 2 or 3 (ISO 32000-1 §12.8.2.2).
    std::optional<int> certify;
    std::size_t page = 0;                        ///< 0-based page of a new field's widget
    std::optional<VisibleSignature> appearance;  ///< invisible when empty
    std::string
        field_name;  ///< an existing empty signature field, or the new field's name; empty: "SignatureN"
    /// commitment-type-indication (commitment::k*); empty: none.
    std::string commitment_type;
    /// Required for B-T. Must outlive the call that uses it.
    TimeStamper* time_stamper = nullptr;
    /// B-LT and B-LTA: where certificates' revocation data comes from (required there). Must outlive
    /// the call that uses it.
    pki::RevocationFetcher* revocation = nullptr;
    /// B-LT/B-LTA: refuse (Errc::Conflict, no output) when the signer's certificate is revoked.
    /// Otherwise the revoked status is embedded as it is.
    bool refuse_revoked = true;
    /// B-LT/B-LTA: also write /VRI entries (deprecated in EN 319 142-1, off by default).
    bool vri = false;
    /// B-LTA: a second DSS update with the validation data of the document time-stamp itself, always.
    /// Without it, that update is added only when the time-stamp's TSA chain is not already covered
    /// (add_lta_document_time_stamp).
    bool document_time_stamp_validation = false;
    /// Bytes reserved for the CMS in /Contents. 0: computed from the real parts (chain, attributes,
    /// the key's largest signature, the time-stamp) plus a margin.
    std::size_t contents_size = 0;
};

/// One PAdES signature in the making. Move-only; destroying it before embed() leaves no output.
class PadesSignature {
public:
    /// Phase 1: writes the incremental update (signature dictionary with SubFilter
    /// /ETSI.CAdES.detached, /M, the field and its widget, DocMDP for certification, the appearance)
    /// to a temporary file beside `output`. `chain` is the signer's certificate first, then its
    /// issuers (DER); it goes into the CMS. Errc::InvalidRequest for bad options (B-T without a
    /// time stamper, an empty chain); Errc::UnsupportedAlgorithm for an algorithm that does not fit
    /// the key; the pdf layer's refusals (Errc::Conflict for a field already signed or a document
    /// certified with P=1, ...).
    static PadesSignature prepare(const pdf::Document& document, const std::filesystem::path& output,
                                  const PadesOptions& options, std::vector<Bytes> chain);

    PadesSignature(PadesSignature&&) noexcept;
    PadesSignature& operator=(PadesSignature&&) noexcept;
    ~PadesSignature();

    /// Phase 2: the digest (with the algorithm's hash) of the two byte ranges, streamed from the
    /// prepared file. Computed once.
    const Bytes& digest();

    /// Phase 3: the CMS SignedData (EN 319 142-1 §5.3: detached, content-type id-data,
    /// message-digest, signing-certificate-v2, NO signing-time; optional commitment-type; the chain
    /// as certificates) signed by `signer`, whose key must be the chain's first certificate's. B-T:
    /// the signature value is time-stamped and the token added as signature-time-stamp.
    Bytes sign(sign::Signer& signer);

    /// Phase 4: writes `cms` into /Contents and renames the file to the output path.
    /// pdf::ContentsTooSmall (with needed()) when it does not fit: prepare again with a larger
    /// PadesOptions::contents_size.
    void embed(ByteView cms);

    [[nodiscard]] const crypto::SignatureAlgorithm& algorithm() const noexcept { return m_algorithm; }
    [[nodiscard]] const std::array<std::uint64_t, 4>& byte_range() const noexcept;
    [[nodiscard]] std::size_t capacity() const noexcept;
    [[nodiscard]] const std::string& field_name() const noexcept;

private:
    PadesSignature(pdf::PreparedSignature prepared, PadesOptions options, std::vector<Bytes> chain,
                   crypto::SignatureAlgorithm algorithm);

    pdf::PreparedSignature m_prepared;
    PadesOptions m_options;
    std::vector<Bytes> m_chain;
    crypto::SignatureAlgorithm m_algorithm;
    std::optional<Bytes> m_digest;
};

/// The /Contents reservation PadesSignature::prepare makes when PadesOptions::contents_size is 0:
/// the DER sizes of the chain, the signed attributes, the SignerInfo with the key's largest
/// signature, for B-T the stamper's token size hint, plus a margin.
std::size_t estimate_contents_size(const PadesOptions& options, const std::vector<Bytes>& chain,
                                   const crypto::SignatureAlgorithm& algorithm);

/// What sign_pdf did.
struct PadesResult {
    std::string field_name;
    std::array<std::uint64_t, 4> byte_range{};
    std::size_t contents_size = 0;  ///< the reservation finally used
    int attempts = 1;               ///< 2 when the first reservation was too small
    /// B-LT/B-LTA: everything the DSS updates carry (certificates, OCSP responses, CRLs of every
    /// signature's and time-stamp's chains); empty at B-B/B-T. What CSC signDoc returns as
    /// validationInfo.
    pki::ValidationData validation;
};

/// Signs `input` into `output` in one call: opens the document (the pdf layer's refusals: not a
/// PDF, truncated or damaged → Errc::InvalidEncoding; encrypted → Errc::InvalidRequest; nothing is
/// written), prepares, signs with `signer` and its certificate_chain(), embeds. When the CMS does
/// not fit, prepares again with the size needed plus a margin and signs again (once). B-LT and
/// B-LTA: the B-T signature goes to a temporary file, then add_validation_data (and for B-LTA
/// add_document_time_stamp) write `output`; when revocation data cannot be had, nothing is written.
PadesResult sign_pdf(const std::filesystem::path& input, const std::filesystem::path& output,
                     sign::Signer& signer, const PadesOptions& options);

/// The text lines of a visible signature: the subject CN of `certificate` (else its whole subject),
/// the signing time as "YYYY-MM-DD HH:MM:SS +HH:MM", and the reason when not empty.
std::vector<std::string> appearance_lines(ByteView certificate, TimePoint signing_time,
                                          std::chrono::minutes utc_offset, const std::string& reason);

/// The lines of `visible`'s appearance: the name (display_name, else the CN), the date in its
/// style, the reason and the location when not empty, labelled in its language. Errc::InvalidRequest
/// when the name is empty or blank.
std::vector<std::string> appearance_lines(ByteView certificate, TimePoint signing_time,
                                          std::chrono::minutes utc_offset, const std::string& reason,
                                          const std::string& location, const VisibleSignature& visible);

/// The pdf layer's appearance for `visible`: its lines (as above, with `name` when display_name is
/// empty), font, writing direction and seal (the seal's name: seal_text, else the name without spaces).
pdf::Appearance make_appearance(const VisibleSignature& visible, const std::string& name,
                                TimePoint signing_time, std::chrono::minutes utc_offset,
                                const std::string& reason, const std::string& location);

/// What PadesSignature::prepare would refuse in `options.appearance` (an empty name, bad text, a
/// font that cannot be used, text that does not fit), checked without a document or a signature.
/// `name` stands in for the certificate's CN. No-op for an invisible signature.
void check_appearance(const PadesOptions& options, const std::string& name);

/// The date in the Japanese era calendar: "令和8年12月6日" (the first year of an era is 元年).
/// Meiji onwards (1873-01-01, when Japan took the Gregorian calendar); the Western form before that.
std::string japanese_era_date(std::chrono::year_month_day date);

/// Parses "western" / "japanese" (date styles) and "en" / "ja" (label languages).
std::optional<DateStyle> date_style_from_name(std::string_view name);
std::optional<LabelLanguage> label_language_from_name(std::string_view name);

}  // namespace inkan::ades
