#pragma once

// The service's domain objects: users, credentials, callers, tokens. Plain data; the use cases
// (accounts.h, credentials.h, auth.h) own the rules, the ports (ports.h) the persistence.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/crypto/algorithms.h>

namespace inkan::service {

enum class Role { User, Operator, Auditor };
std::string_view name(Role r);  ///< "user", "operator", "auditor"
std::optional<Role> role_from_name(std::string_view);

struct User {
    std::string id;            ///< opaque, random (hex); never reused
    std::string name;          ///< login name, unique, case-sensitive, [A-Za-z0-9._@-]{1,64}
    std::string display_name;  ///< UTF-8, free text (山田 太郎)
    Role role = Role::User;
    bool locked = false;
    bool totp_enrolled = false;
    TimePoint created_at{};
};

enum class CredentialKind { Personal, Seal };
std::string_view name(CredentialKind k);  ///< "personal", "seal"
std::optional<CredentialKind> credential_kind_from_name(std::string_view);

enum class CredentialStatus {
    Pending,  ///< key generated, certificate not yet issued (manual CA)
    Active,
    Disabled,  ///< revoked by an operator: its certificate is revoked and the key can no longer sign
};
std::string_view name(CredentialStatus s);  ///< "pending", "active", "disabled"
std::optional<CredentialStatus> credential_status_from_name(std::string_view);

/// How a credential is authorised (CSC v1 §11.5 authMode, v2 §11.5 auth.mode).
enum class AuthMode {
    Explicit,    ///< the client sends PIN (and OTP) to credentials/authorize
    OAuth2Code,  ///< only a credential-scope token of the OAuth 2.0 authorization-code flow; no factors
};
std::string_view name(AuthMode m);  ///< "explicit", "oauth2code" (the CSC spelling)
std::optional<AuthMode> auth_mode_from_name(std::string_view);

/// CSC v2 signatureQualifier values (csc-api.md, signatures/signDoc): the legal kind of signature a
/// credential makes. true for one of the registered values (eu_eidas_qes, eu_eidas_aes, eu_eidas_aesqc,
/// eu_eidas_qeseal, eu_eidas_aeseal, eu_eidas_aesealqc, za_ecta_aes, za_ecta_oes).
[[nodiscard]] bool is_signature_qualifier(std::string_view text);
/// The registered values, in the order above (for usage messages).
[[nodiscard]] std::string signature_qualifier_list();
/// The qualifier a credential gets when none is named: personal → eu_eidas_aes, seal →
/// eu_eidas_aeseal. Only advanced: a qualified signature or seal (QES/QESeal, eIDAS art. 3(12), 3(27))
/// needs a qualified certificate on a QSCD, and that is the operator's statement to make, never a default.
[[nodiscard]] std::string_view default_signature_qualifier(CredentialKind kind);

struct Credential {
    std::string id;  ///< the CSC credentialID: opaque, random, URL-safe
    CredentialKind kind = CredentialKind::Personal;
    std::string owner_user_id;  ///< personal: the owner; seal: empty
    std::string organization;   ///< seal: the organisation's name (O)
    std::string description;    ///< shown to the user (CSC description, ≤ 255)
    Bytes key_id;               ///< CKA_ID of the key pair in the HSM
    std::string key_algo;       ///< hsm::name(KeySpec): "ec-p256", "rsa-3072", ...
    std::vector<Bytes> chain;   ///< DER, end-entity first, then issuers; empty while Pending
    std::string ca;             ///< the CA (connector) name that certified it
    std::string profile;        ///< "person" | "seal"
    int scal = 2;               ///< CSC SCAL: 1 or 2
    int multisign = 1;          ///< maximum signatures per authorisation (≥ 1)
    AuthMode auth_mode = AuthMode::Explicit;
    CredentialStatus status = CredentialStatus::Active;
    TimePoint created_at{};
    std::string signature_qualifier;  ///< CSC v2 signatureQualifier, e.g. "eu_eidas_aes"
    /// Renewal (decision 0037): the credential that replaced this one (this one is then Disabled, its key
    /// kept but never used again), and the one this replaced; empty when none.
    std::string renewed_to;
    std::string renewal_of;
};

/// A credential's key in domain terms (CSC credentials/info: key/algo, key/len, the curve): from its HSM
/// key spec (`key_algo`), else from its certificate's public key. The layers above ask this instead of
/// reading hsm key-spec names themselves.
struct KeyFacts {
    crypto::KeyType type = crypto::KeyType::Rsa;
    std::size_t bits = 0;
    std::optional<crypto::Curve> curve;
};
/// Errc::Internal when neither the key spec nor the stored certificate says what the key is.
KeyFacts key_facts(const Credential& c);

/// A seal credential's named member: a user who may activate the seal with their own PIN for it
/// (and their own one-time code).
struct SealMember {
    std::string credential_id;
    std::string user_id;
    TimePoint added_at{};
};

/// Who is calling, as established by an access token (auth/login or OAuth 2.0).
struct Caller {
    /// The user; empty for a system client (OAuth client_credentials), whose subject is the client.
    std::string user_id;
    std::string client_id;  ///< OAuth client, when there is one; empty otherwise
    std::string token_id;   ///< the hashed token's id, for revocation and audit (never the token)
    /// A system client: no human behind the call; it may use only the seals it was allowed.
    [[nodiscard]] bool is_system() const noexcept { return user_id.empty() && !client_id.empty(); }
};

/// A registered OAuth 2.0 client (RFC 6749 §2). A confidential client authenticates with a secret
/// (client_secret_basic / client_secret_post); a public one cannot keep a secret and relies on PKCE.
struct OAuthClient {
    std::string id;    ///< client_id: random, URL-safe
    std::string name;  ///< unique among clients not removed
    bool confidential = false;
    Bytes secret_hash;                       ///< SHA-256 of the secret (confidential only)
    std::vector<std::string> redirect_uris;  ///< matched exactly (RFC 9700 §4.1.3)
    /// Seal credentials this (confidential) client may use without a human (system sealing).
    std::vector<std::string> seal_credentials;
    TimePoint created_at{};
    bool removed = false;
};

/// What a login returns. The token strings are shown once and stored hashed.
struct IssuedTokens {
    std::string access_token;
    std::optional<std::string> refresh_token;  ///< only with rememberMe
    std::int64_t expires_in = 3600;            ///< seconds
    std::string family_id;  ///< the token family (TokenRecord::family_id): not sent to the client
};

/// An audit record (audit.h explains the chain).
struct AuditEvent {
    std::string action;  ///< "authorize", "sign", "token.issue", "token.revoke", "credential.create", ...
    std::string
        outcome;  ///< "ok" or the failure reason ("bad_pin", "pin_locked", "hash_not_authorised", ...)
    std::string user_id;    ///< the acting user (or empty)
    std::string client_id;  ///< OAuth client (or empty)
    std::string credential_id;
    std::string member_id;      ///< the seal member who activated a seal (or empty)
    std::string operator_name;  ///< for operator changes (CLI)
    std::string details;  ///< JSON object text: algorithm, hashes (hex), SAD hash, counts, description...
};

struct AuditEntry {
    std::uint64_t seq = 0;  ///< 1, 2, 3, ... without gaps
    TimePoint at{};
    AuditEvent event;
    Bytes prev_hash;  ///< SHA-256 of the previous entry's canonical form (32 zero bytes for the first)
    Bytes hash;       ///< SHA-256 over seq, at, every event field and prev_hash (canonical, length-prefixed)
};

}  // namespace inkan::service
