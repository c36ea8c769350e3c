#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "test_helpers.h"
#include "token_impl.h"

namespace inkan::hsm {
namespace {

using crypto::DigestAlgorithm;
using crypto::SignatureAlgorithm;

/// A token of its own per test, with a P-256 key (fast to sign with).
struct PoolEnv {
    explicit PoolEnv(std::size_t pool_size = 4)
        : config{testing::SoftHsm::instance().make_token("pool", pool_size)},
          token{test::clone(config)},
          key{token.generate_key_pair(KeySpec::EcP256, "pool-key")},
          public_key{crypto::PublicKey::from_spki(token.public_key_spki(key))} {}

    Bytes sign_and_check(std::uint32_t n) {
        Bytes digest = crypto::digest(DigestAlgorithm::Sha256, as_bytes(std::to_string(n)));
        Bytes sig = token.sign(key, alg, digest);
        EXPECT_TRUE(public_key.verify_digest(alg, digest, sig));
        return sig;
    }

    CK_RV close_all_sessions() {
        auto& impl = token.impl();
        const CK_SLOT_ID slot = impl.pool().slot();
        return impl.module().exclusive([&](const CK_FUNCTION_LIST& f) { return f.C_CloseAllSessions(slot); });
    }

    TokenConfig config;
    Token token;
    Bytes key;
    crypto::PublicKey public_key;
    SignatureAlgorithm alg = SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256);
};

TEST(SessionPool, OpensTheConfiguredNumberOfSessionsUpFront) {
    PoolEnv env{3};
    const PoolStats s = env.token.pool_stats();
    EXPECT_EQ(s.size, 3U);
    EXPECT_EQ(s.open, 3U);
    EXPECT_EQ(s.in_use, 0U);
    EXPECT_EQ(s.recoveries, 0U);
}

TEST(SessionPool, ReturnsSessionWhenLeaseIsDestroyed) {
    PoolEnv env{2};
    auto& pool = env.token.impl().pool();
    {
        auto a = pool.lease();
        auto b = pool.lease();
        EXPECT_NE(a.session().handle, b.session().handle);
        EXPECT_EQ(env.token.pool_stats().in_use, 2U);
    }
    EXPECT_EQ(env.token.pool_stats().in_use, 0U);
}

TEST(SessionPool, AnOperationThatFindsEverySessionBusyPastTheLeaseTimeoutIsHsmUnavailable) {
    TokenConfig config = testing::SoftHsm::instance().make_token("pool-timeout", 2);
    config.lease_timeout = std::chrono::milliseconds{200};
    Token token{std::move(config)};
    const Bytes key = token.generate_key_pair(KeySpec::EcP256, "busy-key");
    const Bytes digest = crypto::digest(DigestAlgorithm::Sha256, as_bytes(std::string_view{"busy"}));
    const SignatureAlgorithm alg = SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha256);
    {
        // Every session held, as by two signers stuck in a hung HSM.
        auto a = token.impl().pool().lease();
        auto b = token.impl().pool().lease();
        try {
            (void)token.sign(key, alg, digest);
            ADD_FAILURE() << "a sign with every session busy must not wait forever";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), Errc::HsmUnavailable) << e.what();
        }
        EXPECT_EQ(token.pool_stats().lease_timeouts, 1U);
    }
    // Once the sessions are back, the same call signs.
    EXPECT_FALSE(token.sign(key, alg, digest).empty());
}

TEST(SessionPool, EightThreadsShareFourSessionsWithoutFailures) {
    PoolEnv env{4};
    constexpr int kThreads = 8;
    constexpr std::uint32_t kPerThread = 2000;
    std::atomic<int> failures{0};
    std::atomic<int> bad_signatures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (std::uint32_t i = 0; i < kPerThread; ++i) {
                const std::uint32_t n = static_cast<std::uint32_t>(t) * kPerThread + i;
                try {
                    const Bytes digest = crypto::digest(DigestAlgorithm::Sha256, as_bytes(std::to_string(n)));
                    const Bytes sig = env.token.sign(env.key, env.alg, digest);
                    // DER ECDSA-Sig-Value for P-256: 8..72 bytes, a SEQUENCE.
                    if (sig.size() < 8 || sig.size() > 72 || sig[0] != 0x30) {
                        ++bad_signatures;
                    } else if (n % 50 == 0 && !env.public_key.verify_digest(env.alg, digest, sig)) {
                        ++bad_signatures;
                    }
                } catch (const std::exception& e) {
                    if (failures.fetch_add(1) < 5) {
                        ADD_FAILURE() << "thread " << t << " signature " << i << ": " << e.what();
                    }
                }
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(bad_signatures.load(), 0);
    const PoolStats s = env.token.pool_stats();
    EXPECT_GT(s.waits, 0U) << "8 threads on 4 sessions should have waited";
    EXPECT_LE(s.open, 4U);
    EXPECT_EQ(s.in_use, 0U);
    EXPECT_EQ(s.recoveries, 0U);
}

TEST(SessionPool, RecoversWhenAllSessionsAreClosedBehindItsBack) {
    PoolEnv env;
    env.sign_and_check(1);
    const CK_RV rv = env.close_all_sessions();
    ASSERT_EQ(rv, CKR_OK) << ckr_name(rv);
    env.sign_and_check(2);
    const PoolStats s = env.token.pool_stats();
    EXPECT_EQ(s.recoveries, 1U);
    EXPECT_EQ(s.reinitialisations, 0U);
    EXPECT_EQ(s.open, 4U);
    // Logged in again: private objects are visible.
    EXPECT_TRUE(env.token.find(ObjectClass::PrivateKey, env.key).has_value());
}

TEST(SessionPool, RecoversWhenTheModuleIsReinitialisedBehindItsBack) {
    PoolEnv env;
    env.sign_and_check(1);
    const CK_RV rv = env.token.impl().module().exclusive([](const CK_FUNCTION_LIST& f) {
        CK_RV r = f.C_Finalize(nullptr);
        if (r != CKR_OK) {
            return r;
        }
        CK_C_INITIALIZE_ARGS args{};
        args.flags = CKF_OS_LOCKING_OK;
        return f.C_Initialize(&args);
    });
    ASSERT_EQ(rv, CKR_OK) << ckr_name(rv);
    env.sign_and_check(2);
    EXPECT_GE(env.token.pool_stats().recoveries, 1U);
    EXPECT_TRUE(env.token.find(ObjectClass::PrivateKey, env.key).has_value());
}

TEST(SessionPool, ReinitialisesAModuleFinalisedBehindItsBack) {
    PoolEnv env;
    env.sign_and_check(1);
    const std::uint64_t generation = env.token.impl().module().generation();
    const CK_RV rv =
        env.token.impl().module().exclusive([](const CK_FUNCTION_LIST& f) { return f.C_Finalize(nullptr); });
    ASSERT_EQ(rv, CKR_OK) << ckr_name(rv);
    env.sign_and_check(2);
    const PoolStats s = env.token.pool_stats();
    EXPECT_EQ(s.reinitialisations, 1U);
    EXPECT_GE(s.recoveries, 1U);
    EXPECT_EQ(env.token.impl().module().generation(), generation + 1);
    env.sign_and_check(3);
    EXPECT_EQ(env.token.pool_stats().reinitialisations, 1U);
}

TEST(SessionPool, LogsInAgainAfterALogoutBehindItsBack) {
    PoolEnv env;
    env.sign_and_check(1);  // the key's handle is cached now
    const Bytes uncached = env.token.generate_key_pair(KeySpec::EcP256, "uncached");
    const auto uncached_pub = crypto::PublicKey::from_spki(env.token.public_key_spki(uncached));
    env.token.impl().forget_keys();
    const auto logout = [&] {
        auto& impl = env.token.impl();
        auto lease = impl.pool().lease();
        return impl.module().exclusive(
            [&](const CK_FUNCTION_LIST& f) { return f.C_Logout(lease.session().handle); });
    };
    CK_RV rv = logout();
    ASSERT_EQ(rv, CKR_OK) << ckr_name(rv);
    env.sign_and_check(2);
    EXPECT_EQ(env.token.pool_stats().recoveries, 1U);

    rv = logout();
    ASSERT_EQ(rv, CKR_OK) << ckr_name(rv);
    const Bytes digest(32, 5);
    EXPECT_TRUE(uncached_pub.verify_digest(env.alg, digest, env.token.sign(uncached, env.alg, digest)));
    EXPECT_EQ(env.token.pool_stats().recoveries, 2U);
}

TEST(SessionPool, ReinitialisationHappensOncePerGeneration) {
    PoolEnv env;
    Module& module = env.token.impl().module();
    const std::uint64_t g = module.generation();
    EXPECT_TRUE(module.reinitialize(g));
    EXPECT_FALSE(module.reinitialize(g)) << "a stale generation must not re-initialise again";
    EXPECT_EQ(module.generation(), g + 1);
    env.sign_and_check(1);  // the pool notices the new generation by itself
}

TEST(SessionPool, SurvivesSessionsClosedWhileFourThreadsSign) {
    PoolEnv env{4};
    std::atomic<bool> stop{false};
    std::atomic<int> failures{0};
    std::atomic<std::uint32_t> signed_count{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (std::uint32_t i = 0; !stop.load(); ++i) {
                try {
                    const Bytes digest = crypto::digest(
                        DigestAlgorithm::Sha256, as_bytes(std::to_string(t * 1000000 + static_cast<int>(i))));
                    const Bytes sig = env.token.sign(env.key, env.alg, digest);
                    if (i % 20 == 0 && !env.public_key.verify_digest(env.alg, digest, sig)) {
                        ++failures;
                    }
                    ++signed_count;
                } catch (const std::exception& e) {
                    if (failures.fetch_add(1) < 5) {
                        ADD_FAILURE() << "thread " << t << ": " << e.what();
                    }
                }
            }
        });
    }
    constexpr int kCloses = 5;
    for (int i = 0; i < kCloses; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        const CK_RV rv = env.close_all_sessions();
        EXPECT_EQ(rv, CKR_OK) << ckr_name(rv);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stop = true;
    for (auto& th : threads) {
        th.join();
    }
    EXPECT_EQ(failures.load(), 0);
    EXPECT_GT(signed_count.load(), 0U);
    const PoolStats s = env.token.pool_stats();
    EXPECT_GE(s.recoveries, 1U);
    EXPECT_LE(s.open, 4U);
    EXPECT_EQ(s.in_use, 0U);
}

TEST(SessionPool, ObjectHandlesAreReResolvedAfterReinitialisation) {
    PoolEnv env;
    const Bytes other = env.token.generate_key_pair(KeySpec::EcP384, "second");
    const auto other_alg = SignatureAlgorithm::ecdsa(DigestAlgorithm::Sha384);
    const auto other_pub = crypto::PublicKey::from_spki(env.token.public_key_spki(other));
    env.sign_and_check(1);
    (void)env.token.impl().module().exclusive(
        [](const CK_FUNCTION_LIST& f) { return f.C_Finalize(nullptr); });
    // Touch the keys in the opposite order so the module would hand out different handle numbers.
    const Bytes digest(48, 9);
    EXPECT_TRUE(other_pub.verify_digest(other_alg, digest, env.token.sign(other, other_alg, digest)));
    env.sign_and_check(2);
}

}  // namespace
}  // namespace inkan::hsm
