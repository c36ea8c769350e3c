#pragma once

// A pool of read-write sessions on one token, with the token-level login, one thread per session
// at a time, and recovery from closed sessions and a re-initialised module.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <inkan/core/secret.h>
#include <inkan/hsm/token.h>

#include "ckr.h"
#include "module.h"
#include "p11.h"

namespace inkan::hsm {

/// One leased session. `epoch` is the pool epoch it was opened in: handles of an older epoch are
/// dead (closed behind our back, or the module was re-initialised) and, because modules reuse
/// handle numbers, must never be used or closed again.
struct Session {
    CK_SESSION_HANDLE handle = CK_INVALID_HANDLE;
    CK_SLOT_ID slot = 0;
    std::uint64_t epoch = 0;
    std::uint64_t generation = 0;  ///< the module generation it was opened in
};

class SessionPool {
public:
    /// Finds the token by label and opens `size` sessions, logging the user in (Errc::HsmUnavailable
    /// if there is no such token, Errc::InvalidAuthData for a wrong PIN, Errc::Locked).
    /// `lease_timeout`: how long lease() waits for a free session before Errc::HsmUnavailable.
    SessionPool(std::shared_ptr<Module> module, std::string token_label, Secret pin, std::size_t size,
                std::chrono::milliseconds lease_timeout = std::chrono::seconds{10});
    ~SessionPool();  // closes the idle sessions of the current epoch; never throws
    SessionPool(const SessionPool&) = delete;
    SessionPool& operator=(const SessionPool&) = delete;

    class Lease {
    public:
        Lease(Lease&& other) noexcept
            : m_pool{std::exchange(other.m_pool, nullptr)}, m_session{other.m_session} {}
        Lease& operator=(Lease&&) = delete;
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease() {
            if (m_pool != nullptr) {
                m_pool->give_back(m_session);
            }
        }
        [[nodiscard]] const Session& session() const noexcept { return m_session; }

    private:
        friend class SessionPool;
        Lease(SessionPool* pool, Session s) : m_pool{pool}, m_session{s} {}
        SessionPool* m_pool;
        Session m_session;
    };

    /// A session for this thread alone; waits while all `size` are leased, at most the lease
    /// timeout (then Errc::HsmUnavailable). Opens (and logs in) sessions as needed. Takes
    /// Module::shared() itself: do not call while holding it.
    Lease lease();

    /// Runs fn(const Session&) under Module::shared() on a leased session. On a recoverable CK_RV
    /// (closed/invalid session, module not initialised, device error, user not logged in, stale
    /// object handle) it repairs what it can and retries once. `on_stale_object` is called before
    /// a retry caused by CKR_OBJECT_HANDLE_INVALID / CKR_KEY_HANDLE_INVALID.
    template <class Fn, class OnStaleObject>
    auto with_session(Fn&& fn, OnStaleObject&& on_stale_object) -> std::invoke_result_t<Fn&, const Session&> {
        int attempt = 0;
        bool login_first = false;
        for (;;) {
            // What the failing call saw, so a repair is done once however many threads hit it.
            std::uint64_t generation = m_module->generation();
            std::uint64_t epoch = this->epoch();
            Recovery recovery = Recovery::Stale;
            try {
                Lease lease = this->lease();  // may open sessions, which may fail recoverably too
                generation = lease.session().generation;
                epoch = lease.session().epoch;
                if (login_first) {
                    relogin(lease.session());  // login is per token: any session will do
                    login_first = false;
                }
                const auto shared = m_module->shared();
                // Re-initialised between lease() and shared()? Then the handle is dead and its number
                // may already name another pool's fresh session: never use it (Recovery::Stale).
                if (m_module->generation() == generation) {
                    return fn(lease.session());
                }
            } catch (const Pkcs11Error& e) {
                recovery = classify(e.rv());
                if (recovery == Recovery::None || attempt >= 1) {
                    throw;
                }
                ++attempt;
            }  // the lease goes back (or is dropped, if its epoch is over) before any repair below
            login_first = recovery == Recovery::Login;
            recover(recovery, generation, epoch);
            if (recovery == Recovery::StaleObject) {
                on_stale_object();
            }
        }
    }

    /// The current epoch (bumped whenever the pool's sessions are declared dead). Lock-free, so it
    /// may be read while holding Module::shared().
    [[nodiscard]] std::uint64_t epoch() const noexcept { return m_epoch.load(std::memory_order_acquire); }
    [[nodiscard]] PoolStats stats() const;
    [[nodiscard]] Module& module() const noexcept { return *m_module; }
    [[nodiscard]] const std::string& token_label() const noexcept { return m_label; }
    /// The slot the token was last found in (slot ids can change when a module re-initialises).
    [[nodiscard]] CK_SLOT_ID slot() const;

    /// Declares every session of `epoch` dead: idle ones are forgotten, leased ones are dropped when
    /// given back, and no lease is granted until every dead one is back. Dead handles are never
    /// closed: modules reuse handle numbers, so a dead number may already name someone else's session.
    void invalidate(std::uint64_t epoch);

private:
    enum class Recovery { None, Stale, Session, Module, Login, StaleObject };
    static Recovery classify(CK_RV rv) noexcept;
    void recover(Recovery r, std::uint64_t generation, std::uint64_t epoch);
    void relogin(const Session& s);

    void give_back(const Session& s) noexcept;
    void bump_epoch_locked();
    /// Opens sessions until `m_size` are open (at least one, else it throws). Caller holds m_mutex
    /// and not Module::shared().
    void fill_locked(bool verify_pin);
    /// Opens one session on the token and makes sure the user is logged in. Caller holds shared().
    Session open_one(std::uint64_t generation, bool verify_pin);
    void login(CK_SESSION_HANDLE h, bool verify_pin);                 // caller holds shared()
    CK_SLOT_ID current_slot(std::uint64_t generation, bool refresh);  // caller holds shared()

    std::shared_ptr<Module> m_module;
    std::string m_label;
    Secret m_pin;
    std::size_t m_size;
    std::chrono::milliseconds m_lease_timeout;

    mutable std::mutex m_slot_mutex;
    CK_SLOT_ID m_slot = 0;
    std::uint64_t m_slot_generation = 0;  // 0: not looked up yet

    // Rules, all under m_mutex: (1) sessions are opened only while holding it; (2) `m_live` holds the
    // handles of the current epoch, and a freshly opened handle already in it proves the module
    // recycled a number we thought alive, so the epoch ends; (3) no lease is granted while a lease of
    // an older epoch is out. Together: no handle number is ever leased to two threads at once.
    // Never take m_mutex while holding Module::shared() (a re-initialisation could deadlock).
    mutable std::mutex m_mutex;
    std::condition_variable m_available;
    std::vector<Session> m_idle;
    std::vector<CK_SESSION_HANDLE> m_live;  // current epoch: idle + leased
    std::size_t m_in_use = 0;               // leased (any epoch)
    std::size_t m_dead_in_use = 0;          // leased, of an older epoch
    std::atomic<std::uint64_t> m_epoch{1};
    std::uint64_t m_seen_generation = 0;
    std::uint64_t m_waits = 0;
    std::uint64_t m_recoveries = 0;
    std::uint64_t m_reinitialisations = 0;
    std::uint64_t m_lease_timeouts = 0;
};

/// Finds the slot of the initialised token with this label (C_GetSlotList + C_GetTokenInfo).
/// Caller holds Module::shared(). Errc::HsmUnavailable if there is none.
CK_SLOT_ID find_slot_by_label(const Module& module, std::string_view label);
std::optional<CK_SLOT_ID> try_find_slot_by_label(const Module& module, std::string_view label);
/// All slots with a token present.
std::vector<CK_SLOT_ID> slots_with_token(const Module& module);

}  // namespace inkan::hsm
