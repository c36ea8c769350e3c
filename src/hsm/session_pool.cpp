#include "session_pool.h"

#include <algorithm>

#include <inkan/core/error.h>

namespace inkan::hsm {

std::vector<CK_SLOT_ID> slots_with_token(const Module& module) {
    const CK_FUNCTION_LIST& f = module.fn();
    // The count can grow between the two calls (SoftHSM adds a free slot after C_InitToken).
    for (int tries = 0;; ++tries) {
        CK_ULONG n = 0;
        check_ckr(f.C_GetSlotList(CK_TRUE, nullptr, &n), "C_GetSlotList");
        std::vector<CK_SLOT_ID> slots(n);
        const CK_RV rv = f.C_GetSlotList(CK_TRUE, slots.data(), &n);
        if (rv == CKR_BUFFER_TOO_SMALL && tries < 3) {
            continue;
        }
        check_ckr(rv, "C_GetSlotList");
        slots.resize(n);
        return slots;
    }
}

std::optional<CK_SLOT_ID> try_find_slot_by_label(const Module& module, std::string_view label) {
    for (const CK_SLOT_ID slot : slots_with_token(module)) {
        CK_TOKEN_INFO info{};
        if (module.fn().C_GetTokenInfo(slot, &info) != CKR_OK) {
            continue;  // removed meanwhile
        }
        if ((info.flags & CKF_TOKEN_INITIALIZED) != 0 &&
            trim_padded(info.label, sizeof info.label) == label) {
            return slot;
        }
    }
    return std::nullopt;
}

CK_SLOT_ID find_slot_by_label(const Module& module, std::string_view label) {
    if (const auto slot = try_find_slot_by_label(module, label)) {
        return *slot;
    }
    throw Error{Errc::HsmUnavailable,
                "no token labelled '" + std::string{label} + "' in " + module.path().string()};
}

SessionPool::SessionPool(std::shared_ptr<Module> module, std::string token_label, Secret pin,
                         std::size_t size, std::chrono::milliseconds lease_timeout)
    : m_module{std::move(module)},
      m_label{std::move(token_label)},
      m_pin{std::move(pin)},
      m_size{size},
      m_lease_timeout{lease_timeout} {
    require(m_size > 0, Errc::InvalidConfig, "PKCS#11 session pool size must be at least 1");
    require(m_lease_timeout.count() > 0, Errc::InvalidConfig,
            "PKCS#11 session lease timeout must be positive");
    std::uint64_t generation = 0;
    bool visible = false;
    {
        const auto shared = m_module->shared();
        generation = m_module->generation();
        visible = try_find_slot_by_label(*m_module, m_label).has_value();
    }
    if (!visible) {
        // SoftHSM scans its token directory only in C_Initialize: a token made by another process
        // (softhsm2-util, `inkan hsm init-token`) since this process loaded the module is invisible
        // until the module is re-initialised. Other pools on the module recover as from any re-init.
        m_module->reinitialize(generation);
    }
    std::lock_guard lock{m_mutex};
    m_seen_generation = m_module->generation();
    fill_locked(/*verify_pin=*/true);
}

SessionPool::~SessionPool() {
    try {
        std::lock_guard lock{m_mutex};  // pool mutex first, then the module lock (the one order)
        const auto shared = m_module->shared();
        const std::uint64_t generation = m_module->generation();
        for (const Session& s : m_idle) {
            if (s.generation == generation) {
                (void)m_module->fn().C_CloseSession(s.handle);
            }
        }
        m_idle.clear();
    } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor never throws
    }
}

CK_SLOT_ID SessionPool::slot() const {
    std::lock_guard g{m_slot_mutex};
    return m_slot;
}

CK_SLOT_ID SessionPool::current_slot(std::uint64_t generation, bool refresh) {
    std::lock_guard g{m_slot_mutex};
    if (refresh || m_slot_generation != generation) {
        m_slot = find_slot_by_label(*m_module, m_label);
        m_slot_generation = generation;
    }
    return m_slot;
}

void SessionPool::login(CK_SESSION_HANDLE h, bool verify_pin) {
    const CK_FUNCTION_LIST& f = m_module->fn();
    CK_SESSION_INFO info{};
    check_ckr(f.C_GetSessionInfo(h, &info), "C_GetSessionInfo");
    const auto already = [&] {
        if (verify_pin && !m_module->login_matches(m_label, m_pin)) {
            throw Error{Errc::InvalidAuthData,
                        "token '" + m_label + "' is already logged in in this process with a different PIN"};
        }
    };
    if (info.state == CKS_RW_USER_FUNCTIONS || info.state == CKS_RO_USER_FUNCTIONS) {
        already();
        return;
    }
    const std::string_view pin = m_pin.reveal();
    // PKCS#11 takes a non-const pointer for the PIN but does not write through it.
    auto* pin_ptr = reinterpret_cast<CK_UTF8CHAR*>(const_cast<char*>(pin.data()));
    const CK_RV rv = f.C_Login(h, CKU_USER, pin_ptr, pin.size());
    if (rv == CKR_USER_ALREADY_LOGGED_IN) {
        already();
        return;
    }
    check_ckr(rv, "C_Login (token '" + m_label + "')");
    m_module->remember_login(m_label, m_pin);
}

Session SessionPool::open_one(std::uint64_t generation, bool verify_pin) {
    const CK_FUNCTION_LIST& f = m_module->fn();
    CK_SLOT_ID slot = current_slot(generation, false);
    CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
    CK_RV rv = f.C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &h);
    if (rv == CKR_SLOT_ID_INVALID || rv == CKR_TOKEN_NOT_PRESENT) {
        slot = current_slot(generation, true);  // the token moved to another slot
        rv = f.C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &h);
    }
    check_ckr(rv, "C_OpenSession (token '" + m_label + "')");
    try {
        login(h, verify_pin);
    } catch (...) {
        (void)f.C_CloseSession(h);
        throw;
    }
    return Session{h, slot, m_epoch.load(std::memory_order_relaxed), generation};
}

void SessionPool::bump_epoch_locked() {
    m_epoch.fetch_add(1, std::memory_order_acq_rel);
    m_dead_in_use = m_in_use;
    m_idle.clear();
    m_live.clear();
    m_available.notify_all();
}

void SessionPool::fill_locked(bool verify_pin) {
    const auto shared = m_module->shared();
    const std::uint64_t generation = m_module->generation();
    if (generation != m_seen_generation) {
        // Re-initialised since lease() looked: one epoch never mixes generations, so the key
        // handles cached for an epoch always belong to its sessions' generation.
        m_seen_generation = generation;
        bump_epoch_locked();
    }
    while (m_live.size() < m_size) {
        Session s;
        try {
            s = open_one(generation, verify_pin);
        } catch (...) {
            if (m_live.empty()) {
                throw;
            }
            return;  // e.g. CKR_SESSION_COUNT: make do with fewer sessions
        }
        verify_pin = false;
        if (std::find(m_live.begin(), m_live.end(), s.handle) != m_live.end()) {
            // The module handed out a number we believed alive: every session we hold is dead.
            bump_epoch_locked();
            s.epoch = m_epoch.load(std::memory_order_relaxed);
        }
        m_live.push_back(s.handle);
        m_idle.push_back(s);
        m_available.notify_all();
    }
}

SessionPool::Lease SessionPool::lease() {
    const auto deadline = std::chrono::steady_clock::now() + m_lease_timeout;
    std::unique_lock lock{m_mutex};
    bool waited = false;
    bool expired = false;
    for (;;) {
        const std::uint64_t generation = m_module->generation();
        if (generation != m_seen_generation) {
            m_seen_generation = generation;  // re-initialised: every handle is dead
            bump_epoch_locked();
        }
        if (m_dead_in_use == 0) {
            if (m_idle.empty() && m_live.size() < m_size) {
                const std::size_t before = m_live.size();
                const std::uint64_t epoch = m_epoch.load(std::memory_order_relaxed);
                fill_locked(false);
                if (m_live.size() != before || m_epoch.load(std::memory_order_relaxed) != epoch) {
                    continue;  // re-check everything (the generation may have changed meanwhile)
                }
            }
            if (!m_idle.empty()) {
                Session s = m_idle.back();
                m_idle.pop_back();
                ++m_in_use;
                if (waited) {
                    ++m_waits;
                }
                return Lease{this, s};
            }
        }
        if (expired) {
            // A slow or hung HSM (or more signers than sessions): refuse rather than hold the
            // request and its worker thread indefinitely.
            ++m_lease_timeouts;
            throw Error{Errc::HsmUnavailable, "all " + std::to_string(m_size) + " sessions of token '" +
                                                  m_label + "' stayed busy for " +
                                                  std::to_string(m_lease_timeout.count()) + " ms"};
        }
        waited = true;
        // After the deadline the loop looks once more before giving up.
        expired = m_available.wait_until(lock, deadline) == std::cv_status::timeout;
    }
}

void SessionPool::give_back(const Session& s) noexcept {
    bool barrier_lifted = false;
    {
        std::lock_guard lock{m_mutex};
        --m_in_use;
        if (s.epoch == m_epoch.load(std::memory_order_relaxed)) {
            m_idle.push_back(s);
        } else {
            --m_dead_in_use;  // dead: forgotten, never closed (see invalidate())
            barrier_lifted = m_dead_in_use == 0;
        }
    }
    if (barrier_lifted) {
        m_available.notify_all();
    } else {
        m_available.notify_one();
    }
}

void SessionPool::invalidate(std::uint64_t epoch) {
    std::lock_guard lock{m_mutex};
    if (epoch == m_epoch.load(std::memory_order_relaxed)) {
        bump_epoch_locked();
    }
}

SessionPool::Recovery SessionPool::classify(CK_RV rv) noexcept {
    switch (rv) {
        case CKR_SESSION_HANDLE_INVALID:
        case CKR_SESSION_CLOSED:
            return Recovery::Session;
        case CKR_CRYPTOKI_NOT_INITIALIZED:
        case CKR_DEVICE_ERROR:
        case CKR_DEVICE_REMOVED:
            return Recovery::Module;
        case CKR_USER_NOT_LOGGED_IN:
            return Recovery::Login;
        case CKR_OBJECT_HANDLE_INVALID:
        case CKR_KEY_HANDLE_INVALID:
            return Recovery::StaleObject;
        default:
            return Recovery::None;
    }
}

void SessionPool::relogin(const Session& s) {
    const auto shared = m_module->shared();
    login(s.handle, false);
}

void SessionPool::recover(Recovery r, std::uint64_t generation, std::uint64_t epoch) {
    bool reinitialised = false;
    switch (r) {
        case Recovery::Session:
            invalidate(epoch);
            break;
        case Recovery::Module:
            // The next lease() sees the new generation and ends the epoch.
            reinitialised = m_module->reinitialize(generation);
            break;
        case Recovery::Stale:
            return;  // not a failure: the next lease() ends the epoch
        case Recovery::None:
        case Recovery::Login:
        case Recovery::StaleObject:
            break;
    }
    std::lock_guard lock{m_mutex};
    ++m_recoveries;
    if (reinitialised) {
        ++m_reinitialisations;
    }
}

PoolStats SessionPool::stats() const {
    std::lock_guard lock{m_mutex};
    PoolStats s;
    s.size = m_size;
    s.open = m_live.size() + m_dead_in_use;
    s.in_use = m_in_use;
    s.waits = m_waits;
    s.recoveries = m_recoveries;
    s.reinitialisations = m_reinitialisations;
    s.lease_timeouts = m_lease_timeouts;
    return s;
}

}  // namespace inkan::hsm
