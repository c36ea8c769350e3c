#include "context.h"

#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>

#include <inkan/core/error.h>
#include <inkan/crypto/random.h>
#include <inkan/pki/certificate.h>
#include <inkan/storage/postgres.h>

namespace inkan::app {

namespace fs = std::filesystem;

fs::path resolve_data_dir(const std::string& flag_value) {
    if (!flag_value.empty()) {
        return fs::absolute(flag_value).lexically_normal();
    }
    if (const char* env = std::getenv("INKAN_DATA"); env != nullptr && *env != '\0') {
        return fs::absolute(env).lexically_normal();
    }
    return fs::absolute("inkan-data").lexically_normal();
}

fs::path config_path(const fs::path& data_dir) {
    return data_dir / "inkan.toml";
}

Config load_config(const fs::path& data_dir) {
    const fs::path file = config_path(data_dir);
    if (!fs::exists(file)) {
        throw Error{
            Errc::NotFound,
            data_dir.string() + " is not an inkan data directory (no inkan.toml); run `inkan init` first"};
    }
    Config config = Config::load(file);
    // A bad storage.url, a password in it or an unset password variable fails every command at once, named
    // as such, instead of at the first command that happens to open the database.
    (void)storage::pg::options_from_config(config);
    return config;
}

void refuse_existing_output(const fs::path& out, Overwrite overwrite) {
    std::error_code ec;
    // symlink_status: a dangling symlink is a file the operator did not ask to replace either.
    if (overwrite == Overwrite::Refuse && fs::exists(fs::symlink_status(out, ec))) {
        throw InputError{"OUT exists: " + out.string() + " (pass --force to overwrite)"};
    }
}

void write_output(const fs::path& out, ByteView data, Overwrite overwrite) {
    refuse_existing_output(out, overwrite);
    // Beside OUT, so the rename stays within one file system and is atomic.
    const fs::path tmp = temp_output_path(out);
    const auto discard = [&tmp] {
        std::error_code ignored;
        fs::remove(tmp, ignored);
    };
    {
        std::ofstream o{tmp, std::ios::binary | std::ios::trunc};
        o.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
        o.close();
        if (!o.good()) {
            discard();
            throw Error{Errc::IoFailure, "cannot write " + out.string()};
        }
    }
    install_output(tmp, out, overwrite);
}

fs::path temp_output_path(const fs::path& out) {
    return out.string() + ".inkan-" + crypto::random_hex(6) + ".tmp";
}

void install_output(const fs::path& tmp, const fs::path& out, Overwrite overwrite) {
    const auto discard = [&tmp] {
        std::error_code ignored;
        fs::remove(tmp, ignored);
    };
    if (overwrite == Overwrite::Refuse) {
        // link() fails with EEXIST instead of replacing a file created since the first check.
        if (::link(tmp.c_str(), out.c_str()) != 0) {
            const int e = errno;
            discard();
            if (e == EEXIST) {
                throw InputError{"OUT exists: " + out.string() + " (pass --force to overwrite)"};
            }
            throw Error{Errc::IoFailure, "cannot write " + out.string() + ": " + std::strerror(e)};
        }
        discard();
        return;
    }
    std::error_code ec;
    fs::rename(tmp, out, ec);
    if (ec) {
        discard();
        throw Error{Errc::IoFailure, "cannot write " + out.string() + ": " + ec.message()};
    }
}

void write_output(const fs::path& out, std::string_view data, Overwrite overwrite) {
    write_output(out, as_bytes(data), overwrite);
}

std::string read_text_file(const fs::path& file, Errc missing) {
    std::ifstream in{file, std::ios::binary};
    if (!in) {
        throw Error{missing, "cannot read " + file.string()};
    }
    return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

ListenAddress parse_listen(const std::string& value, const std::string& what) {
    const auto colon = value.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == value.size()) {
        throw Error{Errc::InvalidConfig, what + " takes HOST:PORT, got '" + value + "'"};
    }
    std::string host = value.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    const std::string port = value.substr(colon + 1);
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(port) > 65535) {
        throw Error{Errc::InvalidConfig, what + ": invalid port '" + port + "'"};
    }
    return {host, static_cast<std::uint16_t>(std::stoul(port))};
}

Secret read_secret_file(const fs::path& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) {
        throw Error{Errc::InvalidConfig, "cannot read secret file " + file.string()};
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        throw Error{Errc::InvalidConfig, "secret file " + file.string() +
                                             " is accessible by group or others; run: chmod 600 " +
                                             file.string()};
    }
    std::ifstream in{file, std::ios::binary};
    std::string value{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) {
        value.pop_back();
    }
    if (value.empty()) {
        throw Error{Errc::InvalidConfig, "secret file " + file.string() + " is empty"};
    }
    return Secret{std::move(value)};
}

hsm::TokenConfig token_config(const Config& config) {
    hsm::TokenConfig tc;
    tc.module = config.require_string("hsm.module");
    tc.token_label = config.require_string("hsm.token");
    tc.pool_size = static_cast<std::size_t>(config.integer_or("hsm.pool_size", 4));
    require(tc.pool_size >= 1 && tc.pool_size <= 256, Errc::InvalidConfig, "hsm.pool_size must be 1..256");
    const std::int64_t lease_ms = config.integer_or("hsm.lease_timeout_ms", tc.lease_timeout.count());
    require(lease_ms >= 1 && lease_ms <= 600'000, Errc::InvalidConfig,
            "hsm.lease_timeout_ms must be 1..600000");
    tc.lease_timeout = std::chrono::milliseconds{lease_ms};

    // SoftHSM reads SOFTHSM2_CONF once, in C_Initialize; set it before the module is loaded.
    if (const auto softhsm_conf = config.path("hsm.softhsm2_conf")) {
        ::setenv("SOFTHSM2_CONF", softhsm_conf->c_str(), 1);
    }

    const std::string pin_env = config.string_or("hsm.pin_env", "");
    if (!pin_env.empty()) {
        const char* pin = std::getenv(pin_env.c_str());
        if (pin == nullptr || *pin == '\0') {
            throw Error{Errc::InvalidConfig, "hsm.pin_env names " + pin_env + ", which is not set"};
        }
        tc.user_pin = Secret{std::string_view{pin}};
        return tc;
    }
    const auto pin_file = config.path("hsm.pin_file");
    if (!pin_file) {
        throw Error{Errc::InvalidConfig, "neither hsm.pin_env nor hsm.pin_file is configured"};
    }
    tc.user_pin = read_secret_file(*pin_file);
    return tc;
}

std::unique_ptr<Runtime> open_runtime(const std::string& data_flag, std::size_t pool_size) {
    const fs::path data_dir = resolve_data_dir(data_flag);
    Config config = load_config(data_dir);
    hsm::TokenConfig tc = token_config(config);
    tc.pool_size = pool_size;
    return std::unique_ptr<Runtime>{new Runtime{data_dir, std::move(config), hsm::Token{std::move(tc)}}};
}

std::chrono::milliseconds timeout_option(const Args& args) {
    long timeout_ms = 10'000;
    if (const auto t = args.option("timeout-ms")) {
        try {
            timeout_ms = std::stol(*t);
        } catch (const std::exception&) {
            throw UsageError{"--timeout-ms takes a number of milliseconds"};
        }
        if (timeout_ms <= 0) {
            throw UsageError{"--timeout-ms takes a positive number of milliseconds"};
        }
    }
    return std::chrono::milliseconds{timeout_ms};
}

TsaSettings tsa_settings(const Args& args, const std::vector<std::string>& urls,
                         std::chrono::milliseconds timeout) {
    TsaSettings out;
    const auto ca = args.option("cacert");
    for (const auto& url : urls) {
        tsp::TsaEndpoint e;
        e.url = url;
        e.timeout = timeout;
        if (ca) {
            e.ca_file = *ca;  // also the https trust anchors
        }
        out.endpoints.push_back(std::move(e));
    }
    if (ca) {
        for (const auto& c : pki::certificates_from_pem(read_text_file(*ca, Errc::InvalidRequest))) {
            out.options.trust_anchors.push_back(c.der());
        }
    }
    return out;
}

}  // namespace inkan::app
