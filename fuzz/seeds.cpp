// inkan_fuzz_seeds OUT [REGRESSIONS]: writes the inkan-made part of every target's seed corpus into
// OUT/<target>/ (certificates, a CRL, OCSP requests and responses of pki::BuiltinCa, RFC 3161 requests
// and responses of tsp::Authority, CAdES, PAdES and XAdES signatures of the ades and xades layers,
// account_tokens), the in-memory PKI's certificates as PEM under OUT/pki/ for fuzz/make-corpus to
// make openssl inputs with, and each REGRESSIONS/<target>/<name>.hex (hex text; whitespace and lines starting
// with '#' ignored) as OUT/<target>/regression-<name>. Everything is made fresh; nothing binary is checked
// in.

#include <cctype>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include <openssl/evp.h>

#include <inkan/ades/cades.h>
#include <inkan/ades/lt.h>
#include <inkan/ades/pades.h>
#include <inkan/ades/time_stamper.h>
#include <inkan/core/encoding.h>
#include <inkan/crypto/der.h>
#include <inkan/crypto/digest.h>
#include <inkan/pdf/document.h>
#include <inkan/pki/certificate.h>
#include <inkan/pki/csr.h>
#include <inkan/testing/pdf_text.h>
#include <inkan/tsp/codec.h>
#include <inkan/xades/xades.h>

#include "fuzz.h"
#include "pki_env.h"

namespace fs = std::filesystem;
using namespace inkan;

namespace {

fs::path g_out;

void put(const std::string& target, const std::string& name, ByteView data) {
    fs::create_directories(g_out / target);
    std::ofstream f{g_out / target / name, std::ios::binary | std::ios::trunc};
    f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
    if (!f) {
        throw Error{Errc::IoFailure, "cannot write " + (g_out / target / name).string()};
    }
}
void put(const std::string& target, const std::string& name, std::string_view text) {
    put(target, name, ByteView{reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}
Bytes read(const fs::path& p) {
    std::ifstream in{p, std::ios::binary};
    return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}
Bytes bytes_of(std::string_view s) {
    return {s.begin(), s.end()};
}

/// An OCSPRequest (RFC 6960 §4.1.1) for `cert` issued by `issuer`, SHA-1 CertID (what clients send).
Bytes ocsp_request(const pki::Certificate& cert, const pki::Certificate& issuer, bool nonce) {
    const Bytes name_hash = crypto::digest(crypto::DigestAlgorithm::Sha1, issuer.subject_der());
    const Bytes key_hash =
        crypto::digest(crypto::DigestAlgorithm::Sha1, pki::subject_public_key_bits(issuer.spki_der()));
    der::Writer w;
    w.sequence([&](der::Writer& req) {
        req.sequence([&](der::Writer& tbs) {
            tbs.sequence([&](der::Writer& list) {
                list.sequence([&](der::Writer& single) {
                    single.sequence([&](der::Writer& id) {
                        id.sequence([](der::Writer& alg) {
                            alg.oid("1.3.14.3.2.26");
                            alg.null();
                        });
                        id.octet_string(name_hash);
                        id.octet_string(key_hash);
                        id.integer_unsigned(cert.serial());
                    });
                });
            });
            if (nonce) {
                tbs.context(2, [](der::Writer& exts) {
                    exts.sequence([](der::Writer& ext_list) {
                        ext_list.sequence([](der::Writer& ext) {
                            ext.oid("1.3.6.1.5.5.7.48.1.2");
                            der::Writer inner;
                            inner.octet_string(Bytes(16, 0x5a));
                            ext.octet_string(inner.bytes());
                        });
                    });
                });
            }
        });
    });
    return w.take();
}

std::string jwt(std::string_view header, std::string_view claims, std::string_view key) {
    const std::string input = base64url_encode(bytes_of(header)) + "." + base64url_encode(bytes_of(claims));
    unsigned char mac[32];
    std::size_t length = 0;
    if (::EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                    reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, sizeof mac,
                    &length) == nullptr) {
        throw Error{Errc::CryptoFailure, "HMAC"};
    }
    return input + "." + base64url_encode(ByteView{mac, length});
}

void regressions(const fs::path& dir) {
    if (!fs::is_directory(dir)) {
        return;
    }
    for (const auto& target : fs::directory_iterator{dir}) {
        if (!target.is_directory()) {
            continue;
        }
        for (const auto& file : fs::directory_iterator{target.path()}) {
            if (file.path().extension() != ".hex") {
                continue;
            }
            // Lines starting with '#' are comments; whitespace elsewhere is ignored.
            std::string hex;
            std::ifstream in{file.path()};
            for (std::string line; std::getline(in, line);) {
                if (line.starts_with('#')) {
                    continue;
                }
                for (const char c : line) {
                    if (std::isspace(static_cast<unsigned char>(c)) == 0) {
                        hex += c;
                    }
                }
            }
            put(target.path().filename().string(), "regression-" + file.path().stem().string(),
                hex_decode(hex));
        }
    }
}

}  // namespace

int main(int argc, char** argv) try {
    if (argc < 2) {
        std::fprintf(stderr, "usage: inkan_fuzz_seeds OUT [REGRESSIONS]\n");
        return 2;
    }
    g_out = argv[1];
    fuzz::PkiEnv& env = fuzz::PkiEnv::instance();
    const pki::Certificate root = pki::Certificate::from_der(env.root_der());
    const pki::Certificate tsa = pki::Certificate::from_der(env.tsa_der());
    const pki::Certificate revoked = pki::Certificate::from_der(env.revoked_der());
    const Bytes seal_der = env.seal_signer().certificate_chain().front();

    // PEM for the openssl half of the corpus (fuzz/make-corpus).
    put("pki", "root.pem", pki::certificates_pem({env.root_der()}));
    put("pki", "revoked.pem", pki::certificates_pem({env.revoked_der()}));
    put("pki", "tsa.pem", pki::certificates_pem({env.tsa_der()}));

    // X.509 and revocation data.
    const Bytes crl = env.ca().crl();
    const Bytes ocsp_req = ocsp_request(revoked, root, true);
    const Bytes ocsp_good = env.ca().ocsp_response(ocsp_request(tsa, root, false));
    const Bytes ocsp_revoked = env.ca().ocsp_response(ocsp_req);
    pki::Name csr_name;
    csr_name.country("JP").organization("inkan fuzz").common_name("inkan fuzz CSR");
    pki::CsrOptions csr_options;
    csr_options.dns_names = {"example.org"};
    const Bytes csr = pki::create_csr(csr_name, env.tsa_signer(), csr_options).der();
    for (const std::string target : {"x509", "der"}) {
        put(target, "inkan-root.der", env.root_der());
        put(target, "inkan-tsa.der", env.tsa_der());
        put(target, "inkan-seal.der", seal_der);
        put(target, "inkan-revoked.der", env.revoked_der());
        put(target, "inkan-crl.der", crl);
        put(target, "inkan-ocsp-good.der", ocsp_good);
        put(target, "inkan-ocsp-revoked.der", ocsp_revoked);
        put(target, "inkan-csr.der", csr);
    }
    put("x509", "inkan-chain.pem", pki::certificates_pem({seal_der, env.root_der()}));
    put("x509", "inkan-name.der", root.subject_der());
    put("ocsp_request", "inkan-nonce.der", ocsp_req);
    put("ocsp_request", "inkan-plain.der", ocsp_request(tsa, root, false));

    // RFC 3161.
    tsp::TimeStampReq plain = env.request();
    const Bytes request = tsp::encode_request(plain);
    put("tsp_request", "inkan-request.der", request);
    plain.nonce.reset();
    plain.cert_req = false;
    plain.policy = "1.3.6.1.4.1.99999.1.1";
    put("tsp_request", "inkan-request-policy.der", tsp::encode_request(plain));
    plain.imprint =
        tsp::make_imprint(crypto::DigestAlgorithm::Sha512,
                          crypto::digest(crypto::DigestAlgorithm::Sha512, bytes_of("inkan fuzz")));
    put("tsp_request", "inkan-request-sha512.der", tsp::encode_request(plain));
    const Bytes response = env.tsa().respond(request);
    put("tsp_response", "inkan-granted.der", response);
    put("tsp_response", "inkan-rejected.der", env.tsa().respond(bytes_of("not DER")));
    const Bytes token = *tsp::parse_response(response).token;
    put("tsp_response", "inkan-token.der", token);
    put("der", "inkan-tsr.der", response);
    put("cms", "inkan-tst-token.der", token);

    // CAdES (cms, validator, der).
    ades::AuthorityTimeStamper stamper{env.tsa()};
    const Bytes content = bytes_of("inkan fuzz");
    ades::CadesOptions bb;
    bb.clock = &env.clock();
    const Bytes cades_bb = ades::sign_cades(ades::CadesContent::enveloping(content), env.seal_signer(), bb);
    ades::CadesOptions bt = bb;
    bt.level = ades::Level::BT;
    bt.time_stamper = &stamper;
    const Bytes cades_bt = ades::sign_cades(ades::CadesContent::enveloping(content), env.seal_signer(), bt);
    const Bytes cades_detached = ades::sign_cades(
        ades::CadesContent::detached_digest(crypto::DigestAlgorithm::Sha256,
                                            crypto::digest(crypto::DigestAlgorithm::Sha256, content)),
        env.seal_signer(), bt);
    for (const std::string target : {"cms", "validator", "der"}) {
        put(target, "inkan-cades-bb.der", cades_bb);
        put(target, "inkan-cades-bt.der", cades_bt);
        put(target, "inkan-cades-detached.der", cades_detached);
    }
    put("validator", "inkan-cades-bt.pem", pki::pem_encode("CMS", cades_bt));

    // PAdES (pdf, validator): a form with an empty signature field, signed B-B, B-T, certified, with a
    // DSS update and a document time-stamp on top (three revisions).
    const fs::path work = fuzz::scratch() / "seeds";
    fs::create_directories(work);
    const std::string page_text = "BT /F1 24 Tf 72 700 Td (inkan fuzz) Tj ET";
    const std::string base = testing::build_pdf(
        {"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] /SigFlags 3 >> >>",
         "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
         "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] /Contents 5 0 R >>",
         "<< /FT /Sig /T (Approval) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R /F 132 >>",
         "<< /Length " + std::to_string(page_text.size()) + " >>\nstream\n" + page_text + "\nendstream"},
        "/ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>]");
    put("pdf", "base.pdf", base);
    const fs::path base_path = work / "base.pdf";
    {
        std::ofstream f{base_path, std::ios::binary};
        f << base;
    }
    ades::PadesOptions pbb;
    pbb.clock = &env.clock();
    pbb.name = "inkan fuzz";
    pbb.reason = "seed";
    ades::PadesOptions pbt = pbb;
    pbt.level = ades::Level::BT;
    pbt.time_stamper = &stamper;
    ades::PadesOptions pcert = pbb;
    pcert.certify = 2;
    (void)ades::sign_pdf(base_path, work / "bb.pdf", env.seal_signer(), pbb);
    (void)ades::sign_pdf(base_path, work / "bt.pdf", env.seal_signer(), pbt);
    (void)ades::sign_pdf(base_path, work / "certified.pdf", env.seal_signer(), pcert);
    {
        const pdf::Document doc = pdf::Document::open(work / "bt.pdf");
        pdf::DssData dss;
        dss.certs = {env.root_der(), env.tsa_der(), seal_der};
        dss.crls = {crl};
        dss.ocsps = {ocsp_good};
        doc.add_dss(dss, work / "dss.pdf");
    }
    ades::add_document_time_stamp(work / "dss.pdf", work / "lta.pdf", stamper);
    for (const std::string name : {"bb.pdf", "bt.pdf", "certified.pdf", "dss.pdf", "lta.pdf"}) {
        put("pdf", "inkan-" + name, read(work / name));
        put("validator", "inkan-" + name, read(work / name));
    }
    put("validator", "base.pdf", base);

    // XAdES: the XML parser + C14N (xml) and the validator's XML path (validate_file sends XML to
    // validate_xml: references, wrapping rules, time-stamps).
    xades::XadesOptions xo;
    xo.clock = &env.clock();
    const Bytes enveloped = xades::sign_xades(
        xades::XadesContent::enveloped(bytes_of("<doc xmlns=\"urn:x\"><a id=\"a1\">1</a></doc>")),
        env.seal_signer(), xo);
    xades::XadesOptions xbt = xo;
    xbt.level = ades::Level::BT;
    xbt.time_stamper = &stamper;
    const Bytes enveloping_bt =
        xades::sign_xades(xades::XadesContent::enveloping({{content, "text/plain"}}), env.seal_signer(), xbt);
    for (const char* target : {"xml", "validator"}) {
        put(target, "inkan-xades-enveloped.xml", enveloped);
        put(target, "inkan-xades-enveloping-bt.xml", enveloping_bt);
    }

    // tl: an ETSI TS 119 612 list (scheme information, a pointer, a CA/QC service with history and
    // extensions) signed enveloped as a real TSL is, and the same unsigned.
    {
        const std::string cert = base64_encode(env.root_der());
        const std::string id = "<tsl:ServiceDigitalIdentity><tsl:DigitalId><tsl:X509Certificate>" + cert +
                               "</tsl:X509Certificate></tsl:DigitalId></tsl:ServiceDigitalIdentity>";
        const std::string info =
            "<tsl:ServiceTypeIdentifier>http://uri.etsi.org/TrstSvc/Svctype/CA/QC</tsl:ServiceTypeIdentifier>"
            "<tsl:ServiceName><tsl:Name xml:lang=\"en\">CA</tsl:Name></tsl:ServiceName>" +
            id;
        const std::string tsl =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<tsl:TrustServiceStatusList "
            "xmlns:tsl=\"http://uri.etsi.org/02231/v2#\" "
            "xmlns:ecc=\"http://uri.etsi.org/TrstSvc/SvcInfoExt/eSigDir-1999-93-EC-TrustedList/#\" "
            "xmlns:tslx=\"http://uri.etsi.org/02231/v2/additionaltypes#\" Id=\"tsl\">"
            "<tsl:SchemeInformation><tsl:TSLVersionIdentifier>5</tsl:TSLVersionIdentifier>"
            "<tsl:TSLSequenceNumber>1</tsl:TSLSequenceNumber>"
            "<tsl:TSLType>http://uri.etsi.org/TrstSvc/TrustedList/TSLType/EUgeneric</tsl:TSLType>"
            "<tsl:SchemeOperatorName><tsl:Name xml:lang=\"en\">op</tsl:Name></tsl:SchemeOperatorName>"
            "<tsl:SchemeTerritory>JP</tsl:SchemeTerritory><tsl:PointersToOtherTSL><tsl:OtherTSLPointer>"
            "<tsl:ServiceDigitalIdentities>" +
            id +
            "</tsl:ServiceDigitalIdentities><tsl:TSLLocation>https://example.org/tl.xml</tsl:TSLLocation>"
            "<tsl:AdditionalInformation><tsl:OtherInformation><tsl:SchemeTerritory>JP</tsl:SchemeTerritory>"
            "</tsl:OtherInformation><tsl:OtherInformation><tslx:MimeType>application/vnd.etsi.tsl+xml"
            "</tslx:MimeType></tsl:OtherInformation></tsl:AdditionalInformation></tsl:OtherTSLPointer>"
            "</tsl:PointersToOtherTSL><tsl:ListIssueDateTime>2026-01-01T00:00:00Z</tsl:ListIssueDateTime>"
            "<tsl:NextUpdate><tsl:dateTime>2026-07-01T00:00:00Z</tsl:dateTime></tsl:NextUpdate>"
            "</"
            "tsl:SchemeInformation><tsl:TrustServiceProviderList><tsl:TrustServiceProvider><tsl:"
            "TSPInformation>"
            "<tsl:TSPName><tsl:Name xml:lang=\"en\">TSP</tsl:Name></tsl:TSPName></tsl:TSPInformation>"
            "<tsl:TSPServices><tsl:TSPService><tsl:ServiceInformation>" +
            info +
            "<tsl:ServiceStatus>http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted</tsl:ServiceStatus>"
            "<tsl:StatusStartingTime>2020-01-01T00:00:00Z</tsl:StatusStartingTime>"
            "<tsl:ServiceInformationExtensions><tsl:Extension Critical=\"true\"><ecc:Qualifications>"
            "<ecc:QualificationElement><ecc:Qualifiers><ecc:Qualifier "
            "uri=\"http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/QCWithSSCD\"/></ecc:Qualifiers>"
            "</ecc:QualificationElement></ecc:Qualifications></tsl:Extension></"
            "tsl:ServiceInformationExtensions>"
            "</tsl:ServiceInformation><tsl:ServiceHistory><tsl:ServiceHistoryInstance>" +
            info +
            "<tsl:ServiceStatus>http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/undersupervision"
            "</tsl:ServiceStatus><tsl:StatusStartingTime>2010-01-01T00:00:00Z</tsl:StatusStartingTime>"
            "</tsl:ServiceHistoryInstance></tsl:ServiceHistory></tsl:TSPService></tsl:TSPServices>"
            "</tsl:TrustServiceProvider></tsl:TrustServiceProviderList></tsl:TrustServiceStatusList>\n";
        put("tl", "inkan-tl-unsigned.xml", tsl);
        put("tl", "inkan-tl-signed.xml",
            xades::sign_xades(xades::XadesContent::enveloped(bytes_of(tsl)), env.seal_signer(), xo));
    }

    // account_token (oauth): HS256 under the target's key.
    constexpr std::string_view key = "inkan fuzz account_token key 32";
    const std::string header = R"({"alg":"HS256","typ":"JWT"})";
    const std::string claims =
        R"({"sub":"account-1","iat":1700000000,"jti":"j-1","azp":"client-1","iss":"app"})";
    const std::string token_text = jwt(header, claims, key);
    put("oauth", "inkan-account-token", token_text);
    put("oauth", "inkan-account-token-unsigned",
        base64url_encode(bytes_of(header)) + "." + base64url_encode(bytes_of(claims)));
    put("oauth", "inkan-authorize-form",
        "response_type=code&client_id=client-1&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=credential"
        "&credentialID=c1&numSignatures=1&hash=" +
            base64url_encode(crypto::digest(crypto::DigestAlgorithm::Sha256, content)) +
            "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&state=s"
            "&account_token=" +
            token_text);

    if (argc > 2) {
        regressions(argv[2]);
    }
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "inkan_fuzz_seeds: %s\n", e.what());
    return 1;
}
