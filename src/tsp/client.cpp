#include <inkan/tsp/client.h>

#include <algorithm>
#include <string>

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <inkan/cms/signed_data.h>
#include <inkan/core/error.h>
#include <inkan/crypto/der.h>
#include <inkan/crypto/digest.h>
#include <inkan/crypto/random.h>
#include <inkan/pki/certificate.h>
#include <inkan/tsp/authority.h>

namespace inkan::tsp {

namespace {

[[noreturn]] void bad_token(const std::string& why) {
    throw Error{Errc::CryptoFailure, "time-stamp token: " + why};
}

using ossl::CertStack;
using ossl::Store;
using ossl::StoreCtx;

/// ESS signing-certificate-v2 (RFC 5035): the first ESSCertIDv2's certHash must be the hash of
/// `cert_der` under its hashAlgorithm (SHA-256 when left out).
void check_ess(const Bytes& value, ByteView cert_der) {
    der::Reader top{value};
    der::Reader scv2 = top.sequence();
    der::Reader certs = scv2.sequence();
    der::Reader id = certs.sequence();
    crypto::DigestAlgorithm alg = crypto::DigestAlgorithm::Sha256;
    if (const auto t = id.peek(); t && t->is_universal(der::tag::Sequence)) {
        der::Reader a = id.sequence();
        const auto d = crypto::digest_from_oid(a.read_oid());
        if (!d) {
            bad_token("signing-certificate-v2 uses an unknown hash");
        }
        alg = *d;
    }
    const Bytes hash = id.read_octet_string();
    if (hash != crypto::digest(alg, cert_der)) {
        bad_token("signing-certificate-v2 does not name the signer's certificate");
    }
}

void check_chain(const pki::Certificate& tsa, const cms::SignedData& sd, const std::vector<Bytes>& anchors,
                 TimePoint at) {
    const Store store{ossl::not_null(::X509_STORE_new(), "X509_STORE_new")};
    for (const auto& a : anchors) {
        const pki::Certificate c = pki::Certificate::from_der(a);
        ossl::check(::X509_STORE_add_cert(store.get(), c.native()), "X509_STORE_add_cert");
    }
    const CertStack untrusted{ossl::not_null(sk_X509_new_null(), "sk_X509_new_null")};
    for (const auto& der : sd.certificates) {
        try {
            const pki::Certificate c = pki::Certificate::from_der(der);
            X509* copy = c.native();
            ::X509_up_ref(copy);
            if (sk_X509_push(untrusted.get(), copy) == 0) {
                ::X509_free(copy);
            }
        } catch (const Error&) {
            // not an X.509 certificate: no use for the path
        }
    }
    const StoreCtx ctx{ossl::not_null(::X509_STORE_CTX_new(), "X509_STORE_CTX_new")};
    ossl::check(::X509_STORE_CTX_init(ctx.get(), store.get(), tsa.native(), untrusted.get()),
                "X509_STORE_CTX_init");
    X509_VERIFY_PARAM* param = ::X509_STORE_CTX_get0_param(ctx.get());
    ::X509_VERIFY_PARAM_set_time(param, std::chrono::system_clock::to_time_t(at));
    ::X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_TIMESTAMP_SIGN);
    if (::X509_verify_cert(ctx.get()) != 1) {
        bad_token(std::string{"the TSA certificate does not chain to a trust anchor: "} +
                  ::X509_verify_cert_error_string(::X509_STORE_CTX_get_error(ctx.get())));
    }
}

}  // namespace

TstInfo check_token(ByteView token, const TimeStampReq& request, const std::vector<Bytes>& trust_anchors) {
    const cms::SignedData sd = cms::parse(token);
    if (sd.content_type != cms::oid::kTstInfo || !sd.content) {
        bad_token("eContentType is not id-ct-TSTInfo");
    }
    if (sd.signer_infos.size() != 1) {
        bad_token("it has " + std::to_string(sd.signer_infos.size()) + " signers, not one");
    }
    const TstInfo info = parse_tst_info(*sd.content);
    if (info.imprint.hash_oid != request.imprint.hash_oid ||
        info.imprint.hashed_message != request.imprint.hashed_message) {
        bad_token("the message imprint is not the one requested");
    }
    if (request.nonce && info.nonce != request.nonce) {
        bad_token("the nonce is not the one sent");
    }
    if (request.policy && info.policy != *request.policy) {
        bad_token("policy " + info.policy + " is not the one requested (" + *request.policy + ")");
    }
    const auto cert_der = cms::find_signer_certificate(sd, 0);
    if (!cert_der) {
        bad_token("the TSA certificate is not in the token");
    }
    const cms::SignerInfo& si = sd.signer_infos[0];
    const Bytes* ess = si.signed_attribute(cms::oid::kSigningCertificateV2);
    if (ess == nullptr) {
        bad_token("no ESS signing-certificate-v2 attribute (RFC 5816)");
    }
    check_ess(*ess, *cert_der);
    const pki::Certificate cert = pki::Certificate::from_der(*cert_der);
    if (!cms::verify_signer(sd, 0, crypto::digest(si.digest_algorithm, *sd.content), cert.public_key())) {
        bad_token("the signature does not verify");
    }
    try {
        check_tsa_certificate(*cert_der, info.gen_time);
    } catch (const Error& e) {
        bad_token(e.what());
    }
    if (!trust_anchors.empty()) {
        check_chain(cert, sd, trust_anchors, info.gen_time);
    }
    return info;
}

TstInfo check_response(ByteView response_der, const TimeStampReq& request,
                       const std::vector<Bytes>& trust_anchors) {
    const TimeStampResp resp = parse_response(response_der);
    if (resp.status != PkiStatus::Granted && resp.status != PkiStatus::GrantedWithMods) {
        throw Error{Errc::Forbidden,
                    "the TSA answered " + std::string{name(resp.status)} +
                        (resp.fail_info ? " (" + std::string{name(*resp.fail_info)} + ")" : "")};
    }
    if (!resp.token) {
        throw Error{Errc::CryptoFailure, "the TSA granted but sent no token"};
    }
    return check_token(*resp.token, request, trust_anchors);
}

Client::Client(std::vector<TsaEndpoint> endpoints, ClientOptions options)
    : m_endpoints{std::move(endpoints)}, m_options{std::move(options)} {
    require(!m_endpoints.empty(), Errc::InvalidRequest, "tsp client: no TSA URL");
    for (const auto& e : m_endpoints) {
        (void)net::Url::parse(e.url);
    }
}

StampResult Client::stamp(crypto::DigestAlgorithm alg, ByteView digest) const {
    std::string reasons;
    for (const TsaEndpoint& e : m_endpoints) {
        TimeStampReq req;
        req.imprint = make_imprint(alg, digest);
        req.policy = e.policy;
        // A 64-bit nonce, top bit cleared so the INTEGER stays 8 octets (RFC 3161 §2.4.1 advises one).
        Bytes nonce = crypto::random_bytes(8);
        nonce[0] = static_cast<std::uint8_t>((nonce[0] & 0x7F) | 0x01);
        req.nonce = std::move(nonce);
        req.cert_req = true;
        net::RequestOptions options;
        options.timeout = e.timeout;
        options.max_response_bytes = m_options.max_response_bytes;
        options.basic_auth = e.basic_auth;
        options.client_certificate_file = e.client_certificate_file;
        options.client_key_file = e.client_key_file;
        options.ca_file = e.ca_file;
        options.proxy = m_options.proxy;
        try {
            const net::Response r =
                net::post(e.url, "application/timestamp-query", encode_request(req), options);
            if (r.status != 200) {
                throw Error{Errc::Unavailable, "HTTP status " + std::to_string(r.status)};
            }
            // RFC 3161 §3.4; some TSAs send application/timestamp-response.
            if (r.content_type != "application/timestamp-reply" &&
                r.content_type != "application/timestamp-response") {
                throw Error{Errc::Unavailable,
                            "content type \"" + r.content_type + "\" is not a time-stamp reply"};
            }
            StampResult result;
            result.info = check_response(r.body, req, m_options.trust_anchors);
            result.token = *parse_response(r.body).token;
            result.response = r.body;
            result.url = e.url;
            return result;
        } catch (const Error& err) {
            if (!reasons.empty()) {
                reasons += "; ";
            }
            reasons += e.url + ": " + err.what();
        }
    }
    throw Error{Errc::Unavailable, "no TSA gave a usable time-stamp: " + reasons};
}

}  // namespace inkan::tsp
