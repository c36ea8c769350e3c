#pragma once

// A loaded PKCS#11 module: dlopen + C_GetFunctionList + C_Initialize(CKF_OS_LOCKING_OK), shared by
// every Token on the same library within the process (Cryptoki is initialised once per
// application), with a re-initialisation that never races a running call.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>

#include <inkan/core/secret.h>

#include "p11.h"

namespace inkan::hsm {

class Module {
public:
    /// The process's Module for this library (by canonical path), loading and initialising it if
    /// nobody holds it. Errc::HsmUnavailable if the library cannot be loaded or initialised.
    static std::shared_ptr<Module> open(const std::filesystem::path& library);

    ~Module();  // C_Finalize (only if this object initialised the module), dlclose; never throws
    Module(const Module&) = delete;
    Module& operator=(const Module&) = delete;

    [[nodiscard]] const CK_FUNCTION_LIST& fn() const noexcept { return *m_fn; }
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return m_path; }

    /// Every PKCS#11 call is made while holding this (shared) lock, so reinitialize() can wait
    /// until no call is running. Never take it twice on one thread (a pending re-initialisation
    /// blocks new readers, so a nested acquisition can deadlock).
    [[nodiscard]] std::shared_lock<std::shared_mutex> shared() const;

    /// Bumped by every re-initialisation: session and object handles of an older generation are dead.
    [[nodiscard]] std::uint64_t generation() const noexcept {
        return m_generation.load(std::memory_order_acquire);
    }

    /// C_Finalize + C_Initialize under the exclusive lock, unless somebody already did it since
    /// `observed_generation` was read (then nothing happens). Returns true if this call did it.
    /// Must not be called while holding shared().
    bool reinitialize(std::uint64_t observed_generation);

    /// Runs f(fn()) under the exclusive lock, so no other PKCS#11 call runs meanwhile. For tests that
    /// act behind the pools' backs (C_CloseAllSessions, C_Finalize) without racing a running call:
    /// SoftHSM frees a session in C_CloseAllSessions even while another thread is inside a call on it.
    template <class Fn>
    auto exclusive(Fn&& f) {
        std::lock_guard gate{m_gate};
        std::unique_lock lock{m_rw};
        return f(*m_fn);
    }

    /// Login bookkeeping. PKCS#11 login is per application and token, so a second Token on an
    /// already logged-in token would be let in with any PIN. The module remembers the PIN that
    /// logged in per token label and Token compares against it.
    void remember_login(const std::string& token_label, const Secret& pin);
    /// True if `pin` equals the remembered PIN, or nothing is remembered for this token.
    [[nodiscard]] bool login_matches(const std::string& token_label, const Secret& pin) const;

private:
    struct Key {};  // only open() constructs
public:
    Module(Key, std::filesystem::path path);

private:
    void initialize();  // C_Initialize; throws

    std::filesystem::path m_path;
    void* m_lib = nullptr;
    CK_FUNCTION_LIST* m_fn = nullptr;
    bool m_initialized_by_us = false;

    mutable std::mutex m_gate;  // held by a writer while it waits for, and holds, the exclusive lock
    mutable std::shared_mutex m_rw;
    std::atomic<std::uint64_t> m_generation{1};

    mutable std::mutex m_login_mutex;
    std::map<std::string, Secret> m_logins;
};

/// "Label  " (32 bytes, space padded, as PKCS#11 stores it) -> "Label".
std::string trim_padded(const unsigned char* text, std::size_t size);

}  // namespace inkan::hsm
