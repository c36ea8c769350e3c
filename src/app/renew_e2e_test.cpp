// Renewal of the service's certificates and of a credential against a real `inkan serve` (issue 26,
// decision 0037). `inkan ca renew tsa|ocsp|tls` runs beside the serving process, SIGHUP switches it
// without a restart (same pid, it keeps serving), and outside tools judge the result: `openssl ts -verify`
// (a new token only with the new TSA certificate, an old token with the old one fetched from
// /tsa/certificates.pem), `openssl ocsp` (a response signed by the new responder), `openssl s_client`
// (the new TLS serial). `inkan credential renew` gives a new credential whose signHash signatures
// `openssl pkeyutl` verifies against the new certificate, while the old certificate still verifies the
// old signature. Refusals (unknown kind, unknown ID, HSM missing, CA refusal after the key was made)
// leave inkan.toml, the PKI files and the HSM as they were.

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/core/clock.h>
#include <inkan/core/encoding.h>
#include <inkan/service/secrets.h>
#include <inkan/testing/process.h>

#include "e2e_support.h"

namespace fs = std::filesystem;
using inkan::Bytes;
using inkan::e2e::curl_status;
using inkan::e2e::HttpResult;
using inkan::e2e::kEcdsaSha256;
using inkan::e2e::sha256;
using inkan::e2e::start_serve;
using inkan::testing::run;
using inkan::testing::TempDir;
using nlohmann::json;

namespace {

std::string slurp(const fs::path& file) {
    std::ifstream in{file, std::ios::binary};
    return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

/// The serial of the first certificate of a PEM file, as `openssl x509 -serial` prints it (upper-case hex).
std::string openssl_serial(const fs::path& pem) {
    const auto r = run({"openssl", "x509", "-noout", "-serial", "-in", pem.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    const auto eq = r.out.find('=');
    return eq == std::string::npos ? std::string{} : r.out.substr(eq + 1, r.out.find('\n') - eq - 1);
}

std::string upper(std::string s) {
    for (auto& c : s) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return s;
}

/// The value of the sample with exactly these labels, or NaN.
double sample(const std::string& exposition, const std::string& name_and_labels) {
    std::istringstream in{exposition};
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(name_and_labels + " ", 0) == 0) {
            return std::stod(line.substr(name_and_labels.size() + 1));
        }
    }
    return std::nan("");
}

/// Every PEM certificate block of `text`, in order.
std::vector<std::string> pem_blocks(const std::string& text) {
    std::vector<std::string> out;
    for (std::size_t at = 0;;) {
        const auto begin = text.find("-----BEGIN CERTIFICATE-----", at);
        if (begin == std::string::npos) {
            return out;
        }
        const std::string end_marker = "-----END CERTIFICATE-----";
        const auto end = text.find(end_marker, begin);
        if (end == std::string::npos) {
            return out;
        }
        out.push_back(text.substr(begin, end + end_marker.size() - begin) + "\n");
        at = end + end_marker.size();
    }
}

class RenewE2e : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_tmp = std::make_unique<TempDir>("inkan-renew-e2e");
        s_data = s_tmp->path() / "data";
        const auto init = run({INKAN_BIN, "init", "--data", s_data.string(), "--json"});
        ASSERT_EQ(init.exit_code, 0) << describe(init);
        s_init = json::parse(init.out);
        s_line = start_serve(s_server, s_data);
    }
    static void TearDownTestSuite() {
        if (s_server) {
            EXPECT_EQ(s_server->terminate(), 0) << s_server->stderr_text();
        }
        s_server.reset();
        s_tmp.reset();
    }

    static fs::path file(const std::string& name) { return s_tmp->path() / name; }
    static fs::path pki(const std::string& name) { return s_data / "pki" / name; }
    static std::string root() { return s_init["trust_anchor"].get<std::string>(); }
    static std::string url(const char* key) { return s_line[key].get<std::string>(); }
    static std::string demo(const char* field) { return s_init["demo"][field].get<std::string>(); }

    static json inkan_json(std::vector<std::string> args) {
        args.insert(args.begin(), INKAN_BIN);
        args.insert(args.end(), {"--data", s_data.string(), "--json"});
        const auto r = run(args);
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        return r.exit_code == 0 ? json::parse(r.out) : json{};
    }

    /// SIGHUP to the server and its "reloaded" line.
    static json hangup() {
        EXPECT_EQ(::kill(s_server->pid(), SIGHUP), 0);
        const json line = json::parse(s_server->read_line(std::chrono::seconds{60}));
        EXPECT_EQ(line["event"], "reloaded") << line.dump();
        EXPECT_EQ(line["ok"], true) << line.dump() << "\n" << s_server->stderr_text();
        return line;
    }

    /// A time-stamp request over `data` without certReq (the token then names its signer only by
    /// ESSCertIDv2: a relying party needs the TSA certificate from elsewhere), answered by /tsa.
    static void timestamp(const std::string& name, const std::string& data) {
        inkan::testing::write_file(file(name + ".txt"), data);
        const auto q = run({"openssl", "ts", "-query", "-data", file(name + ".txt").string(), "-sha256",
                            "-out", file(name + ".tsq").string()});
        ASSERT_EQ(q.exit_code, 0) << describe(q);
        const auto r =
            run({"curl", "-sS", "--max-time", "30", "-H", "Content-Type: application/timestamp-query",
                 "--data-binary", "@" + file(name + ".tsq").string(), "-o", file(name + ".tsr").string(),
                 url("tsa_url")});
        ASSERT_EQ(r.exit_code, 0) << describe(r);
    }

    /// `openssl ts -verify` of a token against the root, with `untrusted` (the TSA certificate and the
    /// issuing CA) as the only other certificates it may use.
    static inkan::testing::CommandResult ts_verify(const std::string& name, const fs::path& untrusted) {
        return run({"openssl", "ts", "-verify", "-in", file(name + ".tsr").string(), "-queryfile",
                    file(name + ".tsq").string(), "-CAfile", root(), "-untrusted", untrusted.string()});
    }

    /// `leaf` (PEM text) followed by the issuing CA chain, in a file.
    static fs::path with_issuing(const std::string& name, const std::string& leaf) {
        const fs::path out = file(name);
        inkan::testing::write_file(out, leaf + slurp(pki("issuing-ca-chain.pem")));
        return out;
    }

    /// How many audit entries have this action (the chain verifying first).
    static std::size_t audited(const std::string& action) {
        const auto verify = run({INKAN_BIN, "audit", "verify", "--data", s_data.string()});
        EXPECT_EQ(verify.exit_code, 0) << describe(verify);
        const auto exported =
            run({INKAN_BIN, "audit", "export", "--format", "csv", "--data", s_data.string()});
        EXPECT_EQ(exported.exit_code, 0) << describe(exported);
        std::size_t n = 0;
        for (std::size_t at = exported.out.find("," + action + ","); at != std::string::npos;
             at = exported.out.find("," + action + ",", at + 1)) {
            ++n;
        }
        return n;
    }

    static HttpResult post(const std::string& path, const json& body, const std::string& token) {
        return curl_status(
            s_init["tls_ca"].get<std::string>(), "30",
            {"-X", "POST", "-H", "Content-Type: application/json", "-H", "Authorization: Bearer " + token,
             "--data-binary", body.dump(), url("api_url") + path});
    }

    static inline std::unique_ptr<TempDir> s_tmp;
    static inline fs::path s_data;
    static inline json s_init;
    static inline json s_line;
    static inline std::unique_ptr<inkan::testing::Process> s_server;
};

TEST_F(RenewE2e, TsaRenewedAndSwitchedOnSighupOldTokensVerifyWithThePublishedOldCertificate) {
    const fs::path old_chain = pki("tsa-chain.pem");
    const std::string old_serial = openssl_serial(old_chain);
    timestamp("before", "signed before the renewal");
    ASSERT_EQ(ts_verify("before", old_chain).exit_code, 0);

    const std::size_t renewals = audited("ca.renew");
    const std::size_t reloads = audited("serve.reload");
    const json renewed = inkan_json({"ca", "renew", "tsa", "--days", "100"});
    EXPECT_EQ(audited("ca.renew"), renewals + 1);
    ASSERT_TRUE(renewed.contains("new_serial")) << renewed.dump();
    EXPECT_EQ(upper(renewed["old_serial"].get<std::string>()), old_serial);
    const fs::path new_chain = renewed["certificate"].get<std::string>();
    EXPECT_EQ(upper(renewed["new_serial"].get<std::string>()), openssl_serial(new_chain));
    EXPECT_TRUE(fs::exists(old_chain)) << "the old certificate file is kept";
    // The new certificate: critical EKU timeStamping only (RFC 3161 §2.3), chaining to the root.
    const auto text = run({"openssl", "x509", "-noout", "-text", "-in", new_chain.string()});
    EXPECT_NE(text.out.find("X509v3 Extended Key Usage: critical\n                Time Stamping"),
              std::string::npos)
        << text.out;
    const auto chain_ok =
        run({"openssl", "verify", "-CAfile", root(), "-untrusted", pki("issuing-ca-chain.pem").string(),
             "-purpose", "timestampsign", new_chain.string()});
    EXPECT_EQ(chain_ok.exit_code, 0) << describe(chain_ok);

    // Until SIGHUP the server still signs with the old key.
    timestamp("between", "before the reload");
    EXPECT_EQ(ts_verify("between", old_chain).exit_code, 0) << "the server switched before SIGHUP";

    const json reloaded = hangup();
    EXPECT_EQ(upper(reloaded["tsa"].get<std::string>()), openssl_serial(new_chain)) << reloaded.dump();
    EXPECT_EQ(audited("serve.reload"), reloads + 1);

    // A new token verifies with the new certificate only.
    timestamp("after", "signed after the renewal");
    const auto new_ok = ts_verify("after", new_chain);
    EXPECT_EQ(new_ok.exit_code, 0) << describe(new_ok);
    EXPECT_NE(ts_verify("after", old_chain).exit_code, 0) << "a new token verified with the old certificate";
    EXPECT_NE(ts_verify("before", new_chain).exit_code, 0)
        << "an old token verified with the new certificate";

    // Both certificates are published; the old token verifies against the published old one.
    const auto published =
        run({"curl", "-sS", "--max-time", "30", "-D", "-", url("pki_url") + "/tsa/certificates.pem"});
    ASSERT_EQ(published.exit_code, 0) << describe(published);
    EXPECT_NE(published.out.find("application/pem-certificate-chain"), std::string::npos) << published.out;
    const auto blocks = pem_blocks(published.out);
    ASSERT_EQ(blocks.size(), 2U) << published.out;
    std::string published_old;
    std::vector<std::string> serials;
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        const fs::path one = file("published-" + std::to_string(i) + ".pem");
        inkan::testing::write_file(one, blocks[i]);
        serials.push_back(openssl_serial(one));
        if (serials.back() == old_serial) {
            published_old = blocks[i];
        }
    }
    EXPECT_NE(std::find(serials.begin(), serials.end(), openssl_serial(new_chain)), serials.end());
    ASSERT_FALSE(published_old.empty()) << "the old TSA certificate is not published";
    const auto old_ok = ts_verify("before", with_issuing("published-old-chain.pem", published_old));
    EXPECT_EQ(old_ok.exit_code, 0) << describe(old_ok);

    // /metrics and `inkan status` report the new certificate (100 days) after the reload.
    const auto m = run({"curl", "-sS", "--max-time", "20", url("metrics_url")});
    ASSERT_EQ(m.exit_code, 0) << describe(m);
    const double days =
        sample(m.out, R"(inkan_certificate_expiry_seconds{role="tsa",name="default"})") / 86400.0;
    EXPECT_NEAR(days, 100.0, 0.1) << m.out;
    const json status = inkan_json({"status"});
    bool found = false;
    for (const auto& c : status["certificates"]) {
        if (c["role"] == "tsa" && c["name"] == "default") {
            found = true;
            EXPECT_NEAR(c["days_left"].get<double>(), 100.0, 0.1) << c.dump();
        }
    }
    EXPECT_TRUE(found) << status.dump();
}

TEST_F(RenewE2e, OcspResponderRenewedAndSwitchedOnSighupResponsesVerifyWithTheNewSigner) {
    const std::string old_serial = openssl_serial(pki("ocsp-chain.pem"));
    const json renewed = inkan_json({"ca", "renew", "ocsp"});
    ASSERT_TRUE(renewed.contains("new_serial")) << renewed.dump();
    const fs::path new_chain = renewed["certificate"].get<std::string>();
    const std::string new_serial = openssl_serial(new_chain);
    EXPECT_NE(new_serial, old_serial);
    const auto text = run({"openssl", "x509", "-noout", "-text", "-in", new_chain.string()});
    EXPECT_NE(text.out.find("OCSP Signing"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("OCSP No Check"), std::string::npos) << text.out;

    const json reloaded = hangup();
    EXPECT_EQ(upper(reloaded["ocsp"].get<std::string>()), new_serial) << reloaded.dump();

    // Ask about the TLS certificate (issued by the issuing CA, which the responder answers for).
    const fs::path issuing = file("issuing.pem");
    inkan::testing::write_file(issuing, pem_blocks(slurp(pki("issuing-ca-chain.pem"))).front());
    const fs::path subject = file("tls-leaf.pem");
    inkan::testing::write_file(subject, pem_blocks(slurp(pki("tls-chain.pem"))).front());
    const auto r = run({"openssl", "ocsp", "-issuer", issuing.string(), "-cert", subject.string(), "-url",
                        url("pki_url") + "/ocsp", "-CAfile", root(), "-resp_text"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE((r.out + r.err).find("Response verify OK"), std::string::npos) << describe(r);
    EXPECT_NE(r.out.find(": good"), std::string::npos) << r.out;
    // The responder certificate in the response is the new one.
    const auto certs = pem_blocks(r.out);
    ASSERT_FALSE(certs.empty()) << r.out;
    const fs::path responder = file("responder.pem");
    inkan::testing::write_file(responder, certs.front());
    EXPECT_EQ(openssl_serial(responder), new_serial);
}

TEST_F(RenewE2e, TlsRenewedAndNewHandshakesGetTheNewCertificateWithoutARestart) {
    const std::string api = url("api_url");
    const std::string hostport = api.substr(std::string{"https://"}.size());
    const auto served_serial = [&] {
        const auto r =
            run({"sh", "-c",
                 "openssl s_client -connect " + hostport + " -CAfile " + root() +
                     " -verify_return_error </dev/null 2>/dev/null | openssl x509 -noout -serial"});
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        return r.out.substr(r.out.find('=') + 1, r.out.find('\n') - r.out.find('=') - 1);
    };
    const std::string before = served_serial();
    EXPECT_EQ(before, openssl_serial(pki("tls-chain.pem")));

    const json renewed = inkan_json({"ca", "renew", "tls"});
    ASSERT_TRUE(renewed.contains("new_serial")) << renewed.dump();
    const fs::path new_chain = renewed["certificate"].get<std::string>();
    // The same subjectAltNames as before.
    const auto sans = run({"openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", new_chain.string()});
    EXPECT_NE(sans.out.find("DNS:localhost"), std::string::npos) << sans.out;
    EXPECT_NE(sans.out.find("IP Address:127.0.0.1"), std::string::npos) << sans.out;
    EXPECT_EQ(served_serial(), before) << "the listener switched before SIGHUP";

    const int pid = s_server->pid();
    const json reloaded = hangup();
    EXPECT_EQ(upper(reloaded["tls"].get<std::string>()), openssl_serial(new_chain)) << reloaded.dump();
    EXPECT_EQ(served_serial(), openssl_serial(new_chain));
    EXPECT_EQ(s_server->pid(), pid);
    // Still serving, over the new certificate (curl verifies it against the root and the name).
    const auto info = curl_status(root(), "30", {"-X", "POST", "--data-binary", "{}", api + "/csc/v1/info"});
    EXPECT_EQ(info.status, 200) << info.raw;
}

TEST_F(RenewE2e, CredentialRenewedNewSignaturesVerifyWithTheNewCertificateOldOnesWithTheOld) {
    const std::string old_id = demo("credential_id");
    const auto login = [&] {
        const auto r = curl_status(s_init["tls_ca"].get<std::string>(), "30",
                                   {"-X", "POST", "-u", demo("user") + ":" + demo("password"),
                                    "--data-binary", "{}", url("api_url") + "/csc/v1/auth/login"});
        EXPECT_EQ(r.status, 200) << r.raw;
        return json::parse(r.body)["access_token"].get<std::string>();
    };
    const auto totp = [](int ahead) {
        const Bytes seed = inkan::base32_decode(demo("totp_secret"));
        return inkan::service::totp_code(
            seed, inkan::SystemClock::instance().now() + std::chrono::seconds{30 * ahead});
    };
    const auto sign = [&](const std::string& token, const std::string& credential, const Bytes& hash,
                          int ahead) -> HttpResult {
        const json hashes = {inkan::base64_encode(hash)};
        const auto auth = post("/csc/v1/credentials/authorize",
                               {{"credentialID", credential},
                                {"numSignatures", 1},
                                {"hash", hashes},
                                {"PIN", demo("pin")},
                                {"OTP", totp(ahead)}},
                               token);
        if (auth.status != 200) {
            return auth;
        }
        return post("/csc/v1/signatures/signHash",
                    {{"credentialID", credential},
                     {"SAD", json::parse(auth.body)["SAD"]},
                     {"hash", hashes},
                     {"signAlgo", kEcdsaSha256}},
                    token);
    };
    const auto certificate = [&](const std::string& token, const std::string& credential,
                                 const std::string& name) {
        const auto r = post("/csc/v1/credentials/info", {{"credentialID", credential}}, token);
        EXPECT_EQ(r.status, 200) << r.raw;
        const json info = json::parse(r.body);
        inkan::testing::write_file(file(name + ".der"),
                                   inkan::base64_decode(info["cert"]["certificates"][0].get<std::string>()));
        const auto conv = run({"openssl", "x509", "-inform", "DER", "-in", file(name + ".der").string(),
                               "-out", file(name + ".pem").string()});
        EXPECT_EQ(conv.exit_code, 0) << describe(conv);
        return info;
    };
    const auto verifies = [&](const std::string& cert, const Bytes& digest,
                              const std::string& signature_b64) {
        inkan::testing::write_file(file("digest.bin"), digest);
        inkan::testing::write_file(file("sig.bin"), inkan::base64_decode(signature_b64));
        const auto r = run({"openssl", "pkeyutl", "-verify", "-certin", "-inkey",
                            file(cert + ".pem").string(), "-in", file("digest.bin").string(), "-sigfile",
                            file("sig.bin").string(), "-pkeyopt", "digest:sha256"});
        return r.exit_code == 0 && r.out.find("Signature Verified Successfully") != std::string::npos;
    };

    const std::string token = login();
    const Bytes old_hash = sha256("signed with the old key");
    const auto old_signed = sign(token, old_id, old_hash, 0);
    ASSERT_EQ(old_signed.status, 200) << old_signed.raw;
    const std::string old_signature = json::parse(old_signed.body)["signatures"][0].get<std::string>();
    (void)certificate(token, old_id, "old-cert");

    const std::size_t renewals = audited("credential.renew");
    const json renewed = inkan_json({"credential", "renew", old_id});
    EXPECT_EQ(audited("credential.renew"), renewals + 1);
    ASSERT_TRUE(renewed.contains("credential")) << renewed.dump();
    const std::string new_id = renewed["credential"].get<std::string>();
    EXPECT_NE(new_id, old_id);
    EXPECT_EQ(renewed["renewal_of"], old_id);

    // The old credential: listed as renewed, its key disabled, its certificate valid (not revoked).
    const json old_info = certificate(token, old_id, "old-cert-after");
    EXPECT_EQ(old_info["key"]["status"], "disabled") << old_info.dump();
    EXPECT_EQ(old_info["cert"]["status"], "valid") << old_info.dump();
    EXPECT_EQ(slurp(file("old-cert-after.pem")), slurp(file("old-cert.pem")));
    const json shown = inkan_json({"credential", "show", old_id});
    EXPECT_EQ(shown["renewed_to"], new_id) << shown.dump();
    EXPECT_EQ(shown["status"], "disabled") << shown.dump();

    // The old ID signs no more (a CSC client that cached it gets a clear refusal, not a wrong signature).
    const auto refused = sign(token, old_id, sha256("refused"), 1);
    EXPECT_EQ(refused.status, 400) << refused.raw;

    // The new credential signs with the new key, same user, PIN and OTP device.
    const json new_info = certificate(token, new_id, "new-cert");
    EXPECT_EQ(new_info["key"]["status"], "enabled") << new_info.dump();
    const Bytes new_hash = sha256("signed with the new key");
    const auto new_signed = sign(token, new_id, new_hash, 1);
    ASSERT_EQ(new_signed.status, 200) << new_signed.raw;
    const std::string new_signature = json::parse(new_signed.body)["signatures"][0].get<std::string>();
    EXPECT_TRUE(verifies("new-cert", new_hash, new_signature))
        << "the new signature against the new certificate";
    EXPECT_FALSE(verifies("old-cert", new_hash, new_signature))
        << "the new signature against the old certificate";
    EXPECT_TRUE(verifies("old-cert", old_hash, old_signature))
        << "the old signature against the old certificate";
    EXPECT_NE(openssl_serial(file("new-cert.pem")), openssl_serial(file("old-cert.pem")));
    const auto chain = run({"openssl", "verify", "-CAfile", root(), "-untrusted",
                            pki("issuing-ca-chain.pem").string(), file("new-cert.pem").string()});
    EXPECT_EQ(chain.exit_code, 0) << describe(chain);
    const auto subjects =
        run({"sh", "-c",
             "openssl x509 -noout -subject -nameopt RFC2253 -in " + file("old-cert.pem").string() +
                 " && openssl x509 -noout -subject -nameopt RFC2253 -in " + file("new-cert.pem").string()});
    const auto nl = subjects.out.find('\n');
    EXPECT_EQ(subjects.out.substr(0, nl + 1), subjects.out.substr(nl + 1)) << "the same subject";

    // A second renewal of the old one is refused.
    const auto again = run({INKAN_BIN, "credential", "renew", old_id, "--data", s_data.string()});
    EXPECT_NE(again.exit_code, 0) << describe(again);
}

TEST_F(RenewE2e, RefusalsChangeNeitherTheConfigurationNorThePkiFilesNorTheHsm) {
    // A profile that refuses the key renew would make: the CA refuses after the key was generated.
    {
        std::ofstream toml{s_data / "inkan.toml", std::ios::app};
        toml << "\n[profile.tsa]\nkey_types = [\"rsa\"]\n";
    }
    const std::string config = slurp(s_data / "inkan.toml");
    const auto list_pki = [] {
        std::vector<std::string> names;
        for (const auto& e : fs::directory_iterator{s_data / "pki"}) {
            names.push_back(e.path().filename().string());
        }
        std::sort(names.begin(), names.end());
        return names;
    };
    const auto pki_before = list_pki();
    // The token's objects, each as JSON text, sorted (SoftHSM lists them in no fixed order).
    const auto keys = [] {
        std::vector<std::string> out;
        for (const auto& k : inkan_json({"hsm", "keys"})) {
            out.push_back(k.dump());
        }
        std::sort(out.begin(), out.end());
        return out;
    };
    const auto keys_before = keys();
    ASSERT_FALSE(keys_before.empty());
    const std::size_t renewals = audited("ca.renew") + audited("credential.renew");

    const auto unknown_kind = run({INKAN_BIN, "ca", "renew", "crl", "--data", s_data.string()});
    EXPECT_EQ(unknown_kind.exit_code, 2) << describe(unknown_kind);
    EXPECT_NE(unknown_kind.err.find("unknown certificate kind 'crl'"), std::string::npos)
        << describe(unknown_kind);
    const auto unknown_id =
        run({INKAN_BIN, "credential", "renew", "no-such-credential", "--data", s_data.string()});
    EXPECT_NE(unknown_id.exit_code, 0) << describe(unknown_id);
    EXPECT_NE(unknown_id.err.find("no credential no-such-credential"), std::string::npos)
        << describe(unknown_id);
    const auto no_hsm = run(
        {"env", "INKAN_HSM_TOKEN=no-such-token", INKAN_BIN, "ca", "renew", "tsa", "--data", s_data.string()});
    EXPECT_NE(no_hsm.exit_code, 0) << describe(no_hsm);
    const auto refused = run({INKAN_BIN, "ca", "renew", "tsa", "--data", s_data.string()});
    EXPECT_NE(refused.exit_code, 0) << describe(refused);
    EXPECT_NE(refused.err.find("EC keys are not allowed by this profile"), std::string::npos)
        << describe(refused);
    const auto overridden =
        run({"env", "INKAN_TLS_KEY_ID=00", INKAN_BIN, "ca", "renew", "tls", "--data", s_data.string()});
    EXPECT_NE(overridden.exit_code, 0) << describe(overridden);
    EXPECT_NE(overridden.err.find("INKAN_TLS_KEY_ID"), std::string::npos) << describe(overridden);

    EXPECT_EQ(slurp(s_data / "inkan.toml"), config) << "inkan.toml changed";
    EXPECT_EQ(list_pki(), pki_before) << "the PKI directory changed";
    EXPECT_EQ(keys(), keys_before) << "the HSM's objects changed";

    EXPECT_EQ(audited("ca.renew") + audited("credential.renew"), renewals) << "a refusal was audited as done";
}

}  // namespace
