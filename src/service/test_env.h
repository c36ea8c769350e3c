#pragma once

// What the service tests run on: a real SoftHSM token (one per test process) with the AES storage key,
// a real SQLite database in a temp dir, a ManualClock. No fakes.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include <inkan/core/clock.h>
#include <inkan/core/error.h>
#include <inkan/hsm/token.h>
#include <inkan/service/accounts.h>
#include <inkan/service/auth.h>
#include <inkan/storage/sqlite.h>
#include <inkan/storage/sqlite_service_stores.h>
#include <inkan/testing/process.h>
#include <inkan/testing/softhsm.h>

namespace inkan {
inline void PrintTo(Errc code, std::ostream* os) {
    *os << errc_name(code);
}
}  // namespace inkan

namespace inkan::service::testing {

inline constexpr std::string_view kStorageKeyLabel = "inkan-storage-key";

/// The process's token, with the storage key created once.
inline hsm::Token& token() {
    static hsm::Token* t = [] {
        auto* tok = new hsm::Token{inkan::testing::SoftHsm::instance().make_token("svc")};
        (void)tok->generate_aes_key(kStorageKeyLabel);
        return tok;
    }();
    return *t;
}

/// The code of the inkan::Error `f` throws, and its message in `message` (a failure if none is thrown).
inline Errc code_of(const std::function<void()>& f, std::string* message = nullptr) {
    try {
        f();
    } catch (const Error& e) {
        if (message != nullptr) {
            *message = e.what();
        }
        return e.code();
    }
    ADD_FAILURE() << "no inkan::Error thrown";
    return Errc::Internal;
}

inline Secret secret(std::string_view s) {
    return Secret{s};
}

/// Stores on a fresh SQLite file, the sealer, Accounts and Sessions on a ManualClock.
struct ServiceEnv {
    ServiceEnv()
        : db{std::make_shared<storage::Database>(dir / "inkan.db")},
          users{db},
          credentials{db},
          tokens{db},
          sealer{token(), kStorageKeyLabel},
          accounts{users, sealer, clock},
          sessions{accounts, users, tokens, clock} {}

    inkan::testing::TempDir dir{"inkan-svc"};
    // Now, truncated to a TOTP step boundary so that ±30 s moves exactly one step.
    ManualClock clock{TimePoint{std::chrono::seconds{
        std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count() /
        30 * 30}}};
    std::shared_ptr<storage::Database> db;
    storage::SqliteUserStore users;
    storage::SqliteCredentialStore credentials;
    storage::SqliteTokenStore tokens;
    SecretSealer sealer;
    Accounts accounts;
    Sessions sessions;

    /// Adds a user with password "password-<name>".
    User add(std::string_view name, std::string_view display_name = {}, bool totp = false) {
        NewUser u;
        u.name = std::string{name};
        u.display_name = std::string{display_name};
        u.password = Secret{"password-" + std::string{name}};
        u.totp = totp;
        return accounts.add_user(std::move(u)).user;
    }
};

}  // namespace inkan::service::testing
