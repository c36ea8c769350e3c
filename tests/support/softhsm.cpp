#include <cstdlib>
#include <mutex>
#include <string>

#include <inkan/core/error.h>
#include <inkan/testing/softhsm.h>

namespace inkan::testing {

namespace fs = std::filesystem;

namespace {

std::mutex& counter_mutex() {
    static std::mutex m;
    return m;
}

}  // namespace

fs::path softhsm_module() {
    const char* env = std::getenv("INKAN_TEST_PKCS11_MODULE");
    if (env != nullptr && *env != '\0') {
        return fs::path{env};
    }
    return fs::path{"/usr/lib/softhsm/libsofthsm2.so"};
}

SoftHsm& SoftHsm::instance() {
    static SoftHsm s;  // thread-safe initialisation; never a second one in a process
    return s;
}

SoftHsm::SoftHsm() : m_dir{"inkan-softhsm"}, m_conf{m_dir.path() / "softhsm2.conf"} {
    const fs::path tokens = m_dir.path() / "tokens";
    fs::create_directories(tokens);
    write_file(m_conf, "directories.tokendir = " + tokens.string() +
                           "\n"
                           "objectstore.backend = file\n"
                           "log.level = ERROR\n"
                           "slots.removable = false\n");
    // SoftHSM reads SOFTHSM2_CONF at C_Initialize; child processes (softhsm2-util, pkcs11-tool)
    // inherit it. Set before any module is loaded in this process.
    if (::setenv("SOFTHSM2_CONF", m_conf.c_str(), 1) != 0) {
        throw Error{Errc::IoFailure, "setenv SOFTHSM2_CONF"};
    }
}

hsm::TokenConfig SoftHsm::make_token(std::string_view label_prefix, std::size_t pool_size) {
    int n = 0;
    {
        std::lock_guard g{counter_mutex()};
        n = ++m_counter;
    }
    // Token labels have at most 32 bytes; the directory is private to this process, so a counter
    // is unique enough.
    std::string label{label_prefix.substr(0, 24)};
    label += "-" + std::to_string(n);
    const CommandResult r = run({"softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin",
                                 std::string{kSoPin}, "--pin", std::string{kUserPin}});
    if (r.exit_code != 0) {
        throw Error{Errc::HsmUnavailable, "softhsm2-util --init-token failed (" +
                                              std::to_string(r.exit_code) + "): " + r.out + r.err};
    }
    hsm::TokenConfig config;
    config.module = softhsm_module();
    config.token_label = label;
    config.user_pin = Secret{kUserPin};
    config.pool_size = pool_size;
    return config;
}

}  // namespace inkan::testing
