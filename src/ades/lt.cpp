#include <inkan/ades/lt.h>

#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <string>
#include <system_error>

#include <inkan/ades/time_stamper.h>
#include <inkan/cms/signed_data.h>
#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>
#include <inkan/pki/certificate.h>

namespace inkan::ades {

namespace {

/// The DER TLV at the front of `bytes` (/Contents is zero padded after it).
Bytes der_prefix(ByteView bytes) {
    require(bytes.size() >= 2 && bytes[0] == 0x30, Errc::InvalidEncoding, "ades: /Contents is not DER");
    std::size_t len = 0;
    std::size_t header = 2;
    if (bytes[1] < 0x80) {
        len = bytes[1];
    } else {
        const std::size_t n = bytes[1] & 0x7F;
        require(n >= 1 && n <= 4 && bytes.size() >= 2 + n, Errc::InvalidEncoding,
                "ades: /Contents DER length");
        for (std::size_t i = 0; i < n; ++i)
            len = (len << 8) | bytes[2 + i];
        header += n;
    }
    require(header + len <= bytes.size(), Errc::InvalidEncoding, "ades: /Contents DER is cut short");
    return Bytes(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(header + len));
}

/// The certificates of a CMS, the signer's first.
std::vector<Bytes> cms_chain(const cms::SignedData& sd) {
    std::vector<Bytes> chain;
    if (!sd.signer_infos.empty()) {
        if (auto signer = cms::find_signer_certificate(sd, 0)) chain.push_back(*signer);
    }
    for (const auto& c : sd.certificates) {
        if (std::find(chain.begin(), chain.end(), c) == chain.end()) chain.push_back(c);
    }
    return chain;
}

/// A path beside `output` removed on destruction (a step's intermediate result).
class TempPath {
public:
    explicit TempPath(const std::filesystem::path& output) {
        static std::atomic<unsigned> counter{0};
        m_path =
            output.parent_path() / ("." + output.filename().string() + ".lt-" + std::to_string(::getpid()) +
                                    "-" + std::to_string(counter.fetch_add(1)) + ".tmp");
    }
    ~TempPath() {
        std::error_code ec;
        std::filesystem::remove(m_path, ec);
    }
    TempPath(const TempPath&) = delete;
    TempPath& operator=(const TempPath&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return m_path; }

private:
    std::filesystem::path m_path;
};

std::size_t index_of(const std::vector<Bytes>& all, const Bytes& item) {
    return static_cast<std::size_t>(std::find(all.begin(), all.end(), item) - all.begin());
}

}  // namespace

std::string vri_key(ByteView contents) {
    return hex_encode_upper(crypto::digest(crypto::DigestAlgorithm::Sha1, contents));
}

std::vector<std::vector<Bytes>> cms_certificate_chains(ByteView cms) {
    const cms::SignedData sd = cms::parse(der_prefix(cms));
    std::vector<std::vector<Bytes>> chains{cms_chain(sd)};
    // The signature-time-stamp tokens (EN 319 122-1 §5.3) need their TSA chains covered too.
    for (const auto& si : sd.signer_infos) {
        for (const auto& attr : si.unsigned_attributes) {
            if (attr.type != cms::oid::kSignatureTimeStampToken) continue;
            for (const auto& token : attr.values) {
                chains.push_back(cms_chain(cms::parse(token)));
            }
        }
    }
    return chains;
}

pki::ValidationData cms_validation_data(ByteView cms, pki::RevocationFetcher& fetcher) {
    pki::ValidationData data;
    for (const auto& chain : cms_certificate_chains(cms)) {
        if (!chain.empty()) data.merge(fetcher.collect(chain));
    }
    return data;
}

std::vector<SignatureCertificates> signature_certificates(const pdf::Document& document) {
    std::vector<SignatureCertificates> out;
    for (const auto& sig : document.signatures()) {
        SignatureCertificates sc;
        sc.field_name = sig.field_name;
        sc.type = sig.type;
        sc.contents = sig.contents;
        try {
            sc.chains = cms_certificate_chains(sig.contents);
        } catch (const Error& e) {
            throw Error{Errc::InvalidEncoding, "ades: the signature in field \"" + sig.field_name +
                                                   "\" does not parse: " + e.what()};
        }
        out.push_back(std::move(sc));
    }
    return out;
}

LtReport add_validation_data(const std::filesystem::path& input, const std::filesystem::path& output,
                             pki::RevocationFetcher& fetcher, const LtOptions& options) {
    const pdf::Document document = pdf::Document::open(input);
    const auto signatures = signature_certificates(document);
    require(!signatures.empty(), Errc::InvalidRequest,
            "ades: the document holds no signature to add validation data for");
    LtReport report;
    report.signatures = signatures.size();
    std::vector<pki::ValidationData> per_signature;
    for (const auto& sig : signatures) {
        pki::ValidationData data;
        for (std::size_t i = 0; i < sig.chains.size(); ++i) {
            const auto& chain = sig.chains[i];
            if (chain.empty()) continue;
            pki::ValidationData one = fetcher.collect(chain, {}, options.issued_after);
            if (i == 0 && sig.type == pdf::SignatureType::Signature && options.refuse_revoked) {
                for (const auto& [cert, status] : one.statuses) {
                    if (cert == chain.front() && status == pki::CertStatus::Revoked) {
                        throw Error{Errc::Conflict,
                                    "ades: the signer certificate of field \"" + sig.field_name + "\" (" +
                                        pki::Certificate::from_der(cert).subject() + ") is revoked"};
                    }
                }
            }
            data.merge(one);
        }
        report.data.merge(data);
        per_signature.push_back(std::move(data));
    }

    pdf::DssData dss;
    dss.certs = report.data.certificates;
    dss.ocsps = report.data.ocsp_responses;
    dss.crls = report.data.crls;
    if (options.vri) {
        for (std::size_t s = 0; s < signatures.size(); ++s) {
            pdf::DssData::Vri v;
            v.key = vri_key(signatures[s].contents);
            for (const auto& c : per_signature[s].certificates)
                v.certs.push_back(index_of(dss.certs, c));
            for (const auto& o : per_signature[s].ocsp_responses)
                v.ocsps.push_back(index_of(dss.ocsps, o));
            for (const auto& c : per_signature[s].crls)
                v.crls.push_back(index_of(dss.crls, c));
            dss.vri.push_back(std::move(v));
        }
    }
    document.add_dss(dss, output);
    return report;
}

void add_document_time_stamp(const std::filesystem::path& input, const std::filesystem::path& output,
                             TimeStamper& stamper, std::size_t contents_size) {
    const pdf::Document document = pdf::Document::open(input);
    pdf::SignatureSpec spec;
    spec.type = pdf::SignatureType::DocTimeStamp;
    spec.sub_filter = pdf::SubFilter::Rfc3161;
    // The token plus room for a longer serial, accuracy or chain than the hint's.
    spec.contents_size = contents_size != 0 ? contents_size : stamper.token_size_hint() + 2048;
    for (int attempt = 1;; ++attempt) {
        pdf::PreparedSignature prepared = document.prepare(spec, output);
        // ISO 32000-2 §12.8.5: the token's messageImprint is the hash of the ByteRange bytes.
        crypto::Hasher hasher{crypto::DigestAlgorithm::Sha256};
        prepared.hash_ranges([&](ByteView chunk) { hasher.update(chunk); });
        const Bytes token = stamper.stamp(crypto::DigestAlgorithm::Sha256, hasher.finish());
        try {
            prepared.embed(token);
            return;
        } catch (const pdf::ContentsTooSmall& e) {
            if (attempt >= 2) throw;
            spec.contents_size = e.needed() + 2048;  // the byte ranges move: stamp again
        }
    }
}

namespace {

/// Whether every certificate but the self-issued ones of the newest document time-stamp in `pdf` has a
/// status in `covered` (collect() records one per certificate it found revocation data for).
bool newest_time_stamp_covered(const std::filesystem::path& pdf, const pki::ValidationData& covered) {
    const auto signatures = signature_certificates(pdf::Document::open(pdf));
    const auto newest = std::find_if(
        signatures.rbegin(), signatures.rend(),
        [](const SignatureCertificates& s) { return s.type == pdf::SignatureType::DocTimeStamp; });
    if (newest == signatures.rend()) return false;
    for (const auto& chain : newest->chains) {
        for (const auto& der : chain) {
            const pki::Certificate cert = pki::Certificate::from_der(der);
            if (cert.subject() == cert.issuer()) continue;  // a trust anchor needs none (RFC 5280 §6.1)
            const bool known = std::any_of(covered.statuses.begin(), covered.statuses.end(),
                                           [&](const auto& s) { return s.first == der; });
            if (!known) return false;
        }
    }
    return true;
}

}  // namespace

pki::ValidationData add_lta_document_time_stamp(const std::filesystem::path& input,
                                                const std::filesystem::path& output,
                                                pki::RevocationFetcher& fetcher, TimeStamper& stamper,
                                                const LtOptions& options, bool always_validate,
                                                const pki::ValidationData& covered) {
    TempPath with_dts{output};
    add_document_time_stamp(input, with_dts.path(), stamper);
    if (!always_validate && newest_time_stamp_covered(with_dts.path(), covered)) {
        // The same TSA chain as before: its data is already in the DSS under the time-stamp. The
        // temporary file sits beside `output` (same file system) and has the output's mode.
        std::filesystem::rename(with_dts.path(), output);
        return {};
    }
    // The new time-stamp's TSA chain (EN 319 142-1 §5.5: the last DTS needs its own data for the
    // next extension to build on).
    return add_validation_data(with_dts.path(), output, fetcher, options).data;
}

LtReport extend_pdf(const std::filesystem::path& input, const std::filesystem::path& output,
                    pki::RevocationFetcher& fetcher, TimeStamper& stamper, const ExtendOptions& options) {
    TempPath with_dss{output};
    LtReport report = add_validation_data(input, with_dss.path(), fetcher, options.lt);
    report.data.merge(add_lta_document_time_stamp(with_dss.path(), output, fetcher, stamper, options.lt,
                                                  options.document_time_stamp_validation, report.data));
    return report;
}

}  // namespace inkan::ades
