#include <inkan/pki/ca.h>

#include <algorithm>
#include <string>

#include <inkan/core/error.h>
#include <inkan/crypto/der.h>

#include "oids.h"
#include "signing.h"

namespace inkan::pki {

namespace {

/// Draws serials until the store accepts one (RFC 5280 §4.1.2.2: unique per CA). With 126 random bits
/// a collision means a broken DRBG or store, so only a few draws are tried.
Bytes reserve_serial(CaStore& store, std::string_view ca) {
    constexpr int kAttempts = 8;
    for (int i = 0; i < kAttempts; ++i) {
        Bytes serial = random_serial();
        if (store.reserve_serial(ca, serial)) {
            return serial;
        }
    }
    throw Error{Errc::Conflict, "no free serial number for CA " + std::string{ca} + " after " +
                                    std::to_string(kAttempts) + " draws"};
}

void record(CaStore& store, std::string_view ca, const Certificate& cert, std::string_view profile) {
    IssuedCertificate issued;
    issued.ca = std::string{ca};
    issued.serial = cert.serial();
    issued.subject = cert.subject();
    issued.profile = std::string{profile};
    issued.not_before = cert.not_before();
    issued.not_after = cert.not_after();
    issued.der = cert.der();
    store.record_certificate(issued);
}

std::string base_url(std::string_view base) {
    if (!base.empty() && base.back() == '/') {
        base.remove_suffix(1);
    }
    return std::string{base};
}

/// A non-negative 64-bit number as a big-endian magnitude (for INTEGERs beyond int64).
Bytes big_endian(std::uint64_t v) {
    Bytes out(8);
    for (std::size_t i = 0; i < 8; ++i) {
        out[7 - i] = static_cast<std::uint8_t>(v >> (8 * i));
    }
    return out;
}

}  // namespace

std::string ca_certificate_url(std::string_view pki_base_url, std::string_view ca_name) {
    return base_url(pki_base_url) + "/ca/" + std::string{ca_name} + ".crt";
}

std::string crl_url(std::string_view pki_base_url, std::string_view ca_name) {
    return base_url(pki_base_url) + "/crl/" + std::string{ca_name} + ".crl";
}

std::string ocsp_url(std::string_view pki_base_url) {
    return base_url(pki_base_url) + "/ocsp";
}

Certificate create_root(const CaSettings& settings, sign::Signer& signer, const Name& subject,
                        int validity_days, CaStore& store, const Clock& clock) {
    require(!settings.name.empty(), Errc::InvalidConfig, "a CA needs a name");
    require(!subject.empty(), Errc::InvalidRequest, "a root CA needs a subject name");
    Profile profile = default_profile(ProfileKind::Ca);
    profile.path_len.reset();  // a root constrains its subordinates through their own certificates
    check_key(profile.key_policy, signer.public_key());
    const crypto::SignatureAlgorithm alg = detail::choose_algorithm(signer, settings.signature_algorithm);

    CertificateTemplate tmpl;
    tmpl.issuer_der = subject.der();
    tmpl.subject = subject;
    tmpl.validity = Validity::days(clock.now(), validity_days);
    tmpl.spki_der = signer.public_key().spki_der();
    tmpl.extensions = profile_extensions(profile, signer.public_key());
    tmpl.extensions.authority_key_identifier = key_identifier(tmpl.spki_der);  // RFC 5280 §4.2.1.1: MAY
    tmpl.serial = reserve_serial(store, settings.name);
    const Certificate root = sign_certificate(tmpl, signer, alg);
    record(store, settings.name, root, profile.name);
    return root;
}

BuiltinCa::BuiltinCa(CaSettings settings, sign::Signer& signer, std::vector<Bytes> chain, CaStore& store,
                     ProfileSet profiles, const Clock& clock)
    : m_settings{std::move(settings)},
      m_signer{signer},
      m_chain{std::move(chain)},
      m_certificate{[&] {
          require(!m_chain.empty(), Errc::InvalidConfig, "a CA needs its certificate chain");
          return Certificate::from_der(m_chain.front());
      }()},
      m_key_id{m_certificate.subject_key_identifier().value_or(key_identifier(m_certificate.spki_der()))},
      m_store{store},
      m_profiles{std::move(profiles)},
      m_clock{clock},
      m_algorithm{detail::choose_algorithm(signer, m_settings.signature_algorithm)} {
    require(!m_settings.name.empty(), Errc::InvalidConfig, "a CA needs a name");
    require(m_certificate.is_ca(), Errc::InvalidConfig,
            "CA " + m_settings.name + ": its certificate has no basicConstraints cA");
    require(m_certificate.public_key().same_key(m_signer.public_key()), Errc::InvalidConfig,
            "CA " + m_settings.name + ": the signer's key is not the CA certificate's key");
}

std::string BuiltinCa::certificate_url() const {
    return ca_certificate_url(m_settings.pki_base_url, m_settings.name);
}

std::string BuiltinCa::crl_url() const {
    return pki::crl_url(m_settings.pki_base_url, m_settings.name);
}

std::string BuiltinCa::ocsp_url() const {
    return pki::ocsp_url(m_settings.pki_base_url);
}

Certificate BuiltinCa::issue(const Csr& csr, std::string_view profile, const IssueOptions& options) {
    return issue_checked(csr, m_profiles.get(profile), options);
}

Certificate BuiltinCa::issue_ca(const Csr& csr, const IssueOptions& options, std::string_view profile) {
    const Profile& p = m_profiles.get(profile);
    require(p.kind == ProfileKind::Ca, Errc::InvalidRequest,
            "profile \"" + std::string{profile} + "\" is not a CA profile");
    return issue_checked(csr, p, options);
}

Certificate BuiltinCa::issue_checked(const Csr& csr, const Profile& profile, const IssueOptions& options) {
    csr.require_valid();
    const crypto::PublicKey key = [&] {
        try {
            return csr.public_key();
        } catch (const Error& e) {
            throw Error{Errc::InvalidRequest, std::string{"the CSR's key is not usable: "} + e.what()};
        }
    }();
    check_key(profile.key_policy, key);
    const Name subject = options.subject ? *options.subject : csr.subject_name();
    check_subject(profile, subject);

    if (profile.kind == ProfileKind::Ca) {
        // RFC 5280 §4.2.1.9: pathLenConstraint 0 means this CA may only issue end-entity certificates.
        const std::optional<BasicConstraints> own = m_certificate.basic_constraints();
        require(!own || !own->path_len || *own->path_len > 0, Errc::InvalidRequest,
                "CA " + name() + " has pathLenConstraint 0 and cannot issue CA certificates");
    }

    const bool has_san_options = !options.dns_names.empty() || !options.ip_addresses.empty();
    const std::vector<std::string> dns = has_san_options ? options.dns_names : csr.requested_dns_names();
    const std::vector<std::string> ips =
        has_san_options ? options.ip_addresses : csr.requested_ip_addresses();

    CertificateTemplate tmpl;
    tmpl.issuer_der = m_certificate.subject_der();
    tmpl.subject = subject;
    tmpl.spki_der = key.spki_der();
    tmpl.extensions = profile_extensions(profile, key, dns, ips);
    tmpl.extensions.authority_key_identifier = m_key_id;
    tmpl.extensions.ca_issuers_urls = {certificate_url()};
    tmpl.extensions.crl_urls = {crl_url()};
    if (profile.kind != ProfileKind::Ca) {
        tmpl.extensions.ocsp_urls = {ocsp_url()};
    }

    const TimePoint now = m_clock.now();
    require(now >= m_certificate.not_before() && now <= m_certificate.not_after(), Errc::InvalidConfig,
            "CA " + name() + ": its certificate is not valid now");
    tmpl.validity = Validity::days(now, options.validity_days.value_or(profile.validity_days));
    // A certificate outliving its issuer would fail validation (RFC 5280 §6.1.3 (a)(2)) from then on.
    tmpl.validity.not_after = std::min(tmpl.validity.not_after, m_certificate.not_after());

    tmpl.serial = reserve_serial(m_store, name());
    const Certificate cert = sign_certificate(tmpl, m_signer, m_algorithm);
    record(m_store, name(), cert, profile.name);
    return cert;
}

void BuiltinCa::revoke(ByteView serial, RevocationReason reason, TimePoint when) {
    require(reason != RevocationReason::RemoveFromCrl, Errc::InvalidRequest,
            "removeFromCRL is only for delta CRLs (RFC 5280 §5.3.1); to release a hold, revoke with another "
            "reason");
    m_store.revoke(name(), serial, reason, truncate_to_seconds(when));
}

Bytes BuiltinCa::crl() {
    const TimePoint now = truncate_to_seconds(m_clock.now());
    const std::uint64_t number = m_store.next_crl_number(name());
    const std::vector<IssuedCertificate> revoked = m_store.revoked(name());

    der::Writer aki;
    aki.sequence([&](der::Writer& s) { s.primitive(der::Class::Context, 0, m_key_id); });
    der::Writer crl_number;
    crl_number.integer_unsigned(big_endian(number));

    der::Writer tbs;
    tbs.sequence([&](der::Writer& t) {
        t.integer(1);  // v2 (RFC 5280 §5.1.2.1: required when extensions are present)
        t.raw(crypto::algorithm_identifier(m_algorithm));
        t.raw(m_certificate.subject_der());
        t.x509_time(now);
        t.x509_time(now + m_settings.crl_validity);
        if (!revoked.empty()) {  // §5.1.2.6: absent, not empty, when nothing is revoked
            t.sequence([&](der::Writer& entries) {
                for (const IssuedCertificate& r : revoked) {
                    entries.sequence([&](der::Writer& entry) {
                        entry.integer_unsigned(r.serial);
                        entry.x509_time(truncate_to_seconds(r.revoked_at.value_or(now)));
                        // §5.3.1: "the reason code CRL entry extension SHOULD be absent instead of using the
                        // unspecified (0) reasonCode value."
                        const RevocationReason reason = r.reason.value_or(RevocationReason::Unspecified);
                        if (reason != RevocationReason::Unspecified) {
                            der::Writer code;
                            code.enumerated(static_cast<std::int64_t>(reason));
                            entry.sequence([&](der::Writer& exts) {
                                exts.raw(encode_extension(oids::kReasonCode, false, code.bytes()));
                            });
                        }
                    });
                }
            });
        }
        t.context(0, [&](der::Writer& wrapper) {
            wrapper.sequence([&](der::Writer& exts) {
                exts.raw(
                    encode_extension(oids::kAuthorityKeyIdentifier, false, aki.bytes()));  // §5.2.1: MUST
                exts.raw(encode_extension(oids::kCrlNumber, false, crl_number.bytes()));   // §5.2.3: MUST
            });
        });
    });
    return detail::signed_structure(tbs.bytes(), m_signer, m_algorithm);
}

}  // namespace inkan::pki
