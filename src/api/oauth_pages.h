#pragma once

// The authorization server's HTML pages (oauth2/authorize): login, one-time code, consent, error.
// Server-rendered, no JavaScript, every echoed value HTML-escaped, every form carrying the CSRF
// token, every response with the frame-busting and no-store headers (oauth_pages.cpp).

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <inkan/core/secret.h>
#include <inkan/http/message.h>
#include <inkan/service/oauth.h>

namespace inkan::api::detail {

/// A whole page: doctype, `lang`, the no-referrer meta, the pages' one style sheet, `title` as the title
/// and heading (escaped), then `body` (already HTML).
std::string page_document(std::string_view title, const std::string& body, std::string_view lang = "en");
/// The opening of a POST form to `action` with the CSRF token and the step as hidden fields.
std::string form_open(std::string_view action, std::string_view csrf, std::string_view step);
/// `message` (plain text) as the page's alert paragraph; empty for an empty message.
std::string message_html(std::string_view message);

/// RFC 3986 unreserved characters stay, everything else is %XX (query values in redirects and links).
std::string percent_encode(std::string_view s);

/// HTML-escapes & < > " ' (text and attribute values alike).
std::string html_escape(std::string_view text);

/// The page for the authorization's current stage; `message` (already plain text) above the form.
/// `action` is the form's target (the oauth2/authorize path of the version).
http::Response oauth_page(const service::PageView& view, std::string_view action, std::string_view message,
                          int status = 200);
/// An error page that does not redirect (bad client or redirect_uri, expired authorization).
http::Response oauth_error_page(int status, std::string_view text);

/// The headers every page carries: X-Frame-Options DENY, a CSP allowing nothing but inline styles
/// and same-origin form posts, no-store, no referrer, nosniff. `redirect_uri`: the consent form's
/// answer redirects there, and browsers apply form-action to the redirect too (CSP 3 §6.4.2), so its
/// origin is allowed as well.
void page_headers(http::Response& r, std::string_view redirect_uri = {});

/// The value of the cookie `name` in the request's Cookie headers (RFC 6265 §5.4: "name=value" pairs
/// separated by "; "), as a Secret: the pages' cookies carry session references.
std::optional<Secret> cookie_value(const http::Request& r, std::string_view name);

/// "ja" or "en": the browser's first language in Accept-Language (RFC 9110 §12.5.4, in the order sent)
/// that the pages have; "en" when none is.
std::string_view preferred_language(const http::Request& r);

using FormFields = std::map<std::string, std::string>;
/// A form post's fields; nullopt for anything but a well-formed application/x-www-form-urlencoded body
/// without repeated fields.
std::optional<FormFields> form_body(const http::Request& r);
/// The field's value; empty when absent.
std::string form_field(const FormFields& f, std::string_view name);

}  // namespace inkan::api::detail
