// Signature operations (provider-signature(7)) for keys held by a Signer: ECDSA and RSA (PKCS#1 v1.5,
// PSS). Only signing: verification stays with OpenSSL's default provider and the peer's own key.
//
// Two entry points reach Signer::sign, which always signs a pre-computed digest:
//   - EVP_PKEY_sign: the caller passes the digest (its algorithm set with EVP_PKEY_CTX_set_signature_md);
//   - EVP_DigestSign*: what libssl uses; the message is hashed here with an EVP_MD of the provider's
//     library context, then the digest goes to the Signer.
// Each operation context owns its EVP_MD_CTX; the key (and its Signer) is shared and never changes.

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rsa.h>

#include "provider_internal.h"

namespace inkan::sign::provider::detail {

namespace {

using crypto::DigestAlgorithm;
using crypto::KeyType;
using crypto::Padding;
using crypto::SignatureAlgorithm;

/// The inkan digest an EVP_MD implements ("SHA256", "SHA2-256", "sha256" all name the same one).
DigestAlgorithm digest_of(const EVP_MD* md) {
    for (const crypto::DigestSpec& spec : crypto::digest_specs()) {
        if (::EVP_MD_is_a(md, std::string{spec.openssl_name}.c_str()) == 1) {
            return spec.algorithm;
        }
    }
    fail(PROV_R_INVALID_DIGEST,
         std::string{"digest "} + ::EVP_MD_get0_name(md) + " is not one inkan signs with");
}

class SignatureContext {
public:
    SignatureContext(ProviderContext* provctx, KeyType type, const char* propq)
        : m_provctx{provctx}, m_type{type}, m_propq{propq != nullptr ? propq : ""} {
        reset_parameters();
    }

    /// A deep copy (EVP_DigestSignFinal finishes a duplicate so the caller may go on hashing).
    [[nodiscard]] std::unique_ptr<SignatureContext> duplicate() const {
        auto copy = std::make_unique<SignatureContext>(m_provctx, m_type, m_propq.c_str());
        copy->m_signer = m_signer;
        if (m_public_key != nullptr) {
            copy->m_public_key = up_ref(m_public_key.get());
        }
        copy->m_digest = m_digest;
        copy->m_digest_properties = m_digest_properties;
        copy->m_padding = m_padding;
        copy->m_salt_length = m_salt_length;
        copy->m_mgf1_digest = m_mgf1_digest;
        copy->m_mgf1_properties = m_mgf1_properties;
        copy->m_digest_locked = m_digest_locked;
        if (m_md != nullptr) {
            ossl::check(::EVP_MD_up_ref(m_md.get()), "EVP_MD_up_ref");
            copy->m_md.reset(m_md.get());
        }
        if (m_md_ctx != nullptr) {
            copy->m_md_ctx.reset(ossl::not_null(::EVP_MD_CTX_new(), "EVP_MD_CTX_new"));
            ossl::check(::EVP_MD_CTX_copy_ex(copy->m_md_ctx.get(), m_md_ctx.get()), "EVP_MD_CTX_copy_ex");
        }
        return copy;
    }

    /// sign_init / digest_sign_init: a new key (or, if null, the previous one again) and fresh
    /// parameters; then the caller's parameters.
    void init(void* provkey, const OSSL_PARAM params[]) {
        if (provkey != nullptr) {
            const auto* key = static_cast<const KeyData*>(provkey);
            if (key->type != m_type) {
                fail(PROV_R_OPERATION_NOT_SUPPORTED_FOR_THIS_KEYTYPE, "key type does not fit the algorithm");
            }
            if (key->signer == nullptr) {
                fail(PROV_R_NOT_A_PRIVATE_KEY, "this key has no Signer (a public key cannot sign)");
            }
            m_signer = key->signer;
            m_public_key = up_ref(key->public_key.get());
        } else if (m_signer == nullptr) {
            fail(PROV_R_NO_KEY_SET, "no key");
        }
        reset_parameters();
        m_md_ctx.reset();
        m_md.reset();
        m_digest_locked = false;
        set_params(params);
    }

    void digest_sign_init(const char* mdname, void* provkey, const OSSL_PARAM params[]) {
        init(provkey, params);
        std::string name = mdname != nullptr && *mdname != '\0' ? std::string{mdname} : default_digest_name();
        set_digest(name.c_str(), m_digest_properties.c_str());
        // Refuse here what the Signer cannot do: libssl asks EVP_DigestSignInit (through
        // EVP_PKEY_digestsign_supports_digest) to learn which signature schemes it may offer.
        if (!m_signer->supports(algorithm(*m_digest))) {
            fail(PROV_R_DIGEST_NOT_ALLOWED,
                 std::string{crypto::name(algorithm(*m_digest))} + " is not supported by this signer");
        }
        m_md_ctx.reset(ossl::not_null(::EVP_MD_CTX_new(), "EVP_MD_CTX_new"));
        ossl::check(::EVP_DigestInit_ex2(m_md_ctx.get(), m_md.get(), nullptr), "EVP_DigestInit_ex2");
        m_digest_locked = true;
    }

    void digest_sign_update(const unsigned char* data, std::size_t length) {
        if (m_md_ctx == nullptr) {
            fail(PROV_R_NO_KEY_SET, "digest_sign_update before digest_sign_init");
        }
        ossl::check(::EVP_DigestUpdate(m_md_ctx.get(), data, length), "EVP_DigestUpdate");
    }

    void digest_sign_final(unsigned char* sig, std::size_t* siglen, std::size_t sigsize) {
        if (m_md_ctx == nullptr) {
            fail(PROV_R_NO_KEY_SET, "digest_sign_final before digest_sign_init");
        }
        if (sig == nullptr) {
            *siglen = max_signature_size();
            return;
        }
        Bytes digest(static_cast<std::size_t>(EVP_MAX_MD_SIZE));
        unsigned int length = 0;
        ossl::check(::EVP_DigestFinal_ex(m_md_ctx.get(), digest.data(), &length), "EVP_DigestFinal_ex");
        digest.resize(length);
        m_md_ctx.reset();  // finished: a second final is an error, as with OpenSSL's own keys
        sign_digest(*m_digest, digest, sig, siglen, sigsize);
    }

    /// EVP_PKEY_sign: `tbs` is the digest itself.
    void sign(unsigned char* sig, std::size_t* siglen, std::size_t sigsize, const unsigned char* tbs,
              std::size_t tbslen) {
        if (m_signer == nullptr) {
            fail(PROV_R_NO_KEY_SET, "sign before sign_init");
        }
        if (sig == nullptr) {
            *siglen = max_signature_size();
            return;
        }
        std::optional<DigestAlgorithm> digest = m_digest;
        if (!digest && m_type == KeyType::Ec) {
            // ECDSA signs the digest bytes whatever hashed them; only the length matters.
            digest = tbslen == 32   ? std::optional{DigestAlgorithm::Sha256}
                     : tbslen == 48 ? std::optional{DigestAlgorithm::Sha384}
                     : tbslen == 64 ? std::optional{DigestAlgorithm::Sha512}
                                    : std::nullopt;
        }
        if (!digest) {
            fail(PROV_R_MISSING_MESSAGE_DIGEST,
                 "set the digest algorithm (EVP_PKEY_CTX_set_signature_md): the Signer signs digests");
        }
        if (tbslen != crypto::digest_length(*digest)) {
            fail(PROV_R_INVALID_DIGEST_LENGTH, "the input is not a " +
                                                   std::string{crypto::spec(*digest).name} + " digest (" +
                                                   std::to_string(tbslen) + " bytes)");
        }
        sign_digest(*digest, ByteView{tbs, tbslen}, sig, siglen, sigsize);
    }

    void set_params(const OSSL_PARAM params[]) {
        if (params == nullptr) {
            return;
        }
        if (const OSSL_PARAM* p = ::OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_PROPERTIES)) {
            m_digest_properties = utf8(p, "digest properties");
        }
        if (const OSSL_PARAM* p = ::OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_DIGEST)) {
            const std::string name = utf8(p, "digest");
            if (m_digest_locked) {
                ossl::Md md = fetch(name.c_str(), m_digest_properties.c_str());
                if (digest_of(md.get()) != m_digest) {
                    fail(PROV_R_DIGEST_NOT_ALLOWED, "the digest cannot change once hashing has started");
                }
            } else {
                set_digest(name.c_str(), m_digest_properties.c_str());
            }
        }
        if (m_type != KeyType::Rsa) {
            return;  // ECDSA has no other parameters; unknown ones are ignored, as OpenSSL does
        }
        if (const OSSL_PARAM* p = ::OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_PAD_MODE)) {
            m_padding = parse_padding(p);
        }
        if (const OSSL_PARAM* p = ::OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_PSS_SALTLEN)) {
            m_salt_length = parse_salt_length(p);
        }
        if (const OSSL_PARAM* p = ::OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_MGF1_PROPERTIES)) {
            m_mgf1_properties = utf8(p, "MGF1 digest properties");
        }
        if (const OSSL_PARAM* p = ::OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_MGF1_DIGEST)) {
            const ossl::Md md = fetch(utf8(p, "MGF1 digest").c_str(), m_mgf1_properties.c_str());
            m_mgf1_digest = digest_of(md.get());
        }
    }

    void get_params(OSSL_PARAM params[]) const {
        if (params == nullptr) {
            return;
        }
        if (OSSL_PARAM* p = ::OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_ALGORITHM_ID);
            p != nullptr && m_digest) {
            // X509_sign, CMS and OCSP ask for this to write the signatureAlgorithm field.
            const Bytes der = crypto::algorithm_identifier(algorithm(*m_digest));
            set(::OSSL_PARAM_set_octet_string(p, der.data(), der.size()), "algorithm-id");
        }
        if (OSSL_PARAM* p = ::OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_DIGEST);
            p != nullptr && m_digest) {
            set(::OSSL_PARAM_set_utf8_string(p, std::string{crypto::spec(*m_digest).openssl_name}.c_str()),
                "digest");
        }
        if (m_type != KeyType::Rsa) {
            return;
        }
        if (OSSL_PARAM* p = ::OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_PAD_MODE); p != nullptr) {
            const bool pss = m_padding == Padding::Pss;
            set(p->data_type == OSSL_PARAM_INTEGER
                    ? ::OSSL_PARAM_set_int(p, pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING)
                    : ::OSSL_PARAM_set_utf8_string(
                          p, pss ? OSSL_PKEY_RSA_PAD_MODE_PSS : OSSL_PKEY_RSA_PAD_MODE_PKCSV15),
                "pad-mode");
        }
        if (OSSL_PARAM* p = ::OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_PSS_SALTLEN); p != nullptr) {
            if (p->data_type == OSSL_PARAM_INTEGER) {
                set(::OSSL_PARAM_set_int(p, m_salt_length), "saltlen");
            } else {
                const std::string text =
                    m_salt_length == RSA_PSS_SALTLEN_DIGEST ? OSSL_PKEY_RSA_PSS_SALT_LEN_DIGEST
                    : m_salt_length == RSA_PSS_SALTLEN_MAX  ? OSSL_PKEY_RSA_PSS_SALT_LEN_MAX
                    : m_salt_length == RSA_PSS_SALTLEN_AUTO ? OSSL_PKEY_RSA_PSS_SALT_LEN_AUTO
                                                            : std::to_string(m_salt_length);
                set(::OSSL_PARAM_set_utf8_string(p, text.c_str()), "saltlen");
            }
        }
        if (OSSL_PARAM* p = ::OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_MGF1_DIGEST); p != nullptr) {
            const std::optional<DigestAlgorithm> mgf1 = m_mgf1_digest ? m_mgf1_digest : m_digest;
            if (mgf1) {
                set(::OSSL_PARAM_set_utf8_string(p, std::string{crypto::spec(*mgf1).openssl_name}.c_str()),
                    "mgf1-digest");
            }
        }
    }

private:
    void reset_parameters() {
        m_digest.reset();
        m_digest_properties.clear();
        m_padding = m_type == KeyType::Ec ? Padding::Ecdsa : Padding::Pkcs1v15;
        m_salt_length = RSA_PSS_SALTLEN_AUTO;  // OpenSSL's default: the maximum when signing
        m_mgf1_digest.reset();
        m_mgf1_properties.clear();
    }

    static std::string utf8(const OSSL_PARAM* p, const char* what) {
        const char* value = nullptr;
        if (::OSSL_PARAM_get_utf8_string_ptr(p, &value) != 1 || value == nullptr) {
            fail(PROV_R_INVALID_DATA, std::string{what} + " must be a UTF-8 string");
        }
        return value;
    }

    static void set(int rc, const char* what) {
        if (rc != 1) {
            fail(PROV_R_INVALID_DATA, std::string{"cannot return "} + what);
        }
    }

    [[nodiscard]] ossl::Md fetch(const char* name, const char* properties) const {
        const char* props = properties != nullptr && *properties != '\0' ? properties
                            : m_propq.empty()                            ? nullptr
                                                                         : m_propq.c_str();
        EVP_MD* md = ::EVP_MD_fetch(m_provctx->libctx(), name, props);
        if (md == nullptr) {
            fail(PROV_R_INVALID_DIGEST, std::string{"digest "} + name + " is not available");
        }
        return ossl::Md{md};
    }

    void set_digest(const char* name, const char* properties) {
        ossl::Md md = fetch(name, properties);
        m_digest = digest_of(md.get());
        m_md = std::move(md);
    }

    [[nodiscard]] std::string default_digest_name() const {
        return std::string{crypto::spec(default_algorithm(m_signer->public_key()).digest).openssl_name};
    }

    static Padding parse_padding(const OSSL_PARAM* p) {
        int mode = 0;
        if (p->data_type == OSSL_PARAM_INTEGER || p->data_type == OSSL_PARAM_UNSIGNED_INTEGER) {
            if (::OSSL_PARAM_get_int(p, &mode) != 1) {
                fail(PROV_R_INVALID_PADDING_MODE, "pad-mode is not an int");
            }
        } else {
            const std::string name = utf8(p, "pad-mode");
            mode = name == OSSL_PKEY_RSA_PAD_MODE_PKCSV15 ? RSA_PKCS1_PADDING
                   : name == OSSL_PKEY_RSA_PAD_MODE_PSS   ? RSA_PKCS1_PSS_PADDING
                                                          : -1;
        }
        switch (mode) {
            case RSA_PKCS1_PADDING:
                return Padding::Pkcs1v15;
            case RSA_PKCS1_PSS_PADDING:
                return Padding::Pss;
            default:
                fail(PROV_R_ILLEGAL_OR_UNSUPPORTED_PADDING_MODE,
                     "only PKCS#1 v1.5 and PSS padding can sign through a Signer");
        }
    }

    static int parse_salt_length(const OSSL_PARAM* p) {
        int salt = 0;
        if (p->data_type == OSSL_PARAM_INTEGER || p->data_type == OSSL_PARAM_UNSIGNED_INTEGER) {
            if (::OSSL_PARAM_get_int(p, &salt) != 1) {
                fail(PROV_R_INVALID_SALT_LENGTH, "saltlen is not an int");
            }
        } else {
            const std::string text = utf8(p, "saltlen");
            if (text == OSSL_PKEY_RSA_PSS_SALT_LEN_DIGEST) {
                salt = RSA_PSS_SALTLEN_DIGEST;
            } else if (text == OSSL_PKEY_RSA_PSS_SALT_LEN_MAX) {
                salt = RSA_PSS_SALTLEN_MAX;
            } else if (text == OSSL_PKEY_RSA_PSS_SALT_LEN_AUTO) {
                salt = RSA_PSS_SALTLEN_AUTO;
            } else {
                const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), salt);
                if (ec != std::errc{} || end != text.data() + text.size()) {
                    fail(PROV_R_INVALID_SALT_LENGTH, "saltlen \"" + text + "\" is not a number");
                }
            }
        }
        if (salt < RSA_PSS_SALTLEN_MAX) {
            fail(PROV_R_INVALID_SALT_LENGTH, "saltlen " + std::to_string(salt) + " is out of range");
        }
        return salt;
    }

    /// The PSS salt length in bytes: RFC 8017 §9.1.1, emLen = ceil((modBits - 1) / 8) and
    /// "If emLen < hLen + sLen + 2, output 'encoding error'", so the largest salt is emLen - hLen - 2.
    [[nodiscard]] std::size_t salt_bytes(DigestAlgorithm digest) const {
        const std::size_t hash_length = crypto::digest_length(digest);
        const int bits = ::EVP_PKEY_get_bits(m_public_key.get());
        const std::size_t em_length = (static_cast<std::size_t>(std::max(bits, 1)) - 1 + 7) / 8;
        const std::size_t max_salt = em_length >= hash_length + 2 ? em_length - hash_length - 2 : 0;
        if (m_salt_length == RSA_PSS_SALTLEN_DIGEST) {
            return hash_length;
        }
        if (m_salt_length == RSA_PSS_SALTLEN_MAX || m_salt_length == RSA_PSS_SALTLEN_AUTO) {
            return max_salt;
        }
        const auto salt = static_cast<std::size_t>(m_salt_length);
        if (salt > max_salt) {
            fail(PROV_R_INVALID_SALT_LENGTH, "salt of " + std::to_string(salt) + " bytes does not fit a " +
                                                 std::to_string(bits) + "-bit key");
        }
        return salt;
    }

    /// The scheme the current parameters describe, over `digest`.
    [[nodiscard]] SignatureAlgorithm algorithm(DigestAlgorithm digest) const {
        switch (m_padding) {
            case Padding::Ecdsa:
                return SignatureAlgorithm::ecdsa(digest);
            case Padding::Pkcs1v15:
                return SignatureAlgorithm::rsa_pkcs1(digest);
            case Padding::Pss:
                return SignatureAlgorithm::rsa_pss(
                    crypto::PssParams{digest, m_mgf1_digest.value_or(digest), salt_bytes(digest)});
        }
        fail(ERR_R_INTERNAL_ERROR, "unknown padding");
    }

    [[nodiscard]] std::size_t max_signature_size() const {
        const int size = ::EVP_PKEY_get_size(m_public_key.get());
        if (size <= 0) {
            fail(PROV_R_INVALID_KEY, "the key has no signature size");
        }
        return static_cast<std::size_t>(size);
    }

    void sign_digest(DigestAlgorithm digest_algorithm, ByteView digest, unsigned char* sig,
                     std::size_t* siglen, std::size_t sigsize) const {
        const Bytes signature = m_signer->sign(algorithm(digest_algorithm), digest);
        if (signature.size() > sigsize) {
            fail(PROV_R_OUTPUT_BUFFER_TOO_SMALL, "the signature is " + std::to_string(signature.size()) +
                                                     " bytes, the buffer " + std::to_string(sigsize));
        }
        std::copy(signature.begin(), signature.end(), sig);
        *siglen = signature.size();
    }

    ProviderContext* m_provctx;
    KeyType m_type;
    std::string m_propq;
    std::shared_ptr<Signer> m_signer;
    ossl::PKey m_public_key;
    std::optional<DigestAlgorithm> m_digest;
    std::string m_digest_properties;
    ossl::Md m_md;
    ossl::MdCtx m_md_ctx;  ///< set between digest_sign_init and digest_sign_final
    bool m_digest_locked = false;
    Padding m_padding = Padding::Pkcs1v15;
    int m_salt_length = RSA_PSS_SALTLEN_AUTO;      ///< bytes, or RSA_PSS_SALTLEN_{DIGEST,MAX,AUTO}
    std::optional<DigestAlgorithm> m_mgf1_digest;  ///< empty: the signature digest
    std::string m_mgf1_properties;
};

SignatureContext* context(void* ctx) {
    return static_cast<SignatureContext*>(ctx);
}

template <KeyType Type>
void* new_context(void* provctx, const char* propq) {
    return guarded("signature_newctx", [&]() -> void* {
        return std::make_unique<SignatureContext>(static_cast<ProviderContext*>(provctx), Type, propq)
            .release();
    });
}

void free_context(void* ctx) {
    delete context(ctx);
}

void* dup_context(void* ctx) {
    return guarded("signature_dupctx", [&]() -> void* { return context(ctx)->duplicate().release(); });
}

int sign_init(void* ctx, void* provkey, const OSSL_PARAM params[]) {
    return guarded("sign_init", [&] {
        context(ctx)->init(provkey, params);
        return 1;
    });
}

int sign(void* ctx, unsigned char* sig, std::size_t* siglen, std::size_t sigsize, const unsigned char* tbs,
         std::size_t tbslen) {
    return guarded("sign", [&] {
        context(ctx)->sign(sig, siglen, sigsize, tbs, tbslen);
        return 1;
    });
}

int digest_sign_init(void* ctx, const char* mdname, void* provkey, const OSSL_PARAM params[]) {
    return guarded("digest_sign_init", [&] {
        context(ctx)->digest_sign_init(mdname, provkey, params);
        return 1;
    });
}

int digest_sign_update(void* ctx, const unsigned char* data, std::size_t datalen) {
    return guarded("digest_sign_update", [&] {
        context(ctx)->digest_sign_update(data, datalen);
        return 1;
    });
}

int digest_sign_final(void* ctx, unsigned char* sig, std::size_t* siglen, std::size_t sigsize) {
    return guarded("digest_sign_final", [&] {
        context(ctx)->digest_sign_final(sig, siglen, sigsize);
        return 1;
    });
}

int set_ctx_params(void* ctx, const OSSL_PARAM params[]) {
    return guarded("signature_set_ctx_params", [&] {
        context(ctx)->set_params(params);
        return 1;
    });
}

int get_ctx_params(void* ctx, OSSL_PARAM params[]) {
    return guarded("signature_get_ctx_params", [&] {
        context(ctx)->get_params(params);
        return 1;
    });
}

template <KeyType Type>
const OSSL_PARAM* settable_ctx_params(void* /*ctx*/, void* /*provctx*/) {
    static constexpr OSSL_PARAM kEcdsa[] = {
        describe(OSSL_SIGNATURE_PARAM_DIGEST, OSSL_PARAM_UTF8_STRING),
        describe(OSSL_SIGNATURE_PARAM_PROPERTIES, OSSL_PARAM_UTF8_STRING),
        kParamEnd,
    };
    static constexpr OSSL_PARAM kRsa[] = {
        describe(OSSL_SIGNATURE_PARAM_DIGEST, OSSL_PARAM_UTF8_STRING),
        describe(OSSL_SIGNATURE_PARAM_PROPERTIES, OSSL_PARAM_UTF8_STRING),
        describe(OSSL_SIGNATURE_PARAM_PAD_MODE, OSSL_PARAM_UTF8_STRING),
        describe(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, OSSL_PARAM_UTF8_STRING),
        describe(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, OSSL_PARAM_UTF8_STRING),
        describe(OSSL_SIGNATURE_PARAM_MGF1_PROPERTIES, OSSL_PARAM_UTF8_STRING),
        kParamEnd,
    };
    return Type == KeyType::Ec ? kEcdsa : kRsa;
}

template <KeyType Type>
const OSSL_PARAM* gettable_ctx_params(void* /*ctx*/, void* /*provctx*/) {
    static constexpr OSSL_PARAM kEcdsa[] = {
        describe(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, OSSL_PARAM_OCTET_STRING),
        describe(OSSL_SIGNATURE_PARAM_DIGEST, OSSL_PARAM_UTF8_STRING),
        kParamEnd,
    };
    static constexpr OSSL_PARAM kRsa[] = {
        describe(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, OSSL_PARAM_OCTET_STRING),
        describe(OSSL_SIGNATURE_PARAM_DIGEST, OSSL_PARAM_UTF8_STRING),
        describe(OSSL_SIGNATURE_PARAM_PAD_MODE, OSSL_PARAM_UTF8_STRING),
        describe(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, OSSL_PARAM_UTF8_STRING),
        describe(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, OSSL_PARAM_UTF8_STRING),
        kParamEnd,
    };
    return Type == KeyType::Ec ? kEcdsa : kRsa;
}

template <KeyType Type>
const OSSL_DISPATCH* functions() {
    static const OSSL_DISPATCH kFunctions[] = {
        dispatch<OSSL_FUNC_signature_newctx_fn>(OSSL_FUNC_SIGNATURE_NEWCTX, &new_context<Type>),
        dispatch<OSSL_FUNC_signature_freectx_fn>(OSSL_FUNC_SIGNATURE_FREECTX, &free_context),
        dispatch<OSSL_FUNC_signature_dupctx_fn>(OSSL_FUNC_SIGNATURE_DUPCTX, &dup_context),
        dispatch<OSSL_FUNC_signature_sign_init_fn>(OSSL_FUNC_SIGNATURE_SIGN_INIT, &sign_init),
        dispatch<OSSL_FUNC_signature_sign_fn>(OSSL_FUNC_SIGNATURE_SIGN, &sign),
        dispatch<OSSL_FUNC_signature_digest_sign_init_fn>(OSSL_FUNC_SIGNATURE_DIGEST_SIGN_INIT,
                                                          &digest_sign_init),
        dispatch<OSSL_FUNC_signature_digest_sign_update_fn>(OSSL_FUNC_SIGNATURE_DIGEST_SIGN_UPDATE,
                                                            &digest_sign_update),
        dispatch<OSSL_FUNC_signature_digest_sign_final_fn>(OSSL_FUNC_SIGNATURE_DIGEST_SIGN_FINAL,
                                                           &digest_sign_final),
        dispatch<OSSL_FUNC_signature_set_ctx_params_fn>(OSSL_FUNC_SIGNATURE_SET_CTX_PARAMS, &set_ctx_params),
        dispatch<OSSL_FUNC_signature_settable_ctx_params_fn>(OSSL_FUNC_SIGNATURE_SETTABLE_CTX_PARAMS,
                                                             &settable_ctx_params<Type>),
        dispatch<OSSL_FUNC_signature_get_ctx_params_fn>(OSSL_FUNC_SIGNATURE_GET_CTX_PARAMS, &get_ctx_params),
        dispatch<OSSL_FUNC_signature_gettable_ctx_params_fn>(OSSL_FUNC_SIGNATURE_GETTABLE_CTX_PARAMS,
                                                             &gettable_ctx_params<Type>),
        kDispatchEnd,
    };
    return kFunctions;
}

}  // namespace

const OSSL_DISPATCH* signature_functions(crypto::KeyType type) {
    return type == KeyType::Ec ? functions<KeyType::Ec>() : functions<KeyType::Rsa>();
}

}  // namespace inkan::sign::provider::detail
