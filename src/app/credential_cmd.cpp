// `inkan credential ...` and `inkan seal ...`: signing credentials (keys in the HSM, certificates from a
// CA connector) and e-seal membership. PINs come from standard input, never from argv; generated ones
// are printed once.

#include <fstream>
#include <iomanip>
#include <iterator>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <inkan/core/clock.h>
#include <inkan/core/error.h>
#include <inkan/pki/certificate.h>
#include <inkan/pki/profile.h>
#include <inkan/pki/store.h>
#include <inkan/service/credentials.h>

#include "args.h"
#include "commands.h"
#include "context.h"
#include "pki_context.h"
#include "service_context.h"

namespace inkan::app {

namespace {

using service::Credential;
using service::CredentialKind;

/// User id → name, for printing owners and members.
std::map<std::string, std::string> user_names(ServiceContext& service) {
    std::map<std::string, std::string> names;
    for (const auto& u : service.accounts().list()) {
        names[u.id] = u.name;
    }
    return names;
}

std::string name_of(const std::map<std::string, std::string>& names, const std::string& id) {
    const auto it = names.find(id);
    return it == names.end() ? id : it->second;
}

int int_option(const Args& args, const std::string& name, int fallback) {
    const auto text = args.option(name);
    if (!text) {
        return fallback;
    }
    try {
        std::size_t used = 0;
        const int value = std::stoi(*text, &used);
        if (used == text->size()) {
            return value;
        }
    } catch (const std::exception&) {
    }
    throw UsageError{"--" + name + " takes a number"};
}

/// The users who activate `c` with a PIN of their own: its owner, or a seal's members.
std::vector<std::string> pin_holders(ServiceContext& service, const Credential& c) {
    if (c.kind == CredentialKind::Personal) {
        return {c.owner_user_id};
    }
    std::vector<std::string> ids;
    for (const auto& m : service.credentials().members(c.id)) {
        ids.push_back(m.user_id);
    }
    return ids;
}

/// Per holder, both locks that can refuse `c`: its PIN lock and the user's OTP lock. Over CSC v2 either
/// is the same "Credential locked", so the operator needs to see which one is in force (decision 0040).
nlohmann::json locks_json(ServiceContext& service, const Credential& c,
                          const std::map<std::string, std::string>& names) {
    nlohmann::json locks = nlohmann::json::array();
    for (const auto& user_id : pin_holders(service, c)) {
        const auto pin = service.authorization().pin_lock(c.id, user_id);
        const auto otp = service.authorization().otp_lock(user_id);
        locks.push_back({{"user", name_of(names, user_id)},
                         {"pin_failures", pin.failures},
                         {"pin_locked", pin.locked},
                         {"otp_failures", otp.failures},
                         {"otp_locked", otp.locked}});
    }
    return locks;
}

nlohmann::json credential_json(ServiceContext& service, const Credential& c,
                               const std::map<std::string, std::string>& names, bool details) {
    nlohmann::json j{{"id", c.id},
                     {"kind", service::name(c.kind)},
                     {"status", service::name(c.status)},
                     {"key_algo", c.key_algo},
                     {"ca", c.ca},
                     {"profile", c.profile},
                     {"scal", c.scal},
                     {"multisign", c.multisign},
                     {"auth_mode", service::name(c.auth_mode)},
                     {"signature_qualifier", c.signature_qualifier},
                     {"description", c.description},
                     {"created_at", format_rfc3339(c.created_at)}};
    if (!c.renewed_to.empty()) {
        j["renewed_to"] = c.renewed_to;
    }
    if (!c.renewal_of.empty()) {
        j["renewal_of"] = c.renewal_of;
    }
    if (c.kind == CredentialKind::Personal) {
        j["owner"] = name_of(names, c.owner_user_id);
    } else {
        j["organization"] = c.organization;
    }
    if (!c.chain.empty()) {
        const auto leaf = pki::Certificate::from_der(c.chain.front());
        j["subject"] = leaf.subject();
        j["issuer"] = leaf.issuer();
        j["serial"] = leaf.serial_hex();
        j["not_before"] = format_rfc3339(leaf.not_before());
        j["not_after"] = format_rfc3339(leaf.not_after());
    }
    if (details) {
        if (c.kind == CredentialKind::Seal) {
            nlohmann::json members = nlohmann::json::array();
            for (const auto& m : service.credentials().members(c.id)) {
                members.push_back(
                    {{"user", name_of(names, m.user_id)}, {"added_at", format_rfc3339(m.added_at)}});
            }
            j["members"] = members;
        }
        j["locks"] = locks_json(service, c, names);
        j["chain_pem"] = pki::certificates_pem(c.chain);
    }
    return j;
}

}  // namespace

int cmd_credential_create(const std::vector<std::string>& words, Io io) {
    const Args args{
        words,
        {"json", "pin-stdin"},
        {"data", "user", "algo", "ca", "profile", "organization", "org-id", "scal", "multisign", "auth-mode",
         "signature-qualifier", "description", "common-name", "given-name", "surname", "country"}};
    if (!args.positional().empty()) {
        throw UsageError{"credential create takes no positional arguments"};
    }
    const std::string algo = args.option_or("algo", "ec-p256");
    const auto key = hsm::key_spec_from_name(algo);
    if (!key) {
        throw UsageError{"--algo must be rsa-2048, rsa-3072, rsa-4096, ec-p256, ec-p384 or ec-p521"};
    }
    const std::string profile = args.option_or("profile", "person");
    const auto auth_mode = service::auth_mode_from_name(args.option_or("auth-mode", "explicit"));
    if (!auth_mode) {
        throw UsageError{"--auth-mode must be explicit or oauth2code"};
    }
    // Empty: the service's default by kind (advanced; qualified only when the operator says so).
    const std::string qualifier = args.option_or("signature-qualifier", "");
    if (!qualifier.empty() && !service::is_signature_qualifier(qualifier)) {
        throw UsageError{"--signature-qualifier must be one of " + service::signature_qualifier_list()};
    }

    auto o = open_service(args.option_or("data", ""));
    const pki::Profile& p = profiles_from_config(o.runtime->config).get(profile);
    if (p.kind != pki::ProfileKind::Person && p.kind != pki::ProfileKind::Seal) {
        throw UsageError{"--profile " + profile + " is not a person or seal profile"};
    }
    service::NewCredential request;
    request.kind = service::credential_kind_of(p);
    request.profile = profile;
    request.key = *key;
    request.ca = args.option_or("ca", "");
    request.scal = int_option(args, "scal", 2);
    request.multisign = int_option(args, "multisign", 1);
    request.auth_mode = *auth_mode;
    request.signature_qualifier = qualifier;
    request.description = args.option_or("description", "");
    request.common_name = args.option_or("common-name", "");
    request.country = args.option_or("country", "JP");

    bool generated_pin = false;
    Secret pin;
    if (request.kind == CredentialKind::Personal) {
        const auto user = args.option("user");
        if (!user) {
            throw UsageError{"a personal credential needs --user NAME"};
        }
        if (args.option("organization") || args.option("org-id")) {
            throw UsageError{"--organization and --org-id are for seals (--profile seal)"};
        }
        request.owner = *user;
        request.given_name = args.option_or("given-name", "");
        request.surname = args.option_or("surname", "");
        if (*auth_mode == service::AuthMode::OAuth2Code) {
            // The store keeps a PIN hash for every personal credential; an oauth2code credential's
            // is of a random PIN nobody sees, since credentials/authorize refuses it anyway
            // (docs/decisions/0012-credential-auth-mode.md).
            if (args.flag("pin-stdin")) {
                throw UsageError{"an oauth2code credential has no PIN: it is authorised through OAuth2"};
            }
            pin = random_pin();
        } else {
            generated_pin = !args.flag("pin-stdin");
            pin = generated_pin ? random_pin() : read_secret_line(io.in, "PIN");
        }
        request.pin = pin.clone();
    } else {
        if (args.flag("pin-stdin")) {
            throw UsageError{"a seal has no PIN of its own: members get theirs with `inkan seal add-member`"};
        }
        if (args.option("user")) {
            io.err << "inkan: --user is ignored for a seal; add members with `inkan seal add-member`\n";
        }
        const auto org = args.option("organization");
        const auto org_id = args.option("org-id");
        if (!org || !org_id) {
            throw UsageError{"a seal needs --organization O and --org-id ID (e.g. NTRJP-1234567890123)"};
        }
        request.organization = *org;
        request.organization_identifier = *org_id;
    }

    // The console's create too: one change, one audit entry, under the operator's name.
    const auto created =
        o.service->administration().create_credential(o.service->actor(), std::move(request));
    const Credential& c = created.credential;
    if (args.flag("json")) {
        nlohmann::json out{{"credential", credential_json(*o.service, c, user_names(*o.service), false)}};
        if (generated_pin) {
            out["pin"] = std::string{pin.reveal()};
        }
        if (!created.csr_pem.empty()) {
            out["csr_pem"] = created.csr_pem;
        }
        io.out << out.dump(2) << "\n";
        return 0;
    }
    io.out << "credential: " << c.id << "\n"
           << "status:     " << service::name(c.status) << "\n"
           << "kind:       " << service::name(c.kind) << " (" << c.key_algo << ", SCAL " << c.scal << ", CA "
           << c.ca << ")\n"
           << "auth mode:  " << service::name(c.auth_mode) << "\n"
           << "qualifier:  " << c.signature_qualifier << "\n";
    if (!c.chain.empty()) {
        io.out << "subject:    " << pki::Certificate::from_der(c.chain.front()).subject() << "\n";
    }
    if (generated_pin) {
        io.out << "pin:        " << pin.reveal() << "\n";
        io.err << "inkan: the PIN is shown once; inkan keeps only its hash\n";
    }
    if (!created.csr_pem.empty()) {
        io.out << created.csr_pem << (created.csr_pem.back() == '\n' ? "" : "\n");
        io.err << "inkan: take the CSR to the CA, then run: inkan credential import-cert " << c.id
               << " --cert FILE\n";
    }
    return 0;
}

int cmd_credential_list(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"json"}, {"data", "user"}};
    if (!args.positional().empty()) {
        throw UsageError{"credential list takes no positional arguments"};
    }
    auto o = open_service(args.option_or("data", ""));
    std::vector<Credential> list;
    if (const auto user = args.option("user")) {
        list = o.service->credentials().list_for(o.service->accounts().get_by_name(*user).id);
    } else {
        list = o.service->credentials().list();
    }
    const auto names = user_names(*o.service);
    if (args.flag("json")) {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& c : list) {
            arr.push_back(credential_json(*o.service, c, names, false));
        }
        io.out << arr.dump(2) << "\n";
        return 0;
    }
    for (const auto& c : list) {
        const std::string holder =
            c.kind == CredentialKind::Personal ? name_of(names, c.owner_user_id) : c.organization;
        io.out << std::left << std::setw(24) << c.id << std::setw(10) << service::name(c.kind)
               << std::setw(10) << service::name(c.status) << std::setw(10) << c.key_algo << std::setw(18)
               << c.signature_qualifier << holder << "\n";
    }
    return 0;
}

int cmd_credential_show(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"json"}, {"data"}};
    if (args.positional().size() != 1) {
        throw UsageError{"credential show takes one credential ID"};
    }
    auto o = open_service(args.option_or("data", ""));
    const Credential c = o.service->credentials().get(args.positional()[0]);
    const auto j = credential_json(*o.service, c, user_names(*o.service), true);
    if (args.flag("json")) {
        io.out << j.dump(2) << "\n";
        return 0;
    }
    io.out << "id:          " << c.id << "\n"
           << "kind:        " << service::name(c.kind) << "\n";
    if (c.kind == CredentialKind::Personal) {
        io.out << "owner:       " << j["owner"].get<std::string>() << "\n";
    } else {
        io.out << "organization: " << c.organization << "\n";
    }
    io.out << "status:      " << service::name(c.status)
           << (c.renewed_to.empty() ? "" : " (renewed as " + c.renewed_to + "; key kept, not used)") << "\n";
    if (!c.renewal_of.empty()) {
        io.out << "renewal of:  " << c.renewal_of << "\n";
    }
    io.out << "key:         " << c.key_algo << "\n"
           << "SCAL:        " << c.scal << "\n"
           << "multisign:   " << c.multisign << "\n"
           << "auth mode:   " << service::name(c.auth_mode) << "\n"
           << "qualifier:   " << c.signature_qualifier << "\n"
           << "CA:          " << c.ca << " (profile " << c.profile << ")\n";
    if (!c.description.empty()) {
        io.out << "description: " << c.description << "\n";
    }
    if (j.contains("subject")) {
        io.out << "subject:     " << j["subject"].get<std::string>() << "\n"
               << "issuer:      " << j["issuer"].get<std::string>() << "\n"
               << "serial:      " << j["serial"].get<std::string>() << "\n"
               << "valid:       " << j["not_before"].get<std::string>() << " .. "
               << j["not_after"].get<std::string>() << "\n";
    }
    if (j.contains("members")) {
        io.out << "members:    ";
        for (const auto& m : j["members"]) {
            io.out << " " << m["user"].get<std::string>();
        }
        io.out << (j["members"].empty() ? " (none)\n" : "\n");
    }
    bool any_lock = false;
    for (const auto& l : j["locks"]) {
        const std::string user = l["user"].get<std::string>();
        if (l["pin_locked"].get<bool>()) {
            io.out << "lock:        PIN of " << user << " (" << l["pin_failures"].get<int>()
                   << " wrong PINs; inkan credential unlock " << c.id << ")\n";
            any_lock = true;
        }
        if (l["otp_locked"].get<bool>()) {
            io.out << "lock:        one-time code of " << user << " (" << l["otp_failures"].get<int>()
                   << " wrong codes; a user lock, for every credential: inkan user unlock " << user << ")\n";
            any_lock = true;
        }
    }
    if (!any_lock) {
        io.out << "lock:        none\n";
    }
    io.out << pki::certificates_pem(c.chain);
    return 0;
}

int cmd_credential_revoke(const std::vector<std::string>& words, Io io) {
    const Args args{words, {}, {"data", "reason"}};
    if (args.positional().size() != 1) {
        throw UsageError{"credential revoke takes one credential ID"};
    }
    const pki::RevocationReason reason =
        pki::revocation_reason_from_name(args.option_or("reason", "unspecified"));
    auto o = open_service(args.option_or("data", ""));
    const std::string& id = args.positional()[0];
    const Credential before = o.service->credentials().get(id);
    // The console's revoke too (decision 0041): one change, one audit entry, under the operator's name.
    o.service->administration().revoke_credential(o.service->actor(), id, reason);
    io.out << "inkan: revoked credential " << id << " (" << pki::name(reason) << "); its key is destroyed\n";
    if (!before.chain.empty()) {
        const auto serial = pki::Certificate::from_der(before.chain.front()).serial_hex();
        std::string kind = "unconfigured";
        try {
            kind = o.pki->kind(before.ca);
        } catch (const Error&) {
        }
        if (kind == "builtin") {
            io.out << "inkan: certificate " << serial << " revoked at " << before.ca << "\n";
        } else {
            io.err << "inkan: " << before.ca << " is a " << kind << " CA: revoke certificate " << serial
                   << " there\n";
        }
    }
    return 0;
}

int cmd_credential_renew(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"json"}, {"data", "algo"}};
    if (args.positional().size() != 1) {
        throw UsageError{"credential renew takes one credential ID"};
    }
    std::optional<hsm::KeySpec> key;
    if (const auto algo = args.option("algo")) {
        key = hsm::key_spec_from_name(*algo);
        if (!key) {
            throw UsageError{"--algo takes rsa-2048, rsa-3072, rsa-4096, ec-p256, ec-p384 or ec-p521"};
        }
    }
    auto o = open_service(args.option_or("data", ""));
    const std::string& id = args.positional()[0];
    const Credential old = o.service->credentials().get(id);
    const Credential renewed = o.service->credentials().renew(id, key);
    const std::string old_serial = pki::Certificate::from_der(old.chain.front()).serial_hex();
    const pki::Certificate leaf = pki::Certificate::from_der(renewed.chain.front());
    const nlohmann::json j{{"credential", renewed.id},     {"renewal_of", old.id},
                           {"serial", leaf.serial_hex()},  {"old_serial", old_serial},
                           {"key_algo", renewed.key_algo}, {"not_after", format_rfc3339(leaf.not_after())}};
    // Recorded under both IDs' names: the new entry names the old credential too, so an audit reader
    // following either finds the other.
    o.service->audit_operator("credential.renew", renewed.owner_user_id, renewed.id, j.dump());
    if (args.flag("json")) {
        io.out << j.dump(2) << "\n";
        return 0;
    }
    io.out << "inkan: credential " << old.id << " renewed as " << renewed.id << " (" << renewed.key_algo
           << ", certificate " << leaf.serial_hex() << " until " << format_rfc3339(leaf.not_after()) << ")\n"
           << "inkan: " << old.id << " is disabled for signing; its key and certificate " << old_serial
           << " are kept for validation\n";
    return 0;
}

int cmd_credential_import_cert(const std::vector<std::string>& words, Io io) {
    const Args args{words, {}, {"data", "cert", "trust-anchor"}};
    if (args.positional().size() != 1) {
        throw UsageError{"credential import-cert takes one credential ID"};
    }
    const auto cert = args.option("cert");
    if (!cert) {
        throw UsageError{
            "credential import-cert needs --cert FILE (the certificate, then any intermediates)"};
    }
    const std::string chain_pem = read_text_file(*cert, Errc::NotFound);
    auto o = open_service(args.option_or("data", ""));
    Bytes anchor;
    if (const auto file = args.option("trust-anchor")) {
        anchor = read_certificates(*file).front();
    } else {
        anchor = configured_trust_anchor(o.runtime->config, *o.pki);
    }
    // The console's upload too: the same checks and the same audit entry.
    const Credential c = o.service->administration().import_certificate(
        o.service->actor(), args.positional()[0], chain_pem, anchor);
    io.out << "inkan: credential " << c.id
           << " is active: " << pki::Certificate::from_der(c.chain.front()).subject() << "\n";
    return 0;
}

int cmd_seal_add_member(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"pin-stdin", "json"}, {"data"}};
    if (args.positional().size() != 2) {
        throw UsageError{"seal add-member takes a credential ID and a user NAME"};
    }
    const bool generated = !args.flag("pin-stdin");
    const Secret pin = generated ? random_pin() : read_secret_line(io.in, "PIN");
    auto o = open_service(args.option_or("data", ""));
    o.service->administration().add_seal_member(o.service->actor(), args.positional()[0],
                                                args.positional()[1], pin);
    if (args.flag("json")) {
        nlohmann::json out{{"credential", args.positional()[0]}, {"user", args.positional()[1]}};
        if (generated) {
            out["pin"] = std::string{pin.reveal()};
        }
        io.out << out.dump(2) << "\n";
        return 0;
    }
    io.out << "inkan: " << args.positional()[1] << " is a member of seal " << args.positional()[0] << "\n";
    if (generated) {
        io.out << "pin:        " << pin.reveal() << "\n";
        io.err << "inkan: the PIN is shown once; inkan keeps only its hash\n";
    }
    return 0;
}

int cmd_seal_remove_member(const std::vector<std::string>& words, Io io) {
    const Args args{words, {}, {"data"}};
    if (args.positional().size() != 2) {
        throw UsageError{"seal remove-member takes a credential ID and a user NAME"};
    }
    auto o = open_service(args.option_or("data", ""));
    o.service->administration().remove_seal_member(o.service->actor(), args.positional()[0],
                                                   args.positional()[1]);
    io.out << "inkan: " << args.positional()[1] << " is no longer a member of seal " << args.positional()[0]
           << "\n";
    return 0;
}

}  // namespace inkan::app

namespace inkan::app {

int cmd_credential_unlock(const std::vector<std::string>& words, Io io) {
    const Args args{words, {}, {"data"}};
    if (args.positional().size() != 1) {
        throw UsageError{"credential unlock takes one credential ID"};
    }
    auto o = open_service(args.option_or("data", ""));
    const Credential c = o.service->credentials().get(args.positional()[0]);
    const auto names = user_names(*o.service);
    std::vector<std::string> pin_locked;
    std::vector<std::string> counted;  // wrong PINs below the lock: cleared too
    std::vector<std::string> otp_locked;
    for (const auto& user_id : pin_holders(*o.service, c)) {
        const auto pin = o.service->authorization().pin_lock(c.id, user_id);
        if (pin.locked) {
            pin_locked.push_back(name_of(names, user_id) + " (" + std::to_string(pin.failures) +
                                 " wrong PINs)");
        } else if (pin.failures > 0) {
            counted.push_back(name_of(names, user_id));
        }
        if (o.service->authorization().otp_lock(user_id).locked) {
            otp_locked.push_back(name_of(names, user_id));
        }
    }
    // "Credential locked" with no PIN lock is a user's one-time-code lock: clearing the PIN would report
    // success and change nothing (issue 25), so refuse and name the command that clears it.
    if (pin_locked.empty() && !otp_locked.empty()) {
        std::string users;
        std::string commands;
        for (const auto& u : otp_locked) {
            users += (users.empty() ? "" : ", ") + u;
            commands += (commands.empty() ? "`inkan user unlock " : "`, `inkan user unlock ") + u;
        }
        throw Error{Errc::Conflict, "the PIN of credential " + c.id +
                                        " is not locked; the lock in force is the one-time-code lock of " +
                                        users + " (a user lock, for all their credentials): clear it with " +
                                        commands + "`; nothing changed"};
    }
    o.service->authorization().unlock_credential(c.id, operator_name());
    if (pin_locked.empty()) {
        io.out << "inkan: the PIN of credential " << c.id << " was not locked"
               << (counted.empty() ? "; nothing to clear\n" : "; cleared the wrong-PIN counts\n");
        return 0;
    }
    io.out << "inkan: unlocked the PIN of credential " << c.id << " for";
    for (const auto& u : pin_locked) {
        io.out << " " << u;
    }
    io.out << "\n";
    return 0;
}

}  // namespace inkan::app
