#include "tls.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include <string>

namespace inkan::http {

ossl::PKey share_key(EVP_PKEY* key) {
    require(key != nullptr, Errc::InvalidConfig, "tls: no private key");
    ossl::check(::EVP_PKEY_up_ref(key), "EVP_PKEY_up_ref");
    return ossl::PKey{key};
}

namespace detail {

namespace {

// Mozilla "intermediate" TLS 1.2 suites: ECDHE only (forward secrecy), AEAD only. TLS 1.3 suites
// keep OpenSSL's defaults (all AEAD).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

constexpr unsigned char kSessionIdContext[] = "inkan-http";

[[noreturn]] void fail(std::string_view what) {
    ossl::throw_last_error(Errc::InvalidConfig, what);
}

void load_chain(SSL_CTX* ctx, const std::string& pem) {
    require(!pem.empty(), Errc::InvalidConfig, "tls: no server certificate chain");
    ossl::Bio bio{::BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
    if (!bio) {
        fail("tls: BIO_new_mem_buf");
    }
    ossl::Cert leaf{::PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)};
    if (!leaf) {
        fail("tls: the certificate chain has no PEM certificate");
    }
    if (::SSL_CTX_use_certificate(ctx, leaf.get()) != 1) {
        fail("tls: SSL_CTX_use_certificate");
    }
    for (;;) {
        ossl::Cert next{::PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)};
        if (!next) {
            // The normal end of the PEM text leaves PEM_R_NO_START_LINE on the queue.
            const unsigned long err = ::ERR_peek_last_error();
            if (ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE) {
                ::ERR_clear_error();
                break;
            }
            fail("tls: a certificate of the chain does not parse");
        }
        if (::SSL_CTX_add0_chain_cert(ctx, next.get()) != 1) {
            fail("tls: SSL_CTX_add0_chain_cert");
        }
        static_cast<void>(next.release());  // the context owns it now
    }
}

}  // namespace

SslCtx make_server_context(const TlsConfig& config) {
    SslCtx ctx{::SSL_CTX_new_ex(nullptr, nullptr, ::TLS_server_method())};
    if (!ctx) {
        fail("tls: SSL_CTX_new_ex");
    }
    SSL_CTX* c = ctx.get();
    // TLS 1.0 and 1.1 are refused by the server itself, whatever the system openssl.cnf says.
    if (::SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) != 1) {
        fail("tls: SSL_CTX_set_min_proto_version");
    }
    ::SSL_CTX_set_options(c,
                          SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
    if (::SSL_CTX_set_cipher_list(c, kTls12Ciphers) != 1) {
        fail("tls: SSL_CTX_set_cipher_list");
    }
    load_chain(c, config.certificate_chain_pem);
    require(config.private_key != nullptr, Errc::InvalidConfig, "tls: no private key");
    // Takes its own reference; works for provider-backed (HSM) keys: OpenSSL signs through the
    // key's provider during the handshake.
    if (::SSL_CTX_use_PrivateKey(c, config.private_key.get()) != 1) {
        fail("tls: SSL_CTX_use_PrivateKey");
    }
    if (::SSL_CTX_check_private_key(c) != 1) {
        fail("tls: the private key does not match the server certificate");
    }
    if (::SSL_CTX_set_session_id_context(c, kSessionIdContext, sizeof kSessionIdContext - 1) != 1) {
        fail("tls: SSL_CTX_set_session_id_context");
    }
    if (!config.client_ca_file.empty() && config.client_auth != ClientAuth::None) {
        const std::string file = config.client_ca_file.string();
        if (::SSL_CTX_load_verify_locations(c, file.c_str(), nullptr) != 1) {
            fail("tls: cannot load the client CA file " + file);
        }
        // The CA names sent in CertificateRequest help a client pick the right certificate.
        STACK_OF(X509_NAME)* names = ::SSL_load_client_CA_file(file.c_str());
        if (names == nullptr) {
            fail("tls: no CA certificate in " + file);
        }
        ::SSL_CTX_set_client_CA_list(c, names);
        int mode = SSL_VERIFY_PEER;
        if (config.client_auth == ClientAuth::Required) {
            mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
        }
        ::SSL_CTX_set_verify(c, mode, nullptr);
    }
    return ctx;
}

Bytes verified_peer_certificate(SSL* ssl) {
    X509* peer = ::SSL_get0_peer_certificate(ssl);
    if (peer == nullptr || ::SSL_get_verify_result(ssl) != X509_V_OK) {
        return {};
    }
    const int len = ::i2d_X509(peer, nullptr);
    if (len <= 0) {
        return {};
    }
    Bytes der(static_cast<std::size_t>(len));
    unsigned char* p = der.data();
    if (::i2d_X509(peer, &p) != len) {
        return {};
    }
    return der;
}

}  // namespace detail
}  // namespace inkan::http
