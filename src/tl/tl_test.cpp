// Trusted lists made at test time (test_kit.h): a LOTL pointing at two national lists (AA: a CA/QC service
// and a TSA/QTST service withdrawn yesterday, with their status history; BB: tampered after signing), each
// signed by inkan's own XAdES code and judged from outside by `xmlsec1 --verify`. Then signatures validated
// against nothing but those lists (qualified, TSA accredited before and after the withdrawal), the
// operator's trust file with a Japanese label, `tl show` output and `tl fetch` (offline, online through the
// URL guard, and refused by it).

#include <inkan/tl/trusted_list.h>

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <inkan/testing/tiny_http.h>
#include <inkan/validation/report.h>

#include "test_kit.h"

namespace inkan::tl {
namespace {

using namespace std::chrono_literals;
using namespace testkit;

TEST(TrustedLists, SignedWithInkansXadesTheListsVerifyUnderXmlsec1AndTheTamperedOneDoesNot) {
    const auto lotl = xmlsec_verify(world().lotl_xml);
    EXPECT_EQ(lotl.exit_code, 0) << testing::describe(lotl);
    const auto aa = xmlsec_verify(world().aa_xml);
    EXPECT_EQ(aa.exit_code, 0) << testing::describe(aa);
    const auto bb = xmlsec_verify(world().bb_xml);
    EXPECT_NE(bb.exit_code, 0) << "xmlsec1 accepted the tampered list: " << testing::describe(bb);
}

TEST(TrustedLists, ParseReadsSchemeInformationPointersServicesHistoryAndExtensions) {
    const TrustedList lotl = parse(to_bytes(world().lotl_xml));
    EXPECT_TRUE(lotl.is_lotl());
    EXPECT_EQ(lotl.territory, "EU");
    EXPECT_EQ(lotl.sequence, 42U);
    EXPECT_EQ(lotl.version, 5);
    ASSERT_EQ(lotl.pointers.size(), 2U);
    EXPECT_EQ(lotl.pointers[0].location, "aa.xml");
    EXPECT_EQ(lotl.pointers[0].territory, "AA");
    EXPECT_EQ(lotl.pointers[0].mime_type, "application/vnd.etsi.tsl+xml");
    ASSERT_EQ(lotl.pointers[0].certificates.size(), 1U);
    EXPECT_EQ(lotl.pointers[0].certificates[0], world().aa_signer.chain.front());
    ASSERT_TRUE(lotl.next_update);
    EXPECT_GT(*lotl.next_update, world().now);

    const TrustedList aa = parse(to_bytes(world().aa_xml));
    EXPECT_FALSE(aa.is_lotl());
    ASSERT_EQ(aa.providers.size(), 1U);
    ASSERT_EQ(aa.providers[0].services.size(), 2U);
    const Service& ca = aa.providers[0].services[0];
    EXPECT_EQ(ca.current.type, kSvc + "CA/QC");
    EXPECT_EQ(ca.current.status, kStatus + "granted");
    EXPECT_EQ(ca.current.start, world().t0);
    ASSERT_EQ(ca.current.certificates.size(), 1U);
    EXPECT_EQ(ca.current.qualifiers,
              std::vector<std::string>{"http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/QCWithSSCD"});
    EXPECT_EQ(ca.current.additional_info,
              std::vector<std::string>{"http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/ForeSignatures"});
    ASSERT_EQ(ca.history.size(), 1U);
    EXPECT_EQ(ca.history[0].status, kStatus + "undersupervision");
}

TEST(TrustedLists, StatusAtATimeFollowsTheServiceHistory) {
    const TrustedList aa = parse(to_bytes(world().aa_xml));
    const Service& tsa = aa.providers[0].services[1];
    const World& w = world();
    EXPECT_FALSE(tsa.state_at(w.t0 - 1s)) << "not listed before its first status";
    EXPECT_EQ(tsa.state_at(w.t0)->status, kStatus + "granted");
    EXPECT_EQ(tsa.state_at(w.withdrawn - 1s)->status, kStatus + "granted");
    EXPECT_EQ(tsa.state_at(w.withdrawn)->status, kStatus + "withdrawn");
    const Service& ca = aa.providers[0].services[0];
    EXPECT_EQ(ca.state_at(w.t0 - std::chrono::days{1})->status, kStatus + "undersupervision");
    EXPECT_TRUE(is_granted_status(ca.state_at(w.t0 - std::chrono::days{1})->status))
        << "the pre-eIDAS status counts as granted";

    const auto svcs = services(loaded());
    const auto it = std::find_if(svcs.begin(), svcs.end(), [](const validation::TrustedService& s) {
        return s.kind == validation::TrustedService::Kind::TimeStamping;
    });
    ASSERT_NE(it, svcs.end());
    EXPECT_TRUE(it->granted_at(w.withdrawn - 1s));
    EXPECT_FALSE(it->granted_at(w.withdrawn));
    EXPECT_FALSE(it->granted_at(w.t0 - 1s));
}

TEST(TrustedLists, TheLotlIsCheckedAgainstTheListSignerAndNationalListsAgainstItsPointers) {
    const TrustSet set = loaded();
    ASSERT_EQ(set.lists.size(), 3U);
    const auto& eu = list_of(set, "EU");
    EXPECT_EQ(eu.signature, SignatureStatus::Valid) << eu.detail;
    const auto& aa = list_of(set, "AA");
    EXPECT_EQ(aa.signature, SignatureStatus::Valid) << aa.detail;
    EXPECT_NE(aa.pointed_by.find("EU"), std::string::npos) << aa.pointed_by;
    const auto& bb = list_of(set, "BB");
    EXPECT_EQ(bb.signature, SignatureStatus::Invalid) << bb.detail;
    EXPECT_NE(bb.detail.find("HASH_FAILURE"), std::string::npos) << bb.detail;
    for (const auto& s : services(set)) {
        EXPECT_EQ(s.source.rfind("AA ", 0), 0U) << "a service of " << s.source << " is trusted";
    }
    EXPECT_EQ(services(set).size(), 2U);
}

TEST(TrustedLists, ALotlSignedBySomeoneElseTrustsNothingBelowIt) {
    LoadOptions o;
    o.list_signers = {world().aa_signer.chain.front()};  // not the LOTL's signer
    const TrustSet set = load({world().lists}, o);
    EXPECT_EQ(list_of(set, "EU").signature, SignatureStatus::Invalid) << list_of(set, "EU").detail;
    // Nothing points to AA any more: it is judged against the list signers, which happen to hold its
    // signer; BB stays tampered.
    EXPECT_EQ(list_of(set, "BB").signature, SignatureStatus::Invalid);
    LoadOptions none;
    const TrustSet alone = load({world().lists / "aa.xml"}, none);
    EXPECT_EQ(alone.lists.at(0).signature, SignatureStatus::NoSigner) << alone.lists.at(0).detail;
    EXPECT_TRUE(services(alone).empty());
}

TEST(TrustedLists, AListWithoutSignatureOrThatDoesNotParseIsReportedAndTrustsNothing) {
    const World& w = world();
    const std::string unsigned_list = tsl("CC", false, 1, {}, {w.ca_qc}, w.now);
    const LoadedList missing = judge(to_bytes(unsigned_list), "cc.xml", {w.lotl_signer.chain.front()});
    EXPECT_EQ(missing.signature, SignatureStatus::Missing) << missing.detail;
    const LoadedList broken = judge(to_bytes(std::string{"<tsl:TrustServiceStatusList"}), "dd.xml", {});
    EXPECT_EQ(broken.signature, SignatureStatus::Unparsable) << broken.detail;
    const LoadedList other = judge(to_bytes(std::string{"<a/>"}), "ee.xml", {});
    EXPECT_EQ(other.signature, SignatureStatus::Unparsable);
    EXPECT_NE(other.detail.find("not a trusted list"), std::string::npos) << other.detail;
    // Entities (billion laughs, XXE) are refused before anything is read.
    const std::string xxe =
        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
        "<tsl:TrustServiceStatusList "
        "xmlns:tsl=\"http://uri.etsi.org/02231/v2#\">&e;</tsl:TrustServiceStatusList>";
    EXPECT_THROW(parse(to_bytes(xxe)), Error);
}

TEST(TrustedLists,
     AQualifiedSignerPassesWithNoOtherAnchorThanTheListsAndTheTsaWasQualifiedBeforeItsWithdrawal) {
    World& w = world();
    const TrustSet set = loaded();
    const Bytes doc = signed_invoice(*w.qualified, w.withdrawn - std::chrono::days{1});
    const auto report = validation::validate_xml(doc, {}, options_from(set));
    ASSERT_EQ(report.signatures.size(), 1U) << validation::to_json({report});
    const auto& s = report.signatures[0];
    EXPECT_EQ(s.verdict.indication, validation::Indication::TotalPassed) << validation::to_json({report});
    EXPECT_EQ(s.qualified, "yes") << validation::to_json({report});
    ASSERT_EQ(s.timestamps.size(), 1U);
    EXPECT_EQ(s.timestamps[0].tsa_accredited, "yes") << validation::to_json({report});
    EXPECT_EQ(s.timestamps[0].tsa_label, "TSA/QTST (AA trusted list)");
    const std::string json = validation::to_json({report});
    EXPECT_NE(json.find("\"qualified\": \"yes\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"tsa_accredited\": \"yes\""), std::string::npos) << json;
}

TEST(TrustedLists, ATimeStampAfterTheTsaWasWithdrawnIsNotAccredited) {
    World& w = world();
    const Bytes doc = signed_invoice(*w.qualified, w.withdrawn + 1h);
    const auto report = validation::validate_xml(doc, {}, options_from(loaded()));
    ASSERT_EQ(report.signatures.size(), 1U) << validation::to_json({report});
    const auto& s = report.signatures[0];
    ASSERT_EQ(s.timestamps.size(), 1U);
    EXPECT_EQ(s.timestamps[0].tsa_accredited, "no") << validation::to_json({report});
    EXPECT_TRUE(s.timestamps[0].tsa_label.empty());
    EXPECT_EQ(s.qualified, "yes") << "the CA/QC is still granted";
}

TEST(TrustedLists, ASignerWithoutQcStatementsIsNotQualifiedAndWithoutListsNothingIsSaid) {
    World& w = world();
    const Bytes doc = signed_invoice(*w.plain, w.withdrawn - std::chrono::days{1});
    const auto with = validation::validate_xml(doc, {}, options_from(loaded()));
    ASSERT_EQ(with.signatures.size(), 1U);
    EXPECT_EQ(with.signatures[0].qualified, "no") << validation::to_json({with});
    validation::Options bare;
    bare.trust_anchors = {w.pki.ca->certificate().der()};
    const auto without = validation::validate_xml(doc, {}, bare);
    ASSERT_EQ(without.signatures.size(), 1U);
    EXPECT_EQ(without.signatures[0].qualified, "unknown");
    ASSERT_EQ(without.signatures[0].timestamps.size(), 1U);
    EXPECT_EQ(without.signatures[0].timestamps[0].tsa_accredited, "unknown");
}

TEST(TrustedLists, TheTamperedListAloneGrantsNothing) {
    World& w = world();
    LoadOptions o;
    o.list_signers = {w.lotl_signer.chain.front()};
    const TrustSet set = load({w.lists / "lotl.xml", w.lists / "bb.xml"}, o);
    const Bytes doc = signed_invoice(*w.qualified, w.withdrawn - std::chrono::days{1});
    const auto report = validation::validate_xml(doc, {}, options_from(set));
    ASSERT_EQ(report.signatures.size(), 1U);
    EXPECT_EQ(report.signatures[0].qualified, "no") << validation::to_json({report});
    EXPECT_NE(report.signatures[0].verdict.indication, validation::Indication::TotalPassed)
        << "no anchor came from the tampered list";
}

TEST(TrustFile, AnAccreditedTsaWithAJapaneseLabelAppearsInTheReport) {
    World& w = world();
    testing::TempDir d{"inkan-tl-trust"};
    testing::write_file(d / "tsa.pem", pki::certificates_pem({w.tsa.chain.front()}));
    testing::write_file(d / "root.pem", pki::certificates_pem({w.pki.ca->certificate().der()}));
    testing::write_file(d / "trust.toml",
                        "[validation.accredited_tsa.qtsa]\n"
                        "certificate = \"tsa.pem\"\n"
                        "name = \"テスト認定TSA\"\n"
                        "valid_from = \"" +
                            xs(w.t0) +
                            "\"\n"
                            "label = \"認定タイムスタンプ\"\n"
                            "[validation.trust_anchors.root]\n"
                            "certificate = \"root.pem\"\n"
                            "name = \"テストルート\"\n");
    const TrustFile tf = load_trust_file(d / "trust.toml");
    ASSERT_EQ(tf.services.size(), 2U);
    validation::Options o;
    o.trust_configured = true;
    o.trust_anchors = tf.anchors;
    o.trusted_services = tf.services;
    const Bytes crl = w.crl;
    o.revocation_fetch = [crl](const Bytes&, const Bytes&) {
        validation::FetchedRevocation r;
        r.crls.push_back(crl);
        return std::optional{r};
    };
    const Bytes doc = signed_invoice(*w.plain, w.now - 1h);
    const auto report = validation::validate_xml(doc, {}, o);
    ASSERT_EQ(report.signatures.size(), 1U);
    const auto& s = report.signatures[0];
    EXPECT_EQ(s.verdict.indication, validation::Indication::TotalPassed) << validation::to_json({report});
    ASSERT_EQ(s.timestamps.size(), 1U);
    EXPECT_EQ(s.timestamps[0].tsa_accredited, "yes");
    EXPECT_EQ(s.timestamps[0].tsa_label, "認定タイムスタンプ");
    const std::string json = validation::to_json({report});
    EXPECT_NE(json.find("\"tsa_label\": \"認定タイムスタンプ\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"tsa_accredited\": \"yes\""), std::string::npos) << json;
    EXPECT_EQ(s.qualified, "no") << "the trust file has no CA/QC";

    // Before the entry's validity period the TSA is not accredited.
    const Bytes early = signed_invoice(*w.plain, w.t0 - std::chrono::days{2});
    const auto before = validation::validate_xml(early, {}, o);
    ASSERT_EQ(before.signatures.size(), 1U);
    ASSERT_EQ(before.signatures[0].timestamps.size(), 1U);
    EXPECT_EQ(before.signatures[0].timestamps[0].tsa_accredited, "no") << validation::to_json({before});
}

TEST(TrustFile, AnUnknownKeyOrAMissingCertificateIsAConfigurationErrorNamingTheKey) {
    testing::TempDir d{"inkan-tl-trust-bad"};
    testing::write_file(d / "a.toml", "[validation.accredited_tsa.x]\ncertificate = \"none.pem\"\n");
    try {
        (void)load_trust_file(d / "a.toml");
        FAIL() << "accepted a missing certificate file";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::InvalidConfig);
        EXPECT_NE(std::string{e.what()}.find("validation.accredited_tsa.x.certificate"), std::string::npos)
            << e.what();
    }
    testing::write_file(d / "b.toml", "[validation.accredited_tsa.x]\ncertificat = \"a.pem\"\n");
    try {
        (void)load_trust_file(d / "b.toml");
        FAIL() << "accepted an unknown key";
    } catch (const Error& e) {
        EXPECT_NE(std::string{e.what()}.find("certificat"), std::string::npos) << e.what();
    }
}

TEST(TlShow, TextAndJsonSayWhichListsAreTrustedAndTheStatusAtTheGivenTime) {
    const World& w = world();
    const TrustSet set = loaded();
    const std::string before = to_text(set, w.withdrawn - 1h);
    EXPECT_NE(before.find("LOTL EU #42"), std::string::npos) << before;
    EXPECT_NE(before.find("points to AA aa.xml (1 signer certificate)"), std::string::npos) << before;
    EXPECT_NE(before.find("TSA/QTST AA Qualified TSA: granted"), std::string::npos) << before;
    EXPECT_NE(before.find("signature: invalid"), std::string::npos) << before;
    EXPECT_NE(before.find("its services are NOT trusted"), std::string::npos) << before;
    const std::string after = to_text(set, w.withdrawn + 1h);
    EXPECT_NE(after.find("TSA/QTST AA Qualified TSA: withdrawn"), std::string::npos) << after;

    const std::string json = to_json(set, w.withdrawn + 1h);
    EXPECT_NE(json.find("\"signature\": \"invalid\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"servicesTrusted\": false"), std::string::npos) << json;
    EXPECT_NE(json.find("\"statusAt\": \"" + kStatus + "withdrawn\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"sequenceNumber\": 42"), std::string::npos) << json;
}

TEST(TlFetch, OfflineFromAFileCopiesTheLotlAndTheListsItPointsTo) {
    testing::TempDir d{"inkan-tl-fetch"};
    const auto r = fetch((world().lists / "lotl.xml").string(), d / "cache", {});
    EXPECT_TRUE(r.failed.empty()) << r.failed.front();
    EXPECT_EQ(r.fetched.size(), 3U);
    EXPECT_EQ(testing::read_file(d / "cache" / "AA.xml"), to_bytes(world().aa_xml));
    LoadOptions o;
    o.list_signers = {world().lotl_signer.chain.front()};
    const TrustSet set = load({d / "cache"}, o);
    EXPECT_EQ(list_of(set, "AA").signature, SignatureStatus::Valid);
}

TEST(TlFetch, ALoopbackUrlIsRefusedByTheUrlGuardUnlessAllowed) {
    const World& w = world();
    testing::TinyHttpServer server{[&](const testing::TinyRequest& r) -> testing::TinyResponse {
        if (r.head.find("GET /lotl.xml") == 0) return {200, "application/vnd.etsi.tsl+xml", w.lotl_xml};
        if (r.head.find("GET /aa.xml") == 0) return {200, "application/vnd.etsi.tsl+xml", w.aa_xml};
        return {404, "text/plain", "no"};
    }};
    const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
    testing::TempDir d{"inkan-tl-fetch-url"};
    try {
        (void)fetch(base + "/lotl.xml", d / "cache", {});
        FAIL() << "fetched a loopback URL through the strict guard";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::Forbidden);
        const std::string m = e.what();
        EXPECT_NE(m.find("refused by the URL guard"), std::string::npos) << m;
        EXPECT_NE(m.find("127.0.0.1"), std::string::npos) << m;
    }
    EXPECT_FALSE(std::filesystem::exists(d / "cache" / "lotl.xml"));

    FetchOptions allowed;
    allowed.guard.allow(base);
    const auto r = fetch(base + "/lotl.xml", d / "cache", allowed);
    // The LOTL's pointers are relative names ("aa.xml"), not URLs: an online LOTL's are not followed.
    EXPECT_EQ(r.fetched.size(), 1U);
    EXPECT_EQ(r.failed.size(), 2U);
    // Its NextUpdate is ahead: a second run keeps the cached copy.
    const auto again = fetch(base + "/lotl.xml", d / "cache", allowed);
    EXPECT_TRUE(again.fetched.empty());
    ASSERT_EQ(again.kept.size(), 1U);
}

/// Pivot LOTLs (decision 0035): the configured (OJEU) signer A signs a pivot that announces B; the current
/// LOTL is signed by B and names the pivot in its SchemeInformationURI, next to an OJ link.
struct PivotWorld {
    testing::TestPki::Leaf next = world().person("Lotl", "Next");
    testing::TempDir dir{"inkan-tl-pivot"};
    const std::string pivot_uri = "https://lotl.example/tools/lotl/eu-lotl-pivot-41.xml";
    const std::string oj_uri = "https://eur-lex.example/legal-content/EN/TXT/?uri=uriserv:OJ.C_.2019.276";
    std::string pivot_xml, lotl_xml;

    /// A LOTL (sequence `seq`) announcing `announced` as its next signers, pointing at AA, signed by `by`.
    std::string lotl(int seq, const Bytes& announced, sign::Signer& by,
                     const std::vector<std::string>& uris) {
        World& w = world();
        return to_string(w.sign_list(
            tsl("EU", true, seq,
                {{"lotl.xml", "EU", announced, true}, {"aa.xml", "AA", w.aa_signer.chain.front()}}, {},
                w.now - 2h, uris),
            by));
    }

    PivotWorld() {
        World& w = world();
        pivot_xml = lotl(41, next.chain.front(), *w.lotl_signer.signer, {oj_uri});
        lotl_xml = lotl(42, next.chain.front(), *next.signer, {pivot_uri, oj_uri});
    }

    /// A directory holding `lotl`, the pivot (unless empty) and AA.
    std::filesystem::path lists(const std::string& name, const std::string& lotl, const std::string& pivot) {
        const auto d = dir / name;
        std::filesystem::create_directories(d);
        testing::write_file(d / "lotl.xml", lotl);
        if (!pivot.empty()) testing::write_file(d / "eu-lotl-pivot-41.xml", pivot);
        testing::write_file(d / "aa.xml", world().aa_xml);
        return d;
    }
    TrustSet load_from(const std::filesystem::path& d) {
        LoadOptions o;
        o.list_signers = {world().lotl_signer.chain.front()};  // A, as the OJEU published it
        return load({d}, o);
    }
};

PivotWorld& pivots() {
    static PivotWorld p;
    return p;
}

const LoadedList& with_role(const TrustSet& set, const std::string& role) {
    for (const auto& l : set.lists) {
        if (l.role == role) return l;
    }
    throw std::runtime_error("no list with role " + role);
}

TEST(PivotLotl, TheListsMadeForThePivotTestsVerifyUnderXmlsec1) {
    const auto pivot = xmlsec_verify(pivots().pivot_xml);
    EXPECT_EQ(pivot.exit_code, 0) << testing::describe(pivot);
    const auto lotl = xmlsec_verify(pivots().lotl_xml);
    EXPECT_EQ(lotl.exit_code, 0) << testing::describe(lotl);
    const TrustedList parsed = parse(to_bytes(pivots().lotl_xml));
    EXPECT_EQ(parsed.pivot_uris(), std::vector<std::string>{pivots().pivot_uri}) << "the OJ link is no pivot";
    EXPECT_EQ(parsed.announced_lotl_signers(), std::vector<Bytes>{pivots().next.chain.front()});
    EXPECT_EQ(pivot_file_name(pivots().pivot_uri), "eu-lotl-pivot-41.xml");
    EXPECT_EQ(pivot_file_name("https://x.example/a/../lotl.xml"), "pivot-lotl.xml");
}

TEST(PivotLotl, ALotlSignedByANewKeyIsValidThroughAPivotSignedByTheConfiguredKeyThatAnnouncesIt) {
    auto& p = pivots();
    const TrustSet set = p.load_from(p.lists("good", p.lotl_xml, p.pivot_xml));
    const auto& lotl = with_role(set, "LOTL");
    EXPECT_EQ(lotl.signature, SignatureStatus::Valid) << lotl.detail;
    EXPECT_NE(lotl.detail.find("Lotl Next"), std::string::npos) << lotl.detail;
    EXPECT_NE(lotl.pointed_by.find("pivot #41"), std::string::npos) << lotl.pointed_by;
    const auto& pivot = with_role(set, "pivot");
    EXPECT_EQ(pivot.signature, SignatureStatus::Valid) << pivot.detail;
    EXPECT_EQ(list_of(set, "AA").signature, SignatureStatus::Valid) << list_of(set, "AA").detail;
    EXPECT_EQ(sources(set).size(), 1U) << "AA's services, and nothing from the LOTLs";
    const std::string text = to_text(set, world().now);
    EXPECT_NE(text.find("pivot LOTL EU #41"), std::string::npos) << text;
}

TEST(PivotLotl, WithoutThePivotTheNewKeyIsRefusedAndNothingBelowTheLotlIsTrusted) {
    auto& p = pivots();
    const TrustSet set = p.load_from(p.lists("missing", p.lotl_xml, ""));
    const auto& lotl = with_role(set, "LOTL");
    EXPECT_EQ(lotl.signature, SignatureStatus::Invalid) << lotl.detail;
    EXPECT_NE(lotl.detail.find("pivot chain broken"), std::string::npos) << lotl.detail;
    EXPECT_NE(lotl.detail.find("eu-lotl-pivot-41.xml"), std::string::npos) << lotl.detail;
    EXPECT_NE(list_of(set, "AA").signature, SignatureStatus::Valid) << list_of(set, "AA").detail;
    EXPECT_TRUE(sources(set).empty());
}

TEST(PivotLotl, ATamperedPivotOrOneSignedByTheNewKeyItselfBreaksTheChain) {
    auto& p = pivots();
    World& w = world();
    // The announced certificate swapped for another after signing: xmlsec1 refuses it too.
    const std::string tampered = replace_once(p.pivot_xml, base64_encode(p.next.chain.front()),
                                              base64_encode(w.bb_signer.chain.front()));
    const auto outside = xmlsec_verify(tampered);
    EXPECT_NE(outside.exit_code, 0) << "xmlsec1 accepted the tampered pivot: " << testing::describe(outside);
    const TrustSet set = p.load_from(p.lists("tampered", p.lotl_xml, tampered));
    EXPECT_EQ(with_role(set, "pivot").signature, SignatureStatus::Invalid) << with_role(set, "pivot").detail;
    const auto& lotl = with_role(set, "LOTL");
    EXPECT_EQ(lotl.signature, SignatureStatus::Invalid) << lotl.detail;
    EXPECT_NE(lotl.detail.find("pivot chain broken"), std::string::npos) << lotl.detail;
    EXPECT_TRUE(sources(set).empty());

    // A pivot the new key signed to announce itself: not signed by A, so it proves nothing.
    const std::string self_announced = p.lotl(41, p.next.chain.front(), *p.next.signer, {p.oj_uri});
    const TrustSet self = p.load_from(p.lists("self", p.lotl_xml, self_announced));
    EXPECT_EQ(with_role(self, "pivot").signature, SignatureStatus::Invalid);
    EXPECT_EQ(with_role(self, "LOTL").signature, SignatureStatus::Invalid) << with_role(self, "LOTL").detail;
    EXPECT_TRUE(sources(self).empty());
}

TEST(PivotLotl, OnceAPivotAnnouncesANewKeyTheOldOneNoLongerSignsTheLotl) {
    auto& p = pivots();
    const std::string old_key = p.lotl(42, p.next.chain.front(), *world().lotl_signer.signer, {p.pivot_uri});
    const TrustSet set = p.load_from(p.lists("old-key", old_key, p.pivot_xml));
    EXPECT_EQ(with_role(set, "pivot").signature, SignatureStatus::Valid);
    EXPECT_EQ(with_role(set, "LOTL").signature, SignatureStatus::Invalid) << with_role(set, "LOTL").detail;
}

TEST(PivotLotl, FetchCopiesThePivotsBesideTheLotlOffline) {
    auto& p = pivots();
    const auto src = p.lists("fetch-src", p.lotl_xml, p.pivot_xml);
    const auto r = fetch((src / "lotl.xml").string(), p.dir / "fetch-cache", {});
    EXPECT_TRUE(r.failed.empty()) << r.failed.front();
    EXPECT_EQ(testing::read_file(p.dir / "fetch-cache" / "eu-lotl-pivot-41.xml"), to_bytes(p.pivot_xml));
    const TrustSet set = p.load_from(p.dir / "fetch-cache");
    EXPECT_EQ(with_role(set, "LOTL").signature, SignatureStatus::Valid) << with_role(set, "LOTL").detail;
    EXPECT_EQ(list_of(set, "AA").signature, SignatureStatus::Valid);
}

TEST(StaleLists, AListPastItsNextUpdateIsExpiredInTlShowAndItsServicesAreNotTrusted) {
    World& w = world();
    testing::TempDir d{"inkan-tl-stale"};
    // AA issued ten days ago with a NextUpdate five days later: a valid signature on a stale list.
    const auto issued = w.now - std::chrono::days{10};
    const std::string stale = to_string(
        w.sign_list(tsl("AA", false, 6, {}, {w.ca_qc, w.tsa_qtst}, issued, {}, std::chrono::days{5}),
                    *w.aa_signer.signer));
    testing::write_file(d / "lotl.xml", w.lotl_xml);
    testing::write_file(d / "aa.xml", stale);
    LoadOptions o;
    o.list_signers = {w.lotl_signer.chain.front()};
    const TrustSet set = load({d.path()}, o);
    const auto& aa = list_of(set, "AA");
    EXPECT_EQ(aa.signature, SignatureStatus::Valid) << aa.detail;
    EXPECT_TRUE(aa.expired);
    const std::string text = to_text(set, w.now);
    EXPECT_NE(text.find("expired: past its next update " + xs(issued + std::chrono::days{5})),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("its services are NOT trusted"), std::string::npos) << text;
    const std::string json = to_json(set, w.now);
    EXPECT_NE(json.find("\"expired\": true"), std::string::npos) << json;
    EXPECT_NE(json.find("\"servicesTrusted\": false"), std::string::npos) << json;

    validation::Options options = options_from(TrustSet{});
    const auto lines = apply(set, options);
    ASSERT_EQ(lines.size(), 1U);
    EXPECT_NE(lines[0].find("AA trusted list"), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find("past its next update"), std::string::npos) << lines[0];
    EXPECT_TRUE(options.trusted_services.empty());
    const Bytes doc = signed_invoice(*w.qualified, w.withdrawn - std::chrono::days{1});
    const auto report = validation::validate_xml(doc, {}, options);
    ASSERT_EQ(report.signatures.size(), 1U);
    EXPECT_EQ(report.signatures[0].qualified, "no") << validation::to_json({report});
    EXPECT_NE(report.signatures[0].verdict.indication, validation::Indication::TotalPassed)
        << "the stale list gave no anchor";

    // Judged while it was current (a server loaded it then), it is used until its NextUpdate passes.
    validation::Options earlier = options_from(TrustSet{});
    EXPECT_TRUE(apply(set, earlier, issued + std::chrono::days{4}).empty());
    EXPECT_FALSE(earlier.trusted_services.empty());
}

TEST(StaleLists, ANationalListIsReliedUponNoLongerThanTheLotlThatVouchesForIt) {
    World& w = world();
    testing::TempDir d{"inkan-tl-stale-lotl"};
    const auto issued = w.now - std::chrono::days{10};
    testing::write_file(d / "lotl.xml", to_string(w.sign_list(
                                            tsl("EU", true, 43, {{"aa.xml", "AA", w.aa_signer.chain.front()}},
                                                {}, issued, {}, std::chrono::days{5}),
                                            *w.lotl_signer.signer)));
    testing::write_file(d / "aa.xml", w.aa_xml);
    LoadOptions o;
    o.list_signers = {w.lotl_signer.chain.front()};
    const TrustSet set = load({d.path()}, o);
    EXPECT_TRUE(list_of(set, "EU").expired);
    const auto& aa = list_of(set, "AA");
    EXPECT_EQ(aa.signature, SignatureStatus::Valid) << aa.detail;
    EXPECT_TRUE(aa.expired) << "AA's own NextUpdate is ahead, its LOTL's is not";
    const std::string text = to_text(set, w.now);
    EXPECT_NE(text.find("expired: past its LOTL's next update"), std::string::npos) << text;
    EXPECT_TRUE(sources(set).size() == 1U && sources(set)[0].stale_at(w.now));
}

}  // namespace
}  // namespace inkan::tl
