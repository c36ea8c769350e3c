#include <array>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <inkan/core/error.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/crypto/der.h>
#include <inkan/crypto/keys.h>

#include "test_helpers.h"

namespace inkan::crypto {
namespace {

using test::asn1parse;
using test::hex;
using test::join;
using test::unhex;
using D = DigestAlgorithm;

using Asn1Object = ossl::Ptr<ASN1_OBJECT, ::ASN1_OBJECT_free>;
using Algor = ossl::Ptr<X509_ALGOR, ::X509_ALGOR_free>;

std::string obj_text(const ASN1_OBJECT* obj) {
    std::array<char, 256> buf{};
    const int n = ::OBJ_obj2txt(buf.data(), static_cast<int>(buf.size()), obj, 1);
    EXPECT_GT(n, 0);
    return std::string{buf.data()};
}

Errc error_code_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.code();
    }
    return Errc::Internal;  // "no error": none of the tested calls reports Internal
}

constexpr std::array<D, 5> kSigningDigests{D::Sha256, D::Sha384, D::Sha512, D::Sha3_256, D::Sha3_512};

std::vector<SignatureAlgorithm> all_signature_algorithms() {
    std::vector<SignatureAlgorithm> out;
    for (const D d : kSigningDigests) {
        out.push_back(SignatureAlgorithm::rsa_pkcs1(d));
        out.push_back(SignatureAlgorithm::rsa_pss(d));
        out.push_back(SignatureAlgorithm::ecdsa(d));
    }
    out.push_back(SignatureAlgorithm::rsa_pss(PssParams{D::Sha256, D::Sha384, 0}));
    out.push_back(SignatureAlgorithm::rsa_pss(PssParams{D::Sha512, D::Sha256, 20}));  // default salt: omitted
    out.push_back(
        SignatureAlgorithm::rsa_pss(PssParams{D::Sha1, D::Sha1, 20}));  // all defaults: empty params
    return out;
}

// ---------------------------------------------------------------- OIDs

TEST(OidCodec, EveryTableOidRoundTripsAndMatchesOpenSsl) {
    std::vector<std::string> oids;
    for (const DigestSpec& s : digest_specs())
        oids.emplace_back(s.oid);
    for (const Curve c : {Curve::P256, Curve::P384, Curve::P521})
        oids.emplace_back(spec(c).oid);
    for (const SignatureOid& s : signature_oids())
        oids.emplace_back(s.oid);
    // Edge cases: smallest arcs, the 2.x first-octet rule beyond 47, a 128-bit UUID arc, a 2^64 arc.
    for (const char* extra : {"0.0", "0.39", "1.39.1", "2.47", "2.48", "2.999.3", "1.2.840.113549.1.1.8",
                              "2.25.329800735698586629295641978511506172918", "1.3.18446744073709551616.0"}) {
        oids.emplace_back(extra);
    }
    ASSERT_EQ(oids.size(), 6U + 3U + 12U + 9U);
    for (const std::string& oid : oids) {
        const Bytes ours = encode_oid_content(oid);
        const Asn1Object obj{::OBJ_txt2obj(oid.c_str(), 1)};
        ASSERT_NE(obj, nullptr) << oid;
        const ByteView theirs{::OBJ_get0_data(obj.get()), ::OBJ_length(obj.get())};
        EXPECT_EQ(hex(ours), hex(theirs)) << oid;
        EXPECT_EQ(decode_oid_content(ours), oid);
        EXPECT_EQ(obj_text(obj.get()), oid);
    }
}

TEST(OidCodec, KnownEncodings) {
    EXPECT_EQ(hex(encode_oid_content("1.2.840.113549.1.1.11")), "2a864886f70d01010b");
    EXPECT_EQ(hex(encode_oid_content("2.16.840.1.101.3.4.2.1")), "608648016503040201");
    EXPECT_EQ(hex(encode_oid_content("2.999.3")), "883703");
    EXPECT_EQ(decode_oid_content(unhex("883703")), "2.999.3");
}

TEST(OidCodec, RejectsMalformedContentAndText) {
    EXPECT_EQ(error_code_of([] { (void)decode_oid_content({}); }), Errc::InvalidEncoding);
    EXPECT_EQ(error_code_of([] { (void)decode_oid_content(unhex("2a86")); }), Errc::InvalidEncoding);
    EXPECT_EQ(error_code_of([] { (void)decode_oid_content(unhex("2a8001")); }), Errc::InvalidEncoding);
    EXPECT_EQ(error_code_of([] { (void)decode_oid_content(Bytes(30, 0xff)); }), Errc::InvalidEncoding);
    for (const char* bad : {"", "1", "1.", ".1", "1..2", "3.1", "0.40", "1.02", "a.b", "1.2.-3", "1. 2"}) {
        EXPECT_EQ(error_code_of([&] { (void)encode_oid_content(bad); }), Errc::InvalidRequest)
            << '"' << bad << '"';
    }
}

TEST(OidTable, SignatureOidNamesMatchOpenSsl) {
    for (const SignatureOid& s : signature_oids()) {
        const Asn1Object obj{::OBJ_txt2obj(std::string{s.oid}.c_str(), 1)};
        ASSERT_NE(obj, nullptr);
        const int nid = ::OBJ_obj2nid(obj.get());
        ASSERT_NE(nid, NID_undef) << s.oid;
        if (s.name == "id-RSASSA-PSS") {
            EXPECT_EQ(nid, NID_rsassaPss);  // OpenSSL calls it RSASSA-PSS / rsassaPss
            continue;
        }
        const std::string sn = ::OBJ_nid2sn(nid);
        const std::string ln = ::OBJ_nid2ln(nid);
        EXPECT_TRUE(s.name == sn || s.name == ln)
            << s.oid << ": ours " << s.name << ", OpenSSL " << sn << " / " << ln;
    }
}

// ---------------------------------------------------------------- digests and curves

TEST(DigestTable, LengthsAndOidsMatchOpenSsl) {
    ASSERT_EQ(digest_specs().size(), 6U);
    for (const DigestSpec& s : digest_specs()) {
        const ossl::Md md{::EVP_MD_fetch(nullptr, std::string{s.openssl_name}.c_str(), nullptr)};
        ASSERT_NE(md, nullptr) << s.openssl_name;
        EXPECT_EQ(static_cast<std::size_t>(::EVP_MD_get_size(md.get())), s.length) << s.name;
        EXPECT_EQ(digest_length(s.algorithm), s.length);
        EXPECT_EQ(obj_text(::OBJ_nid2obj(::EVP_MD_get_type(md.get()))), s.oid) << s.name;
        EXPECT_EQ(&spec(s.algorithm), &s);
        EXPECT_EQ(s.allowed_for_signing, s.algorithm != D::Sha1) << s.name;
    }
}

TEST(DigestTable, LooksUpByNameAndOid) {
    EXPECT_EQ(digest_from_name("SHA-256"), D::Sha256);
    EXPECT_EQ(digest_from_name("sha256"), D::Sha256);
    EXPECT_EQ(digest_from_name("SHA256"), D::Sha256);
    EXPECT_EQ(digest_from_name("SHA2-256"), D::Sha256);
    EXPECT_EQ(digest_from_name("sha-384"), D::Sha384);
    EXPECT_EQ(digest_from_name("Sha512"), D::Sha512);
    EXPECT_EQ(digest_from_name("sha3-256"), D::Sha3_256);
    EXPECT_EQ(digest_from_name("SHA3256"), D::Sha3_256);
    EXPECT_EQ(digest_from_name("SHA3-512"), D::Sha3_512);
    EXPECT_EQ(digest_from_name("SHA-1"), D::Sha1);
    EXPECT_EQ(digest_from_name("sha1"), D::Sha1);
    EXPECT_FALSE(digest_from_name("MD5").has_value());
    EXPECT_FALSE(digest_from_name("SHA-224").has_value());
    EXPECT_FALSE(digest_from_name("").has_value());
    EXPECT_EQ(digest_from_oid("2.16.840.1.101.3.4.2.10"), D::Sha3_512);
    EXPECT_EQ(digest_from_oid("1.3.14.3.2.26"), D::Sha1);
    EXPECT_FALSE(digest_from_oid("1.2.840.113549.2.5").has_value());  // MD5
}

TEST(CurveTable, MatchesOpenSslAndLooksUpByName) {
    for (const Curve c : {Curve::P256, Curve::P384, Curve::P521}) {
        const CurveSpec& s = spec(c);
        const int nid = ::OBJ_sn2nid(std::string{s.openssl_name}.c_str());
        ASSERT_NE(nid, NID_undef) << s.openssl_name;
        EXPECT_EQ(obj_text(::OBJ_nid2obj(nid)), s.oid);
        EXPECT_EQ(::EC_curve_nist2nid(std::string{s.name}.c_str()), nid) << s.name;
        EXPECT_EQ(curve_from_oid(s.oid), c);
        EXPECT_EQ(curve_from_name(s.name), c);
        EXPECT_EQ(curve_from_name(s.openssl_name), c);
    }
    EXPECT_EQ(spec(Curve::P256).field_bytes, 32U);
    EXPECT_EQ(spec(Curve::P384).field_bytes, 48U);
    EXPECT_EQ(spec(Curve::P521).field_bytes, 66U);
    EXPECT_EQ(curve_from_name("secp256r1"), Curve::P256);
    EXPECT_EQ(curve_from_name("p256"), Curve::P256);
    EXPECT_EQ(curve_from_name("SECP384R1"), Curve::P384);
    EXPECT_EQ(curve_from_name("P-521"), Curve::P521);
    EXPECT_FALSE(curve_from_name("secp256k1").has_value());
    EXPECT_FALSE(curve_from_oid("1.3.132.0.10").has_value());
}

// ---------------------------------------------------------------- signature algorithms

TEST(SignatureAlgorithms, HaveStableShortNames) {
    EXPECT_EQ(name(SignatureAlgorithm::rsa_pkcs1(D::Sha256)), "RSA-PKCS1-SHA256");
    EXPECT_EQ(name(SignatureAlgorithm::rsa_pss(D::Sha384)), "RSA-PSS-SHA384");
    EXPECT_EQ(name(SignatureAlgorithm::ecdsa(D::Sha256)), "ECDSA-SHA256");
    EXPECT_EQ(name(SignatureAlgorithm::ecdsa(D::Sha3_512)), "ECDSA-SHA3-512");
    EXPECT_EQ(name(SignatureAlgorithm::rsa_pkcs1(D::Sha3_256)), "RSA-PKCS1-SHA3-256");
    // Valid forever: the same static storage each time, not a temporary.
    EXPECT_EQ(name(SignatureAlgorithm::rsa_pss(D::Sha256)).data(),
              name(SignatureAlgorithm::rsa_pss(D::Sha256)).data());
}

TEST(SignatureAlgorithms, RsaPssDefaultsToSameHashMgfAndDigestLengthSalt) {
    const SignatureAlgorithm a = SignatureAlgorithm::rsa_pss(D::Sha384);
    EXPECT_EQ(a.key_type, KeyType::Rsa);
    EXPECT_EQ(a.padding, Padding::Pss);
    EXPECT_EQ(a.digest, D::Sha384);
    ASSERT_TRUE(a.pss.has_value());
    EXPECT_EQ(*a.pss, (PssParams{D::Sha384, D::Sha384, 48}));
}

TEST(SignatureAlgorithms, OidsAndMismatches) {
    EXPECT_EQ(signature_oid(SignatureAlgorithm::rsa_pkcs1(D::Sha256)), "1.2.840.113549.1.1.11");
    EXPECT_EQ(signature_oid(SignatureAlgorithm::rsa_pkcs1(D::Sha512)), "1.2.840.113549.1.1.13");
    EXPECT_EQ(signature_oid(SignatureAlgorithm::rsa_pkcs1(D::Sha3_512)), "2.16.840.1.101.3.4.3.16");
    EXPECT_EQ(signature_oid(SignatureAlgorithm::rsa_pss(D::Sha512)), "1.2.840.113549.1.1.10");
    EXPECT_EQ(signature_oid(SignatureAlgorithm::ecdsa(D::Sha384)), "1.2.840.10045.4.3.3");
    EXPECT_EQ(signature_oid(SignatureAlgorithm::ecdsa(D::Sha3_256)), "2.16.840.1.101.3.4.3.10");
    EXPECT_EQ(error_code_of([] { (void)signature_oid(SignatureAlgorithm::rsa_pkcs1(D::Sha1)); }),
              Errc::UnsupportedAlgorithm);
    EXPECT_EQ(error_code_of([] { (void)signature_oid(SignatureAlgorithm::ecdsa(D::Sha1)); }),
              Errc::UnsupportedAlgorithm);
    EXPECT_EQ(
        error_code_of([] {
            (void)algorithm_identifier(SignatureAlgorithm{KeyType::Ec, Padding::Pkcs1v15, D::Sha256, {}});
        }),
        Errc::UnsupportedAlgorithm);
    EXPECT_EQ(error_code_of([] {
                  (void)algorithm_identifier(SignatureAlgorithm{KeyType::Rsa, Padding::Ecdsa, D::Sha256, {}});
              }),
              Errc::UnsupportedAlgorithm);
    EXPECT_EQ(error_code_of([] {
                  (void)algorithm_identifier(SignatureAlgorithm{KeyType::Rsa, Padding::Pss, D::Sha256, {}});
              }),
              Errc::UnsupportedAlgorithm);
    EXPECT_EQ(error_code_of([] {
                  (void)algorithm_identifier(SignatureAlgorithm{KeyType::Rsa, Padding::Pss, D::Sha256,
                                                                PssParams{D::Sha384, D::Sha384, 48}});
              }),
              Errc::UnsupportedAlgorithm);
}

TEST(AlgorithmIdentifier, HasTheRfcParameterForms) {
    EXPECT_EQ(hex(algorithm_identifier(SignatureAlgorithm::rsa_pkcs1(D::Sha256))),
              "300d06092a864886f70d01010b0500");
    EXPECT_EQ(hex(algorithm_identifier(SignatureAlgorithm::ecdsa(D::Sha256))), "300a06082a8648ce3d040302");
    // RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32 (as `openssl req -sigopt rsa_padding_mode:pss` writes it).
    EXPECT_EQ(hex(algorithm_identifier(SignatureAlgorithm::rsa_pss(D::Sha256))),
              "304106092a864886f70d01010a3034"
              "a00f300d06096086480165030402010500"
              "a11c301a06092a864886f70d010108300d06096086480165030402010500"
              "a203020120");
}

TEST(AlgorithmIdentifier, OpenSslParsesEachAndReencodesIdentically) {
    struct Case {
        SignatureAlgorithm alg;
        int ptype;
    };
    std::vector<Case> cases;
    for (const D d : kSigningDigests) {
        cases.push_back({SignatureAlgorithm::rsa_pkcs1(d), V_ASN1_NULL});
        cases.push_back({SignatureAlgorithm::rsa_pss(d), V_ASN1_SEQUENCE});
        cases.push_back({SignatureAlgorithm::ecdsa(d), V_ASN1_UNDEF});
    }
    for (const Case& c : cases) {
        const Bytes der = algorithm_identifier(c.alg);
        const unsigned char* p = der.data();
        const Algor algor{::d2i_X509_ALGOR(nullptr, &p, static_cast<long>(der.size()))};
        ASSERT_NE(algor, nullptr) << name(c.alg);
        EXPECT_EQ(p, der.data() + der.size()) << name(c.alg);
        const ASN1_OBJECT* obj = nullptr;
        int ptype = -1;
        const void* pval = nullptr;
        ::X509_ALGOR_get0(&obj, &ptype, &pval, algor.get());
        EXPECT_EQ(obj_text(obj), signature_oid(c.alg)) << name(c.alg);
        EXPECT_EQ(ptype, c.ptype) << name(c.alg);
        unsigned char* out = nullptr;
        const int len = ::i2d_X509_ALGOR(algor.get(), &out);
        ASSERT_GT(len, 0);
        const Bytes reencoded{out, out + len};
        ::OPENSSL_free(out);
        EXPECT_EQ(hex(reencoded), hex(der)) << name(c.alg);
    }
}

TEST(AlgorithmIdentifier, PssParametersParseAsRfc4055Structure) {
    for (const D d : {D::Sha256, D::Sha384, D::Sha512}) {
        const std::string hash = d == D::Sha256 ? "sha256" : d == D::Sha384 ? "sha384" : "sha512";
        const std::string salt = d == D::Sha256   ? "20"
                                 : d == D::Sha384 ? "30"
                                                  : "40";  // asn1parse prints hex
        const auto lines = asn1parse(algorithm_identifier(SignatureAlgorithm::rsa_pss(d)));
        const std::vector<std::string> expected{
            "0:d=0 hl=2 l= 65 cons: SEQUENCE",
            "2:d=1 hl=2 l= 9 prim: OBJECT :rsassaPss",
            "13:d=1 hl=2 l= 52 cons: SEQUENCE",
            "15:d=2 hl=2 l= 15 cons: cont [ 0 ]",
            "17:d=3 hl=2 l= 13 cons: SEQUENCE",
            "19:d=4 hl=2 l= 9 prim: OBJECT :" + hash,
            "30:d=4 hl=2 l= 0 prim: NULL",
            "32:d=2 hl=2 l= 28 cons: cont [ 1 ]",
            "34:d=3 hl=2 l= 26 cons: SEQUENCE",
            "36:d=4 hl=2 l= 9 prim: OBJECT :mgf1",
            "47:d=4 hl=2 l= 13 cons: SEQUENCE",
            "49:d=5 hl=2 l= 9 prim: OBJECT :" + hash,
            "60:d=5 hl=2 l= 0 prim: NULL",
            "62:d=2 hl=2 l= 3 cons: cont [ 2 ]",
            "64:d=3 hl=2 l= 1 prim: INTEGER :" + salt,
        };
        EXPECT_EQ(lines, expected) << join(lines);
    }
}

/// The signatureAlgorithm of a certificate `openssl req -x509` signs with `args`.
Bytes openssl_signature_algorithm(const PrivateKey& key, const std::vector<std::string>& args) {
    const inkan::testing::TempDir dir{"inkan-crypto-algid"};
    inkan::testing::write_file(dir / "key.pem", key.pem());
    std::vector<std::string> argv{
        "openssl", "req", "-new",     "-x509", "-key", (dir / "key.pem").string(), "-subj", "/CN=inkan",
        "-days",   "1",   "-outform", "DER",   "-out", (dir / "cert.der").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = inkan::testing::run(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    if (r.exit_code != 0) return {};
    const Bytes cert = inkan::testing::read_file(dir / "cert.der");
    der::Reader top{cert};
    der::Reader c = top.sequence();
    (void)c.next();  // tbsCertificate
    return to_bytes(c.next().whole);
}

TEST(AlgorithmIdentifier, EqualsWhatOpenSslWritesIntoCertificates) {
    const PrivateKey rsa = PrivateKey::generate_rsa(2048);
    const PrivateKey ec = PrivateKey::generate_ec(Curve::P256);
    const std::vector<std::pair<D, std::string>> digests{{D::Sha256, "-sha256"},
                                                         {D::Sha384, "-sha384"},
                                                         {D::Sha512, "-sha512"},
                                                         {D::Sha3_256, "-sha3-256"},
                                                         {D::Sha3_512, "-sha3-512"}};
    for (const auto& [d, flag] : digests) {
        EXPECT_EQ(hex(openssl_signature_algorithm(rsa, {flag})),
                  hex(algorithm_identifier(SignatureAlgorithm::rsa_pkcs1(d))))
            << flag;
        EXPECT_EQ(hex(openssl_signature_algorithm(ec, {flag})),
                  hex(algorithm_identifier(SignatureAlgorithm::ecdsa(d))))
            << flag;
        if (d == D::Sha256 || d == D::Sha384 ||
            d == D::Sha512) {  // OpenSSL 3.0 has no PSS AlgorithmIdentifier for SHA-3
            EXPECT_EQ(hex(openssl_signature_algorithm(rsa, {flag, "-sigopt", "rsa_padding_mode:pss",
                                                            "-sigopt", "rsa_pss_saltlen:digest"})),
                      hex(algorithm_identifier(SignatureAlgorithm::rsa_pss(d))))
                << flag << " PSS";
        }
    }
    // A salt length other than the digest length, and MGF1 over another hash.
    EXPECT_EQ(hex(openssl_signature_algorithm(rsa, {"-sha256", "-sigopt", "rsa_padding_mode:pss", "-sigopt",
                                                    "rsa_pss_saltlen:20", "-sigopt", "rsa_mgf1_md:sha512"})),
              hex(algorithm_identifier(SignatureAlgorithm::rsa_pss(PssParams{D::Sha256, D::Sha512, 20}))));
}

TEST(AlgorithmIdentifier, ParsesBackEverySupportedAlgorithm) {
    for (const SignatureAlgorithm& a : all_signature_algorithms()) {
        EXPECT_EQ(parse_algorithm_identifier(algorithm_identifier(a)), a) << name(a);
    }
}

TEST(AlgorithmIdentifier, AppliesRfc4055DefaultsAndAlternativeForms) {
    // id-RSASSA-PSS without parameters, and with an empty parameter SEQUENCE: SHA-1, MGF1-SHA-1, salt 20.
    const SignatureAlgorithm defaults = SignatureAlgorithm::rsa_pss(PssParams{D::Sha1, D::Sha1, 20});
    EXPECT_EQ(parse_algorithm_identifier(unhex("300b06092a864886f70d01010a")), defaults);
    EXPECT_EQ(parse_algorithm_identifier(unhex("300d06092a864886f70d01010a3000")), defaults);
    EXPECT_EQ(hex(algorithm_identifier(defaults)), "300d06092a864886f70d01010a3000");
    // Hash AlgorithmIdentifiers with absent parameters (RFC 4055 §2.1 allows both).
    EXPECT_EQ(parse_algorithm_identifier(unhex("303d06092a864886f70d01010a3030"
                                               "a00d300b0609608648016503040201"
                                               "a11a301806092a864886f70d010108300b0609608648016503040201"
                                               "a203020120")),
              SignatureAlgorithm::rsa_pss(D::Sha256));
    // A trailer field of 1 is the default and accepted when written.
    EXPECT_EQ(parse_algorithm_identifier(unhex("301206092a864886f70d01010a3005a303020101")), defaults);
    // sha256WithRSAEncryption without the NULL; ECDSA with a NULL.
    EXPECT_EQ(parse_algorithm_identifier(unhex("300b06092a864886f70d01010b")),
              SignatureAlgorithm::rsa_pkcs1(D::Sha256));
    EXPECT_EQ(parse_algorithm_identifier(unhex("300c06082a8648ce3d0403020500")),
              SignatureAlgorithm::ecdsa(D::Sha256));
    // rsaEncryption: the digest comes from the hint (CMS digestAlgorithm).
    const Bytes rsa_encryption = unhex("300d06092a864886f70d0101010500");
    EXPECT_EQ(parse_algorithm_identifier(rsa_encryption, D::Sha384),
              SignatureAlgorithm::rsa_pkcs1(D::Sha384));
    EXPECT_EQ(error_code_of([&] { (void)parse_algorithm_identifier(rsa_encryption); }),
              Errc::UnsupportedAlgorithm);
}

TEST(AlgorithmIdentifier, RejectsUnknownAndMalformed) {
    const auto code = [](std::string_view h) {
        const Bytes der = unhex(h);
        return error_code_of([&] { (void)parse_algorithm_identifier(der); });
    };
    EXPECT_EQ(code("300d06092a864886f70d0101050500"), Errc::UnsupportedAlgorithm) << "sha1WithRSAEncryption";
    EXPECT_EQ(code("300506032b6570"), Errc::UnsupportedAlgorithm) << "Ed25519";
    EXPECT_EQ(code("300d06092a864886f70d01010b0500"
                   "00"),
              Errc::InvalidEncoding)
        << "trailing octet";
    EXPECT_EQ(code("300f06092a864886f70d01010b05000500"), Errc::InvalidEncoding) << "two parameters";
    EXPECT_EQ(code("300e06092a864886f70d01010b020100"), Errc::InvalidEncoding) << "INTEGER parameters";
    EXPECT_EQ(code("310d06092a864886f70d01010b0500"), Errc::InvalidEncoding) << "SET";
    EXPECT_EQ(code("300d06092a864886f70d01010a0500"), Errc::InvalidEncoding) << "PSS with NULL";
    EXPECT_EQ(code("301206092a864886f70d01010a3005a303020102"), Errc::UnsupportedAlgorithm) << "trailer 2";
    EXPECT_EQ(code("301206092a864886f70d01010a3005a2030201ff"), Errc::InvalidEncoding) << "negative salt";
    EXPECT_EQ(code("302206092a864886f70d01010a3015a113301106092a864886f70d0101093004"
                   "06022a03"),
              Errc::UnsupportedAlgorithm)
        << "mask generation function other than MGF1";
    EXPECT_EQ(code("301b06092a864886f70d01010a300ea00c300a06082a864886f70d0205"), Errc::UnsupportedAlgorithm)
        << "MD5 hash";
    EXPECT_EQ(code(""), Errc::InvalidEncoding);
}

TEST(DigestAlgorithmIdentifier, HasAbsentParameters) {
    EXPECT_EQ(hex(digest_algorithm_identifier(D::Sha256)), "300b0609608648016503040201");
    EXPECT_EQ(hex(digest_algorithm_identifier(D::Sha1)), "300706052b0e03021a");
    for (const DigestSpec& s : digest_specs()) {
        const Bytes der = digest_algorithm_identifier(s.algorithm);
        der::Reader top{der};
        der::Reader seq = top.sequence();
        EXPECT_EQ(seq.read_oid(), s.oid);
        seq.expect_end();
        top.expect_end();
    }
}

TEST(DigestInfo, MatchesTheRfc8017Prefix) {
    const Bytes h(32, 0xAB);
    EXPECT_EQ(hex(digest_info(D::Sha256, h)), "3031300d060960864801650304020105000420" + hex(h));
    EXPECT_EQ(hex(digest_info(D::Sha512, Bytes(64, 0x01))).substr(0, 38),
              "3051300d060960864801650304020305000440");
    EXPECT_EQ(hex(digest_info(D::Sha1, Bytes(20, 0x00))).substr(0, 30), "3021300906052b0e03021a05000414");
    EXPECT_EQ(error_code_of([&] { (void)digest_info(D::Sha256, Bytes(31, 0)); }), Errc::InvalidRequest);
    EXPECT_EQ(error_code_of([&] { (void)digest_info(D::Sha384, Bytes(32, 0)); }), Errc::InvalidRequest);
}

}  // namespace
}  // namespace inkan::crypto
