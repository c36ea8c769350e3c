#pragma once

// Sole control (the signature activation module): a signature happens only when the credential's
// owner (or a named seal member) activated it with PIN + one-time code, for exactly the authorised
// hashes (SCAL 2) or count (SCAL 1), once. CSC v1 §9/§11.6–11.9, v2 §11.6–11.10; csc-api.md §3.4.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>
#include <inkan/core/error.h>
#include <inkan/core/secret.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/hsm/token.h>
#include <inkan/pki/certificate.h>
#include <inkan/service/accounts.h>
#include <inkan/service/audit.h>
#include <inkan/service/credentials.h>
#include <inkan/service/model.h>
#include <inkan/service/ports.h>
#include <inkan/service/signature_algorithms.h>
#include <inkan/sign/signer.h>

namespace inkan::service {

/// One authorised digest: algorithm + bytes. A SAD's hashes are a multiset (the same digest authorised
/// twice may be signed twice).
struct AuthorisedHash {
    crypto::DigestAlgorithm algorithm = crypto::DigestAlgorithm::Sha256;
    Bytes value;
    friend bool operator==(const AuthorisedHash&, const AuthorisedHash&) = default;
};

/// What credentials/authorize was given. The factors go into Secrets at the protocol edge.
struct AuthorizeRequest {
    std::string credential_id;
    int num_signatures = 1;
    std::vector<AuthorisedHash> hashes;  ///< required at SCAL 2 (count == num_signatures); optional at SCAL 1
    std::optional<Secret> pin;
    std::optional<Secret> otp;
    std::string description;  ///< ≤ 500 characters, recorded in the audit log
    std::optional<std::chrono::seconds>
        expires_in;  ///< default AuthorizationSettings::sad_lifetime, capped at max
    /// grant_credential: the OAuth consent page checked the credential's PIN (verify_pin). An
    /// explicit-mode credential is never granted without it: password + one-time code prove the user,
    /// the PIN is the credential's own activation.
    bool pin_verified = false;
    /// v2: authData empty, absent, or objects without values — the factors are to be collected out of
    /// band, on inkan's approval page (CSC v2 §11.6 202 + handle; decision 0034).
    bool out_of_band = false;
    /// v2 `hashLabels` (inkan's extension): one label per hash, shown on the approval page only.
    std::vector<std::string> labels;
};

struct IssuedSad {
    std::string sad;  ///< opaque handle, ≥128 random bits (base64url); only its SHA-256 is stored
    std::int64_t expires_in = 3600;
};

/// signatures/signHash as the service sees it: the scheme as the client named it (OIDs), resolved
/// here against the credential's key and the offered algorithms, once.
struct SignHashRequest {
    std::string credential_id;
    Secret sad;
    std::vector<Bytes> hashes;
    AlgorithmChoice algorithm;
};

/// signatures/signDoc as the sole-control check sees it: one signature data representation (SDR) per
/// signature to produce — the hash of a whole document, or a documentDigests hash (CSC v2 §11.11;
/// csc-api.md §7) — with the scheme that signs it and its format (for the audit entry).
struct DocumentSignRequest {
    struct Document {
        Bytes hash;  ///< of `algorithm.digest`: what a SCAL 2 SAD must have authorised
        crypto::SignatureAlgorithm algorithm;
        std::string format;  ///< "PAdES B-T Certification", "CAdES B-B Detached", ... (audit only)
    };
    Secret sad;
    std::vector<Document> documents;
};

struct AuthorizationSettings {
    std::chrono::seconds sad_lifetime{3600};
    std::chrono::seconds max_sad_lifetime{3600};
    int max_pin_failures = 5;  ///< wrong PINs in a row before the PIN is locked (per credential and user)
    int max_otp_failures = 5;  ///< wrong OTPs in a row before the user's OTP is locked
    int totp_window = 1;       ///< ± steps accepted (RFC 6238 §5.2)
    /// The signature schemes offered (info.signAlgorithms) and accepted; empty: the defaults.
    std::vector<crypto::SignatureAlgorithm> sign_algorithms;
    /// How long after the PIN and OTP were checked credentials/extendTransaction may still renew a SAD;
    /// 0 means 3 × max_sad_lifetime. A renewed SAD never expires after it.
    std::chrono::seconds sad_hard_limit{0};
    [[nodiscard]] std::chrono::seconds hard_limit() const {
        return sad_hard_limit.count() > 0 ? sad_hard_limit : 3 * max_sad_lifetime;
    }
};

/// Why an authorisation failed, so the api can give each protocol version its exact error
/// (v1 invalid_pin / invalid_otp / "PIN locked" / "OTP locked"; v2 invalid_authentication_data /
/// "Credential locked"). Carried in Error::detail as "<reason>: <text>"; see authorization_failure().
enum class AuthFailure {
    BadPin,
    BadOtp,
    PinLocked,
    OtpLocked,
    CredentialDisabled,
    TooManySignatures,
    HashesRequired,
    /// A system client sent PIN/OTP: it has no human's factors; its token and seal grant are the
    /// authorisation (CSC v2 §8.5 (b), csc-api.md §3.1).
    FactorsNotAccepted,
    /// The credential's auth mode is oauth2code: only an OAuth credential grant (grant_credential)
    /// authorises it; credentials/authorize is refused whatever it carries (CSC v1 §11.5).
    OAuth2Required,
    /// A right OTP whose time step was already spent (RFC 6238 §5.2: one use per step). Not a guess:
    /// it is not counted toward the OTP lockout; the user waits for the next code.
    OtpReplayed,
    /// The user has no TOTP device, and authorize demands an OTP of every explicit credential:
    /// nothing to check, nothing counted (credentials/info lists the OTP object all the same).
    OtpNotEnrolled,
    /// Hashes were given, but not one per signature (numSignatures).
    HashCountMismatch,
};
std::string_view name(AuthFailure f);  ///< "bad_pin", "bad_otp", "pin_locked", ...
/// The AuthFailure an Error from Authorization::authorize carries, if any.
std::optional<AuthFailure> authorization_failure(const Error& e);

/// Why a signHash was refused (api: the spec's error strings).
enum class SignFailure {
    InvalidSad,  ///< unknown, another user's, another credential's, or retired — "Invalid parameter SAD"
    SadExpired,  ///< "SAD expired"
    HashNotAuthorised,    ///< "Hash is not authorized by the SAD"
    TooManyHashes,        ///< count exceeded (SCAL 1) or more hashes than remain
    InvalidDigestLength,  ///< "Invalid digest value length"
    CertificateExpired,   ///< the detail is the wire's text: "Signing certificate '<subject>' is expired"
    CredentialDisabled,
};
std::string_view name(SignFailure f);
std::optional<SignFailure> sign_failure(const Error& e);

/// Why a signatureQualifier did not choose a credential (CSC v2 signDoc; csc-api.md §7).
enum class QualifierRefusal {
    Unknown,    ///< not a registered qualifier
    Mismatch,   ///< the named credential has another one
    NoneHeld,   ///< no active credential of the caller's has it
    Ambiguous,  ///< several have it: the credentialID must say which
};
std::string_view name(QualifierRefusal r);

/// A credential read for one signing request, and its key in domain terms (never read twice).
struct SigningCredential {
    Credential credential;
    KeyFacts key;
};

class Authorization {
public:
    Authorization(CredentialStore& credentials, UserStore& users, Accounts& accounts,
                  AuthorizationStore& store, AuditLog& audit, hsm::Token& token, const Clock& clock,
                  AuthorizationSettings settings = {});

    /// Checks the PIN (argon2id; the owner's, or the seal member's own) and the TOTP (±window, each step
    /// accepted once per user: a replayed code is refused), counts failures toward lockout (in the
    /// store, so they survive restarts and hold across nodes), and on success records a SAD bound to
    /// (user, client, credential, hashes or count, expiry). Every attempt is audited.
    /// Errc::NotFound: credential unknown or not usable by this caller; Errc::InvalidRequest: bad counts
    /// or hashes, or an oauth2code credential (OAuth2Required, checked before any factor);
    /// Errc::InvalidAuthData / Errc::Locked with an AuthFailure.
    IssuedSad authorize(const Caller& caller, AuthorizeRequest request);

    /// The credential token of an OAuth credential-scope grant (CSC v1 §8.3 token_type "SAD", v2 §8.4):
    /// the same ledger row as a SAD, bound to user, client, credential, hashes / count and expiry. The
    /// factors were checked by the authorization server's pages (password + one-time code) and the
    /// user consented; everything else is checked as in authorize(). The audit entry says "via oauth2".
    IssuedSad grant_credential(const Caller& caller, AuthorizeRequest request, std::chrono::seconds lifetime);

    /// credentials/authorize out of band (decision 0034): every check authorize() makes before it looks at
    /// a factor (the credential visible to the caller, its auth mode, status, counts, hashes), plus: a
    /// human caller, neither the PIN nor the OTP locked, a TOTP device enrolled (the page could not be
    /// passed otherwise). Audited ("authorize", outcome "pending", via "oob"). Grants nothing.
    void check_out_of_band(const Caller& caller, AuthorizeRequest request);

    /// The SAD of an out-of-band authorization the signer approved on inkan's page (password and one-time
    /// code there; an explicit-mode credential's PIN through verify_pin, then `request.pin_verified`).
    /// Every check of authorize() runs again; the SAD is the same ledger row authorize() makes (origin
    /// credentials/authorize: never a Bearer), bound to the caller, the credential and the hashes.
    IssuedSad issue_approved(const Caller& caller, AuthorizeRequest request);

    /// The OAuth login pages' one-time code (the second factor): the same TOTP rules, lockout and replay
    /// protection as authorize(). Errc::InvalidAuthData (BadOtp) / Errc::Locked (OtpLocked). `action`
    /// names the audit entry ("oauth2.otp", or "oob.otp" on the approval page).
    void verify_otp(std::string_view user_id, std::string_view client_id, const Secret& otp,
                    std::string_view action = "oauth2.otp");

    /// The OAuth consent page's PIN for an explicit-mode credential: the same argon2id check, failure
    /// counter (counted before the check) and lockout as authorize(). Errc::NotFound if the credential is
    /// not the user's; Errc::InvalidAuthData (BadPin) / Errc::Locked (PinLocked). Audited.
    void verify_pin(const Caller& caller, std::string_view credential_id, const Secret& pin,
                    std::string_view action = "oauth2.pin");

    /// A bearer that is a credential token (v2: "the credential-scope access token is sent as the
    /// Authorization: Bearer of signHash"): its caller and credential, if it is a live SAD handle issued
    /// through an OAuth credential grant. A SAD from credentials/authorize is never a bearer: it proves
    /// the factors to signHash, the access token proves the caller.
    struct CredentialToken {
        Caller caller;
        std::string credential_id;
    };
    [[nodiscard]] std::optional<CredentialToken> credential_token(const Secret& token) const;

    /// oauth2/revoke of a credential token (RFC 7009 §2.1): retires the SAD if it was issued through
    /// `client_id`, so signHash/signDoc then refuse it as an invalid SAD. Unknown, another client's or
    /// already retired: nothing changes (RFC 7009 §2.2). True if retired; audited then.
    bool revoke_for_client(std::string_view client_id, const Secret& token);
    /// Retires the credential token whose handle hashes to `handle_hash` (an authorization code
    /// exchanged twice: RFC 6749 §4.1.2), audited with `reason`. True if it was live.
    bool revoke_credential_token(ByteView handle_hash, std::string_view reason);

    /// The OAuth clients (system clients' seal grants). Without it no system client is recognised.
    void set_clients(const OAuthClientStore* clients) noexcept { m_clients = clients; }

    /// credentials/extendTransaction (CSC v1 §11.8, v2 §11.9): a new SAD for what the old one still allows,
    /// the old one retired — in one transaction. At SCAL 2 `hashes` names the hashes to carry over: each
    /// must be among the old SAD's authorised and not yet signed hashes (a sub-multiset; empty: all of
    /// them) — a hash the signer never approved is refused with Errc::InvalidRequest (HashNotAuthorised)
    /// and nothing changes. At SCAL 1 the count stays what it was; hashes are refused. The renewed SAD
    /// never outlives AuthorizationSettings::hard_limit() after the original authorisation
    /// (Errc::InvalidAuthData SadExpired past it). Errc::InvalidAuthData with a SignFailure (InvalidSad,
    /// SadExpired).
    IssuedSad extend(const Caller& caller, std::string_view credential_id, const Secret& sad,
                     std::vector<AuthorisedHash> hashes);

    /// signatures/signHash: consumes, in ONE store transaction, exactly these hashes (SCAL 2) or this
    /// many signatures (SCAL 1) from the SAD — the bearer's user must be the SAD's user, the credential
    /// must match, every hash must be authorised and not yet consumed, the count must not be exceeded;
    /// on any failure nothing is consumed — then signs each digest in the HSM and audits. RSA
    /// signatures raw, ECDSA DER. Errc::InvalidAuthData / InvalidRequest / UnsupportedAlgorithm with a
    /// SignFailure.
    std::vector<Bytes> sign_hash(const Caller& caller, SignHashRequest request);

    /// signatures/signDoc: the same checks and the same ONE consuming store transaction as sign_hash
    /// (SCAL 2: each document's hash must be authorised and not yet consumed; SCAL 1: the count), then
    /// `produce` runs with a Signer over the credential's HSM key and certificate chain and builds the
    /// AdES objects. One audit entry names each document's hash and format. If `produce` throws after
    /// the SAD was spent, the SAD stays spent (as for an HSM failure in sign_hash) and the entry says so.
    void sign_documents(const Caller& caller, SigningCredential credential, DocumentSignRequest request,
                        const std::function<void(sign::Signer&)>& produce);

    /// operationMode "A" (CSC v2, decision 0033): every check and the consuming transaction of sign_hash,
    /// now — a refusal throws here, and the spend and its audit entry are durable when this returns, so
    /// a replay of the SAD is refused at once — and the signing as a job to run later, once (on a worker;
    /// sign_hash runs it in place). The job throws what sign_hash would after the spend (the HSM's
    /// errors); it must not outlive this object.
    std::function<std::vector<Bytes>()> spend_hashes(const Caller& caller, SignHashRequest request);
    /// The same split of sign_documents: checks and spend now; the returned job runs `produce` with the
    /// Signer later, once, auditing a failure as sign_documents does.
    using DocumentRun = std::function<void(const std::function<void(sign::Signer&)>&)>;
    DocumentRun spend_documents(const Caller& caller, SigningCredential credential,
                                DocumentSignRequest request);

    /// The credential a signing request names, read once for the whole request (decision 0043): the
    /// caller's own, or a seal the caller is a member of (or the system client's seal), with its key's
    /// facts. Errc::NotFound, audited under `action`, otherwise — the same answer for an unknown id and
    /// one the caller may not use.
    /// With a signatureQualifier (not empty): the named credential must have it, or, without an id, the
    /// caller's one active credential with it — chosen from one read of the caller's credentials.
    /// Refused<QualifierRefusal> (Errc::InvalidRequest, audited) otherwise.
    SigningCredential signing_credential(const Caller& caller, const std::string& credential_id,
                                         std::string_view action, const std::string& qualifier = {});

    /// What this service signs with: what info and credentials/info advertise, and what signHash and
    /// signDoc resolve a request's OIDs against.
    [[nodiscard]] const SignatureAlgorithms& algorithms() const noexcept { return m_algorithms; }

    /// Called after every successful signHash with the scheme's name ("ECDSA-SHA256") and the number
    /// of signatures: how `inkan serve` counts signatures by algorithm for /metrics. Set before serving.
    void on_signatures(std::function<void(std::string_view algorithm, std::size_t count)> observer) {
        m_on_signatures = std::move(observer);
    }

    /// One factor's lockout as an operator sees it (decision 0040): over CSC v2 both locks are the same
    /// "Credential locked", so `inkan user show` / `credential show` say which one is in force.
    struct FactorLock {
        int failures = 0;     ///< wrong attempts counted since the last right one
        bool locked = false;  ///< authorize refuses the factor now (failures >= the configured maximum)
    };
    /// The user's OTP lockout (one per user, whatever the credential).
    [[nodiscard]] FactorLock otp_lock(std::string_view user_id) const;
    /// The PIN lockout of `user_id` on `credential_id` (the owner, or a seal member).
    [[nodiscard]] FactorLock pin_lock(std::string_view credential_id, std::string_view user_id) const;

    /// Operator: clears the PIN lockout of a credential (all its users' counters) / a user's OTP lockout.
    void unlock_credential(std::string_view credential_id, std::string_view operator_name);
    void unlock_otp(std::string_view user_name, std::string_view operator_name);

private:
    CredentialStore& m_credentials;
    UserStore& m_users;
    Accounts& m_accounts;
    AuthorizationStore& m_store;
    AuditLog& m_audit;
    hsm::Token& m_token;
    const Clock& m_clock;
    AuthorizationSettings m_settings;
    SignatureAlgorithms m_algorithms;
    std::function<void(std::string_view, std::size_t)> m_on_signatures;
    const OAuthClientStore* m_clients = nullptr;

    /// Explicit: PIN + OTP in the request; System: a system client's seal; Verified: an OAuth grant;
    /// OutOfBand: checks only (the 202 of decision 0034); Approved: the approval page checked them.
    enum class Factors { Explicit, System, Verified, OutOfBand, Approved };
    struct SpendItem {
        Bytes hash;
        crypto::SignatureAlgorithm algorithm;
    };
    struct Spend;
    /// Everything sign_hash and sign_documents check about the credential and the SAD before signing,
    /// then the consuming transaction; every refusal audited. The credential's certificate, parsed once,
    /// once the SAD is spent. The items' schemes were resolved against the key before (m_algorithms).
    pki::Certificate spend(const Caller& caller, const Credential& credential, const Secret& sad,
                           const std::vector<SpendItem>& items, Spend& s);
    /// signing_credential with the refusal's audit entry under way.
    SigningCredential find_signing_credential(const Caller& caller, const std::string& credential_id,
                                              Spend& s);
    IssuedSad authorize_with(const Caller& caller, AuthorizeRequest request, Factors factors,
                             std::optional<std::chrono::seconds> lifetime);
    [[nodiscard]] std::optional<std::string> member_of(const Credential& c, const Caller& caller) const;
    /// Why `caller` may not spend or renew `sad` (another user or client, a locked user, a removed
    /// client), or nothing.
    [[nodiscard]] std::optional<std::string> binding_problem(const SadRecord& sad,
                                                             const Caller& caller) const;
};

}  // namespace inkan::service
