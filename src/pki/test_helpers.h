#pragma once

// Shared by the pki tests: files for the openssl CLI (the outside judge) and small assertions.

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include <inkan/core/error.h>
#include <inkan/pki/certificate.h>
#include <inkan/testing/process.h>

namespace inkan::pki::testing {

/// Runs openssl with `args`; the result carries exit code, stdout and stderr.
inline inkan::testing::CommandResult openssl(std::vector<std::string> args,
                                             std::string_view stdin_data = {}) {
    args.insert(args.begin(), "openssl");
    return inkan::testing::run(args, stdin_data);
}

/// Writes the certificates as one PEM file and returns its path as a string.
inline std::string write_pem(const std::filesystem::path& path, const std::vector<Bytes>& ders) {
    inkan::testing::write_file(path, certificates_pem(ders));
    return path.string();
}

inline std::string write_der(const std::filesystem::path& path, ByteView der) {
    inkan::testing::write_file(path, der);
    return path.string();
}

/// `openssl x509 -text -noout` of a certificate.
inline std::string x509_text(const inkan::testing::TempDir& dir, const Certificate& cert) {
    const std::string file = write_pem(dir / "text.pem", {cert.der()});
    const auto r =
        openssl({"x509", "-in", file, "-noout", "-text", "-nameopt", "utf8,-esc_msb,sep_comma_plus"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
}

/// `openssl asn1parse` of the qcStatements extension's value (empty when the certificate has none).
inline std::string qc_statements_asn1(const inkan::testing::TempDir& dir, const Certificate& cert) {
    const std::string file = write_pem(dir / "qc.pem", {cert.der()});
    const auto all = openssl({"asn1parse", "-in", file});
    // The extnValue OCTET STRING follows the OID line: "  600:d=5  hl=2 l=   8 prim: OBJECT :qcStatements".
    const std::size_t oid_line = all.out.find(":qcStatements\n");
    if (oid_line == std::string::npos) {
        return {};
    }
    const std::size_t next = oid_line + std::string_view{":qcStatements\n"}.size();
    const std::string offset = all.out.substr(next, all.out.find(':', next) - next);
    const auto value = openssl({"asn1parse", "-in", file, "-strparse", offset});
    EXPECT_EQ(value.exit_code, 0) << value.err;
    return value.out;
}

/// The Errc an action throws, or nullopt when it does not throw.
inline std::optional<Errc> error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.code();
    }
    return std::nullopt;
}

/// The message an action throws (empty when it does not throw).
inline std::string message_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return {};
}

}  // namespace inkan::pki::testing
