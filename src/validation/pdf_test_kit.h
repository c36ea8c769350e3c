#pragma once

// Test-only (the validator's hostile-PDF and foreign-signer tests): a hand-written PDF with text, form
// fields and objects an attacker may later use, incremental updates written by hand (objects, xref
// entries that point elsewhere, another /Root), and a small PDF signer whose CMS `openssl cms -sign`
// makes (adbe.pkcs7.detached with or without signed attributes, adbe.pkcs7.sha1, extra signature
// dictionary keys such as a FieldMDP /Reference). Nothing here is inkan's signing code, so the
// validator judges files that inkan did not write.

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include <inkan/core/bytes.h>
#include <inkan/core/encoding.h>
#include <inkan/crypto/digest.h>
#include <inkan/testing/pdf_text.h>
#include <inkan/testing/process.h>

namespace inkan::validation::testpdf {

namespace fs = std::filesystem;

inline std::string read_text(const fs::path& p) {
    return to_string(testing::read_file(p));
}

/// "<< /Length n >>\nstream\n...\nendstream" for `data` with extra dictionary keys.
inline std::string stream(const std::string& data, const std::string& dict = "") {
    return "<< " + dict + " /Length " + std::to_string(data.size()) + " >>\nstream\n" + data + "\nendstream";
}

/// The object text (between "N 0 obj" and "endobj") of the last definition of object `id`.
inline std::string object_text(const std::string& text, int id) {
    const std::string head = "\n" + std::to_string(id) + " 0 obj";
    const auto at = text.rfind(head);
    if (at == std::string::npos) {
        ADD_FAILURE() << "object " << id << " not found";
        return {};
    }
    const auto start = at + head.size();
    return text.substr(start, text.find("endobj", start) - start);
}

/// An integer after `key` in the newest trailer.
inline long trailer_value(const std::string& text, const std::string& key) {
    const auto tr = text.rfind("trailer");
    const auto at = text.find(key, tr == std::string::npos ? 0 : tr);
    if (at == std::string::npos) {
        ADD_FAILURE() << key << " not in the last trailer";
        return 0;
    }
    return std::stol(text.substr(at + key.size()));
}

/// An incremental update written by hand (ISO 32000-1 §7.5.6), classic xref table.
struct Update {
    std::map<int, std::string> objects;  ///< id → body (generation 0)
    std::map<int, std::size_t> repoint;  ///< id → an offset already in the file (no new body)
    std::optional<int> root;             ///< a /Root other than the last trailer's
};

inline void append_update(const fs::path& pdf, const Update& u) {
    const std::string text = read_text(pdf);
    const auto sx = text.rfind("startxref");
    const long prev = std::stol(text.substr(sx + 9));
    const long old_size = trailer_value(text, "/Size");
    const int root = u.root ? *u.root : static_cast<int>(trailer_value(text, "/Root"));
    std::string update = "\n";
    std::map<int, std::size_t> offsets = u.repoint;
    long size = old_size;
    for (const auto& [id, body] : u.objects) {
        offsets[id] = text.size() + update.size();
        update += std::to_string(id) + " 0 obj\n" + body + "\nendobj\n";
    }
    for (const auto& [id, off] : offsets)
        size = std::max<long>(size, id + 1);
    const std::size_t xref = text.size() + update.size();
    update += "xref\n";
    for (const auto& [id, off] : offsets) {
        char line[32];
        std::snprintf(line, sizeof line, "%010zu 00000 n \n", off);
        update += std::to_string(id) + " 1\n" + line;
    }
    update += "trailer\n<< /Size " + std::to_string(size) + " /Root " + std::to_string(root) + " 0 R /Prev " +
              std::to_string(prev) + " >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
    testing::write_file(pdf, text + update);
}

/// Object numbers of the base document.
enum : int {
    kCatalog = 1,
    kPages = 2,
    kPage = 3,
    kContent = 4,
    kFont = 5,
    kAcroForm = 6,
    kAmount = 7,  ///< text field "Amount" = (100), its appearance in kAmountAp
    kAmountAp = 8,
    kHiddenContent = 9,  ///< unused in the signed revision: "Pay 1,000,000 JPY to Mallory"
    kHiddenPage = 10,    ///< unused page showing kHiddenContent
    kNote = 11,          ///< text field "Note" = (none)
    kApproval = 12,      ///< empty signature field "Approval"
    kBaseObjects = 12,
};

inline const std::string kSignedText = "BT /F1 24 Tf 72 700 Td (Pay 100 JPY to Taro) Tj ET";
inline const std::string kHiddenText = "BT /F1 24 Tf 72 700 Td (Pay 1,000,000 JPY to Mallory) Tj ET";

/// One page saying "Pay 100 JPY to Taro" with text fields Amount and Note and the empty signature
/// field Approval (carrying `approval_extra`, e.g. a /Lock), plus a content stream and a page that
/// nothing references (what a hide-and-replace attacker slips into the document before signing).
/// `hidden_duplicate`: a second body of object 4 after the last object, not in the xref (a spoofing
/// xref may point there later); its offset is returned.
inline std::size_t write_base(const fs::path& out, const std::string& approval_extra = "",
                              bool hidden_duplicate = false) {
    const std::string resources = "/Resources << /Font << /F1 5 0 R >> >>";
    std::string text = testing::build_pdf({
        "<< /Type /Catalog /Pages 2 0 R /AcroForm 6 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R " + resources +
            " /Annots [7 0 R 11 0 R 12 0 R] >>",
        stream(kSignedText),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        "<< /Fields [7 0 R 11 0 R 12 0 R] /DA (/F1 12 Tf 0 g) /DR << /Font << /F1 5 0 R >> >> >>",
        "<< /FT /Tx /T (Amount) /V (100) /Type /Annot /Subtype /Widget /Rect [72 600 272 620] /F 4 /P 3 0 R "
        "/DA (/F1 12 Tf 0 g) /AP << /N 8 0 R >> >>",
        stream("/Tx BMC BT /F1 12 Tf 2 5 Td (100) Tj ET EMC",
               "/Type /XObject /Subtype /Form /BBox [0 0 200 20] " + resources),
        stream(kHiddenText),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 9 0 R " + resources + " >>",
        "<< /FT /Tx /T (Note) /V (none) /Type /Annot /Subtype /Widget /Rect [72 560 272 580] /F 4 /P 3 0 R "
        "/DA (/F1 12 Tf 0 g) >>",
        "<< /FT /Sig /T (Approval) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /F 132 /P 3 0 R " +
            approval_extra + " >>",
    });
    std::size_t duplicate = 0;
    if (hidden_duplicate) {
        // Bytes between the last object and the xref that no xref entry names: the signed revision
        // carries them, no reader of that revision sees them.
        const auto xref = text.rfind("\nxref\n") + 1;
        const std::string body = "4 0 obj\n" + stream(kHiddenText) + "\nendobj\n";
        duplicate = xref;
        text.insert(xref, body);
        const auto sx = text.rfind("startxref\n");
        text = text.substr(0, sx) + "startxref\n" + std::to_string(xref + body.size()) + "\n%%EOF\n";
    }
    testing::write_file(out, text);
    return duplicate;
}

/// How the small signer signs.
struct MiniSig {
    std::string sub_filter = "adbe.pkcs7.detached";
    std::string field = "Mini1";
    std::string dict_extra;              ///< more signature dictionary keys (e.g. a FieldMDP /Reference)
    std::vector<std::string> cms_flags;  ///< more `openssl cms -sign` flags ("-noattr", "-md", "sha1")
    fs::path key, cert;                  ///< PEM
    std::size_t contents = 6000;         ///< bytes reserved for the CMS
    int page = kPage;                    ///< the page object of the (invisible) widget
    int acroform = kAcroForm;            ///< the AcroForm object (its /Fields is an inline array)
};

/// Signs `pdf` in place: an incremental update with a new signature field (invisible widget on the
/// page) and its signature dictionary, the ranges signed by `openssl cms -sign` (detached; for
/// adbe.pkcs7.sha1 the 20-byte SHA-1 of the ranges, encapsulated, ISO 32000-1 §12.8.3.3.1).
inline void mini_sign(const fs::path& pdf, const MiniSig& m, const fs::path& work) {
    const std::string text = read_text(pdf);
    const int size = static_cast<int>(trailer_value(text, "/Size"));
    const int sig = size;
    const int field = size + 1;
    const std::string field_ref = std::to_string(field) + " 0 R";
    std::string form = object_text(text, m.acroform);
    const auto fields = form.find("/Fields [");
    ASSERT_NE(fields, std::string::npos) << form;
    form.insert(form.find(']', fields), " " + field_ref);
    if (form.find("/SigFlags") == std::string::npos) form.insert(form.rfind(">>"), " /SigFlags 3 ");
    std::string page = object_text(text, m.page);
    if (const auto annots = page.find("/Annots ["); annots != std::string::npos) {
        page.insert(page.find(']', annots), " " + field_ref);
    } else {
        page.insert(page.rfind(">>"), " /Annots [" + field_ref + "] ");
    }
    const std::string zeros(m.contents * 2, '0');
    Update u;
    u.objects[sig] = "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /" + m.sub_filter +
                     " /ByteRange [0 0000000000 0000000000 0000000000] /Contents <" + zeros +
                     "> /M (D:20261206120000Z) " + m.dict_extra + " >>";
    u.objects[field] = "<< /FT /Sig /T (" + m.field + ") /V " + std::to_string(sig) +
                       " 0 R /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /F 132 /P " +
                       std::to_string(m.page) + " 0 R >>";
    u.objects[m.page] = page;
    u.objects[m.acroform] = form;
    append_update(pdf, u);

    std::string all = read_text(pdf);
    const std::string head = "\n" + std::to_string(sig) + " 0 obj\n";
    const auto dict = all.rfind(head);
    ASSERT_NE(dict, std::string::npos);
    const auto br = all.find("/ByteRange [", dict) + 11;
    const auto lt = all.find("/Contents <", dict) + 10;
    const auto gt = lt + zeros.size() + 2;
    const std::array<std::size_t, 4> range{0, lt, gt, all.size() - gt};
    char numbers[64];
    std::snprintf(numbers, sizeof numbers, "[0 %010zu %010zu %010zu]", range[1], range[2], range[3]);
    all.replace(br, std::string_view{numbers}.size(), numbers);
    const std::string signed_bytes = all.substr(0, range[1]) + all.substr(range[2]);
    const bool sha1 = m.sub_filter == "adbe.pkcs7.sha1";
    const fs::path data = work / "mini-data.bin";
    const fs::path out = work / "mini-cms.der";
    if (sha1) {
        testing::write_file(data, crypto::digest(crypto::DigestAlgorithm::Sha1, to_bytes(signed_bytes)));
    } else {
        testing::write_file(data, signed_bytes);
    }
    std::vector<std::string> argv{"openssl",     "cms",     "-sign",         "-binary",   "-in",
                                  data.string(), "-signer", m.cert.string(), "-inkey",    m.key.string(),
                                  "-outform",    "DER",     "-out",          out.string()};
    if (sha1) argv.push_back("-nodetach");
    argv.insert(argv.end(), m.cms_flags.begin(), m.cms_flags.end());
    const auto r = testing::run(argv);
    ASSERT_EQ(r.exit_code, 0) << testing::describe(r);
    const std::string hex = hex_encode_upper(testing::read_file(out));
    ASSERT_LE(hex.size(), zeros.size());
    all.replace(lt + 1, hex.size(), hex);
    testing::write_file(pdf, all);
}

}  // namespace inkan::validation::testpdf
