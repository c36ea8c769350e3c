#include <inkan/pki/csr.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <inkan/core/error.h>
#include <inkan/crypto/der.h>
#include <inkan/pki/certificate.h>

#include "general_names.h"
#include "oids.h"
#include "ossl_pki.h"
#include "signing.h"

namespace inkan::pki {

namespace {

/// The parts of a CertificationRequestInfo (RFC 2986 §4.1), as views into the request's DER.
struct CriView {
    ByteView subject;
    ByteView spki;
    std::vector<std::string> dns_names;
    std::vector<std::string> ip_addresses;
};

CriView parse_cri(ByteView csr_der) {
    CriView v;
    der::Reader outer{csr_der};
    der::Reader csr = outer.sequence();
    outer.expect_end();
    der::Reader cri = csr.sequence();
    if (cri.read_integer() != 0) {
        throw Error{Errc::InvalidEncoding, "CertificationRequestInfo version is not 0"};
    }
    v.subject = cri.expect(der::Class::Universal, der::tag::Sequence).whole;
    v.spki = cri.expect(der::Class::Universal, der::tag::Sequence).whole;
    // attributes [0] IMPLICIT SET OF Attribute; OpenSSL and some tools omit it when empty.
    if (std::optional<der::Reader> attributes = cri.optional_context(0)) {
        while (!attributes->empty()) {
            der::Reader attribute = attributes->sequence();
            const std::string type = attribute.read_oid();
            der::Reader values = attribute.set();
            if (type != oids::kExtensionRequest) {
                continue;
            }
            while (!values.empty()) {
                der::Reader extensions = values.sequence();
                while (!extensions.empty()) {
                    der::Reader ext = extensions.sequence();
                    const std::string ext_oid = ext.read_oid();
                    if (ext.peek() && ext.peek()->is_universal(der::tag::Boolean)) {
                        (void)ext.read_boolean();
                    }
                    const Bytes value = ext.read_octet_string();
                    if (ext_oid == oids::kSubjectAltName) {
                        detail::parse_subject_alt_name(value, v.dns_names, v.ip_addresses);
                    }
                }
            }
        }
    }
    return v;
}

}  // namespace

Csr Csr::from_der(ByteView der) {
    const unsigned char* p = der.data();
    ReqPtr req{::d2i_X509_REQ(nullptr, &p, detail::der_length(der))};
    if (!req) {
        ossl::throw_last_error(Errc::InvalidEncoding, "d2i_X509_REQ");
    }
    if (p != der.data() + der.size()) {
        throw Error{Errc::InvalidEncoding, "trailing data after the certification request"};
    }
    (void)parse_cri(der);
    return Csr{std::move(req), to_bytes(der)};
}

Csr Csr::from_pem(std::string_view pem) {
    const ossl::Bio bio = detail::memory_bio(as_bytes(pem));
    const ReqPtr req{::PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr)};
    if (!req) {
        ossl::throw_last_error(Errc::InvalidEncoding, "PEM_read_bio_X509_REQ");
    }
    const int len = ::i2d_X509_REQ(req.get(), nullptr);
    if (len <= 0) {
        ossl::throw_last_error(Errc::InvalidEncoding, "i2d_X509_REQ");
    }
    Bytes der(static_cast<std::size_t>(len));
    unsigned char* out = der.data();
    if (::i2d_X509_REQ(req.get(), &out) != len) {
        ossl::throw_last_error(Errc::InvalidEncoding, "i2d_X509_REQ");
    }
    return from_der(der);
}

std::string Csr::pem() const {
    return pem_encode("CERTIFICATE REQUEST", m_der);
}

bool Csr::verify() const {
    EVP_PKEY* key = ::X509_REQ_get0_pubkey(m_req.get());
    const bool ok = key != nullptr && ::X509_REQ_verify(m_req.get(), key) == 1;
    ::ERR_clear_error();
    return ok;
}

void Csr::require_valid() const {
    if (!verify()) {
        throw Error{Errc::InvalidRequest, "the CSR's signature does not verify with its public key"};
    }
}

Name Csr::subject_name() const {
    return Name::from_der(parse_cri(m_der).subject);
}

std::string Csr::subject() const {
    return name_to_string(parse_cri(m_der).subject);
}

crypto::PublicKey Csr::public_key() const {
    return crypto::PublicKey::from_spki(parse_cri(m_der).spki);
}

Bytes Csr::spki_der() const {
    return to_bytes(parse_cri(m_der).spki);
}

std::vector<std::string> Csr::requested_dns_names() const {
    return parse_cri(m_der).dns_names;
}

std::vector<std::string> Csr::requested_ip_addresses() const {
    return parse_cri(m_der).ip_addresses;
}

Csr create_csr(const Name& subject, sign::Signer& signer, const CsrOptions& options) {
    const crypto::SignatureAlgorithm alg = detail::choose_algorithm(signer, options.signature_algorithm);
    const Bytes spki = signer.public_key().spki_der();

    std::vector<Bytes> attributes;
    if (!options.dns_names.empty() || !options.ip_addresses.empty()) {
        const Bytes san = detail::encode_subject_alt_name(options.dns_names, options.ip_addresses);
        der::Writer attribute;
        attribute.sequence([&](der::Writer& a) {
            a.oid(oids::kExtensionRequest);
            a.set([&](der::Writer& values) {
                values.sequence([&](der::Writer& exts) {
                    exts.raw(encode_extension(oids::kSubjectAltName, false, san));
                });
            });
        });
        attributes.push_back(attribute.take());
    }

    der::Writer cri;
    cri.sequence([&](der::Writer& s) {
        s.integer(0);  // version v1 (RFC 2986 §4.1)
        s.raw(subject.der());
        s.raw(spki);
        s.set_of(der::Class::Context, 0, attributes);  // attributes [0] IMPLICIT SET OF Attribute
    });
    return Csr::from_der(detail::signed_structure(cri.bytes(), signer, alg));
}

}  // namespace inkan::pki
