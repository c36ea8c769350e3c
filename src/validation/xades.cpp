// XAdES (ETSI EN 319 132-1) and plain XML-DSig signatures under EN 319 102-1 §5.3-§5.6 (decision 0025):
// the xades layer reads the XML (references resolved under the anti-wrapping rules, canonical
// SignedInfo, qualifying properties of this signature only); here the verdicts are given with the same
// trust machinery as CAdES (trust.h): identification of the signing certificate (§5.2.3), cryptographic
// verification (§5.2.7), time-stamps and best-signature-time (§5.5), X.509 validation with revocation
// (§5.2.6, §5.6.2.4), cryptographic constraints (§5.2.8), then the baseline level present.

#include <inkan/validation/validator.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>

#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>
#include <inkan/crypto/ecdsa.h>
#include <inkan/crypto/legacy.h>
#include <inkan/pki/certificate.h>
#include <inkan/xades/archive.h>
#include <inkan/xades/read.h>
#include <inkan/xades/xades.h>

#include "trust.h"

namespace inkan::validation {

namespace fs = std::filesystem;
using detail::Material;

namespace {

std::vector<pki::Certificate> parse_all(const std::vector<Bytes>& ders) {
    std::vector<pki::Certificate> out;
    for (const auto& d : ders) {
        try {
            out.push_back(pki::Certificate::from_der(d));
        } catch (const Error&) {
            // a certificate that does not parse identifies nothing
        }
    }
    return out;
}

/// The signature value over the canonical SignedInfo (XMLDSig 1.1 §3.2.2); ECDSA values are r‖s
/// (§6.4.3) and become DER for OpenSSL.
/// A decimal ds:X509SerialNumber as a big-endian magnitude without leading zeros; nullopt if not decimal.
std::optional<Bytes> decimal_magnitude(std::string_view decimal) {
    if (decimal.empty() || decimal.size() > 64) return std::nullopt;  // 20-octet serials have <= 49 digits
    Bytes out;                                                        // little-endian while accumulating
    for (const char ch : decimal) {
        if (ch < '0' || ch > '9') return std::nullopt;
        unsigned carry = static_cast<unsigned>(ch - '0');
        for (auto& b : out) {
            const unsigned v = b * 10u + carry;
            b = static_cast<std::uint8_t>(v & 0xFFu);
            carry = v >> 8;
        }
        while (carry != 0) {
            out.push_back(static_cast<std::uint8_t>(carry & 0xFFu));
            carry >>= 8;
        }
    }
    while (!out.empty() && out.back() == 0)
        out.pop_back();
    return Bytes{out.rbegin(), out.rend()};
}

Bytes without_leading_zeros(Bytes b) {
    const auto first = std::find_if(b.begin(), b.end(), [](std::uint8_t v) { return v != 0; });
    return Bytes{first, b.end()};
}

/// The IssuerSerial(V2) of a SigningCertificate(V2) entry, when present, names `cert`. The v1 form's
/// ds:X509IssuerName is a string DN in any of several spellings, so only its serial is compared.
bool issuer_serial_names(const xades::CertReference& ref, const pki::Certificate& cert) {
    if (ref.issuer_serial_v2) return detail::issuer_serial_matches(*ref.issuer_serial_v2, cert);
    if (ref.serial_number) {
        const auto serial = decimal_magnitude(*ref.serial_number);
        return serial && *serial == without_leading_zeros(cert.serial());
    }
    return true;
}

bool value_verifies(const xades::SignatureRead& s, const pki::Certificate& cert) {
    if (!s.algorithm) return false;
    try {
        const crypto::PublicKey key = cert.public_key();
        Bytes value = s.signature_value;
        if (s.algorithm->padding == crypto::Padding::Ecdsa) value = crypto::ecdsa_raw_to_der(value);
        const Bytes digest = crypto::digest(s.algorithm->digest, s.signed_info);
        return key.verify_digest(*s.algorithm, digest, value);
    } catch (const Error&) {
        return false;
    }
}

/// The imprint an archive time-stamp of `s` (its ordinal `index`) must carry under `alg`, from
/// xades::archive_time_stamp_digest (the signer's own computation); nullopt when it cannot be computed.
using ArchiveImprint = std::function<std::optional<Bytes>(const xades::SignatureRead& s, std::size_t index,
                                                          crypto::DigestAlgorithm alg)>;

SignatureReport judge_xades(const xades::SignatureRead& s, Material& material, const Options& options,
                            TimePoint now, const ArchiveImprint& archive_imprint) {
    SignatureReport r;
    r.signature_algorithm = s.algorithm ? std::string{crypto::name(*s.algorithm)} : s.signature_method;
    r.claimed_signing_time = s.signing_time;
    r.format_ok = true;
    r.verdict = Verdict{Indication::TotalPassed, std::nullopt};
    const auto fail = [&](Indication i, SubIndication sub, const std::string& why) {
        // The first failure decides, in EN 319 102-1 §5.3 order (format, identification, cryptographic
        // verification, then X.509 validation); every reason is listed.
        if (r.verdict.indication == Indication::TotalPassed) r.verdict = Verdict{i, sub};
        r.errors.push_back(why);
    };

    // §5.2.2 format checking: the XML-DSig / XAdES structure, and references that could not be
    // resolved safely (ambiguous, misplaced, refused transforms) — signature wrapping ends here.
    for (const auto& e : s.format_errors) {
        r.format_ok = false;
        fail(Indication::TotalFailed, SubIndication::FormatFailure, e);
    }
    for (const auto& ref : s.references) {
        if (ref.status == xades::ReferenceStatus::Refused) {
            r.format_ok = false;
            fail(Indication::TotalFailed, SubIndication::FormatFailure, ref.error);
        }
    }

    // §5.2.3 identification of the signing certificate: the certificate SigningCertificate(V2) names
    // by digest, among KeyInfo and CertificateValues; without signed properties (XML-DSig core), the
    // KeyInfo certificate whose key verifies the signature value.
    std::vector<Bytes> candidates_der = s.key_info_certificates;
    candidates_der.insert(candidates_der.end(), s.certificates.begin(), s.certificates.end());
    const std::vector<pki::Certificate> candidates = parse_all(candidates_der);
    std::optional<pki::Certificate> cert;
    bool referenced_match = false;
    if (!s.signing_certificates.empty()) {
        std::string issuer_serial_mismatch;
        for (const auto& c : candidates) {
            for (const auto& ref : s.signing_certificates) {
                if (!ref.algorithm || crypto::digest(*ref.algorithm, c.der()) != ref.digest) continue;
                // EN 319 132-1 §5.2.2: the issuer and serial, when present, name the same certificate
                // as the digest (as ESS does for CAdES, RFC 5035 §4).
                if (!issuer_serial_names(ref, c)) {
                    issuer_serial_mismatch = "the certificate SigningCertificate" +
                                             std::string{s.signing_certificate_v2 ? "V2" : ""} +
                                             " names by digest (" + detail::subject_of(c) + ", serial " +
                                             c.serial_hex() + ") does not have the IssuerSerial" +
                                             std::string{s.signing_certificate_v2 ? "V2" : ""} + " it gives";
                    continue;
                }
                cert = c;
                referenced_match = true;
                break;
            }
            if (cert) break;
        }
        if (!cert && !issuer_serial_mismatch.empty()) {
            fail(Indication::Indeterminate, SubIndication::NoSigningCertificateFound,
                 issuer_serial_mismatch + " (EN 319 102-1 §5.2.3)");
            return r;
        }
        if (!cert) {
            fail(Indication::Indeterminate, SubIndication::NoSigningCertificateFound,
                 std::string{s.signing_certificate_v2 ? "SigningCertificateV2" : "SigningCertificate"} +
                     " names no certificate of ds:KeyInfo or CertificateValues (EN 319 102-1 §5.2.3)");
            return r;
        }
    } else {
        for (const auto& c : candidates) {
            if (value_verifies(s, c)) {
                cert = c;
                break;
            }
        }
        if (!cert && !candidates.empty()) cert = candidates.front();
        if (!cert) {
            fail(Indication::Indeterminate, SubIndication::NoSigningCertificateFound,
                 "the signature carries no X.509 certificate in ds:KeyInfo");
            return r;
        }
        if (s.qualifying_properties) {
            r.errors.push_back(
                "the signed properties have no SigningCertificateV2: the signer's certificate is "
                "not protected by the signature (not a XAdES baseline signature)");
        }
    }
    r.signer = detail::subject_of(*cert);
    r.signer_serial = cert->serial_hex();
    r.signer_certificate_expiry = cert->not_after();
    for (const auto& c : candidates)
        material.add_certificate(c.der());

    // §5.2.7 cryptographic verification: the signature value over SignedInfo, then every reference.
    if (!s.algorithm) {
        fail(Indication::Indeterminate, SubIndication::CryptoConstraintsFailure,
             "signature method \"" + s.signature_method + "\" is not supported");
    }
    r.intact = value_verifies(s, *cert);
    if (s.algorithm && !r.intact) {
        fail(Indication::TotalFailed, SubIndication::SigCryptoFailure,
             "ds:SignatureValue does not verify over ds:SignedInfo with the signer's public key");
    }
    bool references_ok = true;
    for (const auto& ref : s.references) {
        switch (ref.status) {
            case xades::ReferenceStatus::Ok:
            case xades::ReferenceStatus::Refused:  // already a format failure
                if (ref.status == xades::ReferenceStatus::Refused) references_ok = false;
                break;
            case xades::ReferenceStatus::NotFound:
                references_ok = false;
                fail(Indication::Indeterminate, SubIndication::SignedDataNotFound, ref.error);
                break;
            case xades::ReferenceStatus::DigestMismatch:
                references_ok = false;
                fail(Indication::TotalFailed, SubIndication::HashFailure, ref.error);
                break;
            case xades::ReferenceStatus::Unsupported:
                references_ok = false;
                fail(Indication::Indeterminate, SubIndication::CryptoConstraintsFailure, ref.error);
                break;
        }
    }
    r.crypto_valid = r.intact && references_ok;

    // §5.5 time-stamps. Archive time-stamps first (xades141, EN 319 132-1 §5.5.2): the imprint is over
    // archive.h's input (references, SignedInfo, SignatureValue, KeyInfo, the unsigned properties before
    // it, other ds:Objects); a valid one is a proof of existence of the signature and the later POE of
    // the signature-time-stamps' TSA certificates.
    std::vector<TimePoint> archive_times;
    for (const auto& a : s.archive_time_stamps) {
        TimestampReport rep;
        if (!a.error.empty()) {
            rep.kind = "archive";
            rep.verdict = Verdict{Indication::TotalFailed, SubIndication::FormatFailure};
            rep.errors.push_back(a.error);
        } else {
            rep = detail::check_token(
                      a.token, "archive",
                      [&](const tsp::MessageImprint& imp) {
                          const auto alg = imp.algorithm();
                          if (!alg) return false;
                          const auto want = archive_imprint(s, a.index, *alg);
                          return want && *want == imp.hashed_message;
                      },
                      material, options, now, std::nullopt)
                      .report;
        }
        if (rep.verdict.indication == Indication::TotalPassed && rep.time) {
            archive_times.push_back(*rep.time);
        } else {
            r.errors.push_back("ArchiveTimeStamp not accepted: " +
                               (rep.errors.empty() ? std::string{"?"} : rep.errors.front()));
        }
        r.timestamps.push_back(std::move(rep));
    }
    std::optional<TimePoint> archive_poe;
    if (!archive_times.empty()) archive_poe = *std::min_element(archive_times.begin(), archive_times.end());
    // SignatureTimeStamp over the canonical ds:SignatureValue (EN 319 132-1 §5.3).
    std::vector<TimePoint> poes;
    for (const auto& t : s.signature_time_stamps) {
        TimestampReport rep;
        if (!t.input) {
            rep.kind = "signature";
            rep.verdict = Verdict{Indication::TotalFailed, SubIndication::FormatFailure};
            rep.errors.push_back(t.error);
        } else {
            const Bytes input = *t.input;
            rep = detail::check_token(
                      t.token, "signature",
                      [&](const tsp::MessageImprint& imp) {
                          const auto alg = imp.algorithm();
                          return alg && crypto::digest(*alg, input) == imp.hashed_message;
                      },
                      material, options, now, archive_poe)
                      .report;
        }
        if (rep.verdict.indication == Indication::TotalPassed && rep.time) {
            poes.push_back(*rep.time);
        } else {
            r.errors.push_back("SignatureTimeStamp not accepted: " +
                               (rep.errors.empty() ? std::string{"?"} : rep.errors.front()));
        }
        r.timestamps.push_back(std::move(rep));
    }
    std::stable_sort(r.timestamps.begin(), r.timestamps.end(),
                     [](const TimestampReport& a, const TimestampReport& b) {
                         return (a.kind == "signature" ? 0 : 1) < (b.kind == "signature" ? 0 : 1);
                     });
    const bool signature_ts_ok = !poes.empty();
    poes.insert(poes.end(), archive_times.begin(), archive_times.end());
    std::optional<TimePoint> poe;
    if (!poes.empty()) poe = *std::min_element(poes.begin(), poes.end());
    r.best_signature_time = poe ? *poe : now;
    if (poe && r.claimed_signing_time && *r.claimed_signing_time > *poe + std::chrono::minutes{5}) {
        // §5.6.2.3: the time-stamp cannot predate the signing time it covers.
        fail(Indication::Indeterminate, SubIndication::TimestampOrderFailure,
             "SigningTime is after the SignatureTimeStamp");
    }

    // §5.2.6 X.509 validation and revocation, §5.6.2.4 past validation against the POE.
    const detail::ChainJudgement j = detail::judge_signer_chain(*cert, material, options, now, poe, r);
    const bool long_term = j.all_from_file;
    if (j.failure) fail(j.failure->indication, *j.failure->subindication, j.error);

    // §5.2.8 cryptographic constraints, at the POE.
    const TimePoint at = poe ? *poe : now;
    const crypto::PublicKey key = cert->public_key();
    if (const auto k = detail::key_size_failure(key, at, options.policy))
        fail(Indication::Indeterminate, k->subindication, k->why);

    // The baseline level present and valid (EN 319 132-1 §6.3): B-B needs signed properties with a
    // signing-certificate reference that matched; B-T a valid SignatureTimeStamp; B-LT the whole
    // chain's revocation data in the file; B-LTA a valid ArchiveTimeStamp on top.
    if (s.signed_properties_signed && referenced_match && r.crypto_valid && r.format_ok) {
        r.level = Level::BB;
        if (signature_ts_ok) r.level = Level::BT;
        if (r.level == Level::BT && long_term) {
            r.level = Level::BLT;
            if (!archive_times.empty()) r.level = Level::BLTA;
        }
    }
    return r;
}

}  // namespace

NamedContent content_of_file(std::string uri, fs::path file) {
    NamedContent c;
    c.uri = std::move(uri);
    c.digest = digest_of_file(file);
    c.bytes = [file]() {
        std::ifstream in{file, std::ios::binary};
        require(in.good(), Errc::NotFound, "cannot read " + file.string());
        return Bytes{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    };
    return c;
}

NamedContent content_of_bytes(std::string uri, Bytes content) {
    auto shared = std::make_shared<Bytes>(std::move(content));
    NamedContent c;
    c.uri = std::move(uri);
    c.digest = [shared](crypto::DigestAlgorithm alg) { return crypto::digest(alg, *shared); };
    c.bytes = [shared]() { return *shared; };
    return c;
}

DocumentReport validate_xml(ByteView xml, const std::vector<NamedContent>& contents, const Options& options) {
    DocumentReport d;
    d.format = "XAdES";
    try {
        std::vector<xades::ExternalContent> external;
        for (const auto& c : contents)
            external.push_back({c.uri, c.digest, c.bytes});
        xades::ParseLimits limits;
        limits.max_bytes = options.max_xml_bytes;
        const std::vector<xades::SignatureRead> sigs = xades::read_signatures(xml, external, limits);
        if (sigs.empty()) {
            d.format.reset();
            d.error = "the XML document has no ds:Signature";
            return d;
        }
        // The validation data of every signature serves all (a counter-signature's chain may be in
        // its parent's CertificateValues), as a PDF's DSS does.
        Material material;
        for (const auto& s : sigs) {
            for (const auto& c : s.key_info_certificates)
                material.add_certificate(c);
            for (const auto& c : s.certificates)
                material.add_certificate(c);
            for (const auto& c : s.crls)
                material.add_crl(c);
            for (const auto& o : s.ocsp_responses)
                material.add_ocsp(o);
        }
        const TimePoint now =
            options.validation_time ? *options.validation_time : std::chrono::system_clock::now();
        // The detached documents as archive.h wants them (read once, only when an archive time-stamp
        // needs them).
        std::vector<Bytes> detached_bytes;  // reserved: the views below stay valid
        std::optional<Bytes> unnamed_bytes;
        std::vector<xades::DetachedContent> detached;
        bool detached_read = false;
        const ArchiveImprint archive_imprint = [&](const xades::SignatureRead& s, std::size_t index,
                                                   crypto::DigestAlgorithm alg) -> std::optional<Bytes> {
            if (s.id.empty()) return std::nullopt;  // archive.h finds the signature by its Id
            try {
                if (!detached_read) {
                    detached_read = true;
                    detached_bytes.reserve(contents.size());
                    for (const auto& c : contents) {
                        if (c.uri.empty()) continue;
                        detached_bytes.push_back(c.bytes());
                        detached.push_back({c.uri, detached_bytes.back(), nullptr});
                    }
                }
                // A content given without URI is the one external reference no named content covers
                // (as for the reference digests).
                std::vector<xades::DetachedContent> for_this = detached;
                std::vector<std::string> unnamed_uris;
                for (const auto& ref : s.references) {
                    const bool is_external = !ref.uri.empty() && ref.uri.front() != '#';
                    const bool named =
                        std::any_of(for_this.begin(), for_this.end(),
                                    [&](const xades::DetachedContent& dc) { return dc.uri == ref.uri; });
                    if (is_external && !named) unnamed_uris.push_back(ref.uri);
                }
                const auto unnamed = std::count_if(contents.begin(), contents.end(),
                                                   [](const NamedContent& c) { return c.uri.empty(); });
                if (unnamed == 1 && unnamed_uris.size() == 1) {
                    if (!unnamed_bytes) {
                        const auto it = std::find_if(contents.begin(), contents.end(),
                                                     [](const NamedContent& c) { return c.uri.empty(); });
                        unnamed_bytes = it->bytes();
                    }
                    for_this.push_back({unnamed_uris.front(), *unnamed_bytes, nullptr});
                }
                xades::ArchiveInputRequest request;
                request.signature_id = s.id;
                request.existing = index;
                request.detached = for_this;
                request.limits = limits;
                return xades::archive_time_stamp_digest(xml, request, alg);
            } catch (const Error&) {
                return std::nullopt;  // the token's imprint then does not match: HASH_FAILURE
            }
        };
        std::vector<std::string> ids(sigs.size());
        std::vector<std::size_t> counters(sigs.size(), 0);
        std::size_t top = 0;
        for (std::size_t i = 0; i < sigs.size(); ++i) {
            SignatureReport r = judge_xades(sigs[i], material, options, now, archive_imprint);
            if (sigs[i].parent && *sigs[i].parent < i) {
                const std::size_t p = *sigs[i].parent;
                ids[i] = ids[p] + ".C" + std::to_string(counters[p]++);
                r.counter_signature_of = ids[p];
            } else {
                ids[i] = "S" + std::to_string(top++);
            }
            r.id = ids[i];
            d.signatures.push_back(std::move(r));
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

bool is_xml(ByteView data) {
    return xades::looks_like_xml(data);
}

}  // namespace inkan::validation
