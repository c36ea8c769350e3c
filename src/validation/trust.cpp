#include "trust.h"

#include <algorithm>
#include <climits>
#include <ctime>
#include <string>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <inkan/core/error.h>
#include <inkan/crypto/der.h>
#include <inkan/crypto/digest.h>
#include <inkan/crypto/legacy.h>
#include <inkan/crypto/ossl.h>

namespace inkan::validation::detail {

namespace {

using Stack = ossl::CertStack;
using ossl::Store;
using ossl::StoreCtx;
using OcspResp = ossl::Ptr<OCSP_RESPONSE, ::OCSP_RESPONSE_free>;
using OcspBasic = ossl::Ptr<OCSP_BASICRESP, ::OCSP_BASICRESP_free>;
using OcspId = ossl::Ptr<OCSP_CERTID, ::OCSP_CERTID_free>;
using Crl = ossl::Ptr<X509_CRL, ::X509_CRL_free>;
using Cms = ossl::Ptr<CMS_ContentInfo, ::CMS_ContentInfo_free>;

TimePoint to_time(const ASN1_TIME* t) {
    struct tm tm {};
    if (t == nullptr || ::ASN1_TIME_to_tm(t, &tm) != 1) return TimePoint{};
    return std::chrono::system_clock::from_time_t(::timegm(&tm));
}

Stack stack_of(const std::vector<pki::Certificate>& certs) {
    Stack s{sk_X509_new_null()};
    for (const auto& c : certs) {
        X509* x = c.native();
        ::X509_up_ref(x);
        if (sk_X509_push(s.get(), x) == 0) ::X509_free(x);
    }
    return s;
}

Store store_of(const std::vector<Bytes>& anchors) {
    Store store{::X509_STORE_new()};
    for (const auto& a : anchors) {
        try {
            const auto c = pki::Certificate::from_der(a);
            ::X509_STORE_add_cert(store.get(), c.native());
        } catch (const Error&) {
            // an anchor that does not parse anchors nothing
        }
    }
    // An anchor may be an intermediate CA the relying party trusts directly.
    ::X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN);
    return store;
}

bool in_bounds(const pki::Certificate& c, TimePoint t) {
    return c.not_before() <= t && t <= c.not_after();
}

std::optional<Status> from_ocsp(ByteView der, const pki::Certificate& cert, const pki::Certificate& issuer,
                                const Material& material, const std::vector<Bytes>& anchors) {
    const unsigned char* p = der.data();
    if (der.size() > static_cast<std::size_t>(LONG_MAX)) return std::nullopt;
    OcspResp resp{::d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size()))};
    if (!resp || ::OCSP_response_status(resp.get()) != OCSP_RESPONSE_STATUS_SUCCESSFUL) return std::nullopt;
    OcspBasic basic{::OCSP_response_get1_basic(resp.get())};
    if (!basic) return std::nullopt;
    // RFC 6960 §4.1.1 CertID: SHA-1, as responders index by it.
    OcspId id{::OCSP_cert_to_id(nullptr, cert.native(), issuer.native())};
    if (!id) return std::nullopt;
    int status = 0;
    int reason = 0;
    ASN1_GENERALIZEDTIME* revoked_at = nullptr;
    ASN1_GENERALIZEDTIME* this_update = nullptr;
    ASN1_GENERALIZEDTIME* next_update = nullptr;
    if (::OCSP_resp_find_status(basic.get(), id.get(), &status, &reason, &revoked_at, &this_update,
                                &next_update) != 1) {
        return std::nullopt;
    }
    // The responder: the issuer itself or one it certified for OCSP signing (RFC 6960 §4.2.2.2), its
    // chain checked at the time the response was produced (what it proves is about that time).
    Store store = store_of(anchors);
    ::X509_STORE_add_cert(store.get(), issuer.native());
    X509_VERIFY_PARAM* param = ::X509_STORE_get0_param(store.get());
    ::X509_VERIFY_PARAM_set_time(
        param, std::chrono::system_clock::to_time_t(to_time(::OCSP_resp_get0_produced_at(basic.get()))));
    std::vector<pki::Certificate> pool = material.certificates;
    pool.push_back(issuer);
    Stack untrusted = stack_of(pool);
    if (::OCSP_basic_verify(basic.get(), untrusted.get(), store.get(), 0) != 1) {
        ::ERR_clear_error();
        return std::nullopt;
    }
    Status s;
    s.this_update = to_time(this_update);
    s.from_file = true;
    if (status == V_OCSP_CERTSTATUS_GOOD) {
        s.status = pki::CertStatus::Good;
    } else if (status == V_OCSP_CERTSTATUS_REVOKED) {
        s.status = pki::CertStatus::Revoked;
        s.revocation_time = to_time(revoked_at);
    } else {
        s.status = pki::CertStatus::Unknown;
    }
    return s;
}

std::optional<Status> from_crl(ByteView der, const pki::Certificate& cert, const pki::Certificate& issuer) {
    const unsigned char* p = der.data();
    if (der.size() > static_cast<std::size_t>(LONG_MAX)) return std::nullopt;
    Crl crl{::d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size()))};
    if (!crl) {
        ::ERR_clear_error();
        return std::nullopt;
    }
    if (::X509_NAME_cmp(::X509_CRL_get_issuer(crl.get()), ::X509_get_subject_name(issuer.native())) != 0) {
        return std::nullopt;
    }
    if (::X509_CRL_verify(crl.get(), ::X509_get0_pubkey(issuer.native())) != 1) {
        ::ERR_clear_error();
        return std::nullopt;
    }
    Status s;
    s.from_file = true;
    s.this_update = to_time(::X509_CRL_get0_lastUpdate(crl.get()));
    X509_REVOKED* entry = nullptr;
    if (::X509_CRL_get0_by_cert(crl.get(), &entry, cert.native()) == 1 && entry != nullptr) {
        s.status = pki::CertStatus::Revoked;
        s.revocation_time = to_time(::X509_REVOKED_get0_revocationDate(entry));
    } else {
        s.status = pki::CertStatus::Good;
    }
    return s;
}

/// The verdict of the revocation data we have: a revocation wins, then the newest good answer.
std::optional<Status> combine(const std::vector<Status>& all) {
    std::optional<Status> best;
    for (const auto& s : all) {
        if (s.status == pki::CertStatus::Revoked) {
            if (!best || best->status != pki::CertStatus::Revoked ||
                (s.revocation_time && best->revocation_time && *s.revocation_time < *best->revocation_time)) {
                best = s;
            }
        } else if (s.status == pki::CertStatus::Good) {
            if (!best || (best->status == pki::CertStatus::Good && s.this_update > best->this_update) ||
                best->status == pki::CertStatus::Unknown) {
                best = s;
            }
        } else if (!best) {
            best = s;
        }
    }
    return best;
}

}  // namespace

std::string subject_of(const pki::Certificate& c) {
    return c.subject();
}

std::optional<ConstraintFailure> key_size_failure(const crypto::PublicKey& key, TimePoint at,
                                                  const CryptoPolicy& policy) {
    if (key.type() == crypto::KeyType::Rsa && key.bits() < policy.min_rsa_bits &&
        at >= policy.rsa_small_sunset) {
        return ConstraintFailure{SubIndication::CryptoConstraintsFailureNoPoe,
                                 "RSA-" + std::to_string(key.bits()) + " is below the policy's " +
                                     std::to_string(policy.min_rsa_bits) + " bits"};
    }
    if (key.type() == crypto::KeyType::Ec && key.bits() < policy.min_ec_bits) {
        return ConstraintFailure{SubIndication::CryptoConstraintsFailure,
                                 "an EC key of " + std::to_string(key.bits()) + " bits is below the policy"};
    }
    return std::nullopt;
}

void Material::add_certificate(ByteView der) {
    try {
        auto c = pki::Certificate::from_der(der);
        const bool known = std::any_of(certificates.begin(), certificates.end(),
                                       [&](const pki::Certificate& k) { return k.der() == c.der(); });
        if (!known) certificates.push_back(std::move(c));
    } catch (const Error&) {
        // other CertificateChoices (attribute certificates): not for a path
    }
}

void Material::add_ocsp(ByteView der) {
    Bytes b{der.begin(), der.end()};
    if (std::find(ocsps.begin(), ocsps.end(), b) == ocsps.end()) ocsps.push_back(std::move(b));
}

void Material::add_crl(ByteView der) {
    Bytes b{der.begin(), der.end()};
    if (std::find(crls.begin(), crls.end(), b) == crls.end()) crls.push_back(std::move(b));
}

void Material::add_revocation_choice(ByteView tlv) {
    try {
        der::Reader r{tlv};
        const der::Tlv t = r.next();
        if (t.is_universal(der::tag::Sequence)) {
            add_crl(t.whole);
        } else if (t.is_context(1) && t.constructed) {
            der::Reader other = r.enter(t);
            if (other.read_oid() == kIdRiOcspResponse) add_ocsp(other.next().whole);
        }
    } catch (const Error&) {
        // a RevocationInfoChoice inkan cannot read: no use
    }
}

void Material::add_signed_data(const cms::SignedData& sd) {
    for (const auto& c : sd.certificates)
        add_certificate(c);
    for (const auto& r : sd.crls)
        add_revocation_choice(r);
    for (const auto& si : sd.signer_infos)
        add_unsigned_values(si);
}

void Material::add_basic_ocsp(ByteView der) {
    // OCSPResponse ::= SEQUENCE { responseStatus successful (0),
    //   responseBytes [0] EXPLICIT SEQUENCE { id-pkix-ocsp-basic, OCTET STRING BasicOCSPResponse } }
    // (RFC 6960 §4.2.1): the form the rest of the validator (and OpenSSL) reads.
    try {
        der::Writer w;
        w.sequence([&](der::Writer& resp) {
            resp.enumerated(0);
            resp.context(0, [&](der::Writer& bytes) {
                bytes.sequence([&](der::Writer& rb) {
                    rb.oid(kIdPkixOcspBasic);
                    rb.octet_string(der);
                });
            });
        });
        add_ocsp(w.take());
    } catch (const Error&) {
        // not encodable: no use
    }
}

void Material::add_unsigned_values(const cms::SignerInfo& si, int depth) {
    for (const auto& a : si.unsigned_attributes) {
        for (const auto& v : a.values) {
            try {
                if (a.type == kCertificateValues) {
                    // CertificateValues ::= SEQUENCE OF Certificate
                    der::Reader top{v};
                    der::Reader certs = top.sequence();
                    while (!certs.empty())
                        add_certificate(certs.next().whole);
                } else if (a.type == kRevocationValues) {
                    // RevocationValues ::= SEQUENCE { crlVals [0] SEQUENCE OF CertificateList OPTIONAL,
                    //   ocspVals [1] SEQUENCE OF BasicOCSPResponse OPTIONAL, otherRevVals [2] OPTIONAL }
                    der::Reader top{v};
                    der::Reader rv = top.sequence();
                    while (!rv.empty()) {
                        const der::Tlv t = rv.next();
                        if (!t.constructed || (!t.is_context(0) && !t.is_context(1))) continue;
                        der::Reader wrapper = rv.enter(t);
                        der::Reader list = wrapper.sequence();
                        while (!list.empty()) {
                            const der::Tlv item = list.next();
                            if (t.is_context(0)) {
                                add_crl(item.whole);
                            } else {
                                add_basic_ocsp(item.whole);
                            }
                        }
                    }
                } else if (a.type == kCounterSignature && depth < 8) {
                    add_unsigned_values(cms::parse_signer_info(v), depth + 1);
                }
            } catch (const Error&) {
                // an attribute value inkan cannot read: no validation data from it
            }
        }
    }
}

Chain build_chain(const pki::Certificate& leaf, const Material& material, const std::vector<Bytes>& anchors) {
    Chain out;
    if (anchors.empty()) {
        out.error = "no trust anchor was given";
        return out;
    }
    // A certificate that is itself an anchor is trusted as such (EN 319 102-1 §5.2.6: the trust anchor may be
    // the signer's own certificate, as a trusted list's signer announced by the LOTL is). X509_verify_cert
    // would go on past it to a self-signed root the file carries and fail or judge that root instead.
    if (std::find(anchors.begin(), anchors.end(), leaf.der()) != anchors.end()) {
        out.found = true;
        out.certificates = {leaf};
        return out;
    }
    Store store = store_of(anchors);
    Stack untrusted = stack_of(material.certificates);
    StoreCtx ctx{::X509_STORE_CTX_new()};
    if (!ctx || ::X509_STORE_CTX_init(ctx.get(), store.get(), leaf.native(), untrusted.get()) != 1) {
        ::ERR_clear_error();
        out.error = "cannot set up path building";
        return out;
    }
    // Validity periods are judged by the caller at the right time (§5.5 past signature validation).
    ::X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_NO_CHECK_TIME);
    const int ok = ::X509_verify_cert(ctx.get());
    const int err = ::X509_STORE_CTX_get_error(ctx.get());
    ::ERR_clear_error();
    if (ok != 1) {
        out.error = std::string{"certificate path: "} + ::X509_verify_cert_error_string(err);
        switch (err) {
            case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
            case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
            case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
            case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
            case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
                break;
            default:
                out.constraints_failed = true;
        }
        return out;
    }
    STACK_OF(X509)* chain = ::X509_STORE_CTX_get0_chain(ctx.get());
    for (int i = 0; i < sk_X509_num(chain); ++i) {
        out.certificates.push_back(pki::Certificate::from_x509(sk_X509_value(chain, i)));
    }
    out.found = true;
    return out;
}

Chain find_chain(const pki::Certificate& leaf, Material& material, const Options& options) {
    Chain chain = build_chain(leaf, material, options.trust_anchors);
    if (chain.found || !options.issuer_fetch || options.trust_anchors.empty()) return chain;
    pki::Certificate at = leaf;
    for (int step = 0; step < 4; ++step) {
        // The issuer may already be in the material (then the gap is further up).
        const auto known = std::find_if(material.certificates.begin(), material.certificates.end(),
                                        [&](const pki::Certificate& c) {
                                            return c.subject_der() == at.issuer_der() &&
                                                   at.signed_by(c.public_key()) && c.der() != at.der();
                                        });
        if (known != material.certificates.end()) {
            at = *known;
            continue;
        }
        const auto fetched = options.issuer_fetch(at.der());
        if (!fetched) break;
        try {
            material.add_certificate(*fetched);
            at = pki::Certificate::from_der(*fetched);
        } catch (const Error&) {
            break;
        }
        chain = build_chain(leaf, material, options.trust_anchors);
        if (chain.found) return chain;
    }
    return chain;
}

std::optional<Status> revocation_status(const pki::Certificate& cert, const pki::Certificate& issuer,
                                        Material& material, const Options& options) {
    std::vector<Status> all;
    for (const auto& o : material.ocsps) {
        if (auto s = from_ocsp(o, cert, issuer, material, options.trust_anchors)) all.push_back(*s);
    }
    for (const auto& c : material.crls) {
        if (auto s = from_crl(c, cert, issuer)) all.push_back(*s);
    }
    if (!all.empty()) return combine(all);
    if (!options.revocation_fetch) return std::nullopt;
    const auto fetched = options.revocation_fetch(cert.der(), issuer.der());
    if (!fetched) return std::nullopt;
    Material extra = material;
    for (const auto& c : fetched->certificates)
        extra.add_certificate(c);
    for (const auto& o : fetched->ocsp_responses) {
        if (auto s = from_ocsp(o, cert, issuer, extra, options.trust_anchors)) {
            s->from_file = false;
            all.push_back(*s);
        }
    }
    for (const auto& c : fetched->crls) {
        if (auto s = from_crl(c, cert, issuer)) {
            s->from_file = false;
            all.push_back(*s);
        }
    }
    return combine(all);
}

namespace {

/// A service digital identity names a certificate by the certificate itself or, for a CA re-certified
/// under the same key, by its subject and public key (ETSI TS 119 612 §5.5.3).
bool identifies(const TrustedService& service, const pki::Certificate& c) {
    if (service.certificate == c.der()) return true;
    try {
        const auto s = pki::Certificate::from_der(service.certificate);
        return s.subject_der() == c.subject_der() && s.spki_der() == c.spki_der();
    } catch (const Error&) {
        return false;
    }
}

/// The first service of `kind` that identifies a certificate of `certs` and was granted at `at`; with
/// `any_time`, the first one of that kind identifying a certificate whatever its status.
const TrustedService* service_for(const std::vector<pki::Certificate>& certs, TrustedService::Kind kind,
                                  TimePoint at, const Options& options) {
    for (const auto& s : options.trusted_services) {
        if (s.kind != kind || !s.granted_at(at)) continue;
        for (const auto& c : certs) {
            if (identifies(s, c)) return &s;
        }
    }
    return nullptr;
}

}  // namespace

bool has_qc_compliance(const pki::Certificate& c) {
    // qcStatements (RFC 3739 §3.2.6): SEQUENCE OF QCStatement { statementId, statementInfo OPTIONAL };
    // EN 319 412-5 §4.2.1 esi4-qcStatement-1 QcCompliance 0.4.0.1862.1.1.
    const auto ext = c.extension("1.3.6.1.5.5.7.1.3");
    if (!ext) return false;
    try {
        der::Reader outer{ext->value};
        der::Reader statements = outer.sequence();
        while (!statements.empty()) {
            der::Reader statement = statements.sequence();
            if (statement.read_oid() == "0.4.0.1862.1.1") return true;
        }
    } catch (const Error&) {
        return false;
    }
    return false;
}

void judge_qualified(const pki::Certificate& signer, const std::vector<pki::Certificate>& chain, TimePoint at,
                     const Options& options, SignatureReport& report) {
    if (!options.trust_configured) return;
    // TS 119 612 §5.5.1 / EN 319 102-1 §5.2.6: qualified = the certificate claims it (QcCompliance) and an
    // issuer in its chain is a CA/QC service whose status was granted at the signing time.
    const bool claimed = has_qc_compliance(signer);
    const bool granted =
        !chain.empty() && service_for(chain, TrustedService::Kind::QualifiedCa, at, options) != nullptr;
    report.qualified = claimed && granted ? "yes" : "no";
}

void judge_tsa_trust(const std::vector<pki::Certificate>& chain, TimePoint at, const Options& options,
                     TimestampReport& report) {
    if (!options.trust_configured) return;
    const TrustedService* s = service_for(chain, TrustedService::Kind::TimeStamping, at, options);
    report.tsa_accredited = s != nullptr ? "yes" : "no";
    report.tsa_label = s != nullptr ? s->label : std::string{};
}

ChainJudgement judge_signer_chain(const pki::Certificate& signer, Material& material, const Options& options,
                                  TimePoint now, std::optional<TimePoint> poe, SignatureReport& report) {
    const Chain chain = find_chain(signer, material, options);
    for (const auto& c : chain.certificates)
        report.chain.push_back(subject_of(c));
    judge_qualified(signer, chain.found ? chain.certificates : std::vector<pki::Certificate>{},
                    poe.value_or(now), options, report);
    if (!chain.found) {
        if (report.chain.empty()) report.chain.push_back(report.signer);
        ChainJudgement none;
        none.failure = Verdict{Indication::Indeterminate, chain.constraints_failed
                                                              ? SubIndication::ChainConstraintsFailure
                                                              : SubIndication::NoCertificateChainFound};
        none.error = chain.error;
        none.all_from_file = false;
        return none;
    }
    ChainJudgement j = judge_chain(chain, material, options, now, poe);
    report.revocation = j.signer_revocation;
    return j;
}

ChainJudgement judge_chain(const Chain& chain, Material& material, const Options& options, TimePoint now,
                           std::optional<TimePoint> poe) {
    ChainJudgement j;
    const auto fail = [&](Indication i, SubIndication s, std::string why) {
        if (!j.failure) {
            j.failure = Verdict{i, s};
            j.error = std::move(why);
        }
    };
    const auto& certs = chain.certificates;
    for (std::size_t i = 0; i < certs.size(); ++i) {
        const pki::Certificate& c = certs[i];
        const bool signer = i == 0;
        const bool anchor = i + 1 == certs.size();
        // Validity period (§5.2.6): at the validation time, or — past signature validation (§5.5) —
        // at the proof of existence when that is inside the period.
        if (!in_bounds(c, now)) {
            if (!(poe && in_bounds(c, *poe))) {
                fail(Indication::Indeterminate, SubIndication::OutOfBoundsNoPoe,
                     subject_of(c) + " is outside its validity period at " + format_rfc3339(now) +
                         (poe ? " and at the proof of existence " + format_rfc3339(*poe)
                              : " and no time-stamp proves an earlier existence"));
            }
        }
        if (anchor) break;  // a trust anchor is trusted as such (no revocation check)
        const auto status = revocation_status(c, certs[i + 1], material, options);
        if (!status || status->status == pki::CertStatus::Unknown) {
            j.all_from_file = false;
            fail(Indication::Indeterminate, SubIndication::TryLater,
                 "no revocation status for " + subject_of(c) +
                     (options.revocation_fetch
                          ? ""
                          : " in the file (validate online or extend the signature to B-LT)"));
            continue;
        }
        if (!status->from_file) j.all_from_file = false;
        if (signer) j.signer_revocation = std::string{pki::name(status->status)};
        if (status->status == pki::CertStatus::Revoked) {
            const TimePoint revoked = status->revocation_time.value_or(TimePoint::min());
            if (poe && *poe < revoked) {
                continue;  // proven to exist before the revocation (§5.5.4 past validation)
            }
            if (poe) {
                fail(Indication::TotalFailed, SubIndication::Revoked,
                     subject_of(c) + " was revoked at " + format_rfc3339(revoked) +
                         ", before the proof of existence " + format_rfc3339(*poe));
            } else {
                fail(Indication::Indeterminate,
                     signer ? SubIndication::RevokedNoPoe : SubIndication::RevokedCaNoPoe,
                     subject_of(c) + " was revoked at " + format_rfc3339(revoked) +
                         " and no time-stamp proves the signature existed before");
            }
        }
    }
    return j;
}

SignerCheck check_signer(const cms::SignedData& sd, std::size_t index,
                         const std::optional<Bytes>& content_digest, const crypto::PublicKey& key,
                         bool allow_sha1) {
    return check_signer_info(sd.signer_infos.at(index), sd.content_type, content_digest, key, allow_sha1);
}

SignerCheck check_signer_info(const cms::SignerInfo& si, std::optional<std::string_view> content_type,
                              const std::optional<Bytes>& content_digest, const crypto::PublicKey& key,
                              bool allow_sha1) {
    SignerCheck out;
    const auto verify = [&](const crypto::SignatureAlgorithm& alg, ByteView digest, ByteView sig) {
        return allow_sha1 ? crypto::verify_legacy_digest(key, alg, digest, sig)
                          : key.verify_digest(alg, digest, sig);
    };
    out.has_signed_attributes = !si.signed_attributes_der.empty();
    try {
        if (out.has_signed_attributes) {
            const Bytes digest =
                crypto::digest(si.signature_algorithm.digest, si.signed_attributes_for_signature());
            out.intact = verify(si.signature_algorithm, digest, si.signature);
            if (content_digest) {
                try {
                    out.digest_ok = equal_constant_time(si.message_digest(), *content_digest);
                } catch (const Error&) {
                    out.digest_ok = false;
                }
            }
            const Bytes* ct = si.signed_attribute(cms::oid::kContentType);
            if (!content_type) {
                // RFC 5652 §11.4: a counter-signature carries no content-type attribute.
                out.content_type_ok = ct == nullptr;
            } else if (ct == nullptr) {
                out.content_type_ok = false;
            } else {
                der::Reader r{*ct};
                out.content_type_ok = r.read_oid() == *content_type;
            }
        } else if (content_digest) {
            // No signed attributes (RFC 5652 §5.4): the signature is over the content digest itself.
            out.intact = verify(si.signature_algorithm, *content_digest, si.signature);
            out.digest_ok = out.intact;
        }
    } catch (const Error&) {
        out.intact = false;
    }
    return out;
}

bool issuer_serial_matches(ByteView issuer_serial_der, const pki::Certificate& cert) {
    try {
        // IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber CertificateSerialNumber }
        der::Reader top{issuer_serial_der};
        der::Reader is = top.sequence();
        der::Reader names = is.sequence();
        bool issuer_ok = false;
        while (!names.empty()) {
            const der::Tlv n = names.next();
            if (n.is_context(4)) {
                der::Reader dn = names.enter(n);
                const der::Tlv name = dn.next();
                issuer_ok = issuer_ok || Bytes{name.whole.begin(), name.whole.end()} == cert.issuer_der();
            }
        }
        return issuer_ok && is.read_integer_unsigned() == cert.serial() && is.empty() && top.empty();
    } catch (const Error&) {
        return false;
    }
}

std::optional<bool> ess_matches(const cms::SignerInfo& si, const pki::Certificate& cert) {
    const Bytes* v2 = si.signed_attribute(cms::oid::kSigningCertificateV2);
    const Bytes* v1 = si.signed_attribute(kSigningCertificateV1);
    if (v2 == nullptr && v1 == nullptr) return std::nullopt;
    try {
        // SigningCertificate(V2) ::= SEQUENCE { certs SEQUENCE OF ESSCertID(v2), policies OPTIONAL }
        // (RFC 5035 §3, RFC 2634 §5.4); the first ESSCertID is the signer's.
        der::Reader top{v2 != nullptr ? *v2 : *v1};
        der::Reader sc = top.sequence();
        der::Reader certs = sc.sequence();
        der::Reader id = certs.sequence();
        crypto::DigestAlgorithm alg =
            v2 != nullptr ? crypto::DigestAlgorithm::Sha256 : crypto::DigestAlgorithm::Sha1;
        if (v2 != nullptr) {
            if (const auto first = id.peek(); first && first->is_universal(der::tag::Sequence)) {
                der::Reader a = id.sequence();
                const auto d = crypto::digest_from_oid(a.read_oid());
                if (!d) return false;
                alg = *d;
            }
        }
        const Bytes hash = id.read_octet_string();
        if (hash != crypto::digest(alg, cert.der())) return false;
        if (!id.empty() && !issuer_serial_matches(id.next().whole, cert)) return false;
        return true;
    } catch (const Error&) {
        return false;
    }
}

std::optional<pki::Certificate> signer_certificate(const cms::SignerInfo& si, const Material& material) {
    for (const auto& c : material.certificates) {
        if (si.subject_key_identifier ? c.subject_key_identifier() == si.subject_key_identifier
                                      : (c.issuer_der() == si.issuer_der && c.serial() == si.serial)) {
            return c;
        }
    }
    return std::nullopt;
}

bool archive_time_stamp_v2_matches(ByteView cms_der, std::size_t index, ByteView token,
                                   const tsp::MessageImprint& imprint) {
    const auto alg = imprint.algorithm();
    if (!alg) return false;
    try {
        der::Reader top{cms_der};
        der::Reader ci = top.sequence();
        (void)ci.read_oid();
        der::Reader explicit_content = ci.context(0);
        der::Reader sd = explicit_content.sequence();
        (void)sd.next();  // version
        (void)sd.next();  // digestAlgorithms
        const der::Tlv encap = sd.expect(der::Class::Universal, der::tag::Sequence);
        {
            der::Reader e = sd.enter(encap);
            (void)e.read_oid();
            if (e.empty()) return false;  // detached: the external content would be hashed in
        }
        std::optional<der::Tlv> certs = sd.optional(der::Class::Context, 0);
        std::optional<der::Tlv> crls = sd.optional(der::Class::Context, 1);
        der::Reader infos = sd.set();
        der::Tlv target{};
        for (std::size_t i = 0; i <= index; ++i) {
            if (infos.empty()) return false;
            target = infos.next();
        }
        // The SignerInfo's fields before unsignedAttrs, as encoded; then its unsigned attributes but
        // the one holding this token.
        der::Reader si = infos.enter(target);
        Bytes fields;
        std::vector<Bytes> attributes;
        std::optional<std::size_t> self;
        while (!si.empty()) {
            const der::Tlv f = si.next();
            if (f.is_context(1) && f.constructed) {
                der::Reader attrs = si.enter(f);
                while (!attrs.empty()) {
                    const der::Tlv a = attrs.next();
                    der::Reader ar = attrs.enter(a);
                    const std::string type = ar.read_oid();
                    der::Reader values = ar.set();
                    while (!values.empty()) {
                        const der::Tlv v = values.next();
                        if (!self && type == kArchiveTimeStampV2 &&
                            std::equal(v.whole.begin(), v.whole.end(), token.begin(), token.end())) {
                            self = attributes.size();
                        }
                    }
                    attributes.emplace_back(a.whole.begin(), a.whole.end());
                }
            } else {
                fields.insert(fields.end(), f.whole.begin(), f.whole.end());
            }
        }
        if (!self) return false;
        const auto imprint_of = [&](const std::vector<Bytes>& unsigned_attrs, bool sorted) {
            crypto::Hasher h{*alg};
            h.update(encap.whole);
            if (certs) h.update(certs->whole);
            if (crls) h.update(crls->whole);
            h.update(fields);
            if (!unsigned_attrs.empty()) {
                der::Writer w;
                if (sorted) {
                    w.set_of(der::Class::Context, 1, unsigned_attrs);
                } else {
                    w.context(1, [&](der::Writer& c) {
                        for (const auto& b : unsigned_attrs)
                            c.raw(b);
                    });
                }
                h.update(w.take());
            }
            return h.finish() == imprint.hashed_message;
        };
        // Which unsigned attributes the token covered is not written down (TS 101 733 §6.4.1 says "all";
        // the token itself cannot be among them): those before it, for writers that append; or all but
        // it, as encoded or DER-sorted, for writers that sort the SET (inkan's cms layer does).
        const std::vector<Bytes> before(attributes.begin(),
                                        attributes.begin() + static_cast<std::ptrdiff_t>(*self));
        std::vector<Bytes> others = attributes;
        others.erase(others.begin() + static_cast<std::ptrdiff_t>(*self));
        return imprint_of(before, false) || imprint_of(others, false) || imprint_of(others, true);
    } catch (const Error&) {
        return false;
    }
}

std::optional<pki::Certificate> signer_certificate(const cms::SignedData& sd, std::size_t index,
                                                   const Material& material) {
    if (auto der = cms::find_signer_certificate(sd, index)) return pki::Certificate::from_der(*der);
    const cms::SignerInfo& si = sd.signer_infos.at(index);
    for (const auto& c : material.certificates) {
        if (si.subject_key_identifier ? c.subject_key_identifier() == si.subject_key_identifier
                                      : (c.issuer_der() == si.issuer_der && c.serial() == si.serial)) {
            return c;
        }
    }
    return std::nullopt;
}

std::optional<Bytes> first_tlv(ByteView data) {
    try {
        der::Reader r{data};
        const der::Tlv t = r.next();
        return Bytes{t.whole.begin(), t.whole.end()};
    } catch (const Error&) {
        return std::nullopt;
    }
}

cms::SignedData parse_cms(ByteView der, Bytes& normalized) {
    try {
        normalized.assign(der.begin(), der.end());
        return cms::parse(normalized);
    } catch (const Error& e) {
        if (e.code() != Errc::InvalidEncoding || der.size() > static_cast<std::size_t>(LONG_MAX)) throw;
        // BER (indefinite lengths, constructed strings) from other signers: OpenSSL re-encodes it as
        // DER; signed attributes are DER already (RFC 5652 §5.4), so their bytes stay the same.
        const unsigned char* p = der.data();
        Cms ci{::d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size()))};
        if (!ci) {
            ::ERR_clear_error();
            throw;
        }
        unsigned char* out = nullptr;
        const int n = ::i2d_CMS_ContentInfo(ci.get(), &out);
        if (n <= 0) {
            ::ERR_clear_error();
            throw;
        }
        normalized.assign(out, out + n);
        ::OPENSSL_free(out);
        return cms::parse(normalized);
    }
}

TokenResult check_token(ByteView token, const std::string& kind,
                        const std::function<bool(const tsp::MessageImprint&)>& imprint_ok, Material& material,
                        const Options& options, TimePoint now, std::optional<TimePoint> later_poe) {
    TokenResult out;
    TimestampReport& r = out.report;
    r.kind = kind;
    const auto fail = [&](Indication i, SubIndication s, const std::string& why) {
        if (r.verdict.indication == Indication::TotalPassed || !r.verdict.subindication) {
            r.verdict = Verdict{i, s};
        }
        r.errors.push_back(why);
    };
    r.verdict = Verdict{Indication::TotalPassed, std::nullopt};
    cms::SignedData sd;
    Bytes normalized;
    try {
        sd = parse_cms(token, normalized);
        if (sd.content_type != cms::oid::kTstInfo || !sd.content || sd.signer_infos.size() != 1) {
            throw Error{Errc::InvalidEncoding, "not a time-stamp token (id-ct-TSTInfo, one signer)"};
        }
        out.info = tsp::parse_tst_info(*sd.content);
    } catch (const Error& e) {
        fail(Indication::TotalFailed, SubIndication::FormatFailure,
             std::string{"time-stamp token: "} + e.what());
        return out;
    }
    r.time = out.info->gen_time;
    Material local = material;
    local.add_signed_data(sd);
    material.add_signed_data(sd);
    const auto cert = signer_certificate(sd, 0, local);
    if (!cert) {
        fail(Indication::Indeterminate, SubIndication::NoSigningCertificateFound,
             "the TSA certificate is not in the token");
        return out;
    }
    r.tsa = subject_of(*cert);
    if (options.trust_configured) r.tsa_accredited = "no";  // until a granted service says otherwise
    r.tsa_certificate_expiry = cert->not_after();
    const SignerCheck sc = check_signer(
        sd, 0, crypto::digest(sd.signer_infos[0].digest_algorithm, *sd.content), cert->public_key());
    r.intact = sc.intact;
    const bool imprint = imprint_ok(out.info->imprint);
    r.crypto_valid = sc.intact && sc.digest_ok && imprint;
    if (!sc.intact) {
        fail(Indication::TotalFailed, SubIndication::SigCryptoFailure, "the TSA's signature does not verify");
        return out;
    }
    if (!sc.digest_ok || !imprint) {
        fail(Indication::TotalFailed, SubIndication::HashFailure,
             !imprint ? "the message imprint does not match the time-stamped data"
                      : "the token's message-digest does not match its TSTInfo");
        return out;
    }
    if (const auto ess = ess_matches(sd.signer_infos[0], *cert); !ess || !*ess) {
        fail(Indication::Indeterminate, SubIndication::NoSigningCertificateFound,
             !ess ? "the token has no ESS signing-certificate (RFC 3161 §2.4.1, RFC 5816)"
                  : "the token's ESS signing-certificate does not name the TSA certificate");
    }
    // RFC 3161 §2.3: the TSA certificate has exactly the timeStamping purpose, critical.
    const auto eku = cert->extension("2.5.29.37");
    const auto purposes = cert->extended_key_usage();
    if (!eku || !eku->critical || purposes.size() != 1 || purposes.front() != pki::eku::kTimeStamping) {
        fail(Indication::Indeterminate, SubIndication::ChainConstraintsFailure,
             "the TSA certificate lacks the critical, sole timeStamping extended key usage (RFC 3161 §2.3)");
    }
    const Chain chain = find_chain(*cert, local, options);
    judge_tsa_trust(chain.found ? chain.certificates : std::vector<pki::Certificate>{}, out.info->gen_time,
                    options, r);
    if (!chain.found) {
        fail(Indication::Indeterminate,
             chain.constraints_failed ? SubIndication::ChainConstraintsFailure
                                      : SubIndication::NoCertificateChainFound,
             "TSA: " + chain.error);
        return out;
    }
    // The token proves its own existence at genTime only together with a later one (§5.6.2.4); the
    // TSA certificate must be in its period at genTime and not revoked before the later POE.
    if (!in_bounds(*cert, out.info->gen_time)) {
        fail(Indication::TotalFailed, SubIndication::FormatFailure,
             "genTime is outside the TSA certificate's validity");
    }
    ChainJudgement j = judge_chain(chain, local, options, now, later_poe ? later_poe : std::nullopt);
    for (const auto& c : local.ocsps)
        material.add_ocsp(c);
    if (j.failure) fail(j.failure->indication, *j.failure->subindication, "TSA: " + j.error);
    return out;
}

}  // namespace inkan::validation::detail

namespace inkan::validation {

bool TrustedService::granted_at(TimePoint t) const {
    return std::any_of(granted.begin(), granted.end(),
                       [t](const Period& p) { return p.from <= t && (!p.until || t < *p.until); });
}

std::vector<std::string> apply_sources(const std::vector<TrustSource>& sources, Options& options,
                                       TimePoint now) {
    std::vector<std::string> stale;
    for (const auto& source : sources) {
        if (source.stale_at(now)) {
            stale.push_back(source.name + " is past its next update " + format_rfc3339(*source.next_update) +
                            ": its services are not trusted");
            continue;
        }
        for (const auto& a : source.anchors) {
            if (std::find(options.trust_anchors.begin(), options.trust_anchors.end(), a) ==
                options.trust_anchors.end())
                options.trust_anchors.push_back(a);
        }
        options.trusted_services.insert(options.trusted_services.end(), source.services.begin(),
                                        source.services.end());
    }
    return stale;
}

}  // namespace inkan::validation
