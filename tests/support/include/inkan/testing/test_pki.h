#pragma once

// A small PKI for the cms and tsp tests (header-only; the including target links inkan_pki,
// inkan_storage and inkan_testsupport): a root CA with its key in a SoftHSM token, its state in
// SQLite, and end-entity keys in the same token with certificates from the built-in CA.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <inkan/core/clock.h>
#include <inkan/hsm/token.h>
#include <inkan/pki/ca.h>
#include <inkan/pki/certificate.h>
#include <inkan/pki/csr.h>
#include <inkan/sign/hsm_signer.h>
#include <inkan/storage/sqlite_ca_store.h>
#include <inkan/testing/process.h>
#include <inkan/testing/softhsm.h>

namespace inkan::testing {

/// One token per test process, shared by every TestPki.
inline hsm::Token& shared_test_token() {
    static hsm::Token t{SoftHsm::instance().make_token("pki", 8)};
    return t;
}

struct TestPki {
    /// A P-256 root CA valid for 10 years from `start`.
    explicit TestPki(TimePoint start = std::chrono::system_clock::now())
        : clock{start}, store{dir / "ca.db"} {
        root_signer = std::make_unique<sign::HsmSigner>(
            shared_test_token(), shared_test_token().generate_key_pair(hsm::KeySpec::EcP256, "test-root"));
        pki::CaSettings settings{"test-root", "http://127.0.0.1:8080", {}};
        const pki::Certificate root = pki::create_root(
            settings, *root_signer, pki::Name{}.country("JP").organization("inkan").common_name("Test Root"),
            3650, store, clock);
        ca = std::make_unique<pki::BuiltinCa>(settings, *root_signer, std::vector<Bytes>{root.der()}, store,
                                              pki::ProfileSet::defaults(), clock);
        root_pem = dir / "root.pem";
        write_file(root_pem, pki::certificates_pem({root.der()}));
    }

    struct Leaf {
        std::unique_ptr<sign::HsmSigner> signer;  ///< its certificate_chain() is leaf, root
        std::vector<Bytes> chain;
        Bytes key_id;
    };
    /// A key in the token and a certificate under `profile` ("tsa" by default: critical EKU
    /// timeStamping only).
    Leaf issue(hsm::KeySpec spec, std::string_view common_name, std::string_view profile = "tsa",
               const pki::IssueOptions& options = {}) {
        Leaf leaf;
        leaf.key_id = shared_test_token().generate_key_pair(spec, common_name);
        sign::HsmSigner bare{shared_test_token(), leaf.key_id};
        const pki::Certificate cert = ca->issue(
            pki::create_csr(pki::Name{}.country("JP").organization("inkan").common_name(common_name), bare),
            profile, options);
        leaf.chain = {cert.der(), ca->certificate().der()};
        leaf.signer = std::make_unique<sign::HsmSigner>(shared_test_token(), leaf.key_id, leaf.chain);
        return leaf;
    }

    TempDir dir{"inkan-test-pki"};
    ManualClock clock;
    storage::SqliteCaStore store;
    std::unique_ptr<sign::HsmSigner> root_signer;
    std::unique_ptr<pki::BuiltinCa> ca;
    std::filesystem::path root_pem;
};

}  // namespace inkan::testing
