#pragma once

// The service::AuthorizationStore port suite (tests in authorization_store_suite_test.cpp). Every
// adapter instantiates it with its ServiceStoresBackend and must pass it unchanged.

#include <string>
#include <utility>
#include <vector>

#include "service_store_backend.h"

namespace inkan::storage::testing {

/// Starts with users u-alice and u-bob and two seal credentials c-1 and c-2 (SADs reference both).
class AuthorizationStoreSuite : public ServiceStoreTest {
protected:
    static constexpr std::string_view kSha256 = "2.16.840.1.101.3.4.2.1";

    void SetUp() override {
        ServiceStoreTest::SetUp();
        if (HasFatalFailure() || IsSkipped()) {
            return;
        }
        ASSERT_TRUE(credentials && authorization && audit)
            << GetParam().name
            << ": the authorization suite needs the credential, authorization and audit stores";
        users->create(make_user("u-alice", "alice"), "$argon2id$x");
        users->create(make_user("u-bob", "bob"), "$argon2id$x");
        for (const char* id : {"c-1", "c-2"}) {
            service::Credential c;
            c.id = id;
            c.kind = service::CredentialKind::Seal;
            c.organization = "Example KK";
            c.key_id = Bytes{1, 2, 3};
            c.key_algo = "ec-p256";
            c.ca = "test-ca";
            c.profile = "seal";
            c.created_at = at(1'767'225'600);
            credentials->create(c, "");
        }
    }

    /// A 32-byte value filled with `b` (a stand-in for a SHA-256 digest).
    static Bytes digest(std::uint8_t b) { return Bytes(32, b); }
    static Bytes handle(std::uint8_t b) { return Bytes(32, static_cast<std::uint8_t>(0xA0U + b)); }

    /// A SAD for alice on c-1, expiring at unix 2'000'000'000.
    static service::SadRecord sad(std::string id, Bytes handle_hash, int scal, int remaining,
                                  std::vector<Bytes> hashes = {}) {
        service::SadRecord r;
        r.id = std::move(id);
        r.handle_hash = std::move(handle_hash);
        r.user_id = "u-alice";
        r.client_id = "client-1";
        r.credential_id = "c-1";
        r.member_id = "u-alice";
        r.scal = scal;
        r.remaining = remaining;
        for (auto& h : hashes) {
            r.hashes.emplace_back(std::string{kSha256}, std::move(h));
        }
        r.expires_at = at(2'000'000'000);
        return r;
    }

    static std::vector<std::pair<std::string, Bytes>> hashes(std::initializer_list<std::uint8_t> bytes) {
        std::vector<std::pair<std::string, Bytes>> out;
        for (const auto b : bytes) {
            out.emplace_back(std::string{kSha256}, digest(b));
        }
        return out;
    }

    static TimePoint before_expiry() { return at(1'999'999'000); }
};

}  // namespace inkan::storage::testing
