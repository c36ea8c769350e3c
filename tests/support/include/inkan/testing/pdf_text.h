#pragma once

// Hand-written PDF files for tests, shared by the pdf layer's testkit and the app's end-to-end tests.

#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

namespace inkan::testing {

/// Writes a PDF with correct offsets and a classic xref table: `objects[i]` is object i+1's body,
/// object 1 is the catalog.
/// `trailer_extra` goes into the trailer dictionary (e.g. "/Info 8 0 R /ID [<01> <02>]").
inline std::string build_pdf(const std::vector<std::string>& objects, const std::string& trailer_extra = "") {
    std::string out = "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n";
    std::vector<std::size_t> offsets;
    for (std::size_t i = 0; i < objects.size(); ++i) {
        offsets.push_back(out.size());
        out += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
    }
    const auto xref = out.size();
    out += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f\r\n";
    for (const auto off : offsets) {
        char line[32];
        std::snprintf(line, sizeof line, "%010zu 00000 n\r\n", off);
        out += line;
    }
    out += "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root 1 0 R " + trailer_extra +
           " >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
    return out;
}

}  // namespace inkan::testing
