#include <inkan/pki/connectors.h>

#include <chrono>
#include <string>

#include <openssl/x509_vfy.h>

#include <inkan/core/error.h>
#include <inkan/pki/csr.h>

#include "ossl_pki.h"

namespace inkan::pki {

// ---- builtin --------------------------------------------------------------------------------

std::string BuiltinConnector::name() const {
    return m_ca.name();
}

std::string BuiltinConnector::describe() const {
    std::string profiles;
    for (const Profile& p : m_ca.profiles().all()) {
        profiles += (profiles.empty() ? "" : ",") + p.name;
    }
    return "built-in CA \"" + m_ca.certificate().subject() + "\", " + m_ca.certificate_url() + ", profiles " +
           profiles;
}

EnrolmentResult BuiltinConnector::enrol(const EnrolmentRequest& request) {
    const Csr csr = Csr::from_der(request.csr_der);
    const Certificate cert = m_ca.issue(csr, request.profile);
    EnrolmentResult result;
    result.status = EnrolmentResult::Status::Issued;
    result.chain.push_back(cert.der());
    for (const Bytes& issuer : m_ca.chain()) {
        result.chain.push_back(issuer);
    }
    result.note = "issued by " + m_ca.name() + ", serial " + cert.serial_hex();
    return result;
}

// ---- manual ---------------------------------------------------------------------------------

ManualConnector::ManualConnector(std::string name, std::string description)
    : m_name{std::move(name)}, m_description{std::move(description)} {
    require(!m_name.empty(), Errc::InvalidConfig, "a CA needs a name");
}

std::string ManualConnector::describe() const {
    return m_description.empty()
               ? "manual: CSR out as PEM, certificate back with `inkan credential import-cert`"
               : "manual: " + m_description;
}

EnrolmentResult ManualConnector::enrol(const EnrolmentRequest& request) {
    const Csr csr = Csr::from_der(request.csr_der);
    csr.require_valid();
    EnrolmentResult result;
    result.status = EnrolmentResult::Status::Pending;
    result.csr_pem = csr.pem();
    result.note = "take the CSR to CA " + m_name + " (profile " + request.profile +
                  "), then run `inkan credential import-cert` with the certificate and its chain";
    return result;
}

// ---- import ---------------------------------------------------------------------------------

Certificate check_imported_certificate(ByteView cert_der, const std::vector<Bytes>& chain_der,
                                       const crypto::PublicKey& expected_key, ByteView trust_anchor_der,
                                       std::optional<TimePoint> at) {
    const Certificate cert = Certificate::from_der(cert_der);
    if (!cert.public_key().same_key(expected_key)) {
        throw Error{Errc::InvalidRequest, "the certificate's public key is not the credential's key"};
    }
    const Certificate anchor = Certificate::from_der(trust_anchor_der);
    std::vector<Certificate> intermediates;
    for (const Bytes& der : chain_der) {
        intermediates.push_back(Certificate::from_der(der));
    }

    const detail::StorePtr store{ossl::not_null(::X509_STORE_new(), "X509_STORE_new")};
    ossl::check(::X509_STORE_add_cert(store.get(), anchor.native()), "X509_STORE_add_cert");
    const detail::CertStack untrusted{ossl::not_null(sk_X509_new_null(), "sk_X509_new_null")};
    for (const Certificate& c : intermediates) {
        ossl::check(::X509_up_ref(c.native()), "X509_up_ref");
        if (sk_X509_push(untrusted.get(), c.native()) <= 0) {
            ::X509_free(c.native());
            ossl::throw_last_error(Errc::CryptoFailure, "sk_X509_push");
        }
    }
    const detail::StoreCtxPtr ctx{ossl::not_null(::X509_STORE_CTX_new(), "X509_STORE_CTX_new")};
    ossl::check(::X509_STORE_CTX_init(ctx.get(), store.get(), cert.native(), untrusted.get()),
                "X509_STORE_CTX_init");
    if (at) {
        ::X509_STORE_CTX_set_time(ctx.get(), 0,
                                  static_cast<time_t>(std::chrono::system_clock::to_time_t(*at)));
    }
    if (::X509_verify_cert(ctx.get()) != 1) {
        const int err = ::X509_STORE_CTX_get_error(ctx.get());
        throw Error{Errc::InvalidRequest, std::string{"the certificate chain does not validate: "} +
                                              ::X509_verify_cert_error_string(err)};
    }
    return cert;
}

}  // namespace inkan::pki
