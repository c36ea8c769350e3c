// The out-of-band approval page (approval_page.h, decision 0034). Handlers only translate: the query,
// the form fields and the cookie into service::OutOfBand calls, its answers and refusals into pages.
// The page reference is only in the first GET's query (never logged: the access log writes the path);
// the session lives in an HttpOnly __Host- cookie; the password, code and PIN only in POST bodies.

#include "approval_page.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <inkan/core/encoding.h>
#include <inkan/core/log.h>
#include <inkan/crypto/algorithms.h>

#include "oauth_pages.h"

namespace inkan::api::detail {

namespace {

constexpr std::string_view kCookie = "__Host-inkan-approval";

/// The page's words in one language.
struct Texts {
    std::string_view lang;
    std::string_view sign_in_title;
    std::string_view otp_title;
    std::string_view decide_title;
    std::string_view error_title;
    std::string_view asks_before;  ///< "The application " … client … " asks …"
    std::string_view asks_after;
    std::string_view unknown_app;  ///< a token from auth/login: no registered application
    std::string_view sign_in_first;
    std::string_view user_name;
    std::string_view password;
    std::string_view next;
    std::string_view otp_hint;
    std::string_view code;
    std::string_view verify;
    std::string_view signed_in_as;
    std::string_view credential;
    std::string_view num_signatures;
    std::string_view description;
    std::string_view document_n;  ///< followed by the number
    std::string_view pin;
    std::string_view approve;
    std::string_view decline;
    std::string_view wrong_password;
    std::string_view wrong_code;
    std::string_view replayed_code;
    std::string_view otp_locked;
    std::string_view wrong_pin;
    std::string_view pin_locked;
    std::string_view expired;
    std::string_view approved;
    std::string_view declined;
    std::string_view choose;
};

constexpr Texts kEnglish{
    "en",
    "Sign in to approve a signature",
    "One-time code",
    "Approve the signature?",
    "Approval failed",
    "The application ",
    " asks to create signatures with your key.",
    "An application signed in to your account asks to create signatures with your key.",
    "Sign in with your password and one-time code to see what is to be signed.",
    "User name",
    "Password",
    "Next",
    "Enter the code your authenticator app shows.",
    "Code",
    "Verify",
    "Signed in as",
    "Credential",
    "Number of signatures",
    "Description",
    "Document ",
    "PIN of the signing credential",
    "Approve",
    "Decline",
    "The user name or password is wrong.",
    "The code is wrong or was already used. Sign in again.",
    "This code was already used; wait for the next one and sign in again.",
    "Too many wrong codes: the one-time code is locked.",
    "The PIN is wrong.",
    "Too many wrong PINs: the credential's PIN is locked.",
    "This approval request is unknown, expired or already decided. Start again from the application.",
    "Approved. Return to the application: it will now sign.",
    "Declined. Nothing will be signed.",
    "Choose Approve or Decline.",
};

constexpr Texts kJapanese{
    "ja",
    "署名の承認のためにサインイン",
    "ワンタイムコード",
    "この署名を承認しますか？",
    "承認できませんでした",
    "アプリケーション ",
    " があなたの鍵による署名を求めています。",
    "あなたのアカウントにログインしたアプリケーションが、あなたの鍵による署名を求めています。",
    "署名する内容を確認するには、パスワードとワンタイムコードでサインインしてください。",
    "ユーザー名",
    "パスワード",
    "次へ",
    "認証アプリに表示されているコードを入力してください。",
    "コード",
    "確認",
    "サインイン中のユーザー",
    "クレデンシャル",
    "署名の数",
    "説明",
    "文書 ",
    "署名用クレデンシャルの PIN",
    "承認する",
    "拒否する",
    "ユーザー名またはパスワードが正しくありません。",
    "コードが正しくないか、使用済みです。もう一度サインインしてください。",
    "このコードは使用済みです。次のコードを待ってからもう一度サインインしてください。",
    "コードの誤りが多すぎるため、ワンタイムコードはロックされました。",
    "PIN が正しくありません。",
    "PIN の誤りが多すぎるため、このクレデンシャルの PIN はロックされました。",
    "この承認リクエストは存在しないか、期限切れか、すでに決定済みです。アプリケーションからやり直してください"
    "。",
    "承認しました。アプリケーションに戻ってください。署名が作成されます。",
    "拒否しました。署名は作成されません。",
    "「承認する」か「拒否する」を選んでください。",
};

/// The page's words in the browser's language (preferred_language).
const Texts& texts_for(const http::Request& r) {
    return preferred_language(r) == "ja" ? kJapanese : kEnglish;
}

std::string document(const Texts& t, std::string_view title, const std::string& body) {
    return page_document(title, body, t.lang);
}

http::Response html(int status, std::string body) {
    http::Response r;
    r.status = status;
    r.content_type = "text/html; charset=utf-8";
    r.body = std::move(body);
    page_headers(r);
    return r;
}

std::string set_cookie(std::string_view value, std::chrono::seconds max_age) {
    // __Host-: Secure, Path=/, no Domain (RFC 6265bis §4.1.3.2). Strict: the form posts are same-origin; a
    // cross-site POST arrives without the cookie.
    return std::string{kCookie} + "=" + std::string{value} +
           "; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age.count());
}

std::optional<Secret> cookie_session(const http::Request& r) {
    return cookie_value(r, kCookie);
}

http::Response error_page(const Texts& t, std::string_view text, int status = 400) {
    return html(status, document(t, t.error_title, message_html(text)));
}

http::Response page(const Texts& t, const service::OobPageView& v, std::string_view message,
                    int status = 200) {
    // Who asks, first and on every stage: the application's registered name (phishing: a page that does
    // not name the application the signer is using is not to be trusted; threat model).
    std::string body = "<p>";
    if (v.client_name.empty()) {
        body += html_escape(t.unknown_app);
    } else {
        body += html_escape(t.asks_before);
        body += "<strong id=\"client\">";
        body += html_escape(v.client_name);
        body += "</strong>";
        body += html_escape(t.asks_after);
    }
    body += "</p>\n";
    body += message_html(message);
    std::string_view title;
    switch (v.stage) {
        case service::OobStage::Login:
            title = t.sign_in_title;
            body += "<p>" + html_escape(t.sign_in_first) + "</p>";
            body += form_open(kApprovalPath, v.csrf, "login");
            body +=
                "<label for=\"username\">" + html_escape(t.user_name) +
                "</label><input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\" "
                "required autofocus><label for=\"password\">" +
                html_escape(t.password) +
                "</label><input type=\"password\" id=\"password\" name=\"password\" "
                "autocomplete=\"current-password\" required><button type=\"submit\" id=\"submit\">" +
                html_escape(t.next) + "</button></form>";
            break;
        case service::OobStage::Otp:
            title = t.otp_title;
            body += "<p>" + html_escape(t.otp_hint) + "</p>";
            body += form_open(kApprovalPath, v.csrf, "otp");
            body += "<label for=\"otp\">" + html_escape(t.code) +
                    "</label><input type=\"text\" id=\"otp\" name=\"otp\" inputmode=\"numeric\" "
                    "autocomplete=\"one-time-code\" pattern=\"[0-9]{6,8}\" required autofocus>"
                    "<button type=\"submit\" id=\"submit\">" +
                    html_escape(t.verify) + "</button></form>";
            break;
        case service::OobStage::Decide: {
            title = t.decide_title;
            std::string dl = "<dl>";
            const auto row = [&](std::string_view term, std::string_view value, std::string_view id) {
                dl += "<dt>" + html_escape(term) + "</dt><dd id=\"" + std::string{id} + "\">" +
                      html_escape(value) + "</dd>";
            };
            row(t.signed_in_as, v.user_name, "user");
            row(t.credential, v.credential_description + " (" + v.credential_id + ")", "credential");
            row(t.num_signatures, std::to_string(v.num_signatures), "num-signatures");
            if (!v.description.empty()) {
                row(t.description, v.description, "description");
            }
            for (std::size_t i = 0; i < v.hashes.size(); ++i) {
                const std::string label = i < v.labels.size() && !v.labels[i].empty()
                                              ? v.labels[i]
                                              : std::string{t.document_n} + std::to_string(i + 1);
                dl += "<dt class=\"label\">" + html_escape(label) + "</dt><dd><code>" +
                      html_escape(std::string{crypto::spec(v.hashes[i].algorithm).name}) + " " +
                      html_escape(hex_encode(v.hashes[i].value)) + "</code></dd>";
            }
            dl += "</dl>\n";
            body += dl;
            body += form_open(kApprovalPath, v.csrf, "decide");
            if (v.pin_required) {
                // Not `required`: Decline submits the same form.
                body += "<label for=\"pin\">" + html_escape(t.pin) +
                        "</label><input type=\"password\" id=\"pin\" name=\"pin\" autocomplete=\"off\" "
                        "inputmode=\"numeric\">";
            }
            body += "<button type=\"submit\" id=\"approve\" name=\"decision\" value=\"approve\">" +
                    html_escape(t.approve) +
                    "</button><button type=\"submit\" id=\"decline\" name=\"decision\" value=\"decline\">" +
                    html_escape(t.decline) + "</button></form>";
            break;
        }
    }
    return html(status, document(t, title, body));
}

using Fields = FormFields;

constexpr std::uint64_t kFormBodyLimit = 16 * 1024;

struct Ctx {
    service::OutOfBand& oob;
    ServiceInfo info;
};

http::Response approval_get(const Ctx& c, const http::Request& r) {
    const Texts& t = texts_for(r);
    const auto ref = r.query.find("request");
    if (ref == r.query.end() || r.query.count("request") != 1) {
        // A reload after the first GET (no reference in the URL any more): the cookie's page.
        if (const auto session = cookie_session(r)) {
            return page(t, c.oob.view(*session), {});
        }
        return error_page(t, t.expired);
    }
    const Secret session = c.oob.open(ref->second);
    http::Response out = page(t, c.oob.view(session), {});
    out.headers.set("Set-Cookie", set_cookie(session.reveal(), c.oob.settings().lifetime));
    return out;
}

http::Response approval_post(const Ctx& c, const http::Request& r) {
    const Texts& t = texts_for(r);
    const auto session = cookie_session(r);
    const auto fields = form_body(r);
    if (!session || !fields) {
        return error_page(t, t.expired);
    }
    const Fields& f = *fields;
    const std::string csrf = form_field(f, "csrf");
    const std::string step = form_field(f, "step");
    if (step == "login") {
        try {
            c.oob.login(*session, csrf, form_field(f, "username"), Secret{form_field(f, "password")});
        } catch (const Error& e) {
            if (e.code() != Errc::InvalidAuthData) {
                throw;
            }
            // One answer for an unknown user, a wrong password, a locked account and another user.
            return page(t, c.oob.view(*session), t.wrong_password, 400);
        }
    } else if (step == "otp") {
        try {
            c.oob.otp(*session, csrf, Secret{form_field(f, "otp")});
        } catch (const Error& e) {
            if (e.code() == Errc::InvalidAuthData &&
                service::authorization_failure(e) == service::AuthFailure::OtpReplayed) {
                return page(t, c.oob.view(*session), t.replayed_code, 400);
            }
            if (e.code() == Errc::InvalidAuthData) {
                // Back at the password: each code needs the password again (decision 0015).
                return page(t, c.oob.view(*session), t.wrong_code, 400);
            }
            if (e.code() == Errc::Locked) {
                return error_page(t, t.otp_locked);
            }
            throw;
        }
    } else if (step == "decide") {
        const std::string decision = form_field(f, "decision");
        if (decision != "approve" && decision != "decline") {
            return page(t, c.oob.view(*session), t.choose, 400);
        }
        const Secret pin{form_field(f, "pin")};
        try {
            c.oob.decide(*session, csrf, decision == "approve", &pin);
        } catch (const Error& e) {
            if (e.code() == Errc::InvalidAuthData) {
                return page(t, c.oob.view(*session), t.wrong_pin, 400);
            }
            if (e.code() == Errc::Locked) {
                return error_page(t, t.pin_locked);
            }
            throw;
        }
        const bool approved = decision == "approve";
        http::Response out =
            html(200, document(t, approved ? t.approve : t.decline,
                               "<p id=\"result\" data-decision=\"" +
                                   std::string{approved ? "approved" : "declined"} + "\">" +
                                   html_escape(approved ? t.approved : t.declined) + "</p>"));
        out.headers.set("Set-Cookie", set_cookie("", std::chrono::seconds{0}));
        return out;
    } else {
        return error_page(t, t.expired);
    }
    return page(t, c.oob.view(*session), {});
}

using Run = http::Response (*)(const Ctx&, const http::Request&);

/// A stale page, a wrong CSRF token or a step already taken: the expired page (400), the reason in the
/// log only. Anything else: the server's error, logged.
http::Handler wrap(std::shared_ptr<const Ctx> ctx, Run run) {
    return [ctx = std::move(ctx), run](const http::Request& r) -> http::Response {
        try {
            return run(*ctx, r);
        } catch (const Error& e) {
            const Texts& t = texts_for(r);
            if (e.code() == Errc::NotFound || e.code() == Errc::InvalidRequest) {
                log::info("approval page: step refused", {{"reason", e.detail()}});
                return error_page(t, t.expired);
            }
            log::error("approval page failed", {{"code", errc_name(e.code())}, {"what", e.what()}});
            return error_page(t, t.error_title, 500);
        }
    };
}

}  // namespace

void add_approval_routes(http::Router& router, service::OutOfBand& oob, const ServiceInfo& info) {
    auto ctx = std::make_shared<const Ctx>(Ctx{oob, info});
    router.get(std::string{kApprovalPath}, wrap(ctx, &approval_get), http::Execution::Worker);
    // The page's form (CSRF token, step, user name, password, one-time code, PIN, decision) is a few
    // hundred bytes: its own limit, far below the server's.
    http::Route post{"POST", std::string{kApprovalPath}, wrap(ctx, &approval_post), http::Match::Exact,
                     http::Execution::Worker};
    post.max_body_bytes = kFormBodyLimit;
    router.add(std::move(post));
}

}  // namespace inkan::api::detail
