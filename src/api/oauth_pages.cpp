#include "oauth_pages.h"

#include <algorithm>

#include <inkan/core/encoding.h>
#include <inkan/crypto/algorithms.h>

namespace inkan::api::detail {

namespace {

constexpr std::string_view kStyle =
    "body{font-family:sans-serif;max-width:34em;margin:2em auto;padding:0 1em;color:#222}"
    "label{display:block;margin:.8em 0 .2em}input[type=text],input[type=password]{width:100%;"
    "padding:.4em;font-size:1.1em;box-sizing:border-box}button{margin:1em .5em 0 0;padding:.5em 1.2em;"
    "font-size:1em}.msg{color:#a00}dl{display:grid;grid-template-columns:auto 1fr;gap:.3em 1em}"
    "dt{font-weight:bold}code{word-break:break-all}";

std::string who(const service::PageView& v) {
    std::string out = "<p>The application <strong id=\"client\">";
    out += html_escape(v.client_name);
    out += "</strong> asks for ";
    out += v.params.scope == "credential" ? "permission to create signatures with your key"
                                          : "access to your signing account";
    out += ".</p>\n";
    return out;
}

/// A request by signatureQualifier that several of the user's credentials match: one radio button
/// each (server-rendered, no JavaScript); the form's "credential" field carries the pick.
std::string credential_choices(const service::PageView& v) {
    if (!v.params.credential || !v.params.credential->credential_id.empty() || v.choices.size() < 2) {
        return {};
    }
    std::string out = "<fieldset id=\"choices\"><legend>Sign with</legend>";
    for (const auto& c : v.choices) {
        out += "<label><input type=\"radio\" name=\"credential\" required value=\"";
        out += html_escape(c.id);
        out += "\"> ";
        out += html_escape(c.description.empty() ? c.key_algo : c.description);
        out += " <code>";
        out += html_escape(c.id);
        out += "</code></label><br>";
    }
    out += "</fieldset>";
    return out;
}

std::string consent_details(const service::PageView& v) {
    std::string out = "<dl>";
    const auto row = [&](std::string_view term, std::string_view value, std::string_view id) {
        out += "<dt>";
        out += html_escape(term);
        out += "</dt><dd id=\"";
        out += html_escape(id);
        out += "\">";
        out += html_escape(value);
        out += "</dd>";
    };
    row("Signed in as", v.user_name, "user");
    row("Access", v.params.scope, "scope");
    if (v.params.credential) {
        const auto& g = *v.params.credential;
        if (!g.signature_qualifier.empty()) {
            row("Signature qualifier", g.signature_qualifier, "signature-qualifier");
        }
        if (!g.credential_id.empty()) {
            row("Credential", g.credential_id, "credential");
        } else if (v.credential) {
            row("Credential", v.credential->id, "credential");
        }
        if (g.credential_id.empty() && v.choices.size() > 1) {
            // Chosen with the radio buttons inside the form (credential_choices).
        } else if (g.credential_id.empty() && v.choices.empty()) {
            row("Key", "you have no credential with this signature qualifier", "credential-description");
        } else if (v.credential) {
            row("Key", v.credential->description.empty() ? v.credential->key_algo : v.credential->description,
                "credential-description");
        } else {
            row("Key", "not available to you", "credential-description");
        }
        row("Number of signatures", std::to_string(g.num_signatures), "num-signatures");
        for (std::size_t i = 0; i < g.hashes.size(); ++i) {
            std::string label = i < g.labels.size() && !g.labels[i].empty()
                                    ? g.labels[i]
                                    : "Document " + std::to_string(i + 1);
            out += "<dt>";
            out += html_escape(label);
            out += "</dt><dd><code>";
            out += html_escape(std::string{crypto::spec(g.hashes[i].algorithm).name});
            out += " ";
            out += html_escape(hex_encode(g.hashes[i].value));
            out += "</code></dd>";
        }
    }
    if (!v.params.description.empty()) {
        row("Description", v.params.description, "description");
    }
    out += "</dl>\n";
    return out;
}

/// scheme://host[:port] of an absolute URI, if it is plainly one (nothing a CSP could misread).
std::string origin_of(std::string_view uri) {
    const auto scheme_end = uri.find("://");
    if (scheme_end == std::string_view::npos) {
        return {};
    }
    const auto authority_end = uri.find_first_of("/?#", scheme_end + 3);
    const std::string_view origin = uri.substr(0, authority_end);
    const bool plain = std::all_of(origin.begin(), origin.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
               c == '-' || c == ':' || c == '/' || c == '[' || c == ']';
    });
    return plain && origin.size() > scheme_end + 3 ? std::string{origin} : std::string{};
}

}  // namespace

std::string page_document(std::string_view title, const std::string& body, std::string_view lang) {
    std::string out = "<!DOCTYPE html>\n<html lang=\"" + std::string{lang} +
                      "\"><head><meta charset=\"utf-8\">"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                      "<meta name=\"referrer\" content=\"no-referrer\"><title>";
    out += html_escape(title);
    out += "</title><style>";
    out += kStyle;
    out += "</style></head><body>\n<h1>";
    out += html_escape(title);
    out += "</h1>\n";
    out += body;
    out += "\n</body></html>\n";
    return out;
}

std::string form_open(std::string_view action, std::string_view csrf, std::string_view step) {
    std::string out = "<form method=\"post\" action=\"";
    out += html_escape(action);
    out += "\"><input type=\"hidden\" name=\"csrf\" value=\"";
    out += html_escape(csrf);
    out += "\"><input type=\"hidden\" name=\"step\" value=\"";
    out += html_escape(step);
    out += "\">";
    return out;
}

std::string message_html(std::string_view message) {
    if (message.empty()) {
        return {};
    }
    return "<p class=\"msg\" id=\"message\" role=\"alert\">" + html_escape(message) + "</p>\n";
}

std::optional<Secret> cookie_value(const http::Request& r, std::string_view name) {
    for (const auto value : r.headers.get_all("Cookie")) {
        std::size_t start = 0;
        while (start < value.size()) {
            auto end = value.find(';', start);
            if (end == std::string_view::npos) {
                end = value.size();
            }
            std::string_view pair = value.substr(start, end - start);
            while (!pair.empty() && pair.front() == ' ') {
                pair.remove_prefix(1);
            }
            const auto eq = pair.find('=');
            if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
                return Secret{pair.substr(eq + 1)};
            }
            start = end + 1;
        }
    }
    return std::nullopt;
}

std::string_view preferred_language(const http::Request& r) {
    const std::string_view accept = r.header("Accept-Language").value_or("");
    std::size_t start = 0;
    while (start < accept.size()) {
        std::size_t end = accept.find(',', start);
        if (end == std::string_view::npos) {
            end = accept.size();
        }
        std::string_view tag = accept.substr(start, end - start);
        tag = tag.substr(0, tag.find(';'));
        while (!tag.empty() && tag.front() == ' ') {
            tag.remove_prefix(1);
        }
        const std::string_view primary = tag.substr(0, tag.find('-'));
        if (http::iequals(primary, "ja")) {
            return "ja";
        }
        if (http::iequals(primary, "en")) {
            return "en";
        }
        start = end + 1;
    }
    return "en";
}

std::optional<FormFields> form_body(const http::Request& r) {
    const auto type = r.header("Content-Type");
    const std::string_view form = "application/x-www-form-urlencoded";
    if (!type || type->size() < form.size() || !http::iequals(type->substr(0, form.size()), form)) {
        return std::nullopt;
    }
    const auto parsed = http::parse_target("/?" + r.body);
    if (!parsed) {
        return std::nullopt;
    }
    FormFields out;
    for (const auto& [k, v] : parsed->query) {
        if (!out.emplace(k, v).second) {
            return std::nullopt;
        }
    }
    return out;
}

std::string form_field(const FormFields& f, std::string_view name) {
    const auto it = f.find(std::string{name});
    return it == f.end() ? std::string{} : it->second;
}

std::string percent_encode(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
            c == '.' || c == '_' || c == '~') {
            out += c;
        } else {
            out += '%';
            out += kHex[u >> 4U];
            out += kHex[u & 0xFU];
        }
    }
    return out;
}

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

void page_headers(http::Response& r, std::string_view redirect_uri) {
    // HSTS (RFC 6797): a browser that has seen a page here never again reaches this origin over plain
    // HTTP, where the password form could be stripped of TLS. Two years, as Mozilla's guidelines
    // recommend (at least one year). Not includeSubDomains: the operator's other hosts are not ours
    // to pin.
    r.headers.set("Strict-Transport-Security", "max-age=63072000");
    r.headers.set("X-Frame-Options", "DENY");
    std::string form_action = "'self'";
    const std::string origin = origin_of(redirect_uri);
    if (!origin.empty()) {
        form_action += " " + origin;
    }
    r.headers.set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action " +
                                                 form_action + "; frame-ancestors 'none'; base-uri 'none'");
    r.headers.set("Cache-Control", "no-store");
    r.headers.set("Pragma", "no-cache");
    r.headers.set("Referrer-Policy", "no-referrer");
    r.headers.set("X-Content-Type-Options", "nosniff");
}

http::Response oauth_page(const service::PageView& v, std::string_view action, std::string_view message,
                          int status) {
    std::string body = who(v) + message_html(message);
    std::string title;
    switch (v.stage) {
        case service::PendingStage::Pushed:
        case service::PendingStage::Login:
            title = "Sign in";
            body += form_open(action, v.csrf, "login");
            body +=
                "<label for=\"username\">User name</label>"
                "<input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\" required "
                "autofocus>"
                "<label for=\"password\">Password</label>"
                "<input type=\"password\" id=\"password\" name=\"password\" "
                "autocomplete=\"current-password\" "
                "required>"
                "<button type=\"submit\" id=\"submit\">Next</button></form>";
            break;
        case service::PendingStage::Otp:
            title = "One-time code";
            body += "<p>Enter the code your authenticator app shows.</p>";
            body += form_open(action, v.csrf, "otp");
            body +=
                "<label for=\"otp\">Code</label>"
                "<input type=\"text\" id=\"otp\" name=\"otp\" inputmode=\"numeric\" "
                "autocomplete=\"one-time-code\" pattern=\"[0-9]{6,8}\" required autofocus>"
                "<button type=\"submit\" id=\"submit\">Verify</button></form>";
            break;
        case service::PendingStage::Consent:
            title = "Allow access?";
            body += consent_details(v);
            body += form_open(action, v.csrf, "consent");
            body += credential_choices(v);
            if (v.pin_required) {
                // The credential's own PIN (explicit auth mode): the password and one-time code do not
                // replace it. Not `required`: Deny submits the same form.
                body +=
                    "<label for=\"pin\">PIN of the signing credential</label>"
                    "<input type=\"password\" id=\"pin\" name=\"pin\" autocomplete=\"off\" "
                    "inputmode=\"numeric\">";
            }
            body +=
                "<button type=\"submit\" id=\"approve\" name=\"decision\" value=\"approve\">Allow</button>"
                "<button type=\"submit\" id=\"deny\" name=\"decision\" value=\"deny\">Deny</button></form>";
            break;
    }
    http::Response r;
    r.status = status;
    r.content_type = "text/html; charset=utf-8";
    r.body = page_document(title, body);
    page_headers(r, v.redirect_uri);
    return r;
}

http::Response oauth_error_page(int status, std::string_view text) {
    http::Response r;
    r.status = status;
    r.content_type = "text/html; charset=utf-8";
    r.body = page_document("Authorization failed",
                           "<p class=\"msg\" id=\"message\">" + html_escape(text) + "</p>");
    page_headers(r);
    return r;
}

}  // namespace inkan::api::detail
