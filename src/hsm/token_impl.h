#pragma once

// Token::Impl: the session pool plus a cache of key handles. Internal; the hsm tests use it to
// act behind the pool's back (C_CloseAllSessions, C_Finalize) and to read raw attributes.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include <inkan/hsm/token.h>

#include "ckr.h"
#include "module.h"
#include "p11.h"
#include "session_pool.h"

namespace inkan::hsm {

class Token::Impl {
public:
    explicit Impl(TokenConfig config);

    [[nodiscard]] SessionPool& pool() noexcept { return *m_pool; }
    [[nodiscard]] const SessionPool& pool() const noexcept { return *m_pool; }
    [[nodiscard]] Module& module() const noexcept { return *m_module; }
    [[nodiscard]] const CK_FUNCTION_LIST& fn() const noexcept { return m_module->fn(); }
    [[nodiscard]] const TokenConfig& config() const noexcept { return m_config; }

    /// fn(const Session&) on a pooled session with recovery (see SessionPool::with_session); a stale
    /// object handle empties the key cache before the retry.
    template <class Fn>
    auto with_session(Fn&& fn) {
        return m_pool->with_session(std::forward<Fn>(fn), [this] { forget_keys(); });
    }

    struct KeyRef {
        CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
        CK_KEY_TYPE key_type = 0;
    };
    /// The handle of the first key of this class with this CKA_ID, cached per pool epoch (a new
    /// epoch starts whenever sessions died, which includes every module re-initialisation, so
    /// handles from before are never reused). Errc::NotFound if there is none. Caller holds
    /// Module::shared() (it runs inside with_session).
    KeyRef resolve(const Session& s, ByteView id, CK_OBJECT_CLASS cls);
    void forget_keys();
    void forget_key(ByteView id);

private:
    TokenConfig m_config;
    std::shared_ptr<Module> m_module;
    std::unique_ptr<SessionPool> m_pool;

    std::mutex m_cache_mutex;
    std::uint64_t m_cache_epoch = 0;
    std::map<std::pair<Bytes, CK_OBJECT_CLASS>, KeyRef> m_cache;
};

}  // namespace inkan::hsm
