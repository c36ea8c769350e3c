// RFC 3161 codec round trips and the strict reader's refusals (no token, no HSM: label unit).

#include <gtest/gtest.h>

#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>
#include <inkan/tsp/codec.h>

namespace {

using inkan::Bytes;
using inkan::crypto::DigestAlgorithm;
namespace tsp = inkan::tsp;

TEST(TspCodec, RequestRoundTripsWithEveryOptionalField) {
    tsp::TimeStampReq req;
    req.imprint = tsp::make_imprint(DigestAlgorithm::Sha384, Bytes(48, 0xAB));
    req.policy = "1.3.6.1.4.1.99999.1.2";
    req.nonce = Bytes{0x01, 0x02, 0x03};
    req.cert_req = true;
    const auto back = tsp::parse_request(tsp::encode_request(req));
    EXPECT_EQ(back.version, 1);
    EXPECT_EQ(back.imprint.algorithm(), DigestAlgorithm::Sha384);
    EXPECT_EQ(back.imprint.hashed_message, Bytes(48, 0xAB));
    EXPECT_EQ(back.imprint.der, req.imprint.der);
    EXPECT_EQ(back.policy, req.policy);
    EXPECT_EQ(back.nonce, req.nonce);
    EXPECT_TRUE(back.cert_req);
    EXPECT_FALSE(back.has_extensions);
}

TEST(TspCodec, RequestWithoutOptionalFieldsLeavesThemOut) {
    tsp::TimeStampReq req;
    req.imprint = tsp::make_imprint(DigestAlgorithm::Sha256, Bytes(32, 1));
    const Bytes der = tsp::encode_request(req);
    // SEQUENCE { INTEGER 1, MessageImprint }: certReq FALSE is the DEFAULT and is not encoded (X.690 §11.5).
    EXPECT_EQ(der.size(), 2U + 3U + req.imprint.der.size());
    const auto back = tsp::parse_request(der);
    EXPECT_FALSE(back.policy.has_value());
    EXPECT_FALSE(back.nonce.has_value());
    EXPECT_FALSE(back.cert_req);
}

TEST(TspCodec, GarbageAndTrailingBytesAreInvalidEncoding) {
    tsp::TimeStampReq req;
    req.imprint = tsp::make_imprint(DigestAlgorithm::Sha256, Bytes(32, 1));
    Bytes trailing = tsp::encode_request(req);
    trailing.push_back(0);
    for (const Bytes& bad : {Bytes{}, Bytes{0x30, 0x00}, inkan::to_bytes("not der"), trailing}) {
        try {
            (void)tsp::parse_request(bad);
            ADD_FAILURE() << "parsed " << bad.size() << " bytes";
        } catch (const inkan::Error& e) {
            EXPECT_EQ(e.code(), inkan::Errc::InvalidEncoding) << e.what();
        }
    }
}

TEST(TspCodec, ImprintOfTheWrongLengthIsRefusedWhenBuilding) {
    EXPECT_THROW((void)tsp::make_imprint(DigestAlgorithm::Sha256, Bytes(31, 0)), inkan::Error);
}

TEST(TspCodec, RejectionResponseCarriesStatusTextAndFailInfo) {
    for (const auto info :
         {tsp::FailureInfo::BadAlg, tsp::FailureInfo::BadRequest, tsp::FailureInfo::BadDataFormat,
          tsp::FailureInfo::UnacceptedPolicy, tsp::FailureInfo::SystemFailure}) {
        tsp::TimeStampResp resp;
        resp.status = tsp::PkiStatus::Rejection;
        resp.status_string = "no";
        resp.fail_info = info;
        const auto back = tsp::parse_response(tsp::encode_response(resp));
        EXPECT_EQ(back.status, tsp::PkiStatus::Rejection);
        EXPECT_EQ(back.status_string, "no");
        ASSERT_TRUE(back.fail_info.has_value());
        EXPECT_EQ(*back.fail_info, info) << tsp::name(info) << " came back as " << tsp::name(*back.fail_info);
        EXPECT_FALSE(back.token.has_value());
    }
}

TEST(TspCodec, TstInfoRoundTripsWithAccuracyAndNonce) {
    tsp::TstInfo info;
    info.policy = "1.3.6.1.4.1.99999.1.1";
    info.imprint = tsp::make_imprint(DigestAlgorithm::Sha512, Bytes(64, 7));
    info.serial = tsp::magnitude(0x1234567890ULL);
    info.gen_time = std::chrono::sys_days{std::chrono::year{2030} / 1 / 2} + std::chrono::hours{3} +
                    std::chrono::milliseconds{450};
    info.accuracy = tsp::Accuracy::from(std::chrono::microseconds{1'500'250});
    info.nonce = Bytes{0x7F, 0xFF};
    const auto back = tsp::parse_tst_info(tsp::encode_tst_info(info));
    EXPECT_EQ(back.policy, info.policy);
    EXPECT_EQ(back.imprint.der, info.imprint.der);
    EXPECT_EQ(back.serial, info.serial);
    EXPECT_EQ(back.gen_time, info.gen_time);
    ASSERT_TRUE(back.accuracy.has_value());
    EXPECT_EQ(back.accuracy->seconds, 1);
    EXPECT_EQ(back.accuracy->millis, 500);
    EXPECT_EQ(back.accuracy->micros, 250);
    EXPECT_EQ(back.nonce, info.nonce);
}

TEST(TspCodec, MagnitudeHasNoLeadingZeros) {
    EXPECT_EQ(tsp::magnitude(0), Bytes{0});
    EXPECT_EQ(tsp::magnitude(1), Bytes{1});
    EXPECT_EQ(tsp::magnitude(0x100), (Bytes{1, 0}));
}

}  // namespace
