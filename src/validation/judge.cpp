// EN 319 102-1 for one SignerInfo: identification of the signing certificate (§5.2.3), cryptographic
// verification (§5.2.7), time-stamps and best-signature-time (§5.5), X.509 validation with revocation
// (§5.2.6) and past signature validation (§5.6.2.4), cryptographic constraints (§5.2.8), then the level.

#include <algorithm>
#include <functional>
#include <string>

#include <inkan/ades/cades.h>
#include <inkan/core/error.h>
#include <inkan/crypto/der.h>
#include <inkan/crypto/digest.h>

#include "trust.h"

namespace inkan::validation::detail {

namespace {

std::optional<TimePoint> signing_time(const cms::SignerInfo& si) {
    const Bytes* v = si.signed_attribute(cms::oid::kSigningTime);
    if (v == nullptr) return std::nullopt;
    try {
        der::Reader r{*v};
        return r.read_time();
    } catch (const Error&) {
        return std::nullopt;
    }
}

std::vector<Bytes> attribute_values(const std::vector<cms::Attribute>& attrs, std::string_view type) {
    std::vector<Bytes> out;
    for (const auto& a : attrs) {
        if (a.type == type) out.insert(out.end(), a.values.begin(), a.values.end());
    }
    return out;
}

}  // namespace

namespace {

/// What one SignerInfo is judged against: a top-level SignerInfo (its index, for the archive
/// time-stamps that hash the SignedData) over the content, or a counter-signature over the
/// countersigned signature value.
struct Target {
    const cms::SignerInfo& si;
    std::optional<std::size_t> index;
    std::optional<std::string_view> content_type;
    std::function<std::optional<Bytes>(crypto::DigestAlgorithm)> content_digest;
    std::vector<TimePoint> external_poes;
    bool archived_externally = false;
};

SignatureReport judge(const cms::SignedData& sd, const Target& t, const SignerContext& ctx,
                      Material& material, const Options& options, TimePoint now) {
    SignatureReport r;
    const cms::SignerInfo& si = t.si;
    r.signature_algorithm = std::string{crypto::name(si.signature_algorithm)};
    r.claimed_signing_time = signing_time(si);
    if (!r.claimed_signing_time && t.index) r.claimed_signing_time = ctx.claimed_time;
    r.format_ok = true;
    r.verdict = Verdict{Indication::TotalPassed, std::nullopt};
    const auto fail = [&](Indication i, SubIndication s, const std::string& why) {
        // The first failure decides (the order below follows EN 319 102-1 §5.3: identification,
        // cryptographic verification, then X.509 validation); every reason is listed.
        if (r.verdict.indication == Indication::TotalPassed) r.verdict = Verdict{i, s};
        r.errors.push_back(why);
    };

    // §5.2.3 identification of the signing certificate.
    std::optional<pki::Certificate> cert =
        t.index ? signer_certificate(sd, *t.index, material) : signer_certificate(si, material);
    if (!cert) {
        fail(Indication::Indeterminate, SubIndication::NoSigningCertificateFound,
             "the signer's certificate is neither in the CMS nor in the document");
        return r;
    }
    r.signer = subject_of(*cert);
    r.signer_serial = cert->serial_hex();
    r.signer_certificate_expiry = cert->not_after();
    const std::optional<bool> ess = ess_matches(si, *cert);

    // §5.2.7 cryptographic verification.
    std::optional<Bytes> content_digest;
    if (t.content_digest) content_digest = t.content_digest(si.digest_algorithm);
    const SignerCheck check =
        check_signer_info(si, t.content_type, content_digest, cert->public_key(), /*allow_sha1=*/true);
    r.intact = check.intact;
    r.crypto_valid = check.intact && check.digest_ok;
    if (!check.content_type_ok) {
        r.format_ok = false;
        fail(Indication::TotalFailed, SubIndication::FormatFailure,
             t.content_type ? "the content-type attribute does not match eContentType (RFC 5652 §11.1)"
                            : "a counter-signature carries a content-type attribute (RFC 5652 §11.4)");
    }
    if (!check.intact) {
        fail(Indication::TotalFailed, SubIndication::SigCryptoFailure,
             "the signature value does not verify with the signer's public key");
    }
    if (!content_digest) {
        fail(Indication::Indeterminate, SubIndication::SignedDataNotFound,
             "the signed content is detached and was not given");
    } else if (check.intact && !check.digest_ok) {
        fail(Indication::TotalFailed, SubIndication::HashFailure,
             !t.index  ? "message-digest does not match the countersigned signature value"
             : ctx.pdf ? "message-digest does not match the bytes of /ByteRange"
                       : "message-digest does not match the signed content");
    }
    if (ess && !*ess) {
        fail(Indication::Indeterminate, SubIndication::NoSigningCertificateFound,
             "the ESS signing-certificate attribute does not name the signer's certificate");
    }

    // §5.5 time-stamps on the signature: their times are proofs of existence. Archive time-stamps
    // first: they are the later proofs for the signature-time-stamps' own TSA certificates.
    std::vector<TimePoint> poes = t.external_poes;
    const Bytes& signature_value = si.signature;
    std::vector<TimePoint> archive_times;
    bool archive_v3 = false;
    if (t.index) {
        const std::size_t index = *t.index;
        for (const auto& token : attribute_values(si.unsigned_attributes, kArchiveTimeStampV3)) {
            const auto res = check_token(
                token, "archive",
                [&](const tsp::MessageImprint& imp) {
                    const auto alg = imp.algorithm();
                    if (!alg) return false;
                    const auto content = t.content_digest ? t.content_digest(*alg) : std::nullopt;
                    if (!content) return false;
                    const auto want =
                        ades::archive_time_stamp_v3_imprint(ctx.cms_der, index, token, *alg, *content);
                    return want && *want == imp.hashed_message;
                },
                material, options, now, std::nullopt);
            if (res.report.verdict.indication == Indication::TotalPassed && res.report.time) {
                archive_times.push_back(*res.report.time);
                archive_v3 = true;
            }
            r.timestamps.push_back(res.report);
        }
        // CAdES-A archive-time-stamp v2 (TS 101 733 §6.4.1): a proof of existence like ATSv3, but
        // not the baseline B-LTA form (EN 319 122-1 §5.5.3 names ATSv3).
        for (const auto& token : attribute_values(si.unsigned_attributes, kArchiveTimeStampV2)) {
            const auto res = check_token(
                token, "archive",
                [&](const tsp::MessageImprint& imp) {
                    return archive_time_stamp_v2_matches(ctx.cms_der, index, token, imp);
                },
                material, options, now, std::nullopt);
            if (res.report.verdict.indication == Indication::TotalPassed && res.report.time) {
                archive_times.push_back(*res.report.time);
            }
            r.timestamps.push_back(res.report);
        }
    }
    std::optional<TimePoint> archive_poe;
    if (!archive_times.empty()) archive_poe = *std::min_element(archive_times.begin(), archive_times.end());
    for (const TimePoint p : t.external_poes) {
        if (!archive_poe || p < *archive_poe) archive_poe = p;
    }
    bool signature_ts_ok = false;
    std::optional<TimePoint> first_signature_ts;
    for (const auto& token : attribute_values(si.unsigned_attributes, cms::oid::kSignatureTimeStampToken)) {
        // EN 319 122-1 §5.3: the imprint is over the signature field's value (the OCTET STRING contents).
        const auto res = check_token(
            token, "signature",
            [&](const tsp::MessageImprint& imp) {
                const auto alg = imp.algorithm();
                return alg && crypto::digest(*alg, signature_value) == imp.hashed_message;
            },
            material, options, now, archive_poe);
        if (res.report.verdict.indication == Indication::TotalPassed && res.report.time) {
            poes.push_back(*res.report.time);
            signature_ts_ok = true;
            if (!first_signature_ts || *res.report.time < *first_signature_ts)
                first_signature_ts = res.report.time;
        } else {
            r.errors.push_back("signature-time-stamp not accepted: " +
                               (res.report.errors.empty() ? std::string{"?"} : res.report.errors.front()));
        }
        r.timestamps.push_back(res.report);
    }
    // Content time-stamps (EN 319 122-1 §5.2.8, a signed attribute): a proof that the content existed
    // before the signature; their imprint is over the content. The signature covers the token, so the
    // signature's own proof of existence is the later POE for the token's TSA certificate.
    std::optional<TimePoint> latest_content_ts;
    for (const auto& token : attribute_values(si.signed_attributes, kContentTimeStamp)) {
        const auto res = check_token(
            token, "content",
            [&](const tsp::MessageImprint& imp) {
                const auto alg = imp.algorithm();
                if (!alg || !t.content_digest) return false;
                const auto want = t.content_digest(*alg);
                return want && *want == imp.hashed_message;
            },
            material, options, now,
            poes.empty() ? archive_poe : std::optional{*std::min_element(poes.begin(), poes.end())});
        if (res.report.verdict.indication == Indication::TotalPassed && res.report.time) {
            if (!latest_content_ts || *res.report.time > *latest_content_ts)
                latest_content_ts = res.report.time;
        } else {
            r.errors.push_back("content-time-stamp not accepted: " +
                               (res.report.errors.empty() ? std::string{"?"} : res.report.errors.front()));
        }
        r.timestamps.push_back(res.report);
    }
    // Reports in signing order: content, signature, archive.
    std::stable_sort(r.timestamps.begin(), r.timestamps.end(),
                     [](const TimestampReport& a, const TimestampReport& b) {
                         const auto rank = [](const std::string& k) {
                             return k == "content" ? 0 : k == "signature" ? 1 : 2;
                         };
                         return rank(a.kind) < rank(b.kind);
                     });
    std::optional<TimePoint> poe;
    if (!poes.empty()) poe = *std::min_element(poes.begin(), poes.end());
    r.best_signature_time = poe ? *poe : now;
    if (poe && r.claimed_signing_time && *r.claimed_signing_time > *poe + std::chrono::minutes{5}) {
        // §5.6.2.3: a time-stamp cannot predate the signing time it covers.
        fail(Indication::Indeterminate, SubIndication::TimestampOrderFailure,
             "the claimed signing time is after the signature-time-stamp");
    }
    if (latest_content_ts && first_signature_ts && *latest_content_ts > *first_signature_ts) {
        // §5.6.2.3 time-stamp ordering: the content was time-stamped before it was signed.
        fail(Indication::Indeterminate, SubIndication::TimestampOrderFailure,
             "the content-time-stamp (" + format_rfc3339(*latest_content_ts) +
                 ") is after the signature-time-stamp (" + format_rfc3339(*first_signature_ts) + ")");
    }

    // §5.2.6 X.509 validation, revocation, and §5.6.2.4 past validation against the POE.
    const ChainJudgement j = judge_signer_chain(*cert, material, options, now, poe, r);
    const bool long_term = j.all_from_file;
    if (j.failure) fail(j.failure->indication, *j.failure->subindication, j.error);

    // §5.2.8 cryptographic constraints, with the POE as the time that counts.
    const TimePoint at = poe ? *poe : now;
    const crypto::PublicKey key = cert->public_key();
    if (si.signature_algorithm.digest == crypto::DigestAlgorithm::Sha1 && at >= options.policy.sha1_sunset) {
        fail(Indication::Indeterminate, SubIndication::CryptoConstraintsFailureNoPoe,
             "SHA-1 signatures are not acceptable after " + format_rfc3339(options.policy.sha1_sunset) +
                 " and no time-stamp proves an earlier existence");
    }
    if (const auto k = key_size_failure(key, at, options.policy))
        fail(Indication::Indeterminate, k->subindication, k->why);

    // The level actually present and valid (EN 319 122-1 §5.3-5.5 / EN 319 142-1 §5.3-5.5).
    if (check.has_signed_attributes && ess && *ess && r.crypto_valid) {
        r.level = Level::BB;
        if (!poes.empty() && (signature_ts_ok || ctx.pdf)) r.level = Level::BT;
        if (r.level == Level::BT && long_term) {
            r.level = Level::BLT;
            if (archive_v3 || t.archived_externally) r.level = Level::BLTA;
        }
    }
    return r;
}

void counter_signatures_of(const cms::SignedData& sd, const cms::SignerInfo& parent,
                           const std::string& parent_id, const std::vector<TimePoint>& archive_poes,
                           const SignerContext& ctx, Material& material, const Options& options,
                           TimePoint now, int depth, std::vector<SignatureReport>& out) {
    if (depth >= 8) return;  // nesting bound: hostile input cannot recurse without end
    std::size_t k = 0;
    for (const auto& value : attribute_values(parent.unsigned_attributes, kCounterSignature)) {
        const std::string id = parent_id + ".C" + std::to_string(k++);
        SignatureReport r;
        std::optional<cms::SignerInfo> si;
        try {
            si = cms::parse_signer_info(value);
        } catch (const Error& e) {
            r.verdict = Verdict{
                e.code() == Errc::UnsupportedAlgorithm ? Indication::Indeterminate : Indication::TotalFailed,
                e.code() == Errc::UnsupportedAlgorithm ? SubIndication::CryptoConstraintsFailure
                                                       : SubIndication::FormatFailure};
            r.errors.push_back(std::string{"countersignature: "} + e.what());
        }
        if (si) {
            // RFC 5652 §11.4: the counter-signature's message-digest is over the contents octets of the
            // countersigned SignerInfo's signature field.
            const Bytes countersigned = parent.signature;
            Target t{*si,
                     std::nullopt,
                     std::nullopt,
                     [countersigned](crypto::DigestAlgorithm alg) -> std::optional<Bytes> {
                         return crypto::digest(alg, countersigned);
                     },
                     archive_poes,
                     false};
            r = judge(sd, t, ctx, material, options, now);
        }
        r.id = id;
        r.counter_signature_of = parent_id;
        out.push_back(std::move(r));
        if (si) counter_signatures_of(sd, *si, id, archive_poes, ctx, material, options, now, depth + 1, out);
    }
}

}  // namespace

SignatureReport judge_signer(const cms::SignedData& sd, std::size_t index, const SignerContext& ctx,
                             Material& material, const Options& options, TimePoint now) {
    Target t{sd.signer_infos.at(index), index, sd.content_type, ctx.content_digest, ctx.external_poes,
             ctx.archived_externally};
    SignatureReport r = judge(sd, t, ctx, material, options, now);
    r.id = "S" + std::to_string(index);
    return r;
}

std::vector<SignatureReport> judge_counter_signatures(const cms::SignedData& sd, std::size_t index,
                                                      const SignatureReport& parent, const SignerContext& ctx,
                                                      Material& material, const Options& options,
                                                      TimePoint now) {
    // Valid archive time-stamps of the top signature cover its unsigned attributes, the
    // counter-signatures among them: proofs of their existence.
    std::vector<TimePoint> archive_poes = ctx.external_poes;
    for (const auto& ts : parent.timestamps) {
        if (ts.kind == "archive" && ts.verdict.indication == Indication::TotalPassed && ts.time) {
            archive_poes.push_back(*ts.time);
        }
    }
    std::vector<SignatureReport> out;
    counter_signatures_of(sd, sd.signer_infos.at(index), parent.id, archive_poes, ctx, material, options, now,
                          0, out);
    return out;
}

}  // namespace inkan::validation::detail
