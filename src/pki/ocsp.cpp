// The built-in CA's OCSP responder (RFC 6960): parses an OCSPRequest with inkan's DER reader and
// assembles the BasicOCSPResponse with its DER writer; signed through a sign::Signer.

#include <algorithm>
#include <string>

#include <inkan/core/error.h>
#include <inkan/core/log.h>
#include <inkan/crypto/der.h>
#include <inkan/crypto/digest.h>
#include <inkan/pki/ca.h>

#include "oids.h"
#include "signing.h"

namespace inkan::pki {

namespace {

/// RFC 8954 §2.1: a nonce of 0 or more than 32 octets is a malformedRequest.
constexpr std::size_t kMaxNonce = 32;

struct CertIdRequest {
    ByteView whole;  // echoed verbatim in the SingleResponse (clients compare CertIDs)
    std::optional<crypto::DigestAlgorithm> hash;
    Bytes issuer_name_hash;
    Bytes issuer_key_hash;
    Bytes serial;
};

struct ParsedRequest {
    std::vector<CertIdRequest> ids;
    std::optional<ByteView> nonce_extension;  // the whole Extension TLV, echoed
};

/// RFC 6960 §4.1.1. Errc::InvalidEncoding (or InvalidRequest) for anything malformed.
ParsedRequest parse_request(ByteView der, std::size_t max_requests) {
    ParsedRequest parsed;
    der::Reader outer{der};
    der::Reader request = outer.sequence();
    outer.expect_end();
    der::Reader tbs = request.sequence();
    if (std::optional<der::Reader> version = tbs.optional_context(0)) {
        require(version->read_integer() == 0, Errc::InvalidRequest, "OCSPRequest version is not v1");
        version->expect_end();
    }
    (void)tbs.optional(der::Class::Context, 1);  // requestorName
    der::Reader list = tbs.sequence();
    while (!list.empty()) {
        require(parsed.ids.size() < max_requests, Errc::InvalidRequest,
                "too many CertIDs in one OCSP request");
        der::Reader single = list.sequence();
        const der::Tlv cert_id = single.expect(der::Class::Universal, der::tag::Sequence);
        (void)single.optional(der::Class::Context, 0);  // singleRequestExtensions
        single.expect_end();

        CertIdRequest id;
        id.whole = cert_id.whole;
        der::Reader fields = single.enter(cert_id);
        der::Reader alg = fields.sequence();
        id.hash = crypto::digest_from_oid(alg.read_oid());
        if (!alg.empty()) {
            alg.read_null();  // RFC 5754 §2: parameters absent or NULL
        }
        alg.expect_end();
        id.issuer_name_hash = fields.read_octet_string();
        id.issuer_key_hash = fields.read_octet_string();
        id.serial = fields.read_integer_unsigned();
        fields.expect_end();
        parsed.ids.push_back(std::move(id));
    }
    require(!parsed.ids.empty(), Errc::InvalidRequest, "OCSP request without a CertID");
    if (std::optional<der::Reader> wrapper = tbs.optional_context(2)) {
        der::Reader extensions = wrapper->sequence();
        wrapper->expect_end();
        while (!extensions.empty()) {
            const der::Tlv ext_tlv = extensions.expect(der::Class::Universal, der::tag::Sequence);
            der::Reader ext = extensions.enter(ext_tlv);
            const std::string id = ext.read_oid();
            if (ext.peek() && ext.peek()->is_universal(der::tag::Boolean)) {
                (void)ext.read_boolean();
            }
            const Bytes value = ext.read_octet_string();
            ext.expect_end();
            if (id != oids::kOcspNonce) {
                continue;
            }
            // Nonce ::= OCTET STRING (RFC 8954 §2.1); some clients put the octets in extnValue directly.
            std::size_t nonce_length = value.size();
            der::Reader nonce{value};
            if (const std::optional<der::Tlv> inner = nonce.peek();
                inner && inner->is_universal(der::tag::OctetString) && inner->whole.size() == value.size()) {
                nonce_length = inner->content.size();
            }
            require(nonce_length > 0 && nonce_length <= kMaxNonce, Errc::InvalidRequest,
                    "OCSP nonce must be 1 to 32 octets (RFC 8954 §2.1)");
            parsed.nonce_extension = ext_tlv.whole;
        }
    }
    tbs.expect_end();
    (void)request.optional(der::Class::Context, 0);  // optionalSignature: not required, not checked
    request.expect_end();
    return parsed;
}

Bytes successful_response(ByteView basic_response) {
    der::Writer w;
    w.sequence([&](der::Writer& response) {
        response.enumerated(static_cast<std::int64_t>(OcspResponseStatus::Successful));
        response.context(0, [&](der::Writer& bytes) {
            bytes.sequence([&](der::Writer& rb) {
                rb.oid(oids::kOcspBasic);
                rb.octet_string(basic_response);
            });
        });
    });
    return w.take();
}

bool has_ocsp_signing(const Certificate& cert) {
    const std::vector<std::string> purposes = cert.extended_key_usage();
    return std::find(purposes.begin(), purposes.end(), eku::kOcspSigning) != purposes.end();
}

}  // namespace

Bytes ocsp_error_response(OcspResponseStatus status) {
    require(status != OcspResponseStatus::Successful, Errc::Internal,
            "a successful OCSP response needs responseBytes");
    der::Writer w;
    w.sequence([&](der::Writer& response) { response.enumerated(static_cast<std::int64_t>(status)); });
    return w.take();
}

Bytes BuiltinCa::ocsp_response(ByteView request_der) {
    return ocsp_response(request_der, m_signer, {m_chain.front()});
}

Bytes BuiltinCa::ocsp_response(ByteView request_der, sign::Signer& responder,
                               const std::vector<Bytes>& responder_chain) {
    // The responder is this CA or a delegated responder it authorised (RFC 6960 §4.2.2.2); anything else is
    // a wiring mistake, reported as such rather than as a response no client would accept.
    const bool responder_is_ca = responder.public_key().same_key(m_certificate.public_key());
    if (!responder_is_ca) {
        require(!responder_chain.empty(), Errc::InvalidConfig,
                "CA " + name() + ": a delegated OCSP responder needs its certificate");
        const Certificate cert = [&] {
            try {
                return Certificate::from_der(responder_chain.front());
            } catch (const Error& e) {
                throw Error{Errc::InvalidConfig,
                            "CA " + name() + ": OCSP responder certificate: " + e.what()};
            }
        }();
        require(cert.public_key().same_key(responder.public_key()), Errc::InvalidConfig,
                "CA " + name() + ": the OCSP signer's key is not its certificate's key");
        require(
            cert.issuer_der() == m_certificate.subject_der() && cert.signed_by(m_certificate.public_key()),
            Errc::InvalidConfig,
            "CA " + name() + ": the OCSP responder certificate was not issued by this CA");
        require(has_ocsp_signing(cert), Errc::InvalidConfig,
                "CA " + name() + ": the OCSP responder certificate lacks id-kp-OCSPSigning");
    }

    ParsedRequest request;
    try {
        request = parse_request(request_der, m_settings.max_ocsp_requests);
    } catch (const Error& e) {
        log::debug("malformed OCSP request", {{"ca", name()}, {"reason", e.what()}});
        return ocsp_error_response(OcspResponseStatus::MalformedRequest);
    }

    try {
        const Bytes issuer_name = m_certificate.subject_der();
        const Bytes issuer_key_bits = subject_public_key_bits(m_certificate.spki_der());
        const auto ours = [&](const CertIdRequest& id) {
            return id.hash && id.issuer_name_hash == crypto::digest(*id.hash, issuer_name) &&
                   id.issuer_key_hash == crypto::digest(*id.hash, issuer_key_bits);
        };
        if (std::none_of(request.ids.begin(), request.ids.end(), ours)) {
            // §2.3: "unauthorized ... the client is not authorized to make this query to this server".
            return ocsp_error_response(OcspResponseStatus::Unauthorized);
        }

        const TimePoint now = truncate_to_seconds(m_clock.now());
        const TimePoint next = now + m_settings.ocsp_validity;
        const Bytes responder_spki = responder.public_key().spki_der();

        der::Writer tbs;
        tbs.sequence([&](der::Writer& data) {
            // version v1 is the DEFAULT and so left out; responderID byKey [2] EXPLICIT KeyHash (§4.2.1).
            data.context(2,
                         [&](der::Writer& by_key) { by_key.octet_string(key_identifier(responder_spki)); });
            data.generalized_time(now);  // producedAt
            data.sequence([&](der::Writer& responses) {
                for (const CertIdRequest& id : request.ids) {
                    std::optional<IssuedCertificate> issued;
                    if (ours(id)) {
                        issued = m_store.find(name(), id.serial);
                    }
                    responses.sequence([&](der::Writer& single) {
                        single.raw(id.whole);
                        if (!issued) {
                            // §2.2: "unknown" — not issued by this CA, or an issuer this responder does not
                            // serve.
                            single.primitive(der::Class::Context, 2, {});
                        } else if (issued->revoked_at) {
                            single.context(1, [&](der::Writer& revoked) {
                                revoked.generalized_time(truncate_to_seconds(*issued->revoked_at));
                                const RevocationReason reason =
                                    issued->reason.value_or(RevocationReason::Unspecified);
                                if (reason != RevocationReason::Unspecified) {
                                    revoked.context(0, [&](der::Writer& r) {
                                        r.enumerated(static_cast<std::int64_t>(reason));
                                    });
                                }
                            });
                        } else {
                            single.primitive(der::Class::Context, 0, {});  // good [0] IMPLICIT NULL
                        }
                        single.generalized_time(now);  // thisUpdate
                        single.context(0, [&](der::Writer& n) { n.generalized_time(next); });
                    });
                }
            });
            if (request.nonce_extension) {
                // RFC 8954 §2.1: the responder echoes the request's nonce.
                data.context(1, [&](der::Writer& wrapper) {
                    wrapper.sequence([&](der::Writer& exts) { exts.raw(*request.nonce_extension); });
                });
            }
        });

        const crypto::SignatureAlgorithm alg = responder_is_ca && &responder == &m_signer
                                                   ? m_algorithm
                                                   : sign::default_algorithm(responder.public_key());
        const Bytes signature = detail::sign_tbs(tbs.bytes(), responder, alg);
        der::Writer basic;
        basic.sequence([&](der::Writer& b) {
            b.raw(tbs.bytes());
            b.raw(crypto::algorithm_identifier(alg));
            b.bit_string(signature);
            if (!responder_chain.empty()) {
                b.context(0, [&](der::Writer& certs) {
                    certs.sequence([&](der::Writer& list) {
                        for (const Bytes& cert : responder_chain) {
                            list.raw(cert);
                        }
                    });
                });
            }
        });
        return successful_response(basic.bytes());
    } catch (const Error& e) {
        log::error("OCSP response failed",
                   {{"ca", name()}, {"code", errc_name(e.code())}, {"reason", e.what()}});
        return ocsp_error_response(OcspResponseStatus::InternalError);
    }
}

}  // namespace inkan::pki
