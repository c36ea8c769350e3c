#include <inkan/pki/certificate.h>

#include <algorithm>
#include <string>

#include <openssl/err.h>
#include <openssl/x509.h>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/crypto/der.h>
#include <inkan/crypto/digest.h>

#include "general_names.h"
#include "oids.h"
#include "ossl_pki.h"
#include "signing.h"

namespace inkan::pki {

namespace {

constexpr std::uint32_t kUri = 6;  // GeneralName uniformResourceIdentifier [6] IA5String

std::string_view qc_type_oid(QcType t) {
    switch (t) {
        case QcType::ESign:
            return oids::kQcTypeESign;
        case QcType::ESeal:
            return oids::kQcTypeESeal;
        case QcType::Web:
            return oids::kQcTypeWeb;
    }
    throw Error{Errc::Internal, "unknown QcType"};
}

/// Appends one Extension to an open Extensions SEQUENCE; `body` writes the extnValue's DER.
template <class Body>
void add_extension(der::Writer& exts, std::string_view id, bool critical, Body&& body) {
    der::Writer value;
    body(value);
    exts.raw(encode_extension(id, critical, value.bytes()));
}

/// The fields of a TBSCertificate, as views into the certificate's DER.
struct TbsView {
    Bytes serial;
    ByteView issuer;
    TimePoint not_before{};
    TimePoint not_after{};
    ByteView subject;
    ByteView spki;
    std::vector<Certificate::Extension> extensions;
};

TbsView parse_tbs(ByteView cert_der) {
    TbsView v;
    der::Reader outer{cert_der};
    der::Reader cert = outer.sequence();
    der::Reader tbs = cert.sequence();
    (void)tbs.optional_context(0);  // version
    v.serial = tbs.read_integer_unsigned();
    (void)tbs.expect(der::Class::Universal, der::tag::Sequence);  // signature
    v.issuer = tbs.expect(der::Class::Universal, der::tag::Sequence).whole;
    der::Reader validity = tbs.sequence();
    v.not_before = validity.read_time();
    v.not_after = validity.read_time();
    v.subject = tbs.expect(der::Class::Universal, der::tag::Sequence).whole;
    v.spki = tbs.expect(der::Class::Universal, der::tag::Sequence).whole;
    (void)tbs.optional(der::Class::Context, 1);  // issuerUniqueID
    (void)tbs.optional(der::Class::Context, 2);  // subjectUniqueID
    if (std::optional<der::Reader> wrapper = tbs.optional_context(3)) {
        der::Reader exts = wrapper->sequence();
        while (!exts.empty()) {
            der::Reader ext = exts.sequence();
            Certificate::Extension e;
            e.oid = ext.read_oid();
            if (ext.peek() && ext.peek()->is_universal(der::tag::Boolean)) {
                e.critical = ext.read_boolean();
            }
            e.value = ext.read_octet_string();
            ext.expect_end();
            v.extensions.push_back(std::move(e));
        }
    }
    return v;
}

}  // namespace

// ---- encoding -------------------------------------------------------------------------------

Bytes subject_public_key_bits(ByteView spki_der) {
    der::Reader outer{spki_der};
    der::Reader spki = outer.sequence();
    outer.expect_end();
    (void)spki.expect(der::Class::Universal, der::tag::Sequence);
    Bytes bits = spki.read_bit_string();
    spki.expect_end();
    return bits;
}

Bytes key_identifier(ByteView spki_der) {
    return crypto::digest(crypto::DigestAlgorithm::Sha1, subject_public_key_bits(spki_der));
}

Bytes encode_extension(std::string_view id, bool critical, ByteView value_der) {
    der::Writer w;
    w.sequence([&](der::Writer& ext) {
        ext.oid(id);
        if (critical) {  // DEFAULT FALSE is omitted (X.690 §11.5)
            ext.boolean(true);
        }
        ext.octet_string(value_der);
    });
    return w.take();
}

Bytes encode_extensions(const Extensions& ext, ByteView spki_der) {
    der::Writer w;
    w.sequence([&](der::Writer& exts) {
        if (ext.basic_constraints) {
            const BasicConstraints& bc = *ext.basic_constraints;
            require(bc.ca || !bc.path_len, Errc::InvalidRequest, "pathLenConstraint without cA");
            add_extension(exts, oids::kBasicConstraints, true, [&](der::Writer& v) {
                v.sequence([&](der::Writer& s) {
                    if (bc.ca) {
                        s.boolean(true);
                    }
                    if (bc.path_len) {
                        s.integer(static_cast<std::int64_t>(*bc.path_len));
                    }
                });
            });
        }
        if (ext.key_usage != 0) {
            add_extension(exts, oids::kKeyUsage, true, [&](der::Writer& v) { v.named_bits(ext.key_usage); });
        }
        if (!ext.extended_key_usage.empty()) {
            add_extension(exts, oids::kExtKeyUsage, ext.extended_key_usage_critical, [&](der::Writer& v) {
                v.sequence([&](der::Writer& s) {
                    for (const std::string& purpose : ext.extended_key_usage) {
                        s.oid(purpose);
                    }
                });
            });
        }
        if (ext.subject_key_identifier) {
            add_extension(exts, oids::kSubjectKeyIdentifier, false,
                          [&](der::Writer& v) { v.octet_string(key_identifier(spki_der)); });
        }
        if (ext.authority_key_identifier) {
            add_extension(exts, oids::kAuthorityKeyIdentifier, false, [&](der::Writer& v) {
                v.sequence([&](der::Writer& s) {
                    s.primitive(der::Class::Context, 0, *ext.authority_key_identifier);
                });
            });
        }
        if (!ext.dns_names.empty() || !ext.ip_addresses.empty()) {
            add_extension(exts, oids::kSubjectAltName, false, [&](der::Writer& v) {
                v.raw(detail::encode_subject_alt_name(ext.dns_names, ext.ip_addresses));
            });
        }
        if (!ext.crl_urls.empty()) {
            // DistributionPoint { distributionPoint [0] { fullName [0] GeneralNames } } (RFC 5280 §4.2.1.13)
            add_extension(exts, oids::kCrlDistributionPoints, false, [&](der::Writer& v) {
                v.sequence([&](der::Writer& points) {
                    for (const std::string& url : ext.crl_urls) {
                        detail::check_uri(url);
                        points.sequence([&](der::Writer& point) {
                            point.context(0, [&](der::Writer& dp_name) {
                                dp_name.context(0, [&](der::Writer& full_name) {
                                    full_name.primitive(der::Class::Context, kUri, as_bytes(url));
                                });
                            });
                        });
                    }
                });
            });
        }
        if (!ext.ca_issuers_urls.empty() || !ext.ocsp_urls.empty()) {
            // AccessDescription { accessMethod, accessLocation GeneralName } (RFC 5280 §4.2.2.1)
            add_extension(exts, oids::kAuthorityInfoAccess, false, [&](der::Writer& v) {
                v.sequence([&](der::Writer& descriptions) {
                    const auto describe = [&](std::string_view method, const std::string& url) {
                        detail::check_uri(url);
                        descriptions.sequence([&](der::Writer& d) {
                            d.oid(method);
                            d.primitive(der::Class::Context, kUri, as_bytes(url));
                        });
                    };
                    for (const std::string& url : ext.ocsp_urls) {
                        describe(oids::kAdOcsp, url);
                    }
                    for (const std::string& url : ext.ca_issuers_urls) {
                        describe(oids::kAdCaIssuers, url);
                    }
                });
            });
        }
        if (!ext.policies.empty()) {
            add_extension(exts, oids::kCertificatePolicies, false, [&](der::Writer& v) {
                v.sequence([&](der::Writer& policies) {
                    for (const std::string& policy : ext.policies) {
                        policies.sequence([&](der::Writer& info) { info.oid(policy); });
                    }
                });
            });
        }
        if (ext.qc_statements &&
            (ext.qc_statements->compliance || ext.qc_statements->sscd || ext.qc_statements->type)) {
            // QCStatement ::= SEQUENCE { statementId, statementInfo OPTIONAL }; QcType's info is
            // SEQUENCE OF OBJECT IDENTIFIER (EN 319 412-5 §4.2.3).
            const QcStatements& qc = *ext.qc_statements;
            add_extension(exts, oids::kQcStatements, false, [&](der::Writer& v) {
                v.sequence([&](der::Writer& statements) {
                    if (qc.compliance) {
                        statements.sequence([&](der::Writer& s) { s.oid(oids::kQcCompliance); });
                    }
                    if (qc.sscd) {
                        statements.sequence([&](der::Writer& s) { s.oid(oids::kQcSscd); });
                    }
                    if (qc.type) {
                        statements.sequence([&](der::Writer& s) {
                            s.oid(oids::kQcType);
                            s.sequence([&](der::Writer& types) { types.oid(qc_type_oid(*qc.type)); });
                        });
                    }
                });
            });
        }
        if (ext.ocsp_no_check) {
            add_extension(exts, oids::kOcspNoCheck, false, [](der::Writer& v) { v.null(); });
        }
    });
    return w.take();
}

Bytes tbs_certificate(const CertificateTemplate& tmpl, const crypto::SignatureAlgorithm& alg) {
    const auto first =
        std::find_if(tmpl.serial.begin(), tmpl.serial.end(), [](std::uint8_t b) { return b != 0; });
    require(first != tmpl.serial.end(), Errc::InvalidRequest, "serial number must be positive");
    const auto magnitude = static_cast<std::size_t>(tmpl.serial.end() - first);
    // RFC 5280 §4.1.2.2: at most 20 octets as encoded (a sign octet counts).
    require(magnitude + ((*first & 0x80U) != 0 ? 1U : 0U) <= 20, Errc::InvalidRequest,
            "serial number longer than 20 octets");
    require(tmpl.validity.not_after >= tmpl.validity.not_before, Errc::InvalidRequest,
            "notAfter is before notBefore");
    require(!tmpl.subject.empty(), Errc::InvalidRequest, "empty subject name");
    require(!tmpl.issuer_der.empty(), Errc::InvalidRequest, "empty issuer name");
    (void)subject_public_key_bits(tmpl.spki_der);  // a malformed SPKI fails here, not in a relying party

    const Bytes extensions = encode_extensions(tmpl.extensions, tmpl.spki_der);
    der::Writer w;
    w.sequence([&](der::Writer& tbs) {
        tbs.context(0, [](der::Writer& version) { version.integer(2); });  // v3
        tbs.integer_unsigned(tmpl.serial);
        tbs.raw(crypto::algorithm_identifier(alg));
        tbs.raw(tmpl.issuer_der);
        tbs.sequence([&](der::Writer& validity) {
            validity.x509_time(tmpl.validity.not_before);
            validity.x509_time(tmpl.validity.not_after);
        });
        tbs.raw(tmpl.subject.der());
        tbs.raw(tmpl.spki_der);
        if (extensions.size() > 2) {  // not an empty SEQUENCE
            tbs.context(3, [&](der::Writer& e) { e.raw(extensions); });
        }
    });
    return w.take();
}

Certificate sign_certificate(const CertificateTemplate& tmpl, sign::Signer& signer,
                             const crypto::SignatureAlgorithm& alg) {
    const Bytes tbs = tbs_certificate(tmpl, alg);
    return Certificate::from_der(detail::signed_structure(tbs, signer, alg));
}

// ---- Certificate ----------------------------------------------------------------------------

Certificate Certificate::from_der(ByteView der) {
    ossl::Cert x509 = detail::parse_x509(der);
    (void)parse_tbs(der);  // our own reader must agree that it is well-formed
    return Certificate{std::move(x509), to_bytes(der)};
}

Certificate Certificate::from_pem(std::string_view pem) {
    return certificates_from_pem(pem).front();
}

Certificate Certificate::from_x509(X509* x509) {
    require(x509 != nullptr, Errc::Internal, "Certificate::from_x509(nullptr)");
    const int len = ::i2d_X509(x509, nullptr);
    if (len <= 0) {
        ossl::throw_last_error(Errc::CryptoFailure, "i2d_X509");
    }
    Bytes der(static_cast<std::size_t>(len));
    unsigned char* p = der.data();
    if (::i2d_X509(x509, &p) != len) {
        ossl::throw_last_error(Errc::CryptoFailure, "i2d_X509");
    }
    return from_der(der);
}

Certificate::Certificate(const Certificate& other) : m_der{other.m_der} {
    ossl::check(::X509_up_ref(other.m_x509.get()), "X509_up_ref");
    m_x509.reset(other.m_x509.get());
}

Certificate& Certificate::operator=(const Certificate& other) {
    if (this != &other) {
        Certificate copy{other};
        *this = std::move(copy);
    }
    return *this;
}

std::string Certificate::pem() const {
    return pem_encode("CERTIFICATE", m_der);
}

std::string Certificate::subject() const {
    return name_to_string(parse_tbs(m_der).subject);
}

std::string Certificate::issuer() const {
    return name_to_string(parse_tbs(m_der).issuer);
}

Name Certificate::subject_name() const {
    return Name::from_der(parse_tbs(m_der).subject);
}

Name Certificate::issuer_name() const {
    return Name::from_der(parse_tbs(m_der).issuer);
}

Bytes Certificate::subject_der() const {
    return to_bytes(parse_tbs(m_der).subject);
}

Bytes Certificate::issuer_der() const {
    return to_bytes(parse_tbs(m_der).issuer);
}

Bytes Certificate::serial() const {
    return parse_tbs(m_der).serial;
}

std::string Certificate::serial_hex() const {
    return pki::serial_hex(serial());
}

TimePoint Certificate::not_before() const {
    return parse_tbs(m_der).not_before;
}

TimePoint Certificate::not_after() const {
    return parse_tbs(m_der).not_after;
}

crypto::PublicKey Certificate::public_key() const {
    return crypto::PublicKey::from_spki(parse_tbs(m_der).spki);
}

Bytes Certificate::spki_der() const {
    return to_bytes(parse_tbs(m_der).spki);
}

std::vector<Certificate::Extension> Certificate::extensions() const {
    return parse_tbs(m_der).extensions;
}

std::optional<Certificate::Extension> Certificate::extension(std::string_view id) const {
    for (Extension& e : parse_tbs(m_der).extensions) {
        if (e.oid == id) {
            return std::move(e);
        }
    }
    return std::nullopt;
}

std::optional<Bytes> Certificate::subject_key_identifier() const {
    const std::optional<Extension> ext = extension(oids::kSubjectKeyIdentifier);
    if (!ext) {
        return std::nullopt;
    }
    der::Reader r{ext->value};
    Bytes id = r.read_octet_string();
    r.expect_end();
    return id;
}

std::optional<Bytes> Certificate::authority_key_identifier() const {
    const std::optional<Extension> ext = extension(oids::kAuthorityKeyIdentifier);
    if (!ext) {
        return std::nullopt;
    }
    der::Reader outer{ext->value};
    der::Reader aki = outer.sequence();
    if (const std::optional<der::Tlv> id = aki.optional(der::Class::Context, 0)) {
        return to_bytes(id->content);
    }
    return std::nullopt;
}

std::optional<BasicConstraints> Certificate::basic_constraints() const {
    const std::optional<Extension> ext = extension(oids::kBasicConstraints);
    if (!ext) {
        return std::nullopt;
    }
    BasicConstraints bc;
    der::Reader outer{ext->value};
    der::Reader fields = outer.sequence();
    outer.expect_end();
    if (fields.peek() && fields.peek()->is_universal(der::tag::Boolean)) {
        bc.ca = fields.read_boolean();
    }
    if (!fields.empty()) {
        const std::int64_t len = fields.read_integer();
        require(len >= 0 && len <= 255, Errc::InvalidEncoding, "pathLenConstraint out of range");
        bc.path_len = static_cast<unsigned>(len);
    }
    fields.expect_end();
    return bc;
}

bool Certificate::is_ca() const {
    const std::optional<BasicConstraints> bc = basic_constraints();
    return bc && bc->ca;
}

std::optional<std::uint32_t> Certificate::key_usage() const {
    const std::optional<Extension> ext = extension(oids::kKeyUsage);
    if (!ext) {
        return std::nullopt;
    }
    const der::Tlv bits = der::parse_single(ext->value);
    require(bits.is_universal(der::tag::BitString) && !bits.content.empty(), Errc::InvalidEncoding,
            "keyUsage is not a BIT STRING");
    std::uint32_t mask = 0;
    for (std::size_t i = 1; i < bits.content.size() && i <= 4; ++i) {
        for (unsigned b = 0; b < 8; ++b) {
            if ((bits.content[i] & (0x80U >> b)) != 0) {
                mask |= 1U << ((i - 1) * 8 + b);
            }
        }
    }
    return mask;
}

std::vector<std::string> Certificate::extended_key_usage() const {
    std::vector<std::string> out;
    if (const std::optional<Extension> ext = extension(oids::kExtKeyUsage)) {
        der::Reader outer{ext->value};
        der::Reader purposes = outer.sequence();
        while (!purposes.empty()) {
            out.push_back(purposes.read_oid());
        }
    }
    return out;
}

bool Certificate::signed_by(const crypto::PublicKey& issuer_key) const {
    const int rc = ::X509_verify(m_x509.get(), issuer_key.native());
    ::ERR_clear_error();
    return rc == 1;
}

// ---- PEM ------------------------------------------------------------------------------------

std::string pem_encode(std::string_view label, ByteView der) {
    const std::string b64 = base64_encode(der);
    std::string out = "-----BEGIN " + std::string{label} + "-----\n";
    for (std::size_t i = 0; i < b64.size(); i += 64) {
        out.append(b64, i, 64);
        out.push_back('\n');
    }
    out += "-----END " + std::string{label} + "-----\n";
    return out;
}

std::string certificates_pem(const std::vector<Bytes>& ders) {
    std::string out;
    for (const Bytes& der : ders) {
        out += pem_encode("CERTIFICATE", der);
    }
    return out;
}

std::vector<Certificate> certificates_from_pem(std::string_view pem) {
    constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
    constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
    std::vector<Certificate> out;
    std::size_t pos = 0;
    while ((pos = pem.find(kBegin, pos)) != std::string_view::npos) {
        const std::size_t body = pos + kBegin.size();
        const std::size_t end = pem.find(kEnd, body);
        if (end == std::string_view::npos) {
            throw Error{Errc::InvalidEncoding, "PEM certificate without an END line"};
        }
        std::string b64;
        for (const char c : pem.substr(body, end - body)) {
            if (c != '\n' && c != '\r' && c != ' ' && c != '\t') {
                b64.push_back(c);
            }
        }
        out.push_back(Certificate::from_der(base64_decode(b64)));
        pos = end + kEnd.size();
    }
    if (out.empty()) {
        throw Error{Errc::InvalidEncoding, "no PEM certificate found"};
    }
    return out;
}

}  // namespace inkan::pki
