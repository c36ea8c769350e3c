// credentials/list and credentials/info (v1 and v2) through the Router, with real Credentials from a
// built-in CA whose keys are in SoftHSM. The openssl CLI is the oracle for the certificate fields.

#include <algorithm>
#include <chrono>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <inkan/pki/certificate.h>

#include "core.h"
#include "test_env.h"

namespace inkan::api {
namespace {

using namespace std::chrono_literals;
using testing::body_of;
using testing::CscEnv;
using testing::Json;

constexpr Version kVersions[] = {Version::V1, Version::V2};

Json error_body(std::string_view error, std::string_view description) {
    return Json{{"error", error}, {"error_description", description}};
}

bool contains(const Json& array, std::string_view value) {
    return std::find(array.begin(), array.end(), Json(value)) != array.end();
}

/// `openssl x509` fields of a DER certificate: serial, notBefore, notAfter, subject, issuer (RFC 2253).
std::map<std::string, std::string> openssl_fields(const inkan::testing::TempDir& dir, ByteView der) {
    const auto file = dir / "cert.der";
    inkan::testing::write_file(file, der);
    const auto r =
        inkan::testing::run({"openssl", "x509", "-inform", "DER", "-in", file.string(), "-noout", "-serial",
                             "-startdate", "-enddate", "-subject", "-issuer", "-nameopt", "RFC2253"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::map<std::string, std::string> out;
    std::istringstream lines{r.out};
    for (std::string line; std::getline(lines, line);) {
        const auto eq = line.find('=');
        if (eq != std::string::npos) {
            out[line.substr(0, eq)] = line.substr(eq + 1);
        }
    }
    return out;
}

/// "Nov 21 17:28:42 2025 GMT" (openssl) -> "20251121172842Z".
std::string openssl_time_to_generalized(const std::string& text) {
    static const std::vector<std::string> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::istringstream in{text};
    std::string month, hms, zone;
    int day = 0, year = 0;
    in >> month >> day >> hms >> year >> zone;
    const auto m = std::find(kMonths.begin(), kMonths.end(), month) - kMonths.begin() + 1;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d%02d%02d%c%c%c%c%c%cZ", year, static_cast<int>(m), day, hms[0],
                  hms[1], hms[3], hms[4], hms[6], hms[7]);
    return buf;
}

class CredentialsTest : public ::testing::Test {
protected:
    void SetUp() override {
        alice = env.add_user("alice", /*totp=*/true);
        bob = env.add_user("bob");
        alice_cred = env.add_credential("alice");
        bob_cred = env.add_credential("bob");
        alice_token = env.login("alice");
        bob_token = env.login("bob");
    }

    http::Response info(Version v, const Json& body, const std::string& token) const {
        return env.post(v, "credentials/info", body.dump(), token);
    }
    Json info_ok(Version v, const Json& body, const std::string& token) const {
        const http::Response r = info(v, body, token);
        EXPECT_EQ(r.status, 200) << r.body;
        return body_of(r);
    }
    http::Response list(Version v, const Json& body, const std::string& token) const {
        return env.post(v, "credentials/list", body.dump(), token);
    }
    Json list_ok(Version v, const Json& body, const std::string& token) const {
        const http::Response r = list(v, body, token);
        EXPECT_EQ(r.status, 200) << r.body;
        return body_of(r);
    }

    CscEnv env;
    service::User alice, bob;
    service::Credential alice_cred, bob_cred;
    std::string alice_token, bob_token;
};

// ---- credentials/list ----------------------------------------------------------------------

TEST_F(CredentialsTest, ListShowsOnlyTheCallersCredentials) {
    for (const Version v : kVersions) {
        SCOPED_TRACE(std::string{name(v)});
        EXPECT_EQ(list_ok(v, Json::object(), alice_token).at("credentialIDs"), Json::array({alice_cred.id}));
        EXPECT_EQ(list_ok(v, Json::object(), bob_token).at("credentialIDs"), Json::array({bob_cred.id}));
        EXPECT_EQ(env.post(v, "credentials/list", "", alice_token).status, 200) << "an empty body is {}";
    }
}

TEST_F(CredentialsTest, ListIncludesTheSealsTheCallerIsAMemberOf) {
    const service::Credential seal = env.add_seal("alice");
    for (const Version v : kVersions) {
        EXPECT_EQ(list_ok(v, Json::object(), alice_token).at("credentialIDs"),
                  Json::array({alice_cred.id, seal.id}));
        EXPECT_EQ(list_ok(v, Json::object(), bob_token).at("credentialIDs"), Json::array({bob_cred.id}));
    }
}

TEST_F(CredentialsTest, ListRefusesAUserIdWithUserSpecificAuthorisation) {
    for (const Version v : kVersions) {
        const http::Response r = list(v, Json{{"userID", bob.id}}, alice_token);
        EXPECT_EQ(r.status, 400);
        EXPECT_EQ(body_of(r), error_body("invalid_request", "userID parameter MUST be null"));
        EXPECT_EQ(list(v, Json{{"userID", nullptr}}, alice_token).status, 200);
    }
}

TEST_F(CredentialsTest, V1PagesWithMaxResultsAndPageToken) {
    const service::Credential second = env.add_credential("alice");
    const service::Credential third = env.add_credential("alice");
    const Json all = list_ok(Version::V1, Json::object(), alice_token);
    EXPECT_EQ(all.at("credentialIDs"), Json::array({alice_cred.id, second.id, third.id}));
    EXPECT_FALSE(all.contains("nextPageToken"));

    const Json first_page = list_ok(Version::V1, Json{{"maxResults", 2}}, alice_token);
    EXPECT_EQ(first_page.at("credentialIDs"), Json::array({alice_cred.id, second.id}));
    ASSERT_TRUE(first_page.at("nextPageToken").is_string()) << first_page;
    const Json last_page = list_ok(
        Version::V1, Json{{"maxResults", 2}, {"pageToken", first_page.at("nextPageToken")}}, alice_token);
    EXPECT_EQ(last_page.at("credentialIDs"), Json::array({third.id}));
    EXPECT_FALSE(last_page.contains("nextPageToken")) << last_page;

    const Json exact = list_ok(Version::V1, Json{{"maxResults", 3}}, alice_token);
    EXPECT_EQ(exact.at("credentialIDs").size(), 3U);
    EXPECT_FALSE(exact.contains("nextPageToken"));
}

TEST_F(CredentialsTest, V1RefusesAForeignOrMalformedPageTokenAndABadMaxResults) {
    const service::Credential second = env.add_credential("alice");
    const std::string token = list_ok(Version::V1, Json{{"maxResults", 1}}, alice_token).at("nextPageToken");
    for (const std::string& page : std::vector<std::string>{"garbage!", "bm9wZQ", token}) {
        const std::string& caller = page == token ? bob_token : alice_token;
        const http::Response r = list(Version::V1, Json{{"pageToken", page}}, caller);
        EXPECT_EQ(r.status, 400) << page;
        EXPECT_EQ(body_of(r), error_body("invalid_request", "Invalid parameter pageToken")) << page;
    }
    EXPECT_EQ(body_of(list(Version::V1, Json{{"maxResults", 0}}, alice_token)),
              error_body("invalid_request", "Invalid parameter maxResults"));
    EXPECT_EQ(body_of(list(Version::V1, Json{{"maxResults", "2"}}, alice_token)),
              error_body("invalid_request", "Missing (or invalid type) integer parameter maxResults"));
    EXPECT_EQ(body_of(list(Version::V1, Json{{"pageToken", 5}}, alice_token)),
              error_body("invalid_request", "Missing (or invalid type) string parameter pageToken"));
}

TEST(CredentialsListConfig, TheServerMaximumCapsEveryV1Page) {
    ServiceInfo info;
    info.max_list_results = 2;
    CscEnv env{info};
    env.add_user("carol");
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i) {
        ids.push_back(env.add_credential("carol").id);
    }
    const std::string token = env.login("carol");
    for (const std::string body : {"{}", R"({"maxResults":100})"}) {
        const Json page = body_of(env.post(Version::V1, "credentials/list", body, token));
        EXPECT_EQ(page.at("credentialIDs"), Json(std::vector<std::string>{ids[0], ids[1]})) << body;
        EXPECT_TRUE(page.contains("nextPageToken")) << body;
    }
    // v2 has no paging: everything at once.
    EXPECT_EQ(body_of(env.post(Version::V2, "credentials/list", "{}", token)).at("credentialIDs").size(), 3U);
}

TEST_F(CredentialsTest, V2CredentialInfoReturnsTheInfoOfEachWithItsId) {
    const service::Credential seal = env.add_seal("alice");
    const Json body = list_ok(Version::V2,
                              Json{{"credentialInfo", true},
                                   {"certificates", "chain"},
                                   {"certInfo", true},
                                   {"authInfo", true},
                                   {"lang", "ja"}},
                              alice_token);
    ASSERT_EQ(body.at("credentialInfos").size(), 2U) << body;
    EXPECT_EQ(body.at("credentialInfos")[0].at("credentialID"), alice_cred.id);
    EXPECT_EQ(body.at("credentialInfos")[1].at("credentialID"), seal.id);
    for (const Json& entry : body.at("credentialInfos")) {
        EXPECT_EQ(entry.at("cert").at("certificates").size(), 3U) << entry;
        EXPECT_TRUE(entry.at("cert").contains("subjectDN")) << entry;
        EXPECT_EQ(entry.at("auth").at("expression"), "PIN AND OTP") << entry;
        EXPECT_EQ(entry.at("key").at("status"), "enabled");
        // Each entry is what credentials/info answers, plus credentialID.
        Json alone = info_ok(Version::V2,
                             Json{{"credentialID", entry.at("credentialID")},
                                  {"certificates", "chain"},
                                  {"certInfo", true},
                                  {"authInfo", true}},
                             alice_token);
        alone["credentialID"] = entry.at("credentialID");
        EXPECT_EQ(alone, entry);
    }
    EXPECT_FALSE(body.contains("onlyValid"));
}

TEST_F(CredentialsTest, V2WithoutCredentialInfoListsIdsOnly) {
    const Json body = list_ok(Version::V2, Json{{"certificates", "chain"}}, alice_token);
    EXPECT_EQ(body, (Json{{"credentialIDs", Json::array({alice_cred.id})}}));
}

TEST_F(CredentialsTest, V2OnlyValidLeavesOutUnusableCredentialsAndSaysSo) {
    const service::Credential revoked = env.add_credential("alice");
    env.credentials->revoke(revoked.id, pki::RevocationReason::KeyCompromise);
    const service::Credential pending =
        env.add_credential("alice", hsm::KeySpec::EcP256, std::string{testing::kManualCa});
    EXPECT_EQ(list_ok(Version::V2, Json::object(), alice_token).at("credentialIDs"),
              Json::array({alice_cred.id, revoked.id, pending.id}));
    const Json valid = list_ok(Version::V2, Json{{"onlyValid", true}, {"credentialInfo", true}}, alice_token);
    EXPECT_EQ(valid.at("credentialIDs"), Json::array({alice_cred.id}));
    EXPECT_EQ(valid.at("credentialInfos").size(), 1U);
    EXPECT_EQ(valid.at("onlyValid"), true);
}

TEST_F(CredentialsTest, V2ListRefusesAnUnknownCertificatesValue) {
    const http::Response r =
        list(Version::V2, Json{{"credentialInfo", true}, {"certificates", "all"}}, alice_token);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(body_of(r), error_body("invalid_request", "Invalid parameter certificates"));
    EXPECT_EQ(body_of(list(Version::V2, Json{{"credentialInfo", "yes"}}, alice_token)),
              error_body("invalid_request", "Missing (or invalid type) boolean parameter credentialInfo"));
}

// ---- credentials/info: errors --------------------------------------------------------------

TEST_F(CredentialsTest, AnUnknownAndAForeignCredentialGetByteEqualErrors) {
    for (const Version v : kVersions) {
        SCOPED_TRACE(std::string{name(v)});
        const http::Response unknown = info(v, Json{{"credentialID", "AAAAAAAAAAAAAAAAAAAAAA"}}, alice_token);
        const http::Response foreign = info(v, Json{{"credentialID", bob_cred.id}}, alice_token);
        EXPECT_EQ(unknown.status, 400);
        EXPECT_EQ(foreign.status, 400);
        EXPECT_EQ(unknown.body, foreign.body);
        EXPECT_EQ(unknown.headers.fields(), foreign.headers.fields());
        EXPECT_EQ(body_of(foreign), error_body("invalid_request", "Invalid parameter credentialID"));
        EXPECT_EQ(info(v, Json{{"credentialID", ""}}, alice_token).body, foreign.body);
        EXPECT_EQ(info(v, Json{{"credentialID", std::string(1000, 'x')}}, alice_token).body, foreign.body);
        EXPECT_EQ(info(v, Json{{"credentialID", bob_cred.id}}, bob_token).status, 200) << "bob may";
    }
}

TEST_F(CredentialsTest, AMissingOrNonStringCredentialIdIsRefused) {
    for (const Version v : kVersions) {
        for (const Json& body : {Json::object(), Json{{"credentialID", 5}}, Json{{"credentialID", nullptr}},
                                 Json{{"credentialID", Json::array({alice_cred.id})}}}) {
            const http::Response r = info(v, body, alice_token);
            EXPECT_EQ(r.status, 400) << body;
            EXPECT_EQ(body_of(r), error_body("invalid_request",
                                             "Missing (or invalid type) string parameter credentialID"))
                << body;
        }
    }
}

TEST_F(CredentialsTest, StrictJsonAtTheRoute) {
    const std::string id = alice_cred.id;
    EXPECT_EQ(
        body_of(env.post(Version::V1, "credentials/info",
                         R"({"credentialID":")" + id + R"(","credentialID":")" + id + R"("})", alice_token)),
        error_body("invalid_request", "Duplicate parameter credentialID"));
    EXPECT_EQ(body_of(env.post(Version::V2, "credentials/info", R"({"credentialID":)", alice_token)),
              error_body("invalid_request", "Malformed JSON request body"));
    EXPECT_EQ(body_of(env.post(Version::V2, "credentials/list", "[]", alice_token)),
              error_body("invalid_request", "The request body must be a JSON object"));
    EXPECT_EQ(body_of(info(Version::V1, Json{{"credentialID", id}, {"certInfo", "true"}}, alice_token)),
              error_body("invalid_request", "Missing (or invalid type) boolean parameter certInfo"));
    EXPECT_EQ(body_of(info(Version::V2, Json{{"credentialID", id}, {"authInfo", 1}}, alice_token)),
              error_body("invalid_request", "Missing (or invalid type) boolean parameter authInfo"));
    EXPECT_EQ(body_of(info(Version::V2, Json{{"credentialID", id}, {"clientData", 1}}, alice_token)),
              error_body("invalid_request", "Missing (or invalid type) string parameter clientData"));
    // Unknown members are ignored; clientData is accepted.
    EXPECT_EQ(
        info(Version::V1,
             Json{{"credentialID", id}, {"clientData", "opaque"}, {"futureParameter", {{"nested", true}}}},
             alice_token)
            .status,
        200);
}

// ---- credentials/info: the answer ----------------------------------------------------------

TEST_F(CredentialsTest, CertificatesNoneSingleAndChainReturnZeroOneAndAllCertificates) {
    for (const Version v : kVersions) {
        SCOPED_TRACE(std::string{name(v)});
        const Json none =
            info_ok(v, Json{{"credentialID", alice_cred.id}, {"certificates", "none"}}, alice_token);
        EXPECT_FALSE(none.at("cert").contains("certificates")) << none;
        EXPECT_EQ(info_ok(v, Json{{"credentialID", alice_cred.id}}, alice_token)
                      .at("cert")
                      .at("certificates")
                      .size(),
                  1U)
            << "single by default";
        EXPECT_EQ(info_ok(v, Json{{"credentialID", alice_cred.id}, {"certificates", "single"}}, alice_token)
                      .at("cert")
                      .at("certificates")
                      .size(),
                  1U);
        EXPECT_EQ(info_ok(v, Json{{"credentialID", alice_cred.id}, {"certificates", "chain"}}, alice_token)
                      .at("cert")
                      .at("certificates")
                      .size(),
                  3U);
        const http::Response bad =
            info(v, Json{{"credentialID", alice_cred.id}, {"certificates", "Chain"}}, alice_token);
        EXPECT_EQ(body_of(bad), error_body("invalid_request", "Invalid parameter certificates"));
    }
}

TEST_F(CredentialsTest, CertificatesAreBase64OfTheStoredDerEndEntityFirst) {
    const Json cert =
        info_ok(Version::V1, Json{{"credentialID", alice_cred.id}, {"certificates", "chain"}}, alice_token)
            .at("cert");
    const std::vector<Bytes> stored = env.credentials->get(alice_cred.id).chain;
    ASSERT_EQ(cert.at("certificates").size(), stored.size());
    for (std::size_t i = 0; i < stored.size(); ++i) {
        const std::string b64 = cert.at("certificates")[i];
        EXPECT_EQ(b64.find_first_of("-_\n"), std::string::npos) << "standard base64, one line";
        EXPECT_EQ(base64_decode(b64), stored[i]) << i;
    }
    EXPECT_EQ(stored[1], env.issuing->der());
    EXPECT_EQ(stored[2], env.root->der());
    EXPECT_TRUE(pki::Certificate::from_der(stored[0]).public_key().same_key(
        crypto::PublicKey::from_spki(testing::token().public_key_spki(alice_cred.key_id))));
}

TEST_F(CredentialsTest, CertInfoMatchesWhatOpensslReads) {
    for (const Version v : kVersions) {
        const Json cert =
            info_ok(v, Json{{"credentialID", alice_cred.id}, {"certInfo", true}}, alice_token).at("cert");
        const auto oracle =
            openssl_fields(env.dir, base64_decode(cert.at("certificates")[0].get<std::string>()));
        EXPECT_EQ(cert.at("serialNumber"), oracle.at("serial"));
        EXPECT_EQ(cert.at("validFrom"), openssl_time_to_generalized(oracle.at("notBefore")));
        EXPECT_EQ(cert.at("validTo"), openssl_time_to_generalized(oracle.at("notAfter")));
        // alice's subject has GN and SN: see RFC4514DnsParseInJavaAndAgreeWithOpenssl.
        EXPECT_EQ(cert.at("issuerDN"), oracle.at("issuer"));
        const std::regex generalized{R"(\d{14}Z)"};
        EXPECT_TRUE(std::regex_match(cert.at("validFrom").get<std::string>(), generalized)) << cert;
        EXPECT_TRUE(std::regex_match(cert.at("validTo").get<std::string>(), generalized)) << cert;
        EXPECT_TRUE(std::regex_match(cert.at("serialNumber").get<std::string>(), std::regex{"[0-9A-F]+"}))
            << cert;
        EXPECT_EQ(cert.at("status"), "valid");
    }
}

/// Splits an `openssl -nameopt RFC2253` name at its unescaped ',' and '+' (kept in `separators`).
std::vector<std::string> split_rdn_text(const std::string& text, std::string* separators = nullptr) {
    std::vector<std::string> out{""};
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) {
            out.back() += text.substr(i, 2);
            ++i;
        } else if (text[i] == ',' || text[i] == '+') {
            if (separators != nullptr) {
                *separators += text[i];
            }
            out.emplace_back();
        } else {
            out.back() += text[i];
        }
    }
    return out;
}

/// What RFC 4514 asks of a name, built from two `openssl x509` renderings: OpenSSL's own RFC 2253
/// text (UTF-8 kept) for the attributes that have an RFC 4514 §3 keyword, its "dotted OID=#DER hex"
/// dump for all others.
std::string openssl_rfc4514(const inkan::testing::TempDir& dir, ByteView der, const std::string& which) {
    const auto file = dir / "dn.der";
    inkan::testing::write_file(file, der);
    const auto name = [&](const std::string& nameopt) {
        const auto r = inkan::testing::run({"openssl", "x509", "-inform", "DER", "-in", file.string(),
                                            "-noout", "-" + which, "-nameopt", nameopt});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        std::string line = r.out.substr(0, r.out.find('\n'));
        return line.substr(line.find('=') + 1);
    };
    std::string separators;
    const auto dumped = split_rdn_text(name("RFC2253,-esc_msb,oid,dump_all"), &separators);
    const auto plain = split_rdn_text(name("RFC2253,-esc_msb"));
    EXPECT_EQ(dumped.size(), plain.size());
    const std::map<std::string, std::string> keywords{{"2.5.4.3", "CN"},
                                                      {"2.5.4.7", "L"},
                                                      {"2.5.4.8", "ST"},
                                                      {"2.5.4.10", "O"},
                                                      {"2.5.4.11", "OU"},
                                                      {"2.5.4.6", "C"},
                                                      {"2.5.4.9", "STREET"},
                                                      {"0.9.2342.19200300.100.1.25", "DC"},
                                                      {"0.9.2342.19200300.100.1.1", "UID"}};
    std::string out;
    for (std::size_t i = 0; i < dumped.size() && i < plain.size(); ++i) {
        if (i > 0) {
            out += separators[i - 1];
        }
        const std::string oid = dumped[i].substr(0, dumped[i].find('='));
        const auto keyword = keywords.find(oid);
        if (keyword == keywords.end()) {
            out += dumped[i];
        } else {
            // OpenSSL's short name is the RFC 4514 keyword for these nine.
            EXPECT_TRUE(plain[i].starts_with(keyword->second + "=")) << plain[i];
            out += plain[i];
        }
    }
    return out;
}

TEST_F(CredentialsTest, RFC4514DnsParseInJavaAndAgreeWithOpenssl) {
    // GN, SN (personal), organizationIdentifier (seal), a Japanese CN and one with RFC 4514 specials.
    const auto add = [&](std::string name, std::string display) {
        service::NewUser u;
        u.name = std::move(name);
        u.display_name = std::move(display);
        u.password = Secret{std::string_view{"password-x"}};
        return env.accounts.add_user(std::move(u)).user;
    };
    (void)add("yamada", "山田 太郎");
    (void)add("lee", "Ann Lee, Jr. <#1+\"2\">");
    const std::string yamada_token =
        env.sessions.login("yamada", Secret{std::string_view{"password-x"}}, false).access_token;
    const std::string lee_token =
        env.sessions.login("lee", Secret{std::string_view{"password-x"}}, false).access_token;
    const service::Credential yamada_cred = env.add_credential("yamada");
    const service::Credential lee_cred = env.add_credential("lee", hsm::KeySpec::Rsa2048);
    const service::Credential seal = env.add_seal("alice");
    const std::vector<std::pair<std::string, std::string>> cases{{alice_cred.id, alice_token},
                                                                 {yamada_cred.id, yamada_token},
                                                                 {lee_cred.id, lee_token},
                                                                 {seal.id, alice_token}};
    std::string list;
    int n = 0;
    for (const Version v : kVersions) {
        for (const auto& [id, token] : cases) {
            const Json cert =
                info_ok(v, Json{{"credentialID", id}, {"certInfo", true}, {"certificates", "single"}}, token)
                    .at("cert");
            const Bytes der = base64_decode(cert.at("certificates")[0].get<std::string>());
            const std::string subject = cert.at("subjectDN");
            const std::string issuer = cert.at("issuerDN");
            EXPECT_EQ(subject, openssl_rfc4514(env.dir, der, "subject")) << id;
            EXPECT_EQ(issuer, openssl_rfc4514(env.dir, der, "issuer")) << id;
            for (const char* not_4514 : {"GN=", "SN=", "organizationIdentifier=", "serialNumber="}) {
                EXPECT_EQ(subject.find(not_4514), std::string::npos) << subject;
            }
            const auto file = env.dir / ("dn-" + std::to_string(n++) + ".der");
            inkan::testing::write_file(file, der);
            list += file.string() + "\t" + subject + "\t" + issuer + "\n";
        }
    }
    const std::string yamada_subject =
        info_ok(Version::V2, Json{{"credentialID", yamada_cred.id}, {"certInfo", true}}, yamada_token)
            .at("cert")
            .at("subjectDN");
    EXPECT_NE(yamada_subject.find("CN=山田 太郎"), std::string::npos) << "UTF-8 kept: " << yamada_subject;
    const std::string lee_subject =
        info_ok(Version::V2, Json{{"credentialID", lee_cred.id}, {"certInfo", true}}, lee_token)
            .at("cert")
            .at("subjectDN");
    EXPECT_NE(lee_subject.find(R"(CN=Ann Lee\, Jr. \<#1\+\"2\"\>)"), std::string::npos) << lee_subject;

    // The JDK parses each (X500Principal throws on "GN=") and finds the certificate's own names.
    const auto list_file = env.dir / "dns.txt";
    inkan::testing::write_file(list_file, std::string_view{list});
    const auto r = inkan::testing::run({INKAN_SOURCE_DIR "/scripts/check-x500", list_file.string()});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(static_cast<int>(std::count(r.out.begin(), r.out.end(), '\n')), 2 * n) << r.out;
}

TEST_F(CredentialsTest, WithoutCertInfoThereAreNoCertificateDetails) {
    const Json cert = info_ok(Version::V2, Json{{"credentialID", alice_cred.id}}, alice_token).at("cert");
    for (const char* field : {"issuerDN", "subjectDN", "serialNumber", "validFrom", "validTo"}) {
        EXPECT_FALSE(cert.contains(field)) << field;
    }
    EXPECT_EQ(cert.at("status"), "valid");
}

TEST_F(CredentialsTest, AnEcKeyListsTheHashSpecificEcdsaOidsAndItsCurve) {
    for (const Version v : kVersions) {
        const Json key = info_ok(v, Json{{"credentialID", alice_cred.id}}, alice_token).at("key");
        EXPECT_EQ(key.at("status"), "enabled");
        for (const char* oid : {"1.2.840.10045.4.3.2", "1.2.840.10045.4.3.3", "1.2.840.10045.4.3.4"}) {
            EXPECT_TRUE(contains(key.at("algo"), oid)) << oid << " in " << key;
        }
        for (const Json& oid : key.at("algo")) {
            EXPECT_FALSE(oid.get<std::string>().starts_with("1.2.840.113549"))
                << "no RSA OID for an EC key: " << key;
        }
        EXPECT_EQ(key.at("len"), 256);
        EXPECT_EQ(key.at("curve"), "1.2.840.10045.3.1.7");
    }
}

TEST_F(CredentialsTest, AP384KeyNamesItsCurve) {
    const service::Credential p384 = env.add_credential("alice", hsm::KeySpec::EcP384);
    const Json key = info_ok(Version::V2, Json{{"credentialID", p384.id}}, alice_token).at("key");
    EXPECT_EQ(key.at("len"), 384);
    EXPECT_EQ(key.at("curve"), "1.3.132.0.34");
}

TEST_F(CredentialsTest, AnRsaKeyListsTheHashSpecificOidsPssAndRsaEncryption) {
    const service::Credential rsa = env.add_credential("alice", hsm::KeySpec::Rsa2048);
    for (const Version v : kVersions) {
        const Json key = info_ok(v, Json{{"credentialID", rsa.id}}, alice_token).at("key");
        for (const char* oid : {"1.2.840.113549.1.1.11", "1.2.840.113549.1.1.12", "1.2.840.113549.1.1.13",
                                "1.2.840.113549.1.1.10", "1.2.840.113549.1.1.1"}) {
            EXPECT_TRUE(contains(key.at("algo"), oid)) << oid << " in " << key;
        }
        EXPECT_FALSE(contains(key.at("algo"), "1.2.840.10045.4.3.2")) << key;
        EXPECT_EQ(key.at("len"), 2048);
        EXPECT_FALSE(key.contains("curve"));
        EXPECT_EQ(key.at("status"), "enabled");
    }
}

TEST_F(CredentialsTest, ScalIsAStringMultisignANumberAndLangTheDefault) {
    const service::Credential seal = env.add_seal("alice");
    for (const Version v : kVersions) {
        const Json personal =
            info_ok(v, Json{{"credentialID", alice_cred.id}, {"lang", "fr-FR"}}, alice_token);
        EXPECT_EQ(personal.at("SCAL"), "2");
        EXPECT_EQ(personal.at("multisign"), 1);
        EXPECT_EQ(personal.at("lang"), "en-US");
        EXPECT_EQ(personal.at("description"), "Signing key of alice");
        const Json sealed = info_ok(v, Json{{"credentialID", seal.id}}, alice_token);
        EXPECT_EQ(sealed.at("SCAL"), "1");
        EXPECT_EQ(sealed.at("multisign"), 50);
        EXPECT_EQ(sealed.at("description"), "Company seal");
    }
    EXPECT_EQ(body_of(info(Version::V2, Json{{"credentialID", seal.id}}, bob_token)),
              error_body("invalid_request", "Invalid parameter credentialID"))
        << "not a member";
}

TEST_F(CredentialsTest, V1AuthInfoDescribesThePinAndTheTotpDevice) {
    const Json body =
        info_ok(Version::V1, Json{{"credentialID", alice_cred.id}, {"authInfo", true}}, alice_token);
    EXPECT_EQ(body.at("authMode"), "explicit");
    const Json& pin = body.at("PIN");
    EXPECT_EQ(pin.at("presence"), "true");
    EXPECT_EQ(pin.at("format"), "N");
    EXPECT_EQ(pin.at("label"), "PIN");
    EXPECT_TRUE(pin.at("description").is_string());
    const Json& otp = body.at("OTP");
    EXPECT_EQ(otp.at("presence"), "true");
    EXPECT_EQ(otp.at("type"), "offline");
    EXPECT_EQ(otp.at("format"), "N");
    EXPECT_EQ(otp.at("provider"), "totp");
    EXPECT_EQ(otp.at("ID"), "inkan:alice");
    EXPECT_TRUE(otp.at("label").is_string());
    EXPECT_FALSE(body.contains("auth")) << "v2 only";
    // The TOTP seed is nowhere in the answer.
    const auto seed = env.accounts.totp_secret(alice.id);
    ASSERT_TRUE(seed.has_value());
    const std::string dumped = body.dump();
    EXPECT_EQ(dumped.find(base32_encode(*seed)), std::string::npos);
    EXPECT_EQ(dumped.find(base64_encode(*seed)), std::string::npos);
}

TEST_F(CredentialsTest, V1WithoutTotpTheOtpIsStillListedAndSaysNoDeviceIsEnrolled) {
    // authorize demands PIN and OTP of every explicit credential: info says so (decision 0027).
    const Json bobs =
        info_ok(Version::V1, Json{{"credentialID", bob_cred.id}, {"authInfo", true}}, bob_token);
    EXPECT_TRUE(bobs.contains("PIN"));
    ASSERT_TRUE(bobs.contains("OTP")) << bobs;
    EXPECT_EQ(bobs.at("OTP").at("presence"), "true");
    EXPECT_EQ(bobs.at("OTP").at("type"), "offline");
    EXPECT_FALSE(bobs.at("OTP").contains("ID")) << "no device, no device ID: " << bobs;
    EXPECT_EQ(
        bobs.at("OTP").at("description"),
        "Required, but no authenticator app is enrolled for this user yet: ask the operator to enrol one");
    const Json plain = info_ok(Version::V1, Json{{"credentialID", alice_cred.id}}, alice_token);
    EXPECT_EQ(plain.at("authMode"), "explicit");
    EXPECT_FALSE(plain.contains("PIN"));
    EXPECT_FALSE(plain.contains("OTP"));
}

TEST_F(CredentialsTest, V2AuthInfoDescribesPinAndTotpAsPasswordObjects) {
    const Json body =
        info_ok(Version::V2, Json{{"credentialID", alice_cred.id}, {"authInfo", true}}, alice_token);
    EXPECT_EQ(
        body.at("auth"),
        (Json{{"mode", "explicit"},
              {"expression", "PIN AND OTP"},
              {"objects",
               Json::array({Json{{"type", "Password"},
                                 {"id", "PIN"},
                                 {"format", "N"},
                                 {"label", "PIN"},
                                 {"description", "The PIN that activates this credential"}},
                            Json{{"type", "Password"},
                                 {"id", "OTP"},
                                 {"format", "N"},
                                 {"generator", "totp"},
                                 {"label", "OTP"},
                                 {"description", "The one-time code from your authenticator app"}}})}}));
    for (const char* v1_only : {"authMode", "PIN", "OTP"}) {
        EXPECT_FALSE(body.contains(v1_only)) << v1_only;
    }
    // Without a device the OTP is still demanded, and its object says why it cannot be given yet.
    const Json bobs =
        info_ok(Version::V2, Json{{"credentialID", bob_cred.id}, {"authInfo", true}}, bob_token);
    EXPECT_EQ(bobs.at("auth").at("expression"), "PIN AND OTP");
    ASSERT_EQ(bobs.at("auth").at("objects").size(), 2U);
    EXPECT_EQ(
        bobs.at("auth").at("objects")[1].at("description"),
        "Required, but no authenticator app is enrolled for this user yet: ask the operator to enrol one");
    EXPECT_FALSE(info_ok(Version::V2, Json{{"credentialID", alice_cred.id}}, alice_token).contains("auth"));
}

TEST_F(CredentialsTest, V2ReportsTheSignatureQualifierInInfoAndListV1DoesNot) {
    const Json v2 = info_ok(Version::V2, Json{{"credentialID", alice_cred.id}}, alice_token);
    EXPECT_EQ(v2.value("signatureQualifier", ""), "eu_eidas_aes") << v2;
    const Json listed = list_ok(Version::V2, Json{{"credentialInfo", true}}, alice_token);
    ASSERT_EQ(listed.at("credentialInfos").size(), 1U) << listed;
    EXPECT_EQ(listed.at("credentialInfos")[0].value("signatureQualifier", ""), "eu_eidas_aes") << listed;
    const Json v1 = info_ok(Version::V1, Json{{"credentialID", alice_cred.id}}, alice_token);
    EXPECT_FALSE(v1.contains("signatureQualifier")) << "v2 only: " << v1;
}

TEST_F(CredentialsTest, APendingCredentialHasItsKeyDisabledAndNoCertificates) {
    const service::Credential pending =
        env.add_credential("alice", hsm::KeySpec::EcP256, std::string{testing::kManualCa});
    ASSERT_EQ(pending.status, service::CredentialStatus::Pending);
    for (const Version v : kVersions) {
        const Json body =
            info_ok(v, Json{{"credentialID", pending.id}, {"certificates", "chain"}, {"certInfo", true}},
                    alice_token);
        EXPECT_EQ(body.at("key").at("status"), "disabled");
        EXPECT_EQ(body.at("key").at("len"), 256);
        EXPECT_EQ(body.at("cert"), Json::object()) << body;
    }
}

TEST_F(CredentialsTest, ARevokedCredentialHasItsKeyDisabledAndItsCertificateRevoked) {
    env.credentials->revoke(alice_cred.id, pki::RevocationReason::KeyCompromise);
    for (const Version v : kVersions) {
        const Json body = info_ok(v, Json{{"credentialID", alice_cred.id}}, alice_token);
        EXPECT_EQ(body.at("key").at("status"), "disabled");
        EXPECT_EQ(body.at("cert").at("status"), "revoked");
        EXPECT_EQ(body.at("cert").at("certificates").size(), 1U);
    }
}

TEST_F(CredentialsTest, AnExpiredCertificateIsExpiredAndItsKeyDisabled) {
    const pki::Certificate leaf = pki::Certificate::from_der(alice_cred.chain.front());
    env.clock.set(leaf.not_after() + 1s);
    const std::string token = env.login("alice");
    for (const Version v : kVersions) {
        const Json body = info_ok(v, Json{{"credentialID", alice_cred.id}}, token);
        EXPECT_EQ(body.at("key").at("status"), "disabled");
        EXPECT_EQ(body.at("cert").at("status"), "expired");
    }
    EXPECT_EQ(list_ok(Version::V2, Json{{"onlyValid", true}}, token).at("credentialIDs"), Json::array());
}

// ---- GeneralizedTime -----------------------------------------------------------------------

TEST(GeneralizedTime, IsYyyymmddhhmmssZInUtcWithWholeSeconds) {
    EXPECT_EQ(detail::generalized_time(TimePoint{}), "19700101000000Z");
    EXPECT_EQ(detail::generalized_time(parse_rfc3339("2025-11-21T17:28:42.987Z")), "20251121172842Z");
    EXPECT_EQ(detail::generalized_time(parse_rfc3339("2049-12-31T23:59:59Z")), "20491231235959Z");
    EXPECT_EQ(detail::generalized_time(parse_rfc3339("2050-01-01T00:00:00+09:00")), "20491231150000Z");
    EXPECT_EQ(detail::generalized_time(TimePoint::max()), "99991231235959Z");
}

}  // namespace
}  // namespace inkan::api
