// The point of the provider: a libssl server whose private key is in the HSM. The certificate comes
// from the openssl CLI (a test CA signs the HSM key's public key); the clients are a plain libssl
// client in-process and, as an independent one, `openssl s_client`.

#include <array>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <inkan/sign/hsm_signer.h>
#include <inkan/sign/provider.h>
#include <inkan/testing/process.h>
#include <inkan/testing/softhsm.h>

#include "test_support.h"
#include "test_tls.h"

namespace {

using inkan::Bytes;
using inkan::hsm::KeySpec;
using inkan::sign::HsmSigner;
using inkan::sign::provider::make_evp_pkey;
namespace ossl = inkan::ossl;
namespace test = inkan::sign::provider::testing;

inkan::hsm::Token& shared_token() {
    static inkan::hsm::Token token{inkan::testing::SoftHsm::instance().make_token("tls")};
    return token;
}

const test::TestPki& pki() {
    static const test::TestPki instance;
    return instance;
}

/// A TLS server identity: a key generated in the token, its EVP_PKEY, and a certificate for it.
struct ServerIdentity {
    Bytes id;
    std::shared_ptr<HsmSigner> signer;
    ossl::PKey key;
    ossl::Cert cert;
};

ServerIdentity make_identity(KeySpec spec) {
    ServerIdentity identity;
    identity.id = shared_token().generate_key_pair(spec, "tls");
    identity.signer = std::make_shared<HsmSigner>(shared_token(), identity.id);
    identity.key = make_evp_pkey(identity.signer);
    identity.cert = pki().issue(identity.signer->public_key(), std::string{inkan::hsm::name(spec)});
    return identity;
}

struct HandshakeCase {
    const char* name;
    KeySpec spec;
    int version;
    const char* client_sigalgs;   ///< "" for libssl's default list
    int expected_signature_type;  ///< what the client sees the server sign with
};

class TlsHandshake : public ::testing::TestWithParam<HandshakeCase> {};

TEST_P(TlsHandshake, SucceedsAndRoundTripsApplicationData) {
    const HandshakeCase& c = GetParam();
    ::ERR_clear_error();
    const ServerIdentity identity = make_identity(c.spec);
    const test::SslCtx server = test::make_server_ctx(identity.cert.get(), identity.key.get());
    ASSERT_NE(server, nullptr) << test::drain_errors();

    const test::TlsOutcome outcome =
        test::run_tls(server.get(), pki().ca_pem(), test::ClientOptions{c.version, c.client_sigalgs, ""});
    ASSERT_TRUE(outcome.handshake_ok)
        << "client: " << outcome.client_errors << "server: " << outcome.server_errors;
    EXPECT_EQ(outcome.version, c.version == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2");
    EXPECT_EQ(outcome.server_received, "ping");
    EXPECT_EQ(outcome.client_received, "pong: ping");
    EXPECT_EQ(outcome.peer_signature_type, c.expected_signature_type)
        << "got " << OBJ_nid2sn(outcome.peer_signature_type);
    EXPECT_EQ(outcome.server_errors, "");
    EXPECT_EQ(outcome.client_errors, "");
}

INSTANTIATE_TEST_SUITE_P(
    Keys, TlsHandshake,
    ::testing::Values(
        HandshakeCase{"P256_Tls13", KeySpec::EcP256, TLS1_3_VERSION, "", NID_X9_62_id_ecPublicKey},
        HandshakeCase{"P256_Tls12", KeySpec::EcP256, TLS1_2_VERSION, "", NID_X9_62_id_ecPublicKey},
        HandshakeCase{"P384_Tls13", KeySpec::EcP384, TLS1_3_VERSION, "", NID_X9_62_id_ecPublicKey},
        // RSA: TLS 1.3 allows only PSS (rsa_pss_rsae_*); libssl prefers PSS in TLS 1.2 too.
        HandshakeCase{"Rsa2048_Tls13", KeySpec::Rsa2048, TLS1_3_VERSION, "", NID_rsassaPss},
        HandshakeCase{"Rsa2048_Tls12", KeySpec::Rsa2048, TLS1_2_VERSION, "", NID_rsassaPss},
        // A TLS 1.2 client that only offers PKCS#1 v1.5 (rsa_pkcs1_sha256).
        HandshakeCase{"Rsa2048_Tls12_Pkcs1", KeySpec::Rsa2048, TLS1_2_VERSION, "RSA+SHA256",
                      NID_rsaEncryption},
        HandshakeCase{"Rsa2048_Tls13_Sha384", KeySpec::Rsa2048, TLS1_3_VERSION, "rsa_pss_rsae_sha384",
                      NID_rsassaPss}),
    [](const ::testing::TestParamInfo<HandshakeCase>& p) { return std::string{p.param.name}; });

TEST(TlsServerKey, WorksWhenTheKeyIsSetBeforeTheCertificate) {
    // SSL_CTX_use_certificate then compares (and copies parameters) the other way round.
    ::ERR_clear_error();
    const ServerIdentity identity = make_identity(KeySpec::EcP256);
    test::SslCtx server{::SSL_CTX_new(::TLS_server_method())};
    ASSERT_EQ(::SSL_CTX_use_PrivateKey(server.get(), identity.key.get()), 1) << test::drain_errors();
    ASSERT_EQ(::SSL_CTX_use_certificate(server.get(), identity.cert.get()), 1) << test::drain_errors();
    ASSERT_EQ(::SSL_CTX_check_private_key(server.get()), 1) << test::drain_errors();
    const test::TlsOutcome outcome = test::run_tls(server.get(), pki().ca_pem(), test::ClientOptions{});
    EXPECT_TRUE(outcome.handshake_ok) << outcome.client_errors << outcome.server_errors;
    EXPECT_EQ(outcome.client_received, "pong: ping");
}

TEST(TlsServerKey, ConcurrentHandshakesShareOneHsmKey) {
    // One EVP_PKEY (one Signer, one token session pool) behind many connections at once, as in a server.
    ::ERR_clear_error();
    for (const KeySpec spec : {KeySpec::EcP256, KeySpec::Rsa2048}) {
        const ServerIdentity identity = make_identity(spec);
        const test::SslCtx server = test::make_server_ctx(identity.cert.get(), identity.key.get());
        ASSERT_NE(server, nullptr) << test::drain_errors();
        std::array<test::TlsOutcome, 6> outcomes;
        std::vector<std::thread> clients;
        for (std::size_t i = 0; i < outcomes.size(); ++i) {
            clients.emplace_back([&, i] {
                outcomes[i] =
                    test::run_tls(server.get(), pki().ca_pem(),
                                  test::ClientOptions{i % 2 == 0 ? TLS1_3_VERSION : TLS1_2_VERSION, "", ""});
            });
        }
        for (std::thread& client : clients) {
            client.join();
        }
        for (const test::TlsOutcome& outcome : outcomes) {
            EXPECT_TRUE(outcome.handshake_ok) << outcome.client_errors << outcome.server_errors;
            EXPECT_EQ(outcome.client_received, "pong: ping");
            EXPECT_EQ(outcome.server_errors, "");
        }
    }
}

TEST(TlsServerKey, ACertificateForAnotherKeyIsRefused) {
    ::ERR_clear_error();
    const ServerIdentity identity = make_identity(KeySpec::EcP256);
    const ServerIdentity other = make_identity(KeySpec::EcP256);
    test::SslCtx server{::SSL_CTX_new(::TLS_server_method())};
    ASSERT_EQ(::SSL_CTX_use_certificate(server.get(), other.cert.get()), 1);
    EXPECT_NE(::SSL_CTX_use_PrivateKey(server.get(), identity.key.get()), 1);
    const std::string errors = test::drain_errors();
    EXPECT_NE(errors.find("key values mismatch"), std::string::npos) << errors;
}

TEST(TlsServerKey, ADestroyedHsmKeyFailsTheHandshakeCleanly) {
    ::ERR_clear_error();
    const ServerIdentity identity = make_identity(KeySpec::EcP256);
    const test::SslCtx server = test::make_server_ctx(identity.cert.get(), identity.key.get());
    ASSERT_NE(server, nullptr) << test::drain_errors();
    shared_token().destroy_key(identity.id);

    const test::TlsOutcome outcome = test::run_tls(server.get(), pki().ca_pem(), test::ClientOptions{});
    EXPECT_FALSE(outcome.handshake_ok);
    EXPECT_EQ(outcome.server_received, "");
    // The server's queue says why (the Signer's error, through the provider)...
    EXPECT_NE(outcome.server_errors.find("inkan-signer"), std::string::npos) << outcome.server_errors;
    EXPECT_NE(outcome.server_errors.find("not_found"), std::string::npos) << outcome.server_errors;
    // ...and the client got an alert, not a hang or a reset.
    EXPECT_NE(outcome.client_errors.find("alert"), std::string::npos) << outcome.client_errors;
}

TEST(TlsServerKey, StaticRsaKeyExchangeFailsCleanly) {
    // TLS 1.2 TLS_RSA_WITH_* suites decrypt the client's premaster secret with the server key: a Signer
    // cannot decrypt. A server should take kRSA out of its cipher list; if it does not, the handshake
    // fails (no crash, an error on the queue).
    ::ERR_clear_error();
    const ServerIdentity identity = make_identity(KeySpec::Rsa2048);
    const test::SslCtx server = test::make_server_ctx(identity.cert.get(), identity.key.get());
    ASSERT_NE(server, nullptr) << test::drain_errors();
    const test::TlsOutcome outcome = test::run_tls(
        server.get(), pki().ca_pem(), test::ClientOptions{TLS1_2_VERSION, "", "AES128-GCM-SHA256"});
    EXPECT_FALSE(outcome.handshake_ok);
    EXPECT_NE(outcome.server_errors, "");
}

struct SClientCase {
    const char* name;
    KeySpec spec;
    const char* protocol;  ///< s_client's -tls1_3 / -tls1_2
};

class OpensslSClient : public ::testing::TestWithParam<SClientCase> {};

TEST_P(OpensslSClient, VerifiesTheServerAndExchangesData) {
    const SClientCase& c = GetParam();
    ::ERR_clear_error();
    const ServerIdentity identity = make_identity(c.spec);
    const test::SslCtx server = test::make_server_ctx(identity.cert.get(), identity.key.get());
    ASSERT_NE(server, nullptr) << test::drain_errors();
    test::LoopbackServer loopback{server.get()};

    // -ign_eof: keep reading after stdin ends, until the server closes (after its answer).
    const inkan::testing::CommandResult result = inkan::testing::run(
        {"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(loopback.port()), "-CAfile",
         pki().ca_pem().string(), "-verify_return_error", "-verify_hostname", "localhost", "-servername",
         "localhost", c.protocol, "-ign_eof"},
        "ping\n");
    EXPECT_EQ(loopback.finish(), "ping") << loopback.errors();
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("Verify return code: 0 (ok)"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("pong: ping"), std::string::npos) << result.out;
    EXPECT_EQ(loopback.errors(), "");
}

INSTANTIATE_TEST_SUITE_P(Keys, OpensslSClient,
                         ::testing::Values(SClientCase{"P256_Tls13", KeySpec::EcP256, "-tls1_3"},
                                           SClientCase{"P256_Tls12", KeySpec::EcP256, "-tls1_2"},
                                           SClientCase{"Rsa2048_Tls13", KeySpec::Rsa2048, "-tls1_3"},
                                           SClientCase{"Rsa2048_Tls12", KeySpec::Rsa2048, "-tls1_2"}),
                         [](const ::testing::TestParamInfo<SClientCase>& p) {
                             return std::string{p.param.name};
                         });

}  // namespace
