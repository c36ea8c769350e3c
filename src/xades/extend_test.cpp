// B-LTA and extension judged from outside: xmlsec1 --verify (the XML-DSig core still holds after the
// unsigned properties were spliced in), the xadesjs checker (every SignatureTimeStamp and ArchiveTimeStamp
// imprint recomputed with xmldsigjs' reference processing and C14N), openssl ts -verify on every archive
// time-stamp token over the input inkan computes (archive.h), and byte comparison of the original and the
// extended file. A XAdES made by xmlsec1 from a template (not by inkan) is extended too.

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>
#include <inkan/pki/certificate.h>
#include <inkan/pki/revocation.h>
#include <inkan/testing/process.h>
#include <inkan/xades/archive.h>
#include <inkan/xades/xades.h>

#include "fixture.h"

namespace inkan::xades {
namespace {

using ades::testkit::world;
using testing::run;

const std::string kDoc =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!-- 請求書 -->\n"
    "<Invoice xmlns=\"urn:x-invoice\" xmlns:cbc=\"urn:x-cbc\">\n"
    "  <cbc:ID>INV-001</cbc:ID>\n"
    "  <Line Id=\"line-1\"><Item>りんご</Item><Price currency='JPY'>100</Price></Line>\n"
    "  <Line Id=\"line-2\"><Item><![CDATA[<みかん> & more]]></Item></Line>\n"
    "</Invoice>\n";

const std::vector<std::string> kLineIds{"--id-attr:Id", "urn:x-invoice:Line"};

struct Judged {
    testing::CommandResult xmlsec;
    testing::CommandResult xadesjs;
};

Judged judge(const Bytes& xml, const std::vector<std::pair<std::string, Bytes>>& external = {},
             const std::vector<std::string>& xmlsec_options = {}) {
    testing::TempDir d{"inkan-xades-extend"};
    const auto file = d / "signed.xml";
    testing::write_file(file, xml);
    if (const char* keep = std::getenv("XADES_KEEP")) testing::write_file(keep, xml);
    std::vector<std::string> js{std::string{INKAN_SOURCE_DIR} + "/scripts/verify-xades"};
    for (const auto& [uri, bytes] : external) {
        testing::write_file(d / uri, bytes);
        js.push_back("--content");
        js.push_back(uri + "=" + (d / uri).string());
    }
    js.push_back(file.string());
    std::vector<std::string> argv{
        "env", "-C", d.path().string(), "xmlsec1", "--verify", "--trusted-pem", world().root_pem.string()};
    argv.insert(argv.end(), xmlsec_options.begin(), xmlsec_options.end());
    argv.push_back(file.string());
    return {run(argv), run(js)};
}

void expect_accepted(const Judged& j, int archive_time_stamps) {
    EXPECT_EQ(j.xmlsec.exit_code, 0) << "xmlsec1: " << testing::describe(j.xmlsec);
    EXPECT_EQ(j.xadesjs.exit_code, 0) << "xadesjs: " << testing::describe(j.xadesjs);
    EXPECT_NE(j.xadesjs.out.find("\"valid\":true"), std::string::npos) << j.xadesjs.out;
    EXPECT_NE(j.xadesjs.out.find("\"archive_time_stamps\":" + std::to_string(archive_time_stamps)),
              std::string::npos)
        << j.xadesjs.out;
}

/// Every <...:NAME ...>...</...:NAME> text in order (any prefix), decoded from base64.
std::vector<Bytes> tokens_in(const std::string& xml, const std::string& container) {
    std::vector<Bytes> out;
    for (auto at = xml.find(":" + container); at != std::string::npos;
         at = xml.find(":" + container, at + 1)) {
        if (xml[xml.rfind('<', at) + 1] == '/') continue;  // an end tag
        const auto ets = xml.find(":EncapsulatedTimeStamp>", at);
        const auto start = ets + 23;
        out.push_back(base64_decode(xml.substr(start, xml.find('<', start) - start)));
    }
    return out;
}

/// `extended` is `original` with one run of bytes inserted (nothing else changed): returns where.
::testing::AssertionResult only_inserted(const Bytes& original, const Bytes& extended) {
    if (extended.size() < original.size())
        return ::testing::AssertionFailure() << "the extended file is shorter";
    std::size_t at = 0;
    while (at < original.size() && original[at] == extended[at])
        ++at;
    const std::size_t inserted = extended.size() - original.size();
    for (std::size_t i = at; i < original.size(); ++i) {
        if (original[i] != extended[i + inserted]) {
            return ::testing::AssertionFailure() << "original byte " << i << " changed (insertion of "
                                                 << inserted << " bytes at " << at << ")";
        }
    }
    return ::testing::AssertionSuccess() << "inserted " << inserted << " bytes at " << at;
}

pki::RevocationFetcher& fetcher() {
    static pki::RevocationFetcher f;
    return f;
}

XadesOptions lta_options() {
    XadesOptions o;
    o.level = ades::Level::BLTA;
    o.time_stamper = world().stamper.get();
    o.revocation = &fetcher();
    return o;
}

void expect_archive_tokens_verify(const Bytes& xml, std::size_t count,
                                  const std::vector<DetachedContent>& detached = {}) {
    const auto tokens = tokens_in(to_string(xml), "ArchiveTimeStamp");
    ASSERT_EQ(tokens.size(), count) << to_string(xml);
    for (std::size_t i = 0; i < count; ++i) {
        ArchiveInputRequest r;
        r.existing = i;
        r.detached = detached;
        const Bytes input = archive_time_stamp_input(xml, r);
        const auto ts = ades::testkit::openssl_ts_verify(tokens[i], input);
        EXPECT_EQ(ts.exit_code, 0) << "archive time-stamp " << i << ": " << testing::describe(ts);
        EXPECT_NE(ts.out.find("Verification: OK"), std::string::npos) << testing::describe(ts);
    }
}

TEST(XadesBLTA, EnvelopedBltaCarriesAnArchiveTimeStampEveryJudgeAccepts) {
    pki::ValidationData used;
    XadesOptions o = lta_options();
    o.validation_used = &used;
    const Bytes out = sign_xades(XadesContent::enveloped(to_bytes(kDoc)), *world().ec, o);
    const std::string xml = to_string(out);
    // EN 319 132-1 §5.5: the time-stamp, the values, the archive time-stamp, its validation data.
    const auto sts = xml.find("<xades:SignatureTimeStamp");
    const auto cv = xml.find("<xades:CertificateValues");
    const auto rv = xml.find("<xades:RevocationValues");
    const auto ats = xml.find("<xades141:ArchiveTimeStamp");
    const auto tsvd = xml.find("<xades141:TimeStampValidationData");
    ASSERT_NE(ats, std::string::npos) << xml;
    ASSERT_NE(tsvd, std::string::npos) << xml;
    EXPECT_LT(sts, cv);
    EXPECT_LT(cv, rv);
    EXPECT_LT(rv, ats);
    EXPECT_LT(ats, tsvd);
    EXPECT_NE(xml.find("xmlns:xades141=\"http://uri.etsi.org/01903/v1.4.1#\""), std::string::npos);
    // The archive time-stamp's TSA: an OCSP response issued after the archive time-stamp is in the
    // TimeStampValidationData, and openssl says good for a TSA certificate with it.
    const std::string after_ats = xml.substr(tsvd);
    std::vector<Bytes> ocsps;
    for (auto at = after_ats.find("<xades:EncapsulatedOCSPValue>"); at != std::string::npos;
         at = after_ats.find("<xades:EncapsulatedOCSPValue>", at + 1)) {
        const auto start = at + 29;
        ocsps.push_back(base64_decode(after_ats.substr(start, after_ats.find('<', start) - start)));
    }
    // Nothing is written twice: when B-LT's response for the same TSA is still fresh for the archive
    // time-stamp (produced in its second, so the fetcher's cache hands it out again), it is already in
    // RevocationValues and the TimeStampValidationData stays empty. Either way every OCSP response used
    // is in the document.
    ASSERT_FALSE(used.ocsp_responses.empty());
    for (const auto& r : used.ocsp_responses) {
        EXPECT_NE(xml.find(base64_encode(r)), std::string::npos) << "an OCSP response used is missing";
    }
    if (ocsps.empty()) {
        EXPECT_NE(xml.substr(rv, ats - rv).find("<xades:EncapsulatedOCSPValue>"), std::string::npos) << xml;
    }
    expect_accepted(judge(out), 1);
    expect_archive_tokens_verify(out, 1);
    // What the archive time-stamp covers but nothing signs: one certificate of CertificateValues dropped.
    // The XML-DSig core still holds (xmlsec1), the archive imprint does not (xadesjs).
    std::string cut = xml;
    const auto c0 = cut.find("<xades:EncapsulatedX509Certificate>", cv);
    cut.erase(c0, cut.find("</xades:EncapsulatedX509Certificate>", c0) + 36 - c0);
    const Judged tampered = judge(to_bytes(cut));
    EXPECT_EQ(tampered.xmlsec.exit_code, 0) << testing::describe(tampered.xmlsec);
    EXPECT_NE(tampered.xadesjs.exit_code, 0) << tampered.xadesjs.out;
    EXPECT_NE(tampered.xadesjs.out.find("ArchiveTimeStamp 1 imprint"), std::string::npos)
        << tampered.xadesjs.out;
}

TEST(XadesBLTA, EveryPackagingTakesAnArchiveTimeStamp) {
    std::istringstream ext{"外部文書"};
    const std::vector<std::pair<XadesContent, std::vector<std::pair<std::string, Bytes>>>> cases{
        {XadesContent::enveloping({{to_bytes("データ"), "text/plain"}}), {}},
        {XadesContent::detached({{"doc.txt", &ext, "text/plain"}}), {{"doc.txt", to_bytes("外部文書")}}},
        {XadesContent::detached_elements(to_bytes(kDoc), {"line-2"}), {}},
    };
    for (const auto& [content, external] : cases) {
        SCOPED_TRACE(std::string{name(content.packaging)});
        const Bytes out = sign_xades(content, *world().rsa, lta_options());
        expect_accepted(judge(out, external, kLineIds), 1);
        std::vector<DetachedContent> detached;
        for (const auto& [u, b] : external)
            detached.push_back({u, b});
        expect_archive_tokens_verify(out, 1, detached);
    }
}

TEST(XadesEnveloping, AnXmlObjectIsSignedAsXmlAtBltaAndTamperingItFailsBothJudges) {
    const Bytes out = sign_xades(XadesContent::enveloping({{to_bytes(kDoc), "text/xml", true}}), *world().ec,
                                 lta_options());
    const std::string xml = to_string(out);
    // The invoice is XML inside the ds:Object (not base64), referenced as an Object with C14N.
    EXPECT_NE(xml.find("<Invoice xmlns=\"urn:x-invoice\" xmlns:cbc=\"urn:x-cbc\">"), std::string::npos)
        << xml;
    EXPECT_NE(xml.find("Type=\"http://www.w3.org/2000/09/xmldsig#Object\""), std::string::npos) << xml;
    EXPECT_EQ(xml.find("xmldsig#base64"), std::string::npos) << xml;
    expect_accepted(judge(out), 1);
    expect_archive_tokens_verify(out, 1);
    std::string changed = xml;
    changed.replace(changed.find("りんご"), 9, "ぶどう");
    const Judged tampered = judge(to_bytes(changed));
    EXPECT_NE(tampered.xmlsec.exit_code, 0) << testing::describe(tampered.xmlsec);
    EXPECT_NE(tampered.xadesjs.exit_code, 0) << tampered.xadesjs.out;
}

TEST(XadesExtend, InkanBbExtendsStepByStepToBltaTwiceAndKeepsEveryOriginalByte) {
    XadesOptions bb;
    bb.level = ades::Level::BB;
    const Bytes b = sign_xades(XadesContent::enveloped(to_bytes(kDoc)), *world().ec, bb);
    XadesExtendOptions o;
    o.level = ades::Level::BT;
    const Bytes t = extend_xades(b, *world().stamper, &fetcher(), o);
    EXPECT_TRUE(only_inserted(b, t));
    expect_accepted(judge(t), 0);
    EXPECT_EQ(tokens_in(to_string(t), "SignatureTimeStamp").size(), 1U);
    o.level = ades::Level::BLT;
    const Bytes lt = extend_xades(t, *world().stamper, &fetcher(), o);
    EXPECT_TRUE(only_inserted(t, lt));
    EXPECT_NE(to_string(lt).find("<xades:RevocationValues"), std::string::npos);
    expect_accepted(judge(lt), 0);
    o.level = ades::Level::BLTA;
    const Bytes lta = extend_xades(lt, *world().stamper, &fetcher(), o);
    EXPECT_TRUE(only_inserted(lt, lta));
    expect_accepted(judge(lta), 1);
    expect_archive_tokens_verify(lta, 1);
    // Later, again: a second archive time-stamp after the first one's validation data, covering both.
    const Bytes again = extend_xades(lta, *world().stamper, &fetcher(), o);
    EXPECT_TRUE(only_inserted(lta, again));
    expect_accepted(judge(again), 2);
    expect_archive_tokens_verify(again, 2);
    // The first archive time-stamp's input is unchanged by the second (nothing it covers moved).
    ArchiveInputRequest first;
    first.existing = 0;
    EXPECT_EQ(archive_time_stamp_input(lta, first), archive_time_stamp_input(again, first));
    // B-B straight to B-LTA in one call as well; the Signature Id names which one.
    XadesExtendOptions direct;
    const Bytes one_go = extend_xades(b, *world().stamper, &fetcher(), direct);
    EXPECT_TRUE(only_inserted(b, one_go));
    expect_accepted(judge(one_go), 1);
}

/// A XAdES B-B that xmlsec1 signs from a template (SignedProperties with SigningCertificateV2, an empty
/// <xades:UnsignedProperties/> and single-quoted attributes): not inkan's serialisation.
Bytes xmlsec1_xades() {
    const Bytes cert_der =
        pki::certificates_from_pem(to_string(testing::read_file(world().soft_cert_pem))).front().der();
    const std::string cert_digest = base64_encode(crypto::digest(crypto::DigestAlgorithm::Sha256, cert_der));
    const std::string tmpl =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<Order xmlns=\"urn:x-order\"><Item qty='2'>茶</Item>\n"
        "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" Id=\"S1\">\n"
        "<ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>"
        "<ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256\"/>"
        "<ds:Reference Id=\"r1\" URI=\"\"><ds:Transforms>"
        "<ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>"
        "<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/></ds:Transforms>"
        "<ds:DigestMethod "
        "Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><ds:DigestValue/></ds:Reference>"
        "<ds:Reference Type=\"http://uri.etsi.org/01903#SignedProperties\" URI=\"#SP1\"><ds:Transforms>"
        "<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/></ds:Transforms>"
        "<ds:DigestMethod "
        "Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><ds:DigestValue/></ds:Reference>"
        "</ds:SignedInfo>\n<ds:SignatureValue/>\n<ds:KeyInfo><ds:X509Data/></ds:KeyInfo>\n"
        "<ds:Object><xades:QualifyingProperties xmlns:xades=\"http://uri.etsi.org/01903/v1.3.2#\" "
        "Target='#S1'>"
        "<xades:SignedProperties Id=\"SP1\"><xades:SignedSignatureProperties>"
        "<xades:SigningTime>2026-01-02T03:04:05Z</xades:SigningTime><xades:SigningCertificateV2><xades:Cert>"
        "<xades:CertDigest><ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>"
        "<ds:DigestValue>" +
        cert_digest +
        "</ds:DigestValue></xades:CertDigest></xades:Cert></xades:SigningCertificateV2>"
        "</xades:SignedSignatureProperties><xades:SignedDataObjectProperties>"
        "<xades:DataObjectFormat ObjectReference=\"#r1\"><xades:MimeType>text/xml</xades:MimeType>"
        "</xades:DataObjectFormat></xades:SignedDataObjectProperties></xades:SignedProperties>"
        "<xades:UnsignedProperties/></xades:QualifyingProperties></ds:Object>\n"
        "</ds:Signature></Order>\n";
    testing::TempDir d{"inkan-xades-xmlsec-sign"};
    testing::write_file(d / "template.xml", to_bytes(tmpl));
    const auto r = run({"xmlsec1", "--sign", "--privkey-pem",
                        world().soft_key_pem.string() + "," + world().soft_cert_pem.string() + "," +
                            world().root_pem.string(),
                        "--id-attr:Id", "http://uri.etsi.org/01903/v1.3.2#:SignedProperties", "--output",
                        (d / "signed.xml").string(), (d / "template.xml").string()});
    EXPECT_EQ(r.exit_code, 0) << testing::describe(r);
    return testing::read_file(d / "signed.xml");
}

TEST(XadesExtend, AnXmlsecMadeXadesExtendsToBltaTwiceAndStillVerifies) {
    const Bytes original = xmlsec1_xades();
    ASSERT_NE(to_string(original).find("<xades:UnsignedProperties/>"), std::string::npos)
        << to_string(original);
    expect_accepted(judge(original), 0);
    XadesExtendOptions o;
    const Bytes once = extend_xades(original, *world().stamper, &fetcher(), o);
    // The empty <xades:UnsignedProperties/> became a start and an end tag; every other byte is kept.
    const std::string before = to_string(original);
    const std::string after = to_string(once);
    const auto cut = before.find("<xades:UnsignedProperties/>");
    EXPECT_EQ(after.substr(0, cut), before.substr(0, cut));
    const std::string tail = before.substr(cut + 27);
    EXPECT_EQ(after.substr(after.size() - tail.size()), tail);
    expect_accepted(judge(once), 1);
    expect_archive_tokens_verify(once, 1);
    const Bytes twice = extend_xades(once, *world().stamper, &fetcher(), o);
    EXPECT_TRUE(only_inserted(once, twice));
    expect_accepted(judge(twice), 2);
    expect_archive_tokens_verify(twice, 2);
}

TEST(XadesExtend, PlainXmlDsigUnsignedXmlAndMissingFetcherAreRefused) {
    auto code = [](const Bytes& xml, pki::RevocationFetcher* f, const XadesExtendOptions& o) {
        try {
            (void)extend_xades(xml, *world().stamper, f, o);
        } catch (const Error& e) {
            return e.code();
        }
        return Errc::Internal;
    };
    XadesExtendOptions o;
    EXPECT_EQ(code(to_bytes(kDoc), &fetcher(), o), Errc::InvalidEncoding);  // no signature
    EXPECT_EQ(code(to_bytes("<a>"), &fetcher(), o), Errc::InvalidEncoding);
    XadesOptions bb;
    const Bytes b = sign_xades(XadesContent::enveloped(to_bytes(kDoc)), *world().ec, bb);
    EXPECT_EQ(code(b, nullptr, o), Errc::InvalidRequest);  // B-LTA without revocation data
    XadesExtendOptions to_bb;
    to_bb.level = ades::Level::BB;
    EXPECT_EQ(code(b, &fetcher(), to_bb), Errc::InvalidRequest);
    // XML-DSig without QualifyingProperties: cut the ds:Object out.
    std::string plain = to_string(b);
    const auto from = plain.find("<ds:Object>");
    const auto to = plain.find("</ds:Object>") + 12;
    plain.erase(from, to - from);
    EXPECT_EQ(code(to_bytes(plain), &fetcher(), o), Errc::InvalidEncoding);
    // A revoked signer is refused unless the caller allows it.
    const Bytes revoked = sign_xades(XadesContent::enveloped(to_bytes(kDoc)), *world().revoked, bb);
    EXPECT_EQ(code(revoked, &fetcher(), o), Errc::Conflict);
    EXPECT_TRUE(looks_like_xml(to_bytes("\xEF\xBB\xBF  <a/>")));
    EXPECT_FALSE(looks_like_xml(to_bytes("%PDF-1.7")));
}

}  // namespace
}  // namespace inkan::xades
