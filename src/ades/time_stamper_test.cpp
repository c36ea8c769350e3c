#include <inkan/ades/time_stamper.h>

#include <gtest/gtest.h>

#include <inkan/ades/baseline.h>
#include <inkan/ades/cades.h>
#include <inkan/cms/signed_data.h>
#include <inkan/core/encoding.h>
#include <inkan/crypto/digest.h>
#include <inkan/pki/certificate.h>
#include <inkan/testing/tiny_http.h>
#include <inkan/tsp/client.h>

#include "fixture.h"

namespace inkan::ades {
namespace {

tsp::TsaEndpoint endpoint(std::string url) {
    tsp::TsaEndpoint e;
    e.url = std::move(url);
    return e;
}

std::string dead_url() {
    return "http://127.0.0.1:" + std::to_string(testing::TinyHttpServer::closed_port()) + "/tsa";
}

TEST(TimeStamper, AuthorityTokenVerifiesAndTheSizeHintCoversIt) {
    auto& stamper = *testkit::world().stamper;
    const Bytes data = to_bytes(std::string_view{"time-stamped bytes"});
    const Bytes token =
        stamper.stamp(crypto::DigestAlgorithm::Sha256, crypto::digest(crypto::DigestAlgorithm::Sha256, data));
    const auto v = testkit::openssl_ts_verify(token, data);
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    EXPECT_GE(stamper.token_size_hint(), token.size());
    EXPECT_LE(stamper.token_size_hint(), 2 * token.size() + 1024) << "a hint far above the real token";
}

/// A stamper that knows nothing of its TSA: the size hint comes from a first real token.
class CountingStamper final : public TimeStamper {
public:
    Bytes stamp(crypto::DigestAlgorithm alg, ByteView digest) override {
        ++calls;
        Bytes t = testkit::world().stamper->stamp(alg, digest);
        note_token(t.size());
        return t;
    }
    int calls = 0;
};

TEST(TimeStamper, DefaultSizeHintProbesOnceThenRemembers) {
    CountingStamper s;
    const std::size_t hint = s.token_size_hint();
    EXPECT_GT(hint, 300u);
    EXPECT_EQ(s.calls, 1);
    EXPECT_EQ(s.token_size_hint(), hint);
    EXPECT_EQ(s.calls, 1) << "probed the TSA again";
}

/// An RFC 3161 server over HTTP (the local Authority behind a TinyHttpServer), reached through
/// tsp::Client: the remote path B-T takes in production.
TEST(TimeStamper, ClientStamperFailsOverToAWorkingTsaAndItsTokenVerifies) {
    auto& w = testkit::world();
    testing::TinyHttpServer tsa{[&](const testing::TinyRequest& r) {
        return testing::TinyResponse{200, "application/timestamp-reply",
                                     to_string(w.authority->respond(to_bytes(r.body)))};
    }};
    const Bytes root = pki::Certificate::from_pem(to_string(testing::read_file(w.root_pem))).der();
    tsp::ClientOptions options;
    options.trust_anchors = {root};
    tsp::Client client{{endpoint(dead_url()), endpoint(tsa.url("/tsa"))}, options};
    ClientTimeStamper stamper{client};

    const Bytes data = to_bytes(std::string_view{"stamped through HTTP"});
    const Bytes token =
        stamper.stamp(crypto::DigestAlgorithm::Sha256, crypto::digest(crypto::DigestAlgorithm::Sha256, data));
    const auto v = testkit::openssl_ts_verify(token, data);
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    EXPECT_EQ(stamper.token_size_hint(), token.size()) << "the hint is the token already seen, no probe";
    EXPECT_EQ(tsa.requests(), 1);

    // B-T through the remote stamper.
    CadesOptions o;
    o.level = Level::BT;
    o.time_stamper = &stamper;
    const Bytes cms = sign_cades(CadesContent::enveloping(data), *w.ec, o);
    const cms::SignedData sd = cms::parse(cms);
    const Bytes* t = sd.signer_infos.at(0).unsigned_attribute(cms::oid::kSignatureTimeStampToken);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(testkit::openssl_ts_verify(*t, sd.signer_infos.at(0).signature).exit_code, 0);
}

TEST(TimeStamper, NoTsaAnsweringIsUnavailableAndNothingIsSigned) {
    tsp::Client client{{endpoint(dead_url())}};
    ClientTimeStamper stamper{client};
    CadesOptions o;
    o.level = Level::BT;
    o.time_stamper = &stamper;
    try {
        (void)sign_cades(CadesContent::enveloping(to_bytes(std::string_view{"x"})), *testkit::world().ec, o);
        FAIL() << "signed B-T without a time-stamp";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::Unavailable) << e.what();
    }
}

}  // namespace
}  // namespace inkan::ades
