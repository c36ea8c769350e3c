// CmpConnector against OpenSSL's own mock CMP server (`openssl cmp -port 0 -srv_* -rsp_*`),
// started by the test; the PKI (root, server, RA and end-entity certificates, CSRs) is made with the
// openssl CLI. Neither the server nor the test data come from inkan.

#include <inkan/pki/cmp_connector.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <thread>

#include <gtest/gtest.h>

#include <inkan/core/error.h>
#include <inkan/testing/process.h>

namespace inkan::pki {

namespace {

using namespace std::chrono_literals;
using inkan::testing::CommandResult;
using inkan::testing::read_file;
using inkan::testing::run;
using inkan::testing::TempDir;
namespace fs = std::filesystem;

constexpr std::string_view kSecret = "correct horse battery staple";
constexpr std::string_view kReference = "inkan-ra";

void openssl(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"openssl"};
    argv.insert(argv.end(), args.begin(), args.end());
    const CommandResult r = run(argv);
    ASSERT_EQ(r.exit_code, 0) << argv[1] << ": " << r.err;
}

/// The mock CA's PKI, made once for the whole suite.
struct Pki {
    TempDir dir{"inkan-cmp"};
    fs::path file(std::string_view name) const { return dir / name; }

    void make() {
        const auto f = [this](std::string_view n) { return file(n).string(); };
        const std::vector<std::string> ec{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"};
        const auto root = [&](std::string_view stem, std::string_view cn) {
            std::vector<std::string> a{"req", "-x509"};
            a.insert(a.end(), ec.begin(), ec.end());
            a.insert(a.end(), {"-keyout", f(std::string{stem} + ".key"), "-out",
                               f(std::string{stem} + ".crt"), "-subj", std::string{"/CN="} + std::string{cn},
                               "-days", "30", "-addext", "basicConstraints=critical,CA:true", "-addext",
                               "keyUsage=critical,keyCertSign,cRLSign"});
            openssl(a);
        };
        root("ca", "Mock Root CA");
        root("evil", "Someone Else's Root");
        // key + CSR (DER) + certificate from the mock root, for each party.
        const auto party = [&](std::string_view stem, std::string_view subj) {
            openssl({"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
                     f(std::string{stem} + ".key")});
            openssl({"req", "-new", "-key", f(std::string{stem} + ".key"), "-subj", std::string{subj},
                     "-outform", "DER", "-out", f(std::string{stem} + ".csr")});
            openssl({"x509", "-req", "-in", f(std::string{stem} + ".csr"), "-inform", "DER", "-CA",
                     f("ca.crt"), "-CAkey", f("ca.key"), "-CAcreateserial", "-days", "30", "-out",
                     f(std::string{stem} + ".crt")});
        };
        party("srv", "/CN=Mock CMP Server");
        party("ra", "/CN=inkan RA");
        party("ee", "/CN=Test Signer/O=inkan");  // the mock server returns ee.crt for every request
        party("other", "/CN=Another Key");
        // The CSR ir sends: with a requested extension, to show it is carried over.
        openssl({"req", "-new", "-key", f("ee.key"), "-subj", "/CN=Test Signer/O=inkan", "-addext",
                 "subjectAltName=email:signer@example.jp", "-outform", "DER", "-out", f("ee-san.csr")});
        for (const std::string_view stem : {"ca", "ee"}) {
            openssl({"x509", "-in", f(std::string{stem} + ".crt"), "-outform", "DER", "-out",
                     f(std::string{stem} + ".crt.der")});
        }
    }
};

Pki* g_pki = nullptr;

/// `openssl cmp -port 0 ...` in the background; the port is the one it prints ("ACCEPT [::]:PORT").
class MockCmpServer {
public:
    explicit MockCmpServer(const std::vector<std::string>& extra_args)
        : m_log{g_pki->file("srv-" + unique() + ".log")} {
        std::vector<std::string> argv{"openssl", "cmp", "-port", "0"};
        argv.insert(argv.end(), extra_args.begin(), extra_args.end());
        std::vector<char*> cargv;
        for (auto& a : argv) {
            cargv.push_back(a.data());
        }
        cargv.push_back(nullptr);
        m_pid = ::fork();
        if (m_pid == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive a test process that crashed
            const int fd = ::open(m_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            ::dup2(fd, 1);
            ::dup2(fd, 2);
            ::execvp(cargv[0], cargv.data());
            ::_exit(127);
        }
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (std::chrono::steady_clock::now() < deadline) {
            if (const auto port = accepted_port(log())) {
                m_port = *port;
                return;
            }
            int status = 0;
            if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
                m_pid = -1;
                break;
            }
            std::this_thread::sleep_for(20ms);
        }
        ADD_FAILURE() << "the mock CMP server did not start:\n" << log();
    }
    ~MockCmpServer() {
        if (m_pid > 0) {
            ::kill(m_pid, SIGTERM);
            int status = 0;
            ::waitpid(m_pid, &status, 0);
        }
    }
    MockCmpServer(const MockCmpServer&) = delete;
    MockCmpServer& operator=(const MockCmpServer&) = delete;

    [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port) + "/pkix/"; }
    [[nodiscard]] std::string log() const {
        std::ifstream in{m_log};
        return {std::istreambuf_iterator<char>{in}, {}};
    }

private:
    /// "ACCEPT [::]:41627 PID=28104" → 41627 (std::regex trips GCC 12's -Wmaybe-uninitialized under ASan).
    static std::optional<int> accepted_port(const std::string& text) {
        const auto accept = text.find("ACCEPT ");
        const auto pid = accept == std::string::npos ? std::string::npos : text.find(" PID=", accept);
        const auto colon = pid == std::string::npos ? std::string::npos : text.rfind(':', pid);
        if (colon == std::string::npos || colon < accept) {
            return std::nullopt;
        }
        return std::stoi(text.substr(colon + 1, pid - colon - 1));
    }
    static std::string unique() {
        static std::atomic<int> n{0};
        return std::to_string(++n);
    }
    fs::path m_log;
    pid_t m_pid = -1;
    int m_port = 0;
};

/// A TCP port on 127.0.0.1 that a socket listens on but never accepts from: requests go unanswered.
class SilentListener {
public:
    SilentListener() {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        socklen_t len = sizeof addr;
        if (::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(m_fd, 8) != 0 ||
            ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
            ADD_FAILURE() << "cannot listen on 127.0.0.1";
        }
        m_port = ntohs(addr.sin_port);
    }
    ~SilentListener() { ::close(m_fd); }
    SilentListener(const SilentListener&) = delete;
    SilentListener& operator=(const SilentListener&) = delete;
    [[nodiscard]] int port() const { return m_port; }

private:
    int m_fd = -1;
    int m_port = 0;
};

/// A port nothing listens on (bound, then closed).
int closed_port() {
    const SilentListener l;
    return l.port();
}

std::vector<std::string> mac_server_args() {
    return {"-srv_ref",        "mock-ca",
            "-srv_secret",     "pass:" + std::string{kSecret},
            "-rsp_cert",       g_pki->file("ee.crt").string(),
            "-rsp_extracerts", g_pki->file("ca.crt").string()};
}

std::vector<std::string> signature_server_args() {
    return {
        "-srv_cert",       g_pki->file("srv.crt").string(), "-srv_key",    g_pki->file("srv.key").string(),
        "-srv_trusted",    g_pki->file("ca.crt").string(),  "-rsp_cert",   g_pki->file("ee.crt").string(),
        "-rsp_extracerts", g_pki->file("ca.crt").string(),  "-rsp_capubs", g_pki->file("ca.crt").string()};
}

std::vector<std::string> plus(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

CmpConfig mac_config(const std::string& url, std::string_view secret = kSecret) {
    CmpConfig c;
    c.name = "partner-ca";
    c.server_url = url;
    c.recipient = "CN=Mock CMP Server";
    c.protection = CmpConfig::Protection::Mac;
    c.reference = std::string{kReference};
    c.secret = Secret{secret};
    c.message_timeout = 10s;
    c.total_timeout = 20s;
    return c;
}

CmpConfig signature_config(const std::string& url) {
    CmpConfig c;
    c.name = "partner-ca";
    c.server_url = url;
    c.protection = CmpConfig::Protection::Signature;
    c.client_cert = g_pki->file("ra.crt");
    c.client_key = g_pki->file("ra.key");
    c.trusted = g_pki->file("ca.crt");
    c.message_timeout = 10s;
    c.total_timeout = 20s;
    return c;
}

EnrolmentRequest request_for(std::string_view csr_file) {
    return EnrolmentRequest{read_file(g_pki->file(csr_file)), "person"};
}

/// The certificate as `openssl x509 -noout -subject` prints it (an outside reading of our DER).
std::string subject_of(const Bytes& der) {
    const CommandResult r = run({"openssl", "x509", "-inform", "DER", "-noout", "-subject"}, to_string(der));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
}

struct Failure {
    Errc code = Errc::Internal;
    std::string message;
};

Failure failure_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return {e.code(), std::string{errc_name(e.code())} + ": " + e.what()};
    }
    ADD_FAILURE() << "no inkan::Error thrown";
    return {};
}

class CmpConnectorTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        g_pki = new Pki;
        g_pki->make();
    }
    static void TearDownTestSuite() {
        delete g_pki;
        g_pki = nullptr;
    }
};

// ---- enrolment ----

TEST_F(CmpConnectorTest, P10crWithMacProtectionReturnsTheCasCertificateAndChain) {
    MockCmpServer server{mac_server_args()};
    CmpConnector connector{mac_config(server.url())};
    const EnrolmentResult result = connector.enrol(request_for("ee.csr"));

    EXPECT_EQ(result.status, EnrolmentResult::Status::Issued);
    ASSERT_EQ(result.chain.size(), 2U) << server.log();
    EXPECT_EQ(result.chain[0], read_file(g_pki->file("ee.crt.der"))) << subject_of(result.chain[0]);
    EXPECT_EQ(result.chain[1], read_file(g_pki->file("ca.crt.der"))) << subject_of(result.chain[1]);
    EXPECT_NE(result.note.find("partner-ca"), std::string::npos) << result.note;
    EXPECT_NE(result.note.find("p10cr"), std::string::npos) << result.note;
}

TEST_F(CmpConnectorTest, TheChainPassesOpensslVerify) {
    MockCmpServer server{mac_server_args()};
    CmpConnector connector{mac_config(server.url())};
    const EnrolmentResult result = connector.enrol(request_for("ee.csr"));
    ASSERT_EQ(result.chain.size(), 2U);
    const TempDir out{"inkan-cmp-out"};
    const auto pem = [&](const Bytes& der, std::string_view name) {
        const CommandResult r =
            run({"openssl", "x509", "-inform", "DER", "-out", (out / name).string()}, to_string(der));
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return (out / name).string();
    };
    const std::string leaf = pem(result.chain[0], "leaf.pem");
    const std::string root = pem(result.chain[1], "root.pem");
    const CommandResult v = run({"openssl", "verify", "-CAfile", root, leaf});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

TEST_F(CmpConnectorTest, SignatureProtectionWithTheRasCertificateSucceeds) {
    MockCmpServer server{signature_server_args()};
    CmpConnector connector{signature_config(server.url())};
    const EnrolmentResult result = connector.enrol(request_for("ee.csr"));
    ASSERT_FALSE(result.chain.empty()) << server.log();
    EXPECT_EQ(result.chain[0], read_file(g_pki->file("ee.crt.der"))) << subject_of(result.chain[0]);
    EXPECT_EQ(result.chain.back(), read_file(g_pki->file("ca.crt.der")));
}

TEST_F(CmpConnectorTest, IrWithRaVerifiedProofOfPossessionSucceeds) {
    MockCmpServer server{
        plus(mac_server_args(), {"-accept_raverified", "-rsp_capubs", g_pki->file("ca.crt").string()})};
    auto config = mac_config(server.url());
    config.request_type = CmpConfig::RequestType::Ir;
    CmpConnector connector{std::move(config)};
    const EnrolmentResult result = connector.enrol(request_for("ee-san.csr"));
    ASSERT_EQ(result.chain.size(), 2U) << server.log();
    EXPECT_EQ(result.chain[0], read_file(g_pki->file("ee.crt.der"))) << subject_of(result.chain[0]);
    EXPECT_NE(result.note.find("(ir)"), std::string::npos) << result.note;
}

TEST_F(CmpConnectorTest, IrIsRejectedByACaThatDoesNotAcceptRaVerified) {
    MockCmpServer server{mac_server_args()};
    auto config = mac_config(server.url());
    config.request_type = CmpConfig::RequestType::Ir;
    CmpConnector connector{std::move(config)};
    const Failure f = failure_of([&] { (void)connector.enrol(request_for("ee.csr")); });
    EXPECT_EQ(f.code, Errc::Forbidden) << f.message << "\n" << server.log();
}

TEST_F(CmpConnectorTest, ImplicitConfirmCompletesInOneRoundTrip) {
    // The server stops after one message: without implicit confirmation the certConf would fail.
    MockCmpServer server{plus(mac_server_args(), {"-grant_implicitconf", "-max_msgs", "1"})};
    auto config = mac_config(server.url());
    config.implicit_confirm = true;
    CmpConnector connector{std::move(config)};
    const EnrolmentResult result = connector.enrol(request_for("ee.csr"));
    EXPECT_FALSE(result.chain.empty()) << server.log();
}

TEST_F(CmpConnectorTest, APendingRequestIsPolledUntilTheCertificateIsIssued) {
    MockCmpServer server{plus(mac_server_args(), {"-poll_count", "2", "-check_after", "1"})};
    CmpConnector connector{mac_config(server.url())};
    const auto start = std::chrono::steady_clock::now();
    const EnrolmentResult result = connector.enrol(request_for("ee.csr"));
    EXPECT_GE(std::chrono::steady_clock::now() - start, 1s) << "it must have waited for checkAfter";
    ASSERT_FALSE(result.chain.empty()) << server.log();
    EXPECT_EQ(result.chain[0], read_file(g_pki->file("ee.crt.der")));
}

TEST_F(CmpConnectorTest, ARequestStillPendingAtTheTotalTimeoutIsUnavailable) {
    MockCmpServer server{plus(mac_server_args(), {"-poll_count", "10", "-check_after", "1"})};
    auto config = mac_config(server.url());
    config.total_timeout = 2s;
    CmpConnector connector{std::move(config)};
    const auto start = std::chrono::steady_clock::now();
    const Failure f = failure_of([&] { (void)connector.enrol(request_for("ee.csr")); });
    EXPECT_EQ(f.code, Errc::Unavailable) << f.message;
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST_F(CmpConnectorTest, OneConnectorServesConcurrentEnrolments) {
    MockCmpServer server{mac_server_args()};
    CmpConnector connector{mac_config(server.url())};
    std::vector<std::string> outcomes(4);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        threads.emplace_back([&, i] {
            try {
                outcomes[i] = connector.enrol(request_for("ee.csr")).chain.size() == 2 ? "ok" : "short chain";
            } catch (const Error& e) {
                outcomes[i] = e.what();
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        EXPECT_EQ(outcomes[i], "ok") << "enrolment " << i;
    }
}

// ---- refusals ----

TEST_F(CmpConnectorTest, AWrongSharedSecretIsRefused) {
    MockCmpServer server{mac_server_args()};
    constexpr std::string_view wrong = "not-the-secret-4711";
    CmpConnector connector{mac_config(server.url(), wrong)};
    const Failure f = failure_of([&] { (void)connector.enrol(request_for("ee.csr")); });
    EXPECT_EQ(f.code, Errc::Forbidden) << f.message << "\n" << server.log();
    EXPECT_EQ(f.message.find(wrong), std::string::npos) << f.message;
    EXPECT_EQ(f.message.find(kSecret), std::string::npos) << f.message;
}

TEST_F(CmpConnectorTest, ARejectionByTheCaIsForbiddenAndCarriesItsReason) {
    MockCmpServer server{plus(mac_server_args(), {"-pkistatus", "2", "-failure", "25", "-statusstring",
                                                  "no such certificate profile"})};
    CmpConnector connector{mac_config(server.url())};
    const Failure f = failure_of([&] { (void)connector.enrol(request_for("ee.csr")); });
    EXPECT_EQ(f.code, Errc::Forbidden) << f.message;
    EXPECT_NE(f.message.find("rejection"), std::string::npos) << f.message;
    EXPECT_NE(f.message.find("no such certificate profile"), std::string::npos) << f.message;
}

TEST_F(CmpConnectorTest, AServerSignedByAnUntrustedCaIsRefused) {
    MockCmpServer server{signature_server_args()};
    auto config = signature_config(server.url());
    config.trusted = g_pki->file("evil.crt");
    CmpConnector connector{std::move(config)};
    const Failure f = failure_of([&] { (void)connector.enrol(request_for("ee.csr")); });
    EXPECT_EQ(f.code, Errc::Forbidden) << f.message;
}

TEST_F(CmpConnectorTest, ACertificateForAnotherKeyIsRefused) {
    MockCmpServer server{mac_server_args()};  // returns ee.crt whatever the CSR
    CmpConnector connector{mac_config(server.url())};
    const Failure f = failure_of([&] { (void)connector.enrol(request_for("other.csr")); });
    EXPECT_EQ(f.code, Errc::CryptoFailure) << f.message;
    EXPECT_NE(f.message.find("public key"), std::string::npos) << f.message;
}

TEST_F(CmpConnectorTest, ACertificateThatDoesNotChainToTheTrustedRootIsRefused) {
    MockCmpServer server{mac_server_args()};
    auto config = mac_config(server.url());
    config.trusted = g_pki->file("evil.crt");
    CmpConnector connector{std::move(config)};
    const Failure f = failure_of([&] { (void)connector.enrol(request_for("ee.csr")); });
    EXPECT_EQ(f.code, Errc::CryptoFailure) << f.message;
}

TEST_F(CmpConnectorTest, ACsrWhoseSignatureDoesNotVerifyIsAnInvalidRequest) {
    CmpConnector connector{mac_config("http://127.0.0.1:1/pkix/")};
    EnrolmentRequest request = request_for("ee.csr");
    request.csr_der.back() ^= 0x01;  // inside the signature
    EXPECT_EQ(failure_of([&] { (void)connector.enrol(request); }).code, Errc::InvalidRequest);
    request.csr_der = Bytes{0x30, 0x00};
    EXPECT_EQ(failure_of([&] { (void)connector.enrol(request); }).code, Errc::InvalidRequest);
}

// ---- transport ----

TEST_F(CmpConnectorTest, AServerThatIsDownIsUnavailable) {
    // OpenSSL retries a refused connection until the message timeout.
    auto config = mac_config("http://127.0.0.1:" + std::to_string(closed_port()) + "/pkix/");
    config.message_timeout = 2s;
    config.total_timeout = 3s;
    CmpConnector connector{std::move(config)};
    const auto start = std::chrono::steady_clock::now();
    const Failure f = failure_of([&] { (void)connector.enrol(request_for("ee.csr")); });
    EXPECT_EQ(f.code, Errc::Unavailable) << f.message;
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST_F(CmpConnectorTest, AServerThatNeverAnswersIsUnavailableWithinTheTimeout) {
    const SilentListener silent;
    auto config = mac_config("http://127.0.0.1:" + std::to_string(silent.port()) + "/pkix/");
    config.message_timeout = 1s;
    config.total_timeout = 2s;
    CmpConnector connector{std::move(config)};
    const auto start = std::chrono::steady_clock::now();
    const Failure f = failure_of([&] { (void)connector.enrol(request_for("ee.csr")); });
    const auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(f.code, Errc::Unavailable) << f.message;
    EXPECT_GE(waited, 900ms);
    EXPECT_LT(waited, 5s);
}

// ---- configuration ----

TEST_F(CmpConnectorTest, BadConfigurationIsInvalidConfig) {
    const auto code = [](CmpConfig c) {
        return failure_of([&] { CmpConnector connector{std::move(c)}; }).code;
    };
    const std::string url = "http://127.0.0.1:8080/pkix/";

    auto https = mac_config("https://ca.example:443/pkix/");
    EXPECT_EQ(code(std::move(https)), Errc::InvalidConfig) << "https";
    EXPECT_EQ(code(mac_config("not a url")), Errc::InvalidConfig) << "not a url";
    auto no_secret = mac_config(url, "");
    EXPECT_EQ(code(std::move(no_secret)), Errc::InvalidConfig) << "MAC without a secret";
    auto no_reference = mac_config(url);
    no_reference.reference.clear();
    EXPECT_EQ(code(std::move(no_reference)), Errc::InvalidConfig) << "MAC without a reference";
    auto missing_trusted = mac_config(url);
    missing_trusted.trusted = g_pki->file("no-such.pem");
    EXPECT_EQ(code(std::move(missing_trusted)), Errc::InvalidConfig) << "missing trusted file";
    auto wrong_key = signature_config(url);
    wrong_key.client_key = g_pki->file("other.key");
    EXPECT_EQ(code(std::move(wrong_key)), Errc::InvalidConfig) << "key of another certificate";
    auto no_cert = signature_config(url);
    no_cert.client_cert.clear();
    EXPECT_EQ(code(std::move(no_cert)), Errc::InvalidConfig) << "signature without a certificate";
    auto bad_recipient = mac_config(url);
    bad_recipient.recipient = "this is not a name";
    EXPECT_EQ(code(std::move(bad_recipient)), Errc::InvalidConfig) << "recipient";
    auto zero_timeout = mac_config(url);
    zero_timeout.message_timeout = 0s;
    EXPECT_EQ(code(std::move(zero_timeout)), Errc::InvalidConfig) << "timeout";
}

TEST_F(CmpConnectorTest, DescribeNamesTheEndpointButNeverTheSecret) {
    const CmpConnector connector{mac_config("http://127.0.0.1:8080/pkix/")};
    EXPECT_EQ(connector.name(), "partner-ca");
    EXPECT_EQ(connector.kind(), "cmp");
    const std::string d = connector.describe();
    EXPECT_NE(d.find("http://127.0.0.1:8080/pkix/"), std::string::npos) << d;
    EXPECT_NE(d.find("p10cr"), std::string::npos) << d;
    EXPECT_EQ(d.find(kSecret), std::string::npos) << d;
}

}  // namespace
}  // namespace inkan::pki
