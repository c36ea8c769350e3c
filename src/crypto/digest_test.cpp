#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>

#include "test_helpers.h"

namespace inkan::crypto {
namespace {

using test::hex;
using D = DigestAlgorithm;

struct Vector {
    D alg;
    std::string abc;    ///< digest of "abc" (FIPS 180-4 / FIPS 202 examples)
    std::string empty;  ///< digest of ""
};

const std::vector<Vector>& vectors() {
    static const std::vector<Vector> kVectors{
        {D::Sha1, "a9993e364706816aba3e25717850c26c9cd0d89d", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
        {D::Sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {D::Sha384,
         "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
         "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b"},
        {D::Sha512,
         "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454"
         "d4423"
         "643ce80e2a9ac94fa54ca49f",
         "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b"
         "931bd"
         "47417a81a538327af927da3e"},
        {D::Sha3_256, "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532",
         "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a"},
        {D::Sha3_512,
         "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e10e116e9192af3c91a7ec57647e39340573"
         "40b4c"
         "f408d5a56592f8274eec53f0",
         "a69f73cca23a9ac5c8b567dc185a756e97c982164fe25859e0d1dcc1475c80a615b2123af1f5f94c11e3e9402c3ac558f50"
         "0199d"
         "95b6d3e301758586281dcd26"},
    };
    return kVectors;
}

TEST(Digest, MatchesKnownVectorsForEveryAlgorithm) {
    ASSERT_EQ(vectors().size(), digest_specs().size());
    for (const Vector& v : vectors()) {
        EXPECT_EQ(hex(digest(v.alg, as_bytes("abc"))), v.abc) << spec(v.alg).name;
        EXPECT_EQ(hex(digest(v.alg, ByteView{})), v.empty) << spec(v.alg).name;
    }
}

TEST(Hasher, StreamingInChunksEqualsOneShot) {
    std::string data;
    for (int i = 0; i < 5000; ++i) {
        data += std::to_string(i * 7919);
    }
    for (const DigestSpec& s : digest_specs()) {
        const Bytes one_shot = digest(s.algorithm, as_bytes(data));
        for (const std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{64}, std::size_t{1000}}) {
            Hasher h{s.algorithm};
            EXPECT_EQ(h.algorithm(), s.algorithm);
            for (std::size_t i = 0; i < data.size(); i += chunk) {
                h.update(as_bytes(std::string_view{data}.substr(i, chunk)));
            }
            h.update({});
            EXPECT_EQ(hex(h.finish()), hex(one_shot)) << s.name << " chunk " << chunk;
        }
    }
}

TEST(Hasher, CannotBeUsedAfterFinish) {
    Hasher h{D::Sha256};
    h.update(as_bytes("abc"));
    EXPECT_EQ(hex(h.finish()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    try {
        (void)h.finish();
        ADD_FAILURE() << "finish() twice";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::Internal);
    }
    try {
        h.update(as_bytes("more"));
        ADD_FAILURE() << "update() after finish()";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::Internal);
    }
}

TEST(Digest, TenMebibyteStreamMatchesOpenSslCli) {
    std::string data(10U * 1024U * 1024U + 17U, '\0');
    for (std::size_t i = 0; i < data.size(); ++i) {
        data[i] = static_cast<char>((i * 31U + (i >> 12U)) & 0xFFU);
    }
    std::istringstream in{data};
    const Bytes streamed = digest(D::Sha256, in);
    EXPECT_EQ(hex(streamed), hex(digest(D::Sha256, as_bytes(data))));

    const inkan::testing::TempDir dir{"inkan-crypto-digest"};
    inkan::testing::write_file(dir / "data.bin", std::string_view{data});
    const auto r = inkan::testing::run({"openssl", "dgst", "-sha256", "-r", (dir / "data.bin").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.substr(0, 64), hex(streamed));

    std::istringstream in512{data};
    EXPECT_EQ(hex(digest(D::Sha3_512, in512)), hex(digest(D::Sha3_512, as_bytes(data))));
}

TEST(Digest, EmptyStreamIsTheEmptyDigest) {
    std::istringstream in{""};
    EXPECT_EQ(hex(digest(D::Sha256, in)), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace inkan::crypto
