#include <inkan/validation/validator.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>

#include <inkan/ades/cades.h>
#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>
#include <inkan/pdf/document.h>
#include <inkan/pki/certificate.h>
#include <inkan/pki/revocation.h>
#include <inkan/xades/read.h>
#include <inkan/xades/xades.h>

#include "trust.h"

namespace inkan::validation {

namespace fs = std::filesystem;
using detail::Material;

namespace {

TimePoint now_of(const Options& options) {
    return options.validation_time ? *options.validation_time : std::chrono::system_clock::now();
}

/// A PDF date "D:YYYYMMDDHHmmSSOHH'mm'" (ISO 32000-1 §7.9.4); missing parts default as the standard says.
std::optional<TimePoint> parse_pdf_date(std::string_view s) {
    if (s.rfind("D:", 0) == 0) s.remove_prefix(2);
    int f[6] = {0, 1, 1, 0, 0, 0};
    const int width[6] = {4, 2, 2, 2, 2, 2};
    std::size_t pos = 0;
    for (int i = 0; i < 6; ++i) {
        if (pos + static_cast<std::size_t>(width[i]) > s.size() ||
            !std::all_of(s.begin() + static_cast<std::ptrdiff_t>(pos),
                         s.begin() + static_cast<std::ptrdiff_t>(pos) + width[i],
                         [](char c) { return c >= '0' && c <= '9'; })) {
            if (i == 0) return std::nullopt;
            break;
        }
        f[i] = std::stoi(std::string{s.substr(pos, static_cast<std::size_t>(width[i]))});
        pos += static_cast<std::size_t>(width[i]);
    }
    using namespace std::chrono;
    const year_month_day ymd{year{f[0]}, month{static_cast<unsigned>(f[1])},
                             day{static_cast<unsigned>(f[2])}};
    if (!ymd.ok()) return std::nullopt;
    TimePoint t = sys_days{ymd} + hours{f[3]} + minutes{f[4]} + seconds{f[5]};
    if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
        const int sign = s[pos] == '+' ? 1 : -1;
        int oh = 0;
        int om = 0;
        if (pos + 3 <= s.size()) oh = std::atoi(std::string{s.substr(pos + 1, 2)}.c_str());
        if (pos + 7 <= s.size() && s[pos + 3] == '\'')
            om = std::atoi(std::string{s.substr(pos + 4, 2)}.c_str());
        t -= sign * (hours{oh} + minutes{om});
    }
    return t;
}

/// Digests of the two byte ranges of one PDF signature, streamed once per algorithm.
class RangeDigests {
public:
    RangeDigests(fs::path path, std::array<std::uint64_t, 4> range)
        : m_path{std::move(path)}, m_range{range} {}
    std::optional<Bytes> operator()(crypto::DigestAlgorithm alg) {
        if (auto it = m_cache.find(alg); it != m_cache.end()) return it->second;
        try {
            crypto::Hasher h{alg};
            const auto sink = [&](ByteView chunk) { h.update(chunk); };
            pdf::read_range(m_path, m_range[0], m_range[1], sink);
            pdf::read_range(m_path, m_range[2], m_range[3], sink);
            Bytes d = h.finish();
            m_cache[alg] = d;
            return d;
        } catch (const Error&) {
            return std::nullopt;
        }
    }

private:
    fs::path m_path;
    std::array<std::uint64_t, 4> m_range;
    std::map<crypto::DigestAlgorithm, Bytes> m_cache;
};

/// ByteRange sanity (ISO 32000-1 §12.8.1; issue 15): [0 a b c] with a < b, covering everything from the
/// file start to the end of a revision except exactly the /Contents hex string, which must hold the
/// signature dictionary's /Contents.
std::vector<std::string> check_byte_range(const fs::path& path, const pdf::SignatureValue& s,
                                          std::uint64_t size, const std::vector<std::uint64_t>& ends) {
    std::vector<std::string> problems;
    const auto& br = s.byte_range;
    if (br.size() != 4) {
        problems.push_back("/ByteRange does not have four numbers");
        return problems;
    }
    if (br[0] != 0) problems.push_back("/ByteRange does not start at offset 0");
    if (br[1] == 0 || br[2] < br[1] + 2)
        problems.push_back("/ByteRange's two ranges overlap or leave no room for /Contents");
    if (br[2] > size || br[3] > size - std::min(br[2], size)) {
        problems.push_back("/ByteRange reaches past the end of the file");
        return problems;
    }
    if (!problems.empty()) return problems;
    const std::uint64_t end = br[2] + br[3];
    if (std::find(ends.begin(), ends.end(), end) == ends.end()) {
        problems.push_back("the signed range does not end where a revision ends (%%EOF)");
    }
    // The gap is exactly the hex string of /Contents: "<" hex ">" and nothing else.
    const std::uint64_t gap = br[2] - br[1];
    if (gap > 2 * 64ull * 1024 * 1024 + 2) {
        problems.push_back("the unsigned gap in /ByteRange is larger than any /Contents");
        return problems;
    }
    std::string text;
    pdf::read_range(path, br[1], gap, [&](ByteView chunk) { text.append(chunk.begin(), chunk.end()); });
    if (text.size() < 2 || text.front() != '<' || text.back() != '>') {
        problems.push_back("the unsigned gap in /ByteRange is not exactly the /Contents hex string");
        return problems;
    }
    Bytes decoded;
    decoded.reserve((text.size() - 2) / 2);
    int high = -1;
    bool bad = false;
    for (std::size_t i = 1; i + 1 < text.size(); ++i) {
        const char c = text[i];
        int v = -1;
        if (c >= '0' && c <= '9')
            v = c - '0';
        else if (c >= 'a' && c <= 'f')
            v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v = c - 'A' + 10;
        else if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        else
            bad = true;
        if (v < 0) continue;
        if (high < 0) {
            high = v;
        } else {
            decoded.push_back(static_cast<std::uint8_t>(high * 16 + v));
            high = -1;
        }
    }
    if (high >= 0) decoded.push_back(static_cast<std::uint8_t>(high * 16));
    if (bad || decoded != s.contents) {
        problems.push_back("the unsigned gap in /ByteRange is not the signature dictionary's /Contents");
    }
    if (s.dictionary_offset && *s.dictionary_offset >= br[1]) {
        problems.push_back("the signature dictionary is not inside its own signed range");
    }
    return problems;
}

void fill_modification(SignatureReport& r, const fs::path& path, std::uint64_t revision_end,
                       std::uint64_t size, std::optional<int> docmdp,
                       const std::optional<pdf::FieldLock>& lock) {
    if (revision_end >= size) return;
    try {
        const pdf::RevisionDiff diff = pdf::compare_revisions(path, revision_end, docmdp, lock);
        r.modification.changes = diff.changes;
        r.modification.permitted = diff.permitted;
    } catch (const Error& e) {
        r.modification.changes.push_back(std::string{"the signed revision cannot be read on its own: "} +
                                         e.what());
    }
    r.modification.detected = !r.modification.changes.empty();
    if (r.modification.detected) {
        if (r.verdict.indication == Indication::TotalPassed) {
            // The signed bytes are intact, but the document shown is not the one signed in a way its
            // certification (DocMDP) or common sense forbids: the signature's constraints fail.
            r.verdict = Verdict{Indication::Indeterminate, SubIndication::SigConstraintsFailure};
        }
        r.errors.push_back("the document was changed after this signature in ways it does not permit");
    }
}

/// adbe.pkcs7.sha1: the encapsulated content must be SHA-1 of the byte ranges (else HASH_FAILURE, the
/// signature value itself being intact), and that SHA-1 is the document digest, whatever algorithm the
/// signer used over it: the crypto constraints judge it at best-signature-time (EN 319 102-1 §5.2.8).
void judge_sha1_document_digest(SignatureReport& r, const Bytes& encapsulated, RangeDigests& ranges,
                                const CryptoPolicy& policy) {
    const auto fail = [&](Indication i, SubIndication sub, bool before_chain) {
        // HASH_FAILURE comes before chain and constraint verdicts (§5.3 order), after format and value.
        const bool replace = r.verdict.indication == Indication::TotalPassed ||
                             (before_chain && r.verdict.subindication != SubIndication::FormatFailure &&
                              r.verdict.subindication != SubIndication::SigCryptoFailure);
        if (replace) r.verdict = Verdict{i, sub};
    };
    const auto got = ranges(crypto::DigestAlgorithm::Sha1);
    if (!got || *got != encapsulated) {
        r.crypto_valid = false;
        r.errors.push_back(
            "the SHA-1 digest the adbe.pkcs7.sha1 signature encapsulates does not match the "
            "bytes of /ByteRange");
        fail(Indication::TotalFailed, SubIndication::HashFailure, true);
    }
    const TimePoint at = r.best_signature_time.value_or(std::chrono::system_clock::now());
    const bool already = std::any_of(r.errors.begin(), r.errors.end(), [](const std::string& e) {
        return e.find("SHA-1 signatures are not acceptable") != std::string::npos;
    });
    if (at >= policy.sha1_sunset && !already) {
        r.errors.push_back("adbe.pkcs7.sha1 digests the document with SHA-1, not acceptable after " +
                           format_rfc3339(policy.sha1_sunset) +
                           " and no time-stamp proves an earlier existence");
        fail(Indication::Indeterminate, SubIndication::CryptoConstraintsFailureNoPoe, false);
    }
}

}  // namespace

RevocationFetch revocation_through(pki::RevocationFetcher& fetcher) {
    return [&fetcher](const Bytes& cert, const Bytes& issuer) -> std::optional<FetchedRevocation> {
        try {
            const auto info =
                fetcher.fetch(pki::Certificate::from_der(cert), pki::Certificate::from_der(issuer));
            FetchedRevocation r;
            if (!info.ocsp_response.empty()) r.ocsp_responses.push_back(info.ocsp_response);
            if (!info.crl.empty()) r.crls.push_back(info.crl);
            r.certificates = info.certificates;
            return r;
        } catch (const Error&) {
            return std::nullopt;  // the report says there is no status (TRY_LATER)
        }
    };
}

IssuerFetch issuers_through(pki::RevocationFetcher& fetcher) {
    return [&fetcher](const Bytes& cert) -> std::optional<Bytes> {
        try {
            if (auto issuer = fetcher.fetch_issuer(pki::Certificate::from_der(cert))) return issuer->der();
        } catch (const Error&) {
        }
        return std::nullopt;
    };
}

ContentDigest digest_of_bytes(Bytes content) {
    auto shared = std::make_shared<Bytes>(std::move(content));
    return [shared](crypto::DigestAlgorithm alg) { return crypto::digest(alg, *shared); };
}

ContentDigest digest_of_file(fs::path content) {
    return [content](crypto::DigestAlgorithm alg) {
        std::ifstream in{content, std::ios::binary};
        require(in.good(), Errc::NotFound, "cannot read " + content.string());
        return crypto::digest(alg, in);
    };
}

DocumentReport validate_cms(ByteView input, const std::optional<ContentDigest>& detached,
                            const Options& options) {
    DocumentReport d;
    d.format = "CAdES";
    try {
        require(input.size() <= options.max_cms_bytes, Errc::PayloadTooLarge,
                "the CMS is larger than the limit");
        const auto der = ades::cms_der(input);
        if (!der) {
            d.format.reset();
            d.error = "neither a PDF nor a CMS signature (DER or PEM)";
            return d;
        }
        Bytes normalized;
        const cms::SignedData sd = detail::parse_cms(*der, normalized);
        require(!sd.signer_infos.empty(), Errc::InvalidEncoding, "the CMS has no SignerInfo");
        Material material;
        material.add_signed_data(sd);
        detail::SignerContext ctx;
        ctx.cms_der = normalized;
        if (sd.content) {
            const Bytes content = *sd.content;
            ctx.content_digest = [content](crypto::DigestAlgorithm alg) -> std::optional<Bytes> {
                return crypto::digest(alg, content);
            };
        } else if (detached) {
            auto fn = *detached;
            auto cache = std::make_shared<std::map<crypto::DigestAlgorithm, Bytes>>();
            ctx.content_digest = [fn, cache](crypto::DigestAlgorithm alg) -> std::optional<Bytes> {
                if (auto it = cache->find(alg); it != cache->end()) return it->second;
                try {
                    Bytes v = fn(alg);
                    (*cache)[alg] = v;
                    return v;
                } catch (const Error&) {
                    return std::nullopt;
                }
            };
        }
        const TimePoint now = now_of(options);
        for (std::size_t i = 0; i < sd.signer_infos.size(); ++i) {
            d.signatures.push_back(detail::judge_signer(sd, i, ctx, material, options, now));
            // Counter-signatures (RFC 5652 §11.4) follow the signature they countersign.
            auto counter =
                detail::judge_counter_signatures(sd, i, d.signatures.back(), ctx, material, options, now);
            for (auto& c : counter)
                d.signatures.push_back(std::move(c));
        }
    } catch (const Error& e) {
        d.error = e.what();
        d.signatures.clear();
    } catch (const std::exception& e) {
        d.error = std::string{"cannot be validated: "} + e.what();
        d.signatures.clear();
    }
    return d;
}

DocumentReport validate_pdf(const fs::path& path, const Options& options) {
    DocumentReport d;
    d.file = path.string();
    d.format = "PAdES";
    try {
        const pdf::Document doc = pdf::Document::open(path);
        const std::vector<pdf::SignatureValue> sigs = doc.signatures();
        const std::vector<std::uint64_t> ends = pdf::revision_ends(path);
        const std::uint64_t size = doc.file_size();
        const TimePoint now = now_of(options);
        Material dss;
        {
            const pdf::DssData data = doc.dss();
            for (const auto& c : data.certs)
                dss.add_certificate(c);
            for (const auto& o : data.ocsps)
                dss.add_ocsp(o);
            for (const auto& c : data.crls)
                dss.add_crl(c);
        }
        const auto end_of = [](const pdf::SignatureValue& s) -> std::uint64_t {
            return s.byte_range.size() == 4 ? s.byte_range[2] + s.byte_range[3] : 0;
        };

        // Document time-stamps first, newest first: each is a proof of existence for everything before
        // it, including the previous time-stamps (EN 319 142-1 §5.5, B-LTA).
        struct DocTs {
            std::uint64_t end = 0;
            TimestampReport report;
        };
        std::vector<std::size_t> dts_order;
        for (std::size_t i = 0; i < sigs.size(); ++i) {
            if (sigs[i].type == pdf::SignatureType::DocTimeStamp) dts_order.push_back(i);
        }
        std::sort(dts_order.begin(), dts_order.end(),
                  [&](std::size_t a, std::size_t b) { return end_of(sigs[a]) > end_of(sigs[b]); });
        std::vector<DocTs> valid_dts;  // TOTAL-PASSED ones
        std::map<std::size_t, TimestampReport> dts_reports;
        for (const std::size_t i : dts_order) {
            const auto& s = sigs[i];
            const auto problems = check_byte_range(path, s, size, ends);
            std::optional<TimePoint> later;
            for (const auto& v : valid_dts) {
                if (v.end > end_of(s) && v.report.time && (!later || *v.report.time < *later))
                    later = v.report.time;
            }
            TimestampReport rep;
            if (!problems.empty() || s.byte_range.size() != 4) {
                rep.kind = "document";
                rep.verdict = Verdict{Indication::TotalFailed, SubIndication::FormatFailure};
                rep.errors = problems;
            } else {
                RangeDigests digests{path,
                                     {s.byte_range[0], s.byte_range[1], s.byte_range[2], s.byte_range[3]}};
                const auto token = detail::first_tlv(s.contents);
                Material material = dss;
                auto res = detail::check_token(
                    token ? ByteView{*token} : ByteView{}, "document",
                    [&](const tsp::MessageImprint& imp) {
                        const auto alg = imp.algorithm();
                        if (!alg) return false;
                        const auto got = digests(*alg);
                        return got && *got == imp.hashed_message;
                    },
                    material, options, now, later);
                rep = res.report;
                if (rep.verdict.indication == Indication::TotalPassed) valid_dts.push_back({end_of(s), rep});
            }
            rep.field = s.field_name;
            dts_reports[i] = rep;
        }

        std::size_t n = 0;
        for (std::size_t i = 0; i < sigs.size(); ++i) {
            const auto& s = sigs[i];
            if (s.type == pdf::SignatureType::DocTimeStamp) {
                d.document_timestamps.push_back(dts_reports[i]);
                continue;
            }
            SignatureReport r;
            const std::string id = "S" + std::to_string(n++);
            const std::string sub = s.sub_filter.empty() ? "" : s.sub_filter.substr(1);
            const auto problems = check_byte_range(path, s, size, ends);
            // adbe.pkcs7.sha1 (ISO 32000-1 §12.8.3.3.1): the CMS encapsulates SHA-1(ranges) as its content.
            const bool sha1_filter = sub == "adbe.pkcs7.sha1";
            const bool cms_filter =
                sub == "ETSI.CAdES.detached" || sub == "adbe.pkcs7.detached" || sha1_filter;
            if (!cms_filter) {
                r.verdict = Verdict{Indication::Indeterminate, SubIndication::FormatFailure};
                r.errors.push_back("/SubFilter /" + sub +
                                   " is not supported (ETSI.CAdES.detached, adbe.pkcs7.detached, "
                                   "adbe.pkcs7.sha1, ETSI.RFC3161)");
            } else if (!problems.empty()) {
                r.verdict = Verdict{Indication::TotalFailed, SubIndication::FormatFailure};
                r.errors = problems;
            } else {
                try {
                    // DER, cut before the zero padding; a BER CMS with indefinite lengths (Bouncy Castle
                    // writes them, PDFBox embeds them) has no length to cut at: OpenSSL's reader inside
                    // parse_cms reads it from the front and stops at its end-of-contents.
                    const auto der = detail::first_tlv(s.contents);
                    const bool ber =
                        !der && s.contents.size() > 2 && s.contents[0] == 0x30 && s.contents[1] == 0x80;
                    require(der.has_value() || ber, Errc::InvalidEncoding,
                            "/Contents does not start with a DER value");
                    Bytes normalized;
                    const cms::SignedData sd =
                        detail::parse_cms(der ? ByteView{*der} : ByteView{s.contents}, normalized);
                    require(sd.signer_infos.size() == 1, Errc::InvalidEncoding,
                            "a PDF signature's CMS has exactly one SignerInfo (ISO 32000-1 §12.8.3.3.1)");
                    if (sha1_filter) {
                        require(sd.content && sd.content->size() == 20, Errc::InvalidEncoding,
                                "an adbe.pkcs7.sha1 CMS encapsulates the 20-byte SHA-1 digest of the byte "
                                "ranges (ISO 32000-1 §12.8.3.3.1)");
                    } else {
                        require(!sd.content, Errc::InvalidEncoding, "a PDF signature's CMS is detached");
                    }
                    Material material = dss;
                    material.add_signed_data(sd);
                    auto digests = std::make_shared<RangeDigests>(
                        path, std::array<std::uint64_t, 4>{s.byte_range[0], s.byte_range[1], s.byte_range[2],
                                                           s.byte_range[3]});
                    detail::SignerContext ctx;
                    ctx.cms_der = normalized;
                    ctx.pdf = true;
                    if (sha1_filter) {
                        // The signer signed the encapsulated digest; whether it is the document's is
                        // checked below, so that a changed document is HASH_FAILURE, not a broken value.
                        const Bytes content = *sd.content;
                        ctx.content_digest = [content](crypto::DigestAlgorithm alg) -> std::optional<Bytes> {
                            return crypto::digest(alg, content);
                        };
                    } else {
                        ctx.content_digest = [digests](crypto::DigestAlgorithm alg) {
                            return (*digests)(alg);
                        };
                    }
                    ctx.claimed_time = parse_pdf_date(s.signing_time);
                    for (const auto& v : valid_dts) {
                        if (v.end > end_of(s) && v.report.time) {
                            ctx.external_poes.push_back(*v.report.time);
                            ctx.archived_externally = true;
                        }
                    }
                    r = detail::judge_signer(sd, 0, ctx, material, options, now);
                    if (sha1_filter) judge_sha1_document_digest(r, *sd.content, *digests, options.policy);
                    if (sub == "ETSI.CAdES.detached" &&
                        sd.signer_infos[0].signed_attribute(cms::oid::kSigningTime)) {
                        // EN 319 142-1 §5.3: the claimed time is /M; signing-time must not be in the CMS.
                        r.format_ok = false;
                        r.errors.push_back(
                            "a PAdES signature carries a CMS signing-time attribute (EN 319 142-1 §5.3)");
                        if (r.verdict.indication == Indication::TotalPassed) {
                            r.verdict = Verdict{Indication::TotalFailed, SubIndication::FormatFailure};
                        }
                    }
                    if (sub != "ETSI.CAdES.detached") r.level = Level::None;  // not a PAdES baseline
                } catch (const Error& e) {
                    r.verdict = Verdict{e.code() == Errc::UnsupportedAlgorithm ? Indication::Indeterminate
                                                                               : Indication::TotalFailed,
                                        e.code() == Errc::UnsupportedAlgorithm
                                            ? SubIndication::CryptoConstraintsFailure
                                            : SubIndication::FormatFailure};
                    r.errors.push_back(std::string{"/Contents: "} + e.what());
                }
            }
            r.id = id;
            r.field = s.field_name;
            r.sub_filter = sub;
            r.format_ok = r.format_ok && problems.empty() && cms_filter;
            if (r.format_ok == false && r.verdict.indication == Indication::TotalPassed) {
                r.verdict = Verdict{Indication::TotalFailed, SubIndication::FormatFailure};
            }
            // The DocMDP P of a certification, or the /Lock /P of an approval signature, whichever is
            // stricter (ISO 32000-2 §12.7.5.5); FieldMDP locks of this signature.
            std::optional<int> permissions = s.certification ? doc.docmdp() : std::nullopt;
            if (s.lock_permissions && (!permissions || *s.lock_permissions < *permissions))
                permissions = s.lock_permissions;
            fill_modification(r, path, end_of(s), size, permissions, s.field_lock);
            d.signatures.push_back(std::move(r));
        }
        if (sigs.empty()) d.error = "the document has no signature or document time-stamp";
    } catch (const Error& e) {
        d.error = e.what();
        d.signatures.clear();
        d.document_timestamps.clear();
    } catch (const std::exception& e) {
        d.error = std::string{"cannot be validated: "} + e.what();
        d.signatures.clear();
        d.document_timestamps.clear();
    }
    return d;
}

DocumentReport validate_file(const fs::path& file, const std::optional<ContentDigest>& detached,
                             const Options& options, const std::vector<NamedContent>& contents) {
    DocumentReport d;
    d.file = file.string();
    std::ifstream in{file, std::ios::binary};
    if (!in.good()) {
        d.error = "cannot read the file";
        return d;
    }
    char head[1024] = {};
    in.read(head, sizeof head);
    const std::string_view h{head, static_cast<std::size_t>(in.gcount())};
    // A DER CMS (first octet 0x30, a SEQUENCE) may envelope a PDF whose header then appears early on.
    if (h.find("%PDF-") != std::string_view::npos &&
        !(h.empty() || static_cast<unsigned char>(h[0]) == 0x30)) {
        return validate_pdf(file, options);
    }
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    if (!ec && xades::looks_like_xml(ByteView{reinterpret_cast<const std::uint8_t*>(h.data()), h.size()})) {
        if (size > options.max_xml_bytes) {
            d.error = "the file is larger than the XML limit";
            return d;
        }
        in.clear();
        in.seekg(0);
        const Bytes all{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
        DocumentReport r = validate_xml(all, contents, options);
        r.file = file.string();
        return r;
    }
    if (ec || size > options.max_cms_bytes) {
        d.error = ec ? "cannot read the file" : "the file is larger than the CMS limit";
        return d;
    }
    in.clear();
    in.seekg(0);
    const Bytes all{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    DocumentReport r = validate_cms(all, detached, options);
    r.file = file.string();
    return r;
}

}  // namespace inkan::validation
