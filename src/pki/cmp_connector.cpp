#include <inkan/pki/cmp_connector.h>

#include <openssl/cmp.h>
#include <openssl/cmp_util.h>
#include <openssl/crmf.h>
#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <array>
#include <cctype>
#include <climits>
#include <string>
#include <utility>
#include <vector>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/crypto/ossl.h>

namespace inkan::pki {

namespace {

void free_openssl_string(char* s) noexcept {
    ::OPENSSL_free(s);
}

using CmpCtx = ossl::Ptr<OSSL_CMP_CTX, ::OSSL_CMP_CTX_free>;
using Req = ossl::Ptr<X509_REQ, ::X509_REQ_free>;
using ossl::Store;
using NamePtr = ossl::Ptr<X509_NAME, ::X509_NAME_free>;
using ossl::CertStack;
using ossl::ExtensionStack;
using OsslString = ossl::Ptr<char, free_openssl_string>;
using Asn1Integer = ossl::Ptr<ASN1_INTEGER, ::ASN1_INTEGER_free>;

[[noreturn]] void config_error(const CmpConfig& config, std::string_view what) {
    ERR_clear_error();
    throw Error{Errc::InvalidConfig, "CA " + config.name + " (cmp): " + std::string{what}};
}

int seconds_option(const CmpConfig& config, std::chrono::seconds s, std::string_view what) {
    if (s.count() <= 0 || s.count() > INT_MAX) {
        config_error(config, std::string{what} + " must be a positive number of seconds");
    }
    return static_cast<int>(s.count());
}

ossl::Bio open_file(const CmpConfig& config, const std::filesystem::path& file, std::string_view what) {
    ossl::Bio bio{::BIO_new_file(file.c_str(), "rb")};
    if (!bio) {
        config_error(config, "cannot read the " + std::string{what} + " " + file.string());
    }
    return bio;
}

CertStack load_certificates(const CmpConfig& config, const std::filesystem::path& file,
                            std::string_view what) {
    const ossl::Bio bio = open_file(config, file, what);
    CertStack certs{ossl::not_null(sk_X509_new_null(), "sk_X509_new_null")};
    for (;;) {
        ossl::Cert cert{::PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)};
        if (!cert) {
            break;
        }
        ossl::check(sk_X509_push(certs.get(), cert.get()) > 0 ? 1 : 0, "sk_X509_push");
        (void)cert.release();
    }
    ERR_clear_error();  // the read that ends the loop reports "no start line"
    if (sk_X509_num(certs.get()) == 0) {
        config_error(config, "no PEM certificate in the " + std::string{what} + " " + file.string());
    }
    return certs;
}

ossl::PKey load_private_key(const CmpConfig& config, const std::filesystem::path& file) {
    const ossl::Bio bio = open_file(config, file, "client key");
    // A callback that supplies no passphrase: OpenSSL's default would prompt on the terminal.
    pem_password_cb* no_passphrase = [](char*, int, int, void*) -> int { return 0; };
    ossl::PKey key{
        ::PEM_read_bio_PrivateKey_ex(bio.get(), nullptr, no_passphrase, nullptr, nullptr, nullptr)};
    if (!key) {
        config_error(config, "cannot read the client key " + file.string() +
                                 " (PEM, unencrypted; encrypted keys are not supported)");
    }
    return key;
}

/// RFC 4514 text → X509_NAME. Handles backslash escapes (\, \+ \" \\ \< \> \; \= and \XX hex);
/// multi-valued RDNs ('+') are refused.
NamePtr parse_rfc4514(const CmpConfig& config, std::string_view text) {
    std::vector<std::pair<std::string, std::string>> rdns;
    std::string current;
    auto finish = [&] {
        const auto eq = current.find('=');
        if (eq == std::string::npos || eq == 0) {
            config_error(config, "recipient is not an RFC 4514 name: " + std::string{text});
        }
        std::string type = current.substr(0, eq);
        while (!type.empty() && type.back() == ' ') {
            type.pop_back();
        }
        while (!type.empty() && type.front() == ' ') {
            type.erase(0, 1);
        }
        rdns.emplace_back(std::move(type), current.substr(eq + 1));
        current.clear();
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\\' && i + 1 < text.size()) {
            const char next = text[i + 1];
            if (std::isxdigit(static_cast<unsigned char>(next)) != 0 && i + 2 < text.size() &&
                std::isxdigit(static_cast<unsigned char>(text[i + 2])) != 0) {
                current += static_cast<char>(hex_decode(text.substr(i + 1, 2)).at(0));
                i += 2;
            } else {
                current += next;
                ++i;
            }
        } else if (c == ',') {
            finish();
        } else if (c == '+') {
            config_error(config, "recipient: multi-valued RDNs are not supported: " + std::string{text});
        } else {
            current += c;
        }
    }
    finish();
    NamePtr name{ossl::not_null(::X509_NAME_new(), "X509_NAME_new")};
    // RFC 4514 lists the most specific RDN first; X509_NAME is in DER order (root first).
    for (auto it = rdns.rbegin(); it != rdns.rend(); ++it) {
        const auto& [type, value] = *it;
        if (value.size() > INT_MAX ||
            ::X509_NAME_add_entry_by_txt(name.get(), type.c_str(), MBSTRING_UTF8,
                                         reinterpret_cast<const unsigned char*>(value.data()),
                                         static_cast<int>(value.size()), -1, 0) != 1) {
            config_error(config, "recipient: unknown attribute or bad value in " + std::string{text});
        }
    }
    return name;
}

Req parse_csr(ByteView der) {
    require(!der.empty() && der.size() <= LONG_MAX, Errc::InvalidRequest, "CMP: empty or oversized CSR");
    const unsigned char* p = der.data();
    Req req{::d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size()))};
    if (!req || p != der.data() + der.size()) {
        ERR_clear_error();
        throw Error{Errc::InvalidRequest, "CMP: the CSR is not one DER PKCS#10 request"};
    }
    EVP_PKEY* key = ::X509_REQ_get0_pubkey(req.get());
    if (key == nullptr || ::X509_REQ_verify(req.get(), key) != 1) {
        ERR_clear_error();
        throw Error{Errc::InvalidRequest, "CMP: the CSR's signature does not verify"};
    }
    return req;
}

Bytes to_der(X509* cert) {
    const int n = ::i2d_X509(cert, nullptr);
    if (n <= 0) {
        ossl::throw_last_error(Errc::CryptoFailure, "i2d_X509");
    }
    Bytes out(static_cast<std::size_t>(n));
    unsigned char* p = out.data();
    if (::i2d_X509(cert, &p) != n) {
        ossl::throw_last_error(Errc::CryptoFailure, "i2d_X509");
    }
    return out;
}

std::string serial_of(X509* cert) {
    const ASN1_INTEGER* serial = ::X509_get0_serialNumber(cert);
    ossl::Bn bn{::ASN1_INTEGER_to_BN(serial, nullptr)};
    if (!bn) {
        return "?";
    }
    const OsslString hex{::BN_bn2hex(bn.get())};
    return hex ? std::string{hex.get()} : "?";
}

// ---- OpenSSL's CMP log, kept for the error message instead of printed to stdout ----

thread_local std::vector<std::string>* t_cmp_log = nullptr;

int collect_log(const char* /*func*/, const char* /*file*/, int /*line*/, OSSL_CMP_severity level,
                const char* msg) {
    // Enough lines to see what happened ("sending P10CR; received ERROR; ..."), not a transcript.
    constexpr std::size_t kMaxLines = 12;
    if (t_cmp_log != nullptr && msg != nullptr && level <= OSSL_CMP_LOG_INFO &&
        t_cmp_log->size() < kMaxLines) {
        t_cmp_log->emplace_back(msg);
    }
    return 1;
}

/// certConf check: the new certificate must carry the CSR's public key (set as newPkey, public
/// only); then OpenSSL's default check validates the chain against the store in certConf_cb_arg
/// (if any). A failInfo makes OpenSSL send a negative certConf and fail the enrolment.
int check_new_certificate(OSSL_CMP_CTX* ctx, X509* cert, int fail_info, const char** text) {
    const EVP_PKEY* requested = ::OSSL_CMP_CTX_get0_newPkey(ctx, 0);
    const EVP_PKEY* issued = ::X509_get0_pubkey(cert);
    if (fail_info == 0 &&
        (requested == nullptr || issued == nullptr || ::EVP_PKEY_eq(requested, issued) != 1)) {
        *text = "the certificate's public key is not the one in the CSR";
        return 1 << OSSL_CMP_PKIFAILUREINFO_incorrectData;
    }
    return ::OSSL_CMP_certConf_cb(ctx, cert, fail_info, text);
}

bool is_issuer(X509* issuer, X509* subject) {
    if (::X509_check_issued(issuer, subject) != X509_V_OK) {
        return false;
    }
    EVP_PKEY* key = ::X509_get0_pubkey(issuer);
    const bool ok = key != nullptr && ::X509_verify(subject, key) == 1;
    ERR_clear_error();
    return ok;
}

/// leaf, then issuers found in `pool` toward a self-signed root (at most 10 certificates).
std::vector<Bytes> build_chain(X509* leaf, const std::vector<X509*>& pool) {
    std::vector<X509*> chain{leaf};
    while (chain.size() < 10) {
        X509* current = chain.back();
        if (is_issuer(current, current)) {
            break;  // self-signed: the root
        }
        X509* next = nullptr;
        for (X509* candidate : pool) {
            bool used = false;
            for (X509* c : chain) {
                used = used || ::X509_cmp(c, candidate) == 0;
            }
            if (!used && is_issuer(candidate, current)) {
                next = candidate;
                break;
            }
        }
        if (next == nullptr) {
            break;
        }
        chain.push_back(next);
    }
    std::vector<Bytes> out;
    for (X509* c : chain) {
        out.push_back(to_der(c));
    }
    return out;
}

void append_all(std::vector<X509*>& pool, const STACK_OF(X509) * certs) {
    for (int i = 0; i < sk_X509_num(certs); ++i) {
        pool.push_back(sk_X509_value(certs, i));
    }
}

}  // namespace

struct CmpConnector::Impl {
    CmpConfig config;
    std::string host;
    std::string path;
    int port = 0;
    NamePtr recipient;
    Store trusted_store;  // shared by every enrolment (X509_STORE locks itself)
    CertStack trusted_certs;
    CertStack untrusted;  // configured intermediates + the client chain
    ossl::Cert client_cert;
    ossl::PKey client_key;
    int message_timeout = 0;
    int total_timeout = 0;

    [[noreturn]] void fail(OSSL_CMP_CTX* ctx, const std::vector<std::string>& log) const;
};

CmpConnector::CmpConnector(CmpConfig config) : m_impl{std::make_unique<Impl>()} {
    Impl& m = *m_impl;
    m.config = std::move(config);
    const CmpConfig& c = m.config;
    if (c.name.empty()) {
        config_error(c, "the CA needs a name");
    }

    // server_url
    int ssl = 0;
    char* host = nullptr;
    char* port = nullptr;
    char* path = nullptr;
    char* query = nullptr;
    int port_num = 0;
    const int parsed = ::OSSL_HTTP_parse_url(c.server_url.c_str(), &ssl, nullptr, &host, &port, &port_num,
                                             &path, &query, nullptr);
    const OsslString host_owner{host}, port_owner{port}, path_owner{path}, query_owner{query};
    const std::string_view url{c.server_url};
    const bool http_scheme = url.substr(0, 7) == "http://" || url.substr(0, 8) == "https://";
    if (parsed != 1 || !http_scheme || host == nullptr || *host == '\0') {
        config_error(c, "server_url is not an http://host:port/path URL: " + c.server_url);
    }
    if (ssl != 0) {
        config_error(c,
                     "server_url: https is not supported for CMP (use http; CMP messages carry their own "
                     "protection)");
    }
    m.host = host;
    m.port = port_num;
    m.path = path != nullptr ? path : "/";
    if (query != nullptr && *query != '\0') {
        m.path += "?";
        m.path += query;
    }

    m.message_timeout = seconds_option(c, c.message_timeout, "message_timeout");
    m.total_timeout = seconds_option(c, c.total_timeout, "total_timeout");

    if (!c.recipient.empty()) {
        m.recipient = parse_rfc4514(c, c.recipient);
    }
    if (!c.trusted.empty()) {
        m.trusted_certs = load_certificates(c, c.trusted, "trusted certificates");
        m.trusted_store.reset(ossl::not_null(::X509_STORE_new(), "X509_STORE_new"));
        for (int i = 0; i < sk_X509_num(m.trusted_certs.get()); ++i) {
            ossl::check(::X509_STORE_add_cert(m.trusted_store.get(), sk_X509_value(m.trusted_certs.get(), i)),
                        "X509_STORE_add_cert");
        }
    }
    m.untrusted.reset(ossl::not_null(sk_X509_new_null(), "sk_X509_new_null"));
    const auto add_untrusted = [&](const std::filesystem::path& file, std::string_view what) {
        const CertStack certs = load_certificates(c, file, what);
        ossl::check(
            ::X509_add_certs(m.untrusted.get(), certs.get(), X509_ADD_FLAG_UP_REF | X509_ADD_FLAG_NO_DUP),
            "X509_add_certs");
    };
    if (!c.untrusted.empty()) {
        add_untrusted(c.untrusted, "untrusted certificates");
    }

    switch (c.protection) {
        case CmpConfig::Protection::Mac:
            if (c.reference.empty() || c.secret.empty()) {
                config_error(c, "MAC protection needs a reference and a secret");
            }
            if (c.reference.size() > INT_MAX || c.secret.size() > INT_MAX) {
                config_error(c, "MAC reference or secret too long");
            }
            break;
        case CmpConfig::Protection::Signature: {
            if (c.client_cert.empty() || c.client_key.empty()) {
                config_error(c, "signature protection needs client_cert and client_key");
            }
            const CertStack cert = load_certificates(c, c.client_cert, "client certificate");
            m.client_cert.reset(sk_X509_shift(cert.get()));
            m.client_key = load_private_key(c, c.client_key);
            if (::X509_check_private_key(m.client_cert.get(), m.client_key.get()) != 1) {
                config_error(c, "client_key does not belong to client_cert");
            }
            if (!c.client_chain.empty()) {
                add_untrusted(c.client_chain, "client chain");
            }
            break;
        }
    }
}

CmpConnector::~CmpConnector() = default;

std::string CmpConnector::name() const {
    return m_impl->config.name;
}

std::string CmpConnector::describe() const {
    const CmpConfig& c = m_impl->config;
    std::string out = c.server_url;
    out += c.request_type == CmpConfig::RequestType::Ir ? " (CMP ir, " : " (CMP p10cr, ";
    out += c.protection == CmpConfig::Protection::Mac ? "MAC protection, reference " + c.reference
                                                      : "signature protection";
    out += ")";
    return out;
}

void CmpConnector::Impl::fail(OSSL_CMP_CTX* ctx, const std::vector<std::string>& log) const {
    // What OpenSSL put on its error queue, oldest first; and whether it looks like transport.
    std::string reasons;
    bool transport = false;
    bool not_accepted = false;
    const char* data = nullptr;
    int flags = 0;
    for (unsigned long e = ::ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags); e != 0;
         e = ::ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
        const int lib = ERR_GET_LIB(e);
        const int reason = ERR_GET_REASON(e);
        transport = transport || lib == ERR_LIB_HTTP || lib == ERR_LIB_BIO || lib == ERR_LIB_SYS ||
                    (lib == ERR_LIB_CMP && (reason == CMP_R_TRANSFER_ERROR || reason == CMP_R_TOTAL_TIMEOUT));
        not_accepted = not_accepted || (lib == ERR_LIB_CMP && reason == CMP_R_CERTIFICATE_NOT_ACCEPTED);
        std::array<char, 256> buf{};
        ::ERR_error_string_n(e, buf.data(), buf.size());
        if (!reasons.empty()) {
            reasons += "; ";
        }
        reasons += buf.data();
        if (data != nullptr && (static_cast<unsigned>(flags) & ERR_TXT_STRING) != 0U && *data != '\0') {
            reasons += " (";
            reasons += data;
            reasons += ")";
        }
    }
    for (const std::string& line : log) {
        reasons += reasons.empty() ? "" : "; ";
        reasons += line;
    }
    const std::string prefix = "CMP enrolment at CA " + config.name + " (" + config.server_url + ")";

    // Checked first: after inkan's negative certConf OpenSSL records the status as rejection too.
    if (not_accepted) {
        throw Error{Errc::CryptoFailure, prefix + ": inkan refused the issued certificate: " + reasons};
    }
    const int status = ::OSSL_CMP_CTX_get_status(ctx);
    if (status == OSSL_CMP_PKISTATUS_rejection) {
        std::array<char, 1024> buf{};
        const char* text = ::OSSL_CMP_CTX_snprint_PKIStatus(ctx, buf.data(), buf.size());
        throw Error{Errc::Forbidden,
                    prefix + ": rejected by the CA: " + (text != nullptr ? text : "rejection")};
    }
    if (transport || status == OSSL_CMP_PKISTATUS_waiting) {
        throw Error{Errc::Unavailable, prefix + ": no usable answer: " + reasons};
    }
    // A response came but could not be trusted (wrong shared secret, untrusted server certificate),
    // or an error message from the CA.
    throw Error{Errc::Forbidden, prefix + ": refused or not authenticated: " + reasons};
}

EnrolmentResult CmpConnector::enrol(const EnrolmentRequest& request) {
    const Impl& m = *m_impl;
    const CmpConfig& c = m.config;
    const Req csr = parse_csr(request.csr_der);

    ERR_clear_error();
    std::vector<std::string> log;
    struct LogScope {
        explicit LogScope(std::vector<std::string>* l) { t_cmp_log = l; }
        ~LogScope() { t_cmp_log = nullptr; }
        LogScope(const LogScope&) = delete;
        LogScope& operator=(const LogScope&) = delete;
    } log_scope{&log};

    const CmpCtx ctx{ossl::not_null(::OSSL_CMP_CTX_new(nullptr, nullptr), "OSSL_CMP_CTX_new")};
    OSSL_CMP_CTX* x = ctx.get();
    ossl::check(::OSSL_CMP_CTX_set_log_cb(x, collect_log), "OSSL_CMP_CTX_set_log_cb");
    (void)OSSL_CMP_CTX_set_log_verbosity(x, OSSL_CMP_LOG_INFO);
    ossl::check(::OSSL_CMP_CTX_set1_server(x, m.host.c_str()), "OSSL_CMP_CTX_set1_server");
    ossl::check(::OSSL_CMP_CTX_set_serverPort(x, m.port), "OSSL_CMP_CTX_set_serverPort");
    ossl::check(::OSSL_CMP_CTX_set1_serverPath(x, m.path.c_str()), "OSSL_CMP_CTX_set1_serverPath");
    if (!c.proxy.empty()) {
        ossl::check(::OSSL_CMP_CTX_set1_proxy(x, c.proxy.c_str()), "OSSL_CMP_CTX_set1_proxy");
    }
    ossl::check(::OSSL_CMP_CTX_set_option(x, OSSL_CMP_OPT_MSG_TIMEOUT, m.message_timeout), "MSG_TIMEOUT");
    ossl::check(::OSSL_CMP_CTX_set_option(x, OSSL_CMP_OPT_TOTAL_TIMEOUT, m.total_timeout), "TOTAL_TIMEOUT");
    ossl::check(::OSSL_CMP_CTX_set_option(x, OSSL_CMP_OPT_IMPLICIT_CONFIRM, c.implicit_confirm ? 1 : 0),
                "IMPLICIT_CONFIRM");

    if (m.trusted_store) {
        ossl::check(::X509_STORE_up_ref(m.trusted_store.get()), "X509_STORE_up_ref");
        if (::OSSL_CMP_CTX_set0_trustedStore(x, m.trusted_store.get()) != 1) {
            ::X509_STORE_free(m.trusted_store.get());
            ossl::throw_last_error(Errc::CryptoFailure, "OSSL_CMP_CTX_set0_trustedStore");
        }
        // The default certConf check validates the new certificate against this store.
        ossl::check(::OSSL_CMP_CTX_set_certConf_cb_arg(x, m.trusted_store.get()), "set_certConf_cb_arg");
    }
    // Only when there are some: in OpenSSL 3.0 an empty stack leaves ctx->untrusted NULL, and the
    // response's extraCerts then cannot be added to it ("passed a null parameter").
    if (sk_X509_num(m.untrusted.get()) > 0) {
        ossl::check(::OSSL_CMP_CTX_set1_untrusted(x, m.untrusted.get()), "OSSL_CMP_CTX_set1_untrusted");
    }
    ossl::check(::OSSL_CMP_CTX_set_certConf_cb(x, check_new_certificate), "OSSL_CMP_CTX_set_certConf_cb");
    if (m.recipient) {
        ossl::check(::OSSL_CMP_CTX_set1_recipient(x, m.recipient.get()), "OSSL_CMP_CTX_set1_recipient");
    }

    switch (c.protection) {
        case CmpConfig::Protection::Mac: {
            const std::string_view secret = c.secret.reveal();
            ossl::check(::OSSL_CMP_CTX_set1_referenceValue(
                            x, reinterpret_cast<const unsigned char*>(c.reference.data()),
                            static_cast<int>(c.reference.size())),
                        "OSSL_CMP_CTX_set1_referenceValue");
            // Copied into the context, which cleanses it when freed.
            ossl::check(
                ::OSSL_CMP_CTX_set1_secretValue(x, reinterpret_cast<const unsigned char*>(secret.data()),
                                                static_cast<int>(secret.size())),
                "OSSL_CMP_CTX_set1_secretValue");
            break;
        }
        case CmpConfig::Protection::Signature:
            ossl::check(::OSSL_CMP_CTX_set1_cert(x, m.client_cert.get()), "OSSL_CMP_CTX_set1_cert");
            ossl::check(::OSSL_CMP_CTX_set1_pkey(x, m.client_key.get()), "OSSL_CMP_CTX_set1_pkey");
            break;
    }

    // The key being certified, public only. It tells OpenSSL that ctx->pkey (the protection key)
    // is not the new key, and check_new_certificate compares the issued certificate with it.
    EVP_PKEY* new_key = ::X509_REQ_get0_pubkey(csr.get());
    ossl::check(::EVP_PKEY_up_ref(new_key), "EVP_PKEY_up_ref");
    if (::OSSL_CMP_CTX_set0_newPkey(x, 0, new_key) != 1) {
        ::EVP_PKEY_free(new_key);
        ossl::throw_last_error(Errc::CryptoFailure, "OSSL_CMP_CTX_set0_newPkey");
    }

    X509* issued = nullptr;
    switch (c.request_type) {
        case CmpConfig::RequestType::P10cr:
            ossl::check(::OSSL_CMP_CTX_set1_p10CSR(x, csr.get()), "OSSL_CMP_CTX_set1_p10CSR");
            issued = ::OSSL_CMP_exec_certreq(x, OSSL_CMP_P10CR, nullptr);
            break;
        case CmpConfig::RequestType::Ir: {
            ossl::check(::OSSL_CMP_CTX_set1_subjectName(x, ::X509_REQ_get_subject_name(csr.get())),
                        "OSSL_CMP_CTX_set1_subjectName");
            ExtensionStack extensions{::X509_REQ_get_extensions(csr.get())};
            if (extensions && sk_X509_EXTENSION_num(extensions.get()) > 0) {
                ossl::check(::OSSL_CMP_CTX_set0_reqExtensions(x, extensions.get()), "set0_reqExtensions");
                (void)extensions.release();
            }
            // inkan verified the CSR's signature (parse_csr): proof of possession by the RA.
            ossl::check(::OSSL_CMP_CTX_set_option(x, OSSL_CMP_OPT_POPO_METHOD, OSSL_CRMF_POPO_RAVERIFIED),
                        "POPO_METHOD");
            issued = ::OSSL_CMP_exec_certreq(x, OSSL_CMP_IR, nullptr);
            break;
        }
    }
    if (issued == nullptr) {
        m.fail(x, log);
    }

    // Issuers: what the CA sent (chain OpenSSL built, caPubs, extraCerts), then our own.
    const CertStack new_chain{::OSSL_CMP_CTX_get1_newChain(x)};
    const CertStack ca_pubs{::OSSL_CMP_CTX_get1_caPubs(x)};
    const CertStack extra{::OSSL_CMP_CTX_get1_extraCertsIn(x)};
    std::vector<X509*> pool;
    append_all(pool, new_chain.get());
    append_all(pool, ca_pubs.get());
    append_all(pool, extra.get());
    append_all(pool, m.untrusted.get());
    append_all(pool, m.trusted_certs.get());

    EnrolmentResult result;
    result.status = EnrolmentResult::Status::Issued;
    result.chain = build_chain(issued, pool);
    result.note = "issued by CA " + c.name + " via CMP (" +
                  (c.request_type == CmpConfig::RequestType::Ir ? "ir" : "p10cr") + "), serial " +
                  serial_of(issued);
    ERR_clear_error();
    return result;
}

}  // namespace inkan::pki
