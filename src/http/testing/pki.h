#pragma once

// A throwaway PKI for the TLS tests, made with the openssl CLI (an oracle we did not write):
// root CA -> issuing CA -> server certificate (IP:127.0.0.1, DNS:localhost), root CA -> client
// certificate, and a rogue CA with a client certificate the server must not accept.

#include <filesystem>
#include <string>

#include <inkan/core/bytes.h>
#include <inkan/crypto/ossl.h>

namespace inkan::http::testing {

struct TestPki {
    /// Generates everything under `dir`. Throws std::runtime_error when openssl fails.
    explicit TestPki(const std::filesystem::path& dir);

    std::filesystem::path root_cert;
    std::filesystem::path issuing_cert;
    std::filesystem::path server_cert;
    std::filesystem::path server_key;
    std::filesystem::path client_cert;
    std::filesystem::path client_key;
    std::filesystem::path rogue_client_cert;
    std::filesystem::path rogue_client_key;

    /// Server certificate then the issuing CA, PEM.
    [[nodiscard]] std::string server_chain_pem() const;
    /// The server key as an EVP_PKEY (as a provider-backed key would arrive).
    [[nodiscard]] ossl::PKey server_private_key() const;
    /// DER of the client certificate, converted by `openssl x509 -outform DER`.
    [[nodiscard]] Bytes client_cert_der() const;
};

}  // namespace inkan::http::testing
