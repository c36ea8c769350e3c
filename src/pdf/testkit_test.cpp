#include "testkit.h"

#include <zlib.h>

#include <fstream>
#include <mutex>
#include <sstream>

#include <gtest/gtest.h>

namespace inkan::pdf::testkit {
namespace {

using testing::run;
using testing::TempDir;

void must(const testing::CommandResult& r, const std::string& what, bool warnings_ok = false) {
    // qpdf exits 3 for "succeeded with warnings" (it repaired our hand-written offsets).
    if (r.exit_code != 0 && !(warnings_ok && r.exit_code == 3)) {
        throw std::runtime_error(what + " failed (" + std::to_string(r.exit_code) + "): " + r.err + r.out);
    }
}

TempDir& dir() {
    static TempDir d{"inkan-pdf-test"};
    return d;
}

const char* kPageContent = "BT /F1 24 Tf 72 720 Td (Hello from inkan) Tj ET";

std::string content_stream(const std::string& s) {
    return "<< /Length " + std::to_string(s.size()) + " >>\nstream\n" + s + "\nendstream";
}

}  // namespace

const Corpus& corpus() {
    static const Corpus c = [] {
        Corpus k;
        const auto& d = dir();
        const std::string font = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
        testing::write_file(
            d / "raw.pdf",
            build_pdf({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                       "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
                       "/Resources << /Font << /F1 5 0 R >> >> >>",
                       content_stream(kPageContent), font}));
        k.table = d / "table.pdf";
        must(run({"qpdf", (d / "raw.pdf").string(), k.table.string()}), "qpdf normalise");
        k.stream = d / "stream.pdf";
        must(run({"qpdf", "--object-streams=generate", k.table.string(), k.stream.string()}),
             "qpdf xref stream");

        testing::write_file(
            d / "raw-form.pdf",
            build_pdf(
                {"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R 7 0 R] /DA (/Helv 0 Tf 0 g) >> "
                 ">>",
                 "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                 "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font "
                 "<< /F1 5 0 R >> >> /Annots [6 0 R 7 0 R] >>",
                 content_stream(kPageContent), font,
                 "<< /FT /Tx /T (Name) /V (Taro) /Type /Annot /Subtype /Widget /Rect [72 600 272 620] /P 3 0 "
                 "R "
                 "/F 4 >>",
                 "<< /FT /Sig /T (Approval) /Type /Annot /Subtype /Widget /Rect [300 500 500 580] /P 3 0 R "
                 "/F 4 >>"}));
        k.form = d / "form.pdf";
        must(run({"qpdf", (d / "raw-form.pdf").string(), k.form.string()}), "qpdf normalise form");
        k.form_stream = d / "form-stream.pdf";
        must(run({"qpdf", "--object-streams=generate", k.form.string(), k.form_stream.string()}),
             "qpdf form stream");

        testing::write_file(
            d / "raw-two.pdf",
            build_pdf({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R 6 0 R] /Count 2 >>",
                       "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
                       "/Resources << /Font << /F1 5 0 R >> >> >>",
                       content_stream(kPageContent), font,
                       "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
                       "/Resources << /Font << /F1 5 0 R >> >> >>"}));
        k.two_pages = d / "two.pdf";
        must(run({"qpdf", (d / "raw-two.pdf").string(), k.two_pages.string()}), "qpdf normalise two pages");

        k.encrypted = d / "encrypted.pdf";
        must(run({"qpdf", "--encrypt", "user", "owner", "256", "--", k.table.string(), k.encrypted.string()}),
             "qpdf encrypt");
        k.encrypted_open = d / "encrypted-open.pdf";
        must(
            run({"qpdf", "--encrypt", "", "owner", "256", "--", k.table.string(), k.encrypted_open.string()}),
            "qpdf encrypt (no user password)");

        const auto bytes = testing::read_file(k.table);
        k.truncated = d / "truncated.pdf";
        testing::write_file(k.truncated, ByteView{bytes.data(), bytes.size() / 2});
        k.not_pdf = d / "not.pdf";
        testing::write_file(k.not_pdf, "This is a text file, not a PDF.\n");

        // startxref pointing at the catalog object instead of the xref table.
        std::string text = to_string(bytes);
        const auto sx = text.rfind("startxref\n");
        const auto obj = text.find("1 0 obj");
        text = text.substr(0, sx) + "startxref\n" + std::to_string(obj + 2) + "\n%%EOF\n";
        k.bad_startxref = d / "bad-startxref.pdf";
        testing::write_file(k.bad_startxref, text);
        return k;
    }();
    return c;
}

const Pki& pki() {
    static const Pki p = [] {
        Pki k;
        const auto d = dir().path() / "pki";
        std::filesystem::create_directories(d);
        k.ca_cert = d / "ca.pem";
        const auto ca_key = d / "ca.key";
        must(run({"openssl",
                  "req",
                  "-x509",
                  "-newkey",
                  "ec",
                  "-pkeyopt",
                  "ec_paramgen_curve:P-256",
                  "-nodes",
                  "-keyout",
                  ca_key.string(),
                  "-out",
                  k.ca_cert.string(),
                  "-subj",
                  "/CN=inkan pdf test CA",
                  "-days",
                  "30",
                  "-addext",
                  "basicConstraints=critical,CA:TRUE",
                  "-addext",
                  "keyUsage=critical,keyCertSign,cRLSign"}),
             "openssl CA");
        k.signer_key = d / "signer.key";
        const auto csr = d / "signer.csr";
        must(run({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                  "-keyout", k.signer_key.string(), "-out", csr.string(), "-subj", "/CN=Taro Yamada"}),
             "openssl CSR");
        const auto ext = d / "ext.cnf";
        testing::write_file(
            ext,
            "[v]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n"
            "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n");
        k.signer_cert = d / "signer.pem";
        must(run({"openssl", "x509", "-req", "-in", csr.string(), "-CA", k.ca_cert.string(), "-CAkey",
                  ca_key.string(), "-CAcreateserial", "-out", k.signer_cert.string(), "-days", "30",
                  "-extfile", ext.string(), "-extensions", "v"}),
             "openssl sign certificate");
        // A TSA certificate: id-kp-timeStamping, critical (RFC 3161 §2.3).
        k.tsa_key = d / "tsa.key";
        const auto tsa_csr = d / "tsa.csr";
        must(
            run({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                 "-keyout", k.tsa_key.string(), "-out", tsa_csr.string(), "-subj", "/CN=inkan pdf test TSA"}),
            "openssl TSA CSR");
        testing::write_file(d / "tsa-ext.cnf",
                            "[v]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                            "extendedKeyUsage=critical,timeStamping\n");
        k.tsa_cert = d / "tsa.pem";
        must(run({"openssl", "x509", "-req", "-in", tsa_csr.string(), "-CA", k.ca_cert.string(), "-CAkey",
                  ca_key.string(), "-CAcreateserial", "-out", k.tsa_cert.string(), "-days", "30", "-extfile",
                  (d / "tsa-ext.cnf").string(), "-extensions", "v"}),
             "openssl sign TSA certificate");
        testing::write_file(d / "tsaserial", "01\n");
        k.tsa_config = d / "ts.cnf";
        testing::write_file(k.tsa_config,
                            "[tsa]\ndefault_tsa = t\n[t]\nserial = " + (d / "tsaserial").string() +
                                "\nsigner_digest = sha256\ndefault_policy = 1.2.3.4.1\n"
                                "digests = sha256\ness_cert_id_alg = sha256\n");
        k.nss_dir = d / "nss";
        std::filesystem::create_directories(k.nss_dir);
        must(run({"certutil", "-N", "-d", "sql:" + k.nss_dir.string(), "--empty-password"}), "certutil -N");
        must(run({"certutil", "-A", "-d", "sql:" + k.nss_dir.string(), "-n", "inkan-test-ca", "-t", "CT,C,C",
                  "-i", k.ca_cert.string()}),
             "certutil -A");
        return k;
    }();
    return p;
}

void sign_with_openssl(PreparedSignature& prepared) {
    static std::mutex mu;
    std::lock_guard lock{mu};
    const auto data = dir().path() / "ranges.bin";
    const auto sig = dir().path() / "sig.der";
    {
        std::ofstream out{data, std::ios::binary | std::ios::trunc};
        prepared.hash_ranges([&](ByteView chunk) {
            out.write(reinterpret_cast<const char*>(chunk.data()),
                      static_cast<std::streamsize>(chunk.size()));
        });
    }
    const auto& k = pki();
    must(run({"openssl", "cms", "-sign", "-binary", "-in", data.string(), "-outform", "DER", "-out",
              sig.string(), "-nosmimecap", "-signer", k.signer_cert.string(), "-inkey", k.signer_key.string(),
              "-certfile", k.ca_cert.string(), "-md", "sha256"}),
         "openssl cms -sign");
    prepared.embed(testing::read_file(sig));
}

void timestamp_with_openssl(PreparedSignature& prepared) {
    static std::mutex mu;
    std::lock_guard lock{mu};
    const auto data = dir().path() / "ts-ranges.bin";
    const auto query = dir().path() / "ts.tsq";
    const auto token = dir().path() / "ts.tst";
    {
        std::ofstream out{data, std::ios::binary | std::ios::trunc};
        prepared.hash_ranges([&](ByteView chunk) {
            out.write(reinterpret_cast<const char*>(chunk.data()),
                      static_cast<std::streamsize>(chunk.size()));
        });
    }
    const auto& k = pki();
    must(run({"openssl", "ts", "-query", "-data", data.string(), "-sha256", "-cert", "-out", query.string()}),
         "openssl ts -query");
    must(run({"openssl", "ts", "-reply", "-config", k.tsa_config.string(), "-queryfile", query.string(),
              "-inkey", k.tsa_key.string(), "-signer", k.tsa_cert.string(), "-token_out", "-out",
              token.string()}),
         "openssl ts -reply");
    prepared.embed(testing::read_file(token));
}

Bytes signed_bytes(const std::filesystem::path& pdf, const std::array<std::uint64_t, 4>& range) {
    const auto all = testing::read_file(pdf);
    Bytes out(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(range[1]));
    out.insert(out.end(), all.begin() + static_cast<std::ptrdiff_t>(range[2]),
               all.begin() + static_cast<std::ptrdiff_t>(range[2] + range[3]));
    return out;
}

PdfSig pdfsig(const std::filesystem::path& pdf) {
    return pdfsig(pdf, pki().nss_dir);
}

PdfSig pdfsig(const std::filesystem::path& pdf, const std::filesystem::path& nss_dir) {
    const auto r = run({"pdfsig", "-nssdir", "sql:" + nss_dir.string(), pdf.string()});
    PdfSig s;
    s.out = r.out + r.err;
    auto count = [&](const std::string& needle) {
        int n = 0;
        for (auto pos = s.out.find(needle); pos != std::string::npos; pos = s.out.find(needle, pos + 1))
            ++n;
        return n;
    };
    s.valid = count("Signature Validation: Signature is Valid.");
    s.trusted = count("Certificate Validation: Certificate is Trusted.");
    s.total = count("Signature #");
    return s;
}

testing::CommandResult qpdf_check(const std::filesystem::path& pdf) {
    return run({"qpdf", "--check", pdf.string()});
}

bool is_prefix(const std::filesystem::path& a, const std::filesystem::path& b) {
    std::ifstream fa{a, std::ios::binary};
    std::ifstream fb{b, std::ios::binary};
    std::vector<char> ba(1 << 16);
    std::vector<char> bb(1 << 16);
    while (fa) {
        fa.read(ba.data(), static_cast<std::streamsize>(ba.size()));
        const auto n = fa.gcount();
        fb.read(bb.data(), n);
        if (fb.gcount() != n || !std::equal(ba.begin(), ba.begin() + n, bb.begin())) return false;
    }
    return true;
}

Bytes test_png(std::uint32_t size) {
    // PNG (ISO/IEC 15948): signature, IHDR (RGBA 8-bit), one zlib IDAT, IEND; CRC-32 over type + data.
    Bytes raw;
    for (std::uint32_t y = 0; y < size; ++y) {
        raw.push_back(0);  // filter: none
        for (std::uint32_t x = 0; x < size; ++x) {
            const bool corner = x < size / 4 && y < size / 4;
            raw.insert(raw.end(), {0xD0, 0x10, 0x10, static_cast<std::uint8_t>(corner ? 0 : 0xFF)});
        }
    }
    uLongf len = compressBound(static_cast<uLong>(raw.size()));
    Bytes z(len);
    compress2(z.data(), &len, raw.data(), static_cast<uLong>(raw.size()), 9);
    z.resize(len);
    Bytes png{0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    auto be32 = [](Bytes& b, std::uint32_t v) {
        for (int i = 3; i >= 0; --i)
            b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    };
    auto chunk = [&](const char* type, const Bytes& data) {
        be32(png, static_cast<std::uint32_t>(data.size()));
        Bytes body(type, type + 4);
        body.insert(body.end(), data.begin(), data.end());
        png.insert(png.end(), body.begin(), body.end());
        be32(png, static_cast<std::uint32_t>(crc32(0, body.data(), static_cast<uInt>(body.size()))));
    };
    Bytes ihdr;
    be32(ihdr, size);
    be32(ihdr, size);
    ihdr.insert(ihdr.end(), {8, 6, 0, 0, 0});  // depth 8, colour type 6 (RGBA)
    chunk("IHDR", ihdr);
    chunk("IDAT", z);
    chunk("IEND", {});
    return png;
}

Bytes test_jpeg() {
    const auto prefix = dir().path() / "seal";
    must(run({"pdftoppm", "-jpeg", "-r", "10", "-singlefile", corpus().table.string(), prefix.string()}),
         "pdftoppm -jpeg");
    return testing::read_file(prefix.string() + ".jpg");
}

Gray render(const std::filesystem::path& pdf, int page) {
    static std::mutex mu;
    std::lock_guard lock{mu};
    const auto prefix = dir().path() / "render";
    must(run({"pdftoppm", "-r", "72", "-f", std::to_string(page), "-l", std::to_string(page), "-gray",
              "-singlefile", pdf.string(), prefix.string()}),
         "pdftoppm");
    const auto bytes = testing::read_file(prefix.string() + ".pgm");
    // PGM P5: "P5" width height maxval, each separated by whitespace, then one whitespace byte.
    std::istringstream in{to_string(bytes)};
    std::string magic;
    Gray g;
    int maxval = 0;
    in >> magic >> g.width >> g.height >> maxval;
    in.get();
    const auto header = static_cast<std::size_t>(in.tellg());
    g.pixels.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
    if (magic != "P5" || g.pixels.size() != static_cast<std::size_t>(g.width * g.height)) {
        throw std::runtime_error("pdftoppm wrote an unexpected PGM");
    }
    return g;
}

}  // namespace inkan::pdf::testkit
