#include "mechanisms.h"

#include <array>
#include <string>

#include <inkan/core/error.h>
#include <inkan/crypto/ecdsa.h>

namespace inkan::hsm {

using crypto::DigestAlgorithm;
using crypto::KeyType;
using crypto::Padding;

namespace {

// clang-format off
constexpr std::array kDigests{
    DigestMechanism{DigestAlgorithm::Sha1,     CKM_SHA_1,    CKG_MGF1_SHA1},
    DigestMechanism{DigestAlgorithm::Sha256,   CKM_SHA256,   CKG_MGF1_SHA256},
    DigestMechanism{DigestAlgorithm::Sha384,   CKM_SHA384,   CKG_MGF1_SHA384},
    DigestMechanism{DigestAlgorithm::Sha512,   CKM_SHA512,   CKG_MGF1_SHA512},
    DigestMechanism{DigestAlgorithm::Sha3_256, CKM_SHA3_256, CKG_MGF1_SHA3_256},
    DigestMechanism{DigestAlgorithm::Sha3_512, CKM_SHA3_512, CKG_MGF1_SHA3_512},
};

using In = SignMechanism::Input;
using Out = SignMechanism::Output;
constexpr std::array kSign{
    SignMechanism{Padding::Pkcs1v15, KeyType::Rsa, CKK_RSA, CKM_RSA_PKCS,     In::DigestInfo, Out::Raw,           false},
    SignMechanism{Padding::Pss,      KeyType::Rsa, CKK_RSA, CKM_RSA_PKCS_PSS, In::Digest,     Out::Raw,           true},
    SignMechanism{Padding::Ecdsa,    KeyType::Ec,  CKK_EC,  CKM_ECDSA,        In::Digest,     Out::EcdsaRawToDer, false},
};
// clang-format on

}  // namespace

const DigestMechanism& digest_mechanism(DigestAlgorithm d) {
    for (const auto& row : kDigests) {
        if (row.digest == d) {
            return row;
        }
    }
    throw Error{Errc::UnsupportedAlgorithm,
                "no PKCS#11 mechanism for digest " + std::string{crypto::spec(d).name}};
}

const SignMechanism& sign_mechanism(const crypto::SignatureAlgorithm& alg) {
    for (const auto& row : kSign) {
        if (row.padding == alg.padding) {
            if (row.key_type != alg.key_type) {
                break;
            }
            return row;
        }
    }
    throw Error{Errc::UnsupportedAlgorithm,
                "signature scheme does not fit its key type: " + std::string{crypto::name(alg)}};
}

void prepare_sign(const crypto::SignatureAlgorithm& alg, ByteView digest, PreparedSign& out) {
    const SignMechanism& row = sign_mechanism(alg);
    const crypto::DigestSpec& d = crypto::spec(alg.digest);
    require(d.allowed_for_signing, Errc::UnsupportedAlgorithm,
            std::string{d.name} + " is not allowed for signatures");
    require(digest.size() == d.length, Errc::InvalidRequest,
            "digest is " + std::to_string(digest.size()) + " bytes; " + std::string{d.name} + " needs " +
                std::to_string(d.length));
    out.row = &row;
    out.mechanism = CK_MECHANISM{row.mechanism, nullptr, 0};
    if (row.pss_params) {
        require(alg.pss.has_value(), Errc::InvalidRequest, "RSASSA-PSS without parameters");
        require(alg.pss->hash == alg.digest, Errc::InvalidRequest, "RSASSA-PSS hash differs from the digest");
        require(crypto::spec(alg.pss->mgf1_hash).allowed_for_signing, Errc::UnsupportedAlgorithm,
                "RSASSA-PSS with MGF1 over a hash not allowed for signatures");
        out.pss.hashAlg = digest_mechanism(alg.pss->hash).hash;
        out.pss.mgf = digest_mechanism(alg.pss->mgf1_hash).mgf1;
        out.pss.sLen = alg.pss->salt_length;
        out.mechanism.pParameter = &out.pss;
        out.mechanism.ulParameterLen = sizeof out.pss;
    }
    switch (row.input) {
        case In::DigestInfo:
            out.input = crypto::digest_info(alg.digest, digest);
            break;
        case In::Digest:
            out.input.assign(digest.begin(), digest.end());
            break;
    }
}

Bytes finish_sign(const SignMechanism& row, Bytes raw) {
    switch (row.output) {
        case Out::Raw:
            return raw;
        case Out::EcdsaRawToDer:
            return crypto::ecdsa_raw_to_der(raw);
    }
    throw Error{Errc::Internal, "unknown signature output"};
}

}  // namespace inkan::hsm
