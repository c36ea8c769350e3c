// XAdES signing judged from outside: xmlsec1 --verify (XML-DSig core: every reference and the
// SignatureValue, the KeyInfo chain against the test root), the xadesjs checker (scripts/verify-xades:
// the same core in JavaScript plus SignedProperties, SigningCertificateV2, DataObjectFormat and the
// SignatureTimeStamp imprint) and openssl ts -verify (the time-stamp over the canonical SignatureValue).
// Keys are in SoftHSM (ades fixture: RSA-2048, P-256, P-384, P-521), certificates from the built-in CA.

#include <inkan/xades/xades.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/pki/revocation.h>
#include <inkan/testing/process.h>

#include "fixture.h"

namespace inkan::xades {
namespace {

using ades::testkit::world;
using testing::run;

/// A document with what real XML carries: an XML declaration, a DOCTYPE with an internal subset,
/// a default namespace and prefixes declared on inner elements, Japanese text in content and
/// attributes, comments, CDATA, a processing instruction and Ids for detached references.
const std::string kInvoice =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!DOCTYPE Invoice [<!ELEMENT Invoice ANY>]>\n"
    "<!-- 請求書: a comment before the root -->\n"
    "<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\" xml:lang=\"ja\">\n"
    "  <cbc:ID "
    "xmlns:cbc=\"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2\">INV-001</cbc:ID>\n"
    "  <?app-hint keep this?>\n"
    "  <Party 名前=\"株式会社 山田商店\" note='a &amp; b &lt; c'>\n"
    "    <!-- 取引先 -->\n"
    "    <cac:Name xmlns:cac=\"urn:x-cac\" xmlns:unused=\"urn:x-unused\">山田 太郎</cac:Name>\n"
    "  </Party>\n"
    "  <Line Id=\"line-1\"><Item>りんご</Item><Price currency=\"JPY\">100</Price></Line>\n"
    "  <Line Id=\"line-2\"><Item><![CDATA[<みかん> & more]]></Item><Price "
    "currency=\"JPY\">250</Price></Line>\n"
    "  <Note>   空白   を保つ\t</Note>\n"
    "</Invoice>\n";

/// xmlsec1 registers Id attributes as XML IDs only on elements it is told about (ds:Object,
/// SignedProperties are known): the invoice's Line elements.
const std::vector<std::string> kLineIds{"--id-attr:Id",
                                        "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2:Line"};

/// The invoice without xml:lang on the root. Inclusive C14N copies inherited xml:* attributes onto the apex
/// of a subtree (C14N 1.0 §2.4), which libxml2 and xmlsec1 do and xmldsigjs does not, so the inclusive
/// test signs a document without them (exclusive C14N, the default, does not inherit them).
const std::string kInvoiceNoLang = [] {
    std::string s = kInvoice;
    const std::string lang = " xml:lang=\"ja\"";
    s.erase(s.find(lang), lang.size());
    return s;
}();

struct Judged {
    testing::CommandResult xmlsec;
    testing::CommandResult xadesjs;
};

/// Writes `xml` (and external documents beside it, under their URIs) and runs both judges.
Judged judge(const Bytes& xml, const std::vector<std::pair<std::string, Bytes>>& external = {},
             bool run_xmlsec = true, const std::vector<std::string>& xmlsec_options = {},
             bool run_xadesjs = true) {
    testing::TempDir d{"inkan-xades-judge"};
    const auto file = d / "signed.xml";
    testing::write_file(file, xml);
    std::vector<std::string> js{std::string{INKAN_SOURCE_DIR} + "/scripts/verify-xades"};
    for (const auto& [uri, bytes] : external) {
        testing::write_file(d / uri, bytes);
        js.push_back("--content");
        js.push_back(uri + "=" + (d / uri).string());
    }
    js.push_back(file.string());
    Judged j;
    if (run_xmlsec) {
        // Relative URIs of external references resolve against xmlsec1's working directory: run it
        // in the directory that holds the documents (env -C).
        std::vector<std::string> argv{"env",
                                      "-C",
                                      d.path().string(),
                                      "xmlsec1",
                                      "--verify",
                                      "--trusted-pem",
                                      world().root_pem.string()};
        argv.insert(argv.end(), xmlsec_options.begin(), xmlsec_options.end());
        argv.push_back(file.string());
        j.xmlsec = run(argv);
    }
    if (run_xadesjs) j.xadesjs = run(js);
    return j;
}

void expect_accepted(const Judged& j, bool xmlsec = true) {
    if (xmlsec) {
        EXPECT_EQ(j.xmlsec.exit_code, 0) << "xmlsec1: " << testing::describe(j.xmlsec);
        EXPECT_NE(j.xmlsec.err.find("OK"), std::string::npos) << testing::describe(j.xmlsec);
    }
    EXPECT_EQ(j.xadesjs.exit_code, 0) << "xadesjs: " << testing::describe(j.xadesjs);
    EXPECT_NE(j.xadesjs.out.find("\"valid\":true"), std::string::npos) << j.xadesjs.out;
}

void expect_refused(const Judged& j, bool xmlsec = true) {
    if (xmlsec) {
        EXPECT_NE(j.xmlsec.exit_code, 0) << "xmlsec1 accepted: " << testing::describe(j.xmlsec);
    }
    EXPECT_NE(j.xadesjs.exit_code, 0) << "xadesjs accepted: " << testing::describe(j.xadesjs);
}

/// The text of the first <prefix:name ...>text</prefix:name> in `xml` (or "").
std::string element_text(const std::string& xml, const std::string& qname) {
    const auto open = xml.find("<" + qname);
    if (open == std::string::npos) return {};
    const auto gt = xml.find('>', open);
    const auto close = xml.find("</" + qname + ">", gt);
    return xml.substr(gt + 1, close - gt - 1);
}

std::string attribute_of(const std::string& xml, const std::string& qname, const std::string& attr) {
    const auto open = xml.find("<" + qname);
    if (open == std::string::npos) return {};
    const auto gt = xml.find('>', open);
    const auto at = xml.find(" " + attr + "=\"", open);
    if (at == std::string::npos || at > gt) return {};
    const auto start = at + attr.size() + 3;
    return xml.substr(start, xml.find('"', start) - start);
}

std::string replace_once(std::string s, const std::string& from, const std::string& to) {
    const auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << "no \"" << from << "\" to tamper with";
    if (at != std::string::npos) s.replace(at, from.size(), to);
    return s;
}

XadesOptions options_for(ades::Level level = ades::Level::BB) {
    XadesOptions o;
    o.level = level;
    o.time_stamper = world().stamper.get();
    return o;
}

TEST(XadesEnveloped, RsaPkcs1SignatureOfARichDocumentIsAcceptedByXmlsecAndXadesjs) {
    const Bytes out = sign_xades(XadesContent::enveloped(to_bytes(kInvoice)), *world().rsa, options_for());
    const std::string xml = to_string(out);
    EXPECT_NE(xml.find("xmldsig-more#rsa-sha256"), std::string::npos) << xml;
    // The document around the signature is unchanged: its DOCTYPE, comments, CDATA, PI, Japanese text.
    for (const std::string part :
         {"<!DOCTYPE Invoice [", "<!-- 請求書", "<![CDATA[<みかん> & more]]>", "<?app-hint keep this?>",
          "名前=\"株式会社 山田商店\"", "   空白   を保つ\t"}) {
        EXPECT_NE(xml.find(part), std::string::npos) << part << " lost in " << xml;
    }
    expect_accepted(judge(out));
}

TEST(XadesEnveloped, TamperedContentFailsBothJudges) {
    const std::string xml =
        to_string(sign_xades(XadesContent::enveloped(to_bytes(kInvoice)), *world().rsa, options_for()));
    expect_refused(judge(to_bytes(replace_once(xml, "りんご", "ぶどう"))));
    // A change inside an attribute value, and one inside CDATA.
    expect_refused(judge(to_bytes(replace_once(xml, "山田商店", "山田商会"))));
    expect_refused(judge(to_bytes(replace_once(xml, "<みかん>", "<みかん!>"))));
}

TEST(XadesEnveloped, TamperedSignedPropertiesOrSignatureValueFailsBothJudges) {
    const std::string xml =
        to_string(sign_xades(XadesContent::enveloped(to_bytes(kInvoice)), *world().ec, options_for()));
    const std::string time = element_text(xml, "xades:SigningTime");
    ASSERT_EQ(time.size(), 20U) << xml;
    const std::string earlier = (time[3] == '0' ? "2019" : "2010") + time.substr(4);
    expect_refused(judge(to_bytes(replace_once(xml, time, earlier))));
    std::string value = element_text(xml, "ds:SignatureValue");
    ASSERT_FALSE(value.empty());
    std::string changed = value;
    changed[5] = changed[5] == 'A' ? 'B' : 'A';
    expect_refused(judge(to_bytes(replace_once(xml, value, changed))));
}

TEST(XadesEnveloped, RsaPssIsAcceptedByXadesjs) {
    // xmlsec1 1.2.37 has no RSASSA-PSS (its --list-transforms names none); xadesjs verifies it.
    XadesOptions o = options_for();
    o.algorithm = crypto::SignatureAlgorithm::rsa_pss(crypto::DigestAlgorithm::Sha256);
    const Bytes out = sign_xades(XadesContent::enveloped(to_bytes(kInvoice)), *world().rsa, o);
    EXPECT_NE(to_string(out).find("http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1"),
              std::string::npos);
    expect_accepted(judge(out, {}, false), false);
    const std::string tampered = replace_once(to_string(out), "りんご", "ぶどう");
    expect_refused(judge(to_bytes(tampered), {}, false), false);
}

TEST(XadesEnveloped, RsaWithSha512IsAccepted) {
    XadesOptions o = options_for();
    o.algorithm = crypto::SignatureAlgorithm::rsa_pkcs1(crypto::DigestAlgorithm::Sha512);
    const Bytes out = sign_xades(XadesContent::enveloped(to_bytes(kInvoice)), *world().rsa, o);
    EXPECT_NE(to_string(out).find("xmldsig-more#rsa-sha512"), std::string::npos);
    EXPECT_NE(to_string(out).find("xmlenc#sha512"), std::string::npos);
    expect_accepted(judge(out));
}

struct CurveCase {
    sign::HsmSigner* signer;
    std::size_t raw_length;  // r||s
    std::string uri;
};

TEST(XadesEnveloped, EcdsaOnEveryCurveIsRawRsAndAcceptedByBothJudges) {
    const std::vector<CurveCase> cases{
        {world().ec.get(), 64, "xmldsig-more#ecdsa-sha256"},
        {world().ec384.get(), 96, "xmldsig-more#ecdsa-sha384"},
        {world().ec521.get(), 132, "xmldsig-more#ecdsa-sha512"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.uri);
        const Bytes out = sign_xades(XadesContent::enveloped(to_bytes(kInvoice)), *c.signer, options_for());
        const std::string xml = to_string(out);
        EXPECT_NE(xml.find(c.uri), std::string::npos);
        // XMLDSig 1.1 §6.4.3: r and s each at the field length, not DER.
        EXPECT_EQ(base64_decode(element_text(xml, "ds:SignatureValue")).size(), c.raw_length);
        expect_accepted(judge(out));
    }
}

TEST(XadesEnveloped, InclusiveC14nForSignedInfoAndReferencesIsAccepted) {
    for (auto m : {C14n::Inclusive10, C14n::Inclusive11}) {
        SCOPED_TRACE(std::string{uri(m)});
        XadesOptions o = options_for();
        o.c14n = m;
        const Bytes out = sign_xades(XadesContent::enveloped(to_bytes(kInvoiceNoLang)), *world().ec, o);
        EXPECT_NE(to_string(out).find(std::string{uri(m)} + "\""), std::string::npos);
        const Judged j = judge(out);
        if (m == C14n::Inclusive10) {
            expect_accepted(j);
        } else {
            // xmldsigjs 2.8.8 does not know C14N 1.1 ("Unknown transform"); xmlsec1 judges it alone.
            EXPECT_EQ(j.xmlsec.exit_code, 0) << testing::describe(j.xmlsec);
        }
        const std::string tampered = replace_once(to_string(out), "りんご", "ぶどう");
        EXPECT_NE(judge(to_bytes(tampered)).xmlsec.exit_code, 0);
    }
}

TEST(XadesEnveloping, TwoBase64ObjectsAreAcceptedAndTamperingFails) {
    const Bytes pdf = to_bytes("%PDF-1.7 not really a pdf, but bytes\n\x01\x02\xff");
    const Bytes text = to_bytes("契約書の本文です。");
    const Bytes out =
        sign_xades(XadesContent::enveloping({{pdf, "application/pdf"}, {text, "text/plain; charset=UTF-8"}}),
                   *world().rsa, options_for());
    const std::string xml = to_string(out);
    EXPECT_EQ(xml.find("<ds:Signature"), xml.find('<', xml.find("?>") + 2))
        << "root must be ds:Signature: " << xml;
    EXPECT_NE(xml.find(base64_encode(text)), std::string::npos);
    expect_accepted(judge(out));
    expect_refused(
        judge(to_bytes(replace_once(xml, base64_encode(text), base64_encode(to_bytes("改ざん"))))));
}

TEST(XadesDetached, TwoExternalDocumentsAreAcceptedWithTheirContentAndRefusedWithOther) {
    const Bytes a = to_bytes("請求書 PDF の代わり\n");
    const Bytes b(100000, 0x5a);
    std::istringstream sa{to_string(a)};
    std::istringstream sb{to_string(b)};
    const Bytes out = sign_xades(XadesContent::detached({{"invoice.txt", &sa, "text/plain"},
                                                         {"data.bin", &sb, "application/octet-stream"}}),
                                 *world().ec, options_for());
    const std::string xml = to_string(out);
    EXPECT_NE(xml.find("URI=\"invoice.txt\""), std::string::npos) << xml;
    EXPECT_NE(xml.find("URI=\"data.bin\""), std::string::npos) << xml;
    expect_accepted(judge(out, {{"invoice.txt", a}, {"data.bin", b}}));
    expect_refused(judge(out, {{"invoice.txt", to_bytes("請求書 PDF の代わり!\n")}, {"data.bin", b}}));
}

TEST(XadesDetached, SiblingElementsByIdAreAcceptedAndTamperingOneFails) {
    const Bytes out = sign_xades(XadesContent::detached_elements(to_bytes(kInvoice), {"line-1", "line-2"}),
                                 *world().rsa, options_for());
    const std::string xml = to_string(out);
    EXPECT_NE(xml.find("URI=\"#line-1\""), std::string::npos);
    EXPECT_NE(xml.find("URI=\"#line-2\""), std::string::npos);
    expect_accepted(judge(out, {}, true, kLineIds));
    expect_refused(judge(to_bytes(replace_once(xml, ">250<", ">25<")), {}, true, kLineIds));
    // Outside the signed elements a change is allowed: the note is not signed.
    expect_accepted(judge(to_bytes(replace_once(xml, "を保つ", "を変えた")), {}, true, kLineIds));
}

TEST(XadesDetached, AnIdThatIsMissingOrDuplicatedIsRefused) {
    try {
        (void)sign_xades(XadesContent::detached_elements(to_bytes(kInvoice), {"line-9"}), *world().rsa,
                         options_for());
        ADD_FAILURE() << "missing Id accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::InvalidRequest);
        EXPECT_NE(std::string{e.what()}.find("line-9"), std::string::npos) << e.what();
    }
    const std::string twice = replace_once(kInvoice, "Id=\"line-2\"", "Id=\"line-1\"");
    try {
        (void)sign_xades(XadesContent::detached_elements(to_bytes(twice), {"line-1"}), *world().rsa,
                         options_for());
        ADD_FAILURE() << "duplicate Id accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::InvalidRequest);
        EXPECT_NE(std::string{e.what()}.find("2 elements"), std::string::npos) << e.what();
    }
}

TEST(XadesProperties, SignedPropertiesCarryCertificateRoleCommitmentAndFormats) {
    XadesOptions o = options_for();
    o.claimed_roles = {"経理部長", "Approver & <signer>"};
    o.commitment_type = std::string{commitment::kProofOfApproval};
    const Bytes out =
        sign_xades(XadesContent::enveloped(to_bytes(kInvoice), "application/xml"), *world().rsa, o);
    const std::string xml = to_string(out);
    EXPECT_NE(xml.find("<xades:ClaimedRole>経理部長</xades:ClaimedRole>"), std::string::npos) << xml;
    EXPECT_NE(xml.find("<xades:ClaimedRole>Approver &amp; &lt;signer&gt;</xades:ClaimedRole>"),
              std::string::npos);
    EXPECT_NE(
        xml.find("<xades:Identifier>http://uri.etsi.org/01903/v1.2.2#ProofOfApproval</xades:Identifier>"),
        std::string::npos);
    EXPECT_NE(xml.find("<xades:MimeType>application/xml</xades:MimeType>"), std::string::npos);
    EXPECT_NE(xml.find("Type=\"http://uri.etsi.org/01903#SignedProperties\""), std::string::npos);
    // IssuerSerialV2 is DER IssuerSerial: check it with openssl asn1parse (names the issuer's CN).
    const Bytes issuer_serial = base64_decode(element_text(xml, "xades:IssuerSerialV2"));
    testing::TempDir d{"inkan-xades-is"};
    testing::write_file(d / "is.der", issuer_serial);
    const auto parsed = run({"openssl", "asn1parse", "-inform", "DER", "-in", (d / "is.der").string()});
    EXPECT_EQ(parsed.exit_code, 0) << testing::describe(parsed);
    EXPECT_NE(parsed.out.find("cont [ 4 ]"), std::string::npos) << parsed.out;
    EXPECT_NE(parsed.out.find("inkan ades test root"), std::string::npos) << parsed.out;
    expect_accepted(judge(out));
    // The role is signed: changing it breaks the SignedProperties digest.
    expect_refused(judge(to_bytes(replace_once(xml, "経理部長", "社長"))));
}

TEST(XadesBT, SignatureTimeStampImprintIsTheCanonicalSignatureValueForOpensslTsAndXadesjs) {
    const Bytes out =
        sign_xades(XadesContent::enveloped(to_bytes(kInvoice)), *world().ec, options_for(ades::Level::BT));
    const std::string xml = to_string(out);
    const Bytes token = base64_decode(element_text(xml, "xades:EncapsulatedTimeStamp"));
    ASSERT_FALSE(token.empty()) << xml;
    // Exclusive C14N of <ds:SignatureValue Id=..>b64</ds:SignatureValue> written out by the spec's rules
    // (the ds namespace declared on the element itself, attributes in order, the text as it is).
    const std::string canonical = "<ds:SignatureValue xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" Id=\"" +
                                  attribute_of(xml, "ds:SignatureValue", "Id") + "\">" +
                                  element_text(xml, "ds:SignatureValue") + "</ds:SignatureValue>";
    const auto ts = ades::testkit::openssl_ts_verify(token, as_bytes(canonical));
    EXPECT_EQ(ts.exit_code, 0) << testing::describe(ts);
    EXPECT_NE(ts.out.find("Verification: OK"), std::string::npos) << testing::describe(ts);
    // The base64 text alone is not what is stamped (ades.md §7 pitfall 10): openssl must refuse it.
    const auto wrong =
        ades::testkit::openssl_ts_verify(token, as_bytes(element_text(xml, "ds:SignatureValue")));
    EXPECT_NE(wrong.exit_code, 0) << testing::describe(wrong);
    const Judged j = judge(out);
    expect_accepted(j);
    EXPECT_NE(j.xadesjs.out.find("\"signature_time_stamps\":1"), std::string::npos) << j.xadesjs.out;
}

TEST(XadesBT, EveryPackagingTakesASignatureTimeStamp) {
    std::istringstream ext{"外部文書"};
    const std::vector<std::pair<XadesContent, std::vector<std::pair<std::string, Bytes>>>> cases{
        {XadesContent::enveloping({{to_bytes("データ"), "text/plain"}}), {}},
        {XadesContent::detached({{"doc.txt", &ext, "text/plain"}}), {{"doc.txt", to_bytes("外部文書")}}},
        {XadesContent::detached_elements(to_bytes(kInvoice), {"line-2"}), {}},
    };
    for (const auto& [content, external] : cases) {
        SCOPED_TRACE(std::string{name(content.packaging)});
        const Bytes out = sign_xades(content, *world().rsa, options_for(ades::Level::BT));
        const Judged j = judge(out, external, true, kLineIds);
        expect_accepted(j);
        EXPECT_NE(j.xadesjs.out.find("\"signature_time_stamps\":1"), std::string::npos) << j.xadesjs.out;
    }
}

/// Every <xades:NAME>b64</xades:NAME> in `xml`, decoded.
std::vector<Bytes> all_values(const std::string& xml, const std::string& name) {
    std::vector<Bytes> out;
    const std::string open = "<xades:" + name + ">";
    const std::string close = "</xades:" + name + ">";
    for (auto at = xml.find(open); at != std::string::npos; at = xml.find(open, at + 1)) {
        const auto start = at + open.size();
        out.push_back(base64_decode(xml.substr(start, xml.find(close, start) - start)));
    }
    return out;
}

TEST(XadesBLT, CertificateAndRevocationValuesCoverTheSignerAndTsaChainsForOpenssl) {
    pki::RevocationFetcher fetcher;
    XadesOptions o = options_for(ades::Level::BLT);
    o.revocation = &fetcher;
    pki::ValidationData used;
    o.validation_used = &used;
    const Bytes out = sign_xades(XadesContent::enveloped(to_bytes(kInvoice)), *world().ec, o);
    const std::string xml = to_string(out);
    // Order of UnsignedSignatureProperties: the time-stamp, then the values (EN 319 132-1 §5.5).
    const auto ts = xml.find("<xades:SignatureTimeStamp");
    const auto cv = xml.find("<xades:CertificateValues>");
    const auto rv = xml.find("<xades:RevocationValues>");
    ASSERT_NE(ts, std::string::npos);
    ASSERT_NE(cv, std::string::npos) << xml;
    ASSERT_NE(rv, std::string::npos) << xml;
    EXPECT_LT(ts, cv);
    EXPECT_LT(cv, rv);
    const std::vector<Bytes> ocsps = all_values(xml, "EncapsulatedOCSPValue");
    EXPECT_EQ(ocsps, used.ocsp_responses);
    // openssl says "good" for the signer and for the TSA certificate, from responses in the file.
    const Bytes signer_cert = world().ec->certificate_chain().front();
    std::string seen;
    EXPECT_TRUE(ades::testkit::ocsp_says(ocsps, signer_cert, "good", seen)) << seen;
    bool tsa_covered = false;
    for (const auto& c : all_values(xml, "EncapsulatedX509Certificate")) {
        std::string s2;
        if (c != world().ec->certificate_chain().back() && ades::testkit::ocsp_says(ocsps, c, "good", s2)) {
            tsa_covered = true;
        }
    }
    EXPECT_TRUE(tsa_covered) << "no OCSP response in the file says good for a TSA certificate";
    // KeyInfo's certificates are not repeated in CertificateValues.
    for (const auto& c : all_values(xml, "EncapsulatedX509Certificate")) {
        EXPECT_NE(c, signer_cert);
    }
    expect_accepted(judge(out));
}

TEST(XadesBLT, RevokedSignerIsRefused) {
    pki::RevocationFetcher fetcher;
    XadesOptions o = options_for(ades::Level::BLT);
    o.revocation = &fetcher;
    try {
        (void)sign_xades(XadesContent::enveloped(to_bytes(kInvoice)), *world().revoked, o);
        ADD_FAILURE() << "a revoked signer got a B-LT signature";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::Conflict) << e.what();
    }
}

TEST(XadesEnveloped, A100MiBDocumentSignsAndXmlsecAcceptsIt) {
    // Many records with Japanese text: the canonical form is streamed into the hash (no second copy).
    // xadesjs (xmldom) is not asked: a DOM of this size in Node is the judge's limit, not ours.
    std::string big = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Records xmlns=\"urn:x-records\">\n";
    const std::string record =
        "  <Record n=\"番号\"><Name>山田 太郎</Name><Note>請求 &amp; 支払 <![CDATA[<ok>]]></Note></Record>\n";
    while (big.size() < (std::size_t{100} << 20))
        big += record;
    big += "</Records>\n";
    const Bytes out = sign_xades(XadesContent::enveloped(to_bytes(big)), *world().ec, options_for());
    EXPECT_GT(out.size(), big.size());
    const Judged j = judge(out, {}, true, {}, false);
    EXPECT_EQ(j.xmlsec.exit_code, 0) << testing::describe(j.xmlsec);
    EXPECT_NE(j.xmlsec.err.find("OK"), std::string::npos) << testing::describe(j.xmlsec);
}

TEST(XadesErrors, BadRequestsAreRefusedBeforeSigning) {
    auto code = [](const XadesContent& c, sign::Signer& s, const XadesOptions& o) {
        try {
            (void)sign_xades(c, s, o);
        } catch (const Error& e) {
            return e.code();
        }
        return Errc::Internal;
    };
    XadesOptions bt;
    bt.level = ades::Level::BT;  // no stamper
    EXPECT_EQ(code(XadesContent::enveloped(to_bytes(kInvoice)), *world().rsa, bt), Errc::InvalidRequest);
    XadesOptions lta = options_for(ades::Level::BLTA);  // no revocation fetcher
    EXPECT_EQ(code(XadesContent::enveloped(to_bytes(kInvoice)), *world().rsa, lta), Errc::InvalidRequest);
    XadesOptions sha1 = options_for();
    sha1.algorithm = crypto::SignatureAlgorithm::rsa_pkcs1(crypto::DigestAlgorithm::Sha1);
    EXPECT_NE(code(XadesContent::enveloped(to_bytes(kInvoice)), *world().rsa, sha1), Errc::Internal);
    XadesOptions ec_on_rsa = options_for();
    ec_on_rsa.algorithm = crypto::SignatureAlgorithm::ecdsa(crypto::DigestAlgorithm::Sha256);
    EXPECT_EQ(code(XadesContent::enveloped(to_bytes(kInvoice)), *world().rsa, ec_on_rsa),
              Errc::UnsupportedAlgorithm);
    EXPECT_EQ(code(XadesContent::enveloped(to_bytes("<a><b></a>")), *world().rsa, options_for()),
              Errc::InvalidEncoding);
    const std::string lol = "<!DOCTYPE a [<!ENTITY x \"xx\"><!ENTITY y \"&x;&x;\">]><a>&y;</a>";
    EXPECT_EQ(code(XadesContent::enveloped(to_bytes(lol)), *world().rsa, options_for()),
              Errc::InvalidRequest);
    EXPECT_EQ(code(XadesContent::enveloping({}), *world().rsa, options_for()), Errc::InvalidRequest);
}

/// A Signer that counts what crosses to it: in hash mode only the SignedInfo digest may.
class CountingSigner final : public sign::Signer {
public:
    explicit CountingSigner(sign::Signer& inner) : m_inner{inner} {}
    [[nodiscard]] std::vector<crypto::SignatureAlgorithm> algorithms() const override {
        return m_inner.algorithms();
    }
    [[nodiscard]] const crypto::PublicKey& public_key() const override { return m_inner.public_key(); }
    [[nodiscard]] std::vector<Bytes> certificate_chain() const override {
        return m_inner.certificate_chain();
    }
    Bytes sign(const crypto::SignatureAlgorithm& alg, ByteView digest) override {
        seen.emplace_back(digest.begin(), digest.end());
        return m_inner.sign(alg, digest);
    }
    std::vector<Bytes> seen;

private:
    sign::Signer& m_inner;
};

TEST(XadesHashMode, OnlyOneDigestOfTheSignedInfoReachesTheSigner) {
    CountingSigner counting{*world().ec384};
    const Bytes out = sign_xades(XadesContent::enveloped(to_bytes(kInvoice)), counting, options_for());
    ASSERT_EQ(counting.seen.size(), 1U);
    EXPECT_EQ(counting.seen.front().size(), 48U);  // SHA-384 for P-384
    expect_accepted(judge(out));
}

}  // namespace
}  // namespace inkan::xades
