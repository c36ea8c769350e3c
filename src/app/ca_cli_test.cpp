// Functional tests of the PKI through the real binary: what `inkan init` creates and what the
// `inkan ca` commands do, judged by the openssl CLI.

#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/testing/process.h>

#include "e2e_support.h"

namespace fs = std::filesystem;
using inkan::e2e::run_inkan;
using inkan::testing::CommandResult;
using inkan::testing::run;
using inkan::testing::TempDir;

namespace {

class InitializedPki : public ::testing::Test {
protected:
    void SetUp() override {
        const auto r = run_inkan({"init", "--data", data.string(), "--json"});
        ASSERT_EQ(r.exit_code, 0) << describe(r);
        init = nlohmann::json::parse(r.out);
        // The issuing CA's own certificate (first in its chain file), for openssl ocsp -issuer.
        const auto chain = inkan::testing::read_file(pki / "issuing-ca-chain.pem");
        const std::string text(chain.begin(), chain.end());
        const auto end = text.find("-----END CERTIFICATE-----");
        inkan::testing::write_file(tmp / "issuing.pem", text.substr(0, end + 26));
    }

    std::vector<std::string> args(std::vector<std::string> a) const {
        a.push_back("--data");
        a.push_back(data.string());
        return a;
    }

    /// Issues a person certificate for a fresh openssl key; returns the leaf's PEM path and serial.
    std::pair<fs::path, std::string> issue_person() {
        const auto csr = tmp / "ee.csr";
        const auto req = run({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                              "ec_paramgen_curve:P-256", "-nodes", "-keyout", (tmp / "ee.key").string(),
                              "-utf8", "-subj", "/CN=山田 太郎/GN=太郎/SN=山田/C=JP", "-out", csr.string()});
        EXPECT_EQ(req.exit_code, 0) << describe(req);
        const auto issued = run_inkan(args({"ca", "issue", "--profile", "person", "--csr", csr.string(), "-o",
                                            (tmp / "ee-chain.pem").string()}));
        EXPECT_EQ(issued.exit_code, 0) << describe(issued);
        const auto leaf = run(
            {"openssl", "x509", "-in", (tmp / "ee-chain.pem").string(), "-out", (tmp / "ee.pem").string()});
        EXPECT_EQ(leaf.exit_code, 0) << describe(leaf);
        const auto serial = run({"openssl", "x509", "-in", (tmp / "ee.pem").string(), "-noout", "-serial"});
        EXPECT_EQ(serial.exit_code, 0) << describe(serial);
        std::string s = serial.out.substr(serial.out.find('=') + 1);
        s.erase(s.find_last_not_of("\n\r") + 1);
        return {tmp / "ee.pem", s};
    }

    /// Asks inkan's OCSP responder about ee.pem; returns openssl's reading of the answer.
    CommandResult ocsp_status(const fs::path& ee) {
        const auto req = tmp / "req.der";
        const auto resp = tmp / "resp.der";
        const auto make = run({"openssl", "ocsp", "-issuer", (tmp / "issuing.pem").string(), "-cert",
                               ee.string(), "-reqout", req.string()});
        EXPECT_EQ(make.exit_code, 0) << describe(make);
        // --force: asked again after a revocation, the answer replaces the earlier one (decision 0040).
        const auto answer =
            run_inkan(args({"ca", "ocsp", "--in", req.string(), "-o", resp.string(), "--force"}));
        EXPECT_EQ(answer.exit_code, 0) << describe(answer);
        // With -reqin the nonce of that request is checked against the response (no -no_nonce).
        const auto verify = run({"openssl", "ocsp", "-respin", resp.string(), "-reqin", req.string(),
                                 "-CAfile", (pki / "root-ca.pem").string()});
        EXPECT_EQ(verify.exit_code, 0) << describe(verify);
        EXPECT_NE((verify.out + verify.err).find("Response verify OK"), std::string::npos)
            << describe(verify);
        EXPECT_EQ((verify.out + verify.err).find("WARNING"), std::string::npos) << describe(verify);
        return run({"openssl", "ocsp", "-respin", resp.string(), "-CAfile", (pki / "root-ca.pem").string(),
                    "-issuer", (tmp / "issuing.pem").string(), "-cert", ee.string(), "-no_nonce"});
    }

    TempDir tmp{"inkan-ca-cli"};
    fs::path data = tmp / "data";
    fs::path pki = data / "pki";
    nlohmann::json init;
};

}  // namespace

TEST_F(InitializedPki, OpensslVerifiesTheTsaOcspTlsAndSealCertificatesAgainstTheRoot) {
    for (const char* chain : {"tsa-chain.pem", "ocsp-chain.pem", "tls-chain.pem", "seal-chain.pem"}) {
        const auto r = run({"openssl", "verify", "-CAfile", (pki / "root-ca.pem").string(), "-untrusted",
                            (pki / "issuing-ca-chain.pem").string(), (pki / chain).string()});
        EXPECT_EQ(r.exit_code, 0) << chain << "\n" << describe(r);
        EXPECT_NE(r.out.find(": OK"), std::string::npos) << chain << "\n" << describe(r);
    }
}

TEST_F(InitializedPki, InitJsonNamesTheRootAsTrustAnchor) {
    ASSERT_TRUE(init.contains("trust_anchor")) << init.dump();
    const fs::path anchor = init["trust_anchor"].get<std::string>();
    EXPECT_EQ(anchor, pki / "root-ca.pem") << init.dump();
    const auto r = run({"openssl", "x509", "-in", anchor.string(), "-noout", "-subject", "-issuer"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("subject=C = JP, O = inkan, CN = inkan Development Root CA"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("issuer=C = JP, O = inkan, CN = inkan Development Root CA"), std::string::npos)
        << r.out;
}

TEST_F(InitializedPki, TheTlsCertificateNamesLocalhostAndTheLoopbackAddress) {
    const auto r = run({"openssl", "x509", "-in", (pki / "tls-chain.pem").string(), "-noout", "-ext",
                        "subjectAltName,extendedKeyUsage"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("DNS:localhost"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("IP Address:127.0.0.1"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("TLS Web Server Authentication"), std::string::npos) << r.out;
}

TEST_F(InitializedPki, EveryPrivateKeyIsSensitiveAndNeverExtractable) {
    const auto r = run_inkan(args({"hsm", "keys", "--json"}));
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    int private_keys = 0;
    for (const auto& k : nlohmann::json::parse(r.out)) {
        if (k["class"] == "private-key") {
            ++private_keys;
            EXPECT_EQ(k["sensitive"], true) << k.dump();
            EXPECT_EQ(k["extractable"], false) << k.dump();
            EXPECT_EQ(k["never_extractable"], true) << k.dump();
        }
    }
    // Root CA, issuing CA, TSA, OCSP responder, TLS, the service's seal, and the demo credential's key.
    EXPECT_EQ(private_keys, 7) << r.out;
}

TEST_F(InitializedPki, CaListShowsTheBuiltinAndManualCas) {
    const auto r = run_inkan(args({"ca", "list", "--json"}));
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const auto cas = nlohmann::json::parse(r.out);
    std::map<std::string, std::string> kinds;
    for (const auto& c : cas) {
        kinds[c["name"].get<std::string>()] = c["kind"].get<std::string>();
    }
    EXPECT_EQ(kinds["inkan-root"], "builtin") << r.out;
    EXPECT_EQ(kinds["inkan-issuing"], "builtin") << r.out;
    EXPECT_EQ(kinds["manual"], "manual") << r.out;
}

TEST_F(InitializedPki, AnIssuedCertificateChainsToTheRootAndKeepsItsJapaneseName) {
    const auto [ee, serial] = issue_person();
    const auto v = run({"openssl", "verify", "-CAfile", (pki / "root-ca.pem").string(), "-untrusted",
                        (pki / "issuing-ca-chain.pem").string(), ee.string()});
    EXPECT_EQ(v.exit_code, 0) << describe(v);
    const auto s =
        run({"openssl", "x509", "-in", ee.string(), "-noout", "-subject", "-nameopt", "utf8,-esc_msb"});
    EXPECT_NE(s.out.find("CN=山田 太郎"), std::string::npos) << describe(s);
    const auto t = run({"openssl", "x509", "-in", ee.string(), "-noout", "-text"});
    EXPECT_NE(t.out.find("Digital Signature, Non Repudiation"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("OCSP - URI:http://127.0.0.1:8080/ocsp"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("URI:http://127.0.0.1:8080/crl/inkan-issuing.crl"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("CA Issuers - URI:http://127.0.0.1:8080/ca/inkan-issuing.crt"), std::string::npos)
        << t.out;
}

TEST_F(InitializedPki, RevocationShowsUpInTheCrlAndInTheOcspAnswer) {
    const auto [ee, serial] = issue_person();
    const auto good = ocsp_status(ee);
    EXPECT_NE(good.out.find(": good"), std::string::npos) << describe(good);

    const auto revoke = run_inkan(args({"ca", "revoke", serial, "--reason", "keyCompromise"}));
    ASSERT_EQ(revoke.exit_code, 0) << describe(revoke);

    const auto crl = tmp / "issuing.crl";
    const auto c = run_inkan(args({"ca", "crl", "-o", crl.string()}));
    ASSERT_EQ(c.exit_code, 0) << describe(c);
    const auto cv = run({"openssl", "crl", "-in", crl.string(), "-inform", "DER", "-CAfile",
                         (pki / "issuing-ca-chain.pem").string(), "-noout", "-verify"});
    EXPECT_EQ(cv.exit_code, 0) << describe(cv);
    EXPECT_NE((cv.out + cv.err).find("verify OK"), std::string::npos) << describe(cv);
    const auto text = run({"openssl", "crl", "-in", crl.string(), "-inform", "DER", "-noout", "-text"});
    EXPECT_NE(text.out.find("Serial Number: " + serial), std::string::npos) << serial << "\n" << text.out;
    EXPECT_NE(text.out.find("Key Compromise"), std::string::npos) << text.out;

    const auto revoked = ocsp_status(ee);
    EXPECT_NE(revoked.out.find(": revoked"), std::string::npos) << describe(revoked);
    EXPECT_NE(revoked.out.find("Reason: keyCompromise"), std::string::npos) << describe(revoked);

    const auto again = run_inkan(args({"ca", "revoke", serial, "--reason", "superseded"}));
    EXPECT_EQ(again.exit_code, 1) << describe(again);
    EXPECT_NE(again.err.find("conflict"), std::string::npos) << describe(again);
}

TEST_F(InitializedPki, AWeakKeyIsRefusedByTheProfile) {
    const auto csr = tmp / "weak.csr";
    const auto req =
        run({"openssl", "req", "-new", "-newkey", "rsa:1024", "-nodes", "-keyout",
             (tmp / "weak.key").string(), "-subj", "/CN=Weak/GN=W/SN=K/C=JP", "-out", csr.string()});
    ASSERT_EQ(req.exit_code, 0) << describe(req);
    const auto r = run_inkan(args({"ca", "issue", "--profile", "person", "--csr", csr.string()}));
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("2048"), std::string::npos) << describe(r);
    EXPECT_EQ(r.out.find("BEGIN CERTIFICATE"), std::string::npos) << describe(r);
}

TEST_F(InitializedPki, OcspForAnUnknownIssuerIsUnauthorizedAndGarbageIsMalformed) {
    const auto garbage = run_inkan(args({"ca", "ocsp"}), "this is not DER");
    ASSERT_EQ(garbage.exit_code, 0) << describe(garbage);
    inkan::testing::write_file(tmp / "garbage-resp.der", std::string_view{garbage.out});
    const auto g =
        run({"openssl", "ocsp", "-respin", (tmp / "garbage-resp.der").string(), "-resp_text", "-noverify"});
    EXPECT_NE((g.out + g.err).find("malformedrequest"), std::string::npos) << describe(g);
}
