#include <inkan/service/signature_algorithms.h>

#include <algorithm>
#include <utility>

#include <inkan/crypto/der.h>
#include <inkan/sign/signer.h>

namespace inkan::service {

namespace {

constexpr std::string_view kRsaEncryption = "1.2.840.113549.1.1.1";
constexpr std::string_view kRsaPss = "1.2.840.113549.1.1.10";
/// id-ecPublicKey (RFC 5480 §2.1.1): a key OID, but some clients send it as signAlgo with a separate
/// hashAlgo, as they send rsaEncryption for RSA (issue 24).
constexpr std::string_view kEcPublicKey = "1.2.840.10045.2.1";

/// The parameters of an AlgorithmIdentifier (the TLV after the OID), e.g. RSASSA-PSS-params.
Bytes algorithm_parameters(const crypto::SignatureAlgorithm& alg) {
    const Bytes alg_id = crypto::algorithm_identifier(alg);
    der::Reader outer{alg_id};
    der::Reader seq = outer.sequence();
    (void)seq.read_oid();
    const der::Tlv params = seq.next();
    return to_bytes(params.whole);
}

[[noreturn]] void refuse(AlgorithmRefusal r, std::string text) {
    const Errc code = r == AlgorithmRefusal::HashAlgoMissing || r == AlgorithmRefusal::SignAlgoParamsMissing
                          ? Errc::InvalidRequest
                          : Errc::UnsupportedAlgorithm;
    throw Refused<AlgorithmRefusal>{code, r, std::move(text)};
}

bool contains(const std::vector<std::string>& list, std::string_view oid) {
    return std::find(list.begin(), list.end(), oid) != list.end();
}

/// A digest a client named for signing: known and allowed (SHA-1 is not, RFC 9155 / SOG-IS).
std::optional<crypto::DigestAlgorithm> signing_digest(const std::string& oid) {
    const auto digest = crypto::digest_from_oid(oid);
    if (!digest || !crypto::spec(*digest).allowed_for_signing) {
        return std::nullopt;
    }
    return digest;
}

}  // namespace

AlgorithmChoice::AlgorithmChoice(const crypto::SignatureAlgorithm& alg)
    : sign_algo{crypto::signature_oid(alg)} {
    if (alg.padding == crypto::Padding::Pss) {
        sign_algo_params = algorithm_parameters(alg);
    }
}

std::string_view name(AlgorithmRefusal r) {
    switch (r) {
        case AlgorithmRefusal::SignAlgo:
            return "sign_algo";
        case AlgorithmRefusal::HashAlgo:
            return "hash_algo";
        case AlgorithmRefusal::SignAlgoParams:
            return "sign_algo_params";
        case AlgorithmRefusal::HashAlgoMissing:
            return "hash_algo_missing";
        case AlgorithmRefusal::SignAlgoParamsMissing:
            return "sign_algo_params_missing";
    }
    return "unknown";
}

SignatureAlgorithms::SignatureAlgorithms(std::vector<crypto::SignatureAlgorithm> configured) {
    if (configured.empty()) {
        configured = sign::default_algorithms(crypto::KeyType::Rsa);
        const auto ec = sign::default_algorithms(crypto::KeyType::Ec);
        configured.insert(configured.end(), ec.begin(), ec.end());
    }
    bool any_rsa = false;
    bool any_ec = false;
    for (const auto& alg : configured) {
        const std::string oid{crypto::signature_oid(alg)};
        // Each OID once (issue 24: clients index by OID). id-RSASSA-PSS keeps the parameters of its first
        // configured variant as the example; signHash takes any RSASSA-PSS-params with an allowed hash
        // in signAlgoParams.
        if (!contains(m_advertised.algos, oid)) {
            m_advertised.algos.push_back(oid);
            m_advertised.params.push_back(alg.padding == crypto::Padding::Pss
                                              ? std::optional<Bytes>{algorithm_parameters(alg)}
                                              : std::nullopt);
        }
        auto& per_key = alg.key_type == crypto::KeyType::Rsa ? m_rsa : m_ec;
        if (!contains(per_key, oid)) {
            per_key.push_back(oid);
        }
        any_rsa = any_rsa || alg.key_type == crypto::KeyType::Rsa;
        any_ec = any_ec || alg.key_type == crypto::KeyType::Ec;
    }
    // The key algorithm with a separate hash, for an EC credential: its key/algo names it (it is what
    // CSC's key/algo means); info.signAlgorithms does not (it is no signature algorithm).
    if (any_ec) {
        m_ec.emplace_back(kEcPublicKey);
    }
    // rsaEncryption with a separate hashAlgo: what v1 clients (and pyHanko's fallback) may send.
    if (any_rsa) {
        if (!contains(m_rsa, kRsaEncryption)) {
            m_rsa.emplace_back(kRsaEncryption);
        }
        if (!contains(m_advertised.algos, kRsaEncryption)) {
            m_advertised.algos.emplace_back(kRsaEncryption);
            m_advertised.params.emplace_back(std::nullopt);
        }
    }
}

const std::vector<std::string>& SignatureAlgorithms::for_key(crypto::KeyType type) const {
    return type == crypto::KeyType::Rsa ? m_rsa : m_ec;
}

crypto::SignatureAlgorithm SignatureAlgorithms::resolve(crypto::KeyType key_type,
                                                        const AlgorithmChoice& choice) const {
    const auto& allowed = for_key(key_type);
    if (choice.sign_algo == kEcPublicKey) {
        if (key_type != crypto::KeyType::Ec || !contains(allowed, kEcPublicKey)) {
            refuse(AlgorithmRefusal::SignAlgo, "id-ecPublicKey is not for this credential's key");
        }
        if (!choice.hash_algo) {
            refuse(AlgorithmRefusal::HashAlgoMissing, "id-ecPublicKey needs a hash algorithm");
        }
        const auto digest = signing_digest(*choice.hash_algo);
        if (!digest) {
            refuse(AlgorithmRefusal::HashAlgo, "hash algorithm " + *choice.hash_algo + " is not allowed");
        }
        // Only an ECDSA digest the configured algorithms allow (ecdsa-with-SHA3-256 is not
        // ecdsa-with-SHA256).
        const crypto::SignatureAlgorithm alg{key_type, crypto::Padding::Ecdsa, *digest, std::nullopt};
        std::string oid;
        try {
            oid = crypto::signature_oid(alg);
        } catch (const Error&) {
            refuse(AlgorithmRefusal::HashAlgo, "no ECDSA signature OID for " + *choice.hash_algo);
        }
        if (!contains(allowed, oid)) {
            refuse(AlgorithmRefusal::HashAlgo, "ECDSA with " + *choice.hash_algo + " is not offered");
        }
        return alg;
    }
    const auto info = crypto::signature_oid_info(choice.sign_algo);
    if (!contains(allowed, choice.sign_algo) || !info || info->key_type != key_type) {
        refuse(AlgorithmRefusal::SignAlgo,
               "signature algorithm " + choice.sign_algo + " is not offered for this credential's key");
    }
    std::optional<crypto::DigestAlgorithm> hash_algo;
    if (choice.hash_algo) {
        hash_algo = signing_digest(*choice.hash_algo);
        if (!hash_algo) {
            refuse(AlgorithmRefusal::HashAlgo, "hash algorithm " + *choice.hash_algo + " is not allowed");
        }
    }
    if (info->padding == crypto::Padding::Pss) {
        if (!choice.sign_algo_params) {
            refuse(AlgorithmRefusal::SignAlgoParamsMissing, "id-RSASSA-PSS needs its parameters");
        }
        der::Writer w;
        w.sequence([&](der::Writer& seq) {
            seq.oid(kRsaPss);
            seq.raw(*choice.sign_algo_params);
        });
        crypto::SignatureAlgorithm alg;
        try {
            alg = crypto::parse_algorithm_identifier(w.take());
        } catch (const Error&) {
            refuse(AlgorithmRefusal::SignAlgoParams, "RSASSA-PSS-params do not parse");
        }
        if (alg.padding != crypto::Padding::Pss || !alg.pss ||
            !crypto::spec(alg.pss->hash).allowed_for_signing ||
            !crypto::spec(alg.pss->mgf1_hash).allowed_for_signing ||
            (hash_algo && *hash_algo != alg.pss->hash)) {
            refuse(AlgorithmRefusal::SignAlgoParams, "RSASSA-PSS-params name a digest not allowed here");
        }
        return alg;
    }
    if (!info->digest) {
        // rsaEncryption: the hash comes separately.
        if (!hash_algo) {
            refuse(AlgorithmRefusal::HashAlgoMissing, "rsaEncryption needs a hash algorithm");
        }
        return crypto::SignatureAlgorithm{key_type, info->padding, *hash_algo, std::nullopt};
    }
    if (hash_algo && *hash_algo != *info->digest) {
        refuse(AlgorithmRefusal::HashAlgo, "the hash algorithm contradicts the signature algorithm");
    }
    return crypto::SignatureAlgorithm{key_type, info->padding, *info->digest, std::nullopt};
}

}  // namespace inkan::service
