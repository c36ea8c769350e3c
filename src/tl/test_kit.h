#pragma once

// The trusted-list test kit (issue 17), shared by the tl tests and the CLI tests (src/app/tl_cli_test.cpp):
// a test PKI (root in SoftHSM, a qualified person with QC statements, a plain person, a TSA, three list
// signers), a tsp::Authority whose clock the tests set, and a LOTL pointing at two national lists made at
// test time and signed with inkan's own XAdES code (enveloped, as a real TSL is): AA (a CA/QC service for
// the root, granted since t0 after a pre-eIDAS "undersupervision"; a TSA/QTST service granted since t0 and
// withdrawn yesterday) and BB (a withdrawn CA/QC turned "granted" after signing: tampered).

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <inkan/ades/time_stamper.h>
#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/pki/csr.h>
#include <inkan/testing/process.h>
#include <inkan/testing/test_pki.h>
#include <inkan/tl/trusted_list.h>
#include <inkan/tsp/authority.h>
#include <inkan/validation/validator.h>
#include <inkan/xades/xades.h>

namespace inkan::tl::testkit {

using namespace std::chrono_literals;

inline TimePoint seconds(TimePoint t) {
    return std::chrono::time_point_cast<std::chrono::seconds>(t);
}
inline std::string xs(TimePoint t) {
    return format_rfc3339(seconds(t));
}

inline const std::string kSvc{uri::kSvcType};
inline const std::string kStatus{uri::kSvcStatus};

struct State {
    std::string status;
    TimePoint start;
};
struct Svc {
    std::string type;
    std::string name;
    Bytes cert;
    State current;
    std::vector<State> history;  ///< newest first, as real lists have it
};
struct Ptr {
    std::string location;
    std::string territory;
    Bytes signer;
    bool lotl = false;  ///< a pointer to a LOTL (a LOTL's pointer to itself: who may sign it next)
};

inline std::string digital_identity(const Bytes& cert) {
    return "<tsl:ServiceDigitalIdentity><tsl:DigitalId><tsl:X509Certificate>" + base64_encode(cert) +
           "</tsl:X509Certificate></tsl:DigitalId></tsl:ServiceDigitalIdentity>";
}

/// A TS 119 612 v2 list (TSLVersionIdentifier 5) as the EU publishes them, without its signature.
inline std::string tsl(const std::string& territory, bool lotl, int sequence,
                       const std::vector<Ptr>& pointers, const std::vector<Svc>& services, TimePoint issued,
                       const std::vector<std::string>& scheme_uris = {},
                       std::chrono::days next_update = std::chrono::days{180}) {
    std::string x =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<tsl:TrustServiceStatusList xmlns:tsl=\"http://uri.etsi.org/02231/v2#\" "
        "xmlns:ecc=\"http://uri.etsi.org/TrstSvc/SvcInfoExt/eSigDir-1999-93-EC-TrustedList/#\" "
        "xmlns:tslx=\"http://uri.etsi.org/02231/v2/additionaltypes#\" Id=\"tsl-" +
        territory +
        "\" TSLTag=\"http://uri.etsi.org/19612/TSLTag\">\n<tsl:SchemeInformation>"
        "<tsl:TSLVersionIdentifier>5</tsl:TSLVersionIdentifier><tsl:TSLSequenceNumber>" +
        std::to_string(sequence) + "</tsl:TSLSequenceNumber><tsl:TSLType>" +
        std::string{lotl ? uri::kLotlType : uri::kGenericType} +
        "</tsl:TSLType><tsl:SchemeOperatorName><tsl:Name xml:lang=\"en\">" + territory +
        " supervisory body</tsl:Name></tsl:SchemeOperatorName>";
    if (!scheme_uris.empty()) {
        x += "<tsl:SchemeInformationURI>";
        for (const auto& u : scheme_uris)
            x += "<tsl:URI xml:lang=\"en\">" + u + "</tsl:URI>";
        x += "</tsl:SchemeInformationURI>";
    }
    x += "<tsl:SchemeTerritory>" + territory + "</tsl:SchemeTerritory>";
    if (!pointers.empty()) {
        x += "<tsl:PointersToOtherTSL>";
        for (const auto& p : pointers) {
            x += "<tsl:OtherTSLPointer><tsl:ServiceDigitalIdentities>" + digital_identity(p.signer) +
                 "</tsl:ServiceDigitalIdentities><tsl:TSLLocation>" + p.location +
                 "</tsl:TSLLocation><tsl:AdditionalInformation><tsl:OtherInformation><tsl:TSLType>" +
                 std::string{p.lotl ? uri::kLotlType : uri::kGenericType} +
                 "</tsl:TSLType></tsl:OtherInformation><tsl:OtherInformation><tsl:SchemeTerritory>" +
                 p.territory +
                 "</tsl:SchemeTerritory></"
                 "tsl:OtherInformation><tsl:OtherInformation><tslx:MimeType>application/"
                 "vnd.etsi.tsl+xml</tslx:MimeType></tsl:OtherInformation></tsl:AdditionalInformation>"
                 "</tsl:OtherTSLPointer>";
        }
        x += "</tsl:PointersToOtherTSL>";
    }
    x += "<tsl:ListIssueDateTime>" + xs(issued) + "</tsl:ListIssueDateTime><tsl:NextUpdate><tsl:dateTime>" +
         xs(issued + next_update) + "</tsl:dateTime></tsl:NextUpdate></tsl:SchemeInformation>\n";
    if (!services.empty()) {
        x += "<tsl:TrustServiceProviderList><tsl:TrustServiceProvider><tsl:TSPInformation><tsl:TSPName>"
             "<tsl:Name xml:lang=\"en\">" +
             territory + " Trust Services</tsl:Name></tsl:TSPName></tsl:TSPInformation><tsl:TSPServices>";
        for (const auto& s : services) {
            const auto info = [&](const State& st, bool extensions) {
                std::string i = "<tsl:ServiceTypeIdentifier>" + s.type +
                                "</tsl:ServiceTypeIdentifier><tsl:ServiceName><tsl:Name xml:lang=\"en\">" +
                                s.name + "</tsl:Name></tsl:ServiceName>" + digital_identity(s.cert) +
                                "<tsl:ServiceStatus>" + st.status +
                                "</tsl:ServiceStatus><tsl:StatusStartingTime>" + xs(st.start) +
                                "</tsl:StatusStartingTime>";
                if (extensions) {
                    i +=
                        "<tsl:ServiceInformationExtensions><tsl:Extension "
                        "Critical=\"true\"><tsl:AdditionalServiceInformation><tsl:URI xml:lang=\"en\">http://"
                        "uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/ForeSignatures</tsl:URI></"
                        "tsl:AdditionalServiceInformation></tsl:Extension><tsl:Extension "
                        "Critical=\"true\"><ecc:Qualifications><ecc:QualificationElement><ecc:Qualifiers><"
                        "ecc:"
                        "Qualifier uri=\"http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/QCWithSSCD\"/></"
                        "ecc:Qualifiers><ecc:CriteriaList assert=\"all\"/></ecc:QualificationElement></"
                        "ecc:Qualifications></tsl:Extension></tsl:ServiceInformationExtensions>";
                }
                return i;
            };
            x += "<tsl:TSPService><tsl:ServiceInformation>" + info(s.current, true) +
                 "</tsl:ServiceInformation>";
            if (!s.history.empty()) {
                x += "<tsl:ServiceHistory>";
                for (const auto& h : s.history)
                    x += "<tsl:ServiceHistoryInstance>" + info(h, false) + "</tsl:ServiceHistoryInstance>";
                x += "</tsl:ServiceHistory>";
            }
            x += "</tsl:TSPService>";
        }
        x += "</tsl:TSPServices></tsl:TrustServiceProvider></tsl:TrustServiceProviderList>\n";
    }
    x += "</tsl:TrustServiceStatusList>\n";
    return x;
}

inline std::string replace_once(std::string s, const std::string& from, const std::string& to) {
    const auto at = s.find(from);
    if (at == std::string::npos) throw std::runtime_error("not found: " + from);
    return s.replace(at, from.size(), to);
}

/// Everything the tests share, made once per process.
struct World {
    TimePoint now = std::chrono::system_clock::now();
    TimePoint t0 = seconds(now - std::chrono::days{20});        ///< the services were granted
    TimePoint withdrawn = seconds(now - std::chrono::days{1});  ///< the TSA lost its status
    testing::TestPki pki{now - std::chrono::days{30}};
    std::unique_ptr<pki::BuiltinCa> qca;         ///< the same root, with a qualified person profile
    std::unique_ptr<sign::HsmSigner> qualified;  ///< a person with QcCompliance / QcSSCD
    std::unique_ptr<sign::HsmSigner> plain;      ///< a person without QC statements
    testing::TestPki::Leaf tsa;
    testing::TestPki::Leaf lotl_signer, aa_signer, bb_signer;
    ManualClock tsa_clock{now};
    struct Serials final : tsp::SerialSource {
        std::uint64_t next = 1;
        std::uint64_t reserve(std::uint64_t count) override {
            const auto n = next;
            next += count;
            return n;
        }
    } serials;
    std::unique_ptr<tsp::Authority> authority;
    std::unique_ptr<ades::AuthorityTimeStamper> stamper;
    Bytes crl;
    testing::TempDir dir{"inkan-tl"};
    std::filesystem::path lists;  ///< lotl.xml, aa.xml, bb.xml
    std::filesystem::path lotl_signer_pem;
    std::string lotl_xml, aa_xml, bb_xml;
    Svc ca_qc, tsa_qtst;

    testing::TestPki::Leaf person(const std::string& given, const std::string& surname) {
        pki::IssueOptions o;
        o.subject =
            pki::Name{}.country("JP").given_name(given).surname(surname).common_name(given + " " + surname);
        return pki.issue(hsm::KeySpec::EcP256, given + " " + surname, "person", o);
    }

    Bytes sign_list(const std::string& xml, sign::Signer& signer) {
        xades::XadesOptions o;
        o.level = ades::Level::BB;
        return xades::sign_xades(xades::XadesContent::enveloped(to_bytes(xml)), signer, o);
    }

    World() {
        pki::ProfileSet profiles = pki::ProfileSet::defaults();
        pki::Profile q = profiles.get("person");
        q.qualified = true;
        q.qc_sscd = true;
        profiles.set(q);
        const pki::CaSettings settings{"test-root", "http://127.0.0.1:8080", {}};
        qca = std::make_unique<pki::BuiltinCa>(settings, *pki.root_signer, pki.ca->chain(), pki.store,
                                               profiles, pki.clock);
        {
            auto& token = testing::shared_test_token();
            const Bytes id = token.generate_key_pair(hsm::KeySpec::EcP256, "tl-qualified");
            sign::HsmSigner bare{token, id};
            const auto cert = qca->issue(
                pki::create_csr(
                    pki::Name{}.country("JP").given_name("花子").surname("佐藤").common_name("佐藤 花子"),
                    bare),
                "person");
            qualified = std::make_unique<sign::HsmSigner>(
                token, id, std::vector<Bytes>{cert.der(), pki.ca->certificate().der()});
        }
        plain = std::move(person("Jiro", "Plain").signer);
        tsa = pki.issue(hsm::KeySpec::EcP256, "TL Test QTSA");
        lotl_signer = person("Lotl", "Signer");
        aa_signer = person("Aa", "Signer");
        bb_signer = person("Bb", "Signer");
        pki.clock.set(now);
        crl = pki.ca->crl();

        tsp::Identity identity;
        identity.name = "qtsa";
        identity.policy = "1.3.6.1.4.1.99999.17.1";
        identity.chain = tsa.chain;
        identity.signer = std::shared_ptr<sign::Signer>(std::move(tsa.signer));
        identity.is_default = true;
        std::vector<tsp::Identity> ids;
        ids.push_back(std::move(identity));
        authority = std::make_unique<tsp::Authority>(std::move(ids), serials, tsa_clock);
        stamper = std::make_unique<ades::AuthorityTimeStamper>(*authority);

        // AA: the root is a CA/QC service, granted since t0 (before: under supervision, the pre-eIDAS
        // status); the TSA a TSA/QTST service granted since t0 and withdrawn yesterday.
        ca_qc = Svc{kSvc + "CA/QC",
                    "AA Qualified CA",
                    pki.ca->certificate().der(),
                    {kStatus + "granted", t0},
                    {{kStatus + "undersupervision", t0 - std::chrono::days{5}}}};
        tsa_qtst = Svc{kSvc + "TSA/QTST",
                       "AA Qualified TSA",
                       tsa.chain.front(),
                       {kStatus + "withdrawn", withdrawn},
                       {{kStatus + "granted", t0}}};
        aa_xml =
            to_string(sign_list(tsl("AA", false, 7, {}, {ca_qc, tsa_qtst}, now - 1h), *aa_signer.signer));
        // BB: a withdrawn CA/QC, then "granted" written over it after signing.
        const Svc bb_ca{
            kSvc + "CA/QC", "BB Qualified CA", pki.ca->certificate().der(), {kStatus + "withdrawn", t0}, {}};
        const std::string bb_signed =
            to_string(sign_list(tsl("BB", false, 3, {}, {bb_ca}, now - 1h), *bb_signer.signer));
        bb_xml = replace_once(bb_signed, kStatus + "withdrawn", kStatus + "granted");
        lotl_xml = to_string(sign_list(
            tsl("EU", true, 42,
                {{"aa.xml", "AA", aa_signer.chain.front()}, {"bb.xml", "BB", bb_signer.chain.front()}}, {},
                now - 1h),
            *lotl_signer.signer));
        lists = dir / "lists";
        std::filesystem::create_directories(lists);
        testing::write_file(lists / "lotl.xml", lotl_xml);
        testing::write_file(lists / "aa.xml", aa_xml);
        testing::write_file(lists / "bb.xml", bb_xml);
        lotl_signer_pem = dir / "lotl-signer.pem";
        testing::write_file(lotl_signer_pem, pki::certificates_pem({lotl_signer.chain.front()}));
    }
};

inline World& world() {
    static World w;
    return w;
}

inline testing::CommandResult xmlsec_verify(const std::string& xml) {
    testing::TempDir d{"inkan-tl-xmlsec"};
    testing::write_file(d / "list.xml", xml);
    return testing::run(
        {"xmlsec1", "--verify", "--trusted-pem", world().pki.root_pem.string(), (d / "list.xml").string()});
}

/// A XAdES B-T over a small invoice, its time-stamp made at `stamp_time`.
inline Bytes signed_invoice(sign::Signer& signer, TimePoint stamp_time) {
    World& w = world();
    w.tsa_clock.set(stamp_time);
    xades::XadesOptions o;
    o.level = ades::Level::BT;
    o.time_stamper = w.stamper.get();
    o.clock = &w.tsa_clock;
    return xades::sign_xades(xades::XadesContent::enveloped(to_bytes(
                                 std::string{"<Invoice><ID>INV-17</ID><Total>1000</Total></Invoice>"})),
                             signer, o);
}

/// Options holding nothing but what `set` grants, and the CA's CRL for revocation.
inline validation::Options options_from(const TrustSet& set) {
    validation::Options o;
    apply(set, o);
    const Bytes crl = world().crl;
    o.revocation_fetch = [crl](const Bytes&, const Bytes&) {
        validation::FetchedRevocation r;
        r.crls.push_back(crl);
        return std::optional{r};
    };
    return o;
}

inline TrustSet loaded() {
    LoadOptions o;
    o.list_signers = {world().lotl_signer.chain.front()};
    return load({world().lists}, o);
}

inline const LoadedList& list_of(const TrustSet& set, const std::string& territory) {
    for (const auto& l : set.lists) {
        if (l.list && l.list->territory == territory) return l;
    }
    throw std::runtime_error("no list " + territory);
}

}  // namespace inkan::tl::testkit
