#pragma once

#include <filesystem>
#include <string>

#include <inkan/hsm/token.h>
#include <inkan/testing/process.h>

namespace inkan::testing {

/// The PKCS#11 module the hsm tests use: $INKAN_TEST_PKCS11_MODULE, else SoftHSM2's default path.
std::filesystem::path softhsm_module();

/// A throwaway SoftHSM2 token directory for this test process: writes a private softhsm2.conf in a
/// temp dir and points SOFTHSM2_CONF at it (before any module is loaded), so tests never touch the
/// machine's tokens. One per process (SoftHSM reads SOFTHSM2_CONF once, at C_Initialize); it makes any
/// number of tokens, each initialised with softhsm2-util (a tool we did not write).
class SoftHsm {
public:
    static SoftHsm& instance();

    /// Initialises a fresh token with a unique label derived from `label_prefix`; returns a
    /// TokenConfig (module, label, user PIN) for it.
    hsm::TokenConfig make_token(std::string_view label_prefix = "test", std::size_t pool_size = 4);

    [[nodiscard]] const std::filesystem::path& dir() const noexcept { return m_dir.path(); }
    [[nodiscard]] const std::filesystem::path& conf() const noexcept { return m_conf; }
    static constexpr std::string_view kUserPin = "1234";
    static constexpr std::string_view kSoPin = "12345678";

private:
    SoftHsm();
    TempDir m_dir;
    std::filesystem::path m_conf;
    int m_counter = 0;
};

}  // namespace inkan::testing
