#pragma once

// Storage ports owned by the service layer. storage/ implements them (SQLite now, PostgreSQL
// later); both run the same port test suites (storage/*_store_suite.h). Every method is one
// transaction; anything that must hold across nodes (token revocation, later SAD consumption and
// lockout counters) is a single SQL statement.
//
// Errors: Errc::StorageFailure when the database fails; otherwise only the codes named per method.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <inkan/service/model.h>

namespace inkan::service {

/// An account's password-guessing state as stored.
struct PasswordFailures {
    int count = 0;  ///< failures since the last right password or unlock (reserved guesses included)
    std::optional<TimePoint> locked_at;  ///< when the count reached the maximum; nothing: not locked
};

class UserStore {
public:
    virtual ~UserStore() = default;
    /// Stores a new user (`totp_enrolled` is ignored: set_totp() enrols). Errc::Conflict if the name or
    /// the id is taken.
    virtual void create(const User& user, std::string_view password_hash) = 0;
    [[nodiscard]] virtual std::optional<User> find_by_name(std::string_view name) const = 0;
    [[nodiscard]] virtual std::optional<User> find_by_id(std::string_view id) const = 0;
    /// Every user, ordered by name (byte order).
    [[nodiscard]] virtual std::vector<User> list() const = 0;
    /// The argon2id hash string ($argon2id$...), for verification only.
    [[nodiscard]] virtual std::optional<std::string> password_hash(std::string_view user_id) const = 0;
    /// Errc::NotFound for an unknown user (all setters).
    virtual void set_password_hash(std::string_view user_id, std::string_view hash) = 0;
    virtual void set_locked(std::string_view user_id, bool locked) = 0;
    virtual void set_role(std::string_view user_id, Role role) = 0;
    /// The TOTP secret sealed under the HSM storage key (AES-256-GCM blob), or nothing to remove it.
    virtual void set_totp(std::string_view user_id, std::optional<Bytes> sealed_secret) = 0;
    [[nodiscard]] virtual std::optional<Bytes> totp(std::string_view user_id) const = 0;

    /// Password guessing, per account (counted here so that every node shares it and a restart keeps it).
    /// Reserves one guess *before* the slow password check, in one statement: if the account is locked
    /// (count ≥ `max`) and `cool_down` (> 0) has passed since the lock began, the count starts again; then
    /// count + 1 (never above max + 1), and the lock begins at `now` when the count reaches `max`. Returns
    /// the new count: ≤ max, the guess may be judged; > max, it must be refused unjudged. Concurrent callers
    /// get distinct counts, so at most `max` guesses are judged between two clears. Errc::NotFound for an
    /// unknown user.
    virtual int reserve_password_guess(std::string_view user_id, int max, std::chrono::seconds cool_down,
                                       TimePoint now) = 0;
    /// A right password or an operator's unlock: count 0, no lock, in one statement. Errc::NotFound.
    virtual void clear_password_failures(std::string_view user_id) = 0;
    /// Nothing for an unknown user.
    [[nodiscard]] virtual std::optional<PasswordFailures> password_failures(
        std::string_view user_id) const = 0;
};

class CredentialStore {
public:
    virtual ~CredentialStore() = default;
    /// `pin_hash`: the owner's activation PIN (argon2id) for a personal credential; empty for a seal
    /// (members have their own). Errc::Conflict if the id exists; Errc::NotFound if a personal
    /// credential's owner is not a user; Errc::InvalidRequest if the kind does not fit (personal without
    /// owner or PIN hash, seal with either).
    virtual void create(const Credential& credential, std::string_view pin_hash) = 0;
    [[nodiscard]] virtual std::optional<Credential> find(std::string_view id) const = 0;
    /// Every credential, for operators, in creation order.
    [[nodiscard]] virtual std::vector<Credential> list() const = 0;
    /// What this user may use: own personal credentials and seals they are a member of, in creation order.
    [[nodiscard]] virtual std::vector<Credential> list_for_user(std::string_view user_id) const = 0;
    /// Errc::NotFound for an unknown id (both setters).
    virtual void set_chain(std::string_view id, const std::vector<Bytes>& chain) = 0;
    virtual void set_status(std::string_view id, CredentialStatus status) = 0;
    /// A renewal, in one transaction: `renewed` (a new id and key, the same kind and owner) is stored with
    /// the old credential's PIN hash, its seal members (with their PIN hashes), the OAuth clients allowed
    /// to seal with it and its PIN failure counts; the old credential becomes Disabled (its row, key id and
    /// chain kept) and both are linked (Credential::renewed_to / renewal_of). Errc::NotFound: no such old
    /// credential; Errc::Conflict: it is not Active or was renewed already; Errc::InvalidRequest: another
    /// kind or owner, or the same id.
    virtual void renew(std::string_view old_id, const Credential& renewed, TimePoint at) = 0;
    /// Errc::Conflict if already a member; Errc::NotFound for an unknown credential or user;
    /// Errc::InvalidRequest if the credential is not a seal.
    virtual void add_member(std::string_view credential_id, std::string_view user_id,
                            std::string_view pin_hash) = 0;
    /// Errc::NotFound if not a member.
    virtual void remove_member(std::string_view credential_id, std::string_view user_id) = 0;
    /// In the order they were added; empty for an unknown credential.
    [[nodiscard]] virtual std::vector<SealMember> members(std::string_view credential_id) const = 0;
    /// The PIN hash that `user_id` activates this credential with (owner's for personal, the member's for a
    /// seal); nothing if the user may not activate it.
    [[nodiscard]] virtual std::optional<std::string> pin_hash(std::string_view credential_id,
                                                              std::string_view user_id) const = 0;
};

enum class TokenKind { Access, Refresh };

struct TokenRecord {
    std::string id;  ///< random id (not secret), for audit and revocation lists
    Bytes hash;      ///< SHA-256 of the token string: the lookup key
    TokenKind kind = TokenKind::Access;
    std::string user_id;  ///< empty: a system client's token (client_id is the subject)
    std::string client_id;
    std::string refresh_id;  ///< access tokens: the refresh token of the same grant (empty if none)
    /// Every token descending from one grant (a code exchange or a login, and all refresh rotations
    /// after it) shares it: a replayed, already-rotated refresh token revokes them all (RFC 9700
    /// §4.14.2). Empty for tokens issued before migration 12.
    std::string family_id;
    TimePoint issued_at{};
    TimePoint expires_at{};
    /// As read back: true if this token was revoked, or (access tokens) its grant's refresh token was,
    /// so a refresh racing a revocation can never leave a live access token behind.
    bool revoked = false;
};

class TokenStore {
public:
    virtual ~TokenStore() = default;
    /// Errc::Conflict if the id or the hash exists; Errc::NotFound if the user or the refresh token
    /// (refresh_id) does not; Errc::InvalidRequest if neither a user nor a client is named.
    virtual void insert(const TokenRecord& token) = 0;
    [[nodiscard]] virtual std::optional<TokenRecord> find_by_hash(ByteView hash) const = 0;
    /// Revokes one token; revoking a refresh token also revokes the access tokens of its grant
    /// (RFC 7009 §2.1). Returns false if no such token.
    virtual bool revoke(std::string_view token_id) = 0;
    /// Refresh token rotation (RFC 9700 §4.14.2): revokes the token (and its grant's access tokens)
    /// only if it is not revoked yet, in one statement. True for exactly one of several concurrent
    /// callers; false if it was already revoked or is unknown.
    virtual bool revoke_if_active(std::string_view token_id) = 0;
    /// Revokes every token of the family (refresh and access, whatever their grant). How many were
    /// live before. Nothing for an empty family id.
    virtual std::size_t revoke_family(std::string_view family_id) = 0;
    /// Removes tokens that expired before `before` (housekeeping); a refresh token stays while an
    /// access token of its grant is still unexpired. Returns how many were removed.
    virtual std::size_t purge_expired(TimePoint before) = 0;
};

/// Fills an audit entry's seq, prev_hash and hash from the chain's head (AuditLog::entry_builder): what a
/// store appends to the audit chain inside its own transaction.
using AuditEntryBuilder = std::function<AuditEntry(std::uint64_t next_seq, const Bytes& prev_hash)>;

/// How a SAD came to be. Only an OAuth credential token may be presented as an `Authorization:
/// Bearer` (CSC v2 §8.4); a SAD from credentials/authorize is a parameter of signHash/signDoc only.
enum class SadOrigin { Authorize, OAuthGrant };

/// One SAD as stored: the ledger row set behind an opaque handle (csc-api.md §3.4).
struct SadRecord {
    std::string id;       ///< random id (not secret)
    Bytes handle_hash;    ///< SHA-256 of the handle the client holds
    std::string user_id;  ///< empty: activated by a system client (client_id)
    std::string client_id;
    std::string credential_id;
    std::string member_id;  ///< seal member who activated it (empty for personal credentials)
    int scal = 2;
    int remaining = 0;  ///< signatures still allowed
    /// SCAL 2: the authorised digests not yet consumed (multiset): algorithm OID + bytes.
    std::vector<std::pair<std::string, Bytes>> hashes;
    TimePoint expires_at{};
    bool retired = false;
    SadOrigin origin = SadOrigin::Authorize;
    /// The original authorisation's hard limit: credentials/extendTransaction never carries a SAD past
    /// it (at most AuthorizationSettings::max_extended_lifetime after the PIN and OTP were checked).
    TimePoint hard_expires_at{};
};

/// Why the SAD ledger refused a spend or a replacement (AuthorizationStore::consume, replace_sad).
enum class SpendRefusal {
    Invalid,  ///< no such SAD, retired, another user's or credential's
    Expired,  ///< past its expiry (consume) or past the original authorisation's hard limit (replace_sad)
    Hash,     ///< at SCAL 2, a hash not authorised or already consumed
    Count,    ///< more signatures than remain
};
std::string_view name(SpendRefusal r) noexcept;  ///< "invalid", "expired", "hash", "count"

/// Counters and the SAD ledger. Every method is one transaction; consume() is the heart: it must
/// hold under concurrency (one SAD spent from 16 threads at once: exactly the authorised number of
/// signatures), across nodes.
class AuthorizationStore {
public:
    virtual ~AuthorizationStore() = default;
    virtual void insert_sad(const SadRecord& sad) = 0;
    [[nodiscard]] virtual std::optional<SadRecord> find_sad(ByteView handle_hash) const = 0;
    /// Atomically: the SAD exists, is not retired, not expired at `now`, belongs to user_id (empty for a
    /// system client's SAD: the service checks the SAD's client before spending) and credential_id; at SCAL 2
    /// every one of `hashes` is among its unconsumed hashes (as a multiset); `count` ≤ remaining. Then marks
    /// them consumed and decrements remaining (retiring it at 0). Returns nothing consumed and the reason on
    /// failure.
    /// `record`, when set, appends the signature's audit entry to the audit chain in the SAME transaction,
    /// committed durably with the spend: no signature value leaves the process before both are on disk,
    /// and a crash leaves either both or neither (the store must share the audit chain's database).
    virtual std::optional<SpendRefusal> consume(ByteView handle_hash, std::string_view user_id,
                                                std::string_view credential_id,
                                                const std::vector<std::pair<std::string, Bytes>>& hashes,
                                                int count, TimePoint now,
                                                const AuditEntryBuilder& record = {}) = 0;
    /// credentials/extendTransaction, atomically: retires `old_hash` (same checks as consume without hashes)
    /// and inserts `replacement` with `replacement.hashes` and `replacement.remaining` as given — but only if
    /// at SCAL 2 `replacement.hashes` is a sub-multiset of the old SAD's unconsumed hashes (Hash if not),
    /// `replacement.remaining` does not exceed the old remaining (Count), and `now` is before the old
    /// SAD's hard limit (Expired). The replacement inherits the old SAD's origin and hard limit and never
    /// expires after it. Nothing changes on failure.
    virtual std::optional<SpendRefusal> replace_sad(ByteView old_hash, std::string_view user_id,
                                                    std::string_view credential_id, SadRecord replacement,
                                                    TimePoint now) = 0;
    /// oauth2/revoke (RFC 7009): retires the SAD if it was activated through `client_id`. False (nothing
    /// changed) if unknown, another client's or already retired.
    virtual bool retire_for_client(ByteView handle_hash, std::string_view client_id) = 0;

    /// PIN failures per (credential, user); returns the new count. reset → 0.
    virtual int add_pin_failure(std::string_view credential_id, std::string_view user_id) = 0;
    virtual void reset_pin_failures(std::string_view credential_id, std::string_view user_id) = 0;
    [[nodiscard]] virtual int pin_failures(std::string_view credential_id,
                                           std::string_view user_id) const = 0;
    virtual void reset_credential_pin_failures(std::string_view credential_id) = 0;
    /// Gives back one add_pin_failure that was never judged (refused as locked before the check): the
    /// count goes down by one, never below zero. One statement.
    virtual void undo_pin_failure(std::string_view credential_id, std::string_view user_id) = 0;
    /// OTP failures per user.
    virtual int add_otp_failure(std::string_view user_id) = 0;
    virtual void reset_otp_failures(std::string_view user_id) = 0;
    [[nodiscard]] virtual int otp_failures(std::string_view user_id) const = 0;
    /// As undo_pin_failure, for the user's OTP counter.
    virtual void undo_otp_failure(std::string_view user_id) = 0;
    /// Records TOTP step `step` as used by the user; false if it (or a later step) was already used —
    /// a code is accepted once (RFC 6238 §5.2).
    virtual bool use_otp_step(std::string_view user_id, std::int64_t step) = 0;
};

/// OAuth 2.0 clients (`inkan client add|list|remove`).
class OAuthClientStore {
public:
    virtual ~OAuthClientStore() = default;
    /// Errc::Conflict if the id, or the name of a client not removed, is taken; Errc::NotFound if a
    /// seal credential does not exist; Errc::InvalidRequest if one is not a seal, or a public client
    /// has a secret (or a confidential one none).
    virtual void create(const OAuthClient& client) = 0;
    /// Removed clients too (`removed` set): their tokens must stop working, their audit rows stay.
    [[nodiscard]] virtual std::optional<OAuthClient> find(std::string_view id) const = 0;
    /// Clients not removed, by name.
    [[nodiscard]] virtual std::vector<OAuthClient> list() const = 0;
    /// False if unknown or already removed.
    virtual bool remove(std::string_view id, TimePoint at) = 0;
};

/// Where a browser authorization is (oauth2/authorize, csc-api.md §4.4): pushed by PAR and not yet
/// opened, waiting for the password, for the one-time code, for consent.
enum class PendingStage { Pushed, Login, Otp, Consent };
std::string_view name(PendingStage s);  ///< "pushed", "login", "otp", "consent"

/// A browser authorization between its steps. Every secret is kept as SHA-256 only.
struct PendingAuthorization {
    std::string id;          ///< random, not secret
    Bytes session_hash;      ///< the browser's cookie; empty while only pushed (PAR)
    Bytes request_uri_hash;  ///< PAR (RFC 9126): the request_uri; empty otherwise
    std::string client_id;
    std::string request;  ///< the validated authorization request, as the service serialised it
    Bytes csrf_hash;      ///< the token every form of this authorization must carry
    std::string user_id;  ///< set once the password was right
    PendingStage stage = PendingStage::Login;
    TimePoint expires_at{};
};

/// An authorization code (RFC 6749 §4.1.2): hashed, bound, short-lived, single use.
struct AuthorizationCodeRecord {
    Bytes hash;
    std::string client_id;
    std::string redirect_uri;
    std::string user_id;
    std::string grant;  ///< scope, PKCE challenge, credential details: the service's JSON
    TimePoint expires_at{};
};

/// Why an authorization code was not exchanged (OAuthGrantStore::consume_code).
enum class CodeRefusal {
    Invalid,  ///< unknown
    Used,     ///< exchanged before (RFC 6749 §4.1.2: revoke what the first exchange issued)
    Expired,
};
std::string_view name(CodeRefusal r) noexcept;  ///< "invalid", "used", "expired"

/// What consume_code found: the code, or why not.
struct CodeConsumption {
    std::optional<AuthorizationCodeRecord> code;
    std::optional<CodeRefusal> failure;
    /// failure Used: what the first exchange issued (link_code), so that a second one revokes it
    /// (RFC 6749 §4.1.2): the token family of a service grant, the SAD handle hash of a credential one.
    std::string issued_family;
    Bytes issued_sad_hash;
};

/// The state of browser authorizations and codes: in the store, so any node serves any step.
class OAuthGrantStore {
public:
    virtual ~OAuthGrantStore() = default;
    /// Errc::Conflict if the id or a hash exists; Errc::NotFound for an unknown client.
    virtual void insert_pending(const PendingAuthorization& pending) = 0;
    /// The authorization this browser cookie belongs to, if not expired at `now`.
    [[nodiscard]] virtual std::optional<PendingAuthorization> find_pending(ByteView session_hash,
                                                                           TimePoint now) const = 0;
    /// PAR: binds a pushed request of `client_id` to a browser (cookie and CSRF hashes, stage Login,
    /// new expiry) — once: a request_uri is single use (RFC 9126 §2.2). Nothing if unknown, another
    /// client's, already opened, or expired at `now`.
    virtual std::optional<PendingAuthorization> open_pushed(ByteView request_uri_hash,
                                                            std::string_view client_id, ByteView session_hash,
                                                            ByteView csrf_hash, TimePoint now,
                                                            TimePoint expires_at) = 0;
    /// Compare-and-set: moves the authorization from `from` to `to` (and records `user_id` when not
    /// empty). False if it is not at `from`, is expired at `now`, or is gone.
    virtual bool advance(std::string_view id, PendingStage from, PendingStage to, std::string_view user_id,
                         TimePoint now) = 0;
    /// Ends an authorization (consent given or denied, or abandoned). False if it was already gone:
    /// exactly one of two concurrent consents wins.
    virtual bool remove_pending(std::string_view id) = 0;
    /// Errc::Conflict if the hash exists.
    virtual void insert_code(const AuthorizationCodeRecord& code) = 0;
    /// Atomically marks the code used and returns it; a used, expired or unknown code is not returned.
    virtual CodeConsumption consume_code(ByteView hash, TimePoint now) = 0;
    /// Records what the exchange of code `hash` issued: a token family, or a credential token's SAD
    /// handle hash (either may be empty). Nothing happens for an unknown code.
    virtual void link_code(ByteView hash, std::string_view family_id, ByteView sad_hash) = 0;
    /// account_token replay (CSC v1 §8.3.1): records that `client_id` presented `jti`, kept until
    /// `expires_at`, and drops records expired at `now` — in one transaction. False if the pair is
    /// already recorded (a replay); nothing is changed then.
    virtual bool remember_account_token(std::string_view client_id, std::string_view jti, TimePoint now,
                                        TimePoint expires_at) = 0;
    /// Housekeeping: removes authorizations, codes and account_token records that expired before
    /// `before`; how many.
    virtual std::size_t purge_expired(TimePoint before) = 0;
};

/// One asynchronous operation (CSC v2 operationMode "A", decision 0033) as stored: who may poll it, its
/// state and, once finished, the answer the synchronous call would have given (HTTP status and body).
enum class AsyncStatus { Pending, Done, Failed };
struct AsyncRecord {
    Bytes id_hash;        ///< SHA-256 of the responseID the client holds
    std::string user_id;  ///< the caller that started it (user and client both bind)
    std::string client_id;
    AsyncStatus status = AsyncStatus::Pending;
    int http_status = 0;           ///< Done/Failed: the answer's status
    std::string body;              ///< Done/Failed: the answer's JSON body
    std::int64_t created_ms = 0;   ///< unix milliseconds
    std::int64_t expires_ms = 0;   ///< unix milliseconds; after it the operation is unknown
    std::int64_t validity_ms = 0;  ///< validity_period: how long a finished answer is kept
};

/// The asynchronous operations, shared by every node on the database: any node answers a poll.
class AsyncStore {
public:
    virtual ~AsyncStore() = default;
    /// Removes the rows that expired before `record.created_ms`, then inserts `record` (one transaction).
    virtual void insert(const AsyncRecord& record) = 0;
    /// Records the answer of a pending operation and moves its expiry to `expires_ms`. False if it is
    /// not pending (unknown, expired and purged, or finished).
    virtual bool finish(ByteView id_hash, AsyncStatus status, int http_status, std::string_view body,
                        std::int64_t expires_ms) = 0;
    [[nodiscard]] virtual std::optional<AsyncRecord> find(ByteView id_hash) const = 0;
};

/// One out-of-band credential authorization (CSC v2 credentials/authorize answered 202 + handle, then
/// credentials/authorizeCheck; decision 0034) as stored. The client holds the handle, the approval page's
/// URL holds the reference, the signer's browser holds the page session: only their SHA-256 are kept.
enum class OobStatus { Pending, Approved, Declined, Delivered };
/// Where the approval page is: the password, the one-time code, the decision.
enum class OobStage { Login, Otp, Decide };
std::string_view name(OobStatus s);
std::string_view name(OobStage s);
struct OobRecord {
    std::string id;       ///< random, for the audit log
    Bytes handle_hash;    ///< SHA-256 of the handle the client polls with
    Bytes ref_hash;       ///< SHA-256 of the reference in the approval page's URL
    std::string user_id;  ///< the caller (user and client both bind), who alone may approve
    std::string client_id;
    std::string credential_id;
    std::string request;  ///< JSON: numSignatures, hashes, description, labels (what the signer approves)
    OobStatus status = OobStatus::Pending;
    bool pin_verified = false;  ///< the page checked the credential's PIN (explicit mode)
    OobStage stage = OobStage::Login;
    Bytes session_hash;  ///< the page's browser session (cookie), once opened
    Bytes csrf_hash;
    TimePoint created_at{};
    TimePoint expires_at{};
};

/// The out-of-band authorizations, shared by every node on the database. Every state change is one
/// conditional statement (status, stage, expiry) whose change count decides, so two nodes (or two
/// browser tabs) racing on one step cannot both win.
class OobStore {
public:
    virtual ~OobStore() = default;
    /// Removes the rows that expired before `now`, then inserts `record` (one transaction).
    virtual void insert(const OobRecord& record, TimePoint now) = 0;
    [[nodiscard]] virtual std::optional<OobRecord> find_by_handle(ByteView handle_hash) const = 0;
    [[nodiscard]] virtual std::optional<OobRecord> find_by_ref(ByteView ref_hash) const = 0;
    [[nodiscard]] virtual std::optional<OobRecord> find_by_session(ByteView session_hash) const = 0;
    /// A (new) browser session on a pending, unexpired row: the page starts at Login again.
    virtual bool open_page(std::string_view id, ByteView session_hash, ByteView csrf_hash, TimePoint now) = 0;
    /// Pending, unexpired and at `from`: moves to `to`. False otherwise.
    virtual bool advance(std::string_view id, OobStage from, OobStage to, TimePoint now) = 0;
    /// Pending, unexpired and at Decide: Approved (with pin_verified) or Declined; the page session ends.
    virtual bool decide(std::string_view id, OobStatus to, bool pin_verified, TimePoint now) = 0;
    /// Approved and unexpired: Delivered (the SAD is issued once). False otherwise.
    virtual bool deliver(std::string_view id, TimePoint now) = 0;
};

/// What AuditStore::search selects: every non-empty filter must match.
struct AuditQuery {
    std::optional<TimePoint> from;  ///< at >= from
    std::optional<TimePoint> to;    ///< at < to
    std::string user_id;            ///< the entry's user or seal member
    std::string credential_id;
    std::string client_id;
    std::string action;                       ///< "user.add", or a family: "user" is user.add, user.lock, ...
    std::string outcome;                      ///< a recorded outcome, or "failed": every one but "ok"
    std::string operator_name;                ///< the operator who made the change
    std::optional<std::uint64_t> before_seq;  ///< keyset: only entries with seq < before_seq
    std::size_t limit = 50;
};

class AuditStore {
public:
    virtual ~AuditStore() = default;
    /// Appends in one transaction: reads the head (last seq and hash), lets `build` fill seq, prev_hash
    /// and hash, inserts. Concurrent appends serialise. For the first entry `prev_hash` is empty (AuditLog
    /// chains it to 32 zero bytes).
    virtual void append(
        const std::function<AuditEntry(std::uint64_t next_seq, const Bytes& prev_hash)>& build) = 0;
    [[nodiscard]] virtual std::vector<AuditEntry> all() const = 0;
    /// One page of a search, newest first (keyset paging on seq: `before_seq`, never an offset), through
    /// indexes on the filtered columns (decision 0041): a page costs the same at row 10 and row 10 million.
    [[nodiscard]] virtual std::vector<AuditEntry> search(const AuditQuery& query) const = 0;
    [[nodiscard]] virtual std::optional<AuditEntry> find(std::uint64_t seq) const = 0;
};

/// The operator console's sessions (decision 0041). The browser holds the session secret in a cookie; the
/// store keeps only its SHA-256. Every check that decides is one statement (touch, revoke), so any node
/// serves any request.
struct ConsoleSessionRecord {
    std::string id;  ///< random hex, named in the audit (never the secret)
    Bytes token_hash;
    std::string user_id;
    TimePoint created_at{};
    TimePoint last_seen{};
    bool revoked = false;
};

class ConsoleSessionStore {
public:
    virtual ~ConsoleSessionStore() = default;
    virtual void insert(const ConsoleSessionRecord& session) = 0;
    [[nodiscard]] virtual std::optional<ConsoleSessionRecord> find(ByteView token_hash) const = 0;
    /// last_seen = now, if the session is not revoked and was last seen after `idle_since` (compare and
    /// set: a session that went idle cannot be revived by a racing request). False otherwise.
    virtual bool touch(std::string_view id, TimePoint now, TimePoint idle_since) = 0;
    /// Signs the session out; false if it already was.
    virtual bool revoke(std::string_view id) = 0;
    /// Removes sessions last seen before `before` (housekeeping).
    virtual std::size_t purge(TimePoint before) = 0;
};

/// The node's maintenance flag (`inkan maintenance on|off`, /readyz 503 while on): where it lives is the
/// composition root's business (a file in the data directory).
class MaintenanceSwitch {
public:
    virtual ~MaintenanceSwitch() = default;
    [[nodiscard]] virtual bool on() const = 0;
    virtual void set(bool on) = 0;
};

}  // namespace inkan::service
