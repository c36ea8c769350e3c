// The RFC 3161 client against real local HTTP servers: a TSA that is down, one that hangs, one that
// answers garbage, one that replays a valid token for another imprint; each time the second TSA's token
// is used. The servers answer with a real Authority (key in SoftHSM).

#include <atomic>
#include <string>

#include <gtest/gtest.h>

#include <inkan/cms/signed_data.h>
#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>
#include <inkan/storage/sqlite_tsa_serial_store.h>
#include <inkan/testing/test_pki.h>
#include <inkan/testing/tiny_http.h>
#include <inkan/tsp/authority.h>
#include <inkan/tsp/client.h>

namespace {

using inkan::Bytes;
using inkan::Errc;
using inkan::crypto::DigestAlgorithm;
using inkan::testing::TempDir;
using inkan::testing::TestPki;
using inkan::testing::TinyHttpServer;
using inkan::testing::TinyRequest;
using inkan::testing::TinyResponse;
namespace tsp = inkan::tsp;

struct Fixture {
    TestPki pki;
    TestPki::Leaf leaf = pki.issue(inkan::hsm::KeySpec::EcP256, "client-tsa");
    TempDir dir;
    inkan::storage::SqliteTsaSerialStore serials{dir / "tsa.db"};
    tsp::Authority authority{{[&] {
                                 tsp::Identity id;
                                 id.name = "t";
                                 id.policy = "1.3.6.1.4.1.99999.5";
                                 id.signer = std::shared_ptr<inkan::sign::Signer>(
                                     leaf.signer.get(), [](inkan::sign::Signer*) {});
                                 id.chain = leaf.chain;
                                 return id;
                             }()},
                             serials,
                             inkan::SystemClock::instance()};
    TinyHttpServer good{[this](const TinyRequest& r) {
        return TinyResponse{200, "application/timestamp-reply",
                            inkan::to_string(authority.respond(inkan::as_bytes(r.body)))};
    }};
};

Fixture& fx() {
    static Fixture f;
    return f;
}

const Bytes kDigest = inkan::crypto::digest(DigestAlgorithm::Sha256, inkan::as_bytes("the document"));

tsp::TsaEndpoint endpoint(std::string url) {
    tsp::TsaEndpoint e;
    e.url = std::move(url);
    e.timeout = std::chrono::milliseconds{1500};
    return e;
}

tsp::ClientOptions anchored() {
    tsp::ClientOptions o;
    o.trust_anchors = {fx().leaf.chain.back()};
    return o;
}

void expect_second_tsa_used(const std::string& first_url) {
    const tsp::Client client{{endpoint(first_url), endpoint(fx().good.url("/tsa"))}, anchored()};
    const auto result = client.stamp(DigestAlgorithm::Sha256, kDigest);
    EXPECT_EQ(result.url, fx().good.url("/tsa"));
    EXPECT_EQ(result.info.imprint.hashed_message, kDigest);
    EXPECT_EQ(result.info.policy, "1.3.6.1.4.1.99999.5");
    EXPECT_TRUE(result.info.nonce.has_value());
}

TEST(TspClient, TheFirstTsaAnswersWhenItWorks) {
    const tsp::Client client{{endpoint(fx().good.url("/tsa"))}, anchored()};
    const auto result = client.stamp(DigestAlgorithm::Sha256, kDigest);
    EXPECT_EQ(tsp::parse_response(result.response).token, result.token);
}

TEST(TspClient, FailsOverWhenTheFirstTsaIsDown) {
    expect_second_tsa_used("http://127.0.0.1:" + std::to_string(TinyHttpServer::closed_port()) + "/tsa");
}

TEST(TspClient, FailsOverWhenTheFirstTsaNeverAnswers) {
    TinyHttpServer hang{{}, TinyHttpServer::Mode::Hang};
    expect_second_tsa_used(hang.url("/tsa"));
}

TEST(TspClient, FailsOverWhenTheFirstTsaAnswersGarbage) {
    TinyHttpServer garbage{{}, TinyHttpServer::Mode::Garbage};
    expect_second_tsa_used(garbage.url("/tsa"));
    TinyHttpServer not_der{[](const TinyRequest&) {
        return TinyResponse{200, "application/timestamp-reply", "not a TimeStampResp"};
    }};
    expect_second_tsa_used(not_der.url("/tsa"));
}

TEST(TspClient, FailsOverWhenTheFirstTsaReplaysATokenForAnotherImprint) {
    // A valid, signed response, but for another document (and without our nonce).
    tsp::TimeStampReq other;
    other.imprint = tsp::make_imprint(
        DigestAlgorithm::Sha256, inkan::crypto::digest(DigestAlgorithm::Sha256, inkan::as_bytes("other")));
    other.cert_req = true;
    const std::string stored = inkan::to_string(fx().authority.respond(tsp::encode_request(other)));
    TinyHttpServer replay{[&](const TinyRequest&) {
        return TinyResponse{200, "application/timestamp-reply", stored};
    }};
    expect_second_tsa_used(replay.url("/tsa"));
}

TEST(TspClient, ATokenFromAnUntrustedTsaIsRefused) {
    TestPki other_pki;
    tsp::ClientOptions o;
    o.trust_anchors = {other_pki.ca->certificate().der()};
    const tsp::Client client{{endpoint(fx().good.url("/tsa"))}, o};
    try {
        (void)client.stamp(DigestAlgorithm::Sha256, kDigest);
        ADD_FAILURE() << "accepted a token whose TSA does not chain to the anchor";
    } catch (const inkan::Error& e) {
        EXPECT_EQ(e.code(), Errc::Unavailable);
        EXPECT_NE(std::string{e.what()}.find("trust anchor"), std::string::npos) << e.what();
    }
}

TEST(TspClient, WhenEveryTsaFailsTheErrorListsEachReason) {
    TinyHttpServer garbage{{}, TinyHttpServer::Mode::Garbage};
    TinyHttpServer wrong_type{[](const TinyRequest&) { return TinyResponse{200, "text/html", "<html>"}; }};
    const std::string down = "http://127.0.0.1:" + std::to_string(TinyHttpServer::closed_port()) + "/tsa";
    tsp::TsaEndpoint with_password = endpoint(down);
    with_password.basic_auth =
        inkan::net::BasicAuth{"user", inkan::Secret{std::string_view{"hunter2-secret"}}};
    const tsp::Client client{
        {with_password, endpoint(garbage.url("/tsa")), endpoint(wrong_type.url("/tsa"))}};
    try {
        (void)client.stamp(DigestAlgorithm::Sha256, kDigest);
        ADD_FAILURE() << "no error";
    } catch (const inkan::Error& e) {
        const std::string m = e.what();
        EXPECT_EQ(e.code(), Errc::Unavailable) << m;
        EXPECT_NE(m.find(down + ": "), std::string::npos) << m;
        EXPECT_NE(m.find(garbage.url("/tsa") + ": "), std::string::npos) << m;
        EXPECT_NE(m.find("content type \"text/html\""), std::string::npos) << m;
        EXPECT_EQ(m.find("hunter2"), std::string::npos) << "a password in the message: " << m;
    }
}

TEST(TspClient, ARejectionMovesOnAndNamesTheFailInfo) {
    tsp::TsaEndpoint wrong_policy = endpoint(fx().good.url("/tsa"));
    wrong_policy.policy = "1.2.3.4.5";
    const tsp::Client client{{wrong_policy}};
    try {
        (void)client.stamp(DigestAlgorithm::Sha256, kDigest);
        ADD_FAILURE() << "no error";
    } catch (const inkan::Error& e) {
        EXPECT_NE(std::string{e.what()}.find("unacceptedPolicy"), std::string::npos) << e.what();
    }
}

}  // namespace
