#pragma once

// Internal to the inkan-signer provider: the provider context, the key object behind an EVP_PKEY,
// dispatch-table and error helpers shared by keymgmt.cpp, signature.cpp and provider.cpp.

#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <source_location>
#include <string>
#include <string_view>
#include <unordered_map>

#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/err.h>
#include <openssl/proverr.h>

#include <inkan/core/error.h>
#include <inkan/crypto/ossl.h>
#include <inkan/sign/signer.h>

namespace inkan::sign::provider::detail {

/// Every algorithm of ours carries this property: make_evp_pkey() fetches its key management with
/// it, and the default provider's implementations in the same library context never match it.
inline constexpr const char* kProperties = "provider=inkan-signer";

/// The import parameter that hands a Signer to the key management (see ProviderContext::deposit).
inline constexpr const char* kParamSignerTicket = "inkan-signer-ticket";

/// The names OpenSSL's default provider gives these algorithms (PROV_NAMES_* in its sources). Ours
/// must be the same alias sets: libssl finds a key's certificate slot with EVP_PKEY_is_a(key,
/// "rsaEncryption" / "id-ecPublicKey"), EVP_PKEY_CTX_set_rsa_* find their translation through the
/// legacy type these names map to, and a name registered with a different alias set than the
/// default provider's would conflict in the library context's name map.
inline constexpr const char* kNamesEc = "EC:id-ecPublicKey:1.2.840.10045.2.1";
inline constexpr const char* kNamesRsa = "RSA:rsaEncryption:1.2.840.113549.1.1.1";
inline constexpr const char* kNamesEcdsa = "ECDSA";

/// The provider context (provctx): created by the provider's init function, destroyed by its
/// teardown. Its library context never changes after init; the only mutable state is the hand-over
/// table below, behind a mutex.
class ProviderContext {
public:
    explicit ProviderContext(OSSL_LIB_CTX* libctx) noexcept : m_libctx{libctx} {}

    [[nodiscard]] OSSL_LIB_CTX* libctx() const noexcept { return m_libctx; }

    /// EVP_PKEY_fromdata() can only carry OSSL_PARAMs to the key management's import, not a C++
    /// object. make_evp_pkey() therefore deposits the Signer here and passes the returned ticket;
    /// the import withdraws it. A ticket is good for one import; a forged or stale one finds nothing.
    std::uint64_t deposit(std::shared_ptr<Signer> signer);
    /// The signer deposited under `ticket`, removed from the table; null if there is none.
    std::shared_ptr<Signer> withdraw(std::uint64_t ticket);

private:
    OSSL_LIB_CTX* m_libctx;
    std::mutex m_mutex;
    std::uint64_t m_next_ticket = 1;
    std::unordered_map<std::uint64_t, std::shared_ptr<Signer>> m_pending;
};

/// The provider-side key object (OpenSSL's "keydata") behind one EVP_PKEY of ours. Either a signing
/// key (m_signer set, made by make_evp_pkey) or a public key OpenSSL imported to compare with one
/// (EVP_PKEY_eq exports the other key into our key management). Immutable once imported: one
/// EVP_PKEY is shared by every TLS connection of a server, on many threads.
struct KeyData {
    ProviderContext* provctx = nullptr;
    crypto::KeyType type = crypto::KeyType::Ec;
    std::shared_ptr<Signer> signer;  ///< the private key's operations; null for a public key
    /// The public key (or, for EC domain parameters alone, the group) as an EVP_PKEY of OpenSSL's
    /// default provider in the default library context: parameters, export and comparison are
    /// delegated to it, so they behave exactly like OpenSSL's own keys.
    ossl::PKey public_key;
    bool has_public = false;
};

/// OpenSSL's name for the key type ("EC", "RSA").
inline const char* key_type_name(crypto::KeyType type) noexcept {
    return type == crypto::KeyType::Ec ? "EC" : "RSA";
}

/// A new reference to `key`.
inline ossl::PKey up_ref(EVP_PKEY* key) {
    ossl::check(::EVP_PKEY_up_ref(key), "EVP_PKEY_up_ref");
    return ossl::PKey{key};
}

/// One OSSL_DISPATCH entry. `Fn` is the OSSL_FUNC_*_fn type named explicitly at the call site, so
/// the compiler checks the implementation's signature before the pointer is erased to void (*)()
/// (the one function pointer type every other converts to without -Wcast-function-type).
template <class Fn>
OSSL_DISPATCH dispatch(int function_id, Fn* fn) noexcept {
    return OSSL_DISPATCH{function_id, reinterpret_cast<void (*)()>(fn)};
}
inline constexpr OSSL_DISPATCH kDispatchEnd{0, nullptr};

/// A parameter descriptor for the *_gettable/settable lists (key and type are all OpenSSL reads).
constexpr OSSL_PARAM describe(const char* key, unsigned int data_type) noexcept {
    return OSSL_PARAM{key, data_type, nullptr, 0, 0};
}
inline constexpr OSSL_PARAM kParamEnd{nullptr, 0, nullptr, 0, 0};

/// A failure inside a callback, with the provider reason code it is reported under.
class Failure : public std::exception {
public:
    Failure(int reason, std::string detail) : m_reason{reason}, m_detail{std::move(detail)} {}
    [[nodiscard]] int reason() const noexcept { return m_reason; }
    [[nodiscard]] const char* what() const noexcept override { return m_detail.c_str(); }

private:
    int m_reason;
    std::string m_detail;
};

[[noreturn]] inline void fail(int reason, std::string detail) {
    throw Failure{reason, std::move(detail)};
}

/// Puts an error on the calling thread's OpenSSL error queue: what ERR_raise_data() expands to, with
/// the caller's location instead of this helper's. The library is ERR_LIB_PROV (reason codes from
/// <openssl/proverr.h>); the text reads "inkan-signer: <callback>: [<errc>: ]<detail>" so logs show
/// whose error it is. Allocates nothing (it runs in catch handlers of noexcept functions).
void raise_error(int reason, const char* callback, std::string_view errc, std::string_view detail,
                 std::source_location where = std::source_location::current()) noexcept;

/// Runs one provider callback body. C code called us, so nothing may escape: a Failure, an
/// inkan::Error (e.g. from the Signer) or anything else becomes an OpenSSL error on the queue and
/// the callback's failure value (0 or nullptr).
template <class Body>
auto guarded(const char* callback, Body&& body,
             std::source_location where = std::source_location::current()) noexcept -> decltype(body()) {
    try {
        return body();
    } catch (const Failure& f) {
        raise_error(f.reason(), callback, {}, f.what(), where);
    } catch (const Error& e) {
        const int reason =
            e.code() == Errc::UnsupportedAlgorithm ? PROV_R_NOT_SUPPORTED : PROV_R_FAILED_TO_SIGN;
        raise_error(reason, callback, errc_name(e.code()), e.what(), where);
    } catch (const std::exception& e) {
        raise_error(ERR_R_INTERNAL_ERROR, callback, {}, e.what(), where);
    } catch (...) {
        raise_error(ERR_R_INTERNAL_ERROR, callback, {}, "unknown exception", where);
    }
    return decltype(body()){};
}

/// The dispatch tables of the key management (keymgmt.cpp) and signature (signature.cpp)
/// implementations for one key type. Static storage; valid for the life of the process.
const OSSL_DISPATCH* keymgmt_functions(crypto::KeyType type);
const OSSL_DISPATCH* signature_functions(crypto::KeyType type);

/// The provider's init function, for OSSL_PROVIDER_add_builtin (provider.cpp).
int provider_init(const OSSL_CORE_HANDLE* handle, const OSSL_DISPATCH* in, const OSSL_DISPATCH** out,
                  void** provctx);

}  // namespace inkan::sign::provider::detail
