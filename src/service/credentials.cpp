#include <inkan/service/credentials.h>

#include <algorithm>
#include <utility>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/core/log.h>
#include <inkan/crypto/keys.h>
#include <inkan/crypto/random.h>
#include <inkan/pki/certificate.h>
#include <inkan/pki/connectors.h>
#include <inkan/pki/csr.h>
#include <inkan/pki/profile.h>
#include <inkan/pki/x509.h>
#include <inkan/service/secrets.h>
#include <inkan/sign/hsm_signer.h>

#include "text_rules.h"

namespace inkan::service {

namespace {

constexpr std::size_t kCredentialIdBytes = 16;
constexpr std::size_t kMinPinChars = 4;
constexpr std::size_t kMaxPinBytes = 64;
constexpr std::size_t kMaxDescriptionBytes = 255;
constexpr int kMaxMultisign = 100000;

void check_pin(const Secret& pin) {
    require(pin.size() <= kMaxPinBytes, Errc::InvalidRequest, "PIN is longer than 64 bytes");
    const auto chars = detail::utf8_length(pin.reveal());
    require(chars.has_value(), Errc::InvalidRequest, "PIN is not valid UTF-8");
    require(*chars >= kMinPinChars, Errc::InvalidRequest, "PIN must have at least 4 characters");
}

bool is_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::string trim(std::string_view s) {
    constexpr std::string_view kIdeographicSpace = "\xE3\x80\x80";  // U+3000
    bool changed = true;
    while (changed && !s.empty()) {
        changed = false;
        if (s.front() == ' ') {
            s.remove_prefix(1);
            changed = true;
        } else if (s.substr(0, 3) == kIdeographicSpace) {
            s.remove_prefix(3);
            changed = true;
        }
        if (!s.empty() && s.back() == ' ') {
            s.remove_suffix(1);
            changed = true;
        } else if (s.size() >= 3 && s.substr(s.size() - 3) == kIdeographicSpace) {
            s.remove_suffix(3);
            changed = true;
        }
    }
    return std::string{s};
}

/// Splits a display name into (surname, given name); nothing without a separating space.
/// Non-ASCII (Japanese) names are family name first: "山田 太郎" / "山田　太郎" → (山田, 太郎).
/// ASCII names are given name first, the last word being the surname: "Jane Q Doe" → (Doe, Jane Q).
std::optional<std::pair<std::string, std::string>> split_display_name(std::string_view display) {
    const std::string name = trim(display);
    constexpr std::string_view kIdeographicSpace = "\xE3\x80\x80";
    if (is_ascii(name)) {
        const auto pos = name.rfind(' ');
        if (pos == std::string::npos) {
            return std::nullopt;
        }
        return std::pair{trim(name.substr(pos + 1)), trim(name.substr(0, pos))};
    }
    auto pos = name.find(' ');
    std::size_t width = 1;
    const auto ideo = name.find(kIdeographicSpace);
    if (ideo != std::string::npos && (pos == std::string::npos || ideo < pos)) {
        pos = ideo;
        width = kIdeographicSpace.size();
    }
    if (pos == std::string::npos) {
        return std::nullopt;
    }
    return std::pair{trim(name.substr(0, pos)), trim(name.substr(pos + width))};
}

/// A personal credential's subject: C, SN, GN, CN; given name and surname default from the owner's display
/// name (split_display_name), CN to the display name.
pki::Name personal_subject(const User& owner, const std::string& country, std::string given,
                           std::string surname, const std::string& common_name) {
    if (surname.empty() || given.empty()) {
        const auto split = split_display_name(owner.display_name);
        require(split.has_value() && !split->first.empty() && !split->second.empty(), Errc::InvalidRequest,
                "cannot derive given name and surname from the display name of '" + owner.name +
                    "' (no space in it): give both");
        if (surname.empty()) {
            surname = split->first;
        }
        if (given.empty()) {
            given = split->second;
        }
    }
    const std::string cn = common_name.empty() ? trim(owner.display_name) : common_name;
    pki::Name subject;
    subject.country(country).surname(surname).given_name(given).common_name(cn);
    return subject;
}

/// The subject against the default person or seal profile: what create and a re-signed CSR both check.
void check_default_subject(CredentialKind kind, const pki::Name& subject) {
    pki::check_subject(pki::default_profile(kind == CredentialKind::Personal ? pki::ProfileKind::Person
                                                                             : pki::ProfileKind::Seal),
                       subject);
}

/// A seal's subject: C, O, organizationIdentifier, CN (default: the organisation).
pki::Name seal_subject(const std::string& country, const std::string& organization,
                       const std::string& organization_identifier, const std::string& common_name) {
    pki::Name subject;
    subject.country(country)
        .organization(organization)
        .organization_identifier(organization_identifier)
        .common_name(common_name.empty() ? organization : common_name);
    return subject;
}

std::string new_credential_id() {
    // Never starting with '-': an id is a command-line argument (`--seal ID`, `credential show ID`), and
    // one beginning with a dash would be read as an option (1 in 64 of base64url ids did).
    for (;;) {
        std::string id = base64url_encode(crypto::random_bytes(kCredentialIdBytes));
        if (id.front() != '-') {
            return id;
        }
    }
}

}  // namespace

CredentialKind credential_kind_of(const pki::Profile& profile) {
    if (profile.kind == pki::ProfileKind::Person) {
        return CredentialKind::Personal;
    }
    require(profile.kind == pki::ProfileKind::Seal, Errc::InvalidRequest,
            "profile " + profile.name + " is not a person or seal profile");
    return CredentialKind::Seal;
}

Credentials::Credentials(CredentialStore& store, UserStore& users, hsm::Token& token,
                         ConnectorLookup connectors, CertificateRevoker revoker, const Clock& clock)
    : m_store{store},
      m_users{users},
      m_token{token},
      m_connectors{std::move(connectors)},
      m_revoker{std::move(revoker)},
      m_clock{clock} {
    require(static_cast<bool>(m_connectors), Errc::Internal, "Credentials: no connector lookup");
}

Credentials::Created Credentials::create(NewCredential request) {
    // ---- everything that can be checked without the HSM or the CA ----
    require(request.scal == 1 || request.scal == 2, Errc::InvalidRequest, "SCAL must be 1 or 2");
    require(request.multisign >= 1 && request.multisign <= kMaxMultisign, Errc::InvalidRequest,
            "multisign must be 1..100000");
    require(request.signature_qualifier.empty() || is_signature_qualifier(request.signature_qualifier),
            Errc::InvalidRequest, "unknown signature qualifier (one of " + signature_qualifier_list() + ")");
    require(request.description.size() <= kMaxDescriptionBytes, Errc::InvalidRequest,
            "description is longer than 255 bytes");
    require(detail::printable_utf8_length(request.description).has_value(), Errc::InvalidRequest,
            "description must be UTF-8 without control characters");

    Credential credential;
    credential.kind = request.kind;
    credential.description = request.description;
    credential.key_algo = std::string{hsm::name(request.key)};
    credential.profile = request.profile.empty()
                             ? std::string{request.kind == CredentialKind::Personal ? "person" : "seal"}
                             : request.profile;
    credential.scal = request.scal;
    credential.multisign = request.multisign;
    credential.auth_mode = request.auth_mode;
    credential.signature_qualifier = request.signature_qualifier.empty()
                                         ? std::string{default_signature_qualifier(request.kind)}
                                         : request.signature_qualifier;
    credential.created_at = m_clock.now();

    pki::Name subject;
    std::string pin_hash;
    if (request.kind == CredentialKind::Personal) {
        require(!request.owner.empty(), Errc::InvalidRequest, "a personal credential needs an owner");
        const auto owner = m_users.find_by_name(request.owner);
        if (!owner) {
            throw Error{Errc::NotFound, "no user named '" + request.owner + "'"};
        }
        credential.owner_user_id = owner->id;
        check_pin(request.pin);
        subject = personal_subject(*owner, request.country, request.given_name, request.surname,
                                   request.common_name);
        pin_hash = hash_password(request.pin);
    } else {
        require(request.pin.empty(), Errc::InvalidRequest,
                "a seal has no PIN of its own: each member gets one when added");
        require(!request.organization.empty(), Errc::InvalidRequest, "a seal needs an organisation (O)");
        require(!request.organization_identifier.empty(), Errc::InvalidRequest,
                "a seal needs an organisation identifier (e.g. NTRJP-1234567890123)");
        pki::check_organization_identifier(request.organization_identifier);
        credential.organization = request.organization;
        subject = seal_subject(request.country, request.organization, request.organization_identifier,
                               request.common_name);
    }
    check_default_subject(request.kind, subject);
    pki::CaConnector& connector = m_connectors(request.ca);
    credential.ca = connector.name();
    credential.id = new_credential_id();

    // ---- the key, the CSR, the CA: undo the key on any failure ----
    credential.key_id = m_token.generate_key_pair(request.key, "cred-" + credential.id);
    std::optional<pki::Certificate> issued;
    try {
        sign::HsmSigner signer{m_token, credential.key_id};
        const pki::Csr csr = pki::create_csr(subject, signer);
        pki::EnrolmentResult result = connector.enrol(pki::EnrolmentRequest{csr.der(), credential.profile});
        Created created;
        if (result.status == pki::EnrolmentResult::Status::Issued) {
            require(!result.chain.empty(), Errc::Internal, "CA connector issued an empty chain");
            issued = pki::Certificate::from_der(result.chain.front());
            require(issued->public_key().same_key(signer.public_key()), Errc::Internal,
                    "CA connector returned a certificate for another key");
            credential.chain = std::move(result.chain);
            credential.status = CredentialStatus::Active;
        } else {
            credential.status = CredentialStatus::Pending;
            created.csr_pem = result.csr_pem.empty() ? csr.pem() : std::move(result.csr_pem);
        }
        m_store.create(credential, pin_hash);
        created.credential = std::move(credential);
        return created;
    } catch (...) {
        try {
            m_token.destroy_key(credential.key_id);
        } catch (const Error& e) {
            log::error("credential create: could not destroy the key of a failed enrolment",
                       {{"credential", credential.id}, {"error", e.what()}});
        }
        if (issued && m_revoker) {
            // The certificate exists but its key is gone: take it back.
            try {
                (void)m_revoker(credential.ca, issued->der(), pki::RevocationReason::CessationOfOperation);
            } catch (const Error& e) {
                log::error(
                    "credential create: could not revoke the certificate of a failed credential",
                    {{"credential", credential.id}, {"serial", issued->serial_hex()}, {"error", e.what()}});
            }
        }
        throw;
    }
}

std::vector<Credential> Credentials::list() const {
    return m_store.list();
}

std::vector<Credential> Credentials::list_for(std::string_view user_id) const {
    return m_store.list_for_user(user_id);
}

std::optional<hsm::KeySpec> key_spec_named(std::string_view name) {
    return hsm::key_spec_from_name(name);
}

std::vector<Credential> credentials_visible_to(const CredentialStore& store, const OAuthClientStore* clients,
                                               const Caller& caller) {
    if (!caller.is_system()) {
        return store.list_for_user(caller.user_id);
    }
    std::vector<Credential> out;
    const auto client = clients != nullptr ? clients->find(caller.client_id) : std::nullopt;
    if (!client || client->removed) {
        return out;
    }
    for (const auto& id : client->seal_credentials) {
        if (auto c = store.find(id); c && c->kind == CredentialKind::Seal) {
            out.push_back(std::move(*c));
        }
    }
    return out;
}

std::vector<Credential> Credentials::list_for(const Caller& caller) const {
    return credentials_visible_to(m_store, m_clients, caller);
}

Credential Credentials::get_for(const Caller& caller, std::string_view credential_id) const {
    if (!caller.is_system()) {
        return get_for(caller.user_id, credential_id);
    }
    for (auto& c : list_for(caller)) {
        if (c.id == credential_id) {
            return std::move(c);
        }
    }
    // A personal credential is never a system client's: the same answer as an unknown id.
    throw Error{Errc::NotFound,
                "no credential " + std::string{credential_id} + " allowed to client " + caller.client_id};
}

Credential Credentials::get(std::string_view credential_id) const {
    auto credential = m_store.find(credential_id);
    if (!credential) {
        throw Error{Errc::NotFound, "no credential " + std::string{credential_id}};
    }
    return std::move(*credential);
}

Credential Credentials::get_for(std::string_view user_id, std::string_view credential_id) const {
    auto credential = m_store.find(credential_id);
    bool visible = false;
    if (credential) {
        if (credential->kind == CredentialKind::Personal) {
            visible = credential->owner_user_id == user_id;
        } else {
            const auto members = m_store.members(credential_id);
            visible = std::any_of(members.begin(), members.end(),
                                  [&](const SealMember& m) { return m.user_id == user_id; });
        }
    }
    if (!visible) {
        // The same answer for an unknown id and another user's credential (the detail is for logs).
        throw Error{Errc::NotFound, "no credential " + std::string{credential_id} + " visible to user " +
                                        std::string{user_id}};
    }
    return std::move(*credential);
}

std::vector<SealMember> Credentials::members(std::string_view credential_id) const {
    const Credential credential = get(credential_id);
    if (credential.kind != CredentialKind::Seal) {
        return {};
    }
    return m_store.members(credential_id);
}

void Credentials::revoke(std::string_view credential_id, pki::RevocationReason reason) {
    const Credential credential = get(credential_id);
    if (credential.status == CredentialStatus::Disabled) {
        throw Error{Errc::Conflict, "credential " + credential.id + " is already disabled"};
    }
    // Certificate first, then the row, then the key: a retry after a failure at any step completes the rest.
    if (!credential.chain.empty() && m_revoker) {
        try {
            if (!m_revoker(credential.ca, credential.chain.front(), reason)) {
                log::warn("credential revoked here; its CA cannot be told, revoke the certificate there",
                          {{"credential", credential.id}, {"ca", credential.ca}});
            }
        } catch (const Error& e) {
            if (e.code() != Errc::Conflict) {  // already revoked at the CA: carry on
                throw;
            }
        }
    }
    m_store.set_status(credential.id, CredentialStatus::Disabled);
    try {
        m_token.destroy_key(credential.key_id);
    } catch (const Error& e) {
        if (e.code() != Errc::NotFound) {
            throw;
        }
    }
}

Credential Credentials::renew(std::string_view credential_id, std::optional<hsm::KeySpec> key) {
    const Credential old = get(credential_id);
    if (old.status != CredentialStatus::Active || !old.renewed_to.empty()) {
        throw Error{Errc::Conflict,
                    "credential " + old.id + " is " + std::string{name(old.status)} +
                        (old.renewed_to.empty() ? "" : " (renewed as " + old.renewed_to + ")") +
                        ": only an active credential is renewed"};
    }
    require(!old.chain.empty(), Errc::Conflict, "credential " + old.id + " has no certificate");
    const pki::Certificate old_leaf = pki::Certificate::from_der(old.chain.front());
    hsm::KeySpec spec{};
    if (key) {
        spec = *key;
    } else {
        const auto same = hsm::key_spec_from_name(old.key_algo);
        require(same.has_value(), Errc::InvalidRequest,
                "credential " + old.id + ": key type " + old.key_algo + " has no HSM key spec; name one");
        spec = *same;
    }
    pki::CaConnector& connector = m_connectors(old.ca);

    Credential renewed = old;
    renewed.id = new_credential_id();
    renewed.key_algo = std::string{hsm::name(spec)};
    renewed.created_at = m_clock.now();
    renewed.status = CredentialStatus::Active;
    renewed.renewed_to.clear();
    renewed.renewal_of = old.id;

    renewed.key_id = m_token.generate_key_pair(spec, "cred-" + renewed.id);
    std::optional<pki::Certificate> issued;
    try {
        sign::HsmSigner signer{m_token, renewed.key_id};
        const pki::Csr csr = pki::create_csr(old_leaf.subject_name(), signer);
        pki::EnrolmentResult result = connector.enrol(pki::EnrolmentRequest{csr.der(), old.profile});
        require(result.status == pki::EnrolmentResult::Status::Issued, Errc::InvalidRequest,
                "CA " + old.ca + " did not issue at once (a manual CA): create a new credential instead");
        require(!result.chain.empty(), Errc::Internal, "CA connector issued an empty chain");
        issued = pki::Certificate::from_der(result.chain.front());
        require(issued->public_key().same_key(signer.public_key()), Errc::Internal,
                "CA connector returned a certificate for another key");
        renewed.chain = std::move(result.chain);
        m_store.renew(old.id, renewed, renewed.created_at);
        return renewed;
    } catch (...) {
        try {
            m_token.destroy_key(renewed.key_id);
        } catch (const Error& e) {
            log::error("credential renew: could not destroy the key of a failed renewal",
                       {{"credential", old.id}, {"error", e.what()}});
        }
        if (issued && m_revoker) {
            try {
                (void)m_revoker(old.ca, issued->der(), pki::RevocationReason::CessationOfOperation);
            } catch (const Error& e) {
                log::error("credential renew: could not revoke the certificate of a failed renewal",
                           {{"credential", old.id}, {"serial", issued->serial_hex()}, {"error", e.what()}});
            }
        }
        throw;
    }
}

std::string Credentials::csr(std::string_view credential_id, std::string_view organization_identifier) const {
    const Credential credential = get(credential_id);
    if (credential.status != CredentialStatus::Pending) {
        throw Error{Errc::Conflict, "credential " + credential.id + " is " +
                                        std::string{name(credential.status)} +
                                        ", not pending: it has its certificate"};
    }
    pki::Name subject;
    if (credential.kind == CredentialKind::Personal) {
        const auto owner = m_users.find_by_id(credential.owner_user_id);
        if (!owner) {
            throw Error{Errc::NotFound, "the owner of credential " + credential.id + " is no user"};
        }
        subject = personal_subject(*owner, "JP", {}, {}, {});
    } else {
        require(!organization_identifier.empty(), Errc::InvalidRequest,
                "a seal's CSR needs its organisation identifier (e.g. NTRJP-1234567890123): inkan does not "
                "store it before the certificate");
        pki::check_organization_identifier(std::string{organization_identifier});
        subject = seal_subject("JP", credential.organization, std::string{organization_identifier}, {});
    }
    check_default_subject(credential.kind, subject);
    // Signed by the credential's own key in the HSM (proof of possession); the key never leaves it.
    sign::HsmSigner signer{m_token, credential.key_id};
    return pki::create_csr(subject, signer).pem();
}

Credential Credentials::import_certificate(std::string_view credential_id, std::string_view chain_pem,
                                           ByteView trust_anchor_der) {
    Credential credential = get(credential_id);
    if (credential.status != CredentialStatus::Pending) {
        throw Error{Errc::Conflict, "credential " + credential.id + " is " +
                                        std::string{name(credential.status)} + ", not pending"};
    }
    const std::vector<pki::Certificate> certs = pki::certificates_from_pem(chain_pem);
    std::vector<Bytes> intermediates;
    for (std::size_t i = 1; i < certs.size(); ++i) {
        intermediates.push_back(certs[i].der());
    }
    const crypto::PublicKey key = crypto::PublicKey::from_spki(m_token.public_key_spki(credential.key_id));
    (void)pki::check_imported_certificate(certs.front().der(), intermediates, key, trust_anchor_der,
                                          m_clock.now());
    std::vector<Bytes> chain{certs.front().der()};
    for (auto& der : intermediates) {
        if (!std::equal(der.begin(), der.end(), trust_anchor_der.begin(), trust_anchor_der.end())) {
            chain.push_back(std::move(der));
        }
    }
    chain.push_back(to_bytes(trust_anchor_der));
    m_store.set_chain(credential.id, chain);
    m_store.set_status(credential.id, CredentialStatus::Active);
    credential.chain = std::move(chain);
    credential.status = CredentialStatus::Active;
    return credential;
}

void Credentials::add_member(std::string_view credential_id, std::string_view user_name, const Secret& pin) {
    const Credential credential = get(credential_id);
    require(credential.kind == CredentialKind::Seal, Errc::InvalidRequest,
            "credential " + credential.id + " is personal: only seals have members");
    if (credential.status == CredentialStatus::Disabled) {
        throw Error{Errc::Conflict, "seal " + credential.id + " is disabled"};
    }
    const auto user = m_users.find_by_name(user_name);
    if (!user) {
        throw Error{Errc::NotFound, "no user named '" + std::string{user_name} + "'"};
    }
    // Checked here, not left to the store's unique constraint, whose text names tables, not people.
    const auto members = m_store.members(credential.id);
    if (std::any_of(members.begin(), members.end(),
                    [&](const SealMember& m) { return m.user_id == user->id; })) {
        throw Error{Errc::Conflict, std::string{user_name} + " is already a member of seal " + credential.id +
                                        " (seal remove-member first to give them a new PIN)"};
    }
    check_pin(pin);
    m_store.add_member(credential.id, user->id, hash_password(pin));
}

void Credentials::remove_member(std::string_view credential_id, std::string_view user_name) {
    const Credential credential = get(credential_id);
    require(credential.kind == CredentialKind::Seal, Errc::InvalidRequest,
            "credential " + credential.id + " is personal: only seals have members");
    const auto user = m_users.find_by_name(user_name);
    if (!user) {
        throw Error{Errc::NotFound, "no user named '" + std::string{user_name} + "'"};
    }
    const auto members = m_store.members(credential.id);
    if (std::none_of(members.begin(), members.end(),
                     [&](const SealMember& m) { return m.user_id == user->id; })) {
        throw Error{Errc::NotFound, std::string{user_name} + " is not a member of seal " + credential.id};
    }
    m_store.remove_member(credential.id, user->id);
}

}  // namespace inkan::service
