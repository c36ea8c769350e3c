#pragma once

// Helpers shared by the app's CLI and end-to-end tests (the real `inkan` binary, reached through INKAN_BIN,
// driven by curl and judged by outside tools). Test-only and header-only: the inkan_app library
// globs *.cpp, so nothing here may become a .cpp.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <inkan/core/bytes.h>
#include <inkan/core/encoding.h>
#include <inkan/crypto/digest.h>
#include <inkan/testing/process.h>

namespace inkan::e2e {

/// OIDs the CSC requests name (hashAlgorithmOID, signAlgo).
inline constexpr const char* kSha256 = "2.16.840.1.101.3.4.2.1";
inline constexpr const char* kEcdsaSha256 = "1.2.840.10045.4.3.2";

inline Bytes sha256(std::string_view text) {
    return crypto::digest(crypto::DigestAlgorithm::Sha256, as_bytes(text));
}

/// The `inkan` binary under test with `args`.
inline testing::CommandResult run_inkan(std::vector<std::string> args, std::string_view in = {}) {
    args.insert(args.begin(), INKAN_BIN);
    return testing::run(args, in);
}

/// Starts `inkan serve --data <data>` on ephemeral ports (`env`: extra NAME=VALUE entries) into
/// `server` and returns the JSON line it prints once listening (api_url, pki_url, tsa_url,
/// metrics_url, public_url).
inline nlohmann::json start_serve(std::unique_ptr<testing::Process>& server,
                                  const std::filesystem::path& data,
                                  const std::vector<std::string>& env = {}) {
    server = std::make_unique<testing::Process>(
        std::vector<std::string>{INKAN_BIN, "serve", "--data", data.string(), "--api-listen", "127.0.0.1:0",
                                 "--pki-listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"},
        env);
    return nlohmann::json::parse(server->read_line(std::chrono::seconds{60}));
}

/// The contract validators (tests/tools/contracts, npm packages installed by scripts/install-deps).
inline const std::string kContractTools = INKAN_SOURCE_DIR "/tests/tools/contracts";

/// What Ajv (JSON Schema 2020-12, formats checked) finds wrong in `report` against
/// docs/validation-report.schema.json, the published contract of `inkan verify --json` and POST
/// /inkan/v1/validate; empty when the report validates.
inline std::string report_schema_problems(std::string_view report) {
    const auto r = testing::run({"node", kContractTools + "/validate-json.mjs",
                                 INKAN_SOURCE_DIR "/docs/validation-report.schema.json", "-"},
                                report);
    return r.exit_code == 0 ? std::string{} : describe(r) + "\nreport: " + std::string{report};
}

struct HttpResult {
    int status = 0;  ///< 0 when curl itself failed
    std::string body;
    std::string raw;  ///< curl's exit status and outputs, for failure messages
};

/// curl trusting `cacert` with `args` (and `in` on stdin); -w appends the status on a line of its own.
inline HttpResult curl_status(const std::string& cacert, const std::string& max_time,
                              const std::vector<std::string>& args, std::string_view in = {}) {
    std::vector<std::string> argv{"curl",     "-sS",  "--max-time", max_time,
                                  "--cacert", cacert, "-w",         "\n%{http_code}"};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = testing::run(argv, in);
    HttpResult out;
    out.raw = describe(r);
    const auto nl = r.out.rfind('\n');
    if (r.exit_code == 0 && nl != std::string::npos) {
        out.status = std::stoi(r.out.substr(nl + 1));
        out.body = r.out.substr(0, nl);
    }
    return out;
}

/// `openssl pkeyutl -verify` of a CSC signature value (base64) over a SHA-256 `digest` with the first
/// certificate of `certificate_pem`, through files in `dir`: empty when openssl says it verifies, else
/// what openssl printed.
inline std::string openssl_verify_digest(const std::filesystem::path& dir,
                                         const std::filesystem::path& certificate_pem, const Bytes& digest,
                                         const std::string& signature_base64) {
    const auto in = dir / "digest.bin";
    const auto sig = dir / "signature.bin";
    testing::write_file(in, digest);
    testing::write_file(sig, base64_decode(signature_base64));
    const auto r =
        testing::run({"openssl", "pkeyutl", "-verify", "-certin", "-inkey", certificate_pem.string(), "-in",
                      in.string(), "-sigfile", sig.string(), "-pkeyopt", "digest:sha256"});
    return r.exit_code == 0 ? std::string{} : testing::describe(r);
}

}  // namespace inkan::e2e
