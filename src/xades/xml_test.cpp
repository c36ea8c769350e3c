// The XML input rules (bounds, refused DTDs) and canonicalisation against the W3C C14N 1.0
// specification's own example (§3.1), which is an oracle we did not write.

#include <string>

#include <gtest/gtest.h>

#include <inkan/core/error.h>
#include <inkan/xades/xml.h>

namespace inkan::xades {
namespace {

Errc code_of(const std::string& xml, const ParseLimits& limits = {}) {
    try {
        check_xml(as_bytes(xml), limits);
    } catch (const Error& e) {
        return e.code();
    }
    return Errc::Internal;  // "no error": no test expects Internal
}

std::string message_of(const std::string& xml) {
    try {
        check_xml(as_bytes(xml));
    } catch (const Error& e) {
        return e.what();
    }
    return "(accepted)";
}

// W3C Canonical XML 1.0 §3.1 "PIs, Comments, and Outside of Document Element".
const std::string kSpec31 =
    "<?xml version=\"1.0\"?>\n\n<?xml-stylesheet   href=\"doc.xsl\"\n   type=\"text/xsl\"   ?>\n\n"
    "<!DOCTYPE doc SYSTEM \"doc.dtd\">\n\n<doc>Hello, world!<!-- Comment 1 --></doc>\n\n<?pi-without-data    "
    " ?>\n\n"
    "<!-- Comment 2 -->\n\n<!-- Comment 3 -->\n";

TEST(XmlC14n, SpecExample31WithoutCommentsMatchesTheW3cOutput) {
    const std::string want =
        "<?xml-stylesheet href=\"doc.xsl\"\n   type=\"text/xsl\"   ?>\n<doc>Hello, "
        "world!</doc>\n<?pi-without-data?>";
    EXPECT_EQ(to_string(canonicalize(as_bytes(kSpec31), C14n::Inclusive10)), want);
    EXPECT_EQ(to_string(canonicalize(as_bytes(kSpec31), C14n::Exclusive10)), want);
}

TEST(XmlC14n, SpecExample31WithCommentsMatchesTheW3cOutput) {
    const std::string want =
        "<?xml-stylesheet href=\"doc.xsl\"\n   type=\"text/xsl\"   ?>\n<doc>Hello, world!<!-- Comment 1 "
        "--></doc>\n"
        "<?pi-without-data?>\n<!-- Comment 2 -->\n<!-- Comment 3 -->";
    EXPECT_EQ(to_string(canonicalize(as_bytes(kSpec31), C14n::Inclusive10Comments)), want);
    EXPECT_EQ(to_string(canonicalize(as_bytes(kSpec31), C14n::Inclusive11Comments)), want);
}

TEST(XmlC14n, CdataBecomesEscapedTextAndJapaneseStaysUtf8) {
    const std::string xml = "<a x='請求書 &amp; &quot;'><![CDATA[<b>日本語</b> & more]]></a>";
    EXPECT_EQ(to_string(canonicalize(as_bytes(xml), C14n::Exclusive10)),
              "<a x=\"請求書 &amp; &quot;\">&lt;b&gt;日本語&lt;/b&gt; &amp; more</a>");
}

TEST(XmlC14n, UrisAndNamesRoundTrip) {
    for (auto m : {C14n::Inclusive10, C14n::Inclusive10Comments, C14n::Inclusive11, C14n::Inclusive11Comments,
                   C14n::Exclusive10, C14n::Exclusive10Comments}) {
        EXPECT_EQ(c14n_from_uri(uri(m)), m) << uri(m);
    }
    EXPECT_EQ(c14n_from_name("exc-c14n"), C14n::Exclusive10);
    EXPECT_EQ(c14n_from_name("c14n11"), C14n::Inclusive11);
    EXPECT_FALSE(c14n_from_uri("http://www.w3.org/2000/09/xmldsig#base64").has_value());
}

TEST(XmlInput, BillionLaughsIsRefusedBeforeExpansion) {
    std::string xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n";
    for (int i = 1; i <= 9; ++i) {
        xml += "<!ENTITY lol" + std::to_string(i) + " \"";
        for (int j = 0; j < 10; ++j)
            xml += "&lol" + (i == 1 ? std::string{} : std::to_string(i - 1)) + ";";
        xml += "\">\n";
    }
    xml += "]>\n<lolz>&lol9;</lolz>\n";
    EXPECT_EQ(code_of(xml), Errc::InvalidRequest);
    EXPECT_NE(message_of(xml).find("billion laughs"), std::string::npos) << message_of(xml);
}

TEST(XmlInput, ExternalEntityIsRefused) {
    const std::string xml =
        "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><d>&x;</d>";
    EXPECT_EQ(code_of(xml), Errc::InvalidRequest) << message_of(xml);
    const std::string parameter =
        "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY % p SYSTEM \"http://127.0.0.1:1/x.dtd\"> %p;]><d/>";
    EXPECT_EQ(code_of(parameter), Errc::InvalidRequest) << message_of(parameter);
}

TEST(XmlInput, AttributeDefaultsInTheDtdAreRefused) {
    const std::string xml = "<!DOCTYPE d [<!ATTLIST d lang CDATA \"ja\">]><d/>";
    EXPECT_EQ(code_of(xml), Errc::InvalidRequest) << message_of(xml);
}

TEST(XmlInput, DoctypeWithDeclarationsButNoEntitiesOrDefaultsIsAccepted) {
    const std::string xml =
        "<!DOCTYPE inv SYSTEM \"http://127.0.0.1:1/never-fetched.dtd\" [<!ELEMENT inv ANY><!ATTLIST inv Id "
        "ID "
        "#IMPLIED>]><inv Id='a'>x</inv>";
    EXPECT_EQ(message_of(xml), "(accepted)");
}

TEST(XmlInput, NestingDeeperThanTheLimitIsRefused) {
    std::string deep;
    for (int i = 0; i < 40; ++i)
        deep += "<a>";
    for (int i = 0; i < 40; ++i)
        deep += "</a>";
    EXPECT_EQ(code_of(deep, ParseLimits{1 << 20, 39}), Errc::PayloadTooLarge);
    EXPECT_EQ(code_of(deep, ParseLimits{1 << 20, 40}), Errc::Internal);  // accepted at the limit
    std::string deeper;
    for (int i = 0; i < 300; ++i)
        deeper += "<a>";
    for (int i = 0; i < 300; ++i)
        deeper += "</a>";
    EXPECT_EQ(code_of(deeper, ParseLimits{1 << 20, 1000}), Errc::PayloadTooLarge) << message_of(deeper);
}

TEST(XmlInput, DocumentLargerThanTheLimitIsRefused) {
    const std::string xml = "<a>" + std::string(2000, 'x') + "</a>";
    EXPECT_EQ(code_of(xml, ParseLimits{1000, 256}), Errc::PayloadTooLarge);
}

TEST(XmlInput, MalformedXmlIsInvalidEncodingWithTheParsersReason) {
    EXPECT_EQ(code_of("<a><b></a>"), Errc::InvalidEncoding);
    EXPECT_EQ(code_of("not xml"), Errc::InvalidEncoding);
    EXPECT_EQ(code_of(""), Errc::InvalidEncoding);
    EXPECT_NE(message_of("<a><b></a>").find("line 1"), std::string::npos) << message_of("<a><b></a>");
}

}  // namespace
}  // namespace inkan::xades
