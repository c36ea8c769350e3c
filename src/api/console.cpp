// The operator's web console and the JSON admin API (console.h, decision 0041). Handlers only translate:
// query, form fields, cookies and JSON into service::Console and service::Administration calls, their
// answers and refusals into pages or JSON. The session secret travels only in the __Host- cookie (the
// store keeps its SHA-256); passwords and codes only in POST bodies; a generated password and a TOTP seed
// appear once, on a no-store page.

#include <inkan/api/console.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <qrencode.h>
#include <nlohmann/json.hpp>

#include <inkan/api/errors.h>
#include <inkan/core/clock.h>
#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/core/log.h>
#include <inkan/crypto/random.h>
#include <inkan/pki/certificate.h>
#include <inkan/validation/report.h>

#include "console_multipart.h"
#include "oauth_pages.h"

namespace inkan::api {

namespace {

using detail::cookie_value;
using detail::form_body;
using detail::form_field;
using detail::FormFields;
using detail::html_escape;
using detail::message_html;
using detail::page_headers;
using detail::percent_encode;
using nlohmann::json;

constexpr std::string_view kCookie = "__Host-inkan-admin";
constexpr std::string_view kLoginCookie = "__Host-inkan-admin-login";
constexpr std::string_view kLangCookie = "__Host-inkan-lang";

// Body limits (decision 0018): a form here is a few hundred bytes; reads take none.
constexpr std::uint64_t kReadBodyLimit = 1024;
constexpr std::uint64_t kFormBodyLimit = 4 * 1024;
constexpr std::uint64_t kJsonBodyLimit = 8 * 1024;
// A certificate upload: the certificate and its intermediates as PEM (a few KiB each), plus the form's
// parts (multipart) or the JSON around it.
constexpr std::uint64_t kCertificateBodyLimit = 64 * 1024;

/// One text in both languages.
struct L {
    std::string_view en;
    std::string_view ja;
};

// clang-format off
constexpr L kConsole{"inkan console", "inkan 管理コンソール"};
constexpr L kSignIn{"Sign in", "サインイン"};
constexpr L kSignOut{"Sign out", "サインアウト"};
constexpr L kUserName{"User name", "ユーザー名"};
constexpr L kPassword{"Password", "パスワード"};
constexpr L kCode{"One-time code", "ワンタイムコード"};
constexpr L kWrongLogin{"The user name, password or one-time code is wrong, or the account may not use the console.",
                        "ユーザー名、パスワードまたはワンタイムコードが正しくないか、このアカウントはコンソールを使用できません。"};
constexpr L kOtpLocked{"Too many wrong codes: the one-time code is locked. Ask another operator to unlock it.",
                       "コードの誤りが多すぎるため、ワンタイムコードはロックされました。他の運用者にロック解除を依頼してください。"};
constexpr L kExpired{"Your session has ended. Sign in again.", "セッションが終了しました。もう一度サインインしてください。"};
constexpr L kForbidden{"Refused: this needs the operator role, a valid form from this console, or both.",
                       "拒否されました: 運用者ロールと、このコンソールからの正しいフォームが必要です。"};
constexpr L kFailed{"The request failed", "リクエストは失敗しました"};
constexpr L kAuditLog{"Audit log", "監査ログ"};
constexpr L kService{"Service", "サービス"};
constexpr L kUsers{"Users", "ユーザー"};
constexpr L kSignedInAs{"Signed in as", "サインイン中"};
constexpr L kFrom{"From (UTC, e.g. 2026-01-31T09:00)", "開始 (UTC、例 2026-01-31T09:00)"};
constexpr L kTo{"To (UTC)", "終了 (UTC)"};
constexpr L kUser{"User", "ユーザー"};
constexpr L kCredential{"Credential", "クレデンシャル"};
constexpr L kClient{"Client", "クライアント"};
constexpr L kAction{"Action", "アクション"};
constexpr L kOutcome{"Outcome (ok, failed, ...)", "結果 (ok、failed など)"};
constexpr L kActor{"Operator", "運用者"};
constexpr L kSearch{"Search", "検索"};
constexpr L kNext{"Older entries", "さらに古いエントリ"};
constexpr L kExportCsv{"Export CSV", "CSV でエクスポート"};
constexpr L kExportJson{"Export JSON", "JSON でエクスポート"};
constexpr L kVerify{"Verify chain", "チェーンを検証"};
constexpr L kVerifyOk{"The chain is intact", "チェーンは改ざんされていません"};
constexpr L kVerifyBad{"The chain is broken", "チェーンが壊れています"};
constexpr L kEntries{"Entries checked", "検証したエントリ数"};
constexpr L kNoEntries{"No entries match.", "該当するエントリはありません。"};
constexpr L kSeq{"No.", "番号"};
constexpr L kTime{"Time", "日時"};
constexpr L kEntry{"Audit entry", "監査エントリ"};
constexpr L kDetails{"Details", "詳細"};
constexpr L kReady{"Ready", "準備完了"};
constexpr L kYes{"yes", "はい"};
constexpr L kNo{"no", "いいえ"};
constexpr L kMaintenance{"Maintenance", "メンテナンス"};
constexpr L kOn{"on", "オン"};
constexpr L kOff{"off", "オフ"};
constexpr L kTurnOn{"Turn maintenance on", "メンテナンスをオンにする"};
constexpr L kTurnOff{"Turn maintenance off", "メンテナンスをオフにする"};
constexpr L kOperatorsOnly{"Changes need the operator role.", "変更には運用者ロールが必要です。"};
constexpr L kVersion{"Version", "バージョン"};
constexpr L kToken{"HSM token", "HSM トークン"};
constexpr L kWarnings{"Warnings", "警告"};
constexpr L kFind{"Find users", "ユーザーを検索"};
constexpr L kName{"Name", "名前"};
constexpr L kDisplayName{"Display name", "表示名"};
constexpr L kRole{"Role", "ロール"};
constexpr L kState{"State", "状態"};
constexpr L kLocked{"locked", "ロック中"};
constexpr L kActive{"active", "有効"};
constexpr L kTotp{"TOTP", "TOTP"};
constexpr L kLock{"Lock", "ロック"};
constexpr L kUnlock{"Unlock", "ロック解除"};
constexpr L kResetTotp{"Reset TOTP", "TOTP を再登録"};
constexpr L kCreateUser{"Create a user", "ユーザーを作成"};
constexpr L kEnrolTotp{"Enrol a TOTP device", "TOTP デバイスを登録する"};
constexpr L kCreate{"Create", "作成"};
constexpr L kShownOnce{"Shown once: inkan keeps only a hash of the password and the TOTP seed sealed in the HSM.",
                       "この画面は一度だけ表示されます。inkan はパスワードのハッシュと HSM で暗号化した TOTP シードのみを保存します。"};
constexpr L kCreated{"User created", "ユーザーを作成しました"};
constexpr L kInitialPassword{"Initial password", "初期パスワード"};
constexpr L kOtpauth{"TOTP enrolment (otpauth URI)", "TOTP 登録 (otpauth URI)"};
constexpr L kTotpReset{"New TOTP enrolment", "新しい TOTP 登録"};
constexpr L kDone{"Done", "完了しました"};
constexpr L kBack{"Back", "戻る"};
constexpr L kLanguage{"Language", "言語"};
constexpr L kCredentials{"Credentials", "クレデンシャル"};
constexpr L kKind{"Kind", "種類"};
constexpr L kDescription{"Description", "説明"};
constexpr L kOwner{"Owner", "所有者"};
constexpr L kKey{"Key", "鍵"};
constexpr L kStatus{"Status", "状態"};
constexpr L kAuthMode{"Authorisation", "認可方式"};
constexpr L kQualifier{"Signature qualifier", "署名の種類"};
constexpr L kCa{"CA", "CA"};
constexpr L kCreatedAt{"Created", "作成日時"};
constexpr L kNoCredentials{"No credentials match.", "該当するクレデンシャルはありません。"};
constexpr L kTokenPin{"HSM user PIN", "HSM ユーザー PIN"};
constexpr L kTokenSessions{"HSM sessions open (all applications)", "HSM セッション数 (全アプリケーション)"};
constexpr L kTokenKeys{"Keys on the HSM token", "HSM トークン上の鍵"};
constexpr L kChangesCol{"Changes", "変更"};
constexpr L kRevoke{"Revoke", "失効"};
constexpr L kReason{"Reason", "理由"};
constexpr L kMembers{"Seal members", "eシール利用者"};
constexpr L kAddMember{"Add member", "利用者を追加"};
constexpr L kRemoveMember{"Remove", "削除"};
constexpr L kMemberAdded{"Seal member added", "eシール利用者を追加しました"};
constexpr L kMemberPin{"The member's PIN for this seal", "この eシール用の利用者 PIN"};
constexpr L kPinOnce{"Shown once: inkan keeps only a hash of the PIN.",
                     "この画面は一度だけ表示されます。inkan は PIN のハッシュのみを保存します。"};
constexpr L kVerifyNav{"Verify", "検証"};
constexpr L kVerifyTitle{"Verify signatures", "署名の検証"};
constexpr L kDocuments{"Signed files (PDF, CMS or XML; several at once)", "署名済みファイル (PDF、CMS、XML。複数可)"};
constexpr L kDetached{"Detached content (optional: the signed data of a detached CMS or XML signature)",
                      "分離された署名対象データ (任意: 分離型 CMS・XML 署名の署名対象)"};
constexpr L kReportAs{"Report", "レポート"};
constexpr L kReportPage{"Show on this page", "この画面に表示"};
constexpr L kReportJson{"Download as JSON", "JSON でダウンロード"};
constexpr L kReportEtsi{"Download the ETSI report (XML)", "ETSI 検証レポート (XML) をダウンロード"};
constexpr L kDoVerify{"Verify", "検証する"};
constexpr L kReport{"Validation report", "検証レポート"};
constexpr L kFile{"File", "ファイル"};
constexpr L kFormat{"Format", "形式"};
constexpr L kSignature{"Signature", "署名"};
constexpr L kIndication{"Indication", "判定"};
constexpr L kSubIndication{"Sub-indication", "詳細判定"};
constexpr L kPassed{"valid", "有効"};
constexpr L kFailedSig{"invalid", "無効"};
constexpr L kIndeterminate{"indeterminate", "判定保留"};
constexpr L kSigner{"Signer", "署名者"};
constexpr L kClaimedTime{"Signing time (claimed by the signer)", "署名時刻 (署名者の申告)"};
constexpr L kBestTime{"Existed at least since (best signature time)", "存在が証明された時刻 (最良署名時刻)"};
constexpr L kLevel{"Level", "レベル"};
constexpr L kTimestamps{"Time-stamps", "タイムスタンプ"};
constexpr L kDocumentTimestamps{"Document time-stamps", "文書タイムスタンプ"};
constexpr L kChanges{"Changes after signing", "署名後の変更"};
constexpr L kNoChanges{"none that the signature does not permit", "署名が許可しない変更はありません"};
constexpr L kPermitted{"Permitted later changes", "許可された後の変更"};
constexpr L kChain{"Certificate chain", "証明書チェーン"};
constexpr L kRevocation{"Revocation", "失効確認"};
constexpr L kProblems{"Problems", "問題点"};
constexpr L kNoSignatures{"No signature was found in this file.", "このファイルに署名は見つかりませんでした。"};
constexpr L kUnreadable{"The file could not be read as a signature", "ファイルを署名として読み取れませんでした"};
constexpr L kDownloadJson{"Download the JSON report", "JSON レポートをダウンロード"};
constexpr L kDownloadEtsi{"Download the ETSI report (XML)", "ETSI 検証レポート (XML) をダウンロード"};
constexpr L kNoValidator{"Verification is not available on this server.", "このサーバーでは検証を利用できません。"};
constexpr L kAgain{"Verify other files", "別のファイルを検証"};
constexpr L kCreateCredential{"Create a credential", "クレデンシャルを作成"};
constexpr L kProfile{"Certificate profile (person or seal)", "証明書プロファイル (個人または eシール)"};
constexpr L kAlgo{"Key algorithm (the key is generated in the HSM)", "鍵アルゴリズム (鍵は HSM 内で生成)"};
constexpr L kScal{"SCAL (1: PIN; 2: PIN bound to the hashes)", "SCAL (1: PIN、2: PIN と署名対象ハッシュを紐付け)"};
constexpr L kMultisign{"Signatures per authorisation", "1 回の認可で可能な署名数"};
constexpr L kOwnerName{"Owner's user name (personal credentials)", "所有者のユーザー名 (個人用)"};
constexpr L kOrganization{"Organisation (seals)", "組織名 (eシール)"};
constexpr L kOrgId{"Organisation identifier (seals, e.g. NTRJP-1234567890123)",
                   "組織識別子 (eシール、例 NTRJP-1234567890123)"};
constexpr L kDefaultCa{"the default CA", "既定の CA"};
constexpr L kDefaultQualifier{"the default of the kind", "種類ごとの既定"};
constexpr L kCredentialCreated{"Credential created", "クレデンシャルを作成しました"};
constexpr L kOwnerPin{"The owner's PIN", "所有者の PIN"};
constexpr L kCsr{"Certificate signing request (CSR)", "証明書署名要求 (CSR)"};
constexpr L kDownloadCsr{"Download CSR", "CSR をダウンロード"};
constexpr L kTakeCsr{"This CA issues later: take the CSR to it, then upload the certificate it issues.",
                     "この CA は後で発行します。CSR を CA に提出し、発行された証明書をアップロードしてください。"};
constexpr L kCertFile{"Certificate (PEM: the certificate, then any intermediate CAs)",
                      "証明書 (PEM: 証明書、続いて中間 CA 証明書)"};
constexpr L kUploadCert{"Upload certificate", "証明書をアップロード"};
constexpr L kCertImported{"Certificate registered: the credential is active",
                          "証明書を登録しました。クレデンシャルは有効です"};
constexpr L kSubject{"Subject", "サブジェクト"};
constexpr L kIssuer{"Issuer", "発行者"};
constexpr L kChangeRole{"Change role", "ロールを変更"};
constexpr L kNewRole{"New role of", "新しいロール:"};
// clang-format on

struct Lang {
    bool ja = false;
    [[nodiscard]] std::string_view operator()(const L& l) const { return ja ? l.ja : l.en; }
    [[nodiscard]] std::string h(const L& l) const { return html_escape((*this)(l)); }
    [[nodiscard]] std::string_view code() const { return ja ? "ja" : "en"; }
};

/// ?lang=ja|en (the switch), else the language cookie the switch set, else Accept-Language.
Lang lang_of(const http::Request& r) {
    if (const auto q = r.query_param("lang"); q && (*q == "ja" || *q == "en")) {
        return Lang{*q == "ja"};
    }
    if (const auto c = cookie_value(r, kLangCookie); c && (c->reveal() == "ja" || c->reveal() == "en")) {
        return Lang{c->reveal() == "ja"};
    }
    return Lang{detail::preferred_language(r) == "ja"};
}

std::string cookie(std::string_view name, std::string_view value, std::int64_t max_age,
                   bool http_only = true) {
    // __Host-: Secure, Path=/, no Domain (RFC 6265bis §4.1.3.2); Strict: a cross-site request arrives
    // without it, so a forged form post from another site carries no session at all.
    return std::string{name} + "=" + std::string{value} + "; Path=/; Secure;" +
           (http_only ? " HttpOnly;" : "") + " SameSite=Strict; Max-Age=" + std::to_string(max_age);
}

/// Where a cookie-authenticated change may come from: this console. Browsers say where a request comes from
/// in Sec-Fetch-Site (Fetch Metadata; anything but same-origin is refused: another site, and a sibling
/// origin of the same site) and in Origin, which must then be https:// + Host or api.public_url. The pages'
/// no-referrer policy makes a browser send "Origin: null" even for its own form posts (Fetch §3.2.5), so
/// "null" alone decides nothing. A client that sends neither (curl, scripts) is no browser whose cookie
/// could be ridden: the CSRF token still decides.
void check_origin(const http::Request& r, const ConsoleDeps& d) {
    if (const auto site = r.header("Sec-Fetch-Site"); site && !http::iequals(*site, "same-origin")) {
        throw Error{Errc::Forbidden, "console: a request from another origin (Sec-Fetch-Site)"};
    }
    const auto origin = r.header("Origin");
    if (!origin || *origin == "null") {
        return;
    }
    const std::string own = "https://" + std::string{r.header("Host").value_or("")};
    std::string pub = d.public_url;
    while (!pub.empty() && pub.back() == '/') {
        pub.pop_back();
    }
    if (*origin != own && (pub.empty() || *origin != pub)) {
        throw Error{Errc::Forbidden, "console: the request's Origin is not this console's"};
    }
}

struct Signed {
    service::ConsoleUser user;
    Secret session;
    std::string csrf;
};

Signed signed_in(const ConsoleDeps& d, const http::Request& r) {
    auto session = cookie_value(r, kCookie);
    if (!session) {
        throw Error{Errc::Unauthenticated, "console: no session cookie"};
    }
    service::ConsoleUser user = d.console.authenticate(*session);
    std::string csrf = service::Console::csrf_token(*session);
    return {std::move(user), std::move(*session), std::move(csrf)};
}

/// A page form post: this console's origin, a live session, its CSRF token.
Signed form_post(const ConsoleDeps& d, const http::Request& r, const FormFields& f) {
    check_origin(r, d);
    Signed s = signed_in(d, r);
    service::Console::check_csrf(s.session, form_field(f, "csrf"));
    return s;
}

FormFields fields_of(const http::Request& r) {
    auto f = form_body(r);
    if (!f) {
        throw Error{Errc::InvalidRequest, "console: not a form post"};
    }
    return std::move(*f);
}

http::Response html(int status, std::string body) {
    http::Response r;
    r.status = status;
    r.content_type = "text/html; charset=utf-8";
    r.body = std::move(body);
    page_headers(r);
    return r;
}

http::Response see_other(std::string location) {
    http::Response r;
    r.status = 303;
    r.headers.set("Location", std::move(location));
    page_headers(r);
    return r;
}

constexpr std::string_view kWideStyle =
    "<style>body{max-width:80em}nav{display:flex;gap:1.2em;align-items:center;flex-wrap:wrap;"
    "border-bottom:1px solid #999;padding-bottom:.5em}nav form{margin:0 0 0 auto}nav button{margin:0}"
    "table{border-collapse:collapse;width:100%;font-size:.9em}th,td{border:1px solid #bbb;padding:.25em .4em;"
    "text-align:left;vertical-align:top}th{background:#eee}.grid{display:grid;grid-template-columns:"
    "repeat(auto-fill,minmax(14em,1fr));gap:0 1em}.row form{display:inline}.row button{margin:0 .3em 0 0;"
    "padding:.2em .6em}pre{white-space:pre-wrap;word-break:break-all;background:#f4f4f4;padding:.5em}"
    "a{color:#0645ad}.ok{color:#060}.bad{color:#a00}</style>";

/// The language switch: links (no JavaScript) to this page with its query and ?lang=; after a form post, to
/// the console's start (a link cannot repeat a POST).
std::string lang_switch(const Lang& t, const http::Request& r) {
    std::string target = r.method == "GET" ? r.path + "?" : std::string{"/admin/?"};
    if (r.method == "GET") {
        for (const auto& [k, v] : r.query) {
            if (k != "lang") {
                target += percent_encode(k) + "=" + percent_encode(v) + "&";
            }
        }
    }
    const auto link = [&](std::string_view code, std::string_view text) {
        return "<a href=\"" + html_escape(target) + "lang=" + std::string{code} + "\" lang=\"" +
               std::string{code} + "\" id=\"lang-" + std::string{code} + "\">" + std::string{text} + "</a>";
    };
    return "<p class=\"lang\"><span>" + t.h(kLanguage) + ":</span> " + link("ja", "日本語") + " | " +
           link("en", "English") + "</p>";
}

/// A whole signed-in page: navigation, who is signed in, sign-out, the language switch, then `content`.
http::Response chrome(const Lang& t, const http::Request& r, const Signed& s, const L& title,
                      const std::string& content, int status = 200) {
    std::string body{kWideStyle};
    body += "<nav aria-label=\"console\"><a href=\"/admin/audit\" id=\"nav-audit\">" + t.h(kAuditLog) +
            "</a><a href=\"/admin/service\" id=\"nav-service\">" + t.h(kService) +
            "</a><a href=\"/admin/users\" id=\"nav-users\">" + t.h(kUsers) +
            "</a><a href=\"/admin/credentials\" id=\"nav-credentials\">" + t.h(kCredentials) +
            "</a><a href=\"/admin/verify\" id=\"nav-verify\">" + t.h(kVerifyNav) +
            "</a><span id=\"whoami\">" + t.h(kSignedInAs) + ": " + html_escape(s.user.name) + " (" +
            html_escape(std::string{service::name(s.user.role)}) + ")</span>" +
            detail::form_open("/admin/logout", s.csrf, "logout") + "<button type=\"submit\" id=\"signout\">" +
            t.h(kSignOut) + "</button></form></nav>";
    body += lang_switch(t, r);
    body += content;
    return html(status, detail::page_document(std::string{t(title)}, body, t.code()));
}

std::string input(std::string_view id, const L& label, const Lang& t, std::string_view value = {},
                  std::string_view type = "text", std::string_view extra = {}) {
    return "<div><label for=\"" + std::string{id} + "\">" + t.h(label) + "</label><input type=\"" +
           std::string{type} + "\" id=\"" + std::string{id} + "\" name=\"" + std::string{id} + "\" value=\"" +
           html_escape(value) + "\"" + (extra.empty() ? "" : " " + std::string{extra}) + "></div>";
}

/// `text` as a QR code (ISO/IEC 18004, error correction M) in inline SVG: one path of unit squares and a
/// four-module quiet zone, drawn on the server (no script, no image request: the pages' CSP allows none).
/// Empty if libqrencode cannot encode it.
std::string qr_svg(const std::string& text, std::string_view label) {
    QRcode* code = QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (code == nullptr) {
        return {};
    }
    const int w = code->width;
    const int size = w + 8;
    std::string path;
    for (int y = 0; y < w; ++y) {
        for (int x = 0; x < w; ++x) {
            if ((code->data[static_cast<std::size_t>(y * w + x)] & 1U) != 0) {  // bit 0: a dark module
                path += "M" + std::to_string(x + 4) + " " + std::to_string(y + 4) + "h1v1h-1z";
            }
        }
    }
    QRcode_free(code);
    return "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"qr\" role=\"img\" aria-label=\"" +
           html_escape(label) + "\" viewBox=\"0 0 " + std::to_string(size) + " " + std::to_string(size) +
           "\" width=\"240\" height=\"240\" shape-rendering=\"crispEdges\"><rect width=\"100%\" "
           "height=\"100%\" "
           "fill=\"#fff\"/><path fill=\"#000\" d=\"" +
           path + "\"/></svg>";
}

// ---- sign-in ---------------------------------------------------------------------------------------

http::Response login_page(const Lang& t, const http::Request& r, std::string_view csrf, const L* message,
                          int status) {
    std::string body = lang_switch(t, r);
    if (message != nullptr) {
        body += message_html((t)(*message));
    }
    body += detail::form_open("/admin/login", csrf, "login");
    body +=
        "<label for=\"username\">" + t.h(kUserName) +
        "</label><input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\" required "
        "autofocus><label for=\"password\">" +
        t.h(kPassword) +
        "</label><input type=\"password\" id=\"password\" name=\"password\" "
        "autocomplete=\"current-password\" "
        "required><label for=\"otp\">" +
        t.h(kCode) +
        "</label><input type=\"text\" id=\"otp\" name=\"otp\" inputmode=\"numeric\" "
        "autocomplete=\"one-time-code\" pattern=\"[0-9]{6,8}\" required><button type=\"submit\" "
        "id=\"submit\">" +
        t.h(kSignIn) + "</button></form>";
    return html(status, detail::page_document(std::string{t(kConsole)} + " — " + std::string{t(kSignIn)},
                                              body, t.code()));
}

/// The sign-in form's CSRF token before there is a session: a random value both in a __Host- cookie and
/// in the form (double submit); a post from elsewhere cannot read the cookie to copy it.
http::Response login_get(const ConsoleDeps& d, const http::Request& r) {
    const Lang t = lang_of(r);
    if (const auto session = cookie_value(r, kCookie)) {
        try {
            (void)d.console.authenticate(*session);
            return see_other("/admin/audit");
        } catch (const Error& e) {
            if (e.code() != Errc::Unauthenticated) {
                throw;
            }
        }
    }
    const std::string csrf = base64url_encode(crypto::random_bytes(32));
    http::Response out = login_page(t, r, csrf, nullptr, 200);
    out.headers.add("Set-Cookie", cookie(kLoginCookie, csrf, 3600));
    return out;
}

http::Response login_post(const ConsoleDeps& d, const http::Request& r) {
    const Lang t = lang_of(r);
    check_origin(r, d);
    const FormFields f = fields_of(r);
    const auto pre = cookie_value(r, kLoginCookie);
    const std::string csrf = form_field(f, "csrf");
    if (!pre || pre->empty() || csrf.size() != pre->size() ||
        !equal_constant_time(as_bytes(csrf), as_bytes(pre->reveal()))) {
        throw Error{Errc::Forbidden, "console: the sign-in form's CSRF token does not match its cookie"};
    }
    try {
        const service::ConsoleSignIn in = d.console.sign_in(
            form_field(f, "username"), Secret{form_field(f, "password")}, Secret{form_field(f, "otp")});
        http::Response out = see_other("/admin/audit");
        out.headers.add("Set-Cookie",
                        cookie(kCookie, in.session.reveal(), d.console.settings().absolute.count()));
        out.headers.add("Set-Cookie", cookie(kLoginCookie, "", 0));
        return out;
    } catch (const Error& e) {
        if (e.code() == Errc::InvalidAuthData) {
            return login_page(t, r, csrf, &kWrongLogin, 400);
        }
        if (e.code() == Errc::Locked) {
            return login_page(t, r, csrf, &kOtpLocked, 400);
        }
        throw;
    }
}

http::Response logout_post(const ConsoleDeps& d, const http::Request& r) {
    const FormFields f = fields_of(r);
    const Signed s = form_post(d, r, f);
    d.console.sign_out(s.session);
    http::Response out = see_other("/admin/login");
    out.headers.add("Set-Cookie", cookie(kCookie, "", 0));
    return out;
}

http::Response root_get(const ConsoleDeps& d, const http::Request& r) {
    (void)signed_in(d, r);
    return see_other("/admin/audit");
}

// ---- audit log -------------------------------------------------------------------------------------

std::optional<TimePoint> time_param(const http::Request& r, std::string_view name) {
    const auto v = r.query_param(name);
    if (!v || v->empty()) {
        return std::nullopt;
    }
    try {
        return parse_rfc3339(*v);
    } catch (const Error&) {
    }
    try {
        // What <input type="datetime-local"> and people type: minutes, no zone; read as UTC.
        return parse_rfc3339(std::string{*v} + (v->size() == 16 ? ":00Z" : "Z"));
    } catch (const Error&) {
        throw Error{Errc::InvalidRequest, std::string{name} + " must be a time like 2026-01-31T09:00 (UTC)"};
    }
}

std::uint64_t number_param(std::string_view v, std::string_view name) {
    std::uint64_t n = 0;
    require(!v.empty() && v.size() <= 18 &&
                std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }),
            Errc::InvalidRequest, std::string{name} + " must be a number");
    for (const char c : v) {
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return n;
}

std::string text_param(const http::Request& r, std::string_view name) {
    const auto v = r.query_param(name);
    require(!v || v->size() <= 256, Errc::InvalidRequest, std::string{name} + " is too long");
    return v ? std::string{*v} : std::string{};
}

constexpr std::string_view kFilterNames[] = {"user", "credential", "client", "action", "outcome", "actor"};

service::AuditSearch search_of(const http::Request& r) {
    service::AuditSearch s;
    s.from = time_param(r, "from");
    s.to = time_param(r, "to");
    s.user = text_param(r, "user");
    s.credential = text_param(r, "credential");
    s.client = text_param(r, "client");
    s.action = text_param(r, "action");
    s.outcome = text_param(r, "outcome");
    s.actor = text_param(r, "actor");
    if (const auto b = r.query_param("before"); b && !b->empty()) {
        s.before_seq = number_param(*b, "before");
    }
    if (const auto l = r.query_param("limit"); l && !l->empty()) {
        s.limit = static_cast<std::size_t>(number_param(*l, "limit"));
    }
    return s;
}

/// The search's parameters as a query string (for the next page and the export links).
std::string search_query(const http::Request& r) {
    std::string q;
    for (const std::string_view name :
         {"from", "to", "user", "credential", "client", "action", "outcome", "actor"}) {
        const auto v = r.query_param(name);
        if (v && !v->empty()) {
            q += (q.empty() ? "" : "&") + std::string{name} + "=" + percent_encode(*v);
        }
    }
    return q;
}

std::string status_text(const Lang& t, const service::AuditVerification& v) {
    std::string out = "<section id=\"verify-result\" data-ok=\"" + std::string{v.ok ? "true" : "false"} +
                      "\"><h2 class=\"" + std::string{v.ok ? "ok" : "bad"} + "\">" +
                      t.h(v.ok ? kVerifyOk : kVerifyBad) + "</h2><p>" + t.h(kEntries) + ": " +
                      std::to_string(v.entries) + "</p>";
    if (!v.ok) {
        out += "<p>" + html_escape(v.problem) + "</p>";
    }
    return out + "</section>";
}

http::Response audit_page(const ConsoleDeps& d, const http::Request& r, const Signed& s,
                          const std::string& extra) {
    const Lang t = lang_of(r);
    const service::AuditSearch search = search_of(r);
    const service::AuditPage page = d.admin.search_audit(search);
    std::string c = extra;
    c += "<form method=\"get\" action=\"/admin/audit\" id=\"search\" role=\"search\"><div class=\"grid\">";
    c += input("from", kFrom, t, r.query_param("from").value_or(""));
    c += input("to", kTo, t, r.query_param("to").value_or(""));
    const L* labels[] = {&kUser, &kCredential, &kClient, &kAction, &kOutcome, &kActor};
    for (std::size_t i = 0; i < std::size(kFilterNames); ++i) {
        c += input(kFilterNames[i], *labels[i], t, r.query_param(kFilterNames[i]).value_or(""));
    }
    c += "</div><button type=\"submit\" id=\"do-search\">" + t.h(kSearch) + "</button></form>";
    const std::string q = search_query(r);
    c += "<p><a id=\"export-csv\" href=\"/admin/audit/export?format=csv" +
         (q.empty() ? "" : "&amp;" + html_escape(q)) + "\">" + t.h(kExportCsv) +
         "</a> | <a id=\"export-json\" href=\"/admin/audit/export?format=json" +
         (q.empty() ? "" : "&amp;" + html_escape(q)) + "\">" + t.h(kExportJson) + "</a></p>";
    c += detail::form_open("/admin/audit/verify", s.csrf, "verify") +
         "<button type=\"submit\" id=\"verify\">" + t.h(kVerify) + "</button></form>";
    if (page.entries.empty()) {
        c += "<p id=\"no-entries\">" + t.h(kNoEntries) + "</p>";
    } else {
        c += "<table id=\"entries\"><caption>" + t.h(kAuditLog) + "</caption><thead><tr><th scope=\"col\">" +
             t.h(kSeq) + "</th><th scope=\"col\">" + t.h(kTime) + "</th><th scope=\"col\">" + t.h(kAction) +
             "</th><th scope=\"col\">" + t.h(kOutcome) + "</th><th scope=\"col\">" + t.h(kUser) +
             "</th><th scope=\"col\">" + t.h(kCredential) + "</th><th scope=\"col\">" + t.h(kClient) +
             "</th><th scope=\"col\">" + t.h(kActor) + "</th></tr></thead><tbody>";
        for (const auto& n : page.entries) {
            const auto& e = n.entry;
            c += "<tr data-seq=\"" + std::to_string(e.seq) +
                 "\"><td><a href=\"/admin/audit/entry?seq=" + std::to_string(e.seq) + "\">" +
                 std::to_string(e.seq) + "</a></td><td>" + html_escape(format_rfc3339(e.at)) +
                 "</td><td class=\"action\">" + html_escape(e.event.action) + "</td><td class=\"outcome\">" +
                 html_escape(e.event.outcome) + "</td><td>" + html_escape(n.user_name) + "</td><td>" +
                 html_escape(e.event.credential_id) + "</td><td>" +
                 html_escape(n.client_name.empty() ? e.event.client_id : n.client_name) + "</td><td>" +
                 html_escape(e.event.operator_name) + "</td></tr>";
        }
        c += "</tbody></table>";
        if (page.next_before) {
            c += "<p><a id=\"next\" href=\"/admin/audit?" + html_escape(q) + (q.empty() ? "" : "&amp;") +
                 "before=" + std::to_string(*page.next_before) + "\">" + t.h(kNext) + "</a></p>";
        }
    }
    return chrome(t, r, s, kAuditLog, c);
}

http::Response audit_get(const ConsoleDeps& d, const http::Request& r) {
    return audit_page(d, r, signed_in(d, r), {});
}

http::Response audit_verify_post(const ConsoleDeps& d, const http::Request& r) {
    const FormFields f = fields_of(r);
    const Signed s = form_post(d, r, f);  // a read: auditors may run it
    return audit_page(d, r, s, status_text(lang_of(r), d.admin.verify_audit()));
}

http::Response audit_entry_get(const ConsoleDeps& d, const http::Request& r) {
    const Signed s = signed_in(d, r);
    const Lang t = lang_of(r);
    const auto seq = number_param(r.query_param("seq").value_or(""), "seq");
    const auto n = d.admin.audit_entry(seq);
    if (!n) {
        throw Error{Errc::NotFound, "no audit entry " + std::to_string(seq)};
    }
    const auto& e = n->entry;
    std::string c = "<dl id=\"entry\">";
    const auto row = [&](const L& term, const std::string& value) {
        c += "<dt>" + t.h(term) + "</dt><dd>" + html_escape(value) + "</dd>";
    };
    row(kSeq, std::to_string(e.seq));
    row(kTime, format_rfc3339(e.at));
    row(kAction, e.event.action);
    row(kOutcome, e.event.outcome);
    row(kUser, n->user_name.empty() ? e.event.user_id : n->user_name + " (" + e.event.user_id + ")");
    row(kCredential, e.event.credential_id);
    row(kClient,
        n->client_name.empty() ? e.event.client_id : n->client_name + " (" + e.event.client_id + ")");
    row(kActor, e.event.operator_name);
    c += "</dl><h2>" + t.h(kDetails) + "</h2><pre id=\"entry-json\">" +
         html_escape(service::audit_entry_json(*n)) + "</pre><p><a href=\"/admin/audit\">" + t.h(kBack) +
         "</a></p>";
    return chrome(t, r, s, kEntry, c);
}

http::Response export_response(const ConsoleDeps& d, const http::Request& r) {
    const std::string format{r.query_param("format").value_or("csv")};
    require(format == "csv" || format == "json", Errc::InvalidRequest, "format must be csv or json");
    const bool csv = format == "csv";
    http::Response out =
        http::Response::binary(200, csv ? "text/csv; charset=utf-8" : "application/json",
                               d.admin.export_audit(search_of(r), csv ? service::AuditExportFormat::Csv
                                                                      : service::AuditExportFormat::Json));
    out.headers.set("Content-Disposition",
                    std::string{"attachment; filename=\"inkan-audit."} + (csv ? "csv" : "json") + "\"");
    page_headers(out);
    return out;
}

http::Response audit_export_get(const ConsoleDeps& d, const http::Request& r) {
    (void)signed_in(d, r);
    return export_response(d, r);
}

// ---- service ---------------------------------------------------------------------------------------

http::Response service_page(const ConsoleDeps& d, const http::Request& r, const Signed& s,
                            const std::string& extra) {
    const Lang t = lang_of(r);
    const ConsoleStatus st = d.status();
    std::string c = extra + "<dl id=\"status\">";
    const auto row = [&](const L& term, const std::string& value, std::string_view id) {
        c += "<dt>" + t.h(term) + "</dt><dd id=\"" + std::string{id} + "\">" + html_escape(value) + "</dd>";
    };
    row(kReady, std::string{t(st.ready ? kYes : kNo)} + (st.ready ? "" : " (" + st.not_ready + ")"), "ready");
    row(kMaintenance, std::string{t(st.maintenance ? kOn : kOff)}, "maintenance");
    row(kVersion, st.version, "version");
    row(kToken, st.token_label + " — " + st.token_model + " — " + st.token_state, "token");
    if (st.token_state == "ok") {
        row(kTokenPin, st.token_pin, "token-pin");
        row(kTokenSessions,
            std::to_string(st.token_sessions) +
                (st.token_max_sessions != 0 ? " / " + std::to_string(st.token_max_sessions) : std::string{}),
            "token-sessions");
        c += "<dt>" + t.h(kTokenKeys) + "</dt><dd><ul id=\"token-keys\">";
        for (const auto& [kind, count] : st.token_keys) {
            c += "<li data-kind=\"" + html_escape(kind) + "\">" + html_escape(kind) +
                 ": <span class=\"count\">" + std::to_string(count) + "</span></li>";
        }
        c += "</ul></dd>";
    }
    c += "</dl>";
    if (!st.warnings.empty()) {
        c += "<h2>" + t.h(kWarnings) + "</h2><ul id=\"warnings\">";
        for (const auto& w : st.warnings) {
            c += "<li>" + html_escape(w) + "</li>";
        }
        c += "</ul>";
    }
    // Shown to auditors too: the refusal is the server's (403), not a missing button.
    c += "<h2>" + t.h(kMaintenance) + "</h2>";
    if (!s.user.may_change()) {
        c += "<p>" + t.h(kOperatorsOnly) + "</p>";
    }
    c += detail::form_open("/admin/service/maintenance", s.csrf, "maintenance") +
         "<input type=\"hidden\" name=\"on\" value=\"" + (st.maintenance ? "0" : "1") +
         "\"><button type=\"submit\" id=\"toggle-maintenance\">" + t.h(st.maintenance ? kTurnOff : kTurnOn) +
         "</button></form>";
    return chrome(t, r, s, kService, c);
}

http::Response service_get(const ConsoleDeps& d, const http::Request& r) {
    return service_page(d, r, signed_in(d, r), {});
}

http::Response maintenance_post(const ConsoleDeps& d, const http::Request& r) {
    const FormFields f = fields_of(r);
    const Signed s = form_post(d, r, f);
    service::Console::require_operator(s.user);
    const std::string on = form_field(f, "on");
    require(on == "1" || on == "0", Errc::InvalidRequest, "on must be 1 or 0");
    d.admin.set_maintenance(s.user.name, on == "1");
    return see_other("/admin/service");
}

// ---- users -----------------------------------------------------------------------------------------

std::string user_row_form(const Signed& s, std::string_view action, const std::string& name, const Lang& t,
                          const L& label, std::string_view id) {
    return detail::form_open("/admin/users/" + std::string{action}, s.csrf, std::string{action}) +
           "<input type=\"hidden\" name=\"name\" value=\"" + html_escape(name) +
           "\"><button type=\"submit\" id=\"" + std::string{id} + "\" aria-label=\"" + t.h(label) + " " +
           html_escape(name) + "\">" + t.h(label) + "</button></form>";
}

/// A user's role: a choice of the three, the current one selected (operators only: the server refuses
/// auditors).
std::string role_form(const Signed& s, const service::User& u, const Lang& t) {
    const std::string name = html_escape(u.name);
    std::string c = detail::form_open("/admin/users/role", s.csrf, "role") +
                    "<input type=\"hidden\" name=\"name\" value=\"" + name +
                    "\"><select name=\"role\" id=\"role-" + name + "\" aria-label=\"" + t.h(kNewRole) + " " +
                    name + "\">";
    for (const service::Role role : {service::Role::User, service::Role::Operator, service::Role::Auditor}) {
        const std::string value{service::name(role)};
        c += "<option value=\"" + value + "\"" + (role == u.role ? " selected" : "") + ">" + value +
             "</option>";
    }
    return c + "</select><button type=\"submit\" id=\"setrole-" + name + "\" aria-label=\"" +
           t.h(kChangeRole) + " " + name + "\">" + t.h(kChangeRole) + "</button></form>";
}

http::Response users_page(const ConsoleDeps& d, const http::Request& r, const Signed& s,
                          const std::string& extra) {
    const Lang t = lang_of(r);
    const std::string q = text_param(r, "q");
    std::string c = extra;
    c += "<form method=\"get\" action=\"/admin/users\" role=\"search\">" + input("q", kFind, t, q, "search") +
         "<button type=\"submit\" id=\"find\">" + t.h(kSearch) + "</button></form>";
    c += "<table id=\"users\"><caption>" + t.h(kUsers) + "</caption><thead><tr><th scope=\"col\">" +
         t.h(kName) + "</th><th scope=\"col\">" + t.h(kDisplayName) + "</th><th scope=\"col\">" + t.h(kRole) +
         "</th><th scope=\"col\">" + t.h(kState) + "</th><th scope=\"col\">" + t.h(kTotp) +
         "</th><th scope=\"col\"></th></tr></thead><tbody>";
    for (const auto& u : d.admin.users()) {
        if (!q.empty() && u.name.find(q) == std::string::npos &&
            u.display_name.find(q) == std::string::npos) {
            continue;
        }
        c += "<tr data-user=\"" + html_escape(u.name) + "\"><td>" + html_escape(u.name) + "</td><td>" +
             html_escape(u.display_name) + "</td><td class=\"role\">" +
             html_escape(std::string{service::name(u.role)}) + "</td><td class=\"state\">" +
             t.h(u.locked ? kLocked : kActive) + "</td><td>" + (u.totp_enrolled ? "✓" : "-") +
             "</td><td class=\"row\">" +
             (u.locked ? user_row_form(s, "unlock", u.name, t, kUnlock, "unlock-" + u.name)
                       : user_row_form(s, "lock", u.name, t, kLock, "lock-" + u.name)) +
             user_row_form(s, "totp", u.name, t, kResetTotp, "totp-" + u.name) + role_form(s, u, t) +
             "</td></tr>";
    }
    c += "</tbody></table>";
    c += "<h2>" + t.h(kCreateUser) + "</h2>" + detail::form_open("/admin/users/add", s.csrf, "add");
    c += input("name", kName, t, {}, "text", "required autocomplete=\"off\"");
    c += input("display_name", kDisplayName, t, {}, "text", "autocomplete=\"off\"");
    c += "<div><label for=\"role\">" + t.h(kRole) + "</label><select id=\"role\" name=\"role\">";
    for (const std::string_view role : {"user", "operator", "auditor"}) {
        c += "<option value=\"" + std::string{role} + "\">" + std::string{role} + "</option>";
    }
    c += "</select></div><div><input type=\"checkbox\" id=\"totp\" name=\"totp\" value=\"1\" checked><label "
         "for=\"totp\" style=\"display:inline\"> " +
         t.h(kEnrolTotp) + "</label></div><button type=\"submit\" id=\"create\">" + t.h(kCreate) +
         "</button></form>";
    return chrome(t, r, s, kUsers, c);
}

http::Response users_get(const ConsoleDeps& d, const http::Request& r) {
    return users_page(d, r, signed_in(d, r), {});
}

/// 120 random bits as the initial password (base64url, 20 characters): shown once.
Secret initial_password() {
    Bytes raw = crypto::random_bytes(15);
    Secret out{base64url_encode(raw)};
    secure_wipe(raw.data(), raw.size());
    return out;
}

http::Response shown_once(const Lang& t, const http::Request& r, const Signed& s, const L& title,
                          const std::string& name, const Secret* password, const std::string* otpauth) {
    std::string c = "<p id=\"once\" role=\"alert\">" + t.h(kShownOnce) + "</p><dl id=\"created\"><dt>" +
                    t.h(kName) + "</dt><dd id=\"created-name\">" + html_escape(name) + "</dd>";
    if (password != nullptr) {
        c += "<dt>" + t.h(kInitialPassword) + "</dt><dd><code id=\"created-password\">" +
             html_escape(password->reveal()) + "</code></dd>";
    }
    if (otpauth != nullptr) {
        c += "<dt>" + t.h(kOtpauth) + "</dt><dd>" + qr_svg(*otpauth, t(kOtpauth)) +
             "<br><code id=\"created-otpauth\">" + html_escape(*otpauth) + "</code></dd>";
    }
    c += "</dl><p><a href=\"/admin/users\" id=\"back\">" + t.h(kBack) + "</a></p>";
    return chrome(t, r, s, title, c);
}

http::Response user_add_post(const ConsoleDeps& d, const http::Request& r) {
    const FormFields f = fields_of(r);
    const Signed s = form_post(d, r, f);
    service::Console::require_operator(s.user);
    const auto role = service::role_from_name(form_field(f, "role"));
    require(role.has_value(), Errc::InvalidRequest, "role must be user, operator or auditor");
    const Secret password = initial_password();
    service::NewUser request;
    request.name = form_field(f, "name");
    request.display_name = form_field(f, "display_name");
    request.role = *role;
    request.password = password.clone();
    request.totp = form_field(f, "totp") == "1";
    const service::UserCreated created = d.admin.add_user(s.user.name, std::move(request));
    return shown_once(lang_of(r), r, s, kCreated, created.user.name, &password,
                      created.otpauth_uri ? &*created.otpauth_uri : nullptr);
}

http::Response user_change_post(const ConsoleDeps& d, const http::Request& r, std::string_view what) {
    const FormFields f = fields_of(r);
    const Signed s = form_post(d, r, f);
    service::Console::require_operator(s.user);
    const std::string name = form_field(f, "name");
    if (what == "lock") {
        d.admin.lock_user(s.user.name, name);
    } else if (what == "role") {
        const auto role = service::role_from_name(form_field(f, "role"));
        require(role.has_value(), Errc::InvalidRequest, "role must be user, operator or auditor");
        (void)d.admin.set_role(s.user.name, name, *role);
    } else if (what == "unlock") {
        (void)d.admin.unlock_user(s.user.name, name);
    } else {
        const auto [uri, secret] = d.admin.reset_totp(s.user.name, name);
        return shown_once(lang_of(r), r, s, kTotpReset, name, nullptr, &uri);
    }
    return see_other("/admin/users");
}

// ---- credentials ----------------------------------------------------------------------------------

/// The credentials, of one user when `user` names one (by name or id); every user's name by id.
std::vector<service::Credential> credentials_of(const ConsoleDeps& d, const std::string& user,
                                                std::map<std::string, std::string>& names) {
    std::string user_id;
    for (const auto& u : d.admin.users()) {
        names[u.id] = u.name;
        if (!user.empty() && (u.name == user || u.id == user)) {
            user_id = u.id;
        }
    }
    if (d.credentials == nullptr) {
        return {};
    }
    if (user.empty()) {
        return d.credentials->list();
    }
    return user_id.empty() ? std::vector<service::Credential>{} : d.credentials->list_for(user_id);
}

/// A Pending credential's two steps with a manual CA: its CSR (signed again by its HSM key; a seal's needs
/// the organisation identifier, which is not stored) and the certificate's upload (multipart: a file).
std::string pending_forms(const Lang& t, const Signed& s, const service::Credential& cr) {
    const std::string id = html_escape(cr.id);
    std::string c = detail::form_open("/admin/credentials/csr", s.csrf, "csr") +
                    "<input type=\"hidden\" name=\"id\" value=\"" + id + "\">";
    if (cr.kind == service::CredentialKind::Seal) {
        c += "<input type=\"text\" name=\"organization_identifier\" id=\"orgid-" + id + "\" aria-label=\"" +
             t.h(kOrgId) + " " + id + "\" required>";
    }
    c += "<button type=\"submit\" id=\"csr-" + id + "\" aria-label=\"" + t.h(kDownloadCsr) + " " + id +
         "\">" + t.h(kDownloadCsr) + "</button></form>";
    c += "<form method=\"post\" action=\"/admin/credentials/certificate\" enctype=\"multipart/form-data\">"
         "<input type=\"hidden\" name=\"csrf\" value=\"" +
         html_escape(s.csrf) + "\"><input type=\"hidden\" name=\"id\" value=\"" + id +
         "\"><input type=\"file\" name=\"certificate\" id=\"certificate-" + id +
         "\" accept=\".pem,.crt,.cer,application/x-pem-file\" required aria-label=\"" + t.h(kCertFile) + " " +
         id + "\"><button type=\"submit\" id=\"upload-" + id + "\" aria-label=\"" + t.h(kUploadCert) + " " +
         id + "\">" + t.h(kUploadCert) + "</button></form>";
    return c;
}

/// A credential's change forms (shown to auditors too: the refusal is the server's): revoke with a reason
/// while it is not disabled; a seal's members, each with a remove button, and an add-member form.
std::string credential_forms(const Lang& t, const Signed& s, const ConsoleDeps& d,
                             const service::Credential& cr, const std::map<std::string, std::string>& names) {
    const std::string id = html_escape(cr.id);
    std::string c;
    if (cr.status != service::CredentialStatus::Disabled) {
        c += detail::form_open("/admin/credentials/revoke", s.csrf, "revoke") +
             "<input type=\"hidden\" name=\"id\" value=\"" + id + "\"><select name=\"reason\" id=\"reason-" +
             id + "\" aria-label=\"" + t.h(kReason) + " " + id + "\">";
        for (const std::string_view reason :
             {"unspecified", "keyCompromise", "affiliationChanged", "superseded", "cessationOfOperation"}) {
            c += "<option value=\"" + std::string{reason} + "\">" + std::string{reason} + "</option>";
        }
        c += "</select><button type=\"submit\" id=\"revoke-" + id + "\" aria-label=\"" + t.h(kRevoke) + " " +
             id + "\">" + t.h(kRevoke) + "</button></form>";
    }
    if (cr.status == service::CredentialStatus::Pending) {
        c += pending_forms(t, s, cr);
    }
    if (cr.kind == service::CredentialKind::Seal && d.credentials != nullptr) {
        c += "<div class=\"members\"><span>" + t.h(kMembers) + ":</span><ul>";
        for (const auto& m : d.credentials->members(cr.id)) {
            const auto n = names.find(m.user_id);
            const std::string member = n == names.end() ? m.user_id : n->second;
            c += "<li data-member=\"" + html_escape(member) + "\">" + html_escape(member) + " " +
                 detail::form_open("/admin/credentials/members/remove", s.csrf, "remove-member") +
                 "<input type=\"hidden\" name=\"id\" value=\"" + id +
                 "\"><input type=\"hidden\" name=\"user\" value=\"" + html_escape(member) +
                 "\"><button type=\"submit\" id=\"remove-" + id + "-" + html_escape(member) +
                 "\" aria-label=\"" + t.h(kRemoveMember) + " " + html_escape(member) + "\">" +
                 t.h(kRemoveMember) + "</button></form></li>";
        }
        c += "</ul>" + detail::form_open("/admin/credentials/members/add", s.csrf, "add-member") +
             "<input type=\"hidden\" name=\"id\" value=\"" + id +
             "\"><input type=\"text\" name=\"user\" id=\"member-" + id + "\" aria-label=\"" + t.h(kUserName) +
             " (" + t.h(kAddMember) + " " + id +
             ")\" autocomplete=\"off\" required><button type=\"submit\" id=\"add-member-" + id + "\">" +
             t.h(kAddMember) + "</button></form></div>";
    }
    return c;
}

std::string select(std::string_view id, const L& label, const Lang& t,
                   const std::vector<std::pair<std::string, std::string>>& options) {
    std::string c = "<div><label for=\"" + std::string{id} + "\">" + t.h(label) + "</label><select id=\"" +
                    std::string{id} + "\" name=\"" + std::string{id} + "\">";
    for (const auto& [value, text] : options) {
        c += "<option value=\"" + html_escape(value) + "\">" + html_escape(text) + "</option>";
    }
    return c + "</select></div>";
}

/// The create form: what `inkan credential create` takes, with its defaults first.
std::string credential_create_form(const Lang& t, const Signed& s, const ConsoleDeps& d) {
    if (d.profiles == nullptr) {
        return {};
    }
    std::vector<std::pair<std::string, std::string>> profiles;
    for (const auto& p : d.profiles->all()) {
        if (p.kind == pki::ProfileKind::Person || p.kind == pki::ProfileKind::Seal) {
            profiles.emplace_back(p.name, p.name);
        }
    }
    std::vector<std::pair<std::string, std::string>> algos;
    for (const std::string_view a : {"ec-p256", "ec-p384", "ec-p521", "rsa-2048", "rsa-3072", "rsa-4096"}) {
        algos.emplace_back(a, a);
    }
    std::vector<std::pair<std::string, std::string>> cas{{"", std::string{t(kDefaultCa)}}};
    for (const auto& ca : d.cas) {
        cas.emplace_back(ca, ca);
    }
    std::vector<std::pair<std::string, std::string>> qualifiers{{"", std::string{t(kDefaultQualifier)}}};
    const std::string list = service::signature_qualifier_list();
    for (std::size_t at = 0; at < list.size();) {
        const auto comma = std::min(list.find(", ", at), list.size());
        qualifiers.emplace_back(list.substr(at, comma - at), list.substr(at, comma - at));
        at = comma + 2;
    }
    return "<h2 id=\"create-credential\">" + t.h(kCreateCredential) + "</h2>" +
           detail::form_open("/admin/credentials/create", s.csrf, "create") + "<div class=\"grid\">" +
           select("profile", kProfile, t, profiles) + input("owner", kOwnerName, t) +
           input("organization", kOrganization, t) + input("organization_identifier", kOrgId, t) +
           select("algo", kAlgo, t, algos) + select("ca", kCa, t, cas) +
           select("scal", kScal, t, {{"2", "2"}, {"1", "1"}}) +
           input("multisign", kMultisign, t, "1", "number", "min=\"1\" max=\"100000\"") +
           select("auth_mode", kAuthMode, t, {{"explicit", "explicit"}, {"oauth2code", "oauth2code"}}) +
           select("signature_qualifier", kQualifier, t, qualifiers) + input("description", kDescription, t) +
           "</div><button type=\"submit\" id=\"create-credential-submit\">" + t.h(kCreate) +
           "</button></form>";
}

http::Response credentials_get(const ConsoleDeps& d, const http::Request& r) {
    const Signed s = signed_in(d, r);
    const Lang t = lang_of(r);
    const std::string user = text_param(r, "user");
    std::map<std::string, std::string> names;
    const auto list = credentials_of(d, user, names);
    std::string c = "<form method=\"get\" action=\"/admin/credentials\" role=\"search\">" +
                    input("user", kUser, t, user) + "<button type=\"submit\" id=\"find\">" + t.h(kSearch) +
                    "</button></form>";
    if (list.empty()) {
        c += "<p id=\"no-credentials\">" + t.h(kNoCredentials) + "</p>";
        return chrome(t, r, s, kCredentials, c + credential_create_form(t, s, d));
    }
    c += "<table id=\"credentials\"><caption>" + t.h(kCredentials) + "</caption><thead><tr>";
    for (const L* h : {&kCredential, &kKind, &kOwner, &kDescription, &kKey, &kStatus, &kAuthMode, &kQualifier,
                       &kCa, &kCreatedAt, &kChangesCol}) {
        c += "<th scope=\"col\">" + t.h(*h) + "</th>";
    }
    c += "</tr></thead><tbody>";
    for (const auto& cr : list) {
        const auto owner = names.find(cr.owner_user_id);
        const std::string cells[] = {cr.id,
                                     std::string{service::name(cr.kind)},
                                     owner == names.end() ? cr.owner_user_id : owner->second,
                                     cr.description.empty() ? cr.organization : cr.description,
                                     cr.key_algo,
                                     std::string{service::name(cr.status)},
                                     std::string{service::name(cr.auth_mode)},
                                     cr.signature_qualifier,
                                     cr.ca,
                                     format_rfc3339(cr.created_at)};
        c += "<tr data-credential=\"" + html_escape(cr.id) + "\">";
        for (std::size_t i = 0; i < std::size(cells); ++i) {
            c += (i == 2   ? "<td class=\"owner\">"
                  : i == 5 ? "<td class=\"status\">"
                           : "<td>") +
                 html_escape(cells[i]) + "</td>";
        }
        c += "<td class=\"row\">" + credential_forms(t, s, d, cr, names) + "</td></tr>";
    }
    c += "</tbody></table>";
    return chrome(t, r, s, kCredentials, c + credential_create_form(t, s, d));
}

/// 6 decimal digits from the CSPRNG, unbiased (rejection sampling), as `inkan seal add-member` makes them.
Secret random_pin() {
    std::string pin;
    while (pin.size() < 6) {
        Bytes raw = crypto::random_bytes(16);
        for (const std::uint8_t b : raw) {
            if (b < 250 && pin.size() < 6) {  // 250..255 would favour 0..5
                pin += static_cast<char>('0' + b % 10);
            }
        }
        secure_wipe(raw.data(), raw.size());
    }
    return Secret{std::move(pin)};
}

http::Response credential_revoke_post(const ConsoleDeps& d, const http::Request& r) {
    const FormFields f = fields_of(r);
    const Signed s = form_post(d, r, f);
    service::Console::require_operator(s.user);
    d.admin.revoke_credential(s.user.name, form_field(f, "id"),
                              pki::revocation_reason_from_name(form_field(f, "reason")));
    return see_other("/admin/credentials");
}

int int_field(const std::string& text, std::string_view name) {
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    require(ec == std::errc{} && end == text.data() + text.size(), Errc::InvalidRequest,
            std::string{name} + " must be a whole number");
    return value;
}

/// A create request as `inkan credential create` builds one from its options: the same defaults (ec-p256,
/// profile person, SCAL 2, multisign 1, explicit), the kind from the profile, and a personal credential's
/// PIN generated and shown once (an oauth2code credential's is never shown: decision 0012).
struct CredentialOrder {
    service::NewCredential request;
    Secret pin;
    bool show_pin = false;
};

CredentialOrder credential_order(const ConsoleDeps& d, const FormFields& f) {
    require(d.profiles != nullptr, Errc::InvalidConfig, "console: creating credentials is not configured");
    const auto get = [&f](const char* name, std::string fallback = {}) {
        const auto it = f.find(name);
        return it == f.end() || it->second.empty() ? fallback : it->second;
    };
    CredentialOrder o;
    service::NewCredential& q = o.request;
    q.profile = get("profile", "person");
    q.kind = service::credential_kind_of(d.profiles->get(q.profile));
    const auto key = service::key_spec_named(get("algo", "ec-p256"));
    require(key.has_value(), Errc::InvalidRequest,
            "algo must be rsa-2048, rsa-3072, rsa-4096, ec-p256, ec-p384 or ec-p521");
    q.key = *key;
    q.ca = get("ca");
    q.scal = int_field(get("scal", "2"), "scal");
    q.multisign = int_field(get("multisign", "1"), "multisign");
    const auto mode = service::auth_mode_from_name(get("auth_mode", "explicit"));
    require(mode.has_value(), Errc::InvalidRequest, "auth_mode must be explicit or oauth2code");
    q.auth_mode = *mode;
    q.signature_qualifier = get("signature_qualifier");
    q.description = get("description");
    if (q.kind == service::CredentialKind::Personal) {
        q.owner = get("owner");
        require(!q.owner.empty(), Errc::InvalidRequest, "a personal credential needs its owner's user name");
        require(get("organization").empty() && get("organization_identifier").empty(), Errc::InvalidRequest,
                "organization and organization_identifier are for seals (a seal profile)");
        o.pin = random_pin();
        o.show_pin = q.auth_mode == service::AuthMode::Explicit;
        q.pin = o.pin.clone();
    } else {
        require(get("owner").empty(), Errc::InvalidRequest,
                "a seal has no owner: add its members once it is created");
        q.organization = get("organization");
        q.organization_identifier = get("organization_identifier");
        require(!q.organization.empty() && !q.organization_identifier.empty(), Errc::InvalidRequest,
                "a seal needs organization and organization_identifier (e.g. NTRJP-1234567890123)");
    }
    return o;
}

http::Response credential_create_post(const ConsoleDeps& d, const http::Request& r) {
    const FormFields f = fields_of(r);
    const Signed s = form_post(d, r, f);
    service::Console::require_operator(s.user);
    CredentialOrder o = credential_order(d, f);
    const auto created = d.admin.create_credential(s.user.name, std::move(o.request));
    const service::Credential& cr = created.credential;
    const Lang t = lang_of(r);
    const std::string id = html_escape(cr.id);
    std::string c = o.show_pin ? "<p id=\"once\" role=\"alert\">" + t.h(kPinOnce) + "</p>" : std::string{};
    c += "<dl id=\"created\"><dt>" + t.h(kCredential) + "</dt><dd id=\"created-credential\">" + id +
         "</dd><dt>" + t.h(kStatus) + "</dt><dd id=\"created-status\">" +
         html_escape(std::string{service::name(cr.status)}) + "</dd><dt>" + t.h(kKey) + "</dt><dd>" +
         html_escape(cr.key_algo) + "</dd><dt>" + t.h(kCa) + "</dt><dd>" + html_escape(cr.ca) + " (" +
         html_escape(cr.profile) + ")</dd>";
    if (o.show_pin) {
        c += "<dt>" + t.h(kOwnerPin) + "</dt><dd><code id=\"created-pin\">" + html_escape(o.pin.reveal()) +
             "</code></dd>";
    }
    if (!cr.chain.empty()) {
        c += "<dt>" + t.h(kSubject) + "</dt><dd id=\"created-subject\">" +
             html_escape(pki::Certificate::from_der(cr.chain.front()).subject()) + "</dd>";
    }
    c += "</dl>";
    if (!created.csr_pem.empty()) {
        c += "<h2>" + t.h(kCsr) + "</h2><p>" + t.h(kTakeCsr) + "</p><pre id=\"csr\">" +
             html_escape(created.csr_pem) + "</pre><p><a id=\"download-csr\" download=\"" + id +
             ".csr\" href=\"data:application/pkcs10;base64," + base64_encode(as_bytes(created.csr_pem)) +
             "\">" + t.h(kDownloadCsr) + "</a></p>" + pending_forms(t, s, cr);
    }
    c += "<p><a href=\"/admin/credentials\" id=\"back\">" + t.h(kBack) + "</a></p>";
    return chrome(t, r, s, kCredentialCreated, c);
}

http::Response csr_download(const std::string& id, std::string pem) {
    http::Response out = http::Response::binary(200, "application/pkcs10", std::move(pem));
    // The id is a credential's (base64url: nothing to quote), checked by the service before this.
    out.headers.set("Content-Disposition", "attachment; filename=\"" + id + ".csr\"");
    page_headers(out);
    return out;
}

http::Response credential_csr_post(const ConsoleDeps& d, const http::Request& r) {
    const FormFields f = fields_of(r);
    const Signed s = form_post(d, r, f);
    service::Console::require_operator(s.user);
    const std::string id = form_field(f, "id");
    std::string pem = d.admin.credential_csr(s.user.name, id, form_field(f, "organization_identifier"));
    return csr_download(id, std::move(pem));
}

/// The certificate upload (multipart/form-data: csrf, step, id and the file `certificate`), checked and
/// stored as `inkan credential import-cert` does, against the configured trust anchor.
http::Response credential_certificate_post(const ConsoleDeps& d, const http::Request& r) {
    check_origin(r, d);
    const Signed s = signed_in(d, r);
    service::Console::require_operator(s.user);  // before the body is parsed
    const std::string boundary = detail::multipart_boundary(r.header("Content-Type").value_or(""));
    FormFields fields;
    std::optional<std::string> pem;
    for (auto& part : detail::parse_multipart(r.body, boundary)) {
        if (part.name == "certificate") {
            require(part.is_file, Errc::InvalidRequest, "certificate must be a file");
            require(!pem, Errc::InvalidRequest, "certificate is given once");
            pem = std::move(part.body);
            continue;
        }
        require(part.name == "csrf" || part.name == "step" || part.name == "id", Errc::InvalidRequest,
                "an unexpected form field");
        require(!part.is_file, Errc::InvalidRequest, part.name + " must not be a file");
        require(fields.emplace(part.name, std::move(part.body)).second, Errc::InvalidRequest,
                part.name + " is given twice");
    }
    service::Console::check_csrf(s.session, form_field(fields, "csrf"));
    require(pem.has_value() && !pem->empty(), Errc::InvalidRequest, "choose the certificate file");
    require(static_cast<bool>(d.trust_anchor), Errc::InvalidConfig, "console: no trust anchor is configured");
    const service::Credential cr =
        d.admin.import_certificate(s.user.name, form_field(fields, "id"), *pem, d.trust_anchor());
    const Lang t = lang_of(r);
    const pki::Certificate leaf = pki::Certificate::from_der(cr.chain.front());
    const std::string c =
        "<p id=\"message\" role=\"status\">" + t.h(kCertImported) + "</p><dl id=\"imported\"><dt>" +
        t.h(kCredential) + "</dt><dd id=\"imported-credential\">" + html_escape(cr.id) + "</dd><dt>" +
        t.h(kStatus) + "</dt><dd id=\"imported-status\">" +
        html_escape(std::string{service::name(cr.status)}) + "</dd><dt>" + t.h(kSubject) +
        "</dt><dd id=\"imported-subject\">" + html_escape(leaf.subject()) + "</dd><dt>" + t.h(kIssuer) +
        "</dt><dd>" + html_escape(leaf.issuer()) +
        "</dd></dl><p><a href=\"/admin/credentials\" id=\"back\">" + t.h(kBack) + "</a></p>";
    return chrome(t, r, s, kCertImported, c);
}

http::Response member_add_post(const ConsoleDeps& d, const http::Request& r) {
    const FormFields f = fields_of(r);
    const Signed s = form_post(d, r, f);
    service::Console::require_operator(s.user);
    const std::string id = form_field(f, "id");
    const std::string user = form_field(f, "user");
    const Secret pin = random_pin();
    d.admin.add_seal_member(s.user.name, id, user, pin);
    const Lang t = lang_of(r);
    const std::string c =
        "<p id=\"once\" role=\"alert\">" + t.h(kPinOnce) + "</p><dl id=\"created\"><dt>" + t.h(kCredential) +
        "</dt><dd id=\"member-credential\">" + html_escape(id) + "</dd><dt>" + t.h(kUser) +
        "</dt><dd id=\"member-user\">" + html_escape(user) + "</dd><dt>" + t.h(kMemberPin) +
        "</dt><dd><code id=\"member-pin\">" + html_escape(pin.reveal()) +
        "</code></dd></dl><p><a href=\"/admin/credentials\" id=\"back\">" + t.h(kBack) + "</a></p>";
    return chrome(t, r, s, kMemberAdded, c);
}

http::Response member_remove_post(const ConsoleDeps& d, const http::Request& r) {
    const FormFields f = fields_of(r);
    const Signed s = form_post(d, r, f);
    service::Console::require_operator(s.user);
    d.admin.remove_seal_member(s.user.name, form_field(f, "id"), form_field(f, "user"));
    return see_other("/admin/credentials");
}

// ---- verify --------------------------------------------------------------------------------------------

/// The uploads of a verify request: the documents (each with its file name), the optional detached
/// content, and the plain fields (csrf, step, format).
struct Uploads {
    std::vector<std::pair<std::string, Bytes>> documents;  ///< (file name, bytes)
    std::optional<Bytes> content;
    FormFields fields;
};

/// A file name fit to show and to put into the report: valid UTF-8 without control characters, at most
/// 255 bytes; anything else (or none) is "document[i]", the name the API's validate gives.
std::string display_name(const std::string& filename, std::size_t i) {
    const bool fit = !filename.empty() && filename.size() <= 255 && is_valid_utf8(filename) &&
                     std::none_of(filename.begin(), filename.end(),
                                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
    return fit ? filename : "document[" + std::to_string(i) + "]";
}

Uploads uploads_of(const http::Request& r) {
    const std::string boundary = detail::multipart_boundary(r.header("Content-Type").value_or(""));
    Uploads out;
    for (auto& part : detail::parse_multipart(r.body, boundary)) {
        if (part.name == "document" || part.name == "content") {
            require(part.is_file, Errc::InvalidRequest, part.name + " must be a file");
            if (part.filename.empty() && part.body.empty()) {
                continue;  // a file input left empty: browsers send an empty part without a name
            }
            Bytes bytes(part.body.begin(), part.body.end());
            if (part.name == "content") {
                require(!out.content, Errc::InvalidRequest, "content is given once");
                out.content = std::move(bytes);
            } else {
                out.documents.emplace_back(display_name(part.filename, out.documents.size()),
                                           std::move(bytes));
            }
            continue;
        }
        require(part.name == "csrf" || part.name == "step" || part.name == "format", Errc::InvalidRequest,
                "an unexpected form field");
        require(!part.is_file, Errc::InvalidRequest, part.name + " must not be a file");
        require(out.fields.emplace(part.name, std::move(part.body)).second, Errc::InvalidRequest,
                part.name + " is given twice");
    }
    return out;
}

/// The validator on the uploads, each report named after its file.
std::vector<validation::DocumentReport> verify_uploads(const ConsoleDeps& d, const Uploads& u) {
    require(d.validation != nullptr, Errc::Unavailable, "console: no validator configured");
    require(!u.documents.empty(), Errc::InvalidRequest, "choose at least one signed file");
    std::vector<service::ValidateItem> items;
    for (const auto& [name, bytes] : u.documents) {
        service::ValidateItem item;
        item.document = bytes;
        item.content = u.content;
        items.push_back(std::move(item));
    }
    auto reports = d.validation->validate(items);
    for (std::size_t i = 0; i < reports.size() && i < u.documents.size(); ++i) {
        reports[i].file = u.documents[i].first;
    }
    return reports;
}

/// "json" or "etsi": the report as a download, as `inkan verify --json` and `--etsi-report` write it.
http::Response report_download(const std::vector<validation::DocumentReport>& reports,
                               std::string_view format) {
    const bool etsi = format == "etsi";
    http::Response out =
        http::Response::binary(200, etsi ? "application/xml; charset=utf-8" : "application/json",
                               etsi ? validation::to_etsi_xml(reports, std::chrono::system_clock::now())
                                    : validation::to_json(reports));
    out.headers.set("Content-Disposition",
                    std::string{"attachment; filename=\"inkan-report."} + (etsi ? "xml" : "json") + "\"");
    return out;
}

std::string when(const std::optional<TimePoint>& t) {
    return t ? format_rfc3339(*t) : std::string{"-"};
}

std::string verdict_html(const Lang& t, const validation::Verdict& v) {
    const auto i = v.indication;
    const L& word = i == validation::Indication::TotalPassed   ? kPassed
                    : i == validation::Indication::TotalFailed ? kFailedSig
                                                               : kIndeterminate;
    return "<span class=\"indication " +
           std::string{i == validation::Indication::TotalPassed ? "ok" : "bad"} + "\">" +
           html_escape(validation::name(i)) + "</span> (" + t.h(word) + ")" +
           (v.subindication ? " <span class=\"subindication\">" +
                                  html_escape(validation::name(*v.subindication)) + "</span>"
                            : std::string{});
}

std::string list_html(const std::vector<std::string>& items, std::string_view cls) {
    std::string out = "<ul class=\"" + std::string{cls} + "\">";
    for (const auto& i : items) {
        out += "<li>" + html_escape(i) + "</li>";
    }
    return out + "</ul>";
}

std::string timestamps_html(const Lang& t, const std::vector<validation::TimestampReport>& list) {
    std::string out = "<ul class=\"timestamps\">";
    for (const auto& ts : list) {
        out += "<li>" + html_escape(ts.kind) + ": " + html_escape(when(ts.time)) + " — " +
               html_escape(ts.tsa.empty() ? "?" : ts.tsa) + " — " + verdict_html(t, ts.verdict) +
               (ts.errors.empty() ? std::string{} : list_html(ts.errors, "problems")) + "</li>";
    }
    return out + "</ul>";
}

/// One section per document, one table of terms per signature: what a person reads first (the
/// indication), then who signed, when, at what level, and what changed after signing.
std::string report_html(const Lang& t, const std::vector<validation::DocumentReport>& reports) {
    std::string c = "<section id=\"report\"><h2>" + t.h(kReport) + "</h2>";
    for (std::size_t i = 0; i < reports.size(); ++i) {
        const auto& doc = reports[i];
        c += "<section class=\"document\" id=\"document-" + std::to_string(i) + "\" data-passed=\"" +
             (doc.all_passed() ? "true" : "false") + "\"><h3>" + t.h(kFile) + ": <span class=\"file\">" +
             html_escape(doc.file) + "</span></h3><p>" + t.h(kFormat) + ": " +
             html_escape(doc.format.value_or("-")) + "</p>";
        if (doc.error) {
            c += "<p class=\"bad error\">" + t.h(kUnreadable) + ": " + html_escape(*doc.error) + "</p>";
        } else if (doc.signatures.empty() && doc.document_timestamps.empty()) {
            c += "<p class=\"bad\">" + t.h(kNoSignatures) + "</p>";
        }
        for (const auto& sig : doc.signatures) {
            c += "<table class=\"signature\" data-indication=\"" +
                 html_escape(validation::name(sig.verdict.indication)) + "\" data-subindication=\"" +
                 html_escape(sig.verdict.subindication ? validation::name(*sig.verdict.subindication)
                                                       : std::string_view{}) +
                 "\"><caption>" + t.h(kSignature) + " " + html_escape(sig.id) +
                 (sig.field.empty() ? std::string{} : " (" + html_escape(sig.field) + ")") +
                 "</caption><tbody>";
            const auto row = [&](const L& term, const std::string& value_html) {
                c += "<tr><th scope=\"row\">" + t.h(term) + "</th><td>" + value_html + "</td></tr>";
            };
            row(kIndication, verdict_html(t, sig.verdict));
            row(kSigner, "<span class=\"signer\">" + html_escape(sig.signer) + "</span>");
            row(kClaimedTime, html_escape(when(sig.claimed_signing_time)));
            row(kBestTime, html_escape(when(sig.best_signature_time)));
            row(kLevel, html_escape(validation::name(sig.level).value_or("-")));
            if (!sig.timestamps.empty()) {
                row(kTimestamps, timestamps_html(t, sig.timestamps));
            }
            if (doc.format == std::optional<std::string>{"PAdES"} || !sig.field.empty()) {
                row(kChanges, sig.modification.detected
                                  ? "<span class=\"bad changes\">" +
                                        list_html(sig.modification.changes, "changes") + "</span>"
                                  : "<span class=\"ok changes\">" + t.h(kNoChanges) + "</span>");
                if (!sig.modification.permitted.empty()) {
                    row(kPermitted, list_html(sig.modification.permitted, "permitted"));
                }
            }
            row(kChain, list_html(sig.chain, "chain"));
            row(kRevocation, html_escape(sig.revocation));
            if (!sig.errors.empty()) {
                row(kProblems, list_html(sig.errors, "problems"));
            }
            c += "</tbody></table>";
        }
        if (!doc.document_timestamps.empty()) {
            c += "<h4>" + t.h(kDocumentTimestamps) + "</h4>" + timestamps_html(t, doc.document_timestamps);
        }
        c += "</section>";
    }
    // Both reports as downloads without a second upload and without keeping anything on the server: data:
    // URLs with the download attribute (a download, not a navigation; the CSP governs neither).
    const std::string json_report = validation::to_json(reports);
    const std::string etsi_report = validation::to_etsi_xml(reports, std::chrono::system_clock::now());
    c += "<p><a id=\"download-json\" download=\"inkan-report.json\" href=\"data:application/json;base64," +
         base64_encode(as_bytes(json_report)) + "\">" + t.h(kDownloadJson) +
         "</a> | <a id=\"download-etsi\" download=\"inkan-report.xml\" href=\"data:application/xml;base64," +
         base64_encode(as_bytes(etsi_report)) + "\">" + t.h(kDownloadEtsi) + "</a></p></section>";
    return c;
}

std::string verify_form(const Lang& t, const Signed& s) {
    // multipart/form-data: files cannot travel in a urlencoded form. The CSRF token is a field of it.
    std::string c =
        "<form method=\"post\" action=\"/admin/verify\" enctype=\"multipart/form-data\" id=\"verify-form\">"
        "<input type=\"hidden\" name=\"csrf\" value=\"" +
        html_escape(s.csrf) +
        "\"><input type=\"hidden\" name=\"step\" value=\"verify\">"
        "<div><label for=\"document\">" +
        t.h(kDocuments) +
        "</label><input type=\"file\" id=\"document\" name=\"document\" multiple required></div>"
        "<div><label for=\"content\">" +
        t.h(kDetached) + "</label><input type=\"file\" id=\"content\" name=\"content\"></div>";
    c += "<div><label for=\"format\">" + t.h(kReportAs) + "</label><select id=\"format\" name=\"format\">";
    for (const auto& [value, label] : {std::pair{"page", &kReportPage}, std::pair{"json", &kReportJson},
                                       std::pair{"etsi", &kReportEtsi}}) {
        c += "<option value=\"" + std::string{value} + "\">" + t.h(*label) + "</option>";
    }
    c += "</select></div><button type=\"submit\" id=\"do-verify\">" + t.h(kDoVerify) + "</button></form>";
    return c;
}

http::Response verify_get(const ConsoleDeps& d, const http::Request& r) {
    const Signed s = signed_in(d, r);
    const Lang t = lang_of(r);
    if (d.validation == nullptr) {
        return chrome(t, r, s, kVerifyTitle, "<p id=\"no-validator\">" + t.h(kNoValidator) + "</p>");
    }
    return chrome(t, r, s, kVerifyTitle, verify_form(t, s));
}

/// Operators and auditors alike (a read), but a POST: the console's origin, a live session and the CSRF
/// token — checked before the body is parsed, so a request without a session costs no parsing.
http::Response verify_post(const ConsoleDeps& d, const http::Request& r) {
    check_origin(r, d);
    const Signed s = signed_in(d, r);
    const Uploads u = uploads_of(r);
    service::Console::check_csrf(s.session, form_field(u.fields, "csrf"));
    const std::string format = u.fields.count("format") != 0 ? u.fields.at("format") : "page";
    require(format == "page" || format == "json" || format == "etsi", Errc::InvalidRequest,
            "format must be page, json or etsi");
    const auto reports = verify_uploads(d, u);
    if (format != "page") {
        http::Response out = report_download(reports, format);
        page_headers(out);
        return out;
    }
    const Lang t = lang_of(r);
    return chrome(t, r, s, kVerifyTitle,
                  report_html(t, reports) + "<h2>" + t.h(kAgain) + "</h2>" + verify_form(t, s));
}

// ---- the JSON admin API ----------------------------------------------------------------------------

/// The caller of the JSON API: an operator or auditor bearer token (auth/login), or the console's session
/// cookie — then a change needs this console's origin and the CSRF token in X-CSRF-Token.
service::ConsoleUser api_caller(const ConsoleDeps& d, const http::Request& r, bool change) {
    if (const auto authz = r.header("Authorization")) {
        require(authz->size() > 7 && http::iequals(authz->substr(0, 7), "Bearer "), Errc::Unauthenticated,
                "admin API: a Bearer token is required");
        const service::Caller caller = d.sessions.authenticate(Secret{authz->substr(7)});
        require(!caller.user_id.empty(), Errc::Forbidden, "admin API: a system client is no operator");
        return d.console.account(caller.user_id);
    }
    if (change) {
        check_origin(r, d);
    }
    Signed s = signed_in(d, r);
    if (change) {
        service::Console::check_csrf(s.session, r.header("X-CSRF-Token").value_or(""));
    }
    return s.user;
}

json object_of(const std::string& body) {
    auto j = json::parse(body, nullptr, false);
    require(!j.is_discarded() && j.is_object(), Errc::InvalidRequest,
            "admin API: the body must be a JSON object");
    return j;
}

std::string string_member(const json& j, const char* name, bool required = true) {
    if (!j.contains(name)) {
        require(!required, Errc::InvalidRequest, std::string{"admin API: "} + name + " is required");
        return {};
    }
    require(j[name].is_string(), Errc::InvalidRequest,
            std::string{"admin API: "} + name + " must be a string");
    return j[name].get<std::string>();
}

json user_json(const service::User& u) {
    return json{{"id", u.id},
                {"name", u.name},
                {"display_name", u.display_name},
                {"role", service::name(u.role)},
                {"locked", u.locked},
                {"totp", u.totp_enrolled},
                {"created_at", format_rfc3339(u.created_at)}};
}

http::Response no_store(http::Response r) {
    r.headers.set("Cache-Control", "no-store");
    r.headers.set("X-Content-Type-Options", "nosniff");
    return r;
}

http::Response api_audit(const ConsoleDeps& d, const http::Request& r) {
    (void)api_caller(d, r, false);
    const service::AuditPage page = d.admin.search_audit(search_of(r));
    json entries = json::array();
    for (const auto& n : page.entries) {
        entries.push_back(json::parse(service::audit_entry_json(n)));
    }
    json out{{"entries", entries}, {"next_before", nullptr}};
    if (page.next_before) {
        out["next_before"] = *page.next_before;
    }
    return no_store(http::Response::json(200, out.dump()));
}

http::Response api_audit_entry(const ConsoleDeps& d, const http::Request& r) {
    (void)api_caller(d, r, false);
    const auto seq = number_param(r.query_param("seq").value_or(""), "seq");
    const auto n = d.admin.audit_entry(seq);
    require(n.has_value(), Errc::NotFound, "no audit entry " + std::to_string(seq));
    return no_store(http::Response::json(200, service::audit_entry_json(*n)));
}

http::Response api_audit_export(const ConsoleDeps& d, const http::Request& r) {
    (void)api_caller(d, r, false);
    return no_store(export_response(d, r));
}

http::Response api_audit_verify(const ConsoleDeps& d, const http::Request& r) {
    (void)api_caller(d, r, true);  // a read, but a POST: the same origin and CSRF rules as a change
    const auto v = d.admin.verify_audit();
    json out{{"ok", v.ok}, {"entries", v.entries}, {"problem", v.problem}, {"first_bad_seq", nullptr}};
    if (v.first_bad_seq) {
        out["first_bad_seq"] = *v.first_bad_seq;
    }
    return no_store(http::Response::json(200, out.dump()));
}

http::Response api_service(const ConsoleDeps& d, const http::Request& r) {
    (void)api_caller(d, r, false);
    const ConsoleStatus st = d.status();
    const json out{
        {"ready", st.ready},
        {"not_ready", st.not_ready},
        {"maintenance", st.maintenance},
        {"warnings", st.warnings},
        {"version", st.version},
        {"token",
         {{"label", st.token_label},
          {"model", st.token_model},
          {"state", st.token_state},
          {"pin", st.token_pin},
          {"sessions", st.token_sessions},
          {"max_sessions", st.token_max_sessions},
          {"keys", json(std::map<std::string, std::size_t>(st.token_keys.begin(), st.token_keys.end()))}}}};
    return no_store(http::Response::json(200, out.dump()));
}

http::Response api_maintenance(const ConsoleDeps& d, const http::Request& r) {
    const service::ConsoleUser who = api_caller(d, r, true);
    service::Console::require_operator(who);
    const json body = object_of(r.body);
    require(body.contains("on") && body["on"].is_boolean(), Errc::InvalidRequest,
            "admin API: on must be a boolean");
    d.admin.set_maintenance(who.name, body["on"].get<bool>());
    return no_store(http::Response::json(200, json{{"maintenance", d.admin.maintenance()}}.dump()));
}

http::Response api_users(const ConsoleDeps& d, const http::Request& r) {
    (void)api_caller(d, r, false);
    json out = json::array();
    for (const auto& u : d.admin.users()) {
        out.push_back(user_json(u));
    }
    return no_store(http::Response::json(200, out.dump()));
}

json credential_json(const service::Credential& c, const std::map<std::string, std::string>& names) {
    const auto owner = names.find(c.owner_user_id);
    return json{{"id", c.id},
                {"kind", service::name(c.kind)},
                {"owner_id", c.owner_user_id},
                {"owner", owner == names.end() ? std::string{} : owner->second},
                {"organization", c.organization},
                {"description", c.description},
                {"key_algo", c.key_algo},
                {"status", service::name(c.status)},
                {"scal", c.scal},
                {"auth_mode", service::name(c.auth_mode)},
                {"signature_qualifier", c.signature_qualifier},
                {"ca", c.ca},
                {"profile", c.profile},
                {"created_at", format_rfc3339(c.created_at)}};
}

http::Response api_credentials(const ConsoleDeps& d, const http::Request& r) {
    (void)api_caller(d, r, false);
    std::map<std::string, std::string> names;
    json out = json::array();
    for (const auto& c : credentials_of(d, text_param(r, "user"), names)) {
        out.push_back(credential_json(c, names));
    }
    return no_store(http::Response::json(200, out.dump()));
}

std::map<std::string, std::string> user_names(const ConsoleDeps& d) {
    std::map<std::string, std::string> names;
    for (const auto& u : d.admin.users()) {
        names[u.id] = u.name;
    }
    return names;
}

/// POST admin/credentials: the create form's fields as a JSON object (scal and multisign numbers).
http::Response api_credential_create(const ConsoleDeps& d, const http::Request& r) {
    const service::ConsoleUser who = api_caller(d, r, true);
    service::Console::require_operator(who);
    const json body = object_of(r.body);
    FormFields f;
    for (const char* name : {"profile", "owner", "organization", "organization_identifier", "algo", "ca",
                             "auth_mode", "signature_qualifier", "description"}) {
        f[name] = string_member(body, name, false);
    }
    for (const char* name : {"scal", "multisign"}) {
        if (body.contains(name)) {
            require(body[name].is_number_integer(), Errc::InvalidRequest,
                    std::string{"admin API: "} + name + " must be an integer");
            f[name] = std::to_string(body[name].get<std::int64_t>());
        }
    }
    CredentialOrder o = credential_order(d, f);
    const auto created = d.admin.create_credential(who.name, std::move(o.request));
    json out{{"credential", credential_json(created.credential, user_names(d))}};
    if (o.show_pin) {
        out["pin"] = std::string{o.pin.reveal()};  // once, like `inkan credential create --json`
    }
    if (!created.csr_pem.empty()) {
        out["csr_pem"] = created.csr_pem;
    }
    return no_store(http::Response::json(201, out.dump()));
}

/// POST admin/credentials/csr {id, organization_identifier?}: a Pending credential's CSR again.
http::Response api_credential_csr(const ConsoleDeps& d, const http::Request& r) {
    const service::ConsoleUser who = api_caller(d, r, true);
    service::Console::require_operator(who);
    const json body = object_of(r.body);
    const std::string id = string_member(body, "id");
    const std::string pem =
        d.admin.credential_csr(who.name, id, string_member(body, "organization_identifier", false));
    return no_store(http::Response::json(200, json{{"credential", id}, {"csr_pem", pem}}.dump()));
}

/// POST admin/credentials/certificate {id, chain_pem}: `inkan credential import-cert`.
http::Response api_credential_certificate(const ConsoleDeps& d, const http::Request& r) {
    const service::ConsoleUser who = api_caller(d, r, true);
    service::Console::require_operator(who);
    const json body = object_of(r.body);
    const std::string id = string_member(body, "id");
    const std::string pem = string_member(body, "chain_pem");
    require(static_cast<bool>(d.trust_anchor), Errc::InvalidConfig,
            "admin API: no trust anchor is configured");
    const service::Credential c = d.admin.import_certificate(who.name, id, pem, d.trust_anchor());
    json out{{"credential", credential_json(c, user_names(d))}};
    out["subject"] = pki::Certificate::from_der(c.chain.front()).subject();
    out["chain_pem"] = pki::certificates_pem(c.chain);
    return no_store(http::Response::json(200, out.dump()));
}

http::Response api_user_add(const ConsoleDeps& d, const http::Request& r) {
    const service::ConsoleUser who = api_caller(d, r, true);
    service::Console::require_operator(who);
    const json body = object_of(r.body);
    const auto role = service::role_from_name(body.contains("role") ? string_member(body, "role") : "user");
    require(role.has_value(), Errc::InvalidRequest, "admin API: role must be user, operator or auditor");
    require(!body.contains("totp") || body["totp"].is_boolean(), Errc::InvalidRequest,
            "admin API: totp must be a boolean");
    const Secret password = initial_password();
    service::NewUser request;
    request.name = string_member(body, "name");
    request.display_name = string_member(body, "display_name", false);
    request.role = *role;
    request.password = password.clone();
    request.totp = body.value("totp", false);
    const service::UserCreated created = d.admin.add_user(who.name, std::move(request));
    json out{{"user", user_json(created.user)}, {"password", std::string{password.reveal()}}};
    if (created.otpauth_uri) {
        out["otpauth_uri"] = *created.otpauth_uri;
        out["totp_secret"] = *created.totp_secret_base32;
    }
    return no_store(http::Response::json(201, out.dump()));
}

http::Response api_user_change(const ConsoleDeps& d, const http::Request& r, std::string_view what) {
    const service::ConsoleUser who = api_caller(d, r, true);
    service::Console::require_operator(who);
    const json body = object_of(r.body);
    const std::string name = string_member(body, "name");
    json out{{"user", name}};
    if (what == "lock") {
        d.admin.lock_user(who.name, name);
    } else if (what == "role") {
        const auto role = service::role_from_name(string_member(body, "role"));
        require(role.has_value(), Errc::InvalidRequest, "admin API: role must be user, operator or auditor");
        return no_store(http::Response::json(
            200, json{{"user", user_json(d.admin.set_role(who.name, name, *role))}}.dump()));
    } else if (what == "unlock") {
        (void)d.admin.unlock_user(who.name, name);
    } else {
        const auto [uri, secret] = d.admin.reset_totp(who.name, name);
        out["otpauth_uri"] = uri;
        out["totp_secret"] = secret;
    }
    return no_store(http::Response::json(200, out.dump()));
}

http::Response api_credential_change(const ConsoleDeps& d, const http::Request& r, std::string_view what) {
    const service::ConsoleUser who = api_caller(d, r, true);
    service::Console::require_operator(who);
    const json body = object_of(r.body);
    const std::string id = string_member(body, "id");
    json out{{"credential", id}};
    if (what == "revoke") {
        const std::string reason = body.contains("reason") ? string_member(body, "reason") : "unspecified";
        d.admin.revoke_credential(who.name, id, pki::revocation_reason_from_name(reason));
        out["status"] = "disabled";
        return no_store(http::Response::json(200, out.dump()));
    }
    const std::string user = string_member(body, "user");
    out["user"] = user;
    if (what == "members/add") {
        const Secret pin = random_pin();
        d.admin.add_seal_member(who.name, id, user, pin);
        out["pin"] = std::string{pin.reveal()};  // once, like `inkan seal add-member --json`
        return no_store(http::Response::json(201, out.dump()));
    }
    d.admin.remove_seal_member(who.name, id, user);
    return no_store(http::Response::json(200, out.dump()));
}

http::Response api_verify(const ConsoleDeps& d, const http::Request& r) {
    (void)api_caller(d, r, true);  // a read, but a POST: the same origin and CSRF rules as a change
    const std::string format{r.query_param("format").value_or("json")};
    require(format == "json" || format == "etsi", Errc::InvalidRequest, "format must be json or etsi");
    const Uploads u = uploads_of(r);
    require(u.fields.count("format") == 0 && u.fields.count("csrf") == 0, Errc::InvalidRequest,
            "admin API: the format is a query parameter and the CSRF token a header");
    return no_store(report_download(verify_uploads(d, u), format));
}

// ---- registration ----------------------------------------------------------------------------------

using PageRun = std::function<http::Response(const ConsoleDeps&, const http::Request&)>;

/// Pages: a session that ended sends a GET to the sign-in page and answers a POST with it (401); a
/// refusal is a 403 page; a bad request a 400 page with the reason; the rest 500, logged. A ?lang= switch
/// is remembered in a cookie.
http::Handler page_handler(std::shared_ptr<const ConsoleDeps> d, PageRun run) {
    return [d = std::move(d), run = std::move(run)](const http::Request& r) -> http::Response {
        const Lang t = lang_of(r);
        http::Response out;
        try {
            out = run(*d, r);
        } catch (const Error& e) {
            const auto page = [&](int status, const L& title, const std::string& body) {
                return html(status, detail::page_document(std::string{t(title)}, body, t.code()));
            };
            const std::string back = "<p><a href=\"/admin/\">" + t.h(kBack) + "</a></p>";
            switch (e.code()) {
                case Errc::Unauthenticated:
                    log::info("console: not signed in", {{"reason", e.detail()}});
                    out = r.method == "GET" ? see_other("/admin/login")
                                            : page(401, kSignIn,
                                                   message_html(t(kExpired)) +
                                                       "<p><a href=\"/admin/login\" id=\"to-login\">" +
                                                       t.h(kSignIn) + "</a></p>");
                    out.headers.add("Set-Cookie", cookie(kCookie, "", 0));
                    break;
                case Errc::Forbidden:
                    log::info("console: refused", {{"reason", e.detail()}});
                    out = page(403, kFailed,
                               "<p class=\"msg\" id=\"message\" role=\"alert\" data-status=\"403\">" +
                                   t.h(kForbidden) + "</p>" + back);
                    break;
                case Errc::InvalidRequest:
                case Errc::InvalidEncoding:
                case Errc::NotFound:
                case Errc::Conflict:
                case Errc::InvalidAuthData:
                case Errc::Locked:
                case Errc::PayloadTooLarge:
                    out = page(400, kFailed, message_html(e.detail()) + back);
                    break;
                default:
                    log::error("console page failed", {{"code", errc_name(e.code())}, {"what", e.what()}});
                    out = page(500, kFailed, message_html(t(kFailed)) + back);
            }
        }
        if (const auto q = r.query_param("lang"); q && (*q == "ja" || *q == "en")) {
            out.headers.add("Set-Cookie", cookie(kLangCookie, *q, std::int64_t{365} * 24 * 3600, false));
        }
        return out;
    };
}

/// The JSON API: every failure through the one Errc → wire table (errors.h), no-store.
http::Handler api_handler(std::shared_ptr<const ConsoleDeps> d, PageRun run) {
    return [d = std::move(d), run = std::move(run)](const http::Request& r) -> http::Response {
        try {
            return run(*d, r);
        } catch (const Error& e) {
            if (e.code() == Errc::Internal || e.code() == Errc::StorageFailure ||
                e.code() == Errc::HsmFailure) {
                log::error("admin API failed", {{"code", errc_name(e.code())}, {"what", e.what()}});
            } else {
                log::info("admin API refused", {{"code", errc_name(e.code())}, {"reason", e.detail()}});
            }
            return no_store(to_problem(e));
        }
    };
}

/// The verify routes take the files themselves: all of them together up to the validator's document limit
/// ([signing] max_document_bytes), plus room for the parts' headers and the small fields.
std::uint64_t verify_limit(const ConsoleDeps& d) {
    constexpr std::uint64_t kMultipartAllowance = 64 * 1024;
    return (d.validation != nullptr ? d.validation->settings().max_document_bytes : 0) + kMultipartAllowance;
}

void add(http::Router& router, std::string method, std::string path, http::Handler h, std::uint64_t limit) {
    http::Route route{std::move(method), std::move(path), std::move(h), http::Match::Exact,
                      http::Execution::Worker};
    route.max_body_bytes = limit;
    router.add(std::move(route));
}

}  // namespace

void add_console_routes(http::Router& router, ConsoleDeps deps) {
    auto d = std::make_shared<const ConsoleDeps>(std::move(deps));
    const auto page = [&](std::string method, std::string path, PageRun run) {
        const std::uint64_t limit = method == "GET" ? kReadBodyLimit : kFormBodyLimit;
        add(router, std::move(method), std::move(path), page_handler(d, std::move(run)), limit);
    };
    page("GET", "/admin/", &root_get);
    page("GET", "/admin/login", &login_get);
    page("POST", "/admin/login", &login_post);
    page("POST", "/admin/logout", &logout_post);
    page("GET", "/admin/audit", &audit_get);
    page("GET", "/admin/audit/entry", &audit_entry_get);
    page("GET", "/admin/audit/export", &audit_export_get);
    page("POST", "/admin/audit/verify", &audit_verify_post);
    page("GET", "/admin/service", &service_get);
    page("POST", "/admin/service/maintenance", &maintenance_post);
    page("GET", "/admin/users", &users_get);
    page("POST", "/admin/users/add", &user_add_post);
    page("GET", "/admin/credentials", &credentials_get);
    page("POST", "/admin/credentials/revoke", &credential_revoke_post);
    page("POST", "/admin/credentials/create", &credential_create_post);
    page("POST", "/admin/credentials/csr", &credential_csr_post);
    add(router, "POST", "/admin/credentials/certificate", page_handler(d, &credential_certificate_post),
        kCertificateBodyLimit);
    page("POST", "/admin/credentials/members/add", &member_add_post);
    page("POST", "/admin/credentials/members/remove", &member_remove_post);
    page("GET", "/admin/verify", &verify_get);
    add(router, "POST", "/admin/verify", page_handler(d, &verify_post), verify_limit(*d));
    for (const std::string_view what : {"lock", "unlock", "totp", "role"}) {
        page("POST", "/admin/users/" + std::string{what},
             [what](const ConsoleDeps& c, const http::Request& r) { return user_change_post(c, r, what); });
    }

    const std::string api{kAdminApiPrefix};
    const auto endpoint = [&](std::string method, const std::string& path, PageRun run) {
        const std::uint64_t limit = method == "GET" ? kReadBodyLimit : kJsonBodyLimit;
        add(router, std::move(method), api + path, api_handler(d, std::move(run)), limit);
    };
    endpoint("GET", "audit", &api_audit);
    endpoint("GET", "audit/entry", &api_audit_entry);
    endpoint("GET", "audit/export", &api_audit_export);
    endpoint("POST", "audit/verify", &api_audit_verify);
    endpoint("GET", "service", &api_service);
    endpoint("POST", "maintenance", &api_maintenance);
    endpoint("GET", "users", &api_users);
    endpoint("POST", "users", &api_user_add);
    endpoint("GET", "credentials", &api_credentials);
    endpoint("POST", "credentials", &api_credential_create);
    endpoint("POST", "credentials/csr", &api_credential_csr);
    add(router, "POST", api + "credentials/certificate", api_handler(d, &api_credential_certificate),
        kCertificateBodyLimit);
    for (const std::string_view what : {"revoke", "members/add", "members/remove"}) {
        endpoint("POST", "credentials/" + std::string{what},
                 [what](const ConsoleDeps& c, const http::Request& r) {
                     return api_credential_change(c, r, what);
                 });
    }
    add(router, "POST", api + "verify", api_handler(d, &api_verify), verify_limit(*d));
    for (const std::string_view what : {"lock", "unlock", "totp", "role"}) {
        endpoint("POST", "users/" + std::string{what}, [what](const ConsoleDeps& c, const http::Request& r) {
            return api_user_change(c, r, what);
        });
    }
}

}  // namespace inkan::api
