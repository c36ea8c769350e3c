// `inkan user ...`: the operator's view of accounts. Secrets (passwords) come from standard input,
// never from argv; generated ones and TOTP enrolments are printed once.

#include <algorithm>
#include <iomanip>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <inkan/core/clock.h>
#include <inkan/core/error.h>
#include <inkan/service/accounts.h>
#include <inkan/service/model.h>

#include "args.h"
#include "commands.h"
#include "service_context.h"

namespace inkan::app {

namespace {

nlohmann::json user_json(const service::User& u) {
    return nlohmann::json{{"id", u.id},
                          {"name", u.name},
                          {"display_name", u.display_name},
                          {"role", service::name(u.role)},
                          {"locked", u.locked},
                          {"totp", u.totp_enrolled},
                          {"created_at", format_rfc3339(u.created_at)}};
}

/// Every lock that can refuse the user, by what clears it (decision 0040): the operator's account lock
/// (`user lock`), password guessing (decision 0015), the one-time-code lock (wrong OTPs, for all their
/// credentials) — all three cleared by `user unlock` — and each credential's PIN lock (`credential
/// unlock`).
nlohmann::json locks_json(ServiceContext& service, const service::User& u) {
    const auto failures = service.accounts().password_failures(u.id);
    const auto otp = service.authorization().otp_lock(u.id);
    nlohmann::json j{{"password_failures", failures ? failures->count : 0},
                     {"password_locked", service.accounts().password_locked(u.id)},
                     {"otp_failures", otp.failures},
                     {"otp_locked", otp.locked}};
    nlohmann::json pins = nlohmann::json::array();
    for (const auto& c : service.credentials().list_for(u.id)) {
        const auto pin = service.authorization().pin_lock(c.id, u.id);
        if (pin.failures > 0) {
            pins.push_back(
                {{"credential", c.id}, {"pin_failures", pin.failures}, {"pin_locked", pin.locked}});
        }
    }
    j["pin_locks"] = pins;
    return j;
}

/// The short lock column of `user list`: every lock in force, comma-separated, or "-".
std::string lock_column(const service::User& u, const nlohmann::json& locks) {
    std::string out;
    const auto add = [&out](std::string_view what) { out += (out.empty() ? "" : ",") + std::string{what}; };
    if (u.locked) add("locked");
    if (locks["password_locked"].get<bool>()) add("pw-lock");
    if (locks["otp_locked"].get<bool>()) add("otp-lock");
    for (const auto& p : locks["pin_locks"]) {
        if (p["pin_locked"].get<bool>()) {
            add("pin-lock");
            break;
        }
    }
    return out.empty() ? "-" : out;
}

const std::string& only_name(const Args& args, std::string_view command) {
    if (args.positional().size() != 1) {
        throw UsageError{std::string{command} + " takes one user NAME"};
    }
    return args.positional()[0];
}

}  // namespace

int cmd_user_add(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"json", "password-stdin", "totp"}, {"data", "display-name", "role"}};
    const std::string& name = only_name(args, "user add");
    const auto role = service::role_from_name(args.option_or("role", "user"));
    if (!role) {
        throw UsageError{"--role must be user, operator or auditor"};
    }
    const bool generated = !args.flag("password-stdin");
    Secret password = generated ? random_password() : read_secret_line(io.in, "password");

    auto o = open_service(args.option_or("data", ""));
    service::NewUser request;
    request.name = name;
    request.display_name = args.option_or("display-name", "");
    request.role = *role;
    request.password = password.clone();
    request.totp = args.flag("totp");
    const service::UserCreated created =
        o.service->administration().add_user(o.service->actor(), std::move(request));

    if (args.flag("json")) {
        nlohmann::json out{{"user", user_json(created.user)}};
        if (generated) {
            out["password"] = std::string{password.reveal()};
        }
        if (created.otpauth_uri) {
            out["otpauth_uri"] = *created.otpauth_uri;
            out["totp_secret"] = *created.totp_secret_base32;
        }
        io.out << out.dump(2) << "\n";
        return 0;
    }
    io.out << "user:      " << created.user.name << " (" << service::name(created.user.role) << ", id "
           << created.user.id << ")\n";
    if (generated) {
        io.out << "password:  " << password.reveal() << "\n";
    }
    if (created.otpauth_uri) {
        io.out << "otpauth:   " << *created.otpauth_uri << "\n";
    }
    if (generated || created.otpauth_uri) {
        io.err << "inkan: shown once; inkan keeps only a hash of the password and the TOTP seed sealed in "
                  "the HSM\n";
    }
    return 0;
}

int cmd_user_list(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"json"}, {"data"}};
    if (!args.positional().empty()) {
        throw UsageError{"user list takes no arguments"};
    }
    auto o = open_service(args.option_or("data", ""));
    const auto users = o.service->accounts().list();
    if (args.flag("json")) {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& u : users) {
            nlohmann::json j = user_json(u);
            // Password guessing (decision 0015), the OTP lock and PIN locks (decision 0040): the counts
            // since the last right factor, and whether each refuses now.
            j.update(locks_json(*o.service, u));
            arr.push_back(std::move(j));
        }
        io.out << arr.dump(2) << "\n";
        return 0;
    }
    std::vector<std::string> columns;
    std::size_t lock_width = 4;
    for (const auto& u : users) {
        columns.push_back(lock_column(u, locks_json(*o.service, u)));
        lock_width = std::max(lock_width, columns.back().size());
    }
    for (std::size_t i = 0; i < users.size(); ++i) {
        const auto& u = users[i];
        io.out << std::left << std::setw(24) << u.name << std::setw(10) << service::name(u.role)
               << std::setw(static_cast<int>(lock_width + 2)) << columns[i] << std::setw(6)
               << (u.totp_enrolled ? "totp" : "-") << u.display_name << "\n";
    }
    return 0;
}

int cmd_user_show(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"json"}, {"data"}};
    const std::string& name = only_name(args, "user show");
    auto o = open_service(args.option_or("data", ""));
    const service::User u = o.service->accounts().get_by_name(name);
    const nlohmann::json locks = locks_json(*o.service, u);
    if (args.flag("json")) {
        nlohmann::json j = user_json(u);
        j.update(locks);
        io.out << j.dump(2) << "\n";
        return 0;
    }
    io.out << "name:         " << u.name << "\n"
           << "id:           " << u.id << "\n"
           << "role:         " << service::name(u.role) << "\n"
           << "display name: " << u.display_name << "\n"
           << "TOTP:         " << (u.totp_enrolled ? "enrolled" : "none") << "\n"
           << "created:      " << format_rfc3339(u.created_at) << "\n";
    // Each lock with what clears it: the CSC v2 client only ever hears "Credential locked".
    bool any = false;
    const auto lock_line = [&](const std::string& text) {
        io.out << "lock:         " << text << "\n";
        any = true;
    };
    if (u.locked) lock_line("account (inkan user lock; inkan user unlock " + u.name + ")");
    if (locks["password_locked"].get<bool>()) {
        lock_line("password (" + std::to_string(locks["password_failures"].get<int>()) +
                  " wrong passwords; inkan user unlock " + u.name + ")");
    }
    if (locks["otp_locked"].get<bool>()) {
        lock_line("one-time code (" + std::to_string(locks["otp_failures"].get<int>()) +
                  " wrong codes, every credential refused; inkan user unlock " + u.name + ")");
    }
    for (const auto& p : locks["pin_locks"]) {
        if (p["pin_locked"].get<bool>()) {
            lock_line("PIN of credential " + p["credential"].get<std::string>() + " (" +
                      std::to_string(p["pin_failures"].get<int>()) + " wrong PINs; inkan credential unlock " +
                      p["credential"].get<std::string>() + ")");
        }
    }
    if (!any) io.out << "lock:         none\n";
    return 0;
}

int cmd_user_lock(const std::vector<std::string>& words, Io io) {
    const Args args{words, {}, {"data"}};
    const std::string& name = only_name(args, "user lock");
    auto o = open_service(args.option_or("data", ""));
    o.service->administration().lock_user(o.service->actor(), name);
    io.out << "inkan: locked user " << name << "\n";
    return 0;
}

int cmd_user_role(const std::vector<std::string>& words, Io io) {
    const Args args{words, {}, {"data"}};
    if (args.positional().size() != 2) {
        throw UsageError{"user role takes a user NAME and a role (operator, auditor or user)"};
    }
    const auto role = service::role_from_name(args.positional()[1]);
    if (!role) {
        throw UsageError{"the role must be operator, auditor or user"};
    }
    auto o = open_service(args.option_or("data", ""));
    // The console's role form too: one change, one audit entry, under the operator's name.
    const service::User user =
        o.service->administration().set_role(o.service->actor(), args.positional()[0], *role);
    io.out << "inkan: " << user.name << " is now " << service::name(user.role) << "\n";
    return 0;
}

int cmd_user_unlock(const std::vector<std::string>& words, Io io) {
    const Args args{words, {}, {"data"}};
    const std::string& name = only_name(args, "user unlock");
    auto o = open_service(args.option_or("data", ""));
    // The account, password and one-time-code locks, each as it was (what the message below names).
    const service::UnlockResult unlocked = o.service->administration().unlock_user(o.service->actor(), name);
    const service::User& user = unlocked.user;
    const std::string& id = user.id;
    const bool password_locked = unlocked.password_locked;
    const auto& otp = unlocked.otp;
    // Say exactly what was cleared, and what this command does not clear (decision 0040).
    std::vector<std::string> cleared;
    if (user.locked) cleared.emplace_back("the account lock");
    if (password_locked) cleared.emplace_back("the password lock");
    if (otp.locked)
        cleared.emplace_back("the one-time-code lock (" + std::to_string(otp.failures) + " wrong codes)");
    if (cleared.empty()) {
        io.out << "inkan: user " << name
               << " had no account, password or one-time-code lock; nothing to clear\n";
    } else {
        io.out << "inkan: unlocked user " << name << ": cleared";
        for (std::size_t i = 0; i < cleared.size(); ++i) {
            io.out << (i == 0 ? " " : i + 1 == cleared.size() ? " and " : ", ") << cleared[i];
        }
        io.out << "\n";
    }
    for (const auto& c : o.service->credentials().list_for(id)) {
        if (o.service->authorization().pin_lock(c.id, id).locked) {
            io.out << "inkan: the PIN of credential " << c.id << " stays locked: inkan credential unlock "
                   << c.id << "\n";
        }
    }
    return 0;
}

int cmd_user_passwd(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"password-stdin"}, {"data"}};
    const std::string& name = only_name(args, "user passwd");
    if (!args.flag("password-stdin")) {
        throw UsageError{"user passwd reads the new password from standard input: give --password-stdin"};
    }
    const Secret password = read_secret_line(io.in, "password");
    auto o = open_service(args.option_or("data", ""));
    o.service->accounts().change_password(name, password);
    o.service->audit_operator("user.passwd", o.service->accounts().get_by_name(name).id, {},
                              nlohmann::json{{"user", name}}.dump());
    io.out << "inkan: changed the password of " << name << "\n";
    return 0;
}

int cmd_user_totp(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"json"}, {"data"}};
    const std::string& name = only_name(args, "user totp");
    auto o = open_service(args.option_or("data", ""));
    const auto [uri, secret] = o.service->administration().reset_totp(o.service->actor(), name);
    if (args.flag("json")) {
        io.out << nlohmann::json{{"user", name}, {"otpauth_uri", uri}, {"totp_secret", secret}}.dump(2)
               << "\n";
        return 0;
    }
    io.out << "otpauth:   " << uri << "\n";
    io.err << "inkan: a new TOTP seed for " << name << " (the previous one no longer works); shown once\n";
    return 0;
}

}  // namespace inkan::app
