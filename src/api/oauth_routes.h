#pragma once

// The OAuth 2.0 endpoints of the CSC API (csc-api.md §3.5, §4.4–4.7) and RFC 8414 discovery:
// GET/POST /csc/<v>/oauth2/authorize (the browser), POST oauth2/token, oauth2/revoke and (v2)
// oauth2/pushed_authorize, GET /.well-known/oauth-authorization-server. Token, revoke and PAR
// answer in RFC 6749 §5.2 form; the browser endpoint answers with pages or redirects.

#include <string>
#include <vector>

#include <inkan/api/csc.h>
#include <inkan/http/message.h>
#include <inkan/http/router.h>
#include <inkan/service/oauth.h>

namespace inkan::api::detail {

void add_oauth_routes(http::Router& router, service::OAuth& oauth, const ServiceInfo& info);
std::vector<http::RouteInfo> oauth_routes();
/// The form decoding of the endpoints without the service behind them (the fuzz target
/// fuzz/targets/oauth.cpp): what oauth2/authorize (POST) and pushed_authorize read from an
/// application/x-www-form-urlencoded body, and the client authentication of token, revoke and
/// pushed_authorize (HTTP Basic or client_id/client_secret in the form). WireError / Error as the routes.
service::AuthorizationParams decode_authorization_form(Version version, const http::Request& request);
service::ClientAuthentication decode_client_authentication(const http::Request& request);
/// The oauth2/* method names `info.methods` lists for the version.
std::vector<std::string> oauth_methods(Version version);

}  // namespace inkan::api::detail
