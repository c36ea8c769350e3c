// EN 319 102-1 for one SignerInfo: identification of the signing certificate (§5.2.3), cryptographic
// verification (§5.2.7), time-stamps and best-signature-time (§5.5), X.509 validation with revocation
// (§5.2.6) and past signature validation (§5.6.2.4), cryptographic constraints (§5.2.8), then the level.

#include <algorithm>
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

SignatureReport judge_signer(const cms::SignedData& sd, std::size_t index, const SignerContext& ctx,
                             Material& material, const Options& options, TimePoint now) {
    SignatureReport r;
    r.id = "S" + std::to_string(index);
    const cms::SignerInfo& si = sd.signer_infos.at(index);
    r.signature_algorithm = std::string{crypto::name(si.signature_algorithm)};
    r.claimed_signing_time = signing_time(si);
    if (!r.claimed_signing_time) r.claimed_signing_time = ctx.claimed_time;
    r.format_ok = true;
    r.verdict = Verdict{Indication::TotalPassed, std::nullopt};
    const auto fail = [&](Indication i, SubIndication s, const std::string& why) {
        // The first failure decides (the order below follows EN 319 102-1 §5.3: identification,
        // cryptographic verification, then X.509 validation); every reason is listed.
        if (r.verdict.indication == Indication::TotalPassed) r.verdict = Verdict{i, s};
        r.errors.push_back(why);
    };

    // §5.2.3 identification of the signing certificate.
    const auto cert = signer_certificate(sd, index, material);
    if (!cert) {
        fail(Indication::Indeterminate, SubIndication::NoSigningCertificateFound,
             "the signer's certificate is neither in the CMS nor in the document");
        return r;
    }
    r.signer = subject_of(*cert);
    const std::optional<bool> ess = ess_matches(si, *cert);

    // §5.2.7 cryptographic verification.
    std::optional<Bytes> content_digest;
    if (ctx.content_digest) content_digest = ctx.content_digest(si.digest_algorithm);
    const SignerCheck check = check_signer(sd, index, content_digest, cert->public_key(), true);
    r.intact = check.intact;
    r.crypto_valid = check.intact && check.digest_ok;
    if (!check.content_type_ok) {
        r.format_ok = false;
        fail(Indication::TotalFailed, SubIndication::FormatFailure,
             "the content-type attribute does not match eContentType (RFC 5652 §11.1)");
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
             ctx.pdf ? "message-digest does not match the bytes of /ByteRange"
                     : "message-digest does not match the signed content");
    }
    if (ess && !*ess) {
        fail(Indication::Indeterminate, SubIndication::NoSigningCertificateFound,
             "the ESS signing-certificate attribute does not name the signer's certificate");
    }

    // §5.5 time-stamps on the signature: their times are proofs of existence.
    std::vector<TimePoint> poes = ctx.external_poes;
    const Bytes& signature_value = si.signature;
    std::vector<TimePoint> archive_times;
    const auto archive_tokens = attribute_values(si.unsigned_attributes, kArchiveTimeStampV3);
    for (const auto& token : archive_tokens) {
        const auto res = check_token(
            token, "archive",
            [&](const tsp::MessageImprint& imp) {
                const auto alg = imp.algorithm();
                if (!alg) return false;
                const auto content = ctx.content_digest ? ctx.content_digest(*alg) : std::nullopt;
                if (!content) return false;
                const auto want =
                    ades::archive_time_stamp_v3_imprint(ctx.cms_der, index, token, *alg, *content);
                return want && *want == imp.hashed_message;
            },
            material, options, now, std::nullopt);
        if (res.report.verdict.indication == Indication::TotalPassed && res.report.time) {
            archive_times.push_back(*res.report.time);
        }
        r.timestamps.push_back(res.report);
    }
    std::optional<TimePoint> archive_poe;
    if (!archive_times.empty()) archive_poe = *std::min_element(archive_times.begin(), archive_times.end());
    bool signature_ts_ok = false;
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
        } else {
            r.errors.push_back("signature-time-stamp not accepted: " +
                               (res.report.errors.empty() ? std::string{"?"} : res.report.errors.front()));
        }
        r.timestamps.push_back(res.report);
    }
    // Timestamps first so their reports come in signing order.
    std::stable_partition(r.timestamps.begin(), r.timestamps.end(),
                          [](const TimestampReport& t) { return t.kind == "signature"; });
    std::optional<TimePoint> poe;
    if (!poes.empty()) poe = *std::min_element(poes.begin(), poes.end());
    r.best_signature_time = poe ? *poe : now;
    if (poe && r.claimed_signing_time && *r.claimed_signing_time > *poe + std::chrono::minutes{5}) {
        // §5.6.2.3: a time-stamp cannot predate the signing time it covers.
        fail(Indication::Indeterminate, SubIndication::TimestampOrderFailure,
             "the claimed signing time is after the signature-time-stamp");
    }

    // §5.2.6 X.509 validation, revocation, and §5.6.2.4 past validation against the POE.
    const Chain chain = build_chain(*cert, material, options.trust_anchors);
    for (const auto& c : chain.certificates)
        r.chain.push_back(subject_of(c));
    bool long_term = false;
    if (!chain.found) {
        if (r.chain.empty()) r.chain.push_back(r.signer);
        fail(Indication::Indeterminate,
             chain.constraints_failed ? SubIndication::ChainConstraintsFailure
                                      : SubIndication::NoCertificateChainFound,
             chain.error);
    } else {
        const ChainJudgement j = judge_chain(chain, material, options, now, poe);
        r.revocation = j.signer_revocation;
        long_term = j.all_from_file;
        if (j.failure) fail(j.failure->indication, *j.failure->subindication, j.error);
    }

    // §5.2.8 cryptographic constraints, with the POE as the time that counts.
    const TimePoint at = poe ? *poe : now;
    const crypto::PublicKey key = cert->public_key();
    if (si.signature_algorithm.digest == crypto::DigestAlgorithm::Sha1 && at >= options.policy.sha1_sunset) {
        fail(Indication::Indeterminate, SubIndication::CryptoConstraintsFailureNoPoe,
             "SHA-1 signatures are not acceptable after " + format_rfc3339(options.policy.sha1_sunset) +
                 " and no time-stamp proves an earlier existence");
    }
    if (key.type() == crypto::KeyType::Rsa && key.bits() < options.policy.min_rsa_bits &&
        at >= options.policy.rsa_small_sunset) {
        fail(Indication::Indeterminate, SubIndication::CryptoConstraintsFailureNoPoe,
             "RSA-" + std::to_string(key.bits()) + " is below the policy's " +
                 std::to_string(options.policy.min_rsa_bits) + " bits");
    }
    if (key.type() == crypto::KeyType::Ec && key.bits() < options.policy.min_ec_bits) {
        fail(Indication::Indeterminate, SubIndication::CryptoConstraintsFailure,
             "an EC key of " + std::to_string(key.bits()) + " bits is below the policy");
    }

    // The level actually present and valid (EN 319 122-1 §5.3-5.5 / EN 319 142-1 §5.3-5.5).
    if (check.has_signed_attributes && ess && *ess && r.crypto_valid) {
        r.level = Level::BB;
        if (!poes.empty() && (signature_ts_ok || ctx.pdf)) r.level = Level::BT;
        if (r.level == Level::BT && chain.found && long_term) {
            r.level = Level::BLT;
            if (archive_poe || ctx.archived_externally) r.level = Level::BLTA;
        }
    }
    return r;
}

}  // namespace inkan::validation::detail
