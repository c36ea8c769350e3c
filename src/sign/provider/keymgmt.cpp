// Key management (provider-keymgmt(7)) for keys held by a Signer.
//
// A key object is either a signing key (a Signer plus its public key) or a public key that OpenSSL
// imported from another provider to compare with one: EVP_PKEY_eq, X509_check_private_key and
// SSL_CTX_check_private_key cannot look inside our key, so OpenSSL first tries to export ours to the
// other key's provider (refused: that needs the private key) and then exports the other key into
// ours, where match() compares the public halves.
//
// Everything about the public key is delegated to an EVP_PKEY of OpenSSL's default provider in the
// default library context (KeyData::public_key): parameters, export and comparison then behave
// exactly like OpenSSL's own keys, and none of that parsing is written here.

#include <string>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "provider_internal.h"

namespace inkan::sign::provider::detail {

namespace {

using crypto::KeyType;

constexpr int kSelectKeypair = OSSL_KEYMGMT_SELECT_KEYPAIR;
constexpr int kSelectPublicAndParameters =
    OSSL_KEYMGMT_SELECT_PUBLIC_KEY | OSSL_KEYMGMT_SELECT_ALL_PARAMETERS;

/// The digest EVP_DigestSignInit uses when the caller names none: sign::default_algorithm's choice
/// (RSA: SHA-256; EC: matched to the curve).
std::string default_digest_name(const KeyData& key) {
    crypto::DigestAlgorithm digest = crypto::DigestAlgorithm::Sha256;
    if (key.type == KeyType::Ec) {
        const int bits = ::EVP_PKEY_get_bits(key.public_key.get());
        digest = bits > 384   ? crypto::DigestAlgorithm::Sha512
                 : bits > 256 ? crypto::DigestAlgorithm::Sha384
                              : crypto::DigestAlgorithm::Sha256;
    }
    return std::string{crypto::spec(digest).openssl_name};
}

template <KeyType Type>
void* key_new(void* provctx) {
    return guarded("keymgmt_new", [&]() -> void* {
        auto key = std::make_unique<KeyData>();
        key->provctx = static_cast<ProviderContext*>(provctx);
        key->type = Type;
        return key.release();
    });
}

void key_free(void* keydata) {
    delete static_cast<KeyData*>(keydata);
}

int key_has(const void* keydata, int selection) {
    const auto* key = static_cast<const KeyData*>(keydata);
    if (key == nullptr) {
        return 0;
    }
    bool ok = true;
    if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0) {
        ok = ok && key->signer != nullptr;
    }
    if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) != 0) {
        ok = ok && key->has_public;
    }
    if ((selection & OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS) != 0 && key->type == KeyType::Ec) {
        ok = ok && key->public_key != nullptr;  // the group
    }
    return ok ? 1 : 0;
}

int key_match(const void* keydata1, const void* keydata2, int selection) {
    return guarded("keymgmt_match", [&] {
        const auto* a = static_cast<const KeyData*>(keydata1);
        const auto* b = static_cast<const KeyData*>(keydata2);
        if (a == nullptr || b == nullptr || a->type != b->type) {
            return 0;
        }
        if ((selection & OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS) != 0 && a->type == KeyType::Ec) {
            if (a->public_key == nullptr || b->public_key == nullptr ||
                ::EVP_PKEY_parameters_eq(a->public_key.get(), b->public_key.get()) != 1) {
                return 0;
            }
        }
        if ((selection & kSelectKeypair) != 0) {
            if (a->has_public && b->has_public) {
                // Both default-provider keys: compares parameters and the public key.
                return ::EVP_PKEY_eq(a->public_key.get(), b->public_key.get()) == 1 ? 1 : 0;
            }
            // A private key alone is the same only if it is the same signer.
            if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0 && a->signer != nullptr) {
                return a->signer == b->signer ? 1 : 0;
            }
            return 0;
        }
        return 1;
    });
}

/// A public key (or EC domain parameters) from OSSL_PARAMs, through the default provider.
ossl::PKey public_key_from_params(KeyType type, int selection, const OSSL_PARAM params[]) {
    ossl::PKeyCtx ctx{ossl::not_null(::EVP_PKEY_CTX_new_from_name(nullptr, key_type_name(type), nullptr),
                                     "EVP_PKEY_CTX_new_from_name")};
    ossl::check(::EVP_PKEY_fromdata_init(ctx.get()), "EVP_PKEY_fromdata_init");
    EVP_PKEY* key = nullptr;
    // fromdata does not modify the parameters; its signature just predates const-correctness.
    if (::EVP_PKEY_fromdata(ctx.get(), &key, selection, const_cast<OSSL_PARAM*>(params)) != 1) {
        ::EVP_PKEY_free(key);
        fail(PROV_R_INVALID_KEY, std::string{"the "} + key_type_name(type) + " public key does not import");
    }
    return ossl::PKey{key};
}

template <KeyType Type>
int key_import(void* keydata, int selection, const OSSL_PARAM params[]) {
    return guarded("keymgmt_import", [&] {
        auto* key = static_cast<KeyData*>(keydata);
        if (key == nullptr) {
            fail(PROV_R_NO_KEY_SET, "no key object");
        }
        if (key->signer != nullptr) {
            fail(PROV_R_INVALID_KEY, "a signing key cannot be overwritten");
        }
        if (const OSSL_PARAM* p = ::OSSL_PARAM_locate_const(params, kParamSignerTicket); p != nullptr) {
            // make_evp_pkey(): the Signer was deposited in the provider context.
            if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) == 0) {
                fail(PROV_R_INVALID_KEY, "a signer ticket is a private key: import it as a key pair");
            }
            std::uint64_t ticket = 0;
            if (::OSSL_PARAM_get_uint64(p, &ticket) != 1) {
                fail(PROV_R_INVALID_KEY, "the signer ticket is not an integer");
            }
            std::shared_ptr<Signer> signer = key->provctx->withdraw(ticket);
            if (signer == nullptr) {
                fail(PROV_R_INVALID_KEY, "no signer was deposited under this ticket");
            }
            const crypto::PublicKey& public_key = signer->public_key();
            if (public_key.type() != Type) {
                fail(PROV_R_OPERATION_NOT_SUPPORTED_FOR_THIS_KEYTYPE,
                     std::string{"the signer's key is not "} + key_type_name(Type));
            }
            key->public_key = up_ref(public_key.native());
            key->has_public = true;
            key->signer = std::move(signer);
            return 1;
        }
        // Another provider's key, exported to us for a comparison. A private half, if the export
        // carries one, is ignored: this provider never holds private key material.
        if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) != 0) {
            key->public_key = public_key_from_params(Type, EVP_PKEY_PUBLIC_KEY, params);
            key->has_public = true;
            return 1;
        }
        if ((selection & OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS) != 0 && Type == KeyType::Ec) {
            key->public_key = public_key_from_params(Type, EVP_PKEY_KEY_PARAMETERS, params);
            return 1;
        }
        if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0) {
            fail(PROV_R_NOT_SUPPORTED, "private keys cannot be imported into this provider");
        }
        return 1;  // nothing this key type has was selected (e.g. RSA "domain parameters")
    });
}

int key_export(void* keydata, int selection, OSSL_CALLBACK* callback, void* cbarg) {
    return guarded("keymgmt_export", [&] {
        const auto* key = static_cast<const KeyData*>(keydata);
        if (key == nullptr || key->public_key == nullptr) {
            return 0;
        }
        if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0 && key->signer != nullptr) {
            // The private key stays in the Signer. No error is raised on purpose: OpenSSL asks for
            // this on every EVP_DigestSignInit (to see whether the default provider could do the
            // operation itself, before it falls back to ours), and a stale error on the queue would
            // make libssl's SSL_get_error() report SSL_ERROR_SSL for a healthy connection.
            return 0;
        }
        const int public_selection = selection & ~OSSL_KEYMGMT_SELECT_PRIVATE_KEY;
        if (public_selection == 0) {
            return 0;
        }
        OSSL_PARAM* params = nullptr;
        if (::EVP_PKEY_todata(key->public_key.get(), public_selection, &params) != 1) {
            return 0;
        }
        const int result = callback(params, cbarg);
        ::OSSL_PARAM_free(params);
        return result;
    });
}

template <KeyType Type>
const OSSL_PARAM* key_import_types(int /*selection*/) {
    static constexpr OSSL_PARAM kEc[] = {
        describe(OSSL_PKEY_PARAM_GROUP_NAME, OSSL_PARAM_UTF8_STRING),
        describe(OSSL_PKEY_PARAM_PUB_KEY, OSSL_PARAM_OCTET_STRING),
        describe(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, OSSL_PARAM_OCTET_STRING),
        describe(kParamSignerTicket, OSSL_PARAM_UNSIGNED_INTEGER),
        kParamEnd,
    };
    static constexpr OSSL_PARAM kRsa[] = {
        describe(OSSL_PKEY_PARAM_RSA_N, OSSL_PARAM_UNSIGNED_INTEGER),
        describe(OSSL_PKEY_PARAM_RSA_E, OSSL_PARAM_UNSIGNED_INTEGER),
        describe(kParamSignerTicket, OSSL_PARAM_UNSIGNED_INTEGER),
        kParamEnd,
    };
    return Type == KeyType::Ec ? kEc : kRsa;
}

template <KeyType Type>
const OSSL_PARAM* key_export_types(int /*selection*/) {
    static constexpr OSSL_PARAM kEc[] = {
        describe(OSSL_PKEY_PARAM_GROUP_NAME, OSSL_PARAM_UTF8_STRING),
        describe(OSSL_PKEY_PARAM_PUB_KEY, OSSL_PARAM_OCTET_STRING),
        kParamEnd,
    };
    static constexpr OSSL_PARAM kRsa[] = {
        describe(OSSL_PKEY_PARAM_RSA_N, OSSL_PARAM_UNSIGNED_INTEGER),
        describe(OSSL_PKEY_PARAM_RSA_E, OSSL_PARAM_UNSIGNED_INTEGER),
        kParamEnd,
    };
    return Type == KeyType::Ec ? kEc : kRsa;
}

int key_get_params(void* keydata, OSSL_PARAM params[]) {
    return guarded("keymgmt_get_params", [&] {
        const auto* key = static_cast<const KeyData*>(keydata);
        if (key == nullptr || key->public_key == nullptr) {
            return 0;
        }
        // Bits, security bits, max size, group name, public key, n and e: as the default provider
        // answers them for the same public key. It never holds a private half to report.
        if (::EVP_PKEY_get_params(key->public_key.get(), params) != 1) {
            return 0;
        }
        if (OSSL_PARAM* p = ::OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_DEFAULT_DIGEST); p != nullptr) {
            if (::OSSL_PARAM_set_utf8_string(p, default_digest_name(*key).c_str()) != 1) {
                return 0;
            }
        }
        return 1;
    });
}

template <KeyType Type>
const OSSL_PARAM* key_gettable_params(void* /*provctx*/) {
    static constexpr OSSL_PARAM kEc[] = {
        describe(OSSL_PKEY_PARAM_BITS, OSSL_PARAM_INTEGER),
        describe(OSSL_PKEY_PARAM_SECURITY_BITS, OSSL_PARAM_INTEGER),
        describe(OSSL_PKEY_PARAM_MAX_SIZE, OSSL_PARAM_INTEGER),
        describe(OSSL_PKEY_PARAM_DEFAULT_DIGEST, OSSL_PARAM_UTF8_STRING),
        describe(OSSL_PKEY_PARAM_GROUP_NAME, OSSL_PARAM_UTF8_STRING),
        describe(OSSL_PKEY_PARAM_PUB_KEY, OSSL_PARAM_OCTET_STRING),
        describe(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, OSSL_PARAM_OCTET_STRING),
        describe(OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, OSSL_PARAM_UTF8_STRING),
        describe(OSSL_PKEY_PARAM_EC_ENCODING, OSSL_PARAM_UTF8_STRING),
        kParamEnd,
    };
    static constexpr OSSL_PARAM kRsa[] = {
        describe(OSSL_PKEY_PARAM_BITS, OSSL_PARAM_INTEGER),
        describe(OSSL_PKEY_PARAM_SECURITY_BITS, OSSL_PARAM_INTEGER),
        describe(OSSL_PKEY_PARAM_MAX_SIZE, OSSL_PARAM_INTEGER),
        describe(OSSL_PKEY_PARAM_DEFAULT_DIGEST, OSSL_PARAM_UTF8_STRING),
        describe(OSSL_PKEY_PARAM_RSA_N, OSSL_PARAM_UNSIGNED_INTEGER),
        describe(OSSL_PKEY_PARAM_RSA_E, OSSL_PARAM_UNSIGNED_INTEGER),
        kParamEnd,
    };
    return Type == KeyType::Ec ? kEc : kRsa;
}

template <KeyType Type>
const char* key_query_operation_name(int operation_id) {
    // The key type is "EC" but its signature algorithm is "ECDSA"; RSA is "RSA" for both.
    if (operation_id == OSSL_OP_SIGNATURE) {
        return Type == KeyType::Ec ? "ECDSA" : "RSA";
    }
    return nullptr;
}

void* key_dup(const void* keydata_from, int selection) {
    return guarded("keymgmt_dup", [&]() -> void* {
        const auto* from = static_cast<const KeyData*>(keydata_from);
        if (from == nullptr) {
            return nullptr;
        }
        auto key = std::make_unique<KeyData>();
        key->provctx = from->provctx;
        key->type = from->type;
        if ((selection & kSelectPublicAndParameters) != 0 && from->public_key != nullptr) {
            key->public_key = up_ref(from->public_key.get());
            key->has_public = from->has_public && (selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) != 0;
        }
        if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0) {
            key->signer = from->signer;
        }
        return key.release();
    });
}

template <KeyType Type>
const OSSL_DISPATCH* functions() {
    static const OSSL_DISPATCH kFunctions[] = {
        dispatch<OSSL_FUNC_keymgmt_new_fn>(OSSL_FUNC_KEYMGMT_NEW, &key_new<Type>),
        dispatch<OSSL_FUNC_keymgmt_free_fn>(OSSL_FUNC_KEYMGMT_FREE, &key_free),
        dispatch<OSSL_FUNC_keymgmt_has_fn>(OSSL_FUNC_KEYMGMT_HAS, &key_has),
        dispatch<OSSL_FUNC_keymgmt_match_fn>(OSSL_FUNC_KEYMGMT_MATCH, &key_match),
        dispatch<OSSL_FUNC_keymgmt_import_fn>(OSSL_FUNC_KEYMGMT_IMPORT, &key_import<Type>),
        dispatch<OSSL_FUNC_keymgmt_import_types_fn>(OSSL_FUNC_KEYMGMT_IMPORT_TYPES, &key_import_types<Type>),
        dispatch<OSSL_FUNC_keymgmt_export_fn>(OSSL_FUNC_KEYMGMT_EXPORT, &key_export),
        dispatch<OSSL_FUNC_keymgmt_export_types_fn>(OSSL_FUNC_KEYMGMT_EXPORT_TYPES, &key_export_types<Type>),
        dispatch<OSSL_FUNC_keymgmt_get_params_fn>(OSSL_FUNC_KEYMGMT_GET_PARAMS, &key_get_params),
        dispatch<OSSL_FUNC_keymgmt_gettable_params_fn>(OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS,
                                                       &key_gettable_params<Type>),
        dispatch<OSSL_FUNC_keymgmt_query_operation_name_fn>(OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME,
                                                            &key_query_operation_name<Type>),
        dispatch<OSSL_FUNC_keymgmt_dup_fn>(OSSL_FUNC_KEYMGMT_DUP, &key_dup),
        kDispatchEnd,
    };
    return kFunctions;
}

}  // namespace

const OSSL_DISPATCH* keymgmt_functions(crypto::KeyType type) {
    return type == KeyType::Ec ? functions<KeyType::Ec>() : functions<KeyType::Rsa>();
}

}  // namespace inkan::sign::provider::detail
