#include <inkan/tsp/authority.h>

#include <algorithm>
#include <set>
#include <utility>

#include <inkan/cms/signed_data.h>
#include <inkan/core/clock.h>
#include <inkan/core/error.h>
#include <inkan/core/log.h>
#include <inkan/crypto/der.h>
#include <inkan/pki/certificate.h>

namespace inkan::tsp {

namespace {

bool valid_oid(std::string_view dotted) {
    try {
        (void)crypto::encode_oid_content(dotted);
        return true;
    } catch (const Error&) {
        return false;
    }
}

Rejection reject(FailureInfo info, std::string text) {
    return {info, std::move(text)};
}

Errc errc_for(FailureInfo info) {
    switch (info) {
        case FailureInfo::BadAlg:
            return Errc::UnsupportedAlgorithm;
        case FailureInfo::BadDataFormat:
            return Errc::InvalidEncoding;
        case FailureInfo::SystemFailure:
            return Errc::Internal;
        default:
            return Errc::InvalidRequest;
    }
}

}  // namespace

void check_tsa_certificate(ByteView certificate_der, TimePoint now) {
    pki::Certificate cert = [&] {
        try {
            return pki::Certificate::from_der(certificate_der);
        } catch (const Error& e) {
            throw Error{Errc::InvalidConfig, std::string{"the TSA certificate does not parse: "} + e.what()};
        }
    }();
    const auto eku = cert.extension("2.5.29.37");
    require(eku.has_value(), Errc::InvalidConfig,
            "the TSA certificate (" + cert.subject() + ") has no extendedKeyUsage extension (RFC 3161 §2.3)");
    require(eku->critical, Errc::InvalidConfig,
            "the TSA certificate's extendedKeyUsage is not critical (RFC 3161 §2.3)");
    const auto purposes = cert.extended_key_usage();
    require(purposes.size() == 1 && purposes.front() == pki::eku::kTimeStamping, Errc::InvalidConfig,
            "the TSA certificate's extendedKeyUsage must be id-kp-timeStamping only (RFC 3161 §2.3)");
    if (const auto ku = cert.key_usage()) {
        require((*ku & ~(pki::key_usage::kDigitalSignature | pki::key_usage::kNonRepudiation)) == 0,
                Errc::InvalidConfig,
                "the TSA certificate's keyUsage allows more than digitalSignature and nonRepudiation");
    }
    require(now >= cert.not_before(), Errc::InvalidConfig,
            "the TSA certificate is not valid yet (notBefore " + format_rfc3339(cert.not_before()) + ")");
    require(now <= cert.not_after(), Errc::InvalidConfig,
            "the TSA certificate has expired (notAfter " + format_rfc3339(cert.not_after()) + ")");
}

std::unique_ptr<const Authority::Generation> Authority::checked(std::vector<Identity> identities,
                                                                TimePoint now) {
    auto g = std::make_unique<Generation>();
    g->identities = std::move(identities);
    require(!g->identities.empty(), Errc::InvalidConfig, "tsa: no TSA identity is configured");
    std::set<std::string> policies;
    std::size_t defaults = 0;
    for (std::size_t i = 0; i < g->identities.size(); ++i) {
        Identity& id = g->identities[i];
        const std::string what = "tsa identity \"" + id.name + "\": ";
        require(id.signer != nullptr, Errc::InvalidConfig, what + "no signing key");
        require(!id.chain.empty(), Errc::InvalidConfig, what + "no certificate");
        require(valid_oid(id.policy), Errc::InvalidConfig,
                what + "policy \"" + id.policy + "\" is not an OID");
        require(policies.insert(id.policy).second, Errc::InvalidConfig,
                what + "policy " + id.policy + " is used by another identity");
        require(!id.hash_algorithms.empty(), Errc::InvalidConfig, what + "no accepted hash algorithm");
        try {
            check_tsa_certificate(id.chain.front(), now);
        } catch (const Error& e) {
            throw Error{Errc::InvalidConfig, what + e.what()};
        }
        const pki::Certificate cert = pki::Certificate::from_der(id.chain.front());
        require(cert.public_key().same_key(id.signer->public_key()), Errc::InvalidConfig,
                what + "the certificate is not for the configured key");
        if (!id.signature_algorithm) {
            id.signature_algorithm = sign::default_algorithm(id.signer->public_key());
        }
        require(id.signer->supports(*id.signature_algorithm), Errc::InvalidConfig,
                what + "the signature algorithm does not fit the key");
        if (id.is_default) {
            ++defaults;
            g->default_index = i;
        }
    }
    require(defaults <= 1, Errc::InvalidConfig, "tsa: more than one default identity");
    return g;
}

Authority::Authority(std::vector<Identity> identities, SerialSource& serials, const Clock& clock,
                     std::uint64_t serial_block)
    : m_serials{serials}, m_clock{clock}, m_block{std::max<std::uint64_t>(serial_block, 1)} {
    m_generations.push_back(checked(std::move(identities), m_clock.now()));
    m_current.store(m_generations.back().get());
}

void Authority::replace_identities(std::vector<Identity> identities) {
    auto g = checked(std::move(identities), m_clock.now());  // throws before anything changes
    const std::lock_guard lock{m_generations_mutex};
    m_generations.push_back(std::move(g));
    m_current.store(m_generations.back().get());
}

void Authority::on_response(std::function<void(std::string_view, std::string_view)> callback) {
    m_on_response = std::move(callback);
}

Bytes Authority::next_serial() {
    const std::lock_guard lock{m_mutex};
    if (m_next == m_end) {
        // A block at a time keeps the store out of the per-token path; a block a crashed node
        // reserved is skipped, never reused (RFC 3161 §2.4.2 needs uniqueness, not contiguity).
        m_next = m_serials.reserve(m_block);
        m_end = m_next + m_block;
    }
    return magnitude(m_next++);
}

Authority::Outcome Authority::issue(const TimeStampReq& request) {
    Outcome out;
    if (request.version != 1) {
        out.rejection = reject(FailureInfo::BadRequest, "version must be 1");
        return out;
    }
    // One generation for the whole request: a reload meanwhile does not mix two identities' parts.
    const Generation& generation = current();
    const Identity* identity = &generation.identities[generation.default_index];
    if (request.policy) {
        const auto it = std::find_if(generation.identities.begin(), generation.identities.end(),
                                     [&](const Identity& i) { return i.policy == *request.policy; });
        if (it == generation.identities.end()) {
            out.rejection = reject(FailureInfo::UnacceptedPolicy, "the requested policy is not offered");
            return out;
        }
        identity = &*it;
    }
    out.policy = identity->policy;
    const auto alg = request.imprint.algorithm();
    if (!alg || std::find(identity->hash_algorithms.begin(), identity->hash_algorithms.end(), *alg) ==
                    identity->hash_algorithms.end()) {
        out.rejection = reject(FailureInfo::BadAlg, "the imprint's hash algorithm is not accepted");
        return out;
    }
    if (request.imprint.hashed_message.size() != crypto::digest_length(*alg)) {
        out.rejection = reject(FailureInfo::BadDataFormat, "the imprint's length does not fit its algorithm");
        return out;
    }
    if (request.has_extensions) {
        out.rejection = reject(FailureInfo::UnacceptedExtension, "no request extensions are supported");
        return out;
    }

    TstInfo info;
    info.policy = identity->policy;
    info.imprint = request.imprint;  // copied verbatim: the token must carry the request's imprint
    info.serial = next_serial();
    info.gen_time = m_clock.now();
    if (identity->accuracy.count() > 0) {
        info.accuracy = Accuracy::from(identity->accuracy);
    }
    info.nonce = request.nonce;

    cms::SignedDataSpec spec;
    spec.content_type = std::string{cms::oid::kTstInfo};
    spec.content = encode_tst_info(info);
    spec.algorithm = *identity->signature_algorithm;
    spec.signer_certificate = identity->chain.front();
    if (request.cert_req) {
        // RFC 3161 §2.4.1: certReq TRUE → the TSA's certificate MUST be in the token; the issuers
        // help the client build the path.
        spec.certificates = identity->chain;
    }
    // RFC 5816 §2.2.1: ESS signing-certificate-v2 identifies the TSA certificate.
    spec.signed_attributes = {cms::signing_certificate_v2_attribute(identity->chain.front())};
    out.token = cms::sign(spec, *identity->signer);
    return out;
}

Bytes Authority::respond(ByteView request_der) {
    TimeStampResp resp;
    std::string policy;
    try {
        TimeStampReq request;
        bool parsed = true;
        try {
            request = parse_request(request_der);
        } catch (const Error&) {
            parsed = false;
        }
        if (!parsed) {
            resp.status = PkiStatus::Rejection;
            resp.fail_info = FailureInfo::BadDataFormat;
            resp.status_string = "the request is not a DER TimeStampReq";
        } else {
            Outcome out = issue(request);
            policy = out.policy;
            if (out.token) {
                resp.status = PkiStatus::Granted;
                resp.token = std::move(out.token);
            } else {
                resp.status = PkiStatus::Rejection;
                resp.fail_info = out.rejection->fail_info;
                resp.status_string = out.rejection->text;
            }
        }
    } catch (const Error& e) {
        log::error("time-stamp failed", {{"error", errc_name(e.code())}, {"detail", e.what()}});
        resp = TimeStampResp{};
        resp.status = PkiStatus::Rejection;
        resp.fail_info = FailureInfo::SystemFailure;
        resp.status_string = "the time-stamping service failed";
    }
    if (m_on_response) {
        m_on_response(policy, resp.fail_info ? name(*resp.fail_info) : name(resp.status));
    }
    return encode_response(resp);
}

Bytes Authority::stamp(const TimeStampReq& request) {
    Outcome out = issue(request);
    if (m_on_response) {
        m_on_response(out.policy, out.rejection ? name(out.rejection->fail_info) : name(PkiStatus::Granted));
    }
    if (out.rejection) {
        throw Error{errc_for(out.rejection->fail_info), out.rejection->text};
    }
    return std::move(*out.token);
}

}  // namespace inkan::tsp
