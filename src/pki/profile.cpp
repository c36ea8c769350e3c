#include <inkan/pki/profile.h>

#include <algorithm>
#include <array>
#include <string>

#include <inkan/core/error.h>
#include <inkan/pki/certificate.h>

namespace inkan::pki {

namespace {

constexpr std::array<std::pair<ProfileKind, std::string_view>, 6> kKindNames{{
    {ProfileKind::Person, "person"},
    {ProfileKind::Seal, "seal"},
    {ProfileKind::Tsa, "tsa"},
    {ProfileKind::Ocsp, "ocsp"},
    {ProfileKind::Tls, "tls"},
    {ProfileKind::Ca, "ca"},
}};

bool is_upper(char c) {
    return c >= 'A' && c <= 'Z';
}

std::string describe_key(const crypto::PublicKey& key) {
    if (key.type() == crypto::KeyType::Rsa) {
        return "RSA-" + std::to_string(key.bits());
    }
    const std::optional<crypto::Curve> curve = key.curve();
    return curve ? "EC " + std::string{crypto::spec(*curve).name} : "EC";
}

void require_attribute(const Profile& profile, const Name& subject, NameAttribute attribute) {
    if (!subject.has(attribute)) {
        throw Error{Errc::InvalidRequest, "the " + profile.name + " profile needs a subject " +
                                              std::string{short_name(attribute)} + " attribute"};
    }
}

}  // namespace

std::string_view name(ProfileKind kind) {
    for (const auto& [k, n] : kKindNames) {
        if (k == kind) {
            return n;
        }
    }
    return "unknown";
}

std::optional<ProfileKind> profile_kind_from_name(std::string_view text) {
    for (const auto& [k, n] : kKindNames) {
        if (n == text) {
            return k;
        }
    }
    return std::nullopt;
}

void check_key(const KeyPolicy& policy, const crypto::PublicKey& key) {
    if (key.type() == crypto::KeyType::Rsa) {
        if (!policy.allow_rsa) {
            throw Error{Errc::InvalidRequest, "RSA keys are not allowed by this profile"};
        }
        if (key.bits() < policy.min_rsa_bits) {
            throw Error{Errc::InvalidRequest, describe_key(key) +
                                                  " is weaker than the profile's minimum of " +
                                                  std::to_string(policy.min_rsa_bits) + " RSA bits"};
        }
        return;
    }
    if (!policy.allow_ec) {
        throw Error{Errc::InvalidRequest, "EC keys are not allowed by this profile"};
    }
    const std::optional<crypto::Curve> curve = key.curve();
    if (!curve || std::find(policy.curves.begin(), policy.curves.end(), *curve) == policy.curves.end()) {
        throw Error{Errc::InvalidRequest, describe_key(key) + " is not among the profile's allowed curves"};
    }
}

Profile default_profile(ProfileKind kind) {
    Profile p;
    p.name = std::string{name(kind)};
    p.kind = kind;
    switch (kind) {
        case ProfileKind::Person:
        case ProfileKind::Seal:
            p.validity_days = 730;
            break;
        case ProfileKind::Tsa:
            p.validity_days = 1826;
            break;
        case ProfileKind::Ocsp:
            // RFC 6960 §4.2.2.2.1: a responder certificate with id-pkix-ocsp-nocheck cannot be
            // revoked in practice, so it should be short-lived.
            p.validity_days = 90;
            break;
        case ProfileKind::Tls:
            p.validity_days = 397;
            break;
        case ProfileKind::Ca:
            p.validity_days = 3652;
            p.path_len = 0;
            break;
    }
    return p;
}

ProfileSet ProfileSet::defaults() {
    ProfileSet set;
    for (const auto& [kind, n] : kKindNames) {
        set.set(default_profile(kind));
    }
    return set;
}

void ProfileSet::set(Profile profile) {
    for (Profile& p : m_profiles) {
        if (p.name == profile.name) {
            p = std::move(profile);
            return;
        }
    }
    m_profiles.push_back(std::move(profile));
}

const Profile* ProfileSet::find(std::string_view name) const {
    for (const Profile& p : m_profiles) {
        if (p.name == name) {
            return &p;
        }
    }
    return nullptr;
}

const Profile& ProfileSet::get(std::string_view name) const {
    if (const Profile* p = find(name)) {
        return *p;
    }
    throw Error{Errc::InvalidRequest, "unknown certificate profile \"" + std::string{name} + "\""};
}

void check_organization_identifier(std::string_view value) {
    // EN 319 412-1 §5.1.4: "3 character legal person identity type reference; 2 character ISO 3166-1
    // country code; hyphen-minus "-" (0x2D (ASCII), U+002D (UTF-8)); and identifier", or "two characters
    // according to local definition within the specified country and name registration authority,
    // identifying a national scheme ..., followed by the character ":" (colon)".
    const bool typed = value.size() > 6 && is_upper(value[0]) && is_upper(value[1]) && is_upper(value[2]) &&
                       is_upper(value[3]) && is_upper(value[4]) && value[5] == '-';
    const bool national = value.size() > 3 && value[0] != ':' && value[1] != ':' && value[2] == ':';
    if (!typed && !national) {
        throw Error{Errc::InvalidRequest,
                    "organizationIdentifier \"" + std::string{value} +
                        "\" is not an EN 319 412-1 semantics identifier (e.g. NTRJP-1234567890123, "
                        "VATEU-..., or two characters and ':')"};
    }
}

void check_subject(const Profile& profile, const Name& subject) {
    require_attribute(profile, subject, NameAttribute::CommonName);
    switch (profile.kind) {
        case ProfileKind::Person:
            // EN 319 412-2 §4.2.4: countryName, and givenName + surname (pseudonyms are not offered).
            require_attribute(profile, subject, NameAttribute::Country);
            require_attribute(profile, subject, NameAttribute::GivenName);
            require_attribute(profile, subject, NameAttribute::Surname);
            break;
        case ProfileKind::Seal:
            // EN 319 412-3 §4.2.1: countryName, organizationName, organizationIdentifier, commonName.
            require_attribute(profile, subject, NameAttribute::Country);
            require_attribute(profile, subject, NameAttribute::Organization);
            require_attribute(profile, subject, NameAttribute::OrganizationIdentifier);
            check_organization_identifier(*subject.first(NameAttribute::OrganizationIdentifier));
            break;
        case ProfileKind::Tsa:
        case ProfileKind::Ocsp:
        case ProfileKind::Tls:
        case ProfileKind::Ca:
            break;
    }
}

Extensions profile_extensions(const Profile& profile, const crypto::PublicKey& subject_key,
                              const std::vector<std::string>& dns_names,
                              const std::vector<std::string>& ip_addresses) {
    Extensions ext;
    ext.basic_constraints = BasicConstraints{};
    ext.policies = profile.policies;
    const std::uint32_t nr = profile.non_repudiation ? key_usage::kNonRepudiation : 0U;
    switch (profile.kind) {
        case ProfileKind::Person:
        case ProfileKind::Seal:
            // EN 319 412-2 §4.3.2: nonRepudiation (contentCommitment) for commitment; digitalSignature
            // alongside it is tolerated, and some AdES validators look for it.
            ext.key_usage = key_usage::kDigitalSignature | key_usage::kNonRepudiation;
            if (profile.qualified) {
                ext.qc_statements =
                    QcStatements{true, profile.kind == ProfileKind::Person ? QcType::ESign : QcType::ESeal,
                                 profile.qc_sscd};
            }
            break;
        case ProfileKind::Tsa:
            // RFC 3161 §2.3: "The corresponding certificate MUST contain only one instance of the extended
            // key usage field extension ... with KeyPurposeID having value: id-kp-timeStamping. This
            // extension MUST be critical."
            ext.key_usage = key_usage::kDigitalSignature | nr;
            ext.extended_key_usage = {std::string{eku::kTimeStamping}};
            ext.extended_key_usage_critical = true;
            break;
        case ProfileKind::Ocsp:
            // RFC 6960 §4.2.2.2: id-kp-OCSPSigning; §4.2.2.2.1: id-pkix-ocsp-nocheck.
            ext.key_usage = key_usage::kDigitalSignature | nr;
            ext.extended_key_usage = {std::string{eku::kOcspSigning}};
            ext.extended_key_usage_critical = true;
            ext.ocsp_no_check = true;
            break;
        case ProfileKind::Tls:
            if (dns_names.empty() && ip_addresses.empty()) {
                throw Error{Errc::InvalidRequest,
                            "the " + profile.name + " profile needs at least one DNS name or IP address"};
            }
            ext.key_usage = key_usage::kDigitalSignature | nr |
                            (subject_key.type() == crypto::KeyType::Rsa ? key_usage::kKeyEncipherment : 0U);
            // Not critical: CA/B Baseline Requirements §7.1.2.7.10.
            ext.extended_key_usage = {std::string{eku::kServerAuth}};
            ext.extended_key_usage_critical = false;
            ext.dns_names = dns_names;
            ext.ip_addresses = ip_addresses;
            break;
        case ProfileKind::Ca:
            // digitalSignature lets the CA sign OCSP responses itself (CA/B BR §7.1.2.10.7).
            ext.basic_constraints = BasicConstraints{true, profile.path_len};
            ext.key_usage = key_usage::kKeyCertSign | key_usage::kCrlSign | key_usage::kDigitalSignature;
            break;
    }
    return ext;
}

}  // namespace inkan::pki
