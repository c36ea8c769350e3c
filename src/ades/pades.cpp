#include <inkan/ades/pades.h>

#include <unistd.h>

#include <cstdio>
#include <string>
#include <system_error>
#include <utility>

#include <inkan/ades/lt.h>
#include <inkan/ades/time_stamper.h>
#include <inkan/cms/signed_data.h>
#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>
#include <inkan/pki/certificate.h>
#include <inkan/pki/x509.h>

#include "common.h"

namespace inkan::ades {

namespace {

/// A reservation with room for what varies between two signatures of the same parts: ECDSA values
/// (±2 bytes), time-stamp tokens (nonce, serial, genTime fraction, the TSA's own ECDSA value).
std::size_t with_margin(std::size_t n) {
    return n + n / 16 + 256;
}

}  // namespace

PadesSignature::PadesSignature(pdf::PreparedSignature prepared, PadesOptions options,
                               std::vector<Bytes> chain, crypto::SignatureAlgorithm algorithm)
    : m_prepared{std::move(prepared)},
      m_options{std::move(options)},
      m_chain{std::move(chain)},
      m_algorithm{std::move(algorithm)} {}

PadesSignature::PadesSignature(PadesSignature&&) noexcept = default;
PadesSignature& PadesSignature::operator=(PadesSignature&&) noexcept = default;
PadesSignature::~PadesSignature() = default;

std::size_t estimate_contents_size(const PadesOptions& options, const std::vector<Bytes>& chain,
                                   const crypto::SignatureAlgorithm& algorithm) {
    require(!chain.empty(), Errc::InvalidRequest, "pades: the signer's certificate chain is empty");
    const pki::Certificate leaf = pki::Certificate::from_der(chain.front());
    const std::size_t issuer_serial = leaf.issuer_der().size() + leaf.serial().size() + 8;
    const std::size_t hash = crypto::digest_length(algorithm.digest);
    std::size_t n = 0;
    for (const auto& c : chain) {
        n += c.size() + 4;
    }
    // ContentInfo, SignedData, digestAlgorithms, encapContentInfo (no eContent), SET headers.
    n += 64;
    // SignerInfo: version, sid, digestAlgorithm, signatureAlgorithm (PSS parameters are the
    // longest, 0x41 bytes), the signature value.
    n += 8 + issuer_serial + 19 + 72 + max_signature_size(leaf.public_key()) + 4;
    // Signed attributes: content-type (0x1A), message-digest, signing-certificate-v2 (hash +
    // issuerSerial + algorithm identifier), commitment-type-indication.
    n += 6 + 26 + (17 + hash) + (40 + hash + issuer_serial) + (options.commitment_type.empty() ? 0 : 36);
    if (has_signature_time_stamp(options.level)) {
        require(options.time_stamper != nullptr, Errc::InvalidRequest, "pades: B-T needs a time stamper");
        // unsignedAttrs [1] { Attribute { OID, SET { token } } }
        n += options.time_stamper->token_size_hint() + 32;
    }
    return with_margin(n);
}

PadesSignature PadesSignature::prepare(const pdf::Document& document, const std::filesystem::path& output,
                                       const PadesOptions& options, std::vector<Bytes> chain) {
    require(!chain.empty(), Errc::InvalidRequest, "pades: the signer's certificate chain is empty");
    require(options.level == Level::BB || options.time_stamper != nullptr, Errc::InvalidRequest,
            "pades: B-T needs a time stamper");
    const pki::Certificate leaf = pki::Certificate::from_der(chain.front());
    const crypto::SignatureAlgorithm algorithm =
        detail::choose_algorithm(options.algorithm, leaf.public_key());
    const TimePoint now = std::chrono::floor<std::chrono::seconds>(detail::clock_of(options.clock).now());

    pdf::SignatureSpec spec;
    spec.type = pdf::SignatureType::Signature;
    spec.sub_filter = pdf::SubFilter::CadesDetached;  // EN 319 142-1 §5.3
    spec.field_name = options.field_name;
    spec.signing_time = now;  // /M: PAdES keeps the claimed time here, not in the CMS (§5.4)
    spec.utc_offset = options.utc_offset;
    spec.name = options.name;
    spec.reason = options.reason;
    spec.location = options.location;
    spec.contact_info = options.contact_info;
    spec.certify = options.certify;
    spec.page = options.page;
    if (options.appearance) {
        const VisibleSignature& v = *options.appearance;
        pdf::Appearance a{
            v.rect,
            appearance_lines(chain.front(), now, options.utc_offset, options.reason, options.location, v),
            v.image};
        a.font = v.font;
        a.vertical = v.vertical;
        a.seal = v.seal;
        if (v.seal != pdf::SealStyle::None) {
            a.seal_text = v.seal_text.empty() ? a.lines.front() : v.seal_text;
            // The seal holds a name, not a sentence: "髙﨑 太郎" is engraved without its space.
            std::erase(a.seal_text, ' ');
        }
        spec.appearance = std::move(a);
    }
    spec.contents_size = options.contents_size != 0 ? options.contents_size
                                                    : estimate_contents_size(options, chain, algorithm);
    pdf::PreparedSignature prepared = document.prepare(spec, output);
    return PadesSignature{std::move(prepared), options, std::move(chain), algorithm};
}

const Bytes& PadesSignature::digest() {
    if (!m_digest) {
        crypto::Hasher hasher{m_algorithm.digest};
        m_prepared.hash_ranges([&](ByteView chunk) { hasher.update(chunk); });
        m_digest = hasher.finish();
    }
    return *m_digest;
}

Bytes PadesSignature::sign(sign::Signer& signer) {
    cms::SignedDataSpec spec;
    spec.content_type = std::string{cms::oid::kData};
    spec.detached_digest = digest();  // detached: no eContent (EN 319 142-1 §5.3)
    spec.algorithm = m_algorithm;
    spec.signer_certificate = m_chain.front();
    spec.certificates = m_chain;
    // No signing-time: PAdES B-B forbids it (EN 319 142-1 §5.3); /M carries the claimed time.
    spec.signed_attributes.push_back(
        cms::signing_certificate_v2_attribute(m_chain.front(), detail::ess_hash(m_algorithm)));
    if (!m_options.commitment_type.empty()) {
        spec.signed_attributes.push_back(cms::commitment_type_attribute(m_options.commitment_type));
    }
    Bytes signed_data = cms::sign(spec, signer);
    if (has_signature_time_stamp(m_options.level)) {
        signed_data = add_signature_time_stamp(signed_data, *m_options.time_stamper);
    }
    return signed_data;
}

void PadesSignature::embed(ByteView cms) {
    m_prepared.embed(cms);
}

const std::array<std::uint64_t, 4>& PadesSignature::byte_range() const noexcept {
    return m_prepared.byte_range();
}

std::size_t PadesSignature::capacity() const noexcept {
    return m_prepared.capacity();
}

const std::string& PadesSignature::field_name() const noexcept {
    return m_prepared.field_name();
}

namespace {

PadesResult sign_pdf_once(const std::filesystem::path& input, const std::filesystem::path& output,
                          sign::Signer& signer, const PadesOptions& options) {
    const pdf::Document document = pdf::Document::open(input);
    const std::vector<Bytes> chain = signer.certificate_chain();
    require(!chain.empty(), Errc::InvalidRequest, "pades: the signer has no certificate");
    PadesOptions attempt_options = options;
    PadesResult result;
    for (result.attempts = 1;; ++result.attempts) {
        PadesSignature signature = PadesSignature::prepare(document, output, attempt_options, chain);
        (void)signature.digest();
        const Bytes cms = signature.sign(signer);
        try {
            signature.embed(cms);
        } catch (const pdf::ContentsTooSmall& e) {
            // The estimate (or the caller's size) was too small: the byte ranges depend on the
            // reservation, so prepare again and sign again (pitfalls #1, pyHanko#515).
            if (result.attempts >= 2) throw;
            attempt_options.contents_size = with_margin(e.needed());
            continue;
        }
        result.field_name = signature.field_name();
        result.byte_range = signature.byte_range();
        result.contents_size = signature.capacity();
        return result;
    }
}

/// A path beside `output` removed on destruction.
struct StepFile {
    explicit StepFile(const std::filesystem::path& output, const char* step)
        : path{output.parent_path() /
               ("." + output.filename().string() + "." + step + "-" + std::to_string(::getpid()) + ".tmp")} {}
    ~StepFile() {
        std::error_code ec;
        std::filesystem::remove(path, ec);
    }
    StepFile(const StepFile&) = delete;
    StepFile& operator=(const StepFile&) = delete;
    std::filesystem::path path;
};

}  // namespace

PadesResult sign_pdf(const std::filesystem::path& input, const std::filesystem::path& output,
                     sign::Signer& signer, const PadesOptions& options) {
    if (options.level == Level::BB || options.level == Level::BT) {
        return sign_pdf_once(input, output, signer, options);
    }
    // B-LT / B-LTA (EN 319 142-1 §5.4): the B-T signature, then the DSS in a later revision (so the
    // revocation data is fetched after the signature-time-stamp, ades.md §3.4), then for B-LTA the
    // document time-stamp. Intermediate files live beside the output and go away in any case.
    require(options.revocation != nullptr, Errc::InvalidRequest,
            "pades: " + std::string{name(options.level)} + " needs a revocation fetcher");
    require(options.time_stamper != nullptr, Errc::InvalidRequest,
            "pades: " + std::string{name(options.level)} + " needs a time stamper");
    StepFile signed_file{output, "bt"};
    PadesResult result = sign_pdf_once(input, signed_file.path, signer, options);
    LtOptions lt;
    lt.refuse_revoked = options.refuse_revoked;
    lt.issued_after = detail::clock_of(options.clock).now();
    lt.vri = options.vri;
    if (options.level == Level::BLT) {
        result.validation = add_validation_data(signed_file.path, output, *options.revocation, lt).data;
        return result;
    }
    StepFile lt_file{output, "lt"};
    result.validation = add_validation_data(signed_file.path, lt_file.path, *options.revocation, lt).data;
    result.validation.merge(
        add_lta_document_time_stamp(lt_file.path, output, *options.revocation, *options.time_stamper, lt,
                                    options.document_time_stamp_validation, result.validation));
    return result;
}

std::vector<std::string> appearance_lines(ByteView certificate, TimePoint signing_time,
                                          std::chrono::minutes utc_offset, const std::string& reason) {
    const pki::Certificate cert = pki::Certificate::from_der(certificate);
    std::vector<std::string> lines;
    const auto cn = cert.subject_name().first(pki::NameAttribute::CommonName);
    lines.push_back(cn ? *cn : cert.subject());
    lines.push_back("Date: " + detail::format_time(signing_time, utc_offset));
    if (!reason.empty()) {
        lines.push_back("Reason: " + reason);
    }
    return lines;
}

std::string japanese_era_date(std::chrono::year_month_day date) {
    using namespace std::chrono;
    struct Era {
        year_month_day start;
        const char* name;
    };
    // The era names and their first days (元号法; the Imperial House Law's succession days).
    static const Era eras[] = {
        {2019y / May / 1d, "令和"},   {1989y / January / 8d, "平成"}, {1926y / December / 25d, "昭和"},
        {1912y / July / 30d, "大正"}, {1873y / January / 1d, "明治"},
    };
    for (const auto& era : eras) {
        if (sys_days{date} >= sys_days{era.start}) {
            // Meiji counts from 1868 although the Gregorian calendar came in 1873.
            const int first = era.start.year() == 1873y ? 1868 : static_cast<int>(era.start.year());
            const int n = static_cast<int>(date.year()) - first + 1;
            return std::string{era.name} + (n == 1 ? std::string{"元"} : std::to_string(n)) + "年" +
                   std::to_string(static_cast<unsigned>(date.month())) + "月" +
                   std::to_string(static_cast<unsigned>(date.day())) + "日";
        }
    }
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
    return buf;
}

std::vector<std::string> appearance_lines(ByteView certificate, TimePoint signing_time,
                                          std::chrono::minutes utc_offset, const std::string& reason,
                                          const std::string& location, const VisibleSignature& visible) {
    std::string name = visible.display_name;
    if (name.empty() && !certificate.empty()) {
        const pki::Certificate cert = pki::Certificate::from_der(certificate);
        const auto cn = cert.subject_name().first(pki::NameAttribute::CommonName);
        name = cn ? *cn : cert.subject();
    }
    require(name.find_first_not_of(" \t\u3000") != std::string::npos && !name.empty(), Errc::InvalidRequest,
            "pades: the signer's name for the visible signature is empty");
    const bool ja = visible.labels == LabelLanguage::Japanese;
    std::vector<std::string> lines{name};
    std::string date = detail::format_time(signing_time, utc_offset);
    if (visible.date_style == DateStyle::JapaneseEra) {
        using namespace std::chrono;
        const auto local = floor<seconds>(signing_time) + utc_offset;
        // "2026-12-06 14:30:00 +09:00" → "令和8年12月6日 14:30:00 +09:00"
        date = japanese_era_date(year_month_day{floor<days>(local)}) + date.substr(10);
    }
    lines.push_back((ja ? "日時：" : "Date: ") + date);
    if (!reason.empty()) lines.push_back((ja ? "理由：" : "Reason: ") + reason);
    if (!location.empty()) lines.push_back((ja ? "場所：" : "Location: ") + location);
    return lines;
}

pdf::Appearance make_appearance(const VisibleSignature& visible, const std::string& name,
                                TimePoint signing_time, std::chrono::minutes utc_offset,
                                const std::string& reason, const std::string& location) {
    VisibleSignature v = visible;
    if (v.display_name.empty()) v.display_name = name;
    pdf::Appearance a{v.rect, appearance_lines({}, signing_time, utc_offset, reason, location, v), v.image};
    a.font = v.font;
    a.vertical = v.vertical;
    a.seal = v.seal;
    if (v.seal != pdf::SealStyle::None) {
        a.seal_text = v.seal_text.empty() ? a.lines.front() : v.seal_text;
        std::erase(a.seal_text, ' ');
    }
    return a;
}

void check_appearance(const PadesOptions& options, const std::string& name) {
    if (!options.appearance) return;
    const TimePoint now = std::chrono::floor<std::chrono::seconds>(detail::clock_of(options.clock).now());
    pdf::check_appearance(make_appearance(*options.appearance, name, now, options.utc_offset, options.reason,
                                          options.location));
}

std::optional<DateStyle> date_style_from_name(std::string_view name) {
    if (name == "western") return DateStyle::Western;
    if (name == "japanese") return DateStyle::JapaneseEra;
    return std::nullopt;
}

std::optional<LabelLanguage> label_language_from_name(std::string_view name) {
    if (name == "en") return LabelLanguage::English;
    if (name == "ja") return LabelLanguage::Japanese;
    return std::nullopt;
}

}  // namespace inkan::ades
