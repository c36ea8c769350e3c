#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <inkan/core/clock.h>
#include <inkan/core/secret.h>
#include <inkan/hsm/token.h>
#include <inkan/pki/connector.h>
#include <inkan/pki/profile.h>
#include <inkan/pki/store.h>
#include <inkan/service/model.h>
#include <inkan/service/ports.h>

namespace inkan::service {

struct NewCredential {
    CredentialKind kind = CredentialKind::Personal;
    std::string owner;                    ///< personal: the owner's user name
    std::string organization;             ///< seal: O
    std::string organization_identifier;  ///< seal: 2.5.4.97, e.g. NTRJP-1234567890123
    std::string country = "JP";
    std::string common_name;  ///< default: the owner's display name (personal) or the organisation (seal)
    /// personal: default from the display name. One with non-ASCII characters is family name first,
    /// split at its first space or U+3000 ("山田 太郎" → surname 山田, given name 太郎); an ASCII one is
    /// given name(s) first, split at its last space ("Jane Q Doe" → given name "Jane Q", surname Doe).
    /// A display name without a space needs both given explicitly.
    std::string given_name, surname;
    std::string description;
    hsm::KeySpec key = hsm::KeySpec::EcP256;
    std::string ca;  ///< connector name; empty = the default CA
    /// The certificate profile the CA applies (a configured name such as "person-qualified");
    /// empty = "person" or "seal" by kind.
    std::string profile;
    int scal = 2;
    int multisign = 1;
    /// explicit: PIN (+ OTP) through credentials/authorize; oauth2code: only OAuth credential grants.
    AuthMode auth_mode = AuthMode::Explicit;
    /// CSC v2 signatureQualifier (is_signature_qualifier); empty = default_signature_qualifier(kind).
    std::string signature_qualifier;
    Secret pin;  ///< personal: the owner's activation PIN (≥ 4 characters)
};

/// The credential kind a certificate profile certifies: a person profile → Personal, a seal profile → Seal
/// (`inkan credential create --profile`, the console's create). Errc::InvalidRequest for any other profile
/// (tsa, ocsp, tls, ca).
[[nodiscard]] CredentialKind credential_kind_of(const pki::Profile& profile);

/// Looks up a CA connector by name ("" = the default CA).
using ConnectorLookup = std::function<pki::CaConnector&(const std::string& name)>;
/// Revokes a certificate at its CA when the CA is a built-in one; false if the CA cannot do that
/// (manual, CMP: the operator revokes there).
using CertificateRevoker =
    std::function<bool(const std::string& ca, ByteView cert_der, pki::RevocationReason)>;

/// Credentials: keys generated in the HSM, certified through a CA connector, activated by their owner
/// or by a seal's members. Visibility: a user sees own personal credentials and the seals they are a
/// member of; anything else is Errc::NotFound — the same as an unknown id, so ids cannot be probed.
/// A key algorithm as operators name it ("ec-p256", "rsa-3072", ...: what `inkan credential create --algo`
/// and the console's form take), for NewCredential::key; nothing for another name. The layers above parse
/// through this rather than reading hsm's names themselves.
[[nodiscard]] std::optional<hsm::KeySpec> key_spec_named(std::string_view name);

/// The credentials `caller` may use: a user's own and the seals they are a member of; a system client
/// exactly the seals it was allowed (`inkan client add --seal`), never a personal credential — and none
/// for a removed client. Credentials::list_for(Caller) and the signing path read through this one rule.
[[nodiscard]] std::vector<Credential> credentials_visible_to(const CredentialStore& store,
                                                             const OAuthClientStore* clients,
                                                             const Caller& caller);

class Credentials {
public:
    Credentials(CredentialStore& store, UserStore& users, hsm::Token& token, ConnectorLookup connectors,
                CertificateRevoker revoker, const Clock& clock);

    /// Generates the key pair in the HSM (sensitive, never extractable), a CSR signed by that key,
    /// enrols it through the CA connector (issued → Active; pending (manual) → Pending with the CSR in
    /// `csr_pem`). Errc::NotFound: unknown owner or CA; Errc::InvalidRequest: bad fields (SCAL not 1|2,
    /// multisign < 1, short PIN, seal without organisation or organisation identifier, a subject the
    /// profile kind refuses — all checked before the HSM is touched). Whatever the connector throws
    /// (Errc::InvalidRequest for a key the profile refuses, Errc::Unavailable, ...) passes through after
    /// the generated key has been destroyed: a failed create leaves neither a key nor a row.
    struct Created {
        Credential credential;
        std::string csr_pem;  ///< set when Pending
    };
    Created create(NewCredential request);

    [[nodiscard]] std::vector<Credential> list() const;
    [[nodiscard]] std::vector<Credential> list_for(std::string_view user_id) const;
    /// Errc::NotFound if unknown or not visible to the user.
    [[nodiscard]] Credential get_for(std::string_view user_id, std::string_view credential_id) const;
    [[nodiscard]] Credential get(std::string_view credential_id) const;
    /// The same for any caller: a user as above; a system client sees exactly the seals it was
    /// allowed (`inkan client add --seal`), never a personal credential.
    [[nodiscard]] std::vector<Credential> list_for(const Caller& caller) const;
    [[nodiscard]] Credential get_for(const Caller& caller, std::string_view credential_id) const;
    /// The OAuth clients, for system clients' seal grants.
    void set_clients(const OAuthClientStore* clients) noexcept { m_clients = clients; }
    /// A seal's members (empty for a personal credential). Errc::NotFound for an unknown id.
    [[nodiscard]] std::vector<SealMember> members(std::string_view credential_id) const;

    /// Revokes the certificate at its CA (when built-in) and disables the credential; the key is
    /// destroyed in the HSM so it can never sign again. Errc::Conflict if already disabled.
    void revoke(std::string_view credential_id, pki::RevocationReason reason);
    /// Accepts a certificate for a Pending credential only if its public key is the HSM key's and the
    /// chain validates to `trust_anchor_der` (pki::check_imported_certificate). `chain_pem`: the leaf
    /// first, then intermediates. The stored chain is leaf, intermediates, trust anchor.
    /// Errc::Conflict unless Pending; Errc::InvalidRequest for another key or a chain that does not
    /// validate; Errc::InvalidEncoding for PEM that does not parse.
    Credential import_certificate(std::string_view credential_id, std::string_view chain_pem,
                                  ByteView trust_anchor_der);
    /// A Pending credential's CSR again (for a manual CA, when the one `create` returned is lost): a new
    /// PKCS#10 signed by the credential's key in the HSM (the key never leaves it). inkan does not store
    /// the CSR nor the subject fields `create` was given, so the subject is create's default: personal:
    /// C=JP, surname and given name from the owner's display name, CN the display name; a seal: C=JP, O,
    /// `organization_identifier` (required for a seal: it is not stored before the certificate), CN=O.
    /// Errc::Conflict unless Pending; Errc::InvalidRequest for a subject the profile kind refuses.
    [[nodiscard]] std::string csr(std::string_view credential_id,
                                  std::string_view organization_identifier = {}) const;

    /// Renews an Active credential (decision 0037): a new key pair in the HSM (`key`, default the old
    /// key's type), a CSR with the old certificate's subject, enrolled at the same CA under the same
    /// profile, stored as a new credential (new ID) with the same owner, PIN, seal members, clients,
    /// SCAL, multisign, auth mode, qualifier and description; the old one is Disabled but its key and
    /// certificate are kept (not revoked, not destroyed) for validation and for the audit entries that
    /// name it. Errc::NotFound: unknown id; Errc::Conflict: not Active or renewed already;
    /// Errc::InvalidRequest: the CA did not issue at once (a manual CA: create a new credential
    /// instead). On any failure the new key is destroyed and a certificate issued for it revoked; the
    /// old credential is unchanged.
    Credential renew(std::string_view credential_id, std::optional<hsm::KeySpec> key = std::nullopt);

    /// Seal membership: each member activates the seal with a PIN of their own for it (≥ 4 characters).
    /// Errc::InvalidRequest for a personal credential; Errc::NotFound for an unknown credential or user
    /// (remove: or a user who is not a member); Errc::Conflict if already a member or the seal is
    /// disabled.
    void add_member(std::string_view credential_id, std::string_view user_name, const Secret& pin);
    void remove_member(std::string_view credential_id, std::string_view user_name);

private:
    CredentialStore& m_store;
    UserStore& m_users;
    hsm::Token& m_token;
    ConnectorLookup m_connectors;
    CertificateRevoker m_revoker;
    const Clock& m_clock;
    const OAuthClientStore* m_clients = nullptr;
};

}  // namespace inkan::service
