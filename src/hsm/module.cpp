#include "module.h"

#include <dlfcn.h>
#include <condition_variable>
#include <cstring>
#include <utility>

#include <inkan/core/error.h>

#include "ckr.h"

namespace inkan::hsm {

namespace fs = std::filesystem;

namespace {

// The registry: one Module per canonical library path. A Module is destroyed (C_Finalize, dlclose)
// outside the registry mutex; `live` counts Modules not yet fully destroyed, so open() never
// initialises a library while an expiring Module of the same path is still finalising it.
struct Registry {
    struct Entry {
        std::weak_ptr<Module> module;
        int live = 0;
    };
    std::mutex mutex;
    std::condition_variable destroyed;
    std::map<std::string, Entry> entries;
};

Registry& registry() {
    static Registry* r = new Registry;  // never destroyed: Modules may outlive static destruction
    return *r;
}

std::string canonical_key(const fs::path& library) {
    std::error_code ec;
    fs::path p = fs::canonical(library, ec);
    if (ec) {
        throw Error{Errc::HsmUnavailable, "PKCS#11 module " + library.string() + ": " + ec.message()};
    }
    return p.string();
}

}  // namespace

std::shared_ptr<Module> Module::open(const fs::path& library) {
    const std::string key = canonical_key(library);
    Registry& reg = registry();
    std::unique_lock lock{reg.mutex};
    Registry::Entry& entry = reg.entries[key];
    for (;;) {
        if (auto existing = entry.module.lock()) {
            return existing;
        }
        if (entry.live == 0) {
            break;
        }
        reg.destroyed.wait(lock);
    }
    auto* raw = new Module{Key{}, fs::path{key}};
    ++entry.live;
    std::shared_ptr<Module> module{raw, [key](Module* m) {
                                       delete m;
                                       Registry& r = registry();
                                       {
                                           std::lock_guard g{r.mutex};
                                           --r.entries[key].live;
                                       }
                                       r.destroyed.notify_all();
                                   }};
    // If initialisation throws, the deleter has run (shared_ptr's constructor deletes on failure
    // only for allocation; here the object exists, so initialise after wrapping).
    try {
        module->initialize();
    } catch (...) {
        lock.unlock();
        module.reset();
        throw;
    }
    entry.module = module;
    return module;
}

Module::Module(Key, fs::path path) : m_path{std::move(path)} {}

void Module::initialize() {
    m_lib = ::dlopen(m_path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (m_lib == nullptr) {
        const char* err = ::dlerror();
        throw Error{Errc::HsmUnavailable,
                    "dlopen " + m_path.string() + ": " + (err != nullptr ? err : "unknown error")};
    }
    void* sym = ::dlsym(m_lib, "C_GetFunctionList");
    if (sym == nullptr) {
        throw Error{Errc::HsmUnavailable, m_path.string() + " has no C_GetFunctionList"};
    }
    CK_C_GetFunctionList get_function_list = nullptr;
    static_assert(sizeof get_function_list == sizeof sym);
    std::memcpy(&get_function_list, &sym, sizeof sym);  // object pointer -> function pointer (POSIX)
    CK_RV rv = get_function_list(&m_fn);
    if (rv != CKR_OK || m_fn == nullptr) {
        throw_ckr(rv == CKR_OK ? CKR_GENERAL_ERROR : rv, "C_GetFunctionList", Errc::HsmUnavailable);
    }
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    rv = m_fn->C_Initialize(&args);
    if (rv == CKR_OK) {
        m_initialized_by_us = true;
    } else if (rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        throw_ckr(rv, "C_Initialize " + m_path.string(), Errc::HsmUnavailable);
    }
}

Module::~Module() {
    if (m_fn != nullptr && m_initialized_by_us) {
        (void)m_fn->C_Finalize(nullptr);
    }
    if (m_lib != nullptr) {
        ::dlclose(m_lib);
    }
}

std::shared_lock<std::shared_mutex> Module::shared() const {
    std::lock_guard gate{m_gate};
    return std::shared_lock{m_rw};
}

bool Module::reinitialize(std::uint64_t observed_generation) {
    std::lock_guard gate{m_gate};
    std::unique_lock exclusive{m_rw};
    if (m_generation.load(std::memory_order_acquire) != observed_generation) {
        return false;  // somebody else re-initialised since
    }
    (void)m_fn->C_Finalize(nullptr);  // CKR_CRYPTOKI_NOT_INITIALIZED if it was finalised behind our back
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    const CK_RV rv = m_fn->C_Initialize(&args);
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        throw_ckr(rv, "C_Initialize (re-initialisation) " + m_path.string(), Errc::HsmUnavailable);
    }
    m_initialized_by_us = m_initialized_by_us || rv == CKR_OK;
    {
        // Every token was logged out by C_Finalize.
        std::lock_guard g{m_login_mutex};
        m_logins.clear();
    }
    m_generation.fetch_add(1, std::memory_order_acq_rel);
    return true;
}

void Module::remember_login(const std::string& token_label, const Secret& pin) {
    std::lock_guard g{m_login_mutex};
    m_logins.insert_or_assign(token_label, pin.clone());
}

bool Module::login_matches(const std::string& token_label, const Secret& pin) const {
    std::lock_guard g{m_login_mutex};
    const auto it = m_logins.find(token_label);
    return it == m_logins.end() || it->second.equals(pin.reveal());
}

std::string trim_padded(const unsigned char* text, std::size_t size) {
    std::string s{reinterpret_cast<const char*>(text), size};
    const auto end = s.find_last_not_of(" \0", std::string::npos, 2);
    s.erase(end == std::string::npos ? 0 : end + 1);
    return s;
}

}  // namespace inkan::hsm
