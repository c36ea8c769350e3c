// Out-of-band credential authorization (oob.h, decision 0034).
//
// Three secrets, each 256 random bits, each stored only as its SHA-256: the handle (the client polls
// authorizeCheck with it; bound to the client's user and client), the reference (in the approval page's
// URL, so it may travel as a QR code to the signer's phone; it opens the page and nothing else), and the
// page session (an HttpOnly __Host- cookie; the page's CSRF token is derived from it, as on the OAuth
// pages). Nothing is granted until the signer has passed the password, the one-time code and (explicit
// mode) the credential's PIN on the page and approved; the SAD itself is only made when the client
// collects it, exactly once (a conditional UPDATE approved → delivered), so no SAD is ever at rest.

#include <inkan/service/oob.h>

#include <utility>

#include <nlohmann/json.hpp>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/crypto/digest.h>
#include <inkan/crypto/random.h>

#include "login_audit.h"
#include "secret_handles.h"

namespace inkan::service {

namespace {

using detail::new_secret;
using detail::sha256;

constexpr std::size_t kMaxSecretLength = 256;

std::optional<Bytes> hash_of(const Secret& s) {
    if (s.empty() || s.size() > kMaxSecretLength) {
        return std::nullopt;
    }
    return sha256(s.reveal());
}

std::string csrf_for(std::string_view session) {
    return base64url_encode(sha256("inkan-oob-csrf:" + std::string{session}));
}

/// What the signer approves, as the row keeps it.
struct Stored {
    int num_signatures = 1;
    std::vector<AuthorisedHash> hashes;
    std::vector<std::string> labels;
    std::string description;
};

std::string to_json(const Stored& s) {
    nlohmann::json hashes = nlohmann::json::array();
    for (const auto& h : s.hashes) {
        hashes.push_back(
            {{"oid", std::string{crypto::spec(h.algorithm).oid}}, {"value", hex_encode(h.value)}});
    }
    return nlohmann::json{{"num_signatures", s.num_signatures},
                          {"hashes", hashes},
                          {"labels", s.labels},
                          {"description", s.description}}
        .dump();
}

Stored from_json(const std::string& text) {
    const auto j = nlohmann::json::parse(text);
    Stored s;
    s.num_signatures = j.at("num_signatures").get<int>();
    for (const auto& h : j.at("hashes")) {
        const auto alg = crypto::digest_from_oid(h.at("oid").get<std::string>());
        require(alg.has_value(), Errc::StorageFailure, "oob_authorizations.request: unknown digest");
        s.hashes.push_back({*alg, hex_decode(h.at("value").get<std::string>())});
    }
    s.labels = j.at("labels").get<std::vector<std::string>>();
    s.description = j.at("description").get<std::string>();
    return s;
}

[[noreturn]] void stale(std::string_view why) {
    throw Error{Errc::NotFound, "oob: " + std::string{why}};
}

}  // namespace

std::string_view name(OobStatus s) {
    switch (s) {
        case OobStatus::Pending:
            return "pending";
        case OobStatus::Approved:
            return "approved";
        case OobStatus::Declined:
            return "declined";
        case OobStatus::Delivered:
            return "delivered";
    }
    return "pending";
}

std::string_view name(OobStage s) {
    switch (s) {
        case OobStage::Login:
            return "login";
        case OobStage::Otp:
            return "otp";
        case OobStage::Decide:
            return "decide";
    }
    return "login";
}

OutOfBand::OutOfBand(OobStore& store, Authorization& authorization, Accounts& accounts,
                     CredentialStore& credentials, const OAuthClientStore* clients, AuditLog& audit,
                     const Clock& clock, OobSettings settings)
    : m_store{store},
      m_authorization{authorization},
      m_accounts{accounts},
      m_credentials{credentials},
      m_clients{clients},
      m_audit{audit},
      m_clock{clock},
      m_settings{settings} {
    require(m_settings.lifetime.count() >= 10 && m_settings.lifetime.count() <= 3600, Errc::InvalidConfig,
            "the out-of-band approval lifetime must be 10..3600 seconds");
}

void OutOfBand::record(std::string_view action, std::string_view outcome, const OobRecord& r,
                       std::string details) {
    AuditEvent e;
    e.action = std::string{action};
    e.outcome = std::string{outcome};
    e.user_id = r.user_id;
    e.client_id = r.client_id;
    e.credential_id = r.credential_id;
    e.details = std::move(details);
    m_audit.record(e);
}

OobStarted OutOfBand::start(const Caller& caller, AuthorizeRequest request, std::vector<std::string> labels) {
    require(labels.empty() || labels.size() == request.hashes.size(), Errc::InvalidRequest,
            "one label per hash");
    Stored stored;
    stored.num_signatures = request.num_signatures;
    stored.hashes = request.hashes;
    stored.labels = std::move(labels);
    stored.labels.resize(stored.hashes.size());
    stored.description = request.description;
    const std::string credential_id = request.credential_id;
    // Every refusal authorize() would give, now (audited there); nothing granted.
    m_authorization.check_out_of_band(caller, std::move(request));

    OobStarted out{new_secret(), new_secret(), m_settings.lifetime.count()};
    OobRecord r;
    r.id = crypto::random_hex(16);
    r.handle_hash = sha256(out.handle);
    r.ref_hash = sha256(out.ref);
    r.user_id = caller.user_id;
    r.client_id = caller.client_id;
    r.credential_id = credential_id;
    r.request = to_json(stored);
    const TimePoint now = m_clock.now();
    r.created_at = now;
    r.expires_at = now + m_settings.lifetime;
    m_store.insert(r, now);
    record("oob.start", "ok", r,
           nlohmann::json{{"request", r.id}, {"expires_in", m_settings.lifetime.count()}}.dump());
    return out;
}

Secret OutOfBand::open(std::string_view ref) {
    const auto r = hash_of(Secret{ref});
    const auto row = r ? m_store.find_by_ref(*r) : std::nullopt;
    const TimePoint now = m_clock.now();
    if (!row || row->status != OobStatus::Pending || row->expires_at <= now) {
        stale("unknown, expired or decided reference");
    }
    std::string session = new_secret();
    if (!m_store.open_page(row->id, sha256(session), sha256(csrf_for(session)), now)) {
        stale("the request was decided meanwhile");
    }
    return Secret{std::move(session)};
}

OobRecord OutOfBand::at_stage(const Secret& session, std::string_view csrf, OobStage stage) const {
    const auto h = hash_of(session);
    const auto row = h ? m_store.find_by_session(*h) : std::nullopt;
    if (!row || row->status != OobStatus::Pending || row->expires_at <= m_clock.now()) {
        stale("no such page session (expired or decided?)");
    }
    if (!equal_constant_time(sha256(csrf), row->csrf_hash)) {
        throw Error{Errc::InvalidRequest, "oob: the form's CSRF token does not match"};
    }
    if (row->stage != stage) {
        throw Error{Errc::InvalidRequest, "oob: this step was already taken"};
    }
    return *row;
}

OobPageView OutOfBand::view(const Secret& session) const {
    const auto h = hash_of(session);
    const auto row = h ? m_store.find_by_session(*h) : std::nullopt;
    if (!row || row->status != OobStatus::Pending || row->expires_at <= m_clock.now()) {
        stale("no such page session (expired or decided?)");
    }
    OobPageView v;
    v.stage = row->stage;
    v.csrf = csrf_for(session.reveal());
    if (m_clients != nullptr && !row->client_id.empty()) {
        if (const auto client = m_clients->find(row->client_id)) {
            v.client_name = client->name;
        }
    }
    if (row->stage == OobStage::Decide) {
        // Only the signed-in signer sees what is to be signed.
        if (const auto user = m_accounts.find_by_id(row->user_id)) {
            v.user_name = user->name;
        }
        const Stored s = from_json(row->request);
        v.credential_id = row->credential_id;
        if (const auto c = m_credentials.find(row->credential_id)) {
            v.credential_description = c->description.empty() ? c->key_algo : c->description;
            v.pin_required = c->auth_mode == AuthMode::Explicit;
        }
        v.num_signatures = s.num_signatures;
        v.hashes = s.hashes;
        v.labels = s.labels;
        v.description = s.description;
    }
    return v;
}

void OutOfBand::login(const Secret& session, std::string_view csrf, std::string_view user_name,
                      const Secret& password) {
    const OobRecord r = at_stage(session, csrf, OobStage::Login);
    // The same per-account counter and cool-down as auth/login and the OAuth page (decision 0015).
    const PasswordCheck check = m_accounts.check_password(user_name, password);
    if (!check.ok() || check.user->locked || check.user->id != r.user_id) {
        nlohmann::json details{{"request", r.id}};
        detail::add_tried_name(details, user_name);  // the name tried, never the password
        if (check.verdict != PasswordVerdict::Unknown) {
            details["password_failures"] = check.failures;
        }
        std::string outcome = check.ok() ? "locked" : std::string{name(check.verdict)};
        if (check.ok() && !check.user->locked) {
            // The right password of someone else: only the credential's user may approve. Their own
            // account's audit trail shows the attempt.
            outcome = "not_the_signer";
            details["signed_in_as"] = check.user->id;
        }
        record("oob.login", outcome, r, details.dump());
        throw Error{Errc::InvalidAuthData,
                    "oob login failed: unknown user, wrong password, locked or another user"};
    }
    if (!m_store.advance(r.id, OobStage::Login, OobStage::Otp, m_clock.now())) {
        throw Error{Errc::InvalidRequest, "oob: this step was already taken"};
    }
    record("oob.login", "ok", r, nlohmann::json{{"request", r.id}}.dump());
}

void OutOfBand::otp(const Secret& session, std::string_view csrf, const Secret& code) {
    const OobRecord r = at_stage(session, csrf, OobStage::Otp);
    // Each code try spends the password step first (compare-and-set), as on the OAuth page: someone who
    // knows the password cannot post code after code (decision 0015).
    if (!m_store.advance(r.id, OobStage::Otp, OobStage::Login, m_clock.now())) {
        throw Error{Errc::InvalidRequest, "oob: this step was already taken"};
    }
    m_authorization.verify_otp(r.user_id, r.client_id, code, "oob.otp");
    if (!m_store.advance(r.id, OobStage::Login, OobStage::Decide, m_clock.now())) {
        throw Error{Errc::InvalidRequest, "oob: this step was already taken"};
    }
}

void OutOfBand::decide(const Secret& session, std::string_view csrf, bool approve, const Secret* pin) {
    const OobRecord r = at_stage(session, csrf, OobStage::Decide);
    nlohmann::json details{{"request", r.id}};
    bool pin_verified = false;
    if (approve) {
        const auto c = m_credentials.find(r.credential_id);
        if (c && c->auth_mode == AuthMode::Explicit) {
            // The credential's own activation data (decision 0020): checked before the decision is taken, so
            // a mistyped PIN can be typed again; counted toward the PIN lockout as in credentials/authorize.
            if (pin == nullptr || pin->empty()) {
                throw Refused<AuthFailure>{Errc::InvalidAuthData, AuthFailure::BadPin,
                                           "the credential's PIN is required"};
            }
            m_authorization.verify_pin(Caller{r.user_id, r.client_id, {}}, r.credential_id, *pin, "oob.pin");
            pin_verified = true;
        }
    }
    if (!m_store.decide(r.id, approve ? OobStatus::Approved : OobStatus::Declined, pin_verified,
                        m_clock.now())) {
        throw Error{Errc::InvalidRequest, "oob: this step was already taken"};
    }
    const Stored s = from_json(r.request);
    details["num_signatures"] = s.num_signatures;
    nlohmann::json hashes = nlohmann::json::array();
    for (const auto& h : s.hashes) {
        hashes.push_back(hex_encode(h.value));
    }
    details["hashes"] = hashes;
    record(approve ? "oob.approve" : "oob.decline", "ok", r, details.dump());
}

OobCheck OutOfBand::check(const Caller& caller, const Secret& handle) {
    const auto h = hash_of(handle);
    const auto row = h ? m_store.find_by_handle(*h) : std::nullopt;
    // Another caller's handle is an unknown one (user AND client bind, as for a SAD).
    if (!row || row->user_id != caller.user_id || row->client_id != caller.client_id) {
        throw Error{Errc::NotFound, "oob: unknown handle"};
    }
    if (row->status == OobStatus::Delivered) {
        throw Error{Errc::NotFound, "oob: the SAD of this handle was already delivered"};
    }
    const TimePoint now = m_clock.now();
    if (row->expires_at <= now) {
        return {OobCheck::State::Expired, std::nullopt};
    }
    switch (row->status) {
        case OobStatus::Pending:
            return {OobCheck::State::Pending, std::nullopt};
        case OobStatus::Declined:
            return {OobCheck::State::Declined, std::nullopt};
        case OobStatus::Delivered:
        case OobStatus::Approved:
            break;
    }
    // Exactly once: of two polls racing here only one moves the row; the other finds it delivered.
    if (!m_store.deliver(row->id, now)) {
        throw Error{Errc::NotFound, "oob: the SAD of this handle was already delivered"};
    }
    const Stored s = from_json(row->request);
    AuthorizeRequest request;
    request.credential_id = row->credential_id;
    request.num_signatures = s.num_signatures;
    request.hashes = s.hashes;
    request.description = s.description;
    request.pin_verified = row->pin_verified;
    OobCheck out{OobCheck::State::Approved, std::nullopt};
    out.sad = m_authorization.issue_approved(caller, std::move(request));
    return out;
}

}  // namespace inkan::service
