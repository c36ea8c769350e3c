#pragma once

// Turns a data directory into configured parts. The composition root: the only code that decides
// which concrete types (module path, token, PIN source) the process uses.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/core/config.h>
#include <inkan/core/error.h>
#include <inkan/hsm/token.h>
#include <inkan/tsp/client.h>

#include "args.h"

namespace inkan::app {

/// The data directory: --data, else $INKAN_DATA, else ./inkan-data.
std::filesystem::path resolve_data_dir(const std::string& flag_value);

/// The configuration file inside a data directory.
std::filesystem::path config_path(const std::filesystem::path& data_dir);

/// Loads <data>/inkan.toml (with environment overrides). Errc::NotFound if the directory was
/// never initialised.
Config load_config(const std::filesystem::path& data_dir);

/// Prepares the process for the configured PKCS#11 module and returns how to open the token:
/// for SoftHSM, points SOFTHSM2_CONF at the data directory's own configuration (before the module
/// is loaded); reads the user PIN from the environment variable named by hsm.pin_env, else from
/// hsm.pin_file, which must not be readable by group or others.
hsm::TokenConfig token_config(const Config& config);

/// A data directory opened for a command: its configuration and its token.
struct Runtime {
    std::filesystem::path data_dir;
    Config config;
    hsm::Token token;
};
/// Loads the configuration of the data directory named by `data_flag` (see resolve_data_dir) and opens
/// its token with `pool_size` sessions.
std::unique_ptr<Runtime> open_runtime(const std::string& data_flag, std::size_t pool_size = 1);

/// A whole file as text. `missing` is the code when it cannot be read (InvalidConfig for files the
/// configuration names, NotFound for a file the operator named on the command line).
std::string read_text_file(const std::filesystem::path& file, Errc missing = Errc::InvalidConfig);

/// Whether a command may replace a file that already exists at its output path (--force).
enum class Overwrite { Refuse, Allow };

/// The one rule for every output file a command writes (decision 0040): an existing file is kept
/// unless the operator passed --force. InputError "OUT exists: PATH (pass --force to overwrite)".
/// Commands call it before any work, so a refusal costs nothing and changes nothing.
void refuse_existing_output(const std::filesystem::path& out, Overwrite overwrite);

/// Writes `data` to a temporary file beside `out` and renames it: `out` appears whole or not at all.
/// With Overwrite::Refuse the final step cannot replace a file that appeared meanwhile (link, not
/// rename). Errc::IoFailure when it cannot be written; the temporary file never stays behind.
void write_output(const std::filesystem::path& out, ByteView data, Overwrite overwrite);
void write_output(const std::filesystem::path& out, std::string_view data, Overwrite overwrite);

/// For a command that streams its output: a fresh temporary name beside `out` to write to, and the
/// step that moves the finished file to `out` (removing the temporary file whatever happens).
std::filesystem::path temp_output_path(const std::filesystem::path& out);
void install_output(const std::filesystem::path& tmp, const std::filesystem::path& out, Overwrite overwrite);

struct ListenAddress {
    std::string host;  ///< without brackets for IPv6
    std::uint16_t port = 0;
};
/// Parses HOST:PORT ([::1]:8443 for IPv6; port 0 = ephemeral). Errc::InvalidConfig naming `what`.
ListenAddress parse_listen(const std::string& value, const std::string& what);

/// Reads a secret from a file, refusing a file that group or others can read (like ssh does for keys).
Secret read_secret_file(const std::filesystem::path& file);

/// --timeout-ms of the commands that ask a TSA (timestamp, extend): a positive number of
/// milliseconds, 10 s when not given; UsageError otherwise.
std::chrono::milliseconds timeout_option(const Args& args);

/// The DER certificates of PEM files named on the command line (InputError when one cannot be read or
/// holds none); `what` names the option in the message.
std::vector<Bytes> certificates_of_pem_files(const std::vector<std::string>& files, const std::string& what);

/// What a tsp::Client is made of, from the command line.
struct TsaSettings {
    std::vector<tsp::TsaEndpoint> endpoints;
    tsp::ClientOptions options;
};
/// One endpoint per URL with `timeout`; --cacert (a PEM file) is both the TSAs' https trust anchors
/// and the time-stamps' trust anchors. The file is read here.
TsaSettings tsa_settings(const Args& args, const std::vector<std::string>& urls,
                         std::chrono::milliseconds timeout);

}  // namespace inkan::app
