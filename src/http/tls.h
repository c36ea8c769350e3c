#pragma once

#include <openssl/ssl.h>

#include <inkan/crypto/ossl.h>
#include <inkan/http/server.h>

namespace inkan::http::detail {

using SslCtx = ossl::Ptr<SSL_CTX, ::SSL_CTX_free>;

/// The server-side SSL_CTX for a TLS listener: TLS 1.2 and 1.3 only, forward-secret AEAD suites for
/// TLS 1.2, no renegotiation, no compression; the chain and key from `config`; and, when a client
/// CA file is set, peer verification (required or optional). Errc::InvalidConfig on any problem.
SslCtx make_server_context(const TlsConfig& config);

/// DER of the peer certificate of `ssl` if the handshake verified one, else empty.
Bytes verified_peer_certificate(SSL* ssl);

}  // namespace inkan::http::detail
