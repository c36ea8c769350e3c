// The operator's use cases shared by the CLI, the console and the admin API (admin.h, decision 0041).

#include <inkan/service/admin.h>

#include <algorithm>
#include <sstream>

#include <nlohmann/json.hpp>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/validation/batch.h>

namespace inkan::service {

namespace {

// The audit CSV's fields are validation::csv_field's (RFC 4180 quoting and the formula guard of the batch
// CSV: an auditor opens this file in a spreadsheet, and a user or operator name may start with = + - @).
using validation::csv_field;

nlohmann::json details_json(const AuditEntry& e) {
    nlohmann::json details = nlohmann::json::parse(e.event.details, nullptr, false);
    if (details.is_discarded()) {
        details = e.event.details;  // not JSON (edited?): exported as text
    }
    return details;
}

nlohmann::json entry_object(const NamedAuditEntry& n) {
    const AuditEntry& e = n.entry;
    return nlohmann::json{{"seq", e.seq},
                          {"at", format_rfc3339(e.at)},
                          {"action", e.event.action},
                          {"outcome", e.event.outcome},
                          {"user_id", e.event.user_id},
                          {"user_name", n.user_name},
                          {"client_id", e.event.client_id},
                          {"client_name", n.client_name},
                          {"credential_id", e.event.credential_id},
                          {"credential_description", n.credential_name},
                          {"member_id", e.event.member_id},
                          {"member_name", n.member_name},
                          {"operator", e.event.operator_name},
                          {"details", details_json(e)},
                          {"prev_hash", hex_encode(e.prev_hash)},
                          {"hash", hex_encode(e.hash)}};
}

}  // namespace

bool NamedAuditEntry::actor_is(std::string_view who) const {
    const AuditEvent& ev = entry.event;
    if (!ev.operator_name.empty()) {
        return ev.operator_name == who;
    }
    if (!ev.user_id.empty()) {
        return ev.user_id == who || user_name == who;
    }
    return !ev.client_id.empty() && (ev.client_id == who || client_name == who);
}

AuditNames::AuditNames(const UserStore& users, const CredentialStore& credentials,
                       const OAuthClientStore* clients)
    : m_users{users}, m_credentials{credentials}, m_clients{clients} {}

namespace {

template <typename Find>
const std::string& cached(std::vector<std::pair<std::string, std::string>>& cache, std::string key,
                          Find find) {
    static const std::string none;
    const auto it = std::find_if(cache.begin(), cache.end(), [&](const auto& p) { return p.first == key; });
    if (it != cache.end()) {
        return it->second;
    }
    std::string value = find();
    cache.emplace_back(std::move(key), std::move(value));
    return cache.back().second.empty() ? none : cache.back().second;
}

}  // namespace

const std::string& AuditNames::user(const std::string& id) {
    static const std::string none;
    if (id.empty()) {
        return none;
    }
    return cached(m_cache, "u:" + id, [&] {
        const auto u = m_users.find_by_id(id);
        return u ? u->name : std::string{};
    });
}

const std::string& AuditNames::credential(const std::string& id) {
    static const std::string none;
    if (id.empty()) {
        return none;
    }
    return cached(m_cache, "c:" + id, [&] {
        const auto c = m_credentials.find(id);
        if (!c) {
            return std::string{};
        }
        return c->description.empty() ? c->organization : c->description;
    });
}

const std::string& AuditNames::client(const std::string& id) {
    static const std::string none;
    if (id.empty() || m_clients == nullptr) {
        return none;
    }
    return cached(m_cache, "k:" + id, [&] {
        const auto c = m_clients->find(id);
        return c ? c->name : std::string{};
    });
}

NamedAuditEntry AuditNames::named(AuditEntry entry) {
    NamedAuditEntry n;
    n.user_name = user(entry.event.user_id);
    if (n.user_name.empty()) {
        // A failed login of a name that is no account: the name that was tried (decision 0039).
        const nlohmann::json details = nlohmann::json::parse(entry.event.details, nullptr, false);
        if (details.is_object() && details.contains("user_name") && details["user_name"].is_string()) {
            n.user_name = details["user_name"].get<std::string>();
        }
    }
    n.client_name = client(entry.event.client_id);
    n.credential_name = credential(entry.event.credential_id);
    n.member_name = user(entry.event.member_id);
    n.entry = std::move(entry);
    return n;
}

std::string audit_entry_json(const NamedAuditEntry& entry) {
    return entry_object(entry).dump(2);
}

std::string audit_export_text(std::span<const NamedAuditEntry> entries, AuditExportFormat format) {
    std::ostringstream text;
    if (format == AuditExportFormat::Json) {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& n : entries) {
            arr.push_back(entry_object(n));
        }
        text << arr.dump(2) << "\n";
        return text.str();
    }
    // Each name right after its id (the ids are what the hash covers; the names are for reading).
    text << "seq,at,action,outcome,user_id,user_name,client_id,client_name,credential_id,"
            "credential_description,member_id,member_name,operator,details,prev_hash,hash\r\n";
    for (const auto& n : entries) {
        const AuditEntry& e = n.entry;
        text << e.seq << ',' << format_rfc3339(e.at) << ',' << csv_field(e.event.action) << ','
             << csv_field(e.event.outcome) << ',' << csv_field(e.event.user_id) << ','
             << csv_field(n.user_name) << ',' << csv_field(e.event.client_id) << ','
             << csv_field(n.client_name) << ',' << csv_field(e.event.credential_id) << ','
             << csv_field(n.credential_name) << ',' << csv_field(e.event.member_id) << ','
             << csv_field(n.member_name) << ',' << csv_field(e.event.operator_name) << ','
             << csv_field(e.event.details) << ',' << hex_encode(e.prev_hash) << ',' << hex_encode(e.hash)
             << "\r\n";
    }
    return text.str();
}

Administration::Administration(Accounts& accounts, Authorization& authorization, AuditLog& audit,
                               AuditStore& audit_store, const UserStore& users,
                               const CredentialStore& credentials, const OAuthClientStore* clients,
                               MaintenanceSwitch* maintenance, Credentials* changes)
    : m_accounts{accounts},
      m_authorization{authorization},
      m_audit{audit},
      m_audit_store{audit_store},
      m_users{users},
      m_credentials{credentials},
      m_clients{clients},
      m_maintenance{maintenance},
      m_changes{changes} {}

void Administration::record(std::string_view actor, std::string_view action, std::string_view user_id,
                            std::string details, std::string_view credential_id) {
    require(!actor.empty(), Errc::Internal, "an operator change without an operator");
    AuditEvent e;
    e.action = std::string{action};
    e.outcome = "ok";
    e.user_id = std::string{user_id};
    e.credential_id = std::string{credential_id};
    e.operator_name = std::string{actor};
    e.details = details.empty() ? "{}" : std::move(details);
    m_audit.record(e);
}

Credentials& Administration::changes() const {
    require(m_changes != nullptr, Errc::InvalidConfig, "credential changes are not available here");
    return *m_changes;
}

std::string credential_created_details(const Credential& c, std::string_view by) {
    nlohmann::json details{{"credential", c.id},
                           {"kind", name(c.kind)},
                           {"key_algo", c.key_algo},
                           {"ca", c.ca},
                           {"profile", c.profile},
                           {"scal", c.scal},
                           {"multisign", c.multisign},
                           {"auth_mode", name(c.auth_mode)},
                           {"signature_qualifier", c.signature_qualifier},
                           {"status", name(c.status)}};
    if (!by.empty()) {
        details["by"] = by;
    }
    return details.dump();
}

Credentials::Created Administration::create_credential(std::string_view actor, NewCredential request) {
    require(!actor.empty(), Errc::Internal, "an operator change without an operator");
    Credentials::Created created = changes().create(std::move(request));
    const Credential& c = created.credential;
    record(actor, "credential.create", c.owner_user_id, credential_created_details(c), c.id);
    return created;
}

std::string Administration::credential_csr(std::string_view actor, std::string_view credential_id,
                                           std::string_view organization_identifier) {
    require(!actor.empty(), Errc::Internal, "an operator change without an operator");
    std::string pem = changes().csr(credential_id, organization_identifier);
    const Credential c = changes().get(credential_id);
    record(actor, "credential.csr", c.owner_user_id, nlohmann::json{{"credential", c.id}}.dump(), c.id);
    return pem;
}

Credential Administration::import_certificate(std::string_view actor, std::string_view credential_id,
                                              std::string_view chain_pem, ByteView trust_anchor_der) {
    require(!actor.empty(), Errc::Internal, "an operator change without an operator");
    Credential c = changes().import_certificate(credential_id, chain_pem, trust_anchor_der);
    record(actor, "credential.import_cert", c.owner_user_id, nlohmann::json{{"credential", c.id}}.dump(),
           c.id);
    return c;
}

void Administration::revoke_credential(std::string_view actor, std::string_view credential_id,
                                       pki::RevocationReason reason) {
    const Credential before = changes().get(credential_id);
    changes().revoke(credential_id, reason);
    record(actor, "credential.revoke", before.owner_user_id,
           nlohmann::json{{"credential", before.id}, {"reason", pki::name(reason)}}.dump(), before.id);
}

void Administration::add_seal_member(std::string_view actor, std::string_view credential_id,
                                     std::string_view user_name, const Secret& pin) {
    changes().add_member(credential_id, user_name, pin);
    record(
        actor, "seal.add_member", m_accounts.get_by_name(user_name).id,
        nlohmann::json{{"credential", std::string{credential_id}}, {"user", std::string{user_name}}}.dump(),
        credential_id);
}

void Administration::remove_seal_member(std::string_view actor, std::string_view credential_id,
                                        std::string_view user_name) {
    changes().remove_member(credential_id, user_name);
    record(
        actor, "seal.remove_member", m_accounts.get_by_name(user_name).id,
        nlohmann::json{{"credential", std::string{credential_id}}, {"user", std::string{user_name}}}.dump(),
        credential_id);
}

UserCreated Administration::add_user(std::string_view actor, NewUser request) {
    UserCreated created = m_accounts.add_user(std::move(request));
    record(actor, "user.add", created.user.id,
           nlohmann::json{{"user", created.user.name},
                          {"role", service::name(created.user.role)},
                          {"totp", created.otpauth_uri.has_value()}}
               .dump());
    return created;
}

std::vector<User> Administration::users() const {
    return m_accounts.list();
}

void Administration::lock_user(std::string_view actor, std::string_view name) {
    m_accounts.lock(name);
    record(actor, "user.lock", m_accounts.get_by_name(name).id, nlohmann::json{{"user", name}}.dump());
}

User Administration::set_role(std::string_view actor, std::string_view name, Role role) {
    require(actor != name, Errc::InvalidRequest, "an operator cannot change their own role");
    const User before = m_accounts.get_by_name(name);
    m_accounts.set_role(name, role);
    record(actor, "user.role", before.id,
           nlohmann::json{{"user", name}, {"role", service::name(role)}, {"was", service::name(before.role)}}
               .dump());
    User after = before;
    after.role = role;
    return after;
}

UnlockResult Administration::unlock_user(std::string_view actor, std::string_view name) {
    UnlockResult out;
    out.user = m_accounts.get_by_name(name);
    // The password-guessing count as it was, for the audit (decision 0015).
    const auto failures = m_accounts.password_failures(out.user.id);
    out.password_failures = failures ? failures->count : 0;
    out.password_locked = m_accounts.password_locked(out.user.id);
    out.otp = m_authorization.otp_lock(out.user.id);
    m_accounts.unlock(name);
    record(actor, "user.unlock", out.user.id,
           nlohmann::json{{"user", name},
                          {"password_failures", out.password_failures},
                          {"password_locked", out.password_locked}}
               .dump());
    // The OTP lockout too (sole control): wrong one-time codes no longer count against the user.
    m_authorization.unlock_otp(name, actor);
    return out;
}

std::pair<std::string, std::string> Administration::reset_totp(std::string_view actor,
                                                               std::string_view name) {
    auto enrolled = m_accounts.enrol_totp(name);
    record(actor, "user.totp", m_accounts.get_by_name(name).id, nlohmann::json{{"user", name}}.dump());
    return enrolled;
}

bool Administration::maintenance() const {
    return m_maintenance != nullptr && m_maintenance->on();
}

void Administration::set_maintenance(std::string_view actor, bool on) {
    require(m_maintenance != nullptr, Errc::InvalidConfig, "no maintenance switch here");
    const bool was = m_maintenance->on();
    m_maintenance->set(on);
    AuditEvent e;
    e.action = on ? "maintenance.on" : "maintenance.off";
    e.outcome = "ok";
    e.operator_name = std::string{actor};
    e.details = nlohmann::json{{"was", was ? "on" : "off"}}.dump();
    m_audit.record(e);
}

AuditQuery Administration::query_of(const AuditSearch& s) const {
    require(s.limit >= 1 && s.limit <= 1000, Errc::InvalidRequest, "an audit page has 1..1000 entries");
    AuditQuery q;
    q.from = s.from;
    q.to = s.to;
    if (!s.user.empty()) {
        const auto u = m_users.find_by_name(s.user);
        q.user_id = u ? u->id : s.user;
    }
    q.credential_id = s.credential;
    if (!s.client.empty()) {
        q.client_id = s.client;
        if (m_clients != nullptr) {
            for (const auto& c : m_clients->list()) {
                if (c.name == s.client && !c.removed) {
                    q.client_id = c.id;
                }
            }
        }
    }
    q.action = s.action;
    q.outcome = s.outcome;
    q.operator_name = s.actor;
    q.before_seq = s.before_seq;
    q.limit = s.limit;
    return q;
}

AuditPage Administration::search_audit(const AuditSearch& search) const {
    AuditQuery q = query_of(search);
    // One more than asked: whether there is a next page, without a count over the table.
    ++q.limit;
    auto rows = m_audit_store.search(q);
    AuditPage page;
    if (rows.size() > search.limit) {
        rows.resize(search.limit);
        page.next_before = rows.back().seq;
    }
    AuditNames names{m_users, m_credentials, m_clients};
    for (auto& e : rows) {
        page.entries.push_back(names.named(std::move(e)));
    }
    return page;
}

std::optional<NamedAuditEntry> Administration::audit_entry(std::uint64_t seq) const {
    auto e = m_audit_store.find(seq);
    if (!e) {
        return std::nullopt;
    }
    AuditNames names{m_users, m_credentials, m_clients};
    return names.named(std::move(*e));
}

std::string Administration::export_audit(AuditSearch search, AuditExportFormat format,
                                         std::size_t max_entries) const {
    search.limit = 1000;
    search.before_seq.reset();
    std::vector<NamedAuditEntry> all;
    for (;;) {
        AuditPage page = search_audit(search);
        for (auto& e : page.entries) {
            all.push_back(std::move(e));
        }
        require(all.size() <= max_entries, Errc::InvalidRequest,
                "the search selects more than " + std::to_string(max_entries) +
                    " entries: narrow it (time range) or use inkan audit export");
        if (!page.next_before) {
            break;
        }
        search.before_seq = page.next_before;
    }
    // Oldest first, as `inkan audit export` writes the chain.
    std::reverse(all.begin(), all.end());
    return audit_export_text(all, format);
}

AuditVerification Administration::verify_audit() const {
    return m_audit.verify();
}

}  // namespace inkan::service
