#include <inkan/sign/provider.h>

#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include <inkan/version.h>

#include "provider_internal.h"

namespace inkan::sign::provider {

namespace detail {

std::uint64_t ProviderContext::deposit(std::shared_ptr<Signer> signer) {
    const std::lock_guard lock{m_mutex};
    const std::uint64_t ticket = m_next_ticket++;
    m_pending.emplace(ticket, std::move(signer));
    return ticket;
}

std::shared_ptr<Signer> ProviderContext::withdraw(std::uint64_t ticket) {
    const std::lock_guard lock{m_mutex};
    const auto it = m_pending.find(ticket);
    if (it == m_pending.end()) {
        return nullptr;
    }
    auto signer = std::move(it->second);
    m_pending.erase(it);
    return signer;
}

void raise_error(int reason, const char* callback, std::string_view errc, std::string_view detail,
                 std::source_location where) noexcept {
    ::ERR_new();
    ::ERR_set_debug(where.file_name(), static_cast<int>(where.line()), where.function_name());
    ::ERR_set_error(ERR_LIB_PROV, reason, "inkan-signer: %s: %.*s%s%.*s", callback,
                    static_cast<int>(errc.size()), errc.data(), errc.empty() ? "" : ": ",
                    static_cast<int>(detail.size()), detail.data());
}

namespace {

// --- The provider's own entry points (provider-base(7)) ---

void teardown(void* provctx) {
    delete static_cast<ProviderContext*>(provctx);
}

const OSSL_PARAM* gettable_params(void* /*provctx*/) {
    static constexpr OSSL_PARAM kGettable[] = {
        describe(OSSL_PROV_PARAM_NAME, OSSL_PARAM_UTF8_PTR),
        describe(OSSL_PROV_PARAM_VERSION, OSSL_PARAM_UTF8_PTR),
        describe(OSSL_PROV_PARAM_BUILDINFO, OSSL_PARAM_UTF8_PTR),
        describe(OSSL_PROV_PARAM_STATUS, OSSL_PARAM_INTEGER),
        kParamEnd,
    };
    return kGettable;
}

int get_params(void* /*provctx*/, OSSL_PARAM params[]) {
    return guarded("get_params", [&] {
        OSSL_PARAM* p = ::OSSL_PARAM_locate(params, OSSL_PROV_PARAM_NAME);
        if (p != nullptr && ::OSSL_PARAM_set_utf8_ptr(p, "inkan Signer provider") != 1) {
            return 0;
        }
        p = ::OSSL_PARAM_locate(params, OSSL_PROV_PARAM_VERSION);
        if (p != nullptr && ::OSSL_PARAM_set_utf8_ptr(p, kVersion) != 1) {
            return 0;
        }
        p = ::OSSL_PARAM_locate(params, OSSL_PROV_PARAM_BUILDINFO);
        if (p != nullptr && ::OSSL_PARAM_set_utf8_ptr(p, kVersion) != 1) {
            return 0;
        }
        p = ::OSSL_PARAM_locate(params, OSSL_PROV_PARAM_STATUS);
        if (p != nullptr && ::OSSL_PARAM_set_int(p, 1) != 1) {
            return 0;
        }
        return 1;
    });
}

const OSSL_ALGORITHM* query_operation(void* /*provctx*/, int operation_id, int* no_cache) {
    *no_cache = 0;
    // Function-local statics: the dispatch tables are built at run time (the pointer casts are not
    // constant expressions), and this runs only after OSSL_PROVIDER_load.
    static const OSSL_ALGORITHM kKeyManagement[] = {
        {kNamesEc, kProperties, keymgmt_functions(crypto::KeyType::Ec), "EC key held by an inkan Signer"},
        {kNamesRsa, kProperties, keymgmt_functions(crypto::KeyType::Rsa), "RSA key held by an inkan Signer"},
        {nullptr, nullptr, nullptr, nullptr},
    };
    static const OSSL_ALGORITHM kSignature[] = {
        {kNamesEcdsa, kProperties, signature_functions(crypto::KeyType::Ec), "ECDSA through an inkan Signer"},
        {kNamesRsa, kProperties, signature_functions(crypto::KeyType::Rsa),
         "RSA PKCS#1 v1.5 / PSS through an inkan Signer"},
        {nullptr, nullptr, nullptr, nullptr},
    };
    switch (operation_id) {
        case OSSL_OP_KEYMGMT:
            return kKeyManagement;
        case OSSL_OP_SIGNATURE:
            return kSignature;
        default:
            return nullptr;
    }
}

const OSSL_DISPATCH* provider_functions() {
    static const OSSL_DISPATCH kFunctions[] = {
        dispatch<OSSL_FUNC_provider_teardown_fn>(OSSL_FUNC_PROVIDER_TEARDOWN, &teardown),
        dispatch<OSSL_FUNC_provider_gettable_params_fn>(OSSL_FUNC_PROVIDER_GETTABLE_PARAMS, &gettable_params),
        dispatch<OSSL_FUNC_provider_get_params_fn>(OSSL_FUNC_PROVIDER_GET_PARAMS, &get_params),
        dispatch<OSSL_FUNC_provider_query_operation_fn>(OSSL_FUNC_PROVIDER_QUERY_OPERATION, &query_operation),
        kDispatchEnd,
    };
    return kFunctions;
}

}  // namespace

int provider_init(const OSSL_CORE_HANDLE* handle, const OSSL_DISPATCH* in, const OSSL_DISPATCH** out,
                  void** provctx) {
    return guarded("provider_init", [&] {
        OSSL_FUNC_core_get_libctx_fn* get_libctx = nullptr;
        for (; in != nullptr && in->function_id != 0; ++in) {
            if (in->function_id == OSSL_FUNC_CORE_GET_LIBCTX) {
                get_libctx = ::OSSL_FUNC_core_get_libctx(in);
            }
        }
        if (get_libctx == nullptr) {
            fail(ERR_R_INIT_FAIL, "the core offers no core_get_libctx");
        }
        // provider-base(7): for a built-in provider (OSSL_PROVIDER_add_builtin, linked against the
        // same libcrypto) the core context *is* the OSSL_LIB_CTX the provider was loaded into.
        auto* libctx = reinterpret_cast<OSSL_LIB_CTX*>(get_libctx(handle));
        auto context = std::make_unique<ProviderContext>(libctx);
        *out = provider_functions();
        *provctx = context.release();
        return 1;
    });
}

}  // namespace detail

namespace {

using detail::ProviderContext;

/// The process-wide registration: a library context with OpenSSL's default provider and ours.
class Registration {
public:
    static Registration& instance() {
        // Deliberately never destroyed: EVP_PKEYs made here may be freed during static destruction
        // or after OpenSSL's own atexit cleanup, and they need their provider until then. The
        // object stays reachable through this static, so leak checkers do not report it.
        static Registration* const registration = new Registration();
        return *registration;
    }

    [[nodiscard]] OSSL_LIB_CTX* libctx() const noexcept { return m_libctx; }
    [[nodiscard]] const OSSL_PROVIDER* provider() const noexcept { return m_signer; }
    [[nodiscard]] ProviderContext& context() const noexcept {
        return *static_cast<ProviderContext*>(::OSSL_PROVIDER_get0_provider_ctx(m_signer));
    }

private:
    Registration() {
        using LibCtx = ossl::Ptr<OSSL_LIB_CTX, ::OSSL_LIB_CTX_free>;
        LibCtx libctx{ossl::not_null(::OSSL_LIB_CTX_new(), "OSSL_LIB_CTX_new")};
        ossl::check(::OSSL_PROVIDER_add_builtin(libctx.get(), kProviderName.data(), &detail::provider_init),
                    "OSSL_PROVIDER_add_builtin(inkan-signer)");
        // Loading any provider explicitly turns off the implicit load of "default", which our
        // digests (and the public-key side of every key) need: load it first, explicitly.
        OSSL_PROVIDER* default_provider =
            ossl::not_null(::OSSL_PROVIDER_load(libctx.get(), "default"), "OSSL_PROVIDER_load(default)");
        OSSL_PROVIDER* signer = ::OSSL_PROVIDER_load(libctx.get(), kProviderName.data());
        if (signer == nullptr) {
            ::OSSL_PROVIDER_unload(default_provider);
            ossl::throw_last_error(Errc::CryptoFailure, "OSSL_PROVIDER_load(inkan-signer)");
        }
        m_libctx = libctx.release();
        m_default = default_provider;
        m_signer = signer;
    }

    OSSL_LIB_CTX* m_libctx = nullptr;
    OSSL_PROVIDER* m_default = nullptr;
    OSSL_PROVIDER* m_signer = nullptr;
};

/// Withdraws a deposited signer unless the import already did (e.g. EVP_PKEY_fromdata failed early).
class Ticket {
public:
    Ticket(ProviderContext& context, std::shared_ptr<Signer> signer)
        : m_context{context}, m_id{context.deposit(std::move(signer))} {}
    ~Ticket() { m_context.withdraw(m_id); }
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    [[nodiscard]] std::uint64_t id() const noexcept { return m_id; }

private:
    ProviderContext& m_context;
    std::uint64_t m_id;
};

}  // namespace

ossl::PKey make_evp_pkey(std::shared_ptr<Signer> signer) {
    require(signer != nullptr, Errc::InvalidRequest, "make_evp_pkey: no signer");
    const Registration& registration = Registration::instance();
    const char* type = detail::key_type_name(signer->public_key().type());

    ossl::PKeyCtx ctx{
        ossl::not_null(::EVP_PKEY_CTX_new_from_name(registration.libctx(), type, detail::kProperties),
                       "EVP_PKEY_CTX_new_from_name(inkan-signer)")};
    ossl::check(::EVP_PKEY_fromdata_init(ctx.get()), "EVP_PKEY_fromdata_init");

    const Ticket ticket{registration.context(), std::move(signer)};
    std::uint64_t id = ticket.id();
    OSSL_PARAM params[] = {
        ::OSSL_PARAM_construct_uint64(detail::kParamSignerTicket, &id),
        ::OSSL_PARAM_construct_end(),
    };
    EVP_PKEY* key = nullptr;
    if (::EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_KEYPAIR, params) != 1) {
        ::EVP_PKEY_free(key);
        ossl::throw_last_error(Errc::CryptoFailure, "EVP_PKEY_fromdata(inkan-signer)");
    }
    return ossl::PKey{key};
}

OSSL_LIB_CTX* library_context() {
    return Registration::instance().libctx();
}

bool is_signer_key(const EVP_PKEY* key) noexcept {
    if (key == nullptr) {
        return false;
    }
    try {
        return ::EVP_PKEY_get0_provider(key) == Registration::instance().provider();
    } catch (...) {
        return false;
    }
}

}  // namespace inkan::sign::provider
