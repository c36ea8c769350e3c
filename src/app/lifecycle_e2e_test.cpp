// Certificate lifecycle over a real `inkan serve` (issue 26): /metrics has the time left (seconds) of the
// TLS, TSA, OCSP-signer and CA certificates and the count of credentials expiring within 30 days; /readyz
// stays 200 but warns within [lifecycle] warn_days; `inkan status` reports the same. The TLS figure is
// checked against the certificate the listener actually serves (openssl s_client | openssl x509
// -enddate), the exposition with promtool.

#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/core/clock.h>
#include <inkan/testing/process.h>

#include "e2e_support.h"

namespace fs = std::filesystem;
using inkan::e2e::start_serve;
using inkan::testing::run;
using inkan::testing::TempDir;
using nlohmann::json;

namespace {

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

TEST(LifecycleE2e, MetricsReadyzAndStatusReportCertificateExpiry) {
    TempDir tmp{"inkan-lifecycle-e2e"};
    const fs::path data = tmp.path() / "data";
    const auto init = run({INKAN_BIN, "init", "--data", data.string(), "--json"});
    ASSERT_EQ(init.exit_code, 0) << describe(init);
    const std::string tls_ca = json::parse(init.out)["tls_ca"].get<std::string>();
    // Person certificates of 10 days, and a warning window wide enough for the TLS certificate.
    {
        std::ofstream toml{data / "inkan.toml", std::ios::app};
        toml << "\n[profile.person]\nvalidity_days = 10\n\n[lifecycle]\nwarn_days = 800\n";
    }
    const auto cred = run({INKAN_BIN, "credential", "create", "--data", data.string(), "--user", "demo",
                           "--pin-stdin", "--json"},
                          "4711\n");
    ASSERT_EQ(cred.exit_code, 0) << describe(cred);

    std::unique_ptr<inkan::testing::Process> server;
    const json line = start_serve(server, data);
    const std::string metrics_url = line["metrics_url"].get<std::string>();
    const auto m = run({"curl", "-sS", "--max-time", "20", metrics_url});
    ASSERT_EQ(m.exit_code, 0) << describe(m);
    EXPECT_NE(m.out.find("# TYPE inkan_certificate_expiry_seconds gauge"), std::string::npos) << m.out;
    EXPECT_NE(m.out.find("# HELP inkan_certificate_expiry_seconds "), std::string::npos);
    EXPECT_NE(m.out.find("# TYPE inkan_credentials_expiring gauge"), std::string::npos);
    EXPECT_EQ(sample(m.out, "inkan_credentials_expiring"), 1.0) << "the 10-day credential";
    for (const char* s : {R"(inkan_certificate_expiry_seconds{role="tsa",name="default"})",
                          R"(inkan_certificate_expiry_seconds{role="ocsp",name="ocsp"})",
                          R"(inkan_certificate_expiry_seconds{role="tls",name="tls"})"}) {
        EXPECT_GT(sample(m.out, s), 86400.0) << s << "\n" << m.out;
    }
    EXPECT_NE(m.out.find(R"(inkan_certificate_expiry_seconds{role="ca",name=)"), std::string::npos) << m.out;
    const auto promtool = run({"promtool", "check", "metrics"}, m.out);
    EXPECT_EQ(promtool.exit_code, 0) << describe(promtool);

    // The TLS figure against the certificate the API listener serves.
    const std::string api = line["api_url"].get<std::string>();
    const std::string hostport = api.substr(std::string{"https://"}.size());
    const auto served = run({"sh", "-c",
                             "openssl s_client -connect " + hostport + " -CAfile " + tls_ca +
                                 " </dev/null 2>/dev/null | openssl x509 -noout -enddate -dateopt iso_8601"});
    ASSERT_EQ(served.exit_code, 0) << describe(served);
    // notAfter=2027-12-07 05:40:00Z
    const std::string end = served.out.substr(served.out.find('=') + 1, 20);
    const std::string rfc3339 = end.substr(0, 10) + "T" + end.substr(11, 8) + "Z";
    const double expected =
        std::chrono::duration<double>(inkan::parse_rfc3339(rfc3339) - inkan::SystemClock::instance().now())
            .count() /
        86400.0;
    EXPECT_NEAR(sample(m.out, R"(inkan_certificate_expiry_seconds{role="tls",name="tls"})") / 86400.0,
                expected, 0.1)
        << served.out;

    // /readyz: ready, with warnings for what is inside the window.
    const std::string readyz = metrics_url.substr(0, metrics_url.rfind('/')) + "/readyz";
    const auto r = run({"curl", "-sS", "--max-time", "20", "-w", "\n%{http_code}", readyz});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out.substr(r.out.rfind('\n') + 1), "200") << r.out;
    const json ready = json::parse(r.out.substr(0, r.out.rfind('\n')));
    EXPECT_EQ(ready["status"], "ready");
    const std::string warnings = ready["warnings"].dump();
    EXPECT_NE(warnings.find("tls certificate tls"), std::string::npos) << warnings;
    EXPECT_NE(warnings.find("1 credential certificate(s) expire within 30 days"), std::string::npos)
        << warnings;
    EXPECT_EQ(server->terminate(), 0) << server->stderr_text();

    // `inkan status` says the same, and without the wide window warns only about the credential.
    const auto status = run({INKAN_BIN, "status", "--data", data.string(), "--json"});
    ASSERT_EQ(status.exit_code, 0) << describe(status);
    const json st = json::parse(status.out);
    EXPECT_EQ(st["credentials_expiring"], 1);
    EXPECT_EQ(st["warnings"], ready["warnings"]);
    const auto narrow =
        run({"env", "INKAN_LIFECYCLE_WARN_DAYS=0", INKAN_BIN, "status", "--data", data.string(), "--json"});
    ASSERT_EQ(narrow.exit_code, 0) << describe(narrow);
    EXPECT_EQ(json::parse(narrow.out)["warnings"],
              json::array({"1 credential certificate(s) expire within 30 days"}))
        << narrow.out;
}

}  // namespace
