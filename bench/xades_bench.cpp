// XAdES enveloped signing time for 1, 10 and 100 MB XML documents, next to one SHA-256 pass and one
// exclusive-C14N pass over the same bytes, measured in the same run (issue 16).
//
// The documents are generated at run time (records with Japanese text, attributes and CDATA). The
// signer is a software P-256 key with a throwaway self-signed certificate (openssl req -x509): the
// figure to watch is the XML work, and one ECDSA signature is microseconds. Signing =
// xades::sign_xades B-B: parse (libxml2), C14N of the whole document streamed into SHA-256, the
// SignedProperties and SignedInfo, one signature, serialise. Its floor is one parse plus one C14N pass,
// so the ratio to the C14N pass is the figure to watch.
//
// --sizes 1,10,100 (MB), --runs N (default 3; best time kept). No assertions: numbers only. Last line:
// one JSON object.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/crypto/digest.h>
#include <inkan/crypto/keys.h>
#include <inkan/pki/certificate.h>
#include <inkan/sign/software_signer.h>
#include <inkan/testing/process.h>
#include <inkan/xades/xades.h>
#include <inkan/xades/xml.h>

using namespace inkan;
using Clock_ = std::chrono::steady_clock;

namespace {

std::string document(std::size_t bytes) {
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Records xmlns=\"urn:x-records\">\n";
    const std::string record =
        "  <Record n=\"番号\"><Name>山田 太郎</Name><Note>請求 &amp; 支払 <![CDATA[<ok>]]></Note></Record>\n";
    out.reserve(bytes + record.size() + 16);
    while (out.size() < bytes)
        out += record;
    out += "</Records>\n";
    return out;
}

template <class F>
double best_seconds(int runs, F&& f) {
    double best = 1e300;
    for (int i = 0; i < runs; ++i) {
        const auto t0 = Clock_::now();
        f();
        best = std::min(best, std::chrono::duration<double>(Clock_::now() - t0).count());
    }
    return best;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::size_t> sizes{1, 10, 100};
    int runs = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--runs") {
            runs = std::max(1, std::atoi(argv[i + 1]));
        } else if (a == "--sizes") {
            sizes.clear();
            std::stringstream ss{argv[i + 1]};
            std::string part;
            while (std::getline(ss, part, ','))
                sizes.push_back(static_cast<std::size_t>(std::stoul(part)));
        }
    }
    testing::TempDir dir{"inkan-xades-bench"};
    const auto made = testing::run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=bench",
                                    "-keyout", (dir / "k.pem").string(), "-out", (dir / "c.pem").string()});
    if (made.exit_code != 0) {
        std::fprintf(stderr, "openssl req failed: %s\n", made.err.c_str());
        return 1;
    }
    sign::SoftwareSigner signer{
        crypto::PrivateKey::from_pem(to_string(testing::read_file(dir / "k.pem"))),
        {pki::Certificate::from_pem(to_string(testing::read_file(dir / "c.pem"))).der()}};
    xades::XadesOptions options;
    options.limits.max_bytes = std::size_t{1} << 30;

    std::printf("%8s %12s %12s %12s %10s %10s\n", "MB", "sha256 s", "c14n s", "sign s", "sign/sha",
                "sign/c14n");
    std::string json = "{\"bench\":\"xades\",\"results\":[";
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        const std::string doc = document(sizes[i] << 20);
        const ByteView bytes = as_bytes(doc);
        const double sha =
            best_seconds(runs, [&] { (void)crypto::digest(crypto::DigestAlgorithm::Sha256, bytes); });
        const double c14n = best_seconds(
            runs, [&] { (void)xades::canonicalize(bytes, xades::C14n::Exclusive10, options.limits); });
        const double sig = best_seconds(runs, [&] {
            (void)xades::sign_xades(xades::XadesContent::enveloped(to_bytes(bytes)), signer, options);
        });
        std::printf("%8zu %12.3f %12.3f %12.3f %10.1f %10.2f\n", sizes[i], sha, c14n, sig, sig / sha,
                    sig / c14n);
        char row[200];
        std::snprintf(row, sizeof row, "%s{\"mb\":%zu,\"sha256_s\":%.4f,\"c14n_s\":%.4f,\"sign_s\":%.4f}",
                      i == 0 ? "" : ",", sizes[i], sha, c14n, sig);
        json += row;
    }
    json += "]}";
    std::printf("%s\n", json.c_str());
    return 0;
}
