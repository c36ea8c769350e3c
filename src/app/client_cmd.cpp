// `inkan client add|list|remove`: OAuth 2.0 clients. A confidential client's secret is generated,
// printed once and stored as SHA-256 only.

#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include <inkan/core/clock.h>
#include <inkan/core/error.h>
#include <inkan/service/oauth.h>

#include "args.h"
#include "commands.h"
#include "service_context.h"

namespace inkan::app {

namespace {

nlohmann::json client_json(const service::OAuthClient& c) {
    return nlohmann::json{{"client_id", c.id},
                          {"name", c.name},
                          {"type", c.confidential ? "confidential" : "public"},
                          {"redirect_uris", c.redirect_uris},
                          {"seals", c.seal_credentials},
                          {"created_at", format_rfc3339(c.created_at)}};
}

}  // namespace

int cmd_client_add(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"json", "public", "confidential"}, {"data", "redirect-uri", "seal"}};
    if (args.positional().size() != 1) {
        throw UsageError{"client add takes one client NAME"};
    }
    if (args.flag("public") && args.flag("confidential")) {
        throw UsageError{"--public and --confidential exclude each other"};
    }
    const auto seals = args.values("seal");
    // A client that seals must keep a secret; otherwise confidential unless --public.
    const bool confidential = !args.flag("public");
    if (!confidential && !seals.empty()) {
        throw UsageError{"--seal needs a confidential client (not --public)"};
    }
    auto o = open_service(args.option_or("data", ""));
    const service::RegisteredClient created = o.service->oauth().add_client(
        args.positional()[0], args.values("redirect-uri"), confidential, seals, operator_name());
    if (args.flag("json")) {
        nlohmann::json out = client_json(created.client);
        if (created.secret) {
            out["client_secret"] = *created.secret;
        }
        io.out << out.dump(2) << "\n";
        return 0;
    }
    io.out << "client:        " << created.client.name << "\n"
           << "client_id:     " << created.client.id << "\n"
           << "type:          " << (confidential ? "confidential" : "public") << "\n";
    for (const auto& uri : created.client.redirect_uris) {
        io.out << "redirect_uri:  " << uri << "\n";
    }
    for (const auto& seal : created.client.seal_credentials) {
        io.out << "seal:          " << seal << "\n";
    }
    if (created.secret) {
        io.out << "client_secret: " << *created.secret << "\n(shown once: store it now)\n";
    }
    return 0;
}

int cmd_client_list(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"json"}, {"data"}};
    auto o = open_service(args.option_or("data", ""));
    const auto clients = o.service->oauth().list_clients();
    if (args.flag("json")) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& c : clients) {
            out.push_back(client_json(c));
        }
        io.out << out.dump(2) << "\n";
        return 0;
    }
    for (const auto& c : clients) {
        io.out << c.name << "  " << c.id << "  " << (c.confidential ? "confidential" : "public") << "  "
               << c.redirect_uris.size() << " redirect URI(s), " << c.seal_credentials.size() << " seal(s)\n";
    }
    return 0;
}

int cmd_client_remove(const std::vector<std::string>& words, Io io) {
    const Args args{words, {}, {"data"}};
    if (args.positional().size() != 1) {
        throw UsageError{"client remove takes one client NAME or id"};
    }
    auto o = open_service(args.option_or("data", ""));
    o.service->oauth().remove_client(args.positional()[0], operator_name());
    io.out << "removed client " << args.positional()[0] << "; its tokens no longer work\n";
    return 0;
}

}  // namespace inkan::app
