#include "pki.h"

#include <openssl/pem.h>

#include <stdexcept>
#include <vector>

#include <inkan/testing/process.h>

namespace inkan::http::testing {

namespace fs = std::filesystem;
using inkan::testing::run;
using inkan::testing::write_file;

namespace {

void openssl(std::vector<std::string> args) {
    args.insert(args.begin(), "openssl");
    const auto r = run(args);
    if (r.exit_code != 0) {
        std::string cmd;
        for (const auto& a : args) {
            cmd += a + " ";
        }
        throw std::runtime_error{"openssl failed (" + std::to_string(r.exit_code) + "): " + cmd + "\n" +
                                 r.err};
    }
}

/// A new P-256 key and a CSR for `subject`.
void key_and_csr(const fs::path& key, const fs::path& csr, const std::string& subject) {
    openssl({"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
             key.string(), "-out", csr.string(), "-subj", subject});
}

void sign(const fs::path& csr, const fs::path& ca_cert, const fs::path& ca_key, const fs::path& out,
          const std::string& serial, const fs::path& ext) {
    openssl({"x509", "-req", "-in", csr.string(), "-CA", ca_cert.string(), "-CAkey", ca_key.string(),
             "-set_serial", serial, "-days", "2", "-sha256", "-extfile", ext.string(), "-out", out.string()});
}

void self_signed_ca(const fs::path& key, const fs::path& cert, const std::string& subject) {
    openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
             key.string(), "-out", cert.string(), "-days", "2", "-subj", subject, "-addext",
             "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"});
}

}  // namespace

TestPki::TestPki(const fs::path& dir) {
    const fs::path root_key = dir / "root.key";
    root_cert = dir / "root.pem";
    self_signed_ca(root_key, root_cert, "/CN=inkan test root CA");

    const fs::path ca_ext = dir / "ca.ext";
    write_file(ca_ext, std::string_view{"basicConstraints=critical,CA:TRUE,pathlen:0\n"
                                        "keyUsage=critical,keyCertSign,cRLSign\n"
                                        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"});
    const fs::path issuing_key = dir / "issuing.key";
    issuing_cert = dir / "issuing.pem";
    key_and_csr(issuing_key, dir / "issuing.csr", "/CN=inkan test issuing CA");
    sign(dir / "issuing.csr", root_cert, root_key, issuing_cert, "2", ca_ext);

    const fs::path server_ext = dir / "server.ext";
    write_file(server_ext, std::string_view{"basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                                            "extendedKeyUsage=serverAuth\n"
                                            "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                            "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"});
    server_key = dir / "server.key";
    server_cert = dir / "server.pem";
    key_and_csr(server_key, dir / "server.csr", "/CN=localhost");
    sign(dir / "server.csr", issuing_cert, issuing_key, server_cert, "3", server_ext);

    const fs::path client_ext = dir / "client.ext";
    write_file(client_ext, std::string_view{"basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                                            "extendedKeyUsage=clientAuth\n"
                                            "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"});
    client_key = dir / "client.key";
    client_cert = dir / "client.pem";
    key_and_csr(client_key, dir / "client.csr", "/CN=client-1/O=inkan tests");
    sign(dir / "client.csr", root_cert, root_key, client_cert, "4", client_ext);

    const fs::path rogue_key = dir / "rogue-ca.key";
    const fs::path rogue_cert = dir / "rogue-ca.pem";
    self_signed_ca(rogue_key, rogue_cert, "/CN=inkan test root CA");  // same name, other key
    rogue_client_key = dir / "rogue-client.key";
    rogue_client_cert = dir / "rogue-client.pem";
    key_and_csr(rogue_client_key, dir / "rogue-client.csr", "/CN=client-1/O=inkan tests");
    sign(dir / "rogue-client.csr", rogue_cert, rogue_key, rogue_client_cert, "4", client_ext);
}

std::string TestPki::server_chain_pem() const {
    return to_string(inkan::testing::read_file(server_cert)) +
           to_string(inkan::testing::read_file(issuing_cert));
}

ossl::PKey TestPki::server_private_key() const {
    const Bytes pem = inkan::testing::read_file(server_key);
    ossl::Bio bio{::BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
    ossl::PKey key{::PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)};
    if (!key) {
        throw std::runtime_error{"cannot read the server key"};
    }
    return key;
}

Bytes TestPki::client_cert_der() const {
    const auto r = run({"openssl", "x509", "-in", client_cert.string(), "-outform", "DER"});
    if (r.exit_code != 0) {
        throw std::runtime_error{"openssl x509 -outform DER failed: " + r.err};
    }
    return to_bytes(std::string_view{r.out});
}

}  // namespace inkan::http::testing
