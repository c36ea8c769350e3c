// POST /inkan/v1/validate (issues 15, 16): the validator behind a service token, JSON or raw bodies, over
// the real router and services (test_env.h). The verdicts themselves are tested in src/validation; here a
// CMS signed by openssl and a detached XML-DSig signed by xmlsec1 (outside inkan) with their own
// certificate as the configured anchor.

#include <algorithm>

#include <gtest/gtest.h>

#include <inkan/core/encoding.h>
#include <inkan/crypto/digest.h>
#include <inkan/pki/certificate.h>
#include <inkan/service/validation.h>

#include "test_env.h"

namespace inkan::api {
namespace {

using testing::CscEnv;
using testing::Json;

struct Signed {
    Bytes cms;
    Bytes anchor;
    Bytes xml;  ///< a detached XML-DSig by xmlsec1 whose reference names "data.txt"
};

const Signed& openssl_signed() {
    static const Signed s = [] {
        static inkan::testing::TempDir dir{"inkan-api-validate"};
        const auto r1 = inkan::testing::run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                             "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                                             (dir / "key.pem").string(), "-out", (dir / "cert.pem").string(),
                                             "-subj", "/CN=Validate API Signer", "-days", "30"});
        EXPECT_EQ(r1.exit_code, 0) << inkan::testing::describe(r1);
        inkan::testing::write_file(dir / "data.txt", std::string_view{"validate me\n"});
        const auto r2 = inkan::testing::run(
            {"openssl", "cms", "-sign", "-binary", "-nodetach", "-in", (dir / "data.txt").string(), "-signer",
             (dir / "cert.pem").string(), "-inkey", (dir / "key.pem").string(), "-outform", "DER", "-out",
             (dir / "a.p7s").string()});
        EXPECT_EQ(r2.exit_code, 0) << inkan::testing::describe(r2);
        Signed out;
        out.cms = inkan::testing::read_file(dir / "a.p7s");
        out.anchor = pki::Certificate::from_pem(to_string(inkan::testing::read_file(dir / "cert.pem"))).der();
        inkan::testing::write_file(
            dir / "template.xml",
            std::string_view{
                "<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><SignedInfo>"
                "<CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>"
                "<SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256\"/>"
                "<Reference URI=\"data.txt\"><DigestMethod "
                "Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><DigestValue/></Reference>"
                "</SignedInfo><SignatureValue/><KeyInfo><X509Data/></KeyInfo></Signature>\n"});
        const auto r3 =
            inkan::testing::run({"env", "-C", dir.path().string(), "xmlsec1", "--sign", "--privkey-pem",
                                 "key.pem,cert.pem", "--output", "signed.xml", "template.xml"});
        EXPECT_EQ(r3.exit_code, 0) << inkan::testing::describe(r3);
        out.xml = inkan::testing::read_file(dir / "signed.xml");
        return out;
    }();
    return s;
}

class ValidateRoute : public ::testing::Test {
protected:
    ValidateRoute() {
        service::ValidationSettings settings;
        settings.work_dir = env.dir / "work";
        settings.max_document_bytes = 1024 * 1024;
        settings.trust_anchors = {openssl_signed().anchor};
        validation = std::make_unique<service::Validation>(std::move(settings));
        CscDeps deps{env.sessions, *env.credentials, env.accounts, *env.authorization, env.clock,
                     {},           nullptr};
        deps.validation = validation.get();
        add_csc_routes(router, std::move(deps));
        env.add_user("alice");
        token = env.login("alice");
    }

    http::Response post(std::string body, std::string content_type, bool with_token = true,
                        std::string accept = {}) {
        const auto resolution = router.resolve("POST", std::string{kValidatePath});
        EXPECT_EQ(resolution.kind, http::Router::Resolution::Kind::Found);
        http::Request request;
        request.method = "POST";
        request.target = request.path = std::string{kValidatePath};
        request.route = resolution.pattern;
        request.body = std::move(body);
        request.headers.add("Content-Type", std::move(content_type));
        if (with_token) request.headers.add("Authorization", testing::bearer(token));
        if (!accept.empty()) request.headers.add("Accept", std::move(accept));
        request.remote_address = "127.0.0.1";
        request.request_id = "test";
        request.listener = "api";
        return resolution.route->handler(request);
    }

    CscEnv env;
    http::Router router;
    std::unique_ptr<service::Validation> validation;
    std::string token;
};

TEST_F(ValidateRoute, JsonDocumentGetsTheReport) {
    const auto r = post(Json{{"document", base64_encode(openssl_signed().cms)}}.dump(), "application/json");
    ASSERT_EQ(r.status, 200) << r.body;
    const Json j = Json::parse(r.body);
    ASSERT_EQ(j["documents"].size(), 1u) << r.body;
    EXPECT_EQ(j["documents"][0]["file"], "document[0]");
    EXPECT_EQ(j["documents"][0]["format"], "CAdES");
    EXPECT_EQ(j["documents"][0]["signatures"][0]["indication"], "TOTAL-PASSED") << r.body;
}

TEST_F(ValidateRoute, RawBodyAndSeveralDocuments) {
    const std::string raw = to_string(openssl_signed().cms);
    const auto r = post(raw, "application/pkcs7-signature");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Json::parse(r.body)["documents"][0]["signatures"][0]["indication"], "TOTAL-PASSED") << r.body;

    Bytes tampered = openssl_signed().cms;
    const std::string needle = "validate me";
    const auto at = std::search(tampered.begin(), tampered.end(), needle.begin(), needle.end());
    ASSERT_NE(at, tampered.end());
    *at ^= 0x01;
    const Json body{{"documents",
                     {{{"document", base64_encode(openssl_signed().cms)}},
                      {{"document", base64_encode(tampered)}},
                      {{"document", base64_encode(to_bytes(std::string_view{"not a signature"}))}}}}};
    const auto m = post(body.dump(), "application/json");
    ASSERT_EQ(m.status, 200) << m.body;
    const Json j = Json::parse(m.body);
    ASSERT_EQ(j["documents"].size(), 3u) << m.body;
    EXPECT_EQ(j["documents"][0]["signatures"][0]["indication"], "TOTAL-PASSED");
    EXPECT_EQ(j["documents"][1]["signatures"][0]["subindication"], "HASH_FAILURE") << m.body;
    EXPECT_FALSE(j["documents"][2]["error"].is_null()) << m.body;
}

// A detached XML signature gets the documents its references name in `contents` (decision 0025).
TEST_F(ValidateRoute, XmlSignatureWithDetachedContentsGetsTheReport) {
    const std::string data = base64_encode(to_bytes(std::string_view{"validate me\n"}));
    const auto r = post(Json{{"document", base64_encode(openssl_signed().xml)},
                             {"contents", Json::array({Json{{"uri", "data.txt"}, {"content", data}}})}}
                            .dump(),
                        "application/json");
    ASSERT_EQ(r.status, 200) << r.body;
    const Json j = Json::parse(r.body);
    EXPECT_EQ(j["documents"][0]["format"], "XAdES") << r.body;
    EXPECT_EQ(j["documents"][0]["signatures"][0]["indication"], "TOTAL-PASSED") << r.body;

    const std::string other = base64_encode(to_bytes(std::string_view{"not me\n"}));
    const auto wrong = post(
        Json{{"documents", Json::array({Json{
                               {"document", base64_encode(openssl_signed().xml)},
                               {"contents", Json::array({Json{{"uri", "data.txt"}, {"content", other}}})}}})}}
            .dump(),
        "application/json");
    ASSERT_EQ(wrong.status, 200) << wrong.body;
    EXPECT_EQ(Json::parse(wrong.body)["documents"][0]["signatures"][0]["subindication"], "HASH_FAILURE")
        << wrong.body;

    const auto raw = post(to_string(openssl_signed().xml), "application/xml");
    ASSERT_EQ(raw.status, 200) << raw.body;
    EXPECT_EQ(Json::parse(raw.body)["documents"][0]["signatures"][0]["subindication"],
              "SIGNED_DATA_NOT_FOUND")
        << raw.body;

    const auto bad =
        post(Json{{"document", base64_encode(openssl_signed().xml)}, {"contents", "data.txt"}}.dump(),
             "application/json");
    EXPECT_EQ(bad.status, 400) << bad.body;
}

// Issue 17: the same several documents as CSV (the writer of `inkan verify --csv`): a header, one row
// per signature, one for the document that is no signature, CRLF records; python3's csv module reads it.
TEST_F(ValidateRoute, SeveralDocumentsWithAcceptTextCsvGetTheBatchCsv) {
    Bytes tampered = openssl_signed().cms;
    const std::string needle = "validate me";
    const auto at = std::search(tampered.begin(), tampered.end(), needle.begin(), needle.end());
    ASSERT_NE(at, tampered.end());
    *at ^= 0x01;
    const Json body{{"documents",
                     {{{"document", base64_encode(openssl_signed().cms)}},
                      {{"document", base64_encode(tampered)}},
                      {{"document", base64_encode(to_bytes(std::string_view{"not a signature"}))}}}}};
    const auto r = post(body.dump(), "application/json", true, "text/csv, application/json;q=0.5");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.content_type, "text/csv; charset=utf-8; header=present");
    EXPECT_EQ(r.body.rfind("file,sha256,format,kind,id,", 0), 0U) << r.body;

    inkan::testing::TempDir dir{"inkan-api-validate-csv"};
    inkan::testing::write_file(dir / "out.csv", std::string_view{r.body});
    const auto py = inkan::testing::run(
        {"python3", "-c",
         "import csv,sys\n"
         "rows=list(csv.DictReader(open(sys.argv[1],newline='',encoding='utf-8')))\n"
         "print(len(rows))\n"
         "for x in rows: "
         "print(x['file'],x['kind'],x['indication'],x['subindication'],x['sha256'][:8],sep='|')\n",
         (dir / "out.csv").string()});
    ASSERT_EQ(py.exit_code, 0) << inkan::testing::describe(py);
    const std::string sha = hex_encode(crypto::digest(crypto::DigestAlgorithm::Sha256, openssl_signed().cms));
    const std::string want =
        "3\ndocument[0]|signature|TOTAL-PASSED||" + sha.substr(0, 8) +
        "\ndocument[1]|signature|TOTAL-FAILED|HASH_FAILURE|" +
        hex_encode(crypto::digest(crypto::DigestAlgorithm::Sha256, tampered)).substr(0, 8) +
        "\ndocument[2]|error|||" +
        hex_encode(
            crypto::digest(crypto::DigestAlgorithm::Sha256, to_bytes(std::string_view{"not a signature"})))
            .substr(0, 8) +
        "\n";
    EXPECT_EQ(py.out, want) << r.body;
    // RFC 4180 records: every line ends with CRLF.
    EXPECT_EQ(std::count(r.body.begin(), r.body.end(), '\n'), 4) << r.body;
    EXPECT_EQ(std::count(r.body.begin(), r.body.end(), '\r'), 4) << r.body;

    // Without Accept (or preferring JSON) the same request is the JSON report, as before.
    const auto j = post(body.dump(), "application/json", true, "application/json, text/csv");
    ASSERT_EQ(j.status, 200) << j.body;
    EXPECT_EQ(Json::parse(j.body)["documents"].size(), 3U) << j.body;
}

TEST_F(ValidateRoute, RefusalsAreProblemDetailsThatCscClientsAlsoRead) {
    const auto unauth =
        post(Json{{"document", base64_encode(openssl_signed().cms)}}.dump(), "application/json", false);
    EXPECT_EQ(unauth.status, 401) << unauth.body;
    const auto bad64 = post(Json{{"document", "%%%"}}.dump(), "application/json");
    EXPECT_EQ(bad64.status, 400) << bad64.body;
    EXPECT_EQ(Json::parse(bad64.body)["error"], "invalid_request") << bad64.body;
    const auto missing = post(Json{{"nothing", 1}}.dump(), "application/json");
    EXPECT_EQ(missing.status, 400) << missing.body;
    const auto not_json = post("{", "application/json");
    EXPECT_EQ(not_json.status, 400) << not_json.body;
    const std::string big(2 * 1024 * 1024, 'x');
    const auto too_large = post(big, "application/pdf");
    EXPECT_EQ(too_large.status, 413) << too_large.body;
}

TEST_F(ValidateRoute, ARefusalIsAnRfc9457ProblemWithTheCscMembers) {
    // docs/errors.md: the vendor routes answer RFC 9457 problem details; error/error_description stay for
    // clients that read CSC errors (the client library does).
    const auto bad64 = post(Json{{"document", "%%%"}}.dump(), "application/json");
    EXPECT_EQ(bad64.content_type, "application/problem+json") << bad64.body;
    const Json p = Json::parse(bad64.body);
    EXPECT_EQ(p.at("type"), "about:blank") << bad64.body;
    EXPECT_EQ(p.at("title"), "Bad Request") << bad64.body;
    EXPECT_EQ(p.at("status"), 400) << bad64.body;
    EXPECT_EQ(p.at("error"), "invalid_request") << bad64.body;
    EXPECT_FALSE(p.at("detail").get<std::string>().empty()) << bad64.body;
    EXPECT_EQ(p.at("detail"), p.at("error_description")) << bad64.body;
    const auto unauth =
        post(Json{{"document", base64_encode(openssl_signed().cms)}}.dump(), "application/json", false);
    EXPECT_EQ(unauth.content_type, "application/problem+json") << unauth.body;
    EXPECT_EQ(Json::parse(unauth.body).at("title"), "Unauthorized") << unauth.body;
    EXPECT_EQ(unauth.headers.get("WWW-Authenticate"), R"(Bearer error="invalid_token")");
}

TEST_F(ValidateRoute, RunsOnTheWorkerPoolWithTheDocumentLimit) {
    bool found = false;
    for (const auto& r : router.routes()) {
        if (r.path == kValidatePath) {
            found = true;
            EXPECT_EQ(r.execution, http::Execution::Worker);
        }
    }
    EXPECT_TRUE(found);
    EXPECT_GE(router.largest_body_limit(), 1024u * 1024u / 3 * 4);
}

}  // namespace
}  // namespace inkan::api
