// `inkan user ...`: the operator's view of accounts. Secrets (passwords) come from standard input,
// never from argv; generated ones and TOTP enrolments are printed once.

#include <iomanip>
#include <ostream>
#include <string>

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
    const service::UserCreated created = o.service->accounts().add_user(std::move(request));
    o.service->audit_operator("user.add", created.user.id, {},
                              nlohmann::json{{"user", created.user.name},
                                             {"role", service::name(created.user.role)},
                                             {"totp", created.otpauth_uri.has_value()}}
                                  .dump());

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
            // Password guessing (decision 0015): the count since the last right password, and whether the
            // account takes no password now (`inkan user unlock` lifts it).
            const auto failures = o.service->accounts().password_failures(u.id);
            j["password_failures"] = failures ? failures->count : 0;
            j["password_locked"] = o.service->accounts().password_locked(u.id);
            arr.push_back(std::move(j));
        }
        io.out << arr.dump(2) << "\n";
        return 0;
    }
    for (const auto& u : users) {
        io.out << std::left << std::setw(24) << u.name << std::setw(10) << service::name(u.role)
               << std::setw(8)
               << (u.locked                                      ? "locked"
                   : o.service->accounts().password_locked(u.id) ? "pw-lock"
                                                                 : "-")
               << std::setw(6) << (u.totp_enrolled ? "totp" : "-") << u.display_name << "\n";
    }
    return 0;
}

int cmd_user_lock(const std::vector<std::string>& words, Io io) {
    const Args args{words, {}, {"data"}};
    const std::string& name = only_name(args, "user lock");
    auto o = open_service(args.option_or("data", ""));
    o.service->accounts().lock(name);
    o.service->audit_operator("user.lock", o.service->accounts().get_by_name(name).id, {},
                              nlohmann::json{{"user", name}}.dump());
    io.out << "inkan: locked user " << name << "\n";
    return 0;
}

int cmd_user_unlock(const std::vector<std::string>& words, Io io) {
    const Args args{words, {}, {"data"}};
    const std::string& name = only_name(args, "user unlock");
    auto o = open_service(args.option_or("data", ""));
    const std::string id = o.service->accounts().get_by_name(name).id;
    // The password-guessing count as it was, for the audit (decision 0015).
    const auto failures = o.service->accounts().password_failures(id);
    const bool password_locked = o.service->accounts().password_locked(id);
    o.service->accounts().unlock(name);
    o.service->audit_operator("user.unlock", id, {},
                              nlohmann::json{{"user", name},
                                             {"password_failures", failures ? failures->count : 0},
                                             {"password_locked", password_locked}}
                                  .dump());
    // The OTP lockout too (sole control): wrong one-time codes no longer count against the user.
    o.service->authorization().unlock_otp(name, operator_name());
    io.out << "inkan: unlocked user " << name << " (account, password failures and OTP)\n";
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
    const auto [uri, secret] = o.service->accounts().enrol_totp(name);
    o.service->audit_operator("user.totp", o.service->accounts().get_by_name(name).id, {},
                              nlohmann::json{{"user", name}}.dump());
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
