// The archive time-stamp input (TS 101 903 v1.4.1 §8.2.1) against an outside reconstruction: the
// xadesjs checker (scripts/verify-xades --archive-input) rebuilds the same input with xmldsigjs' own
// reference processing and JavaScript C14N; the bytes must be equal.

#include <inkan/xades/archive.h>

#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>
#include <inkan/pki/revocation.h>
#include <inkan/testing/process.h>
#include <inkan/xades/xades.h>

#include "fixture.h"

namespace inkan::xades {
namespace {

using ades::testkit::world;

const std::string kDoc =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!-- 請求書 -->\n"
    "<Invoice xmlns=\"urn:x-invoice\" xmlns:cbc=\"urn:x-cbc\">\n"
    "  <cbc:ID>INV-001</cbc:ID>\n"
    "  <Line Id=\"line-1\"><Item>りんご</Item><!-- note --><Price currency=\"JPY\">100</Price></Line>\n"
    "  <Line Id=\"line-2\"><Item><![CDATA[<みかん> & more]]></Item></Line>\n"
    "</Invoice>\n";

/// Equal, or where the two first differ (the inputs are tens of kilobytes).
::testing::AssertionResult same_input(const Bytes& ours, const std::string& js_b64) {
    const Bytes theirs = base64_decode(js_b64);
    if (ours == theirs) return ::testing::AssertionSuccess();
    std::size_t at = 0;
    while (at < ours.size() && at < theirs.size() && ours[at] == theirs[at])
        ++at;
    auto around = [&](const Bytes& b) {
        const std::size_t from = at > 60 ? at - 60 : 0;
        return to_string(Bytes(b.begin() + static_cast<std::ptrdiff_t>(from),
                               b.begin() + static_cast<std::ptrdiff_t>(std::min(b.size(), at + 120))));
    };
    return ::testing::AssertionFailure()
           << "inkan " << ours.size() << " bytes, xadesjs " << theirs.size() << " bytes, first difference at "
           << at << "\ninkan:   " << around(ours) << "\nxadesjs: " << around(theirs);
}

/// What the xadesjs checker computes as the input of a new archive time-stamp of the file's signature.
std::string js_archive_input(const Bytes& xml, C14n method,
                             const std::vector<std::pair<std::string, Bytes>>& external = {}) {
    testing::TempDir d{"inkan-xades-archive"};
    testing::write_file(d / "signed.xml", xml);
    std::vector<std::string> argv{std::string{INKAN_SOURCE_DIR} + "/scripts/verify-xades", "--archive-input",
                                  std::string{uri(method)}};
    for (const auto& [u, bytes] : external) {
        testing::write_file(d / u, bytes);
        argv.push_back("--content");
        argv.push_back(u + "=" + (d / u).string());
    }
    argv.push_back((d / "signed.xml").string());
    const auto r = testing::run(argv);
    EXPECT_EQ(r.exit_code, 0) << testing::describe(r);
    const std::string key = "\"archive_input\":\"";
    const auto at = r.out.find(key);
    if (at == std::string::npos) return {};
    const auto start = at + key.size();
    return r.out.substr(start, r.out.find('"', start) - start);
}

Bytes sign_blt(const XadesContent& content, sign::Signer& signer) {
    static pki::RevocationFetcher fetcher;
    XadesOptions o;
    o.level = ades::Level::BLT;
    o.time_stamper = world().stamper.get();
    o.revocation = &fetcher;
    return sign_xades(content, signer, o);
}

TEST(XadesArchiveInput, EnvelopedBltInputIsWhatXadesjsRebuildsWithEitherC14n) {
    const Bytes signed_xml = sign_blt(XadesContent::enveloped(to_bytes(kDoc)), *world().ec);
    for (const C14n method : {C14n::Exclusive10, C14n::Inclusive10}) {
        SCOPED_TRACE(std::string{uri(method)});
        ArchiveInputRequest request;
        request.c14n = method;
        const Bytes input = archive_time_stamp_input(signed_xml, request);
        EXPECT_TRUE(same_input(input, js_archive_input(signed_xml, method)));
        // It starts with the signed document as the enveloped reference yields it (the document without
        // the signature and without comments, exclusive C14N as the reference's transform says) ...
        const Bytes document = canonicalize(to_bytes(kDoc), C14n::Exclusive10);
        ASSERT_GE(input.size(), document.size());
        EXPECT_EQ(Bytes(input.begin(), input.begin() + static_cast<std::ptrdiff_t>(document.size())),
                  document);
        // ... and ends with the last unsigned property, RevocationValues (no other ds:Object).
        const std::string text = to_string(input);
        EXPECT_EQ(text.substr(text.size() - 25), "</xades:RevocationValues>")
            << text.substr(text.size() - 200);
        // The digest is the hash of those bytes.
        EXPECT_EQ(archive_time_stamp_digest(signed_xml, request, crypto::DigestAlgorithm::Sha256),
                  crypto::digest(crypto::DigestAlgorithm::Sha256, input));
    }
}

TEST(XadesArchiveInput, EnvelopingDetachedAndSiblingElementInputsAreWhatXadesjsRebuilds) {
    std::istringstream ext{"外部文書"};
    const std::vector<std::pair<XadesContent, std::vector<std::pair<std::string, Bytes>>>> cases{
        {XadesContent::enveloping({{to_bytes("データ"), "text/plain"}, {to_bytes("二つ目"), "text/plain"}}),
         {}},
        {XadesContent::detached({{"doc.txt", &ext, "text/plain"}}), {{"doc.txt", to_bytes("外部文書")}}},
        {XadesContent::detached_elements(to_bytes(kDoc), {"line-1", "line-2"}), {}},
    };
    for (const auto& [content, external] : cases) {
        SCOPED_TRACE(std::string{name(content.packaging)});
        const Bytes signed_xml = sign_blt(content, *world().rsa);
        ArchiveInputRequest request;
        for (const auto& [u, bytes] : external)
            request.detached.push_back({u, bytes});
        const Bytes input = archive_time_stamp_input(signed_xml, request);
        EXPECT_TRUE(same_input(input, js_archive_input(signed_xml, C14n::Exclusive10, external)));
        if (content.packaging == Packaging::Enveloping) {
            // The base64 transform's output is the data itself, first in the input.
            EXPECT_EQ(to_string(input).rfind("データ二つ目", 0), 0U) << to_string(input).substr(0, 80);
        }
        if (!external.empty()) {
            EXPECT_EQ(to_string(input).rfind("外部文書", 0), 0U);
        }
    }
}

TEST(XadesArchiveInput, MissingContentUnknownTransformsAndAbsentTimeStampsAreRefused) {
    auto code = [](const Bytes& xml, const ArchiveInputRequest& r) {
        try {
            (void)archive_time_stamp_input(xml, r);
        } catch (const Error& e) {
            return e.code();
        }
        return Errc::Internal;
    };
    std::istringstream ext{"外部文書"};
    const Bytes detached = sign_blt(XadesContent::detached({{"doc.txt", &ext, "text/plain"}}), *world().rsa);
    EXPECT_EQ(code(detached, {}), Errc::InvalidRequest);  // no content for doc.txt
    const Bytes enveloped = sign_blt(XadesContent::enveloped(to_bytes(kDoc)), *world().ec);
    ArchiveInputRequest first;
    first.existing = 0;  // there is no archive time-stamp yet
    EXPECT_EQ(code(enveloped, first), Errc::InvalidEncoding);
    ArchiveInputRequest other;
    other.signature_id = "no-such-signature";
    EXPECT_EQ(code(enveloped, other), Errc::InvalidEncoding);
    // An XPath transform is refused rather than guessed at.
    std::string xpath = to_string(enveloped);
    const std::string env =
        "<ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>";
    const auto at = xpath.find(env);
    ASSERT_NE(at, std::string::npos) << xpath;
    xpath.replace(
        at, env.size(),
        "<ds:Transform Algorithm=\"http://www.w3.org/TR/1999/REC-xpath-19991116\"><ds:XPath>1</ds:XPath>"
        "</ds:Transform>");
    EXPECT_EQ(code(to_bytes(xpath), {}), Errc::UnsupportedAlgorithm);
    // A duplicated Id (a wrapping attempt) leaves a reference without a unique target.
    std::string twice =
        to_string(sign_blt(XadesContent::detached_elements(to_bytes(kDoc), {"line-1"}), *world().ec));
    twice.replace(twice.find("<Line Id=\"line-2\">"), 18, "<Line Id=\"line-1\">");
    EXPECT_EQ(code(to_bytes(twice), {}), Errc::InvalidEncoding);
}

}  // namespace
}  // namespace inkan::xades
